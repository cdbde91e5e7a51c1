//! End to end: mdm-server and simulated devices in one test. Devices enroll through the
//! signed profile and SCEP, check in with `Mdm-Signature`, receive commands of several
//! types queued through the JSON API, answer them (one device says `NotNow` first), and the
//! results are read back through the API. The server is then restarted on the same data
//! directory and nothing is lost.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    clippy::indexing_slicing
)]

use base64::Engine as _;
use mdm_checkin::{CheckinMessage, Message};
use mdm_examples::server::{Options, Running, start};
use mdm_examples::sim::{CHECKIN_CONTENT_TYPE, CONNECT_CONTENT_TYPE, Device, SimConfig};
use mdm_signing::Certificate;
use mdm_testsupport::postgres::TestStore;
use serde_json::{Value, json};

const DEVICES: usize = 4;

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    fn new(s: &Running) -> Self {
        Api {
            http: reqwest::Client::new(),
            base: format!("{}/api/v1", s.base_url),
            key: s.api_key.clone(),
        }
    }

    async fn get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}/{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "GET {path}");
        serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
    }

    async fn enqueue(&self, body: Value) -> String {
        let resp = self
            .http
            .post(format!("{}/commands", self.base))
            .bearer_auth(&self.key)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
        assert_eq!(status, 201, "{v}");
        v["command_uuid"].as_str().unwrap().to_owned()
    }
}

async fn start_at(data: &std::path::Path, listen: &str, store: &TestStore) -> Running {
    start(Options {
        data_dir: data.to_owned(),
        listen: Some(listen.to_owned()),
        public_url: None,
        database: store.database(),
    })
    .await
    .unwrap()
}

/// A small profile to install, signed by nobody.
fn web_clip_profile() -> Vec<u8> {
    let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>PayloadIdentifier</key><string>com.example.e2e.webclip</string>
  <key>PayloadUUID</key><string>0C4E8F8A-5D0B-4C39-9F59-6F0A7C1D2E3F</string>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadVersion</key><integer>1</integer>
  <key>PayloadDisplayName</key><string>End-to-end web clip</string>
  <key>PayloadContent</key><array><dict>
    <key>PayloadType</key><string>com.apple.webClip.managed</string>
    <key>PayloadIdentifier</key><string>com.example.e2e.webclip.1</string>
    <key>PayloadUUID</key><string>7E0D5B42-9E0B-4F7C-8C4C-2B1F7A9D3C11</string>
    <key>PayloadVersion</key><integer>1</integer>
    <key>Label</key><string>Example</string>
    <key>URL</key><string>https://example.com/</string>
  </dict></array>
</dict></plist>"#;
    xml.to_vec()
}

fn statuses(cmd: &Value) -> Vec<String> {
    cmd["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_enroll_run_commands_and_survive_a_restart() {
    let Some(store) = TestStore::from_env("server_e2e") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start_at(&data, "127.0.0.1:0", &store).await;
    let addr = server.addr.to_string();
    let api = Api::new(&server);

    // Devices pin the server's CA for the profile signature.
    let ca_pem = reqwest::get(format!("{}/mdm/ca", server.base_url))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut cfg = SimConfig::new(server.base_url.clone());
    cfg.anchors = vec![Certificate::from_pem(&ca_pem).unwrap()];
    cfg.prefix = "e2e".into();
    let http = cfg.http_client().unwrap();

    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let mut c = cfg.clone();
        // The last device answers every second new command NotNow first.
        if i == DEVICES - 1 {
            c.not_now_every = Some(2);
        }
        devices.push(
            Device::enroll(&http, &server.base_url, i, &c)
                .await
                .unwrap(),
        );
    }
    let listed = api.get("devices").await;
    let listed = listed["devices"].as_array().unwrap();
    assert_eq!(listed.len(), DEVICES);
    for (d, row) in devices.iter().zip(listed) {
        assert_eq!(row["id"], d.udid());
        assert_eq!(row["enrolled"], true);
        assert_eq!(row["has_push_token"], true);
        assert_eq!(
            row["identity_sha256"],
            d.certificate().sha256_fingerprint().unwrap()
        );
        assert_eq!(row["serial_number"], d.facts().serial_number.as_str());
    }
    let checkins = api
        .get(&format!("devices/{}/checkins", devices[0].udid()))
        .await;
    let kinds: Vec<_> = checkins["checkins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message_type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["TokenUpdate", "Authenticate"]);

    // Commands of several kinds for every device, in this order.
    let profile = base64::engine::general_purpose::STANDARD.encode(web_clip_profile());
    let info = api
        .enqueue(json!({"all": true, "request_type": "DeviceInformation",
            "payload": {"Queries": ["DeviceName", "OSVersion", "SerialNumber", "UDID"]}}))
        .await;
    let install = api
        .enqueue(json!({"all": true, "request_type": "InstallProfile",
            "payload": {"Payload": {"$data": profile}}}))
        .await;
    let list = api
        .enqueue(json!({"all": true, "request_type": "ProfileList"}))
        .await;
    let apps = api
        .enqueue(json!({"all": true, "request_type": "InstalledApplicationList"}))
        .await;
    let security = api
        .enqueue(json!({"all": true, "request_type": "SecurityInfo"}))
        .await;
    // A command the simulator does not support: it answers Error with an ErrorChain.
    let unsupported = api
        .enqueue(json!({"all": true, "request_type": "EnableRemoteDesktop"}))
        .await;
    let all = [&info, &install, &list, &apps, &security, &unsupported];

    // Wrong identity: device 1 signs an Idle that claims to be device 0. Refused with 400,
    // and device 0's queue is untouched.
    let idle_for_0 = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>Status</key><string>Idle</string><key>UDID</key><string>{}</string></dict></plist>"#,
        devices[0].udid()
    );
    let (status, _) = devices[1]
        .put_signed(
            &http,
            devices[0].server_url(),
            CONNECT_CONTENT_TYPE,
            idle_for_0.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status, 400);
    // Nor a TokenUpdate for it, nor take over its enrollment with an Authenticate.
    for message in [
        Message::TokenUpdate(devices[0].token_update_message().unwrap()),
        Message::Authenticate(devices[0].authenticate_message().unwrap()),
    ] {
        let body = CheckinMessage::from_message(message)
            .unwrap()
            .encode()
            .unwrap();
        let (status, _) = devices[1]
            .put_signed(&http, devices[0].checkin_url(), CHECKIN_CONTENT_TYPE, &body)
            .await
            .unwrap();
        assert_eq!(status, 400);
    }
    let pending = api.get(&format!("devices/{}", devices[0].udid())).await;
    assert_eq!(
        pending["identity_sha256"],
        devices[0].certificate().sha256_fingerprint().unwrap()
    );
    assert_eq!(pending["pending_commands"], all.len());

    // Each device polls until its queue is empty (the NotNow device needs a second poll).
    for d in devices.iter_mut() {
        let report = d.poll(&http).await.unwrap();
        println!(
            "{}: {} round trips, {:?}",
            d.udid(),
            report.round_trips,
            report
                .answered
                .iter()
                .map(|a| format!("{}={}", a.request_type, a.status))
                .collect::<Vec<_>>()
        );
    }
    let last = devices.last_mut().unwrap();
    let second = last.poll(&http).await.unwrap();
    assert!(
        !second.answered.is_empty(),
        "commands answered NotNow are delivered again on the next poll"
    );
    assert!(second.answered.iter().all(|a| a.status != "NotNow"));

    for uuid in all {
        let cmd = api.get(&format!("commands/{uuid}")).await;
        let s = statuses(&cmd);
        let expected = if *uuid == unsupported {
            "Error"
        } else {
            "Acknowledged"
        };
        assert_eq!(s, vec![expected; DEVICES], "{cmd:#}");
        for r in cmd["results"].as_array().unwrap() {
            assert!(r["typed_error"].is_null(), "{r:#}");
            assert_eq!(r["response"]["CommandUUID"], uuid.as_str());
        }
    }
    let info_cmd = api.get(&format!("commands/{info}")).await;
    for (d, r) in devices.iter().zip(info_cmd["results"].as_array().unwrap()) {
        assert_eq!(r["enrollment_id"], d.udid());
        let q = &r["response"]["QueryResponses"];
        assert_eq!(q["UDID"], d.udid());
        assert_eq!(q["SerialNumber"], d.facts().serial_number.as_str());
        assert!(
            r["raw"]
                .as_str()
                .unwrap()
                .contains("<key>QueryResponses</key>")
        );
    }
    // The answers updated the device records (inventory), readable through the API.
    for d in &devices {
        let rec = api.get(&format!("devices/{}", d.udid())).await;
        assert_eq!(
            rec["serial_number"],
            d.facts().serial_number.as_str(),
            "{rec:#}"
        );
        assert_eq!(rec["os_version"], d.facts().os_version.as_str(), "{rec:#}");
        assert_eq!(
            rec["device_name"],
            d.facts().device_name.as_str(),
            "{rec:#}"
        );
        let inv = &rec["inventory"];
        assert!(inv["security_info"].is_object(), "{rec:#}");
        assert!(inv["installed_applications"].is_array(), "{rec:#}");
        assert!(inv["profiles"].is_array(), "{rec:#}");
        assert!(inv["updated_at"].is_i64(), "{rec:#}");
    }
    // ProfileList lists the installed profile on the devices that ran InstallProfile
    // first; the NotNow device ran ProfileList before its (redelivered) InstallProfile.
    let list_cmd = api.get(&format!("commands/{list}")).await;
    for (d, r) in devices
        .iter()
        .zip(list_cmd["results"].as_array().unwrap())
        .take(DEVICES - 1)
    {
        let ids: Vec<_> = r["response"]["ProfileList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PayloadIdentifier"].as_str().unwrap().to_owned())
            .collect();
        assert!(
            ids.contains(&"com.example.e2e.webclip".to_owned()),
            "{ids:?}"
        );
        assert!(
            d.installed_profiles()
                .contains(&"com.example.e2e.webclip".to_owned())
        );
    }
    assert!(
        devices[DEVICES - 1]
            .installed_profiles()
            .contains(&"com.example.e2e.webclip".to_owned())
    );
    let unsupported_cmd = api.get(&format!("commands/{unsupported}")).await;
    assert!(
        unsupported_cmd["results"][0]["response"]["ErrorChain"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    // The NotNow device was sent some commands twice.
    let history = api
        .get(&format!("devices/{}/commands", devices[DEVICES - 1].udid()))
        .await;
    assert!(
        history["commands"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["deliveries"].as_u64() == Some(2)),
        "{history:#}"
    );

    // The counters moved with all of the above.
    let metrics = reqwest::get(format!("{}/metrics", server.base_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let count = |series: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{series} not in /metrics:\n{metrics}"))
    };
    let devices_u64 = DEVICES as u64;
    assert!(count("mdm_checkins_total{message_type=\"Authenticate\"}") >= devices_u64);
    assert!(count("mdm_checkins_total{message_type=\"TokenUpdate\"}") >= devices_u64);
    assert_eq!(
        count("mdm_command_reports_total{status=\"Acknowledged\"}"),
        devices_u64 * (all.len() as u64 - 1),
        "every command but the unsupported one acknowledged on every device"
    );
    assert_eq!(
        count("mdm_command_reports_total{status=\"Error\"}"),
        devices_u64
    );
    assert!(count("mdm_command_reports_total{status=\"NotNow\"}") >= 1);
    assert!(count("mdm_command_reports_total{status=\"Idle\"}") >= devices_u64);
    assert_eq!(
        count("mdm_commands_queued_total"),
        devices_u64 * all.len() as u64
    );
    assert!(count("mdm_refusals_total{reason=\"identity_mismatch\"}") >= 3);
    assert!(count("mdm_request_duration_seconds_count{route=\"checkin\"}") >= 2 * devices_u64);
    assert!(count("mdm_request_duration_seconds_count{route=\"scep\"}") >= devices_u64);
    let health = reqwest::get(format!("{}/healthz", server.base_url))
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);

    // Restart on the same data directory and port: everything is still there, and the
    // devices' identities still work.
    server.stop().await.unwrap();
    let server = start_at(&data, &addr, &store).await;
    assert!(!server.created);
    let api = Api::new(&server);
    let listed = api.get("devices").await;
    assert_eq!(listed["devices"].as_array().unwrap().len(), DEVICES);
    for uuid in all {
        let cmd = api.get(&format!("commands/{uuid}")).await;
        assert_eq!(cmd["results"].as_array().unwrap().len(), DEVICES);
        assert!(statuses(&cmd).iter().all(|s| s != "-"));
    }
    let lock = api
        .enqueue(
            json!({"devices": [devices[0].udid()], "request_type": "DeviceLock",
            "payload": {"Message": "after restart"}}),
        )
        .await;
    let report = devices[0].poll(&http).await.unwrap();
    assert_eq!(report.answered.len(), 1);
    let cmd = api.get(&format!("commands/{lock}")).await;
    assert_eq!(statuses(&cmd), ["Acknowledged"]);

    // A queued command can be dropped before the device sees it.
    let dropped = api
        .enqueue(json!({"devices": [devices[1].udid()], "request_type": "RestartDevice"}))
        .await;
    let resp = api
        .http
        .delete(format!(
            "{}/devices/{}/commands",
            api.base,
            devices[1].udid()
        ))
        .bearer_auth(&api.key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v: Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(v["removed"], 1);
    assert!(devices[1].poll(&http).await.unwrap().answered.is_empty());
    let cmd = api.get(&format!("commands/{dropped}")).await;
    assert!(cmd["results"].as_array().unwrap().is_empty());

    // CheckOut ends the enrollment.
    devices[0].check_out(&http).await.unwrap();
    let d = api.get(&format!("devices/{}", devices[0].udid())).await;
    assert_eq!(d["enrolled"], false);
    server.stop().await.unwrap();
}
