#![no_main]
//! Structure-aware `signed_profile_verify`: the fuzzer's bytes are a plan
//! (`mdm_testsupport::cms::Plan`, drawn with `arbitrary`) for a SignedData that is signed
//! with real keys, so the verifier gets past the structure to the algorithm, digest and
//! signature checks, and through them for plans that are right. Each one is verified with
//! the signature only, against the signer as a trusted anchor, and as a detached signature.
use std::sync::OnceLock;

use mdm_signing::{Certificate, TrustPolicy};
use mdm_testsupport::cms::{Keys, build_plan, plan};

struct Fixture {
    keys: Keys,
    anchored: TrustPolicy,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let keys = Keys::generate().unwrap();
        let anchors = [keys.rsa_certificate(), keys.ec_certificate()]
            .map(|c| Certificate::from_der(&c.to_der().unwrap()).unwrap());
        Fixture {
            anchored: TrustPolicy::with_anchors(anchors),
            keys,
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some(plan) = plan(data) else {
        return;
    };
    let der = build_plan(&plan, &f.keys);
    let _ = mdm_signing::verify(&der, &TrustPolicy::signature_only());
    let _ = mdm_signing::verify(&der, &f.anchored);
    let _ = mdm_signing::verify_detached(&der, &plan.content, &TrustPolicy::signature_only());
});
