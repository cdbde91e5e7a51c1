//! The Apple School Manager and Apple Business Manager API (`api-school.apple.com`,
//! `api-business.apple.com`): an organization's devices, its MDM servers, which server each
//! device belongs to, and moving devices between servers with device activities.
//!
//! - authentication: an ES256 client assertion ([`Credentials::assertion`]) traded for an
//!   access token ([`Config::token_request`]), cached by [`TokenCache`];
//! - every 1.x endpoint as a typed [`Endpoint`] that a [`Config`] turns into an
//!   `http::Request` and whose `http::Response` it reads back as a JSON:API [`Document`] or
//!   one classified [`Error`]; [`Pager`] follows cursors;
//! - device activities ([`ActivityRequest`]) with each type's rules checked before
//!   sending, [`ActivityPoll`] to wait for one, [`ActivityLog`] for its CSV log;
//! - with the `client` feature, an async [`Client`] (reqwest on tokio) that fetches and
//!   refreshes tokens, replays once on 401, honours `Retry-After` and streams pages;
//! - with the `v2` feature, the Apple Business API 2.x MDM-server create, read, update and
//!   delete, and `mdmDevices`.
//!
//! Facts come from Apple's pages under
//! <https://developer.apple.com/documentation/applebusinessapi/>.
//!
//! ```
//! use mdm_axm::{Config, Credentials, Document, ListOrgDevices, Pager, SigningKey, TokenResponse};
//!
//! # fn main() -> Result<(), mdm_axm::Error> {
//! # let pem = SigningKey::generate()?.to_sec1_pem()?;
//! let key = SigningKey::from_pem(&pem)?; // the PEM downloaded from the portal
//! let creds = Credentials::new("BUSINESSAPI.3bb3a62b", "d136aa66", key)?;
//! let config = Config::for_credentials(&creds);
//! let now = chrono::Utc::now();
//!
//! // 1. Trade a client assertion for an access token.
//! let token_req = config.token_request(&creds, now, &mdm_axm::random_jti()?)?;
//! assert_eq!(token_req.uri().host(), Some("account.apple.com"));
//! let answer = http::Response::builder()
//!     .status(200)
//!     .body(&br#"{"access_token":"t","token_type":"Bearer","expires_in":3600}"#[..])
//!     .unwrap();
//! let token = config.token_response(answer, now)?;
//!
//! // 2. Page through the organization's devices.
//! let mut pager = Pager::new(ListOrgDevices::new().with_limit(1000)?);
//! while let Some(page) = pager.next_request() {
//!     let req = config.request(&page, &token.access_token, now)?;
//!     assert_eq!(req.uri().path(), "/v1/orgDevices");
//!     // send `req`, then read the answer with config.response::<ListOrgDevices>(...)
//!     let devices: mdm_axm::OrgDevicesResponse = Document::new(vec![]);
//!     pager.feed(&devices)?;
//! }
//! # let _ = TokenResponse::new("x", 1);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod activity;
mod api;
mod auth;
#[cfg(feature = "client")]
mod client;
mod error;
mod json;
mod types;

pub use chrono::{DateTime, Utc};
pub use http;
pub use mdm_types;
pub use mdm_types::SerialNumber;
pub use serde_json;

pub use crate::activity::{
    ActivityLog, ActivityLogRow, ActivityPoll, ActivityRequest, ActivityType, MAX_ACTIVITY_DEVICES,
    MAX_ACTIVITY_LOG, MAX_MIGRATION_DEADLINE, PollStep,
};
pub use crate::api::{
    BUSINESS_BASE_URL, Config, CreateActivity, DEFAULT_PAGE_LIMIT, Endpoint, GetActivity,
    GetAppleCareCoverage, GetAssignedServer, GetAssignedServerLinkage, GetOrgDevice,
    JSON_CONTENT_TYPE, ListMdmServerDevices, ListMdmServers, ListOrgDevices, MAX_CURSOR_LEN,
    MAX_FIELDS, MAX_PAGE_LIMIT, Paged, Pager, SCHOOL_BASE_URL,
};
#[cfg(feature = "v2")]
pub use crate::api::{
    CreateMdmServer, DeleteMdmServer, GetMdmServer, ListMdmDevices, MdmDevice, MdmDevicesResponse,
    NewMdmServer, UpdateMdmServer,
};
pub use crate::auth::{
    ASSERTION_AUDIENCE, AccessToken, AssertionClaims, AssertionHeader, BUSINESS_CLIENT_PREFIX,
    CLIENT_ASSERTION_TYPE, Credentials, DEFAULT_ASSERTION_LIFETIME, DEFAULT_TOKEN_URL,
    DecodedAssertion, MAX_ASSERTION_LIFETIME, MAX_ID_LEN, SCHOOL_CLIENT_PREFIX, Scope, Secret,
    SigningKey, TOKEN_URL_V2, TokenCache, TokenRequestStyle, TokenResponse, form_decode,
    form_encode, random_jti, raw_signature_to_der,
};
#[cfg(feature = "client")]
pub use crate::client::{Client, ClientBuilder, Stats};
pub use crate::error::{
    ApiError, Error, ErrorObject, ErrorResponse, ErrorSource, MAX_ERROR_BODY, MAX_RETRY_AFTER,
    OAuthError, OAuthErrorCode, parse_retry_after,
};
pub use crate::json::{Extra, MAX_RESPONSE_BODY, parse_date};
pub use crate::types::{
    ActivityStatus, ActivitySubStatus, AppleCareCoverage, AppleCareCoverageResponse,
    CoverageStatus, DeviceStatus, Document, Linkage, LinkageResponse, LinkagesResponse, Links,
    MdmServer, MdmServerResponse, MdmServerStatus, MdmServerType, MdmServersResponse, Meta,
    OrgDevice, OrgDeviceActivity, OrgDeviceActivityResponse, OrgDeviceResponse, OrgDevicesResponse,
    Paging, PaymentType, ProductFamily, PurchaseSourceType, Relationship, RelationshipData,
    Resource,
};
