//! The async client.

/// x
#[derive(Debug)]
pub struct Client;
/// x
#[derive(Debug)]
pub struct ClientBuilder;
