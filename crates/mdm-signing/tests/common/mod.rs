//! Test helpers: a small PKI built with OpenSSL (a CA and leaf certificates).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_wrap
)]

use mdm_signing::openssl::asn1::Asn1Time;
use mdm_signing::openssl::bn::{BigNum, MsbOption};
use mdm_signing::openssl::hash::MessageDigest;
use mdm_signing::openssl::nid::Nid;
use mdm_signing::openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use mdm_signing::openssl::x509::{X509, X509NameBuilder};
use mdm_signing::{Certificate, Identity, PrivateKey};

#[derive(Clone, Copy, Debug)]
pub enum Alg {
    Rsa,
    P256,
}

pub fn key(alg: Alg) -> PrivateKey {
    match alg {
        Alg::Rsa => PrivateKey::generate_rsa(2048).unwrap(),
        Alg::P256 => PrivateKey::generate_p256().unwrap(),
    }
}

/// Builds a certificate for `subject_key` named `cn`, issued by `issuer` (self-signed when
/// `None`), valid from `start` to `end` (unix seconds).
pub fn cert(
    cn: &str,
    subject_key: &PrivateKey,
    issuer: Option<(&Certificate, &PrivateKey)>,
    ca: bool,
    smime: bool,
    start: i64,
    end: i64,
) -> Certificate {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    name.append_entry_by_nid(Nid::ORGANIZATIONNAME, "mdm-signing tests")
        .unwrap();
    let name = name.build();
    let mut serial = BigNum::new().unwrap();
    serial.rand(64, MsbOption::MAYBE_ZERO, false).unwrap();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    match issuer {
        Some((ic, _)) => b.set_issuer_name(ic.as_openssl().subject_name()).unwrap(),
        None => b.set_issuer_name(&name).unwrap(),
    }
    b.set_pubkey(subject_key.as_openssl()).unwrap();
    b.set_not_before(&Asn1Time::from_unix(start).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(end).unwrap()).unwrap();
    if ca {
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
    } else {
        b.append_extension(BasicConstraints::new().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .key_encipherment()
                .key_agreement()
                .build()
                .unwrap(),
        )
        .unwrap();
        if smime {
            b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
                .unwrap();
        } else {
            b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
                .unwrap();
        }
    }
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(ski).unwrap();
    let signing_key = issuer.map(|(_, k)| k).unwrap_or(subject_key);
    b.sign(signing_key.as_openssl(), MessageDigest::sha256())
        .unwrap();
    Certificate::from(b.build())
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A CA and a leaf identity (with the CA as its chain).
pub struct Pki {
    pub ca: Certificate,
    pub ca_key: PrivateKey,
    pub leaf: Identity,
}

pub fn pki(alg: Alg) -> Pki {
    pki_with(alg, true)
}

pub fn pki_with(alg: Alg, smime: bool) -> Pki {
    let t = now();
    let ca_key = key(alg);
    let ca = cert(
        "Test CA",
        &ca_key,
        None,
        true,
        false,
        t - 3600,
        t + 86_400 * 365,
    );
    let leaf_key = key(alg);
    let leaf_cert = cert(
        "Test Signer",
        &leaf_key,
        Some((&ca, &ca_key)),
        false,
        smime,
        t - 3600,
        t + 86_400 * 30,
    );
    let leaf = Identity::new(leaf_cert, leaf_key, vec![ca.clone()]).unwrap();
    Pki { ca, ca_key, leaf }
}

pub const PROFILE: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">
<plist version=\"1.0\">
<dict>
\t<key>PayloadContent</key>
\t<array>
\t\t<dict>
\t\t\t<key>PayloadType</key>
\t\t\t<string>com.apple.wifi.managed</string>
\t\t\t<key>SSID_STR</key>
\t\t\t<string>Example</string>
\t\t\t<key>Password</key>
\t\t\t<string>secret</string>
\t\t</dict>
\t</array>
\t<key>PayloadIdentifier</key>
\t<string>com.example.test</string>
\t<key>PayloadType</key>
\t<string>Configuration</string>
\t<key>PayloadUUID</key>
\t<string>6F1A3B5C-0000-4000-8000-000000000001</string>
\t<key>PayloadVersion</key>
\t<integer>1</integer>
</dict>
</plist>
";
