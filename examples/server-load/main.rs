//! `server-load`: measures mdm-server under N simulated devices.
//!
//! ```text
//! cargo build --release --example mdm-server --example server-load
//! target/release/examples/server-load --devices 1000 [--concurrency 64] [--key rsa|p256]
//! ```
//!
//! Starts the `mdm-server` binary that sits next to this one as a child process on a fresh
//! data directory (so its memory is its own), then, with the simulator's devices in this
//! process:
//!
//! 1. enrollment: every device fetches the signed profile, enrolls over SCEP and sends
//!    `Authenticate` + `TokenUpdate` (enrollments/s);
//! 2. check-ins: every device sends `TokenUpdate` again (check-ins/s);
//! 3. commands: `DeviceInformation`, `ProfileList` and `InstalledApplicationList` are queued
//!    for all devices through the API, and every device polls until its queue is empty
//!    (command round trips/s: a command delivered and its answer recorded);
//!
//! and reports the server's peak resident memory (`VmHWM`). Device keys (RSA 2048 by
//! default, as Apple devices make) are generated before phase 1 and timed apart, since on
//! a small machine they would otherwise measure the simulator rather than the server;
//! `--key-cache DIR` keeps them for the next run. The simulator and the server still share
//! the machine's cores, so the rates are a floor for the server.
#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mdm_examples::sim::{Device, KeyChoice, SimConfig};
use mdm_examples::{Args, CliError};
use serde_json::json;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

const COMMANDS: [(&str, &str); 3] = [
    (
        "DeviceInformation",
        r#"{"Queries": ["DeviceName", "OSVersion", "SerialNumber", "UDID", "ModelName"]}"#,
    ),
    ("ProfileList", "{}"),
    ("InstalledApplicationList", "{}"),
];

struct Server {
    child: Child,
    url: String,
    api_key: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(bin: &Path) -> Result<Server, CliError> {
    let dir = tempfile::tempdir().map_err(|e| CliError::context("temp dir", e))?;
    let mut child = Command::new(bin)
        .arg("--data")
        .arg(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| CliError::context(&format!("start {}", bin.display()), e))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| CliError::context("read banner", e))?;
    // Keep reading so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .ok_or_else(|| CliError(format!("unexpected banner: {line}")))?;
    let config = std::fs::read(dir.path().join("config.json"))
        .map_err(|e| CliError::context("config.json", e))?;
    let config: serde_json::Value =
        serde_json::from_slice(&config).map_err(|e| CliError::context("config.json", e))?;
    let api_key = config
        .get("api_key")
        .and_then(|k| k.as_str())
        .ok_or("no api_key")?
        .to_owned();
    Ok(Server {
        child,
        url: format!("http://{addr}"),
        api_key,
        _dir: dir,
    })
}

/// `VmHWM` and `VmRSS` of a process, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// User + system CPU seconds of a process (`/proc/<pid>/stat`, at Linux's usual 100
/// ticks per second).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    // Tick counts of a benchmark run stay far below 2^52.
    #[allow(clippy::cast_precision_loss)]
    let ticks = ticks as f64;
    ticks / 100.0
}

fn rate(n: usize, d: Duration) -> f64 {
    let secs = d.as_secs_f64();
    if secs > 0.0 {
        // Counts here stay far below 2^52.
        #[allow(clippy::cast_precision_loss)]
        let n = n as f64;
        n / secs
    } else {
        0.0
    }
}

fn main() -> Result<(), CliError> {
    let mut args = Args::new(std::env::args().skip(1).collect());
    let devices: usize = args
        .value("--devices")?
        .map(|v| v.parse().map_err(|_| CliError::from("--devices: a number")))
        .transpose()?
        .unwrap_or(1000);
    let concurrency: usize = args
        .value("--concurrency")?
        .map(|v| {
            v.parse()
                .map_err(|_| CliError::from("--concurrency: a number"))
        })
        .transpose()?
        .unwrap_or(64)
        .max(1);
    let key = match args.value("--key")?.as_deref() {
        None | Some("rsa") => KeyChoice::Rsa,
        Some("p256") => KeyChoice::P256,
        Some(other) => return Err(format!("--key: rsa or p256, not {other}").into()),
    };
    let key_cache = args.value("--key-cache")?.map(PathBuf::from);
    let bin = match args.value("--server-bin")? {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe()
            .map_err(|e| CliError::context("current exe", e))?
            .with_file_name("mdm-server"),
    };
    args.finish()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio", e))?;
    runtime.block_on(run(&bin, devices, concurrency, key, key_cache))
}

async fn run(
    bin: &Path,
    count: usize,
    concurrency: usize,
    key: KeyChoice,
    key_cache: Option<PathBuf>,
) -> Result<(), CliError> {
    let mut cfg = SimConfig::new(String::new());
    cfg.devices = count;
    cfg.concurrency = concurrency;
    cfg.key = key;
    cfg.prefix = "load".into();
    if let Some(dir) = &key_cache {
        std::fs::create_dir_all(dir).map_err(|e| CliError::context("--key-cache", e))?;
    }
    cfg.key_cache = key_cache;
    let started = Instant::now();
    let (keys, made) = mdm_examples::sim::device_keys(&cfg).await;
    let keygen_wall = started.elapsed();

    let server = start_server(bin)?;
    let pid = server.child.id();
    cfg.server = server.url.clone();
    let cfg = Arc::new(cfg);
    let http = cfg
        .http_client()
        .map_err(|e| CliError::context("http", e))?;
    let permits = Arc::new(Semaphore::new(concurrency));

    // 1. Enrollment.
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (i, key) in keys.into_iter().enumerate() {
        let (http, cfg, permits) = (http.clone(), cfg.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            Device::enroll_with_key(&http, &cfg.server, i, &cfg, key).await
        });
    }
    let mut devices = Vec::with_capacity(count);
    let mut failures = 0usize;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(d)) => devices.push(d),
            Ok(Err(e)) => {
                failures += 1;
                if failures <= 5 {
                    tracing_free_log(&format!("enrollment failed: {e}"));
                }
            }
            Err(e) => return Err(CliError::context("task", e)),
        }
    }
    let enroll_wall = started.elapsed();
    let enrolled = devices.len();

    // 2. Check-ins alone.
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for d in devices {
        let (http, permits) = (http.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let r = d.token_update(&http).await;
            (d, r)
        });
    }
    let mut devices = Vec::with_capacity(enrolled);
    let mut checkin_failures = 0usize;
    while let Some(joined) = tasks.join_next().await {
        let (d, r) = joined.map_err(|e| CliError::context("task", e))?;
        if r.is_err() {
            checkin_failures += 1;
        }
        devices.push(d);
    }
    let checkin_wall = started.elapsed();

    // 3. Commands through the API, then every device drains its queue.
    let started = Instant::now();
    for (request_type, payload) in COMMANDS {
        let payload: serde_json::Value =
            serde_json::from_str(payload).map_err(|e| CliError::context("payload", e))?;
        let body = json!({"all": true, "request_type": request_type, "payload": payload});
        let resp = http
            .post(format!("{}/api/v1/commands", server.url))
            .bearer_auth(&server.api_key)
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| CliError::context("enqueue", e))?;
        if resp.status().as_u16() != 201 {
            return Err(format!("enqueue {request_type}: {}", resp.status()).into());
        }
    }
    let enqueue_wall = started.elapsed();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for mut d in devices {
        let (http, permits) = (http.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            d.poll(&http).await
        });
    }
    let (mut answered, mut round_trips, mut poll_failures) = (0usize, 0usize, 0usize);
    while let Some(joined) = tasks.join_next().await {
        match joined.map_err(|e| CliError::context("task", e))? {
            Ok(r) => {
                answered += r.answered.len();
                round_trips += r.round_trips;
            }
            Err(_) => poll_failures += 1,
        }
    }
    let poll_wall = started.elapsed();
    let (peak_kib, rss_kib) = memory_kib(pid);
    let server_cpu = cpu_seconds(pid);

    let report = json!({
        "devices": count,
        "concurrency": concurrency,
        "key": match key { KeyChoice::P256 => "p256", _ => "rsa-2048" },
        "keys": { "generated": made.len(), "seconds": keygen_wall.as_secs_f64() },
        "enrollment": {
            "enrolled": enrolled, "failed": failures,
            "seconds": enroll_wall.as_secs_f64(),
            "enrollments_per_s": rate(enrolled, enroll_wall),
            "checkins_per_s": rate(enrolled * 2, enroll_wall),
        },
        "checkins": {
            "sent": enrolled, "failed": checkin_failures,
            "seconds": checkin_wall.as_secs_f64(),
            "checkins_per_s": rate(enrolled, checkin_wall),
        },
        "commands": {
            "queued_per_device": COMMANDS.len(),
            "enqueue_seconds": enqueue_wall.as_secs_f64(),
            "answered": answered, "http_round_trips": round_trips, "failed_devices": poll_failures,
            "seconds": poll_wall.as_secs_f64(),
            "command_round_trips_per_s": rate(answered, poll_wall),
        },
        "server_memory": { "peak_rss_mib": peak_kib / 1024, "rss_mib_at_end": rss_kib / 1024 },
        "server_cpu_seconds": server_cpu,
    });
    mdm_examples::print_json(&report)?;
    drop(server);
    Ok(())
}

/// Failures go to stderr; the report goes to stdout.
fn tracing_free_log(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}
