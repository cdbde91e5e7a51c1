//! Declarative macros the protocol crates (and the code generator) declare their types with.

/// Declares a struct that maps a plist dictionary with Apple's key names onto typed fields,
/// keeping every other key.
///
/// Each field is written `"AppleKey" => vis name: Type`. The macro adds a last field,
/// `pub extra: Dictionary`, holding the keys the struct does not name, and implements
/// `Serialize` and `Deserialize`:
///
/// - decoding fails with a "missing required key" error when a non-`Option` field is absent,
///   and with a "duplicate key" error when a key appears twice;
/// - encoding writes the named fields in declaration order, leaves out `None` fields, then
///   writes `extra` in its own order, so a decoded value re-encodes to the same dictionary.
///
/// It also adds `KEYS`, the Apple key names in declaration order. Attributes written before
/// the struct (doc comments, derives) are kept; `Default` may be derived when every field
/// type has a default.
///
/// ```
/// mdm_plist::plist_dict! {
///     /// A command payload.
///     #[derive(Debug, Clone, PartialEq, Default)]
///     pub struct DeviceLock {
///         /// The unlock PIN.
///         "PIN" => pub pin: Option<String>,
///     }
/// }
/// let lock = DeviceLock { pin: Some("123456".into()), ..Default::default() };
/// let xml = mdm_plist::to_xml_bytes(&lock)?;
/// let back: DeviceLock = mdm_plist::from_xml_bytes(&xml)?;
/// assert_eq!(back, lock);
/// assert_eq!(DeviceLock::KEYS, &["PIN"]);
/// # Ok::<(), mdm_plist::Error>(())
/// ```
#[macro_export]
macro_rules! plist_dict {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $key:literal => $fvis:vis $field:ident : $ty:ty
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
            /// Keys this type does not model, kept as received so re-encoding loses nothing.
            pub extra: $crate::Dictionary,
        }

        impl $name {
            /// The plist keys this type models, in declaration order.
            pub const KEYS: &'static [&'static str] = &[$($key),*];
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                use $crate::__private::serde::ser::SerializeMap as _;
                let mut map = serializer.serialize_map(::core::option::Option::None)?;
                $(
                    if !$crate::__private::is_none(&self.$field) {
                        map.serialize_entry($key, &$crate::__private::Present(&self.$field))?;
                    }
                )*
                for (k, v) in self.extra.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                struct Slots {
                    $( $field: ::core::option::Option<$ty>, )*
                }
                struct DictVisitor;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for DictVisitor {
                    type Value = $name;

                    fn expecting(
                        &self,
                        f: &mut ::core::fmt::Formatter<'_>,
                    ) -> ::core::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " dictionary"))
                    }

                    fn visit_map<A>(
                        self,
                        mut map: A,
                    ) -> ::core::result::Result<$name, A::Error>
                    where
                        A: $crate::__private::serde::de::MapAccess<'de>,
                    {
                        use $crate::__private::serde::de::Error as _;
                        #[allow(unused_mut)]
                        let mut slots = Slots { $( $field: ::core::option::Option::None, )* };
                        let mut extra = $crate::Dictionary::new();
                        while let ::core::option::Option::Some(key) =
                            map.next_key::<$crate::__private::Key<'de>>()?
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
                                            map.next_value::<$ty>()?,
                                        );
                                    }
                                )*
                                _ => {
                                    let value: $crate::Value = map.next_value()?;
                                    if extra.contains_key(key.as_str()) {
                                        return ::core::result::Result::Err(A::Error::custom(
                                            ::std::format!("duplicate key {:?}", key.as_str()),
                                        ));
                                    }
                                    extra.insert(key.into_string(), value);
                                }
                            }
                        }
                        ::core::result::Result::Ok($name {
                            $(
                                $field: match slots.$field {
                                    ::core::option::Option::Some(v) => v,
                                    ::core::option::Option::None => {
                                        $crate::__private::missing::<$ty, A::Error>($key)?
                                    }
                                },
                            )*
                            extra,
                        })
                    }
                }
                deserializer.deserialize_struct(stringify!($name), $name::KEYS, DictVisitor)
            }
        }
    };
}

/// Declares an open string enum: a variant per value Apple documents plus `Other(String)` for
/// anything else, so values added later survive decode and re-encode.
///
/// Each variant is written `Name = "wire string"`. The macro implements `as_str`,
/// `known_values`, `is_known`, `Display`, `FromStr` (never fails), `From<&str>`,
/// `From<String>`, and `Serialize`/`Deserialize` as a plain string.
///
/// ```
/// mdm_plist::open_enum! {
///     /// A command status.
///     pub enum Status {
///         /// It worked.
///         Acknowledged = "Acknowledged",
///         /// Try later.
///         NotNow = "NotNow",
///     }
/// }
/// assert_eq!(Status::from("NotNow"), Status::NotNow);
/// assert_eq!(Status::from("Later").as_str(), "Later");
/// assert!(!Status::from("Later").is_known());
/// ```
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept verbatim.
            Other(::std::string::String),
        }

        impl $name {
            /// The wire strings of the known variants, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($value),*];

            /// The string this value has on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Other(s) => s.as_str(),
                }
            }

            /// Says whether this is one of the documented values (not `Other`).
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }

            /// The wire strings of the known variants (same as `KNOWN`).
            pub fn known_values() -> &'static [&'static str] {
                Self::KNOWN
            }

            fn from_known(s: &str) -> ::core::option::Option<Self> {
                match s {
                    $( $value => ::core::option::Option::Some($name::$variant), )*
                    _ => ::core::option::Option::None,
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_known(s).unwrap_or_else(|| $name::Other(s.to_owned()))
            }
        }

        impl ::core::convert::From<::std::string::String> for $name {
            fn from(s: ::std::string::String) -> Self {
                Self::from_known(&s).unwrap_or($name::Other(s))
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::core::convert::Infallible;
            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                ::core::result::Result::Ok(Self::from(s))
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                let s = <::std::string::String as $crate::__private::serde::Deserialize>::deserialize(
                    deserializer,
                )?;
                ::core::result::Result::Ok(Self::from(s))
            }
        }
    };
}
