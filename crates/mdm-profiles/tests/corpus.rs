//! Fidelity on real profiles: every unsigned, unencrypted profile in the corpus
//! (`profiles/INDEX.tsv`) is decoded, re-encoded and compared with the original at the
//! `plist::Value` level (dictionary key order aside).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::collections::BTreeMap;

use mdm_plist::Value;

/// Files whose re-encoding differs from what was read, each for a documented reason.
/// Every entry is refused by the plist layer (`mdm-plist`), and all but one by Python's
/// `plistlib` as well.
const KNOWN: &[(&str, &str)] = &[
    (
        "crypt.mobileconfig",
        "text after </plist>; plistlib refuses too (ExpatError)",
    ),
    (
        "TestTCCProfileSigned-Broken.mobileconfig",
        "a deliberately broken test file: text after </plist>; plistlib refuses too",
    ),
    (
        "TestTCCUnsignedProfile-Broken.mobileconfig",
        "a deliberately broken test file: invalid XML; plistlib refuses too (ExpatError)",
    ),
    (
        "Prevent proceeding from the SSL warning page.mobileconfig",
        "an element inside <string>; plistlib refuses too (ValueError)",
    ),
    (
        "deferUpdates.mobileconfig",
        "`<string>text<string/>`: an element inside <string>, not a plist; mdm-plist refuses \
         with the key path, plistlib's event parser papers over it",
    ),
];

#[test]
fn corpus_profiles_round_trip() {
    let Some(root) = mdm_testsupport::corpus_dir("corpus_profiles_round_trip") else {
        return;
    };
    let index = std::fs::read_to_string(root.join("profiles/INDEX.tsv")).unwrap();
    let (mut total, mut decoded, mut exact, mut normalised) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    let mut lenient_only = Vec::new();
    let mut leniency_kinds: BTreeMap<String, usize> = BTreeMap::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (path, signed, plistlib, encrypted) = (cols[0], cols[1], cols[3], cols[4]);
        if signed != "unsigned" || encrypted == "True" {
            continue;
        }
        total += 1;
        let bytes = std::fs::read(root.join(path)).unwrap();
        let d = match mdm_profiles::Decoded::decode(&bytes) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{path}: decode failed ({e}); plistlib: {plistlib}"));
                continue;
            }
        };
        decoded += 1;
        for l in &d.leniencies {
            let k = l.message.split(':').next().unwrap_or_default().to_owned();
            *leniency_kinds.entry(k).or_default() += 1;
        }
        let strict = mdm_plist::from_xml_bytes_with_options::<Value>(
            &bytes,
            &mdm_plist::Options {
                limits: mdm_plist::Limits {
                    max_bytes: mdm_profiles::MAX_PROFILE_BYTES,
                    max_depth: mdm_profiles::MAX_PROFILE_DEPTH,
                },
                allow_duplicate_keys: true,
            },
        )
        .map(|d| d.value);
        let xml = d.profile.encode().unwrap();
        let Ok(original) = strict else {
            // Only our leniencies read it (PEM armor in <data>): check that what we write
            // reads back to the same profile.
            let back = mdm_profiles::Decoded::decode(&xml).unwrap();
            assert_eq!(back.profile, d.profile, "{path}");
            lenient_only.push(path.to_owned());
            normalised += 1;
            continue;
        };
        let again: Value = mdm_plist::value_from_xml_bytes(
            &xml,
            &mdm_plist::Limits {
                max_bytes: mdm_profiles::MAX_PROFILE_BYTES,
                max_depth: mdm_profiles::MAX_PROFILE_DEPTH,
            },
        )
        .unwrap();
        if again == original {
            exact += 1;
        } else if d
            .leniencies
            .iter()
            .any(|l| l.message.contains("re-encoded as"))
        {
            normalised += 1;
        } else {
            failures.push(format!(
                "{path}: re-encoded value differs at {}",
                first_difference(&original, &again, String::new())
            ));
        }
    }
    println!(
        "{total} unsigned unencrypted profiles: {decoded} decoded, {exact} round-tripped exactly, {normalised} equal after documented normalisation, {} failures",
        failures.len()
    );
    for p in &lenient_only {
        println!("  read only with a leniency (round trip checked on our own output): {p}");
    }
    for (k, n) in &leniency_kinds {
        println!("  leniency {n:>4}x  {k}");
    }
    for f in &failures {
        println!("  FAIL {f}");
    }
    let unexpected: Vec<&String> = failures
        .iter()
        .filter(|f| !KNOWN.iter().any(|(k, _)| f.contains(k)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexplained failures: {unexpected:#?}"
    );
}

fn first_difference(a: &Value, b: &Value, path: String) -> String {
    match (a, b) {
        (Value::Dictionary(x), Value::Dictionary(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if v != w => return first_difference(v, w, format!("{path}.{k}")),
                    None => return format!("{path}.{k} (dropped)"),
                    _ => {}
                }
            }
            for k in y.keys() {
                if !x.contains_key(k) {
                    return format!("{path}.{k} (added)");
                }
            }
            path
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if v != w {
                    return first_difference(v, w, format!("{path}[{i}]"));
                }
            }
            path
        }
        _ => format!("{path} ({a:?} -> {b:?})"),
    }
}

/// The one-pass path of `Decoded::decode` against the lenient path on every unsigned
/// profile of the corpus: where it gives a profile, the lenient path gives the same profile
/// (field for field, and the same bytes when encoded) and no leniency but leading white
/// space; and `Decoded::decode` always returns what the lenient path returns.
#[test]
fn one_pass_and_lenient_paths_agree_on_the_corpus() {
    let Some(root) = mdm_testsupport::corpus_dir("one_pass_and_lenient_paths_agree_on_the_corpus")
    else {
        return;
    };
    let index = std::fs::read_to_string(root.join("profiles/INDEX.tsv")).unwrap();
    let (mut total, mut one_pass) = (0, 0);
    let mut bad = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols[1] != "unsigned" {
            continue;
        }
        total += 1;
        let bytes = std::fs::read(root.join(cols[0])).unwrap();
        match mdm_profiles::__private::differential(&bytes) {
            Ok(true) => one_pass += 1,
            Ok(false) => {}
            Err(e) => bad.push(format!("{}: {e}", cols[0])),
        }
    }
    println!("{total} unsigned profiles, {one_pass} decoded in one pass");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(one_pass > 0);
}
