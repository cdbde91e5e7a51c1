//! The simulated device: enrollment (profile, SCEP), check-in and command answers, run by
//! `examples/device-sim/main.rs` and by the end-to-end tests.
//!
//! A [`Device`] speaks the real protocol with the workspace crates: it fetches the signed
//! enrollment profile and verifies it (`mdm-signing`), reads its MDM and SCEP payloads
//! (`mdm-profiles`), gets its identity from the SCEP server (`mdm-scep`), sends
//! `Authenticate` and `TokenUpdate` (`mdm-checkin`) with an `Mdm-Signature` header, and
//! answers commands (`mdm-commands`) from a [`DeviceState`] that remembers installed
//! profiles. [`run`] drives many devices at once and counts what happened in a
//! [`RunReport`].
//!
//! Where the simulator differs from a real device, on purpose:
//! - it signs every check-in and connect request (`Mdm-Signature`) whatever the payload's
//!   `SignMessage` says, since it has no TLS client certificate to offer over plain HTTP;
//! - it does not listen for pushes: devices reach the server when they poll (`polls`,
//!   `interval`, `forever`);
//! - [`run`] makes the device keys before the timed enrollment phase (real devices make
//!   them on their own hardware; here they would compete with the server for the CPU);
//! - declarative management is "applied" only as far as the status it reports (see
//!   [`DeclarativeState`]);
//! - error codes in its error chains are the simulator's own, in Apple's style, not codes
//!   recorded from devices.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mdm_examples::sim::SimError> {
//! use mdm_examples::sim::{SimConfig, run};
//!
//! let mut cfg = SimConfig::new("http://127.0.0.1:8080");
//! cfg.devices = 10;
//! let report = run(&cfg).await?;
//! println!("{report}");
//! # Ok(())
//! # }
//! ```

mod answers;
mod declarative;
mod device;
mod error;
mod facts;
mod profile;
mod report;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mdm_signing::{Certificate, PrivateKey, TrustPolicy};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

pub use self::answers::{
    Answered, CANNOT_REMOVE, COMMAND_FORMAT_ERROR, DeviceState, MDM_ERROR_DOMAIN,
    PROFILE_NOT_FOUND, UNSUPPORTED_COMMAND, chain_item,
};
pub use self::declarative::{
    CANNOT_DECODE, DeclarativeCounters, DeclarativeState, MISSING_CONFIGURATION, UNKNOWN_TYPE,
    UNSUPPORTED_STATUS_ITEM,
};
pub use self::device::{
    CHECKIN_CONTENT_TYPE, CONNECT_CONTENT_TYPE, Device, EnrollTimings, MAX_ANSWER_BYTES,
    MAX_COMMANDS_PER_POLL, PROFILE_CONTENT_TYPE, PollReport, generate_key, join_url,
};
pub use self::error::{SimError, Step};
pub use self::facts::{DeviceFacts, Family};
pub use self::profile::{
    BAD_SIGNATURE, CANNOT_DECRYPT, EnrollmentProfile, InstalledProfile, MALFORMED_PROFILE,
    PROFILE_ERROR_DOMAIN, PayloadSummary, Refusal, read_installable,
};
pub use self::report::{LatencyStats, RunReport};

/// How many failures a report keeps word for word.
pub const FIRST_ERRORS_KEPT: usize = 10;

/// The device key SCEP certifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum KeyChoice {
    /// RSA of the SCEP payload's `Keysize` (2048 when absent or outside 2048..=4096), as
    /// Apple devices do. Key generation dominates enrollment time.
    #[default]
    Rsa,
    /// ECDSA P-256: fast to generate, for load runs.
    P256,
}

/// What a run does.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Base URL of the MDM server (`http://127.0.0.1:PORT`), or several replicas' base
    /// URLs separated by commas: device `i` enrolls with replica `i mod n`, then each
    /// device's requests go to every replica in turn.
    pub server: String,
    /// Path of the enrollment profile on the server. Default: `/mdm/enroll`.
    pub enroll_path: String,
    /// Devices to run. Default: 1.
    pub devices: usize,
    /// Devices talking to the server at the same time. Default: 64.
    pub concurrency: usize,
    /// Polls per device after enrollment. Default: 1.
    pub polls: usize,
    /// Pause between one device's polls. Default: none.
    pub interval: Duration,
    /// Keep polling until the shutdown signal (for a live demo). Default: false.
    pub forever: bool,
    /// Answer every N-th new command `NotNow` (the server must send it again). Default: never.
    pub not_now_every: Option<u32>,
    /// Seed of the devices' identities: the same prefix and index give the same UDID and
    /// serial number. Default: `sim`.
    pub prefix: String,
    /// First device index (so that two runs with one prefix can use distinct devices).
    /// Default: 0.
    pub first_index: usize,
    /// Device key type. Default: [`KeyChoice::Rsa`].
    pub key: KeyChoice,
    /// Anchors the enrollment profile's signer must chain to; empty means the signature
    /// is checked but any signer is accepted. Default: empty.
    pub anchors: Vec<Certificate>,
    /// Accept an unsigned enrollment profile. Default: false.
    pub allow_unsigned: bool,
    /// Timeout of each HTTP request. Default: 30 s.
    pub request_timeout: Duration,
    /// [`run`] generates every device key before the enrollment phase starts, so that the
    /// enrollment rate measures the server rather than the simulator's key generation
    /// (real devices make their keys on their own hardware). Default: true.
    pub pregenerate_keys: bool,
    /// Directory where pre-generated keys are kept between runs (created if missing).
    /// Default: none.
    pub key_cache: Option<PathBuf>,
    /// Sync declarations (tokens, manifest, status report) right after enrolling, before
    /// any `DeclarativeManagement` command. Real devices wait for the command; the
    /// default is false so that an enrollment is the two check-ins it always was.
    pub declarative_on_enroll: bool,
}

impl SimConfig {
    /// The defaults, against `server`.
    pub fn new(server: impl Into<String>) -> Self {
        SimConfig {
            server: server.into(),
            enroll_path: "/mdm/enroll".to_owned(),
            devices: 1,
            concurrency: 64,
            polls: 1,
            interval: Duration::ZERO,
            forever: false,
            not_now_every: None,
            prefix: "sim".to_owned(),
            first_index: 0,
            key: KeyChoice::Rsa,
            anchors: Vec::new(),
            allow_unsigned: false,
            request_timeout: Duration::from_secs(30),
            pregenerate_keys: true,
            key_cache: None,
            declarative_on_enroll: false,
        }
    }

    /// The policy the enrollment profile's signature is checked with.
    pub fn trust_policy(&self) -> TrustPolicy {
        if self.anchors.is_empty() {
            TrustPolicy::signature_only()
        } else {
            let mut p = TrustPolicy::with_anchors(self.anchors.iter().cloned());
            // Profile-signing certificates rarely carry the S/MIME usage; devices do not ask.
            p = p.check_purpose(false);
            p
        }
    }

    /// The server base URLs (`server` split at commas).
    pub fn servers(&self) -> Vec<String> {
        self.server
            .split(',')
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// An HTTP client fit for this configuration (timeouts, a pool as large as the
    /// concurrency).
    ///
    /// # Errors
    /// [`SimError::Config`] when the client cannot be built.
    pub fn http_client(&self) -> Result<reqwest::Client, SimError> {
        reqwest::Client::builder()
            .timeout(self.request_timeout)
            .pool_max_idle_per_host(self.concurrency.max(1))
            .build()
            .map_err(|e| SimError::Config(format!("http client: {e}")))
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig::new("http://127.0.0.1:8080")
    }
}

/// Runs the configured devices: all enroll (at most `concurrency` at once), then each polls
/// `polls` times (or until `shutdown` with `forever`). Failures are counted in the report,
/// never fatal to the run.
///
/// # Errors
/// [`SimError::Config`] for an unusable configuration (no server, zero concurrency).
pub async fn run(cfg: &SimConfig) -> Result<RunReport, SimError> {
    run_until(cfg, std::future::pending::<()>()).await
}

/// [`run`], stopping early when `shutdown` completes: no new enrollment or poll starts
/// after it, and the report counts what was done.
///
/// # Errors
/// As [`run`].
pub async fn run_until(
    cfg: &SimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<RunReport, SimError> {
    let servers = cfg.servers();
    if servers.is_empty() {
        return Err(SimError::Config("no server URL".to_owned()));
    }
    let servers = Arc::new(servers);
    if cfg.concurrency == 0 {
        return Err(SimError::Config(
            "concurrency must be at least 1".to_owned(),
        ));
    }
    if let Some(dir) = &cfg.key_cache {
        std::fs::create_dir_all(dir)
            .map_err(|e| SimError::Config(format!("key cache {}: {e}", dir.display())))?;
    }
    let http = cfg.http_client()?;
    let cfg = Arc::new(cfg.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let watcher = tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let permits = Arc::new(Semaphore::new(cfg.concurrency));
    let mut acc = Accumulator::new(cfg.devices);
    let started = Instant::now();

    // Phase 0: device keys.
    let mut keys: Vec<Option<PrivateKey>> = Vec::new();
    if cfg.pregenerate_keys {
        let keygen_started = Instant::now();
        let (made, took) = device_keys(&cfg).await;
        keys = made;
        for t in took {
            acc.sample("keygen", t);
        }
        acc.report.keygen_wall = keygen_started.elapsed();
    }

    // Phase 1: enrollment.
    let enroll_started = Instant::now();
    let mut tasks = JoinSet::new();
    for i in 0..cfg.devices {
        let index = cfg.first_index.saturating_add(i);
        let key = keys.get_mut(i).and_then(Option::take);
        let (http, cfg, permits, stop, servers) = (
            http.clone(),
            cfg.clone(),
            permits.clone(),
            stop_rx.clone(),
            servers.clone(),
        );
        tasks.spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return (index, None);
            };
            if *stop.borrow() {
                return (index, None);
            }
            let t = Instant::now();
            let server = servers
                .get(index % servers.len())
                .cloned()
                .unwrap_or_default();
            let result = Device::enroll_with_key(&http, &server, index, &cfg, key)
                .await
                .map(|mut d| {
                    d.spread_over(&server, servers.to_vec());
                    d
                });
            (index, Some((result, t.elapsed())))
        });
    }
    let mut devices = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((_, None)) => {}
            Ok((index, Some((Ok(device), took)))) => {
                acc.enrolled(&device, took);
                devices.push((index, device));
            }
            Ok((index, Some((Err(e), _)))) => acc.failed(index, &e),
            Err(e) => acc.failed(usize::MAX, &SimError::Task(e.to_string())),
        }
    }
    devices.sort_by_key(|(i, _)| *i);
    acc.report.enroll_wall = enroll_started.elapsed();

    // Phase 2: polling.
    let poll_started = Instant::now();
    let mut tasks = JoinSet::new();
    for (index, mut device) in devices {
        let (http, cfg, permits, mut stop) =
            (http.clone(), cfg.clone(), permits.clone(), stop_rx.clone());
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            let mut done = 0usize;
            while (cfg.forever || done < cfg.polls) && !*stop.borrow() {
                if done > 0 && !cfg.interval.is_zero() {
                    tokio::select! {
                        _ = tokio::time::sleep(cfg.interval) => {}
                        _ = stop.changed() => break,
                    }
                }
                let Ok(permit) = permits.acquire().await else {
                    break;
                };
                let mut report = PollReport::default();
                let result = device.poll_into(&http, &mut report).await;
                drop(permit);
                outcomes.push((report, result.err()));
                done += 1;
            }
            (index, outcomes)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, outcomes)) => {
                for (report, err) in outcomes {
                    acc.polled(index, &report, err.as_ref());
                }
            }
            Err(e) => acc.failed(usize::MAX, &SimError::Task(e.to_string())),
        }
    }
    acc.report.poll_wall = poll_started.elapsed();
    acc.report.wall = started.elapsed();
    watcher.abort();
    Ok(acc.finish())
}

/// Makes one key per device of the run (index `cfg.first_index + i` at position `i`), one
/// generator per core. With `cfg.key_cache`, keys are read from and written to that
/// directory (`rsa2048-<index>.pem` or `p256-<index>.pem`), so that repeated load runs skip
/// the generation. Returns the keys (`None` where generation failed: that device then makes
/// its own) and the time each new key took.
pub async fn device_keys(cfg: &SimConfig) -> (Vec<Option<PrivateKey>>, Vec<Duration>) {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let gate = Arc::new(Semaphore::new(cores));
    let mut tasks = JoinSet::new();
    let kind = match cfg.key {
        KeyChoice::Rsa => "rsa2048",
        KeyChoice::P256 => "p256",
    };
    for slot in 0..cfg.devices {
        let (gate, choice) = (gate.clone(), cfg.key);
        let cached = cfg.key_cache.as_ref().map(|dir| {
            dir.join(format!(
                "{kind}-{}.pem",
                cfg.first_index.saturating_add(slot)
            ))
        });
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.ok()?;
            if let Some(path) = &cached
                && let Ok(pem) = tokio::fs::read(path).await
                && let Ok(key) = PrivateKey::from_pem(&pem)
            {
                return Some((slot, key, None));
            }
            let t = Instant::now();
            let key = generate_key(choice, None).await.ok()?;
            let took = t.elapsed();
            if let Some(path) = &cached
                && let Ok(pem) = key.to_pkcs8_pem()
                && let Err(e) = tokio::fs::write(path, pem).await
            {
                tracing::warn!("cannot write {}: {e}", path.display());
            }
            Some((slot, key, Some(took)))
        });
    }
    let mut keys = Vec::new();
    keys.resize_with(cfg.devices, || None);
    let mut took = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(Some((slot, key, t))) = joined {
            took.extend(t);
            if let Some(k) = keys.get_mut(slot) {
                *k = Some(key);
            }
        }
    }
    (keys, took)
}

/// Gathers counters and samples while devices report in.
struct Accumulator {
    report: RunReport,
    samples: BTreeMap<&'static str, Vec<Duration>>,
}

impl Accumulator {
    fn new(devices: usize) -> Self {
        Accumulator {
            report: RunReport {
                devices,
                ..RunReport::default()
            },
            samples: BTreeMap::new(),
        }
    }

    fn sample(&mut self, kind: &'static str, d: Duration) {
        self.samples.entry(kind).or_default().push(d);
    }

    fn enrolled(&mut self, device: &Device, took: Duration) {
        self.report.enrolled += 1;
        let t = device.enroll_timings().clone();
        self.report.checkins += t.checkins.len();
        self.sample("enroll", took);
        self.sample("profile", t.profile);
        if !t.keygen.is_zero() {
            self.sample("keygen", t.keygen);
        }
        self.sample("scep", t.scep);
        for c in t.checkins {
            self.sample("checkin", c);
        }
    }

    fn polled(&mut self, index: usize, report: &PollReport, err: Option<&SimError>) {
        self.report.round_trips += report.round_trips;
        for a in &report.answered {
            *self
                .report
                .commands
                .entry(a.request_type.clone())
                .or_default()
                .entry(a.status.clone())
                .or_default() += 1;
        }
        for l in &report.latencies {
            self.sample("round_trip", *l);
        }
        match err {
            None => self.report.polls += 1,
            Some(e) => self.failed(index, e),
        }
    }

    fn failed(&mut self, index: usize, e: &SimError) {
        self.report.errors += 1;
        *self
            .report
            .errors_by_step
            .entry(e.step().as_str().to_owned())
            .or_default() += 1;
        if self.report.first_errors.len() < FIRST_ERRORS_KEPT {
            let who = if index == usize::MAX {
                "run".to_owned()
            } else {
                format!("device {index}")
            };
            tracing::warn!("{who}: {e}");
            self.report.first_errors.push(format!("{who}: {e}"));
        }
    }

    fn finish(mut self) -> RunReport {
        for (k, v) in &self.samples {
            self.report
                .latency
                .insert((*k).to_owned(), LatencyStats::of(v));
        }
        self.report
    }
}
