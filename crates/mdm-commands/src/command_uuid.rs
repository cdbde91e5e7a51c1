//! The `CommandUUID` identifier.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// A command's `CommandUUID`: the server's handle that ties a response to its command.
///
/// Apple only asks for a unique string; most servers use an upper-case UUID. Any non-empty
/// string of at most [`CommandUuid::MAX_LEN`] bytes without control characters is accepted,
/// so responses to commands other servers queued still decode.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandUuid(String);

impl CommandUuid {
    /// Longest identifier accepted, in bytes.
    pub const MAX_LEN: usize = 256;

    /// Validates `s` as a command identifier.
    ///
    /// # Errors
    /// [`Error::InvalidCommandUuid`] when `s` is empty, longer than [`Self::MAX_LEN`] or holds
    /// control characters.
    pub fn new(s: impl Into<String>) -> Result<Self, Error> {
        let s = s.into();
        if s.is_empty() || s.len() > Self::MAX_LEN || s.chars().any(char::is_control) {
            let shown: String = s.chars().take(64).collect();
            return Err(Error::InvalidCommandUuid(shown));
        }
        Ok(Self(s))
    }

    /// A fresh random (version 4) UUID in Apple's upper-case form.
    pub fn random() -> Self {
        Self(
            uuid::Uuid::new_v4()
                .hyphenated()
                .to_string()
                .to_ascii_uppercase(),
        )
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CommandUuid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CommandUuid {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl Serialize for CommandUuid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CommandUuid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(CommandUuid::new("").is_err());
        assert!(CommandUuid::new("a\nb").is_err());
        assert!(CommandUuid::new("x".repeat(257)).is_err());
        assert_eq!(CommandUuid::new("abc").unwrap().as_str(), "abc");
        let r = CommandUuid::random();
        assert_eq!(r.as_str().len(), 36);
        assert_eq!(r.as_str(), r.as_str().to_ascii_uppercase());
    }
}
