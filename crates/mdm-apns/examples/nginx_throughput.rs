//! Throughput of one HTTP/2 connection to a local nginx, and the client's peak memory.
//!
//! ```text
//! cargo run --release -p mdm-apns --example nginx_throughput -- [COUNT] [CONCURRENCY] [CONNECTIONS]
//! ```
//!
//! With `MDM_RT=current` the client runs on tokio's current-thread runtime; with
//! `MDM_MODE=fast` or `MDM_MODE=logged` only that server runs (default: both).
//!
//! Starts nginx on 127.0.0.1 (as the tests do: TLS, HTTP/2, client certificate required)
//! twice: once answering `200` at once ("fast"), once reading and logging every body
//! through a local proxy hop ("logged"). Prints pushes per second for each and the
//! process's peak resident memory (`VmHWM`). Needs `nginx` on `PATH`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use mdm_apns::{Client, DeviceToken, Endpoint, Push, PushMagic};

use common::nginx::{Mode, Nginx};
use common::{Pki, PkiExt};

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds a process has used (from `/proc/PID/stat`, 100 ticks/s).
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(14) + ticks(15)) as f64 / 100.0
}

fn pushes(pki_topic: &mdm_apns::Topic, n: usize) -> Vec<Push> {
    (0..n)
        .map(|i| {
            let mut token = [0x5au8; 32];
            token[..8].copy_from_slice(&(i as u64).to_be_bytes());
            Push::new(
                DeviceToken::new(token).unwrap(),
                PushMagic::new(format!("8BBC4D7F-6D3A-4B23-A9C0-{i:012}")).unwrap(),
                pki_topic.clone(),
            )
        })
        .collect()
}

fn main() {
    // MDM_RT=current runs everything on one thread (no cross-thread wake-ups).
    let runtime = if std::env::var("MDM_RT").as_deref() == Ok("current") {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    }
    .enable_all()
    .build()
    .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers only"))
        .collect();
    let count = args.first().copied().unwrap_or(10_000);
    let concurrency = args.get(1).copied().unwrap_or(500);
    let connections = args.get(2).copied().unwrap_or(1);
    let Some(program) = common::nginx::find("nginx_throughput") else {
        return;
    };
    let pki = Pki::new();
    println!(
        "{count} pushes, concurrency {concurrency}, {connections} connection(s); rss at start {} KiB",
        status_kb("VmRSS:")
    );
    let only = std::env::var("MDM_MODE").ok();
    for (name, mode) in [("fast", Mode::Fast), ("logged", Mode::LogBodies)] {
        if only.as_deref().is_some_and(|m| m != name) {
            continue;
        }
        let server = Nginx::start(&program, &pki, mode, 10_000_000);
        let identity = pki.identity();
        let topic = identity.topic().clone();
        let client = Client::builder(identity)
            .endpoint(Endpoint::Custom(server.base_url()))
            .root_certificates_pem(&pki.ca_pem())
            .concurrency(concurrency)
            .connections(connections)
            .build()
            .unwrap();
        // Open the connection(s) first so the handshake is not timed.
        for o in client.push_many(pushes(&topic, connections * 4)).await {
            o.result.unwrap();
        }
        let batch = pushes(&topic, count);
        let nginx_pid = server.pid().to_string();
        let cpu_before = cpu_secs("self");
        let nginx_before = cpu_secs(&nginx_pid);
        let start = Instant::now();
        let outcomes = client.push_many(batch).await;
        let secs = start.elapsed().as_secs_f64();
        let cpu = cpu_secs("self") - cpu_before;
        let nginx_cpu = cpu_secs(&nginx_pid) - nginx_before;
        let peak = status_kb("VmHWM:");
        let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
        if let Some(e) = outcomes.iter().find_map(|o| o.result.as_ref().err()) {
            eprintln!("first failure: {e}\n{}", server.error_log());
        }
        println!(
            "{name}: {} ok, {failed} failed in {secs:.3} s = {:.0} pushes/s; client cpu {cpu:.2} s \
             ({:.1} us/push), nginx cpu {nginx_cpu:.2} s; peak rss {peak} KiB",
            count - failed,
            count as f64 / secs,
            cpu * 1e6 / count as f64,
        );
        if mode == Mode::LogBodies {
            let logged = server.log(count + connections * 4).len();
            println!("{name}: nginx logged {logged} requests");
        }
    }
}
