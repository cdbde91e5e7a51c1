//! The async client (feature `client`): reqwest on tokio, driving the sans-IO core.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::ids::EventId;
use crate::request::{Api, AssetsQuery, AssignmentsQuery, Clock, DEFAULT_BASE_URL, UsersQuery};
use crate::response::{ApiResponse, MAX_BODY_BYTES};
use crate::state::{
    BulkOutcome, EventOutcome, EventWaiter, MAX_PARALLEL_PAGES, Page, Paging, RateLimiter,
    ServiceConfigCache, WaitPolicy, WaitStep,
};
use crate::token::ContentToken;
use crate::types::{
    ClientConfigRequest, ClientConfigResponse, EventResponse, GetAssetsResponse,
    GetAssignmentsResponse, GetUsersResponse, ManageAssetsRequest, ManageUsersRequest, MdmInfo,
    RevokeAssetsRequest, ServiceConfig, StatusResponse,
};

/// How failed requests are tried again: exponential backoff, `Retry-After` honoured.
///
/// Only answers that say to retry (9646, HTTP 429, 5xx, 9729) are retried; for reads also
/// timeouts and broken connections. A POST that timed out is not sent again (the service
/// may have taken it); its error is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt; 3 by default (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry; 5 s by default.
    pub base_delay: Duration,
    /// Factor by which each further delay grows; 3 by default.
    pub multiplier: u32,
    /// Upper bound of any delay, `Retry-After` included; 2 minutes by default.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_secs(5),
            multiplier: 3,
            max_delay: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn never() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of retries (default 3).
    #[must_use]
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Sets the first delay (default 5 s).
    #[must_use]
    pub fn with_base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// Sets the longest delay (default 2 minutes).
    #[must_use]
    pub fn with_max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// The delay before retry number `retry` (0 for the first): `Retry-After` when the
    /// service sent one, else `base_delay * multiplier^retry`; never over `max_delay`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_delay);
        }
        let factor = self
            .multiplier
            .max(1)
            .checked_pow(retry.min(20))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Settings of a [`Client`]; each setter names its default.
pub struct ClientBuilder {
    token: ContentToken,
    base_url: String,
    mdm_info: Option<MdmInfo>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    parallel_pages: usize,
    clock: Option<Clock>,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Where `service/config` is read (default [`DEFAULT_BASE_URL`]); every other URL
    /// comes from it.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Checks every answer's `mdmInfo` against `info` (default: no check).
    #[must_use]
    pub fn mdm_info(mut self, info: MdmInfo) -> Self {
        self.mdm_info = Some(info);
        self
    }

    /// Gives up on one request after this long (default 60 s).
    #[must_use]
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Gives up connecting after this long (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// How failures are retried (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Page requests in flight at once during a traversal (default and most: 5).
    #[must_use]
    pub fn parallel_pages(mut self, n: usize) -> Self {
        self.parallel_pages = n.clamp(1, MAX_PARALLEL_PAGES);
        self
    }

    /// The clock for the token's expiry check (default the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Shares a caller's reqwest client (default: one made with the timeouts above).
    #[must_use]
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Makes the client; nothing is sent until the first call.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL is not http(s) or the HTTP client cannot be
    /// built.
    pub fn build(self) -> Result<Client, Error> {
        let base = self.base_url.trim_end_matches('/').to_owned();
        Api::service_config_request(&base).map_err(|e| Error::Config(e.to_string()))?;
        let http = match self.http {
            Some(h) => h,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("mdm-vpp/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::Config(format!("cannot build the http client: {e}")))?,
        };
        Ok(Client {
            http,
            inner: Arc::new(Inner {
                base_url: base,
                token: self.token,
                mdm_info: self.mdm_info,
                clock: self.clock,
                retry: self.retry,
                parallel_pages: self.parallel_pages,
                cache: Mutex::new(ServiceConfigCache::new()),
                rate: Mutex::new(RateLimiter::new(15)),
                stats: Mutex::new(Stats::default()),
            }),
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token)
            .field("base_url", &self.base_url)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Counters of what a [`Client`] sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Retries among them.
    pub retries: u64,
    /// Times a request waited for the rate limit.
    pub rate_waits: u64,
}

struct Inner {
    base_url: String,
    token: ContentToken,
    mdm_info: Option<MdmInfo>,
    clock: Option<Clock>,
    retry: RetryPolicy,
    parallel_pages: usize,
    cache: Mutex<ServiceConfigCache>,
    rate: Mutex<RateLimiter>,
    stats: Mutex<Stats>,
}

/// The async Apps and Books client. Cheap to clone; clones share the configuration
/// cache, the rate limit and the connection pool.
///
/// Before every request it checks the token's expiry, reads `service/config` when the
/// cached one is older than five minutes (its URLs and limits are then used), and waits
/// for the per-token rate limit.
///
/// ```no_run
/// # async fn demo() -> Result<(), mdm_vpp::Error> {
/// use mdm_vpp::{AssignmentsQuery, Client, ContentToken};
///
/// let token = ContentToken::decode(&std::fs::read("org.vpptoken").unwrap_or_default())?;
/// let client = Client::builder(token).build()?;
/// let mut pages = client.assignments(&AssignmentsQuery::default());
/// while let Some(page) = pages.next_page().await {
///     for a in page?.assignments {
///         println!("{} -> {:?}", a.adam_id, a.serial_number);
///     }
/// }
/// println!("next sync: sinceVersionId={:?}", pages.version_id());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("token", &self.inner.token)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Settings for a client of the location of `token`, at their defaults.
    pub fn builder(token: ContentToken) -> ClientBuilder {
        ClientBuilder {
            token,
            base_url: DEFAULT_BASE_URL.to_owned(),
            mdm_info: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            parallel_pages: MAX_PARALLEL_PAGES,
            clock: None,
            http: None,
        }
    }

    /// The content token.
    pub fn token(&self) -> &ContentToken {
        &self.inner.token
    }

    /// What the client sent so far.
    pub fn stats(&self) -> Stats {
        self.inner.stats.lock().map(|s| *s).unwrap_or_default()
    }

    /// The service configuration, read again when the cached one is five minutes old
    /// (a stale one is used when that read fails).
    ///
    /// # Errors
    /// The read's error when there is no configuration at all.
    pub async fn service_config(&self) -> Result<ServiceConfig, Error> {
        let now = Instant::now();
        let cached = {
            let cache = self.inner.cache.lock().map_err(|_| poisoned())?;
            if !cache.needs_refresh(now) {
                return cache.get().cloned().ok_or_else(poisoned);
            }
            cache.get().cloned()
        };
        match self.read_service_config().await {
            Ok(config) => {
                if let Ok(mut rate) = self.inner.rate.lock() {
                    rate.set_rate(config.limits.max_request_per_second);
                }
                if let Ok(mut cache) = self.inner.cache.lock() {
                    cache.store(config.clone(), Instant::now());
                }
                Ok(config)
            }
            Err(e) => cached.ok_or(e),
        }
    }

    async fn read_service_config(&self) -> Result<ServiceConfig, Error> {
        let api = self.api_with(ServiceConfig::default());
        self.retrying(true, || async {
            let request =
                Api::service_config_request(&self.inner.base_url).map_err(Failure::Final)?;
            self.attempt(&api, request)
                .await
                .map_err(Failure::Retryable)
        })
        .await
    }

    /// The sans-IO core with the current configuration.
    ///
    /// # Errors
    /// As [`Client::service_config`].
    pub async fn api(&self) -> Result<Api, Error> {
        let config = self.service_config().await?;
        Ok(self.api_with(config))
    }

    fn api_with(&self, config: ServiceConfig) -> Api {
        let mut api = Api::new(self.inner.token.clone(), config);
        if let Some(info) = &self.inner.mdm_info {
            api = api.with_mdm_info(info.clone());
        }
        if let Some(clock) = &self.inner.clock {
            api = api.with_clock(clock.clone());
        }
        api
    }

    /// `GET client/config`.
    ///
    /// # Errors
    /// Any [`Error`] of the request or the answer; [`Error::MdmConflict`].
    pub async fn client_config(&self) -> Result<ClientConfigResponse, Error> {
        self.send(Api::client_config_request, true).await
    }

    /// `POST client/config` (checked against the live limits first).
    ///
    /// # Errors
    /// As [`Api::update_client_config_request`], and any error of the answer.
    pub async fn update_client_config(
        &self,
        body: &ClientConfigRequest,
    ) -> Result<ClientConfigResponse, Error> {
        let body = body.clone();
        self.send(move |api| api.update_client_config_request(&body), false)
            .await
    }

    /// Pages of `GET assets`.
    pub fn assets(&self, query: &AssetsQuery) -> Pages<GetAssetsResponse> {
        let query = query.clone();
        Pages::new(
            self.clone(),
            Arc::new(move |api: &Api, i| api.get_assets_request(&query, i)),
        )
    }

    /// Pages of `GET assignments` (pass a previous traversal's first `versionId` as
    /// `since_version_id` for an incremental sync).
    pub fn assignments(&self, query: &AssignmentsQuery) -> Pages<GetAssignmentsResponse> {
        let query = query.clone();
        Pages::new(
            self.clone(),
            Arc::new(move |api: &Api, i| api.get_assignments_request(&query, i)),
        )
    }

    /// Pages of `GET users`.
    pub fn users(&self, query: &UsersQuery) -> Pages<GetUsersResponse> {
        let query = query.clone();
        Pages::new(
            self.clone(),
            Arc::new(move |api: &Api, i| api.get_users_request(&query, i)),
        )
    }

    /// `POST assets/associate`, split by the live limits (duplicates removed); the events
    /// of every chunk, in order.
    ///
    /// # Errors
    /// [`Error::PartiallySubmitted`] when a chunk fails after others were accepted (their
    /// events are in it); the chunk's error when the first one fails.
    pub async fn associate(&self, job: &ManageAssetsRequest) -> Result<Vec<EventId>, Error> {
        let chunks = job.chunks(&self.service_config().await?.limits)?;
        self.submit(chunks, |api, c| api.associate_request(c)).await
    }

    /// `POST assets/disassociate`, split as [`Client::associate`].
    ///
    /// # Errors
    /// As [`Client::associate`].
    pub async fn disassociate(&self, job: &ManageAssetsRequest) -> Result<Vec<EventId>, Error> {
        let chunks = job.chunks(&self.service_config().await?.limits)?;
        self.submit(chunks, |api, c| api.disassociate_request(c))
            .await
    }

    /// `POST assets/revoke`, split by the revoke limits.
    ///
    /// # Errors
    /// As [`Client::associate`].
    pub async fn revoke(&self, job: &RevokeAssetsRequest) -> Result<Vec<EventId>, Error> {
        let chunks = job.chunks(&self.service_config().await?.limits)?;
        self.submit(chunks, |api, c| api.revoke_request(c)).await
    }

    /// `POST users/create`, split by `maxUsers`.
    ///
    /// # Errors
    /// As [`Client::associate`].
    pub async fn create_users(&self, job: &ManageUsersRequest) -> Result<Vec<EventId>, Error> {
        let chunks = job.chunks(&self.service_config().await?.limits)?;
        self.submit(chunks, |api, c| api.create_users_request(c))
            .await
    }

    /// `POST users/update`, split by `maxUsers`.
    ///
    /// # Errors
    /// As [`Client::associate`].
    pub async fn update_users(&self, job: &ManageUsersRequest) -> Result<Vec<EventId>, Error> {
        let chunks = job.chunks(&self.service_config().await?.limits)?;
        self.submit(chunks, |api, c| api.update_users_request(c))
            .await
    }

    /// `POST users/retire`, split by `maxUsers`.
    ///
    /// # Errors
    /// As [`Client::associate`].
    pub async fn retire_users(&self, job: &ManageUsersRequest) -> Result<Vec<EventId>, Error> {
        let chunks = job.chunks(&self.service_config().await?.limits)?;
        self.submit(chunks, |api, c| api.retire_users_request(c))
            .await
    }

    /// `GET status` of one event.
    ///
    /// # Errors
    /// Any [`Error`] of the request or the answer (9708 for an unknown event).
    pub async fn status(&self, event_id: &EventId) -> Result<StatusResponse, Error> {
        let id = event_id.clone();
        self.send(move |api| api.status_request(&id), true).await
    }

    /// Follows one event to its end on `policy`'s schedule.
    ///
    /// # Errors
    /// [`Error::EventPending`] when it is still pending at the give-up time; any error of
    /// a status read.
    pub async fn wait_event(
        &self,
        event_id: &EventId,
        policy: WaitPolicy,
    ) -> Result<EventOutcome, Error> {
        self.wait_since(event_id, Instant::now(), policy).await
    }

    /// Follows every event of a bulk job (the schedule of each starts now) and merges the
    /// outcomes.
    ///
    /// # Errors
    /// As [`Client::wait_event`], for the first event that fails so.
    pub async fn wait_events(
        &self,
        event_ids: &[EventId],
        policy: WaitPolicy,
    ) -> Result<BulkOutcome, Error> {
        let started = Instant::now();
        let mut out = BulkOutcome::default();
        for id in event_ids {
            out.events.push(self.wait_since(id, started, policy).await?);
        }
        Ok(out)
    }

    async fn wait_since(
        &self,
        event_id: &EventId,
        started: Instant,
        policy: WaitPolicy,
    ) -> Result<EventOutcome, Error> {
        let mut waiter = EventWaiter::new(event_id.clone(), started, policy);
        loop {
            let wait = waiter.next_poll().saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let status = self.status(event_id).await?;
            match waiter.on_status(Instant::now(), status)? {
                WaitStep::Done(outcome) => return Ok(outcome),
                WaitStep::PollAt(_) => {}
            }
        }
    }

    async fn submit<C>(
        &self,
        chunks: Vec<C>,
        build: fn(&Api, &C) -> RequestResult,
    ) -> Result<Vec<EventId>, Error>
    where
        C: Clone + Send + Sync + 'static,
    {
        let mut events = Vec::with_capacity(chunks.len());
        let total = chunks.len();
        for chunk in chunks {
            let sent: Result<EventResponse, Error> =
                self.send(move |api| build(api, &chunk), false).await;
            match sent {
                Ok(r) => events.push(r.event_id),
                Err(e) if events.is_empty() => return Err(e),
                Err(e) => {
                    let unsent = total - events.len();
                    return Err(Error::PartiallySubmitted {
                        events,
                        unsent,
                        cause: Box::new(e),
                    });
                }
            }
        }
        Ok(events)
    }

    /// Sends one request built by `build` (again for each retry, so the configuration and
    /// the token check are current), reading the answer as `T`.
    async fn send<T, F>(&self, build: F, idempotent: bool) -> Result<T, Error>
    where
        T: ApiResponse,
        F: Fn(&Api) -> Result<http::Request<Vec<u8>>, Error>,
    {
        self.retrying(idempotent, || async {
            // The configuration read retries on its own; retrying it again here would
            // multiply the attempts (and the waits).
            let api = self.api().await.map_err(Failure::Final)?;
            let request = build(&api).map_err(Failure::Final)?;
            self.attempt(&api, request)
                .await
                .map_err(Failure::Retryable)
        })
        .await
    }

    async fn retrying<T, Fut>(
        &self,
        idempotent: bool,
        attempt: impl Fn() -> Fut,
    ) -> Result<T, Error>
    where
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut retry = 0u32;
        loop {
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(Failure::Retryable(e))
                    if retry < self.inner.retry.max_retries && worth_retrying(&e, idempotent) =>
                {
                    let delay = self.inner.retry.delay(retry, e.retry_after());
                    retry += 1;
                    self.count(|s| s.retries += 1);
                    tokio::time::sleep(delay).await;
                }
                Err(Failure::Retryable(e) | Failure::Final(e)) => return Err(e),
            }
        }
    }

    async fn attempt<T: ApiResponse>(
        &self,
        api: &Api,
        request: http::Request<Vec<u8>>,
    ) -> Result<T, Error> {
        self.acquire_rate().await;
        self.count(|s| s.requests += 1);
        let (status, headers, body) = self.execute(request).await?;
        let mut response = http::Response::new(body.as_slice());
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        api.response::<T>(response)
    }

    async fn acquire_rate(&self) {
        loop {
            let wait = match self.inner.rate.lock() {
                Ok(mut rate) => rate.try_acquire(Instant::now()).err(),
                Err(_) => None,
            };
            match wait {
                None => return,
                Some(d) => {
                    self.count(|s| s.rate_waits += 1);
                    tokio::time::sleep(d).await;
                }
            }
        }
    }

    async fn execute(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<(http::StatusCode, http::HeaderMap, Vec<u8>), Error> {
        let request = reqwest::Request::try_from(request)
            .map_err(|e| Error::Config(format!("cannot send the request: {e}")))?;
        let mut response = self.http.execute(request).await.map_err(transport)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY_BYTES as u64)
        {
            return Err(Error::BodyTooLarge {
                limit: MAX_BODY_BYTES,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Error::BodyTooLarge {
                    limit: MAX_BODY_BYTES,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, headers, body))
    }

    fn count(&self, f: impl FnOnce(&mut Stats)) {
        if let Ok(mut s) = self.inner.stats.lock() {
            f(&mut s);
        }
    }
}

/// One attempt's failure, and whether [`Client::retrying`] may try it again.
enum Failure {
    /// The request itself failed; retried when [`worth_retrying`] says so.
    Retryable(Error),
    /// Failed before the request (building it, or a configuration read that has already
    /// been retried): returned as it is.
    Final(Error),
}

fn worth_retrying(e: &Error, idempotent: bool) -> bool {
    match e {
        Error::Api(_) | Error::Http { .. } => e.is_retryable(),
        Error::Timeout | Error::Connection(_) => idempotent,
        _ => false,
    }
}

fn transport(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout;
    }
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    Error::Connection(msg)
}

fn poisoned() -> Error {
    Error::Config("the client's shared state is unusable after a panic".to_owned())
}

type RequestResult = Result<http::Request<Vec<u8>>, Error>;
type PageRequest = Arc<dyn Fn(&Api, u32) -> RequestResult + Send + Sync>;

/// A traversal of a paged endpoint: pages arrive in order, up to five requested at once,
/// each checked by [`Paging`] (sequence, continuity, the first page's `versionId`).
pub struct Pages<P> {
    client: Client,
    request: PageRequest,
    paging: Paging,
    ready: VecDeque<P>,
    error: Option<Error>,
    finished: bool,
}

impl<P> fmt::Debug for Pages<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("paging", &self.paging)
            .field("ready", &self.ready.len())
            .finish_non_exhaustive()
    }
}

impl<P> Pages<P>
where
    P: ApiResponse + Page + Send + 'static,
{
    fn new(client: Client, request: PageRequest) -> Self {
        Pages {
            client,
            request,
            paging: Paging::new(),
            ready: VecDeque::new(),
            error: None,
            finished: false,
        }
    }

    /// The next page, `None` after the last one (or after an error was returned).
    pub async fn next_page(&mut self) -> Option<Result<P, Error>> {
        loop {
            if let Some(p) = self.ready.pop_front() {
                return Some(Ok(p));
            }
            if let Some(e) = self.error.take() {
                self.finished = true;
                return Some(Err(e));
            }
            if self.finished || !self.fill().await {
                return None;
            }
        }
    }

    /// Requests the next window of pages; false when there is nothing left to request.
    async fn fill(&mut self) -> bool {
        let plan = self.paging.plan(self.client.inner.parallel_pages);
        if plan.is_empty() {
            return false;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (slot, index) in plan.iter().copied().enumerate() {
            let client = self.client.clone();
            let request = self.request.clone();
            tasks.spawn(async move {
                let r: Result<P, Error> = client.send(move |api| request(api, index), true).await;
                (slot, r)
            });
        }
        let mut results: Vec<Option<Result<P, Error>>> = plan.iter().map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((slot, r)) => {
                    if let Some(cell) = results.get_mut(slot) {
                        *cell = Some(r);
                    }
                }
                Err(e) => {
                    self.error = Some(Error::Connection(format!("page task failed: {e}")));
                }
            }
        }
        for r in results {
            if self.paging.is_done() || self.error.is_some() {
                break; // pages requested past the end are dropped
            }
            match r {
                Some(Ok(page)) => match self.paging.accept(&page) {
                    Ok(_) => self.ready.push_back(page),
                    Err(e) => self.error = Some(e),
                },
                Some(Err(e)) => self.error = Some(e),
                None => self.error = Some(Error::Connection("a page task was lost".to_owned())),
            }
        }
        true
    }

    /// The first page's `versionId` (for the next `sinceVersionId`).
    pub fn version_id(&self) -> Option<&str> {
        self.paging.version_id()
    }

    /// Pages taken so far.
    pub fn pages(&self) -> u32 {
        self.paging.pages()
    }

    /// Reads every remaining page and returns their items.
    ///
    /// # Errors
    /// The first error of the traversal.
    pub async fn collect_items(&mut self) -> Result<Vec<P::Item>, Error> {
        let mut out = Vec::new();
        while let Some(page) = self.next_page().await {
            out.extend(page?.into_items());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, None), Duration::from_secs(5));
        assert_eq!(p.delay(1, None), Duration::from_secs(15));
        assert_eq!(p.delay(2, None), Duration::from_secs(45));
        assert_eq!(p.delay(3, None), Duration::from_secs(120));
        assert_eq!(p.delay(u32::MAX, None), Duration::from_secs(120));
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(999))),
            Duration::from_secs(120)
        );
    }
}
