//! Hostile and broken bodies: each gives a typed error (with the key path where there is
//! one), quickly, and never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mdm_checkin::{CheckinMessage, Error};
use mdm_plist::Limits;

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n";

fn doc(dict_body: &str) -> Vec<u8> {
    format!("{HEAD}<dict>{dict_body}</dict>\n</plist>\n").into_bytes()
}

const TOKEN_UPDATE: &str = "<key>MessageType</key><string>TokenUpdate</string>\
    <key>PushMagic</key><string>6B0C2E3A</string>\
    <key>Token</key><data>q83vASNFZ4k=</data>\
    <key>Topic</key><string>com.apple.mgmt.External.x</string>\
    <key>UDID</key><string>00008030-001A2B3C4D5E802E</string>";

fn err(bytes: &[u8]) -> Error {
    let e = CheckinMessage::decode(bytes).expect_err("decoded bad input");
    assert!(e.is_bad_input(), "{e:?}");
    assert!(!e.to_string().contains('\n'), "one-line message: {e}");
    e
}

fn plist_err(bytes: &[u8]) -> mdm_plist::Error {
    match err(bytes) {
        Error::Plist(e) => e,
        other => panic!("expected a plist error, got {other:?}"),
    }
}

#[test]
fn baseline_is_valid() {
    CheckinMessage::decode(&doc(TOKEN_UPDATE)).unwrap();
}

#[test]
fn every_truncation_is_refused() {
    let full = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tokenupdate.plist"),
    )
    .unwrap();
    // Dropping only the trailing newline leaves a complete document.
    for cut in 0..full.len() - 1 {
        let e = err(&full[..cut]);
        assert!(
            matches!(e, Error::Plist(_) | Error::MissingMessageType),
            "cut {cut}: {e:?}"
        );
    }
}

#[test]
fn wrong_types_name_the_key() {
    let cases = [
        (
            TOKEN_UPDATE.replace("<data>q83vASNFZ4k=</data>", "<string>abc</string>"),
            "Token",
        ),
        (
            TOKEN_UPDATE.replace(
                "<string>00008030-001A2B3C4D5E802E</string>",
                "<integer>7</integer>",
            ),
            "UDID",
        ),
        (
            format!("{TOKEN_UPDATE}<key>AwaitingConfiguration</key><string>yes</string>"),
            "AwaitingConfiguration",
        ),
        (
            "<key>MessageType</key><string>GetToken</string>\
             <key>TokenServiceType</key><string>com.apple.maid</string>\
             <key>TokenParameters</key><dict><key>PhoneUDID</key><integer>1</integer></dict>"
                .to_owned(),
            "TokenParameters.PhoneUDID",
        ),
        (
            "<key>MessageType</key><integer>3</integer>".to_owned(),
            "MessageType",
        ),
    ];
    for (body, path) in cases {
        let e = plist_err(&doc(&body));
        assert!(matches!(e, mdm_plist::Error::Type { .. }), "{path}: {e:?}");
        assert_eq!(e.path(), Some(path), "{e}");
    }
}

#[test]
fn invalid_identifiers_are_type_errors_with_path() {
    let body = TOKEN_UPDATE.replace("00008030-001A2B3C4D5E802E", "not a udid");
    let e = plist_err(&doc(&body));
    assert_eq!(e.path(), Some("UDID"));
    assert!(e.to_string().contains("invalid UDID"), "{e}");

    let body = TOKEN_UPDATE.replace("<data>q83vASNFZ4k=</data>", "<data></data>");
    let e = plist_err(&doc(&body));
    assert_eq!(e.path(), Some("Token"));

    let body = TOKEN_UPDATE.replace("com.apple.mgmt.External.x", "has space");
    assert_eq!(plist_err(&doc(&body)).path(), Some("Topic"));
}

#[test]
fn missing_required_keys() {
    let parts = [
        ("MessageType", "<string>TokenUpdate</string>"),
        ("PushMagic", "<string>6B0C2E3A</string>"),
        ("Token", "<data>q83vASNFZ4k=</data>"),
        ("Topic", "<string>com.apple.mgmt.External.x</string>"),
    ];
    for (left_out, _) in &parts[1..] {
        let body: String = parts
            .iter()
            .filter(|(k, _)| k != left_out)
            .map(|(k, v)| format!("<key>{k}</key>{v}"))
            .collect();
        let e = plist_err(&doc(&body));
        assert!(
            e.to_string()
                .contains(&format!("missing required key \"{left_out}\"")),
            "{left_out}: {e}"
        );
    }
    assert_eq!(
        err(&doc("<key>UDID</key><string>A</string>")),
        Error::MissingMessageType
    );
    let e = plist_err(&doc(
        "<key>MessageType</key><string>DeclarativeManagement</string>",
    ));
    assert!(e.to_string().contains("\"Endpoint\""), "{e}");
}

#[test]
fn million_deep_nesting_is_refused() {
    let bomb = format!(
        "{TOKEN_UPDATE}<key>Deep</key>{}",
        "<array>".repeat(1_000_000)
    );
    let bytes = doc(&bomb);
    // Over the default size limit before anything is parsed...
    let e = plist_err(&bytes);
    assert!(matches!(e, mdm_plist::Error::TooLarge { .. }), "{e}");
    // ...and over the depth limit when the size limit is raised.
    let limits = Limits {
        max_bytes: 64 << 20,
        max_depth: 64,
    };
    let e = CheckinMessage::decode_with(&bytes, &limits).unwrap_err();
    assert!(e.is_limit(), "{e}");
    assert!(
        matches!(e, Error::Plist(mdm_plist::Error::TooDeep { .. })),
        "{e}"
    );
}

#[test]
fn hundred_megabyte_body_is_refused() {
    let mut big = doc(TOKEN_UPDATE);
    big.resize(100 * 1024 * 1024, b' ');
    let e = err(&big);
    assert!(e.is_limit());
    assert!(matches!(
        e,
        Error::Plist(mdm_plist::Error::TooLarge {
            len: 104_857_600,
            ..
        })
    ));
}

#[test]
fn binary_plist_is_refused() {
    let value = mdm_plist::value_from_xml_bytes(&doc(TOKEN_UPDATE), &Limits::default()).unwrap();
    let bin = mdm_plist::to_binary_bytes(&value).unwrap();
    assert_eq!(plist_err(&bin), mdm_plist::Error::BinaryNotAllowed);
}

#[test]
fn invalid_utf8_is_refused() {
    let mut bytes = doc(TOKEN_UPDATE);
    let at = bytes.windows(8).position(|w| w == b"6B0C2E3A").unwrap();
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    let e = plist_err(&bytes);
    assert!(matches!(e, mdm_plist::Error::Syntax { .. }), "{e}");
}

#[test]
fn duplicate_keys_are_refused() {
    for body in [
        format!("{TOKEN_UPDATE}<key>UDID</key><string>ABC</string>"),
        format!("{TOKEN_UPDATE}<key>X</key><true/><key>X</key><false/>"),
        format!("{TOKEN_UPDATE}<key>MessageType</key><string>CheckOut</string>"),
    ] {
        let e = plist_err(&doc(&body));
        assert!(
            matches!(e, mdm_plist::Error::DuplicateKey { .. }),
            "{body}: {e:?}"
        );
    }
}

#[test]
fn integer_overflow_is_refused() {
    let body = format!("{TOKEN_UPDATE}<key>Big</key><integer>99999999999999999999999</integer>");
    let e = plist_err(&doc(&body));
    assert!(matches!(e, mdm_plist::Error::Syntax { .. }), "{e}");
}

#[test]
fn odd_shapes_are_refused() {
    for bytes in [
        b"".to_vec(),
        b"\x00\x01\x02\x03".to_vec(),
        format!("{HEAD}<array/>\n</plist>\n").into_bytes(),
        format!("{HEAD}<string>TokenUpdate</string>\n</plist>\n").into_bytes(),
        b"<key>MessageType</key><string>TokenUpdate</string>".to_vec(),
        doc(&format!(
            "{TOKEN_UPDATE}<key>E</key><string>&bogus;</string>"
        )),
    ] {
        err(&bytes);
    }
}
