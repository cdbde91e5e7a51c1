//! The message layer and both roles in-process: every message type, every cipher and
//! digest, PENDING and polling, renewal, bad input, and the corpus vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::cast_possible_truncation
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mdm_scep::{
    AlgorithmPolicy, CaCertificates, Capabilities, Capability, ContentCipher, CsrBuilder, Decision,
    Digest, Error, FailInfo, KeyUsageRequest, MessageType, Nonce, Outcome, PkiMessage,
    PkiMessageBuilder, PkiStatus, RequestOptions, ScepResponder, SimpleCa, Transaction,
    TransactionId, degenerate,
};
use mdm_signing::{Certificate, Identity, PrivateKey};
use proptest::prelude::*;

const CHALLENGE: &str = "s3cret";

fn ca() -> Identity {
    Identity::self_signed("Test SCEP CA", PrivateKey::generate_rsa(2048).unwrap(), 30).unwrap()
}

fn responder(ca: &Identity) -> ScepResponder {
    ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 30), |req| {
        if req.challenge == Some(CHALLENGE) {
            Decision::Issue
        } else {
            Decision::Reject(FailInfo::BadRequest)
        }
    })
}

fn cas(ca: &Identity) -> CaCertificates {
    CaCertificates::from_certificates(vec![ca.certificate().clone()], None).unwrap()
}

fn enroll_request(
    ca: &Identity,
    challenge: &str,
    options: RequestOptions,
) -> (Transaction, Vec<u8>, PrivateKey) {
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("device")
        .challenge_password(challenge)
        .build(&key)
        .unwrap();
    let (tx, der) = Transaction::enroll(csr, key.clone(), cas(ca), options).unwrap();
    (tx, der, key)
}

#[test]
fn enroll_with_every_cipher_and_digest() {
    let ca = ca();
    let mut r = responder(&ca);
    r = r.allow_des(true);
    for cipher in ContentCipher::ALL {
        for digest in [Digest::Sha1, Digest::Sha256, Digest::Sha512] {
            let mut options = RequestOptions::default();
            options.cipher = cipher;
            options.digest = digest;
            options.allow_des_reply = true;
            let (mut tx, der, key) = enroll_request(&ca, CHALLENGE, options);
            let msg = PkiMessage::decode(&der).unwrap();
            assert_eq!(msg.message_type(), &MessageType::PkcsReq);
            assert_eq!(msg.digest(), digest);
            assert_eq!(msg.envelope_cipher(), Some(cipher));
            let reply = r.handle(&der).unwrap();
            let rep = PkiMessage::decode(&reply).unwrap();
            assert_eq!(rep.digest(), digest);
            assert_eq!(
                rep.envelope_cipher(),
                Some(cipher),
                "reply uses the request's cipher"
            );
            let Outcome::Issued(issued) = tx.handle_response(&reply).unwrap() else {
                panic!("not issued")
            };
            assert!(key.matches(&issued.certificate));
            assert_eq!(issued.chain, vec![ca.certificate().clone()]);
        }
    }
}

#[test]
fn des_is_refused_unless_allowed() {
    let ca = ca();
    let r = responder(&ca);
    let mut options = RequestOptions::default();
    options.cipher = ContentCipher::DesCbc;
    let (mut tx, der, _) = enroll_request(&ca, CHALLENGE, options);
    // The responder does not accept DES by default: FAILURE badAlg.
    let reply = r.handle(&der).unwrap();
    let err = tx.handle_response(&reply).unwrap_err();
    assert_eq!(err.fail_info(), Some(&FailInfo::BadAlg));

    // A DES reply is refused by a requester that did not allow it.
    let mut r = responder(&ca);
    r = r.allow_des(true);
    let (mut tx, der, _) = enroll_request(&ca, CHALLENGE, options);
    let reply = r.handle(&der).unwrap();
    assert!(matches!(
        tx.handle_response(&reply),
        Err(Error::AlgorithmRefused(_))
    ));
}

#[test]
fn the_answer_hook_names_a_des_refusal_and_every_other_outcome() {
    let ca = ca();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let r = responder(&ca).on_answer(move |a| {
        log.lock().unwrap().push((
            a.status.clone(),
            a.fail_info.cloned(),
            a.des_refused,
            a.transaction_id.clone(),
        ));
    });
    let mut options = RequestOptions::default();
    options.cipher = ContentCipher::DesCbc;
    let (des_tx, der, _) = enroll_request(&ca, CHALLENGE, options);
    r.handle(&der).unwrap();
    let (_, der, _) = enroll_request(&ca, "nope", RequestOptions::default());
    r.handle(&der).unwrap();
    let (_, der, _) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    r.handle(&der).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0],
        (
            PkiStatus::Failure,
            Some(FailInfo::BadAlg),
            true,
            des_tx.id().clone()
        )
    );
    assert_eq!(
        (&seen[1].0, &seen[1].1, seen[1].2),
        (&PkiStatus::Failure, &Some(FailInfo::BadRequest), false)
    );
    assert_eq!((&seen[2].0, &seen[2].1), (&PkiStatus::Success, &None));
}

#[test]
fn ecdsa_requester() {
    let ca = ca();
    let r = responder(&ca);
    let key = PrivateKey::generate_p256().unwrap();
    let csr = CsrBuilder::new("ec-device")
        .challenge_password(CHALLENGE)
        .build(&key)
        .unwrap();
    let (mut tx, der) =
        Transaction::enroll(csr, key.clone(), cas(&ca), RequestOptions::default()).unwrap();
    let reply = r.handle(&der).unwrap();
    let Outcome::Issued(issued) = tx.handle_response(&reply).unwrap() else {
        panic!()
    };
    assert!(key.matches(&issued.certificate));
}

#[test]
fn wrong_challenge_is_a_typed_failure() {
    let ca = ca();
    let r = responder(&ca);
    let (mut tx, der, _) = enroll_request(&ca, "nope", RequestOptions::default());
    let reply = r.handle(&der).unwrap();
    let rep = PkiMessage::decode(&reply).unwrap();
    assert_eq!(rep.pki_status(), Some(&PkiStatus::Failure));
    assert!(rep.envelope().is_none());
    match tx.handle_response(&reply) {
        Err(Error::Rejected { fail_info, .. }) => assert_eq!(fail_info, FailInfo::BadRequest),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pending_then_poll_then_issue() {
    let ca = ca();
    let asked = Arc::new(AtomicUsize::new(0));
    let a = asked.clone();
    let r = ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 30), move |req| {
        assert_eq!(req.challenge, Some(CHALLENGE));
        if a.fetch_add(1, Ordering::SeqCst) < 2 {
            Decision::Pending
        } else {
            Decision::Issue
        }
    });
    let (mut tx, der, key) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    let reply = r.handle(&der).unwrap();
    assert!(matches!(
        tx.handle_response(&reply).unwrap(),
        Outcome::Pending
    ));
    // A replayed old reply does not echo the new nonce.
    let poll = tx.poll().unwrap();
    assert_eq!(
        PkiMessage::decode(&poll).unwrap().message_type(),
        &MessageType::CertPoll
    );
    assert!(matches!(
        tx.handle_response(&reply),
        Err(Error::NonceMismatch)
    ));
    let reply = r.handle(&poll).unwrap();
    assert!(matches!(
        tx.handle_response(&reply).unwrap(),
        Outcome::Pending
    ));
    let poll = tx.poll().unwrap();
    let reply = r.handle(&poll).unwrap();
    let Outcome::Issued(issued) = tx.handle_response(&reply).unwrap() else {
        panic!()
    };
    assert!(key.matches(&issued.certificate));
    assert_eq!(asked.load(Ordering::SeqCst), 3);
}

#[test]
fn renewal_and_get_cert() {
    let ca = ca();
    let r = responder(&ca);
    let (mut tx, der, key) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    let Outcome::Issued(issued) = tx.handle_response(&r.handle(&der).unwrap()).unwrap() else {
        panic!()
    };
    let current = Identity::new(issued.certificate.clone(), key, Vec::new()).unwrap();

    let new_key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("device")
        .challenge_password(CHALLENGE)
        .build(&new_key)
        .unwrap();
    let (mut tx, der) = Transaction::renew(
        csr,
        new_key.clone(),
        current.clone(),
        cas(&ca),
        RequestOptions::default(),
    )
    .unwrap();
    assert_eq!(
        PkiMessage::decode(&der).unwrap().message_type(),
        &MessageType::RenewalReq
    );
    let Outcome::Issued(renewed) = tx.handle_response(&r.handle(&der).unwrap()).unwrap() else {
        panic!()
    };
    assert!(new_key.matches(&renewed.certificate));

    // A renewal signed by a certificate of another CA is refused.
    let stranger =
        Identity::self_signed("stranger", PrivateKey::generate_rsa(2048).unwrap(), 1).unwrap();
    let k = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("device")
        .challenge_password(CHALLENGE)
        .build(&k)
        .unwrap();
    let (mut tx, der) =
        Transaction::renew(csr, k, stranger, cas(&ca), RequestOptions::default()).unwrap();
    let err = tx.handle_response(&r.handle(&der).unwrap()).unwrap_err();
    assert_eq!(err.fail_info(), Some(&FailInfo::BadMessageCheck));

    // GetCert finds the issued certificate by issuer and serial.
    let (mut tx, der) = Transaction::get_cert(
        &issued.certificate,
        current.clone(),
        cas(&ca),
        RequestOptions::default(),
    )
    .unwrap();
    assert_eq!(
        PkiMessage::decode(&der).unwrap().message_type(),
        &MessageType::GetCert
    );
    let Outcome::Certificates(found) = tx.handle_response(&r.handle(&der).unwrap()).unwrap() else {
        panic!()
    };
    assert_eq!(found, vec![issued.certificate.clone()]);

    // GetCRL: this CA has none, which is a typed FAILURE.
    let (mut tx, der) = Transaction::get_crl(
        &issued.certificate,
        current,
        cas(&ca),
        RequestOptions::default(),
    )
    .unwrap();
    assert_eq!(
        PkiMessage::decode(&der).unwrap().message_type(),
        &MessageType::GetCrl
    );
    assert!(matches!(
        tx.handle_response(&r.handle(&der).unwrap()),
        Err(Error::Rejected { .. })
    ));
}

#[test]
fn csr_fields() {
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("laptop-7")
        .organization("Example")
        .country("DE")
        .dns_name("laptop-7.example.com")
        .email("it@example.com")
        .ip("10.0.0.7".parse().unwrap())
        .key_usage(KeyUsageRequest::device_identity())
        .challenge_password("with space & ünïcode")
        .digest(Digest::Sha512)
        .build(&key)
        .unwrap();
    assert_eq!(csr.challenge_password(), Some("with space & ünïcode"));
    assert_eq!(csr.common_name().as_deref(), Some("laptop-7"));
    assert!(csr.subject().contains("O=Example"));
    let again = mdm_scep::Csr::from_der(csr.der()).unwrap();
    assert_eq!(again.challenge_password(), csr.challenge_password());
    // openssl agrees the signature is good and sees the extensions.
    let req = openssl::x509::X509Req::from_der(csr.der()).unwrap();
    assert!(req.verify(&req.public_key().unwrap()).unwrap());
    assert_eq!(req.extensions().unwrap().len(), 3);
    assert!(
        !format!("{csr:?}").contains("ünïcode"),
        "debug output hides the challenge"
    );
}

#[test]
fn capabilities_drive_algorithms() {
    let caps = Capabilities::decode(
        b"Renewal\nSHA-1\nSHA-256\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation\nFancy\n",
    )
    .unwrap();
    assert!(caps.post());
    assert!(caps.has(&Capability::Other("Fancy".into())));
    let p = AlgorithmPolicy::default();
    assert_eq!(caps.cipher(&p).unwrap(), ContentCipher::Aes128Cbc);
    assert_eq!(caps.digest(&p).unwrap(), Digest::Sha256);
    let mut strong = p;
    strong.prefer_aes256 = true;
    assert_eq!(caps.cipher(&strong).unwrap(), ContentCipher::Aes256Cbc);

    let old = Capabilities::decode(b"").unwrap();
    assert!(matches!(old.cipher(&p), Err(Error::AlgorithmRefused(_))));
    let mut des_ok = p;
    des_ok.allow_des = true;
    assert_eq!(old.cipher(&des_ok).unwrap(), ContentCipher::DesCbc);
    assert_eq!(old.digest(&p).unwrap(), Digest::Sha1);
    let mut no_sha1 = p;
    no_sha1.allow_sha1 = false;
    assert!(old.digest(&no_sha1).is_err());
    assert_eq!(
        Capabilities::decode(b"des3 sha-512")
            .unwrap()
            .cipher(&p)
            .unwrap(),
        ContentCipher::DesEde3Cbc
    );
    assert_eq!(
        Capabilities::decode(b"SCEPStandard")
            .unwrap()
            .digest(&p)
            .unwrap(),
        Digest::Sha256
    );
    assert!(Capabilities::decode(&[0xff, 0xfe]).is_err());
}

/// An RA certificate issued by the CA, for key encipherment and signing.
fn ra_for(ca: &Identity) -> Identity {
    use openssl::x509::extension::KeyUsage;
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "Test RA").unwrap();
    let name = name.build();
    let mut b = openssl::x509::X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = openssl::bn::BigNum::from_u32(77)
        .unwrap()
        .to_asn1_integer()
        .unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.certificate().as_openssl().subject_name())
        .unwrap();
    b.set_pubkey(key.as_openssl()).unwrap();
    let nb = openssl::asn1::Asn1Time::days_from_now(0).unwrap();
    let na = openssl::asn1::Asn1Time::days_from_now(5).unwrap();
    b.set_not_before(&nb).unwrap();
    b.set_not_after(&na).unwrap();
    b.append_extension(
        KeyUsage::new()
            .digital_signature()
            .key_encipherment()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sign(
        ca.key().as_openssl(),
        openssl::hash::MessageDigest::sha256(),
    )
    .unwrap();
    Identity::new(
        Certificate::from(b.build()),
        key,
        vec![ca.certificate().clone()],
    )
    .unwrap()
}

#[test]
fn ra_chain_selection_and_pinning() {
    let ca = ca();
    let ra = ra_for(&ca);
    let body = degenerate(&[ra.certificate().clone(), ca.certificate().clone()]).unwrap();
    let set = CaCertificates::from_body(&body, None).unwrap();
    assert_eq!(set.ca(), ca.certificate());
    assert_eq!(set.recipient(), ra.certificate());
    assert!(set.signers().contains(ra.certificate()));

    let fp = ca
        .certificate()
        .as_openssl()
        .digest(openssl::hash::MessageDigest::sha256())
        .unwrap();
    assert!(CaCertificates::from_body(&body, Some(&fp)).is_ok());
    assert!(matches!(
        CaCertificates::from_body(&body, Some(&[1u8; 32])),
        Err(Error::CaCertificate(_))
    ));
    let single = ca.certificate().to_der().unwrap();
    assert_eq!(
        CaCertificates::from_body(&single, Some(&fp))
            .unwrap()
            .recipient(),
        ca.certificate()
    );

    // The RA answers: requests go to the RA, replies are signed by it.
    let mut r = ScepResponder::new(ra.clone(), SimpleCa::new(ca.clone(), 30), |_| {
        Decision::Issue
    });
    r = r.ca_certificates(vec![ra.certificate().clone(), ca.certificate().clone()]);
    let (ct, body) = r.ca_cert_body().unwrap();
    assert_eq!(ct, "application/x-x509-ca-ra-cert");
    let set = CaCertificates::from_body(&body, None).unwrap();
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("via-ra").build(&key).unwrap();
    let (mut tx, der) = Transaction::enroll(csr, key, set, RequestOptions::default()).unwrap();
    assert!(matches!(
        tx.handle_response(&r.handle(&der).unwrap()).unwrap(),
        Outcome::Issued(_)
    ));
}

#[test]
fn bad_responses_are_typed_errors() {
    let ca = ca();
    let r = responder(&ca);
    let (mut tx, der, _) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    let good = r.handle(&der).unwrap();

    // Garbage and every truncation.
    assert!(matches!(
        tx.handle_response(b"hello"),
        Err(Error::Malformed { .. })
    ));
    for cut in (0..good.len()).step_by(37) {
        assert!(tx.handle_response(&good[..cut]).is_err());
    }
    // A flipped byte in the signature.
    let mut bad = good.clone();
    let last = bad.len() - 5;
    bad[last] ^= 0x40;
    assert!(matches!(tx.handle_response(&bad), Err(Error::BadSignature)));

    // Signed by someone else: a reply from another CA.
    let other = ca_with_name("Other CA");
    let (mut tx2, der2, _) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    let forged = responder(&other).handle(&der2);
    // The other CA cannot decrypt (not the recipient), so it answers FAILURE, signed by itself.
    let forged = forged.unwrap();
    assert!(matches!(
        tx2.handle_response(&forged),
        Err(Error::UntrustedSigner(_))
    ));

    // A reply to another transaction (wrong nonce and id).
    let (_, der3, _) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    let other_reply = r.handle(&der3).unwrap();
    assert!(matches!(
        tx.handle_response(&other_reply),
        Err(Error::TransactionIdMismatch | Error::NonceMismatch)
    ));

    // A reply with the right id but a wrong recipient nonce.
    let mut b = PkiMessageBuilder::new(MessageType::CertRep, tx.id().clone()).unwrap();
    b = b
        .pki_status(PkiStatus::Success)
        .recipient_nonce(Nonce::from_bytes(&[9; 16]).unwrap());
    let wrong_nonce = b.build(&ca).unwrap();
    assert!(matches!(
        tx.handle_response(&wrong_nonce),
        Err(Error::NonceMismatch)
    ));

    // The request is not a reply.
    assert!(matches!(
        tx.handle_response(&der),
        Err(Error::UnexpectedMessageType { .. })
    ));

    // The right answer still works after all that.
    assert!(matches!(
        tx.handle_response(&good).unwrap(),
        Outcome::Issued(_)
    ));
}

fn ca_with_name(name: &str) -> Identity {
    Identity::self_signed(name, PrivateKey::generate_rsa(2048).unwrap(), 30).unwrap()
}

#[test]
fn envelope_for_another_recipient() {
    let ca = ca();
    let (_, der, _) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    let msg = PkiMessage::decode(&der).unwrap();
    let stranger = ca_with_name("Stranger");
    assert!(matches!(
        msg.decrypt(&stranger, false),
        Err(Error::NotRecipient)
    ));
    assert!(msg.decrypt(&ca, false).is_ok());
    // A responder that is not the recipient answers FAILURE badMessageCheck.
    let reply = responder(&stranger).handle(&der).unwrap();
    let rep = PkiMessage::decode(&reply).unwrap();
    assert_eq!(rep.fail_info(), Some(&FailInfo::BadMessageCheck));
}

#[test]
fn huge_chain_is_bounded() {
    let ca = ca();
    let cert = ca.certificate().to_der().unwrap();
    // 10,000 copies (about 8 MB) are refused by size before any parsing...
    let body: Vec<u8> = cert.repeat(10_000);
    let sd = wrap_certs(&body);
    assert!(matches!(
        CaCertificates::from_body(&sd, None),
        Err(Error::TooLarge { .. })
    ));
    // ...and a smaller chain with many certificates by count.
    let sd = wrap_certs(&cert.repeat(100));
    assert!(matches!(
        CaCertificates::from_body(&sd, None),
        Err(Error::TooManyCertificates { .. })
    ));
    // 10,000 minimal fake certificates fit the size limit but not the count.
    let sd = wrap_certs(&[0x30, 0x00].repeat(10_000));
    assert!(matches!(
        mdm_scep::certificates_from_degenerate(&sd),
        Err(Error::TooManyCertificates { .. })
    ));
}

fn wrap_certs(certs: &[u8]) -> Vec<u8> {
    fn tlv(tag: u8, c: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = c.len();
        if len < 128 {
            out.push(len as u8);
        } else {
            let b = (len as u32).to_be_bytes();
            out.push(0x84);
            out.extend(b);
        }
        out.extend(c);
        out
    }
    let oid_sd = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
    ];
    let oid_data = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
    ];
    let sd = tlv(
        0x30,
        &[
            &[0x02, 0x01, 0x01, 0x31, 0x00][..],
            &tlv(0x30, &oid_data),
            &tlv(0xa0, certs),
            &[0x31, 0x00],
        ]
        .concat(),
    );
    tlv(0x30, &[&oid_sd[..], &tlv(0xa0, &sd)].concat())
}

#[test]
fn corpus_vectors_parse_and_decrypt() {
    let Some(dir) = mdm_testsupport::corpus_dir("corpus_vectors_parse_and_decrypt") else {
        return;
    };
    let scep = dir.join("scep");
    let st = scep.join("smallstep-scep/testdata");

    let req = std::fs::read(st.join("PKCSReq.der")).unwrap();
    let msg = PkiMessage::decode(&req).unwrap();
    assert_eq!(msg.message_type(), &MessageType::PkcsReq);
    assert!(msg.sender_nonce().is_some());
    let signer = msg.verify(&[]).unwrap();
    println!(
        "PKCSReq signer {} digest {} cipher {:?}",
        signer.subject(),
        msg.digest(),
        msg.envelope_cipher()
    );
    // Encrypted to the test CA, whose key is in the corpus (PEM, empty passphrase).
    let ca_cert =
        Certificate::from_pem_or_der(&std::fs::read(st.join("testca/ca.pem")).unwrap()).unwrap();
    let ca_key = PrivateKey::from_pem(&std::fs::read(st.join("testca/ca.key")).unwrap()).unwrap();
    let ca = Identity::new(ca_cert.clone(), ca_key, Vec::new()).unwrap();
    let csr_der = msg.decrypt(&ca, true).unwrap();
    let csr = mdm_scep::Csr::from_der(&csr_der).unwrap();
    println!(
        "PKCSReq csr {} challenge {:?}",
        csr.subject(),
        csr.challenge_password().is_some()
    );

    // Our responder answers that real request.
    let r = ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 1), |_| {
        Decision::Issue
    });
    let mut r = r;
    r = r.allow_des(true);
    let rep = PkiMessage::decode(&r.handle(&req).unwrap()).unwrap();
    assert_eq!(rep.pki_status(), Some(&PkiStatus::Success));
    assert_eq!(rep.recipient_nonce(), msg.sender_nonce());

    let rep_der = std::fs::read(st.join("CertRep.der")).unwrap();
    let rep = PkiMessage::decode(&rep_der).unwrap();
    assert_eq!(rep.message_type(), &MessageType::CertRep);
    assert_eq!(rep.pki_status(), Some(&PkiStatus::Success));
    rep.verify(&[]).unwrap();
    assert!(rep.recipient_nonce().is_some());

    // No certificates for the signer: verification needs the CA given from outside.
    let nocert = std::fs::read(st.join("testca2/CertRep_NoCertificatesForSigners.der")).unwrap();
    let m = PkiMessage::decode(&nocert).unwrap();
    assert!(m.certificates().is_empty() || m.verify(&[]).is_ok() || m.verify(&[]).is_err());
    let ca2 =
        Certificate::chain_from_pem(&std::fs::read(st.join("testca2/ca2.pem")).unwrap()).unwrap();
    println!(
        "no-certs CertRep verify with ca2: {:?}",
        m.verify(&ca2).map(|c| c.subject())
    );

    let rc = scep.join("RustCrypto-formats/cms/tests/examples/scep_der.bin");
    let m = PkiMessage::decode(&std::fs::read(rc).unwrap()).unwrap();
    println!("scep_der.bin: {} {}", m.message_type(), m.transaction_id());
    m.verify(&[]).unwrap();
}

#[test]
fn builder_fields_round_trip() {
    let ca = ca();
    let id = TransactionId::new("ABC-123").unwrap();
    assert!(TransactionId::new("bad\u{0}id").is_err());
    let mut b = PkiMessageBuilder::new(MessageType::CertRep, id.clone()).unwrap();
    b = b
        .pki_status(PkiStatus::Failure)
        .fail_info(FailInfo::BadTime, Some("clock skew"))
        .recipient_nonce(Nonce::from_bytes(&[1; 16]).unwrap());
    let m = PkiMessage::decode(&b.build(&ca).unwrap()).unwrap();
    assert_eq!(m.transaction_id(), &id);
    assert_eq!(m.fail_info(), Some(&FailInfo::BadTime));
    assert_eq!(m.fail_info_text(), Some("clock skew"));
    assert_eq!(m.sender_nonce(), Some(b.sender_nonce_value()));
    assert_eq!(m.verify(&[]).unwrap(), *ca.certificate());
    assert_eq!(
        MessageType::from_wire("99"),
        MessageType::Other("99".into())
    );
    assert_eq!(PkiStatus::from_wire("3"), PkiStatus::Pending);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = PkiMessage::decode(&bytes);
        let _ = mdm_scep::certificates_from_degenerate(&bytes);
        let _ = Capabilities::decode(&bytes);
        let _ = CaCertificates::from_body(&bytes, None);
    }

    #[test]
    fn mutated_messages_never_panic(pos in any::<prop::sample::Index>(), val in any::<u8>()) {
        let msg = sample_message();
        let mut m = msg.clone();
        let i = pos.index(m.len());
        m[i] = val;
        if let Ok(p) = PkiMessage::decode(&m) {
            let _ = p.verify(&[]);
        }
    }

    #[test]
    fn caps_round_trip(words in proptest::collection::vec("[A-Za-z0-9-]{1,12}", 0..12)) {
        let caps = Capabilities::decode(words.join("\n").as_bytes()).unwrap();
        let again = Capabilities::decode(caps.to_body().as_bytes()).unwrap();
        prop_assert_eq!(caps, again);
    }
}

fn sample_message() -> Vec<u8> {
    use std::sync::OnceLock;
    static MSG: OnceLock<Vec<u8>> = OnceLock::new();
    MSG.get_or_init(|| {
        let ca = ca();
        enroll_request(&ca, CHALLENGE, RequestOptions::default()).1
    })
    .clone()
}

/// Writes the fuzz seeds (`cargo test -p mdm-scep --test messages -- --ignored write_fuzz_seeds`):
/// a PKCSReq, a CertPoll, and CertReps for SUCCESS, FAILURE and PENDING, all made here.
#[test]
#[ignore = "writes files under fuzz/corpus"]
fn write_fuzz_seeds() {
    let root = mdm_testsupport::workspace_root().join("fuzz/corpus");
    let ca = ca();
    let r = responder(&ca);
    let (mut tx, req, _) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    let ok = r.handle(&req).unwrap();
    let (_, bad_req, _) = enroll_request(&ca, "wrong", RequestOptions::default());
    let fail = r.handle(&bad_req).unwrap();
    let poll = tx.poll().unwrap();
    let pending = ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 1), |_| {
        Decision::Pending
    })
    .handle(&req)
    .unwrap();
    let p = root.join("scep_pkimessage_parse");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("pkcsreq.der"), &req).unwrap();
    std::fs::write(p.join("certpoll.der"), &poll).unwrap();
    let c = root.join("scep_certrep_parse");
    std::fs::create_dir_all(&c).unwrap();
    std::fs::write(c.join("success.der"), &ok).unwrap();
    std::fs::write(c.join("failure.der"), &fail).unwrap();
    std::fs::write(c.join("pending.der"), &pending).unwrap();
}

/// A CA that issues nothing but has a CRL.
struct CrlOnly(Vec<u8>);

impl mdm_scep::CertificateAuthority for CrlOnly {
    fn issue(&self, _: &mdm_scep::EnrollmentRequest<'_>) -> Result<Vec<Certificate>, FailInfo> {
        Err(FailInfo::BadRequest)
    }

    fn crl(&self, _issuer: &[u8]) -> Option<Vec<u8>> {
        Some(self.0.clone())
    }
}

#[test]
fn get_crl_returns_the_cas_crl() {
    let ca = ca();
    // A stand-in CRL: the requester hands back the first SEQUENCE of crls [1] as it is.
    let crl = vec![0x30, 0x03, 0x02, 0x01, 0x05];
    let r = ScepResponder::new(ca.clone(), CrlOnly(crl.clone()), |_| Decision::Issue);
    let (mut tx, der) = Transaction::get_crl(
        ca.certificate(),
        ca.clone(),
        cas(&ca),
        RequestOptions::default(),
    )
    .unwrap();
    match tx.handle_response(&r.handle(&der).unwrap()).unwrap() {
        Outcome::Crl(got) => assert_eq!(got, crl),
        other => panic!("{other:?}"),
    }
    // Enrollment against that CA is rejected with the CA's failInfo.
    let (mut tx, der, _) = enroll_request(&ca, CHALLENGE, RequestOptions::default());
    let err = tx.handle_response(&r.handle(&der).unwrap()).unwrap_err();
    assert_eq!(err.fail_info(), Some(&FailInfo::BadRequest));
}

#[test]
fn get_next_ca_cert_is_verified_against_the_current_ca() {
    let current = ca();
    let next = ca_with_name("Next CA");
    let body = degenerate(&[next.certificate().clone()]).unwrap();
    let signed =
        mdm_signing::sign(&body, &mdm_signing::Signer::new(current.clone()).unwrap()).unwrap();
    let got = mdm_scep::next_ca_certificates(&signed, current.certificate()).unwrap();
    assert_eq!(got, vec![next.certificate().clone()]);
    // Signed by someone else: refused.
    let forged =
        mdm_signing::sign(&body, &mdm_signing::Signer::new(next.clone()).unwrap()).unwrap();
    assert!(mdm_scep::next_ca_certificates(&forged, current.certificate()).is_err());
}
