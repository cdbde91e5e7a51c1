//! Where each command is available, from the schema's `supportedOS`.

/// An Apple platform the schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// iOS and iPadOS.
    IOS,
    /// macOS.
    MacOS,
    /// tvOS.
    TvOS,
    /// visionOS.
    VisionOS,
    /// watchOS.
    WatchOS,
}

impl Platform {
    /// Every platform.
    pub const ALL: [Platform; 5] = [
        Platform::IOS,
        Platform::MacOS,
        Platform::TvOS,
        Platform::VisionOS,
        Platform::WatchOS,
    ];

    /// The schema's spelling (`iOS`, `macOS`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::IOS => "iOS",
            Platform::MacOS => "macOS",
            Platform::TvOS => "tvOS",
            Platform::VisionOS => "visionOS",
            Platform::WatchOS => "watchOS",
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// The schema's facts about one command on one platform.
///
/// `None` means the schema does not say (for channels and supervision, Apple's default is
/// device channel, not supervised).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Availability {
    /// False when the schema marks the platform `n/a`.
    pub available: bool,
    /// First OS version with the command.
    pub introduced: Option<&'static str>,
    /// OS version that deprecated it.
    pub deprecated: Option<&'static str>,
    /// OS version that removed it.
    pub removed: Option<&'static str>,
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
