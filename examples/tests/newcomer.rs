//! The three first jobs of a new user, through the public API only, written the way the
//! README shows them: a developer generating a signed `.mobileconfig`, an MDM vendor going
//! from a `TokenUpdate` to a push, and a CI engineer decoding whatever a device sends.
//! Each of the seams found when the crates were first tried this way (issue "One coherent
//! public API") has a line here that would not have compiled, or would have failed, before.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Job 1: build -> validate -> sign -> write, and read it back as a device would.
#[test]
fn signed_mobileconfig() -> Result<(), Box<dyn std::error::Error>> {
    use mdm_profiles::{
        Passcode, PayloadScope, Platform, Profile, Severity, UuidMode, Wifi, WifiEncryptionType,
    };
    use mdm_signing::{Identity, PrivateKey, Signer, TrustPolicy};

    let wifi = Wifi {
        ssid_str: Some("Office".to_owned()),
        encryption_type: Some(WifiEncryptionType::WPA2),
        password: Some("correct horse".to_owned()),
        auto_join: Some(true),
        ..Default::default()
    };
    let profile = Profile::builder("com.example.office")
        .display_name("Office")
        .organization("Example Ltd")
        .scope(PayloadScope::System)
        .uuids(UuidMode::Deterministic)
        .payload(wifi)
        .payload(Passcode {
            min_length: Some(6),
            ..Default::default()
        })
        .build()?;

    // Version parses with `?` into the crate's own error type.
    let ios17 = "17.0".parse()?;
    let problems = mdm_profiles::validate_for(&profile, Platform::IOS, ios17);
    assert!(
        problems.iter().all(|p| p.severity != Severity::Error),
        "{problems:?}"
    );

    let signer_identity =
        Identity::self_signed("Example signer", PrivateKey::generate_p256()?, 30)?;
    let signed = Signer::new(signer_identity.clone())?.sign(&profile.encode()?)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("office.mobileconfig");
    std::fs::write(&path, &signed)?;

    // A consuming builder chained on a temporary (E0716 before).
    let policy = TrustPolicy::with_anchors([signer_identity.certificate().clone()])
        .check_purpose(false)
        .at_time(mdm_signing::Utc::now());
    let verified = mdm_signing::verify(&std::fs::read(&path)?, &policy)?;
    assert_eq!(verified.signer(), signer_identity.certificate());
    assert_eq!(Profile::decode(verified.content())?, profile);

    // Encrypting a signed file says what is wrong in the domain's words.
    let err = mdm_signing::encrypt_payloads(&signed, signer_identity.certificate()).unwrap_err();
    assert!(err.to_string().contains("the profile is signed"), "{err}");
    Ok(())
}

/// A Wi-Fi payload without an SSID is legal in the schema and useless on a device: warned.
#[test]
fn wifi_without_ssid_warns() -> Result<(), Box<dyn std::error::Error>> {
    use mdm_profiles::{Profile, Severity, Wifi};

    let profile = Profile::builder("com.example.nossid")
        .payload(Wifi::default())
        .build()?;
    let problems = mdm_profiles::validate(&profile);
    assert!(
        problems
            .iter()
            .any(|p| p.severity == Severity::Warning && p.path.ends_with("SSID_STR")),
        "{problems:?}"
    );
    Ok(())
}

const TOKEN_UPDATE: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>MessageType</key><string>TokenUpdate</string>
  <key>PushMagic</key><string>8E1F4D4C-1B1B-4C2C-9A43-6E6C1B2C3D4E</string>
  <key>Token</key><data>KmxRtsOh8OLUxbann4lwYVJDNCUWBxgpOktcbX6PkAE=</data>
  <key>Topic</key><string>com.apple.mgmt.External.1f2e3d4c</string>
  <key>UDID</key><string>00008030-001A2B3C4D5E802E</string>
</dict></plist>"#;

/// Job 2: a TokenUpdate's push details go straight into an APNs push.
#[test]
fn token_update_to_push() -> Result<(), Box<dyn std::error::Error>> {
    use mdm_apns::{Push, build_request};
    use mdm_checkin::{CheckinMessage, Message};

    let msg = CheckinMessage::decode(TOKEN_UPDATE)?;
    let Message::TokenUpdate(update) = msg.message().clone() else {
        panic!("not a TokenUpdate");
    };
    // The vendor's first line of glue: the same types on both sides.
    let push = Push::new(update.token, update.push_magic, update.topic)
        .with_id(mdm_apns::Uuid::new_v4())
        .with_expiration(mdm_apns::Utc::now());
    let request: mdm_apns::http::Request<mdm_apns::Bytes> = build_request(&push);
    assert_eq!(
        request.uri().path(),
        "/3/device/2a6c51b6c3a1f0e2d4c5b6a79f89706152433425160718293a4b5c6d7e8f9001"
    );
    assert_eq!(
        request.headers()["apns-topic"],
        "com.apple.mgmt.External.1f2e3d4c"
    );
    assert_eq!(
        request.body().as_ref(),
        br#"{"mdm":"8E1F4D4C-1B1B-4C2C-9A43-6E6C1B2C3D4E"}"#
    );
    Ok(())
}

/// Job 3: decode whatever arrives, and get errors that say what happened.
#[test]
fn decode_any_device_message() {
    for (input, expect) in [
        (&b""[..], "ends before"),
        (&b"garbage"[..], "not an XML plist"),
        (
            &b"<plist><dict><key>MessageType</key>"[..],
            "missing </plist>",
        ),
    ] {
        let err = mdm_checkin::CheckinMessage::decode(input).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(expect), "{input:?}: {text}");
        assert!(
            !text.contains("EventStream") && !text.contains("Expected"),
            "{text}"
        );
    }
    // Any bytes, any decoder: an error or a value, never a panic.
    let junk: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let _ = mdm_checkin::CheckinMessage::decode(&junk);
    let _ = mdm_commands::AnyCommand::decode(&junk);
    let _ = mdm_commands::CommandResponse::decode(&junk);
    let _ = mdm_profiles::Decoded::decode(&junk);
    let _ = mdm_signing::verify(&junk, &mdm_signing::TrustPolicy::signature_only());
    let _ = mdm_scep::PkiMessage::decode(&junk);
    let _ = mdm_apns::parse_response_body(400, &junk);
}

/// One identity loader: a legacy (RC2 / 3DES) `.p12` as Keychain exports it loads for
/// signing and for APNs alike; a wrong recipient key says so.
#[test]
fn one_identity_loader() -> Result<(), Box<dyn std::error::Error>> {
    use mdm_signing::{ContentCipher, Identity, PrivateKey};

    let p12 = std::fs::read(
        mdm_testsupport::workspace_root().join("crates/mdm-apns/tests/data/legacy-rc2.p12"),
    )?;
    match (
        Identity::from_pkcs12(&p12, "legacy"),
        mdm_apns::PushIdentity::from_pkcs12(&p12, "legacy"),
    ) {
        (Ok(id), Ok(push)) => assert_eq!(push.identity().certificate(), id.certificate()),
        (Err(mdm_signing::Error::LegacyPkcs12), Err(_)) => {
            assert!(std::env::var_os("MDM_REQUIRE_PEERS").is_none());
            println!("skipped: no OpenSSL legacy provider on this machine");
        }
        (a, b) => panic!("the two loaders disagree: {a:?} / {b:?}"),
    }

    let device = Identity::self_signed("device", PrivateKey::generate_p256()?, 1)?;
    let other = Identity::self_signed("other", PrivateKey::generate_rsa(2048)?, 1)?;
    let sealed = mdm_signing::encrypt(b"x", device.certificate(), ContentCipher::Aes256Cbc)?;
    let err = mdm_signing::decrypt(&sealed, &other).unwrap_err();
    assert!(!err.to_string().contains("unknown openssl error"), "{err}");
    Ok(())
}
