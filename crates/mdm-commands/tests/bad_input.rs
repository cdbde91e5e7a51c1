//! Hostile and broken input: typed errors or `Other`, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mdm_commands::{
    AnyCommand, Command, CommandResponse, DeviceInformation, DeviceLock, Error,
    InstalledApplicationList, RequestType, Status,
};

fn plist(body: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict>{body}</dict></plist>\n"
    )
    .into_bytes()
}

#[test]
fn missing_status_is_a_shape_error() {
    let err =
        CommandResponse::decode(&plist("<key>CommandUUID</key><string>1</string>")).unwrap_err();
    assert!(err.is_shape(), "{err}");
    assert!(err.to_string().contains("Status"), "{err}");
}

#[test]
fn unknown_status_is_kept() {
    let r = CommandResponse::decode(&plist("<key>Status</key><string>Pondering</string>")).unwrap();
    assert_eq!(r.status, Status::Other("Pondering".into()));
    let again = CommandResponse::decode(&r.encode().unwrap()).unwrap();
    assert_eq!(again.status.as_str(), "Pondering");
}

#[test]
fn body_of_another_command_is_a_body_error() {
    // A DeviceInformation answer whose QueryResponses is a string.
    let r = CommandResponse::decode(&plist(
        "<key>Status</key><string>Acknowledged</string><key>QueryResponses</key><string>no</string>",
    ))
    .unwrap();
    let err = r.decode_as::<DeviceInformation>().unwrap_err();
    assert!(
        matches!(err, Error::Body { ref request_type, .. } if request_type == "DeviceInformation")
    );
    // The same body read as an unrelated command keeps the key as an unknown one.
    let other = r.decode_as::<DeviceLock>().unwrap();
    assert!(other.extra.contains_key("QueryResponses"));
}

#[test]
fn wrong_value_types_are_errors() {
    let r = CommandResponse::decode(&plist("<key>Status</key><integer>3</integer>"));
    assert!(r.unwrap_err().is_shape());
    let c = AnyCommand::decode(&plist(
        "<key>CommandUUID</key><string>1</string><key>Command</key><dict><key>RequestType</key><string>DeviceLock</string><key>PIN</key><true/></dict>",
    ));
    assert!(c.unwrap_err().is_shape());
}

#[test]
fn unknown_request_type_is_other_and_round_trips() {
    let xml = plist(
        "<key>Command</key><dict><key>RequestType</key><string>FutureThing</string><key>Knob</key><integer>1</integer></dict><key>CommandUUID</key><string>1</string>",
    );
    let c = AnyCommand::decode(&xml).unwrap();
    assert_eq!(c.request_type, RequestType::Other("FutureThing".into()));
    let again = AnyCommand::decode(&c.encode().unwrap()).unwrap();
    assert_eq!(again, c);
    assert!(c.downcast::<DeviceLock>().is_err());
}

#[test]
fn mismatched_request_type_is_refused() {
    let cmd = Command::new(DeviceLock::default());
    let err = Command::<InstalledApplicationList>::decode(&cmd.encode().unwrap()).unwrap_err();
    assert!(matches!(err, Error::RequestTypeMismatch { .. }));
}

fn many_apps(n: usize) -> Vec<u8> {
    let mut body = String::from(
        "<key>CommandUUID</key><string>1</string><key>Status</key><string>Acknowledged</string><key>InstalledApplicationList</key><array>",
    );
    for i in 0..n {
        body.push_str(&format!(
            "<dict><key>Identifier</key><string>com.example.app{i}</string><key>Name</key><string>App {i}</string><key>BundleSize</key><integer>{i}</integer></dict>"
        ));
    }
    body.push_str("</array>");
    plist(&body)
}

#[test]
fn a_hundred_thousand_apps_hit_the_size_limit_or_decode_with_a_larger_one() {
    let xml = many_apps(100_000);
    assert!(xml.len() > mdm_plist::DEFAULT_MAX_BYTES);
    let err = CommandResponse::decode(&xml).unwrap_err();
    assert!(err.is_limit(), "{err}");
    let limits = mdm_plist::Limits {
        max_bytes: 64 * 1024 * 1024,
        ..mdm_plist::Limits::default()
    };
    let r = CommandResponse::decode_with(&xml, &limits).unwrap();
    let body = r.decode_as::<InstalledApplicationList>().unwrap();
    assert_eq!(body.installed_application_list.unwrap().len(), 100_000);
}

#[test]
fn deep_nesting_is_a_limit_error() {
    let deep = format!(
        "<key>Status</key><string>Acknowledged</string><key>X</key>{}{}",
        "<array>".repeat(10_000),
        "</array>".repeat(10_000)
    );
    let err = CommandResponse::decode(&plist(&deep)).unwrap_err();
    assert!(err.is_limit(), "{err}");
}
