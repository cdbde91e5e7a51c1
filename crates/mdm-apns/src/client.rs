//! The async HTTP/2 client (feature `client`): reqwest over rustls on tokio.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use http::header::CONTENT_LENGTH;

use crate::error::Error;
use crate::identity::PushIdentity;
use crate::push::{Push, build_request};
use crate::response::{Delivery, MAX_RESPONSE_BODY, parse_response_parts};
use crate::retry::{Jitter, RetryPolicy};

/// Apple's production APNs host.
pub const PRODUCTION_URL: &str = "https://api.push.apple.com";
/// Apple's development (sandbox) APNs host.
pub const DEVELOPMENT_URL: &str = "https://api.sandbox.push.apple.com";

/// Where pushes go.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// `api.push.apple.com`, where MDM push certificates work.
    Production,
    /// `api.sandbox.push.apple.com`.
    Development,
    /// Any base URL (`https://host:port`, no path): a test server or a proxy.
    Custom(String),
}

impl Endpoint {
    /// The base URL, on port 443 or, with `alternate_port`, on 2197 (Apple's port for
    /// networks that block 443). The port choice does not apply to [`Endpoint::Custom`].
    pub fn base_url(&self, alternate_port: bool) -> String {
        let host = match self {
            Endpoint::Production => PRODUCTION_URL,
            Endpoint::Development => DEVELOPMENT_URL,
            Endpoint::Custom(url) => return url.trim_end_matches('/').to_owned(),
        };
        if alternate_port {
            format!("{host}:2197")
        } else {
            host.to_owned()
        }
    }
}

/// The result of one push of a batch, with the push it belongs to.
#[derive(Debug)]
pub struct PushOutcome {
    /// The push, as given.
    pub push: Push,
    /// What APNs (or the network) answered, after any retries.
    pub result: Result<Delivery, Error>,
}

/// Settings for a [`Client`]; every setter names its default.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    identity: PushIdentity,
    endpoint: Endpoint,
    alternate_port: bool,
    roots: Vec<Vec<u8>>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    concurrency: usize,
    connections: usize,
}

impl ClientBuilder {
    /// Pushes to `endpoint` (default [`Endpoint::Production`]).
    #[must_use]
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Uses port 2197 instead of 443 for Apple's endpoints (default off).
    #[must_use]
    pub fn alternate_port(mut self, on: bool) -> Self {
        self.alternate_port = on;
        self
    }

    /// Trusts these root certificates (PEM, one or more) *instead of* the platform's.
    /// Default: none, so the platform's roots are used.
    #[must_use]
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Self {
        self.roots.push(pem.to_vec());
        self
    }

    /// Gives up on one attempt after this long (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Gives up connecting after this long (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How retryable failures are retried (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Most pushes [`Client::push_many`] keeps in flight (default 500; at least 1). The
    /// server's `SETTINGS_MAX_CONCURRENT_STREAMS` still applies per connection.
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// HTTP/2 connections to spread pushes over (default 1; at least 1).
    #[must_use]
    pub fn connections(mut self, n: usize) -> Self {
        self.connections = n.max(1);
        self
    }

    /// Makes the client. No connection is opened until the first push.
    ///
    /// # Errors
    /// [`Error::Config`] when the identity, the root certificates or the TLS setup are
    /// refused, [`Error::Identity`] when the identity cannot be encoded.
    pub fn build(&self) -> Result<Client, Error> {
        let base = self.endpoint.base_url(self.alternate_port);
        let parsed = reqwest::Url::parse(&base)
            .map_err(|e| Error::Config(format!("bad base url {base:?}: {e}")))?;
        if parsed.scheme() != "https" || parsed.path() != "/" || parsed.host().is_none() {
            return Err(Error::Config(format!(
                "base url {base:?} must be https://host[:port] without a path"
            )));
        }
        let tls = crate::tls::client_config(&self.identity, &self.roots)?;
        let mut http = Vec::with_capacity(self.connections);
        for _ in 0..self.connections {
            // Our own rustls configuration (see `tls.rs`), also when another crate in the build
            // enables reqwest's native-tls.
            let b = reqwest::Client::builder()
                .tls_backend_preconfigured(tls.clone())
                .http2_prior_knowledge()
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .http2_keep_alive_interval(Duration::from_secs(60))
                .http2_keep_alive_timeout(Duration::from_secs(20))
                .http2_keep_alive_while_idle(true)
                .pool_idle_timeout(None)
                .pool_max_idle_per_host(1)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .user_agent(concat!("mdm-apns/", env!("CARGO_PKG_VERSION")));
            http.push(
                b.build().map_err(|e| {
                    Error::Config(format!("cannot build the client: {}", chain(&e)))
                })?,
            );
        }
        Ok(Client {
            http,
            next: Arc::new(AtomicUsize::new(0)),
            base,
            retry: self.retry,
            concurrency: self.concurrency,
            jitter: Arc::new(Mutex::new(Jitter::new(
                RandomState::new().hash_one(0x6d646d_u64),
            ))),
        })
    }
}

/// Sends MDM pushes over long-lived HTTP/2 connections, many streams at a time.
///
/// Cloning is cheap and clones share the connections: make one client per push
/// certificate and hand clones to every task.
///
/// Retryable failures (429, 5xx, timeouts, resets, connections closed by GOAWAY) are sent
/// again with exponential backoff and jitter, on a new connection when the old one is gone;
/// permanent ones are returned at once.
///
/// ```no_run
/// # async fn demo() -> Result<(), mdm_apns::Error> {
/// use mdm_apns::{Client, Push, PushIdentity};
///
/// let identity = PushIdentity::from_pem(
///     &std::fs::read("push.pem").unwrap_or_default(),
///     &std::fs::read("push.key").unwrap_or_default(),
/// )?;
/// let topic = identity.topic().clone();
/// let client = Client::builder(identity).build()?;
/// let push = Push::new("0123456789abcdef".parse()?, "magic".parse()?, topic);
/// client.push(&push).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    http: Vec<reqwest::Client>,
    next: Arc<AtomicUsize>,
    base: String,
    retry: RetryPolicy,
    concurrency: usize,
    jitter: Arc<Mutex<Jitter>>,
}

impl Client {
    /// Settings for a client authenticating with `identity`, at their defaults.
    pub fn builder(identity: PushIdentity) -> ClientBuilder {
        ClientBuilder {
            identity,
            endpoint: Endpoint::Production,
            alternate_port: false,
            roots: Vec::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            concurrency: 500,
            connections: 1,
        }
    }

    /// The base URL pushes go to.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends one push, retrying retryable failures.
    ///
    /// # Errors
    /// [`Error::Rejected`] with APNs's reason; [`Error::Timeout`], [`Error::Connection`],
    /// [`Error::MalformedResponse`] or [`Error::ResponseTooLarge`] when the last attempt
    /// failed that way.
    pub async fn push(&self, push: &Push) -> Result<Delivery, Error> {
        let mut retry = 0;
        loop {
            match self.send_once(push).await {
                Err(e) if e.is_retryable() && retry < self.retry.max_retries => {
                    let jitter = self.jitter.lock().map_or(0.5, |mut j| j.next());
                    tokio::time::sleep(self.retry.delay(retry, jitter, e.retry_after())).await;
                    retry += 1;
                }
                done => return done,
            }
        }
    }

    /// Sends many pushes, at most [`ClientBuilder::concurrency`] at a time, and returns one
    /// outcome per push in the order given.
    pub async fn push_many<I>(&self, pushes: I) -> Vec<PushOutcome>
    where
        I: IntoIterator<Item = Push>,
    {
        let mut out: Vec<(usize, PushOutcome)> = futures_util::stream::iter(pushes)
            .enumerate()
            .map(|(i, push)| async move {
                let result = self.push(&push).await;
                (i, PushOutcome { push, result })
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        out.sort_unstable_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, o)| o).collect()
    }

    /// One attempt: build, send, read at most [`MAX_RESPONSE_BODY`] bytes, classify.
    async fn send_once(&self, push: &Push) -> Result<Delivery, Error> {
        let (mut parts, body) = build_request(push).into_parts();
        // reqwest sets the length from the body itself.
        parts.headers.remove(CONTENT_LENGTH);
        let url = format!("{}{}", self.base, parts.uri.path());
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.http.len().max(1);
        let http = self
            .http
            .get(n)
            .ok_or_else(|| Error::Config("no connection configured".to_owned()))?;
        let mut resp = http
            .post(url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| map_reqwest(&e))?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        if resp
            .content_length()
            .is_some_and(|len| len > MAX_RESPONSE_BODY as u64)
        {
            return Err(Error::ResponseTooLarge {
                limit: MAX_RESPONSE_BODY,
            });
        }
        let mut buf = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| map_reqwest(&e))? {
            if buf.len() + chunk.len() > MAX_RESPONSE_BODY {
                return Err(Error::ResponseTooLarge {
                    limit: MAX_RESPONSE_BODY,
                });
            }
            buf.extend_from_slice(&chunk);
        }
        parse_response_parts(status, &headers, &buf)
    }
}

/// The error and its sources, joined, so the message names the root cause.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

fn map_reqwest(e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout;
    }
    let text = chain(e);
    if e.is_builder() {
        Error::Config(text)
    } else if text.contains("certificate") || text.contains("UnknownIssuer") {
        // A server we do not trust (or that refused our certificate) will not change its
        // mind on a retry.
        Error::Config(format!("tls: {text}"))
    } else {
        Error::Connection(text)
    }
}
