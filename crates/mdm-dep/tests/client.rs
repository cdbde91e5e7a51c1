//! The async client against the in-process mock (`tests/common/mock.rs`), which checks every
//! request as strictly as Apple documents: every endpoint, and each fault the client must
//! survive with nothing lost.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use common::mock::{self, Fault, Mock};
use mdm_dep::{
    ActivationLockRequest, AssignPolicy, Client, Config, DeviceStatus, DeviceSync, Error, Profile,
    SerialNumber, ServerToken, SyncPhase,
};

fn config(mock: &Mock) -> Config {
    Config::new(mock::USER_AGENT)
        .unwrap()
        .with_base_url(&mock.url())
        .unwrap()
}

fn client(mock: &Mock) -> Client {
    Client::builder(config(mock), mock::token())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn serials(range: std::ops::Range<usize>) -> Vec<SerialNumber> {
    range
        .map(|i| SerialNumber::new(mock::serial(i)).unwrap())
        .collect()
}

fn assert_clean(mock: &Mock) {
    assert_eq!(mock.violations(), Vec::<String>::new());
}

/// Runs one full round (fetch, then sync) and returns every serial seen, in order.
async fn drain(client: &Client, sync: &mut DeviceSync) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    while let Some(page) = client.next_page(sync).await? {
        out.extend(page.devices.iter().map(|d| d.serial_number.to_string()));
    }
    Ok(out)
}

#[tokio::test]
async fn every_endpoint() {
    let mock = Mock::start(30).await;
    let c = client(&mock);

    let account = c.account().await.unwrap();
    assert_eq!(account.server_uuid.as_deref(), Some("MOCK-UUID"));

    let mut sync = DeviceSync::new(None)
        .with_account_limits(&account)
        .with_limit(10);
    let seen = drain(&c, &mut sync).await.unwrap();
    assert_eq!(seen.len(), 30);
    assert_eq!(sync.phase(), SyncPhase::Sync);

    let details = c.device_details(&serials(0..3)).await.unwrap();
    assert_eq!(details.devices.len(), 3);
    let disowned = c.disown_devices(&serials(0..2)).await.unwrap();
    assert_eq!(disowned.devices[&mock::serial(0)], DeviceStatus::Success);

    let lock = c
        .activation_lock(
            ActivationLockRequest::new(serials(0..1).remove(0)).with_escrow_key("a".repeat(64)),
        )
        .await
        .unwrap();
    assert_eq!(lock.response_status, mdm_dep::ActivationLockStatus::Success);

    let repl = c.replacement_details(&serials(5..6)[0]).await.unwrap();
    assert_eq!(
        repl.original_device_serial_number.as_deref(),
        Some("C02OLD0000001")
    );
    assert!(repl.replacement_date.is_some());
    let missing = c
        .replacement_details(&SerialNumber::new("NOPE").unwrap())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Some(&mdm_dep::ErrorCode::DeviceNotFound));

    let betas = c.beta_enrollment_tokens().await.unwrap();
    assert_eq!(
        betas.beta_enrollment_tokens.unwrap()[1].os,
        Some(mdm_dep::DeviceOs::OSX)
    );

    let mut profile = Profile::new("Staff", "https://mdm.example.com/enroll");
    profile.devices = Some(serials(0..2));
    profile.skip_setup_items = Some(vec![mdm_dep::SkipKey::Siri, "FutureKey".into()]);
    let defined = c.define_profile(profile).await.unwrap();
    assert_eq!(defined.devices.unwrap().len(), 2);
    let got = c.get_profile(&defined.profile_uuid).await.unwrap();
    assert_eq!(got.profile_name, "Staff");
    assert_eq!(got.skip_setup_items.unwrap()[1].as_str(), "FutureKey");
    let not_found = c.get_profile("NOPE").await.unwrap_err();
    assert_eq!(not_found.code(), Some(&mdm_dep::ErrorCode::NotFound));

    let assigned = c
        .assign_profile(&defined.profile_uuid, &serials(0..5))
        .await
        .unwrap();
    assert!(assigned.all_succeeded());
    let removed = c.remove_profile(&serials(0..5)).await.unwrap();
    assert_eq!(removed.devices.len(), 5);

    c.set_account_driven_enrollment_profile(
        "https://mdm.example.com/.well-known/com.apple.remotemanagement",
    )
    .await
    .unwrap();
    let ade = c.account_driven_enrollment_profile().await.unwrap();
    assert!(
        ade.mdm_service_discovery_url
            .unwrap()
            .starts_with("https://")
    );
    assert!(ade.last_updated_timestamp.is_some());
    c.remove_account_driven_enrollment_profile().await.unwrap();
    let gone = c.account_driven_enrollment_profile().await.unwrap_err();
    assert_eq!(gone.api_error().unwrap().status, 404);

    assert_eq!(mock.session_count(), 1, "one session for everything");
    let seen = mock.seen();
    for path in [
        "/session",
        "/account",
        "/server/devices",
        "/devices/sync",
        "/devices",
        "/devices/disown",
        "/device/activationlock",
        "/device/replacementDetails",
        "/os-beta-enrollment/tokens",
        "/profile",
        "/profile/devices",
        "/account-driven-enrollment/profile",
    ] {
        assert!(seen.iter().any(|s| s.path == path), "{path} never called");
    }
    assert!(
        seen.iter()
            .any(|s| s.method == "DELETE" && s.path == "/profile/devices")
    );
    assert!(
        seen.iter()
            .any(|s| s.method == "DELETE" && s.path == "/account-driven-enrollment/profile")
    );
    assert_clean(&mock);
}

#[tokio::test]
async fn reauth_in_the_middle_of_a_fetch_loses_nothing() {
    let mock = Mock::start(5000).await;
    let c = client(&mock);
    c.account().await.unwrap();
    // The third fetch finds every session gone.
    mock.fault("/account", Fault::Rotate);
    c.account().await.unwrap();
    let mut sync = DeviceSync::new(None).with_limit(1000);
    let first = c.next_page(&mut sync).await.unwrap().unwrap();
    let second = c.next_page(&mut sync).await.unwrap().unwrap();
    mock.fault("/server/devices", Fault::ExpireSessions);
    let mut all: Vec<String> = first
        .devices
        .iter()
        .chain(&second.devices)
        .map(|d| d.serial_number.to_string())
        .collect();
    all.extend(drain(&c, &mut sync).await.unwrap());
    assert_eq!(all.len(), 5000);
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len(),
        5000,
        "a page was repeated"
    );
    assert_eq!(all, (0..5000).map(mock::serial).collect::<Vec<_>>());
    // One session at start, one rotation, one re-authentication.
    assert_eq!(mock.session_count(), 3);
    let sessions = mock
        .state
        .lock()
        .unwrap()
        .seen
        .iter()
        .filter(|s| s.path == "/session")
        .count();
    assert_eq!(sessions, 2);
    // The replayed fetch carried the same body as the refused one.
    let seen = mock.seen();
    let refused = seen.iter().position(|s| s.status == 401).unwrap();
    assert_eq!(seen[refused + 2].body, seen[refused].body);
    assert_eq!(seen[refused + 1].path, "/session");
    assert_clean(&mock);
}

#[tokio::test]
async fn rotated_session_is_used_and_stored() {
    let mock = Mock::start(1).await;
    let store = std::sync::Arc::new(mdm_dep::MemorySessionStore::new());
    let c = Client::builder(config(&mock), mock::token())
        .session_store(store.clone())
        .build()
        .unwrap();
    mock.fault("/account", Fault::Rotate);
    c.account().await.unwrap();
    let rotated = c.session().unwrap();
    assert!(rotated.starts_with("rotated-"), "{rotated}");
    use mdm_dep::SessionStore as _;
    assert_eq!(store.load().unwrap().as_deref(), Some(rotated.as_str()));
    c.beta_enrollment_tokens().await.unwrap();
    assert_eq!(
        mock.seen().last().unwrap().session.as_deref(),
        Some(rotated.as_str())
    );

    // A second client on the same store starts with the stored session: no /session.
    let c2 = Client::builder(config(&mock), mock::token())
        .session_store(store)
        .build()
        .unwrap();
    c2.account().await.unwrap();
    assert_eq!(
        mock.seen().iter().filter(|s| s.path == "/session").count(),
        1
    );
    assert_clean(&mock);
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let mock = Mock::start(1).await;
    let c = client(&mock);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.account().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(mock.session_count(), 1);
    // Expire, then eight callers all see 401 at once: still one new session.
    mock.state.lock().unwrap().sessions.clear();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.beta_enrollment_tokens().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(mock.session_count(), 2);
    assert_clean(&mock);
}

#[tokio::test]
async fn forbidden_reauths_once_then_gives_up() {
    let mock = Mock::start(1).await;
    let c = client(&mock);
    mock.fault(
        "/account",
        Fault::Status(403, "\"FORBIDDEN\"".into(), vec![]),
    );
    c.account().await.unwrap();
    assert_eq!(mock.session_count(), 2);
    mock.fault(
        "/account",
        Fault::Status(401, "UNAUTHORIZED".into(), vec![]),
    );
    mock.fault(
        "/account",
        Fault::Status(401, "UNAUTHORIZED".into(), vec![]),
    );
    let err = c.account().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err}");
    assert!(err.is_unauthorized());
    assert_clean(&mock);
}

#[tokio::test]
async fn retry_after_in_seconds_and_http_date() {
    let mock = Mock::start(1).await;
    let c = client(&mock);
    mock.fault(
        "/account",
        Fault::Status(
            429,
            "TOO_MANY_REQUESTS".into(),
            vec![("Retry-After".into(), "1".into())],
        ),
    );
    c.account().await.unwrap();
    let date = (chrono::Utc::now() + chrono::Duration::seconds(1))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    mock.fault(
        "/account",
        Fault::Status(
            503,
            String::new(),
            vec![("Retry-After".into(), date.clone())],
        ),
    );
    c.account().await.unwrap();
    assert_eq!(
        mock.seen().iter().filter(|s| s.path == "/account").count(),
        4
    );

    // Without retries the caller sees the wait.
    let c0 = Client::builder(config(&mock), mock::token())
        .max_retries(0)
        .build()
        .unwrap();
    mock.fault(
        "/account",
        Fault::Status(
            429,
            "TOO_MANY_REQUESTS".into(),
            vec![("Retry-After".into(), "120".into())],
        ),
    );
    let err = c0.account().await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    let far = (chrono::Utc::now() + chrono::Duration::seconds(3600))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    mock.fault(
        "/account",
        Fault::Status(503, String::new(), vec![("Retry-After".into(), far)]),
    );
    // Longer than max_retry_wait: returned at once, not waited for.
    let err = c.account().await.unwrap_err();
    assert!(err.retry_after().unwrap() > Duration::from_secs(3000));
    // 429 on /session itself.
    mock.state.lock().unwrap().sessions.clear();
    mock.fault(
        "/session",
        Fault::Status(
            429,
            "TOO_MANY_REQUESTS".into(),
            vec![("Retry-After".into(), "1".into())],
        ),
    );
    c.account().await.unwrap();
    assert_clean(&mock);
}

#[tokio::test]
async fn throttled_part_of_a_batch_is_retried() {
    let mock = Mock::start(2500).await;
    let c = Client::builder(config(&mock), mock::token())
        .assign_policy(AssignPolicy::default().with_backoff(Duration::from_millis(50)))
        .build()
        .unwrap();
    let uuid = c
        .define_profile(Profile::new("p", "https://mdm.example.com/e"))
        .await
        .unwrap()
        .profile_uuid;
    mock.fault(
        "/profile/devices",
        Fault::Throttle {
            every: 3,
            retry_after: Some(1),
        },
    );
    mock.fault(
        "/profile/devices",
        Fault::Throttle {
            every: 2,
            retry_after: None,
        },
    );
    let mut all = serials(0..2500);
    all.push(SerialNumber::new("ELSEWHERE1").unwrap());
    let out = c.assign_profile(&uuid, &all).await.unwrap();
    assert_eq!(out.statuses.len(), 2501);
    assert_eq!(out.with_status(&DeviceStatus::Success).count(), 2500);
    assert_eq!(
        out.statuses[&SerialNumber::new("ELSEWHERE1").unwrap()],
        DeviceStatus::NotAccessible
    );
    assert_eq!(out.rounds, 2);
    let assigns: Vec<_> = mock
        .seen()
        .into_iter()
        .filter(|s| s.path == "/profile/devices")
        .collect();
    let sizes: Vec<usize> = assigns
        .iter()
        .map(|s| s.body["devices"].as_array().unwrap().len())
        .collect();
    // 1000 + 1000 + 501, then the throttled ones: 334 + 500 in one request of 834.
    assert_eq!(sizes, vec![1000, 1000, 501, 834]);
    assert!(assigns.iter().all(|s| s.method == "POST"));

    // A bounded number of attempts: always throttled ends THROTTLED.
    let c1 = Client::builder(config(&mock), mock::token())
        .assign_policy(
            AssignPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    mock.fault(
        "/profile/devices",
        Fault::Throttle {
            every: 1,
            retry_after: None,
        },
    );
    mock.fault(
        "/profile/devices",
        Fault::Throttle {
            every: 1,
            retry_after: None,
        },
    );
    let out = c1.assign_profile(&uuid, &serials(0..3)).await.unwrap();
    assert_eq!(out.with_status(&DeviceStatus::Throttled).count(), 3);
    // An unknown profile is a plain error.
    let err = c.assign_profile("NOPE", &serials(0..3)).await.unwrap_err();
    assert_eq!(err.api_error().unwrap().status, 404);
    assert_clean(&mock);
}

#[tokio::test]
async fn terms_not_signed_and_access_denied_are_terminal() {
    let mock = Mock::start(1).await;
    let c = client(&mock);
    mock.fault(
        "/session",
        Fault::Status(403, "T_C_NOT_SIGNED".into(), vec![]),
    );
    let err = c.account().await.unwrap_err();
    assert!(err.is_terms_not_signed(), "{err}");
    assert!(err.to_string().contains("terms and conditions"));
    mock.fault(
        "/account",
        Fault::Status(403, r#"{"code": "T_C_NOT_SIGNED"}"#.into(), vec![]),
    );
    let err = c.account().await.unwrap_err();
    assert!(err.is_terms_not_signed() && !err.is_retryable());
    mock.fault(
        "/account",
        Fault::Status(403, "ACCESS_DENIED".into(), vec![]),
    );
    assert!(c.account().await.unwrap_err().is_access_denied());
    // No re-authentication for those.
    assert_eq!(mock.session_count(), 1);
    mock.state.lock().unwrap().sessions.clear();
    mock.fault(
        "/session",
        Fault::Status(401, "token_expiredUnauthorized".into(), vec![]),
    );
    let err = c.account().await.unwrap_err();
    assert!(matches!(err, Error::AuthFailed(_)), "{err}");
    assert_eq!(err.code(), Some(&mdm_dep::ErrorCode::TokenExpired));
    assert_clean(&mock);
}

#[tokio::test]
async fn expired_token_is_refused_before_any_request() {
    let mock = Mock::start(1).await;
    let token =
        mock::token().with_access_token_expiry(chrono::Utc::now() - chrono::Duration::days(1));
    let c = Client::builder(config(&mock), token).build().unwrap();
    let err = c.account().await.unwrap_err();
    assert!(matches!(err, Error::TokenExpired { .. }), "{err}");
    assert!(mock.seen().is_empty());
}

#[tokio::test]
async fn each_cursor_error() {
    let mock = Mock::start(20).await;
    let c = client(&mock);
    // EXHAUSTED_CURSOR on fetch: on to sync with the same cursor.
    let mut sync = DeviceSync::resume(SyncPhase::Fetch, Some("cur-20".into())).with_limit(10);
    assert!(drain(&c, &mut sync).await.unwrap().is_empty());
    let seen = mock.seen();
    let paths: Vec<&str> = seen
        .iter()
        .map(|s| s.path.as_str())
        .filter(|p| *p != "/session")
        .collect();
    assert_eq!(paths, ["/server/devices", "/devices/sync"]);
    assert_eq!(seen.last().unwrap().body["cursor"], "cur-20");

    // EXPIRED_CURSOR on sync: a full fetch again, nothing lost.
    mock.expire_cursor("cur-7");
    let mut sync = DeviceSync::new(Some("cur-7".into())).with_limit(10);
    assert_eq!(drain(&c, &mut sync).await.unwrap().len(), 20);

    // INVALID_CURSOR: the same.
    let mut sync = DeviceSync::new(Some("garbage".into())).with_limit(10);
    assert_eq!(drain(&c, &mut sync).await.unwrap().len(), 20);
    // And sync changes after it, repeats collapsed to the latest op_date.
    mock.push_change(serde_json::json!({"serial_number": mock::serial(1), "op_type": "modified", "op_date": "2024-05-02T09:00:00Z", "asset_tag": "old"}));
    mock.push_change(serde_json::json!({"serial_number": mock::serial(1), "op_type": "modified", "op_date": "2024-05-02T09:30:00+0000", "asset_tag": "new"}));
    mock.push_change(serde_json::json!({"serial_number": mock::serial(2), "op_type": "deleted", "op_date": "2024-05-02T09:10:00Z", "released_by_replacement": true}));
    sync.next_round();
    let page = c.next_page(&mut sync).await.unwrap().unwrap();
    assert_eq!(page.devices.len(), 2);
    assert_eq!(page.devices[0].asset_tag.as_deref(), Some("new"));
    assert_eq!(page.devices[1].op_type, Some(mdm_dep::OpType::Deleted));
    assert_eq!(page.devices[1].released_by_replacement, Some(true));
    assert!(c.next_page(&mut sync).await.unwrap().is_none());
    assert_clean(&mock);
}

#[tokio::test]
async fn malformed_truncated_and_oversized_bodies() {
    let mock = Mock::start(1).await;
    let c = client(&mock);
    mock.fault("/account", Fault::Body(b"<html>not json</html>".to_vec()));
    assert!(matches!(
        c.account().await.unwrap_err(),
        Error::MalformedResponse { .. }
    ));
    mock.fault(
        "/server/devices",
        Fault::Body(br#"{"cursor":"c","devices":[{"serial_number":"A"#.to_vec()),
    );
    let mut sync = DeviceSync::new(None);
    assert!(matches!(
        c.next_page(&mut sync).await.unwrap_err(),
        Error::MalformedResponse { .. }
    ));
    // The machine did not move: the next try fetches from the start again.
    assert_eq!(
        c.next_page(&mut sync).await.unwrap().unwrap().devices.len(),
        1
    );
    mock.fault(
        "/account",
        Fault::Body(vec![b' '; mdm_dep::MAX_RESPONSE_BODY + 1024 * 1024]),
    );
    assert!(matches!(
        c.account().await.unwrap_err(),
        Error::ResponseTooLarge { .. }
    ));
    mock.fault(
        "/session",
        Fault::Body(br#"{"auth_session_token": ""}"#.to_vec()),
    );
    mock.state.lock().unwrap().sessions.clear();
    assert!(matches!(
        c.account().await.unwrap_err(),
        Error::MalformedResponse { .. }
    ));
    assert_clean(&mock);
}

#[tokio::test]
async fn a_stalling_server_times_out() {
    let mock = Mock::start(1).await;
    let c = Client::builder(config(&mock), mock::token())
        .timeout(Duration::from_millis(300))
        .max_retries(0)
        .build()
        .unwrap();
    c.account().await.unwrap();
    mock.fault("/account", Fault::Stall(Duration::from_secs(30)));
    let err = tokio::time::timeout(Duration::from_secs(20), c.account())
        .await
        .expect("hung")
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn protocol_version_and_put_are_configurable() {
    let mock = Mock::start(3).await;
    mock.state.lock().unwrap().protocol_version = "7".into();
    let cfg = config(&mock)
        .with_protocol_version(7)
        .with_assign_method(mdm_dep::AssignMethod::Put);
    let c = Client::builder(cfg, mock::token()).build().unwrap();
    let uuid = c
        .define_profile(Profile::new("p", "https://m.example/e"))
        .await
        .unwrap()
        .profile_uuid;
    c.assign_profile(&uuid, &serials(0..3)).await.unwrap();
    assert!(mock.seen().iter().any(|s| s.method == "PUT"));
    // Replacement details need 10: refused before sending.
    let err = c.replacement_details(&serials(0..1)[0]).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)));
    assert_clean(&mock);
}

/// Python's oauthlib (Debian python3-oauthlib) checks our `/session` signature, and signs
/// the same request itself with the same nonce and timestamp: the signatures agree.
#[test]
fn oauthlib_verifies_the_session_signature() {
    let python = std::path::Path::new("/usr/bin/python3");
    let have = python.is_file()
        && Command::new(python)
            .args(["-c", "import oauthlib"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !have {
        if std::env::var("MDM_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("python3-oauthlib is not installed and MDM_REQUIRE_PEERS=1");
        }
        eprintln!(
            "oauthlib_verifies_the_session_signature: skipped, python3-oauthlib not installed"
        );
        return;
    }
    let token = ServerToken::new("CK_consumer", "CS_se cret/+=&", "AT_tok en", "AS_acc~ess%");
    let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap();
    for base in ["https://mdmenrollment.apple.com", "http://127.0.0.1:8443"] {
        let cfg = Config::new("acme/1").unwrap().with_base_url(base).unwrap();
        let req = cfg.session_request(&token, now, "n0nce-Ab_9").unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        let out = Command::new(python)
            .arg("-c")
            .arg(OAUTHLIB_CHECK)
            .args([
                &cfg.session_url(),
                auth,
                &token.consumer_key,
                token.consumer_secret.expose_secret(),
                token.access_token.expose_secret(),
                token.access_secret.expose_secret(),
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "oauthlib refused: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stdout.trim(), "ok");
    }
}

const OAUTHLIB_CHECK: &str = r#"
import sys
from oauthlib.oauth1 import Client, SIGNATURE_HMAC_SHA1, SIGNATURE_TYPE_AUTH_HEADER
from oauthlib.oauth1.rfc5849 import signature, utils

url, auth, ck, cs, at, ats = sys.argv[1:7]
# The header values are percent-encoded (RFC 5849 section 3.5.1).
p = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(auth)}
assert p.get("realm") == "ADM", p
assert p["oauth_signature_method"] == "HMAC-SHA1"
assert p["oauth_version"] == "1.0"
assert p["oauth_consumer_key"] == ck and p["oauth_token"] == at

# 1. Verify: collect, normalise and sign as a server would.
collected = signature.collect_parameters(headers={"Authorization": auth}, exclude_oauth_signature=True, with_realm=False)
base = signature.signature_base_string("GET", signature.base_string_uri(url), signature.normalize_parameters(collected))
expected = signature.sign_hmac_sha1(base, cs, ats)
if expected != p["oauth_signature"]:
    print("signature mismatch", expected, p["oauth_signature"]); sys.exit(1)

# 2. Sign the same request with oauthlib's client: same signature.
client = Client(ck, client_secret=cs, resource_owner_key=at, resource_owner_secret=ats,
                signature_method=SIGNATURE_HMAC_SHA1, signature_type=SIGNATURE_TYPE_AUTH_HEADER,
                realm="ADM", nonce=p["oauth_nonce"], timestamp=p["oauth_timestamp"])
_, headers, _ = client.sign(url, http_method="GET")
theirs = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(headers["Authorization"])}
if theirs["oauth_signature"] != p["oauth_signature"]:
    print("client signature differs", theirs["oauth_signature"]); sys.exit(1)
print("ok")
"#;
