//! The bodies a server answers check-in messages with.
//!
//! `Authenticate`, `TokenUpdate`, `CheckOut` and `SetBootstrapToken` are answered with an
//! empty HTTP 200. The others carry a body, modelled here; encode them with their `encode`
//! method (or [`mdm_plist::encode`]).

use mdm_plist::{Data, Dictionary};

use crate::Error;

mdm_plist::plist_dict! {
    /// The answer to a [`crate::UserAuthenticate`] request (`DigestChallenge`).
    ///
    /// An empty challenge accepts the user without a second round; a non-empty one makes
    /// the device send a second `UserAuthenticate` with `DigestResponse`. To decline the
    /// user channel, answer HTTP 410 instead of sending a body.
    #[derive(Debug, Clone, PartialEq)]
    pub struct UserAuthenticateResponse {
        /// The challenge (`DigestChallenge`), possibly empty.
        "DigestChallenge" => pub digest_challenge: String,
    }
}

impl UserAuthenticateResponse {
    /// A response carrying `challenge`.
    pub fn new(challenge: impl Into<String>) -> Self {
        UserAuthenticateResponse {
            digest_challenge: challenge.into(),
            extra: Dictionary::new(),
        }
    }

    /// The zero-length challenge that accepts the user in one round.
    pub fn accept() -> Self {
        Self::new("")
    }

    /// Encodes the response body.
    ///
    /// # Errors
    /// [`Error::Plist`] if encoding fails (it does not for values built by this crate).
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(mdm_plist::to_xml_bytes(self)?)
    }
}

mdm_plist::plist_dict! {
    /// The answer to a [`crate::GetBootstrapToken`] request. With no token escrowed, leave
    /// `BootstrapToken` out.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct BootstrapTokenResponse {
        /// The escrowed token (`BootstrapToken`).
        "BootstrapToken" => pub bootstrap_token: Option<Data>,
    }
}

impl BootstrapTokenResponse {
    /// A response carrying `token`.
    pub fn new(token: Option<Vec<u8>>) -> Self {
        BootstrapTokenResponse {
            bootstrap_token: token.map(Data::new),
            extra: Dictionary::new(),
        }
    }

    /// Encodes the response body.
    ///
    /// # Errors
    /// [`Error::Plist`] if encoding fails (it does not for values built by this crate).
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(mdm_plist::to_xml_bytes(self)?)
    }
}

mdm_plist::plist_dict! {
    /// The answer to a [`crate::GetToken`] request (`TokenData`). A string token is sent as
    /// its UTF-8 bytes.
    #[derive(Debug, Clone, PartialEq)]
    pub struct GetTokenResponse {
        /// The token (`TokenData`).
        "TokenData" => pub token_data: Data,
    }
}

impl GetTokenResponse {
    /// A response carrying `token`.
    pub fn new(token: impl Into<Vec<u8>>) -> Self {
        GetTokenResponse {
            token_data: Data::new(token.into()),
            extra: Dictionary::new(),
        }
    }

    /// Encodes the response body.
    ///
    /// # Errors
    /// [`Error::Plist`] if encoding fails (it does not for values built by this crate).
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(mdm_plist::to_xml_bytes(self)?)
    }
}

/// The answer to a [`crate::DeclarativeManagement`] request: not a plist but the JSON
/// document the `Endpoint` key names (synchronization tokens, declaration manifest, or one
/// declaration), passed through unchanged. A `status` request is answered with an empty
/// body.
///
/// This crate does not look inside; `mdm-declarative` models the documents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeclarativeManagementResponse {
    /// The response body.
    pub body: Vec<u8>,
}

impl DeclarativeManagementResponse {
    /// The `Content-Type` of a non-empty body.
    pub const CONTENT_TYPE: &'static str = "application/json";

    /// Wraps a JSON body.
    pub fn new(body: impl Into<Vec<u8>>) -> Self {
        DeclarativeManagementResponse { body: body.into() }
    }

    /// The `Content-Type` header to send, or `None` for an empty body.
    pub fn content_type(&self) -> Option<&'static str> {
        (!self.body.is_empty()).then_some(Self::CONTENT_TYPE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_round_trip() {
        let r = UserAuthenticateResponse::accept();
        let xml = r.encode().unwrap();
        assert!(
            String::from_utf8_lossy(&xml).contains("<key>DigestChallenge</key>"),
            "{}",
            String::from_utf8_lossy(&xml)
        );
        let back: UserAuthenticateResponse = mdm_plist::from_xml_bytes(&xml).unwrap();
        assert_eq!(back, r);

        let b = BootstrapTokenResponse::new(Some(b"secret".to_vec()));
        let back: BootstrapTokenResponse = mdm_plist::from_xml_bytes(&b.encode().unwrap()).unwrap();
        assert_eq!(back, b);
        let none = BootstrapTokenResponse::new(None).encode().unwrap();
        assert!(!String::from_utf8_lossy(&none).contains("BootstrapToken"));

        let t = GetTokenResponse::new("tok");
        let back: GetTokenResponse = mdm_plist::from_xml_bytes(&t.encode().unwrap()).unwrap();
        assert_eq!(back.token_data.as_ref(), b"tok");

        assert_eq!(
            DeclarativeManagementResponse::default().content_type(),
            None
        );
        assert_eq!(
            DeclarativeManagementResponse::new("{}").content_type(),
            Some("application/json")
        );
    }
}
