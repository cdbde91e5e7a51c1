//! The client's rustls configuration.
//!
//! The identity is handed to rustls as a ready-made [`CertifiedKey`] rather than through
//! `with_client_auth_cert`: that call parses the leaf with webpki to check it against the key,
//! and webpki accepts only X.509 v3, so a v1 certificate (what `openssl x509 -req` issues when
//! no extensions are asked for) would be refused before any connection with
//! `UnsupportedCertVersion`. Certificate authorities and APNs stand-ins accept such
//! certificates, and `mdm-signing` has already checked that the key matches the certificate,
//! so rustls is given the certificate as it is and signs with the key.
//!
//! The rest is the usual client setup: the aws-lc-rs provider, TLS 1.2 and 1.3, ALPN `h2`,
//! and either the platform's verifier or, when roots are given, only those roots.

use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, SingleCertAndKey};

use crate::error::Error;
use crate::identity::PushIdentity;

/// The TLS configuration for pushes with `identity`, trusting `roots` (PEM bundles) instead of
/// the platform's roots when there are any.
pub(crate) fn client_config(
    identity: &PushIdentity,
    roots: &[Vec<u8>],
) -> Result<rustls::ClientConfig, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("tls: {e}")))?;
    let builder = if roots.is_empty() {
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone())
            .map_err(|e| Error::Config(format!("tls: platform verifier: {e}")))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
    } else {
        builder.with_root_certificates(root_store(roots)?)
    };
    let mut config = builder.with_client_cert_resolver(resolver(identity, &provider)?);
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}

/// The identity as rustls's one-certificate resolver: leaf first, then the chain.
fn resolver(
    identity: &PushIdentity,
    provider: &CryptoProvider,
) -> Result<Arc<dyn ResolvesClientCert>, Error> {
    let inner = identity.identity();
    let mut chain = vec![CertificateDer::from(identity.certificate_der()?)];
    for cert in inner.chain() {
        chain.push(CertificateDer::from(cert.to_der()?));
    }
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(inner.key().to_pkcs8_der()?));
    let key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| Error::Config(format!("identity refused: the key: {e}")))?;
    Ok(Arc::new(SingleCertAndKey::from(CertifiedKey::new(
        chain, key,
    ))))
}

/// Every certificate of the PEM bundles; each bundle must hold at least one.
fn root_store(roots: &[Vec<u8>]) -> Result<rustls::RootCertStore, Error> {
    let mut store = rustls::RootCertStore::empty();
    for pem in roots {
        let certs = openssl::x509::X509::stack_from_pem(pem)
            .map_err(|e| Error::Config(format!("bad root certificate: {e}")))?;
        if certs.is_empty() {
            return Err(Error::Config("no root certificate in the PEM".to_owned()));
        }
        for cert in certs {
            let der = cert
                .to_der()
                .map_err(|e| Error::Config(format!("bad root certificate: {e}")))?;
            store
                .add(CertificateDer::from(der))
                .map_err(|e| Error::Config(format!("bad root certificate: {e}")))?;
        }
    }
    Ok(store)
}
