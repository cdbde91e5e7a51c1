#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_signing::verify(data, &mdm_signing::TrustPolicy::signature_only());
});
