//! Flip bytes of a signed profile: every result fails to verify or yields exactly the
//! original content.
#![allow(
    clippy::print_stderr,
    clippy::cast_possible_wrap,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use common::{Alg, PROFILE, pki};
use mdm_signing::{Signer, TrustPolicy, sign, verify};

fn tamper(alg: Alg) {
    let p = pki(alg);
    let signed = sign(PROFILE, &Signer::new(p.leaf.clone()).unwrap()).unwrap();
    let policy = TrustPolicy::with_anchors([p.ca.clone()]);
    // A deterministic sample of up to 2,000 positions (every position when shorter), each
    // flipped with a few masks.
    let n = signed.len();
    let step = n.div_ceil(2000).max(1);
    let (mut rejected, mut same) = (0usize, 0usize);
    for pos in (0..n).step_by(step) {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = signed.clone();
            bad[pos] ^= mask;
            match verify(&bad, &policy) {
                Err(_) => rejected += 1,
                Ok(v) => {
                    assert_eq!(
                        v.content(),
                        PROFILE,
                        "{alg:?}: byte {pos} ^ {mask:#x} verified with other content"
                    );
                    same += 1;
                }
            }
        }
    }
    assert!(rejected > 0);
    eprintln!("{alg:?}: {n} bytes, {rejected} rejected, {same} verified with the original content");
}

#[test]
fn tampered_rsa_profiles_fail_or_keep_content() {
    tamper(Alg::Rsa);
}

#[test]
fn tampered_p256_profiles_fail_or_keep_content() {
    tamper(Alg::P256);
}

/// The same on an Apple-signed profile: CMS version 3 with a key-identifier signer, which
/// goes through OpenSSL's CMS decoder instead of the PKCS#7 one.
#[test]
fn tampered_apple_profile_fails_or_keeps_content() {
    let test = "tampered_apple_profile_fails_or_keeps_content";
    let Some(path) = mdm_testsupport::corpus_path(
        test,
        "profiles/mwoolweaver-apple-beta-profiles/beta/tvOS_14_Beta_Profile.mobileconfig",
    ) else {
        return;
    };
    let Some(root) = mdm_testsupport::corpus_path(test, "apple-pki/AppleRootCA.pem") else {
        return;
    };
    let signed = std::fs::read(path).unwrap();
    let root = mdm_signing::Certificate::from_pem(&std::fs::read(root).unwrap()).unwrap();
    let mut policy = TrustPolicy::with_anchors([root]);
    policy = policy
        .at_time(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2020, 1, 1, 0, 0, 0).unwrap())
        .check_purpose(false);
    let original = verify(&signed, &policy).unwrap().into_content();
    let step = signed.len().div_ceil(2000).max(1);
    let mut rejected = 0usize;
    for pos in (0..signed.len()).step_by(step) {
        let mut bad = signed.clone();
        bad[pos] ^= 0x01;
        match verify(&bad, &policy) {
            Err(_) => rejected += 1,
            Ok(v) => assert_eq!(
                v.content(),
                original,
                "byte {pos} verified with other content"
            ),
        }
    }
    assert!(rejected > 0);
}
