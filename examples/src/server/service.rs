//! The MDM service: what to do with a check-in or a command report, over a [`Store`].
//!
//! Plain synchronous functions from request bytes to a [`Reply`], so they can be tested
//! without HTTP; the handlers run them on tokio's blocking pool.
//!
//! Identity errors are answered with 400, never 401: a device that gets 401 removes its
//! enrollment.

use std::sync::Arc;

use axum::http::HeaderMap;
use mdm_checkin::{
    BootstrapTokenResponse, CheckinMessage, Enrollment, EnrollmentId, Message, ResolvedEnrollment,
    Udid,
};
use mdm_commands::{CommandResponse, RequestType, Status};
use mdm_plist::Limits;
use tracing::{debug, info, warn};

use super::certauth::{CertAuth, DeviceIdentity};
use super::declarative;
use super::metrics::{Metrics, Refusal};
use super::now;
use super::store::{BoundIdentity, CommandReport, DeviceFacts, InventoryUpdate, PushInfo, Store};

/// Content type of a command sent to a device.
pub const COMMAND_CONTENT_TYPE: &str = "application/xml";

/// An HTTP answer: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, when there is a body.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// 200 with no body: accepted, nothing more to say (or no command queued).
    pub fn empty() -> Self {
        Reply {
            status: 200,
            content_type: None,
            body: Vec::new(),
        }
    }

    /// 200 with a body.
    pub fn ok(content_type: &'static str, body: Vec<u8>) -> Self {
        Reply {
            status: 200,
            content_type: Some(content_type),
            body,
        }
    }

    /// An error status with a one-line plain-text reason.
    pub fn error(status: u16, reason: impl Into<String>) -> Self {
        let mut body = reason.into().into_bytes();
        body.push(b'\n');
        Reply {
            status,
            content_type: Some("text/plain; charset=utf-8"),
            body,
        }
    }
}

/// The check-in and command endpoints' logic.
pub struct Service {
    store: Arc<dyn Store>,
    auth: CertAuth,
    limits: Limits,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("auth", &self.auth).finish()
    }
}

/// A store error: 503, since the store being down, locked or full is the usual cause and
/// the device retries later (it would too after a 500, but 503 says "try again").
fn store_failed(e: impl std::fmt::Display) -> Reply {
    warn!(error = %e, "storage failed");
    Reply::error(503, "storage unavailable")
}

/// The device channel id that identity bindings are kept under.
fn device_channel(resolved: &ResolvedEnrollment) -> &str {
    resolved.device_channel_id.as_str()
}

impl Service {
    /// A service over `store`, authenticating with `auth`, decoding within `max_bytes`.
    pub fn new(store: Arc<dyn Store>, auth: CertAuth, max_bytes: usize) -> Self {
        let limits = Limits {
            max_bytes,
            ..Limits::default()
        };
        Service {
            store,
            auth,
            limits,
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The server's counters (shared with the HTTP layer, which serves them).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Counts and logs a refusal, and answers it with `status` and `message`.
    fn refuse(
        &self,
        reason: Refusal,
        enrollment: Option<&str>,
        status: u16,
        message: impl Into<String>,
    ) -> Reply {
        let message = message.into();
        self.metrics.refused(reason, enrollment, &message);
        Reply::error(status, message)
    }

    /// Checks the request's certificate against the one bound to the enrollment.
    fn check_bound(
        &self,
        resolved: &ResolvedEnrollment,
        identity: &DeviceIdentity,
    ) -> Result<(), Reply> {
        let channel = device_channel(resolved);
        match self.store.identity(channel).map_err(store_failed)? {
            Some(bound) if bound.fingerprint == identity.fingerprint => Ok(()),
            Some(_) => Err(self.refuse(
                Refusal::IdentityMismatch,
                Some(channel),
                400,
                "certificate does not match the enrollment",
            )),
            None => Err(self.refuse(
                Refusal::UnknownEnrollment,
                Some(channel),
                400,
                "unknown enrollment: send Authenticate first",
            )),
        }
    }

    /// Handles a check-in body (`PUT` to the `CheckInURL`).
    pub fn checkin(&self, headers: &HeaderMap, body: &[u8]) -> Reply {
        let malformed = |m: String| self.refuse(Refusal::Malformed, None, 400, m);
        let msg = match CheckinMessage::decode_with(body, &self.limits) {
            Ok(m) => m,
            Err(e) => return malformed(format!("check-in: {e}")),
        };
        if let Message::Unknown { message_type, .. } = msg.message() {
            return malformed(format!("unknown MessageType {message_type:?}"));
        }
        let resolved = match msg.enrollment().resolve() {
            Ok(r) => r,
            Err(e) => return malformed(format!("check-in: {e}")),
        };
        let identity = match self.auth.identify(headers, body) {
            Ok(i) => i,
            Err(e) => {
                return self.refuse(Refusal::Signature, Some(&resolved.id()), 400, e);
            }
        };
        let id = resolved.id();
        let message_type = msg.message_type();
        let at = now();
        if !matches!(msg.message(), Message::Authenticate(_))
            && let Err(reply) = self.check_bound(&resolved, &identity)
        {
            return reply;
        }
        info!(enrollment = %id, message_type = %message_type.as_str(), "check-in");
        let reply = match self.handle_checkin(msg.message(), &resolved, &identity, at) {
            Ok(r) => r,
            Err(r) => return r,
        };
        // Only what was accepted goes into the log (a declined UserAuthenticate names a
        // user channel that does not exist); tracing above records every attempt.
        if reply.status < 300 {
            if let Err(e) = self
                .store
                .log_checkin(&id, message_type.as_str(), msg.raw(), at)
            {
                return store_failed(e);
            }
            self.metrics.checkin(message_type.as_str());
        }
        reply
    }

    fn handle_checkin(
        &self,
        message: &Message,
        resolved: &ResolvedEnrollment,
        identity: &DeviceIdentity,
        at: i64,
    ) -> Result<Reply, Reply> {
        let id = resolved.id();
        let parent = resolved.parent_id();
        match message {
            Message::Authenticate(m) => {
                if parent.is_some() {
                    return Err(Reply::error(400, "Authenticate on a user channel"));
                }
                // One certificate, one enrollment: a device may re-enroll with a new
                // certificate, but not claim another device's enrollment with its own.
                match self
                    .store
                    .enrollment_for_identity(&identity.fingerprint)
                    .map_err(store_failed)?
                {
                    Some(other) if other != id => {
                        return Err(self.refuse(
                            Refusal::IdentityMismatch,
                            Some(&id),
                            400,
                            format!("certificate already bound to another enrollment ({other})"),
                        ));
                    }
                    _ => {}
                }
                let facts = DeviceFacts {
                    udid: m.udid.as_ref().map(|u| u.as_str().to_owned()),
                    serial_number: m.serial_number.clone(),
                    model: m.model.clone().or_else(|| m.model_name.clone()),
                    product_name: m.product_name.clone(),
                    os_version: m.os_version.clone(),
                    device_name: m.device_name.clone(),
                    topic: Some(m.topic.as_str().to_owned()),
                };
                self.store
                    .authenticate(&id, None, &facts, at)
                    .map_err(store_failed)?;
                let bound = BoundIdentity {
                    fingerprint: identity.fingerprint.clone(),
                    subject: identity.certificate.subject(),
                };
                self.store
                    .bind_identity(&id, &bound)
                    .map_err(store_failed)?;
                Ok(Reply::empty())
            }
            Message::TokenUpdate(m) => {
                let push = PushInfo {
                    token: m.token.as_bytes().to_vec(),
                    push_magic: m.push_magic.as_str().to_owned(),
                    topic: m.topic.as_str().to_owned(),
                };
                let unlock = m.unlock_token.as_ref().map(|d| d.as_ref());
                self.store
                    .token_update(&id, parent, &push, unlock, at)
                    .map_err(store_failed)?;
                Ok(Reply::empty())
            }
            Message::CheckOut(_) => {
                self.store.check_out(&id, at).map_err(store_failed)?;
                Ok(Reply::empty())
            }
            // This server does not run user channels: 410 tells the device not to create one.
            Message::UserAuthenticate(_) => Ok(Reply::error(410, "user channels are not served")),
            Message::SetBootstrapToken(m) => {
                let token = if m.clears_token() {
                    None
                } else {
                    m.bootstrap_token.as_ref().map(|d| d.as_ref())
                };
                self.store
                    .set_bootstrap_token(device_channel(resolved), token)
                    .map_err(store_failed)?;
                Ok(Reply::empty())
            }
            Message::GetBootstrapToken(_) => {
                let token = self
                    .store
                    .bootstrap_token(device_channel(resolved))
                    .map_err(store_failed)?;
                let body = BootstrapTokenResponse::new(token)
                    .encode()
                    .map_err(|e| Reply::error(500, e.to_string()))?;
                Ok(Reply::ok(COMMAND_CONTENT_TYPE, body))
            }
            Message::DeclarativeManagement(m) => self.declarative(&id, m, at),
            Message::GetToken(_) => Ok(Reply::error(404, "no token service is configured")),
            // Refused before this point; kept for completeness of the match.
            _ => Ok(Reply::error(400, "unsupported check-in message")),
        }
    }

    /// The declarative-management endpoints, answered from the enrollment's stored set;
    /// a status report's items are stored.
    fn declarative(
        &self,
        id: &str,
        m: &mdm_checkin::DeclarativeManagement,
        at: i64,
    ) -> Result<Reply, Reply> {
        let body_of = m.endpoint.declaration().map(|(_, identifier)| identifier);
        let set = self
            .store
            .device_declarations(id, body_of)
            .map_err(store_failed)?;
        let answer = declarative::answer(&set, &m.endpoint, m.data.as_ref().map(|d| d.as_ref()));
        if let Some(report) = &answer.report {
            let rows = declarative::status_rows(report);
            self.store
                .record_declaration_status(id, report.is_full(), &rows, at)
                .map_err(store_failed)?;
            debug!(enrollment = %id, items = rows.len(), full = report.is_full(), "declarative status");
        }
        Ok(match answer.status {
            200 if answer.body.is_empty() => Reply::empty(),
            200 => Reply::ok("application/json", answer.body),
            status => Reply::error(status, String::from_utf8_lossy(&answer.body)),
        })
    }

    /// Handles a command report (`PUT` to the `ServerURL`): records the answer and sends
    /// the next command, or an empty 200 when the queue is empty.
    pub fn report(&self, headers: &HeaderMap, body: &[u8]) -> Reply {
        let resp = match CommandResponse::decode_with(body, &self.limits) {
            Ok(r) => r,
            Err(e) => {
                return self.refuse(
                    Refusal::Malformed,
                    None,
                    400,
                    format!("command report: {e}"),
                );
            }
        };
        let resolved = match response_enrollment(&resp)
            .and_then(|e| e.resolve().map_err(|e| format!("command report: {e}")))
        {
            Ok(r) => r,
            Err(e) => return self.refuse(Refusal::Malformed, None, 400, e),
        };
        let identity = match self.auth.identify(headers, body) {
            Ok(i) => i,
            Err(e) => {
                return self.refuse(Refusal::Signature, Some(&resolved.id()), 400, e);
            }
        };
        if let Err(reply) = self.check_bound(&resolved, &identity) {
            return reply;
        }
        let id = resolved.id();
        let at = now();
        match self.store.exists(&id) {
            Ok(true) => {}
            Ok(false) => {
                return self.refuse(
                    Refusal::UnknownEnrollment,
                    Some(&id),
                    400,
                    "unknown enrollment channel",
                );
            }
            Err(e) => return store_failed(e),
        }
        if resp.status != Status::Idle {
            let Some(uuid) = resp.command_uuid.as_ref() else {
                return self.refuse(
                    Refusal::Malformed,
                    Some(&id),
                    400,
                    "command report without CommandUUID",
                );
            };
            let request_type = match self.store.request_type(uuid.as_str()) {
                Ok(t) => t.map(|t| RequestType::from(t.as_str())),
                Err(e) => return store_failed(e),
            };
            let typed_error = typed_error(&resp, request_type.as_ref());
            let report = CommandReport {
                enrollment_id: &id,
                command_uuid: uuid.as_str(),
                status: resp.status.as_str(),
                raw: body,
                typed_error,
                at,
            };
            match self.store.record_report(&report) {
                Ok(true) => {
                    info!(enrollment = %id, command = uuid.as_str(), status = resp.status.as_str(), "command answered");
                    if resp.status == Status::Acknowledged
                        && let Some(update) = request_type
                            .as_ref()
                            .and_then(|t| inventory_update(t, resp.body()))
                        && let Err(e) = self.store.update_inventory(&id, &update, at)
                    {
                        return store_failed(e);
                    }
                }
                Ok(false) => {
                    warn!(enrollment = %id, command = uuid.as_str(), "answer to a command not queued for this device");
                }
                Err(e) => return store_failed(e),
            }
        } else {
            debug!(enrollment = %id, "idle");
        }
        if let Err(e) = self.store.seen(&id, at) {
            return store_failed(e);
        }
        self.metrics.report(resp.status.as_str());
        let skip_not_now = resp.status == Status::NotNow;
        match self.store.next_command(&id, skip_not_now, at) {
            Ok(Some(cmd)) => {
                debug!(enrollment = %id, command = %cmd.command_uuid, request_type = %cmd.request_type, "command sent");
                Reply::ok(COMMAND_CONTENT_TYPE, cmd.body)
            }
            Ok(None) => Reply::empty(),
            Err(e) => store_failed(e),
        }
    }
}

/// Why an answer's body does not fit the command's typed response, if it does not.
fn typed_error(resp: &CommandResponse, request_type: Option<&RequestType>) -> Option<String> {
    if resp.status != Status::Acknowledged {
        return None;
    }
    resp.body_for(request_type?).err().map(|e| e.to_string())
}

/// What an acknowledged answer changes in the device record: the facts of
/// `DeviceInformation`'s `QueryResponses`, or the latest `SecurityInfo`,
/// `InstalledApplicationList`, `ProfileList` or `CertificateList`. `None` for other
/// commands and for answers without the key.
pub fn inventory_update(
    request_type: &RequestType,
    body: &mdm_plist::Dictionary,
) -> Option<InventoryUpdate> {
    let json = |key: &str| body.get(key).map(|v| crate::plist_to_json(v).to_string());
    match request_type.as_str() {
        "DeviceInformation" => {
            let q = body.get("QueryResponses")?.as_dictionary()?;
            let text = |key: &str| q.get(key).and_then(|v| v.as_string()).map(str::to_owned);
            Some(InventoryUpdate {
                serial_number: text("SerialNumber"),
                model: text("Model").or_else(|| text("ModelName")),
                product_name: text("ProductName"),
                os_version: text("OSVersion"),
                build_version: text("BuildVersion"),
                device_name: text("DeviceName"),
                ..InventoryUpdate::default()
            })
        }
        "SecurityInfo" => Some(InventoryUpdate {
            security_info: Some(json("SecurityInfo")?),
            ..InventoryUpdate::default()
        }),
        "InstalledApplicationList" => Some(InventoryUpdate {
            installed_applications: Some(json("InstalledApplicationList")?),
            ..InventoryUpdate::default()
        }),
        "ProfileList" => Some(InventoryUpdate {
            profiles: Some(json("ProfileList")?),
            ..InventoryUpdate::default()
        }),
        "CertificateList" => Some(InventoryUpdate {
            certificates: Some(json("CertificateList")?),
            ..InventoryUpdate::default()
        }),
        _ => None,
    }
}

/// The enrollment keys of a command report.
fn response_enrollment(resp: &CommandResponse) -> Result<Enrollment, String> {
    let bad = |what: &str, e: mdm_types::Error| format!("command report: {what}: {e}");
    Ok(Enrollment {
        udid: resp
            .udid
            .clone()
            .map(Udid::new)
            .transpose()
            .map_err(|e| bad("UDID", e))?,
        enrollment_id: resp
            .enrollment_id
            .clone()
            .map(EnrollmentId::new)
            .transpose()
            .map_err(|e| bad("EnrollmentID", e))?,
        enrollment_user_id: resp
            .enrollment_user_id
            .clone()
            .map(EnrollmentId::new)
            .transpose()
            .map_err(|e| bad("EnrollmentUserID", e))?,
        user_id: resp.user_id.clone(),
        user_short_name: resp.user_short_name.clone(),
        user_long_name: resp.user_long_name.clone(),
    })
}
