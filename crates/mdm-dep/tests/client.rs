//! Placeholder until the client tests land.
