//! The one error type of this crate.

/// Why a check-in message could not be decoded, built or encoded.
///
/// Messages are lower case without a trailing period. Shape errors carry the key path where
/// one exists (see [`Error::path`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is not an acceptable plist, or does not have the shape of the message its
    /// `MessageType` names (size or depth limit, binary plist, syntax, duplicate key, wrong
    /// type, missing required key, invalid identifier).
    #[error(transparent)]
    Plist(#[from] mdm_plist::Error),
    /// The body is a dictionary without a `MessageType` key.
    #[error("check-in message has no MessageType key")]
    MissingMessageType,
    /// An identifier failed validation when it was built.
    #[error(transparent)]
    InvalidId(#[from] mdm_types::Error),
    /// The message carries neither a `UDID` nor an `EnrollmentID`, or names a Shared iPad
    /// user without a `UserShortName`, so no enrollment can be identified.
    #[error("message does not identify an enrollment: {reason}")]
    NoEnrollment {
        /// Which keys are missing.
        reason: &'static str,
    },
}

impl Error {
    /// The key path the error points at (`TokenParameters.PhoneUDID`), when it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::Plist(e) => e.path(),
            Error::MissingMessageType => Some("MessageType"),
            _ => None,
        }
    }

    /// Says whether a size, depth or object-count limit refused the body.
    pub fn is_limit(&self) -> bool {
        matches!(self, Error::Plist(e) if e.is_limit())
    }

    /// Says whether the body itself was at fault (as opposed to a value built in memory), so
    /// a server should answer 400 rather than 500.
    pub fn is_bad_input(&self) -> bool {
        match self {
            Error::Plist(mdm_plist::Error::Encode { .. }) => false,
            Error::Plist(_) | Error::MissingMessageType | Error::NoEnrollment { .. } => true,
            Error::InvalidId(_) => false,
        }
    }
}
