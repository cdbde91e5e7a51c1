//! Sans-IO requests and responses: a [`Config`] (base URL, User-Agent, protocol version)
//! turns any [`Endpoint`] into an `http::Request` and reads its `http::Response` back.

use chrono::{DateTime, Utc};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, Request, Response};
use mdm_types::SerialNumber;

use crate::error::{ApiError, Error, ErrorCode};
use crate::json::Extra;
use crate::token::ServerToken;
use crate::types::{
    AccountDetail, AccountDrivenEnrollmentProfile, ActivationLockRequest, ActivationLockResponse,
    AssignProfileRequest, AssignProfileResponse, BetaEnrollmentTokens, DefineProfileResponse,
    DeviceDetails, DeviceListRequest, DevicePage, DevicePageRequest, DeviceStatuses,
    MAX_DEVICES_PER_REQUEST, Profile, RemoveProfileRequest, ReplacementDetails, SessionResponse,
};

/// Apple's Device Assignment host.
pub const DEFAULT_BASE_URL: &str = "https://mdmenrollment.apple.com";
/// The `X-Server-Protocol-Version` sent unless configured otherwise: the highest documented.
pub const DEFAULT_PROTOCOL_VERSION: u32 = 10;
/// Largest response body read, in bytes (16 MiB: a page of 5000 devices is about 5 MiB).
pub const MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;
/// The session header, sent on every call after `/session` and read from every answer.
pub const SESSION_HEADER: &str = "X-ADM-Auth-Session";
/// The protocol version header.
pub const PROTOCOL_VERSION_HEADER: &str = "X-Server-Protocol-Version";
/// The content type sent with JSON bodies and on `/session` (what the depsim simulator
/// requires; Apple accepts it).
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF8";

/// Which method assign profile uses. Apple documents POST; the depsim simulator wants PUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AssignMethod {
    /// `POST /profile/devices` (the default).
    #[default]
    Post,
    /// `PUT /profile/devices`.
    Put,
}

/// Where requests go and what every request carries.
///
/// ```
/// use mdm_dep::{Config, GetAccount};
///
/// let config = Config::new("acme-mdm/2.1")?;
/// let request = config.request(&GetAccount, "session-token")?;
/// assert_eq!(request.uri(), "https://mdmenrollment.apple.com/account");
/// assert_eq!(request.headers()["X-Server-Protocol-Version"], "10");
/// assert_eq!(request.headers()["User-Agent"], "acme-mdm/2.1");
/// # Ok::<(), mdm_dep::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    base_url: String,
    user_agent: HeaderValue,
    protocol_version: u32,
    assign_method: AssignMethod,
}

impl Config {
    /// A configuration for Apple's host with your product's `User-Agent` (required by
    /// Apple, which refuses generic ones; there is no default).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the agent is empty or not a valid header value.
    pub fn new(user_agent: &str) -> Result<Self, Error> {
        let trimmed = user_agent.trim();
        if trimmed.is_empty() {
            return Err(Error::InvalidRequest(
                "a User-Agent naming your product is required".into(),
            ));
        }
        let user_agent = HeaderValue::from_str(trimmed)
            .map_err(|_| Error::InvalidRequest("the User-Agent is not a valid header".into()))?;
        Ok(Config {
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent,
            protocol_version: DEFAULT_PROTOCOL_VERSION,
            assign_method: AssignMethod::Post,
        })
    }

    /// Sends requests to `base_url` (`https://host[:port]`, no path) instead of
    /// [`DEFAULT_BASE_URL`]: a test server or a proxy.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when it is not an http(s) URL without path or query.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, Error> {
        let trimmed = base_url.trim_end_matches('/');
        let uri: http::Uri = trimmed
            .parse()
            .map_err(|e| Error::InvalidRequest(format!("bad base url {base_url:?}: {e}")))?;
        let ok_scheme = matches!(uri.scheme_str(), Some("http" | "https"));
        let no_path = matches!(uri.path(), "" | "/") && uri.query().is_none();
        if !ok_scheme || uri.host().is_none() || !no_path {
            return Err(Error::InvalidRequest(format!(
                "base url {base_url:?} must be http(s)://host[:port] without a path"
            )));
        }
        self.base_url = trimmed.to_owned();
        Ok(self)
    }

    /// Sets `X-Server-Protocol-Version` (default [`DEFAULT_PROTOCOL_VERSION`]).
    pub fn with_protocol_version(mut self, version: u32) -> Self {
        self.protocol_version = version;
        self
    }

    /// Sets the assign profile method (default [`AssignMethod::Post`]).
    pub fn with_assign_method(mut self, method: AssignMethod) -> Self {
        self.assign_method = method;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The User-Agent.
    pub fn user_agent(&self) -> &str {
        self.user_agent.to_str().unwrap_or("")
    }

    /// The protocol version sent.
    pub fn protocol_version(&self) -> u32 {
        self.protocol_version
    }

    /// The assign profile method.
    pub fn assign_method(&self) -> AssignMethod {
        self.assign_method
    }

    /// The full URL of `/session`.
    pub fn session_url(&self) -> String {
        format!("{}/session", self.base_url)
    }

    /// `GET /session` signed with the token's OAuth credentials at `timestamp` (Unix
    /// seconds) with `nonce`. Refuses an expired token first.
    ///
    /// # Errors
    /// [`Error::TokenExpired`] when the token's expiry is before `now`;
    /// [`Error::InvalidRequest`] for a nonce that is empty or not URL-safe.
    pub fn session_request(
        &self,
        token: &ServerToken,
        now: DateTime<Utc>,
        nonce: &str,
    ) -> Result<Request<Vec<u8>>, Error> {
        token.check_not_expired(now)?;
        if nonce.is_empty() || nonce.len() > 64 {
            return Err(Error::InvalidRequest(
                "the nonce must be 1 to 64 bytes".into(),
            ));
        }
        let url = self.session_url();
        let timestamp = u64::try_from(now.timestamp()).unwrap_or(0);
        let auth = crate::oauth::authorization_header(token, "GET", &url, timestamp, nonce)?;
        let mut request = self.base_request(Method::GET, &url, Vec::new())?;
        let headers = request.headers_mut();
        headers.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&auth).map_err(|_| {
                Error::InvalidRequest("the oauth header is not a valid header".into())
            })?,
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
        Ok(request)
    }

    /// Reads the answer of `/session`: the new session token.
    ///
    /// # Errors
    /// [`Error::AuthFailed`] (401, OAuth problems), [`Error::TermsNotSigned`],
    /// [`Error::AccessDenied`], [`Error::Api`] for other statuses,
    /// [`Error::MalformedResponse`] when the token is missing or empty.
    pub fn session_response(
        &self,
        response: Response<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<String, Error> {
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let api = ApiError::from_parts(status, response.headers(), response.body(), now);
            return Err(Error::from_session_response(api));
        }
        let token = SessionResponse::decode(response.body())?.auth_session_token;
        if token.trim().is_empty() {
            return Err(Error::MalformedResponse {
                what: "session",
                detail: "auth_session_token is empty".into(),
            });
        }
        Ok(token)
    }

    /// The request for `endpoint`, carrying `session` as [`SESSION_HEADER`].
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the endpoint's checks refuse its input (an empty or
    /// over-long serial list, a profile breaking Apple's rules, a protocol version too low
    /// for the endpoint) or the session is not a valid header value.
    pub fn request<E: Endpoint>(
        &self,
        endpoint: &E,
        session: &str,
    ) -> Result<Request<Vec<u8>>, Error> {
        if self.protocol_version < E::MIN_PROTOCOL_VERSION {
            return Err(Error::InvalidRequest(format!(
                "{} needs X-Server-Protocol-Version {} or later (configured: {})",
                E::NAME,
                E::MIN_PROTOCOL_VERSION,
                self.protocol_version
            )));
        }
        let body = endpoint.body()?;
        let url = format!("{}{}", self.base_url, endpoint.path_and_query());
        let has_body = body.is_some();
        let mut request =
            self.base_request(endpoint.method(self), &url, body.unwrap_or_default())?;
        let headers = request.headers_mut();
        headers.insert(
            SESSION_HEADER,
            HeaderValue::from_str(session).map_err(|_| {
                Error::InvalidRequest("the session token is not a valid header".into())
            })?,
        );
        if has_body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
        }
        Ok(request)
    }

    /// Reads the answer to `E`'s request. Call [`needs_new_session`] first: a 401 read
    /// here is an [`Error::Unauthorized`].
    ///
    /// # Errors
    /// The classified [`ApiError`] of a non-2xx answer ([`Error::TermsNotSigned`],
    /// [`Error::AccessDenied`], [`Error::Cursor`], [`Error::Unauthorized`], [`Error::Api`]);
    /// [`Error::MalformedResponse`] or [`Error::ResponseTooLarge`] for a bad success body.
    pub fn response<E: Endpoint>(
        &self,
        response: Response<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<E::Output, Error> {
        let status = response.status().as_u16();
        if !response.status().is_success() {
            let api = ApiError::from_parts(status, response.headers(), response.body(), now);
            return Err(if needs_new_session(status, response.body()) {
                Error::Unauthorized(api)
            } else {
                Error::from_api(api)
            });
        }
        E::decode(response.body())
    }

    fn base_request(
        &self,
        method: Method,
        url: &str,
        body: Vec<u8>,
    ) -> Result<Request<Vec<u8>>, Error> {
        Request::builder()
            .method(method)
            .uri(url)
            .header(USER_AGENT, self.user_agent.clone())
            .header(PROTOCOL_VERSION_HEADER, self.protocol_version)
            .header(ACCEPT, "application/json")
            .body(body)
            .map_err(|e| Error::InvalidRequest(format!("cannot build the request: {e}")))
    }
}

/// Whether an answer means "make a new session and send the request again": a 401, or a
/// 403 whose body says `FORBIDDEN` (never a terms or access denial).
pub fn needs_new_session(status: u16, body: &[u8]) -> bool {
    match status {
        401 => true,
        403 => {
            let cut = body.get(..crate::error::MAX_ERROR_BODY).unwrap_or(body);
            let text = String::from_utf8_lossy(cut);
            text.contains("FORBIDDEN")
                && crate::error::code_from_body(&text).is_none_or(|c| {
                    !matches!(c, ErrorCode::TermsNotSigned | ErrorCode::AccessDenied)
                })
        }
        _ => false,
    }
}

/// The rotated session token of an answer (its [`SESSION_HEADER`]), if it carries one.
pub fn rotated_session(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// One endpoint of the Device Assignment API: its method, path, body and answer type.
///
/// Implemented by the request types of this module; [`Config::request`] and
/// [`Config::response`] do the HTTP framing.
pub trait Endpoint {
    /// What a success answer decodes into.
    type Output;
    /// A short name for messages (`fetch devices`).
    const NAME: &'static str;
    /// The lowest protocol version the endpoint exists in.
    const MIN_PROTOCOL_VERSION: u32 = 0;
    /// The method.
    fn method(&self, config: &Config) -> Method;
    /// The path, with its query when it has one.
    fn path_and_query(&self) -> String;
    /// The JSON body, checked, if the endpoint has one.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the input breaks a documented rule.
    fn body(&self) -> Result<Option<Vec<u8>>, Error>;
    /// Reads a success body.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`], [`Error::ResponseTooLarge`].
    fn decode(body: &[u8]) -> Result<Self::Output, Error>;
}

fn check_serials(what: &str, devices: &[SerialNumber]) -> Result<(), Error> {
    if devices.is_empty() {
        return Err(Error::InvalidRequest(format!(
            "{what}: no serial numbers (DEVICE_ID_REQUIRED)"
        )));
    }
    if devices.len() > MAX_DEVICES_PER_REQUEST {
        return Err(Error::InvalidRequest(format!(
            "{what}: {} serial numbers, at most {MAX_DEVICES_PER_REQUEST} per request",
            devices.len()
        )));
    }
    Ok(())
}

fn empty_ok(_body: &[u8]) -> Result<(), Error> {
    Ok(())
}

fn query_escape(s: &str) -> String {
    crate::oauth::percent_encode(s)
}

/// `GET /account`: the account's details and its `urls` limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetAccount;

impl Endpoint for GetAccount {
    type Output = AccountDetail;
    const NAME: &'static str = "account";
    fn method(&self, _: &Config) -> Method {
        Method::GET
    }
    fn path_and_query(&self) -> String {
        "/account".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }
    fn decode(body: &[u8]) -> Result<AccountDetail, Error> {
        AccountDetail::decode(body)
    }
}

/// `POST /server/devices`: one page of the full device list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FetchDevices {
    /// The cursor of the previous page; `None` on the first call.
    pub cursor: Option<String>,
    /// Devices per page (server default when `None`).
    pub limit: Option<u32>,
}

impl FetchDevices {
    /// A fetch from `cursor` (`None`: from the start).
    pub fn new(cursor: Option<String>, limit: Option<u32>) -> Self {
        FetchDevices { cursor, limit }
    }
}

/// Longest cursor sent (Apple documents up to 1000 characters).
pub const MAX_CURSOR_LEN: usize = 1000;

fn page_body(cursor: Option<&str>, limit: Option<u32>) -> Result<Option<Vec<u8>>, Error> {
    if cursor.is_some_and(|c| c.len() > MAX_CURSOR_LEN) {
        return Err(Error::InvalidRequest(format!(
            "the cursor is longer than {MAX_CURSOR_LEN} characters"
        )));
    }
    if limit == Some(0) {
        return Err(Error::InvalidRequest(
            "the page limit must be at least 1".into(),
        ));
    }
    DevicePageRequest {
        cursor: cursor.map(str::to_owned),
        limit,
        extra: Extra::new(),
    }
    .encode()
    .map(Some)
}

impl Endpoint for FetchDevices {
    type Output = DevicePage;
    const NAME: &'static str = "fetch devices";
    fn method(&self, _: &Config) -> Method {
        Method::POST
    }
    fn path_and_query(&self) -> String {
        "/server/devices".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        page_body(self.cursor.as_deref(), self.limit)
    }
    fn decode(body: &[u8]) -> Result<DevicePage, Error> {
        DevicePage::decode(body)
    }
}

/// `POST /devices/sync`: the changes since a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyncDevices {
    /// The cursor of a fetch or an earlier sync (required).
    pub cursor: String,
    /// Devices per page (server default when `None`).
    pub limit: Option<u32>,
}

impl SyncDevices {
    /// A sync from `cursor`.
    pub fn new(cursor: impl Into<String>, limit: Option<u32>) -> Self {
        SyncDevices {
            cursor: cursor.into(),
            limit,
        }
    }
}

impl Endpoint for SyncDevices {
    type Output = DevicePage;
    const NAME: &'static str = "sync devices";
    fn method(&self, _: &Config) -> Method {
        Method::POST
    }
    fn path_and_query(&self) -> String {
        "/devices/sync".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if self.cursor.is_empty() {
            return Err(Error::InvalidRequest(
                "sync needs a cursor (CURSOR_REQUIRED)".into(),
            ));
        }
        page_body(Some(&self.cursor), self.limit)
    }
    fn decode(body: &[u8]) -> Result<DevicePage, Error> {
        DevicePage::decode(body)
    }
}

/// `POST /devices`: the records of up to 1000 serials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetDeviceDetails(pub Vec<SerialNumber>);

impl Endpoint for GetDeviceDetails {
    type Output = DeviceDetails;
    const NAME: &'static str = "device details";
    fn method(&self, _: &Config) -> Method {
        Method::POST
    }
    fn path_and_query(&self) -> String {
        "/devices".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        check_serials(Self::NAME, &self.0)?;
        device_list(&self.0)
    }
    fn decode(body: &[u8]) -> Result<DeviceDetails, Error> {
        DeviceDetails::decode(body)
    }
}

fn device_list(devices: &[SerialNumber]) -> Result<Option<Vec<u8>>, Error> {
    DeviceListRequest {
        devices: devices.to_vec(),
        extra: Extra::new(),
    }
    .encode()
    .map(Some)
}

/// `POST /devices/disown`: releases up to 1000 devices from the organization, for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisownDevices(pub Vec<SerialNumber>);

impl Endpoint for DisownDevices {
    type Output = DeviceStatuses;
    const NAME: &'static str = "disown devices";
    fn method(&self, _: &Config) -> Method {
        Method::POST
    }
    fn path_and_query(&self) -> String {
        "/devices/disown".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        check_serials(Self::NAME, &self.0)?;
        device_list(&self.0)
    }
    fn decode(body: &[u8]) -> Result<DeviceStatuses, Error> {
        DeviceStatuses::decode(body)
    }
}

/// `POST /device/activationlock`.
#[derive(Debug, Clone, PartialEq)]
pub struct EnableActivationLock(pub ActivationLockRequest);

impl Endpoint for EnableActivationLock {
    type Output = ActivationLockResponse;
    const NAME: &'static str = "activation lock";
    fn method(&self, _: &Config) -> Method {
        Method::POST
    }
    fn path_and_query(&self) -> String {
        "/device/activationlock".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        self.0.validate()?;
        self.0.encode().map(Some)
    }
    fn decode(body: &[u8]) -> Result<ActivationLockResponse, Error> {
        ActivationLockResponse::decode(body)
    }
}

/// `GET /device/replacementDetails?device=<serial>` (protocol version 10 and later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetReplacementDetails(pub SerialNumber);

impl Endpoint for GetReplacementDetails {
    type Output = ReplacementDetails;
    const NAME: &'static str = "replacement details";
    const MIN_PROTOCOL_VERSION: u32 = 10;
    fn method(&self, _: &Config) -> Method {
        Method::GET
    }
    fn path_and_query(&self) -> String {
        format!(
            "/device/replacementDetails?device={}",
            query_escape(self.0.as_str())
        )
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }
    fn decode(body: &[u8]) -> Result<ReplacementDetails, Error> {
        ReplacementDetails::decode(body)
    }
}

/// `GET /os-beta-enrollment/tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetBetaEnrollmentTokens;

impl Endpoint for GetBetaEnrollmentTokens {
    type Output = BetaEnrollmentTokens;
    const NAME: &'static str = "beta enrollment tokens";
    fn method(&self, _: &Config) -> Method {
        Method::GET
    }
    fn path_and_query(&self) -> String {
        "/os-beta-enrollment/tokens".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }
    fn decode(body: &[u8]) -> Result<BetaEnrollmentTokens, Error> {
        BetaEnrollmentTokens::decode(body)
    }
}

/// `POST /profile`: defines a profile (checked with [`Profile::validate`] first).
#[derive(Debug, Clone, PartialEq)]
pub struct DefineProfile(pub Profile);

impl Endpoint for DefineProfile {
    type Output = DefineProfileResponse;
    const NAME: &'static str = "define profile";
    fn method(&self, _: &Config) -> Method {
        Method::POST
    }
    fn path_and_query(&self) -> String {
        "/profile".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        self.0.validate()?;
        if let Some(devices) = &self.0.devices
            && devices.len() > MAX_DEVICES_PER_REQUEST
        {
            return Err(Error::InvalidRequest(format!(
                "define profile: at most {MAX_DEVICES_PER_REQUEST} devices; assign the rest"
            )));
        }
        let mut profile = self.0.clone();
        // Only get profile answers carry it.
        profile.profile_uuid = None;
        profile.encode().map(Some)
    }
    fn decode(body: &[u8]) -> Result<DefineProfileResponse, Error> {
        DefineProfileResponse::decode(body)
    }
}

/// `GET /profile?profile_uuid=<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetProfile(pub String);

impl Endpoint for GetProfile {
    type Output = Profile;
    const NAME: &'static str = "get profile";
    fn method(&self, _: &Config) -> Method {
        Method::GET
    }
    fn path_and_query(&self) -> String {
        format!("/profile?profile_uuid={}", query_escape(&self.0))
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if self.0.is_empty() {
            return Err(Error::InvalidRequest(
                "get profile: no profile UUID (PROFILE_UUID_REQUIRED)".into(),
            ));
        }
        Ok(None)
    }
    fn decode(body: &[u8]) -> Result<Profile, Error> {
        Profile::decode(body)
    }
}

/// `POST /profile/devices` (or PUT, see [`AssignMethod`]): assigns a profile to up to 1000
/// devices. [`crate::AssignPlan`] splits longer lists and retries throttled devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignProfile {
    /// The profile.
    pub profile_uuid: String,
    /// The devices.
    pub devices: Vec<SerialNumber>,
}

impl Endpoint for AssignProfile {
    type Output = AssignProfileResponse;
    const NAME: &'static str = "assign profile";
    fn method(&self, config: &Config) -> Method {
        match config.assign_method {
            AssignMethod::Post => Method::POST,
            AssignMethod::Put => Method::PUT,
        }
    }
    fn path_and_query(&self) -> String {
        "/profile/devices".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        if self.profile_uuid.is_empty() {
            return Err(Error::InvalidRequest(
                "assign profile: no profile UUID (PROFILE_UUID_REQUIRED)".into(),
            ));
        }
        check_serials(Self::NAME, &self.devices)?;
        AssignProfileRequest {
            profile_uuid: self.profile_uuid.clone(),
            devices: self.devices.clone(),
            extra: Extra::new(),
        }
        .encode()
        .map(Some)
    }
    fn decode(body: &[u8]) -> Result<AssignProfileResponse, Error> {
        AssignProfileResponse::decode(body)
    }
}

/// `DELETE /profile/devices`: removes the profile assignment of up to 1000 devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveProfile(pub Vec<SerialNumber>);

impl Endpoint for RemoveProfile {
    type Output = DeviceStatuses;
    const NAME: &'static str = "remove profile";
    fn method(&self, _: &Config) -> Method {
        Method::DELETE
    }
    fn path_and_query(&self) -> String {
        "/profile/devices".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        check_serials(Self::NAME, &self.0)?;
        RemoveProfileRequest {
            devices: self.0.clone(),
            profile_uuid: None,
            extra: Extra::new(),
        }
        .encode()
        .map(Some)
    }
    fn decode(body: &[u8]) -> Result<DeviceStatuses, Error> {
        DeviceStatuses::decode(body)
    }
}

/// `POST /account-driven-enrollment/profile`: sets the MDM service discovery URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAccountDrivenEnrollmentProfile(pub String);

impl Endpoint for SetAccountDrivenEnrollmentProfile {
    type Output = ();
    const NAME: &'static str = "set account-driven enrollment profile";
    fn method(&self, _: &Config) -> Method {
        Method::POST
    }
    fn path_and_query(&self) -> String {
        "/account-driven-enrollment/profile".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        let is_https = self
            .0
            .parse::<http::Uri>()
            .is_ok_and(|u| u.scheme_str() == Some("https") && u.host().is_some());
        if !is_https {
            return Err(Error::InvalidRequest(
                "the MDM service discovery URL must be an https URL (MDM_SERVICE_DISCOVERY_URL_NOT_VALID)"
                    .into(),
            ));
        }
        AccountDrivenEnrollmentProfile {
            mdm_service_discovery_url: Some(self.0.clone()),
            last_updated_timestamp: None,
            extra: Extra::new(),
        }
        .encode()
        .map(Some)
    }
    fn decode(body: &[u8]) -> Result<(), Error> {
        empty_ok(body)
    }
}

/// `GET /account-driven-enrollment/profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetAccountDrivenEnrollmentProfile;

impl Endpoint for GetAccountDrivenEnrollmentProfile {
    type Output = AccountDrivenEnrollmentProfile;
    const NAME: &'static str = "get account-driven enrollment profile";
    fn method(&self, _: &Config) -> Method {
        Method::GET
    }
    fn path_and_query(&self) -> String {
        "/account-driven-enrollment/profile".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }
    fn decode(body: &[u8]) -> Result<AccountDrivenEnrollmentProfile, Error> {
        AccountDrivenEnrollmentProfile::decode(body)
    }
}

/// `DELETE /account-driven-enrollment/profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RemoveAccountDrivenEnrollmentProfile;

impl Endpoint for RemoveAccountDrivenEnrollmentProfile {
    type Output = ();
    const NAME: &'static str = "remove account-driven enrollment profile";
    fn method(&self, _: &Config) -> Method {
        Method::DELETE
    }
    fn path_and_query(&self) -> String {
        "/account-driven-enrollment/profile".into()
    }
    fn body(&self) -> Result<Option<Vec<u8>>, Error> {
        Ok(None)
    }
    fn decode(body: &[u8]) -> Result<(), Error> {
        empty_ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serial(s: &str) -> SerialNumber {
        SerialNumber::new(s).unwrap()
    }

    #[test]
    fn headers_on_every_request() {
        let c = Config::new("acme/1").unwrap().with_protocol_version(7);
        let r = c.request(&FetchDevices::default(), "sess").unwrap();
        assert_eq!(r.method(), Method::POST);
        assert_eq!(r.headers()[SESSION_HEADER], "sess");
        assert_eq!(r.headers()[PROTOCOL_VERSION_HEADER], "7");
        assert_eq!(r.headers()[CONTENT_TYPE], JSON_CONTENT_TYPE);
        assert_eq!(r.body(), b"{}");
        let r = c.request(&GetAccount, "s").unwrap();
        assert!(r.headers().get(CONTENT_TYPE).is_none());
        assert!(c.request(&GetReplacementDetails(serial("A")), "s").is_err());
    }

    #[test]
    fn user_agent_required() {
        assert!(Config::new("").is_err());
        assert!(Config::new("  ").is_err());
        assert!(Config::new("bad\nagent").is_err());
    }

    #[test]
    fn base_url_checks() {
        let c = Config::new("a").unwrap();
        assert!(c.clone().with_base_url("http://127.0.0.1:9/").is_ok());
        assert!(c.clone().with_base_url("http://127.0.0.1:9/x").is_err());
        assert!(c.with_base_url("ftp://h").is_err());
    }

    #[test]
    fn reauth_rules() {
        assert!(needs_new_session(401, b""));
        assert!(needs_new_session(403, b"\"FORBIDDEN\""));
        assert!(!needs_new_session(403, b"T_C_NOT_SIGNED"));
        assert!(!needs_new_session(403, b"ACCESS_DENIED"));
        assert!(!needs_new_session(400, b"FORBIDDEN"));
    }

    #[test]
    fn serial_lists_checked() {
        let c = Config::new("a").unwrap();
        assert!(c.request(&DisownDevices(vec![]), "s").is_err());
        let many = (0..1001).map(|i| serial(&format!("S{i}"))).collect();
        assert!(c.request(&RemoveProfile(many), "s").is_err());
        let put = c.clone().with_assign_method(AssignMethod::Put);
        let a = AssignProfile {
            profile_uuid: "P".into(),
            devices: vec![serial("A")],
        };
        assert_eq!(put.request(&a, "s").unwrap().method(), Method::PUT);
        assert_eq!(c.request(&a, "s").unwrap().method(), Method::POST);
    }
}
