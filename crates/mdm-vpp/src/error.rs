//! The one error type of this crate, Apple's error numbers, and the error body.
//!
//! Apple's table: <https://developer.apple.com/documentation/devicemanagement/handling-error-responses>.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::ids::EventId;
use crate::types::{Asset, MdmInfo};

macro_rules! error_numbers {
    ($( $(#[$doc:meta])* $variant:ident = $num:literal => $status:expr ),* $(,)?) => {
        /// An Apps and Books `errorNumber`, as an open enum: a variant per number this
        /// crate knows, [`ErrorNumber::Other`] for the rest (kept as sent).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorNumber {
            $( $(#[$doc])* $variant, )*
            /// A number this crate does not know.
            Other(i64),
        }

        impl ErrorNumber {
            /// Every number this crate knows, in ascending order.
            pub const KNOWN: &'static [ErrorNumber] = &[ $( ErrorNumber::$variant, )* ];

            /// The variant for a number as Apple sends it.
            pub fn from_number(n: i64) -> Self {
                match n {
                    $( $num => ErrorNumber::$variant, )*
                    other => ErrorNumber::Other(other),
                }
            }

            /// The number as Apple sends it.
            pub fn number(self) -> i64 {
                match self {
                    $( ErrorNumber::$variant => $num, )*
                    ErrorNumber::Other(n) => n,
                }
            }

            /// The HTTP status Apple documents for a synchronous answer with this number;
            /// `None` for numbers that occur only asynchronously (in `status` or in
            /// notifications), legacy numbers, and unknown ones.
            pub fn http_status(self) -> Option<u16> {
                match self {
                    $( ErrorNumber::$variant => $status, )*
                    ErrorNumber::Other(_) => None,
                }
            }
        }
    };
}

error_numbers! {
    /// 9601 (401): login required.
    LoginRequired = 9601 => Some(401),
    /// 9602 (400): an argument is invalid.
    InvalidArgument = 9602 => Some(400),
    /// 9603 (500): an internal error on Apple's side (also reported asynchronously).
    InternalError = 9603 => Some(500),
    /// 9609 (400): the registered user was not found.
    RegisteredUserNotFound = 9609 => Some(400),
    /// 9617 (legacy): the service URL moved.
    UrlMoved = 9617 => None,
    /// 9621 (401): the content token has expired.
    TokenExpired = 9621 => Some(401),
    /// 9622 (legacy): the authentication token is invalid.
    InvalidAuthenticationToken = 9622 => None,
    /// 9623 (400): the APNs token is invalid.
    InvalidApnsToken = 9623 => Some(400),
    /// 9625 (401): the content token has been revoked.
    TokenRevoked = 9625 => Some(401),
    /// 9630 (legacy): too many identical calls.
    TooManyIdenticalCalls9630 = 9630 => None,
    /// 9631 (legacy): too many identical calls.
    TooManyIdenticalCalls9631 = 9631 => None,
    /// 9632 (legacy): too many identical calls.
    TooManyIdenticalCalls9632 = 9632 => None,
    /// 9634 (410): the service has been removed.
    ServiceRemoved = 9634 => Some(410),
    /// 9635: reported asynchronously only.
    Async9635 = 9635 => None,
    /// 9637 (403): not allowed for a facilitator.
    NotAllowedForFacilitator = 9637 => Some(403),
    /// 9641: reported asynchronously only.
    Async9641 = 9641 => None,
    /// 9644: maintenance (asynchronous; a legacy number too).
    Maintenance = 9644 => None,
    /// 9646 (429): too many requests; back off.
    TooManyRequests = 9646 => Some(429),
    /// 9647 (403): not supported for legacy tokens.
    NotSupportedForLegacyTokens = 9647 => Some(403),
    /// 9650 (400): the page index is out of range.
    PageIndexOutOfRange = 9650 => Some(400),
    /// 9700 (400): a request limit of the service configuration was exceeded.
    LimitExceeded9700 = 9700 => Some(400),
    /// 9701 (400): a request limit of the service configuration was exceeded.
    LimitExceeded9701 = 9701 => Some(400),
    /// 9702 (400): a request limit of the service configuration was exceeded.
    LimitExceeded9702 = 9702 => Some(400),
    /// 9703 (400): the request holds duplicates.
    Duplicates9703 = 9703 => Some(400),
    /// 9704 (400): the request holds duplicates.
    Duplicates9704 = 9704 => Some(400),
    /// 9705 (400): the request holds duplicates.
    Duplicates9705 = 9705 => Some(400),
    /// 9706 (400): the asset is not revocable.
    NotRevocable = 9706 => Some(400),
    /// 9707 (400): the asset cannot be assigned to a device.
    NotDeviceAssignable = 9707 => Some(400),
    /// 9708 (400): no event with this `eventId`.
    EventNotFound = 9708 => Some(400),
    /// 9709: not enough licenses (reported asynchronously).
    NotEnoughLicenses = 9709 => None,
    /// 9710 (400): the notification URL and token must be given together.
    NotificationUrlAndTokenTogether = 9710 => Some(400),
    /// 9711 (400): a notification field is longer than `maxNotificationLength`.
    NotificationFieldTooLong = 9711 => Some(400),
    /// 9712 (400): request validation failed.
    Validation9712 = 9712 => Some(400),
    /// 9713 (400): an MDM field is too long.
    MdmFieldTooLong = 9713 => Some(400),
    /// 9714 (400): a request limit of the service configuration was exceeded.
    LimitExceeded9714 = 9714 => Some(400),
    /// 9715 (400): the request holds duplicates.
    Duplicates9715 = 9715 => Some(400),
    /// 9716: reported asynchronously only.
    Async9716 = 9716 => None,
    /// 9717 (400): request validation failed.
    Validation9717 = 9717 => Some(400),
    /// 9718 (400): request validation failed.
    Validation9718 = 9718 => Some(400),
    /// 9719 (400): request validation failed.
    Validation9719 = 9719 => Some(400),
    /// 9720 (400): request validation failed.
    Validation9720 = 9720 => Some(400),
    /// 9721 (400): request validation failed.
    Validation9721 = 9721 => Some(400),
    /// 9722 (401): the `Authorization` header is malformed.
    MalformedAuthorization = 9722 => Some(401),
    /// 9723 (400): an `mdmInfo` field is invalid.
    MdmInfo9723 = 9723 => Some(400),
    /// 9724 (400): an `mdmInfo` field is invalid.
    MdmInfo9724 = 9724 => Some(400),
    /// 9725 (400): an `mdmInfo` field is invalid.
    MdmInfo9725 = 9725 => Some(400),
    /// 9726 (405): the method is not allowed on this endpoint.
    MethodNotAllowed = 9726 => Some(405),
    /// 9727 (415): the content type is not `application/json`.
    UnsupportedContentType = 9727 => Some(415),
    /// 9728 (400): Apple could not deliver the test notification to the URL.
    NotificationUrlUnreachable = 9728 => Some(400),
    /// 9729 (503): the service is temporarily unavailable.
    TemporarilyUnavailable = 9729 => Some(503),
    /// 9811 (400): subscriptions.
    Subscriptions9811 = 9811 => Some(400),
    /// 9812 (400): the subscription cursor is invalid.
    InvalidCursor = 9812 => Some(400),
    /// 9813 (400): subscriptions.
    Subscriptions9813 = 9813 => Some(400),
    /// 9814 (400): subscriptions.
    Subscriptions9814 = 9814 => Some(400),
    /// 9815 (400): subscriptions.
    Subscriptions9815 = 9815 => Some(400),
    /// 9816 (400): a subscription limit was exceeded.
    SubscriptionLimitExceeded = 9816 => Some(400),
    /// 9817 (400): subscriptions.
    Subscriptions9817 = 9817 => Some(400),
    /// 9818 (400): subscriptions.
    Subscriptions9818 = 9818 => Some(400),
}

impl ErrorNumber {
    /// Whether the same request may succeed later: too many requests (9646), temporarily
    /// unavailable (9729), internal error (9603) and maintenance (9644).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorNumber::TooManyRequests
                | ErrorNumber::TemporarilyUnavailable
                | ErrorNumber::InternalError
                | ErrorNumber::Maintenance
        )
    }

    /// Whether the number says the content token was not accepted.
    pub fn is_unauthorized(self) -> bool {
        matches!(
            self,
            ErrorNumber::LoginRequired
                | ErrorNumber::TokenExpired
                | ErrorNumber::InvalidAuthenticationToken
                | ErrorNumber::TokenRevoked
                | ErrorNumber::MalformedAuthorization
        )
    }
}

impl fmt::Display for ErrorNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number())
    }
}

impl serde::Serialize for ErrorNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.number())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let n = <crate::ids::StringOrNumber as serde::Deserialize>::deserialize(d)?;
        let n = match n {
            crate::ids::StringOrNumber::Number(n) => n,
            crate::ids::StringOrNumber::String(s) => s
                .trim()
                .parse()
                .map_err(|_| D::Error::custom("errorNumber is not a number"))?,
        };
        let n = i64::try_from(n).map_err(|_| D::Error::custom("errorNumber out of range"))?;
        Ok(ErrorNumber::from_number(n))
    }
}

json_object! {
    /// Apple's error body (`ErrorResponse`): a synchronous answer, an entry of a status's
    /// `failures`, or the `error` of a notification.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ErrorResponse {
        /// The error number.
        ["errorNumber"] error_number: ErrorNumber,
        /// Apple's message (one message maps to one number, not the other way round).
        ["errorMessage", default] error_message: String,
        /// What in the request the error is about, when Apple says.
        ["errorInfo", default, skip_serializing_if = "Option::is_none"] error_info: Option<ResponseErrorInfo>,
    }
}

impl ErrorResponse {
    /// An error body with `number` and `message`.
    pub fn new(number: ErrorNumber, message: impl Into<String>) -> Self {
        ErrorResponse {
            error_number: number,
            error_message: message.into(),
            error_info: None,
            extra: crate::Extra::new(),
        }
    }
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {}: {}", self.error_number, self.error_message)
    }
}

json_object! {
    /// The items an error is about (`ResponseErrorInfo`).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ResponseErrorInfo {
        /// Assets of the request that failed.
        ["assets", default, skip_serializing_if = "Vec::is_empty"] assets: Vec<Asset>,
        /// User ids of the request that failed.
        ["clientUserIds", default, skip_serializing_if = "Vec::is_empty"] client_user_ids: Vec<String>,
        /// Serial numbers of the request that failed.
        ["serialNumbers", default, skip_serializing_if = "Vec::is_empty"] serial_numbers: Vec<String>,
    }
}

/// An error answer of the service: the HTTP status, Apple's error body and the
/// `Retry-After` that came with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status (200 when Apple put an error body in a success answer).
    pub status: u16,
    /// Apple's error body.
    pub response: ErrorResponse,
    /// The `Retry-After` header, when sent.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the apps and books service refused the request (http {}, error {}): {}",
            self.status, self.response.error_number, self.response.error_message
        )
    }
}

/// Everything that can go wrong in this crate.
///
/// Act on the predicates ([`Error::is_retryable`], [`Error::retry_after`],
/// [`Error::is_unauthorized`], [`Error::is_token_expired`], ...) rather than on messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value that does not have the shape its type requires.
    #[error("invalid {kind}: {reason}")]
    Invalid {
        /// What was being made (`content token`, `adamId`, `notification url`, ...).
        kind: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// An identifier refused by `mdm-types` (a serial number).
    #[error(transparent)]
    Types(#[from] mdm_types::Error),
    /// The content token has expired; no request was sent.
    #[error(
        "the content token expired on {expired_at}; download a new one from Apple Business or School Manager"
    )]
    TokenExpired {
        /// When it expired.
        expired_at: DateTime<Utc>,
    },
    /// The service answered with an error body (whatever the HTTP status, 200 included).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The service answered with an error status and no error body.
    #[error("the apps and books service answered http {status} without an error body")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header, when sent.
        retry_after: Option<Duration>,
    },
    /// A body that is not what the service documents.
    #[error("malformed {what} from the apps and books service: {detail}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// A body larger than the limit; reading stopped there.
    #[error("the body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The location is managed by another MDM (its `mdmInfo` is not ours).
    #[error("the location is managed by another mdm ({found}); this one is {expected}")]
    MdmConflict {
        /// Our `mdmInfo`.
        expected: Box<MdmInfo>,
        /// The `mdmInfo` the service reported.
        found: Box<MdmInfo>,
    },
    /// The data changed while pages were read (`versionId` differs from the first page).
    #[error(
        "the data changed while paging (version {first} on the first page, {now} on page {page}); read it again"
    )]
    VersionChanged {
        /// The `versionId` of the first page.
        first: String,
        /// The `versionId` of the page that differed.
        now: String,
        /// The page index that differed.
        page: u32,
    },
    /// A page arrived out of sequence (`currentPageIndex` or `nextPageIndex` not the next).
    #[error("page {found} arrived where page {expected} was expected")]
    PageOutOfOrder {
        /// The page index expected.
        expected: u32,
        /// The page index found.
        found: u32,
    },
    /// A request exceeds one of the service's published limits.
    #[error("{what} has {given}; the service allows {limit}")]
    LimitExceeded {
        /// What was too large.
        what: &'static str,
        /// The limit from the service configuration.
        limit: u64,
        /// What was given.
        given: u64,
    },
    /// The service configuration has no URL for an endpoint.
    #[error("the service configuration has no url for {0}")]
    MissingUrl(&'static str),
    /// An event was still pending when the waiter gave up; Apple asks to send the request
    /// again.
    #[error("event {event_id} is still pending after {} s; send the request again", waited.as_secs())]
    EventPending {
        /// The event.
        event_id: EventId,
        /// How long it was waited for.
        waited: Duration,
    },
    /// A bulk job failed part-way: the chunks before the failing one were accepted (their
    /// events are here and must still be followed); the rest were not sent.
    #[error("{} chunks were submitted, {unsent} were not: {cause}", events.len())]
    PartiallySubmitted {
        /// The events of the chunks the service accepted.
        events: Vec<EventId>,
        /// Chunks not submitted (the failing one included).
        unsent: usize,
        /// Why the failing chunk was refused.
        cause: Box<Error>,
    },
    /// A notification's `Authorization` header does not carry our bearer token.
    #[error("the notification does not carry the expected bearer token")]
    NotificationUnauthorized,
    /// No answer in time.
    #[error("the apps and books service did not answer in time")]
    Timeout,
    /// The connection failed or broke.
    #[error("connection to the apps and books service failed: {0}")]
    Connection(String),
    /// The client could not be set up.
    #[error("apps and books client configuration: {0}")]
    Config(String),
}

impl Error {
    pub(crate) fn invalid(kind: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            kind,
            reason: reason.into(),
        }
    }

    pub(crate) fn malformed(what: &'static str, detail: impl fmt::Display) -> Self {
        Error::Malformed {
            what,
            detail: detail.to_string(),
        }
    }

    /// Apple's error body, when the service sent one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::PartiallySubmitted { cause, .. } => cause.api_error(),
            _ => None,
        }
    }

    /// Apple's error number, when the service sent one.
    pub fn error_number(&self) -> Option<ErrorNumber> {
        self.api_error().map(|e| e.response.error_number)
    }

    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Http { status, .. } => Some(*status),
            Error::PartiallySubmitted { cause, .. } => cause.http_status(),
            _ => None,
        }
    }

    /// Whether the same request may succeed later: 9646 and HTTP 429, 5xx, 9729, a data
    /// change while paging, an event still pending, timeouts and broken connections.
    /// Apple processes nothing of a request it answers with an error, so resending one is
    /// safe.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => {
                e.response.error_number.is_retryable() || status_is_retryable(e.status)
            }
            Error::Http { status, .. } => status_is_retryable(*status),
            Error::VersionChanged { .. }
            | Error::EventPending { .. }
            | Error::Timeout
            | Error::Connection(_) => true,
            Error::PartiallySubmitted { cause, .. } => cause.is_retryable(),
            _ => false,
        }
    }

    /// How long the service asked to wait (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            Error::Http { retry_after, .. } => *retry_after,
            Error::PartiallySubmitted { cause, .. } => cause.retry_after(),
            _ => None,
        }
    }

    /// Whether the service is asking to slow down (9646 or HTTP 429).
    pub fn is_rate_limited(&self) -> bool {
        self.error_number() == Some(ErrorNumber::TooManyRequests) || self.http_status() == Some(429)
    }

    /// Whether the content token was not accepted (HTTP 401, or an expired, revoked,
    /// invalid or malformed token), including a token found expired before sending.
    pub fn is_unauthorized(&self) -> bool {
        match self {
            Error::TokenExpired { .. } => true,
            Error::Api(e) => e.status == 401 || e.response.error_number.is_unauthorized(),
            Error::Http { status, .. } => *status == 401,
            Error::PartiallySubmitted { cause, .. } => cause.is_unauthorized(),
            _ => false,
        }
    }

    /// Whether the content token has expired (found before sending, or 9621).
    pub fn is_token_expired(&self) -> bool {
        matches!(self, Error::TokenExpired { .. })
            || matches!(self, Error::PartiallySubmitted { cause, .. } if cause.is_token_expired())
            || self.error_number() == Some(ErrorNumber::TokenExpired)
    }

    /// Whether the content token was revoked (9625): download a new one.
    pub fn is_token_revoked(&self) -> bool {
        self.error_number() == Some(ErrorNumber::TokenRevoked)
    }

    /// Whether the content token is not valid at all (9622, 9601 or a malformed header,
    /// 9722).
    pub fn is_token_invalid(&self) -> bool {
        matches!(
            self.error_number(),
            Some(
                ErrorNumber::InvalidAuthenticationToken
                    | ErrorNumber::LoginRequired
                    | ErrorNumber::MalformedAuthorization
            )
        )
    }

    /// Whether another MDM manages the location.
    pub fn is_mdm_conflict(&self) -> bool {
        match self {
            Error::MdmConflict { .. } => true,
            Error::PartiallySubmitted { cause, .. } => cause.is_mdm_conflict(),
            _ => false,
        }
    }

    /// The events already accepted when a bulk job failed part-way.
    pub fn submitted_events(&self) -> &[EventId] {
        match self {
            Error::PartiallySubmitted { events, .. } => events,
            _ => &[],
        }
    }

    /// Whether a paged read saw the data change and must start over.
    pub fn is_version_changed(&self) -> bool {
        matches!(self, Error::VersionChanged { .. })
    }
}

pub(crate) fn status_is_retryable(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in ErrorNumber::KNOWN {
            assert_eq!(ErrorNumber::from_number(n.number()), *n);
        }
        assert_eq!(ErrorNumber::from_number(1), ErrorNumber::Other(1));
        assert_eq!(ErrorNumber::TooManyRequests.http_status(), Some(429));
        assert_eq!(ErrorNumber::NotEnoughLicenses.http_status(), None);
        let mut sorted = ErrorNumber::KNOWN.to_vec();
        sorted.sort_by_key(|n| n.number());
        assert_eq!(sorted, ErrorNumber::KNOWN);
    }

    #[test]
    fn predicates() {
        let api = |status, n: i64, ra| {
            Error::Api(Box::new(ApiError {
                status,
                response: ErrorResponse::new(ErrorNumber::from_number(n), "x"),
                retry_after: ra,
            }))
        };
        let e = api(429, 9646, Some(Duration::from_secs(3)));
        assert!(e.is_retryable() && e.is_rate_limited());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(api(200, 9621, None).is_token_expired());
        assert!(api(200, 9621, None).is_unauthorized());
        assert!(api(401, 9625, None).is_token_revoked());
        assert!(api(200, 9622, None).is_token_invalid());
        assert!(!api(400, 9602, None).is_retryable());
        assert!(api(503, 9729, None).is_retryable());
        assert!(
            Error::Http {
                status: 502,
                retry_after: None
            }
            .is_retryable()
        );
        assert_eq!(
            api(400, 9602, None).to_string(),
            "the apps and books service refused the request (http 400, error 9602): x"
        );
    }
}
