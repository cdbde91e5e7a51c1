//! Validated identifiers that several protocols carry: the device's UDID, enrollment ids,
//! serial numbers, and the three values a push needs (device token, push magic, topic).
//!
//! Each is checked when it is made (from a string, from bytes, or while deserializing), so
//! code that holds one never sees an empty or control-character-laden value. The checks are
//! loose where Apple documents no format: devices and test fixtures in the wild use several
//! UDID shapes and topic prefixes.

use std::fmt;
use std::str::FromStr;

use serde::de::{Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// Longest `UDID` accepted, in characters.
pub const MAX_UDID_LEN: usize = 64;
/// Longest `EnrollmentID` / `EnrollmentUserID` accepted, in bytes.
pub const MAX_ENROLLMENT_ID_LEN: usize = 256;
/// Longest serial number accepted, in characters.
pub const MAX_SERIAL_NUMBER_LEN: usize = 64;
/// Longest push topic accepted, in bytes.
pub const MAX_TOPIC_LEN: usize = 255;
/// Longest `PushMagic` accepted, in bytes.
pub const MAX_PUSH_MAGIC_LEN: usize = 256;
/// Longest device token accepted, in bytes: the most APNs takes (tokens are 32 bytes today,
/// and Apple asks providers not to rely on that length).
pub const MAX_DEVICE_TOKEN_LEN: usize = 100;

/// The prefix of the topics of Apple-issued MDM push certificates.
pub const MDM_TOPIC_PREFIX: &str = "com.apple.mgmt.";

/// Declares a string newtype validated by `$check`, with `new`, `as_str`, `into_string`,
/// `Display`, `Debug`, `FromStr`, `TryFrom<String>`, `TryFrom<&str>`, `AsRef<str>`,
/// `From<T> for String` and string serde.
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $check:path) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `value`.
            ///
            /// # Errors
            /// [`Error::Invalid`] when the value does not pass this type's checks.
            pub fn new(value: impl Into<String>) -> Result<Self, Error> {
                let value = value.into();
                match $check(&value) {
                    Ok(()) => Ok($name(value)),
                    Err(reason) => Err(Error::invalid($kind, reason)),
                }
            }

            /// The value as sent on the wire.
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

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
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

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
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

fn check_serial(s: &str) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("empty");
    }
    if s.len() > MAX_SERIAL_NUMBER_LEN {
        return Err("longer than 64 characters");
    }
    if !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("only printable ASCII without spaces is allowed");
    }
    Ok(())
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
    /// iOS hardware), an uppercase UUID (Macs). Accepted: 1 to [`MAX_UDID_LEN`] ASCII
    /// letters, digits or hyphens; the value is kept as sent, case included.
    Udid, "UDID", check_udid
}

string_id! {
    /// A per-enrollment identifier (`EnrollmentID` for the device of a user enrollment,
    /// `EnrollmentUserID` for its user). Unlike a UDID it changes with every enrollment.
    ///
    /// Accepted: 1 to [`MAX_ENROLLMENT_ID_LEN`] bytes without control characters.
    EnrollmentId, "enrollment id", check_enrollment_id
}

string_id! {
    /// A device's serial number, as check-in, DEP, Apps and Books and the School and
    /// Business Manager API report it (`C02XL0GHJGH5`).
    ///
    /// Accepted: 1 to [`MAX_SERIAL_NUMBER_LEN`] printable ASCII characters without spaces
    /// (Apple documents no stricter format, and older hardware uses other lengths).
    SerialNumber, "serial number", check_serial
}

string_id! {
    /// The APNs topic a device listens on (`Topic` in `Authenticate` and `TokenUpdate`), the
    /// UID of the MDM push certificate, for example `com.apple.mgmt.External.<uuid>`. It is
    /// the `apns-topic` header of every push.
    ///
    /// Accepted: 1 to [`MAX_TOPIC_LEN`] printable ASCII characters without spaces. The
    /// usual prefix is not required (test fixtures use others); see [`Topic::is_mdm`].
    Topic, "topic", check_topic
}

string_id! {
    /// The `PushMagic` string a device sends in `TokenUpdate`; the server puts it in the
    /// `mdm` key of every push notification so the device knows the push is for this
    /// enrollment.
    ///
    /// Accepted: 1 to [`MAX_PUSH_MAGIC_LEN`] bytes without control characters (devices
    /// send a UUID).
    PushMagic, "push magic", check_push_magic
}

impl Topic {
    /// Says whether the topic has the prefix of Apple-issued MDM push certificates
    /// ([`MDM_TOPIC_PREFIX`]).
    pub fn is_mdm(&self) -> bool {
        self.0.starts_with(MDM_TOPIC_PREFIX)
    }
}

/// The APNs device token a device sends in `TokenUpdate` (`Token`, a `<data>` value), and
/// the last segment of the APNs request path (`/3/device/<hex>`).
///
/// Accepted: 1 to [`MAX_DEVICE_TOKEN_LEN`] bytes. [`fmt::Display`] and
/// [`DeviceToken::to_hex`] give the lowercase hex form APNs expects.
///
/// Serialized as bytes (a plist `<data>`); deserialized from bytes, from a hex string (the
/// JSON habit) or from a sequence of byte values (through `deserialize_any`, so the format
/// must be self-describing, as plist and JSON are). Use [`hex_serde`] on a field to write
/// hex instead.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceToken(Vec<u8>);

impl DeviceToken {
    /// Validates and wraps the raw token bytes.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the token is empty or longer than [`MAX_DEVICE_TOKEN_LEN`].
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, Error> {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Err(Error::invalid("device token", "empty"));
        }
        if bytes.len() > MAX_DEVICE_TOKEN_LEN {
            return Err(Error::invalid(
                "device token",
                format!(
                    "{} bytes, longer than APNs accepts ({MAX_DEVICE_TOKEN_LEN})",
                    bytes.len()
                ),
            ));
        }
        Ok(DeviceToken(bytes))
    }

    /// Parses the hex form (either case, no separators).
    ///
    /// # Errors
    /// [`Error::Invalid`] when `hex` has an odd length, a non-hex digit, or decodes to a
    /// token [`DeviceToken::new`] refuses.
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        if !hex.len().is_multiple_of(2) {
            return Err(Error::invalid("device token", "odd number of hex digits"));
        }
        if hex.len() > MAX_DEVICE_TOKEN_LEN * 2 {
            return Err(Error::invalid(
                "device token",
                format!("longer than APNs accepts ({MAX_DEVICE_TOKEN_LEN} bytes)"),
            ));
        }
        let mut bytes = Vec::with_capacity(hex.len() / 2);
        for pair in hex.as_bytes().chunks_exact(2) {
            match pair {
                [hi, lo] => match (hex_value(*hi), hex_value(*lo)) {
                    (Some(hi), Some(lo)) => bytes.push((hi << 4) | lo),
                    _ => return Err(Error::invalid("device token", "not a hex digit")),
                },
                _ => return Err(Error::invalid("device token", "odd number of hex digits")),
            }
        }
        Self::new(bytes)
    }

    /// The token bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The lowercase hex form APNs uses in `/3/device/<token>`.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
        out
    }

    /// Unwraps the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(
        b"0123456789abcdef"
            .get(usize::from(nibble & 0x0f))
            .copied()
            .unwrap_or(b'0'),
    )
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
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

impl FromStr for DeviceToken {
    type Err = Error;
    /// Parses the hex form, as [`DeviceToken::from_hex`].
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::from_hex(s)
    }
}

impl TryFrom<Vec<u8>> for DeviceToken {
    type Error = Error;
    fn try_from(bytes: Vec<u8>) -> Result<Self, Error> {
        Self::new(bytes)
    }
}

impl TryFrom<&[u8]> for DeviceToken {
    type Error = Error;
    fn try_from(bytes: &[u8]) -> Result<Self, Error> {
        Self::new(bytes)
    }
}

impl Serialize for DeviceToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

struct TokenVisitor;

impl<'de> Visitor<'de> for TokenVisitor {
    type Value = DeviceToken;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a device token as bytes or hex")
    }

    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<DeviceToken, E> {
        DeviceToken::new(v).map_err(E::custom)
    }

    fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<DeviceToken, E> {
        DeviceToken::new(v).map_err(E::custom)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DeviceToken, E> {
        DeviceToken::from_hex(v).map_err(E::custom)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<DeviceToken, A::Error> {
        let mut bytes = Vec::new();
        while let Some(b) = seq.next_element::<u8>()? {
            if bytes.len() >= MAX_DEVICE_TOKEN_LEN {
                return Err(A::Error::custom(Error::invalid(
                    "device token",
                    "longer than APNs accepts",
                )));
            }
            bytes.push(b);
        }
        DeviceToken::new(bytes).map_err(A::Error::custom)
    }
}

impl<'de> Deserialize<'de> for DeviceToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TokenVisitor)
    }
}

/// Serde helpers that write a [`DeviceToken`] as lowercase hex, for JSON and other text
/// formats: `#[serde(with = "mdm_types::hex_serde")]`. Reading accepts every form the plain
/// impl accepts.
pub mod hex_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::DeviceToken;

    /// Writes the token as lowercase hex.
    ///
    /// # Errors
    /// Whatever the serializer returns.
    pub fn serialize<S: Serializer>(token: &DeviceToken, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&token.to_hex())
    }

    /// Reads a token from hex, bytes or a byte sequence.
    ///
    /// # Errors
    /// When the value is not a valid token.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DeviceToken, D::Error> {
        DeviceToken::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

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
            let err = Udid::new(bad).unwrap_err();
            assert_eq!(err.kind(), "UDID", "{bad:?}");
        }
    }

    #[test]
    fn topic_magic_serial() {
        let t = Topic::new("com.apple.mgmt.External.e0bd1eac").unwrap();
        assert!(t.is_mdm());
        assert!(!Topic::new("io.micromdm.topic.1").unwrap().is_mdm());
        assert!(Topic::new("a b").is_err());
        assert!(Topic::new("a".repeat(MAX_TOPIC_LEN + 1)).is_err());
        assert!(PushMagic::new("").is_err());
        assert!(PushMagic::new("a\u{0}b").is_err());
        assert!(EnrollmentId::new("x\n").is_err());
        assert!(SerialNumber::new("C02XL0GHJGH5").is_ok());
        assert!(SerialNumber::new("C02 XL").is_err());
        assert_eq!(
            Topic::new("").unwrap_err().to_string(),
            "invalid topic: empty"
        );
    }

    #[test]
    fn device_token_hex() {
        let t = DeviceToken::from_hex("00FFa1").unwrap();
        assert_eq!(t.as_bytes(), &[0x00, 0xff, 0xa1]);
        assert_eq!(t.to_string(), "00ffa1");
        assert_eq!("00ffa1".parse::<DeviceToken>().unwrap(), t);
        for bad in ["abc", "zz", "", "<00ff>"] {
            assert!(DeviceToken::from_hex(bad).is_err(), "{bad:?}");
        }
        assert!(DeviceToken::new(vec![0; MAX_DEVICE_TOKEN_LEN + 1]).is_err());
        assert!(DeviceToken::from_hex(&"ab".repeat(MAX_DEVICE_TOKEN_LEN + 1)).is_err());
    }

    #[test]
    fn device_token_serde_forms() {
        let t = DeviceToken::new(vec![1, 2, 255]).unwrap();
        let from_hex: DeviceToken = serde_json::from_str("\"0102ff\"").unwrap();
        let from_seq: DeviceToken = serde_json::from_str("[1,2,255]").unwrap();
        assert_eq!(from_hex, t);
        assert_eq!(from_seq, t);
        assert!(serde_json::from_str::<DeviceToken>("\"0g\"").is_err());
        assert!(serde_json::from_str::<DeviceToken>("[]").is_err());

        #[derive(serde::Serialize, serde::Deserialize)]
        struct Row {
            #[serde(with = "hex_serde")]
            token: DeviceToken,
        }
        let json = serde_json::to_string(&Row { token: t.clone() }).unwrap();
        assert_eq!(json, r#"{"token":"0102ff"}"#);
        let back: Row = serde_json::from_str(&json).unwrap();
        assert_eq!(back.token, t);
    }

    #[test]
    fn string_ids_serde_validate() {
        let t: Topic = serde_json::from_str("\"com.apple.mgmt.External.x\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"com.apple.mgmt.External.x\""
        );
        assert!(serde_json::from_str::<Topic>("\"bad topic\"").is_err());
        assert!(serde_json::from_str::<Udid>("\"\"").is_err());
    }

    proptest! {
        #[test]
        fn token_bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 1..=MAX_DEVICE_TOKEN_LEN)) {
            let t = DeviceToken::new(bytes.clone()).unwrap();
            prop_assert_eq!(t.as_bytes(), &bytes[..]);
            prop_assert_eq!(DeviceToken::from_hex(&t.to_hex()).unwrap(), t);
        }

        #[test]
        fn any_text_never_panics(s in ".{0,300}") {
            let _ = DeviceToken::from_hex(&s);
            let _ = Topic::new(s.clone());
            let _ = PushMagic::new(s.clone());
            let _ = Udid::new(s.clone());
            let _ = SerialNumber::new(s.clone());
            let _ = EnrollmentId::new(s);
        }
    }
}
