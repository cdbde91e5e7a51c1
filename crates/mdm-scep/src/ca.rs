//! What a client learns about the CA before enrolling: GetCACaps (RFC 8894, section 3.5.2)
//! and GetCACert (section 4.2).

use std::collections::BTreeSet;

use openssl::hash::MessageDigest;
use openssl::x509::{X509KeyUsage, X509VerifyResult};

use mdm_signing::Certificate;

use crate::envelope::{ContentCipher, Digest};
use crate::error::Error;
use crate::message::certificates_from_degenerate;

/// Largest GetCACaps body read (64 KiB).
pub const MAX_CAPS_BYTES: usize = 64 * 1024;

/// One keyword of a GetCACaps answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Capability {
    /// `AES`: AES-CBC content encryption.
    Aes,
    /// `DES3`: triple-DES content encryption.
    Des3,
    /// `GetNextCACert`: rollover certificates.
    GetNextCaCert,
    /// `POSTPKIOperation`: PKIOperation over HTTP POST.
    PostPkiOperation,
    /// `Renewal`: RenewalReq.
    Renewal,
    /// `SHA-1`.
    Sha1,
    /// `SHA-256`.
    Sha256,
    /// `SHA-512`.
    Sha512,
    /// `SCEPStandard`: the RFC 8894 baseline (AES, POSTPKIOperation, SHA-256).
    ScepStandard,
    /// `Update`: certificate update.
    Update,
    /// A keyword this crate does not know, as sent.
    Other(String),
}

impl Capability {
    /// Reads a keyword (case-insensitive, as servers vary).
    pub fn from_keyword(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "AES" => Capability::Aes,
            "DES3" => Capability::Des3,
            "GETNEXTCACERT" => Capability::GetNextCaCert,
            "POSTPKIOPERATION" => Capability::PostPkiOperation,
            "RENEWAL" => Capability::Renewal,
            "SHA-1" => Capability::Sha1,
            "SHA-256" => Capability::Sha256,
            "SHA-512" => Capability::Sha512,
            "SCEPSTANDARD" => Capability::ScepStandard,
            "UPDATE" => Capability::Update,
            _ => Capability::Other(s.to_owned()),
        }
    }

    /// The keyword as RFC 8894 spells it.
    pub fn keyword(&self) -> &str {
        match self {
            Capability::Aes => "AES",
            Capability::Des3 => "DES3",
            Capability::GetNextCaCert => "GetNextCACert",
            Capability::PostPkiOperation => "POSTPKIOperation",
            Capability::Renewal => "Renewal",
            Capability::Sha1 => "SHA-1",
            Capability::Sha256 => "SHA-256",
            Capability::Sha512 => "SHA-512",
            Capability::ScepStandard => "SCEPStandard",
            Capability::Update => "Update",
            Capability::Other(s) => s,
        }
    }
}

/// The caller's algorithm policy for choosing from the capabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AlgorithmPolicy {
    /// Accept single DES (from a server without `AES`/`DES3`, or in its replies).
    /// Default: false.
    pub allow_des: bool,
    /// Accept SHA-1 when the server offers nothing better. Default: true (it is the
    /// minimum most deployed servers offer).
    pub allow_sha1: bool,
    /// Prefer AES-256 over AES-128 when the server says `AES`. Default: false (RFC 8894
    /// names AES-128-CBC; servers with OpenSSL or Go underneath accept both).
    pub prefer_aes256: bool,
}

impl Default for AlgorithmPolicy {
    fn default() -> Self {
        AlgorithmPolicy {
            allow_des: false,
            allow_sha1: true,
            prefer_aes256: false,
        }
    }
}

/// The set of GetCACaps keywords.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities(BTreeSet<Capability>);

impl Capabilities {
    /// Parses a GetCACaps body: keywords separated by line breaks (servers also use
    /// spaces), unknown ones kept.
    ///
    /// # Errors
    /// [`Error::TooLarge`] over [`MAX_CAPS_BYTES`], [`Error::Malformed`] for non-UTF-8.
    pub fn decode(body: &[u8]) -> Result<Self, Error> {
        if body.len() > MAX_CAPS_BYTES {
            return Err(Error::TooLarge {
                len: body.len(),
                limit: MAX_CAPS_BYTES,
            });
        }
        let text = std::str::from_utf8(body).map_err(|_| Error::malformed("getcacaps"))?;
        Ok(Capabilities(
            text.split_whitespace()
                .map(Capability::from_keyword)
                .collect(),
        ))
    }

    /// Whether the server announced `cap` (`SCEPStandard` implies AES, SHA-256 and
    /// POSTPKIOperation).
    pub fn has(&self, cap: &Capability) -> bool {
        self.0.contains(cap)
            || (self.0.contains(&Capability::ScepStandard)
                && matches!(
                    cap,
                    Capability::Aes | Capability::Sha256 | Capability::PostPkiOperation
                ))
    }

    /// The keywords.
    pub fn iter(&self) -> impl Iterator<Item = &Capability> {
        self.0.iter()
    }

    /// The body a server sends (one keyword per line).
    pub fn to_body(&self) -> String {
        self.0
            .iter()
            .map(Capability::keyword)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether PKIOperation may use POST.
    pub fn post(&self) -> bool {
        self.has(&Capability::PostPkiOperation)
    }

    /// The strongest content cipher both sides accept.
    ///
    /// # Errors
    /// [`Error::AlgorithmRefused`] when only single DES is left and the policy refuses it.
    pub fn cipher(&self, policy: &AlgorithmPolicy) -> Result<ContentCipher, Error> {
        if self.has(&Capability::Aes) {
            Ok(if policy.prefer_aes256 {
                ContentCipher::Aes256Cbc
            } else {
                ContentCipher::Aes128Cbc
            })
        } else if self.has(&Capability::Des3) {
            Ok(ContentCipher::DesEde3Cbc)
        } else if policy.allow_des {
            Ok(ContentCipher::DesCbc)
        } else {
            Err(Error::AlgorithmRefused(
                "the server offers neither AES nor DES3 and single DES is not allowed".to_owned(),
            ))
        }
    }

    /// The strongest digest both sides accept.
    ///
    /// # Errors
    /// [`Error::AlgorithmRefused`] when only SHA-1 (or MD5) is left and the policy
    /// refuses it.
    pub fn digest(&self, policy: &AlgorithmPolicy) -> Result<Digest, Error> {
        if self.has(&Capability::Sha512) {
            Ok(Digest::Sha512)
        } else if self.has(&Capability::Sha256) {
            Ok(Digest::Sha256)
        } else if policy.allow_sha1 {
            Ok(Digest::Sha1)
        } else {
            Err(Error::AlgorithmRefused(
                "the server offers no digest stronger than sha-1".to_owned(),
            ))
        }
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(caps: I) -> Self {
        Capabilities(caps.into_iter().collect())
    }
}

/// The CA's certificates from GetCACert, sorted into roles.
#[derive(Debug, Clone)]
pub struct CaCertificates {
    ca: Certificate,
    recipient: Certificate,
    signers: Vec<Certificate>,
    all: Vec<Certificate>,
}

impl CaCertificates {
    /// Reads a GetCACert body: one DER certificate (`application/x-x509-ca-cert`) or a
    /// degenerate PKCS#7 with the CA and its RA certificates
    /// (`application/x-x509-ca-ra-cert`). The content type is a hint; the body decides.
    ///
    /// With an RA, the recipient is the RA certificate allowed to encipher keys and the
    /// accepted response signers are the RA certificates the CA issued; otherwise the CA
    /// certificate plays every role.
    ///
    /// `pin` is the SHA-256 fingerprint (32 octets) the CA certificate must have.
    ///
    /// # Errors
    /// [`Error::CaCertificate`] for an empty set or a pin mismatch, [`Error::Malformed`],
    /// [`Error::TooManyCertificates`].
    pub fn from_body(body: &[u8], pin: Option<&[u8]>) -> Result<Self, Error> {
        let certs = match Certificate::from_der(body) {
            Ok(c) => vec![c],
            Err(_) => certificates_from_degenerate(body)?,
        };
        Self::from_certificates(certs, pin)
    }

    /// Sorts given certificates into roles, as [`CaCertificates::from_body`].
    ///
    /// # Errors
    /// As [`CaCertificates::from_body`].
    pub fn from_certificates(certs: Vec<Certificate>, pin: Option<&[u8]>) -> Result<Self, Error> {
        let first = certs
            .first()
            .cloned()
            .ok_or_else(|| Error::CaCertificate("no certificate".to_owned()))?;
        let ca = if let Some(pin) = pin {
            certs
                .iter()
                .find(|c| fingerprint(c).as_deref() == Some(pin))
                .cloned()
                .ok_or_else(|| {
                    Error::CaCertificate("no certificate matches the sha-256 pin".to_owned())
                })?
        } else if certs.len() == 1 {
            first
        } else {
            // The CA is the certificate that issued another one in the set, else a
            // certificate marked for certificate signing, else the first.
            certs
                .iter()
                .find(|ca| {
                    certs.iter().any(|c| {
                        !std::ptr::eq(*ca, c)
                            && ca.as_openssl().issued(c.as_openssl()) == X509VerifyResult::OK
                    })
                })
                .or_else(|| {
                    certs.iter().find(|c| {
                        c.as_openssl()
                            .key_usage()
                            .is_some_and(|k| k.contains(X509KeyUsage::KEY_CERT_SIGN))
                    })
                })
                .cloned()
                .unwrap_or(first)
        };
        let ca_key = ca.as_openssl().public_key().ok();
        let ras: Vec<Certificate> = certs
            .iter()
            .filter(|c| **c != ca)
            .filter(|c| {
                ca_key
                    .as_ref()
                    .is_some_and(|k| c.as_openssl().verify(k).unwrap_or(false))
            })
            .cloned()
            .collect();
        let allows = |c: &Certificate, bit: X509KeyUsage| {
            c.as_openssl().key_usage().is_none_or(|k| k.contains(bit))
        };
        let recipient = ras
            .iter()
            .find(|c| allows(c, X509KeyUsage::KEY_ENCIPHERMENT))
            .cloned()
            .unwrap_or_else(|| ca.clone());
        let mut signers: Vec<Certificate> = ras
            .iter()
            .filter(|c| allows(c, X509KeyUsage::DIGITAL_SIGNATURE))
            .cloned()
            .collect();
        signers.push(ca.clone());
        Ok(CaCertificates {
            ca,
            recipient,
            signers,
            all: certs,
        })
    }

    /// The CA certificate (the issuer of enrolled certificates).
    pub fn ca(&self) -> &Certificate {
        &self.ca
    }

    /// The certificate requests are encrypted to (the RA's, or the CA's).
    pub fn recipient(&self) -> &Certificate {
        &self.recipient
    }

    /// The certificates whose signatures on responses are accepted.
    pub fn signers(&self) -> &[Certificate] {
        &self.signers
    }

    /// Every certificate of the answer, in order.
    pub fn all(&self) -> &[Certificate] {
        &self.all
    }
}

/// SHA-256 over a certificate's DER.
pub(crate) fn fingerprint(c: &Certificate) -> Option<Vec<u8>> {
    c.as_openssl()
        .digest(MessageDigest::sha256())
        .ok()
        .map(|d| d.to_vec())
}

/// Reads a GetNextCACert body: a SignedData signed by the current CA whose content is a
/// degenerate PKCS#7 of the rollover certificates (RFC 8894, section 4.7). The signature
/// and the signer's chain are checked against `current_ca` (validity at the current time,
/// no purpose check).
///
/// # Errors
/// [`Error::Signing`] when the signature or chain does not verify, [`Error::Malformed`]
/// and [`Error::TooManyCertificates`] for the content.
pub fn next_ca_certificates(
    body: &[u8],
    current_ca: &Certificate,
) -> Result<Vec<Certificate>, Error> {
    let mut policy = mdm_signing::TrustPolicy::with_anchors([current_ca.clone()]);
    policy = policy.check_purpose(false);
    let verified = mdm_signing::verify(body, &policy)?;
    certificates_from_degenerate(verified.content())
}
