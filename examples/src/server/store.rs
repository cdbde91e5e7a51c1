//! What the server remembers, behind one small trait so another database can replace the
//! embedded SQLite store without touching the service or the HTTP handlers.
//!
//! The methods are synchronous: the service calls them on tokio's blocking pool.

use std::fmt;

/// A storage failure. The HTTP layer answers it with 503 and logs the text.
#[derive(Debug)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// What an `Authenticate` check-in tells about a device.
#[derive(Debug, Clone, Default)]
pub struct DeviceFacts {
    /// `UDID`, when the enrollment has one.
    pub udid: Option<String>,
    /// `SerialNumber`.
    pub serial_number: Option<String>,
    /// `Model`.
    pub model: Option<String>,
    /// `ProductName`.
    pub product_name: Option<String>,
    /// `OSVersion`.
    pub os_version: Option<String>,
    /// `DeviceName`.
    pub device_name: Option<String>,
    /// `Topic`.
    pub topic: Option<String>,
}

/// What a `TokenUpdate` carries for push.
#[derive(Debug, Clone)]
pub struct PushInfo {
    /// The APNs device token.
    pub token: Vec<u8>,
    /// `PushMagic`, sent back in every push.
    pub push_magic: String,
    /// The APNs topic the device listens on.
    pub topic: String,
}

/// The certificate an enrollment is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundIdentity {
    /// SHA-256 fingerprint, lower-case hex.
    pub fingerprint: String,
    /// The certificate's subject, for display.
    pub subject: String,
}

/// An enrollment (a device channel or a user channel) as listed by the API.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceRecord {
    /// The enrollment id (`UDID`, `EnrollmentID`, or `<device>:<user>` for a user channel).
    pub id: String,
    /// The device channel this user channel belongs to.
    pub parent_id: Option<String>,
    /// `UDID`.
    pub udid: Option<String>,
    /// `SerialNumber`.
    pub serial_number: Option<String>,
    /// `Model`.
    pub model: Option<String>,
    /// `ProductName`.
    pub product_name: Option<String>,
    /// `OSVersion`.
    pub os_version: Option<String>,
    /// `BuildVersion`, from `DeviceInformation`.
    pub build_version: Option<String>,
    /// `DeviceName`.
    pub device_name: Option<String>,
    /// `Topic`.
    pub topic: Option<String>,
    /// What the device answered to inventory commands; the lists only in single-device
    /// reads ([`Store::device`]), not in [`Store::devices`].
    pub inventory: Inventory,
    /// Enrolled: a `TokenUpdate` arrived and no `CheckOut` since.
    pub enrolled: bool,
    /// Whether the server can wake it (it sent a push token).
    pub has_push_token: bool,
    /// Subject of the bound identity certificate.
    pub identity_subject: Option<String>,
    /// SHA-256 of the bound identity certificate.
    pub identity_sha256: Option<String>,
    /// Commands not yet answered, or answered `NotNow`.
    pub pending_commands: u64,
    /// Unix seconds of the first `Authenticate`.
    pub created_at: i64,
    /// Unix seconds of the last check-in or command report.
    pub last_seen_at: i64,
}

/// The latest inventory answers of a device, as JSON (plist data and dates written as
/// `{"$data": ...}` and `{"$date": ...}`, like the API's command payloads).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Inventory {
    /// `SecurityInfo` of the last `SecurityInfo` answer.
    pub security_info: Option<serde_json::Value>,
    /// `InstalledApplicationList` of the last such answer.
    pub installed_applications: Option<serde_json::Value>,
    /// `ProfileList` of the last such answer.
    pub profiles: Option<serde_json::Value>,
    /// `CertificateList` of the last such answer.
    pub certificates: Option<serde_json::Value>,
    /// Unix seconds of the last inventory answer of any kind.
    pub updated_at: Option<i64>,
}

/// What one inventory answer changes on a device record; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct InventoryUpdate {
    /// `SerialNumber`.
    pub serial_number: Option<String>,
    /// `Model` (or `ModelName` when `Model` is absent).
    pub model: Option<String>,
    /// `ProductName`.
    pub product_name: Option<String>,
    /// `OSVersion`.
    pub os_version: Option<String>,
    /// `BuildVersion`.
    pub build_version: Option<String>,
    /// `DeviceName`.
    pub device_name: Option<String>,
    /// `SecurityInfo`, as JSON text.
    pub security_info: Option<String>,
    /// `InstalledApplicationList`, as JSON text.
    pub installed_applications: Option<String>,
    /// `ProfileList`, as JSON text.
    pub profiles: Option<String>,
    /// `CertificateList`, as JSON text.
    pub certificates: Option<String>,
}

/// A command unanswered and delivered less than this many seconds ago is taken to be in
/// the device's hands (another replica may have just sent it): [`Store::next_command`]
/// holds the queue back instead of sending it twice. After that it is sent again, for a
/// device whose copy was lost on the way.
pub const IN_FLIGHT_SECS: i64 = 3;

/// A command to queue.
#[derive(Debug, Clone)]
pub struct NewCommand {
    /// `CommandUUID`.
    pub command_uuid: String,
    /// `RequestType`.
    pub request_type: String,
    /// The whole command plist, as it will be sent.
    pub body: Vec<u8>,
}

/// A command the device should run next.
#[derive(Debug, Clone)]
pub struct QueuedCommand {
    /// `CommandUUID`.
    pub command_uuid: String,
    /// `RequestType`.
    pub request_type: String,
    /// The command plist.
    pub body: Vec<u8>,
}

/// A device's answer to a command, to record.
#[derive(Debug, Clone)]
pub struct CommandReport<'a> {
    /// The enrollment that answered.
    pub enrollment_id: &'a str,
    /// `CommandUUID`.
    pub command_uuid: &'a str,
    /// `Status` (`Acknowledged`, `Error`, `CommandFormatError`, `NotNow`, ...).
    pub status: &'a str,
    /// The response plist as received.
    pub raw: &'a [u8],
    /// Why the body did not decode as the command's typed response, if it did not.
    pub typed_error: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// One command as the API shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommandRecord {
    /// `CommandUUID`.
    pub command_uuid: String,
    /// `RequestType`.
    pub request_type: String,
    /// Unix seconds when it was queued.
    pub created_at: i64,
    /// One entry per enrollment it was queued for.
    pub deliveries: Vec<Delivery>,
}

/// A command's state for one enrollment.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Delivery {
    /// The enrollment.
    pub enrollment_id: String,
    /// `CommandUUID`.
    pub command_uuid: String,
    /// `RequestType`.
    pub request_type: String,
    /// The last `Status` the device answered, or `None` while not answered.
    pub status: Option<String>,
    /// Unix seconds of the last delivery to the device.
    pub delivered_at: Option<i64>,
    /// Unix seconds of the last answer.
    pub answered_at: Option<i64>,
    /// How many times the device was sent the command.
    pub deliveries: u32,
    /// The last answer, as received.
    #[serde(skip)]
    pub raw: Option<Vec<u8>>,
    /// Why the answer did not decode as the typed response, if it did not.
    pub typed_error: Option<String>,
}

/// A declaration as stored: shared by every device whose set names its identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeclaration {
    /// `Identifier`, unique in the store.
    pub identifier: String,
    /// `Type` (`com.apple.configuration.passcode.settings`).
    pub declaration_type: String,
    /// `ServerToken`: the content token, which changes with any change of the content.
    pub server_token: String,
    /// The declaration document as devices fetch it (JSON, `ServerToken` included).
    /// Empty where a read asked for the manifest only.
    pub body: Vec<u8>,
    /// Unix seconds of the last change.
    pub updated_at: i64,
}

/// One device's declaration set as the check-in endpoints read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceDeclarations {
    /// Unix seconds of the last change of the set (`None`: it never had one).
    pub changed_at: Option<i64>,
    /// The declarations, by identifier; bodies only where asked for.
    pub declarations: Vec<StoredDeclaration>,
}

/// What [`Store::delete_declaration`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Deleted.
    Removed,
    /// No declaration has that identifier.
    NotFound,
    /// Kept: this many devices have it in their set.
    InUse(u64),
}

/// One status item's latest value for a device, as [`Store::declaration_status`] lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// The item's dotted name (`passcode.is-compliant`), or `Errors` for the report's
    /// `Errors`.
    pub item: String,
    /// Its value, JSON text.
    pub value: String,
    /// Unix seconds of the report that set it.
    pub at: i64,
}

/// The distinct identifier sets among `(enrollment id, identifier)` rows, each sorted (for
/// [`Store::sets_holding`]); both stores share it.
pub fn distinct_sets(rows: impl IntoIterator<Item = (String, String)>) -> Vec<Vec<String>> {
    let mut by_device: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (enrollment, identifier) in rows {
        by_device.entry(enrollment).or_default().push(identifier);
    }
    let sets: std::collections::BTreeSet<Vec<String>> = by_device
        .into_values()
        .map(|mut ids| {
            ids.sort();
            ids
        })
        .collect();
    sets.into_iter().collect()
}

/// Storage of enrollments, check-ins and the command queue.
///
/// Every method is one transaction; implementations must be safe to call from many
/// threads at once.
pub trait Store: Send + Sync + 'static {
    /// Records any check-in message, as received (a bounded log per enrollment).
    ///
    /// # Errors
    /// On storage failure.
    fn log_checkin(
        &self,
        enrollment_id: &str,
        message_type: &str,
        raw: &[u8],
        at: i64,
    ) -> Result<(), StoreError>;

    /// Creates or refreshes an enrollment from `Authenticate`: it is not enrolled (and
    /// cannot be pushed) until its next `TokenUpdate`.
    ///
    /// # Errors
    /// On storage failure.
    fn authenticate(
        &self,
        enrollment_id: &str,
        parent_id: Option<&str>,
        facts: &DeviceFacts,
        at: i64,
    ) -> Result<(), StoreError>;

    /// Stores push details from `TokenUpdate` and marks the enrollment enrolled. A user
    /// channel seen first here is created.
    ///
    /// # Errors
    /// On storage failure.
    fn token_update(
        &self,
        enrollment_id: &str,
        parent_id: Option<&str>,
        push: &PushInfo,
        unlock_token: Option<&[u8]>,
        at: i64,
    ) -> Result<(), StoreError>;

    /// Marks the enrollment (and its user channels) no longer enrolled.
    ///
    /// # Errors
    /// On storage failure.
    fn check_out(&self, enrollment_id: &str, at: i64) -> Result<(), StoreError>;

    /// Stores (or, with `None`, clears) the bootstrap token of a device.
    ///
    /// # Errors
    /// On storage failure.
    fn set_bootstrap_token(
        &self,
        enrollment_id: &str,
        token: Option<&[u8]>,
    ) -> Result<(), StoreError>;

    /// The bootstrap token of a device, if any.
    ///
    /// # Errors
    /// On storage failure.
    fn bootstrap_token(&self, enrollment_id: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Binds an enrollment to the certificate it authenticated with.
    ///
    /// # Errors
    /// On storage failure.
    fn bind_identity(
        &self,
        enrollment_id: &str,
        identity: &BoundIdentity,
    ) -> Result<(), StoreError>;

    /// The certificate an enrollment is bound to.
    ///
    /// # Errors
    /// On storage failure.
    fn identity(&self, enrollment_id: &str) -> Result<Option<BoundIdentity>, StoreError>;

    /// The enrollment a certificate (SHA-256, lower-case hex) is bound to, if any.
    ///
    /// # Errors
    /// On storage failure.
    fn enrollment_for_identity(&self, fingerprint: &str) -> Result<Option<String>, StoreError>;

    /// The `RequestType` of a queued command.
    ///
    /// # Errors
    /// On storage failure.
    fn request_type(&self, command_uuid: &str) -> Result<Option<String>, StoreError>;

    /// Whether the enrollment exists.
    ///
    /// # Errors
    /// On storage failure.
    fn exists(&self, enrollment_id: &str) -> Result<bool, StoreError>;

    /// Queues a command for each enrollment; returns how many were queued (unknown
    /// enrollments are skipped).
    ///
    /// # Errors
    /// On storage failure, or a `CommandUUID` already used.
    fn enqueue(&self, enrollment_ids: &[String], command: &NewCommand)
    -> Result<usize, StoreError>;

    /// The oldest command the enrollment has not answered, marked delivered. With
    /// `skip_not_now`, commands it answered `NotNow` are passed over (the device just said
    /// it cannot run them now); otherwise they are sent again.
    ///
    /// At most one command is in the device's hands: while the oldest one was delivered
    /// less than [`IN_FLIGHT_SECS`] ago and is unanswered, this returns `None`. The check
    /// and the mark are one transaction that serialises on the enrollment (a row lock, not
    /// a lock in this process), so two replicas answering one device at the same moment
    /// never both deliver a command.
    ///
    /// # Errors
    /// On storage failure.
    fn next_command(
        &self,
        enrollment_id: &str,
        skip_not_now: bool,
        at: i64,
    ) -> Result<Option<QueuedCommand>, StoreError>;

    /// Drops the commands an enrollment has not answered (or answered `NotNow`); returns
    /// how many. Answered commands and their results stay.
    ///
    /// # Errors
    /// On storage failure.
    fn clear_queue(&self, enrollment_id: &str) -> Result<usize, StoreError>;

    /// Records an answer; returns false when no such command was queued for the enrollment
    /// (nothing is stored then).
    ///
    /// # Errors
    /// On storage failure.
    fn record_report(&self, report: &CommandReport<'_>) -> Result<bool, StoreError>;

    /// Touches the enrollment's last-seen time.
    ///
    /// # Errors
    /// On storage failure.
    fn seen(&self, enrollment_id: &str, at: i64) -> Result<(), StoreError>;

    /// Every enrollment.
    ///
    /// # Errors
    /// On storage failure.
    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError>;

    /// One enrollment.
    ///
    /// # Errors
    /// On storage failure.
    fn device(&self, enrollment_id: &str) -> Result<Option<DeviceRecord>, StoreError>;

    /// One command and its state on every enrollment it was queued for.
    ///
    /// # Errors
    /// On storage failure.
    fn command(&self, command_uuid: &str) -> Result<Option<CommandRecord>, StoreError>;

    /// The commands queued for an enrollment, newest first (at most `limit`).
    ///
    /// # Errors
    /// On storage failure.
    fn device_commands(&self, enrollment_id: &str, limit: u32)
    -> Result<Vec<Delivery>, StoreError>;

    /// Push details of the given enrollments that are enrolled and have a token.
    ///
    /// # Errors
    /// On storage failure.
    fn push_info(&self, enrollment_ids: &[String]) -> Result<Vec<(String, PushInfo)>, StoreError>;

    /// Updates the device record from an inventory answer.
    ///
    /// # Errors
    /// On storage failure.
    fn update_inventory(
        &self,
        enrollment_id: &str,
        update: &InventoryUpdate,
        at: i64,
    ) -> Result<(), StoreError>;

    /// Whether the store answers, for `GET /healthz`: PostgreSQL a trivial query,
    /// SQLite taking and releasing the write lock.
    ///
    /// # Errors
    /// When it does not.
    fn health(&self) -> Result<(), StoreError>;

    /// The check-in log of an enrollment, newest first: message type, unix seconds.
    ///
    /// # Errors
    /// On storage failure.
    fn checkins(&self, enrollment_id: &str, limit: u32) -> Result<Vec<(String, i64)>, StoreError>;
    /// Stores a declaration, or replaces the one with its identifier. When that changes its
    /// `ServerToken`, every set holding it changed: their change times move to `at` and
    /// the devices are returned (for a `DeclarativeManagement` command); otherwise none.
    ///
    /// # Errors
    /// On storage failure.
    fn put_declaration(
        &self,
        declaration: &StoredDeclaration,
        at: i64,
    ) -> Result<Vec<String>, StoreError>;

    /// The stored declarations, by identifier, with bodies: all of them, or with
    /// `identifiers` those of them that exist.
    ///
    /// # Errors
    /// On storage failure.
    fn declarations(
        &self,
        identifiers: Option<&[String]>,
    ) -> Result<Vec<StoredDeclaration>, StoreError>;

    /// Deletes a declaration that no device's set holds.
    ///
    /// # Errors
    /// On storage failure.
    fn delete_declaration(&self, identifier: &str) -> Result<Removal, StoreError>;

    /// Replaces a device's set with `identifiers` (which must all be stored); returns
    /// whether the set changed, and then moves its change time to `at`.
    ///
    /// # Errors
    /// On storage failure, or an identifier that is not stored.
    fn set_device_declarations(
        &self,
        enrollment_id: &str,
        identifiers: &[String],
        at: i64,
    ) -> Result<bool, StoreError>;

    /// A device's set for the check-in endpoints: every declaration's identifier, type
    /// and token, and the body of `body_of` only (the one a declaration path asks for).
    ///
    /// # Errors
    /// On storage failure.
    fn device_declarations(
        &self,
        enrollment_id: &str,
        body_of: Option<&str>,
    ) -> Result<DeviceDeclarations, StoreError>;

    /// The distinct sets (identifiers, sorted) of the devices whose set holds `identifier`,
    /// so that a change to that declaration can be checked against every set it is in.
    ///
    /// # Errors
    /// On storage failure.
    fn sets_holding(&self, identifier: &str) -> Result<Vec<Vec<String>>, StoreError>;

    /// Those of `enrollment_ids` that already have a command of `request_type` waiting:
    /// queued and never delivered, or answered `NotNow` (it will be sent again). A caller
    /// need not queue another one for them.
    ///
    /// # Errors
    /// On storage failure.
    fn waiting(
        &self,
        enrollment_ids: &[String],
        request_type: &str,
    ) -> Result<Vec<String>, StoreError>;

    /// Stores a status report's items (dotted name, JSON text; `Errors` for its errors):
    /// a full report replaces everything known about the device, an incremental one the
    /// items it carries.
    ///
    /// # Errors
    /// On storage failure.
    fn record_declaration_status(
        &self,
        enrollment_id: &str,
        full: bool,
        items: &[(String, String)],
        at: i64,
    ) -> Result<(), StoreError>;

    /// The latest value of every status item of a device, by name.
    ///
    /// # Errors
    /// On storage failure.
    fn declaration_status(&self, enrollment_id: &str) -> Result<Vec<StatusRow>, StoreError>;
}
