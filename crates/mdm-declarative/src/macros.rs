//! `json_dict!`: the JSON twin of `mdm_plist::plist_dict!`, which the generated code and the
//! hand-written protocol bodies declare their structs with.

/// Declares a struct that maps a JSON object with Apple's key names onto typed fields,
/// keeping every other key.
///
/// Each field is written `"AppleKey" => vis name: Type`. The macro adds a last field,
/// `pub extra: JsonObject`, holding the keys the struct does not name, and implements
/// `Serialize` and `Deserialize`:
///
/// - decoding fails with a "missing required key" error when a non-`Option` field is absent,
///   and with a "duplicate key" error when a key appears twice; a `null` for an `Option`
///   field reads as absent;
/// - encoding writes the named fields in declaration order, leaves out `None` fields, then
///   writes `extra`.
///
/// It also adds `KEYS`, the Apple key names in declaration order.
///
/// ```
/// mdm_declarative::json_dict! {
///     /// An example.
///     #[derive(Debug, Clone, PartialEq, Default)]
///     pub struct Example {
///         /// A name.
///         "Name" => pub name: Option<String>,
///     }
/// }
/// let e: Example = serde_json::from_str(r#"{"Name":"a","Other":1}"#)?;
/// assert_eq!(e.name.as_deref(), Some("a"));
/// assert_eq!(e.extra["Other"], 1);
/// assert_eq!(serde_json::to_string(&e)?, r#"{"Name":"a","Other":1}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[macro_export]
macro_rules! json_dict {
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
            pub extra: $crate::JsonObject,
        }

        impl $name {
            /// The JSON keys this type models, in declaration order.
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
                        map.serialize_entry($key, &self.$field)?;
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
                struct ObjectVisitor;
                impl<'de> $crate::__private::serde::de::Visitor<'de> for ObjectVisitor {
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
                        A: $crate::__private::serde::de::MapAccess<'de>,
                    {
                        use $crate::__private::serde::de::Error as _;
                        #[allow(unused_mut, unused_variables)]
                        let mut slots = Slots { $( $field: ::core::option::Option::None, )* };
                        #[allow(unused_mut, unused_variables)]
                        let mut seen: ::std::vec::Vec<&'static str> = ::std::vec::Vec::new();
                        let mut extra = $crate::JsonObject::new();
                        while let ::core::option::Option::Some(key) =
                            map.next_key::<::std::string::String>()?
                        {
                            match key.as_str() {
                                $(
                                    $key => {
                                        if seen.contains(&$key) {
                                            return ::core::result::Result::Err(A::Error::custom(
                                                concat!("duplicate key \"", $key, "\""),
                                            ));
                                        }
                                        seen.push($key);
                                        // `null` reads as absent: `None` for an `Option`,
                                        // a missing-key error otherwise.
                                        slots.$field =
                                            map.next_value::<::core::option::Option<$ty>>()?;
                                    }
                                )*
                                _ => {
                                    let value: $crate::__private::JsonValue = map.next_value()?;
                                    if extra.contains_key(&key) {
                                        return ::core::result::Result::Err(A::Error::custom(
                                            ::std::format!("duplicate key {:?}", key),
                                        ));
                                    }
                                    extra.insert(key, value);
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
                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    };
}
