//! Property tests of the server's input paths: arbitrary or mutated check-in and command
//! bodies, arbitrary signature headers and arbitrary API command requests never panic, and
//! nothing is stored for them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, OnceLock};

use axum::http::{HeaderMap, HeaderValue};
use mdm_examples::server::api::{EnqueueRequest, build_command, json_to_plist};
use mdm_examples::server::certauth::CertAuth;
use mdm_examples::server::service::Service;
use mdm_examples::server::sqlite::SqliteStore;
use mdm_examples::server::store::Store;
use mdm_signing::{Identity, PrivateKey};
use proptest::prelude::*;

const AUTHENTICATE: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>MessageType</key><string>Authenticate</string>
  <key>Topic</key><string>com.apple.mgmt.External.test</string>
  <key>UDID</key><string>PROP-UDID</string>
  <key>SerialNumber</key><string>C02PROP</string>
</dict></plist>"#;

const IDLE: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>Status</key><string>Idle</string>
  <key>UDID</key><string>PROP-UDID</string>
</dict></plist>"#;

fn ca() -> &'static Identity {
    static CA: OnceLock<Identity> = OnceLock::new();
    CA.get_or_init(|| {
        Identity::self_signed("prop CA", PrivateKey::generate_p256().unwrap(), 1).unwrap()
    })
}

fn service() -> (Service, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let service = Service::new(store.clone(), CertAuth::new(ca(), None), 64 * 1024);
    (service, store)
}

fn mutate(base: &[u8], edits: &[(usize, u8)], cut: usize) -> Vec<u8> {
    let mut v = base.to_vec();
    for (at, byte) in edits {
        let i = at % v.len();
        v[i] = *byte;
    }
    v.truncate(v.len() - cut % v.len());
    v
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        ".{0,12}".prop_map(serde_json::Value::from),
        Just(serde_json::json!({"$data": "AAEC"})),
        Just(serde_json::json!({"$data": "%%"})),
        Just(serde_json::json!({"$date": "2026-01-01T00:00:00Z"})),
        Just(serde_json::json!({"$date": "yesterday"})),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[A-Za-z$]{1,10}", inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

const REQUEST_TYPES: &[&str] = &[
    "DeviceInformation",
    "InstallProfile",
    "DeviceLock",
    "Settings",
    "InstallApplication",
    "EraseDevice",
    "NoSuchCommand",
    "",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_checkins_and_reports_never_panic_or_store(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in any::<usize>(),
        header in prop::option::of("[ -~]{0,200}"),
    ) {
        let (service, store) = service();
        let mut headers = HeaderMap::new();
        if let Some(h) = header.as_deref().and_then(|h| HeaderValue::from_str(h).ok()) {
            headers.insert("mdm-signature", h);
        }
        for base in [AUTHENTICATE, IDLE] {
            let body = mutate(base, &edits, cut);
            let a = service.checkin(&headers, &body);
            let b = service.report(&headers, &body);
            // Without a certificate from the CA, nothing gets past identity.
            prop_assert!(matches!(a.status, 400 | 500 | 503), "{}", a.status);
            prop_assert!(matches!(b.status, 400 | 500 | 503), "{}", b.status);
        }
        prop_assert!(store.devices().unwrap().is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (service, store) = service();
        let headers = HeaderMap::new();
        prop_assert_eq!(service.checkin(&headers, &body).status, 400);
        prop_assert_eq!(service.report(&headers, &body).status, 400);
        prop_assert!(store.devices().unwrap().is_empty());
    }

    #[test]
    fn api_command_requests_never_panic(
        payload in arb_json(),
        rt in 0..REQUEST_TYPES.len(),
        uuid in prop::option::of("[ -~]{0,40}"),
    ) {
        let _ = json_to_plist(&payload);
        let request = serde_json::json!({
            "devices": ["X"],
            "request_type": REQUEST_TYPES[rt],
            "payload": payload,
            "command_uuid": uuid,
        });
        if let Ok(req) = serde_json::from_value::<EnqueueRequest>(request)
            && let Ok(cmd) = build_command(&req)
        {
            // Whatever was accepted encodes.
            prop_assert!(cmd.encode().is_ok());
        }
    }
}
