//! The async client against the in-process mock of the service (`common/mock.rs`), which
//! verifies the client assertion itself (signature, claims, `exp` bound, `jti` reuse) and
//! hands out tokens that expire. Every endpoint, then one test per fault of the issue.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use common::mock::{FaultKind, Mock, MockConfig, serial, server_id};
use mdm_axm::{
    ActivityPoll, ActivityRequest, ActivityStatus, ActivitySubStatus, Client, ClientBuilder,
    Config, Credentials, DeviceStatus, Error, GetOrgDevice, ListMdmServerDevices, ListMdmServers,
    ListOrgDevices, MAX_ASSERTION_LIFETIME, MAX_RESPONSE_BODY, OAuthErrorCode, Pager,
    ProductFamily, SerialNumber, SigningKey, TokenRequestStyle,
};

const CLIENT_ID: &str = "BUSINESSAPI.9703f56c-10ce-4876-8f59-e78e5e23a152";
const KEY_ID: &str = "d136aa66-0c3b-4bd4-9892-c20e8db024ab";

struct Setup {
    mock: Mock,
    creds: Credentials,
}

fn setup_with(change: impl FnOnce(&mut MockConfig)) -> Setup {
    let key = SigningKey::generate().unwrap();
    let mut config = MockConfig::new(CLIENT_ID, KEY_ID, &key.public_key_pem().unwrap());
    change(&mut config);
    Setup {
        mock: Mock::spawn(config),
        creds: Credentials::new(CLIENT_ID, KEY_ID, key).unwrap(),
    }
}

fn setup() -> Setup {
    setup_with(|_| {})
}

impl Setup {
    fn config(&self) -> Config {
        Config::for_credentials(&self.creds)
            .with_base_url(&self.mock.base_url)
            .unwrap()
            .with_token_url(&self.mock.token_url)
            .unwrap()
    }

    fn builder(&self) -> ClientBuilder {
        Client::builder(self.config(), self.creds.clone())
            .retry_delay(Duration::from_millis(10))
            .max_retry_wait(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
    }

    fn client(&self) -> Client {
        self.builder().build().unwrap()
    }

    fn assert_clean(&self) {
        assert_eq!(self.mock.violations(), Vec::<String>::new());
    }
}

fn sn(i: usize) -> SerialNumber {
    SerialNumber::new(serial(i)).unwrap()
}

fn quick(id: &str) -> ActivityPoll {
    ActivityPoll::new(id)
        .first_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(20))
        .max_wait(Duration::from_secs(5))
}

fn respond(status: u16, body: &str, retry_after: Option<u64>) -> FaultKind {
    FaultKind::Respond {
        status,
        body: body.to_owned(),
        retry_after,
    }
}

#[tokio::test]
async fn every_read_endpoint() {
    let s = setup();
    let c = s.client();

    // Every page of org devices (5 devices, 2 a page), the field variants read.
    let devices = c
        .org_devices(ListOrgDevices::new().with_limit(2).unwrap())
        .await
        .unwrap();
    assert_eq!(devices.len(), 5);
    assert_eq!(s.mock.count("/v1/orgDevices"), 3);
    let ids: HashSet<_> = devices.iter().map(|d| d.id.clone()).collect();
    assert_eq!(ids.len(), 5);
    let old = &devices[1].attributes; // a string imei and `purchaseSourceUid`
    assert_eq!(old.imei.len(), 1);
    assert_eq!(old.purchase_source_id.as_deref(), Some("PS-1"));
    let new = &devices[0].attributes;
    assert_eq!(new.imei.len(), 2);
    assert_eq!(new.product_family, Some(ProductFamily::Mac));
    assert_eq!(new.status, Some(DeviceStatus::Assigned));
    assert!(new.extra.contains_key("futureAttribute"));
    assert_eq!(devices[2].attributes.status, Some(DeviceStatus::Unassigned));

    // `fields[orgDevices]` trims the attributes.
    let trimmed = c
        .org_devices(
            ListOrgDevices::new()
                .with_fields(["serialNumber", "productFamily"])
                .unwrap(),
        )
        .await
        .unwrap();
    let a = &trimmed[0].attributes;
    assert!(a.serial_number.is_some() && a.product_family.is_some());
    assert!(a.imei.is_empty() && a.status.is_none());

    // One device, its server (linkage and resource), its AppleCare coverage.
    let one = c.org_device(sn(0)).await.unwrap();
    assert_eq!(one.data.id, serial(0));
    assert!(one.data.relationships.contains_key("assignedServer"));
    let trimmed = c
        .call(&GetOrgDevice::new(sn(0)).with_fields(["color"]).unwrap())
        .await
        .unwrap();
    assert_eq!(trimmed.data.attributes.color.as_deref(), Some("SILVER"));
    assert!(trimmed.data.attributes.serial_number.is_none());
    assert_eq!(
        c.assigned_server_id(sn(0)).await.unwrap(),
        Some(server_id(0))
    );
    assert_eq!(c.assigned_server_id(sn(2)).await.unwrap(), None);
    let srv = c.assigned_server(sn(1)).await.unwrap();
    assert_eq!(srv.data.id, server_id(1));
    assert_eq!(
        srv.data.attributes.server_name.as_deref(),
        Some("Mock MDM 1")
    );
    assert!(c.assigned_server(sn(2)).await.unwrap_err().is_not_found());
    let coverage = c.apple_care_coverage(sn(3)).await.unwrap();
    assert_eq!(coverage.len(), 2);
    assert_eq!(
        coverage[0].attributes.agreement_number.as_deref(),
        Some("AG3")
    );

    // MDM servers and their devices (paged one at a time).
    let servers = c.mdm_servers(ListMdmServers::new()).await.unwrap();
    assert_eq!(servers.len(), 2);
    assert_eq!(servers[0].attributes.device_count, Some(2));
    let linked = c
        .mdm_server_devices(
            ListMdmServerDevices::new(server_id(0))
                .with_limit(1)
                .unwrap(),
        )
        .await
        .unwrap();
    let serials: Vec<_> = linked.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(serials, [serial(0), serial(4)]);
    assert!(linked.iter().all(|l| l.kind == "orgDevices"));

    // Unknown things are 404, with the JSON:API error list read.
    let e = c.org_device(sn(99)).await.unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert_eq!(e.code(), Some("NOT_FOUND"));
    assert!(c.activity("nope").await.unwrap_err().is_not_found());

    // A bad parameter is a 400 naming it.
    let e = c
        .call(&ListOrgDevices::new().with_fields(["colour"]).unwrap())
        .await
        .unwrap_err();
    let api = e.api_error().unwrap();
    assert_eq!(api.status, 400);
    assert!(api.has_code_under("PARAMETER_ERROR"));
    let source = api.errors[0].source.as_ref().unwrap();
    assert_eq!(source.parameter.as_deref(), Some("fields[orgDevices]"));

    // One token served all of it.
    assert_eq!(s.mock.token_requests(), 1);
    assert_eq!(c.stats().token_fetches, 1);
    assert_eq!(c.stats().retries, 0);
    s.assert_clean();
}

#[tokio::test]
async fn the_school_portal_and_the_form_token_request() {
    let key = SigningKey::generate().unwrap();
    let id = "SCHOOLAPI.27f3c1b0-7ab9-4c39-9f52-3a6a3c1f4f00";
    let mock = Mock::spawn(MockConfig::new(id, "kid-s", &key.public_key_pem().unwrap()));
    let creds = Credentials::new(id, "kid-s", key).unwrap();
    let config = Config::for_credentials(&creds);
    assert_eq!(config.base_url(), mdm_axm::SCHOOL_BASE_URL);
    let config = config
        .with_base_url(&mock.base_url)
        .unwrap()
        .with_token_url(&mock.token_url_v2)
        .unwrap()
        .with_token_style(TokenRequestStyle::Form)
        .with_assertion_lifetime(MAX_ASSERTION_LIFETIME)
        .unwrap();
    let c = Client::builder(config, creds).build().unwrap();
    assert_eq!(c.mdm_servers(ListMdmServers::new()).await.unwrap().len(), 2);
    assert_eq!(mock.count("/auth/oauth2/v2/token"), 1);
}

#[tokio::test]
async fn activities_assign_unassign_and_their_logs() {
    let s = setup();
    let c = s.client();

    // Assign two devices (one unassigned until now) to server 1.
    let req = ActivityRequest::assign(server_id(1), [sn(0), sn(2)]).unwrap();
    let created = c.create_activity(req).await.unwrap();
    assert_eq!(created.attributes.status, Some(ActivityStatus::InProgress));
    assert_eq!(
        created.attributes.sub_status,
        Some(ActivitySubStatus::Submitted)
    );
    let done = c
        .wait_for_activity(&created.id, quick(&created.id))
        .await
        .unwrap();
    assert_eq!(
        done.attributes.sub_status,
        Some(ActivitySubStatus::CompletedWithSuccess)
    );
    assert!(done.attributes.completed_date_time.is_some());
    let log = c
        .activity_log(done.attributes.download_url.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(log.rows.len(), 2);
    assert!(
        log.rows
            .iter()
            .all(|r| r.status.as_deref() == Some("SUCCESS"))
    );
    assert_eq!(
        log.rows[1].serial_number.as_deref(),
        Some(serial(2).as_str())
    );
    assert_eq!(s.mock.server_of(&serial(2)), Some(server_id(1)));
    assert_eq!(
        c.assigned_server_id(sn(2)).await.unwrap(),
        Some(server_id(1))
    );

    // Unassign from server 0: device 1 is on server 1, so its row fails.
    let req = ActivityRequest::unassign(server_id(0), [sn(4), sn(1)]).unwrap();
    let created = c.create_activity(req).await.unwrap();
    let done = c
        .wait_for_activity(&created.id, quick(&created.id))
        .await
        .unwrap();
    assert_eq!(done.attributes.status, Some(ActivityStatus::Completed));
    assert_eq!(
        done.attributes.sub_status,
        Some(ActivitySubStatus::CompletedWithError)
    );
    let log = c
        .activity_log(done.attributes.download_url.as_deref().unwrap())
        .await
        .unwrap();
    let failed: Vec<_> = log
        .rows
        .iter()
        .filter(|r| r.status.as_deref() == Some("FAILED"))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].serial_number.as_deref(), Some(serial(1).as_str()));
    assert!(
        failed[0]
            .message
            .as_deref()
            .unwrap()
            .contains("not assigned")
    );
    assert_eq!(s.mock.server_of(&serial(4)), None);

    // A log URL whose signature is wrong is refused, with the status kept.
    let url = done.attributes.download_url.unwrap();
    let bad = url.replace("X-Amz-Signature=", "X-Amz-Signature=x");
    assert_eq!(c.activity_log(&bad).await.unwrap_err().status(), Some(403));
    s.assert_clean();
}

#[tokio::test]
async fn migration_with_a_deadline_and_release() {
    let s = setup();
    let c = s.client();
    let deadline = chrono::Utc::now() + chrono::Duration::days(30);
    let run = |req: ActivityRequest| {
        let c = c.clone();
        async move {
            let a = c.create_activity(req).await?;
            c.wait_for_activity(&a.id, quick(&a.id)).await
        }
    };

    // Device 0 can migrate; move it to server 1 with a deadline, move the deadline, cancel.
    let done =
        run(
            ActivityRequest::assign_with_migration_deadline(server_id(1), [sn(0)], deadline)
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        done.attributes.sub_status,
        Some(ActivitySubStatus::CompletedWithSuccess)
    );
    let d = c.org_device(sn(0)).await.unwrap().data.attributes;
    assert!(d.mdm_migration_deadline_date_time.is_some());
    assert_eq!(d.mdm_migration_status.as_deref(), Some("IN_PROGRESS"));
    run(
        ActivityRequest::update_migration_deadline([sn(0)], deadline + chrono::Duration::days(1))
            .unwrap(),
    )
    .await
    .unwrap();
    run(ActivityRequest::cancel_migration([sn(0)]).unwrap())
        .await
        .unwrap();
    let d = c.org_device(sn(0)).await.unwrap().data.attributes;
    assert!(d.mdm_migration_deadline_date_time.is_none());

    // Releasing removes the device from the organization.
    run(ActivityRequest::release([sn(4)]).unwrap())
        .await
        .unwrap();
    assert!(c.org_device(sn(4)).await.unwrap_err().is_not_found());
    assert_eq!(c.org_devices(ListOrgDevices::new()).await.unwrap().len(), 4);

    // The client refuses a deadline past 90 days before sending anything.
    let before = s.mock.api_requests();
    let far = chrono::Utc::now() + chrono::Duration::days(91);
    let e = c
        .create_activity(
            ActivityRequest::assign_with_migration_deadline(server_id(1), [sn(0)], far).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    assert_eq!(s.mock.api_requests(), before);
    s.assert_clean();
}

#[tokio::test]
async fn conflict_409_and_unprocessable_422_on_activities() {
    let s = setup();
    let c = s.client();

    // 409: an MDM server id the organization does not have.
    let e = c
        .create_activity(
            ActivityRequest::assign("00000000000000000000000000000000", [sn(0)]).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(e.is_conflict() && !e.is_retryable(), "{e:?}");
    assert!(e.api_error().unwrap().has_code_under("ENTITY_ERROR"));
    assert_eq!(e.code(), Some("ENTITY_ERROR.RELATIONSHIP.INVALID"));
    let pointer = e.api_error().unwrap().errors[0]
        .source
        .as_ref()
        .and_then(|s| s.pointer.clone());
    assert_eq!(
        pointer.as_deref(),
        Some("/data/relationships/mdmServer/data/id")
    );

    // 409: a serial number that is not the organization's.
    let e = c
        .create_activity(
            ActivityRequest::assign(server_id(0), [SerialNumber::new("NOTOURS1").unwrap()])
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(e.is_conflict(), "{e:?}");

    // 422: cancelling a migration that is not running.
    let e = c
        .create_activity(ActivityRequest::cancel_migration([sn(1)]).unwrap())
        .await
        .unwrap_err();
    assert!(e.is_unprocessable() && !e.is_retryable(), "{e:?}");
    assert!(e.to_string().contains("no MDM migration"), "{e}");

    // Neither was retried.
    assert_eq!(s.mock.count("/v1/orgDeviceActivities"), 3);
    assert_eq!(c.stats().retries, 0);
    s.assert_clean();
}

#[tokio::test]
async fn an_activity_that_fails_and_one_that_never_ends() {
    let s = setup_with(|c| c.activity_polls = 2);
    let c = s.client();
    s.mock
        .fault(Some("/v1/orgDeviceActivities"), FaultKind::FailActivity);
    let a = c
        .create_activity(ActivityRequest::assign(server_id(1), [sn(0)]).unwrap())
        .await
        .unwrap();
    let e = c.wait_for_activity(&a.id, quick(&a.id)).await.unwrap_err();
    match &e {
        Error::ActivityFailed { id, status } => {
            assert_eq!(id, &a.id);
            assert_eq!(status, "FAILED/COMPLETED_WITH_FAILURE");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.mock.count(&a.id), 3);

    // An activity still running when the wait budget is spent.
    s.mock.with(|st| st.config.activity_polls = 1000);
    let a = c
        .create_activity(ActivityRequest::assign(server_id(1), [sn(1)]).unwrap())
        .await
        .unwrap();
    let poll = ActivityPoll::new(&a.id)
        .first_interval(Duration::from_millis(5))
        .max_interval(Duration::from_millis(10))
        .max_wait(Duration::from_millis(40));
    let e = c.wait_for_activity(&a.id, poll).await.unwrap_err();
    assert!(matches!(e, Error::ActivityPending { .. }), "{e:?}");
}

#[tokio::test]
async fn token_expiry_mid_pagination_refreshes_once_and_loses_nothing() {
    // Each token serves two API requests; the third page meets a 401.
    let s = setup_with(|c| c.token_uses = Some(2));
    let c = s.client();
    let devices = c
        .org_devices(ListOrgDevices::new().with_limit(2).unwrap())
        .await
        .unwrap();
    let serials: Vec<_> = devices.iter().map(|d| d.id.clone()).collect();
    assert_eq!(serials, (0..5).map(serial).collect::<Vec<_>>());
    let stats = c.stats();
    assert_eq!(stats.token_fetches, 2);
    assert_eq!(stats.replays, 1);
    assert_eq!(s.mock.token_requests(), 2);
    // Pages 1, 2, then page 3 twice (401, replay): the cursor of page 3 was sent again.
    let log: Vec<(u16, String)> = s.mock.with(|st| {
        st.log
            .iter()
            .filter(|l| l.path == "/v1/orgDevices")
            .map(|l| (l.status, l.query.clone()))
            .collect()
    });
    assert_eq!(log.len(), 4);
    assert_eq!(log[2].0, 401);
    assert_eq!(log[3].0, 200);
    assert_eq!(log[2].1, log[3].1);

    // The same through a fault: every token forgotten before the second page.
    let s = setup();
    let c = s.client();
    let mut pager = Pager::new(ListOrgDevices::new().with_limit(3).unwrap());
    let first = c.next_page(&mut pager).await.unwrap().unwrap();
    s.mock
        .fault(Some("/v1/orgDevices"), FaultKind::ExpireTokens);
    let second = c.next_page(&mut pager).await.unwrap().unwrap();
    assert!(c.next_page(&mut pager).await.unwrap().is_none());
    assert_eq!(first.data.len() + second.data.len(), 5);
    assert_eq!(c.stats().token_fetches, 2);
    assert_eq!(c.stats().replays, 1);
}

#[tokio::test]
async fn the_token_is_refreshed_before_it_expires() {
    // A clock the test moves: after 50 of the token's 60 minutes the client asks for a new
    // one without waiting for a 401.
    let s = setup_with(|c| c.max_iat_skew = 7200);
    let offset = Arc::new(AtomicI64::new(0));
    let o = offset.clone();
    let c = s
        .builder()
        .clock(move || chrono::Utc::now() + chrono::Duration::seconds(o.load(Ordering::Relaxed)))
        .build()
        .unwrap();
    c.mdm_servers(ListMdmServers::new()).await.unwrap();
    offset.store(40 * 60, Ordering::Relaxed);
    c.mdm_servers(ListMdmServers::new()).await.unwrap();
    assert_eq!(c.stats().token_fetches, 1);
    offset.store(50 * 60, Ordering::Relaxed);
    c.mdm_servers(ListMdmServers::new()).await.unwrap();
    assert_eq!(c.stats().token_fetches, 2);
    assert_eq!(c.stats().replays, 0);
    let bearers: HashSet<String> = s
        .mock
        .with(|st| st.log.iter().filter_map(|l| l.bearer.clone()).collect());
    assert_eq!(bearers.len(), 2);
}

#[tokio::test]
async fn the_mock_refuses_bad_assertions() {
    // The same jti twice: the second token request is refused.
    let s = setup();
    let c = s
        .builder()
        .jti_source(|| Ok("always-the-same".into()))
        .build()
        .unwrap();
    c.access_token().await.unwrap();
    s.mock
        .fault(Some("/v1/mdmServers"), FaultKind::ExpireTokens);
    let e = c.mdm_servers(ListMdmServers::new()).await.unwrap_err();
    match &e {
        Error::TokenRefused { status, oauth, .. } => {
            assert_eq!(*status, 400);
            assert_eq!(
                oauth.as_ref().map(|o| o.error.clone()),
                Some(OAuthErrorCode::InvalidClient)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(e.is_unauthorized() && !e.is_retryable());
    assert!(s.mock.refusals()[0].contains("used before"));

    // Signed with another key.
    let other = Credentials::new(CLIENT_ID, KEY_ID, SigningKey::generate().unwrap()).unwrap();
    let c = Client::builder(s.config(), other).build().unwrap();
    assert!(c.access_token().await.unwrap_err().is_unauthorized());
    assert_eq!(s.mock.refusals().last().unwrap(), "bad signature");

    // Another key id, another client id.
    let key = s.creds.key().clone();
    let c = Client::builder(
        s.config(),
        Credentials::new(CLIENT_ID, "kid-2", key.clone()).unwrap(),
    )
    .build()
    .unwrap();
    assert!(c.access_token().await.is_err());
    assert!(s.mock.refusals().last().unwrap().contains("kid"));
    let c = Client::builder(
        s.config(),
        Credentials::new("BUSINESSAPI.other", KEY_ID, key.clone()).unwrap(),
    )
    .build()
    .unwrap();
    assert!(c.access_token().await.unwrap_err().is_unauthorized());

    // A team id as `iss` that the account does not have.
    let creds = Credentials::new(CLIENT_ID, KEY_ID, key.clone())
        .unwrap()
        .with_team_id("TEAM1")
        .unwrap();
    let c = Client::builder(s.config(), creds).build().unwrap();
    assert!(c.access_token().await.is_err());
    assert!(s.mock.refusals().last().unwrap().starts_with("iss"));

    // An assertion that expired already (the client's clock is two hours behind), and one
    // issued in the future (two hours ahead).
    for hours in [-2, 2] {
        let c = s
            .builder()
            .clock(move || chrono::Utc::now() + chrono::Duration::hours(hours))
            .build()
            .unwrap();
        assert!(c.access_token().await.unwrap_err().is_unauthorized());
    }
    let refusals = s.mock.refusals();
    assert!(refusals[refusals.len() - 2].contains("expired"));
    assert!(refusals[refusals.len() - 1].contains("future"));

    // The 180-day bound: the longest lifetime the client allows is accepted.
    let config = s
        .config()
        .with_assertion_lifetime(MAX_ASSERTION_LIFETIME)
        .unwrap();
    let c = Client::builder(config, s.creds.clone()).build().unwrap();
    c.access_token().await.unwrap();
    s.assert_clean();
}

#[tokio::test]
async fn rate_limited_429_waits_for_retry_after() {
    let s = setup();
    let c = s.client();
    s.mock.fault(
        Some("/v1/mdmServers"),
        respond(429, r#"{"errors":[{"status":"429","code":"RATE_LIMIT_EXCEEDED","title":"slow down","detail":"too many requests"}]}"#, Some(1)),
    );
    let servers = c.mdm_servers(ListMdmServers::new()).await.unwrap();
    assert_eq!(servers.len(), 2);
    assert_eq!(s.mock.count("/v1/mdmServers"), 2);
    assert_eq!(c.stats().retries, 1);

    // A 429 on creating an activity is retried too: Apple did not process it.
    s.mock
        .fault(Some("/v1/orgDeviceActivities"), respond(429, "", Some(0)));
    c.create_activity(ActivityRequest::assign(server_id(0), [sn(2)]).unwrap())
        .await
        .unwrap();
    assert_eq!(s.mock.count("/v1/orgDeviceActivities"), 2);

    // A wait longer than the client allows is not waited for: the error carries it.
    s.mock
        .fault(Some("/v1/mdmServers"), respond(429, "", Some(3600)));
    let e = c.mdm_servers(ListMdmServers::new()).await.unwrap_err();
    assert!(e.is_rate_limited() && e.is_retryable());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));

    // Retries run out: three 429s with retries=2 is an error after three requests.
    let c = s.builder().max_retries(2).build().unwrap();
    for _ in 0..3 {
        s.mock
            .fault(Some("/v1/orgDevices"), respond(429, "", Some(0)));
    }
    let before = s.mock.count("/v1/orgDevices");
    let e = c.org_devices(ListOrgDevices::new()).await.unwrap_err();
    assert!(e.is_rate_limited());
    assert_eq!(s.mock.count("/v1/orgDevices") - before, 3);
    assert_eq!(c.stats().retries, 2);
}

#[tokio::test]
async fn server_errors_retry_reads_but_not_creates() {
    let s = setup();
    let c = s.client();
    s.mock
        .fault(Some("/v1/mdmServers"), respond(503, "busy", None));
    c.mdm_servers(ListMdmServers::new()).await.unwrap();
    assert_eq!(s.mock.count("/v1/mdmServers"), 2);

    s.mock
        .fault(Some("/v1/orgDeviceActivities"), respond(503, "busy", None));
    let e = c
        .create_activity(ActivityRequest::assign(server_id(0), [sn(2)]).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(s.mock.count("/v1/orgDeviceActivities"), 1);
}

#[tokio::test]
async fn malformed_and_oversize_bodies() {
    let s = setup();
    let c = s.client();
    for body in ["{not json", r#"{"data": 5}"#, "", "[]"] {
        s.mock
            .fault(Some("/v1/mdmServers"), FaultKind::Body(body.into()));
        let e = c.mdm_servers(ListMdmServers::new()).await.unwrap_err();
        assert!(
            matches!(e, Error::MalformedResponse { .. }),
            "{body}: {e:?}"
        );
        assert!(!e.is_retryable());
    }
    s.mock.fault(Some("/v1/orgDevices"), FaultKind::Oversize);
    let e = c.org_devices(ListOrgDevices::new()).await.unwrap_err();
    assert_eq!(
        e,
        Error::ResponseTooLarge {
            limit: MAX_RESPONSE_BODY
        }
    );
    // An error body that is not an error list still gives its status and text.
    s.mock.fault(
        Some("/v1/mdmServers"),
        respond(400, "<html>bad gateway said no</html>", None),
    );
    let e = c.mdm_servers(ListMdmServers::new()).await.unwrap_err();
    let api = e.api_error().unwrap();
    assert_eq!(api.status, 400);
    assert!(api.errors.is_empty() && api.body.contains("said no"));

    // A token answer without a token.
    let s = setup();
    s.mock.fault(
        Some("/auth/oauth2/token"),
        FaultKind::Body(r#"{"token_type":"Bearer"}"#.into()),
    );
    let e = s.client().access_token().await.unwrap_err();
    assert!(matches!(e, Error::MalformedResponse { .. }), "{e:?}");
    // Nothing was retried: every request above was sent once.
    assert_eq!(s.mock.token_requests(), 1);
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    // 1.5 s: long enough for a loaded CI machine to answer the requests that are not stalled.
    let s = setup();
    let c = s
        .builder()
        .timeout(Duration::from_millis(1500))
        .max_retries(0)
        .build()
        .unwrap();
    c.access_token().await.unwrap();
    s.mock.fault(Some("/v1/orgDevices"), FaultKind::Stall);
    let e = c.org_devices(ListOrgDevices::new()).await.unwrap_err();
    assert_eq!(e, Error::Timeout);
    assert!(e.is_retryable());

    // With one retry the second attempt gets through.
    let c = s
        .builder()
        .timeout(Duration::from_millis(1500))
        .max_retries(1)
        .build()
        .unwrap();
    s.mock.fault(Some("/v1/mdmServers"), FaultKind::Stall);
    assert_eq!(c.mdm_servers(ListMdmServers::new()).await.unwrap().len(), 2);
    assert_eq!(c.stats().retries, 1);
}

#[tokio::test]
async fn retries_do_not_nest() {
    // The token endpoint is down: an API call retries the token request N times in all,
    // not N for the token times N + 1 for the call.
    let s = setup();
    for _ in 0..20 {
        s.mock
            .fault(Some("/auth/oauth2/token"), respond(503, "down", None));
    }
    let c = s.builder().max_retries(3).build().unwrap();
    let e = c.org_devices(ListOrgDevices::new()).await.unwrap_err();
    assert_eq!(e.status(), Some(503), "{e:?}");
    assert_eq!(s.mock.token_requests(), 4);
    assert_eq!(s.mock.api_requests(), 0);
    assert_eq!(c.stats().retries, 3);
    assert_eq!(c.stats().requests, 4);

    // An API that refuses every token: one fresh token and one replay, then the error.
    let s = setup_with(|c| c.token_uses = Some(0));
    let c = s.builder().max_retries(3).build().unwrap();
    let e = c.mdm_servers(ListMdmServers::new()).await.unwrap_err();
    assert!(matches!(e, Error::Unauthorized(_)), "{e:?}");
    assert_eq!(s.mock.token_requests(), 2);
    assert_eq!(s.mock.api_requests(), 2);
    assert_eq!(c.stats().retries, 0);

    // A retried read whose replay fetches a new token: the 503 retry and the 401 replay
    // add up (1 + 1 + 1 requests), they do not multiply.
    let s = setup();
    let c = s.builder().max_retries(3).build().unwrap();
    c.access_token().await.unwrap();
    s.mock.fault(Some("/v1/mdmServers"), respond(503, "", None));
    s.mock
        .fault(Some("/v1/mdmServers"), FaultKind::ExpireTokens);
    c.mdm_servers(ListMdmServers::new()).await.unwrap();
    assert_eq!(s.mock.count("/v1/mdmServers"), 3);
    assert_eq!(s.mock.token_requests(), 2);
    let stats = c.stats();
    assert_eq!(
        (stats.retries, stats.replays, stats.token_fetches),
        (1, 1, 2)
    );
}

#[tokio::test]
async fn connection_refused_is_retried_exactly_max_retries_times() {
    // Port 1 on loopback: refused at once.
    let key = SigningKey::generate().unwrap();
    let creds = Credentials::new(CLIENT_ID, KEY_ID, key).unwrap();
    for n in [0u32, 2, 3] {
        let config = Config::for_credentials(&creds)
            .with_base_url("http://127.0.0.1:1")
            .unwrap()
            .with_token_url("http://127.0.0.1:1/auth/oauth2/token")
            .unwrap();
        let c = Client::builder(config, creds.clone())
            .max_retries(n)
            .retry_delay(Duration::from_millis(5))
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let e = c.mdm_servers(ListMdmServers::new()).await.unwrap_err();
        assert!(matches!(e, Error::Connection(_)), "{e:?}");
        assert_eq!(c.stats().retries, u64::from(n));
        assert_eq!(c.stats().requests, u64::from(n) + 1);
    }
}

#[cfg(feature = "v2")]
#[tokio::test]
async fn v2_mdm_servers_and_mdm_devices() {
    use mdm_axm::{
        CreateMdmServer, DeleteMdmServer, GetMdmServer, ListMdmDevices, MdmServer, NewMdmServer,
        UpdateMdmServer,
    };
    let s = setup();
    let c = s.client();

    let created = c
        .call(&CreateMdmServer::new(NewMdmServer::new(
            "New MDM",
            "server.pem",
            b"0\x82\x01\x00 not really a certificate".to_vec(),
        )))
        .await
        .unwrap();
    let id = created.data.id.clone();
    assert_eq!(
        created.data.attributes.server_name.as_deref(),
        Some("New MDM")
    );
    assert_eq!(s.mock.with(|st| st.log.last().unwrap().status), 201);

    let mut changes = MdmServer::default();
    changes.server_name = Some("Renamed".into());
    let updated = c.call(&UpdateMdmServer::new(&id, changes)).await.unwrap();
    assert_eq!(
        updated.data.attributes.server_name.as_deref(),
        Some("Renamed")
    );
    let read = c.call(&GetMdmServer::new(&id)).await.unwrap();
    assert_eq!(read.data.attributes.server_name.as_deref(), Some("Renamed"));
    assert_eq!(read.data.attributes.device_count, Some(0));

    c.call(&DeleteMdmServer::new(&id)).await.unwrap();
    assert_eq!(s.mock.with(|st| st.log.last().unwrap().status), 204);
    assert!(
        c.call(&GetMdmServer::new(&id))
            .await
            .unwrap_err()
            .is_not_found()
    );
    // A server that still has devices cannot be deleted.
    let e = c
        .call(&DeleteMdmServer::new(server_id(0)))
        .await
        .unwrap_err();
    assert!(e.is_conflict(), "{e:?}");

    let mut pager = Pager::new(ListMdmDevices::new().with_limit(1).unwrap());
    let mut serials = Vec::new();
    while let Some(page) = c.next_page(&mut pager).await.unwrap() {
        serials.extend(
            page.data
                .into_iter()
                .filter_map(|d| d.attributes.serial_number),
        );
    }
    assert_eq!(serials.len(), 4);
    assert_eq!(pager.pages(), 4);
    s.assert_clean();
}
