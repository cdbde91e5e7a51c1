//! mdm-server (the example binary, as a child process) under clients that try to exhaust
//! it, with small limits so each part takes about a second: slow and idle connections are
//! closed by the header read timeout, a slow body by the request timeout (408), connections
//! past the cap wait in the listen queue, junk bodies get 4xx, oversize bodies get 413
//! without being read to the end. Through it all an enrolled device keeps being served;
//! the server's resident memory and open file descriptors are printed before and after
//! each part and must come back down. The same at full size (10,000 idle connections,
//! 1,000 junk requests a second) is the measured example `server-hostile`
//! (docs/fuzzing.md).
//!
//! Nothing here depends on the store, so it runs on SQLite only and skips with a printed
//! reason under `MDM_TEST_STORE=postgres`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod hostile;

use std::time::{Duration, Instant};

use hostile::{Server, Stats, enroll, idle_round_trip, ms, prepare};
use mdm_examples::sim::Device;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// The limits the server runs with here.
const HEADER_TIMEOUT_SECS: u64 = 1;
const REQUEST_TIMEOUT_SECS: u64 = 2;
const MAX_CONNECTIONS: usize = 150;
/// `max_body_bytes` here.
const MAX_BODY: usize = 256 * 1024;

/// Longest any client here waits for the server to act.
const PATIENCE: Duration = Duration::from_secs(30);

fn show(what: &str, before: Stats, peak: Stats, after: Stats) {
    eprintln!(
        "{what}: server VmRSS {} -> peak {} -> {} KiB, open fds {} -> peak {} -> {}",
        before.rss_kib, peak.rss_kib, after.rss_kib, before.fds, peak.fds, after.fds
    );
}

/// Waits until the server's open descriptors are back to `baseline` (plus a few for
/// pooled store connections and the device's last connection); returns the stats then.
async fn settle(server: &Server, baseline: Stats) -> Stats {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = server.stats();
        if now.fds <= baseline.fds + 4 || Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The device polls (`Idle`, nothing queued) every 100 ms until `stop`; every round trip
/// must be answered 200. Returns the round-trip times.
async fn keep_polling(
    device: Device,
    stop: tokio::sync::watch::Receiver<bool>,
) -> (Device, Vec<Duration>) {
    // A connection of its own each time: the server closes kept-alive connections after
    // the header timeout, and a reused one could be closed just as a request goes out.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let mut times = Vec::new();
    loop {
        match idle_round_trip(&device, &http).await {
            Ok(t) => times.push(t),
            Err(e) => panic!("device not served during the attack: {e}"),
        }
        if *stop.borrow() {
            return (device, times);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn latency_line(what: &str, times: &mut [Duration]) {
    times.sort();
    let p = |q: f64| {
        // An index into a short, non-empty list.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((times.len() - 1) as f64 * q).round() as usize;
        ms(times[i])
    };
    eprintln!(
        "{what}: device round trips {} (p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms)",
        times.len(),
        p(0.5),
        p(0.99),
        p(1.0)
    );
}

/// Runs `attack` while the device polls; returns the device, its round trips and the
/// server's peak stats seen meanwhile.
async fn during<F>(server: &Server, device: Device, attack: F) -> (Device, Vec<Duration>, Stats)
where
    F: std::future::Future<Output = ()>,
{
    let (tx, rx) = tokio::sync::watch::channel(false);
    let poller = tokio::spawn(keep_polling(device, rx));
    let mut peak = server.stats();
    let mut attack = std::pin::pin!(attack);
    loop {
        tokio::select! {
            () = &mut attack => break,
            () = tokio::time::sleep(Duration::from_millis(50)) => {
                let s = server.stats();
                peak.rss_kib = peak.rss_kib.max(s.rss_kib);
                peak.fds = peak.fds.max(s.fds);
            }
        }
    }
    tx.send(true).unwrap();
    let (device, times) = poller.await.unwrap();
    (device, times, peak)
}

/// Reads until the server closes the connection; returns what it sent.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept a hostile connection open for {PATIENCE:?}"),
        }
    }
}

/// A connection that sends nothing.
async fn idle(addr: String) {
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let got = until_closed(&mut s).await;
    assert!(
        got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
        "{got:?}"
    );
}

/// Request headers, one byte every 100 ms, never finished.
async fn slow_headers(addr: String) {
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"PUT /mdm/connect HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let (mut r, mut w) = s.into_split();
    let writer = tokio::spawn(async move {
        while w.write_all(b"a").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(PATIENCE, async {
        loop {
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "slow headers kept open for {PATIENCE:?}");
    writer.abort();
}

/// Whole headers, then the body at 16 bytes every 100 ms: the request timeout answers
/// 408 and closes.
async fn slow_body(addr: String) {
    let s = TcpStream::connect(&addr).await.unwrap();
    let (mut r, mut w) = s.into_split();
    w.write_all(
        b"PUT /mdm/connect HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\
          Content-Type: application/x-apple-aspen-mdm\r\n\r\n",
    )
    .await
    .unwrap();
    let writer = tokio::spawn(async move {
        while w.write_all(&[b'<'; 16]).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(PATIENCE, async {
        loop {
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "slow body kept open for {PATIENCE:?}");
    writer.abort();
    assert!(
        got.starts_with(b"HTTP/1.1 408"),
        "slow body: {:?}",
        String::from_utf8_lossy(&got)
    );
}

/// Declares (or streams, `chunked`) 64 MiB to `path` and sends it as fast as it goes;
/// the server must answer 413 having read at most a little more than the cap. Returns
/// the bytes this client got to send.
async fn oversize(addr: String, method: &str, path: &str, key: &str, chunked: bool) -> usize {
    const DECLARED: usize = 64 * 1024 * 1024;
    let s = TcpStream::connect(&addr).await.unwrap();
    let (mut r, mut w) = s.into_split();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {DECLARED}")
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{framing}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    w.write_all(head.as_bytes()).await.unwrap();
    let writer = tokio::spawn(async move {
        let chunk = vec![b'<'; 64 * 1024];
        let mut sent = 0usize;
        while sent < DECLARED {
            let ok = if chunked {
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                w.write_all(&framed).await.is_ok()
            } else {
                w.write_all(&chunk).await.is_ok()
            };
            if !ok {
                break;
            }
            sent += chunk.len();
        }
        sent
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    tokio::time::timeout(PATIENCE, async {
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match r.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("no answer to an oversize body");
    drop(r);
    writer.abort();
    let sent = writer.await.unwrap_or(0);
    assert!(
        got.starts_with(b"HTTP/1.1 413"),
        "{path}: {:?}",
        String::from_utf8_lossy(&got)
    );
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_are_bounded_and_devices_still_served() {
    if std::env::var("MDM_TEST_STORE").as_deref() == Ok("postgres") {
        eprintln!(
            "server_exhaustion: skipped on postgres: connection limits do not touch the store (runs on sqlite)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let api_key = prepare(
        &data,
        json!({
            "header_read_timeout_secs": HEADER_TIMEOUT_SECS,
            "request_timeout_secs": REQUEST_TIMEOUT_SECS,
            "max_connections": MAX_CONNECTIONS,
        }),
    );
    let config_path = data.join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
    config["max_body_bytes"] = json!(MAX_BODY);
    std::fs::write(&config_path, config.to_string()).unwrap();
    let server = Server::start(&data, api_key.clone(), None).await;
    let (_http, mut devices) = enroll(&server.base, 1, "hostile").await;
    let mut device = devices.pop().unwrap();
    let baseline = settle(&server, server.stats()).await;

    // 1. Slow and idle connections, under the cap: each closed by a timeout.
    let before = server.stats();
    let addr = server.addr.clone();
    let (d, mut times, peak) = during(&server, device, async move {
        let mut set = JoinSet::new();
        for _ in 0..40 {
            set.spawn(idle(addr.clone()));
            set.spawn(slow_headers(addr.clone()));
        }
        for _ in 0..20 {
            set.spawn(slow_body(addr.clone()));
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    })
    .await;
    device = d;
    let after = settle(&server, baseline).await;
    show(
        "40 idle + 40 slow-header + 20 slow-body connections",
        before,
        peak,
        after,
    );
    latency_line("slow connections", &mut times);
    assert!(after.fds <= baseline.fds + 4, "descriptors left open");

    // 2. Twice the cap in idle connections: the server holds at most the cap at once,
    // the rest wait in the listen queue until timeouts make room; all get closed.
    let before = server.stats();
    let addr = server.addr.clone();
    let (d, mut times, peak) = during(&server, device, async move {
        let mut set = JoinSet::new();
        for _ in 0..2 * MAX_CONNECTIONS {
            set.spawn(idle(addr.clone()));
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    })
    .await;
    device = d;
    let after = settle(&server, baseline).await;
    show(
        &format!(
            "{} idle connections, cap {MAX_CONNECTIONS}",
            2 * MAX_CONNECTIONS
        ),
        before,
        peak,
        after,
    );
    latency_line("past the cap", &mut times);
    // The cap, plus the store, the listener and whatever else the server had open.
    assert!(
        peak.fds <= baseline.fds + MAX_CONNECTIONS + 4,
        "more connections open than the cap: {} fds, baseline {}",
        peak.fds,
        baseline.fds
    );
    assert!(after.fds <= baseline.fds + 4, "descriptors left open");

    // 3. Junk bodies at every body-taking endpoint: all 4xx.
    let before = server.stats();
    let base = server.base.clone();
    let key = api_key.clone();
    let (d, mut times, peak) = during(&server, device, async move {
        let http = reqwest::Client::new();
        let mut set = JoinSet::new();
        for i in 0..300usize {
            let http = http.clone();
            let base = base.clone();
            let key = key.clone();
            set.spawn(async move {
                let len = 64 + (i * 7919) % 8192;
                let junk: Vec<u8> = (0..len).map(|j| (j * 31 + i) as u8).collect();
                let req = match i % 3 {
                    0 => http.put(format!("{base}/mdm/checkin")),
                    1 => http.put(format!("{base}/mdm/connect")),
                    _ => http
                        .post(format!("{base}/api/v1/commands"))
                        .bearer_auth(&key),
                };
                let status = req.body(junk).send().await.unwrap().status().as_u16();
                assert!((400..500).contains(&status), "junk got {status}");
            });
            if set.len() >= 16 {
                set.join_next().await.unwrap().unwrap();
            }
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    })
    .await;
    device = d;
    let after = settle(&server, baseline).await;
    show("300 junk bodies", before, peak, after);
    latency_line("junk bodies", &mut times);

    // 4. Oversize bodies, declared and chunked: 413 after about the cap, not 64 MiB.
    let before = server.stats();
    let addr = server.addr.clone();
    let (_device, mut times, peak) = during(&server, device, async move {
        for i in 0..12 {
            let (method, path) = [
                ("PUT", "/mdm/checkin"),
                ("PUT", "/mdm/connect"),
                ("POST", "/api/v1/commands"),
            ][i % 3];
            let sent = oversize(addr.clone(), method, path, &api_key, i % 2 == 1).await;
            assert!(
                sent < 16 * 1024 * 1024,
                "{path}: the server read {sent} bytes of an oversize body"
            );
        }
    })
    .await;
    let after = settle(&server, baseline).await;
    show("12 oversize bodies (64 MiB each)", before, peak, after);
    latency_line("oversize bodies", &mut times);
    assert!(
        peak.rss_kib < before.rss_kib + 64 * 1024,
        "memory grew by {} KiB",
        peak.rss_kib - before.rss_kib
    );
}
