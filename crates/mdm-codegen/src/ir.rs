//! The schema model (IR): what Apple's YAML says, with no Rust in it.
//!
//! [`crate::load`] builds these types from the YAML files; the emitters ([`crate::rust`] and
//! the family emitters such as [`crate::commands`]) turn them into Rust. Nothing here knows
//! about Rust names, so the same model serves commands (`mdm/commands`), check-in messages (`mdm/checkin`), profile payloads
//! (`mdm/profiles`) and declarations (`declarative/`).
//!
//! Facts only: the model keeps key names, types, presence, ranges, defaults, allowed values and
//! per-platform availability. It deliberately drops Apple's `content` / `description` prose,
//! which must not be copied into generated code.

use std::collections::BTreeMap;

/// Which part of the schema a file belongs to (taken from its folder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// `mdm/commands/*.yaml`: one MDM command and its response.
    Command,
    /// `mdm/checkin/*.yaml`: one check-in message.
    CheckIn,
    /// `mdm/profiles/*.yaml`: one configuration-profile payload.
    Profile,
    /// `mdm/errors/*.yaml`: error code tables.
    Error,
    /// `declarative/declarations/**`: one declaration.
    Declaration,
    /// `declarative/status/**`: one status item.
    Status,
    /// `declarative/protocol/**`: a declarative-management protocol body.
    DeclarativeProtocol,
    /// Anything else (`other/`, `docs/`).
    Other,
}

impl Family {
    /// The family of a file from its path relative to the schema root (`/` separators).
    pub fn from_relative_path(path: &str) -> Self {
        let p = path.trim_start_matches("./");
        if p.starts_with("mdm/commands/") {
            Self::Command
        } else if p.starts_with("mdm/checkin/") {
            Self::CheckIn
        } else if p.starts_with("mdm/profiles/") {
            Self::Profile
        } else if p.starts_with("mdm/errors/") {
            Self::Error
        } else if p.starts_with("declarative/declarations/") {
            Self::Declaration
        } else if p.starts_with("declarative/status/") {
            Self::Status
        } else if p.starts_with("declarative/protocol/") {
            Self::DeclarativeProtocol
        } else {
            Self::Other
        }
    }
}

/// One YAML file of the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaFile {
    /// Path relative to the schema root, with `/` separators (`mdm/commands/device.lock.yaml`).
    pub path: String,
    /// The file's `title` (a short name, e.g. `Device Lock Command`).
    pub title: String,
    /// Which part of the schema the file belongs to.
    pub family: Family,
    /// The `payload` section.
    pub payload: Payload,
    /// `payloadkeys`: the keys of the command / payload / declaration / message.
    pub payload_keys: Vec<Key>,
    /// `responsekeys`, when the file has them (commands only).
    pub response_keys: Option<Vec<Key>>,
}

/// The file-level `payload` section.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    /// `requesttype` (commands, check-in messages).
    pub request_type: Option<String>,
    /// `payloadtype` (profile payloads).
    pub payload_type: Option<String>,
    /// `declarationtype` (declarations).
    pub declaration_type: Option<String>,
    /// `statusitemtype` (status items).
    pub status_item_type: Option<String>,
    /// `credentialtype` (credential assets).
    pub credential_type: Option<String>,
    /// Per-platform availability of the whole payload.
    pub supported_os: SupportedOs,
    /// `apply` (`single`, `multiple`, `combined`) for declarations.
    pub apply: Option<String>,
    /// `beta`: the whole payload is a beta.
    pub beta: bool,
}

/// The value type of a key (`type:` in the YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// `<string>`
    String,
    /// `<integer>`
    Integer,
    /// `<real>`
    Real,
    /// `<boolean>`
    Boolean,
    /// `<date>`
    Date,
    /// `<data>`
    Data,
    /// `<array>`
    Array,
    /// `<dictionary>`
    Dictionary,
    /// `<any>`: any plist value.
    Any,
}

impl ValueType {
    /// Parses the YAML spelling (`<string>`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "<string>" => Self::String,
            "<integer>" => Self::Integer,
            "<real>" => Self::Real,
            "<boolean>" => Self::Boolean,
            "<date>" => Self::Date,
            "<data>" => Self::Data,
            "<array>" => Self::Array,
            "<dictionary>" => Self::Dictionary,
            "<any>" => Self::Any,
            _ => return None,
        })
    }

    /// The plist element name (`string`, `integer`, `dict`, ...), `any` for [`ValueType::Any`].
    pub fn plist_name(self) -> &'static str {
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

/// `presence:` of a key. Absent in the YAML means optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Presence {
    /// `required`
    Required,
    /// `optional` (or not stated)
    #[default]
    Optional,
}

/// A scalar from the YAML (`default`, `rangelist` items, `range` bounds).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string.
    String(String),
    /// An integer.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// A boolean.
    Boolean(bool),
}

impl std::fmt::Display for Literal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::String(s) => f.write_str(s),
            Self::Integer(i) => write!(f, "{i}"),
            Self::Real(r) => write!(f, "{r}"),
            Self::Boolean(b) => write!(f, "{b}"),
        }
    }
}

/// `range:` bounds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Range {
    /// Lower bound.
    pub min: Option<Literal>,
    /// Upper bound.
    pub max: Option<Literal>,
}

/// What a key contains below it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Subkeys {
    /// No `subkeys`.
    #[default]
    None,
    /// The listed keys. For an `<array>` they describe the items (one entry: every item has
    /// that shape; several dictionary entries: a tagged union, as in `Settings`); for a
    /// `<dictionary>` they are its keys; for a `<string>` they list the allowed values.
    Keys(Vec<Key>),
    /// The `subkeys` refer back to an enclosing key (a self-recursive YAML anchor, as in
    /// `com.apple.homescreenlayout`). Emitters fall back to an untyped plist value.
    Recursive,
}

/// One key (an entry of `payloadkeys`, `responsekeys` or `subkeys`).
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The key name as it appears in the plist (`PIN`, `RequestRequiresNetworkTether`).
    /// Apple writes `ANY` for "any key" inside a free-form dictionary.
    pub name: String,
    /// `title`, when present.
    pub title: Option<String>,
    /// `type`.
    pub value_type: ValueType,
    /// `subtype` (`<url>`, `<hostname>`, `<email>`).
    pub subtype: Option<String>,
    /// `presence`.
    pub presence: Presence,
    /// `rangelist`: the allowed values.
    pub range_list: Vec<Literal>,
    /// `range`.
    pub range: Option<Range>,
    /// `default`.
    pub default: Option<Literal>,
    /// `format` (a regular expression).
    pub format: Option<String>,
    /// `repetition` (min, max) for arrays.
    pub repetition: Option<(i64, i64)>,
    /// `combinetype` (declarations).
    pub combine_type: Option<String>,
    /// `assettypes` (declarations).
    pub asset_types: Vec<String>,
    /// `subkeytype`: Apple's name for a structure used in several places.
    pub subkey_type: Option<String>,
    /// `subkeys`.
    pub subkeys: Subkeys,
    /// Effective per-platform availability: the key's own `supportedOS` merged over its
    /// parent's (the payload's for top-level keys).
    pub supported_os: SupportedOs,
}

impl Key {
    /// True when this is Apple's `ANY` placeholder for free-form dictionary keys.
    pub fn is_any_placeholder(&self) -> bool {
        self.name == "ANY"
            || self.name.starts_with("ANY")
                && self
                    .name
                    .chars()
                    .nth(3)
                    .is_some_and(|c| !c.is_ascii_lowercase())
    }

    /// The child keys, or an empty slice.
    pub fn children(&self) -> &[Key] {
        match &self.subkeys {
            Subkeys::Keys(k) => k,
            _ => &[],
        }
    }
}

/// The five platforms the schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Platform {
    /// iOS and iPadOS.
    IOS,
    /// macOS.
    MacOS,
    /// tvOS.
    TvOS,
    /// visionOS.
    VisionOS,
    /// watchOS.
    WatchOS,
}

impl Platform {
    /// Every platform, in schema order.
    pub const ALL: [Platform; 5] = [
        Self::IOS,
        Self::MacOS,
        Self::TvOS,
        Self::VisionOS,
        Self::WatchOS,
    ];

    /// The YAML spelling (`iOS`, `macOS`, ...).
    pub fn yaml_name(self) -> &'static str {
        match self {
            Self::IOS => "iOS",
            Self::MacOS => "macOS",
            Self::TvOS => "tvOS",
            Self::VisionOS => "visionOS",
            Self::WatchOS => "watchOS",
        }
    }

    /// Parses the YAML spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.yaml_name() == s)
    }
}

/// An OS version from the schema (`14`, `14.0`, `10.15.4`) as `(major, minor, patch)`;
/// `None` for anything else (`n/a`, `all`).
pub fn parse_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = [0u32; 3];
    for (n, part) in s.trim().split('.').enumerate() {
        let slot = parts.get_mut(n)?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    let [major, minor, patch] = parts;
    Some((major, minor, patch))
}

/// `Some(Version::new(14, 0, 0))` for a version the schema states, `None` otherwise: the
/// literal generated availability tables hold (`Version` is `mdm_types::Version`).
pub fn version_literal(s: Option<&str>) -> String {
    match s.and_then(parse_version) {
        Some((a, b, c)) => format!("Some(Version::new({a}, {b}, {c}))"),
        None => "None".into(),
    }
}

/// `supportedOS`: availability per platform. A platform missing from the map is not
/// described by the schema (for commands, treat it as unavailable).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SupportedOs {
    /// The described platforms.
    pub platforms: BTreeMap<Platform, OsSupport>,
}

impl SupportedOs {
    /// This (a child's own `supportedOS`) merged over `parent`: each field the child states
    /// wins, the rest is inherited; platforms the child does not mention are inherited whole.
    pub fn inherit(&self, parent: &SupportedOs) -> SupportedOs {
        let mut out = parent.clone();
        for (platform, own) in &self.platforms {
            let merged = match parent.platforms.get(platform) {
                Some(p) => own.inherit(p),
                None => own.clone(),
            };
            out.platforms.insert(*platform, merged);
        }
        out
    }
}

/// Availability facts for one platform.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OsSupport {
    /// `introduced`: an OS version, or `n/a` when not available on this platform.
    pub introduced: Option<String>,
    /// `deprecated` version.
    pub deprecated: Option<String>,
    /// `removed` version.
    pub removed: Option<String>,
    /// `accessrights` needed (commands).
    pub access_rights: Option<String>,
    /// `devicechannel`.
    pub device_channel: Option<bool>,
    /// `userchannel`.
    pub user_channel: Option<bool>,
    /// `supervised`: requires a supervised device.
    pub supervised: Option<bool>,
    /// `requiresdep`: requires Automated Device Enrollment.
    pub requires_dep: Option<bool>,
    /// `userapprovedmdm`: requires user-approved enrollment.
    pub user_approved_mdm: Option<bool>,
    /// `allowmanualinstall` (profiles).
    pub allow_manual_install: Option<bool>,
    /// `multiple` (profiles).
    pub multiple: Option<bool>,
    /// `beta`.
    pub beta: Option<bool>,
    /// `sharedipad.mode`.
    pub shared_ipad_mode: Option<String>,
    /// `sharedipad.devicechannel`.
    pub shared_ipad_device_channel: Option<bool>,
    /// `sharedipad.userchannel`.
    pub shared_ipad_user_channel: Option<bool>,
    /// `userenrollment.mode`.
    pub user_enrollment_mode: Option<String>,
    /// `allowed-enrollments` (declarations).
    pub allowed_enrollments: Vec<String>,
    /// `allowed-scopes` (declarations).
    pub allowed_scopes: Vec<String>,
}

impl OsSupport {
    /// True unless `introduced` is `n/a`.
    pub fn is_available(&self) -> bool {
        self.introduced.as_deref() != Some("n/a")
    }

    /// `self` (a child's facts) over `parent`'s.
    pub fn inherit(&self, parent: &OsSupport) -> OsSupport {
        fn pick<T: Clone>(own: &Option<T>, parent: &Option<T>) -> Option<T> {
            own.clone().or_else(|| parent.clone())
        }
        fn pick_vec(own: &[String], parent: &[String]) -> Vec<String> {
            if own.is_empty() {
                parent.to_vec()
            } else {
                own.to_vec()
            }
        }
        OsSupport {
            introduced: pick(&self.introduced, &parent.introduced),
            deprecated: pick(&self.deprecated, &parent.deprecated),
            removed: pick(&self.removed, &parent.removed),
            access_rights: pick(&self.access_rights, &parent.access_rights),
            device_channel: pick(&self.device_channel, &parent.device_channel),
            user_channel: pick(&self.user_channel, &parent.user_channel),
            supervised: pick(&self.supervised, &parent.supervised),
            requires_dep: pick(&self.requires_dep, &parent.requires_dep),
            user_approved_mdm: pick(&self.user_approved_mdm, &parent.user_approved_mdm),
            allow_manual_install: pick(&self.allow_manual_install, &parent.allow_manual_install),
            multiple: pick(&self.multiple, &parent.multiple),
            beta: pick(&self.beta, &parent.beta),
            shared_ipad_mode: pick(&self.shared_ipad_mode, &parent.shared_ipad_mode),
            shared_ipad_device_channel: pick(
                &self.shared_ipad_device_channel,
                &parent.shared_ipad_device_channel,
            ),
            shared_ipad_user_channel: pick(
                &self.shared_ipad_user_channel,
                &parent.shared_ipad_user_channel,
            ),
            user_enrollment_mode: pick(&self.user_enrollment_mode, &parent.user_enrollment_mode),
            allowed_enrollments: pick_vec(&self.allowed_enrollments, &parent.allowed_enrollments),
            allowed_scopes: pick_vec(&self.allowed_scopes, &parent.allowed_scopes),
        }
    }
}

/// A loaded schema tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The commit of apple/device-management the files come from, when known.
    pub commit: Option<String>,
    /// Every parsed file, sorted by path.
    pub files: Vec<SchemaFile>,
}

impl Schema {
    /// The files of one family, in path order.
    pub fn family(&self, family: Family) -> impl Iterator<Item = &SchemaFile> {
        self.files.iter().filter(move |f| f.family == family)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_become_literals() {
        assert_eq!(parse_version("10.15.4"), Some((10, 15, 4)));
        assert_eq!(parse_version("17"), Some((17, 0, 0)));
        assert_eq!(parse_version("n/a"), None);
        assert_eq!(parse_version("all"), None);
        assert_eq!(parse_version("1.2.3.4"), None);
        assert_eq!(
            version_literal(Some("14.0")),
            "Some(Version::new(14, 0, 0))"
        );
        assert_eq!(version_literal(None), "None");
    }
}
