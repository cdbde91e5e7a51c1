//! `mdmctl axm` as a user runs it, against the in-process mock of the School and Business
//! Manager API (`crates/mdm-axm/tests/common/mock.rs`), which checks the client assertion
//! and hands out expiring tokens: every verb prints JSON and exits 0; every error is one
//! line on stderr and exit 1, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../../crates/mdm-axm/tests/common/mock.rs"]
mod mock;

use std::path::PathBuf;
use std::process::{Command, Output};

use mdm_axm::SigningKey;
use mock::{FaultKind, Mock, MockConfig, serial, server_id};
use serde_json::Value;

mod cli;
use cli::mdmctl;

const CLIENT_ID: &str = "BUSINESSAPI.3bb3a62b-6f4b-4a5e-9a1c-0f0e5d2c1b7a";
const KEY_ID: &str = "d136aa66-0c3b-4bd4-9892-c20e8db024ab";

struct Env {
    bin: PathBuf,
    mock: Mock,
    key: PathBuf,
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::generate().unwrap();
        // The portal's file says EC PRIVATE KEY but may hold PKCS#8: write it that way.
        let pem = String::from_utf8(key.to_pkcs8_pem().unwrap())
            .unwrap()
            .replace("PRIVATE KEY", "EC PRIVATE KEY");
        let path = dir.path().join("axm.pem");
        std::fs::write(&path, pem).unwrap();
        let config = MockConfig::new(CLIENT_ID, KEY_ID, &key.public_key_pem().unwrap());
        Env {
            bin: mdmctl(),
            mock: Mock::spawn(config),
            key: path,
            dir,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("axm").args(args);
        cmd.args(["--client-id", CLIENT_ID, "--key-id", KEY_ID]);
        cmd.arg("--key").arg(&self.key);
        cmd.args(["--url", &self.mock.base_url]);
        cmd.args(["--token-url", &self.mock.token_url]);
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
    assert!(err.starts_with("mdmctl: "), "{err}");
    err
}

#[test]
fn every_verb() {
    let env = Env::new();
    let s0 = server_id(0);
    let s1 = server_id(1);

    let d = env.ok(&["devices", "--limit", "2"]);
    let devices = d["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 5);
    assert_eq!(devices[0]["id"], serial(0).as_str());
    assert_eq!(env.mock.count("/v1/orgDevices"), 3);
    let d = env.ok(&["devices", "--fields", "serialNumber,color"]);
    let attrs = d["devices"][0]["attributes"].as_object().unwrap();
    let mut keys: Vec<_> = attrs.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["color", "serialNumber"]);

    let d = env.ok(&["device", &serial(1)]);
    assert_eq!(d["attributes"]["purchaseSourceId"], "PS-1");
    assert!(d["relationships"]["assignedServer"].is_object());
    let d = env.ok(&["device-server", &serial(0)]);
    assert_eq!(d["server_id"], s0.as_str());
    assert_eq!(d["server"]["attributes"]["serverName"], "Mock MDM 0");
    let d = env.ok(&["device-server", &serial(2)]);
    assert!(d["server_id"].is_null() && d["server"].is_null());
    let c = env.ok(&["coverage", &serial(3)]);
    assert_eq!(c["coverage"].as_array().unwrap().len(), 2);

    let s = env.ok(&["servers"]);
    assert_eq!(s["servers"].as_array().unwrap().len(), 2);
    let sd = env.ok(&["server-devices", &s0]);
    assert_eq!(
        sd["serial_numbers"],
        serde_json::json!([serial(0), serial(4)])
    );

    // Assign without waiting, then read the activity until it completes.
    let a = env.ok(&["assign", "--server", &s1, &serial(2)]);
    assert_eq!(a["attributes"]["status"], "IN_PROGRESS");
    let id = a["id"].as_str().unwrap().to_owned();
    let first = env.ok(&["activity", &id]);
    assert_eq!(first["activity"]["attributes"]["status"], "IN_PROGRESS");
    let done = env.ok(&["activity", &id, "--log"]);
    assert_eq!(done["activity"]["attributes"]["status"], "COMPLETED");
    assert_eq!(done["log"][0]["status"], "SUCCESS");
    assert_eq!(env.mock.server_of(&serial(2)), Some(s1.clone()));

    // Serials from a file, waiting for the end.
    let file = env.file("serials.txt", &format!("{}\n\n{}\n", serial(0), serial(4)));
    let r = env.ok(&[
        "unassign",
        "--server",
        &s0,
        &file,
        "--wait",
        "--poll-interval",
        "0.01",
    ]);
    assert_eq!(
        r["activity"]["attributes"]["subStatus"],
        "COMPLETED_WITH_SUCCESS"
    );
    assert_eq!(r["log"].as_array().unwrap().len(), 2);
    assert_eq!(env.mock.server_of(&serial(4)), None);

    // Migration with a deadline, its update and cancel, and release.
    let deadline = (chrono::Utc::now() + chrono::Duration::days(20)).to_rfc3339();
    let later = (chrono::Utc::now() + chrono::Duration::days(25)).to_rfc3339();
    let wait = ["--wait", "--poll-interval", "0.01"];
    let r = env.ok(&[
        &[
            "migrate",
            "--server",
            &s1,
            "--deadline",
            &deadline,
            &serial(0),
        ][..],
        &wait,
    ]
    .concat());
    assert_eq!(r["activity"]["attributes"]["status"], "COMPLETED");
    let d = env.ok(&["device", &serial(0)]);
    assert_eq!(d["attributes"]["mdmMigrationStatus"], "IN_PROGRESS");
    env.ok(&[
        &["update-deadline", "--deadline", &later, &serial(0)][..],
        &wait,
    ]
    .concat());
    env.ok(&[&["cancel-migration", &serial(0)][..], &wait].concat());
    env.ok(&[&["release", "--yes", &serial(3)][..], &wait].concat());
    assert_eq!(env.ok(&["devices"])["devices"].as_array().unwrap().len(), 4);

    // The form-body token request, chosen by a token URL ending in /v2/token.
    let out = Command::new(&env.bin)
        .args([
            "axm",
            "servers",
            "--client-id",
            CLIENT_ID,
            "--key-id",
            KEY_ID,
            "--key",
        ])
        .arg(&env.key)
        .args([
            "--url",
            &env.mock.base_url,
            "--token-url",
            &env.mock.token_url_v2,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.mock.count("/auth/oauth2/v2/token"), 1);

    // The whole run fetched few tokens: one per process.
    assert!(env.mock.token_requests() <= 20);
    assert_eq!(env.mock.violations(), Vec::<String>::new());
}

#[test]
fn errors_are_one_line() {
    let env = Env::new();
    let s0 = server_id(0);

    // A device row that fails makes --wait exit 1 with the JSON still printed.
    let out = env.run(&[
        "unassign",
        "--server",
        &s0,
        &serial(1),
        "--wait",
        "--poll-interval",
        "0.01",
    ]);
    let err = fails(&out);
    assert!(err.contains("1 devices did not succeed"), "{err}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["log"][0]["status"], "FAILED");

    // Apple's refusals: 404, 409, 422, a failed activity, 429 without retries.
    let err = fails(&env.run(&["device", "NOSUCHSERIAL"]));
    assert!(
        err.contains("not found") && err.contains("NOT_FOUND"),
        "{err}"
    );
    let err = fails(&env.run(&[
        "assign",
        "--server",
        "00000000000000000000000000000000",
        &serial(0),
    ]));
    assert!(
        err.contains("conflict") && err.contains("ENTITY_ERROR"),
        "{err}"
    );
    let err = fails(&env.run(&["cancel-migration", &serial(1)]));
    assert!(err.contains("unprocessable"), "{err}");
    env.mock
        .fault(Some("/v1/orgDeviceActivities"), FaultKind::FailActivity);
    let err = fails(&env.run(&[
        "assign",
        "--server",
        &s0,
        &serial(2),
        "--wait",
        "--poll-interval",
        "0.01",
    ]));
    assert!(err.contains("FAILED"), "{err}");
    env.mock.fault(
        Some("/v1/mdmServers"),
        FaultKind::Respond {
            status: 429,
            body: String::new(),
            retry_after: Some(3600),
        },
    );
    let err = fails(&env.run(&["servers", "--retries", "0"]));
    assert!(
        err.contains("429") && err.contains("retry after 3600 s"),
        "{err}"
    );
    env.mock
        .fault(Some("/v1/mdmServers"), FaultKind::Body("{nope".into()));
    let err = fails(&env.run(&["servers", "--retries", "0"]));
    assert!(err.contains("malformed"), "{err}");

    // A key the account does not have: the token endpoint refuses the assertion.
    let other = env.dir.path().join("other.pem");
    std::fs::write(
        &other,
        SigningKey::generate().unwrap().to_sec1_pem().unwrap(),
    )
    .unwrap();
    let out = Command::new(&env.bin)
        .args([
            "axm",
            "servers",
            "--client-id",
            CLIENT_ID,
            "--key-id",
            KEY_ID,
            "--key",
        ])
        .arg(&other)
        .args([
            "--url",
            &env.mock.base_url,
            "--token-url",
            &env.mock.token_url,
        ])
        .output()
        .unwrap();
    let err = fails(&out);
    assert!(
        err.contains("refused the client assertion") && err.contains("invalid_client"),
        "{err}"
    );

    // Nothing listening.
    let out = Command::new(&env.bin)
        .args([
            "axm",
            "servers",
            "--client-id",
            CLIENT_ID,
            "--key-id",
            KEY_ID,
            "--key",
        ])
        .arg(&env.key)
        .args([
            "--url",
            "http://127.0.0.1:1",
            "--token-url",
            "http://127.0.0.1:1/t",
            "--retries",
            "0",
        ])
        .output()
        .unwrap();
    assert!(fails(&out).contains("connection failed"));

    // Usage errors, caught before anything is sent.
    let before = env.mock.api_requests();
    for (args, needle) in [
        (&["release", "C02X"][..], "--yes"),
        (&["assign", "C02X"][..], "--server"),
        (
            &["cancel-migration", "--server", "X", "C02X"][..],
            "takes no --server",
        ),
        (&["migrate", "--server", "ABC", "C02X"][..], "--deadline"),
        (
            &["migrate", "--server", "ABC", "--deadline", "soon", "C02X"][..],
            "RFC 3339",
        ),
        (&["assign", "--server", "ABC"][..], "at least one SERIAL"),
        (&["devices", "--limit", "5000"][..], "limit"),
        (&["devices", "--fields", "a;b"][..], "fields"),
        (&["device"][..], "usage"),
        (&["frobnicate"][..], "unknown axm verb"),
        (&["servers", "--bogus"][..], "unexpected argument"),
        (&["servers", "--timeout", "-1"][..], "--timeout"),
    ] {
        let err = fails(&env.run(args));
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let far = (chrono::Utc::now() + chrono::Duration::days(120)).to_rfc3339();
    let err = fails(&env.run(&["migrate", "--server", &s0, "--deadline", &far, &serial(0)]));
    assert!(err.contains("90 days"), "{err}");
    assert_eq!(env.mock.api_requests(), before);

    // Missing credentials and an unreadable key.
    let out = Command::new(&env.bin)
        .args(["axm", "servers"])
        .output()
        .unwrap();
    assert!(fails(&out).contains("--client-id"));
    let bad = env.dir.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN EC PRIVATE KEY-----\nnope\n-----END EC PRIVATE KEY-----\n",
    )
    .unwrap();
    let out = Command::new(&env.bin)
        .args([
            "axm",
            "servers",
            "--client-id",
            CLIENT_ID,
            "--key-id",
            KEY_ID,
            "--key",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(fails(&out).contains("private key"));
    assert_eq!(env.mock.violations(), Vec::<String>::new());
}
