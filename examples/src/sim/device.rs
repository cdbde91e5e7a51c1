//! One simulated device on the network: enrollment (profile, SCEP, `Authenticate`,
//! `TokenUpdate`), polling (`Idle`, then one answer per command until the server has none) and
//! the declarative-management sync a `DeclarativeManagement` command asks for.

use std::time::{Duration, Instant};

use mdm_checkin::{
    Authenticate, CheckOut, DeclarativeEndpoint, DeclarativeManagement, DeviceToken, Message,
    PushMagic, TokenUpdate, Topic, Udid,
};
use mdm_scep::{CsrBuilder, KeyUsageRequest};
use mdm_signing::{Certificate, Identity, PrivateKey, Signer};

use super::answers::{Answered, DeviceState};
use super::error::{SimError, Step};
use super::facts::{DeviceFacts, Family};
use super::profile::{EnrollmentProfile, InstalledProfile};
use super::{KeyChoice, SimConfig};

/// `Content-Type` of check-in requests.
pub const CHECKIN_CONTENT_TYPE: &str = "application/x-apple-aspen-mdm-checkin";
/// `Content-Type` of requests to the server URL (`Idle` and command answers).
pub const CONNECT_CONTENT_TYPE: &str = "application/x-apple-aspen-mdm";
/// `Content-Type` of a configuration profile.
pub const PROFILE_CONTENT_TYPE: &str = "application/x-apple-aspen-config";
/// Largest answer body a device reads from the server (16 MiB).
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;
/// Most commands one poll answers before the device gives up on the session.
pub const MAX_COMMANDS_PER_POLL: usize = 10_000;

/// How long each part of one enrollment took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrollTimings {
    /// Fetching, verifying and decoding the enrollment profile.
    pub profile: Duration,
    /// Generating the device key (zero when a key made beforehand was used).
    pub keygen: Duration,
    /// The SCEP exchange (capabilities, CA certificates, PKCSReq).
    pub scep: Duration,
    /// Each check-in request (`Authenticate`, `TokenUpdate`).
    pub checkins: Vec<Duration>,
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollReport {
    /// Requests to the server URL (the `Idle` and each answer).
    pub round_trips: usize,
    /// The commands answered, in order.
    pub answered: Vec<Answered>,
    /// Time of each round trip.
    pub latencies: Vec<Duration>,
}

/// An enrolled simulated device.
#[derive(Debug)]
pub struct Device {
    state: DeviceState,
    signer: Signer,
    server_url: String,
    checkin_url: String,
    topic: Topic,
    push_magic: String,
    token: Vec<u8>,
    timings: EnrollTimings,
    /// Replicas the requests are spread over: the base the URLs start with, then each
    /// base in turn takes its place (see [`Device::spread_over`]).
    replicas: Option<Replicas>,
}

/// Server replicas one device's requests rotate over.
#[derive(Debug)]
struct Replicas {
    origin: String,
    bases: Vec<String>,
    turn: std::sync::atomic::AtomicUsize,
}

impl Device {
    /// Spreads this device's requests over `bases` (server base URLs, one of which is
    /// the one it enrolled with): each request goes to the next base in turn, with the
    /// path of the URL its profile gave. URLs on another host are left alone.
    pub fn spread_over(&mut self, origin: &str, bases: Vec<String>) {
        let bases: Vec<String> = bases
            .into_iter()
            .map(|b| b.trim_end_matches('/').to_owned())
            .filter(|b| !b.is_empty())
            .collect();
        self.replicas = (bases.len() > 1).then(|| Replicas {
            origin: origin.trim_end_matches('/').to_owned(),
            bases,
            turn: std::sync::atomic::AtomicUsize::new(0),
        });
    }

    /// The URL of the next request to `url`, on the next replica.
    fn route(&self, url: &str) -> String {
        let Some(r) = &self.replicas else {
            return url.to_owned();
        };
        let Some(path) = url.strip_prefix(r.origin.as_str()) else {
            return url.to_owned();
        };
        let n = r.turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match r.bases.get(n % r.bases.len()) {
            Some(base) => format!("{base}{path}"),
            None => url.to_owned(),
        }
    }

    /// Enrolls device `index`: fetches `{server}{cfg.enroll_path}`, verifies and reads the
    /// profile, enrolls with SCEP, then sends `Authenticate` and `TokenUpdate` signed with
    /// the new identity.
    ///
    /// # Errors
    /// The first failing step's [`SimError`].
    pub async fn enroll(
        http: &reqwest::Client,
        server: &str,
        index: usize,
        cfg: &SimConfig,
    ) -> Result<Device, SimError> {
        Self::enroll_with_key(http, server, index, cfg, None).await
    }

    /// [`Device::enroll`] with a key made beforehand (so that a load run can keep key
    /// generation, which real devices do on their own hardware, out of the measured
    /// enrollment). The key is used when it fits the SCEP payload's `Keysize` and
    /// `cfg.key`; otherwise a new one is generated.
    ///
    /// # Errors
    /// As [`Device::enroll`].
    pub async fn enroll_with_key(
        http: &reqwest::Client,
        server: &str,
        index: usize,
        cfg: &SimConfig,
        key: Option<PrivateKey>,
    ) -> Result<Device, SimError> {
        let facts = DeviceFacts::new(&cfg.prefix, index);
        let mut timings = EnrollTimings::default();

        let started = Instant::now();
        let url = join_url(server, &cfg.enroll_path);
        let (status, bytes) = get(http, &url, Step::Profile).await?;
        if status != 200 {
            return Err(status_error(Step::Profile, status, &bytes));
        }
        let policy = cfg.trust_policy();
        let enrollment = EnrollmentProfile::read(&bytes, &policy, cfg.allow_unsigned)?;
        timings.profile = started.elapsed();

        let keysize = enrollment.scep.payload_content.keysize;
        let key = match key {
            Some(k) if key_fits(&k, cfg.key, keysize) => k,
            _ => {
                let started = Instant::now();
                let k = generate_key(cfg.key, keysize).await?;
                timings.keygen = started.elapsed();
                k
            }
        };

        let started = Instant::now();
        let (identity, ca_certificates) =
            scep_enroll(http, server, &enrollment, &facts, key).await?;
        timings.scep = started.elapsed();

        let mut state = DeviceState::new(facts, cfg.not_now_every);
        let enrollment_record = InstalledProfile::from_profile(
            &enrollment.profile,
            enrollment.signer.as_ref(),
            false,
            false,
        )?;
        state.set_enrollment_profile(enrollment_record);
        state.set_identity(identity.clone(), ca_certificates);
        let mut signer = Signer::new(identity).map_err(|source| SimError::Signing {
            step: Step::Checkin,
            source,
        })?;
        signer = signer.detached(true);

        let topic = Topic::new(enrollment.mdm.topic.clone())?;
        let mut token = vec![0u8; 32];
        random_bytes(&mut token)?;
        let mut device = Device {
            state,
            signer,
            server_url: join_url(server, &enrollment.mdm.server_url),
            checkin_url: join_url(server, enrollment.checkin_url()),
            topic,
            push_magic: uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase(),
            token,
            timings,
            replicas: None,
        };
        let started = Instant::now();
        device.authenticate(http).await?;
        device.timings.checkins.push(started.elapsed());
        let started = Instant::now();
        device.token_update(http).await?;
        device.timings.checkins.push(started.elapsed());
        if cfg.declarative_on_enroll {
            device.sync_declarations(http).await?;
        }
        tracing::info!(udid = %device.udid(), index, "enrolled");
        Ok(device)
    }

    /// A device that is already enrolled with `identity`, without any network traffic:
    /// for tests that need a device with a chosen identity, and for answering commands
    /// offline. `server_url` and `checkin_url` are used as given.
    ///
    /// # Errors
    /// [`SimError::Checkin`] for an unusable topic, [`SimError::Signing`] when the identity
    /// cannot sign.
    pub fn from_identity(
        facts: DeviceFacts,
        identity: Identity,
        server_url: &str,
        checkin_url: &str,
        topic: &str,
        not_now_every: Option<u32>,
    ) -> Result<Device, SimError> {
        let mut state = DeviceState::new(facts, not_now_every);
        state.set_identity(identity.clone(), identity.chain().to_vec());
        let mut signer = Signer::new(identity).map_err(|source| SimError::Signing {
            step: Step::Other,
            source,
        })?;
        signer = signer.detached(true);
        let mut token = vec![0u8; 32];
        random_bytes(&mut token)?;
        Ok(Device {
            state,
            signer,
            server_url: server_url.to_owned(),
            checkin_url: checkin_url.to_owned(),
            topic: Topic::new(topic.to_owned())?,
            push_magic: uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase(),
            token,
            timings: EnrollTimings::default(),
            replicas: None,
        })
    }

    /// The same device (UDID, URLs, topic, push token, profiles) signing with another
    /// identity: what an impostor holding this device's UDID would send.
    ///
    /// # Errors
    /// [`SimError::Signing`] when the identity cannot sign.
    pub fn impersonated_by(&self, identity: Identity) -> Result<Device, SimError> {
        let mut state = self.state.clone();
        state.set_identity(identity.clone(), identity.chain().to_vec());
        let mut signer = Signer::new(identity).map_err(|source| SimError::Signing {
            step: Step::Other,
            source,
        })?;
        signer = signer.detached(true);
        Ok(Device {
            state,
            signer,
            server_url: self.server_url.clone(),
            checkin_url: self.checkin_url.clone(),
            topic: self.topic.clone(),
            push_magic: self.push_magic.clone(),
            token: self.token.clone(),
            timings: EnrollTimings::default(),
            replicas: None,
        })
    }

    /// Answers command bytes as this device would, without sending anything (see
    /// [`DeviceState::answer_bytes`]).
    ///
    /// # Errors
    /// As [`DeviceState::answer_bytes`].
    pub fn answer(&mut self, command: &[u8]) -> Result<(Answered, Vec<u8>), SimError> {
        self.state.answer_bytes(command)
    }

    /// Polls once: sends `Idle`, answers each command the server returns, and stops at the
    /// first empty answer.
    ///
    /// # Errors
    /// A transport error, a status other than 200, an unreadable command, or more than
    /// [`MAX_COMMANDS_PER_POLL`] commands.
    pub async fn poll(&mut self, http: &reqwest::Client) -> Result<PollReport, SimError> {
        let mut report = PollReport::default();
        self.poll_into(http, &mut report).await?;
        Ok(report)
    }

    /// [`Device::poll`], recording into `report` as it goes so that a failure keeps what
    /// was done before it.
    ///
    /// # Errors
    /// As [`Device::poll`].
    pub async fn poll_into(
        &mut self,
        http: &reqwest::Client,
        report: &mut PollReport,
    ) -> Result<(), SimError> {
        let mut body = self.state.idle().encode()?;
        let url = self.server_url.clone();
        let mut answered = 0usize;
        loop {
            let started = Instant::now();
            let (status, reply) = self
                .put_signed(http, &url, CONNECT_CONTENT_TYPE, &body)
                .await?;
            report.round_trips += 1;
            report.latencies.push(started.elapsed());
            if status != 200 {
                return Err(status_error(Step::Connect, status, &reply));
            }
            if reply.iter().all(u8::is_ascii_whitespace) {
                break;
            }
            if answered >= MAX_COMMANDS_PER_POLL {
                return Err(SimError::TooManyCommands {
                    limit: MAX_COMMANDS_PER_POLL,
                });
            }
            let (what, next) = self.state.answer_bytes(&reply)?;
            tracing::info!(udid = %self.udid(), request_type = %what.request_type,
                status = %what.status, command_uuid = %what.command_uuid, "answered");
            report.answered.push(what);
            answered += 1;
            body = next;
        }
        if self.state.take_sync_request() {
            self.sync_declarations(http).await?;
        }
        Ok(())
    }

    /// Syncs declarative management over the check-in URL: reads the tokens; when the
    /// `DeclarationsToken` changed, the manifest and each new or changed declaration;
    /// then sends a status report (full the first time, then what changed), if any.
    ///
    /// # Errors
    /// A transport error, a status other than 200 on tokens, manifest or status, or an
    /// answer that does not decode. A declaration the server refuses is held as invalid.
    pub async fn sync_declarations(&mut self, http: &reqwest::Client) -> Result<(), SimError> {
        let body = self
            .declarative_ok(http, DeclarativeEndpoint::Tokens, None)
            .await?;
        let changed = self
            .state
            .declarative_mut()
            .on_tokens(&body)
            .map_err(SimError::Declarative)?;
        if changed {
            let body = self
                .declarative_ok(http, DeclarativeEndpoint::DeclarationItems, None)
                .await?;
            let wanted = self
                .state
                .declarative_mut()
                .on_manifest(&body)
                .map_err(SimError::Declarative)?;
            for (class, identifier, token) in wanted {
                let path = format!("declaration/{class}/{identifier}");
                let (status, body) = self
                    .declarative_checkin(http, DeclarativeEndpoint::from(path.as_str()), None)
                    .await?;
                let body = if status == 200 {
                    Ok(&body[..])
                } else {
                    Err(status)
                };
                self.state
                    .declarative_mut()
                    .on_declaration(class, &identifier, &token, body);
            }
        }
        if let Some(report) = self.state.declarative_status_report() {
            self.declarative_ok(http, DeclarativeEndpoint::Status, Some(report))
                .await?;
        }
        Ok(())
    }

    /// Sends a `DeclarativeManagement` check-in for `endpoint` with `data`.
    ///
    /// # Errors
    /// As [`Device::checkin`].
    pub async fn declarative_checkin(
        &self,
        http: &reqwest::Client,
        endpoint: DeclarativeEndpoint,
        data: Option<Vec<u8>>,
    ) -> Result<(u16, Vec<u8>), SimError> {
        let mut m = DeclarativeManagement::new(endpoint);
        m.udid = Some(Udid::new(self.state.facts().udid.clone())?);
        m.data = data.map(mdm_plist::Data::new);
        self.checkin(http, &Message::DeclarativeManagement(m)).await
    }

    async fn declarative_ok(
        &self,
        http: &reqwest::Client,
        endpoint: DeclarativeEndpoint,
        data: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, SimError> {
        let (status, body) = self.declarative_checkin(http, endpoint, data).await?;
        if status == 200 {
            Ok(body)
        } else {
            Err(status_error(Step::Checkin, status, &body))
        }
    }

    /// What the device counted of declarative management (syncs, fetches, reports).
    pub fn declarative(&self) -> &super::DeclarativeCounters {
        self.state.declarative().counters()
    }

    /// Sends `body` to `url` with `PUT`, the given `Content-Type` and an `Mdm-Signature`
    /// header signed by the device identity; returns the status and the answer body.
    ///
    /// # Errors
    /// [`SimError::Signing`] when signing fails, [`SimError::Http`] without an answer,
    /// [`SimError::TooLarge`] when the answer exceeds [`MAX_ANSWER_BYTES`].
    pub async fn put_signed(
        &self,
        http: &reqwest::Client,
        url: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), SimError> {
        let step = if content_type == CHECKIN_CONTENT_TYPE {
            Step::Checkin
        } else {
            Step::Connect
        };
        let signature = self.mdm_signature(body)?;
        // With replicas, a request that gets no answer at all (a replica is down) goes to
        // the next one, as a load balancer would send it; an HTTP status is an answer.
        let attempts = self.replicas.as_ref().map_or(1, |r| r.bases.len());
        let mut last = None;
        for _ in 0..attempts {
            let request = http
                .put(self.route(url))
                .header("Content-Type", content_type)
                .header("Mdm-Signature", signature.clone())
                .body(body.to_vec());
            match send(request, step).await {
                Ok(answer) => return Ok(answer),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(SimError::Config("no server URL".to_owned())))
    }

    /// The `Mdm-Signature` header value for `body`: base64 of a detached CMS signature by
    /// the device identity.
    ///
    /// # Errors
    /// [`SimError::Signing`] when OpenSSL fails.
    pub fn mdm_signature(&self, body: &[u8]) -> Result<String, SimError> {
        let der = self.signer.sign(body).map_err(|source| SimError::Signing {
            step: Step::Connect,
            source,
        })?;
        Ok(crate::base64_encode(&der))
    }

    /// Sends a check-in message to the check-in URL and returns the status and body.
    ///
    /// # Errors
    /// As [`Device::put_signed`], and [`SimError::Checkin`] when the message cannot be
    /// encoded.
    pub async fn checkin(
        &self,
        http: &reqwest::Client,
        message: &Message,
    ) -> Result<(u16, Vec<u8>), SimError> {
        let body = message.encode()?;
        self.put_signed(http, &self.checkin_url, CHECKIN_CONTENT_TYPE, &body)
            .await
    }

    /// The `Authenticate` message this device sends.
    ///
    /// # Errors
    /// [`SimError::Checkin`] when the UDID is refused.
    pub fn authenticate_message(&self) -> Result<Authenticate, SimError> {
        let f = self.state.facts();
        let mut m = Authenticate::new(self.topic.clone());
        m.udid = Some(Udid::new(f.udid.clone())?);
        m.serial_number = Some(f.serial_number.clone());
        m.os_version = Some(f.os_version.clone());
        m.build_version = Some(f.build_version.clone());
        m.product_name = Some(f.product_name.clone());
        m.imei = f.imei.clone();
        if f.family == Family::Mac {
            m.device_name = Some(f.device_name.clone());
            m.model = Some(f.model.clone());
            m.model_name = Some(f.model_name.clone());
        }
        Ok(m)
    }

    /// The `TokenUpdate` message this device sends.
    ///
    /// # Errors
    /// [`SimError::Checkin`] when an identifier is refused.
    pub fn token_update_message(&self) -> Result<TokenUpdate, SimError> {
        let mut m = TokenUpdate::new(
            self.topic.clone(),
            DeviceToken::new(self.token.clone())?,
            PushMagic::new(self.push_magic.clone())?,
        );
        m.udid = Some(Udid::new(self.state.facts().udid.clone())?);
        if self.state.facts().family != Family::Mac {
            let mut unlock = vec![0u8; 64];
            random_bytes(&mut unlock)?;
            m.unlock_token = Some(mdm_plist::Data::new(unlock));
        }
        Ok(m)
    }

    /// Sends `Authenticate`; the server must answer 200.
    ///
    /// # Errors
    /// As [`Device::checkin`], and [`SimError::Status`] for another status.
    pub async fn authenticate(&self, http: &reqwest::Client) -> Result<(), SimError> {
        let msg = Message::Authenticate(self.authenticate_message()?);
        self.checkin_ok(http, &msg).await
    }

    /// Sends `TokenUpdate`; the server must answer 200.
    ///
    /// # Errors
    /// As [`Device::authenticate`].
    pub async fn token_update(&self, http: &reqwest::Client) -> Result<(), SimError> {
        let msg = Message::TokenUpdate(self.token_update_message()?);
        self.checkin_ok(http, &msg).await
    }

    /// Sends `CheckOut` (the device leaves management); the server must answer 200.
    ///
    /// # Errors
    /// As [`Device::authenticate`].
    pub async fn check_out(&self, http: &reqwest::Client) -> Result<(), SimError> {
        let mut m = CheckOut::new(self.topic.clone());
        m.udid = Some(Udid::new(self.state.facts().udid.clone())?);
        self.checkin_ok(http, &Message::CheckOut(m)).await
    }

    async fn checkin_ok(&self, http: &reqwest::Client, msg: &Message) -> Result<(), SimError> {
        let (status, body) = self.checkin(http, msg).await?;
        if status == 200 {
            Ok(())
        } else {
            Err(status_error(Step::Checkin, status, &body))
        }
    }

    /// The device's UDID.
    pub fn udid(&self) -> &str {
        &self.state.facts().udid
    }

    /// The device's facts (serial number, model, ...).
    pub fn facts(&self) -> &DeviceFacts {
        self.state.facts()
    }

    /// The certificate SCEP issued to the device.
    pub fn certificate(&self) -> &Certificate {
        self.signer.identity().certificate()
    }

    /// The device identity (certificate and key).
    pub fn identity(&self) -> &Identity {
        self.signer.identity()
    }

    /// Identifiers of the installed profiles, the enrollment profile first.
    pub fn installed_profiles(&self) -> Vec<String> {
        self.state
            .profiles()
            .iter()
            .map(|p| p.identifier.clone())
            .collect()
    }

    /// The answering state (profiles, NotNow bookkeeping).
    pub fn state(&self) -> &DeviceState {
        &self.state
    }

    /// The server URL from the MDM payload (resolved against the server's base URL).
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// The check-in URL (`CheckInURL`, or `ServerURL` when the payload has none).
    pub fn checkin_url(&self) -> &str {
        &self.checkin_url
    }

    /// The push topic from the MDM payload.
    pub fn topic(&self) -> &str {
        self.topic.as_str()
    }

    /// The push token sent in `TokenUpdate`.
    pub fn push_token(&self) -> &[u8] {
        &self.token
    }

    /// The push magic sent in `TokenUpdate`.
    pub fn push_magic(&self) -> &str {
        &self.push_magic
    }

    /// How long each part of the enrollment took.
    pub fn enroll_timings(&self) -> &EnrollTimings {
        &self.timings
    }
}

/// Resolves a URL from the profile: absolute URLs are kept, a path is joined to `server`.
pub fn join_url(server: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{}{url}", server.trim_end_matches('/'))
    } else {
        url.to_owned()
    }
}

/// RSA modulus size for a SCEP payload's `Keysize`: as given within 2048..=4096, else 2048.
fn rsa_bits(keysize: Option<i64>) -> u32 {
    keysize
        .and_then(|k| u32::try_from(k).ok())
        .filter(|k| (2048..=4096).contains(k))
        .unwrap_or(2048)
}

fn key_fits(key: &PrivateKey, choice: KeyChoice, keysize: Option<i64>) -> bool {
    match choice {
        KeyChoice::P256 => key.kind() == mdm_signing::KeyKind::EcP256,
        KeyChoice::Rsa => {
            key.kind()
                == mdm_signing::KeyKind::Rsa {
                    bits: rsa_bits(keysize),
                }
        }
    }
}

/// Generates a device key on the blocking pool (RSA generation takes tens to hundreds of
/// milliseconds of CPU).
///
/// # Errors
/// [`SimError::Signing`] when OpenSSL fails, [`SimError::Task`] when the task dies.
pub async fn generate_key(choice: KeyChoice, keysize: Option<i64>) -> Result<PrivateKey, SimError> {
    let task = tokio::task::spawn_blocking(move || match choice {
        KeyChoice::P256 => PrivateKey::generate_p256(),
        KeyChoice::Rsa => PrivateKey::generate_rsa(rsa_bits(keysize)),
    });
    task.await
        .map_err(|e| SimError::Task(format!("key generation: {e}")))?
        .map_err(|source| SimError::Signing {
            step: Step::Scep,
            source,
        })
}

/// Enrolls with the SCEP payload's URL, challenge and subject.
async fn scep_enroll(
    http: &reqwest::Client,
    server: &str,
    enrollment: &EnrollmentProfile,
    facts: &DeviceFacts,
    key: PrivateKey,
) -> Result<(Identity, Vec<Certificate>), SimError> {
    let content = &enrollment.scep.payload_content;
    let mut cn = None;
    let mut rest = Vec::new();
    for rdn in content.subject.iter().flatten() {
        for pair in rdn {
            if let [oid, value] = pair.as_slice() {
                match oid.as_str() {
                    "CN" | "2.5.4.3" => cn = Some(value.clone()),
                    "O" | "2.5.4.10" | "OU" | "2.5.4.11" | "C" | "2.5.4.6" => {
                        rest.push((oid.clone(), value.clone()));
                    }
                    other => tracing::debug!("SCEP subject attribute {other} not requested"),
                }
            }
        }
    }
    let mut csr = CsrBuilder::new(cn.as_deref().unwrap_or(&facts.udid));
    // The builder puts each attribute before the ones already there; add them last first.
    for (oid, value) in rest.iter().rev() {
        csr = match oid.as_str() {
            "O" | "2.5.4.10" => csr.organization(value),
            "OU" | "2.5.4.11" => csr.organizational_unit(value),
            _ => csr.country(value),
        };
    }
    csr = csr.key_usage(KeyUsageRequest::device_identity());
    if let Some(challenge) = content.challenge.as_deref() {
        csr = csr.challenge_password(challenge);
    }
    let csr = csr.build(&key)?;
    // Through the simulator's HTTP client: one connection pool for every device.
    let mut client =
        mdm_scep::client::Client::with_http(&join_url(server, &content.url), http.clone());
    client = client.polling(Duration::from_secs(1), Duration::from_secs(60));
    if let Some(fp) = &content.ca_fingerprint {
        let fp: &[u8] = fp.as_ref();
        if fp.len() == 32 {
            client = client.pin_sha256(fp.to_vec());
        } else {
            tracing::debug!(
                "CAFingerprint of {} bytes is not SHA-256: not pinned",
                fp.len()
            );
        }
    }
    let issued = client.enroll(csr, key.clone()).await?;
    let identity =
        Identity::new(issued.certificate, key, issued.chain.clone()).map_err(|source| {
            SimError::Signing {
                step: Step::Scep,
                source,
            }
        })?;
    Ok((identity, issued.chain))
}

fn random_bytes(buf: &mut [u8]) -> Result<(), SimError> {
    mdm_signing::openssl::rand::rand_bytes(buf).map_err(|e| SimError::Signing {
        step: Step::Other,
        source: mdm_signing::Error::Crypto(e.to_string()),
    })
}

fn status_error(step: Step, status: u16, body: &[u8]) -> SimError {
    let text = String::from_utf8_lossy(body.get(..200).unwrap_or(body));
    SimError::Status {
        step,
        status,
        body: text.trim().to_owned(),
    }
}

async fn get(http: &reqwest::Client, url: &str, step: Step) -> Result<(u16, Vec<u8>), SimError> {
    send(http.get(url), step).await
}

async fn send(request: reqwest::RequestBuilder, step: Step) -> Result<(u16, Vec<u8>), SimError> {
    let http_err = |e: reqwest::Error| SimError::Http {
        step,
        message: e.to_string(),
    };
    let mut response = request.send().await.map_err(http_err)?;
    let status = response.status().as_u16();
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http_err)? {
        if out.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(SimError::TooLarge {
                step,
                limit: MAX_ANSWER_BYTES,
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok((status, out))
}
