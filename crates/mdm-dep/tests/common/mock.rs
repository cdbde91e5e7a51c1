//! An in-process stand-in for `mdmenrollment.apple.com`, built from the documented shapes
//! in the workspace's DEP notes (never from another project's code). It checks every
//! request as strictly as Apple documents it: the User-Agent, the protocol version, the
//! OAuth 1.0a signature of `/session` (and that a nonce is never reused), the session
//! header, the content type and the JSON body of each endpoint. Anything wrong gets the
//! 400/401 Apple would send, and is recorded in `violations` so tests can assert none.
//!
//! Faults are scripted per path ([`Fault`]) and consumed by the next matching request.
//! Shared by the crate's tests, the `sync_bench` example and `examples/tests/dep_cli.rs`
//! (included by path).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::{Value, json};

use mdm_dep::ServerToken;

/// The token the mock accepts.
pub fn token() -> ServerToken {
    ServerToken::new(
        "CK_mock_consumer",
        "CS_mock secret/+=",
        "AT_mock_token",
        "AS_mock~access",
    )
}

/// The User-Agent the mock requires.
pub const USER_AGENT: &str = "mdm-dep-tests/1.0";

/// A scripted misbehaviour, applied to the next request of its path.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Forget every session before handling the request (so it gets 401).
    ExpireSessions,
    /// Answer with this status, body and extra headers instead.
    Status(u16, String, Vec<(String, String)>),
    /// Handle normally but hand out a new session in `X-ADM-Auth-Session`.
    Rotate,
    /// Wait this long before answering.
    Stall(Duration),
    /// Answer 200 with this body.
    Body(Vec<u8>),
    /// Answer the assign request with THROTTLED for every `every`-th device.
    Throttle {
        every: usize,
        retry_after: Option<u64>,
    },
}

/// What the mock saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub session: Option<String>,
    pub body: Value,
    pub status: u16,
}

#[derive(Default)]
pub struct State {
    pub devices: usize,
    pub protocol_version: String,
    pub sessions: HashSet<String>,
    pub session_count: u64,
    pub nonces: HashSet<String>,
    pub faults: VecDeque<(String, Fault)>,
    pub seen: Vec<Seen>,
    pub violations: Vec<String>,
    pub sync_changes: Vec<Value>,
    pub profiles: BTreeMap<String, Value>,
    pub ade_url: Option<String>,
    pub page_default: u32,
    pub page_max: u32,
    pub expired_cursors: HashSet<String>,
    pub devices_served: u64,
}

/// A running mock.
#[derive(Clone)]
pub struct Mock {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<State>>,
}

impl Mock {
    /// Starts a mock with `devices` devices on 127.0.0.1 and a random port, on the current
    /// tokio runtime.
    pub async fn start(devices: usize) -> Mock {
        let state = Arc::new(Mutex::new(State {
            devices,
            protocol_version: "10".into(),
            page_default: 1000,
            page_max: 5000,
            ..State::default()
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let st = state.clone();
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let st = st.clone();
                async move { handle(st, method, uri, headers, body).await }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Mock { addr, state }
    }

    /// Starts a mock on its own thread and runtime (for blocking callers such as CLI tests).
    pub fn start_in_thread(devices: usize) -> Mock {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                tx.send(Mock::start(devices).await).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn fault(&self, path: &str, fault: Fault) {
        self.state
            .lock()
            .unwrap()
            .faults
            .push_back((path.to_owned(), fault));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }

    pub fn session_count(&self) -> u64 {
        self.state.lock().unwrap().session_count
    }

    /// Adds a sync change (a device JSON object with `op_type` and `op_date`).
    pub fn push_change(&self, change: Value) {
        self.state.lock().unwrap().sync_changes.push(change);
    }

    /// Makes `cursor` answer EXPIRED_CURSOR on sync.
    pub fn expire_cursor(&self, cursor: &str) {
        self.state
            .lock()
            .unwrap()
            .expired_cursors
            .insert(cursor.to_owned());
    }

    pub fn set_page_limits(&self, default: u32, max: u32) {
        let mut s = self.state.lock().unwrap();
        s.page_default = default;
        s.page_max = max;
    }
}

/// The serial number of device `i`.
pub fn serial(i: usize) -> String {
    format!("C02MOCK{i:07}")
}

/// Device `i` as fetch returns it (every version-10 field).
pub fn device(i: usize) -> Value {
    json!({
        "serial_number": serial(i),
        "model": "MacBook Pro",
        "description": "MBP 14 SPACE GRAY",
        "color": "SPACE GRAY",
        "asset_tag": format!("TAG{i}"),
        "profile_status": "empty",
        "device_assigned_date": "2024-05-01T10:00:00Z",
        "device_assigned_by": "admin@example.com",
        "os": "OSX",
        "device_family": "Mac",
        "eid": null,
        "imei": [],
        "meid": [],
        "wifi_mac_address": "AA:BB:CC:DD:EE:FF",
        "ethernet_mac_address": "AA:BB:CC:DD:EE:00",
        "bluetooth_mac_address": "AA:BB:CC:DD:EE:01",
        "is_replacement_device": false,
        "mdm_migration_deadline": "2024-06-01T00:00:00+0000",
    })
}

fn text(status: u16, body: &str) -> Response {
    Response::builder()
        .status(status)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn json_response(value: &Value) -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json;charset=UTF-8")
        .body(Body::from(serde_json::to_vec(value).unwrap()))
        .unwrap()
}

async fn handle(
    st: Arc<Mutex<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let fault = {
        let mut s = st.lock().unwrap();
        let idx = s.faults.iter().position(|(p, _)| *p == path);
        idx.and_then(|i| s.faults.remove(i)).map(|(_, f)| f)
    };
    if let Some(Fault::Stall(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let body_json: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::String("<not json>".into()))
    };
    let session = headers
        .get("x-adm-auth-session")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = respond(
        &st,
        &method,
        &uri,
        &headers,
        &body,
        &body_json,
        session.as_deref(),
        fault,
    );
    st.lock().unwrap().seen.push(Seen {
        method: method.to_string(),
        path,
        session,
        body: body_json,
        status: response.status().as_u16(),
    });
    response
}

fn violation(st: &Arc<Mutex<State>>, why: String) -> Response {
    st.lock().unwrap().violations.push(why.clone());
    text(400, &why)
}

#[allow(clippy::too_many_arguments)]
fn respond(
    st: &Arc<Mutex<State>>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    raw: &[u8],
    body: &Value,
    session: Option<&str>,
    fault: Option<Fault>,
) -> Response {
    let path = uri.path();
    // Every request: the product User-Agent and the protocol version.
    match headers.get("user-agent").and_then(|v| v.to_str().ok()) {
        None | Some("") => return violation(st, format!("{path}: USER_AGENT_MISSING")),
        Some(ua) if ua != USER_AGENT => {
            return violation(st, format!("{path}: USER_AGENT_INVALID {ua}"));
        }
        _ => {}
    }
    let expected_version = st.lock().unwrap().protocol_version.clone();
    if headers
        .get("x-server-protocol-version")
        .and_then(|v| v.to_str().ok())
        != Some(expected_version.as_str())
    {
        return violation(
            st,
            format!("{path}: wrong or missing X-Server-Protocol-Version"),
        );
    }
    if !raw.is_empty() {
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return violation(st, format!("{path}: body without a JSON content type"));
        }
        if body == &Value::String("<not json>".into()) {
            return text(400, "MALFORMED_REQUEST_BODY");
        }
    }
    match &fault {
        Some(Fault::ExpireSessions) => st.lock().unwrap().sessions.clear(),
        Some(Fault::Status(code, b, extra)) => {
            let mut r = Response::builder().status(*code);
            for (k, v) in extra {
                r = r.header(k.as_str(), v.as_str());
            }
            return r.body(Body::from(b.clone())).unwrap();
        }
        Some(Fault::Body(b)) => {
            return Response::builder()
                .status(200)
                .body(Body::from(b.clone()))
                .unwrap();
        }
        _ => {}
    }
    if path == "/session" {
        return session_endpoint(st, method, uri, headers);
    }
    let valid = session.is_some_and(|s| st.lock().unwrap().sessions.contains(s));
    if !valid {
        return text(401, "UNAUTHORIZED");
    }
    let mut response = api(st, method, uri, body, fault.as_ref());
    if matches!(fault, Some(Fault::Rotate)) {
        let mut s = st.lock().unwrap();
        s.session_count += 1;
        let new = format!("rotated-{}", s.session_count);
        s.sessions.insert(new.clone());
        response
            .headers_mut()
            .insert("x-adm-auth-session", new.parse().unwrap());
    }
    response
}

fn session_endpoint(
    st: &Arc<Mutex<State>>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    if method != Method::GET {
        return text(405, "");
    }
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return violation(st, "/session: no Authorization header".into());
    };
    let params = match mdm_dep::oauth::parse_authorization_header(auth) {
        Ok(p) => p,
        Err(e) => return violation(st, format!("/session: {e}")),
    };
    if !params.iter().any(|(k, v)| k == "realm" && v == "ADM") {
        return violation(st, "/session: no realm=\"ADM\"".into());
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/json;charset=UTF8")
    {
        return violation(
            st,
            "/session: content type is not application/json;charset=UTF8".into(),
        );
    }
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let url = format!("http://{host}{}", uri.path());
    if let Err(e) = mdm_dep::oauth::verify_authorization_header(auth, "GET", &url, &token()) {
        st.lock().unwrap().violations.push(format!("/session: {e}"));
        return text(401, "oauth_problem_adviceUnauthorized");
    }
    let nonce = params
        .iter()
        .find(|(k, _)| k == "oauth_nonce")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut s = st.lock().unwrap();
    if !s.nonces.insert(nonce) {
        s.violations.push("/session: nonce reused".into());
        return text(401, "oauth_problem_adviceUnauthorized");
    }
    s.session_count += 1;
    let session = format!("session-{}", s.session_count);
    s.sessions.insert(session.clone());
    json_response(&json!({ "auth_session_token": session }))
}

fn query(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name)
            .then(|| mdm_dep::oauth::percent_decode(v))
            .flatten()
    })
}

fn serials_of(body: &Value) -> Option<Vec<String>> {
    body.get("devices")?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn only_keys(body: &Value, allowed: &[&str]) -> bool {
    body.as_object()
        .is_some_and(|o| o.keys().all(|k| allowed.contains(&k.as_str())))
}

fn api(
    st: &Arc<Mutex<State>>,
    method: &Method,
    uri: &Uri,
    body: &Value,
    fault: Option<&Fault>,
) -> Response {
    let path = uri.path();
    match (method.as_str(), path) {
        ("GET", "/account") => {
            let s = st.lock().unwrap();
            json_response(&json!({
                "server_name": "mock", "server_uuid": "MOCK-UUID", "admin_id": "admin@example.com",
                "org_name": "Mock Org", "org_type": "org", "org_version": "v2", "org_id": "1",
                "urls": [
                    {"uri": "/server/devices", "http_method": ["POST"], "limit": {"default": s.page_default, "maximum": s.page_max}},
                    {"uri": "/devices/sync", "http_method": ["POST"], "limit": {"default": s.page_default, "maximum": s.page_max}},
                    {"uri": "/profile/devices", "http_method": ["DELETE", "POST", "PUT"]},
                ],
            }))
        }
        ("POST", "/server/devices") => {
            if !only_keys(body, &["cursor", "limit"]) {
                return violation(st, format!("fetch: unexpected body {body}"));
            }
            let mut s = st.lock().unwrap();
            let limit = body.get("limit").and_then(Value::as_u64).unwrap_or(100);
            if limit == 0 || limit > u64::from(s.page_max) {
                drop(s);
                return violation(st, format!("fetch: limit {limit} out of range"));
            }
            let offset = match body.get("cursor").and_then(Value::as_str) {
                None => 0,
                Some(c) => match c.strip_prefix("cur-").and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) if n >= s.devices => return text(400, "EXHAUSTED_CURSOR"),
                    Some(n) => n,
                    None => return text(400, "INVALID_CURSOR"),
                },
            };
            let end = (offset + usize::try_from(limit).unwrap()).min(s.devices);
            s.devices_served += (end - offset) as u64;
            let devices: Vec<Value> = (offset..end).map(device).collect();
            json_response(&json!({
                "cursor": format!("cur-{end}"),
                "devices": devices,
                "fetched_until": "2024-05-01T10:00:00Z",
                "more_to_follow": end < s.devices,
            }))
        }
        ("POST", "/devices/sync") => {
            if !only_keys(body, &["cursor", "limit"]) {
                return violation(st, format!("sync: unexpected body {body}"));
            }
            let Some(cursor) = body.get("cursor").and_then(Value::as_str) else {
                return text(400, "CURSOR_REQUIRED");
            };
            let mut s = st.lock().unwrap();
            if s.expired_cursors.contains(cursor) {
                return text(400, "EXPIRED_CURSOR");
            }
            let Some(n) = cursor
                .strip_prefix("cur-")
                .and_then(|n| n.parse::<usize>().ok())
            else {
                return text(400, "INVALID_CURSOR");
            };
            // Sync cursors count changes past the device count.
            let done = n.saturating_sub(s.devices);
            let changes: Vec<Value> = s.sync_changes.iter().skip(done).cloned().collect();
            let total = s.devices + s.sync_changes.len();
            s.devices_served += changes.len() as u64;
            let _ = &mut s;
            json_response(&json!({
                "cursor": format!("cur-{total}"),
                "devices": changes,
                "fetched_until": "2024-05-02T10:00:00Z",
                "more_to_follow": false,
            }))
        }
        ("POST", "/devices") => {
            let Some(serials) = serials_of(body).filter(|s| !s.is_empty()) else {
                return text(400, "DEVICE_ID_REQUIRED");
            };
            if serials.len() > 1000 {
                return violation(st, "details: more than 1000 devices".into());
            }
            let map: serde_json::Map<String, Value> = serials
                .iter()
                .map(|s| {
                    let mut d = json!({"serial_number": s, "model": "iPad", "os": "iPadOS", "device_family": "iPad"});
                    d["response_status"] = if s.starts_with("C02MOCK") { "SUCCESS".into() } else { "NOT_ACCESSIBLE".into() };
                    (s.clone(), d)
                })
                .collect();
            json_response(&json!({ "devices": map }))
        }
        ("POST", "/devices/disown") | ("DELETE", "/profile/devices") => {
            let allowed: &[&str] = if path == "/devices/disown" {
                &["devices"]
            } else {
                &["devices", "profile_uuid"]
            };
            if !only_keys(body, allowed) {
                return violation(st, format!("{path}: unexpected body {body}"));
            }
            let Some(serials) = serials_of(body).filter(|s| !s.is_empty()) else {
                return text(400, "DEVICE_ID_REQUIRED");
            };
            if serials.len() > 1000 {
                return violation(st, format!("{path}: more than 1000 devices"));
            }
            let map: serde_json::Map<String, Value> =
                serials.into_iter().map(|s| (s, "SUCCESS".into())).collect();
            json_response(&json!({ "devices": map }))
        }
        ("POST", "/device/activationlock") => {
            let Some(device) = body.get("device").and_then(Value::as_str) else {
                return text(400, "MALFORMED_REQUEST_BODY");
            };
            if let Some(k) = body.get("escrow_key").and_then(Value::as_str)
                && k.len() != 64
            {
                return text(400, "MALFORMED_REQUEST_BODY");
            }
            json_response(&json!({"serial_number": device, "response_status": "SUCCESS"}))
        }
        ("GET", "/device/replacementDetails") => {
            if st
                .lock()
                .unwrap()
                .protocol_version
                .parse::<u32>()
                .unwrap_or(0)
                < 10
            {
                return text(400, "UNSUPPORTED_PROTOCOL_VERSION");
            }
            match query(uri, "device") {
                None => text(400, "DEVICE_ID_REQUIRED"),
                Some(d) if d.starts_with("C02MOCK") => json_response(&json!({
                    "serial_number": d, "original_device_serial_number": "C02OLD0000001", "replacement_date": "2025-01-15"
                })),
                Some(_) => text(404, "DEVICE_NOT_FOUND"),
            }
        }
        ("GET", "/os-beta-enrollment/tokens") => json_response(&json!({
            "betaEnrollmentTokens": [{"title": "iOS 26 Beta", "os": "iOS", "token": "tok-ios"}, {"title": "macOS 26 Beta", "os": "OSX", "token": "tok-mac"}],
            "seedBuildTokens": [],
        })),
        ("POST", "/profile") => {
            let name = body
                .get("profile_name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let url = body.get("url").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() {
                return text(400, "CONFIG_NAME_REQUIRED");
            }
            if url.is_empty() {
                return text(400, "CONFIG_URL_REQUIRED");
            }
            if body.get("profile_uuid").is_some() {
                return violation(st, "define: profile_uuid sent".into());
            }
            let mut s = st.lock().unwrap();
            let uuid = format!("PROFILE{:04}", s.profiles.len() + 1);
            let mut stored = body.clone();
            stored["profile_uuid"] = uuid.clone().into();
            s.profiles.insert(uuid.clone(), stored);
            let devices: serde_json::Map<String, Value> = serials_of(body)
                .unwrap_or_default()
                .into_iter()
                .map(|d| (d, "SUCCESS".into()))
                .collect();
            json_response(&json!({"profile_uuid": uuid, "devices": devices}))
        }
        ("GET", "/profile") => match query(uri, "profile_uuid") {
            None => text(400, "PROFILE_UUID_REQUIRED"),
            Some(u) => match st.lock().unwrap().profiles.get(&u) {
                Some(p) => json_response(p),
                None => text(400, "NOT_FOUND"),
            },
        },
        ("POST", "/profile/devices") | ("PUT", "/profile/devices") => {
            if !only_keys(body, &["profile_uuid", "devices"]) {
                return violation(st, format!("assign: unexpected body {body}"));
            }
            let Some(uuid) = body.get("profile_uuid").and_then(Value::as_str) else {
                return text(400, "PROFILE_UUID_REQUIRED");
            };
            if !st.lock().unwrap().profiles.contains_key(uuid) {
                return text(404, "NOT_FOUND");
            }
            let Some(serials) = serials_of(body).filter(|s| !s.is_empty()) else {
                return text(400, "DEVICE_ID_REQUIRED");
            };
            if serials.len() > 1000 {
                return violation(st, "assign: more than 1000 devices".into());
            }
            let (every, retry) = match fault {
                Some(Fault::Throttle { every, retry_after }) => (*every, *retry_after),
                _ => (0, None),
            };
            let map: serde_json::Map<String, Value> = serials
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let status = if every > 0 && i % every == 0 {
                        "THROTTLED"
                    } else if s.starts_with("C02MOCK") {
                        "SUCCESS"
                    } else {
                        "NOT_ACCESSIBLE"
                    };
                    (s, status.into())
                })
                .collect();
            let mut v = json!({"profile_uuid": uuid, "devices": map});
            if let Some(r) = retry {
                v["retry_after_seconds"] = r.into();
            }
            json_response(&v)
        }
        ("POST", "/account-driven-enrollment/profile") => {
            match body
                .get("mdm_service_discovery_url")
                .and_then(Value::as_str)
            {
                None => text(400, "MDM_SERVICE_DISCOVERY_URL_REQUIRED"),
                Some(u) if !u.starts_with("https://") => {
                    text(400, "MDM_SERVICE_DISCOVERY_URL_NOT_VALID")
                }
                Some(u) => {
                    st.lock().unwrap().ade_url = Some(u.to_owned());
                    text(200, "")
                }
            }
        }
        ("GET", "/account-driven-enrollment/profile") => match st.lock().unwrap().ade_url.clone() {
            Some(u) => json_response(
                &json!({"mdm_service_discovery_url": u, "last_updated_timestamp": "2025-03-01T12:00:00+0000"}),
            ),
            None => text(404, "NOT_FOUND"),
        },
        ("DELETE", "/account-driven-enrollment/profile") => {
            st.lock().unwrap().ade_url = None;
            text(200, "")
        }
        _ => text(404, ""),
    }
}
