//! `mdmctl scep enroll` against micromdm's `scepserver` (Debian's `scep` package), which
//! answers in single DES: without `--allow-des` the error names the switch and says the CA
//! has already issued the certificate; with it, enrollment works.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use mdm_testsupport::scep::ScepServer;

mod cli;
use cli::mdmctl;

const CHALLENGE: &str = "cli-secret";

#[test]
fn a_des_answer_names_allow_des_and_the_certificate_already_issued() {
    let Some(server) = ScepServer::start("scep_cli", CHALLENGE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let enroll = |cn: &str, allow_des: bool| {
        let mut cmd = Command::new(mdmctl());
        cmd.args(["scep", "enroll", "--url", &server.url()])
            .args(["--challenge", CHALLENGE, "--cn", cn])
            .arg("--out-cert")
            .arg(dir.path().join(format!("{cn}.pem")))
            .arg("--out-key")
            .arg(dir.path().join(format!("{cn}.key")));
        if allow_des {
            cmd.arg("--allow-des");
        }
        cmd.output().unwrap()
    };

    let out = enroll("cli-device", false);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("single des"), "{err}");
    assert!(err.contains("--allow-des"), "{err}");
    assert!(err.contains("already issued"), "{err}");

    // A second request with the switch and a new CN is issued (scepserver would refuse the
    // first CN again, which is what the message warns about).
    let out = enroll("cli-device-2", true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["subject"].as_str().unwrap().contains("cli-device-2"),
        "{v}"
    );
    assert!(dir.path().join("cli-device-2.pem").is_file());
    eprintln!("scep_cli: DES refusal explained; --allow-des enrolls against scepserver");
}
