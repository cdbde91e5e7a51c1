//! `declarative-bench`: the server's `declaration-items` answer for one device whose set
//! holds 500 declarations: latency and heap allocations per answer.
//!
//! ```text
//! cargo run --release --example declarative-bench [-- --declarations 500 --rounds 2000]
//! ```
//!
//! Two measurements, each over `--rounds` answers after a warm-up:
//!
//! 1. `answer`: [`mdm_examples::server::declarative::answer`] on the set as the store
//!    hands it over (identifiers, types and tokens, no bodies): the manifest built and
//!    encoded as JSON;
//! 2. `store + answer`: what the check-in handler does besides HTTP and the signature
//!    check: read the device's set from an in-memory SQLite store, then answer.
//!
//! Allocations are counted by the global allocator (`stats_alloc`), latency by the
//! wall clock; the median and 99th percentile are printed.
#![allow(clippy::print_stdout)]

use std::alloc::System;
use std::time::{Duration, Instant};

use mdm_checkin::DeclarativeEndpoint;
use mdm_declarative::{Declaration, PasscodeSettings, SimpleActivation};
use mdm_examples::server::declarative::{answer, to_stored};
use mdm_examples::server::sqlite::SqliteStore;
use mdm_examples::server::store::{DeviceDeclarations, Store};
use mdm_examples::{Args, CliError};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Latency percentiles and allocations per call of one measured closure.
struct Measured {
    median: Duration,
    p99: Duration,
    allocations: f64,
    bytes: f64,
}

#[allow(clippy::cast_precision_loss)]
fn measure(rounds: usize, mut f: impl FnMut() -> usize) -> Measured {
    for _ in 0..rounds.min(200) {
        std::hint::black_box(f());
    }
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(f());
        times.push(t.elapsed());
    }
    times.sort_unstable();
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        times.get(i as usize).copied().unwrap_or_default()
    };
    let region = Region::new(GLOBAL);
    for _ in 0..rounds {
        std::hint::black_box(f());
    }
    let stats = region.change();
    Measured {
        median: at(0.5),
        p99: at(0.99),
        allocations: stats.allocations as f64 / rounds as f64,
        bytes: stats.bytes_allocated as f64 / rounds as f64,
    }
}

fn main() -> Result<(), CliError> {
    let mut args = Args::new(std::env::args().skip(1).collect());
    let n: usize = args
        .value("--declarations")?
        .map_or(Ok(500), |v| v.parse())
        .map_err(|e| CliError::context("--declarations", e))?;
    let rounds: usize = args
        .value("--rounds")?
        .map_or(Ok(2000), |v| v.parse())
        .map_err(|e| CliError::context("--rounds", e))?;
    args.finish()?;

    // n - 1 passcode configurations and one activation naming them all.
    let mut stored = Vec::new();
    let mut names = Vec::new();
    for i in 0..n.saturating_sub(1) {
        let id = format!("com.example.bench.passcode.{i:04}");
        let p = PasscodeSettings {
            minimum_length: Some(4 + i64::try_from(i % 10).unwrap_or(0)),
            ..Default::default()
        };
        stored.push(
            to_stored(Declaration::new(id.clone(), p))
                .map_err(|e| CliError::context("declaration", e))?,
        );
        names.push(id);
    }
    let activation = Declaration::new("com.example.bench.activation", SimpleActivation::new(names));
    stored.push(to_stored(activation).map_err(|e| CliError::context("declaration", e))?);
    stored.sort_by(|a, b| a.identifier.cmp(&b.identifier));

    let store = SqliteStore::in_memory().map_err(|e| CliError::context("store", e))?;
    let at = 1_700_000_000;
    let device = "BENCH-DEVICE";
    store
        .authenticate(device, None, &Default::default(), at)
        .map_err(|e| CliError::context("store", e))?;
    for d in &stored {
        store
            .put_declaration(d, at)
            .map_err(|e| CliError::context("store", e))?;
    }
    let ids: Vec<String> = stored.iter().map(|d| d.identifier.clone()).collect();
    store
        .set_device_declarations(device, &ids, at)
        .map_err(|e| CliError::context("store", e))?;
    let set: DeviceDeclarations = store
        .device_declarations(device, None)
        .map_err(|e| CliError::context("store", e))?;
    let endpoint = DeclarativeEndpoint::DeclarationItems;
    let size = answer(&set, &endpoint, None).body.len();

    let plain = measure(rounds, || answer(&set, &endpoint, None).body.len());
    let full = measure(rounds, || {
        store
            .device_declarations(device, None)
            .map(|s| answer(&s, &endpoint, None).body.len())
            .unwrap_or(0)
    });
    println!(
        "declaration-items for {} declarations ({size} bytes of JSON), {rounds} rounds",
        set.declarations.len()
    );
    for (what, m) in [("answer", plain), ("store + answer", full)] {
        println!(
            "{what:>15}: median {:>8.1} us  p99 {:>8.1} us  {:>7.0} allocations  {:>9.0} bytes allocated per answer",
            m.median.as_secs_f64() * 1e6,
            m.p99.as_secs_f64() * 1e6,
            m.allocations,
            m.bytes,
        );
    }
    Ok(())
}
