//! Properties: no input makes a decoder panic; typed values round-trip through JSON;
//! chunking keeps every item exactly once within the limits; the rate limiter never lets
//! more than N requests start in a window.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use mdm_vpp::{
    AdamId, Asset, Assignment, ContentToken, ErrorNumber, ErrorResponse, EventStatus,
    GetAssignmentsResponse, ManageAssetsRequest, Notification, PricingParam, RateLimiter,
    SerialNumber, ServiceLimits, StatusResponse,
};
use proptest::prelude::*;
use serde_json::json;

fn decode_everything(d: &[u8]) {
    let _ = mdm_vpp::ServiceConfig::decode(d);
    let _ = mdm_vpp::ClientConfigResponse::decode(d);
    let _ = mdm_vpp::GetAssetsResponse::decode(d);
    let _ = GetAssignmentsResponse::decode(d);
    let _ = mdm_vpp::GetUsersResponse::decode(d);
    let _ = mdm_vpp::EventResponse::decode(d);
    let _ = StatusResponse::decode(d);
    let _ = Notification::decode(d);
    let _ = ContentToken::decode(d);
}

/// JSON-ish text built from fragments of the real shapes, so mutations reach deep.
fn jsonish() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just("\"adamId\"".to_owned()),
        Just("\"errorNumber\"".to_owned()),
        Just("\"eventStatus\"".to_owned()),
        Just("\"PENDING\"".to_owned()),
        Just("\"notification\"".to_owned()),
        Just("\"notificationType\"".to_owned()),
        Just("\"ASSET_MANAGEMENT\"".to_owned()),
        Just("\"notificationId\"".to_owned()),
        Just("\"assignments\"".to_owned()),
        Just("\"tokenExpirationDate\"".to_owned()),
        Just("\"2030-11-08T22:33:22+0000\"".to_owned()),
        Just("null".to_owned()),
        Just("-1".to_owned()),
        Just("18446744073709551616".to_owned()),
        "[a-zA-Z0-9 ]{0,6}".prop_map(|s| format!("\"{s}\"")),
    ];
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

fn serial() -> impl Strategy<Value = SerialNumber> {
    "[A-Z0-9]{4,12}".prop_map(|s| SerialNumber::new(s).unwrap())
}

fn assignment() -> impl Strategy<Value = Assignment> {
    (
        "[0-9]{1,12}",
        prop::option::of(prop_oneof![Just("STDQ"), Just("PLUS"), Just("NEW")]),
        prop::option::of(serial()),
        prop::option::of("[a-z0-9-]{1,20}"),
    )
        .prop_map(|(id, p, s, u)| {
            let mut v = json!({"adamId": id});
            if let Some(p) = p {
                v["pricingParam"] = p.into();
            }
            if let Some(s) = s {
                v["serialNumber"] = s.as_str().into();
            }
            if let Some(u) = u {
                v["clientUserId"] = u.into();
                v["someFutureKey"] = json!({"nested": [1, 2]});
            }
            serde_json::from_value(v).unwrap()
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(d in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&d);
    }

    #[test]
    fn jsonish_text_never_panics(s in jsonish()) {
        decode_everything(s.as_bytes());
    }

    #[test]
    fn assignments_page_round_trips(
        items in prop::collection::vec(assignment(), 0..20),
        current in 0u32..100,
        next in prop::option::of(0u32..100),
        version in "[a-z0-9]{1,8}",
    ) {
        let page = GetAssignmentsResponse {
            assignments: items,
            current_page_index: current,
            next_page_index: next,
            size: 0,
            total_pages: 100,
            token_expiration_date: Some("2030-11-08T22:33:22Z".parse().unwrap()),
            uid: Some("1".into()),
            version_id: Some(version),
            extra: Default::default(),
        };
        let back = GetAssignmentsResponse::decode(&page.encode().unwrap()).unwrap();
        prop_assert_eq!(back, page);
    }

    #[test]
    fn status_round_trips(n in any::<i64>(), numbers in prop::collection::vec(any::<i32>(), 0..4)) {
        let failures: Vec<ErrorResponse> = numbers
            .iter()
            .map(|n| ErrorResponse::new(ErrorNumber::from_number(i64::from(*n)), "m"))
            .collect();
        let status = StatusResponse {
            event_status: EventStatus::Failed,
            event_type: None,
            failures,
            mdm_info: None,
            num_completed: n,
            num_requested: n,
            token_expiration_date: None,
            uid: None,
            extra: Default::default(),
        };
        let bytes = status.encode().unwrap();
        // A status with failures is not an error body (no top-level errorNumber).
        let back = StatusResponse::decode(&bytes).unwrap();
        prop_assert_eq!(back, status);
    }

    #[test]
    fn chunks_keep_every_item_once(
        serials in prop::collection::vec(serial(), 1..300),
        assets in prop::collection::vec(("[0-9]{1,3}", any::<bool>()), 1..40),
        max_serials in 1u32..120,
        max_assets in 1u32..10,
    ) {
        let limits = ServiceLimits { max_serial_numbers: max_serials, max_assets, ..ServiceLimits::default() };
        let assets: Vec<Asset> = assets
            .into_iter()
            .map(|(id, plus)| {
                let a = Asset::new(AdamId::new(id).unwrap());
                if plus { a.with_pricing_param(PricingParam::Plus) } else { a }
            })
            .collect();
        let job = ManageAssetsRequest::new(assets.clone()).with_serial_numbers(serials.clone());
        let chunks = job.chunks(&limits).unwrap();
        let mut pairs = HashSet::new();
        for c in &chunks {
            c.check(&limits).unwrap();
            for a in &c.assets {
                for s in &c.serial_numbers {
                    prop_assert!(pairs.insert((a.adam_id.clone(), a.pricing_param.clone(), s.clone())), "sent twice");
                }
            }
        }
        let want: HashSet<_> = assets
            .iter()
            .flat_map(|a| serials.iter().map(move |s| (a.adam_id.clone(), a.pricing_param.clone(), s.clone())))
            .collect();
        prop_assert_eq!(pairs, want);
    }

    #[test]
    fn rate_limit_never_exceeded(rate in 1u32..20, gaps in prop::collection::vec(0u64..400, 1..200)) {
        let window = Duration::from_secs(1);
        let mut limiter = RateLimiter::new(rate).with_window(window);
        let t0 = Instant::now();
        let mut now = t0;
        let mut started = Vec::new();
        for g in gaps {
            now += Duration::from_millis(g);
            loop {
                match limiter.try_acquire(now) {
                    Ok(()) => { started.push(now); break; }
                    Err(wait) => { prop_assert!(!wait.is_zero()); now += wait; }
                }
            }
        }
        for (i, t) in started.iter().enumerate() {
            let in_window = started[i..].iter().take_while(|u| u.duration_since(*t) < window).count();
            prop_assert!(in_window <= rate as usize);
        }
    }
}
