//! Apple configuration profiles (`.mobileconfig`): typed payloads, a builder, validation
//! against Apple's schema, and lenient decoding of the files people really write.
//!
//! - [`Profile`] is the top-level dictionary, with every key of the schema's top level;
//!   [`Payload`] has a typed variant for each of the schema's payload types (generated from
//!   Apple's YAML by `mdm-codegen`) and [`Payload::Unknown`] for anything else, so custom
//!   preference domains survive decode and re-encode.
//! - [`Profile::builder`] fills identifiers and UUIDs (random or derived from the identifier)
//!   and refuses duplicates.
//! - [`validate`] names the exact key that is wrong; with a target platform and version it
//!   also reports what that OS does not support.
//! - [`Profile::decode`] and [`Decoded::decode`] read real files: it accepts what Apple's parser accepts and records each
//!   leniency; signed and encrypted profiles are detected and left to `mdm-signing`.
//!
//! ```
//! use mdm_profiles::{Passcode, Platform, Profile, UuidMode, Version};
//!
//! let profile = Profile::builder("com.example.passcode")
//!     .display_name("Passcode policy")
//!     .uuids(UuidMode::Deterministic)
//!     .payload(Passcode { min_length: Some(6), ..Default::default() })
//!     .build()?;
//! let xml = profile.encode()?;
//! let back = mdm_profiles::Decoded::decode(&xml)?;
//! assert_eq!(back.profile, profile);
//! assert!(back.leniencies.is_empty());
//! let problems = mdm_profiles::validate_for(&profile, Platform::IOS, "17.0".parse().unwrap());
//! assert!(problems.is_empty(), "{problems:?}");
//! # Ok::<(), mdm_profiles::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod builder;
mod decode;
mod error;
#[allow(missing_docs, unreachable_pub)]
mod generated;
mod profile;
pub mod spec;
mod support;
mod validate;

pub use crate::builder::{PayloadScope, ProfileBuilder, UuidMode};
pub use crate::decode::{
    Decoded, MAX_PROFILE_BYTES, MAX_PROFILE_DEPTH, Wrapping, from_dictionary, wrapping,
};
pub use crate::error::Error;
pub use crate::generated::*;
pub use crate::profile::{Common, CommonMut, PayloadBody, Profile};
pub use crate::spec::{Platform, Version};
pub use crate::validate::{Problem, Severity, validate, validate_for};
/// The plist value types that appear in this crate's public fields.
pub use mdm_plist::{Data, Date, Dictionary, Value};
