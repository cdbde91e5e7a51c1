//! mdm-server behind a TLS-terminating proxy: the device certificate arrives in a header the
//! proxy sets (`trusted_proxy_header`), and SCEP renewal with the current identity.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::Engine as _;
use mdm_examples::server::config::DataDir;
use mdm_examples::server::{Options, start};
use mdm_scep::CsrBuilder;
use mdm_scep::client::Client;
use mdm_signing::{Certificate, Identity, PrivateKey};
use mdm_testsupport::postgres::TestStore;

const HEADER: &str = "X-Client-Cert";

fn authenticate(udid: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>MessageType</key><string>Authenticate</string>
  <key>Topic</key><string>com.apple.mgmt.External.proxy</string>
  <key>UDID</key><string>{udid}</string>
</dict></plist>"#
    )
}

/// The RFC 9440 `Client-Cert` form: `:<base64 DER>:`.
fn client_cert_header(cert: &Certificate) -> String {
    let der = cert.to_der().unwrap();
    format!(
        ":{}:",
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_header_identity_and_scep_renewal() {
    let Some(store) = TestStore::from_env("server_proxy_auth") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let created = DataDir::open_or_create(&data).unwrap();
    let mut config = created.config.clone();
    config.trusted_proxy_header = Some(HEADER.into());
    std::fs::write(
        data.join("config.json"),
        serde_json::to_vec_pretty(&config).unwrap(),
    )
    .unwrap();
    let server = start(Options {
        data_dir: data,
        listen: Some("127.0.0.1:0".into()),
        public_url: None,
        database: store.database(),
    })
    .await
    .unwrap();

    // An identity from the server's own /scep.
    let scep = Client::new(&format!("{}/scep", server.base_url)).unwrap();
    let key = PrivateKey::generate_p256().unwrap();
    let csr = CsrBuilder::new("proxy-device")
        .challenge_password(&server.scep_challenge)
        .build(&key)
        .unwrap();
    let issued = scep.enroll(csr, key.clone()).await.unwrap();
    let identity = Identity::new(issued.certificate.clone(), key, issued.chain.clone()).unwrap();

    let http = reqwest::Client::new();
    let checkin = format!("{}/mdm/checkin", server.base_url);
    let put = |body: String, cert: Option<&Certificate>| {
        let mut req = http.put(&checkin).body(body);
        if let Some(c) = cert {
            req = req.header(HEADER, client_cert_header(c));
        }
        req.send()
    };
    // No header, a self-signed certificate, garbage: 400.
    assert_eq!(
        put(authenticate("PROXY-1"), None).await.unwrap().status(),
        400
    );
    let stranger =
        Identity::self_signed("stranger", PrivateKey::generate_p256().unwrap(), 1).unwrap();
    let resp = put(authenticate("PROXY-1"), Some(stranger.certificate()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = http
        .put(&checkin)
        .header(HEADER, ":not base64:")
        .body(authenticate("PROXY-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // The issued certificate, no Mdm-Signature: accepted and bound.
    let resp = put(authenticate("PROXY-1"), Some(identity.certificate()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let devices: serde_json::Value = serde_json::from_slice(
        &http
            .get(format!("{}/api/v1/devices", server.base_url))
            .bearer_auth(&server.api_key)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(devices["devices"][0]["id"], "PROXY-1");
    assert_eq!(
        devices["devices"][0]["identity_sha256"],
        identity.certificate().sha256_fingerprint().unwrap()
    );

    // Renewal: signed by the current identity, no challenge needed.
    let new_key = PrivateKey::generate_p256().unwrap();
    let csr = CsrBuilder::new("proxy-device").build(&new_key).unwrap();
    let renewed = scep
        .renew(csr, new_key.clone(), identity.clone())
        .await
        .unwrap();
    assert_eq!(
        renewed.certificate.issuer(),
        identity.certificate().issuer()
    );
    assert_ne!(
        renewed.certificate.sha256_fingerprint().unwrap(),
        identity.certificate().sha256_fingerprint().unwrap()
    );
    // Renewal signed by a certificate the CA did not issue, without a challenge: refused.
    let csr = CsrBuilder::new("intruder").build(&new_key).unwrap();
    let err = scep
        .renew(csr, new_key, stranger)
        .await
        .expect_err("a foreign identity cannot renew");
    println!("foreign renewal: {err}");
    server.stop().await.unwrap();
}
