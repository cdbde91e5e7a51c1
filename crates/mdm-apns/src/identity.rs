//! The push identity: the APNs MDM push certificate, its private key and the topic in it.

use std::fmt;

use chrono::{DateTime, Utc};
use openssl::asn1::Asn1Time;
use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;

use crate::error::Error;
use crate::ids::Topic;

/// The client identity APNs authenticates an MDM server by: the push certificate Apple
/// issued (through the vendor's signing request), its private key, any intermediate
/// certificates, and the topic read from the certificate's UID attribute
/// (OID 0.9.2342.19200300.100.1.1), `com.apple.mgmt.External.<uuid>`.
///
/// Made with [`PushIdentity::from_pem`] or [`PushIdentity::from_pkcs12`]; the key always
/// matches the certificate.
#[derive(Clone)]
pub struct PushIdentity {
    key: PKey<Private>,
    cert: X509,
    chain: Vec<X509>,
    topic: Topic,
}

impl PushIdentity {
    /// Reads the certificate (PEM, optionally followed by intermediates) and an unencrypted
    /// private key (PEM, PKCS#1 `RSA PRIVATE KEY`, PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE
    /// KEY`). Both may come from one file: pass the same bytes twice.
    ///
    /// # Errors
    /// [`Error::Identity`] when either part cannot be read, the key is encrypted or matches
    /// no certificate; [`Error::NoTopicInCertificate`] when the certificate carries no MDM topic.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        if contains(key_pem, b"ENCRYPTED") {
            return Err(Error::Identity(
                "the private key is encrypted; decrypt it first (openssl pkey -in key.pem)"
                    .to_owned(),
            ));
        }
        if !contains(key_pem, b"PRIVATE KEY-----") {
            return Err(Error::Identity("no PEM private key found".to_owned()));
        }
        // An empty passphrase keeps OpenSSL from prompting on a terminal.
        let key = PKey::private_key_from_pem_passphrase(key_pem, b"")
            .map_err(|e| identity_error("cannot read the private key", &e))?;
        let certs = X509::stack_from_pem(cert_pem)
            .map_err(|e| identity_error("cannot read the certificate", &e))?;
        Self::assemble(key, certs)
    }

    /// Reads a PKCS#12 (`.p12`/`.pfx`) file holding the certificate and its key.
    ///
    /// # Errors
    /// [`Error::LegacyPkcs12`] when the file uses RC2/3DES-era encryption OpenSSL 3 no
    /// longer reads by default; [`Error::Pkcs12Password`] for a wrong password;
    /// [`Error::Identity`] when it is not PKCS#12 or lacks a key or certificate;
    /// [`Error::NoTopicInCertificate`] when the certificate carries no MDM topic.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, Error> {
        let p12 = Pkcs12::from_der(der).map_err(|e| identity_error("not a PKCS#12 file", &e))?;
        let parsed = p12
            .parse2(password)
            .map_err(|e| classify_pkcs12_error(&e))?;
        let key = parsed
            .pkey
            .ok_or_else(|| Error::Identity("the PKCS#12 file holds no private key".to_owned()))?;
        let mut certs = Vec::new();
        certs.extend(parsed.cert);
        if let Some(ca) = parsed.ca {
            certs.extend(ca);
        }
        Self::assemble(key, certs)
    }

    fn assemble(key: PKey<Private>, mut certs: Vec<X509>) -> Result<Self, Error> {
        if certs.is_empty() {
            return Err(Error::Identity("no certificate found".to_owned()));
        }
        let leaf_at = certs
            .iter()
            .position(|c| c.public_key().is_ok_and(|pk| pk.public_eq(&key)))
            .ok_or_else(|| {
                Error::Identity("the private key matches none of the certificates".to_owned())
            })?;
        let cert = certs.remove(leaf_at);
        let topic = topic_of(&cert)?;
        Ok(PushIdentity {
            key,
            cert,
            chain: certs,
            topic,
        })
    }

    /// The topic from the certificate's UID attribute.
    pub fn topic(&self) -> &Topic {
        &self.topic
    }

    /// Checks that a device's reported `Topic` (from `Authenticate` or `TokenUpdate`) is
    /// this certificate's topic.
    ///
    /// # Errors
    /// [`Error::TopicMismatch`] when it is not.
    pub fn check_topic(&self, device_topic: &Topic) -> Result<(), Error> {
        if device_topic == &self.topic {
            Ok(())
        } else {
            Err(Error::TopicMismatch {
                expected: self.topic.to_string(),
                found: device_topic.to_string(),
            })
        }
    }

    /// When the certificate expires (`None` if the date cannot be represented).
    pub fn not_after(&self) -> Option<DateTime<Utc>> {
        let epoch = Asn1Time::from_unix(0).ok()?;
        let diff = epoch.diff(self.cert.not_after()).ok()?;
        let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
        DateTime::from_timestamp(secs, 0)
    }

    /// The certificate's subject, one `NAME=value` per attribute joined by `, `.
    pub fn subject(&self) -> String {
        self.cert
            .subject_name()
            .entries()
            .map(|e| {
                let name = e.object().nid().short_name().unwrap_or("?");
                let value = e.data().to_string().unwrap_or_default();
                format!("{name}={value}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The certificate in DER.
    ///
    /// # Errors
    /// [`Error::Identity`] when OpenSSL cannot encode it.
    pub fn certificate_der(&self) -> Result<Vec<u8>, Error> {
        self.cert
            .to_der()
            .map_err(|e| identity_error("cannot encode the certificate", &e))
    }

    /// The key (PKCS#8) followed by the certificate and the chain, all PEM: the form TLS
    /// client libraries take.
    ///
    /// # Errors
    /// [`Error::Identity`] when OpenSSL cannot encode them.
    pub fn to_pem(&self) -> Result<Vec<u8>, Error> {
        let mut out = self
            .key
            .private_key_to_pem_pkcs8()
            .map_err(|e| identity_error("cannot encode the private key", &e))?;
        for cert in std::iter::once(&self.cert).chain(&self.chain) {
            out.extend(
                cert.to_pem()
                    .map_err(|e| identity_error("cannot encode a certificate", &e))?,
            );
        }
        Ok(out)
    }
}

impl fmt::Debug for PushIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushIdentity")
            .field("topic", &self.topic)
            .field("subject", &self.subject())
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// The first UID attribute of the subject that is an MDM topic.
fn topic_of(cert: &X509) -> Result<Topic, Error> {
    cert.subject_name()
        .entries_by_nid(Nid::USERID)
        .filter_map(|e| e.data().to_string().ok())
        .filter_map(|s| Topic::new(s).ok())
        .find(Topic::is_mdm)
        .ok_or(Error::NoTopicInCertificate)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn identity_error(what: &str, e: &ErrorStack) -> Error {
    let first = e
        .errors()
        .first()
        .and_then(|e| e.reason())
        .unwrap_or("unknown openssl error");
    Error::Identity(format!("{what}: {first}"))
}

fn classify_pkcs12_error(e: &ErrorStack) -> Error {
    let reasons: Vec<&str> = e.errors().iter().filter_map(|e| e.reason()).collect();
    if reasons.iter().any(|r| r.contains("unsupported")) {
        Error::LegacyPkcs12
    } else if reasons.iter().any(|r| r.contains("mac verify")) {
        Error::Pkcs12Password
    } else {
        identity_error("cannot decrypt the PKCS#12 file", e)
    }
}
