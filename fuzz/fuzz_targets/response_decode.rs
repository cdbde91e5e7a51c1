#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_commands::CommandResponse::decode_typed::<mdm_commands::DeviceInformation>(data);
});
