//! `device-sim`: a simulated Apple device (work in progress).
fn main() {}
