#![no_main]
//! Binary plists (`bplist00`) through the guarded decoder, then re-encoded in both formats.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // A 4 MiB expansion budget instead of the default 64 MiB: an input that expands shared
    // data is refused after copying 4 MiB, not 64, so such inputs do not slow the run to a
    // few executions a second; the check is the same code.
    let limits = mdm_plist::BinaryLimits {
        max_expanded_bytes: 4 * 1024 * 1024,
        ..mdm_plist::BinaryLimits::default()
    };
    if let Ok(value) = mdm_plist::from_binary_bytes::<mdm_plist::Value>(data, &limits) {
        let _ = mdm_plist::to_xml_bytes(&value);
        if let Ok(again) = mdm_plist::to_binary_bytes(&value) {
            let _ = mdm_plist::from_binary_bytes::<mdm_plist::Value>(&again, &limits);
        }
    }
});
