//! Pushes against a real HTTP/2 server: nginx on 127.0.0.1 with client-certificate checks.
//! Skips (or fails with `MDM_REQUIRE_PEERS=1`) when nginx is not installed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashSet;
use std::path::PathBuf;

use mdm_apns::{Client, Endpoint, Error, Push, PushIdentity, PushMagic, RetryPolicy};
use uuid::Uuid;

use common::nginx::{Mode, Nginx};
use common::{Pki, PkiExt, TOPIC, client_cert, client_cert_v1, rsa_key};

fn nginx(test: &str) -> Option<PathBuf> {
    common::nginx::find(test)
}

fn pushes(identity: &PushIdentity, n: usize) -> Vec<Push> {
    (0..n)
        .map(|i| {
            let mut token = [0u8; 32];
            token[..8].copy_from_slice(&(i as u64).to_be_bytes());
            token[31] = 0xa5;
            Push::new(
                mdm_apns::DeviceToken::new(token).unwrap(),
                PushMagic::new(format!("magic-{i}-{}", Uuid::new_v4())).unwrap(),
                identity.topic().clone(),
            )
            .with_id(Uuid::new_v4())
            .with_expiration(chrono::DateTime::from_timestamp(2_000_000_000, 0).unwrap())
        })
        .collect()
}

fn client(pki: &Pki, nginx: &Nginx, identity: PushIdentity) -> Client {
    Client::builder(identity)
        .endpoint(Endpoint::Custom(nginx.base_url()))
        .root_certificates_pem(&pki.ca_pem())
        .concurrency(16)
        .build()
        .unwrap()
}

#[tokio::test]
async fn pushes_arrive_with_exact_headers_over_one_connection() {
    let Some(program) = nginx("pushes_arrive_with_exact_headers_over_one_connection") else {
        return;
    };
    let pki = Pki::shared();
    let server = Nginx::start(&program, pki, Mode::LogBodies, 100_000);
    let identity = pki.identity();
    let client = client(pki, &server, identity.clone());
    let sent = pushes(&identity, 50);
    let outcomes = client.push_many(sent.clone()).await;
    assert_eq!(outcomes.len(), sent.len());
    for (o, p) in outcomes.iter().zip(&sent) {
        assert_eq!(&o.push, p);
        let d = o
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{e}\n{}", server.error_log()));
        assert_eq!(d.apns_id, p.id, "the response echoes apns-id");
    }

    let log = server.log(sent.len());
    assert_eq!(log.len(), sent.len(), "one log line per push");
    let connections: HashSet<&str> = log
        .iter()
        .map(|l| l["connection"].as_str().unwrap())
        .collect();
    assert_eq!(
        connections.len(),
        1,
        "all pushes share one connection: {connections:?}"
    );
    for p in &sent {
        let id = p.id.unwrap().to_string();
        let line = log
            .iter()
            .find(|l| l["id"] == id.as_str())
            .unwrap_or_else(|| panic!("no log line for {id}"));
        assert_eq!(line["method"], "POST");
        assert_eq!(line["protocol"], "HTTP/2.0");
        assert_eq!(line["uri"], format!("/3/device/{}", p.token.to_hex()));
        assert_eq!(line["topic"], TOPIC);
        assert_eq!(line["push_type"], "mdm");
        assert_eq!(line["priority"], "10");
        assert_eq!(line["expiration"], "2000000000");
        assert_eq!(line["content_type"], "application/json");
        assert_eq!(
            line["body"],
            serde_json::json!({ "mdm": p.magic.as_str() }).to_string()
        );
        let dn = line["client_dn"].as_str().unwrap();
        assert!(dn.contains(&format!("UID={TOPIC}")), "{dn}");
        assert!(dn.contains("CN=APSP:test push certificate"), "{dn}");
        assert_eq!(line["status"], "200");
    }
}

#[tokio::test]
async fn client_without_the_certificate_is_refused() {
    let Some(program) = nginx("client_without_the_certificate_is_refused") else {
        return;
    };
    let pki = Pki::shared();
    let server = Nginx::start(&program, pki, Mode::LogBodies, 100_000);

    // No client certificate at all.
    let ca = reqwest::Certificate::from_pem(&pki.ca_pem()).unwrap();
    let bare = reqwest::Client::builder()
        .tls_certs_only([ca])
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let resp = bare
        .post(format!(
            "{}/3/device/{}",
            server.base_url(),
            "ab".repeat(32)
        ))
        .header("apns-topic", TOPIC)
        .header("apns-push-type", "mdm")
        .body(r#"{"mdm":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        400,
        "nginx refuses a client without a certificate"
    );

    // A certificate from a CA nginx does not trust.
    let other = Pki::new();
    let key = rsa_key();
    let cert = client_cert(&other.ca, &other.ca_key, &key, Some(TOPIC));
    let identity = PushIdentity::from_pem(
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let client = client(pki, &server, identity.clone());
    let err = client.push(&pushes(&identity, 1)[0]).await.unwrap_err();
    assert!(
        matches!(err, Error::MalformedResponse { status: 400, .. }),
        "{err:?}"
    );
    assert!(err.is_permanent());

    assert!(server.log(0).is_empty(), "no push reached the location");
}

#[tokio::test]
async fn an_x509_v1_client_certificate_is_accepted() {
    let Some(program) = nginx("an_x509_v1_client_certificate_is_accepted") else {
        return;
    };
    let pki = Pki::shared();
    let server = Nginx::start(&program, pki, Mode::LogBodies, 100_000);
    // What `openssl x509 -req` issues without an extensions file: version 1, no extensions.
    let key = rsa_key();
    let cert = client_cert_v1(&pki.ca, &pki.ca_key, &key, Some(TOPIC));
    assert_eq!(cert.version(), 0, "an X.509 v1 certificate");
    let identity = PushIdentity::from_pem(
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let client = client(pki, &server, identity.clone());
    let sent = pushes(&identity, 3);
    for o in client.push_many(sent.clone()).await {
        o.result
            .unwrap_or_else(|e| panic!("{e}\n{}", server.error_log()));
    }
    let log = server.log(sent.len());
    assert_eq!(log.len(), sent.len());
    for line in &log {
        assert_eq!(line["status"], "200");
        let dn = line["client_dn"].as_str().unwrap();
        assert!(dn.contains(&format!("UID={TOPIC}")), "{dn}");
    }
}

#[tokio::test]
async fn goaway_after_keepalive_requests_loses_no_push() {
    let Some(program) = nginx("goaway_after_keepalive_requests_loses_no_push") else {
        return;
    };
    let pki = Pki::shared();
    // nginx closes each connection with GOAWAY after 7 requests.
    let server = Nginx::start(&program, pki, Mode::LogBodies, 7);
    let identity = pki.identity();
    let client = Client::builder(identity.clone())
        .endpoint(Endpoint::Custom(server.base_url()))
        .root_certificates_pem(&pki.ca_pem())
        .concurrency(8)
        .retry(RetryPolicy {
            max_retries: 5,
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let sent = pushes(&identity, 60);
    let outcomes = client.push_many(sent.clone()).await;
    for o in &outcomes {
        if let Err(e) = &o.result {
            panic!("push lost: {e}\n{}", server.error_log());
        }
    }
    let log = server.log(sent.len());
    let ids: HashSet<&str> = log.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), sent.len(), "every push reached nginx");
    let connections: HashSet<&str> = log
        .iter()
        .map(|l| l["connection"].as_str().unwrap())
        .collect();
    assert!(connections.len() >= 60 / 7, "reconnected: {connections:?}");
}
