//! The one error type of this crate, the JSON:API error list Apple answers with, the
//! RFC 6749 error body of the token endpoint, and reading `Retry-After`.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::json::Extra;

/// Most bytes of an error body kept in [`ApiError::body`] and read for the error list.
pub const MAX_ERROR_BODY: usize = 16 * 1024;

/// Longest wait a `Retry-After` header may ask for before it is clamped (one day).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// Where in the request an error points: a JSON pointer into the body, or a query
/// parameter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorSource {
    /// A JSON pointer (RFC 6901) into the request body, such as `/data/attributes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The query parameter at fault, such as `limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One entry of a JSON:API error list (`errors[]`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorObject {
    /// An id for this occurrence, when Apple gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The HTTP status, as a string (`"409"`).
    #[serde(default)]
    pub status: String,
    /// The machine-readable code, dot-separated from general to specific
    /// (`ENTITY_ERROR.ATTRIBUTE.INVALID`); see [`ErrorObject::code_parts`].
    #[serde(default)]
    pub code: String,
    /// A short summary.
    #[serde(default)]
    pub title: String,
    /// What went wrong in this occurrence.
    #[serde(default)]
    pub detail: String,
    /// What part of the request caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ErrorSource>,
    /// `about` and `associated` links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<serde_json::Value>,
    /// Free-form details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ErrorObject {
    /// The code split at its dots: `ENTITY_ERROR.ATTRIBUTE.INVALID` gives
    /// `["ENTITY_ERROR", "ATTRIBUTE", "INVALID"]`.
    pub fn code_parts(&self) -> impl Iterator<Item = &str> {
        self.code.split('.').filter(|p| !p.is_empty())
    }

    /// Whether the code is `prefix` or lies under it (`ENTITY_ERROR` matches
    /// `ENTITY_ERROR.ATTRIBUTE.INVALID`, `ENTITY` does not).
    pub fn code_is_under(&self, prefix: &str) -> bool {
        self.code == prefix
            || self
                .code
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'))
    }
}

/// The error body of the API: `{"errors": [...]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The errors, in Apple's order.
    #[serde(default)]
    pub errors: Vec<ErrorObject>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl ErrorResponse {
    /// Reads an error body.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] when the bytes are not this JSON, or longer than
    /// [`MAX_ERROR_BODY`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_ERROR_BODY {
            return Err(Error::ResponseTooLarge {
                limit: MAX_ERROR_BODY,
            });
        }
        crate::json::decode("error", bytes)
    }

    /// Writes the body as JSON.
    ///
    /// # Errors
    /// Never in practice; [`Error::InvalidRequest`] if serialization fails.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::json::encode(self)
    }
}

/// An error answer from the API: the HTTP status, the error list when the body held one,
/// the body as text, and the wait the server asked for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The JSON:API errors (empty when the body was not an error list).
    pub errors: Vec<ErrorObject>,
    /// The body as text (lossy UTF-8, trimmed, cut at [`MAX_ERROR_BODY`] bytes).
    pub body: String,
    /// The wait from a `Retry-After` header, in seconds or as an HTTP date.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Reads an error response: status, headers (for `Retry-After`, relative to `now`) and
    /// body.
    ///
    /// ```
    /// let body = br#"{"errors":[{"status":"409","code":"ENTITY_ERROR.ATTRIBUTE.INVALID",
    ///     "title":"invalid","detail":"bad serial"}]}"#;
    /// let e = mdm_axm::ApiError::from_parts(409, &http::HeaderMap::new(), body, chrono::Utc::now());
    /// assert_eq!(e.code(), Some("ENTITY_ERROR.ATTRIBUTE.INVALID"));
    /// ```
    pub fn from_parts(
        status: u16,
        headers: &http::HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Self {
        let cut = body.get(..MAX_ERROR_BODY).unwrap_or(body);
        let errors = ErrorResponse::decode(cut)
            .map(|r| r.errors)
            .unwrap_or_default();
        ApiError {
            status,
            errors,
            body: String::from_utf8_lossy(cut).trim().to_owned(),
            retry_after: headers
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now)),
        }
    }

    /// The code of the first error, if any.
    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }

    /// Whether any error's code is `prefix` or lies under it (see
    /// [`ErrorObject::code_is_under`]).
    pub fn has_code_under(&self, prefix: &str) -> bool {
        self.errors.iter().any(|e| e.code_is_under(prefix))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http {}", self.status)?;
        match self.errors.first() {
            Some(e) => {
                write!(f, " {}", e.code)?;
                let text = if e.detail.is_empty() {
                    &e.title
                } else {
                    &e.detail
                };
                if !text.is_empty() {
                    let short: String = text.chars().take(200).collect();
                    write!(f, ": {short}")?;
                }
                if self.errors.len() > 1 {
                    write!(f, " (and {} more)", self.errors.len() - 1)?;
                }
            }
            None if !self.body.is_empty() => {
                let short: String = self.body.chars().take(200).collect();
                write!(f, " {short:?}")?;
            }
            None => {}
        }
        if let Some(d) = self.retry_after {
            write!(f, " (retry after {} s)", d.as_secs())?;
        }
        Ok(())
    }
}

mdm_plist::open_enum! {
    /// The `error` of an RFC 6749 error body (section 5.2).
    pub enum OAuthErrorCode {
        /// The request is missing a parameter or is malformed.
        InvalidRequest = "invalid_request",
        /// The client assertion was refused (bad signature, claim, key or expiry).
        InvalidClient = "invalid_client",
        /// The grant is not valid.
        InvalidGrant = "invalid_grant",
        /// The client may not use this grant type.
        UnauthorizedClient = "unauthorized_client",
        /// The grant type is not supported.
        UnsupportedGrantType = "unsupported_grant_type",
        /// The scope is not valid for this client.
        InvalidScope = "invalid_scope",
    }
}

/// The error body of the token endpoint: `{error, error_description?, error_uri?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OAuthError {
    /// The error code.
    pub error: OAuthErrorCode,
    /// Human-readable detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// A page about the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl OAuthError {
    /// An error body with this code and nothing else.
    pub fn new(error: OAuthErrorCode) -> Self {
        OAuthError {
            error,
            error_description: None,
            error_uri: None,
            extra: Extra::new(),
        }
    }

    /// Sets `error_description`.
    pub fn with_error_description(mut self, text: impl Into<String>) -> Self {
        self.error_description = Some(text.into());
        self
    }

    /// Reads the body.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] when it is not this JSON.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_ERROR_BODY {
            return Err(Error::ResponseTooLarge {
                limit: MAX_ERROR_BODY,
            });
        }
        crate::json::decode("token error", bytes)
    }

    /// Writes the body as JSON.
    ///
    /// # Errors
    /// Never in practice.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::json::encode(self)
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.error.as_str())?;
        if let Some(d) = &self.error_description {
            let short: String = d.chars().take(200).collect();
            write!(f, ": {short}")?;
        }
        Ok(())
    }
}

/// Everything that can go wrong reading a key, signing an assertion, building a request or
/// reading a response.
///
/// Callers act on the predicates ([`Error::is_retryable`], [`Error::retry_after`],
/// [`Error::is_unauthorized`], [`Error::is_conflict`], ...) rather than on text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A serial number or other shared identifier was refused.
    #[error(transparent)]
    Types(#[from] mdm_types::Error),
    /// The private key could not be read or used, or is not a P-256 key.
    #[error("private key: {0}")]
    Key(String),
    /// A request was refused before sending (an activity breaking a rule of its type, an
    /// empty serial list, a bad id or URL).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The token endpoint refused the client assertion (RFC 6749 error body, or a status
    /// without one). Check the client id, key id, key and clock.
    #[error("the token endpoint refused the client assertion (http {status}): {detail}")]
    TokenRefused {
        /// The HTTP status.
        status: u16,
        /// The RFC 6749 error body, if there was one.
        oauth: Option<Box<OAuthError>>,
        /// The error as text.
        detail: String,
        /// The wait from `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The API refused the access token, again after a fresh one was fetched.
    #[error("unauthorized: {0}")]
    Unauthorized(ApiError),
    /// The account may not do this (403).
    #[error("forbidden: {0}")]
    Forbidden(ApiError),
    /// The device, server or activity does not exist (404).
    #[error("not found: {0}")]
    NotFound(ApiError),
    /// A conflict (409): an unknown server id or serial number, or a migration deadline out
    /// of range.
    #[error("conflict: {0}")]
    Conflict(ApiError),
    /// The request was well-formed but could not be processed (422).
    #[error("unprocessable: {0}")]
    Unprocessable(ApiError),
    /// Any other error answer (400, 429, 5xx ...).
    #[error("apple business api error: {0}")]
    Api(ApiError),
    /// An activity finished as `FAILED` or `STOPPED`.
    #[error("activity {id} ended as {status}")]
    ActivityFailed {
        /// The activity id.
        id: String,
        /// Its final status and sub-status.
        status: String,
    },
    /// An activity did not finish within the wait.
    #[error("activity {id} still in progress after {waited:?}")]
    ActivityPending {
        /// The activity id.
        id: String,
        /// How long it was polled.
        waited: Duration,
    },
    /// A success answer whose body is not the JSON this endpoint returns.
    #[error("malformed {what} response: {detail}")]
    MalformedResponse {
        /// Which response.
        what: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// The response body was longer than the limit; reading stopped there.
    #[error("response body is larger than {limit} bytes")]
    ResponseTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// No answer arrived in time.
    #[error("request timed out")]
    Timeout,
    /// The connection failed or was closed before an answer arrived.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The client could not be set up.
    #[error("client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Classifies an error answer from an API endpoint by status.
    pub fn from_api(api: ApiError) -> Self {
        match api.status {
            401 => Error::Unauthorized(api),
            403 => Error::Forbidden(api),
            404 => Error::NotFound(api),
            409 => Error::Conflict(api),
            422 => Error::Unprocessable(api),
            _ => Error::Api(api),
        }
    }

    /// The error answer behind this error, if there was one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Unauthorized(a)
            | Error::Forbidden(a)
            | Error::NotFound(a)
            | Error::Conflict(a)
            | Error::Unprocessable(a)
            | Error::Api(a) => Some(a),
            _ => None,
        }
    }

    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::TokenRefused { status, .. } => Some(*status),
            _ => self.api_error().map(|a| a.status),
        }
    }

    /// The code of the first JSON:API error, if any.
    pub fn code(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::code)
    }

    /// Whether the same request may succeed later: 429, 500, 502, 503, 504 (from the API or
    /// the token endpoint), timeouts and connection failures.
    pub fn is_retryable(&self) -> bool {
        let transient = |s: u16| matches!(s, 429 | 500 | 502 | 503 | 504);
        match self {
            Error::Api(a) => transient(a.status),
            Error::TokenRefused { status, .. } => transient(*status),
            Error::Timeout | Error::Connection(_) => true,
            _ => false,
        }
    }

    /// Whether this is a 429 answer.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// How long the server asked the caller to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::TokenRefused { retry_after, .. } => *retry_after,
            _ => self.api_error().and_then(|a| a.retry_after),
        }
    }

    /// Whether the credentials or the access token were refused (so retrying with the
    /// same credentials will not help).
    pub fn is_unauthorized(&self) -> bool {
        match self {
            Error::Unauthorized(_) => true,
            Error::TokenRefused { status, .. } => matches!(status, 400 | 401 | 403),
            _ => false,
        }
    }

    /// Whether the answer was 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }

    /// Whether the answer was 409 (activities: unknown server or serial, deadline out of
    /// range).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict(_))
    }

    /// Whether the answer was 422.
    pub fn is_unprocessable(&self) -> bool {
        matches!(self, Error::Unprocessable(_))
    }
}

/// Reads `Retry-After`: whole seconds, or an HTTP date (RFC 9110) turned into the time left
/// from `now` (zero when it has passed). Clamped at [`MAX_RETRY_AFTER`].
///
/// ```
/// use std::time::Duration;
/// let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
/// assert_eq!(mdm_axm::parse_retry_after("3", now), Some(Duration::from_secs(3)));
/// assert_eq!(
///     mdm_axm::parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now),
///     Some(Duration::from_secs(60)),
/// );
/// ```
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some(
        (when - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchical_codes() {
        let e = ErrorObject {
            code: "ENTITY_ERROR.ATTRIBUTE.INVALID".into(),
            ..Default::default()
        };
        assert!(e.code_is_under("ENTITY_ERROR"));
        assert!(e.code_is_under("ENTITY_ERROR.ATTRIBUTE"));
        assert!(!e.code_is_under("ENTITY"));
        assert_eq!(
            e.code_parts().collect::<Vec<_>>(),
            ["ENTITY_ERROR", "ATTRIBUTE", "INVALID"]
        );
    }

    #[test]
    fn classification() {
        let h = http::HeaderMap::new();
        let now = Utc::now();
        let e = Error::from_api(ApiError::from_parts(409, &h, b"{}", now));
        assert!(e.is_conflict() && !e.is_retryable());
        let e = Error::from_api(ApiError::from_parts(422, &h, b"", now));
        assert!(e.is_unprocessable());
        let mut h = http::HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "7".parse().unwrap());
        let e = Error::from_api(ApiError::from_parts(429, &h, b"<html>", now));
        assert!(e.is_retryable() && e.is_rate_limited());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(e.to_string().contains("retry after 7 s"));
    }

    #[test]
    fn oauth_error_body() {
        let e =
            OAuthError::decode(br#"{"error":"invalid_client","error_description":"bad"}"#).unwrap();
        assert_eq!(e.error, OAuthErrorCode::InvalidClient);
        assert_eq!(e.to_string(), "invalid_client: bad");
        let e = OAuthError::decode(br#"{"error":"new_thing"}"#).unwrap();
        assert_eq!(e.error.as_str(), "new_thing");
        assert!(OAuthError::decode(b"[]").is_err());
    }
}
