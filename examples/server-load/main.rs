//! `server-load`: measures mdm-server under N simulated devices.
//!
//! ```text
//! cargo build --release -p mdm-examples --example mdm-server --example server-load
//! target/release/examples/server-load [--devices N | --steps 10000,100000]
//!     [--database sqlite|temp-postgres|postgres://...] [--replicas N]
//!     [--concurrency 64] [--key rsa|p256] [--key-cache DIR]
//!     [--checkin-sample 10000] [--command-sample 2000]
//! ```
//!
//! Starts the `mdm-server` binary that sits next to this one as child processes (one per
//! replica, all on one fresh data directory and one database, so their memory is their
//! own), then, with the simulator's devices in this process, for each fleet size in
//! `--steps` (or the one `--devices`):
//!
//! 1. enrollment of the devices that make up the step: each fetches the signed profile,
//!    enrolls over SCEP and sends `Authenticate` + `TokenUpdate` (enrollments/s);
//! 2. check-ins: `--checkin-sample` devices spread over the whole fleet send `TokenUpdate`
//!    again (check-ins/s, p50/p99 latency), the same number at every step so the rates
//!    compare: it must not fall as the fleet grows;
//! 3. commands: `DeviceInformation`, `ProfileList` and `InstalledApplicationList` queued
//!    through the API for `--command-sample` devices, each of which polls until its queue
//!    is empty (command round trips/s: a command delivered and its answer recorded).
//!
//! With several replicas, device `i` enrolls with replica `i mod n` and every later request
//! goes to the next replica in turn. `--database temp-postgres` starts a throw-away
//! PostgreSQL cluster (`initdb` on a free port, with fsync off, as the tests run it; use a
//! `postgres://` URL for a real one). The report gives each server's peak resident memory
//! (`VmHWM`) and CPU time, and the simulator's own CPU time: simulator and servers share
//! the machine's cores, so the rates are a floor for the server. Device keys (RSA 2048 by
//! default, as Apple devices make; `--key p256` for large fleets) are generated before
//! phase 1 and timed apart; `--key-cache DIR` keeps them for the next run.
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
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(bin: &Path, data: &Path, database: Option<&str>) -> Result<Server, CliError> {
    let mut cmd = Command::new(bin);
    cmd.arg("--data")
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(db) = database {
        cmd.args(["--database", db]);
    }
    let mut child = cmd
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
    let config =
        std::fs::read(data.join("config.json")).map_err(|e| CliError::context("config.json", e))?;
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
    })
}

/// The median and 99th percentile of `samples`, in milliseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort_unstable();
    let at = |q: f64| {
        if samples.is_empty() {
            return 0.0;
        }
        // Sample counts stay far below 2^52; the index is in range by construction.
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let i = ((samples.len() - 1) as f64 * q).round() as usize;
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.99))
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

fn number(args: &mut Args, name: &str, default: usize) -> Result<usize, CliError> {
    args.value(name)?
        .map(|v| v.parse().map_err(|_| CliError(format!("{name}: a number"))))
        .transpose()
        .map(|v| v.unwrap_or(default))
}

/// What to run.
struct Plan {
    steps: Vec<usize>,
    concurrency: usize,
    key: KeyChoice,
    key_cache: Option<PathBuf>,
    database: Option<String>,
    replicas: usize,
    checkin_sample: usize,
    command_sample: usize,
}

fn main() -> Result<(), CliError> {
    let mut args = Args::new(std::env::args().skip(1).collect());
    let devices = number(&mut args, "--devices", 1000)?;
    let steps = match args.value("--steps")? {
        Some(list) => list
            .split(',')
            .map(|v| v.trim().parse::<usize>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| CliError::from("--steps: comma-separated fleet sizes"))?,
        None => vec![devices],
    };
    if steps.is_empty() || steps.windows(2).any(|w| w.first() >= w.get(1)) {
        return Err("--steps: growing fleet sizes, e.g. 10000,100000".into());
    }
    let concurrency = number(&mut args, "--concurrency", 64)?.max(1);
    let key = match args.value("--key")?.as_deref() {
        None | Some("rsa") => KeyChoice::Rsa,
        Some("p256") => KeyChoice::P256,
        Some(other) => return Err(format!("--key: rsa or p256, not {other}").into()),
    };
    let key_cache = args.value("--key-cache")?.map(PathBuf::from);
    let database = args.value("--database")?;
    let replicas = number(&mut args, "--replicas", 1)?.max(1);
    let checkin_sample = number(&mut args, "--checkin-sample", 10_000)?.max(1);
    let command_sample = number(&mut args, "--command-sample", 2_000)?.max(1);
    let bin = match args.value("--server-bin")? {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe()
            .map_err(|e| CliError::context("current exe", e))?
            .with_file_name("mdm-server"),
    };
    args.finish()?;
    let plan = Plan {
        steps,
        concurrency,
        key,
        key_cache,
        database,
        replicas,
        checkin_sample,
        command_sample,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio", e))?;
    runtime.block_on(run(&bin, plan))
}

/// Enrolls devices `from..` with the given keys, device `i` with replica `i mod n`, each
/// then spread over every replica.
async fn enroll(
    http: &reqwest::Client,
    cfg: &Arc<SimConfig>,
    urls: &[String],
    from: usize,
    keys: Vec<Option<mdm_signing::PrivateKey>>,
    permits: &Arc<Semaphore>,
) -> Result<(Vec<Device>, usize, Vec<Duration>), CliError> {
    let mut tasks = JoinSet::new();
    for (n, key) in keys.into_iter().enumerate() {
        let i = from + n;
        let origin = urls.get(i % urls.len()).cloned().unwrap_or_default();
        let (http, cfg, permits, urls) =
            (http.clone(), cfg.clone(), permits.clone(), urls.to_vec());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let t = Instant::now();
            let mut d = Device::enroll_with_key(&http, &origin, i, &cfg, key).await?;
            d.spread_over(&origin, urls);
            Ok::<_, mdm_examples::sim::SimError>((d, t.elapsed()))
        });
    }
    let mut devices = Vec::new();
    let mut times = Vec::new();
    let mut failures = 0usize;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok((d, t))) => {
                devices.push(d);
                times.push(t);
            }
            Ok(Err(e)) => {
                failures += 1;
                if failures <= 5 {
                    tracing_free_log(&format!("enrollment failed: {e}"));
                }
            }
            Err(e) => return Err(CliError::context("task", e)),
        }
    }
    Ok((devices, failures, times))
}

/// `n` indexes spread evenly over `0..len`.
fn sample(len: usize, n: usize) -> Vec<usize> {
    let n = n.min(len);
    (0..n).map(|k| k * len / n.max(1)).collect()
}

async fn run(bin: &Path, plan: Plan) -> Result<(), CliError> {
    let total = plan.steps.last().copied().unwrap_or(0);
    let mut cfg = SimConfig::new(String::new());
    cfg.devices = total;
    cfg.concurrency = plan.concurrency;
    cfg.key = plan.key;
    cfg.prefix = "load".into();
    if let Some(dir) = &plan.key_cache {
        std::fs::create_dir_all(dir).map_err(|e| CliError::context("--key-cache", e))?;
    }
    cfg.key_cache = plan.key_cache.clone();
    let started = Instant::now();
    let (keys, made) = mdm_examples::sim::device_keys(&cfg).await;
    let keygen_wall = started.elapsed();

    // The database: SQLite in the data directory, a temporary cluster, or a given URL.
    let cluster;
    let (database, store) = match plan.database.as_deref() {
        None | Some("sqlite") => (None, "sqlite".to_owned()),
        Some("temp-postgres") => {
            cluster = mdm_testsupport::postgres::Postgres::start("server-load")
                .ok_or("--database temp-postgres: PostgreSQL (initdb) is not installed")?;
            (
                Some(cluster.create_database("load")),
                "postgresql (temporary cluster, fsync off)".to_owned(),
            )
        }
        Some(url) => (Some(url.to_owned()), "postgresql".to_owned()),
    };
    let dir = tempfile::tempdir().map_err(|e| CliError::context("temp dir", e))?;
    let data = dir.path().join("data");
    let mut servers = Vec::new();
    for _ in 0..plan.replicas {
        // The first creates the data directory (CA, config); the others share it.
        servers.push(start_server(bin, &data, database.as_deref())?);
    }
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let api_key = servers
        .first()
        .map(|s| s.api_key.clone())
        .unwrap_or_default();
    cfg.server = urls.join(",");
    let cfg = Arc::new(cfg);
    let http = cfg
        .http_client()
        .map_err(|e| CliError::context("http", e))?;
    let permits = Arc::new(Semaphore::new(plan.concurrency));
    let sim_cpu_start = cpu_seconds(std::process::id());

    let mut keys = keys.into_iter();
    let mut fleet: Vec<Device> = Vec::with_capacity(total);
    let mut reports = Vec::new();
    for &step in &plan.steps {
        // 1. Enrollment of this step's new devices.
        let from = fleet.len();
        let batch: Vec<_> = keys.by_ref().take(step - from).collect();
        let started = Instant::now();
        let (mut enrolled, failures, mut enroll_times) =
            enroll(&http, &cfg, &urls, from, batch, &permits).await?;
        let enroll_wall = started.elapsed();
        let new = enrolled.len();
        fleet.append(&mut enrolled);
        let (enroll_p50, enroll_p99) = percentiles(&mut enroll_times);

        // 2. Check-ins from a sample spread over the whole fleet.
        let picks = sample(fleet.len(), plan.checkin_sample);
        let started = Instant::now();
        let mut tasks = JoinSet::new();
        let shared: Arc<Vec<Device>> = Arc::new(std::mem::take(&mut fleet));
        for i in picks.iter().copied() {
            let (http, permits, shared) = (http.clone(), permits.clone(), shared.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let t = Instant::now();
                let ok = match shared.get(i) {
                    Some(d) => d.token_update(&http).await.is_ok(),
                    None => false,
                };
                (ok, t.elapsed())
            });
        }
        let (mut checkin_times, mut checkin_failures) = (Vec::new(), 0usize);
        while let Some(joined) = tasks.join_next().await {
            let (ok, t) = joined.map_err(|e| CliError::context("task", e))?;
            if !ok {
                checkin_failures += 1;
            }
            checkin_times.push(t);
        }
        let checkin_wall = started.elapsed();
        fleet = Arc::try_unwrap(shared).map_err(|_| "a check-in task outlived its phase")?;
        let (checkin_p50, checkin_p99) = percentiles(&mut checkin_times);

        // 3. Commands for a sample, then each of those devices drains its queue.
        let picks = sample(fleet.len(), plan.command_sample);
        let ids: Vec<String> = picks
            .iter()
            .filter_map(|&i| fleet.get(i).map(|d| d.udid().to_owned()))
            .collect();
        let started = Instant::now();
        for (request_type, payload) in COMMANDS {
            let payload: serde_json::Value =
                serde_json::from_str(payload).map_err(|e| CliError::context("payload", e))?;
            let body = json!({"devices": ids, "request_type": request_type, "payload": payload});
            let base = urls.first().map_or("", String::as_str);
            let resp = http
                .post(format!("{base}/api/v1/commands"))
                .bearer_auth(&api_key)
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
        // Where a device sits in the fleet does not matter: take the sample out, put it
        // back at the end.
        let mut taken = Vec::new();
        for &i in picks.iter().rev() {
            if i < fleet.len() {
                taken.push(fleet.swap_remove(i));
            }
        }
        for mut d in taken {
            let (http, permits) = (http.clone(), permits.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let r = d.poll(&http).await;
                (d, r)
            });
        }
        let (mut answered, mut round_trips, mut poll_failures) = (0usize, 0usize, 0usize);
        let mut back = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (d, r) = joined.map_err(|e| CliError::context("task", e))?;
            match r {
                Ok(r) => {
                    answered += r.answered.len();
                    round_trips += r.round_trips;
                }
                Err(_) => poll_failures += 1,
            }
            back.push(d);
        }
        let poll_wall = started.elapsed();
        fleet.append(&mut back);

        let memory: Vec<_> = servers
            .iter()
            .map(|s| {
                let (peak, rss) = memory_kib(s.child.id());
                json!({"peak_rss_mib": peak / 1024, "rss_mib": rss / 1024,
                       "cpu_seconds": cpu_seconds(s.child.id())})
            })
            .collect();
        let report = json!({
            "fleet": fleet.len(),
            "enrollment": {
                "new": new, "failed": failures,
                "seconds": enroll_wall.as_secs_f64(),
                "enrollments_per_s": rate(new, enroll_wall),
                "p50_ms": enroll_p50, "p99_ms": enroll_p99,
            },
            "checkins": {
                "sent": picks_len(plan.checkin_sample, fleet.len()), "failed": checkin_failures,
                "seconds": checkin_wall.as_secs_f64(),
                "checkins_per_s": rate(checkin_times.len(), checkin_wall),
                "p50_ms": checkin_p50, "p99_ms": checkin_p99,
            },
            "commands": {
                "devices": ids.len(), "queued_per_device": COMMANDS.len(),
                "enqueue_seconds": enqueue_wall.as_secs_f64(),
                "answered": answered, "http_round_trips": round_trips,
                "failed_devices": poll_failures,
                "seconds": poll_wall.as_secs_f64(),
                "command_round_trips_per_s": rate(answered, poll_wall),
            },
            "servers": memory,
            "simulator_cpu_seconds": cpu_seconds(std::process::id()) - sim_cpu_start,
        });
        tracing_free_log(&format!("step {step}: {report}"));
        reports.push(report);
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let out = json!({
        "store": store,
        "replicas": plan.replicas,
        "concurrency": plan.concurrency,
        "key": match plan.key { KeyChoice::P256 => "p256", _ => "rsa-2048" },
        "keys": { "generated": made.len(), "seconds": keygen_wall.as_secs_f64() },
        "steps": reports,
        "load_average_at_end": load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    });
    mdm_examples::print_json(&out)?;
    drop(servers);
    Ok(())
}

fn picks_len(sample: usize, fleet: usize) -> usize {
    sample.min(fleet)
}

/// Failures go to stderr; the report goes to stdout.
fn tracing_free_log(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}
