#![no_main]
// Both XML decoders (the one-pass deserializer and plist's reader behind the guard) on the
// same bytes: any disagreement beyond the intended ones is a failure.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(disagreement) = mdm_plist::__private::differential(data) {
        panic!("decoders disagree: {disagreement}");
    }
});
