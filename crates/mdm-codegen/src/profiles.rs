//! The family emitter for configuration-profile payloads (`mdm/profiles/*.yaml` ->
//! `mdm-profiles`).
//!
//! Output, all under the target crate's `src/generated/`:
//!
//! - one module per `PayloadType` (`wifi_managed.rs`) with the payload struct, every nested
//!   type and its `crate::PayloadBody` impl. The struct starts with the common payload keys
//!   (`CommonPayloadKeys.yaml`, all optional here so real files decode; validation reports
//!   the missing ones) and leaves out `PayloadType`, which the `Payload` enum carries. Several
//!   files that share one `PayloadType` (`com.apple.MCX`) are merged into one struct;
//! - `mod.rs` with the `PayloadType` open enum, the `Payload` enum (a typed variant per
//!   payload type plus `Unknown { payload_type, body }`) and its dispatch;
//! - `spec.rs`: the facts validation needs (key types, presence, allowed values, ranges,
//!   per-platform availability) for every payload type and for the top level, as static
//!   tables of `crate::spec::{PayloadSpec, KeySpec, ...}`.
//!
//! The target crate provides (hand-written): `crate::{PayloadBody, Common, CommonMut}` and
//! `crate::spec::{PayloadSpec, KeySpec, Kind, Lit, OsSpec, Platform, Version}`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::commands::{OutputFile, header};
use crate::ir::{
    Family, Key, Literal, Platform, Presence, Schema, SchemaFile, Subkeys, ValueType,
    version_literal,
};
use crate::names::upper_camel;
use crate::rust::{Context, TypeBuilder, availability_phrase};

/// The schema files that describe the profile envelope rather than a payload.
pub const TOP_LEVEL_FILE: &str = "mdm/profiles/TopLevel.yaml";
/// The file with the keys every payload shares.
pub const COMMON_KEYS_FILE: &str = "mdm/profiles/CommonPayloadKeys.yaml";

/// What the emitter learned about one payload type (for tables and tests).
#[derive(Debug, Clone, PartialEq)]
pub struct PayloadInfo {
    /// `PayloadType` string.
    pub payload_type: String,
    /// Rust struct name (also the `Payload` variant).
    pub type_name: String,
    /// Rust module name.
    pub module: String,
    /// Schema paths (one, or several for a shared payload type).
    pub schema_paths: Vec<String>,
}

/// One payload type and the schema files that describe it.
struct Group<'a> {
    payload_type: String,
    files: Vec<&'a SchemaFile>,
}

fn groups(schema: &Schema) -> Vec<Group<'_>> {
    let mut map: BTreeMap<String, Vec<&SchemaFile>> = BTreeMap::new();
    for f in schema.family(Family::Profile) {
        if f.path == TOP_LEVEL_FILE || f.path == COMMON_KEYS_FILE {
            continue;
        }
        let Some(pt) = f.payload.payload_type.clone() else {
            continue;
        };
        map.entry(pt).or_default().push(f);
    }
    map.into_iter()
        .map(|(payload_type, files)| Group {
            payload_type,
            files,
        })
        .collect()
}

/// Names people know these payloads by, where the payload type says it poorly.
const FRIENDLY_NAMES: &[(&str, &str)] = &[
    ("com.apple.mobiledevice.passwordpolicy", "Passcode"),
    ("com.apple.applicationaccess", "Restrictions"),
    (
        "com.apple.applicationaccess.new",
        "ParentalApplicationRestrictions",
    ),
    ("com.apple.security.scep", "Scep"),
    ("com.apple.security.acme", "Acme"),
    ("com.apple.security.pkcs12", "Pkcs12Certificate"),
    ("com.apple.security.pkcs1", "Pkcs1Certificate"),
    ("com.apple.security.root", "RootCertificate"),
    ("com.apple.security.pem", "PemCertificate"),
    (
        "com.apple.TCC.configuration-profile-policy",
        "PrivacyPreferencesPolicyControl",
    ),
    ("com.apple.ManagedClient.preferences", "ManagedPreferences"),
];

/// The Rust name for a payload type: `com.apple.wifi.managed` -> `Wifi`,
/// `com.apple.security.firewall` -> `SecurityFirewall`,
/// `com.apple.configurationprofile.identification` -> `ConfigurationProfileIdentification`.
pub fn type_name_for(payload_type: &str) -> String {
    if let Some((_, name)) = FRIENDLY_NAMES.iter().find(|(t, _)| *t == payload_type) {
        return (*name).to_owned();
    }
    let short = payload_type
        .strip_prefix("com.apple.")
        .unwrap_or(payload_type);
    let short = short.strip_suffix(".managed").unwrap_or(short);
    let mut name = upper_camel(short);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'P');
    }
    name
}

fn module_for(payload_type: &str) -> String {
    let mut m: String = payload_type
        .strip_prefix("com.apple.")
        .unwrap_or(payload_type)
        .trim_start_matches('.')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if m.starts_with(|c: char| c.is_ascii_digit()) {
        m.insert(0, 'm');
    }
    if matches!(m.as_str(), "mod" | "spec") {
        m.insert_str(0, "p_");
    }
    m
}

fn schema_link(schema: &Schema, path: &str) -> String {
    let commit = schema.commit.as_deref().unwrap_or("release");
    let path_enc = path.replace('(', "%28").replace(')', "%29");
    format!("[`{path}`](https://github.com/apple/device-management/blob/{commit}/{path_enc})")
}

fn common_keys(schema: &Schema) -> Vec<Key> {
    schema
        .files
        .iter()
        .find(|f| f.path == COMMON_KEYS_FILE)
        .map(|f| {
            f.payload_keys
                .iter()
                .filter(|k| k.name != "PayloadType")
                .cloned()
                .map(|mut k| {
                    // Optional in the type so real files decode; validation checks presence.
                    k.presence = Presence::Optional;
                    k
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Emits the whole `src/generated/` tree of `mdm-profiles`.
pub fn emit(schema: &Schema) -> (Vec<OutputFile>, Vec<PayloadInfo>) {
    let groups = groups(schema);
    let common = common_keys(schema);
    let mut builder = TypeBuilder::default();
    for name in [
        "Payload",
        "PayloadType",
        "Profile",
        "Unknown",
        "Common",
        "CommonMut",
        "PayloadBody",
    ] {
        builder.reserve(name);
    }
    // Unique root names first, so nested types never take them.
    let mut names: Vec<String> = Vec::new();
    for g in &groups {
        let mut name = type_name_for(&g.payload_type);
        // A bare domain (`loginwindow`) may meet `com.apple.loginwindow`: suffix the later one.
        while names.contains(&name) || name == "Payload" || name == "Profile" {
            name.push_str("Domain");
        }
        builder.reserve(&name);
        names.push(name);
    }
    let mut modules: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut infos = Vec::new();
    for (g, type_name) in groups.iter().zip(&names) {
        let mut module = module_for(&g.payload_type);
        while modules.contains(&module) {
            module.push_str("_domain");
        }
        modules.push(module.clone());
        let paths: Vec<String> = g.files.iter().map(|f| f.path.clone()).collect();
        let links: Vec<String> = paths.iter().map(|p| schema_link(schema, p)).collect();
        let link = links.join(", ");
        let mut keys: Vec<Key> = common.clone();
        for f in &g.files {
            for k in &f.payload_keys {
                if k.name != "PayloadType" && !keys.iter().any(|e| e.name == k.name) {
                    keys.push(k.clone());
                }
            }
        }
        let start = builder.items.len();
        builder.begin_file();
        let ctx = Context {
            prefix: type_name,
            all_optional: false,
            schema_link: &link,
            role: "payload",
        };
        let os = &g
            .files
            .first()
            .map(|f| f.payload.supported_os.clone())
            .unwrap_or_default();
        let avail = availability_phrase(os);
        builder.root_struct(
            &ctx,
            type_name,
            vec![
                format!(
                    "The `{}` payload: its keys besides `PayloadType`, common keys first.",
                    g.payload_type
                ),
                String::new(),
                format!(
                    "Put it in a profile as [`crate::Payload::{type_name}`]. Available on {}.",
                    if avail.is_empty() {
                        "no platform"
                    } else {
                        &avail
                    }
                ),
            ],
            &keys,
        );
        let end = builder.items.len();
        let mut text = header(schema, &paths.join(", "));
        let _ = writeln!(
            text,
            "\n//! The `{}` payload, generated from {link}.\n",
            g.payload_type
        );
        text.push_str(&builder.render_range(start, end));
        let _ = writeln!(
            text,
            "impl crate::PayloadBody for {type_name} {{\n    \
             const PAYLOAD_TYPE: &'static str = {pt:?};\n\n    \
             fn common(&self) -> crate::Common<'_> {{\n        crate::Common {{\n            \
             identifier: self.payload_identifier.as_deref(),\n            \
             uuid: self.payload_uuid.as_deref(),\n            \
             version: self.payload_version,\n            \
             display_name: self.payload_display_name.as_deref(),\n            \
             description: self.payload_description.as_deref(),\n            \
             organization: self.payload_organization.as_deref(),\n        }}\n    }}\n\n    \
             fn common_mut(&mut self) -> crate::CommonMut<'_> {{\n        crate::CommonMut {{\n            \
             identifier: &mut self.payload_identifier,\n            \
             uuid: &mut self.payload_uuid,\n            \
             version: &mut self.payload_version,\n            \
             display_name: &mut self.payload_display_name,\n            \
             description: &mut self.payload_description,\n            \
             organization: &mut self.payload_organization,\n        }}\n    }}\n}}\n",
            pt = g.payload_type
        );
        out.push(OutputFile {
            path: format!("{module}.rs"),
            text: finish(text),
        });
        infos.push(PayloadInfo {
            payload_type: g.payload_type.clone(),
            type_name: type_name.clone(),
            module,
            schema_paths: paths,
        });
    }
    out.push(OutputFile {
        path: "mod.rs".into(),
        text: finish(mod_rs(schema, &infos)),
    });
    out.push(OutputFile {
        path: "spec.rs".into(),
        text: finish(spec_rs(schema, &groups, &infos, &common)),
    });
    (out, infos)
}

fn finish(mut text: String) -> String {
    while text.ends_with("\n\n") {
        text.pop();
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn mod_rs(schema: &Schema, infos: &[PayloadInfo]) -> String {
    let mut t = header(schema, "mdm/profiles/*.yaml");
    t.push_str("\n//! Types generated from Apple's profile payload schema: one module per payload type.\n\n");
    t.push_str("#![allow(clippy::large_enum_variant, clippy::too_many_lines)]\n\n");
    for i in infos {
        let _ = writeln!(t, "mod {};", i.module);
    }
    t.push_str("#[rustfmt::skip]\npub(crate) mod spec;\n\n");
    for i in infos {
        let _ = writeln!(t, "pub use {}::*;", i.module);
    }
    t.push('\n');

    t.push_str("mdm_plist::open_enum! {\n    /// The `PayloadType` of a payload: one variant per payload type in the schema;\n    /// unknown types (custom preference domains, newer payloads) are kept in `Other`.\n    pub enum PayloadType {\n");
    for i in infos {
        let _ = writeln!(
            t,
            "        /// [`{}`].\n        {} = {:?},",
            i.type_name, i.type_name, i.payload_type
        );
    }
    t.push_str("    }\n}\n\n");

    t.push_str("/// One entry of a profile's `PayloadContent`: a typed payload for every payload type the\n/// schema defines, or the dictionary as received.\n#[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]\npub enum Payload {\n");
    for i in infos {
        let _ = writeln!(
            t,
            "    /// `{}`.\n    {}({}),",
            i.payload_type, i.type_name, i.type_name
        );
    }
    t.push_str("    /// A payload type this version does not model, or a known type whose keys did not fit\n    /// its schema (decode records why); kept whole so re-encoding loses nothing.\n    Unknown {\n        /// The `PayloadType` string.\n        payload_type: String,\n        /// Every other key, as received.\n        body: mdm_plist::Dictionary,\n    },\n}\n\n");

    t.push_str("impl Payload {\n");
    t.push_str("    /// The `PayloadType` string.\n    pub fn payload_type(&self) -> &str {\n        match self {\n");
    for i in infos {
        let _ = writeln!(
            t,
            "            Self::{}(_) => {:?},",
            i.type_name, i.payload_type
        );
    }
    t.push_str(
        "            Self::Unknown { payload_type, .. } => payload_type,\n        }\n    }\n\n",
    );

    t.push_str("    /// Decodes the keys of a payload dictionary (without `PayloadType`) as `payload_type`;\n    /// a type the schema does not define becomes [`Payload::Unknown`]. Top-level keys whose\n    /// values do not fit their field are kept in `extra`; their names come back too.\n    ///\n    /// # Errors\n    /// When `payload_type` is known but the keys do not fit its schema even so.\n    pub(crate) fn typed(payload_type: &str, body: &mdm_plist::Dictionary) -> Result<(Self, Vec<String>), crate::Error> {\n        Ok(match payload_type {\n");
    for i in infos {
        let _ = writeln!(
            t,
            "            {:?} => {{ let (mut v, moved) = crate::support::lenient::<{}>(body)?; let names = crate::support::keep_extra(&mut v.extra, moved); (Self::{}(v), names) }}",
            i.payload_type, i.type_name, i.type_name
        );
    }
    t.push_str("            other => (Self::Unknown { payload_type: other.to_owned(), body: body.clone() }, Vec::new()),\n        })\n    }\n\n");

    t.push_str("    /// Decodes a whole payload dictionary straight from `deserializer` as `payload_type`,\n    /// which its `PayloadType` must name (taken out of the value's `extra`); a type the schema\n    /// does not define becomes [`Payload::Unknown`]. No leniency: a key that does not fit\n    /// fails, for [`crate::Decoded::decode`] to take its lenient path.\n    pub(crate) fn typed_direct<'de, D: serde::Deserializer<'de>>(payload_type: &str, deserializer: D) -> Result<Self, D::Error> {\n        Ok(match payload_type {\n");
    for i in infos {
        let _ = writeln!(
            t,
            "            {:?} => {{ let mut v = <{} as serde::Deserialize>::deserialize(deserializer)?; crate::support::take_tag::<D::Error>(&mut v.extra, payload_type)?; Self::{}(v) }}",
            i.payload_type, i.type_name, i.type_name
        );
    }
    t.push_str("            other => crate::support::direct_unknown(other, deserializer)?,\n        })\n    }\n\n");

    t.push_str("    /// The payload's keys without `PayloadType`.\n    ///\n    /// # Errors\n    /// When a value cannot be encoded.\n    pub fn body(&self) -> Result<mdm_plist::Dictionary, crate::Error> {\n        match self {\n");
    for i in infos {
        let _ = writeln!(
            t,
            "            Self::{}(v) => crate::support::typed_to_dictionary(v),",
            i.type_name
        );
    }
    t.push_str("            Self::Unknown { body, .. } => Ok(body.clone()),\n        }\n    }\n\n");

    t.push_str("    /// The common payload keys, read-only (`None` for [`Payload::Unknown`]: read its body).\n    pub(crate) fn typed_common(&self) -> Option<crate::Common<'_>> {\n        match self {\n");
    for i in infos {
        let _ = writeln!(
            t,
            "            Self::{}(v) => Some(crate::PayloadBody::common(v)),",
            i.type_name
        );
    }
    t.push_str("            Self::Unknown { .. } => None,\n        }\n    }\n\n");
    t.push_str("    /// The common payload keys, writable (`None` for [`Payload::Unknown`]).\n    pub(crate) fn typed_common_mut(&mut self) -> Option<crate::CommonMut<'_>> {\n        match self {\n");
    for i in infos {
        let _ = writeln!(
            t,
            "            Self::{}(v) => Some(crate::PayloadBody::common_mut(v)),",
            i.type_name
        );
    }
    t.push_str("            Self::Unknown { .. } => None,\n        }\n    }\n}\n\n");

    for i in infos {
        let _ = writeln!(
            t,
            "impl From<{0}> for Payload {{\n    fn from(v: {0}) -> Self {{\n        Self::{0}(v)\n    }}\n}}\n",
            i.type_name
        );
    }
    t
}

fn kind(v: ValueType) -> &'static str {
    match v {
        ValueType::String => "String",
        ValueType::Integer => "Integer",
        ValueType::Real => "Real",
        ValueType::Boolean => "Boolean",
        ValueType::Date => "Date",
        ValueType::Data => "Data",
        ValueType::Array => "Array",
        ValueType::Dictionary => "Dictionary",
        ValueType::Any => "Any",
    }
}

fn lit(l: &Literal) -> String {
    match l {
        Literal::String(s) => format!("Lit::Str({s:?})"),
        Literal::Integer(i) => format!("Lit::Int({i})"),
        Literal::Real(r) => {
            if r.is_finite() {
                format!("Lit::Real({r:?})")
            } else {
                "Lit::Real(0.0)".into()
            }
        }
        Literal::Boolean(b) => format!("Lit::Bool({b})"),
    }
}

fn num(l: Option<&Literal>) -> String {
    match l {
        Some(Literal::Integer(i)) => format!("Some({i}.0)"),
        Some(Literal::Real(r)) if r.is_finite() => format!("Some({r:?})"),
        _ => "None".into(),
    }
}

fn platform_ident(p: Platform) -> &'static str {
    match p {
        Platform::IOS => "IOS",
        Platform::MacOS => "MacOS",
        Platform::TvOS => "TvOS",
        Platform::VisionOS => "VisionOS",
        Platform::WatchOS => "WatchOS",
    }
}

fn os_spec(os: &crate::ir::SupportedOs) -> String {
    let mut parts = Vec::new();
    for (p, s) in &os.platforms {
        parts.push(format!(
            "OsSpec {{ platform: Platform::{}, available: {}, introduced: {}, removed: {} }}",
            platform_ident(*p),
            s.is_available(),
            version_literal(s.introduced.as_deref()),
            version_literal(s.removed.as_deref())
        ));
    }
    format!("&[{}]", parts.join(", "))
}

/// Writes key lists as named statics, one key per line (`rustfmt` skips this file: see
/// `mod.rs`), with each distinct availability list written once.
struct SpecWriter {
    statics: String,
    counter: usize,
    os_lists: Vec<String>,
}

impl SpecWriter {
    fn os(&mut self, os: &crate::ir::SupportedOs) -> String {
        let list = os_spec(os);
        let index = match self.os_lists.iter().position(|l| *l == list) {
            Some(i) => i,
            None => {
                self.os_lists.push(list);
                self.os_lists.len() - 1
            }
        };
        format!("O{index}")
    }

    fn keys(&mut self, keys: &[Key], depth: usize) -> String {
        if keys.is_empty() {
            return "&[]".into();
        }
        let mut items = Vec::new();
        for k in keys {
            let children = match &k.subkeys {
                Subkeys::Keys(c) if depth < 16 => self.keys(c, depth + 1),
                _ => "&[]".into(),
            };
            let (min, max) = match &k.range {
                Some(r) => (num(r.min.as_ref()), num(r.max.as_ref())),
                None => ("None".into(), "None".into()),
            };
            let range_list: Vec<String> = k.range_list.iter().map(lit).collect();
            let mut flags = Vec::new();
            if k.presence == Presence::Required {
                flags.push("REQUIRED");
            }
            if k.is_any_placeholder() {
                flags.push("ANY_NAME");
            }
            if matches!(k.subkeys, Subkeys::Recursive) {
                flags.push("RECURSIVE");
            }
            let flags = if flags.is_empty() {
                "0".to_owned()
            } else {
                flags.join(" | ")
            };
            let os = self.os(&k.supported_os);
            items.push(format!(
                "KeySpec::new({:?}, Kind::{}, {flags}, &[{}], {min}, {max}, {os}, {children})",
                k.name,
                kind(k.value_type),
                range_list.join(", "),
            ));
        }
        self.counter += 1;
        let name = format!("K{}", self.counter);
        let _ = writeln!(
            self.statics,
            "static {name}: &[KeySpec] = &[\n    {},\n];",
            items.join(",\n    ")
        );
        name
    }

    fn os_statics(&self) -> String {
        let mut t = String::new();
        for (i, l) in self.os_lists.iter().enumerate() {
            let _ = writeln!(t, "static O{i}: &[OsSpec] = {l};");
        }
        t
    }
}

fn spec_rs(schema: &Schema, groups: &[Group<'_>], infos: &[PayloadInfo], common: &[Key]) -> String {
    let mut t = header(schema, "mdm/profiles/*.yaml");
    t.push_str(
        "\n//! Schema facts for validation: every payload type's keys, and the top level.\n\n",
    );
    t.push_str("#![allow(unused_imports, clippy::too_many_lines, clippy::unreadable_literal)]\n\n");
    t.push_str("use crate::spec::{ANY_NAME, KeySpec, Kind, Lit, OsSpec, PayloadSpec, Platform, RECURSIVE, REQUIRED, Version};\n\n");
    let mut w = SpecWriter {
        statics: String::new(),
        counter: 0,
        os_lists: Vec::new(),
    };
    let top = schema
        .files
        .iter()
        .find(|f| f.path == TOP_LEVEL_FILE)
        .map(|f| f.payload_keys.clone())
        .unwrap_or_default();
    let top_name = w.keys(&top, 0);
    // Common keys with their real presence, for payloads.
    let common_required: Vec<Key> = schema
        .files
        .iter()
        .find(|f| f.path == COMMON_KEYS_FILE)
        .map(|f| f.payload_keys.clone())
        .unwrap_or_else(|| common.to_vec());
    let mut rows = Vec::new();
    for (g, info) in groups.iter().zip(infos) {
        let mut keys: Vec<Key> = common_required.clone();
        for f in &g.files {
            for k in &f.payload_keys {
                if !keys.iter().any(|e| e.name == k.name) {
                    keys.push(k.clone());
                }
            }
        }
        let name = w.keys(&keys, 0);
        let os = match g.files.first() {
            Some(f) => w.os(&f.payload.supported_os),
            None => "&[]".into(),
        };
        rows.push(format!(
            "    PayloadSpec {{ payload_type: {:?}, type_name: {:?}, schema: {:?}, os: {os}, keys: {name} }},",
            g.payload_type,
            info.type_name,
            info.schema_paths.join(", ")
        ));
    }
    t.push_str(&w.os_statics());
    t.push('\n');
    t.push_str(&w.statics);
    let _ = writeln!(
        t,
        "/// The keys of the profile's top level (`{TOP_LEVEL_FILE}`).\npub(crate) static TOP_LEVEL: &[KeySpec] = {top_name};\n"
    );
    let _ = writeln!(
        t,
        "/// Every payload type, sorted by `PayloadType`.\npub(crate) static PAYLOADS: &[PayloadSpec] = &[\n{}\n];",
        rows.join("\n")
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_names() {
        assert_eq!(type_name_for("com.apple.wifi.managed"), "Wifi");
        assert_eq!(
            type_name_for("com.apple.mobiledevice.passwordpolicy"),
            "Passcode"
        );
        assert_eq!(
            type_name_for("com.apple.vpn.managed.applayer"),
            "VpnManagedAppLayer"
        );
        assert_eq!(type_name_for(".GlobalPreferences"), "GlobalPreferences");
        assert_eq!(module_for("com.apple.wifi.managed"), "wifi_managed");
        assert_eq!(module_for(".GlobalPreferences"), "globalpreferences");
    }

    #[test]
    fn shared_payload_types_merge_and_keys_keep_common_ones_first() {
        let yaml = |t: &str, k: &str| {
            format!(
                "title: T\npayload:\n  payloadtype: {t}\npayloadkeys:\n- key: {k}\n  type: <string>\n"
            )
        };
        let common = "title: C\npayload:\n  payloadtype: CommonPayloadKeys\npayloadkeys:\n- key: PayloadType\n  type: <string>\n  presence: required\n- key: PayloadIdentifier\n  type: <string>\n  presence: required\n- key: PayloadUUID\n  type: <string>\n- key: PayloadVersion\n  type: <integer>\n- key: PayloadDescription\n  type: <string>\n- key: PayloadDisplayName\n  type: <string>\n- key: PayloadOrganization\n  type: <string>\n";
        let files = vec![
            crate::load::parse_file(COMMON_KEYS_FILE, common)
                .unwrap()
                .unwrap(),
            crate::load::parse_file("mdm/profiles/a(1).yaml", &yaml("com.apple.MCX", "A"))
                .unwrap()
                .unwrap(),
            crate::load::parse_file("mdm/profiles/a(2).yaml", &yaml("com.apple.MCX", "B"))
                .unwrap()
                .unwrap(),
        ];
        let schema = Schema {
            commit: None,
            files,
        };
        let (out, infos) = emit(&schema);
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].schema_paths.len(), 2);
        let module = out.iter().find(|f| f.path == "mcx.rs").unwrap();
        let ident = module.text.find("\"PayloadIdentifier\" =>").unwrap();
        let a = module.text.find("\"A\" =>").unwrap();
        let b = module.text.find("\"B\" =>").unwrap();
        assert!(ident < a && a < b);
        assert!(!module.text.contains("\"PayloadType\" =>"));
        let spec = out.iter().find(|f| f.path == "spec.rs").unwrap();
        assert!(spec.text.contains("payload_type: \"com.apple.MCX\""));
    }
}
