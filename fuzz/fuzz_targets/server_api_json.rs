#![no_main]
//! Every JSON body the example server parses: `POST /api/v1/commands` (decoded, turned
//! into a command and encoded as the plist the device gets), `POST /api/v1/push`, the JSON
//! to plist conversion of command payloads on any JSON value, and `config.json`.
use mdm_examples::server::api::{EnqueueRequest, PushRequest, build_command, json_to_plist};
use mdm_examples::server::config::Config;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(req) = serde_json::from_slice::<EnqueueRequest>(data) {
        if let Ok(command) = build_command(&req) {
            let _ = command.encode();
        }
    }
    let _ = serde_json::from_slice::<PushRequest>(data);
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(plist) = json_to_plist(&value) {
            let _ = mdm_plist::to_xml_bytes(&plist);
        }
    }
    let _ = serde_json::from_slice::<Config>(data);
});
