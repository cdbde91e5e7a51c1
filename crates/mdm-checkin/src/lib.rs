//! The Apple MDM check-in protocol: the messages a device sends to the server's check-in URL,
//! and the bodies the server answers with.
//!
//! [`CheckinMessage::decode`] turns a request body into a typed [`Message`]: it reads the
//! `MessageType`, decodes the matching type ([`Authenticate`], [`TokenUpdate`],
//! [`CheckOut`], [`UserAuthenticate`], [`GetBootstrapToken`], [`SetBootstrapToken`],
//! [`DeclarativeManagement`], [`GetToken`]), keeps every key it does not model, keeps the
//! raw bytes, and returns [`Message::Unknown`] for a `MessageType` this version does not
//! know. Bodies enter only through `mdm-plist`'s bounded decoder, so hostile input gets a
//! typed [`Error`], never a panic.
//!
//! [`Enrollment`] and [`enrollment_id`] tell a server which enrollment and channel a message
//! speaks for. [`UserAuthenticateResponse`], [`BootstrapTokenResponse`],
//! [`GetTokenResponse`] and [`DeclarativeManagementResponse`] are the answers.
//!
//! Keys, types and platform facts come from Apple's schema (`mdm/checkin/` in
//! [apple/device-management](https://github.com/apple/device-management)); see Apple's
//! [check-in documentation](https://developer.apple.com/documentation/devicemanagement/check-in).
//!
//! ```
//! use mdm_checkin::{CheckinMessage, Message};
//!
//! let body = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <plist version="1.0"><dict>
//!   <key>MessageType</key><string>TokenUpdate</string>
//!   <key>PushMagic</key><string>8E1F4D4C-1B1B-4C2C-9A43-6E6C1B2C3D4E</string>
//!   <key>Token</key><data>q83vASNFZ4k=</data>
//!   <key>Topic</key><string>com.apple.mgmt.External.1f2e3d4c</string>
//!   <key>UDID</key><string>00008030-001A2B3C4D5E802E</string>
//!   <key>SomethingNew</key><true/>
//! </dict></plist>"#;
//!
//! let msg = CheckinMessage::decode(body)?;
//! let Message::TokenUpdate(update) = msg.message() else { unreachable!() };
//! assert_eq!(update.token.to_hex(), "abcdef0123456789");
//! assert_eq!(msg.enrollment_id()?, "00008030-001A2B3C4D5E802E");
//! assert!(update.extra.contains_key("SomethingNew"));
//! assert_eq!(msg.raw(), &body[..]);
//!
//! // Re-encoding keeps every key, the unknown one included.
//! let again = CheckinMessage::decode(&msg.encode()?)?;
//! assert_eq!(again.message(), msg.message());
//! # Ok::<(), mdm_checkin::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod enrollment;
mod error;
mod messages;
mod responses;

use memchr::memmem;
use serde::Deserialize;

use mdm_plist::Limits;

pub use crate::enrollment::{
    Channel, Enrollment, EnrollmentType, ResolvedEnrollment, SHARED_IPAD_USER_ID, enrollment_id,
};
pub use crate::error::Error;
pub use crate::messages::{
    Authenticate, CheckOut, DeclarativeEndpoint, DeclarativeManagement, GetBootstrapToken,
    GetToken, MessageType, SetBootstrapToken, TokenParameters, TokenServiceType, TokenUpdate,
    UserAuthenticate,
};
pub use crate::responses::{
    BootstrapTokenResponse, DeclarativeManagementResponse, GetTokenResponse,
    UserAuthenticateResponse,
};
/// The plist value types that appear in this crate's public fields.
pub use mdm_plist::{Data, Date, Dictionary, Value};
/// The shared identifiers, re-exported from `mdm-types` so a `TokenUpdate`'s token, push
/// magic and topic go straight into an APNs push.
pub use mdm_types::{
    DeviceToken, EnrollmentId, MAX_DEVICE_TOKEN_LEN, MAX_ENROLLMENT_ID_LEN, MAX_PUSH_MAGIC_LEN,
    MAX_TOPIC_LEN, MAX_UDID_LEN, PushMagic, Topic, Udid,
};

/// A check-in message, one variant per `MessageType`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// `Authenticate`.
    Authenticate(Authenticate),
    /// `TokenUpdate`.
    TokenUpdate(TokenUpdate),
    /// `CheckOut`.
    CheckOut(CheckOut),
    /// `UserAuthenticate`.
    UserAuthenticate(UserAuthenticate),
    /// `GetBootstrapToken`.
    GetBootstrapToken(GetBootstrapToken),
    /// `SetBootstrapToken`.
    SetBootstrapToken(SetBootstrapToken),
    /// `DeclarativeManagement`.
    DeclarativeManagement(DeclarativeManagement),
    /// `GetToken`.
    GetToken(GetToken),
    /// A `MessageType` this version does not know, kept whole.
    Unknown {
        /// The `MessageType` string.
        message_type: String,
        /// The whole dictionary as received, `MessageType` included.
        body: Dictionary,
    },
}

impl Message {
    /// The message's `MessageType`.
    pub fn message_type(&self) -> MessageType {
        match self {
            Message::Authenticate(m) => m.message_type.clone(),
            Message::TokenUpdate(m) => m.message_type.clone(),
            Message::CheckOut(m) => m.message_type.clone(),
            Message::UserAuthenticate(m) => m.message_type.clone(),
            Message::GetBootstrapToken(m) => m.message_type.clone(),
            Message::SetBootstrapToken(m) => m.message_type.clone(),
            Message::DeclarativeManagement(m) => m.message_type.clone(),
            Message::GetToken(m) => m.message_type.clone(),
            Message::Unknown { message_type, .. } => MessageType::from(message_type.as_str()),
        }
    }

    /// The identifying keys the message carries. For [`Message::Unknown`] they are read
    /// from the dictionary where present and valid.
    pub fn enrollment(&self) -> Enrollment {
        match self {
            Message::Authenticate(m) => m.enrollment(),
            Message::TokenUpdate(m) => m.enrollment(),
            Message::CheckOut(m) => m.enrollment(),
            Message::UserAuthenticate(m) => m.enrollment(),
            Message::GetBootstrapToken(m) => m.enrollment(),
            Message::SetBootstrapToken(m) => m.enrollment(),
            Message::DeclarativeManagement(m) => m.enrollment(),
            Message::GetToken(m) => m.enrollment(),
            Message::Unknown { body, .. } => {
                let text = |k: &str| body.get(k).and_then(Value::as_string).map(str::to_owned);
                Enrollment {
                    udid: text("UDID").and_then(|s| Udid::new(s).ok()),
                    enrollment_id: text("EnrollmentID").and_then(|s| EnrollmentId::new(s).ok()),
                    enrollment_user_id: text("EnrollmentUserID")
                        .and_then(|s| EnrollmentId::new(s).ok()),
                    user_id: text("UserID"),
                    user_short_name: text("UserShortName"),
                    user_long_name: text("UserLongName"),
                }
            }
        }
    }

    /// The stable enrollment id of the channel the message came from (see
    /// [`enrollment_id`]).
    ///
    /// # Errors
    /// [`Error::NoEnrollment`] when the message does not identify one.
    pub fn enrollment_id(&self) -> Result<String, Error> {
        enrollment_id(&self.enrollment())
    }

    /// Encodes the message as an XML plist: modelled keys in declaration order, then the
    /// unknown ones in the order received.
    ///
    /// # Errors
    /// [`Error::Plist`] if the value cannot be encoded (a hand-built `extra` holding a
    /// value plist cannot write).
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let bytes = match self {
            Message::Authenticate(m) => mdm_plist::to_xml_bytes(m),
            Message::TokenUpdate(m) => mdm_plist::to_xml_bytes(m),
            Message::CheckOut(m) => mdm_plist::to_xml_bytes(m),
            Message::UserAuthenticate(m) => mdm_plist::to_xml_bytes(m),
            Message::GetBootstrapToken(m) => mdm_plist::to_xml_bytes(m),
            Message::SetBootstrapToken(m) => mdm_plist::to_xml_bytes(m),
            Message::DeclarativeManagement(m) => mdm_plist::to_xml_bytes(m),
            Message::GetToken(m) => mdm_plist::to_xml_bytes(m),
            Message::Unknown { body, .. } => mdm_plist::to_xml_bytes(body),
        };
        Ok(bytes?)
    }

    /// The message as an untyped plist value (a dictionary), in the order
    /// [`Message::encode`] writes it.
    ///
    /// # Errors
    /// As [`Message::encode`].
    pub fn to_value(&self) -> Result<Value, Error> {
        let value = match self {
            Message::Authenticate(m) => mdm_plist::to_value(m),
            Message::TokenUpdate(m) => mdm_plist::to_value(m),
            Message::CheckOut(m) => mdm_plist::to_value(m),
            Message::UserAuthenticate(m) => mdm_plist::to_value(m),
            Message::GetBootstrapToken(m) => mdm_plist::to_value(m),
            Message::SetBootstrapToken(m) => mdm_plist::to_value(m),
            Message::DeclarativeManagement(m) => mdm_plist::to_value(m),
            Message::GetToken(m) => mdm_plist::to_value(m),
            Message::Unknown { body, .. } => Ok(Value::Dictionary(body.clone())),
        };
        Ok(value?)
    }

    /// Decodes `bytes` as the message `message_type` names.
    fn decode_as(message_type: &str, bytes: &[u8], limits: &Limits) -> Result<Message, Error> {
        use mdm_plist::from_xml_bytes_with as de;
        Ok(match MessageType::from(message_type) {
            MessageType::Authenticate => Message::Authenticate(de(bytes, limits)?),
            MessageType::TokenUpdate => Message::TokenUpdate(de(bytes, limits)?),
            MessageType::CheckOut => Message::CheckOut(de(bytes, limits)?),
            MessageType::UserAuthenticate => Message::UserAuthenticate(de(bytes, limits)?),
            MessageType::GetBootstrapToken => Message::GetBootstrapToken(de(bytes, limits)?),
            MessageType::SetBootstrapToken => Message::SetBootstrapToken(de(bytes, limits)?),
            MessageType::DeclarativeManagement => {
                Message::DeclarativeManagement(de(bytes, limits)?)
            }
            MessageType::GetToken => Message::GetToken(de(bytes, limits)?),
            MessageType::Other(message_type) => Message::Unknown {
                message_type,
                body: de(bytes, limits)?,
            },
        })
    }

    /// The top-level `MessageType` string of the decoded value, when it is one.
    fn decoded_type(&self) -> Option<&str> {
        match self {
            Message::Unknown { body, .. } => body.get("MessageType").and_then(Value::as_string),
            _ => None,
        }
    }
}

impl From<Authenticate> for Message {
    fn from(m: Authenticate) -> Self {
        Message::Authenticate(m)
    }
}

impl From<TokenUpdate> for Message {
    fn from(m: TokenUpdate) -> Self {
        Message::TokenUpdate(m)
    }
}

impl From<CheckOut> for Message {
    fn from(m: CheckOut) -> Self {
        Message::CheckOut(m)
    }
}

impl From<UserAuthenticate> for Message {
    fn from(m: UserAuthenticate) -> Self {
        Message::UserAuthenticate(m)
    }
}

impl From<GetBootstrapToken> for Message {
    fn from(m: GetBootstrapToken) -> Self {
        Message::GetBootstrapToken(m)
    }
}

impl From<SetBootstrapToken> for Message {
    fn from(m: SetBootstrapToken) -> Self {
        Message::SetBootstrapToken(m)
    }
}

impl From<DeclarativeManagement> for Message {
    fn from(m: DeclarativeManagement) -> Self {
        Message::DeclarativeManagement(m)
    }
}

impl From<GetToken> for Message {
    fn from(m: GetToken) -> Self {
        Message::GetToken(m)
    }
}

/// A check-in message as received: the typed [`Message`] and the exact bytes it was decoded
/// from (for logging, signature checks, or forwarding unchanged).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckinMessage {
    message: Message,
    raw: Vec<u8>,
}

impl CheckinMessage {
    /// Decodes a check-in request body with the default [`Limits`] (4 MiB, 64 levels).
    ///
    /// # Errors
    /// See [`CheckinMessage::decode_with`].
    pub fn decode(bytes: &[u8]) -> Result<CheckinMessage, Error> {
        Self::decode_with(bytes, &Limits::DEFAULT)
    }

    /// Decodes a check-in request body within `limits`.
    ///
    /// The `MessageType` is found with a byte search for its key (cheap, no parse), the
    /// body is decoded once as that type, and the decoded `MessageType` is checked against
    /// the one found. Only when the search finds nothing usable, or its answer turns out
    /// wrong, is the type read with a real plist parse first.
    ///
    /// # Errors
    /// [`Error::Plist`] when the body is over a limit, binary, malformed, has a duplicate
    /// key, lacks a key its type requires, or holds a value of the wrong type or an invalid
    /// identifier (with the key path); [`Error::MissingMessageType`] when the dictionary has
    /// no `MessageType`. An unknown `MessageType` is not an error.
    pub fn decode_with(bytes: &[u8], limits: &Limits) -> Result<CheckinMessage, Error> {
        if bytes.len() > limits.max_bytes {
            return Err(mdm_plist::Error::TooLarge {
                len: bytes.len(),
                limit: limits.max_bytes,
            }
            .into());
        }
        let message = match scan_message_type(bytes) {
            Some(found) => match Message::decode_as(found, bytes, limits) {
                Ok(m) if matches_type(&m, found) => m,
                Ok(_) => Self::decode_slow(bytes, limits, None)?,
                Err(e) => Self::decode_slow(bytes, limits, Some((found, e)))?,
            },
            None => Self::decode_slow(bytes, limits, None)?,
        };
        Ok(CheckinMessage {
            message,
            raw: bytes.to_vec(),
        })
    }

    /// Reads `MessageType` with a real parse, then decodes as that type. `earlier` is the
    /// fast path's guess and error: when the parse agrees with the guess, that error stands.
    fn decode_slow(
        bytes: &[u8],
        limits: &Limits,
        earlier: Option<(&str, Error)>,
    ) -> Result<Message, Error> {
        #[derive(Deserialize)]
        struct Peek {
            #[serde(rename = "MessageType")]
            message_type: Option<String>,
        }
        let peek: Peek = mdm_plist::from_xml_bytes_with(bytes, limits)?;
        let message_type = peek.message_type.ok_or(Error::MissingMessageType)?;
        if let Some((guess, err)) = earlier
            && guess == message_type
        {
            return Err(err);
        }
        Message::decode_as(&message_type, bytes, limits)
    }

    /// Wraps a message built in memory; its raw bytes are its encoding.
    ///
    /// # Errors
    /// As [`Message::encode`].
    pub fn from_message(message: Message) -> Result<CheckinMessage, Error> {
        let raw = message.encode()?;
        Ok(CheckinMessage { message, raw })
    }

    /// The typed message.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The bytes the message was decoded from.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The typed message, dropping the raw bytes.
    pub fn into_message(self) -> Message {
        self.message
    }

    /// The typed message and the raw bytes.
    pub fn into_parts(self) -> (Message, Vec<u8>) {
        (self.message, self.raw)
    }

    /// The message's `MessageType`.
    pub fn message_type(&self) -> MessageType {
        self.message.message_type()
    }

    /// The identifying keys the message carries.
    pub fn enrollment(&self) -> Enrollment {
        self.message.enrollment()
    }

    /// The stable enrollment id of the channel the message came from.
    ///
    /// # Errors
    /// [`Error::NoEnrollment`] when the message does not identify one.
    pub fn enrollment_id(&self) -> Result<String, Error> {
        self.message.enrollment_id()
    }

    /// Re-encodes the typed message (see [`Message::encode`]); [`CheckinMessage::raw`]
    /// gives the original bytes.
    ///
    /// # Errors
    /// As [`Message::encode`].
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        self.message.encode()
    }
}

/// Says whether a message decoded as `found` really has that top-level `MessageType` (the
/// byte search could have found a nested key).
fn matches_type(message: &Message, found: &str) -> bool {
    match message {
        Message::Unknown { .. } => message.decoded_type() == Some(found),
        _ => message.message_type().as_str() == found,
    }
}

/// Finds the first `<key>MessageType</key><string>X</string>` in the body and returns `X`,
/// when it is plain text (no entity, no markup). A guess: the caller checks it.
fn scan_message_type(bytes: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"<key>MessageType</key>";
    const OPEN: &[u8] = b"<string>";
    const CLOSE: &[u8] = b"</string>";
    let at = memmem::find(bytes, KEY)?;
    let rest = bytes.get(at.checked_add(KEY.len())?..)?.trim_ascii_start();
    let rest = rest.strip_prefix(OPEN)?;
    let end = memchr::memchr(b'<', rest)?;
    let (value, tail) = rest.split_at_checked(end)?;
    if !tail.starts_with(CLOSE) || value.is_empty() || value.contains(&b'&') {
        return None;
    }
    std::str::from_utf8(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_plain_values_only() {
        let ok = b"<dict><key>MessageType</key>\n\t<string>CheckOut</string></dict>";
        assert_eq!(scan_message_type(ok), Some("CheckOut"));
        assert_eq!(
            scan_message_type(b"<key>MessageType</key><string>A&amp;B</string>"),
            None
        );
        assert_eq!(
            scan_message_type(b"<key>MessageType</key><integer>1</integer>"),
            None
        );
        assert_eq!(scan_message_type(b"<key>MessageType</key><string>"), None);
        assert_eq!(scan_message_type(b""), None);
    }

    #[test]
    fn nested_message_type_does_not_fool_the_scan() {
        let body = br#"<plist version="1.0"><dict>
            <key>Extra</key><dict><key>MessageType</key><string>Authenticate</string></dict>
            <key>MessageType</key><string>CheckOut</string>
            <key>Topic</key><string>com.apple.mgmt.x</string>
        </dict></plist>"#;
        let msg = CheckinMessage::decode(body).unwrap();
        assert_eq!(msg.message_type(), MessageType::CheckOut);
    }

    #[test]
    fn unknown_type_is_kept_whole() {
        let body = br#"<plist version="1.0"><dict>
            <key>MessageType</key><string>ReturnToService</string>
            <key>UDID</key><string>ABC-1</string>
        </dict></plist>"#;
        let msg = CheckinMessage::decode(body).unwrap();
        let Message::Unknown { message_type, body } = msg.message() else {
            panic!("{msg:?}")
        };
        assert_eq!(message_type, "ReturnToService");
        assert_eq!(body.len(), 2);
        assert_eq!(msg.enrollment_id().unwrap(), "ABC-1");
    }

    #[test]
    fn missing_message_type() {
        let body =
            br#"<plist version="1.0"><dict><key>UDID</key><string>A</string></dict></plist>"#;
        assert_eq!(
            CheckinMessage::decode(body).unwrap_err(),
            Error::MissingMessageType
        );
    }
}
