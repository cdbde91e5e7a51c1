//! Every Apps and Books sample of `../shared/corpus/vpp/` decodes, and every property of
//! the JSON Schemas there is a known field of the matching type.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use mdm_vpp::{
    Asset, ClientConfigResponse, ContentToken, DefaultPlatform, ErrorResponse, EventResponse,
    EventType, ManageAssetsRequest, MdmInfo, Notification, NotificationPayload, NotificationResult,
    NotificationType, PricingParam, ResponseErrorInfo,
};
use serde_json::{Value, json};

const ZENTRAL: &str = "vpp/zentral/tests/mdm/testdata";
const SCHEMAS: &str = "vpp/micromdm-apple-device-services/anb/schemas";
const STOKEN: &str = "vpp/petarov-apple-mdm-clients/legacy-app-and-book-management-client/src/test/resources/apple-mdm-client-tests-stoken-1.stoken";

fn read(test: &str, rel: &str) -> Option<Vec<u8>> {
    mdm_testsupport::corpus_path(test, rel).map(|p| std::fs::read(p).unwrap())
}

#[test]
fn client_config_response() {
    let Some(body) = read(
        "client_config_response",
        &format!("{ZENTRAL}/server_token_client_config_response.json"),
    ) else {
        return;
    };
    let c = ClientConfigResponse::decode(&body).unwrap();
    assert_eq!(c.country_iso2a_code.as_deref(), Some("DE"));
    assert_eq!(c.default_platform, Some(DefaultPlatform::EnterpriseStore));
    assert_eq!(c.mdm_info.as_ref().unwrap().name, "Zentral");
    assert_eq!(
        c.subscribed_notification_types,
        [
            NotificationType::AssetCount,
            NotificationType::AssetManagement
        ]
    );
    assert_eq!(
        c.token_expiration_date.unwrap().to_rfc3339(),
        "2023-09-26T08:30:39+00:00"
    );
    assert_eq!(c.website_url.as_deref(), Some("https://business.apple.com"));
    assert!(c.extra.is_empty(), "unknown keys: {:?}", c.extra);
    assert!(
        !format!("{c:?}").contains("qhLNx6TX"),
        "the notification token leaked into Debug"
    );
    let back = ClientConfigResponse::decode(&c.encode().unwrap()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn notifications() {
    let Some(dir) = mdm_testsupport::corpus_path("notifications", ZENTRAL) else {
        return;
    };
    let mut seen = 0;
    for file in mdm_testsupport::files_under(&dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with("_notification.json") {
            continue;
        }
        let n = Notification::decode(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(n.extra.is_empty(), "{name}: {:?}", n.extra);
        assert_eq!(n.uid.as_deref(), Some("981060278089131045"));
        match (&*name, &n.payload) {
            ("server_token_test_notification.json", NotificationPayload::Test(m)) => {
                assert!(m.is_empty());
            }
            ("server_token_asset_count_notification.json", NotificationPayload::AssetCount(c)) => {
                assert_eq!(c.adam_id.as_str(), "361304891");
                assert_eq!(c.count_delta, 1);
                assert_eq!(c.pricing_param, Some(PricingParam::Stdq));
            }
            (
                "server_token_associate_success_notification.json"
                | "server_token_disassociate_success_notification.json",
                NotificationPayload::AssetManagement(m),
            ) => {
                assert_eq!(m.result, NotificationResult::Success);
                let want = if name.contains("disassociate") {
                    EventType::Disassociate
                } else {
                    EventType::Associate
                };
                assert_eq!(m.event_type, Some(want));
                assert_eq!(
                    m.assignments[0].serial_number.as_ref().unwrap().as_str(),
                    "C02000000000"
                );
                assert!(m.assignments[0].extra.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(Notification::decode(&n.encode().unwrap()).unwrap(), n);
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn legacy_stoken() {
    let Some(body) = read("legacy_stoken", STOKEN) else {
        return;
    };
    let t = ContentToken::decode(&body).unwrap();
    assert_eq!(t.org_name(), "blabla GmbH");
    assert_eq!(t.expires_at().to_rfc3339(), "2020-12-31T11:57:19+00:00");
    let now = "2026-01-01T00:00:00Z".parse().unwrap();
    assert!(t.check(now).unwrap_err().is_token_expired());
    assert!(!format!("{t:?}").contains("VGhpcyBp"));
}

/// An instance with every property of a JSON Schema filled in.
fn instance(dir: &Path, schema_file: &str) -> Value {
    let schema: Value =
        serde_json::from_slice(&std::fs::read(dir.join(schema_file)).unwrap()).unwrap();
    let mut out = serde_json::Map::new();
    for (key, prop) in schema["properties"].as_object().unwrap() {
        out.insert(key.clone(), value_for(dir, prop));
    }
    Value::Object(out)
}

fn value_for(dir: &Path, prop: &Value) -> Value {
    if let Some(r) = prop["$ref"].as_str() {
        return instance(dir, r);
    }
    if let Some(e) = prop["enum"].as_array() {
        return e[0].clone();
    }
    match prop["type"].as_str() {
        Some("string") if prop["format"] == "date-time" => json!("2030-01-01T00:00:00Z"),
        Some("string") => json!("X1"),
        Some("integer") => json!(9602),
        Some("boolean") => json!(true),
        Some("array") => json!([value_for(dir, &prop["items"])]),
        other => panic!("schema type {other:?}"),
    }
}

#[test]
fn schemas_are_covered() {
    let Some(dir) = mdm_testsupport::corpus_path("schemas_are_covered", SCHEMAS) else {
        return;
    };
    macro_rules! covered {
        ($file:literal, $ty:ty) => {{
            let v = instance(&dir, $file);
            let decoded: $ty =
                serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{}: {e}", $file));
            assert!(
                decoded.extra.is_empty(),
                "{}: unknown {:?}",
                $file,
                decoded.extra
            );
            let back = serde_json::to_value(&decoded).unwrap();
            assert_eq!(back, v, "{} does not round-trip", $file);
        }};
    }
    covered!("Asset.json", Asset);
    covered!("ErrorResponse.json", ErrorResponse);
    covered!("EventResponse.json", EventResponse);
    covered!("ManageAssetsRequest.json", ManageAssetsRequest);
    covered!("MdmInfo.json", MdmInfo);
    covered!("ResponseErrorInfo.json", ResponseErrorInfo);
}
