//! The JSON objects of the Device Assignment API, named after Apple's keys, every
//! documented field present, unknown keys kept in `extra`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mdm_types::{Platform, SerialNumber};

use crate::error::Error;
use crate::json::{Extra, json_object};

mdm_plist::open_enum! {
    /// `profile_status` of a device.
    pub enum ProfileStatus {
        /// No profile assigned.
        Empty = "empty",
        /// A profile is assigned and the device has not fetched it yet.
        Assigned = "assigned",
        /// The device fetched its profile.
        Pushed = "pushed",
        /// The profile was removed.
        Removed = "removed",
    }
}

mdm_plist::open_enum! {
    /// `device_family` of a device (protocol version 2 and later).
    pub enum DeviceFamily {
        /// iPad.
        IPad = "iPad",
        /// iPhone.
        IPhone = "iPhone",
        /// iPod touch.
        IPod = "iPod",
        /// Mac.
        Mac = "Mac",
        /// Apple TV.
        AppleTv = "AppleTV",
        /// Apple Vision Pro.
        Vision = "Vision",
    }
}

mdm_plist::open_enum! {
    /// `os` of a device (protocol version 2 and later; `iPadOS` from version 7). See
    /// [`DeviceOs::platform`] for the shared [`Platform`].
    pub enum DeviceOs {
        /// iOS.
        IOS = "iOS",
        /// iPadOS.
        IPadOS = "iPadOS",
        /// macOS, spelled `OSX` by this service.
        OSX = "OSX",
        /// tvOS.
        TvOS = "tvOS",
        /// visionOS.
        VisionOS = "visionOS",
        /// watchOS (beta enrollment tokens).
        WatchOS = "watchOS",
        /// HomePod software (beta enrollment tokens).
        HomePodOS = "homePodOS",
    }
}

impl DeviceOs {
    /// The shared [`Platform`] (`iPadOS` is iOS, `OSX` is macOS), or `None` for values
    /// `mdm-types` does not model.
    pub fn platform(&self) -> Option<Platform> {
        self.as_str().parse().ok()
    }
}

mdm_plist::open_enum! {
    /// `op_type` of a device in sync results.
    pub enum OpType {
        /// The device was assigned to this server.
        Added = "added",
        /// The device's record changed.
        Modified = "modified",
        /// The device was unassigned or released.
        Deleted = "deleted",
    }
}

mdm_plist::open_enum! {
    /// The per-device result of disown, define, assign and remove profile calls.
    pub enum DeviceStatus {
        /// Done.
        Success = "SUCCESS",
        /// The device is not assigned to this server.
        NotAccessible = "NOT_ACCESSIBLE",
        /// It failed.
        Failed = "FAILED",
        /// Assign Profile is throttling this device; retry after `retry_after_seconds`.
        Throttled = "THROTTLED",
    }
}

mdm_plist::open_enum! {
    /// `response_status` of an activation lock request.
    pub enum ActivationLockStatus {
        /// The device is locked.
        Success = "SUCCESS",
        /// The device is not assigned to this server.
        NotAccessible = "NOT_ACCESSIBLE",
        /// The organization cannot use this feature.
        OrgNotSupported = "ORG_NOT_SUPPORTED",
        /// The device cannot be locked this way.
        DeviceNotSupported = "DEVICE_NOT_SUPPORTED",
        /// The device is already locked.
        DeviceAlreadyLocked = "DEVICE_ALREADY_LOCKED",
        /// It failed.
        Failed = "FAILED",
    }
}

mdm_plist::open_enum! {
    /// `org_type` of the account.
    pub enum OrgType {
        /// Apple School Manager.
        Edu = "edu",
        /// Apple Business Manager.
        Org = "org",
        /// A TV provider.
        TvProvider = "tvprovider",
    }
}

mdm_plist::open_enum! {
    /// `org_version` of the account.
    pub enum OrgVersion {
        /// The older programme.
        V1 = "v1",
        /// Apple Business Manager or Apple School Manager.
        V2 = "v2",
    }
}

mdm_plist::open_enum! {
    /// Items of `skip_setup_items`, Setup Assistant panes to skip. Apple changes the list
    /// every year; unknown names are kept.
    pub enum SkipKey {
        /// `Accessibility`.
        Accessibility = "Accessibility",
        /// `AccessibilityAppearance`.
        AccessibilityAppearance = "AccessibilityAppearance",
        /// `ActionButton`.
        ActionButton = "ActionButton",
        /// `Android`.
        Android = "Android",
        /// `Appearance`.
        Appearance = "Appearance",
        /// `AppleID`.
        AppleId = "AppleID",
        /// `AppStore`.
        AppStore = "AppStore",
        /// `Biometric`.
        Biometric = "Biometric",
        /// `CameraButton`.
        CameraButton = "CameraButton",
        /// `DeviceFeaturesTour`.
        DeviceFeaturesTour = "DeviceFeaturesTour",
        /// `DeviceToDeviceMigration`.
        DeviceToDeviceMigration = "DeviceToDeviceMigration",
        /// `Diagnostics`.
        Diagnostics = "Diagnostics",
        /// `DisplayTone` (deprecated).
        DisplayTone = "DisplayTone",
        /// `EnableLockdownMode`.
        EnableLockdownMode = "EnableLockdownMode",
        /// `FileVault`.
        FileVault = "FileVault",
        /// `HomeButtonSensitivity` (deprecated).
        HomeButtonSensitivity = "HomeButtonSensitivity",
        /// `iCloudDiagnostics`.
        ICloudDiagnostics = "iCloudDiagnostics",
        /// `iCloudStorage`.
        ICloudStorage = "iCloudStorage",
        /// `iMessageAndFaceTime`.
        IMessageAndFaceTime = "iMessageAndFaceTime",
        /// `Intelligence`.
        Intelligence = "Intelligence",
        /// `Keyboard`.
        Keyboard = "Keyboard",
        /// `LiquidGlass`.
        LiquidGlass = "LiquidGlass",
        /// `Location`.
        Location = "Location",
        /// `MessagingActivationUsingPhoneNumber`.
        MessagingActivationUsingPhoneNumber = "MessagingActivationUsingPhoneNumber",
        /// `Multitasking`.
        Multitasking = "Multitasking",
        /// `OnBoarding` (deprecated).
        OnBoarding = "OnBoarding",
        /// `OSShowcase`.
        OsShowcase = "OSShowcase",
        /// `Passcode`.
        Passcode = "Passcode",
        /// `Payment`.
        Payment = "Payment",
        /// `Privacy`.
        Privacy = "Privacy",
        /// `Restore`.
        Restore = "Restore",
        /// `RestoreCompleted`.
        RestoreCompleted = "RestoreCompleted",
        /// `Safety`.
        Safety = "Safety",
        /// `SafetyAndHandling`.
        SafetyAndHandling = "SafetyAndHandling",
        /// `ScreenSaver`.
        ScreenSaver = "ScreenSaver",
        /// `ScreenTime`.
        ScreenTime = "ScreenTime",
        /// `SIMSetup`.
        SimSetup = "SIMSetup",
        /// `Siri`.
        Siri = "Siri",
        /// `SoftwareUpdate`.
        SoftwareUpdate = "SoftwareUpdate",
        /// `SpokenLanguage`.
        SpokenLanguage = "SpokenLanguage",
        /// `TapToSetup`.
        TapToSetup = "TapToSetup",
        /// `TermsOfAddress`.
        TermsOfAddress = "TermsOfAddress",
        /// `Tips`.
        Tips = "Tips",
        /// `TOS`.
        Tos = "TOS",
        /// `TVHomeScreenSync`.
        TvHomeScreenSync = "TVHomeScreenSync",
        /// `TVProviderSignIn`.
        TvProviderSignIn = "TVProviderSignIn",
        /// `TVRoom`.
        TvRoom = "TVRoom",
        /// `UnlockWithWatch`.
        UnlockWithWatch = "UnlockWithWatch",
        /// `UpdateCompleted`.
        UpdateCompleted = "UpdateCompleted",
        /// `Wallpaper`.
        Wallpaper = "Wallpaper",
        /// `WatchMigration`.
        WatchMigration = "WatchMigration",
        /// `WebContentFiltering`.
        WebContentFiltering = "WebContentFiltering",
        /// `Welcome`.
        Welcome = "Welcome",
        /// `Zoom` (deprecated).
        Zoom = "Zoom",
    }
}

impl crate::json::Skip for ProfileStatus {}
impl crate::json::Skip for DeviceStatus {}
impl crate::json::Skip for ActivationLockStatus {}

json_object! {
    /// A device as fetch, sync and device details return it
    /// (<https://developer.apple.com/documentation/devicemanagement/device>), every field
    /// up to protocol version 10.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct Device {
        /// `serial_number`.
        "serial_number" => pub serial_number: SerialNumber,
        /// `model`, for example `MacBook Pro`.
        "model" => pub model: Option<String>,
        /// `description`, the sales description.
        "description" => pub description: Option<String>,
        /// `color` (missing on some models).
        "color" => pub color: Option<String>,
        /// `asset_tag`.
        "asset_tag" => pub asset_tag: Option<String>,
        /// `profile_status`.
        "profile_status" => pub profile_status: Option<ProfileStatus>,
        /// `profile_uuid` of the assigned profile.
        "profile_uuid" => pub profile_uuid: Option<String>,
        /// `profile_assign_time`.
        "profile_assign_time" @date => pub profile_assign_time: Option<DateTime<Utc>>,
        /// `profile_push_time`.
        "profile_push_time" @date => pub profile_push_time: Option<DateTime<Utc>>,
        /// `device_assigned_date`.
        "device_assigned_date" @date => pub device_assigned_date: Option<DateTime<Utc>>,
        /// `device_assigned_by`, an email address.
        "device_assigned_by" => pub device_assigned_by: Option<String>,
        /// `os` (version 2 and later); [`DeviceOs::platform`] maps it to [`Platform`].
        "os" => pub os: Option<DeviceOs>,
        /// `device_family` (version 2 and later).
        "device_family" => pub device_family: Option<DeviceFamily>,
        /// `op_type` (sync only).
        "op_type" => pub op_type: Option<OpType>,
        /// `op_date` (sync only).
        "op_date" @date => pub op_date: Option<DateTime<Utc>>,
        /// `mdm_migration_deadline` (version 8 and later).
        "mdm_migration_deadline" @date => pub mdm_migration_deadline: Option<DateTime<Utc>>,
        /// `eid` (version 10 and later).
        "eid" => pub eid: Option<String>,
        /// `imei` (version 10 and later).
        "imei" => pub imei: Option<Vec<String>>,
        /// `meid` (version 10 and later).
        "meid" => pub meid: Option<Vec<String>>,
        /// `wifi_mac_address` (version 10 and later).
        "wifi_mac_address" => pub wifi_mac_address: Option<String>,
        /// `ethernet_mac_address` (version 10 and later).
        "ethernet_mac_address" => pub ethernet_mac_address: Option<String>,
        /// `bluetooth_mac_address` (version 10 and later).
        "bluetooth_mac_address" => pub bluetooth_mac_address: Option<String>,
        /// `is_replacement_device` (version 10 and later).
        "is_replacement_device" => pub is_replacement_device: Option<bool>,
        /// `released_by_replacement` (sync with `op_type=deleted`, version 10 and later).
        "released_by_replacement" => pub released_by_replacement: Option<bool>,
        /// `response_status` (device details only; undocumented).
        "response_status" => pub response_status: Option<DeviceStatus>,
    }
}

impl Device {
    /// A device with only its serial number.
    pub fn new(serial_number: SerialNumber) -> Self {
        Device {
            serial_number,
            model: None,
            description: None,
            color: None,
            asset_tag: None,
            profile_status: None,
            profile_uuid: None,
            profile_assign_time: None,
            profile_push_time: None,
            device_assigned_date: None,
            device_assigned_by: None,
            os: None,
            device_family: None,
            op_type: None,
            op_date: None,
            mdm_migration_deadline: None,
            eid: None,
            imei: None,
            meid: None,
            wifi_mac_address: None,
            ethernet_mac_address: None,
            bluetooth_mac_address: None,
            is_replacement_device: None,
            released_by_replacement: None,
            response_status: None,
            extra: Extra::new(),
        }
    }

    /// The shared [`Platform`] of `os`, when known.
    pub fn platform(&self) -> Option<Platform> {
        self.os.as_ref().and_then(DeviceOs::platform)
    }
}

json_object! {
    /// The body of fetch (`POST /server/devices`) and sync (`POST /devices/sync`) answers.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct DevicePage {
        /// `cursor`: hand it to the next fetch or sync; persist it.
        "cursor" => pub cursor: Option<String>,
        /// `devices`.
        "devices" => pub devices: Option<Vec<Device>>,
        /// `fetched_until`: how far the server has got.
        "fetched_until" @date => pub fetched_until: Option<DateTime<Utc>>,
        /// `more_to_follow`: ask again at once with `cursor`.
        "more_to_follow" => pub more_to_follow: Option<bool>,
    }
}

impl DevicePage {
    /// Reads a fetch or sync response body.
    ///
    /// # Errors
    /// [`Error::MalformedResponse`], [`Error::ResponseTooLarge`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        crate::json::decode("device page", bytes)
    }

    /// Writes the page as JSON.
    ///
    /// # Errors
    /// Only if serialization fails.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::json::encode(self)
    }

    /// Whether the server has more for this cursor (`more_to_follow`, false when absent).
    pub fn has_more(&self) -> bool {
        self.more_to_follow.unwrap_or(false)
    }
}

json_object! {
    /// The request body of fetch and sync.
    #[derive(Debug, Clone, PartialEq, Default)]
    #[non_exhaustive]
    pub struct DevicePageRequest {
        /// `cursor`; left out on the first fetch, required for sync.
        "cursor" => pub cursor: Option<String>,
        /// `limit`: devices per page.
        "limit" => pub limit: Option<u32>,
    }
}

json_object! {
    /// A list of serial numbers: the body of device details and disown (`{"devices": [...]}`).
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct DeviceListRequest {
        /// `devices`.
        "devices" => pub devices: Vec<SerialNumber>,
    }
}

json_object! {
    /// The answer of device details: each serial's record.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct DeviceDetails {
        /// `devices`, by serial number.
        "devices" => pub devices: BTreeMap<String, Device>,
    }
}

json_object! {
    /// A per-serial status map: the answer of disown and remove profile.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct DeviceStatuses {
        /// `devices`, by serial number.
        "devices" => pub devices: BTreeMap<String, DeviceStatus>,
    }
}

json_object! {
    /// The body of an activation lock request.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct ActivationLockRequest {
        /// `device`: the serial number.
        "device" => pub device: SerialNumber,
        /// `escrow_key`: 64 hex digits, the hashed bypass code.
        "escrow_key" => pub escrow_key: Option<String>,
        /// `lost_message` shown on the device.
        "lost_message" => pub lost_message: Option<String>,
    }
}

impl ActivationLockRequest {
    /// A request to lock `device`.
    pub fn new(device: SerialNumber) -> Self {
        ActivationLockRequest {
            device,
            escrow_key: None,
            lost_message: None,
            extra: Extra::new(),
        }
    }

    /// Sets `escrow_key` (64 hex digits; checked before sending).
    pub fn with_escrow_key(mut self, key: impl Into<String>) -> Self {
        self.escrow_key = Some(key.into());
        self
    }

    /// Sets `lost_message`.
    pub fn with_lost_message(mut self, message: impl Into<String>) -> Self {
        self.lost_message = Some(message.into());
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if let Some(k) = &self.escrow_key
            && (k.len() != 64 || !k.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(Error::InvalidRequest(
                "escrow_key must be 64 hex digits".into(),
            ));
        }
        Ok(())
    }
}

json_object! {
    /// The answer of an activation lock request.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct ActivationLockResponse {
        /// `serial_number`.
        "serial_number" => pub serial_number: Option<String>,
        /// `response_status`.
        "response_status" => pub response_status: ActivationLockStatus,
    }
}

json_object! {
    /// The answer of `GET /device/replacementDetails` (protocol version 10 and later).
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct ReplacementDetails {
        /// `serial_number` of the replacement.
        "serial_number" => pub serial_number: Option<String>,
        /// `original_device_serial_number`.
        "original_device_serial_number" => pub original_device_serial_number: Option<String>,
        /// `replacement_date` (a day; midnight UTC).
        "replacement_date" @date => pub replacement_date: Option<DateTime<Utc>>,
    }
}

json_object! {
    /// One beta enrollment token.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct BetaEnrollmentToken {
        /// `title`, for example `iOS 26 Public Beta`.
        "title" => pub title: Option<String>,
        /// `os`.
        "os" => pub os: Option<DeviceOs>,
        /// `token`.
        "token" => pub token: Option<String>,
    }
}

json_object! {
    /// The answer of `GET /os-beta-enrollment/tokens`.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct BetaEnrollmentTokens {
        /// `betaEnrollmentTokens`.
        "betaEnrollmentTokens" => pub beta_enrollment_tokens: Option<Vec<BetaEnrollmentToken>>,
        /// `seedBuildTokens` (undocumented, seen from real servers).
        "seedBuildTokens" => pub seed_build_tokens: Option<Vec<BetaEnrollmentToken>>,
    }
}

json_object! {
    /// `limit` of an account URL: the page sizes a path accepts.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct Limit {
        /// `default`.
        "default" => pub default: Option<u32>,
        /// `maximum`.
        "maximum" => pub maximum: Option<u32>,
    }
}

json_object! {
    /// One entry of the account's `urls`: a path, its methods and its limit.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct AccountUrl {
        /// `uri`, a path such as `/server/devices`.
        "uri" => pub uri: String,
        /// `http_method`.
        "http_method" => pub http_method: Option<Vec<String>>,
        /// `limit`.
        "limit" => pub limit: Option<Limit>,
    }
}

json_object! {
    /// The answer of `GET /account`
    /// (<https://developer.apple.com/documentation/devicemanagement/accountdetail>).
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct AccountDetail {
        /// `server_name`.
        "server_name" => pub server_name: Option<String>,
        /// `server_uuid`.
        "server_uuid" => pub server_uuid: Option<String>,
        /// `admin_id`.
        "admin_id" => pub admin_id: Option<String>,
        /// `facilitator_id` (deprecated).
        "facilitator_id" => pub facilitator_id: Option<String>,
        /// `org_name`.
        "org_name" => pub org_name: Option<String>,
        /// `org_email`.
        "org_email" => pub org_email: Option<String>,
        /// `org_phone`.
        "org_phone" => pub org_phone: Option<String>,
        /// `org_address`.
        "org_address" => pub org_address: Option<String>,
        /// `org_id` (version 3 and later).
        "org_id" => pub org_id: Option<String>,
        /// `org_id_hash` (version 3 and later).
        "org_id_hash" => pub org_id_hash: Option<String>,
        /// `org_type` (version 3 and later).
        "org_type" => pub org_type: Option<OrgType>,
        /// `org_version` (version 3 and later).
        "org_version" => pub org_version: Option<OrgVersion>,
        /// `urls` (version 3 and later).
        "urls" => pub urls: Option<Vec<AccountUrl>>,
    }
}

impl AccountDetail {
    /// The `urls` entry for `path`, if listed.
    pub fn url(&self, path: &str) -> Option<&AccountUrl> {
        self.urls.as_ref()?.iter().find(|u| u.uri == path)
    }

    /// The page limit to use for `path` (`/server/devices` or `/devices/sync`): the listed
    /// `default`, else [`DEFAULT_PAGE_LIMIT`], never above the listed `maximum` (or
    /// [`MAX_PAGE_LIMIT`] when none is listed).
    pub fn page_limit(&self, path: &str) -> u32 {
        let limit = self.url(path).and_then(|u| u.limit.as_ref());
        let max = limit
            .and_then(|l| l.maximum)
            .unwrap_or(MAX_PAGE_LIMIT)
            .max(1);
        limit
            .and_then(|l| l.default)
            .unwrap_or(DEFAULT_PAGE_LIMIT)
            .clamp(1, max)
    }

    /// The most serials one request to `path` may carry: the listed `maximum`, else
    /// [`MAX_DEVICES_PER_REQUEST`].
    pub fn device_limit(&self, path: &str) -> usize {
        self.url(path)
            .and_then(|u| u.limit.as_ref())
            .and_then(|l| l.maximum)
            .map_or(MAX_DEVICES_PER_REQUEST, |m| {
                usize::try_from(m).unwrap_or(MAX_DEVICES_PER_REQUEST).max(1)
            })
    }
}

/// Page size asked for when the account lists none (Apple's schemas give 100 as the server
/// default; this asks for the documented maximum).
pub const DEFAULT_PAGE_LIMIT: u32 = 1000;
/// Largest page size sent when the account lists no `maximum`.
pub const MAX_PAGE_LIMIT: u32 = 1000;
/// Most serial numbers in one assign, remove, disown or details request.
pub const MAX_DEVICES_PER_REQUEST: usize = 1000;

json_object! {
    /// An enrollment profile for Setup Assistant
    /// (<https://developer.apple.com/documentation/devicemanagement/profile>): the body of
    /// define profile and the answer of get profile. [`Profile::validate`] checks Apple's
    /// length and flag rules; the client calls it before sending.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct Profile {
        /// `profile_name` (required; 1 to 125 characters).
        "profile_name" => pub profile_name: String,
        /// `url`, the MDM enrollment URL (required; at most 2000 characters).
        "url" => pub url: String,
        /// `allow_pairing` (default true; deprecated in iOS 13).
        "allow_pairing" => pub allow_pairing: Option<bool>,
        /// `is_supervised` (default false).
        "is_supervised" => pub is_supervised: Option<bool>,
        /// `is_mandatory` (default false).
        "is_mandatory" => pub is_mandatory: Option<bool>,
        /// `is_mdm_removable` (default true; false only with supervision).
        "is_mdm_removable" => pub is_mdm_removable: Option<bool>,
        /// `is_multi_user` (Shared iPad; version 2 and later).
        "is_multi_user" => pub is_multi_user: Option<bool>,
        /// `is_return_to_service` (iOS and visionOS 26 and later).
        "is_return_to_service" => pub is_return_to_service: Option<bool>,
        /// `do_not_use_profile_from_backup` (iOS and visionOS 26 and later).
        "do_not_use_profile_from_backup" => pub do_not_use_profile_from_backup: Option<bool>,
        /// `await_device_configured` (version 2 and later).
        "await_device_configured" => pub await_device_configured: Option<bool>,
        /// `auto_advance_setup` (version 2 and later).
        "auto_advance_setup" => pub auto_advance_setup: Option<bool>,
        /// `configuration_web_url`, for web-view authentication.
        "configuration_web_url" => pub configuration_web_url: Option<String>,
        /// `department` (at most 125 characters).
        "department" => pub department: Option<String>,
        /// `support_phone_number` (at most 50 characters).
        "support_phone_number" => pub support_phone_number: Option<String>,
        /// `support_email_address` (at most 250 characters; version 2 and later).
        "support_email_address" => pub support_email_address: Option<String>,
        /// `org_magic` (at most 256 characters).
        "org_magic" => pub org_magic: Option<String>,
        /// `language`, ISO 639-1 or 639-2 (2 or 3 letters).
        "language" => pub language: Option<String>,
        /// `region`, ISO 3166-1 alpha-2.
        "region" => pub region: Option<String>,
        /// `anchor_certs`, base64 DER certificates.
        "anchor_certs" => pub anchor_certs: Option<Vec<String>>,
        /// `supervising_host_certs`, base64 DER certificates.
        "supervising_host_certs" => pub supervising_host_certs: Option<Vec<String>>,
        /// `skip_setup_items`.
        "skip_setup_items" => pub skip_setup_items: Option<Vec<SkipKey>>,
        /// `devices`: serial numbers to assign at define time.
        "devices" => pub devices: Option<Vec<SerialNumber>>,
        /// `profile_uuid` (get profile answers only).
        "profile_uuid" => pub profile_uuid: Option<String>,
    }
}

/// Longest `profile_name`, `department` (characters).
pub const MAX_PROFILE_NAME_CHARS: usize = 125;
/// Longest profile `url` (characters).
pub const MAX_PROFILE_URL_CHARS: usize = 2000;

impl Profile {
    /// A profile with its two required fields.
    pub fn new(profile_name: impl Into<String>, url: impl Into<String>) -> Self {
        Profile {
            profile_name: profile_name.into(),
            url: url.into(),
            allow_pairing: None,
            is_supervised: None,
            is_mandatory: None,
            is_mdm_removable: None,
            is_multi_user: None,
            is_return_to_service: None,
            do_not_use_profile_from_backup: None,
            await_device_configured: None,
            auto_advance_setup: None,
            configuration_web_url: None,
            department: None,
            support_phone_number: None,
            support_email_address: None,
            org_magic: None,
            language: None,
            region: None,
            anchor_certs: None,
            supervising_host_certs: None,
            skip_setup_items: None,
            devices: None,
            profile_uuid: None,
            extra: Extra::new(),
        }
    }

    /// Reads a profile (a get profile answer, or a file for define).
    ///
    /// # Errors
    /// [`Error::MalformedResponse`], [`Error::ResponseTooLarge`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        crate::json::decode("profile", bytes)
    }

    /// Writes the profile as JSON.
    ///
    /// # Errors
    /// Only if serialization fails.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::json::encode(self)
    }

    /// Checks Apple's documented rules for define profile, naming the code Apple would
    /// answer with: `CONFIG_NAME_*`, `CONFIG_URL_*`, `DEPARTMENT_INVALID`, `FLAGS_INVALID`,
    /// `LOCALE_INVALID`, `MAGIC_INVALID`, `SUPPORT_EMAIL_INVALID`, `SUPPORT_PHONE_INVALID`.
    ///
    /// ```
    /// let mut p = mdm_dep::Profile::new("Staff Macs", "https://mdm.example.com/enroll");
    /// assert!(p.validate().is_ok());
    /// p.is_mdm_removable = Some(false);
    /// assert!(p.validate().unwrap_err().to_string().contains("FLAGS_INVALID"));
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the first rule broken.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |code: &str, why: &str| Err(Error::InvalidRequest(format!("{code}: {why}")));
        let chars = |s: &str| s.chars().count();
        if self.profile_name.is_empty() {
            return bad("CONFIG_NAME_REQUIRED", "profile_name is empty");
        }
        if chars(&self.profile_name) > MAX_PROFILE_NAME_CHARS {
            return bad("CONFIG_NAME_INVALID", "profile_name is over 125 characters");
        }
        if self.url.is_empty() {
            return bad("CONFIG_URL_REQUIRED", "url is empty");
        }
        if chars(&self.url) > MAX_PROFILE_URL_CHARS
            || self
                .url
                .parse::<http::Uri>()
                .map_or(true, |u| u.scheme().is_none())
        {
            return bad(
                "CONFIG_URL_INVALID",
                "url must be an absolute URL of at most 2000 characters",
            );
        }
        let over = |v: &Option<String>, max: usize| v.as_deref().is_some_and(|s| chars(s) > max);
        if over(&self.department, 125) {
            return bad("DEPARTMENT_INVALID", "department is over 125 characters");
        }
        if over(&self.org_magic, 256) {
            return bad("MAGIC_INVALID", "org_magic is over 256 characters");
        }
        if over(&self.support_email_address, 250) {
            return bad(
                "SUPPORT_EMAIL_INVALID",
                "support_email_address is over 250 characters",
            );
        }
        if over(&self.support_phone_number, 50) {
            return bad(
                "SUPPORT_PHONE_INVALID",
                "support_phone_number is over 50 characters",
            );
        }
        if self.is_mdm_removable == Some(false) && self.is_supervised != Some(true) {
            return bad(
                "FLAGS_INVALID",
                "is_mdm_removable=false needs is_supervised=true",
            );
        }
        if let Some(lang) = &self.language
            && !(2..=3).contains(&lang.len())
        {
            return bad("LOCALE_INVALID", "language must be 2 or 3 letters");
        }
        if let Some(lang) = &self.language
            && !lang.bytes().all(|b| b.is_ascii_alphabetic())
        {
            return bad("LOCALE_INVALID", "language must be 2 or 3 letters");
        }
        if let Some(region) = &self.region
            && (region.len() != 2 || !region.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return bad("LOCALE_INVALID", "region must be 2 letters");
        }
        Ok(())
    }
}

json_object! {
    /// The answer of define profile.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct DefineProfileResponse {
        /// `profile_uuid` of the new profile.
        "profile_uuid" => pub profile_uuid: String,
        /// `devices`: the status of each serial given in the profile's `devices`.
        "devices" => pub devices: Option<BTreeMap<String, DeviceStatus>>,
    }
}

json_object! {
    /// The body of assign profile.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct AssignProfileRequest {
        /// `profile_uuid`.
        "profile_uuid" => pub profile_uuid: String,
        /// `devices` (at most 1000).
        "devices" => pub devices: Vec<SerialNumber>,
    }
}

json_object! {
    /// The answer of assign profile.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct AssignProfileResponse {
        /// `profile_uuid`.
        "profile_uuid" => pub profile_uuid: Option<String>,
        /// `devices`: each serial's status, `THROTTLED` from version 9.
        "devices" => pub devices: BTreeMap<String, DeviceStatus>,
        /// `retry_after_seconds` for the throttled devices (version 10 and later).
        "retry_after_seconds" => pub retry_after_seconds: Option<u64>,
    }
}

json_object! {
    /// The body of remove profile.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct RemoveProfileRequest {
        /// `devices`.
        "devices" => pub devices: Vec<SerialNumber>,
        /// `profile_uuid` (accepted, apparently unused).
        "profile_uuid" => pub profile_uuid: Option<String>,
    }
}

json_object! {
    /// The body of `POST /account-driven-enrollment/profile`, and the answer of its GET.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct AccountDrivenEnrollmentProfile {
        /// `mdm_service_discovery_url` (HTTPS).
        "mdm_service_discovery_url" => pub mdm_service_discovery_url: Option<String>,
        /// `last_updated_timestamp` (GET only).
        "last_updated_timestamp" @date => pub last_updated_timestamp: Option<DateTime<Utc>>,
    }
}

json_object! {
    /// The answer of `GET /session`.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct SessionResponse {
        /// `auth_session_token`.
        "auth_session_token" => pub auth_session_token: String,
    }
}

macro_rules! decode_encode {
    ($($name:ident => $what:literal),* $(,)?) => {
        $(
            impl $name {
                /// Reads this object from JSON.
                ///
                /// # Errors
                /// [`Error::MalformedResponse`], [`Error::ResponseTooLarge`].
                pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
                    crate::json::decode($what, bytes)
                }

                /// Writes this object as JSON.
                ///
                /// # Errors
                /// Only if serialization fails.
                pub fn encode(&self) -> Result<Vec<u8>, Error> {
                    crate::json::encode(self)
                }
            }
        )*
    };
}

decode_encode! {
    Device => "device",
    DevicePageRequest => "fetch or sync request",
    DeviceListRequest => "device list",
    DeviceDetails => "device details",
    DeviceStatuses => "device status",
    ActivationLockRequest => "activation lock request",
    ActivationLockResponse => "activation lock",
    ReplacementDetails => "replacement details",
    BetaEnrollmentTokens => "beta enrollment tokens",
    AccountDetail => "account",
    DefineProfileResponse => "define profile",
    AssignProfileRequest => "assign profile request",
    AssignProfileResponse => "assign profile",
    RemoveProfileRequest => "remove profile request",
    AccountDrivenEnrollmentProfile => "account-driven enrollment profile",
    SessionResponse => "session",
}

impl crate::json::Skip for Limit {}
impl crate::json::Skip for DeviceOs {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_dates_survive() {
        let json = br#"{"serial_number":"C02X","op_date":"not a date","future_key":{"a":1},"os":"xrOS-2"}"#;
        let d = Device::decode(json).unwrap();
        assert_eq!(d.op_date, None);
        assert_eq!(d.extra["op_date"], "not a date");
        assert_eq!(d.extra["future_key"]["a"], 1);
        assert_eq!(d.os, Some(DeviceOs::Other("xrOS-2".into())));
        let again = Device::decode(&d.encode().unwrap()).unwrap();
        assert_eq!(again, d);
    }

    #[test]
    fn os_maps_to_platform() {
        assert_eq!(DeviceOs::OSX.platform(), Some(Platform::MacOS));
        assert_eq!(DeviceOs::IPadOS.platform(), Some(Platform::IOS));
        assert_eq!(DeviceOs::HomePodOS.platform(), None);
    }

    #[test]
    fn duplicate_and_missing_keys_refused() {
        assert!(Device::decode(br#"{"serial_number":"A","serial_number":"B"}"#).is_err());
        assert!(Device::decode(br#"{"model":"x"}"#).is_err());
        assert!(Device::decode(br#"{"serial_number":"has space"}"#).is_err());
    }

    #[test]
    fn profile_rules() {
        let ok = Profile::new("n", "https://x.example/enroll");
        assert!(ok.validate().is_ok());
        let mut p = ok.clone();
        p.profile_name = "x".repeat(126);
        assert!(p.validate().is_err());
        let mut p = ok.clone();
        p.language = Some("english".into());
        assert!(p.validate().is_err());
        let mut p = ok.clone();
        p.is_mdm_removable = Some(false);
        p.is_supervised = Some(true);
        assert!(p.validate().is_ok());
        let mut p = ok;
        p.url = "not a url".into();
        assert!(p.validate().is_err());
    }
}
