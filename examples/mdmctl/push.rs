//! `mdmctl push`: wake a device through APNs (or a stand-in) and report every result.
//!
//! ```text
//! mdmctl push (--cert C --key K | --p12 F [--password P]) --token HEX --magic M
//!             [--topic T] [--endpoint production|development|URL] [--alternate-port]
//!             [--ca F] [--count N] [--concurrency N] [--timeout SECONDS] [--retries N]
//!             [--ttl SECONDS]
//! ```
//!
//! The topic comes from the certificate's UID; `--topic` (what the device reported in
//! `TokenUpdate`) is checked against it. `--ca` trusts that PEM instead of the system roots
//! (for a test server or a proxy). `--count N` sends the same push N times (a load test).
//! `--ttl S` sets `apns-expiration` to now + S seconds (`0`: deliver now or never); without
//! it APNs stores the push for an offline device as it sees fit.
//! Prints one JSON line per result, then a summary line with `sent`, `ok`, `failed` and
//! `pushes_per_s`; exits 1 when any push failed.

use std::io::Write as _;
use std::time::{Duration, Instant};

use mdm_apns::{
    Client, DeviceToken, Endpoint, Error, Push, PushIdentity, PushMagic, RetryPolicy, Topic,
};
use mdm_examples::{Args, CliError, read_input};

/// Largest `--count` accepted.
const MAX_COUNT: usize = 100_000;

pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let (identity, source) = identity(&mut args)?;
    let token: DeviceToken = args
        .required("--token")?
        .parse()
        .map_err(|e| CliError::context("--token", e))?;
    let magic: PushMagic = args
        .required("--magic")?
        .parse()
        .map_err(|e| CliError::context("--magic", e))?;
    if let Some(topic) = args.value("--topic")? {
        let topic: Topic = topic.parse().map_err(|e| CliError::context("--topic", e))?;
        identity
            .check_topic(&topic)
            .map_err(|e| CliError::context("--topic", e))?;
    }
    let endpoint = match args.value("--endpoint")?.as_deref() {
        None | Some("production") => Endpoint::Production,
        Some("development") => Endpoint::Development,
        Some(url) => Endpoint::Custom(url.to_owned()),
    };
    let alternate_port = args.flag("--alternate-port");
    let ca = args.value("--ca")?.map(|f| read_input(&f)).transpose()?;
    let count = number(&mut args, "--count", 1)?;
    if count == 0 || count > MAX_COUNT {
        return Err(CliError(format!("--count must be 1 to {MAX_COUNT}")));
    }
    let concurrency = number(&mut args, "--concurrency", 500)?;
    let timeout = number(&mut args, "--timeout", 30)?;
    let retries = number(&mut args, "--retries", 3)?;
    let ttl = args
        .value("--ttl")?
        .map(|v| {
            v.parse::<u32>()
                .map_err(|_| CliError(format!("--ttl needs whole seconds, got {v:?}")))
        })
        .transpose()?;
    args.finish()?;

    let topic = identity.topic().clone();
    let mut builder = Client::builder(identity);
    builder = builder
        .endpoint(endpoint)
        .alternate_port(alternate_port)
        .concurrency(concurrency)
        .timeout(Duration::from_secs(
            u64::try_from(timeout).unwrap_or(u64::MAX),
        ))
        .retry(RetryPolicy {
            max_retries: u32::try_from(retries).unwrap_or(u32::MAX),
            ..RetryPolicy::default()
        });
    if let Some(ca) = &ca {
        builder = builder.root_certificates_pem(ca);
    }
    // Name the identity: a TLS setup error is most often about the certificate or key.
    let client = builder
        .build()
        .map_err(|e| CliError(format!("client with the identity in {source}: {e}")))?;
    let mut push = Push::new(token, magic, topic);
    push = match ttl {
        None => push,
        Some(0) => push.expire_immediately(),
        Some(s) => {
            push.with_expiration(chrono::Utc::now() + chrono::Duration::seconds(i64::from(s)))
        }
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio runtime", e))?;
    let start = Instant::now();
    let outcomes = runtime.block_on(client.push_many(std::iter::repeat_n(push, count)));
    let secs = start.elapsed().as_secs_f64();

    let mut out = std::io::stdout().lock();
    let mut ok = 0usize;
    for o in &outcomes {
        let line = match &o.result {
            Ok(d) => {
                ok += 1;
                serde_json::json!({
                    "token": o.push.token.to_hex(),
                    "ok": true,
                    "apns_id": d.apns_id.map(|id| id.to_string()),
                })
            }
            Err(e) => failure_json(&o.push.token.to_hex(), e),
        };
        writeln!(out, "{line}").map_err(|e| CliError::context("stdout", e))?;
    }
    let failed = outcomes.len() - ok;
    #[allow(clippy::cast_precision_loss)] // a push count fits an f64 exactly
    let rate = if secs > 0.0 {
        outcomes.len() as f64 / secs
    } else {
        0.0
    };
    let summary = serde_json::json!({
        "sent": outcomes.len(),
        "ok": ok,
        "failed": failed,
        "seconds": (secs * 1000.0).round() / 1000.0,
        "pushes_per_s": rate.round(),
        "endpoint": client.base_url(),
    });
    writeln!(out, "{summary}").map_err(|e| CliError::context("stdout", e))?;
    if failed > 0 {
        return Err(CliError(format!(
            "{failed} of {} pushes failed",
            outcomes.len()
        )));
    }
    Ok(())
}

/// The push identity and the file(s) it came from, for messages.
fn identity(args: &mut Args) -> Result<(PushIdentity, String), CliError> {
    if let Some(p12) = args.value("--p12")? {
        let password = args.value("--password")?.unwrap_or_default();
        let identity = PushIdentity::from_pkcs12(&read_input(&p12)?, &password)
            .map_err(|e| CliError::context(&p12, e))?;
        return Ok((identity, p12));
    }
    let cert = args
        .value("--cert")?
        .ok_or("missing --cert C --key K (or --p12 F)")?;
    let key = args.value("--key")?.unwrap_or_else(|| cert.clone());
    let source = if key == cert {
        cert.clone()
    } else {
        format!("{cert} and {key}")
    };
    let identity = PushIdentity::from_pem(&read_input(&cert)?, &read_input(&key)?)
        .map_err(|e| CliError(format!("push certificate {source}: {e}")))?;
    Ok((identity, source))
}

fn number(args: &mut Args, name: &str, default: usize) -> Result<usize, CliError> {
    match args.value(name)? {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| CliError(format!("{name} needs a whole number, got {v:?}"))),
    }
}

fn failure_json(token: &str, e: &Error) -> serde_json::Value {
    let (status, reason, timestamp) = match e {
        Error::Rejected(r) => (
            Some(r.status),
            Some(r.reason.to_string()),
            r.timestamp.map(|t| t.to_rfc3339()),
        ),
        Error::MalformedResponse { status, .. } => (Some(*status), None, None),
        _ => (None, None, None),
    };
    serde_json::json!({
        "token": token,
        "ok": false,
        "status": status,
        "reason": reason,
        "timestamp": timestamp,
        "retryable": e.is_retryable(),
        "device_gone": e.is_device_gone(),
        "error": e.to_string(),
    })
}
