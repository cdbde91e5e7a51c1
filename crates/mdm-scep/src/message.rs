//! The PKIMessage (RFC 8894, section 3.2): a CMS SignedData whose signed attributes carry
//! the SCEP fields and whose content is the encrypted `pkcsPKIEnvelope`.
//!
//! ```text
//! pkiMessage ::= ContentInfo { signedData {
//!     encapContentInfo  id-data [ pkcsPKIEnvelope ]   -- absent in CertRep FAILURE / PENDING
//!     certificates      signer certificate (self-signed for a first request)
//!     signerInfo        signedAttrs { contentType, messageDigest, messageType,
//!                                     transactionID, senderNonce, recipientNonce?,
//!                                     pkiStatus?, failInfo?, failInfoText? } } }
//! ```

use openssl::sign::{Signer, Verifier};

use mdm_signing::{Certificate, Identity};

use crate::asn1::{self, Tlv, oids};
use crate::envelope::{self, ContentCipher, Digest, issuer_serial, strip_int};
use crate::error::{Error, crypto};

/// Largest PKIMessage read (4 MiB).
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// Most certificates read from one SignedData (a PKIMessage or a degenerate chain).
pub const MAX_CERTIFICATES: usize = 64;

macro_rules! open_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vm])* $var,)*
            /// A value this crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The value as it travels in the attribute (a decimal string).
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$var => $text,)*
                    $name::Other(s) => s,
                }
            }

            /// Reads the attribute text; unknown values become `Other`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($text => $name::$var,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $($name::$var => write!(f, "{} ({})", stringify!($var), $text),)*
                    $name::Other(s) => write!(f, "unknown ({s})"),
                }
            }
        }
    };
}

open_enum! {
    /// The `messageType` attribute (RFC 8894, section 3.2.1.2).
    MessageType {
        /// Response to any request (3).
        CertRep = "3",
        /// Renewal of an existing certificate, signed with it (17).
        RenewalReq = "17",
        /// First enrollment (19).
        PkcsReq = "19",
        /// Poll for a pending request, also called GetCertInitial (20).
        CertPoll = "20",
        /// Fetch a certificate by issuer and serial (21).
        GetCert = "21",
        /// Fetch the CRL of a certificate's issuer (22).
        GetCrl = "22",
    }
}

open_enum! {
    /// The `pkiStatus` attribute of a CertRep.
    PkiStatus {
        /// The request was granted (0).
        Success = "0",
        /// The request was rejected; see `failInfo` (2).
        Failure = "2",
        /// The request waits for manual approval (3).
        Pending = "3",
    }
}

open_enum! {
    /// The `failInfo` attribute of a FAILURE CertRep.
    FailInfo {
        /// Unrecognized or unsupported algorithm (0).
        BadAlg = "0",
        /// Integrity check (signature, challenge) failed (1).
        BadMessageCheck = "1",
        /// Transaction not permitted or supported (2).
        BadRequest = "2",
        /// The signingTime attribute was not close enough to the server's time (3).
        BadTime = "3",
        /// No certificate matches the criteria (4).
        BadCertId = "4",
    }
}

/// A senderNonce or recipientNonce: 16 random octets when we make one; any length from 1
/// to 64 octets is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nonce(Vec<u8>);

impl Nonce {
    /// 16 fresh random octets from OpenSSL's generator.
    ///
    /// # Errors
    /// [`Error::Crypto`] when the generator fails.
    pub fn random() -> Result<Self, Error> {
        let mut b = vec![0u8; 16];
        openssl::rand::rand_bytes(&mut b).map_err(crypto)?;
        Ok(Nonce(b))
    }

    /// A nonce from given octets (1 to 64).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty or longer value.
    pub fn from_bytes(b: &[u8]) -> Result<Self, Error> {
        if b.is_empty() || b.len() > 64 {
            return Err(Error::Invalid {
                what: "nonce",
                message: format!("{} octets (1 to 64 allowed)", b.len()),
            });
        }
        Ok(Nonce(b.to_vec()))
    }

    /// The octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// A transactionID: printable text, the same in every message of one enrollment. We make it
/// the hex SHA-256 of the requester's public key, so polling after a restart finds it again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(String);

impl TransactionId {
    /// A transaction id from text (1 to 128 characters of the PrintableString set).
    ///
    /// # Errors
    /// [`Error::Invalid`] for other text.
    pub fn new(s: &str) -> Result<Self, Error> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
        if !ok {
            return Err(Error::Invalid {
                what: "transaction id",
                message: "1 to 128 printable-string characters expected".to_owned(),
            });
        }
        Ok(TransactionId(s.to_owned()))
    }

    /// The hex SHA-256 of the key's SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot encode the key.
    pub fn for_key(key: &mdm_signing::PrivateKey) -> Result<Self, Error> {
        let spki = key.as_openssl().public_key_to_der().map_err(crypto)?;
        let d = Digest::Sha256.hash(&spki)?;
        Ok(TransactionId(
            d.iter().map(|b| format!("{b:02X}")).collect(),
        ))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TransactionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who signed a SignedData.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignerId {
    /// Issuer name (DER) and serial-number octets.
    IssuerSerial {
        /// DER of the issuer Name.
        issuer: Vec<u8>,
        /// Serial number octets, no leading zeros.
        serial: Vec<u8>,
    },
    /// Subject key identifier.
    SubjectKeyId(Vec<u8>),
}

impl SignerId {
    fn matches(&self, cert: &Certificate) -> bool {
        match self {
            SignerId::IssuerSerial { issuer, serial } => issuer_serial(cert)
                .map(|(i, s)| i == *issuer && s == *serial)
                .unwrap_or(false),
            SignerId::SubjectKeyId(id) => cert
                .as_openssl()
                .subject_key_id()
                .is_some_and(|k| k.as_slice() == id.as_slice()),
        }
    }
}

/// A decoded PKIMessage. Decoding checks the structure only; [`PkiMessage::verify`] checks
/// the signature, and [`PkiMessage::decrypt`] opens the envelope.
#[derive(Debug, Clone)]
pub struct PkiMessage {
    message_type: MessageType,
    transaction_id: TransactionId,
    sender_nonce: Option<Nonce>,
    recipient_nonce: Option<Nonce>,
    pki_status: Option<PkiStatus>,
    fail_info: Option<FailInfo>,
    fail_info_text: Option<String>,
    digest: Digest,
    certificates: Vec<Certificate>,
    envelope: Option<Vec<u8>>,
    signer: SignerId,
    signed_attrs: Vec<u8>,
    signature_alg: Vec<u8>,
    signature: Vec<u8>,
    message_digest: Vec<u8>,
}

impl PkiMessage {
    /// Decodes a DER (or BER) PKIMessage and reads its signed attributes.
    ///
    /// # Errors
    /// [`Error::TooLarge`], [`Error::Malformed`], [`Error::MissingAttribute`],
    /// [`Error::BadAttribute`], [`Error::TooManyCertificates`], and
    /// [`Error::AlgorithmRefused`] for a digest other than SHA-1/256/512.
    pub fn decode(der: &[u8]) -> Result<Self, Error> {
        const W: &str = "pkiMessage";
        if der.len() > MAX_MESSAGE_BYTES {
            return Err(Error::TooLarge {
                len: der.len(),
                limit: MAX_MESSAGE_BYTES,
            });
        }
        let sd = signed_data(der)?;
        let mut r = sd.reader();
        r.next(asn1::INTEGER, W)?;
        r.next(asn1::SET, W)?;
        let eci = r.next(asn1::SEQUENCE, W)?;
        let mut er = eci.reader();
        let ect = er.next(asn1::OID, W)?;
        if ect.value != oids::DATA {
            return Err(Error::malformed("encapsulated content type"));
        }
        let envelope = match er.optional(asn1::CTX0, W)? {
            Some(explicit) => {
                let inner = explicit.reader().next_any(W)?.ok_or(Error::malformed(W))?;
                let octets = inner.octets(W)?;
                if octets.is_empty() {
                    None
                } else {
                    Some(octets)
                }
            }
            None => None,
        };
        let certificates = match r.optional(asn1::CTX0, W)? {
            Some(set) => read_certificates(&set)?,
            None => Vec::new(),
        };
        r.optional(asn1::CTX1, W)?;
        let infos = r.next(asn1::SET, W)?;
        let info = infos
            .reader()
            .next_any("signerInfo")?
            .ok_or(Error::malformed("signerInfo"))?
            .expect(asn1::SEQUENCE, "signerInfo")?;
        Self::from_signer_info(info, certificates, envelope)
    }

    /// Decodes a CertRep and checks that its fields fit together: a pkiStatus, a failInfo
    /// on FAILURE, an envelope on SUCCESS, a recipientNonce; then checks the signature
    /// against the included (or `known`) signer certificate. What the requester checks
    /// before it looks at its own transaction.
    ///
    /// # Errors
    /// As [`PkiMessage::decode`] and [`PkiMessage::verify`], plus
    /// [`Error::UnexpectedMessageType`] and [`Error::MissingAttribute`].
    pub fn decode_cert_rep(der: &[u8], known: &[Certificate]) -> Result<Self, Error> {
        let msg = Self::decode(der)?;
        if msg.message_type != MessageType::CertRep {
            return Err(Error::UnexpectedMessageType {
                expected: "CertRep",
                found: msg.message_type,
            });
        }
        match msg.pki_status {
            None => return Err(Error::MissingAttribute("pkiStatus")),
            Some(PkiStatus::Failure) if msg.fail_info.is_none() => {
                return Err(Error::MissingAttribute("failInfo"));
            }
            Some(PkiStatus::Success) if msg.envelope.is_none() => {
                return Err(Error::MissingAttribute("pkcsPKIEnvelope"));
            }
            _ => {}
        }
        if msg.recipient_nonce.is_none() {
            return Err(Error::MissingAttribute("recipientNonce"));
        }
        msg.verify(known)?;
        Ok(msg)
    }

    fn from_signer_info(
        info: Tlv<'_>,
        certificates: Vec<Certificate>,
        envelope: Option<Vec<u8>>,
    ) -> Result<Self, Error> {
        const W: &str = "signerInfo";
        let mut r = info.reader();
        r.next(asn1::INTEGER, W)?;
        let sid = r.next_any(W)?.ok_or(Error::malformed(W))?;
        let signer = match sid.tag {
            asn1::SEQUENCE => {
                let mut sr = sid.reader();
                let issuer = sr.next(asn1::SEQUENCE, W)?;
                let serial = sr.next(asn1::INTEGER, W)?;
                SignerId::IssuerSerial {
                    issuer: issuer.raw.to_vec(),
                    serial: strip_int(serial.value).to_vec(),
                }
            }
            asn1::CTX0_PRIM => SignerId::SubjectKeyId(sid.value.to_vec()),
            _ => return Err(Error::malformed(W)),
        };
        let digest_alg = r.next(asn1::SEQUENCE, W)?;
        let digest_oid = digest_alg.reader().next(asn1::OID, W)?;
        let digest = Digest::from_oid(digest_oid.value).ok_or_else(|| {
            Error::AlgorithmRefused(format!("digest {}", asn1::oid_text(digest_oid.value)))
        })?;
        let attrs = r.next(asn1::CTX0, W)?;
        let signature_alg = r.next(asn1::SEQUENCE, W)?;
        let signature = r.next(asn1::OCTET_STRING, W)?;

        // The signature covers the attributes with a SET OF tag instead of [0].
        // Re-encoding with a definite length also covers a BER (indefinite) encoding,
        // which a DER signer would have turned into this form before signing.
        let signed_attrs = asn1::tlv(asn1::SET, attrs.value);

        let mut a = Attrs::default();
        for attr in attrs.children("signed attributes")? {
            let mut ar = attr.expect(asn1::SEQUENCE, "attribute")?.reader();
            let oid = ar.next(asn1::OID, "attribute")?;
            let values = ar.next(asn1::SET, "attribute")?;
            let Some(value) = values.reader().next_any("attribute")? else {
                continue;
            };
            a.set(oid.value, value)?;
        }
        let message_type = a
            .message_type
            .ok_or(Error::MissingAttribute("messageType"))?;
        let transaction_id = a
            .transaction_id
            .ok_or(Error::MissingAttribute("transactionID"))?;
        let message_digest = a
            .message_digest
            .ok_or(Error::MissingAttribute("messageDigest"))?;
        Ok(PkiMessage {
            message_type,
            transaction_id,
            sender_nonce: a.sender_nonce,
            recipient_nonce: a.recipient_nonce,
            pki_status: a.pki_status,
            fail_info: a.fail_info,
            fail_info_text: a.fail_info_text,
            digest,
            certificates,
            envelope,
            signer,
            signed_attrs,
            signature_alg: signature_alg.raw.to_vec(),
            signature: signature.value.to_vec(),
            message_digest,
        })
    }

    /// The messageType.
    pub fn message_type(&self) -> &MessageType {
        &self.message_type
    }

    /// The transactionID.
    pub fn transaction_id(&self) -> &TransactionId {
        &self.transaction_id
    }

    /// The senderNonce (required in requests, usually present in responses).
    pub fn sender_nonce(&self) -> Option<&Nonce> {
        self.sender_nonce.as_ref()
    }

    /// The recipientNonce (responses).
    pub fn recipient_nonce(&self) -> Option<&Nonce> {
        self.recipient_nonce.as_ref()
    }

    /// The pkiStatus (responses).
    pub fn pki_status(&self) -> Option<&PkiStatus> {
        self.pki_status.as_ref()
    }

    /// The failInfo (FAILURE responses).
    pub fn fail_info(&self) -> Option<&FailInfo> {
        self.fail_info.as_ref()
    }

    /// The failInfoText (RFC 8894 addition; rarely sent).
    pub fn fail_info_text(&self) -> Option<&str> {
        self.fail_info_text.as_deref()
    }

    /// The digest algorithm of the signature.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The certificates carried in the SignedData.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The pkcsPKIEnvelope (a DER EnvelopedData), when there is content.
    pub fn envelope(&self) -> Option<&[u8]> {
        self.envelope.as_deref()
    }

    /// Who signed.
    pub fn signer_id(&self) -> &SignerId {
        &self.signer
    }

    /// The content cipher of the envelope, when there is one and it can be read.
    pub fn envelope_cipher(&self) -> Option<ContentCipher> {
        self.envelope
            .as_deref()
            .and_then(|e| envelope::inspect(e).ok())
            .and_then(|i| i.cipher)
    }

    /// Checks the messageDigest and the signature. The signer certificate is looked up
    /// among the message's own certificates, then in `known`. Returns the signer
    /// certificate. This says nothing about whether that certificate is trusted.
    ///
    /// # Errors
    /// [`Error::SignerCertificateMissing`], [`Error::DigestMismatch`],
    /// [`Error::BadSignature`], [`Error::AlgorithmRefused`].
    pub fn verify(&self, known: &[Certificate]) -> Result<Certificate, Error> {
        let cert = self
            .certificates
            .iter()
            .chain(known)
            .find(|c| self.signer.matches(c))
            .ok_or(Error::SignerCertificateMissing)?;
        let content = self.envelope.as_deref().unwrap_or_default();
        if self.digest.hash(content)? != self.message_digest {
            return Err(Error::DigestMismatch);
        }
        let sig_oid = Tlv::parse_all(&self.signature_alg, "signatureAlgorithm")?
            .reader()
            .next(asn1::OID, "signatureAlgorithm")?;
        let md = match sig_oid.value {
            oids::RSA_ENCRYPTION | oids::EC_PUBLIC_KEY => self.digest,
            oids::SHA1_WITH_RSA | oids::ECDSA_SHA1 => Digest::Sha1,
            oids::SHA256_WITH_RSA | oids::ECDSA_SHA256 => Digest::Sha256,
            oids::SHA512_WITH_RSA | oids::ECDSA_SHA512 => Digest::Sha512,
            other => {
                return Err(Error::AlgorithmRefused(format!(
                    "signature algorithm {}",
                    asn1::oid_text(other)
                )));
            }
        };
        let pkey = cert
            .as_openssl()
            .public_key()
            .map_err(|_| Error::BadSignature)?;
        let mut v = Verifier::new(md.openssl(), &pkey).map_err(|_| Error::BadSignature)?;
        v.update(&self.signed_attrs)
            .map_err(|_| Error::BadSignature)?;
        match v.verify(&self.signature) {
            Ok(true) => Ok(cert.clone()),
            _ => Err(Error::BadSignature),
        }
    }

    /// Decrypts the envelope with the recipient's certificate and key. Single DES is
    /// refused unless `allow_des`.
    ///
    /// # Errors
    /// [`Error::Malformed`] without envelope, [`Error::NotRecipient`],
    /// [`Error::AlgorithmRefused`], [`Error::Decrypt`].
    pub fn decrypt(&self, recipient: &Identity, allow_des: bool) -> Result<Vec<u8>, Error> {
        let env = self
            .envelope
            .as_deref()
            .ok_or(Error::malformed("pkcsPKIEnvelope (absent)"))?;
        envelope::decrypt(env, recipient.certificate(), recipient.key(), allow_des)
    }
}

#[derive(Default)]
struct Attrs {
    message_type: Option<MessageType>,
    transaction_id: Option<TransactionId>,
    sender_nonce: Option<Nonce>,
    recipient_nonce: Option<Nonce>,
    pki_status: Option<PkiStatus>,
    fail_info: Option<FailInfo>,
    fail_info_text: Option<String>,
    message_digest: Option<Vec<u8>>,
}

impl Attrs {
    fn set(&mut self, oid: &[u8], v: Tlv<'_>) -> Result<(), Error> {
        match oid {
            oids::MESSAGE_TYPE => {
                self.message_type = Some(MessageType::from_wire(text(v, "messageType")?));
            }
            oids::PKI_STATUS => self.pki_status = Some(PkiStatus::from_wire(text(v, "pkiStatus")?)),
            oids::FAIL_INFO => self.fail_info = Some(FailInfo::from_wire(text(v, "failInfo")?)),
            oids::FAIL_INFO_TEXT => {
                self.fail_info_text = Some(text(v, "failInfoText")?.to_owned());
            }
            oids::TRANSACTION_ID => {
                let t = text(v, "transactionID")?;
                if t.is_empty() || t.len() > 256 {
                    return Err(Error::BadAttribute("transactionID"));
                }
                self.transaction_id = Some(TransactionId(t.to_owned()));
            }
            oids::SENDER_NONCE => {
                let o = v
                    .octets("senderNonce")
                    .map_err(|_| Error::BadAttribute("senderNonce"))?;
                self.sender_nonce =
                    Some(Nonce::from_bytes(&o).map_err(|_| Error::BadAttribute("senderNonce"))?);
            }
            oids::RECIPIENT_NONCE => {
                let o = v
                    .octets("recipientNonce")
                    .map_err(|_| Error::BadAttribute("recipientNonce"))?;
                self.recipient_nonce =
                    Some(Nonce::from_bytes(&o).map_err(|_| Error::BadAttribute("recipientNonce"))?);
            }
            oids::MESSAGE_DIGEST => {
                self.message_digest = Some(
                    v.octets("messageDigest")
                        .map_err(|_| Error::BadAttribute("messageDigest"))?,
                );
            }
            _ => {}
        }
        Ok(())
    }
}

fn text<'a>(v: Tlv<'a>, name: &'static str) -> Result<&'a str, Error> {
    match v.tag {
        asn1::PRINTABLE_STRING | asn1::UTF8_STRING | asn1::IA5_STRING => {
            std::str::from_utf8(v.value).map_err(|_| Error::BadAttribute(name))
        }
        _ => Err(Error::BadAttribute(name)),
    }
}

/// The SignedData SEQUENCE inside a ContentInfo.
fn signed_data(der: &[u8]) -> Result<Tlv<'_>, Error> {
    const W: &str = "signedData";
    let ci = Tlv::parse_all(der, W)?.expect(asn1::SEQUENCE, W)?;
    let mut r = ci.reader();
    let ct = r.next(asn1::OID, W)?;
    if ct.value != oids::SIGNED_DATA {
        return Err(Error::malformed(W));
    }
    r.next(asn1::CTX0, W)?.reader().next(asn1::SEQUENCE, W)
}

/// Reads the certificates of a `[0] IMPLICIT CertificateSet`, at most
/// [`MAX_CERTIFICATES`], counting before parsing any.
fn read_certificates(set: &Tlv<'_>) -> Result<Vec<Certificate>, Error> {
    let mut r = set.reader();
    let mut raw = Vec::new();
    while let Some(c) = r.next_any("certificates")? {
        if c.tag == asn1::SEQUENCE {
            raw.push(c.raw);
        }
        if raw.len() > MAX_CERTIFICATES {
            return Err(Error::TooManyCertificates {
                count: raw.len(),
                limit: MAX_CERTIFICATES,
            });
        }
    }
    raw.into_iter()
        .map(|d| Certificate::from_der(d).map_err(|_| Error::malformed("certificate")))
        .collect()
}

/// Reads the certificates of a degenerate ("certs-only") SignedData.
///
/// # Errors
/// [`Error::TooLarge`], [`Error::Malformed`], [`Error::TooManyCertificates`].
pub fn certificates_from_degenerate(der: &[u8]) -> Result<Vec<Certificate>, Error> {
    const W: &str = "degenerate signedData";
    if der.len() > MAX_MESSAGE_BYTES {
        return Err(Error::TooLarge {
            len: der.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    let sd = signed_data(der)?;
    let mut r = sd.reader();
    r.next(asn1::INTEGER, W)?;
    r.next(asn1::SET, W)?;
    r.next(asn1::SEQUENCE, W)?;
    match r.optional(asn1::CTX0, W)? {
        Some(set) => read_certificates(&set),
        None => Ok(Vec::new()),
    }
}

/// Builds a degenerate ("certs-only") SignedData holding `certs`, as CertRep and
/// GetCACert carry certificate chains.
///
/// # Errors
/// [`Error::Crypto`] when a certificate cannot be encoded.
pub fn degenerate(certs: &[Certificate]) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    for c in certs {
        body.extend(c.to_der()?);
    }
    let eci = asn1::seq(&[&asn1::oid(oids::DATA)]);
    let sd = asn1::seq(&[
        &asn1::small_int(1),
        &asn1::tlv(asn1::SET, &[]),
        &eci,
        &asn1::tlv(asn1::CTX0, &body),
        &asn1::tlv(asn1::SET, &[]),
    ]);
    Ok(asn1::seq(&[
        &asn1::oid(oids::SIGNED_DATA),
        &asn1::tlv(asn1::CTX0, &sd),
    ]))
}

/// Builds a degenerate SignedData holding one DER CRL (`crls [1]`), the content of a
/// CertRep that answers GetCRL.
pub fn degenerate_crl(crl: &[u8]) -> Vec<u8> {
    let eci = asn1::seq(&[&asn1::oid(oids::DATA)]);
    let sd = asn1::seq(&[
        &asn1::small_int(1),
        &asn1::tlv(asn1::SET, &[]),
        &eci,
        &asn1::tlv(asn1::CTX1, crl),
        &asn1::tlv(asn1::SET, &[]),
    ]);
    asn1::seq(&[&asn1::oid(oids::SIGNED_DATA), &asn1::tlv(asn1::CTX0, &sd)])
}

/// The fields of a PKIMessage to build. The `messageData` is encrypted to `recipient`
/// with `cipher` when both are present.
#[derive(Debug, Clone)]
pub struct PkiMessageBuilder {
    message_type: MessageType,
    transaction_id: TransactionId,
    sender_nonce: Nonce,
    recipient_nonce: Option<Nonce>,
    pki_status: Option<PkiStatus>,
    fail_info: Option<FailInfo>,
    fail_info_text: Option<String>,
    digest: Digest,
    cipher: ContentCipher,
    message_data: Option<Vec<u8>>,
    recipient: Option<Certificate>,
    extra_certificates: Vec<Certificate>,
}

impl PkiMessageBuilder {
    /// A message of this type and transaction with a fresh senderNonce, SHA-256 and
    /// AES-256-CBC, no content.
    ///
    /// # Errors
    /// [`Error::Crypto`] when no random nonce can be made.
    pub fn new(message_type: MessageType, transaction_id: TransactionId) -> Result<Self, Error> {
        Ok(PkiMessageBuilder {
            message_type,
            transaction_id,
            sender_nonce: Nonce::random()?,
            recipient_nonce: None,
            pki_status: None,
            fail_info: None,
            fail_info_text: None,
            digest: Digest::Sha256,
            cipher: ContentCipher::Aes256Cbc,
            message_data: None,
            recipient: None,
            extra_certificates: Vec::new(),
        })
    }

    /// Sets the senderNonce. Default: 16 random octets.
    #[must_use]
    pub fn sender_nonce(mut self, nonce: Nonce) -> Self {
        self.sender_nonce = nonce;
        self
    }

    /// The senderNonce this message will carry.
    pub fn sender_nonce_value(&self) -> &Nonce {
        &self.sender_nonce
    }

    /// Sets the recipientNonce (responses echo the request's senderNonce). Default: none.
    #[must_use]
    pub fn recipient_nonce(mut self, nonce: Nonce) -> Self {
        self.recipient_nonce = Some(nonce);
        self
    }

    /// Sets the pkiStatus (responses). Default: none.
    #[must_use]
    pub fn pki_status(mut self, status: PkiStatus) -> Self {
        self.pki_status = Some(status);
        self
    }

    /// Sets failInfo and, optionally, failInfoText. Default: none.
    #[must_use]
    pub fn fail_info(mut self, info: FailInfo, text: Option<&str>) -> Self {
        self.fail_info = Some(info);
        self.fail_info_text = text.map(str::to_owned);
        self
    }

    /// Sets the digest. Default: SHA-256.
    #[must_use]
    pub fn digest(mut self, digest: Digest) -> Self {
        self.digest = digest;
        self
    }

    /// Sets the content cipher. Default: AES-256-CBC.
    #[must_use]
    pub fn cipher(mut self, cipher: ContentCipher) -> Self {
        self.cipher = cipher;
        self
    }

    /// Sets the messageData, encrypted to `recipient` when built. Default: no content.
    #[must_use]
    pub fn message_data(mut self, data: Vec<u8>, recipient: Certificate) -> Self {
        self.message_data = Some(data);
        self.recipient = Some(recipient);
        self
    }

    /// Adds a certificate next to the signer's (for example the CA chain). Default: none.
    #[must_use]
    pub fn add_certificate(mut self, cert: Certificate) -> Self {
        self.extra_certificates.push(cert);
        self
    }

    /// Encrypts the content and signs the whole with `signer` (its certificate travels
    /// in the message). Returns the DER PKIMessage.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot encrypt or sign.
    pub fn build(&self, signer: &Identity) -> Result<Vec<u8>, Error> {
        let envelope = match (&self.message_data, &self.recipient) {
            (Some(data), Some(r)) => Some(envelope::encrypt(data, r, self.cipher)?),
            _ => None,
        };
        let content = envelope.as_deref().unwrap_or_default();
        let digest = self.digest.hash(content)?;

        let attr = |oid: &[u8], value: Vec<u8>| {
            asn1::seq(&[&asn1::oid(oid), &asn1::tlv(asn1::SET, &value)])
        };
        let printable = |s: &str| asn1::tlv(asn1::PRINTABLE_STRING, s.as_bytes());
        let mut attrs = vec![
            attr(oids::CONTENT_TYPE, asn1::oid(oids::DATA)),
            attr(oids::MESSAGE_DIGEST, asn1::tlv(asn1::OCTET_STRING, &digest)),
            attr(oids::MESSAGE_TYPE, printable(self.message_type.as_str())),
            attr(
                oids::TRANSACTION_ID,
                printable(self.transaction_id.as_str()),
            ),
            attr(
                oids::SENDER_NONCE,
                asn1::tlv(asn1::OCTET_STRING, self.sender_nonce.as_bytes()),
            ),
        ];
        if let Some(n) = &self.recipient_nonce {
            attrs.push(attr(
                oids::RECIPIENT_NONCE,
                asn1::tlv(asn1::OCTET_STRING, n.as_bytes()),
            ));
        }
        if let Some(s) = &self.pki_status {
            attrs.push(attr(oids::PKI_STATUS, printable(s.as_str())));
        }
        if let Some(f) = &self.fail_info {
            attrs.push(attr(oids::FAIL_INFO, printable(f.as_str())));
        }
        if let Some(t) = &self.fail_info_text {
            attrs.push(attr(
                oids::FAIL_INFO_TEXT,
                asn1::tlv(asn1::UTF8_STRING, t.as_bytes()),
            ));
        }
        let signed_attrs = asn1::set_of(attrs);

        let key = signer.key().as_openssl();
        let mut s = Signer::new(self.digest.openssl(), key).map_err(crypto)?;
        s.update(&signed_attrs).map_err(crypto)?;
        let signature = s.sign_to_vec().map_err(crypto)?;

        let sig_alg = match key.id() {
            openssl::pkey::Id::EC => match self.digest {
                Digest::Sha1 => asn1::alg_id(oids::ECDSA_SHA1, false),
                Digest::Sha256 => asn1::alg_id(oids::ECDSA_SHA256, false),
                Digest::Sha512 => asn1::alg_id(oids::ECDSA_SHA512, false),
            },
            _ => asn1::alg_id(oids::RSA_ENCRYPTION, true),
        };
        let digest_alg = asn1::alg_id(self.digest.oid(), true);
        let (issuer, serial) = issuer_serial(signer.certificate())?;
        let mut serial_content = serial;
        if serial_content.first().is_none_or(|b| b & 0x80 != 0) {
            serial_content.insert(0, 0);
        }
        let sid = asn1::seq(&[&issuer, &asn1::tlv(asn1::INTEGER, &serial_content)]);
        // signedAttrs travel with an IMPLICIT [0] tag in place of SET OF.
        let attrs_implicit = asn1::tlv(
            asn1::CTX0,
            signed_attrs
                .get(header_len(&signed_attrs)..)
                .unwrap_or_default(),
        );
        let signer_info = asn1::seq(&[
            &asn1::small_int(1),
            &sid,
            &digest_alg,
            &attrs_implicit,
            &sig_alg,
            &asn1::tlv(asn1::OCTET_STRING, &signature),
        ]);

        let eci = match &envelope {
            Some(e) => asn1::seq(&[
                &asn1::oid(oids::DATA),
                &asn1::tlv(asn1::CTX0, &asn1::tlv(asn1::OCTET_STRING, e)),
            ]),
            None => asn1::seq(&[&asn1::oid(oids::DATA)]),
        };
        let mut certs = signer.certificate().to_der()?;
        for c in &self.extra_certificates {
            certs.extend(c.to_der()?);
        }
        let sd = asn1::seq(&[
            &asn1::small_int(1),
            &asn1::set_of(vec![digest_alg.clone()]),
            &eci,
            &asn1::tlv(asn1::CTX0, &certs),
            &asn1::set_of(vec![signer_info]),
        ]);
        Ok(asn1::seq(&[
            &asn1::oid(oids::SIGNED_DATA),
            &asn1::tlv(asn1::CTX0, &sd),
        ]))
    }
}

/// Length of the tag and length octets of a DER element we encoded.
fn header_len(der: &[u8]) -> usize {
    match der.get(1) {
        Some(&l) if l & 0x80 != 0 => 2 + usize::from(l & 0x7f),
        _ => 2,
    }
}
