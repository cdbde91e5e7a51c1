//! Test peers: a `scepserver` in a temporary depot, and our responder behind a tiny
//! HTTP/1.1 server on a std `TcpListener`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code,
    unreachable_pub
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mdm_scep::ScepResponder;
use mdm_signing::Certificate;

/// `scepserver` in a temporary depot, shared with the example CLI tests.
pub use mdm_testsupport::scep::{ScepServer, wait_for_port};

/// The depot's CA certificate.
pub fn ca_certificate(server: &ScepServer) -> Certificate {
    Certificate::from_pem_or_der(&server.ca_pem()).unwrap()
}

/// Our responder behind an HTTP/1.1 server on a background thread; stops on drop.
pub struct ResponderServer {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl ResponderServer {
    /// The SCEP URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scep", self.port)
    }
}

impl Drop for ResponderServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Serves `responder` on a free loopback port, one connection at a time.
pub fn serve_responder(responder: ScepResponder) -> ResponderServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let responder = Arc::new(responder);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            if stop2.load(Ordering::SeqCst) {
                break;
            }
            let Ok(conn) = conn else { continue };
            let r = responder.clone();
            std::thread::spawn(move || handle(&r, conn));
        }
    });
    ResponderServer { port, stop }
}

fn handle(responder: &ScepResponder, mut conn: TcpStream) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("GET").to_owned();
        let target = parts.next().unwrap_or("/").to_owned();
        let mut len = 0usize;
        let mut close = false;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("connection") && v.trim().eq_ignore_ascii_case("close") {
                    close = true;
                }
            }
        }
        let mut body = vec![0u8; len];
        reader.read_exact(&mut body)?;
        let req = http::Request::builder()
            .method(method.as_str())
            .uri(target)
            .body(body)
            .unwrap();
        let resp = mdm_scep::http::respond(responder, &req);
        let ct = resp
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
            resp.status().as_u16(),
            ct,
            resp.body().len()
        );
        conn.write_all(head.as_bytes())?;
        conn.write_all(resp.body())?;
        conn.flush()?;
        if close {
            return Ok(());
        }
    }
}
