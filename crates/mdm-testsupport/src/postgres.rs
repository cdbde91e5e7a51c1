//! A throw-away PostgreSQL cluster for tests: `initdb` in a temporary folder, a server on
//! 127.0.0.1 and a port chosen now, stopped (and the folder removed) when dropped.
//!
//! The binaries come from `PATH` or Debian's `/usr/lib/postgresql/<version>/bin`.
//! PostgreSQL refuses to run as root; as root the cluster runs as the `postgres` user
//! (which Debian's package creates) through `runuser`, or `nobody` when that is missing.
//!
//! [`TestStore`] is what the server tests use: `MDM_TEST_STORE=postgres` runs them on a
//! cluster of their own, anything else on the default SQLite store.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{env_flag, free_port};

/// A running cluster.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    run_as: Option<String>,
    options: String,
    _dir: tempfile::TempDir,
}

/// Programs the cluster needs, all from one folder.
const PROGRAMS: [&str; 5] = ["initdb", "pg_ctl", "postgres", "createdb", "psql"];

fn complete(dir: &Path) -> bool {
    PROGRAMS.iter().all(|p| dir.join(p).is_file())
}

/// Debian's versioned folder (the newest) first, then `PATH`.
fn find_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            complete(&bin).then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).find(|p| complete(p)))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn user_exists(name: &str) -> bool {
    Command::new("id")
        .arg(name)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

impl Postgres {
    /// Starts a cluster, or returns `None` (after printing a skip line) when PostgreSQL is
    /// not installed.
    ///
    /// # Panics
    /// When it is not installed and `MDM_REQUIRE_PEERS=1`, or when it is installed and
    /// does not start.
    pub fn start(test: &str) -> Option<Postgres> {
        let Some(bin) = find_bin() else {
            if env_flag("MDM_REQUIRE_PEERS") {
                panic!("{test}: PostgreSQL (initdb) not installed and MDM_REQUIRE_PEERS=1");
            }
            eprintln!("{test}: skipped, PostgreSQL (initdb, pg_ctl) not installed");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("mdm-pg-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{test}: temp dir: {e}"));
        let run_as = if is_root() {
            let user = if user_exists("postgres") {
                "postgres"
            } else {
                "nobody"
            };
            let status = Command::new("chown")
                .arg(user)
                .arg(dir.path())
                .status()
                .unwrap_or_else(|e| panic!("{test}: chown: {e}"));
            assert!(status.success(), "{test}: chown {user} failed");
            Some(user.to_owned())
        } else {
            None
        };
        let port = free_port();
        let socket_dir = dir.path().display().to_string();
        let options = format!(
            "-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        );
        let pg = Postgres {
            data: dir.path().join("data"),
            bin,
            port,
            run_as,
            options,
            _dir: dir,
        };
        let data = pg.data.display().to_string();
        let out = pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "{test}: initdb failed: {}",
            text(&out)
        );
        pg.resume();
        Some(pg)
    }

    /// Stops the server (`pg_ctl stop -m fast`), keeping the cluster, so a test can see
    /// what its clients do while the database is down; [`Postgres::resume`] starts it
    /// again on the same port.
    ///
    /// # Panics
    /// When `pg_ctl stop` fails.
    pub fn pause(&self) {
        let data = self.data.display().to_string();
        let out = self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop failed: {}", text(&out));
    }

    /// Starts the server (again) on its port.
    ///
    /// # Panics
    /// When `pg_ctl start` fails.
    pub fn resume(&self) {
        let data = self.data.display().to_string();
        let log = self._dir.path().join("server.log").display().to_string();
        let out = self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &self.options, "-w", "start"],
        );
        if !out.status.success() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("pg_ctl start failed: {}\n{log}", text(&out));
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args)
            .current_dir(self._dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", exe.display()))
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The folder holding the binaries (`psql`, `pg_ctl`, ...).
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// Creates database `name` and returns its URL (`postgres://postgres@127.0.0.1:PORT/name`).
    ///
    /// # Panics
    /// When `createdb` fails.
    pub fn create_database(&self, name: &str) -> String {
        let port = self.port.to_string();
        let out = self.run(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name],
        );
        assert!(out.status.success(), "createdb {name}: {}", text(&out));
        self.url(name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs one SQL command with `psql` and returns its unaligned, tuples-only output.
    ///
    /// # Panics
    /// When `psql` fails.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = self.run(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                database,
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
        );
        assert!(out.status.success(), "psql {sql}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self.run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }
}

/// The store a server test runs on, from `MDM_TEST_STORE`: `postgres` starts a cluster
/// with one database; unset (or `sqlite`) is the data directory's SQLite file.
#[derive(Debug)]
pub struct TestStore {
    cluster: Option<Postgres>,
    database: Option<String>,
}

impl TestStore {
    /// The store `MDM_TEST_STORE` asks for, or `None` (after printing a skip line) when it
    /// asks for PostgreSQL and that is not installed.
    ///
    /// # Panics
    /// As [`Postgres::start`], or on an unknown `MDM_TEST_STORE`.
    pub fn from_env(test: &str) -> Option<TestStore> {
        match std::env::var("MDM_TEST_STORE").as_deref() {
            Err(_) | Ok("" | "sqlite") => Some(TestStore {
                cluster: None,
                database: None,
            }),
            Ok("postgres") => {
                let cluster = Postgres::start(test)?;
                let database = cluster.create_database("mdm");
                Some(TestStore {
                    cluster: Some(cluster),
                    database: Some(database),
                })
            }
            Ok(other) => panic!("MDM_TEST_STORE={other}: want sqlite or postgres"),
        }
    }

    /// The `--database` value for the server: `None` for SQLite.
    pub fn database(&self) -> Option<String> {
        self.database.clone()
    }

    /// The cluster, when the store is PostgreSQL.
    pub fn cluster(&self) -> Option<&Postgres> {
        self.cluster.as_ref()
    }

    /// `"sqlite"` or `"postgres"`, for messages.
    pub fn name(&self) -> &'static str {
        if self.cluster.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }
}
