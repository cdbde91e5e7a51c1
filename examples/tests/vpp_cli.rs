//! `mdmctl vpp` as a user runs it, against the in-process mock of the Apps and Books
//! service (`crates/mdm-vpp/tests/common/mock.rs`): every verb prints JSON and exits 0;
//! every error is one line on stderr and exit 1, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../../crates/mdm-vpp/tests/common/mock.rs"]
mod mock;

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::Engine as _;
use mock::{Mock, MockConfig};
use serde_json::Value;

mod cli;
use cli::mdmctl;

fn token(exp: &str) -> String {
    let json = format!(r#"{{"token":"Y2xp","expDate":"{exp}","orgName":"CLI Org"}}"#);
    base64::engine::general_purpose::STANDARD.encode(json)
}

struct Env {
    bin: PathBuf,
    mock: Mock,
    stoken: PathBuf,
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let t = token("2099-01-01T00:00:00Z");
        let stoken = dir.path().join("org.vpptoken");
        std::fs::write(&stoken, format!("{t}\n")).unwrap();
        let mut config = MockConfig::new(&t);
        config.assets = 4;
        // Each mdmctl run is a new process with its own rate limiter, so back-to-back runs
        // can together exceed a per-token rate; the rate is tested in mdm-vpp's own tests.
        config.limits["maxRequestPerSecond"] = serde_json::json!(1000);
        Env {
            bin: mdmctl(),
            mock: Mock::spawn(config),
            stoken,
            dir,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("vpp").args(args);
        cmd.arg("--stoken").arg(&self.stoken);
        cmd.args(["--url", &self.mock.base_url]);
        cmd.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        format!("@{}", p.display())
    }
}

fn fails(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    err
}

#[test]
fn every_verb() {
    let env = Env::new();
    let c = env.ok(&["config"]);
    assert_eq!(c["locationName"], "Mock Location");

    let c = env.ok(&[
        "config",
        "set",
        "--mdm-id",
        "mdm-1",
        "--mdm-name",
        "Our MDM",
        "--notification-url",
        "https://mdm.example/vpp",
        "--notification-token",
        "tok-secret",
        "--notification-type",
        "ASSET_MANAGEMENT",
    ]);
    assert_eq!(c["mdmInfo"]["id"], "mdm-1");
    assert_eq!(c["notificationAuthToken"], "<redacted>");
    assert!(!c.to_string().contains("tok-secret"));

    let a = env.ok(&["assets"]);
    assert_eq!(a["assets"].as_array().unwrap().len(), 4);
    assert!(a["version_id"].is_string());
    let a = env.ok(&["assets", "--product-type", "Book"]);
    assert_eq!(a["assets"].as_array().unwrap().len(), 2);

    let serials: String = (0..2500).map(|i| format!("FILE{i:06}\n")).collect();
    let file = env.file("serials.txt", &serials);
    let r = env.ok(&[
        "assign",
        "--adam-id",
        "1000",
        "--serial",
        &file,
        "--serial",
        "EXTRA1",
        "--wait",
        "--poll-interval",
        "0.05",
        "--mdm-id",
        "mdm-1",
    ]);
    assert_eq!(r["event_ids"].as_array().unwrap().len(), 3);
    assert_eq!(r["outcome"]["success"], true);
    assert_eq!(r["outcome"]["num_completed"], 2501);

    let r = env.ok(&[
        "assign",
        "--adam-id",
        "1001",
        "--user",
        "u-1",
        "--user",
        "u-2",
    ]);
    let event = r["event_ids"][0].as_str().unwrap().to_owned();
    let s = env.ok(&["status", &event]);
    assert!(s["eventStatus"].is_string());

    let a = env.ok(&["assignments", "--adam-id", "1001"]);
    assert_eq!(a["assignments"].as_array().unwrap().len(), 2);
    let a = env.ok(&["assignments", "--serial", "EXTRA1"]);
    assert_eq!(a["assignments"].as_array().unwrap().len(), 1);
    let since = env.ok(&["assignments"])["version_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let none = env.ok(&["assignments", "--since-version", &since]);
    assert_eq!(none["assignments"].as_array().unwrap().len(), 0);

    env.ok(&[
        "unassign",
        "--adam-id",
        "1000",
        "--serial",
        "EXTRA1",
        "--wait",
        "--poll-interval",
        "0.05",
    ]);
    env.ok(&[
        "revoke",
        "--user",
        "u-1",
        "--wait",
        "--poll-interval",
        "0.05",
    ]);
    assert_eq!(
        env.ok(&["assignments", "--adam-id", "1001"])["assignments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    env.ok(&[
        "user",
        "create",
        "u-1",
        "u-2",
        "u-3",
        "--wait",
        "--poll-interval",
        "0.05",
    ]);
    env.ok(&[
        "user",
        "update",
        "u-2",
        "--email",
        "b@example.com",
        "--wait",
        "--poll-interval",
        "0.05",
    ]);
    env.ok(&["user", "retire", "u-3", "--wait", "--poll-interval", "0.05"]);
    let u = env.ok(&["users", "--active-only"]);
    let users = u["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert!(users.iter().any(|u| u["email"] == "b@example.com"));

    env.mock.with(|s| {
        assert_eq!(s.rate_violations, 0);
        assert_eq!(s.double_assignments, 0);
    });
}

#[test]
fn errors_are_one_line() {
    let env = Env::new();
    // Per-item failures: JSON on stdout, exit 1.
    let out = env.run(&[
        "assign",
        "--adam-id",
        "1000",
        "--serial",
        "FAIL01",
        "--serial",
        "OK01",
        "--wait",
        "--poll-interval",
        "0.05",
    ]);
    let err = fails(&out);
    assert!(err.contains("1 items failed"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outcome"]["failed_serial_numbers"][0], "FAIL01");

    // Another MDM manages the location.
    env.ok(&["config", "set", "--mdm-id", "mdm-1", "--mdm-name", "Ours"]);
    let err = fails(&env.run(&[
        "assign",
        "--adam-id",
        "1000",
        "--serial",
        "S1",
        "--mdm-id",
        "mdm-2",
    ]));
    assert!(err.contains("another mdm"), "{err}");

    for args in [
        &["assign", "--serial", "S1"][..],
        &["assign", "--adam-id", "1000"],
        &["status"],
        &["frobnicate"],
        &["user", "create"],
        &["user", "create", "a", "b", "--email", "x@y"],
        &["assets", "--bogus"],
        &["assign", "--adam-id", "1000", "--serial", "has space"],
        &[
            "assign",
            "--adam-id",
            "1000",
            "--serial",
            "@/nonexistent/file",
        ],
        &[
            "assign",
            "--adam-id",
            "1000",
            "--serial",
            "S",
            "--wait",
            "--poll-interval",
            "-1",
        ],
        &["config", "set", "--mdm-id", "only-id"],
        &[
            "config",
            "set",
            "--notification-url",
            "http://insecure.example",
            "--notification-token",
            "t",
        ],
    ] {
        fails(&env.run(args));
    }

    // No usable token: missing, garbage, expired.
    let out = Command::new(&env.bin)
        .args(["vpp", "config"])
        .output()
        .unwrap();
    fails(&out);
    let bad = env.dir.path().join("bad.vpptoken");
    std::fs::write(&bad, "not a token").unwrap();
    let out = Command::new(&env.bin)
        .args(["vpp", "config", "--stoken"])
        .arg(&bad)
        .output()
        .unwrap();
    fails(&out);
    std::fs::write(&bad, token("2020-12-31T13:57:19+02:00")).unwrap();
    let out = Command::new(&env.bin)
        .args(["vpp", "config", "--stoken"])
        .arg(&bad)
        .args(["--url", &env.mock.base_url])
        .output()
        .unwrap();
    assert!(fails(&out).contains("expired"));

    // Nothing listening (port 1: a free ephemeral port could be taken by the connection's
    // own source port on loopback and connect to itself).
    let out = Command::new(&env.bin)
        .args(["vpp", "config", "--stoken"])
        .arg(&env.stoken)
        .args([
            "--url",
            "http://127.0.0.1:1/mdm/v2",
            "--timeout",
            "5",
            "--retries",
            "0",
        ])
        .output()
        .unwrap();
    fails(&out);
}
