//! Conformance on real data: every check-in plist under the corpus's `mdm-messages/`
//! (found by its `MessageType` key) decodes to the type it names, and the decoded message
//! holds exactly the values Python's `plistlib` reads from the same bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout
)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use mdm_checkin::{CheckinMessage, Message, MessageType};
use mdm_plist::Value;
use serde_json::{Value as Json, json};

/// Reads each path named on stdin with plistlib and prints one JSON line per file: the
/// value with every plist type tagged, dictionaries as key-sorted pairs.
const PLISTLIB: &str = r#"
import base64, datetime, json, plistlib, sys
def tag(v):
    if isinstance(v, bool): return {"bool": v}
    if isinstance(v, int): return {"int": str(v)}
    if isinstance(v, float): return {"real": repr(v)}
    if isinstance(v, str): return {"str": v}
    if isinstance(v, bytes): return {"data": base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime): return {"date": v.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if isinstance(v, list): return {"array": [tag(x) for x in v]}
    if isinstance(v, dict): return {"dict": [[k, tag(v[k])] for k in sorted(v)]}
    return {"other": repr(v)}
for path in sys.stdin.read().splitlines():
    try:
        with open(path, "rb") as f:
            print(json.dumps({"ok": tag(plistlib.loads(f.read()))}))
    except Exception as e:
        print(json.dumps({"err": type(e).__name__ + ": " + str(e)}))
"#;

fn tag(v: &Value) -> Json {
    use base64::Engine as _;
    match v {
        Value::Boolean(b) => json!({ "bool": b }),
        Value::Integer(i) => json!({ "int": i.to_string() }),
        Value::Real(r) => json!({ "real": format!("{r:?}") }),
        Value::String(s) => json!({ "str": s }),
        Value::Data(d) => json!({ "data": base64::engine::general_purpose::STANDARD.encode(d) }),
        Value::Date(d) => json!({ "date": d.to_xml_format() }),
        Value::Array(a) => json!({ "array": a.iter().map(tag).collect::<Vec<_>>() }),
        Value::Dictionary(m) => {
            let mut pairs: Vec<(&String, &Value)> = m.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            json!({ "dict": pairs.iter().map(|(k, x)| json!([k, tag(x)])).collect::<Vec<_>>() })
        }
        other => json!({ "other": format!("{other:?}") }),
    }
}

/// Corpus files we refuse although plistlib reads them, and why. A refused file must fail
/// with a syntax error at the named key; should `mdm-plist` become lenient there, the file
/// is simply compared like the others.
///
/// Entries: file name suffix, key of the syntax error, whether plistlib reads the file.
///
/// (`TokenUpdate/10.11.x-user.plist`, whose `Token` `AAAA=` has a surplus pad character, was
/// here until `mdm-plist` became as lenient as Apple's parser about padding; it now decodes
/// and is compared with plistlib like the others.)
/// - `TokenUpdate/iOS-11.3.1.xml` (commandment): its `Token` is the placeholder `Base64=`
///   and its `UnlockToken` `base64==`, which are not base64 at all; plistlib refuses the
///   file too.
pub const KNOWN_REFUSED: &[(&str, &str, bool)] = &[("TokenUpdate/iOS-11.3.1.xml", "Token", false)];

/// Decodes a corpus file; `None` when it is a known refusal (checked to be the known one).
fn decode_corpus(path: &std::path::Path, bytes: &[u8]) -> Option<CheckinMessage> {
    let name = path.to_string_lossy();
    match CheckinMessage::decode(bytes) {
        Ok(msg) => Some(msg),
        Err(e) => {
            let known = KNOWN_REFUSED
                .iter()
                .find(|(suffix, _, _)| name.ends_with(suffix))
                .unwrap_or_else(|| panic!("{name}: {e}"));
            assert!(
                matches!(&e, mdm_checkin::Error::Plist(mdm_plist::Error::Syntax { path, .. }) if path == known.1),
                "{name}: refused for another reason: {e}"
            );
            println!("{name}: known refusal: {e}");
            None
        }
    }
}

fn checkin_files() -> Option<Vec<PathBuf>> {
    let dir = mdm_testsupport::corpus_path("checkin conformance", "mdm-messages")?;
    let files: Vec<PathBuf> = mdm_testsupport::files_under(&dir)
        .into_iter()
        .filter(|p| {
            std::fs::read(p)
                .map(|b| memchr_find(&b, b"<key>MessageType</key>"))
                .unwrap_or(false)
        })
        .collect();
    Some(files)
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn plistlib(files: &[PathBuf]) -> Option<Vec<Json>> {
    let python = mdm_testsupport::peer("checkin conformance", "python3")?;
    let mut child = Command::new(python)
        .arg("-c")
        .arg(PLISTLIB)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        for f in files {
            writeln!(stdin, "{}", f.display()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed");
    let lines: Vec<Json> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), files.len());
    Some(lines)
}

#[test]
fn corpus_checkins_decode_to_their_type() {
    let Some(files) = checkin_files() else { return };
    assert!(
        files.len() >= 15,
        "found only {} check-in files",
        files.len()
    );
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Some(msg) = decode_corpus(path, &bytes) else {
            continue;
        };
        assert!(
            msg.message_type().is_known(),
            "{}: {:?}",
            path.display(),
            msg.message_type()
        );
        assert!(!matches!(msg.message(), Message::Unknown { .. }));
        // The file name says what the fixture is.
        let name = path.to_string_lossy();
        assert!(
            name.contains(msg.message_type().as_str()),
            "{name} decoded as {}",
            msg.message_type()
        );
        assert_eq!(msg.raw(), &bytes[..]);
        // Every corpus message identifies its enrollment.
        msg.enrollment_id()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Re-encoding and decoding again gives the same message.
        let again = CheckinMessage::decode(&msg.encode().unwrap()).unwrap();
        assert_eq!(again.message(), msg.message(), "{}", path.display());
    }
}

#[test]
fn corpus_checkins_match_plistlib() {
    let Some(files) = checkin_files() else { return };
    let Some(theirs) = plistlib(&files) else {
        return;
    };
    let mut compared = 0;
    for (path, their) in files.iter().zip(theirs) {
        let bytes = std::fs::read(path).unwrap();
        let Some(msg) = decode_corpus(path, &bytes) else {
            let name = path.to_string_lossy();
            let (_, _, plistlib_reads) = KNOWN_REFUSED
                .iter()
                .find(|(suffix, _, _)| name.ends_with(suffix))
                .unwrap();
            assert_eq!(
                their.get("ok").is_some(),
                *plistlib_reads,
                "{name}: {their}"
            );
            continue;
        };
        let ours = tag(&msg.message().to_value().unwrap());
        let their = their
            .get("ok")
            .unwrap_or_else(|| panic!("{}: plistlib refused: {their}", path.display()));
        assert_eq!(&ours, their, "{}", path.display());
        // plistlib's MessageType is the type we decoded.
        let Value::Dictionary(d) = msg.message().to_value().unwrap() else {
            panic!()
        };
        assert_eq!(
            MessageType::from(d.get("MessageType").unwrap().as_string().unwrap()),
            msg.message_type()
        );
        compared += 1;
    }
    println!("{compared} check-in files equal to plistlib's reading");
}
