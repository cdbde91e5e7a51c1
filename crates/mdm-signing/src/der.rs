//! A small, panic-free BER/DER reader: just enough to list the certificates and count the
//! signers of a SignedData that OpenSSL's PKCS#7 decoder does not accept (CMS version 3,
//! signers named by subject key identifier, as Apple's profile signing uses).
//!
//! It reads single-byte and multi-byte tags, short and long definite lengths, and
//! indefinite lengths (BER, as macOS tools write), with a nesting limit.

/// Deepest nesting followed (far beyond what a SignedData needs).
const MAX_DEPTH: usize = 32;

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The first identifier octet (class, constructed bit and low tag number).
    pub(crate) tag: u8,
    /// The contents (without the end-of-contents octets of an indefinite length).
    pub(crate) value: &'a [u8],
    /// The whole element, header to end.
    pub(crate) raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// The children of a constructed element.
    pub(crate) fn children(&self) -> Option<Vec<Tlv<'a>>> {
        children(self.value, 1)
    }
}

/// Reads one element from the start of `input`; returns it and the rest.
pub(crate) fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    read_at(input, 0)
}

fn read_at(input: &[u8], depth: usize) -> Option<(Tlv<'_>, &[u8])> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (&tag, mut rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        // High tag number: base-128 octets, last one without the top bit.
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
    let header_len = input.len().checked_sub(rest.len())?;
    if len0 == 0x80 {
        // Indefinite length: children until the end-of-contents octets.
        if tag & 0x20 == 0 {
            return None;
        }
        let mut cursor = rest;
        loop {
            if cursor.starts_with(&[0, 0]) {
                let value_len = rest.len().checked_sub(cursor.len())?;
                let value = rest.get(..value_len)?;
                let total = header_len.checked_add(value_len)?.checked_add(2)?;
                let raw = input.get(..total)?;
                let after = input.get(total..)?;
                return Some((Tlv { tag, value, raw }, after));
            }
            let (_, next) = read_at(cursor, depth + 1)?;
            cursor = next;
        }
    }
    let len = if len0 & 0x80 == 0 {
        usize::from(len0)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n > 4 {
            return None;
        }
        let bytes = rest.get(..n)?;
        rest = rest.get(n..)?;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let header_len = input.len().checked_sub(rest.len())?;
    let value = rest.get(..len)?;
    let total = header_len.checked_add(len)?;
    let raw = input.get(..total)?;
    let after = input.get(total..)?;
    Some((Tlv { tag, value, raw }, after))
}

fn children(mut value: &[u8], depth: usize) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (t, rest) = read_at(value, depth)?;
        out.push(t);
        value = rest;
    }
    Some(out)
}

/// What the reader finds in a `signedData` ContentInfo.
#[derive(Debug, Default)]
pub(crate) struct SignedDataOutline<'a> {
    /// DER of each certificate in the `certificates` field.
    pub(crate) certificates: Vec<&'a [u8]>,
    /// Number of SignerInfo elements.
    pub(crate) signer_count: usize,
}

/// Outlines a ContentInfo holding SignedData, or `None` if the shape does not fit.
pub(crate) fn outline_signed_data(input: &[u8]) -> Option<SignedDataOutline<'_>> {
    let (ci, _) = read(input)?;
    let ci_children = ci.children()?;
    let explicit = ci_children.get(1)?;
    let sd = explicit.children()?.into_iter().next()?;
    let fields = sd.children()?;
    let mut out = SignedDataOutline::default();
    // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
    for f in fields.iter().skip(3) {
        match f.tag {
            0xa0 => {
                for c in f.children()? {
                    if c.tag == 0x30 {
                        out.certificates.push(c.raw);
                    }
                }
            }
            0x31 => out.signer_count = f.children()?.len(),
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_and_indefinite() {
        let der = [0x30, 0x03, 0x02, 0x01, 0x05];
        let (t, rest) = read(&der).unwrap();
        assert_eq!(t.tag, 0x30);
        assert_eq!(t.value, &der[2..]);
        assert!(rest.is_empty());
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0xff];
        let (t, rest) = read(&ber).unwrap();
        assert_eq!(t.value, &[0x02, 0x01, 0x05]);
        assert_eq!(t.raw.len(), 7);
        assert_eq!(rest, &[0xff]);
    }

    #[test]
    fn truncated_and_hostile_inputs() {
        assert!(read(&[]).is_none());
        assert!(read(&[0x30]).is_none());
        assert!(read(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(read(&[0x30, 0x82, 0xff, 0xff]).is_none());
        assert!(read(&[0x04, 0x80, 0x00, 0x00]).is_none());
        // Deep indefinite nesting stops at the limit instead of overflowing the stack.
        let mut deep = [0x30u8, 0x80].repeat(10_000);
        deep.extend([0u8, 0].repeat(10_000));
        assert!(read(&deep).is_none());
        assert!(outline_signed_data(&[0x30, 0x00]).is_none());
    }
}
