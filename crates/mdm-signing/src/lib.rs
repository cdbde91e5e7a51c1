//! CMS for Apple MDM: sign, verify, encrypt and decrypt configuration profiles, and verify
//! the `Mdm-Signature` header devices put on check-in and command-response requests.
//!
//! OpenSSL (through the `openssl` crate) does every cryptographic operation and all X.509
//! path validation. The crate does no I/O: bytes go in, bytes come out, and time is a
//! parameter of the [`TrustPolicy`].
//!
//! | task | call |
//! | --- | --- |
//! | load a key, a certificate chain or a PKCS#12 file | [`PrivateKey`], [`Certificate`], [`Identity`] |
//! | sign a profile | [`Signer`], [`sign`] |
//! | verify a signed profile | [`verify`] with a [`TrustPolicy`] |
//! | encrypt / decrypt `PayloadContent` | [`encrypt_payloads`], [`decrypt_payloads`] |
//! | check an `Mdm-Signature` header | [`verify_mdm_signature`] |
//! | client certificate from a proxy header | [`certificate_from_proxy_header`] |
//! | read or write DER below the CMS level (low level, bounded) | [`der`] |
//!
//! ```
//! use mdm_signing::{Identity, PrivateKey, Signer, TrustPolicy, sign, verify};
//!
//! # fn main() -> Result<(), mdm_signing::Error> {
//! let identity = Identity::self_signed("Example MDM", PrivateKey::generate_p256()?, 30)?;
//! let anchor = identity.certificate().clone();
//! let signer = Signer::new(identity)?;
//!
//! let profile = b"<plist version=\"1.0\"><dict/></plist>";
//! let signed = sign(profile, &signer)?;
//!
//! let verified = verify(&signed, &TrustPolicy::with_anchors([anchor]))?;
//! assert_eq!(verified.content(), profile);
//!
//! // A changed byte never yields different content.
//! let mut bad = signed.clone();
//! let last = bad.len() - 1;
//! bad[last] ^= 1;
//! assert!(verify(&bad, &TrustPolicy::signature_only()).is_err());
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod algorithms;
pub mod der;
mod envelope;
mod error;
mod fast;
mod keys;
mod mdm_signature;
mod signed;
mod trust;

/// The OpenSSL crate this one is built on, for callers that use the `as_openssl()`
/// accessors.
pub use openssl;

pub use crate::envelope::{
    ContentCipher, ENCRYPTED_PAYLOAD_CONTENT, EnvelopeInfo, PAYLOAD_CONTENT, decrypt,
    decrypt_payloads, encrypt, encrypt_payloads, encrypt_payloads_with, inspect_envelope,
};
pub use crate::error::{ChainFailure, Error};
pub use crate::fast::CERTIFICATE_CACHE_ENTRIES;
pub use crate::keys::{Certificate, Identity, KeyKind, MAX_KEY_FILE_BYTES, PrivateKey};
pub use crate::mdm_signature::{
    MAX_HEADER_BYTES, certificate_from_proxy_header, decode_mdm_signature_header,
    verify_mdm_signature, verify_mdm_signature_der,
};
pub use crate::signed::{
    MAX_SIGNED_BYTES, Signer, Verified, certificates_unverified, content_unverified, sign, verify,
    verify_detached,
};
pub use crate::trust::{DEFAULT_MAX_DEPTH, TrustPolicy};
/// The date type of [`TrustPolicy::at_time`] and the certificate accessors.
pub use chrono::{DateTime, Utc};
