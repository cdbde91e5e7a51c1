//! The one-pass XML plist deserializer behind every `from_xml_bytes*` call.
//!
//! quick-xml's slice reader hands out events that borrow from the input. [`Lexer`] turns
//! them into plist events (strings still borrowed where the text had no entity or comment
//! inside it, `<data>` decoded straight into its buffer), runs each through the same
//! [`GuardState`] the old path used (depth, repeated keys, key paths), and checks entities
//! and the document's end as it goes, so the bytes are read once. [`Deserializer`] drives
//! serde from those events with the conventions of the `plist` crate's own deserializer
//! (options, enums, dates inside a `Value`), so a type decodes here exactly as it did through
//! `plist`, and borrows where the target type borrows.

use std::borrow::Cow;
use std::fmt;

use plist::stream::Event;
use plist::{Date, Integer};
use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::Event as Xml;
use quick_xml::reader::Reader;
use serde::de::value::{MapAccessDeserializer, MapDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::Error;
use crate::guard::{GuardState, check_entities, is_xml_space};

/// The refusal of a `<plist>` element inside another (plist's own reader skips it).
pub(crate) const NESTED_PLIST: &str = "a <plist> element inside the plist";

/// The refusal of an XML declaration or DOCTYPE after the first element.
pub(crate) const MISPLACED_PROLOG: &str = "an XML declaration or DOCTYPE inside the document";

/// The newtype name `plist::Date` deserializes through.
const DATE_NEWTYPE: &str = "PLIST-DATE";
/// The newtype name `plist::Value` deserializes through.
const VALUE_NEWTYPE: &str = "PLIST-VALUE";

const END_OF_INPUT: &str =
    "the document ends before the plist is complete (empty or truncated input)";
const UNEXPECTED_EVENT: &str = "a value where a <key> was expected, or the reverse";

/// The error serde sees. The real cause of a lexer or limit failure is kept in the
/// [`GuardState`]; serde only needs to stop.
#[derive(Debug)]
pub(crate) enum DeError {
    /// The cause is recorded in the guard state.
    Recorded,
    /// A shape error, in words.
    Custom(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Recorded => f.write_str("the plist reader stopped"),
            DeError::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Custom(msg.to_string())
    }
}

fn custom(message: &str) -> DeError {
    DeError::Custom(message.to_owned())
}

/// Reads plist events from XML bytes, enforcing the guard's bounds on each.
pub(crate) struct Lexer<'a, 's> {
    reader: Reader<&'a [u8]>,
    /// Length of the byte-order mark before the text the reader reads (0 or 3).
    bom: u64,
    state: &'s mut GuardState,
    /// Open XML elements.
    xml_depth: usize,
    /// A `<plist>` element was opened.
    plist_seen: bool,
    /// The outermost `</plist>` was read: only white space and comments may follow.
    plist_closed: bool,
    /// Some element has started: the prolog (declaration, DOCTYPE) is over.
    element_seen: bool,
    /// End of input reached or an error recorded: no more events.
    done: bool,
}

/// A lexer failure before it is recorded: the message, and whether it belongs at `<root>`
/// (document-level checks) rather than at the current key path.
struct LexError {
    message: String,
    at_root: bool,
}

impl LexError {
    fn here(message: impl Into<String>) -> Self {
        LexError {
            message: message.into(),
            at_root: false,
        }
    }

    fn root(message: impl Into<String>) -> Self {
        LexError {
            message: message.into(),
            at_root: true,
        }
    }
}

impl From<Error> for LexError {
    fn from(err: Error) -> Self {
        match err {
            Error::Syntax { path, message } => LexError {
                message,
                at_root: path == "<root>",
            },
            other => LexError::here(other.to_string()),
        }
    }
}

impl<'a, 's> Lexer<'a, 's> {
    pub(crate) fn new(bytes: &'a [u8], state: &'s mut GuardState) -> Self {
        // quick-xml skips a byte-order mark without counting it in its positions: skip it
        // here and count it in `at`.
        let text = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        let bom = (bytes.len() - text.len()) as u64;
        let mut reader = Reader::from_reader(text);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = true;
        Lexer {
            reader,
            bom,
            state,
            xml_depth: 0,
            plist_seen: false,
            plist_closed: false,
            element_seen: false,
            done: false,
        }
    }

    /// The next plist event, `None` at the end of the document.
    pub(crate) fn next_event(&mut self) -> Result<Option<Event<'a>>, DeError> {
        if self.done {
            return Ok(None);
        }
        let event = match self.read_next() {
            Ok(Some(event)) => event,
            Ok(None) => {
                self.done = true;
                return Ok(None);
            }
            Err(err) => {
                self.done = true;
                let path = if err.at_root {
                    "<root>".to_owned()
                } else {
                    self.state.path()
                };
                self.state.record(Error::Syntax {
                    path,
                    message: err.message,
                });
                return Err(DeError::Recorded);
            }
        };
        if let Err(err) = self.state.check(&event) {
            self.done = true;
            self.state.record(err);
            return Err(DeError::Recorded);
        }
        Ok(Some(event))
    }

    fn at(&self, what: &str) -> LexError {
        LexError::here(format!(
            "{what} (at byte {})",
            self.reader.buffer_position() + self.bom
        ))
    }

    fn xml_error(&self, err: &quick_xml::Error) -> LexError {
        let what = match err {
            quick_xml::Error::Io(_) | quick_xml::Error::Syntax(_) => END_OF_INPUT,
            quick_xml::Error::Encoding(_) => "text that is not valid UTF-8",
            _ => "the XML is not well formed",
        };
        self.at(what)
    }

    fn read_xml(&mut self) -> Result<Xml<'a>, LexError> {
        self.reader.read_event().map_err(|e| self.xml_error(&e))
    }

    /// Refuses an unknown entity inside markup that is not text (comments, tags, the
    /// declaration), as the byte scan of the old path did.
    fn check_markup(raw: &str) -> Result<(), LexError> {
        if raw.as_bytes().contains(&b'&') {
            check_entities(raw.as_bytes())?;
        }
        Ok(())
    }

    fn read_next(&mut self) -> Result<Option<Event<'a>>, LexError> {
        loop {
            match self.read_xml()? {
                Xml::Start(tag) => {
                    if self.plist_closed {
                        return Err(LexError::root("data after </plist>"));
                    }
                    self.element_seen = true;
                    Self::check_markup(&tag)?;
                    self.xml_depth += 1;
                    let event = match tag.local_name().as_ref() {
                        "plist" => {
                            if self.plist_seen {
                                return Err(self.at(NESTED_PLIST));
                            }
                            self.plist_seen = true;
                            continue;
                        }
                        "array" => Event::StartArray(None),
                        "dict" => Event::StartDictionary(None),
                        "key" | "string" => Event::String(self.read_content()?),
                        "data" => {
                            let text = self.read_content()?;
                            match decode_base64(text.as_bytes()) {
                                Some(data) => Event::Data(Cow::Owned(data)),
                                None => {
                                    return Err(self.at("a <data> value that is not base64"));
                                }
                            }
                        }
                        "date" => {
                            let text = self.read_content()?;
                            match Date::from_xml_format(&text) {
                                Ok(date) => Event::Date(date),
                                Err(_) => {
                                    return Err(
                                        self.at("a <date> value that is not an ISO 8601 UTC date")
                                    );
                                }
                            }
                        }
                        "integer" => {
                            let text = self.read_content()?;
                            match parse_integer(&text) {
                                Some(i) => Event::Integer(i),
                                None => {
                                    return Err(
                                        self.at("an <integer> that is not a number in range")
                                    );
                                }
                            }
                        }
                        "real" => {
                            let text = self.read_content()?;
                            match text.parse::<f64>() {
                                Ok(f) => Event::Real(f),
                                Err(_) => return Err(self.at("a <real> that is not a number")),
                            }
                        }
                        "true" => Event::Boolean(true),
                        "false" => Event::Boolean(false),
                        _ => {
                            return Err(
                                self.at("an XML element that is not part of the plist format")
                            );
                        }
                    };
                    return Ok(Some(event));
                }
                Xml::End(tag) => {
                    self.xml_depth = self.xml_depth.saturating_sub(1);
                    match tag.local_name().as_ref() {
                        "array" | "dict" => return Ok(Some(Event::EndCollection)),
                        "plist" if self.xml_depth == 0 => self.plist_closed = true,
                        _ => {}
                    }
                }
                Xml::Eof => {
                    if self.plist_seen && !self.plist_closed {
                        return Err(LexError::root("missing </plist> end tag"));
                    }
                    return Ok(None);
                }
                Xml::Text(text) => {
                    let text = text.into_inner();
                    // After the root only XML white space may follow; between elements inside
                    // it, any white space, as plist's reader allows.
                    let blank = if self.plist_closed {
                        text.bytes().all(is_xml_space)
                    } else {
                        text.bytes().all(|b| b.is_ascii_whitespace())
                            || text.chars().all(char::is_whitespace)
                    };
                    if !blank {
                        return Err(if self.plist_closed {
                            LexError::root("data after </plist>")
                        } else {
                            self.at("text where an XML element was expected (not an XML plist)")
                        });
                    }
                }
                // A reference is text, and no text may follow the root.
                Xml::GeneralRef(_) if self.plist_closed => {
                    return Err(LexError::root("data after </plist>"));
                }
                Xml::GeneralRef(reference) => {
                    let name: &str = &reference;
                    match reference.resolve_char_ref() {
                        Ok(Some(ch)) if ch.is_whitespace() => continue,
                        Ok(Some(_)) => {}
                        Ok(None) => {
                            if resolve_xml_entity(name).is_none() {
                                return Err(LexError::root(format!("unknown entity &{name};")));
                            }
                        }
                        Err(_) => return Err(self.at("the XML is not well formed")),
                    }
                    return Err(if self.plist_closed {
                        LexError::root("data after </plist>")
                    } else {
                        self.at("text where an XML element was expected (not an XML plist)")
                    });
                }
                Xml::Comment(raw) => Self::check_markup(&raw)?,
                // After the root only white space and comments may follow, as the document
                // end check has always said (XML would allow processing instructions too).
                Xml::CData(_) | Xml::Decl(_) | Xml::PI(_) | Xml::DocType(_) | Xml::Empty(_)
                    if self.plist_closed =>
                {
                    return Err(LexError::root("data after </plist>"));
                }
                // An XML declaration or DOCTYPE belongs before the first element.
                Xml::Decl(_) | Xml::DocType(_) if self.element_seen => {
                    return Err(self.at(MISPLACED_PROLOG));
                }
                Xml::CData(raw) => Self::check_markup(&raw)?,
                Xml::Decl(raw) => Self::check_markup(&raw)?,
                Xml::PI(raw) => Self::check_markup(&raw)?,
                Xml::DocType(raw) => Self::check_markup(&raw)?,
                Xml::Empty(raw) => Self::check_markup(&raw)?,
            }
        }
    }

    /// The text of the element just opened, up to its end tag. Borrowed from the input when
    /// it is one piece of text; entities and comments inside make it owned.
    fn read_content(&mut self) -> Result<Cow<'a, str>, LexError> {
        let mut out: Cow<'a, str> = Cow::Borrowed("");
        loop {
            match self.read_xml()? {
                Xml::Text(text) => {
                    let piece = text.into_inner();
                    if out.is_empty() {
                        out = piece;
                    } else {
                        out.to_mut().push_str(&piece);
                    }
                }
                Xml::GeneralRef(reference) => {
                    let name: &str = &reference;
                    match reference.resolve_char_ref() {
                        Ok(Some(ch)) => out.to_mut().push(ch),
                        Ok(None) => match resolve_xml_entity(name) {
                            Some(text) => out.to_mut().push_str(text),
                            None => {
                                return Err(LexError::root(format!("unknown entity &{name};")));
                            }
                        },
                        Err(_) => return Err(self.at("the XML is not well formed")),
                    }
                }
                Xml::End(_) => {
                    self.xml_depth = self.xml_depth.saturating_sub(1);
                    return Ok(out);
                }
                Xml::Eof => return Err(self.at("unclosed xml element")),
                Xml::Start(_) => return Err(self.at("an XML element where none may start")),
                Xml::Comment(raw) => Self::check_markup(&raw)?,
                // An XML declaration or DOCTYPE belongs before the first element.
                Xml::Decl(_) | Xml::DocType(_) if self.element_seen => {
                    return Err(self.at(MISPLACED_PROLOG));
                }
                Xml::CData(raw) => Self::check_markup(&raw)?,
                Xml::Decl(raw) => Self::check_markup(&raw)?,
                Xml::PI(raw) => Self::check_markup(&raw)?,
                Xml::DocType(raw) => Self::check_markup(&raw)?,
                Xml::Empty(raw) => Self::check_markup(&raw)?,
            }
        }
    }
}

/// Parses `<integer>` text as Apple does: signed 64-bit first, then unsigned, and the
/// `0x` hexadecimal form (always unsigned) that NetBSD's writer uses.
fn parse_integer(text: &str) -> Option<Integer> {
    if text.starts_with("0x") {
        let digits = text.trim_start_matches("0x");
        return u64::from_str_radix(digits, 16).ok().map(Integer::from);
    }
    match text.parse::<i64>() {
        Ok(v) => Some(Integer::from(v)),
        Err(_) => text.parse::<u64>().ok().map(Integer::from),
    }
}

/// [`BASE64`]'s entry for ASCII white space (skipped anywhere in `<data>`).
const B64_WHITE: u8 = 64;
/// [`BASE64`]'s entry for `=`.
const B64_PAD: u8 = 65;
/// [`BASE64`]'s entry for every other byte.
const B64_BAD: u8 = 0xFF;

/// Each byte's base64 value (0 to 63), or one of the markers above: one load per character.
static BASE64: [u8; 256] = {
    let mut table = [B64_BAD; 256];
    let mut i = 0;
    while i < 256 {
        #[allow(clippy::cast_possible_truncation, clippy::indexing_slicing)] // i < 256
        {
            let byte = i as u8;
            table[i] = match byte {
                b'A'..=b'Z' => byte - b'A',
                b'a'..=b'z' => byte - b'a' + 26,
                b'0'..=b'9' => byte - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' => B64_PAD,
                b' ' | b'\t' | b'\n' | b'\x0C' | b'\r' => B64_WHITE,
                _ => B64_BAD,
            };
        }
        i += 1;
    }
    table
};

/// `byte`'s entry in [`BASE64`].
fn base64_class(byte: u8) -> u8 {
    BASE64.get(usize::from(byte)).copied().unwrap_or(B64_BAD)
}

/// Decodes `<data>` text as leniently as Apple's parser and no more: ASCII white space
/// anywhere, and any number of `=` after the data as long as there are at least as many as
/// the last group needs. Refused: any other character, data after padding, a group of one
/// character, and a last group whose unused bits are not zero.
///
/// Runs of digits (a line, usually) are decoded eight or four characters at a time; the rest
/// (white space, padding, a group split by a line break) goes through a loop over
/// characters, back to the runs once a group is complete.
pub(crate) fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut in_group = 0u8;
    let mut padding = 0usize;
    let mut rest = text;
    loop {
        if in_group == 0 && padding == 0 {
            // Two groups at a time while there are eight digits in a row.
            while let [a, b, c, d, e, f, g, h, tail @ ..] = rest {
                let v = |x: &u8| u64::from(base64_class(*x));
                let (a, b, c, d, e, f, g, h) = (v(a), v(b), v(c), v(d), v(e), v(f), v(g), v(h));
                // Every marker is 64 or more.
                if (a | b | c | d | e | f | g | h) >= 64 {
                    break;
                }
                let groups = (a << 42)
                    | (b << 36)
                    | (c << 30)
                    | (d << 24)
                    | (e << 18)
                    | (f << 12)
                    | (g << 6)
                    | h;
                let [_, _, bytes @ ..] = groups.to_be_bytes();
                out.extend_from_slice(&bytes);
                rest = tail;
            }
            if let [a, b, c, d, tail @ ..] = rest {
                let v = |x: &u8| u32::from(base64_class(*x));
                let (a, b, c, d) = (v(a), v(b), v(c), v(d));
                if (a | b | c | d) < 64 {
                    let [_, bytes @ ..] = ((a << 18) | (b << 12) | (c << 6) | d).to_be_bytes();
                    out.extend_from_slice(&bytes);
                    rest = tail;
                }
            }
        }
        let Some((&byte, tail)) = rest.split_first() else {
            break;
        };
        rest = tail;
        match base64_class(byte) {
            value @ 0..=63 => {
                if padding > 0 {
                    return None;
                }
                acc = (acc << 6) | u32::from(value);
                in_group += 1;
                if in_group == 4 {
                    let [_, a, b, c] = acc.to_be_bytes();
                    out.extend_from_slice(&[a, b, c]);
                    acc = 0;
                    in_group = 0;
                }
            }
            B64_PAD => padding += 1,
            B64_WHITE => {}
            _ => return None,
        }
    }
    match in_group {
        0 => {}
        2 if padding >= 2 && acc & 0xF == 0 => {
            let [.., a] = (acc >> 4).to_be_bytes();
            out.push(a);
        }
        3 if padding >= 1 && acc & 0x3 == 0 => {
            let [.., a, b] = (acc >> 2).to_be_bytes();
            out.extend_from_slice(&[a, b]);
        }
        _ => return None,
    }
    Some(out)
}

/// How an `Option` is read where it is met (the `plist` crate's convention).
#[derive(Clone, Copy)]
enum OptionMode {
    /// At the root: absent input is `None`.
    Root,
    /// A struct field that is present: always `Some`.
    StructField,
    /// Elsewhere: `<dict><key>Some</key>...` or `<dict><key>None</key><string/>`.
    Explicit,
}

/// What the caller of the next `deserialize_any` asked for, where it decides whether a value
/// of another plist type is a conversion worth reporting.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// Whatever the value is.
    Any,
    /// A real (`f32`, `f64`): an `<integer>` is converted.
    Real,
    /// A `plist::Date`: a `<string>` is converted.
    Date,
    /// Text (`str`, `String`, `char`): `<data>` (serde reads UTF-8 bytes as text) and
    /// `<date>` are converted.
    Text,
    /// Bytes (`bytes`, `byte_buf`): a `<string>` is converted.
    Bytes,
    /// Nothing (`IgnoredAny`): no conversion happens.
    Ignored,
}

/// A serde deserializer over a [`Lexer`].
pub(crate) struct Deserializer<'a, 's> {
    lexer: Lexer<'a, 's>,
    peeked: Option<Event<'a>>,
    option_mode: OptionMode,
    in_plist_value: bool,
    wanted: Wanted,
}

impl<'a, 's> Deserializer<'a, 's> {
    pub(crate) fn new(bytes: &'a [u8], state: &'s mut GuardState) -> Self {
        Deserializer {
            lexer: Lexer::new(bytes, state),
            peeked: None,
            option_mode: OptionMode::Root,
            in_plist_value: false,
            wanted: Wanted::Any,
        }
    }

    /// Checks that nothing but the end of the document follows the value just read.
    pub(crate) fn finish(&mut self) -> Result<(), DeError> {
        match self.next()? {
            None => Ok(()),
            Some(_) => Err(custom("more than one top-level value")),
        }
    }

    fn next(&mut self) -> Result<Option<Event<'a>>, DeError> {
        match self.peeked.take() {
            Some(event) => Ok(Some(event)),
            None => self.lexer.next_event(),
        }
    }

    fn next_required(&mut self) -> Result<Event<'a>, DeError> {
        self.next()?.ok_or_else(|| custom(END_OF_INPUT))
    }

    fn peek_is_end(&mut self) -> Result<bool, DeError> {
        if self.peeked.is_none() {
            self.peeked = self.lexer.next_event()?;
        }
        Ok(matches!(self.peeked, Some(Event::EndCollection)))
    }

    fn peek_is_none(&mut self) -> Result<bool, DeError> {
        if self.peeked.is_none() {
            self.peeked = self.lexer.next_event()?;
        }
        Ok(self.peeked.is_none())
    }

    fn expect_start_dict(&mut self) -> Result<(), DeError> {
        match self.next_required()? {
            Event::StartDictionary(_) => Ok(()),
            _ => Err(custom(UNEXPECTED_EVENT)),
        }
    }

    fn expect_end(&mut self) -> Result<(), DeError> {
        match self.next_required()? {
            Event::EndCollection => Ok(()),
            _ => Err(custom(UNEXPECTED_EVENT)),
        }
    }

    fn expect_string(&mut self) -> Result<Cow<'a, str>, DeError> {
        match self.next_required()? {
            Event::String(s) => Ok(s),
            _ => Err(custom(UNEXPECTED_EVENT)),
        }
    }

    /// Notes that the scalar just read was converted to another type than its element's.
    fn note_converted(&mut self) {
        let path = self.lexer.state.path_of_last_scalar();
        self.lexer.state.converted.push(path);
    }

    /// Runs `deserialize_any` for a caller that wants `wanted`.
    fn any_wanting<V: Visitor<'a>>(
        &mut self,
        wanted: Wanted,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // plist's `Date` asks for text from inside its newtype: the newtype's word stands.
        if self.wanted != Wanted::Date {
            self.wanted = wanted;
        }
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn with_option_mode<T>(
        &mut self,
        mode: OptionMode,
        f: impl FnOnce(&mut Self) -> Result<T, DeError>,
    ) -> Result<T, DeError> {
        let previous = std::mem::replace(&mut self.option_mode, mode);
        let result = f(self);
        self.option_mode = previous;
        result
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let wanted = std::mem::replace(&mut self.wanted, Wanted::Any);
        match self.next_required()? {
            Event::StartArray(_) => {
                let value = visitor.visit_seq(Access {
                    de: &mut *self,
                    is_struct: false,
                })?;
                self.expect_end()?;
                Ok(value)
            }
            Event::StartDictionary(_) => {
                let value = visitor.visit_map(Access {
                    de: &mut *self,
                    is_struct: false,
                })?;
                self.expect_end()?;
                Ok(value)
            }
            Event::Boolean(v) => visitor.visit_bool(v),
            Event::Data(v) => {
                if wanted == Wanted::Text {
                    self.note_converted();
                }
                match v {
                    Cow::Borrowed(v) => visitor.visit_borrowed_bytes(v),
                    Cow::Owned(v) => visitor.visit_byte_buf(v),
                }
            }
            Event::Date(v) if self.in_plist_value => visitor.visit_enum(
                MapAccessDeserializer::new(MapDeserializer::<_, DeError>::new(
                    [(DATE_NEWTYPE, v.to_xml_format())].into_iter(),
                )),
            ),
            Event::Date(v) => {
                if !matches!(wanted, Wanted::Date | Wanted::Ignored) {
                    self.note_converted();
                }
                visitor.visit_string(v.to_xml_format())
            }
            Event::Integer(v) => {
                if wanted == Wanted::Real {
                    self.note_converted();
                }
                match (v.as_unsigned(), v.as_signed()) {
                    (Some(u), _) => visitor.visit_u64(u),
                    (None, Some(i)) => visitor.visit_i64(i),
                    (None, None) => Err(custom("an <integer> that is not a number in range")),
                }
            }
            Event::Real(v) => visitor.visit_f64(v),
            Event::String(v) => {
                if matches!(wanted, Wanted::Date | Wanted::Bytes) {
                    self.note_converted();
                }
                match v {
                    Cow::Borrowed(v) => visitor.visit_borrowed_str(v),
                    Cow::Owned(v) => visitor.visit_string(v),
                }
            }
            // End of a collection where a value belongs, or an event XML never produces.
            _ => Err(custom(UNEXPECTED_EVENT)),
        }
    }

    serde::forward_to_deserialize_any! {
        bool u8 u16 u32 u64 i8 i16 i32 i64 i128 u128
        seq map unit_struct
        tuple_struct tuple identifier
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any_wanting(Wanted::Text, visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any_wanting(Wanted::Text, visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any_wanting(Wanted::Text, visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any_wanting(Wanted::Bytes, visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any_wanting(Wanted::Bytes, visitor)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any_wanting(Wanted::Real, visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any_wanting(Wanted::Real, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.any_wanting(Wanted::Ignored, visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.expect_string()?;
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.option_mode {
            OptionMode::Root => {
                if self.peek_is_none()? {
                    visitor.visit_none()
                } else {
                    self.with_option_mode(OptionMode::Explicit, |de| visitor.visit_some(de))
                }
            }
            OptionMode::StructField => {
                self.with_option_mode(OptionMode::Explicit, |de| visitor.visit_some(de))
            }
            OptionMode::Explicit => {
                self.expect_start_dict()?;
                let value = match self.next_required()? {
                    Event::String(s) if s == "None" => {
                        self.expect_string()?;
                        visitor.visit_none()?
                    }
                    Event::String(s) if s == "Some" => visitor.visit_some(&mut *self)?,
                    _ => return Err(custom(UNEXPECTED_EVENT)),
                };
                self.expect_end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == VALUE_NEWTYPE {
            let previous = std::mem::replace(&mut self.in_plist_value, true);
            let result = visitor.visit_newtype_struct(&mut *self);
            self.in_plist_value = previous;
            result
        } else if name == DATE_NEWTYPE {
            // plist's `Date` reads its text through `deserialize_any` next.
            self.wanted = Wanted::Date;
            visitor.visit_newtype_struct(self)
        } else {
            visitor.visit_newtype_struct(self)
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.expect_start_dict()?;
        let value = visitor.visit_map(Access {
            de: &mut *self,
            is_struct: true,
        })?;
        self.expect_end()?;
        Ok(value)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.next_required()? {
            // Unit variants are plain strings.
            Event::String(Cow::Borrowed(s)) => IntoDeserializer::<DeError>::into_deserializer(s)
                .deserialize_enum(name, variants, visitor),
            Event::String(Cow::Owned(s)) => IntoDeserializer::<DeError>::into_deserializer(s)
                .deserialize_enum(name, variants, visitor),
            Event::StartDictionary(_) => {
                let value = visitor.visit_enum(&mut *self)?;
                self.expect_end()?;
                Ok(value)
            }
            _ => Err(custom(UNEXPECTED_EVENT)),
        }
    }
}

impl<'de> de::EnumAccess<'de> for &mut Deserializer<'de, '_> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        Ok((seed.deserialize(&mut *self)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Deserializer<'de, '_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        <() as de::Deserialize>::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_tuple(self, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        de::Deserializer::deserialize_struct(self, "", fields, visitor)
    }
}

/// The entries of an array or dictionary.
struct Access<'d, 'a, 's> {
    de: &'d mut Deserializer<'a, 's>,
    is_struct: bool,
}

impl<'de> de::SeqAccess<'de> for Access<'_, 'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        if self.de.peek_is_end()? {
            return Ok(None);
        }
        self.de
            .with_option_mode(OptionMode::Explicit, |de| seed.deserialize(de))
            .map(Some)
    }
}

impl<'de> de::MapAccess<'de> for Access<'_, 'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.de.peek_is_end()? {
            return Ok(None);
        }
        self.de
            .with_option_mode(OptionMode::Explicit, |de| seed.deserialize(de))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let mode = if self.is_struct {
            OptionMode::StructField
        } else {
            OptionMode::Explicit
        };
        self.de.with_option_mode(mode, |de| seed.deserialize(de))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_lenient_like_apple_and_no_more() {
        assert_eq!(decode_base64(b"AAAA=").as_deref(), Some(&[0u8, 0, 0][..]));
        assert_eq!(
            decode_base64(b" AA\nAA ==\t=").as_deref(),
            Some(&[0u8, 0, 0][..])
        );
        assert_eq!(decode_base64(b"aGk=").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_base64(b"aGk==").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_base64(b"aA==").as_deref(), Some(&b"h"[..]));
        assert_eq!(decode_base64(b"").as_deref(), Some(&b""[..]));
        assert_eq!(decode_base64(b"aGk"), None, "missing padding");
        assert_eq!(decode_base64(b"aA=").as_deref(), None, "padding short");
        assert_eq!(decode_base64(b"aB=="), None, "trailing bits");
        assert_eq!(decode_base64(b"A==="), None, "one-character group");
        assert_eq!(decode_base64(b"aA==aA=="), None, "data after padding");
        assert_eq!(decode_base64(b"aG*k"), None);
    }

    /// The byte-at-a-time decoder, as it was before groups were read four at a time.
    fn reference_base64(text: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let (mut acc, mut in_group, mut padding) = (0u32, 0u8, 0usize);
        for &byte in text {
            let value = match byte {
                b'A'..=b'Z' => byte - b'A',
                b'a'..=b'z' => byte - b'a' + 26,
                b'0'..=b'9' => byte - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' => {
                    padding += 1;
                    continue;
                }
                _ if byte.is_ascii_whitespace() => continue,
                _ => return None,
            };
            if padding > 0 {
                return None;
            }
            acc = (acc << 6) | u32::from(value);
            in_group += 1;
            if in_group == 4 {
                out.extend_from_slice(&acc.to_be_bytes()[1..]);
                (acc, in_group) = (0, 0);
            }
        }
        match in_group {
            0 => {}
            2 if padding >= 2 && acc & 0xF == 0 => out.push((acc >> 4).to_be_bytes()[3]),
            3 if padding >= 1 && acc & 0x3 == 0 => {
                out.extend_from_slice(&(acc >> 2).to_be_bytes()[2..]);
            }
            _ => return None,
        }
        Some(out)
    }

    proptest::proptest! {
        #[test]
        fn base64_groups_decode_like_the_byte_loop(
            text in proptest::collection::vec(
                proptest::sample::select(b"AQgw/+9z= \n\t\r\x0C*".to_vec()), 0..80),
        ) {
            proptest::prop_assert_eq!(decode_base64(&text), reference_base64(&text));
        }

        #[test]
        fn base64_round_trips_with_line_breaks(
            data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            width in 1usize..80,
        ) {
            let text = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &data);
            let mut wrapped = Vec::new();
            for line in text.as_bytes().chunks(width) {
                wrapped.extend_from_slice(b"\n\t");
                wrapped.extend_from_slice(line);
            }
            proptest::prop_assert_eq!(decode_base64(&wrapped), Some(data));
        }
    }

    #[test]
    fn integers_read_as_apple_does() {
        assert_eq!(parse_integer("-1"), Some(Integer::from(-1i64)));
        assert_eq!(
            parse_integer("18446744073709551615"),
            Some(Integer::from(u64::MAX))
        );
        assert_eq!(parse_integer("18446744073709551616"), None);
        assert_eq!(parse_integer("0xff"), Some(Integer::from(255u64)));
        assert_eq!(parse_integer(" 1"), None);
    }
}
