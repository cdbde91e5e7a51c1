//! Validated identifiers: the device token, the push magic and the topic.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Shortest device token accepted, in bytes.
pub const MIN_TOKEN_BYTES: usize = 8;
/// Longest device token accepted, in bytes (Apple's tokens are 32 bytes today; Apple asks
/// providers not to hard-code that length).
pub const MAX_TOKEN_BYTES: usize = 100;
/// Longest push magic accepted, in bytes.
pub const MAX_PUSH_MAGIC_BYTES: usize = 1024;
/// Longest topic accepted, in bytes.
pub const MAX_TOPIC_BYTES: usize = 255;

/// The prefix every MDM push topic starts with.
pub const MDM_TOPIC_PREFIX: &str = "com.apple.mgmt.";

/// A device's APNs token, as the device sends it in the `Token` key of `TokenUpdate`
/// (raw bytes there, lower-case hex in the request path).
///
/// Made from bytes ([`DeviceToken::from_bytes`]) or hex ([`DeviceToken::from_hex`], also
/// `FromStr`); always holds between [`MIN_TOKEN_BYTES`] and [`MAX_TOKEN_BYTES`] bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceToken {
    hex: String,
}

impl DeviceToken {
    /// Makes a token from its raw bytes (the `Token` data of a `TokenUpdate`).
    ///
    /// # Errors
    /// [`Error::InvalidDeviceToken`] when the length is out of range.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        check_token_len(bytes.len())?;
        let mut hex = String::with_capacity(bytes.len() * 2);
        for b in bytes {
            hex.push(hex_digit(b >> 4));
            hex.push(hex_digit(b & 0x0f));
        }
        Ok(DeviceToken { hex })
    }

    /// Makes a token from hex digits (either case; spaces and `<`/`>` are not accepted).
    ///
    /// # Errors
    /// [`Error::InvalidDeviceToken`] when the text is not an even number of hex digits or the
    /// length is out of range.
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        if !hex.len().is_multiple_of(2) {
            return Err(Error::InvalidDeviceToken(
                "odd number of hex digits".to_owned(),
            ));
        }
        if let Some(c) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(Error::InvalidDeviceToken(format!(
                "{c:?} is not a hex digit"
            )));
        }
        check_token_len(hex.len() / 2)?;
        Ok(DeviceToken {
            hex: hex.to_ascii_lowercase(),
        })
    }

    /// The token as lower-case hex, as it appears in the request path.
    pub fn as_hex(&self) -> &str {
        &self.hex
    }

    /// The token's raw bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.hex
            .as_bytes()
            .chunks_exact(2)
            .map(|pair| match pair {
                [hi, lo] => (hex_value(*hi) << 4) | hex_value(*lo),
                _ => 0,
            })
            .collect()
    }
}

fn check_token_len(len: usize) -> Result<(), Error> {
    if (MIN_TOKEN_BYTES..=MAX_TOKEN_BYTES).contains(&len) {
        Ok(())
    } else {
        Err(Error::InvalidDeviceToken(format!(
            "{len} bytes, expected {MIN_TOKEN_BYTES} to {MAX_TOKEN_BYTES}"
        )))
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

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

impl fmt::Display for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex)
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceToken({})", self.hex)
    }
}

impl FromStr for DeviceToken {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        DeviceToken::from_hex(s)
    }
}

impl TryFrom<String> for DeviceToken {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        DeviceToken::from_hex(&s)
    }
}

impl From<DeviceToken> for String {
    fn from(t: DeviceToken) -> String {
        t.hex
    }
}

/// The `PushMagic` string a device sends in `TokenUpdate`; the push body carries it back
/// as `{"mdm":"<PushMagic>"}`.
///
/// Non-empty, at most [`MAX_PUSH_MAGIC_BYTES`] bytes, no control characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PushMagic(String);

impl PushMagic {
    /// Validates a push magic string.
    ///
    /// # Errors
    /// [`Error::InvalidPushMagic`] when it is empty, too long or holds control characters.
    pub fn new(magic: impl Into<String>) -> Result<Self, Error> {
        let magic = magic.into();
        if magic.is_empty() {
            return Err(Error::InvalidPushMagic("empty".to_owned()));
        }
        if magic.len() > MAX_PUSH_MAGIC_BYTES {
            return Err(Error::InvalidPushMagic(format!(
                "longer than {MAX_PUSH_MAGIC_BYTES} bytes"
            )));
        }
        if magic.chars().any(char::is_control) {
            return Err(Error::InvalidPushMagic(
                "holds a control character".to_owned(),
            ));
        }
        Ok(PushMagic(magic))
    }

    /// The push magic text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PushMagic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PushMagic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PushMagic({:?})", self.0)
    }
}

impl FromStr for PushMagic {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        PushMagic::new(s)
    }
}

impl TryFrom<String> for PushMagic {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        PushMagic::new(s)
    }
}

impl From<PushMagic> for String {
    fn from(m: PushMagic) -> String {
        m.0
    }
}

/// An APNs topic, sent in the `apns-topic` header. For MDM it is the UID of the push
/// certificate, `com.apple.mgmt.External.<uuid>`, and devices report it as `Topic` in
/// `Authenticate` and `TokenUpdate`.
///
/// Non-empty, at most [`MAX_TOPIC_BYTES`] bytes of `[A-Za-z0-9._-]`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic(String);

impl Topic {
    /// Validates a topic.
    ///
    /// # Errors
    /// [`Error::InvalidTopic`] when it is empty, too long or holds other characters.
    pub fn new(topic: impl Into<String>) -> Result<Self, Error> {
        let topic = topic.into();
        if topic.is_empty() {
            return Err(Error::InvalidTopic("empty".to_owned()));
        }
        if topic.len() > MAX_TOPIC_BYTES {
            return Err(Error::InvalidTopic(format!(
                "longer than {MAX_TOPIC_BYTES} bytes"
            )));
        }
        if let Some(c) = topic
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
        {
            return Err(Error::InvalidTopic(format!("{c:?} is not allowed")));
        }
        Ok(Topic(topic))
    }

    /// The topic text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an MDM topic (starts with [`MDM_TOPIC_PREFIX`]).
    pub fn is_mdm(&self) -> bool {
        self.0.starts_with(MDM_TOPIC_PREFIX)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Topic({})", self.0)
    }
}

impl FromStr for Topic {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Topic::new(s)
    }
}

impl TryFrom<String> for Topic {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Topic::new(s)
    }
}

impl From<Topic> for String {
    fn from(t: Topic) -> String {
        t.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn token_hex_and_bytes_agree() {
        let t = DeviceToken::from_hex("00FFa1B2c3d4e5f60718").unwrap();
        assert_eq!(t.as_hex(), "00ffa1b2c3d4e5f60718");
        assert_eq!(
            t.to_bytes(),
            [0x00, 0xff, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18]
        );
        assert_eq!(DeviceToken::from_bytes(&t.to_bytes()).unwrap(), t);
    }

    #[test]
    fn token_rejects_bad_input() {
        for bad in [
            "",
            "abc",
            "zz00112233445566",
            "00112233445566",
            "<0011223344556677>",
        ] {
            assert!(
                matches!(
                    DeviceToken::from_hex(bad),
                    Err(Error::InvalidDeviceToken(_))
                ),
                "{bad:?}"
            );
        }
        assert!(DeviceToken::from_bytes(&[0; MAX_TOKEN_BYTES + 1]).is_err());
        assert!(DeviceToken::from_bytes(&[0; MIN_TOKEN_BYTES - 1]).is_err());
        assert!("ab".repeat(32).parse::<DeviceToken>().is_ok());
    }

    #[test]
    fn push_magic_rules() {
        assert!(PushMagic::new("8BBC4D7F-6D3A-4B23-A9C0-4D1F9E2A4E31").is_ok());
        assert!(PushMagic::new("").is_err());
        assert!(PushMagic::new("a\nb").is_err());
        assert!(PushMagic::new("x".repeat(MAX_PUSH_MAGIC_BYTES + 1)).is_err());
    }

    #[test]
    fn topic_rules() {
        let t = Topic::new("com.apple.mgmt.External.2b6d7a46-0c11-4f4e-8d4a-8b5f6a1c3e21").unwrap();
        assert!(t.is_mdm());
        assert!(!Topic::new("com.example.app").unwrap().is_mdm());
        for bad in ["", "a b", "com/apple", "é"] {
            assert!(Topic::new(bad).is_err(), "{bad:?}");
        }
        assert!(Topic::new("a".repeat(MAX_TOPIC_BYTES + 1)).is_err());
    }

    #[test]
    fn serde_validates() {
        let t: Topic = serde_json::from_str("\"com.apple.mgmt.External.x\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"com.apple.mgmt.External.x\""
        );
        assert!(serde_json::from_str::<Topic>("\"bad topic\"").is_err());
        assert!(serde_json::from_str::<DeviceToken>("\"0g\"").is_err());
    }

    proptest! {
        #[test]
        fn token_bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), MIN_TOKEN_BYTES..=MAX_TOKEN_BYTES)) {
            let t = DeviceToken::from_bytes(&bytes).unwrap();
            prop_assert_eq!(t.to_bytes(), bytes);
            prop_assert_eq!(DeviceToken::from_hex(t.as_hex()).unwrap(), t);
        }

        #[test]
        fn token_from_any_text_never_panics(s in ".{0,300}") {
            let _ = DeviceToken::from_hex(&s);
            let _ = Topic::new(s.clone());
            let _ = PushMagic::new(s);
        }
    }
}
