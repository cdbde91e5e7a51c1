#![no_main]
//! The enrollment profile as a device reads it (`EnrollmentProfile::read`: verify, decode,
//! find the MDM payload and the SCEP payload it names) and the profiles `InstallProfile`
//! delivers (`read_installable`), on raw bytes and on the fuzzer's bytes signed by a fixed
//! P-256 signer, so the reader gets past the signature. A last mode builds the server's own
//! enrollment profile from fuzzed settings: whatever the server builds, the device reads.
use std::sync::OnceLock;

use mdm_examples::server::enroll::{EnrollmentSettings, profile_xml};
use mdm_examples::sim::{EnrollmentProfile, read_installable};
use mdm_signing::{Identity, PrivateKey, Signer, TrustPolicy};

struct Fixture {
    signer: Signer,
    device: Identity,
    policy: TrustPolicy,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let id = Identity::self_signed(
            "fuzz profile signer",
            PrivateKey::generate_p256().unwrap(),
            30,
        )
        .unwrap();
        let device =
            Identity::self_signed("fuzz device", PrivateKey::generate_rsa(1024).unwrap(), 30)
                .unwrap();
        Fixture {
            policy: TrustPolicy::with_anchors([id.certificate().clone()]),
            signer: Signer::new(id).unwrap(),
            device,
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            let _ = EnrollmentProfile::read(rest, &TrustPolicy::signature_only(), true)
                .map(|p| p.checkin_url().len());
        }
        1 => {
            let _ = read_installable(rest, Some(&f.device));
        }
        2 => {
            let Ok(signed) = f.signer.sign(rest) else {
                return;
            };
            let _ = EnrollmentProfile::read(&signed, &f.policy, false);
            let _ = read_installable(&signed, Some(&f.device));
        }
        _ => {
            let text = String::from_utf8_lossy(rest);
            let mut parts = text.split('\u{0}');
            let mut next = || parts.next().unwrap_or("x").to_owned();
            let (base_url, topic, challenge, identifier, organization) =
                (next(), next(), next(), next(), next());
            let settings = EnrollmentSettings {
                base_url: &base_url,
                topic: &topic,
                challenge: &challenge,
                identifier: &identifier,
                organization: &organization,
            };
            if let Ok(xml) = profile_xml(&settings) {
                // XML 1.0 cannot carry most control characters; other text must survive.
                if !text.chars().any(|c| c.is_control() && c != '\u{0}') {
                    if let Err(e) = EnrollmentProfile::read(&xml, &f.policy, true) {
                        panic!("the server's enrollment profile does not read back: {e}");
                    }
                }
            }
        }
    }
});
