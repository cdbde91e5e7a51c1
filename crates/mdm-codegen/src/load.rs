//! Reading Apple's YAML into the schema model ([`crate::ir`]).
//!
//! Uses `saphyr`, which expands YAML anchors and aliases (18 schema files use them). An alias
//! to an anchor that is still open, which is how the two self-recursive files
//! (`com.apple.homescreenlayout`, `com.apple.applicationaccess.new`) refer back to an enclosing
//! key, comes back from `saphyr` as a bad value; the loader records it as
//! [`Subkeys::Recursive`].

use std::path::{Path, PathBuf};

use saphyr::{LoadableYamlNode, Yaml};

use crate::ir::{
    Family, Key, Literal, OsSupport, Payload, Platform, Presence, Range, Schema, SchemaFile,
    Subkeys, SupportedOs, ValueType,
};

/// What can go wrong reading the schema.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// A file or folder could not be read.
    Io(PathBuf, std::io::Error),
    /// A file is not valid YAML.
    Yaml(String, String),
    /// A file is YAML but not the shape the schema documents.
    Shape(String, String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
            Self::Yaml(p, e) => write!(f, "{p}: invalid yaml: {e}"),
            Self::Shape(p, e) => write!(f, "{p}: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// Loads every `*.yaml` file under `root` (except `docs/`, which describes the format itself).
///
/// `commit` is recorded as-is; see [`find_commit`] to read it from the corpus manifest.
///
/// # Errors
/// When a file cannot be read or is not shaped like a schema file.
pub fn load_schema(root: &Path, commit: Option<String>) -> Result<Schema, LoadError> {
    let mut paths = Vec::new();
    collect_yaml(root, &mut paths)?;
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let rel = relative(root, &path);
        if rel.starts_with("docs/") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| LoadError::Io(path.clone(), e))?;
        if let Some(file) = parse_file(&rel, &text)? {
            files.push(file);
        }
    }
    Ok(Schema { commit, files })
}

/// Reads the schema commit for `root` from the corpus around it: the `MANIFEST.tsv` next to
/// the schema folder (a row whose first column is the folder's name; the fourth column is the
/// commit), or a `reference.txt` inside it holding a 40-hex commit.
pub fn find_commit(root: &Path) -> Option<String> {
    let name = root.file_name()?.to_str()?.to_owned();
    let parent = root.parent()?;
    if let Ok(manifest) = std::fs::read_to_string(parent.join("MANIFEST.tsv")) {
        for line in manifest.lines() {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.first() == Some(&name.as_str())
                && cols.get(2).is_some_and(|r| r.starts_with("apple/"))
                && let Some(c) = cols.get(3).filter(|c| is_hex40(c))
            {
                return Some((*c).to_owned());
            }
        }
    }
    let reference = std::fs::read_to_string(root.join("reference.txt")).ok()?;
    reference
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| is_hex40(w))
        .map(str::to_owned)
}

fn is_hex40(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::Io(dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| LoadError::Io(dir.to_path_buf(), e))?;
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Parses one schema file's text. Returns `None` for YAML files that are not payload schemas
/// (no `payload` and no `payloadkeys`, such as `other/skipkeys.yaml`).
///
/// # Errors
/// When the text is not YAML or a key is malformed.
pub fn parse_file(rel: &str, text: &str) -> Result<Option<SchemaFile>, LoadError> {
    let docs =
        Yaml::load_from_str(text).map_err(|e| LoadError::Yaml(rel.to_owned(), e.to_string()))?;
    let Some(doc) = docs.first() else {
        return Ok(None);
    };
    if !doc.is_mapping() {
        return Ok(None);
    }
    let payload_yaml = doc.as_mapping_get("payload");
    let keys_yaml = doc.as_mapping_get("payloadkeys");
    if payload_yaml.is_none() && keys_yaml.is_none() {
        return Ok(None);
    }
    let payload = match payload_yaml {
        Some(p) => parse_payload(rel, p)?,
        None => Payload::default(),
    };
    let payload_keys = match keys_yaml {
        Some(k) => parse_keys(rel, k, &payload.supported_os)?,
        None => Vec::new(),
    };
    let response_keys = match doc.as_mapping_get("responsekeys") {
        Some(k) => Some(parse_keys(rel, k, &payload.supported_os)?),
        None => None,
    };
    Ok(Some(SchemaFile {
        path: rel.to_owned(),
        title: str_of(doc, "title").unwrap_or_default(),
        family: Family::from_relative_path(rel),
        payload,
        payload_keys,
        response_keys,
    }))
}

fn parse_payload(rel: &str, y: &Yaml<'_>) -> Result<Payload, LoadError> {
    Ok(Payload {
        request_type: str_of(y, "requesttype"),
        payload_type: str_of(y, "payloadtype"),
        declaration_type: str_of(y, "declarationtype"),
        status_item_type: str_of(y, "statusitemtype"),
        credential_type: str_of(y, "credentialtype"),
        supported_os: match y.as_mapping_get("supportedOS") {
            Some(s) => parse_supported_os(rel, s)?,
            None => SupportedOs::default(),
        },
        apply: str_of(y, "apply"),
        beta: bool_of(y, "beta").unwrap_or(false),
    })
}

fn parse_keys(rel: &str, y: &Yaml<'_>, parent_os: &SupportedOs) -> Result<Vec<Key>, LoadError> {
    let Some(seq) = y.as_sequence() else {
        if y.is_null() {
            return Ok(Vec::new());
        }
        return Err(LoadError::Shape(
            rel.to_owned(),
            "keys are not a list".into(),
        ));
    };
    seq.iter().map(|k| parse_key(rel, k, parent_os)).collect()
}

fn parse_key(rel: &str, y: &Yaml<'_>, parent_os: &SupportedOs) -> Result<Key, LoadError> {
    let name = str_of(y, "key")
        .ok_or_else(|| LoadError::Shape(rel.to_owned(), "a key without `key`".into()))?;
    let type_str = str_of(y, "type").unwrap_or_default();
    let value_type = ValueType::parse(&type_str).ok_or_else(|| {
        LoadError::Shape(
            rel.to_owned(),
            format!("key {name}: unknown type {type_str:?}"),
        )
    })?;
    let own_os = match y.as_mapping_get("supportedOS") {
        Some(s) => parse_supported_os(rel, s)?,
        None => SupportedOs::default(),
    };
    let supported_os = own_os.inherit(parent_os);
    let subkeys = match y.as_mapping_get("subkeys") {
        None => Subkeys::None,
        Some(s) if s.is_sequence() => Subkeys::Keys(parse_keys(rel, s, &supported_os)?),
        // An alias whose anchor is still open: the key refers back to an ancestor.
        Some(_) => Subkeys::Recursive,
    };
    let presence = match str_of(y, "presence").as_deref() {
        Some("required") => Presence::Required,
        _ => Presence::Optional,
    };
    let range = y.as_mapping_get("range").map(|r| Range {
        min: r.as_mapping_get("min").and_then(literal),
        max: r.as_mapping_get("max").and_then(literal),
    });
    let repetition = y.as_mapping_get("repetition").and_then(|r| {
        Some((
            r.as_mapping_get("min")?.as_integer()?,
            r.as_mapping_get("max")?.as_integer()?,
        ))
    });
    Ok(Key {
        name,
        title: str_of(y, "title"),
        value_type,
        subtype: str_of(y, "subtype"),
        presence,
        range_list: y
            .as_mapping_get("rangelist")
            .and_then(Yaml::as_sequence)
            .map(|s| s.iter().filter_map(literal).collect())
            .unwrap_or_default(),
        range,
        default: y.as_mapping_get("default").and_then(literal),
        format: str_of(y, "format"),
        repetition,
        combine_type: str_of(y, "combinetype"),
        asset_types: strings_of(y, "assettypes"),
        subkey_type: str_of(y, "subkeytype"),
        subkeys,
        supported_os,
    })
}

fn parse_supported_os(rel: &str, y: &Yaml<'_>) -> Result<SupportedOs, LoadError> {
    let mut out = SupportedOs::default();
    let Some(map) = y.as_mapping() else {
        return Ok(out);
    };
    for (k, v) in map {
        let Some(name) = k.as_str() else { continue };
        let Some(platform) = Platform::parse(name) else {
            return Err(LoadError::Shape(
                rel.to_owned(),
                format!("unknown platform {name:?} in supportedOS"),
            ));
        };
        let shared = v.as_mapping_get("sharedipad");
        let user_enrollment = v.as_mapping_get("userenrollment");
        out.platforms.insert(
            platform,
            OsSupport {
                introduced: scalar_string(v.as_mapping_get("introduced")),
                deprecated: scalar_string(v.as_mapping_get("deprecated")),
                removed: scalar_string(v.as_mapping_get("removed")),
                access_rights: str_of(v, "accessrights"),
                device_channel: bool_of(v, "devicechannel"),
                user_channel: bool_of(v, "userchannel"),
                supervised: bool_of(v, "supervised"),
                requires_dep: bool_of(v, "requiresdep"),
                user_approved_mdm: bool_of(v, "userapprovedmdm"),
                allow_manual_install: bool_of(v, "allowmanualinstall"),
                multiple: bool_of(v, "multiple"),
                beta: bool_of(v, "beta"),
                shared_ipad_mode: shared.and_then(|s| str_of(s, "mode")),
                shared_ipad_device_channel: shared.and_then(|s| bool_of(s, "devicechannel")),
                shared_ipad_user_channel: shared.and_then(|s| bool_of(s, "userchannel")),
                user_enrollment_mode: user_enrollment.and_then(|s| str_of(s, "mode")),
                allowed_enrollments: strings_of(v, "allowed-enrollments"),
                allowed_scopes: strings_of(v, "allowed-scopes"),
            },
        );
    }
    Ok(out)
}

fn str_of(y: &Yaml<'_>, key: &str) -> Option<String> {
    scalar_string(y.as_mapping_get(key))
}

/// A scalar as text (versions such as `10.14.4` arrive as strings; numbers are formatted).
fn scalar_string(y: Option<&Yaml<'_>>) -> Option<String> {
    let y = y?;
    if let Some(s) = y.as_str() {
        return Some(s.to_owned());
    }
    if let Some(i) = y.as_integer() {
        return Some(i.to_string());
    }
    if let Some(f) = y.as_floating_point() {
        return Some(f.to_string());
    }
    y.as_bool().map(|b| b.to_string())
}

fn bool_of(y: &Yaml<'_>, key: &str) -> Option<bool> {
    y.as_mapping_get(key).and_then(Yaml::as_bool)
}

fn strings_of(y: &Yaml<'_>, key: &str) -> Vec<String> {
    y.as_mapping_get(key)
        .and_then(Yaml::as_sequence)
        .map(|s| s.iter().filter_map(|v| scalar_string(Some(v))).collect())
        .unwrap_or_default()
}

fn literal(y: &Yaml<'_>) -> Option<Literal> {
    if let Some(b) = y.as_bool() {
        return Some(Literal::Boolean(b));
    }
    if let Some(i) = y.as_integer() {
        return Some(Literal::Integer(i));
    }
    if let Some(f) = y.as_floating_point() {
        return Some(Literal::Real(f));
    }
    y.as_str().map(|s| Literal::String(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_inherits_and_overrides_payload_availability() {
        let yaml = "title: T\npayload:\n  requesttype: X\n  supportedOS:\n    iOS:\n      introduced: '4.0'\n      supervised: true\n    macOS:\n      introduced: '10.7'\npayloadkeys:\n- key: A\n  type: <string>\n  presence: required\n  supportedOS:\n    iOS:\n      introduced: '7.0'\n";
        let file = parse_file("mdm/commands/x.yaml", yaml).unwrap().unwrap();
        assert_eq!(file.family, Family::Command);
        let key = &file.payload_keys[0];
        assert_eq!(key.presence, Presence::Required);
        let ios = &key.supported_os.platforms[&Platform::IOS];
        assert_eq!(ios.introduced.as_deref(), Some("7.0"));
        assert_eq!(ios.supervised, Some(true));
        let mac = &key.supported_os.platforms[&Platform::MacOS];
        assert_eq!(mac.introduced.as_deref(), Some("10.7"));
    }

    #[test]
    fn anchors_expand_and_open_anchors_are_recursive() {
        let yaml = "title: T\npayloadkeys:\n- key: A\n  type: <dictionary>\n  subkeys: &s\n  - key: B\n    type: <string>\n- key: C\n  type: <dictionary>\n  subkeys: *s\n- key: D\n  type: <array>\n  subkeys: &r\n  - key: E\n    type: <dictionary>\n    subkeys: *r\n";
        let file = parse_file("mdm/profiles/x.yaml", yaml).unwrap().unwrap();
        assert_eq!(file.payload_keys[1].children()[0].name, "B");
        let d = &file.payload_keys[2];
        assert_eq!(d.children()[0].subkeys, Subkeys::Recursive);
    }
}
