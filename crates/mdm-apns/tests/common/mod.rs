//! The APNs stand-in (test PKI and nginx) lives in mdm-testsupport, shared with the example
//! server's push test; this adds what needs mdm-apns itself.
#![allow(dead_code, unused_imports, unreachable_pub, clippy::unwrap_used)]

pub use mdm_testsupport::apns::{Pki, TOPIC, client_cert, client_cert_v1, nginx, rsa_key};

/// The push identity of the test PKI's client certificate.
pub trait PkiExt {
    fn identity(&self) -> mdm_apns::PushIdentity;
}

impl PkiExt for Pki {
    fn identity(&self) -> mdm_apns::PushIdentity {
        mdm_apns::PushIdentity::from_pem(&self.client_pem(), &self.client_key_pkcs8()).unwrap()
    }
}
