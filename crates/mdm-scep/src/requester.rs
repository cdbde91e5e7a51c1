//! The requester role without I/O: build a request, feed the CertRep back, learn the
//! outcome. [`crate::client`] drives it over HTTP; any other transport can too.

use mdm_signing::{Certificate, Identity, PrivateKey};

use crate::asn1::{self, Tlv};
use crate::ca::{AlgorithmPolicy, CaCertificates, Capabilities};
use crate::csr::{Csr, self_signed_for};
use crate::envelope::{ContentCipher, Digest};
use crate::error::{Error, crypto};
use crate::message::{
    MessageType, Nonce, PkiMessage, PkiMessageBuilder, PkiStatus, TransactionId,
    certificates_from_degenerate,
};

/// Algorithms of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Content cipher of the request envelope. Default: AES-256-CBC.
    pub cipher: ContentCipher,
    /// Digest of the signature. Default: SHA-256.
    pub digest: Digest,
    /// Accept a reply encrypted with single DES (some servers answer in DES whatever the
    /// request used). Default: false.
    pub allow_des_reply: bool,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            cipher: ContentCipher::Aes256Cbc,
            digest: Digest::Sha256,
            allow_des_reply: false,
        }
    }
}

impl RequestOptions {
    /// The strongest algorithms the capabilities allow under `policy`.
    ///
    /// # Errors
    /// [`Error::AlgorithmRefused`] when the policy leaves nothing.
    pub fn from_caps(caps: &Capabilities, policy: &AlgorithmPolicy) -> Result<Self, Error> {
        Ok(RequestOptions {
            cipher: caps.cipher(policy)?,
            digest: caps.digest(policy)?,
            allow_des_reply: policy.allow_des,
        })
    }
}

/// An issued certificate.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate for the requested key.
    pub certificate: Certificate,
    /// The other certificates of the reply (usually the CA chain).
    pub chain: Vec<Certificate>,
}

/// What a CertRep means for the transaction.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// The certificate was issued.
    Issued(Issued),
    /// The CA holds the request; poll with [`Transaction::poll`] later.
    Pending,
    /// The certificates a GetCert asked for.
    Certificates(Vec<Certificate>),
    /// The DER CRL a GetCRL asked for.
    Crl(Vec<u8>),
}

/// One SCEP transaction on the requester side: the request sent, the nonce to expect back,
/// and the keys to open the reply.
#[derive(Debug)]
pub struct Transaction {
    kind: MessageType,
    id: TransactionId,
    signer: Identity,
    key: Option<PrivateKey>,
    csr: Option<Csr>,
    ca: CaCertificates,
    options: RequestOptions,
    nonce: Nonce,
}

impl Transaction {
    /// Starts a first enrollment (PKCSReq) of `csr`, made with `key`, signed by a
    /// self-signed certificate for that key. Returns the transaction and the DER message.
    ///
    /// # Errors
    /// [`Error::Crypto`], [`Error::Signing`] when `key` is not the CSR's key.
    pub fn enroll(
        csr: Csr,
        key: PrivateKey,
        ca: CaCertificates,
        options: RequestOptions,
    ) -> Result<(Self, Vec<u8>), Error> {
        let signer = self_signed_for(&csr, &key, options.digest)?;
        Self::start(MessageType::PkcsReq, csr, key, signer, ca, options)
    }

    /// Starts a renewal (RenewalReq) signed with the current identity. The new key may be
    /// the old one or a fresh one.
    ///
    /// # Errors
    /// As [`Transaction::enroll`].
    pub fn renew(
        csr: Csr,
        key: PrivateKey,
        current: Identity,
        ca: CaCertificates,
        options: RequestOptions,
    ) -> Result<(Self, Vec<u8>), Error> {
        Self::start(MessageType::RenewalReq, csr, key, current, ca, options)
    }

    fn start(
        kind: MessageType,
        csr: Csr,
        key: PrivateKey,
        signer: Identity,
        ca: CaCertificates,
        options: RequestOptions,
    ) -> Result<(Self, Vec<u8>), Error> {
        if csr.public_key_der()? != key.as_openssl().public_key_to_der().map_err(crypto)? {
            return Err(Error::Csr("the key is not the csr's key".to_owned()));
        }
        let id = TransactionId::for_key(&key)?;
        let mut b = PkiMessageBuilder::new(kind.clone(), id.clone())?;
        b = b
            .digest(options.digest)
            .cipher(options.cipher)
            .message_data(csr.der().to_vec(), ca.recipient().clone());
        let der = b.build(&signer)?;
        let nonce = b.sender_nonce_value().clone();
        Ok((
            Transaction {
                kind,
                id,
                signer,
                key: Some(key),
                csr: Some(csr),
                ca,
                options,
                nonce,
            },
            der,
        ))
    }

    /// A GetCert for the certificate with this issuer and serial, signed by `signer`.
    ///
    /// # Errors
    /// [`Error::Crypto`].
    pub fn get_cert(
        issuer_serial_of: &Certificate,
        signer: Identity,
        ca: CaCertificates,
        options: RequestOptions,
    ) -> Result<(Self, Vec<u8>), Error> {
        Self::query(MessageType::GetCert, issuer_serial_of, signer, ca, options)
    }

    /// A GetCRL for the issuer of `cert`, signed by `signer`.
    ///
    /// # Errors
    /// [`Error::Crypto`].
    pub fn get_crl(
        cert: &Certificate,
        signer: Identity,
        ca: CaCertificates,
        options: RequestOptions,
    ) -> Result<(Self, Vec<u8>), Error> {
        Self::query(MessageType::GetCrl, cert, signer, ca, options)
    }

    fn query(
        kind: MessageType,
        cert: &Certificate,
        signer: Identity,
        ca: CaCertificates,
        options: RequestOptions,
    ) -> Result<(Self, Vec<u8>), Error> {
        let x = cert.as_openssl();
        let issuer = x.issuer_name().to_der().map_err(crypto)?;
        let serial = x.serial_number().to_bn().map_err(crypto)?;
        let mut serial_content = serial.to_vec();
        if serial_content.first().is_none_or(|b| b & 0x80 != 0) {
            serial_content.insert(0, 0);
        }
        let data = asn1::seq(&[&issuer, &asn1::tlv(asn1::INTEGER, &serial_content)]);
        let id = TransactionId::for_key(signer.key())?;
        let mut b = PkiMessageBuilder::new(kind.clone(), id.clone())?;
        b = b
            .digest(options.digest)
            .cipher(options.cipher)
            .message_data(data, ca.recipient().clone());
        let der = b.build(&signer)?;
        let nonce = b.sender_nonce_value().clone();
        Ok((
            Transaction {
                kind,
                id,
                signer,
                key: None,
                csr: None,
                ca,
                options,
                nonce,
            },
            der,
        ))
    }

    /// The transaction id.
    pub fn id(&self) -> &TransactionId {
        &self.id
    }

    /// The kind of the original request.
    pub fn kind(&self) -> &MessageType {
        &self.kind
    }

    /// A CertPoll (GetCertInitial) for a pending enrollment, with a fresh nonce and the same
    /// transaction id. It replaces the nonce the next reply must echo.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the transaction is not an enrollment.
    pub fn poll(&mut self) -> Result<Vec<u8>, Error> {
        let csr = self.csr.as_ref().ok_or_else(|| Error::Invalid {
            what: "poll",
            message: "only enrollments can be polled".to_owned(),
        })?;
        let issuer = self
            .ca
            .ca()
            .as_openssl()
            .subject_name()
            .to_der()
            .map_err(crypto)?;
        let subject = csr.as_openssl().subject_name().to_der().map_err(crypto)?;
        let data = asn1::seq(&[&issuer, &subject]);
        let mut b = PkiMessageBuilder::new(MessageType::CertPoll, self.id.clone())?;
        b = b
            .digest(self.options.digest)
            .cipher(self.options.cipher)
            .message_data(data, self.ca.recipient().clone());
        let der = b.build(&self.signer)?;
        self.nonce = b.sender_nonce_value().clone();
        Ok(der)
    }

    /// Checks a CertRep against this transaction and opens it: signed by the CA or one of
    /// its RA certificates, same transaction id, recipientNonce equal to the last
    /// senderNonce, then the status.
    ///
    /// # Errors
    /// Every check has its error: [`Error::UnexpectedMessageType`],
    /// [`Error::BadSignature`], [`Error::UntrustedSigner`],
    /// [`Error::TransactionIdMismatch`], [`Error::NonceMismatch`], [`Error::Rejected`]
    /// (FAILURE), [`Error::NotRecipient`], [`Error::AlgorithmRefused`],
    /// [`Error::NoIssuedCertificate`].
    pub fn handle_response(&mut self, der: &[u8]) -> Result<Outcome, Error> {
        let msg = PkiMessage::decode(der)?;
        if *msg.message_type() != MessageType::CertRep {
            return Err(Error::UnexpectedMessageType {
                expected: "CertRep",
                found: msg.message_type().clone(),
            });
        }
        let signer = msg.verify(self.ca.signers())?;
        self.check_signer(&signer)?;
        if *msg.transaction_id() != self.id {
            return Err(Error::TransactionIdMismatch);
        }
        if msg.recipient_nonce() != Some(&self.nonce) {
            return Err(Error::NonceMismatch);
        }
        match msg.pki_status() {
            Some(PkiStatus::Success) => {}
            Some(PkiStatus::Pending)
                if matches!(self.kind, MessageType::PkcsReq | MessageType::RenewalReq) =>
            {
                return Ok(Outcome::Pending);
            }
            Some(PkiStatus::Failure) => {
                return Err(Error::Rejected {
                    fail_info: msg
                        .fail_info()
                        .cloned()
                        .unwrap_or(crate::message::FailInfo::Other(String::new())),
                    text: msg.fail_info_text().map(str::to_owned),
                });
            }
            Some(other) => return Err(Error::UnexpectedStatus(other.clone())),
            None => return Err(Error::MissingAttribute("pkiStatus")),
        }
        let content = msg.decrypt(&self.signer, self.options.allow_des_reply)?;
        if self.kind == MessageType::GetCrl {
            return crl_from_degenerate(&content).map(Outcome::Crl);
        }
        let certs = certificates_from_degenerate(&content)?;
        match &self.key {
            None => Ok(Outcome::Certificates(certs)),
            Some(key) => {
                let pos = certs
                    .iter()
                    .position(|c| key.matches(c))
                    .ok_or(Error::NoIssuedCertificate)?;
                let mut chain = certs;
                let certificate = chain.remove(pos);
                Ok(Outcome::Issued(Issued { certificate, chain }))
            }
        }
    }

    fn check_signer(&self, signer: &Certificate) -> Result<(), Error> {
        if self.ca.signers().iter().any(|s| s == signer) {
            return Ok(());
        }
        let issued_by_ca = self
            .ca
            .ca()
            .as_openssl()
            .public_key()
            .ok()
            .is_some_and(|k| signer.as_openssl().verify(&k).unwrap_or(false));
        if issued_by_ca {
            Ok(())
        } else {
            Err(Error::UntrustedSigner(signer.subject()))
        }
    }
}

/// The first CRL of a degenerate SignedData (`crls [1]`).
fn crl_from_degenerate(der: &[u8]) -> Result<Vec<u8>, Error> {
    const W: &str = "crl reply";
    let ci = Tlv::parse_all(der, W)?.expect(asn1::SEQUENCE, W)?;
    let mut r = ci.reader();
    r.next(asn1::OID, W)?;
    let sd = r.next(asn1::CTX0, W)?.reader().next(asn1::SEQUENCE, W)?;
    let mut r = sd.reader();
    r.next(asn1::INTEGER, W)?;
    r.next(asn1::SET, W)?;
    r.next(asn1::SEQUENCE, W)?;
    r.optional(asn1::CTX0, W)?;
    let crls = r.next(asn1::CTX1, W)?;
    let first = crls.reader().next(asn1::SEQUENCE, W)?;
    Ok(first.raw.to_vec())
}
