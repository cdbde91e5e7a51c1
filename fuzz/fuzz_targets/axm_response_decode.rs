#![no_main]
// Every document and error body of the School/Business Manager API, the token answers,
// the activity request a mock reads, the CSV log, and a client assertion taken apart.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_axm::OrgDevicesResponse::decode(data).map(|d| (d.next_cursor(), d.encode()));
    let _ = mdm_axm::OrgDeviceResponse::decode(data).map(|d| d.encode());
    let _ = mdm_axm::MdmServersResponse::decode(data).map(|d| d.encode());
    let _ = mdm_axm::MdmServerResponse::decode(data);
    let _ = mdm_axm::LinkageResponse::decode(data);
    let _ = mdm_axm::LinkagesResponse::decode(data).map(|d| d.next_cursor());
    let _ = mdm_axm::AppleCareCoverageResponse::decode(data);
    let _ = mdm_axm::OrgDeviceActivityResponse::decode(data).map(|d| d.encode());
    let _ = mdm_axm::ErrorResponse::decode(data).map(|e| e.encode());
    let _ = mdm_axm::OAuthError::decode(data).map(|e| e.to_string());
    let _ = mdm_axm::TokenResponse::decode(data);
    let _ = mdm_axm::ActivityRequest::decode(data).map(|r| r.encode());
    let _ = mdm_axm::ActivityLog::decode(data);
    let api = mdm_axm::ApiError::from_parts(409, &Default::default(), data, mdm_axm::Utc::now());
    let _ = mdm_axm::Error::from_api(api).to_string();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = mdm_axm::DecodedAssertion::decode(text);
        let _ = mdm_axm::form_decode(text);
        let _ = mdm_axm::parse_date(text);
    }
});
