//! JSON plumbing: the bounded decode entry point, lenient dates, and `imei`-style fields
//! that are a string in old schemas and an array now.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// Keys a typed object does not model, kept as received so re-encoding loses nothing.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Most bytes of a success body this crate decodes (8 MiB: a page of 1000 devices with
/// every attribute is well under 2 MiB).
pub const MAX_RESPONSE_BODY: usize = 8 * 1024 * 1024;

/// Deepest nesting accepted in a JSON body; serde_json stops at 128 on its own.
pub(crate) fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, Error> {
    if bytes.len() > MAX_RESPONSE_BODY {
        return Err(Error::ResponseTooLarge {
            limit: MAX_RESPONSE_BODY,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| Error::MalformedResponse {
        what,
        detail: e.to_string(),
    })
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::InvalidRequest(format!("cannot encode: {e}")))
}

/// Reads a date as Apple writes it: RFC 3339 with or without fractional seconds, or
/// without a zone (taken as UTC).
///
/// ```
/// let d = mdm_axm::parse_date("2025-04-30T22:05:14.192Z").unwrap();
/// assert_eq!(d.timestamp_millis(), 1746050714192);
/// assert!(mdm_axm::parse_date("2025-04-30T22:05:14").is_some());
/// assert!(mdm_axm::parse_date("yesterday").is_none());
/// ```
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

/// Serde helpers for `Option<DateTime<Utc>>` fields: read with [`parse_date`] (a value that
/// is not a date reads as `None`), written as RFC 3339 with milliseconds.
pub(crate) mod date {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let v = Option::<serde_json::Value>::deserialize(d)?;
        Ok(v.as_ref()
            .and_then(serde_json::Value::as_str)
            .and_then(parse_date))
    }

    #[allow(clippy::ref_option)]
    pub(crate) fn serialize<S: Serializer>(
        v: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            None => s.serialize_none(),
        }
    }
}

/// A list that old schemas typed as one string: reads `"a"`, `["a", "b"]`, `null` or an
/// absent key (empty).
pub(crate) mod string_or_list {
    use super::*;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Option::<Either>::deserialize(d)? {
            None => Vec::new(),
            Some(Either::One(s)) if s.is_empty() => Vec::new(),
            Some(Either::One(s)) => vec![s],
            Some(Either::Many(v)) => v,
        })
    }
}
