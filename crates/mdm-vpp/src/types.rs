//! The wire types of the v2 endpoints: assets, assignments, users, events, the client and
//! service configuration.
//!
//! Field names follow Apple's JSON keys; every object keeps keys this crate does not know
//! in `extra`. Reference pages are linked from each type.

use chrono::{DateTime, Utc};
use mdm_types::{Platform, SerialNumber};

use crate::error::ErrorResponse;
use crate::ids::{AdamId, ClientUserId, EventId};
use crate::token::Secret;

open_enum! {
    /// The quality of a store product (`pricingParam`).
    PricingParam {
        /// Standard quality.
        Stdq = "STDQ",
        /// High quality (books).
        Plus = "PLUS",
    }
}

open_enum! {
    /// What kind of product an asset is (`productType`).
    ProductType {
        /// An app.
        App = "App",
        /// A book.
        Book = "Book",
    }
}

open_enum! {
    /// The state of a user (`status`, `userStatus`).
    UserStatus {
        /// Created, not yet associated with an Apple Account.
        Registered = "Registered",
        /// Associated with an Apple Account.
        Associated = "Associated",
        /// Retired.
        Retired = "Retired",
        /// Deleted (legacy).
        Deleted = "Deleted",
    }
}

open_enum! {
    /// Where an asynchronous event stands (`eventStatus`).
    EventStatus {
        /// Still being processed.
        Pending = "PENDING",
        /// Done; every item succeeded.
        Complete = "COMPLETE",
        /// Done; some or all items failed (see `failures`).
        Failed = "FAILED",
    }
}

open_enum! {
    /// What an asynchronous event does (`eventType`, a notification's `type`).
    EventType {
        /// Assets assigned.
        Associate = "ASSOCIATE",
        /// Assets unassigned.
        Disassociate = "DISASSOCIATE",
        /// Assets revoked.
        Revoke = "REVOKE",
        /// Users created.
        Create = "CREATE",
        /// Users updated.
        Update = "UPDATE",
        /// Users retired.
        Retire = "RETIRE",
    }
}

open_enum! {
    /// The kinds of notification Apple sends (`notificationType`).
    NotificationType {
        /// Sent when the client configuration is set.
        TestNotification = "TEST_NOTIFICATION",
        /// A licence count changed (purchase, transfer, refund).
        AssetCount = "ASSET_COUNT",
        /// The result of an associate, disassociate or revoke.
        AssetManagement = "ASSET_MANAGEMENT",
        /// The result of a user create, update or retire.
        UserManagement = "USER_MANAGEMENT",
        /// Users associated with an Apple Account.
        UserAssociated = "USER_ASSOCIATED",
        /// A subscription count changed.
        SubscriptionCount = "SUBSCRIPTION_COUNT",
        /// The result of a subscription associate or disassociate.
        SubscriptionManagement = "SUBSCRIPTION_MANAGEMENT",
        /// Unlimited assets changed (payload not documented).
        UnlimitedAsset = "UNLIMITED_ASSET",
    }
}

open_enum! {
    /// The outcome of an event in a notification (`result`).
    NotificationResult {
        /// Every item succeeded.
        Success = "SUCCESS",
        /// The event failed (see `error`).
        Failure = "FAILURE",
    }
}

open_enum! {
    /// The default store of a location (`defaultPlatform`).
    DefaultPlatform {
        /// The volume purchase store.
        VolumeStore = "volumestore",
        /// The enterprise store.
        EnterpriseStore = "enterprisestore",
    }
}

/// A platform an asset supports (`supportedPlatforms`): an `mdm-types` [`Platform`] when
/// Apple's spelling is one of its five, otherwise the string as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SupportedPlatform {
    /// `iOS`, `macOS`, `tvOS`, `visionOS` or `watchOS`.
    Known(Platform),
    /// Any other value, kept as sent.
    Other(String),
}

impl SupportedPlatform {
    /// The value for Apple's spelling.
    pub fn from_wire(s: &str) -> Self {
        Platform::ALL.iter().find(|p| p.as_str() == s).map_or_else(
            || SupportedPlatform::Other(s.to_owned()),
            |p| SupportedPlatform::Known(*p),
        )
    }

    /// Apple's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            SupportedPlatform::Known(p) => p.as_str(),
            SupportedPlatform::Other(s) => s,
        }
    }
}

impl serde::Serialize for SupportedPlatform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for SupportedPlatform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Ok(Self::from_wire(&s))
    }
}

json_object! {
    /// Who manages a location (`MdmInfo`), set through the client configuration and
    /// echoed in responses.
    /// See <https://developer.apple.com/documentation/devicemanagement/mdminfo>.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub struct MdmInfo {
        /// The MDM's identifier for the organization (what ownership checks compare).
        ["id", default] id: String,
        /// The MDM's name.
        ["name", default] name: String,
        /// Free-form metadata.
        ["metadata", default, skip_serializing_if = "Option::is_none"] metadata: Option<String>,
    }
}

impl MdmInfo {
    /// An `mdmInfo` with its id and name, no metadata.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        MdmInfo {
            id: id.into(),
            name: name.into(),
            metadata: None,
            extra: crate::Extra::new(),
        }
    }

    /// Sets the metadata (default none).
    #[must_use]
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> Self {
        self.metadata = Some(metadata.into());
        self
    }

    /// Whether `other` names the same MDM (the same `id`).
    pub fn same_mdm(&self, other: &MdmInfo) -> bool {
        self.id == other.id
    }
}

impl std::fmt::Display for MdmInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.name, self.id)
    }
}

json_object! {
    /// A product in a request or an error (`Asset`): its store id and quality.
    /// See <https://developer.apple.com/documentation/devicemanagement/asset>.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub struct Asset {
        /// The store id.
        ["adamId"] adam_id: AdamId,
        /// The quality; Apple assumes `STDQ` when absent.
        ["pricingParam", default, skip_serializing_if = "Option::is_none"] pricing_param: Option<PricingParam>,
    }
}

impl Asset {
    /// The asset with store id `adam_id`, quality left to Apple's default.
    pub fn new(adam_id: AdamId) -> Self {
        Asset {
            adam_id,
            pricing_param: None,
            extra: crate::Extra::new(),
        }
    }

    /// Sets the quality (default none: Apple's `STDQ`).
    #[must_use]
    pub fn with_pricing_param(mut self, pricing_param: PricingParam) -> Self {
        self.pricing_param = Some(pricing_param);
        self
    }
}

json_object! {
    /// A product the location owns licences for (`ResponseAsset`).
    /// See <https://developer.apple.com/documentation/devicemanagement/responseasset>.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ResponseAsset {
        /// The store id.
        ["adamId"] adam_id: AdamId,
        /// Licences in use.
        ["assignedCount", default] assigned_count: i64,
        /// Licences free to assign.
        ["availableCount", default] available_count: i64,
        /// Whether the asset can be assigned to a device (not only to a user).
        ["deviceAssignable", default] device_assignable: bool,
        /// The quality.
        ["pricingParam", default, skip_serializing_if = "Option::is_none"] pricing_param: Option<PricingParam>,
        /// App or book.
        ["productType", default, skip_serializing_if = "Option::is_none"] product_type: Option<ProductType>,
        /// Licences retired.
        ["retiredCount", default] retired_count: i64,
        /// Whether licences can be revoked.
        ["revocable", default] revocable: bool,
        /// All licences (2147483647 for unlimited free assets unless `unlimited` was asked).
        ["totalCount", default] total_count: i64,
        /// The platforms the asset runs on.
        ["supportedPlatforms", default, skip_serializing_if = "Vec::is_empty"] supported_platforms: Vec<SupportedPlatform>,
    }
}

json_object! {
    /// One page of `GET assets` (`GetAssetsResponse`).
    /// See <https://developer.apple.com/documentation/devicemanagement/get-assets-4ski1>.
    #[derive(Debug, Clone, PartialEq)]
    pub struct GetAssetsResponse {
        /// The assets of this page.
        ["assets", default] assets: Vec<ResponseAsset>,
        /// Unlimited assets (with `unlimited=true`), as sent.
        ["unlimitedAssets", default, skip_serializing_if = "Vec::is_empty"] unlimited_assets: Vec<serde_json::Value>,
        /// This page's index (zero-based).
        ["currentPageIndex", default] current_page_index: u32,
        /// The next page's index, while more pages remain.
        ["nextPageIndex", default, skip_serializing_if = "Option::is_none"] next_page_index: Option<u32>,
        /// Items on this page.
        ["size", default] size: u32,
        /// Pages in the traversal (may change while it runs).
        ["totalPages", default] total_pages: u32,
        /// When the content token expires (sent within 15 days of expiry, often always).
        ["tokenExpirationDate", default, with = "crate::date::option", skip_serializing_if = "Option::is_none"] token_expiration_date: Option<DateTime<Utc>>,
        /// The library's unique id.
        ["uId", default, skip_serializing_if = "Option::is_none"] uid: Option<String>,
        /// The version of the data this page was read from.
        ["versionId", default, skip_serializing_if = "Option::is_none"] version_id: Option<String>,
    }
}

json_object! {
    /// An assignment of an asset to a device or a user (in `GET assignments` and in
    /// `ASSET_MANAGEMENT` notifications).
    #[derive(Debug, Clone, PartialEq)]
    pub struct Assignment {
        /// The store id.
        ["adamId"] adam_id: AdamId,
        /// The quality.
        ["pricingParam", default, skip_serializing_if = "Option::is_none"] pricing_param: Option<PricingParam>,
        /// The user, for a user assignment.
        ["clientUserId", default, skip_serializing_if = "Option::is_none"] client_user_id: Option<ClientUserId>,
        /// The device, for a device assignment.
        ["serialNumber", default, skip_serializing_if = "Option::is_none"] serial_number: Option<SerialNumber>,
        /// The user's state (with `includeUserState`).
        ["userStatus", default, skip_serializing_if = "Option::is_none"] user_status: Option<UserStatus>,
        /// The user's Apple Account hash (with `includeUserState`).
        ["idHash", default, skip_serializing_if = "Option::is_none"] id_hash: Option<String>,
    }
}

json_object! {
    /// One page of `GET assignments` (`GetAssignmentsResponse`).
    /// See <https://developer.apple.com/documentation/devicemanagement/get-assignments-9wv1e>.
    #[derive(Debug, Clone, PartialEq)]
    pub struct GetAssignmentsResponse {
        /// The assignments of this page.
        ["assignments", default] assignments: Vec<Assignment>,
        /// This page's index (zero-based).
        ["currentPageIndex", default] current_page_index: u32,
        /// The next page's index, while more pages remain.
        ["nextPageIndex", default, skip_serializing_if = "Option::is_none"] next_page_index: Option<u32>,
        /// Items on this page.
        ["size", default] size: u32,
        /// Pages in the traversal.
        ["totalPages", default] total_pages: u32,
        /// When the content token expires.
        ["tokenExpirationDate", default, with = "crate::date::option", skip_serializing_if = "Option::is_none"] token_expiration_date: Option<DateTime<Utc>>,
        /// The library's unique id.
        ["uId", default, skip_serializing_if = "Option::is_none"] uid: Option<String>,
        /// The version of the data (pass the first page's as `sinceVersionId` next time).
        ["versionId", default, skip_serializing_if = "Option::is_none"] version_id: Option<String>,
    }
}

json_object! {
    /// A user of the location (`GET users`, `USER_MANAGEMENT`, `USER_ASSOCIATED`).
    /// The same `clientUserId` may appear several times: retired entries plus at most one
    /// active one.
    #[derive(Debug, Clone, PartialEq)]
    pub struct User {
        /// The MDM's id of the user.
        ["clientUserId"] client_user_id: ClientUserId,
        /// The user's email address.
        ["email", default, skip_serializing_if = "Option::is_none"] email: Option<String>,
        /// The invitation code (replace `%25inviteCode%25` of `urls.invitationEmail`).
        ["inviteCode", default, skip_serializing_if = "Option::is_none"] invite_code: Option<String>,
        /// The Apple Account hash, once associated.
        ["idHash", default, skip_serializing_if = "Option::is_none"] id_hash: Option<String>,
        /// The user's state.
        ["status", default, skip_serializing_if = "Option::is_none"] status: Option<UserStatus>,
    }
}

json_object! {
    /// One page of `GET users` (`GetUsersResponse`).
    /// See <https://developer.apple.com/documentation/devicemanagement/get-users-4mwln>.
    #[derive(Debug, Clone, PartialEq)]
    pub struct GetUsersResponse {
        /// The users of this page.
        ["users", default] users: Vec<User>,
        /// This page's index (zero-based).
        ["currentPageIndex", default] current_page_index: u32,
        /// The next page's index, while more pages remain.
        ["nextPageIndex", default, skip_serializing_if = "Option::is_none"] next_page_index: Option<u32>,
        /// Items on this page.
        ["size", default] size: u32,
        /// Pages in the traversal.
        ["totalPages", default] total_pages: u32,
        /// When the content token expires.
        ["tokenExpirationDate", default, with = "crate::date::option", skip_serializing_if = "Option::is_none"] token_expiration_date: Option<DateTime<Utc>>,
        /// The library's unique id.
        ["uId", default, skip_serializing_if = "Option::is_none"] uid: Option<String>,
        /// The version of the data.
        ["versionId", default, skip_serializing_if = "Option::is_none"] version_id: Option<String>,
    }
}

json_object! {
    /// The body of `assets/associate` and `assets/disassociate` (`ManageAssetsRequest`).
    /// See <https://developer.apple.com/documentation/devicemanagement/manageassetsrequest>.
    ///
    /// [`ManageAssetsRequest::chunks`](crate::ManageAssetsRequest::chunks) splits a large
    /// one by the service's limits.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ManageAssetsRequest {
        /// The assets (required, at most `maxAssets`).
        ["assets", default] assets: Vec<Asset>,
        /// Users to assign to (at most `maxClientUserIds`).
        ["clientUserIds", default, skip_serializing_if = "Vec::is_empty"] client_user_ids: Vec<ClientUserId>,
        /// Devices to assign to (at most `maxSerialNumbers`).
        ["serialNumbers", default, skip_serializing_if = "Vec::is_empty"] serial_numbers: Vec<SerialNumber>,
    }
}

impl ManageAssetsRequest {
    /// A request for `assets`, with no devices or users yet.
    pub fn new(assets: impl IntoIterator<Item = Asset>) -> Self {
        ManageAssetsRequest {
            assets: assets.into_iter().collect(),
            ..Default::default()
        }
    }

    /// Adds devices (default none).
    #[must_use]
    pub fn with_serial_numbers(mut self, serials: impl IntoIterator<Item = SerialNumber>) -> Self {
        self.serial_numbers.extend(serials);
        self
    }

    /// Adds users (default none).
    #[must_use]
    pub fn with_client_user_ids(mut self, users: impl IntoIterator<Item = ClientUserId>) -> Self {
        self.client_user_ids.extend(users);
        self
    }
}

json_object! {
    /// The body of `assets/revoke` (`RevokeAssetsRequest`): revokes every revocable asset
    /// of the devices and users named.
    /// See <https://developer.apple.com/documentation/devicemanagement/revokeassetsrequest>.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct RevokeAssetsRequest {
        /// Users (at most `maxRevokeClientUserIds`).
        ["clientUserIds", default, skip_serializing_if = "Vec::is_empty"] client_user_ids: Vec<ClientUserId>,
        /// Devices (at most `maxRevokeSerialNumbers`).
        ["serialNumbers", default, skip_serializing_if = "Vec::is_empty"] serial_numbers: Vec<SerialNumber>,
    }
}

impl RevokeAssetsRequest {
    /// Revokes the assets of `serials`.
    pub fn serial_numbers(serials: impl IntoIterator<Item = SerialNumber>) -> Self {
        RevokeAssetsRequest {
            serial_numbers: serials.into_iter().collect(),
            ..Default::default()
        }
    }

    /// Revokes the assets of `users`.
    pub fn client_user_ids(users: impl IntoIterator<Item = ClientUserId>) -> Self {
        RevokeAssetsRequest {
            client_user_ids: users.into_iter().collect(),
            ..Default::default()
        }
    }
}

json_object! {
    /// A user in `users/create`, `users/update` and `users/retire` (`RequestUser`).
    /// See <https://developer.apple.com/documentation/devicemanagement/requestuser>.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub struct RequestUser {
        /// The MDM's id of the user (required).
        ["clientUserId"] client_user_id: ClientUserId,
        /// The user's email address.
        ["email", default, skip_serializing_if = "Option::is_none"] email: Option<String>,
        /// The user's Managed Apple Account.
        ["managedAppleId", default, skip_serializing_if = "Option::is_none"] managed_apple_id: Option<String>,
    }
}

impl RequestUser {
    /// A user with just its id.
    pub fn new(client_user_id: ClientUserId) -> Self {
        RequestUser {
            client_user_id,
            email: None,
            managed_apple_id: None,
            extra: crate::Extra::new(),
        }
    }

    /// Sets the email address (default none).
    #[must_use]
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the Managed Apple Account (default none).
    #[must_use]
    pub fn with_managed_apple_id(mut self, id: impl Into<String>) -> Self {
        self.managed_apple_id = Some(id.into());
        self
    }
}

json_object! {
    /// The body of `users/create`, `users/update` and `users/retire` (`ManageUsersRequest`;
    /// retire reads only `clientUserId`).
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ManageUsersRequest {
        /// The users (at most `maxUsers`).
        ["users", default] users: Vec<RequestUser>,
    }
}

impl ManageUsersRequest {
    /// A request for `users`.
    pub fn new(users: impl IntoIterator<Item = RequestUser>) -> Self {
        ManageUsersRequest {
            users: users.into_iter().collect(),
            extra: crate::Extra::new(),
        }
    }
}

json_object! {
    /// The answer to every asynchronous call (`EventResponse`): the event to follow.
    /// See <https://developer.apple.com/documentation/devicemanagement/eventresponse>.
    #[derive(Debug, Clone, PartialEq)]
    pub struct EventResponse {
        /// The event.
        ["eventId"] event_id: EventId,
        /// When the content token expires.
        ["tokenExpirationDate", default, with = "crate::date::option", skip_serializing_if = "Option::is_none"] token_expiration_date: Option<DateTime<Utc>>,
        /// The library's unique id.
        ["uId", default, skip_serializing_if = "Option::is_none"] uid: Option<String>,
        /// Who manages the location, once set.
        ["mdmInfo", default, skip_serializing_if = "Option::is_none"] mdm_info: Option<MdmInfo>,
    }
}

json_object! {
    /// `GET status` (`StatusResponse`): where an event stands.
    /// See <https://developer.apple.com/documentation/devicemanagement/statusresponse>.
    #[derive(Debug, Clone, PartialEq)]
    pub struct StatusResponse {
        /// Pending, complete or failed.
        ["eventStatus"] event_status: EventStatus,
        /// What the event does.
        ["eventType", default, skip_serializing_if = "Option::is_none"] event_type: Option<EventType>,
        /// Per-item failures.
        ["failures", default, skip_serializing_if = "Vec::is_empty"] failures: Vec<ErrorResponse>,
        /// Who manages the location, once set.
        ["mdmInfo", default, skip_serializing_if = "Option::is_none"] mdm_info: Option<MdmInfo>,
        /// Items done so far.
        ["numCompleted", default] num_completed: i64,
        /// Items requested.
        ["numRequested", default] num_requested: i64,
        /// When the content token expires.
        ["tokenExpirationDate", default, with = "crate::date::option", skip_serializing_if = "Option::is_none"] token_expiration_date: Option<DateTime<Utc>>,
        /// The library's unique id.
        ["uId", default, skip_serializing_if = "Option::is_none"] uid: Option<String>,
    }
}

json_object! {
    /// `GET client/config` and the answer to `POST client/config` (`ClientConfigResponse`).
    /// See <https://developer.apple.com/documentation/devicemanagement/clientconfigresponse>.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ClientConfigResponse {
        /// The location's country (`countryISO2ACode`).
        ["countryISO2ACode", default, skip_serializing_if = "Option::is_none"] country_iso2a_code: Option<String>,
        /// The default store.
        ["defaultPlatform", default, skip_serializing_if = "Option::is_none"] default_platform: Option<DefaultPlatform>,
        /// The location's name.
        ["locationName", default, skip_serializing_if = "Option::is_none"] location_name: Option<String>,
        /// Who manages the location, once set.
        ["mdmInfo", default, skip_serializing_if = "Option::is_none"] mdm_info: Option<MdmInfo>,
        /// The bearer token Apple sends with notifications.
        ["notificationAuthToken", default, skip_serializing_if = "Option::is_none"] notification_auth_token: Option<Secret>,
        /// Where Apple sends notifications.
        ["notificationUrl", default, skip_serializing_if = "Option::is_none"] notification_url: Option<String>,
        /// The notification types subscribed to.
        ["subscribedNotificationTypes", default] subscribed_notification_types: Vec<NotificationType>,
        /// When the content token expires.
        ["tokenExpirationDate", default, with = "crate::date::option", skip_serializing_if = "Option::is_none"] token_expiration_date: Option<DateTime<Utc>>,
        /// The library's unique id.
        ["uId", default, skip_serializing_if = "Option::is_none"] uid: Option<String>,
        /// The organization's portal (`https://business.apple.com` or `https://school.apple.com`).
        ["websiteURL", default, skip_serializing_if = "Option::is_none"] website_url: Option<String>,
    }
}

json_object! {
    /// The body of `POST client/config` (`ClientConfigRequest`); fields left `None` are not
    /// changed. [`Api::update_client_config_request`](crate::Api::update_client_config_request)
    /// checks it against the live limits first.
    /// See <https://developer.apple.com/documentation/devicemanagement/clientconfigrequest>.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ClientConfigRequest {
        /// Who manages the location.
        ["mdmInfo", default, skip_serializing_if = "Option::is_none"] mdm_info: Option<MdmInfo>,
        /// Where Apple sends notifications (HTTPS; given together with the token).
        ["notificationUrl", default, skip_serializing_if = "Option::is_none"] notification_url: Option<String>,
        /// The bearer token Apple sends with notifications (given together with the URL).
        ["notificationAuthToken", default, skip_serializing_if = "Option::is_none"] notification_auth_token: Option<Secret>,
        /// The complete set of notification types to receive.
        ["notificationTypes", default, skip_serializing_if = "Option::is_none"] notification_types: Option<Vec<NotificationType>>,
    }
}

impl ClientConfigRequest {
    /// Sets `mdmInfo` (default unchanged).
    #[must_use]
    pub fn with_mdm_info(mut self, info: MdmInfo) -> Self {
        self.mdm_info = Some(info);
        self
    }

    /// Sets the notification URL and its bearer token (default unchanged).
    #[must_use]
    pub fn with_notifications(mut self, url: impl Into<String>, token: Secret) -> Self {
        self.notification_url = Some(url.into());
        self.notification_auth_token = Some(token);
        self
    }

    /// Sets the complete set of notification types (default unchanged).
    #[must_use]
    pub fn with_notification_types(
        mut self,
        types: impl IntoIterator<Item = NotificationType>,
    ) -> Self {
        self.notification_types = Some(types.into_iter().collect());
        self
    }
}

json_object! {
    /// An entry of the service configuration's `errorCodes`.
    #[derive(Debug, Clone, PartialEq)]
    pub struct ErrorCode {
        /// The message.
        ["errorMessage", default] error_message: String,
        /// The number.
        ["errorNumber"] error_number: crate::ErrorNumber,
    }
}

macro_rules! limits {
    ($( $(#[doc = $doc:literal])* $field:ident = $key:literal, $default:literal, $fname:literal; )*) => {
        json_object! {
            /// The service's published limits (`limits` of `service/config`). A limit the
            /// service leaves out takes the value of Apple's example.
            #[derive(Debug, Clone, PartialEq)]
            pub struct ServiceLimits {
                $( $(#[doc = $doc])* [$key, default = $fname] $field: u32, )*
            }
        }

        impl Default for ServiceLimits {
            fn default() -> Self {
                ServiceLimits {
                    $( $field: $default, )*
                    extra: crate::Extra::new(),
                }
            }
        }

        mod limit_default {
            $(
                pub(super) fn $field() -> u32 {
                    $default
                }
            )*
        }
    };
}

limits! {
    /// Assets in one associate or disassociate request (example 25).
    max_assets = "maxAssets", 25, "limit_default::max_assets";
    /// Users in one associate or disassociate request (example 1000).
    max_client_user_ids = "maxClientUserIds", 1000, "limit_default::max_client_user_ids";
    /// Devices in one associate or disassociate request (example 1000).
    max_serial_numbers = "maxSerialNumbers", 1000, "limit_default::max_serial_numbers";
    /// Users in one revoke request (example 100).
    max_revoke_client_user_ids = "maxRevokeClientUserIds", 100, "limit_default::max_revoke_client_user_ids";
    /// Devices in one revoke request (example 100).
    max_revoke_serial_numbers = "maxRevokeSerialNumbers", 100, "limit_default::max_revoke_serial_numbers";
    /// Users in one user-management request (example 100).
    max_users = "maxUsers", 100, "limit_default::max_users";
    /// Subscriptions in one request (example 25).
    max_subscriptions = "maxSubscriptions", 25, "limit_default::max_subscriptions";
    /// Users in one subscription request (example 1000).
    max_subscription_client_user_ids = "maxSubscriptionClientUserIds", 1000, "limit_default::max_subscription_client_user_ids";
    /// Length of the notification URL and token (example 512).
    max_notification_length = "maxNotificationLength", 512, "limit_default::max_notification_length";
    /// Length of `mdmInfo.name` (example 100).
    max_mdm_name_length = "maxMdmNameLength", 100, "limit_default::max_mdm_name_length";
    /// Length of `mdmInfo.metadata` (example 255).
    max_mdm_metadata_length = "maxMdmMetadataLength", 255, "limit_default::max_mdm_metadata_length";
    /// Length of `mdmInfo.id` (example 100).
    max_mdm_id_length = "maxMdmIdLength", 100, "limit_default::max_mdm_id_length";
    /// Requests per second per content token (example 15).
    max_request_per_second = "maxRequestPerSecond", 15, "limit_default::max_request_per_second";
}

json_object! {
    /// Where each endpoint lives (`urls` of `service/config`). Once the configuration is
    /// read, every request goes to these URLs.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ServiceUrls {
        /// `client/config`.
        ["clientConfig", default, skip_serializing_if = "Option::is_none"] client_config: Option<String>,
        /// `users/create`.
        ["createUsers", default, skip_serializing_if = "Option::is_none"] create_users: Option<String>,
        /// `assignments`.
        ["getAssignments", default, skip_serializing_if = "Option::is_none"] get_assignments: Option<String>,
        /// `assets/revoke`.
        ["revokeAssets", default, skip_serializing_if = "Option::is_none"] revoke_assets: Option<String>,
        /// The legacy content metadata lookup.
        ["contentMetadataLookup", default, skip_serializing_if = "Option::is_none"] content_metadata_lookup: Option<String>,
        /// `users`.
        ["getUsers", default, skip_serializing_if = "Option::is_none"] get_users: Option<String>,
        /// `status`.
        ["eventStatus", default, skip_serializing_if = "Option::is_none"] event_status: Option<String>,
        /// `assets/associate`.
        ["associateAssets", default, skip_serializing_if = "Option::is_none"] associate_assets: Option<String>,
        /// `assets/disassociate`.
        ["disassociateAssets", default, skip_serializing_if = "Option::is_none"] disassociate_assets: Option<String>,
        /// `users/update`.
        ["updateUsers", default, skip_serializing_if = "Option::is_none"] update_users: Option<String>,
        /// `assets`.
        ["getAssets", default, skip_serializing_if = "Option::is_none"] get_assets: Option<String>,
        /// `users/retire`.
        ["retireUsers", default, skip_serializing_if = "Option::is_none"] retire_users: Option<String>,
        /// The invitation page, with `%25inviteCode%25` to replace.
        ["invitationEmail", default, skip_serializing_if = "Option::is_none"] invitation_email: Option<String>,
    }
}

json_object! {
    /// `GET service/config` (`ServiceConfigResponse`): URLs, limits, error codes and
    /// notification types. Dynamic: re-read every five minutes
    /// ([`ServiceConfigCache`](crate::ServiceConfigCache)).
    /// See <https://developer.apple.com/documentation/devicemanagement/serviceconfigresponse>.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct ServiceConfig {
        /// Apple's list of error numbers and messages.
        ["errorCodes", default, skip_serializing_if = "Vec::is_empty"] error_codes: Vec<ErrorCode>,
        /// The limits.
        ["limits", default] limits: ServiceLimits,
        /// The notification types a client may subscribe to.
        ["notificationTypes", default, skip_serializing_if = "Vec::is_empty"] notification_types: Vec<NotificationType>,
        /// The endpoint URLs.
        ["urls", default] urls: ServiceUrls,
    }
}

impl ServiceConfig {
    /// A configuration with Apple's example limits and every URL under `base` (for
    /// example `https://vpp.itunes.apple.com/mdm/v2`), as the live one lists them.
    pub fn with_base_url(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        let u = |p: &str| Some(format!("{base}/{p}"));
        ServiceConfig {
            urls: ServiceUrls {
                client_config: u("client/config"),
                create_users: u("users/create"),
                get_assignments: u("assignments"),
                revoke_assets: u("assets/revoke"),
                content_metadata_lookup: None,
                get_users: u("users"),
                event_status: u("status"),
                associate_assets: u("assets/associate"),
                disassociate_assets: u("assets/disassociate"),
                update_users: u("users/update"),
                get_assets: u("assets"),
                retire_users: u("users/retire"),
                invitation_email: None,
                extra: crate::Extra::new(),
            },
            ..ServiceConfig::default()
        }
    }
}
