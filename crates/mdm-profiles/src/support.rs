//! Conversions the generated code calls (see `mdm_codegen::rust` for the contract).

use mdm_plist::{Dictionary, Value};
use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// Decodes a dictionary (already bounded: it came through `mdm_plist`) as `T`.
pub(crate) fn typed_from_dictionary<T: DeserializeOwned>(dict: &Dictionary) -> Result<T, Error> {
    Ok(
        mdm_plist::plist::from_value(&Value::Dictionary(dict.clone())).map_err(|e| {
            mdm_plist::Error::Type {
                path: String::new(),
                message: e.to_string(),
            }
        })?,
    )
}

/// Decodes `dict` as `T`; when that fails, moves out (one at a time, at most
/// [`MAX_MOVED`]) the keys whose values do not fit, so the rest still decodes. Returns the
/// moved keys for the caller to keep in `extra`.
pub(crate) fn lenient<T: DeserializeOwned>(dict: &Dictionary) -> Result<(T, Dictionary), Error> {
    let mut rest = dict.clone();
    let mut moved = Dictionary::new();
    let mut last_err = match typed_from_dictionary(&rest) {
        Ok(v) => return Ok((v, moved)),
        Err(e) => e,
    };
    for _ in 0..MAX_MOVED {
        let mut found = None;
        for key in rest.keys() {
            let mut candidate = rest.clone();
            candidate.remove(key);
            if let Ok(v) = typed_from_dictionary::<T>(&candidate) {
                found = Some((key.clone(), Some(v)));
                break;
            }
        }
        if found.is_none() {
            // Several bad keys: move the first whose removal changes the error.
            for key in rest.keys() {
                let mut candidate = rest.clone();
                candidate.remove(key);
                if let Err(e) = typed_from_dictionary::<T>(&candidate)
                    && e.to_string() != last_err.to_string()
                    && !e.to_string().contains("missing")
                {
                    found = Some((key.clone(), None));
                    last_err = e;
                    break;
                }
            }
        }
        match found {
            Some((key, done)) => {
                if let Some(value) = rest.remove(&key) {
                    moved.insert(key, value);
                }
                if let Some(v) = done {
                    return Ok((v, moved));
                }
            }
            None => break,
        }
    }
    Err(last_err)
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

/// Encodes `value` (a `plist_dict!` type) as a dictionary.
pub(crate) fn typed_to_dictionary<T: Serialize>(value: &T) -> Result<Dictionary, Error> {
    match mdm_plist::to_value(value)? {
        Value::Dictionary(d) => Ok(d),
        _ => Err(Error::Plist(mdm_plist::Error::Encode {
            message: "value did not encode as a dictionary".into(),
        })),
    }
}

/// Serializes `value` as a dictionary with `tag_key = tag` first.
#[allow(dead_code)] // for tagged unions, should a payload schema grow one
pub(crate) fn encode_tagged<T: Serialize, S: Serializer>(
    tag_key: &str,
    tag: &str,
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let inner = typed_to_dictionary(value).map_err(S::Error::custom)?;
    let mut out = Dictionary::new();
    out.insert(tag_key.to_owned(), Value::String(tag.to_owned()));
    for (k, v) in inner {
        if k != tag_key {
            out.insert(k, v);
        }
    }
    out.serialize(serializer)
}

/// Deserializes a dictionary and takes its `tag_key` string out.
#[allow(dead_code)] // for tagged unions, should a payload schema grow one
pub(crate) fn decode_tagged<'de, D: Deserializer<'de>>(
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
    let Some(tag) = tag else {
        return dict;
    };
    let mut out = Dictionary::new();
    out.insert(tag_key.to_owned(), Value::String(tag));
    for (k, v) in dict {
        out.insert(k, v);
    }
    out
}
