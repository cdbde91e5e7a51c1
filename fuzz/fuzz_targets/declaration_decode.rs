#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(d) = mdm_declarative::Declaration::decode(data) {
        let _ = d.encode();
        let _ = d.content_token();
        let mut set = mdm_declarative::DeclarationSet::new();
        let _ = set.insert(d);
        let _ = set.validate_for(
            mdm_declarative::Platform::IOS,
            mdm_declarative::Version::new(17, 0, 0),
        );
        let _ = set.manifest().encode();
    }
    let _ = mdm_declarative::TokensResponse::decode(data);
    let _ = mdm_declarative::DeclarationItemsResponse::decode(data);
});
