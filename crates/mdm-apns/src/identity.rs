//! The push identity: the APNs MDM push certificate, its private key and the topic in it.

use std::fmt;

use chrono::{DateTime, Utc};
use mdm_signing::{Certificate, Identity};
use openssl::nid::Nid;

use crate::Topic;
use crate::error::Error;

/// The client identity APNs authenticates an MDM server by: the push certificate Apple
/// issued (through the vendor's signing request), its private key, any intermediate
/// certificates, and the topic read from the certificate's UID attribute
/// (OID 0.9.2342.19200300.100.1.1), `com.apple.mgmt.External.<uuid>`.
///
/// The certificate and key are loaded by `mdm-signing`'s one loader ([`Identity`]), so the
/// same files work here, for profile signing and for SCEP: PEM (PKCS#8, PKCS#1 or SEC1 keys)
/// and PKCS#12, including the legacy RC2 / 3DES `.p12` files Keychain Access exports.
///
/// `tests/identity.rs` loads PEM (PKCS#1, PKCS#8, one bundled file), modern PKCS#12 and a
/// legacy RC2 `.p12`, and shows each refusal.
#[derive(Clone)]
pub struct PushIdentity {
    identity: Identity,
    topic: Topic,
}

impl PushIdentity {
    /// Wraps an identity loaded by `mdm-signing`, reading the topic from its certificate.
    ///
    /// # Errors
    /// [`Error::NoTopicInCertificate`] when the certificate carries no MDM topic.
    pub fn new(identity: Identity) -> Result<Self, Error> {
        let topic = topic_of(identity.certificate())?;
        Ok(PushIdentity { identity, topic })
    }

    /// Reads the certificate (PEM, optionally followed by intermediates) and an unencrypted
    /// private key (PEM: PKCS#8, PKCS#1 or SEC1). Both may come from one file: pass the same
    /// bytes twice.
    ///
    /// # Errors
    /// [`Error::Identity`] when either part cannot be read or the key does not match the
    /// certificate (the inner error says which); [`Error::NoTopicInCertificate`] when the
    /// certificate carries no MDM topic.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let certs = Certificate::chain_from_pem(cert_pem)?;
        let key = mdm_signing::PrivateKey::from_pem(key_pem)?;
        // The certificate file may hold the chain in any order: the leaf is the one the key
        // belongs to.
        let leaf_at = certs
            .iter()
            .position(|c| key.matches(c))
            .ok_or(mdm_signing::Error::KeyMismatch)?;
        let mut chain = certs;
        let leaf = chain.remove(leaf_at);
        Self::new(Identity::new(leaf, key, chain)?)
    }

    /// Reads a PKCS#12 (`.p12`/`.pfx`) file holding the certificate and its key, modern or
    /// legacy (RC2 / 3DES, as Keychain Access exports push certificates).
    ///
    /// # Errors
    /// [`Error::Identity`] for a wrong password, a damaged file or one without key or
    /// certificate (see [`mdm_signing::Identity::from_pkcs12`]);
    /// [`Error::NoTopicInCertificate`] when the certificate carries no MDM topic.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, Error> {
        Self::new(Identity::from_pkcs12(der, password)?)
    }

    /// The topic from the certificate's UID attribute.
    pub fn topic(&self) -> &Topic {
        &self.topic
    }

    /// The certificate, key and chain.
    pub fn identity(&self) -> &Identity {
        &self.identity
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
        self.identity.certificate().not_after()
    }

    /// The certificate's subject, one `NAME=value` per attribute joined by `, `.
    pub fn subject(&self) -> String {
        self.identity.certificate().subject()
    }

    /// The certificate in DER.
    ///
    /// # Errors
    /// [`Error::Identity`] when OpenSSL cannot encode it.
    pub fn certificate_der(&self) -> Result<Vec<u8>, Error> {
        Ok(self.identity.certificate().to_der()?)
    }

    /// The key (PKCS#8) followed by the certificate and the chain, all PEM: the form TLS
    /// client libraries take.
    ///
    /// # Errors
    /// [`Error::Identity`] when OpenSSL cannot encode them.
    pub fn to_pem(&self) -> Result<Vec<u8>, Error> {
        let mut out = self.identity.key().to_pkcs8_pem()?;
        out.extend(self.identity.certificate().to_pem()?);
        for cert in self.identity.chain() {
            out.extend(cert.to_pem()?);
        }
        Ok(out)
    }
}

impl From<PushIdentity> for Identity {
    fn from(p: PushIdentity) -> Identity {
        p.identity
    }
}

impl fmt::Debug for PushIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushIdentity")
            .field("topic", &self.topic)
            .field("subject", &self.subject())
            .field("chain", &self.identity.chain().len())
            .finish_non_exhaustive()
    }
}

/// The first UID attribute of the subject that is an MDM topic.
fn topic_of(cert: &Certificate) -> Result<Topic, Error> {
    cert.as_openssl()
        .subject_name()
        .entries_by_nid(Nid::USERID)
        .filter_map(|e| e.data().to_string().ok())
        .filter_map(|s| Topic::new(s).ok())
        .find(Topic::is_mdm)
        .ok_or(Error::NoTopicInCertificate)
}
