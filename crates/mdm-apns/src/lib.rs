//! APNs HTTP/2 push for Apple MDM wake-ups.
//!
//! An MDM server never connects to a device: it asks Apple's push service to wake it, and
//! the device then checks in. This crate covers that one request:
//!
//! - validated identifiers: [`DeviceToken`], [`PushMagic`], [`Topic`];
//! - the push identity ([`PushIdentity`]) from PEM or PKCS#12, with the topic read from the
//!   certificate's UID attribute;
//! - a pure [`build_request`] that turns a [`Push`] into an `http::Request`;
//! - response reading ([`parse_response`]) into a [`Delivery`] or a typed [`Error`] whose
//!   [`Reason`] is an open enum, with [`Error::is_retryable`] and [`Error::is_permanent`];
//! - with the `client` feature (on by default), an async [`Client`] over HTTP/2 with bounded
//!   concurrency, retries with backoff and jitter, and reconnection.
//!
//! The protocol is Apple's
//! [Sending notification requests to APNs](https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns),
//! with the MDM specifics from
//! [Device Management: sending MDM commands to a device](https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device).
//!
//! ```
//! use mdm_apns::{Push, build_request};
//!
//! # fn main() -> Result<(), mdm_apns::Error> {
//! let push = Push::new(
//!     "0a1b2c3d4e5f60718293a4b5c6d7e8f9".parse()?,
//!     "8BBC4D7F-6D3A-4B23-A9C0-4D1F9E2A4E31".parse()?,
//!     "com.apple.mgmt.External.2b6d7a46-0c11-4f4e-8d4a-8b5f6a1c3e21".parse()?,
//! );
//! let request = build_request(&push);
//! assert_eq!(request.uri().path(), "/3/device/0a1b2c3d4e5f60718293a4b5c6d7e8f9");
//! assert_eq!(request.headers()["apns-push-type"], "mdm");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "client")]
mod client;
mod error;
mod identity;
mod push;
mod response;
mod retry;

/// Types that appear in this crate's public signatures.
pub use bytes::Bytes;
pub use chrono::{DateTime, Utc};
#[cfg(feature = "client")]
pub use client::{Client, ClientBuilder, DEVELOPMENT_URL, Endpoint, PRODUCTION_URL, PushOutcome};
pub use error::Error;
pub use http;
pub use identity::PushIdentity;
/// The identity loader shared with profile signing and SCEP.
pub use mdm_signing::Identity;
/// The push details a device reports in `TokenUpdate`, shared with `mdm-checkin` through
/// `mdm-types`: a decoded `TokenUpdate`'s fields go straight into [`Push::new`].
pub use mdm_types::{
    DeviceToken, MAX_DEVICE_TOKEN_LEN, MAX_PUSH_MAGIC_LEN, MAX_TOPIC_LEN, MDM_TOPIC_PREFIX,
    PushMagic, Topic,
};
pub use push::{Priority, Push, build_request};
pub use response::{
    Delivery, MAX_RESPONSE_BODY, MAX_RETRY_AFTER, Reason, Rejection, parse_response,
    parse_response_body, parse_response_parts,
};
pub use retry::RetryPolicy;
pub use uuid::Uuid;
