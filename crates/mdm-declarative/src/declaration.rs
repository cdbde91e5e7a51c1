//! The declaration envelope: `Type`, `Identifier`, `ServerToken` and `Payload`.

use serde_json::Value;

use crate::json::{self, MAX_BODY_BYTES};
use crate::{DeclarationType, Error, JsonObject, Payload};

/// The four classes of declarations, from the second part of the type
/// (`com.apple.configuration.passcode.settings` is a configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// `com.apple.activation.*`: says which configurations to apply and when.
    Activation,
    /// `com.apple.asset.*`: data that configurations refer to.
    Asset,
    /// `com.apple.configuration.*`: a policy or setting.
    Configuration,
    /// `com.apple.management.*`: facts about the management relationship.
    Management,
}

impl Class {
    /// All four, in manifest order.
    pub const ALL: [Class; 4] = [
        Self::Activation,
        Self::Asset,
        Self::Configuration,
        Self::Management,
    ];

    /// The class of a declaration type string, `None` outside `com.apple.{activation, asset,
    /// configuration, management}.*`.
    pub fn of_type(declaration_type: &str) -> Option<Self> {
        let rest = declaration_type.strip_prefix("com.apple.")?;
        let (class, _) = rest.split_once('.')?;
        match class {
            "activation" => Some(Self::Activation),
            "asset" => Some(Self::Asset),
            "configuration" => Some(Self::Configuration),
            "management" => Some(Self::Management),
            _ => None,
        }
    }

    /// The word a declaration path and a status report use (`activation`, `asset`,
    /// `configuration`, `management`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activation => "activation",
            Self::Asset => "asset",
            Self::Configuration => "configuration",
            Self::Management => "management",
        }
    }

    /// The inverse of [`Class::as_str`].
    pub fn from_path_word(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == word)
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Implemented by every generated declaration payload struct.
pub trait DeclarationPayload: Into<Payload> {
    /// The declaration `Type` string.
    const TYPE: &'static str;
    /// Its class.
    const CLASS: Class;
}

/// One declaration: the common envelope around a typed [`Payload`].
///
/// ```
/// use mdm_declarative::{Declaration, PasscodeSettings};
///
/// let passcode = PasscodeSettings { minimum_length: Some(6), ..Default::default() };
/// let d = Declaration::new("passcode", passcode).with_server_token("1");
/// let bytes = d.encode()?;
/// let back = Declaration::decode(&bytes)?;
/// assert_eq!(back, d);
/// assert_eq!(back.declaration_type().as_str(), "com.apple.configuration.passcode.settings");
/// # Ok::<(), mdm_declarative::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Declaration {
    /// `Identifier`: unique within the device's set.
    pub identifier: String,
    /// `ServerToken`: the revision. `None` before a [`crate::DeclarationSet`] assigns one
    /// (a declaration uploaded to a server without one).
    pub server_token: Option<String>,
    /// `Type` and `Payload`.
    pub payload: Payload,
    /// Envelope keys besides the four, kept as received.
    pub extra: JsonObject,
}

impl Declaration {
    /// A declaration with no server token yet.
    pub fn new(identifier: impl Into<String>, payload: impl Into<Payload>) -> Self {
        Self {
            identifier: identifier.into(),
            server_token: None,
            payload: payload.into(),
            extra: JsonObject::new(),
        }
    }

    /// Sets the `ServerToken`.
    pub fn with_server_token(mut self, token: impl Into<String>) -> Self {
        self.server_token = Some(token.into());
        self
    }

    /// The `Type`.
    pub fn declaration_type(&self) -> DeclarationType {
        self.payload.declaration_type()
    }

    /// Its class, from the type; `None` for a type outside the four classes.
    pub fn class(&self) -> Option<Class> {
        Class::of_type(self.declaration_type().as_str())
    }

    /// Decodes a declaration document within [`MAX_BODY_BYTES`] and [`crate::MAX_DEPTH`]. An
    /// unknown `Type` decodes as [`Payload::Unknown`]; a known one whose payload does not
    /// match the schema is an error naming the key (`Payload.MinimumLength`).
    ///
    /// # Errors
    /// A limit, syntax or shape error.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_value(json::decode(bytes, MAX_BODY_BYTES)?)
    }

    /// Types a parsed JSON value as a declaration.
    ///
    /// # Errors
    /// A shape error naming the key.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        let Value::Object(mut object) = value else {
            return Err(Error::shape(".", "a declaration must be a JSON object"));
        };
        let declaration_type = take_string(&mut object, "Type")?
            .ok_or_else(|| Error::shape(".", "missing required key \"Type\""))?;
        let identifier = take_string(&mut object, "Identifier")?
            .ok_or_else(|| Error::shape(".", "missing required key \"Identifier\""))?;
        let server_token = take_string(&mut object, "ServerToken")?;
        let payload = match object.remove("Payload") {
            Some(Value::Object(p)) => p,
            Some(_) => return Err(Error::shape("Payload", "must be a JSON object")),
            None => return Err(Error::shape(".", "missing required key \"Payload\"")),
        };
        let payload = Payload::from_object(&declaration_type, payload)
            .map_err(|e| Error::from_path("Payload", e))?;
        Ok(Self {
            identifier,
            server_token,
            payload,
            extra: object,
        })
    }

    /// The declaration as a JSON value (envelope keys first, then `Payload`, then extras).
    ///
    /// # Errors
    /// When a value cannot be written as JSON.
    pub fn to_value(&self) -> Result<Value, Error> {
        let mut object = JsonObject::new();
        object.insert(
            "Type".into(),
            Value::String(self.declaration_type().as_str().to_owned()),
        );
        object.insert("Identifier".into(), Value::String(self.identifier.clone()));
        if let Some(t) = &self.server_token {
            object.insert("ServerToken".into(), Value::String(t.clone()));
        }
        object.insert(
            "Payload".into(),
            self.payload.to_value().map_err(|e| Error::encode(&e))?,
        );
        for (k, v) in &self.extra {
            object.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(object))
    }

    /// Encodes the declaration document as compact JSON.
    ///
    /// # Errors
    /// When a value cannot be written as JSON.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        json::encode(&self.to_value()?)
    }

    /// The `ServerToken` this content earns: a name-based UUID (SHA-1, RFC 9562 version 5)
    /// of the canonical JSON of everything but the `ServerToken` itself. The same content
    /// gives the same token whatever the key order; any change of type, identifier, payload
    /// or extra envelope keys gives a new one.
    ///
    /// # Errors
    /// When a value cannot be written as JSON.
    pub fn content_token(&self) -> Result<String, Error> {
        let mut value = self.to_value()?;
        if let Value::Object(o) = &mut value {
            o.remove("ServerToken");
        }
        Ok(uuid::Uuid::new_v5(&TOKEN_NAMESPACE, &json::canonical_json(&value)).to_string())
    }
}

/// The namespace of content tokens (a fixed random UUID of ours).
pub(crate) const TOKEN_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6d1c_3a7e_52b4_4f0e_9a3d_1e0b_7c55_d2a1);

fn take_string(object: &mut JsonObject, key: &str) -> Result<Option<String>, Error> {
    match object.remove(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Error::shape(key, "must be a string")),
    }
}
