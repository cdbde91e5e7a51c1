//! Golden profiles: each is built with the builder and compared with a hand-written file in
//! `tests/data/` (see its README), then the file is decoded, validated and re-encoded.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mdm_plist::{Data, Dictionary, Value};
use mdm_profiles::{
    Font, Mdm, Passcode, Payload, Pkcs12Certificate, Platform, Profile, Restrictions,
    RootCertificate, Scep, ScepPayloadContent, Severity, UuidMode, Vpn, WebClip, Wifi,
    WifiEncryptionType,
};

fn data_file(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/data/{name}.mobileconfig",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn dict(pairs: &[(&str, Value)]) -> Dictionary {
    let mut d = Dictionary::new();
    for (k, v) in pairs {
        d.insert((*k).to_owned(), v.clone());
    }
    d
}

/// A typed payload from its keys (for structs whose required fields have no default).
fn typed<T: serde::de::DeserializeOwned>(pairs: &[(&str, Value)]) -> T {
    mdm_plist::from_value(&Value::Dictionary(dict(pairs))).unwrap()
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn cert() -> Vec<u8> {
    (0u8..48).cycle().take(48 * 4).collect()
}

fn check(name: &str, built: &Profile) {
    let bytes = data_file(name);
    let expected = mdm_plist::value_from_xml_bytes(&bytes, &mdm_plist::Limits::default()).unwrap();
    assert_eq!(
        built.to_value().unwrap(),
        expected,
        "{name}: built profile differs from the file"
    );

    let decoded = mdm_profiles::Decoded::decode(&bytes).unwrap();
    assert!(
        decoded.leniencies.is_empty(),
        "{name}: {:?}",
        decoded.leniencies
    );
    assert_eq!(&decoded.profile, built, "{name}: decoded profile differs");
    let errors: Vec<_> = mdm_profiles::validate(&decoded.profile)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let again =
        mdm_plist::value_from_xml_bytes(&decoded.profile.encode().unwrap(), &Default::default())
            .unwrap();
    assert_eq!(again, expected, "{name}: re-encoding differs");
}

fn builder(id: &str, name: &str) -> mdm_profiles::ProfileBuilder {
    Profile::builder(id)
        .display_name(name)
        .uuids(UuidMode::Deterministic)
}

#[test]
fn wifi() {
    let p = builder("com.example.wifi", "Office Wi-Fi")
        .payload(Wifi {
            ssid_str: Some("Office".into()),
            encryption_type: Some(WifiEncryptionType::WPA2),
            password: Some("s3cret".into()),
            auto_join: Some(true),
            hidden_network: Some(false),
            ..Default::default()
        })
        .build()
        .unwrap();
    check("wifi", &p);
}

#[test]
fn vpn() {
    let ikev2 = Value::Dictionary(dict(&[
        ("RemoteAddress", s("vpn.example.com")),
        ("LocalIdentifier", s("client.example.com")),
        ("RemoteIdentifier", s("vpn.example.com")),
        ("AuthenticationMethod", s("Certificate")),
        (
            "PayloadCertificateUUID",
            s("11111111-2222-3333-4444-555555555555"),
        ),
    ]));
    let vpn: Vpn = typed(&[
        ("VPNType", s("IKEv2")),
        ("UserDefinedName", s("Corp")),
        ("IKEv2", ikev2),
    ]);
    let p = builder("com.example.vpn", "Corporate VPN")
        .payload(vpn)
        .build()
        .unwrap();
    check("vpn", &p);
}

#[test]
fn scep() {
    let p = builder("com.example.scep", "Device identity")
        .payload(Scep {
            payload_content: ScepPayloadContent {
                url: "https://scep.example.com/scep".into(),
                name: Some("EXAMPLE-CA".into()),
                subject: Some(vec![
                    vec![vec!["CN".into(), "device-0001".into()]],
                    vec![vec!["O".into(), "Example".into()]],
                ]),
                challenge: Some("one-time".into()),
                keysize: Some(2048),
                key_type: Some("RSA".into()),
                key_usage: Some(5),
                ..Default::default()
            },
            ..Default::default()
        })
        .build()
        .unwrap();
    check("scep", &p);
}

#[test]
fn root_certificate() {
    let root: RootCertificate = typed(&[
        ("PayloadCertificateFileName", s("example-root.cer")),
        ("PayloadContent", Value::Data(cert())),
    ]);
    let p = builder("com.example.root", "Example root CA")
        .payload(root)
        .build()
        .unwrap();
    check("root-certificate", &p);
}

#[test]
fn pkcs12_certificate() {
    let mut p12: Pkcs12Certificate = typed(&[("PayloadContent", Value::Data(cert()))]);
    p12.payload_certificate_file_name = Some("client.p12".into());
    p12.password = Some("changeit".into());
    let p = builder("com.example.pkcs12", "Client identity")
        .payload(p12)
        .build()
        .unwrap();
    check("pkcs12-certificate", &p);
}

#[test]
fn mdm() {
    // The MDM payload names the SCEP identity by UUID: build once to learn it.
    let scep = Scep {
        payload_content: ScepPayloadContent {
            url: "https://mdm.example.com/scep".into(),
            challenge: Some("c".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let first = builder("com.example.mdm", "MDM enrollment")
        .payload(scep.clone())
        .build()
        .unwrap();
    let identity = first.payload_content[0].uuid().unwrap().to_owned();
    let p = builder("com.example.mdm", "MDM enrollment")
        .removal_disallowed(false)
        .payload(scep)
        .payload(Mdm {
            identity_certificate_uuid: identity,
            topic: "com.apple.mgmt.External.0000".into(),
            server_url: "https://mdm.example.com/mdm".into(),
            check_in_url: Some("https://mdm.example.com/checkin".into()),
            sign_message: Some(true),
            access_rights: Some(8191),
            ..Default::default()
        })
        .build()
        .unwrap();
    check("mdm", &p);
}

#[test]
fn restrictions() {
    let p = builder("com.example.restrictions", "Restrictions")
        .payload(Restrictions {
            allow_camera: Some(false),
            allow_air_drop: Some(false),
            ..Default::default()
        })
        .build()
        .unwrap();
    check("restrictions", &p);
}

#[test]
fn passcode() {
    let p = builder("com.example.passcode", "Passcode policy")
        .payload(Passcode {
            min_length: Some(6),
            require_alphanumeric: Some(true),
            max_failed_attempts: Some(10),
            ..Default::default()
        })
        .build()
        .unwrap();
    check("passcode", &p);
}

#[test]
fn font() {
    let mut bytes = vec![0u8, 1, 0, 0];
    bytes.extend(b"font-bytes".repeat(8));
    let mut font: Font = typed(&[("Font", Value::Data(bytes.clone()))]);
    font.name = Some("Example Sans".into());
    assert_eq!(font.font, Data::new(bytes));
    let p = builder("com.example.font", "Corporate font")
        .payload(font)
        .build()
        .unwrap();
    check("font", &p);
}

#[test]
fn web_clip() {
    let p = builder("com.example.webclip", "Intranet")
        .payload(WebClip {
            url: "https://intranet.example.com".into(),
            label: "Intranet".into(),
            is_removable: Some(false),
            full_screen: Some(true),
            ..Default::default()
        })
        .build()
        .unwrap();
    check("web-clip", &p);
}

#[test]
fn custom_settings() {
    let body = dict(&[
        ("ServerURL", s("https://app.example.com")),
        ("Level", Value::Integer(3.into())),
        ("Enabled", Value::Boolean(true)),
    ]);
    let p = builder("com.example.custom", "App settings")
        .payload(Payload::custom("com.example.app", body))
        .build()
        .unwrap();
    check("custom-settings", &p);
}

#[test]
fn enterprise_wifi_with_two_networks_and_a_ca() {
    let ca: RootCertificate = typed(&[
        ("PayloadCertificateFileName", s("radius-ca.cer")),
        ("PayloadContent", Value::Data(cert())),
    ]);
    let p = builder("com.example.eapwifi", "Enterprise Wi-Fi")
        .organization("Example Corp")
        .scope(mdm_profiles::PayloadScope::System)
        .payload(ca)
        .payload(Wifi {
            ssid_str: Some("Corp".into()),
            encryption_type: Some(WifiEncryptionType::WPA2),
            auto_join: Some(true),
            ..Default::default()
        })
        .payload(Wifi {
            ssid_str: Some("Guest".into()),
            encryption_type: Some(WifiEncryptionType::None),
            ..Default::default()
        })
        .build()
        .unwrap();
    check("enterprise-wifi", &p);
    // And the target check: Wi-Fi and certificates exist everywhere Apple ships.
    let problems = mdm_profiles::validate_for(&p, Platform::IOS, "17.0".parse().unwrap());
    assert!(
        problems.iter().all(|p| p.severity != Severity::Error),
        "{problems:?}"
    );
}
