//! The one door for JSON bytes: a size check, a depth check, then serde_json.

use serde::de::DeserializeOwned;

use crate::Error;

/// The largest body the decoders accept by default: 4 MiB, the same bound as the plist
/// decoder's. A status report of a device with many apps stays far below it.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The deepest nesting of arrays and objects the decoders accept: 64 levels. Apple's
/// declarations and status reports nest fewer than ten; serde_json's own recursion limit
/// (128) stays in force behind this one.
pub const MAX_DEPTH: usize = 64;

/// Checks `bytes` against `max_bytes` and [`MAX_DEPTH`] without building anything: one pass
/// that counts open brackets outside strings.
///
/// # Errors
/// [`Error::TooLarge`] or [`Error::TooDeep`].
pub fn check_limits(bytes: &[u8], max_bytes: usize) -> Result<(), Error> {
    if bytes.len() > max_bytes {
        return Err(Error::TooLarge {
            size: bytes.len(),
            limit: max_bytes,
        });
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Error::TooDeep { limit: MAX_DEPTH });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Decodes `bytes` as `T` within the limits, naming the JSON path of a shape error.
///
/// # Errors
/// A limit error, [`Error::Syntax`] or [`Error::Shape`].
pub fn decode<T: DeserializeOwned>(bytes: &[u8], max_bytes: usize) -> Result<T, Error> {
    check_limits(bytes, max_bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| Error::from_path("", e))?;
    de.end().map_err(|e| Error::Syntax {
        line: e.line(),
        column: e.column(),
        message: "trailing characters after the JSON value".into(),
    })?;
    Ok(value)
}

/// Types an already parsed value, with `prefix` before the path of a shape error.
pub(crate) fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| Error::from_path(prefix, e))
}

/// Writes `value` as compact JSON.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::encode(&e))
}

/// The canonical form the server tokens hash: compact JSON with every object's keys sorted
/// by their UTF-8 bytes, whatever order they arrived in. Recursion is bounded by the depth of
/// `value`, which decoded input keeps within [`MAX_DEPTH`].
pub fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // A string always serializes.
                out.extend_from_slice(&serde_json::to_vec(key).unwrap_or_default());
                out.push(b':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push(b'}');
        }
        scalar => out.extend_from_slice(&serde_json::to_vec(scalar).unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn depth_is_checked_before_parsing() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            check_limits(deep.as_bytes(), MAX_BODY_BYTES),
            Err(Error::TooDeep { .. })
        ));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        check_limits(ok.as_bytes(), MAX_BODY_BYTES).unwrap();
        // Brackets inside strings do not count.
        let s = format!("[\"{}\\\"\"]", "[".repeat(1000));
        check_limits(s.as_bytes(), MAX_BODY_BYTES).unwrap();
    }

    #[test]
    fn size_is_checked_first() {
        assert!(matches!(
            check_limits(b"[1, 2]", 3),
            Err(Error::TooLarge { size: 6, limit: 3 })
        ));
    }

    #[test]
    fn canonical_sorts_keys() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[1,2],"c":"x"}}"#).unwrap();
        assert_eq!(canonical_json(&a), br#"{"a":{"c":"x","d":[1,2]},"b":1}"#);
    }
}
