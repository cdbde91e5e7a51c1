//! `mdmctl inspect checkin` as a user runs it: every corpus check-in and every golden vector
//! prints JSON and exits 0; every bad input prints one line on stderr and exits 1, never 101
//! (panic) or a signal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Corpus fixtures whose `<data>` is not valid base64 (see `mdm-checkin`'s
/// `tests/conformance.rs`): refused with exit 1 like any malformed body.
const KNOWN_REFUSED: &[&str] = &["TokenUpdate/iOS-11.3.1.xml"];

/// The built `mdmctl` example, building it first if this test runs on its own.
fn mdmctl() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/checkin_cli-<hash> -> target/<profile>/examples/mdmctl
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let bin = profile_dir
        .join("examples")
        .join(format!("mdmctl{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "mdm-examples", "--example", "mdmctl"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "cannot build mdmctl");
    }
    bin
}

fn run_file(bin: &Path, file: &Path) -> Output {
    Command::new(bin)
        .args(["inspect", "checkin"])
        .arg(file)
        .output()
        .unwrap()
}

fn run_stdin(bin: &Path, input: &[u8]) -> Output {
    let mut child = Command::new(bin)
        .args(["inspect", "checkin", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // mdmctl may stop reading early (size limit); a broken pipe here is expected.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn assert_ok(what: &str, out: &Output) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: bad JSON: {e}"))
}

fn assert_refused(what: &str, out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: status {:?}, stderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
    assert!(stderr.starts_with("mdmctl: "), "{what}: {stderr}");
    assert!(out.stdout.is_empty(), "{what}: printed on stdout");
}

#[test]
fn every_corpus_checkin_is_inspected() {
    let Some(dir) = mdm_testsupport::corpus_path("mdmctl inspect checkin", "mdm-messages") else {
        return;
    };
    let bin = mdmctl();
    let mut ok = 0;
    for file in mdm_testsupport::files_under(&dir) {
        let bytes = std::fs::read(&file).unwrap();
        if !bytes.windows(22).any(|w| w == b"<key>MessageType</key>") {
            continue;
        }
        let name = file.to_string_lossy().into_owned();
        let out = run_file(&bin, &file);
        if KNOWN_REFUSED.iter().any(|k| name.ends_with(k)) {
            assert_refused(&name, &out);
            continue;
        }
        let json = assert_ok(&name, &out);
        let message_type = json["message_type"].as_str().unwrap();
        assert!(name.contains(message_type), "{name}: {message_type}");
        assert!(json["enrollment_id"].is_string(), "{name}: {json}");
        assert!(
            json["Topic"].is_string() || json["UDID"].is_string(),
            "{name}"
        );
        ok += 1;
    }
    assert!(ok >= 15, "only {ok} corpus check-ins");
}

#[test]
fn golden_vectors_are_inspected() {
    let dir = mdm_testsupport::workspace_root().join("crates/mdm-checkin/tests/data");
    let bin = mdmctl();
    for file in mdm_testsupport::files_under(&dir) {
        // Check-in messages only: `responses/` holds server answers.
        if file.extension().and_then(|e| e.to_str()) != Some("plist") || file.parent() != Some(&dir)
        {
            continue;
        }
        let name = file.to_string_lossy().into_owned();
        let json = assert_ok(&name, &run_file(&bin, &file));
        assert!(json["message_type"].is_string(), "{name}");
        // Through stdin too.
        let json2 = assert_ok(&name, &run_stdin(&bin, &std::fs::read(&file).unwrap()));
        assert_eq!(json, json2);
    }
    let json = assert_ok(
        "tokenupdate",
        &run_file(&bin, &dir.join("tokenupdate.plist")),
    );
    assert_eq!(json["message_type"], "TokenUpdate");
    assert_eq!(json["enrollment_type"], "device");
    assert_eq!(json["channel"], "device");
    assert_eq!(json["enrollment_id"], "00008130-001C35E22E08001E");
    assert_eq!(
        json["Token"],
        "oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8="
    );
    assert_eq!(json["AwaitingConfiguration"], false);
}

fn wrap(dict_body: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>{dict_body}</dict>\n</plist>\n"
    )
    .into_bytes()
}

const TOKEN_UPDATE: &str = "<key>MessageType</key><string>TokenUpdate</string>\
    <key>PushMagic</key><string>6B0C2E3A</string>\
    <key>Token</key><data>q83vASNFZ4k=</data>\
    <key>Topic</key><string>com.apple.mgmt.External.x</string>\
    <key>UDID</key><string>00008030-001A2B3C4D5E802E</string>";

#[test]
fn bad_inputs_exit_1_with_one_line() {
    let bin = mdmctl();
    assert_ok("baseline", &run_stdin(&bin, &wrap(TOKEN_UPDATE)));

    let golden = std::fs::read(
        mdm_testsupport::workspace_root().join("crates/mdm-checkin/tests/data/tokenupdate.plist"),
    )
    .unwrap();
    let mut invalid_utf8 = wrap(TOKEN_UPDATE);
    let at = invalid_utf8
        .windows(8)
        .position(|w| w == b"6B0C2E3A")
        .unwrap();
    invalid_utf8[at] = 0xff;
    let binary = {
        let v = mdm_plist::value_from_xml_bytes(&golden, &mdm_plist::Limits::default()).unwrap();
        mdm_plist::to_binary_bytes(&v).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("garbage", b"\x00\x01\x02 not a plist".to_vec()),
        ("truncated", golden[..golden.len() / 2].to_vec()),
        (
            "wrong type",
            wrap(&TOKEN_UPDATE.replace("<data>q83vASNFZ4k=</data>", "<integer>1</integer>")),
        ),
        (
            "missing key",
            wrap(&TOKEN_UPDATE.replace("<key>Token</key><data>q83vASNFZ4k=</data>", "")),
        ),
        (
            "bad udid",
            wrap(&TOKEN_UPDATE.replace("00008030-001A2B3C4D5E802E", "a\nb")),
        ),
        ("no MessageType", wrap("<key>UDID</key><string>x</string>")),
        (
            "nesting bomb",
            wrap(&format!(
                "{TOKEN_UPDATE}<key>D</key>{}",
                "<array>".repeat(1_000_000)
            )),
        ),
        (
            "deep but small",
            wrap(&format!(
                "{TOKEN_UPDATE}<key>D</key>{}{}",
                "<array>".repeat(100),
                "</array>".repeat(100)
            )),
        ),
        ("binary plist", binary),
        ("invalid utf-8", invalid_utf8),
        (
            "duplicate key",
            wrap(&format!("{TOKEN_UPDATE}<key>UDID</key><string>y</string>")),
        ),
        (
            "duplicate key with newline",
            wrap(&format!(
                "{TOKEN_UPDATE}<key>a\nb</key><true/><key>a\nb</key><true/>"
            )),
        ),
        (
            "integer overflow",
            wrap(&format!(
                "{TOKEN_UPDATE}<key>N</key><integer>999999999999999999999999</integer>"
            )),
        ),
        ("not a dictionary", b"<plist><array/></plist>".to_vec()),
    ];
    for (what, input) in &cases {
        assert_refused(what, &run_stdin(&bin, input));
    }

    // 100 MB through stdin: refused by size, without reading it all.
    let mut huge = wrap(TOKEN_UPDATE);
    huge.resize(100 * 1024 * 1024, b' ');
    assert_refused("100 MB body", &run_stdin(&bin, &huge));

    // Usage errors.
    let out = Command::new(&bin)
        .args(["inspect", "checkin"])
        .output()
        .unwrap();
    assert_refused("no file", &out);
    let out = Command::new(&bin)
        .args(["inspect", "checkin", "/nonexistent/file.plist"])
        .output()
        .unwrap();
    assert_refused("missing file", &out);
    let out = Command::new(&bin)
        .args(["inspect", "checkin", "a", "b"])
        .output()
        .unwrap();
    assert_refused("extra argument", &out);
}
