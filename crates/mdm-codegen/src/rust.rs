//! The Rust side: a small model of the items we emit, the mapping from schema keys to it
//! ([`TypeBuilder`]), and the renderer that prints it as `mdm_plist` macro calls.
//!
//! This layer is family-agnostic: it turns a list of [`Key`]s into structs, open enums and
//! tagged unions, whatever the keys describe (a command, a profile payload, a declaration).
//! The family emitters ([`crate::commands`], later profiles and declarations) decide the root
//! names and what surrounds the types (traits, tables, docs).
//!
//! # Contract with the crate that includes the output
//! Generated code refers to `mdm_plist::{plist_dict, open_enum, Dictionary, Value, Data, Date}`
//! and, for tagged unions only, to `crate::support::{encode_tagged, decode_tagged}` (see the
//! `mdm-commands` crate for their signatures).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::ir::{Key, Literal, Platform, Presence, Subkeys, SupportedOs, ValueType};
pub use crate::names::snake;
use crate::names::upper_camel;

/// A Rust type as emitted.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `String`
    String,
    /// `bool`
    Bool,
    /// `i64`
    Integer,
    /// `f64`
    Real,
    /// `mdm_plist::Date`
    Date,
    /// `mdm_plist::Data`
    Data,
    /// `mdm_plist::Dictionary` (free-form or recursive dictionary)
    Dictionary,
    /// `mdm_plist::Value` (`<any>`)
    Value,
    /// `Vec<T>`
    Vec(Box<Ty>),
    /// A generated item by name.
    Named(String),
}

impl Ty {
    /// The Rust spelling (plist flavour).
    pub fn render(&self) -> String {
        self.render_for(false)
    }

    /// The Rust spelling; `json` picks the JSON flavour (`crate::JsonObject`,
    /// `serde_json::Value`, and strings for `<date>` and `<data>`, which JSON has not).
    pub fn render_for(&self, json: bool) -> String {
        if json {
            match self {
                Self::Date | Self::Data => return "String".into(),
                Self::Dictionary => return "crate::JsonObject".into(),
                Self::Value => return "serde_json::Value".into(),
                Self::Vec(t) => return format!("Vec<{}>", t.render_for(true)),
                _ => {}
            }
        }
        match self {
            Self::String => "String".into(),
            Self::Bool => "bool".into(),
            Self::Integer => "i64".into(),
            Self::Real => "f64".into(),
            Self::Date => "mdm_plist::Date".into(),
            Self::Data => "mdm_plist::Data".into(),
            Self::Dictionary => "mdm_plist::Dictionary".into(),
            Self::Value => "mdm_plist::Value".into(),
            Self::Vec(t) => format!("Vec<{}>", t.render()),
            Self::Named(n) => n.clone(),
        }
    }
}

/// One field of a generated struct.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The plist key.
    pub key: String,
    /// The Rust field name.
    pub ident: String,
    /// The Rust type (without `Option`).
    pub ty: Ty,
    /// Wrapped in `Option` (the key may be absent).
    pub optional: bool,
    /// Doc-comment lines.
    pub doc: Vec<String>,
    /// The schema value type, for tests and tables.
    pub value_type: ValueType,
}

/// A generated item.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A `plist_dict!` struct.
    Struct {
        /// Type name.
        name: String,
        /// Doc-comment lines.
        doc: Vec<String>,
        /// Fields in schema order.
        fields: Vec<Field>,
    },
    /// An `open_enum!` string set.
    OpenEnum {
        /// Type name.
        name: String,
        /// Doc-comment lines.
        doc: Vec<String>,
        /// `(variant, plist string)` pairs.
        variants: Vec<(String, String)>,
        /// The variant `Default` returns (the schema's `default`), if any.
        default: Option<String>,
    },
    /// An array item that is one of several dictionaries told apart by a tag key
    /// (`Settings` items by `Item`).
    Union {
        /// Type name.
        name: String,
        /// Doc-comment lines.
        doc: Vec<String>,
        /// The tag key (`Item`).
        tag_key: String,
        /// `(variant, tag value, struct name)`.
        variants: Vec<(String, String, String)>,
    },
}

impl Item {
    /// The item's type name.
    pub fn name(&self) -> &str {
        match self {
            Self::Struct { name, .. } | Self::OpenEnum { name, .. } | Self::Union { name, .. } => {
                name
            }
        }
    }
}

/// Builds [`Item`]s from schema keys, naming nested types uniquely within one output module.
#[derive(Debug, Default)]
pub struct TypeBuilder {
    /// Items in emission order.
    pub items: Vec<Item>,
    /// Emit the JSON flavour (`crate::json_dict!` structs over `serde_json` values) instead
    /// of `mdm_plist::plist_dict!` (declarative management speaks JSON).
    pub json: bool,
    used: BTreeSet<String>,
    by_subkey_type: BTreeMap<String, String>,
}

/// How to map one tree of keys.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// Prefix for nested type names (the request type, payload name, ...).
    pub prefix: &'a str,
    /// Treat every key as optional (used for device responses, which do not always send what
    /// the schema marks as required).
    pub all_optional: bool,
    /// A Markdown link to the schema file, appended to every type's docs.
    pub schema_link: &'a str,
    /// What the root is, in words (`command`, `response`, `payload`), for docs.
    pub role: &'a str,
}

impl TypeBuilder {
    /// Reserves a name (a hand-chosen root name) so nested types never take it.
    pub fn reserve(&mut self, name: &str) {
        self.used.insert(name.to_owned());
    }

    /// The name of a nested type for `key` at `path` (the keys from the root down to, not
    /// including, `key`): the root prefix and the key as words (`DnsProxy` + `AppBundleIDs`),
    /// the prefix folded when the key already starts with it, `Details` added when the key is
    /// the root's own name (`DnsSettingsDetails`). A name already taken is made
    /// unique with the key path, nearest parent first (`DockTileData`, then
    /// `DockStaticItemTileData`), and only then with a number.
    fn nested_name(&mut self, ctx: &Context<'_>, path: &[String], key: &str) -> String {
        let base = upper_camel(key);
        let folded = if base.starts_with(ctx.prefix) {
            base.clone()
        } else {
            format!("{}{base}", ctx.prefix)
        };
        let mut candidates = vec![folded.clone()];
        // A key named like its root (`DNSSettings` inside the DNS Settings payload,
        // `SecurityInfo` inside the SecurityInfo response) would otherwise double the name.
        if base == ctx.prefix {
            candidates.push(format!("{base}Details"));
        }
        candidates.push(format!("{}{base}", ctx.prefix));
        let mut tail = base;
        for parent in path.iter().rev() {
            tail = format!("{}{tail}", upper_camel(parent));
            if tail.starts_with(ctx.prefix) {
                candidates.push(tail.clone());
            }
            candidates.push(format!("{}{tail}", ctx.prefix));
        }
        for c in candidates {
            if self.used.insert(c.clone()) {
                return c;
            }
        }
        let mut n = 2;
        loop {
            let numbered = format!("{folded}{n}");
            if self.used.insert(numbered.clone()) {
                return numbered;
            }
            n += 1;
        }
    }

    /// Adds a struct named `name` for `keys` (the root of a command, response or payload) and
    /// returns its fields.
    pub fn root_struct(&mut self, ctx: &Context<'_>, name: &str, doc: Vec<String>, keys: &[Key]) {
        self.reserve(name);
        let fields = self.fields(ctx, &[], keys, &[]);
        let mut doc = doc;
        doc.push(String::new());
        doc.push(format!("Schema: {}.", ctx.schema_link));
        self.items.push(Item::Struct {
            name: name.to_owned(),
            doc,
            fields,
        });
    }

    /// The Rust type for one key on its own (a status item's value), adding the nested items
    /// it needs.
    pub fn key_type(&mut self, ctx: &Context<'_>, key: &Key) -> Ty {
        self.ty_for(ctx, &[], key)
    }

    fn fields(
        &mut self,
        ctx: &Context<'_>,
        path: &[String],
        keys: &[Key],
        skip: &[&str],
    ) -> Vec<Field> {
        let mut idents = BTreeSet::new();
        let mut out = Vec::new();
        for key in keys {
            if key.is_any_placeholder() || skip.contains(&key.name.as_str()) {
                continue;
            }
            let ty = self.ty_for(ctx, path, key);
            let mut ident = snake(&key.name);
            while !idents.insert(ident.clone()) {
                ident.push('_');
            }
            let optional = ctx.all_optional || key.presence == Presence::Optional;
            out.push(Field {
                key: key.name.clone(),
                ident,
                doc: field_doc(key, optional),
                ty,
                optional,
                value_type: key.value_type,
            });
        }
        out
    }

    fn ty_for(&mut self, ctx: &Context<'_>, path: &[String], key: &Key) -> Ty {
        match key.value_type {
            ValueType::String => {
                let mut values: Vec<String> =
                    key.children().iter().map(|k| k.name.clone()).collect();
                if values.is_empty() {
                    values = key
                        .range_list
                        .iter()
                        .filter_map(|l| match l {
                            Literal::String(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect();
                }
                // A single allowed value is a constant tag, not worth an enum.
                if values.len() < 2 {
                    return Ty::String;
                }
                let name = self.nested_name(ctx, path, &key.name);
                let default = match &key.default {
                    Some(Literal::String(s)) => Some(s.clone()),
                    _ => None,
                };
                self.open_enum(ctx, &name, &key.name, &values, default.as_deref());
                Ty::Named(name)
            }
            ValueType::Integer => Ty::Integer,
            ValueType::Real => Ty::Real,
            ValueType::Boolean => Ty::Bool,
            ValueType::Date => Ty::Date,
            ValueType::Data => Ty::Data,
            ValueType::Any => Ty::Value,
            ValueType::Dictionary => match &key.subkeys {
                Subkeys::Keys(children) if children.iter().any(|c| !c.is_any_placeholder()) => {
                    Ty::Named(self.dict_struct(ctx, path, key, children, &[]))
                }
                _ => Ty::Dictionary,
            },
            ValueType::Array => match &key.subkeys {
                Subkeys::Keys(children) if children.len() == 1 => {
                    let Some(item) = children.first() else {
                        return Ty::Vec(Box::new(Ty::Value));
                    };
                    // Name array items after the array when the item key is generic.
                    let mut item = item.clone();
                    if item.name.is_empty() || item.name == "ANY" {
                        item.name = format!("{}Item", key.name);
                    }
                    // `subkeytype` on the array names the shape of its items: arrays that
                    // share it share one item type.
                    if item.subkey_type.is_none() && item.value_type == ValueType::Dictionary {
                        item.subkey_type.clone_from(&key.subkey_type);
                    }
                    let mut inner = path.to_vec();
                    inner.push(key.name.clone());
                    Ty::Vec(Box::new(self.ty_for(ctx, &inner, &item)))
                }
                Subkeys::Keys(children)
                    if children.len() > 1
                        && children.iter().all(|c| {
                            c.value_type == ValueType::Dictionary
                                && c.children().iter().any(|g| g.name == "Item")
                        }) =>
                {
                    Ty::Vec(Box::new(Ty::Named(self.union(ctx, path, key, children))))
                }
                _ => Ty::Vec(Box::new(Ty::Value)),
            },
        }
    }

    fn dict_struct(
        &mut self,
        ctx: &Context<'_>,
        path: &[String],
        key: &Key,
        children: &[Key],
        skip: &[&str],
    ) -> String {
        if let Some(st) = &key.subkey_type
            && let Some(existing) = self.by_subkey_type.get(st)
        {
            return existing.clone();
        }
        let name = match &key.subkey_type {
            Some(st) => self.nested_name(ctx, path, st),
            None => self.nested_name(ctx, path, &key.name),
        };
        if let Some(st) = &key.subkey_type {
            self.by_subkey_type.insert(st.clone(), name.clone());
        }
        let mut inner = path.to_vec();
        inner.push(key.name.clone());
        let fields = self.fields(ctx, &inner, children, skip);
        let open = children.iter().any(Key::is_any_placeholder);
        let mut doc = vec![format!(
            "The `{}` dictionary of the {} `{}`.",
            key.name, ctx.role, ctx.prefix
        )];
        if open {
            doc.push(String::new());
            doc.push("Free-form keys besides the listed ones land in `extra`.".into());
        }
        doc.push(String::new());
        doc.push(format!("Schema: {}.", ctx.schema_link));
        self.items.push(Item::Struct {
            name: name.clone(),
            doc,
            fields,
        });
        name
    }

    fn open_enum(
        &mut self,
        ctx: &Context<'_>,
        name: &str,
        key: &str,
        values: &[String],
        default: Option<&str>,
    ) {
        let mut used = BTreeSet::new();
        let mut variants = Vec::new();
        for v in values {
            if variants.iter().any(|(_, s): &(String, String)| s == v) {
                continue;
            }
            let mut ident = pascal(v);
            if ident.is_empty() {
                ident = "Empty".into();
            }
            if ident.starts_with(|c: char| c.is_ascii_digit()) {
                ident.insert(0, 'V');
            }
            if ident == "Other" || ident == "Self_" {
                ident.push_str("Value");
            }
            while !used.insert(ident.clone()) {
                ident.push('_');
            }
            variants.push((ident, v.clone()));
        }
        let default = default.and_then(|d| {
            variants
                .iter()
                .find(|(_, s)| s == d)
                .map(|(i, _)| i.clone())
        });
        self.items.push(Item::OpenEnum {
            name: name.to_owned(),
            doc: vec![
                format!(
                    "The values of `{key}` in the {} `{}`; unknown strings are kept in `Other`.",
                    ctx.role, ctx.prefix
                ),
                String::new(),
                format!("Schema: {}.", ctx.schema_link),
            ],
            variants,
            default,
        });
    }

    fn union(&mut self, ctx: &Context<'_>, path: &[String], key: &Key, children: &[Key]) -> String {
        let name = self.nested_name(ctx, path, &format!("{}Item", key.name));
        self.reserve(&name);
        let mut variants = Vec::new();
        for child in children {
            let tag = child
                .children()
                .iter()
                .find(|g| g.name == "Item")
                .and_then(|g| match g.range_list.first() {
                    Some(Literal::String(s)) => Some(s.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| child.name.clone());
            let mut inner = path.to_vec();
            inner.push(key.name.clone());
            let struct_name = self.dict_struct(ctx, &inner, child, child.children(), &["Item"]);
            variants.push((pascal(&child.name), tag, struct_name));
        }
        self.items.push(Item::Union {
            name: name.clone(),
            doc: vec![
                format!(
                    "One item of `{}` in the {} `{}`, told apart by its `Item` key; kinds this \
                     version does not know are kept in `Other`.",
                    key.name, ctx.role, ctx.prefix
                ),
                String::new(),
                format!("Schema: {}.", ctx.schema_link),
            ],
            tag_key: "Item".into(),
            variants,
        });
        name
    }

    /// Whether a value of `ty` can be made with `Default` (decides `#[derive(Default)]`).
    pub fn defaultable(&self, ty: &Ty) -> bool {
        match ty {
            Ty::String | Ty::Bool | Ty::Integer | Ty::Real | Ty::Dictionary | Ty::Vec(_) => true,
            Ty::Date | Ty::Data | Ty::Value => false,
            Ty::Named(n) => match self.items.iter().find(|i| i.name() == n) {
                Some(Item::Struct { fields, .. }) => {
                    fields.iter().all(|f| f.optional || self.defaultable(&f.ty))
                }
                Some(Item::OpenEnum { default, .. }) => default.is_some(),
                _ => false,
            },
        }
    }

    /// Starts a new schema file: `subkeytype` names are shared only within one file.
    pub fn begin_file(&mut self) {
        self.by_subkey_type.clear();
    }

    /// Renders every item, in order.
    pub fn render(&self) -> String {
        self.render_range(0, self.items.len())
    }

    /// Renders the items `start..end` (those one schema file added).
    pub fn render_range(&self, start: usize, end: usize) -> String {
        let mut out = String::new();
        for item in self.items.get(start..end).unwrap_or_default() {
            self.render_item(&mut out, item);
        }
        out
    }

    fn render_item(&self, out: &mut String, item: &Item) {
        match item {
            Item::Struct { name, doc, fields } => {
                let default = fields.iter().all(|f| f.optional || self.defaultable(&f.ty));
                out.push_str(if self.json {
                    "crate::json_dict! {\n"
                } else {
                    "mdm_plist::plist_dict! {\n"
                });
                write_doc(out, "    ", doc);
                if default {
                    out.push_str("    #[derive(Debug, Clone, PartialEq, Default)]\n");
                } else {
                    out.push_str("    #[derive(Debug, Clone, PartialEq)]\n");
                }
                let _ = writeln!(out, "    pub struct {name} {{");
                for f in fields {
                    write_doc(out, "        ", &f.doc);
                    let ty = if f.optional {
                        format!("Option<{}>", f.ty.render_for(self.json))
                    } else {
                        f.ty.render_for(self.json)
                    };
                    let _ = writeln!(out, "        {:?} => pub {}: {ty},", f.key, f.ident);
                }
                out.push_str("    }\n}\n\n");
                render_new(out, name, fields, self.json);
            }
            Item::OpenEnum {
                name,
                doc,
                variants,
                default,
            } => {
                out.push_str("mdm_plist::open_enum! {\n");
                write_doc(out, "    ", doc);
                let _ = writeln!(out, "    pub enum {name} {{");
                for (ident, value) in variants {
                    let _ = writeln!(out, "        /// `{value}`.");
                    let _ = writeln!(out, "        {ident} = {value:?},");
                }
                out.push_str("    }\n}\n\n");
                if let Some(d) = default {
                    let _ = writeln!(
                        out,
                        "impl Default for {name} {{\n    /// The schema's default value.\n    fn default() -> Self {{\n        Self::{d}\n    }}\n}}\n"
                    );
                }
            }
            Item::Union {
                name,
                doc,
                tag_key,
                variants,
            } => {
                write_doc(out, "", doc);
                out.push_str("#[derive(Debug, Clone, PartialEq)]\n");
                let _ = writeln!(out, "pub enum {name} {{");
                for (ident, tag, st) in variants {
                    let _ = writeln!(out, "    /// `{tag_key}` = `{tag}`.");
                    let _ = writeln!(out, "    {ident}({st}),");
                }
                out.push_str("    /// A kind this version does not know, kept whole.\n");
                out.push_str("    Other(mdm_plist::Dictionary),\n}\n\n");
                let _ = writeln!(out, "impl {name} {{");
                let _ = writeln!(out, "    /// The `{tag_key}` value this item is sent with.");
                out.push_str("    pub fn tag(&self) -> Option<&str> {\n        match self {\n");
                for (ident, tag, _) in variants {
                    let _ = writeln!(out, "            Self::{ident}(_) => Some({tag:?}),");
                }
                let _ = writeln!(
                    out,
                    "            Self::Other(d) => d.get({tag_key:?}).and_then(mdm_plist::Value::as_string),"
                );
                out.push_str("        }\n    }\n}\n\n");
                let _ = writeln!(out, "impl serde::Serialize for {name} {{");
                out.push_str(
                    "    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {\n        match self {\n",
                );
                for (ident, tag, _) in variants {
                    let _ = writeln!(
                        out,
                        "            Self::{ident}(v) => crate::support::encode_tagged({tag_key:?}, {tag:?}, v, serializer),"
                    );
                }
                out.push_str("            Self::Other(d) => serde::Serialize::serialize(d, serializer),\n        }\n    }\n}\n\n");
                let _ = writeln!(out, "impl<'de> serde::Deserialize<'de> for {name} {{");
                out.push_str("    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {\n");
                let _ = writeln!(
                    out,
                    "        let (tag, dict) = crate::support::decode_tagged::<D>({tag_key:?}, deserializer)?;"
                );
                out.push_str("        match tag.as_deref() {\n");
                for (ident, tag, _) in variants {
                    let _ = writeln!(
                        out,
                        "            Some({tag:?}) => crate::support::from_dictionary::<_, D>(dict).map(Self::{ident}),"
                    );
                }
                let _ = writeln!(
                    out,
                    "            _ => Ok(Self::Other(crate::support::with_tag({tag_key:?}, tag, dict))),"
                );
                out.push_str("        }\n    }\n}\n\n");
            }
        }
    }
}

/// `impl Name { pub fn new(required...) -> Self }` for a struct with required fields: the
/// required keys in schema order (strings as `impl Into<String>`), every optional key `None`,
/// `extra` empty. Structs without required fields have `Default` instead.
fn render_new(out: &mut String, name: &str, fields: &[Field], json: bool) {
    let required: Vec<&Field> = fields.iter().filter(|f| !f.optional).collect();
    if required.is_empty() {
        return;
    }
    let keys: Vec<String> = required.iter().map(|f| format!("`{}`", f.key)).collect();
    let params: Vec<String> = required
        .iter()
        .map(|f| match f.ty {
            Ty::String => format!("{}: impl Into<String>", f.ident),
            Ty::Date | Ty::Data if json => format!("{}: impl Into<String>", f.ident),
            _ => format!("{}: {}", f.ident, f.ty.render_for(json)),
        })
        .collect();
    let _ = writeln!(out, "impl {name} {{");
    let sentence = format!(
        "A `{name}` from its required keys in schema order ({}); every optional key is `None` \
         and `extra` is empty.",
        keys.join(", ")
    );
    let mut line = String::new();
    for word in sentence.split(' ') {
        if !line.is_empty() && line.len() + word.len() > 88 {
            let _ = writeln!(out, "    /// {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    let _ = writeln!(out, "    /// {line}");
    if required.len() > 7 {
        out.push_str("    #[allow(clippy::too_many_arguments)]\n");
    }
    let _ = writeln!(out, "    pub fn new({}) -> Self {{", params.join(", "));
    out.push_str("        Self {\n");
    for f in fields {
        if f.optional {
            let _ = writeln!(out, "            {}: None,", f.ident);
        } else if f.ty == Ty::String || json && matches!(f.ty, Ty::Date | Ty::Data) {
            let _ = writeln!(out, "            {0}: {0}.into(),", f.ident);
        } else {
            let _ = writeln!(out, "            {},", f.ident);
        }
    }
    if json {
        out.push_str("            extra: crate::JsonObject::default(),\n        }\n    }\n}\n\n");
    } else {
        out.push_str(
            "            extra: mdm_plist::Dictionary::default(),\n        }\n    }\n}\n\n",
        );
    }
}

fn write_doc(out: &mut String, indent: &str, doc: &[String]) {
    for line in doc {
        if line.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {line}");
        }
    }
}

/// Our own one-line description of a key, built from schema facts only.
fn field_doc(key: &Key, optional: bool) -> Vec<String> {
    let mut first = format!(
        "`{}`: {}, {}.",
        key.name,
        type_phrase(key),
        if optional { "optional" } else { "required" }
    );
    if let Some(sub) = &key.subtype {
        let _ = write!(
            first,
            " Format: {}.",
            sub.trim_matches(|c| c == '<' || c == '>')
        );
    }
    let mut doc = vec![first];
    let values: Vec<String> = key.range_list.iter().map(|l| format!("`{l}`")).collect();
    if !values.is_empty() && key.value_type != ValueType::String {
        doc.push(format!("Allowed values: {}.", values.join(", ")));
    }
    if let Some(r) = &key.range {
        let min = r
            .min
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "..".into());
        let max = r
            .max
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "..".into());
        doc.push(format!("Range: {min} to {max}."));
    }
    if let Some(d) = &key.default {
        doc.push(format!("Default: `{d}`."));
    }
    if let Subkeys::Recursive = key.subkeys {
        doc.push("Nested like its parent (recursive in the schema), so kept untyped.".into());
    }
    let avail = availability_phrase(&key.supported_os);
    if !avail.is_empty() {
        doc.push(format!("Available on {avail}."));
    }
    if doc.len() > 1 {
        // One paragraph: the summary line, then the facts.
        let rest = doc.split_off(1).join(" ");
        doc.push(String::new());
        doc.push(rest);
    }
    doc
}

fn type_phrase(key: &Key) -> String {
    match key.value_type {
        ValueType::Array => match key.children() {
            [one] => format!("array of {}", one.value_type.plist_name()),
            _ => "array".into(),
        },
        other => other.plist_name().into(),
    }
}

/// `iOS 4.0, macOS 10.7` for the platforms where the schema gives an `introduced` version.
pub fn availability_phrase(os: &SupportedOs) -> String {
    let mut parts = Vec::new();
    for p in Platform::ALL {
        if let Some(s) = os.platforms.get(&p)
            && let Some(v) = s.introduced.as_deref().filter(|v| *v != "n/a")
        {
            parts.push(format!("{} {v}", p.yaml_name()));
        }
    }
    parts.join(", ")
}

/// An enum variant from an Apple value: the value with separators dropped and each part
/// capitalized (`iTunesStoreID` -> `ITunesStoreID`, `com.apple.foo` -> `ComAppleFoo`).
/// Type names use [`crate::names::upper_camel`] instead.
pub fn pascal(s: &str) -> String {
    let mut out = String::new();
    let mut upper_next = true;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if upper_next {
                out.push(c.to_ascii_uppercase());
                upper_next = false;
            } else {
                out.push(c);
            }
        } else {
            upper_next = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal("com.apple.foo"), "ComAppleFoo");
        assert_eq!(pascal("iTunesStoreID"), "ITunesStoreID");
    }
}
