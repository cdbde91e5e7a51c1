//! A small, panic-free DER writer and BER/DER reader: the wire codec under the SCEP
//! structures, kept private. It reads definite and indefinite lengths with a nesting limit
//! and never allocates more than the input.

use crate::error::Error;

/// Deepest nesting followed (a PKIMessage needs about 12).
const MAX_DEPTH: usize = 40;

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;
pub(crate) const UTF8_STRING: u8 = 0x0c;
pub(crate) const PRINTABLE_STRING: u8 = 0x13;
pub(crate) const IA5_STRING: u8 = 0x16;
/// `[0]` constructed, context-specific.
pub(crate) const CTX0: u8 = 0xa0;
/// `[1]` constructed, context-specific.
pub(crate) const CTX1: u8 = 0xa1;
/// `[0]` primitive, context-specific.
pub(crate) const CTX0_PRIM: u8 = 0x80;

/// One tag-length-value element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The first identifier octet.
    pub(crate) tag: u8,
    /// The contents (without end-of-contents octets).
    pub(crate) value: &'a [u8],
    /// The whole element.
    pub(crate) raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Reads exactly one element filling `input`.
    pub(crate) fn parse_all(input: &'a [u8], what: &'static str) -> Result<Self, Error> {
        let (t, rest) = read_at(input, 0).ok_or(Error::malformed(what))?;
        if !rest.is_empty() {
            return Err(Error::malformed(what));
        }
        Ok(t)
    }

    /// Checks the tag.
    pub(crate) fn expect(self, tag: u8, what: &'static str) -> Result<Self, Error> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(Error::malformed(what))
        }
    }

    /// A reader over the children of a constructed element.
    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader { rest: self.value }
    }

    /// All children (bounded by the input length: each child is at least two bytes).
    pub(crate) fn children(&self, what: &'static str) -> Result<Vec<Tlv<'a>>, Error> {
        let mut r = self.reader();
        let mut out = Vec::new();
        while let Some(t) = r.next_any(what)? {
            out.push(t);
        }
        Ok(out)
    }

    /// The octets of an OCTET STRING, primitive or constructed (BER chunks joined).
    pub(crate) fn octets(&self, what: &'static str) -> Result<Vec<u8>, Error> {
        match self.tag {
            OCTET_STRING => Ok(self.value.to_vec()),
            0x24 => {
                let mut out = Vec::new();
                for c in self.children(what)? {
                    out.extend(c.expect(OCTET_STRING, what)?.value);
                }
                Ok(out)
            }
            _ => Err(Error::malformed(what)),
        }
    }
}

/// Reads consecutive elements.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// The next element of any tag, or `None` at the end.
    pub(crate) fn next_any(&mut self, what: &'static str) -> Result<Option<Tlv<'a>>, Error> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let (t, rest) = read_at(self.rest, 1).ok_or(Error::malformed(what))?;
        self.rest = rest;
        Ok(Some(t))
    }

    /// The next element, which must exist and have this tag.
    pub(crate) fn next(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, Error> {
        self.next_any(what)?
            .ok_or(Error::malformed(what))?
            .expect(tag, what)
    }

    /// The next element if it has this tag; otherwise nothing is consumed.
    pub(crate) fn optional(
        &mut self,
        tag: u8,
        what: &'static str,
    ) -> Result<Option<Tlv<'a>>, Error> {
        if self.rest.first() != Some(&tag) {
            return Ok(None);
        }
        self.next_any(what)
    }
}

fn read_at(input: &[u8], depth: usize) -> Option<(Tlv<'_>, &[u8])> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (&tag, mut rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        // High tag numbers do not occur in SCEP; refuse rather than guess.
        return None;
    }
    let (&len0, r) = rest.split_first()?;
    rest = r;
    if len0 == 0x80 {
        if tag & 0x20 == 0 {
            return None;
        }
        let mut cursor = rest;
        loop {
            if cursor.starts_with(&[0, 0]) {
                let value_len = rest.len().checked_sub(cursor.len())?;
                let value = rest.get(..value_len)?;
                let header_len = input.len().checked_sub(rest.len())?;
                let total = header_len.checked_add(value_len)?.checked_add(2)?;
                return Some((
                    Tlv {
                        tag,
                        value,
                        raw: input.get(..total)?,
                    },
                    input.get(total..)?,
                ));
            }
            let (_, next) = read_at(cursor, depth + 1)?;
            cursor = next;
        }
    }
    let len = if len0 & 0x80 == 0 {
        usize::from(len0)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 {
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
    Some((
        Tlv {
            tag,
            value,
            raw: input.get(..total)?,
        },
        input.get(total..)?,
    ))
}

/// Encodes one element.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(len + 6);
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
pub(crate) fn cons(tag: u8, children: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &children.concat())
}

/// A SEQUENCE.
pub(crate) fn seq(children: &[&[u8]]) -> Vec<u8> {
    cons(SEQUENCE, children)
}

/// A SET OF in DER order (elements sorted by their encodings).
pub(crate) fn set_of(mut children: Vec<Vec<u8>>) -> Vec<u8> {
    children.sort();
    tlv(SET, &children.concat())
}

/// A small non-negative INTEGER.
pub(crate) fn small_int(v: u8) -> Vec<u8> {
    if v & 0x80 == 0 {
        tlv(INTEGER, &[v])
    } else {
        tlv(INTEGER, &[0, v])
    }
}

/// An OBJECT IDENTIFIER element from its content octets.
pub(crate) fn oid(content: &[u8]) -> Vec<u8> {
    tlv(OID, content)
}

/// An AlgorithmIdentifier with NULL or absent parameters.
pub(crate) fn alg_id(oid_content: &[u8], null_params: bool) -> Vec<u8> {
    if null_params {
        seq(&[&oid(oid_content), &[NULL, 0]])
    } else {
        seq(&[&oid(oid_content)])
    }
}

/// Dotted text of an OID's content octets, for messages.
pub(crate) fn oid_text(content: &[u8]) -> String {
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

/// OID content octets, named after the specification that assigns them.
pub(crate) mod oids {
    /// id-data, 1.2.840.113549.1.7.1
    pub(crate) const DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    /// id-signedData, 1.2.840.113549.1.7.2
    pub(crate) const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    /// id-envelopedData, 1.2.840.113549.1.7.3
    pub(crate) const ENVELOPED_DATA: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03];
    /// id-contentType, 1.2.840.113549.1.9.3
    pub(crate) const CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
    /// id-messageDigest, 1.2.840.113549.1.9.4
    pub(crate) const MESSAGE_DIGEST: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
    /// challengePassword, 1.2.840.113549.1.9.7
    pub(crate) const CHALLENGE_PASSWORD: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07];
    /// rsaEncryption, 1.2.840.113549.1.1.1
    pub(crate) const RSA_ENCRYPTION: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// sha1WithRSAEncryption, 1.2.840.113549.1.1.5
    pub(crate) const SHA1_WITH_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
    /// sha256WithRSAEncryption, 1.2.840.113549.1.1.11
    pub(crate) const SHA256_WITH_RSA: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
    /// sha512WithRSAEncryption, 1.2.840.113549.1.1.13
    pub(crate) const SHA512_WITH_RSA: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
    /// ecdsa-with-SHA1, 1.2.840.10045.4.1
    pub(crate) const ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
    /// ecdsa-with-SHA256, 1.2.840.10045.4.3.2
    pub(crate) const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    /// ecdsa-with-SHA512, 1.2.840.10045.4.3.4
    pub(crate) const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
    /// id-ecPublicKey, 1.2.840.10045.2.1
    pub(crate) const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// id-sha1, 1.3.14.3.2.26
    pub(crate) const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
    /// id-sha256, 2.16.840.1.101.3.4.2.1
    pub(crate) const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// id-sha512, 2.16.840.1.101.3.4.2.3
    pub(crate) const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
    /// desCBC, 1.3.14.3.2.7
    pub(crate) const DES_CBC: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x07];
    /// des-ede3-cbc, 1.2.840.113549.3.7
    pub(crate) const DES_EDE3_CBC: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07];
    /// aes128-CBC, 2.16.840.1.101.3.4.1.2
    pub(crate) const AES128_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02];
    /// aes256-CBC, 2.16.840.1.101.3.4.1.42
    pub(crate) const AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];

    /// The SCEP attribute arc 2.16.840.1.113733.1.9 (RFC 8894, section 3.2.1).
    const SCEP_ARC: [u8; 9] = [0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09];
    const fn scep(n: u8) -> [u8; 10] {
        let a = SCEP_ARC;
        [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], n]
    }
    /// id-messageType, 2.16.840.1.113733.1.9.2
    pub(crate) const MESSAGE_TYPE: &[u8] = &scep(2);
    /// id-pkiStatus, 2.16.840.1.113733.1.9.3
    pub(crate) const PKI_STATUS: &[u8] = &scep(3);
    /// id-failInfo, 2.16.840.1.113733.1.9.4
    pub(crate) const FAIL_INFO: &[u8] = &scep(4);
    /// id-senderNonce, 2.16.840.1.113733.1.9.5
    pub(crate) const SENDER_NONCE: &[u8] = &scep(5);
    /// id-recipientNonce, 2.16.840.1.113733.1.9.6
    pub(crate) const RECIPIENT_NONCE: &[u8] = &scep(6);
    /// id-transactionID, 2.16.840.1.113733.1.9.7
    pub(crate) const TRANSACTION_ID: &[u8] = &scep(7);
    /// id-pkix-scep-failInfoText, 1.3.6.1.5.5.7.24.1
    pub(crate) const FAIL_INFO_TEXT: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x18, 0x01];
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
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
        }
        let mut deep = [0x30u8, 0x80].repeat(10_000);
        deep.extend([0u8, 0].repeat(10_000));
        assert!(Tlv::parse_all(&deep, "x").is_err());
    }

    #[test]
    fn oid_texts() {
        assert_eq!(oid_text(oids::MESSAGE_TYPE), "2.16.840.1.113733.1.9.2");
        assert_eq!(oid_text(oids::AES256_CBC), "2.16.840.1.101.3.4.1.42");
        assert_eq!(oid_text(oids::SHA1), "1.3.14.3.2.26");
    }
}
