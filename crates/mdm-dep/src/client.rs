//! The async client (feature `client`): reqwest on tokio, driving the sans-IO core.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;
use http::header::CONTENT_LENGTH;
use mdm_types::SerialNumber;

use crate::api::{
    AssignProfile, Config, DefineProfile, DisownDevices, EnableActivationLock, Endpoint,
    GetAccount, GetAccountDrivenEnrollmentProfile, GetBetaEnrollmentTokens, GetDeviceDetails,
    GetProfile, GetReplacementDetails, MAX_RESPONSE_BODY, RemoveAccountDrivenEnrollmentProfile,
    RemoveProfile, SetAccountDrivenEnrollmentProfile, needs_new_session, rotated_session,
};
use crate::assign::{AssignOutcome, AssignPlan, AssignPolicy, AssignStep};
use crate::error::Error;
use crate::session::{MemorySessionStore, SessionStore};
use crate::sync::{DeviceSync, SyncPage, SyncStep};
use crate::token::ServerToken;
use crate::types::{
    AccountDetail, AccountDrivenEnrollmentProfile, ActivationLockRequest, ActivationLockResponse,
    BetaEnrollmentTokens, DefineProfileResponse, DeviceDetails, DeviceStatuses,
    MAX_DEVICES_PER_REQUEST, Profile, ReplacementDetails,
};

/// Settings for a [`Client`]; every setter names its default.
pub struct ClientBuilder {
    config: Config,
    token: ServerToken,
    timeout: Duration,
    connect_timeout: Duration,
    store: Arc<dyn SessionStore>,
    max_retries: u32,
    max_retry_wait: Duration,
    assign_policy: AssignPolicy,
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

    /// Keeps the session in `store` (default: a [`MemorySessionStore`] of this client).
    pub fn session_store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.store = store;
        self
    }

    /// Sends a request again this many times after 429, 5xx, timeouts or connection
    /// failures (default 2; 0 turns retries off).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Longest wait before such a retry (default 60 s); a longer `Retry-After` is not
    /// waited for: the error is returned with its [`Error::retry_after`].
    pub fn max_retry_wait(mut self, d: Duration) -> Self {
        self.max_retry_wait = d;
        self
    }

    /// How [`Client::assign_profile`] splits and retries (default [`AssignPolicy::default`]).
    pub fn assign_policy(mut self, policy: AssignPolicy) -> Self {
        self.assign_policy = policy;
        self
    }

    /// Uses this reqwest client (shares its connection pool and TLS settings; the
    /// timeouts of this builder then do not apply). Default: one made by [`Self::build`].
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
        let initial = self.store.load().ok().flatten();
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config: self.config,
                token: self.token,
                store: self.store,
                session: RwLock::new(initial.map(|s| (0, s))),
                refresh: tokio::sync::Mutex::new(()),
                max_retries: self.max_retries,
                max_retry_wait: self.max_retry_wait,
                assign_policy: self.assign_policy,
            }),
        })
    }
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("token", &self.token)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// An async Device Assignment client for one account (one server token).
///
/// Cloning is cheap; clones share the session, so concurrent callers trigger at most one
/// `/session` call at a time. Every request carries the configured User-Agent and protocol
/// version; a rotated `X-ADM-Auth-Session` in any answer replaces the session; a 401 (or a
/// 403 `FORBIDDEN`) gets one new session and one replay of the request.
///
/// ```no_run
/// # async fn demo() -> Result<(), mdm_dep::Error> {
/// use mdm_dep::{Client, Config, DeviceSync, ServerToken};
///
/// let token = ServerToken::decode(&std::fs::read("token.json").unwrap_or_default())?;
/// let client = Client::builder(Config::new("acme-mdm/2.1")?, token).build()?;
/// let account = client.account().await?;
/// let mut sync = DeviceSync::new(None).with_account_limits(&account);
/// while let Some(page) = client.next_page(&mut sync).await? {
///     // store page.devices, then persist page.cursor
///     let _ = page;
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
    token: ServerToken,
    store: Arc<dyn SessionStore>,
    /// The session and its generation (bumped on every new or rotated token).
    session: RwLock<Option<(u64, String)>>,
    /// Held while a `/session` call is in flight.
    refresh: tokio::sync::Mutex<()>,
    max_retries: u32,
    max_retry_wait: Duration,
    assign_policy: AssignPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .field("token", &self.inner.token)
            .finish_non_exhaustive()
    }
}

/// A whole answer: status, headers, body (capped).
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Client {
    /// Settings for a client of the account behind `token`, at their defaults.
    pub fn builder(config: Config, token: ServerToken) -> ClientBuilder {
        ClientBuilder {
            config,
            token,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            store: Arc::new(MemorySessionStore::new()),
            max_retries: 2,
            max_retry_wait: Duration::from_secs(60),
            assign_policy: AssignPolicy::default(),
            http: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The server token.
    pub fn token(&self) -> &ServerToken {
        &self.inner.token
    }

    /// The current session token, if there is one.
    pub fn session(&self) -> Option<String> {
        self.current().map(|(_, s)| s)
    }

    fn current(&self) -> Option<(u64, String)> {
        self.inner.session.read().ok().and_then(|s| s.clone())
    }

    fn set_session(&self, token: String) -> Result<u64, Error> {
        let generation = {
            let mut slot = self
                .inner
                .session
                .write()
                .map_err(|_| Error::Config("session lock poisoned".into()))?;
            let generation = slot.as_ref().map_or(1, |(g, _)| g + 1);
            *slot = Some((generation, token.clone()));
            generation
        };
        self.inner.store.store(&token)?;
        Ok(generation)
    }

    /// Makes a new session now (normally done on demand), unless another caller already
    /// replaced the session of generation `stale`.
    async fn refresh(&self, stale: Option<u64>) -> Result<(u64, String), Error> {
        let _guard = self.inner.refresh.lock().await;
        if let Some((generation, session)) = self.current()
            && Some(generation) != stale
        {
            return Ok((generation, session));
        }
        let session = self.new_session().await?;
        let generation = self.set_session(session.clone())?;
        Ok((generation, session))
    }

    /// Calls `GET /session` with the token's OAuth signature and returns the new session
    /// token without storing it. The token's expiry is checked first.
    ///
    /// # Errors
    /// [`Error::TokenExpired`], [`Error::AuthFailed`], [`Error::TermsNotSigned`],
    /// [`Error::AccessDenied`], transport errors.
    pub async fn new_session(&self) -> Result<String, Error> {
        let mut attempt = 0;
        loop {
            let now = Utc::now();
            let request = self
                .inner
                .config
                .session_request(&self.inner.token, now, &nonce()?)?;
            let result = match self.send(request).await {
                Ok(answer) => self.inner.config.session_response(
                    to_response(answer.status, answer.headers, &answer.body)?,
                    Utc::now(),
                ),
                Err(e) => Err(e),
            };
            match result {
                Err(e) if e.is_retryable() && attempt < self.inner.max_retries => {
                    self.pause(&e, attempt).await?;
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// Sends any endpoint's request with the session (made or refreshed as needed) and
    /// reads its answer.
    ///
    /// # Errors
    /// As [`Config::request`] and [`Config::response`], plus [`Error::Timeout`],
    /// [`Error::Connection`], [`Error::ResponseTooLarge`] and the `/session` errors.
    pub async fn call<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let mut reauthed = false;
        let mut attempt = 0;
        loop {
            let (generation, session) = match self.current() {
                Some(s) => s,
                None => self.refresh(None).await?,
            };
            let request = self.inner.config.request(endpoint, &session)?;
            let answer = match self.send(request).await {
                Ok(a) => a,
                Err(e) if e.is_retryable() && attempt < self.inner.max_retries => {
                    self.pause(&e, attempt).await?;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            if let Some(rotated) = rotated_session(&answer.headers)
                && rotated != session
            {
                self.set_session(rotated)?;
            }
            if needs_new_session(answer.status, &answer.body) && !reauthed {
                reauthed = true;
                self.refresh(Some(generation)).await?;
                continue;
            }
            let result = self.inner.config.response::<E>(
                to_response(answer.status, answer.headers, &answer.body)?,
                Utc::now(),
            );
            match result {
                Err(e) if e.is_retryable() && attempt < self.inner.max_retries => {
                    self.pause(&e, attempt).await?;
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// Waits before a retry: the error's `Retry-After`, or 1, 2, 4 … seconds. A
    /// `Retry-After` over the limit is not waited for.
    async fn pause(&self, error: &Error, attempt: u32) -> Result<(), Error> {
        let wait = match error.retry_after() {
            Some(d) if d > self.inner.max_retry_wait => return Err(error.clone()),
            Some(d) => d,
            None => Duration::from_secs(1u64 << attempt.min(6)).min(self.inner.max_retry_wait),
        };
        tokio::time::sleep(wait).await;
        Ok(())
    }

    async fn send(&self, request: http::Request<Vec<u8>>) -> Result<Answer, Error> {
        let (mut parts, body) = request.into_parts();
        parts.headers.remove(CONTENT_LENGTH);
        let url = parts.uri.to_string();
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
        if resp
            .content_length()
            .is_some_and(|len| len > MAX_RESPONSE_BODY as u64)
        {
            return Err(Error::ResponseTooLarge {
                limit: MAX_RESPONSE_BODY,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| map_reqwest(&e))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BODY {
                return Err(Error::ResponseTooLarge {
                    limit: MAX_RESPONSE_BODY,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// `GET /account`.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn account(&self) -> Result<AccountDetail, Error> {
        self.call(&GetAccount).await
    }

    /// Drives `sync` one page: sends its next fetch or sync, handles cursor errors the way
    /// [`DeviceSync::on_error`] says, and returns the page, or `None` when the round is over.
    /// Persist the page's cursor after storing its devices.
    ///
    /// # Errors
    /// As [`Client::call`], and cursor errors the machine gives back.
    pub async fn next_page(&self, sync: &mut DeviceSync) -> Result<Option<SyncPage>, Error> {
        loop {
            let result = match sync.next_step() {
                SyncStep::Done => return Ok(None),
                SyncStep::Fetch(f) => self.call(&f).await,
                SyncStep::Sync(s) => self.call(&s).await,
            };
            match result {
                Ok(page) => return Ok(Some(sync.accept(page))),
                Err(e) => sync.on_error(e)?,
            }
        }
    }

    /// Device details for any number of serials (requests of at most 1000, merged).
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn device_details(&self, serials: &[SerialNumber]) -> Result<DeviceDetails, Error> {
        let mut out: Option<DeviceDetails> = None;
        for chunk in chunks(serials) {
            let part = self.call(&GetDeviceDetails(chunk.to_vec())).await?;
            match &mut out {
                None => out = Some(part),
                Some(all) => all.devices.extend(part.devices),
            }
        }
        out.ok_or_else(|| Error::InvalidRequest("device details: no serial numbers".into()))
    }

    /// Disowns any number of devices, for good (requests of at most 1000, merged).
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn disown_devices(&self, serials: &[SerialNumber]) -> Result<DeviceStatuses, Error> {
        self.statuses(
            serials,
            |c| async move { self.call(&DisownDevices(c)).await },
        )
        .await
    }

    /// Removes the profile assignment of any number of devices (requests of at most 1000,
    /// merged).
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn remove_profile(&self, serials: &[SerialNumber]) -> Result<DeviceStatuses, Error> {
        self.statuses(
            serials,
            |c| async move { self.call(&RemoveProfile(c)).await },
        )
        .await
    }

    async fn statuses<F, Fut>(
        &self,
        serials: &[SerialNumber],
        each: F,
    ) -> Result<DeviceStatuses, Error>
    where
        F: Fn(Vec<SerialNumber>) -> Fut,
        Fut: std::future::Future<Output = Result<DeviceStatuses, Error>>,
    {
        let mut out: Option<DeviceStatuses> = None;
        for chunk in chunks(serials) {
            let part = each(chunk.to_vec()).await?;
            match &mut out {
                None => out = Some(part),
                Some(all) => all.devices.extend(part.devices),
            }
        }
        out.ok_or_else(|| Error::InvalidRequest("no serial numbers (DEVICE_ID_REQUIRED)".into()))
    }

    /// Assigns `profile_uuid` to any number of devices with [`AssignPlan`]: chunks, merged
    /// results, `THROTTLED` retried after `retry_after_seconds`. The outcome names every
    /// serial's final status.
    ///
    /// # Errors
    /// The first error that is not retryable (an unknown profile, terms not signed, ...).
    pub async fn assign_profile(
        &self,
        profile_uuid: &str,
        serials: &[SerialNumber],
    ) -> Result<AssignOutcome, Error> {
        if serials.is_empty() {
            return Err(Error::InvalidRequest(
                "assign profile: no serial numbers (DEVICE_ID_REQUIRED)".into(),
            ));
        }
        let mut plan = AssignPlan::new(
            profile_uuid,
            serials.iter().cloned(),
            self.inner.assign_policy,
        );
        loop {
            match plan.next_step() {
                AssignStep::Send(request) => match self.call(&request).await {
                    Ok(answer) => plan.on_response(answer)?,
                    Err(e) => plan.on_error(e)?,
                },
                AssignStep::Wait(d) => tokio::time::sleep(d).await,
                AssignStep::Done => return Ok(plan.outcome()),
            }
        }
    }

    /// Sends one assign request of at most 1000 devices, without retries of throttled ones.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn assign_profile_once(
        &self,
        request: &AssignProfile,
    ) -> Result<crate::types::AssignProfileResponse, Error> {
        self.call(request).await
    }

    /// `POST /device/activationlock`.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn activation_lock(
        &self,
        request: ActivationLockRequest,
    ) -> Result<ActivationLockResponse, Error> {
        self.call(&EnableActivationLock(request)).await
    }

    /// `GET /device/replacementDetails` (protocol version 10 and later).
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn replacement_details(
        &self,
        serial: &SerialNumber,
    ) -> Result<ReplacementDetails, Error> {
        self.call(&GetReplacementDetails(serial.clone())).await
    }

    /// `GET /os-beta-enrollment/tokens`.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn beta_enrollment_tokens(&self) -> Result<BetaEnrollmentTokens, Error> {
        self.call(&GetBetaEnrollmentTokens).await
    }

    /// `POST /profile`, after [`Profile::validate`].
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn define_profile(&self, profile: Profile) -> Result<DefineProfileResponse, Error> {
        self.call(&DefineProfile(profile)).await
    }

    /// `GET /profile`.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn get_profile(&self, profile_uuid: &str) -> Result<Profile, Error> {
        self.call(&GetProfile(profile_uuid.to_owned())).await
    }

    /// `POST /account-driven-enrollment/profile`.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn set_account_driven_enrollment_profile(&self, url: &str) -> Result<(), Error> {
        self.call(&SetAccountDrivenEnrollmentProfile(url.to_owned()))
            .await
    }

    /// `GET /account-driven-enrollment/profile`.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn account_driven_enrollment_profile(
        &self,
    ) -> Result<AccountDrivenEnrollmentProfile, Error> {
        self.call(&GetAccountDrivenEnrollmentProfile).await
    }

    /// `DELETE /account-driven-enrollment/profile`.
    ///
    /// # Errors
    /// As [`Client::call`].
    pub async fn remove_account_driven_enrollment_profile(&self) -> Result<(), Error> {
        self.call(&RemoveAccountDrivenEnrollmentProfile).await
    }
}

fn chunks(serials: &[SerialNumber]) -> impl Iterator<Item = &[SerialNumber]> {
    serials.chunks(MAX_DEVICES_PER_REQUEST)
}

fn to_response(
    status: u16,
    headers: http::HeaderMap,
    body: &[u8],
) -> Result<http::Response<&[u8]>, Error> {
    let mut response = http::Response::builder()
        .status(status)
        .body(body)
        .map_err(|e| Error::MalformedResponse {
            what: "http",
            detail: e.to_string(),
        })?;
    *response.headers_mut() = headers;
    Ok(response)
}

/// A fresh OAuth nonce: 16 random bytes from OpenSSL, hex.
fn nonce() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut bytes).map_err(|e| Error::Config(format!("random: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The error and its sources, joined, so the message names the root cause.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

fn map_reqwest(e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout;
    }
    if e.is_builder() {
        return Error::Config(chain(e));
    }
    Error::Connection(chain(e))
}
