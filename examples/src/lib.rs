//! Small helpers shared by the workspace's example programs.
//!
//! The programs live next to this file: `mdmctl/` is a command-line tool over the crates.
//! Each `mdmctl` verb is a module that receives its own arguments as an [`Args`] and returns
//! a [`CliError`] on failure; `main` turns that into one line on stderr and exit code 1.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use std::io::Read;

pub mod server;
pub mod sim;

/// Largest input file or stdin body an example reads (64 MiB); the crates apply their own,
/// smaller limits on top.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// A failure an example reports as one line on stderr before exiting with status 1.
#[derive(Debug)]
pub struct CliError(pub String);

impl CliError {
    /// Wraps any displayable error, prefixed with what was being done.
    pub fn context(what: &str, err: impl fmt::Display) -> Self {
        CliError(format!("{what}: {err}"))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for CliError {
    fn from(s: String) -> Self {
        CliError(s)
    }
}

impl From<&str> for CliError {
    fn from(s: &str) -> Self {
        CliError(s.to_owned())
    }
}

/// Command-line arguments of one verb: `--name value` options, `--flag` switches and
/// positional arguments, in the order given.
#[derive(Debug, Clone, Default)]
pub struct Args {
    rest: Vec<String>,
}

impl Args {
    /// Wraps the arguments that follow the verb.
    pub fn new(rest: Vec<String>) -> Self {
        Args { rest }
    }

    /// Removes `--name` from the arguments and says whether it was there.
    pub fn flag(&mut self, name: &str) -> bool {
        let before = self.rest.len();
        self.rest.retain(|a| a != name);
        self.rest.len() != before
    }

    /// Removes the last `--name VALUE` pair and returns VALUE.
    ///
    /// # Errors
    /// When `--name` is the last argument and has no value.
    pub fn value(&mut self, name: &str) -> Result<Option<String>, CliError> {
        Ok(self.values(name)?.pop())
    }

    /// Removes every `--name VALUE` pair and returns the values in order.
    ///
    /// # Errors
    /// When `--name` is the last argument and has no value.
    pub fn values(&mut self, name: &str) -> Result<Vec<String>, CliError> {
        let mut out = Vec::new();
        let mut kept = Vec::with_capacity(self.rest.len());
        let mut iter = std::mem::take(&mut self.rest).into_iter();
        while let Some(arg) = iter.next() {
            if arg == name {
                match iter.next() {
                    Some(v) => out.push(v),
                    None => return Err(CliError(format!("{name} needs a value"))),
                }
            } else {
                kept.push(arg);
            }
        }
        self.rest = kept;
        Ok(out)
    }

    /// Like [`Args::value`], but the option must be present.
    ///
    /// # Errors
    /// When the option is missing or has no value.
    pub fn required(&mut self, name: &str) -> Result<String, CliError> {
        self.value(name)?
            .ok_or_else(|| CliError(format!("missing required option {name}")))
    }

    /// Removes and returns the next positional argument.
    pub fn positional(&mut self) -> Option<String> {
        let idx = self
            .rest
            .iter()
            .position(|a| !a.starts_with("--") || a == "-")?;
        Some(self.rest.remove(idx))
    }

    /// Fails if any argument was not consumed, naming it.
    ///
    /// # Errors
    /// When arguments are left over.
    pub fn finish(self) -> Result<(), CliError> {
        match self.rest.first() {
            None => Ok(()),
            Some(a) => Err(CliError(format!("unexpected argument {a:?}"))),
        }
    }
}

/// Reads a whole file, or stdin when `path` is `-`, refusing more than [`MAX_INPUT_BYTES`].
///
/// # Errors
/// When the file cannot be read or is larger than the limit.
pub fn read_input(path: &str) -> Result<Vec<u8>, CliError> {
    let mut buf = Vec::new();
    let res = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT_BYTES + 1)
            .read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut buf))
    };
    res.map_err(|e| CliError(format!("cannot read {path}: {e}")))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError(format!(
            "{path} is larger than {MAX_INPUT_BYTES} bytes"
        )));
    }
    Ok(buf)
}

/// Prints a JSON value on stdout, pretty-printed, followed by a newline.
///
/// # Errors
/// When stdout is closed.
pub fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::context("json", e))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| CliError::context("stdout", e))
}

/// Converts a plist value to JSON for display: data becomes base64, dates RFC 3339 strings,
/// and reals that JSON cannot hold (NaN, infinities) become strings.
pub fn plist_to_json(value: &mdm_plist::plist::Value) -> serde_json::Value {
    use mdm_plist::plist::Value;
    use serde_json::Value as J;
    match value {
        Value::Array(a) => J::Array(a.iter().map(plist_to_json).collect()),
        Value::Dictionary(d) => J::Object(
            d.iter()
                .map(|(k, v)| (k.clone(), plist_to_json(v)))
                .collect(),
        ),
        Value::Boolean(b) => J::Bool(*b),
        Value::Data(d) => J::String(base64_encode(d)),
        Value::Date(d) => J::String(d.to_xml_format()),
        Value::Real(r) => serde_json::Number::from_f64(*r)
            .map(J::Number)
            .unwrap_or_else(|| J::String(r.to_string())),
        Value::Integer(i) => {
            if let Some(s) = i.as_signed() {
                J::from(s)
            } else if let Some(u) = i.as_unsigned() {
                J::from(u)
            } else {
                J::Null
            }
        }
        Value::String(s) => J::String(s.clone()),
        Value::Uid(u) => J::from(u.get()),
        _ => J::Null,
    }
}

/// Standard base64 with padding, as plist `<data>` uses.
pub fn base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}
