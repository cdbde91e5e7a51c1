//! Properties: no input makes a decoder panic; typed documents, error lists and activity
//! requests round-trip through JSON; the CSV log reads back what was written; the pager
//! stops on a repeated cursor.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mdm_axm::{
    ActivityLog, ActivityRequest, ActivityStatus, ActivitySubStatus, ActivityType, ApiError,
    AppleCareCoverageResponse, DecodedAssertion, DeviceStatus, Document, ErrorObject,
    ErrorResponse, LinkageResponse, LinkagesResponse, ListOrgDevices, MdmServer, MdmServerResponse,
    MdmServersResponse, OAuthError, OrgDevice, OrgDeviceActivity, OrgDeviceActivityResponse,
    OrgDeviceResponse, OrgDevicesResponse, Pager, ProductFamily, Resource, SerialNumber,
    TokenResponse,
};
use proptest::prelude::*;
use serde_json::json;

fn decode_everything(d: &[u8]) {
    let _ = OrgDevicesResponse::decode(d);
    let _ = OrgDeviceResponse::decode(d);
    let _ = MdmServersResponse::decode(d);
    let _ = MdmServerResponse::decode(d);
    let _ = LinkageResponse::decode(d);
    let _ = LinkagesResponse::decode(d).map(|p| p.next_cursor());
    let _ = AppleCareCoverageResponse::decode(d);
    let _ = OrgDeviceActivityResponse::decode(d);
    let _ = ErrorResponse::decode(d);
    let _ = OAuthError::decode(d);
    let _ = TokenResponse::decode(d);
    let _ = ActivityRequest::decode(d);
    let _ = ActivityLog::decode(d);
    let _ = ApiError::from_parts(409, &http::HeaderMap::new(), d, chrono::Utc::now()).to_string();
    let _ = std::str::from_utf8(d).map(DecodedAssertion::decode);
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
        Just("\"data\"".to_owned()),
        Just("\"attributes\"".to_owned()),
        Just("\"relationships\"".to_owned()),
        Just("\"meta\"".to_owned()),
        Just("\"paging\"".to_owned()),
        Just("\"nextCursor\"".to_owned()),
        Just("\"links\"".to_owned()),
        Just("\"next\"".to_owned()),
        Just("\"imei\"".to_owned()),
        Just("\"errors\"".to_owned()),
        Just("\"code\"".to_owned()),
        Just("\"status\"".to_owned()),
        Just("\"activityType\"".to_owned()),
        Just("\"addedToOrgDateTime\"".to_owned()),
        Just("\"2025-04-30T22:05:14.192Z\"".to_owned()),
        Just("\"https://h/v1/x?cursor=a%3D\"".to_owned()),
        Just("null".to_owned()),
        Just("-1".to_owned()),
        Just("1e400".to_owned()),
        Just("18446744073709551616".to_owned()),
        "[a-zA-Z0-9 %]{0,6}".prop_map(|s| format!("\"{s}\"")),
    ];
    prop::collection::vec(atoms, 0..80).prop_map(|v| v.concat())
}

fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,16}"
}

fn date() -> impl Strategy<Value = Option<chrono::DateTime<chrono::Utc>>> {
    // Whole milliseconds: the wire form keeps milliseconds.
    prop::option::of(
        (0i64..4_102_444_800_000)
            .prop_map(|ms| chrono::DateTime::from_timestamp_millis(ms).unwrap()),
    )
}

fn open<T: From<String> + std::fmt::Debug + Clone + 'static>(
    known: &'static [&'static str],
) -> impl Strategy<Value = T> {
    prop_oneof![
        prop::sample::select(known).prop_map(|s| T::from(s.to_owned())),
        "[A-Z_]{1,12}".prop_map(T::from),
    ]
}

fn serial() -> impl Strategy<Value = SerialNumber> {
    "[A-Z0-9]{4,14}".prop_map(|s| SerialNumber::new(s).unwrap())
}

fn extra() -> impl Strategy<Value = mdm_axm::Extra> {
    prop::collection::btree_map("x[a-zA-Z]{1,8}", text(), 0..3).prop_map(|m| {
        m.into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect()
    })
}

prop_compose! {
    fn org_device()(
        serial in prop::option::of(serial()),
        added in date(),
        updated in date(),
        model in prop::option::of(text()),
        family in prop::option::of(open::<ProductFamily>(&["iPhone", "iPad", "Mac", "AppleTV", "Watch", "Vision"])),
        status in prop::option::of(open::<DeviceStatus>(&["ASSIGNED", "UNASSIGNED"])),
        imei in prop::collection::vec("[0-9]{15}", 0..3),
        meid in prop::collection::vec("[0-9A-F]{14}", 0..2),
        macs in prop::collection::vec("[0-9a-f:]{17}", 0..2),
        purchase in prop::option::of(text()),
        capable in prop::option::of(any::<bool>()),
        deadline in date(),
        extra in extra(),
    ) -> OrgDevice {
        let mut d = OrgDevice::default();
        d.serial_number = serial;
        d.added_to_org_date_time = added;
        d.updated_date_time = updated;
        d.device_model = model;
        d.product_family = family;
        d.status = status;
        d.imei = imei;
        d.meid = meid;
        d.ethernet_mac_address = macs;
        d.purchase_source_id = purchase;
        d.is_mdm_migration_capable = capable;
        d.mdm_migration_deadline_date_time = deadline;
        d.extra = extra;
        d
    }
}

prop_compose! {
    fn mdm_server()(
        name in prop::option::of(text()),
        created in date(),
        count in prop::option::of(any::<u64>()),
        families in prop::option::of(prop::collection::vec(open::<ProductFamily>(&["Mac", "iPhone"]), 0..3)),
        extra in extra(),
    ) -> MdmServer {
        let mut s = MdmServer::default();
        s.server_name = name;
        s.created_date_time = created;
        s.device_count = count;
        s.default_product_families = families;
        s.extra = extra;
        s
    }
}

prop_compose! {
    fn activity()(
        status in prop::option::of(open::<ActivityStatus>(&["COMPLETED", "IN_PROGRESS", "STOPPED", "FAILED"])),
        sub in prop::option::of(open::<ActivitySubStatus>(&["SUBMITTED", "PROCESSING", "COMPLETED_WITH_ERROR"])),
        created in date(),
        url in prop::option::of("https://[a-z]{1,8}/[a-z0-9]{1,8}\\.csv"),
    ) -> OrgDeviceActivity {
        let mut a = OrgDeviceActivity::default();
        a.status = status;
        a.sub_status = sub;
        a.created_date_time = created;
        a.download_url = url;
        a
    }
}

fn resource<A: std::fmt::Debug>(
    kind: &'static str,
    attrs: impl Strategy<Value = A>,
) -> impl Strategy<Value = Resource<A>> {
    ("[A-Z0-9]{1,32}", attrs).prop_map(move |(id, a)| Resource::new(kind, id, a))
}

fn paged<D: std::fmt::Debug>(data: impl Strategy<Value = D>) -> impl Strategy<Value = Document<D>> {
    (
        data,
        prop::option::of(1u64..=1000),
        prop::option::of("[0-9:a-z]{1,40}"),
    )
        .prop_map(|(d, limit, cursor)| Document::new(d).with_paging(limit, cursor))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&bytes);
    }

    #[test]
    fn decoders_never_panic_on_jsonish(text in jsonish()) {
        decode_everything(text.as_bytes());
    }

    #[test]
    fn org_device_pages_round_trip(page in paged(prop::collection::vec(resource("orgDevices", org_device()), 0..4))) {
        let again = OrgDevicesResponse::decode(&page.encode().unwrap()).unwrap();
        prop_assert_eq!(&again, &page);
        prop_assert_eq!(again.next_cursor(), page.paging().and_then(|p| p.next_cursor.clone()).filter(|c| !c.is_empty()));
    }

    #[test]
    fn one_device_round_trips(doc in resource("orgDevices", org_device()).prop_map(Document::new)) {
        let again = OrgDeviceResponse::decode(&doc.encode().unwrap()).unwrap();
        prop_assert_eq!(again, doc);
    }

    #[test]
    fn server_pages_round_trip(page in paged(prop::collection::vec(resource("mdmServers", mdm_server()), 0..4))) {
        let again = MdmServersResponse::decode(&page.encode().unwrap()).unwrap();
        prop_assert_eq!(again, page);
    }

    #[test]
    fn activities_round_trip(doc in resource("orgDeviceActivities", activity()).prop_map(Document::new)) {
        let again = OrgDeviceActivityResponse::decode(&doc.encode().unwrap()).unwrap();
        prop_assert_eq!(again, doc);
    }

    #[test]
    fn imei_reads_as_string_or_list(imei in "[0-9]{15}") {
        let one = json!({"data": {"type": "orgDevices", "id": "S", "attributes": {"imei": imei}}});
        let many = json!({"data": {"type": "orgDevices", "id": "S", "attributes": {"imei": [imei]}}});
        let a = OrgDeviceResponse::decode(one.to_string().as_bytes()).unwrap();
        let b = OrgDeviceResponse::decode(many.to_string().as_bytes()).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn error_lists_round_trip(
        entries in prop::collection::vec(("[1-5][0-9]{2}", "[A-Z_]{1,10}(\\.[A-Z_]{1,10}){0,3}", text(), text(), prop::option::of(text())), 0..4)
    ) {
        let body = json!({"errors": entries.iter().map(|(status, code, title, detail, param)| {
            let mut e = json!({"status": status, "code": code, "title": title, "detail": detail});
            if let Some(p) = param {
                e["source"] = json!({"parameter": p});
            }
            e
        }).collect::<Vec<_>>()});
        let bytes = body.to_string();
        let decoded = ErrorResponse::decode(bytes.as_bytes()).unwrap();
        prop_assert_eq!(decoded.errors.len(), entries.len());
        let again = ErrorResponse::decode(&decoded.encode().unwrap()).unwrap();
        prop_assert_eq!(&again, &decoded);
        for (e, (_, code, ..)) in decoded.errors.iter().zip(&entries) {
            let first = code.split('.').next().unwrap();
            prop_assert!(e.code_is_under(first));
            prop_assert_eq!(e.code_parts().count(), code.split('.').count());
        }
        let api = ApiError::from_parts(409, &http::HeaderMap::new(), bytes.as_bytes(), chrono::Utc::now());
        prop_assert_eq!(api.errors, decoded.errors);
        let _ = ErrorObject::default();
    }

    #[test]
    fn activity_requests_round_trip(
        kind in prop::sample::select(&["ASSIGN_DEVICES", "UNASSIGN_DEVICES", "CANCEL_MDM_MIGRATION", "RELEASE_DEVICES", "FUTURE_TYPE"][..]),
        serials in prop::collection::vec(serial(), 1..20),
        server in prop::option::of("[0-9A-F]{32}"),
        deadline in date(),
    ) {
        let mut r = ActivityRequest::new(ActivityType::from(kind.to_owned()), serials);
        if let Some(s) = server {
            r = r.with_mdm_server(s);
        }
        if let Some(d) = deadline {
            r = r.with_deadline(d);
        }
        prop_assert_eq!(ActivityRequest::decode(&r.encode().unwrap()).unwrap(), r);
    }

    #[test]
    fn csv_logs_read_back(rows in prop::collection::vec((serial(), prop::sample::select(&["SUCCESS", "FAILED"][..]), "[ -~]{0,20}"), 0..10)) {
        let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        let mut csv = String::from("Serial Number,Status,Error Message\r\n");
        for (s, st, m) in &rows {
            csv.push_str(&format!("{},{},{}\r\n", s.as_str(), st, quote(m)));
        }
        let log = ActivityLog::decode(csv.as_bytes()).unwrap();
        prop_assert_eq!(log.rows.len(), rows.len());
        for (row, (s, st, m)) in log.rows.iter().zip(&rows) {
            prop_assert_eq!(row.serial_number.as_deref(), Some(s.as_str()));
            prop_assert_eq!(row.status.as_deref(), Some(*st));
            prop_assert_eq!(row.message.as_deref(), Some(m.as_str()).filter(|m| !m.is_empty()));
        }
    }

    #[test]
    fn the_pager_follows_cursors_and_stops(cursors in prop::collection::vec("[a-z0-9]{1,8}", 0..10)) {
        let mut pager = Pager::new(ListOrgDevices::new());
        let mut sent = 0;
        let mut fed = cursors.iter();
        while pager.next_request().is_some() {
            sent += 1;
            let page: OrgDevicesResponse = Document::new(vec![]).with_paging(None, fed.next().cloned());
            if pager.feed(&page).is_err() {
                break;
            }
            prop_assert!(sent <= cursors.len() + 1);
        }
        prop_assert!(pager.is_done());
    }
}
