//! Conformance over the real-data corpus (`mdm-messages/`): every command and command
//! response decodes, bodies are typed where the request type is known (from the command or
//! the file's name), and re-encoding what we typed gives values Python's `plistlib` reads as
//! equal to the original bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use mdm_commands::{AnyCommand, AnyResponse, CommandResponse, RequestType};
use mdm_plist::Value;

/// The request type a response file is about, from its folder or file name
/// (`InstalledApplicationList/iOS-12.1.xml`, `installed_application_list.plist`).
fn request_type_from_name(path: &Path) -> Option<RequestType> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let stem = norm(path.file_stem()?.to_str()?);
    let parent = norm(path.parent()?.file_name()?.to_str()?);
    let mut best: Option<&str> = None;
    for rt in RequestType::ALL {
        let n = norm(rt);
        if (parent == n || stem.starts_with(&n)) && best.is_none_or(|b| b.len() < rt.len()) {
            best = Some(rt);
        }
    }
    best.map(RequestType::from)
}

/// Corpus files that break the schema on purpose, with why; they must fail with a shape error.
const EXPECTED_INVALID: &[(&str, &str)] = &[(
    "DeviceInformation_empty_queries.plist",
    "a DeviceInformation command without Queries, which the schema requires",
)];

enum Kind {
    Command,
    Response,
}

fn classify(bytes: &[u8]) -> Option<Kind> {
    let value = mdm_plist::value_from_xml_bytes(bytes, &mdm_plist::Limits::default()).ok()?;
    let dict = value.as_dictionary()?;
    if dict.get("Command").and_then(Value::as_dictionary).is_some()
        && dict.contains_key("CommandUUID")
    {
        Some(Kind::Command)
    } else if dict.contains_key("Status") && !dict.contains_key("MessageType") {
        Some(Kind::Response)
    } else {
        None
    }
}

#[test]
fn corpus_commands_and_responses() {
    let Some(dir) = mdm_testsupport::corpus_path("mdm-commands conformance", "mdm-messages") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let mut pairs: Vec<(PathBuf, PathBuf)> = Vec::new();
    let (mut commands, mut responses, mut typed) = (0, 0, 0);
    let mut failures = Vec::new();
    for path in mdm_testsupport::files_under(&dir) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Some(kind) = classify(&bytes) else {
            continue;
        };
        let reencoded = match kind {
            Kind::Command => {
                commands += 1;
                let expected_invalid = EXPECTED_INVALID
                    .iter()
                    .any(|(name, _)| path.ends_with(name));
                let cmd = match AnyCommand::decode(&bytes) {
                    Ok(_) if expected_invalid => {
                        failures.push(format!("{}: decoded but should not", path.display()));
                        continue;
                    }
                    Err(e) if expected_invalid => {
                        assert!(e.is_shape(), "{}: {e}", path.display());
                        continue;
                    }
                    Ok(c) => c,
                    Err(e) => {
                        failures.push(format!("{}: {e}", path.display()));
                        continue;
                    }
                };
                assert!(
                    cmd.request_type.is_known(),
                    "{}: unknown type",
                    path.display()
                );
                cmd.encode().unwrap()
            }
            Kind::Response => {
                responses += 1;
                let mut response = CommandResponse::decode(&bytes)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let rt = response
                    .request_type
                    .clone()
                    .or_else(|| request_type_from_name(&path));
                if let Some(rt) = rt {
                    let body = match response.body_for(&rt) {
                        Ok(b) => b,
                        Err(e) => {
                            failures.push(format!("{} as {rt}: {e}", path.display()));
                            continue;
                        }
                    };
                    if matches!(body, AnyResponse::Untyped(_)) {
                        eprintln!("{}: {rt} has no typed body", path.display());
                    } else {
                        typed += 1;
                    }
                    response.extra = body.to_dictionary().unwrap();
                }
                response.encode().unwrap()
            }
        };
        let name = format!("{}.plist", pairs.len());
        let target = out.path().join(name);
        std::fs::write(&target, reencoded).unwrap();
        pairs.push((path, target));
    }
    eprintln!("commands: {commands}, responses: {responses}, typed bodies: {typed}");
    assert!(
        failures.is_empty(),
        "typed decode failed:\n{}",
        failures.join("\n")
    );
    assert!(commands >= 5 && responses >= 20, "corpus looks too small");
    assert!(typed >= 15);

    let Some(python) = mdm_testsupport::peer("mdm-commands conformance", "python3") else {
        return;
    };
    let list = pairs
        .iter()
        .map(|(a, b)| format!("{}\t{}", a.display(), b.display()))
        .collect::<Vec<_>>()
        .join("\n");
    let script = r#"
import plistlib, sys
bad = 0
lines = sys.stdin.read().splitlines()
for line in lines:
    a, b = line.split("\t")
    try:
        x = plistlib.loads(open(a, "rb").read())
    except Exception as e:
        print("plistlib cannot read", a, e)
        continue
    y = plistlib.loads(open(b, "rb").read())
    if x != y:
        bad += 1
        print("DIFFERENT", a)
print("checked", len(lines), "files against plistlib")
sys.exit(1 if bad else 0)
"#;
    let mut child = Process::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    eprintln!("{text}");
    assert!(output.status.success(), "plistlib disagrees:\n{text}");
}
