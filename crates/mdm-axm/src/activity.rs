//! Device activities: the create request with each activity type's rules checked before
//! sending, polling to completion with a bounded backoff, and the CSV log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mdm_types::SerialNumber;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::json::Extra;
use crate::types::{ActivityStatus, Linkage, OrgDeviceActivity};

mdm_plist::open_enum! {
    /// `activityType` of a device activity.
    pub enum ActivityType {
        /// Assign the devices to an MDM server (needs the server).
        AssignDevices = "ASSIGN_DEVICES",
        /// Unassign the devices from an MDM server (needs the server).
        UnassignDevices = "UNASSIGN_DEVICES",
        /// Assign to a new MDM server with a deadline by which the devices must migrate
        /// (needs the server and a deadline at most 90 days ahead).
        AssignDevicesWithMdmMigrationDeadline = "ASSIGN_DEVICES_WITH_MDM_MIGRATION_DEADLINE",
        /// Move the deadline of a running migration (no server; a deadline).
        UpdateMdmMigrationDeadline = "UPDATE_MDM_MIGRATION_DEADLINE",
        /// Cancel a running migration (no server, no metadata).
        CancelMdmMigration = "CANCEL_MDM_MIGRATION",
        /// Release the devices from the organization (2.4 and later). Not reversible.
        ReleaseDevices = "RELEASE_DEVICES",
    }
}

/// The longest a migration deadline may lie ahead of now.
pub const MAX_MIGRATION_DEADLINE: Duration = Duration::from_secs(90 * 86_400);

/// Most devices this crate puts in one activity. Apple documents no limit; this keeps a
/// request body bounded (1000 serials is about 50 KiB).
pub const MAX_ACTIVITY_DEVICES: usize = 1000;

/// The body of `POST /v1/orgDeviceActivities`.
///
/// Made by the constructor of its type ([`ActivityRequest::assign`],
/// [`ActivityRequest::release`], ...), or by [`ActivityRequest::new`] and the `with_`
/// setters for a type this version does not know; [`ActivityRequest::check`] enforces the
/// type's rules and runs before every send.
///
/// ```
/// use mdm_axm::{ActivityRequest, SerialNumber};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let serial = SerialNumber::new("C02XL0GHJGH5")?;
/// let req = ActivityRequest::assign("1F97349736CF4614A94F624E705841AD", [serial])?;
/// let body: serde_json::Value = serde_json::from_slice(&req.encode()?)?;
/// assert_eq!(body["data"]["attributes"]["activityType"], "ASSIGN_DEVICES");
/// assert_eq!(body["data"]["relationships"]["devices"]["data"][0]["id"], "C02XL0GHJGH5");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ActivityRequest {
    /// The activity type.
    pub activity_type: ActivityType,
    /// The devices, by serial number.
    pub devices: Vec<SerialNumber>,
    /// The MDM server, for the types that need one.
    pub mdm_server: Option<String>,
    /// The migration deadline, for the types that take one.
    pub deadline: Option<DateTime<Utc>>,
}

impl ActivityRequest {
    /// An activity of any type with these devices; add the server and deadline with the
    /// `with_` setters.
    pub fn new(
        activity_type: ActivityType,
        devices: impl IntoIterator<Item = SerialNumber>,
    ) -> Self {
        ActivityRequest {
            activity_type,
            devices: devices.into_iter().collect(),
            mdm_server: None,
            deadline: None,
        }
    }

    /// Sets the MDM server id.
    pub fn with_mdm_server(mut self, id: impl Into<String>) -> Self {
        self.mdm_server = Some(id.into());
        self
    }

    /// Sets the migration deadline.
    pub fn with_deadline(mut self, deadline: DateTime<Utc>) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// `ASSIGN_DEVICES` to `server`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty serial list or a bad server id.
    pub fn assign(
        server: impl Into<String>,
        devices: impl IntoIterator<Item = SerialNumber>,
    ) -> Result<Self, Error> {
        let r = Self::new(ActivityType::AssignDevices, devices).with_mdm_server(server);
        r.check_shape()?;
        Ok(r)
    }

    /// `UNASSIGN_DEVICES` from `server`.
    ///
    /// # Errors
    /// As [`ActivityRequest::assign`].
    pub fn unassign(
        server: impl Into<String>,
        devices: impl IntoIterator<Item = SerialNumber>,
    ) -> Result<Self, Error> {
        let r = Self::new(ActivityType::UnassignDevices, devices).with_mdm_server(server);
        r.check_shape()?;
        Ok(r)
    }

    /// `ASSIGN_DEVICES_WITH_MDM_MIGRATION_DEADLINE` to `server`, migrating by `deadline`.
    /// The deadline's range is checked against the clock at send time
    /// ([`ActivityRequest::check`]).
    ///
    /// # Errors
    /// As [`ActivityRequest::assign`].
    pub fn assign_with_migration_deadline(
        server: impl Into<String>,
        devices: impl IntoIterator<Item = SerialNumber>,
        deadline: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let r = Self::new(ActivityType::AssignDevicesWithMdmMigrationDeadline, devices)
            .with_mdm_server(server)
            .with_deadline(deadline);
        r.check_shape()?;
        Ok(r)
    }

    /// `UPDATE_MDM_MIGRATION_DEADLINE` for devices being migrated.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty serial list.
    pub fn update_migration_deadline(
        devices: impl IntoIterator<Item = SerialNumber>,
        deadline: DateTime<Utc>,
    ) -> Result<Self, Error> {
        let r =
            Self::new(ActivityType::UpdateMdmMigrationDeadline, devices).with_deadline(deadline);
        r.check_shape()?;
        Ok(r)
    }

    /// `CANCEL_MDM_MIGRATION` for devices being migrated.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty serial list.
    pub fn cancel_migration(
        devices: impl IntoIterator<Item = SerialNumber>,
    ) -> Result<Self, Error> {
        let r = Self::new(ActivityType::CancelMdmMigration, devices);
        r.check_shape()?;
        Ok(r)
    }

    /// `RELEASE_DEVICES`: removes the devices from the organization for good (2.4).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty serial list.
    pub fn release(devices: impl IntoIterator<Item = SerialNumber>) -> Result<Self, Error> {
        let r = Self::new(ActivityType::ReleaseDevices, devices);
        r.check_shape()?;
        Ok(r)
    }

    /// The rules that do not depend on the clock.
    fn check_shape(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::InvalidRequest(m));
        let t = &self.activity_type;
        if self.devices.is_empty() {
            return bad(format!("{t} needs at least one serial number"));
        }
        if self.devices.len() > MAX_ACTIVITY_DEVICES {
            return bad(format!(
                "{t} with {} devices; send at most {MAX_ACTIVITY_DEVICES} per activity",
                self.devices.len()
            ));
        }
        if let Some(id) = &self.mdm_server
            && (id.is_empty()
                || id.len() > 128
                || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return bad(format!("the MDM server id {id:?} is not an id"));
        }
        let needs_server = matches!(
            t,
            ActivityType::AssignDevices
                | ActivityType::UnassignDevices
                | ActivityType::AssignDevicesWithMdmMigrationDeadline
        );
        let no_server = matches!(
            t,
            ActivityType::UpdateMdmMigrationDeadline
                | ActivityType::CancelMdmMigration
                | ActivityType::ReleaseDevices
        );
        let needs_deadline = matches!(
            t,
            ActivityType::AssignDevicesWithMdmMigrationDeadline
                | ActivityType::UpdateMdmMigrationDeadline
        );
        let no_deadline = matches!(
            t,
            ActivityType::AssignDevices
                | ActivityType::UnassignDevices
                | ActivityType::CancelMdmMigration
                | ActivityType::ReleaseDevices
        );
        if needs_server && self.mdm_server.is_none() {
            return bad(format!("{t} needs an MDM server"));
        }
        if no_server && self.mdm_server.is_some() {
            return bad(format!("{t} takes no MDM server"));
        }
        if needs_deadline && self.deadline.is_none() {
            return bad(format!("{t} needs a migration deadline"));
        }
        if no_deadline && self.deadline.is_some() {
            return bad(format!("{t} takes no migration deadline"));
        }
        Ok(())
    }

    /// Checks the rules of the activity type at `now`: devices present (at most
    /// [`MAX_ACTIVITY_DEVICES`]); an MDM server for the assign types and none for the
    /// others; a deadline for the two migration types, later than `now` and at most
    /// [`MAX_MIGRATION_DEADLINE`] ahead, and none for the others. A type this version does
    /// not know is sent as built.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the broken rule.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), Error> {
        self.check_shape()?;
        if let Some(deadline) = self.deadline
            && matches!(
                self.activity_type,
                ActivityType::AssignDevicesWithMdmMigrationDeadline
                    | ActivityType::UpdateMdmMigrationDeadline
            )
        {
            let max = chrono::Duration::from_std(MAX_MIGRATION_DEADLINE)
                .unwrap_or(chrono::Duration::days(90));
            if deadline <= now {
                return Err(Error::InvalidRequest(format!(
                    "the migration deadline {deadline} is not in the future"
                )));
            }
            if deadline > now + max {
                return Err(Error::InvalidRequest(format!(
                    "the migration deadline {deadline} is more than 90 days ahead"
                )));
            }
        }
        Ok(())
    }

    /// Writes the JSON:API body.
    ///
    /// # Errors
    /// Never in practice.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::json::encode(&self.to_wire())
    }

    /// Reads a body (as a mock server does).
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] when it is not an activity request; serial numbers are
    /// checked as [`SerialNumber::new`] does.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let wire: WireRequest = crate::json::decode("activity request", bytes)?;
        let d = wire.data;
        let devices = d
            .relationships
            .devices
            .data
            .into_iter()
            .map(|l| SerialNumber::new(l.id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ActivityRequest {
            activity_type: d.attributes.activity_type,
            devices,
            mdm_server: d.relationships.mdm_server.map(|s| s.data.id),
            deadline: d
                .attributes
                .activity_type_metadata
                .and_then(|m| m.mdm_migration_deadline_date_time),
        })
    }

    fn to_wire(&self) -> WireRequest {
        WireRequest {
            data: WireData {
                kind: "orgDeviceActivities".into(),
                attributes: WireAttributes {
                    activity_type: self.activity_type.clone(),
                    activity_type_metadata: self.deadline.map(|d| WireMetadata {
                        mdm_migration_deadline_date_time: Some(d),
                    }),
                },
                relationships: WireRelationships {
                    devices: WireMany {
                        data: self
                            .devices
                            .iter()
                            .map(|s| Linkage::new("orgDevices", s.as_str()))
                            .collect(),
                    },
                    mdm_server: self.mdm_server.as_ref().map(|id| WireOne {
                        data: Linkage::new("mdmServers", id.as_str()),
                    }),
                },
            },
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WireRequest {
    data: WireData,
}

#[derive(Serialize, Deserialize)]
struct WireData {
    #[serde(rename = "type")]
    kind: String,
    attributes: WireAttributes,
    relationships: WireRelationships,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAttributes {
    activity_type: ActivityType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    activity_type_metadata: Option<WireMetadata>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMetadata {
    #[serde(
        default,
        with = "crate::json::date",
        skip_serializing_if = "Option::is_none"
    )]
    mdm_migration_deadline_date_time: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRelationships {
    devices: WireMany,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mdm_server: Option<WireOne>,
}

#[derive(Serialize, Deserialize)]
struct WireMany {
    data: Vec<Linkage>,
}

#[derive(Serialize, Deserialize)]
struct WireOne {
    data: Linkage,
}

/// What to do next while waiting for an activity, given its last read.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PollStep {
    /// Read it again after this wait.
    Wait(Duration),
    /// It completed.
    Done,
    /// It ended as `FAILED` or `STOPPED` (or completed with failure).
    Failed(Error),
    /// The wait budget is spent.
    GiveUp(Error),
}

/// Polling an activity to completion with a bounded backoff (sans-IO: the caller reads the
/// activity and feeds it to [`ActivityPoll::next`]).
///
/// Waits 1, 2, 4 ... seconds between reads, never more than `max_interval` (default 30 s),
/// and gives up after `max_wait` (default 10 minutes) of waiting in total.
#[derive(Debug, Clone)]
pub struct ActivityPoll {
    id: String,
    attempt: u32,
    waited: Duration,
    max_interval: Duration,
    max_wait: Duration,
    first_interval: Duration,
}

impl ActivityPoll {
    /// A poll of activity `id` with the default bounds.
    pub fn new(id: impl Into<String>) -> Self {
        ActivityPoll {
            id: id.into(),
            attempt: 0,
            waited: Duration::ZERO,
            max_interval: Duration::from_secs(30),
            max_wait: Duration::from_secs(600),
            first_interval: Duration::from_secs(1),
        }
    }

    /// The first wait (default 1 s); each next wait doubles it.
    pub fn first_interval(mut self, d: Duration) -> Self {
        self.first_interval = d;
        self
    }

    /// The longest single wait (default 30 s).
    pub fn max_interval(mut self, d: Duration) -> Self {
        self.max_interval = d;
        self
    }

    /// The total wait before giving up (default 10 minutes).
    pub fn max_wait(mut self, d: Duration) -> Self {
        self.max_wait = d;
        self
    }

    /// The next step after reading `activity`.
    pub fn next(&mut self, activity: &OrgDeviceActivity) -> PollStep {
        use crate::types::ActivitySubStatus as Sub;
        let label = || {
            format!(
                "{}/{}",
                activity.status.as_ref().map_or("?", |s| s.as_str()),
                activity.sub_status.as_ref().map_or("?", |s| s.as_str())
            )
        };
        match &activity.status {
            Some(ActivityStatus::Completed)
                if !matches!(activity.sub_status, Some(Sub::CompletedWithFailure)) =>
            {
                return PollStep::Done;
            }
            Some(s) if s.is_final() => {
                return PollStep::Failed(Error::ActivityFailed {
                    id: self.id.clone(),
                    status: label(),
                });
            }
            _ => {}
        }
        if self.waited >= self.max_wait {
            return PollStep::GiveUp(Error::ActivityPending {
                id: self.id.clone(),
                waited: self.waited,
            });
        }
        let factor = 1u32 << self.attempt.min(16);
        let wait = self
            .first_interval
            .saturating_mul(factor)
            .min(self.max_interval)
            .min(self.max_wait.saturating_sub(self.waited));
        self.attempt += 1;
        self.waited += wait;
        PollStep::Wait(wait)
    }
}

/// Most bytes of an activity CSV log this crate reads (4 MiB).
pub const MAX_ACTIVITY_LOG: usize = 4 * 1024 * 1024;

/// One row of an activity's CSV log: the columns by header name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActivityLogRow {
    /// The serial number, from the first column whose header mentions "serial".
    pub serial_number: Option<String>,
    /// The outcome, from the first column whose header mentions "status" or "result".
    pub status: Option<String>,
    /// The message, from the first column whose header mentions "error", "message" or
    /// "reason".
    pub message: Option<String>,
    /// Every column, by header.
    pub columns: Extra,
}

/// An activity's CSV log: per-device outcomes.
///
/// Apple does not document the columns; the log is read as a header row and records
/// (RFC 4180 quoting), and the serial, status and message columns are found by header name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActivityLog {
    /// The header row.
    pub headers: Vec<String>,
    /// The records.
    pub rows: Vec<ActivityLogRow>,
}

impl ActivityLog {
    /// Reads the CSV.
    ///
    /// ```
    /// let log = mdm_axm::ActivityLog::decode(b"Serial Number,Status,Error Message\r\nC02X,SUCCESS,\r\nC03Y,FAILED,\"not found, sorry\"\r\n")?;
    /// assert_eq!(log.rows[1].status.as_deref(), Some("FAILED"));
    /// assert_eq!(log.rows[1].message.as_deref(), Some("not found, sorry"));
    /// # Ok::<_, mdm_axm::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ResponseTooLarge`] above [`MAX_ACTIVITY_LOG`]; [`Error::MalformedResponse`]
    /// for an unterminated quote.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_ACTIVITY_LOG {
            return Err(Error::ResponseTooLarge {
                limit: MAX_ACTIVITY_LOG,
            });
        }
        let text = String::from_utf8_lossy(bytes);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let records = parse_csv(text)?;
        let mut records = records.into_iter();
        let headers: Vec<String> = records
            .next()
            .unwrap_or_default()
            .into_iter()
            .map(|h| h.trim().to_owned())
            .collect();
        let find = |words: &[&str]| {
            headers.iter().position(|h| {
                let h = h.to_ascii_lowercase();
                words.iter().any(|w| h.contains(w))
            })
        };
        let serial = find(&["serial"]);
        let status = find(&["status", "result"]);
        let message = find(&["error", "message", "reason"]);
        let rows = records
            .filter(|r| r.iter().any(|c| !c.is_empty()))
            .map(|r| {
                let get =
                    |i: Option<usize>| i.and_then(|i| r.get(i)).filter(|v| !v.is_empty()).cloned();
                let columns = headers
                    .iter()
                    .zip(r.iter())
                    .map(|(h, v)| (h.clone(), serde_json::Value::String(v.clone())))
                    .collect();
                ActivityLogRow {
                    serial_number: get(serial),
                    status: get(status),
                    message: get(message),
                    columns,
                }
            })
            .collect();
        Ok(ActivityLog { headers, rows })
    }
}

fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, Error> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(Error::MalformedResponse {
            what: "activity log",
            detail: "a quoted field is not closed".into(),
        });
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serial() -> SerialNumber {
        SerialNumber::new("C02XL0GHJGH5").unwrap()
    }

    const SERVER: &str = "1F97349736CF4614A94F624E705841AD";

    #[test]
    fn rules_per_type() {
        let now = Utc::now();
        let day = chrono::Duration::days(1);
        assert!(ActivityRequest::assign(SERVER, []).is_err());
        assert!(ActivityRequest::assign("bad id/..", [serial()]).is_err());
        let r = ActivityRequest::assign_with_migration_deadline(SERVER, [serial()], now + day * 30)
            .unwrap();
        assert!(r.check(now).is_ok());
        let r = ActivityRequest::assign_with_migration_deadline(SERVER, [serial()], now + day * 91)
            .unwrap();
        assert!(r.check(now).is_err());
        let r = ActivityRequest::update_migration_deadline([serial()], now - day).unwrap();
        assert!(r.check(now).is_err());
        let r = ActivityRequest::new(ActivityType::CancelMdmMigration, [serial()])
            .with_mdm_server(SERVER);
        assert!(r.check(now).is_err());
        let r = ActivityRequest::new(ActivityType::CancelMdmMigration, [serial()])
            .with_deadline(now + day);
        assert!(r.check(now).is_err());
        let r = ActivityRequest::new(ActivityType::AssignDevices, [serial()]);
        assert!(r.check(now).is_err());
        assert!(
            ActivityRequest::release([serial()])
                .unwrap()
                .check(now)
                .is_ok()
        );
        let r = ActivityRequest::new(ActivityType::from("NEW_TYPE_2027"), [serial()])
            .with_mdm_server(SERVER);
        assert!(r.check(now).is_ok());
    }

    #[test]
    fn body_round_trip() {
        let now = Utc::now();
        let deadline =
            DateTime::from_timestamp_millis(now.timestamp_millis() + 86_400_000).unwrap();
        let r =
            ActivityRequest::assign_with_migration_deadline(SERVER, [serial()], deadline).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&r.encode().unwrap()).unwrap();
        assert_eq!(body["data"]["type"], "orgDeviceActivities");
        assert_eq!(
            body["data"]["relationships"]["mdmServer"]["data"]["type"],
            "mdmServers"
        );
        assert!(
            body["data"]["attributes"]["activityTypeMetadata"]["mdmMigrationDeadlineDateTime"]
                .is_string()
        );
        assert_eq!(ActivityRequest::decode(&r.encode().unwrap()).unwrap(), r);
        let cancel = ActivityRequest::cancel_migration([serial()]).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&cancel.encode().unwrap()).unwrap();
        assert!(
            body["data"]["attributes"]
                .get("activityTypeMetadata")
                .is_none()
        );
        assert!(body["data"]["relationships"].get("mdmServer").is_none());
    }

    #[test]
    fn poll_backoff_is_bounded() {
        let mut poll = ActivityPoll::new("a")
            .max_interval(Duration::from_secs(4))
            .max_wait(Duration::from_secs(10));
        let running = OrgDeviceActivity {
            status: Some(ActivityStatus::InProgress),
            ..Default::default()
        };
        let waits: Vec<_> = std::iter::from_fn(|| match poll.next(&running) {
            PollStep::Wait(d) => Some(d.as_secs()),
            _ => None,
        })
        .collect();
        assert_eq!(waits, [1, 2, 4, 3]);
        let failed = OrgDeviceActivity {
            status: Some(ActivityStatus::Failed),
            ..Default::default()
        };
        assert!(matches!(
            ActivityPoll::new("a").next(&failed),
            PollStep::Failed(_)
        ));
        let done = OrgDeviceActivity {
            status: Some(ActivityStatus::Completed),
            ..Default::default()
        };
        assert_eq!(ActivityPoll::new("a").next(&done), PollStep::Done);
    }

    #[test]
    fn csv_edge_cases() {
        assert!(ActivityLog::decode(b"a,\"b").is_err());
        let log = ActivityLog::decode(b"").unwrap();
        assert!(log.rows.is_empty());
        let log =
            ActivityLog::decode(b"\xef\xbb\xbfserialNumber,result\nS1,\"he said \"\"no\"\"\"\n\n")
                .unwrap();
        assert_eq!(log.rows.len(), 1);
        assert_eq!(log.rows[0].serial_number.as_deref(), Some("S1"));
        assert_eq!(log.rows[0].status.as_deref(), Some("he said \"no\""));
    }
}
