#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_plist::value_from_xml_bytes(data, &mdm_plist::Limits::default());
});
