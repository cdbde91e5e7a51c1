//! What the `mdmctl` CLI tests share.

use std::path::PathBuf;
use std::process::Command;

/// The built `mdmctl` example, building it first if this test runs on its own.
pub(crate) fn mdmctl() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let bin = profile_dir
        .join("examples")
        .join(format!("mdmctl{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "mdm-examples", "--example", "mdmctl"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "cannot build mdmctl");
    }
    bin
}
