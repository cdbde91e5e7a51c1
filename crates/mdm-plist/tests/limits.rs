//! The bounded decoder against hostile input: every case returns a typed error, quickly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use mdm_plist::{BinaryLimits, Error, Limits, Value};

fn wrap(body: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">{body}</plist>"
    )
    .into_bytes()
}

fn decode(bytes: &[u8]) -> Result<Value, Error> {
    mdm_plist::value_from_xml_bytes(bytes, &Limits::default())
}

#[test]
fn million_deep_nesting_is_refused_by_depth() {
    let bomb = wrap(&"<array>".repeat(1_000_000));
    let err = mdm_plist::value_from_xml_bytes(
        &bomb,
        &Limits {
            max_bytes: 64 << 20,
            max_depth: 64,
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::TooDeep { limit: 64, .. }), "{err}");
    assert!(err.is_limit());
}

#[test]
fn depth_limit_is_exact() {
    let ok = wrap(&format!(
        "{}{}",
        "<array>".repeat(64),
        "</array>".repeat(64)
    ));
    decode(&ok).unwrap();
    let deep = wrap(&format!(
        "{}{}",
        "<array>".repeat(65),
        "</array>".repeat(65)
    ));
    assert!(matches!(decode(&deep), Err(Error::TooDeep { .. })));
}

#[test]
fn deep_dict_error_names_path() {
    let body = format!(
        "<dict><key>A</key><array><dict><key>B</key>{}{}</dict></array></dict>",
        "<array>".repeat(70),
        "</array>".repeat(70)
    );
    let err = decode(&wrap(&body)).unwrap_err();
    let Error::TooDeep { path, .. } = &err else {
        panic!("{err}")
    };
    assert!(path.starts_with("A[0].B[0][0]"), "{path}");
}

#[test]
fn oversized_body_is_refused_before_parsing() {
    let big = vec![b' '; 100 * 1024 * 1024];
    let err = decode(&big).unwrap_err();
    assert_eq!(
        err,
        Error::TooLarge {
            len: 100 * 1024 * 1024,
            limit: mdm_plist::DEFAULT_MAX_BYTES
        }
    );
}

#[test]
fn binary_refused_on_xml_path() {
    let bin = mdm_plist::to_binary_bytes(&Value::String("x".into())).unwrap();
    assert_eq!(decode(&bin).unwrap_err(), Error::BinaryNotAllowed);
    let v: Value = mdm_plist::from_binary_bytes(&bin, &BinaryLimits::default()).unwrap();
    assert_eq!(v, Value::String("x".into()));
    assert_eq!(
        mdm_plist::from_binary_bytes::<Value>(&wrap("<true/>"), &BinaryLimits::default())
            .unwrap_err(),
        Error::NotBinary
    );
}

/// A binary plist whose arrays all point at the same child: 2^depth leaves from a few bytes.
fn binary_expansion_bomb(levels: u8) -> Vec<u8> {
    // objects: 0 = string "x"; k (1..=levels) = array [k-1, k-1, ..., k-1] (15 refs)
    let mut out = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    offsets.push(out.len());
    out.extend_from_slice(&[0x51, b'x']);
    for k in 1..=levels {
        offsets.push(out.len());
        out.push(0xAF); // array, count follows as int
        out.extend_from_slice(&[0x10, 15]);
        out.extend(std::iter::repeat_n(k - 1, 15));
    }
    let table = out.len();
    for o in &offsets {
        out.extend_from_slice(&u16::try_from(*o).unwrap().to_be_bytes());
    }
    let mut trailer = [0u8; 32];
    trailer[6] = 2; // offset size
    trailer[7] = 1; // ref size
    trailer[8..16].copy_from_slice(&(offsets.len() as u64).to_be_bytes());
    trailer[16..24].copy_from_slice(&u64::from(levels).to_be_bytes()); // top object
    trailer[24..32].copy_from_slice(&(table as u64).to_be_bytes());
    out.extend_from_slice(&trailer);
    out
}

#[test]
fn binary_reference_expansion_is_bounded() {
    let small = binary_expansion_bomb(2);
    let v: Value = mdm_plist::from_binary_bytes(&small, &BinaryLimits::default()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 15);

    // 15^8 = 2.5 billion leaves in under 200 bytes.
    let bomb = binary_expansion_bomb(8);
    assert!(bomb.len() < 256);
    let err = mdm_plist::from_binary_bytes::<Value>(&bomb, &BinaryLimits::default()).unwrap_err();
    assert!(matches!(err, Error::TooManyObjects { .. }), "{err}");
}

/// A binary plist of one `blob`-byte data object and `levels` arrays of 15 references each
/// to the level below: 15^levels copies of the blob once decoded.
fn binary_blob_bomb(blob: usize, levels: u8) -> Vec<u8> {
    let mut out = b"bplist00".to_vec();
    let mut offsets = vec![out.len()];
    out.push(0x4F); // data, length follows as int
    out.push(0x12); // 4-byte int
    out.extend_from_slice(&u32::try_from(blob).unwrap().to_be_bytes());
    out.extend(std::iter::repeat_n(0xA5, blob));
    for k in 1..=levels {
        offsets.push(out.len());
        out.push(0xAF);
        out.extend_from_slice(&[0x10, 15]);
        out.extend(std::iter::repeat_n(k - 1, 15));
    }
    let table = out.len();
    for o in &offsets {
        out.extend_from_slice(&u32::try_from(*o).unwrap().to_be_bytes());
    }
    let mut trailer = [0u8; 32];
    trailer[6] = 4; // offset size
    trailer[7] = 1; // ref size
    trailer[8..16].copy_from_slice(&(offsets.len() as u64).to_be_bytes());
    trailer[16..24].copy_from_slice(&u64::from(levels).to_be_bytes());
    trailer[24..32].copy_from_slice(&(table as u64).to_be_bytes());
    out.extend_from_slice(&trailer);
    out
}

#[test]
fn shared_data_expansion_is_bounded_in_bytes() {
    let mib = 1024 * 1024;
    // 15 copies of 1 MiB: 15 MiB, under the 64 MiB default.
    let v: Value =
        mdm_plist::from_binary_bytes(&binary_blob_bomb(mib, 1), &BinaryLimits::default()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 15);
    // 15^4 = 50,625 copies of 1 MiB (about 50 GiB) from a file of just over 1 MiB, and only
    // 50,689 values, far under the object limit: the byte budget stops it.
    let bomb = binary_blob_bomb(mib, 4);
    assert!(bomb.len() < mib + 512);
    let err = mdm_plist::from_binary_bytes::<Value>(&bomb, &BinaryLimits::default()).unwrap_err();
    assert_eq!(
        err,
        Error::TooLargeExpanded {
            limit: mdm_plist::DEFAULT_MAX_EXPANDED_BYTES
        }
    );
    assert!(err.is_limit());
    // A tighter budget is honoured too.
    let tight = BinaryLimits {
        max_expanded_bytes: 10 * mib,
        ..BinaryLimits::default()
    };
    let err = mdm_plist::from_binary_bytes::<Value>(&binary_blob_bomb(mib, 1), &tight).unwrap_err();
    assert_eq!(err, Error::TooLargeExpanded { limit: 10 * mib });
}

#[test]
fn malformed_inputs_give_syntax_errors() {
    let cases: &[&[u8]] = &[
        b"",
        b"<plist><dict><key>A</key>",
        b"<plist><dict><key>A</key><string>x</dict></plist>",
        b"<plist><integer>99999999999999999999999999</integer></plist>",
        b"<plist><data>!!!not base64</data></plist>",
        b"<plist><date>yesterday</date></plist>",
        b"<plist><string>\xff\xfe</string></plist>",
        b"<plist><string>&bogus;</string></plist>",
        b"\x00\x01\x02",
    ];
    for case in cases {
        let err = decode(case).unwrap_err();
        assert!(
            matches!(err, Error::Syntax { .. } | Error::Type { .. }),
            "{:?}: {err:?}",
            String::from_utf8_lossy(case)
        );
    }
}

#[test]
fn duplicate_keys_are_refused_with_path() {
    let body = "<dict><key>A</key><dict><key>K</key><true/><key>K</key><false/></dict></dict>";
    let err = decode(&wrap(body)).unwrap_err();
    assert_eq!(
        err,
        Error::DuplicateKey {
            key: "K".into(),
            path: "A".into()
        }
    );
    // The hashed path (many keys) finds them too.
    let many: String = (0..40)
        .map(|i| format!("<key>k{i}</key><integer>{i}</integer>"))
        .collect();
    let body = format!("<dict>{many}<key>k7</key><true/></dict>");
    assert!(matches!(
        decode(&wrap(&body)),
        Err(Error::DuplicateKey { .. })
    ));
}

mdm_plist::plist_dict! {
    /// A test message.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Msg {
        /// Required.
        "Name" => pub name: String,
        /// Optional.
        "Count" => pub count: Option<u64>,
        /// Nested.
        "Items" => pub items: Option<Vec<Item>>,
    }
}

mdm_plist::plist_dict! {
    /// An item.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Item {
        /// Required.
        "Id" => pub id: i64,
    }
}

#[test]
fn type_errors_name_the_key_path() {
    let body = "<dict><key>Name</key><string>n</string><key>Items</key><array><dict><key>Id</key><integer>1</integer></dict><dict><key>Id</key><string>two</string></dict></array></dict>";
    let err = mdm_plist::from_xml_bytes::<Msg>(&wrap(body)).unwrap_err();
    let Error::Type { path, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(path, "Items[1].Id");

    let missing = mdm_plist::from_xml_bytes::<Msg>(&wrap("<dict/>")).unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("missing required key \"Name\""),
        "{missing}"
    );

    let dup = "<dict><key>Name</key><string>a</string><key>Name</key><string>b</string></dict>";
    assert!(matches!(
        mdm_plist::from_xml_bytes::<Msg>(&wrap(dup)),
        Err(Error::DuplicateKey { .. })
    ));
}

#[test]
fn unknown_keys_round_trip_in_order() {
    let body = "<dict><key>Name</key><string>n</string><key>Zed</key><integer>1</integer><key>Alpha</key><array><true/></array></dict>";
    let msg: Msg = mdm_plist::from_xml_bytes(&wrap(body)).unwrap();
    assert_eq!(msg.count, None);
    assert_eq!(msg.extra.keys().collect::<Vec<_>>(), vec!["Zed", "Alpha"]);
    let again = mdm_plist::to_xml_bytes(&msg).unwrap();
    let v1 = decode(&wrap(body)).unwrap();
    let v2 = decode(&again).unwrap();
    assert_eq!(v1, v2);
    let text = String::from_utf8(again).unwrap();
    assert!(!text.contains("Count"), "None fields are left out: {text}");
    assert!(!text.contains("<key>Some</key>"), "{text}");
}

/// A binary plist holding one date, `secs` seconds from 2001-01-01.
fn binary_date(secs: f64) -> Vec<u8> {
    let mut out = b"bplist00".to_vec();
    out.push(0x33);
    out.extend_from_slice(&secs.to_be_bytes());
    let table = out.len();
    out.push(8);
    let mut trailer = [0u8; 32];
    trailer[6] = 1; // offset size
    trailer[7] = 1; // ref size
    trailer[8..16].copy_from_slice(&1u64.to_be_bytes());
    trailer[24..32].copy_from_slice(&(table as u64).to_be_bytes());
    out.extend_from_slice(&trailer);
    out
}

#[test]
fn binary_dates_outside_years_0_to_9999_are_refused() {
    // 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z, in seconds from 2001-01-01.
    let first = -63_145_526_400.0;
    let end = 252_423_993_600.0;
    for secs in [first, 0.0, end - 1.0] {
        let v: Value = mdm_plist::from_binary_bytes(&binary_date(secs), &BinaryLimits::default())
            .unwrap_or_else(|e| panic!("{secs}: {e}"));
        // Whatever is accepted can be written as XML and read back.
        let xml = mdm_plist::to_xml_bytes(&v).unwrap();
        assert_eq!(decode(&xml).unwrap(), v);
    }
    // Before year 0: the `plist` crate reads these but panics formatting them.
    for secs in [first - 1.0, first - 0.5, -1e11] {
        let err =
            mdm_plist::from_binary_bytes::<Value>(&binary_date(secs), &BinaryLimits::default())
                .unwrap_err();
        assert!(
            matches!(&err, Error::Syntax { path, message } if path == "<root>" && message.contains("years 0 to 9999")),
            "{secs}: {err:?}"
        );
    }
    // Before year -9999 and from year 10000 on the `plist` crate refuses them itself.
    for secs in [end, 1e12, -1e12] {
        let err =
            mdm_plist::from_binary_bytes::<Value>(&binary_date(secs), &BinaryLimits::default())
                .unwrap_err();
        assert!(
            matches!(&err, Error::Syntax { path, .. } if path == "<root>"),
            "{secs}: {err:?}"
        );
    }
}

mdm_plist::plist_dict! {
    /// Fields that take a value of another plist type than the one written.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Converting {
        /// A real.
        "Ratio" => pub ratio: Option<f64>,
        /// Reals in an array.
        "Reals" => pub reals: Option<Vec<f32>>,
        /// Text.
        "Text" => pub text: Option<String>,
        /// A date.
        "When" => pub when: Option<mdm_plist::Date>,
        /// Anything, kept as written.
        "Raw" => pub raw: Option<Value>,
        /// Bytes.
        "Blob" => pub blob: Option<mdm_plist::Data>,
    }
}

#[test]
fn conversions_are_reported_by_path() {
    let options = mdm_plist::Options::default();
    let decode = |body: &str| {
        mdm_plist::from_xml_bytes_with_options::<Converting>(&wrap(body), &options).unwrap()
    };
    let exact = decode(
        "<dict><key>Ratio</key><real>1.5</real><key>Reals</key><array><real>2</real></array>\
         <key>Text</key><string>t</string><key>When</key><date>2020-01-01T00:00:00Z</date>\
         <key>Raw</key><array><integer>1</integer><date>2020-01-01T00:00:00Z</date></array>\
         <key>Other</key><date>2020-01-01T00:00:00Z</date><key>Blob</key><data>aGk=</data></dict>",
    );
    assert!(exact.converted.is_empty(), "{:?}", exact.converted);
    let converted = decode(
        "<dict><key>Ratio</key><integer>3</integer>\
         <key>Reals</key><array><real>2</real><integer>4</integer></array>\
         <key>Text</key><date>2020-01-01T00:00:00Z</date>\
         <key>When</key><string>2020-01-01T00:00:00Z</string></dict>",
    );
    let text = decode("<dict><key>Text</key><data>aGk=</data></dict>");
    assert_eq!(text.value.text.as_deref(), Some("hi"));
    assert_eq!(text.converted, ["Text".to_owned()]);
    assert_eq!(converted.value.ratio, Some(3.0));
    assert_eq!(
        converted.converted,
        ["Ratio", "Reals[1]", "Text", "When"].map(String::from)
    );
    // At the root too.
    let root =
        mdm_plist::from_xml_bytes_with_options::<f64>(&wrap("<integer>7</integer>"), &options)
            .unwrap();
    assert_eq!(root.converted, ["<root>".to_owned()]);
}
