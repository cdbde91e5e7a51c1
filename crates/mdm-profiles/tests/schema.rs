//! The generated types cover the schema: every top-level key is a `Profile` field and every
//! payload type has a typed variant.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use mdm_profiles::{PayloadType, Profile, spec};

#[test]
fn profile_has_every_top_level_key() {
    let missing: Vec<&str> = spec::top_level_keys()
        .filter(|k| !Profile::KEYS.contains(k))
        .collect();
    assert!(missing.is_empty(), "Profile lacks {missing:?}");
}

#[test]
fn every_payload_type_is_typed() {
    let types: Vec<&str> = spec::schema_payload_types().collect();
    assert_eq!(types.len(), PayloadType::KNOWN.len());
    assert!(types.len() >= 120, "{}", types.len());
    for t in types {
        assert!(PayloadType::from(t).is_known(), "{t}");
        assert!(spec::schema_path(t).is_some(), "{t}");
    }
    // `com.apple.MCX` is described by several files, merged into one type.
    assert!(spec::schema_path("com.apple.MCX").unwrap().contains(", "));
}

#[test]
fn unknown_payload_types_survive() {
    let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>PayloadType</key><string>Configuration</string>
<key>PayloadVersion</key><integer>1</integer>
<key>PayloadIdentifier</key><string>p</string>
<key>PayloadUUID</key><string>U</string>
<key>PayloadContent</key><array><dict>
  <key>PayloadType</key><string>com.vendor.agent</string>
  <key>PayloadIdentifier</key><string>p.agent</string>
  <key>PayloadUUID</key><string>V</string>
  <key>PayloadVersion</key><integer>1</integer>
  <key>Nested</key><dict><key>A</key><array><integer>1</integer></array></dict>
</dict></array></dict></plist>"#;
    let d = mdm_profiles::Decoded::decode(xml).unwrap();
    let p = &d.profile.payload_content[0];
    assert_eq!(p.payload_type(), "com.vendor.agent");
    assert_eq!(p.identifier(), Some("p.agent"));
    let again = mdm_profiles::Decoded::decode(&d.profile.encode().unwrap()).unwrap();
    assert_eq!(again.profile, d.profile);
    assert!(mdm_profiles::validate(&d.profile).is_empty());
}
