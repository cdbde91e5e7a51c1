//! mdm-server with a push certificate configured: queueing a command pushes to the device
//! through a real HTTP/2 server that checks client certificates (nginx playing APNs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    clippy::indexing_slicing
)]

use mdm_examples::server::config::{DataDir, PushConfig};
use mdm_examples::server::store::{DeviceFacts, PushInfo};
use mdm_examples::server::{Options, open_store, start};
use mdm_testsupport::apns::nginx::{self, Mode, Nginx};
use mdm_testsupport::apns::{Pki, TOPIC};
use mdm_testsupport::postgres::TestStore;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_pushes_through_apns() {
    let Some(program) = nginx::find("enqueue_pushes_through_apns") else {
        return;
    };
    let pki = Pki::new();
    let apns = Nginx::start(&program, &pki, Mode::LogBodies, 1000);

    let Some(store) = TestStore::from_env("server_push") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let created = DataDir::open_or_create(&data).unwrap();
    std::fs::write(data.join("push.pem"), pki.client_pem()).unwrap();
    std::fs::write(data.join("push.key"), pki.client_key_pkcs8()).unwrap();
    std::fs::write(data.join("apns-roots.pem"), pki.ca_pem()).unwrap();
    let mut config = created.config.clone();
    config.push = Some(PushConfig {
        certificate: "push.pem".into(),
        key: "push.key".into(),
        url: Some(apns.base_url()),
        roots: Some("apns-roots.pem".into()),
    });
    std::fs::write(
        data.join("config.json"),
        serde_json::to_vec_pretty(&config).unwrap(),
    )
    .unwrap();

    let server = start(Options {
        data_dir: data.clone(),
        listen: Some("127.0.0.1:0".into()),
        public_url: None,
        database: store.database(),
    })
    .await
    .unwrap();
    assert!(server.push_on);
    assert_eq!(
        server.topic, TOPIC,
        "the push certificate's topic goes into the profile"
    );

    // A device that sent its push token (check-ins themselves are covered by server_e2e).
    // (Blocking store calls run off the async workers, as the server runs them.)
    let database = store.database();
    let push = PushInfo {
        token: vec![0xab; 32],
        push_magic: "5F3C7D2E-0000-4000-8000-00000000ABCD".into(),
        topic: TOPIC.into(),
    };
    tokio::task::block_in_place(|| {
        let db = open_store(database.as_deref(), &data.join("mdm.sqlite")).unwrap();
        let facts = DeviceFacts {
            udid: Some("PUSH-UDID-1".into()),
            topic: Some(TOPIC.into()),
            ..DeviceFacts::default()
        };
        db.authenticate("PUSH-UDID-1", None, &facts, 1).unwrap();
        db.token_update("PUSH-UDID-1", None, &push, None, 2)
            .unwrap();
    });

    let client = reqwest::Client::new();
    let resp = client
        .post(format!("{}/api/v1/commands", server.base_url))
        .bearer_auth(&server.api_key)
        .body(
            json!({"devices": ["PUSH-UDID-1"], "request_type": "DeviceInformation",
                   "payload": {"Queries": ["DeviceName"]}})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    println!("{v:#}");
    assert_eq!(v["queued"], 1);
    let pushes = v["pushes"].as_array().unwrap();
    assert_eq!(pushes.len(), 1);
    assert!(pushes[0]["error"].is_null(), "{v}");

    // And an explicit push.
    let resp = client
        .post(format!("{}/api/v1/push", server.base_url))
        .bearer_auth(&server.api_key)
        .body(r#"{"devices":["PUSH-UDID-1","not-enrolled"]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(v["pushes"].as_array().unwrap().len(), 1, "{v}");

    let log = apns.log(2);
    assert_eq!(log.len(), 2, "{}", apns.error_log());
    for entry in &log {
        assert_eq!(entry["protocol"], "HTTP/2.0");
        assert_eq!(entry["uri"], format!("/3/device/{}", "ab".repeat(32)));
        assert_eq!(entry["topic"], TOPIC);
        assert_eq!(entry["push_type"], "mdm");
        let body: Value = serde_json::from_str(entry["body"].as_str().unwrap()).unwrap();
        assert_eq!(body, json!({"mdm": push.push_magic}));
        assert!(entry["client_dn"].as_str().unwrap().contains(TOPIC));
    }
    server.stop().await.unwrap();
}
