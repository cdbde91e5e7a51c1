//! Building requests: the content token, the live service configuration and our
//! `mdmInfo`, turned into `http::Request`s for every endpoint.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use mdm_types::SerialNumber;
use serde::Serialize;

use crate::error::Error;
use crate::ids::{AdamId, ClientUserId, EventId};
use crate::response::ApiResponse;
use crate::token::ContentToken;
use crate::types::{
    ClientConfigRequest, ManageAssetsRequest, ManageUsersRequest, MdmInfo, PricingParam,
    ProductType, RevokeAssetsRequest, ServiceConfig, ServiceUrls,
};

/// Apple's v2 base URL; `service/config` under it lists every other URL.
pub const DEFAULT_BASE_URL: &str = "https://vpp.itunes.apple.com/mdm/v2";

/// A clock: the current time, injectable for tests.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The sans-IO core: builds every request of the API from the content token and the
/// live service configuration, and reads every answer with the `mdmInfo` ownership check.
///
/// Every request builder first refuses an expired token ([`Error::TokenExpired`]); POST
/// bodies are checked against the configuration's limits.
///
/// ```
/// use mdm_vpp::{Api, AssetsQuery, ContentToken, ServiceConfig};
///
/// # fn main() -> Result<(), mdm_vpp::Error> {
/// let token = ContentToken::decode(b"eyJ0b2tlbiI6ImMyVmpjbVYwIiwiZXhwRGF0ZSI6IjIwMzAtMTEtMDhUMjI6MzM6MjIrMDAwMCIsIm9yZ05hbWUiOiJFeGFtcGxlIE9yZyJ9")?;
/// let config = ServiceConfig::with_base_url("https://vpp.itunes.apple.com/mdm/v2");
/// let api = Api::new(token, config);
/// let request = api.get_assets_request(&AssetsQuery::default(), 2)?;
/// assert_eq!(request.uri(), "https://vpp.itunes.apple.com/mdm/v2/assets?pageIndex=2");
/// assert!(request.headers()["authorization"].to_str().unwrap_or("").starts_with("Bearer "));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Api {
    token: ContentToken,
    config: ServiceConfig,
    mdm_info: Option<MdmInfo>,
    clock: Clock,
}

impl Api {
    /// The core for `token` and a service configuration (read with
    /// [`Api::service_config_request`], or [`ServiceConfig::with_base_url`]).
    pub fn new(token: ContentToken, config: ServiceConfig) -> Self {
        Api {
            token,
            config,
            mdm_info: None,
            clock: Arc::new(Utc::now),
        }
    }

    /// Checks every answer that carries `mdmInfo` against `info` (default: no check).
    #[must_use]
    pub fn with_mdm_info(mut self, info: MdmInfo) -> Self {
        self.mdm_info = Some(info);
        self
    }

    /// Uses `clock` for the token's expiry check (default [`Utc::now`]).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The `GET service/config` request (no authorization) under `base_url`.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `base_url` is not an http(s) URL.
    pub fn service_config_request(base_url: &str) -> Result<http::Request<Vec<u8>>, Error> {
        let url = format!("{}/service/config", base_url.trim_end_matches('/'));
        let uri = parse_url(&url)?;
        http::Request::get(uri)
            .header(ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| Error::invalid("request", e.to_string()))
    }

    /// The content token.
    pub fn token(&self) -> &ContentToken {
        &self.token
    }

    /// The service configuration in use.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Replaces the service configuration (after a refresh).
    pub fn set_config(&mut self, config: ServiceConfig) {
        self.config = config;
    }

    /// Our `mdmInfo`, when ownership is checked.
    pub fn mdm_info(&self) -> Option<&MdmInfo> {
        self.mdm_info.as_ref()
    }

    /// The current time of this core's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// `GET client/config`.
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`].
    pub fn client_config_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        self.get(
            url(&self.config.urls, Endpoint::ClientConfig)?,
            &Query::default(),
        )
    }

    /// `POST client/config`, after checking the body against the live limits (lengths of
    /// the notification fields and of `mdmInfo`, URL and token given together, HTTPS).
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`], [`Error::LimitExceeded`] or
    /// [`Error::Invalid`].
    pub fn update_client_config_request(
        &self,
        body: &ClientConfigRequest,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        self.check_client_config(body)?;
        self.post(url(&self.config.urls, Endpoint::ClientConfig)?, body)
    }

    /// `GET assets` for page `page_index`.
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`].
    pub fn get_assets_request(
        &self,
        query: &AssetsQuery,
        page_index: u32,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let mut q = query.to_query();
        q.push_page(page_index);
        self.get(url(&self.config.urls, Endpoint::GetAssets)?, &q)
    }

    /// `GET assignments` for page `page_index`.
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`].
    pub fn get_assignments_request(
        &self,
        query: &AssignmentsQuery,
        page_index: u32,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let mut q = query.to_query();
        q.push_page(page_index);
        self.get(url(&self.config.urls, Endpoint::GetAssignments)?, &q)
    }

    /// `GET users` for page `page_index`.
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`].
    pub fn get_users_request(
        &self,
        query: &UsersQuery,
        page_index: u32,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let mut q = query.to_query();
        q.push_page(page_index);
        self.get(url(&self.config.urls, Endpoint::GetUsers)?, &q)
    }

    /// `POST assets/associate` with one chunk (see [`ManageAssetsRequest::chunks`]).
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`], [`Error::LimitExceeded`],
    /// [`Error::Invalid`] (no assets, or no devices and no users).
    pub fn associate_request(
        &self,
        body: &ManageAssetsRequest,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        body.check(&self.config.limits)?;
        self.post(url(&self.config.urls, Endpoint::Associate)?, body)
    }

    /// `POST assets/disassociate` with one chunk.
    ///
    /// # Errors
    /// As [`Api::associate_request`].
    pub fn disassociate_request(
        &self,
        body: &ManageAssetsRequest,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        body.check(&self.config.limits)?;
        self.post(url(&self.config.urls, Endpoint::Disassociate)?, body)
    }

    /// `POST assets/revoke` with one chunk (see [`RevokeAssetsRequest::chunks`]).
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`], [`Error::LimitExceeded`],
    /// [`Error::Invalid`].
    pub fn revoke_request(
        &self,
        body: &RevokeAssetsRequest,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        body.check(&self.config.limits)?;
        self.post(url(&self.config.urls, Endpoint::Revoke)?, body)
    }

    /// `POST users/create` with one chunk (see [`ManageUsersRequest::chunks`]).
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`], [`Error::LimitExceeded`],
    /// [`Error::Invalid`].
    pub fn create_users_request(
        &self,
        body: &ManageUsersRequest,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        body.check(&self.config.limits)?;
        self.post(url(&self.config.urls, Endpoint::CreateUsers)?, body)
    }

    /// `POST users/update` with one chunk.
    ///
    /// # Errors
    /// As [`Api::create_users_request`].
    pub fn update_users_request(
        &self,
        body: &ManageUsersRequest,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        body.check(&self.config.limits)?;
        self.post(url(&self.config.urls, Endpoint::UpdateUsers)?, body)
    }

    /// `POST users/retire` with one chunk (only `clientUserId` is sent).
    ///
    /// # Errors
    /// As [`Api::create_users_request`].
    pub fn retire_users_request(
        &self,
        body: &ManageUsersRequest,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        body.check(&self.config.limits)?;
        let ids_only = ManageUsersRequest::new(
            body.users
                .iter()
                .map(|u| crate::RequestUser::new(u.client_user_id.clone())),
        );
        self.post(url(&self.config.urls, Endpoint::RetireUsers)?, &ids_only)
    }

    /// `GET status?eventId=…`.
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::MissingUrl`].
    pub fn status_request(&self, event_id: &EventId) -> Result<http::Request<Vec<u8>>, Error> {
        let mut q = Query::default();
        q.push("eventId", event_id.as_str());
        self.get(url(&self.config.urls, Endpoint::EventStatus)?, &q)
    }

    /// Reads an answer as `T` and checks its `mdmInfo` against ours.
    ///
    /// # Errors
    /// Those of [`ApiResponse::response`], and [`Error::MdmConflict`] when the answer
    /// names another MDM.
    pub fn response<T: ApiResponse>(&self, response: http::Response<&[u8]>) -> Result<T, Error> {
        let value = T::response(response)?;
        self.check_owner(&value)?;
        Ok(value)
    }

    /// Checks a decoded answer's `mdmInfo` against ours.
    ///
    /// # Errors
    /// [`Error::MdmConflict`] when it names another MDM.
    pub fn check_owner<T: ApiResponse>(&self, value: &T) -> Result<(), Error> {
        match (&self.mdm_info, value.mdm_info()) {
            (Some(ours), Some(theirs)) if !ours.same_mdm(theirs) => Err(Error::MdmConflict {
                expected: Box::new(ours.clone()),
                found: Box::new(theirs.clone()),
            }),
            _ => Ok(()),
        }
    }

    fn check_client_config(&self, body: &ClientConfigRequest) -> Result<(), Error> {
        let limits = &self.config.limits;
        match (&body.notification_url, &body.notification_auth_token) {
            (Some(_), None) | (None, Some(_)) => {
                return Err(Error::invalid(
                    "client configuration",
                    "the notification url and token must be given together",
                ));
            }
            _ => {}
        }
        if let Some(u) = &body.notification_url {
            check_len("notificationUrl", u, limits.max_notification_length)?;
            let uri: http::Uri = u
                .parse()
                .map_err(|_| Error::invalid("notification url", format!("{u:?} is not a url")))?;
            if uri.scheme_str() != Some("https") || uri.host().is_none() {
                return Err(Error::invalid(
                    "notification url",
                    format!("{u:?} is not an https url"),
                ));
            }
        }
        if let Some(t) = &body.notification_auth_token {
            check_len(
                "notificationAuthToken",
                t.expose_secret(),
                limits.max_notification_length,
            )?;
        }
        if let Some(m) = &body.mdm_info {
            check_len("mdmInfo.id", &m.id, limits.max_mdm_id_length)?;
            check_len("mdmInfo.name", &m.name, limits.max_mdm_name_length)?;
            if let Some(md) = &m.metadata {
                check_len("mdmInfo.metadata", md, limits.max_mdm_metadata_length)?;
            }
        }
        if let Some(types) = &body.notification_types {
            let offered = &self.config.notification_types;
            if let Some(t) = types
                .iter()
                .find(|t| !offered.is_empty() && !offered.contains(t))
            {
                return Err(Error::invalid(
                    "client configuration",
                    format!("the service does not offer notification type {t}"),
                ));
            }
        }
        Ok(())
    }

    fn get(&self, url: &str, query: &Query) -> Result<http::Request<Vec<u8>>, Error> {
        self.token.check(self.now())?;
        let uri = parse_url(&query.append_to(url))?;
        http::Request::get(uri)
            .header(AUTHORIZATION, self.bearer())
            .header(ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| Error::invalid("request", e.to_string()))
    }

    fn post<B: Serialize>(&self, url: &str, body: &B) -> Result<http::Request<Vec<u8>>, Error> {
        self.token.check(self.now())?;
        let uri = parse_url(url)?;
        let body = serde_json::to_vec(body).map_err(|e| Error::malformed("request body", e))?;
        http::Request::post(uri)
            .header(AUTHORIZATION, self.bearer())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body)
            .map_err(|e| Error::invalid("request", e.to_string()))
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.token.expose_secret())
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("token", &self.token)
            .field("config", &self.config)
            .field("mdm_info", &self.mdm_info)
            .finish_non_exhaustive()
    }
}

/// The endpoints, for [`Error::MissingUrl`] messages.
#[derive(Debug, Clone, Copy)]
enum Endpoint {
    ClientConfig,
    GetAssets,
    GetAssignments,
    GetUsers,
    Associate,
    Disassociate,
    Revoke,
    CreateUsers,
    UpdateUsers,
    RetireUsers,
    EventStatus,
}

fn url(urls: &ServiceUrls, e: Endpoint) -> Result<&str, Error> {
    let (u, name) = match e {
        Endpoint::ClientConfig => (&urls.client_config, "clientConfig"),
        Endpoint::GetAssets => (&urls.get_assets, "getAssets"),
        Endpoint::GetAssignments => (&urls.get_assignments, "getAssignments"),
        Endpoint::GetUsers => (&urls.get_users, "getUsers"),
        Endpoint::Associate => (&urls.associate_assets, "associateAssets"),
        Endpoint::Disassociate => (&urls.disassociate_assets, "disassociateAssets"),
        Endpoint::Revoke => (&urls.revoke_assets, "revokeAssets"),
        Endpoint::CreateUsers => (&urls.create_users, "createUsers"),
        Endpoint::UpdateUsers => (&urls.update_users, "updateUsers"),
        Endpoint::RetireUsers => (&urls.retire_users, "retireUsers"),
        Endpoint::EventStatus => (&urls.event_status, "eventStatus"),
    };
    u.as_deref().ok_or(Error::MissingUrl(name))
}

fn parse_url(url: &str) -> Result<http::Uri, Error> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| Error::invalid("url", format!("{url:?} is not a url")))?;
    match uri.scheme_str() {
        Some("https" | "http") if uri.host().is_some() => Ok(uri),
        _ => Err(Error::invalid(
            "url",
            format!("{url:?} is not an http(s) url"),
        )),
    }
}

fn check_len(what: &'static str, value: &str, limit: u32) -> Result<(), Error> {
    let given = value.chars().count() as u64;
    if given > u64::from(limit) {
        return Err(Error::LimitExceeded {
            what,
            limit: u64::from(limit),
            given,
        });
    }
    Ok(())
}

/// Query parameters in order, percent-encoded when appended.
#[derive(Debug, Default)]
struct Query(Vec<(&'static str, String)>);

impl Query {
    fn push(&mut self, key: &'static str, value: impl Into<String>) {
        self.0.push((key, value.into()));
    }

    fn push_opt<T: ToString>(&mut self, key: &'static str, value: Option<&T>) {
        if let Some(v) = value {
            self.push(key, v.to_string());
        }
    }

    fn push_page(&mut self, index: u32) {
        if index > 0 {
            self.push("pageIndex", index.to_string());
        }
    }

    fn append_to(&self, url: &str) -> String {
        if self.0.is_empty() {
            return url.to_owned();
        }
        let mut out = String::from(url);
        out.push(if url.contains('?') { '&' } else { '?' });
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(k);
            out.push('=');
            percent_encode(v, &mut out);
        }
        out
    }
}

fn percent_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Filters of `GET assets`; every filter defaults to none.
/// See <https://developer.apple.com/documentation/devicemanagement/get-assets-4ski1>.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetsQuery {
    /// Only apps or only books.
    pub product_type: Option<ProductType>,
    /// Only this quality.
    pub pricing_param: Option<PricingParam>,
    /// Only revocable (or only non-revocable) assets.
    pub revocable: Option<bool>,
    /// Only device-assignable (or only user-only) assets.
    pub device_assignable: Option<bool>,
    /// At most this many available licences.
    pub max_available_count: Option<u64>,
    /// At least this many available licences.
    pub min_available_count: Option<u64>,
    /// At most this many assigned licences.
    pub max_assigned_count: Option<u64>,
    /// At least this many assigned licences.
    pub min_assigned_count: Option<u64>,
    /// Only this asset.
    pub adam_id: Option<AdamId>,
    /// List unlimited assets apart (`unlimitedAssets`).
    pub unlimited: Option<bool>,
}

impl AssetsQuery {
    fn to_query(&self) -> Query {
        let mut q = Query::default();
        q.push_opt("productType", self.product_type.as_ref());
        q.push_opt("pricingParam", self.pricing_param.as_ref());
        q.push_opt("revocable", self.revocable.as_ref());
        q.push_opt("deviceAssignable", self.device_assignable.as_ref());
        q.push_opt("maxAvailableCount", self.max_available_count.as_ref());
        q.push_opt("minAvailableCount", self.min_available_count.as_ref());
        q.push_opt("maxAssignedCount", self.max_assigned_count.as_ref());
        q.push_opt("minAssignedCount", self.min_assigned_count.as_ref());
        q.push_opt("adamId", self.adam_id.as_ref());
        q.push_opt("unlimited", self.unlimited.as_ref());
        q
    }
}

/// Filters of `GET assignments`; every filter defaults to none.
/// See <https://developer.apple.com/documentation/devicemanagement/get-assignments-9wv1e>.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentsQuery {
    /// Only this asset.
    pub adam_id: Option<AdamId>,
    /// Only this user.
    pub client_user_id: Option<ClientUserId>,
    /// Leave out retired users.
    pub exclude_inactive_users: Option<bool>,
    /// Add `userStatus` and `idHash`.
    pub include_user_state: Option<bool>,
    /// Only this quality.
    pub pricing_param: Option<PricingParam>,
    /// Only this device.
    pub serial_number: Option<SerialNumber>,
    /// Only changes since this version (the first page's `versionId` of a earlier sync).
    pub since_version_id: Option<String>,
}

impl AssignmentsQuery {
    fn to_query(&self) -> Query {
        let mut q = Query::default();
        q.push_opt("adamId", self.adam_id.as_ref());
        q.push_opt("clientUserId", self.client_user_id.as_ref());
        q.push_opt("excludeInactiveUsers", self.exclude_inactive_users.as_ref());
        q.push_opt("includeUserState", self.include_user_state.as_ref());
        q.push_opt("pricingParam", self.pricing_param.as_ref());
        q.push_opt("serialNumber", self.serial_number.as_ref());
        q.push_opt("sinceVersionId", self.since_version_id.as_ref());
        q
    }
}

/// Filters of `GET users`; every filter defaults to none.
/// See <https://developer.apple.com/documentation/devicemanagement/get-users-4mwln>.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsersQuery {
    /// Only active users.
    pub active_only: Option<bool>,
    /// Only this user.
    pub client_user_id: Option<ClientUserId>,
    /// Only retired users.
    pub retired_only: Option<bool>,
    /// Only changes since this version.
    pub since_version_id: Option<String>,
}

impl UsersQuery {
    fn to_query(&self) -> Query {
        let mut q = Query::default();
        q.push_opt("activeOnly", self.active_only.as_ref());
        q.push_opt("clientUserId", self.client_user_id.as_ref());
        q.push_opt("retiredOnly", self.retired_only.as_ref());
        q.push_opt("sinceVersionId", self.since_version_id.as_ref());
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Secret;
    use crate::types::Asset;

    fn token(exp: &str) -> ContentToken {
        use base64::Engine as _;
        let json = format!(r#"{{"token":"abc","expDate":"{exp}","orgName":"O"}}"#);
        ContentToken::decode(
            base64::engine::general_purpose::STANDARD
                .encode(json)
                .as_bytes(),
        )
        .unwrap()
    }

    fn api() -> Api {
        Api::new(
            token("2030-01-01T00:00:00Z"),
            ServiceConfig::with_base_url("https://vpp.example/mdm/v2/"),
        )
    }

    #[test]
    fn get_requests() {
        let api = api();
        let q = AssignmentsQuery {
            serial_number: Some(SerialNumber::new("C02X").unwrap()),
            since_version_id: Some("v 1/2".into()),
            ..Default::default()
        };
        let r = api.get_assignments_request(&q, 3).unwrap();
        assert_eq!(r.method(), http::Method::GET);
        assert_eq!(
            r.uri(),
            "https://vpp.example/mdm/v2/assignments?serialNumber=C02X&sinceVersionId=v%201%2F2&pageIndex=3"
        );
        assert_eq!(
            r.headers()[AUTHORIZATION],
            format!("Bearer {}", api.token().expose_secret())
        );
        assert!(r.body().is_empty());
        let r = api.status_request(&EventId::new("e-1").unwrap()).unwrap();
        assert_eq!(r.uri(), "https://vpp.example/mdm/v2/status?eventId=e-1");
        let r = Api::service_config_request("https://vpp.example/mdm/v2").unwrap();
        assert!(r.headers().get(AUTHORIZATION).is_none());
        assert!(Api::service_config_request("ftp://x").is_err());
    }

    #[test]
    fn post_requests_and_limits() {
        let api = api();
        let body = ManageAssetsRequest::new([Asset::new(AdamId::new("1").unwrap())])
            .with_serial_numbers([SerialNumber::new("S1").unwrap()]);
        let r = api.associate_request(&body).unwrap();
        assert_eq!(r.headers()[CONTENT_TYPE], "application/json");
        assert_eq!(
            String::from_utf8(r.body().clone()).unwrap(),
            r#"{"assets":[{"adamId":"1"}],"serialNumbers":["S1"]}"#
        );
        let too_many = ManageAssetsRequest::new([Asset::new(AdamId::new("1").unwrap())])
            .with_serial_numbers((0..1001).map(|i| SerialNumber::new(format!("S{i}")).unwrap()));
        assert!(matches!(
            api.associate_request(&too_many),
            Err(Error::LimitExceeded {
                limit: 1000,
                given: 1001,
                ..
            })
        ));
    }

    #[test]
    fn expired_token_sends_nothing() {
        let api = Api::new(
            token("2020-12-31T13:57:19+02:00"),
            ServiceConfig::with_base_url("https://vpp.example"),
        );
        let e = api.client_config_request().unwrap_err();
        assert!(e.is_token_expired());
    }

    #[test]
    fn client_config_checks() {
        let api = api();
        let only_url = ClientConfigRequest {
            notification_url: Some("https://mdm.example/n".into()),
            ..Default::default()
        };
        assert!(api.update_client_config_request(&only_url).is_err());
        let http_url = ClientConfigRequest::default()
            .with_notifications("http://mdm.example/n", Secret::new("t"));
        assert!(api.update_client_config_request(&http_url).is_err());
        let long = ClientConfigRequest::default().with_mdm_info(MdmInfo::new("x".repeat(101), "n"));
        assert!(matches!(
            api.update_client_config_request(&long),
            Err(Error::LimitExceeded {
                what: "mdmInfo.id",
                ..
            })
        ));
        let ok = ClientConfigRequest::default()
            .with_mdm_info(MdmInfo::new("id", "name").with_metadata("m"))
            .with_notifications("https://mdm.example/n", Secret::new("t"));
        let r = api.update_client_config_request(&ok).unwrap();
        assert_eq!(r.uri(), "https://vpp.example/mdm/v2/client/config");
    }

    #[test]
    fn missing_url() {
        let api = Api::new(token("2030-01-01T00:00:00Z"), ServiceConfig::default());
        assert_eq!(
            api.client_config_request().unwrap_err(),
            Error::MissingUrl("clientConfig")
        );
    }
}
