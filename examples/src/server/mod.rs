//! The example MDM server, in the shape of nanomdm: small pieces composed once.
//!
//! | piece | module |
//! | --- | --- |
//! | data directory, config, CA | [`config`] |
//! | storage trait, the SQLite default, PostgreSQL for replicas | [`store`], [`sqlite`], [`postgres`] |
//! | device identity from `Mdm-Signature` or a proxy header | [`certauth`] |
//! | check-in and command logic | [`service`] |
//! | enrollment profile | [`enroll`] |
//! | APNs | [`push`] |
//! | HTTP routes and the JSON API | [`http`], [`api`] |
//! | `/metrics`, `/healthz`, the warn line per refusal | [`metrics`] |
//!
//! [`start`] wires them together; `examples/mdm-server/main.rs` and the end-to-end tests
//! call it.

pub mod api;
pub mod certauth;
pub mod config;
pub mod declarative;
pub mod enroll;
pub mod http;
pub mod metrics;
pub mod postgres;
pub mod push;
pub mod service;
pub mod sqlite;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use mdm_scep::{Decision, MessageType, PkiStatus, ScepResponder, SimpleCa};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use self::certauth::CertAuth;
use self::config::DataDir;
use self::http::AppState;
use self::metrics::Refusal;
use self::postgres::PostgresStore;
use self::push::Pusher;
use self::service::Service;
use self::sqlite::SqliteStore;
use self::store::Store;

/// Unix seconds now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// How to start the server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The data directory (created on first run).
    pub data_dir: PathBuf,
    /// Listen address, overriding the configuration's.
    pub listen: Option<String>,
    /// Public base URL, overriding the configuration's.
    pub public_url: Option<String>,
    /// Database, overriding the configuration's: a `postgres://` URL, or `sqlite:` for the
    /// data directory's `mdm.sqlite` (the default).
    pub database: Option<String>,
}

/// A started server.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The base URL written into the enrollment profile.
    pub base_url: String,
    /// The JSON API key.
    pub api_key: String,
    /// The SCEP challenge.
    pub scep_challenge: String,
    /// The APNs topic in the enrollment profile.
    pub topic: String,
    /// Whether pushes are on.
    pub push_on: bool,
    /// Whether this start created the data directory's contents.
    pub created: bool,
    /// The data directory.
    pub data_dir: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting connections, lets requests in flight finish, and returns.
    ///
    /// # Errors
    /// When the server task failed.
    pub async fn stop(mut self) -> Result<(), String> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await
    }

    /// Waits for the server to end (after [`Running::stop`] from elsewhere, or an error).
    ///
    /// # Errors
    /// When the server task failed.
    pub async fn wait(self) -> Result<(), String> {
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("server: {e}")),
            Err(e) => Err(format!("server task: {e}")),
        }
    }

    /// Takes the shutdown trigger, for a caller that waits on [`Running::wait`] and stops
    /// the server from elsewhere (a signal handler).
    pub fn shutdown_handle(&mut self) -> Option<oneshot::Sender<()>> {
        self.shutdown.take()
    }
}

/// Opens the store `database` names: `None`, empty or `sqlite:` is the SQLite file at
/// `sqlite_path`; `postgres://...` (or `postgresql://...`) is PostgreSQL.
///
/// # Errors
/// An unknown scheme, or a store that cannot be opened.
pub fn open_store(
    database: Option<&str>,
    sqlite_path: &std::path::Path,
) -> Result<Arc<dyn Store>, String> {
    match database.map(str::trim) {
        None | Some("" | "sqlite" | "sqlite:") => SqliteStore::open(sqlite_path)
            .map(|s| Arc::new(s) as Arc<dyn Store>)
            .map_err(|e| format!("{}: {e}", sqlite_path.display())),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            PostgresStore::connect(url)
                .map(|s| Arc::new(s) as Arc<dyn Store>)
                .map_err(|e| e.to_string())
        }
        Some(other) => Err(format!(
            "database {:?}: want a postgres:// URL or sqlite:",
            postgres::redact(other)
        )),
    }
}

/// Opens the data directory, builds every piece and starts serving.
///
/// # Errors
/// A message naming what could not be set up (data directory, address, push certificate).
pub async fn start(opts: Options) -> Result<Running, String> {
    let dir = opts.data_dir.clone();
    let data = tokio::task::spawn_blocking(move || DataDir::open_or_create(&dir))
        .await
        .map_err(|e| e.to_string())??;
    let config = data.config.clone();
    let listen = opts.listen.clone().unwrap_or_else(|| config.listen.clone());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base_url = opts
        .public_url
        .clone()
        .or_else(|| config.public_url.clone())
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();

    let pusher = Pusher::from_config(&data)?;
    let topic = pusher
        .topic()
        .map(str::to_owned)
        .unwrap_or_else(|| config.topic.clone());
    let settings = enroll::EnrollmentSettings {
        base_url: &base_url,
        topic: &topic,
        challenge: &config.scep_challenge,
        identifier: &config.profile_identifier,
        organization: &config.organization,
    };
    let profile = enroll::signed_profile(&settings, &data.ca)?;
    let ca_pem = data
        .ca
        .certificate()
        .to_pem()
        .map_err(|e| format!("CA: {e}"))?;

    let database = opts.database.clone().or_else(|| config.database.clone());
    let sqlite_path = data.database();
    let store = tokio::task::spawn_blocking(move || open_store(database.as_deref(), &sqlite_path))
        .await
        .map_err(|e| e.to_string())??;
    let auth = CertAuth::new(&data.ca, config.trusted_proxy_header.clone());
    let service = Arc::new(Service::new(store, auth.clone(), config.max_body_bytes));

    let challenge = config.scep_challenge.clone();
    let mut scep = ScepResponder::new(
        data.ca.clone(),
        SimpleCa::new(data.ca.clone(), config.device_cert_days),
        move |req| {
            let renewal = *req.message_type == MessageType::RenewalReq
                && auth.check_issued(req.signer).is_ok();
            if renewal || req.challenge == Some(challenge.as_str()) {
                Decision::Issue
            } else {
                Decision::reject_bad_request()
            }
        },
    );
    scep = scep.allow_des(config.scep_allow_des);
    let scep_metrics = service.metrics().clone();
    scep = scep.on_answer(move |a| {
        if a.status != PkiStatus::Failure {
            return;
        }
        if a.des_refused {
            scep_metrics.refused(
                Refusal::ScepAlgorithm,
                None,
                &format_args!(
                    "SCEP transaction {}: the request is encrypted with single DES, refused \
                     (badAlg); clients that only speak DES need \"scep_allow_des\": true in \
                     config.json (README)",
                    a.transaction_id
                ),
            );
        } else {
            let code = a.fail_info.map_or("?", |f| f.as_str());
            scep_metrics.refused(
                Refusal::ScepRequest,
                None,
                &format_args!(
                    "SCEP {} transaction {}: failInfo {code} ({})",
                    a.message_type,
                    a.transaction_id,
                    a.reason
                        .unwrap_or("refused by the challenge check or the CA")
                ),
            );
        }
    });

    let push_on = pusher.is_on();
    let metrics = service.metrics().clone();
    let state = Arc::new(AppState {
        service,
        scep: Arc::new(scep),
        profile,
        ca_pem,
        pusher,
        api_key: config.api_key.clone(),
        metrics,
    });
    let app = http::router(state, config.max_body_bytes);
    let (tx, rx) = oneshot::channel::<()>();
    let limits = config.http.clone();
    let task = tokio::spawn(async move {
        http::serve(listener, app, &limits, async {
            let _ = rx.await;
        })
        .await
    });
    Ok(Running {
        addr,
        base_url,
        api_key: config.api_key,
        scep_challenge: config.scep_challenge,
        topic,
        push_on,
        created: data.created,
        data_dir: data.path,
        shutdown: Some(tx),
        task,
    })
}
