//! Property tests: built profiles round-trip through XML unchanged, and `decode` never
//! panics on arbitrary or damaged input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mdm_plist::{Dictionary, Value};
use mdm_profiles::{Passcode, Payload, Profile, Restrictions, UuidMode, Wifi, WifiEncryptionType};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Printable text including XML specials and non-ASCII; no control characters, which XML
    // 1.0 cannot carry.
    "[a-zA-Z0-9 <>&\"'é中.-]{0,24}"
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(Value::String),
        any::<i64>().prop_map(|i| Value::Integer(i.into())),
        any::<bool>().prop_map(Value::Boolean),
        (-1.0e9f64..1.0e9).prop_map(Value::Real),
        proptest::collection::vec(any::<u8>(), 0..32).prop_map(Value::Data),
    ]
}

fn payload() -> impl Strategy<Value = Payload> {
    prop_oneof![
        (
            text(),
            any::<bool>(),
            proptest::option::of(text()),
            0usize..6
        )
            .prop_map(|(ssid, auto, pw, enc)| {
                let types = ["WEP", "WPA", "WPA2", "WPA3", "Any", "None"];
                Payload::from(Wifi {
                    ssid_str: Some(ssid),
                    auto_join: Some(auto),
                    password: pw,
                    encryption_type: Some(WifiEncryptionType::from(types[enc])),
                    ..Default::default()
                })
            }),
        (0i64..17, any::<bool>()).prop_map(|(n, alpha)| Payload::from(Passcode {
            min_length: Some(n),
            require_alphanumeric: Some(alpha),
            ..Default::default()
        })),
        any::<bool>().prop_map(|b| Payload::from(Restrictions {
            allow_camera: Some(b),
            ..Default::default()
        })),
        (
            "[a-z]{1,8}",
            proptest::collection::btree_map("[A-Za-z]{1,10}", scalar(), 0..6)
        )
            .prop_map(|(domain, map)| {
                let mut d = Dictionary::new();
                for (k, v) in map {
                    if !k.starts_with("Payload") {
                        d.insert(k, v);
                    }
                }
                Payload::custom(format!("com.example.{domain}"), d)
            }),
    ]
}

proptest! {
    #[test]
    fn built_profiles_round_trip(
        id in "[a-z]{1,8}(\\.[a-z]{1,8}){0,3}",
        name in proptest::option::of(text()),
        payloads in proptest::collection::vec(payload(), 0..6),
    ) {
        let mut b = Profile::builder(id).uuids(UuidMode::Deterministic);
        if let Some(n) = name {
            b = b.display_name(n);
        }
        for p in payloads {
            b = b.payload(p);
        }
        let profile = b.build().unwrap();
        let xml = profile.encode().unwrap();
        let back = mdm_profiles::Decoded::decode(&xml).unwrap();
        prop_assert!(back.leniencies.is_empty(), "{:?}", back.leniencies);
        prop_assert_eq!(back.profile, profile);
    }

    #[test]
    fn decode_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = mdm_profiles::Decoded::decode(&bytes).map(|d| d.problems());
    }

    #[test]
    fn decode_never_panics_on_damaged_profiles(cut in 0usize..2000, flip in 0usize..2000, byte in any::<u8>()) {
        let path = format!("{}/tests/data/enterprise-wifi.mobileconfig", env!("CARGO_MANIFEST_DIR"));
        let mut bytes = std::fs::read(path).unwrap();
        if let Some(b) = bytes.get_mut(flip) {
            *b = byte;
        }
        bytes.truncate(cut.max(1) * 2);
        let _ = mdm_profiles::Decoded::decode(&bytes).map(|d| d.problems());
    }
}
