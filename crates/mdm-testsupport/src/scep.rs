//! micromdm's `scepserver` (Debian's `scep` package) as a real SCEP peer: a CA depot in a
//! temporary folder and a server on a free loopback port, killed on drop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `scepserver`, killed on drop.
pub struct ScepServer {
    child: Child,
    port: u16,
    depot: tempfile::TempDir,
}

impl ScepServer {
    /// Creates a CA depot and starts the server with this challenge, or returns `None`
    /// when `scepserver` is not installed (and peers are not required).
    pub fn start(test: &str, challenge: &str) -> Option<Self> {
        let bin = crate::peer(test, "scepserver")?;
        let depot = tempfile::tempdir().unwrap();
        let depot_path = depot.path().join("depot");
        let init = Command::new(&bin)
            .args(["ca", "-init", "-keySize", "2048", "-depot"])
            .arg(&depot_path)
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "{}",
            String::from_utf8_lossy(&init.stderr)
        );
        let port = crate::free_port();
        let child = Command::new(&bin)
            .args([
                "-port",
                &port.to_string(),
                "-challenge",
                challenge,
                "-allowrenew",
                "0",
                "-depot",
            ])
            .arg(&depot_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = ScepServer { child, port, depot };
        assert!(
            wait_for_port(port, Duration::from_secs(10)),
            "scepserver did not start"
        );
        Some(server)
    }

    /// The SCEP URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scep", self.port)
    }

    /// The depot's CA certificate (PEM).
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.depot_path().join("ca.pem")).unwrap()
    }

    /// The depot folder.
    pub fn depot_path(&self) -> PathBuf {
        self.depot.path().join("depot")
    }
}

impl Drop for ScepServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether something accepts connections on 127.0.0.1:`port` within `timeout`.
pub fn wait_for_port(port: u16, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
