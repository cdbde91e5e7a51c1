//! The one-pass decoder against the legacy one (plist's reader behind the guard) on every
//! XML plist in the corpus and every fuzz seed: the same value or the same refusal, apart
//! from the two intended differences `mdm_plist::__private::differential` names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::type_complexity
)]

use std::path::PathBuf;

fn looks_like_xml_plist(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    memchr_find(head, b"<plist") || memchr_find(head, b"<?xml")
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn check_all(files: &[PathBuf]) -> usize {
    let mut failures = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).unwrap();
        if let Err(e) = mdm_plist::__private::differential(&bytes) {
            failures.push(format!("{}: {e}", f.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    files.len()
}

#[test]
fn corpus_decodes_the_same_both_ways() {
    let Some(root) = mdm_testsupport::corpus_dir("corpus_decodes_the_same_both_ways") else {
        return;
    };
    let files: Vec<PathBuf> = mdm_testsupport::files_under(&root)
        .into_iter()
        .filter(|f| std::fs::read(f).is_ok_and(|b| looks_like_xml_plist(&b)))
        .collect();
    assert!(
        files.len() > 700,
        "corpus looks incomplete: {}",
        files.len()
    );
    let n = check_all(&files);
    println!("{n} corpus plists agree");
}

#[test]
fn fuzz_seeds_decode_the_same_both_ways() {
    let dir = mdm_testsupport::workspace_root().join("fuzz/corpus");
    let files = mdm_testsupport::files_under(&dir);
    assert!(!files.is_empty(), "no fuzz seeds under {}", dir.display());
    let n = check_all(&files);
    println!("{n} fuzz seeds agree");
}

#[test]
fn surplus_padding_decodes_like_apple() {
    let xml =
        b"<plist version=\"1.0\"><dict><key>Token</key><data>\n  AAAA=\n</data></dict></plist>";
    let v: mdm_plist::Value = mdm_plist::from_xml_bytes(xml).unwrap();
    let token = v.as_dictionary().unwrap()["Token"].as_data().unwrap();
    assert_eq!(token, &[0, 0, 0]);
    mdm_plist::__private::differential(xml).unwrap();
}

#[test]
fn corpus_token_update_with_surplus_padding_decodes() {
    let Some(path) = mdm_testsupport::corpus_path(
        "corpus_token_update_with_surplus_padding_decodes",
        "mdm-messages/cmdmnt-commandment/testdata/TokenUpdate/10.11.x-user.plist",
    ) else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let v: mdm_plist::Value = mdm_plist::from_xml_bytes(&bytes).unwrap();
    assert!(v.as_dictionary().unwrap().contains_key("Token"));
}

#[test]
fn strings_borrow_from_the_input() {
    #[derive(serde::Deserialize)]
    struct Msg<'a> {
        #[serde(rename = "MessageType")]
        message_type: &'a str,
    }
    let xml = b"<plist><dict><key>MessageType</key><string>Authenticate</string></dict></plist>";
    let m: Msg<'_> = mdm_plist::from_xml_bytes_borrowed(xml).unwrap();
    assert_eq!(m.message_type, "Authenticate");
}

#[test]
fn refusals_keep_their_kind_and_path() {
    use mdm_plist::Error;
    let cases: &[(&[u8], fn(&Error) -> bool)] = &[
        (
            b"<plist><dict><key>A</key><string>&nope;</string></dict></plist>",
            |e| matches!(e, Error::Syntax { path, .. } if path == "<root>"),
        ),
        (
            b"<plist><dict><key>A</key><integer>1</integer><key>A</key><true/></dict></plist>",
            |e| matches!(e, Error::DuplicateKey { key, .. } if key == "A"),
        ),
        (b"<plist><string>a</string></plist>trailing", |e| {
            matches!(e, Error::Syntax { .. })
        }),
        (b"<plist><string>a</string>", |e| {
            matches!(e, Error::Syntax { .. })
        }),
        (
            b"<plist><string>a</string><string>b</string></plist>",
            |e| matches!(e, Error::Syntax { .. }),
        ),
        (
            b"<plist><dict><key>N</key><integer>18446744073709551616</integer></dict></plist>",
            |e| matches!(e, Error::Syntax { path, .. } if path == "N"),
        ),
        (
            b"<plist><dict><key>D</key><date>yesterday</date></dict></plist>",
            |e| matches!(e, Error::Syntax { path, .. } if path == "D"),
        ),
        (b"<plist><string>\xff</string></plist>", |e| {
            matches!(e, Error::Syntax { .. })
        }),
        // After the root only XML white space (space, tab, CR, LF) and comments may follow;
        // the one-pass decoder took any Unicode white space there (plist_differential).
        (
            b"<plist><string>a</string></plist>\x0b<!-- ok -->\n",
            |e| matches!(e, Error::Syntax { message, .. } if message.contains("after </plist>")),
        ),
        (b"<plist><string>a</string></plist>\x0c", |e| {
            matches!(e, Error::Syntax { .. })
        }),
        ("<plist><string>a</string></plist>\u{a0}".as_bytes(), |e| {
            matches!(e, Error::Syntax { .. })
        }),
        // A `<plist>` inside the plist: plist's reader skips it (plist_differential).
        (
            b"<plist version=\"1.0\"><plist><dict><key>E</key><array/></dict></plist>",
            |e| matches!(e, Error::Syntax { message, .. } if message.contains("<plist> element inside")),
        ),
        // An empty `<plist></plist>` and then a second one: plist's reader read the second.
        (
            b"<plist></plist>\n<plist><array><true/></array></plist>",
            |e| matches!(e, Error::Syntax { message, .. } if message.contains("after </plist>")),
        ),
        (
            b"<plist><dict><key>a</key><plist><string>x</string></plist></dict></plist>",
            |e| matches!(e, Error::Syntax { path, .. } if path == "a"),
        ),
    ];
    for (xml, ok) in cases {
        let err = mdm_plist::from_xml_bytes::<mdm_plist::Value>(xml).unwrap_err();
        assert!(ok(&err), "{}: {err:?}", String::from_utf8_lossy(xml));
        mdm_plist::__private::differential(xml).unwrap();
    }
    let deep = format!("<plist>{}</plist>", "<array>".repeat(100));
    let err = mdm_plist::from_xml_bytes::<mdm_plist::Value>(deep.as_bytes()).unwrap_err();
    assert!(matches!(err, Error::TooDeep { limit: 64, .. }), "{err:?}");
}

/// The harness's padding check used to pair `<data>` and `</data>` by byte search: a `<data>`
/// named inside a processing instruction or comment, or markup inside the element, was
/// rewritten too, and the legacy decoder was asked about a different document. The first
/// input is what `plist_differential` found (a processing instruction `<?xml versi(on ...?>`
/// holding `<data>` text; the canonical copy had `<plistversion"1.0">`).
#[test]
fn padding_check_rewrites_only_data_text() {
    let seeds = mdm_testsupport::workspace_root().join("fuzz/corpus/plist_differential");
    for name in [
        "padding_pi_found.xml",
        "padding_pi_min.xml",
        "padding_comment_data.xml",
        "padding_markup_in_data.xml",
    ] {
        let xml = std::fs::read(seeds.join(name)).unwrap();
        mdm_plist::__private::differential(&xml).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let cases: &[(&[u8], &[(&str, &[u8])])] = &[
        (
            b"<?<data>?><plist version=\"1.0\"><dict><key>a</key><data>AAAA=</data></dict></plist>",
            &[("a", &[0, 0, 0])],
        ),
        (
            b"<?<data>?><plist><dict><key>en</key><data>=</data></dict></plist>",
            &[("en", &[])],
        ),
        (
            b"<plist><dict><key>a</key><data>AA AA=<?pi version=\"1.0\"?><!-- = --></data>\
              <key>b</key><data>aGk&#61;&#61;&#61;</data></dict></plist>",
            &[("a", &[0, 0, 0]), ("b", b"hi")],
        ),
        // A byte-order mark, which quick-xml does not count in its positions.
        (
            b"\xEF\xBB\xBF<?x?><plist><dict><key>a</key><data>2aGk==</data></dict></plist>",
            &[("a", &[0xD9, 0xA1, 0xA4])],
        ),
    ];
    for (xml, want) in cases {
        mdm_plist::__private::differential(xml)
            .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(xml)));
        let v: mdm_plist::Value = mdm_plist::from_xml_bytes(xml).unwrap();
        let dict = v.as_dictionary().unwrap();
        assert_eq!(dict.len(), want.len());
        for (key, data) in *want {
            assert_eq!(dict[*key].as_data().unwrap(), *data);
        }
    }
    // What the lenient decoder must still refuse, the legacy one refuses too.
    for xml in [
        &b"<?<data>?><plist><data>aGk</data></plist>"[..],
        b"<plist><data>aA=<!-- = --></data></plist>",
        b"<plist><data>aGk=<?x?>aGk=</data></plist>",
    ] {
        assert!(mdm_plist::from_xml_bytes::<mdm_plist::Value>(xml).is_err());
        mdm_plist::__private::differential(xml).unwrap();
    }
}

/// Markup around the root, where the decoders' rules differ most: after `</plist>` only white
/// space and comments (no processing instruction, DOCTYPE, CDATA or reference, which the
/// one-pass decoder let through until `plist_differential` found a processing instruction).
/// Both decoders must agree on every case.
#[test]
fn markup_around_the_root_decodes_the_same_both_ways() {
    let cases: &[&[u8]] = &[
        b"<plist><true/></plist><?foo?>",
        b"<plist><true/></plist >",
        b"<plist><true/></plist\n>\n",
        b"<plist><string>a</string></plist>\n<!--k -->\n<?xml versF-8\"?>",
        b"<plist><true/></plist><!-- c --><?foo bar?>",
        b"<plist><true/></plist><!DOCTYPE x>",
        b"<plist><true/></plist><![CDATA[x]]>",
        b"<plist><true/></plist>&#32;",
        b"<plist><true/></plist>&#x20;",
        b"<plist><true/></plist><!-- a --><!-- b -->",
        b"<plist><true/></plist><!---->",
        b"<plist><true/></plist>\r\n<!-- -- -->",
        b"<plist><true/></plist><!-- unterminated",
        b"<plist><true/></plist><!-- </plist><!--->",
        b"<plist><true/></plist><!-- </plist><!-- -->",
        b"<plist><true/></plist><!-- </plist><!--",
        b"<plist><true/></plist></plist>",
        b"<plist><true/></plist></x>",
        b"<plist><true/></plist><x/>",
        b"<?foo?><plist><true/></plist>",
        b"<!-- x --><plist><true/></plist>",
        b"<plist><true/><?pi?></plist>",
        b"<plist><?pi?><true/></plist>",
        b"<plist><true/><!DOCTYPE x></plist>",
        b"<dict><key>A</key> <!DOCTYPE <p<plist PUA><string>x</string></dict>",
        b"<plist><dict><?xml version=\"1.0\"?></dict></plist>",
        b"<?xml version=\"1.0\"?><!DOCTYPE plist><plist><true/></plist>",
        b"<plist><true/><![CDATA[ ]]></plist>",
        b"<plist><![CDATA[x]]><true/></plist>",
        b"<plist><true/>&#32;</plist>",
        b"<plist><true   i8\x1c\x00t</plist>",
        b"<plist><true x</plist>",
        b"<plist><string a=\"</plist>\"></string>",
        b"<plist><true x</integer><key>a</key></plist>",
        b"<plist><false></false></plist>",
        b"<plist><true ></true ></plist>",
        b"<plist><true></plist>",
        b"<plist><string>a</string><!-- </plist> -->",
        b"<plist><string>a</string><!-- </plist> --><!-- </plist> -->",
        b"<plist><string>a</string><!-- x > </plist>",
        b"<plist><string>a</string><![CDATA[</plist>]]>",
        b"<!DOCTYPE x <plist =?>><data>aGk=</data>",
        b"<plist><true/></plist\n><!-- </plist><!---->",
        b"<plist><true/></plist ><!-- </plist> x",
        b"<!-- <plist --><data>aGk=</data>",
        b"<? a> <plist ?><data>aGk=</data>",
        b"<!DOCTYPE x <plist =?>><plist><data>aGk=</data>",
    ];
    let mut bad = Vec::new();
    for c in cases {
        if let Err(e) = mdm_plist::__private::differential(c) {
            bad.push(format!("{:?}: {e}", String::from_utf8_lossy(c)));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
