//! The check-in messages a device sends, one type per `MessageType`.
//!
//! Keys and types follow Apple's schema in `mdm/checkin/*.yaml` of
//! [apple/device-management](https://github.com/apple/device-management) (iOS 18.1 release).
//! Fields are declared in the order devices write them (sorted by key), so a message a device
//! sent re-encodes with its keys in the same order. Keys not modelled here land in `extra` and
//! are written back after the modelled ones.
//!
//! The schema marks many keys "required" that are only present on some platforms or
//! enrollment kinds (a user enrollment has no `UDID`; `NotOnConsole` comes only on the macOS
//! user channel). Those are `Option`s here; a field is required only when every device sends
//! it.

use mdm_plist::{Data, Dictionary};
use mdm_types::{DeviceToken, EnrollmentId, PushMagic, Topic, Udid};

use crate::enrollment::Enrollment;

mdm_plist::open_enum! {
    /// The `MessageType` of a check-in message.
    pub enum MessageType {
        /// [`Authenticate`]: the first message of an enrollment.
        Authenticate = "Authenticate",
        /// [`TokenUpdate`]: push token for a channel, sent after `Authenticate` and when it
        /// changes.
        TokenUpdate = "TokenUpdate",
        /// [`CheckOut`]: the device left management.
        CheckOut = "CheckOut",
        /// [`UserAuthenticate`]: a macOS directory user asks to be managed.
        UserAuthenticate = "UserAuthenticate",
        /// [`GetBootstrapToken`]: a Mac asks for its escrowed bootstrap token.
        GetBootstrapToken = "GetBootstrapToken",
        /// [`SetBootstrapToken`]: a Mac escrows (or clears) its bootstrap token.
        SetBootstrapToken = "SetBootstrapToken",
        /// [`DeclarativeManagement`]: a declarative-management request.
        DeclarativeManagement = "DeclarativeManagement",
        /// [`GetToken`]: the device asks the server for a service token.
        GetToken = "GetToken",
    }
}

mdm_plist::open_enum! {
    /// The service a [`GetToken`] request asks a token for (`TokenServiceType`).
    pub enum TokenServiceType {
        /// Managed Apple Account (`com.apple.maid`).
        ManagedAppleAccount = "com.apple.maid",
        /// Apple Watch pairing (`com.apple.watch.pairing`).
        WatchPairing = "com.apple.watch.pairing",
    }
}

mdm_plist::open_enum! {
    /// What a [`DeclarativeManagement`] request asks for (`Endpoint`).
    ///
    /// A request for one declaration has the form `declaration/<type>/<identifier>` and is
    /// kept as `Other`; [`DeclarativeEndpoint::declaration`] splits it.
    pub enum DeclarativeEndpoint {
        /// The synchronization tokens.
        Tokens = "tokens",
        /// The declaration manifest.
        DeclarationItems = "declaration-items",
        /// A status report (the report is in `Data`).
        Status = "status",
    }
}

impl DeclarativeEndpoint {
    /// For a `declaration/<type>/<identifier>` endpoint, the declaration type and
    /// identifier.
    pub fn declaration(&self) -> Option<(&str, &str)> {
        self.as_str()
            .strip_prefix("declaration/")?
            .split_once('/')
            .filter(|(kind, id)| !kind.is_empty() && !id.is_empty())
    }
}

mdm_plist::plist_dict! {
    /// `Authenticate`: the first check-in of an enrollment, sent once the device has
    /// installed the enrollment profile. The server answers with an empty 200 to accept it.
    ///
    /// Platforms (schema `supportedOS`): iOS 4+, macOS 10.7+, tvOS 10.2+, visionOS 1.1+,
    /// watchOS 10+; device channel only. `DeviceName`, `Model` and `ModelName` come from
    /// macOS only; iOS 9+ adds `OSVersion`, `BuildVersion`, `ProductName`, `SerialNumber`,
    /// `IMEI` and `MEID`. A user enrollment sends `EnrollmentID` (iOS 13+, macOS 10.15+)
    /// instead of `UDID` and never sends serial numbers or IMEI/MEID.
    ///
    /// [Apple documentation](https://developer.apple.com/documentation/devicemanagement/authenticaterequest)
    #[derive(Debug, Clone, PartialEq)]
    pub struct Authenticate {
        /// OS build (`BuildVersion`), e.g. `22A380`.
        "BuildVersion" => pub build_version: Option<String>,
        /// The device's name (`DeviceName`), macOS only.
        "DeviceName" => pub device_name: Option<String>,
        /// Per-enrollment device identifier (`EnrollmentID`), user enrollment only.
        "EnrollmentID" => pub enrollment_id: Option<EnrollmentId>,
        /// `IMEI` of a cellular device.
        "IMEI" => pub imei: Option<String>,
        /// `MEID` of a cellular device.
        "MEID" => pub meid: Option<String>,
        /// Always [`MessageType::Authenticate`].
        "MessageType" => pub message_type: MessageType,
        /// Hardware model (`Model`), e.g. `iMac14,2`, macOS only.
        "Model" => pub model: Option<String>,
        /// Model family (`ModelName`), e.g. `iMac`, macOS only.
        "ModelName" => pub model_name: Option<String>,
        /// OS version (`OSVersion`), e.g. `17.1`.
        "OSVersion" => pub os_version: Option<String>,
        /// Product name (`ProductName`), e.g. `iPad2,5`.
        "ProductName" => pub product_name: Option<String>,
        /// Serial number (`SerialNumber`); absent for user enrollments.
        "SerialNumber" => pub serial_number: Option<String>,
        /// APNs topic the device subscribes to (`Topic`).
        "Topic" => pub topic: Topic,
        /// Device identifier (`UDID`); absent for user enrollments.
        "UDID" => pub udid: Option<Udid>,
    }
}

impl Authenticate {
    /// A message with the required keys set and every optional key absent.
    pub fn new(topic: Topic) -> Self {
        Authenticate {
            build_version: None,
            device_name: None,
            enrollment_id: None,
            imei: None,
            meid: None,
            message_type: MessageType::Authenticate,
            model: None,
            model_name: None,
            os_version: None,
            product_name: None,
            serial_number: None,
            topic,
            udid: None,
            extra: Dictionary::new(),
        }
    }

    /// The enrollment identity this message carries.
    pub fn enrollment(&self) -> Enrollment {
        Enrollment {
            udid: self.udid.clone(),
            enrollment_id: self.enrollment_id.clone(),
            ..Enrollment::default()
        }
    }
}

mdm_plist::plist_dict! {
    /// `TokenUpdate`: the push token, push magic and (on iOS) unlock token for one channel.
    /// Sent after `Authenticate`, on each user channel's first check-in, and whenever the
    /// token changes; a server may push to the enrollment once it has one.
    ///
    /// Platforms: iOS 4+, macOS 10.7+, tvOS 10.2+, visionOS 1.1+, watchOS 10+; device and
    /// user channel. On the macOS user channel `UserID`, `UserShortName`, `UserLongName`
    /// and `NotOnConsole` (10.11+) are present; a Shared iPad user sends `UserShortName`
    /// and the fixed `UserID` `FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF` (iOS 9.3+). A user
    /// enrollment sends `EnrollmentID` (and on macOS 10.15+ `EnrollmentUserID` on the user
    /// channel) instead of `UDID`. `UnlockToken` is iOS, visionOS and watchOS only and needs
    /// the `AllowPasscodeRemovalAndLock` access right.
    ///
    /// [Apple documentation](https://developer.apple.com/documentation/devicemanagement/tokenupdaterequest)
    #[derive(Debug, Clone, PartialEq)]
    pub struct TokenUpdate {
        /// `true` while the device waits in Setup Assistant for a `DeviceConfigured` (device
        /// channel) or `UserConfigured` (Shared iPad user channel) command; absent means
        /// `false`.
        "AwaitingConfiguration" => pub awaiting_configuration: Option<bool>,
        /// Per-enrollment device identifier (`EnrollmentID`), user enrollment only.
        "EnrollmentID" => pub enrollment_id: Option<EnrollmentId>,
        /// Per-enrollment user identifier (`EnrollmentUserID`), user channel of a user
        /// enrollment on macOS.
        "EnrollmentUserID" => pub enrollment_user_id: Option<EnrollmentId>,
        /// Always [`MessageType::TokenUpdate`].
        "MessageType" => pub message_type: MessageType,
        /// `true` when the macOS user is not the one at the console (`NotOnConsole`).
        "NotOnConsole" => pub not_on_console: Option<bool>,
        /// The string to put in the push payload's `mdm` key (`PushMagic`).
        "PushMagic" => pub push_magic: PushMagic,
        /// The APNs device token (`Token`).
        "Token" => pub token: DeviceToken,
        /// APNs topic (`Topic`).
        "Topic" => pub topic: Topic,
        /// Device identifier (`UDID`); absent for user enrollments.
        "UDID" => pub udid: Option<Udid>,
        /// Escrow data for `ClearPasscode` (`UnlockToken`); keep it secret.
        "UnlockToken" => pub unlock_token: Option<Data>,
        /// The user's ID (`UserID`): a directory GUID on macOS, the fixed Shared iPad value
        /// on iPad.
        "UserID" => pub user_id: Option<String>,
        /// The user's full name (`UserLongName`), macOS.
        "UserLongName" => pub user_long_name: Option<String>,
        /// The short name (macOS) or Managed Apple Account (Shared iPad) of the user
        /// (`UserShortName`).
        "UserShortName" => pub user_short_name: Option<String>,
    }
}

impl TokenUpdate {
    /// A message with the required keys set and every optional key absent.
    pub fn new(topic: Topic, token: DeviceToken, push_magic: PushMagic) -> Self {
        TokenUpdate {
            awaiting_configuration: None,
            enrollment_id: None,
            enrollment_user_id: None,
            message_type: MessageType::TokenUpdate,
            not_on_console: None,
            push_magic,
            token,
            topic,
            udid: None,
            unlock_token: None,
            user_id: None,
            user_long_name: None,
            user_short_name: None,
            extra: Dictionary::new(),
        }
    }

    /// The enrollment identity this message carries.
    pub fn enrollment(&self) -> Enrollment {
        Enrollment {
            udid: self.udid.clone(),
            enrollment_id: self.enrollment_id.clone(),
            enrollment_user_id: self.enrollment_user_id.clone(),
            user_id: self.user_id.clone(),
            user_short_name: self.user_short_name.clone(),
            user_long_name: self.user_long_name.clone(),
        }
    }
}

mdm_plist::plist_dict! {
    /// `CheckOut`: the device is leaving management (its MDM profile was removed). Only sent
    /// when the enrollment profile set `CheckOutWhenRemoved`.
    ///
    /// Platforms: iOS 4+, macOS 10.7+, tvOS 10.2+, visionOS 1.1+, watchOS 10+; device
    /// channel only.
    ///
    /// [Apple documentation](https://developer.apple.com/documentation/devicemanagement/checkoutrequest)
    #[derive(Debug, Clone, PartialEq)]
    pub struct CheckOut {
        /// Per-enrollment device identifier (`EnrollmentID`), user enrollment only.
        "EnrollmentID" => pub enrollment_id: Option<EnrollmentId>,
        /// Always [`MessageType::CheckOut`].
        "MessageType" => pub message_type: MessageType,
        /// APNs topic (`Topic`).
        "Topic" => pub topic: Topic,
        /// Device identifier (`UDID`); absent for user enrollments.
        "UDID" => pub udid: Option<Udid>,
    }
}

impl CheckOut {
    /// A message with the required keys set and every optional key absent.
    pub fn new(topic: Topic) -> Self {
        CheckOut {
            enrollment_id: None,
            message_type: MessageType::CheckOut,
            topic,
            udid: None,
            extra: Dictionary::new(),
        }
    }

    /// The enrollment identity this message carries.
    pub fn enrollment(&self) -> Enrollment {
        Enrollment {
            udid: self.udid.clone(),
            enrollment_id: self.enrollment_id.clone(),
            ..Enrollment::default()
        }
    }
}

mdm_plist::plist_dict! {
    /// `UserAuthenticate`: a macOS network or mobile (directory) user asks to get a user
    /// channel. The first request has no `DigestResponse`; the server answers with a
    /// [`crate::UserAuthenticateResponse`] (an empty challenge accepts the user, HTTP 410
    /// declines), and if the challenge was not empty the device asks again with
    /// `DigestResponse` set.
    ///
    /// Platforms: macOS 10.7+, user channel only; not in user enrollments.
    ///
    /// [Apple documentation](https://developer.apple.com/documentation/devicemanagement/userauthenticaterequest)
    #[derive(Debug, Clone, PartialEq)]
    pub struct UserAuthenticate {
        /// The answer to the server's `DigestChallenge` (second request only).
        "DigestResponse" => pub digest_response: Option<String>,
        /// Always [`MessageType::UserAuthenticate`].
        "MessageType" => pub message_type: MessageType,
        /// Device identifier (`UDID`).
        "UDID" => pub udid: Udid,
        /// The user's directory GUID (`UserID`).
        "UserID" => pub user_id: String,
    }
}

impl UserAuthenticate {
    /// A first-round request (no `DigestResponse`).
    pub fn new(udid: Udid, user_id: impl Into<String>) -> Self {
        UserAuthenticate {
            digest_response: None,
            message_type: MessageType::UserAuthenticate,
            udid,
            user_id: user_id.into(),
            extra: Dictionary::new(),
        }
    }

    /// The enrollment identity this message carries (a macOS user channel).
    pub fn enrollment(&self) -> Enrollment {
        Enrollment {
            udid: Some(self.udid.clone()),
            user_id: Some(self.user_id.clone()),
            ..Enrollment::default()
        }
    }
}

mdm_plist::plist_dict! {
    /// `GetBootstrapToken`: a Mac asks for the bootstrap token the server escrowed; the
    /// server answers with a [`crate::BootstrapTokenResponse`].
    ///
    /// Platforms: macOS 10.15+, supervised, device channel only; not in user enrollments.
    /// The schema lists only `MessageType` and `AwaitingConfiguration`; devices also send
    /// their `UDID`, modelled here as optional.
    ///
    /// [Apple documentation](https://developer.apple.com/documentation/devicemanagement/getbootstraptokenrequest)
    #[derive(Debug, Clone, PartialEq)]
    pub struct GetBootstrapToken {
        /// `true` while the Mac waits in Setup Assistant for `DeviceConfigured`; absent
        /// means `false`.
        "AwaitingConfiguration" => pub awaiting_configuration: Option<bool>,
        /// Always [`MessageType::GetBootstrapToken`].
        "MessageType" => pub message_type: MessageType,
        /// Device identifier (`UDID`).
        "UDID" => pub udid: Option<Udid>,
    }
}

impl GetBootstrapToken {
    /// A request with every optional key absent.
    pub fn new() -> Self {
        GetBootstrapToken {
            awaiting_configuration: None,
            message_type: MessageType::GetBootstrapToken,
            udid: None,
            extra: Dictionary::new(),
        }
    }

    /// The enrollment identity this message carries.
    pub fn enrollment(&self) -> Enrollment {
        Enrollment {
            udid: self.udid.clone(),
            ..Enrollment::default()
        }
    }
}

impl Default for GetBootstrapToken {
    fn default() -> Self {
        Self::new()
    }
}

mdm_plist::plist_dict! {
    /// `SetBootstrapToken`: a Mac escrows its bootstrap token with the server. A missing or
    /// empty `BootstrapToken` means the server should forget the stored one.
    ///
    /// Platforms: macOS 10.15+, supervised, device channel only; not in user enrollments.
    /// As for [`GetBootstrapToken`], the optional `UDID` is not in the schema but is sent.
    ///
    /// [Apple documentation](https://developer.apple.com/documentation/devicemanagement/setbootstraptokenrequest)
    #[derive(Debug, Clone, PartialEq)]
    pub struct SetBootstrapToken {
        /// `true` while the Mac waits in Setup Assistant for `DeviceConfigured`; absent
        /// means `false`.
        "AwaitingConfiguration" => pub awaiting_configuration: Option<bool>,
        /// The token to escrow (`BootstrapToken`); keep it secret.
        "BootstrapToken" => pub bootstrap_token: Option<Data>,
        /// Always [`MessageType::SetBootstrapToken`].
        "MessageType" => pub message_type: MessageType,
        /// Device identifier (`UDID`).
        "UDID" => pub udid: Option<Udid>,
    }
}

impl SetBootstrapToken {
    /// A request with every optional key absent (which asks to clear the token).
    pub fn new() -> Self {
        SetBootstrapToken {
            awaiting_configuration: None,
            bootstrap_token: None,
            message_type: MessageType::SetBootstrapToken,
            udid: None,
            extra: Dictionary::new(),
        }
    }

    /// Says whether the device asks the server to remove its stored token (no token, or
    /// an empty one).
    pub fn clears_token(&self) -> bool {
        self.bootstrap_token
            .as_ref()
            .is_none_or(|t| t.as_ref().is_empty())
    }

    /// The enrollment identity this message carries.
    pub fn enrollment(&self) -> Enrollment {
        Enrollment {
            udid: self.udid.clone(),
            ..Enrollment::default()
        }
    }
}

impl Default for SetBootstrapToken {
    fn default() -> Self {
        Self::new()
    }
}

mdm_plist::plist_dict! {
    /// `DeclarativeManagement`: a declarative device management request carried over the
    /// check-in channel. The server answers with the JSON document the `Endpoint` key names
    /// (see [`crate::DeclarativeManagementResponse`]); for `status` the report is the JSON
    /// in `Data`.
    ///
    /// Platforms: iOS 15+, macOS 13+, tvOS 16+, visionOS 1.1+, watchOS 10+; device and
    /// user channel.
    ///
    /// [Apple documentation](https://developer.apple.com/documentation/devicemanagement/declarativemanagementrequest)
    #[derive(Debug, Clone, PartialEq)]
    pub struct DeclarativeManagement {
        /// JSON body for the `status` endpoint (`Data`).
        "Data" => pub data: Option<Data>,
        /// What is asked for (`Endpoint`).
        "Endpoint" => pub endpoint: DeclarativeEndpoint,
        /// Per-enrollment device identifier (`EnrollmentID`), user enrollment only.
        "EnrollmentID" => pub enrollment_id: Option<EnrollmentId>,
        /// Per-enrollment user identifier (`EnrollmentUserID`), macOS user enrollment user
        /// channel.
        "EnrollmentUserID" => pub enrollment_user_id: Option<EnrollmentId>,
        /// Always [`MessageType::DeclarativeManagement`].
        "MessageType" => pub message_type: MessageType,
        /// Device identifier (`UDID`); absent for user enrollments.
        "UDID" => pub udid: Option<Udid>,
        /// The user's ID (`UserID`), user channel.
        "UserID" => pub user_id: Option<String>,
        /// The user's full name (`UserLongName`), macOS user channel.
        "UserLongName" => pub user_long_name: Option<String>,
        /// The user's short name or Managed Apple Account (`UserShortName`), user channel.
        "UserShortName" => pub user_short_name: Option<String>,
    }
}

impl DeclarativeManagement {
    /// A request with the required keys set and every optional key absent.
    pub fn new(endpoint: DeclarativeEndpoint) -> Self {
        DeclarativeManagement {
            data: None,
            endpoint,
            enrollment_id: None,
            enrollment_user_id: None,
            message_type: MessageType::DeclarativeManagement,
            udid: None,
            user_id: None,
            user_long_name: None,
            user_short_name: None,
            extra: Dictionary::new(),
        }
    }

    /// The enrollment identity this message carries.
    pub fn enrollment(&self) -> Enrollment {
        Enrollment {
            udid: self.udid.clone(),
            enrollment_id: self.enrollment_id.clone(),
            enrollment_user_id: self.enrollment_user_id.clone(),
            user_id: self.user_id.clone(),
            user_short_name: self.user_short_name.clone(),
            user_long_name: self.user_long_name.clone(),
        }
    }
}

mdm_plist::plist_dict! {
    /// Parameters of a [`GetToken`] request (`TokenParameters`). The watch-pairing service
    /// needs all three; none is sent on Shared iPad or in user enrollments.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct TokenParameters {
        /// UDID of the phone the watch pairs with (`PhoneUDID`).
        "PhoneUDID" => pub phone_udid: Option<Udid>,
        /// Token the server exchanges for the requested one (`SecurityToken`).
        "SecurityToken" => pub security_token: Option<String>,
        /// UDID of the watch (`WatchUDID`).
        "WatchUDID" => pub watch_udid: Option<Udid>,
    }
}

mdm_plist::plist_dict! {
    /// `GetToken`: the device asks the server for a token for another Apple service; the
    /// server answers with a [`crate::GetTokenResponse`].
    ///
    /// Platforms: iOS 17+, macOS 14+, visionOS 1.1+; device and user channel.
    ///
    /// [Apple documentation](https://developer.apple.com/documentation/devicemanagement/gettokenrequest)
    #[derive(Debug, Clone, PartialEq)]
    pub struct GetToken {
        /// Per-enrollment device identifier (`EnrollmentID`), user enrollment only.
        "EnrollmentID" => pub enrollment_id: Option<EnrollmentId>,
        /// Per-enrollment user identifier (`EnrollmentUserID`), macOS user enrollment user
        /// channel.
        "EnrollmentUserID" => pub enrollment_user_id: Option<EnrollmentId>,
        /// Always [`MessageType::GetToken`].
        "MessageType" => pub message_type: MessageType,
        /// Service parameters (`TokenParameters`).
        "TokenParameters" => pub token_parameters: Option<TokenParameters>,
        /// Which service the token is for (`TokenServiceType`).
        "TokenServiceType" => pub token_service_type: TokenServiceType,
        /// Device identifier (`UDID`); absent for user enrollments.
        "UDID" => pub udid: Option<Udid>,
        /// The user's ID (`UserID`), user channel.
        "UserID" => pub user_id: Option<String>,
        /// The user's full name (`UserLongName`), macOS user channel.
        "UserLongName" => pub user_long_name: Option<String>,
        /// The user's short name or Managed Apple Account (`UserShortName`), user channel.
        "UserShortName" => pub user_short_name: Option<String>,
    }
}

impl GetToken {
    /// A request with the required keys set and every optional key absent.
    pub fn new(token_service_type: TokenServiceType) -> Self {
        GetToken {
            enrollment_id: None,
            enrollment_user_id: None,
            message_type: MessageType::GetToken,
            token_parameters: None,
            token_service_type,
            udid: None,
            user_id: None,
            user_long_name: None,
            user_short_name: None,
            extra: Dictionary::new(),
        }
    }

    /// The enrollment identity this message carries.
    pub fn enrollment(&self) -> Enrollment {
        Enrollment {
            udid: self.udid.clone(),
            enrollment_id: self.enrollment_id.clone(),
            enrollment_user_id: self.enrollment_user_id.clone(),
            user_id: self.user_id.clone(),
            user_short_name: self.user_short_name.clone(),
            user_long_name: self.user_long_name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_declaration_split() {
        let e = DeclarativeEndpoint::from("declaration/configuration/com.example.passcode");
        assert_eq!(
            e.declaration(),
            Some(("configuration", "com.example.passcode"))
        );
        assert_eq!(
            DeclarativeEndpoint::from("tokens"),
            DeclarativeEndpoint::Tokens
        );
        assert_eq!(DeclarativeEndpoint::Tokens.declaration(), None);
        assert_eq!(
            DeclarativeEndpoint::from("declaration//x").declaration(),
            None
        );
    }

    #[test]
    fn keys_are_sorted_like_devices_send_them() {
        for keys in [
            Authenticate::KEYS,
            TokenUpdate::KEYS,
            CheckOut::KEYS,
            UserAuthenticate::KEYS,
            GetBootstrapToken::KEYS,
            SetBootstrapToken::KEYS,
            DeclarativeManagement::KEYS,
            GetToken::KEYS,
            TokenParameters::KEYS,
        ] {
            let mut sorted = keys.to_vec();
            sorted.sort_unstable();
            assert_eq!(sorted, keys);
        }
    }
}
