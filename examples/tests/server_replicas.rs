//! Several server replicas on one PostgreSQL database.
//!
//! - Store level: two stores on one database (two replicas' pools), eight threads asking
//!   for the same device's next command at once: every command is handed out once.
//! - End to end: replica A in this process, replica B a child `mdm-server` process, both on
//!   one database and one data directory; 20 devices whose requests alternate between
//!   them, 5 commands each. The first 10 devices run with both replicas up: every command
//!   is delivered once and answered once. Replica B is then killed (SIGKILL) while the other
//!   10 run; A carries on, and every command ends answered (none lost).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mdm_examples::server::postgres::PostgresStore;
use mdm_examples::server::sqlite::SqliteStore;
use mdm_examples::server::store::{CommandReport, DeviceFacts, NewCommand, PushInfo, Store};
use mdm_examples::server::{Options, start};
use mdm_examples::sim::{Device, SimConfig};
use mdm_signing::Certificate;
use mdm_testsupport::postgres::Postgres;
use serde_json::{Value, json};

const DEVICES: usize = 20;
const COMMANDS: usize = 5;

/// Eight threads over `stores` race for one device's 40 commands; each command must be
/// handed out exactly once, and answered right away by the thread that got it.
fn race(stores: &[Arc<dyn Store>]) {
    let first = &stores[0];
    first
        .authenticate("RACE", None, &DeviceFacts::default(), 1)
        .unwrap();
    let push = PushInfo {
        token: vec![1; 32],
        push_magic: "m".into(),
        topic: "t".into(),
    };
    first.token_update("RACE", None, &push, None, 1).unwrap();
    const N: usize = 40;
    for i in 0..N {
        let cmd = NewCommand {
            command_uuid: format!("race-{i}"),
            request_type: "DeviceInformation".into(),
            body: b"<plist/>".to_vec(),
        };
        assert_eq!(first.enqueue(&["RACE".to_owned()], &cmd).unwrap(), 1);
    }
    let handed = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = stores[t % stores.len()].clone();
            let handed = handed.clone();
            std::thread::spawn(move || {
                while handed.lock().unwrap().len() < N && Instant::now() < deadline {
                    let now = chrono::Utc::now().timestamp();
                    match store.next_command("RACE", false, now).unwrap() {
                        Some(cmd) => {
                            handed.lock().unwrap().push(cmd.command_uuid.clone());
                            let report = CommandReport {
                                enrollment_id: "RACE",
                                command_uuid: &cmd.command_uuid,
                                status: "Acknowledged",
                                raw: b"<plist/>",
                                typed_error: None,
                                at: now,
                            };
                            assert!(store.record_report(&report).unwrap());
                        }
                        None => std::thread::yield_now(),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let handed = handed.lock().unwrap();
    let unique: HashSet<&String> = handed.iter().collect();
    assert_eq!(handed.len(), N, "every command handed out: {handed:?}");
    assert_eq!(unique.len(), N, "no command handed out twice: {handed:?}");
    for i in 0..N {
        let rec = first.command(&format!("race-{i}")).unwrap().unwrap();
        assert_eq!(rec.deliveries[0].deliveries, 1);
    }
}

#[test]
fn two_stores_never_hand_out_a_command_twice() {
    let Some(pg) = Postgres::start("server_replicas") else {
        return;
    };
    let url = pg.create_database("race");
    let a: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).unwrap());
    let b: Arc<dyn Store> = Arc::new(PostgresStore::connect(&url).unwrap());
    race(&[a, b]);

    // The same on SQLite: two connections to one file stand for two processes.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mdm.sqlite");
    let a: Arc<dyn Store> = Arc::new(SqliteStore::open(&file).unwrap());
    let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&file).unwrap());
    race(&[a, b]);
}

fn mdm_server() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/server_replicas-<hash> -> target/<profile>/examples/mdm-server
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("mdm-server")
}

/// Replica B, killed on drop if still running.
struct Replica(Child);

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/mdm/ca")).await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "replica at {base} did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    async fn get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}/api/v1/{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
    }

    async fn pending(&self, udid: &str) -> u64 {
        self.get(&format!("devices/{udid}")).await["pending_commands"]
            .as_u64()
            .unwrap()
    }
}

/// Polls `device` until the server has nothing pending for it; a failed request (replica
/// gone) is retried, as a device retries later. Returns the command UUIDs it answered.
async fn drain(mut device: Device, http: reqwest::Client, api: Arc<Api>) -> Vec<String> {
    let mut answered = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match device.poll(&http).await {
            Ok(report) => {
                answered.extend(report.answered.iter().map(|a| a.command_uuid.clone()));
                if api.pending(device.udid()).await == 0 {
                    return answered;
                }
            }
            Err(e) => eprintln!("{}: poll failed (retrying): {e}", device.udid()),
        }
        assert!(
            Instant::now() < deadline,
            "{}: commands still pending",
            device.udid()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_deliver_each_command_once_and_survive_a_kill() {
    let Some(pg) = Postgres::start("server_replicas") else {
        return;
    };
    let url = pg.create_database("mdm");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let a = start(Options {
        data_dir: data.clone(),
        listen: Some("127.0.0.1:0".into()),
        public_url: None,
        database: Some(url.clone()),
    })
    .await
    .unwrap();
    let port_b = mdm_testsupport::free_port();
    let b_base = format!("http://127.0.0.1:{port_b}");
    let child = Command::new(mdm_server())
        .arg("--data")
        .arg(&data)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port_b}"))
        .arg("--database")
        .arg(&url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut b = Replica(child);
    wait_ready(&b_base).await;

    let api = Arc::new(Api {
        http: reqwest::Client::new(),
        base: a.base_url.clone(),
        key: a.api_key.clone(),
    });
    let ca_pem = reqwest::get(format!("{}/mdm/ca", a.base_url))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let replicas = vec![a.base_url.clone(), b_base.clone()];
    let mut cfg = SimConfig::new(replicas.join(","));
    cfg.anchors = vec![Certificate::from_pem(&ca_pem).unwrap()];
    cfg.prefix = "replica".into();
    cfg.request_timeout = Duration::from_secs(10);
    let http = cfg.http_client().unwrap();
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let origin = &replicas[i % 2];
        let mut d = Device::enroll(&http, origin, i, &cfg).await.unwrap();
        d.spread_over(origin, replicas.clone());
        devices.push(d);
    }
    let udids: Vec<String> = devices.iter().map(|d| d.udid().to_owned()).collect();

    // Five commands for every device, queued through either replica.
    let mut queued = Vec::new();
    for c in 0..COMMANDS {
        let base = &replicas[c % 2];
        let resp = api
            .http
            .post(format!("{base}/api/v1/commands"))
            .bearer_auth(&api.key)
            .body(
                json!({"devices": udids, "request_type": "DeviceInformation",
                       "payload": {"Queries": ["DeviceName", "OSVersion"]}})
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 201);
        let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        assert_eq!(v["queued"], DEVICES);
        queued.push(v["command_uuid"].as_str().unwrap().to_owned());
    }

    // First half, both replicas up: each command delivered once and answered once.
    let second_half = devices.split_off(DEVICES / 2);
    let mut tasks = Vec::new();
    for d in devices {
        tasks.push(tokio::spawn(drain(d, http.clone(), api.clone())));
    }
    let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, t) in tasks.into_iter().enumerate() {
        answers.insert(udids[i].clone(), t.await.unwrap());
    }
    for udid in &udids[..DEVICES / 2] {
        assert_eq!(
            answers[udid], queued,
            "{udid} answered each command once, in order"
        );
    }
    for uuid in &queued {
        let cmd = api.get(&format!("commands/{uuid}")).await;
        for d in cmd["results"].as_array().unwrap() {
            let udid = d["enrollment_id"].as_str().unwrap();
            if udids[..DEVICES / 2].iter().any(|u| u == udid) {
                assert_eq!(d["deliveries"], 1, "{uuid} on {udid}: {d}");
                assert_eq!(d["status"], "Acknowledged", "{uuid} on {udid}: {d}");
            }
        }
    }

    // Second half: replica B is killed while they run; A carries on.
    let mut tasks = Vec::new();
    for d in second_half {
        tasks.push(tokio::spawn(drain(d, http.clone(), api.clone())));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cmd = api.get(&format!("commands/{}", queued[1])).await;
        let answered = cmd["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["status"] == "Acknowledged")
            .count();
        if answered > DEVICES / 2 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    b.0.kill().unwrap();
    b.0.wait().unwrap();
    for (i, t) in tasks.into_iter().enumerate() {
        answers.insert(udids[DEVICES / 2 + i].clone(), t.await.unwrap());
    }
    for uuid in &queued {
        let cmd = api.get(&format!("commands/{uuid}")).await;
        let deliveries = cmd["results"].as_array().unwrap();
        assert_eq!(deliveries.len(), DEVICES);
        for d in deliveries {
            assert_eq!(d["status"], "Acknowledged", "{uuid}: {d}");
        }
    }
    for udid in &udids[DEVICES / 2..] {
        let got: HashSet<&String> = answers[udid].iter().collect();
        assert_eq!(
            got.len(),
            COMMANDS,
            "{udid} answered every command: {:?}",
            answers[udid]
        );
        assert!(
            answers[udid].iter().all(|u| queued.contains(u)),
            "{udid} answered only queued commands"
        );
    }
    a.stop().await.unwrap();
    drop(b);
    drop(pg);
}
