//! The one error type of this crate.

use crate::message::{FailInfo, MessageType, PkiStatus};

/// Why building, parsing, checking or exchanging a SCEP message failed.
///
/// Messages are lower case without a trailing period. Callers act on the variant or on the
/// predicates ([`Error::fail_info`], [`Error::is_retryable`]) instead of the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than the limit of the operation.
    #[error("input of {len} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// Size of the input.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The bytes are not the ASN.1 structure expected (garbage, truncated, wrong tags).
    #[error("malformed {what}")]
    Malformed {
        /// The structure being read (`pkiMessage`, `signerInfo`, `csr`...).
        what: &'static str,
    },
    /// A required signed attribute is absent.
    #[error("missing signed attribute {0}")]
    MissingAttribute(&'static str),
    /// A signed attribute has a value of the wrong form.
    #[error("bad value for signed attribute {0}")]
    BadAttribute(&'static str),
    /// The message is of another type than the one this step handles.
    #[error("unexpected message type {found} (expected {expected})")]
    UnexpectedMessageType {
        /// What was expected.
        expected: &'static str,
        /// What arrived.
        found: MessageType,
    },
    /// The SignedData names a signer whose certificate is neither included nor known.
    #[error("the signer certificate is not available")]
    SignerCertificateMissing,
    /// The digest of the content does not match the messageDigest attribute.
    #[error("content digest mismatch")]
    DigestMismatch,
    /// The signature over the signed attributes does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The response is signed by a certificate that is not the CA or one of its RA
    /// certificates.
    #[error("response signed by an untrusted certificate: {0}")]
    UntrustedSigner(String),
    /// The transaction id of a response is not the one of the request.
    #[error("transaction id mismatch")]
    TransactionIdMismatch,
    /// The recipientNonce of a response does not echo the request's senderNonce.
    #[error("recipient nonce does not match the sender nonce")]
    NonceMismatch,
    /// The EnvelopedData is not addressed to this key (another recipient).
    #[error("the enveloped data is for another recipient")]
    NotRecipient,
    /// The EnvelopedData could not be decrypted (wrong key, corrupted ciphertext).
    #[error("cannot decrypt: {0}")]
    Decrypt(String),
    /// The algorithm (cipher or digest) is not one this crate accepts, or the caller's
    /// policy refuses it (single DES unless allowed).
    #[error("algorithm refused: {0}")]
    AlgorithmRefused(String),
    /// The server answered FAILURE with this reason.
    #[error("request rejected by the ca: {fail_info}")]
    Rejected {
        /// The failInfo of the CertRep.
        fail_info: FailInfo,
        /// The failInfoText, when the server gave one.
        text: Option<String>,
    },
    /// The pkiStatus is not one this step can act on.
    #[error("unexpected pki status {0}")]
    UnexpectedStatus(PkiStatus),
    /// The request is still pending and the polling deadline has passed.
    #[error("request still pending at the deadline")]
    PendingTimeout,
    /// The issued certificate is not for the requested key, or missing.
    #[error("no issued certificate for the requested key")]
    NoIssuedCertificate,
    /// The CA certificate response is empty, or its fingerprint does not match the pin.
    #[error("ca certificate: {0}")]
    CaCertificate(String),
    /// A certificate chain has more certificates than the limit.
    #[error("{count} certificates exceed the limit of {limit}")]
    TooManyCertificates {
        /// Certificates seen before stopping.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A CSR could not be built or read.
    #[error("csr: {0}")]
    Csr(String),
    /// A value given by the caller is invalid (a transaction id with non-printable
    /// characters, an empty subject).
    #[error("invalid {what}: {message}")]
    Invalid {
        /// What was invalid.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// An HTTP exchange failed or the server answered with an unexpected status.
    #[error("http: {message}")]
    Http {
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// What happened.
        message: String,
    },
    /// A key, certificate or identity operation of `mdm-signing` failed.
    #[error("{0}")]
    Signing(String),
    /// OpenSSL failed in a step that does not depend on the input.
    #[error("openssl: {0}")]
    Crypto(String),
}

impl Error {
    /// The failInfo when the CA rejected the request.
    pub fn fail_info(&self) -> Option<&FailInfo> {
        match self {
            Error::Rejected { fail_info, .. } => Some(fail_info),
            _ => None,
        }
    }

    /// Says whether trying again later may succeed (network errors, server errors 5xx,
    /// pending at the deadline).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Http { status, .. } => status.is_none_or(|s| s >= 500),
            Error::PendingTimeout => true,
            _ => false,
        }
    }

    pub(crate) fn malformed(what: &'static str) -> Self {
        Error::Malformed { what }
    }
}

impl From<mdm_signing::Error> for Error {
    fn from(e: mdm_signing::Error) -> Self {
        Error::Signing(e.to_string())
    }
}

/// Maps an OpenSSL error queue from an input-independent step.
pub(crate) fn crypto(e: openssl::error::ErrorStack) -> Error {
    let parts: Vec<String> = e
        .errors()
        .iter()
        .map(|x| x.reason().map_or_else(|| x.to_string(), str::to_owned))
        .collect();
    Error::Crypto(if parts.is_empty() {
        "unknown openssl error".to_owned()
    } else {
        parts.join("; ")
    })
}
