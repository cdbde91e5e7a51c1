//! The async client against the in-process mock of the service (`common/mock.rs`), which
//! checks every request as Apple documents: bearer token, content type, limits, rate,
//! page indexes, events. One test per fault of the issue.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::mock::{FaultKind, Mock, MockConfig, Target};
use mdm_vpp::{
    AdamId, Asset, AssetsQuery, AssignmentsQuery, Client, ClientConfigRequest, ClientUserId,
    ContentToken, Error, ErrorNumber, EventStatus, ManageAssetsRequest, ManageUsersRequest,
    MdmInfo, RequestUser, RetryPolicy, RevokeAssetsRequest, Secret, SerialNumber, UsersQuery,
    WaitPolicy,
};
use serde_json::json;

fn token_with(exp: &str) -> ContentToken {
    let json = format!(r#"{{"token":"dGVzdA==","expDate":"{exp}","orgName":"Test Org"}}"#);
    ContentToken::decode(
        base64::engine::general_purpose::STANDARD
            .encode(json)
            .as_bytes(),
    )
    .unwrap()
}

fn token() -> ContentToken {
    token_with("2099-01-01T00:00:00+0000")
}

fn mock() -> Mock {
    Mock::spawn(MockConfig::new(token().expose_secret()))
}

fn fast() -> RetryPolicy {
    RetryPolicy::default()
        .with_base_delay(Duration::from_millis(20))
        .with_max_delay(Duration::from_millis(1500))
}

fn client(m: &Mock) -> Client {
    Client::builder(token())
        .base_url(&m.base_url)
        .retry(fast())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn serials(prefix: &str, n: usize) -> Vec<SerialNumber> {
    (0..n)
        .map(|i| SerialNumber::new(format!("{prefix}{i:06}")).unwrap())
        .collect()
}

fn app(id: &str) -> Asset {
    Asset::new(AdamId::new(id).unwrap())
}

fn quick() -> WaitPolicy {
    WaitPolicy::polling(Duration::from_millis(20)).with_give_up(Duration::from_secs(10))
}

#[tokio::test]
async fn every_endpoint() {
    let m = Mock::spawn(MockConfig {
        assets: 250,
        ..MockConfig::new(token().expose_secret())
    });
    let c = client(&m);

    let config = c.service_config().await.unwrap();
    assert_eq!(config.limits.max_serial_numbers, 1000);
    assert!(
        config
            .urls
            .get_assets
            .as_deref()
            .unwrap()
            .contains("/api/v2/")
    );

    let cc = c.client_config().await.unwrap();
    assert_eq!(cc.location_name.as_deref(), Some("Mock Location"));
    let set = ClientConfigRequest::default()
        .with_mdm_info(MdmInfo::new("mdm-1", "Our MDM").with_metadata("example.com"))
        .with_notifications("https://mdm.example/vpp", Secret::new("n-secret"))
        .with_notification_types([mdm_vpp::NotificationType::AssetManagement]);
    let cc = c.update_client_config(&set).await.unwrap();
    assert_eq!(cc.mdm_info.unwrap().id, "mdm-1");
    assert_eq!(
        cc.notification_auth_token.unwrap().expose_secret(),
        "n-secret"
    );

    let mut pages = c.assets(&AssetsQuery::default());
    let assets = pages.collect_items().await.unwrap();
    assert_eq!(assets.len(), 250);
    assert_eq!(pages.pages(), 3);
    let books = c
        .assets(&AssetsQuery {
            product_type: Some(mdm_vpp::ProductType::Book),
            ..Default::default()
        })
        .collect_items()
        .await
        .unwrap();
    assert_eq!(books.len(), 125);

    let job = ManageAssetsRequest::new([app("1000"), app("1001")])
        .with_serial_numbers(serials("DEV", 3))
        .with_client_user_ids([ClientUserId::new("u-1").unwrap()]);
    let events = c.associate(&job).await.unwrap();
    assert_eq!(events.len(), 2); // devices and users in separate requests
    let outcome = c.wait_events(&events, quick()).await.unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.num_completed(), 8);

    let all = c
        .assignments(&AssignmentsQuery::default())
        .collect_items()
        .await
        .unwrap();
    assert_eq!(all.len(), 8);
    let one = c
        .assignments(&AssignmentsQuery {
            serial_number: Some(SerialNumber::new("DEV000001").unwrap()),
            ..Default::default()
        })
        .collect_items()
        .await
        .unwrap();
    assert_eq!(one.len(), 2);

    let e = c
        .disassociate(
            &ManageAssetsRequest::new([app("1001")]).with_serial_numbers(serials("DEV", 3)),
        )
        .await
        .unwrap();
    c.wait_events(&e, quick()).await.unwrap();
    let e = c
        .revoke(&RevokeAssetsRequest::client_user_ids([ClientUserId::new(
            "u-1",
        )
        .unwrap()]))
        .await
        .unwrap();
    let st = c.wait_events(&e, quick()).await.unwrap();
    assert_eq!(st.events[0].event_type, Some(mdm_vpp::EventType::Revoke));
    assert_eq!(m.with(|s| s.assignments.len()), 3);

    let users = ManageUsersRequest::new([
        RequestUser::new(ClientUserId::new("u-1").unwrap()).with_email("a@example.com"),
        RequestUser::new(ClientUserId::new("u-2").unwrap()),
    ]);
    let e = c.create_users(&users).await.unwrap();
    c.wait_events(&e, quick()).await.unwrap();
    let e = c
        .update_users(&ManageUsersRequest::new([RequestUser::new(
            ClientUserId::new("u-2").unwrap(),
        )
        .with_email("b@example.com")]))
        .await
        .unwrap();
    c.wait_events(&e, quick()).await.unwrap();
    let e = c
        .retire_users(&ManageUsersRequest::new([RequestUser::new(
            ClientUserId::new("u-1").unwrap(),
        )]))
        .await
        .unwrap();
    c.wait_events(&e, quick()).await.unwrap();
    let active = c
        .users(&UsersQuery {
            active_only: Some(true),
            ..Default::default()
        })
        .collect_items()
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0].email.as_deref(), Some("b@example.com"));

    let status = c.status(&e[0]).await.unwrap();
    assert_eq!(status.event_status, EventStatus::Complete);
    let unknown = c
        .status(&mdm_vpp::EventId::new("nope").unwrap())
        .await
        .unwrap_err();
    assert_eq!(unknown.error_number(), Some(ErrorNumber::EventNotFound));

    // Every request after service/config went to the URLs it listed, and was accepted.
    m.with(|s| {
        assert!(
            s.log
                .iter()
                .all(|l| l.path.starts_with("/api/v2/") || l.path == "/mdm/v2/service/config")
        );
        assert_eq!(s.rate_violations, 0);
        assert_eq!(s.double_assignments, 0);
        let retire = s
            .post_bodies
            .iter()
            .find(|(p, _)| p == "users/retire")
            .unwrap();
        assert_eq!(retire.1, json!({"users": [{"clientUserId": "u-1"}]}));
    });
    assert_eq!(m.count("/service/config"), 1, "the configuration is cached");
}

#[tokio::test]
async fn bulk_job_is_chunked_by_the_live_limits_and_the_rate() {
    let mut config = MockConfig::new(token().expose_secret());
    config.limits["maxSerialNumbers"] = json!(100);
    config.limits["maxRequestPerSecond"] = json!(4);
    let m = Mock::spawn(config);
    let c = client(&m);
    let mut all = serials("BULK", 1000);
    all.extend(serials("BULK", 50)); // duplicates are dropped, not sent twice
    let job = ManageAssetsRequest::new([app("1000")]).with_serial_numbers(all);
    let events = c.associate(&job).await.unwrap();
    assert_eq!(events.len(), 10);
    m.with(|s| {
        assert_eq!(
            s.rate_violations, 0,
            "the client went over maxRequestPerSecond"
        );
        assert!(
            s.max_in_window <= 4,
            "{} requests in one second",
            s.max_in_window
        );
        assert_eq!(s.assignments.len(), 1000);
        assert_eq!(s.double_assignments, 0);
        for (_, body) in s
            .post_bodies
            .iter()
            .filter(|(p, _)| p == "assets/associate")
        {
            assert!(body["serialNumbers"].as_array().unwrap().len() <= 100);
        }
    });
    assert!(c.stats().rate_waits > 0);
}

#[tokio::test]
async fn version_change_mid_traversal_is_refused() {
    let m = mock();
    m.seed_assignments(250);
    m.with(|s| s.bump_version_after_page = Some(0));
    let c = client(&m);
    let mut pages = c.assignments(&AssignmentsQuery::default());
    let first = pages.next_page().await.unwrap().unwrap();
    assert_eq!(first.version_id.as_deref(), Some("v1"));
    let err = loop {
        match pages.next_page().await {
            Some(Ok(_)) => {}
            Some(Err(e)) => break e,
            None => panic!("the traversal ended without noticing the change"),
        }
    };
    assert!(err.is_version_changed() && err.is_retryable(), "{err}");
    assert!(pages.next_page().await.is_none(), "a failed traversal ends");
    // Starting again reads one consistent version.
    let again = c
        .assignments(&AssignmentsQuery::default())
        .collect_items()
        .await
        .unwrap();
    assert_eq!(again.len(), 250);
}

#[tokio::test]
async fn incremental_sync_with_since_version() {
    let m = mock();
    m.seed_assignments(5);
    let c = client(&m);
    let mut pages = c.assignments(&AssignmentsQuery::default());
    assert_eq!(pages.collect_items().await.unwrap().len(), 5);
    let since = pages.version_id().unwrap().to_owned();
    let e = c
        .associate(&ManageAssetsRequest::new([app("1001")]).with_serial_numbers(serials("NEW", 2)))
        .await
        .unwrap();
    c.wait_events(&e, quick()).await.unwrap();
    let delta = c
        .assignments(&AssignmentsQuery {
            since_version_id: Some(since),
            ..Default::default()
        })
        .collect_items()
        .await
        .unwrap();
    assert_eq!(delta.len(), 2);
    assert!(m.with(|s| s.log.iter().any(|l| l.query.contains("sinceVersionId=v1"))));
}

#[tokio::test]
async fn too_many_requests_with_retry_after() {
    let m = mock();
    let c = client(&m);
    c.service_config().await.unwrap();
    m.fault(
        Some("client/config"),
        FaultKind::Respond {
            status: 429,
            body: r#"{"errorNumber":9646,"errorMessage":"too many requests"}"#.into(),
            retry_after: Some(1),
        },
    );
    c.client_config().await.unwrap();
    assert_eq!(c.stats().retries, 1);
    assert_eq!(m.count("client/config"), 2);
}

#[tokio::test]
async fn too_many_requests_without_retry_after_backs_off_and_gives_up() {
    let m = mock();
    let c = client(&m);
    c.service_config().await.unwrap();
    let throttle = || FaultKind::Respond {
        status: 429,
        body: r#"{"errorNumber":9646,"errorMessage":"too many requests"}"#.into(),
        retry_after: None,
    };
    for _ in 0..2 {
        m.fault(Some("assets/associate"), throttle());
    }
    let job = ManageAssetsRequest::new([app("1000")]).with_serial_numbers(serials("T", 1));
    let events = c.associate(&job).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(m.count("assets/associate"), 3);
    // Bounded: four throttles outlast three retries.
    for _ in 0..4 {
        m.fault(Some("client/config"), throttle());
    }
    let err = c.client_config().await.unwrap_err();
    assert!(err.is_rate_limited() && err.is_retryable(), "{err}");
    assert_eq!(m.count("client/config"), 4);
    assert_eq!(m.with(|s| s.double_assignments), 0);
}

#[tokio::test]
async fn service_unavailable_is_retried() {
    let m = mock();
    let c = client(&m);
    c.service_config().await.unwrap();
    m.fault(
        Some("status"),
        FaultKind::Respond {
            status: 503,
            body: String::new(),
            retry_after: Some(1),
        },
    );
    let job = ManageAssetsRequest::new([app("1000")]).with_serial_numbers(serials("U", 1));
    let events = c.associate(&job).await.unwrap();
    let outcome = c.wait_events(&events, quick()).await.unwrap();
    assert!(outcome.is_success());
    assert!(c.stats().retries >= 1);
}

#[tokio::test]
async fn error_body_in_a_200_is_an_error() {
    let m = mock();
    let c = client(&m);
    c.service_config().await.unwrap();
    m.fault(
        Some("assets"),
        FaultKind::Respond {
            status: 200,
            body: r#"{"errorNumber":9625,"errorMessage":"the sToken has been revoked"}"#.into(),
            retry_after: None,
        },
    );
    let err = c
        .assets(&AssetsQuery::default())
        .collect_items()
        .await
        .unwrap_err();
    assert!(
        err.is_token_revoked() && err.is_unauthorized() && !err.is_retryable(),
        "{err}"
    );
    assert_eq!(err.http_status(), Some(200));
    assert_eq!(m.count("/assets"), 1, "not retried");
}

#[tokio::test]
async fn expired_token_is_refused_before_sending() {
    let m = mock();
    let c = Client::builder(token_with("2020-12-31T13:57:19+02:00"))
        .base_url(&m.base_url)
        .build()
        .unwrap();
    let err = c.client_config().await.unwrap_err();
    assert!(err.is_token_expired(), "{err}");
    let job = ManageAssetsRequest::new([app("1000")]).with_serial_numbers(serials("X", 1));
    assert!(c.associate(&job).await.unwrap_err().is_token_expired());
    assert_eq!(
        m.with(|s| s.log.iter().filter(|l| l.path.starts_with("/api/")).count()),
        0
    );
}

#[tokio::test]
async fn wrong_token_is_unauthorized() {
    let m = mock();
    let c = Client::builder(token_with("2098-01-01T00:00:00Z"))
        .base_url(&m.base_url)
        .build()
        .unwrap();
    let err = c.client_config().await.unwrap_err();
    assert!(err.is_unauthorized() && !err.is_retryable(), "{err}");
    assert_eq!(err.http_status(), Some(401));
}

#[tokio::test]
async fn another_mdm_is_a_conflict() {
    let m = Mock::spawn(MockConfig {
        mdm_info: Some(json!({"id": "someone-else", "name": "Other MDM"})),
        ..MockConfig::new(token().expose_secret())
    });
    let c = Client::builder(token())
        .base_url(&m.base_url)
        .mdm_info(MdmInfo::new("mdm-1", "Our MDM"))
        .build()
        .unwrap();
    let err = c.client_config().await.unwrap_err();
    assert!(err.is_mdm_conflict(), "{err}");
    assert!(err.to_string().contains("Other MDM"), "{err}");
    // Without our mdmInfo configured there is nothing to compare.
    client(&m).client_config().await.unwrap();
}

#[tokio::test]
async fn event_pending_past_give_up() {
    let m = mock();
    m.with(|s| s.events_never_complete = true);
    let c = client(&m);
    let job = ManageAssetsRequest::new([app("1000")]).with_serial_numbers(serials("P", 1));
    let events = c.associate(&job).await.unwrap();
    let policy =
        WaitPolicy::polling(Duration::from_millis(50)).with_give_up(Duration::from_millis(400));
    let err = c.wait_events(&events, policy).await.unwrap_err();
    assert!(
        matches!(err, Error::EventPending { .. }) && err.is_retryable(),
        "{err}"
    );
    m.with(|s| {
        let polls = &s.events.values().next().unwrap().polls;
        assert!(
            polls.len() >= 2 && polls.len() <= 10,
            "{} polls",
            polls.len()
        );
        for w in polls.windows(2) {
            assert!(
                w[1].duration_since(w[0]) >= Duration::from_millis(50),
                "polled too fast"
            );
        }
    });
}

#[tokio::test]
async fn per_item_failures_are_merged() {
    let m = mock();
    let c = client(&m);
    let mut s = serials("OK", 3);
    s.extend(serials("FAIL", 2));
    let job = ManageAssetsRequest::new([app("1000")]).with_serial_numbers(s);
    let events = c.associate(&job).await.unwrap();
    let outcome = c.wait_events(&events, quick()).await.unwrap();
    assert!(!outcome.is_success());
    assert_eq!(
        outcome.failed_serial_numbers(),
        ["FAIL000000", "FAIL000001"]
    );
    assert_eq!(
        outcome.failures()[0].error_number,
        ErrorNumber::NotEnoughLicenses
    );
    assert_eq!(outcome.num_completed(), 3);
}

#[tokio::test]
async fn malformed_and_oversize_bodies() {
    let m = mock();
    let c = client(&m);
    c.service_config().await.unwrap();
    m.fault(
        Some("client/config"),
        FaultKind::Respond {
            status: 200,
            body: "{\"countryISO2ACode\": [".into(),
            retry_after: None,
        },
    );
    assert!(matches!(
        c.client_config().await,
        Err(Error::Malformed { .. })
    ));
    m.fault(Some("client/config"), FaultKind::Oversize);
    assert!(matches!(
        c.client_config().await,
        Err(Error::BodyTooLarge { .. })
    ));
    m.fault(
        Some("client/config"),
        FaultKind::Respond {
            status: 502,
            body: "<html>bad gateway</html>".into(),
            retry_after: None,
        },
    );
    c.client_config().await.unwrap(); // retried
}

#[tokio::test]
async fn stalled_server_times_out_and_a_post_is_not_resent() {
    let m = mock();
    let c = Client::builder(token())
        .base_url(&m.base_url)
        .retry(fast())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    c.service_config().await.unwrap();
    m.fault(Some("assets/associate"), FaultKind::Stall);
    let job = ManageAssetsRequest::new([app("1000")]).with_serial_numbers(serials("S", 1));
    let err = c.associate(&job).await.unwrap_err();
    assert_eq!(err, Error::Timeout);
    assert_eq!(
        m.count("assets/associate"),
        1,
        "a POST that may have been taken is not resent"
    );
    // A read is retried after a stall.
    m.fault(Some("client/config"), FaultKind::Stall);
    c.client_config().await.unwrap();
    assert_eq!(m.count("client/config"), 2);
}

#[tokio::test]
async fn partial_submission_keeps_the_accepted_events() {
    let mut config = MockConfig::new(token().expose_secret());
    config.limits["maxSerialNumbers"] = json!(2);
    let m = Mock::spawn(config);
    let c = client(&m);
    c.service_config().await.unwrap();
    // The second chunk is refused (not retryable).
    m.with(|s| {
        s.faults.push_back(common::mock::Fault {
            path: Some("assets/associate"),
            kind: FaultKind::Respond {
                status: 200,
                body: r#"{"eventId":"00000000-0000-4000-8000-999999999999","uId":"4242"}"#.into(),
                retry_after: None,
            },
        });
        s.faults.push_back(common::mock::Fault {
            path: Some("assets/associate"),
            kind: FaultKind::Respond {
                status: 400,
                body: r#"{"errorNumber":9602,"errorMessage":"invalid argument"}"#.into(),
                retry_after: None,
            },
        });
    });
    let job = ManageAssetsRequest::new([app("1000")]).with_serial_numbers(serials("Q", 6));
    let err = c.associate(&job).await.unwrap_err();
    assert_eq!(err.submitted_events().len(), 1);
    assert!(
        matches!(&err, Error::PartiallySubmitted { unsent: 2, .. }),
        "{err}"
    );
    assert_eq!(err.error_number(), Some(ErrorNumber::InvalidArgument));
}

#[test]
fn mock_refuses_what_apple_refuses() {
    // The mock itself, driven by the sans-IO core over a plain blocking client: wrong
    // content type, over-limit bodies and out-of-range pages get Apple's numbers.
    let m = mock();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let base = m.base_url.replace("/mdm/v2", "/api/v2");
        let bearer = format!("Bearer {}", token().expose_secret());
        let r = http
            .post(format!("{base}/assets/associate"))
            .header("authorization", &bearer)
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 415);
        let big: Vec<String> = (0..1001).map(|i| format!("S{i}")).collect();
        let r = http
            .post(format!("{base}/assets/associate"))
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .body(json!({"assets": [{"adamId": "1"}], "serialNumbers": big}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("9702"));
        let r = http
            .get(format!("{base}/assets?pageIndex=7"))
            .header("authorization", &bearer)
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("9650"));
        let r = http.get(format!("{base}/assets")).send().await.unwrap();
        assert_eq!(r.status(), 401);
    });
    assert!(m.with(|s| {
        s.assignments
            .iter()
            .all(|(h, _)| matches!(h.target, Target::Serial(_)))
    }));
}

#[tokio::test]
async fn nothing_listening_is_retried_as_the_policy_says_and_no_more() {
    // Port 1 on loopback: refused at once (a free ephemeral port could be taken by the
    // connection's own source port).
    let c = Client::builder(token())
        .base_url("http://127.0.0.1:1/mdm/v2")
        .retry(fast().with_max_retries(2))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let err = c.client_config().await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    // The configuration read behind the call retries; the call does not retry it again.
    assert_eq!(c.stats().retries, 2);
}
