//! The wire codec under the SCEP structures: [`mdm_signing::der`] (shared with the CMS code
//! of `mdm-signing`, where its bounds are documented), with its errors turned into this
//! crate's [`Error::Malformed`], and the object identifiers SCEP uses.
//!
//! The reading types here only wrap the shared ones, so that every `?` in this crate yields
//! `Error::Malformed { what }` and never goes through `From<mdm_signing::Error>`.

use mdm_signing::der;

use crate::error::Error;

pub(crate) use mdm_signing::der::{
    BIT_STRING, CTX0, CTX0_PRIM, CTX1, IA5_STRING, INTEGER, OCTET_STRING, OID, PRINTABLE_STRING,
    SEQUENCE, SET, UTF8_STRING, alg_id, oid, oid_text, seq, set_of, small_int, tlv,
};

/// One tag-length-value element (a [`der::Tlv`] with this crate's errors).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The first identifier octet.
    pub(crate) tag: u8,
    /// The contents (without end-of-contents octets).
    pub(crate) value: &'a [u8],
    /// The whole element.
    pub(crate) raw: &'a [u8],
    inner: der::Tlv<'a>,
}

impl<'a> Tlv<'a> {
    /// Reads exactly one element filling `input`.
    pub(crate) fn parse_all(input: &'a [u8], what: &'static str) -> Result<Self, Error> {
        der::Tlv::parse_all(input, what)
            .map(Self::from)
            .map_err(|_| Error::malformed(what))
    }

    /// Checks the tag.
    pub(crate) fn expect(self, tag: u8, what: &'static str) -> Result<Self, Error> {
        self.inner
            .expect(tag, what)
            .map(Self::from)
            .map_err(|_| Error::malformed(what))
    }

    /// A reader over the children of a constructed element.
    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader(self.inner.reader())
    }

    /// All children (bounded by the input length: each child is at least two bytes).
    pub(crate) fn children(&self, what: &'static str) -> Result<Vec<Tlv<'a>>, Error> {
        self.inner
            .children(what)
            .map(|c| c.into_iter().map(Self::from).collect())
            .map_err(|_| Error::malformed(what))
    }

    /// The octets of an OCTET STRING, primitive or constructed (BER chunks joined).
    pub(crate) fn octets(&self, what: &'static str) -> Result<Vec<u8>, Error> {
        self.inner.octets(what).map_err(|_| Error::malformed(what))
    }
}

impl<'a> From<der::Tlv<'a>> for Tlv<'a> {
    fn from(inner: der::Tlv<'a>) -> Self {
        Tlv {
            tag: inner.tag,
            value: inner.value,
            raw: inner.raw,
            inner,
        }
    }
}

/// Reads consecutive elements (a [`der::Reader`] with this crate's errors).
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a>(der::Reader<'a>);

impl<'a> Reader<'a> {
    /// The next element of any tag, or `None` at the end.
    pub(crate) fn next_any(&mut self, what: &'static str) -> Result<Option<Tlv<'a>>, Error> {
        self.0
            .next_any(what)
            .map(|t| t.map(Tlv::from))
            .map_err(|_| Error::malformed(what))
    }

    /// The next element, which must exist and have this tag.
    pub(crate) fn next(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, Error> {
        self.0
            .next(tag, what)
            .map(Tlv::from)
            .map_err(|_| Error::malformed(what))
    }

    /// The next element if it has this tag; otherwise nothing is consumed.
    pub(crate) fn optional(
        &mut self,
        tag: u8,
        what: &'static str,
    ) -> Result<Option<Tlv<'a>>, Error> {
        self.0
            .optional(tag, what)
            .map(|t| t.map(Tlv::from))
            .map_err(|_| Error::malformed(what))
    }
}

/// OID content octets, named after the specification that assigns them.
pub(crate) mod oids {
    /// id-data, 1.2.840.113549.1.7.1
    pub(crate) const DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
    /// id-signedData, 1.2.840.113549.1.7.2
    pub(crate) const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
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
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn errors_are_malformed_with_the_callers_name() {
        let t = Tlv::parse_all(&[0x30, 0x03, 0x02, 0x01, 0x05], "outer").unwrap();
        let mut r = t.reader();
        assert!(matches!(
            r.clone().next(SET, "field"),
            Err(Error::Malformed { what: "field" })
        ));
        assert!(r.optional(SET, "field").unwrap().is_none());
        assert_eq!(r.next(INTEGER, "field").unwrap().value, [5]);
        assert!(matches!(
            r.next(INTEGER, "end"),
            Err(Error::Malformed { what: "end" })
        ));
        assert!(matches!(
            t.expect(SET, "tag"),
            Err(Error::Malformed { what: "tag" })
        ));
        assert!(matches!(
            t.octets("octets"),
            Err(Error::Malformed { what: "octets" })
        ));
        let broken = Tlv::parse_all(&[0x30, 0x01, 0x02], "outer").unwrap();
        assert!(matches!(
            broken.children("kids"),
            Err(Error::Malformed { what: "kids" })
        ));
    }

    #[test]
    fn oid_texts() {
        assert_eq!(oid_text(oids::MESSAGE_TYPE), "2.16.840.1.113733.1.9.2");
        assert_eq!(oid_text(oids::SHA256), "2.16.840.1.101.3.4.2.1");
        assert_eq!(oid_text(oids::SHA1), "1.3.14.3.2.26");
    }
}
