//! The HTTP surface: axum routes for enrollment, SCEP, check-in and commands, and the
//! JSON API. Handlers only move bytes; the logic is in [`Service`], the SCEP responder and
//! [`super::api`].

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use mdm_scep::ScepResponder;

use super::api;
use super::push::Pusher;
use super::service::{Reply, Service};

/// Content type of a configuration profile.
pub const PROFILE_CONTENT_TYPE: &str = "application/x-apple-aspen-config";

/// Largest JSON API request body.
pub const MAX_API_BODY_BYTES: usize = 1024 * 1024;

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
    Router::new()
        .merge(mdm)
        .merge(scep)
        .merge(open)
        .nest("/api/v1", api)
        .with_state(state)
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
