#![no_main]
//! Encrypted profiles: `EncryptedPayloadContent` opened with a device identity. Raw bytes
//! go to `decrypt` (a CMS EnvelopedData) and `decrypt_payloads` (a profile plist); the
//! other modes make a real envelope to an RSA or an EC device so decryption succeeds and
//! the decrypted bytes (the fuzzer's) are parsed as the payload array, or damage one byte
//! of a real envelope so OpenSSL's decrypt error paths run (where leaks hide).
use std::sync::OnceLock;

use mdm_plist::{Dictionary, Value};
use mdm_signing::{ContentCipher, Identity, PrivateKey};

struct Fixture {
    rsa: Identity,
    ec: Identity,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture {
        rsa: Identity::self_signed(
            "fuzz rsa device",
            PrivateKey::generate_rsa(1024).unwrap(),
            30,
        )
        .unwrap(),
        ec: Identity::self_signed("fuzz ec device", PrivateKey::generate_p256().unwrap(), 30)
            .unwrap(),
    })
}

fn profile_with(enveloped: Vec<u8>) -> Option<Vec<u8>> {
    let mut dict = Dictionary::new();
    dict.insert("PayloadIdentifier".into(), Value::String("fuzz".into()));
    dict.insert("EncryptedPayloadContent".into(), Value::Data(enveloped));
    mdm_plist::to_xml_bytes(&Value::Dictionary(dict)).ok()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let identity = if mode & 0x80 == 0 { &f.rsa } else { &f.ec };
    let cipher = [
        ContentCipher::Aes256Cbc,
        ContentCipher::Aes128Cbc,
        ContentCipher::DesEde3Cbc,
        ContentCipher::DesCbc,
    ][usize::from(mode >> 4) % 4];
    match mode % 4 {
        0 => {
            let _ = mdm_signing::inspect_envelope(rest);
            let _ = mdm_signing::decrypt(rest, identity);
        }
        1 => {
            let _ = mdm_signing::decrypt_payloads(rest, identity);
        }
        2 => {
            // The decrypted content is the fuzzer's: it must be a plist array of payloads.
            let Ok(enveloped) = mdm_signing::encrypt(rest, identity.certificate(), cipher) else {
                return;
            };
            if let Some(profile) = profile_with(enveloped) {
                let _ = mdm_signing::decrypt_payloads(&profile, identity);
            }
        }
        _ => {
            // A real envelope with one byte changed: the first two bytes say where and how.
            let [a, b, x, content @ ..] = rest else {
                return;
            };
            let Ok(mut enveloped) = mdm_signing::encrypt(content, identity.certificate(), cipher)
            else {
                return;
            };
            let len = enveloped.len();
            if let Some(byte) = enveloped.get_mut((usize::from(*a) << 8 | usize::from(*b)) % len) {
                *byte ^= x | 1;
            }
            let _ = mdm_signing::decrypt(&enveloped, identity);
        }
    }
});
