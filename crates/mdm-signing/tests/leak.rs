//! Repeated hostile input does not grow the process (issue 19).
//!
//! The fuzzer found that a detached signature whose `digestAlgorithms` names an unknown
//! OID made OpenSSL 3.0's PKCS#7 verifier leak 272 bytes per call (`tests/data/README.md`).
//! These loops call the verifiers many times and bound the growth of the resident set:
//! 50,000 calls at 272 bytes would add 13.6 MB, the bound is 4 MiB, and a loop without a
//! leak grows by well under 1 MiB (allocator noise). Everything runs in one test so that no
//! other test thread shares the measured process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use mdm_signing::{
    Error, Identity, PrivateKey, Signer, TrustPolicy, content_unverified, sign, verify,
    verify_detached, verify_mdm_signature, verify_mdm_signature_der,
};

/// The finding, as the fuzzer saved it.
const FINDING: &[u8] = include_bytes!("data/mdm_signature_verify-leak.der");

/// Content octets of the SHA-256 OID, as they sit in an AlgorithmIdentifier.
const SHA256_OID: &[u8] = &[
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
];

/// Most a loop may grow the resident set.
const BOUND: u64 = 4 * 1024 * 1024;

/// The resident set size of this process, from `/proc/self/status` (Linux only).
fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs `f` a few hundred times to settle the allocator, then `iterations` times, and
/// returns how much the resident set grew over the second run.
fn growth(name: &str, iterations: usize, mut f: impl FnMut()) -> Option<u64> {
    for _ in 0..500 {
        f();
    }
    let before = rss_bytes()?;
    for _ in 0..iterations {
        f();
    }
    let grown = rss_bytes()?.saturating_sub(before);
    eprintln!(
        "{name}: {iterations} calls, resident set grew {grown} bytes ({} per call)",
        grown / iterations as u64
    );
    Some(grown)
}

/// `signed` with its first SHA-256 AlgorithmIdentifier (the `digestAlgorithms` entry)
/// renamed to 2.16.840.1.101.3.4.2.65, an OID OpenSSL does not know.
fn unknown_digest_algorithms(signed: &[u8]) -> Vec<u8> {
    let at = signed
        .windows(SHA256_OID.len())
        .position(|w| w == SHA256_OID)
        .expect("a sha-256 algorithm identifier");
    let mut out = signed.to_vec();
    out[at + SHA256_OID.len() - 1] = 0x41;
    out
}

/// A right P-256 detached signature over no content whose `digestAlgorithms` lists SHA-256
/// and SHA-1 (the fuzzer's finding, written out).
fn empty_detached_two_digests() -> mdm_testsupport::cms::Plan {
    use mdm_testsupport::cms::{Alg, AttrValue, Attrs, Certs, Plan, Sid, Sig, SigAlg, Time};
    Plan {
        content: Vec::new(),
        ec_key: true,
        version: None,
        digest: Alg::Sha256,
        extra_digests: vec![Alg::Sha1],
        null_params: false,
        signer_digest: None,
        signature_alg: SigAlg::EcdsaSha256,
        econtent_type: None,
        detached: true,
        chunk: None,
        attrs: Some(Attrs {
            content_type: AttrValue::Right,
            message_digest: AttrValue::Right,
            signing_time: Some(Time::Utc),
            extra: Vec::new(),
            unsorted: false,
        }),
        signature: Sig::Right,
        certs: Certs::Signer,
        sid: Sid::IssuerSerial,
        two_signers: false,
        trailing: Vec::new(),
    }
}

#[test]
fn repeated_hostile_input_does_not_grow_memory() {
    if rss_bytes().is_none() {
        eprintln!("skipped: no /proc/self/status to read the resident set from");
        return;
    }
    let policy = TrustPolicy::signature_only();
    let body = b"<plist version=\"1.0\"><dict/></plist>";
    let device = Identity::self_signed("leak test", PrivateKey::generate_p256().unwrap(), 1)
        .expect("identity");
    let signer = Signer::new(device).unwrap();
    let detached = Signer::new(signer.identity().clone())
        .unwrap()
        .detached(true)
        .sign(body)
        .unwrap();
    let embedded = sign(body, &signer).unwrap();
    let detached_unknown = unknown_digest_algorithms(&detached);
    let embedded_unknown = unknown_digest_algorithms(&embedded);
    let header = mdm_signing::openssl::base64::encode_block(FINDING);

    // The answers first: refused before OpenSSL, in words.
    let e = verify_mdm_signature_der(FINDING, b"{}", &policy).unwrap_err();
    assert!(
        matches!(e, Error::UnsupportedAlgorithm { kind: "digest", .. }),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "unsupported digest algorithm 2.16.840.1.113730.2.5 in digestAlgorithms"
    );
    for bad in [&detached_unknown, &embedded_unknown] {
        assert!(matches!(
            verify_detached(bad, body, &policy),
            Err(Error::UnsupportedAlgorithm { .. })
        ));
        assert!(matches!(
            verify(bad, &policy),
            Err(Error::UnsupportedAlgorithm { .. })
        ));
    }
    verify_detached(&detached, body, &policy).unwrap();
    verify(&embedded, &policy).unwrap();

    let mut results = Vec::new();
    results.push(growth("the finding, der", 50_000, || {
        let _ = verify_mdm_signature_der(FINDING, b"{}", &policy);
    }));
    results.push(growth("the finding, header", 20_000, || {
        let _ = verify_mdm_signature(&header, b"{}", &policy);
    }));
    results.push(growth(
        "a real signature, unknown digestAlgorithms",
        50_000,
        || {
            let _ = verify_detached(&detached_unknown, body, &policy);
        },
    ));
    results.push(growth("embedded, unknown digestAlgorithms", 20_000, || {
        let _ = verify(&embedded_unknown, &policy);
        let _ = content_unverified(&embedded_unknown);
    }));
    // Paths through OpenSSL's verifier: a leak here of 1 KiB per call would show.
    results.push(growth("a valid detached signature", 5_000, || {
        verify_detached(&detached, body, &policy).unwrap();
    }));
    results.push(growth(
        "a detached signature over other content",
        5_000,
        || {
            let _ = verify_detached(&detached, b"tampered", &policy);
        },
    ));
    // Found by signed_profile_structured: OpenSSL's PKCS#7 verifier leaked the digest BIOs
    // after the first when the detached content was empty. Still verified, and bounded.
    let keys = mdm_testsupport::cms::Keys::generate().unwrap();
    let two_digests = mdm_testsupport::cms::build_plan(&empty_detached_two_digests(), &keys);
    verify_detached(&two_digests, b"", &policy).unwrap();
    verify_mdm_signature_der(&two_digests, b"", &policy).unwrap();
    results.push(growth(
        "empty detached content, two digestAlgorithms",
        50_000,
        || {
            let _ = verify_mdm_signature_der(&two_digests, b"", &policy);
        },
    ));
    // A damaged signature fails any fast path and so takes OpenSSL's verifier.
    let damaged = mdm_testsupport::cms::build_plan(
        &mdm_testsupport::cms::Plan {
            signature: mdm_testsupport::cms::Sig::Flip(3),
            ..empty_detached_two_digests()
        },
        &keys,
    );
    assert!(verify_mdm_signature_der(&damaged, b"", &policy).is_err());
    results.push(growth(
        "empty detached content, two digestAlgorithms, damaged signature",
        50_000,
        || {
            let _ = verify_mdm_signature_der(&damaged, b"", &policy);
        },
    ));
    for grown in results {
        let grown = grown.expect("the resident set stays readable");
        assert!(
            grown < BOUND,
            "the resident set grew {grown} bytes, over the {BOUND}-byte bound: a leak"
        );
    }
}
