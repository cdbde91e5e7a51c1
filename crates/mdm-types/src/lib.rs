//! The shared vocabulary of the apple-mdm crates.
//!
//! A value that more than one protocol speaks is one type here, so it flows from one crate
//! to the next unchanged: the push details a device reports in a check-in `TokenUpdate`
//! ([`DeviceToken`], [`PushMagic`], [`Topic`]) are exactly what an APNs push takes; the
//! [`Udid`] and [`SerialNumber`] of a check-in are the ones DEP and Apps and Books list;
//! the [`Platform`] and [`Version`] a profile is validated against are the ones command
//! availability is stated in.
//!
//! Every type is validated when it is made and refuses bad input with [`Error`], never a
//! panic. This crate depends on nothing of the workspace and on no crypto; `mdm-checkin`,
//! `mdm-commands`, `mdm-profiles`, `mdm-apns` and the web-service clients re-export what
//! they use.
//!
//! ```
//! use mdm_types::{DeviceToken, Platform, PushMagic, Topic, Version};
//!
//! let token = DeviceToken::from_hex("2a6d51b6c3a1f0e2d4c5b6a79889706152433425160718293a4b5c6d7e8f9001")?;
//! let magic = PushMagic::new("8E1F4D4C-1B1B-4C2C-9A43-6E6C1B2C3D4E")?;
//! let topic: Topic = "com.apple.mgmt.External.1f2e3d4c".parse()?;
//! assert!(topic.is_mdm());
//! assert_eq!(token.as_bytes().len(), 32);
//! assert_eq!(magic.as_str().len(), 36);
//!
//! let ios17: Version = "17.0".parse()?;
//! assert!(ios17 >= Version::new(16, 4, 0));
//! assert_eq!("iPadOS".parse::<Platform>()?, Platform::IOS);
//! # Ok::<(), mdm_types::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod ids;
mod platform;

pub use crate::error::Error;
pub use crate::ids::{
    DeviceToken, EnrollmentId, MAX_DEVICE_TOKEN_LEN, MAX_ENROLLMENT_ID_LEN, MAX_PUSH_MAGIC_LEN,
    MAX_SERIAL_NUMBER_LEN, MAX_TOPIC_LEN, MAX_UDID_LEN, MDM_TOPIC_PREFIX, PushMagic, SerialNumber,
    Topic, Udid, hex_serde,
};
pub use crate::platform::{Platform, Version};
