//! Replays every file under `fuzz/corpus/<target>/` through the same entry point its
//! cargo-fuzz target calls, on the stable toolchain, so a seed that once crashed stays fixed.
//! The table below mirrors `fuzz/fuzz_targets/`; a corpus folder without a row fails the test.
// A disagreement of the two plist decoders fails the replay the way the fuzz target does.
#![allow(clippy::panic)]

use std::path::Path;

type Entry = fn(&[u8]);

const TARGETS: &[(&str, Entry)] = &[
    ("scep_pkimessage_parse", |d| {
        let _ = mdm_scep::PkiMessage::decode(d).map(|m| m.verify(&[]));
    }),
    ("scep_certrep_parse", |d| {
        let _ = mdm_scep::PkiMessage::decode_cert_rep(d, &[]);
    }),
    ("command_decode", |d| {
        let _ = mdm_commands::AnyCommand::decode(d);
    }),
    ("response_decode", |d| {
        let _ = mdm_commands::CommandResponse::decode_typed::<mdm_commands::DeviceInformation>(d);
    }),
    ("apns_response_parse", |d| {
        let _ = mdm_apns::parse_response_body(400, d);
    }),
    ("checkin_decode", |d| {
        let _ = mdm_checkin::CheckinMessage::decode(d);
    }),
    ("profile_decode", |d| {
        let _ = mdm_profiles::Decoded::decode(d).map(|d| d.problems());
    }),
    ("plist_differential", |d| {
        if let Err(disagreement) = mdm_plist::__private::differential(d) {
            panic!("decoders disagree: {disagreement}");
        }
    }),
    ("plist_decode", |d| {
        let _ = mdm_plist::value_from_xml_bytes(d, &mdm_plist::Limits::default());
    }),
    ("signed_profile_verify", |d| {
        let _ = mdm_signing::verify(d, &mdm_signing::TrustPolicy::signature_only());
    }),
    ("mdm_signature_verify", |d| {
        let _ = mdm_signing::verify_mdm_signature_der(
            d,
            b"{}",
            &mdm_signing::TrustPolicy::signature_only(),
        );
    }),
    ("dep_response_decode", |d| {
        let _ = mdm_dep::DevicePage::decode(d);
        let _ = mdm_dep::AccountDetail::decode(d);
        let _ = mdm_dep::Profile::decode(d);
        let _ = mdm_dep::DeviceDetails::decode(d);
        let _ = mdm_dep::AssignProfileResponse::decode(d);
        let _ = mdm_dep::ServerToken::from_decrypted(d);
        let api = mdm_dep::ApiError::from_parts(400, &Default::default(), d, mdm_dep::Utc::now());
        let _ = mdm_dep::Error::from_api(api).is_retryable();
    }),
    ("vpp_response_decode", |d| {
        let _ = mdm_vpp::ServiceConfig::decode(d);
        let _ = mdm_vpp::ClientConfigResponse::decode(d);
        let _ = mdm_vpp::GetAssetsResponse::decode(d);
        let _ = mdm_vpp::GetAssignmentsResponse::decode(d);
        let _ = mdm_vpp::GetUsersResponse::decode(d);
        let _ = mdm_vpp::EventResponse::decode(d);
        let _ = mdm_vpp::StatusResponse::decode(d).map(|s| s.encode());
        let _ = mdm_vpp::Notification::decode(d).map(|n| n.encode());
        let _ = mdm_vpp::ContentToken::decode(d);
    }),
    ("axm_response_decode", |d| {
        let _ = mdm_axm::OrgDevicesResponse::decode(d).map(|p| (p.next_cursor(), p.encode()));
        let _ = mdm_axm::OrgDeviceResponse::decode(d).map(|p| p.encode());
        let _ = mdm_axm::MdmServersResponse::decode(d).map(|p| p.encode());
        let _ = mdm_axm::MdmServerResponse::decode(d);
        let _ = mdm_axm::LinkageResponse::decode(d);
        let _ = mdm_axm::LinkagesResponse::decode(d).map(|p| p.next_cursor());
        let _ = mdm_axm::AppleCareCoverageResponse::decode(d);
        let _ = mdm_axm::OrgDeviceActivityResponse::decode(d).map(|p| p.encode());
        let _ = mdm_axm::ErrorResponse::decode(d).map(|e| e.encode());
        let _ = mdm_axm::OAuthError::decode(d).map(|e| e.to_string());
        let _ = mdm_axm::TokenResponse::decode(d);
        let _ = mdm_axm::ActivityRequest::decode(d).map(|r| r.encode());
        let _ = mdm_axm::ActivityLog::decode(d);
        let api = mdm_axm::ApiError::from_parts(409, &Default::default(), d, mdm_axm::Utc::now());
        let _ = mdm_axm::Error::from_api(api).to_string();
        if let Ok(text) = std::str::from_utf8(d) {
            let _ = mdm_axm::DecodedAssertion::decode(text);
            let _ = mdm_axm::form_decode(text);
            let _ = mdm_axm::parse_date(text);
        }
    }),
    ("declaration_decode", |d| {
        if let Ok(decl) = mdm_declarative::Declaration::decode(d) {
            let _ = decl.encode();
            let _ = decl.content_token();
            let mut set = mdm_declarative::DeclarationSet::new();
            let _ = set.insert(decl);
            let _ = set.validate_for(
                mdm_declarative::Platform::IOS,
                mdm_declarative::Version::new(17, 0, 0),
            );
            let _ = set.manifest().encode();
        }
        let _ = mdm_declarative::TokensResponse::decode(d);
        let _ = mdm_declarative::DeclarationItemsResponse::decode(d);
    }),
    ("status_report_decode", |d| {
        if let Ok(r) = mdm_declarative::StatusReport::decode(d) {
            let _ = r.encode();
        }
    }),
];

#[test]
fn replay_fuzz_corpus() {
    let root = mdm_testsupport::workspace_root().join("fuzz/corpus");
    let mut replayed = 0usize;
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        if !dir.path().is_dir() {
            continue;
        }
        let name = dir.file_name().to_string_lossy().into_owned();
        let entry = TARGETS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("fuzz/corpus/{name} has no row in TARGETS"))
            .1;
        for file in mdm_testsupport::files_under(Path::new(&dir.path())) {
            entry(&std::fs::read(&file).unwrap());
            replayed += 1;
        }
    }
    for (name, _) in TARGETS {
        assert!(
            root.join(name).is_dir(),
            "fuzz target {name} has no seed corpus"
        );
    }
    println!("replayed {replayed} fuzz corpus files");
}
