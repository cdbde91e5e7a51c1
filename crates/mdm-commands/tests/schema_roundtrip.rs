//! For every command in the schema: a command built from its required keys (with values of
//! the schema's types) decodes into the generated type, re-encodes to exactly the same
//! dictionary (same keys, same value types), and survives a trip through XML bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::panic
)]

use mdm_codegen::ir::{Key, Literal, Presence, Subkeys, ValueType};
use mdm_commands::{AnyCommand, AnyRequest, CommandUuid, RequestType};
use mdm_plist::{Data, Date, Dictionary, Value};

fn sample(key: &Key) -> Value {
    match key.value_type {
        ValueType::String => {
            let from_list = key.range_list.iter().find_map(|l| match l {
                Literal::String(s) => Some(s.clone()),
                _ => None,
            });
            let from_children = key.children().first().map(|k| k.name.clone());
            Value::String(from_list.or(from_children).unwrap_or_else(|| "x".into()))
        }
        ValueType::Integer => {
            let v = key
                .range_list
                .iter()
                .find_map(|l| match l {
                    Literal::Integer(i) => Some(*i),
                    _ => None,
                })
                .unwrap_or(1);
            Value::Integer(v.into())
        }
        ValueType::Real => Value::Real(1.5),
        ValueType::Boolean => Value::Boolean(true),
        ValueType::Date => Value::Date(Date::from(std::time::SystemTime::UNIX_EPOCH)),
        ValueType::Data => Value::Data(Data::new(vec![1, 2, 3]).into()),
        ValueType::Any => Value::String("any".into()),
        ValueType::Array => match &key.subkeys {
            Subkeys::Keys(items) => match items.first() {
                Some(first) => Value::Array(vec![sample(first)]),
                None => Value::Array(Vec::new()),
            },
            _ => Value::Array(Vec::new()),
        },
        ValueType::Dictionary => {
            let mut d = Dictionary::new();
            for child in key.children() {
                if child.is_any_placeholder() {
                    continue;
                }
                if child.presence == Presence::Required || child.name == "Item" {
                    d.insert(child.name.clone(), sample(child));
                }
            }
            Value::Dictionary(d)
        }
    }
}

#[test]
fn every_command_from_required_keys_round_trips() {
    let Some(dir) =
        mdm_testsupport::corpus_path("mdm-commands schema round trip", "apple-device-management")
    else {
        return;
    };
    let schema = mdm_codegen::load::load_schema(&dir, None).unwrap();
    let files = mdm_codegen::commands::command_files(&schema);
    assert_eq!(files.len(), 66);
    assert_eq!(RequestType::ALL.len(), 66);
    for file in files {
        let rt_name = file.payload.request_type.clone().unwrap();
        let rt = RequestType::from(rt_name.as_str());
        assert!(rt.is_known(), "{rt_name} missing from RequestType");
        let mut dict = Dictionary::new();
        for key in &file.payload_keys {
            if key.presence == Presence::Required {
                dict.insert(key.name.clone(), sample(key));
            }
        }
        let typed = AnyRequest::from_dictionary(&rt, dict.clone())
            .unwrap_or_else(|e| panic!("{rt_name}: {e}"));
        assert!(!matches!(typed, AnyRequest::Other(_)), "{rt_name} untyped");
        assert_eq!(typed.request_type(), Some(rt.clone()));
        let back = typed.to_dictionary().unwrap();
        assert_eq!(back, dict, "{rt_name}: re-encoded keys or types differ");

        let cmd = AnyCommand {
            command_uuid: CommandUuid::new("C0FFEE").unwrap(),
            request_type: rt.clone(),
            payload: typed,
            extra: Dictionary::new(),
        };
        let xml = cmd.encode().unwrap();
        let decoded = AnyCommand::decode(&xml).unwrap();
        assert_eq!(decoded, cmd, "{rt_name}: XML round trip");
        assert_eq!(rt.schema_path(), Some(file.path.as_str()));
        assert_eq!(rt.has_typed_response(), file.response_keys.is_some());
    }
}

#[test]
fn thirty_five_commands_have_typed_responses() {
    let typed = RequestType::ALL
        .iter()
        .filter(|t| RequestType::from(**t).has_typed_response())
        .count();
    assert_eq!(typed, 35);
}
