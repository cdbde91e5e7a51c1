//! Every check-in message type against mdm-server, from an enrolled simulated device:
//! bootstrap token escrow, a user channel's TokenUpdate, UserAuthenticate declined with 410,
//! the declarative-management endpoints, GetToken without a token service.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::panic,
    clippy::indexing_slicing
)]

use mdm_checkin::{
    DeclarativeEndpoint, DeclarativeManagement, GetBootstrapToken, GetToken, Message,
    SetBootstrapToken, TokenServiceType, Udid, UserAuthenticate,
};
use mdm_examples::server::{Options, start};
use mdm_examples::sim::{Device, SimConfig};
use mdm_plist::{Data, Value};
use mdm_testsupport::postgres::TestStore;
use serde_json::Value as Json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_checkin_type_is_handled() {
    let Some(store) = TestStore::from_env("server_checkin_types") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start(Options {
        data_dir: dir.path().join("data"),
        listen: Some("127.0.0.1:0".into()),
        public_url: None,
        database: store.database(),
    })
    .await
    .unwrap();
    let cfg = SimConfig::new(server.base_url.clone());
    let http = cfg.http_client().unwrap();
    let device = Device::enroll(&http, &server.base_url, 0, &cfg)
        .await
        .unwrap();
    let udid = Udid::new(device.udid()).unwrap();

    // Bootstrap token: escrow, read back, clear.
    let mut set = SetBootstrapToken::new();
    set.udid = Some(udid.clone());
    set.bootstrap_token = Some(Data::new(b"bootstrap-secret".to_vec()));
    let (status, _) = device
        .checkin(&http, &Message::SetBootstrapToken(set))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let mut get = GetBootstrapToken::new();
    get.udid = Some(udid.clone());
    let get = Message::GetBootstrapToken(get);
    let (status, body) = device.checkin(&http, &get).await.unwrap();
    assert_eq!(status, 200);
    let v = mdm_plist::value_from_xml_bytes(&body, &mdm_plist::Limits::default()).unwrap();
    let token = v
        .as_dictionary()
        .and_then(|d| d.get("BootstrapToken"))
        .and_then(Value::as_data)
        .unwrap();
    assert_eq!(token, b"bootstrap-secret");
    let mut clear = SetBootstrapToken::new();
    clear.udid = Some(udid.clone());
    let (status, _) = device
        .checkin(&http, &Message::SetBootstrapToken(clear))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (_, body) = device.checkin(&http, &get).await.unwrap();
    let v = mdm_plist::value_from_xml_bytes(&body, &mdm_plist::Limits::default()).unwrap();
    assert!(
        v.as_dictionary()
            .and_then(|d| d.get("BootstrapToken"))
            .is_none()
    );

    // A user channel: TokenUpdate with a UserID creates a child enrollment.
    let mut user_update = device.token_update_message().unwrap();
    user_update.user_id = Some("A1B2C3D4-0000-4000-8000-000000000001".into());
    user_update.user_short_name = Some("jappleseed".into());
    let (status, _) = device
        .checkin(&http, &Message::TokenUpdate(user_update))
        .await
        .unwrap();
    assert_eq!(status, 200);

    // UserAuthenticate: declined, so the device creates no user channel that way.
    let ua = UserAuthenticate::new(udid.clone(), "A1B2C3D4-0000-4000-8000-000000000002");
    let (status, _) = device
        .checkin(&http, &Message::UserAuthenticate(ua))
        .await
        .unwrap();
    assert_eq!(status, 410);

    // Declarative management: empty tokens and manifest, status accepted, no declarations.
    // (examples/tests/server_declarative.rs covers a device with a set.)
    let dm = |endpoint: DeclarativeEndpoint| {
        let mut m = DeclarativeManagement::new(endpoint);
        m.udid = Some(udid.clone());
        Message::DeclarativeManagement(m)
    };
    let (status, body) = device
        .checkin(&http, &dm(DeclarativeEndpoint::Tokens))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let tokens: Json = serde_json::from_slice(&body).unwrap();
    assert!(tokens["SyncTokens"]["DeclarationsToken"].is_string());
    let (status, body) = device
        .checkin(&http, &dm(DeclarativeEndpoint::DeclarationItems))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let items: Json = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        items["Declarations"]["Configurations"],
        serde_json::json!([])
    );
    let mut status_msg = dm(DeclarativeEndpoint::Status);
    if let Message::DeclarativeManagement(m) = &mut status_msg {
        m.data = Some(Data::new(
            br#"{"StatusItems":{},"Errors":[],"FullReport":true}"#.to_vec(),
        ));
    }
    let (status, _) = device.checkin(&http, &status_msg).await.unwrap();
    assert_eq!(status, 200);
    let (status, _) = device
        .checkin(
            &http,
            &dm(DeclarativeEndpoint::from(
                "declaration/configuration/com.example.none",
            )),
        )
        .await
        .unwrap();
    assert_eq!(status, 404);

    // GetToken: no token service here.
    let mut gt = GetToken::new(TokenServiceType::ManagedAppleAccount);
    gt.udid = Some(udid.clone());
    let (status, _) = device.checkin(&http, &Message::GetToken(gt)).await.unwrap();
    assert_eq!(status, 404);

    // What the API shows: the device, its user channel, and the accepted check-ins only.
    let api = |path: String| {
        let (http, key) = (http.clone(), server.api_key.clone());
        async move {
            let resp = http.get(path).bearer_auth(key).send().await.unwrap();
            serde_json::from_slice::<Json>(&resp.bytes().await.unwrap()).unwrap()
        }
    };
    let devices = api(format!("{}/api/v1/devices", server.base_url)).await;
    let ids: Vec<_> = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_str().unwrap().to_owned(), d["parent_id"].clone()))
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let user_id = format!("{}:A1B2C3D4-0000-4000-8000-000000000001", device.udid());
    assert!(
        ids.iter()
            .any(|(id, parent)| *id == user_id && parent == device.udid())
    );
    let log = api(format!(
        "{}/api/v1/devices/{}/checkins",
        server.base_url,
        device.udid()
    ))
    .await;
    let kinds: Vec<_> = log["checkins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message_type"].as_str().unwrap().to_owned())
        .collect();
    assert!(!kinds.contains(&"UserAuthenticate".to_owned()), "{kinds:?}");
    assert!(!kinds.contains(&"GetToken".to_owned()), "{kinds:?}");
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "DeclarativeManagement")
            .count(),
        3,
        "{kinds:?}"
    );
    server.stop().await.unwrap();
}
