//! Generates Rust types from Apple's device-management YAML schema
//! ([apple/device-management](https://github.com/apple/device-management)).
//!
//! Three layers, each usable on its own:
//!
//! 1. [`load`] reads the YAML (anchors and aliases expanded, self-recursive keys marked) into
//!    the schema model in [`ir`]. The model is plain data: key names, types, presence,
//!    allowed values, ranges, defaults, and per-platform availability with key-level
//!    `supportedOS` already merged over the payload level. Apple's prose is not kept.
//! 2. [`rust`] maps a list of keys to Rust items (structs through `mdm_plist::plist_dict!`,
//!    open enums through `mdm_plist::open_enum!`, tagged unions) and renders them. It knows
//!    nothing about commands, profiles or declarations.
//! 3. A family emitter decides root names and what surrounds the types: [`commands`] writes
//!    `mdm-commands/src/generated/`. A profiles or declarations emitter follows the same
//!    pattern: walk `Schema::family(Family::Profile)`, call
//!    [`rust::TypeBuilder::root_struct`] per file with the payload type as prefix, and add the
//!    family's tables.
//!
//! Names come from [`names`]: fields in `snake_case` and types in `UpperCamelCase` with
//! Apple's acronyms kept whole (`qos_marking_policy`, `wifi_mac`, `DnsSettings`); the serde
//! names are always the keys themselves, so the wire never changes with a name.
//!
//! The binary (`mdm-codegen SCHEMA_DIR [WORKSPACE_ROOT]`) writes the files; the library is
//! what tests and other tools call.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod commands;
pub mod declarative;
pub mod ir;
pub mod load;
pub mod names;
pub mod overrides;
pub mod profiles;
pub mod rust;

use std::path::{Path, PathBuf};

/// One file to write, relative to the workspace root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Path relative to the workspace root.
    pub path: PathBuf,
    /// Contents.
    pub text: String,
}

/// Loads the schema at `schema_dir` and returns every file the generator owns, relative to
/// the workspace root: `crates/mdm-commands/src/generated/*` and `docs/coverage.md`.
///
/// # Errors
/// When the schema cannot be read.
pub fn generate_all(schema_dir: &Path) -> Result<Vec<Generated>, load::LoadError> {
    let commit = load::find_commit(schema_dir);
    let mut schema = load::load_schema(schema_dir, commit)?;
    overrides::apply(&mut schema);
    let (files, infos) = commands::emit(&schema);
    let mut out = Vec::new();
    for f in files {
        out.push(Generated {
            path: Path::new("crates/mdm-commands/src/generated").join(f.path),
            text: rustfmt(&f.text)?,
        });
    }
    let (files, _) = profiles::emit(&schema);
    for f in files {
        out.push(Generated {
            // spec.rs is one table row per line and marked `#[rustfmt::skip]`.
            text: if f.path == "spec.rs" {
                f.text
            } else {
                rustfmt(&f.text)?
            },
            path: Path::new("crates/mdm-profiles/src/generated").join(f.path),
        });
    }
    let overlay_dir = declarative_overlay(schema_dir);
    let overlay = match &overlay_dir {
        Some(dir) => {
            let commit = load::find_commit(dir).or_else(|| {
                std::fs::read_to_string(dir.join("reference.txt"))
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()))
            });
            Some(load::load_schema(dir, commit)?)
        }
        None => None,
    };
    let (files, _, _) = declarative::emit(&schema, overlay.as_ref());
    for f in files {
        out.push(Generated {
            // samples.rs is one row per line and marked `#[rustfmt::skip]`.
            text: if f.path == "samples.rs" {
                f.text
            } else {
                rustfmt(&f.text)?
            },
            path: Path::new("crates/mdm-declarative/src/generated").join(f.path),
        });
    }
    out.push(Generated {
        path: PathBuf::from("docs/coverage.md"),
        text: commands::coverage_markdown(&schema, &infos),
    });
    Ok(out)
}

/// The newer, partial schema checkout whose `declarative/declarations/` replaces the main
/// schema's: a sibling folder of `schema_dir` named `<schema_dir name>-1548d42-partial`
/// (the corpus layout), when it exists.
pub fn declarative_overlay(schema_dir: &Path) -> Option<PathBuf> {
    let name = schema_dir.file_name()?.to_str()?;
    let dir = schema_dir.with_file_name(format!("{name}-1548d42-partial"));
    dir.join("declarative/declarations").is_dir().then_some(dir)
}

/// Formats Rust source with `rustfmt` (edition 2024), so generated files pass
/// `cargo fmt --check` and diffs stay readable.
///
/// # Errors
/// When `rustfmt` cannot be run or rejects the source.
pub fn rustfmt(source: &str) -> Result<String, load::LoadError> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let err = |e: String| load::LoadError::Shape("rustfmt".into(), e);
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot run rustfmt: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(source.as_bytes())
            .map_err(|e| err(e.to_string()))?;
    }
    let output = child.wait_with_output().map_err(|e| err(e.to_string()))?;
    if !output.status.success() {
        return Err(err(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    String::from_utf8(output.stdout).map_err(|e| err(e.to_string()))
}

/// The folders whose contents the generator owns entirely (stale files in them are removed).
pub const OWNED_DIRS: &[&str] = &[
    "crates/mdm-commands/src/generated",
    "crates/mdm-profiles/src/generated",
    "crates/mdm-declarative/src/generated",
];
