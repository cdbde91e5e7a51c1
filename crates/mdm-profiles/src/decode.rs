//! Reading `.mobileconfig` bytes: wrapper detection, lenient decoding, and the record of
//! every leniency applied.

use std::cell::RefCell;
use std::collections::VecDeque;

use mdm_plist::{Dictionary, Value};

use crate::validate::{Problem, Severity};
use crate::{Error, Payload, Profile};

/// Largest profile accepted by [`Decoded::decode`]: 8 MiB. The largest real profile we have seen (a
/// bundle of about 160 root certificates) is 512 KiB.
pub const MAX_PROFILE_BYTES: usize = 8 * 1024 * 1024;

/// Deepest nesting accepted by [`Decoded::decode`]: 64 levels (Apple's deepest payload schemas nest
/// about 10).
pub const MAX_PROFILE_DEPTH: usize = 64;

/// What the outer bytes of a profile file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Wrapping {
    /// A plain XML plist.
    Plain,
    /// A CMS (PKCS #7) `SignedData` envelope (DER or BER), as `.mobileconfig` files signed for
    /// distribution are.
    Signed,
}

/// Says whether `bytes` are a CMS-signed profile (an ASN.1 `SEQUENCE` with definite long
/// length `0x30 0x82` or BER indefinite length `0x30 0x80`) rather than a plain plist.
pub fn wrapping(bytes: &[u8]) -> Wrapping {
    if bytes.starts_with(&[0x30, 0x80])
        || bytes.starts_with(&[0x30, 0x82])
        || bytes.starts_with(&[0x30, 0x83])
    {
        Wrapping::Signed
    } else {
        Wrapping::Plain
    }
}

/// A decoded profile and the leniencies it needed.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The profile.
    pub profile: Profile,
    /// One warning per leniency applied (leading whitespace, repeated keys, integers where
    /// the schema says real, payloads kept untyped), with the key path.
    pub leniencies: Vec<Problem>,
}

impl Decoded {
    /// Decodes a profile from `.mobileconfig` bytes, as devices read them, and reports the
    /// leniencies it applied (see [`Profile::decode`] for the profile alone).
    ///
    /// Accepted leniencies, each reported in [`Decoded::leniencies`]: whitespace or a
    /// byte-order mark before `<?xml`; a dictionary that repeats a key (the last value wins,
    /// as on Apple's parser); an integer where the schema says real (re-encoded as
    /// `<real>`); a payload of a known type whose keys do not fit its schema (kept as
    /// [`Payload::Unknown`], re-encoded as received).
    ///
    /// # Errors
    /// [`Error::Signed`] for a CMS-signed file and [`Error::Encrypted`] for a profile with
    /// `EncryptedPayloadContent` (unwrap both with `mdm-signing`); [`Error::Plist`] when the
    /// bytes are not a plist or exceed [`MAX_PROFILE_BYTES`] / [`MAX_PROFILE_DEPTH`];
    /// [`Error::NotADictionary`], [`Error::BadPayload`] when the structure is not a profile.
    /// `tests/builder_validate.rs` shows each.
    pub fn decode(bytes: &[u8]) -> Result<Decoded, Error> {
        decode(bytes)
    }

    /// The leniencies followed by [`crate::validate`]'s findings.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = self.leniencies.clone();
        out.extend(crate::validate(&self.profile));
        out
    }

    /// The leniencies followed by [`crate::validate_for`]'s findings for this target.
    pub fn problems_for(
        &self,
        platform: crate::spec::Platform,
        version: crate::spec::Version,
    ) -> Vec<Problem> {
        let mut out = self.leniencies.clone();
        out.extend(crate::validate_for(&self.profile, platform, version));
        out
    }
}

impl Profile {
    /// Decodes a profile from `.mobileconfig` bytes (unsigned, unencrypted XML plist),
    /// with the leniencies of [`Decoded::decode`], which also lists them.
    ///
    /// ```
    /// use mdm_profiles::Profile;
    ///
    /// let bytes = Profile::builder("com.example.p").build()?.encode()?;
    /// let profile = Profile::decode(&bytes)?;
    /// assert_eq!(profile.payload_identifier.as_deref(), Some("com.example.p"));
    /// # Ok::<(), mdm_profiles::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Decoded::decode`].
    pub fn decode(bytes: &[u8]) -> Result<Profile, Error> {
        decode(bytes).map(|d| d.profile)
    }
}

fn warn(path: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        severity: Severity::Warning,
        path: path.into(),
        message: message.into(),
    }
}

/// The decoder behind [`Decoded::decode`] and [`Profile::decode`].
fn decode(bytes: &[u8]) -> Result<Decoded, Error> {
    decode_with(bytes, true)
}

/// [`Decoded::decode`] with or without its one-pass path (the tests and the fuzz target
/// compare the two).
pub(crate) fn decode_with(bytes: &[u8], allow_one_pass: bool) -> Result<Decoded, Error> {
    if wrapping(bytes) == Wrapping::Signed {
        return Err(Error::Signed);
    }
    let mut leniencies = Vec::new();
    let trimmed = skip_leading(bytes);
    if trimmed.len() != bytes.len() && trimmed.starts_with(b"<") {
        leniencies.push(warn(
            "",
            format!(
                "{} byte(s) of whitespace or byte-order mark before the XML declaration",
                bytes.len() - trimmed.len()
            ),
        ));
    }
    let limits = mdm_plist::Limits {
        max_bytes: MAX_PROFILE_BYTES,
        max_depth: MAX_PROFILE_DEPTH,
    };
    // Past the size limit the lenient path gives the error, without a scan first.
    let one_pass_allowed = allow_one_pass && bytes.len() <= MAX_PROFILE_BYTES;
    if let Some(profile) = one_pass_allowed.then(|| one_pass(bytes, limits)).flatten() {
        return Ok(Decoded {
            profile,
            leniencies,
        });
    }
    lenient_path(bytes, limits, leniencies)
}

/// The path that reads any profile a device would: the plist as a [`Value`], then each part
/// typed on its own, every leniency recorded. [`one_pass`] gives the same result for the
/// profiles that need none; this path is taken for the others.
fn lenient_path(
    bytes: &[u8],
    limits: mdm_plist::Limits,
    mut leniencies: Vec<Problem>,
) -> Result<Decoded, Error> {
    let options = mdm_plist::Options {
        limits,
        allow_duplicate_keys: true,
    };
    let decoded = match mdm_plist::from_xml_bytes_with_options::<Value>(bytes, &options) {
        Ok(d) => d,
        Err(e) => {
            // PEM armor pasted into <data> (`-----END CERTIFICATE-----`): Apple's decoder
            // skips characters outside base64; we drop the armor lines and say so.
            let Some((repaired, count)) = strip_pem_armor(bytes) else {
                return Err(e.into());
            };
            let d = mdm_plist::from_xml_bytes_with_options::<Value>(&repaired, &options)
                .map_err(|_| Error::from(e))?;
            leniencies.push(warn(
                "",
                format!("{count} PEM armor line(s) inside <data> ignored"),
            ));
            d
        }
    };
    for key in &decoded.duplicate_keys {
        leniencies.push(warn(
            key.clone(),
            "key appears more than once; the last value was kept",
        ));
    }
    let Value::Dictionary(root) = decoded.value else {
        return Err(Error::NotADictionary);
    };
    from_root(root, leniencies)
}

/// Decodes a profile from its already-parsed top-level dictionary (for example the plist
/// inside a signed profile that `mdm-signing` verified).
///
/// # Errors
/// As [`Decoded::decode`], except the byte-level checks.
pub fn from_dictionary(root: Dictionary) -> Result<Decoded, Error> {
    from_root(root, Vec::new())
}

fn from_root(mut root: Dictionary, mut leniencies: Vec<Problem>) -> Result<Decoded, Error> {
    if root.contains_key("EncryptedPayloadContent") {
        return Err(Error::Encrypted);
    }
    let content = crate::support::remove_in_order(&mut root, "PayloadContent");
    let items = match content {
        Some(Value::Array(items)) => items,
        None => {
            leniencies.push(warn(
                "PayloadContent",
                "missing; read as an empty list and re-encoded as an empty array",
            ));
            Vec::new()
        }
        Some(_) => {
            return Err(Error::BadPayload {
                index: 0,
                reason: "PayloadContent is not an array".into(),
            });
        }
    };
    // The top level without its payloads, typed.
    root.insert("PayloadContent".into(), Value::Array(Vec::new()));
    let (mut profile, moved) = crate::support::lenient::<Profile>(&root)?;
    for key in crate::support::keep_extra(&mut profile.extra, moved) {
        leniencies.push(warn(
            key,
            "value does not fit the schema's type; kept as received (untyped)",
        ));
    }
    if let Ok(again) = mdm_plist::to_value(&profile) {
        diff(&Value::Dictionary(root), &again, "", &mut leniencies);
    }
    let mut payloads = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let Value::Dictionary(dict) = item else {
            return Err(Error::BadPayload {
                index,
                reason: "not a dictionary".into(),
            });
        };
        let (payload, why) =
            Payload::from_dictionary_checked(&dict).map_err(|_| Error::BadPayload {
                index,
                reason: "no PayloadType string".into(),
            })?;
        let path = format!("PayloadContent[{index}] ({})", payload.payload_type());
        match &why {
            Err(why) => leniencies.push(warn(
                path.clone(),
                format!("keys do not fit the schema, kept untyped: {why}"),
            )),
            Ok(moved) => {
                for key in moved {
                    leniencies.push(warn(
                        format!("{path}.{key}"),
                        "value does not fit the schema's type; kept as received (untyped)",
                    ));
                }
            }
        }
        if why.is_ok() && !matches!(payload, Payload::Unknown { .. }) {
            let original = Value::Dictionary(dict);
            if let Ok(Value::Dictionary(again)) = payload.to_dictionary().map(Value::Dictionary) {
                diff(&original, &Value::Dictionary(again), &path, &mut leniencies);
            }
        }
        payloads.push(payload);
    }
    profile.payload_content = payloads;
    Ok(Decoded {
        profile,
        leniencies,
    })
}

/// Records where a typed re-encoding differs from what was read (an integer read as real).
fn diff(original: &Value, again: &Value, path: &str, out: &mut Vec<Problem>) {
    if original == again {
        return;
    }
    match (original, again) {
        (Value::Dictionary(a), Value::Dictionary(b)) => {
            for (k, v) in a {
                let sub = join(path, k);
                match b.get(k) {
                    Some(w) => diff(v, w, &sub, out),
                    None => out.push(warn(sub, "dropped when re-encoded")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                diff(v, w, &format!("{path}[{i}]"), out);
            }
        }
        // The same real (NaN is not equal to itself).
        (Value::Real(a), Value::Real(b)) if a.to_bits() == b.to_bits() => {}
        (Value::Integer(_), Value::Real(_)) => out.push(warn(
            path,
            "integer where the schema says real; re-encoded as <real>",
        )),
        (a, b) => out.push(warn(
            path,
            format!("read as {} and re-encoded as {}", kind(a), kind(b)),
        )),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "array",
        Value::Dictionary(_) => "dictionary",
        Value::Boolean(_) => "boolean",
        Value::Data(_) => "data",
        Value::Date(_) => "date",
        Value::Real(_) => "real",
        Value::Integer(_) => "integer",
        Value::String(_) => "string",
        Value::Uid(_) => "uid",
        _ => "value",
    }
}

thread_local! {
    /// The payload types [`one_pass`] expects, in order, while it decodes on this thread;
    /// `None` at all other times.
    static PAYLOAD_TYPES: RefCell<Option<VecDeque<String>>> = const { RefCell::new(None) };
}

/// What [`crate::Payload`]'s `Deserialize` should do with the dictionary it is given.
pub(crate) enum Hint {
    /// No one-pass decode is running: decode the dictionary leniently, as always.
    Inactive,
    /// Decode it whole as this payload type.
    Next(String),
    /// More payloads than the scan found: fail, so the lenient path decodes the profile.
    Exhausted,
}

/// The next payload type of the one-pass decode running on this thread, if one is.
pub(crate) fn next_payload_type() -> Hint {
    PAYLOAD_TYPES.with(|cell| match cell.borrow_mut().as_mut() {
        None => Hint::Inactive,
        Some(queue) => queue.pop_front().map_or(Hint::Exhausted, Hint::Next),
    })
}

/// Clears [`PAYLOAD_TYPES`] when [`one_pass`] ends, however it ends.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        PAYLOAD_TYPES.with(|cell| cell.borrow_mut().take());
    }
}

/// Decodes a profile that needs no leniency in one pass over the bytes, straight into the
/// typed [`Profile`]: no [`Value`] tree, no per-payload re-decode, no re-encode to compare.
///
/// A payload's type is named by its `PayloadType` key, which usually comes late in the
/// dictionary, so [`scan_payload_types`] first reads the types off the tags; each payload is
/// then decoded as its type, and its own `PayloadType` must agree. `None` (take the lenient
/// path) when anything would need a leniency there: a repeated key, a value another type
/// than its field's (`converted`), a key that does not fit, a payload type the scan did not
/// find, an encrypted profile, or any error at all (the lenient path reports it).
pub(crate) fn one_pass(bytes: &[u8], limits: mdm_plist::Limits) -> Option<Profile> {
    let types = scan_payload_types(bytes)?;
    PAYLOAD_TYPES.with(|cell| cell.borrow_mut().replace(types.into()));
    let _installed = Installed;
    let options = mdm_plist::Options {
        limits,
        allow_duplicate_keys: false,
    };
    let decoded = mdm_plist::from_xml_bytes_with_options::<Profile>(bytes, &options).ok()?;
    let all_used =
        PAYLOAD_TYPES.with(|cell| cell.borrow().as_ref().is_some_and(VecDeque::is_empty));
    (all_used && decoded.converted.is_empty() && decoded.value.encrypted_payload_content.is_none())
        .then_some(decoded.value)
}

/// The `PayloadType` string of each dictionary in the top-level `PayloadContent` array, in
/// order, read off the tags without decoding values. Only a guess for [`one_pass`], which
/// checks each against the payload's own key; `None` for anything the scan does not read
/// plainly (an unclosed comment, a type with markup or an entity in it).
fn scan_payload_types(bytes: &[u8]) -> Option<Vec<String>> {
    /// What an open `<dict>` or `<array>` is.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Open {
        Dict,
        Array,
        /// The top-level `PayloadContent` array.
        Payloads,
    }
    let mut types = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut root_key_is_content = false;
    let mut at = 0;
    while let Some(lt) = bytes.get(at..).and_then(|rest| memchr::memchr(b'<', rest)) {
        let rest = bytes.get(at + lt..)?;
        let past = |end: &[u8]| memchr::memmem::find(rest, end).map(|i| i + end.len());
        let past_tag = || memchr::memchr(b'>', rest).map(|i| i + 1);
        let step = if rest.starts_with(b"<!--") {
            past(b"-->")?
        } else if rest.starts_with(b"<![CDATA[") {
            past(b"]]>")?
        } else if rest.starts_with(b"<?") {
            past(b"?>")?
        } else if open.len() >= MAX_PROFILE_DEPTH
            && (rest.starts_with(b"<dict>") || rest.starts_with(b"<array>"))
        {
            // Deeper than the decoder goes: it will refuse the profile.
            return None;
        } else if rest.starts_with(b"<dict>") {
            open.push(Open::Dict);
            b"<dict>".len()
        } else if rest.starts_with(b"<array>") {
            let payloads = open == [Open::Dict] && root_key_is_content;
            open.push(if payloads {
                Open::Payloads
            } else {
                Open::Array
            });
            b"<array>".len()
        } else if rest.starts_with(b"</dict>") || rest.starts_with(b"</array>") {
            open.pop()?;
            past_tag()?
        } else if let Some(after) = rest.strip_prefix(b"<key>") {
            let end = memchr::memchr(b'<', after)?;
            let key = after.get(..end)?;
            if open == [Open::Dict] {
                root_key_is_content = key == b"PayloadContent";
            } else if open == [Open::Dict, Open::Payloads, Open::Dict] && key == b"PayloadType" {
                types.push(scan_string(after.get(end..)?)?);
            }
            b"<key>".len() + end
        } else {
            past_tag()?
        };
        at += lt + step;
    }
    Some(types)
}

/// The text of the `<string>` that follows a `</key>` (after XML white space).
fn scan_string(after_key: &[u8]) -> Option<String> {
    let rest = after_key.strip_prefix(b"</key>")?;
    let blank = rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count();
    let rest = rest.get(blank..)?.strip_prefix(b"<string>")?;
    let end = memchr::memchr(b'<', rest)?;
    let text = rest.get(..end)?;
    if text.contains(&b'&') || !rest.get(end..)?.starts_with(b"</string>") {
        return None;
    }
    String::from_utf8(text.to_vec()).ok()
}

fn skip_leading(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    b.get(n..).unwrap_or(b)
}

/// Removes `-----BEGIN ...-----` / `-----END ...-----` markers that sit inside `<data>`
/// elements. `None` when there are none.
fn strip_pem_armor(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut count = 0;
    let mut rest = bytes;
    while let Some(open) = find(rest, b"<data>") {
        let (head, tail) = rest.split_at(open + b"<data>".len());
        out.extend_from_slice(head);
        let close = find(tail, b"</data>")?;
        let (body, after) = tail.split_at(close);
        let mut body = body;
        while let Some(start) = find(body, b"-----") {
            let (keep, marker) = body.split_at(start);
            out.extend_from_slice(keep);
            let inner = marker.get(5..).unwrap_or_default();
            let Some(end) = find(inner, b"-----") else {
                body = marker;
                break;
            };
            let label = inner.get(..end).unwrap_or_default();
            if !(label.starts_with(b"BEGIN ") || label.starts_with(b"END ")) {
                return None;
            }
            count += 1;
            body = inner.get(end + 5..).unwrap_or_default();
        }
        out.extend_from_slice(body);
        rest = after;
    }
    out.extend_from_slice(rest);
    (count > 0).then_some((out, count))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
