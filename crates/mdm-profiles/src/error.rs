//! The crate's error type.

/// Everything that can go wrong decoding, building or encoding a profile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not an acceptable plist, or a value has the wrong shape.
    #[error("plist: {0}")]
    Plist(#[from] mdm_plist::Error),
    /// A platform, OS version or identifier that is not valid (the inner error says which).
    #[error(transparent)]
    Invalid(#[from] mdm_types::Error),
    /// The file is a CMS (PKCS #7) signed profile. Verify and unwrap it with `mdm-signing`
    /// (`mdm_signing` verify, or `mdmctl profile verify`), then decode the plist inside.
    #[error("profile is CMS-signed: verify and unwrap it with mdm-signing first")]
    Signed,
    /// The profile's payloads are encrypted (`EncryptedPayloadContent`). Decrypt them with
    /// `mdm-signing` (`mdmctl profile decrypt`), then decode the result.
    #[error("profile payloads are encrypted: decrypt them with mdm-signing first")]
    Encrypted,
    /// The plist's root is not a dictionary.
    #[error("profile root is not a dictionary")]
    NotADictionary,
    /// A payload in `PayloadContent` is not a dictionary or has no `PayloadType` string.
    #[error("PayloadContent[{index}]: {reason}")]
    BadPayload {
        /// Position in `PayloadContent`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The builder was given two payloads with the same identifier or UUID.
    #[error("duplicate {key} {value:?}")]
    Duplicate {
        /// `PayloadIdentifier` or `PayloadUUID`.
        key: &'static str,
        /// The repeated value.
        value: String,
    },
    /// The builder was given an empty or unusable identifier.
    #[error("invalid identifier {0:?}")]
    InvalidIdentifier(String),
}

impl Error {
    /// True when the input hit a size or depth limit rather than being malformed.
    pub fn is_limit(&self) -> bool {
        matches!(self, Self::Plist(e) if e.is_limit())
    }

    /// True when the profile is wrapped (signed or encrypted) and `mdm-signing` must unwrap
    /// it first.
    pub fn needs_unwrapping(&self) -> bool {
        matches!(self, Self::Signed | Self::Encrypted)
    }
}
