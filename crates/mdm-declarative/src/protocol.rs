//! The bodies of the declarative-management endpoints and of the `DeclarativeManagement`
//! command: tokens, the declaration-items manifest.

use crate::json::{self, MAX_BODY_BYTES};
use crate::{DateTime, Error, JsonObject, Utc};

crate::json_dict! {
    /// `SyncTokens`: what the device compares to know whether its set changed. Sent in the
    /// `tokens` answer and, base64 in `Data`, in the `DeclarativeManagement` command.
    #[derive(Debug, Clone, PartialEq)]
    pub struct SynchronizationTokens {
        /// `DeclarationsToken`: changes whenever the device's set of declarations changes.
        "DeclarationsToken" => pub declarations_token: String,
        /// `Timestamp`: when the set last changed (RFC 3339).
        "Timestamp" => pub timestamp: DateTime<Utc>,
    }
}

impl SynchronizationTokens {
    /// Tokens from their two required keys.
    pub fn new(declarations_token: impl Into<String>, timestamp: DateTime<Utc>) -> Self {
        Self {
            declarations_token: declarations_token.into(),
            timestamp,
            extra: JsonObject::new(),
        }
    }
}

crate::json_dict! {
    /// The answer to the `tokens` endpoint, also the JSON inside the `DeclarativeManagement`
    /// command's `Data`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct TokensResponse {
        /// `SyncTokens`.
        "SyncTokens" => pub sync_tokens: SynchronizationTokens,
    }
}

impl TokensResponse {
    /// The response around `sync_tokens`.
    pub fn new(sync_tokens: SynchronizationTokens) -> Self {
        Self {
            sync_tokens,
            extra: JsonObject::new(),
        }
    }

    /// Decodes the body within the limits.
    ///
    /// # Errors
    /// A limit, syntax or shape error.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        json::decode(bytes, MAX_BODY_BYTES)
    }

    /// Encodes the body as compact JSON.
    ///
    /// # Errors
    /// When a value cannot be written as JSON.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        json::encode(self)
    }
}

crate::json_dict! {
    /// One manifest entry: a declaration's identifier and revision.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ManifestItem {
        /// `Identifier`.
        "Identifier" => pub identifier: String,
        /// `ServerToken`.
        "ServerToken" => pub server_token: String,
    }
}

impl ManifestItem {
    /// An entry from its two keys.
    pub fn new(identifier: impl Into<String>, server_token: impl Into<String>) -> Self {
        Self {
            identifier: identifier.into(),
            server_token: server_token.into(),
            extra: JsonObject::new(),
        }
    }
}

crate::json_dict! {
    /// The `Declarations` of a declaration-items answer: the entries by class.
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct ManifestDeclarations {
        /// `Activations`.
        "Activations" => pub activations: Vec<ManifestItem>,
        /// `Assets`.
        "Assets" => pub assets: Vec<ManifestItem>,
        /// `Configurations`.
        "Configurations" => pub configurations: Vec<ManifestItem>,
        /// `Management`.
        "Management" => pub management: Vec<ManifestItem>,
    }
}

impl ManifestDeclarations {
    /// The entries of one class.
    pub fn of_class(&self, class: crate::Class) -> &[ManifestItem] {
        match class {
            crate::Class::Activation => &self.activations,
            crate::Class::Asset => &self.assets,
            crate::Class::Configuration => &self.configurations,
            crate::Class::Management => &self.management,
        }
    }

    /// Every entry with its class.
    pub fn iter(&self) -> impl Iterator<Item = (crate::Class, &ManifestItem)> {
        crate::Class::ALL
            .into_iter()
            .flat_map(move |c| self.of_class(c).iter().map(move |i| (c, i)))
    }
}

crate::json_dict! {
    /// The answer to the `declaration-items` endpoint: the manifest of the device's set.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct DeclarationItemsResponse {
        /// `Declarations`.
        "Declarations" => pub declarations: ManifestDeclarations,
        /// `DeclarationsToken`: the same token the `tokens` answer carries.
        "DeclarationsToken" => pub declarations_token: String,
    }
}

impl DeclarationItemsResponse {
    /// Decodes the body within the limits.
    ///
    /// # Errors
    /// A limit, syntax or shape error.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        json::decode(bytes, MAX_BODY_BYTES)
    }

    /// Encodes the body as compact JSON.
    ///
    /// # Errors
    /// When a value cannot be written as JSON.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        json::encode(self)
    }
}
