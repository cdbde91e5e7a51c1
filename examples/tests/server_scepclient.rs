//! Debian's `scepclient` (micromdm/scep 2.1.0) enrolls against mdm-server's `/scep`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;

use mdm_examples::server::config::DataDir;
use mdm_examples::server::{Options, start};
use mdm_signing::Certificate;
use mdm_testsupport::postgres::TestStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scepclient_enrolls_against_the_server() {
    let Some(scepclient) =
        mdm_testsupport::peer("scepclient_enrolls_against_the_server", "scepclient")
    else {
        return;
    };
    let Some(store) = TestStore::from_env("server_scepclient") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // scepclient encrypts with single DES: the operator has to allow it in config.json.
    let created = DataDir::open_or_create(&data).unwrap();
    let mut config = created.config.clone();
    config.scep_allow_des = true;
    std::fs::write(
        data.join("config.json"),
        serde_json::to_vec_pretty(&config).unwrap(),
    )
    .unwrap();
    let server = start(Options {
        data_dir: data.clone(),
        listen: Some("127.0.0.1:0".into()),
        public_url: None,
        database: store.database(),
    })
    .await
    .unwrap();
    let url = format!("{}/scep", server.base_url);
    let challenge = server.scep_challenge.clone();

    let run = |challenge: String, name: &'static str| {
        let scepclient = scepclient.clone();
        let url = url.clone();
        // scepclient reuses a csr.pem from its working directory: one directory per run.
        let wd = dir.path().join(name);
        std::fs::create_dir_all(&wd).unwrap();
        tokio::task::spawn_blocking(move || {
            let cert = wd.join("device.pem");
            let out = Command::new(scepclient)
                .args(["-server-url", &url, "-challenge", &challenge, "-cn", name])
                .arg("-private-key")
                .arg(wd.join("device.key"))
                .arg("-certificate")
                .arg(&cert)
                .current_dir(&wd)
                .output()
                .unwrap();
            (out, cert)
        })
    };

    let (out, cert) = run(challenge, "scepclient-device").await.unwrap();
    println!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scepclient failed");
    let issued = Certificate::from_pem_or_der(&std::fs::read(&cert).unwrap()).unwrap();
    assert_eq!(issued.common_name().as_deref(), Some("scepclient-device"));
    let ca = Certificate::from_pem(&std::fs::read(data.join("ca.pem")).unwrap()).unwrap();
    assert_eq!(issued.issuer(), ca.subject());
    // The issued certificate is a valid device identity for the server's check-in auth.
    let auth = mdm_examples::server::certauth::CertAuth::new(&created.ca, None);
    auth.check_issued(&issued).unwrap();

    let (out, cert) = run("wrong".into(), "scepclient-intruder").await.unwrap();
    assert!(!out.status.success(), "a wrong challenge must fail");
    assert!(!cert.exists());
    server.stop().await.unwrap();
}
