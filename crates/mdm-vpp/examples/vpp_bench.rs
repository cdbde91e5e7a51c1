//! Measures the two bulk jobs of the Apps and Books client against the in-process mock of
//! `tests/common/mock.rs`, which enforces the published limits and the request rate per
//! token the way the service documents them:
//!
//! 1. assign one app to 10,000 serial numbers with Apple's example limits (1,000 serial
//!    numbers per request, 15 requests per second), and again with 100 per request so the
//!    rate limit is what bounds the job: wall time, requests sent, rate-limit waits, the most
//!    requests the mock saw in any one-second window, and whether it ever refused one;
//! 2. page through 50,000 assignments (500 per page, streamed page by page, not collected):
//!    items per second (wall clock, mock included) and the process's peak resident memory
//!    (`VmHWM`) before and after. The mock's own copy of the 50,000 assignments lives in
//!    the same process and is counted in the baseline.
//!
//! ```text
//! cargo run --release -p mdm-vpp --features client --example vpp_bench
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/common/mock.rs"]
mod mock;

use std::time::{Duration, Instant};

use base64::Engine as _;
use mdm_vpp::{
    AdamId, Asset, AssignmentsQuery, Client, ContentToken, ManageAssetsRequest, SerialNumber,
};
use mock::{Mock, MockConfig};
use serde_json::json;

/// Nanoseconds this thread has spent on a CPU (the client runs on this thread; the mock
/// on threads of its own).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// Peak resident set size of the process, in KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn token() -> ContentToken {
    let json = r#"{"token":"YmVuY2g=","expDate":"2099-01-01T00:00:00+0000","orgName":"Bench"}"#;
    let text = base64::engine::general_purpose::STANDARD.encode(json);
    ContentToken::decode(text.as_bytes()).unwrap()
}

fn client(mock: &Mock) -> Client {
    Client::builder(token())
        .base_url(&mock.base_url)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn assign(per_request: u64) {
    let mut config = MockConfig::new(token().expose_secret());
    config.limits["maxSerialNumbers"] = json!(per_request);
    config.limits["maxRequestPerSecond"] = json!(15);
    let mock = Mock::spawn(config);
    let c = client(&mock);
    c.service_config().await.unwrap();
    let serials: Vec<SerialNumber> = (0..10_000)
        .map(|i| SerialNumber::new(format!("BENCH{i:07}")).unwrap())
        .collect();
    let app = Asset::new(AdamId::new("1000").unwrap());
    let job = ManageAssetsRequest::new([app]).with_serial_numbers(serials);
    let before = c.stats();
    let start = Instant::now();
    let events = c.associate(&job).await.unwrap();
    let wall = start.elapsed();
    let after = c.stats();
    let (max_in_window, violations, assigned, doubles) = mock.with(|s| {
        (
            s.max_in_window,
            s.rate_violations,
            s.assignments.len(),
            s.double_assignments,
        )
    });
    println!(
        "assign 10,000 serials, {per_request}/request, 15 requests/s: {:.2} s wall, {} requests, \
         {} events, {} rate waits, at most {max_in_window} requests in one second, \
         {violations} refused for rate, {assigned} assigned, {doubles} assigned twice",
        wall.as_secs_f64(),
        after.requests - before.requests,
        events.len(),
        after.rate_waits - before.rate_waits,
    );
}

async fn page_assignments() {
    let mut config = MockConfig::new(token().expose_secret());
    config.page_size = 500;
    config.limits["maxRequestPerSecond"] = json!(1000);
    let mock = Mock::spawn(config);
    mock.seed_assignments(50_000);
    let c = client(&mock);
    c.service_config().await.unwrap();
    let hwm_before = vm_hwm_kib();
    let start = Instant::now();
    let cpu0 = thread_cpu_ns();
    let mut pages = c.assignments(&AssignmentsQuery::default());
    let (mut items, mut count) = (0usize, 0usize);
    while let Some(page) = pages.next_page().await {
        items += page.unwrap().assignments.len();
        count += 1;
    }
    let wall = start.elapsed();
    let cpu = thread_cpu_ns().saturating_sub(cpu0);
    println!(
        "client CPU {:.2} ms per page, {:.0} items per client CPU second",
        cpu as f64 / 1e6 / count.max(1) as f64,
        items as f64 / (cpu as f64 / 1e9)
    );
    println!(
        "page 50,000 assignments, 500/page: {items} items in {count} pages, {:.2} s wall, \
         {:.0} items/s; VmHWM {hwm_before} KiB before, {} KiB after",
        wall.as_secs_f64(),
        items as f64 / wall.as_secs_f64(),
        vm_hwm_kib()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        assign(1000).await;
        assign(100).await;
        page_assignments().await;
    });
}
