//! Test helpers shared by the workspace crates (a dev-dependency only, never published).
//!
//! Two questions every conformance or interop test asks first:
//!
//! - where is the real-data corpus? ([`corpus_dir`], from `MDM_CORPUS`, default
//!   `../shared/corpus` next to the workspace);
//! - is the real peer installed? ([`peer`], which finds a program on `PATH`).
//!
//! When the answer is "no", the test prints that it skipped and returns, unless
//! `MDM_REQUIRE_CORPUS=1` or `MDM_REQUIRE_PEERS=1` is set (as `.ci/run` does), in which
//! case the helper panics so the test fails.
//!
//! [`postgres`] starts a throw-away PostgreSQL cluster for the server tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![allow(clippy::panic, clippy::print_stderr)]

use std::path::{Path, PathBuf};

pub mod apns;
pub mod cms;
pub mod postgres;
pub mod scep;

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // crates/mdm-testsupport -> crates -> root
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn env_flag(name: &str) -> bool {
    matches!(
        std::env::var(name).as_deref(),
        Ok("1") | Ok("true") | Ok("yes")
    )
}

/// The corpus folder, or `None` (after printing a skip line) when it is absent.
///
/// Reads `MDM_CORPUS`; without it, `../shared/corpus` relative to the workspace root.
///
/// # Panics
/// When the corpus is absent and `MDM_REQUIRE_CORPUS=1`.
pub fn corpus_dir(test: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("MDM_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("../shared/corpus"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    if env_flag("MDM_REQUIRE_CORPUS") {
        panic!(
            "{test}: corpus not found at {} and MDM_REQUIRE_CORPUS=1",
            dir.display()
        );
    }
    eprintln!("{test}: skipped, corpus not found at {}", dir.display());
    None
}

/// A file or folder inside the corpus, or `None` when the corpus (or that entry) is absent.
///
/// # Panics
/// When `MDM_REQUIRE_CORPUS=1` and the entry is missing.
pub fn corpus_path(test: &str, relative: &str) -> Option<PathBuf> {
    let path = corpus_dir(test)?.join(relative);
    if path.exists() {
        return Some(path);
    }
    if env_flag("MDM_REQUIRE_CORPUS") {
        panic!("{test}: corpus entry {} missing", path.display());
    }
    eprintln!("{test}: skipped, corpus entry {} missing", path.display());
    None
}

/// Every regular file under `dir`, recursively, sorted by path.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The full path of a real peer program found on `PATH`, or `None` (after printing a skip
/// line) when it is not installed.
///
/// # Panics
/// When the program is missing and `MDM_REQUIRE_PEERS=1`.
pub fn peer(test: &str, program: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    });
    if found.is_some() {
        return found;
    }
    if env_flag("MDM_REQUIRE_PEERS") {
        panic!("{test}: peer {program} not installed and MDM_REQUIRE_PEERS=1");
    }
    eprintln!("{test}: skipped, peer {program} not installed");
    None
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, release it).
///
/// # Panics
/// When no socket can be bound on loopback.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
    listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no local address: {e}"))
}
