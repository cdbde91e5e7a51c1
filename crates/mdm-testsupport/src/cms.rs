//! CMS SignedData made from a plan that [`arbitrary`] draws from fuzzer bytes, for the
//! structure-aware fuzz target `signed_profile_structured` and its seed replay.
//!
//! Random bytes almost never form a SignedData whose signature checks out, so a verifier
//! fed them stops at the first structural check. A [`Plan`] instead says which algorithms
//! to name, which signed attributes to carry and how to damage them, which certificates to
//! include, how to name the signer and whether the signature is the right one; [`build`]
//! then writes the DER and signs with real keys ([`Keys`]), so the verifier reaches the
//! digest and signature checks and, for the plans that are right, accepts.
//!
//! ```
//! let keys = mdm_testsupport::cms::Keys::generate().unwrap();
//! let signed = mdm_testsupport::cms::build(b"any fuzzer bytes", &keys);
//! assert_eq!(signed.first(), Some(&0x30));
//! ```

use arbitrary::{Arbitrary, Unstructured};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::error::ErrorStack;
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{RsaPssSaltlen, Signer};
use openssl::x509::extension::SubjectKeyIdentifier;
use openssl::x509::{X509, X509NameBuilder};

/// Longest list a plan may hold (extra digest algorithms, extra attributes), so that one
/// input cannot make a huge structure.
pub const MAX_LIST: usize = 8;

/// The signing keys and their self-signed certificates: RSA-1024 (small, so signing is
/// cheap; the verifier's parsing does not depend on the size) and P-256.
pub struct Keys {
    rsa: (PKey<Private>, X509),
    ec: (PKey<Private>, X509),
}

impl Keys {
    /// Makes both keys and certificates (a few milliseconds; do it once).
    ///
    /// # Errors
    /// When OpenSSL cannot make a key or a certificate.
    pub fn generate() -> Result<Self, ErrorStack> {
        let rsa = PKey::from_rsa(Rsa::generate(1024)?)?;
        let ec_group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1)?;
        let ec = PKey::from_ec_key(openssl::ec::EcKey::generate(&ec_group)?)?;
        let rsa_cert = self_signed(&rsa, "structured rsa signer", 1)?;
        let ec_cert = self_signed(&ec, "structured ec signer", 2)?;
        Ok(Keys {
            rsa: (rsa, rsa_cert),
            ec: (ec, ec_cert),
        })
    }

    /// The RSA signer's certificate (to trust it as an anchor).
    pub fn rsa_certificate(&self) -> &X509 {
        &self.rsa.1
    }

    /// The EC signer's certificate.
    pub fn ec_certificate(&self) -> &X509 {
        &self.ec.1
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { .. }")
    }
}

fn self_signed(key: &PKey<Private>, cn: &str, serial: u32) -> Result<X509, ErrorStack> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("CN", cn)?;
    let name = name.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let serial = BigNum::from_u32(serial)?.to_asn1_integer()?;
    b.set_serial_number(&serial)?;
    b.set_subject_name(&name)?;
    b.set_issuer_name(&name)?;
    b.set_pubkey(key)?;
    b.set_not_before(&*Asn1Time::days_from_now(0)?)?;
    b.set_not_after(&*Asn1Time::days_from_now(3650)?)?;
    let ski = SubjectKeyIdentifier::new().build(&b.x509v3_context(None, None))?;
    b.append_extension(ski)?;
    b.sign(key, MessageDigest::sha256())?;
    Ok(b.build())
}

/// A digest algorithm to name.
#[derive(Debug, Clone, Arbitrary)]
pub enum Alg {
    /// SHA-1.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// MD5 (refused by the verifier).
    Md5,
    /// Any OID content octets.
    Other(Vec<u8>),
}

impl Alg {
    fn oid(&self) -> Vec<u8> {
        let nist = |n: u8| vec![0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, n];
        match self {
            Alg::Sha1 => vec![0x2b, 0x0e, 0x03, 0x02, 0x1a],
            Alg::Sha256 => nist(1),
            Alg::Sha384 => nist(2),
            Alg::Sha512 => nist(3),
            Alg::Sha224 => nist(4),
            Alg::Md5 => vec![0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05],
            Alg::Other(o) => o.clone(),
        }
    }

    fn md(&self) -> MessageDigest {
        match self {
            Alg::Sha1 => MessageDigest::sha1(),
            Alg::Sha224 => MessageDigest::sha224(),
            Alg::Sha384 => MessageDigest::sha384(),
            Alg::Sha512 => MessageDigest::sha512(),
            Alg::Md5 => MessageDigest::md5(),
            Alg::Sha256 | Alg::Other(_) => MessageDigest::sha256(),
        }
    }
}

/// The signer's signature algorithm to name, and how to sign.
#[derive(Debug, Clone, Arbitrary)]
pub enum SigAlg {
    /// `rsaEncryption` (PKCS #1 v1.5), as most signers write it.
    Rsa,
    /// `sha256WithRSAEncryption`.
    Sha256Rsa,
    /// `id-RSASSA-PSS` without parameters.
    Pss,
    /// `ecdsa-with-SHA256`.
    EcdsaSha256,
    /// `ecdsa-with-SHA384`.
    EcdsaSha384,
    /// Any OID content octets.
    Other(Vec<u8>),
}

impl SigAlg {
    fn oid(&self) -> Vec<u8> {
        let pkcs1 = |n: u8| vec![0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, n];
        match self {
            SigAlg::Rsa => pkcs1(1),
            SigAlg::Sha256Rsa => pkcs1(11),
            SigAlg::Pss => pkcs1(10),
            SigAlg::EcdsaSha256 => vec![0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
            SigAlg::EcdsaSha384 => vec![0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
            SigAlg::Other(o) => o.clone(),
        }
    }
}

/// What an attribute carries.
#[derive(Debug, Clone, Arbitrary)]
pub enum AttrValue {
    /// The right value.
    Right,
    /// These bytes as the value (an OCTET STRING for the digest, an OID for the type).
    Wrong(Vec<u8>),
    /// Left out.
    Missing,
    /// The right value twice in the attribute's SET.
    Twice,
}

/// How `signingTime` is written.
#[derive(Debug, Clone, Arbitrary)]
pub enum Time {
    /// A UTCTime.
    Utc,
    /// A GeneralizedTime.
    Generalized,
    /// These bytes as a UTCTime's contents.
    Garbage(Vec<u8>),
}

/// The signed attributes.
#[derive(Debug, Clone, Arbitrary)]
pub struct Attrs {
    /// `contentType` (right: `id-data`).
    pub content_type: AttrValue,
    /// `messageDigest`.
    pub message_digest: AttrValue,
    /// `signingTime`, if any.
    pub signing_time: Option<Time>,
    /// Other attributes: OID content octets and the DER of one value.
    pub extra: Vec<(Vec<u8>, Vec<u8>)>,
    /// Keep the order written instead of sorting the SET (DER wants it sorted).
    pub unsorted: bool,
}

/// Which signature goes into the SignerInfo.
#[derive(Debug, Clone, Arbitrary)]
pub enum Sig {
    /// The real one.
    Right,
    /// The real one with one bit flipped at this index.
    Flip(u16),
    /// The real one cut to this length.
    Truncate(u16),
    /// These bytes.
    Raw(Vec<u8>),
}

/// Which certificates the SignedData carries.
#[derive(Debug, Clone, Arbitrary)]
pub enum Certs {
    /// The signer's.
    Signer,
    /// None.
    Empty,
    /// Both keys' certificates.
    Both,
    /// The other key's certificate only.
    Other,
    /// The signer's twice.
    Twice,
    /// These bytes as the only certificate.
    Garbage(Vec<u8>),
}

/// How the SignerInfo names its signer.
#[derive(Debug, Clone, Arbitrary)]
pub enum Sid {
    /// `issuerAndSerialNumber`, right.
    IssuerSerial,
    /// `issuerAndSerialNumber` with another serial number.
    WrongSerial(u32),
    /// `subjectKeyIdentifier`, right.
    Ski,
    /// `subjectKeyIdentifier` with these bytes.
    WrongSki(Vec<u8>),
}

/// Everything [`build`] varies.
#[derive(Debug, Clone, Arbitrary)]
pub struct Plan {
    /// The content (a profile, for a signed profile).
    pub content: Vec<u8>,
    /// Sign with the P-256 key instead of the RSA one.
    pub ec_key: bool,
    /// SignedData `version` (`None`: 1, or 3 with a key identifier).
    pub version: Option<u8>,
    /// The first of `digestAlgorithms`.
    pub digest: Alg,
    /// More of `digestAlgorithms`.
    pub extra_digests: Vec<Alg>,
    /// Write NULL parameters in the digest AlgorithmIdentifiers.
    pub null_params: bool,
    /// The SignerInfo's `digestAlgorithm` (`None`: as `digest`); the signature and the
    /// message digest use it.
    pub signer_digest: Option<Alg>,
    /// The SignerInfo's `signatureAlgorithm`.
    pub signature_alg: SigAlg,
    /// `eContentType` OID content octets (`None`: `id-data`).
    pub econtent_type: Option<Vec<u8>>,
    /// Leave the content out (a detached signature).
    pub detached: bool,
    /// Write the content as a constructed OCTET STRING of chunks this long (BER, as macOS
    /// tools do), if set.
    pub chunk: Option<u8>,
    /// Signed attributes (`None`: the signature covers the content itself).
    pub attrs: Option<Attrs>,
    /// The signature.
    pub signature: Sig,
    /// The certificates.
    pub certs: Certs,
    /// The signer identifier.
    pub sid: Sid,
    /// Two SignerInfos instead of one.
    pub two_signers: bool,
    /// Bytes after the ContentInfo.
    pub trailing: Vec<u8>,
}

/// Builds the SignedData `data` describes (a plan drawn with [`arbitrary`]; an input too
/// short for a whole plan is filled with defaults), signed with `keys`.
pub fn build(data: &[u8], keys: &Keys) -> Vec<u8> {
    plan(data).map(|p| build_plan(&p, keys)).unwrap_or_default()
}

/// The plan `data` draws (`None` only when [`arbitrary`] refuses the input).
pub fn plan(data: &[u8]) -> Option<Plan> {
    Plan::arbitrary(&mut Unstructured::new(data)).ok()
}

/// Builds the SignedData this plan says, signed with `keys`.
pub fn build_plan(plan: &Plan, keys: &Keys) -> Vec<u8> {
    let (key, cert, other) = if plan.ec_key {
        (&keys.ec.0, &keys.ec.1, &keys.rsa.1)
    } else {
        (&keys.rsa.0, &keys.rsa.1, &keys.ec.1)
    };
    let cert_der = cert.to_der().unwrap_or_default();
    let other_der = other.to_der().unwrap_or_default();
    let signer_digest = plan.signer_digest.as_ref().unwrap_or(&plan.digest);
    let alg = |a: &Alg| {
        let oid = tlv(0x06, &a.oid());
        if plan.null_params {
            seq(&[&oid, &[0x05, 0x00]])
        } else {
            seq(&[&oid])
        }
    };

    // The signed attributes, and what the signature covers.
    let content_digest = hash(signer_digest.md(), &plan.content)
        .map(|d| d.to_vec())
        .unwrap_or_default();
    let signed_attrs: Option<Vec<Vec<u8>>> = plan.attrs.as_ref().map(|a| {
        let mut list = Vec::new();
        let id_data = tlv(0x06, &ID_DATA);
        let ct = |v: &[u8]| tlv(0x06, v);
        if let Some(values) = attr_values(&a.content_type, &id_data, ct) {
            list.push(seq(&[
                &tlv(0x06, &PKCS9_CONTENT_TYPE),
                &cons(0x31, &values),
            ]));
        }
        let digest = tlv(0x04, &content_digest);
        let os = |v: &[u8]| tlv(0x04, v);
        if let Some(values) = attr_values(&a.message_digest, &digest, os) {
            list.push(seq(&[
                &tlv(0x06, &PKCS9_MESSAGE_DIGEST),
                &cons(0x31, &values),
            ]));
        }
        if let Some(t) = &a.signing_time {
            let value = match t {
                Time::Utc => tlv(0x17, b"260101000000Z"),
                Time::Generalized => tlv(0x18, b"20260101000000Z"),
                Time::Garbage(g) => tlv(0x17, g),
            };
            list.push(seq(&[
                &tlv(0x06, &PKCS9_SIGNING_TIME),
                &cons(0x31, &[value]),
            ]));
        }
        for (oid, value) in a.extra.iter().take(MAX_LIST) {
            list.push(seq(&[
                &tlv(0x06, oid),
                &cons(0x31, std::slice::from_ref(value)),
            ]));
        }
        if !a.unsorted {
            list.sort();
        }
        list
    });
    let to_sign = match &signed_attrs {
        Some(list) => cons(0x31, list),
        None => plan.content.clone(),
    };
    let signature = sign(key, &plan.signature_alg, signer_digest, &to_sign);
    let signature = match &plan.signature {
        Sig::Right => signature,
        Sig::Flip(i) => {
            let mut s = signature;
            let len = s.len().max(1);
            if let Some(b) = s.get_mut(usize::from(*i) % len) {
                *b ^= 1 << (i % 8);
            }
            s
        }
        Sig::Truncate(n) => signature.into_iter().take(usize::from(*n)).collect(),
        Sig::Raw(r) => r.clone(),
    };

    // The signer identifier.
    let (issuer, serial) = issuer_and_serial(&cert_der).unwrap_or_default();
    let ski = cert
        .subject_key_id()
        .map(|s| s.as_slice().to_vec())
        .unwrap_or_default();
    let (sid, uses_ski) = match &plan.sid {
        Sid::IssuerSerial => (seq(&[&issuer, &serial]), false),
        Sid::WrongSerial(n) => (seq(&[&issuer, &tlv(0x02, &n.to_be_bytes())]), false),
        Sid::Ski => (tlv(0x80, &ski), true),
        Sid::WrongSki(s) => (tlv(0x80, s), true),
    };
    let version = plan.version.unwrap_or(if uses_ski { 3 } else { 1 });
    let mut signer_info = vec![
        tlv(0x02, &[if uses_ski { 3 } else { 1 }]),
        sid,
        alg(signer_digest),
    ];
    if let Some(list) = &signed_attrs {
        signer_info.push(cons(0xa0, list));
    }
    signer_info.push(seq(&[&tlv(0x06, &plan.signature_alg.oid())]));
    signer_info.push(tlv(0x04, &signature));
    let signer_info = cons(0x30, &signer_info);
    let signer_infos = if plan.two_signers {
        cons(0x31, &[signer_info.clone(), signer_info])
    } else {
        cons(0x31, &[signer_info])
    };

    let mut digests = vec![alg(&plan.digest)];
    digests.extend(plan.extra_digests.iter().take(MAX_LIST).map(alg));
    let econtent_type = tlv(0x06, plan.econtent_type.as_deref().unwrap_or(&ID_DATA));
    let encap = if plan.detached {
        seq(&[&econtent_type])
    } else {
        let octets = match plan.chunk {
            Some(n) if n > 0 => {
                let chunks: Vec<Vec<u8>> = plan
                    .content
                    .chunks(usize::from(n))
                    .map(|c| tlv(0x04, c))
                    .collect();
                indefinite(0x24, &chunks)
            }
            _ => tlv(0x04, &plan.content),
        };
        seq(&[&econtent_type, &cons(0xa0, &[octets])])
    };
    let certificates = match &plan.certs {
        Certs::Signer => Some(vec![cert_der.clone()]),
        Certs::Empty => None,
        Certs::Both => Some(vec![cert_der.clone(), other_der]),
        Certs::Other => Some(vec![other_der]),
        Certs::Twice => Some(vec![cert_der.clone(), cert_der]),
        Certs::Garbage(g) => Some(vec![g.clone()]),
    };
    let mut signed_data = vec![tlv(0x02, &[version]), cons(0x31, &digests), encap];
    if let Some(c) = certificates {
        signed_data.push(cons(0xa0, &c));
    }
    signed_data.push(signer_infos);
    let signed_data = cons(0x30, &signed_data);
    let mut out = seq(&[&tlv(0x06, &ID_SIGNED_DATA), &cons(0xa0, &[signed_data])]);
    out.extend(&plan.trailing);
    out
}

const ID_DATA: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const ID_SIGNED_DATA: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
const PKCS9_CONTENT_TYPE: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];
const PKCS9_MESSAGE_DIGEST: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
const PKCS9_SIGNING_TIME: [u8; 9] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05];

/// The values of one attribute's SET, or `None` to leave the attribute out.
fn attr_values(
    how: &AttrValue,
    right: &[u8],
    wrong: impl Fn(&[u8]) -> Vec<u8>,
) -> Option<Vec<Vec<u8>>> {
    match how {
        AttrValue::Right => Some(vec![right.to_vec()]),
        AttrValue::Wrong(w) => Some(vec![wrong(w)]),
        AttrValue::Missing => None,
        AttrValue::Twice => Some(vec![right.to_vec(), right.to_vec()]),
    }
}

fn sign(key: &PKey<Private>, alg: &SigAlg, digest: &Alg, data: &[u8]) -> Vec<u8> {
    let run = || -> Result<Vec<u8>, ErrorStack> {
        let mut s = Signer::new(digest.md(), key)?;
        if matches!(alg, SigAlg::Pss) && key.rsa().is_ok() {
            s.set_rsa_padding(Padding::PKCS1_PSS)?;
            s.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
        }
        s.update(data)?;
        s.sign_to_vec()
    };
    run().unwrap_or_default()
}

/// The issuer Name and serial number INTEGER of a certificate, as encoded in it.
fn issuer_and_serial(cert: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let (_, cert_body, _) = read(cert)?;
    let (_, tbs, _) = read(cert_body)?;
    let mut rest = tbs;
    let (tag, _, raw) = read_raw(rest)?;
    if tag == 0xa0 {
        rest = rest.get(raw.len()..)?;
    }
    let (_, _, serial) = read_raw(rest)?;
    rest = rest.get(serial.len()..)?;
    let (_, _, sig_alg) = read_raw(rest)?;
    rest = rest.get(sig_alg.len()..)?;
    let (_, _, issuer) = read_raw(rest)?;
    Some((issuer.to_vec(), serial.to_vec()))
}

/// One definite-length element: tag, contents, and the rest of the input.
fn read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (tag, _, raw) = read_raw(input)?;
    let header = header_len(input)?;
    Some((tag, raw.get(header..)?, input.get(raw.len()..)?))
}

/// One definite-length element: tag, length and the whole encoding.
fn read_raw(input: &[u8]) -> Option<(u8, usize, &[u8])> {
    let tag = *input.first()?;
    let len0 = *input.get(1)?;
    let (len, header) = if len0 & 0x80 == 0 {
        (usize::from(len0), 2)
    } else {
        let n = usize::from(len0 & 0x7f);
        let bytes = input.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b)),
            2 + n,
        )
    };
    Some((tag, len, input.get(..header.checked_add(len)?)?))
}

fn header_len(input: &[u8]) -> Option<usize> {
    let len0 = *input.get(1)?;
    Some(if len0 & 0x80 == 0 {
        2
    } else {
        2 + usize::from(len0 & 0x7f)
    })
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.extend(u8::try_from(len).ok());
    } else {
        let bytes = len.to_be_bytes();
        let significant: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
        out.extend(u8::try_from(significant.len()).ok().map(|n| 0x80 | n));
        out.extend(significant);
    }
    out.extend(content);
    out
}

fn cons(tag: u8, children: &[Vec<u8>]) -> Vec<u8> {
    tlv(tag, &children.concat())
}

fn seq(children: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &children.concat())
}

fn indefinite(tag: u8, children: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![tag, 0x80];
    out.extend(children.concat());
    out.extend([0, 0]);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn right(ec_key: bool) -> Plan {
        Plan {
            content: b"<plist/>".to_vec(),
            ec_key,
            version: None,
            digest: Alg::Sha256,
            extra_digests: Vec::new(),
            null_params: true,
            signer_digest: None,
            signature_alg: if ec_key {
                SigAlg::EcdsaSha256
            } else {
                SigAlg::Rsa
            },
            econtent_type: None,
            detached: false,
            chunk: None,
            attrs: Some(Attrs {
                content_type: AttrValue::Right,
                message_digest: AttrValue::Right,
                signing_time: Some(Time::Utc),
                extra: Vec::new(),
                unsorted: false,
            }),
            signature: Sig::Right,
            certs: Certs::Signer,
            sid: Sid::IssuerSerial,
            two_signers: false,
            trailing: Vec::new(),
        }
    }

    #[test]
    fn a_right_plan_verifies_with_openssl() {
        let keys = Keys::generate().unwrap();
        for ec in [false, true] {
            for sid in [Sid::IssuerSerial, Sid::Ski] {
                let plan = Plan { sid, ..right(ec) };
                let der = build_plan(&plan, &keys);
                let mut cms = openssl::cms::CmsContentInfo::from_der(&der).unwrap();
                let store = openssl::x509::store::X509StoreBuilder::new()
                    .unwrap()
                    .build();
                let mut out = Vec::new();
                cms.verify(
                    None,
                    Some(&store),
                    None,
                    Some(&mut out),
                    openssl::cms::CMSOptions::NO_SIGNER_CERT_VERIFY,
                )
                .unwrap();
                assert_eq!(out, b"<plist/>");
            }
        }
    }
}
