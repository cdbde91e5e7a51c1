#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_profiles::Decoded::decode(data).map(|d| d.problems());
    // The one-pass path must agree with the lenient one wherever it decodes.
    if let Err(disagreement) = mdm_profiles::__private::differential(data) {
        panic!("profile decode paths disagree: {disagreement}");
    }
});
