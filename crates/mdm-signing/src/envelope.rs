//! Profile encryption: `EncryptedPayloadContent`, a CMS EnvelopedData (RFC 5652, section 6)
//! of the profile's `PayloadContent` array serialized as an XML plist.
//!
//! Apple's devices decrypt it with the identity the profile was encrypted to (usually the
//! device identity from enrollment). See
//! <https://developer.apple.com/documentation/devicemanagement/toplevel>.

use std::sync::OnceLock;

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::provider::Provider;
use openssl::stack::Stack;
use openssl::symm::Cipher;

use mdm_plist::{Dictionary, Limits, Value};

use crate::error::{Error, crypto, describe};
use crate::keys::{Certificate, Identity};
use crate::signed::MAX_SIGNED_BYTES;

/// Key of the plain payload array in a profile.
pub const PAYLOAD_CONTENT: &str = "PayloadContent";
/// Key of the encrypted payload array in a profile.
pub const ENCRYPTED_PAYLOAD_CONTENT: &str = "EncryptedPayloadContent";

/// The content-encryption algorithm of a CMS EnvelopedData: one type for encrypted
/// profiles, SCEP envelopes and DEP server tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum ContentCipher {
    /// Single DES in CBC mode (56-bit key): SCEP's historic default, broken. Only for peers
    /// that offer nothing else, and only where the caller's policy allows it (OpenSSL 3
    /// needs its legacy provider for it).
    DesCbc,
    /// Triple DES (EDE3) in CBC mode, for very old peers only (`DES3` in SCEP's GetCACaps).
    DesEde3Cbc,
    /// AES-128 in CBC mode.
    Aes128Cbc,
    /// AES-256 in CBC mode (the default).
    #[default]
    Aes256Cbc,
}

impl ContentCipher {
    /// Every cipher, weakest first.
    pub const ALL: [ContentCipher; 4] = [
        ContentCipher::DesCbc,
        ContentCipher::DesEde3Cbc,
        ContentCipher::Aes128Cbc,
        ContentCipher::Aes256Cbc,
    ];

    /// A short name (`des-cbc`, `des-ede3-cbc`, `aes-128-cbc`, `aes-256-cbc`), as the
    /// `openssl` command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            ContentCipher::DesCbc => "des-cbc",
            ContentCipher::DesEde3Cbc => "des-ede3-cbc",
            ContentCipher::Aes128Cbc => "aes-128-cbc",
            ContentCipher::Aes256Cbc => "aes-256-cbc",
        }
    }

    /// The cipher whose algorithm identifier has these OID content bytes (the DER value
    /// of the OBJECT IDENTIFIER, without tag and length), if it is one of these.
    pub fn from_oid(oid: &[u8]) -> Option<Self> {
        Some(match oid {
            OID_DES_CBC => ContentCipher::DesCbc,
            OID_DES_EDE3_CBC => ContentCipher::DesEde3Cbc,
            OID_AES128_CBC => ContentCipher::Aes128Cbc,
            OID_AES256_CBC => ContentCipher::Aes256Cbc,
            _ => return None,
        })
    }

    /// The OpenSSL cipher.
    pub fn to_openssl(self) -> Cipher {
        match self {
            ContentCipher::DesCbc => Cipher::des_cbc(),
            ContentCipher::DesEde3Cbc => Cipher::des_ede3_cbc(),
            ContentCipher::Aes128Cbc => Cipher::aes_128_cbc(),
            ContentCipher::Aes256Cbc => Cipher::aes_256_cbc(),
        }
    }
}

/// 1.2.840.113549.1.7.3
const OID_ENVELOPED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03];
/// 1.2.840.113549.1.7.2
const OID_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
/// 1.3.14.3.2.7
const OID_DES_CBC: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x07];
/// 1.2.840.113549.3.7
const OID_DES_EDE3_CBC: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07];
/// 2.16.840.1.101.3.4.1.2
const OID_AES128_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02];
/// 2.16.840.1.101.3.4.1.42
const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];

impl std::fmt::Display for ContentCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Encrypts `content` to `recipient` as a DER CMS EnvelopedData (key transport for RSA
/// recipients, key agreement for EC recipients).
///
/// # Errors
/// [`Error::Crypto`] when OpenSSL cannot encrypt to that certificate's key.
pub fn encrypt(
    content: &[u8],
    recipient: &Certificate,
    cipher: ContentCipher,
) -> Result<Vec<u8>, Error> {
    let mut certs = Stack::new().map_err(crypto)?;
    certs
        .push(recipient.as_openssl().to_owned())
        .map_err(crypto)?;
    let cms = CmsContentInfo::encrypt(&certs, content, cipher.to_openssl(), CMSOptions::BINARY)
        .map_err(crypto)?;
    cms.to_der().map_err(crypto)
}

/// What an EnvelopedData says about itself before decryption: its recipients and its
/// content cipher. Read by this crate's own DER reader, so it works on any input without
/// OpenSSL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnvelopeInfo {
    /// The content cipher, when it is one of [`ContentCipher`].
    pub cipher: Option<ContentCipher>,
    /// The cipher OID in dotted form (also for unknown ones).
    pub cipher_oid: String,
    /// Each key-transport recipient named by issuer and serial number, as (issuer name DER,
    /// serial number octets without leading zeros).
    pub recipients: Vec<(Vec<u8>, Vec<u8>)>,
}

impl EnvelopeInfo {
    /// Says whether `cert` is one of the issuer-and-serial recipients. Envelopes that name
    /// their recipients otherwise (subject key identifier, key agreement) answer `true`:
    /// only decryption can tell.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot encode the certificate's issuer.
    pub fn is_addressed_to(&self, cert: &Certificate) -> Result<bool, Error> {
        if self.recipients.is_empty() {
            return Ok(true);
        }
        let (issuer, serial) = issuer_serial(cert)?;
        Ok(self
            .recipients
            .iter()
            .any(|(i, s)| *i == issuer && *s == serial))
    }
}

/// Reads the recipients and the content cipher of a DER EnvelopedData `ContentInfo`.
///
/// # Errors
/// [`Error::TooLarge`] over [`MAX_SIGNED_BYTES`]; [`Error::WrongContentType`] for another
/// CMS type (a signed profile, say); [`Error::Malformed`] when it is not DER CMS.
pub fn inspect_envelope(der: &[u8]) -> Result<EnvelopeInfo, Error> {
    use crate::der::{CTX0, INTEGER, OID, SEQUENCE, SET, Tlv, oid_text};
    const W: &str = "envelopedData";
    if der.len() > MAX_SIGNED_BYTES {
        return Err(Error::TooLarge {
            len: der.len(),
            limit: MAX_SIGNED_BYTES,
        });
    }
    let ci = Tlv::parse_all(der, W)?.expect(SEQUENCE, W)?;
    let mut r = ci.reader();
    let ct = r.next(OID, W)?;
    if ct.value != OID_ENVELOPED_DATA {
        return Err(Error::WrongContentType {
            expected: "envelopedData",
            found: if ct.value == OID_SIGNED_DATA {
                "signedData".to_owned()
            } else {
                oid_text(ct.value)
            },
        });
    }
    let explicit = r.next(CTX0, W)?;
    let ed = explicit.reader().next(SEQUENCE, W)?;
    let mut r = ed.reader();
    r.next(INTEGER, W)?;
    r.optional(CTX0, W)?; // originatorInfo
    let recips = r.next(SET, W)?;
    let mut recipients = Vec::new();
    for ri in recips.children(W)? {
        if ri.tag != SEQUENCE {
            continue; // key agreement and other recipient kinds
        }
        let mut rr = ri.reader();
        rr.next(INTEGER, W)?;
        if let Some(ias) = rr.optional(SEQUENCE, W)? {
            let mut ir = ias.reader();
            let issuer = ir.next(SEQUENCE, W)?;
            let serial = ir.next(INTEGER, W)?;
            recipients.push((issuer.raw.to_vec(), strip_int(serial.value).to_vec()));
        }
    }
    let eci = r.next(SEQUENCE, W)?;
    let mut er = eci.reader();
    er.next(OID, W)?;
    let alg = er.next(SEQUENCE, W)?;
    let alg_oid = alg.reader().next(OID, W)?;
    Ok(EnvelopeInfo {
        cipher: ContentCipher::from_oid(alg_oid.value),
        cipher_oid: oid_text(alg_oid.value),
        recipients,
    })
}

/// The issuer name DER and serial-number octets (no leading zero) of a certificate.
fn issuer_serial(cert: &Certificate) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let x = cert.as_openssl();
    let issuer = x.issuer_name().to_der().map_err(crypto)?;
    let serial = x.serial_number().to_bn().map_err(crypto)?.to_vec();
    Ok((issuer, serial))
}

/// INTEGER octets without leading zero octets (as OpenSSL's `BN_bn2bin` writes them).
fn strip_int(v: &[u8]) -> &[u8] {
    let skip = v.iter().take_while(|&&b| b == 0).count();
    v.get(skip..).unwrap_or_default()
}

/// Loads OpenSSL's legacy provider (single DES lives there in OpenSSL 3) once, keeping the
/// default provider; a missing legacy provider shows up later as a decrypt error.
pub(crate) fn load_legacy_provider() {
    static LEGACY: OnceLock<Option<Provider>> = OnceLock::new();
    LEGACY.get_or_init(|| Provider::try_load(None, "legacy", true).ok());
}

/// Decrypts a CMS EnvelopedData (DER) with `identity`.
///
/// The envelope is read first ([`inspect_envelope`]), so the usual mistakes get their own
/// errors before OpenSSL runs: bytes that are a signed profile rather than an envelope,
/// an envelope addressed to another certificate, a cipher outside [`ContentCipher`].
///
/// ```
/// use mdm_signing::{ContentCipher, Identity, PrivateKey, decrypt, encrypt};
///
/// let device = Identity::self_signed("device", PrivateKey::generate_rsa(2048)?, 30)?;
/// let other = Identity::self_signed("other", PrivateKey::generate_rsa(2048)?, 30)?;
/// let sealed = encrypt(b"secret", device.certificate(), ContentCipher::Aes256Cbc)?;
/// assert_eq!(decrypt(&sealed, &device)?, b"secret");
///
/// let err = decrypt(&sealed, &other).unwrap_err();
/// assert!(err.to_string().contains("not a recipient"), "{err}");
/// # Ok::<(), mdm_signing::Error>(())
/// ```
///
/// # Errors
/// [`Error::TooLarge`]; [`Error::WrongContentType`] and [`Error::Malformed`] as
/// [`inspect_envelope`]; [`Error::NotRecipient`] when the identity's certificate is not
/// among the recipients; [`Error::Decrypt`] when the key does not open it or the
/// ciphertext is damaged.
pub fn decrypt(enveloped: &[u8], identity: &Identity) -> Result<Vec<u8>, Error> {
    let info = inspect_envelope(enveloped)?;
    let Some(cipher) = info.cipher else {
        return Err(Error::Decrypt(format!(
            "unsupported content cipher {}",
            info.cipher_oid
        )));
    };
    if !info.is_addressed_to(identity.certificate())? {
        return Err(Error::NotRecipient {
            certificate: identity.certificate().subject(),
            recipients: info.recipients.len(),
        });
    }
    if cipher == ContentCipher::DesCbc {
        load_legacy_provider();
    }
    let cms = CmsContentInfo::from_der(enveloped).map_err(|e| Error::Malformed(describe(&e)))?;
    cms.decrypt(
        identity.key().as_openssl(),
        &identity.certificate().as_openssl().to_owned(),
    )
    .map_err(|e| {
        let why = describe(&e);
        if why == crate::error::UNKNOWN_OPENSSL_ERROR {
            Error::Decrypt(format!(
                "the private key does not open the {cipher} content key (wrong key or damaged envelope)"
            ))
        } else {
            Error::Decrypt(why)
        }
    })
}

/// Replaces a profile's `PayloadContent` array with `EncryptedPayloadContent` encrypted to
/// `recipient` (AES-256-CBC) and returns the new profile as an XML plist. The other
/// top-level keys are kept as they were.
///
/// ```
/// use mdm_signing::{Identity, PrivateKey, decrypt_payloads, encrypt_payloads};
///
/// let device = Identity::self_signed("device", PrivateKey::generate_rsa(2048)?, 30)?;
/// let profile = br#"<?xml version="1.0" encoding="UTF-8"?>
/// <plist version="1.0"><dict>
///   <key>PayloadIdentifier</key><string>com.example.secret</string>
///   <key>PayloadContent</key><array><dict><key>Password</key><string>hunter2</string></dict></array>
/// </dict></plist>"#;
///
/// let sealed = encrypt_payloads(profile, device.certificate())?;
/// assert!(!String::from_utf8_lossy(&sealed).contains("hunter2"));
/// let opened = decrypt_payloads(&sealed, &device)?;
/// assert!(String::from_utf8_lossy(&opened).contains("hunter2"));
/// # Ok::<(), mdm_signing::Error>(())
/// ```
///
/// # Errors
/// [`Error::Profile`] when the input is not a profile plist with a `PayloadContent` array
/// (a signed profile is named as such), and as [`encrypt`].
pub fn encrypt_payloads(profile: &[u8], recipient: &Certificate) -> Result<Vec<u8>, Error> {
    encrypt_payloads_with(profile, recipient, ContentCipher::default())
}

/// As [`encrypt_payloads`] with a chosen cipher.
///
/// # Errors
/// As [`encrypt_payloads`].
pub fn encrypt_payloads_with(
    profile: &[u8],
    recipient: &Certificate,
    cipher: ContentCipher,
) -> Result<Vec<u8>, Error> {
    let mut dict = profile_dict(profile)?;
    let payloads = dict
        .remove(PAYLOAD_CONTENT)
        .ok_or_else(|| Error::Profile("no PayloadContent to encrypt".to_owned()))?;
    if !matches!(payloads, Value::Array(_)) {
        return Err(Error::Profile("PayloadContent is not an array".to_owned()));
    }
    if dict.contains_key(ENCRYPTED_PAYLOAD_CONTENT) {
        return Err(Error::Profile(
            "profile already has EncryptedPayloadContent".to_owned(),
        ));
    }
    let plain = mdm_plist::to_xml_bytes(&payloads).map_err(|e| Error::Profile(e.to_string()))?;
    let enveloped = encrypt(&plain, recipient, cipher)?;
    dict.insert(ENCRYPTED_PAYLOAD_CONTENT.to_owned(), Value::Data(enveloped));
    mdm_plist::to_xml_bytes(&Value::Dictionary(dict)).map_err(|e| Error::Profile(e.to_string()))
}

/// Opens a profile's `EncryptedPayloadContent` with `identity`, puts the decrypted array
/// back as `PayloadContent` and returns the profile as an XML plist.
///
/// # Errors
/// [`Error::Profile`] when the input or the decrypted content is not the expected plist,
/// and as [`decrypt`].
pub fn decrypt_payloads(profile: &[u8], identity: &Identity) -> Result<Vec<u8>, Error> {
    let mut dict = profile_dict(profile)?;
    let Some(Value::Data(enveloped)) = dict.remove(ENCRYPTED_PAYLOAD_CONTENT) else {
        return Err(Error::Profile(
            "no EncryptedPayloadContent data to decrypt".to_owned(),
        ));
    };
    let plain = decrypt(&enveloped, identity)?;
    let payloads = mdm_plist::value_from_xml_bytes(&plain, &Limits::default())
        .map_err(|e| Error::Profile(format!("decrypted content: {e}")))?;
    if !matches!(payloads, Value::Array(_)) {
        return Err(Error::Profile(
            "decrypted content is not an array of payloads".to_owned(),
        ));
    }
    dict.insert(PAYLOAD_CONTENT.to_owned(), payloads);
    mdm_plist::to_xml_bytes(&Value::Dictionary(dict)).map_err(|e| Error::Profile(e.to_string()))
}

fn profile_dict(profile: &[u8]) -> Result<Dictionary, Error> {
    let first = profile.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&crate::der::SEQUENCE) {
        return Err(Error::Profile(
            "the profile is signed (CMS), not a plist; verify it and take its content first \
             (mdm_signing::verify), then sign again after this step"
                .to_owned(),
        ));
    }
    match mdm_plist::value_from_xml_bytes(profile, &Limits::default()) {
        Ok(Value::Dictionary(d)) => Ok(d),
        Ok(_) => Err(Error::Profile("top level is not a dictionary".to_owned())),
        Err(e) => Err(Error::Profile(e.to_string())),
    }
}
