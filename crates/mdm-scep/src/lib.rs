//! SCEP, the Simple Certificate Enrollment Protocol ([RFC 8894]), for Apple MDM: the
//! device identity of most enrollments comes from a SCEP server, and MDM servers enroll
//! against enterprise CAs themselves.
//!
//! The crate has both roles and keeps the protocol free of I/O:
//!
//! | task | call |
//! | --- | --- |
//! | build or read a PKIMessage | [`PkiMessageBuilder`], [`PkiMessage::decode`] |
//! | make a CSR with a challenge | [`CsrBuilder`] |
//! | read GetCACaps / GetCACert | [`Capabilities`], [`CaCertificates`] |
//! | enroll, renew, poll (requester) | [`Transaction`] |
//! | answer requests (CA or RA) | [`ScepResponder`] with a [`CertificateAuthority`] |
//! | over HTTP (feature `client`) | `client::Client` |
//!
//! OpenSSL (through `mdm-signing`'s key and certificate types) does every signature,
//! encryption and decryption; the SCEP attributes, which OpenSSL's safe API cannot reach,
//! are encoded and read by a small private DER codec.
//!
//! ```
//! use mdm_scep::{
//!     CaCertificates, CsrBuilder, Decision, Outcome, RequestOptions, ScepResponder, SimpleCa,
//!     Transaction,
//! };
//! use mdm_signing::{Identity, PrivateKey};
//!
//! # fn main() -> Result<(), mdm_scep::Error> {
//! // A CA that issues when the challenge is right.
//! let ca = Identity::self_signed("Example SCEP CA", PrivateKey::generate_rsa(2048)?, 365)?;
//! let responder = ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 30), |req| {
//!     if req.challenge == Some("s3cret") { Decision::Issue } else { Decision::reject_bad_request() }
//! });
//!
//! // A device that enrolls.
//! let key = PrivateKey::generate_rsa(2048)?;
//! let csr = CsrBuilder::new("device-1").challenge_password("s3cret").build(&key)?;
//! let cas = CaCertificates::from_certificates(vec![ca.certificate().clone()], None)?;
//! let (mut tx, request) = Transaction::enroll(csr, key, cas, RequestOptions::default())?;
//!
//! let reply = responder.handle(&request)?;
//! let Outcome::Issued(issued) = tx.handle_response(&reply)? else { panic!("not issued") };
//! assert_eq!(issued.certificate.common_name().as_deref(), Some("device-1"));
//! # Ok(())
//! # }
//! ```
//!
//! ## Algorithms
//!
//! Content encryption: AES-128-CBC, AES-256-CBC, triple DES, and single DES only where the
//! caller allows it ([`AlgorithmPolicy::allow_des`], [`ScepResponder::allow_des`]); digests
//! SHA-1, SHA-256, SHA-512. [`Capabilities`] picks the strongest pair both sides accept.
//! Requester keys may be RSA or ECDSA P-256 (the reply is then encrypted by key agreement);
//! the CA or RA certificate requests are encrypted to must be RSA, since SCEP transports the
//! content key with RSA and the deployed servers know nothing else.
//!
//! micromdm's `scepserver` 2.1.0 answers in single DES whatever the request used, and its
//! `scepclient` sends single DES: talking to either needs DES allowed.
//!
//! [RFC 8894]: https://www.rfc-editor.org/rfc/rfc8894
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod asn1;
mod ca;
mod csr;
mod envelope;
mod error;
pub mod http;
mod message;
mod requester;
mod responder;

#[cfg(feature = "client")]
pub mod client;

pub use crate::ca::{
    AlgorithmPolicy, CaCertificates, Capabilities, Capability, MAX_CAPS_BYTES, next_ca_certificates,
};
pub use crate::csr::{Csr, CsrBuilder, KeyUsageRequest, MAX_CSR_BYTES, self_signed_for};
pub use crate::envelope::{ContentCipher, Digest, EnvelopeInfo, MAX_ENVELOPE_BYTES};
pub use crate::error::Error;
pub use crate::message::{
    FailInfo, MAX_CERTIFICATES, MAX_MESSAGE_BYTES, MessageType, Nonce, PkiMessage,
    PkiMessageBuilder, PkiStatus, SignerId, TransactionId, certificates_from_degenerate,
    degenerate, degenerate_crl,
};
pub use crate::requester::{Issued, Outcome, RequestOptions, Transaction};
pub use crate::responder::{
    Answered, CertificateAuthority, Decision, EnrollmentRequest, MAX_PENDING, ScepResponder,
    SimpleCa,
};
/// The key and certificate types of this crate's signatures: one loader for SCEP, profile
/// signing and APNs.
pub use mdm_signing::{Certificate, Identity, PrivateKey};

/// Reads the envelope of a PKIMessage without decrypting it: content cipher and recipients.
///
/// # Errors
/// [`Error::Malformed`] when the bytes are not an EnvelopedData.
pub fn inspect_envelope(der: &[u8]) -> Result<EnvelopeInfo, Error> {
    envelope::inspect(der)
}
