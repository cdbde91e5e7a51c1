//! What `server_exhaustion.rs` and `server_faults.rs` share: the `mdm-server` binary as a
//! child process (so its memory and file descriptors are its own, and it can be killed),
//! its `/proc` figures, and enrolled simulated devices.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mdm_examples::server::config::DataDir;
use mdm_examples::sim::{CONNECT_CONTENT_TYPE, Device, KeyChoice, SimConfig};
use mdm_signing::Certificate;
use serde_json::{Value, json};

/// The `mdm-server` example next to this test binary.
pub(crate) fn mdm_server() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/examples/mdm-server
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("mdm-server");
    assert!(
        bin.is_file(),
        "{} missing: build it with `cargo build -p mdm-examples --example mdm-server`",
        bin.display()
    );
    bin
}

/// Creates the data directory at `dir` and sets the `"http"` limits of its
/// `config.json` to `limits` (a JSON object; missing fields keep their defaults).
pub(crate) fn prepare(dir: &Path, limits: Value) -> String {
    let data = DataDir::open_or_create(dir).unwrap();
    let path = dir.join("config.json");
    let mut config: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    config["http"] = limits;
    std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    data.config.api_key
}

/// Resident memory and open file descriptors of a process.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    /// `VmRSS`, KiB.
    pub(crate) rss_kib: u64,
    /// Entries of `/proc/PID/fd`.
    pub(crate) fds: usize,
}

/// [`Stats`] of process `pid`.
pub(crate) fn stats(pid: u32) -> Stats {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count);
    Stats { rss_kib, fds }
}

/// A running `mdm-server` child, killed when dropped.
pub(crate) struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base: String,
    /// `127.0.0.1:PORT`.
    pub(crate) addr: String,
    /// The API key.
    pub(crate) api_key: String,
    data: PathBuf,
    database: Option<String>,
}

impl Server {
    /// Starts `mdm-server` on `data` (prepared with [`prepare`]) and `database`, and
    /// waits until it answers.
    pub(crate) async fn start(data: &Path, api_key: String, database: Option<String>) -> Server {
        let port = mdm_testsupport::free_port();
        let mut s = Server {
            child: None,
            base: format!("http://127.0.0.1:{port}"),
            addr: format!("127.0.0.1:{port}"),
            api_key,
            data: data.to_owned(),
            database,
        };
        s.spawn().await;
        s
    }

    async fn spawn(&mut self) {
        let mut cmd = Command::new(mdm_server());
        cmd.arg("--data")
            .arg(&self.data)
            .arg("--listen")
            .arg(&self.addr)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null());
        if let Some(db) = &self.database {
            cmd.arg("--database").arg(db);
        }
        self.child = Some(cmd.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/mdm/ca", self.base)).await
                && r.status().is_success()
            {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("mdm-server exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "mdm-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// [`Stats`] of the child.
    pub(crate) fn stats(&self) -> Stats {
        stats(self.pid())
    }

    /// Whether the child is still running.
    pub(crate) fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// `kill -9` (std's `Child::kill` sends SIGKILL) and reaps it.
    pub(crate) fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// Starts it again on the same port and data.
    pub(crate) async fn restart(&mut self) {
        self.kill9();
        self.spawn().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `n` devices enrolled with `base` (P-256 keys, quick to make), and a client for them.
pub(crate) async fn enroll(base: &str, n: usize, prefix: &str) -> (reqwest::Client, Vec<Device>) {
    let ca_pem = reqwest::get(format!("{base}/mdm/ca"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut cfg = SimConfig::new(base);
    cfg.anchors = vec![Certificate::from_pem(&ca_pem).unwrap()];
    cfg.prefix = prefix.to_owned();
    cfg.key = KeyChoice::P256;
    cfg.request_timeout = Duration::from_secs(20);
    let http = cfg.http_client().unwrap();
    let mut devices = Vec::new();
    for i in 0..n {
        devices.push(Device::enroll(&http, base, i, &cfg).await.unwrap());
    }
    (http, devices)
}

/// Queues one `DeviceInformation` for `udids` through the API; returns its UUID.
pub(crate) async fn queue(base: &str, api_key: &str, udids: &[String]) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/commands"))
        .bearer_auth(api_key)
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
    v["command_uuid"].as_str().unwrap().to_owned()
}

/// One `Idle` round trip of `device` (no command queued): the time it took, or the
/// status or transport error.
pub(crate) async fn idle_round_trip(
    device: &Device,
    http: &reqwest::Client,
) -> Result<Duration, String> {
    let body = device.state().idle().encode().unwrap();
    let started = Instant::now();
    match device
        .put_signed(http, device.server_url(), CONNECT_CONTENT_TYPE, &body)
        .await
    {
        Ok((200, _)) => Ok(started.elapsed()),
        Ok((status, body)) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
        Err(e) => Err(e.to_string()),
    }
}

/// Milliseconds, for printing.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
