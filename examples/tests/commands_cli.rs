//! `mdmctl inspect command` / `inspect response` as a user runs them: every corpus command
//! and response prints JSON and exits 0 (typed bodies where the request type is given);
//! bad input prints one line on stderr and exits 1, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::{Command, Output};

mod cli;
use cli::mdmctl;

fn run(args: &[&str]) -> Output {
    Command::new(mdmctl()).args(args).output().unwrap()
}

fn assert_one_line_error(out: &Output) {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn corpus_responses_and_commands() {
    let Some(dir) = mdm_testsupport::corpus_path(
        "mdmctl inspect response",
        "mdm-messages/cmdmnt-commandment/testdata",
    ) else {
        return;
    };
    let cases = [
        (
            "InstalledApplicationList/iOS-12.1.xml",
            "InstalledApplicationList",
        ),
        ("DeviceInformation/macOS-10.13.1.xml", "DeviceInformation"),
        ("SecurityInfo/iOS-11.3.1.xml", "SecurityInfo"),
        ("ProfileList/iOS-11.3.1.xml", "ProfileList"),
        ("AvailableOSUpdates/macOS-10.13.1.xml", "AvailableOSUpdates"),
    ];
    for (file, rt) in cases {
        let path = dir.join(file);
        let path = path.to_str().unwrap();
        let out = run(&["inspect", "response", path, "--request-type", rt]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["RequestType"], rt);
        assert_eq!(json["Typed"], true);
        let out = run(&["inspect", "response", path]);
        assert!(out.status.success());
    }
    let errors = dir.join("Errors/iOS-11.3.1-RemoveProfile-Unmanaged.xml");
    let out = run(&["inspect", "response", errors.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["Status"], "Error");
    assert!(json["ErrorChain"][0]["ErrorCode"].is_number());

    let Some(cmd) = mdm_testsupport::corpus_path(
        "mdmctl inspect command",
        "mdm-messages/micromdm-micromdm/historic-91c236c/platform/command/testdata/Settings_hostname_devicename.plist",
    ) else {
        return;
    };
    let out = run(&["inspect", "command", cmd.to_str().unwrap()]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["RequestType"], "Settings");
}

#[test]
fn bad_input_is_one_line_and_exit_1() {
    let dir = tempfile_dir();
    let junk = dir.join("junk.plist");
    std::fs::write(&junk, b"<plist><dict><key>Status</key>").unwrap();
    let no_status = dir.join("no_status.plist");
    std::fs::write(
        &no_status,
        b"<plist version=\"1.0\"><dict><key>UDID</key><string>u</string></dict></plist>",
    )
    .unwrap();
    for args in [
        vec!["inspect", "response", junk.to_str().unwrap()],
        vec!["inspect", "response", no_status.to_str().unwrap()],
        vec!["inspect", "command", junk.to_str().unwrap()],
        vec!["inspect", "command", no_status.to_str().unwrap()],
        vec!["inspect", "response", "/nonexistent/file"],
        vec!["inspect", "response"],
    ] {
        assert_one_line_error(&run(&args));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mdmctl-commands-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
