//! A notification endpoint as an MDM server writes it, fed with the corpus notifications:
//! the right bearer token is accepted, a wrong one refused, a repeated `notificationId`
//! acknowledged without being processed twice, a malformed body refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mdm_vpp::{Notification, NotificationDeduper, NotificationPayload, verify_notification_auth};

const TOKEN: &str = "qhLNx6TXKrQPTHJLGn4yO6SjJ5Av78iYLbgSU1hujO6GJbgsseKeCazDpDBcIjGZ";

/// What the endpoint answers, and the notifications it processed.
struct Endpoint {
    seen: NotificationDeduper,
    processed: Vec<Notification>,
}

impl Endpoint {
    fn receive(&mut self, authorization: Option<&str>, body: &[u8]) -> u16 {
        if verify_notification_auth(authorization, TOKEN).is_err() {
            return 401;
        }
        let Ok(n) = Notification::decode(body) else {
            return 400;
        };
        if self.seen.first_time(&n.notification_id) {
            self.processed.push(n);
        }
        200 // a repeat is acknowledged so Apple stops retrying
    }
}

#[test]
fn endpoint_checks_token_and_dedupes() {
    let Some(dir) = mdm_testsupport::corpus_path("endpoint", "vpp/zentral/tests/mdm/testdata")
    else {
        return;
    };
    let mut ep = Endpoint {
        seen: NotificationDeduper::new(10_000),
        processed: Vec::new(),
    };
    let bearer = format!("Bearer {TOKEN}");
    let files: Vec<_> = mdm_testsupport::files_under(&dir)
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with("_notification.json"))
        .collect();
    assert_eq!(files.len(), 4);
    for f in &files {
        let body = std::fs::read(f).unwrap();
        assert_eq!(ep.receive(Some("Bearer wrong"), &body), 401);
        assert_eq!(ep.receive(None, &body), 401);
        let mut almost = bearer.clone();
        almost.pop();
        assert_eq!(ep.receive(Some(&almost), &body), 401);
        assert_eq!(ep.receive(Some(&bearer), &body), 200);
        assert_eq!(ep.receive(Some(&bearer), &body), 200); // Apple's retry
    }
    assert_eq!(ep.processed.len(), 4, "each notification processed once");
    assert!(
        ep.processed
            .iter()
            .any(|n| matches!(n.payload, NotificationPayload::AssetManagement(_)))
    );
    assert_eq!(ep.receive(Some(&bearer), b"{\"notificationId\":1}"), 400);
    assert_eq!(ep.receive(Some(&bearer), &vec![b'['; 2_000_000]), 400);
}
