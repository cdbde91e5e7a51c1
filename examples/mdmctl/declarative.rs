//! `mdmctl inspect declaration FILE|-` and `mdmctl inspect status FILE|-`: decode a
//! declarative-management declaration or status report and print it as JSON.
//!
//! A declaration prints as `type`, `class`, `known` (whether this version types it),
//! `identifier`, `server_token`, `content_token` (the token `DeclarationSet` would give it),
//! `problems` (reference checks within the file alone, which finds nothing for one
//! declaration unless it refers to itself) and `declaration` (the document as re-encoded).
//! A status report prints as `full_report`, `items` (each `name`, `known`, `value`) and
//! `errors`.

use mdm_declarative::{Declaration, DeclarationSet, StatusItem, StatusReport};
use mdm_examples::{Args, CliError, print_json, read_input};
use serde_json::{Value as Json, json};

pub(crate) fn inspect_declaration(mut args: Args) -> Result<(), CliError> {
    let path = args
        .positional()
        .ok_or("usage: mdmctl inspect declaration FILE|-")?;
    args.finish()?;
    let bytes = read_input(&path)?;
    let d = Declaration::decode(&bytes)
        .map_err(|e| CliError(format!("{path}: {}", one_line(&e.to_string()))))?;
    let token = d
        .content_token()
        .map_err(|e| CliError(format!("{path}: {e}")))?;
    let document = d.to_value().map_err(|e| CliError(format!("{path}: {e}")))?;
    let ty = d.declaration_type();
    let mut set = DeclarationSet::new();
    set.insert(d.clone())
        .map_err(|e| CliError(format!("{path}: {e}")))?;
    let problems: Vec<String> = set.validate().iter().map(ToString::to_string).collect();
    let out = json!({
        "type": ty.as_str(),
        "class": d.class().map(|c| c.as_str()),
        "known": ty.is_known(),
        "identifier": d.identifier,
        "server_token": d.server_token,
        "content_token": token,
        "problems": problems,
        "declaration": document,
    });
    print_json(&out)
}

pub(crate) fn inspect_status(mut args: Args) -> Result<(), CliError> {
    let path = args
        .positional()
        .ok_or("usage: mdmctl inspect status FILE|-")?;
    args.finish()?;
    let bytes = read_input(&path)?;
    let report = StatusReport::decode(&bytes)
        .map_err(|e| CliError(format!("{path}: {}", one_line(&e.to_string()))))?;
    let mut items = Vec::new();
    for item in &report.status_items.items {
        let value = item
            .to_value()
            .map_err(|e| CliError(format!("{path}: {e}")))?;
        items.push(json!({
            "name": item.name(),
            "known": !matches!(item, StatusItem::Unknown { .. }),
            "value": value,
        }));
    }
    let errors = serde_json::to_value(&report.errors).unwrap_or(Json::Null);
    print_json(&json!({
        "full_report": report.is_full(),
        "items": items,
        "errors": errors,
    }))
}

fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_debug().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
