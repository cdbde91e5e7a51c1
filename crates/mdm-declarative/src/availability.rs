//! Where each declaration type and key is available, from the schema's `supportedOS`.
//!
//! [`Platform`] and [`Version`] are `mdm_types`' (re-exported here), the same types
//! `mdm-commands` and `mdm-profiles` speak.

pub use mdm_types::{Platform, Version};

/// The schema's facts about one declaration type (or one of its keys) on one platform, from
/// [`DeclarationType::availability`](crate::DeclarationType::availability) and
/// [`DeclarationType::key_availability`](crate::DeclarationType::key_availability).
///
/// ```
/// use mdm_declarative::{DeclarationType, Platform, Version};
///
/// let ios = DeclarationType::PasscodeSettings.availability(Platform::IOS).unwrap();
/// assert_eq!(ios.introduced, Some(Version::new(15, 0, 0)));
/// assert!(ios.supports(Version::new(17, 0, 0)));
/// assert!(!DeclarationType::PasscodeSettings.supports(Platform::TvOS, Version::new(18, 0, 0)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Availability {
    /// False when the schema marks the platform `n/a`.
    pub available: bool,
    /// First OS version with it (`None`: the schema names none).
    pub introduced: Option<Version>,
    /// OS version that deprecated it.
    pub deprecated: Option<Version>,
    /// OS version that removed it.
    pub removed: Option<Version>,
    /// `allowed-enrollments` (`supervised`, `device`, `user`, `local`).
    pub allowed_enrollments: &'static [&'static str],
    /// `allowed-scopes` (`system`, `user`).
    pub allowed_scopes: &'static [&'static str],
    /// Marked beta in the schema.
    pub beta: bool,
}

impl Availability {
    /// Whether it works at `version` of this platform: available, introduced at or before
    /// `version` (or no version stated), and not removed at or before it.
    pub fn supports(&self, version: Version) -> bool {
        self.available
            && self.introduced.is_none_or(|v| v <= version)
            && self.removed.is_none_or(|v| version < v)
    }
}

impl crate::DeclarationType {
    /// Whether the schema says this declaration type works on `platform` at `version`.
    pub fn supports(&self, platform: Platform, version: Version) -> bool {
        self.availability(platform)
            .is_some_and(|a| a.supports(version))
    }
}
