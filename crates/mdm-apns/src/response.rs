//! What APNs answered: a delivery, or a rejection with its reason.
//!
//! See Apple's [Handling notification responses from APNs](https://developer.apple.com/documentation/usernotifications/handling-notification-responses-from-apns)
//! for the statuses and reason strings.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{Error, status_is_retryable};

/// Largest response body read, in bytes. APNs error bodies are a few dozen bytes; anything
/// longer is refused with [`Error::ResponseTooLarge`].
pub const MAX_RESPONSE_BODY: usize = 16 * 1024;

/// Longest `retry-after` honoured (one hour); larger values are clamped.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

macro_rules! reasons {
    ($( $(#[$doc:meta])* $variant:ident ),* $(,)?) => {
        /// The `reason` string of an APNs error body, as an open enum: a variant per value
        /// Apple documents, and [`Reason::Other`] for anything else (kept as sent).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Reason {
            $( $(#[$doc])* $variant, )*
            /// A reason this crate does not know, kept verbatim.
            Other(String),
        }

        impl Reason {
            /// Every documented reason, in the order of Apple's table.
            pub const KNOWN: &'static [Reason] = &[ $( Reason::$variant, )* ];

            /// The reason for a string as APNs sends it.
            pub fn from_apns(s: &str) -> Reason {
                match s {
                    $( stringify!($variant) => Reason::$variant, )*
                    other => Reason::Other(other.to_owned()),
                }
            }

            /// The string APNs sends for this reason.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Reason::$variant => stringify!($variant), )*
                    Reason::Other(s) => s,
                }
            }
        }
    };
}

reasons! {
    /// 400: the `apns-collapse-id` is too long.
    BadCollapseId,
    /// 400: the token is malformed, or belongs to the other environment.
    BadDeviceToken,
    /// 400: the `apns-expiration` value is invalid.
    BadExpirationDate,
    /// 400: the `apns-id` value is invalid.
    BadMessageId,
    /// 400: the `apns-priority` value is invalid.
    BadPriority,
    /// 400: the `apns-topic` value is invalid.
    BadTopic,
    /// 400: the token was issued for another topic.
    DeviceTokenNotForTopic,
    /// 400: a header appeared twice.
    DuplicateHeaders,
    /// 400: the connection sat idle too long.
    IdleTimeout,
    /// 400: the `apns-push-type` value is invalid.
    InvalidPushType,
    /// 400: the path has no device token.
    MissingDeviceToken,
    /// 400: `apns-topic` was required and missing.
    MissingTopic,
    /// 400: the body was empty.
    PayloadEmpty,
    /// 400: pushing to this topic is not allowed.
    TopicDisallowed,
    /// 403: the client certificate is not accepted.
    BadCertificate,
    /// 403: the client certificate is for the other environment.
    BadCertificateEnvironment,
    /// 403: the provider token is stale (token authentication only).
    ExpiredProviderToken,
    /// 403: the action is not allowed.
    Forbidden,
    /// 403: the provider token is invalid (token authentication only).
    InvalidProviderToken,
    /// 403: no certificate and no provider token.
    MissingProviderToken,
    /// 403: the provider token's key id is not related to the team (token authentication).
    UnrelatedKeyIdInToken,
    /// 403: the provider token's key is for the other environment (token authentication).
    BadEnvironmentKeyInToken,
    /// 404: the path is invalid.
    BadPath,
    /// 405: the method was not `POST`.
    MethodNotAllowed,
    /// 410: the token has expired.
    ExpiredToken,
    /// 410: the token is no longer active for the topic.
    Unregistered,
    /// 413: the body is too large.
    PayloadTooLarge,
    /// 429: the provider token changed too often.
    TooManyProviderTokenUpdates,
    /// 429: too many requests for the same device token.
    TooManyRequests,
    /// 500: APNs failed internally.
    InternalServerError,
    /// 503: APNs is unavailable.
    ServiceUnavailable,
    /// 503: the APNs server is shutting down.
    Shutdown,
}

impl Reason {
    /// Whether this reason is transient, so the same push may succeed later. For
    /// [`Reason::Other`] the answer comes from the status (see [`Rejection::is_retryable`]).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Reason::IdleTimeout
                | Reason::TooManyProviderTokenUpdates
                | Reason::TooManyRequests
                | Reason::InternalServerError
                | Reason::ServiceUnavailable
                | Reason::Shutdown
        )
    }

    /// Whether the device token is dead for this topic and endpoint: the server should stop
    /// pushing to it until the device sends a new token.
    pub fn is_device_gone(&self) -> bool {
        matches!(
            self,
            Reason::BadDeviceToken
                | Reason::DeviceTokenNotForTopic
                | Reason::ExpiredToken
                | Reason::Unregistered
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A push APNs accepted (status 200).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivery {
    /// The `apns-id` APNs answered with (the request's, or one APNs made); `None` when the
    /// header is missing or not a UUID.
    pub apns_id: Option<Uuid>,
    /// `apns-unique-id` (development environment only).
    pub unique_id: Option<String>,
}

/// A push APNs turned down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The HTTP status.
    pub status: u16,
    /// Why.
    pub reason: Reason,
    /// For 410: when APNs last knew the token to be valid.
    pub timestamp: Option<DateTime<Utc>>,
    /// The `apns-id` of the response, when present and a UUID.
    pub apns_id: Option<Uuid>,
    /// The `retry-after` header in seconds, when present (clamped to [`MAX_RETRY_AFTER`]).
    pub retry_after: Option<Duration>,
}

impl Rejection {
    /// Whether sending the same push again later may succeed: a transient reason, or an
    /// unknown reason with status 429 or 5xx.
    pub fn is_retryable(&self) -> bool {
        match &self.reason {
            Reason::Other(_) => status_is_retryable(self.status),
            known => known.is_retryable(),
        }
    }

    /// Whether sending the same push again can never succeed.
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.reason)?;
        if let Some(ts) = self.timestamp {
            write!(f, " (token last valid {})", ts.to_rfc3339())?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    reason: Option<String>,
    timestamp: Option<serde_json::Value>,
}

/// Reads an APNs response: status, headers (`apns-id`, `apns-unique-id`, `retry-after`)
/// and body.
///
/// # Errors
/// [`Error::Rejected`] for any status but 200 with a JSON reason;
/// [`Error::MalformedResponse`] when a failure body is not the JSON APNs sends;
/// [`Error::ResponseTooLarge`] for a body longer than [`MAX_RESPONSE_BODY`].
pub fn parse_response_parts(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Delivery, Error> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let apns_id = text("apns-id").and_then(|v| Uuid::try_parse(v.trim()).ok());
    match parse_response_body(status, body) {
        Ok(mut delivery) => {
            delivery.apns_id = apns_id;
            delivery.unique_id = text("apns-unique-id").map(str::to_owned);
            Ok(delivery)
        }
        Err(Error::Rejected(mut rejection)) => {
            rejection.apns_id = apns_id;
            rejection.retry_after = text("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
            Err(Error::Rejected(rejection))
        }
        Err(e) => Err(e),
    }
}

/// Reads an APNs response from an [`http::Response`]; see [`parse_response_parts`].
///
/// # Errors
/// As [`parse_response_parts`].
pub fn parse_response<B: AsRef<[u8]>>(response: &http::Response<B>) -> Result<Delivery, Error> {
    parse_response_parts(
        response.status().as_u16(),
        response.headers(),
        response.body().as_ref(),
    )
}

/// Reads an APNs response from its status and body alone (no headers).
///
/// # Errors
/// As [`parse_response_parts`].
pub fn parse_response_body(status: u16, body: &[u8]) -> Result<Delivery, Error> {
    if body.len() > MAX_RESPONSE_BODY {
        return Err(Error::ResponseTooLarge {
            limit: MAX_RESPONSE_BODY,
        });
    }
    if status == 200 {
        return Ok(Delivery::default());
    }
    let malformed = |detail: String| Error::MalformedResponse { status, detail };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed("empty body".to_owned()));
    }
    let parsed: ErrorBody =
        serde_json::from_slice(body).map_err(|e| malformed(format!("not apns json: {e}")))?;
    let reason = parsed
        .reason
        .ok_or_else(|| malformed("no reason in the body".to_owned()))?;
    let timestamp = parsed
        .timestamp
        .and_then(|v| v.as_i64())
        .and_then(DateTime::from_timestamp_millis);
    Err(Error::Rejected(Rejection {
        status,
        reason: Reason::from_apns(&reason),
        timestamp,
        apns_id: None,
        retry_after: None,
    }))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rejection(status: u16, body: &str) -> Rejection {
        match parse_response_body(status, body.as_bytes()) {
            Err(Error::Rejected(r)) => r,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn every_known_reason_round_trips() {
        assert_eq!(Reason::KNOWN.len(), 32);
        for r in Reason::KNOWN {
            assert_eq!(&Reason::from_apns(r.as_str()), r);
            assert!(!matches!(r, Reason::Other(_)));
        }
        assert_eq!(
            Reason::from_apns("SomethingNew"),
            Reason::Other("SomethingNew".into())
        );
        assert_eq!(Reason::from_apns("SomethingNew").as_str(), "SomethingNew");
    }

    #[test]
    fn ok_is_delivery() {
        let resp = http::Response::builder()
            .status(200)
            .header("apns-id", "12345678-9ABC-DEF0-1234-56789ABCDEF0")
            .header("apns-unique-id", "a-b")
            .body(Vec::new())
            .unwrap();
        let d = parse_response(&resp).unwrap();
        assert_eq!(
            d.apns_id,
            Some(Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0))
        );
        assert_eq!(d.unique_id.as_deref(), Some("a-b"));
    }

    #[test]
    fn unregistered_with_timestamp() {
        let r = rejection(
            410,
            r#"{"reason":"Unregistered","timestamp":1700000000123}"#,
        );
        assert_eq!(r.reason, Reason::Unregistered);
        assert_eq!(r.timestamp.unwrap().timestamp_millis(), 1_700_000_000_123);
        assert!(r.is_permanent());
        let e = Error::Rejected(r);
        assert!(e.is_device_gone() && e.is_permanent() && !e.is_retryable());
    }

    #[test]
    fn classification() {
        for (status, reason, retry) in [
            (400, "BadDeviceToken", false),
            (400, "IdleTimeout", true),
            (403, "BadCertificate", false),
            (403, "BadTopic", false),
            (413, "PayloadTooLarge", false),
            (429, "TooManyRequests", true),
            (500, "InternalServerError", true),
            (503, "ServiceUnavailable", true),
            (503, "Shutdown", true),
            (503, "BrandNew", true),
            (400, "BrandNew", false),
        ] {
            let r = rejection(status, &format!(r#"{{"reason":"{reason}"}}"#));
            assert_eq!(r.is_retryable(), retry, "{status} {reason}");
            assert_eq!(r.is_permanent(), !retry, "{status} {reason}");
        }
    }

    #[test]
    fn headers_on_rejection() {
        let resp = http::Response::builder()
            .status(429)
            .header("apns-id", "not a uuid")
            .header("retry-after", "999999")
            .body(br#"{"reason":"TooManyRequests"}"#.to_vec())
            .unwrap();
        match parse_response(&resp) {
            Err(e @ Error::Rejected(_)) => {
                assert_eq!(e.retry_after(), Some(MAX_RETRY_AFTER));
                assert!(e.is_retryable());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_bodies() {
        for (status, body) in [
            (400, ""),
            (400, "not json"),
            (400, "{\"reason\":"),
            (400, "{}"),
            (400, "{\"reason\":5}"),
            (503, "<html>busy</html>"),
        ] {
            let e = parse_response_body(status, body.as_bytes()).unwrap_err();
            assert!(
                matches!(e, Error::MalformedResponse { .. }),
                "{body:?}: {e:?}"
            );
            assert_eq!(e.is_retryable(), status == 503);
        }
        // A strange timestamp is dropped, the reason kept.
        let r = rejection(410, r#"{"reason":"Unregistered","timestamp":"yesterday"}"#);
        assert_eq!(r.timestamp, None);
        let r = rejection(410, r#"{"reason":"Unregistered","timestamp":1e300}"#);
        assert_eq!(r.timestamp, None);
    }

    #[test]
    fn oversized_body() {
        let big = vec![b' '; MAX_RESPONSE_BODY + 1];
        assert_eq!(
            parse_response_body(400, &big),
            Err(Error::ResponseTooLarge {
                limit: MAX_RESPONSE_BODY
            })
        );
    }

    proptest! {
        #[test]
        fn never_panics(status in 0u16..1000, body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_response_body(status, &body);
        }

        #[test]
        fn reasons_round_trip(s in "[A-Za-z]{0,40}") {
            let r = Reason::from_apns(&s);
            prop_assert_eq!(r.as_str(), s.as_str());
        }
    }
}
