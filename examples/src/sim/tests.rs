//! Unit tests of the simulator's answers, messages and profile reading (no server: the
//! end-to-end tests run the real one).

use mdm_checkin::{CheckinMessage, Message};
use mdm_commands::{
    AnyResponse, CertificateList, Command, CommandPayload, CommandResponse, DeviceInformation,
    DeviceInformationQueriesItem as Q, DeviceLock, InstallProfile, InstalledApplicationList,
    ProfileList, RemoveProfile, RequestType, RestartDevice, SecurityInfo, Settings, ShutDownDevice,
    Status,
};
use mdm_profiles::{Mdm, Passcode, Profile, Scep, ScepPayloadContent};
use mdm_signing::{Identity, PrivateKey, Signer, TrustPolicy};

use super::*;

fn identity(cn: &str) -> Identity {
    Identity::self_signed(cn, PrivateKey::generate_p256().unwrap(), 30).unwrap()
}

fn device(index: usize, not_now: Option<u32>) -> Device {
    let facts = DeviceFacts::new("unit", index);
    let id = identity(&facts.udid);
    Device::from_identity(
        facts,
        id,
        "http://127.0.0.1:1/mdm/connect",
        "http://127.0.0.1:1/mdm/checkin",
        "com.apple.mgmt.External.test",
        not_now,
    )
    .unwrap()
}

/// Answers `cmd` and checks the envelope; returns the decoded response.
fn ask<P: CommandPayload>(d: &mut Device, cmd: &Command<P>) -> CommandResponse {
    let (answered, bytes) = d.answer(&cmd.encode().unwrap()).unwrap();
    let r = CommandResponse::decode(&bytes).unwrap();
    assert_eq!(r.udid.as_deref(), Some(d.udid()));
    assert_eq!(r.command_uuid.as_ref(), Some(&cmd.command_uuid));
    assert_eq!(r.request_type, None, "devices do not echo RequestType");
    assert!(!String::from_utf8_lossy(&bytes).contains("RequestType"));
    assert_eq!(answered.request_type, P::REQUEST_TYPE);
    assert_eq!(answered.status, r.status.as_str());
    assert_eq!(answered.command_uuid, cmd.command_uuid.as_str());
    r
}

fn profile_bytes(identifier: &str) -> Vec<u8> {
    Profile::builder(identifier)
        .display_name("Passcode")
        .payload(Passcode {
            min_length: Some(6),
            ..Default::default()
        })
        .build()
        .unwrap()
        .encode()
        .unwrap()
}

fn install(d: &mut Device, payload: Vec<u8>) -> CommandResponse {
    ask(
        d,
        &Command::new(InstallProfile {
            payload: mdm_plist::Data::new(payload),
            extra: Default::default(),
        }),
    )
}

fn listed(d: &mut Device) -> Vec<String> {
    let r = ask(d, &Command::new(ProfileList::default()));
    assert_eq!(r.status, Status::Acknowledged);
    let body = r.decode_as::<ProfileList>().unwrap();
    body.profile_list
        .unwrap()
        .into_iter()
        .map(|p| p.payload_identifier.unwrap())
        .collect()
}

#[test]
fn every_answer_decodes_with_its_request_type() {
    let mut d = device(0, None);
    let cases: Vec<(Vec<u8>, RequestType, Status)> = vec![
        (
            Command::new(DeviceInformation {
                queries: vec![Q::DeviceName, Q::UDID],
                ..Default::default()
            })
            .encode()
            .unwrap(),
            RequestType::DeviceInformation,
            Status::Acknowledged,
        ),
        (
            Command::new(SecurityInfo::default()).encode().unwrap(),
            RequestType::SecurityInfo,
            Status::Acknowledged,
        ),
        (
            Command::new(ProfileList::default()).encode().unwrap(),
            RequestType::ProfileList,
            Status::Acknowledged,
        ),
        (
            Command::new(InstalledApplicationList::default())
                .encode()
                .unwrap(),
            RequestType::InstalledApplicationList,
            Status::Acknowledged,
        ),
        (
            Command::new(CertificateList::default()).encode().unwrap(),
            RequestType::CertificateList,
            Status::Acknowledged,
        ),
        (
            Command::new(DeviceLock::default()).encode().unwrap(),
            RequestType::DeviceLock,
            Status::Acknowledged,
        ),
        (
            Command::new(RestartDevice::default()).encode().unwrap(),
            RequestType::RestartDevice,
            Status::Acknowledged,
        ),
        (
            Command::new(ShutDownDevice::default()).encode().unwrap(),
            RequestType::ShutDownDevice,
            Status::Acknowledged,
        ),
        (
            Command::new(InstallProfile {
                payload: mdm_plist::Data::new(profile_bytes("com.example.one")),
                extra: Default::default(),
            })
            .encode()
            .unwrap(),
            RequestType::InstallProfile,
            Status::Acknowledged,
        ),
        (
            Command::new(RemoveProfile {
                identifier: "com.example.one".into(),
                ..Default::default()
            })
            .encode()
            .unwrap(),
            RequestType::RemoveProfile,
            Status::Acknowledged,
        ),
        (
            Command::new(Settings::default()).encode().unwrap(),
            RequestType::Settings,
            Status::Error,
        ),
    ];
    for (bytes, rt, status) in cases {
        let (answered, out) = d.answer(&bytes).unwrap();
        let r = CommandResponse::decode(&out).unwrap();
        assert_eq!(r.status, status, "{rt}");
        assert_eq!(answered.request_type, rt.as_str());
        let body = r.body_for(&rt).unwrap_or_else(|e| panic!("{rt}: {e}"));
        match (&rt, &body) {
            (RequestType::DeviceInformation, AnyResponse::DeviceInformation(b)) => {
                assert!(b.query_responses.is_some());
            }
            (RequestType::SecurityInfo, AnyResponse::SecurityInfo(b)) => {
                assert!(b.security_info.is_some());
            }
            (RequestType::ProfileList, AnyResponse::ProfileList(b)) => {
                assert!(b.profile_list.is_some());
            }
            (RequestType::InstalledApplicationList, AnyResponse::InstalledApplicationList(b)) => {
                assert!(!b.installed_application_list.as_ref().unwrap().is_empty());
            }
            (RequestType::CertificateList, AnyResponse::CertificateList(b)) => {
                let list = b.certificate_list.as_ref().unwrap();
                assert!(list.iter().any(|c| c.is_identity == Some(true)));
            }
            (RequestType::DeviceLock, AnyResponse::DeviceLock(_)) => {}
            (_, _) if status == Status::Error => {
                assert!(r.body().is_empty());
                let chain = r.error_chain.as_ref().unwrap();
                assert_eq!(chain[0].error_code, Some(UNSUPPORTED_COMMAND));
                assert_eq!(chain[0].error_domain.as_deref(), Some(MDM_ERROR_DOMAIN));
            }
            (_, AnyResponse::Untyped(extra)) => assert!(extra.is_empty(), "{rt}: {extra:?}"),
            (rt, other) => panic!("{rt}: unexpected body {other:?}"),
        }
    }
}

#[test]
fn device_information_answers_exactly_the_queried_keys() {
    let mut d = device(2, None);
    let queries = vec![
        Q::DeviceName,
        Q::OSVersion,
        Q::BuildVersion,
        Q::ModelName,
        Q::Model,
        Q::ProductName,
        Q::SerialNumber,
        Q::UDID,
        Q::DeviceCapacity,
        Q::AvailableDeviceCapacity,
        Q::BatteryLevel,
        Q::WiFiMAC,
        Q::IsSupervised,
        Q::Other("NoSuchQuery".into()),
    ];
    let cmd = Command::new(DeviceInformation {
        queries: queries.clone(),
        ..Default::default()
    });
    let r = ask(&mut d, &cmd);
    assert_eq!(r.status, Status::Acknowledged);
    let q = r
        .decode_as::<DeviceInformation>()
        .unwrap()
        .query_responses
        .unwrap();
    let got: std::collections::BTreeSet<String> = mdm_plist::tagged::to_dictionary(&q)
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let want: std::collections::BTreeSet<String> = queries
        .iter()
        .filter(|k| k.is_known())
        .map(|k| k.as_str().to_owned())
        .collect();
    assert_eq!(got, want);
    let f = d.facts().clone();
    assert_eq!(q.udid.as_deref(), Some(f.udid.as_str()));
    assert_eq!(q.serial_number.as_deref(), Some(f.serial_number.as_str()));
    assert_eq!(q.device_capacity, Some(f.capacity_gb));
    assert_eq!(q.is_supervised, Some(f.supervised));

    let r = ask(
        &mut d,
        &Command::new(DeviceInformation {
            queries: vec![Q::OSVersion],
            ..Default::default()
        }),
    );
    let q = r
        .decode_as::<DeviceInformation>()
        .unwrap()
        .query_responses
        .unwrap();
    assert_eq!(mdm_plist::tagged::to_dictionary(&q).unwrap().len(), 1);
}

#[test]
fn install_list_and_remove_profiles() {
    let mut d = device(1, None);
    assert!(listed(&mut d).is_empty());

    assert_eq!(
        install(&mut d, profile_bytes("com.example.a")).status,
        Status::Acknowledged
    );
    // A signed profile is verified and its signer listed.
    let signer_id = identity("Profile Signer");
    let signed = mdm_signing::sign(
        &profile_bytes("com.example.b"),
        &Signer::new(signer_id.clone()).unwrap(),
    )
    .unwrap();
    assert_eq!(install(&mut d, signed).status, Status::Acknowledged);
    assert_eq!(listed(&mut d), ["com.example.a", "com.example.b"]);
    assert_eq!(d.installed_profiles(), ["com.example.a", "com.example.b"]);
    let r = ask(&mut d, &Command::new(ProfileList::default()));
    let items = r.decode_as::<ProfileList>().unwrap().profile_list.unwrap();
    let b = &items[1];
    assert_eq!(
        b.signer_certificates.as_ref().unwrap()[0].as_ref(),
        signer_id.certificate().to_der().unwrap().as_slice()
    );
    let content = b.payload_content.as_ref().unwrap();
    assert_eq!(
        content[0].payload_type.as_deref(),
        Some("com.apple.mobiledevice.passwordpolicy")
    );

    // Installing again with the same identifier replaces it.
    assert_eq!(
        install(&mut d, profile_bytes("com.example.a")).status,
        Status::Acknowledged
    );
    assert_eq!(listed(&mut d), ["com.example.b", "com.example.a"]);

    let remove = |id: &str| {
        Command::new(RemoveProfile {
            identifier: id.into(),
            ..Default::default()
        })
    };
    assert_eq!(
        ask(&mut d, &remove("com.example.a")).status,
        Status::Acknowledged
    );
    assert_eq!(listed(&mut d), ["com.example.b"]);
    let r = ask(&mut d, &remove("com.example.a"));
    assert_eq!(r.status, Status::Error);
    assert_eq!(
        r.error_chain.unwrap()[0].error_code,
        Some(PROFILE_NOT_FOUND)
    );
    assert_eq!(listed(&mut d), ["com.example.b"]);
}

#[test]
fn bad_profiles_are_refused_with_an_error_chain() {
    let mut d = device(3, None);
    for (payload, code) in [
        (b"not a plist".to_vec(), MALFORMED_PROFILE),
        (
            b"<plist version=\"1.0\"><array/></plist>".to_vec(),
            MALFORMED_PROFILE,
        ),
        // No PayloadIdentifier.
        (
            b"<plist version=\"1.0\"><dict><key>PayloadContent</key><array/></dict></plist>"
                .to_vec(),
            MALFORMED_PROFILE,
        ),
        // Signed, then one byte of the signature changed.
        (
            {
                let mut s = mdm_signing::sign(
                    &profile_bytes("com.example.tampered"),
                    &Signer::new(identity("Signer")).unwrap(),
                )
                .unwrap();
                let n = s.len();
                s[n - 5] ^= 0x40;
                s
            },
            BAD_SIGNATURE,
        ),
    ] {
        let r = install(&mut d, payload);
        assert_eq!(r.status, Status::Error);
        let chain = r.error_chain.clone().unwrap();
        assert_eq!(chain[0].error_code, Some(code));
        assert_eq!(chain[0].error_domain.as_deref(), Some(PROFILE_ERROR_DOMAIN));
        assert!(r.decode_as::<InstallProfile>().is_ok());
    }
    assert!(d.installed_profiles().is_empty());
}

#[test]
fn encrypted_profiles_are_decrypted_with_the_device_identity() {
    let facts = DeviceFacts::new("unit", 4);
    let id =
        Identity::self_signed(&facts.udid, PrivateKey::generate_rsa(2048).unwrap(), 30).unwrap();
    let cert = id.certificate().clone();
    let mut d =
        Device::from_identity(facts, id, "http://x/c", "http://x/i", "topic", None).unwrap();
    let encrypted =
        mdm_signing::encrypt_payloads(&profile_bytes("com.example.secret"), &cert).unwrap();
    assert_eq!(install(&mut d, encrypted).status, Status::Acknowledged);
    let r = ask(&mut d, &Command::new(ProfileList::default()));
    let items = r.decode_as::<ProfileList>().unwrap().profile_list.unwrap();
    assert_eq!(
        items[0].payload_identifier.as_deref(),
        Some("com.example.secret")
    );
    assert_eq!(items[0].is_encrypted, Some(true));

    // Encrypted to someone else: refused.
    let other = Identity::self_signed("other", PrivateKey::generate_rsa(2048).unwrap(), 30)
        .unwrap()
        .certificate()
        .clone();
    let encrypted =
        mdm_signing::encrypt_payloads(&profile_bytes("com.example.notmine"), &other).unwrap();
    let r = install(&mut d, encrypted);
    assert_eq!(r.status, Status::Error);
    assert_eq!(r.error_chain.unwrap()[0].error_code, Some(CANNOT_DECRYPT));
}

#[test]
fn not_now_every_third_command_then_answered_on_redelivery() {
    let mut d = device(5, Some(3));
    let cmds: Vec<Command<DeviceLock>> = (0..7)
        .map(|_| Command::new(DeviceLock::default()))
        .collect();
    let statuses: Vec<Status> = cmds.iter().map(|c| ask(&mut d, c).status).collect();
    use Status::{Acknowledged as A, NotNow as N};
    assert_eq!(statuses, [A, A, N, A, A, N, A]);
    // The server sends the deferred ones again: now they run, and do not count towards
    // the next NotNow.
    assert_eq!(ask(&mut d, &cmds[2]).status, A);
    assert_eq!(ask(&mut d, &cmds[5]).status, A);
    let more: Vec<Status> = (0..2)
        .map(|_| ask(&mut d, &Command::new(DeviceLock::default())).status)
        .collect();
    assert_eq!(more, [A, N]);
    // Without the option, never.
    let mut d = device(6, None);
    assert!((0..10).all(|_| ask(&mut d, &Command::new(DeviceLock::default())).status == A));
}

#[test]
fn unreadable_commands() {
    let mut d = device(7, None);
    // Keys that do not fit the schema: CommandFormatError for that CommandUUID.
    let bad = br#"<plist version="1.0"><dict>
        <key>CommandUUID</key><string>ABC-1</string>
        <key>Command</key><dict>
          <key>RequestType</key><string>DeviceInformation</string>
          <key>Queries</key><integer>7</integer>
        </dict></dict></plist>"#;
    let (answered, out) = d.answer(bad).unwrap();
    let r = CommandResponse::decode(&out).unwrap();
    assert_eq!(r.status, Status::CommandFormatError);
    assert_eq!(r.command_uuid.unwrap().as_str(), "ABC-1");
    assert_eq!(answered.status, "CommandFormatError");
    assert_eq!(answered.request_type, "DeviceInformation");
    assert_eq!(
        r.error_chain.unwrap()[0].error_code,
        Some(COMMAND_FORMAT_ERROR)
    );
    // Nothing to answer to: an error for the poll, not a panic.
    for junk in [
        &b"garbage"[..],
        b"<plist version=\"1.0\"><dict/></plist>",
        b"",
    ] {
        assert!(matches!(d.answer(junk), Err(SimError::BadCommand(_))));
    }
}

#[test]
fn installed_application_list_filters() {
    let mut d = device(0, None);
    assert_eq!(d.facts().family, Family::IPhone);
    let r = ask(
        &mut d,
        &Command::new(InstalledApplicationList {
            managed_apps_only: Some(true),
            ..Default::default()
        }),
    );
    let all_managed = r
        .decode_as::<InstalledApplicationList>()
        .unwrap()
        .installed_application_list
        .unwrap();
    assert_eq!(all_managed.len(), 2);
    let r = ask(
        &mut d,
        &Command::new(InstalledApplicationList {
            identifiers: Some(vec!["com.apple.Pages".into(), "com.nope".into()]),
            ..Default::default()
        }),
    );
    let some = r
        .decode_as::<InstalledApplicationList>()
        .unwrap()
        .installed_application_list
        .unwrap();
    assert_eq!(some.len(), 1);
    assert_eq!(some[0].identifier.as_deref(), Some("com.apple.Pages"));
}

#[test]
fn checkin_messages_decode_and_are_signed_by_the_device() {
    for index in 0..3 {
        let d = device(index, None);
        let auth = Message::Authenticate(d.authenticate_message().unwrap());
        let body = auth.encode().unwrap();
        let decoded = CheckinMessage::decode(&body).unwrap();
        let Message::Authenticate(a) = decoded.message() else {
            panic!("not Authenticate")
        };
        assert_eq!(a.udid.as_ref().unwrap().as_str(), d.udid());
        assert_eq!(a.topic.as_str(), "com.apple.mgmt.External.test");
        assert_eq!(
            a.serial_number.as_deref(),
            Some(d.facts().serial_number.as_str())
        );
        assert_eq!(a.os_version.as_deref(), Some(d.facts().os_version.as_str()));
        assert_eq!(a.model_name.is_some(), d.facts().is_mac());

        let tu = Message::TokenUpdate(d.token_update_message().unwrap());
        let body2 = tu.encode().unwrap();
        let decoded = CheckinMessage::decode(&body2).unwrap();
        let Message::TokenUpdate(t) = decoded.message() else {
            panic!("not TokenUpdate")
        };
        assert_eq!(t.token.as_bytes(), d.push_token());
        assert_eq!(t.token.as_bytes().len(), 32);
        assert_eq!(t.push_magic.as_str(), d.push_magic());
        assert_eq!(t.unlock_token.is_some(), !d.facts().is_mac());
        assert_eq!(decoded.enrollment_id().unwrap(), d.udid());

        for b in [&body, &body2] {
            let header = d.mdm_signature(b).unwrap();
            let cert =
                mdm_signing::verify_mdm_signature(&header, b, &TrustPolicy::signature_only())
                    .unwrap();
            assert_eq!(cert.signer(), d.certificate());
            // Over another body it fails.
            assert!(
                mdm_signing::verify_mdm_signature(
                    &header,
                    b"other",
                    &TrustPolicy::signature_only()
                )
                .is_err()
            );
        }
    }
}

#[test]
fn impostor_signs_with_its_own_identity() {
    let d = device(9, None);
    let other = identity("impostor");
    let fake = d.impersonated_by(other.clone()).unwrap();
    assert_eq!(fake.udid(), d.udid());
    let body = Message::Authenticate(fake.authenticate_message().unwrap())
        .encode()
        .unwrap();
    let cert = mdm_signing::verify_mdm_signature(
        &fake.mdm_signature(&body).unwrap(),
        &body,
        &TrustPolicy::signature_only(),
    )
    .unwrap();
    assert_eq!(cert.signer(), other.certificate());
    assert_ne!(cert.signer(), d.certificate());
}

fn enrollment_profile(identity_uuid: &str) -> Vec<u8> {
    Profile::builder("com.example.enroll")
        .display_name("Enrollment")
        .payload(Scep {
            payload_uuid: Some("SCEP-UUID".into()),
            payload_content: ScepPayloadContent {
                url: "/scep".into(),
                challenge: Some("secret".into()),
                subject: Some(vec![
                    vec![vec!["O".into(), "Example".into()]],
                    vec![vec!["CN".into(), "device".into()]],
                ]),
                keysize: Some(2048),
                ..Default::default()
            },
            ..Default::default()
        })
        .payload(Mdm {
            identity_certificate_uuid: identity_uuid.into(),
            topic: "com.apple.mgmt.External.test".into(),
            server_url: "http://127.0.0.1:9/mdm/connect".into(),
            check_in_url: Some("http://127.0.0.1:9/mdm/checkin".into()),
            sign_message: Some(true),
            ..Default::default()
        })
        .build()
        .unwrap()
        .encode()
        .unwrap()
}

#[test]
fn enrollment_profile_is_verified_and_read() {
    let ca = identity("Profile CA");
    let signer = Signer::new(ca.clone()).unwrap();
    let plain = enrollment_profile("SCEP-UUID");
    let signed = mdm_signing::sign(&plain, &signer).unwrap();

    let e = EnrollmentProfile::read(&signed, &TrustPolicy::signature_only(), false).unwrap();
    assert_eq!(e.signer.as_ref(), Some(ca.certificate()));
    assert_eq!(e.scep.payload_content.challenge.as_deref(), Some("secret"));
    assert_eq!(e.checkin_url(), "http://127.0.0.1:9/mdm/checkin");
    assert_eq!(e.mdm.topic, "com.apple.mgmt.External.test");

    // Pinned to the right anchor: fine; to another: refused.
    let mut cfg = SimConfig::new("http://x");
    cfg.anchors = vec![ca.certificate().clone()];
    assert!(EnrollmentProfile::read(&signed, &cfg.trust_policy(), false).is_ok());
    cfg.anchors = vec![identity("Other CA").certificate().clone()];
    assert!(matches!(
        EnrollmentProfile::read(&signed, &cfg.trust_policy(), false),
        Err(SimError::Signing { .. })
    ));

    // Unsigned: only when allowed.
    assert!(matches!(
        EnrollmentProfile::read(&plain, &TrustPolicy::signature_only(), false),
        Err(SimError::Profile(_))
    ));
    assert!(EnrollmentProfile::read(&plain, &TrustPolicy::signature_only(), true).is_ok());

    // IdentityCertificateUUID must name the SCEP payload.
    let wrong = mdm_signing::sign(&enrollment_profile("OTHER"), &signer).unwrap();
    assert!(matches!(
        EnrollmentProfile::read(&wrong, &TrustPolicy::signature_only(), false),
        Err(SimError::Profile(_))
    ));

    // A changed byte in the content is caught.
    let mut bad = signed.clone();
    let at = bad.windows(6).position(|w| w == b"secret").unwrap();
    bad[at] = b'S';
    assert!(EnrollmentProfile::read(&bad, &TrustPolicy::signature_only(), false).is_err());
}

#[test]
fn urls_from_the_profile_are_resolved() {
    assert_eq!(join_url("http://h:1/", "/mdm/x"), "http://h:1/mdm/x");
    assert_eq!(join_url("http://h:1", "/mdm/x"), "http://h:1/mdm/x");
    assert_eq!(join_url("http://h:1", "https://o/mdm"), "https://o/mdm");
}

#[tokio::test]
async fn run_counts_failures_instead_of_stopping() {
    // Nothing listens on this port: every enrollment fails, the run still reports.
    let port = mdm_testsupport::free_port();
    let mut cfg = SimConfig::new(format!("http://127.0.0.1:{port}"));
    cfg.devices = 5;
    cfg.concurrency = 2;
    cfg.request_timeout = std::time::Duration::from_secs(5);
    let report = run(&cfg).await.unwrap();
    assert_eq!(report.devices, 5);
    assert_eq!(report.enrolled, 0);
    assert_eq!(report.errors, 5);
    assert_eq!(report.errors_by_step.get("profile"), Some(&5));
    assert_eq!(report.first_errors.len(), 5);

    cfg.concurrency = 0;
    assert!(matches!(run(&cfg).await, Err(SimError::Config(_))));
}
