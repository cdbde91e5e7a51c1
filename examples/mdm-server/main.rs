//! `mdm-server`: a working MDM server (work in progress).
fn main() {}
