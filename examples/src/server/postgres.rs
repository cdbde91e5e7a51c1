//! The scale-out [`Store`]: PostgreSQL through `tokio-postgres` and a `deadpool` pool, so
//! any number of server replicas can share one database.
//!
//! The [`Store`] trait is synchronous (the service calls it on tokio's blocking pool); this
//! store owns a small tokio runtime that drives the connections, and each method blocks
//! its calling thread on one future. Call it off the async workers, as the trait says.
//!
//! The schema is a list of versioned steps ([`MIGRATIONS`]) applied on connect under an
//! advisory lock, so replicas starting together apply each step once.

use std::future::Future;
use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{NoTls, Row};

use super::sqlite::MAX_CHECKIN_LOG;
use super::store::{
    BoundIdentity, CommandRecord, CommandReport, Delivery, DeviceDeclarations, DeviceFacts,
    DeviceRecord, IN_FLIGHT_SECS, Inventory, InventoryUpdate, NewCommand, PushInfo, QueuedCommand,
    Removal, StatusRow, Store, StoreError, StoredDeclaration,
};

/// Connections the pool keeps at most (per replica).
pub const MAX_CONNECTIONS: usize = 16;

/// Key of the advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x6d64_6d73_6572_7665;

/// The schema, one step per version; `schema_migrations` records which are applied.
pub const MIGRATIONS: &[(i32, &str)] = &[(1, V1), (2, V2), (3, V3)];

const V1: &str = "
CREATE TABLE enrollments (
    id              TEXT PRIMARY KEY,
    parent_id       TEXT,
    udid            TEXT,
    serial_number   TEXT,
    model           TEXT,
    product_name    TEXT,
    os_version      TEXT,
    device_name     TEXT,
    topic           TEXT,
    push_token      BYTEA,
    push_magic      TEXT,
    unlock_token    BYTEA,
    bootstrap_token BYTEA,
    enrolled        BOOLEAN NOT NULL DEFAULT FALSE,
    cert_sha256     TEXT,
    cert_subject    TEXT,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL
);
CREATE TABLE checkins (
    seq             BIGSERIAL PRIMARY KEY,
    enrollment_id   TEXT NOT NULL,
    message_type    TEXT NOT NULL,
    raw             BYTEA NOT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX enrollments_by_cert ON enrollments (cert_sha256);
CREATE INDEX checkins_by_enrollment ON checkins (enrollment_id, seq);
CREATE TABLE commands (
    seq             BIGSERIAL PRIMARY KEY,
    command_uuid    TEXT NOT NULL UNIQUE,
    request_type    TEXT NOT NULL,
    body            BYTEA NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE TABLE queue (
    enrollment_id   TEXT NOT NULL,
    command_seq     BIGINT NOT NULL REFERENCES commands (seq),
    status          TEXT,
    delivered_at    BIGINT,
    deliveries      INTEGER NOT NULL DEFAULT 0,
    answered_at     BIGINT,
    raw             BYTEA,
    typed_error     TEXT,
    PRIMARY KEY (enrollment_id, command_seq)
);
";

const V2: &str = "
ALTER TABLE enrollments ADD COLUMN build_version TEXT;
ALTER TABLE enrollments ADD COLUMN security_info TEXT;
ALTER TABLE enrollments ADD COLUMN installed_applications TEXT;
ALTER TABLE enrollments ADD COLUMN profiles TEXT;
ALTER TABLE enrollments ADD COLUMN certificates TEXT;
ALTER TABLE enrollments ADD COLUMN inventory_at BIGINT;
CREATE INDEX enrollments_by_parent ON enrollments (parent_id);
CREATE INDEX queue_by_command ON queue (command_seq);
";

/// Declarative management, as in the SQLite store's step 3.
const V3: &str = "
CREATE TABLE declarations (
    identifier       TEXT PRIMARY KEY,
    declaration_type TEXT NOT NULL,
    server_token     TEXT NOT NULL,
    body             BYTEA NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE TABLE device_declarations (
    enrollment_id    TEXT NOT NULL,
    identifier       TEXT NOT NULL REFERENCES declarations (identifier),
    PRIMARY KEY (enrollment_id, identifier)
);
CREATE INDEX device_declarations_by_identifier ON device_declarations (identifier);
CREATE TABLE declaration_sets (
    enrollment_id    TEXT PRIMARY KEY,
    changed_at       BIGINT NOT NULL
);
CREATE TABLE declaration_status (
    enrollment_id    TEXT NOT NULL,
    item             TEXT NOT NULL,
    value            TEXT NOT NULL,
    at               BIGINT NOT NULL,
    PRIMARY KEY (enrollment_id, item)
);
";

/// A PostgreSQL-backed [`Store`].
pub struct PostgresStore {
    pool: Pool,
    /// Drives the connections; `Option` only so `Drop` can shut it down without blocking.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PostgresStore")
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // A plain drop would block, and panics when it happens on an async worker.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("postgres: {e}"))
}

/// `tokio-postgres` hides the server's message behind its `Display`; this shows it.
fn pg(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError(format!("postgres: {}: {}", db.code().code(), db.message())),
        None => err(e),
    }
}

/// Hides the password of a `postgres://user:password@host/db` URL for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, or the
    /// key=value form), and applies the migrations it has not had. TLS is not offered:
    /// keep the database on a private network or a local socket.
    ///
    /// # Errors
    /// When the URL does not parse, the server cannot be reached or a migration fails.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StoreError(format!("database URL {}: {e}", redact(url))))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("mdm-postgres")
            .enable_all()
            .build()
            .map_err(err)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(MAX_CONNECTIONS)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(err)?;
        let store = PostgresStore {
            pool,
            runtime: Some(runtime),
        };
        store
            .block(store.migrate())
            .map_err(|e| StoreError(format!("{} ({})", e.0, redact(url))))?;
        Ok(store)
    }

    /// Runs `f` to completion on this store's runtime, blocking the caller.
    fn block<T>(&self, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        match &self.runtime {
            Some(rt) => rt.block_on(f),
            None => Err(StoreError("postgres: store is shut down".into())),
        }
    }

    async fn client(&self) -> Result<deadpool_postgres::Client, StoreError> {
        self.pool.get().await.map_err(err)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 applied_at BIGINT NOT NULL
             )",
        )
        .await
        .map_err(pg)?;
        let row = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg)?;
        let current: i32 = row.try_get(0).map_err(pg)?;
        for (version, step) in MIGRATIONS {
            if *version <= current {
                continue;
            }
            tx.batch_execute(step)
                .await
                .map_err(|e| StoreError(format!("schema version {version}: {}", pg(e).0)))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[version, &super::now()],
            )
            .await
            .map_err(pg)?;
        }
        tx.commit().await.map_err(pg)
    }

    /// Runs one statement and returns the rows it changed.
    fn exec(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        self.block(async {
            let client = self.client().await?;
            client.execute(sql, params).await.map_err(pg)
        })
    }

    /// Runs one query and returns its rows.
    fn query(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            client.query(sql, params).await.map_err(pg)
        })
    }

    /// Runs one query and returns its first row, if any.
    fn query_opt(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        self.block(async {
            let client = self.client().await?;
            client.query_opt(sql, params).await.map_err(pg)
        })
    }
}

fn json_column(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn row_to_device(row: &Row) -> Result<DeviceRecord, tokio_postgres::Error> {
    Ok(DeviceRecord {
        id: row.try_get(0)?,
        parent_id: row.try_get(1)?,
        udid: row.try_get(2)?,
        serial_number: row.try_get(3)?,
        model: row.try_get(4)?,
        product_name: row.try_get(5)?,
        os_version: row.try_get(6)?,
        device_name: row.try_get(7)?,
        topic: row.try_get(8)?,
        enrolled: row.try_get(9)?,
        has_push_token: row.try_get(10)?,
        identity_subject: row.try_get(11)?,
        identity_sha256: row.try_get(12)?,
        pending_commands: u64::try_from(row.try_get::<_, i64>(13)?).unwrap_or(0),
        created_at: row.try_get(14)?,
        last_seen_at: row.try_get(15)?,
        build_version: row.try_get(16)?,
        inventory: Inventory {
            security_info: json_column(row.try_get(17)?),
            installed_applications: json_column(row.try_get(18)?),
            profiles: json_column(row.try_get(19)?),
            certificates: json_column(row.try_get(20)?),
            updated_at: row.try_get(21)?,
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

const DEVICE_LISTS: &str = ", e.security_info, e.installed_applications, e.profiles,
       e.certificates, e.inventory_at FROM enrollments e";

const DEVICE_NO_LISTS: &str = ", NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::TEXT, e.inventory_at
       FROM enrollments e";

fn row_to_delivery(row: &Row) -> Result<Delivery, tokio_postgres::Error> {
    Ok(Delivery {
        enrollment_id: row.try_get(0)?,
        command_uuid: row.try_get(1)?,
        request_type: row.try_get(2)?,
        status: row.try_get(3)?,
        delivered_at: row.try_get(4)?,
        answered_at: row.try_get(5)?,
        deliveries: u32::try_from(row.try_get::<_, i32>(6)?).unwrap_or(0),
        raw: row.try_get(7)?,
        typed_error: row.try_get(8)?,
    })
}

const DELIVERY_SELECT: &str = "
SELECT q.enrollment_id, c.command_uuid, c.request_type, q.status, q.delivered_at,
       q.answered_at, q.deliveries, q.raw, q.typed_error
FROM queue q JOIN commands c ON c.seq = q.command_seq";

fn collect<T>(
    rows: Vec<Row>,
    f: impl Fn(&Row) -> Result<T, tokio_postgres::Error>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|r| f(r).map_err(pg)).collect()
}

fn row_to_declaration(row: &Row) -> Result<StoredDeclaration, tokio_postgres::Error> {
    Ok(StoredDeclaration {
        identifier: row.try_get(0)?,
        declaration_type: row.try_get(1)?,
        server_token: row.try_get(2)?,
        body: row.try_get(3)?,
        updated_at: row.try_get(4)?,
    })
}

const DECLARATION_SELECT: &str =
    "SELECT identifier, declaration_type, server_token, body, updated_at FROM declarations";

impl Store for PostgresStore {
    fn log_checkin(
        &self,
        enrollment_id: &str,
        message_type: &str,
        raw: &[u8],
        at: i64,
    ) -> Result<(), StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            tx.execute(
                "INSERT INTO checkins (enrollment_id, message_type, raw, at)
                 VALUES ($1, $2, $3, $4)",
                &[&enrollment_id, &message_type, &raw, &at],
            )
            .await
            .map_err(pg)?;
            tx.execute(
                "DELETE FROM checkins WHERE enrollment_id = $1 AND seq <= (
                     SELECT seq FROM checkins WHERE enrollment_id = $1
                     ORDER BY seq DESC LIMIT 1 OFFSET $2)",
                &[&enrollment_id, &MAX_CHECKIN_LOG],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)
        })
    }

    fn authenticate(
        &self,
        enrollment_id: &str,
        parent_id: Option<&str>,
        facts: &DeviceFacts,
        at: i64,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO enrollments (id, parent_id, udid, serial_number, model, product_name,
                 os_version, device_name, topic, enrolled, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE, $10, $10)
             ON CONFLICT (id) DO UPDATE SET
                 parent_id = excluded.parent_id,
                 udid = excluded.udid,
                 serial_number = excluded.serial_number,
                 model = excluded.model,
                 product_name = excluded.product_name,
                 os_version = excluded.os_version,
                 device_name = excluded.device_name,
                 topic = excluded.topic,
                 enrolled = FALSE,
                 push_token = NULL,
                 push_magic = NULL,
                 last_seen_at = excluded.last_seen_at",
            &[
                &enrollment_id,
                &parent_id,
                &facts.udid,
                &facts.serial_number,
                &facts.model,
                &facts.product_name,
                &facts.os_version,
                &facts.device_name,
                &facts.topic,
                &at,
            ],
        )?;
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
        self.exec(
            "INSERT INTO enrollments (id, parent_id, topic, push_token, push_magic,
                 unlock_token, enrolled, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7)
             ON CONFLICT (id) DO UPDATE SET
                 topic = excluded.topic,
                 push_token = excluded.push_token,
                 push_magic = excluded.push_magic,
                 unlock_token = COALESCE(excluded.unlock_token, enrollments.unlock_token),
                 enrolled = TRUE,
                 last_seen_at = excluded.last_seen_at",
            &[
                &enrollment_id,
                &parent_id,
                &push.topic,
                &push.token,
                &push.push_magic,
                &unlock_token,
                &at,
            ],
        )?;
        Ok(())
    }

    fn check_out(&self, enrollment_id: &str, at: i64) -> Result<(), StoreError> {
        self.exec(
            "UPDATE enrollments SET enrolled = FALSE, push_token = NULL, last_seen_at = $2
             WHERE id = $1 OR parent_id = $1",
            &[&enrollment_id, &at],
        )?;
        Ok(())
    }

    fn set_bootstrap_token(
        &self,
        enrollment_id: &str,
        token: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        self.exec(
            "UPDATE enrollments SET bootstrap_token = $2 WHERE id = $1",
            &[&enrollment_id, &token],
        )?;
        Ok(())
    }

    fn bootstrap_token(&self, enrollment_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self.query_opt(
            "SELECT bootstrap_token FROM enrollments WHERE id = $1",
            &[&enrollment_id],
        )?;
        match row {
            Some(r) => r.try_get(0).map_err(pg),
            None => Ok(None),
        }
    }

    fn bind_identity(
        &self,
        enrollment_id: &str,
        identity: &BoundIdentity,
    ) -> Result<(), StoreError> {
        self.exec(
            "UPDATE enrollments SET cert_sha256 = $2, cert_subject = $3 WHERE id = $1",
            &[&enrollment_id, &identity.fingerprint, &identity.subject],
        )?;
        Ok(())
    }

    fn identity(&self, enrollment_id: &str) -> Result<Option<BoundIdentity>, StoreError> {
        let row = self.query_opt(
            "SELECT cert_sha256, cert_subject FROM enrollments WHERE id = $1",
            &[&enrollment_id],
        )?;
        let Some(row) = row else {
            return Ok(None);
        };
        let fingerprint: Option<String> = row.try_get(0).map_err(pg)?;
        let subject: Option<String> = row.try_get(1).map_err(pg)?;
        Ok(fingerprint.map(|fingerprint| BoundIdentity {
            fingerprint,
            subject: subject.unwrap_or_default(),
        }))
    }

    fn enrollment_for_identity(&self, fingerprint: &str) -> Result<Option<String>, StoreError> {
        self.query_opt(
            "SELECT id FROM enrollments WHERE cert_sha256 = $1 LIMIT 1",
            &[&fingerprint],
        )?
        .map(|r| r.try_get(0).map_err(pg))
        .transpose()
    }

    fn request_type(&self, command_uuid: &str) -> Result<Option<String>, StoreError> {
        self.query_opt(
            "SELECT request_type FROM commands WHERE command_uuid = $1",
            &[&command_uuid],
        )?
        .map(|r| r.try_get(0).map_err(pg))
        .transpose()
    }

    fn exists(&self, enrollment_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .query_opt("SELECT 1 FROM enrollments WHERE id = $1", &[&enrollment_id])?
            .is_some())
    }

    fn enqueue(
        &self,
        enrollment_ids: &[String],
        command: &NewCommand,
    ) -> Result<usize, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let row = tx
                .query_one(
                    "INSERT INTO commands (command_uuid, request_type, body, created_at)
                     VALUES ($1, $2, $3, $4) RETURNING seq",
                    &[
                        &command.command_uuid,
                        &command.request_type,
                        &command.body,
                        &super::now(),
                    ],
                )
                .await
                .map_err(pg)?;
            let seq: i64 = row.try_get(0).map_err(pg)?;
            let queued = tx
                .execute(
                    "INSERT INTO queue (enrollment_id, command_seq)
                     SELECT id, $2 FROM enrollments WHERE id = ANY($1)
                     ON CONFLICT DO NOTHING",
                    &[&enrollment_ids, &seq],
                )
                .await
                .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            usize::try_from(queued).map_err(err)
        })
    }

    fn next_command(
        &self,
        enrollment_id: &str,
        skip_not_now: bool,
        at: i64,
    ) -> Result<Option<QueuedCommand>, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            // The enrollment's row lock serialises every replica's pick for this device;
            // each later statement sees what the previous holder committed.
            let locked = tx
                .query_opt(
                    "SELECT 1 FROM enrollments WHERE id = $1 FOR UPDATE",
                    &[&enrollment_id],
                )
                .await
                .map_err(pg)?;
            if locked.is_none() {
                return Ok(None);
            }
            let next = tx
                .query_opt(
                    "SELECT c.seq, c.command_uuid, c.request_type, c.body, q.status,
                            q.delivered_at
                     FROM queue q JOIN commands c ON c.seq = q.command_seq
                     WHERE q.enrollment_id = $1
                       AND (q.status IS NULL OR (q.status = 'NotNow' AND NOT $2))
                     ORDER BY c.seq LIMIT 1",
                    &[&enrollment_id, &skip_not_now],
                )
                .await
                .map_err(pg)?;
            let Some(row) = next else {
                return Ok(None);
            };
            let seq: i64 = row.try_get(0).map_err(pg)?;
            let status: Option<String> = row.try_get(4).map_err(pg)?;
            let delivered_at: Option<i64> = row.try_get(5).map_err(pg)?;
            if status.is_none() && delivered_at.is_some_and(|d| d > at - IN_FLIGHT_SECS) {
                return Ok(None);
            }
            tx.execute(
                "UPDATE queue SET delivered_at = $3, deliveries = deliveries + 1, status = NULL
                 WHERE enrollment_id = $1 AND command_seq = $2",
                &[&enrollment_id, &seq, &at],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(Some(QueuedCommand {
                command_uuid: row.try_get(1).map_err(pg)?,
                request_type: row.try_get(2).map_err(pg)?,
                body: row.try_get(3).map_err(pg)?,
            }))
        })
    }

    fn clear_queue(&self, enrollment_id: &str) -> Result<usize, StoreError> {
        let n = self.exec(
            "DELETE FROM queue WHERE enrollment_id = $1
               AND (status IS NULL OR status = 'NotNow')",
            &[&enrollment_id],
        )?;
        usize::try_from(n).map_err(err)
    }

    fn record_report(&self, report: &CommandReport<'_>) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE queue SET status = $3, answered_at = $4, raw = $5, typed_error = $6
             WHERE enrollment_id = $1
               AND command_seq = (SELECT seq FROM commands WHERE command_uuid = $2)",
            &[
                &report.enrollment_id,
                &report.command_uuid,
                &report.status,
                &report.at,
                &report.raw,
                &report.typed_error,
            ],
        )?;
        Ok(n > 0)
    }

    fn seen(&self, enrollment_id: &str, at: i64) -> Result<(), StoreError> {
        self.exec(
            "UPDATE enrollments SET last_seen_at = $2 WHERE id = $1",
            &[&enrollment_id, &at],
        )?;
        Ok(())
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let rows = self.query(
            &format!("{DEVICE_SELECT}{DEVICE_NO_LISTS} ORDER BY e.created_at, e.id"),
            &[],
        )?;
        collect(rows, row_to_device)
    }

    fn device(&self, enrollment_id: &str) -> Result<Option<DeviceRecord>, StoreError> {
        self.query_opt(
            &format!("{DEVICE_SELECT}{DEVICE_LISTS} WHERE e.id = $1"),
            &[&enrollment_id],
        )?
        .map(|r| row_to_device(&r).map_err(pg))
        .transpose()
    }

    fn command(&self, command_uuid: &str) -> Result<Option<CommandRecord>, StoreError> {
        let Some(head) = self.query_opt(
            "SELECT command_uuid, request_type, created_at FROM commands
             WHERE command_uuid = $1",
            &[&command_uuid],
        )?
        else {
            return Ok(None);
        };
        let rows = self.query(
            &format!("{DELIVERY_SELECT} WHERE c.command_uuid = $1 ORDER BY q.enrollment_id"),
            &[&command_uuid],
        )?;
        Ok(Some(CommandRecord {
            command_uuid: head.try_get(0).map_err(pg)?,
            request_type: head.try_get(1).map_err(pg)?,
            created_at: head.try_get(2).map_err(pg)?,
            deliveries: collect(rows, row_to_delivery)?,
        }))
    }

    fn device_commands(
        &self,
        enrollment_id: &str,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = self.query(
            &format!("{DELIVERY_SELECT} WHERE q.enrollment_id = $1 ORDER BY c.seq DESC LIMIT $2"),
            &[&enrollment_id, &i64::from(limit)],
        )?;
        collect(rows, row_to_delivery)
    }

    fn push_info(&self, enrollment_ids: &[String]) -> Result<Vec<(String, PushInfo)>, StoreError> {
        let rows = self.query(
            "SELECT id, push_token, push_magic, topic FROM enrollments
             WHERE id = ANY($1) AND enrolled AND push_token IS NOT NULL
               AND push_magic IS NOT NULL AND topic IS NOT NULL",
            &[&enrollment_ids],
        )?;
        collect(rows, |r| {
            Ok((
                r.try_get(0)?,
                PushInfo {
                    token: r.try_get(1)?,
                    push_magic: r.try_get(2)?,
                    topic: r.try_get(3)?,
                },
            ))
        })
    }

    fn update_inventory(
        &self,
        enrollment_id: &str,
        u: &InventoryUpdate,
        at: i64,
    ) -> Result<(), StoreError> {
        self.exec(
            "UPDATE enrollments SET
                 serial_number = COALESCE($2, serial_number),
                 model = COALESCE($3, model),
                 product_name = COALESCE($4, product_name),
                 os_version = COALESCE($5, os_version),
                 build_version = COALESCE($6, build_version),
                 device_name = COALESCE($7, device_name),
                 security_info = COALESCE($8, security_info),
                 installed_applications = COALESCE($9, installed_applications),
                 profiles = COALESCE($10, profiles),
                 certificates = COALESCE($11, certificates),
                 inventory_at = $12
             WHERE id = $1",
            &[
                &enrollment_id,
                &u.serial_number,
                &u.model,
                &u.product_name,
                &u.os_version,
                &u.build_version,
                &u.device_name,
                &u.security_info,
                &u.installed_applications,
                &u.profiles,
                &u.certificates,
                &at,
            ],
        )?;
        Ok(())
    }

    fn health(&self) -> Result<(), StoreError> {
        self.query_opt("SELECT 1", &[])?;
        Ok(())
    }

    fn checkins(&self, enrollment_id: &str, limit: u32) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = self.query(
            "SELECT message_type, at FROM checkins WHERE enrollment_id = $1
             ORDER BY seq DESC LIMIT $2",
            &[&enrollment_id, &i64::from(limit)],
        )?;
        collect(rows, |r| Ok((r.try_get(0)?, r.try_get(1)?)))
    }

    fn put_declaration(&self, d: &StoredDeclaration, at: i64) -> Result<Vec<String>, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            // The row lock (or, for a new identifier, the insert) orders concurrent puts.
            let old = tx
                .query_opt(
                    "SELECT server_token FROM declarations WHERE identifier = $1 FOR UPDATE",
                    &[&d.identifier],
                )
                .await
                .map_err(pg)?;
            let old: Option<String> = old.map(|r| r.try_get(0)).transpose().map_err(pg)?;
            if old.as_deref() == Some(d.server_token.as_str()) {
                return Ok(Vec::new());
            }
            tx.execute(
                "INSERT INTO declarations (identifier, declaration_type, server_token, body, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (identifier) DO UPDATE SET declaration_type = excluded.declaration_type,
                     server_token = excluded.server_token, body = excluded.body,
                     updated_at = excluded.updated_at",
                &[&d.identifier, &d.declaration_type, &d.server_token, &d.body, &at],
            )
            .await
            .map_err(pg)?;
            let rows = tx
                .query(
                    "UPDATE declaration_sets SET changed_at = $2 WHERE enrollment_id IN
                         (SELECT enrollment_id FROM device_declarations WHERE identifier = $1)
                     RETURNING enrollment_id",
                    &[&d.identifier, &at],
                )
                .await
                .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            collect(rows, |r| r.try_get(0))
        })
    }

    fn declarations(
        &self,
        identifiers: Option<&[String]>,
    ) -> Result<Vec<StoredDeclaration>, StoreError> {
        let rows = match identifiers {
            None => self.query(&format!("{DECLARATION_SELECT} ORDER BY identifier"), &[])?,
            Some(ids) => self.query(
                &format!("{DECLARATION_SELECT} WHERE identifier = ANY($1) ORDER BY identifier"),
                &[&ids],
            )?,
        };
        collect(rows, row_to_declaration)
    }

    fn delete_declaration(&self, identifier: &str) -> Result<Removal, StoreError> {
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            let found = tx
                .query_opt(
                    "SELECT 1 FROM declarations WHERE identifier = $1 FOR UPDATE",
                    &[&identifier],
                )
                .await
                .map_err(pg)?;
            if found.is_none() {
                return Ok(Removal::NotFound);
            }
            let users: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM device_declarations WHERE identifier = $1",
                    &[&identifier],
                )
                .await
                .and_then(|r| r.try_get(0))
                .map_err(pg)?;
            if users > 0 {
                return Ok(Removal::InUse(u64::try_from(users).unwrap_or(0)));
            }
            tx.execute(
                "DELETE FROM declarations WHERE identifier = $1",
                &[&identifier],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(Removal::Removed)
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
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            // Serialises changes of one device's set (the row of its change time).
            tx.execute(
                "INSERT INTO declaration_sets (enrollment_id, changed_at) VALUES ($1, $2)
                 ON CONFLICT (enrollment_id) DO UPDATE SET changed_at = declaration_sets.changed_at",
                &[&enrollment_id, &at],
            )
            .await
            .map_err(pg)?;
            let current = tx
                .query(
                    "SELECT identifier FROM device_declarations WHERE enrollment_id = $1
                     ORDER BY identifier",
                    &[&enrollment_id],
                )
                .await
                .map_err(pg)?;
            let current: Vec<String> = collect(current, |r| r.try_get(0))?;
            if current.iter().map(String::as_str).eq(wanted.iter().copied()) {
                // Unchanged: dropping the transaction rolls the row lock's insert back.
                return Ok(false);
            }
            tx.execute(
                "DELETE FROM device_declarations WHERE enrollment_id = $1",
                &[&enrollment_id],
            )
            .await
            .map_err(pg)?;
            tx.execute(
                "INSERT INTO device_declarations (enrollment_id, identifier)
                 SELECT $1, unnest($2::TEXT[])",
                &[&enrollment_id, &wanted],
            )
            .await
            .map_err(pg)?;
            tx.execute(
                "UPDATE declaration_sets SET changed_at = $2 WHERE enrollment_id = $1",
                &[&enrollment_id, &at],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)?;
            Ok(true)
        })
    }

    fn sets_holding(&self, identifier: &str) -> Result<Vec<Vec<String>>, StoreError> {
        let rows = self.query(
            "SELECT enrollment_id, identifier FROM device_declarations WHERE enrollment_id IN
                 (SELECT enrollment_id FROM device_declarations WHERE identifier = $1)",
            &[&identifier],
        )?;
        let rows = collect(rows, |r| Ok((r.try_get(0)?, r.try_get(1)?)))?;
        Ok(super::store::distinct_sets(rows))
    }

    fn waiting(
        &self,
        enrollment_ids: &[String],
        request_type: &str,
    ) -> Result<Vec<String>, StoreError> {
        let rows = self.query(
            "SELECT DISTINCT q.enrollment_id FROM queue q JOIN commands c ON c.seq = q.command_seq
             WHERE q.enrollment_id = ANY($1) AND c.request_type = $2
               AND ((q.status IS NULL AND q.delivered_at IS NULL) OR q.status = 'NotNow')",
            &[&enrollment_ids, &request_type],
        )?;
        collect(rows, |r| r.try_get(0))
    }

    fn device_declarations(
        &self,
        enrollment_id: &str,
        body_of: Option<&str>,
    ) -> Result<DeviceDeclarations, StoreError> {
        self.block(async {
            let client = self.client().await?;
            let changed_at = client
                .query_opt(
                    "SELECT changed_at FROM declaration_sets WHERE enrollment_id = $1",
                    &[&enrollment_id],
                )
                .await
                .map_err(pg)?
                .map(|r| r.try_get(0))
                .transpose()
                .map_err(pg)?;
            let rows = client
                .query(
                    "SELECT d.identifier, d.declaration_type, d.server_token,
                            CASE WHEN d.identifier = $2 THEN d.body ELSE ''::BYTEA END,
                            d.updated_at
                     FROM device_declarations s JOIN declarations d ON d.identifier = s.identifier
                     WHERE s.enrollment_id = $1 ORDER BY d.identifier",
                    &[&enrollment_id, &body_of],
                )
                .await
                .map_err(pg)?;
            Ok(DeviceDeclarations {
                changed_at,
                declarations: collect(rows, row_to_declaration)?,
            })
        })
    }

    fn record_declaration_status(
        &self,
        enrollment_id: &str,
        full: bool,
        items: &[(String, String)],
        at: i64,
    ) -> Result<(), StoreError> {
        let (names, values): (Vec<&str>, Vec<&str>) =
            items.iter().map(|(n, v)| (n.as_str(), v.as_str())).unzip();
        self.block(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(pg)?;
            if full {
                tx.execute(
                    "DELETE FROM declaration_status WHERE enrollment_id = $1",
                    &[&enrollment_id],
                )
                .await
                .map_err(pg)?;
            }
            tx.execute(
                "INSERT INTO declaration_status (enrollment_id, item, value, at)
                 SELECT $1, n, v, $4 FROM unnest($2::TEXT[], $3::TEXT[]) AS i (n, v)
                 ON CONFLICT (enrollment_id, item) DO UPDATE SET
                     value = excluded.value, at = excluded.at",
                &[&enrollment_id, &names, &values, &at],
            )
            .await
            .map_err(pg)?;
            tx.commit().await.map_err(pg)
        })
    }

    fn declaration_status(&self, enrollment_id: &str) -> Result<Vec<StatusRow>, StoreError> {
        let rows = self.query(
            "SELECT item, value, at FROM declaration_status WHERE enrollment_id = $1
             ORDER BY item",
            &[&enrollment_id],
        )?;
        collect(rows, |r| {
            Ok(StatusRow {
                item: r.try_get(0)?,
                value: r.try_get(1)?,
                at: r.try_get(2)?,
            })
        })
    }
}
