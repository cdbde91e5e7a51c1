//! The limit checks, applied to the plist event stream in front of serde.
//!
//! plist's deserializer recurses once per container. Checking depth on the events it pulls
//! means the check costs one comparison per container and no second pass over the input,
//! and serde never descends past the limit: the event that would cross it is replaced by an
//! error. The same adapter counts values (for binary plists, whose shared references can
//! expand a small file into a huge tree), refuses repeated dictionary keys, and remembers the
//! key path so errors can say where they happened.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use plist::stream::{Event, OwnedEvent};
use serde::de::Error as _;

use crate::Error;

/// Above this many keys a dictionary also indexes its key hashes in a hash set.
const LINEAR_KEY_SCAN: usize = 16;

/// 0000-01-01T00:00:00Z in seconds from the Unix epoch: the earliest date accepted.
const EARLIEST_DATE_UNIX: i64 = -62_167_219_200;
/// 10000-01-01T00:00:00Z in seconds from the Unix epoch: every accepted date is before it.
const DATE_END_UNIX: i64 = 253_402_300_800;

/// Says whether `date` falls in the years 0 to 9999, the range an XML plist can write.
///
/// A binary plist stores a date as a float of seconds, so it can hold year -5000, which the
/// `plist` crate reads but cannot format (it panics when printing it): such dates are refused.
fn date_in_range(date: &plist::Date) -> bool {
    let time = std::time::SystemTime::from(*date);
    let unix = match time.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => i128::from(after.as_secs()),
        // Before the epoch: a fraction of a second more still lies in the same second below.
        Err(before) => {
            let d = before.duration();
            -i128::from(d.as_secs()) - i128::from(d.subsec_nanos() > 0)
        }
    };
    (i128::from(EARLIEST_DATE_UNIX)..i128::from(DATE_END_UNIX)).contains(&unix)
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds {
    pub(crate) max_depth: usize,
    pub(crate) max_objects: usize,
    /// Most bytes of strings, keys and data the decoded tree may hold, shared values counted
    /// at every use.
    pub(crate) max_expanded_bytes: usize,
    /// Record repeated keys (last value wins) instead of failing.
    pub(crate) allow_duplicates: bool,
}

/// One open container. Dictionary keys live in two stacks shared by all frames (no
/// allocation per key): their hashes in `GuardState::hashes` from `hashes_start`, and the
/// current key's text at the end of `GuardState::names` from `names_start`.
enum Frame {
    Array {
        index: usize,
    },
    Dict {
        expect_key: bool,
        hashes_start: usize,
        names_start: usize,
        index: Option<HashSet<u64>>,
    },
}

/// What the adapter learned; read back after serde finishes or fails.
///
/// Duplicate detection compares 64-bit keyed hashes (SipHash with a random key per decode),
/// so two distinct keys collide with probability about 2^-64 and an attacker cannot aim
/// for a collision.
pub(crate) struct GuardState {
    bounds: Bounds,
    frames: Vec<Frame>,
    hashes: Vec<u64>,
    names: String,
    hasher: RandomState,
    objects: usize,
    /// Bytes of strings, keys and data seen so far.
    bytes: usize,
    error: Option<Error>,
    /// Repeated keys seen when `allow_duplicates` is on, as `path.key`.
    pub(crate) duplicates: Vec<String>,
    /// Values the target type read as another plist type, by key path.
    pub(crate) converted: Vec<String>,
}

impl GuardState {
    pub(crate) fn new(bounds: Bounds) -> Self {
        GuardState {
            bounds,
            frames: Vec::new(),
            hashes: Vec::new(),
            names: String::new(),
            hasher: RandomState::new(),
            objects: 0,
            bytes: 0,
            error: None,
            duplicates: Vec::new(),
            converted: Vec::new(),
        }
    }

    pub(crate) fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    /// Records `err` as the cause of the failure, unless one is recorded already.
    pub(crate) fn record(&mut self, err: Error) {
        if self.error.is_none() {
            self.error = Some(err);
        }
    }

    /// The key path of the value being read, e.g. `PayloadContent[2].Token`.
    pub(crate) fn path(&self) -> String {
        self.path_with(false)
    }

    /// The key path of the scalar the last event was (the lexer has already moved its
    /// parent on to the next key or index).
    pub(crate) fn path_of_last_scalar(&self) -> String {
        self.path_with(true)
    }

    fn path_with(&self, last_done: bool) -> String {
        let mut out = String::new();
        let mut dict_starts = self.frames.iter().filter_map(|f| match f {
            Frame::Dict { names_start, .. } => Some(*names_start),
            Frame::Array { .. } => None,
        });
        dict_starts.next();
        let innermost = self.frames.len().saturating_sub(1);
        for (at, frame) in self.frames.iter().enumerate() {
            let done = last_done && at == innermost;
            match frame {
                Frame::Array { index } => {
                    let index = if done {
                        index.saturating_sub(1)
                    } else {
                        *index
                    };
                    out.push('[');
                    out.push_str(&index.to_string());
                    out.push(']');
                }
                Frame::Dict {
                    expect_key,
                    names_start,
                    ..
                } => {
                    let end = dict_starts.next().unwrap_or(self.names.len());
                    if *expect_key && !done {
                        break;
                    }
                    if let Some(k) = self.names.get(*names_start..end) {
                        if !out.is_empty() {
                            out.push('.');
                        }
                        out.push_str(k);
                    }
                }
            }
        }
        if out.is_empty() {
            out.push_str("<root>");
        }
        out
    }

    /// A value finished: the parent moves on to its next key or index.
    fn value_done(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::Array { index }) => *index = index.saturating_add(1),
            Some(Frame::Dict { expect_key, .. }) => *expect_key = true,
            None => {}
        }
    }

    /// Takes `key` as the next key of the top dictionary; says whether it was seen before.
    fn take_key(&mut self, key: &str) -> bool {
        let hash = self.hasher.hash_one(key);
        let Some(Frame::Dict {
            expect_key,
            hashes_start,
            names_start,
            index,
        }) = self.frames.last_mut()
        else {
            return false;
        };
        let seen = self.hashes.get(*hashes_start..).unwrap_or_default();
        let duplicate = match index {
            Some(set) => !set.insert(hash),
            None => seen.contains(&hash),
        };
        if !duplicate {
            self.hashes.push(hash);
            if index.is_none() && self.hashes.len() - *hashes_start > LINEAR_KEY_SCAN {
                *index = Some(
                    self.hashes
                        .get(*hashes_start..)
                        .unwrap_or_default()
                        .iter()
                        .copied()
                        .collect(),
                );
            }
        }
        self.names.truncate(*names_start);
        self.names.push_str(key);
        *expect_key = false;
        duplicate
    }

    /// Checks one event; `Err` carries the error to record.
    pub(crate) fn check(&mut self, event: &Event<'_>) -> Result<(), Error> {
        self.objects = self.objects.saturating_add(1);
        if self.objects > self.bounds.max_objects {
            return Err(Error::TooManyObjects {
                limit: self.bounds.max_objects,
            });
        }
        let len = match event {
            Event::String(text) => text.len(),
            Event::Data(data) => data.len(),
            _ => 0,
        };
        if len > 0 {
            // A binary plist's shared string or data is copied at every reference to it.
            self.bytes = self.bytes.saturating_add(len);
            if self.bytes > self.bounds.max_expanded_bytes {
                return Err(Error::TooLargeExpanded {
                    limit: self.bounds.max_expanded_bytes,
                });
            }
        }
        if let Event::Date(date) = event
            && !date_in_range(date)
        {
            return Err(Error::Syntax {
                path: self.path(),
                message: "a date outside the years 0 to 9999".to_string(),
            });
        }
        // A dictionary waiting for a key: this event is the key.
        if let Some(Frame::Dict {
            expect_key: true, ..
        }) = self.frames.last()
        {
            if let Event::String(key) = event {
                if self.take_key(key) {
                    // The path now ends in the repeated key; report the dictionary's path.
                    if let Some(Frame::Dict { expect_key, .. }) = self.frames.last_mut() {
                        *expect_key = true;
                    }
                    let path = self.path();
                    if let Some(Frame::Dict { expect_key, .. }) = self.frames.last_mut() {
                        *expect_key = false;
                    }
                    if !self.bounds.allow_duplicates {
                        return Err(Error::DuplicateKey {
                            key: key.to_string(),
                            path,
                        });
                    }
                    self.duplicates.push(format!("{path}.{key}"));
                }
                return Ok(());
            }
            // Not a key: the deserializer will report it; let it through.
            if !matches!(event, Event::EndCollection) {
                return Ok(());
            }
        }
        match event {
            Event::StartArray(_) | Event::StartDictionary(_) => {
                if self.frames.len() >= self.bounds.max_depth {
                    return Err(Error::TooDeep {
                        limit: self.bounds.max_depth,
                        path: self.path(),
                    });
                }
                self.frames.push(if matches!(event, Event::StartArray(_)) {
                    Frame::Array { index: 0 }
                } else {
                    Frame::Dict {
                        expect_key: true,
                        hashes_start: self.hashes.len(),
                        names_start: self.names.len(),
                        index: None,
                    }
                });
            }
            Event::EndCollection => {
                if let Some(Frame::Dict {
                    hashes_start,
                    names_start,
                    ..
                }) = self.frames.pop()
                {
                    self.hashes.truncate(hashes_start);
                    self.names.truncate(names_start);
                }
                self.value_done();
            }
            _ => self.value_done(),
        }
        Ok(())
    }
}

/// An event iterator that enforces [`Bounds`] and records the first failure in a
/// [`GuardState`].
pub(crate) struct Guard<'s, R> {
    inner: R,
    state: &'s mut GuardState,
    stopped: bool,
}

impl<'s, R> Guard<'s, R> {
    pub(crate) fn new(inner: R, state: &'s mut GuardState) -> Self {
        Guard {
            inner,
            state,
            stopped: false,
        }
    }
}

impl<R> Iterator for Guard<'_, R>
where
    R: Iterator<Item = Result<OwnedEvent, plist::Error>>,
{
    type Item = Result<OwnedEvent, plist::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.stopped {
            return None;
        }
        match self.inner.next()? {
            Ok(event) => match self.state.check(&event) {
                Ok(()) => Some(Ok(event)),
                Err(err) => {
                    self.stopped = true;
                    let message = err.to_string();
                    self.state.error = Some(err);
                    Some(Err(plist::Error::custom(message)))
                }
            },
            Err(err) => {
                self.stopped = true;
                self.state.error = Some(Error::Syntax {
                    path: self.state.path(),
                    message: crate::error::plist_message(&err),
                });
                Some(Err(err))
            }
        }
    }
}

/// Refuses entity references other than XML's five predefined ones and character references.
///
/// plist's XML reader silently drops an unknown entity such as `&name;` from a string, which
/// would change the value without a word; Python's plistlib and Apple's parser refuse it.
/// The scan does not track CDATA sections, where such text is legal: plists do not use them.
pub(crate) fn check_entities(bytes: &[u8]) -> Result<(), Error> {
    let mut rest = bytes;
    while let Some(at) = memchr::memchr(b'&', rest) {
        let after = rest.get(at + 1..).unwrap_or_default();
        let name_len = after
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'#')))
            .unwrap_or(after.len());
        let name = after.get(..name_len).unwrap_or_default();
        if after.get(name_len) == Some(&b';')
            && !name.starts_with(b"#")
            && !matches!(name, b"lt" | b"gt" | b"amp" | b"quot" | b"apos")
        {
            return Err(Error::Syntax {
                path: "<root>".into(),
                message: format!("unknown entity &{};", String::from_utf8_lossy(name)),
            });
        }
        rest = after;
    }
    Ok(())
}

/// XML's white space (the `S` production): space, tab, carriage return, line feed. Form feed,
/// vertical tab and Unicode spaces are not, and after `</plist>` they are data.
pub(crate) fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Refuses an XML document that opens `<plist` but does not close it, or that has anything
/// but white space and comments after `</plist>`.
///
/// plist's reader stops at the end of the root value and never looks further, so without
/// this a truncated document or one with trailing data would decode as if it were whole.
pub(crate) fn check_document_end(bytes: &[u8]) -> Result<(), Error> {
    let end_tag = memchr::memmem::rfind(bytes, b"</plist>");
    let syntax = |message: &str| Error::Syntax {
        path: "<root>".into(),
        message: message.into(),
    };
    match end_tag {
        None => {
            if memchr::memmem::find(bytes, b"<plist").is_some() {
                return Err(syntax("missing </plist> end tag"));
            }
            Ok(())
        }
        Some(at) => {
            let mut tail = bytes.get(at + b"</plist>".len()..).unwrap_or_default();
            loop {
                let blank = tail.iter().take_while(|b| is_xml_space(**b)).count();
                tail = tail.get(blank..).unwrap_or_default();
                if tail.is_empty() {
                    return Ok(());
                }
                let Some(rest) = tail.strip_prefix(b"<!--") else {
                    return Err(syntax("data after </plist>"));
                };
                match memchr::memmem::find(rest, b"-->") {
                    Some(end) => tail = rest.get(end + 3..).unwrap_or_default(),
                    None => return Err(syntax("unterminated comment after </plist>")),
                }
            }
        }
    }
}
