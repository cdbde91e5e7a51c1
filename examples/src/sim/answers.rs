//! How a simulated device answers commands: no I/O here, a [`DeviceState`] takes a command
//! and gives back the [`CommandResponse`] a device would send.

use std::collections::HashSet;

use mdm_commands::{
    AnyCommand, AnyRequest, CertificateListItem, CertificateListResponse, CommandResponse,
    CommandUuid, DeviceInformation, DeviceInformationMdmOptions, DeviceInformationQueryResponses,
    ErrorChainItem, InstalledApplicationList, InstalledApplicationListItem,
    InstalledApplicationListResponse, ProfileListItem, ProfileListPayloadContentItem,
    ProfileListResponse, SecurityInfoDetails, SecurityInfoFirewallSettings,
    SecurityInfoManagementStatus, SecurityInfoResponse, Status,
};
use mdm_plist::{Dictionary, Value};
use mdm_signing::{Certificate, Identity};

use super::declarative::DeclarativeState;
use super::error::SimError;
use super::facts::DeviceFacts;
use super::profile::{InstalledProfile, Refusal, read_installable};

/// Error domain of MDM-level refusals in the simulator's error chains.
pub const MDM_ERROR_DOMAIN: &str = "MCMDMErrorDomain";
/// Code the simulator puts in the error chain of a `CommandFormatError`.
pub const COMMAND_FORMAT_ERROR: i64 = 12001;
/// Code the simulator answers an unsupported `RequestType` with.
pub const UNSUPPORTED_COMMAND: i64 = 12021;
/// Code the simulator answers `RemoveProfile` of a profile it does not have with.
pub const PROFILE_NOT_FOUND: i64 = 12022;
/// Code the simulator answers `RemoveProfile` of the enrollment profile with.
pub const CANNOT_REMOVE: i64 = 12023;

/// The state a device keeps between commands, and its answering logic.
#[derive(Debug, Clone)]
pub struct DeviceState {
    facts: DeviceFacts,
    identity: Option<Identity>,
    ca_certificates: Vec<Certificate>,
    enrollment_profile: Option<String>,
    profiles: Vec<InstalledProfile>,
    not_now_every: Option<u32>,
    eligible: u64,
    deferred: HashSet<String>,
    declarative: DeclarativeState,
    sync_requested: bool,
}

/// What one answer was, for the run's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// `CommandUUID` of the command.
    pub command_uuid: String,
    /// Its `RequestType` (`?` when the command could not be read).
    pub request_type: String,
    /// The `Status` of the answer.
    pub status: String,
}

impl DeviceState {
    /// A device with these facts and no profiles, answering every `not_now_every`-th new
    /// command with `NotNow` (never when `None` or `Some(0)`).
    pub fn new(facts: DeviceFacts, not_now_every: Option<u32>) -> Self {
        DeviceState {
            facts,
            identity: None,
            ca_certificates: Vec::new(),
            enrollment_profile: None,
            profiles: Vec::new(),
            not_now_every: not_now_every.filter(|n| *n > 0),
            eligible: 0,
            deferred: HashSet::new(),
            declarative: DeclarativeState::new(),
            sync_requested: false,
        }
    }

    /// The device's facts.
    pub fn facts(&self) -> &DeviceFacts {
        &self.facts
    }

    /// Sets the identity from SCEP and the CA certificates that came with it.
    pub fn set_identity(&mut self, identity: Identity, ca_certificates: Vec<Certificate>) {
        self.identity = Some(identity);
        self.ca_certificates = ca_certificates;
    }

    /// The device identity, once enrolled.
    pub fn identity(&self) -> Option<&Identity> {
        self.identity.as_ref()
    }

    /// Records the enrollment profile (it cannot be removed with `RemoveProfile`).
    pub fn set_enrollment_profile(&mut self, profile: InstalledProfile) {
        self.enrollment_profile = Some(profile.identifier.clone());
        self.install(profile);
    }

    /// Installs a profile, replacing one with the same identifier.
    pub fn install(&mut self, profile: InstalledProfile) {
        self.profiles.retain(|p| p.identifier != profile.identifier);
        self.profiles.push(profile);
    }

    /// The installed profiles, enrollment profile first.
    pub fn profiles(&self) -> &[InstalledProfile] {
        &self.profiles
    }

    /// The declarative-management state.
    pub fn declarative(&self) -> &DeclarativeState {
        &self.declarative
    }

    /// The declarative-management state, to update.
    pub fn declarative_mut(&mut self) -> &mut DeclarativeState {
        &mut self.declarative
    }

    /// The status report to send now (see [`DeclarativeState::status_report`]).
    pub fn declarative_status_report(&mut self) -> Option<Vec<u8>> {
        self.declarative.status_report(&self.facts)
    }

    /// Whether a `DeclarativeManagement` command asked for a sync since the last call.
    pub fn take_sync_request(&mut self) -> bool {
        std::mem::take(&mut self.sync_requested)
    }

    /// The `Idle` status a poll starts with.
    pub fn idle(&self) -> CommandResponse {
        self.response(None, Status::Idle)
    }

    /// Answers command bytes as they came from the server. A command whose keys do not fit
    /// its schema gets `CommandFormatError`.
    ///
    /// # Errors
    /// [`SimError::BadCommand`] when the bytes are not a command plist with a
    /// `CommandUUID` (there is nothing to answer); [`SimError::Commands`] when the answer
    /// cannot be encoded.
    pub fn answer_bytes(&mut self, bytes: &[u8]) -> Result<(Answered, Vec<u8>), SimError> {
        let (request_type, response) = match AnyCommand::decode(bytes) {
            Ok(cmd) => (cmd.request_type.as_str().to_owned(), self.answer(&cmd)),
            Err(err) => {
                let value = mdm_plist::value_from_xml_bytes(bytes, &mdm_plist::Limits::default())
                    .map_err(|e| SimError::BadCommand(e.to_string()))?;
                let command = value.as_dictionary();
                let uuid = command
                    .and_then(|d| d.get("CommandUUID"))
                    .and_then(Value::as_string)
                    .and_then(|s| CommandUuid::new(s).ok())
                    .ok_or_else(|| SimError::BadCommand(format!("no CommandUUID ({err})")))?;
                let request_type = command
                    .and_then(|d| d.get("Command"))
                    .and_then(Value::as_dictionary)
                    .and_then(|c| c.get("RequestType"))
                    .and_then(Value::as_string)
                    .unwrap_or("?")
                    .to_owned();
                tracing::warn!(udid = %self.facts.udid, %uuid, "command format error: {err}");
                let mut r = self.response(Some(uuid), Status::CommandFormatError);
                r.error_chain = Some(vec![chain_item(
                    MDM_ERROR_DOMAIN,
                    COMMAND_FORMAT_ERROR,
                    &format!("The command could not be read: {err}"),
                )]);
                (request_type, r)
            }
        };
        let answered = Answered {
            command_uuid: response
                .command_uuid
                .as_ref()
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default(),
            request_type,
            status: response.status.as_str().to_owned(),
        };
        Ok((answered, response.encode()?))
    }

    /// Answers one command: `NotNow` when this delivery is one to defer, otherwise the
    /// command's result.
    pub fn answer(&mut self, cmd: &AnyCommand) -> CommandResponse {
        let uuid = cmd.command_uuid.clone();
        if self.defer(uuid.as_str()) {
            self.response(Some(uuid), Status::NotNow)
        } else {
            self.run(cmd)
        }
    }

    /// Says whether to answer `NotNow` to this delivery of command `uuid`: the n-th new
    /// command is deferred once, and answered for real when the server sends it again.
    fn defer(&mut self, uuid: &str) -> bool {
        let Some(n) = self.not_now_every else {
            return false;
        };
        if self.deferred.remove(uuid) {
            return false;
        }
        self.eligible += 1;
        if self.eligible.is_multiple_of(u64::from(n)) {
            self.deferred.insert(uuid.to_owned());
            return true;
        }
        false
    }

    fn run(&mut self, cmd: &AnyCommand) -> CommandResponse {
        let uuid = Some(cmd.command_uuid.clone());
        let body = match &cmd.payload {
            AnyRequest::DeviceInformation(q) => Ok(self.device_information(q)),
            AnyRequest::SecurityInfo(_) => Ok(self.security_info()),
            AnyRequest::ProfileList(_) => Ok(self.profile_list()),
            AnyRequest::InstallProfile(p) => self
                .install_profile(p.payload.as_ref())
                .map_err(|r| chain_item(r.domain, r.code, &r.message)),
            AnyRequest::RemoveProfile(p) => self
                .remove_profile(&p.identifier)
                .map_err(|r| chain_item(r.domain, r.code, &r.message)),
            AnyRequest::InstalledApplicationList(q) => Ok(self.applications(q)),
            AnyRequest::CertificateList(_) => Ok(self.certificate_list()),
            AnyRequest::DeviceLock(_)
            | AnyRequest::RestartDevice(_)
            | AnyRequest::ShutDownDevice(_) => Ok(Dictionary::new()),
            // Acknowledged at once; the sync runs after the poll, as on a device.
            AnyRequest::DeclarativeManagement(_) => {
                self.sync_requested = true;
                Ok(Dictionary::new())
            }
            _ => Err(chain_item(
                MDM_ERROR_DOMAIN,
                UNSUPPORTED_COMMAND,
                &format!(
                    "The MDM command {} is not supported by this device",
                    cmd.request_type
                ),
            )),
        };
        match body {
            Ok(extra) => {
                let mut r = self.response(uuid, Status::Acknowledged);
                r.extra = extra;
                r
            }
            Err(item) => {
                tracing::debug!(udid = %self.facts.udid, request_type = %cmd.request_type,
                    "answering Error: {:?}", item.us_english_description);
                let mut r = self.response(uuid, Status::Error);
                r.error_chain = Some(vec![item]);
                r
            }
        }
    }

    fn response(&self, uuid: Option<CommandUuid>, status: Status) -> CommandResponse {
        CommandResponse {
            udid: Some(self.facts.udid.clone()),
            enrollment_id: None,
            enrollment_user_id: None,
            user_id: None,
            user_short_name: None,
            user_long_name: None,
            command_uuid: uuid,
            status,
            error_chain: None,
            request_type: None,
            not_on_console: None,
            extra: Dictionary::new(),
        }
    }

    /// Every query the simulator can answer, as the device would fill it in.
    fn all_device_information(&self) -> DeviceInformationQueryResponses {
        let f = &self.facts;
        DeviceInformationQueryResponses {
            udid: Some(f.udid.clone()),
            device_name: Some(f.device_name.clone()),
            os_version: Some(f.os_version.clone()),
            build_version: Some(f.build_version.clone()),
            model_name: Some(f.model_name.clone()),
            model: Some(f.model.clone()),
            product_name: Some(f.product_name.clone()),
            serial_number: Some(f.serial_number.clone()),
            device_capacity: Some(f.capacity_gb),
            available_device_capacity: Some(f.available_gb),
            battery_level: f.battery_level,
            has_battery: Some(f.battery_level.is_some()),
            imei: f.imei.clone(),
            is_supervised: Some(f.supervised),
            is_multi_user: Some(false),
            is_device_locator_service_enabled: Some(true),
            is_activation_lock_enabled: Some(false),
            is_activation_lock_supported: Some(true),
            is_do_not_disturb_in_effect: Some(false),
            is_cloud_backup_enabled: Some(!f.is_mac()),
            is_mdm_lost_mode_enabled: (!f.is_mac()).then_some(false),
            awaiting_configuration: Some(false),
            wifi_mac: Some(f.wifi_mac.clone()),
            bluetooth_mac: Some(f.bluetooth_mac.clone()),
            time_zone: Some("Europe/Paris".to_owned()),
            local_host_name: f.is_mac().then(|| format!("sim-mac-{}", f.index)),
            host_name: f.is_mac().then(|| format!("sim-mac-{}.local", f.index)),
            system_integrity_protection_enabled: f.is_mac().then_some(true),
            is_apple_silicon: f.is_mac().then_some(true),
            mdm_options: Some(DeviceInformationMdmOptions {
                activation_lock_allowed_while_supervised: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn device_information(&self, q: &DeviceInformation) -> Dictionary {
        let all =
            mdm_plist::tagged::to_dictionary(&self.all_device_information()).unwrap_or_default();
        let wanted: HashSet<&str> = q.queries.iter().map(|k| k.as_str()).collect();
        // An empty query list asks for everything the device knows.
        let answers: Dictionary = all
            .into_iter()
            .filter(|(k, _)| wanted.is_empty() || wanted.contains(k.as_str()))
            .collect();
        let mut out = Dictionary::new();
        out.insert("QueryResponses".to_owned(), Value::Dictionary(answers));
        out
    }

    fn security_info(&self) -> Dictionary {
        let mac = self.facts.is_mac();
        let info = SecurityInfoDetails {
            hardware_encryption_caps: (!mac).then_some(3),
            passcode_present: Some(true),
            passcode_compliant: Some(true),
            passcode_compliant_with_profiles: Some(true),
            passcode_lock_grace_period_enforced: (!mac).then_some(0),
            fde_enabled: mac.then_some(true),
            fde_has_personal_recovery_key: mac.then_some(true),
            fde_has_institutional_recovery_key: mac.then_some(false),
            system_integrity_protection_enabled: mac.then_some(true),
            firewall_settings: mac.then(|| SecurityInfoFirewallSettings {
                firewall_enabled: Some(true),
                block_all_incoming: Some(false),
                stealth_mode: Some(false),
                ..Default::default()
            }),
            management_status: Some(SecurityInfoManagementStatus {
                enrolled_via_dep: Some(false),
                user_approved_enrollment: Some(true),
                is_user_enrollment: Some(false),
                is_activation_lock_manageable: Some(self.facts.supervised),
                ..Default::default()
            }),
            ..Default::default()
        };
        body(&SecurityInfoResponse {
            security_info: Some(info),
            ..Default::default()
        })
    }

    fn profile_list(&self) -> Dictionary {
        let items = self
            .profiles
            .iter()
            .map(|p| ProfileListItem {
                payload_uuid: p.uuid.clone(),
                payload_identifier: Some(p.identifier.clone()),
                payload_version: p.version,
                payload_display_name: p.display_name.clone(),
                payload_organization: p.organization.clone(),
                payload_description: p.description.clone(),
                payload_removal_disallowed: Some(p.removal_disallowed),
                has_removal_passcode: Some(false),
                is_encrypted: Some(p.encrypted),
                is_managed: (!self.facts.is_mac()).then_some(p.managed),
                signer_certificates: (!p.signer_certificates.is_empty()).then(|| {
                    p.signer_certificates
                        .iter()
                        .map(|d| mdm_plist::Data::new(d.clone()))
                        .collect()
                }),
                payload_content: Some(
                    p.payloads
                        .iter()
                        .map(|c| ProfileListPayloadContentItem {
                            payload_type: Some(c.payload_type.clone()),
                            payload_version: c.version,
                            payload_identifier: c.identifier.clone(),
                            payload_uuid: c.uuid.clone(),
                            payload_display_name: c.display_name.clone(),
                            payload_description: c.description.clone(),
                            payload_organization: c.organization.clone(),
                            ..Default::default()
                        })
                        .collect(),
                ),
                ..Default::default()
            })
            .collect();
        body(&ProfileListResponse {
            profile_list: Some(items),
            ..Default::default()
        })
    }

    fn install_profile(&mut self, payload: &[u8]) -> Result<Dictionary, Refusal> {
        match read_installable(payload, self.identity.as_ref()) {
            Ok(p) => {
                if self.enrollment_profile.as_deref() == Some(p.identifier.as_str()) {
                    return Err(Refusal {
                        domain: super::profile::PROFILE_ERROR_DOMAIN,
                        code: 4001,
                        message: "A profile with the enrollment profile's identifier cannot be \
                                  installed"
                            .to_owned(),
                    });
                }
                tracing::debug!(udid = %self.facts.udid, identifier = %p.identifier, "installed profile");
                self.install(p);
                Ok(Dictionary::new())
            }
            Err(refusal) => Err(refusal),
        }
    }

    fn remove_profile(&mut self, identifier: &str) -> Result<Dictionary, Refusal> {
        if self.enrollment_profile.as_deref() == Some(identifier) {
            return Err(Refusal {
                domain: MDM_ERROR_DOMAIN,
                code: CANNOT_REMOVE,
                message: "The enrollment profile cannot be removed with RemoveProfile".to_owned(),
            });
        }
        let before = self.profiles.len();
        self.profiles.retain(|p| p.identifier != identifier);
        if self.profiles.len() == before {
            return Err(Refusal {
                domain: MDM_ERROR_DOMAIN,
                code: PROFILE_NOT_FOUND,
                message: format!("The profile {identifier} is not installed"),
            });
        }
        Ok(Dictionary::new())
    }

    fn applications(&self, q: &InstalledApplicationList) -> Dictionary {
        let mac = self.facts.is_mac();
        let catalog: &[(&str, &str, &str, i64, bool)] = if mac {
            &[
                ("com.apple.iWork.Pages", "Pages", "14.1", 512_000_000, false),
                (
                    "com.apple.iWork.Keynote",
                    "Keynote",
                    "14.1",
                    734_000_000,
                    false,
                ),
                (
                    "com.microsoft.Outlook",
                    "Microsoft Outlook",
                    "16.86",
                    2_100_000_000,
                    true,
                ),
                (
                    "com.google.Chrome",
                    "Google Chrome",
                    "126.0.6478.127",
                    1_200_000_000,
                    false,
                ),
                (
                    "com.tinyspeck.slackmacgap",
                    "Slack",
                    "4.39.90",
                    480_000_000,
                    true,
                ),
            ]
        } else {
            &[
                ("com.apple.Pages", "Pages", "14.1", 420_000_000, false),
                ("com.apple.Keynote", "Keynote", "14.1", 610_000_000, false),
                (
                    "com.microsoft.Office.Outlook",
                    "Microsoft Outlook",
                    "4.2423.0",
                    310_000_000,
                    true,
                ),
                (
                    "com.google.chrome.ios",
                    "Google Chrome",
                    "126.0.6478.153",
                    260_000_000,
                    false,
                ),
                (
                    "com.tinyspeck.chatlyio",
                    "Slack",
                    "24.06.10",
                    190_000_000,
                    true,
                ),
            ]
        };
        let only_managed = q.managed_apps_only.unwrap_or(false);
        let wanted = q.identifiers.as_ref();
        let items = catalog
            .iter()
            .filter(|(_, _, _, _, managed)| !only_managed || *managed)
            .filter(|(id, ..)| wanted.is_none_or(|w| w.iter().any(|x| x == id)))
            .map(
                |(id, name, version, size, _)| InstalledApplicationListItem {
                    identifier: Some((*id).to_owned()),
                    name: Some((*name).to_owned()),
                    short_version: Some((*version).to_owned()),
                    version: Some((*version).to_owned()),
                    bundle_size: Some(*size),
                    dynamic_size: Some(size / 10),
                    is_validated: Some(true),
                    installing: Some(false),
                    app_store_vendable: Some(true),
                    device_based_vpp: Some(false),
                    beta_app: Some(false),
                    ad_hoc_code_signed: Some(false),
                    has_update_available: Some(false),
                    ..Default::default()
                },
            )
            .collect();
        body(&InstalledApplicationListResponse {
            installed_application_list: Some(items),
            ..Default::default()
        })
    }

    fn certificate_list(&self) -> Dictionary {
        let item = |c: &Certificate, identity: bool| CertificateListItem {
            common_name: c.common_name(),
            is_identity: Some(identity),
            data: c.to_der().ok().map(mdm_plist::Data::new),
            ..Default::default()
        };
        let mut items = Vec::new();
        if let Some(id) = &self.identity {
            items.push(item(id.certificate(), true));
        }
        for c in &self.ca_certificates {
            items.push(item(c, false));
        }
        body(&CertificateListResponse {
            certificate_list: Some(items),
            ..Default::default()
        })
    }
}

/// One error chain entry with the same text in both descriptions.
pub fn chain_item(domain: &str, code: i64, message: &str) -> ErrorChainItem {
    ErrorChainItem {
        error_code: Some(code),
        error_domain: Some(domain.to_owned()),
        localized_description: Some(message.to_owned()),
        us_english_description: Some(message.to_owned()),
        ..Default::default()
    }
}

/// A typed response body as the dictionary that goes next to `Status`.
fn body<T: serde::Serialize>(value: &T) -> Dictionary {
    // Encoding a generated response type into a dictionary cannot fail: every field is a
    // plist value. An empty body would still be a valid answer.
    mdm_plist::tagged::to_dictionary(value).unwrap_or_default()
}
