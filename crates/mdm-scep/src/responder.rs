//! The responder role: read a request, let the caller decide, answer with a CertRep.
//!
//! The certificate authority stays the caller's: [`CertificateAuthority`] issues, and a
//! decision function says issue, reject or hold. [`SimpleCa`] is a small OpenSSL CA for
//! tests and example servers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::x509::X509;
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

use mdm_signing::{Certificate, Identity};

use crate::asn1::{self, Tlv};
use crate::ca::{Capabilities, Capability};
use crate::csr::Csr;
use crate::envelope::ContentCipher;
use crate::error::{Error, crypto};
use crate::message::{
    FailInfo, MessageType, PkiMessage, PkiMessageBuilder, PkiStatus, TransactionId, degenerate,
    degenerate_crl,
};

/// Most enrollments held PENDING at once; older ones are forgotten first.
pub const MAX_PENDING: usize = 10_000;

/// What the caller decides about an enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Issue the certificate now.
    Issue,
    /// Reject with this failInfo.
    Reject(FailInfo),
    /// Hold; the requester polls with CertPoll and the decision is asked again.
    Pending,
}

impl Decision {
    /// Reject with `badRequest`, the usual answer to a wrong challenge.
    pub fn reject_bad_request() -> Self {
        Decision::Reject(FailInfo::BadRequest)
    }
}

/// An enrollment as the decision function sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct EnrollmentRequest<'a> {
    /// PKCSReq, RenewalReq, or CertPoll for a held request.
    pub message_type: &'a MessageType,
    /// The transaction id.
    pub transaction_id: &'a TransactionId,
    /// The CSR.
    pub csr: &'a Csr,
    /// The CSR's challengePassword.
    pub challenge: Option<&'a str>,
    /// The certificate that signed the request: self-signed for PKCSReq, the current
    /// certificate (issued by this CA) for RenewalReq.
    pub signer: &'a Certificate,
}

/// Issues certificates (and, optionally, answers GetCert and GetCRL).
pub trait CertificateAuthority: Send + Sync {
    /// Issues a certificate for the CSR; returns it first, followed by any chain the
    /// requester should get.
    ///
    /// # Errors
    /// The failInfo to answer with.
    fn issue(&self, request: &EnrollmentRequest<'_>) -> Result<Vec<Certificate>, FailInfo>;

    /// The certificate with this issuer Name (DER) and serial number (octets). Default:
    /// none.
    fn certificate(&self, _issuer: &[u8], _serial: &[u8]) -> Option<Certificate> {
        None
    }

    /// The DER CRL of this issuer Name (DER). Default: none.
    fn crl(&self, _issuer: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

/// A minimal CA on an OpenSSL identity: subject and public key from the CSR, random
/// serial, `digitalSignature` + `keyEncipherment`, `clientAuth`, SHA-256. Remembers what it
/// issued for GetCert.
pub struct SimpleCa {
    identity: Identity,
    days: u32,
    issued: Mutex<Vec<Certificate>>,
    counter: AtomicU64,
}

impl SimpleCa {
    /// A CA issuing with `identity` for `days` days.
    pub fn new(identity: Identity, days: u32) -> Self {
        SimpleCa {
            identity,
            days,
            issued: Mutex::new(Vec::new()),
            counter: AtomicU64::new(1),
        }
    }

    fn build(&self, csr: &Csr) -> Result<Certificate, Error> {
        let req = csr.as_openssl();
        let pkey = req.public_key().map_err(crypto)?;
        let mut b = X509::builder().map_err(crypto)?;
        b.set_version(2).map_err(crypto)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let serial = BigNum::from_dec_str(&format!("{now}{n:06}")).map_err(crypto)?;
        let serial = serial.to_asn1_integer().map_err(crypto)?;
        b.set_serial_number(&serial).map_err(crypto)?;
        b.set_subject_name(req.subject_name()).map_err(crypto)?;
        b.set_issuer_name(self.identity.certificate().as_openssl().subject_name())
            .map_err(crypto)?;
        b.set_pubkey(&pkey).map_err(crypto)?;
        let start = i64::try_from(now.saturating_sub(300)).unwrap_or(0);
        let not_before = Asn1Time::from_unix(start).map_err(crypto)?;
        b.set_not_before(&not_before).map_err(crypto)?;
        let not_after = Asn1Time::days_from_now(self.days).map_err(crypto)?;
        b.set_not_after(&not_after).map_err(crypto)?;
        b.append_extension(BasicConstraints::new().build().map_err(crypto)?)
            .map_err(crypto)?;
        b.append_extension(
            KeyUsage::new()
                .critical()
                .digital_signature()
                .key_encipherment()
                .build()
                .map_err(crypto)?,
        )
        .map_err(crypto)?;
        b.append_extension(
            ExtendedKeyUsage::new()
                .client_auth()
                .build()
                .map_err(crypto)?,
        )
        .map_err(crypto)?;
        b.sign(
            self.identity.key().as_openssl(),
            openssl::hash::MessageDigest::sha256(),
        )
        .map_err(crypto)?;
        Ok(Certificate::from(b.build()))
    }
}

impl CertificateAuthority for SimpleCa {
    fn issue(&self, request: &EnrollmentRequest<'_>) -> Result<Vec<Certificate>, FailInfo> {
        let cert = self.build(request.csr).map_err(|_| FailInfo::BadRequest)?;
        if let Ok(mut issued) = self.issued.lock() {
            if issued.len() >= MAX_PENDING {
                issued.remove(0);
            }
            issued.push(cert.clone());
        }
        Ok(vec![cert, self.identity.certificate().clone()])
    }

    fn certificate(&self, issuer: &[u8], serial: &[u8]) -> Option<Certificate> {
        let issued = self.issued.lock().ok()?;
        issued
            .iter()
            .find(|c| {
                crate::envelope::issuer_serial(c).is_ok_and(|(i, s)| i == issuer && s == serial)
            })
            .cloned()
    }
}

impl std::fmt::Debug for SimpleCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimpleCa")
            .field("ca", self.identity.certificate())
            .field("days", &self.days)
            .finish()
    }
}

type DecideFn = dyn Fn(&EnrollmentRequest<'_>) -> Decision + Send + Sync;
type AnsweredFn = dyn Fn(&Answered<'_>) + Send + Sync;

/// What the responder answered one PKIOperation with, handed to the hook set with
/// [`ScepResponder::on_answer`] so a server can log and count refusals with their cause
/// (the CertRep itself only carries a failInfo code).
#[derive(Debug)]
#[non_exhaustive]
pub struct Answered<'a> {
    /// The request's messageType.
    pub message_type: &'a MessageType,
    /// The request's transactionID.
    pub transaction_id: &'a TransactionId,
    /// SUCCESS, FAILURE or PENDING.
    pub status: PkiStatus,
    /// Why it failed, for a FAILURE.
    pub fail_info: Option<&'a FailInfo>,
    /// The failInfoText sent, or what the responder knows of the cause.
    pub reason: Option<&'static str>,
    /// The request was encrypted with single DES and refused for it (see
    /// [`ScepResponder::allow_des`]).
    pub des_refused: bool,
}

/// The content of a CertRep to send.
enum Reply {
    Certificates(Vec<Certificate>),
    Crl(Vec<u8>),
    Pending,
}

struct Held {
    csr: Csr,
    signer: Certificate,
    message_type: MessageType,
}

/// A SCEP responder: decrypts requests with its identity (the CA's or an RA's), asks the
/// decision function, has the [`CertificateAuthority`] issue, and signs the CertRep.
pub struct ScepResponder {
    identity: Identity,
    ca_certificates: Vec<Certificate>,
    ca: Box<dyn CertificateAuthority>,
    decide: Box<DecideFn>,
    caps: Capabilities,
    allow_des: bool,
    pending: Mutex<HashMap<TransactionId, Held>>,
    on_answer: Option<Box<AnsweredFn>>,
}

impl ScepResponder {
    /// A responder whose identity is the CA itself (GetCACert answers its certificate).
    /// Capabilities: AES, DES3, POSTPKIOperation, Renewal, SHA-1, SHA-256, SHA-512,
    /// SCEPStandard.
    pub fn new(
        identity: Identity,
        ca: impl CertificateAuthority + 'static,
        decide: impl Fn(&EnrollmentRequest<'_>) -> Decision + Send + Sync + 'static,
    ) -> Self {
        let ca_certificates = vec![identity.certificate().clone()];
        ScepResponder {
            identity,
            ca_certificates,
            ca: Box::new(ca),
            decide: Box::new(decide),
            caps: Capabilities::from_iter([
                Capability::Aes,
                Capability::Des3,
                Capability::PostPkiOperation,
                Capability::Renewal,
                Capability::Sha1,
                Capability::Sha256,
                Capability::Sha512,
                Capability::ScepStandard,
            ]),
            allow_des: false,
            pending: Mutex::new(HashMap::new()),
            on_answer: None,
        }
    }

    /// Sets the certificates GetCACert returns (for an RA: the RA certificate(s) and the
    /// CA). Default: the identity's certificate.
    #[must_use]
    pub fn ca_certificates(mut self, certs: Vec<Certificate>) -> Self {
        self.ca_certificates = certs;
        self
    }

    /// Sets the capabilities announced. Default: see [`ScepResponder::new`].
    #[must_use]
    pub fn capabilities(mut self, caps: Capabilities) -> Self {
        self.caps = caps;
        self
    }

    /// Accepts requests encrypted with single DES (and answers in kind). Default: false.
    #[must_use]
    pub fn allow_des(mut self, on: bool) -> Self {
        self.allow_des = on;
        self
    }

    /// Calls `hook` with what each PKIOperation that got a CertRep was answered (after
    /// the answer is decided, before it is signed). Default: none.
    #[must_use]
    pub fn on_answer(mut self, hook: impl Fn(&Answered<'_>) + Send + Sync + 'static) -> Self {
        self.on_answer = Some(Box::new(hook));
        self
    }

    /// The GetCACaps body.
    pub fn ca_caps_body(&self) -> String {
        self.caps.to_body()
    }

    /// The GetCACert answer: content type and body (one DER certificate, or a degenerate
    /// PKCS#7 for several).
    ///
    /// # Errors
    /// [`Error::Crypto`] when a certificate cannot be encoded.
    pub fn ca_cert_body(&self) -> Result<(&'static str, Vec<u8>), Error> {
        match self.ca_certificates.as_slice() {
            [one] => Ok(("application/x-x509-ca-cert", one.to_der()?)),
            many => Ok(("application/x-x509-ca-ra-cert", degenerate(many)?)),
        }
    }

    /// Answers one PKIOperation message with a DER CertRep. Requests that fail a check
    /// (signature, decryption, challenge) get a FAILURE CertRep.
    ///
    /// # Errors
    /// Only when no CertRep can be addressed: the message cannot be decoded, or its
    /// signature does not verify against its own certificate.
    pub fn handle(&self, der: &[u8]) -> Result<Vec<u8>, Error> {
        let msg = PkiMessage::decode(der)?;
        let signer = msg.verify(&[])?;
        let sender_nonce = msg
            .sender_nonce()
            .cloned()
            .ok_or(Error::MissingAttribute("senderNonce"))?;
        let cipher = match msg.envelope_cipher() {
            Some(ContentCipher::DesCbc) if !self.allow_des => ContentCipher::Aes256Cbc,
            Some(c) => c,
            None => ContentCipher::Aes256Cbc,
        };
        let mut reply = PkiMessageBuilder::new(MessageType::CertRep, msg.transaction_id().clone())?;
        reply = reply
            .recipient_nonce(sender_nonce)
            .digest(msg.digest())
            .cipher(cipher);
        let outcome = self.answer(&msg, &signer);
        if let Some(hook) = &self.on_answer {
            let (status, fail_info, reason) = match &outcome {
                Ok(Reply::Pending) => (PkiStatus::Pending, None, None),
                Ok(_) => (PkiStatus::Success, None, None),
                Err((f, t)) => (PkiStatus::Failure, Some(f), *t),
            };
            hook(&Answered {
                message_type: msg.message_type(),
                transaction_id: msg.transaction_id(),
                status,
                fail_info,
                reason,
                des_refused: matches!(fail_info, Some(FailInfo::BadAlg))
                    && msg.envelope_cipher() == Some(ContentCipher::DesCbc),
            });
        }
        match outcome {
            Ok(Reply::Certificates(certs)) => {
                reply = reply
                    .pki_status(PkiStatus::Success)
                    .message_data(degenerate(&certs)?, signer);
            }
            Ok(Reply::Crl(crl)) => {
                reply = reply
                    .pki_status(PkiStatus::Success)
                    .message_data(degenerate_crl(&crl), signer);
            }
            Ok(Reply::Pending) => {
                reply = reply.pki_status(PkiStatus::Pending);
            }
            Err((fail, text)) => {
                reply = reply.pki_status(PkiStatus::Failure).fail_info(fail, text);
            }
        }
        reply.build(&self.identity)
    }

    /// What to answer, or the failInfo and an optional failInfoText.
    fn answer(
        &self,
        msg: &PkiMessage,
        signer: &Certificate,
    ) -> Result<Reply, (FailInfo, Option<&'static str>)> {
        let bad_check = |t: &'static str| (FailInfo::BadMessageCheck, Some(t));
        let content = msg
            .decrypt(&self.identity, self.allow_des)
            .map_err(|e| match e {
                Error::AlgorithmRefused(_) => (FailInfo::BadAlg, Some("content cipher refused")),
                _ => bad_check("cannot decrypt the request"),
            })?;
        match msg.message_type() {
            MessageType::PkcsReq | MessageType::RenewalReq => {
                let csr = Csr::from_der(&content).map_err(|_| bad_check("bad csr"))?;
                if *msg.message_type() == MessageType::RenewalReq && !self.issued_here(signer) {
                    return Err(bad_check("renewal not signed by a certificate of this ca"));
                }
                self.decide_and_issue(
                    msg.message_type().clone(),
                    msg.transaction_id(),
                    csr,
                    signer.clone(),
                )
            }
            MessageType::CertPoll => {
                let held = self
                    .pending
                    .lock()
                    .ok()
                    .and_then(|mut p| p.remove(msg.transaction_id()))
                    .ok_or((FailInfo::BadCertId, Some("no pending request")))?;
                if held.signer != *signer {
                    return Err(bad_check("poll signed by another key"));
                }
                self.decide_and_issue(
                    held.message_type,
                    msg.transaction_id(),
                    held.csr,
                    held.signer,
                )
            }
            MessageType::GetCert => {
                let (issuer, serial) =
                    issuer_and_serial(&content).ok_or(bad_check("bad issuerAndSerialNumber"))?;
                self.ca
                    .certificate(&issuer, &serial)
                    .map(|c| Reply::Certificates(vec![c]))
                    .ok_or((FailInfo::BadCertId, Some("no such certificate")))
            }
            MessageType::GetCrl => {
                let (issuer, _) =
                    issuer_and_serial(&content).ok_or(bad_check("bad issuerAndSerialNumber"))?;
                self.ca
                    .crl(&issuer)
                    .map(Reply::Crl)
                    .ok_or((FailInfo::BadCertId, Some("no crl for this issuer")))
            }
            MessageType::CertRep | MessageType::Other(_) => {
                Err((FailInfo::BadRequest, Some("unsupported message type")))
            }
        }
    }

    fn decide_and_issue(
        &self,
        message_type: MessageType,
        id: &TransactionId,
        csr: Csr,
        signer: Certificate,
    ) -> Result<Reply, (FailInfo, Option<&'static str>)> {
        let request = EnrollmentRequest {
            message_type: &message_type,
            transaction_id: id,
            csr: &csr,
            challenge: csr.challenge_password(),
            signer: &signer,
        };
        match (self.decide)(&request) {
            Decision::Issue => self
                .ca
                .issue(&request)
                .map(Reply::Certificates)
                .map_err(|f| (f, None)),
            Decision::Reject(f) => Err((f, None)),
            Decision::Pending => {
                if let Ok(mut p) = self.pending.lock() {
                    if p.len() >= MAX_PENDING {
                        p.clear();
                    }
                    p.insert(
                        id.clone(),
                        Held {
                            csr,
                            signer,
                            message_type,
                        },
                    );
                }
                Ok(Reply::Pending)
            }
        }
    }

    fn issued_here(&self, cert: &Certificate) -> bool {
        self.ca_certificates
            .iter()
            .chain(std::iter::once(self.identity.certificate()))
            .filter_map(|c| c.as_openssl().public_key().ok())
            .any(|k| cert.as_openssl().verify(&k).unwrap_or(false))
    }
}

impl std::fmt::Debug for ScepResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScepResponder")
            .field("identity", self.identity.certificate())
            .field("caps", &self.caps)
            .finish()
    }
}

fn issuer_and_serial(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let t = Tlv::parse_all(der, "issuerAndSerialNumber").ok()?;
    let mut r = t.reader();
    let issuer = r.next(asn1::SEQUENCE, "issuer").ok()?;
    let serial = r.next(asn1::INTEGER, "serial").ok()?;
    Some((
        issuer.raw.to_vec(),
        crate::envelope::strip_int(serial.value).to_vec(),
    ))
}
