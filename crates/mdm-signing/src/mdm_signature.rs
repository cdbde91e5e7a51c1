//! The `Mdm-Signature` HTTP header and client-certificate headers set by TLS-terminating
//! proxies.
//!
//! With `SignMessage` set in the MDM payload, a device signs each check-in and command
//! response body with its identity and sends the base64 of a detached CMS SignedData in the
//! `Mdm-Signature` header. See
//! <https://developer.apple.com/documentation/devicemanagement/mdm>.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::Error;
use crate::keys::Certificate;
use crate::signed::{MAX_SIGNED_BYTES, Verified, verify_detached};
use crate::trust::TrustPolicy;

/// Largest header value accepted (64 KiB of text), far above a signature with a short chain.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Decodes the `Mdm-Signature` header value (base64, whitespace ignored) to the DER of the
/// detached SignedData.
///
/// # Errors
/// [`Error::Header`] when the value is not base64; [`Error::TooLarge`] over
/// [`MAX_HEADER_BYTES`].
pub fn decode_mdm_signature_header(value: &str) -> Result<Vec<u8>, Error> {
    decode_base64(value, "Mdm-Signature")
}

/// Verifies an `Mdm-Signature` header over the request body; [`Verified::signer`] is the
/// device's certificate.
///
/// Servers usually verify with [`TrustPolicy::signature_only`] and then compare the
/// signer with the certificate the device enrolled with, or with anchors set to the CA
/// that issued device identities.
///
/// ```
/// use mdm_signing::{Identity, PrivateKey, Signer, TrustPolicy, verify_mdm_signature};
///
/// let device = Identity::self_signed("device", PrivateKey::generate_p256()?, 30)?;
/// let body = b"<plist>...</plist>";
/// let signature = Signer::new(device.clone())?.detached(true).sign(body)?;
/// let header = mdm_signing::openssl::base64::encode_block(&signature);
///
/// let verified = verify_mdm_signature(&header, body, &TrustPolicy::signature_only())?;
/// assert_eq!(verified.signer(), device.certificate());
/// assert!(verify_mdm_signature(&header, b"tampered", &TrustPolicy::signature_only()).is_err());
/// # Ok::<(), mdm_signing::Error>(())
/// ```
///
/// # Errors
/// [`Error::Header`] for a value that is not base64, then as [`crate::verify_detached`].
pub fn verify_mdm_signature(
    header_value: &str,
    body: &[u8],
    policy: &TrustPolicy,
) -> Result<Verified, Error> {
    let der = decode_mdm_signature_header(header_value)?;
    verify_mdm_signature_der(&der, body, policy)
}

/// Verifies an already decoded `Mdm-Signature` (DER) over `body`.
///
/// # Errors
/// As [`crate::verify_detached`].
pub fn verify_mdm_signature_der(
    der: &[u8],
    body: &[u8],
    policy: &TrustPolicy,
) -> Result<Verified, Error> {
    verify_detached(der, body, policy)
}

/// Reads the client certificate a TLS-terminating proxy forwards in a header.
///
/// Accepted forms:
/// - RFC 9440 `Client-Cert`: a structured-field byte sequence, `:BASE64-DER:`;
/// - URL-escaped PEM (nginx `$ssl_client_escaped_cert`);
/// - PEM with its line breaks folded into spaces or tabs (nginx `$ssl_client_cert`);
/// - bare base64 of the DER (some load balancers).
///
/// # Errors
/// [`Error::Header`] when no certificate can be read from the value.
pub fn certificate_from_proxy_header(value: &str) -> Result<Certificate, Error> {
    if value.len() > MAX_HEADER_BYTES {
        return Err(Error::TooLarge {
            len: value.len(),
            limit: MAX_HEADER_BYTES,
        });
    }
    let value = value.trim();
    if let Some(inner) = value.strip_prefix(':').and_then(|v| v.strip_suffix(':')) {
        let der = decode_base64(inner, "Client-Cert")?;
        return cert_from_header_der(&der);
    }
    let unescaped;
    let text = if value.contains('%') {
        unescaped = percent_decode(value)?;
        unescaped.as_str()
    } else {
        value
    };
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let body = match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if b + BEGIN.len() <= e => text
            .get(b + BEGIN.len()..e)
            .ok_or_else(|| Error::Header("pem markers out of place".to_owned()))?,
        (None, None) => text,
        _ => return Err(Error::Header("incomplete pem certificate".to_owned())),
    };
    let der = decode_base64(body, "client certificate")?;
    cert_from_header_der(&der)
}

fn cert_from_header_der(der: &[u8]) -> Result<Certificate, Error> {
    Certificate::from_der(der).map_err(|e| Error::Header(e.to_string()))
}

fn decode_base64(value: &str, what: &str) -> Result<Vec<u8>, Error> {
    if value.len() > MAX_HEADER_BYTES.max(MAX_SIGNED_BYTES / 4) {
        return Err(Error::TooLarge {
            len: value.len(),
            limit: MAX_HEADER_BYTES,
        });
    }
    let compact: Vec<u8> = value.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    STANDARD
        .decode(&compact)
        .map_err(|e| Error::Header(format!("{what} is not base64: {e}")))
}

fn percent_decode(value: &str) -> Result<String, Error> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::Header("bad percent escape".to_owned()))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::Header("escaped value is not utf-8".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Db%0A").unwrap(), "a-b\n");
        assert!(percent_decode("a%2").is_err());
        assert!(percent_decode("%zz").is_err());
    }

    #[test]
    fn garbage_headers_are_errors() {
        assert!(matches!(
            certificate_from_proxy_header(":!!:"),
            Err(Error::Header(_))
        ));
        assert!(matches!(
            certificate_from_proxy_header("-----BEGIN CERTIFICATE----- AAAA"),
            Err(Error::Header(_))
        ));
        assert!(decode_mdm_signature_header("not base64 !").is_err());
    }
}
