//! `mdmctl push` with an X.509 v1 client certificate, issued by the real `openssl x509 -req`
//! without an extensions file, against nginx playing APNs (client certificates checked).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use mdm_testsupport::apns::nginx::{self, Mode, Nginx};
use mdm_testsupport::apns::{Pki, TOPIC};

mod cli;
use cli::mdmctl;

fn openssl(program: &Path, dir: &Path, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn push_with_a_v1_certificate_from_openssl_x509_req() {
    let test = "push_with_a_v1_certificate_from_openssl_x509_req";
    let Some(program) = nginx::find(test) else {
        return;
    };
    let Some(openssl_bin) = mdm_testsupport::peer(test, "openssl") else {
        return;
    };
    let pki = Pki::new();
    let apns = Nginx::start(&program, &pki, Mode::LogBodies, 1000);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ca.pem"), pki.ca_pem()).unwrap();
    std::fs::write(
        d.join("ca.key"),
        pki.ca_key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let subject = format!("/UID={TOPIC}/CN=APSP:openssl v1");
    openssl(
        &openssl_bin,
        d,
        &[
            "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "push.key", "-subj",
            &subject, "-out", "push.csr",
        ],
    );
    openssl(
        &openssl_bin,
        d,
        &[
            "x509",
            "-req",
            "-in",
            "push.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-out",
            "push.pem",
        ],
    );
    let text = openssl(
        &openssl_bin,
        d,
        &["x509", "-in", "push.pem", "-noout", "-text"],
    );
    assert!(text.contains("Version: 1 (0x0)"), "{text}");

    let out = Command::new(mdmctl())
        .current_dir(d)
        .args(["push", "--cert", "push.pem", "--key", "push.key"])
        .args(["--token", &"ab".repeat(32), "--magic", "v1-magic"])
        .args(["--endpoint", &apns.base_url(), "--ca", "ca.pem"])
        .args(["--count", "2", "--retries", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        apns.error_log()
    );
    assert!(stdout.contains(r#""ok":2"#), "{stdout}");
    let log = apns.log(2);
    assert_eq!(log.len(), 2);
    for line in &log {
        assert_eq!(line["status"], "200");
        let dn = line["client_dn"].as_str().unwrap();
        assert!(dn.contains("CN=APSP:openssl v1"), "{dn}");
    }
}
