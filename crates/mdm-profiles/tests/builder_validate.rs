//! Builder and validation behaviour: duplicates, deterministic UUIDs, problem paths.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mdm_profiles::{
    Error, Payload, Platform, Profile, Restrictions, Severity, UuidMode, Wifi, WifiEncryptionType,
};

fn wifi(ssid: &str) -> Wifi {
    Wifi {
        ssid_str: Some(ssid.into()),
        ..Default::default()
    }
}

#[test]
fn deterministic_uuids_are_stable_and_random_ones_are_not() {
    let make = |mode| {
        Profile::builder("com.example.p")
            .uuids(mode)
            .payload(wifi("a"))
            .payload(wifi("b"))
            .build()
            .unwrap()
    };
    assert_eq!(make(UuidMode::Deterministic), make(UuidMode::Deterministic));
    assert_ne!(make(UuidMode::Random), make(UuidMode::Random));
    let p = make(UuidMode::Deterministic);
    assert_eq!(
        p.payload_content[0].identifier(),
        Some("com.example.p.com.apple.wifi.managed")
    );
    assert_eq!(
        p.payload_content[1].identifier(),
        Some("com.example.p.com.apple.wifi.managed.2")
    );
    assert_ne!(p.payload_content[0].uuid(), p.payload_content[1].uuid());
    assert!(
        mdm_profiles::validate(&p)
            .iter()
            .all(|x| x.severity != Severity::Error)
    );
}

#[test]
fn builder_refuses_duplicates() {
    let mut a = wifi("a");
    a.payload_identifier = Some("same".into());
    let mut b = wifi("b");
    b.payload_identifier = Some("same".into());
    let err = Profile::builder("com.example.p")
        .payload(a)
        .payload(b)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Duplicate {
                key: "PayloadIdentifier",
                ..
            }
        ),
        "{err}"
    );

    let mut a = wifi("a");
    a.payload_uuid = Some("U".into());
    let mut b = wifi("b");
    b.payload_uuid = Some("U".into());
    let err = Profile::builder("com.example.p")
        .payload(a)
        .payload(b)
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Duplicate {
                key: "PayloadUUID",
                ..
            }
        ),
        "{err}"
    );

    let mut a = wifi("a");
    a.payload_identifier = Some("com.example.p".into());
    assert!(
        Profile::builder("com.example.p")
            .payload(a)
            .build()
            .is_err()
    );
    assert!(Profile::builder("").build().is_err());
}

#[test]
fn problems_name_the_key() {
    let mut p = Profile::builder("com.example.p")
        .uuids(UuidMode::Deterministic)
        .payload(Restrictions::default())
        .payload(wifi("a"))
        .payload(Wifi {
            encryption_type: Some(WifiEncryptionType::from("WEP2")),
            ..wifi("b")
        })
        .build()
        .unwrap();
    let problems = mdm_profiles::validate(&p);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|t| t.starts_with(
            "error: PayloadContent[2] (com.apple.wifi.managed).EncryptionType: \"WEP2\" is not one of"
        )),
        "{text:#?}"
    );

    // Duplicate UUIDs and a missing required key, made by hand.
    let uuid = p.payload_content[0].uuid().unwrap().to_owned();
    p.payload_content[1].set_uuid(uuid);
    if let Payload::Wifi(w) = &mut p.payload_content[1] {
        w.payload_identifier = None;
    }
    p.payload_version = Some(2);
    let text: Vec<String> = mdm_profiles::validate(&p)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        text.iter().any(
            |t| t.contains("PayloadContent[1] (com.apple.wifi.managed).PayloadUUID")
                && t.contains("also used by PayloadContent[0]")
        ),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains(
            "PayloadContent[1] (com.apple.wifi.managed).PayloadIdentifier: required key is missing"
        )),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("PayloadVersion: must be 1")),
        "{text:#?}"
    );
}

#[test]
fn target_availability() {
    let mut custom = mdm_plist::Dictionary::new();
    custom.insert("Foo".into(), mdm_plist::Value::Boolean(true));
    let p = Profile::builder("com.example.p")
        .uuids(UuidMode::Deterministic)
        .payload(mdm_profiles::Dock::default())
        .payload(Payload::custom("com.example.app", custom))
        .build()
        .unwrap();
    // The Dock payload is macOS only.
    let on_ios = mdm_profiles::validate_for(&p, Platform::IOS, "17.0".parse().unwrap());
    assert!(
        on_ios.iter().any(|x| x.severity == Severity::Error
            && x.path == "PayloadContent[0] (com.apple.dock)"
            && x.message.contains("not available on iOS")),
        "{on_ios:#?}"
    );
    let on_mac = mdm_profiles::validate_for(&p, Platform::MacOS, "14.0".parse().unwrap());
    assert!(
        on_mac.iter().all(|x| x.severity != Severity::Error),
        "{on_mac:#?}"
    );
    // Too old a macOS for a key introduced later.
    let wifi_new = Profile::builder("com.example.q")
        .payload(Wifi {
            encryption_type: Some(WifiEncryptionType::WPA3),
            ..wifi("x")
        })
        .build()
        .unwrap();
    let old = mdm_profiles::validate_for(&wifi_new, Platform::MacOS, "10.6".parse().unwrap());
    assert!(
        old.iter().any(|x| x.message.contains("needs macOS")),
        "{old:#?}"
    );
}

#[test]
fn signed_and_encrypted_profiles_are_refused_with_a_pointer_to_mdm_signing() {
    let err = mdm_profiles::Decoded::decode(&[0x30, 0x82, 0x01, 0x00, 0x06]).unwrap_err();
    assert!(matches!(err, Error::Signed) && err.needs_unwrapping());
    assert!(err.to_string().contains("mdm-signing"));
    let err = mdm_profiles::Decoded::decode(&[0x30, 0x80, 0x06]).unwrap_err();
    assert!(matches!(err, Error::Signed));
    let xml = b"<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>PayloadType</key><string>Configuration</string><key>EncryptedPayloadContent</key><data>AAAA</data></dict></plist>";
    let err = mdm_profiles::Decoded::decode(xml).unwrap_err();
    assert!(matches!(err, Error::Encrypted), "{err}");
    assert!(err.to_string().contains("mdm-signing"));
}

#[test]
fn leniencies_are_recorded() {
    let xml = b"  \n<?xml version=\"1.0\"?><plist version=\"1.0\"><dict>\
        <key>PayloadType</key><string>Configuration</string>\
        <key>PayloadVersion</key><integer>1</integer>\
        <key>PayloadIdentifier</key><string>a</string>\
        <key>PayloadIdentifier</key><string>b</string>\
        <key>DurationUntilRemoval</key><integer>3600</integer>\
        <key>PayloadContent</key><array><dict>\
          <key>PayloadType</key><string>com.apple.wifi.managed</string>\
          <key>AutoJoin</key><string>yes</string>\
        </dict></array></dict></plist>";
    let d = mdm_profiles::Decoded::decode(xml).unwrap();
    let text: Vec<String> = d.leniencies.iter().map(ToString::to_string).collect();
    assert_eq!(d.profile.payload_identifier.as_deref(), Some("b"));
    assert!(
        text.iter()
            .any(|t| t.contains("before the XML declaration")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("PayloadIdentifier: key appears more than once")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("DurationUntilRemoval: integer where the schema says real")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t
            .contains("PayloadContent[0] (com.apple.wifi.managed).AutoJoin: value does not fit")),
        "{text:#?}"
    );
    // The misfit value is kept as received, and validation names it.
    let Payload::Wifi(w) = &d.profile.payload_content[0] else {
        panic!("not typed")
    };
    assert_eq!(
        w.extra.get("AutoJoin"),
        Some(&mdm_plist::Value::String("yes".into()))
    );
    let problems = d.problems();
    assert!(
        problems.iter().any(|p| p
            .to_string()
            .contains("AutoJoin: is a string, the schema says boolean")),
        "{problems:#?}"
    );
}

/// A payload with thousands of unknown keys and one misfit value decodes in a bounded number
/// of conversions: the misfit key is found from the error's key path, not by trying each key.
#[test]
fn lenient_decode_of_a_wide_payload_is_bounded() {
    let mut keys = String::new();
    for i in 0..20_000 {
        keys.push_str(&format!("<key>X{i}</key><integer>{i}</integer>"));
    }
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>PayloadContent</key><array><dict>
<key>PayloadType</key><string>com.apple.wifi.managed</string>
<key>PayloadIdentifier</key><string>com.example.wifi</string>
<key>PayloadUUID</key><string>6F1C3D9A-7E52-4C1B-9A0D-2B8E4F6A1C33</string>
<key>PayloadVersion</key><integer>1</integer>
<key>SSID_STR</key><array><string>not a string</string></array>
{keys}
</dict></array>
<key>PayloadIdentifier</key><string>com.example</string>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadUUID</key><string>0D3F5B7A-1C2E-4A6B-8D9F-3E5A7C9B1D2F</string>
<key>PayloadVersion</key><integer>1</integer>
</dict></plist>"#
    );
    // A search that removed each key in turn would need ~20,000 whole-payload conversions
    // here; reading the misfit key from the error path needs 2.
    let decoded = mdm_profiles::Decoded::decode(xml.as_bytes()).unwrap();
    assert_eq!(decoded.profile.payload_content.len(), 1);
    assert!(
        decoded
            .leniencies
            .iter()
            .any(|p| p.message.contains("SSID_STR") || p.path.contains("SSID_STR")),
        "{:?}",
        decoded.leniencies
    );
}
