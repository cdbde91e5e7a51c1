//! Real signed, encrypted and Mdm-Signature data from `../shared/corpus`.
#![allow(
    clippy::print_stderr,
    clippy::cast_possible_wrap,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use chrono::{TimeZone, Utc};
use mdm_plist::{Limits, Value};
use mdm_signing::{
    Certificate, Error, Identity, TrustPolicy, certificates_unverified, content_unverified,
    decrypt_payloads, verify, verify_mdm_signature_der,
};

const BETA: &str = "profiles/mwoolweaver-apple-beta-profiles/beta";
const TCC_SIGNED: &str = "profiles/jamf-PPPC-Utility/historic-247ab27/PPPC UtilityTests/TCCProfileImporter/TestTCCProfileSigned.mobileconfig";
const TCC_BROKEN: &str = "profiles/jamf-PPPC-Utility/historic-027eaea/PPPC UtilityTests/TCCProfileImporter/TestTCCProfileSigned.mobileconfig";
const WIFI_DIR: &str =
    "profiles/rtrouton-jp400-09-2019/deploy_encrypted_profile/resources/profiles";
const MDM_SIGNATURE: &str =
    "mdm-messages/RustCrypto-formats/cms/tests/examples/apple_mdm_signature_der.bin";

fn plist(bytes: &[u8]) -> Value {
    mdm_plist::value_from_xml_bytes(bytes, &Limits::default()).unwrap()
}

fn apple_policy(root: &Certificate) -> TrustPolicy {
    // apple-pki/README.md: a time inside the signer's validity, no S/MIME purpose.
    let mut p = TrustPolicy::with_anchors([root.clone()]);
    p = p
        .at_time(Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap())
        .check_purpose(false);
    p
}

#[test]
fn apple_signed_beta_profiles_verify_to_apple_root() {
    let test = "apple_signed_beta_profiles_verify_to_apple_root";
    let Some(dir) = mdm_testsupport::corpus_path(test, BETA) else {
        return;
    };
    let Some(root) = mdm_testsupport::corpus_path(test, "apple-pki/AppleRootCA.pem") else {
        return;
    };
    let root = Certificate::from_pem(&std::fs::read(root).unwrap()).unwrap();
    let files = mdm_testsupport::files_under(&dir);
    assert_eq!(files.len(), 4);
    for f in files {
        let signed = std::fs::read(&f).unwrap();
        let v = verify(&signed, &apple_policy(&root))
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // Signer -> Apple Application Integration 2 -> Apple Root CA.
        assert_eq!(v.chain().len(), 3, "{}", f.display());
        assert_eq!(v.chain()[2], root);
        assert!(
            v.signer().subject().contains("Apple"),
            "{}",
            v.signer().subject()
        );
        let content = plist(v.content());
        let dict = content.as_dictionary().unwrap();
        assert_eq!(
            dict.get("PayloadType").and_then(Value::as_string),
            Some("Configuration")
        );
        assert_eq!(content_unverified(&signed).unwrap(), v.content());

        // Today, the signer has expired; with the purpose check the usage is refused.
        let mut now = TrustPolicy::with_anchors([root.clone()]);
        now = now.check_purpose(false);
        assert_eq!(
            verify(&signed, &now).unwrap_err().failed_check(),
            Some("expired")
        );
        let mut purpose = apple_policy(&root);
        purpose = purpose.check_purpose(true);
        assert_eq!(
            verify(&signed, &purpose).unwrap_err().failed_check(),
            Some("purpose")
        );
        // And against an empty trust store, the chain is untrusted.
        assert!(
            verify(&signed, &TrustPolicy::new())
                .unwrap_err()
                .is_trust_failure()
        );
    }
}

#[test]
fn ber_signed_tcc_profile_verifies() {
    let test = "ber_signed_tcc_profile_verifies";
    let Some(path) = mdm_testsupport::corpus_path(test, TCC_SIGNED) else {
        return;
    };
    let signed = std::fs::read(path).unwrap();
    assert_eq!(signed[..2], [0x30, 0x80], "BER indefinite length");
    let v = verify(&signed, &TrustPolicy::signature_only()).unwrap();
    let content = plist(v.content());
    assert!(
        content
            .as_dictionary()
            .unwrap()
            .contains_key("PayloadContent")
    );
    assert!(v.signer().subject().contains("iPhone Developer"));
    // The developer certificate chains to Apple Root CA through the WWDR CA it carries.
    if let Some(root) = mdm_testsupport::corpus_path(test, "apple-pki/AppleRootCA.pem") {
        let root = Certificate::from_pem(&std::fs::read(root).unwrap()).unwrap();
        let certs = certificates_unverified(&signed).unwrap();
        assert_eq!(certs.len(), 2);
        let at = v.signer().not_before().unwrap() + chrono::Duration::days(1);
        let mut policy = TrustPolicy::with_anchors([root]);
        policy = policy.at_time(at).check_purpose(false);
        // The developer certificate has a critical Apple extension OpenSSL does not know.
        assert!(matches!(
            verify(&signed, &policy).unwrap_err(),
            Error::Chain(mdm_signing::ChainFailure::Other { code: 34, .. })
        ));
        policy = policy.allow_unknown_critical_extensions(true);
        let v = verify(&signed, &policy).unwrap();
        assert_eq!(v.chain().len(), 3);
    }
}

#[test]
fn crlf_corrupted_tcc_profile_fails_typed() {
    let Some(path) =
        mdm_testsupport::corpus_path("crlf_corrupted_tcc_profile_fails_typed", TCC_BROKEN)
    else {
        return;
    };
    let signed = std::fs::read(path).unwrap();
    // The rewrite turned 0x0d bytes into 0x0a: the outer OID now reads
    // 1.2.840.113546.1.7.2 instead of signedData (1.2.840.113549.1.7.2).
    let err = verify(&signed, &TrustPolicy::signature_only()).unwrap_err();
    assert!(
        matches!(&err, Error::WrongContentType { found, .. } if found == "1.2.840.113546.1.7.2"),
        "{err:?}"
    );
    assert_eq!(err.failed_check(), Some("not-signed-data"));
    assert!(content_unverified(&signed).is_err());
}

#[test]
fn encrypted_wifi_profile_decrypts_with_companion_pkcs12() {
    let test = "encrypted_wifi_profile_decrypts_with_companion_pkcs12";
    let Some(dir) = mdm_testsupport::corpus_path(test, WIFI_DIR) else {
        return;
    };
    // The PKCS#12 identity is the PayloadContent data of the com.apple.security.pkcs12
    // payload in the root-CA profile; its password sits next to it.
    let ca_profile =
        plist(&std::fs::read(dir.join("wifi.company.com Root CA.mobileconfig")).unwrap());
    let payloads = ca_profile
        .as_dictionary()
        .and_then(|d| d.get("PayloadContent"))
        .and_then(Value::as_array)
        .unwrap();
    let p12 = payloads
        .iter()
        .filter_map(Value::as_dictionary)
        .find(|p| {
            p.get("PayloadType").and_then(Value::as_string) == Some("com.apple.security.pkcs12")
        })
        .unwrap();
    let der = p12.get("PayloadContent").and_then(Value::as_data).unwrap();
    let password = p12.get("Password").and_then(Value::as_string).unwrap();

    // RC2-40 certificate bag: needs OpenSSL's legacy provider (installed here).
    let identity = match Identity::from_pkcs12(der, password) {
        Ok(id) => id,
        Err(Error::LegacyPkcs12) if std::env::var_os("MDM_REQUIRE_PEERS").is_none() => {
            eprintln!("{test}: skipped, openssl legacy provider not installed");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        Identity::from_pkcs12(der, "wrong").unwrap_err(),
        Error::Pkcs12Password
    );

    let encrypted = std::fs::read(dir.join("Company WiFi.encrypted.mobileconfig")).unwrap();
    let plain = std::fs::read(dir.join("Company WiFi.mobileconfig")).unwrap();
    let decrypted = decrypt_payloads(&encrypted, &identity).unwrap();
    assert_eq!(plist(&decrypted), plist(&plain));
}

#[test]
fn rustcrypto_mdm_signature_vector() {
    let Some(path) = mdm_testsupport::corpus_path("rustcrypto_mdm_signature_vector", MDM_SIGNATURE)
    else {
        return;
    };
    let der = std::fs::read(path).unwrap();
    // This vector is a SignedData whose encapContentInfo holds a certificate (a SEQUENCE)
    // where RFC 5652 puts an OCTET STRING, and no certificates field; OpenSSL's decoder
    // refuses it. We must answer with a typed error, not a panic.
    let err = verify_mdm_signature_der(&der, b"", &TrustPolicy::signature_only()).unwrap_err();
    assert!(matches!(err, Error::Malformed(_)), "{err:?}");
    let header = mdm_signing::openssl::base64::encode_block(&der);
    assert!(matches!(
        mdm_signing::verify_mdm_signature(&header, b"", &TrustPolicy::signature_only()),
        Err(Error::Malformed(_))
    ));
}
