//! Every ABM sample of the corpus: the hand-written mocks decode into the typed documents
//! (and re-encode without losing keys).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use mdm_axm::{
    ActivityStatus, ActivitySubStatus, OrgDeviceActivityResponse, OrgDeviceResponse,
    OrgDevicesResponse, ProductFamily,
};

const MOCKS: &str = "dep/deploymenttheory-go-api-sdk-apple/axm_api";

fn read(rel: &str) -> Option<Vec<u8>> {
    let path = mdm_testsupport::corpus_path("mdm-axm corpus", rel)?;
    Some(std::fs::read(path).unwrap())
}

#[test]
fn mocks_decode() {
    let Some(list) = read(&format!(
        "{MOCKS}/devices/mocks/validate_get_organization_devices.json"
    )) else {
        return;
    };
    let page = OrgDevicesResponse::decode(&list).unwrap();
    assert_eq!(page.paging().and_then(|p| p.limit), Some(100));
    let d = &page.data[0].attributes;
    assert_eq!(d.product_family, Some(ProductFamily::Mac));
    assert!(!d.imei.is_empty());
    assert!(d.purchase_source_id.is_some());
    assert!(d.mdm_migration_deadline_date_time.is_some());
    OrgDevicesResponse::decode(&page.encode().unwrap()).unwrap();

    let one = read(&format!(
        "{MOCKS}/devices/mocks/validate_get_device_information.json"
    ))
    .unwrap();
    let dev = OrgDeviceResponse::decode(&one).unwrap();
    assert!(dev.data.relationships.contains_key("assignedServer"));
    assert_eq!(dev.data.attributes.imei.len(), 2);

    let done = read(&format!(
        "{MOCKS}/devicemanagement/mocks/validate_get_org_device_activity_information.json"
    ))
    .unwrap();
    let a = OrgDeviceActivityResponse::decode(&done)
        .unwrap()
        .data
        .attributes;
    assert_eq!(a.status, Some(ActivityStatus::Completed));
    assert_eq!(a.sub_status, Some(ActivitySubStatus::CompletedWithSuccess));
    assert!(a.download_url.is_some() && a.completed_date_time.is_some());

    let rel = read(&format!(
        "{MOCKS}/devicemanagement/mocks/validate_release_devices_response.json"
    ))
    .unwrap();
    let a = OrgDeviceActivityResponse::decode(&rel)
        .unwrap()
        .data
        .attributes;
    assert_eq!(a.status, Some(ActivityStatus::InProgress));
    assert_eq!(a.sub_status, Some(ActivitySubStatus::Submitted));
}
