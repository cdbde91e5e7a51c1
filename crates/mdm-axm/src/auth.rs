//! OAuth 2 client credentials with an ES256 client assertion: the key, the assertion JWT,
//! the token request and answer, and the access-token cache.
//!
//! The JWT is written here rather than with a JOSE crate: the maintained ones
//! (`jsonwebtoken`, `josekit`) bring their own crypto backend (ring, aws-lc) or a second
//! OpenSSL binding, while the key is an [`mdm_signing::PrivateKey`] on the `openssl` crate
//! that every other crate of this workspace uses. An ES256 compact JWS is two base64url JSON
//! objects and a 64-byte `r||s` signature, a few lines on top of OpenSSL's ECDSA.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use mdm_signing::{KeyKind, PrivateKey};
use openssl::bn::BigNum;
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::{Private, Public};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::json::Extra;

/// The `aud` of every client assertion.
pub const ASSERTION_AUDIENCE: &str = "https://account.apple.com/auth/oauth2/v2/token";

/// The token endpoint as Apple's OAuth page documents it (parameters in the query string).
pub const DEFAULT_TOKEN_URL: &str = "https://account.apple.com/auth/oauth2/token";

/// The token endpoint nanoaxm uses (parameters in a form body).
pub const TOKEN_URL_V2: &str = "https://account.apple.com/auth/oauth2/v2/token";

/// The `client_assertion_type` of a JWT bearer assertion (RFC 7523).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest validity Apple accepts for a client assertion: `exp` no later than `iat` +
/// 180 days.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(180 * 86_400);

/// The validity of the assertions this crate signs unless told otherwise (one hour: a new
/// one is signed for every token request, so a short life costs nothing).
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// Longest client id or key id accepted (they are a prefix and a UUID, far shorter).
pub const MAX_ID_LEN: usize = 256;

/// The prefix of Apple Business Manager client ids.
pub const BUSINESS_CLIENT_PREFIX: &str = "BUSINESSAPI.";

/// The prefix of Apple School Manager client ids.
pub const SCHOOL_CLIENT_PREFIX: &str = "SCHOOLAPI.";

/// A secret string (access token, assertion): shown as `<redacted>` by `Debug`, read with
/// [`Secret::expose_secret`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Which portal, and so which API host and token scope, an account belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Scope {
    /// Apple Business Manager: `business.api`, `https://api-business.apple.com`.
    Business,
    /// Apple School Manager: `school.api`, `https://api-school.apple.com`.
    School,
}

impl Scope {
    /// The scope for a client id: `BUSINESSAPI.` ids are business accounts, every other id
    /// (Apple's are `SCHOOLAPI.`) a school account, as nanoaxm decides.
    ///
    /// ```
    /// use mdm_axm::Scope;
    /// assert_eq!(Scope::from_client_id("BUSINESSAPI.9703f56c"), Scope::Business);
    /// assert_eq!(Scope::from_client_id("SCHOOLAPI.27f3c"), Scope::School);
    /// ```
    pub fn from_client_id(client_id: &str) -> Self {
        if client_id.starts_with(BUSINESS_CLIENT_PREFIX) {
            Scope::Business
        } else {
            Scope::School
        }
    }

    /// The `scope` parameter of the token request.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Business => "business.api",
            Scope::School => "school.api",
        }
    }

    /// The API base URL of this portal.
    pub fn base_url(self) -> &'static str {
        match self {
            Scope::Business => crate::api::BUSINESS_BASE_URL,
            Scope::School => crate::api::SCHOOL_BASE_URL,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A P-256 private key that signs client assertions. `Debug` never shows it.
#[derive(Clone)]
pub struct SigningKey {
    key: EcKey<Private>,
}

impl SigningKey {
    /// Reads the key PEM from the portal. The file says `BEGIN EC PRIVATE KEY` but may hold
    /// SEC1 or PKCS#8; both are read under either label (`BEGIN PRIVATE KEY` too).
    ///
    /// # Errors
    /// [`Error::Key`] when no key can be read or it is not a P-256 key.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        let key = match PrivateKey::from_pem(pem) {
            Ok(k) => k,
            // The label does not match the content: take the base64 between the armor
            // lines and let the DER reader find out which structure it is.
            Err(first) => match pem_body(pem) {
                Some(der) => {
                    PrivateKey::from_der(&der).map_err(|_| Error::Key(first.to_string()))?
                }
                None => return Err(Error::Key(first.to_string())),
            },
        };
        Self::from_private_key(&key)
    }

    /// Uses a key already loaded.
    ///
    /// # Errors
    /// [`Error::Key`] when it is not a P-256 key.
    pub fn from_private_key(key: &PrivateKey) -> Result<Self, Error> {
        if key.kind() != KeyKind::EcP256 {
            return Err(Error::Key(format!(
                "the key must be an EC P-256 key, this one is {:?}",
                key.kind()
            )));
        }
        let key = key
            .as_openssl()
            .ec_key()
            .map_err(|_| Error::Key("cannot read the EC key".into()))?;
        Ok(SigningKey { key })
    }

    /// Makes a new random P-256 key (for tests and mocks).
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL cannot make one.
    pub fn generate() -> Result<Self, Error> {
        let key = PrivateKey::generate_p256().map_err(|e| Error::Key(e.to_string()))?;
        Self::from_private_key(&key)
    }

    /// The public half as an OpenSSL key (to verify assertions, as a mock does).
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL fails.
    pub fn public_key(&self) -> Result<EcKey<Public>, Error> {
        EcKey::from_public_key(self.key.group(), self.key.public_key())
            .map_err(|_| Error::Key("cannot copy the public key".into()))
    }

    /// The public key as a `BEGIN PUBLIC KEY` PEM.
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL fails.
    pub fn public_key_pem(&self) -> Result<Vec<u8>, Error> {
        self.public_key()?
            .public_key_to_pem()
            .map_err(|_| Error::Key("cannot write the public key".into()))
    }

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`).
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL fails.
    pub fn to_pkcs8_pem(&self) -> Result<Vec<u8>, Error> {
        openssl::pkey::PKey::from_ec_key(self.key.clone())
            .and_then(|k| k.private_key_to_pem_pkcs8())
            .map_err(|_| Error::Key("cannot write the private key".into()))
    }

    /// The private key as SEC1 PEM (`BEGIN EC PRIVATE KEY`).
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL fails.
    pub fn to_sec1_pem(&self) -> Result<Vec<u8>, Error> {
        self.key
            .private_key_to_pem()
            .map_err(|_| Error::Key("cannot write the private key".into()))
    }

    /// Signs `message` with ECDSA P-256 SHA-256 and returns the JOSE form: `r` and `s`, each
    /// 32 big-endian bytes, one after the other (not DER).
    ///
    /// # Errors
    /// [`Error::Key`] when OpenSSL fails.
    pub fn sign_es256(&self, message: &[u8]) -> Result<[u8; 64], Error> {
        let digest = openssl::sha::sha256(message);
        let sig = EcdsaSig::sign(&digest, &self.key)
            .map_err(|_| Error::Key("ECDSA signing failed".into()))?;
        raw_signature(sig.r(), sig.s())
    }
}

fn raw_signature(
    r: &openssl::bn::BigNumRef,
    s: &openssl::bn::BigNumRef,
) -> Result<[u8; 64], Error> {
    let mut out = [0u8; 64];
    let r = r
        .to_vec_padded(32)
        .map_err(|_| Error::Key("signature r is longer than 32 bytes".into()))?;
    let s = s
        .to_vec_padded(32)
        .map_err(|_| Error::Key("signature s is longer than 32 bytes".into()))?;
    out.get_mut(..32)
        .ok_or_else(|| Error::Key("signature buffer".into()))?
        .copy_from_slice(&r);
    out.get_mut(32..)
        .ok_or_else(|| Error::Key("signature buffer".into()))?
        .copy_from_slice(&s);
    Ok(out)
}

/// Turns a raw `r||s` ES256 signature into the DER `ECDSA-Sig-Value` OpenSSL verifies.
///
/// # Errors
/// [`Error::Key`] when `raw` is not 64 bytes.
pub fn raw_signature_to_der(raw: &[u8]) -> Result<Vec<u8>, Error> {
    let (Some(r), Some(s)) = (raw.get(..32), raw.get(32..)) else {
        return Err(Error::Key("an ES256 signature is 64 bytes".into()));
    };
    if raw.len() != 64 {
        return Err(Error::Key("an ES256 signature is 64 bytes".into()));
    }
    let bn = |b: &[u8]| BigNum::from_slice(b).map_err(|_| Error::Key("bad signature".into()));
    EcdsaSig::from_private_components(bn(r)?, bn(s)?)
        .and_then(|sig| sig.to_der())
        .map_err(|_| Error::Key("bad signature".into()))
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// The base64 body of the first PEM block, decoded.
fn pem_body(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let start = text.find("-----BEGIN ")?;
    let after = text.get(start..)?;
    let body_start = after.find('\n')? + 1;
    let body = after.get(body_start..)?;
    let end = body.find("-----END ")?;
    let b64: String = body
        .get(..end)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// What an API account is: its client id, key id and key, from the portal.
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    key_id: String,
    team_id: Option<String>,
    key: SigningKey,
}

impl Credentials {
    /// The credentials of one API account.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when an id is empty, too long or holds characters other
    /// than printable ASCII.
    pub fn new(
        client_id: impl Into<String>,
        key_id: impl Into<String>,
        key: SigningKey,
    ) -> Result<Self, Error> {
        let client_id = check_id("client id", client_id.into())?;
        let key_id = check_id("key id", key_id.into())?;
        Ok(Credentials {
            client_id,
            key_id,
            team_id: None,
            key,
        })
    }

    /// Sets the `iss` claim (the team id; default: the client id, as in Apple's example).
    ///
    /// # Errors
    /// As [`Credentials::new`].
    pub fn with_team_id(mut self, team_id: impl Into<String>) -> Result<Self, Error> {
        self.team_id = Some(check_id("team id", team_id.into())?);
        Ok(self)
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The key id (the `kid` header).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The `iss` claim.
    pub fn issuer(&self) -> &str {
        self.team_id.as_deref().unwrap_or(&self.client_id)
    }

    /// The scope the client id asks for.
    pub fn scope(&self) -> Scope {
        Scope::from_client_id(&self.client_id)
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Signs a client assertion issued at `now`, valid for `lifetime`, with this `jti`.
    ///
    /// ```
    /// use mdm_axm::{Credentials, SigningKey};
    /// # fn main() -> Result<(), mdm_axm::Error> {
    /// let creds = Credentials::new("BUSINESSAPI.1234", "kid-1", SigningKey::generate()?)?;
    /// let jwt = creds.assertion(chrono::Utc::now(), std::time::Duration::from_secs(600), "jti-1")?;
    /// assert_eq!(jwt.expose_secret().split('.').count(), 3);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when `lifetime` is zero or longer than
    /// [`MAX_ASSERTION_LIFETIME`], or `jti` is empty or too long; [`Error::Key`] when
    /// signing fails.
    pub fn assertion(
        &self,
        now: DateTime<Utc>,
        lifetime: Duration,
        jti: &str,
    ) -> Result<Secret, Error> {
        if lifetime.is_zero() || lifetime > MAX_ASSERTION_LIFETIME {
            return Err(Error::InvalidRequest(format!(
                "an assertion lives more than 0 s and at most 180 days, not {} s",
                lifetime.as_secs()
            )));
        }
        let jti = check_id("jti", jti.to_owned())?;
        let iat = now.timestamp();
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
        let claims = AssertionClaims {
            iss: self.issuer().to_owned(),
            sub: self.client_id.clone(),
            aud: ASSERTION_AUDIENCE.to_owned(),
            iat,
            exp: iat.saturating_add(secs),
            jti,
        };
        let header = AssertionHeader {
            alg: "ES256".into(),
            kid: self.key_id.clone(),
            typ: Some("JWT".into()),
        };
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(crate::json::encode(&header)?),
            URL_SAFE_NO_PAD.encode(crate::json::encode(&claims)?)
        );
        let sig = self.key.sign_es256(signing_input.as_bytes())?;
        Ok(Secret(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(sig)
        )))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("key", &self.key)
            .finish()
    }
}

fn check_id(what: &str, id: String) -> Result<String, Error> {
    if id.is_empty() || id.len() > MAX_ID_LEN || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidRequest(format!(
            "the {what} must be 1 to {MAX_ID_LEN} printable ASCII characters without spaces"
        )));
    }
    Ok(id)
}

/// The JOSE header of a client assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AssertionHeader {
    /// Always `ES256`.
    pub alg: String,
    /// The key id.
    pub kid: String,
    /// `JWT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// The claims of a client assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AssertionClaims {
    /// The team id (the client id unless set).
    pub iss: String,
    /// The client id.
    pub sub: String,
    /// [`ASSERTION_AUDIENCE`].
    pub aud: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch; at most 180 days after `iat`.
    pub exp: i64,
    /// Unique per assertion.
    pub jti: String,
}

/// A client assertion taken apart (what a token endpoint checks before the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodedAssertion {
    /// The header.
    pub header: AssertionHeader,
    /// The claims.
    pub claims: AssertionClaims,
    /// `header.claims`, the bytes the signature covers.
    pub signing_input: String,
    /// The raw `r||s` signature.
    pub signature: Vec<u8>,
}

impl DecodedAssertion {
    /// Splits and decodes a compact JWS (no signature check: see
    /// [`DecodedAssertion::verify`]).
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] when it is not three base64url parts of the expected
    /// JSON.
    pub fn decode(jwt: &str) -> Result<Self, Error> {
        let bad = |detail: &str| Error::MalformedResponse {
            what: "client assertion",
            detail: detail.to_owned(),
        };
        if jwt.len() > 8192 {
            return Err(bad("longer than 8192 bytes"));
        }
        let mut parts = jwt.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not three dot-separated parts"));
        };
        let b64 = |p: &str| URL_SAFE_NO_PAD.decode(p).map_err(|_| bad("not base64url"));
        let header: AssertionHeader = crate::json::decode("client assertion", &b64(h)?)?;
        let claims: AssertionClaims = crate::json::decode("client assertion", &b64(c)?)?;
        Ok(DecodedAssertion {
            header,
            claims,
            signing_input: format!("{h}.{c}"),
            signature: b64(s)?,
        })
    }

    /// Whether the ES256 signature is valid for `key`.
    pub fn verify(&self, key: &EcKey<Public>) -> bool {
        let Ok(der) = raw_signature_to_der(&self.signature) else {
            return false;
        };
        let digest = openssl::sha::sha256(self.signing_input.as_bytes());
        EcdsaSig::from_der(&der)
            .and_then(|sig| sig.verify(&digest, key))
            .unwrap_or(false)
    }
}

/// How the token request carries its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenRequestStyle {
    /// In the query string, with an empty form body, as Apple's OAuth page shows (default).
    #[default]
    Query,
    /// In an `application/x-www-form-urlencoded` body, as nanoaxm sends them.
    Form,
}

/// The parameters of a token request, percent-encoded.
pub(crate) fn token_params(credentials: &Credentials, assertion: &Secret) -> String {
    form_encode(&[
        ("grant_type", "client_credentials"),
        ("client_id", credentials.client_id()),
        ("client_assertion_type", CLIENT_ASSERTION_TYPE),
        ("client_assertion", assertion.expose_secret()),
        ("scope", credentials.scope().as_str()),
    ])
}

/// Percent-encodes `key=value` pairs for a query string or form body (unreserved
/// characters kept, everything else `%XX`).
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        percent_encode_into(&mut out, k);
        out.push('=');
        percent_encode_into(&mut out, v);
    }
    out
}

pub(crate) fn percent_encode_into(out: &mut String, text: &str) {
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
    }
}

fn hex_digit(n: u8) -> char {
    char::from(if n < 10 { b'0' + n } else { b'A' + n - 10 })
}

/// Decodes `key=value&...` (percent escapes and `+`), as a token endpoint reads the
/// request. Pairs with bad escapes are kept with the escape as written.
pub fn form_decode(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The answer of the token endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token for `Authorization: Bearer`.
    pub access_token: Secret,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: String,
    /// Seconds the token is valid (Apple: 3600).
    #[serde(default = "default_expires_in")]
    pub expires_in: u64,
    /// The scope granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

fn default_expires_in() -> u64 {
    3600
}

impl TokenResponse {
    /// A `Bearer` answer (for mocks and tests).
    pub fn new(access_token: impl Into<String>, expires_in: u64) -> Self {
        TokenResponse {
            access_token: Secret::new(access_token),
            token_type: "Bearer".into(),
            expires_in,
            scope: None,
            extra: Extra::new(),
        }
    }

    /// Reads the body.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] when it is not this JSON or the token is empty.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let t: TokenResponse = crate::json::decode("token", bytes)?;
        if t.access_token.0.is_empty() {
            return Err(Error::MalformedResponse {
                what: "token",
                detail: "empty access_token".into(),
            });
        }
        Ok(t)
    }

    /// Writes the body.
    ///
    /// # Errors
    /// Never in practice.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::json::encode(self)
    }
}

/// A cached access token and when to replace it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token.
    pub token: Secret,
    /// When it was received.
    pub obtained_at: DateTime<Utc>,
    /// When Apple says it expires.
    pub expires_at: DateTime<Utc>,
    /// When to fetch the next one (80 % of its life).
    pub refresh_at: DateTime<Utc>,
}

impl AccessToken {
    /// The cache entry for an answer received at `now`.
    pub fn from_response(response: &TokenResponse, now: DateTime<Utc>) -> Self {
        let life = i64::try_from(response.expires_in.min(86_400 * 366)).unwrap_or(3600);
        let early = life.saturating_mul(8) / 10;
        AccessToken {
            token: response.access_token.clone(),
            obtained_at: now,
            expires_at: now + chrono::Duration::seconds(life),
            refresh_at: now + chrono::Duration::seconds(early),
        }
    }

    /// Whether it is still good to send at `now` (before its refresh time).
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now < self.refresh_at
    }
}

/// The access-token cache: hands out the token until 80 % of its life, and forgets it on
/// a 401 so the next request fetches a new one. Each stored token has a generation, so two
/// requests failing with the same stale token cause one refresh, not two.
#[derive(Debug, Clone, Default)]
pub struct TokenCache {
    current: Option<(u64, AccessToken)>,
    generation: u64,
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token and its generation if it is fresh at `now`.
    pub fn get(&self, now: DateTime<Utc>) -> Option<(u64, &AccessToken)> {
        self.current
            .as_ref()
            .filter(|(_, t)| t.is_fresh(now))
            .map(|(g, t)| (*g, t))
    }

    /// Stores a token received at `now`; returns its generation.
    pub fn store(&mut self, response: &TokenResponse, now: DateTime<Utc>) -> u64 {
        self.generation += 1;
        self.current = Some((self.generation, AccessToken::from_response(response, now)));
        self.generation
    }

    /// Forgets the token of `generation` after the API refused it (a newer one stays).
    pub fn invalidate(&mut self, generation: u64) {
        if self.current.as_ref().is_some_and(|(g, _)| *g == generation) {
            self.current = None;
        }
    }

    /// The current generation (0 before the first token).
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Makes a random `jti`: 16 bytes from OpenSSL's generator, as 32 hex digits.
///
/// # Errors
/// [`Error::Key`] when the generator fails.
pub fn random_jti() -> Result<String, Error> {
    let mut buf = [0u8; 16];
    openssl::rand::rand_bytes(&mut buf).map_err(|_| Error::Key("no randomness".into()))?;
    Ok(buf.iter().fold(String::with_capacity(32), |mut s, b| {
        s.push(hex_digit(b >> 4));
        s.push(hex_digit(b & 0x0f));
        s
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new("BUSINESSAPI.abc", "kid-1", SigningKey::generate().unwrap()).unwrap()
    }

    #[test]
    fn assertion_shape_and_signature() {
        let c = creds();
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let jwt = c.assertion(now, Duration::from_secs(600), "j1").unwrap();
        let d = DecodedAssertion::decode(jwt.expose_secret()).unwrap();
        assert_eq!(d.header.alg, "ES256");
        assert_eq!(d.header.kid, "kid-1");
        assert_eq!(d.claims.iss, "BUSINESSAPI.abc");
        assert_eq!(d.claims.sub, "BUSINESSAPI.abc");
        assert_eq!(d.claims.aud, ASSERTION_AUDIENCE);
        assert_eq!(d.claims.exp - d.claims.iat, 600);
        assert_eq!(d.signature.len(), 64);
        assert!(d.verify(&c.key().public_key().unwrap()));
        let other = SigningKey::generate().unwrap();
        assert!(!d.verify(&other.public_key().unwrap()));
    }

    #[test]
    fn lifetime_bound() {
        let c = creds();
        let now = Utc::now();
        assert!(c.assertion(now, MAX_ASSERTION_LIFETIME, "j").is_ok());
        assert!(
            c.assertion(now, MAX_ASSERTION_LIFETIME + Duration::from_secs(1), "j")
                .is_err()
        );
        assert!(c.assertion(now, Duration::ZERO, "j").is_err());
        assert!(c.assertion(now, Duration::from_secs(1), "").is_err());
    }

    #[test]
    fn pkcs8_under_the_ec_label() {
        let key = SigningKey::generate().unwrap();
        let pkcs8 = String::from_utf8(key.to_pkcs8_pem().unwrap()).unwrap();
        let relabelled = pkcs8.replace("PRIVATE KEY", "EC PRIVATE KEY");
        let sec1 = key.to_sec1_pem().unwrap();
        let sec1_relabelled = String::from_utf8(sec1.clone())
            .unwrap()
            .replace("EC PRIVATE KEY", "PRIVATE KEY");
        for pem in [
            pkcs8.as_bytes(),
            relabelled.as_bytes(),
            &sec1,
            sec1_relabelled.as_bytes(),
        ] {
            let k = SigningKey::from_pem(pem).unwrap();
            assert_eq!(k.public_key_pem().unwrap(), key.public_key_pem().unwrap());
        }
        assert!(SigningKey::from_pem(b"not a key").is_err());
        let rsa = PrivateKey::generate_rsa(2048).unwrap();
        assert!(SigningKey::from_private_key(&rsa).is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let c = creds();
        let text = format!("{c:?}");
        assert!(text.contains("<redacted>") && !text.contains("BEGIN"));
        assert_eq!(format!("{:?}", Secret::new("tok")), "Secret(<redacted>)");
    }

    #[test]
    fn cache_refresh_and_invalidate() {
        let now = Utc::now();
        let mut cache = TokenCache::new();
        assert!(cache.get(now).is_none());
        let g = cache.store(&TokenResponse::new("t1", 3600), now);
        assert!(cache.get(now + chrono::Duration::seconds(2879)).is_some());
        assert!(cache.get(now + chrono::Duration::seconds(2880)).is_none());
        cache.invalidate(g + 1);
        assert!(cache.get(now).is_some());
        cache.invalidate(g);
        assert!(cache.get(now).is_none());
    }

    #[test]
    fn form_round_trip() {
        let s = form_encode(&[("a b", "x&y=z/é"), ("k", "")]);
        assert_eq!(s, "a%20b=x%26y%3Dz%2F%C3%A9&k=");
        assert_eq!(
            form_decode(&s),
            [
                ("a b".into(), "x&y=z/é".into()),
                ("k".into(), String::new())
            ]
        );
        assert_eq!(form_decode("a=%zz+b"), [("a".into(), "%zz b".into())]);
        assert_eq!(random_jti().unwrap().len(), 32);
        assert_ne!(random_jti().unwrap(), random_jti().unwrap());
    }
}
