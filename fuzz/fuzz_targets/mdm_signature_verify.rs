#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_signing::verify_mdm_signature_der(
        data,
        b"{}",
        &mdm_signing::TrustPolicy::signature_only(),
    );
});
