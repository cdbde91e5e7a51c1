//! `mdmctl axm`: the Apple School and Business Manager API from the command line.
//!
//! ```text
//! every verb takes: --client-id ID --key-id KID --key KEY.pem [--url BASE] [--token-url URL]
//!                   [--timeout SECONDS] [--retries N]
//!   (BASE defaults to the portal of the client id: api-business.apple.com for BUSINESSAPI.
//!   ids, api-school.apple.com otherwise; a --token-url ending in /v2/token gets the
//!   parameters in a form body, any other in the query string)
//! mdmctl axm devices [--fields a,b] [--limit N]   every page: {"devices": [...]}
//! mdmctl axm device SERIAL [--fields a,b]
//! mdmctl axm device-server SERIAL                  {"server_id": ..., "server": ...}
//! mdmctl axm coverage SERIAL                       AppleCare coverage
//! mdmctl axm servers                               {"servers": [...]}
//! mdmctl axm server-devices SERVER_ID              {"serial_numbers": [...]}
//! mdmctl axm assign --server SERVER_ID SERIAL... [--wait]
//! mdmctl axm unassign --server SERVER_ID SERIAL... [--wait]
//! mdmctl axm migrate --server SERVER_ID --deadline RFC3339 SERIAL... [--wait]
//! mdmctl axm update-deadline --deadline RFC3339 SERIAL... [--wait]
//! mdmctl axm cancel-migration SERIAL... [--wait]
//! mdmctl axm release SERIAL... --yes [--wait]      removes the devices from the organization
//! mdmctl axm activity ACTIVITY_ID [--log]          --log: the CSV log of a completed one
//! ```
//!
//! `SERIAL` may be `@FILE` (one serial a line). `--wait` polls the activity until it ends
//! (first after `--poll-interval SECONDS`, default 1, doubling up to 30 s, for at most
//! `--wait-max SECONDS`, default 600) and prints it with its per-device log; it exits 1
//! when the activity failed or any device's row did not succeed. JSON goes to stdout; any
//! error is one line on stderr and exit 1.

use std::time::Duration;

use mdm_axm::{
    ActivityLog, ActivityPoll, ActivityRequest, Client, Config, Credentials, GetOrgDevice,
    ListMdmServerDevices, ListMdmServers, ListOrgDevices, SerialNumber, SigningKey,
    TokenRequestStyle,
};
use mdm_examples::{Args, CliError, print_json, read_input};
use serde_json::{Value, json};

/// Most serial numbers accepted on one command line (files included).
const MAX_SERIALS: usize = 100_000;

const USAGE: &str = "usage: mdmctl axm devices|device|device-server|coverage|servers|server-devices|assign|unassign|migrate|update-deadline|cancel-migration|release|activity ... --client-id ID --key-id KID --key KEY.pem [--url BASE] [--token-url URL]";

pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let verb = args.positional().ok_or(USAGE)?;
    let client = client(&mut args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio runtime", e))?;
    let out = runtime.block_on(dispatch(&client, &verb, args))?;
    print_json(&out.json)?;
    match out.failed {
        0 => Ok(()),
        n => Err(CliError(format!(
            "{n} devices did not succeed (see the JSON on stdout)"
        ))),
    }
}

fn client(args: &mut Args) -> Result<Client, CliError> {
    let client_id = args.required("--client-id")?;
    let key_id = args.required("--key-id")?;
    let key_file = args.required("--key")?;
    let key = SigningKey::from_pem(&read_input(&key_file)?)
        .map_err(|e| CliError::context(&key_file, e))?;
    let creds =
        Credentials::new(client_id, key_id, key).map_err(|e| CliError::context("axm", e))?;
    let mut config = Config::for_credentials(&creds);
    if let Some(url) = args.value("--url")? {
        config = config
            .with_base_url(&url)
            .map_err(|e| CliError::context("--url", e))?;
    }
    if let Some(url) = args.value("--token-url")? {
        let style = if url.trim_end_matches('/').ends_with("/v2/token") {
            TokenRequestStyle::Form
        } else {
            TokenRequestStyle::Query
        };
        config = config
            .with_token_url(&url)
            .map_err(|e| CliError::context("--token-url", e))?
            .with_token_style(style);
    }
    let timeout = seconds(args, "--timeout", 60.0)?;
    let retries = match args.value("--retries")? {
        None => 3,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| CliError(format!("--retries needs a whole number, got {v:?}")))?,
    };
    let config = config
        .with_user_agent(concat!("mdmctl/", env!("CARGO_PKG_VERSION")))
        .map_err(|e| CliError::context("client", e))?;
    Client::builder(config, creds)
        .timeout(timeout)
        .max_retries(retries)
        .build()
        .map_err(|e| CliError::context("client", e))
}

struct Output {
    json: Value,
    failed: usize,
}

impl From<Value> for Output {
    fn from(json: Value) -> Self {
        Output { json, failed: 0 }
    }
}

fn axm(e: mdm_axm::Error) -> CliError {
    CliError::context("axm", e)
}

async fn dispatch(client: &Client, verb: &str, mut args: Args) -> Result<Output, CliError> {
    match verb {
        "devices" => {
            let mut list = ListOrgDevices::new();
            if let Some(f) = args.value("--fields")? {
                list = list.with_fields(split_fields(&f)).map_err(axm)?;
            }
            if let Some(l) = args.value("--limit")? {
                let l = l
                    .parse::<u32>()
                    .map_err(|_| CliError(format!("--limit needs a whole number, got {l:?}")))?;
                list = list.with_limit(l).map_err(axm)?;
            }
            args.finish()?;
            let devices = client.org_devices(list).await.map_err(axm)?;
            Ok(json!({"devices": to_json(&devices)?}).into())
        }
        "device" => {
            let serial = one_serial(&mut args, "mdmctl axm device SERIAL")?;
            let mut get = GetOrgDevice::new(serial);
            if let Some(f) = args.value("--fields")? {
                get = get.with_fields(split_fields(&f)).map_err(axm)?;
            }
            args.finish()?;
            let doc = client.call(&get).await.map_err(axm)?;
            Ok(to_json(&doc.data)?.into())
        }
        "device-server" => {
            let serial = one_serial(&mut args, "mdmctl axm device-server SERIAL")?;
            args.finish()?;
            let id = client
                .assigned_server_id(serial.clone())
                .await
                .map_err(axm)?;
            let server = match &id {
                Some(_) => Some(client.assigned_server(serial).await.map_err(axm)?.data),
                None => None,
            };
            Ok(json!({"server_id": id, "server": to_json(&server)?}).into())
        }
        "coverage" => {
            let serial = one_serial(&mut args, "mdmctl axm coverage SERIAL")?;
            args.finish()?;
            let c = client.apple_care_coverage(serial).await.map_err(axm)?;
            Ok(json!({"coverage": to_json(&c)?}).into())
        }
        "servers" => {
            args.finish()?;
            let s = client
                .mdm_servers(ListMdmServers::new())
                .await
                .map_err(axm)?;
            Ok(json!({"servers": to_json(&s)?}).into())
        }
        "server-devices" => {
            let id = args
                .positional()
                .ok_or("usage: mdmctl axm server-devices SERVER_ID")?;
            args.finish()?;
            let list = ListMdmServerDevices::new(id)
                .with_limit(mdm_axm::MAX_PAGE_LIMIT)
                .map_err(axm)?;
            let linked = client.mdm_server_devices(list).await.map_err(axm)?;
            let serials: Vec<&str> = linked.iter().map(|l| l.id.as_str()).collect();
            Ok(json!({"serial_numbers": serials}).into())
        }
        "assign" | "unassign" | "migrate" | "update-deadline" | "cancel-migration" | "release" => {
            let server = args.value("--server")?;
            let deadline = args
                .value("--deadline")?
                .map(|d| parse_deadline(&d))
                .transpose()?;
            let yes = args.flag("--yes");
            let wait = wait_policy(&mut args)?;
            let serials = serials(&mut args)?;
            args.finish()?;
            let request = activity_request(verb, server, deadline, yes, serials)?;
            let created = client.create_activity(request).await.map_err(axm)?;
            match wait {
                None => Ok(to_json(&created)?.into()),
                Some((first, max)) => {
                    let poll = ActivityPoll::new(&created.id)
                        .first_interval(first)
                        .max_interval(Duration::from_secs(30).max(first))
                        .max_wait(max);
                    finish(client, &created.id, poll).await
                }
            }
        }
        "activity" => {
            let id = args
                .positional()
                .ok_or("usage: mdmctl axm activity ACTIVITY_ID [--log]")?;
            let log = args.flag("--log");
            args.finish()?;
            let a = client.activity(&id).await.map_err(axm)?;
            if !log {
                return Ok(json!({"activity": to_json(&a)?}).into());
            }
            let url = a.attributes.download_url.as_deref().ok_or_else(|| {
                CliError(format!(
                    "activity {id} has no log yet (it is not COMPLETED)"
                ))
            })?;
            let log = client.activity_log(url).await.map_err(axm)?;
            Ok(json!({"activity": to_json(&a)?, "log": log_json(&log)?}).into())
        }
        other => Err(CliError(format!("unknown axm verb {other:?}; {USAGE}"))),
    }
}

fn activity_request(
    verb: &str,
    server: Option<String>,
    deadline: Option<mdm_axm::DateTime<mdm_axm::Utc>>,
    yes: bool,
    serials: Vec<SerialNumber>,
) -> Result<ActivityRequest, CliError> {
    let needs = |what: &str| CliError(format!("mdmctl axm {verb} needs {what}"));
    let refuse = |what: &str| CliError(format!("mdmctl axm {verb} takes no {what}"));
    let takes_server = matches!(verb, "assign" | "unassign" | "migrate");
    let takes_deadline = matches!(verb, "migrate" | "update-deadline");
    if !takes_server && server.is_some() {
        return Err(refuse("--server"));
    }
    if !takes_deadline && deadline.is_some() {
        return Err(refuse("--deadline"));
    }
    let server = || server.clone().ok_or_else(|| needs("--server SERVER_ID"));
    let deadline = || deadline.ok_or_else(|| needs("--deadline RFC3339"));
    let r = match verb {
        "assign" => ActivityRequest::assign(server()?, serials),
        "unassign" => ActivityRequest::unassign(server()?, serials),
        "migrate" => {
            ActivityRequest::assign_with_migration_deadline(server()?, serials, deadline()?)
        }
        "update-deadline" => ActivityRequest::update_migration_deadline(serials, deadline()?),
        "cancel-migration" => ActivityRequest::cancel_migration(serials),
        _ => {
            if !yes {
                return Err(
                    "release removes the devices from the organization for good; add --yes".into(),
                );
            }
            ActivityRequest::release(serials)
        }
    };
    r.map_err(axm)
}

fn parse_deadline(text: &str) -> Result<mdm_axm::DateTime<mdm_axm::Utc>, CliError> {
    mdm_axm::parse_date(text)
        .ok_or_else(|| CliError(format!("--deadline {text:?} is not an RFC 3339 date")))
}

fn split_fields(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect()
}

fn one_serial(args: &mut Args, usage: &str) -> Result<SerialNumber, CliError> {
    let s = args
        .positional()
        .ok_or_else(|| CliError(format!("usage: {usage}")))?;
    SerialNumber::new(s).map_err(|e| CliError::context("serial number", e))
}

/// The positional serial numbers, `@FILE` expanded (one a line).
fn serials(args: &mut Args) -> Result<Vec<SerialNumber>, CliError> {
    let mut out = Vec::new();
    while let Some(v) = args.positional() {
        let values = match v.strip_prefix('@') {
            Some(file) => String::from_utf8(read_input(file)?)
                .map_err(|_| CliError(format!("{file} is not UTF-8 text")))?
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            None => vec![v],
        };
        for s in values {
            out.push(SerialNumber::new(s).map_err(|e| CliError::context("serial number", e))?);
        }
        if out.len() > MAX_SERIALS {
            return Err(CliError(format!("more than {MAX_SERIALS} serial numbers")));
        }
    }
    if out.is_empty() {
        return Err("give at least one SERIAL (or @FILE)".into());
    }
    Ok(out)
}

/// `--wait` with its first poll interval and its budget.
fn wait_policy(args: &mut Args) -> Result<Option<(Duration, Duration)>, CliError> {
    let wait = args.flag("--wait");
    let first = seconds(args, "--poll-interval", 1.0)?;
    let max = seconds(args, "--wait-max", 600.0)?;
    Ok(wait.then_some((first, max)))
}

fn seconds(args: &mut Args, name: &str, default: f64) -> Result<Duration, CliError> {
    let v = match args.value(name)? {
        None => default,
        Some(v) => v
            .parse::<f64>()
            .map_err(|_| CliError(format!("{name} needs a number of seconds, got {v:?}")))?,
    };
    if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
        return Err(CliError(format!(
            "{name} must be between 0 and 86400 seconds"
        )));
    }
    Ok(Duration::from_secs_f64(v))
}

/// Waits for the activity, then reads its log: the JSON has both, and every row that did
/// not succeed counts as a failure.
async fn finish(client: &Client, id: &str, poll: ActivityPoll) -> Result<Output, CliError> {
    let done = client.wait_for_activity(id, poll).await.map_err(axm)?;
    let Some(url) = done.attributes.download_url.as_deref() else {
        return Ok(json!({"activity": to_json(&done)?}).into());
    };
    let log = client.activity_log(url).await.map_err(axm)?;
    let failed = log
        .rows
        .iter()
        .filter(|r| {
            !r.status
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("success"))
        })
        .count();
    Ok(Output {
        json: json!({"activity": to_json(&done)?, "log": log_json(&log)?}),
        failed,
    })
}

fn log_json(log: &ActivityLog) -> Result<Value, CliError> {
    to_json(&log.rows)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, CliError> {
    serde_json::to_value(v).map_err(|e| CliError::context("json", e))
}
