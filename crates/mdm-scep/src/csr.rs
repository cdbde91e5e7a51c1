//! PKCS#10 certificate requests (RFC 2986) as SCEP carries them: subject, subject
//! alternative names, key usage, and the `challengePassword` attribute that most SCEP
//! servers check (RFC 8894, section 2.2).
//!
//! OpenSSL builds the request body and extensions; the challenge attribute, which its safe
//! API cannot add, is inserted here and the body signed again with the same key.

use std::net::IpAddr;

use openssl::nid::Nid;
use openssl::sign::Signer;
use openssl::stack::Stack;
use openssl::x509::extension::{ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509NameBuilder, X509Req, X509ReqBuilder};

use mdm_signing::{Certificate, Identity, PrivateKey};

use crate::asn1::{self, Tlv, oids};
use crate::envelope::Digest;
use crate::error::{Error, crypto};

/// Largest CSR read (64 KiB).
pub const MAX_CSR_BYTES: usize = 64 * 1024;

/// Key usages a CSR can ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyUsageRequest {
    /// `digitalSignature`.
    pub digital_signature: bool,
    /// `keyEncipherment`.
    pub key_encipherment: bool,
    /// Extended key usage `clientAuth`.
    pub client_auth: bool,
}

impl KeyUsageRequest {
    /// digitalSignature + keyEncipherment + clientAuth: what an MDM device identity needs.
    pub fn device_identity() -> Self {
        KeyUsageRequest {
            digital_signature: true,
            key_encipherment: true,
            client_auth: true,
        }
    }
}

/// Builds a CSR.
#[derive(Debug, Clone)]
pub struct CsrBuilder {
    subject: Vec<(Nid, String)>,
    dns_names: Vec<String>,
    emails: Vec<String>,
    uris: Vec<String>,
    ips: Vec<IpAddr>,
    key_usage: Option<KeyUsageRequest>,
    challenge: Option<String>,
    digest: Digest,
}

impl CsrBuilder {
    /// A request for this common name, SHA-256 signed, without other fields.
    pub fn new(common_name: &str) -> Self {
        CsrBuilder {
            subject: vec![(Nid::COMMONNAME, common_name.to_owned())],
            dns_names: Vec::new(),
            emails: Vec::new(),
            uris: Vec::new(),
            ips: Vec::new(),
            key_usage: None,
            challenge: None,
            digest: Digest::Sha256,
        }
    }

    /// Adds an organization (`O`). Default: none.
    #[must_use]
    pub fn organization(mut self, o: &str) -> Self {
        self.subject
            .insert(0, (Nid::ORGANIZATIONNAME, o.to_owned()));
        self
    }

    /// Adds an organizational unit (`OU`). Default: none.
    #[must_use]
    pub fn organizational_unit(mut self, ou: &str) -> Self {
        self.subject
            .insert(0, (Nid::ORGANIZATIONALUNITNAME, ou.to_owned()));
        self
    }

    /// Adds a country (`C`, two letters). Default: none.
    #[must_use]
    pub fn country(mut self, c: &str) -> Self {
        self.subject.insert(0, (Nid::COUNTRYNAME, c.to_owned()));
        self
    }

    /// Adds a DNS subject alternative name. Default: none.
    #[must_use]
    pub fn dns_name(mut self, name: &str) -> Self {
        self.dns_names.push(name.to_owned());
        self
    }

    /// Adds an email (rfc822Name) subject alternative name. Default: none.
    #[must_use]
    pub fn email(mut self, email: &str) -> Self {
        self.emails.push(email.to_owned());
        self
    }

    /// Adds a URI subject alternative name. Default: none.
    #[must_use]
    pub fn uri(mut self, uri: &str) -> Self {
        self.uris.push(uri.to_owned());
        self
    }

    /// Adds an IP address subject alternative name. Default: none.
    #[must_use]
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ips.push(ip);
        self
    }

    /// Asks for key usages. Default: none requested (the CA decides).
    #[must_use]
    pub fn key_usage(mut self, usage: KeyUsageRequest) -> Self {
        self.key_usage = Some(usage);
        self
    }

    /// Sets the challengePassword. Default: none.
    #[must_use]
    pub fn challenge_password(mut self, challenge: &str) -> Self {
        self.challenge = Some(challenge.to_owned());
        self
    }

    /// Sets the signature digest. Default: SHA-256.
    #[must_use]
    pub fn digest(mut self, digest: Digest) -> Self {
        self.digest = digest;
        self
    }

    /// Builds and signs the request with `key`.
    ///
    /// # Errors
    /// [`Error::Csr`] when a field is refused by OpenSSL (bad country code, bad name).
    pub fn build(&self, key: &PrivateKey) -> Result<Csr, Error> {
        let e = |what: &str| {
            let what = what.to_owned();
            move |err: openssl::error::ErrorStack| Error::Csr(format!("{what}: {err}"))
        };
        let mut name = X509NameBuilder::new().map_err(crypto)?;
        for (nid, v) in &self.subject {
            name.append_entry_by_nid(*nid, v).map_err(e("subject"))?;
        }
        let name = name.build();
        let mut b = X509ReqBuilder::new().map_err(crypto)?;
        b.set_version(0).map_err(crypto)?;
        b.set_subject_name(&name).map_err(crypto)?;
        b.set_pubkey(key.as_openssl()).map_err(e("public key"))?;
        let mut exts = Stack::new().map_err(crypto)?;
        let has_san = !(self.dns_names.is_empty()
            && self.emails.is_empty()
            && self.uris.is_empty()
            && self.ips.is_empty());
        if has_san {
            let mut san = SubjectAlternativeName::new();
            for d in &self.dns_names {
                san.dns(d);
            }
            for m in &self.emails {
                san.email(m);
            }
            for u in &self.uris {
                san.uri(u);
            }
            for ip in &self.ips {
                san.ip(&ip.to_string());
            }
            let ext = san
                .build(&b.x509v3_context(None))
                .map_err(e("subject alternative name"))?;
            exts.push(ext).map_err(crypto)?;
        }
        if let Some(ku) = self.key_usage {
            if ku.digital_signature || ku.key_encipherment {
                let mut k = KeyUsage::new();
                k.critical();
                if ku.digital_signature {
                    k.digital_signature();
                }
                if ku.key_encipherment {
                    k.key_encipherment();
                }
                exts.push(k.build().map_err(e("key usage"))?)
                    .map_err(crypto)?;
            }
            if ku.client_auth {
                exts.push(
                    ExtendedKeyUsage::new()
                        .client_auth()
                        .build()
                        .map_err(e("extended key usage"))?,
                )
                .map_err(crypto)?;
            }
        }
        if !exts.is_empty() {
            b.add_extensions(&exts).map_err(e("extensions"))?;
        }
        b.sign(key.as_openssl(), self.digest.openssl())
            .map_err(e("signature"))?;
        let der = b.build().to_der().map_err(crypto)?;
        let der = match &self.challenge {
            // OpenSSL cannot encode an unsigned request, so the one it signed is the
            // template, signed again once the challenge is in.
            Some(c) => add_challenge(&der, c, key, self.digest)?,
            None => der,
        };
        Csr::from_der(&der)
    }
}

/// Inserts a challengePassword attribute into a signed CSR and signs it again.
fn add_challenge(
    der: &[u8],
    challenge: &str,
    key: &PrivateKey,
    digest: Digest,
) -> Result<Vec<u8>, Error> {
    const W: &str = "csr";
    let req = Tlv::parse_all(der, W)?.expect(asn1::SEQUENCE, W)?;
    let cri = req.reader().next(asn1::SEQUENCE, W)?;
    let mut r = cri.reader();
    let version = r.next(asn1::INTEGER, W)?;
    let subject = r.next(asn1::SEQUENCE, W)?;
    let spki = r.next(asn1::SEQUENCE, W)?;
    let mut attrs: Vec<Vec<u8>> = match r.optional(asn1::CTX0, W)? {
        Some(a) => a.children(W)?.iter().map(|t| t.raw.to_vec()).collect(),
        None => Vec::new(),
    };
    let printable = challenge
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    let value = if printable {
        asn1::tlv(asn1::PRINTABLE_STRING, challenge.as_bytes())
    } else {
        asn1::tlv(asn1::UTF8_STRING, challenge.as_bytes())
    };
    attrs.push(asn1::seq(&[
        &asn1::oid(oids::CHALLENGE_PASSWORD),
        &asn1::tlv(asn1::SET, &value),
    ]));
    attrs.sort();
    let cri = asn1::seq(&[
        version.raw,
        subject.raw,
        spki.raw,
        &asn1::tlv(asn1::CTX0, &attrs.concat()),
    ]);
    let pkey = key.as_openssl();
    let mut s = Signer::new(digest.openssl(), pkey).map_err(crypto)?;
    s.update(&cri).map_err(crypto)?;
    let mut sig = vec![0u8];
    sig.extend(s.sign_to_vec().map_err(crypto)?);
    let alg = match (pkey.id(), digest) {
        (openssl::pkey::Id::EC, Digest::Sha1) => asn1::alg_id(oids::ECDSA_SHA1, false),
        (openssl::pkey::Id::EC, Digest::Sha256) => asn1::alg_id(oids::ECDSA_SHA256, false),
        (openssl::pkey::Id::EC, Digest::Sha512) => asn1::alg_id(oids::ECDSA_SHA512, false),
        (_, Digest::Sha1) => asn1::alg_id(oids::SHA1_WITH_RSA, true),
        (_, Digest::Sha256) => asn1::alg_id(oids::SHA256_WITH_RSA, true),
        (_, Digest::Sha512) => asn1::alg_id(oids::SHA512_WITH_RSA, true),
    };
    Ok(asn1::seq(&[&cri, &alg, &asn1::tlv(asn1::BIT_STRING, &sig)]))
}

/// A PKCS#10 request whose self-signature verified.
#[derive(Clone)]
pub struct Csr {
    der: Vec<u8>,
    req: std::sync::Arc<X509Req>,
    challenge: Option<String>,
}

impl Csr {
    /// Reads a DER CSR and checks its self-signature.
    ///
    /// # Errors
    /// [`Error::TooLarge`], [`Error::Malformed`], [`Error::BadSignature`].
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        if der.len() > MAX_CSR_BYTES {
            return Err(Error::TooLarge {
                len: der.len(),
                limit: MAX_CSR_BYTES,
            });
        }
        let req = X509Req::from_der(der).map_err(|_| Error::malformed("csr"))?;
        let pkey = req
            .public_key()
            .map_err(|_| Error::malformed("csr public key"))?;
        if !req.verify(&pkey).unwrap_or(false) {
            return Err(Error::BadSignature);
        }
        let challenge = read_challenge(der)?;
        Ok(Csr {
            der: der.to_vec(),
            req: std::sync::Arc::new(req),
            challenge,
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The challengePassword, when present.
    pub fn challenge_password(&self) -> Option<&str> {
        self.challenge.as_deref()
    }

    /// The subject's common name, when present.
    pub fn common_name(&self) -> Option<String> {
        self.req
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .next()
            .and_then(|e| e.data().to_string().ok())
    }

    /// The subject as one line (`C=US, O=..., CN=...`).
    pub fn subject(&self) -> String {
        self.req
            .subject_name()
            .entries()
            .map(|e| {
                format!(
                    "{}={}",
                    e.object().nid().short_name().unwrap_or("?"),
                    e.data()
                        .to_string()
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot encode the key.
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        self.req
            .public_key()
            .and_then(|k| k.public_key_to_der())
            .map_err(crypto)
    }

    /// The OpenSSL request, for a CA that issues with OpenSSL.
    pub fn as_openssl(&self) -> &X509Req {
        &self.req
    }
}

impl std::fmt::Debug for Csr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The challenge is a secret: say only whether there is one.
        f.debug_struct("Csr")
            .field("subject", &self.subject())
            .field("challenge", &self.challenge.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn read_challenge(der: &[u8]) -> Result<Option<String>, Error> {
    const W: &str = "csr";
    let req = Tlv::parse_all(der, W)?.expect(asn1::SEQUENCE, W)?;
    let cri = req.reader().next(asn1::SEQUENCE, W)?;
    let mut r = cri.reader();
    r.next(asn1::INTEGER, W)?;
    r.next(asn1::SEQUENCE, W)?;
    r.next(asn1::SEQUENCE, W)?;
    let Some(attrs) = r.optional(asn1::CTX0, W)? else {
        return Ok(None);
    };
    for a in attrs.children(W)? {
        let mut ar = a.reader();
        let oid = ar.next(asn1::OID, W)?;
        if oid.value != oids::CHALLENGE_PASSWORD {
            continue;
        }
        let set = ar.next(asn1::SET, W)?;
        if let Some(v) = set.reader().next_any(W)? {
            let s =
                std::str::from_utf8(v.value).map_err(|_| Error::malformed("challengePassword"))?;
            return Ok(Some(s.to_owned()));
        }
    }
    Ok(None)
}

/// A self-signed certificate for the requester's key with the CSR's subject, valid for
/// a day from an hour ago: the signer of a first PKCSReq (RFC 8894, section 2.3).
///
/// # Errors
/// [`Error::Crypto`] when OpenSSL cannot build it; [`Error::Signing`] when the key does
/// not match the request.
pub fn self_signed_for(csr: &Csr, key: &PrivateKey, digest: Digest) -> Result<Identity, Error> {
    use openssl::asn1::Asn1Time;
    use openssl::bn::{BigNum, MsbOption};
    use openssl::x509::X509;

    let mut serial = BigNum::new().map_err(crypto)?;
    serial
        .rand(64, MsbOption::MAYBE_ZERO, false)
        .map_err(crypto)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let start = i64::try_from(now.saturating_sub(3600)).unwrap_or(0);
    let mut b = X509::builder().map_err(crypto)?;
    b.set_version(2).map_err(crypto)?;
    let serial = serial.to_asn1_integer().map_err(crypto)?;
    b.set_serial_number(&serial).map_err(crypto)?;
    b.set_subject_name(csr.req.subject_name()).map_err(crypto)?;
    b.set_issuer_name(csr.req.subject_name()).map_err(crypto)?;
    b.set_pubkey(key.as_openssl()).map_err(crypto)?;
    let not_before = Asn1Time::from_unix(start).map_err(crypto)?;
    b.set_not_before(&not_before).map_err(crypto)?;
    let not_after = Asn1Time::days_from_now(1).map_err(crypto)?;
    b.set_not_after(&not_after).map_err(crypto)?;
    b.sign(key.as_openssl(), digest.openssl()).map_err(crypto)?;
    Ok(Identity::new(
        Certificate::from(b.build()),
        key.clone(),
        Vec::new(),
    )?)
}
