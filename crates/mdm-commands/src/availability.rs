//! Where each command is available, from the schema's `supportedOS`.
//!
//! [`Platform`] and [`Version`] are `mdm_types`' (re-exported here), the same types
//! `mdm-profiles` validates against and the check-in messages report.

pub use mdm_types::{Platform, Version};

/// How a command behaves under shared iPad or user enrollment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnrollmentMode {
    /// Usable with or without the mode in effect.
    Allowed,
    /// Usable only with the mode in effect.
    Required,
    /// Not usable with the mode in effect.
    Forbidden,
    /// Accepted but without effect in that mode.
    Ignored,
}

/// The schema's facts about one command on one platform, from
/// [`RequestType::availability`](crate::RequestType::availability).
///
/// `None` means the schema does not say (for channels and supervision, Apple's default is
/// device channel, not supervised).
///
/// ```
/// use mdm_commands::{Platform, RequestType, Version};
///
/// let mac = RequestType::DeviceLock.availability(Platform::MacOS).unwrap();
/// assert_eq!(mac.introduced, Some(Version::new(10, 7, 0)));
/// assert!(mac.supports(Version::new(14, 0, 0)));
/// assert!(!mac.supports(Version::new(10, 6, 0)));
/// assert!(RequestType::DeviceLock.supports(Platform::IOS, "17.4".parse()?));
/// # Ok::<(), mdm_types::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Availability {
    /// False when the schema marks the platform `n/a`.
    pub available: bool,
    /// First OS version with the command (`None`: the schema names none).
    pub introduced: Option<Version>,
    /// OS version that deprecated it.
    pub deprecated: Option<Version>,
    /// OS version that removed it.
    pub removed: Option<Version>,
    /// The MDM access right the server needs (`AllowPasscodeRemovalAndLock`, ...).
    pub access_rights: Option<&'static str>,
    /// Accepted on the device channel.
    pub device_channel: Option<bool>,
    /// Accepted on the user channel.
    pub user_channel: Option<bool>,
    /// Needs a supervised device.
    pub supervised: Option<bool>,
    /// Needs a device enrolled through Automated Device Enrollment.
    pub requires_dep: Option<bool>,
    /// Needs user-approved enrollment.
    pub user_approved_mdm: Option<bool>,
    /// Behaviour on a shared iPad.
    pub shared_ipad: Option<EnrollmentMode>,
    /// Behaviour under user enrollment.
    pub user_enrollment: Option<EnrollmentMode>,
}

impl Availability {
    /// Whether the command works at `version` of this platform: available, introduced at or
    /// before `version` (or no version stated), and not removed at or before it. Deprecation
    /// does not count against it; channels, supervision and enrollment are not checked.
    pub fn supports(&self, version: Version) -> bool {
        self.available
            && self.introduced.is_none_or(|v| v <= version)
            && self.removed.is_none_or(|v| version < v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real row of the table with its versions replaced.
    fn availability(introduced: Option<Version>, removed: Option<Version>) -> Availability {
        let row = crate::RequestType::DeviceLock
            .availability(Platform::MacOS)
            .unwrap();
        Availability {
            introduced,
            removed,
            ..row
        }
    }

    #[test]
    fn supports_compares_introduced_and_removed() {
        let v = |major, minor| Version::new(major, minor, 0);
        let a = availability(Some(v(10, 13)), Some(v(14, 0)));
        assert!(!a.supports(v(10, 12)));
        assert!(a.supports(v(10, 13)));
        assert!(a.supports(Version::new(13, 6, 9)));
        assert!(!a.supports(v(14, 0)));
        assert!(availability(None, None).supports(v(1, 0)));
        let not_here = Availability {
            available: false,
            ..availability(None, None)
        };
        assert!(!not_here.supports(v(99, 0)));
    }
}
