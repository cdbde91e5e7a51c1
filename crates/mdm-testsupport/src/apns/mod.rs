//! An APNs stand-in for tests: a PKI made with the openssl crate (a CA, a server
//! certificate for 127.0.0.1 and an MDM push client certificate whose UID is the topic)
//! and a throw-away nginx that plays APNs ([`nginx`]).
//!
//! Used by mdm-apns' own tests and by the example server's push test. Failures panic: this
//! is test support.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod nginx;

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509Name, X509NameBuilder};

pub const TOPIC: &str = "com.apple.mgmt.External.2b6d7a46-0c11-4f4e-8d4a-8b5f6a1c3e21";

pub struct Pki {
    pub ca: X509,
    pub ca_key: PKey<Private>,
    pub server: X509,
    pub server_key: PKey<Private>,
    pub client: X509,
    pub client_key: PKey<Private>,
}

impl Default for Pki {
    fn default() -> Self {
        Pki::new()
    }
}

impl Pki {
    /// One PKI per test binary (RSA key generation is the slow part of these tests).
    pub fn shared() -> &'static Pki {
        static PKI: std::sync::OnceLock<Pki> = std::sync::OnceLock::new();
        PKI.get_or_init(Pki::new)
    }

    pub fn new() -> Self {
        let ca_key = rsa_key();
        let ca = {
            let name = name(&[(Nid::COMMONNAME, "mdm-apns test CA")]);
            let mut b = builder(&name, &name, &ca_key);
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
            b.sign(&ca_key, MessageDigest::sha256()).unwrap();
            b.build()
        };
        let server_key = rsa_key();
        let server = {
            let subject = name(&[(Nid::COMMONNAME, "localhost")]);
            let mut b = builder(&subject, ca.subject_name(), &server_key);
            let san = SubjectAlternativeName::new()
                .ip("127.0.0.1")
                .ip("::1")
                .dns("localhost")
                .build(&b.x509v3_context(Some(&ca), None))
                .unwrap();
            b.append_extension(san).unwrap();
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
                .unwrap();
            b.sign(&ca_key, MessageDigest::sha256()).unwrap();
            b.build()
        };
        let client_key = rsa_key();
        let client = client_cert(&ca, &ca_key, &client_key, Some(TOPIC));
        Pki {
            ca,
            ca_key,
            server,
            server_key,
            client,
            client_key,
        }
    }

    pub fn ca_pem(&self) -> Vec<u8> {
        self.ca.to_pem().unwrap()
    }

    /// Server certificate followed by the CA.
    pub fn server_chain_pem(&self) -> Vec<u8> {
        let mut v = self.server.to_pem().unwrap();
        v.extend(self.ca.to_pem().unwrap());
        v
    }

    pub fn server_key_pem(&self) -> Vec<u8> {
        self.server_key.private_key_to_pem_pkcs8().unwrap()
    }

    pub fn client_pem(&self) -> Vec<u8> {
        self.client.to_pem().unwrap()
    }

    pub fn client_key_pkcs8(&self) -> Vec<u8> {
        self.client_key.private_key_to_pem_pkcs8().unwrap()
    }

    pub fn client_key_pkcs1(&self) -> Vec<u8> {
        self.client_key.rsa().unwrap().private_key_to_pem().unwrap()
    }
}

pub fn client_cert(
    ca: &X509,
    ca_key: &PKey<Private>,
    key: &PKey<Private>,
    uid: Option<&str>,
) -> X509 {
    let mut b = client_builder(ca, key, uid);
    b.append_extension(ExtendedKeyUsage::new().client_auth().build().unwrap())
        .unwrap();
    b.sign(ca_key, MessageDigest::sha256()).unwrap();
    b.build()
}

/// Like [`client_cert`] but X.509 version 1, without extensions: what `openssl x509 -req`
/// issues when no extensions file is given.
pub fn client_cert_v1(
    ca: &X509,
    ca_key: &PKey<Private>,
    key: &PKey<Private>,
    uid: Option<&str>,
) -> X509 {
    let mut b = client_builder(ca, key, uid);
    // Test support on the test's own fresh keys: setting a version and signing cannot fail.
    b.set_version(0).unwrap();
    b.sign(ca_key, MessageDigest::sha256()).unwrap();
    b.build()
}

/// A client certificate's builder, unsigned: subject `UID=uid, CN=APSP:...`, issued by `ca`.
fn client_builder(ca: &X509, key: &PKey<Private>, uid: Option<&str>) -> openssl::x509::X509Builder {
    let mut entries = vec![(Nid::COMMONNAME, "APSP:test push certificate")];
    if let Some(uid) = uid {
        entries.insert(0, (Nid::USERID, uid));
    }
    builder(&name(&entries), ca.subject_name(), key)
}

pub fn rsa_key() -> PKey<Private> {
    PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
}

fn name(entries: &[(Nid, &str)]) -> X509Name {
    let mut b = X509NameBuilder::new().unwrap();
    for (nid, value) in entries {
        b.append_entry_by_nid(*nid, value).unwrap();
    }
    b.build()
}

fn builder(
    subject: &openssl::x509::X509NameRef,
    issuer: &openssl::x509::X509NameRef,
    key: &PKey<Private>,
) -> openssl::x509::X509Builder {
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(subject).unwrap();
    b.set_issuer_name(issuer).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(365).unwrap())
        .unwrap();
    b
}
