//! Hand-made golden vectors (`tests/data/`, see `tests/data/README.md`): each decodes to the
//! expected type and re-encodes byte for byte.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use mdm_checkin::{
    CheckinMessage, DeclarativeEndpoint, EnrollmentType, Message, MessageType, TokenServiceType,
};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn load(name: &str) -> (Vec<u8>, CheckinMessage) {
    let bytes = std::fs::read(data_dir().join(name)).unwrap();
    let msg = CheckinMessage::decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    (bytes, msg)
}

#[test]
fn every_golden_file_round_trips_byte_identically() {
    let mut seen = 0;
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("plist") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (bytes, msg) = load(&name);
        assert_eq!(msg.raw(), &bytes[..], "{name}: raw bytes kept");
        let again = msg.encode().unwrap();
        if again != bytes {
            panic!(
                "{name}: re-encoding differs\n--- golden\n{}\n--- encoded\n{}",
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&again)
            );
        }
        seen += 1;
    }
    assert!(seen >= 9, "only {seen} golden files");
}

#[test]
fn every_message_type_has_a_golden_file() {
    let mut types = Vec::new();
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) == Some("plist") {
            let msg = CheckinMessage::decode(&std::fs::read(&path).unwrap()).unwrap();
            types.push(msg.message_type());
        }
    }
    for known in MessageType::KNOWN {
        assert!(
            types.contains(&MessageType::from(*known)),
            "no golden file for {known}"
        );
    }
    assert!(types.iter().any(|t| !t.is_known()), "no unknown-type file");
}

#[test]
fn golden_values_are_typed() {
    let (_, msg) = load("tokenupdate.plist");
    let Message::TokenUpdate(t) = msg.message() else {
        panic!()
    };
    assert_eq!(
        t.token.to_hex(),
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    );
    assert_eq!(t.awaiting_configuration, Some(false));
    assert!(t.unlock_token.is_some());
    assert!(t.topic.is_mdm());
    assert!(t.extra.is_empty());

    let (_, msg) = load("tokenupdate-extra-keys.plist");
    let Message::TokenUpdate(t) = msg.message() else {
        panic!()
    };
    assert_eq!(
        t.extra.keys().collect::<Vec<_>>(),
        ["FutureFlags", "ZFutureBool"]
    );

    let (_, msg) = load("gettoken.plist");
    let Message::GetToken(g) = msg.message() else {
        panic!()
    };
    assert_eq!(g.token_service_type, TokenServiceType::WatchPairing);
    let params = g.token_parameters.as_ref().unwrap();
    assert_eq!(
        params.watch_udid.as_ref().unwrap().as_str(),
        "00008310-00061D2A3E91401E"
    );

    let (_, msg) = load("declarativemanagement.plist");
    let Message::DeclarativeManagement(d) = msg.message() else {
        panic!()
    };
    assert_eq!(d.endpoint, DeclarativeEndpoint::Status);
    let json = d.data.as_ref().unwrap();
    assert!(json.as_ref().starts_with(b"{\"StatusItems\""));

    let (_, msg) = load("setbootstraptoken.plist");
    let Message::SetBootstrapToken(s) = msg.message() else {
        panic!()
    };
    assert!(!s.clears_token());

    let (_, msg) = load("unknown-type.plist");
    let Message::Unknown { message_type, body } = msg.message() else {
        panic!()
    };
    assert_eq!(message_type, "FutureCheckin");
    assert_eq!(body.len(), 3);
}

#[test]
fn golden_enrollments_resolve() {
    let cases = [
        (
            "authenticate.plist",
            EnrollmentType::Device,
            "5A3E7C1B-9D24-4F60-8B1A-2C7E9F3D6A10",
        ),
        (
            "authenticate-user-enrollment.plist",
            EnrollmentType::UserEnrollmentDevice,
            "8f2b1c3d4e5f60718293a4b5c6d7e8f901a2b3c4",
        ),
        (
            "tokenupdate-macos-user.plist",
            EnrollmentType::User,
            "5A3E7C1B-9D24-4F60-8B1A-2C7E9F3D6A10:C3A9F0E2-41B7-4D85-9E6A-0B2D7F1C8E53",
        ),
        (
            "tokenupdate-shared-ipad.plist",
            EnrollmentType::SharedIpad,
            "00008027-000A1C2E3F40802E:student7@school.example",
        ),
        (
            "tokenupdate-user-enrollment.plist",
            EnrollmentType::UserEnrollment,
            "8f2b1c3d4e5f60718293a4b5c6d7e8f901a2b3c4:e1d2c3b4a5968778695a4b3c2d1e0f1a2b3c4d5e",
        ),
        (
            "userauthenticate.plist",
            EnrollmentType::User,
            "5A3E7C1B-9D24-4F60-8B1A-2C7E9F3D6A10:2B8D4F61-0A3C-4E95-B7D2-6F1E8C0A9B34",
        ),
    ];
    for (name, kind, id) in cases {
        let (_, msg) = load(name);
        let resolved = msg.enrollment().resolve().unwrap();
        assert_eq!(resolved.enrollment_type, kind, "{name}");
        assert_eq!(resolved.id(), id, "{name}");
        assert_eq!(msg.enrollment_id().unwrap(), id, "{name}");
    }
}

/// Decodes a response golden file as `T`, checks it re-encodes byte for byte, returns it.
fn response<T>(name: &str, encode: impl Fn(&T) -> Vec<u8>) -> T
where
    T: serde::de::DeserializeOwned,
{
    let bytes = std::fs::read(data_dir().join("responses").join(name)).unwrap();
    let value: T = mdm_plist::from_xml_bytes(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        String::from_utf8(encode(&value)).unwrap(),
        String::from_utf8(bytes).unwrap(),
        "{name}"
    );
    value
}

#[test]
fn response_goldens_round_trip() {
    use mdm_checkin::{BootstrapTokenResponse, GetTokenResponse, UserAuthenticateResponse};

    let accept: UserAuthenticateResponse = response(
        "userauthenticate-accept.plist",
        |r: &UserAuthenticateResponse| r.encode().unwrap(),
    );
    assert_eq!(accept, UserAuthenticateResponse::accept());
    let challenge: UserAuthenticateResponse = response(
        "userauthenticate-challenge.plist",
        |r: &UserAuthenticateResponse| r.encode().unwrap(),
    );
    assert_eq!(
        challenge.digest_challenge,
        "Digest realm=\"mdm\", nonce=\"4a1f\""
    );
    let token: BootstrapTokenResponse =
        response("bootstraptoken.plist", |r: &BootstrapTokenResponse| {
            r.encode().unwrap()
        });
    assert_eq!(
        token,
        BootstrapTokenResponse::new(Some(b"bootstrap-token-bytes-0123456789".to_vec()))
    );
    let get: GetTokenResponse =
        response("gettoken.plist", |r: &GetTokenResponse| r.encode().unwrap());
    assert_eq!(
        get,
        GetTokenResponse::new("eyJhbGciOiJFUzI1NiJ9.example-token")
    );
}
