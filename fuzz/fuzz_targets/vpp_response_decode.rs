#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_vpp::ServiceConfig::decode(data);
    let _ = mdm_vpp::ClientConfigResponse::decode(data);
    let _ = mdm_vpp::GetAssetsResponse::decode(data);
    let _ = mdm_vpp::GetAssignmentsResponse::decode(data);
    let _ = mdm_vpp::GetUsersResponse::decode(data);
    let _ = mdm_vpp::EventResponse::decode(data);
    let _ = mdm_vpp::StatusResponse::decode(data).map(|s| s.encode());
    let _ = mdm_vpp::Notification::decode(data).map(|n| n.encode());
    let _ = mdm_vpp::ContentToken::decode(data);
});
