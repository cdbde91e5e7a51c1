//! The status report a device sends to the `status` endpoint.

use serde_json::Value;

use crate::json::{self, MAX_BODY_BYTES};
use crate::{Error, JsonObject, StatusItem, StatusItemName};

crate::json_dict! {
    /// One entry of a status report's `Errors`: a status item the device could not report.
    #[derive(Debug, Clone, PartialEq)]
    pub struct StatusError {
        /// `StatusItem`: the item's dotted name.
        "StatusItem" => pub status_item: String,
        /// `Reasons`: why.
        "Reasons" => pub reasons: Option<Vec<StatusReason>>,
    }
}

impl StatusError {
    /// An error for `status_item` with no reasons.
    pub fn new(status_item: impl Into<String>) -> Self {
        Self {
            status_item: status_item.into(),
            reasons: None,
            extra: JsonObject::new(),
        }
    }
}

crate::json_dict! {
    /// One reason of a [`StatusError`].
    #[derive(Debug, Clone, PartialEq)]
    pub struct StatusReason {
        /// `Code`: the error code (`Error.ConfigurationCannotBeApplied`).
        "Code" => pub code: String,
        /// `Description`: for people.
        "Description" => pub description: Option<String>,
        /// `Details`: more facts, free-form.
        "Details" => pub details: Option<JsonObject>,
    }
}

impl StatusReason {
    /// A reason with only its code.
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            description: None,
            details: None,
            extra: JsonObject::new(),
        }
    }
}

/// The status items of a report. On the wire they nest by the parts of their dotted names
/// (`{"passcode": {"is-compliant": true}}` is `passcode.is-compliant`); here they are a flat
/// list in the order met, each typed when the schema knows it. A subtree no known name
/// reaches is kept whole as one [`StatusItem::Unknown`], so re-encoding loses nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatusItems {
    /// The items.
    pub items: Vec<StatusItem>,
}

impl StatusItems {
    /// The item named `name`, if the report has it.
    pub fn get(&self, name: &str) -> Option<&StatusItem> {
        self.items.iter().find(|i| i.name() == name)
    }

    /// Adds an item, replacing one of the same name.
    pub fn set(&mut self, item: StatusItem) {
        match self.items.iter_mut().find(|i| i.name() == item.name()) {
            Some(slot) => *slot = item,
            None => self.items.push(item),
        }
    }

    /// Splits a `StatusItems` object into items.
    pub fn from_object(object: JsonObject) -> Self {
        let mut items = Vec::new();
        walk("", object, &mut items);
        Self { items }
    }

    /// Nests the items back into the wire object.
    ///
    /// # Errors
    /// When two items collide (an item named `a` and another named `a.b`).
    pub fn to_object(&self) -> Result<JsonObject, Error> {
        let mut root = JsonObject::new();
        for item in &self.items {
            let value = item.to_value().map_err(|e| Error::encode(&e))?;
            insert_path(&mut root, item.name(), value)?;
        }
        Ok(root)
    }
}

fn is_prefix_of_known(prefix: &str) -> bool {
    StatusItemName::KNOWN.iter().any(|k| {
        k.len() > prefix.len()
            && k.starts_with(prefix)
            && k.as_bytes().get(prefix.len()) == Some(&b'.')
    })
}

fn walk(prefix: &str, object: JsonObject, out: &mut Vec<StatusItem>) {
    for (key, value) in object {
        let name = if prefix.is_empty() {
            key
        } else {
            format!("{prefix}.{key}")
        };
        if StatusItem::is_known_name(&name) {
            out.push(StatusItem::from_value(&name, value));
            continue;
        }
        match value {
            Value::Object(inner) if !inner.is_empty() && is_prefix_of_known(&name) => {
                walk(&name, inner, out);
            }
            value => out.push(StatusItem::Unknown { name, value }),
        }
    }
}

fn insert_path(root: &mut JsonObject, name: &str, value: Value) -> Result<(), Error> {
    let mut parts = name.split('.').peekable();
    let mut node = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            if node.contains_key(part) {
                return Err(Error::shape(name, "two status items share this name"));
            }
            node.insert(part.to_owned(), value);
            return Ok(());
        }
        let slot = node
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(JsonObject::new()));
        node = match slot {
            Value::Object(o) => o,
            _ => {
                return Err(Error::shape(
                    name,
                    "a status item sits inside another's value",
                ));
            }
        };
    }
    Ok(())
}

/// A status report: the body of the `status` endpoint.
///
/// ```
/// use mdm_declarative::{StatusItem, StatusReport};
///
/// let body = br#"{"StatusItems":{"passcode":{"is-compliant":true}},"Errors":[],"FullReport":true}"#;
/// let report = StatusReport::decode(body)?;
/// assert!(report.is_full());
/// assert_eq!(report.status_items.get("passcode.is-compliant"), Some(&StatusItem::PasscodeIsCompliant(true)));
/// assert_eq!(StatusReport::decode(&report.encode()?)?, report);
/// # Ok::<(), mdm_declarative::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct StatusReport {
    /// `StatusItems`.
    pub status_items: StatusItems,
    /// `Errors` (`None` when the device left the key out).
    pub errors: Option<Vec<StatusError>>,
    /// `FullReport`: true for a full report (every item, the whole of each list), false or
    /// absent for an incremental one.
    pub full_report: Option<bool>,
    /// Top-level keys besides the three, kept as received.
    pub extra: JsonObject,
}

impl StatusReport {
    /// Whether this report replaces everything the server knows about the device.
    pub fn is_full(&self) -> bool {
        self.full_report == Some(true)
    }

    /// Decodes a status report within [`MAX_BODY_BYTES`] and [`crate::MAX_DEPTH`].
    ///
    /// # Errors
    /// A limit, syntax or shape error (the path names the key).
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Self::decode_with_limit(bytes, MAX_BODY_BYTES)
    }

    /// [`StatusReport::decode`] with another size limit.
    ///
    /// # Errors
    /// As for [`StatusReport::decode`].
    pub fn decode_with_limit(bytes: &[u8], max_bytes: usize) -> Result<Self, Error> {
        let value: Value = json::decode(bytes, max_bytes)?;
        Self::from_value(value)
    }

    /// Types a parsed JSON value as a status report.
    ///
    /// # Errors
    /// A shape error naming the key.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        let Value::Object(mut object) = value else {
            return Err(Error::shape(".", "a status report must be a JSON object"));
        };
        let status_items = match object.remove("StatusItems") {
            Some(Value::Object(o)) => StatusItems::from_object(o),
            Some(_) => return Err(Error::shape("StatusItems", "must be a JSON object")),
            None => return Err(Error::shape(".", "missing required key \"StatusItems\"")),
        };
        let errors = match object.remove("Errors") {
            None => None,
            Some(v) => Some(json::from_value::<Vec<StatusError>>(v, "Errors")?),
        };
        let full_report = match object.remove("FullReport") {
            None => None,
            Some(Value::Bool(b)) => Some(b),
            Some(_) => return Err(Error::shape("FullReport", "must be a boolean")),
        };
        Ok(Self {
            status_items,
            errors,
            full_report,
            extra: object,
        })
    }

    /// The report as a JSON value.
    ///
    /// # Errors
    /// When items collide or a value cannot be written as JSON.
    pub fn to_value(&self) -> Result<Value, Error> {
        let mut object = JsonObject::new();
        object.insert(
            "StatusItems".into(),
            Value::Object(self.status_items.to_object()?),
        );
        if let Some(errors) = &self.errors {
            object.insert(
                "Errors".into(),
                serde_json::to_value(errors).map_err(|e| Error::encode(&e))?,
            );
        }
        if let Some(full) = self.full_report {
            object.insert("FullReport".into(), Value::Bool(full));
        }
        for (k, v) in &self.extra {
            object.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(object))
    }

    /// Encodes the report as compact JSON.
    ///
    /// # Errors
    /// As for [`StatusReport::to_value`].
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        json::encode(&self.to_value()?)
    }
}
