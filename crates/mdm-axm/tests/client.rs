//! The async client against the mock (written next).
