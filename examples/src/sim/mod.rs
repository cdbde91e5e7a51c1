//! The simulated device: enrollment (profile, SCEP), check-in and command answers, run by
//! `examples/device-sim/main.rs` and by the end-to-end tests.
