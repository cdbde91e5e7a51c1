//! The crate's one error type.

/// What can go wrong decoding, encoding or assembling declarative-management bodies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The body is larger than the limit ([`crate::MAX_BODY_BYTES`] by default).
    #[error("the body is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the body.
        size: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// The JSON nests deeper than the limit ([`crate::MAX_DEPTH`]).
    #[error("the JSON nests deeper than {limit} levels")]
    TooDeep {
        /// The limit it broke.
        limit: usize,
    },
    /// The bytes are not JSON.
    #[error("not valid JSON at line {line} column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the JSON reader said.
        message: String,
    },
    /// The JSON is valid but not shaped as the type needs (a missing key, a wrong type).
    #[error("{path}: {message}")]
    Shape {
        /// Where, as a dotted JSON path (`Payload.MinimumLength`, `.` for the root).
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// A value cannot be written as JSON (a non-finite number).
    #[error("cannot write JSON: {0}")]
    Encode(String),
}

impl Error {
    /// The JSON path of a shape error (`Payload.MinimumLength`), if this is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Shape { path, .. } => Some(path),
            _ => None,
        }
    }

    /// True when the input broke a size or depth limit.
    pub fn is_limit(&self) -> bool {
        matches!(self, Self::TooLarge { .. } | Self::TooDeep { .. })
    }

    pub(crate) fn shape(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Shape {
            path: path.into(),
            message: message.into(),
        }
    }

    pub(crate) fn encode(e: &serde_json::Error) -> Self {
        Self::Encode(e.to_string())
    }

    /// From a `serde_path_to_error` failure, with `prefix` (`Payload`) put before its path.
    pub(crate) fn from_path(
        prefix: &str,
        e: serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        let inner_path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return Self::Syntax {
                line: inner.line(),
                column: inner.column(),
                message: strip_position(&inner.to_string()),
            };
        }
        let path = match (prefix.is_empty(), inner_path.as_str()) {
            (true, p) => p.to_owned(),
            (false, "." | "") => prefix.to_owned(),
            (false, p) => format!("{prefix}.{p}"),
        };
        Self::Shape {
            path,
            message: strip_position(&inner.to_string()),
        }
    }
}

/// serde_json appends " at line L column C" to its messages; the path says where instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}
