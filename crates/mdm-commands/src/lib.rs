//! Apple MDM commands and command responses, typed from Apple's schema.
//!
//! Every command in Apple's `mdm/commands` schema has a request type here, named after its
//! `RequestType` ([`DeviceLock`], [`InstalledApplicationList`], [`Settings`], ...), with its
//! response body bound at compile time through [`CommandPayload::Response`]. The types live in
//! `src/generated/`, written by `mdm-codegen` from the schema; this file and its siblings hold
//! the envelope and the glue.
//!
//! - Sending: wrap a payload in a [`Command`] (adds `CommandUUID` and `RequestType`) and
//!   encode it; queues store an [`AnyCommand`].
//! - Receiving: [`CommandResponse::decode`] reads the envelope (`Status`, [`ErrorChainItem`]s,
//!   who answered); [`CommandResponse::decode_as`] types the body for a known command, and
//!   [`CommandResponse::body_for`] does the same from a [`RequestType`] known at run time.
//! - Planning: [`RequestType::availability`] says where a command runs.
//!
//! Unknown keys are kept (`extra` on every struct), unknown `RequestType` and `Status`
//! values decode as `Other`, and every decode goes through `mdm_plist`'s size and depth
//! limits.
//!
//! ```
//! use mdm_commands::{Command, CommandPayload, DeviceInformation, Platform, RequestType, Version};
//! use mdm_commands::DeviceInformationQueriesItem as Query;
//!
//! let cmd = Command::new(DeviceInformation {
//!     queries: vec![Query::DeviceName, Query::OSVersion],
//!     ..Default::default()
//! });
//! let xml = cmd.encode()?;
//! assert!(std::str::from_utf8(&xml).unwrap().contains("<string>DeviceInformation</string>"));
//!
//! // The device answers; the body is typed by the command it answers.
//! let answer = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <plist version="1.0"><dict>
//!   <key>CommandUUID</key><string>0001</string>
//!   <key>Status</key><string>Acknowledged</string>
//!   <key>UDID</key><string>00008030-001A2B3C4D5E802E</string>
//!   <key>QueryResponses</key><dict><key>DeviceName</key><string>Kim's iPad</string></dict>
//! </dict></plist>"#;
//! let response = mdm_commands::CommandResponse::decode(answer)?;
//! assert_eq!(response.status, mdm_commands::Status::Acknowledged);
//! let info = response.decode_as::<DeviceInformation>()?;
//! assert_eq!(info.query_responses.and_then(|q| q.device_name).as_deref(), Some("Kim's iPad"));
//!
//! let mac = RequestType::DeviceLock.availability(Platform::MacOS).unwrap();
//! assert_eq!(mac.introduced, Some(Version::new(10, 7, 0)));
//! assert_eq!(<DeviceInformation as CommandPayload>::REQUEST_TYPE, "DeviceInformation");
//! # Ok::<(), mdm_commands::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod availability;
mod command;
mod command_uuid;
mod error;
mod generated;
mod response;
mod support;

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::availability::{Availability, EnrollmentMode, Platform, Version};
pub use crate::command::{AnyCommand, Command};
pub use crate::command_uuid::CommandUuid;
pub use crate::error::Error;
pub use crate::generated::*;
pub use crate::response::{CommandResponse, ErrorChainItem, Status, body_from_dictionary};
/// The plist value types that appear in this crate's public fields, and the UUID type
/// command identifiers convert to.
pub use mdm_plist::{Data, Date, Dictionary, Value};
pub use uuid::Uuid;

/// The commit of apple/device-management the generated types come from.
pub const SCHEMA_COMMIT: &str = "b6202ca2fbd31286a52eb160b67a4db7b4fe1f1f";

/// A command payload: the keys of the `Command` dictionary besides `RequestType`.
///
/// Implemented by every generated request type.
pub trait CommandPayload: Serialize + DeserializeOwned + Clone + Debug + PartialEq {
    /// The `RequestType` string.
    const REQUEST_TYPE: &'static str;
    /// The body a device answers this command with.
    type Response: ResponseBody;
}

/// A typed response body (the keys next to `Status` and `CommandUUID`).
pub trait ResponseBody: Serialize + DeserializeOwned + Clone + Debug + PartialEq {
    /// The keys the type does not model.
    fn extra_mut(&mut self) -> &mut mdm_plist::Dictionary;
}

mdm_plist::plist_dict! {
    /// The body of a response to a command whose schema lists no response keys: anything the
    /// device adds is kept in `extra`.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct EmptyResponse {}
}

impl ResponseBody for EmptyResponse {
    fn extra_mut(&mut self) -> &mut mdm_plist::Dictionary {
        &mut self.extra
    }
}
