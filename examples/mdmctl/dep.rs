//! `mdmctl dep`: the Device Assignment API (Automated Device Enrollment) from the shell.
//!
//! ```text
//! mdmctl dep keypair --out-cert CERT --out-key KEY [--cn NAME] [--days N]
//! mdmctl dep token --p7m FILE --key KEY            # prints the decrypted token as JSON
//!
//! # the API verbs take: --token FILE (the decrypted JSON, or the .p7m together with --key KEY)
//! #                     [--url BASE] (default https://mdmenrollment.apple.com)
//! #                     [--user-agent UA] (default mdmctl/VERSION) [--protocol-version N]
//! #                     [--assign-method post|put] [--timeout SECONDS]
//! mdmctl dep account
//! mdmctl dep devices [--limit N]                   # every page: {"devices": [...], "cursor": "..."}
//!                                                  # (default limit: the account's `urls`)
//! mdmctl dep sync --cursor C [--limit N]           # every page: {"devices": [...], "cursor": "..."}
//! mdmctl dep details SERIAL...
//! mdmctl dep disown SERIAL...
//! mdmctl dep activation-lock SERIAL [--escrow-key HEX64] [--lost-message TEXT]
//! mdmctl dep replacement SERIAL
//! mdmctl dep beta-tokens
//! mdmctl dep profile define FILE.json              # {"profile_uuid": ..., "devices": {...}}
//! mdmctl dep profile get UUID
//! mdmctl dep profile assign UUID SERIAL...         # final status per serial, THROTTLED retried
//! mdmctl dep profile remove SERIAL...
//! mdmctl dep ade set URL | ade get | ade remove    # account-driven enrollment profile
//! ```
//!
//! Every verb prints JSON on stdout and exits 0; any error is one line on stderr and exit 1.

use std::time::Duration;

use mdm_dep::{
    ActivationLockRequest, AssignMethod, Client, Config, DeviceSync, Error, Profile, SerialNumber,
    ServerToken, SyncPage, SyncPhase, TokenKeypair,
};
use mdm_examples::{Args, CliError, print_json, read_input};

const USAGE: &str = "usage: mdmctl dep keypair|token|account|devices|sync|details|disown|\
activation-lock|replacement|beta-tokens|profile define|get|assign|remove|ade set|get|remove";

pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let verb = args.positional().ok_or(USAGE)?;
    match verb.as_str() {
        "keypair" => keypair(args),
        "token" => token(args),
        _ => api(&verb, args),
    }
}

fn keypair(mut args: Args) -> Result<(), CliError> {
    let cert_out = args.required("--out-cert")?;
    let key_out = args.required("--out-key")?;
    let cn = args
        .value("--cn")?
        .unwrap_or_else(|| "depserver".to_owned());
    let days = match args.value("--days")? {
        None => 365,
        Some(d) => d
            .parse::<u32>()
            .map_err(|_| CliError(format!("--days needs a whole number, got {d:?}")))?,
    };
    args.finish()?;
    let pair = TokenKeypair::generate(&cn, days).map_err(|e| CliError::context("keypair", e))?;
    let cert = pair
        .certificate_pem()
        .map_err(|e| CliError::context("keypair", e))?;
    let key = pair
        .key_pem()
        .map_err(|e| CliError::context("keypair", e))?;
    write_private(&key_out, &key)?;
    std::fs::write(&cert_out, &cert).map_err(|e| CliError::context(&cert_out, e))?;
    print_json(&serde_json::json!({
        "certificate": cert_out,
        "key": key_out,
        "common_name": cn,
        "not_after": pair.certificate().not_after().map(|d| d.to_rfc3339()),
        "sha256": pair.certificate().sha256_fingerprint().ok(),
    }))
}

/// Writes a key file readable by its owner only (on Unix).
fn write_private(path: &str, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| CliError::context(path, e))
}

fn token(mut args: Args) -> Result<(), CliError> {
    let p7m = args.required("--p7m")?;
    let key = args.required("--key")?;
    args.finish()?;
    let token = ServerToken::decrypt(&read_input(&p7m)?, &read_input(&key)?)
        .map_err(|e| CliError::context(&p7m, e))?;
    print_json(&serde_json::to_value(&token).map_err(|e| CliError::context("token", e))?)
}

fn load_token(args: &mut Args) -> Result<ServerToken, CliError> {
    let file = args.required("--token")?;
    let bytes = read_input(&file)?;
    let token = match args.value("--key")? {
        Some(key) => ServerToken::decrypt(&bytes, &read_input(&key)?),
        None => ServerToken::decode(&bytes),
    };
    token.map_err(|e| CliError::context(&file, e))
}

fn serials(args: &mut Args) -> Result<Vec<SerialNumber>, CliError> {
    let mut out = Vec::new();
    while let Some(s) = args.positional() {
        out.push(SerialNumber::new(s.clone()).map_err(|e| CliError::context(&s, e))?);
    }
    if out.is_empty() {
        return Err("no serial numbers given".into());
    }
    Ok(out)
}

fn number(args: &mut Args, name: &str) -> Result<Option<u32>, CliError> {
    args.value(name)?
        .map(|v| {
            v.parse::<u32>()
                .map_err(|_| CliError(format!("{name} needs a whole number, got {v:?}")))
        })
        .transpose()
}

fn api(verb: &str, mut args: Args) -> Result<(), CliError> {
    let token = load_token(&mut args)?;
    let url = args.value("--url")?;
    let agent = args
        .value("--user-agent")?
        .unwrap_or_else(|| concat!("mdmctl/", env!("CARGO_PKG_VERSION")).to_owned());
    let version = number(&mut args, "--protocol-version")?;
    let method = match args.value("--assign-method")?.as_deref() {
        None | Some("post") => AssignMethod::Post,
        Some("put") => AssignMethod::Put,
        Some(other) => return Err(CliError(format!("--assign-method post|put, got {other:?}"))),
    };
    let timeout = number(&mut args, "--timeout")?.unwrap_or(60);
    let mut config = Config::new(&agent).map_err(|e| CliError::context("--user-agent", e))?;
    if let Some(url) = url {
        config = config
            .with_base_url(&url)
            .map_err(|e| CliError::context("--url", e))?;
    }
    if let Some(v) = version {
        config = config.with_protocol_version(v);
    }
    let config = config.with_assign_method(method);
    let client = Client::builder(config, token)
        .timeout(Duration::from_secs(u64::from(timeout)))
        .build()
        .map_err(|e| CliError::context("client", e))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio runtime", e))?;
    runtime.block_on(api_verb(verb, args, &client))
}

fn json<T: serde::Serialize>(v: &T) -> Result<(), CliError> {
    print_json(&serde_json::to_value(v).map_err(|e| CliError::context("json", e))?)
}

fn fail(what: &str) -> impl Fn(Error) -> CliError + '_ {
    move |e| CliError::context(what, e)
}

async fn api_verb(verb: &str, mut args: Args, client: &Client) -> Result<(), CliError> {
    match verb {
        "account" => {
            args.finish()?;
            json(&client.account().await.map_err(fail("account"))?)
        }
        "devices" | "sync" => {
            let limit = number(&mut args, "--limit")?;
            let mut sync = if verb == "sync" {
                let cursor = args.required("--cursor")?;
                DeviceSync::resume(SyncPhase::Sync, Some(cursor))
            } else {
                DeviceSync::new(None)
            };
            args.finish()?;
            sync = match limit {
                Some(l) => sync.with_limit(l),
                // The account's `urls` say what page size the server takes.
                None => sync.with_account_limits(&client.account().await.map_err(fail("account"))?),
            };
            let phase = sync.phase();
            while let Some(page) = client.next_page(&mut sync).await.map_err(fail(verb))? {
                print_page(&page)?;
                if !page.more_to_follow && page.phase == phase {
                    break;
                }
            }
            Ok(())
        }
        "details" => {
            let serials = serials(&mut args)?;
            args.finish()?;
            json(
                &client
                    .device_details(&serials)
                    .await
                    .map_err(fail("details"))?,
            )
        }
        "disown" => {
            let serials = serials(&mut args)?;
            args.finish()?;
            json(
                &client
                    .disown_devices(&serials)
                    .await
                    .map_err(fail("disown"))?,
            )
        }
        "activation-lock" => {
            let escrow = args.value("--escrow-key")?;
            let message = args.value("--lost-message")?;
            let mut serials = serials(&mut args)?;
            args.finish()?;
            if serials.len() != 1 {
                return Err("activation-lock takes one serial number".into());
            }
            let mut request = ActivationLockRequest::new(serials.remove(0));
            if let Some(k) = escrow {
                request = request.with_escrow_key(k);
            }
            if let Some(m) = message {
                request = request.with_lost_message(m);
            }
            json(
                &client
                    .activation_lock(request)
                    .await
                    .map_err(fail("activation lock"))?,
            )
        }
        "replacement" => {
            let serials = serials(&mut args)?;
            args.finish()?;
            let [serial] = serials.as_slice() else {
                return Err("replacement takes one serial number".into());
            };
            json(
                &client
                    .replacement_details(serial)
                    .await
                    .map_err(fail("replacement"))?,
            )
        }
        "beta-tokens" => {
            args.finish()?;
            json(
                &client
                    .beta_enrollment_tokens()
                    .await
                    .map_err(fail("beta tokens"))?,
            )
        }
        "profile" => profile(args, client).await,
        "ade" => ade(args, client).await,
        other => Err(CliError(format!("unknown verb {other:?}; {USAGE}"))),
    }
}

fn print_page(page: &SyncPage) -> Result<(), CliError> {
    use std::io::Write as _;
    let line = serde_json::json!({
        "devices": page.devices,
        "cursor": page.cursor,
        "more_to_follow": page.more_to_follow,
        "phase": page.phase,
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").map_err(|e| CliError::context("stdout", e))
}

async fn profile(mut args: Args, client: &Client) -> Result<(), CliError> {
    let sub = args
        .positional()
        .ok_or("profile define|get|assign|remove")?;
    match sub.as_str() {
        "define" => {
            let file = args.positional().ok_or("profile define FILE.json")?;
            args.finish()?;
            let profile =
                Profile::decode(&read_input(&file)?).map_err(|e| CliError::context(&file, e))?;
            json(
                &client
                    .define_profile(profile)
                    .await
                    .map_err(fail("define profile"))?,
            )
        }
        "get" => {
            let uuid = args.positional().ok_or("profile get UUID")?;
            args.finish()?;
            json(
                &client
                    .get_profile(&uuid)
                    .await
                    .map_err(fail("get profile"))?,
            )
        }
        "assign" => {
            let uuid = args.positional().ok_or("profile assign UUID SERIAL...")?;
            let serials = serials(&mut args)?;
            args.finish()?;
            let out = client
                .assign_profile(&uuid, &serials)
                .await
                .map_err(fail("assign profile"))?;
            let devices: serde_json::Map<String, serde_json::Value> = out
                .statuses
                .iter()
                .map(|(s, st)| (s.to_string(), st.as_str().into()))
                .collect();
            print_json(&serde_json::json!({
                "profile_uuid": out.profile_uuid,
                "devices": devices,
                "requests": out.requests,
                "rounds": out.rounds,
            }))
        }
        "remove" => {
            let serials = serials(&mut args)?;
            args.finish()?;
            json(
                &client
                    .remove_profile(&serials)
                    .await
                    .map_err(fail("remove profile"))?,
            )
        }
        other => Err(CliError(format!("unknown profile verb {other:?}"))),
    }
}

async fn ade(mut args: Args, client: &Client) -> Result<(), CliError> {
    let sub = args
        .positional()
        .ok_or("ade set URL | ade get | ade remove")?;
    match sub.as_str() {
        "set" => {
            let url = args.positional().ok_or("ade set URL")?;
            args.finish()?;
            client
                .set_account_driven_enrollment_profile(&url)
                .await
                .map_err(fail("set account-driven enrollment profile"))?;
            print_json(&serde_json::json!({ "mdm_service_discovery_url": url }))
        }
        "get" => {
            args.finish()?;
            json(
                &client
                    .account_driven_enrollment_profile()
                    .await
                    .map_err(fail("account-driven enrollment profile"))?,
            )
        }
        "remove" => {
            args.finish()?;
            client
                .remove_account_driven_enrollment_profile()
                .await
                .map_err(fail("remove account-driven enrollment profile"))?;
            print_json(&serde_json::json!({ "removed": true }))
        }
        other => Err(CliError(format!("unknown ade verb {other:?}"))),
    }
}
