//! Sign, verify, encrypt, decrypt and key loading, within this crate.
#![allow(
    clippy::print_stderr,
    clippy::cast_possible_wrap,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use chrono::{TimeZone, Utc};
use common::{Alg, PROFILE, cert, key, now, pki, pki_with};
use mdm_signing::openssl::ec::EcKey;
use mdm_signing::openssl::rsa::Rsa;
use mdm_signing::{
    Certificate, ChainFailure, Error, Identity, KeyKind, PrivateKey, Signer, TrustPolicy,
    certificate_from_proxy_header, content_unverified, decrypt_payloads, encrypt_payloads, sign,
    verify, verify_detached, verify_mdm_signature,
};

#[test]
fn sign_then_verify_rsa_and_p256() {
    for alg in [Alg::Rsa, Alg::P256] {
        let p = pki(alg);
        let signer = Signer::new(p.leaf.clone()).unwrap();
        let signed = sign(PROFILE, &signer).unwrap();
        assert_eq!(signed[0..2], [0x30, 0x82], "definite-length DER");
        let v = verify(&signed, &TrustPolicy::with_anchors([p.ca.clone()])).unwrap();
        assert_eq!(v.content(), PROFILE);
        assert_eq!(v.signer(), p.leaf.certificate());
        assert_eq!(v.chain().len(), 2);
        assert_eq!(v.chain()[1], p.ca);
        assert_eq!(v.certificates().len(), 2, "signer and chain included");
        assert_eq!(content_unverified(&signed).unwrap(), PROFILE);
    }
}

#[test]
fn chain_failures_are_typed() {
    let p = pki(Alg::P256);
    let signed = sign(PROFILE, &Signer::new(p.leaf.clone()).unwrap()).unwrap();

    // A CA of the same name but another key: the chain is found but does not verify.
    let other = pki(Alg::P256);
    let err = verify(&signed, &TrustPolicy::with_anchors([other.ca])).unwrap_err();
    assert_eq!(err, Error::Chain(ChainFailure::BadCertificateSignature));
    // An unrelated anchor.
    let unrelated = Identity::self_signed("Unrelated CA", key(Alg::P256), 1).unwrap();
    let err = verify(
        &signed,
        &TrustPolicy::with_anchors([unrelated.certificate().clone()]),
    )
    .unwrap_err();
    assert_eq!(err, Error::Chain(ChainFailure::UntrustedRoot));
    assert_eq!(err.failed_check(), Some("untrusted-chain"));
    assert!(err.is_trust_failure());

    let err = verify(&signed, &TrustPolicy::new()).unwrap_err();
    assert_eq!(err, Error::Chain(ChainFailure::UntrustedRoot));
    // The system roots do not know our test CA either.
    let mut system = TrustPolicy::new();
    system = system.use_system_roots(true);
    assert_eq!(
        verify(&signed, &system).unwrap_err(),
        Error::Chain(ChainFailure::UntrustedRoot)
    );

    let mut later = TrustPolicy::with_anchors([p.ca.clone()]);
    later = later.at_time(Utc.timestamp_opt(now() + 86_400 * 60, 0).unwrap());
    assert_eq!(
        verify(&signed, &later).unwrap_err(),
        Error::Chain(ChainFailure::Expired)
    );
    let mut earlier = TrustPolicy::with_anchors([p.ca.clone()]);
    earlier = earlier.at_time(Utc.timestamp_opt(now() - 86_400, 0).unwrap());
    assert_eq!(
        verify(&signed, &earlier).unwrap_err(),
        Error::Chain(ChainFailure::NotYetValid)
    );

    // signature_only skips the chain entirely.
    let v = verify(&signed, &TrustPolicy::signature_only()).unwrap();
    assert!(v.chain().is_empty());
}

#[test]
fn purpose_check_can_be_switched_off() {
    let p = pki_with(Alg::Rsa, false); // leaf has serverAuth only
    let signed = sign(PROFILE, &Signer::new(p.leaf.clone()).unwrap()).unwrap();
    let mut policy = TrustPolicy::with_anchors([p.ca.clone()]);
    assert_eq!(
        verify(&signed, &policy).unwrap_err(),
        Error::Chain(ChainFailure::InvalidPurpose)
    );
    policy = policy.check_purpose(false);
    assert_eq!(verify(&signed, &policy).unwrap().content(), PROFILE);
}

#[test]
fn chain_can_come_from_the_policy() {
    let p = pki(Alg::P256);
    let mut signer = Signer::new(p.leaf.clone()).unwrap();
    signer = signer.include_chain(false);
    let signed = sign(PROFILE, &signer).unwrap();
    // The CA is the anchor, so no intermediate is needed; the signed data carries 1 cert.
    let v = verify(&signed, &TrustPolicy::with_anchors([p.ca.clone()])).unwrap();
    assert_eq!(v.certificates().len(), 1);
}

#[test]
fn detached_signatures_and_mdm_signature_header() {
    for alg in [Alg::Rsa, Alg::P256] {
        let p = pki(alg);
        let mut signer = Signer::new(p.leaf.clone()).unwrap();
        signer = signer.detached(true);
        let body = b"<plist><dict><key>MessageType</key><string>Idle</string></dict></plist>";
        let sig = sign(body, &signer).unwrap();
        let policy = TrustPolicy::with_anchors([p.ca.clone()]);
        assert_eq!(
            verify_detached(&sig, body, &policy).unwrap().content(),
            body
        );
        assert_eq!(verify(&sig, &policy).unwrap_err(), Error::NoContent);
        assert_eq!(
            verify_detached(&sig, b"other body", &policy).unwrap_err(),
            Error::DigestMismatch
        );

        let header = mdm_signing::openssl::base64::encode_block(&sig);
        let device = verify_mdm_signature(&header, body, &TrustPolicy::signature_only()).unwrap();
        assert_eq!(device.signer(), p.leaf.certificate());
        let wrapped: String = header
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n ");
        assert!(verify_mdm_signature(&wrapped, body, &policy).is_ok());
        assert_eq!(
            verify_mdm_signature(&header, b"tampered", &policy).unwrap_err(),
            Error::DigestMismatch
        );
        assert!(matches!(
            verify_mdm_signature("%%%", body, &policy),
            Err(Error::Header(_))
        ));
    }
}

#[test]
fn wrong_content_type_is_reported() {
    let p = pki(Alg::Rsa);
    let enveloped = mdm_signing::encrypt(
        b"hello",
        p.leaf.certificate(),
        mdm_signing::ContentCipher::Aes256Cbc,
    )
    .unwrap();
    let err = verify(&enveloped, &TrustPolicy::signature_only()).unwrap_err();
    assert!(matches!(err, Error::WrongContentType { .. }), "{err:?}");
    assert_eq!(err.failed_check(), Some("not-signed-data"));
}

#[test]
fn encrypt_then_decrypt_payloads() {
    for alg in [Alg::Rsa, Alg::P256] {
        let p = pki(alg);
        let enc = encrypt_payloads(PROFILE, p.leaf.certificate()).unwrap();
        let text = String::from_utf8(enc.clone()).unwrap();
        assert!(text.contains("<key>EncryptedPayloadContent</key>"));
        assert!(!text.contains("PayloadContent</key>\n\t<array>"));
        assert!(!text.contains("secret"));
        let dec = decrypt_payloads(&enc, &p.leaf).unwrap();
        let a = mdm_signing_value(&dec);
        let b = mdm_signing_value(PROFILE);
        assert_eq!(a, b);

        // A wrong recipient key says so in words (it used to be "unknown openssl error"),
        // whether the envelope uses key transport (RSA) or key agreement (EC).
        let other = pki(alg);
        let err = decrypt_payloads(&enc, &other.leaf).unwrap_err();
        assert!(
            matches!(err, Error::NotRecipient { .. } | Error::Decrypt(_)),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(!text.contains("unknown openssl error"), "{text}");
        assert!(
            text.contains("not a recipient") || text.contains("does not open"),
            "{text}"
        );
        // A signed profile given to encrypt_payloads is named as such.
        let signer = Signer::new(p.leaf.clone()).unwrap();
        let signed = sign(PROFILE, &signer).unwrap();
        let err = encrypt_payloads(&signed, p.leaf.certificate()).unwrap_err();
        assert!(err.to_string().contains("the profile is signed"), "{err}");
        assert!(matches!(
            decrypt_payloads(PROFILE, &p.leaf),
            Err(Error::Profile(_))
        ));
        assert!(matches!(
            encrypt_payloads(&enc, p.leaf.certificate()),
            Err(Error::Profile(_))
        ));
    }
}

fn mdm_signing_value(bytes: &[u8]) -> mdm_plist::Value {
    mdm_plist::value_from_xml_bytes(bytes, &mdm_plist::Limits::default()).unwrap()
}

#[test]
fn keys_load_from_pkcs1_pkcs8_sec1_pem_and_der() {
    let rsa = Rsa::generate(2048).unwrap();
    let pkcs1 = rsa.private_key_to_pem().unwrap();
    assert!(pkcs1.starts_with(b"-----BEGIN RSA PRIVATE KEY-----"));
    let k = PrivateKey::from_pem(&pkcs1).unwrap();
    assert_eq!(k.kind(), KeyKind::Rsa { bits: 2048 });
    let pkcs8 = k.to_pkcs8_pem().unwrap();
    assert!(pkcs8.starts_with(b"-----BEGIN PRIVATE KEY-----"));
    assert!(PrivateKey::from_pem(&pkcs8).is_ok());
    assert!(PrivateKey::from_der(&rsa.private_key_to_der().unwrap()).is_ok());
    assert!(PrivateKey::from_pem_or_der(&k.to_pkcs8_der().unwrap()).is_ok());

    let group = mdm_signing::openssl::ec::EcGroup::from_curve_name(
        mdm_signing::openssl::nid::Nid::X9_62_PRIME256V1,
    )
    .unwrap();
    let ec = EcKey::generate(&group).unwrap();
    let sec1 = ec.private_key_to_pem().unwrap();
    assert!(sec1.starts_with(b"-----BEGIN EC PRIVATE KEY-----"));
    let k = PrivateKey::from_pem(&sec1).unwrap();
    assert_eq!(k.kind(), KeyKind::EcP256);
    assert!(PrivateKey::from_der(&ec.private_key_to_der().unwrap()).is_ok());

    // Encrypted PKCS#8 needs the passphrase and never prompts.
    let enc = k
        .as_openssl()
        .private_key_to_pem_pkcs8_passphrase(
            mdm_signing::openssl::symm::Cipher::aes_256_cbc(),
            b"pw",
        )
        .unwrap();
    assert!(matches!(
        PrivateKey::from_pem(&enc),
        Err(Error::Load { .. })
    ));
    assert!(PrivateKey::from_pem_with_passphrase(&enc, b"pw").is_ok());
    assert!(PrivateKey::from_pem_with_passphrase(&enc, b"no").is_err());
    assert!(PrivateKey::from_pem(b"garbage").is_err());
    assert!(Certificate::from_pem(b"").is_err());
}

#[test]
fn identity_from_pem_chain_and_pkcs12() {
    let p = pki(Alg::Rsa);
    let mut cert_pem = p.leaf.certificate().to_pem().unwrap();
    cert_pem.extend(p.ca.to_pem().unwrap());
    let key_pem = p.leaf.key().to_pkcs8_pem().unwrap();
    let id = Identity::from_pem(&cert_pem, &key_pem).unwrap();
    assert_eq!(id.chain(), std::slice::from_ref(&p.ca));

    let other = key(Alg::Rsa);
    assert_eq!(
        Identity::new(p.leaf.certificate().clone(), other, vec![]).unwrap_err(),
        Error::KeyMismatch
    );

    let p12 = id.to_pkcs12("secret", "test").unwrap();
    let back = Identity::from_pkcs12(&p12, "secret").unwrap();
    assert_eq!(back.certificate(), p.leaf.certificate());
    assert_eq!(back.chain().len(), 1);
    assert_eq!(
        Identity::from_pkcs12(&p12, "wrong").unwrap_err(),
        Error::Pkcs12Password
    );
    assert!(matches!(
        Identity::from_pkcs12(b"\x30\x03\x02\x01\x03", "x"),
        Err(Error::Load { .. })
    ));
}

#[test]
fn certificate_accessors() {
    let t = now();
    let k = key(Alg::P256);
    let c = cert("Accessor", &k, None, true, false, t - 10, t + 1000);
    assert_eq!(c.common_name().as_deref(), Some("Accessor"));
    assert!(c.subject().contains("CN=Accessor"));
    assert!(c.is_self_issued());
    assert_eq!(c.not_before().unwrap().timestamp(), t - 10);
    assert_eq!(c.not_after().unwrap().timestamp(), t + 1000);
    assert_eq!(c.sha256_fingerprint().unwrap().len(), 64);
    assert!(!c.serial_hex().is_empty());
    assert_eq!(Certificate::from_der(&c.to_der().unwrap()).unwrap(), c);
    assert_eq!(
        Certificate::from_pem_or_der(&c.to_pem().unwrap()).unwrap(),
        c
    );
}

#[test]
fn proxy_client_certificate_headers() {
    let p = pki(Alg::P256);
    let c = p.leaf.certificate();
    let der = c.to_der().unwrap();
    let b64 = mdm_signing::openssl::base64::encode_block(&der);
    let pem = String::from_utf8(c.to_pem().unwrap()).unwrap();

    // RFC 9440
    assert_eq!(
        &certificate_from_proxy_header(&format!(":{b64}:")).unwrap(),
        c
    );
    // nginx $ssl_client_escaped_cert
    let escaped: String = pem
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    assert_eq!(&certificate_from_proxy_header(&escaped).unwrap(), c);
    // PEM folded onto one line
    assert_eq!(
        &certificate_from_proxy_header(&pem.replace('\n', " ")).unwrap(),
        c
    );
    assert_eq!(
        &certificate_from_proxy_header(&pem.replace('\n', "\t")).unwrap(),
        c
    );
    // bare base64
    assert_eq!(&certificate_from_proxy_header(&b64).unwrap(), c);
    assert!(certificate_from_proxy_header(":AAAA:").is_err());
}

#[test]
fn self_signed_identity_signs_and_verifies_with_purpose_check() {
    let id = Identity::self_signed("Self", key(Alg::Rsa), 1).unwrap();
    let anchor = id.certificate().clone();
    let signed = sign(b"x", &Signer::new(id).unwrap()).unwrap();
    assert_eq!(
        verify(&signed, &TrustPolicy::with_anchors([anchor]))
            .unwrap()
            .content(),
        b"x"
    );
}

#[test]
fn changed_signature_value_is_a_bad_signature() {
    for alg in [Alg::Rsa, Alg::P256] {
        let p = pki(alg);
        let mut signed = sign(PROFILE, &Signer::new(p.leaf.clone()).unwrap()).unwrap();
        // The DER ends with the SignerInfo's signature value.
        let last = signed.len() - 1;
        signed[last] ^= 0x01;
        let err = verify(&signed, &TrustPolicy::with_anchors([p.ca.clone()])).unwrap_err();
        assert!(matches!(err, Error::BadSignature(_)), "{alg:?}: {err:?}");
        assert_eq!(err.failed_check(), Some("signature"));
    }
}

#[test]
fn shared_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Signer>();
    check::<Identity>();
    check::<Certificate>();
    check::<PrivateKey>();
    check::<TrustPolicy>();
    check::<mdm_signing::Verified>();
    check::<Error>();
}
