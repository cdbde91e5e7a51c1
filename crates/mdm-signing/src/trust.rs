//! What a verifier trusts: anchors, system roots, the verification time and the purpose
//! check.

use chrono::{DateTime, Utc};
use openssl::stack::Stack;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};
use openssl::x509::{X509, X509PurposeId, X509StoreContext, X509VerifyResult};

use crate::error::{ChainFailure, Error, crypto};
use crate::keys::Certificate;

/// Default longest chain accepted (signer, intermediates and anchor).
pub const DEFAULT_MAX_DEPTH: u32 = 8;

/// The rules a signature's certificate chain is checked against.
///
/// [`TrustPolicy::new`] trusts nothing until anchors are added (or
/// [`TrustPolicy::use_system_roots`] is set), checks at the current time and requires the
/// signer certificate to be fit for S/MIME signing, like `openssl cms -verify`.
/// [`TrustPolicy::signature_only`] checks no chain at all: the caller must then decide
/// whether to trust the returned signer certificate itself (as an MDM server does when it
/// compares the Mdm-Signature certificate with the one the device enrolled with).
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    anchors: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    system_roots: bool,
    at: Option<DateTime<Utc>>,
    check_purpose: bool,
    check_chain: bool,
    ignore_critical: bool,
    max_depth: u32,
}

impl Default for TrustPolicy {
    fn default() -> Self {
        TrustPolicy::new()
    }
}

impl TrustPolicy {
    /// A policy with no anchors, no system roots, the current time, the S/MIME purpose
    /// check on and a depth limit of [`DEFAULT_MAX_DEPTH`].
    pub fn new() -> Self {
        TrustPolicy {
            anchors: Vec::new(),
            intermediates: Vec::new(),
            system_roots: false,
            at: None,
            check_purpose: true,
            check_chain: true,
            ignore_critical: false,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// A policy that trusts these anchors (otherwise as [`TrustPolicy::new`]).
    pub fn with_anchors(anchors: impl IntoIterator<Item = Certificate>) -> Self {
        let mut p = TrustPolicy::new();
        p.anchors.extend(anchors);
        p
    }

    /// A policy that checks the signature and the content digest only, and no certificate
    /// chain, validity period or purpose. The signer certificate is returned for the
    /// caller to judge.
    pub fn signature_only() -> Self {
        let mut p = TrustPolicy::new();
        p.check_chain = false;
        p
    }

    /// Adds a trust anchor (a root, or any certificate the caller trusts outright).
    #[must_use]
    pub fn add_anchor(mut self, anchor: Certificate) -> Self {
        self.anchors.push(anchor);
        self
    }

    /// Adds an untrusted intermediate that may help build a chain when the signed data
    /// does not carry it.
    #[must_use]
    pub fn add_intermediate(mut self, cert: Certificate) -> Self {
        self.intermediates.push(cert);
        self
    }

    /// Also trusts the operating system's roots (OpenSSL's default paths). Default: off.
    #[must_use]
    pub fn use_system_roots(mut self, on: bool) -> Self {
        self.system_roots = on;
        self
    }

    /// Checks validity periods at this time instead of now. Default: the current time.
    #[must_use]
    pub fn at_time(mut self, at: DateTime<Utc>) -> Self {
        self.at = Some(at);
        self
    }

    /// Requires the signer certificate to allow S/MIME signing (key usage and extended key
    /// usage), as `openssl cms -verify` does. Default: on. Apple's profile-signing
    /// certificates carry no S/MIME usage, so their profiles verify only with this off.
    #[must_use]
    pub fn check_purpose(mut self, on: bool) -> Self {
        self.check_purpose = on;
        self
    }

    /// Accepts certificates with critical extensions OpenSSL does not know (Apple's
    /// developer certificates carry one). Default: off, such a chain fails with
    /// [`ChainFailure::Other`] code 34.
    #[must_use]
    pub fn allow_unknown_critical_extensions(mut self, on: bool) -> Self {
        self.ignore_critical = on;
        self
    }

    /// Longest chain accepted, counting signer and anchor. Default: [`DEFAULT_MAX_DEPTH`].
    #[must_use]
    pub fn max_depth(mut self, depth: u32) -> Self {
        self.max_depth = depth;
        self
    }

    /// Whether the chain is checked at all (false only for
    /// [`TrustPolicy::signature_only`]).
    pub fn checks_chain(&self) -> bool {
        self.check_chain
    }

    /// The trust anchors.
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    /// Validates `leaf` with `extra` as untrusted helpers and returns the chain from the
    /// leaf to the anchor.
    pub(crate) fn verify_chain(
        &self,
        leaf: &Certificate,
        extra: &[Certificate],
    ) -> Result<Vec<Certificate>, Error> {
        let store = self.store()?;
        let mut untrusted = Stack::<X509>::new().map_err(crypto)?;
        for c in extra.iter().chain(self.intermediates.iter()) {
            untrusted.push(c.as_openssl().to_owned()).map_err(crypto)?;
        }
        let mut ctx = X509StoreContext::new().map_err(crypto)?;
        let outcome = ctx
            .init(&store, leaf.as_openssl(), &untrusted, |c| {
                let ok = c.verify_cert()?;
                if ok {
                    let chain = c
                        .chain()
                        .map(|s| s.iter().map(|x| Certificate::from(x.to_owned())).collect())
                        .unwrap_or_default();
                    Ok(Ok(chain))
                } else {
                    Ok(Err(c.error()))
                }
            })
            .map_err(crypto)?;
        outcome.map_err(|e| Error::Chain(chain_failure(e)))
    }

    fn store(&self) -> Result<X509Store, Error> {
        let mut builder = X509StoreBuilder::new().map_err(crypto)?;
        for a in &self.anchors {
            builder
                .add_cert(a.as_openssl().to_owned())
                .map_err(crypto)?;
        }
        if self.system_roots {
            builder.set_default_paths().map_err(crypto)?;
        }
        let mut param = X509VerifyParam::new().map_err(crypto)?;
        if let Some(at) = self.at {
            // time_t is 64-bit on every platform OpenSSL 3 supports.
            #[allow(clippy::useless_conversion)]
            let t = at
                .timestamp()
                .try_into()
                .map_err(|_| Error::Crypto("verification time out of range".to_owned()))?;
            param.set_time(t);
        }
        param.set_depth(i32::try_from(self.max_depth).unwrap_or(i32::MAX));
        if self.check_purpose {
            param
                .set_purpose(X509PurposeId::SMIME_SIGN)
                .map_err(crypto)?;
        }
        if self.ignore_critical {
            param
                .set_flags(X509VerifyFlags::IGNORE_CRITICAL)
                .map_err(crypto)?;
        }
        builder.set_param(&param).map_err(crypto)?;
        Ok(builder.build())
    }
}

fn chain_failure(e: X509VerifyResult) -> ChainFailure {
    // Codes from OpenSSL's x509_vfy.h (stable across 1.1 and 3.x).
    match e.as_raw() {
        9 => ChainFailure::NotYetValid,
        10 => ChainFailure::Expired,
        2 | 18 | 19 | 20 | 21 => ChainFailure::UntrustedRoot,
        26 => ChainFailure::InvalidPurpose,
        7 => ChainFailure::BadCertificateSignature,
        22 => ChainFailure::TooLong,
        code => ChainFailure::Other {
            code,
            message: e.error_string().to_owned(),
        },
    }
}
