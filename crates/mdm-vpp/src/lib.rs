//! Apps and Books for Organizations (VPP v2) client.
//!
//! An organization buys app and book licences in bulk in Apple Business or School
//! Manager; an MDM server assigns them to devices or users through this API
//! (`https://vpp.itunes.apple.com/mdm/v2`, Apple's
//! [App, Book, and Subscription Management](https://developer.apple.com/documentation/devicemanagement/app-book-and-subscription-management)),
//! then installs the app with `InstallApplication`.
//!
//! The crate is sans-IO at its core:
//!
//! - [`ContentToken`]: the location's `sToken` (decoded, expiry checked before every
//!   request, never printed);
//! - [`ServiceConfig`]: the live URLs and limits of `service/config`, with a
//!   [`ServiceConfigCache`] that says when to read it again (every five minutes);
//! - [`Api`]: an `http::Request` for every v2 endpoint (client config, assets,
//!   assignments, associate, disassociate, revoke, users, status) and the typed reading
//!   of every answer ([`ApiResponse`]), with an error body caught even in a 200 and the
//!   `mdmInfo` ownership check;
//! - [`Paging`], [`RateLimiter`], [`EventWaiter`] and the `chunks` methods of the
//!   request bodies: page traversal with `versionId` consistency, the per-token request
//!   rate, Apple's status-polling schedule, and splitting by the published limits;
//! - [`Notification`]: the notifications Apple posts, with
//!   [`verify_notification_auth`] and a [`NotificationDeduper`].
//!
//! The `client` feature (off by default) adds an async client on reqwest and tokio that
//! drives all of it.
//!
//! ```
//! use mdm_vpp::{
//!     AdamId, Api, ApiResponse, Asset, ContentToken, EventResponse, ManageAssetsRequest,
//!     SerialNumber, ServiceConfig, http,
//! };
//!
//! # fn main() -> Result<(), mdm_vpp::Error> {
//! let token = ContentToken::decode(b"eyJ0b2tlbiI6ImMyVmpjbVYwIiwiZXhwRGF0ZSI6IjIwMzAtMTEtMDhUMjI6MzM6MjIrMDAwMCIsIm9yZ05hbWUiOiJFeGFtcGxlIE9yZyJ9")?;
//!
//! // 1. service/config, without authorization; its urls and limits drive the rest.
//! let request = Api::service_config_request(mdm_vpp::DEFAULT_BASE_URL)?;
//! assert_eq!(request.uri().path(), "/mdm/v2/service/config");
//! let body = br#"{"limits":{"maxSerialNumbers":2},"urls":{"associateAssets":"https://vpp.itunes.apple.com/mdm/v2/assets/associate"}}"#;
//! let config = ServiceConfig::decode(body)?;
//! let api = Api::new(token, config);
//!
//! // 2. Assign an app to five devices: three requests within the published limit.
//! let job = ManageAssetsRequest::new([Asset::new(AdamId::new("361304891")?)])
//!     .with_serial_numbers(
//!         ["S1", "S2", "S3", "S4", "S5"].map(|s| SerialNumber::new(s)).into_iter().collect::<Result<Vec<_>, _>>()?,
//!     );
//! let chunks = job.chunks(&api.config().limits)?;
//! assert_eq!(chunks.len(), 3);
//! let request = api.associate_request(&chunks[0])?;
//! assert_eq!(request.headers()["content-type"], "application/json");
//!
//! // 3. Read the answer: the event to follow with `status`.
//! let answer = http::Response::new(&br#"{"eventId":"5c4b2f1e","uId":"42"}"#[..]);
//! let event: EventResponse = api.response(answer)?;
//! assert_eq!(event.event_id.as_str(), "5c4b2f1e");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[macro_use]
mod macros;

mod bulk;
#[cfg(feature = "client")]
mod client;
mod date;
mod error;
mod ids;
mod notification;
mod request;
mod response;
mod state;
mod token;
mod types;

pub use chrono::{DateTime, Utc};
pub use http;
pub use mdm_types;
pub use mdm_types::{Platform, SerialNumber};
pub use serde_json::{Map, Value};

#[cfg(feature = "client")]
pub use crate::client::{Client, ClientBuilder, Pages, RetryPolicy, Stats};
pub use crate::date::{format_date, parse_date};
pub use crate::error::{ApiError, Error, ErrorNumber, ErrorResponse, ResponseErrorInfo};
pub use crate::ids::{
    AdamId, ClientUserId, EventId, MAX_ADAM_ID_LEN, MAX_CLIENT_USER_ID_LEN, MAX_EVENT_ID_LEN,
};
pub use crate::notification::{
    AssetCountNotification, AssetManagementNotification, MAX_NOTIFICATION_BYTES, Notification,
    NotificationDeduper, NotificationPayload, SubscriptionAssignment,
    SubscriptionCountNotification, SubscriptionCountTotals, SubscriptionCounts,
    SubscriptionManagementNotification, UserAssociatedNotification, UserManagementNotification,
    verify_notification_auth,
};
pub use crate::request::{Api, AssetsQuery, AssignmentsQuery, Clock, DEFAULT_BASE_URL, UsersQuery};
pub use crate::response::{ApiResponse, MAX_BODY_BYTES, MAX_RETRY_AFTER, decode_body, retry_after};
pub use crate::state::{
    BulkOutcome, EventOutcome, EventWaiter, MAX_PAGES, MAX_PARALLEL_PAGES, Page, Paging,
    RATE_WINDOW_MARGIN, RateLimiter, SERVICE_CONFIG_MAX_AGE, ServiceConfigCache, WaitPolicy,
    WaitStep,
};
pub use crate::token::{ContentToken, MAX_TOKEN_BYTES, RENEWAL_WARNING_DAYS, Secret};
pub use crate::types::*;

/// Unknown keys of a JSON object, kept as sent.
pub type Extra = Map<String, Value>;
