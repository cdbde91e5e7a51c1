//! Declarative management end to end: mdm-server and ten simulated devices. Declarations
//! are stored through the API and given to every device; each device is sent the
//! `DeclarativeManagement` command, fetches exactly the declarations that are new or
//! changed, reports them active, and the API shows the status. A change to one declaration
//! makes every device fetch that one again and nothing else. Then bad input: malformed and
//! deeply nested status reports, one over the body limit, an unknown declaration type, and
//! a declaration path naming another device's declaration.
//!
//! Runs on SQLite, or on PostgreSQL with `MDM_TEST_STORE=postgres`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use mdm_checkin::DeclarativeEndpoint;
use mdm_examples::server::{Options, Running, start};
use mdm_examples::sim::{Device, KeyChoice, SimConfig};
use mdm_signing::Certificate;
use mdm_testsupport::postgres::TestStore;
use serde_json::{Value, json};

const DEVICES: usize = 10;

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    fn new(s: &Running) -> Self {
        Api {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1", s.base_url),
            key: s.api_key.clone(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> Value {
        let (status, v) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Stores a declaration; returns its server token and how many devices' sets changed.
    async fn declare(&self, declaration: Value) -> (String, u64) {
        let (status, v) = self.put("declarations", declaration).await;
        assert_eq!(status, 200, "{v}");
        (
            v["server_token"].as_str().unwrap().to_owned(),
            v["devices_changed"].as_u64().unwrap(),
        )
    }
}

fn passcode(min_length: u32) -> Value {
    json!({
        "Type": "com.apple.configuration.passcode.settings",
        "Identifier": "com.example.passcode",
        "Payload": {"MinimumLength": min_length, "RequireAlphanumericPasscode": true}
    })
}

fn subscriptions() -> Value {
    json!({
        "Type": "com.apple.configuration.management.status-subscriptions",
        "Identifier": "com.example.subscriptions",
        "Payload": {"StatusItems": [
            {"Name": "device.operating-system.version"},
            {"Name": "passcode.is-compliant"},
            {"Name": "device.battery-health"}
        ]}
    })
}

fn activation() -> Value {
    json!({
        "Type": "com.apple.activation.simple",
        "Identifier": "com.example.activation",
        "Payload": {"StandardConfigurations": ["com.example.passcode", "com.example.subscriptions"]}
    })
}

const SET: [&str; 3] = [
    "com.example.activation",
    "com.example.passcode",
    "com.example.subscriptions",
];

/// Every device's fetch counts, by identifier.
fn fetched(devices: &[Device]) -> Vec<BTreeMap<String, usize>> {
    devices
        .iter()
        .map(|d| d.declarative().fetched.clone())
        .collect()
}

/// Checks what the API shows of a device's status: every declaration of the set active and
/// valid with the token the server gave it, and the subscribed items.
async fn check_status(api: &Api, device: &Device, tokens: &BTreeMap<&str, String>) {
    let v = api
        .get(&format!("devices/{}/declaration-status", device.udid()))
        .await;
    let mut seen = BTreeMap::new();
    for d in v["declarations"].as_array().unwrap() {
        assert_eq!(d["active"], true, "{v:#}");
        assert_eq!(d["valid"], "valid", "{v:#}");
        seen.insert(
            d["identifier"].as_str().unwrap().to_owned(),
            d["server_token"].as_str().unwrap().to_owned(),
        );
    }
    let want: BTreeMap<String, String> = tokens
        .iter()
        .map(|(k, t)| ((*k).to_owned(), t.clone()))
        .collect();
    assert_eq!(seen, want, "{v:#}");
    let items = &v["status_items"];
    assert_eq!(
        items["device.operating-system.version"],
        device.facts().os_version.as_str()
    );
    assert_eq!(items["passcode.is-compliant"], true);
    assert_eq!(
        v["errors"][0]["StatusItem"], "device.battery-health",
        "{v:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declarations_sync_to_devices_and_status_comes_back() {
    let Some(store) = TestStore::from_env("server_declarative") else {
        return;
    };
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let server = start(Options {
        data_dir: dir.path().join("data"),
        listen: Some("127.0.0.1:0".to_owned()),
        public_url: None,
        database: store.database(),
    })
    .await
    .unwrap();
    let api = Api::new(&server);
    let ca_pem = reqwest::get(format!("{}/mdm/ca", server.base_url))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut cfg = SimConfig::new(server.base_url.clone());
    cfg.anchors = vec![Certificate::from_pem(&ca_pem).unwrap()];
    cfg.prefix = "ddm".into();
    cfg.key = KeyChoice::P256;
    cfg.declarative_on_enroll = true;
    let http = cfg.http_client().unwrap();
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        devices.push(
            Device::enroll(&http, &server.base_url, i, &cfg)
                .await
                .unwrap(),
        );
    }
    // On enrollment each device synced its empty set and sent a full report.
    for d in &devices {
        let c = d.declarative();
        assert_eq!((c.syncs, c.manifests, c.fetches()), (1, 1, 0), "{c:?}");
        assert_eq!((c.status_reports, c.full_reports), (1, 1));
        let v = api
            .get(&format!("devices/{}/declaration-status", d.udid()))
            .await;
        assert_eq!(
            v["status_items"]["management.declarations"]["configurations"],
            json!([])
        );
    }

    // Store the declarations: no set holds them yet, so no device changes.
    let mut tokens = BTreeMap::new();
    for (id, decl) in SET.iter().zip([activation(), passcode(6), subscriptions()]) {
        let (token, changed) = api.declare(decl).await;
        assert_eq!(changed, 0);
        tokens.insert(*id, token);
    }
    let listed = api.get("declarations").await;
    assert_eq!(listed["declarations"].as_array().unwrap().len(), 3);
    assert_eq!(
        listed["declarations"][1]["declaration"]["ServerToken"],
        tokens["com.example.passcode"].as_str()
    );

    // Give every device the set: one DeclarativeManagement command each.
    for d in &devices {
        let (status, v) = api
            .put(
                &format!("devices/{}/declarations", d.udid()),
                json!({"identifiers": SET}),
            )
            .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["changed"], true);
        assert_eq!(v["sync"]["queued"], 1);
    }
    // The same set again changes nothing and queues nothing.
    let (_, v) = api
        .put(
            &format!("devices/{}/declarations", devices[0].udid()),
            json!({"identifiers": SET}),
        )
        .await;
    assert_eq!(
        (v["changed"].clone(), v["sync"].clone()),
        (json!(false), Value::Null)
    );

    for d in devices.iter_mut() {
        let report = d.poll(&http).await.unwrap();
        assert_eq!(report.answered.len(), 1);
        assert_eq!(report.answered[0].request_type, "DeclarativeManagement");
        assert_eq!(report.answered[0].status, "Acknowledged");
    }
    let once: BTreeMap<String, usize> = SET.iter().map(|s| ((*s).to_owned(), 1)).collect();
    assert_eq!(fetched(&devices), vec![once.clone(); DEVICES]);
    for d in &devices {
        check_status(&api, d, &tokens).await;
        assert_eq!(d.declarative().status_reports, 2);
        assert_eq!(
            d.declarative().full_reports,
            1,
            "the second report is incremental"
        );
    }

    // Storing the same content again gives the same token and syncs nobody.
    let (token, changed) = api.declare(passcode(6)).await;
    assert_eq!(
        (token.as_str(), changed),
        (tokens["com.example.passcode"].as_str(), 0)
    );

    // Change one declaration: every device is told, and fetches that one only.
    let (token, changed) = api.declare(passcode(8)).await;
    assert_ne!(token, tokens["com.example.passcode"]);
    assert_eq!(changed, DEVICES as u64);
    tokens.insert("com.example.passcode", token);
    for d in devices.iter_mut() {
        let report = d.poll(&http).await.unwrap();
        assert_eq!(report.answered.len(), 1);
        assert_eq!(report.answered[0].request_type, "DeclarativeManagement");
    }
    let mut twice = once.clone();
    twice.insert("com.example.passcode".into(), 2);
    assert_eq!(fetched(&devices), vec![twice; DEVICES]);
    for d in &devices {
        check_status(&api, d, &tokens).await;
        assert_eq!(d.declarative().manifests, 3);
    }

    // A device's set is its own: device 9 also holds a declaration device 0 cannot read.
    let secret = json!({
        "Type": "com.apple.configuration.passcode.settings",
        "Identifier": "com.example.only-nine",
        "Payload": {"MinimumLength": 12}
    });
    api.declare(secret).await;
    let mut nine: Vec<&str> = SET.to_vec();
    nine.push("com.example.only-nine");
    let (status, _) = api
        .put(
            &format!("devices/{}/declarations", devices[9].udid()),
            json!({ "identifiers": nine }),
        )
        .await;
    assert_eq!(status, 200);
    for path in [
        "declaration/configuration/com.example.only-nine",
        "declaration/activation/com.example.passcode",
        "declaration/configuration/com.example.none",
    ] {
        let (status, body) = devices[0]
            .declarative_checkin(&http, DeclarativeEndpoint::from(path), None)
            .await
            .unwrap();
        assert_eq!(status, 404, "{path}");
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("Payload") && !text.contains("12"), "{text}");
    }
    let (status, body) = devices[9]
        .declarative_checkin(
            &http,
            DeclarativeEndpoint::from("declaration/configuration/com.example.only-nine"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("MinimumLength"));

    // Bad status reports: refused, and the stored status is untouched.
    let before = api
        .get(&format!("devices/{}/declaration-status", devices[0].udid()))
        .await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut big = br#"{"StatusItems":{"x":""#.to_vec();
    big.resize(4 * 1024 * 1024, b'a');
    big.extend_from_slice(br#""}}"#);
    for (what, data, want) in [
        ("malformed", b"{\"StatusItems\": {".to_vec(), 400),
        ("not an object", b"[]".to_vec(), 400),
        ("10,000 deep", deep.into_bytes(), 400),
        ("over the body limit", big, 413),
    ] {
        let (status, _) = devices[0]
            .declarative_checkin(&http, DeclarativeEndpoint::Status, Some(data))
            .await
            .unwrap();
        assert_eq!(status, want, "{what}");
    }
    let after = api
        .get(&format!("devices/{}/declaration-status", devices[0].udid()))
        .await;
    assert_eq!(before, after);

    // Bad API input.
    let (status, v) = api
        .put(
            "declarations",
            json!({"Type": "com.example.unknown", "Identifier": "u", "Payload": {}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("unknown declaration type"),
        "{v}"
    );
    let (status, v) = api
        .put(
            "declarations",
            json!({"Type": "com.apple.configuration.passcode.settings", "Identifier": "p",
                   "Payload": {"MinimumLength": "six"}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        v["error"].as_str().unwrap().contains("MinimumLength"),
        "{v}"
    );
    let (status, v) = api
        .put(
            &format!("devices/{}/declarations", devices[0].udid()),
            json!({"identifiers": ["com.example.activation", "com.example.missing"]}),
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        v["error"].as_str().unwrap().contains("com.example.missing"),
        "{v}"
    );
    let (status, v) = api
        .put(
            &format!("devices/{}/declarations", devices[0].udid()),
            json!({"identifiers": ["com.example.activation", "com.example.passcode"]}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("com.example.subscriptions"),
        "{v}"
    );
    let (status, _) = api
        .put(
            "devices/no-such-device/declarations",
            json!({"identifiers": SET}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .call(
            reqwest::Method::GET,
            "devices/no-such-device/declaration-status",
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .call(
            reqwest::Method::DELETE,
            "declarations/com.example.passcode",
            None,
        )
        .await;
    assert_eq!(status, 409, "in use");
    let (status, _) = api
        .call(
            reqwest::Method::DELETE,
            "declarations/com.example.none",
            None,
        )
        .await;
    assert_eq!(status, 404);
    // A change to a stored declaration that would break the sets holding it is refused,
    // and the stored one stays.
    let mut broken = activation();
    broken["Payload"]["StandardConfigurations"] =
        json!(["com.example.passcode", "com.example.gone"]);
    let (status, v) = api.put("declarations", broken).await;
    assert_eq!(status, 409, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("com.example.gone"),
        "{v}"
    );
    let listed = api.get("declarations").await;
    assert_eq!(
        listed["declarations"][0]["server_token"],
        tokens["com.example.activation"].as_str()
    );

    // Taken out of device 9's set, the extra declaration can go; device 9 syncs again
    // and fetches nothing new. It has not fetched the command its first change queued, so
    // no second one is queued: that one makes it fetch the latest set.
    let (status, v) = api
        .put(
            &format!("devices/{}/declarations", devices[9].udid()),
            json!({"identifiers": SET}),
        )
        .await;
    assert_eq!((status, v["changed"].clone()), (200, json!(true)));
    assert_eq!(
        (
            v["sync"]["queued"].clone(),
            v["sync"]["already_waiting"].clone()
        ),
        (json!(0), json!(1)),
        "{v}"
    );
    let (status, _) = api
        .call(
            reqwest::Method::DELETE,
            "declarations/com.example.only-nine",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let fetches = devices[9].declarative().fetches();
    let report = devices[9].poll(&http).await.unwrap();
    assert_eq!(
        report.answered.len(),
        1,
        "one DeclarativeManagement for two changes"
    );
    assert_eq!(devices[9].declarative().fetches(), fetches);
    check_status(&api, &devices[9], &tokens).await;

    server.stop().await.unwrap();
    println!(
        "server_declarative ({}): {:?}",
        store.name(),
        started.elapsed()
    );
}
