//! Hostile and broken input: typed errors, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::{Alg, PROFILE, cert, key, now, pki};
use mdm_signing::{
    ChainFailure, Error, Identity, PrivateKey, Signer, TrustPolicy, certificate_from_proxy_header,
    content_unverified, decrypt_payloads, sign, verify, verify_detached, verify_mdm_signature,
};
use proptest::prelude::*;

/// DER header for `tag` with a definite length.
fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut h = vec![tag];
    if len < 0x80 {
        h.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        h.push(0x80 | bytes.len() as u8);
        h.extend(bytes);
    }
    h
}

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = header(tag, value.len());
    out.extend_from_slice(value);
    out
}

/// Splits a definite-length element into (tag, value) and returns the rest.
fn split(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = input[0];
    let (len, hl) = if input[1] < 0x80 {
        (input[1] as usize, 2)
    } else {
        let n = (input[1] & 0x7f) as usize;
        let len = input[2..2 + n]
            .iter()
            .fold(0usize, |a, b| (a << 8) | *b as usize);
        (len, 2 + n)
    };
    (tag, &input[hl..hl + len], &input[hl + len..])
}

fn children(mut value: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (tag, v, rest) = split(value);
        out.push(tlv(tag, v));
        value = rest;
    }
    out
}

/// Rebuilds `element` with `f` applied to the last child, `depth` levels down.
fn edit_last(element: &[u8], depth: usize, f: &dyn Fn(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let (tag, value, _) = split(element);
    if depth == 0 {
        return f(tlv(tag, value));
    }
    let mut kids = children(value);
    let last = kids.pop().unwrap();
    kids.push(edit_last(&last, depth - 1, f));
    tlv(tag, &kids.concat())
}

const OID_SIGNED_DATA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];
const OID_DATA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
];

#[test]
fn truncations_and_garbage_are_typed_errors() {
    let p = pki(Alg::P256);
    let signed = sign(PROFILE, &Signer::new(p.leaf.clone()).unwrap()).unwrap();
    let policy = TrustPolicy::with_anchors([p.ca.clone()]);
    for len in (0..signed.len()).step_by(7) {
        let err = verify(&signed[..len], &policy).unwrap_err();
        assert!(err.failed_check().is_some(), "{len}: {err:?}");
    }
    for garbage in [
        &b""[..],
        b"\x30",
        b"\x30\x80",
        b"\x30\x80\x00\x00",
        b"hello world",
        PROFILE,
    ] {
        assert!(matches!(
            verify(garbage, &policy),
            Err(Error::Malformed(_) | Error::WrongContentType { .. })
        ));
        assert!(content_unverified(garbage).is_err());
    }
}

#[test]
fn signed_data_without_signers() {
    let encap = tlv(0x30, OID_DATA);
    let sd = tlv(
        0x30,
        &[
            &[0x02, 0x01, 0x01][..],
            &[0x31, 0x00],
            &encap,
            &[0x31, 0x00],
        ]
        .concat(),
    );
    let ci = tlv(0x30, &[OID_SIGNED_DATA, &tlv(0xa0, &sd)].concat());
    let err = verify(&ci, &TrustPolicy::signature_only()).unwrap_err();
    assert_eq!(err, Error::NoSigners);
    assert_eq!(err.failed_check(), Some("no-signers"));
    assert!(verify_detached(&ci, b"x", &TrustPolicy::signature_only()).is_err());
}

#[test]
fn signer_certificate_left_out() {
    let p = pki(Alg::Rsa);
    let signed = sign(PROFILE, &Signer::new(p.leaf.clone()).unwrap()).unwrap();
    // ContentInfo -> [0] -> SignedData: drop the certificates field (the [0] child).
    let (tag, value, _) = split(&signed);
    let kids = children(value);
    let (t0, v0, _) = split(&kids[1]);
    let (tsd, vsd, _) = split(v0);
    let fields: Vec<Vec<u8>> = children(vsd).into_iter().filter(|f| f[0] != 0xa0).collect();
    let sd = tlv(tsd, &fields.concat());
    let stripped = tlv(tag, &[kids[0].clone(), tlv(t0, &sd)].concat());
    assert_eq!(
        verify(&stripped, &TrustPolicy::signature_only()).unwrap_err(),
        Error::SignerCertificateMissing
    );
}

#[test]
fn certificate_loop_ends_in_a_typed_error() {
    // A and B issue each other; the signer is issued by A. Nothing leads to an anchor.
    let t = now();
    let (ka, kb) = (key(Alg::P256), key(Alg::P256));
    let b_self = cert("Loop B", &kb, None, true, false, t - 60, t + 86_400);
    let a = cert(
        "Loop A",
        &ka,
        Some((&b_self, &kb)),
        true,
        false,
        t - 60,
        t + 86_400,
    );
    let b = cert(
        "Loop B",
        &kb,
        Some((&a, &ka)),
        true,
        false,
        t - 60,
        t + 86_400,
    );
    let leaf_key = key(Alg::P256);
    let leaf = cert(
        "Loop leaf",
        &leaf_key,
        Some((&a, &ka)),
        false,
        true,
        t - 60,
        t + 86_400,
    );
    let id = Identity::new(leaf, leaf_key, vec![a, b]).unwrap();
    let signed = sign(PROFILE, &Signer::new(id).unwrap()).unwrap();
    let unrelated = Identity::self_signed("Unrelated", key(Alg::P256), 1).unwrap();
    let err = verify(
        &signed,
        &TrustPolicy::with_anchors([unrelated.certificate().clone()]),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Chain(_)), "{err:?}");
    let mut short = TrustPolicy::with_anchors([unrelated.certificate().clone()]);
    short = short.max_depth(2);
    assert!(matches!(
        verify(&signed, &short).unwrap_err(),
        Error::Chain(ChainFailure::UntrustedRoot | ChainFailure::TooLong)
    ));
}

#[test]
fn ten_megabyte_attribute() {
    let p = pki(Alg::Rsa);
    let signed = sign(PROFILE, &Signer::new(p.leaf.clone()).unwrap()).unwrap();
    let policy = TrustPolicy::with_anchors([p.ca.clone()]);
    let big = vec![0x41u8; 10 * 1024 * 1024];
    // unsignedAttrs [1] { Attribute { 1.2.3.4, SET { OCTET STRING (10 MB) } } }
    let attr = tlv(
        0x30,
        &[
            &[0x06, 0x03, 0x2a, 0x03, 0x04][..],
            &tlv(0x31, &tlv(0x04, &big)),
        ]
        .concat(),
    );
    let unsigned = tlv(0xa1, &attr);
    // ContentInfo -> [0] -> SignedData -> signerInfos -> SignerInfo: append the field.
    let with_attr = edit_last(&signed, 4, &|si| {
        let (tag, value, _) = split(&si);
        tlv(tag, &[value, &unsigned].concat())
    });
    assert!(with_attr.len() > 10 * 1024 * 1024);
    // Unsigned attributes are outside the signature: the content is still the original.
    match verify(&with_attr, &policy) {
        Ok(v) => assert_eq!(v.content(), PROFILE),
        Err(e) => assert!(e.failed_check().is_some(), "{e:?}"),
    }
    // The same bytes in the signed attributes break the signature.
    let in_signed = edit_last(&signed, 4, &|si| {
        let (tag, value, _) = split(&si);
        let fields: Vec<Vec<u8>> = children(value)
            .into_iter()
            .map(|f| {
                if f[0] == 0xa0 {
                    let (t, v, _) = split(&f);
                    tlv(t, &[v, &attr].concat())
                } else {
                    f
                }
            })
            .collect();
        tlv(tag, &fields.concat())
    });
    assert!(verify(&in_signed, &policy).is_err());
    // Over the size limit: refused before parsing.
    let huge = vec![0u8; mdm_signing::MAX_SIGNED_BYTES + 1];
    assert!(matches!(
        verify(&huge, &policy),
        Err(Error::TooLarge { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let policy = TrustPolicy::signature_only();
        let _ = verify(&data, &policy);
        let _ = verify_detached(&data, b"body", &policy);
        let _ = content_unverified(&data);
        let _ = decrypt_payloads(&data, &pki_cached().leaf);
        let _ = PrivateKey::from_pem_or_der(&data);
        let _ = Identity::from_pkcs12(&data, "x");
        let text = String::from_utf8_lossy(&data);
        let _ = verify_mdm_signature(&text, b"body", &policy);
        let _ = certificate_from_proxy_header(&text);
    }

    #[test]
    fn der_prefixed_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut data = vec![0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80];
        data.extend(tail);
        let _ = verify(&data, &TrustPolicy::signature_only());
        let _ = content_unverified(&data);
    }
}

fn pki_cached() -> &'static common::Pki {
    static PKI: std::sync::OnceLock<common::Pki> = std::sync::OnceLock::new();
    PKI.get_or_init(|| pki(Alg::P256))
}
