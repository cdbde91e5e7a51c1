//! The async client (feature `client`): reqwest on tokio, driving the sans-IO core.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::header::CONTENT_LENGTH;
use mdm_types::SerialNumber;

use crate::activity::{ActivityLog, ActivityPoll, ActivityRequest, MAX_ACTIVITY_LOG, PollStep};
use crate::api::{
    Config, CreateActivity, Endpoint, GetActivity, GetAppleCareCoverage, GetAssignedServer,
    GetAssignedServerLinkage, GetOrgDevice, ListMdmServerDevices, ListMdmServers, ListOrgDevices,
    Paged, Pager,
};
use crate::auth::{Credentials, Secret, TokenCache, TokenResponse, random_jti};
use crate::error::Error;
use crate::json::MAX_RESPONSE_BODY;
use crate::types::{
    AppleCareCoverage, Linkage, MdmServer, MdmServerResponse, OrgDevice, OrgDeviceActivity,
    OrgDeviceResponse, Resource,
};

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;
type JtiSource = Arc<dyn Fn() -> Result<String, Error> + Send + Sync>;

/// Settings for a [`Client`]; every setter names its default.
pub struct ClientBuilder {
    config: Config,
    credentials: Credentials,
    timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
    max_retry_wait: Duration,
    retry_delay: Duration,
    clock: Clock,
    jti: JtiSource,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Gives up on one request after this long (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Gives up connecting after this long (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sends a request again this many times after 429, 5xx, timeouts or connection
    /// failures (default 3; 0 turns retries off). Requests that create or change something
    /// (`POST`, `PATCH`) are sent again only after a 429, which says the request was not
    /// processed; a timeout could otherwise start the same activity twice.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The wait before the first retry when the answer named none (default 1 s); it
    /// doubles with each retry, up to [`Self::max_retry_wait`].
    pub fn retry_delay(mut self, d: Duration) -> Self {
        self.retry_delay = d;
        self
    }

    /// Longest wait before such a retry (default 60 s); a longer `Retry-After` is not
    /// waited for: the error is returned with its [`Error::retry_after`].
    pub fn max_retry_wait(mut self, d: Duration) -> Self {
        self.max_retry_wait = d;
        self
    }

    /// Reads the time from `clock` (default: the system clock). Token expiry, assertion
    /// `iat` and deadline checks use it.
    pub fn clock(mut self, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Makes each assertion's `jti` with `source` (default: [`random_jti`], 128 random
    /// bits).
    pub fn jti_source(
        mut self,
        source: impl Fn() -> Result<String, Error> + Send + Sync + 'static,
    ) -> Self {
        self.jti = Arc::new(source);
        self
    }

    /// Uses this reqwest client (the timeouts of this builder then do not apply).
    /// Default: one made by [`Self::build`].
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Makes the client. No connection is opened until the first request.
    ///
    /// # Errors
    /// [`Error::Config`] when reqwest cannot be set up.
    pub fn build(self) -> Result<Client, Error> {
        let http = match self.http {
            Some(h) => h,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| {
                    Error::Config(format!("cannot build the http client: {}", chain(&e)))
                })?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config: self.config,
                credentials: self.credentials,
                cache: tokio::sync::Mutex::new(TokenCache::new()),
                max_retries: self.max_retries,
                max_retry_wait: self.max_retry_wait,
                retry_delay: self.retry_delay,
                clock: self.clock,
                jti: self.jti,
                stats: Counters::default(),
            }),
        })
    }
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// An async client for one API account.
///
/// Cloning is cheap; clones share the token cache, so concurrent callers fetch at most one
/// token at a time. A token is used until 80 % of its life; a 401 forgets it, fetches a
/// new one and replays the request once. 429 and 5xx answers are retried after their
/// `Retry-After` (or 1, 2, 4 ... s).
///
/// ```no_run
/// # async fn demo() -> Result<(), mdm_axm::Error> {
/// use mdm_axm::{Client, Config, Credentials, ListOrgDevices, SigningKey};
///
/// let key = SigningKey::from_pem(&std::fs::read("key.pem").unwrap_or_default())?;
/// let creds = Credentials::new("BUSINESSAPI.3bb3a62b", "d136aa66", key)?;
/// let client = Client::builder(Config::for_credentials(&creds), creds).build()?;
/// for device in client.org_devices(ListOrgDevices::new().with_limit(1000)?).await? {
///     println!("{} {:?}", device.id, device.attributes.status);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: Config,
    credentials: Credentials,
    cache: tokio::sync::Mutex<TokenCache>,
    max_retries: u32,
    max_retry_wait: Duration,
    retry_delay: Duration,
    clock: Clock,
    jti: JtiSource,
    stats: Counters,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    token_fetches: AtomicU64,
    replays: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Counters of what a [`Client`] sent, for tests and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// HTTP requests sent (token requests, retries, replays and log downloads included).
    pub requests: u64,
    /// Requests sent again after a retryable failure.
    pub retries: u64,
    /// Token requests that returned a token.
    pub token_fetches: u64,
    /// Requests replayed with a fresh token after a 401.
    pub replays: u64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn response(&self) -> Result<http::Response<&[u8]>, Error> {
        let mut b = http::Response::builder().status(self.status);
        if let Some(h) = b.headers_mut() {
            h.clone_from(&self.headers);
        }
        b.body(self.body.as_slice())
            .map_err(|e| Error::Connection(format!("bad response: {e}")))
    }
}

impl Client {
    /// Settings for a client of `credentials`, at their defaults.
    pub fn builder(config: Config, credentials: Credentials) -> ClientBuilder {
        ClientBuilder {
            config,
            credentials,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_retries: 3,
            max_retry_wait: Duration::from_secs(60),
            retry_delay: Duration::from_secs(1),
            clock: Arc::new(Utc::now),
            jti: Arc::new(random_jti),
            http: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    /// What this client (and its clones) sent so far.
    pub fn stats(&self) -> Stats {
        let s = &self.inner.stats;
        Stats {
            requests: s.requests.load(Ordering::Relaxed),
            retries: s.retries.load(Ordering::Relaxed),
            token_fetches: s.token_fetches.load(Ordering::Relaxed),
            replays: s.replays.load(Ordering::Relaxed),
        }
    }

    /// Asks the token endpoint for a new access token now (retrying 429 and 5xx), without
    /// touching the cache.
    ///
    /// # Errors
    /// [`Error::TokenRefused`], transport errors.
    pub async fn fetch_token(&self) -> Result<TokenResponse, Error> {
        let mut attempt = 0;
        loop {
            let jti = (self.inner.jti)()?;
            let request =
                self.inner
                    .config
                    .token_request(&self.inner.credentials, self.now(), &jti)?;
            let result = match self.send(request, MAX_RESPONSE_BODY).await {
                Ok(a) => self.inner.config.token_response(a.response()?, self.now()),
                Err(e) => Err(e),
            };
            match result {
                Err(e) if e.is_retryable() && attempt < self.inner.max_retries => {
                    self.pause(&e, attempt).await?;
                    attempt += 1;
                }
                Ok(token) => {
                    Counters::bump(&self.inner.stats.token_fetches);
                    return Ok(token);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The cached access token (fetched when missing or past 80 % of its life) and its
    /// generation.
    async fn token(&self, stale: Option<u64>) -> Result<(u64, Secret), Error> {
        let mut cache = self.inner.cache.lock().await;
        if let Some(g) = stale {
            cache.invalidate(g);
        }
        if let Some((g, t)) = cache.get(self.now()) {
            return Ok((g, t.token.clone()));
        }
        let fresh = self.fetch_token().await?;
        let g = cache.store(&fresh, self.now());
        Ok((g, fresh.access_token))
    }

    /// The access token the next request will carry (fetching one if needed).
    ///
    /// # Errors
    /// As [`Client::fetch_token`].
    pub async fn access_token(&self) -> Result<Secret, Error> {
        self.token(None).await.map(|(_, t)| t)
    }

    /// Sends any endpoint's request with the access token and reads its answer.
    ///
    /// # Errors
    /// As [`Config::request`] and [`Config::response`], plus [`Error::Timeout`],
    /// [`Error::Connection`], [`Error::ResponseTooLarge`] and the token errors.
    pub async fn call<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let idempotent = !matches!(endpoint.method(), http::Method::POST | http::Method::PATCH);
        // A request that breaks a rule is refused before a token is fetched for it.
        endpoint.body(self.now())?;
        let mut replayed = false;
        let mut attempt = 0;
        let mut stale = None;
        loop {
            // The token read retries on its own (fetch_token); its failure is final here, so
            // the attempts of the two loops never multiply.
            let (generation, token) = self.token(stale.take()).await?;
            let request = self.inner.config.request(endpoint, &token, self.now())?;
            let result = match self.send(request, MAX_RESPONSE_BODY).await {
                Ok(a) if a.status == 401 && !replayed => {
                    replayed = true;
                    stale = Some(generation);
                    Counters::bump(&self.inner.stats.replays);
                    continue;
                }
                Ok(a) => self.inner.config.response::<E>(a.response()?, self.now()),
                Err(e) => Err(e),
            };
            match result {
                Err(e)
                    if attempt < self.inner.max_retries
                        && e.is_retryable()
                        && (idempotent || e.is_rate_limited()) =>
                {
                    self.pause(&e, attempt).await?;
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// Reads the next page of `pager`, or `None` when every page was read. Persist
    /// [`Pager::cursor`] after storing a page to resume later.
    ///
    /// # Errors
    /// As [`Client::call`], and [`Pager::feed`]'s cursor checks.
    pub async fn next_page<E: Paged>(
        &self,
        pager: &mut Pager<E>,
    ) -> Result<Option<E::Output>, Error> {
        let Some(request) = pager.next_request() else {
            return Ok(None);
        };
        let page = self.call(&request).await?;
        pager.feed(&page)?;
        Ok(Some(page))
    }

    /// Every org device, following the cursor from `list`'s first page.
    ///
    /// # Errors
    /// As [`Client::next_page`].
    pub async fn org_devices(
        &self,
        list: ListOrgDevices,
    ) -> Result<Vec<Resource<OrgDevice>>, Error> {
        let mut pager = Pager::new(list);
        let mut out = Vec::new();
        while let Some(page) = self.next_page(&mut pager).await? {
            out.extend(page.data);
        }
        Ok(out)
    }

    /// One org device.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown serial, as [`Client::call`].
    pub async fn org_device(&self, serial: SerialNumber) -> Result<OrgDeviceResponse, Error> {
        self.call(&GetOrgDevice::new(serial)).await
    }

    /// The id of the device's MDM server, `None` when it is unassigned (`data` null, an
    /// empty id, or 404 on the relationship).
    ///
    /// # Errors
    /// As [`Client::call`] (a 404 for an unknown device is `Ok(None)` too: the API does
    /// not tell the two apart).
    pub async fn assigned_server_id(&self, serial: SerialNumber) -> Result<Option<String>, Error> {
        match self.call(&GetAssignedServerLinkage::new(serial)).await {
            Ok(doc) => Ok(doc.data.map(|l| l.id).filter(|id| !id.is_empty())),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The device's MDM server.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn assigned_server(&self, serial: SerialNumber) -> Result<MdmServerResponse, Error> {
        self.call(&GetAssignedServer::new(serial)).await
    }

    /// Every AppleCare coverage entry of a device.
    ///
    /// # Errors
    /// As [`Client::next_page`].
    pub async fn apple_care_coverage(
        &self,
        serial: SerialNumber,
    ) -> Result<Vec<Resource<AppleCareCoverage>>, Error> {
        let mut pager = Pager::new(GetAppleCareCoverage::new(serial));
        let mut out = Vec::new();
        while let Some(page) = self.next_page(&mut pager).await? {
            out.extend(page.data);
        }
        Ok(out)
    }

    /// Every MDM server.
    ///
    /// # Errors
    /// As [`Client::next_page`].
    pub async fn mdm_servers(
        &self,
        list: ListMdmServers,
    ) -> Result<Vec<Resource<MdmServer>>, Error> {
        let mut pager = Pager::new(list);
        let mut out = Vec::new();
        while let Some(page) = self.next_page(&mut pager).await? {
            out.extend(page.data);
        }
        Ok(out)
    }

    /// Every device linkage of an MDM server (the ids are serial numbers).
    ///
    /// # Errors
    /// As [`Client::next_page`].
    pub async fn mdm_server_devices(
        &self,
        list: ListMdmServerDevices,
    ) -> Result<Vec<Linkage>, Error> {
        let mut pager = Pager::new(list);
        let mut out = Vec::new();
        while let Some(page) = self.next_page(&mut pager).await? {
            out.extend(page.data);
        }
        Ok(out)
    }

    /// Starts an activity (its rules are checked first) and returns it as created.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before sending; [`Error::Conflict`] and
    /// [`Error::Unprocessable`] from Apple; as [`Client::call`].
    pub async fn create_activity(
        &self,
        request: ActivityRequest,
    ) -> Result<Resource<OrgDeviceActivity>, Error> {
        self.call(&CreateActivity::new(request))
            .await
            .map(|d| d.data)
    }

    /// Reads an activity.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn activity(&self, id: &str) -> Result<Resource<OrgDeviceActivity>, Error> {
        self.call(&GetActivity::new(id)).await.map(|d| d.data)
    }

    /// Reads the activity until it completes, waiting as `poll` says.
    ///
    /// # Errors
    /// [`Error::ActivityFailed`], [`Error::ActivityPending`], as [`Client::call`].
    pub async fn wait_for_activity(
        &self,
        id: &str,
        mut poll: ActivityPoll,
    ) -> Result<Resource<OrgDeviceActivity>, Error> {
        loop {
            let activity = self.activity(id).await?;
            match poll.next(&activity.attributes) {
                PollStep::Done => return Ok(activity),
                PollStep::Wait(d) => tokio::time::sleep(d).await,
                PollStep::Failed(e) | PollStep::GiveUp(e) => return Err(e),
            }
        }
    }

    /// Downloads and reads the CSV log at an activity's `downloadUrl` (a presigned URL: no
    /// access token is sent), capped at [`MAX_ACTIVITY_LOG`].
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad URL, [`Error::Api`] for an error status, as
    /// [`ActivityLog::decode`].
    pub async fn activity_log(&self, download_url: &str) -> Result<ActivityLog, Error> {
        let request = http::Request::get(download_url)
            .body(Vec::new())
            .map_err(|e| Error::InvalidRequest(format!("download url: {e}")))?;
        let answer = self.send(request, MAX_ACTIVITY_LOG).await?;
        if !(200..300).contains(&answer.status) {
            return Err(Error::from_api(crate::error::ApiError::from_parts(
                answer.status,
                &answer.headers,
                &answer.body,
                self.now(),
            )));
        }
        ActivityLog::decode(&answer.body)
    }

    /// Waits before a retry: the error's `Retry-After`, or 1, 2, 4 … seconds. A
    /// `Retry-After` over the limit is not waited for.
    async fn pause(&self, error: &Error, attempt: u32) -> Result<(), Error> {
        let wait = match error.retry_after() {
            Some(d) if d > self.inner.max_retry_wait => return Err(error.clone()),
            Some(d) => d,
            None => self
                .inner
                .retry_delay
                .saturating_mul(1u32 << attempt.min(16))
                .min(self.inner.max_retry_wait),
        };
        Counters::bump(&self.inner.stats.retries);
        tokio::time::sleep(wait).await;
        Ok(())
    }

    async fn send(&self, request: http::Request<Vec<u8>>, limit: usize) -> Result<Answer, Error> {
        let (mut parts, body) = request.into_parts();
        parts.headers.remove(CONTENT_LENGTH);
        let url = parts.uri.to_string();
        Counters::bump(&self.inner.stats.requests);
        let mut resp = self
            .inner
            .http
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| map_reqwest(&e))?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        if resp.content_length().is_some_and(|len| len > limit as u64) {
            return Err(Error::ResponseTooLarge { limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| map_reqwest(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(Error::ResponseTooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

fn map_reqwest(e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout
    } else {
        Error::Connection(chain(e))
    }
}

/// The error and its sources, joined, without a dependency's type names.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
