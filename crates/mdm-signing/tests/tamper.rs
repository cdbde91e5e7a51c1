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
