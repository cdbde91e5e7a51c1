//! `mdmctl inspect checkin FILE|-`: decode a check-in message and print it as JSON.
//!
//! The output is one object: `message_type`, the resolved enrollment (`enrollment_id`,
//! `enrollment_type`, `channel`) when the message identifies one, then every key of the
//! message under Apple's name (`<data>` as base64, dates as RFC 3339 strings).

use mdm_checkin::{Channel, CheckinMessage};
use mdm_examples::{Args, CliError, plist_to_json, print_json, read_input};
use serde_json::{Map, Value as Json};

const USAGE: &str = "usage: mdmctl inspect checkin FILE|-";

pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let path = args.positional().ok_or(USAGE)?;
    args.finish()?;
    let bytes = read_input(&path)?;
    let msg = CheckinMessage::decode(&bytes)
        .map_err(|e| CliError(format!("{path}: {}", one_line(&e.to_string()))))?;
    print_json(&to_json(&msg)?)
}

/// The JSON view of a decoded message.
fn to_json(msg: &CheckinMessage) -> Result<Json, CliError> {
    let mut out = Map::new();
    out.insert(
        "message_type".into(),
        Json::String(msg.message_type().as_str().to_owned()),
    );
    if let Ok(resolved) = msg.enrollment().resolve() {
        out.insert("enrollment_id".into(), Json::String(resolved.id()));
        out.insert(
            "enrollment_type".into(),
            Json::String(resolved.enrollment_type.as_str().to_owned()),
        );
        let channel = match resolved.channel() {
            Channel::Device => "device",
            Channel::User => "user",
        };
        out.insert("channel".into(), Json::String(channel.to_owned()));
    }
    let value = msg
        .message()
        .to_value()
        .map_err(|e| CliError::context("encode", e))?;
    if let Some(dict) = value.as_dictionary() {
        for (key, v) in dict {
            if key != "MessageType" {
                out.insert(key.clone(), plist_to_json(v));
            }
        }
    }
    Ok(Json::Object(out))
}

/// Keeps an error message on one line whatever key names or values it quotes.
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
