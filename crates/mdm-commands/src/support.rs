//! Conversions the generated code calls (see `mdm_codegen::rust` for the contract). The
//! mechanisms live in [`mdm_plist::tagged`]; these wrap them in this crate's error type.

use mdm_plist::Dictionary;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserializer, Serialize, Serializer};

use crate::Error;

/// Decodes a dictionary (already bounded: it came through `mdm_plist`) as `T`.
pub(crate) fn from_dictionary_typed<T: DeserializeOwned>(dict: Dictionary) -> Result<T, Error> {
    Ok(mdm_plist::tagged::from_dictionary(dict)?)
}

/// Encodes `value` (a `plist_dict!` type) as a dictionary.
pub(crate) fn to_dictionary_typed<T: Serialize>(value: &T) -> Result<Dictionary, Error> {
    Ok(mdm_plist::tagged::to_dictionary(value)?)
}

/// Serializes `value` as a dictionary with `tag_key = tag` first.
pub(crate) fn encode_tagged<T: Serialize, S: Serializer>(
    tag_key: &str,
    tag: &str,
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    mdm_plist::tagged::encode_tagged(tag_key, tag, value, serializer)
}

/// Deserializes a dictionary and takes its `tag_key` string out.
pub(crate) fn decode_tagged<'de, D: Deserializer<'de>>(
    tag_key: &str,
    deserializer: D,
) -> Result<(Option<String>, Dictionary), D::Error> {
    mdm_plist::tagged::decode_tagged(tag_key, deserializer)
}

/// Decodes a tagged item's remaining keys as `T`, as a deserializer error.
pub(crate) fn from_dictionary<'de, T: DeserializeOwned, D: Deserializer<'de>>(
    dict: Dictionary,
) -> Result<T, D::Error> {
    from_dictionary_typed(dict).map_err(D::Error::custom)
}

/// Puts a tag back at the front of an item kept whole.
pub(crate) fn with_tag(tag_key: &str, tag: Option<String>, dict: Dictionary) -> Dictionary {
    mdm_plist::tagged::with_tag(tag_key, tag, dict)
}
