//! Property tests: typed values survive encode and decode; no input makes a decoder panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mdm_commands::{
    AnyCommand, Command, CommandResponse, CommandUuid, DeviceLock, ErrorChainItem,
    InstalledApplicationList, InstalledApplicationListItem, InstalledApplicationListResponse,
    RequestType, Settings, SettingsDeviceName, SettingsItem, Status,
};
use mdm_plist::{Dictionary, Value};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._,:/@+-]{0,24}"
}

fn uuid() -> impl Strategy<Value = CommandUuid> {
    "[A-F0-9-]{1,40}".prop_map(|s| CommandUuid::new(s).unwrap())
}

fn app() -> impl Strategy<Value = InstalledApplicationListItem> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(identifier, name, bundle_size, installing)| InstalledApplicationListItem {
                identifier,
                name,
                bundle_size,
                installing,
                ..Default::default()
            },
        )
}

proptest! {
    #[test]
    fn device_lock_round_trips(
        uuid in uuid(),
        message in proptest::option::of(text()),
        pin in proptest::option::of("[0-9]{6}"),
    ) {
        let cmd = Command::with_uuid(uuid, DeviceLock { message, pin, ..Default::default() });
        let xml = cmd.encode().unwrap();
        prop_assert_eq!(Command::<DeviceLock>::decode(&xml).unwrap(), cmd.clone());
        let any = AnyCommand::decode(&xml).unwrap();
        prop_assert_eq!(any.request_type.clone(), RequestType::DeviceLock);
        prop_assert_eq!(any.downcast::<DeviceLock>().unwrap(), cmd);
    }

    #[test]
    fn settings_items_round_trip_including_unknown_kinds(
        name in text(),
        unknown in "[A-Z][a-zA-Z]{3,12}",
        value in text(),
    ) {
        let mut other = Dictionary::new();
        other.insert("Item".into(), Value::String(format!("Future{unknown}")));
        other.insert("Value".into(), Value::String(value));
        let settings = Settings {
            settings: vec![
                SettingsItem::DeviceName(SettingsDeviceName { device_name: name, ..Default::default() }),
                SettingsItem::Other(other),
            ],
            ..Default::default()
        };
        let cmd = Command::new(settings);
        let xml = cmd.encode().unwrap();
        prop_assert_eq!(Command::<Settings>::decode(&xml).unwrap(), cmd);
    }

    #[test]
    fn installed_application_list_response_round_trips(
        uuid in uuid(),
        apps in proptest::collection::vec(app(), 0..20),
        status in prop_oneof![
            Just(Status::Acknowledged),
            Just(Status::NotNow),
            "[A-Z][a-z]{2,10}".prop_map(Status::from),
        ],
        code in proptest::option::of(any::<i64>()),
    ) {
        let body = InstalledApplicationListResponse {
            installed_application_list: Some(apps),
            ..Default::default()
        };
        let mut response: CommandResponse = mdm_plist::from_value(&Value::Dictionary(Dictionary::from_iter([
            ("Status".to_owned(), Value::String(status.to_string())),
        ]))).unwrap();
        response.command_uuid = Some(uuid);
        response.udid = Some("UDID-1".into());
        response.error_chain = code.map(|c| vec![ErrorChainItem { error_code: Some(c), ..Default::default() }]);
        response.extra = match mdm_plist::to_value(&body).unwrap() {
            Value::Dictionary(d) => d,
            _ => unreachable!(),
        };
        let xml = response.encode().unwrap();
        let back = CommandResponse::decode(&xml).unwrap();
        prop_assert_eq!(&back, &response);
        prop_assert_eq!(back.status.clone(), status);
        prop_assert_eq!(back.decode_as::<InstalledApplicationList>().unwrap(), body);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = AnyCommand::decode(&data);
        let _ = CommandResponse::decode(&data);
    }

    #[test]
    fn corrupted_commands_never_panic(pos in 0usize..400, byte in any::<u8>()) {
        let cmd = Command::with_uuid(
            CommandUuid::new("X").unwrap(),
            DeviceLock { message: Some("hello".into()), ..Default::default() },
        );
        let mut xml = cmd.encode().unwrap();
        let len = xml.len();
        if let Some(b) = xml.get_mut(pos % len) {
            *b = byte;
        }
        let _ = AnyCommand::decode(&xml);
        if let Ok(r) = CommandResponse::decode(&xml) {
            let _ = r.body_for(&RequestType::DeviceInformation);
        }
    }
}
