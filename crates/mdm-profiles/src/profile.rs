//! The profile envelope ([`Profile`]) and what every payload shares ([`PayloadBody`],
//! [`Common`], [`CommonMut`]).

use mdm_plist::{Dictionary, Value};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::generated::Payload;

mdm_plist::plist_dict! {
    /// A configuration profile: the top-level dictionary of a `.mobileconfig` file.
    ///
    /// Every key of the schema's top level is a field (`PayloadContent` holds typed
    /// [`Payload`]s); keys the schema does not list land in `extra`. Fields are optional here
    /// so that real files decode; [`crate::validate`] reports what the schema requires.
    /// Build new profiles with [`Profile::builder`].
    ///
    /// Schema: [`mdm/profiles/TopLevel.yaml`](https://github.com/apple/device-management/blob/release/mdm/profiles/TopLevel.yaml);
    /// Apple's page: <https://developer.apple.com/documentation/devicemanagement/toplevel>.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct Profile {
        /// `PayloadIdentifier`: reverse-DNS identifier of the profile, unique on a device.
        "PayloadIdentifier" => pub payload_identifier: Option<String>,
        /// `PayloadUUID`: unique identifier of this version of the profile.
        "PayloadUUID" => pub payload_uuid: Option<String>,
        /// `PayloadType`: always `Configuration` for a profile.
        "PayloadType" => pub payload_type: Option<String>,
        /// `PayloadVersion`: the format version, `1`.
        "PayloadVersion" => pub payload_version: Option<i64>,
        /// `IsEncrypted`: the payloads are in `EncryptedPayloadContent`.
        "IsEncrypted" => pub is_encrypted: Option<bool>,
        /// `PayloadContent`: the payloads.
        "PayloadContent" => pub payload_content: Vec<Payload>,
        /// `EncryptedPayloadContent`: CMS-encrypted payloads (decrypt with `mdm-signing`).
        "EncryptedPayloadContent" => pub encrypted_payload_content: Option<mdm_plist::Data>,
        /// `PayloadDescription`: shown to the user.
        "PayloadDescription" => pub payload_description: Option<String>,
        /// `PayloadDisplayName`: shown to the user.
        "PayloadDisplayName" => pub payload_display_name: Option<String>,
        /// `HasRemovalPasscode`: removal needs a passcode (set by the device).
        "HasRemovalPasscode" => pub has_removal_passcode: Option<bool>,
        /// `PayloadOrganization`: shown to the user.
        "PayloadOrganization" => pub payload_organization: Option<String>,
        /// `PayloadRemovalDisallowed`: the user may not remove the profile.
        "PayloadRemovalDisallowed" => pub payload_removal_disallowed: Option<bool>,
        /// `PayloadScope`: `User` or `System` (macOS).
        "PayloadScope" => pub payload_scope: Option<String>,
        /// `RemovalDate`: when the device removes the profile.
        "RemovalDate" => pub removal_date: Option<mdm_plist::Date>,
        /// `DurationUntilRemoval`: seconds after installation until removal.
        "DurationUntilRemoval" => pub duration_until_removal: Option<f64>,
        /// `PayloadExpirationDate`: when an over-the-air profile expires.
        "PayloadExpirationDate" => pub payload_expiration_date: Option<mdm_plist::Date>,
        /// `TargetDeviceType`: the device family the profile is for (`0` any, `1` iPhone/iPad,
        /// `2` watch, `3` HomePod, `4` Apple TV, `5` Mac, `6` Vision).
        "TargetDeviceType" => pub target_device_type: Option<i64>,
        /// `ConsentText`: language code to consent text shown before installation.
        "ConsentText" => pub consent_text: Option<Dictionary>,
    }
}

impl Profile {
    /// The payloads.
    pub fn payloads(&self) -> &[Payload] {
        &self.payload_content
    }

    /// Encodes the profile as an XML plist (unsigned).
    ///
    /// # Errors
    /// When a value cannot be encoded (a payload body that is not a plist).
    pub fn encode(&self) -> Result<Vec<u8>, crate::Error> {
        Ok(mdm_plist::to_xml_bytes(self)?)
    }

    /// The profile as an untyped plist value.
    ///
    /// # Errors
    /// As [`Profile::encode`].
    pub fn to_value(&self) -> Result<Value, crate::Error> {
        Ok(mdm_plist::to_value(self)?)
    }
}

/// The common payload keys of a typed payload, read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Common<'a> {
    /// `PayloadIdentifier`.
    pub identifier: Option<&'a str>,
    /// `PayloadUUID`.
    pub uuid: Option<&'a str>,
    /// `PayloadVersion`.
    pub version: Option<i64>,
    /// `PayloadDisplayName`.
    pub display_name: Option<&'a str>,
    /// `PayloadDescription`.
    pub description: Option<&'a str>,
    /// `PayloadOrganization`.
    pub organization: Option<&'a str>,
}

/// The common payload keys of a typed payload, writable.
#[derive(Debug)]
pub struct CommonMut<'a> {
    /// `PayloadIdentifier`.
    pub identifier: &'a mut Option<String>,
    /// `PayloadUUID`.
    pub uuid: &'a mut Option<String>,
    /// `PayloadVersion`.
    pub version: &'a mut Option<i64>,
    /// `PayloadDisplayName`.
    pub display_name: &'a mut Option<String>,
    /// `PayloadDescription`.
    pub description: &'a mut Option<String>,
    /// `PayloadOrganization`.
    pub organization: &'a mut Option<String>,
}

/// What every generated payload struct implements.
pub trait PayloadBody {
    /// The `PayloadType` string.
    const PAYLOAD_TYPE: &'static str;

    /// The common payload keys.
    fn common(&self) -> Common<'_>;

    /// The common payload keys, writable.
    fn common_mut(&mut self) -> CommonMut<'_>;
}

fn body_str<'a>(body: &'a Dictionary, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_string)
}

impl Payload {
    /// The common payload keys, for typed and unknown payloads alike.
    pub fn common(&self) -> Common<'_> {
        match self {
            Self::Unknown { body, .. } => Common {
                identifier: body_str(body, "PayloadIdentifier"),
                uuid: body_str(body, "PayloadUUID"),
                version: body
                    .get("PayloadVersion")
                    .and_then(Value::as_signed_integer),
                display_name: body_str(body, "PayloadDisplayName"),
                description: body_str(body, "PayloadDescription"),
                organization: body_str(body, "PayloadOrganization"),
            },
            typed => typed.typed_common().unwrap_or_default(),
        }
    }

    /// `PayloadIdentifier`.
    pub fn identifier(&self) -> Option<&str> {
        self.common().identifier
    }

    /// `PayloadUUID`.
    pub fn uuid(&self) -> Option<&str> {
        self.common().uuid
    }

    fn set_str(&mut self, key: &str, value: String) {
        match self {
            Self::Unknown { body, .. } => {
                body.insert(key.to_owned(), Value::String(value));
            }
            typed => {
                if let Some(c) = typed.typed_common_mut() {
                    let slot = match key {
                        "PayloadIdentifier" => c.identifier,
                        "PayloadUUID" => c.uuid,
                        "PayloadDisplayName" => c.display_name,
                        "PayloadDescription" => c.description,
                        _ => c.organization,
                    };
                    *slot = Some(value);
                }
            }
        }
    }

    /// Sets `PayloadIdentifier`.
    pub fn set_identifier(&mut self, value: impl Into<String>) {
        self.set_str("PayloadIdentifier", value.into());
    }

    /// Sets `PayloadUUID`.
    pub fn set_uuid(&mut self, value: impl Into<String>) {
        self.set_str("PayloadUUID", value.into());
    }

    /// Sets `PayloadVersion`.
    pub fn set_version(&mut self, value: i64) {
        match self {
            Self::Unknown { body, .. } => {
                body.insert("PayloadVersion".into(), Value::Integer(value.into()));
            }
            typed => {
                if let Some(c) = typed.typed_common_mut() {
                    *c.version = Some(value);
                }
            }
        }
    }

    /// A payload of a type this crate does not model (a custom preference domain, say), from
    /// its keys. A `PayloadType` key in `body` is dropped (the argument wins).
    pub fn custom(payload_type: impl Into<String>, mut body: Dictionary) -> Self {
        body.remove("PayloadType");
        Self::Unknown {
            payload_type: payload_type.into(),
            body,
        }
    }

    /// Decodes a payload dictionary as received: a typed variant when its `PayloadType` is
    /// in the schema and its keys fit, [`Payload::Unknown`] otherwise.
    ///
    /// # Errors
    /// When the dictionary has no `PayloadType` string.
    pub fn from_dictionary(dict: &Dictionary) -> Result<Self, crate::Error> {
        Self::from_dictionary_checked(dict).map(|(p, _)| p)
    }

    /// As [`Payload::from_dictionary`], also saying why a known type was kept untyped.
    pub(crate) fn from_dictionary_checked(
        dict: &Dictionary,
    ) -> Result<(Self, Result<Vec<String>, String>), crate::Error> {
        let Some(pt) = dict.get("PayloadType").and_then(Value::as_string) else {
            return Err(crate::Error::BadPayload {
                index: 0,
                reason: "no PayloadType string".into(),
            });
        };
        let mut body = dict.clone();
        crate::support::remove_in_order(&mut body, "PayloadType");
        match Self::typed(pt, &body) {
            Ok((p, moved)) => Ok((p, Ok(moved))),
            Err(e) => Ok((
                Self::Unknown {
                    payload_type: pt.to_owned(),
                    body,
                },
                Err(e.to_string()),
            )),
        }
    }

    /// The payload dictionary, `PayloadType` first.
    ///
    /// # Errors
    /// When a value cannot be encoded.
    pub fn to_dictionary(&self) -> Result<Dictionary, crate::Error> {
        let mut out = Dictionary::new();
        out.insert(
            "PayloadType".into(),
            Value::String(self.payload_type().to_owned()),
        );
        for (k, v) in self.body()? {
            if k != "PayloadType" {
                out.insert(k, v);
            }
        }
        Ok(out)
    }
}

impl Serialize for Payload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        self.to_dictionary()
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Payload {
    /// Lenient: a known type whose keys do not fit its schema comes back as
    /// [`Payload::Unknown`] (use [`crate::Decoded::decode`] to learn why).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match crate::decode::next_payload_type() {
            crate::decode::Hint::Inactive => {}
            crate::decode::Hint::Next(payload_type) => {
                return Payload::typed_direct(&payload_type, deserializer);
            }
            crate::decode::Hint::Exhausted => {
                return Err(D::Error::custom("more payloads than the scan found"));
            }
        }
        let dict = Dictionary::deserialize(deserializer)?;
        Payload::from_dictionary(&dict).map_err(D::Error::custom)
    }
}
