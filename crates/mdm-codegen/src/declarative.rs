//! The family emitter for declarative device management (`declarative/declarations/**` and
//! `declarative/status/*.yaml` -> `mdm-declarative`).
//!
//! Output, all under the target crate's `src/generated/`:
//!
//! - `activations.rs`, `assets.rs`, `configurations.rs`, `management.rs`: one
//!   `crate::json_dict!` struct per declaration type (its `Payload` keys) and every nested
//!   type; `credentials.rs` the credential formats that assets carry (`credentialtype`);
//! - `status.rs`: the value type of every status item that is not a plain scalar;
//! - `mod.rs`: the `DeclarationType` and `StatusItemName` open enums, the `Payload` enum (a
//!   typed variant per declaration type plus `Unknown`), the `StatusItem` enum (a typed
//!   variant per status item plus `Unknown`), their dispatch, and the availability tables
//!   (per type, and per top-level key where the key's `supportedOS` differs from its type's).
//!
//! The declarations are read from an overlay schema when one is given (a newer, partial
//! checkout of apple/device-management that holds only `declarative/declarations/`), status
//! items from the main schema.
//!
//! The target crate provides (hand-written): `crate::{json_dict, JsonObject, Class}` and
//! `crate::availability::{Availability, Platform, Version}`.

use std::fmt::Write as _;

use crate::commands::{OutputFile, header};
use crate::ir::{Family, Key, OsSupport, Platform, Schema, SchemaFile, version_literal};
use crate::names::upper_camel;
use crate::rust::{Context, TypeBuilder, availability_phrase};

/// The class of a declaration, from its type's second component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// `com.apple.activation.*`
    Activation,
    /// `com.apple.asset.*`
    Asset,
    /// `com.apple.configuration.*`
    Configuration,
    /// `com.apple.management.*`
    Management,
    /// `com.apple.credential.*` (not a declaration: the data an asset points at).
    Credential,
}

impl Class {
    fn of(declaration_type: &str) -> Option<(Self, &str)> {
        let rest = declaration_type.strip_prefix("com.apple.")?;
        let (class, short) = rest.split_once('.')?;
        let class = match class {
            "activation" => Self::Activation,
            "asset" => Self::Asset,
            "configuration" => Self::Configuration,
            "management" => Self::Management,
            "credential" => Self::Credential,
            _ => return None,
        };
        Some((class, short))
    }

    fn module(self) -> &'static str {
        match self {
            Self::Activation => "activations",
            Self::Asset => "assets",
            Self::Configuration => "configurations",
            Self::Management => "management",
            Self::Credential => "credentials",
        }
    }

    fn variant(self) -> &'static str {
        match self {
            Self::Activation => "Activation",
            Self::Asset => "Asset",
            Self::Configuration => "Configuration",
            Self::Management => "Management",
            Self::Credential => "Credential",
        }
    }

    /// The suffix a type name of this class takes (configurations and management
    /// declarations, the common case, take none).
    fn suffix(self) -> &'static str {
        match self {
            Self::Activation => "Activation",
            Self::Asset => "Asset",
            Self::Credential => "Credential",
            Self::Configuration | Self::Management => "",
        }
    }
}

/// What the emitter learned about one declaration type.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclarationInfo {
    /// The `Type` string (`com.apple.configuration.passcode.settings`).
    pub declaration_type: String,
    /// Rust struct name (also the `Payload` and `DeclarationType` variant).
    pub type_name: String,
    /// Its class.
    pub class: Class,
    /// Schema path.
    pub schema_path: String,
}

/// What the emitter learned about one status item.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusInfo {
    /// The status item name (`passcode.is-compliant`).
    pub name: String,
    /// The `StatusItem` variant.
    pub variant: String,
    /// The Rust type of its value.
    pub value_type: String,
    /// Schema path.
    pub schema_path: String,
}

fn schema_link(schema: &Schema, path: &str) -> String {
    let commit = schema.commit.as_deref().unwrap_or("release");
    format!("[`{path}`](https://github.com/apple/device-management/blob/{commit}/{path})")
}

fn declaration_files<'a>(
    schema: &'a Schema,
    overlay: Option<&'a Schema>,
) -> Vec<(&'a Schema, &'a SchemaFile)> {
    let source = overlay
        .filter(|o| o.family(Family::Declaration).next().is_some())
        .unwrap_or(schema);
    source
        .family(Family::Declaration)
        .filter(|f| !f.path.ends_with("declarationbase.yaml"))
        .map(|f| (source, f))
        .collect()
}

fn file_type(f: &SchemaFile) -> Option<String> {
    f.payload
        .declaration_type
        .clone()
        .or_else(|| f.payload.credential_type.clone())
}

/// Emits the whole `src/generated/` tree of `mdm-declarative`.
pub fn emit(
    schema: &Schema,
    overlay: Option<&Schema>,
) -> (Vec<OutputFile>, Vec<DeclarationInfo>, Vec<StatusInfo>) {
    let files = declaration_files(schema, overlay);
    let mut builder = TypeBuilder::default();
    builder.json = true;
    for name in [
        "Payload",
        "DeclarationType",
        "Declaration",
        "StatusItem",
        "StatusItemName",
        "StatusReport",
        "Class",
        "Availability",
    ] {
        builder.reserve(name);
    }
    // Root names first, so nested types never take them.
    let mut roots: Vec<(Class, String, String, &Schema, &SchemaFile)> = Vec::new();
    for (src, f) in &files {
        let Some(ty) = file_type(f) else { continue };
        let Some((class, short)) = Class::of(&ty) else {
            continue;
        };
        let mut name = format!("{}{}", upper_camel(short), class.suffix());
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert(0, 'D');
        }
        while roots.iter().any(|r| r.1 == name) {
            name.push_str(class.variant());
        }
        builder.reserve(&name);
        roots.push((class, name, ty, src, f));
    }
    roots.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
    let mut infos = Vec::new();
    let mut out = Vec::new();
    let mut samples: Vec<(String, String)> = Vec::new();
    for class in [
        Class::Activation,
        Class::Asset,
        Class::Configuration,
        Class::Management,
        Class::Credential,
    ] {
        let mut text = String::new();
        let mut paths = Vec::new();
        for (_, name, ty, src, f) in roots.iter().filter(|r| r.0 == class) {
            let link = schema_link(src, &f.path);
            paths.push(f.path.clone());
            let start = builder.items.len();
            builder.begin_file();
            let ctx = Context {
                prefix: name,
                all_optional: false,
                schema_link: &link,
                role: "declaration",
            };
            let avail = availability_phrase(&f.payload.supported_os);
            builder.root_struct(
                &ctx,
                name,
                vec![
                    format!("The `Payload` of a `{ty}` declaration."),
                    String::new(),
                    format!(
                        "Available on {}.",
                        if avail.is_empty() {
                            "no platform"
                        } else {
                            &avail
                        }
                    ),
                ],
                &f.payload_keys,
            );
            let end = builder.items.len();
            text.push_str(&builder.render_range(start, end));
            if class != Class::Credential {
                let _ = writeln!(
                    text,
                    "impl crate::DeclarationPayload for {name} {{\n    const TYPE: &'static str = {ty:?};\n    const CLASS: crate::Class = crate::Class::{};\n}}\n",
                    class.variant()
                );
            }
            if class != Class::Credential {
                samples.push((ty.clone(), sample_object(&f.payload_keys, 0)));
            }
            infos.push(DeclarationInfo {
                declaration_type: ty.clone(),
                type_name: name.clone(),
                class,
                schema_path: f.path.clone(),
            });
        }
        let source = match overlay.and_then(|o| o.commit.as_deref()) {
            Some(c) => format!(
                "declarative/declarations/{} (declarations from the newer commit {c})",
                class.module()
            ),
            None => format!("declarative/declarations/{}", class.module()),
        };
        let mut file = header(schema, &source);
        let _ = writeln!(
            file,
            "\n//! {} types, generated from the schema's `declarative/declarations/` folder.\n",
            class.variant()
        );
        file.push_str(&text);
        out.push(OutputFile {
            path: format!("{}.rs", class.module()),
            text: finish(file),
        });
    }

    // Status items.
    let mut status_text = String::new();
    let mut statuses = Vec::new();
    let mut status_samples: Vec<(String, String)> = Vec::new();
    for f in schema.family(Family::Status) {
        let Some(item) = f.payload.status_item_type.clone() else {
            continue;
        };
        let Some(key) = f
            .payload_keys
            .iter()
            .find(|k| k.name == item)
            .or(f.payload_keys.first())
        else {
            continue;
        };
        let link = schema_link(schema, &f.path);
        let prefix = upper_camel(&item);
        builder.begin_file();
        let start = builder.items.len();
        let ctx = Context {
            prefix: &prefix,
            all_optional: false,
            schema_link: &link,
            role: "status item",
        };
        let mut key: Key = key.clone();
        key.subkey_type = None;
        key.name = format!("{prefix}Status");
        let ty = builder.key_type(&ctx, &key);
        let end = builder.items.len();
        status_text.push_str(&builder.render_range(start, end));
        status_samples.push((item.clone(), sample_value(&key, 0)));
        statuses.push(StatusInfo {
            name: item.clone(),
            variant: upper_camel(&item),
            value_type: ty.render_for(true),
            schema_path: f.path.clone(),
        });
    }
    let mut file = header(schema, "declarative/status/*.yaml");
    file.push_str("\n//! Status item value types, generated from the schema's `declarative/status/` folder.\n\n");
    file.push_str(&status_text);
    out.push(OutputFile {
        path: "status.rs".into(),
        text: finish(file),
    });
    out.push(OutputFile {
        path: "samples.rs".into(),
        text: finish(samples_rs(schema, &samples, &status_samples)),
    });
    out.push(OutputFile {
        path: "mod.rs".into(),
        text: finish(mod_rs(
            schema,
            overlay,
            &infos,
            &statuses,
            &roots_os(&roots),
        )),
    });
    (out, infos, statuses)
}

struct RootOs {
    type_name: String,
    os: Vec<(Platform, OsSupport)>,
    keys: Vec<(String, Vec<(Platform, OsSupport)>)>,
}

fn roots_os(roots: &[(Class, String, String, &Schema, &SchemaFile)]) -> Vec<RootOs> {
    roots
        .iter()
        .filter(|r| r.0 != Class::Credential)
        .map(|(_, name, _, _, f)| {
            let os: Vec<(Platform, OsSupport)> = f
                .payload
                .supported_os
                .platforms
                .iter()
                .map(|(p, s)| (*p, s.clone()))
                .collect();
            let keys = f
                .payload_keys
                .iter()
                .filter(|k| k.supported_os != f.payload.supported_os)
                .map(|k| {
                    (
                        k.name.clone(),
                        k.supported_os
                            .platforms
                            .iter()
                            .map(|(p, s)| (*p, s.clone()))
                            .collect(),
                    )
                })
                .collect();
            RootOs {
                type_name: name.clone(),
                os,
                keys,
            }
        })
        .collect()
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

fn platform_path(p: Platform) -> &'static str {
    match p {
        Platform::IOS => "Platform::IOS",
        Platform::MacOS => "Platform::MacOS",
        Platform::TvOS => "Platform::TvOS",
        Platform::VisionOS => "Platform::VisionOS",
        Platform::WatchOS => "Platform::WatchOS",
    }
}

fn str_slice(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("&[{}]", parts.join(", "))
}

fn availability_literal(os: &OsSupport) -> String {
    let introduced = os.introduced.as_deref().filter(|v| *v != "n/a");
    format!(
        "Availability {{ available: {}, introduced: {}, deprecated: {}, removed: {}, allowed_enrollments: {}, allowed_scopes: {}, beta: {} }}",
        os.is_available(),
        version_literal(introduced),
        version_literal(os.deprecated.as_deref()),
        version_literal(os.removed.as_deref()),
        str_slice(&os.allowed_enrollments),
        str_slice(&os.allowed_scopes),
        os.beta.unwrap_or(false),
    )
}

fn mod_rs(
    schema: &Schema,
    overlay: Option<&Schema>,
    infos: &[DeclarationInfo],
    statuses: &[StatusInfo],
    roots: &[RootOs],
) -> String {
    let mut t = header(schema, "declarative/status/*.yaml");
    if let Some(o) = overlay {
        let _ = writeln!(
            t,
            "// Declarations: apple/device-management at commit {}, declarative/declarations/.",
            o.commit.as_deref().unwrap_or("unknown")
        );
    }
    t.push_str("\n//! Types generated from Apple's declarative-management schema.\n\n");
    t.push_str("#![allow(clippy::large_enum_variant, clippy::too_many_lines)]\n\n");
    t.push_str("use crate::availability::{Availability, Platform, Version};\n\n");
    for m in [
        "activations",
        "assets",
        "configurations",
        "management",
        "credentials",
        "status",
    ] {
        let _ = writeln!(t, "mod {m};");
    }
    t.push_str("#[doc(hidden)]\n#[rustfmt::skip]\npub mod samples;\n");
    t.push('\n');
    for m in [
        "activations",
        "assets",
        "configurations",
        "management",
        "credentials",
        "status",
    ] {
        let _ = writeln!(t, "pub use {m}::*;");
    }
    t.push('\n');
    let decls: Vec<&DeclarationInfo> = infos
        .iter()
        .filter(|i| i.class != Class::Credential)
        .collect();

    // DeclarationType
    t.push_str("mdm_plist::open_enum! {\n    /// The `Type` of a declaration: one variant per declaration type in the schema;\n    /// unknown types are kept in `Other`.\n    pub enum DeclarationType {\n");
    for i in &decls {
        let _ = writeln!(
            t,
            "        /// [`{}`].\n        {} = {:?},",
            i.type_name, i.type_name, i.declaration_type
        );
    }
    t.push_str("    }\n}\n\n");

    // Payload
    t.push_str("/// The `Payload` of a declaration: typed for every declaration type the schema defines,\n/// or kept whole with its type.\n#[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]\npub enum Payload {\n");
    for i in &decls {
        let _ = writeln!(
            t,
            "    /// `{}`.\n    {}({}),",
            i.declaration_type, i.type_name, i.type_name
        );
    }
    t.push_str("    /// A declaration type this version does not know, kept whole.\n    Unknown {\n        /// The `Type` as received.\n        declaration_type: String,\n        /// The `Payload` as received.\n        payload: crate::JsonObject,\n    },\n}\n\n");
    t.push_str("impl Payload {\n    /// The declaration type of this payload.\n    pub fn declaration_type(&self) -> DeclarationType {\n        match self {\n");
    for i in &decls {
        let _ = writeln!(
            t,
            "            Self::{0}(_) => DeclarationType::{0},",
            i.type_name
        );
    }
    t.push_str("            Self::Unknown { declaration_type, .. } => DeclarationType::from(declaration_type.as_str()),\n        }\n    }\n\n");
    t.push_str("    /// Decodes `payload` as the type named `declaration_type`; an unknown type is kept as\n    /// [`Payload::Unknown`].\n    pub(crate) fn from_object(\n        declaration_type: &str,\n        payload: crate::JsonObject,\n    ) -> Result<Self, serde_path_to_error::Error<serde_json::Error>> {\n        let value = serde_json::Value::Object(payload);\n        match declaration_type {\n");
    for i in &decls {
        let _ = writeln!(
            t,
            "            {:?} => serde_path_to_error::deserialize(value).map(Self::{}),",
            i.declaration_type, i.type_name
        );
    }
    t.push_str("            _ => match value {\n                serde_json::Value::Object(payload) => Ok(Self::Unknown {\n                    declaration_type: declaration_type.to_owned(),\n                    payload,\n                }),\n                _ => Ok(Self::Unknown {\n                    declaration_type: declaration_type.to_owned(),\n                    payload: crate::JsonObject::new(),\n                }),\n            },\n        }\n    }\n\n");
    t.push_str("    /// The payload as a JSON value.\n    pub(crate) fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {\n        match self {\n");
    for i in &decls {
        let _ = writeln!(
            t,
            "            Self::{}(p) => serde_json::to_value(p),",
            i.type_name
        );
    }
    t.push_str("            Self::Unknown { payload, .. } => Ok(serde_json::Value::Object(payload.clone())),\n        }\n    }\n}\n\n");
    for i in &decls {
        let _ = writeln!(
            t,
            "impl From<{0}> for Payload {{\n    fn from(p: {0}) -> Self {{\n        Self::{0}(p)\n    }}\n}}\n",
            i.type_name
        );
    }

    // DeclarationType facts
    t.push_str("impl DeclarationType {\n    /// The class of this declaration type (from the second part of its name, so it is\n    /// known for unknown `com.apple.*` types too); `None` for a type outside them.\n    pub fn class(&self) -> Option<crate::Class> {\n        crate::Class::of_type(self.as_str())\n    }\n\n");
    t.push_str("    /// The top-level `Payload` keys the schema lists for this type (empty when unknown).\n    pub fn keys(&self) -> &'static [&'static str] {\n        match self {\n");
    for r in roots {
        let _ = writeln!(t, "            Self::{0} => {0}::KEYS,", r.type_name);
    }
    t.push_str("            Self::Other(_) => &[],\n        }\n    }\n\n");
    t.push_str("    /// Where the declaration type is available on `platform`, from the schema's\n    /// `supportedOS`; `None` when the schema does not describe that platform or the type is\n    /// unknown.\n    pub fn availability(&self, platform: Platform) -> Option<Availability> {\n        match (self, platform) {\n");
    for r in roots {
        for (p, os) in &r.os {
            let _ = writeln!(
                t,
                "            (Self::{}, {}) => Some({}),",
                r.type_name,
                platform_path(*p),
                availability_literal(os)
            );
        }
    }
    t.push_str("            _ => None,\n        }\n    }\n\n");
    t.push_str("    /// Where the top-level key `key` of this type is available on `platform`: the key's\n    /// own `supportedOS` merged over the type's, or the type's when the key states none.\n    pub fn key_availability(&self, key: &str, platform: Platform) -> Option<Availability> {\n        let own = match (self, key, platform) {\n");
    for r in roots {
        for (k, os) in &r.keys {
            for (p, s) in os {
                let _ = writeln!(
                    t,
                    "            (Self::{}, {k:?}, {}) => Some({}),",
                    r.type_name,
                    platform_path(*p),
                    availability_literal(s)
                );
            }
        }
    }
    t.push_str("            _ => None,\n        };\n        own.or_else(|| {\n            if self.keys().contains(&key) {\n                self.availability(platform)\n            } else {\n                None\n            }\n        })\n    }\n}\n\n");

    // StatusItemName
    t.push_str("mdm_plist::open_enum! {\n    /// The name of a status item (`passcode.is-compliant`): one variant per status item in\n    /// the schema; unknown names are kept in `Other`.\n    pub enum StatusItemName {\n");
    for s in statuses {
        let _ = writeln!(
            t,
            "        /// [`StatusItem::{}`].\n        {} = {:?},",
            s.variant, s.variant, s.name
        );
    }
    t.push_str("    }\n}\n\n");

    // StatusItem
    t.push_str("/// One status item of a status report: typed for every status item the schema defines,\n/// or kept whole with its name (also when a known item's value does not have the schema's\n/// shape).\n#[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]\npub enum StatusItem {\n");
    for s in statuses {
        let _ = writeln!(
            t,
            "    /// `{}` ([schema]({})).\n    {}({}),",
            s.name,
            schema_url(schema, &s.schema_path),
            s.variant,
            s.value_type
        );
    }
    t.push_str("    /// A status item this version does not know, or whose value does not match the\n    /// schema, kept whole.\n    Unknown {\n        /// The dotted name (`device.operating-system.version`).\n        name: String,\n        /// The value as received.\n        value: serde_json::Value,\n    },\n}\n\n");
    t.push_str("impl StatusItem {\n    /// The dotted name of this item.\n    pub fn name(&self) -> &str {\n        match self {\n");
    for s in statuses {
        let _ = writeln!(t, "            Self::{}(_) => {:?},", s.variant, s.name);
    }
    t.push_str("            Self::Unknown { name, .. } => name,\n        }\n    }\n\n");
    t.push_str("    /// Types `value` as the status item `name`; an unknown name, or a value that does not\n    /// decode as the schema's type, gives [`StatusItem::Unknown`] holding it whole.\n    pub fn from_value(name: &str, value: serde_json::Value) -> Self {\n        match name {\n");
    for s in statuses {
        let _ = writeln!(
            t,
            "            {:?} => match serde_json::from_value(value.clone()) {{\n                Ok(v) => Self::{}(v),\n                Err(_) => Self::Unknown {{ name: name.to_owned(), value }},\n            }},",
            s.name, s.variant
        );
    }
    t.push_str(
        "            _ => Self::Unknown { name: name.to_owned(), value },\n        }\n    }\n\n",
    );
    t.push_str("    /// The value as JSON.\n    ///\n    /// # Errors\n    /// When a value cannot be written as JSON (a non-finite number).\n    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {\n        match self {\n");
    for s in statuses {
        let _ = writeln!(
            t,
            "            Self::{}(v) => serde_json::to_value(v),",
            s.variant
        );
    }
    t.push_str(
        "            Self::Unknown { value, .. } => Ok(value.clone()),\n        }\n    }\n\n",
    );
    t.push_str("    /// Whether `name` is a status item the schema defines.\n    pub fn is_known_name(name: &str) -> bool {\n        StatusItemName::from(name).is_known()\n    }\n}\n\n");
    t
}

fn schema_url(schema: &Schema, path: &str) -> String {
    let commit = schema.commit.as_deref().unwrap_or("release");
    format!("https://github.com/apple/device-management/blob/{commit}/{path}")
}

/// JSON text of a string.
fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON object holding the required keys of `keys` with placeholder values.
fn sample_object(keys: &[Key], depth: usize) -> String {
    let parts: Vec<String> = keys
        .iter()
        .filter(|k| k.presence == crate::ir::Presence::Required && !k.is_any_placeholder())
        .map(|k| format!("{}:{}", json_str(&k.name), sample_value(k, depth + 1)))
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// A placeholder JSON value of the key's type: the first allowed value, the range's
/// minimum, one item for an array.
fn sample_value(key: &Key, depth: usize) -> String {
    use crate::ir::{Literal, Subkeys, ValueType};
    if depth > 20 {
        return "null".into();
    }
    let first = key.range_list.first();
    match key.value_type {
        ValueType::String => match (first, key.children().first()) {
            (Some(Literal::String(s)), _) => json_str(s),
            (_, Some(k)) if !k.is_any_placeholder() => json_str(&k.name),
            _ => json_str("x"),
        },
        ValueType::Integer => match (first, key.range.as_ref().and_then(|r| r.min.as_ref())) {
            (Some(Literal::Integer(i)), _) | (None, Some(Literal::Integer(i))) => i.to_string(),
            _ => "1".into(),
        },
        ValueType::Real => match first {
            Some(Literal::Real(r)) => format!("{r:?}"),
            Some(Literal::Integer(i)) => format!("{i}.0"),
            _ => "1.5".into(),
        },
        ValueType::Boolean => "true".into(),
        ValueType::Date => json_str("2024-01-01T00:00:00Z"),
        ValueType::Data => json_str("AA=="),
        ValueType::Any => json_str("x"),
        ValueType::Dictionary => match &key.subkeys {
            Subkeys::Keys(children) => sample_object(children, depth),
            _ => "{}".into(),
        },
        ValueType::Array => match &key.subkeys {
            Subkeys::Keys(children) if children.len() == 1 => match children.first() {
                Some(item) => format!("[{}]", sample_value(item, depth + 1)),
                None => "[]".into(),
            },
            _ => "[]".into(),
        },
    }
}

fn samples_rs(
    schema: &Schema,
    samples: &[(String, String)],
    status: &[(String, String)],
) -> String {
    let mut t = header(schema, "declarative/**");
    t.push_str("\n//! Minimal values built from the schema (required keys only, placeholder values), one\n//! per declaration type and status item: what the round-trip tests start from.\n\n");
    t.push_str(
        "/// `(declaration type, payload JSON)`.\npub const PAYLOADS: &[(&str, &str)] = &[\n",
    );
    for (ty, json) in samples {
        let _ = writeln!(t, "    ({ty:?}, {json:?}),");
    }
    t.push_str("];\n\n/// `(status item name, value JSON)`.\npub const STATUS_ITEMS: &[(&str, &str)] = &[\n");
    for (name, json) in status {
        let _ = writeln!(t, "    ({name:?}, {json:?}),");
    }
    t.push_str("];\n");
    t
}
