//! Property tests: declarations and status reports with arbitrary extra content round-trip
//! exactly, and no input makes a decoder panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use mdm_declarative::{Declaration, JsonObject, JsonValue, StatusReport, samples};
use proptest::prelude::*;
use serde_json::json;

fn leaf() -> impl Strategy<Value = JsonValue> {
    prop_oneof![
        Just(JsonValue::Null),
        any::<bool>().prop_map(JsonValue::from),
        any::<i64>().prop_map(JsonValue::from),
        (-1.0e9f64..1.0e9).prop_map(JsonValue::from),
        "[a-z0-9 .\u{e9}\"\\\\]{0,12}".prop_map(JsonValue::from),
    ]
}

fn value() -> impl Strategy<Value = JsonValue> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(JsonValue::Array),
            prop::collection::btree_map("[A-Za-z]{1,8}", inner, 0..4)
                .prop_map(|m| JsonValue::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn declarations_with_extra_keys_round_trip(
        index in 0..samples::PAYLOADS.len(),
        extra in prop::collection::btree_map("Zz[A-Za-z]{1,8}", value(), 0..4),
        id in "[a-z0-9.-]{1,40}",
    ) {
        let (ty, payload) = samples::PAYLOADS[index];
        let mut payload: JsonObject = serde_json::from_str(payload).unwrap();
        for (k, v) in extra {
            payload.insert(k, v);
        }
        let v = json!({"Type": ty, "Identifier": id, "ServerToken": "t", "Payload": payload});
        let d = Declaration::decode(&serde_json::to_vec(&v).unwrap()).unwrap();
        prop_assert_eq!(d.to_value().unwrap(), v);
        prop_assert_eq!(Declaration::decode(&d.encode().unwrap()).unwrap(), d);
    }

    #[test]
    fn status_reports_round_trip(
        items in prop::collection::btree_map("[a-z]{1,6}", value(), 0..5),
        index in 0..samples::STATUS_ITEMS.len(),
        full in any::<Option<bool>>(),
    ) {
        let (name, sample) = samples::STATUS_ITEMS[index];
        let mut report = StatusReport::default();
        report.status_items.set(mdm_declarative::StatusItem::from_value(name, serde_json::from_str(sample).unwrap()));
        let mut v = report.to_value().unwrap();
        for (k, item) in items {
            // Vendor subtrees beside the known item.
            v["StatusItems"].as_object_mut().unwrap().entry(format!("x{k}")).or_insert(item);
        }
        if let Some(f) = full {
            v["FullReport"] = JsonValue::Bool(f);
        }
        let decoded = StatusReport::decode(&serde_json::to_vec(&v).unwrap()).unwrap();
        prop_assert_eq!(decoded.to_value().unwrap(), v);
    }

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Declaration::decode(&bytes);
        let _ = StatusReport::decode(&bytes);
        let _ = mdm_declarative::TokensResponse::decode(&bytes);
        let _ = mdm_declarative::DeclarationItemsResponse::decode(&bytes);
    }

    #[test]
    fn json_shaped_input_never_panics(v in value()) {
        let bytes = serde_json::to_vec(&json!({"StatusItems": v.clone(), "Errors": [v.clone()]})).unwrap();
        let _ = StatusReport::decode(&bytes);
        let bytes = serde_json::to_vec(&json!({"Type": "com.apple.configuration.passcode.settings", "Identifier": "x", "Payload": v})).unwrap();
        let _ = Declaration::decode(&bytes);
    }
}
