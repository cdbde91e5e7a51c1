//! Every DEP sample of the shared corpus decodes into its typed response, re-encodes and
//! decodes again to the same value. Skips unless the corpus is present (or
//! `MDM_REQUIRE_CORPUS=1`).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use mdm_dep::{
    AccountDetail, DeviceDetails, DeviceFamily, DeviceOs, DevicePage, OrgType, OrgVersion,
    Platform, Profile, ProfileStatus, SkipKey,
};
use mdm_testsupport::corpus_path;

const TESTDATA: &str = "dep/micromdm-micromdm/dep/testdata";

fn read(test: &str, rel: &str) -> Option<Vec<u8>> {
    corpus_path(test, rel).map(|p| std::fs::read(p).unwrap())
}

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    v: &T,
) {
    let again: T = serde_json::from_slice(&serde_json::to_vec(v).unwrap()).unwrap();
    assert_eq!(&again, v);
}

#[test]
fn account_response() {
    let Some(b) = read(
        "account_response",
        &format!("{TESTDATA}/account_response.json"),
    ) else {
        return;
    };
    let a = AccountDetail::decode(&b).unwrap();
    assert_eq!(
        a.server_uuid.as_deref(),
        Some("6666ED66666666666666666666666666")
    );
    assert_eq!(a.org_type, Some(OrgType::Org));
    assert_eq!(a.org_version, Some(OrgVersion::V2));
    assert_eq!(a.urls.as_ref().unwrap().len(), 18);
    assert_eq!(a.page_limit("/server/devices"), 1000);
    assert_eq!(a.device_limit("/devices/sync"), 5000);
    assert_eq!(a.page_limit("/account"), 1000);
    let methods = a
        .url("/profile/devices")
        .unwrap()
        .http_method
        .clone()
        .unwrap();
    assert_eq!(methods, ["DELETE", "POST", "PUT"]);
    assert!(a.extra.is_empty());
    round_trip(&a);
}

#[test]
fn fetch_and_sync_pages() {
    let Some(b) = read(
        "device_response",
        &format!("{TESTDATA}/device_response.json"),
    ) else {
        return;
    };
    let page = DevicePage::decode(&b).unwrap();
    assert!(!page.has_more());
    assert!(page.cursor.as_deref().unwrap().starts_with("MDowOjE1MzY0"));
    assert_eq!(
        page.fetched_until.unwrap().to_rfc3339(),
        "2018-09-08T17:28:18+00:00"
    );
    let devices = page.devices.as_ref().unwrap();
    let d = &devices[0];
    assert_eq!(d.serial_number.as_str(), "C02T0HL0GGC0");
    assert_eq!(d.os, Some(DeviceOs::OSX));
    assert_eq!(d.platform(), Some(Platform::MacOS));
    assert_eq!(d.device_family, Some(DeviceFamily::Mac));
    assert_eq!(d.profile_status, Some(ProfileStatus::Assigned));
    assert!(d.profile_assign_time.is_some() && d.device_assigned_date.is_some());
    assert!(d.extra.is_empty());
    round_trip(&page);

    let Some(b) = read(
        "empty_sync",
        &format!("{TESTDATA}/empty_sync_response.json"),
    ) else {
        return;
    };
    let page = DevicePage::decode(&b).unwrap();
    assert!(page.devices.unwrap().is_empty());
}

#[test]
fn device_details() {
    let Some(b) = read(
        "device_details",
        &format!("{TESTDATA}/device_details_response.json"),
    ) else {
        return;
    };
    let details = DeviceDetails::decode(&b).unwrap();
    let d = &details.devices["C02T0HL0GGC0"];
    assert_eq!(d.response_status, Some(mdm_dep::DeviceStatus::Success));
    round_trip(&details);
}

#[test]
fn profiles() {
    let Some(b) = read(
        "fetch_profile",
        &format!("{TESTDATA}/fetch_profile_response.json"),
    ) else {
        return;
    };
    let p = Profile::decode(&b).unwrap();
    assert_eq!(
        p.profile_uuid.as_deref(),
        Some("C1F123098EB5074580041E69883004C3")
    );
    assert_eq!(
        p.skip_setup_items.as_deref(),
        Some(&[SkipKey::AppleId, SkipKey::Android][..])
    );
    assert_eq!(p.await_device_configured, Some(true));
    p.validate().unwrap();
    round_trip(&p);

    let Some(b) = read(
        "nanodep_profile",
        "dep/micromdm-nanodep/docs/dep-profile.example.json",
    ) else {
        return;
    };
    let p = Profile::decode(&b).unwrap();
    assert_eq!(p.devices.as_ref().unwrap().len(), 2);
    // The example's placeholder strings break Apple's rules, which validate names.
    assert!(
        p.validate()
            .unwrap_err()
            .to_string()
            .contains("LOCALE_INVALID")
    );
    round_trip(&p);
}

/// Every JSON sample under dep/micromdm-micromdm and dep/micromdm-nanodep decodes into
/// the type of its endpoint (a new sample without a row fails).
#[test]
fn every_json_sample_has_a_type() {
    let Some(dir) = mdm_testsupport::corpus_dir("every_json_sample") else {
        return;
    };
    let mut seen = 0;
    for sub in ["dep/micromdm-micromdm", "dep/micromdm-nanodep"] {
        for f in mdm_testsupport::files_under(&dir.join(sub)) {
            if f.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let b = std::fs::read(&f).unwrap();
            let name = f.file_name().unwrap().to_str().unwrap();
            let ok = match name {
                "account_response.json" => AccountDetail::decode(&b).is_ok(),
                "device_response.json" | "empty_sync_response.json" => {
                    DevicePage::decode(&b).is_ok()
                }
                "device_details_response.json" => DeviceDetails::decode(&b).is_ok(),
                "fetch_profile_response.json" | "dep-profile.example.json" => {
                    Profile::decode(&b).is_ok()
                }
                other => panic!("no typed response for sample {other}"),
            };
            assert!(ok, "{name} did not decode");
            seen += 1;
        }
    }
    assert_eq!(seen, 6);
}
