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

/// For the tests and fuzz targets of this workspace only: not part of the API.
#[doc(hidden)]
pub mod __private {
    /// [`crate::Decoded::decode`] without its one-pass path, which must give the same result
    /// wherever it gives one.
    ///
    /// # Errors
    /// As [`crate::Decoded::decode`].
    pub fn lenient_decode(bytes: &[u8]) -> Result<crate::Decoded, crate::Error> {
        crate::decode::decode_with(bytes, false)
    }

    /// Decodes `bytes` by both paths and says where they disagree: the same result (profile,
    /// leniencies and encoded bytes, or the same error) from [`crate::Decoded::decode`] and
    /// [`lenient_decode`], and where [`one_pass_decode`] gives a profile, the lenient path's,
    /// with no leniency but leading white space. `Ok(true)` when the one-pass path took it.
    ///
    /// # Errors
    /// A description of the disagreement.
    pub fn differential(bytes: &[u8]) -> Result<bool, String> {
        let lenient = lenient_decode(bytes);
        let decoded = crate::Decoded::decode(bytes);
        // Compared by their debug text, which keeps key order and takes NaN as equal to NaN.
        let same =
            |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") == format!("{b:?}");
        match (&decoded, &lenient) {
            (Ok(a), Ok(b)) if same(a, b) && a.profile.encode().ok() == b.profile.encode().ok() => {}
            (Err(a), Err(b)) if a.to_string() == b.to_string() => {}
            _ => return Err(format!("decode {decoded:?} lenient {lenient:?}")),
        }
        let Some(profile) = one_pass_decode(bytes) else {
            return Ok(false);
        };
        match &lenient {
            Ok(l)
                if same(&l.profile, &profile) && l.leniencies.iter().all(|p| p.path.is_empty()) =>
            {
                Ok(true)
            }
            _ => Err(format!("one pass {profile:?} lenient {lenient:?}")),
        }
    }

    /// The one-pass path alone: `None` where [`crate::Decoded::decode`] falls back to the
    /// lenient one.
    pub fn one_pass_decode(bytes: &[u8]) -> Option<crate::Profile> {
        crate::decode::one_pass(
            bytes,
            mdm_plist::Limits {
                max_bytes: crate::MAX_PROFILE_BYTES,
                max_depth: crate::MAX_PROFILE_DEPTH,
            },
        )
    }
}

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
