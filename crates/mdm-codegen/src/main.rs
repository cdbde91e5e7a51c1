//! `mdm-codegen SCHEMA_DIR [WORKSPACE_ROOT]`: regenerate every generated file.
//!
//! `SCHEMA_DIR` is a checkout of apple/device-management (for example
//! `../shared/corpus/apple-device-management`); `WORKSPACE_ROOT` defaults to `.`.
#![forbid(unsafe_code)]
#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};

fn run() -> Result<usize, String> {
    let mut args = std::env::args().skip(1);
    let schema = args
        .next()
        .ok_or("usage: mdm-codegen SCHEMA_DIR [WORKSPACE_ROOT]")?;
    let root = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let files = mdm_codegen::generate_all(Path::new(&schema)).map_err(|e| e.to_string())?;
    for dir in mdm_codegen::OWNED_DIRS {
        let dir = root.join(dir);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "rs") {
                    std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                }
            }
        }
    }
    for f in &files {
        let path = root.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, &f.text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(files.len())
}

fn main() {
    match run() {
        Ok(n) => eprintln!("mdm-codegen: wrote {n} files"),
        Err(e) => {
            eprintln!("mdm-codegen: {e}");
            std::process::exit(1);
        }
    }
}
