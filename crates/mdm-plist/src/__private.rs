//! Support code for the [`crate::plist_dict!`] and [`crate::open_enum!`] macros. Not a public
//! API: names here may change in any release.
#![allow(missing_docs)]

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Visitor};
use serde::ser::{self, Impossible, Serialize, Serializer};

pub use serde;

/// A dictionary key as the deserializer gives it: borrowed from the input when it can be,
/// so matching a known key allocates nothing.
pub struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a dictionary key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_string(KeyVisitor)
    }
}

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

/// The decoder `from_xml_bytes_with_options` used before the one-pass deserializer (plist's
/// reader behind the guard). For the differential test and fuzz target only.
///
/// # Errors
/// As [`crate::from_xml_bytes_with_options`].
pub fn legacy_from_xml_bytes_with_options<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    options: &crate::Options,
) -> Result<crate::Decoded<T>, crate::Error> {
    crate::legacy_from_xml_bytes_with_options(bytes, options)
}

crate::plist_dict! {
    /// A small typed target for [`differential`]: the struct, option and enum paths of the
    /// deserializer, where `Value` only takes the untyped one.
    #[derive(Debug, Clone, PartialEq)]
    pub struct DifferentialProbe {
        /// A required string.
        "MessageType" => pub message_type: String,
        /// An optional integer.
        "Count" => pub count: Option<i64>,
        /// An optional flag.
        "Flag" => pub flag: Option<bool>,
        /// Optional data.
        "Token" => pub token: Option<crate::Data>,
        /// An optional date.
        "When" => pub when: Option<crate::Date>,
        /// An optional real.
        "Ratio" => pub ratio: Option<f64>,
        /// Optional nested values.
        "Items" => pub items: Option<Vec<crate::Value>>,
    }
}

/// Runs the one-pass decoder and the legacy decoder on the same bytes and says where they
/// disagree: both must return the same value, or both refuse. Three differences are intended
/// and allowed: `<data>` with surplus `=` padding now decodes (as Apple's and Python's
/// parsers do); an entity the old byte scan missed (its name outside ASCII letters,
/// digits, `_-.#`), which plist used to drop silently, is now refused; and a `</plist>`
/// inside a comment after the real end tag no longer makes the document look unfinished.
///
/// # Errors
/// A description of the first disagreement.
pub fn differential(bytes: &[u8]) -> Result<(), String> {
    compare::<crate::Value>(bytes, false)?;
    compare::<crate::Value>(bytes, true)?;
    compare::<DifferentialProbe>(bytes, false)?;
    compare::<Vec<Option<String>>>(bytes, false)?;
    Ok(())
}

fn compare<T>(bytes: &[u8], allow_duplicate_keys: bool) -> Result<(), String>
where
    T: serde::de::DeserializeOwned + fmt::Debug,
{
    let options = crate::Options {
        limits: crate::Limits::DEFAULT,
        allow_duplicate_keys,
    };
    let new = crate::from_xml_bytes_with_options::<T>(bytes, &options);
    let old = crate::legacy_from_xml_bytes_with_options::<T>(bytes, &options);
    let show = |r: &Result<crate::Decoded<T>, crate::Error>| match r {
        Ok(d) => format!("Ok({:?}, duplicates {:?})", d.value, d.duplicate_keys),
        Err(e) => format!("Err({e:?})"),
    };
    match (&new, &old) {
        (Ok(_), Ok(_)) | (Err(_), Err(_)) if show(&new) == show(&old) => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        (Ok(_), Err(crate::Error::Syntax { message, .. })) if message.contains("base64") => {
            let canonical = canonical_padding(bytes);
            let again = crate::legacy_from_xml_bytes_with_options::<T>(&canonical, &options);
            if show(&again) == show(&new) {
                Ok(())
            } else {
                Err(format!(
                    "padding: new {} but old on canonical padding {}",
                    show(&new),
                    show(&again)
                ))
            }
        }
        // The old byte scan took the last `</plist>` in the text, even one inside a
        // comment after the real end tag, and refused what followed it (as data, or as a
        // comment it then found unterminated).
        (Ok(_), Err(crate::Error::Syntax { message, .. }))
            if (message == "data after </plist>"
                || message == "unterminated comment after </plist>")
                && end_tag_count(bytes) > 1 =>
        {
            Ok(())
        }
        // The old byte scan looked for the literal `</plist>`; XML also allows white space
        // before the `>` of an end tag (`</plist >`), which the new decoder reads.
        (Ok(_), Err(crate::Error::Syntax { message, .. }))
            if message == "missing </plist> end tag"
                && memchr::memmem::find_iter(bytes, b"</plist").any(|at| {
                    bytes
                        .get(at + b"</plist".len())
                        .is_some_and(|b| crate::guard::is_xml_space(*b))
                }) =>
        {
            Ok(())
        }
        // plist's reader turns a `<true>` or `<false>` start tag into the value at once and,
        // at the root, never reads on to its end tag; the old byte scan then only looked
        // for a `</plist>` anywhere after it. So a root `<true ...` that never closes (a
        // start tag running on to the next `>`, whatever follows it) was accepted; the new
        // decoder reads on and finds no end tag for the document.
        // Likewise when every literal `</plist>` is inside markup (a comment, a tag, CDATA):
        // the old byte scan took one for the end tag, and there is none.
        (Err(crate::Error::Syntax { message, .. }), Ok(_))
            if message == "missing </plist> end tag"
                && ((show(&old).starts_with("Ok(Boolean(") && root_boolean_unclosed(bytes))
                    || every_in_markup(bytes, b"</plist>")) =>
        {
            Ok(())
        }
        // The old byte scan also took a `<plist` inside markup (a DOCTYPE's text, a comment)
        // for a plist element and then asked for its end tag; the new decoder reads the
        // document as what it is, a root value without a `<plist>` element.
        (Ok(_), Err(crate::Error::Syntax { message, .. }))
            if message == "missing </plist> end tag" && every_in_markup(bytes, b"<plist") =>
        {
            Ok(())
        }
        (Err(crate::Error::Syntax { message, .. }), Ok(_))
            if message.starts_with("unknown entity") =>
        {
            Ok(())
        }
        // plist's reader skips a `<plist>` start tag inside the plist and reads on past an
        // empty `<plist></plist>`, and the old byte scan only looked at the last `</plist>`,
        // so it took two `<plist>` starts with one end, or two whole `<plist>` elements, as
        // one document; the new decoder refuses the nested element, the unclosed one, or the
        // second root.
        (Err(crate::Error::Syntax { message, .. }), Ok(_))
            if (message.starts_with(crate::de::NESTED_PLIST)
                || message == "missing </plist> end tag"
                || message == "data after </plist>")
                && memchr::memmem::find_iter(bytes, b"<plist").count() > 1 =>
        {
            Ok(())
        }
        // plist's reader skips an XML declaration or DOCTYPE wherever it stands; XML allows
        // them only before the first element, and the new decoder refuses them after it.
        (Err(crate::Error::Syntax { message, .. }), Ok(_))
            if message.starts_with(crate::de::MISPLACED_PROLOG) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "{}: new {} old {}",
            std::any::type_name::<T>(),
            show(&new),
            show(&old)
        )),
    }
}

/// Whether the first `<true` or `<false` in `bytes` is a start tag (not `<true/>`) that is
/// not followed at once by its end tag.
fn root_boolean_unclosed(bytes: &[u8]) -> bool {
    let first = [&b"<true"[..], b"<false"]
        .into_iter()
        .filter_map(|open| memchr::memmem::find(bytes, open).map(|at| (at, open)))
        .min();
    let Some((at, open)) = first else {
        return false;
    };
    let rest = bytes.get(at..).unwrap_or_default();
    let Some(gt) = memchr::memchr(b'>', rest) else {
        return false;
    };
    if rest.get(..gt).is_some_and(|tag| tag.ends_with(b"/")) {
        return false;
    }
    let name = open.get(1..).unwrap_or_default();
    let after = rest.get(gt + 1..).unwrap_or_default();
    let closed = after
        .strip_prefix(b"</")
        .and_then(|a| a.strip_prefix(name))
        .is_some_and(|a| {
            a.iter()
                .find(|b| !crate::guard::is_xml_space(**b))
                .is_some_and(|b| *b == b'>')
        });
    !closed
}

/// How many `</plist` in `bytes` are followed by `>` or by XML white space: the end tags
/// either decoder may read, `</plist >` included.
fn end_tag_count(bytes: &[u8]) -> usize {
    memchr::memmem::find_iter(bytes, b"</plist")
        .filter(|at| {
            bytes
                .get(at + b"</plist".len())
                .is_some_and(|b| *b == b'>' || crate::guard::is_xml_space(*b))
        })
        .count()
}

/// Whether `bytes` holds `needle` and each one is inside a comment, a processing instruction
/// or a tag (a `<` before it not yet closed by a `>`), so that none is markup of its own.
fn every_in_markup(bytes: &[u8], needle: &[u8]) -> bool {
    let mut ends = memchr::memmem::find_iter(bytes, needle).peekable();
    ends.peek().is_some()
        && ends.all(|at| {
            let before = bytes.get(..at).unwrap_or_default();
            let in_tag = memchr::memrchr(b'<', before) > memchr::memrchr(b'>', before);
            let in_comment = memchr::memmem::rfind(before, b"<!--").is_some_and(|open| {
                let inside = before.get(open + 4..).unwrap_or_default();
                memchr::memmem::find(inside, b"-->").is_none()
            });
            let in_instruction = memchr::memmem::rfind(before, b"<?").is_some_and(|open| {
                let inside = before.get(open + 2..).unwrap_or_default();
                memchr::memmem::find(inside, b"?>").is_none()
            });
            in_tag || in_comment || in_instruction
        })
}

/// `bytes` with the text of every `<data>` element given exactly the padding its length
/// needs, so the strict legacy decoder can be asked what the lenient one should return.
///
/// Only what the decoders take as the element's base64 text is rewritten: its text pieces
/// lose their `=` and ASCII white space, as do character references to them, and the
/// padding goes in front of the end tag. Markup inside the element (comments, processing
/// instructions, a DOCTYPE, CDATA), which both decoders skip, and everything outside `<data>`
/// elements are copied byte for byte. A byte search for `<data>` and `</data>` would also
/// rewrite a `<data>` named inside a comment, or the markup inside the element, and so ask
/// the legacy decoder about a different document (a `<plist version="1.0">` after such a
/// comment became the unknown element `<plistversion"1.0">`).
fn canonical_padding(bytes: &[u8]) -> Vec<u8> {
    use quick_xml::events::Event as Xml;

    // quick-xml skips a byte-order mark without counting it in `buffer_position`, which
    // would shift every span below: copy it first and give the reader the rest.
    let bom = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let (mark, bytes) = bytes.split_at(bom);
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = true;
    let mut out = Vec::with_capacity(bytes.len() + bom);
    out.extend_from_slice(mark);
    let mut copied = 0usize;
    // Base64 characters seen so far in the open `<data>` element, if one is open.
    let mut in_data: Option<usize> = None;
    loop {
        let event = reader.read_event();
        let end = usize::try_from(reader.buffer_position())
            .unwrap_or(bytes.len())
            .min(bytes.len());
        let span = bytes.get(copied..end).unwrap_or_default();
        match (event, in_data.as_mut()) {
            (Err(_) | Ok(Xml::Eof), _) => break,
            (Ok(Xml::Start(tag)), None) if tag.local_name().as_ref() == "data" => {
                in_data = Some(0);
                out.extend_from_slice(span);
            }
            (Ok(Xml::Text(_)), Some(count)) => {
                for &b in span {
                    if b != b'=' && !b.is_ascii_whitespace() {
                        out.push(b);
                        *count += 1;
                    }
                }
            }
            (Ok(Xml::GeneralRef(reference)), Some(count)) => {
                let drop = matches!(
                    reference.resolve_char_ref(),
                    Ok(Some(ch)) if ch == '=' || ch.is_ascii_whitespace()
                );
                if !drop {
                    out.extend_from_slice(span);
                    *count += 1;
                }
            }
            (Ok(Xml::End(_)), Some(count)) => {
                let pad = (4 - *count % 4) % 4;
                out.extend(std::iter::repeat_n(b'=', if pad == 3 { 0 } else { pad }));
                out.extend_from_slice(span);
                in_data = None;
            }
            _ => out.extend_from_slice(span),
        }
        copied = end;
    }
    out.extend_from_slice(bytes.get(copied..).unwrap_or_default());
    out
}
