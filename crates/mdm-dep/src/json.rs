//! JSON plumbing shared by the typed requests and responses: a struct macro that keeps
//! unknown keys, the three date forms Apple emits, and the bounded decode entry point.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde::de::DeserializeOwned;

use crate::error::Error;

/// Keys a typed object does not model, kept as received so re-encoding loses nothing.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Declares a JSON object struct whose unknown keys land in `extra` and are written back
/// after the known keys. `Option` fields that are `None` are left out when encoding.
///
/// A field marked `@date` is an `Option<DateTime<Utc>>` read with [`parse_date`]; a value
/// that does not parse is kept in `extra` under its key (so it survives re-encoding) and the
/// field is `None`.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $key:literal $(@$date:ident)? => $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
            /// Keys this type does not model, kept as received so re-encoding loses nothing.
            pub extra: $crate::json::Extra,
        }

        impl $name {
            /// The JSON keys this type models, in declaration order.
            pub const KEYS: &'static [&'static str] = &[$($key),*];
        }

        impl ::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: ::serde::Serializer,
            {
                use ::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::core::option::Option::None)?;
                $(
                    if !$crate::json::Skip::skip(&self.$field) {
                        map.serialize_entry($key, &self.$field)?;
                    }
                )*
                for (k, v) in self.extra.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: ::serde::Deserializer<'de>,
            {
                struct Slots {
                    $( $field: ::core::option::Option<$ty>, )*
                }
                struct ObjectVisitor;
                impl<'de> ::serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $name;

                    fn expecting(
                        &self,
                        f: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }

                    fn visit_map<A>(
                        self,
                        mut map: A,
                    ) -> ::core::result::Result<$name, A::Error>
                    where
                        A: ::serde::de::MapAccess<'de>,
                    {
                        use ::serde::de::Error as _;
                        #[allow(unused_mut)]
                        let mut slots = Slots { $( $field: ::core::option::Option::None, )* };
                        let mut extra = $crate::json::Extra::new();
                        while let ::core::option::Option::Some(key) =
                            map.next_key::<::std::string::String>()?
                        {
                            match key.as_str() {
                                $(
                                    $key => {
                                        if slots.$field.is_some() {
                                            return ::core::result::Result::Err(A::Error::custom(
                                                concat!("duplicate key \"", $key, "\""),
                                            ));
                                        }
                                        slots.$field = ::core::option::Option::Some(
                                            json_object!(@read map, extra, $key, $ty $(, $date)?),
                                        );
                                    }
                                )*
                                _ => {
                                    let value: ::serde_json::Value = map.next_value()?;
                                    if extra.insert(key.clone(), value).is_some() {
                                        return ::core::result::Result::Err(A::Error::custom(
                                            ::std::format!("duplicate key {:?}", key),
                                        ));
                                    }
                                }
                            }
                        }
                        ::core::result::Result::Ok($name {
                            $(
                                $field: match slots.$field {
                                    ::core::option::Option::Some(v) => v,
                                    ::core::option::Option::None => {
                                        $crate::json::missing::<$ty, A::Error>($key)?
                                    }
                                },
                            )*
                            extra,
                        })
                    }
                }
                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    };
    (@read $map:ident, $extra:ident, $key:literal, $ty:ty) => {
        $map.next_value::<$ty>()?
    };
    (@read $map:ident, $extra:ident, $key:literal, $ty:ty, date) => {
        match $map.next_value::<$crate::json::LenientDate>()? {
            $crate::json::LenientDate::Parsed(d) => d,
            $crate::json::LenientDate::Raw(raw) => {
                $extra.insert($key.to_owned(), raw);
                ::core::option::Option::None
            }
        }
    };
}

pub(crate) use json_object;

/// Whether a field is left out when encoding: `None` options.
pub(crate) trait Skip {
    /// True when the value is absent.
    fn skip(&self) -> bool {
        false
    }
}

impl<T> Skip for Option<T> {
    fn skip(&self) -> bool {
        self.is_none()
    }
}

macro_rules! never_skip {
    ($($t:ty),*) => { $( impl Skip for $t {} )* };
}
never_skip!(String, bool, u32, i64, serde_json::Value);
impl<T> Skip for Vec<T> {}
impl<K, V> Skip for std::collections::BTreeMap<K, V> {}
impl Skip for mdm_types::SerialNumber {}

/// The value of a key that was absent: `None` for options, an error otherwise.
pub(crate) fn missing<T: DeserializeOwned, E: serde::de::Error>(key: &'static str) -> Result<T, E> {
    serde_json::from_value(serde_json::Value::Null)
        .map_err(|_| E::custom(format!("missing key \"{key}\"")))
}

/// A date as read by the `@date` fields: parsed, absent (`null`), or kept raw.
pub(crate) enum LenientDate {
    Parsed(Option<DateTime<Utc>>),
    Raw(serde_json::Value),
}

impl<'de> serde::Deserialize<'de> for LenientDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(match &value {
            serde_json::Value::Null => LenientDate::Parsed(None),
            serde_json::Value::String(s) => match parse_date(s) {
                Some(date) => LenientDate::Parsed(Some(date)),
                None => LenientDate::Raw(value),
            },
            _ => LenientDate::Raw(value),
        })
    }
}

/// Parses the date forms Apple's enrollment services emit: RFC 3339 (`2018-09-08T16:49:09Z`,
/// `2020-12-31T13:57:19+02:00`, with or without fractional seconds), an offset without a
/// colon (`2023-09-26T08:30:39+0000`), and a bare day (`2025-01-15`, read as midnight UTC).
///
/// ```
/// let a = mdm_dep::parse_date("2023-09-26T08:30:39+0000").unwrap();
/// let b = mdm_dep::parse_date("2023-09-26T10:30:39+02:00").unwrap();
/// assert_eq!(a, b);
/// assert!(mdm_dep::parse_date("yesterday").is_none());
/// ```
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(s, format) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(d.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// Decodes a whole JSON body into `T`, refusing bodies over [`crate::MAX_RESPONSE_BODY`].
pub(crate) fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, Error> {
    if bytes.len() > crate::MAX_RESPONSE_BODY {
        return Err(Error::ResponseTooLarge {
            limit: crate::MAX_RESPONSE_BODY,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| Error::MalformedResponse {
        what,
        detail: e.to_string(),
    })
}

/// Encodes a request body.
pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json::to_vec(value).map_err(|e| Error::InvalidRequest(format!("cannot encode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_date_forms() {
        let z = parse_date("2018-09-08T16:49:09Z").unwrap();
        assert_eq!(parse_date("2018-09-08T16:49:09+0000"), Some(z));
        assert_eq!(parse_date("2018-09-08T18:49:09+02:00"), Some(z));
        assert_eq!(parse_date("2018-09-08T16:49:09.000Z"), Some(z));
        assert!(parse_date("2025-01-15").is_some());
        assert!(parse_date("").is_none());
        assert!(parse_date("2018-13-45T00:00:00Z").is_none());
    }
}
