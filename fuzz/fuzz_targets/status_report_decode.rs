#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(r) = mdm_declarative::StatusReport::decode(data) {
        let _ = r.encode();
    }
});
