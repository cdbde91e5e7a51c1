//! An in-process stand-in for the Apple School and Business Manager API and its token
//! endpoint, built from the shapes and rules in `shared/apple-apis/ABM.md` (not from another
//! project's code).
//!
//! The token endpoint checks the client assertion on its own (its own base64url and JSON
//! reading, and OpenSSL's ECDSA with the account's public key): `alg`, `kid`, `iss`, `sub`,
//! `aud`, `iat`, `exp` within 180 days of `iat` and in the future, a `jti` never seen
//! before, and the scope matching the client id. Tokens expire (after `token_lifetime`, or
//! after `token_uses` API requests). The API serves every 1.x endpoint and the 2.x MDM
//! server and `mdmDevices` ones with cursor paging, `fields[...]`, `limit`, JSON:API error
//! lists, and device activities that complete after a few reads with a CSV log behind a
//! presigned `downloadUrl`. Faults are queued by the tests.
//!
//! Shared by `crates/mdm-axm/tests/` and `examples/tests/axm_cli.rs` (through `#[path]`),
//! so it uses only axum, tokio, serde_json, base64, chrono and openssl.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap
)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The `aud` every assertion must carry.
pub const AUDIENCE: &str = "https://account.apple.com/auth/oauth2/v2/token";
/// The longest an assertion may live.
pub const MAX_ASSERTION_SECS: i64 = 180 * 86_400;
/// The largest success body the client reads (mirrors `mdm_axm::MAX_RESPONSE_BODY`).
pub const CLIENT_BODY_CAP: usize = 8 * 1024 * 1024;

/// What the mock starts with.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The one API account's client id.
    pub client_id: String,
    /// Its key id (`kid`).
    pub key_id: String,
    /// Its public key, `BEGIN PUBLIC KEY` PEM.
    pub public_key_pem: Vec<u8>,
    /// `expires_in` of the tokens handed out; they stop working after it.
    pub token_lifetime: u64,
    /// When set, a token stops working after this many API requests.
    pub token_uses: Option<u32>,
    /// How far in the future an assertion's `iat` may lie (clock skew).
    pub max_iat_skew: i64,
    /// Org devices (serials `C02MOCK00000`...).
    pub devices: usize,
    /// MDM servers.
    pub servers: usize,
    /// Reads of an activity that answer IN_PROGRESS before it completes.
    pub activity_polls: u32,
}

impl MockConfig {
    pub fn new(client_id: &str, key_id: &str, public_key_pem: &[u8]) -> Self {
        MockConfig {
            client_id: client_id.to_owned(),
            key_id: key_id.to_owned(),
            public_key_pem: public_key_pem.to_owned(),
            token_lifetime: 3600,
            token_uses: None,
            max_iat_skew: 300,
            devices: 5,
            servers: 2,
            activity_polls: 1,
        }
    }
}

/// A queued misbehaviour, applied to the next request whose path ends with `path` (any
/// request when `None`).
#[derive(Debug, Clone)]
pub struct Fault {
    pub path: Option<&'static str>,
    pub kind: FaultKind,
}

#[derive(Debug, Clone)]
pub enum FaultKind {
    /// Answer with this status, body and `Retry-After`.
    Respond {
        status: u16,
        body: String,
        retry_after: Option<u64>,
    },
    /// Answer 200 with this body.
    Body(String),
    /// Never answer.
    Stall,
    /// A 200 body one byte over the client's cap.
    Oversize,
    /// Every token handed out so far stops working, then the request is handled normally
    /// (so it gets 401).
    ExpireTokens,
    /// The next activity created ends as FAILED.
    FailActivity,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub bearer: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Device {
    pub serial: String,
    pub attributes: Value,
    pub server: Option<String>,
    pub migration_deadline: Option<String>,
    pub coverage: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub id: String,
    pub attributes: Value,
}

#[derive(Debug, Clone)]
pub struct Activity {
    pub activity_type: String,
    pub devices: Vec<String>,
    pub server: Option<String>,
    pub deadline: Option<String>,
    pub polls_left: u32,
    pub fail: bool,
    pub created: String,
    /// Per device: serial, result, message; filled when it completes.
    pub results: Option<Vec<(String, &'static str, String)>>,
    pub log_token: String,
}

#[derive(Debug, Clone)]
struct Token {
    expires: Instant,
    uses_left: Option<u32>,
}

/// Everything the mock holds; tests read and change it through [`Mock::with`].
#[derive(Debug)]
pub struct MockState {
    pub config: MockConfig,
    pub base: String,
    tokens: HashMap<String, Token>,
    pub jtis: HashSet<String>,
    pub token_requests: usize,
    pub tokens_issued: usize,
    /// Why each refused assertion was refused.
    pub refusals: Vec<String>,
    /// What a client did that Apple's service would not accept.
    pub violations: Vec<String>,
    pub devices: Vec<Device>,
    pub servers: Vec<Server>,
    pub activities: HashMap<String, Activity>,
    pub activity_order: Vec<String>,
    pub faults: VecDeque<Fault>,
    pub log: Vec<Logged>,
    pub fail_next_activity: bool,
    next_id: u64,
}

/// A running mock: `base_url` is the API host, `token_url` the token endpoint (query
/// style), `token_url_v2` the form-body one.
#[derive(Clone)]
pub struct Mock {
    pub base_url: String,
    pub token_url: String,
    pub token_url_v2: String,
    pub state: Arc<Mutex<MockState>>,
}

pub fn serial(i: usize) -> String {
    format!("C02MOCK{i:05}")
}

pub fn server_id(i: usize) -> String {
    format!(
        "{:032X}",
        0x1F97_3497_36CF_4614_A94F_624E_7058_41ADu128 + i as u128
    )
}

fn device(i: usize, servers: usize) -> Device {
    let families = ["Mac", "iPhone", "iPad", "AppleTV"];
    let family = families[i % families.len()];
    let mut a = json!({
        "serialNumber": serial(i),
        "addedToOrgDateTime": "2025-04-30T22:05:14.192Z",
        "updatedDateTime": "2025-05-02T08:00:00.000Z",
        "deviceModel": format!("Mock {family}"),
        "productFamily": family,
        "productType": format!("{family}15,{i}"),
        "deviceCapacity": "256GB",
        "partNumber": format!("MK{i:03}LL/A"),
        "orderNumber": format!("ORDER-{i}"),
        "color": "SILVER",
        "orderDateTime": "2025-04-01T00:00:00Z",
        "wifiMacAddress": format!("aa:bb:cc:dd:ee:{:02x}", i % 256),
        "bluetoothMacAddress": format!("aa:bb:cc:dd:ef:{:02x}", i % 256),
        "purchaseSourceType": "RESELLER",
        "isMdmMigrationCapable": i.is_multiple_of(2),
    });
    // The field variants Apple's documents show: an old-schema string imei and the
    // `purchaseSourceUid` spelling on every third device, arrays and `purchaseSourceId`
    // elsewhere, and an attribute this client version does not know.
    if i % 3 == 1 {
        a["imei"] = json!(format!("35{i:013}"));
        a["purchaseSourceUid"] = json!(format!("PS-{i}"));
    } else {
        a["imei"] = json!([format!("35{i:013}"), format!("36{i:013}")]);
        a["meid"] = json!([format!("{i:014}")]);
        a["purchaseSourceId"] = json!(format!("PS-{i}"));
        a["futureAttribute"] = json!({"nested": [i]});
    }
    let server = (i % 3 != 2 && servers > 0).then(|| server_id(i % servers));
    Device {
        serial: serial(i),
        attributes: a,
        server,
        migration_deadline: None,
        coverage: vec![
            json!({"status": "ACTIVE", "paymentType": "PAID_UP_FRONT",
                "description": "AppleCare+", "agreementNumber": format!("AG{i}"),
                "startDateTime": "2025-04-30T00:00:00Z", "endDateTime": "2028-04-30T00:00:00Z",
                "isRenewable": false, "isCanceled": false}),
            json!({"status": "INACTIVE", "paymentType": "NONE",
                "description": "Limited Warranty", "startDateTime": "2025-04-30T00:00:00Z",
                "endDateTime": "2026-04-30T00:00:00Z", "isRenewable": false,
                "isCanceled": false, "contractCancelDateTime": null}),
        ],
    }
}

fn server(i: usize) -> Server {
    Server {
        id: server_id(i),
        attributes: json!({
            "serverName": format!("Mock MDM {i}"),
            "serverType": if i.is_multiple_of(2) { "MDM" } else { "APPLE_CONFIGURATOR" },
            "createdDateTime": "2024-01-01T10:00:00.000Z",
            "updatedDateTime": "2025-01-01T10:00:00.000Z",
            "status": "ACTIVE",
            "enableMdmDisownFlag": false,
            "defaultProductFamilies": ["Mac"],
        }),
    }
}

impl Mock {
    /// Starts the mock on 127.0.0.1 with a random port, on a runtime thread of its own (so
    /// it serves sync tests, async tests and child processes alike).
    pub fn spawn(config: MockConfig) -> Mock {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let base = format!("http://{}", listener.local_addr().unwrap());
                let devices = (0..config.devices)
                    .map(|i| device(i, config.servers))
                    .collect();
                let servers = (0..config.servers).map(server).collect();
                let state = Arc::new(Mutex::new(MockState {
                    config,
                    base: base.clone(),
                    tokens: HashMap::new(),
                    jtis: HashSet::new(),
                    token_requests: 0,
                    tokens_issued: 0,
                    refusals: Vec::new(),
                    violations: Vec::new(),
                    devices,
                    servers,
                    activities: HashMap::new(),
                    activity_order: Vec::new(),
                    faults: VecDeque::new(),
                    log: Vec::new(),
                    fail_next_activity: false,
                    next_id: 1,
                }));
                let app = axum::Router::new()
                    .fallback(handle)
                    .with_state(state.clone());
                tx.send(Mock {
                    token_url: format!("{base}/auth/oauth2/token"),
                    token_url_v2: format!("{base}/auth/oauth2/v2/token"),
                    base_url: base,
                    state,
                })
                .unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        rx.recv().unwrap()
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut MockState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub fn fault(&self, path: Option<&'static str>, kind: FaultKind) {
        self.with(|s| s.faults.push_back(Fault { path, kind }));
    }

    /// Requests logged so far whose path ends with `suffix`.
    pub fn count(&self, suffix: &str) -> usize {
        self.with(|s| s.log.iter().filter(|l| l.path.ends_with(suffix)).count())
    }

    /// Requests logged so far to the token endpoints.
    pub fn token_requests(&self) -> usize {
        self.with(|s| s.token_requests)
    }

    /// API requests (not token, not log downloads) logged so far.
    pub fn api_requests(&self) -> usize {
        self.with(|s| s.log.iter().filter(|l| l.path.starts_with("/v1/")).count())
    }

    pub fn violations(&self) -> Vec<String> {
        self.with(|s| s.violations.clone())
    }

    pub fn refusals(&self) -> Vec<String> {
        self.with(|s| s.refusals.clone())
    }

    /// The server a device is assigned to now.
    pub fn server_of(&self, serial: &str) -> Option<String> {
        self.with(|s| {
            s.devices
                .iter()
                .find(|d| d.serial == serial)
                .and_then(|d| d.server.clone())
        })
    }
}

// ---------------------------------------------------------------------------------------
// Plumbing

enum Outcome {
    Reply(u16, String, Option<u64>, &'static str),
    Stall,
    Oversize,
}

fn json_reply(status: u16, body: Value) -> Outcome {
    Outcome::Reply(status, body.to_string(), None, "application/json")
}

fn api_error(status: u16, code: &str, detail: &str, source: Option<Value>) -> Outcome {
    let mut e = json!({
        "id": format!("err-{status}-{}", detail.len()),
        "status": status.to_string(),
        "code": code,
        "title": code.split('.').next().unwrap_or(code).replace('_', " ").to_lowercase(),
        "detail": detail,
    });
    if let Some(s) = source {
        e["source"] = s;
    }
    json_reply(status, json!({"errors": [e]}))
}

fn oauth_error(code: &str, description: &str) -> Outcome {
    json_reply(
        400,
        json!({"error": code, "error_description": description}),
    )
}

fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = v
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_params(text: &str) -> HashMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
}

async fn handle(
    State(state): State<Arc<Mutex<MockState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let outcome = {
        let mut s = state.lock().unwrap();
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let r = route(&mut s, &method, &path, &query, &headers, &body);
        let status = match &r {
            Outcome::Reply(st, ..) => *st,
            Outcome::Stall => 0,
            Outcome::Oversize => 200,
        };
        s.log.push(Logged {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
            status,
            bearer,
        });
        r
    };
    match outcome {
        Outcome::Reply(status, body, retry_after, content_type) => {
            let mut b = Response::builder().status(status);
            if !body.is_empty() {
                b = b.header("content-type", content_type);
            }
            if let Some(ra) = retry_after {
                b = b.header("retry-after", ra.to_string());
            }
            b.body(Body::from(body)).unwrap()
        }
        Outcome::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Response::builder().status(504).body(Body::empty()).unwrap()
        }
        Outcome::Oversize => Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(Body::from(" ".repeat(CLIENT_BODY_CAP + 1)))
            .unwrap(),
    }
}

fn take_fault(s: &mut MockState, path: &str) -> Option<FaultKind> {
    let i = s
        .faults
        .iter()
        .position(|f| f.path.is_none_or(|p| path.ends_with(p)))?;
    s.faults.remove(i).map(|f| f.kind)
}

fn fault_outcome(kind: FaultKind) -> Option<Outcome> {
    match kind {
        FaultKind::Respond {
            status,
            body,
            retry_after,
        } => Some(Outcome::Reply(
            status,
            body,
            retry_after,
            "application/json",
        )),
        FaultKind::Body(b) => Some(Outcome::Reply(200, b, None, "application/json")),
        FaultKind::Stall => Some(Outcome::Stall),
        FaultKind::Oversize => Some(Outcome::Oversize),
        FaultKind::ExpireTokens | FaultKind::FailActivity => None,
    }
}

fn route(
    s: &mut MockState,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    let mut fault = take_fault(s, path);
    match fault {
        Some(FaultKind::ExpireTokens) => {
            s.tokens.clear();
            fault = None;
        }
        Some(FaultKind::FailActivity) => {
            s.fail_next_activity = true;
            fault = None;
        }
        _ => {}
    }
    if path == "/auth/oauth2/token" || path == "/auth/oauth2/v2/token" {
        s.token_requests += 1;
        if let Some(o) = fault.and_then(fault_outcome) {
            return o;
        }
        return token_endpoint(s, method, path, query, headers, body);
    }
    if let Some(rest) = path.strip_prefix("/logs/") {
        return activity_log(s, rest, query, headers);
    }
    let Some(endpoint) = path.strip_prefix("/v1/") else {
        return api_error(404, "NOT_FOUND", "no such resource", None);
    };
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !accept.contains("application/json") {
        s.violations.push(format!("{path}: Accept is {accept:?}"));
        return api_error(406, "NOT_ACCEPTABLE", "send Accept: application/json", None);
    }
    // The bearer token.
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let now = Instant::now();
    let valid = match bearer.and_then(|b| s.tokens.get_mut(b)) {
        Some(t) if t.expires > now && t.uses_left != Some(0) => {
            if let Some(u) = &mut t.uses_left {
                *u -= 1;
            }
            true
        }
        _ => false,
    };
    if !valid {
        return api_error(
            401,
            "NOT_AUTHORIZED",
            "the access token is missing, unknown or expired",
            None,
        );
    }
    if let Some(o) = fault.and_then(fault_outcome) {
        return o;
    }
    let q = parse_params(query);
    let parts: Vec<&str> = endpoint.split('/').collect();
    let post_body = if matches!(*method, Method::POST | Method::PATCH) {
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return api_error(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "the body must be application/json",
                None,
            );
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(v) if v.is_object() => v,
            _ => {
                return api_error(
                    400,
                    "PARAMETER_ERROR.INVALID",
                    "the body is not a JSON object",
                    Some(json!({"pointer": ""})),
                );
            }
        }
    } else {
        Value::Null
    };
    let m = method.as_str();
    match (m, parts.as_slice()) {
        ("GET", ["orgDevices"]) => list_devices(s, &q),
        ("GET", ["orgDevices", id]) => get_device(s, id, &q),
        ("GET", ["orgDevices", id, "relationships", "assignedServer"]) => linkage(s, id),
        ("GET", ["orgDevices", id, "assignedServer"]) => assigned_server(s, id, &q),
        ("GET", ["orgDevices", id, "appleCareCoverage"]) => coverage(s, id, &q),
        ("GET", ["mdmServers"]) => list_servers(s, &q),
        ("POST", ["mdmServers"]) => create_server(s, &post_body),
        ("GET", ["mdmServers", id]) => get_server(s, id, &q),
        ("PATCH", ["mdmServers", id]) => update_server(s, id, &post_body),
        ("DELETE", ["mdmServers", id]) => delete_server(s, id),
        ("GET", ["mdmServers", id, "relationships", "devices"]) => server_devices(s, id, &q),
        ("POST", ["orgDeviceActivities"]) => create_activity(s, &post_body),
        ("GET", ["orgDeviceActivities", id]) => read_activity(s, id, &q),
        ("GET", ["mdmDevices"]) => mdm_devices(s, &q),
        (
            _,
            [
                "orgDevices" | "mdmServers" | "orgDeviceActivities" | "mdmDevices",
                ..,
            ],
        ) => api_error(405, "METHOD_NOT_ALLOWED", "method not allowed", None),
        _ => api_error(404, "NOT_FOUND", "no such resource", None),
    }
}

// ---------------------------------------------------------------------------------------
// The token endpoint

fn b64url(part: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()
}

/// Checks an assertion as the token endpoint would; `Err` says why it is refused.
fn check_assertion(s: &mut MockState, jwt: &str) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [h, c, sig] = parts.as_slice() else {
        return Err("not a compact JWS".into());
    };
    let header: Value = b64url(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the header is not base64url JSON")?;
    let claims: Value = b64url(c)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or("the claims are not base64url JSON")?;
    if header["alg"] != "ES256" {
        return Err(format!("alg is {}", header["alg"]));
    }
    if header["kid"] != s.config.key_id.as_str() {
        return Err(format!("unknown kid {}", header["kid"]));
    }
    // The signature: raw r||s, 64 bytes, over `header.claims`.
    let raw = b64url(sig).ok_or("the signature is not base64url")?;
    if raw.len() != 64 {
        return Err(format!(
            "the signature is {} bytes, not a raw r||s",
            raw.len()
        ));
    }
    let r = openssl::bn::BigNum::from_slice(&raw[..32]).unwrap();
    let s_ = openssl::bn::BigNum::from_slice(&raw[32..]).unwrap();
    let sig = openssl::ecdsa::EcdsaSig::from_private_components(r, s_).unwrap();
    let key = openssl::ec::EcKey::public_key_from_pem(&s.config.public_key_pem).unwrap();
    let digest = openssl::sha::sha256(format!("{h}.{c}").as_bytes());
    if !sig.verify(&digest, &key).unwrap_or(false) {
        return Err("bad signature".into());
    }
    let client_id = s.config.client_id.as_str();
    if claims["sub"] != client_id {
        return Err(format!("sub is {}", claims["sub"]));
    }
    if claims["iss"] != client_id {
        return Err(format!("iss is {}", claims["iss"]));
    }
    if claims["aud"] != AUDIENCE {
        return Err(format!("aud is {}", claims["aud"]));
    }
    let now = Utc::now().timestamp();
    let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
        return Err("iat and exp must be whole seconds".into());
    };
    if iat > now + s.config.max_iat_skew {
        return Err("iat is in the future".into());
    }
    if exp <= now {
        return Err("the assertion has expired".into());
    }
    if exp - iat > MAX_ASSERTION_SECS {
        return Err("exp is more than 180 days after iat".into());
    }
    let Some(jti) = claims["jti"].as_str().filter(|j| !j.is_empty()) else {
        return Err("no jti".into());
    };
    if !s.jtis.insert(jti.to_owned()) {
        return Err(format!("jti {jti} was used before"));
    }
    Ok(())
}

fn token_endpoint(
    s: &mut MockState,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Outcome {
    if *method != Method::POST {
        return oauth_error("invalid_request", "POST only");
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return oauth_error("invalid_request", "the content type must be a form");
    }
    // Apple's page puts the parameters in the query string; the v2 path takes a form body.
    let params = if path.ends_with("/v2/token") {
        parse_params(&String::from_utf8_lossy(body))
    } else {
        parse_params(query)
    };
    let p = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    if p("grant_type") != "client_credentials" {
        return oauth_error(
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    if p("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        return oauth_error("invalid_request", "bad client_assertion_type");
    }
    if p("client_id") != s.config.client_id {
        return oauth_error("invalid_client", "unknown client_id");
    }
    let scope = if s.config.client_id.starts_with("BUSINESSAPI.") {
        "business.api"
    } else {
        "school.api"
    };
    if p("scope") != scope {
        return oauth_error("invalid_scope", "the scope does not match the client");
    }
    if let Err(why) = check_assertion(s, p("client_assertion")) {
        s.refusals.push(why.clone());
        return oauth_error("invalid_client", &why);
    }
    s.tokens_issued += 1;
    let token = format!("mock-access-{}-{}", s.tokens_issued, s.jtis.len());
    s.tokens.insert(
        token.clone(),
        Token {
            expires: Instant::now() + Duration::from_secs(s.config.token_lifetime),
            uses_left: s.config.token_uses,
        },
    );
    json_reply(
        200,
        json!({"access_token": token, "token_type": "Bearer",
            "expires_in": s.config.token_lifetime, "scope": scope}),
    )
}

// ---------------------------------------------------------------------------------------
// Paging and fields

const DEVICE_FIELDS: &[&str] = &[
    "serialNumber",
    "addedToOrgDateTime",
    "releasedFromOrgDateTime",
    "updatedDateTime",
    "deviceModel",
    "productFamily",
    "productType",
    "deviceCapacity",
    "partNumber",
    "orderNumber",
    "color",
    "status",
    "orderDateTime",
    "imei",
    "meid",
    "eid",
    "wifiMacAddress",
    "bluetoothMacAddress",
    "ethernetMacAddress",
    "purchaseSourceId",
    "purchaseSourceType",
    "isMdmMigrationCapable",
    "mdmMigrationStatus",
    "mdmMigrationDeadlineDateTime",
    "assignedServer",
    "appleCareCoverage",
];

const SERVER_FIELDS: &[&str] = &[
    "serverName",
    "serverType",
    "createdDateTime",
    "updatedDateTime",
    "devices",
    "status",
    "enableMdmDisownFlag",
    "defaultProductFamilies",
    "deviceCount",
    "lastConnectedDateTime",
    "lastConnectedIp",
];

/// The `fields[kind]` names, checked against `known`.
fn fields(
    q: &HashMap<String, String>,
    kind: &str,
    known: &[&str],
) -> Result<Option<Vec<String>>, Outcome> {
    let key = format!("fields[{kind}]");
    let Some(v) = q.get(&key) else {
        return Ok(None);
    };
    let names: Vec<String> = v.split(',').map(str::to_owned).collect();
    if let Some(bad) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(api_error(
            400,
            "PARAMETER_ERROR.INVALID",
            &format!("{bad} is not a field of {kind}"),
            Some(json!({"parameter": key})),
        ));
    }
    Ok(Some(names))
}

fn keep_fields(mut attrs: Value, fields: Option<&Vec<String>>) -> Value {
    if let (Some(f), Some(obj)) = (fields, attrs.as_object_mut()) {
        // The purchase source id answers to either spelling.
        obj.retain(|k, _| {
            f.iter()
                .any(|n| n == k || (n == "purchaseSourceId" && k == "purchaseSourceUid"))
        });
    }
    attrs
}

/// An opaque-looking cursor that carries the offset, in the DEP-like shape Apple uses.
fn cursor_for(offset: usize) -> String {
    format!("0:0:{offset}:1746050714192:true:false:1746050714192")
}

fn offset_of(cursor: &str) -> Option<usize> {
    let parts: Vec<&str> = cursor.split(':').collect();
    match parts.as_slice() {
        ["0", "0", off, _, "true", "false", _] => off.parse().ok(),
        _ => None,
    }
}

/// One page of `items` under `q`'s `limit` and `cursor`, as a JSON:API list document.
fn page(
    s: &MockState,
    q: &HashMap<String, String>,
    self_path: &str,
    items: Vec<Value>,
) -> Result<Value, Outcome> {
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(l)) if (1..=1000).contains(&l) => l,
        Some(_) => {
            return Err(api_error(
                400,
                "PARAMETER_ERROR.INVALID",
                "limit must be 1 to 1000",
                Some(json!({"parameter": "limit"})),
            ));
        }
    };
    let offset = match q.get("cursor") {
        None => 0,
        Some(c) => match offset_of(c) {
            Some(o) if o <= items.len() => o,
            _ => {
                return Err(api_error(
                    400,
                    "PARAMETER_ERROR.INVALID",
                    "the cursor is not valid",
                    Some(json!({"parameter": "cursor"})),
                ));
            }
        },
    };
    let total = items.len();
    let data: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let self_url = format!("{}{self_path}", s.base);
    let mut doc = json!({
        "data": data,
        "links": {"self": self_url, "first": format!("{self_url}?limit={limit}")},
        "meta": {"paging": {"limit": limit, "total": total}},
    });
    if offset + limit < total {
        let c = cursor_for(offset + limit);
        doc["links"]["next"] = json!(format!(
            "{self_url}?limit={limit}&cursor={}",
            c.replace(':', "%3A")
        ));
        doc["meta"]["paging"]["nextCursor"] = json!(c);
    }
    Ok(doc)
}

// ---------------------------------------------------------------------------------------
// Devices

fn device_attrs(d: &Device) -> Value {
    let mut a = d.attributes.clone();
    a["status"] = json!(if d.server.is_some() {
        "ASSIGNED"
    } else {
        "UNASSIGNED"
    });
    if let Some(dl) = &d.migration_deadline {
        a["mdmMigrationStatus"] = json!("IN_PROGRESS");
        a["mdmMigrationDeadlineDateTime"] = json!(dl);
    }
    a
}

fn device_resource(s: &MockState, d: &Device, f: Option<&Vec<String>>) -> Value {
    let url = format!("{}/v1/orgDevices/{}", s.base, d.serial);
    json!({
        "type": "orgDevices",
        "id": d.serial,
        "attributes": keep_fields(device_attrs(d), f),
        "relationships": {
            "assignedServer": {"links": {
                "self": format!("{url}/relationships/assignedServer"),
                "related": format!("{url}/assignedServer"),
            }},
            "appleCareCoverage": {"links": {"self": format!("{url}/appleCareCoverage")}},
        },
        "links": {"self": url},
    })
}

fn find_device<'a>(s: &'a MockState, id: &str) -> Result<&'a Device, Outcome> {
    let id = percent_decode(id);
    s.devices.iter().find(|d| d.serial == id).ok_or_else(|| {
        api_error(
            404,
            "NOT_FOUND",
            &format!("there is no org device {id}"),
            None,
        )
    })
}

fn either(r: Result<Value, Outcome>) -> Outcome {
    match r {
        Ok(v) => json_reply(200, v),
        Err(o) => o,
    }
}

fn list_devices(s: &MockState, q: &HashMap<String, String>) -> Outcome {
    either((|| {
        let f = fields(q, "orgDevices", DEVICE_FIELDS)?;
        let items = s
            .devices
            .iter()
            .map(|d| device_resource(s, d, f.as_ref()))
            .collect();
        page(s, q, "/v1/orgDevices", items)
    })())
}

fn get_device(s: &MockState, id: &str, q: &HashMap<String, String>) -> Outcome {
    either((|| {
        let f = fields(q, "orgDevices", DEVICE_FIELDS)?;
        let d = find_device(s, id)?;
        let mut r = device_resource(s, d, f.as_ref());
        // Only single-device reads carry releasedFromOrgDateTime.
        if f.is_none() {
            r["attributes"]["releasedFromOrgDateTime"] = Value::Null;
        }
        let url = format!("{}/v1/orgDevices/{}", s.base, d.serial);
        Ok(json!({"data": r, "links": {"self": url}}))
    })())
}

fn linkage(s: &MockState, id: &str) -> Outcome {
    either((|| {
        let d = find_device(s, id)?;
        let url = format!("{}/v1/orgDevices/{}", s.base, d.serial);
        let data = match &d.server {
            Some(sid) => json!({"type": "mdmServers", "id": sid}),
            None => Value::Null,
        };
        Ok(json!({"data": data, "links": {
            "self": format!("{url}/relationships/assignedServer"),
            "related": format!("{url}/assignedServer"),
        }}))
    })())
}

fn server_resource(s: &MockState, srv: &Server, f: Option<&Vec<String>>) -> Value {
    let url = format!("{}/v1/mdmServers/{}", s.base, srv.id);
    let mut a = srv.attributes.clone();
    a["deviceCount"] = json!(
        s.devices
            .iter()
            .filter(|d| d.server.as_deref() == Some(srv.id.as_str()))
            .count()
    );
    json!({
        "type": "mdmServers",
        "id": srv.id,
        "attributes": keep_fields(a, f),
        "relationships": {"devices": {"links": {
            "self": format!("{url}/relationships/devices"),
        }}},
        "links": {"self": url},
    })
}

fn assigned_server(s: &MockState, id: &str, q: &HashMap<String, String>) -> Outcome {
    either((|| {
        let f = fields(q, "mdmServers", SERVER_FIELDS)?;
        let d = find_device(s, id)?;
        let srv = d
            .server
            .as_ref()
            .and_then(|sid| s.servers.iter().find(|x| &x.id == sid))
            .ok_or_else(|| {
                api_error(
                    404,
                    "NOT_FOUND",
                    &format!("{} is not assigned to an MDM server", d.serial),
                    None,
                )
            })?;
        Ok(json!({"data": server_resource(s, srv, f.as_ref()),
            "links": {"self": format!("{}/v1/orgDevices/{}/assignedServer", s.base, d.serial)}}))
    })())
}

fn coverage(s: &MockState, id: &str, q: &HashMap<String, String>) -> Outcome {
    either((|| {
        let d = find_device(s, id)?;
        let items = d
            .coverage
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"type": "appleCareCoverage", "id": format!("{}-{i}", d.serial), "attributes": c}))
            .collect();
        page(
            s,
            q,
            &format!("/v1/orgDevices/{}/appleCareCoverage", d.serial),
            items,
        )
    })())
}

// ---------------------------------------------------------------------------------------
// MDM servers

fn find_server(s: &MockState, id: &str) -> Result<usize, Outcome> {
    s.servers.iter().position(|x| x.id == id).ok_or_else(|| {
        api_error(
            404,
            "NOT_FOUND",
            &format!("there is no MDM server {id}"),
            None,
        )
    })
}

fn list_servers(s: &MockState, q: &HashMap<String, String>) -> Outcome {
    either((|| {
        let f = fields(q, "mdmServers", SERVER_FIELDS)?;
        let items = s
            .servers
            .iter()
            .map(|x| server_resource(s, x, f.as_ref()))
            .collect();
        page(s, q, "/v1/mdmServers", items)
    })())
}

fn get_server(s: &MockState, id: &str, q: &HashMap<String, String>) -> Outcome {
    either((|| {
        let f = fields(q, "mdmServers", SERVER_FIELDS)?;
        let i = find_server(s, id)?;
        Ok(json!({"data": server_resource(s, &s.servers[i], f.as_ref())}))
    })())
}

fn server_devices(s: &MockState, id: &str, q: &HashMap<String, String>) -> Outcome {
    either((|| {
        find_server(s, id)?;
        let items = s
            .devices
            .iter()
            .filter(|d| d.server.as_deref() == Some(id))
            .map(|d| json!({"type": "orgDevices", "id": d.serial}))
            .collect();
        let path = format!("/v1/mdmServers/{id}/relationships/devices");
        let mut doc = page(s, q, &path, items)?;
        doc["links"]["related"] = json!(format!("{}/v1/mdmServers/{id}/devices", s.base));
        Ok(doc)
    })())
}

fn create_server(s: &mut MockState, b: &Value) -> Outcome {
    let d = &b["data"];
    if d["type"] != "mdmServers" {
        return api_error(
            409,
            "ENTITY_ERROR.TYPE.INVALID",
            "data.type must be mdmServers",
            Some(json!({"pointer": "/data/type"})),
        );
    }
    let name = d["attributes"]["serverName"].as_str().unwrap_or("");
    let cert = &d["attributes"]["serverCertificate"];
    let cert_ok = cert["name"].is_string()
        && cert["data"].as_str().is_some_and(|c| {
            !c.is_empty() && base64::engine::general_purpose::STANDARD.decode(c).is_ok()
        });
    if name.trim().is_empty() || !cert_ok {
        return api_error(
            422,
            "ENTITY_ERROR.ATTRIBUTE.REQUIRED",
            "serverName and serverCertificate {name, data} are required",
            Some(json!({"pointer": "/data/attributes"})),
        );
    }
    let id = server_id(1000 + s.next_id as usize);
    s.next_id += 1;
    s.servers.push(Server {
        id,
        attributes: json!({"serverName": name, "serverType": "MDM",
            "createdDateTime": "2026-01-01T00:00:00.000Z",
            "updatedDateTime": "2026-01-01T00:00:00.000Z", "status": "ACTIVE"}),
    });
    let srv = s.servers.last().unwrap();
    json_reply(201, json!({"data": server_resource(s, srv, None)}))
}

fn update_server(s: &mut MockState, id: &str, b: &Value) -> Outcome {
    let i = match find_server(s, id) {
        Ok(i) => i,
        Err(o) => return o,
    };
    let d = &b["data"];
    if d["type"] != "mdmServers" || d["id"] != id {
        return api_error(
            409,
            "ENTITY_ERROR.ID.INVALID",
            "data.type and data.id must match the server",
            Some(json!({"pointer": "/data/id"})),
        );
    }
    if let Some(attrs) = d["attributes"].as_object() {
        for (k, v) in attrs {
            if !SERVER_FIELDS.contains(&k.as_str()) || k == "deviceCount" {
                return api_error(
                    422,
                    "ENTITY_ERROR.ATTRIBUTE.INVALID",
                    &format!("{k} cannot be changed"),
                    Some(json!({"pointer": format!("/data/attributes/{k}")})),
                );
            }
            s.servers[i].attributes[k] = v.clone();
        }
    }
    json_reply(
        200,
        json!({"data": server_resource(s, &s.servers[i], None)}),
    )
}

fn delete_server(s: &mut MockState, id: &str) -> Outcome {
    let i = match find_server(s, id) {
        Ok(i) => i,
        Err(o) => return o,
    };
    if s.devices.iter().any(|d| d.server.as_deref() == Some(id)) {
        return api_error(
            409,
            "STATE_ERROR.SERVER_HAS_DEVICES",
            "unassign the server's devices first",
            None,
        );
    }
    s.servers.remove(i);
    Outcome::Reply(204, String::new(), None, "application/json")
}

fn mdm_devices(s: &MockState, q: &HashMap<String, String>) -> Outcome {
    either((|| {
        fields(
            q,
            "mdmDevices",
            &[
                "serialNumber",
                "deviceName",
                "productFamily",
                "enrolledUserId",
                "details",
            ],
        )?;
        let items = s
            .devices
            .iter()
            .filter(|d| d.server.is_some())
            .map(|d| {
                json!({"type": "mdmDevices", "id": format!("mdm-{}", d.serial), "attributes": {
                    "serialNumber": d.serial,
                    "deviceName": format!("{}'s device", d.serial),
                    "productFamily": d.attributes["productFamily"],
                    "enrolledUserId": "user-1",
                }})
            })
            .collect();
        page(s, q, "/v1/mdmDevices", items)
    })())
}

// ---------------------------------------------------------------------------------------
// Activities

const ACTIVITY_TYPES: &[&str] = &[
    "ASSIGN_DEVICES",
    "UNASSIGN_DEVICES",
    "ASSIGN_DEVICES_WITH_MDM_MIGRATION_DEADLINE",
    "UPDATE_MDM_MIGRATION_DEADLINE",
    "CANCEL_MDM_MIGRATION",
    "RELEASE_DEVICES",
];

fn create_activity(s: &mut MockState, b: &Value) -> Outcome {
    let d = &b["data"];
    let bad = |detail: &str, pointer: &str| {
        api_error(
            400,
            "PARAMETER_ERROR.INVALID",
            detail,
            Some(json!({"pointer": pointer})),
        )
    };
    if d["type"] != "orgDeviceActivities" {
        return bad("data.type must be orgDeviceActivities", "/data/type");
    }
    let Some(kind) = d["attributes"]["activityType"]
        .as_str()
        .filter(|k| ACTIVITY_TYPES.contains(k))
    else {
        return bad(
            "activityType is not an activity type",
            "/data/attributes/activityType",
        );
    };
    let Some(list) = d["relationships"]["devices"]["data"]
        .as_array()
        .filter(|l| !l.is_empty())
    else {
        return bad("devices are required", "/data/relationships/devices/data");
    };
    let mut serials = Vec::new();
    for l in list {
        match (l["type"].as_str(), l["id"].as_str()) {
            (Some("orgDevices"), Some(id)) if !id.is_empty() => serials.push(id.to_owned()),
            _ => {
                return bad(
                    "each device is {type: orgDevices, id}",
                    "/data/relationships/devices/data",
                );
            }
        }
    }
    let server = &d["relationships"]["mdmServer"]["data"];
    let server = if server.is_null() {
        None
    } else if server["type"] == "mdmServers"
        && let Some(id) = server["id"].as_str()
    {
        Some(id.to_owned())
    } else {
        return bad(
            "mdmServer is {type: mdmServers, id}",
            "/data/relationships/mdmServer/data",
        );
    };
    let deadline = d["attributes"]["activityTypeMetadata"]["mdmMigrationDeadlineDateTime"]
        .as_str()
        .map(str::to_owned);
    let needs_server = matches!(
        kind,
        "ASSIGN_DEVICES" | "UNASSIGN_DEVICES" | "ASSIGN_DEVICES_WITH_MDM_MIGRATION_DEADLINE"
    );
    let needs_deadline = matches!(
        kind,
        "ASSIGN_DEVICES_WITH_MDM_MIGRATION_DEADLINE" | "UPDATE_MDM_MIGRATION_DEADLINE"
    );
    if needs_server != server.is_some() {
        return api_error(
            422,
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
            &format!(
                "{kind} {} an mdmServer",
                if needs_server { "needs" } else { "takes no" }
            ),
            Some(json!({"pointer": "/data/relationships/mdmServer"})),
        );
    }
    if needs_deadline != deadline.is_some() {
        return api_error(
            422,
            "ENTITY_ERROR.ATTRIBUTE.INVALID",
            &format!(
                "{kind} {} a migration deadline",
                if needs_deadline { "needs" } else { "takes no" }
            ),
            Some(json!({"pointer": "/data/attributes/activityTypeMetadata"})),
        );
    }
    // 409: an unknown server, an unknown serial, a deadline out of range.
    if let Some(id) = &server
        && !s.servers.iter().any(|x| &x.id == id)
    {
        return api_error(
            409,
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
            &format!("there is no MDM server {id}"),
            Some(json!({"pointer": "/data/relationships/mdmServer/data/id"})),
        );
    }
    if let Some(unknown) = serials
        .iter()
        .find(|sn| !s.devices.iter().any(|d| &d.serial == *sn))
    {
        return api_error(
            409,
            "ENTITY_ERROR.RELATIONSHIP.INVALID",
            &format!("there is no org device {unknown}"),
            Some(json!({"pointer": "/data/relationships/devices/data"})),
        );
    }
    if let Some(dl) = &deadline {
        let ok = DateTime::parse_from_rfc3339(dl).is_ok_and(|t| {
            let t = t.with_timezone(&Utc);
            t > Utc::now() && t <= Utc::now() + chrono::Duration::days(90)
        });
        if !ok {
            return api_error(
                409,
                "ENTITY_ERROR.ATTRIBUTE.INVALID",
                "the migration deadline must be in the next 90 days",
                Some(
                    json!({"pointer": "/data/attributes/activityTypeMetadata/mdmMigrationDeadlineDateTime"}),
                ),
            );
        }
    }
    // 422: a migration update or cancel for devices that are not migrating.
    if matches!(
        kind,
        "UPDATE_MDM_MIGRATION_DEADLINE" | "CANCEL_MDM_MIGRATION"
    ) && let Some(sn) = serials.iter().find(|sn| {
        s.devices
            .iter()
            .any(|d| &d.serial == *sn && d.migration_deadline.is_none())
    }) {
        return api_error(
            422,
            "ENTITY_UNPROCESSABLE.NO_MIGRATION",
            &format!("{sn} has no MDM migration in progress"),
            Some(json!({"pointer": "/data/relationships/devices/data"})),
        );
    }
    let n = s.next_id;
    s.next_id += 1;
    let id = format!("4d2f8a4e-1b7c-4c3e-9f00-{n:012}");
    let fail = std::mem::take(&mut s.fail_next_activity);
    let activity = Activity {
        activity_type: kind.to_owned(),
        devices: serials,
        server,
        deadline,
        polls_left: s.config.activity_polls,
        fail,
        created: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        results: None,
        log_token: format!("sig{n:08x}"),
    };
    s.activities.insert(id.clone(), activity);
    s.activity_order.push(id.clone());
    let doc = activity_doc(s, &id, None);
    json_reply(201, doc)
}

/// Applies a completed activity to the devices and records each one's result.
fn complete(s: &mut MockState, id: &str) {
    let a = s.activities[id].clone();
    let mut results = Vec::new();
    for sn in &a.devices {
        let Some(d) = s.devices.iter_mut().find(|d| &d.serial == sn) else {
            results.push((
                sn.clone(),
                "FAILED",
                "the device left the organization".into(),
            ));
            continue;
        };
        let r = match a.activity_type.as_str() {
            "ASSIGN_DEVICES" => {
                d.server.clone_from(&a.server);
                Ok(())
            }
            "ASSIGN_DEVICES_WITH_MDM_MIGRATION_DEADLINE" => {
                if d.attributes["isMdmMigrationCapable"] == true {
                    d.server.clone_from(&a.server);
                    d.migration_deadline.clone_from(&a.deadline);
                    Ok(())
                } else {
                    Err("the device cannot be migrated with a deadline")
                }
            }
            "UNASSIGN_DEVICES" if d.server == a.server => {
                d.server = None;
                Ok(())
            }
            "UNASSIGN_DEVICES" => Err("the device is not assigned to this MDM server"),
            "UPDATE_MDM_MIGRATION_DEADLINE" => {
                d.migration_deadline.clone_from(&a.deadline);
                Ok(())
            }
            "CANCEL_MDM_MIGRATION" => {
                d.migration_deadline = None;
                Ok(())
            }
            _ => Ok(()), // RELEASE_DEVICES, below
        };
        results.push(match r {
            Ok(()) => (sn.clone(), "SUCCESS", String::new()),
            Err(m) => (sn.clone(), "FAILED", m.to_owned()),
        });
    }
    if a.activity_type == "RELEASE_DEVICES" {
        s.devices.retain(|d| !a.devices.contains(&d.serial));
    }
    s.activities.get_mut(id).unwrap().results = Some(results);
}

fn activity_doc(s: &MockState, id: &str, f: Option<&Vec<String>>) -> Value {
    let a = &s.activities[id];
    let mut attrs = json!({"createdDateTime": a.created, "activityType": a.activity_type});
    match &a.results {
        None => {
            attrs["status"] = json!("IN_PROGRESS");
            attrs["subStatus"] = json!(if a.polls_left == s.config.activity_polls {
                "SUBMITTED"
            } else {
                "PROCESSING"
            });
        }
        Some(_) if a.fail => {
            attrs["status"] = json!("FAILED");
            attrs["subStatus"] = json!("COMPLETED_WITH_FAILURE");
            attrs["completedDateTime"] = json!("2026-01-01T00:00:00.000Z");
        }
        Some(results) => {
            let failed = results.iter().any(|r| r.1 != "SUCCESS");
            attrs["status"] = json!("COMPLETED");
            attrs["subStatus"] = json!(if failed {
                "COMPLETED_WITH_ERROR"
            } else {
                "COMPLETED_WITH_SUCCESS"
            });
            attrs["completedDateTime"] = json!("2026-01-01T00:00:00.000Z");
            attrs["downloadUrl"] = json!(format!(
                "{}/logs/{id}.csv?X-Amz-Expires=300&X-Amz-Signature={}",
                s.base, a.log_token
            ));
        }
    }
    let url = format!("{}/v1/orgDeviceActivities/{id}", s.base);
    json!({"data": {"type": "orgDeviceActivities", "id": id,
        "attributes": keep_fields(attrs, f), "links": {"self": url}},
        "links": {"self": url}})
}

fn read_activity(s: &mut MockState, id: &str, q: &HashMap<String, String>) -> Outcome {
    let f = match fields(
        q,
        "orgDeviceActivities",
        &[
            "status",
            "subStatus",
            "createdDateTime",
            "completedDateTime",
            "downloadUrl",
            "activityType",
        ],
    ) {
        Ok(f) => f,
        Err(o) => return o,
    };
    let Some(a) = s.activities.get_mut(id) else {
        return api_error(
            404,
            "NOT_FOUND",
            &format!("there is no activity {id}"),
            None,
        );
    };
    if a.results.is_none() {
        if a.polls_left == 0 {
            complete(s, id);
        } else {
            a.polls_left -= 1;
        }
    }
    json_reply(200, activity_doc(s, id, f.as_ref()))
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

fn activity_log(s: &mut MockState, rest: &str, query: &str, headers: &HeaderMap) -> Outcome {
    // A presigned URL: the signature is in the query, and a second authentication (an
    // Authorization header) is refused, as object stores do.
    if headers.contains_key("authorization") {
        s.violations
            .push("the log download carried an Authorization header".into());
        return Outcome::Reply(
            400,
            "<Error><Code>InvalidArgument</Code></Error>".into(),
            None,
            "application/xml",
        );
    }
    let id = rest.trim_end_matches(".csv");
    let q = parse_params(query);
    let Some(a) = s.activities.get(id) else {
        return Outcome::Reply(
            404,
            "<Error><Code>NoSuchKey</Code></Error>".into(),
            None,
            "application/xml",
        );
    };
    if q.get("X-Amz-Signature") != Some(&a.log_token) {
        return Outcome::Reply(
            403,
            "<Error><Code>SignatureDoesNotMatch</Code></Error>".into(),
            None,
            "application/xml",
        );
    }
    let Some(results) = &a.results else {
        return Outcome::Reply(
            404,
            "<Error><Code>NoSuchKey</Code></Error>".into(),
            None,
            "application/xml",
        );
    };
    let mut csv = String::from("Serial Number,Result,Error Message\r\n");
    for (sn, result, message) in results {
        csv.push_str(&format!(
            "{},{},{}\r\n",
            csv_field(sn),
            result,
            csv_field(message)
        ));
    }
    Outcome::Reply(200, csv, None, "text/csv")
}
