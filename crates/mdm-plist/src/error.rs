//! The one error type of this crate.

/// Why a plist could not be decoded or encoded.
///
/// Limit errors name the limit; shape errors name the key path (`PayloadContent[2].Token`)
/// where one exists. Messages are lower case without a trailing period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than the size limit.
    #[error("plist of {len} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// Size of the input.
        len: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Containers nest deeper than the depth limit.
    #[error("plist nests deeper than the limit of {limit} levels at {path}")]
    TooDeep {
        /// The limit in force.
        limit: usize,
        /// Where the limit was crossed.
        path: String,
    },
    /// A binary plist expands to more values than the object limit.
    #[error("plist expands to more than {limit} values")]
    TooManyObjects {
        /// The limit in force.
        limit: usize,
    },
    /// A binary plist was given where only XML is accepted.
    #[error("binary plists are not accepted here (use from_binary_bytes where they are expected)")]
    BinaryNotAllowed,
    /// [`crate::from_binary_bytes`] was given something that is not a binary plist.
    #[error("not a binary plist")]
    NotBinary,
    /// A dictionary holds the same key twice.
    #[error("duplicate key {key:?} at {path}")]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// The dictionary holding it.
        path: String,
    },
    /// The bytes are not a well-formed plist (XML syntax, bad base64, bad date, integer
    /// overflow, invalid UTF-8, truncated input, ...).
    #[error("malformed plist at {path}: {message}")]
    Syntax {
        /// Where the parser was when it failed (`<root>` at the top).
        path: String,
        /// What the parser reported.
        message: String,
    },
    /// The plist is well formed but does not have the expected shape: a missing required
    /// key, a value of the wrong type, an unexpected structure.
    #[error("{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
    Type {
        /// Key path of the offending value (empty at the root).
        path: String,
        /// What did not fit.
        message: String,
    },
    /// A value could not be encoded as a plist.
    #[error("cannot encode plist: {message}")]
    Encode {
        /// Why.
        message: String,
    },
}

impl Error {
    /// The key path the error points at, when it has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::TooDeep { path, .. }
            | Error::DuplicateKey { path, .. }
            | Error::Syntax { path, .. }
            | Error::Type { path, .. } => Some(path),
            _ => None,
        }
    }

    /// Says whether a configured limit (size, depth, object count) refused the input.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            Error::TooLarge { .. } | Error::TooDeep { .. } | Error::TooManyObjects { .. }
        )
    }
}

/// plist's errors print their kind with `Debug` (`Serde("missing ...")`); this returns the
/// readable message.
pub(crate) fn plist_message(err: &plist::Error) -> String {
    let text = err.to_string();
    match text
        .strip_prefix("Serde(\"")
        .and_then(|t| t.strip_suffix("\")"))
    {
        Some(inner) => inner.replace("\\\"", "\""),
        None => text,
    }
}
