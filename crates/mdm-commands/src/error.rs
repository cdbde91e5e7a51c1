//! The crate's error type.

/// Everything that can go wrong decoding or encoding commands and responses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not an acceptable plist, or a value has the wrong shape.
    #[error("plist: {0}")]
    Plist(#[from] mdm_plist::Error),
    /// A platform, OS version or identifier that is not valid (the inner error says which).
    #[error(transparent)]
    Invalid(#[from] mdm_types::Error),
    /// A `CommandUUID` is empty, too long or holds control characters.
    #[error("invalid command uuid: {0}")]
    InvalidCommandUuid(String),
    /// The `Command` dictionary has no `RequestType` string.
    #[error("command has no RequestType")]
    MissingRequestType,
    /// The command's `RequestType` is not the one the caller asked for.
    #[error("request type mismatch: expected {expected}, found {found}")]
    RequestTypeMismatch {
        /// The type the caller asked for.
        expected: String,
        /// The type in the command.
        found: String,
    },
    /// A response body does not have the shape of the response to `request_type`.
    #[error("response body is not a {request_type} response: {source}")]
    Body {
        /// The request type the body was decoded as.
        request_type: String,
        /// What did not match.
        #[source]
        source: mdm_plist::Error,
    },
}

impl Error {
    /// True when the input hit a size or depth limit rather than being malformed.
    pub fn is_limit(&self) -> bool {
        match self {
            Self::Plist(e) | Self::Body { source: e, .. } => e.is_limit(),
            _ => false,
        }
    }

    /// True when the input was well-formed plist whose content did not match (wrong type,
    /// missing key, mismatched request type, invalid identifier).
    pub fn is_shape(&self) -> bool {
        matches!(
            self,
            Self::Plist(mdm_plist::Error::Type { .. })
                | Self::Body { .. }
                | Self::InvalidCommandUuid(_)
                | Self::MissingRequestType
                | Self::RequestTypeMismatch { .. }
        )
    }
}
