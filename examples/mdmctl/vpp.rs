//! `mdmctl vpp`: the Apps and Books (VPP v2) API from the command line.
//!
//! ```text
//! every verb takes: --stoken FILE [--url BASE] [--mdm-id ID] [--timeout SECONDS] [--retries N]
//!   (BASE defaults to https://vpp.itunes.apple.com/mdm/v2; the client reads
//!   BASE/service/config and then follows its urls; --mdm-id checks that the location is
//!   managed by that MDM)
//! mdmctl vpp config                                    client config
//! mdmctl vpp config set [--mdm-id ID --mdm-name N [--mdm-metadata M]]
//!                       [--notification-url U --notification-token T] [--notification-type T...]
//! mdmctl vpp assets [--product-type App|Book]           every page: {"assets": [...], "version_id": ...}
//! mdmctl vpp assignments [--adam-id ID] [--serial S] [--user U] [--since-version V]
//! mdmctl vpp assign --adam-id ID [--pricing STDQ|PLUS] (--serial S... | --user U...) [--wait]
//! mdmctl vpp unassign --adam-id ID [--pricing STDQ|PLUS] (--serial S... | --user U...) [--wait]
//! mdmctl vpp revoke (--serial S... | --user U...) [--wait]
//! mdmctl vpp users [--active-only]
//! mdmctl vpp user create|update|retire ID... [--email E] [--wait]
//! mdmctl vpp status EVENT_ID
//! ```
//!
//! `--serial` and `--user` repeat, and `@FILE` reads one value per line. `--wait` follows
//! the events to their end and prints per-item results, polling `status` every 30 s
//! (`--poll-interval SECONDS` changes it); it exits 1 when any item failed. JSON goes to
//! stdout; any error is one line on stderr and exit 1. The notification token is never
//! printed.

use std::time::Duration;

use mdm_examples::{Args, CliError, print_json, read_input};
use mdm_vpp::{
    AdamId, Asset, AssetsQuery, AssignmentsQuery, BulkOutcome, Client, ClientConfigRequest,
    ClientUserId, ContentToken, EventId, ManageAssetsRequest, ManageUsersRequest, MdmInfo,
    NotificationType, PricingParam, ProductType, RequestUser, RetryPolicy, RevokeAssetsRequest,
    Secret, SerialNumber, UsersQuery, WaitPolicy,
};
use serde_json::{Value, json};

/// Most `--serial` / `--user` values accepted (files included).
const MAX_ITEMS: usize = 1_000_000;

pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let verb = args.positional().ok_or(
        "usage: mdmctl vpp config|assets|assignments|assign|unassign|revoke|users|user|status ... --stoken FILE [--url BASE]",
    )?;
    let token_file = args.required("--stoken")?;
    let token = ContentToken::decode(&read_input(&token_file)?)
        .map_err(|e| CliError::context(&token_file, e))?;
    let base = args
        .value("--url")?
        .unwrap_or_else(|| mdm_vpp::DEFAULT_BASE_URL.to_owned());
    let timeout = seconds(&mut args, "--timeout", 60.0)?;
    let retries = match args.value("--retries")? {
        None => 3,
        Some(v) => v
            .parse::<u32>()
            .map_err(|_| CliError(format!("--retries needs a whole number, got {v:?}")))?,
    };
    let owner = match verb.as_str() {
        "config" => None, // `config set --mdm-id` sets it instead
        _ => args.value("--mdm-id")?,
    };
    let mut builder = Client::builder(token)
        .base_url(base)
        .timeout(timeout)
        .retry(RetryPolicy::default().with_max_retries(retries));
    if let Some(id) = owner {
        builder = builder.mdm_info(MdmInfo::new(id, ""));
    }
    let client = builder
        .build()
        .map_err(|e| CliError::context("client", e))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio runtime", e))?;
    let out = runtime.block_on(dispatch(&client, &verb, args))?;
    print_json(&out.json)?;
    match out.failed {
        0 => Ok(()),
        n => Err(CliError(format!(
            "{n} items failed (see the JSON on stdout)"
        ))),
    }
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

async fn dispatch(client: &Client, verb: &str, mut args: Args) -> Result<Output, CliError> {
    let vpp = |e: mdm_vpp::Error| CliError::context("vpp", e);
    match verb {
        "config" => {
            if args.positional().as_deref() == Some("set") {
                let body = config_request(&mut args)?;
                args.finish()?;
                let c = client.update_client_config(&body).await.map_err(vpp)?;
                return Ok(redacted(to_json(&c)?).into());
            }
            args.finish()?;
            let c = client.client_config().await.map_err(vpp)?;
            Ok(redacted(to_json(&c)?).into())
        }
        "assets" => {
            let query = AssetsQuery {
                product_type: args
                    .value("--product-type")?
                    .map(|p| ProductType::from_wire(&p)),
                ..AssetsQuery::default()
            };
            args.finish()?;
            let mut pages = client.assets(&query);
            let items = pages.collect_items().await.map_err(vpp)?;
            Ok(
                json!({"assets": items, "version_id": pages.version_id(), "pages": pages.pages()})
                    .into(),
            )
        }
        "assignments" => {
            let query = AssignmentsQuery {
                adam_id: args
                    .value("--adam-id")?
                    .map(AdamId::new)
                    .transpose()
                    .map_err(vpp)?,
                serial_number: args
                    .value("--serial")?
                    .map(SerialNumber::new)
                    .transpose()
                    .map_err(|e| CliError::context("--serial", e))?,
                client_user_id: args
                    .value("--user")?
                    .map(ClientUserId::new)
                    .transpose()
                    .map_err(vpp)?,
                since_version_id: args.value("--since-version")?,
                ..AssignmentsQuery::default()
            };
            args.finish()?;
            let mut pages = client.assignments(&query);
            let items = pages.collect_items().await.map_err(vpp)?;
            Ok(json!({"assignments": items, "version_id": pages.version_id(), "pages": pages.pages()}).into())
        }
        "users" => {
            let query = UsersQuery {
                active_only: args.flag("--active-only").then_some(true),
                ..UsersQuery::default()
            };
            args.finish()?;
            let mut pages = client.users(&query);
            let items = pages.collect_items().await.map_err(vpp)?;
            Ok(
                json!({"users": items, "version_id": pages.version_id(), "pages": pages.pages()})
                    .into(),
            )
        }
        "assign" | "unassign" => {
            let adam = AdamId::new(args.required("--adam-id")?)
                .map_err(|e| CliError::context("--adam-id", e))?;
            let mut asset = Asset::new(adam);
            if let Some(p) = args.value("--pricing")? {
                asset = asset.with_pricing_param(PricingParam::from_wire(&p));
            }
            let (serials, users) = targets(&mut args)?;
            let wait = wait_policy(&mut args)?;
            args.finish()?;
            let job = ManageAssetsRequest::new([asset])
                .with_serial_numbers(serials)
                .with_client_user_ids(users);
            let events = if verb == "assign" {
                client.associate(&job).await
            } else {
                client.disassociate(&job).await
            };
            finish(client, events.map_err(vpp)?, wait).await
        }
        "revoke" => {
            let (serials, users) = targets(&mut args)?;
            let wait = wait_policy(&mut args)?;
            args.finish()?;
            let job = RevokeAssetsRequest {
                serial_numbers: serials,
                client_user_ids: users,
                ..RevokeAssetsRequest::default()
            };
            let events = client.revoke(&job).await.map_err(vpp)?;
            finish(client, events, wait).await
        }
        "user" => {
            let op = args
                .positional()
                .ok_or("usage: mdmctl vpp user create|update|retire ID... [--email E]")?;
            let email = args.value("--email")?;
            let wait = wait_policy(&mut args)?;
            let mut ids = Vec::new();
            while let Some(id) = args.positional() {
                ids.push(ClientUserId::new(id).map_err(vpp)?);
            }
            args.finish()?;
            if ids.is_empty() {
                return Err("mdmctl vpp user needs at least one user id".into());
            }
            if email.is_some() && ids.len() > 1 {
                return Err("--email applies to one user id only".into());
            }
            let job = ManageUsersRequest::new(ids.into_iter().map(|id| {
                let u = RequestUser::new(id);
                match &email {
                    Some(e) => u.with_email(e.clone()),
                    None => u,
                }
            }));
            let events = match op.as_str() {
                "create" => client.create_users(&job).await,
                "update" => client.update_users(&job).await,
                "retire" => client.retire_users(&job).await,
                other => return Err(CliError(format!("unknown user operation {other:?}"))),
            };
            finish(client, events.map_err(vpp)?, wait).await
        }
        "status" => {
            let id = args
                .positional()
                .ok_or("usage: mdmctl vpp status EVENT_ID")?;
            args.finish()?;
            let id = EventId::new(id).map_err(vpp)?;
            let s = client.status(&id).await.map_err(vpp)?;
            Ok(to_json(&s)?.into())
        }
        other => Err(CliError(format!("unknown vpp verb {other:?}"))),
    }
}

fn config_request(args: &mut Args) -> Result<ClientConfigRequest, CliError> {
    let mut body = ClientConfigRequest::default();
    match (args.value("--mdm-id")?, args.value("--mdm-name")?) {
        (Some(id), Some(name)) => {
            let mut info = MdmInfo::new(id, name);
            if let Some(m) = args.value("--mdm-metadata")? {
                info = info.with_metadata(m);
            }
            body = body.with_mdm_info(info);
        }
        (None, None) => {}
        _ => return Err("--mdm-id and --mdm-name go together".into()),
    }
    match (
        args.value("--notification-url")?,
        args.value("--notification-token")?,
    ) {
        (Some(url), Some(token)) => body = body.with_notifications(url, Secret::new(token)),
        (None, None) => {}
        _ => return Err("--notification-url and --notification-token go together".into()),
    }
    let types = args.values("--notification-type")?;
    if !types.is_empty() {
        body = body.with_notification_types(types.iter().map(|t| NotificationType::from_wire(t)));
    }
    Ok(body)
}

/// `--serial` and `--user` values, `@FILE` expanded (one value per line).
fn targets(args: &mut Args) -> Result<(Vec<SerialNumber>, Vec<ClientUserId>), CliError> {
    let serials = expand(args.values("--serial")?)?
        .into_iter()
        .map(|s| SerialNumber::new(s).map_err(|e| CliError::context("--serial", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let users = expand(args.values("--user")?)?
        .into_iter()
        .map(|u| ClientUserId::new(u).map_err(|e| CliError::context("--user", e)))
        .collect::<Result<Vec<_>, _>>()?;
    if serials.is_empty() && users.is_empty() {
        return Err("give --serial S... or --user U... (or @FILE)".into());
    }
    Ok((serials, users))
}

fn expand(values: Vec<String>) -> Result<Vec<String>, CliError> {
    let mut out = Vec::new();
    for v in values {
        match v.strip_prefix('@') {
            Some(file) => {
                let text = String::from_utf8(read_input(file)?)
                    .map_err(|_| CliError(format!("{file} is not UTF-8 text")))?;
                out.extend(
                    text.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                );
            }
            None => out.push(v),
        }
        if out.len() > MAX_ITEMS {
            return Err(CliError(format!("more than {MAX_ITEMS} items")));
        }
    }
    Ok(out)
}

fn wait_policy(args: &mut Args) -> Result<Option<WaitPolicy>, CliError> {
    let wait = args.flag("--wait");
    let interval = seconds(args, "--poll-interval", 30.0)?;
    Ok(wait.then(|| WaitPolicy::polling(interval)))
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

async fn finish(
    client: &Client,
    events: Vec<EventId>,
    wait: Option<WaitPolicy>,
) -> Result<Output, CliError> {
    let ids: Vec<&str> = events.iter().map(EventId::as_str).collect();
    let Some(policy) = wait else {
        return Ok(json!({"event_ids": ids}).into());
    };
    let outcome = client
        .wait_events(&events, policy)
        .await
        .map_err(|e| CliError::context("vpp", e))?;
    let failed = outcome.failed_serial_numbers().len() + outcome.failed_client_user_ids().len();
    let unnamed = usize::from(!outcome.is_success() && failed == 0);
    Ok(Output {
        json: json!({"event_ids": ids, "outcome": outcome_json(&outcome)?}),
        failed: failed + unnamed,
    })
}

fn outcome_json(o: &BulkOutcome) -> Result<Value, CliError> {
    let events = o
        .events
        .iter()
        .map(|e| {
            Ok(json!({
                "event_id": e.event_id.as_str(),
                "status": e.status.as_str(),
                "event_type": e.event_type.as_ref().map(|t| t.as_str()),
                "num_requested": e.num_requested,
                "num_completed": e.num_completed,
                "failures": to_json(&e.failures)?,
            }))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(json!({
        "success": o.is_success(),
        "num_requested": o.num_requested(),
        "num_completed": o.num_completed(),
        "failed_serial_numbers": o.failed_serial_numbers(),
        "failed_client_user_ids": o.failed_client_user_ids(),
        "events": events,
    }))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value, CliError> {
    serde_json::to_value(v).map_err(|e| CliError::context("json", e))
}

/// The notification bearer token is a secret: never printed.
fn redacted(mut v: Value) -> Value {
    if let Some(t) = v.get_mut("notificationAuthToken") {
        *t = Value::String("<redacted>".to_owned());
    }
    v
}
