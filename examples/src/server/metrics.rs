//! What the server counts, served at `GET /metrics` in the Prometheus text format, and the
//! one warn line every refused request gets.
//!
//! Every label takes its value from a fixed list ([`Refusal`], the known check-in message
//! types, the command statuses, [`Route`]), never from request text, so a client cannot
//! grow the number of series. Each server has its own [`Registry`]: two servers in one
//! process (the tests) do not share counts.
//!
//! | metric | labels |
//! | --- | --- |
//! | `mdm_checkins_total` | `message_type`: accepted check-ins |
//! | `mdm_command_reports_total` | `status`: answers on the command endpoint (`Idle` included) |
//! | `mdm_commands_queued_total` | commands queued through the API, one per device |
//! | `mdm_refusals_total` | `reason`: see [`Refusal`] |
//! | `mdm_pushes_total` | `result`: `sent`, `failed` (APNs or the network), `invalid` (stored token or topic unusable) |
//! | `mdm_request_duration_seconds` | `route`: see [`Route`]; a histogram |

use std::fmt::Display;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tracing::warn;

/// The check-in message types counted by name; any other is counted as `other`.
pub const MESSAGE_TYPES: [&str; 10] = [
    "Authenticate",
    "TokenUpdate",
    "CheckOut",
    "UserAuthenticate",
    "SetBootstrapToken",
    "GetBootstrapToken",
    "DeclarativeManagement",
    "GetToken",
    "ReturnToService",
    "other",
];

/// The command statuses counted by name; any other is counted as `other`.
pub const COMMAND_STATUSES: [&str; 6] = [
    "Acknowledged",
    "Error",
    "CommandFormatError",
    "NotNow",
    "Idle",
    "other",
];

/// Push results.
pub const PUSH_RESULTS: [&str; 3] = ["sent", "failed", "invalid"];

/// Lower bound of the first latency bucket, in seconds (0.25 ms); each next bucket doubles,
/// [`LATENCY_BUCKETS`] of them, so the last bound is about 8 s.
pub const LATENCY_START_SECS: f64 = 0.000_25;

/// Number of latency buckets.
pub const LATENCY_BUCKETS: u16 = 16;

/// Why a request was refused: the `reason` label of `mdm_refusals_total` and of the warn
/// line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The body is not a message of the endpoint's kind (not a plist, wrong keys, an
    /// unknown `MessageType`, no enrollment keys).
    Malformed,
    /// No usable device identity: `Mdm-Signature` missing, not verifying, or made with a
    /// certificate this CA did not issue.
    Signature,
    /// The request is signed by a certificate other than the one bound to the enrollment,
    /// or by one already bound to another enrollment.
    IdentityMismatch,
    /// The enrollment is not known: the device never sent `Authenticate` here.
    UnknownEnrollment,
    /// The body is over the route's limit (413).
    BodyTooLarge,
    /// A SCEP request whose content cipher the responder refuses (badAlg): single DES
    /// unless `scep_allow_des` is set.
    ScepAlgorithm,
    /// A SCEP request refused for another reason (challenge, signature, CSR).
    ScepRequest,
    /// A JSON API call without the right key.
    ApiKey,
}

impl Refusal {
    /// Every reason, in the order `/metrics` lists them.
    pub const ALL: [Refusal; 8] = [
        Refusal::Malformed,
        Refusal::Signature,
        Refusal::IdentityMismatch,
        Refusal::UnknownEnrollment,
        Refusal::BodyTooLarge,
        Refusal::ScepAlgorithm,
        Refusal::ScepRequest,
        Refusal::ApiKey,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::Signature => "signature",
            Refusal::IdentityMismatch => "identity_mismatch",
            Refusal::UnknownEnrollment => "unknown_enrollment",
            Refusal::BodyTooLarge => "body_too_large",
            Refusal::ScepAlgorithm => "scep_algorithm",
            Refusal::ScepRequest => "scep_request",
            Refusal::ApiKey => "api_key",
        }
    }
}

/// The route a request went to: the `route` label of the latency histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `PUT /mdm/checkin`.
    Checkin,
    /// `PUT /mdm/connect`.
    Connect,
    /// `/scep`.
    Scep,
    /// `GET /mdm/enroll` and `GET /mdm/ca`.
    Enroll,
    /// `/api/v1/...`.
    Api,
    /// `/metrics` and `/healthz`.
    Ops,
    /// Anything else (404s).
    Other,
}

impl Route {
    /// Every route.
    pub const ALL: [Route; 7] = [
        Route::Checkin,
        Route::Connect,
        Route::Scep,
        Route::Enroll,
        Route::Api,
        Route::Ops,
        Route::Other,
    ];

    /// The route of a request path.
    pub fn of(path: &str) -> Route {
        match path {
            "/mdm/checkin" => Route::Checkin,
            "/mdm/connect" => Route::Connect,
            "/scep" => Route::Scep,
            "/mdm/enroll" | "/mdm/ca" => Route::Enroll,
            "/metrics" | "/healthz" => Route::Ops,
            p if p.starts_with("/api/") => Route::Api,
            _ => Route::Other,
        }
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Checkin => "checkin",
            Route::Connect => "connect",
            Route::Scep => "scep",
            Route::Enroll => "enroll",
            Route::Api => "api",
            Route::Ops => "ops",
            Route::Other => "other",
        }
    }
}

type Label = [(&'static str, &'static str); 1];

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(
        LATENCY_START_SECS,
        2.0,
        LATENCY_BUCKETS,
    ))
}

/// The server's counters and its registry.
pub struct Metrics {
    registry: Registry,
    checkins: Family<Label, Counter>,
    reports: Family<Label, Counter>,
    queued: Counter,
    refusals: Family<Label, Counter>,
    pushes: Family<Label, Counter>,
    latency: Family<Label, Histogram, fn() -> Histogram>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// `value` if it is in `known`, else the list's last entry (`other`).
fn known(known: &'static [&'static str], value: &str) -> &'static str {
    known
        .iter()
        .copied()
        .find(|k| *k == value)
        .or_else(|| known.last().copied())
        .unwrap_or("other")
}

impl Metrics {
    /// A registry with every series present at zero, so a scrape sees each one from the
    /// start.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let checkins = Family::<Label, Counter>::default();
        let reports = Family::<Label, Counter>::default();
        let queued = Counter::default();
        let refusals = Family::<Label, Counter>::default();
        let pushes = Family::<Label, Counter>::default();
        let latency = Family::<Label, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        for t in MESSAGE_TYPES {
            let _ = checkins.get_or_create(&[("message_type", t)]);
        }
        for s in COMMAND_STATUSES {
            let _ = reports.get_or_create(&[("status", s)]);
        }
        for r in Refusal::ALL {
            let _ = refusals.get_or_create(&[("reason", r.as_str())]);
        }
        for r in PUSH_RESULTS {
            let _ = pushes.get_or_create(&[("result", r)]);
        }
        for r in Route::ALL {
            let _ = latency.get_or_create(&[("route", r.as_str())]);
        }
        registry.register(
            "mdm_checkins",
            "Check-in messages accepted, by MessageType",
            checkins.clone(),
        );
        registry.register(
            "mdm_command_reports",
            "Answers on the command endpoint, by Status",
            reports.clone(),
        );
        registry.register(
            "mdm_commands_queued",
            "Commands queued through the API (one per device)",
            queued.clone(),
        );
        registry.register(
            "mdm_refusals",
            "Requests refused, by reason",
            refusals.clone(),
        );
        registry.register("mdm_pushes", "Pushes, by result", pushes.clone());
        registry.register(
            "mdm_request_duration_seconds",
            "Time from request head to answer, by route",
            latency.clone(),
        );
        Metrics {
            registry,
            checkins,
            reports,
            queued,
            refusals,
            pushes,
            latency,
        }
    }

    /// Counts an accepted check-in.
    pub fn checkin(&self, message_type: &str) {
        self.checkins
            .get_or_create(&[("message_type", known(&MESSAGE_TYPES, message_type))])
            .inc();
    }

    /// Counts an answer on the command endpoint.
    pub fn report(&self, status: &str) {
        self.reports
            .get_or_create(&[("status", known(&COMMAND_STATUSES, status))])
            .inc();
    }

    /// Counts commands queued.
    pub fn queued(&self, n: usize) {
        self.queued.inc_by(u64::try_from(n).unwrap_or(u64::MAX));
    }

    /// Counts a push by its result: `"sent"`, `"failed"` or `"invalid"`.
    pub fn push(&self, result: &str) {
        self.pushes
            .get_or_create(&[("result", known(&PUSH_RESULTS, result))])
            .inc();
    }

    /// Records how long a request to `route` took.
    pub fn observe(&self, route: Route, seconds: f64) {
        self.latency
            .get_or_create(&[("route", route.as_str())])
            .observe(seconds);
    }

    /// Counts a refused request and writes its one warn line: the reason, the enrollment
    /// when known, and what exactly was wrong.
    pub fn refused(&self, reason: Refusal, enrollment: Option<&str>, detail: &dyn Display) {
        self.refusals
            .get_or_create(&[("reason", reason.as_str())])
            .inc();
        match enrollment {
            Some(id) => {
                warn!(reason = reason.as_str(), enrollment = id, detail = %detail, "request refused")
            }
            None => warn!(reason = reason.as_str(), detail = %detail, "request refused"),
        }
    }

    /// How many requests were refused for `reason` so far.
    pub fn refusals(&self, reason: Refusal) -> u64 {
        self.refusals
            .get_or_create(&[("reason", reason.as_str())])
            .get()
    }

    /// The registry in the Prometheus text format (version 0.0.4 content type
    /// [`TEXT_CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Content type of [`Metrics::encode`]'s output.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_there_from_the_start_and_labels_stay_in_their_lists() {
        let m = Metrics::new();
        m.checkin("TokenUpdate");
        m.checkin("SomethingNew");
        m.report("NotNow");
        m.refused(Refusal::Signature, Some("ABC"), &"no Mdm-Signature header");
        m.push("sent");
        m.observe(Route::of("/api/v1/devices"), 0.002);
        let text = m.encode();
        assert!(text.contains("mdm_checkins_total{message_type=\"TokenUpdate\"} 1"));
        assert!(text.contains("mdm_checkins_total{message_type=\"other\"} 1"));
        assert!(!text.contains("SomethingNew"));
        assert!(text.contains("mdm_checkins_total{message_type=\"CheckOut\"} 0"));
        assert!(text.contains("mdm_command_reports_total{status=\"NotNow\"} 1"));
        assert!(text.contains("mdm_refusals_total{reason=\"signature\"} 1"));
        assert!(text.contains("mdm_refusals_total{reason=\"body_too_large\"} 0"));
        assert!(text.contains("mdm_pushes_total{result=\"sent\"} 1"));
        assert!(text.contains("mdm_request_duration_seconds_count{route=\"api\"} 1"));
        assert_eq!(m.refusals(Refusal::Signature), 1);
    }
}
