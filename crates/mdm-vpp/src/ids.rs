//! Identifiers of this API: store ids (`adamId`), event ids and the MDM's user ids.

use serde::de::{self, Visitor};

use crate::Error;

/// Longest `adamId` accepted, in bytes (Apple's are a dozen digits).
pub const MAX_ADAM_ID_LEN: usize = 64;
/// Longest `eventId` accepted, in bytes (Apple sends UUIDs).
pub const MAX_EVENT_ID_LEN: usize = 128;
/// Longest `clientUserId` accepted, in bytes.
pub const MAX_CLIENT_USER_ID_LEN: usize = 256;

string_id! {
    /// The store identifier of an app or book (`adamId`).
    ///
    /// Apple sends it as a string in most responses and as an integer in some
    /// notifications; both decode, and it is always written as a string.
    AdamId, "adamId", MAX_ADAM_ID_LEN, true
}

string_id! {
    /// The identifier of an asynchronous event (`eventId`), returned by associate,
    /// disassociate, revoke and the user calls, and looked up with `status`.
    EventId, "eventId", MAX_EVENT_ID_LEN, false
}

string_id! {
    /// The MDM's own identifier of a user (`clientUserId`).
    ClientUserId, "clientUserId", MAX_CLIENT_USER_ID_LEN, false
}

/// Refuses empty values, values over `max` bytes and values with control characters.
pub(crate) fn check(value: &str, kind: &'static str, max: usize) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(kind, "empty"));
    }
    if value.len() > max {
        return Err(Error::invalid(kind, format!("longer than {max} bytes")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(kind, "holds control characters"));
    }
    Ok(())
}

/// A JSON value that is a string or an integer (for `adamId`).
#[derive(Debug)]
pub(crate) enum StringOrNumber {
    String(String),
    Number(i128),
}

impl<'de> serde::Deserialize<'de> for StringOrNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = StringOrNumber;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StringOrNumber, E> {
                Ok(StringOrNumber::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<StringOrNumber, E> {
                Ok(StringOrNumber::String(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StringOrNumber, E> {
                Ok(StringOrNumber::Number(i128::from(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StringOrNumber, E> {
                Ok(StringOrNumber::Number(i128::from(v)))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_id_from_string_or_number() {
        let a: AdamId = serde_json::from_str("\"361304891\"").unwrap();
        let b: AdamId = serde_json::from_str("361304891").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"361304891\"");
        assert!(serde_json::from_str::<AdamId>("\"\"").is_err());
        assert!(serde_json::from_str::<AdamId>("1.5").is_err());
        assert!(serde_json::from_str::<EventId>("12").is_err());
    }

    #[test]
    fn checks() {
        assert!(ClientUserId::new("user-1").is_ok());
        assert!(ClientUserId::new("a\nb").is_err());
        assert!(ClientUserId::new("x".repeat(MAX_CLIENT_USER_ID_LEN + 1)).is_err());
        assert_eq!(
            EventId::new("").unwrap_err().to_string(),
            "invalid eventId: empty"
        );
    }
}
