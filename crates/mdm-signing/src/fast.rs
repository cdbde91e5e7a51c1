//! The fast path of [`crate::verify`] and its siblings, for the common shape: one signer
//! named by issuer and serial number, RSA PKCS #1 v1.5 or ECDSA, signed attributes holding
//! the content type and message digest, the signer certificate carried in the structure.
//!
//! The SignedData is read with the crate's DER reader, the content digest compared, and the
//! signature checked with a public key taken from a small cache keyed by the certificate's
//! bytes (devices send the same certificate on every check-in, so its key is decoded once).
//!
//! The fast path only ever says "verified". Whenever the structure has another shape, or a
//! check fails, it answers `None` and the caller runs the full OpenSSL path, which then
//! accepts or refuses with its typed error exactly as before. So it cannot accept anything
//! the full path refuses (it checks a subset of shapes with the same checks), and errors
//! are unchanged.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{Id, PKey, Public};
use openssl::sign::Verifier;

use crate::der::{self, Tlv};
use crate::keys::Certificate;

/// Most certificates whose decoded public key is kept for the fast path (1,024). When the
/// cache is full it is emptied and refilled, which bounds its memory to about the size of
/// that many certificates.
pub const CERTIFICATE_CACHE_ENTRIES: usize = 1024;

const W: &str = "signed data";

const SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const CONTENT_TYPE_ATTR: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const MESSAGE_DIGEST_ATTR: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// A digest the fast path knows, with the signature algorithm identifiers that name it.
struct DigestKind {
    oid: &'static [u8],
    with_rsa: &'static [u8],
    with_ecdsa: &'static [u8],
    md: fn() -> MessageDigest,
}

const DIGEST_KINDS: &[DigestKind] = &[
    DigestKind {
        oid: &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
        with_rsa: &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
        with_ecdsa: &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
        md: MessageDigest::sha256,
    },
    DigestKind {
        oid: &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
        with_rsa: &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c],
        with_ecdsa: &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
        md: MessageDigest::sha384,
    },
    DigestKind {
        oid: &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03],
        with_rsa: &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d],
        with_ecdsa: &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04],
        md: MessageDigest::sha512,
    },
    DigestKind {
        oid: &[0x2b, 0x0e, 0x03, 0x02, 0x1a],
        with_rsa: &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05],
        with_ecdsa: &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01],
        md: MessageDigest::sha1,
    },
];

/// A carried certificate with its public key decoded.
struct Known {
    certificate: Certificate,
    key: PKey<Public>,
}

static CACHE: LazyLock<Mutex<HashMap<Vec<u8>, Arc<Known>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The certificate and public key for this DER, decoded once while it stays in the cache.
fn known(der_bytes: &[u8]) -> Option<Arc<Known>> {
    if let Ok(cache) = CACHE.lock()
        && let Some(found) = cache.get(der_bytes)
    {
        return Some(Arc::clone(found));
    }
    let certificate = Certificate::from_der(der_bytes).ok()?;
    let key = certificate.as_openssl().public_key().ok()?;
    let entry = Arc::new(Known { certificate, key });
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CERTIFICATE_CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(der_bytes.to_vec(), Arc::clone(&entry));
    }
    Some(entry)
}

/// What a successful fast verification returns: the content, the signer certificate and
/// every carried certificate.
pub(crate) type FastVerified = (Vec<u8>, Certificate, Vec<Certificate>);

/// Verifies `signed` on the fast path, or says `None` when the full path must decide.
pub(crate) fn verify(signed: &[u8], detached: Option<&[u8]>) -> Option<FastVerified> {
    let (ci, _) = Tlv::parse(signed, W).ok()?;
    if ci.tag != der::SEQUENCE {
        return None;
    }
    let mut r = ci.reader();
    if r.next(der::OID, W).ok()?.value != SIGNED_DATA {
        return None;
    }
    let sd = r
        .next(der::CTX0, W)
        .ok()?
        .reader()
        .next(der::SEQUENCE, W)
        .ok()?;
    let mut f = sd.reader();
    f.next(der::INTEGER, W).ok()?;
    f.next(der::SET, W).ok()?;
    let encap = f.next(der::SEQUENCE, W).ok()?;
    let mut e = encap.reader();
    let content_type = e.next(der::OID, W).ok()?;
    let embedded = match e.optional(der::CTX0, W).ok()? {
        Some(explicit) => {
            let octets = explicit.reader().next_any(W).ok()??;
            if octets.tag != der::OCTET_STRING && octets.tag != 0x24 {
                return None;
            }
            Some(octets.octets(W).ok()?)
        }
        None => None,
    };
    let content = match (detached, embedded) {
        (Some(d), None) => d.to_vec(),
        (None, Some(c)) => c,
        _ => return None,
    };
    let mut carried = Vec::new();
    if let Some(certs) = f.optional(der::CTX0, W).ok()? {
        for c in certs.children(W).ok()? {
            if c.tag != der::SEQUENCE {
                return None;
            }
            carried.push(c.raw);
        }
    }
    f.optional(der::CTX1, W).ok()?;
    let signer_infos = f.next(der::SET, W).ok()?.children(W).ok()?;
    if f.next_any(W).ok()?.is_some() {
        return None;
    }
    let [signer_info] = signer_infos.as_slice() else {
        return None;
    };

    let mut s = signer_info.reader();
    s.next(der::INTEGER, W).ok()?;
    let sid = s.next(der::SEQUENCE, W).ok()?;
    let mut sid_fields = sid.reader();
    let issuer = sid_fields.next(der::SEQUENCE, W).ok()?;
    let serial = sid_fields.next(der::INTEGER, W).ok()?;
    let digest_oid = s
        .next(der::SEQUENCE, W)
        .ok()?
        .reader()
        .next(der::OID, W)
        .ok()?;
    let attrs = s.optional(der::CTX0, W).ok()?;
    let sig_oid = s
        .next(der::SEQUENCE, W)
        .ok()?
        .reader()
        .next(der::OID, W)
        .ok()?;
    let signature = s.next(der::OCTET_STRING, W).ok()?;

    let kind = DIGEST_KINDS.iter().find(|k| k.oid == digest_oid.value)?;
    let md = (kind.md)();
    let signer_der = carried
        .iter()
        .copied()
        .find(|c| names_signer(c, issuer.raw, serial.value) == Some(true))?;
    let signer = known(signer_der)?;
    let key_fits = match signer.key.id() {
        Id::RSA => sig_oid.value == RSA_ENCRYPTION || sig_oid.value == kind.with_rsa,
        Id::EC => sig_oid.value == EC_PUBLIC_KEY || sig_oid.value == kind.with_ecdsa,
        _ => false,
    };
    if !key_fits {
        return None;
    }

    let mut verifier = Verifier::new(md, &signer.key).ok()?;
    let good = match attrs {
        Some(attrs) => {
            if !attributes_match(&attrs, content_type.value, md, &content)? {
                return None;
            }
            // The signature covers the attributes encoded as a SET OF, not with the
            // implicit [0] tag they carry in the SignerInfo.
            let (_, rest) = attrs.raw.split_first()?;
            verifier.update(&[der::SET]).ok()?;
            verifier.update(rest).ok()?;
            verifier.verify(signature.value).ok()?
        }
        None => verifier.verify_oneshot(signature.value, &content).ok()?,
    };
    if !good {
        return None;
    }
    let mut certificates = Vec::with_capacity(carried.len());
    for c in &carried {
        if *c == signer_der {
            certificates.push(signer.certificate.clone());
        } else {
            certificates.push(known(c)?.certificate.clone());
        }
    }
    Some((content, signer.certificate.clone(), certificates))
}

/// Says whether the certificate `cert` has this issuer name (DER) and serial number.
fn names_signer(cert: &[u8], issuer: &[u8], serial: &[u8]) -> Option<bool> {
    let (c, _) = Tlv::parse(cert, W).ok()?;
    let tbs = c.reader().next(der::SEQUENCE, W).ok()?;
    let mut t = tbs.reader();
    t.optional(der::CTX0, W).ok()?;
    let cert_serial = t.next(der::INTEGER, W).ok()?;
    t.next(der::SEQUENCE, W).ok()?;
    let cert_issuer = t.next(der::SEQUENCE, W).ok()?;
    Some(cert_serial.value == serial && cert_issuer.raw == issuer)
}

/// Checks the signed attributes: exactly one content type equal to the encapsulated one,
/// and exactly one message digest equal to the content's digest.
fn attributes_match(
    attrs: &Tlv<'_>,
    content_type: &[u8],
    md: MessageDigest,
    content: &[u8],
) -> Option<bool> {
    if attrs.tag != der::CTX0 {
        return None;
    }
    let mut seen_type = false;
    let mut seen_digest = false;
    for attr in attrs.children(W).ok()? {
        let mut a = attr.expect(der::SEQUENCE, W).ok()?.reader();
        let oid = a.next(der::OID, W).ok()?;
        let values = a.next(der::SET, W).ok()?.children(W).ok()?;
        if oid.value == CONTENT_TYPE_ATTR {
            let [value] = values.as_slice() else {
                return Some(false);
            };
            if seen_type || value.tag != der::OID || value.value != content_type {
                return Some(false);
            }
            seen_type = true;
        } else if oid.value == MESSAGE_DIGEST_ATTR {
            let [value] = values.as_slice() else {
                return Some(false);
            };
            let digest = hash(md, content).ok()?;
            if seen_digest || value.tag != der::OCTET_STRING || value.value != &*digest {
                return Some(false);
            }
            seen_digest = true;
        }
    }
    Some(seen_type && seen_digest)
}
