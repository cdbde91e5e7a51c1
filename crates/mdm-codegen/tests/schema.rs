//! The generator over the real schema: every YAML file loads (anchors, aliases, the two
//! self-recursive files), output is deterministic, and commands come out complete.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mdm_codegen::ir::{Family, Subkeys};

fn schema_dir() -> Option<std::path::PathBuf> {
    mdm_testsupport::corpus_path("mdm-codegen schema", "apple-device-management")
}

#[test]
fn every_schema_file_loads() {
    let Some(dir) = schema_dir() else { return };
    let schema =
        mdm_codegen::load::load_schema(&dir, mdm_codegen::load::find_commit(&dir)).unwrap();
    assert_eq!(
        schema.commit.as_deref(),
        Some("b6202ca2fbd31286a52eb160b67a4db7b4fe1f1f")
    );
    assert_eq!(schema.family(Family::Command).count(), 66);
    assert!(schema.family(Family::Profile).count() > 100);
    assert!(schema.family(Family::Declaration).count() > 40);
    assert_eq!(
        schema
            .family(Family::Command)
            .filter(|f| f.response_keys.is_some())
            .count(),
        35
    );
    // The self-recursive anchors are marked, not expanded forever.
    let mut recursive = Vec::new();
    for file in &schema.files {
        let mut stack: Vec<&mdm_codegen::ir::Key> = file.payload_keys.iter().collect();
        while let Some(k) = stack.pop() {
            match &k.subkeys {
                Subkeys::Recursive => recursive.push(file.path.clone()),
                Subkeys::Keys(children) => stack.extend(children),
                Subkeys::None => {}
            }
        }
    }
    recursive.sort();
    recursive.dedup();
    assert_eq!(
        recursive,
        [
            "mdm/profiles/com.apple.applicationaccess.new.yaml",
            "mdm/profiles/com.apple.homescreenlayout.yaml"
        ]
    );
}

#[test]
fn generation_is_deterministic_and_names_the_commit() {
    let Some(dir) = schema_dir() else { return };
    let a = mdm_codegen::generate_all(&dir).unwrap();
    let b = mdm_codegen::generate_all(&dir).unwrap();
    assert_eq!(a, b);
    for file in a
        .iter()
        .filter(|f| f.path.extension().is_some_and(|e| e == "rs"))
    {
        assert!(
            file.text
                .contains("b6202ca2fbd31286a52eb160b67a4db7b4fe1f1f"),
            "{} lacks the schema commit",
            file.path.display()
        );
    }
    let commands = a
        .iter()
        .filter(|f| f.path.starts_with("crates/mdm-commands/src/generated"))
        .count();
    assert_eq!(commands, 67, "66 command modules and mod.rs");
}

#[test]
fn names_keep_acronyms_whole() {
    let Some(dir) = schema_dir() else { return };
    let files = mdm_codegen::generate_all(&dir).unwrap();
    let mut text = String::new();
    for f in files
        .iter()
        .filter(|f| f.path.extension().is_some_and(|e| e == "rs"))
    {
        text.push_str(&f.text);
    }
    for field in [
        "pub qos_marking_policy:",
        "pub enable_ipv6:",
        "pub roaming_consortium_ois:",
        "pub supports_ios_app_installs:",
        "pub itunes_store_account_is_active:",
        "pub wifi_mac:",
        "pub os_version:",
        "pub udid:",
        "pub vpn_uuid:",
        "pub dns_settings:",
    ] {
        assert!(text.contains(field), "no field {field}");
    }
    for ty in [
        "pub struct ConfigurationProfileIdentification ",
        "pub struct DnsSettings ",
        "pub struct DockStaticItem ",
        "pub struct OsUpdateStatus ",
    ] {
        assert!(text.contains(ty), "no type {ty}");
    }
    // No field keeps a one-letter piece of a split acronym (`qo_s`, `i_pv6`, `wi_fi`).
    for line in text.lines() {
        let Some((_, rest)) = line.split_once("=> pub ") else {
            continue;
        };
        let ident = rest.split(':').next().unwrap();
        assert!(
            !ident
                .split('_')
                .enumerate()
                .any(|(i, w)| w.len() == 1 && !(i == 0 && w == "k")),
            "{ident}"
        );
    }
    // No type name carries a run of capitals (`DNSSettings`) or a collision counter on a
    // nested type (`DockStaticItem2`).
    for line in text.lines() {
        let Some(name) = line
            .trim_start()
            .strip_prefix("pub struct ")
            .or_else(|| line.trim_start().strip_prefix("pub enum "))
        else {
            continue;
        };
        let name = name.split([' ', '{', '(']).next().unwrap();
        let caps = name
            .as_bytes()
            .windows(3)
            .any(|w| w.iter().all(u8::is_ascii_uppercase));
        assert!(!caps, "{name}");
        assert!(
            !name.ends_with(|c: char| c.is_ascii_digit())
                || [
                    "McxFileVault2",
                    "FamilyControlsTimeLimitsV2",
                    "VpnIkev2",
                    "VpnIpv4",
                    "NetworkVpnIkev2",
                    "NetworkVpnAlwaysOnIkev2"
                ]
                .contains(&name),
            "{name}"
        );
    }
}
