//! Conversions the generated code calls (see `mdm_codegen::rust` for the contract).

use mdm_plist::Dictionary;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserializer, Serialize, Serializer};

use crate::Error;

/// Decodes a dictionary (already bounded: it came through `mdm_plist`) as `T`.
pub(crate) fn typed_from_dictionary<T: DeserializeOwned>(dict: &Dictionary) -> Result<T, Error> {
    Ok(mdm_plist::tagged::from_dictionary(dict.clone())?)
}

/// Decodes `dict` as `T`; when a key's value does not fit, moves that key out (at most
/// [`MAX_MOVED`] keys, each found from the error's key path, so the work is bounded by
/// `MAX_MOVED + 1` decodes whatever the input) and tries again. Returns the moved keys for
/// the caller to keep in `extra`.
pub(crate) fn lenient<T: DeserializeOwned>(dict: &Dictionary) -> Result<(T, Dictionary), Error> {
    let mut rest = dict.clone();
    let mut moved = Dictionary::new();
    for _ in 0..=MAX_MOVED {
        let err = match typed_from_dictionary::<T>(&rest) {
            Ok(v) => return Ok((v, moved)),
            Err(e) => e,
        };
        let Some(key) = misfit_key(&rest, &err) else {
            return Err(err);
        };
        if let Some(value) = rest.remove(&key) {
            moved.insert(key, value);
        }
    }
    typed_from_dictionary::<T>(&rest).map(|v| (v, moved))
}

/// The top-level key an error's path starts with, when it names one of `dict`'s keys
/// (the longest match, since keys may contain `.`).
fn misfit_key(dict: &Dictionary, err: &Error) -> Option<String> {
    let Error::Plist(mdm_plist::Error::Type { path, .. }) = err else {
        return None;
    };
    dict.keys()
        .filter(|k| {
            path.strip_prefix(k.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
        .max_by_key(|k| k.len())
        .cloned()
}

/// How many misfit keys [`lenient`] moves aside before giving up.
const MAX_MOVED: usize = 8;

/// Puts keys moved aside by [`lenient`] into `extra` and returns their names.
pub(crate) fn keep_extra(extra: &mut Dictionary, moved: Dictionary) -> Vec<String> {
    let mut names = Vec::with_capacity(moved.len());
    for (k, v) in moved {
        names.push(k.clone());
        extra.insert(k, v);
    }
    names
}

/// Takes `PayloadType` out of a payload decoded whole (its `extra`, or an untyped body),
/// keeping the other keys in their order; fails unless it is the string `expected`.
pub(crate) fn take_tag<E: serde::de::Error>(
    keys: &mut Dictionary,
    expected: &str,
) -> Result<(), E> {
    match keys.get("PayloadType") {
        Some(mdm_plist::Value::String(s)) if s == expected => {
            remove_in_order(keys, "PayloadType");
            Ok(())
        }
        _ => Err(E::custom("PayloadType is not the one the scan found")),
    }
}

/// Removes `key` from `dict` without moving the other keys (plist's `remove` moves the last
/// key into the gap).
pub(crate) fn remove_in_order(dict: &mut Dictionary, key: &str) -> Option<mdm_plist::Value> {
    let mut taken = None;
    dict.retain(|k, v| {
        if k == key && taken.is_none() {
            taken = Some(std::mem::replace(v, mdm_plist::Value::Boolean(false)));
            false
        } else {
            true
        }
    });
    taken
}

/// A payload of a type the schema does not define, decoded whole (see `typed_direct`).
pub(crate) fn direct_unknown<'de, D: Deserializer<'de>>(
    payload_type: &str,
    deserializer: D,
) -> Result<crate::Payload, D::Error> {
    use serde::Deserialize as _;
    let mut body = Dictionary::deserialize(deserializer)?;
    take_tag::<D::Error>(&mut body, payload_type)?;
    Ok(crate::Payload::Unknown {
        payload_type: payload_type.to_owned(),
        body,
    })
}

/// Encodes `value` (a `plist_dict!` type) as a dictionary.
pub(crate) fn typed_to_dictionary<T: Serialize>(value: &T) -> Result<Dictionary, Error> {
    Ok(mdm_plist::tagged::to_dictionary(value)?)
}

/// Serializes `value` as a dictionary with `tag_key = tag` first.
#[allow(dead_code)] // for tagged unions, should a payload schema grow one
pub(crate) fn encode_tagged<T: Serialize, S: Serializer>(
    tag_key: &str,
    tag: &str,
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    mdm_plist::tagged::encode_tagged(tag_key, tag, value, serializer)
}

/// Deserializes a dictionary and takes its `tag_key` string out.
#[allow(dead_code)] // for tagged unions, should a payload schema grow one
pub(crate) fn decode_tagged<'de, D: Deserializer<'de>>(
    tag_key: &str,
    deserializer: D,
) -> Result<(Option<String>, Dictionary), D::Error> {
    mdm_plist::tagged::decode_tagged(tag_key, deserializer)
}

/// Decodes a tagged item's remaining keys as `T`, as a deserializer error.
#[allow(dead_code)] // for tagged unions, should a payload schema grow one
pub(crate) fn from_dictionary<'de, T: DeserializeOwned, D: Deserializer<'de>>(
    dict: Dictionary,
) -> Result<T, D::Error> {
    typed_from_dictionary(&dict).map_err(D::Error::custom)
}

/// Puts a tag back at the front of an item kept whole.
#[allow(dead_code)] // for tagged unions, should a payload schema grow one
pub(crate) fn with_tag(tag_key: &str, tag: Option<String>, dict: Dictionary) -> Dictionary {
    mdm_plist::tagged::with_tag(tag_key, tag, dict)
}
