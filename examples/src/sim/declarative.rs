//! How a simulated device does declarative management, without I/O: a
//! [`DeclarativeState`] remembers the declarations it holds (by identifier, with their
//! `ServerToken`s), says which ones a new manifest makes it fetch, "applies" what it
//! fetched, and writes the status reports a device sends (full first, then incremental).
//! [`super::Device::sync_declarations`] drives it over the check-in URL.
//!
//! Applying is what a device reports, not what it does: a declaration of a known type
//! that decodes is valid; a configuration is active when a valid activation names it; an
//! activation is active when it is valid and every configuration it names is valid; assets
//! and management declarations are active when valid. A declaration that does not decode,
//! or whose type this version does not know, is invalid with a reason.

use std::collections::{BTreeMap, BTreeSet};

use mdm_declarative::{
    Class, Declaration, DeclarationItemsResponse, JsonObject, JsonValue, Payload, TokensResponse,
};

use super::facts::{DeviceFacts, Family};

/// Reason code of a declaration the simulator cannot decode.
pub const CANNOT_DECODE: &str = "Error.DeclarationCannotBeDecoded";
/// Reason code of a declaration of a type the simulator does not know.
pub const UNKNOWN_TYPE: &str = "Error.UnknownDeclarationType";
/// Reason code of an activation naming a configuration that is missing or invalid.
pub const MISSING_CONFIGURATION: &str = "Error.ConfigurationNotFound";
/// Reason code of a subscribed status item the simulator cannot report.
pub const UNSUPPORTED_STATUS_ITEM: &str = "Error.StatusItemNotSupported";

/// What a device counted while syncing, so tests can see what it fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeclarativeCounters {
    /// Syncs run (each starts with a `tokens` request).
    pub syncs: usize,
    /// Syncs that found a new `DeclarationsToken` and read the manifest.
    pub manifests: usize,
    /// How many times each declaration was fetched, by identifier.
    pub fetched: BTreeMap<String, usize>,
    /// Status reports sent, and how many of them were full.
    pub status_reports: usize,
    /// Full status reports sent.
    pub full_reports: usize,
}

impl DeclarativeCounters {
    /// Declarations fetched in all.
    pub fn fetches(&self) -> usize {
        self.fetched.values().sum()
    }
}

/// One declaration the device holds.
#[derive(Debug, Clone)]
struct Held {
    class: Class,
    server_token: String,
    /// The decoded declaration, or why it is invalid.
    decoded: Result<Declaration, (String, String)>,
}

/// The device's declarative state.
#[derive(Debug, Clone, Default)]
pub struct DeclarativeState {
    declarations_token: Option<String>,
    held: BTreeMap<String, Held>,
    /// Status items as last sent, by name (`None` before the first full report).
    sent: Option<BTreeMap<String, JsonValue>>,
    counters: DeclarativeCounters,
}

impl DeclarativeState {
    /// A device that holds nothing and has reported nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// What was counted so far.
    pub fn counters(&self) -> &DeclarativeCounters {
        &self.counters
    }

    /// The identifiers held, with their `ServerToken`s.
    pub fn held(&self) -> BTreeMap<String, String> {
        self.held
            .iter()
            .map(|(k, h)| (k.clone(), h.server_token.clone()))
            .collect()
    }

    /// Reads a `tokens` answer; returns whether the set changed since the last sync (and
    /// the manifest must be read).
    ///
    /// # Errors
    /// The answer does not decode.
    pub fn on_tokens(&mut self, body: &[u8]) -> Result<bool, String> {
        self.counters.syncs += 1;
        let tokens = TokensResponse::decode(body).map_err(|e| format!("tokens: {e}"))?;
        Ok(self.declarations_token.as_deref()
            != Some(tokens.sync_tokens.declarations_token.as_str()))
    }

    /// Reads a `declaration-items` answer: forgets what it no longer lists and returns
    /// the declarations to fetch (new ones and ones with a new `ServerToken`), as
    /// `(class, identifier, server token)`.
    ///
    /// # Errors
    /// The answer does not decode.
    pub fn on_manifest(&mut self, body: &[u8]) -> Result<Vec<(Class, String, String)>, String> {
        self.counters.manifests += 1;
        let manifest = DeclarationItemsResponse::decode(body)
            .map_err(|e| format!("declaration-items: {e}"))?;
        let listed: BTreeSet<&str> = manifest
            .declarations
            .iter()
            .map(|(_, i)| i.identifier.as_str())
            .collect();
        self.held.retain(|id, _| listed.contains(id.as_str()));
        let wanted = manifest
            .declarations
            .iter()
            .filter(|(_, i)| {
                self.held
                    .get(&i.identifier)
                    .is_none_or(|h| h.server_token != i.server_token)
            })
            .map(|(c, i)| (c, i.identifier.clone(), i.server_token.clone()))
            .collect();
        self.declarations_token = Some(manifest.declarations_token);
        Ok(wanted)
    }

    /// Takes in a fetched declaration (`Err` with the HTTP status when it could not be
    /// fetched).
    pub fn on_declaration(
        &mut self,
        class: Class,
        identifier: &str,
        server_token: &str,
        body: Result<&[u8], u16>,
    ) {
        *self
            .counters
            .fetched
            .entry(identifier.to_owned())
            .or_default() += 1;
        let decoded = match body {
            Err(status) => Err((
                CANNOT_DECODE.to_owned(),
                format!("the server answered {status}"),
            )),
            Ok(bytes) => match Declaration::decode(bytes) {
                Err(e) => Err((CANNOT_DECODE.to_owned(), e.to_string())),
                Ok(d) if matches!(d.payload, Payload::Unknown { .. }) => Err((
                    UNKNOWN_TYPE.to_owned(),
                    format!("unknown type {}", d.declaration_type().as_str()),
                )),
                Ok(d) if d.identifier != identifier || d.class() != Some(class) => Err((
                    CANNOT_DECODE.to_owned(),
                    "identifier or class differs from the manifest".to_owned(),
                )),
                Ok(d) => Ok(d),
            },
        };
        self.held.insert(
            identifier.to_owned(),
            Held {
                class,
                server_token: server_token.to_owned(),
                decoded,
            },
        );
    }

    /// The status report to send now: a full one the first time, then the items that
    /// changed since the last report; `None` when nothing changed.
    pub fn status_report(&mut self, facts: &DeviceFacts) -> Option<Vec<u8>> {
        let (items, errors) = self.current_items(facts);
        let full = self.sent.is_none();
        let changed: Vec<(&String, &JsonValue)> = items
            .iter()
            .filter(|(k, v)| {
                self.sent
                    .as_ref()
                    .is_none_or(|sent| sent.get(k.as_str()) != Some(v))
            })
            .collect();
        if !full && changed.is_empty() {
            return None;
        }
        let mut root = JsonObject::new();
        for (name, value) in &changed {
            insert_path(&mut root, name, (*value).clone());
        }
        let mut report = JsonObject::new();
        report.insert("StatusItems".into(), JsonValue::Object(root));
        report.insert("Errors".into(), JsonValue::Array(errors));
        report.insert("FullReport".into(), JsonValue::Bool(full));
        self.sent = Some(items);
        self.counters.status_reports += 1;
        if full {
            self.counters.full_reports += 1;
        }
        serde_json::to_vec(&JsonValue::Object(report)).ok()
    }

    /// Every status item the device reports now (`management.declarations` and the
    /// subscribed ones it knows), and errors for subscribed ones it does not.
    fn current_items(&self, facts: &DeviceFacts) -> (BTreeMap<String, JsonValue>, Vec<JsonValue>) {
        let mut items = BTreeMap::new();
        items.insert(
            "management.declarations".to_owned(),
            self.declarations_item(),
        );
        let mut errors = Vec::new();
        for name in self.subscriptions() {
            match item_value(&name, facts) {
                Some(v) => {
                    items.insert(name, v);
                }
                None => errors.push(serde_json::json!({
                    "StatusItem": name,
                    "Reasons": [{"Code": UNSUPPORTED_STATUS_ITEM,
                        "Description": "the simulator does not report this item"}],
                })),
            }
        }
        (items, errors)
    }

    /// The status items named by the active `management.status-subscriptions`
    /// configurations.
    fn subscriptions(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for (id, h) in &self.held {
            if let Ok(d) = &h.decoded
                && let Payload::ManagementStatusSubscriptions(s) = &d.payload
                && self.is_active(id)
            {
                names.extend(s.status_items.iter().map(|i| i.name.clone()));
            }
        }
        names
    }

    /// Whether a held declaration is active (see the module documentation).
    fn is_active(&self, identifier: &str) -> bool {
        let Some(h) = self.held.get(identifier) else {
            return false;
        };
        if h.decoded.is_err() {
            return false;
        }
        match h.class {
            Class::Activation => self.activation_problem(h).is_none(),
            Class::Configuration => self.held.values().any(|a| {
                a.class == Class::Activation
                    && self.activation_problem(a).is_none()
                    && activation_names(a).iter().any(|c| c == identifier)
            }),
            Class::Asset | Class::Management => true,
        }
    }

    /// Why a valid activation cannot be active: a configuration it names is missing or
    /// invalid.
    fn activation_problem(&self, activation: &Held) -> Option<String> {
        activation_names(activation).into_iter().find(|c| {
            self.held
                .get(c)
                .is_none_or(|h| h.class != Class::Configuration || h.decoded.is_err())
        })
    }

    /// The `management.declarations` status item.
    fn declarations_item(&self) -> JsonValue {
        let mut by_class: BTreeMap<&str, Vec<JsonValue>> = BTreeMap::new();
        for c in Class::ALL {
            by_class.insert(class_key(c), Vec::new());
        }
        for (id, h) in &self.held {
            let mut entry = JsonObject::new();
            entry.insert("identifier".into(), JsonValue::String(id.clone()));
            entry.insert(
                "server-token".into(),
                JsonValue::String(h.server_token.clone()),
            );
            entry.insert("active".into(), JsonValue::Bool(self.is_active(id)));
            let reason = match &h.decoded {
                Err((code, why)) => Some((code.clone(), why.clone())),
                Ok(_) if h.class == Class::Activation => self.activation_problem(h).map(|c| {
                    (
                        MISSING_CONFIGURATION.to_owned(),
                        format!("configuration {c:?} is missing or invalid"),
                    )
                }),
                Ok(_) => None,
            };
            let valid = if h.decoded.is_ok() {
                "valid"
            } else {
                "invalid"
            };
            entry.insert("valid".into(), JsonValue::String(valid.into()));
            if let Some((code, description)) = reason {
                entry.insert(
                    "reasons".into(),
                    serde_json::json!([{"code": code, "description": description}]),
                );
            }
            if let Some(list) = by_class.get_mut(class_key(h.class)) {
                list.push(JsonValue::Object(entry));
            }
        }
        JsonValue::Object(
            by_class
                .into_iter()
                .map(|(k, v)| (k.to_owned(), JsonValue::Array(v)))
                .collect(),
        )
    }
}

/// The configurations an activation names (none for a declaration that is not a valid
/// simple activation).
fn activation_names(h: &Held) -> Vec<String> {
    match &h.decoded {
        Ok(d) => match &d.payload {
            Payload::SimpleActivation(a) => a.standard_configurations.clone(),
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    }
}

/// The key of a class in `management.declarations`.
fn class_key(c: Class) -> &'static str {
    match c {
        Class::Activation => "activations",
        Class::Asset => "assets",
        Class::Configuration => "configurations",
        Class::Management => "management",
    }
}

/// The value the simulator reports for a subscribable status item, from its facts.
fn item_value(name: &str, f: &DeviceFacts) -> Option<JsonValue> {
    let s = |v: &str| Some(JsonValue::String(v.to_owned()));
    let (family, os) = match f.family {
        Family::IPhone => ("iPhone", "iOS"),
        Family::IPad => ("iPad", "iPadOS"),
        Family::Mac => ("Mac", "macOS"),
    };
    match name {
        "device.identifier.serial-number" => s(&f.serial_number),
        "device.identifier.udid" => s(&f.udid),
        "device.model.family" => s(family),
        "device.model.identifier" => s(&f.product_name),
        "device.model.marketing-name" => s(&f.model_name),
        "device.operating-system.family" => s(os),
        "device.operating-system.version" => s(&f.os_version),
        "device.operating-system.build-version" => s(&f.build_version),
        "passcode.is-compliant" | "passcode.is-present" => Some(JsonValue::Bool(true)),
        _ => None,
    }
}

/// Puts `value` at the dotted `name` in `root` (`a.b` becomes `{"a": {"b": value}}`).
fn insert_path(root: &mut JsonObject, name: &str, value: JsonValue) {
    let mut node = root;
    let mut parts = name.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            node.insert(part.to_owned(), value);
            return;
        }
        let slot = node
            .entry(part.to_owned())
            .or_insert_with(|| JsonValue::Object(JsonObject::new()));
        if !slot.is_object() {
            *slot = JsonValue::Object(JsonObject::new());
        }
        let JsonValue::Object(next) = slot else {
            return;
        };
        node = next;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use mdm_declarative::{
        DeclarationSet, ManagementStatusSubscriptions, ManagementStatusSubscriptionsStatusItem,
        PasscodeSettings, SimpleActivation, StatusReport,
    };

    #[test]
    fn fetches_only_what_changed_and_reports_full_then_incremental() {
        let facts = DeviceFacts::new("t", 0);
        let mut set = DeclarationSet::new();
        set.insert(Declaration::new("p", PasscodeSettings::default()))
            .unwrap();
        let subs = ManagementStatusSubscriptions::new(vec![
            ManagementStatusSubscriptionsStatusItem::new("device.operating-system.version"),
            ManagementStatusSubscriptionsStatusItem::new("device.battery-health"),
        ]);
        set.insert(Declaration::new("s", subs)).unwrap();
        set.insert(Declaration::new(
            "a",
            SimpleActivation::new(vec!["p".into(), "s".into()]),
        ))
        .unwrap();
        let tokens = set.tokens(mdm_declarative::Utc::now()).encode().unwrap();
        let mut dev = DeclarativeState::new();
        assert!(dev.on_tokens(&tokens).unwrap());
        let want = dev.on_manifest(&set.manifest().encode().unwrap()).unwrap();
        assert_eq!(want.len(), 3);
        for (c, id, token) in &want {
            let body = set.get(id).unwrap().encode().unwrap();
            dev.on_declaration(*c, id, token, Ok(&body));
        }
        let full = StatusReport::decode(&dev.status_report(&facts).unwrap()).unwrap();
        assert!(full.is_full());
        let v = full.to_value().unwrap();
        assert_eq!(
            v["StatusItems"]["device"]["operating-system"]["version"],
            facts.os_version.as_str()
        );
        assert_eq!(v["Errors"][0]["StatusItem"], "device.battery-health");
        let configs = &v["StatusItems"]["management"]["declarations"]["configurations"];
        assert!(
            configs
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["active"] == true)
        );
        assert!(dev.status_report(&facts).is_none(), "nothing changed");

        // One change: only that one is fetched again; the report is incremental.
        set.insert(Declaration::new(
            "p",
            PasscodeSettings {
                minimum_length: Some(8),
                ..Default::default()
            },
        ))
        .unwrap();
        assert!(
            dev.on_tokens(&set.tokens(mdm_declarative::Utc::now()).encode().unwrap())
                .unwrap()
        );
        let want = dev.on_manifest(&set.manifest().encode().unwrap()).unwrap();
        assert_eq!(want.iter().map(|w| w.1.as_str()).collect::<Vec<_>>(), ["p"]);
        let body = set.get("p").unwrap().encode().unwrap();
        dev.on_declaration(Class::Configuration, "p", &want[0].2, Ok(&body));
        let inc = StatusReport::decode(&dev.status_report(&facts).unwrap()).unwrap();
        assert!(!inc.is_full());
        assert!(inc.status_items.get("management.declarations").is_some());
        assert!(
            inc.status_items
                .get("device.operating-system.version")
                .is_none()
        );
        assert_eq!(dev.counters().fetched["p"], 2);
        assert_eq!(dev.counters().fetched["a"], 1);
    }

    #[test]
    fn what_it_cannot_read_is_invalid_with_a_reason() {
        let facts = DeviceFacts::new("t", 1);
        let mut dev = DeclarativeState::new();
        dev.on_declaration(Class::Configuration, "x", "1", Ok(b"{not json"));
        dev.on_declaration(
            Class::Configuration,
            "u",
            "1",
            Ok(br#"{"Type":"com.apple.configuration.from-the-future","Identifier":"u","ServerToken":"1","Payload":{}}"#),
        );
        dev.on_declaration(
            Class::Activation,
            "a",
            "1",
            Ok(br#"{"Type":"com.apple.activation.simple","Identifier":"a","ServerToken":"1","Payload":{"StandardConfigurations":["u"]}}"#),
        );
        let v: JsonValue = serde_json::from_slice(&dev.status_report(&facts).unwrap()).unwrap();
        let d = &v["StatusItems"]["management"]["declarations"];
        for c in d["configurations"].as_array().unwrap() {
            assert_eq!(c["valid"], "invalid");
            assert_eq!(c["active"], false);
            assert!(c["reasons"][0]["code"].is_string());
        }
        assert_eq!(d["configurations"][0]["reasons"][0]["code"], UNKNOWN_TYPE);
        assert_eq!(d["configurations"][1]["reasons"][0]["code"], CANNOT_DECODE);
        assert_eq!(d["activations"][0]["valid"], "valid");
        assert_eq!(d["activations"][0]["active"], false);
        assert_eq!(
            d["activations"][0]["reasons"][0]["code"],
            MISSING_CONFIGURATION
        );
    }
}
