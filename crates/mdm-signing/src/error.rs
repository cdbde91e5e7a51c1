//! The one error type of this crate.

use openssl::error::ErrorStack;

/// Why a signing, verifying, encrypting, decrypting or loading step failed.
///
/// Verification failures name the check that failed ([`Error::failed_check`]), so a server
/// can log or answer with the reason without matching on strings. Messages are lower case
/// without a trailing period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than the size limit of the operation.
    #[error("input of {len} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// Size of the input.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The bytes are not a CMS / PKCS#7 structure OpenSSL can decode (truncated, garbage,
    /// wrong tags), or not the DER the [`der`](crate::der) reader was asked for (then the
    /// text names the structure).
    #[error("malformed cms structure: {0}")]
    Malformed(String),
    /// The structure is CMS, but of another content type than the one expected.
    #[error("not cms {expected}: content type is {found}")]
    WrongContentType {
        /// What the operation needs (`signedData`, `envelopedData`).
        expected: &'static str,
        /// The content type found, as an OID name or dotted string.
        found: String,
    },
    /// The SignedData has no SignerInfo.
    #[error("signed data has no signers")]
    NoSigners,
    /// A signer's certificate is not in the SignedData (nor among the extra certificates).
    #[error("the signer certificate is not included")]
    SignerCertificateMissing,
    /// A signed data without embedded content was given where content is needed, or the
    /// detached content is missing.
    #[error("signed data has no embedded content")]
    NoContent,
    /// The digest of the content does not match the signed message-digest attribute.
    #[error("content digest mismatch")]
    DigestMismatch,
    /// The signed data names a digest or signature algorithm this crate does not verify
    /// with. Digests: SHA-1, SHA-224, SHA-256, SHA-384, SHA-512; signatures: RSA (PKCS #1
    /// v1.5 or PSS) and ECDSA. Checked before OpenSSL sees the structure.
    #[error("unsupported {kind} algorithm {oid} in {field}")]
    UnsupportedAlgorithm {
        /// `"digest"` or `"signature"`.
        kind: &'static str,
        /// The algorithm's OID, dotted.
        oid: String,
        /// Where it was found (`digestAlgorithms`, a signer's `digestAlgorithm` or
        /// `signatureAlgorithm`).
        field: &'static str,
    },
    /// The signature value does not verify with the signer's public key.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The signer's certificate chain does not lead to a trusted anchor, or is invalid at
    /// the verification time.
    #[error("untrusted certificate chain: {0}")]
    Chain(ChainFailure),
    /// A private key, certificate or PKCS#12 file could not be read.
    #[error("cannot load {what}: {message}")]
    Load {
        /// What was being loaded (`certificate`, `private key`, `pkcs12`).
        what: &'static str,
        /// What OpenSSL reported.
        message: String,
    },
    /// The PKCS#12 password is wrong (the MAC does not verify).
    #[error("pkcs12 password is wrong")]
    Pkcs12Password,
    /// The PKCS#12 file uses legacy encryption (RC2, RC4, single DES) and OpenSSL's legacy
    /// provider is not available on this system.
    #[error(
        "pkcs12 uses legacy encryption (rc2/des) and the openssl legacy provider cannot be loaded; \
         re-export it with aes (openssl pkcs12 -legacy -in old.p12 | openssl pkcs12 -export)"
    )]
    LegacyPkcs12,
    /// The PKCS#12 file holds no private key or no certificate.
    #[error("pkcs12 holds no {0}")]
    Pkcs12Incomplete(&'static str),
    /// The private key does not belong to the certificate.
    #[error("private key does not match the certificate")]
    KeyMismatch,
    /// The key type cannot be used (only RSA and elliptic-curve keys sign).
    #[error("unsupported key type {0}")]
    UnsupportedKey(String),
    /// The CMS EnvelopedData could not be decrypted with the given identity (not a
    /// recipient, wrong key, corrupted ciphertext).
    #[error("cannot decrypt: {0}")]
    Decrypt(String),
    /// The identity's certificate is not among the envelope's recipients: it was encrypted
    /// to another certificate.
    #[error(
        "cannot decrypt: {certificate} is not a recipient of this envelope \
         ({recipients} other recipient(s)); it was encrypted to another certificate"
    )]
    NotRecipient {
        /// The subject of the certificate that was tried.
        certificate: String,
        /// How many issuer-and-serial recipients the envelope names.
        recipients: usize,
    },
    /// The profile plist is malformed or lacks the key the operation works on.
    #[error("profile: {0}")]
    Profile(String),
    /// An HTTP header value (`Mdm-Signature`, a client-certificate header) is not in the
    /// expected encoding.
    #[error("bad header value: {0}")]
    Header(String),
    /// OpenSSL failed in a step that does not depend on the input (allocation, a missing
    /// algorithm).
    #[error("openssl: {0}")]
    Crypto(String),
}

/// Which part of certificate-chain validation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainFailure {
    /// A certificate in the chain expired before the verification time.
    #[error("certificate expired at the verification time")]
    Expired,
    /// A certificate in the chain is not yet valid at the verification time.
    #[error("certificate not yet valid at the verification time")]
    NotYetValid,
    /// The chain ends at a certificate that is not a trust anchor (unknown issuer or a
    /// self-signed certificate that was not given as an anchor).
    #[error("no path to a trust anchor")]
    UntrustedRoot,
    /// The signer certificate is not allowed for S/MIME signing (extended key usage).
    #[error("certificate not allowed for this purpose")]
    InvalidPurpose,
    /// A certificate's signature does not verify with its issuer's key.
    #[error("certificate signature does not verify")]
    BadCertificateSignature,
    /// The chain is longer than the depth limit.
    #[error("chain too long")]
    TooLong,
    /// Any other X.509 verification error, with OpenSSL's code and text.
    #[error("{message} (x509 error {code})")]
    Other {
        /// OpenSSL's `X509_V_ERR_*` code.
        code: i32,
        /// OpenSSL's description.
        message: String,
    },
}

impl Error {
    /// A short, stable name of the check that failed during verification, or `None` for
    /// errors that are not verification outcomes.
    ///
    /// Values: `"format"`, `"not-signed-data"`, `"no-signers"`, `"signer-certificate"`,
    /// `"digest"`, `"algorithm"`, `"signature"`, `"expired"`, `"not-yet-valid"`,
    /// `"untrusted-chain"`, `"purpose"`, `"size"`.
    pub fn failed_check(&self) -> Option<&'static str> {
        Some(match self {
            Error::Malformed(_) | Error::NoContent => "format",
            Error::WrongContentType { .. } => "not-signed-data",
            Error::NoSigners => "no-signers",
            Error::SignerCertificateMissing => "signer-certificate",
            Error::DigestMismatch => "digest",
            Error::UnsupportedAlgorithm { .. } => "algorithm",
            Error::BadSignature(_) => "signature",
            Error::Chain(ChainFailure::Expired) => "expired",
            Error::Chain(ChainFailure::NotYetValid) => "not-yet-valid",
            Error::Chain(ChainFailure::InvalidPurpose) => "purpose",
            Error::Chain(_) => "untrusted-chain",
            Error::TooLarge { .. } => "size",
            _ => return None,
        })
    }

    /// Says whether the signature itself is fine and only trust in the signer failed
    /// (chain, validity period, purpose).
    pub fn is_trust_failure(&self) -> bool {
        matches!(self, Error::Chain(_))
    }
}

/// What [`describe`] says when OpenSSL left no reason on its error queue.
pub(crate) const UNKNOWN_OPENSSL_ERROR: &str = "openssl gave no reason";

/// OpenSSL's error queue flattened to one line: each entry's reason, or its full text.
pub(crate) fn describe(stack: &ErrorStack) -> String {
    let parts: Vec<String> = stack
        .errors()
        .iter()
        .map(|e| match e.reason() {
            Some(r) => r.to_owned(),
            None => e.to_string(),
        })
        .collect();
    if parts.is_empty() {
        UNKNOWN_OPENSSL_ERROR.to_owned()
    } else {
        parts.join("; ")
    }
}

/// Whether any entry on the error queue has this reason text.
pub(crate) fn has_reason(stack: &ErrorStack, reason: &str) -> bool {
    stack.errors().iter().any(|e| e.reason() == Some(reason))
}

/// Maps an error queue from an internal, input-independent step.
pub(crate) fn crypto(stack: ErrorStack) -> Error {
    Error::Crypto(describe(&stack))
}
