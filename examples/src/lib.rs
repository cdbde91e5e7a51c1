//! Small helpers shared by the workspace's example programs.
//!
//! The programs themselves live next to this file: `mdmctl/` (a command-line tool over the crates).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
