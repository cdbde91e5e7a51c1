//! An in-process stand-in for the Apps and Books service, built from the shapes and rules
//! in `shared/apple-apis/VPP.md` (not from another project's code). It enforces what
//! Apple documents: the bearer token, `application/json` on POST, the published limits
//! (9700-9705), duplicates, the request rate per token (9646 with HTTP 429), page indexes
//! (9650), unknown events (9708), and asynchronous events that complete after a few
//! status polls. Faults are queued by the tests.
//!
//! Shared by `crates/mdm-vpp/tests/`, the crate's benchmark example and
//! `examples/tests/vpp_cli.rs` (through `#[path]`), so it uses only axum, tokio and
//! serde_json.
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
use serde_json::{Value, json};

/// What the mock starts with.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// The sToken text the bearer must carry.
    pub token: String,
    /// Items per page.
    pub page_size: usize,
    /// The `limits` object of `service/config` (Apple's example values by default).
    pub limits: Value,
    /// Status polls an event answers PENDING before it completes.
    pub event_polls: u32,
    /// Assets in the inventory (adamIds 1000, 1001, ...), each with 100 licences.
    pub assets: usize,
    /// The `mdmInfo` the location reports.
    pub mdm_info: Option<Value>,
}

impl MockConfig {
    pub fn new(token: &str) -> Self {
        MockConfig {
            token: token.to_owned(),
            page_size: 100,
            limits: json!({
                "maxAssets": 25, "maxClientUserIds": 1000, "maxSerialNumbers": 1000,
                "maxRevokeClientUserIds": 100, "maxRevokeSerialNumbers": 100, "maxUsers": 100,
                "maxSubscriptions": 25, "maxSubscriptionClientUserIds": 1000,
                "maxNotificationLength": 512, "maxMdmNameLength": 100,
                "maxMdmMetadataLength": 255, "maxMdmIdLength": 100, "maxRequestPerSecond": 15
            }),
            event_polls: 1,
            assets: 3,
            mdm_info: None,
        }
    }
}

/// A queued misbehaviour, applied to the next request whose path ends with `path` (any
/// authorized request when `None`).
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
    /// Never answer.
    Stall,
    /// A body larger than the client's cap.
    Oversize,
}

#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
    pub at: Instant,
    pub status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Held {
    pub adam_id: String,
    pub pricing: String,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Serial(String),
    User(String),
}

#[derive(Debug, Clone)]
pub struct MockEvent {
    pub kind: &'static str,
    pub requested: usize,
    pub polls_left: u32,
    pub failures: Vec<Value>,
    pub polls: Vec<Instant>,
}

#[derive(Debug, Clone)]
pub struct MockUser {
    pub client_user_id: String,
    pub email: Option<String>,
    pub status: &'static str,
    pub version: u64,
}

/// Everything the mock holds; tests read and change it through [`Mock::with`].
#[derive(Debug)]
pub struct MockState {
    pub config: MockConfig,
    pub base: String,
    pub faults: VecDeque<Fault>,
    pub log: Vec<Logged>,
    pub arrivals: VecDeque<Instant>,
    pub max_in_window: usize,
    pub rate_violations: usize,
    pub version: u64,
    pub assignments: Vec<(Held, u64)>,
    pub double_assignments: usize,
    pub users: Vec<MockUser>,
    pub events: HashMap<String, MockEvent>,
    pub next_event: u64,
    pub bump_version_after_page: Option<u32>,
    pub events_never_complete: bool,
    pub client_config: Value,
    pub post_bodies: Vec<(String, Value)>,
}

/// A running mock: `base_url` is what a client is pointed at.
#[derive(Clone)]
pub struct Mock {
    pub base_url: String,
    pub state: Arc<Mutex<MockState>>,
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
                let addr = listener.local_addr().unwrap();
                let base = format!("http://{addr}");
                let mut client_config = json!({
                    "countryISO2ACode": "DE", "defaultPlatform": "volumestore",
                    "locationName": "Mock Location", "subscribedNotificationTypes": [],
                    "tokenExpirationDate": "2030-11-08T22:33:22+0000", "uId": "4242",
                    "websiteURL": "https://business.apple.com"
                });
                if let Some(m) = &config.mdm_info {
                    client_config["mdmInfo"] = m.clone();
                }
                let state = Arc::new(Mutex::new(MockState {
                    config,
                    base: base.clone(),
                    faults: VecDeque::new(),
                    log: Vec::new(),
                    arrivals: VecDeque::new(),
                    max_in_window: 0,
                    rate_violations: 0,
                    version: 1,
                    assignments: Vec::new(),
                    double_assignments: 0,
                    users: Vec::new(),
                    events: HashMap::new(),
                    next_event: 1,
                    bump_version_after_page: None,
                    events_never_complete: false,
                    client_config,
                    post_bodies: Vec::new(),
                }));
                let app = axum::Router::new()
                    .fallback(handle)
                    .with_state(state.clone());
                tx.send(Mock {
                    // service/config lives under /mdm/v2; every other endpoint under
                    // /api/v2, so a client that does not follow `urls` fails.
                    base_url: format!("{base}/mdm/v2"),
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

    /// Seeds `n` device assignments of asset 1000 (serials `SEED000000`...).
    pub fn seed_assignments(&self, n: usize) {
        self.with(|s| {
            let v = s.version;
            for i in 0..n {
                s.assignments.push((
                    Held {
                        adam_id: "1000".into(),
                        pricing: "STDQ".into(),
                        target: Target::Serial(format!("SEED{i:06}")),
                    },
                    v,
                ));
            }
        });
    }
}

fn error_body(number: i64, message: &str) -> String {
    json!({"errorNumber": number, "errorMessage": message}).to_string()
}

fn reply(status: u16, body: String, retry_after: Option<u64>) -> Response {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if let Some(ra) = retry_after {
        b = b.header("retry-after", ra.to_string());
    }
    b.body(Body::from(body)).unwrap()
}

fn error(status: u16, number: i64, message: &str) -> (u16, String) {
    (status, error_body(number, message))
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
    let now = Instant::now();
    // A fault for this request, decided under the lock, acted on after it.
    let outcome = {
        let mut s = state.lock().unwrap();
        let r = route(&mut s, &method, &path, &query, &headers, &body, now);
        let status = match &r {
            Outcome::Reply(st, _, _) => *st,
            Outcome::Stall => 0,
            Outcome::Oversize => 200,
        };
        s.log.push(Logged {
            method: method.to_string(),
            path: path.clone(),
            query: query.clone(),
            at: now,
            status,
        });
        r
    };
    match outcome {
        Outcome::Reply(status, body, ra) => reply(status, body, ra),
        Outcome::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            reply(504, String::new(), None)
        }
        Outcome::Oversize => reply(200, " ".repeat(8 * 1024 * 1024 + 1), None),
    }
}

enum Outcome {
    Reply(u16, String, Option<u64>),
    Stall,
    Oversize,
}

fn route(
    s: &mut MockState,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: Instant,
) -> Outcome {
    let q: HashMap<String, String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), decode(v)))
        .collect();
    if path == "/mdm/v2/service/config" {
        if method != Method::GET {
            let (st, b) = error(405, 9726, "method not allowed");
            return Outcome::Reply(st, b, None);
        }
        return Outcome::Reply(200, service_config(s), None);
    }
    let Some(endpoint) = path.strip_prefix("/api/v2/") else {
        return Outcome::Reply(404, String::new(), None);
    };
    // The bearer token.
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(bearer) = auth.strip_prefix("Bearer ") else {
        let (st, b) = error(401, 9722, "malformed authorization header");
        return Outcome::Reply(st, b, None);
    };
    if bearer != s.config.token {
        let (st, b) = error(401, 9601, "login required");
        return Outcome::Reply(st, b, None);
    }
    // The request rate of this token: a sliding window of one second.
    s.arrivals.push_back(now);
    while s
        .arrivals
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        s.arrivals.pop_front();
    }
    let rate = s.config.limits["maxRequestPerSecond"]
        .as_u64()
        .unwrap_or(15) as usize;
    s.max_in_window = s.max_in_window.max(s.arrivals.len());
    if s.arrivals.len() > rate {
        s.rate_violations += 1;
        let (st, b) = error(429, 9646, "too many requests");
        return Outcome::Reply(st, b, None);
    }
    // A queued fault.
    if let Some(i) = s
        .faults
        .iter()
        .position(|f| f.path.is_none_or(|p| path.ends_with(p)))
    {
        let f = s.faults.remove(i).unwrap();
        return match f.kind {
            FaultKind::Respond {
                status,
                body,
                retry_after,
            } => Outcome::Reply(status, body, retry_after),
            FaultKind::Stall => Outcome::Stall,
            FaultKind::Oversize => Outcome::Oversize,
        };
    }
    let post = *method == Method::POST;
    let json_body = if post {
        let ct = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            let (st, b) = error(415, 9727, "unsupported content type");
            return Outcome::Reply(st, b, None);
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(v) if v.is_object() => {
                s.post_bodies.push((endpoint.to_owned(), v.clone()));
                v
            }
            _ => {
                let (st, b) = error(400, 9602, "invalid argument");
                return Outcome::Reply(st, b, None);
            }
        }
    } else {
        Value::Null
    };
    let expected_method = match endpoint {
        "client/config" => None,
        "assets" | "assignments" | "users" | "status" => Some(Method::GET),
        _ => Some(Method::POST),
    };
    if expected_method.is_some_and(|m| m != *method) {
        let (st, b) = error(405, 9726, "method not allowed");
        return Outcome::Reply(st, b, None);
    }
    let result = match endpoint {
        "client/config" if post => set_client_config(s, &json_body),
        "client/config" => Ok(s.client_config.clone()),
        "assets" => assets(s, &q),
        "assignments" => assignments(s, &q),
        "users" => users(s, &q),
        "assets/associate" => manage(s, &json_body, true),
        "assets/disassociate" => manage(s, &json_body, false),
        "assets/revoke" => revoke(s, &json_body),
        "users/create" | "users/update" | "users/retire" => {
            manage_users(s, &json_body, endpoint.trim_start_matches("users/"))
        }
        "status" => status(s, &q),
        _ => return Outcome::Reply(404, String::new(), None),
    };
    match result {
        Ok(v) => Outcome::Reply(200, v.to_string(), None),
        Err((st, b)) => Outcome::Reply(st, b, None),
    }
}

fn decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(v.get(i + 1..i + 3).unwrap_or("zz"), 16)
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

fn service_config(s: &MockState) -> String {
    let u = |p: &str| format!("{}/api/v2/{p}", s.base);
    json!({
        "errorCodes": [{"errorNumber": 9646, "errorMessage": "too many requests"}],
        "limits": s.config.limits,
        "notificationTypes": ["ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED", "TEST_NOTIFICATION"],
        "urls": {
            "clientConfig": u("client/config"), "createUsers": u("users/create"),
            "getAssignments": u("assignments"), "revokeAssets": u("assets/revoke"),
            "contentMetadataLookup": "https://uclient-api.itunes.apple.com/WebObjects/MZStorePlatform.woa/wa/lookup",
            "getUsers": u("users"), "eventStatus": u("status"),
            "associateAssets": u("assets/associate"), "disassociateAssets": u("assets/disassociate"),
            "updateUsers": u("users/update"), "getAssets": u("assets"), "retireUsers": u("users/retire"),
            "invitationEmail": "https://vpp.itunes.apple.com/mdm/invite?inviteCode=%25inviteCode%25"
        }
    })
    .to_string()
}

type Answer = Result<Value, (u16, String)>;

fn limit(s: &MockState, key: &str) -> usize {
    s.config.limits[key].as_u64().unwrap_or(0) as usize
}

fn set_client_config(s: &mut MockState, b: &Value) -> Answer {
    let max = limit(s, "maxNotificationLength");
    let url = b.get("notificationUrl").and_then(Value::as_str);
    let token = b.get("notificationAuthToken").and_then(Value::as_str);
    if url.is_some() != token.is_some() {
        return Err(error(400, 9710, "url and token together"));
    }
    if url.is_some_and(|u| u.len() > max) || token.is_some_and(|t| t.len() > max) {
        return Err(error(400, 9711, "notification field too long"));
    }
    if let Some(m) = b.get("mdmInfo") {
        let len = |k: &str| m.get(k).and_then(Value::as_str).map_or(0, str::len);
        if len("id") > limit(s, "maxMdmIdLength")
            || len("name") > limit(s, "maxMdmNameLength")
            || len("metadata") > limit(s, "maxMdmMetadataLength")
        {
            return Err(error(400, 9713, "mdm field too long"));
        }
        s.client_config["mdmInfo"] = m.clone();
    }
    if let (Some(u), Some(t)) = (url, token) {
        s.client_config["notificationUrl"] = u.into();
        s.client_config["notificationAuthToken"] = t.into();
    }
    if let Some(t) = b.get("notificationTypes") {
        s.client_config["subscribedNotificationTypes"] = t.clone();
    }
    Ok(s.client_config.clone())
}

fn page_of(s: &mut MockState, q: &HashMap<String, String>, items: Vec<Value>, key: &str) -> Answer {
    let (index, size, total_pages) = page_bounds(s, q, items.len())?;
    let page: Vec<Value> = items.into_iter().skip(index * size).take(size).collect();
    page_answer(s, index, total_pages, key, page)
}

/// The requested page index, the page size and the page count for `total` items; 9650 when
/// the index is past the end.
fn page_bounds(
    s: &MockState,
    q: &HashMap<String, String>,
    total: usize,
) -> Result<(usize, usize, usize), (u16, String)> {
    let index: usize = match q.get("pageIndex").map(|p| p.parse()) {
        None => 0,
        Some(Ok(i)) => i,
        Some(Err(_)) => return Err(error(400, 9602, "invalid argument")),
    };
    let size = s.config.page_size.max(1);
    let total_pages = total.div_ceil(size).max(1);
    if index >= total_pages {
        return Err(error(400, 9650, "page index out of range"));
    }
    Ok((index, size, total_pages))
}

fn page_answer(
    s: &mut MockState,
    index: usize,
    total_pages: usize,
    key: &str,
    page: Vec<Value>,
) -> Answer {
    let size = page.len();
    let mut out = json!({
        key: page, "currentPageIndex": index, "size": size,
        "totalPages": total_pages, "tokenExpirationDate": "2030-11-08T22:33:22+0000",
        "uId": "4242", "versionId": format!("v{}", s.version)
    });
    if index + 1 < total_pages {
        out["nextPageIndex"] = (index + 1).into();
    }
    if s.bump_version_after_page == Some(index as u32) {
        s.bump_version_after_page = None;
        s.version += 1;
    }
    Ok(out)
}

fn assets(s: &mut MockState, q: &HashMap<String, String>) -> Answer {
    let held: HashMap<String, usize> =
        s.assignments.iter().fold(HashMap::new(), |mut m, (h, _)| {
            *m.entry(h.adam_id.clone()).or_default() += 1;
            m
        });
    let kind = q.get("productType").cloned();
    let items: Vec<Value> = (0..s.config.assets)
        .map(|i| {
            let id = format!("{}", 1000 + i);
            let assigned = held.get(&id).copied().unwrap_or(0) as i64;
            json!({
                "adamId": id, "assignedCount": assigned, "availableCount": 100 - assigned,
                "deviceAssignable": true, "pricingParam": "STDQ",
                "productType": if i % 2 == 0 { "App" } else { "Book" },
                "retiredCount": 0, "revocable": true, "totalCount": 100,
                "supportedPlatforms": ["iOS", "macOS"]
            })
        })
        .filter(|a| kind.as_deref().is_none_or(|k| a["productType"] == k))
        .collect();
    page_of(s, q, items, "assets")
}

fn assignments(s: &mut MockState, q: &HashMap<String, String>) -> Answer {
    let since = q
        .get("sinceVersionId")
        .and_then(|v| v.strip_prefix('v'))
        .and_then(|v| v.parse::<u64>().ok());
    // Filter to positions first and build JSON for one page only, so paging through a
    // large seeded set costs the mock little (the benchmark measures the client).
    let matching: Vec<usize> = s
        .assignments
        .iter()
        .enumerate()
        .filter(|(_, (h, v))| {
            since.is_none_or(|sv| *v > sv)
                && q.get("adamId").is_none_or(|a| *a == h.adam_id)
                && q.get("serialNumber")
                    .is_none_or(|sn| h.target == Target::Serial(sn.clone()))
                && q.get("clientUserId")
                    .is_none_or(|u| h.target == Target::User(u.clone()))
        })
        .map(|(i, _)| i)
        .collect();
    let (index, size, total_pages) = page_bounds(s, q, matching.len())?;
    let page: Vec<Value> = matching
        .iter()
        .skip(index * size)
        .take(size)
        .map(|&i| {
            let h = &s.assignments[i].0;
            let mut a = json!({"adamId": h.adam_id, "pricingParam": h.pricing});
            match &h.target {
                Target::Serial(sn) => a["serialNumber"] = sn.clone().into(),
                Target::User(u) => a["clientUserId"] = u.clone().into(),
            }
            a
        })
        .collect();
    page_answer(s, index, total_pages, "assignments", page)
}

fn users(s: &mut MockState, q: &HashMap<String, String>) -> Answer {
    let active_only = q.get("activeOnly").is_some_and(|v| v == "true");
    let items: Vec<Value> = s
        .users
        .iter()
        .filter(|u| !active_only || u.status != "Retired")
        .map(|u| {
            let mut v = json!({"clientUserId": u.client_user_id, "status": u.status,
                "inviteCode": format!("inv-{}", u.client_user_id)});
            if let Some(e) = &u.email {
                v["email"] = e.clone().into();
            }
            v
        })
        .collect();
    page_of(s, q, items, "users")
}

fn strings(b: &Value, key: &str) -> Result<Vec<String>, (u16, String)> {
    match b.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| error(400, 9602, "invalid argument"))
            })
            .collect(),
        Some(_) => Err(error(400, 9602, "invalid argument")),
    }
}

fn has_duplicates<T: std::hash::Hash + Eq>(v: &[T]) -> bool {
    let mut seen = HashSet::new();
    !v.iter().all(|x| seen.insert(x))
}

fn new_event(
    s: &mut MockState,
    kind: &'static str,
    requested: usize,
    failures: Vec<Value>,
) -> Value {
    let id = format!("00000000-0000-4000-8000-{:012}", s.next_event);
    s.next_event += 1;
    let polls = s.config.event_polls;
    s.events.insert(
        id.clone(),
        MockEvent {
            kind,
            requested,
            polls_left: polls,
            failures,
            polls: Vec::new(),
        },
    );
    let mut r =
        json!({"eventId": id, "uId": "4242", "tokenExpirationDate": "2030-11-08T22:33:22+0000"});
    if let Some(m) = s.client_config.get("mdmInfo") {
        r["mdmInfo"] = m.clone();
    }
    r
}

fn manage(s: &mut MockState, b: &Value, associate: bool) -> Answer {
    let Some(assets) = b.get("assets").and_then(Value::as_array) else {
        return Err(error(400, 9602, "assets are required"));
    };
    let assets: Vec<(String, String)> = assets
        .iter()
        .map(|a| {
            (
                a["adamId"].as_str().unwrap_or("").to_owned(),
                a.get("pricingParam")
                    .and_then(Value::as_str)
                    .unwrap_or("STDQ")
                    .to_owned(),
            )
        })
        .collect();
    let serials = strings(b, "serialNumbers")?;
    let users = strings(b, "clientUserIds")?;
    if assets.is_empty() || (serials.is_empty() && users.is_empty()) {
        return Err(error(400, 9602, "invalid argument"));
    }
    if assets.len() > limit(s, "maxAssets") {
        return Err(error(400, 9700, "too many assets"));
    }
    if users.len() > limit(s, "maxClientUserIds") {
        return Err(error(400, 9701, "too many users"));
    }
    if serials.len() > limit(s, "maxSerialNumbers") {
        return Err(error(400, 9702, "too many serial numbers"));
    }
    if has_duplicates(&assets) {
        return Err(error(400, 9703, "duplicate assets"));
    }
    if has_duplicates(&users) {
        return Err(error(400, 9704, "duplicate users"));
    }
    if has_duplicates(&serials) {
        return Err(error(400, 9705, "duplicate serial numbers"));
    }
    let targets: Vec<Target> = serials
        .into_iter()
        .map(Target::Serial)
        .chain(users.into_iter().map(Target::User))
        .collect();
    let mut failed = Vec::new();
    s.version += 1;
    let version = s.version;
    for (adam_id, pricing) in &assets {
        for t in &targets {
            if matches!(t, Target::Serial(sn) if sn.starts_with("FAIL")) {
                if let Target::Serial(sn) = t {
                    failed.push(sn.clone());
                }
                continue;
            }
            let held = Held {
                adam_id: adam_id.clone(),
                pricing: pricing.clone(),
                target: t.clone(),
            };
            let pos = s.assignments.iter().position(|(h, _)| *h == held);
            match (associate, pos) {
                (true, Some(_)) => s.double_assignments += 1,
                (true, None) => s.assignments.push((held, version)),
                (false, Some(i)) => {
                    s.assignments.remove(i);
                }
                (false, None) => {}
            }
        }
    }
    let failures = if failed.is_empty() {
        Vec::new()
    } else {
        vec![
            json!({"errorNumber": 9709, "errorMessage": "not enough licenses",
            "errorInfo": {"serialNumbers": failed}}),
        ]
    };
    let kind = if associate {
        "ASSOCIATE"
    } else {
        "DISASSOCIATE"
    };
    Ok(new_event(s, kind, assets.len() * targets.len(), failures))
}

fn revoke(s: &mut MockState, b: &Value) -> Answer {
    let serials = strings(b, "serialNumbers")?;
    let users = strings(b, "clientUserIds")?;
    if serials.is_empty() && users.is_empty() {
        return Err(error(400, 9602, "invalid argument"));
    }
    if serials.len() > limit(s, "maxRevokeSerialNumbers") {
        return Err(error(400, 9702, "too many serial numbers"));
    }
    if users.len() > limit(s, "maxRevokeClientUserIds") {
        return Err(error(400, 9701, "too many users"));
    }
    if has_duplicates(&serials) || has_duplicates(&users) {
        return Err(error(400, 9705, "duplicates"));
    }
    let targets: HashSet<Target> = serials
        .into_iter()
        .map(Target::Serial)
        .chain(users.into_iter().map(Target::User))
        .collect();
    s.version += 1;
    s.assignments.retain(|(h, _)| !targets.contains(&h.target));
    Ok(new_event(s, "REVOKE", targets.len(), Vec::new()))
}

fn manage_users(s: &mut MockState, b: &Value, op: &str) -> Answer {
    let Some(list) = b.get("users").and_then(Value::as_array) else {
        return Err(error(400, 9602, "users are required"));
    };
    if list.is_empty() {
        return Err(error(400, 9602, "invalid argument"));
    }
    if list.len() > limit(s, "maxUsers") {
        return Err(error(400, 9714, "too many users"));
    }
    let ids: Vec<&str> = list
        .iter()
        .map(|u| u["clientUserId"].as_str().unwrap_or(""))
        .collect();
    if ids.iter().any(|i| i.is_empty()) {
        return Err(error(400, 9602, "clientUserId is required"));
    }
    if has_duplicates(&ids) {
        return Err(error(400, 9715, "duplicate users"));
    }
    s.version += 1;
    let version = s.version;
    for u in list {
        let id = u["clientUserId"].as_str().unwrap_or("").to_owned();
        let email = u.get("email").and_then(Value::as_str).map(str::to_owned);
        let active = s
            .users
            .iter_mut()
            .find(|x| x.client_user_id == id && x.status != "Retired");
        match (op, active) {
            ("create", None) => s.users.push(MockUser {
                client_user_id: id,
                email,
                status: "Registered",
                version,
            }),
            ("update", Some(x)) => {
                x.email = email.or(x.email.take());
                x.version = version;
            }
            ("retire", Some(x)) => {
                x.status = "Retired";
                x.version = version;
            }
            _ => {}
        }
    }
    let kind = match op {
        "create" => "CREATE",
        "update" => "UPDATE",
        _ => "RETIRE",
    };
    Ok(new_event(s, kind, list.len(), Vec::new()))
}

fn status(s: &mut MockState, q: &HashMap<String, String>) -> Answer {
    let never = s.events_never_complete;
    let mdm = s.client_config.get("mdmInfo").cloned();
    let Some(e) = q.get("eventId").and_then(|id| s.events.get_mut(id)) else {
        return Err(error(400, 9708, "event not found"));
    };
    e.polls.push(Instant::now());
    let status = if never || e.polls_left > 0 {
        e.polls_left = e.polls_left.saturating_sub(1);
        "PENDING"
    } else if e.failures.is_empty() {
        "COMPLETE"
    } else {
        "FAILED"
    };
    let failed: usize = e
        .failures
        .iter()
        .map(|f| {
            f["errorInfo"]["serialNumbers"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    let done = if status == "PENDING" {
        0
    } else {
        e.requested.saturating_sub(failed)
    };
    let mut r = json!({
        "eventStatus": status, "eventType": e.kind, "numRequested": e.requested,
        "numCompleted": done, "uId": "4242", "tokenExpirationDate": "2030-11-08T22:33:22+0000"
    });
    if status == "FAILED" {
        r["failures"] = e.failures.clone().into();
    }
    if let Some(m) = mdm {
        r["mdmInfo"] = m;
    }
    Ok(r)
}
