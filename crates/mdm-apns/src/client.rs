//! The async HTTP/2 client (feature `client`): h2 over rustls on tokio.
//!
//! The client speaks HTTP/2 through `h2` itself rather than through reqwest and hyper: a push
//! is one small request on a long-lived connection, and the general-purpose layers above h2
//! (URL parsing, connection pool checkout, a channel and a spawned task per request, body
//! piping) cost more CPU than the request itself. What those layers gave is done here: one
//! connection per slot, opened on first use and again after GOAWAY or a failure, keep-alive
//! pings, timeouts, and a bounded response body.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::HeaderValue;
use http::header::{CONTENT_LENGTH, USER_AGENT};
use http::uri::{Authority, Scheme};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::Error;
use crate::identity::PushIdentity;
use crate::push::{Push, request_head};
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
        let bad = || {
            Error::Config(format!(
                "base url {base:?} must be https://host[:port] without a path"
            ))
        };
        let uri = http::Uri::try_from(base.as_str())
            .map_err(|e| Error::Config(format!("bad base url {base:?}: {e}")))?;
        let authority = uri.authority().cloned().ok_or_else(bad)?;
        if uri.scheme() != Some(&Scheme::HTTPS)
            || !matches!(uri.path(), "" | "/")
            || uri.query().is_some()
            || authority.host().is_empty()
            || authority.as_str().contains('@')
        {
            return Err(bad());
        }
        // `[::1]` is bracketed in the authority only.
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let server_name = ServerName::try_from(host.clone())
            .map_err(|e| Error::Config(format!("bad host in {base:?}: {e}")))?;
        let tls = crate::tls::client_config(&self.identity, &self.roots)?;
        let topic = HeaderValue::from_str(self.identity.topic().as_str())
            .map_err(|e| Error::Config(format!("topic as a header: {e}")))?;
        let slots = (0..self.connections).map(|_| Slot::default()).collect();
        Ok(Client {
            inner: Arc::new(Inner {
                slots,
                next: AtomicUsize::new(0),
                base,
                host,
                port: authority.port_u16().unwrap_or(443),
                authority,
                server_name,
                tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
                topic: (self.identity.topic().clone(), topic),
                timeout: self.timeout,
                connect_timeout: self.connect_timeout,
                retry: self.retry,
                concurrency: self.concurrency,
                jitter: Mutex::new(Jitter::new(RandomState::new().hash_one(0x6d646d_u64))),
                generation: AtomicUsize::new(0),
            }),
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
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

/// What the clones of a [`Client`] share.
struct Inner {
    slots: Vec<Slot>,
    next: AtomicUsize,
    base: String,
    /// Host name (or IP address, without brackets) and port to connect to.
    host: String,
    port: u16,
    authority: Authority,
    server_name: ServerName<'static>,
    tls: tokio_rustls::TlsConnector,
    /// The certificate's topic and its `apns-topic` value, made once.
    topic: (crate::Topic, HeaderValue),
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    concurrency: usize,
    jitter: Mutex<Jitter>,
    /// Numbers the connections opened, so a failure closes only the one it happened on.
    generation: AtomicUsize,
}

/// One HTTP/2 connection, opened on first use and again once it is gone.
#[derive(Default)]
struct Slot {
    current: Mutex<Option<Connection>>,
    /// Held while connecting, so that pushes waiting for the slot share one new connection.
    connecting: tokio::sync::Mutex<()>,
}

/// A handle to an open connection; the connection itself runs in its own task.
#[derive(Clone)]
struct Connection {
    send: h2::client::SendRequest<Bytes>,
    generation: usize,
    state: Arc<ConnectionState>,
}

/// What the connection's task and its I/O tell the pushes using it.
#[derive(Default)]
struct ConnectionState {
    /// Set when the connection task ends (closed by either side, GOAWAY done, ping lost).
    closed: AtomicBool,
    /// Set when a read failed because the server refused our certificate.
    refused: AtomicBool,
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
        &self.inner.base
    }

    /// Sends one push, retrying retryable failures.
    ///
    /// # Errors
    /// [`Error::Rejected`] with APNs's reason; [`Error::Timeout`], [`Error::Connection`],
    /// [`Error::MalformedResponse`] or [`Error::ResponseTooLarge`] when the last attempt
    /// failed that way; [`Error::Config`], not retried, when the server's certificate is not
    /// trusted or the server refuses ours.
    pub async fn push(&self, push: &Push) -> Result<Delivery, Error> {
        // The body is encoded once; every attempt sends the same bytes.
        let body = push.body();
        let inner = &*self.inner;
        let mut retry = 0;
        loop {
            match inner.send_once(push, &body).await {
                Err(e) if e.is_retryable() && retry < inner.retry.max_retries => {
                    let jitter = inner.jitter.lock().map_or(0.5, |mut j| j.next());
                    tokio::time::sleep(inner.retry.delay(retry, jitter, e.retry_after())).await;
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
            .buffer_unordered(self.inner.concurrency)
            .collect()
            .await;
        out.sort_unstable_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, o)| o).collect()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base)
            .field("connections", &self.inner.slots.len())
            .field("timeout", &self.inner.timeout)
            .field("retry", &self.inner.retry)
            .field("concurrency", &self.inner.concurrency)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// One attempt within the timeout: a connection, the request, the response.
    async fn send_once(&self, push: &Push, body: &Bytes) -> Result<Delivery, Error> {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len().max(1);
        let slot = self
            .slots
            .get(n)
            .ok_or_else(|| Error::Config("no connection configured".to_owned()))?;
        let attempt = async {
            let mut resent = false;
            loop {
                let Connection {
                    send,
                    generation,
                    state,
                } = self.connection(slot).await?;
                let failure = match self.exchange(send, &state, push, body).await {
                    Ok(answer) => return answer,
                    Err(failure) => failure,
                };
                if !matches!(failure, Failure::Stream(_)) {
                    slot.forget(generation);
                }
                match failure {
                    // The server never saw it (the connection was already going away, as
                    // after nginx's `keepalive_requests` or a reload): send it again at once
                    // on a new connection rather than after a backoff.
                    Failure::Unsent(_) if !resent => resent = true,
                    failure => return Err(failure.into_error()),
                }
            }
        };
        tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or(Err(Error::Timeout))
    }

    /// The slot's connection, opened (within the connect timeout) when there is none.
    async fn connection(&self, slot: &Slot) -> Result<Connection, Error> {
        if let Some(conn) = slot.open() {
            return Ok(conn);
        }
        let _connecting = slot.connecting.lock().await;
        if let Some(conn) = slot.open() {
            return Ok(conn);
        }
        let conn = tokio::time::timeout(self.connect_timeout, self.connect())
            .await
            .unwrap_or(Err(Error::Timeout))?;
        *slot.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
        Ok(conn)
    }

    /// TCP, TLS (ALPN `h2`), the HTTP/2 handshake, and the task that drives the connection.
    async fn connect(&self) -> Result<Connection, Error> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| Error::Connection(format!("connect to {}: {e}", self.authority)))?;
        // Requests are small and latency-bound; do not let Nagle hold them back.
        let _ = tcp.set_nodelay(true);
        let tls = self
            .tls
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| tls_error(&e))?;
        if tls.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(Error::Config(format!(
                "{} does not speak HTTP/2 (ALPN h2)",
                self.authority
            )));
        }
        let state = Arc::new(ConnectionState::default());
        let tls = NoteRefusal {
            tls,
            state: state.clone(),
        };
        let (send, mut conn) = h2::client::Builder::new()
            .enable_push(false)
            .max_header_list_size(16 * 1024)
            .handshake::<_, Bytes>(tls)
            .await
            .map_err(|e| Failure::from_h2(e, &state).into_error())?;
        let ping = conn.ping_pong();
        let done = state.clone();
        tokio::spawn(async move {
            tokio::select! {
                biased;
                _ = &mut conn => {}
                () = keep_alive(ping) => {}
            }
            done.closed.store(true, Ordering::Release);
        });
        Ok(Connection {
            send,
            generation: self.generation.fetch_add(1, Ordering::Relaxed),
            state,
        })
    }

    /// Sends the push on the connection `send` belongs to and reads the answer.
    ///
    /// `send` is this push's own handle to the connection (a clone costs a lock inside h2,
    /// so there is one per push).
    async fn exchange(
        &self,
        send: h2::client::SendRequest<Bytes>,
        state: &ConnectionState,
        push: &Push,
        body: &Bytes,
    ) -> Result<Result<Delivery, Error>, Failure> {
        let topic = (push.topic == self.topic.0).then_some(&self.topic.1);
        let mut req = request_head(
            push,
            body.len(),
            Some((&Scheme::HTTPS, &self.authority)),
            topic,
        );
        req.headers_mut()
            .insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        // Until `send_request` succeeds, no stream exists: a failure here is one of the
        // connection, before the request left.
        let failed = |e| Failure::from_h2(e, state);
        let unsent = |e| match failed(e) {
            Failure::Connection(e) => Failure::Unsent(e),
            other => other,
        };
        let mut send = send.ready().await.map_err(unsent)?;
        let (response, mut stream) = send.send_request(req, body.is_empty()).map_err(unsent)?;
        // A server may answer (and close the stream) before it has read the body: nginx's
        // `return 200` does, and the connection task can see that answer before this
        // thread sends the body, which then fails with "inactive stream". The answer
        // decides, and when none comes its error says why the stream ended.
        if !body.is_empty() {
            let _ = stream.send_data(body.clone(), true);
        }
        let response = response.await.map_err(failed)?;
        let (head, mut recv) = response.into_parts();
        let too_large = Error::ResponseTooLarge {
            limit: MAX_RESPONSE_BODY,
        };
        if head
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|len| len > MAX_RESPONSE_BODY as u64)
        {
            return Ok(Err(too_large));
        }
        let mut buf = Vec::new();
        while let Some(chunk) = recv.data().await {
            let chunk = chunk.map_err(failed)?;
            // Give the window back so the server may send the rest.
            let _ = recv.flow_control().release_capacity(chunk.len());
            if buf.len() + chunk.len() > MAX_RESPONSE_BODY {
                return Ok(Err(too_large));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(parse_response_parts(
            head.status.as_u16(),
            &head.headers,
            &buf,
        ))
    }
}

impl Slot {
    /// The current connection, unless it has closed.
    fn open(&self) -> Option<Connection> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|c| !c.state.closed.load(Ordering::Acquire))
            .cloned()
    }

    /// Drops the connection numbered `generation` if it is still the current one, so the
    /// next push opens a new one.
    fn forget(&self, generation: usize) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_some_and(|c| c.generation == generation) {
            *current = None;
        }
    }
}

const USER_AGENT_VALUE: &str = concat!("mdm-apns/", env!("CARGO_PKG_VERSION"));

/// Pings the server every 60 s; returns when a ping goes unanswered for 20 s (or pinging is
/// impossible), which ends the connection.
async fn keep_alive(ping: Option<h2::PingPong>) {
    let Some(mut ping) = ping else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
        match tokio::time::timeout(Duration::from_secs(20), ping.ping(h2::Ping::opaque())).await {
            Ok(Ok(_)) => {}
            _ => return,
        }
    }
}

/// How an exchange failed: on the stream alone, or with the connection it used.
enum Failure {
    /// The stream was reset; the connection is still good.
    Stream(Error),
    /// The connection is closing or gone (GOAWAY, I/O, protocol error).
    Connection(Error),
    /// As `Connection`, but before the request was handed to the connection, so the server
    /// cannot have acted on it.
    Unsent(Error),
}

impl Failure {
    /// Classifies an error of h2 on a connection in `state`.
    fn from_h2(e: h2::Error, state: &ConnectionState) -> Failure {
        let text = chain(&e);
        if e.is_reset() && !e.is_go_away() {
            return Failure::Stream(Error::Connection(text));
        }
        // h2 keeps only the text of an I/O error, so the refusal was noted underneath it.
        let refused = e.is_io() && state.refused.load(Ordering::Acquire);
        Failure::Connection(if refused {
            Error::Config(format!("tls: {text}"))
        } else {
            Error::Connection(text)
        })
    }

    fn into_error(self) -> Error {
        match self {
            Failure::Stream(e) | Failure::Connection(e) | Failure::Unsent(e) => e,
        }
    }
}

/// The TLS stream under h2, noting in the connection's state when a read fails because the
/// server refused our certificate.
///
/// With TLS 1.3 a server checks the client's certificate after the client's half of the
/// handshake is done, so its refusal arrives as an alert on a later read, inside h2.
struct NoteRefusal {
    tls: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    state: Arc<ConnectionState>,
}

impl AsyncRead for NoteRefusal {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.tls).poll_read(cx, buf);
        if let Poll::Ready(Err(e)) = &polled
            && is_certificate_refusal(e)
        {
            self.state.refused.store(true, Ordering::Release);
        }
        polled
    }
}

impl AsyncWrite for NoteRefusal {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tls).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tls.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tls).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tls).poll_shutdown(cx)
    }
}

/// A failed TLS handshake: permanent when it is about certificates (ours refused, theirs
/// untrusted: a retry will not change that), retryable otherwise.
fn tls_error(e: &std::io::Error) -> Error {
    let text = chain(e);
    if is_certificate_refusal(e) {
        Error::Config(format!("tls: {text}"))
    } else {
        Error::Connection(format!("tls: {text}"))
    }
}

/// Whether `e` is rustls refusing a certificate, or the server refusing ours.
///
/// `DecryptError` counts: a server sends it when the signature on our certificate does not
/// verify under the CA it knows by that issuer name (another CA of the same name), which no
/// retry changes.
fn is_certificate_refusal(e: &std::io::Error) -> bool {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    matches!(
        rustls_error,
        Some(
            rustls::Error::InvalidCertificate(_)
                | rustls::Error::NoCertificatesPresented
                | rustls::Error::AlertReceived(
                    rustls::AlertDescription::BadCertificate
                        | rustls::AlertDescription::CertificateRequired
                        | rustls::AlertDescription::CertificateRevoked
                        | rustls::AlertDescription::CertificateExpired
                        | rustls::AlertDescription::CertificateUnknown
                        | rustls::AlertDescription::UnsupportedCertificate
                        | rustls::AlertDescription::UnknownCA
                        | rustls::AlertDescription::AccessDenied
                        | rustls::AlertDescription::DecryptError,
                ),
        )
    )
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
