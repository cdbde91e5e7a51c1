//! mdm-server against bad input at every endpoint: the right status, nothing stored, no
//! panic. Requests signed by a real enrolled device are in `server_e2e.rs`; here the
//! identities are foreign or missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::Engine as _;
use mdm_examples::server::{Options, Running, start};
use mdm_signing::{Identity, PrivateKey, Signer};
use mdm_testsupport::postgres::TestStore;
use serde_json::{Value, json};

const AUTHENTICATE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>MessageType</key><string>Authenticate</string>
  <key>Topic</key><string>com.apple.mgmt.External.test</string>
  <key>UDID</key><string>BAD-INPUT-UDID</string>
</dict></plist>"#;

async fn server() -> Option<(tempfile::TempDir, Running, TestStore)> {
    let store = TestStore::from_env("server_bad_input")?;
    let dir = tempfile::tempdir().unwrap();
    let running = start(Options {
        data_dir: dir.path().join("data"),
        listen: Some("127.0.0.1:0".into()),
        public_url: None,
        database: store.database(),
    })
    .await
    .unwrap();
    Some((dir, running, store))
}

fn sign_header(identity: &Identity, body: &[u8]) -> String {
    let mut signer = Signer::new(identity.clone()).unwrap();
    signer = signer.detached(true);
    base64::engine::general_purpose::STANDARD.encode(signer.sign(body).unwrap())
}

async fn put(url: &str, body: Vec<u8>, signature: Option<String>) -> (u16, String) {
    let client = reqwest::Client::new();
    let mut req = client.put(url).body(body);
    if let Some(sig) = signature {
        req = req.header("Mdm-Signature", sig);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

async fn devices(s: &Running) -> Vec<Value> {
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/devices", s.base_url))
        .bearer_auth(&s.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    v["devices"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkin_and_command_endpoints_refuse_bad_input() {
    let Some((_dir, s, _store)) = server().await else {
        return;
    };
    let checkin = format!("{}/mdm/checkin", s.base_url);
    let connect = format!("{}/mdm/connect", s.base_url);
    let stranger = Identity::self_signed(
        "not issued by the server",
        PrivateKey::generate_rsa(2048).unwrap(),
        1,
    )
    .unwrap();

    // No signature at all: 400 (never 401, which would unenroll a real device).
    let (status, text) = put(&checkin, AUTHENTICATE.into(), None).await;
    assert_eq!(status, 400, "{text}");
    // A signature from a certificate the server's CA did not issue.
    let sig = sign_header(&stranger, AUTHENTICATE.as_bytes());
    let (status, text) = put(&checkin, AUTHENTICATE.into(), Some(sig.clone())).await;
    assert_eq!(status, 400, "{text}");
    // A signature over other bytes.
    let mut other = AUTHENTICATE.as_bytes().to_vec();
    other.extend_from_slice(b"\n");
    let (status, _) = put(&checkin, other, Some(sig)).await;
    assert_eq!(status, 400);
    // A header that is not base64.
    let (status, _) = put(&checkin, AUTHENTICATE.into(), Some("!!!".into())).await;
    assert_eq!(status, 400);

    // Malformed, truncated, binary, deep and unknown bodies.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"garbage".to_vec()),
        ("empty", Vec::new()),
        ("truncated", AUTHENTICATE.as_bytes()[..100].to_vec()),
        ("binary plist", b"bplist00\xd0\x08\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09".to_vec()),
        ("deep", format!("<plist><dict><key>a</key>{}</dict></plist>", "<array>".repeat(10_000)).into_bytes()),
        ("unknown MessageType", br#"<plist version="1.0"><dict><key>MessageType</key><string>Teleport</string><key>UDID</key><string>X</string></dict></plist>"#.to_vec()),
        ("no enrollment keys", br#"<plist version="1.0"><dict><key>MessageType</key><string>CheckOut</string><key>Topic</key><string>t</string></dict></plist>"#.to_vec()),
    ];
    for (what, body) in &cases {
        let (status, text) = put(&checkin, body.clone(), None).await;
        assert_eq!(status, 400, "check-in {what}: {text}");
        let (status, text) = put(&connect, body.clone(), None).await;
        assert_eq!(status, 400, "command report {what}: {text}");
    }

    // Over the size limit: 413 before any parsing.
    let big = vec![b' '; mdm_plist::Limits::default().max_bytes + 1];
    let (status, _) = put(&checkin, big.clone(), None).await;
    assert_eq!(status, 413);
    let (status, _) = put(&connect, big, None).await;
    assert_eq!(status, 413);

    // A command report from nobody the server knows.
    let idle = br#"<plist version="1.0"><dict><key>Status</key><string>Idle</string><key>UDID</key><string>BAD-INPUT-UDID</string></dict></plist>"#;
    let sig = sign_header(&stranger, idle);
    let (status, _) = put(&connect, idle.to_vec(), Some(sig)).await;
    assert_eq!(status, 400);

    // Wrong methods.
    let resp = reqwest::get(&checkin).await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);

    assert!(devices(&s).await.is_empty(), "nothing may be stored");
    // Each refusal was counted under its reason.
    let metrics = reqwest::get(format!("{}/metrics", s.base_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for reason in ["malformed", "signature", "body_too_large"] {
        let series = format!("mdm_refusals_total{{reason=\"{reason}\"}} ");
        let n: u64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(series.as_str())?.parse().ok())
            .unwrap_or_else(|| panic!("{series} missing:\n{metrics}"));
        assert!(n >= 1, "{series}{n}");
    }
    assert!(
        metrics.contains("mdm_checkins_total{message_type=\"Authenticate\"} 0"),
        "no refused check-in is counted as accepted:\n{metrics}"
    );
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_refuses_bad_requests() {
    let Some((_dir, s, _store)) = server().await else {
        return;
    };
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/commands", s.base_url);

    // No key, wrong key, another scheme.
    for auth in [None, Some("Bearer nope"), Some("Basic Zm9vOmJhcg==")] {
        let mut req = client.get(format!("{}/api/v1/devices", s.base_url));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        assert_eq!(req.send().await.unwrap().status().as_u16(), 401);
    }
    let post = |body: Vec<u8>| {
        client
            .post(&url)
            .bearer_auth(&s.api_key)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let bad: Vec<(&str, Value)> = vec![
        ("no devices", json!({"request_type": "DeviceLock"})),
        ("no request type", json!({"devices": ["X"]})),
        (
            "unknown field",
            json!({"devices": ["X"], "request_type": "DeviceLock", "colour": 1}),
        ),
        (
            "wrong key type",
            json!({"devices": ["X"], "request_type": "DeviceInformation", "payload": {"Queries": "DeviceName"}}),
        ),
        (
            "bad $data",
            json!({"devices": ["X"], "request_type": "InstallProfile", "payload": {"Payload": {"$data": "***"}}}),
        ),
        (
            "null",
            json!({"devices": ["X"], "request_type": "DeviceLock", "payload": {"PIN": null}}),
        ),
        (
            "both forms",
            json!({"devices": ["X"], "request_type": "DeviceLock", "plist": "<plist/>"}),
        ),
        (
            "bad plist",
            json!({"devices": ["X"], "plist": "<plist><dict>"}),
        ),
        (
            "bad uuid",
            json!({"devices": ["X"], "request_type": "DeviceLock", "command_uuid": ""}),
        ),
    ];
    for (what, body) in bad {
        let resp = post(serde_json::to_vec(&body).unwrap()).await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 400, "{what}: {text}");
        println!("{what}: {text}");
    }
    let resp = post(b"{not json".to_vec()).await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    // Over the limit, on a connection of its own: the server answers 413 without reading
    // the rest of the body and then closes that connection.
    let resp = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&s.api_key)
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);

    // A valid command for unknown devices is accepted and queued nowhere.
    let resp = post(
        serde_json::to_vec(&json!({"devices": ["nobody"], "request_type": "DeviceLock"})).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(v["queued"], 0);
    assert_eq!(v["push"], "off: no push certificate configured");

    // The same CommandUUID twice: 409.
    let again = json!({"devices": ["nobody"], "request_type": "DeviceLock",
                       "command_uuid": "6F1E8A52-0000-4000-8000-000000000001"});
    let resp = post(serde_json::to_vec(&again).unwrap()).await.unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let resp = post(serde_json::to_vec(&again).unwrap()).await.unwrap();
    assert_eq!(resp.status().as_u16(), 409);

    // Pushing with pushes off: 409.
    let resp = client
        .post(format!("{}/api/v1/push", s.base_url))
        .bearer_auth(&s.api_key)
        .body(r#"{"devices":["nobody"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 409);
    // Unknown command and device: 404.
    for path in ["commands/nope", "devices/nope"] {
        let resp = client
            .get(format!("{}/api/v1/{path}", s.base_url))
            .bearer_auth(&s.api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{path}");
    }
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scep_endpoint_refuses_bad_requests() {
    let Some((_dir, s, _store)) = server().await else {
        return;
    };
    let client = reqwest::Client::new();
    let url = format!("{}/scep", s.base_url);
    let get = |q: &str| client.get(format!("{url}?{q}")).send();
    assert_eq!(get("operation=Nope").await.unwrap().status().as_u16(), 400);
    assert_eq!(get("").await.unwrap().status().as_u16(), 400);
    assert_eq!(
        get("operation=PKIOperation&message=%%%")
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    assert_eq!(
        get("operation=PKIOperation&message=AAAA")
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    let post = |body: Vec<u8>| {
        client
            .post(format!("{url}?operation=PKIOperation"))
            .body(body)
            .send()
    };
    assert_eq!(
        post(b"\x30\x80garbage".to_vec())
            .await
            .unwrap()
            .status()
            .as_u16(),
        400
    );
    // Over the limit, on a connection of its own (closed after the 413).
    let resp = reqwest::Client::new()
        .post(format!("{url}?operation=PKIOperation"))
        .body(vec![0x30; mdm_scep::http::MAX_REQUEST_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    // The good operations still answer.
    let caps = get("operation=GetCACaps").await.unwrap();
    assert_eq!(caps.status().as_u16(), 200);
    assert!(caps.text().await.unwrap().contains("POSTPKIOperation"));
    let ca = get("operation=GetCACert").await.unwrap();
    assert_eq!(ca.status().as_u16(), 200);
    s.stop().await.unwrap();
}
