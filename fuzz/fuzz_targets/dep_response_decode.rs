#![no_main]
// Every DEP response decoder and the error-body reader, on the same bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_dep::DevicePage::decode(data);
    let _ = mdm_dep::AccountDetail::decode(data);
    let _ = mdm_dep::Profile::decode(data);
    let _ = mdm_dep::DeviceDetails::decode(data);
    let _ = mdm_dep::AssignProfileResponse::decode(data);
    let _ = mdm_dep::ServerToken::from_decrypted(data);
    let api = mdm_dep::ApiError::from_parts(
        400,
        &mdm_dep::http::HeaderMap::new(),
        data,
        mdm_dep::Utc::now(),
    );
    let _ = mdm_dep::Error::from_api(api).is_retryable();
});
