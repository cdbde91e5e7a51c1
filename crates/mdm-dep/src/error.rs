//! The one error type of this crate, the open enum of Apple's error codes, and reading an
//! error response (code from a plain, quoted or JSON body; `Retry-After` in either form).

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

mdm_plist::open_enum! {
    /// An error code the Device Assignment service puts in an error body.
    ///
    /// The codes of Apple's endpoint pages and error-code page
    /// (<https://developer.apple.com/documentation/devicemanagement/dep-server-interpreting-error-codes>),
    /// plus the names seen from real servers and simulators.
    pub enum ErrorCode {
        /// The session (or the token behind it) is not accepted.
        Unauthorized = "UNAUTHORIZED",
        /// The session token is invalid (the depsim simulator says this after a restart).
        Forbidden = "FORBIDDEN",
        /// The server, consumer key or token has no access.
        AccessDenied = "ACCESS_DENIED",
        /// The organization has not accepted the latest Terms and Conditions.
        TermsNotSigned = "T_C_NOT_SIGNED",
        /// The OAuth token was rejected.
        TokenRejected = "token_rejected",
        /// The OAuth token has expired.
        TokenExpired = "token_expired",
        /// The OAuth request was malformed.
        OauthProblemAdvice = "oauth_problem_advice",
        /// Too many requests.
        TooManyRequests = "TOO_MANY_REQUESTS",
        /// The cursor is not one the server issued.
        InvalidCursor = "INVALID_CURSOR",
        /// The cursor already returned every device.
        ExhaustedCursor = "EXHAUSTED_CURSOR",
        /// The cursor is older than seven days.
        ExpiredCursor = "EXPIRED_CURSOR",
        /// A sync request without a cursor.
        CursorRequired = "CURSOR_REQUIRED",
        /// No serial numbers in the request.
        DeviceIdRequired = "DEVICE_ID_REQUIRED",
        /// The device is not known.
        DeviceNotFound = "DEVICE_NOT_FOUND",
        /// The request body could not be read.
        MalformedRequestBody = "MALFORMED_REQUEST_BODY",
        /// No profile UUID in the request.
        ProfileUuidRequired = "PROFILE_UUID_REQUIRED",
        /// The profile (or account-driven enrollment profile) is not found.
        NotFound = "NOT_FOUND",
        /// The profile name is empty or too long.
        ConfigNameInvalid = "CONFIG_NAME_INVALID",
        /// The profile has no name.
        ConfigNameRequired = "CONFIG_NAME_REQUIRED",
        /// The profile URL is empty, too long or not a URL.
        ConfigUrlInvalid = "CONFIG_URL_INVALID",
        /// The profile has no URL.
        ConfigUrlRequired = "CONFIG_URL_REQUIRED",
        /// The department is too long.
        DepartmentInvalid = "DEPARTMENT_INVALID",
        /// `is_mdm_removable=false` without `is_supervised=true`.
        FlagsInvalid = "FLAGS_INVALID",
        /// The language or region is not valid.
        LocaleInvalid = "LOCALE_INVALID",
        /// `org_magic` is too long.
        MagicInvalid = "MAGIC_INVALID",
        /// The support email address is too long.
        SupportEmailInvalid = "SUPPORT_EMAIL_INVALID",
        /// The support phone number is too long.
        SupportPhoneInvalid = "SUPPORT_PHONE_INVALID",
        /// No MDM service discovery URL in the request.
        MdmServiceDiscoveryUrlRequired = "MDM_SERVICE_DISCOVERY_URL_REQUIRED",
        /// The MDM service discovery URL is not valid (it must be HTTPS).
        MdmServiceDiscoveryUrlNotValid = "MDM_SERVICE_DISCOVERY_URL_NOT_VALID",
        /// The organization does not support this feature.
        OrgNotSupported = "ORG_NOT_SUPPORTED",
        /// AppleSeed for IT is turned off for the organization.
        AppleSeedForItTurnedOff = "APPLE_SEED_FOR_IT_TURNED_OFF",
        /// The request had no `User-Agent`.
        UserAgentMissing = "USER_AGENT_MISSING",
        /// The `User-Agent` is refused.
        UserAgentInvalid = "USER_AGENT_INVALID",
        /// The request body is not in the expected format.
        MessageFormatError = "message_format_error",
        /// The service failed.
        InternalServerError = "internal_server_error",
    }
}

/// An error answer from the Device Assignment service: the HTTP status, the code read from
/// the body, the body itself (trimmed, at most [`MAX_ERROR_BODY`] bytes), and the wait the
/// server asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The code, when the body held one (plain, quoted, JSON `code`, or a known code run
    /// together with the status text as in `token_expiredForbidden`).
    pub code: Option<ErrorCode>,
    /// The body as text (lossy UTF-8, trimmed, cut at [`MAX_ERROR_BODY`] bytes).
    pub body: String,
    /// The wait from a `Retry-After` header, in seconds or as an HTTP date.
    pub retry_after: Option<Duration>,
}

/// Most bytes of an error body kept in [`ApiError::body`] and looked at for a code.
pub const MAX_ERROR_BODY: usize = 4096;

impl ApiError {
    /// Reads an error response: status, headers (for `Retry-After`, relative to `now`) and
    /// body.
    ///
    /// ```
    /// use mdm_dep::{ApiError, ErrorCode};
    ///
    /// let e = ApiError::from_parts(400, &http::HeaderMap::new(), b"\"EXPIRED_CURSOR\"", chrono::Utc::now());
    /// assert_eq!(e.code, Some(ErrorCode::ExpiredCursor));
    /// let e = ApiError::from_parts(403, &http::HeaderMap::new(), br#"{"code": "T_C_NOT_SIGNED"}"#, chrono::Utc::now());
    /// assert_eq!(e.code, Some(ErrorCode::TermsNotSigned));
    /// ```
    pub fn from_parts(
        status: u16,
        headers: &http::HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Self {
        let cut = body.get(..MAX_ERROR_BODY).unwrap_or(body);
        let text = String::from_utf8_lossy(cut).trim().to_owned();
        ApiError {
            status,
            code: code_from_body(&text),
            body: text,
            retry_after: headers
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now)),
        }
    }

    /// Whether the code is `c`.
    pub fn has_code(&self, c: &ErrorCode) -> bool {
        self.code.as_ref() == Some(c)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http {}", self.status)?;
        match &self.code {
            Some(c) => write!(f, " {c}")?,
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

/// Everything that can go wrong making a key pair, reading a server token, building a
/// request or reading a response.
///
/// Callers act on the predicates ([`Error::is_retryable`], [`Error::retry_after`],
/// [`Error::is_terms_not_signed`], [`Error::is_cursor_error`], ...) rather than on text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A serial number, platform or other shared identifier was refused.
    #[error(transparent)]
    Types(#[from] mdm_types::Error),
    /// The key pair or certificate could not be made or read.
    #[error("key or certificate: {0}")]
    Key(String),
    /// The server token file could not be read: not S/MIME, not for this key, or its
    /// content is not the token JSON.
    #[error("server token: {0}")]
    Token(String),
    /// The server token's `access_token_expiry` has passed; download a new token from
    /// Apple Business Manager or Apple School Manager.
    #[error("the server token expired at {expiry}; download a new one from the portal")]
    TokenExpired {
        /// When it expired.
        expiry: DateTime<Utc>,
    },
    /// A request was refused before sending (a profile breaking a length or flag rule, an
    /// empty serial list, a bad base URL).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The organization has not accepted Apple's latest Terms and Conditions; an
    /// administrator must sign them in the portal. Not retryable.
    #[error(
        "terms and conditions not signed: an administrator must accept them in the portal ({0})"
    )]
    TermsNotSigned(ApiError),
    /// The server, consumer key or token lacks access (`ACCESS_DENIED`). Not retryable.
    #[error("access denied: {0}")]
    AccessDenied(ApiError),
    /// `GET /session` refused the OAuth request: the server token is invalid, revoked or
    /// expired (check `access_token_expiry`), or the clock is far off.
    #[error("the server token was refused by /session: {0}")]
    AuthFailed(ApiError),
    /// The session was refused again right after a new one was made.
    #[error("the new session was refused too: {0}")]
    Unauthorized(ApiError),
    /// A fetch or sync cursor was refused (`INVALID_CURSOR`, `EXHAUSTED_CURSOR`,
    /// `EXPIRED_CURSOR`, `CURSOR_REQUIRED`); see [`Error::is_cursor_error`].
    #[error("cursor refused: {0}")]
    Cursor(ApiError),
    /// Any other error answer.
    #[error("device assignment service error: {0}")]
    Api(ApiError),
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
    /// The client could not be set up, or a session store failed.
    #[error("client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Classifies an error answer from any endpoint except `/session` (see
    /// [`Error::from_session_response`]).
    pub fn from_api(api: ApiError) -> Self {
        match &api.code {
            Some(ErrorCode::TermsNotSigned) => Error::TermsNotSigned(api),
            Some(ErrorCode::AccessDenied) => Error::AccessDenied(api),
            Some(
                ErrorCode::InvalidCursor
                | ErrorCode::ExhaustedCursor
                | ErrorCode::ExpiredCursor
                | ErrorCode::CursorRequired,
            ) => Error::Cursor(api),
            _ => Error::Api(api),
        }
    }

    /// Classifies an error answer from `GET /session`: 401 and OAuth problems are
    /// [`Error::AuthFailed`]; terms and access denials keep their own kinds.
    pub fn from_session_response(api: ApiError) -> Self {
        match &api.code {
            Some(ErrorCode::TermsNotSigned) => Error::TermsNotSigned(api),
            Some(ErrorCode::AccessDenied) => Error::AccessDenied(api),
            _ if matches!(api.status, 400 | 401 | 403) => Error::AuthFailed(api),
            _ => Error::Api(api),
        }
    }

    /// The error answer behind this error, if there was one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::TermsNotSigned(a)
            | Error::AccessDenied(a)
            | Error::AuthFailed(a)
            | Error::Unauthorized(a)
            | Error::Cursor(a)
            | Error::Api(a) => Some(a),
            _ => None,
        }
    }

    /// The code Apple sent, if any.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.api_error().and_then(|a| a.code.as_ref())
    }

    /// Whether the same request may succeed later: 429, 500, 502, 503, 504, timeouts and
    /// connection failures. Apple's documented 4xx codes are never retryable.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(a) => matches!(a.status, 429 | 500 | 502 | 503 | 504),
            Error::AuthFailed(a) => a.status == 429 || a.status >= 500,
            Error::Timeout | Error::Connection(_) => true,
            _ => false,
        }
    }

    /// How long the server asked the caller to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api_error().and_then(|a| a.retry_after)
    }

    /// Whether the organization must accept new Terms and Conditions first.
    pub fn is_terms_not_signed(&self) -> bool {
        matches!(self, Error::TermsNotSigned(_))
    }

    /// Whether access was denied (`ACCESS_DENIED`).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, Error::AccessDenied(_))
    }

    /// Whether the server token or session was refused (so re-authenticating with the same
    /// token will not help).
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            Error::AuthFailed(_) | Error::Unauthorized(_) | Error::TokenExpired { .. }
        )
    }

    /// Whether a cursor was refused.
    pub fn is_cursor_error(&self) -> bool {
        matches!(self, Error::Cursor(_))
    }

    /// Whether the cursor already returned everything (`EXHAUSTED_CURSOR`): switch from
    /// fetch to sync with the same cursor.
    pub fn is_cursor_exhausted(&self) -> bool {
        self.cursor_code() == Some(&ErrorCode::ExhaustedCursor)
    }

    /// Whether the cursor is older than seven days (`EXPIRED_CURSOR`): start a full fetch.
    pub fn is_cursor_expired(&self) -> bool {
        self.cursor_code() == Some(&ErrorCode::ExpiredCursor)
    }

    /// Whether the cursor is not one the server issued (`INVALID_CURSOR`): start a full
    /// fetch.
    pub fn is_cursor_invalid(&self) -> bool {
        self.cursor_code() == Some(&ErrorCode::InvalidCursor)
    }

    fn cursor_code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Cursor(a) => a.code.as_ref(),
            _ => None,
        }
    }
}

/// Reads the error code from a body: a bare code, a JSON-quoted code, a JSON object with a
/// `code` key, or a known OAuth problem name run together with the status text
/// (`token_expiredForbidden`).
pub(crate) fn code_from_body(text: &str) -> Option<ErrorCode> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if text.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        return v
            .get("code")
            .and_then(|c| c.as_str())
            .map(|c| ErrorCode::from(c.trim()));
    }
    let bare = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text)
        .trim();
    if bare.is_empty() || bare.len() > 100 {
        return None;
    }
    if let Some(known) = ErrorCode::KNOWN.iter().find(|k| **k == bare) {
        return Some(ErrorCode::from(*known));
    }
    // `oauth_problem_adviceBad Request`, `token_expiredUnauthorized`: lower-case problem
    // names followed by the status text.
    for known in ErrorCode::KNOWN {
        if known.starts_with(|c: char| c.is_ascii_lowercase())
            && bare.starts_with(known)
            && bare
                .get(known.len()..)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
        {
            return Some(ErrorCode::from(*known));
        }
    }
    let looks_like_code = bare
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    looks_like_code.then(|| ErrorCode::from(bare))
}

/// Longest wait a `Retry-After` header may ask for before it is clamped (one day).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// Reads `Retry-After`: whole seconds, or an HTTP date (RFC 9110) turned into the time left
/// from `now` (zero when it has passed). Clamped at [`MAX_RETRY_AFTER`].
///
/// ```
/// use std::time::Duration;
/// let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
/// assert_eq!(mdm_dep::parse_retry_after("120", now), Some(Duration::from_secs(120)));
/// assert_eq!(
///     mdm_dep::parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now),
///     Some(Duration::from_secs(30)),
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
    let left = (when - now).to_std().unwrap_or(Duration::ZERO);
    Some(left.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_from_every_body_form() {
        assert_eq!(
            code_from_body("INVALID_CURSOR"),
            Some(ErrorCode::InvalidCursor)
        );
        assert_eq!(
            code_from_body(" \"EXHAUSTED_CURSOR\"\n"),
            Some(ErrorCode::ExhaustedCursor)
        );
        assert_eq!(
            code_from_body(r#"{"code":"T_C_NOT_SIGNED"}"#),
            Some(ErrorCode::TermsNotSigned)
        );
        assert_eq!(
            code_from_body("token_expiredForbidden"),
            Some(ErrorCode::TokenExpired)
        );
        assert_eq!(
            code_from_body("oauth_problem_adviceBad Request"),
            Some(ErrorCode::OauthProblemAdvice)
        );
        assert_eq!(
            code_from_body("NEW_CODE_2027"),
            Some(ErrorCode::Other("NEW_CODE_2027".into()))
        );
        assert_eq!(code_from_body("<html>oops</html>"), None);
        assert_eq!(code_from_body(""), None);
        assert_eq!(code_from_body("{not json"), None);
    }

    #[test]
    fn classification() {
        let h = http::HeaderMap::new();
        let now = Utc::now();
        let e = Error::from_api(ApiError::from_parts(403, &h, b"T_C_NOT_SIGNED", now));
        assert!(e.is_terms_not_signed() && !e.is_retryable());
        let e = Error::from_api(ApiError::from_parts(400, &h, b"EXPIRED_CURSOR", now));
        assert!(e.is_cursor_expired() && e.is_cursor_error());
        let mut h = http::HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, "7".parse().unwrap());
        let e = Error::from_api(ApiError::from_parts(503, &h, b"", now));
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let e = Error::from_session_response(ApiError::from_parts(401, &h, b"UNAUTHORIZED", now));
        assert!(e.is_unauthorized());
    }

    #[test]
    fn retry_after_past_date_is_zero() {
        let now = Utc::now();
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("999999999", now), Some(MAX_RETRY_AFTER));
    }
}
