//! Device sync as a state machine: fetch pages until `more_to_follow` is false, then sync
//! from the last cursor, with Apple's three cursor failures handled.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::api::{FetchDevices, SyncDevices};
use crate::error::Error;
use crate::types::{AccountDetail, Device, DevicePage};

/// Which endpoint the machine is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// `POST /server/devices`: the first, full load.
    Fetch,
    /// `POST /devices/sync`: changes since the cursor.
    Sync,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncStep {
    /// Send this fetch.
    Fetch(FetchDevices),
    /// Send this sync.
    Sync(SyncDevices),
    /// This round is over: everything up to the cursor has been seen. Start the next
    /// round later (Apple's tools poll every 30 minutes or so) with [`DeviceSync::next_round`].
    Done,
}

/// One page as handed to the caller: its devices (repeats collapsed, see
/// [`collapse_by_op_date`]) and the cursor to persist once they are stored.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SyncPage {
    /// The phase the page came from.
    pub phase: SyncPhase,
    /// The page's devices.
    pub devices: Vec<Device>,
    /// The cursor after this page: persist it (with [`SyncPage::phase`]) to resume.
    pub cursor: Option<String>,
    /// Whether the server said more follows at once.
    pub more_to_follow: bool,
    /// `fetched_until`.
    pub fetched_until: Option<DateTime<Utc>>,
}

/// Most times one round goes back to a full fetch after `EXPIRED_CURSOR` or
/// `INVALID_CURSOR` before giving up with the error.
pub const MAX_CURSOR_RESTARTS: u32 = 2;

/// The fetch-then-sync machine (sans-IO). Ask [`DeviceSync::next_step`] what to send, hand
/// the decoded page to [`DeviceSync::accept`] or the error to [`DeviceSync::on_error`].
///
/// ```
/// use mdm_dep::{DevicePage, DeviceSync, SyncPhase, SyncStep};
///
/// let mut sync = DeviceSync::new(None).with_limit(500);
/// let SyncStep::Fetch(f) = sync.next_step() else { unreachable!() };
/// assert_eq!((f.cursor, f.limit), (None, Some(500)));
/// let page = DevicePage::decode(br#"{"cursor":"c1","devices":[],"more_to_follow":false}"#)?;
/// sync.accept(page);
/// assert_eq!(sync.phase(), SyncPhase::Sync);
/// let SyncStep::Sync(s) = sync.next_step() else { unreachable!() };
/// assert_eq!(s.cursor, "c1");
/// # Ok::<(), mdm_dep::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSync {
    phase: SyncPhase,
    cursor: Option<String>,
    fetch_limit: Option<u32>,
    sync_limit: Option<u32>,
    done: bool,
    restarts: u32,
}

impl DeviceSync {
    /// A machine that starts with a full fetch, or with a sync when a cursor from an
    /// earlier completed fetch or sync is given.
    pub fn new(cursor: Option<String>) -> Self {
        let phase = if cursor.is_some() {
            SyncPhase::Sync
        } else {
            SyncPhase::Fetch
        };
        Self::resume(phase, cursor)
    }

    /// A machine resuming where a persisted [`SyncPage`] left off (its phase and cursor),
    /// so an interrupted fetch continues as a fetch.
    pub fn resume(phase: SyncPhase, cursor: Option<String>) -> Self {
        let phase = if cursor.is_none() {
            SyncPhase::Fetch
        } else {
            phase
        };
        DeviceSync {
            phase,
            cursor,
            fetch_limit: None,
            sync_limit: None,
            done: false,
            restarts: 0,
        }
    }

    /// Asks for `limit` devices per page on fetch and sync (default: the server's).
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.fetch_limit = Some(limit.max(1));
        self.sync_limit = Some(limit.max(1));
        self
    }

    /// Takes the page limits from the account's `urls` (`/server/devices` and
    /// `/devices/sync`), see [`AccountDetail::page_limit`].
    pub fn with_account_limits(mut self, account: &AccountDetail) -> Self {
        self.fetch_limit = Some(account.page_limit("/server/devices"));
        self.sync_limit = Some(account.page_limit("/devices/sync"));
        self
    }

    /// The phase.
    pub fn phase(&self) -> SyncPhase {
        self.phase
    }

    /// The current cursor.
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// What to send next.
    pub fn next_step(&self) -> SyncStep {
        if self.done {
            return SyncStep::Done;
        }
        match (self.phase, &self.cursor) {
            (SyncPhase::Sync, Some(c)) => {
                SyncStep::Sync(SyncDevices::new(c.clone(), self.sync_limit))
            }
            _ => SyncStep::Fetch(FetchDevices::new(self.cursor.clone(), self.fetch_limit)),
        }
    }

    /// Takes the page answering the last step and returns it for the caller, its devices
    /// collapsed. The cursor moves on only here, so a failed request is simply sent again.
    pub fn accept(&mut self, page: DevicePage) -> SyncPage {
        let mut more = page.has_more();
        let phase = self.phase;
        let new_cursor = page.cursor.filter(|c| !c.is_empty());
        if more && (new_cursor.is_none() || new_cursor == self.cursor) {
            // "More to follow" from the same cursor would ask for the same page forever:
            // end the round here instead.
            more = false;
        }
        if let Some(c) = new_cursor {
            self.cursor = Some(c);
        }
        match phase {
            SyncPhase::Fetch if !more => {
                if self.cursor.is_some() {
                    self.phase = SyncPhase::Sync;
                } else {
                    // A fetch that ends without any cursor leaves nothing to sync from.
                    self.done = true;
                }
            }
            SyncPhase::Sync if !more => self.done = true,
            _ => {}
        }
        SyncPage {
            phase,
            devices: collapse_by_op_date(page.devices.unwrap_or_default()),
            cursor: self.cursor.clone(),
            more_to_follow: more,
            fetched_until: page.fetched_until,
        }
    }

    /// Takes the error of the last step. Cursor errors are handled here (`Ok`: ask
    /// [`DeviceSync::next_step`] again): `EXHAUSTED_CURSOR` on fetch moves to sync with the
    /// same cursor; `EXPIRED_CURSOR` and `INVALID_CURSOR` drop the cursor and start a full
    /// fetch (at most [`MAX_CURSOR_RESTARTS`] times per round). Anything else is returned
    /// and the state is unchanged, so the same step can be retried.
    ///
    /// # Errors
    /// The error itself when the machine cannot act on it.
    pub fn on_error(&mut self, error: Error) -> Result<(), Error> {
        if error.is_cursor_exhausted() && self.phase == SyncPhase::Fetch && self.cursor.is_some() {
            self.phase = SyncPhase::Sync;
            return Ok(());
        }
        if error.is_cursor_exhausted() && self.phase == SyncPhase::Sync {
            // Nothing new since this cursor.
            self.done = true;
            return Ok(());
        }
        if (error.is_cursor_expired() || error.is_cursor_invalid())
            && self.restarts < MAX_CURSOR_RESTARTS
            && self.cursor.is_some()
        {
            self.restarts += 1;
            self.cursor = None;
            self.phase = SyncPhase::Fetch;
            return Ok(());
        }
        Err(error)
    }

    /// Whether this round is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Starts the next round: a sync from the current cursor (or a fetch without one).
    pub fn next_round(&mut self) {
        self.done = false;
        self.restarts = 0;
        if self.cursor.is_some() {
            self.phase = SyncPhase::Sync;
        }
    }
}

/// Collapses repeated devices (same serial number) to the record with the latest
/// `op_date`; on equal or missing dates the later record wins. Order follows the first
/// appearance of each serial.
pub fn collapse_by_op_date(devices: Vec<Device>) -> Vec<Device> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(devices.len());
    let mut out: Vec<Device> = Vec::with_capacity(devices.len());
    for device in devices {
        match index.get(device.serial_number.as_str()) {
            Some(&i) => {
                if let Some(kept) = out.get_mut(i)
                    && device.op_date >= kept.op_date
                {
                    *kept = device;
                }
            }
            None => {
                index.insert(device.serial_number.as_str().to_owned(), out.len());
                out.push(device);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn page(cursor: &str, more: bool) -> DevicePage {
        DevicePage::decode(
            format!(r#"{{"cursor":"{cursor}","devices":[],"more_to_follow":{more}}}"#).as_bytes(),
        )
        .unwrap()
    }

    fn cursor_error(code: &str) -> Error {
        Error::from_api(ApiError::from_parts(
            400,
            &http::HeaderMap::new(),
            code.as_bytes(),
            Utc::now(),
        ))
    }

    #[test]
    fn fetch_pages_then_sync() {
        let mut s = DeviceSync::new(None);
        s.accept(page("a", true));
        assert_eq!(
            s.next_step(),
            SyncStep::Fetch(FetchDevices::new(Some("a".into()), None))
        );
        s.accept(page("b", false));
        assert_eq!(s.next_step(), SyncStep::Sync(SyncDevices::new("b", None)));
        s.accept(page("c", true));
        s.accept(page("d", false));
        assert_eq!(s.next_step(), SyncStep::Done);
        s.next_round();
        assert_eq!(s.next_step(), SyncStep::Sync(SyncDevices::new("d", None)));
    }

    #[test]
    fn a_cursor_that_does_not_move_ends_the_round() {
        let mut s = DeviceSync::new(Some("a".into()));
        let p = s.accept(page("a", true));
        assert!(!p.more_to_follow);
        assert_eq!(s.next_step(), SyncStep::Done);
        let mut s = DeviceSync::new(None);
        let p = s.accept(DevicePage::decode(br#"{"devices":[],"more_to_follow":true}"#).unwrap());
        assert!(!p.more_to_follow);
        assert_eq!(s.next_step(), SyncStep::Done);
    }

    #[test]
    fn limits_from_the_account() {
        let account = AccountDetail::decode(
            br#"{"urls":[{"uri":"/server/devices","limit":{"default":2000,"maximum":5000}},{"uri":"/devices/sync","limit":{"default":9000,"maximum":3000}}]}"#,
        )
        .unwrap();
        let s = DeviceSync::new(None).with_account_limits(&account);
        assert_eq!(
            s.next_step(),
            SyncStep::Fetch(FetchDevices::new(None, Some(2000)))
        );
        let s = DeviceSync::new(Some("c".into())).with_account_limits(&account);
        assert_eq!(
            s.next_step(),
            SyncStep::Sync(SyncDevices::new("c", Some(3000)))
        );
        let none = AccountDetail::decode(b"{}").unwrap();
        let s = DeviceSync::new(None).with_account_limits(&none);
        assert_eq!(
            s.next_step(),
            SyncStep::Fetch(FetchDevices::new(None, Some(1000)))
        );
    }

    #[test]
    fn cursor_errors() {
        let mut s = DeviceSync::resume(SyncPhase::Fetch, Some("x".into()));
        s.on_error(cursor_error("EXHAUSTED_CURSOR")).unwrap();
        assert_eq!(s.next_step(), SyncStep::Sync(SyncDevices::new("x", None)));
        s.on_error(cursor_error("EXPIRED_CURSOR")).unwrap();
        assert_eq!(
            s.next_step(),
            SyncStep::Fetch(FetchDevices::new(None, None))
        );
        s.accept(page("y", false));
        s.on_error(cursor_error("INVALID_CURSOR")).unwrap();
        s.accept(page("z", false));
        // Third restart in one round: given back.
        assert!(s.on_error(cursor_error("INVALID_CURSOR")).is_err());
        assert!(s.on_error(cursor_error("MALFORMED_REQUEST_BODY")).is_err());
    }

    #[test]
    fn collapse_keeps_latest() {
        let d = |serial: &str, date: &str, model: &str| {
            Device::decode(
                format!(r#"{{"serial_number":"{serial}","op_date":"{date}","model":"{model}"}}"#)
                    .as_bytes(),
            )
            .unwrap()
        };
        let out = collapse_by_op_date(vec![
            d("A", "2024-01-02T00:00:00Z", "new"),
            d("B", "2024-01-01T00:00:00Z", "b"),
            d("A", "2024-01-01T00:00:00Z", "old"),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].model.as_deref(), Some("new"));
    }
}
