//! The data directory: `config.json`, the CA (`ca.pem`, `ca.key`) and the database
//! (`mdm.sqlite`, unless `database` names a PostgreSQL one), created on first run.

use std::fs;
use std::path::{Path, PathBuf};

use mdm_signing::{Identity, PrivateKey};
use serde::{Deserialize, Serialize};

/// Largest `config.json` read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The server's settings, kept as `config.json` in the data directory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. `--listen` overrides it.
    pub listen: String,
    /// The URL devices reach the server at, written into the enrollment profile. `None`:
    /// `http://<listen address>` (fine on one machine; put a TLS proxy in front for real
    /// devices, which only talk HTTPS).
    #[serde(default)]
    pub public_url: Option<String>,
    /// The key the JSON API wants in `Authorization: Bearer <key>`.
    pub api_key: String,
    /// The SCEP challenge written into the enrollment profile and checked by `/scep`.
    pub scep_challenge: String,
    /// The APNs topic written into the MDM payload when no push certificate is set (a
    /// push certificate's own topic wins).
    pub topic: String,
    /// `PayloadIdentifier` of the enrollment profile.
    pub profile_identifier: String,
    /// `PayloadOrganization` of the enrollment profile.
    pub organization: String,
    /// Accept SCEP requests encrypted with single DES (micromdm's `scepclient` sends
    /// them). Default: false.
    #[serde(default)]
    pub scep_allow_des: bool,
    /// Days the device identities issued over SCEP are valid.
    pub device_cert_days: u32,
    /// Largest check-in or command-report body accepted, in bytes.
    pub max_body_bytes: usize,
    /// When set, the device certificate is read from this request header (set by a
    /// TLS-terminating proxy that checked the client certificate) instead of
    /// `Mdm-Signature`.
    #[serde(default)]
    pub trusted_proxy_header: Option<String>,
    /// APNs settings; `None` turns pushes off.
    #[serde(default)]
    pub push: Option<PushConfig>,
    /// The database: `None` (or `sqlite:`) for `mdm.sqlite` in the data directory, or a
    /// `postgres://user:password@host:port/db` URL, which lets several replicas share
    /// one database. `--database` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Timeouts and the connection cap of the HTTP listener; see
    /// [`super::http::HttpLimits`] for each field and its default.
    #[serde(default)]
    pub http: super::http::HttpLimits,
}

/// Where the APNs push certificate is and where to send pushes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushConfig {
    /// PEM certificate (relative paths are relative to the data directory).
    pub certificate: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// APNs base URL. Default: Apple's production service.
    #[serde(default)]
    pub url: Option<String>,
    /// PEM roots to trust for the APNs server instead of the built-in ones (tests).
    #[serde(default)]
    pub roots: Option<PathBuf>,
}

/// The loaded data directory.
#[derive(Debug)]
pub struct DataDir {
    /// The directory.
    pub path: PathBuf,
    /// `config.json`.
    pub config: Config,
    /// The CA that issues device identities and signs the enrollment profile.
    pub ca: Identity,
    /// Whether this run created the directory's contents.
    pub created: bool,
}

/// `bytes` random bytes from OpenSSL's CSPRNG, as lower-case hex.
///
/// # Errors
/// When OpenSSL cannot produce random bytes.
pub fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    mdm_signing::openssl::rand::rand_bytes(&mut buf).map_err(|e| format!("random: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

impl Config {
    /// A fresh configuration with random secrets.
    ///
    /// # Errors
    /// When no random bytes can be had.
    pub fn generate() -> Result<Self, String> {
        Ok(Config {
            listen: "127.0.0.1:9440".into(),
            public_url: None,
            api_key: random_hex(24)?,
            scep_challenge: random_hex(16)?,
            scep_allow_des: false,
            topic: format!(
                "com.apple.mgmt.External.{}",
                uuid::Uuid::new_v4().hyphenated()
            ),
            profile_identifier: "com.example.mdm-server.enrollment".into(),
            organization: "apple-mdm-rs example server".into(),
            device_cert_days: 365,
            max_body_bytes: mdm_plist::Limits::default().max_bytes,
            trusted_proxy_header: None,
            push: None,
            database: None,
            http: super::http::HttpLimits::default(),
        })
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let meta = fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(format!(
            "{}: larger than {MAX_CONFIG_BYTES} bytes",
            path.display()
        ));
    }
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

impl DataDir {
    /// Opens the data directory, creating the configuration and the CA where missing.
    ///
    /// # Errors
    /// A message naming the file that could not be read, parsed or written.
    pub fn open_or_create(path: &Path) -> Result<Self, String> {
        fs::create_dir_all(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut created = false;
        let config_path = path.join("config.json");
        let config = if config_path.exists() {
            let bytes = read_bounded(&config_path)?;
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", config_path.display()))?
        } else {
            created = true;
            let config = Config::generate()?;
            let text = serde_json::to_vec_pretty(&config).map_err(|e| e.to_string())?;
            write_private(&config_path, &text)?;
            config
        };
        let (cert_path, key_path) = (path.join("ca.pem"), path.join("ca.key"));
        let ca = if cert_path.exists() && key_path.exists() {
            Identity::from_pem(&read_bounded(&cert_path)?, &read_bounded(&key_path)?)
                .map_err(|e| format!("{}: {e}", cert_path.display()))?
        } else {
            created = true;
            let key = PrivateKey::generate_rsa(2048).map_err(|e| e.to_string())?;
            let ca = Identity::self_signed("mdm-server example CA", key, 3650)
                .map_err(|e| e.to_string())?;
            let cert = ca.certificate().to_pem().map_err(|e| e.to_string())?;
            let key = ca.key().to_pkcs8_pem().map_err(|e| e.to_string())?;
            write_private(&key_path, &key)?;
            fs::write(&cert_path, cert).map_err(|e| format!("{}: {e}", cert_path.display()))?;
            ca
        };
        Ok(DataDir {
            path: path.to_owned(),
            config,
            ca,
            created,
        })
    }

    /// The SQLite database file.
    pub fn database(&self) -> PathBuf {
        self.path.join("mdm.sqlite")
    }

    /// A path from the configuration, taken relative to the data directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.path.join(p)
        }
    }

    /// Reads a file named in the configuration.
    ///
    /// # Errors
    /// A message naming the file.
    pub fn read(&self, p: &Path) -> Result<Vec<u8>, String> {
        read_bounded(&self.resolve(p))
    }
}
