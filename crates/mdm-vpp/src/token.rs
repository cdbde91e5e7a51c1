//! The location's content token (`sToken`): what it says, and keeping it secret.

use std::fmt;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

use crate::Error;

/// Largest content token file accepted, in bytes (Apple's are well under 1 KiB).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// How many days before expiry [`ContentToken::needs_renewal`] starts saying yes: 15, the
/// window in which Apple adds `tokenExpirationDate` to its responses.
pub const RENEWAL_WARNING_DAYS: i64 = 15;

/// Base64 as Apple writes it, tolerating missing padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A location's content token, downloaded from Apple Business Manager or Apple School
/// Manager (a `.vpptoken` file): Base64 of the JSON `{token, expDate, orgName}`.
///
/// The whole Base64 text is the secret sent as `Authorization: Bearer`; it never appears
/// in `Debug` output, only through [`ContentToken::expose_secret`].
///
/// ```
/// use mdm_vpp::ContentToken;
///
/// // {"token":"c2VjcmV0","expDate":"2030-11-08T22:33:22+0000","orgName":"Example Org"}
/// let file = b"eyJ0b2tlbiI6ImMyVmpjbVYwIiwiZXhwRGF0ZSI6IjIwMzAtMTEtMDhUMjI6MzM6MjIrMDAwMCIsIm9yZ05hbWUiOiJFeGFtcGxlIE9yZyJ9\n";
/// let token = ContentToken::decode(file)?;
/// assert_eq!(token.org_name(), "Example Org");
/// assert!(!format!("{token:?}").contains("c2VjcmV0"));
/// # Ok::<(), mdm_vpp::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ContentToken {
    raw: String,
    expires_at: DateTime<Utc>,
    org_name: String,
}

#[derive(Deserialize)]
struct TokenJson {
    token: String,
    #[serde(
        rename = "expDate",
        deserialize_with = "crate::date::required::deserialize"
    )]
    exp_date: DateTime<Utc>,
    #[serde(rename = "orgName", default)]
    org_name: String,
}

impl ContentToken {
    /// Reads a token file: Base64 text, surrounding whitespace and newlines ignored.
    ///
    /// An expired token decodes (so a caller can say when it expired); requests made
    /// with it are refused with [`Error::TokenExpired`].
    ///
    /// # Errors
    /// [`Error::Invalid`] when the file is too large, not Base64, or not the JSON Apple
    /// writes (with a non-empty `token` and a readable `expDate`).
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_TOKEN_BYTES {
            return Err(Error::invalid(
                "content token",
                format!("larger than {MAX_TOKEN_BYTES} bytes"),
            ));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::invalid("content token", "not text"))?
            .trim();
        let json = BASE64
            .decode(text)
            .map_err(|_| Error::invalid("content token", "not base64"))?;
        let parsed: TokenJson = serde_json::from_slice(&json).map_err(|e| {
            Error::invalid(
                "content token",
                format!("not the JSON of a content token: {e}"),
            )
        })?;
        if parsed.token.trim().is_empty() {
            return Err(Error::invalid("content token", "the token field is empty"));
        }
        Ok(ContentToken {
            raw: text.to_owned(),
            expires_at: parsed.exp_date,
            org_name: parsed.org_name,
        })
    }

    /// The token file's text (trimmed), as [`ContentToken::decode`] read it.
    ///
    /// # Errors
    /// Never; the signature matches the other wire types.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(self.raw.as_bytes().to_vec())
    }

    /// The secret: the Base64 text sent as `Authorization: Bearer`.
    pub fn expose_secret(&self) -> &str {
        &self.raw
    }

    /// When the token stops working (`expDate`).
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The organization the token belongs to (`orgName`).
    pub fn org_name(&self) -> &str {
        &self.org_name
    }

    /// Whether the token has expired at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }

    /// Time left until expiry at `now` (negative once expired).
    pub fn expires_in(&self, now: DateTime<Utc>) -> TimeDelta {
        self.expires_at - now
    }

    /// Whole days left until expiry at `now` (0 on the last day, negative once expired).
    pub fn days_until_expiry(&self, now: DateTime<Utc>) -> i64 {
        self.expires_in(now).num_days()
    }

    /// Whether the token expires within [`RENEWAL_WARNING_DAYS`] of `now`, so an
    /// administrator should download a new one.
    pub fn needs_renewal(&self, now: DateTime<Utc>) -> bool {
        self.expires_in(now) <= TimeDelta::days(RENEWAL_WARNING_DAYS)
    }

    /// Refuses an expired token.
    ///
    /// # Errors
    /// [`Error::TokenExpired`] when the token has expired at `now`.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), Error> {
        if self.is_expired(now) {
            return Err(Error::TokenExpired {
                expired_at: self.expires_at,
            });
        }
        Ok(())
    }
}

impl fmt::Debug for ContentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContentToken")
            .field("org_name", &self.org_name)
            .field("expires_at", &self.expires_at)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl std::str::FromStr for ContentToken {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::decode(s.as_bytes())
    }
}

/// A shared secret kept out of `Debug` output: the notification bearer token an MDM sets
/// in its client configuration (`notificationAuthToken`).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(json: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .encode(json)
            .into_bytes()
    }

    #[test]
    fn decodes_and_redacts() {
        let mut file =
            make(r#"{"token":"c2VjcmV0","expDate":"2030-11-08T22:33:22+0000","orgName":"Org"}"#);
        file.extend_from_slice(b"  \r\n\n");
        let t = ContentToken::decode(&file).unwrap();
        assert_eq!(t.org_name(), "Org");
        assert_eq!(t.expires_at().to_rfc3339(), "2030-11-08T22:33:22+00:00");
        let dbg = format!("{t:?}");
        assert!(!dbg.contains("c2VjcmV0") && !dbg.contains(t.expose_secret()));
        assert!(!t.expose_secret().ends_with('\n'));
        let now = "2030-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(t.days_until_expiry(now), 7);
        assert!(t.needs_renewal(now));
        assert!(t.check(now).is_ok());
        let later = "2031-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let err = t.check(later).unwrap_err();
        assert!(err.is_token_expired() && err.is_unauthorized());
    }

    #[test]
    fn refuses_bad_files() {
        for bad in [
            b"not base64!".to_vec(),
            make("[]"),
            make(r#"{"token":"","expDate":"2030-11-08T22:33:22Z"}"#),
            make(r#"{"token":"x","expDate":"tomorrow"}"#),
            make(r#"{"token":"x"}"#),
            vec![b'A'; MAX_TOKEN_BYTES + 1],
            vec![0xff, 0xfe],
        ] {
            assert!(ContentToken::decode(&bad).is_err());
        }
    }

    #[test]
    fn secret_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.expose_secret(), "hunter2");
    }
}
