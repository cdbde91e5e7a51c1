//! The embedded default [`Store`]: one SQLite file in WAL mode, one connection behind a
//! mutex (SQLite serialises writers anyway; reads are short).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};

use super::store::{
    BoundIdentity, CommandRecord, CommandReport, Delivery, DeviceDeclarations, DeviceFacts,
    DeviceRecord, IN_FLIGHT_SECS, Inventory, InventoryUpdate, NewCommand, PushInfo, QueuedCommand,
    Removal, StatusRow, Store, StoreError, StoredDeclaration,
};

/// Check-ins kept per enrollment in the log; older ones are dropped.
pub const MAX_CHECKIN_LOG: i64 = 100;

/// The schema, one step per version; `PRAGMA user_version` says how many are applied.
/// Step 1 is written with `IF NOT EXISTS` because databases made before versioning have
/// its tables already (and `user_version` 0).
const MIGRATIONS: &[&str] = &[V1, V2, V3];

const V1: &str = "
CREATE TABLE IF NOT EXISTS enrollments (
    id              TEXT PRIMARY KEY,
    parent_id       TEXT,
    udid            TEXT,
    serial_number   TEXT,
    model           TEXT,
    product_name    TEXT,
    os_version      TEXT,
    device_name     TEXT,
    topic           TEXT,
    push_token      BLOB,
    push_magic      TEXT,
    unlock_token    BLOB,
    bootstrap_token BLOB,
    enrolled        INTEGER NOT NULL DEFAULT 0,
    cert_sha256     TEXT,
    cert_subject    TEXT,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checkins (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    enrollment_id   TEXT NOT NULL,
    message_type    TEXT NOT NULL,
    raw             BLOB NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS enrollments_by_cert ON enrollments (cert_sha256);
CREATE INDEX IF NOT EXISTS checkins_by_enrollment ON checkins (enrollment_id, seq);
CREATE TABLE IF NOT EXISTS commands (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    command_uuid    TEXT NOT NULL UNIQUE,
    request_type    TEXT NOT NULL,
    body            BLOB NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS queue (
    enrollment_id   TEXT NOT NULL,
    command_seq     INTEGER NOT NULL REFERENCES commands (seq),
    status          TEXT,
    delivered_at    INTEGER,
    deliveries      INTEGER NOT NULL DEFAULT 0,
    answered_at     INTEGER,
    raw             BLOB,
    typed_error     TEXT,
    PRIMARY KEY (enrollment_id, command_seq)
) WITHOUT ROWID;
";

/// Inventory columns, and the indexes check-out and command reads need at fleet size.
const V2: &str = "
ALTER TABLE enrollments ADD COLUMN build_version TEXT;
ALTER TABLE enrollments ADD COLUMN security_info TEXT;
ALTER TABLE enrollments ADD COLUMN installed_applications TEXT;
ALTER TABLE enrollments ADD COLUMN profiles TEXT;
ALTER TABLE enrollments ADD COLUMN certificates TEXT;
ALTER TABLE enrollments ADD COLUMN inventory_at INTEGER;
CREATE INDEX IF NOT EXISTS enrollments_by_parent ON enrollments (parent_id);
CREATE INDEX IF NOT EXISTS queue_by_command ON queue (command_seq);
";

/// Declarative management: declarations stored once and shared, each device's set (the
/// identifiers it holds, and when the set last changed), and the latest value of every
/// status item a device reported.
const V3: &str = "
CREATE TABLE declarations (
    identifier       TEXT PRIMARY KEY,
    declaration_type TEXT NOT NULL,
    server_token     TEXT NOT NULL,
    body             BLOB NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE TABLE device_declarations (
    enrollment_id    TEXT NOT NULL,
    identifier       TEXT NOT NULL REFERENCES declarations (identifier),
    PRIMARY KEY (enrollment_id, identifier)
) WITHOUT ROWID;
CREATE INDEX device_declarations_by_identifier ON device_declarations (identifier);
CREATE TABLE declaration_sets (
    enrollment_id    TEXT PRIMARY KEY,
    changed_at       INTEGER NOT NULL
);
CREATE TABLE declaration_status (
    enrollment_id    TEXT NOT NULL,
    item             TEXT NOT NULL,
    value            TEXT NOT NULL,
    at               INTEGER NOT NULL,
    PRIMARY KEY (enrollment_id, item)
) WITHOUT ROWID;
";

/// `seq`, `CommandUUID`, `RequestType`, body, status and delivery time of a queued command.
type NextRow = (i64, String, String, Vec<u8>, Option<String>, Option<i64>);

/// A SQLite-backed [`Store`].
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    ///
    /// # Errors
    /// When the file cannot be opened or the schema cannot be created.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(err)?;
        Self::init(conn)
    }

    /// An in-memory database (tests).
    ///
    /// # Errors
    /// When the schema cannot be created.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(err)?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError("connection mutex poisoned".into()))
    }
}

/// Applies the steps of [`MIGRATIONS`] the database has not had, each in a transaction
/// that also bumps `user_version` (an immediate one, so two processes starting on one
/// file do not both apply a step).
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    for (i, step) in MIGRATIONS.iter().enumerate() {
        let version = i64::try_from(i + 1).map_err(|e| StoreError(e.to_string()))?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let current: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        if current < version {
            tx.execute_batch(step)
                .map_err(|e| StoreError(format!("schema version {version}: {e}")))?;
            tx.pragma_update(None, "user_version", version)
                .map_err(err)?;
        }
        tx.commit().map_err(err)?;
    }
    Ok(())
}

fn json_column(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn row_to_device(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRecord> {
    Ok(DeviceRecord {
        id: row.get(0)?,
        parent_id: row.get(1)?,
        udid: row.get(2)?,
        serial_number: row.get(3)?,
        model: row.get(4)?,
        product_name: row.get(5)?,
        os_version: row.get(6)?,
        device_name: row.get(7)?,
        topic: row.get(8)?,
        enrolled: row.get::<_, i64>(9)? != 0,
        has_push_token: row.get::<_, i64>(10)? != 0,
        identity_subject: row.get(11)?,
        identity_sha256: row.get(12)?,
        pending_commands: u64::try_from(row.get::<_, i64>(13)?).unwrap_or(0),
        created_at: row.get(14)?,
        last_seen_at: row.get(15)?,
        build_version: row.get(16)?,
        inventory: Inventory {
            security_info: json_column(row.get(17)?),
            installed_applications: json_column(row.get(18)?),
            profiles: json_column(row.get(19)?),
            certificates: json_column(row.get(20)?),
            updated_at: row.get(21)?,
        },
    })
}

const DEVICE_SELECT: &str = "
SELECT e.id, e.parent_id, e.udid, e.serial_number, e.model, e.product_name, e.os_version,
       e.device_name, e.topic, e.enrolled, e.push_token IS NOT NULL, e.cert_subject,
       e.cert_sha256,
       (SELECT COUNT(*) FROM queue q WHERE q.enrollment_id = e.id
            AND (q.status IS NULL OR q.status = 'NotNow')),
       e.created_at, e.last_seen_at, e.build_version";

/// The inventory lists, for single-device reads.
const DEVICE_LISTS: &str = ", e.security_info, e.installed_applications, e.profiles,
       e.certificates, e.inventory_at FROM enrollments e";

/// No lists, for the fleet listing.
const DEVICE_NO_LISTS: &str = ", NULL, NULL, NULL, NULL, e.inventory_at FROM enrollments e";

fn row_to_delivery(row: &rusqlite::Row<'_>) -> rusqlite::Result<Delivery> {
    Ok(Delivery {
        enrollment_id: row.get(0)?,
        command_uuid: row.get(1)?,
        request_type: row.get(2)?,
        status: row.get(3)?,
        delivered_at: row.get(4)?,
        answered_at: row.get(5)?,
        deliveries: u32::try_from(row.get::<_, i64>(6)?).unwrap_or(u32::MAX),
        raw: row.get(7)?,
        typed_error: row.get(8)?,
    })
}

const DELIVERY_SELECT: &str = "
SELECT q.enrollment_id, c.command_uuid, c.request_type, q.status, q.delivered_at,
       q.answered_at, q.deliveries, q.raw, q.typed_error
FROM queue q JOIN commands c ON c.seq = q.command_seq";

fn row_to_declaration(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredDeclaration> {
    Ok(StoredDeclaration {
        identifier: row.get(0)?,
        declaration_type: row.get(1)?,
        server_token: row.get(2)?,
        body: row.get(3)?,
        updated_at: row.get(4)?,
    })
}

const DECLARATION_SELECT: &str =
    "SELECT identifier, declaration_type, server_token, body, updated_at FROM declarations";

impl Store for SqliteStore {
    fn log_checkin(
        &self,
        enrollment_id: &str,
        message_type: &str,
        raw: &[u8],
        at: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(err)?;
        tx.execute(
            "INSERT INTO checkins (enrollment_id, message_type, raw, at) VALUES (?1, ?2, ?3, ?4)",
            params![enrollment_id, message_type, raw, at],
        )
        .map_err(err)?;
        tx.execute(
            "DELETE FROM checkins WHERE enrollment_id = ?1 AND seq <= (
                 SELECT seq FROM checkins WHERE enrollment_id = ?1
                 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
            params![enrollment_id, MAX_CHECKIN_LOG],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn authenticate(
        &self,
        enrollment_id: &str,
        parent_id: Option<&str>,
        facts: &DeviceFacts,
        at: i64,
    ) -> Result<(), StoreError> {
        self.conn()?
            .execute(
                "INSERT INTO enrollments (id, parent_id, udid, serial_number, model, product_name,
                     os_version, device_name, topic, enrolled, created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?10)
                 ON CONFLICT (id) DO UPDATE SET
                     parent_id = excluded.parent_id,
                     udid = excluded.udid,
                     serial_number = excluded.serial_number,
                     model = excluded.model,
                     product_name = excluded.product_name,
                     os_version = excluded.os_version,
                     device_name = excluded.device_name,
                     topic = excluded.topic,
                     enrolled = 0,
                     push_token = NULL,
                     push_magic = NULL,
                     last_seen_at = excluded.last_seen_at",
                params![
                    enrollment_id,
                    parent_id,
                    facts.udid,
                    facts.serial_number,
                    facts.model,
                    facts.product_name,
                    facts.os_version,
                    facts.device_name,
                    facts.topic,
                    at
                ],
            )
            .map_err(err)?;
        Ok(())
    }

    fn token_update(
        &self,
        enrollment_id: &str,
        parent_id: Option<&str>,
        push: &PushInfo,
        unlock_token: Option<&[u8]>,
        at: i64,
    ) -> Result<(), StoreError> {
        self.conn()?
            .execute(
                "INSERT INTO enrollments (id, parent_id, topic, push_token, push_magic,
                     unlock_token, enrolled, created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)
                 ON CONFLICT (id) DO UPDATE SET
                     topic = excluded.topic,
                     push_token = excluded.push_token,
                     push_magic = excluded.push_magic,
                     unlock_token = COALESCE(excluded.unlock_token, unlock_token),
                     enrolled = 1,
                     last_seen_at = excluded.last_seen_at",
                params![
                    enrollment_id,
                    parent_id,
                    push.topic,
                    push.token,
                    push.push_magic,
                    unlock_token,
                    at
                ],
            )
            .map_err(err)?;
        Ok(())
    }

    fn check_out(&self, enrollment_id: &str, at: i64) -> Result<(), StoreError> {
        self.conn()?
            .execute(
                "UPDATE enrollments SET enrolled = 0, push_token = NULL, last_seen_at = ?2
                 WHERE id = ?1 OR parent_id = ?1",
                params![enrollment_id, at],
            )
            .map_err(err)?;
        Ok(())
    }

    fn set_bootstrap_token(
        &self,
        enrollment_id: &str,
        token: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        self.conn()?
            .execute(
                "UPDATE enrollments SET bootstrap_token = ?2 WHERE id = ?1",
                params![enrollment_id, token],
            )
            .map_err(err)?;
        Ok(())
    }

    fn bootstrap_token(&self, enrollment_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let token: Option<Option<Vec<u8>>> = self
            .conn()?
            .query_row(
                "SELECT bootstrap_token FROM enrollments WHERE id = ?1",
                params![enrollment_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        Ok(token.flatten())
    }

    fn bind_identity(
        &self,
        enrollment_id: &str,
        identity: &BoundIdentity,
    ) -> Result<(), StoreError> {
        self.conn()?
            .execute(
                "UPDATE enrollments SET cert_sha256 = ?2, cert_subject = ?3 WHERE id = ?1",
                params![enrollment_id, identity.fingerprint, identity.subject],
            )
            .map_err(err)?;
        Ok(())
    }

    fn identity(&self, enrollment_id: &str) -> Result<Option<BoundIdentity>, StoreError> {
        let row: Option<(Option<String>, Option<String>)> = self
            .conn()?
            .query_row(
                "SELECT cert_sha256, cert_subject FROM enrollments WHERE id = ?1",
                params![enrollment_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(err)?;
        Ok(match row {
            Some((Some(fingerprint), subject)) => Some(BoundIdentity {
                fingerprint,
                subject: subject.unwrap_or_default(),
            }),
            _ => None,
        })
    }

    fn enrollment_for_identity(&self, fingerprint: &str) -> Result<Option<String>, StoreError> {
        self.conn()?
            .query_row(
                "SELECT id FROM enrollments WHERE cert_sha256 = ?1 LIMIT 1",
                params![fingerprint],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)
    }

    fn request_type(&self, command_uuid: &str) -> Result<Option<String>, StoreError> {
        self.conn()?
            .query_row(
                "SELECT request_type FROM commands WHERE command_uuid = ?1",
                params![command_uuid],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)
    }

    fn exists(&self, enrollment_id: &str) -> Result<bool, StoreError> {
        let n: i64 = self
            .conn()?
            .query_row(
                "SELECT COUNT(*) FROM enrollments WHERE id = ?1",
                params![enrollment_id],
                |r| r.get(0),
            )
            .map_err(err)?;
        Ok(n > 0)
    }

    fn enqueue(
        &self,
        enrollment_ids: &[String],
        command: &NewCommand,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(err)?;
        let now = super::now();
        tx.execute(
            "INSERT INTO commands (command_uuid, request_type, body, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                command.command_uuid,
                command.request_type,
                command.body,
                now
            ],
        )
        .map_err(err)?;
        let seq = tx.last_insert_rowid();
        let mut queued = 0;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT OR IGNORE INTO queue (enrollment_id, command_seq)
                     SELECT id, ?2 FROM enrollments WHERE id = ?1",
                )
                .map_err(err)?;
            for id in enrollment_ids {
                queued += stmt.execute(params![id, seq]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(queued)
    }

    fn next_command(
        &self,
        enrollment_id: &str,
        skip_not_now: bool,
        at: i64,
    ) -> Result<Option<QueuedCommand>, StoreError> {
        let mut conn = self.conn()?;
        // Immediate: the write lock is taken before the read, so another process on the
        // same file cannot pick the same command between the two.
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let next: Option<NextRow> = tx
            .query_row(
                "SELECT c.seq, c.command_uuid, c.request_type, c.body, q.status, q.delivered_at
                 FROM queue q JOIN commands c ON c.seq = q.command_seq
                 WHERE q.enrollment_id = ?1
                   AND (q.status IS NULL OR (q.status = 'NotNow' AND NOT ?2))
                 ORDER BY c.seq LIMIT 1",
                params![enrollment_id, skip_not_now],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?;
        let Some((seq, command_uuid, request_type, body, status, delivered_at)) = next else {
            return Ok(None);
        };
        if status.is_none() && delivered_at.is_some_and(|d| d > at - IN_FLIGHT_SECS) {
            return Ok(None);
        }
        tx.execute(
            "UPDATE queue SET delivered_at = ?3, deliveries = deliveries + 1, status = NULL
             WHERE enrollment_id = ?1 AND command_seq = ?2",
            params![enrollment_id, seq, at],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Some(QueuedCommand {
            command_uuid,
            request_type,
            body,
        }))
    }

    fn clear_queue(&self, enrollment_id: &str) -> Result<usize, StoreError> {
        self.conn()?
            .execute(
                "DELETE FROM queue WHERE enrollment_id = ?1
                   AND (status IS NULL OR status = 'NotNow')",
                params![enrollment_id],
            )
            .map_err(err)
    }

    fn record_report(&self, report: &CommandReport<'_>) -> Result<bool, StoreError> {
        let n = self
            .conn()?
            .execute(
                "UPDATE queue SET status = ?3, answered_at = ?4, raw = ?5, typed_error = ?6
                 WHERE enrollment_id = ?1
                   AND command_seq = (SELECT seq FROM commands WHERE command_uuid = ?2)",
                params![
                    report.enrollment_id,
                    report.command_uuid,
                    report.status,
                    report.at,
                    report.raw,
                    report.typed_error
                ],
            )
            .map_err(err)?;
        Ok(n > 0)
    }

    fn seen(&self, enrollment_id: &str, at: i64) -> Result<(), StoreError> {
        self.conn()?
            .execute(
                "UPDATE enrollments SET last_seen_at = ?2 WHERE id = ?1",
                params![enrollment_id, at],
            )
            .map_err(err)?;
        Ok(())
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "{DEVICE_SELECT}{DEVICE_NO_LISTS} ORDER BY e.created_at, e.id"
            ))
            .map_err(err)?;
        let rows = stmt.query_map([], row_to_device).map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn device(&self, enrollment_id: &str) -> Result<Option<DeviceRecord>, StoreError> {
        self.conn()?
            .query_row(
                &format!("{DEVICE_SELECT}{DEVICE_LISTS} WHERE e.id = ?1"),
                params![enrollment_id],
                row_to_device,
            )
            .optional()
            .map_err(err)
    }

    fn command(&self, command_uuid: &str) -> Result<Option<CommandRecord>, StoreError> {
        let conn = self.conn()?;
        let head: Option<(String, String, i64)> = conn
            .query_row(
                "SELECT command_uuid, request_type, created_at FROM commands
                 WHERE command_uuid = ?1",
                params![command_uuid],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(err)?;
        let Some((command_uuid, request_type, created_at)) = head else {
            return Ok(None);
        };
        let mut stmt = conn
            .prepare(&format!(
                "{DELIVERY_SELECT} WHERE c.command_uuid = ?1 ORDER BY q.enrollment_id"
            ))
            .map_err(err)?;
        let deliveries = stmt
            .query_map(params![command_uuid], row_to_delivery)
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        Ok(Some(CommandRecord {
            command_uuid,
            request_type,
            created_at,
            deliveries,
        }))
    }

    fn device_commands(
        &self,
        enrollment_id: &str,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(&format!(
                "{DELIVERY_SELECT} WHERE q.enrollment_id = ?1 ORDER BY c.seq DESC LIMIT ?2"
            ))
            .map_err(err)?;
        stmt.query_map(params![enrollment_id, limit], row_to_delivery)
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)
    }

    fn push_info(&self, enrollment_ids: &[String]) -> Result<Vec<(String, PushInfo)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT push_token, push_magic, topic FROM enrollments
                 WHERE id = ?1 AND enrolled = 1 AND push_token IS NOT NULL
                   AND push_magic IS NOT NULL AND topic IS NOT NULL",
            )
            .map_err(err)?;
        let mut out = Vec::new();
        for id in enrollment_ids {
            let row = stmt
                .query_row(params![id], |r| {
                    Ok(PushInfo {
                        token: r.get(0)?,
                        push_magic: r.get(1)?,
                        topic: r.get(2)?,
                    })
                })
                .optional()
                .map_err(err)?;
            if let Some(info) = row {
                out.push((id.clone(), info));
            }
        }
        Ok(out)
    }

    fn update_inventory(
        &self,
        enrollment_id: &str,
        u: &InventoryUpdate,
        at: i64,
    ) -> Result<(), StoreError> {
        self.conn()?
            .execute(
                "UPDATE enrollments SET
                     serial_number = COALESCE(?2, serial_number),
                     model = COALESCE(?3, model),
                     product_name = COALESCE(?4, product_name),
                     os_version = COALESCE(?5, os_version),
                     build_version = COALESCE(?6, build_version),
                     device_name = COALESCE(?7, device_name),
                     security_info = COALESCE(?8, security_info),
                     installed_applications = COALESCE(?9, installed_applications),
                     profiles = COALESCE(?10, profiles),
                     certificates = COALESCE(?11, certificates),
                     inventory_at = ?12
                 WHERE id = ?1",
                params![
                    enrollment_id,
                    u.serial_number,
                    u.model,
                    u.product_name,
                    u.os_version,
                    u.build_version,
                    u.device_name,
                    u.security_info,
                    u.installed_applications,
                    u.profiles,
                    u.certificates,
                    at
                ],
            )
            .map_err(err)?;
        Ok(())
    }

    fn health(&self) -> Result<(), StoreError> {
        // A read would pass a writer's lock (WAL lets readers through), so take the write
        // lock and give it back: a file another process holds locked past the busy
        // timeout fails here, as the next write would.
        self.conn()?
            .execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
            .map_err(err)?;
        Ok(())
    }

    fn checkins(&self, enrollment_id: &str, limit: u32) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT message_type, at FROM checkins WHERE enrollment_id = ?1
                 ORDER BY seq DESC LIMIT ?2",
            )
            .map_err(err)?;
        stmt.query_map(params![enrollment_id, limit], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)
    }

    fn put_declaration(&self, d: &StoredDeclaration, at: i64) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let old: Option<String> = tx
            .query_row(
                "SELECT server_token FROM declarations WHERE identifier = ?1",
                params![d.identifier],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if old.as_deref() == Some(d.server_token.as_str()) {
            return Ok(Vec::new());
        }
        tx.execute(
            "INSERT INTO declarations (identifier, declaration_type, server_token, body, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (identifier) DO UPDATE SET declaration_type = excluded.declaration_type,
                 server_token = excluded.server_token, body = excluded.body,
                 updated_at = excluded.updated_at",
            params![d.identifier, d.declaration_type, d.server_token, d.body, at],
        )
        .map_err(err)?;
        let affected = {
            let mut stmt = tx
                .prepare("SELECT enrollment_id FROM device_declarations WHERE identifier = ?1")
                .map_err(err)?;
            stmt.query_map(params![d.identifier], |r| r.get(0))
                .map_err(err)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(err)?
        };
        tx.execute(
            "UPDATE declaration_sets SET changed_at = ?2 WHERE enrollment_id IN
                 (SELECT enrollment_id FROM device_declarations WHERE identifier = ?1)",
            params![d.identifier, at],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(affected)
    }

    fn declarations(
        &self,
        identifiers: Option<&[String]>,
    ) -> Result<Vec<StoredDeclaration>, StoreError> {
        let conn = self.conn()?;
        let Some(ids) = identifiers else {
            let mut stmt = conn
                .prepare(&format!("{DECLARATION_SELECT} ORDER BY identifier"))
                .map_err(err)?;
            let rows = stmt.query_map([], row_to_declaration).map_err(err)?;
            return rows.collect::<Result<Vec<_>, _>>().map_err(err);
        };
        let mut stmt = conn
            .prepare(&format!("{DECLARATION_SELECT} WHERE identifier = ?1"))
            .map_err(err)?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(d) = stmt
                .query_row(params![id], row_to_declaration)
                .optional()
                .map_err(err)?
            {
                out.push(d);
            }
        }
        out.sort_by(|a, b| a.identifier.cmp(&b.identifier));
        out.dedup_by(|a, b| a.identifier == b.identifier);
        Ok(out)
    }

    fn delete_declaration(&self, identifier: &str) -> Result<Removal, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let users: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM device_declarations WHERE identifier = ?1",
                params![identifier],
                |r| r.get(0),
            )
            .map_err(err)?;
        if users > 0 {
            return Ok(Removal::InUse(u64::try_from(users).unwrap_or(0)));
        }
        let n = tx
            .execute(
                "DELETE FROM declarations WHERE identifier = ?1",
                params![identifier],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(if n > 0 {
            Removal::Removed
        } else {
            Removal::NotFound
        })
    }

    fn set_device_declarations(
        &self,
        enrollment_id: &str,
        identifiers: &[String],
        at: i64,
    ) -> Result<bool, StoreError> {
        let mut wanted: Vec<&str> = identifiers.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut conn = self.conn()?;
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let current = {
            let mut stmt = tx
                .prepare(
                    "SELECT identifier FROM device_declarations WHERE enrollment_id = ?1
                     ORDER BY identifier",
                )
                .map_err(err)?;
            stmt.query_map(params![enrollment_id], |r| r.get::<_, String>(0))
                .map_err(err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?
        };
        if current
            .iter()
            .map(String::as_str)
            .eq(wanted.iter().copied())
        {
            return Ok(false);
        }
        tx.execute(
            "DELETE FROM device_declarations WHERE enrollment_id = ?1",
            params![enrollment_id],
        )
        .map_err(err)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO device_declarations (enrollment_id, identifier) VALUES (?1, ?2)",
                )
                .map_err(err)?;
            for id in &wanted {
                stmt.execute(params![enrollment_id, id]).map_err(err)?;
            }
        }
        tx.execute(
            "INSERT INTO declaration_sets (enrollment_id, changed_at) VALUES (?1, ?2)
             ON CONFLICT (enrollment_id) DO UPDATE SET changed_at = excluded.changed_at",
            params![enrollment_id, at],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(true)
    }

    fn sets_holding(&self, identifier: &str) -> Result<Vec<Vec<String>>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT enrollment_id, identifier FROM device_declarations WHERE enrollment_id IN
                     (SELECT enrollment_id FROM device_declarations WHERE identifier = ?1)",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![identifier], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(err)?
            .collect::<Result<Vec<(String, String)>, _>>()
            .map_err(err)?;
        Ok(super::store::distinct_sets(rows))
    }

    fn waiting(
        &self,
        enrollment_ids: &[String],
        request_type: &str,
    ) -> Result<Vec<String>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT 1 FROM queue q JOIN commands c ON c.seq = q.command_seq
                 WHERE q.enrollment_id = ?1 AND c.request_type = ?2
                   AND ((q.status IS NULL AND q.delivered_at IS NULL) OR q.status = 'NotNow')
                 LIMIT 1",
            )
            .map_err(err)?;
        let mut out = Vec::new();
        for id in enrollment_ids {
            if stmt.exists(params![id, request_type]).map_err(err)? {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    fn device_declarations(
        &self,
        enrollment_id: &str,
        body_of: Option<&str>,
    ) -> Result<DeviceDeclarations, StoreError> {
        let conn = self.conn()?;
        let changed_at = conn
            .query_row(
                "SELECT changed_at FROM declaration_sets WHERE enrollment_id = ?1",
                params![enrollment_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT d.identifier, d.declaration_type, d.server_token,
                        CASE WHEN d.identifier = ?2 THEN d.body ELSE X'' END, d.updated_at
                 FROM device_declarations s JOIN declarations d ON d.identifier = s.identifier
                 WHERE s.enrollment_id = ?1 ORDER BY d.identifier",
            )
            .map_err(err)?;
        let declarations = stmt
            .query_map(params![enrollment_id, body_of], row_to_declaration)
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        Ok(DeviceDeclarations {
            changed_at,
            declarations,
        })
    }

    fn record_declaration_status(
        &self,
        enrollment_id: &str,
        full: bool,
        items: &[(String, String)],
        at: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction().map_err(err)?;
        if full {
            tx.execute(
                "DELETE FROM declaration_status WHERE enrollment_id = ?1",
                params![enrollment_id],
            )
            .map_err(err)?;
        }
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO declaration_status (enrollment_id, item, value, at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (enrollment_id, item) DO UPDATE SET
                         value = excluded.value, at = excluded.at",
                )
                .map_err(err)?;
            for (item, value) in items {
                stmt.execute(params![enrollment_id, item, value, at])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn declaration_status(&self, enrollment_id: &str) -> Result<Vec<StatusRow>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare(
                "SELECT item, value, at FROM declaration_status WHERE enrollment_id = ?1
                 ORDER BY item",
            )
            .map_err(err)?;
        stmt.query_map(params![enrollment_id], |r| {
            Ok(StatusRow {
                item: r.get(0)?,
                value: r.get(1)?,
                at: r.get(2)?,
            })
        })
        .map_err(err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> DeviceFacts {
        DeviceFacts {
            udid: Some("UDID-1".into()),
            topic: Some("com.apple.mgmt.External.test".into()),
            ..DeviceFacts::default()
        }
    }

    fn push() -> PushInfo {
        PushInfo {
            token: vec![1; 32],
            push_magic: "magic".into(),
            topic: "com.apple.mgmt.External.test".into(),
        }
    }

    fn cmd(uuid: &str) -> NewCommand {
        NewCommand {
            command_uuid: uuid.into(),
            request_type: "DeviceInformation".into(),
            body: b"<plist/>".to_vec(),
        }
    }

    fn report<'a>(uuid: &'a str, status: &'a str) -> CommandReport<'a> {
        CommandReport {
            enrollment_id: "UDID-1",
            command_uuid: uuid,
            status,
            raw: b"<plist/>",
            typed_error: None,
            at: 5,
        }
    }

    #[test]
    fn queue_order_and_not_now() {
        let s = SqliteStore::in_memory().unwrap();
        s.authenticate("UDID-1", None, &facts(), 1).unwrap();
        s.token_update("UDID-1", None, &push(), None, 2).unwrap();
        let ids = vec!["UDID-1".to_owned(), "nobody".to_owned()];
        assert_eq!(s.enqueue(&ids, &cmd("A")).unwrap(), 1);
        assert_eq!(s.enqueue(&ids, &cmd("B")).unwrap(), 1);
        assert!(
            s.enqueue(&ids, &cmd("A")).is_err(),
            "a CommandUUID is used once"
        );

        let next = s.next_command("UDID-1", false, 3).unwrap().unwrap();
        assert_eq!(next.command_uuid, "A");
        assert!(s.record_report(&report("A", "NotNow")).unwrap());
        // Right after NotNow the device gets the next command, not the same one again.
        let next = s.next_command("UDID-1", true, 4).unwrap().unwrap();
        assert_eq!(next.command_uuid, "B");
        assert!(s.record_report(&report("B", "Acknowledged")).unwrap());
        assert!(s.next_command("UDID-1", true, 4).unwrap().is_none());
        // On the next Idle the NotNow command is delivered again.
        let again = s.next_command("UDID-1", false, 6).unwrap().unwrap();
        assert_eq!(again.command_uuid, "A");
        assert!(s.record_report(&report("A", "Acknowledged")).unwrap());
        assert!(s.next_command("UDID-1", false, 7).unwrap().is_none());

        let rec = s.command("A").unwrap().unwrap();
        assert_eq!(rec.deliveries.len(), 1);
        assert_eq!(rec.deliveries[0].deliveries, 2);
        assert_eq!(rec.deliveries[0].status.as_deref(), Some("Acknowledged"));
        assert!(!s.record_report(&report("nope", "Acknowledged")).unwrap());

        // Clearing drops what is pending or deferred, and keeps answered commands.
        s.enqueue(&ids, &cmd("C")).unwrap();
        s.enqueue(&ids, &cmd("D")).unwrap();
        s.next_command("UDID-1", false, 8).unwrap();
        assert!(s.record_report(&report("C", "NotNow")).unwrap());
        assert_eq!(s.clear_queue("UDID-1").unwrap(), 2);
        assert!(s.next_command("UDID-1", false, 9).unwrap().is_none());
        assert_eq!(s.device_commands("UDID-1", 10).unwrap().len(), 2);
    }

    /// Every statement a device's requests run (check-in, command poll, answer, inventory,
    /// push lookup) is planned as an index search, never a table scan, so the cost of a
    /// request does not grow with the fleet. The statements are the ones SQLite saw, taken
    /// from its trace, not copies of the SQL.
    #[test]
    fn the_device_path_never_scans_a_table() {
        use rusqlite::trace::{TraceEvent, TraceEventCodes};
        static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
        fn record(event: TraceEvent<'_>) {
            if let (TraceEvent::Stmt(_, sql), Ok(mut seen)) = (event, SEEN.lock()) {
                seen.push(sql.to_owned());
            }
        }
        let s = SqliteStore::in_memory().unwrap();
        s.conn()
            .unwrap()
            .trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, Some(record));
        let identity = BoundIdentity {
            fingerprint: "ab".repeat(32),
            subject: "CN=device".into(),
        };
        let ids = vec!["UDID-1".to_owned()];
        s.authenticate("UDID-1", None, &facts(), 1).unwrap();
        s.bind_identity("UDID-1", &identity).unwrap();
        s.token_update("UDID-1", None, &push(), Some(b"unlock"), 2)
            .unwrap();
        s.token_update("UDID-1:user", Some("UDID-1"), &push(), None, 2)
            .unwrap();
        s.log_checkin("UDID-1", "TokenUpdate", b"x", 2).unwrap();
        s.identity("UDID-1").unwrap();
        s.enrollment_for_identity(&identity.fingerprint).unwrap();
        s.exists("UDID-1").unwrap();
        s.set_bootstrap_token("UDID-1", Some(b"tok")).unwrap();
        s.bootstrap_token("UDID-1").unwrap();
        s.enqueue(&ids, &cmd("A")).unwrap();
        s.push_info(&ids).unwrap();
        s.next_command("UDID-1", false, 3).unwrap();
        s.request_type("A").unwrap();
        s.record_report(&report("A", "Acknowledged")).unwrap();
        s.update_inventory(
            "UDID-1",
            &InventoryUpdate {
                serial_number: Some("C02".into()),
                ..InventoryUpdate::default()
            },
            4,
        )
        .unwrap();
        s.next_command("UDID-1", true, 4).unwrap();
        s.seen("UDID-1", 5).unwrap();
        s.check_out("UDID-1", 6).unwrap();
        let conn = s.conn().unwrap();
        conn.trace_v2(TraceEventCodes::SQLITE_TRACE_STMT, None);
        let mut seen = std::mem::take(&mut *SEEN.lock().unwrap());
        seen.sort();
        seen.dedup();
        let mut planned = 0;
        for sql in &seen {
            let head = sql.trim_start().to_ascii_uppercase();
            if !["SELECT", "INSERT", "UPDATE", "DELETE"]
                .iter()
                .any(|verb| head.starts_with(verb))
            {
                continue;
            }
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let mut rows = stmt.raw_query();
            while let Some(row) = rows.next().unwrap() {
                let step: String = row.get(3).unwrap();
                assert!(
                    !step.starts_with("SCAN ") || step == "SCAN CONSTANT ROW",
                    "{sql}\n  plans a full scan: {step}"
                );
            }
            planned += 1;
        }
        assert!(planned >= 15, "only {planned} statements seen: {seen:?}");
    }

    #[test]
    fn enrollment_lifecycle() {
        let s = SqliteStore::in_memory().unwrap();
        s.authenticate("UDID-1", None, &facts(), 1).unwrap();
        let d = s.device("UDID-1").unwrap().unwrap();
        assert!(!d.enrolled);
        assert!(s.push_info(&["UDID-1".into()]).unwrap().is_empty());
        s.token_update("UDID-1", None, &push(), Some(b"unlock"), 2)
            .unwrap();
        assert_eq!(s.push_info(&["UDID-1".into()]).unwrap().len(), 1);
        s.token_update("UDID-1:user", Some("UDID-1"), &push(), None, 2)
            .unwrap();
        s.check_out("UDID-1", 3).unwrap();
        assert!(s.devices().unwrap().iter().all(|d| !d.enrolled));
        s.set_bootstrap_token("UDID-1", Some(b"tok")).unwrap();
        assert_eq!(
            s.bootstrap_token("UDID-1").unwrap().as_deref(),
            Some(&b"tok"[..])
        );
        for n in 0..(MAX_CHECKIN_LOG + 20) {
            s.log_checkin("UDID-1", "TokenUpdate", b"x", n).unwrap();
        }
        assert_eq!(s.checkins("UDID-1", 1000).unwrap().len(), 100);
    }
}
