//! The plain state machines the client is driven by, each with injectable time: the
//! service-configuration cache, the request-rate limit, page traversal and the event
//! waiter. None of them does any I/O.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorResponse};
use crate::ids::EventId;
use crate::types::{
    EventStatus, EventType, GetAssetsResponse, GetAssignmentsResponse, GetUsersResponse,
    ServiceConfig, StatusResponse,
};

/// How long a service configuration is used before it is read again: five minutes, as
/// Apple asks (its limits and URLs are dynamic).
pub const SERVICE_CONFIG_MAX_AGE: Duration = Duration::from_secs(300);

/// The cached `service/config`, and when to read it again.
///
/// ```
/// use std::time::{Duration, Instant};
/// use mdm_vpp::{ServiceConfig, ServiceConfigCache};
///
/// let start = Instant::now();
/// let mut cache = ServiceConfigCache::new();
/// assert!(cache.needs_refresh(start));
/// cache.store(ServiceConfig::with_base_url("https://vpp.example"), start);
/// assert!(!cache.needs_refresh(start + Duration::from_secs(299)));
/// assert!(cache.needs_refresh(start + Duration::from_secs(300)));
/// ```
#[derive(Debug, Clone)]
pub struct ServiceConfigCache {
    config: Option<ServiceConfig>,
    read_at: Option<Instant>,
    max_age: Duration,
}

impl Default for ServiceConfigCache {
    fn default() -> Self {
        Self::new()
    }
}

impl ServiceConfigCache {
    /// An empty cache with [`SERVICE_CONFIG_MAX_AGE`].
    pub fn new() -> Self {
        ServiceConfigCache {
            config: None,
            read_at: None,
            max_age: SERVICE_CONFIG_MAX_AGE,
        }
    }

    /// Uses `max_age` instead of five minutes.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Whether the configuration must be read (none yet, or older than the max age).
    pub fn needs_refresh(&self, now: Instant) -> bool {
        match self.read_at {
            None => true,
            Some(t) => now.saturating_duration_since(t) >= self.max_age,
        }
    }

    /// Stores a configuration read at `now`.
    pub fn store(&mut self, config: ServiceConfig, now: Instant) {
        self.config = Some(config);
        self.read_at = Some(now);
    }

    /// The configuration, fresh or stale (a stale one is still better than none when a
    /// refresh fails).
    pub fn get(&self) -> Option<&ServiceConfig> {
        self.config.as_ref()
    }

    /// Forgets the configuration so the next use reads it again.
    pub fn invalidate(&mut self) {
        self.read_at = None;
    }
}

/// Extra time added to the one-second window of [`RateLimiter`] (100 ms), so requests
/// that arrive bunched up by network jitter still stay under the limit at the server.
pub const RATE_WINDOW_MARGIN: Duration = Duration::from_millis(100);

/// The per-token request rate (`maxRequestPerSecond`): at most N requests start in any
/// window of one second (plus [`RATE_WINDOW_MARGIN`]).
///
/// ```
/// use std::time::{Duration, Instant};
/// use mdm_vpp::RateLimiter;
///
/// let t0 = Instant::now();
/// let mut rate = RateLimiter::new(2);
/// assert_eq!(rate.try_acquire(t0), Ok(()));
/// assert_eq!(rate.try_acquire(t0), Ok(()));
/// let wait = rate.try_acquire(t0).unwrap_err();
/// assert_eq!(wait, Duration::from_millis(1100));
/// assert_eq!(rate.try_acquire(t0 + wait), Ok(()));
/// ```
#[derive(Debug, Clone)]
pub struct RateLimiter {
    per_window: usize,
    window: Duration,
    started: VecDeque<Instant>,
}

impl RateLimiter {
    /// At most `per_second` requests per second (at least 1).
    pub fn new(per_second: u32) -> Self {
        RateLimiter {
            per_window: usize::try_from(per_second.max(1)).unwrap_or(usize::MAX),
            window: Duration::from_secs(1) + RATE_WINDOW_MARGIN,
            started: VecDeque::new(),
        }
    }

    /// Uses `window` instead of one second plus the margin.
    #[must_use]
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Changes the rate (after a service configuration refresh).
    pub fn set_rate(&mut self, per_second: u32) {
        self.per_window = usize::try_from(per_second.max(1)).unwrap_or(usize::MAX);
    }

    /// The rate in use.
    pub fn rate(&self) -> usize {
        self.per_window
    }

    /// Records a request starting at `now` if the rate allows it; otherwise says how long
    /// to wait before asking again (nothing is recorded then).
    ///
    /// # Errors
    /// The wait, when the window is full.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Duration> {
        while let Some(&t) = self.started.front() {
            if now.saturating_duration_since(t) >= self.window {
                self.started.pop_front();
            } else {
                break;
            }
        }
        if self.started.len() < self.per_window {
            self.started.push_back(now);
            return Ok(());
        }
        let oldest = self.started.front().copied().unwrap_or(now);
        Err((oldest + self.window).saturating_duration_since(now))
    }
}

/// A page of a paged endpoint (`GET assets`, `GET assignments`, `GET users`).
pub trait Page {
    /// What the page lists.
    type Item;
    /// The items of this page.
    fn items(&self) -> &[Self::Item];
    /// Takes the items out.
    fn into_items(self) -> Vec<Self::Item>;
    /// `currentPageIndex`.
    fn current_page_index(&self) -> u32;
    /// `nextPageIndex`, while more pages remain.
    fn next_page_index(&self) -> Option<u32>;
    /// `totalPages`.
    fn total_pages(&self) -> u32;
    /// `versionId`.
    fn version_id(&self) -> Option<&str>;
}

macro_rules! page {
    ($ty:ty, $item:ty, $field:ident) => {
        impl Page for $ty {
            type Item = $item;
            fn items(&self) -> &[$item] {
                &self.$field
            }
            fn into_items(self) -> Vec<$item> {
                self.$field
            }
            fn current_page_index(&self) -> u32 {
                self.current_page_index
            }
            fn next_page_index(&self) -> Option<u32> {
                self.next_page_index
            }
            fn total_pages(&self) -> u32 {
                self.total_pages
            }
            fn version_id(&self) -> Option<&str> {
                self.version_id.as_deref()
            }
        }
    };
}

page!(GetAssetsResponse, crate::ResponseAsset, assets);
page!(GetAssignmentsResponse, crate::Assignment, assignments);
page!(GetUsersResponse, crate::User, users);

/// Most requests Apple allows in parallel on one traversal.
pub const MAX_PARALLEL_PAGES: usize = 5;

/// Most pages one traversal reads before giving up (a guard against a server that keeps
/// announcing a next page).
pub const MAX_PAGES: u32 = 100_000;

/// A page-index traversal: which pages to ask for next, and the checks on each answer
/// (pages in sequence, `nextPageIndex` continuous, the same `versionId` as the first page).
///
/// ```
/// use mdm_vpp::{GetUsersResponse, Paging};
///
/// # fn main() -> Result<(), mdm_vpp::Error> {
/// let mut paging = Paging::new();
/// assert_eq!(paging.plan(5), [0]);
/// let first = GetUsersResponse::decode(br#"{"users":[],"currentPageIndex":0,"nextPageIndex":1,"totalPages":3,"versionId":"v1"}"#)?;
/// paging.accept(&first)?;
/// assert_eq!(paging.plan(5), [1, 2]);
/// let changed = GetUsersResponse::decode(br#"{"users":[],"currentPageIndex":1,"nextPageIndex":2,"totalPages":3,"versionId":"v2"}"#)?;
/// assert!(paging.accept(&changed).unwrap_err().is_version_changed());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Paging {
    next: u32,
    done: bool,
    accepted: u32,
    total_pages: u32,
    version_id: Option<String>,
}

impl Paging {
    /// A traversal starting at page 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The page indexes to request next, in order, at most `parallel` (capped at
    /// [`MAX_PARALLEL_PAGES`], at least 1): only page 0 before the first answer, then up to
    /// the last page the latest answer announced. Empty once the traversal is done.
    pub fn plan(&self, parallel: usize) -> Vec<u32> {
        if self.done {
            return Vec::new();
        }
        if self.accepted == 0 {
            return vec![self.next];
        }
        let parallel = u32::try_from(parallel.clamp(1, MAX_PARALLEL_PAGES)).unwrap_or(1);
        let end = self
            .total_pages
            .max(self.next + 1)
            .min(self.next + parallel);
        (self.next..end).collect()
    }

    /// Takes the next page in sequence; returns whether more pages follow.
    ///
    /// # Errors
    /// [`Error::PageOutOfOrder`] when it is not the page expected or its `nextPageIndex`
    /// skips; [`Error::VersionChanged`] (retryable: start again) when its `versionId`
    /// differs from the first page's; [`Error::Malformed`] past [`MAX_PAGES`].
    pub fn accept<P: Page>(&mut self, page: &P) -> Result<bool, Error> {
        if self.done {
            return Err(Error::malformed(
                "page",
                "a page arrived after the last one",
            ));
        }
        let current = page.current_page_index();
        if current != self.next {
            return Err(Error::PageOutOfOrder {
                expected: self.next,
                found: current,
            });
        }
        let version = page.version_id().map(str::to_owned);
        if self.accepted == 0 {
            self.version_id = version;
        } else if version != self.version_id {
            return Err(Error::VersionChanged {
                first: self.version_id.clone().unwrap_or_default(),
                now: version.unwrap_or_default(),
                page: current,
            });
        }
        self.accepted += 1;
        self.total_pages = page.total_pages();
        match page.next_page_index() {
            None => {
                self.done = true;
                Ok(false)
            }
            Some(n) if Some(n) == current.checked_add(1) => {
                if self.accepted >= MAX_PAGES {
                    return Err(Error::malformed(
                        "page",
                        format!("more than {MAX_PAGES} pages"),
                    ));
                }
                self.next = n;
                Ok(true)
            }
            Some(n) => Err(Error::PageOutOfOrder {
                expected: current.saturating_add(1),
                found: n,
            }),
        }
    }

    /// Whether the last page has been taken.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The `versionId` of the first page: pass it as `sinceVersionId` for the next
    /// incremental sync.
    pub fn version_id(&self) -> Option<&str> {
        self.version_id.as_deref()
    }

    /// Pages taken so far.
    pub fn pages(&self) -> u32 {
        self.accepted
    }
}

/// When to look at an event's status: Apple asks to wait for notifications first (5
/// minutes), then to poll no faster than every 30 s, and to send the request again when it
/// is still pending after 10 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitPolicy {
    /// Delay before the first status poll; 5 minutes by default (when notifications are
    /// received, they usually settle the event first).
    pub first_poll: Duration,
    /// Delay between polls while pending; 30 s by default (Apple's minimum).
    pub interval: Duration,
    /// Give up when still pending this long after the request; 10 minutes by default.
    pub give_up: Duration,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        WaitPolicy {
            first_poll: Duration::from_secs(300),
            interval: Duration::from_secs(30),
            give_up: Duration::from_secs(600),
        }
    }
}

impl WaitPolicy {
    /// Polls right away and then every `interval` (for a caller without a notification
    /// receiver), giving up after the default 10 minutes.
    pub fn polling(interval: Duration) -> Self {
        WaitPolicy {
            first_poll: Duration::ZERO,
            interval,
            ..WaitPolicy::default()
        }
    }

    /// Sets the delay before the first poll (default 5 minutes).
    #[must_use]
    pub fn with_first_poll(mut self, d: Duration) -> Self {
        self.first_poll = d;
        self
    }

    /// Sets the delay between polls (default 30 s).
    #[must_use]
    pub fn with_interval(mut self, d: Duration) -> Self {
        self.interval = d;
        self
    }

    /// Sets when to give up (default 10 minutes).
    #[must_use]
    pub fn with_give_up(mut self, d: Duration) -> Self {
        self.give_up = d;
        self
    }
}

/// How an event ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EventOutcome {
    /// The event.
    pub event_id: EventId,
    /// `COMPLETE` or `FAILED`.
    pub status: EventStatus,
    /// What it did.
    pub event_type: Option<EventType>,
    /// Items requested.
    pub num_requested: i64,
    /// Items done.
    pub num_completed: i64,
    /// Per-item failures.
    pub failures: Vec<ErrorResponse>,
}

impl EventOutcome {
    /// Whether every item succeeded.
    pub fn is_success(&self) -> bool {
        self.status == EventStatus::Complete && self.failures.is_empty()
    }
}

/// What an [`EventWaiter`] wants next.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum WaitStep {
    /// Poll `status` again at this instant.
    PollAt(Instant),
    /// The event ended.
    Done(EventOutcome),
}

/// Follows one event by polling `status` on a [`WaitPolicy`] schedule.
///
/// ```
/// use std::time::{Duration, Instant};
/// use mdm_vpp::{EventId, EventWaiter, StatusResponse, WaitPolicy, WaitStep};
///
/// # fn main() -> Result<(), mdm_vpp::Error> {
/// let t0 = Instant::now();
/// let mut waiter = EventWaiter::new(EventId::new("e1")?, t0, WaitPolicy::default());
/// assert_eq!(waiter.next_poll(), t0 + Duration::from_secs(300));
/// let pending = StatusResponse::decode(br#"{"eventStatus":"PENDING"}"#)?;
/// let at = t0 + Duration::from_secs(300);
/// assert_eq!(waiter.on_status(at, pending)?, WaitStep::PollAt(at + Duration::from_secs(30)));
/// let done = StatusResponse::decode(br#"{"eventStatus":"COMPLETE","numRequested":2,"numCompleted":2}"#)?;
/// let WaitStep::Done(outcome) = waiter.on_status(at + Duration::from_secs(30), done)? else { unreachable!() };
/// assert!(outcome.is_success());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct EventWaiter {
    event_id: EventId,
    started: Instant,
    policy: WaitPolicy,
    next_poll: Instant,
    polls: u32,
}

impl EventWaiter {
    /// Follows `event_id`, whose request was answered at `started`.
    pub fn new(event_id: EventId, started: Instant, policy: WaitPolicy) -> Self {
        EventWaiter {
            next_poll: started + policy.first_poll,
            event_id,
            started,
            policy,
            polls: 0,
        }
    }

    /// The event.
    pub fn event_id(&self) -> &EventId {
        &self.event_id
    }

    /// When to poll next.
    pub fn next_poll(&self) -> Instant {
        self.next_poll
    }

    /// Polls made so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// Takes a status read at `now`.
    ///
    /// # Errors
    /// [`Error::EventPending`] (retryable: send the request again) when the event is still
    /// pending at the give-up time or the next poll would fall after it.
    pub fn on_status(&mut self, now: Instant, status: StatusResponse) -> Result<WaitStep, Error> {
        self.polls = self.polls.saturating_add(1);
        if status.event_status == EventStatus::Pending || !status.event_status.is_known() {
            let waited = now.saturating_duration_since(self.started);
            let next = now + self.policy.interval;
            if waited >= self.policy.give_up
                || next.saturating_duration_since(self.started) > self.policy.give_up
            {
                return Err(Error::EventPending {
                    event_id: self.event_id.clone(),
                    waited,
                });
            }
            self.next_poll = next;
            return Ok(WaitStep::PollAt(next));
        }
        Ok(WaitStep::Done(EventOutcome {
            event_id: self.event_id.clone(),
            status: status.event_status,
            event_type: status.event_type,
            num_requested: status.num_requested,
            num_completed: status.num_completed,
            failures: status.failures,
        }))
    }
}

/// The outcomes of every event of a bulk job (one per chunk), merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkOutcome {
    /// Each event's outcome, in request order.
    pub events: Vec<EventOutcome>,
}

impl BulkOutcome {
    /// Whether every item of every event succeeded.
    pub fn is_success(&self) -> bool {
        self.events.iter().all(EventOutcome::is_success)
    }

    /// Every per-item failure of every event.
    pub fn failures(&self) -> Vec<&ErrorResponse> {
        self.events.iter().flat_map(|e| e.failures.iter()).collect()
    }

    /// The serial numbers named by any failure.
    pub fn failed_serial_numbers(&self) -> Vec<&str> {
        self.failures()
            .into_iter()
            .filter_map(|f| f.error_info.as_ref())
            .flat_map(|i| i.serial_numbers.iter().map(String::as_str))
            .collect()
    }

    /// The user ids named by any failure.
    pub fn failed_client_user_ids(&self) -> Vec<&str> {
        self.failures()
            .into_iter()
            .filter_map(|f| f.error_info.as_ref())
            .flat_map(|i| i.client_user_ids.iter().map(String::as_str))
            .collect()
    }

    /// Items requested over all events.
    pub fn num_requested(&self) -> i64 {
        self.events.iter().map(|e| e.num_requested).sum()
    }

    /// Items done over all events.
    pub fn num_completed(&self) -> i64 {
        self.events.iter().map(|e| e.num_completed).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(cur: u32, next: Option<u32>, total: u32, v: &str) -> GetAssignmentsResponse {
        let mut j = serde_json::json!({"assignments": [], "currentPageIndex": cur, "totalPages": total, "versionId": v});
        if let Some(n) = next {
            j["nextPageIndex"] = n.into();
        }
        serde_json::from_value(j).unwrap()
    }

    #[test]
    fn paging_in_order() {
        let mut p = Paging::new();
        assert_eq!(p.plan(5), [0]);
        assert!(p.accept(&page(0, Some(1), 12, "v")).unwrap());
        assert_eq!(p.plan(5), [1, 2, 3, 4, 5]);
        assert_eq!(p.plan(99), [1, 2, 3, 4, 5]);
        assert_eq!(p.plan(0), [1]);
        for i in 1..11 {
            assert!(p.accept(&page(i, Some(i + 1), 12, "v")).unwrap());
        }
        assert_eq!(p.plan(5), [11]);
        assert!(!p.accept(&page(11, None, 12, "v")).unwrap());
        assert!(p.is_done() && p.plan(5).is_empty());
        assert_eq!(p.version_id(), Some("v"));
        assert_eq!(p.pages(), 12);
        assert!(p.accept(&page(12, None, 12, "v")).is_err());
    }

    #[test]
    fn paging_faults() {
        let mut p = Paging::new();
        assert!(matches!(
            p.accept(&page(1, Some(2), 3, "v")),
            Err(Error::PageOutOfOrder {
                expected: 0,
                found: 1
            })
        ));
        p.accept(&page(0, Some(1), 3, "v")).unwrap();
        assert!(matches!(
            p.accept(&page(1, Some(3), 3, "v")),
            Err(Error::PageOutOfOrder {
                expected: 2,
                found: 3
            })
        ));
        let e = p.accept(&page(1, Some(2), 3, "w")).unwrap_err();
        assert!(e.is_version_changed() && e.is_retryable());
        // totalPages grows mid-way: the plan follows the latest answer.
        p.accept(&page(1, Some(2), 8, "v")).unwrap();
        assert_eq!(p.plan(5), [2, 3, 4, 5, 6]);
    }

    #[test]
    fn rate_limit_window() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(15).with_window(Duration::from_secs(1));
        for _ in 0..15 {
            r.try_acquire(t0).unwrap();
        }
        assert_eq!(
            r.try_acquire(t0 + Duration::from_millis(400)),
            Err(Duration::from_millis(600))
        );
        r.try_acquire(t0 + Duration::from_secs(1)).unwrap();
        r.set_rate(0);
        assert_eq!(r.rate(), 1);
    }

    #[test]
    fn waiter_gives_up() {
        let t0 = Instant::now();
        let policy = WaitPolicy::polling(Duration::from_secs(30));
        let mut w = EventWaiter::new(EventId::new("e").unwrap(), t0, policy);
        assert_eq!(w.next_poll(), t0);
        let pending: StatusResponse = serde_json::from_str(r#"{"eventStatus":"PENDING"}"#).unwrap();
        let mut now = t0;
        let err = loop {
            match w.on_status(now, pending.clone()) {
                Ok(WaitStep::PollAt(at)) => {
                    assert!(at.duration_since(now) >= Duration::from_secs(30));
                    now = at;
                }
                Ok(WaitStep::Done(_)) => panic!("pending is not done"),
                Err(e) => break e,
            }
        };
        assert!(matches!(err, Error::EventPending { .. }) && err.is_retryable());
        assert!(now.duration_since(t0) <= Duration::from_secs(600));
        assert_eq!(w.polls(), 21); // at 0 s, 30 s, ..., 600 s
    }

    #[test]
    fn bulk_merges_failures() {
        let status: StatusResponse = serde_json::from_str(
            r#"{"eventStatus":"FAILED","eventType":"ASSOCIATE","numRequested":3,"numCompleted":1,
                "failures":[{"errorNumber":9709,"errorMessage":"no licences","errorInfo":{"serialNumbers":["A","B"]}}]}"#,
        )
        .unwrap();
        let mut w = EventWaiter::new(
            EventId::new("e").unwrap(),
            Instant::now(),
            WaitPolicy::default(),
        );
        let WaitStep::Done(o) = w.on_status(Instant::now(), status).unwrap() else {
            panic!()
        };
        let ok = EventOutcome {
            status: EventStatus::Complete,
            failures: vec![],
            num_requested: 2,
            num_completed: 2,
            ..o.clone()
        };
        let bulk = BulkOutcome {
            events: vec![ok, o],
        };
        assert!(!bulk.is_success());
        assert_eq!(bulk.failed_serial_numbers(), ["A", "B"]);
        assert_eq!(bulk.num_requested(), 5);
        assert_eq!(bulk.num_completed(), 3);
    }
}
