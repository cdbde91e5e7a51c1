//! Dictionaries whose kind is named by one of their own keys (a "tag"), such as the items of
//! the `Settings` command (`Item = "Wallpaper"`, ...), and conversions between typed values
//! and [`Dictionary`]s that generated code builds on.

use serde::de::DeserializeOwned;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Dictionary, Error, Value};

/// Encodes `value` (usually a [`crate::plist_dict!`] type) as a [`Dictionary`].
///
/// # Errors
/// [`Error::Encode`] when the value does not encode as a dictionary.
pub fn to_dictionary<T: Serialize>(value: &T) -> Result<Dictionary, Error> {
    match crate::to_value(value)? {
        Value::Dictionary(d) => Ok(d),
        _ => Err(Error::Encode {
            message: "value did not encode as a dictionary".into(),
        }),
    }
}

/// Decodes a [`Dictionary`] (already bounded: it came through this crate or was built in
/// memory) as `T`.
///
/// # Errors
/// [`Error::Type`] when the dictionary does not have the shape `T` expects.
pub fn from_dictionary<T: DeserializeOwned>(dict: Dictionary) -> Result<T, Error> {
    crate::from_value(&Value::Dictionary(dict))
}

/// Serializes `value` as a dictionary whose first key is `tag_key = tag`, followed by the
/// value's own keys (any `tag_key` it holds itself is dropped).
///
/// # Errors
/// When `value` does not encode as a dictionary, or the serializer fails.
pub fn encode_tagged<T: Serialize, S: Serializer>(
    tag_key: &str,
    tag: &str,
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let inner = to_dictionary(value).map_err(S::Error::custom)?;
    with_tag(tag_key, Some(tag.to_owned()), inner).serialize(serializer)
}

/// Deserializes a dictionary and takes its `tag_key` string out. A tag that is not a string
/// stays in the dictionary (so the item can be kept whole) and the tag comes back `None`.
///
/// # Errors
/// When the input is not a dictionary.
pub fn decode_tagged<'de, D: Deserializer<'de>>(
    tag_key: &str,
    deserializer: D,
) -> Result<(Option<String>, Dictionary), D::Error> {
    let mut dict = Dictionary::deserialize(deserializer)?;
    let tag = match dict.remove(tag_key) {
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            dict.insert(tag_key.to_owned(), other);
            None
        }
        None => None,
    };
    Ok((tag, dict))
}

/// Puts `tag_key = tag` back at the front of a dictionary (no change when `tag` is `None`).
pub fn with_tag(tag_key: &str, tag: Option<String>, dict: Dictionary) -> Dictionary {
    let Some(tag) = tag else {
        return dict;
    };
    let mut out = Dictionary::new();
    out.insert(tag_key.to_owned(), Value::String(tag));
    for (k, v) in dict {
        if k != tag_key {
            out.insert(k, v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_goes_first_and_round_trips() {
        let mut d = Dictionary::new();
        d.insert("A".into(), Value::Boolean(true));
        d.insert("Item".into(), Value::String("stale".into()));
        let tagged = with_tag("Item", Some("Wallpaper".into()), d);
        assert_eq!(tagged.keys().collect::<Vec<_>>(), vec!["Item", "A"]);
        let xml = crate::to_xml_bytes(&tagged).unwrap();
        let mut de = plist::Deserializer::new(plist::stream::XmlReader::new(std::io::Cursor::new(
            &xml[..],
        )));
        let (tag, rest) = decode_tagged("Item", &mut de).unwrap();
        assert_eq!(tag.as_deref(), Some("Wallpaper"));
        assert_eq!(rest.keys().collect::<Vec<_>>(), vec!["A"]);
    }
}
