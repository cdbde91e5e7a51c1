//! The one-pass path of `Decoded::decode` against its lenient path on hand-made profiles:
//! the same result always, and the one-pass path taken only where no leniency is needed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

fn profile(payloads: &str, top: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n\
         <key>PayloadContent</key><array>{payloads}</array>\n\
         <key>PayloadIdentifier</key><string>com.example.p</string>\n\
         <key>PayloadType</key><string>Configuration</string>\n\
         <key>PayloadUUID</key><string>8C3D4E5F-6071-4283-9495-A6B7C8D9EAFB</string>\n\
         <key>PayloadVersion</key><integer>1</integer>{top}\n</dict>\n</plist>\n"
    )
    .into_bytes()
}

const PASSCODE: &str = "<dict><key>forcePIN</key><true/><key>minLength</key><integer>8</integer>\
    <key>PayloadIdentifier</key><string>com.example.p.passcode</string>\
    <key>PayloadType</key><string>com.apple.mobiledevice.passwordpolicy</string>\
    <key>PayloadUUID</key><string>7B2C3D4E-5F60-4172-8384-95A6B7C8D9EA</string>\
    <key>PayloadVersion</key><integer>1</integer><key>Custom</key><string>kept</string></dict>";

/// (case, whether the one-pass path should take it)
fn cases() -> Vec<(String, Vec<u8>, bool)> {
    let with = |name: &str, payloads: String, top: &str, fast: bool| {
        (name.to_owned(), profile(&payloads, top), fast)
    };
    vec![
        with("one typed payload", PASSCODE.into(), "", true),
        with("no payloads", String::new(), "", true),
        with(
            "an unknown payload type, kept untyped",
            "<dict><key>PayloadType</key><string>com.example.custom</string><key>A</key><integer>1</integer></dict>".into(),
            "",
            true,
        ),
        with(
            "PayloadType first, extra key order kept",
            "<dict><key>PayloadType</key><string>com.apple.mobiledevice.passwordpolicy</string><key>Z</key><true/><key>forcePIN</key><true/><key>A</key><false/></dict>".into(),
            "<key>Zed</key><true/><key>Alpha</key><false/>",
            true,
        ),
        with(
            "a comment naming a dict inside the array",
            format!("<!-- <dict> </array> -->{PASSCODE}<!-- <key>PayloadType</key> -->"),
            "",
            true,
        ),
        with(
            "an integer where the schema says real",
            PASSCODE.into(),
            "<key>DurationUntilRemoval</key><integer>60</integer>",
            false,
        ),
        with(
            "a repeated key",
            PASSCODE.replace("<key>forcePIN</key><true/>", "<key>forcePIN</key><true/><key>forcePIN</key><false/>"),
            "",
            false,
        ),
        with(
            "a value of the wrong type for its field",
            PASSCODE.replace("<integer>8</integer>", "<string>8</string>"),
            "",
            false,
        ),
        with(
            "a payload without PayloadType",
            "<dict><key>A</key><true/></dict>".into(),
            "",
            false,
        ),
        with(
            "a PayloadType with an entity",
            PASSCODE.replace("com.apple.mobiledevice.passwordpolicy", "com.apple.mobiledevice.password&#112;olicy"),
            "",
            false,
        ),
        with(
            "a PayloadType that is not a string",
            "<dict><key>PayloadType</key><integer>1</integer></dict>".into(),
            "",
            false,
        ),
        with(
            "a nested PayloadType in a payload",
            "<dict><key>Inner</key><dict><key>PayloadType</key><string>x</string></dict><key>PayloadType</key><string>com.example.custom</string></dict>".into(),
            "",
            true,
        ),
        with(
            "an encrypted profile",
            String::new(),
            "<key>EncryptedPayloadContent</key><data>AAAA</data>",
            false,
        ),
        with("a NaN real", PASSCODE.into(), "<key>DurationUntilRemoval</key><real>nan</real>", true),
        (
            "leading white space".to_owned(),
            [b"  \n".as_slice(), &profile(PASSCODE, "")].concat(),
            true,
        ),
        (
            "PayloadContent missing".to_owned(),
            b"<plist><dict><key>PayloadType</key><string>Configuration</string></dict></plist>".to_vec(),
            false,
        ),
    ]
}

#[test]
fn one_pass_agrees_with_the_lenient_path() {
    let mut bad = Vec::new();
    for (name, bytes, fast) in cases() {
        match mdm_profiles::__private::differential(&bytes) {
            Ok(took) if took == fast => {}
            Ok(took) => bad.push(format!("{name}: one pass taken {took}, expected {fast}")),
            Err(e) => bad.push(format!("{name}: {e}")),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn one_pass_keeps_extra_keys_in_their_order() {
    let (_, bytes, _) = cases().swap_remove(3);
    let d = mdm_profiles::Decoded::decode(&bytes).unwrap();
    let keys: Vec<&String> = d.profile.extra.keys().collect();
    assert_eq!(keys, ["Zed", "Alpha"]);
    let mdm_profiles::Payload::Passcode(p) = &d.profile.payload_content[0] else {
        panic!("{:?}", d.profile.payload_content[0])
    };
    let keys: Vec<&String> = p.extra.keys().collect();
    assert_eq!(keys, ["Z", "A"]);
}

/// The cases as seeds for the `profile_decode` fuzz target, when asked:
/// `MDM_WRITE_SEEDS=DIR cargo test -p mdm-profiles --test one_pass`.
#[test]
fn write_seeds_when_asked() {
    let Ok(dir) = std::env::var("MDM_WRITE_SEEDS") else {
        return;
    };
    for (name, bytes, _) in cases() {
        let file: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        std::fs::write(format!("{dir}/one_pass_{file}.mobileconfig"), bytes).unwrap();
    }
}
