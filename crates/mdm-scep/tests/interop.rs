//! Interoperability with micromdm's SCEP (Debian package `scep`): our client against
//! `scepserver`, and `scepclient` against our responder served over plain HTTP/1.1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mdm_scep::client::Client;
use mdm_scep::{
    AlgorithmPolicy, Capability, CsrBuilder, Decision, Error, FailInfo, ScepResponder, SimpleCa,
};
use mdm_signing::{Certificate, Identity, PrivateKey};

use common::{ScepServer, serve_responder};

const CHALLENGE: &str = "s3cret-challenge";

fn des_policy() -> AlgorithmPolicy {
    let mut p = AlgorithmPolicy::default();
    p.allow_des = true;
    p
}

fn chains_to(cert: &Certificate, ca: &Certificate) -> bool {
    let key = ca.as_openssl().public_key().unwrap();
    cert.as_openssl().verify(&key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_scepserver() {
    let Some(server) = ScepServer::start("our_client_against_scepserver", CHALLENGE) else {
        return;
    };
    let ca_cert = common::ca_certificate(&server);
    let mut client = Client::new(&server.url()).unwrap();

    let caps = client.caps().await.unwrap();
    println!(
        "scepserver caps: {:?}",
        caps.iter().map(Capability::keyword).collect::<Vec<_>>()
    );
    assert!(caps.has(&Capability::PostPkiOperation));

    let ca = client.ca_certificates().await.unwrap();
    assert_eq!(ca.ca(), &ca_cert);

    // Pinning: the right fingerprint passes, a wrong one is a typed error.
    let fp = ca_cert
        .as_openssl()
        .digest(openssl::hash::MessageDigest::sha256())
        .unwrap()
        .to_vec();
    client = client.pin_sha256(vec![0u8; 32]);
    assert!(matches!(
        client.ca_certificates().await,
        Err(Error::CaCertificate(_))
    ));
    client = client.pin_sha256(fp);
    client = client.policy(des_policy());

    // Right challenge: issued, chains to the depot's CA.
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("interop-device")
        .challenge_password(CHALLENGE)
        .build(&key)
        .unwrap();
    let issued = client.enroll(csr, key.clone()).await.unwrap();
    assert!(key.matches(&issued.certificate));
    assert!(chains_to(&issued.certificate, &ca_cert));
    assert_eq!(
        issued.certificate.common_name().as_deref(),
        Some("interop-device")
    );

    // The same over GET.
    let mut get_client = client.clone();
    get_client = get_client.force_get(true);
    let key2 = PrivateKey::generate_rsa(2048).unwrap();
    let csr2 = CsrBuilder::new("interop-get")
        .challenge_password(CHALLENGE)
        .build(&key2)
        .unwrap();
    let issued2 = get_client.enroll(csr2, key2).await.unwrap();
    assert!(chains_to(&issued2.certificate, &ca_cert));

    // Renewal signed with the identity we just got.
    let identity = Identity::new(issued.certificate.clone(), key.clone(), Vec::new()).unwrap();
    let new_key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("interop-device")
        .challenge_password(CHALLENGE)
        .build(&new_key)
        .unwrap();
    let renewed = client.renew(csr, new_key.clone(), identity).await.unwrap();
    assert!(new_key.matches(&renewed.certificate));
    assert!(chains_to(&renewed.certificate, &ca_cert));

    // Wrong challenge: FAILURE with a failInfo, as a typed error.
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("intruder")
        .challenge_password("wrong")
        .build(&key)
        .unwrap();
    let err = client.enroll(csr, key).await.unwrap_err();
    println!("wrong challenge: {err}");
    assert!(matches!(err, Error::Rejected { .. }), "{err:?}");
    assert!(err.fail_info().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scepserver_replies_in_des_and_default_policy_refuses() {
    let Some(server) = ScepServer::start("scepserver_replies_in_des", CHALLENGE) else {
        return;
    };
    let client = Client::new(&server.url()).unwrap();
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("des-check")
        .challenge_password(CHALLENGE)
        .build(&key)
        .unwrap();
    match client.enroll(csr, key).await {
        // The peer encrypts its CertRep with single DES whatever the request used.
        Err(Error::AlgorithmRefused(m)) => println!("refused as expected: {m}"),
        // A later peer version may answer with the request's cipher.
        Ok(_) => println!("peer replied without single DES"),
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

#[test]
fn scepclient_against_our_responder() {
    let Some(scepclient) = mdm_testsupport::peer("scepclient_against_our_responder", "scepclient")
    else {
        return;
    };
    let ca = Identity::self_signed(
        "mdm-scep test CA",
        PrivateKey::generate_rsa(2048).unwrap(),
        30,
    )
    .unwrap();
    let mut responder = ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 30), |req| {
        if req.challenge == Some(CHALLENGE) {
            Decision::Issue
        } else {
            Decision::Reject(FailInfo::BadRequest)
        }
    });
    // scepclient encrypts its requests with single DES.
    responder = responder.allow_des(true);
    let server = serve_responder(responder);
    let dir = tempfile::tempdir().unwrap();

    // scepclient keeps its CSR as csr.pem in the working directory and reuses it, so each
    // run gets a directory of its own.
    let run = |challenge: &str, name: &str| {
        let wd = dir.path().join(name);
        std::fs::create_dir_all(&wd).unwrap();
        let key = wd.join(format!("{name}.key"));
        let cert = wd.join(format!("{name}.pem"));
        let out = Command::new(&scepclient)
            .args([
                "-server-url",
                &server.url(),
                "-challenge",
                challenge,
                "-cn",
                name,
            ])
            .arg("-private-key")
            .arg(&key)
            .arg("-certificate")
            .arg(&cert)
            .current_dir(&wd)
            .output()
            .unwrap();
        (out, cert)
    };

    let (out, cert_path) = run(CHALLENGE, "scepclient-device");
    println!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scepclient failed");
    let issued = read_cert(&cert_path);
    assert!(chains_to(&issued, ca.certificate()));
    assert_eq!(issued.common_name().as_deref(), Some("scepclient-device"));

    // Wrong challenge: FAILURE, no certificate.
    let (out, cert_path) = run("wrong", "scepclient-intruder");
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    println!(
        "scepclient, wrong challenge: status {:?}, log {log}",
        out.status.code()
    );
    assert!(!out.status.success());
    assert!(!cert_path.exists());
}

fn read_cert(path: &Path) -> Certificate {
    Certificate::from_pem_or_der(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn server_wait_helper_times_out_quickly_on_closed_port() {
    let port = mdm_testsupport::free_port();
    assert!(!common::wait_for_port(port, Duration::from_millis(200)));
}

/// Enrollments per second against one `scepserver`: our client (one process, keys made
/// beforehand) versus Debian's `scepclient` (one process per enrollment, key made
/// beforehand). Run with `cargo test -p mdm-scep --features client --release --test interop
/// -- --ignored --nocapture enrollment_rate`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a test"]
async fn enrollment_rate_vs_scepclient() {
    const N: usize = 20;
    let Some(server) = ScepServer::start("enrollment_rate", CHALLENGE) else {
        return;
    };
    let scepclient = mdm_testsupport::peer("enrollment_rate", "scepclient").unwrap();
    let mut client = Client::new(&server.url()).unwrap();
    client = client.policy(des_policy());
    let keys: Vec<PrivateKey> = (0..N)
        .map(|_| PrivateKey::generate_rsa(2048).unwrap())
        .collect();
    let start = std::time::Instant::now();
    for (i, key) in keys.iter().enumerate() {
        let csr = CsrBuilder::new(&format!("rate-{i}"))
            .challenge_password(CHALLENGE)
            .build(key)
            .unwrap();
        client.enroll(csr, key.clone()).await.unwrap();
    }
    let ours = N as f64 / start.elapsed().as_secs_f64();

    let dir = tempfile::tempdir().unwrap();
    let mut dirs = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let wd = dir.path().join(format!("c{i}"));
        std::fs::create_dir_all(&wd).unwrap();
        let pem = key
            .as_openssl()
            .rsa()
            .unwrap()
            .private_key_to_pem()
            .unwrap();
        std::fs::write(wd.join("key.pem"), pem).unwrap();
        dirs.push(wd);
    }
    let start = std::time::Instant::now();
    for (i, wd) in dirs.iter().enumerate() {
        let out = Command::new(&scepclient)
            .args([
                "-server-url",
                &server.url(),
                "-challenge",
                CHALLENGE,
                "-cn",
                &format!("peer-{i}"),
            ])
            .args(["-private-key", "key.pem", "-certificate", "cert.pem"])
            .current_dir(wd)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let theirs = N as f64 / start.elapsed().as_secs_f64();
    println!(
        "enrollments/s against scepserver, {N} each: mdm-scep {ours:.1}, scepclient {theirs:.1}, ratio {:.2}",
        ours / theirs
    );
}

/// Our client against our responder over HTTP: PENDING is answered by CertPoll at the
/// caller's interval until issued, or until the deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_polls_pending_until_issued_or_deadline() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let ca = Identity::self_signed("poll CA", PrivateKey::generate_rsa(2048).unwrap(), 30).unwrap();
    let asked = Arc::new(AtomicUsize::new(0));
    let a = asked.clone();
    let responder = ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 30), move |req| {
        if req.csr.common_name().as_deref() == Some("never") {
            return Decision::Pending;
        }
        if a.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2 {
            Decision::Pending
        } else {
            Decision::Issue
        }
    });
    let server = serve_responder(responder);
    let mut client = Client::new(&server.url()).unwrap();
    client = client.polling(Duration::from_millis(50), Duration::from_secs(10));

    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("patient").build(&key).unwrap();
    let issued = client.enroll(csr, key.clone()).await.unwrap();
    assert!(key.matches(&issued.certificate));
    assert!(chains_to(&issued.certificate, ca.certificate()));
    assert_eq!(
        asked.load(Ordering::SeqCst),
        3,
        "one PKCSReq and two CertPolls"
    );

    // Over GET too.
    let mut get = client.clone();
    get = get.force_get(true);
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("patient-get").build(&key).unwrap();
    assert!(get.enroll(csr, key).await.is_ok());

    client = client.polling(Duration::from_millis(50), Duration::from_millis(300));
    let key = PrivateKey::generate_rsa(2048).unwrap();
    let csr = CsrBuilder::new("never").build(&key).unwrap();
    let err = client.enroll(csr, key).await.unwrap_err();
    assert!(matches!(err, Error::PendingTimeout));
    assert!(err.is_retryable());

    // Caps and CA certificate as our responder serves them.
    let caps = client.caps().await.unwrap();
    assert!(caps.has(&Capability::Aes) && caps.post());
    assert_eq!(
        client.ca_certificates().await.unwrap().ca(),
        ca.certificate()
    );

    // A server that is gone is a retryable HTTP error.
    drop(server);
    let dead = Client::new(&format!(
        "http://127.0.0.1:{}/scep",
        mdm_testsupport::free_port()
    ))
    .unwrap();
    let err = dead.caps().await.unwrap_err();
    assert!(
        matches!(err, Error::Http { .. }) && err.is_retryable(),
        "{err:?}"
    );
}
