//! `mdmctl dep` as a user runs it, against the in-process Device Assignment mock of
//! `crates/mdm-dep/tests/common/mock.rs` (strict about headers, OAuth and bodies): every
//! verb prints JSON and exits 0; every error is one line on stderr and exit 1, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../../crates/mdm-dep/tests/common/mock.rs"]
mod mock;

use std::path::Path;
use std::process::{Command, Output};

use mock::{Fault, Mock};
use serde_json::Value;

mod cli;
use cli::mdmctl;

fn run(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin).arg("dep").args(args).output().unwrap()
}

/// Runs an API verb against the mock and returns its stdout as JSON lines.
fn api(bin: &Path, mock: &Mock, token: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = args.to_vec();
    let url = mock.url();
    all.extend([
        "--token",
        token.to_str().unwrap(),
        "--url",
        &url,
        "--user-agent",
        mock::USER_AGENT,
    ]);
    let out = run(bin, &all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mdmctl dep {args:?} failed: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    // Pretty JSON (one value) or JSON lines (pages).
    match serde_json::from_str::<Value>(&stdout) {
        Ok(v) => vec![v],
        Err(_) => stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    }
}

fn fails(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1), "expected exit 1: {out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line on stderr: {stderr}"
    );
    assert!(stderr.contains(needle), "{stderr:?} lacks {needle:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn every_verb_against_the_mock() {
    let bin = mdmctl();
    let mock = Mock::start_in_thread(30);
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token.json");
    std::fs::write(&token, mock::token().encode().unwrap()).unwrap();

    let account = &api(&bin, &mock, &token, &["account"])[0];
    assert_eq!(account["server_uuid"], "MOCK-UUID");

    let pages = api(&bin, &mock, &token, &["devices", "--limit", "10"]);
    assert_eq!(pages.len(), 3);
    let serials: Vec<&str> = pages
        .iter()
        .flat_map(|p| p["devices"].as_array().unwrap())
        .map(|d| d["serial_number"].as_str().unwrap())
        .collect();
    assert_eq!(serials.len(), 30);
    assert_eq!(pages[2]["cursor"], "cur-30");

    // Without --limit the page size comes from the account's urls (1000 here): one page.
    mock.set_page_limits(1000, 5000);
    let pages = api(&bin, &mock, &token, &["devices"]);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["devices"].as_array().unwrap().len(), 30);
    let last_fetch = mock
        .seen()
        .into_iter()
        .rfind(|s| s.path == "/server/devices")
        .unwrap();
    assert_eq!(last_fetch.body["limit"], 1000);

    mock.push_change(serde_json::json!({"serial_number": mock::serial(3), "op_type": "added", "op_date": "2024-05-03T00:00:00Z"}));
    let synced = api(&bin, &mock, &token, &["sync", "--cursor", "cur-30"]);
    assert_eq!(synced[0]["devices"][0]["op_type"], "added");
    assert_eq!(synced[0]["cursor"], "cur-31");

    let s0 = mock::serial(0);
    let s1 = mock::serial(1);
    let details = &api(&bin, &mock, &token, &["details", &s0, &s1])[0];
    assert_eq!(details["devices"][&s1]["response_status"], "SUCCESS");
    let disown = &api(&bin, &mock, &token, &["disown", &s0])[0];
    assert_eq!(disown["devices"][&s0], "SUCCESS");
    let lock = &api(
        &bin,
        &mock,
        &token,
        &["activation-lock", &s0, "--lost-message", "call us"],
    )[0];
    assert_eq!(lock["response_status"], "SUCCESS");
    let repl = &api(&bin, &mock, &token, &["replacement", &s0])[0];
    assert_eq!(repl["replacement_date"], "2025-01-15T00:00:00Z");
    let betas = &api(&bin, &mock, &token, &["beta-tokens"])[0];
    assert_eq!(betas["betaEnrollmentTokens"][0]["token"], "tok-ios");

    let profile = dir.path().join("profile.json");
    std::fs::write(&profile, format!(r#"{{"profile_name": "Staff", "url": "https://mdm.example.com/enroll", "is_supervised": true, "devices": ["{s0}"]}}"#)).unwrap();
    let defined = &api(
        &bin,
        &mock,
        &token,
        &["profile", "define", profile.to_str().unwrap()],
    )[0];
    let uuid = defined["profile_uuid"].as_str().unwrap().to_owned();
    assert_eq!(defined["devices"][&s0], "SUCCESS");
    let got = &api(&bin, &mock, &token, &["profile", "get", &uuid])[0];
    assert_eq!(got["profile_name"], "Staff");
    mock.fault(
        "/profile/devices",
        Fault::Throttle {
            every: 2,
            retry_after: Some(1),
        },
    );
    let assigned = &api(
        &bin,
        &mock,
        &token,
        &["profile", "assign", &uuid, &s0, &s1, "ELSEWHERE9"],
    )[0];
    assert_eq!(assigned["devices"][&s0], "SUCCESS");
    assert_eq!(assigned["devices"][&s1], "SUCCESS");
    assert_eq!(assigned["devices"]["ELSEWHERE9"], "NOT_ACCESSIBLE");
    assert_eq!(assigned["rounds"], 2);
    let removed = &api(&bin, &mock, &token, &["profile", "remove", &s0])[0];
    assert_eq!(removed["devices"][&s0], "SUCCESS");

    api(
        &bin,
        &mock,
        &token,
        &["ade", "set", "https://mdm.example.com/.well-known/x"],
    );
    let ade = &api(&bin, &mock, &token, &["ade", "get"])[0];
    assert_eq!(
        ade["mdm_service_discovery_url"],
        "https://mdm.example.com/.well-known/x"
    );
    api(&bin, &mock, &token, &["ade", "remove"]);
    assert_eq!(mock.violations(), Vec::<String>::new());
}

#[test]
fn keypair_and_token_with_openssl() {
    let bin = mdmctl();
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let out = run(
        &bin,
        &[
            "keypair",
            "--out-cert",
            cert.to_str().unwrap(),
            "--out-key",
            key.to_str().unwrap(),
            "--cn",
            "acme-dep",
            "--days",
            "30",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["common_name"], "acme-dep");
    assert!(
        std::fs::read_to_string(&cert)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    let Some(openssl) = mdm_testsupport::peer("dep_cli_token", "openssl") else {
        return;
    };
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "Content-Type: text/plain;charset=UTF-8\r\n\r\n-----BEGIN MESSAGE-----\r\n{\"consumer_key\":\"CK_cli\",\"consumer_secret\":\"CS_cli\",\"access_token\":\"AT_cli\",\"access_secret\":\"AS_cli\",\"access_token_expiry\":\"2099-01-01T00:00:00Z\"}\r\n-----END MESSAGE-----\r\n").unwrap();
    let p7m = dir.path().join("token_smime.p7m");
    let status = Command::new(openssl)
        .args(["smime", "-encrypt", "-aes256", "-in"])
        .arg(&plain)
        .arg("-out")
        .arg(&p7m)
        .arg(&cert)
        .status()
        .unwrap();
    assert!(status.success());
    let out = run(
        &bin,
        &[
            "token",
            "--p7m",
            p7m.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let token: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(token["consumer_key"], "CK_cli");
    assert_eq!(token["access_token_expiry"], "2099-01-01T00:00:00Z");

    // The wrong key: one line, exit 1.
    let other = dir.path().join("other.pem");
    let c2 = dir.path().join("c2.pem");
    assert!(
        run(
            &bin,
            &[
                "keypair",
                "--out-cert",
                c2.to_str().unwrap(),
                "--out-key",
                other.to_str().unwrap()
            ]
        )
        .status
        .success()
    );
    fails(
        &run(
            &bin,
            &[
                "token",
                "--p7m",
                p7m.to_str().unwrap(),
                "--key",
                other.to_str().unwrap(),
            ],
        ),
        "cannot decrypt",
    );
}

#[test]
fn errors_are_one_line_and_exit_1() {
    let bin = mdmctl();
    let mock = Mock::start_in_thread(1);
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token.json");
    std::fs::write(&token, mock::token().encode().unwrap()).unwrap();
    let url = mock.url();
    let common = [
        "--token",
        token.to_str().unwrap(),
        "--url",
        url.as_str(),
        "--user-agent",
        mock::USER_AGENT,
    ];
    let with = |verb: &[&str]| {
        let mut v = verb.to_vec();
        v.extend(common);
        run(&bin, &v)
    };

    mock.fault(
        "/session",
        Fault::Status(403, "T_C_NOT_SIGNED".into(), vec![]),
    );
    fails(&with(&["account"]), "terms and conditions not signed");
    mock.fault(
        "/account",
        Fault::Status(403, "ACCESS_DENIED".into(), vec![]),
    );
    fails(&with(&["account"]), "access denied");
    mock.fault("/account", Fault::Body(b"{\"server_name\": ".to_vec()));
    fails(&with(&["account"]), "malformed account response");
    fails(&with(&["details", "has space"]), "serial number");
    fails(&with(&["details"]), "no serial numbers");
    fails(&with(&["frobnicate"]), "unknown verb");
    fails(
        &run(&bin, &["account", "--token", "/nonexistent/token.json"]),
        "cannot read",
    );
    fails(&run(&bin, &[]), "usage");
    let expired = dir.path().join("expired.json");
    std::fs::write(
        &expired,
        mock::token()
            .with_access_token_expiry(chrono::Utc::now() - chrono::Duration::days(2))
            .encode()
            .unwrap(),
    )
    .unwrap();
    fails(
        &run(
            &bin,
            &[
                "account",
                "--token",
                expired.to_str().unwrap(),
                "--url",
                &url,
                "--user-agent",
                mock::USER_AGENT,
            ],
        ),
        "expired",
    );
    fails(&with(&["profile", "get", "NOPE"]), "NOT_FOUND");
    let bad_profile = dir.path().join("bad.json");
    std::fs::write(
        &bad_profile,
        r#"{"profile_name": "x", "url": "https://m.example/e", "is_mdm_removable": false}"#,
    )
    .unwrap();
    fails(
        &with(&["profile", "define", bad_profile.to_str().unwrap()]),
        "FLAGS_INVALID",
    );
}
