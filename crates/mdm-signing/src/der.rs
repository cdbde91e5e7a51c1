//! A small DER writer and BER/DER reader, for the CMS and SCEP structures that OpenSSL's
//! safe API does not reach: listing the certificates of a SignedData whose signers are named
//! by subject key identifier, and reading and writing SCEP's signed attributes (`mdm-scep`
//! builds on this module).
//!
//! It is deliberately low level: it knows identifier octets, lengths and contents, not what
//! they mean. Most callers want [`verify`](crate::verify) and its siblings instead.
//!
//! # What the reader accepts
//!
//! - Low tag numbers (0 to 30) in any class. A tag number of 31 or more (several identifier
//!   octets) is refused rather than folded into [`Tlv::tag`], which holds one octet, unless
//!   [`Limits::accept_high_tag_numbers`] says otherwise.
//! - Short and long definite lengths (long ones up to [`MAX_LENGTH_OCTETS`] octets, not
//!   checked for minimal form), and indefinite lengths on constructed elements (BER, as macOS
//!   tools write).
//! - Constructed OCTET STRINGs in [`Tlv::octets`], whose chunks it joins.
//!
//! # Bounds
//!
//! The reader never panics and never trusts a length: every length is checked against the
//! bytes present before anything is sliced, so what it allocates grows at most linearly with
//! its input (an element takes at least two bytes). It parses an element's contents only when asked ([`Tlv::reader`],
//! [`Tlv::children`]), except for indefinite lengths, whose end it must find by walking the
//! nested elements; that walk stops at [`Limits::max_depth`] levels ([`MAX_DEPTH`] unless
//! the caller chose otherwise), which bounds its recursion.
//!
//! Errors are [`Error::Malformed`] naming the structure the caller said it was reading.
//!
//! ```
//! use mdm_signing::der::{self, Tlv};
//!
//! # fn main() -> Result<(), mdm_signing::Error> {
//! let encoded = der::seq(&[&der::small_int(5), &der::tlv(der::OCTET_STRING, b"abc")]);
//! let outer = Tlv::parse_all(&encoded, "example")?.expect(der::SEQUENCE, "example")?;
//! let mut fields = outer.reader();
//! assert_eq!(fields.next(der::INTEGER, "example")?.value, [5]);
//! assert_eq!(fields.next(der::OCTET_STRING, "example")?.value, b"abc");
//! assert!(fields.next_any("example")?.is_none());
//! # Ok(())
//! # }
//! ```

use crate::error::Error;

/// How many indefinite-length elements, one inside the other, the reader follows below the
/// element it is asked for, unless [`Limits::max_depth`] says otherwise (a SCEP PKIMessage
/// from BER tools needs about 12, a signed profile fewer). Deeper input is malformed.
pub const MAX_DEPTH: usize = 40;

/// The most octets a long-form length may take: four, so one element's contents are under
/// 4 GiB. A longer length field is malformed; a length that passes is still checked against
/// the bytes actually present.
pub const MAX_LENGTH_OCTETS: usize = 4;

/// Identifier octet of a SEQUENCE (constructed).
pub const SEQUENCE: u8 = 0x30;
/// Identifier octet of a SET (constructed).
pub const SET: u8 = 0x31;
/// Identifier octet of an INTEGER.
pub const INTEGER: u8 = 0x02;
/// Identifier octet of a BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// Identifier octet of a primitive OCTET STRING (`0x24` is the constructed form).
pub const OCTET_STRING: u8 = 0x04;
/// Identifier octet of NULL.
pub const NULL: u8 = 0x05;
/// Identifier octet of an OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// Identifier octet of a UTF8String.
pub const UTF8_STRING: u8 = 0x0c;
/// Identifier octet of a PrintableString.
pub const PRINTABLE_STRING: u8 = 0x13;
/// Identifier octet of an IA5String.
pub const IA5_STRING: u8 = 0x16;
/// `[0]` constructed, context-specific.
pub const CTX0: u8 = 0xa0;
/// `[1]` constructed, context-specific.
pub const CTX1: u8 = 0xa1;
/// `[0]` primitive, context-specific.
pub const CTX0_PRIM: u8 = 0x80;

/// Identifier octet of a constructed OCTET STRING (BER chunks).
const OCTET_STRING_CONSTRUCTED: u8 = 0x24;

/// What the reader accepts, for [`Tlv::parse_with`]; the elements it returns, and their
/// children, are read with the same limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How many indefinite-length elements, one inside the other, are followed below the
    /// element asked for (default [`MAX_DEPTH`]).
    pub max_depth: usize,
    /// Whether an identifier with a tag number of 31 or more is read instead of refused
    /// (default `false`). [`Tlv::tag`] then holds only its first octet, so all such tags of
    /// one class and form look alike: meant for walking a structure another decoder has
    /// already accepted, where only the low tags matter.
    pub accept_high_tag_numbers: bool,
}

impl Limits {
    /// The defaults: [`MAX_DEPTH`] levels, high tag numbers refused.
    pub const DEFAULT: Limits = Limits {
        max_depth: MAX_DEPTH,
        accept_high_tag_numbers: false,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// One element as read: its identifier octet, its contents and the whole encoding. Both
/// slices borrow from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet: class (top two bits), constructed bit (`0x20`) and tag number.
    pub tag: u8,
    /// The contents, without the end-of-contents octets of an indefinite length.
    pub value: &'a [u8],
    /// The whole element, identifier octet to the end of the contents.
    pub raw: &'a [u8],
    /// What its children are read with.
    limits: Limits,
}

impl<'a> Tlv<'a> {
    /// Reads the element at the start of `input` and returns it with the bytes after it.
    /// `what` names the structure for the error.
    ///
    /// # Errors
    /// [`Error::Malformed`] if no whole element starts `input`.
    pub fn parse(input: &'a [u8], what: &'static str) -> Result<(Self, &'a [u8]), Error> {
        Self::parse_with(input, &Limits::DEFAULT, what)
    }

    /// [`Tlv::parse`] with other [`Limits`].
    ///
    /// # Errors
    /// [`Error::Malformed`] if no whole element within the limits starts `input`.
    pub fn parse_with(
        input: &'a [u8],
        limits: &Limits,
        what: &'static str,
    ) -> Result<(Self, &'a [u8]), Error> {
        read_at(input, 0, *limits).ok_or_else(|| malformed(what))
    }

    /// Reads exactly one element filling `input`.
    ///
    /// # Errors
    /// [`Error::Malformed`] if `input` is not one whole element (bytes left over included).
    pub fn parse_all(input: &'a [u8], what: &'static str) -> Result<Self, Error> {
        let (t, rest) = Self::parse(input, what)?;
        if !rest.is_empty() {
            return Err(malformed(what));
        }
        Ok(t)
    }

    /// Returns the element if it has this identifier octet.
    ///
    /// # Errors
    /// [`Error::Malformed`] for another tag.
    pub fn expect(self, tag: u8, what: &'static str) -> Result<Self, Error> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(malformed(what))
        }
    }

    /// A reader over the elements in the contents (of a constructed element).
    pub fn reader(&self) -> Reader<'a> {
        Reader {
            rest: self.value,
            limits: self.limits,
        }
    }

    /// All elements in the contents. The list is bounded by the input: each element takes
    /// at least two bytes.
    ///
    /// # Errors
    /// [`Error::Malformed`] if the contents are not a run of whole elements.
    pub fn children(&self, what: &'static str) -> Result<Vec<Tlv<'a>>, Error> {
        let mut r = self.reader();
        let mut out = Vec::new();
        while let Some(t) = r.next_any(what)? {
            out.push(t);
        }
        Ok(out)
    }

    /// The octets of an OCTET STRING, primitive or constructed (the BER chunks joined).
    ///
    /// # Errors
    /// [`Error::Malformed`] for another tag, or a chunk that is not a primitive OCTET STRING.
    pub fn octets(&self, what: &'static str) -> Result<Vec<u8>, Error> {
        match self.tag {
            OCTET_STRING => Ok(self.value.to_vec()),
            OCTET_STRING_CONSTRUCTED => {
                let mut out = Vec::new();
                for c in self.children(what)? {
                    out.extend(c.expect(OCTET_STRING, what)?.value);
                }
                Ok(out)
            }
            _ => Err(malformed(what)),
        }
    }
}

/// Reads the elements of a constructed element's contents one after another (from
/// [`Tlv::reader`]).
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    limits: Limits,
}

impl<'a> Reader<'a> {
    /// The next element of any tag, or `None` at the end.
    ///
    /// # Errors
    /// [`Error::Malformed`] if the bytes left do not start with a whole element.
    pub fn next_any(&mut self, what: &'static str) -> Result<Option<Tlv<'a>>, Error> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let (t, rest) = read_at(self.rest, 1, self.limits).ok_or_else(|| malformed(what))?;
        self.rest = rest;
        Ok(Some(t))
    }

    /// The next element, which must exist and have this identifier octet.
    ///
    /// # Errors
    /// [`Error::Malformed`] at the end, for another tag or for a broken element.
    pub fn next(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, Error> {
        self.next_any(what)?
            .ok_or_else(|| malformed(what))?
            .expect(tag, what)
    }

    /// The next element if it has this identifier octet; otherwise nothing is consumed.
    ///
    /// # Errors
    /// [`Error::Malformed`] if the tag matches but the element is broken.
    pub fn optional(&mut self, tag: u8, what: &'static str) -> Result<Option<Tlv<'a>>, Error> {
        if self.rest.first() != Some(&tag) {
            return Ok(None);
        }
        self.next_any(what)
    }
}

fn malformed(what: &'static str) -> Error {
    Error::Malformed(what.to_owned())
}

/// Reads one element at nesting `depth` (counted in indefinite-length levels).
fn read_at(input: &[u8], depth: usize, limits: Limits) -> Option<(Tlv<'_>, &[u8])> {
    if depth > limits.max_depth {
        return None;
    }
    let (&tag, mut rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        // A tag number of 31 or more: `tag` cannot tell them apart, so refuse unless asked
        // not to; then skip the base-128 octets of the number (the last has no top bit).
        if !limits.accept_high_tag_numbers {
            return None;
        }
        loop {
            let (&b, r) = rest.split_first()?;
            rest = r;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let (&len0, r) = rest.split_first()?;
    rest = r;
    // The contents and the length of the whole element.
    let (value, total) = if len0 == 0x80 {
        // Indefinite length (constructed only): elements up to the end-of-contents octets.
        if tag & 0x20 == 0 {
            return None;
        }
        let mut cursor = rest;
        while !cursor.starts_with(&[0, 0]) {
            let (_, next) = read_at(cursor, depth + 1, limits)?;
            cursor = next;
        }
        let value_len = rest.len().checked_sub(cursor.len())?;
        let header_len = input.len().checked_sub(rest.len())?;
        let total = header_len.checked_add(value_len)?.checked_add(2)?;
        (rest.get(..value_len)?, total)
    } else {
        let len = if len0 & 0x80 == 0 {
            usize::from(len0)
        } else {
            let n = usize::from(len0 & 0x7f);
            if n == 0 || n > MAX_LENGTH_OCTETS {
                return None;
            }
            let bytes = rest.get(..n)?;
            rest = rest.get(n..)?;
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        let header_len = input.len().checked_sub(rest.len())?;
        (rest.get(..len)?, header_len.checked_add(len)?)
    };
    let tlv = Tlv {
        tag,
        value,
        raw: input.get(..total)?,
        limits,
    };
    Some((tlv, input.get(total..)?))
}

/// Encodes one element with a definite, minimal (DER) length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(len.saturating_add(10));
    out.push(tag);
    if len < 0x80 {
        out.extend(len.to_be_bytes().last());
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        // At most 8 length octets (a usize), so 0x80 | n is one octet.
        out.push(0x80 | u8::try_from(significant.len()).unwrap_or(8));
        out.extend(significant);
    }
    out.extend(content);
    out
}

/// A constructed element from already-encoded children.
pub fn cons(tag: u8, children: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &children.concat())
}

/// A SEQUENCE of already-encoded children.
pub fn seq(children: &[&[u8]]) -> Vec<u8> {
    cons(SEQUENCE, children)
}

/// A SET OF in DER order (the encoded elements sorted).
pub fn set_of(mut children: Vec<Vec<u8>>) -> Vec<u8> {
    children.sort();
    tlv(SET, &children.concat())
}

/// A small non-negative INTEGER.
pub fn small_int(v: u8) -> Vec<u8> {
    if v & 0x80 == 0 {
        tlv(INTEGER, &[v])
    } else {
        tlv(INTEGER, &[0, v])
    }
}

/// An OBJECT IDENTIFIER element from its content octets.
pub fn oid(content: &[u8]) -> Vec<u8> {
    tlv(OID, content)
}

/// An AlgorithmIdentifier: the OID, then NULL parameters or none.
pub fn alg_id(oid_content: &[u8], null_params: bool) -> Vec<u8> {
    if null_params {
        seq(&[&oid(oid_content), &[NULL, 0]])
    } else {
        seq(&[&oid(oid_content)])
    }
}

/// The dotted text of an OID's content octets (`2.16.840.1.101.3.4.2.1`), for messages. It
/// stops after 64 arcs and never fails: arcs wider than 64 bits come out wrong, not as a
/// panic.
pub fn oid_text(content: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in content {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() {
                let first = if acc < 80 { acc / 40 } else { 2 };
                parts.push(first);
                parts.push(acc - first * 40);
            } else {
                parts.push(acc);
            }
            acc = 0;
        }
        if parts.len() > 64 {
            break;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let e = tlv(OCTET_STRING, &vec![7u8; n]);
            let t = Tlv::parse_all(&e, "x").unwrap();
            assert_eq!(t.value.len(), n);
        }
    }

    #[test]
    fn definite_and_indefinite() {
        let der = [0x30, 0x03, 0x02, 0x01, 0x05];
        let (t, rest) = Tlv::parse(&der, "x").unwrap();
        assert_eq!(t.tag, 0x30);
        assert_eq!(t.value, &der[2..]);
        assert!(rest.is_empty());
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0xff];
        let (t, rest) = Tlv::parse(&ber, "x").unwrap();
        assert_eq!(t.value, &[0x02, 0x01, 0x05]);
        assert_eq!(t.raw.len(), 7);
        assert_eq!(rest, &[0xff]);
        assert!(Tlv::parse_all(&ber, "x").is_err());
    }

    #[test]
    fn hostile_inputs() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x82, 0xff, 0xff],
            &[0x04, 0x80, 0, 0],
            &[0x1f, 0x01, 0x00],
        ] {
            assert!(Tlv::parse_all(bad, "x").is_err());
            assert!(Tlv::parse(bad, "x").is_err());
        }
        // Deep indefinite nesting stops at the limit instead of overflowing the stack.
        let mut deep = [0x30u8, 0x80].repeat(10_000);
        deep.extend([0u8, 0].repeat(10_000));
        assert!(Tlv::parse_all(&deep, "x").is_err());
        assert_eq!(
            Tlv::parse_all(&[0x30], "signerInfo").unwrap_err(),
            Error::Malformed("signerInfo".to_owned())
        );
    }

    fn nested(levels: usize) -> Vec<u8> {
        let mut v = [0x30u8, 0x80].repeat(levels);
        v.extend([0u8, 0].repeat(levels));
        v
    }

    #[test]
    fn depth_limit_is_exact() {
        // The outer element is at depth 0, so MAX_DEPTH + 1 levels in all are read.
        assert!(Tlv::parse_all(&nested(MAX_DEPTH + 1), "x").is_ok());
        assert!(Tlv::parse_all(&nested(MAX_DEPTH + 2), "x").is_err());
        let shallow = Limits {
            max_depth: 3,
            ..Limits::DEFAULT
        };
        assert!(Tlv::parse_with(&nested(4), &shallow, "x").is_ok());
        assert!(Tlv::parse_with(&nested(5), &shallow, "x").is_err());
        // Children of a definite element start one level down and keep the limits.
        let wrapped = seq(&[&nested(3)]);
        let (outer, _) = Tlv::parse_with(&wrapped, &shallow, "x").unwrap();
        assert!(outer.children("x").is_ok());
        let wrapped = seq(&[&nested(4)]);
        let (outer, _) = Tlv::parse_with(&wrapped, &shallow, "x").unwrap();
        assert!(outer.children("x").is_err());
        assert!(Tlv::parse_all(&wrapped, "x").unwrap().children("x").is_ok());
    }

    #[test]
    fn high_tag_numbers_only_when_accepted() {
        // [PRIVATE 4] in high-tag form, inside an indefinite SEQUENCE, then [APPLICATION 300].
        let ber = [
            0x30, 0x80, 0xdf, 0x04, 0x01, 0xaa, 0x00, 0x00, 0x5f, 0x82, 0x2c, 0x00,
        ];
        assert!(Tlv::parse(&ber, "x").is_err());
        let lenient = Limits {
            accept_high_tag_numbers: true,
            ..Limits::DEFAULT
        };
        let (t, rest) = Tlv::parse_with(&ber, &lenient, "x").unwrap();
        assert_eq!(t.value, &[0xdf, 0x04, 0x01, 0xaa]);
        let child = t.children("x").unwrap()[0];
        assert_eq!((child.tag, child.value), (0xdf, &[0xaa][..]));
        let (next, rest) = Tlv::parse_with(rest, &lenient, "x").unwrap();
        assert_eq!((next.tag, next.value, rest), (0x5f, &[][..], &[][..]));
        // A tag number that never ends.
        assert!(Tlv::parse_with(&[0x1f, 0x81, 0x81], &lenient, "x").is_err());
    }

    #[test]
    fn oid_texts() {
        assert_eq!(
            oid_text(&[0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x02]),
            "2.16.840.1.113733.1.9.2"
        );
        assert_eq!(oid_text(&[0x2b, 0x0e, 0x03, 0x02, 0x1a]), "1.3.14.3.2.26");
        assert_eq!(oid_text(&[]), "");
    }

    #[test]
    fn constructed_octet_string_joins_chunks() {
        let ber = cons(
            OCTET_STRING_CONSTRUCTED,
            &[&tlv(OCTET_STRING, b"ab"), &tlv(OCTET_STRING, b"c")],
        );
        assert_eq!(
            Tlv::parse_all(&ber, "x").unwrap().octets("x").unwrap(),
            b"abc"
        );
        let wrong_chunk = cons(OCTET_STRING_CONSTRUCTED, &[&tlv(INTEGER, &[1])]);
        assert!(
            Tlv::parse_all(&wrong_chunk, "x")
                .unwrap()
                .octets("x")
                .is_err()
        );
    }

    /// A tree of elements with low tag numbers (1 to 30: 0 would read as end-of-contents).
    #[derive(Debug, Clone)]
    enum Node {
        Primitive(u8, Vec<u8>),
        Constructed(u8, Vec<Node>),
    }

    fn identifier(class: u8, number: u8, constructed: bool) -> u8 {
        (class << 6) | (if constructed { 0x20 } else { 0 }) | number
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = (
            0u8..4,
            1u8..31,
            proptest::collection::vec(any::<u8>(), 0..300),
        )
            .prop_map(|(c, n, v)| Node::Primitive(identifier(c, n, false), v));
        leaf.prop_recursive(6, 64, 6, |inner| {
            (0u8..4, 1u8..31, proptest::collection::vec(inner, 0..6))
                .prop_map(|(c, n, kids)| Node::Constructed(identifier(c, n, true), kids))
        })
    }

    /// DER (definite lengths, through the writer) or BER (indefinite lengths on every
    /// constructed element, written by hand).
    fn encode(node: &Node, indefinite: bool) -> Vec<u8> {
        match node {
            Node::Primitive(tag, v) => tlv(*tag, v),
            Node::Constructed(tag, kids) => {
                let kids: Vec<Vec<u8>> = kids.iter().map(|k| encode(k, indefinite)).collect();
                if indefinite {
                    let mut out = vec![*tag, 0x80];
                    out.extend(kids.concat());
                    out.extend([0, 0]);
                    out
                } else {
                    let refs: Vec<&[u8]> = kids.iter().map(Vec::as_slice).collect();
                    cons(*tag, &refs)
                }
            }
        }
    }

    fn assert_same(t: Tlv<'_>, node: &Node) {
        match node {
            Node::Primitive(tag, v) => {
                assert_eq!(t.tag, *tag);
                assert_eq!(t.value, v.as_slice());
            }
            Node::Constructed(tag, kids) => {
                assert_eq!(t.tag, *tag);
                let read = t.children("x").unwrap();
                assert_eq!(read.len(), kids.len());
                for (r, k) in read.into_iter().zip(kids) {
                    assert_same(r, k);
                }
            }
        }
    }

    /// Reads everything reachable from `t` the way a caller might, ignoring errors.
    fn walk(t: Tlv<'_>, budget: &mut usize) {
        let _ = t.octets("x");
        let _ = t.expect(SEQUENCE, "x");
        let mut r = t.reader();
        let _ = r.clone().optional(SET, "x");
        let _ = r.clone().next(INTEGER, "x");
        while *budget > 0 {
            *budget -= 1;
            match r.next_any("x") {
                Ok(Some(child)) => walk(child, budget),
                _ => break,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = oid_text(&bytes);
            let lenient = Limits { accept_high_tag_numbers: true, ..Limits::DEFAULT };
            for limits in [Limits::DEFAULT, lenient] {
                match Tlv::parse_with(&bytes, &limits, "x") {
                    Ok((t, rest)) => {
                        prop_assert_eq!(t.raw.len() + rest.len(), bytes.len());
                        prop_assert!(bytes.starts_with(t.raw));
                        prop_assert!(t.value.len() < t.raw.len());
                        walk(t, &mut 4096);
                    }
                    Err(e) => prop_assert_eq!(e, Error::Malformed("x".to_owned())),
                }
            }
            // Refusing high tag numbers only ever refuses more.
            if let Ok((t, rest)) = Tlv::parse(&bytes, "x") {
                prop_assert_eq!(Tlv::parse_all(&bytes, "x").is_ok(), rest.is_empty());
                let (l, _) = Tlv::parse_with(&bytes, &lenient, "x").unwrap();
                prop_assert_eq!(l.raw, t.raw);
            }
        }

        #[test]
        fn der_prefixed_bytes_never_panic(
            tag in any::<u8>(),
            len in proptest::collection::vec(any::<u8>(), 0..6),
            tail in proptest::collection::vec(any::<u8>(), 0..512),
        ) {
            let mut bytes = vec![tag];
            bytes.extend(len);
            bytes.extend(tail);
            let lenient = Limits { accept_high_tag_numbers: true, ..Limits::DEFAULT };
            for limits in [Limits::DEFAULT, lenient] {
                if let Ok((t, _)) = Tlv::parse_with(&bytes, &limits, "x") {
                    walk(t, &mut 4096);
                }
            }
        }

        #[test]
        fn encode_then_decode_round_trips(tree in node()) {
            for indefinite in [false, true] {
                let bytes = encode(&tree, indefinite);
                let t = Tlv::parse_all(&bytes, "x").unwrap();
                prop_assert_eq!(t.raw, bytes.as_slice());
                assert_same(t, &tree);
            }
        }

        #[test]
        fn set_of_is_sorted_and_reads_back(
            items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..8),
        ) {
            let encoded: Vec<Vec<u8>> = items.iter().map(|v| tlv(OCTET_STRING, v)).collect();
            let set = set_of(encoded.clone());
            let read = Tlv::parse_all(&set, "x").unwrap().expect(SET, "x").unwrap();
            let raws: Vec<&[u8]> = read.children("x").unwrap().iter().map(|c| c.raw).collect();
            let mut sorted = encoded;
            sorted.sort();
            prop_assert_eq!(raws, sorted.iter().map(Vec::as_slice).collect::<Vec<_>>());
        }

        #[test]
        fn chunked_octet_strings_join(
            data in proptest::collection::vec(any::<u8>(), 0..600),
            cut in 1usize..64,
        ) {
            let chunks: Vec<Vec<u8>> = data.chunks(cut).map(|c| tlv(OCTET_STRING, c)).collect();
            let refs: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
            let ber = cons(OCTET_STRING_CONSTRUCTED, &refs);
            prop_assert_eq!(Tlv::parse_all(&ber, "x").unwrap().octets("x").unwrap(), data);
        }

        #[test]
        fn small_ints_read_back(v in any::<u8>()) {
            let e = small_int(v);
            let t = Tlv::parse_all(&e, "x").unwrap().expect(INTEGER, "x").unwrap();
            let n = t.value.iter().fold(0u16, |acc, &b| (acc << 8) | u16::from(b));
            prop_assert_eq!(n, u16::from(v));
            prop_assert!(t.value.first().is_some_and(|b| b & 0x80 == 0));
        }
    }
}
