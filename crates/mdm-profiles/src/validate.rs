//! Checking a profile against Apple's schema: required keys, value types, allowed values and
//! ranges, unique identifiers, and (given a target) availability per platform and version.

use std::collections::BTreeMap;
use std::fmt;

use mdm_plist::{Dictionary, Value};

use crate::decode::kind;
use crate::spec::{KeySpec, Kind, Lit, OsSpec, Platform, Version, payload_spec};
use crate::{Payload, Profile};

/// How serious a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// A device would refuse the profile, or a key would not take effect.
    Error,
    /// Legal but suspicious, or a leniency applied while decoding.
    Warning,
}

/// One finding, with the path of the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Where: `PayloadContent[2] (com.apple.wifi.managed).EncryptionType`; empty for the
    /// document itself.
    pub path: String,
    /// What is wrong, in lower case.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.path.is_empty() {
            write!(f, "{sev}: {}", self.message)
        } else {
            write!(f, "{sev}: {}: {}", self.path, self.message)
        }
    }
}

/// Checks `profile` against the schema.
///
/// Errors: a missing required key, a value of the wrong type, a value outside `rangelist` or
/// `range`, a repeated `PayloadUUID` or `PayloadIdentifier`, a `PayloadVersion` other than 1,
/// a payload or key unavailable on the target. Warnings: keys the schema does not list
/// (custom keys are legal but often misspelt), an integer where the schema says real.
///
/// ```
/// use mdm_profiles::{Platform, Profile, validate, validate_for};
///
/// let profile = Profile::builder("com.example.empty").display_name("Empty").build()?;
/// assert!(validate(&profile).is_empty());
/// assert!(validate_for(&profile, Platform::IOS, "17.0".parse().unwrap()).is_empty());
/// # Ok::<(), mdm_profiles::Error>(())
/// ```
pub fn validate(profile: &Profile) -> Vec<Problem> {
    check(profile, None)
}

/// As [`validate`], and also says which payloads and keys `platform` at `version` does not
/// support (from the schema's `supportedOS`).
pub fn validate_for(profile: &Profile, platform: Platform, version: Version) -> Vec<Problem> {
    check(profile, Some((platform, version)))
}

fn check(profile: &Profile, target: Option<(Platform, Version)>) -> Vec<Problem> {
    let mut v = Validator {
        out: Vec::new(),
        target,
    };
    match mdm_plist::to_value(profile) {
        Ok(Value::Dictionary(mut top)) => {
            top.remove("PayloadContent");
            v.dict(&top, crate::generated::spec::TOP_LEVEL, "", true);
        }
        Ok(_) | Err(_) => v.error("", "profile cannot be encoded as a dictionary"),
    }
    if profile
        .payload_type
        .as_deref()
        .is_some_and(|t| t != "Configuration")
    {
        v.error(
            "PayloadType",
            format!(
                "{:?} is not \"Configuration\"",
                profile.payload_type.as_deref().unwrap_or_default()
            ),
        );
    }
    if profile.payload_version.is_some_and(|n| n != 1) {
        v.error("PayloadVersion", "must be 1");
    }
    let mut uuids: BTreeMap<String, String> = BTreeMap::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    if let Some(u) = &profile.payload_uuid {
        uuids.insert(u.clone(), "the profile".into());
    }
    if let Some(i) = &profile.payload_identifier {
        ids.insert(i.clone(), "the profile".into());
    }
    for (index, payload) in profile.payload_content.iter().enumerate() {
        let path = format!("PayloadContent[{index}] ({})", payload.payload_type());
        v.payload(payload, &path);
        v.usefulness(payload, &path);
        let common = payload.common();
        if let Some(u) = common.uuid {
            if let Some(first) = uuids.get(u) {
                v.error(
                    format!("{path}.PayloadUUID"),
                    format!("{u:?} is also used by {first}"),
                );
            } else {
                uuids.insert(u.to_owned(), path.clone());
            }
        }
        if let Some(i) = common.identifier {
            if let Some(first) = ids.get(i) {
                v.error(
                    format!("{path}.PayloadIdentifier"),
                    format!("{i:?} is also used by {first}"),
                );
            } else {
                ids.insert(i.to_owned(), path.clone());
            }
        }
        if common.version.is_some_and(|n| n != 1) {
            v.error(format!("{path}.PayloadVersion"), "must be 1");
        }
    }
    v.out
}

struct Validator {
    out: Vec<Problem>,
    target: Option<(Platform, Version)>,
}

impl Validator {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.out.push(Problem {
            severity: Severity::Error,
            path: path.into(),
            message: message.into(),
        });
    }

    fn warning(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.out.push(Problem {
            severity: Severity::Warning,
            path: path.into(),
            message: message.into(),
        });
    }

    /// Checks that the schema cannot express: values that are optional in the schema but
    /// without which the payload does nothing on a device.
    fn usefulness(&mut self, payload: &Payload, path: &str) {
        if payload.payload_type() != "com.apple.wifi.managed" {
            return;
        }
        let Ok(dict) = payload.to_dictionary() else {
            return;
        };
        let ssid = dict
            .get("SSID_STR")
            .and_then(Value::as_string)
            .is_some_and(|s| !s.is_empty());
        let passpoint = dict.get("IsHotspot").and_then(Value::as_boolean) == Some(true)
            || dict.contains_key("DomainName");
        if !ssid && !passpoint {
            self.warning(
                format!("{path}.SSID_STR"),
                "no SSID: the device has no network to join (set SSID_STR, or IsHotspot and \
                 DomainName for a Passpoint network)",
            );
        }
    }

    fn payload(&mut self, payload: &Payload, path: &str) {
        let Some(spec) = payload_spec(payload.payload_type()) else {
            // Custom preference domains and third-party payloads: nothing to check against.
            return;
        };
        let dict = match payload.to_dictionary() {
            Ok(d) => d,
            Err(e) => {
                self.error(path, format!("cannot be encoded: {e}"));
                return;
            }
        };
        if let Some(reason) = self.unavailable(spec.os) {
            self.error(path, format!("payload {reason}"));
            // Keys inherit the payload's availability: do not repeat it per key.
            let target = self.target.take();
            self.dict(&dict, spec.keys, path, false);
            self.target = target;
            return;
        }
        self.dict(&dict, spec.keys, path, false);
    }

    /// Says why the target cannot use something with this availability, if it cannot.
    fn unavailable(&self, os: &[OsSpec]) -> Option<String> {
        let (platform, version) = self.target.as_ref()?;
        if os.is_empty() {
            return None;
        }
        let Some(spec) = os.iter().find(|o| o.platform == *platform) else {
            return Some(format!("is not available on {platform}"));
        };
        if !spec.available {
            return Some(format!("is not available on {platform}"));
        }
        if let Some(intro) = spec.introduced
            && intro > *version
        {
            return Some(format!("needs {platform} {intro} (target is {version})"));
        }
        if let Some(removed) = spec.removed
            && removed <= *version
        {
            return Some(format!("was removed in {platform} {removed}"));
        }
        None
    }

    fn dict(&mut self, dict: &Dictionary, keys: &[KeySpec], path: &str, top: bool) {
        let any = keys.iter().find(|k| k.any_name);
        for spec in keys.iter().filter(|k| k.required && !k.any_name) {
            if top && spec.name == "PayloadContent" {
                continue;
            }
            if !dict.contains_key(spec.name) {
                self.error(join(path, spec.name), "required key is missing");
            }
        }
        for (key, value) in dict {
            let sub = join(path, key);
            match keys.iter().find(|k| !k.any_name && k.name == key.as_str()) {
                Some(spec) => {
                    if let Some(reason) = self.unavailable(spec.os) {
                        self.error(&sub, format!("key {reason}"));
                    }
                    self.value(value, spec, &sub);
                }
                None => match any {
                    Some(spec) => self.value(value, spec, &sub),
                    None if keys.is_empty() => {}
                    None => self.warning(sub, "key is not in the schema"),
                },
            }
        }
    }

    fn value(&mut self, value: &Value, spec: &KeySpec, path: &str) {
        let ok = match (spec.kind, value) {
            (Kind::Any, _)
            | (Kind::String, Value::String(_))
            | (Kind::Integer, Value::Integer(_))
            | (Kind::Real, Value::Real(_))
            | (Kind::Boolean, Value::Boolean(_))
            | (Kind::Date, Value::Date(_))
            | (Kind::Data, Value::Data(_))
            | (Kind::Array, Value::Array(_))
            | (Kind::Dictionary, Value::Dictionary(_)) => true,
            (Kind::Real, Value::Integer(_)) => {
                self.warning(path, "integer where the schema says real");
                true
            }
            _ => false,
        };
        if !ok {
            self.error(
                path,
                format!(
                    "is {} {}, the schema says {}",
                    article(kind(value)),
                    kind(value),
                    spec.kind.name()
                ),
            );
            return;
        }
        self.range(value, spec, path);
        if spec.recursive {
            return;
        }
        match value {
            Value::Dictionary(d) if !spec.children.is_empty() => {
                self.dict(d, spec.children, path, false);
            }
            Value::Array(items) => {
                if let [item] = spec.children {
                    for (i, v) in items.iter().enumerate() {
                        self.value(v, item, &format!("{path}[{i}]"));
                    }
                }
            }
            _ => {}
        }
    }

    fn range(&mut self, value: &Value, spec: &KeySpec, path: &str) {
        if !spec.range_list.is_empty() {
            let allowed = spec.range_list.iter().any(|l| match (l, value) {
                (Lit::Str(s), Value::String(v)) => s == v,
                (Lit::Int(i), Value::Integer(v)) => v.as_signed() == Some(*i),
                (Lit::Real(r), Value::Real(v)) => (r - v).abs() < f64::EPSILON,
                (Lit::Int(i), Value::Real(v)) => (*i as f64 - v).abs() < f64::EPSILON,
                (Lit::Bool(b), Value::Boolean(v)) => b == v,
                _ => false,
            });
            // Arrays and dictionaries list their members' values elsewhere.
            if !allowed && !matches!(value, Value::Array(_) | Value::Dictionary(_)) {
                let list: Vec<String> = spec.range_list.iter().map(ToString::to_string).collect();
                self.error(
                    path,
                    format!("{} is not one of {}", show(value), list.join(", ")),
                );
            }
        }
        let n = match value {
            Value::Integer(i) => i.as_signed().map(|i| i as f64),
            Value::Real(r) => Some(*r),
            _ => None,
        };
        if let Some(n) = n {
            if let Some(min) = spec.min
                && n < min
            {
                self.error(path, format!("{} is below the minimum {min}", show(value)));
            }
            if let Some(max) = spec.max
                && n > max
            {
                self.error(path, format!("{} is above the maximum {max}", show(value)));
            }
        }
    }
}

fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => r.to_string(),
        Value::Boolean(b) => b.to_string(),
        other => kind(other).to_owned(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
