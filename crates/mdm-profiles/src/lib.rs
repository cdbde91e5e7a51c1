//! Apple configuration profiles (`.mobileconfig`): typed payloads, a builder, validation
//! against Apple's schema, and lenient decoding of the files people really write.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
#[allow(missing_docs, unreachable_pub)]
mod generated;
mod profile;
pub mod spec;
mod support;

pub use crate::error::Error;
pub use crate::generated::*;
pub use crate::profile::{Common, CommonMut, PayloadBody, Profile};
