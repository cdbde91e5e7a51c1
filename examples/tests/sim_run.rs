//! `sim::run` against the real example server, in process: the whole-run path (key
//! pre-generation and its cache, bounded concurrency, several polls, NotNow redelivery
//! across polls) and the counters of its report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mdm_examples::server::{Options, Running, start};
use mdm_examples::sim::{KeyChoice, SimConfig, run};
use mdm_testsupport::postgres::TestStore;
use serde_json::{Value, json};

async fn enqueue(server: &Running, body: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/commands", server.base_url))
        .bearer_auth(&server.api_key)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_enrolls_polls_and_counts() {
    let Some(store) = TestStore::from_env("sim_run") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start(Options {
        data_dir: dir.path().join("data"),
        listen: Some("127.0.0.1:0".to_owned()),
        public_url: None,
        database: store.database(),
    })
    .await
    .unwrap();

    let mut cfg = SimConfig::new(server.base_url.clone());
    cfg.devices = 6;
    cfg.concurrency = 3;
    cfg.key = KeyChoice::P256;
    cfg.prefix = "simrun".into();
    cfg.key_cache = Some(dir.path().join("keys"));

    // First run: enrollment only, nothing queued yet.
    let first = run(&cfg).await.unwrap();
    assert_eq!(first.errors, 0, "{:?}", first.first_errors);
    assert_eq!(first.enrolled, 6);
    assert_eq!(
        first.checkins, 12,
        "Authenticate and TokenUpdate per device"
    );
    assert_eq!(first.polls, 6);
    assert_eq!(first.round_trips, 6, "one Idle each, answered empty");
    assert_eq!(first.commands_answered(), 0);
    assert_eq!(first.latency["keygen"].count, 6);
    let cached = std::fs::read_dir(dir.path().join("keys")).unwrap().count();
    assert_eq!(cached, 6);

    // Three commands for every device; every second new command is deferred once.
    for rt in ["DeviceInformation", "ProfileList", "SecurityInfo"] {
        let payload = if rt == "DeviceInformation" {
            json!({"Queries": ["DeviceName", "SerialNumber"]})
        } else {
            json!({})
        };
        enqueue(
            &server,
            json!({"all": true, "request_type": rt, "payload": payload}),
        )
        .await;
    }
    cfg.polls = 2;
    cfg.not_now_every = Some(2);
    let second = run(&cfg).await.unwrap();
    assert_eq!(second.errors, 0, "{:?}", second.first_errors);
    assert_eq!(second.enrolled, 6);
    assert!(
        !second.latency.contains_key("keygen"),
        "keys come from the cache"
    );
    assert_eq!(second.polls, 12);
    // Per device: the three commands, one of them NotNow'd on the first poll and answered on
    // the second.
    assert_eq!(second.commands_with_status("Acknowledged"), 18);
    assert_eq!(second.commands_with_status("NotNow"), 6);
    for rt in ["DeviceInformation", "ProfileList", "SecurityInfo"] {
        assert_eq!(second.commands[rt]["Acknowledged"], 6, "{rt}");
    }
    // Each poll: an Idle plus one request per answer.
    assert_eq!(second.round_trips, 12 + 24);

    // The results are on the server.
    let body = reqwest::Client::new()
        .get(format!("{}/api/v1/devices", server.base_url))
        .bearer_auth(&server.api_key)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let devices: Value = serde_json::from_slice(&body).unwrap();
    let rows = devices["devices"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r["pending_commands"] == 0), "{rows:?}");
}
