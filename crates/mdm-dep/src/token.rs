//! The server token: the key pair an administrator uploads to the portal, and the S/MIME
//! file (`*_smime.p7m`) the portal hands back, decrypted into the four OAuth secrets.

use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use mdm_signing::{Certificate, Identity, PrivateKey};

use crate::error::Error;
use crate::json::{Extra, json_object};

/// Largest `.p7m` file (or decrypted token) accepted, in bytes. Real tokens are about 3 KiB.
pub const MAX_TOKEN_FILE_BYTES: usize = 64 * 1024;

/// The key pair and self-signed certificate for the portal's "upload public key" step.
///
/// The certificate PEM goes to Apple Business Manager or Apple School Manager; the key PEM
/// stays with the server and later decrypts the token file.
#[derive(Clone)]
pub struct TokenKeypair {
    identity: Identity,
}

impl TokenKeypair {
    /// Makes an RSA-2048 key and a self-signed certificate for `common_name`, valid for
    /// `days` days (SHA-256, key usage `digitalSignature` and `keyEncipherment`).
    ///
    /// ```
    /// let pair = mdm_dep::TokenKeypair::generate("depserver", 30)?;
    /// assert!(pair.certificate_pem()?.starts_with(b"-----BEGIN CERTIFICATE-----"));
    /// # Ok::<(), mdm_dep::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL cannot make the key or the certificate, or `days` is 0.
    pub fn generate(common_name: &str, days: u32) -> Result<Self, Error> {
        if days == 0 {
            return Err(Error::Key(
                "the certificate must be valid for at least one day".into(),
            ));
        }
        if common_name.is_empty() || common_name.len() > 64 {
            return Err(Error::Key("the common name must be 1 to 64 bytes".into()));
        }
        let key = PrivateKey::generate_rsa(2048).map_err(key_error)?;
        let identity = Identity::self_signed(common_name, key, days).map_err(key_error)?;
        Ok(TokenKeypair { identity })
    }

    /// Loads a key pair from its two PEM files.
    ///
    /// # Errors
    /// [`Error::Key`] when either file is not PEM or the key is not the certificate's.
    pub fn from_pem(certificate_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        Ok(TokenKeypair {
            identity: Identity::from_pem(certificate_pem, key_pem).map_err(key_error)?,
        })
    }

    /// The certificate, PEM, to upload to the portal.
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL cannot encode it.
    pub fn certificate_pem(&self) -> Result<Vec<u8>, Error> {
        self.identity.certificate().to_pem().map_err(key_error)
    }

    /// The private key, PKCS#8 PEM, to keep secret.
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL cannot encode it.
    pub fn key_pem(&self) -> Result<Vec<u8>, Error> {
        self.identity.key().to_pkcs8_pem().map_err(key_error)
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        self.identity.certificate()
    }

    /// Decrypts a token file made for this key pair; see [`ServerToken::decrypt`].
    ///
    /// # Errors
    /// As [`ServerToken::decrypt`].
    pub fn decrypt(&self, p7m: &[u8]) -> Result<ServerToken, Error> {
        let der = smime_to_der(p7m)?;
        let plain = mdm_signing::decrypt(&der, &self.identity)
            .map_err(|e| Error::Token(format!("cannot decrypt with this key pair: {e}")))?;
        ServerToken::from_decrypted(&plain)
    }
}

impl fmt::Debug for TokenKeypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeypair")
            .field("certificate", self.identity.certificate())
            .field("key", &"<redacted>")
            .finish()
    }
}

fn key_error(e: mdm_signing::Error) -> Error {
    Error::Key(e.to_string())
}

/// A secret string that never shows in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call this only to use it (sign, store), never to log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl crate::json::Skip for Secret {}

json_object! {
    /// The decrypted server token: the OAuth 1.0a consumer and access credentials for
    /// `GET /session`, and when they stop working.
    ///
    /// Every secret is a [`Secret`] (redacted in `Debug`). Serialized, it is the token JSON
    /// as Apple writes it, secrets included: store it like a private key.
    #[derive(Clone, PartialEq)]
    #[non_exhaustive]
    pub struct ServerToken {
        /// `consumer_key` (`CK_…`).
        "consumer_key" => pub consumer_key: String,
        /// `consumer_secret` (`CS_…`).
        "consumer_secret" => pub consumer_secret: Secret,
        /// `access_token` (`AT_…`).
        "access_token" => pub access_token: Secret,
        /// `access_secret` (`AS_…`).
        "access_secret" => pub access_secret: Secret,
        /// `access_token_expiry`: after it, `/session` refuses the token.
        "access_token_expiry" @date => pub access_token_expiry: Option<DateTime<Utc>>,
    }
}

impl ServerToken {
    /// A token from its parts, with no expiry.
    pub fn new(
        consumer_key: impl Into<String>,
        consumer_secret: impl Into<String>,
        access_token: impl Into<String>,
        access_secret: impl Into<String>,
    ) -> Self {
        ServerToken {
            consumer_key: consumer_key.into(),
            consumer_secret: Secret::new(consumer_secret),
            access_token: Secret::new(access_token),
            access_secret: Secret::new(access_secret),
            access_token_expiry: None,
            extra: Extra::new(),
        }
    }

    /// Sets `access_token_expiry`.
    pub fn with_access_token_expiry(mut self, expiry: DateTime<Utc>) -> Self {
        self.access_token_expiry = Some(expiry);
        self
    }

    /// Decrypts a `*_smime.p7m` token file with the private key (PEM or DER) of the key
    /// pair whose certificate was uploaded: MIME headers, base64 CMS EnvelopedData (RSA
    /// key transport; AES-CBC or 3DES content), then the inner MIME part and its
    /// `-----BEGIN MESSAGE-----` lines. A bare base64 or DER CMS file is accepted too.
    ///
    /// Tested against the corpus sample and tokens made by `openssl smime -encrypt`
    /// (`tests/token.rs`).
    ///
    /// # Errors
    /// [`Error::Token`] when the file is not S/MIME, the key is not the recipient's, or the
    /// content is not the token JSON with its four secrets; [`Error::Key`] for a bad key.
    pub fn decrypt(p7m: &[u8], private_key: &[u8]) -> Result<Self, Error> {
        let key = PrivateKey::from_pem_or_der(private_key).map_err(key_error)?;
        let der = smime_to_der(p7m)?;
        let cms = openssl::cms::CmsContentInfo::from_der(&der)
            .map_err(|e| Error::Token(format!("not a CMS structure: {}", first_reason(&e))))?;
        // The key alone is enough: OpenSSL tries it on each recipient. mdm-signing's
        // `decrypt` needs the certificate as well, which the CLI user may not have at hand.
        let plain = cms
            .decrypt_without_cert_check(key.as_openssl())
            .map_err(|e| {
                Error::Token(format!(
                    "cannot decrypt with this key (is it the key whose certificate was uploaded?): {}",
                    first_reason(&e)
                ))
            })?;
        Self::from_decrypted(&plain)
    }

    /// Reads the decrypted content: an optional MIME header block, the `-----BEGIN
    /// MESSAGE-----` / `-----END MESSAGE-----` lines, and the JSON between them (or bare
    /// JSON).
    ///
    /// # Errors
    /// [`Error::Token`] when no token JSON is found or a secret is empty.
    pub fn from_decrypted(plain: &[u8]) -> Result<Self, Error> {
        if plain.len() > MAX_TOKEN_FILE_BYTES {
            return Err(Error::Token(format!(
                "decrypted token larger than {MAX_TOKEN_FILE_BYTES} bytes"
            )));
        }
        let text = std::str::from_utf8(plain)
            .map_err(|_| Error::Token("decrypted token is not UTF-8 text".into()))?;
        let body = mime_body(text);
        let json = match body.find("-----BEGIN MESSAGE-----") {
            Some(start) => {
                let after = body
                    .get(start + "-----BEGIN MESSAGE-----".len()..)
                    .unwrap_or("");
                let end = after.find("-----END MESSAGE-----").ok_or_else(|| {
                    Error::Token("no -----END MESSAGE----- line after BEGIN MESSAGE".into())
                })?;
                after.get(..end).unwrap_or("")
            }
            None => body,
        };
        Self::decode(json.trim().as_bytes())
    }

    /// Reads the token JSON itself (what `mdmctl dep token` prints).
    ///
    /// # Errors
    /// [`Error::Token`] when it is not the token JSON or a secret is empty.
    pub fn decode(json: &[u8]) -> Result<Self, Error> {
        if json.len() > MAX_TOKEN_FILE_BYTES {
            return Err(Error::Token(format!(
                "token larger than {MAX_TOKEN_FILE_BYTES} bytes"
            )));
        }
        let token: ServerToken = serde_json::from_slice(json)
            .map_err(|e| Error::Token(format!("not the token JSON: {e}")))?;
        token.check()?;
        Ok(token)
    }

    /// The token JSON, secrets included.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] if serialization fails (it does not for valid tokens).
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::json::encode(self)
    }

    fn check(&self) -> Result<(), Error> {
        let empty = [
            ("consumer_key", self.consumer_key.is_empty()),
            ("consumer_secret", self.consumer_secret.is_empty()),
            ("access_token", self.access_token.is_empty()),
            ("access_secret", self.access_secret.is_empty()),
        ];
        match empty.iter().find(|(_, e)| *e) {
            Some((name, _)) => Err(Error::Token(format!("{name} is empty"))),
            None => Ok(()),
        }
    }

    /// Whether the token has expired at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.access_token_expiry.is_some_and(|e| e <= now)
    }

    /// Whether the token expires within `days` days of `now` (or has already expired).
    pub fn expires_within_days(&self, days: u32, now: DateTime<Utc>) -> bool {
        self.access_token_expiry
            .is_some_and(|e| e <= now + chrono::Duration::days(i64::from(days)))
    }

    /// Refuses an expired token: [`Error::TokenExpired`]. Called before every `/session`.
    ///
    /// # Errors
    /// [`Error::TokenExpired`] when `access_token_expiry` is at or before `now`.
    pub fn check_not_expired(&self, now: DateTime<Utc>) -> Result<(), Error> {
        match self.access_token_expiry {
            Some(expiry) if expiry <= now => Err(Error::TokenExpired { expiry }),
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for ServerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerToken")
            .field("consumer_key", &self.consumer_key)
            .field("consumer_secret", &self.consumer_secret)
            .field("access_token", &self.access_token)
            .field("access_secret", &self.access_secret)
            .field("access_token_expiry", &self.access_token_expiry)
            .finish_non_exhaustive()
    }
}

/// The CMS DER inside an S/MIME file: MIME headers, a blank line, base64. Also accepts bare
/// base64 and bare DER.
fn smime_to_der(p7m: &[u8]) -> Result<Vec<u8>, Error> {
    if p7m.len() > MAX_TOKEN_FILE_BYTES {
        return Err(Error::Token(format!(
            "token file larger than {MAX_TOKEN_FILE_BYTES} bytes"
        )));
    }
    if p7m.first() == Some(&0x30) {
        return Ok(p7m.to_vec());
    }
    let text =
        std::str::from_utf8(p7m).map_err(|_| Error::Token("neither S/MIME text nor DER".into()))?;
    let body = mime_body(text);
    let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if b64.is_empty() {
        return Err(Error::Token(
            "no base64 content after the MIME headers".into(),
        ));
    }
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| Error::Token(format!("the S/MIME body is not base64: {e}")))
}

/// The body of a MIME part: what follows the first blank line when the text starts with
/// header lines (`Name: value`), otherwise the whole text.
fn mime_body(text: &str) -> &str {
    let first = text.lines().next().unwrap_or("");
    let is_header = first.split_once(':').is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if !is_header {
        return text;
    }
    for sep in ["\r\n\r\n", "\n\n"] {
        if let Some(i) = text.find(sep) {
            return text.get(i + sep.len()..).unwrap_or("");
        }
    }
    ""
}

fn first_reason(e: &openssl::error::ErrorStack) -> String {
    e.errors()
        .first()
        .and_then(|e| e.reason().map(str::to_owned))
        .unwrap_or_else(|| "unknown reason".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_every_secret() {
        let t = ServerToken::new("CK_1", "CS_hidden", "AT_hidden", "AS_hidden");
        let d = format!("{t:?}");
        assert!(d.contains("CK_1"));
        assert!(!d.contains("hidden"), "{d}");
    }

    #[test]
    fn unwraps_mime_and_message_lines() {
        let plain = "Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n-----BEGIN MESSAGE-----\r\n{\"consumer_key\":\"CK_a\",\"consumer_secret\":\"CS_b\",\"access_token\":\"AT_c\",\"access_secret\":\"AS_d\",\"access_token_expiry\":\"2026-01-17T11:02:21Z\"}\r\n-----END MESSAGE-----\r\n";
        let t = ServerToken::from_decrypted(plain.as_bytes()).unwrap();
        assert_eq!(t.consumer_key, "CK_a");
        assert_eq!(t.access_secret.expose_secret(), "AS_d");
        let now = parse("2026-01-10T00:00:00Z");
        assert!(!t.is_expired(now));
        assert!(t.expires_within_days(30, now));
        assert!(!t.expires_within_days(3, now));
        assert!(t.check_not_expired(parse("2026-02-01T00:00:00Z")).is_err());
    }

    #[test]
    fn empty_secret_refused() {
        let json = br#"{"consumer_key":"CK","consumer_secret":"","access_token":"AT","access_secret":"AS"}"#;
        assert!(matches!(ServerToken::decode(json), Err(Error::Token(_))));
        assert!(ServerToken::from_decrypted(b"-----BEGIN MESSAGE-----\n{}").is_err());
    }

    fn parse(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }
}
