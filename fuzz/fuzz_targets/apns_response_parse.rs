#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_apns::parse_response_body(400, data);
});
