//! Round trips of every declaration type and every status item, built from the schema's
//! required keys (`mdm_declarative::samples`), and the behaviour of the envelope, the status
//! report and the tokens on good and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mdm_declarative::{
    Class, Declaration, DeclarationSet, DeclarationType, Error, JsonValue, PasscodeSettings,
    Payload, Platform, Problem, SimpleActivation, StatusItem, StatusReport, Version, samples,
};
use serde_json::json;

fn envelope(ty: &str, payload: &str) -> JsonValue {
    json!({
        "Type": ty,
        "Identifier": "id-1",
        "ServerToken": "t1",
        "Payload": serde_json::from_str::<JsonValue>(payload).unwrap(),
    })
}

#[test]
fn every_declaration_type_round_trips_from_its_required_keys() {
    assert!(samples::PAYLOADS.len() >= 58, "{}", samples::PAYLOADS.len());
    for (ty, payload) in samples::PAYLOADS {
        let value = envelope(ty, payload);
        let bytes = serde_json::to_vec(&value).unwrap();
        let d = Declaration::decode(&bytes).unwrap_or_else(|e| panic!("{ty}: {e}"));
        assert!(
            !matches!(d.payload, Payload::Unknown { .. }),
            "{ty} decoded as unknown"
        );
        assert_eq!(d.declaration_type().as_str(), *ty);
        assert!(d.declaration_type().is_known());
        assert!(d.class().is_some(), "{ty}");
        assert_eq!(d.to_value().unwrap(), value, "{ty}");
        let again = Declaration::decode(&d.encode().unwrap()).unwrap();
        assert_eq!(again, d, "{ty}");
    }
    // Every known type has a sample.
    for known in DeclarationType::KNOWN {
        assert!(samples::PAYLOADS.iter().any(|(t, _)| t == known), "{known}");
    }
}

#[test]
fn every_status_item_round_trips() {
    assert!(samples::STATUS_ITEMS.len() >= 40);
    for (name, value) in samples::STATUS_ITEMS {
        let value: JsonValue = serde_json::from_str(value).unwrap();
        let item = StatusItem::from_value(name, value.clone());
        assert!(
            !matches!(item, StatusItem::Unknown { .. }),
            "{name} did not type: {value}"
        );
        assert_eq!(item.name(), *name);
        assert_eq!(item.to_value().unwrap(), value, "{name}");
        // Inside a report, nested by its dotted name.
        let mut report = StatusReport::default();
        report.status_items.set(item.clone());
        let back = StatusReport::decode(&report.encode().unwrap()).unwrap();
        assert_eq!(back.status_items.get(name), Some(&item), "{name}");
    }
}

#[test]
fn unknown_keys_and_types_are_kept() {
    let v = json!({
        "Type": "com.apple.configuration.passcode.settings",
        "Identifier": "p",
        "ServerToken": "1",
        "Payload": {"MinimumLength": 4, "FutureKey": {"a": [1, 2.5, null]}},
        "FutureEnvelope": true,
    });
    let d = Declaration::decode(&serde_json::to_vec(&v).unwrap()).unwrap();
    let Payload::PasscodeSettings(p) = &d.payload else {
        panic!()
    };
    assert_eq!(p.minimum_length, Some(4));
    assert_eq!(p.extra["FutureKey"], json!({"a": [1, 2.5, null]}));
    assert_eq!(d.extra["FutureEnvelope"], json!(true));
    assert_eq!(d.to_value().unwrap(), v);

    let u = json!({"Type": "com.example.new", "Identifier": "x", "ServerToken": "1", "Payload": {"k": 1}});
    let d = Declaration::decode(&serde_json::to_vec(&u).unwrap()).unwrap();
    assert!(
        matches!(&d.payload, Payload::Unknown { declaration_type, .. } if declaration_type == "com.example.new")
    );
    assert!(!d.declaration_type().is_known());
    assert_eq!(d.class(), None);
    assert_eq!(d.to_value().unwrap(), u);
}

#[test]
fn bad_input_gives_typed_errors_with_a_path() {
    let e = Declaration::decode(br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"p","ServerToken":"1","Payload":{"MinimumLength":"six"}}"#).unwrap_err();
    assert_eq!(e.path(), Some("Payload.MinimumLength"), "{e}");
    let e = Declaration::decode(
        br#"{"Type":"com.apple.activation.simple","Identifier":"a","Payload":{}}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("StandardConfigurations"), "{e}");
    assert!(matches!(
        Declaration::decode(b"{\"Type\":"),
        Err(Error::Syntax { .. })
    ));
    assert!(matches!(
        Declaration::decode(b"[]"),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        Declaration::decode(b"{} x"),
        Err(Error::Syntax { .. })
    ));
    let e = StatusReport::decode(br#"{"StatusItems":{},"Errors":[{"Reasons":[]}]}"#).unwrap_err();
    assert!(e.path().unwrap().starts_with("Errors"), "{e}");
    assert!(matches!(
        StatusReport::decode(br#"{"Errors":[]}"#),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        StatusReport::decode(br#"{"StatusItems":[]}"#),
        Err(Error::Shape { .. })
    ));
    // 10,000 levels: refused before parsing, no stack overflow.
    let deep = format!(
        "{{\"StatusItems\":{}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(matches!(
        StatusReport::decode(deep.as_bytes()),
        Err(Error::TooDeep { .. })
    ));
    let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    assert!(matches!(
        Declaration::decode(deep.as_bytes()),
        Err(Error::TooDeep { .. })
    ));
    // Over the size limit.
    let big = vec![b' '; mdm_declarative::MAX_BODY_BYTES + 1];
    let e = StatusReport::decode(&big).unwrap_err();
    assert!(e.is_limit());
    // A repeated key: the last one wins, as in Python's json.
    let d = Declaration::decode(br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"p","Payload":{"MinimumLength":1,"MinimumLength":2}}"#).unwrap();
    let Payload::PasscodeSettings(p) = d.payload else {
        panic!()
    };
    assert_eq!(p.minimum_length, Some(2));
}

#[test]
fn status_report_keeps_what_it_does_not_model() {
    let v = json!({
        "StatusItems": {
            "passcode": {"is-compliant": true, "future-item": 3},
            "device": {"operating-system": {"version": "17.0", "supplemental": {"build-version": "21A"}}},
            "vendor": {"x": {"y": [1]}},
            "management": {"declarations": {"activations": [], "configurations": [{"identifier": "a", "server-token": "1", "active": true, "valid": "valid", "new": 1}], "assets": [], "management": []}},
        },
        "Errors": [{"StatusItem": "device.model.family", "Reasons": [{"Code": "Error.X", "Details": {"k": 1}}]}],
        "FullReport": false,
        "Extra": 1,
    });
    let report = StatusReport::decode(&serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(!report.is_full());
    assert_eq!(
        report.status_items.get("device.operating-system.version"),
        Some(&StatusItem::DeviceOperatingSystemVersion("17.0".into()))
    );
    assert!(matches!(
        report.status_items.get("passcode.future-item"),
        Some(StatusItem::Unknown { .. })
    ));
    assert!(matches!(
        report.status_items.get("vendor"),
        Some(StatusItem::Unknown { .. })
    ));
    let Some(StatusItem::ManagementDeclarations(d)) =
        report.status_items.get("management.declarations")
    else {
        panic!()
    };
    assert_eq!(d.configurations[0].extra["new"], json!(1));
    assert_eq!(report.to_value().unwrap(), v);
}

#[test]
fn server_tokens_are_stable_and_change_with_content() {
    let a = br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"p","Payload":{"MinimumLength":6,"RequireAlphanumericPasscode":true}}"#;
    let b = br#"{"Payload":{"RequireAlphanumericPasscode":true,"MinimumLength":6},"Identifier":"p","Type":"com.apple.configuration.passcode.settings","ServerToken":"old"}"#;
    let ta = Declaration::decode(a).unwrap().content_token().unwrap();
    let tb = Declaration::decode(b).unwrap().content_token().unwrap();
    assert_eq!(ta, tb);
    assert!(ta.len() <= 64);
    for changed in [
        br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"p","Payload":{"MinimumLength":7,"RequireAlphanumericPasscode":true}}"#.as_slice(),
        br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"q","Payload":{"MinimumLength":6,"RequireAlphanumericPasscode":true}}"#,
        br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"p","Payload":{"MinimumLength":6}}"#,
        br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"p","Payload":{"MinimumLength":6,"RequireAlphanumericPasscode":true,"X":1}}"#,
    ] {
        assert_ne!(Declaration::decode(changed).unwrap().content_token().unwrap(), ta);
    }

    let mut set = DeclarationSet::new();
    set.insert(Declaration::decode(a).unwrap()).unwrap();
    let t1 = set.declarations_token();
    set.insert(Declaration::decode(b).unwrap()).unwrap();
    assert_eq!(set.declarations_token(), t1, "same content, same set token");
    set.insert(Declaration::new(
        "act",
        SimpleActivation::new(vec!["p".into()]),
    ))
    .unwrap();
    assert_ne!(set.declarations_token(), t1);
    let m = set.manifest();
    assert_eq!(m.declarations.activations.len(), 1);
    assert_eq!(m.declarations.configurations[0].server_token, ta);
    assert_eq!(
        mdm_declarative::DeclarationItemsResponse::decode(&m.encode().unwrap()).unwrap(),
        m
    );
    let tokens = set.tokens(mdm_declarative::Utc::now());
    let back = mdm_declarative::TokensResponse::decode(&tokens.encode().unwrap()).unwrap();
    assert_eq!(back.sync_tokens.declarations_token, m.declarations_token);
}

#[test]
fn validator_checks_references_and_availability() {
    let mut set = DeclarationSet::new();
    set.insert(Declaration::new(
        "act",
        SimpleActivation::new(vec!["missing".into(), "asset".into()]),
    ))
    .unwrap();
    let asset: Payload =
        serde_json::from_str::<JsonValue>(r#"{"Reference":{"DataURL":"https://x"}}"#)
            .map(|v| {
                Declaration::from_value(
                    json!({"Type":"com.apple.asset.data","Identifier":"asset","Payload":v}),
                )
                .unwrap()
                .payload
            })
            .unwrap();
    set.insert(Declaration::new("asset", asset)).unwrap();
    let google = Declaration::from_value(json!({"Type":"com.apple.configuration.account.google","Identifier":"g","Payload":{"UserIdentityAssetReference":"nope"}})).unwrap();
    set.insert(google).unwrap();
    let problems = set.validate();
    assert!(
        problems.contains(&Problem::MissingConfiguration {
            activation: "act".into(),
            configuration: "missing".into()
        }),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| matches!(p, Problem::WrongClass { to, expected: Class::Configuration, .. } if to == "asset")), "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, Problem::MissingAsset { asset, .. } if asset == "nope")),
        "{problems:?}"
    );

    // Availability: passcode settings do not exist on tvOS; RequireAlphanumericPasscode
    // came in iOS 16.2.
    let mut set = DeclarationSet::new();
    let p = PasscodeSettings {
        require_alphanumeric_passcode: Some(true),
        ..Default::default()
    };
    set.insert(Declaration::new("p", p)).unwrap();
    assert!(
        set.validate_for(Platform::IOS, Version::new(17, 0, 0))
            .is_empty()
    );
    let old = set.validate_for(Platform::IOS, Version::new(16, 0, 0));
    assert!(old.iter().any(|p| matches!(p, Problem::KeyUnavailable { key, .. } if key == "RequireAlphanumericPasscode")), "{old:?}");
    let tv = set.validate_for(Platform::TvOS, Version::new(18, 0, 0));
    assert!(
        tv.iter()
            .any(|p| matches!(p, Problem::TypeUnavailable { .. })),
        "{tv:?}"
    );
}
