//! The one error of this crate: a value that is not a valid identifier, platform or version.

/// A value refused by one of this crate's constructors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The value does not have the shape its type requires.
    #[error("invalid {kind}: {reason}")]
    Invalid {
        /// What was being made (`UDID`, `device token`, `OS version`, ...).
        kind: &'static str,
        /// Why it was refused, in words.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid(kind: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            kind,
            reason: reason.into(),
        }
    }

    /// What was being made when the value was refused (`UDID`, `device token`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid { kind, .. } => kind,
        }
    }
}
