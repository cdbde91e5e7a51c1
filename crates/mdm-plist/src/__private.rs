//! Support code for the [`crate::plist_dict!`] and [`crate::open_enum!`] macros. Not a public
//! API: names here may change in any release.
#![allow(missing_docs)]

use std::fmt;

use serde::de::{self, Visitor};
use serde::ser::{self, Impossible, Serialize, Serializer};

pub use serde;

/// Produces the value of a key that was absent: `None` for an `Option`, otherwise a
/// "missing key" error.
///
/// # Errors
/// When the field's type is not an `Option`.
pub fn missing<'de, T: de::Deserialize<'de>, E: de::Error>(key: &'static str) -> Result<T, E> {
    T::deserialize(MissingField(key)).map_err(|MissingError(msg)| E::custom(msg))
}

struct MissingField(&'static str);

#[derive(Debug)]
struct MissingError(String);

impl fmt::Display for MissingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MissingError {}

impl de::Error for MissingError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        MissingError(msg.to_string())
    }
}

impl<'de> de::Deserializer<'de> for MissingField {
    type Error = MissingError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(MissingError(format!("missing required key {:?}", self.0)))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_none()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Says whether a field value is `None` (and so is left out on encode), without
/// serializing anything else.
pub fn is_none<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(NoneProbe), Ok(true))
}

struct NoneProbe;

#[derive(Debug)]
struct ProbeStop;

impl fmt::Display for ProbeStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe stop")
    }
}

impl std::error::Error for ProbeStop {}

impl ser::Error for ProbeStop {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        ProbeStop
    }
}

macro_rules! probe_false {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name(self, _v: $ty) -> Result<bool, ProbeStop> { Ok(false) })*
    };
}

impl Serializer for NoneProbe {
    type Ok = bool;
    type Error = ProbeStop;
    type SerializeSeq = Impossible<bool, ProbeStop>;
    type SerializeTuple = Impossible<bool, ProbeStop>;
    type SerializeTupleStruct = Impossible<bool, ProbeStop>;
    type SerializeTupleVariant = Impossible<bool, ProbeStop>;
    type SerializeMap = Impossible<bool, ProbeStop>;
    type SerializeStruct = Impossible<bool, ProbeStop>;
    type SerializeStructVariant = Impossible<bool, ProbeStop>;

    probe_false!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_none(self) -> Result<bool, ProbeStop> {
        Ok(true)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _v: &T) -> Result<bool, ProbeStop> {
        Ok(false)
    }
    fn serialize_unit(self) -> Result<bool, ProbeStop> {
        Ok(false)
    }
    fn serialize_unit_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
    ) -> Result<bool, ProbeStop> {
        Ok(false)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _n: &'static str,
        _v: &T,
    ) -> Result<bool, ProbeStop> {
        Ok(false)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _n: &'static str,
        _i: u32,
        _va: &'static str,
        _v: &T,
    ) -> Result<bool, ProbeStop> {
        Ok(false)
    }
    fn serialize_seq(self, _l: Option<usize>) -> Result<Self::SerializeSeq, ProbeStop> {
        Err(ProbeStop)
    }
    fn serialize_tuple(self, _l: usize) -> Result<Self::SerializeTuple, ProbeStop> {
        Err(ProbeStop)
    }
    fn serialize_tuple_struct(
        self,
        _n: &'static str,
        _l: usize,
    ) -> Result<Self::SerializeTupleStruct, ProbeStop> {
        Err(ProbeStop)
    }
    fn serialize_tuple_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        _l: usize,
    ) -> Result<Self::SerializeTupleVariant, ProbeStop> {
        Err(ProbeStop)
    }
    fn serialize_map(self, _l: Option<usize>) -> Result<Self::SerializeMap, ProbeStop> {
        Err(ProbeStop)
    }
    fn serialize_struct(
        self,
        _n: &'static str,
        _l: usize,
    ) -> Result<Self::SerializeStruct, ProbeStop> {
        Err(ProbeStop)
    }
    fn serialize_struct_variant(
        self,
        _n: &'static str,
        _i: u32,
        _v: &'static str,
        _l: usize,
    ) -> Result<Self::SerializeStructVariant, ProbeStop> {
        Err(ProbeStop)
    }
}

/// Serializes a field value with its outer `Option` removed, so plist writes `<string>x`
/// rather than its explicit `Some` wrapper. Used only for fields already known not to be
/// `None`.
pub struct Present<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> Serialize for Present<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(StripSome(serializer))
    }
}

struct StripSome<S>(S);

macro_rules! forward {
    ($($name:ident($ty:ty)),* $(,)?) => {
        $(fn $name(self, v: $ty) -> Result<S::Ok, S::Error> { self.0.$name(v) })*
    };
}

impl<S: Serializer> Serializer for StripSome<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = S::SerializeStruct;
    type SerializeStructVariant = S::SerializeStructVariant;

    forward!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_seq(self, l: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(l)
    }
    fn serialize_tuple(self, l: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(l)
    }
    fn serialize_map(self, l: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(l)
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_none()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        v.serialize(self.0)
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        n: &'static str,
        i: u32,
        v: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_unit_variant(n, i, v)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        n: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(n, v)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        n: &'static str,
        i: u32,
        va: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_variant(n, i, va, v)
    }
    fn serialize_tuple_struct(
        self,
        n: &'static str,
        l: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(n, l)
    }
    fn serialize_tuple_variant(
        self,
        n: &'static str,
        i: u32,
        v: &'static str,
        l: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0.serialize_tuple_variant(n, i, v, l)
    }
    fn serialize_struct(
        self,
        n: &'static str,
        l: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(n, l)
    }
    fn serialize_struct_variant(
        self,
        n: &'static str,
        i: u32,
        v: &'static str,
        l: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0.serialize_struct_variant(n, i, v, l)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}
