#![no_main]
//! The SCEP responder on what a client sends: raw PKIOperation bodies, CSRs on their own,
//! and (the part raw bytes never reach) well-formed PKIMessages signed by a client key and
//! encrypted to the CA whose encrypted content is the fuzzer's bytes, so the responder
//! decrypts them and parses them as a CSR (PKCSReq, RenewalReq) or an
//! IssuerAndSerialNumber (GetCert, GetCRL). The CertRep it answers is decoded back.
//!
//! Keys are RSA-1024, made once: the parsers do not depend on the key size and the smaller
//! key makes the four private-key operations of a round trip cheaper.
use std::sync::OnceLock;

use mdm_scep::{
    ContentCipher, Decision, Digest, FailInfo, Identity, MessageType, PkiMessage,
    PkiMessageBuilder, PrivateKey, ScepResponder, SimpleCa, TransactionId,
};

struct Fixture {
    responder: ScepResponder,
    ca: Identity,
    client: Identity,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let ca = Identity::self_signed("fuzz scep ca", PrivateKey::generate_rsa(1024).unwrap(), 30)
            .unwrap();
        let client =
            Identity::self_signed("fuzz client", PrivateKey::generate_rsa(1024).unwrap(), 30)
                .unwrap();
        let responder =
            ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 1), |req| {
                match req.challenge {
                    Some("issue") => Decision::Issue,
                    Some("pending") => Decision::Pending,
                    _ => Decision::Reject(FailInfo::BadRequest),
                }
            })
            .allow_des(true);
        Fixture {
            responder,
            ca,
            client,
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 8 {
        0 => {
            if let Ok(csr) = mdm_scep::Csr::from_der(rest) {
                let _ = (csr.challenge_password(), csr.common_name(), csr.subject());
                let _ = csr.public_key_der();
            }
        }
        1 => {
            let _ = f.responder.handle(rest);
        }
        m => {
            let message_type = match m {
                2 | 3 => MessageType::PkcsReq,
                4 => MessageType::RenewalReq,
                5 => MessageType::GetCert,
                6 => MessageType::GetCrl,
                _ => MessageType::CertPoll,
            };
            let digest = [Digest::Sha1, Digest::Sha256, Digest::Sha512][usize::from(mode >> 3) % 3];
            let cipher = [
                ContentCipher::Aes256Cbc,
                ContentCipher::Aes128Cbc,
                ContentCipher::DesEde3Cbc,
                ContentCipher::DesCbc,
            ][usize::from(mode >> 5) % 4];
            let Ok(id) = TransactionId::new("fuzz") else {
                return;
            };
            let Ok(builder) = PkiMessageBuilder::new(message_type, id) else {
                return;
            };
            let Ok(request) = builder
                .digest(digest)
                .cipher(cipher)
                .message_data(rest.to_vec(), f.ca.certificate().clone())
                .build(&f.client)
            else {
                return;
            };
            if let Ok(reply) = f.responder.handle(&request) {
                let rep = PkiMessage::decode_cert_rep(&reply, &[f.ca.certificate().clone()]);
                if let Ok(rep) = rep {
                    let _ = rep.decrypt(&f.client, true);
                }
            }
        }
    }
});
