//! Work in progress: see the crate's issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use mdm_types;
