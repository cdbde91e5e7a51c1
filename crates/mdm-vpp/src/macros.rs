//! The two declaration macros every wire type of this crate is made with.
//!
//! - `open_enum!` declares a string set of Apple's as an enum with a variant per known
//!   value and `Other(String)` for the rest, so values Apple adds later round-trip.
//! - `json_object!` declares a JSON object with Apple's key names whose unknown keys land
//!   in `extra` and are written back after the known ones. It derives the known fields
//!   through a private serde "remote" definition instead of `#[serde(flatten)]`.

/// Declares an open string enum: `Name { Variant = "WIRE", ... }`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// Every value this crate knows, in the order of Apple's documentation.
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The variant for a value as Apple sends it (never fails: unknown values
            /// become [`Self::Other`]).
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }

            /// The value as Apple spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(s) => s,
                }
            }

            /// Whether this is one of the values this crate knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(s: &str) -> Result<Self, $crate::Error> {
                Ok(Self::from_wire(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_wire(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok(Self::from_wire(&s))
            }
        }
    };
}

/// Declares a JSON object type with Apple's keys and an `extra` map of unknown keys.
///
/// Each field is written `["jsonKey", serde attributes...] name: Type`.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                [$key:literal $(, $attr:meta)* $(,)?] $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[doc = $doc])* $vis $field: $ty, )*
            /// Keys this crate does not know, kept as sent and written back on encode.
            $vis extra: $crate::Extra,
        }

        const _: () = {
            use serde::de::Error as _;
            use serde::ser::Error as _;

            type Target = $name;

            #[derive(serde::Serialize, serde::Deserialize)]
            #[serde(remote = "Target")]
            struct Def {
                $( #[serde(rename = $key $(, $attr)*)] $field: $ty, )*
                #[serde(skip)]
                extra: $crate::Extra,
            }

            impl serde::Serialize for $name {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    if self.extra.is_empty() {
                        return Def::serialize(self, s);
                    }
                    let mut value = Def::serialize(self, serde_json::value::Serializer)
                        .map_err(S::Error::custom)?;
                    if let serde_json::Value::Object(map) = &mut value {
                        for (k, v) in &self.extra {
                            if !map.contains_key(k) {
                                map.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    serde::Serialize::serialize(&value, s)
                }
            }

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    const KNOWN: &[&str] = &[ $( $key, )* ];
                    let mut map =
                        <serde_json::Map<String, serde_json::Value> as serde::Deserialize>::deserialize(d)?;
                    let unknown: Vec<String> = map
                        .keys()
                        .filter(|k| !KNOWN.contains(&k.as_str()))
                        .cloned()
                        .collect();
                    let mut extra = $crate::Extra::new();
                    for k in unknown {
                        if let Some(v) = map.remove(&k) {
                            extra.insert(k, v);
                        }
                    }
                    let mut out = Def::deserialize(serde_json::Value::Object(map))
                        .map_err(D::Error::custom)?;
                    out.extra = extra;
                    Ok(out)
                }
            }
        };
    };
}

/// Declares a validated string identifier with `new`, `as_str`, `Display`, `FromStr` and
/// string serde (integers are accepted too when `$numbers` is `true`).
macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $max:expr, $numbers:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `value`.
            ///
            /// # Errors
            /// [`Error::Invalid`](crate::Error::Invalid) when the value is empty, longer
            /// than the limit or holds control characters.
            pub fn new(value: impl Into<String>) -> Result<Self, $crate::Error> {
                let value = value.into();
                $crate::ids::check(&value, $kind, $max)?;
                Ok($name(value))
            }

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Error;
            fn from_str(s: &str) -> Result<Self, $crate::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = $crate::Error;
            fn try_from(s: &str) -> Result<Self, $crate::Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::Error;
            fn try_from(s: String) -> Result<Self, $crate::Error> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                let raw = $crate::ids::StringOrNumber::deserialize(d)?;
                let s = match raw {
                    $crate::ids::StringOrNumber::String(s) => s,
                    $crate::ids::StringOrNumber::Number(n) if $numbers => n.to_string(),
                    $crate::ids::StringOrNumber::Number(_) => {
                        return Err(D::Error::custom(concat!("expected ", $kind, " as a string")));
                    }
                };
                $name::new(s).map_err(D::Error::custom)
            }
        }
    };
}
