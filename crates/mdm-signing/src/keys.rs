//! Loading certificates, private keys and identities (PEM, DER, PKCS#12).
//!
//! These types are the way into every other part of the workspace that needs a key: the
//! profile signer here, and SCEP's requester and responder. They wrap OpenSSL objects and
//! hand them out through `as_openssl()` accessors for code that needs the raw primitive.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use openssl::asn1::Asn1TimeRef;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{Id, PKey, Private};
use openssl::provider::Provider;
use openssl::x509::{X509, X509NameRef, X509Ref};

use crate::error::{Error, describe, has_reason};

/// Largest PEM, DER or PKCS#12 input the loaders read (1 MiB): certificate bundles of a few
/// hundred certificates fit; anything bigger is refused before parsing.
pub const MAX_KEY_FILE_BYTES: usize = 1024 * 1024;

fn check_size(bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() > MAX_KEY_FILE_BYTES {
        return Err(Error::TooLarge {
            len: bytes.len(),
            limit: MAX_KEY_FILE_BYTES,
        });
    }
    Ok(())
}

/// An X.509 certificate.
#[derive(Clone)]
pub struct Certificate(X509);

impl Certificate {
    /// Reads one DER-encoded certificate.
    ///
    /// # Errors
    /// [`Error::Load`] when the bytes are not a certificate; [`Error::TooLarge`] over
    /// [`MAX_KEY_FILE_BYTES`].
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        check_size(der)?;
        X509::from_der(der)
            .map(Certificate)
            .map_err(|e| Error::Load {
                what: "certificate",
                message: describe(&e),
            })
    }

    /// Reads the first certificate of a PEM file (`-----BEGIN CERTIFICATE-----`).
    ///
    /// # Errors
    /// [`Error::Load`] when there is no certificate block.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        Self::chain_from_pem(pem)?
            .into_iter()
            .next()
            .ok_or(Error::Load {
                what: "certificate",
                message: "no certificate in pem input".to_owned(),
            })
    }

    /// Reads every certificate of a PEM file, in file order (a leaf followed by its chain,
    /// or a bundle of anchors). At least one is required.
    ///
    /// # Errors
    /// [`Error::Load`] when a block is malformed or there is none.
    pub fn chain_from_pem(pem: &[u8]) -> Result<Vec<Self>, Error> {
        check_size(pem)?;
        let certs = X509::stack_from_pem(pem).map_err(|e| Error::Load {
            what: "certificate",
            message: describe(&e),
        })?;
        if certs.is_empty() {
            return Err(Error::Load {
                what: "certificate",
                message: "no certificate in pem input".to_owned(),
            });
        }
        Ok(certs.into_iter().map(Certificate).collect())
    }

    /// Reads a certificate in either PEM or DER form (PEM if the text has a `-----BEGIN`).
    ///
    /// # Errors
    /// As [`Certificate::from_pem`] and [`Certificate::from_der`].
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, Error> {
        if looks_like_pem(bytes) {
            Self::from_pem(bytes)
        } else {
            Self::from_der(bytes)
        }
    }

    /// The DER encoding.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot encode (allocation failure).
    pub fn to_der(&self) -> Result<Vec<u8>, Error> {
        self.0.to_der().map_err(crate::error::crypto)
    }

    /// The PEM encoding.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot encode (allocation failure).
    pub fn to_pem(&self) -> Result<Vec<u8>, Error> {
        self.0.to_pem().map_err(crate::error::crypto)
    }

    /// The subject name as one line, RFC 4514 order reversed as OpenSSL prints it
    /// (`C=US, O=Apple Inc., CN=...`).
    pub fn subject(&self) -> String {
        name_line(self.0.subject_name())
    }

    /// The issuer name as one line.
    pub fn issuer(&self) -> String {
        name_line(self.0.issuer_name())
    }

    /// The subject's common name, when it has one.
    pub fn common_name(&self) -> Option<String> {
        self.0
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .next()
            .and_then(|e| e.data().to_string().ok())
    }

    /// The serial number in upper-case hexadecimal.
    pub fn serial_hex(&self) -> String {
        self.0
            .serial_number()
            .to_bn()
            .and_then(|bn| bn.to_hex_str().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    /// Start of the validity period (`None` only if the time field cannot be read).
    pub fn not_before(&self) -> Option<DateTime<Utc>> {
        asn1_to_chrono(self.0.not_before())
    }

    /// End of the validity period (`None` only if the time field cannot be read).
    pub fn not_after(&self) -> Option<DateTime<Utc>> {
        asn1_to_chrono(self.0.not_after())
    }

    /// SHA-256 over the DER encoding, as lower-case hex (the usual certificate fingerprint).
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot hash (no SHA-256 available).
    pub fn sha256_fingerprint(&self) -> Result<String, Error> {
        let digest = self
            .0
            .digest(MessageDigest::sha256())
            .map_err(crate::error::crypto)?;
        Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Whether subject and issuer are the same name (a root or a self-signed device
    /// certificate).
    pub fn is_self_issued(&self) -> bool {
        matches!(
            self.0.subject_name().try_cmp(self.0.issuer_name()),
            Ok(std::cmp::Ordering::Equal)
        )
    }

    /// The OpenSSL certificate, for code that needs the primitive.
    pub fn as_openssl(&self) -> &X509Ref {
        &self.0
    }

    /// The owned OpenSSL certificate.
    pub fn into_openssl(self) -> X509 {
        self.0
    }
}

impl From<X509> for Certificate {
    fn from(x: X509) -> Self {
        Certificate(x)
    }
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("issuer", &self.issuer())
            .field("serial", &self.serial_hex())
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        match (self.0.to_der(), other.0.to_der()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Certificate {}

/// The algorithm family and size of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// RSA with this modulus size in bits.
    Rsa {
        /// Modulus size in bits.
        bits: u32,
    },
    /// ECDSA on NIST P-256 (secp256r1).
    EcP256,
    /// ECDSA on NIST P-384.
    EcP384,
    /// Anything else, by OpenSSL's name.
    Other(String),
}

/// A private key: RSA or elliptic curve.
#[derive(Clone)]
pub struct PrivateKey(PKey<Private>);

impl PrivateKey {
    /// Reads an unencrypted PEM private key in any of the usual forms: PKCS#8
    /// (`BEGIN PRIVATE KEY`), PKCS#1 (`BEGIN RSA PRIVATE KEY`) or SEC1
    /// (`BEGIN EC PRIVATE KEY`).
    ///
    /// # Errors
    /// [`Error::Load`] when no key can be read (an encrypted key needs
    /// [`PrivateKey::from_pem_with_passphrase`]).
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        check_size(pem)?;
        // An empty passphrase makes OpenSSL fail on encrypted keys instead of prompting on
        // the terminal (and opens keys encrypted with an empty one).
        PKey::private_key_from_pem_passphrase(pem, b"")
            .map(PrivateKey)
            .map_err(|e| {
                let message = if contains(pem, b"ENCRYPTED") {
                    "the key is encrypted; use PrivateKey::from_pem_with_passphrase or \
                     decrypt it first (openssl pkey -in key.pem)"
                } else if !contains(pem, b"PRIVATE KEY-----") {
                    "no PEM private key found (expected BEGIN PRIVATE KEY, \
                     BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)"
                } else {
                    return load_key_err(e);
                };
                Error::Load {
                    what: "private key",
                    message: message.to_owned(),
                }
            })
    }

    /// Reads a PEM private key encrypted with a passphrase (`BEGIN ENCRYPTED PRIVATE KEY`,
    /// or a legacy `Proc-Type: 4,ENCRYPTED` block). Unencrypted keys load too.
    ///
    /// # Errors
    /// [`Error::Load`] when the key cannot be read or the passphrase is wrong.
    pub fn from_pem_with_passphrase(pem: &[u8], passphrase: &[u8]) -> Result<Self, Error> {
        check_size(pem)?;
        PKey::private_key_from_pem_passphrase(pem, passphrase)
            .map(PrivateKey)
            .map_err(load_key_err)
    }

    /// Reads a DER private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
    ///
    /// # Errors
    /// [`Error::Load`] when the bytes are no key.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        check_size(der)?;
        PKey::private_key_from_der(der)
            .map(PrivateKey)
            .map_err(load_key_err)
    }

    /// Reads a key in either PEM or DER form.
    ///
    /// # Errors
    /// As [`PrivateKey::from_pem`] and [`PrivateKey::from_der`].
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, Error> {
        if looks_like_pem(bytes) {
            Self::from_pem(bytes)
        } else {
            Self::from_der(bytes)
        }
    }

    /// A fresh RSA key of `bits` bits (2048 or more is sensible).
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL refuses the size.
    pub fn generate_rsa(bits: u32) -> Result<Self, Error> {
        let rsa = openssl::rsa::Rsa::generate(bits).map_err(crate::error::crypto)?;
        PKey::from_rsa(rsa)
            .map(PrivateKey)
            .map_err(crate::error::crypto)
    }

    /// A fresh ECDSA P-256 key.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL has no P-256.
    pub fn generate_p256() -> Result<Self, Error> {
        let group = openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)
            .map_err(crate::error::crypto)?;
        let ec = openssl::ec::EcKey::generate(&group).map_err(crate::error::crypto)?;
        PKey::from_ec_key(ec)
            .map(PrivateKey)
            .map_err(crate::error::crypto)
    }

    /// The key's algorithm and size.
    pub fn kind(&self) -> KeyKind {
        match self.0.id() {
            Id::RSA => KeyKind::Rsa {
                bits: self.0.bits(),
            },
            Id::EC => {
                let curve = self.0.ec_key().ok().and_then(|k| k.group().curve_name());
                match curve {
                    Some(Nid::X9_62_PRIME256V1) => KeyKind::EcP256,
                    Some(Nid::SECP384R1) => KeyKind::EcP384,
                    Some(nid) => KeyKind::Other(format!(
                        "ec {}",
                        nid.short_name().unwrap_or("unknown curve")
                    )),
                    None => KeyKind::Other("ec (explicit curve)".to_owned()),
                }
            }
            other => KeyKind::Other(format!("{other:?}")),
        }
    }

    /// PKCS#8 PEM (`BEGIN PRIVATE KEY`), unencrypted.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot encode.
    pub fn to_pkcs8_pem(&self) -> Result<Vec<u8>, Error> {
        self.0
            .private_key_to_pem_pkcs8()
            .map_err(crate::error::crypto)
    }

    /// PKCS#8 DER, unencrypted.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot encode.
    pub fn to_pkcs8_der(&self) -> Result<Vec<u8>, Error> {
        self.0.private_key_to_pkcs8().map_err(crate::error::crypto)
    }

    /// Whether this key is the private half of the certificate's public key.
    pub fn matches(&self, cert: &Certificate) -> bool {
        cert.0
            .public_key()
            .map(|pubkey| pubkey.public_eq(&self.0))
            .unwrap_or(false)
    }

    /// The OpenSSL key, for code that needs the primitive.
    pub fn as_openssl(&self) -> &PKey<Private> {
        &self.0
    }
}

impl From<PKey<Private>> for PrivateKey {
    fn from(k: PKey<Private>) -> Self {
        PrivateKey(k)
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_tuple("PrivateKey").field(&self.kind()).finish()
    }
}

/// A certificate, its private key, and the intermediate certificates that lead from it to
/// a root: what signs profiles and decrypts encrypted payloads.
#[derive(Clone, Debug)]
pub struct Identity {
    certificate: Certificate,
    key: PrivateKey,
    chain: Vec<Certificate>,
}

impl Identity {
    /// Puts a certificate, its key and its chain (intermediates, leaf first order not
    /// required; roots may be left out) together.
    ///
    /// # Errors
    /// [`Error::KeyMismatch`] when the key is not the certificate's;
    /// [`Error::UnsupportedKey`] for keys other than RSA and EC.
    pub fn new(
        certificate: Certificate,
        key: PrivateKey,
        chain: Vec<Certificate>,
    ) -> Result<Self, Error> {
        if let KeyKind::Other(name) = key.kind()
            && !name.starts_with("ec ")
        {
            return Err(Error::UnsupportedKey(name));
        }
        if !key.matches(&certificate) {
            return Err(Error::KeyMismatch);
        }
        Ok(Identity {
            certificate,
            key,
            chain,
        })
    }

    /// Loads an identity from PEM: `cert_pem` holds the signer certificate first and, after
    /// it, any chain certificates; `key_pem` an unencrypted PKCS#8, PKCS#1 or SEC1 key.
    ///
    /// # Errors
    /// As [`Certificate::chain_from_pem`], [`PrivateKey::from_pem`] and [`Identity::new`].
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let mut certs = Certificate::chain_from_pem(cert_pem)?.into_iter();
        let leaf = certs.next().ok_or(Error::Load {
            what: "certificate",
            message: "no certificate in pem input".to_owned(),
        })?;
        let key = PrivateKey::from_pem(key_pem)?;
        Identity::new(leaf, key, certs.collect())
    }

    /// Loads an identity from a PKCS#12 (`.p12`, `.pfx`) file.
    ///
    /// Files written with modern algorithms (AES, PBKDF2) load directly. Older files
    /// (RC2-40 for the certificates, as macOS Keychain Access and OpenSSL 1.x wrote them)
    /// need OpenSSL's legacy provider; it is loaded once, on first need, and kept loaded
    /// for the life of the process.
    ///
    /// ```
    /// use mdm_signing::{Error, Identity, PrivateKey};
    ///
    /// let made = Identity::self_signed("Example", PrivateKey::generate_p256()?, 30)?;
    /// let p12 = made.to_pkcs12("secret", "example")?;
    /// let loaded = Identity::from_pkcs12(&p12, "secret")?;
    /// assert_eq!(loaded.certificate(), made.certificate());
    /// assert_eq!(Identity::from_pkcs12(&p12, "wrong").unwrap_err(), Error::Pkcs12Password);
    ///
    /// // PEM: certificate (and chain) in one input, key in the other.
    /// let pem = Identity::from_pem(&made.certificate().to_pem()?, &made.key().to_pkcs8_pem()?)?;
    /// assert_eq!(pem.certificate(), made.certificate());
    /// # Ok::<(), mdm_signing::Error>(())
    /// ```
    ///
    /// `crates/mdm-apns/tests/identity.rs` loads a legacy RC2 `.p12` made by
    /// `openssl pkcs12 -legacy`.
    ///
    /// # Errors
    /// [`Error::Pkcs12Password`] for a wrong password, [`Error::LegacyPkcs12`] when the
    /// file needs the legacy provider and it is not installed,
    /// [`Error::Pkcs12Incomplete`] without key or certificate, [`Error::Load`] otherwise.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, Error> {
        check_size(der)?;
        let p12 = Pkcs12::from_der(der).map_err(|e| Error::Load {
            what: "pkcs12",
            message: describe(&e),
        })?;
        let parsed = match p12.parse2(password) {
            Ok(p) => p,
            Err(e) if has_reason(&e, "mac verify failure") => return Err(Error::Pkcs12Password),
            Err(e) if has_reason(&e, "unsupported") => {
                if !legacy_provider_loaded() {
                    return Err(Error::LegacyPkcs12);
                }
                p12.parse2(password).map_err(|e| {
                    if has_reason(&e, "mac verify failure") {
                        Error::Pkcs12Password
                    } else {
                        Error::Load {
                            what: "pkcs12",
                            message: describe(&e),
                        }
                    }
                })?
            }
            Err(e) => {
                return Err(Error::Load {
                    what: "pkcs12",
                    message: describe(&e),
                });
            }
        };
        let key = parsed.pkey.ok_or(Error::Pkcs12Incomplete("private key"))?;
        let cert = parsed.cert.ok_or(Error::Pkcs12Incomplete("certificate"))?;
        let chain = parsed
            .ca
            .map(|s| s.into_iter().map(Certificate).collect())
            .unwrap_or_default();
        Identity::new(Certificate(cert), PrivateKey(key), chain)
    }

    /// Writes the identity as a PKCS#12 file with modern algorithms (AES-256, PBKDF2,
    /// SHA-256 MAC), which OpenSSL 3 and current Apple systems read.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot build the file.
    pub fn to_pkcs12(&self, password: &str, friendly_name: &str) -> Result<Vec<u8>, Error> {
        let mut builder = Pkcs12::builder();
        builder
            .name(friendly_name)
            .pkey(self.key.as_openssl())
            .cert(&self.certificate.0);
        if !self.chain.is_empty() {
            let mut stack = openssl::stack::Stack::new().map_err(crate::error::crypto)?;
            for c in &self.chain {
                stack.push(c.0.clone()).map_err(crate::error::crypto)?;
            }
            builder.ca(stack);
        }
        builder
            .build2(password)
            .and_then(|p| p.to_der())
            .map_err(crate::error::crypto)
    }

    /// A self-signed identity for `common_name`, valid from one hour ago for `days` days,
    /// with a random serial, SHA-256 signature, key usage `digitalSignature` and
    /// `keyEncipherment`, and extended key usage `emailProtection` (S/MIME), so that its
    /// signatures pass the purpose check. For tests, examples and first-run setups.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot build the certificate.
    pub fn self_signed(common_name: &str, key: PrivateKey, days: u32) -> Result<Self, Error> {
        use openssl::asn1::Asn1Time;
        use openssl::bn::{BigNum, MsbOption};
        use openssl::x509::X509NameBuilder;
        use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

        let c = crate::error::crypto;
        let mut name = X509NameBuilder::new().map_err(c)?;
        name.append_entry_by_nid(Nid::COMMONNAME, common_name)
            .map_err(c)?;
        let name = name.build();
        let mut serial = BigNum::new().map_err(c)?;
        serial.rand(127, MsbOption::MAYBE_ZERO, false).map_err(c)?;
        let serial = serial.to_asn1_integer().map_err(c)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let start = i64::try_from(now.saturating_sub(3600)).unwrap_or(0);
        let not_before = Asn1Time::from_unix(start).map_err(c)?;
        let not_after = Asn1Time::days_from_now(days).map_err(c)?;
        let mut b = X509::builder().map_err(c)?;
        b.set_version(2).map_err(c)?;
        b.set_serial_number(&serial).map_err(c)?;
        b.set_subject_name(&name).map_err(c)?;
        b.set_issuer_name(&name).map_err(c)?;
        b.set_pubkey(key.as_openssl()).map_err(c)?;
        b.set_not_before(&not_before).map_err(c)?;
        b.set_not_after(&not_after).map_err(c)?;
        b.append_extension(BasicConstraints::new().critical().ca().build().map_err(c)?)
            .map_err(c)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .key_encipherment()
                .key_cert_sign()
                .build()
                .map_err(c)?,
        )
        .map_err(c)?;
        b.append_extension(
            ExtendedKeyUsage::new()
                .email_protection()
                .build()
                .map_err(c)?,
        )
        .map_err(c)?;
        b.sign(key.as_openssl(), MessageDigest::sha256())
            .map_err(c)?;
        Identity::new(Certificate(b.build()), key, Vec::new())
    }

    /// The identity's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The identity's private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The chain certificates that travel with the signer certificate.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }
}

/// Loads OpenSSL's legacy provider into the default library context once, keeping the
/// default provider available; says whether it is loaded.
fn legacy_provider_loaded() -> bool {
    static LEGACY: OnceLock<Option<Provider>> = OnceLock::new();
    LEGACY
        .get_or_init(|| Provider::try_load(None, "legacy", true).ok())
        .is_some()
}

fn load_key_err(e: openssl::error::ErrorStack) -> Error {
    Error::Load {
        what: "private key",
        message: describe(&e),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(10).any(|w| w == b"-----BEGIN")
}

fn name_line(name: &X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?").to_owned();
            let value = e.data().to_string().unwrap_or_else(|_| "?".to_owned());
            format!("{key}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn asn1_to_chrono(t: &Asn1TimeRef) -> Option<DateTime<Utc>> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(t).ok()?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    DateTime::from_timestamp(secs, 0)
}
