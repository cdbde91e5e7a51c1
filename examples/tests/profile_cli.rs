//! `mdmctl profile sign|verify|encrypt|decrypt` as a user runs it: round trips through real
//! files, Apple-signed corpus profiles, and bad input that must exit 1 (never 101, a panic).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mdm_signing::{Identity, PrivateKey};

mod cli;
use cli::mdmctl;

const PROFILE: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<plist version=\"1.0\">
<dict>
\t<key>PayloadContent</key>
\t<array>
\t\t<dict>
\t\t\t<key>PayloadType</key>
\t\t\t<string>com.apple.wifi.managed</string>
\t\t\t<key>Password</key>
\t\t\t<string>hunter2</string>
\t\t</dict>
\t</array>
\t<key>PayloadType</key>
\t<string>Configuration</string>
</dict>
</plist>
";

/// A fresh scratch folder under the target directory.
fn scratch(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .unwrap()
        .join(format!("profile_cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn assert_refused(out: &Output, what: &str) {
    assert_eq!(out.status.code(), Some(1), "{what}: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("mdmctl: "), "{what}: {err}");
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
}

#[test]
fn sign_verify_encrypt_decrypt_round_trip() {
    let bin = mdmctl();
    let dir = scratch("round-trip");
    let id = Identity::self_signed("mdmctl test", PrivateKey::generate_p256().unwrap(), 2).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let input = dir.join("profile.mobileconfig");
    std::fs::write(&cert, id.certificate().to_pem().unwrap()).unwrap();
    std::fs::write(&key, id.key().to_pkcs8_pem().unwrap()).unwrap();
    std::fs::write(&input, PROFILE).unwrap();

    let signed = dir.join("signed.mobileconfig");
    let out = run(
        &bin,
        &[
            "profile",
            "sign",
            "--cert",
            s(&cert),
            "--key",
            s(&key),
            s(&input),
            s(&signed),
        ],
    );
    assert!(out.status.success(), "{out:?}");

    let content = dir.join("content.xml");
    let out = run(
        &bin,
        &[
            "profile",
            "verify",
            "--ca",
            s(&cert),
            s(&signed),
            "--out",
            s(&content),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["signer"]["subject"], "CN=mdmctl test");
    assert_eq!(std::fs::read(&content).unwrap(), PROFILE);

    // No anchor: the failed check is named.
    let out = run(&bin, &["profile", "verify", s(&signed)]);
    assert_refused(&out, "verify without anchor");
    assert!(String::from_utf8_lossy(&out.stderr).contains("(untrusted-chain)"));
    // A verification time after the certificate expired.
    let out = run(
        &bin,
        &[
            "profile",
            "verify",
            "--ca",
            s(&cert),
            "--at",
            "2099-01-01T00:00:00Z",
            s(&signed),
        ],
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("(expired)"),
        "{out:?}"
    );

    let encrypted = dir.join("encrypted.mobileconfig");
    let out = run(
        &bin,
        &[
            "profile",
            "encrypt",
            "--recipient",
            s(&cert),
            s(&input),
            s(&encrypted),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let enc = std::fs::read(&encrypted).unwrap();
    assert!(!String::from_utf8_lossy(&enc).contains("hunter2"));
    let decrypted = dir.join("decrypted.mobileconfig");
    let out = run(
        &bin,
        &[
            "profile",
            "decrypt",
            "--cert",
            s(&cert),
            "--key",
            s(&key),
            s(&encrypted),
            s(&decrypted),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&std::fs::read(&decrypted).unwrap()).contains("hunter2"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn apple_signed_profiles_verify_with_the_readme_settings() {
    let test = "apple_signed_profiles_verify_with_the_readme_settings";
    let Some(beta) =
        mdm_testsupport::corpus_path(test, "profiles/mwoolweaver-apple-beta-profiles/beta")
    else {
        return;
    };
    let Some(root) = mdm_testsupport::corpus_path(test, "apple-pki/AppleRootCA.pem") else {
        return;
    };
    let bin = mdmctl();
    for file in mdm_testsupport::files_under(&beta) {
        let out = run(
            &bin,
            &[
                "profile",
                "verify",
                "--ca",
                s(&root),
                "--at",
                "2020-01-01T00:00:00Z",
                "--any-purpose",
                s(&file),
            ],
        );
        assert!(out.status.success(), "{}: {out:?}", file.display());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["chain"].as_array().unwrap().len(), 3);
    }
}

#[test]
fn bad_input_exits_one() {
    let bin = mdmctl();
    let dir = scratch("bad-input");
    let garbage = dir.join("garbage");
    std::fs::write(&garbage, b"\x30\x80\x06\x09garbage").unwrap();
    let g = s(&garbage);
    let out_file = dir.join("out");
    let o = s(&out_file);
    for args in [
        &["profile"][..],
        &["profile", "frobnicate"],
        &["profile", "verify", g],
        &["profile", "verify", "--signature-only", g],
        &["profile", "verify", "--ca", g, g],
        &["profile", "verify", "--at", "yesterday", g],
        &["profile", "sign", "--cert", g, "--key", g, g, o],
        &["profile", "sign", "--p12", g, "--password", "x", g, o],
        &["profile", "encrypt", "--recipient", g, g, o],
        &["profile", "decrypt", "--cert", g, "--key", g, g, o],
        &["profile", "verify", "/nonexistent/file"],
        &["profile", "sign", g],
    ] {
        assert_refused(&run(&bin, args), &format!("{args:?}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
