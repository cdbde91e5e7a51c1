//! Measures a full device sync through the async client against the in-process mock of
//! `tests/common/mock.rs`: 10,000 and then 100,000 devices, 1,000 per page (so 10 and 100
//! pages). Prints devices per second (wall clock, mock included), the client thread's CPU
//! per page (from `/proc/thread-self/schedstat`; the mock runs on another thread), and the
//! process's peak resident memory (`VmHWM` of `/proc/self/status`) after each size.
//!
//! ```text
//! cargo run --release -p mdm-dep --features client --example sync_bench
//! ```
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

#[path = "../tests/common/mock.rs"]
mod mock;

use std::time::Instant;

use mdm_dep::{Client, Config, DeviceSync};

/// Nanoseconds this thread has spent on a CPU.
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

fn main() {
    let mock = mock::Mock::start_in_thread(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = Config::new(mock::USER_AGENT)
        .unwrap()
        .with_base_url(&mock.url())
        .unwrap();
    let client = Client::builder(config, mock::token()).build().unwrap();
    println!("baseline VmHWM: {} KiB", vm_hwm_kib());
    for devices in [10_000usize, 100_000] {
        mock.state.lock().unwrap().devices = devices;
        let (count, pages, wall, cpu) = runtime.block_on(async {
            let mut sync = DeviceSync::new(None).with_limit(1000);
            let cpu0 = thread_cpu_ns();
            let t0 = Instant::now();
            let mut count = 0usize;
            let mut pages = 0usize;
            while let Some(page) = client.next_page(&mut sync).await.unwrap() {
                if page.phase == mdm_dep::SyncPhase::Sync {
                    break;
                }
                count += page.devices.len();
                pages += 1;
                if !page.more_to_follow {
                    break;
                }
            }
            (count, pages, t0.elapsed(), thread_cpu_ns() - cpu0)
        });
        assert_eq!(count, devices);
        let secs = wall.as_secs_f64();
        println!(
            "{devices} devices, {pages} pages: {:.0} devices/s, {:.2} s wall, client CPU {:.2} ms/page, VmHWM {} KiB",
            count as f64 / secs,
            secs,
            cpu as f64 / 1e6 / pages as f64,
            vm_hwm_kib(),
        );
    }
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}
