#![no_main]
//! Binary plists (`bplist00`) through the guarded decoder, then re-encoded in both formats.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = mdm_plist::BinaryLimits::default();
    if let Ok(value) = mdm_plist::from_binary_bytes::<mdm_plist::Value>(data, &limits) {
        let _ = mdm_plist::to_xml_bytes(&value);
        if let Ok(again) = mdm_plist::to_binary_bytes(&value) {
            let _ = mdm_plist::from_binary_bytes::<mdm_plist::Value>(&again, &limits);
        }
    }
});
