//! Device identity: which certificate sent a request, and whether it is one of ours.
//!
//! The certificate comes from the `Mdm-Signature` header (a detached CMS signature over the
//! body, sent when the MDM payload sets `SignMessage`) or, behind a TLS-terminating proxy,
//! from a header the proxy sets. Either way it must be issued by the server's CA and be
//! within its validity period. Binding it to an enrollment is the service's job.

use axum::http::HeaderMap;
use mdm_signing::{Certificate, Identity, TrustPolicy};

/// A request's device certificate, checked against the CA.
#[derive(Debug, Clone)]
pub struct DeviceIdentity {
    /// The certificate.
    pub certificate: Certificate,
    /// SHA-256 fingerprint, lower-case hex.
    pub fingerprint: String,
}

/// Finds and checks the device certificate of a request.
#[derive(Debug, Clone)]
pub struct CertAuth {
    ca: Certificate,
    policy: TrustPolicy,
    proxy_header: Option<String>,
}

/// The header a device signs its requests in.
pub const MDM_SIGNATURE: &str = "mdm-signature";

impl CertAuth {
    /// Trusts certificates issued by `ca`; reads them from `proxy_header` when set,
    /// from `Mdm-Signature` otherwise.
    pub fn new(ca: &Identity, proxy_header: Option<String>) -> Self {
        let mut policy = TrustPolicy::with_anchors([ca.certificate().clone()]);
        // Device identities carry clientAuth, not the S/MIME purpose.
        policy = policy.check_purpose(false);
        CertAuth {
            ca: ca.certificate().clone(),
            policy,
            proxy_header: proxy_header.map(|h| h.to_ascii_lowercase()),
        }
    }

    /// The device certificate of a request with this body.
    ///
    /// # Errors
    /// A one-line reason: no header, a signature that does not verify over the body, or a
    /// certificate the CA did not issue or that is expired.
    pub fn identify(&self, headers: &HeaderMap, body: &[u8]) -> Result<DeviceIdentity, String> {
        let certificate = match &self.proxy_header {
            Some(name) => {
                let value = header_str(headers, name)?;
                let cert = mdm_signing::certificate_from_proxy_header(value)
                    .map_err(|e| format!("{name}: {e}"))?;
                self.check_issued(&cert)?;
                cert
            }
            None => {
                let value = header_str(headers, MDM_SIGNATURE)?;
                mdm_signing::verify_mdm_signature(value, body, &self.policy)
                    .map_err(|e| format!("Mdm-Signature: {e}"))?
                    .signer()
                    .clone()
            }
        };
        let fingerprint = certificate
            .sha256_fingerprint()
            .map_err(|e| format!("certificate: {e}"))?;
        Ok(DeviceIdentity {
            certificate,
            fingerprint,
        })
    }

    /// Checks that the CA signed `cert` and that it is valid now.
    ///
    /// # Errors
    /// A one-line reason.
    pub fn check_issued(&self, cert: &Certificate) -> Result<(), String> {
        let ca_key = self
            .ca
            .as_openssl()
            .public_key()
            .map_err(|e| format!("CA key: {e}"))?;
        let signed_by_ca = cert.as_openssl().verify(&ca_key).unwrap_or(false);
        if !signed_by_ca || cert.issuer() != self.ca.subject() {
            return Err("certificate not issued by this server's CA".into());
        }
        let now = chrono::Utc::now();
        let valid = cert.not_before().is_some_and(|t| t <= now)
            && cert.not_after().is_some_and(|t| now <= t);
        if !valid {
            return Err("certificate outside its validity period".into());
        }
        Ok(())
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, String> {
    let value = headers
        .get(name)
        .ok_or_else(|| format!("no {name} header"))?;
    value
        .to_str()
        .map_err(|_| format!("{name} header is not ASCII"))
}
