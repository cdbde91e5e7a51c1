//! Commands with required keys are built with `new(required...)`, and what `new` builds
//! survives encode and decode unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mdm_commands::{
    Command, CommandPayload, Data, DeviceInformation, DeviceInformationQueriesItem, InstallProfile,
    RemoveApplication, RemoveProfile, Settings, SettingsBluetooth, SettingsDeviceName,
    SettingsItem, SettingsWallpaper,
};

fn round_trip<P: CommandPayload + Clone + PartialEq + std::fmt::Debug>(payload: P) -> P {
    let command = Command::new(payload.clone());
    let bytes = command.encode().unwrap();
    let back = Command::<P>::decode(&bytes).unwrap();
    assert_eq!(back.payload, payload);
    back.payload
}

#[test]
fn new_takes_the_required_keys_and_leaves_the_rest_empty() {
    let install = InstallProfile::new(Data::new(b"<plist/>".to_vec()));
    assert_eq!(install.payload, Data::new(b"<plist/>".to_vec()));
    assert!(install.extra.is_empty());
    round_trip(install);

    let remove = RemoveProfile::new("com.example.wifi");
    assert_eq!(remove.identifier, "com.example.wifi");
    round_trip(remove);

    let app = RemoveApplication::new("com.example.app");
    assert_eq!(app.identifier, "com.example.app");
    round_trip(app);
}

#[test]
fn optional_keys_are_set_by_field_after_new() {
    let mut info = DeviceInformation::new(vec![
        DeviceInformationQueriesItem::UDID,
        DeviceInformationQueriesItem::OSVersion,
    ]);
    assert!(info.device_attestation_nonce.is_none());
    info.device_attestation_nonce = Some(Data::new(vec![1, 2, 3]));
    let back = round_trip(info);
    assert_eq!(back.queries.len(), 2);
}

#[test]
fn nested_items_have_constructors_too() {
    let settings = Settings::new(vec![
        SettingsItem::DeviceName(SettingsDeviceName::new("Lab iPad 7")),
        SettingsItem::Bluetooth(SettingsBluetooth::new(false)),
        SettingsItem::Wallpaper(SettingsWallpaper::new(Data::new(vec![0x89, 0x50]), 3)),
    ]);
    let back = round_trip(settings);
    assert_eq!(back.settings.len(), 3);
}
