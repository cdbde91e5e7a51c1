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
    /// A binary plist's strings, keys and data, a shared one counted at every reference,
    /// come to more bytes than the expansion limit.
    #[error("plist expands to more than {limit} bytes of strings and data")]
    TooLargeExpanded {
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

    /// Says whether a configured limit (size, depth, object count, expanded bytes) refused
    /// the input.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            Error::TooLarge { .. }
                | Error::TooDeep { .. }
                | Error::TooManyObjects { .. }
                | Error::TooLargeExpanded { .. }
        )
    }
}

/// The readable message of one of plist's errors, in our words.
///
/// plist prints its error kinds by their variant names (`UnexpectedEndOfEventStream`,
/// `UnexpectedXmlCharactersExpectedElement (offset 5)`, `Serde("missing ...")`). Known kinds
/// get a sentence; any other kind name is spelled out as lower-case words, so no variant name
/// of the dependency reaches a caller.
pub(crate) fn plist_message(err: &plist::Error) -> String {
    let text = err.to_string();
    if let Some(inner) = text
        .strip_prefix("Serde(\"")
        .and_then(|t| t.strip_suffix("\")"))
    {
        return inner.replace("\\\"", "\"");
    }
    describe_kind(&text)
}

/// Turns `KindName (offset N)` or `KindName { .. }` into words.
fn describe_kind(text: &str) -> String {
    let name_len = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(name_len);
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return text.to_owned();
    }
    let offset = rest
        .trim()
        .strip_prefix("(offset ")
        .and_then(|r| r.strip_suffix(')'))
        .map(|n| format!(" (at byte {n})"))
        .unwrap_or_default();
    let sentence = match name {
        "UnexpectedEof" | "UnexpectedEndOfEventStream" => {
            "the document ends before the plist is complete (empty or truncated input)"
        }
        "UnexpectedXmlCharactersExpectedElement" => {
            "text where an XML element was expected (not an XML plist)"
        }
        "UnexpectedXmlOpeningTag" => "an XML element where none may start",
        "UnknownXmlElement" => "an XML element that is not part of the plist format",
        "InvalidXmlSyntax" => "the XML is not well formed",
        "InvalidXmlUtf8" | "InvalidUtf8String" => "text that is not valid UTF-8",
        "UnclosedArray" => "an <array> that is never closed",
        "UnclosedDictionary" => "a <dict> that is never closed",
        "ExpectedKeyEvent" | "UnexpectedEventType" => {
            "a value where a <key> was expected, or the reverse"
        }
        "ExpectedEndOfEventStream" => "more than one top-level value",
        "InvalidIntegerString" => "an <integer> that is not a number in range",
        "InvalidRealString" => "a <real> that is not a number",
        "InvalidDateString" => "a <date> that is not an ISO 8601 UTC date",
        "InvalidDataString" => "a <data> value that is not base64",
        "ObjectTooLarge" => "an object larger than the plist reader accepts",
        _ => return format!("{}{offset}", spell_out(name)),
    };
    format!("{sentence}{offset}")
}

/// `UnexpectedFooBar` -> `unexpected foo bar`.
fn spell_out(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        if c.is_ascii_uppercase() && !out.is_empty() {
            out.push(' ');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_as_words() {
        assert_eq!(
            describe_kind("UnexpectedXmlCharactersExpectedElement (offset 5)"),
            "text where an XML element was expected (not an XML plist) (at byte 5)"
        );
        assert!(describe_kind("UnexpectedEndOfEventStream").starts_with("the document ends"));
        assert_eq!(
            describe_kind("SomethingNewInPlist"),
            "something new in plist"
        );
        assert_eq!(describe_kind("already words"), "already words");
    }
}
