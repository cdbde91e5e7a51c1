//! Shared by the integration tests: the in-process Device Assignment stand-in.
#![allow(dead_code, unreachable_pub)]

pub mod mock;
