//! The one error type of this crate.

use std::time::Duration;

use crate::response::Rejection;

/// Everything that can go wrong while making a push identity, building a push or sending it.
///
/// Callers act on the predicates ([`Error::is_retryable`], [`Error::is_permanent`],
/// [`Error::is_device_gone`]) rather than on the message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A device token, push magic or topic that is not valid (the inner error says which
    /// and why).
    #[error(transparent)]
    InvalidId(#[from] mdm_types::Error),
    /// The certificate, key or PKCS#12 file could not be read, or the key is not the
    /// certificate's (the inner error says which: a wrong password, a damaged file ...).
    #[error("cannot load the push identity: {0}")]
    Identity(#[from] mdm_signing::Error),
    /// The push certificate has no UID attribute holding an MDM topic.
    #[error("the push certificate has no MDM topic in its UID attribute")]
    NoTopicInCertificate,
    /// A device reported a topic other than the one in the push certificate.
    #[error("topic mismatch: the push certificate is for {expected}, the device sent {found}")]
    TopicMismatch {
        /// The topic in the push certificate.
        expected: String,
        /// The topic the device sent.
        found: String,
    },
    /// APNs turned the push down (any status other than 200 with a readable reason).
    #[error("apns rejected the push: {0}")]
    Rejected(Rejection),
    /// The response could not be understood (a non-200 status without a JSON reason, or a
    /// body that is not the JSON APNs sends).
    #[error("malformed apns response (status {status}): {detail}")]
    MalformedResponse {
        /// The HTTP status of the response.
        status: u16,
        /// What was wrong with it.
        detail: String,
    },
    /// The response body was longer than the limit; reading stopped there.
    #[error("apns response body is larger than {limit} bytes")]
    ResponseTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// No answer arrived in time.
    #[error("apns request timed out")]
    Timeout,
    /// The connection failed, was reset or was closed (GOAWAY) before an answer arrived.
    #[error("apns connection failed: {0}")]
    Connection(String),
    /// The client could not be set up (bad base URL, TLS configuration).
    #[error("apns client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether sending the same push again later may succeed: timeouts, connection loss,
    /// 429, 500, 503 and the like.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Rejected(r) => r.is_retryable(),
            Error::MalformedResponse { status, .. } => status_is_retryable(*status),
            Error::Timeout | Error::Connection(_) => true,
            _ => false,
        }
    }

    /// Whether sending the same push again can never succeed (every rejection that is not
    /// retryable, and every error in the input or configuration).
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }

    /// Whether APNs said the device token is no longer usable for this topic, so the
    /// server should stop pushing to it until the device sends a new `TokenUpdate`.
    pub fn is_device_gone(&self) -> bool {
        matches!(self, Error::Rejected(r) if r.reason.is_device_gone())
    }

    /// How long APNs asked the caller to wait (a `retry-after` header), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Rejected(r) => r.retry_after,
            _ => None,
        }
    }
}

/// Statuses that are worth retrying when no reason says otherwise.
pub(crate) fn status_is_retryable(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}
