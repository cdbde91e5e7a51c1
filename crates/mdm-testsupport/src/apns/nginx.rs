//! A throw-away nginx on 127.0.0.1 that plays APNs: HTTP/2 over TLS, client certificates
//! checked against the test CA, one JSON log line per push.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Pki;

/// The nginx program: on `PATH`, else Debian's `/usr/sbin/nginx` (a non-root `PATH` often
/// lacks `/usr/sbin`), else `None` after `mdm_testsupport::peer` printed the skip (or failed
/// the test when `MDM_REQUIRE_PEERS=1`).
pub fn find(test: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("nginx"))
            .find(|p| p.is_file())
    });
    let sbin = Path::new("/usr/sbin/nginx");
    on_path
        .or_else(|| sbin.is_file().then(|| sbin.to_path_buf()))
        .or_else(|| crate::peer(test, "nginx"))
}

/// How the `/3/device/` location answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Proxy to a second local server so nginx reads the body into `$request_body`; the
    /// response carries the request's `apns-id`.
    LogBodies,
    /// `return 200` straight away (the body is not read, no log): the fastest nginx can answer.
    Fast,
}

pub struct Nginx {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
}

impl Nginx {
    /// Starts nginx (`program`) with the test PKI; `keepalive_requests` bounds the requests
    /// per connection (nginx then closes it with GOAWAY).
    pub fn start(program: &Path, pki: &Pki, mode: Mode, keepalive_requests: u32) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("server.pem"), pki.server_chain_pem()).unwrap();
        std::fs::write(d.join("server.key"), pki.server_key_pem()).unwrap();
        std::fs::write(d.join("ca.pem"), pki.ca_pem()).unwrap();
        let port = crate::free_port();
        let upstream = crate::free_port();
        let dirs = d.display();
        let location = match mode {
            Mode::LogBodies => format!(
                "access_log {dirs}/apns.log apns;
                 proxy_pass http://ok;
                 proxy_http_version 1.1;
                 proxy_set_header Connection \"\";"
            ),
            Mode::Fast => "access_log off; return 200 \"\";".to_owned(),
        };
        let conf = format!(
            r#"
master_process off;
error_log {dirs}/error.log warn;
pid {dirs}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {dirs}/body;
    proxy_temp_path {dirs}/proxy;
    fastcgi_temp_path {dirs}/fastcgi;
    uwsgi_temp_path {dirs}/uwsgi;
    scgi_temp_path {dirs}/scgi;
    log_format apns escape=json '{{"connection":"$connection","requests":"$connection_requests","topic":"$http_apns_topic","push_type":"$http_apns_push_type","priority":"$http_apns_priority","expiration":"$http_apns_expiration","id":"$http_apns_id","content_type":"$content_type","method":"$request_method","uri":"$request_uri","protocol":"$server_protocol","body":"$request_body","client_dn":"$ssl_client_s_dn","status":"$status"}}';
    access_log off;
    upstream ok {{ server 127.0.0.1:{upstream}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{upstream};
        access_log off;
        location / {{ add_header apns-id $http_apns_id always; return 200 ""; }}
    }}
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {dirs}/server.pem;
        ssl_certificate_key {dirs}/server.key;
        ssl_client_certificate {dirs}/ca.pem;
        ssl_verify_client on;
        keepalive_requests {keepalive_requests};
        client_body_buffer_size 16k;
        client_body_in_single_buffer on;
        location /3/device/ {{
            {location}
        }}
    }}
}}
"#
        );
        let conf_path = d.join("nginx.conf");
        std::fs::File::create(&conf_path)
            .unwrap()
            .write_all(conf.as_bytes())
            .unwrap();
        let mut child = Command::new(program)
            .arg("-p")
            .arg(d)
            .arg("-c")
            .arg(&conf_path)
            .arg("-g")
            .arg("daemon off;")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    std::io::Read::read_to_string(&mut e, &mut err).ok();
                }
                let log = std::fs::read_to_string(d.join("error.log")).unwrap_or_default();
                panic!("nginx exited with {status}: {err}\n{log}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(Instant::now() < deadline, "nginx did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        Nginx { child, dir, port }
    }

    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The access log entries, waiting up to five seconds for `at_least` of them.
    pub fn log(&self, at_least: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text =
                std::fs::read_to_string(self.dir.path().join("apns.log")).unwrap_or_default();
            let lines: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            if lines.len() >= at_least || Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The error log, for failure messages.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
