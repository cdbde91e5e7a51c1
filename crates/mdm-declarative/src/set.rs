//! A sans-IO declaration set: server tokens, the manifest, the declarations token, and a
//! validator.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::declaration::TOKEN_NAMESPACE;
use crate::{
    Class, DateTime, Declaration, DeclarationItemsResponse, Error, ManifestDeclarations,
    ManifestItem, Payload, Platform, SynchronizationTokens, TokensResponse, Utc, Version,
};

/// The declarations of one device (or of a set many devices share), by identifier.
///
/// Inserting a declaration gives it its content token ([`Declaration::content_token`]), so
/// the same content always carries the same `ServerToken` and any change a new one; the
/// `DeclarationsToken` is derived from every identifier and token, so it changes exactly
/// when the set does.
///
/// ```
/// use mdm_declarative::{Declaration, DeclarationSet, PasscodeSettings, SimpleActivation};
///
/// let mut set = DeclarationSet::new();
/// set.insert(Declaration::new("passcode", PasscodeSettings::default()))?;
/// set.insert(Declaration::new("activate", SimpleActivation::new(vec!["passcode".into()])))?;
/// assert!(set.validate().is_empty());
/// let manifest = set.manifest();
/// assert_eq!(manifest.declarations.configurations.len(), 1);
/// assert_eq!(manifest.declarations_token, set.declarations_token());
/// # Ok::<(), mdm_declarative::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeclarationSet {
    declarations: BTreeMap<String, Declaration>,
}

/// A problem [`DeclarationSet::validate`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// An activation names a configuration that is not in the set.
    MissingConfiguration {
        /// The activation.
        activation: String,
        /// The configuration it names.
        configuration: String,
    },
    /// A configuration refers to an asset that is not in the set.
    MissingAsset {
        /// The configuration.
        configuration: String,
        /// The key holding the reference.
        key: String,
        /// The asset identifier.
        asset: String,
    },
    /// A reference points at a declaration of the wrong class.
    WrongClass {
        /// The declaration holding the reference.
        from: String,
        /// The one it names.
        to: String,
        /// The class it should have.
        expected: Class,
    },
    /// The declaration type is not one this version knows.
    UnknownType {
        /// The declaration.
        identifier: String,
        /// Its type.
        declaration_type: String,
    },
    /// The type is not available on the target OS.
    TypeUnavailable {
        /// The declaration.
        identifier: String,
        /// Its type.
        declaration_type: String,
    },
    /// A payload key is not available on the target OS.
    KeyUnavailable {
        /// The declaration.
        identifier: String,
        /// The key.
        key: String,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingConfiguration {
                activation,
                configuration,
            } => write!(
                f,
                "activation {activation:?} names configuration {configuration:?}, which is not in the set"
            ),
            Self::MissingAsset {
                configuration,
                key,
                asset,
            } => write!(
                f,
                "configuration {configuration:?} refers to asset {asset:?} in {key}, which is not in the set"
            ),
            Self::WrongClass { from, to, expected } => {
                write!(f, "{from:?} refers to {to:?}, which is not an {expected}")
            }
            Self::UnknownType {
                identifier,
                declaration_type,
            } => write!(
                f,
                "{identifier:?} has the unknown type {declaration_type:?}"
            ),
            Self::TypeUnavailable {
                identifier,
                declaration_type,
            } => write!(
                f,
                "{identifier:?}: {declaration_type} is not available on the target OS"
            ),
            Self::KeyUnavailable { identifier, key } => {
                write!(
                    f,
                    "{identifier:?}: key {key} is not available on the target OS"
                )
            }
        }
    }
}

impl DeclarationSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a declaration, setting its `ServerToken` to its content token, and
    /// returns that token.
    ///
    /// # Errors
    /// When the payload cannot be written as JSON.
    pub fn insert(&mut self, mut declaration: Declaration) -> Result<String, Error> {
        let token = declaration.content_token()?;
        declaration.server_token = Some(token.clone());
        self.declarations
            .insert(declaration.identifier.clone(), declaration);
        Ok(token)
    }

    /// Removes a declaration.
    pub fn remove(&mut self, identifier: &str) -> Option<Declaration> {
        self.declarations.remove(identifier)
    }

    /// The declaration with this identifier.
    pub fn get(&self, identifier: &str) -> Option<&Declaration> {
        self.declarations.get(identifier)
    }

    /// Every declaration, by identifier.
    pub fn iter(&self) -> impl Iterator<Item = &Declaration> {
        self.declarations.values()
    }

    /// Number of declarations.
    pub fn len(&self) -> usize {
        self.declarations.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.declarations.is_empty()
    }

    /// The `DeclarationsToken`: a name-based UUID over every identifier and server token in
    /// identifier order.
    pub fn declarations_token(&self) -> String {
        declarations_token(self.declarations.values().map(|d| {
            (
                d.identifier.as_str(),
                d.server_token.as_deref().unwrap_or(""),
            )
        }))
    }

    /// The declaration-items answer. Declarations of a type outside the four classes are
    /// left out (a device could not place them).
    pub fn manifest(&self) -> DeclarationItemsResponse {
        let mut declarations = ManifestDeclarations::default();
        for d in self.declarations.values() {
            let item = ManifestItem::new(
                d.identifier.clone(),
                d.server_token.clone().unwrap_or_default(),
            );
            match d.class() {
                Some(Class::Activation) => declarations.activations.push(item),
                Some(Class::Asset) => declarations.assets.push(item),
                Some(Class::Configuration) => declarations.configurations.push(item),
                Some(Class::Management) => declarations.management.push(item),
                None => {}
            }
        }
        DeclarationItemsResponse {
            declarations,
            declarations_token: self.declarations_token(),
            extra: crate::JsonObject::new(),
        }
    }

    /// The tokens answer, with `timestamp` as the time the set last changed.
    pub fn tokens(&self, timestamp: DateTime<Utc>) -> TokensResponse {
        TokensResponse::new(SynchronizationTokens::new(
            self.declarations_token(),
            timestamp,
        ))
    }

    /// Checks references: every configuration an activation names is a configuration in
    /// the set, every asset a configuration refers to (a key ending in `AssetReference`) is
    /// an asset in the set; and that every type is known.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        for d in self.declarations.values() {
            if let Payload::Unknown {
                declaration_type, ..
            } = &d.payload
            {
                problems.push(Problem::UnknownType {
                    identifier: d.identifier.clone(),
                    declaration_type: declaration_type.clone(),
                });
            }
            if let Payload::SimpleActivation(a) = &d.payload {
                for c in &a.standard_configurations {
                    self.check_reference(&d.identifier, c, Class::Configuration, &mut problems);
                }
            }
            if d.class() == Some(Class::Configuration)
                && let Ok(Value::Object(payload)) = d.payload.to_value()
            {
                let mut refs = Vec::new();
                asset_references("", &Value::Object(payload), &mut refs);
                for (key, asset) in refs {
                    match self.declarations.get(&asset) {
                        None => problems.push(Problem::MissingAsset {
                            configuration: d.identifier.clone(),
                            key,
                            asset,
                        }),
                        Some(t) if t.class() != Some(Class::Asset) => {
                            problems.push(Problem::WrongClass {
                                from: d.identifier.clone(),
                                to: asset,
                                expected: Class::Asset,
                            });
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        problems
    }

    fn check_reference(&self, from: &str, to: &str, class: Class, problems: &mut Vec<Problem>) {
        match self.declarations.get(to) {
            None => problems.push(Problem::MissingConfiguration {
                activation: from.to_owned(),
                configuration: to.to_owned(),
            }),
            Some(t) if t.class() != Some(class) => problems.push(Problem::WrongClass {
                from: from.to_owned(),
                to: to.to_owned(),
                expected: class,
            }),
            Some(_) => {}
        }
    }

    /// [`DeclarationSet::validate`] plus availability: every type, and every top-level
    /// payload key present, must be available on `platform` at `version`.
    pub fn validate_for(&self, platform: Platform, version: Version) -> Vec<Problem> {
        let mut problems = self.validate();
        for d in self.declarations.values() {
            let ty = d.declaration_type();
            if !ty.is_known() {
                continue;
            }
            if !ty.supports(platform, version) {
                problems.push(Problem::TypeUnavailable {
                    identifier: d.identifier.clone(),
                    declaration_type: ty.as_str().to_owned(),
                });
                continue;
            }
            if let Ok(Value::Object(payload)) = d.payload.to_value() {
                for key in payload.keys() {
                    let ok = ty
                        .key_availability(key, platform)
                        .is_none_or(|a| a.supports(version));
                    if !ok {
                        problems.push(Problem::KeyUnavailable {
                            identifier: d.identifier.clone(),
                            key: key.clone(),
                        });
                    }
                }
            }
        }
        problems
    }
}

/// The `DeclarationsToken` of a manifest given as `(identifier, server token)` pairs (in
/// any order): what [`DeclarationSet::declarations_token`] computes, for a server that keeps
/// its set in a database rather than in a [`DeclarationSet`].
pub fn declarations_token<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = items.into_iter().collect();
    pairs.sort_unstable();
    let mut bytes = Vec::new();
    for (id, token) in pairs {
        bytes.extend_from_slice(id.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(token.as_bytes());
        bytes.push(b'\n');
    }
    uuid::Uuid::new_v5(&TOKEN_NAMESPACE, &bytes).to_string()
}

fn asset_references(path: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if k.ends_with("AssetReference")
                    && let Value::String(s) = v
                {
                    out.push((here.clone(), s.clone()));
                }
                if k.ends_with("AssetReferences")
                    && let Value::Array(items) = v
                {
                    for s in items.iter().filter_map(Value::as_str) {
                        out.push((here.clone(), s.to_owned()));
                    }
                }
                asset_references(&here, v, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                asset_references(path, v, out);
            }
        }
        _ => {}
    }
}
