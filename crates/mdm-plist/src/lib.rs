//! Bounded property-list decoding for Apple MDM.
//!
//! Every plist a device, a customer upload or the network hands us is untrusted. This crate is
//! the one door through which such bytes enter the workspace: it decodes XML plists (and, only
//! when asked, binary ones) with a hard size limit and a nesting-depth limit that are enforced
//! on the event stream *in front of* serde, so the recursive deserializer never sees a level past
//! the limit and never allocates past the size cap. Failures come back as a typed [`Error`]
//! naming the limit or the key path.
//!
//! It also holds the two building blocks the protocol crates declare their types with:
//!
//! - [`plist_dict!`]: a struct with Apple's key names, typed fields, and an `extra`
//!   [`Dictionary`] that keeps every key the type does not model, so decoding then
//!   re-encoding loses nothing (without `#[serde(flatten)]`, which mis-serializes `Option`s);
//! - [`open_enum!`]: a string enum with a variant per known value plus `Other(String)`, so a
//!   value Apple adds later survives a round trip.
//!
//! ```
//! mdm_plist::plist_dict! {
//!     /// A tiny message.
//!     #[derive(Debug, Clone, PartialEq, Default)]
//!     pub struct Hello {
//!         /// The message type.
//!         "MessageType" => pub message_type: String,
//!         /// An optional topic.
//!         "Topic" => pub topic: Option<String>,
//!     }
//! }
//!
//! let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <plist version="1.0"><dict>
//!   <key>MessageType</key><string>Hello</string>
//!   <key>Future</key><integer>7</integer>
//! </dict></plist>"#;
//! let hello: Hello = mdm_plist::from_xml_bytes(xml)?;
//! assert_eq!(hello.message_type, "Hello");
//! assert_eq!(hello.topic, None);
//! assert!(hello.extra.contains_key("Future"));
//!
//! // A nesting bomb is refused before serde recurses into it.
//! let bomb = format!("<plist>{}</plist>", "<array>".repeat(100_000));
//! let err = mdm_plist::value_from_xml_bytes(bomb.as_bytes(), &mdm_plist::Limits::default())
//!     .unwrap_err();
//! assert!(matches!(err, mdm_plist::Error::TooDeep { .. }));
//! # Ok::<(), mdm_plist::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
mod de;
mod error;
mod guard;
mod macros;
pub mod tagged;

use std::io::Cursor;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use plist;
pub use plist::{Data, Date, Dictionary, Integer, Uid, Value};

pub use crate::error::Error;
use crate::guard::{Guard, GuardState};

/// Default largest XML body accepted: 4 MiB. Check-in messages are a few KiB; a command
/// response listing every installed app on a large Mac is well under a megabyte.
pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Default deepest nesting of dictionaries and arrays accepted: 64 levels. Apple's deepest
/// schemas nest about 8 levels; plist's recursive deserializer overflows a 2 MiB thread stack
/// near 3,300 levels.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Default largest number of values (scalars and containers) a binary plist may expand to:
/// 1,000,000. Binary plists share objects by reference, so a few hundred bytes can describe
/// a tree of hundreds of millions of values; the count is taken on the expanded tree.
pub const DEFAULT_MAX_OBJECTS: usize = 1_000_000;

/// Default most bytes of strings, keys and data a binary plist may expand to: 64 MiB.
/// A string or data object referenced many times is copied at every reference, so a 4 MiB
/// file holding one 1 MiB blob and a few arrays of references to it could otherwise ask for
/// terabytes; the decoded tree holds at most this much text and data (plus one object).
pub const DEFAULT_MAX_EXPANDED_BYTES: usize = 64 * 1024 * 1024;

/// Default largest binary plist accepted: 4 MiB, as for XML.
pub const DEFAULT_MAX_BINARY_BYTES: usize = 4 * 1024 * 1024;

/// Bounds applied while decoding an XML plist.
///
/// `max_depth` counts nested containers: the root dictionary of a check-in message is depth 1,
/// an array inside it depth 2, and so on. Scalars do not add a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest input accepted, in bytes (default [`DEFAULT_MAX_BYTES`]).
    pub max_bytes: usize,
    /// Deepest container nesting accepted (default [`DEFAULT_MAX_DEPTH`]).
    pub max_depth: usize,
}

impl Limits {
    /// The defaults: 4 MiB and 64 levels.
    pub const DEFAULT: Limits = Limits {
        max_bytes: DEFAULT_MAX_BYTES,
        max_depth: DEFAULT_MAX_DEPTH,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Bounds applied while decoding a binary plist (see [`from_binary_bytes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinaryLimits {
    /// Largest input accepted, in bytes (default [`DEFAULT_MAX_BINARY_BYTES`]).
    pub max_bytes: usize,
    /// Deepest container nesting accepted (default [`DEFAULT_MAX_DEPTH`]).
    pub max_depth: usize,
    /// Most values the expanded tree may hold (default [`DEFAULT_MAX_OBJECTS`]).
    pub max_objects: usize,
    /// Most bytes of strings, keys and data the expanded tree may hold, a shared one counted
    /// at every reference (default [`DEFAULT_MAX_EXPANDED_BYTES`]).
    pub max_expanded_bytes: usize,
}

impl BinaryLimits {
    /// The defaults: 4 MiB, 64 levels, 1,000,000 values, 64 MiB of strings and data.
    pub const DEFAULT: BinaryLimits = BinaryLimits {
        max_bytes: DEFAULT_MAX_BINARY_BYTES,
        max_depth: DEFAULT_MAX_DEPTH,
        max_objects: DEFAULT_MAX_OBJECTS,
        max_expanded_bytes: DEFAULT_MAX_EXPANDED_BYTES,
    };
}

impl Default for BinaryLimits {
    fn default() -> Self {
        BinaryLimits::DEFAULT
    }
}

/// Says whether `bytes` start like a binary plist (`bplist` magic).
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes.starts_with(b"bplist")
}

/// Decodes an XML plist into `T` with the default [`Limits`].
///
/// # Errors
/// See [`from_xml_bytes_with`].
pub fn from_xml_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    from_xml_bytes_with(bytes, &Limits::DEFAULT)
}

/// Decodes an XML plist into `T`, enforcing `limits`.
///
/// # Errors
/// [`Error::TooLarge`] or [`Error::TooDeep`] when a limit is hit, [`Error::BinaryNotAllowed`]
/// for a binary plist, [`Error::DuplicateKey`] when a dictionary repeats a key,
/// [`Error::Syntax`] when the bytes are not a well-formed plist, and [`Error::Type`] (with the
/// key path) when the plist does not have the shape `T` expects.
pub fn from_xml_bytes_with<T: DeserializeOwned>(bytes: &[u8], limits: &Limits) -> Result<T, Error> {
    let options = Options {
        limits: *limits,
        allow_duplicate_keys: false,
    };
    from_xml_bytes_with_options(bytes, &options).map(|d| d.value)
}

/// Decoding choices beyond the [`Limits`], for callers that must read what real files
/// contain rather than what they should contain (see [`from_xml_bytes_with_options`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Size and depth bounds.
    pub limits: Limits,
    /// Accept a dictionary that repeats a key, keeping the last value (as Apple's and
    /// Python's parsers do) and reporting it in [`Decoded::duplicate_keys`]. Off by default:
    /// a repeated key in a device message is refused with [`Error::DuplicateKey`]. Types
    /// declared with [`plist_dict!`] still refuse a repeated key they model.
    pub allow_duplicate_keys: bool,
}

/// A decoded value and the leniencies applied to get it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Decoded<T> {
    /// The value.
    pub value: T,
    /// Each repeated dictionary key that was accepted, as `path.key`.
    pub duplicate_keys: Vec<String>,
    /// Each value that `T` took as another plist type than the one written, by key path: an
    /// `<integer>` read into a real (`f32`, `f64`), a `<date>` or `<data>` read as text, a
    /// `<string>` read as a [`Date`] or as bytes. Re-encoding such a value writes the other
    /// type.
    pub converted: Vec<String>,
}

/// Decodes an XML plist into `T` with explicit [`Options`], reporting the leniencies used.
///
/// # Errors
/// As [`from_xml_bytes_with`].
pub fn from_xml_bytes_with_options<T: DeserializeOwned>(
    bytes: &[u8],
    options: &Options,
) -> Result<Decoded<T>, Error> {
    let limits = &options.limits;
    if bytes.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            len: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if is_binary(bytes) {
        return Err(Error::BinaryNotAllowed);
    }
    let bounds = guard::Bounds {
        max_depth: limits.max_depth,
        max_objects: usize::MAX,
        // XML shares nothing: its text is bounded by the input size.
        max_expanded_bytes: usize::MAX,
        allow_duplicates: options.allow_duplicate_keys,
    };
    decode_xml(bytes, bounds)
}

/// Decodes an XML plist into `T`, which may borrow strings and byte strings from `bytes`
/// (`&str` fields, `Cow<str>` with `#[serde(borrow)]`), with the default [`Limits`].
///
/// A string borrows when its text has no entity or comment inside it; otherwise a `&str`
/// target fails with [`Error::Type`], so prefer `Cow<str>` over `&str`.
///
/// # Errors
/// As [`from_xml_bytes_with`].
pub fn from_xml_bytes_borrowed<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Error> {
    let limits = Limits::DEFAULT;
    if bytes.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            len: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if is_binary(bytes) {
        return Err(Error::BinaryNotAllowed);
    }
    let bounds = guard::Bounds {
        max_depth: limits.max_depth,
        max_objects: usize::MAX,
        // XML shares nothing: its text is bounded by the input size.
        max_expanded_bytes: usize::MAX,
        allow_duplicates: false,
    };
    decode_xml(bytes, bounds).map(|d| d.value)
}

/// The path every XML decode takes: one pass of [`de::Deserializer`] over the bytes.
fn decode_xml<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    bounds: guard::Bounds,
) -> Result<Decoded<T>, Error> {
    let mut state = GuardState::new(bounds);
    let result = {
        let mut de = de::Deserializer::new(bytes, &mut state);
        T::deserialize(&mut de).map(|value| (value, de.finish()))
    };
    match result {
        Ok((value, Ok(()))) => Ok(Decoded {
            value,
            duplicate_keys: state.duplicates,
            converted: state.converted,
        }),
        Ok((_, Err(_))) => Err(state.take_error().unwrap_or_else(more_than_one_value)),
        Err(serde_err) => {
            if let Some(err) = state.take_error() {
                return Err(err);
            }
            // The document was clean, so its shape did not fit `T`: decode again (cold
            // path) with path tracking to say where.
            let mut state = GuardState::new(bounds);
            let mut de = de::Deserializer::new(bytes, &mut state);
            let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => e.path().to_string(),
                Ok(_) => String::new(),
            };
            Err(Error::Type {
                path: if path == "." { String::new() } else { path },
                message: serde_err.to_string(),
            })
        }
    }
}

fn more_than_one_value() -> Error {
    Error::Syntax {
        path: "<root>".into(),
        message: "more than one top-level value".into(),
    }
}

/// The decoder every `from_xml_bytes*` call used before [`de`]: plist's event reader and
/// deserializer behind [`Guard`], with byte scans for entities and the document end. Kept
/// for the differential test and fuzz target, which compare the two on the same bytes.
pub(crate) fn legacy_from_xml_bytes_with_options<T: DeserializeOwned>(
    bytes: &[u8],
    options: &Options,
) -> Result<Decoded<T>, Error> {
    let limits = &options.limits;
    if bytes.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            len: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if is_binary(bytes) {
        return Err(Error::BinaryNotAllowed);
    }
    guard::check_entities(bytes)?;
    guard::check_document_end(bytes)?;
    let bounds = guard::Bounds {
        max_depth: limits.max_depth,
        max_objects: usize::MAX,
        // XML shares nothing: its text is bounded by the input size.
        max_expanded_bytes: usize::MAX,
        allow_duplicates: options.allow_duplicate_keys,
    };
    decode(bytes, bounds, |b| {
        plist::stream::XmlReader::new(Cursor::new(b))
    })
}

/// Decodes an XML plist into an untyped [`Value`], enforcing `limits`.
///
/// # Errors
/// As [`from_xml_bytes_with`].
pub fn value_from_xml_bytes(bytes: &[u8], limits: &Limits) -> Result<Value, Error> {
    from_xml_bytes_with(bytes, limits)
}

/// Decodes a binary plist into `T`, enforcing `limits` on its size, on the nesting depth and
/// on the number of values in the expanded tree.
///
/// Devices send XML; call this only where a binary plist is expected.
///
/// # Errors
/// [`Error::NotBinary`] when the input is not a binary plist, [`Error::TooManyObjects`] when
/// shared references expand past `max_objects`, [`Error::TooLargeExpanded`] when they expand
/// past `max_expanded_bytes`, and otherwise as [`from_xml_bytes_with`].
pub fn from_binary_bytes<T: DeserializeOwned>(
    bytes: &[u8],
    limits: &BinaryLimits,
) -> Result<T, Error> {
    if bytes.len() > limits.max_bytes {
        return Err(Error::TooLarge {
            len: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if !is_binary(bytes) {
        return Err(Error::NotBinary);
    }
    let bounds = guard::Bounds {
        max_depth: limits.max_depth,
        max_objects: limits.max_objects,
        max_expanded_bytes: limits.max_expanded_bytes,
        allow_duplicates: false,
    };
    decode(bytes, bounds, |b| {
        plist::stream::Reader::new(Cursor::new(b))
    })
    .map(|d| d.value)
}

/// Runs serde over a guarded event stream; on failure, works out which kind of error it was.
fn decode<'b, T, R, F>(
    bytes: &'b [u8],
    bounds: guard::Bounds,
    reader: F,
) -> Result<Decoded<T>, Error>
where
    T: DeserializeOwned,
    R: Iterator<Item = Result<plist::stream::OwnedEvent, plist::Error>>,
    F: Fn(&'b [u8]) -> R,
{
    let mut state = GuardState::new(bounds);
    let result = {
        let mut guard = Guard::new(reader(bytes), &mut state);
        let value = {
            let mut de = plist::Deserializer::new(&mut guard);
            T::deserialize(&mut de)
        };
        // Nothing may follow the root value (plist's own `from_bytes` checks the same).
        value.map(|v| (v, guard.next()))
    };
    match result {
        Ok((value, None)) => Ok(Decoded {
            value,
            duplicate_keys: state.duplicates,
            // The legacy path does not track conversions.
            converted: Vec::new(),
        }),
        Ok((_, Some(_))) => Err(state.take_error().unwrap_or_else(more_than_one_value)),
        Err(serde_err) => {
            if let Some(err) = state.take_error() {
                return Err(err);
            }
            // The stream was clean, so the shape did not fit `T`: decode again (cold path)
            // with path tracking to say where.
            let mut state = GuardState::new(bounds);
            let mut de = plist::Deserializer::new(Guard::new(reader(bytes), &mut state));
            let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                Err(e) => e.path().to_string(),
                Ok(_) => String::new(),
            };
            Err(Error::Type {
                path: if path == "." { String::new() } else { path },
                message: error::plist_message(&serde_err),
            })
        }
    }
}

/// Encodes `value` as an XML plist in Apple's layout (XML declaration, DOCTYPE, tab
/// indentation, trailing newline).
///
/// # Errors
/// [`Error::Encode`] when `value` cannot be represented as a plist (for example a map with
/// non-string keys, or a bare `None` at the root).
pub fn to_xml_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(1024);
    plist::to_writer_xml(&mut out, value).map_err(|e| Error::Encode {
        message: e.to_string(),
    })?;
    out.push(b'\n');
    Ok(out)
}

/// Encodes `value` as a binary plist.
///
/// # Errors
/// As [`to_xml_bytes`].
pub fn to_binary_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Cursor::new(Vec::with_capacity(1024));
    plist::to_writer_binary(&mut out, value).map_err(|e| Error::Encode {
        message: e.to_string(),
    })?;
    Ok(out.into_inner())
}

/// Converts a typed value to an untyped [`Value`] tree.
///
/// # Errors
/// As [`to_xml_bytes`].
pub fn to_value<T: Serialize>(value: &T) -> Result<Value, Error> {
    plist::to_value(value).map_err(|e| Error::Encode {
        message: e.to_string(),
    })
}

/// Converts an untyped [`Value`] (already bounded: it came through this crate or was built in
/// memory) to a typed value.
///
/// # Errors
/// [`Error::Type`] when the value does not have the shape `T` expects.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    plist::from_value(value).map_err(|e| {
        // Cold path: convert once more with path tracking to say where it failed.
        let events = value.events().map(Ok);
        let mut de = plist::Deserializer::new(events);
        let path = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => e.path().to_string(),
            Ok(_) => String::new(),
        };
        Error::Type {
            path: if path == "." { String::new() } else { path },
            message: error::plist_message(&e),
        }
    })
}
