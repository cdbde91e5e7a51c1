//! Push identity from PEM (PKCS#1 and PKCS#8 keys) and PKCS#12, and the topic in the UID.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

mod common;

use mdm_apns::{Error, PushIdentity, Topic};
use openssl::pkcs12::Pkcs12;

use common::{Pki, PkiExt, TOPIC, client_cert, rsa_key};

#[test]
fn pem_with_pkcs8_and_pkcs1_keys() {
    let pki = Pki::shared();
    for key in [pki.client_key_pkcs8(), pki.client_key_pkcs1()] {
        let id = PushIdentity::from_pem(&pki.client_pem(), &key).unwrap();
        assert_eq!(id.topic().as_str(), TOPIC);
        assert!(id.subject().contains("APSP:test push certificate"));
        let not_after = id.not_after().unwrap();
        assert!(not_after > chrono::Utc::now() + chrono::Duration::days(360));
        let pem = String::from_utf8(id.to_pem().unwrap()).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 1);
    }
}

#[test]
fn one_file_with_key_and_chain() {
    let pki = Pki::shared();
    let mut bundle = pki.ca_pem();
    bundle.extend(pki.client_key_pkcs1());
    bundle.extend(pki.client_pem());
    let id = PushIdentity::from_pem(&bundle, &bundle).unwrap();
    assert_eq!(id.topic().as_str(), TOPIC);
    let pem = String::from_utf8(id.to_pem().unwrap()).unwrap();
    assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2);
    assert_eq!(id.certificate_der().unwrap(), pki.client.to_der().unwrap());
}

#[test]
fn topic_check() {
    let id = Pki::shared().identity();
    id.check_topic(&Topic::new(TOPIC).unwrap()).unwrap();
    let other = Topic::new("com.apple.mgmt.External.00000000-0000-0000-0000-000000000000").unwrap();
    assert!(matches!(
        id.check_topic(&other),
        Err(Error::TopicMismatch { .. })
    ));
}

#[test]
fn no_uid_or_not_mdm() {
    let pki = Pki::shared();
    for uid in [None, Some("com.example.app")] {
        let cert = client_cert(&pki.ca, &pki.ca_key, &pki.client_key, uid);
        let err =
            PushIdentity::from_pem(&cert.to_pem().unwrap(), &pki.client_key_pkcs8()).unwrap_err();
        assert_eq!(err, Error::NoTopicInCertificate);
    }
}

#[test]
fn key_must_match() {
    let pki = Pki::shared();
    let other = rsa_key().private_key_to_pem_pkcs8().unwrap();
    let err = PushIdentity::from_pem(&pki.client_pem(), &other).unwrap_err();
    assert!(
        matches!(err, Error::Identity(mdm_signing::Error::KeyMismatch)),
        "{err}"
    );
}

#[test]
fn garbage_and_encrypted_keys() {
    let pki = Pki::shared();
    assert!(matches!(
        PushIdentity::from_pem(b"junk", &pki.client_key_pkcs8()),
        Err(Error::Identity(_))
    ));
    assert!(matches!(
        PushIdentity::from_pem(&pki.client_pem(), b"junk"),
        Err(Error::Identity(_))
    ));
    let err = PushIdentity::from_pem(&pki.client_pem(), &pki.client_pem()).unwrap_err();
    assert!(
        err.to_string().contains("no PEM private key found"),
        "{err}"
    );
    let encrypted = pki
        .client_key
        .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_128_cbc(), b"pw")
        .unwrap();
    let err = PushIdentity::from_pem(&pki.client_pem(), &encrypted).unwrap_err();
    assert!(err.to_string().contains("the key is encrypted"), "{err}");
}

#[test]
fn pkcs12_modern() {
    let pki = Pki::shared();
    let mut ca = openssl::stack::Stack::new().unwrap();
    ca.push(pki.ca.clone()).unwrap();
    let p12 = Pkcs12::builder()
        .name("push")
        .pkey(&pki.client_key)
        .cert(&pki.client)
        .ca(ca)
        .build2("secret")
        .unwrap()
        .to_der()
        .unwrap();
    let id = PushIdentity::from_pkcs12(&p12, "secret").unwrap();
    assert_eq!(id.topic().as_str(), TOPIC);
    assert_eq!(
        PushIdentity::from_pkcs12(&p12, "wrong").unwrap_err(),
        Error::Identity(mdm_signing::Error::Pkcs12Password)
    );
    assert!(matches!(
        PushIdentity::from_pkcs12(b"not der", "secret"),
        Err(Error::Identity(_))
    ));
}

/// `tests/data/legacy-rc2.p12` was made with `openssl pkcs12 -export -legacy` (RC2-40 for
/// the certificate bag, 3DES for the key), as Keychain Access exports push certificates;
/// see `tests/data/README.md`. It loads through the one identity loader of `mdm-signing`,
/// which enables OpenSSL's legacy provider on first need.
#[test]
fn pkcs12_legacy_loads() {
    let der = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/legacy-rc2.p12"
    ))
    .unwrap();
    match PushIdentity::from_pkcs12(&der, "legacy") {
        Ok(id) => assert_eq!(id.topic().as_str(), TOPIC),
        // Only an OpenSSL installed without its legacy provider module ends here.
        Err(Error::Identity(mdm_signing::Error::LegacyPkcs12)) => {
            assert!(
                std::env::var_os("MDM_REQUIRE_PEERS").is_none(),
                "the OpenSSL legacy provider is missing"
            );
            println!("skipped: the OpenSSL legacy provider is not installed");
        }
        Err(other) => panic!("legacy .p12 did not load: {other}"),
    }
}
