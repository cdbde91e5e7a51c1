//! The simulator's error type.

use std::fmt;

/// The step of a device's life a failure happened in, for error messages and counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Step {
    /// `GET /mdm/enroll`: fetching, verifying and reading the enrollment profile.
    Profile,
    /// SCEP enrollment for the device identity.
    Scep,
    /// A check-in message (`Authenticate`, `TokenUpdate`, ...).
    Checkin,
    /// A request to the server URL (`Idle` or a command answer).
    Connect,
    /// Anything else (configuration, task handling).
    Other,
}

impl Step {
    /// A short lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Profile => "profile",
            Step::Scep => "scep",
            Step::Checkin => "check-in",
            Step::Connect => "connect",
            Step::Other => "other",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can stop a simulated device.
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// The request did not get an HTTP answer (connection refused, timeout, reset).
    Http {
        /// Where it happened.
        step: Step,
        /// What the HTTP client said.
        message: String,
    },
    /// The server answered with a status the device does not accept.
    Status {
        /// Where it happened.
        step: Step,
        /// The HTTP status code.
        status: u16,
        /// The first bytes of the answer, as text.
        body: String,
    },
    /// The server's answer was larger than the device reads.
    TooLarge {
        /// Where it happened.
        step: Step,
        /// The limit, in bytes.
        limit: usize,
    },
    /// The enrollment profile cannot be used (unsigned, missing payloads, bad URLs).
    Profile(String),
    /// A signature or certificate operation failed.
    Signing {
        /// Where it happened.
        step: Step,
        /// The signing library's error.
        source: mdm_signing::Error,
    },
    /// SCEP enrollment failed.
    Scep(mdm_scep::Error),
    /// A check-in message could not be built.
    Checkin(mdm_checkin::Error),
    /// A command or command answer could not be read or built.
    Commands(mdm_commands::Error),
    /// The server sent a command the device cannot even find a `CommandUUID` in.
    BadCommand(String),
    /// The server kept sending commands past the per-poll limit.
    TooManyCommands {
        /// The limit.
        limit: usize,
    },
    /// A declarative-management answer (tokens, manifest) could not be read.
    Declarative(String),
    /// The configuration is unusable.
    Config(String),
    /// A device task ended abnormally.
    Task(String),
}

impl SimError {
    /// The step the error belongs to.
    pub fn step(&self) -> Step {
        match self {
            SimError::Http { step, .. }
            | SimError::Status { step, .. }
            | SimError::TooLarge { step, .. }
            | SimError::Signing { step, .. } => *step,
            SimError::Profile(_) => Step::Profile,
            SimError::Scep(_) => Step::Scep,
            SimError::Checkin(_) | SimError::Declarative(_) => Step::Checkin,
            SimError::Commands(_) | SimError::BadCommand(_) | SimError::TooManyCommands { .. } => {
                Step::Connect
            }
            SimError::Config(_) | SimError::Task(_) => Step::Other,
        }
    }

    /// The HTTP status, when the server answered with one the device refused.
    pub fn status(&self) -> Option<u16> {
        match self {
            SimError::Status { status, .. } => Some(*status),
            SimError::Scep(mdm_scep::Error::Http { status, .. }) => *status,
            _ => None,
        }
    }

    /// True for failures a later attempt may not see (no answer, 5xx, 429).
    pub fn is_retryable(&self) -> bool {
        match self {
            SimError::Http { .. } => true,
            SimError::Status { status, .. } => *status >= 500 || *status == 429,
            SimError::Scep(e) => e.is_retryable(),
            _ => false,
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Http { step, message } => write!(f, "{step}: http: {message}"),
            SimError::Status { step, status, body } => {
                write!(f, "{step}: server answered {status}")?;
                if !body.is_empty() {
                    write!(f, ": {body}")?;
                }
                Ok(())
            }
            SimError::TooLarge { step, limit } => {
                write!(f, "{step}: answer larger than {limit} bytes")
            }
            SimError::Profile(m) => write!(f, "profile: {m}"),
            SimError::Signing { step, source } => write!(f, "{step}: signing: {source}"),
            SimError::Scep(e) => write!(f, "scep: {e}"),
            SimError::Checkin(e) => write!(f, "check-in: {e}"),
            SimError::Commands(e) => write!(f, "connect: {e}"),
            SimError::BadCommand(m) => write!(f, "connect: unreadable command: {m}"),
            SimError::TooManyCommands { limit } => {
                write!(f, "connect: more than {limit} commands in one poll")
            }
            SimError::Declarative(m) => write!(f, "declarative management: {m}"),
            SimError::Config(m) => write!(f, "configuration: {m}"),
            SimError::Task(m) => write!(f, "task: {m}"),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SimError::Signing { source, .. } => Some(source),
            SimError::Scep(e) => Some(e),
            SimError::Checkin(e) => Some(e),
            SimError::Commands(e) => Some(e),
            _ => None,
        }
    }
}

impl From<mdm_scep::Error> for SimError {
    fn from(e: mdm_scep::Error) -> Self {
        SimError::Scep(e)
    }
}

impl From<mdm_checkin::Error> for SimError {
    fn from(e: mdm_checkin::Error) -> Self {
        SimError::Checkin(e)
    }
}

impl From<mdm_types::Error> for SimError {
    fn from(e: mdm_types::Error) -> Self {
        SimError::Checkin(mdm_checkin::Error::from(e))
    }
}

impl From<mdm_commands::Error> for SimError {
    fn from(e: mdm_commands::Error) -> Self {
        SimError::Commands(e)
    }
}
