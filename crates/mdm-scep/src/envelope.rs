//! The `pkcsPKIEnvelope`: a CMS EnvelopedData (RFC 5652, section 6) that carries the
//! messageData to its one recipient (RFC 8894, section 3.2.2), and the algorithms SCEP uses.
//!
//! OpenSSL encrypts and decrypts; this module reads the recipient list and the content
//! cipher first, so that "another recipient" and "cipher refused by policy" are typed
//! errors instead of an OpenSSL message.

use std::sync::OnceLock;

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::hash::MessageDigest;
use openssl::provider::Provider;
use openssl::stack::Stack;

use mdm_signing::{Certificate, PrivateKey};

use crate::asn1::oids;
use crate::error::{Error, crypto};

pub use mdm_signing::ContentCipher;

/// The message digest of the SignedData (and of CSR signatures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Digest {
    /// SHA-1 (`SHA-1` in GetCACaps): the historic default.
    Sha1,
    /// SHA-256 (`SHA-256`).
    Sha256,
    /// SHA-512 (`SHA-512`).
    Sha512,
}

impl Digest {
    /// A short name (`sha1`, `sha256`, `sha512`).
    pub fn name(self) -> &'static str {
        match self {
            Digest::Sha1 => "sha1",
            Digest::Sha256 => "sha256",
            Digest::Sha512 => "sha512",
        }
    }

    pub(crate) fn oid(self) -> &'static [u8] {
        match self {
            Digest::Sha1 => oids::SHA1,
            Digest::Sha256 => oids::SHA256,
            Digest::Sha512 => oids::SHA512,
        }
    }

    pub(crate) fn from_oid(oid: &[u8]) -> Option<Self> {
        Some(match oid {
            oids::SHA1 => Digest::Sha1,
            oids::SHA256 => Digest::Sha256,
            oids::SHA512 => Digest::Sha512,
            _ => return None,
        })
    }

    pub(crate) fn openssl(self) -> MessageDigest {
        match self {
            Digest::Sha1 => MessageDigest::sha1(),
            Digest::Sha256 => MessageDigest::sha256(),
            Digest::Sha512 => MessageDigest::sha512(),
        }
    }

    /// Hashes `data`.
    pub(crate) fn hash(self, data: &[u8]) -> Result<Vec<u8>, Error> {
        openssl::hash::hash(self.openssl(), data)
            .map(|d| d.to_vec())
            .map_err(crypto)
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Largest envelope decrypted (4 MiB: a certificate chain or a CRL).
pub const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;

/// Encrypts `content` to `recipient` (an RSA certificate: SCEP uses key transport) as a
/// DER EnvelopedData.
pub(crate) fn encrypt(
    content: &[u8],
    recipient: &Certificate,
    cipher: ContentCipher,
) -> Result<Vec<u8>, Error> {
    if cipher == ContentCipher::DesCbc {
        load_legacy_provider();
    }
    let mut certs = Stack::new().map_err(crypto)?;
    certs
        .push(recipient.as_openssl().to_owned())
        .map_err(crypto)?;
    let cms = CmsContentInfo::encrypt(&certs, content, cipher.to_openssl(), CMSOptions::BINARY)
        .map_err(crypto)?;
    cms.to_der().map_err(crypto)
}

pub use mdm_signing::EnvelopeInfo;

/// Reads the recipients and the content cipher of an EnvelopedData `ContentInfo`.
pub(crate) fn inspect(der: &[u8]) -> Result<EnvelopeInfo, Error> {
    if der.len() > MAX_ENVELOPE_BYTES {
        return Err(Error::TooLarge {
            len: der.len(),
            limit: MAX_ENVELOPE_BYTES,
        });
    }
    mdm_signing::inspect_envelope(der).map_err(|_| Error::malformed("envelopedData"))
}

/// Decrypts an envelope addressed to `cert` with `key`, refusing ciphers outside `allowed`.
pub(crate) fn decrypt(
    der: &[u8],
    cert: &Certificate,
    key: &PrivateKey,
    allow_des: bool,
) -> Result<Vec<u8>, Error> {
    let info = inspect(der)?;
    let cipher = info
        .cipher
        .ok_or_else(|| Error::AlgorithmRefused(format!("content cipher {}", info.cipher_oid)))?;
    if cipher == ContentCipher::DesCbc {
        if !allow_des {
            return Err(Error::AlgorithmRefused(
                "single des (des-cbc) content encryption".to_owned(),
            ));
        }
        load_legacy_provider();
    }
    if !info
        .is_addressed_to(cert)
        .map_err(|e| Error::Decrypt(e.to_string()))?
    {
        return Err(Error::NotRecipient);
    }
    let cms = CmsContentInfo::from_der(der).map_err(|_| Error::malformed("envelopedData"))?;
    cms.decrypt(key.as_openssl(), &cert.as_openssl().to_owned())
        .map_err(|e| Error::Decrypt(crate::error::crypto(e).to_string()))
}

/// The issuer name DER and serial-number octets (no leading zero) of a certificate.
pub(crate) fn issuer_serial(cert: &Certificate) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let x = cert.as_openssl();
    let issuer = x.issuer_name().to_der().map_err(crypto)?;
    let serial = x.serial_number().to_bn().map_err(crypto)?.to_vec();
    Ok((issuer, serial))
}

/// INTEGER octets without leading zero octets (as OpenSSL's `BN_bn2bin` writes them).
pub(crate) fn strip_int(v: &[u8]) -> &[u8] {
    let skip = v.iter().take_while(|&&b| b == 0).count();
    v.get(skip..).unwrap_or_default()
}

/// Loads OpenSSL's legacy provider (single DES lives there in OpenSSL 3) once, keeping the
/// default provider; a missing legacy provider shows up later as a decrypt error.
fn load_legacy_provider() {
    static LEGACY: OnceLock<Option<Provider>> = OnceLock::new();
    LEGACY.get_or_init(|| Provider::try_load(None, "legacy", true).ok());
}
