//! The command envelope: `CommandUUID` plus a `Command` dictionary carrying `RequestType`.

use mdm_plist::{Dictionary, Value};

use crate::support::{from_dictionary_typed, to_dictionary_typed};
use crate::{AnyRequest, CommandPayload, CommandUuid, Error, RequestType};

mdm_plist::plist_dict! {
    /// The envelope as it sits on the wire, before the payload is typed.
    #[derive(Debug, Clone, PartialEq)]
    struct Envelope {
        "CommandUUID" => pub command_uuid: CommandUuid,
        "Command" => pub command: Dictionary,
    }
}

/// A command ready to queue: its identifier and a typed payload `P`.
///
/// ```
/// use mdm_commands::{Command, CommandUuid, DeviceLock};
///
/// let cmd = Command::with_uuid(
///     CommandUuid::new("0001")?,
///     DeviceLock { message: Some("Call IT".into()), ..Default::default() },
/// );
/// let xml = cmd.encode()?;
/// let back: Command<DeviceLock> = Command::decode(&xml)?;
/// assert_eq!(back, cmd);
/// # Ok::<(), mdm_commands::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Command<P> {
    /// `CommandUUID`.
    pub command_uuid: CommandUuid,
    /// The keys of the `Command` dictionary besides `RequestType`.
    pub payload: P,
    /// Top-level keys besides `CommandUUID` and `Command`, kept as received.
    pub extra: Dictionary,
}

impl<P: CommandPayload> Command<P> {
    /// A command with a fresh random `CommandUUID`.
    pub fn new(payload: P) -> Self {
        Self::with_uuid(CommandUuid::random(), payload)
    }

    /// A command with the given identifier.
    pub fn with_uuid(command_uuid: CommandUuid, payload: P) -> Self {
        Self {
            command_uuid,
            payload,
            extra: Dictionary::new(),
        }
    }

    /// The request type, `P::REQUEST_TYPE`.
    pub fn request_type(&self) -> RequestType {
        RequestType::from(P::REQUEST_TYPE)
    }

    /// The whole command as a plist dictionary.
    ///
    /// # Errors
    /// When the payload cannot be encoded.
    pub fn to_dictionary(&self) -> Result<Dictionary, Error> {
        envelope(
            &self.command_uuid,
            P::REQUEST_TYPE,
            to_dictionary_typed(&self.payload)?,
            &self.extra,
        )
    }

    /// Encodes the command as an XML plist, ready to send to a device.
    ///
    /// # Errors
    /// When the payload cannot be encoded.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(mdm_plist::to_xml_bytes(&Value::Dictionary(
            self.to_dictionary()?,
        ))?)
    }

    /// Decodes a command plist whose `RequestType` must be `P::REQUEST_TYPE`.
    ///
    /// # Errors
    /// On malformed or oversized plists, a missing or different `RequestType`, or keys that do
    /// not match the schema.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let env: Envelope = mdm_plist::from_xml_bytes(bytes)?;
        let (found, command) = split_request_type(env.command)?;
        if found != P::REQUEST_TYPE {
            return Err(Error::RequestTypeMismatch {
                expected: P::REQUEST_TYPE.to_owned(),
                found,
            });
        }
        Ok(Self {
            command_uuid: env.command_uuid,
            payload: from_dictionary_typed(command)?,
            extra: env.extra,
        })
    }
}

/// A command whose payload type is known only at run time: what a queue stores.
#[derive(Debug, Clone, PartialEq)]
pub struct AnyCommand {
    /// `CommandUUID`.
    pub command_uuid: CommandUuid,
    /// `RequestType`.
    pub request_type: RequestType,
    /// The payload, typed when the request type is known.
    pub payload: AnyRequest,
    /// Top-level keys besides `CommandUUID` and `Command`, kept as received.
    pub extra: Dictionary,
}

impl AnyCommand {
    /// Decodes any command plist, typing the payload by its `RequestType`.
    ///
    /// # Errors
    /// On malformed or oversized plists, a missing `RequestType`, or keys that do not match
    /// the schema of a known request type.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let env: Envelope = mdm_plist::from_xml_bytes(bytes)?;
        let (request_type, command) = split_request_type(env.command)?;
        let request_type = RequestType::from(request_type);
        Ok(Self {
            payload: AnyRequest::from_dictionary(&request_type, command)?,
            command_uuid: env.command_uuid,
            request_type,
            extra: env.extra,
        })
    }

    /// The whole command as a plist dictionary.
    ///
    /// # Errors
    /// When the payload cannot be encoded.
    pub fn to_dictionary(&self) -> Result<Dictionary, Error> {
        envelope(
            &self.command_uuid,
            self.request_type.as_str(),
            self.payload.to_dictionary()?,
            &self.extra,
        )
    }

    /// Encodes the command as an XML plist.
    ///
    /// # Errors
    /// When the payload cannot be encoded.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(mdm_plist::to_xml_bytes(&Value::Dictionary(
            self.to_dictionary()?,
        ))?)
    }

    /// The typed command, when this one is a `P`.
    ///
    /// # Errors
    /// [`Error::RequestTypeMismatch`] for another request type; a shape error if the payload
    /// does not fit `P`.
    pub fn downcast<P: CommandPayload>(&self) -> Result<Command<P>, Error> {
        if self.request_type.as_str() != P::REQUEST_TYPE {
            return Err(Error::RequestTypeMismatch {
                expected: P::REQUEST_TYPE.to_owned(),
                found: self.request_type.to_string(),
            });
        }
        Ok(Command {
            command_uuid: self.command_uuid.clone(),
            payload: from_dictionary_typed(self.payload.to_dictionary()?)?,
            extra: self.extra.clone(),
        })
    }
}

impl<P: CommandPayload> TryFrom<&Command<P>> for AnyCommand {
    type Error = Error;

    fn try_from(cmd: &Command<P>) -> Result<Self, Error> {
        let request_type = RequestType::from(P::REQUEST_TYPE);
        Ok(Self {
            payload: AnyRequest::from_dictionary(
                &request_type,
                to_dictionary_typed(&cmd.payload)?,
            )?,
            command_uuid: cmd.command_uuid.clone(),
            request_type,
            extra: cmd.extra.clone(),
        })
    }
}

fn split_request_type(mut command: Dictionary) -> Result<(String, Dictionary), Error> {
    match command.remove("RequestType") {
        Some(Value::String(s)) => Ok((s, command)),
        _ => Err(Error::MissingRequestType),
    }
}

fn envelope(
    uuid: &CommandUuid,
    request_type: &str,
    payload: Dictionary,
    extra: &Dictionary,
) -> Result<Dictionary, Error> {
    let mut command = Dictionary::new();
    command.insert("RequestType".into(), Value::String(request_type.to_owned()));
    for (k, v) in payload {
        command.insert(k, v);
    }
    let mut out = Dictionary::new();
    out.insert("Command".into(), Value::Dictionary(command));
    out.insert(
        "CommandUUID".into(),
        Value::String(uuid.as_str().to_owned()),
    );
    for (k, v) in extra {
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}
