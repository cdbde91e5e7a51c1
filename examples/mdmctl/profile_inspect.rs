//! `mdmctl inspect profile FILE [--validate [--platform P --version V]]`.

use mdm_examples::{Args, CliError, plist_to_json, print_json, read_input};
use mdm_plist::Value;
use mdm_profiles::{Platform, Profile, Version};
use serde_json::{Map, Value as Json};

const USAGE: &str =
    "usage: mdmctl inspect profile FILE [--validate [--platform macOS --version 14.0]]";

/// Decodes a `.mobileconfig` and prints its top-level keys and each payload's type,
/// identifier, UUID and fields as JSON; with `--validate`, the problems too.
pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let validate = args.flag("--validate");
    let platform = args.value("--platform")?;
    let version = args.value("--version")?;
    let path = args.positional().ok_or(USAGE)?;
    args.finish()?;
    let target = match (platform, version) {
        (Some(p), Some(v)) => {
            let p: Platform = p.parse().map_err(|e| CliError::context("--platform", e))?;
            let v: Version = v.parse().map_err(|e| CliError::context("--version", e))?;
            Some((p, v))
        }
        (None, None) => None,
        _ => return Err("--platform and --version go together".into()),
    };
    if target.is_some() && !validate {
        return Err("--platform and --version need --validate".into());
    }
    let bytes = read_input(&path)?;
    let decoded =
        mdm_profiles::Decoded::decode(&bytes).map_err(|e| CliError::context("profile", e))?;
    let mut out = top_level(&decoded.profile)?;
    let mut payloads = Vec::new();
    for p in &decoded.profile.payload_content {
        let mut entry = Map::new();
        let common = p.common();
        entry.insert(
            "PayloadType".into(),
            Json::String(p.payload_type().to_owned()),
        );
        entry.insert(
            "Typed".into(),
            Json::Bool(!matches!(p, mdm_profiles::Payload::Unknown { .. })),
        );
        for (key, value) in [
            ("PayloadIdentifier", common.identifier),
            ("PayloadUUID", common.uuid),
            ("PayloadDisplayName", common.display_name),
        ] {
            if let Some(v) = value {
                entry.insert(key.into(), Json::String(v.to_owned()));
            }
        }
        let body = p.body().map_err(|e| CliError::context("payload", e))?;
        entry.insert("Fields".into(), plist_to_json(&Value::Dictionary(body)));
        payloads.push(Json::Object(entry));
    }
    out.insert("PayloadContent".into(), Json::Array(payloads));
    if validate {
        let problems = match target {
            Some((p, v)) => decoded.problems_for(p, v),
            None => decoded.problems(),
        };
        let problems = problems
            .iter()
            .map(|p| {
                let mut m = Map::new();
                m.insert(
                    "severity".into(),
                    Json::String(
                        match p.severity {
                            mdm_profiles::Severity::Error => "error",
                            _ => "warning",
                        }
                        .into(),
                    ),
                );
                m.insert("path".into(), Json::String(p.path.clone()));
                m.insert("message".into(), Json::String(p.message.clone()));
                Json::Object(m)
            })
            .collect();
        out.insert("Problems".into(), Json::Array(problems));
    }
    print_json(&Json::Object(out))
}

fn top_level(profile: &Profile) -> Result<Map<String, Json>, CliError> {
    let value = profile
        .to_value()
        .map_err(|e| CliError::context("profile", e))?;
    let mut out = Map::new();
    if let Value::Dictionary(d) = value {
        for (k, v) in d {
            if k != "PayloadContent" {
                out.insert(k, plist_to_json(&v));
            }
        }
    }
    Ok(out)
}
