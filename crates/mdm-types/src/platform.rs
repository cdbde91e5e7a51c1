//! The platforms Apple's schema describes, and OS versions compared part by part.

use std::fmt;
use std::str::FromStr;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// An Apple platform, as Apple's schema names them in `supportedOS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
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
    /// Every platform, in the schema's order.
    pub const ALL: [Platform; 5] = [
        Platform::IOS,
        Platform::MacOS,
        Platform::TvOS,
        Platform::VisionOS,
        Platform::WatchOS,
    ];

    /// The schema's spelling (`iOS`, `macOS`, `tvOS`, `visionOS`, `watchOS`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IOS => "iOS",
            Self::MacOS => "macOS",
            Self::TvOS => "tvOS",
            Self::VisionOS => "visionOS",
            Self::WatchOS => "watchOS",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = Error;

    /// Parses the schema's names ignoring case, and the spellings Apple's services use
    /// elsewhere: `iPadOS` is iOS, `OSX` (DEP's `os` field) is macOS.
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "ios" | "ipados" => Self::IOS,
            "macos" | "osx" | "mac os x" => Self::MacOS,
            "tvos" => Self::TvOS,
            "visionos" | "xros" => Self::VisionOS,
            "watchos" => Self::WatchOS,
            _ => {
                return Err(Error::invalid(
                    "platform",
                    format!("unknown platform {s:?}"),
                ));
            }
        })
    }
}

impl Serialize for Platform {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(D::Error::custom)
    }
}

/// An OS version such as `14.0` or `10.15.4`, compared part by part (`10.9 < 10.10`).
///
/// Three parts at most; a missing part is 0, so `17` and `17.0.0` are equal. `const`, so
/// generated availability tables can hold it.
///
/// ```
/// use mdm_types::Version;
///
/// let v: Version = "10.15.4".parse()?;
/// assert!(v > Version::new(10, 9, 0));
/// assert_eq!(v.to_string(), "10.15.4");
/// assert_eq!(Version::new(17, 0, 0).to_string(), "17.0");
/// assert!("17.a".parse::<Version>().is_err());
/// # Ok::<(), mdm_types::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    /// The first part (`17` in `17.4.1`).
    pub major: u32,
    /// The second part (`4` in `17.4.1`).
    pub minor: u32,
    /// The third part (`1` in `17.4.1`).
    pub patch: u32,
}

impl Version {
    /// A version from its parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

impl FromStr for Version {
    type Err = Error;

    /// Parses one to three dot-separated decimal numbers (`14`, `14.0`, `10.15.4`),
    /// ignoring surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = || Error::invalid("OS version", format!("{s:?} is not like 14.0 or 10.15.4"));
        let mut parts = [0u32; 3];
        for (i, part) in s.trim().split('.').enumerate() {
            let slot = parts.get_mut(i).ok_or_else(invalid)?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            *slot = part.parse().map_err(|_| invalid())?;
        }
        let [major, minor, patch] = parts;
        Ok(Version::new(major, minor, patch))
    }
}

impl TryFrom<&str> for Version {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        s.parse()
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn platform_names() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>().unwrap(), p);
        }
        assert_eq!("OSX".parse::<Platform>().unwrap(), Platform::MacOS);
        assert_eq!("iPadOS".parse::<Platform>().unwrap(), Platform::IOS);
        let err = "Windows".parse::<Platform>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid platform: unknown platform \"Windows\""
        );
        assert_eq!(serde_json::to_string(&Platform::TvOS).unwrap(), "\"tvOS\"");
    }

    #[test]
    fn versions_compare_by_part() {
        let v = |s: &str| s.parse::<Version>().unwrap();
        assert!(v("10.9") < v("10.10"));
        assert_eq!(v("17"), v("17.0.0"));
        assert_eq!(v(" 14.0 ").to_string(), "14.0");
        for bad in ["", ".", "1.2.3.4", "1..2", "a", "-1", "1.+2", "99999999999"] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&v("10.15.4")).unwrap();
        assert_eq!(json, "\"10.15.4\"");
        assert_eq!(
            serde_json::from_str::<Version>(&json).unwrap(),
            v("10.15.4")
        );
    }

    proptest! {
        #[test]
        fn version_round_trips(a in 0u32..100_000, b in 0u32..1000, c in 0u32..1000) {
            let v = Version::new(a, b, c);
            prop_assert_eq!(v.to_string().parse::<Version>().unwrap(), v);
        }

        #[test]
        fn any_text_never_panics(s in ".{0,64}") {
            let _ = s.parse::<Version>();
            let _ = s.parse::<Platform>();
        }
    }
}
