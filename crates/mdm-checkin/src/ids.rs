//! Validated identifiers carried by check-in messages.
//!
//! Each is checked when it is made (from a string, from bytes, or while decoding), so code
//! that holds one never sees an empty or control-character-laden value. The checks are loose
//! on purpose where Apple documents no format: devices and test fixtures in the wild use
//! several UDID shapes and topic prefixes.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// Longest `UDID` accepted, in characters.
pub const MAX_UDID_LEN: usize = 64;
/// Longest `EnrollmentID` / `EnrollmentUserID` accepted, in bytes.
pub const MAX_ENROLLMENT_ID_LEN: usize = 256;
/// Longest push `Topic` accepted, in bytes.
pub const MAX_TOPIC_LEN: usize = 255;
/// Longest `PushMagic` accepted, in bytes.
pub const MAX_PUSH_MAGIC_LEN: usize = 256;
/// Longest push `Token` accepted, in bytes (tokens are 32 bytes today; APNs allows up to 100).
pub const MAX_DEVICE_TOKEN_LEN: usize = 256;

/// Declares a string newtype validated by `$check`, with `new`, `as_str`, `Display`,
/// `FromStr`, `TryFrom<String>`, `AsRef<str>` and string serde.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $check:path) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `value`.
            ///
            /// # Errors
            /// [`Error::InvalidId`] when the value does not pass this type's checks.
            pub fn new(value: impl Into<String>) -> Result<Self, Error> {
                let value = value.into();
                match $check(&value) {
                    Ok(()) => Ok($name(value)),
                    Err(reason) => Err(Error::InvalidId {
                        kind: $kind,
                        reason: reason.to_owned(),
                    }),
                }
            }

            /// The identifier as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                Self::new(s).map_err(D::Error::custom)
            }
        }
    };
}

fn check_udid(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("empty");
    }
    if s.len() > MAX_UDID_LEN {
        return Err("longer than 64 characters");
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("only ASCII letters, digits and '-' are allowed");
    }
    Ok(())
}

fn check_text(s: &str, max: usize) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("empty");
    }
    if s.len() > max {
        return Err("too long");
    }
    if s.chars().any(char::is_control) {
        return Err("contains a control character");
    }
    Ok(())
}

fn check_enrollment_id(s: &str) -> Result<(), &'static str> {
    check_text(s, MAX_ENROLLMENT_ID_LEN)
}

fn check_push_magic(s: &str) -> Result<(), &'static str> {
    check_text(s, MAX_PUSH_MAGIC_LEN)
}

fn check_topic(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("empty");
    }
    if s.len() > MAX_TOPIC_LEN {
        return Err("longer than 255 bytes");
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("only printable ASCII without spaces is allowed");
    }
    Ok(())
}

string_id! {
    /// A device's unique identifier (`UDID`).
    ///
    /// Seen shapes: 40 hex digits (older iOS devices), `00008030-001A2B3C4D5E802E` (newer
    /// iOS hardware), an uppercase UUID (Macs). Accepted: 1 to 64 ASCII letters, digits or
    /// hyphens; the value is kept as sent, case included.
    Udid, "UDID", check_udid
}

string_id! {
    /// A per-enrollment identifier (`EnrollmentID` for the device of a user enrollment,
    /// `EnrollmentUserID` for its user). Unlike a UDID it changes with every enrollment.
    ///
    /// Accepted: 1 to 256 bytes without control characters.
    EnrollmentId, "EnrollmentID", check_enrollment_id
}

string_id! {
    /// The APNs topic a device listens on (`Topic`), the UID of the MDM push certificate,
    /// for example `com.apple.mgmt.External.<uuid>`.
    ///
    /// Accepted: 1 to 255 printable ASCII characters without spaces. The usual prefix is
    /// not required (test fixtures use others); see [`Topic::is_apple_mdm`].
    Topic, "Topic", check_topic
}

string_id! {
    /// The `PushMagic` string a device sends in `TokenUpdate`; the server puts it in the
    /// `mdm` key of every push notification so the device knows the push is for this
    /// enrollment.
    ///
    /// Accepted: 1 to 256 bytes without control characters (devices send a UUID).
    PushMagic, "PushMagic", check_push_magic
}

impl Topic {
    /// Says whether the topic has the prefix of Apple-issued MDM push certificates
    /// (`com.apple.mgmt.`).
    pub fn is_apple_mdm(&self) -> bool {
        self.0.starts_with("com.apple.mgmt.")
    }
}

/// The APNs device token a device sends in `TokenUpdate` (`Token`, a `<data>` value).
///
/// Accepted: 1 to 256 bytes. [`fmt::Display`] and [`DeviceToken::to_hex`] give the
/// lowercase hex form APNs expects in the request path.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceToken(Vec<u8>);

impl DeviceToken {
    /// Validates and wraps the raw token bytes.
    ///
    /// # Errors
    /// [`Error::InvalidId`] when the token is empty or longer than
    /// [`MAX_DEVICE_TOKEN_LEN`].
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let bytes = bytes.into();
        let reason = if bytes.is_empty() {
            "empty"
        } else if bytes.len() > MAX_DEVICE_TOKEN_LEN {
            "longer than 256 bytes"
        } else {
            return Ok(DeviceToken(bytes));
        };
        Err(Error::InvalidId {
            kind: "device token",
            reason: reason.to_owned(),
        })
    }

    /// Parses the hex form (either case, no separators).
    ///
    /// # Errors
    /// [`Error::InvalidId`] when `hex` has an odd length, a non-hex digit, or decodes to a
    /// token [`DeviceToken::new`] refuses.
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidId {
            kind: "device token",
            reason: reason.to_owned(),
        };
        if !hex.len().is_multiple_of(2) {
            return Err(invalid("odd number of hex digits"));
        }
        let digits = hex
            .bytes()
            .map(|b| char::from(b).to_digit(16))
            .collect::<Option<Vec<u32>>>()
            .ok_or_else(|| invalid("not a hex digit"))?;
        let bytes = digits
            .chunks_exact(2)
            .map(|pair| match pair {
                [hi, lo] => u8::try_from(hi * 16 + lo).unwrap_or(0),
                _ => 0,
            })
            .collect::<Vec<u8>>();
        Self::new(bytes)
    }

    /// The token bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The lowercase hex form APNs uses in `/3/device/<token>`.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            for nibble in [b >> 4, b & 0x0f] {
                if let Some(d) = DIGITS.get(usize::from(nibble)) {
                    out.push(char::from(*d));
                }
            }
        }
        out
    }

    /// Unwraps the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl fmt::Display for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceToken({})", self.to_hex())
    }
}

impl AsRef<[u8]> for DeviceToken {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl TryFrom<Vec<u8>> for DeviceToken {
    type Error = Error;
    fn try_from(bytes: Vec<u8>) -> Result<Self, Error> {
        Self::new(bytes)
    }
}

impl Serialize for DeviceToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for DeviceToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let data = mdm_plist::Data::deserialize(deserializer)?;
        Self::new(Vec::from(data)).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udid_shapes() {
        for ok in [
            "663b07bb783e9ade1dae4fbb92ea12afc0ce5b69",
            "00008030-001A2B3C4D5E802E",
            "66ADE930-5FDF-5EC4-8429-15640684C489",
        ] {
            assert_eq!(Udid::new(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "has space", "x".repeat(65).as_str(), "caf\u{e9}"] {
            assert!(Udid::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn topic_and_magic() {
        let t = Topic::new("com.apple.mgmt.External.e0bd1eac").unwrap();
        assert!(t.is_apple_mdm());
        assert!(!Topic::new("io.micromdm.topic.1").unwrap().is_apple_mdm());
        assert!(Topic::new("a b").is_err());
        assert!(PushMagic::new("").is_err());
        assert!(PushMagic::new("a\u{0}b").is_err());
        assert!(EnrollmentId::new("x\n").is_err());
    }

    #[test]
    fn device_token_hex() {
        let t = DeviceToken::from_hex("00FFa1").unwrap();
        assert_eq!(t.as_bytes(), &[0x00, 0xff, 0xa1]);
        assert_eq!(t.to_string(), "00ffa1");
        assert!(DeviceToken::from_hex("abc").is_err());
        assert!(DeviceToken::from_hex("zz").is_err());
        assert!(DeviceToken::from_hex("").is_err());
        assert!(DeviceToken::new(vec![0; 257]).is_err());
    }
}
