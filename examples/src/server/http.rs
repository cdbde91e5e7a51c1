//! The HTTP surface: axum routes for enrollment, SCEP, check-in and commands, and the
//! JSON API, and the accept loop that serves them. Handlers only move bytes; the logic is
//! in [`Service`], the SCEP responder and [`super::api`].
//!
//! [`serve`] bounds what a hostile or broken client can hold: every connection must send
//! its request headers within [`HttpLimits::header_read_timeout_secs`] (an idle kept-alive
//! connection too), every request must be read and answered within
//! [`HttpLimits::request_timeout_secs`] (408 otherwise), the headers of one request fit in
//! [`MAX_HEADER_BYTES`], and at most [`HttpLimits::max_connections`] connections are open at
//! once (kept under the process's open-file limit). Bodies are capped per route
//! ([`DefaultBodyLimit`]): an oversize body is answered 413 as soon as the cap is passed,
//! without reading the rest. `docs/fuzzing.md` has the measurements.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use mdm_scep::ScepResponder;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutLayer;
use tracing::{debug, info, warn};

use super::api;
use super::metrics::{Metrics, Refusal, Route, TEXT_CONTENT_TYPE};
use super::push::{PushResult, Pusher};
use super::service::{Reply, Service};
use super::store::PushInfo;

/// Content type of a configuration profile.
pub const PROFILE_CONTENT_TYPE: &str = "application/x-apple-aspen-config";

/// Largest JSON API request body.
pub const MAX_API_BODY_BYTES: usize = 1024 * 1024;

/// Default for [`HttpLimits::header_read_timeout_secs`].
pub const HEADER_READ_TIMEOUT_SECS: u64 = 20;

/// Default for [`HttpLimits::request_timeout_secs`].
pub const REQUEST_TIMEOUT_SECS: u64 = 60;

/// Default for [`HttpLimits::max_connections`].
pub const MAX_CONNECTIONS: usize = 16_384;

/// Open files kept back from the connection cap for everything else the server opens
/// (the store, its pool, outgoing APNs connections, logs).
pub const FD_RESERVE: u64 = 256;

/// Largest request head (request line and headers) read from a connection. An
/// `Mdm-Signature` with its certificate is a few KiB.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Pause after a failed `accept` (out of file descriptors, say) before trying again.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What one client may hold of the server, kept as `"http"` in `config.json`; every field
/// has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpLimits {
    /// Seconds a connection has to send a request's headers, counted from when the
    /// server starts waiting for them (a new connection, or a kept-alive one after its
    /// last answer); then it is closed. Default: [`HEADER_READ_TIMEOUT_SECS`].
    pub header_read_timeout_secs: u64,
    /// Seconds from the end of a request's headers to the end of its answer, reading the
    /// body included; a request still running then is answered 408 and its connection
    /// closed. Default: [`REQUEST_TIMEOUT_SECS`].
    pub request_timeout_secs: u64,
    /// Connections open at once; more wait in the listen queue until one closes. Lowered
    /// at start-up to the open-file limit less [`FD_RESERVE`]. Default:
    /// [`MAX_CONNECTIONS`].
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout_secs: HEADER_READ_TIMEOUT_SECS,
            request_timeout_secs: REQUEST_TIMEOUT_SECS,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

impl HttpLimits {
    /// The connection cap in force: [`HttpLimits::max_connections`], lowered to the
    /// process's soft open-file limit less [`FD_RESERVE`] (at least 1), and that limit
    /// when it could be read.
    pub fn connection_cap(&self) -> (usize, Option<u64>) {
        let limit = open_file_limit();
        let cap = match limit {
            Some(n) => {
                let room = usize::try_from(n.saturating_sub(FD_RESERVE)).unwrap_or(usize::MAX);
                self.max_connections.min(room)
            }
            None => self.max_connections,
        };
        (cap.max(1), limit)
    }
}

/// The soft `RLIMIT_NOFILE`, when there is one.
#[cfg(unix)]
fn open_file_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(unix))]
fn open_file_limit() -> Option<u64> {
    None
}

/// Whether an `accept` error concerns only the one connection (the peer gave up before
/// it was accepted), so the next `accept` may go ahead at once.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then stops
/// accepting and waits for the requests in flight (each bounded by the request timeout).
///
/// # Errors
/// None today: a failed `accept` is logged and retried after [`ACCEPT_BACKOFF`]; the
/// `Result` leaves room for set-up errors.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (cap, fd_limit) = limits.connection_cap();
    info!(
        max_connections = cap,
        open_file_limit = fd_limit,
        header_read_timeout_secs = limits.header_read_timeout_secs,
        request_timeout_secs = limits.request_timeout_secs,
        "http limits"
    );
    let app = app.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        Duration::from_secs(limits.request_timeout_secs),
    ));
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs))
        .max_buf_size(MAX_HEADER_BYTES);
    let permits = Arc::new(Semaphore::new(cap));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                // The semaphore is never closed.
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    warn!(error = %e, "accept failed; retrying");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let conn = http1.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Everything the handlers share.
pub struct AppState {
    /// Check-in and command logic.
    pub service: Arc<Service>,
    /// `/scep`.
    pub scep: Arc<ScepResponder>,
    /// The signed enrollment profile, built at start-up.
    pub profile: Vec<u8>,
    /// The CA certificate (PEM), served at `/mdm/ca`.
    pub ca_pem: Vec<u8>,
    /// Push sender.
    pub pusher: Pusher,
    /// The JSON API key.
    pub api_key: String,
    /// Counters served at `/metrics` (the service's own).
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Pushes to each target and counts the results.
    pub async fn push(&self, targets: Vec<(String, PushInfo)>) -> Vec<PushResult> {
        let results = self.pusher.push(targets).await;
        for r in &results {
            self.metrics.push(match &r.error {
                None => "sent",
                Some(_) if r.invalid => "invalid",
                Some(_) => "failed",
            });
        }
        results
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("service", &self.service)
            .field("pusher", &self.pusher)
            .finish_non_exhaustive()
    }
}

/// Turns a [`Reply`] into an axum response.
pub fn into_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, reply.body).into_response();
    if let Some(ct) = reply.content_type {
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    resp
}

/// Runs blocking work (crypto, SQLite) off the async workers.
async fn blocking(f: impl FnOnce() -> Reply + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(reply) => into_response(reply),
        Err(_) => into_response(Reply::error(500, "internal error")),
    }
}

/// The router.
pub fn router(state: Arc<AppState>, max_body_bytes: usize) -> Router {
    let mdm = Router::new()
        .route("/mdm/checkin", put(checkin))
        .route("/mdm/connect", put(connect))
        .layer(DefaultBodyLimit::max(max_body_bytes));
    let scep = Router::new()
        .route("/scep", get(scep).post(scep))
        .layer(DefaultBodyLimit::max(mdm_scep::http::MAX_REQUEST_BYTES));
    let open = Router::new()
        .route("/mdm/enroll", get(enroll))
        .route("/mdm/ca", get(ca));
    let api = api::router().layer(DefaultBodyLimit::max(MAX_API_BODY_BYTES));
    let ops = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz));
    Router::new()
        .merge(mdm)
        .merge(scep)
        .merge(open)
        .merge(ops)
        .nest("/api/v1", api)
        .layer(axum::middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// Times every request by route, and logs and counts the 413s the body limits answer
/// before any handler runs.
async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = Route::of(req.uri().path());
    let start = Instant::now();
    let resp = next.run(req).await;
    if resp.status() == StatusCode::PAYLOAD_TOO_LARGE {
        state.metrics.refused(
            Refusal::BodyTooLarge,
            None,
            &format_args!("{} request body over its limit", route.as_str()),
        );
    }
    state.metrics.observe(route, start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics`: the counters in the Prometheus text format. Unauthenticated, as
/// scrapers expect; it holds counts only, no device identifiers.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut resp = state.metrics.encode().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(TEXT_CONTENT_TYPE),
    );
    resp
}

/// `GET /healthz`: 200 when the store answers a query, 503 when it does not.
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let store = state.service.store().clone();
    match tokio::task::spawn_blocking(move || store.health()).await {
        Ok(Ok(())) => into_response(Reply::ok("text/plain; charset=utf-8", b"ok\n".to_vec())),
        Ok(Err(e)) => {
            warn!(error = %e, "health check: the store does not answer");
            into_response(Reply::error(503, "store unavailable"))
        }
        Err(_) => into_response(Reply::error(500, "internal error")),
    }
}

async fn enroll(State(state): State<Arc<AppState>>) -> Response {
    let mut resp = state.profile.clone().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROFILE_CONTENT_TYPE),
    );
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"enroll.mobileconfig\""),
    );
    resp
}

async fn ca(State(state): State<Arc<AppState>>) -> Response {
    let mut resp = state.ca_pem.clone().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-pem-file"),
    );
    resp
}

async fn checkin(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let service = state.service.clone();
    blocking(move || service.checkin(&headers, &body)).await
}

async fn connect(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let service = state.service.clone();
    blocking(move || service.report(&headers, &body)).await
}

async fn scep(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let responder = state.scep.clone();
    let reply = tokio::task::spawn_blocking(move || {
        let mut req = axum::http::Request::new(body.to_vec());
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        mdm_scep::http::respond(&responder, &req)
    })
    .await;
    match reply {
        Ok(resp) => {
            let (parts, body) = resp.into_parts();
            Response::from_parts(parts, axum::body::Body::from(body))
        }
        Err(_) => into_response(Reply::error(500, "internal error")),
    }
}
