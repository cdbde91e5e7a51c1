//! An async SCEP client over reqwest (feature `client`): GetCACaps, GetCACert, and
//! enrollment with PENDING handled by CertPoll at the caller's interval until a deadline.
//!
//! ```no_run
//! use mdm_scep::{CsrBuilder, client::Client};
//! use mdm_signing::PrivateKey;
//!
//! # async fn run() -> Result<(), mdm_scep::Error> {
//! let client = Client::new("http://127.0.0.1:8080/scep")?;
//! let key = PrivateKey::generate_rsa(2048)?;
//! let csr = CsrBuilder::new("device-1").challenge_password("s3cret").build(&key)?;
//! let issued = client.enroll(csr, key).await?;
//! println!("{}", issued.certificate.subject());
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use mdm_signing::{Identity, PrivateKey};

use crate::ca::{AlgorithmPolicy, CaCertificates, Capabilities};
use crate::csr::Csr;
use crate::error::Error;
use crate::requester::{Issued, Outcome, RequestOptions, Transaction};

/// Largest HTTP body read from a SCEP server (4 MiB).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// A SCEP client for one server URL.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    policy: AlgorithmPolicy,
    pin: Option<Vec<u8>>,
    poll_interval: Duration,
    poll_deadline: Duration,
    force_get: bool,
}

impl Client {
    /// A client for `url` (the SCEP path, such as `http://host/scep`), with a 30 s request
    /// timeout.
    ///
    /// # Errors
    /// [`Error::Http`] when the HTTP client cannot be built.
    pub fn new(url: &str) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(http_err)?;
        Ok(Client::with_http(url, http))
    }

    /// A client for `url` that sends through `http`: many SCEP clients (one per simulated
    /// or managed device, say) then share one connection pool, and the caller's timeouts,
    /// proxy and TLS settings apply.
    pub fn with_http(url: &str, http: reqwest::Client) -> Self {
        Client {
            http,
            url: url.to_owned(),
            policy: AlgorithmPolicy::default(),
            pin: None,
            poll_interval: Duration::from_secs(10),
            poll_deadline: Duration::from_secs(300),
            force_get: false,
        }
    }

    /// Sets the algorithm policy. Default: [`AlgorithmPolicy::default`] (no single DES).
    #[must_use]
    pub fn policy(mut self, policy: AlgorithmPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Pins the CA certificate's SHA-256 fingerprint (32 octets). Default: no pin.
    #[must_use]
    pub fn pin_sha256(mut self, fingerprint: Vec<u8>) -> Self {
        self.pin = Some(fingerprint);
        self
    }

    /// Sets the CertPoll interval and the overall deadline for a PENDING enrollment.
    /// Default: every 10 s for up to 300 s.
    #[must_use]
    pub fn polling(mut self, interval: Duration, deadline: Duration) -> Self {
        self.poll_interval = interval;
        self.poll_deadline = deadline;
        self
    }

    /// Uses GET for PKIOperation even when the server allows POST. Default: false.
    #[must_use]
    pub fn force_get(mut self, on: bool) -> Self {
        self.force_get = on;
        self
    }

    /// GetCACaps.
    ///
    /// # Errors
    /// [`Error::Http`], and as [`Capabilities::decode`].
    pub async fn caps(&self) -> Result<Capabilities, Error> {
        let body = self.send(crate::http::get_ca_caps(&self.url)?).await?;
        Capabilities::decode(&body)
    }

    /// GetCACert, with the pin checked.
    ///
    /// # Errors
    /// [`Error::Http`], and as [`CaCertificates::from_body`].
    pub async fn ca_certificates(&self) -> Result<CaCertificates, Error> {
        let body = self
            .send(crate::http::get_ca_cert(&self.url, None)?)
            .await?;
        CaCertificates::from_body(&body, self.pin.as_deref())
    }

    /// GetNextCACert: the rollover CA certificates, signed by the current CA.
    ///
    /// # Errors
    /// [`Error::Http`], and as [`crate::next_ca_certificates`].
    pub async fn next_ca_certificates(
        &self,
        current_ca: &mdm_signing::Certificate,
    ) -> Result<Vec<mdm_signing::Certificate>, Error> {
        let body = self.send(crate::http::get_next_ca_cert(&self.url)?).await?;
        crate::ca::next_ca_certificates(&body, current_ca)
    }

    /// Sends one PKIOperation and returns the reply DER.
    ///
    /// # Errors
    /// [`Error::Http`].
    pub async fn pki_operation(&self, der: &[u8], post: bool) -> Result<Vec<u8>, Error> {
        self.send(crate::http::pki_operation(&self.url, der, post)?)
            .await
    }

    /// Enrolls `csr` (made with `key`): capabilities, CA certificates, PKCSReq, and
    /// CertPoll while PENDING.
    ///
    /// # Errors
    /// [`Error::Rejected`] with the failInfo on FAILURE, [`Error::PendingTimeout`], and
    /// every check of [`Transaction::handle_response`].
    pub async fn enroll(&self, csr: Csr, key: PrivateKey) -> Result<Issued, Error> {
        let (caps, ca) = self.prepare().await?;
        let options = RequestOptions::from_caps(&caps, &self.policy)?;
        let (tx, der) = Transaction::enroll(csr, key, ca, options)?;
        self.run(tx, der, caps.post() && !self.force_get).await
    }

    /// Renews with the current identity signing the RenewalReq.
    ///
    /// # Errors
    /// As [`Client::enroll`].
    pub async fn renew(
        &self,
        csr: Csr,
        key: PrivateKey,
        current: Identity,
    ) -> Result<Issued, Error> {
        let (caps, ca) = self.prepare().await?;
        let options = RequestOptions::from_caps(&caps, &self.policy)?;
        let (tx, der) = Transaction::renew(csr, key, current, ca, options)?;
        self.run(tx, der, caps.post() && !self.force_get).await
    }

    async fn prepare(&self) -> Result<(Capabilities, CaCertificates), Error> {
        let caps = self.caps().await?;
        let ca = self.ca_certificates().await?;
        Ok((caps, ca))
    }

    async fn run(&self, mut tx: Transaction, der: Vec<u8>, post: bool) -> Result<Issued, Error> {
        let deadline = tokio::time::Instant::now() + self.poll_deadline;
        let mut reply = self.pki_operation(&der, post).await?;
        loop {
            match tx.handle_response(&reply)? {
                Outcome::Issued(issued) => return Ok(issued),
                Outcome::Pending => {
                    if tokio::time::Instant::now() + self.poll_interval > deadline {
                        return Err(Error::PendingTimeout);
                    }
                    tokio::time::sleep(self.poll_interval).await;
                    let poll = tx.poll()?;
                    reply = self.pki_operation(&poll, post).await?;
                }
                Outcome::Certificates(_) | Outcome::Crl(_) => {
                    return Err(Error::NoIssuedCertificate);
                }
            }
        }
    }

    async fn send(&self, req: http::Request<Vec<u8>>) -> Result<Vec<u8>, Error> {
        let (parts, body) = req.into_parts();
        let mut rb = self
            .http
            .request(parts.method, parts.uri.to_string())
            .headers(parts.headers);
        if !body.is_empty() {
            rb = rb.body(body);
        }
        let mut resp = rb.send().await.map_err(http_err)?;
        let status = resp.status();
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(http_err)? {
            if out.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(Error::TooLarge {
                    len: out.len() + chunk.len(),
                    limit: MAX_RESPONSE_BYTES,
                });
            }
            out.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(Error::Http {
                status: Some(status.as_u16()),
                message: String::from_utf8_lossy(out.get(..200).unwrap_or(&out)).into_owned(),
            });
        }
        Ok(out)
    }
}

fn http_err(e: reqwest::Error) -> Error {
    Error::Http {
        status: e.status().map(|s| s.as_u16()),
        message: e.to_string(),
    }
}
