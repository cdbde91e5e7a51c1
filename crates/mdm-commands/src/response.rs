//! What a device sends back: the status envelope, then a body typed by request type.

use mdm_plist::{Dictionary, Value};

use crate::support::from_dictionary_typed;
use crate::{AnyResponse, CommandPayload, CommandUuid, Error, RequestType, ResponseBody};

mdm_plist::open_enum! {
    /// `Status` of a command response.
    pub enum Status {
        /// The device ran the command.
        Acknowledged = "Acknowledged",
        /// The command failed; see the error chain.
        Error = "Error",
        /// The device could not parse the command.
        CommandFormatError = "CommandFormatError",
        /// The device is ready for the next command (no command answered).
        Idle = "Idle",
        /// The device cannot run the command now; the server should resend it later.
        NotNow = "NotNow",
    }
}

mdm_plist::plist_dict! {
    /// One entry of an `ErrorChain`, outermost error first.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ErrorChainItem {
        /// `ErrorCode`.
        "ErrorCode" => pub error_code: Option<i64>,
        /// `ErrorDomain`.
        "ErrorDomain" => pub error_domain: Option<String>,
        /// `LocalizedDescription`, in the device's language.
        "LocalizedDescription" => pub localized_description: Option<String>,
        /// `USEnglishDescription`.
        "USEnglishDescription" => pub us_english_description: Option<String>,
    }
}

mdm_plist::plist_dict! {
    /// A device's answer to a command (or its `Idle` poll): who sent it, which command, the
    /// status, and the error chain. Every other key is the response body, kept in `extra`
    /// until it is typed with [`CommandResponse::decode_as`] or [`CommandResponse::body_for`].
    ///
    /// ```
    /// use mdm_commands::{CommandResponse, DeviceLock, Status};
    ///
    /// let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
    /// <plist version="1.0"><dict>
    ///   <key>CommandUUID</key><string>0001</string>
    ///   <key>MessageResult</key><string>Success</string>
    ///   <key>Status</key><string>Acknowledged</string>
    ///   <key>UDID</key><string>0000-1111</string>
    /// </dict></plist>"#;
    /// let response = CommandResponse::decode(xml)?;
    /// assert_eq!(response.status, Status::Acknowledged);
    /// let body = response.decode_as::<DeviceLock>()?;
    /// assert_eq!(body.message_result.as_deref(), Some("Success"));
    /// # Ok::<(), mdm_commands::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq)]
    pub struct CommandResponse {
        /// `UDID` of the device (device channel).
        "UDID" => pub udid: Option<String>,
        /// `EnrollmentID` (user enrollment, device channel).
        "EnrollmentID" => pub enrollment_id: Option<String>,
        /// `EnrollmentUserID` (user enrollment, user channel).
        "EnrollmentUserID" => pub enrollment_user_id: Option<String>,
        /// `UserID` (user channel).
        "UserID" => pub user_id: Option<String>,
        /// `UserShortName` (user channel).
        "UserShortName" => pub user_short_name: Option<String>,
        /// `UserLongName` (user channel).
        "UserLongName" => pub user_long_name: Option<String>,
        /// `CommandUUID` of the command answered; absent when `Status` is `Idle`.
        "CommandUUID" => pub command_uuid: Option<CommandUuid>,
        /// `Status`.
        "Status" => pub status: Status,
        /// `ErrorChain`, when `Status` is `Error`.
        "ErrorChain" => pub error_chain: Option<Vec<ErrorChainItem>>,
        /// `RequestType`, which a few responses echo.
        "RequestType" => pub request_type: Option<RequestType>,
        /// `NotOnConsole`: the user is not at the console (macOS user channel).
        "NotOnConsole" => pub not_on_console: Option<bool>,
    }
}

impl CommandResponse {
    /// Decodes a response plist (bounded by `mdm_plist`'s default limits).
    ///
    /// # Errors
    /// On malformed or oversized plists, a missing `Status`, or envelope keys of the wrong type.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Ok(mdm_plist::from_xml_bytes(bytes)?)
    }

    /// Decodes a response plist with explicit limits (for example a larger size cap for
    /// `InstalledApplicationList` answers from machines with many thousands of apps).
    ///
    /// # Errors
    /// As [`CommandResponse::decode`].
    pub fn decode_with(bytes: &[u8], limits: &mdm_plist::Limits) -> Result<Self, Error> {
        Ok(mdm_plist::from_xml_bytes_with(bytes, limits)?)
    }

    /// Encodes the response as an XML plist.
    ///
    /// # Errors
    /// When a value cannot be encoded.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(mdm_plist::to_xml_bytes(self)?)
    }

    /// The body keys (everything but the envelope), untyped.
    pub fn body(&self) -> &Dictionary {
        &self.extra
    }

    /// Types the body as the response to command `P`.
    ///
    /// # Errors
    /// [`Error::Body`] when the body does not fit that response.
    pub fn decode_as<P: CommandPayload>(&self) -> Result<P::Response, Error> {
        self.decode_body::<P::Response>(P::REQUEST_TYPE)
    }

    /// Types the body as `B`, naming `request_type` in errors.
    ///
    /// # Errors
    /// [`Error::Body`] when the body does not fit `B`.
    pub fn decode_body<B: ResponseBody>(&self, request_type: &str) -> Result<B, Error> {
        mdm_plist::from_value(&Value::Dictionary(self.extra.clone())).map_err(|source| {
            Error::Body {
                request_type: request_type.to_owned(),
                source,
            }
        })
    }

    /// Types the body by a request type known at run time (for example from the server's
    /// command queue). Commands without response keys give [`AnyResponse::Untyped`].
    ///
    /// # Errors
    /// [`Error::Body`] when the body does not fit that response.
    pub fn body_for(&self, request_type: &RequestType) -> Result<AnyResponse, Error> {
        AnyResponse::from_dictionary(request_type, self.extra.clone()).map_err(|e| match e {
            Error::Plist(source) => Error::Body {
                request_type: request_type.to_string(),
                source,
            },
            other => other,
        })
    }

    /// Types the body as the response to command `P`, consuming the response (no copy of
    /// the body).
    ///
    /// # Errors
    /// [`Error::Body`] when the body does not fit that response.
    pub fn into_body<P: CommandPayload>(self) -> Result<P::Response, Error> {
        mdm_plist::from_value(&Value::Dictionary(self.extra)).map_err(|source| Error::Body {
            request_type: P::REQUEST_TYPE.to_owned(),
            source,
        })
    }

    /// Decodes a response and types its body as the answer to `P` in one pass over the
    /// bytes, without building the untyped body first (the fast path for large answers such
    /// as `InstalledApplicationList`). The returned envelope's `extra` is empty: every body
    /// key, modelled or not, is in the typed body.
    ///
    /// # Errors
    /// As [`CommandResponse::decode`], plus [`Error::Body`] when the body does not fit.
    pub fn decode_typed<P: CommandPayload>(bytes: &[u8]) -> Result<(Self, P::Response), Error> {
        Self::decode_typed_with::<P>(bytes, &mdm_plist::Limits::default())
    }

    /// [`CommandResponse::decode_typed`] with explicit limits.
    ///
    /// # Errors
    /// As [`CommandResponse::decode_typed`].
    pub fn decode_typed_with<P: CommandPayload>(
        bytes: &[u8],
        limits: &mdm_plist::Limits,
    ) -> Result<(Self, P::Response), Error> {
        let mut body: P::Response =
            mdm_plist::from_xml_bytes_with(bytes, limits).map_err(|e| match e {
                mdm_plist::Error::Type { .. } => Error::Body {
                    request_type: P::REQUEST_TYPE.to_owned(),
                    source: e,
                },
                other => Error::Plist(other),
            })?;
        let extra = body.extra_mut();
        let mut envelope = Dictionary::new();
        for key in Self::KEYS {
            if let Some(v) = extra.remove(key) {
                envelope.insert((*key).to_owned(), v);
            }
        }
        let envelope: Self = mdm_plist::from_value(&Value::Dictionary(envelope))?;
        Ok((envelope, body))
    }
}

/// Reads the body of a response as `T` from an owned dictionary.
///
/// # Errors
/// When the keys do not fit `T`.
pub fn body_from_dictionary<T: ResponseBody>(dict: Dictionary) -> Result<T, Error> {
    from_dictionary_typed(dict)
}
