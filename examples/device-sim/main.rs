//! `device-sim`: simulated Apple devices that enroll with an MDM server and answer its
//! commands, speaking the real protocol (signed profile, SCEP, check-in with
//! `Mdm-Signature`, command polling).
//!
//! ```text
//! cargo run --example device-sim -- --server http://127.0.0.1:8080 [--devices N]
//! ```
//!
//! Options:
//!
//! | option | meaning (default) |
//! | --- | --- |
//! | `--server URL[,URL...]` | the MDM server's base URL (required); several replicas' URLs, comma-separated, spread each device's requests over them |
//! | `--devices N` | devices to run (1) |
//! | `--concurrency N` | devices talking to the server at once (64) |
//! | `--polls K` | polls per device after enrollment (1) |
//! | `--interval S` | seconds between one device's polls (0; 10 with `--forever`) |
//! | `--forever` | keep polling until Ctrl-C |
//! | `--not-now N` | answer every N-th new command `NotNow` first |
//! | `--prefix P` | seed of UDIDs and serial numbers (`sim`) |
//! | `--first-index I` | index of the first device (0) |
//! | `--key rsa\|p256` | device key type (`rsa`, size from the SCEP payload) |
//! | `--ca PEM` | pin the enrollment profile's signer to these anchors (any signer) |
//! | `--allow-unsigned` | accept an unsigned enrollment profile |
//! | `--enroll-path P` | path of the enrollment profile (`/mdm/enroll`) |
//! | `--timeout S` | seconds per HTTP request (30) |
//! | `--key-cache DIR` | keep the generated device keys in DIR and reuse them on later runs |
//! | `--keys-during-enrollment` | generate each key inside its enrollment (default: all keys first, untimed) |
//! | `--json` | print the report as JSON |
//!
//! Logs go to stderr; `RUST_LOG=info` shows each enrollment and answer (default `warn`).
//! The exit status is 1 when any device failed.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Duration;

use mdm_examples::sim::{KeyChoice, SimConfig, run_until};
use mdm_examples::{Args, CliError};

const USAGE: &str = "usage: device-sim --server URL[,URL...] [--devices N] [--concurrency N] [--polls K] \
[--interval S] [--forever] [--not-now N] [--prefix P] [--first-index I] [--key rsa|p256] \
[--ca PEM] [--allow-unsigned] [--enroll-path P] [--timeout S] [--key-cache DIR] [--keys-during-enrollment] [--json]";

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let code = match real_main() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("device-sim: {e}");
            1
        }
    };
    std::process::exit(code);
}

fn real_main() -> Result<bool, CliError> {
    let mut args = Args::new(std::env::args().skip(1).collect());
    if args.flag("--help") || args.flag("-h") {
        println!("{USAGE}");
        return Ok(true);
    }
    let cfg = parse(&mut args)?;
    let json = args.flag("--json");
    args.finish()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio runtime", e))?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let report = runtime
        .block_on(run_until(&cfg, shutdown))
        .map_err(|e| CliError::context("device-sim", e))?;
    if json {
        mdm_examples::print_json(&report.to_json())?;
    } else {
        print!("{report}");
    }
    Ok(report.errors == 0)
}

fn parse(args: &mut Args) -> Result<SimConfig, CliError> {
    let mut cfg = SimConfig::new(args.required("--server")?);
    if let Some(n) = number(args, "--devices")? {
        cfg.devices = n;
    }
    if let Some(n) = number(args, "--concurrency")? {
        if n == 0 {
            return Err("--concurrency must be at least 1".into());
        }
        cfg.concurrency = n;
    }
    if let Some(n) = number(args, "--polls")? {
        cfg.polls = n;
    }
    cfg.forever = args.flag("--forever");
    cfg.interval = match seconds(args, "--interval")? {
        Some(d) => d,
        None if cfg.forever => Duration::from_secs(10),
        None => Duration::ZERO,
    };
    if let Some(n) = number(args, "--not-now")? {
        let n = u32::try_from(n).map_err(|_| CliError::from("--not-now is too large"))?;
        cfg.not_now_every = (n > 0).then_some(n);
    }
    if let Some(p) = args.value("--prefix")? {
        cfg.prefix = p;
    }
    if let Some(n) = number(args, "--first-index")? {
        cfg.first_index = n;
    }
    if let Some(k) = args.value("--key")? {
        cfg.key = match k.as_str() {
            "rsa" => KeyChoice::Rsa,
            "p256" => KeyChoice::P256,
            other => return Err(format!("--key must be rsa or p256, not {other:?}").into()),
        };
    }
    for path in args.values("--ca")? {
        let pem = mdm_examples::read_input(&path)?;
        let certs = mdm_signing::Certificate::chain_from_pem(&pem)
            .map_err(|e| CliError::context(&path, e))?;
        if certs.is_empty() {
            return Err(format!("{path}: no certificate").into());
        }
        cfg.anchors.extend(certs);
    }
    cfg.allow_unsigned = args.flag("--allow-unsigned");
    cfg.pregenerate_keys = !args.flag("--keys-during-enrollment");
    cfg.key_cache = args.value("--key-cache")?.map(std::path::PathBuf::from);
    if let Some(p) = args.value("--enroll-path")? {
        cfg.enroll_path = p;
    }
    if let Some(d) = seconds(args, "--timeout")? {
        cfg.request_timeout = d;
    }
    Ok(cfg)
}

fn number(args: &mut Args, name: &str) -> Result<Option<usize>, CliError> {
    args.value(name)?
        .map(|v| {
            v.parse::<usize>()
                .map_err(|_| CliError(format!("{name} needs a whole number, not {v:?}")))
        })
        .transpose()
}

fn seconds(args: &mut Args, name: &str) -> Result<Option<Duration>, CliError> {
    args.value(name)?
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| CliError(format!("{name} needs a number of seconds, not {v:?}")))
        })
        .transpose()
}
