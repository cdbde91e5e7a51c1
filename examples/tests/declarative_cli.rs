//! `mdmctl inspect declaration` and `mdmctl inspect status` as a user runs them: good input
//! prints JSON and exits 0; bad input prints one line on stderr and exits 1, never 101
//! (panic) or a signal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod cli;
use cli::mdmctl;

fn run(bin: &Path, kind: &str, file: &Path) -> Output {
    Command::new(bin)
        .args(["inspect", kind])
        .arg(file)
        .output()
        .unwrap()
}

fn ok_json(out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refused(out: &Output) {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("mdmctl: "), "{err}");
}

#[test]
fn declarations_print_json() {
    let bin = mdmctl();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("passcode.json");
    std::fs::write(
        &file,
        br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"p","ServerToken":"1","Payload":{"MinimumLength":6,"Future":1}}"#,
    )
    .unwrap();
    let v = ok_json(&run(&bin, "declaration", &file));
    assert_eq!(v["type"], "com.apple.configuration.passcode.settings");
    assert_eq!(v["class"], "configuration");
    assert_eq!(v["known"], true);
    assert_eq!(v["declaration"]["Payload"]["Future"], 1);
    assert!(v["content_token"].as_str().unwrap().len() == 36);

    let file = dir.path().join("unknown.json");
    std::fs::write(
        &file,
        br#"{"Type":"com.example.x","Identifier":"u","Payload":{}}"#,
    )
    .unwrap();
    let v = ok_json(&run(&bin, "declaration", &file));
    assert_eq!(v["known"], false);
    assert_eq!(v["problems"].as_array().unwrap().len(), 1);
}

#[test]
fn corpus_status_reports_print_json() {
    let bin = mdmctl();
    let Some(dir) =
        mdm_testsupport::corpus_path("mdmctl inspect status", "mdm-messages/jessepeterson-kmfddm")
    else {
        return;
    };
    let files: Vec<PathBuf> = mdm_testsupport::files_under(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert!(!files.is_empty());
    for f in files {
        let v = ok_json(&run(&bin, "status", &f));
        assert!(
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["name"] == "management.declarations" && i["known"] == true),
            "{}",
            f.display()
        );
    }
}

#[test]
fn bad_input_exits_1_with_one_line() {
    let bin = mdmctl();
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", b"{\"StatusItems\":".to_vec()),
        ("array", b"[]".to_vec()),
        ("deep", deep.into_bytes()),
        ("binary", vec![0xff, 0x00, 0x1b, b'\n', b'{']),
        ("wrong-type", br#"{"Type":"com.apple.configuration.passcode.settings","Identifier":"p","Payload":{"MinimumLength":"x\ny"}}"#.to_vec()),
    ];
    for (name, bytes) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        refused(&run(&bin, "declaration", &file));
        refused(&run(&bin, "status", &file));
    }
    refused(&run(&bin, "status", &dir.path().join("missing")));
}
