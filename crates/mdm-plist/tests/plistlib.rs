//! Conformance against Python's plistlib on real data: the plist parser vectors and every
//! real profile in the corpus. Where plistlib reads a file, we must read the same value;
//! files marked `failure` must be refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

use mdm_plist::{Limits, Value};

/// plistlib's reading of each file, as JSON lines with data/date/real made explicit, so
/// the two sides can be compared without floating or encoding surprises.
const PY: &str = r#"
import json, plistlib, sys, datetime, base64, math
def norm(v):
    if isinstance(v, bool): return {"b": v}
    if isinstance(v, int): return {"i": str(v)}
    if isinstance(v, float): return {"r": repr(v)}
    if isinstance(v, str): return {"s": v}
    if isinstance(v, bytes): return {"d": base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime): return {"t": v.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if isinstance(v, list): return {"a": [norm(x) for x in v]}
    if isinstance(v, dict): return {"m": [[k, norm(x)] for k, x in v.items()]}
    if isinstance(v, plistlib.UID): return {"u": v.data}
    return {"?": repr(v)}
for path in sys.stdin.read().splitlines():
    try:
        with open(path, "rb") as f:
            v = plistlib.loads(f.read())
        print(json.dumps({"ok": norm(v)}))
    except Exception as e:
        print(json.dumps({"err": type(e).__name__}))
"#;

fn norm(v: &Value) -> serde_json::Value {
    use serde_json::json;
    match v {
        Value::Boolean(b) => json!({ "b": b }),
        Value::Integer(i) => json!({ "i": i.to_string() }),
        Value::Real(r) => json!({ "r": py_float_repr(*r) }),
        Value::String(s) => json!({ "s": s }),
        Value::Data(d) => json!({ "d": mdm_examples_b64(d) }),
        Value::Date(d) => json!({ "t": d.to_xml_format() }),
        Value::Array(a) => json!({ "a": a.iter().map(norm).collect::<Vec<_>>() }),
        Value::Dictionary(m) => {
            json!({ "m": m.iter().map(|(k, x)| json!([k, norm(x)])).collect::<Vec<_>>() })
        }
        Value::Uid(u) => json!({ "u": u.get() }),
        _ => json!({ "?": "" }),
    }
}

fn py_float_repr(r: f64) -> String {
    if r.is_nan() {
        return "nan".into();
    }
    if r.is_infinite() {
        return if r > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Python's repr is the shortest round-tripping form, as Rust's `{:?}` is, but Python
    // switches to exponent form at 1e16 and below 1e-4.
    let s = format!("{r:?}");
    if r != 0.0 && (r.abs() >= 1e16 || r.abs() < 1e-4) {
        let e = format!("{r:e}");
        // Rust: 1e16, 1.5e-5; Python: 1e+16, 1.5e-05
        let (m, exp) = e.split_once('e').unwrap();
        let exp: i32 = exp.parse().unwrap();
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{m}e{sign}{:02}", exp.abs());
    }
    s
}

fn mdm_examples_b64(d: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(d)
}

fn plistlib(files: &[&Path]) -> Option<Vec<serde_json::Value>> {
    let python = mdm_testsupport::peer("plistlib conformance", "python3")?;
    let mut child = Command::new(python)
        .arg("-c")
        .arg(PY)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for f in files {
            writeln!(stdin, "{}", f.display()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

fn is_xml_plist(bytes: &[u8]) -> bool {
    !mdm_plist::is_binary(bytes)
}

#[test]
fn corpus_plists_match_plistlib() {
    let Some(root) = mdm_testsupport::corpus_dir("corpus_plists_match_plistlib") else {
        return;
    };
    let mut files = Vec::new();
    for sub in ["plist/micromdm-plist", "profiles"] {
        for f in mdm_testsupport::files_under(&root.join(sub)) {
            let name = f.to_string_lossy();
            if name.ends_with(".plist") || name.ends_with(".mobileconfig") {
                files.push(f);
            }
        }
    }
    assert!(
        files.len() > 400,
        "corpus looks incomplete: {}",
        files.len()
    );
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    let Some(py) = plistlib(&refs) else { return };

    let limits = Limits {
        max_bytes: 8 << 20,
        max_depth: 64,
    };
    let (mut same, mut both_refuse, mut signed) = (0, 0, 0);
    let mut differences = Vec::new();
    for (file, expected) in files.iter().zip(&py) {
        let bytes = std::fs::read(file).unwrap();
        if bytes.starts_with(&[0x30, 0x80]) || bytes.starts_with(&[0x30, 0x82]) {
            signed += 1; // CMS-wrapped: mdm-signing's business
            continue;
        }
        let ours = if is_xml_plist(&bytes) {
            // plistlib keeps the last of repeated keys; so do we when asked.
            let options = mdm_plist::Options {
                limits,
                allow_duplicate_keys: true,
            };
            mdm_plist::from_xml_bytes_with_options(&bytes, &options).map(|d| d.value)
        } else {
            mdm_plist::from_binary_bytes(&bytes, &Default::default())
        };
        match (ours, expected.get("ok")) {
            (Ok(v), Some(theirs)) if &norm(&v) == theirs => same += 1,
            (Err(_), None) => both_refuse += 1,
            (ours, theirs) => differences.push(format!(
                "{}: ours {} / plistlib {}",
                file.strip_prefix(&root).unwrap().display(),
                match ours {
                    Ok(_) => "ok".to_string(),
                    Err(e) => format!("error ({e})"),
                },
                match theirs {
                    Some(_) => "ok".to_string(),
                    None => format!("error ({})", expected["err"]),
                }
            )),
        }
    }
    println!(
        "{} files: {same} equal, {both_refuse} refused by both, {signed} CMS-signed skipped, {} differ",
        files.len(),
        differences.len()
    );
    for d in &differences {
        println!("  {d}");
    }
    // Every difference must be one we know and accept: see KNOWN_DIFFERENCES.
    let unexpected: Vec<_> = differences
        .iter()
        .filter(|d| !KNOWN_DIFFERENCES.iter().any(|k| d.contains(k)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexplained differences: {unexpected:#?}"
    );
}

/// Files where we and plistlib legitimately disagree, each with the reason.
/// Each entry is a path fragment and, in the comment, why the difference is accepted.
const KNOWN_DIFFERENCES: &[&str] = &[
    // No XML declaration, or DOCTYPE before it: plistlib sniffs the format from the first
    // bytes and refuses; the XML is otherwise well formed and Apple's parser reads it.
    "testdata/xml/no-xml-tag.plist",
    "testdata/xml/swapped.plist",
    "Example_ApprovePrivileges.mobileconfig",
    "Internet Sharing.mobileconfig",
    // A space before `<?xml`: plistlib refuses, Apple's parser and ours read it.
    "Docker Desktop - Sign-in Enforcement.mobileconfig",
    // A malformed XML declaration (`<?xml?>`, `<?xml version="1.0?>`): quick-xml does not
    // validate the declaration's pseudo-attributes; the plist body is intact.
    "testdata/xml/empty-xml.plist",
    "testdata/xml/malformed-xml.plist",
    // `<plist version="1.0"` missing its `>`: quick-xml reads `<dict>` as more attribute
    // text and the body still parses. A known leniency of the underlying reader.
    "testdata/xml/unescaped-plist.failure.plist",
    // `<plist></plist>` holds no value: we refuse, plistlib returns None.
    "testdata/xml/empty-plist.failure.plist",
    // Corrupt `<data>` (a vector meant to fail): we refuse, plistlib reads something.
    "testdata/xml/invalid-data.failure.plist",
    // `<string>text<string/>` (an unclosed string with an empty one inside): not a valid
    // plist; we refuse with the key path, plistlib's event parser papers over it.
    "deferUpdates.mobileconfig",
    // CRLF line ends inside a multi-line <string>: we keep `\r\n` as written (so a
    // re-encode is byte-faithful); plistlib applies XML's line-end normalisation to `\n`.
    "crowdstrike_settings.mobileconfig",
];
