//! The algorithms a SignedData may name before OpenSSL is asked to decode it.
//!
//! OpenSSL 3.0's `PKCS7_verify` leaks a memory BIO (272 bytes) each time it is given
//! detached content and a `digestAlgorithms` entry it cannot fetch: it copies the content
//! into a new BIO, `PKCS7_dataInit` fails on the unknown digest, and the error path frees
//! only the chain it never built. The server verifies an `Mdm-Signature` on every device
//! request, so a peer could grow its memory without bound. OpenSSL's CMS decoder does not
//! leak on the same input, and embedded content does not leak, but the check runs for every
//! signed structure so that all of them meet one rule: every digest is SHA-1 or SHA-2 and
//! every signature algorithm is RSA (PKCS #1 v1.5 or PSS) or ECDSA, read with the crate's
//! own DER reader.
//!
//! RFC 5652, section 5.1 and 5.3:
//!
//! ```text
//! ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
//! SignedData ::= SEQUENCE {
//!   version, digestAlgorithms SET OF AlgorithmIdentifier, encapContentInfo,
//!   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL,
//!   signerInfos SET OF SignerInfo }
//! SignerInfo ::= SEQUENCE {
//!   version, sid, digestAlgorithm AlgorithmIdentifier, signedAttrs [0] IMPLICIT OPTIONAL,
//!   signatureAlgorithm AlgorithmIdentifier, signature OCTET STRING,
//!   unsignedAttrs [1] IMPLICIT OPTIONAL }
//! ```

use crate::der::{self, Tlv};
use crate::error::Error;

/// Content octets of the `signedData` content type, 1.2.840.113549.1.7.2.
const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];

/// Digests accepted (content octets of the OID): SHA-1 and SHA-224/256/384/512.
const DIGESTS: &[&[u8]] = &[
    // 1.3.14.3.2.26
    &[0x2b, 0x0e, 0x03, 0x02, 0x1a],
    // 2.16.840.1.101.3.4.2.1 (SHA-256), .2 (SHA-384), .3 (SHA-512), .4 (SHA-224)
    &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
    &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
    &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03],
    &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04],
];

/// Signature algorithms accepted: RSA and ECDSA, named by key type or with a SHA digest.
const SIGNATURES: &[&[u8]] = &[
    // 1.2.840.113549.1.1.1 rsaEncryption
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
    // 1.2.840.113549.1.1.5 sha1WithRSAEncryption
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05],
    // 1.2.840.113549.1.1.10 RSASSA-PSS
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a],
    // 1.2.840.113549.1.1.11 to .14: sha256, sha384, sha512, sha224 WithRSAEncryption
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c],
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d],
    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e],
    // 1.2.840.10045.2.1 id-ecPublicKey
    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01],
    // 1.2.840.10045.4.1 ecdsa-with-SHA1
    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01],
    // 1.2.840.10045.4.3.1 to .4: ecdsa-with-SHA224, SHA256, SHA384, SHA512
    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01],
    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
    &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04],
];

/// What the structure is called in [`Error::Malformed`].
const W: &str = "signed data does not have the expected shape";

/// Checks the algorithms of a `signedData` ContentInfo.
///
/// Input of another content type passes untouched (OpenSSL's decoder then names it); input
/// that is not a ContentInfo at all, or a `signedData` whose fields cannot be read, is
/// [`Error::Malformed`]. Bytes after the ContentInfo are ignored, as OpenSSL ignores them.
pub(crate) fn check_signed_data(input: &[u8]) -> Result<(), Error> {
    // OpenSSL's decoders take high tag numbers in places this walk never looks at (the
    // values of unknown attributes, chunks of constructed strings), so the walk takes them
    // too. 32 levels of indefinite lengths are far more than a SignedData needs.
    const LIMITS: der::Limits = der::Limits {
        max_depth: 32,
        accept_high_tag_numbers: true,
    };
    let malformed = || Error::Malformed(W.to_owned());
    let (ci, _) = Tlv::parse_with(input, &LIMITS, W)?;
    let ci = ci.expect(der::SEQUENCE, W)?;
    let mut ci_fields = ci.reader();
    let content_type = ci_fields.next(der::OID, W)?;
    if content_type.value != SIGNED_DATA {
        return Ok(());
    }
    let Some(explicit) = ci_fields.optional(der::CTX0, W)? else {
        // No content at all: OpenSSL refuses it without reaching a digest.
        return Ok(());
    };
    let sd = explicit
        .reader()
        .next(der::SEQUENCE, W)
        .map_err(|_| malformed())?;
    let mut fields = sd.reader();
    fields.next(der::INTEGER, W)?;
    for alg in fields.next(der::SET, W)?.children(W)? {
        check(alg, DIGESTS, "digest", "digestAlgorithms")?;
    }
    fields.next(der::SEQUENCE, W)?;
    fields.optional(der::CTX0, W)?;
    fields.optional(der::CTX1, W)?;
    for si in fields.next(der::SET, W)?.children(W)? {
        let mut si_fields = si.expect(der::SEQUENCE, W)?.reader();
        si_fields.next(der::INTEGER, W)?;
        // sid: issuerAndSerialNumber (SEQUENCE) or [0] subjectKeyIdentifier.
        si_fields.next_any(W)?.ok_or_else(malformed)?;
        check(
            si_fields.next(der::SEQUENCE, W)?,
            DIGESTS,
            "digest",
            "a signer's digestAlgorithm",
        )?;
        si_fields.optional(der::CTX0, W)?;
        check(
            si_fields.next(der::SEQUENCE, W)?,
            SIGNATURES,
            "signature",
            "a signer's signatureAlgorithm",
        )?;
    }
    Ok(())
}

/// Checks that an AlgorithmIdentifier names one of `known`.
fn check(
    alg: Tlv<'_>,
    known: &[&[u8]],
    kind: &'static str,
    field: &'static str,
) -> Result<(), Error> {
    let oid = alg.expect(der::SEQUENCE, W)?.reader().next(der::OID, W)?;
    if known.contains(&oid.value) {
        Ok(())
    } else {
        Err(Error::UnsupportedAlgorithm {
            kind,
            oid: der::oid_text(oid.value),
            field,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::der::{alg_id, cons, oid, seq, set_of, small_int, tlv};

    const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    const UNKNOWN: &[u8] = &[0x2a, 0x03];
    const DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];

    fn signed_data(digests: &[&[u8]], signer_digest: &[u8], signature: &[u8]) -> Vec<u8> {
        let signer = seq(&[
            &small_int(1),
            &seq(&[&seq(&[]), &small_int(7)]),
            &alg_id(signer_digest, false),
            &alg_id(signature, false),
            &tlv(der::OCTET_STRING, b"sig"),
        ]);
        let sd = seq(&[
            &small_int(1),
            &set_of(digests.iter().map(|d| alg_id(d, true)).collect()),
            &seq(&[&oid(DATA)]),
            &set_of(vec![signer]),
        ]);
        seq(&[&oid(SIGNED_DATA), &cons(der::CTX0, &[&sd])])
    }

    #[test]
    fn known_algorithms_pass() {
        let sd = signed_data(&[SHA256, DIGESTS[0]], SHA256, ECDSA_SHA256);
        check_signed_data(&sd).unwrap();
    }

    #[test]
    fn unknown_algorithms_are_named() {
        let e = check_signed_data(&signed_data(&[SHA256, UNKNOWN], SHA256, ECDSA_SHA256));
        assert_eq!(
            e.unwrap_err().to_string(),
            "unsupported digest algorithm 1.2.3 in digestAlgorithms"
        );
        let e = check_signed_data(&signed_data(&[SHA256], UNKNOWN, ECDSA_SHA256)).unwrap_err();
        assert!(matches!(
            e,
            Error::UnsupportedAlgorithm { kind: "digest", .. }
        ));
        let e = check_signed_data(&signed_data(&[SHA256], SHA256, UNKNOWN)).unwrap_err();
        assert!(matches!(
            e,
            Error::UnsupportedAlgorithm {
                kind: "signature",
                ..
            }
        ));
        assert_eq!(e.failed_check(), Some("algorithm"));
    }

    #[test]
    fn other_content_types_and_broken_shapes() {
        check_signed_data(&seq(&[&oid(DATA), &cons(der::CTX0, &[&seq(&[])])])).unwrap();
        check_signed_data(&seq(&[&oid(SIGNED_DATA)])).unwrap();
        let broken = seq(&[&oid(SIGNED_DATA), &cons(der::CTX0, &[&small_int(1)])]);
        assert!(matches!(
            check_signed_data(&broken),
            Err(Error::Malformed(_))
        ));
        assert!(matches!(check_signed_data(&[]), Err(Error::Malformed(_))));
        assert!(matches!(
            check_signed_data(&[0x30, 0x00]),
            Err(Error::Malformed(_))
        ));
    }
}
