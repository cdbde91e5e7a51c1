//! APNs HTTP/2 push for Apple MDM wake-ups.
//!
//! An MDM server never connects to a device: it asks Apple's push service to wake it, and
//! the device then checks in. This crate covers that one request:
//!
//! - the identifiers a device reports in `TokenUpdate` ([`DeviceToken`], [`PushMagic`],
//!   [`Topic`]), shared with `mdm-checkin` through `mdm-types`, so a decoded `TokenUpdate`
//!   goes straight into [`Push::new`];
//! - the push identity ([`PushIdentity`]) from PEM or PKCS#12 (legacy Keychain exports
//!   included), loaded by `mdm-signing`'s one identity loader, with the topic read from the
//!   certificate's UID attribute;
//! - a pure [`build_request`] that turns a [`Push`] into an `http::Request`;
//! - response reading ([`parse_response`]) into a [`Delivery`] or a typed [`Error`] whose
//!   [`Reason`] is an open enum, with [`Error::is_retryable`], [`Error::is_permanent`] and
//!   [`Error::is_device_gone`];
//! - with the `client` feature (off by default: building and classifying requests needs no
//!   network stack), an async `Client` over HTTP/2 (h2, rustls) with bounded
//!   concurrency, retries with backoff and jitter, and reconnection.
//!
//! The protocol is Apple's
//! [Sending notification requests to APNs](https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns),
//! with the MDM specifics from
//! [Device Management: sending MDM commands to a device](https://developer.apple.com/documentation/devicemanagement/sending-mdm-commands-to-a-device).
//!
//! The whole job, from the device's `TokenUpdate` to the answer APNs gives:
//!
//! ```
//! use mdm_apns::{Push, build_request, parse_response_body};
//! use mdm_checkin::{CheckinMessage, Message};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let body = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <plist version="1.0"><dict>
//!   <key>MessageType</key><string>TokenUpdate</string>
//!   <key>PushMagic</key><string>8BBC4D7F-6D3A-4B23-A9C0-4D1F9E2A4E31</string>
//!   <key>Token</key><data>ChssPU5fYHGCk6S1xtfo+Q==</data>
//!   <key>Topic</key><string>com.apple.mgmt.External.2b6d7a46</string>
//!   <key>UDID</key><string>00008030-001A2B3C4D5E802E</string>
//! </dict></plist>"#;
//! let Message::TokenUpdate(update) = CheckinMessage::decode(body)?.message().clone() else {
//!     unreachable!()
//! };
//!
//! let push = Push::new(update.token, update.push_magic, update.topic);
//! let request = build_request(&push);
//! assert_eq!(request.uri().path(), "/3/device/0a1b2c3d4e5f60718293a4b5c6d7e8f9");
//! assert_eq!(request.headers()["apns-push-type"], "mdm");
//! assert_eq!(request.headers()["apns-topic"], "com.apple.mgmt.External.2b6d7a46");
//!
//! // Send `request` with any HTTP/2 client holding the PushIdentity (or use `Client`
//! // with the `client` feature); then classify the answer.
//! let err = parse_response_body(410, br#"{"reason":"Unregistered","timestamp":1700000000000}"#)
//!     .unwrap_err();
//! assert!(err.is_device_gone());
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
#[cfg(feature = "client")]
mod tls;

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
