//! The corpus status reports (jessepeterson/kmfddm, zentral) decode, keep every value, and
//! re-encode to what Python's `json` module reads from the same file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::path::PathBuf;
use std::process::Command;

use mdm_declarative::{JsonValue, StatusItem, StatusReport};

fn reports() -> Option<Vec<PathBuf>> {
    let dir = mdm_testsupport::corpus_dir("declarative corpus")?;
    let mut files: Vec<PathBuf> = ["mdm-messages/jessepeterson-kmfddm", "mdm-messages/zentral"]
        .iter()
        .flat_map(|d| mdm_testsupport::files_under(&dir.join(d)))
        .filter(|p| {
            p.to_string_lossy().ends_with("status.json")
                || p.to_string_lossy().contains("status_report")
                || p.to_string_lossy().contains("/status.")
        })
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    Some(files)
}

#[test]
fn corpus_status_reports_equal_python_json() {
    let Some(files) = reports() else { return };
    assert!(files.len() >= 4, "{files:?}");
    let python = mdm_testsupport::peer("corpus status reports vs python", "python3");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let report =
            StatusReport::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(
            report.status_items.get("management.declarations").is_some(),
            "{}",
            f.display()
        );
        assert!(
            report
                .status_items
                .items
                .iter()
                .any(|i| !matches!(i, StatusItem::Unknown { .. })),
            "{}",
            f.display()
        );
        let ours = report.to_value().unwrap();
        let direct: JsonValue = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(ours, direct, "{}", f.display());
        if let Some(py) = &python {
            let out = Command::new(py)
                .args(["-c", "import json,sys; print(json.dumps(json.load(open(sys.argv[1], encoding='utf-8'))))"])
                .arg(f)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let theirs: JsonValue = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(ours, theirs, "{}", f.display());
        }
    }
}
