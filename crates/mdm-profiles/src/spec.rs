//! Schema facts for validation (the tables live in `generated/spec.rs`), and the target a
//! profile is checked against: a [`Platform`] and a [`Version`], `mdm_types`' (re-exported
//! here), the same types command availability in `mdm-commands` is stated in.

use std::fmt;

pub use mdm_types::{Platform, Version};

/// The value type a key has in the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Integer,
    Real,
    Boolean,
    Date,
    Data,
    Array,
    Dictionary,
    Any,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Integer => "integer",
            Self::Real => "real",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Data => "data",
            Self::Array => "array",
            Self::Dictionary => "dictionary",
            Self::Any => "any",
        }
    }
}

/// A literal from the schema (`rangelist` items).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Lit {
    Str(&'static str),
    Int(i64),
    Real(f64),
    #[allow(dead_code)] // the schema has no boolean rangelist today
    Bool(bool),
}

impl fmt::Display for Lit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Str(s) => write!(f, "{s:?}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Real(r) => write!(f, "{r}"),
            Self::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// Availability on one platform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OsSpec {
    pub(crate) platform: Platform,
    /// False when the schema marks the platform `n/a`.
    pub(crate) available: bool,
    /// `introduced` (`None`: no version stated, or `all`).
    pub(crate) introduced: Option<Version>,
    /// `removed`.
    pub(crate) removed: Option<Version>,
}

/// One key of the schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KeySpec {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
    /// Apple's `ANY` placeholder: free-form keys of this shape.
    pub(crate) any_name: bool,
    /// Nested like an ancestor (not checked below this key).
    pub(crate) recursive: bool,
    pub(crate) range_list: &'static [Lit],
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) os: &'static [OsSpec],
    pub(crate) children: &'static [KeySpec],
}

/// [`KeySpec`] flag: `presence: required`.
pub(crate) const REQUIRED: u8 = 1;
/// [`KeySpec`] flag: Apple's `ANY` placeholder.
pub(crate) const ANY_NAME: u8 = 2;
/// [`KeySpec`] flag: nested like an ancestor.
pub(crate) const RECURSIVE: u8 = 4;

impl KeySpec {
    /// A row of the generated table.
    #[allow(clippy::too_many_arguments)]
    pub(crate) const fn new(
        name: &'static str,
        kind: Kind,
        flags: u8,
        range_list: &'static [Lit],
        min: Option<f64>,
        max: Option<f64>,
        os: &'static [OsSpec],
        children: &'static [KeySpec],
    ) -> Self {
        Self {
            name,
            kind,
            required: flags & REQUIRED != 0,
            any_name: flags & ANY_NAME != 0,
            recursive: flags & RECURSIVE != 0,
            range_list,
            min,
            max,
            os,
            children,
        }
    }
}

/// One payload type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PayloadSpec {
    pub(crate) payload_type: &'static str,
    #[allow(dead_code)]
    pub(crate) type_name: &'static str,
    pub(crate) schema: &'static str,
    pub(crate) os: &'static [OsSpec],
    pub(crate) keys: &'static [KeySpec],
}

/// The schema facts for `payload_type`, if the schema defines it.
pub(crate) fn payload_spec(payload_type: &str) -> Option<&'static PayloadSpec> {
    let all = crate::generated::spec::PAYLOADS;
    all.binary_search_by(|p| p.payload_type.cmp(payload_type))
        .ok()
        .and_then(|i| all.get(i))
}

/// Every payload type the schema defines, sorted.
pub fn schema_payload_types() -> impl Iterator<Item = &'static str> {
    crate::generated::spec::PAYLOADS
        .iter()
        .map(|p| p.payload_type)
}

/// The schema file(s) a payload type comes from, relative to the schema root.
pub fn schema_path(payload_type: &str) -> Option<&'static str> {
    payload_spec(payload_type).map(|p| p.schema)
}

/// The top-level key names of a profile in the schema.
pub fn top_level_keys() -> impl Iterator<Item = &'static str> {
    crate::generated::spec::TOP_LEVEL.iter().map(|k| k.name)
}
