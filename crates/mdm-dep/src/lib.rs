//! The Device Assignment API ("DEP", Automated Device Enrollment) of
//! `https://mdmenrollment.apple.com`: how an MDM server learns which devices Apple Business
//! Manager or Apple School Manager assigned to it, and which enrollment profile each gets.
//!
//! - the server token: [`TokenKeypair`] makes the key pair uploaded to the portal, and
//!   [`ServerToken::decrypt`] opens the downloaded `*_smime.p7m`;
//! - the OAuth 1.0a session ([`oauth`], [`Config::session_request`]);
//! - every endpoint as a typed [`Endpoint`] that a [`Config`] turns into an `http::Request`
//!   and whose `http::Response` it reads back, with one classified [`Error`];
//! - device sync as a state machine ([`DeviceSync`]), and profile assignment at scale with
//!   throttling ([`AssignPlan`]), both sans-IO;
//! - with the `client` feature, an async [`Client`] (reqwest on tokio) that drives them,
//!   refreshing and rotating the session.
//!
//! Facts come from Apple's pages under
//! <https://developer.apple.com/documentation/devicemanagement/device-assignment>.
//!
//! ```
//! use mdm_dep::{Config, DeviceSync, ServerToken, SyncStep};
//!
//! # fn main() -> Result<(), mdm_dep::Error> {
//! let config = Config::new("acme-mdm/2.1")?;
//! let token = ServerToken::new("CK_1", "CS_1", "AT_1", "AS_1");
//! let session = config.session_request(&token, chrono::Utc::now(), "nonce-1")?;
//! assert!(session.headers()["Authorization"].to_str().unwrap_or("").starts_with("OAuth realm=\"ADM\""));
//!
//! // Sync from nothing: the first step is a fetch without cursor.
//! let mut sync = DeviceSync::new(None);
//! let SyncStep::Fetch(fetch) = sync.next_step() else { unreachable!() };
//! let request = config.request(&fetch, "session-token")?;
//! assert_eq!(request.uri().path(), "/server/devices");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod api;
mod assign;
#[cfg(feature = "client")]
mod client;
mod error;
mod json;
pub mod oauth;
mod session;
mod sync;
mod token;
mod types;

pub use chrono::{DateTime, Utc};
pub use http;
pub use mdm_types;
pub use mdm_types::{Platform, SerialNumber};
pub use serde_json;

pub use crate::api::{
    AssignMethod, AssignProfile, Config, DEFAULT_BASE_URL, DEFAULT_PROTOCOL_VERSION, DefineProfile,
    DisownDevices, EnableActivationLock, Endpoint, FetchDevices, GetAccount,
    GetAccountDrivenEnrollmentProfile, GetBetaEnrollmentTokens, GetDeviceDetails, GetProfile,
    GetReplacementDetails, JSON_CONTENT_TYPE, MAX_CURSOR_LEN, MAX_RESPONSE_BODY,
    PROTOCOL_VERSION_HEADER, RemoveAccountDrivenEnrollmentProfile, RemoveProfile, SESSION_HEADER,
    SetAccountDrivenEnrollmentProfile, SyncDevices, needs_new_session, rotated_session,
};
pub use crate::assign::{AssignOutcome, AssignPlan, AssignPolicy, AssignStep};
#[cfg(feature = "client")]
pub use crate::client::{Client, ClientBuilder};
pub use crate::error::{
    ApiError, Error, ErrorCode, MAX_ERROR_BODY, MAX_RETRY_AFTER, parse_retry_after,
};
pub use crate::json::{Extra, parse_date};
pub use crate::session::{MemorySessionStore, SessionStore};
pub use crate::sync::{
    DeviceSync, MAX_CURSOR_RESTARTS, SyncPage, SyncPhase, SyncStep, collapse_by_op_date,
};
pub use crate::token::{MAX_TOKEN_FILE_BYTES, Secret, ServerToken, TokenKeypair};
pub use crate::types::{
    AccountDetail, AccountDrivenEnrollmentProfile, AccountUrl, ActivationLockRequest,
    ActivationLockResponse, ActivationLockStatus, AssignProfileRequest, AssignProfileResponse,
    BetaEnrollmentToken, BetaEnrollmentTokens, DEFAULT_PAGE_LIMIT, DefineProfileResponse, Device,
    DeviceDetails, DeviceFamily, DeviceListRequest, DeviceOs, DevicePage, DevicePageRequest,
    DeviceStatus, DeviceStatuses, Limit, MAX_DEVICES_PER_REQUEST, MAX_PAGE_LIMIT,
    MAX_PROFILE_NAME_CHARS, MAX_PROFILE_URL_CHARS, OpType, OrgType, OrgVersion, Profile,
    ProfileStatus, RemoveProfileRequest, ReplacementDetails, SessionResponse, SkipKey,
};
