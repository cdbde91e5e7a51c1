//! The JSON API, under `/api/v1`, for operators: list devices, queue any command, read
//! results, push. Every call needs `Authorization: Bearer <api_key>`.
//!
//! | call | does |
//! | --- | --- |
//! | `GET /devices` | every enrollment |
//! | `GET /devices/{id}` | one enrollment |
//! | `GET /devices/{id}/commands` | its last 100 commands and their state |
//! | `DELETE /devices/{id}/commands` | drop its commands not yet answered (or deferred with `NotNow`) |
//! | `GET /devices/{id}/checkins` | its last 100 check-ins |
//! | `POST /commands` | queue a command (see [`EnqueueRequest`]) and push |
//! | `GET /commands/{uuid}` | a command's state and answers on every device |
//! | `POST /push` | push to devices (`{"devices": [...]}`) |
//! | `PUT /declarations` | store a declaration (JSON document); answers its `ServerToken` |
//! | `GET /declarations` | every stored declaration |
//! | `DELETE /declarations/{identifier}` | delete one no device's set holds |
//! | `GET /devices/{id}/declarations` | the device's declaration set |
//! | `PUT /devices/{id}/declarations` | replace its set (`{"identifiers": [...]}`) and sync |
//! | `GET /devices/{id}/declaration-status` | the latest status items and errors it reported |
//!
//! A change of a device's set (its identifiers, or a stored declaration in it getting a
//! new `ServerToken`) queues a `DeclarativeManagement` command for the device and pushes.
//!
//! In command payloads, plist types JSON lacks are written `{"$data": "<base64>"}` and
//! `{"$date": "<RFC 3339>"}`.

// Handlers return early with a finished `Response` as their error; boxing it would only
// move the allocation.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use base64::Engine as _;
use mdm_commands::{AnyCommand, AnyRequest, CommandUuid, RequestType};
use mdm_plist::{Dictionary, Value};
use serde::Deserialize;
use serde_json::json;

use super::declarative;
use super::http::AppState;
use super::metrics::Refusal;
use super::store::{CommandRecord, Delivery, NewCommand, Removal, Store, StoreError};

/// Most devices one API call may name.
pub const MAX_DEVICES_PER_CALL: usize = 100_000;

/// Rows returned by the per-device listings.
pub const LIST_LIMIT: u32 = 100;

/// Most declarations one device's set may hold.
pub const MAX_SET_DECLARATIONS: usize = 5_000;

/// The routes (nested under `/api/v1` by the caller).
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/devices", get(devices))
        .route("/devices/{id}", get(device))
        .route(
            "/devices/{id}/commands",
            get(device_commands).delete(clear_queue),
        )
        .route("/devices/{id}/checkins", get(device_checkins))
        .route("/commands", post(enqueue))
        .route("/commands/{uuid}", get(command))
        .route("/push", post(push))
        .route("/declarations", get(list_declarations).put(put_declaration))
        .route("/declarations/{identifier}", delete(delete_declaration))
        .route(
            "/devices/{id}/declarations",
            get(device_declarations).put(put_device_declarations),
        )
        .route("/devices/{id}/declaration-status", get(declaration_status))
}

/// A JSON error body with a status.
fn fail(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn storage(e: StoreError) -> Response {
    tracing::warn!(error = %e, "storage failed");
    fail(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
}

/// Compares without an early exit, so the key cannot be guessed byte by byte from timing.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(k) if same(k.as_bytes(), state.api_key.as_bytes()) => Ok(()),
        _ => {
            let why = "missing or wrong API key (Authorization: Bearer <api_key from config.json>)";
            state.metrics.refused(Refusal::ApiKey, None, &why);
            Err(fail(StatusCode::UNAUTHORIZED, why))
        }
    }
}

/// Runs a store call on the blocking pool.
async fn with_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    let store = state.service.store().clone();
    match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
        Ok(r) => r.map_err(storage),
        Err(_) => Err(fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error")),
    }
}

/// Authorizes, runs a store read on the blocking pool and renders it as JSON; `None` is
/// a 404 with `missing`.
async fn read<T: Send + 'static>(
    state: &AppState,
    headers: &HeaderMap,
    query: impl FnOnce(&dyn Store) -> Result<Option<T>, StoreError> + Send + 'static,
    render: impl FnOnce(T) -> serde_json::Value,
    missing: &str,
) -> Response {
    if let Err(r) = authorize(state, headers) {
        return r;
    }
    match with_store(state, query).await {
        Ok(Some(v)) => Json(render(v)).into_response(),
        Ok(None) => fail(StatusCode::NOT_FOUND, missing),
        Err(r) => r,
    }
}

async fn devices(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let query = |s: &dyn Store| s.devices().map(Some);
    read(
        &state,
        &headers,
        query,
        |list| json!({ "devices": list }),
        "",
    )
    .await
}

async fn device(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let query = move |s: &dyn Store| s.device(&id);
    read(&state, &headers, query, |d| json!(d), "no such device").await
}

async fn device_commands(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let query = move |s: &dyn Store| s.device_commands(&id, LIST_LIMIT).map(Some);
    let render = |list: Vec<Delivery>| {
        let list: Vec<_> = list.iter().map(delivery_json).collect();
        json!({ "commands": list })
    };
    read(&state, &headers, query, render, "").await
}

async fn clear_queue(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let query = move |s: &dyn Store| {
        if s.exists(&id)? {
            s.clear_queue(&id).map(Some)
        } else {
            Ok(None)
        }
    };
    let render = |n: usize| json!({ "removed": n });
    read(&state, &headers, query, render, "no such device").await
}

async fn device_checkins(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let query = move |s: &dyn Store| s.checkins(&id, LIST_LIMIT).map(Some);
    let render = |list: Vec<(String, i64)>| {
        let list: Vec<_> = list
            .into_iter()
            .map(|(message_type, at)| json!({ "message_type": message_type, "at": at }))
            .collect();
        json!({ "checkins": list })
    };
    read(&state, &headers, query, render, "").await
}

/// A delivery as JSON, with the device's answer decoded from its raw plist.
fn delivery_json(d: &Delivery) -> serde_json::Value {
    let mut v = json!({
        "enrollment_id": d.enrollment_id,
        "command_uuid": d.command_uuid,
        "request_type": d.request_type,
        "status": d.status,
        "delivered_at": d.delivered_at,
        "answered_at": d.answered_at,
        "deliveries": d.deliveries,
        "typed_error": d.typed_error,
    });
    if let (Some(raw), Some(obj)) = (&d.raw, v.as_object_mut()) {
        let response = mdm_plist::value_from_xml_bytes(raw, &mdm_plist::Limits::default())
            .map(|value| crate::plist_to_json(&value))
            .unwrap_or(serde_json::Value::Null);
        obj.insert("response".into(), response);
        obj.insert(
            "raw".into(),
            serde_json::Value::String(String::from_utf8_lossy(raw).into_owned()),
        );
    }
    v
}

async fn command(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Response {
    let query = move |s: &dyn Store| s.command(&uuid);
    let render = |c: CommandRecord| {
        let results: Vec<_> = c.deliveries.iter().map(delivery_json).collect();
        json!({
            "command_uuid": c.command_uuid,
            "request_type": c.request_type,
            "created_at": c.created_at,
            "results": results,
        })
    };
    read(&state, &headers, query, render, "no such command").await
}

/// `POST /commands`: what to queue and for whom.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnqueueRequest {
    /// Enrollment ids to queue for.
    #[serde(default)]
    pub devices: Vec<String>,
    /// Queue for every enrollment instead.
    #[serde(default)]
    pub all: bool,
    /// `RequestType`, with `payload` holding the other keys of the `Command` dictionary.
    #[serde(default)]
    pub request_type: Option<String>,
    /// The keys of the `Command` dictionary besides `RequestType`.
    #[serde(default)]
    pub payload: Option<serde_json::Map<String, serde_json::Value>>,
    /// Instead of `request_type` and `payload`: a whole command plist (XML).
    #[serde(default)]
    pub plist: Option<String>,
    /// `CommandUUID`; a random one when absent.
    #[serde(default)]
    pub command_uuid: Option<String>,
    /// Push to the devices after queueing. Default: true.
    #[serde(default = "yes")]
    pub push: bool,
}

fn yes() -> bool {
    true
}

/// Converts JSON to a plist value: `{"$data": base64}` and `{"$date": RFC 3339}` stand for
/// the plist types JSON lacks; integers stay integers.
///
/// # Errors
/// On `null`, numbers out of range, and malformed `$data` / `$date`.
pub fn json_to_plist(v: &serde_json::Value) -> Result<Value, String> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => return Err("null has no plist form".into()),
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Integer(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Integer(u.into())
            } else {
                Value::Real(n.as_f64().ok_or("number out of range")?)
            }
        }
        J::String(s) => Value::String(s.clone()),
        J::Array(a) => Value::Array(a.iter().map(json_to_plist).collect::<Result<_, _>>()?),
        J::Object(o) => {
            if o.len() == 1 {
                if let Some(J::String(b)) = o.get("$data") {
                    let data = base64::engine::general_purpose::STANDARD
                        .decode(b.trim())
                        .map_err(|e| format!("$data: {e}"))?;
                    return Ok(Value::Data(data));
                }
                if let Some(J::String(d)) = o.get("$date") {
                    let date = mdm_plist::plist::Date::from_xml_format(d)
                        .map_err(|e| format!("$date: {e}"))?;
                    return Ok(Value::Date(date));
                }
            }
            let mut dict = Dictionary::new();
            for (k, v) in o {
                dict.insert(
                    k.clone(),
                    json_to_plist(v).map_err(|e| format!("{k}: {e}"))?,
                );
            }
            Value::Dictionary(dict)
        }
    })
}

/// Builds the command an [`EnqueueRequest`] asks for.
///
/// # Errors
/// A message for the caller: missing fields, unknown keys for a known request type, bad
/// values.
pub fn build_command(req: &EnqueueRequest) -> Result<AnyCommand, String> {
    let command = if let Some(xml) = &req.plist {
        if req.request_type.is_some() || req.payload.is_some() {
            return Err("give either plist or request_type/payload, not both".into());
        }
        AnyCommand::decode(xml.as_bytes()).map_err(|e| format!("plist: {e}"))?
    } else {
        let request_type = req
            .request_type
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or("request_type is required")?;
        let mut dict = Dictionary::new();
        if let Some(payload) = &req.payload {
            for (k, v) in payload {
                if k == "RequestType" {
                    return Err("payload must not repeat RequestType".into());
                }
                dict.insert(
                    k.clone(),
                    json_to_plist(v).map_err(|e| format!("payload.{k}: {e}"))?,
                );
            }
        }
        let request_type = RequestType::from(request_type);
        let payload = AnyRequest::from_dictionary(&request_type, dict)
            .map_err(|e| format!("payload for {}: {e}", request_type.as_str()))?;
        AnyCommand {
            command_uuid: CommandUuid::random(),
            request_type,
            payload,
            extra: Dictionary::new(),
        }
    };
    let mut command = command;
    if let Some(uuid) = &req.command_uuid {
        command.command_uuid =
            CommandUuid::new(uuid.clone()).map_err(|e| format!("command_uuid: {e}"))?;
    }
    Ok(command)
}

/// Authorizes and reads a JSON request body that names at most
/// [`MAX_DEVICES_PER_CALL`] devices.
fn json_request<T: serde::de::DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    devices: impl Fn(&T) -> usize,
) -> Result<T, Response> {
    authorize(state, headers)?;
    let req: T = serde_json::from_slice(body)
        .map_err(|e| fail(StatusCode::BAD_REQUEST, format!("request: {e}")))?;
    if devices(&req) > MAX_DEVICES_PER_CALL {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_DEVICES_PER_CALL} devices per call"),
        ));
    }
    Ok(req)
}

async fn enqueue(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match json_request(&state, &headers, &body, |r: &EnqueueRequest| {
        r.devices.len()
    }) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if req.devices.is_empty() && !req.all {
        return fail(StatusCode::BAD_REQUEST, "name devices, or set all: true");
    }
    let command = match build_command(&req) {
        Ok(c) => c,
        Err(e) => return fail(StatusCode::BAD_REQUEST, e),
    };
    let body = match command.encode() {
        Ok(b) => b,
        Err(e) => return fail(StatusCode::BAD_REQUEST, format!("command: {e}")),
    };
    let new = NewCommand {
        command_uuid: command.command_uuid.as_str().to_owned(),
        request_type: command.request_type.as_str().to_owned(),
        body,
    };
    let (all, named) = (req.all, req.devices.clone());
    let queued = with_store(&state, move |s| {
        if s.request_type(&new.command_uuid)?.is_some() {
            return Ok(None);
        }
        let ids = if all {
            s.devices()?.into_iter().map(|d| d.id).collect()
        } else {
            named
        };
        let n = s.enqueue(&ids, &new)?;
        Ok(Some((n, ids)))
    })
    .await;
    let (queued, ids) = match queued {
        Ok(Some(q)) => q,
        Ok(None) => return fail(StatusCode::CONFLICT, "command_uuid already used"),
        Err(r) => return r,
    };
    state.metrics.queued(queued);
    let pushes = if req.push && state.pusher.is_on() {
        let targets = match with_store(&state, move |s| s.push_info(&ids)).await {
            Ok(t) => t,
            Err(r) => return r,
        };
        Some(state.push(targets).await)
    } else {
        None
    };
    (
        StatusCode::CREATED,
        Json(json!({
            "command_uuid": command.command_uuid.as_str(),
            "request_type": command.request_type.as_str(),
            "queued": queued,
            "pushes": pushes,
            "push": if state.pusher.is_on() { "on" } else { "off: no push certificate configured" },
        })),
    )
        .into_response()
}

/// `POST /push`: the enrollment ids to push to. Public so the fuzz target decodes the same
/// type the handler does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// Enrollment ids.
    pub devices: Vec<String>,
}

async fn push(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let req = match json_request(&state, &headers, &body, |r: &PushRequest| r.devices.len()) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if !state.pusher.is_on() {
        return fail(
            StatusCode::CONFLICT,
            "pushes are off: no push certificate configured",
        );
    }
    let ids = req.devices;
    let targets = match with_store(&state, move |s| s.push_info(&ids)).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let results = state.push(targets).await;
    Json(json!({ "pushes": results })).into_response()
}

/// Queues a `DeclarativeManagement` command for `ids` and pushes to them (when push is
/// configured), as `POST /commands` does; `null` when `ids` is empty.
async fn sync(state: &AppState, ids: Vec<String>) -> Result<serde_json::Value, Response> {
    if ids.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    let command = declarative::sync_command().map_err(|e| {
        tracing::warn!(error = %e, "DeclarativeManagement command");
        fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    })?;
    let uuid = command.command_uuid.clone();
    let targets = ids.clone();
    // A device that still has one waiting fetches the latest tokens when it gets that one,
    // so it needs no second command.
    let (queued, already) = with_store(state, move |s| {
        let waiting: std::collections::HashSet<String> = s
            .waiting(&targets, &command.request_type)?
            .into_iter()
            .collect();
        let fresh: Vec<String> = targets
            .into_iter()
            .filter(|id| !waiting.contains(id))
            .collect();
        let queued = if fresh.is_empty() {
            0
        } else {
            s.enqueue(&fresh, &command)?
        };
        Ok((queued, waiting.len()))
    })
    .await?;
    state.metrics.queued(queued);
    let pushes = if state.pusher.is_on() {
        let targets = with_store(state, move |s| s.push_info(&ids)).await?;
        Some(state.push(targets).await)
    } else {
        None
    };
    Ok(json!({
        "command_uuid": uuid,
        "queued": queued,
        "already_waiting": already,
        "pushes": pushes,
    }))
}

async fn put_declaration(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    let stored = match mdm_declarative::Declaration::decode(&body)
        .map_err(|e| format!("declaration: {e}"))
        .and_then(declarative::to_stored)
    {
        Ok(d) => d,
        Err(e) => return fail(StatusCode::BAD_REQUEST, e),
    };
    let (identifier, token, ty) = (
        stored.identifier.clone(),
        stored.server_token.clone(),
        stored.declaration_type.clone(),
    );
    let outcome = with_store(&state, move |s| {
        if let Some(why) = breaks_a_set(s, &stored)? {
            return Ok(Err(why));
        }
        s.put_declaration(&stored, super::now()).map(Ok)
    })
    .await;
    let affected = match outcome {
        Ok(Ok(a)) => a,
        Ok(Err(why)) => return fail(StatusCode::CONFLICT, why),
        Err(r) => return r,
    };
    let devices = affected.len();
    let sync = match sync(&state, affected).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    Json(json!({
        "identifier": identifier,
        "type": ty,
        "server_token": token,
        "devices_changed": devices,
        "sync": sync,
    }))
    .into_response()
}

/// Why replacing a declaration with `new` would leave a device's set invalid (an activation
/// naming a declaration that is not in the set, say), checked against every distinct set that
/// holds it; `None` when every set stays valid. The check and the write are separate store
/// calls, so a set changed by another replica between the two is not seen: the set route
/// checks again whenever a set is given.
fn breaks_a_set(
    s: &dyn Store,
    new: &super::store::StoredDeclaration,
) -> Result<Option<String>, StoreError> {
    let sets = s.sets_holding(&new.identifier)?;
    if sets.is_empty() {
        return Ok(None);
    }
    let mut wanted: Vec<String> = sets.iter().flatten().cloned().collect();
    wanted.sort();
    wanted.dedup();
    let stored = s.declarations(Some(&wanted))?;
    for set in &sets {
        let members: Vec<_> = stored
            .iter()
            .filter(|d| set.binary_search(&d.identifier).is_ok())
            .map(|d| {
                if d.identifier == new.identifier {
                    new.clone()
                } else {
                    d.clone()
                }
            })
            .collect();
        let problems = match declarative::to_set(&members) {
            Ok(set) => set.validate(),
            Err(e) => return Ok(Some(e)),
        };
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Ok(Some(format!(
                "this change would leave a device's set invalid: {}",
                text.join("; ")
            )));
        }
    }
    Ok(None)
}

/// A stored declaration as the API lists it.
fn declaration_json(d: &super::store::StoredDeclaration) -> serde_json::Value {
    json!({
        "identifier": d.identifier,
        "type": d.declaration_type,
        "server_token": d.server_token,
        "updated_at": d.updated_at,
        "declaration": serde_json::from_slice::<serde_json::Value>(&d.body).ok(),
    })
}

async fn list_declarations(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let query = |s: &dyn Store| s.declarations(None).map(Some);
    let render = |list: Vec<super::store::StoredDeclaration>| json!({ "declarations": list.iter().map(declaration_json).collect::<Vec<_>>() });
    read(&state, &headers, query, render, "").await
}

async fn delete_declaration(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(identifier): Path<String>,
) -> Response {
    if let Err(r) = authorize(&state, &headers) {
        return r;
    }
    let id = identifier.clone();
    match with_store(&state, move |s| s.delete_declaration(&id)).await {
        Ok(Removal::Removed) => Json(json!({ "removed": identifier })).into_response(),
        Ok(Removal::NotFound) => fail(StatusCode::NOT_FOUND, "no such declaration"),
        Ok(Removal::InUse(n)) => fail(
            StatusCode::CONFLICT,
            format!("in the set of {n} devices; take it out of their sets first"),
        ),
        Err(r) => r,
    }
}

async fn device_declarations(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let query = move |s: &dyn Store| {
        if s.exists(&id)? {
            s.device_declarations(&id, None).map(Some)
        } else {
            Ok(None)
        }
    };
    let render = |set: super::store::DeviceDeclarations| {
        let list: Vec<_> = set
            .declarations
            .iter()
            .map(|d| json!({ "identifier": d.identifier, "type": d.declaration_type, "server_token": d.server_token }))
            .collect();
        json!({
            "declarations_token": declarative::set_token(&set),
            "changed_at": set.changed_at,
            "declarations": list,
        })
    };
    read(&state, &headers, query, render, "no such device").await
}

/// `PUT /devices/{id}/declarations`: the device's whole set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDeclarationsRequest {
    /// Identifiers of stored declarations.
    pub identifiers: Vec<String>,
}

/// Why a set cannot be given to a device.
enum SetRefusal {
    NoDevice,
    Unknown(Vec<String>),
    Invalid(String),
}

async fn put_device_declarations(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let req = match json_request(&state, &headers, &body, |_: &DeviceDeclarationsRequest| 0) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if req.identifiers.len() > MAX_SET_DECLARATIONS {
        return fail(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_SET_DECLARATIONS} declarations in a set"),
        );
    }
    let device = id.clone();
    let outcome = with_store(&state, move |s| {
        if !s.exists(&device)? {
            return Ok(Err(SetRefusal::NoDevice));
        }
        let found = s.declarations(Some(&req.identifiers))?;
        let unknown: Vec<String> = req
            .identifiers
            .iter()
            .filter(|i| {
                found
                    .binary_search_by(|d| d.identifier.as_str().cmp(i))
                    .is_err()
            })
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Ok(Err(SetRefusal::Unknown(unknown)));
        }
        let problems = match declarative::to_set(&found) {
            Ok(set) => set.validate(),
            Err(e) => return Ok(Err(SetRefusal::Invalid(e))),
        };
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Ok(Err(SetRefusal::Invalid(text.join("; "))));
        }
        let changed = s.set_device_declarations(&device, &req.identifiers, super::now())?;
        let set = s.device_declarations(&device, None)?;
        Ok(Ok((
            changed,
            declarative::set_token(&set),
            set.declarations.len(),
        )))
    })
    .await;
    let (changed, token, count) = match outcome {
        Ok(Ok(o)) => o,
        Ok(Err(SetRefusal::NoDevice)) => return fail(StatusCode::NOT_FOUND, "no such device"),
        Ok(Err(SetRefusal::Unknown(ids))) => {
            return fail(
                StatusCode::NOT_FOUND,
                format!("no such declarations: {}", ids.join(", ")),
            );
        }
        Ok(Err(SetRefusal::Invalid(why))) => return fail(StatusCode::BAD_REQUEST, why),
        Err(r) => return r,
    };
    let sync = if changed {
        match sync(&state, vec![id.clone()]).await {
            Ok(v) => v,
            Err(r) => return r,
        }
    } else {
        serde_json::Value::Null
    };
    Json(json!({
        "device": id,
        "declarations": count,
        "declarations_token": token,
        "changed": changed,
        "sync": sync,
    }))
    .into_response()
}

async fn declaration_status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let query = move |s: &dyn Store| {
        if s.exists(&id)? {
            s.declaration_status(&id).map(Some)
        } else {
            Ok(None)
        }
    };
    let render = |rows: Vec<super::store::StatusRow>| declarative::status_json(&rows);
    read(&state, &headers, query, render, "no such device").await
}
