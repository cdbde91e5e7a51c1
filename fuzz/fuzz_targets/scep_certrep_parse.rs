#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = mdm_scep::PkiMessage::decode_cert_rep(data, &[]);
});
