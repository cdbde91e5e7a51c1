//! mdm-server (the example binary, as a child process) under faults:
//!
//! - `kill -9` twice during a load run (devices checking in and answering commands): no
//!   check-in or command answer the server acknowledged (200) is missing from the store
//!   afterwards. On SQLite (WAL) and, under `MDM_TEST_STORE=postgres`, PostgreSQL.
//! - A full disk (SQLite only: a 8 MiB tmpfs mounted for the data directory, as root):
//!   writes are answered 503, the server stays up, works again once there is room, and
//!   `PRAGMA integrity_check` is `ok` afterwards.
//! - The store unreachable: the PostgreSQL cluster stopped (`pg_ctl stop`), or on SQLite
//!   the database locked by another process (`BEGIN EXCLUSIVE`; making the open file
//!   unreadable changes nothing for a process that holds it, nor for root). Requests that
//!   need the store get 503, and once the store is back the same server process serves
//!   them again without a restart.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)]

mod hostile;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hostile::{Server, enroll, prepare, queue};
use mdm_checkin::Message;
use mdm_examples::server::open_store;
use mdm_examples::server::sqlite::MAX_CHECKIN_LOG;
use mdm_examples::sim::{CONNECT_CONTENT_TYPE, Device};
use mdm_testsupport::postgres::TestStore;
use serde_json::json;

const DEVICES: usize = 4;
const COMMANDS: usize = 12;

/// What one device saw acknowledged.
#[derive(Debug, Default)]
struct Acked {
    checkins: usize,
    answers: BTreeSet<String>,
}

/// Commands the server still has for `udid` (unanswered, or answered `NotNow`), or
/// `None` while it cannot say (it is down).
async fn pending(base: &str, api_key: &str, udid: &str) -> Option<u64> {
    let resp = reqwest::Client::new()
        .get(format!("{base}/api/v1/devices/{udid}"))
        .bearer_auth(api_key)
        .send()
        .await
        .ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&resp.bytes().await.ok()?).ok()?;
    v["pending_commands"].as_u64()
}

/// One device's load: `TokenUpdate` check-ins and polls that answer whatever is queued,
/// retried after any failure (the server may be down), until `done` and the server has
/// nothing left for it. (An answer the server stored but whose 200 was lost in a kill
/// is not acknowledged, and the server does not send that command again.)
async fn load(
    mut device: Device,
    http: reqwest::Client,
    (base, api_key): (String, String),
    acks: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
) -> (String, Acked) {
    let mut acked = Acked::default();
    // The most TokenUpdate check-ins this device makes (see below).
    let checkin_cap = usize::try_from(MAX_CHECKIN_LOG - 10).unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        assert!(
            Instant::now() < deadline,
            "{}: load did not finish",
            device.udid()
        );
        if done.load(Ordering::SeqCst) && pending(&base, &api_key, device.udid()).await == Some(0) {
            break;
        }
        // The store keeps each device's newest MAX_CHECKIN_LOG check-ins, so a device stops
        // checking in well before that (room for enrollment's two and the few a kill may
        // store without acknowledging), and every acknowledged one must still be in the log.
        if acked.checkins < checkin_cap {
            let msg = Message::TokenUpdate(device.token_update_message().unwrap());
            if let Ok((200, _)) = device.checkin(&http, &msg).await {
                acked.checkins += 1;
                acks.fetch_add(1, Ordering::SeqCst);
            }
        }
        // One poll: Idle, then an answer to each command handed out. An answer counts
        // as acknowledged only when the server said 200 to it.
        let mut body = device.state().idle().encode().unwrap();
        let mut answering: Option<String> = None;
        let url = device.server_url().to_owned();
        loop {
            match device
                .put_signed(&http, &url, CONNECT_CONTENT_TYPE, &body)
                .await
            {
                Ok((200, reply)) => {
                    if let Some(uuid) = answering.take() {
                        acked.answers.insert(uuid);
                        acks.fetch_add(1, Ordering::SeqCst);
                    }
                    if reply.iter().all(u8::is_ascii_whitespace) {
                        break;
                    }
                    let (what, next) = device.answer(&reply).unwrap();
                    answering = Some(what.command_uuid);
                    body = next;
                }
                _ => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    break;
                }
            }
        }
    }
    (device.udid().to_owned(), acked)
}

async fn wait_for(acks: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks.load(Ordering::SeqCst) < n {
        assert!(Instant::now() < deadline, "load stalled at {acks:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_load_loses_no_acknowledged_write() {
    let Some(store) = TestStore::from_env("server_faults") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let api_key = prepare(&data, json!({}));
    let mut server = Server::start(&data, api_key.clone(), store.database()).await;
    let (http, devices) = enroll(&server.base, DEVICES, "kill9").await;
    let udids: Vec<String> = devices.iter().map(|d| d.udid().to_owned()).collect();
    let mut queued = Vec::new();
    for _ in 0..COMMANDS {
        queued.push(queue(&server.base, &api_key, &udids).await);
    }

    let acks = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|d| {
            let api = (server.base.clone(), api_key.clone());
            tokio::spawn(load(d, http.clone(), api, acks.clone(), done.clone()))
        })
        .collect();
    for round in 1..=2 {
        wait_for(&acks, round * 15).await;
        let at = acks.load(Ordering::SeqCst);
        server.kill9();
        eprintln!(
            "server_faults ({}): kill -9 after {at} acknowledged writes",
            store.name()
        );
        server.restart().await;
    }
    done.store(true, Ordering::SeqCst);
    let mut seen = BTreeMap::new();
    for t in tasks {
        let (udid, acked) = t.await.unwrap();
        seen.insert(udid, acked);
    }
    // One more kill, then read the store as the next start would find it.
    server.kill9();
    // The PostgreSQL store runs a runtime of its own: open, read and drop it off this one.
    let (database, name) = (store.database(), store.name());
    tokio::task::spawn_blocking(move || verify(database, &data, &queued, &seen, name))
        .await
        .unwrap();
}

/// Reads the store after the last kill: every acknowledged write is there, and every
/// command ended answered.
fn verify(
    database: Option<String>,
    data: &Path,
    queued: &[String],
    seen: &BTreeMap<String, Acked>,
    name: &str,
) {
    let store_handle = open_store(database.as_deref(), &data.join("mdm.sqlite")).unwrap();
    let (mut total, mut unacked) = (0, 0);
    for (udid, acked) in seen {
        let logged = store_handle
            .checkins(udid, 1_000_000)
            .unwrap()
            .iter()
            .filter(|(t, _)| t == "TokenUpdate")
            .count();
        // The enrollment's own TokenUpdate is in the log too.
        assert!(
            logged > acked.checkins,
            "{udid}: {} check-ins acknowledged, {logged} TokenUpdates stored",
            acked.checkins
        );
        // The stored status of this device's delivery of one command.
        let stored_status = |uuid: &str| {
            let rec = store_handle.command(uuid).unwrap().unwrap();
            rec.deliveries
                .into_iter()
                .find(|d| &d.enrollment_id == udid)
                .unwrap()
                .status
        };
        for uuid in queued {
            assert_eq!(
                stored_status(uuid).as_deref(),
                Some("Acknowledged"),
                "{udid} {uuid}: never answered"
            );
        }
        unacked += COMMANDS - acked.answers.len();
        for uuid in &acked.answers {
            assert_eq!(
                stored_status(uuid).as_deref(),
                Some("Acknowledged"),
                "{udid} {uuid}: acknowledged answer not stored"
            );
        }
        total += acked.checkins + acked.answers.len();
    }
    eprintln!(
        "server_faults ({name}): {total} acknowledged writes, all in the store after 3 kills \
         ({unacked} answers stored whose 200 was lost in a kill)"
    );
}

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        out.status.success().then(|| Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Fills the file system holding `dir` with one file until a write fails.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    // Then by single bytes, to the last one.
    while f.write_all(&[0]).is_ok() && f.flush().is_ok() {}
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_gives_503_and_leaves_the_store_sound() {
    if std::env::var("MDM_TEST_STORE").as_deref() == Ok("postgres") {
        eprintln!(
            "server_faults: full disk skipped on postgres: the server writes nothing to its \
             own disk there (run on sqlite)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(_mount) = Tmpfs::mount(dir.path(), "8m") else {
        // Not a peer that can be installed: a machine without the right to mount simply
        // cannot run this part.
        eprintln!("server_faults: full disk skipped: mount -t tmpfs failed (needs root)");
        return;
    };
    let data = dir.path().join("data");
    let api_key = prepare(&data, json!({}));
    let mut server = Server::start(&data, api_key.clone(), None).await;
    let (http, devices) = enroll(&server.base, 1, "full").await;
    let device = &devices[0];
    let msg = Message::TokenUpdate(device.token_update_message().unwrap());

    let filler = fill(dir.path());
    let mut statuses = BTreeMap::<u16, usize>::new();
    let mut refused = 0;
    for _ in 0..3000 {
        let (status, _) = device.checkin(&http, &msg).await.unwrap();
        *statuses.entry(status).or_default() += 1;
        if status >= 500 {
            refused += 1;
            if refused >= 20 {
                break;
            }
        }
    }
    eprintln!("server_faults: check-ins on a full disk: {statuses:?}");
    assert!(refused > 0, "no check-in was refused on a full disk");
    assert!(
        statuses.keys().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(server.alive(), "the server died on a full disk");
    // Reads still work.
    let devices_list = reqwest::Client::new()
        .get(format!("{}/api/v1/devices", server.base))
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap();
    eprintln!(
        "server_faults: GET /api/v1/devices on a full disk: {}",
        devices_list.status()
    );

    std::fs::remove_file(&filler).unwrap();
    let mut recovered = false;
    for _ in 0..50 {
        if let Ok((200, _)) = device.checkin(&http, &msg).await {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "check-ins did not work again once there was room"
    );
    server.kill9();
    let db = rusqlite::Connection::open(data.join("mdm.sqlite")).unwrap();
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_unreachable_gives_503_and_recovers_by_itself() {
    let Some(store) = TestStore::from_env("server_faults") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let api_key = prepare(&data, json!({}));
    let mut server = Server::start(&data, api_key.clone(), store.database()).await;
    let (http, devices) = enroll(&server.base, 1, "unreachable").await;
    let device = &devices[0];
    let msg = Message::TokenUpdate(device.token_update_message().unwrap());
    let api = reqwest::Client::new();
    let devices_url = format!("{}/api/v1/devices", server.base);

    // Take the store away.
    let lock = match store.cluster() {
        Some(pg) => {
            pg.pause();
            None
        }
        None => {
            let c = rusqlite::Connection::open(data.join("mdm.sqlite")).unwrap();
            c.execute_batch("BEGIN EXCLUSIVE").unwrap();
            Some(c)
        }
    };
    let (status, body) = device.checkin(&http, &msg).await.unwrap();
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    let healthz = format!("{}/healthz", server.base);
    let health = api.get(&healthz).send().await.unwrap().status().as_u16();
    assert_eq!(health, 503, "/healthz with the store away");
    if store.cluster().is_some() {
        // Reads need the database too (SQLite's WAL lets readers past the lock).
        let resp = api
            .get(&devices_url)
            .bearer_auth(&api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 503);
    }
    assert!(server.alive());

    // Bring it back; the same process serves again.
    match (store.cluster(), lock) {
        (Some(pg), _) => pg.resume(),
        (None, Some(c)) => c.execute_batch("COMMIT").unwrap(),
        (None, None) => unreachable!(),
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = device.checkin(&http, &msg).await.unwrap();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resp = api
        .get(&devices_url)
        .bearer_auth(&api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let health = api.get(&healthz).send().await.unwrap().status().as_u16();
    assert_eq!(health, 200, "/healthz with the store back");
    eprintln!(
        "server_faults ({}): store away: 503; back: 200 from the same process",
        store.name()
    );
    server.kill9();
}
