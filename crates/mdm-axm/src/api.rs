//! The sans-IO core: a [`Config`] turns the token request and every endpoint into an
//! `http::Request`, and reads the `http::Response` back into a typed document or one
//! classified [`Error`]. [`Pager`] follows cursors.

use std::time::Duration;

use chrono::{DateTime, Utc};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{Method, Request, Response};
use mdm_types::SerialNumber;

use crate::activity::ActivityRequest;
use crate::auth::{
    Credentials, DEFAULT_ASSERTION_LIFETIME, DEFAULT_TOKEN_URL, MAX_ASSERTION_LIFETIME, Secret,
    TokenRequestStyle, TokenResponse, percent_encode_into, token_params,
};
use crate::error::{ApiError, Error, OAuthError};
use crate::types::{
    AppleCareCoverageResponse, LinkageResponse, LinkagesResponse, MdmServerResponse,
    MdmServersResponse, OrgDeviceActivityResponse, OrgDeviceResponse, OrgDevicesResponse,
};

/// The Apple Business Manager API host.
pub const BUSINESS_BASE_URL: &str = "https://api-business.apple.com";
/// The Apple School Manager API host.
pub const SCHOOL_BASE_URL: &str = "https://api-school.apple.com";
/// The media type sent in `Accept` (any other gets a 406) and `Content-Type`.
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// The largest `limit` the list endpoints accept.
pub const MAX_PAGE_LIMIT: u32 = 1000;
/// The `limit` Apple uses when none is sent.
pub const DEFAULT_PAGE_LIMIT: u32 = 100;
/// Longest cursor accepted from a response (Apple's are about 50 bytes).
pub const MAX_CURSOR_LEN: usize = 4096;
/// Most names accepted in one `fields[...]` parameter.
pub const MAX_FIELDS: usize = 64;

/// Where to send requests and how to ask for tokens; every setter names its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    base_url: String,
    token_url: String,
    token_style: TokenRequestStyle,
    assertion_lifetime: Duration,
    user_agent: Option<String>,
}

impl Config {
    /// The configuration for the portal of `credentials` (the business or school host,
    /// chosen from the client id), Apple's documented token endpoint, assertions valid
    /// for [`DEFAULT_ASSERTION_LIFETIME`], no `User-Agent`.
    pub fn for_credentials(credentials: &Credentials) -> Self {
        Config {
            base_url: credentials.scope().base_url().to_owned(),
            token_url: DEFAULT_TOKEN_URL.to_owned(),
            token_style: TokenRequestStyle::Query,
            assertion_lifetime: DEFAULT_ASSERTION_LIFETIME,
            user_agent: None,
        }
    }

    /// Sends API requests to `url` instead (a mock, a proxy). Default: the portal's host.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when it is not an `http` or `https` URL.
    pub fn with_base_url(mut self, url: &str) -> Result<Self, Error> {
        self.base_url = check_url(url)?;
        Ok(self)
    }

    /// Asks for tokens at `url` instead. Default: [`DEFAULT_TOKEN_URL`].
    ///
    /// # Errors
    /// As [`Config::with_base_url`].
    pub fn with_token_url(mut self, url: &str) -> Result<Self, Error> {
        self.token_url = check_url(url)?;
        Ok(self)
    }

    /// Where the token request puts its parameters. Default: [`TokenRequestStyle::Query`].
    pub fn with_token_style(mut self, style: TokenRequestStyle) -> Self {
        self.token_style = style;
        self
    }

    /// How long each signed assertion is valid. Default: [`DEFAULT_ASSERTION_LIFETIME`].
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when zero or over [`MAX_ASSERTION_LIFETIME`].
    pub fn with_assertion_lifetime(mut self, lifetime: Duration) -> Result<Self, Error> {
        if lifetime.is_zero() || lifetime > MAX_ASSERTION_LIFETIME {
            return Err(Error::InvalidRequest(
                "the assertion lifetime must be more than 0 s and at most 180 days".into(),
            ));
        }
        self.assertion_lifetime = lifetime;
        Ok(self)
    }

    /// Sends this `User-Agent`. Default: none.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when it is not a valid header value.
    pub fn with_user_agent(mut self, ua: &str) -> Result<Self, Error> {
        http::HeaderValue::from_str(ua)
            .map_err(|_| Error::InvalidRequest("the user agent is not a header value".into()))?;
        self.user_agent = Some(ua.to_owned());
        Ok(self)
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The assertion lifetime.
    pub fn assertion_lifetime(&self) -> Duration {
        self.assertion_lifetime
    }

    /// The token request: a fresh client assertion issued at `now` with this `jti`, POSTed
    /// with the parameters where [`Config::with_token_style`] says.
    ///
    /// # Errors
    /// As [`Credentials::assertion`].
    pub fn token_request(
        &self,
        credentials: &Credentials,
        now: DateTime<Utc>,
        jti: &str,
    ) -> Result<Request<Vec<u8>>, Error> {
        let assertion = credentials.assertion(now, self.assertion_lifetime, jti)?;
        let params = token_params(credentials, &assertion);
        let (uri, body) = match self.token_style {
            TokenRequestStyle::Query => {
                let sep = if self.token_url.contains('?') {
                    '&'
                } else {
                    '?'
                };
                (format!("{}{sep}{params}", self.token_url), Vec::new())
            }
            TokenRequestStyle::Form => (self.token_url.clone(), params.into_bytes()),
        };
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, JSON_CONTENT_TYPE);
        if let Some(ua) = &self.user_agent {
            b = b.header(USER_AGENT, ua);
        }
        b.body(body)
            .map_err(|e| Error::InvalidRequest(format!("token request: {e}")))
    }

    /// Reads the token endpoint's answer.
    ///
    /// # Errors
    /// [`Error::TokenRefused`] for any status but 200 (with the RFC 6749 body when there is
    /// one); [`Error::MalformedResponse`] for a 200 without a token.
    pub fn token_response(
        &self,
        response: Response<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<TokenResponse, Error> {
        let status = response.status().as_u16();
        let body = *response.body();
        if response.status().is_success() {
            return TokenResponse::decode(body);
        }
        let api = ApiError::from_parts(status, response.headers(), body, now);
        let oauth = OAuthError::decode(body).ok().map(Box::new);
        let detail = match &oauth {
            Some(o) => o.to_string(),
            None => api.to_string(),
        };
        Err(Error::TokenRefused {
            status,
            oauth,
            detail,
            retry_after: api.retry_after,
        })
    }

    /// The request of `endpoint`, with the access token. `now` is the clock the endpoint
    /// checks its rules against (migration deadlines).
    ///
    /// ```
    /// use mdm_axm::{Config, Credentials, ListOrgDevices, Secret, SigningKey};
    /// # fn main() -> Result<(), mdm_axm::Error> {
    /// let creds = Credentials::new("SCHOOLAPI.1", "k", SigningKey::generate()?)?;
    /// let config = Config::for_credentials(&creds);
    /// let list = ListOrgDevices::new().with_limit(2)?.with_fields(["serialNumber"])?;
    /// let req = config.request(&list, &Secret::new("tok"), chrono::Utc::now())?;
    /// assert_eq!(req.uri().host(), Some("api-school.apple.com"));
    /// assert_eq!(req.uri().query(), Some("fields[orgDevices]=serialNumber&limit=2"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the endpoint breaks a rule (see
    /// [`ActivityRequest::check`]) or the URL cannot be built.
    pub fn request<E: Endpoint>(
        &self,
        endpoint: &E,
        access_token: &Secret,
        now: DateTime<Utc>,
    ) -> Result<Request<Vec<u8>>, Error> {
        let body = endpoint.body(now)?;
        let uri = format!("{}{}", self.base_url, endpoint.path_and_query());
        let mut b = Request::builder()
            .method(endpoint.method())
            .uri(uri)
            .header(ACCEPT, JSON_CONTENT_TYPE)
            .header(
                AUTHORIZATION,
                format!("Bearer {}", access_token.expose_secret()),
            );
        if body.is_some() {
            b = b.header(CONTENT_TYPE, JSON_CONTENT_TYPE);
        }
        if let Some(ua) = &self.user_agent {
            b = b.header(USER_AGENT, ua);
        }
        b.body(body.unwrap_or_default())
            .map_err(|e| Error::InvalidRequest(format!("{}: {e}", E::NAME)))
    }

    /// Reads the answer to `endpoint`'s request: a 2xx body decoded, anything else one
    /// classified error ([`Error::from_api`]).
    ///
    /// # Errors
    /// [`Error::Unauthorized`], [`Error::Forbidden`], [`Error::NotFound`],
    /// [`Error::Conflict`], [`Error::Unprocessable`], [`Error::Api`];
    /// [`Error::MalformedResponse`] for a 2xx body that is not the document.
    pub fn response<E: Endpoint>(
        &self,
        response: Response<&[u8]>,
        now: DateTime<Utc>,
    ) -> Result<E::Output, Error> {
        let status = response.status();
        if status.is_success() {
            return E::decode(status.as_u16(), response.body());
        }
        Err(Error::from_api(ApiError::from_parts(
            status.as_u16(),
            response.headers(),
            response.body(),
            now,
        )))
    }
}

fn check_url(url: &str) -> Result<String, Error> {
    let url = url.trim().trim_end_matches('/');
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.parse::<http::Uri>().is_ok_and(|u| u.host().is_some());
    if !ok {
        return Err(Error::InvalidRequest(format!(
            "{url:?} is not an http or https URL"
        )));
    }
    Ok(url.to_owned())
}

/// One API endpoint: how its request looks and how its answer reads.
pub trait Endpoint {
    /// What a success answer decodes to.
    type Output;
    /// A short name for errors.
    const NAME: &'static str;
    /// The HTTP method.
    fn method(&self) -> Method {
        Method::GET
    }
    /// The path and query, starting with `/v1/`.
    fn path_and_query(&self) -> String;
    /// The JSON body, checked against the clock `now`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when the request breaks a rule.
    fn body(&self, now: DateTime<Utc>) -> Result<Option<Vec<u8>>, Error> {
        let _ = now;
        Ok(None)
    }
    /// Reads a 2xx answer.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] when the body is not the document.
    fn decode(status: u16, body: &[u8]) -> Result<Self::Output, Error>;
}

/// A list endpoint that pages with a cursor.
pub trait Paged: Endpoint + Clone {
    /// The same request for the page at `cursor`.
    fn with_cursor(&self, cursor: String) -> Self;
    /// The cursor of the next page in an answer, `None` on the last.
    fn next_cursor(output: &Self::Output) -> Option<String>;
}

fn path_segment(id: &str) -> String {
    let mut out = String::new();
    percent_encode_into(&mut out, id);
    out
}

/// Query parameters shared by list and read endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Query {
    fields: Vec<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

impl Query {
    fn fields<I, S>(&mut self, fields: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let fields: Vec<String> = fields.into_iter().map(Into::into).collect();
        if fields.len() > MAX_FIELDS
            || fields.iter().any(|f| {
                f.is_empty() || f.len() > 64 || !f.bytes().all(|b| b.is_ascii_alphanumeric())
            })
        {
            return Err(Error::InvalidRequest(format!(
                "fields are 1 to {MAX_FIELDS} attribute names of letters and digits"
            )));
        }
        self.fields = fields;
        Ok(())
    }

    fn limit(&mut self, limit: u32) -> Result<(), Error> {
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(Error::InvalidRequest(format!(
                "limit {limit} is outside 1 to {MAX_PAGE_LIMIT}"
            )));
        }
        self.limit = Some(limit);
        Ok(())
    }

    fn render(&self, path: &str, kind: &str) -> String {
        let mut out = path.to_owned();
        let mut sep = '?';
        if !self.fields.is_empty() {
            out.push(sep);
            sep = '&';
            out.push_str("fields[");
            out.push_str(kind);
            out.push_str("]=");
            out.push_str(&self.fields.join(","));
        }
        if let Some(l) = self.limit {
            out.push(sep);
            sep = '&';
            out.push_str(&format!("limit={l}"));
        }
        if let Some(c) = &self.cursor {
            out.push(sep);
            out.push_str("cursor=");
            percent_encode_into(&mut out, c);
        }
        out
    }
}

macro_rules! query_setters {
    ($name:ident, fields $(, limit)?) => {
        impl $name {
            /// Asks only for these attributes (`fields[...]`). Default: all.
            ///
            /// # Errors
            /// [`Error::InvalidRequest`] for a name that is not letters and digits, or
            /// more than [`MAX_FIELDS`] names.
            pub fn with_fields<I, S>(mut self, fields: I) -> Result<Self, Error>
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                self.query.fields(fields)?;
                Ok(self)
            }
        }
    };
}

macro_rules! paging_setters {
    ($name:ident) => {
        impl $name {
            /// The page size, 1 to [`MAX_PAGE_LIMIT`]. Default: Apple's
            /// ([`DEFAULT_PAGE_LIMIT`]).
            ///
            /// # Errors
            /// [`Error::InvalidRequest`] outside that range.
            pub fn with_limit(mut self, limit: u32) -> Result<Self, Error> {
                self.query.limit(limit)?;
                Ok(self)
            }

            /// Starts at this cursor (from a previous page). Default: the first page.
            pub fn with_cursor(mut self, cursor: impl Into<String>) -> Self {
                self.query.cursor = Some(cursor.into());
                self
            }
        }
    };
}

macro_rules! paged {
    ($name:ident) => {
        impl Paged for $name {
            fn with_cursor(&self, cursor: String) -> Self {
                let mut next = self.clone();
                next.query.cursor = Some(cursor);
                next
            }
            fn next_cursor(output: &Self::Output) -> Option<String> {
                output.next_cursor()
            }
        }
    };
}

fn decode_doc<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    crate::json::decode("document", body)
}

/// `GET /v1/orgDevices`: the organization's devices, a page at a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListOrgDevices {
    query: Query,
}

impl ListOrgDevices {
    /// The first page with Apple's defaults.
    pub fn new() -> Self {
        Self::default()
    }
}
query_setters!(ListOrgDevices, fields, limit);
paging_setters!(ListOrgDevices);
paged!(ListOrgDevices);

impl Endpoint for ListOrgDevices {
    type Output = OrgDevicesResponse;
    const NAME: &'static str = "orgDevices";
    fn path_and_query(&self) -> String {
        self.query.render("/v1/orgDevices", "orgDevices")
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// `GET /v1/orgDevices/{serial}`: one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetOrgDevice {
    serial: SerialNumber,
    query: Query,
}

impl GetOrgDevice {
    /// The device with this serial number.
    pub fn new(serial: SerialNumber) -> Self {
        GetOrgDevice {
            serial,
            query: Query::default(),
        }
    }
}
query_setters!(GetOrgDevice, fields);

impl Endpoint for GetOrgDevice {
    type Output = OrgDeviceResponse;
    const NAME: &'static str = "orgDevice";
    fn path_and_query(&self) -> String {
        let path = format!("/v1/orgDevices/{}", path_segment(self.serial.as_str()));
        self.query.render(&path, "orgDevices")
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// `GET /v1/orgDevices/{serial}/relationships/assignedServer`: the id of the device's MDM
/// server (`data` is `None`, or has an empty id, when it is unassigned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAssignedServerLinkage {
    serial: SerialNumber,
}

impl GetAssignedServerLinkage {
    /// For the device with this serial number.
    pub fn new(serial: SerialNumber) -> Self {
        GetAssignedServerLinkage { serial }
    }
}

impl Endpoint for GetAssignedServerLinkage {
    type Output = LinkageResponse;
    const NAME: &'static str = "assignedServer linkage";
    fn path_and_query(&self) -> String {
        format!(
            "/v1/orgDevices/{}/relationships/assignedServer",
            path_segment(self.serial.as_str())
        )
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// `GET /v1/orgDevices/{serial}/assignedServer`: the device's MDM server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAssignedServer {
    serial: SerialNumber,
    query: Query,
}

impl GetAssignedServer {
    /// For the device with this serial number.
    pub fn new(serial: SerialNumber) -> Self {
        GetAssignedServer {
            serial,
            query: Query::default(),
        }
    }
}
query_setters!(GetAssignedServer, fields);

impl Endpoint for GetAssignedServer {
    type Output = MdmServerResponse;
    const NAME: &'static str = "assignedServer";
    fn path_and_query(&self) -> String {
        let path = format!(
            "/v1/orgDevices/{}/assignedServer",
            path_segment(self.serial.as_str())
        );
        self.query.render(&path, "mdmServers")
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// `GET /v1/orgDevices/{serial}/appleCareCoverage` (1.3 and later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAppleCareCoverage {
    serial: SerialNumber,
    query: Query,
}

impl GetAppleCareCoverage {
    /// For the device with this serial number.
    pub fn new(serial: SerialNumber) -> Self {
        GetAppleCareCoverage {
            serial,
            query: Query::default(),
        }
    }
}
query_setters!(GetAppleCareCoverage, fields, limit);
paging_setters!(GetAppleCareCoverage);
paged!(GetAppleCareCoverage);

impl Endpoint for GetAppleCareCoverage {
    type Output = AppleCareCoverageResponse;
    const NAME: &'static str = "appleCareCoverage";
    fn path_and_query(&self) -> String {
        let path = format!(
            "/v1/orgDevices/{}/appleCareCoverage",
            path_segment(self.serial.as_str())
        );
        self.query.render(&path, "appleCareCoverage")
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// `GET /v1/mdmServers`: the organization's MDM servers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListMdmServers {
    query: Query,
}

impl ListMdmServers {
    /// The first page with Apple's defaults.
    pub fn new() -> Self {
        Self::default()
    }
}
query_setters!(ListMdmServers, fields, limit);
paging_setters!(ListMdmServers);
paged!(ListMdmServers);

impl Endpoint for ListMdmServers {
    type Output = MdmServersResponse;
    const NAME: &'static str = "mdmServers";
    fn path_and_query(&self) -> String {
        self.query.render("/v1/mdmServers", "mdmServers")
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// `GET /v1/mdmServers/{id}/relationships/devices`: the serial numbers assigned to a
/// server, a page at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMdmServerDevices {
    server_id: String,
    query: Query,
}

impl ListMdmServerDevices {
    /// The devices of this server.
    pub fn new(server_id: impl Into<String>) -> Self {
        ListMdmServerDevices {
            server_id: server_id.into(),
            query: Query::default(),
        }
    }
}
paging_setters!(ListMdmServerDevices);
paged!(ListMdmServerDevices);

impl Endpoint for ListMdmServerDevices {
    type Output = LinkagesResponse;
    const NAME: &'static str = "mdmServer devices";
    fn path_and_query(&self) -> String {
        let path = format!(
            "/v1/mdmServers/{}/relationships/devices",
            path_segment(&self.server_id)
        );
        self.query.render(&path, "orgDevices")
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// `POST /v1/orgDeviceActivities`: starts an activity (201 with the new activity). The
/// request's rules are checked against the clock when the request is built.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateActivity {
    request: ActivityRequest,
}

impl CreateActivity {
    /// Sends this activity.
    pub fn new(request: ActivityRequest) -> Self {
        CreateActivity { request }
    }
}

impl Endpoint for CreateActivity {
    type Output = OrgDeviceActivityResponse;
    const NAME: &'static str = "create orgDeviceActivity";
    fn method(&self) -> Method {
        Method::POST
    }
    fn path_and_query(&self) -> String {
        "/v1/orgDeviceActivities".into()
    }
    fn body(&self, now: DateTime<Utc>) -> Result<Option<Vec<u8>>, Error> {
        self.request.check(now)?;
        self.request.encode().map(Some)
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// `GET /v1/orgDeviceActivities/{id}`: an activity's status (readable for about 30 days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetActivity {
    id: String,
    query: Query,
}

impl GetActivity {
    /// The activity with this id.
    pub fn new(id: impl Into<String>) -> Self {
        GetActivity {
            id: id.into(),
            query: Query::default(),
        }
    }
}
query_setters!(GetActivity, fields);

impl Endpoint for GetActivity {
    type Output = OrgDeviceActivityResponse;
    const NAME: &'static str = "orgDeviceActivity";
    fn path_and_query(&self) -> String {
        let path = format!("/v1/orgDeviceActivities/{}", path_segment(&self.id));
        self.query.render(&path, "orgDeviceActivities")
    }
    fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
        decode_doc(body)
    }
}

/// Follows the cursor of a list endpoint, sans-IO: [`Pager::next_request`] gives the
/// request for the next page (`None` when done), [`Pager::feed`] takes its answer.
///
/// It stops when a page has no cursor, and refuses a cursor that is too long or repeats
/// the previous one (a server loop would otherwise page forever).
///
/// ```
/// use mdm_axm::{Document, ListOrgDevices, OrgDevicesResponse, Pager};
/// let mut pager = Pager::new(ListOrgDevices::new());
/// let first = pager.next_request().unwrap();
/// let page: OrgDevicesResponse = Document::new(vec![]).with_paging(Some(100), Some("c1".into()));
/// pager.feed(&page).unwrap();
/// let second = pager.next_request().unwrap();
/// assert_ne!(first, second);
/// pager.feed(&Document::new(vec![])).unwrap();
/// assert!(pager.next_request().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Pager<E: Paged> {
    first: E,
    cursor: Option<String>,
    done: bool,
    pages: u64,
}

impl<E: Paged> Pager<E> {
    /// Starts at the endpoint's own cursor (usually the first page).
    pub fn new(endpoint: E) -> Self {
        Pager {
            first: endpoint,
            cursor: None,
            done: false,
            pages: 0,
        }
    }

    /// The request for the next page, or `None` when every page was read.
    pub fn next_request(&self) -> Option<E> {
        if self.done {
            return None;
        }
        Some(match &self.cursor {
            Some(c) => self.first.with_cursor(c.clone()),
            None => self.first.clone(),
        })
    }

    /// Takes a page's answer.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] when its cursor is longer than [`MAX_CURSOR_LEN`] or
    /// the same as the one just sent; the pager is then done.
    pub fn feed(&mut self, page: &E::Output) -> Result<(), Error> {
        self.pages += 1;
        match E::next_cursor(page) {
            None => {
                self.done = true;
                Ok(())
            }
            Some(c) if c.len() > MAX_CURSOR_LEN || self.cursor.as_deref() == Some(c.as_str()) => {
                self.done = true;
                Err(Error::MalformedResponse {
                    what: E::NAME,
                    detail: "the next cursor is too long or repeats the last one".into(),
                })
            }
            Some(c) => {
                self.cursor = Some(c);
                Ok(())
            }
        }
    }

    /// The cursor of the next page (persist it to resume).
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// Pages fed so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Whether every page was read.
    pub fn is_done(&self) -> bool {
        self.done
    }
}

#[cfg(feature = "v2")]
pub use v2::*;

#[cfg(feature = "v2")]
mod v2 {
    //! Apple Business API 2.x endpoints (feature `v2`).
    use super::*;
    use crate::types::{Document, MdmServer, Resource};

    /// The attributes of a new MDM server (2.1): its name and its server certificate.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub struct NewMdmServer {
        /// The name shown in the portal.
        pub server_name: String,
        /// The certificate's file name.
        pub certificate_name: String,
        /// The DER X.509 certificate (sent base64).
        pub certificate_der: Vec<u8>,
    }

    impl NewMdmServer {
        /// A server with this name and certificate.
        pub fn new(
            server_name: impl Into<String>,
            certificate_name: impl Into<String>,
            certificate_der: Vec<u8>,
        ) -> Self {
            NewMdmServer {
                server_name: server_name.into(),
                certificate_name: certificate_name.into(),
                certificate_der,
            }
        }
    }

    /// `POST /v1/mdmServers` (2.1).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CreateMdmServer {
        server: NewMdmServer,
    }

    impl CreateMdmServer {
        /// Creates this server.
        pub fn new(server: NewMdmServer) -> Self {
            CreateMdmServer { server }
        }
    }

    impl Endpoint for CreateMdmServer {
        type Output = MdmServerResponse;
        const NAME: &'static str = "create mdmServer";
        fn method(&self) -> Method {
            Method::POST
        }
        fn path_and_query(&self) -> String {
            "/v1/mdmServers".into()
        }
        fn body(&self, _: DateTime<Utc>) -> Result<Option<Vec<u8>>, Error> {
            use base64::Engine as _;
            if self.server.server_name.trim().is_empty() || self.server.certificate_der.is_empty() {
                return Err(Error::InvalidRequest(
                    "a new MDM server needs a name and a certificate".into(),
                ));
            }
            let body = serde_json::json!({"data": {"type": "mdmServers", "attributes": {
                "serverName": self.server.server_name,
                "serverCertificate": {
                    "name": self.server.certificate_name,
                    "data": base64::engine::general_purpose::STANDARD.encode(&self.server.certificate_der),
                },
            }}});
            crate::json::encode(&body).map(Some)
        }
        fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
            decode_doc(body)
        }
    }

    /// `GET /v1/mdmServers/{id}` (2.1).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GetMdmServer {
        id: String,
        query: Query,
    }

    impl GetMdmServer {
        /// The server with this id.
        pub fn new(id: impl Into<String>) -> Self {
            GetMdmServer {
                id: id.into(),
                query: Query::default(),
            }
        }
    }
    query_setters!(GetMdmServer, fields);

    impl Endpoint for GetMdmServer {
        type Output = MdmServerResponse;
        const NAME: &'static str = "mdmServer";
        fn path_and_query(&self) -> String {
            let path = format!("/v1/mdmServers/{}", path_segment(&self.id));
            self.query.render(&path, "mdmServers")
        }
        fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
            decode_doc(body)
        }
    }

    /// `PATCH /v1/mdmServers/{id}` (2.1): sends the attributes set in `changes`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct UpdateMdmServer {
        id: String,
        changes: MdmServer,
    }

    impl UpdateMdmServer {
        /// Changes the server `id`; only the fields set in `changes` are sent.
        pub fn new(id: impl Into<String>, changes: MdmServer) -> Self {
            UpdateMdmServer {
                id: id.into(),
                changes,
            }
        }
    }

    impl Endpoint for UpdateMdmServer {
        type Output = MdmServerResponse;
        const NAME: &'static str = "update mdmServer";
        fn method(&self) -> Method {
            Method::PATCH
        }
        fn path_and_query(&self) -> String {
            format!("/v1/mdmServers/{}", path_segment(&self.id))
        }
        fn body(&self, _: DateTime<Utc>) -> Result<Option<Vec<u8>>, Error> {
            let doc = Document::new(Resource::new(
                "mdmServers",
                self.id.clone(),
                self.changes.clone(),
            ));
            doc.encode().map(Some)
        }
        fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
            decode_doc(body)
        }
    }

    /// `DELETE /v1/mdmServers/{id}` (2.1; 204).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct DeleteMdmServer {
        id: String,
    }

    impl DeleteMdmServer {
        /// Deletes the server `id`.
        pub fn new(id: impl Into<String>) -> Self {
            DeleteMdmServer { id: id.into() }
        }
    }

    impl Endpoint for DeleteMdmServer {
        type Output = ();
        const NAME: &'static str = "delete mdmServer";
        fn method(&self) -> Method {
            Method::DELETE
        }
        fn path_and_query(&self) -> String {
            format!("/v1/mdmServers/{}", path_segment(&self.id))
        }
        fn decode(_: u16, _: &[u8]) -> Result<(), Error> {
            Ok(())
        }
    }

    /// The attributes of an Apple MDM enrolled device (`mdmDevices`, 2.0).
    #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[non_exhaustive]
    pub struct MdmDevice {
        /// The serial number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub serial_number: Option<SerialNumber>,
        /// The device name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub device_name: Option<String>,
        /// The product family.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub product_family: Option<crate::types::ProductFamily>,
        /// The enrolled user's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub enrolled_user_id: Option<String>,
        /// Attributes this version does not model (`details` ...).
        #[serde(flatten)]
        pub extra: crate::json::Extra,
    }

    /// `GET /v1/mdmDevices`: a page of Apple MDM enrolled devices.
    pub type MdmDevicesResponse = Document<Vec<Resource<MdmDevice>>>;

    /// `GET /v1/mdmDevices` (2.0).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ListMdmDevices {
        query: Query,
    }

    impl ListMdmDevices {
        /// The first page.
        pub fn new() -> Self {
            Self::default()
        }
    }
    query_setters!(ListMdmDevices, fields, limit);
    paging_setters!(ListMdmDevices);
    paged!(ListMdmDevices);

    impl Endpoint for ListMdmDevices {
        type Output = MdmDevicesResponse;
        const NAME: &'static str = "mdmDevices";
        fn path_and_query(&self) -> String {
            self.query.render("/v1/mdmDevices", "mdmDevices")
        }
        fn decode(_: u16, body: &[u8]) -> Result<Self::Output, Error> {
            decode_doc(body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::SigningKey;
    use crate::types::Document;

    fn config() -> (Config, Credentials) {
        let c = Credentials::new("BUSINESSAPI.x", "k", SigningKey::generate().unwrap()).unwrap();
        (Config::for_credentials(&c), c)
    }

    #[test]
    fn paths_and_queries() {
        let s = SerialNumber::new("C02/X?").unwrap();
        assert_eq!(
            GetOrgDevice::new(s.clone()).path_and_query(),
            "/v1/orgDevices/C02%2FX%3F"
        );
        assert_eq!(
            GetAssignedServerLinkage::new(s.clone()).path_and_query(),
            "/v1/orgDevices/C02%2FX%3F/relationships/assignedServer"
        );
        assert_eq!(
            ListMdmServerDevices::new("ABC")
                .with_limit(1000)
                .unwrap()
                .with_cursor("a b")
                .path_and_query(),
            "/v1/mdmServers/ABC/relationships/devices?limit=1000&cursor=a%20b"
        );
        assert!(ListOrgDevices::new().with_limit(0).is_err());
        assert!(ListOrgDevices::new().with_limit(1001).is_err());
        assert!(ListOrgDevices::new().with_fields(["a,b"]).is_err());
        let (config, _) = config();
        let req = config
            .request(&GetAppleCareCoverage::new(s), &Secret::new("t"), Utc::now())
            .unwrap();
        assert_eq!(req.headers()[ACCEPT], "application/json");
        assert_eq!(req.headers()[AUTHORIZATION], "Bearer t");
        assert_eq!(req.uri().host(), Some("api-business.apple.com"));
    }

    #[test]
    fn token_request_styles() {
        let (config, creds) = config();
        let now = Utc::now();
        let req = config.token_request(&creds, now, "j").unwrap();
        assert_eq!(req.uri().path(), "/auth/oauth2/token");
        let q = crate::auth::form_decode(req.uri().query().unwrap());
        assert!(q.contains(&("scope".into(), "business.api".into())));
        assert!(q.contains(&("grant_type".into(), "client_credentials".into())));
        assert!(req.body().is_empty());
        let req = config
            .with_token_url(crate::auth::TOKEN_URL_V2)
            .unwrap()
            .with_token_style(TokenRequestStyle::Form)
            .token_request(&creds, now, "j")
            .unwrap();
        assert_eq!(req.uri().query(), None);
        let body = crate::auth::form_decode(std::str::from_utf8(req.body()).unwrap());
        assert!(body.iter().any(|(k, _)| k == "client_assertion"));
    }

    #[test]
    fn token_errors() {
        let (config, _) = config();
        let resp = Response::builder()
            .status(400)
            .body(&br#"{"error":"invalid_client"}"#[..])
            .unwrap();
        let e = config.token_response(resp, Utc::now()).unwrap_err();
        assert!(e.is_unauthorized() && !e.is_retryable());
        let resp = Response::builder()
            .status(503)
            .header("retry-after", "5")
            .body(&b"busy"[..])
            .unwrap();
        let e = config.token_response(resp, Utc::now()).unwrap_err();
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(5)));
    }

    #[test]
    fn deadline_checked_when_building() {
        let (config, _) = config();
        let s = SerialNumber::new("S1").unwrap();
        let far = Utc::now() + chrono::Duration::days(100);
        let r = ActivityRequest::update_migration_deadline([s], far).unwrap();
        assert!(
            config
                .request(&CreateActivity::new(r), &Secret::new("t"), Utc::now())
                .is_err()
        );
    }

    #[test]
    fn pager_refuses_a_repeated_cursor() {
        let mut p = Pager::new(ListMdmServers::new());
        let page: MdmServersResponse = Document::new(vec![]).with_paging(None, Some("c".into()));
        p.feed(&page).unwrap();
        assert!(p.feed(&page).is_err());
        assert!(p.next_request().is_none());
    }
}
