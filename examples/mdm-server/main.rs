//! `mdm-server`: a working MDM server on an embedded SQLite store, or on PostgreSQL for
//! several replicas.
//!
//! ```text
//! cargo run --example mdm-server [-- --data DIR] [--listen ADDR] [--public-url URL]
//!                                    [--database postgres://user@host:port/db]
//! ```
//!
//! The first run creates the data directory (default `mdm-server-data/`): `config.json`
//! (listen address, API key, SCEP challenge, optional push certificate), the CA that
//! issues device identities and signs the enrollment profile, and `mdm.sqlite`. The
//! pieces live in `mdm_examples::server`; this file only reads arguments, sets up logging
//! and waits for Ctrl-C.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use mdm_examples::server::{Options, start};
use mdm_examples::{Args, CliError};

const USAGE: &str =
    "usage: mdm-server [--data DIR] [--listen ADDR] [--public-url URL] [--database URL]

  --data DIR         data directory, created on first run (default: mdm-server-data)
  --listen ADDR      address to listen on (default: config.json's, 127.0.0.1:9440)
  --public-url URL   base URL devices use, if not http://<listen address>
  --database URL     postgres://user:password@host:port/db to share one database between
                     replicas (default: config.json's database, else DIR/mdm.sqlite)
Logs go to stderr; RUST_LOG sets the level (default: info).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        let _ = writeln!(std::io::stdout(), "{USAGE}");
        return ExitCode::SUCCESS;
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(Args::new(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut args: Args) -> Result<(), CliError> {
    let opts = Options {
        data_dir: PathBuf::from(
            args.value("--data")?
                .unwrap_or_else(|| "mdm-server-data".to_owned()),
        ),
        listen: args.value("--listen")?,
        public_url: args.value("--public-url")?,
        database: args.value("--database")?,
    };
    args.finish()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio", e))?;
    runtime.block_on(async move {
        let mut server = start(opts).await.map_err(CliError)?;
        banner(&server);
        let stop = server.shutdown_handle();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::info!("shutting down: finishing requests in flight");
                if let Some(tx) = stop {
                    let _ = tx.send(());
                }
            }
        });
        server.wait().await.map_err(CliError)
    })
}

fn banner(s: &mdm_examples::server::Running) {
    // Written with errors ignored: a closed stdout must not take the server down.
    let mut lines: Vec<String> = Vec::new();
    let url = &s.base_url;
    let dir = s.data_dir.display();
    let created = if s.created { " (created now)" } else { "" };
    lines.push(format!(
        "mdm-server listening on http://{} with data in {dir}{created}",
        s.addr
    ));
    lines.push(String::new());
    lines.push(format!(
        "  enrollment profile:  curl -o enroll.mobileconfig {url}/mdm/enroll"
    ));
    lines.push(format!("  simulated devices:   cargo run --example device-sim -- --server {url} --devices 3 --forever"));
    lines.push(format!(
        "  list devices:        curl -H 'Authorization: Bearer {}' {url}/api/v1/devices",
        s.api_key
    ));
    lines.push(format!(
        "  queue a command:     curl -H 'Authorization: Bearer {}' {url}/api/v1/commands \\",
        s.api_key
    ));
    lines.push(
        r#"                         -d '{"all":true,"request_type":"DeviceInformation","payload":{"Queries":["DeviceName","OSVersion"]}}'"#
            .to_owned(),
    );
    lines.push(format!(
        "  read its results:    curl -H 'Authorization: Bearer {}' {url}/api/v1/commands/<command_uuid>",
        s.api_key
    ));
    lines.push(String::new());
    if s.push_on {
        lines.push(format!("  pushes: on, topic {}", s.topic));
    } else {
        lines.push(
            "  pushes: off (no push certificate in config.json): devices see commands when they poll"
                .to_owned(),
        );
    }
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}
