//! `mdmctl inspect command FILE` and `mdmctl inspect response FILE [--request-type T]`.

use mdm_commands::{AnyCommand, CommandResponse, RequestType};
use mdm_examples::{Args, CliError, plist_to_json, print_json, read_input};
use mdm_plist::Value;
use serde_json::{Map, Value as Json};

/// Decodes a command plist and prints its type, identifier and typed fields as JSON.
pub(crate) fn inspect_command(mut args: Args) -> Result<(), CliError> {
    let path = args
        .positional()
        .ok_or("usage: mdmctl inspect command FILE")?;
    args.finish()?;
    let bytes = read_input(&path)?;
    let cmd = AnyCommand::decode(&bytes).map_err(|e| CliError::context("command", e))?;
    let fields = cmd
        .payload
        .to_dictionary()
        .map_err(|e| CliError::context("command", e))?;
    let mut out = Map::new();
    out.insert(
        "RequestType".into(),
        Json::String(cmd.request_type.to_string()),
    );
    out.insert("Known".into(), Json::Bool(cmd.request_type.is_known()));
    out.insert(
        "CommandUUID".into(),
        Json::String(cmd.command_uuid.to_string()),
    );
    out.insert("Command".into(), plist_to_json(&Value::Dictionary(fields)));
    if !cmd.extra.is_empty() {
        out.insert("Extra".into(), plist_to_json(&Value::Dictionary(cmd.extra)));
    }
    print_json(&Json::Object(out))
}

/// Decodes a response plist: the envelope always, the body typed when `--request-type` (or
/// the response itself) names the command it answers.
pub(crate) fn inspect_response(mut args: Args) -> Result<(), CliError> {
    let request_type = args.value("--request-type")?;
    let path = args
        .positional()
        .ok_or("usage: mdmctl inspect response FILE [--request-type T]")?;
    args.finish()?;
    let bytes = read_input(&path)?;
    let response = CommandResponse::decode(&bytes).map_err(|e| CliError::context("response", e))?;
    let mut out = Map::new();
    out.insert("Status".into(), Json::String(response.status.to_string()));
    if let Some(uuid) = &response.command_uuid {
        out.insert("CommandUUID".into(), Json::String(uuid.to_string()));
    }
    for (key, value) in [
        ("UDID", &response.udid),
        ("EnrollmentID", &response.enrollment_id),
        ("EnrollmentUserID", &response.enrollment_user_id),
        ("UserID", &response.user_id),
    ] {
        if let Some(v) = value {
            out.insert(key.into(), Json::String(v.clone()));
        }
    }
    if let Some(chain) = &response.error_chain {
        let items = chain
            .iter()
            .map(|e| {
                let mut m = Map::new();
                if let Some(c) = e.error_code {
                    m.insert("ErrorCode".into(), Json::from(c));
                }
                for (k, v) in [
                    ("ErrorDomain", &e.error_domain),
                    ("LocalizedDescription", &e.localized_description),
                    ("USEnglishDescription", &e.us_english_description),
                ] {
                    if let Some(v) = v {
                        m.insert(k.into(), Json::String(v.clone()));
                    }
                }
                Json::Object(m)
            })
            .collect();
        out.insert("ErrorChain".into(), Json::Array(items));
    }
    let rt = request_type
        .map(|t| RequestType::from(t.as_str()))
        .or_else(|| response.request_type.clone());
    match rt {
        Some(rt) => {
            if !rt.is_known() {
                return Err(CliError(format!("unknown request type {rt:?}")));
            }
            let body = response
                .body_for(&rt)
                .map_err(|e| CliError::context("response body", e))?;
            let dict = body
                .to_dictionary()
                .map_err(|e| CliError::context("response body", e))?;
            out.insert("RequestType".into(), Json::String(rt.to_string()));
            out.insert("Typed".into(), Json::Bool(rt.has_typed_response()));
            out.insert("Body".into(), plist_to_json(&Value::Dictionary(dict)));
        }
        None => {
            out.insert(
                "Body".into(),
                plist_to_json(&Value::Dictionary(response.extra.clone())),
            );
        }
    }
    print_json(&Json::Object(out))
}
