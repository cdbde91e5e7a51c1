//! CMS SignedData: signing content and verifying signed content.
//!
//! A signed profile is a DER (or, from macOS tools, BER) `ContentInfo` of type `signedData`
//! with the profile plist as embedded `id-data` content (RFC 5652, section 5). A device shows
//! such a profile as verified when the chain leads to a root it trusts.

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::nid::Nid;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;

use crate::algorithms;
use crate::der::{self, Tlv};
use crate::error::{Error, crypto, describe, has_reason};
use crate::fast;
use crate::keys::{Certificate, Identity};
use crate::trust::TrustPolicy;

/// Largest signed structure [`verify`] and its siblings accept (16 MiB), checked before
/// parsing. The largest real profiles (certificate bundles) are about 0.5 MiB.
pub const MAX_SIGNED_BYTES: usize = 16 * 1024 * 1024;

/// Signs content with one identity: CMS SignedData, DER, SHA-256 (OpenSSL's default digest
/// for RSA and P-256 keys), the signer certificate and its chain included, signed
/// attributes (content type, signing time, message digest) present.
pub struct Signer {
    identity: Identity,
    chain: Stack<X509>,
    detached: bool,
    include_chain: bool,
}

impl Signer {
    /// A signer for this identity, with embedded content and the chain included.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL cannot allocate the certificate list.
    pub fn new(identity: Identity) -> Result<Self, Error> {
        let mut chain = Stack::new().map_err(crypto)?;
        for c in identity.chain() {
            chain.push(c.as_openssl().to_owned()).map_err(crypto)?;
        }
        Ok(Signer {
            identity,
            chain,
            detached: false,
            include_chain: true,
        })
    }

    /// Leaves the content out of the output (a detached signature, as the `Mdm-Signature`
    /// header carries). Default: off (content embedded).
    #[must_use]
    pub fn detached(mut self, on: bool) -> Self {
        self.detached = on;
        self
    }

    /// Includes the identity's chain certificates next to the signer certificate.
    /// Default: on.
    #[must_use]
    pub fn include_chain(mut self, on: bool) -> Self {
        self.include_chain = on;
        self
    }

    /// The identity that signs.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Signs `content` and returns the DER `ContentInfo`.
    ///
    /// # Errors
    /// [`Error::Crypto`] when OpenSSL fails (the key cannot sign, allocation).
    pub fn sign(&self, content: &[u8]) -> Result<Vec<u8>, Error> {
        let mut flags = CMSOptions::BINARY | CMSOptions::NOSMIMECAP;
        if self.detached {
            flags |= CMSOptions::DETACHED;
        }
        let chain = if self.include_chain && !self.identity.chain().is_empty() {
            Some(self.chain.as_ref())
        } else {
            None
        };
        let cms = CmsContentInfo::sign(
            Some(self.identity.certificate().as_openssl()),
            Some(self.identity.key().as_openssl()),
            chain,
            Some(content),
            flags,
        )
        .map_err(crypto)?;
        cms.to_der().map_err(crypto)
    }
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("identity", &self.identity)
            .field("detached", &self.detached)
            .field("include_chain", &self.include_chain)
            .finish()
    }
}

/// Signs `content` with `signer` (see [`Signer::sign`]).
///
/// # Errors
/// As [`Signer::sign`].
pub fn sign(content: &[u8], signer: &Signer) -> Result<Vec<u8>, Error> {
    signer.sign(content)
}

/// The outcome of a successful verification.
#[derive(Debug, Clone)]
pub struct Verified {
    content: Vec<u8>,
    signer: Certificate,
    chain: Vec<Certificate>,
    certificates: Vec<Certificate>,
}

impl Verified {
    /// The signed content (for a detached signature, the content that was checked).
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// Takes the content out.
    pub fn into_content(self) -> Vec<u8> {
        self.content
    }

    /// The certificate of the (first) signer.
    pub fn signer(&self) -> &Certificate {
        &self.signer
    }

    /// The validated chain from the signer to the anchor, signer first. Empty when the
    /// policy was [`TrustPolicy::signature_only`].
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// Every certificate the signed data carried, in its order.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }
}

/// Verifies a signed structure with embedded content (DER or BER) and returns the content,
/// the signer certificate and the validated chain.
///
/// Checks, in order: the size limit, that every digest and signature algorithm is one the
/// crate supports ([`Error::UnsupportedAlgorithm`]), that the bytes are a `signedData`
/// ContentInfo, that there is at least one signer and its certificate is included, the
/// content digest and signature of every signer, then each signer's chain against `policy`.
///
/// # Errors
/// A typed error naming the failed check; see [`Error::failed_check`].
pub fn verify(signed: &[u8], policy: &TrustPolicy) -> Result<Verified, Error> {
    verify_inner(signed, None, policy)
}

/// Verifies a detached signature over `content` (as in the `Mdm-Signature` header).
///
/// # Errors
/// As [`verify`].
pub fn verify_detached(
    signature: &[u8],
    content: &[u8],
    policy: &TrustPolicy,
) -> Result<Verified, Error> {
    verify_inner(signature, Some(content), policy)
}

/// The embedded content of a signed structure, **without checking the signature or
/// anything else**. For display and triage only; never act on what it returns.
///
/// # Errors
/// [`Error::Malformed`], [`Error::WrongContentType`], [`Error::NoContent`],
/// [`Error::UnsupportedAlgorithm`] and the structural errors of [`verify`] (the signer
/// certificate must be present).
pub fn content_unverified(signed: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    match decode(signed)? {
        Decoded::Pkcs7(p7) => {
            let empty = Stack::<X509>::new().map_err(crypto)?;
            let store = X509StoreBuilder::new().map_err(crypto)?.build();
            p7.verify(
                &empty,
                &store,
                None,
                Some(&mut out),
                Pkcs7Flags::NOVERIFY | Pkcs7Flags::NOSIGS,
            )
            .map_err(|e| map_verify_error(&e))?;
        }
        Decoded::Cms(mut cms) => {
            cms.verify(
                None,
                None,
                None,
                Some(&mut out),
                CMSOptions::NOVERIFY | CMSOptions::NOSIGS,
            )
            .map_err(|e| map_verify_error(&e))?;
        }
    }
    Ok(out)
}

/// The certificates a signed structure carries, without verifying anything.
///
/// # Errors
/// [`Error::Malformed`], [`Error::WrongContentType`] or [`Error::UnsupportedAlgorithm`].
pub fn certificates_unverified(signed: &[u8]) -> Result<Vec<Certificate>, Error> {
    match decode(signed)? {
        Decoded::Pkcs7(p7) => Ok(embedded_certificates(&p7)),
        Decoded::Cms(_) => Ok(outline(signed)?.0),
    }
}

/// A decoded SignedData: through OpenSSL's PKCS#7 decoder when it accepts the structure
/// (signers named by issuer and serial number), otherwise through its CMS decoder. The
/// algorithms are checked first (see the `algorithms` module), for every caller.
enum Decoded {
    Pkcs7(Pkcs7),
    Cms(CmsContentInfo),
}

fn decode(signed: &[u8]) -> Result<Decoded, Error> {
    if signed.len() > MAX_SIGNED_BYTES {
        return Err(Error::TooLarge {
            len: signed.len(),
            limit: MAX_SIGNED_BYTES,
        });
    }
    // Before OpenSSL sees the bytes: its PKCS#7 verifier leaks on an unknown digest.
    algorithms::check_signed_data(signed)?;
    match Pkcs7::from_der(signed) {
        Ok(p7) => {
            let nid = p7.type_().map(|o| o.nid());
            if nid != Some(Nid::PKCS7_SIGNED) {
                let found = p7
                    .type_()
                    .map(|o| o.to_string())
                    .unwrap_or_else(|| "absent".to_owned());
                return Err(Error::WrongContentType {
                    expected: "signedData",
                    found,
                });
            }
            Ok(Decoded::Pkcs7(p7))
        }
        Err(p7_err) => match CmsContentInfo::from_der(signed) {
            Ok(cms) => Ok(Decoded::Cms(cms)),
            Err(_) => Err(Error::Malformed(describe(&p7_err))),
        },
    }
}

fn verify_inner(
    signed: &[u8],
    detached: Option<&[u8]>,
    policy: &TrustPolicy,
) -> Result<Verified, Error> {
    if signed.len() > MAX_SIGNED_BYTES {
        return Err(Error::TooLarge {
            len: signed.len(),
            limit: MAX_SIGNED_BYTES,
        });
    }
    algorithms::check_signed_data(signed)?;
    // The common shape is verified without OpenSSL's CMS decoder; anything else, and every
    // failure, goes the full way so that errors stay as they were.
    let (content, signers, certificates) = match fast::verify(signed, detached) {
        Some((content, signer, certificates)) => (content, vec![signer], certificates),
        None => match decode(signed)? {
            // OpenSSL 3.0's PKCS7_verify leaks every digest BIO after the first when the
            // detached content is empty (it then pops the wrong end of its BIO chain): an
            // empty body with two digestAlgorithms leaked about 400 bytes a call (issue 19).
            // Its CMS verifier frees the chain, so empty detached content goes there.
            Decoded::Pkcs7(_) if detached.is_some_and(<[u8]>::is_empty) => {
                let cms =
                    CmsContentInfo::from_der(signed).map_err(|e| Error::Malformed(describe(&e)))?;
                check_cms(signed, cms, detached)?
            }
            Decoded::Pkcs7(p7) => check_pkcs7(&p7, detached)?,
            Decoded::Cms(cms) => check_cms(signed, cms, detached)?,
        },
    };
    let Some(first) = signers.first().cloned() else {
        return Err(Error::NoSigners);
    };
    let mut chain = Vec::new();
    if policy.checks_chain() {
        for (i, s) in signers.iter().enumerate() {
            let c = policy.verify_chain(s, &certificates)?;
            if i == 0 {
                chain = c;
            }
        }
    }
    Ok(Verified {
        content,
        signer: first,
        chain,
        certificates,
    })
}

type Checked = (Vec<u8>, Vec<Certificate>, Vec<Certificate>);

/// Signature and digest of every signer, through the PKCS#7 decoder. The chain is checked
/// afterwards with the caller's policy, so that its failures come back typed.
fn check_pkcs7(p7: &Pkcs7, detached: Option<&[u8]>) -> Result<Checked, Error> {
    let certificates = embedded_certificates(p7);
    let empty = Stack::<X509>::new().map_err(crypto)?;
    let signers: Vec<Certificate> = p7
        .signers(&empty, Pkcs7Flags::empty())
        .map_err(|e| map_verify_error(&e))?
        .iter()
        .map(|c| Certificate::from(c.to_owned()))
        .collect();
    if signers.is_empty() {
        return Err(Error::NoSigners);
    }
    let store = X509StoreBuilder::new().map_err(crypto)?.build();
    let mut content = Vec::new();
    p7.verify(
        &empty,
        &store,
        detached,
        Some(&mut content),
        Pkcs7Flags::NOVERIFY,
    )
    .map_err(|e| map_verify_error(&e))?;
    Ok((content, signers, certificates))
}

/// The same checks through the CMS decoder, which also reads signers named by subject key
/// identifier. OpenSSL's CMS API does not hand out the signer certificate, so it is found
/// by offering each carried certificate alone (a structural match, no second signature
/// check); this supports one signer per structure.
fn check_cms(
    signed: &[u8],
    mut cms: CmsContentInfo,
    detached: Option<&[u8]>,
) -> Result<Checked, Error> {
    let (certificates, signer_count) = outline(signed)?;
    if signer_count == 0 {
        return Err(Error::NoSigners);
    }
    let mut content = Vec::new();
    cms.verify(
        None,
        None,
        detached,
        Some(&mut content),
        CMSOptions::NOVERIFY,
    )
    .map_err(|e| map_verify_error(&e))?;
    for candidate in &certificates {
        let mut fresh = CmsContentInfo::from_der(signed).map_err(crypto)?;
        let mut only = Stack::<X509>::new().map_err(crypto)?;
        only.push(candidate.as_openssl().to_owned())
            .map_err(crypto)?;
        let found = fresh.verify(
            Some(&only),
            None,
            detached,
            None,
            CMSOptions::NOINTERN | CMSOptions::NOSIGS | CMSOptions::NOVERIFY,
        );
        if found.is_ok() {
            return Ok((content, vec![candidate.clone()], certificates));
        }
    }
    Err(Error::SignerCertificateMissing)
}

/// The certificates (those OpenSSL reads) and the number of signers of a `signedData`
/// ContentInfo, read with the crate's DER reader.
fn outline(signed: &[u8]) -> Result<(Vec<Certificate>, usize), Error> {
    let (certificates, signer_count) = outline_der(signed).ok_or_else(|| {
        Error::Malformed("signed data does not have the expected shape".to_owned())
    })?;
    let certs = certificates
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect();
    Ok((certs, signer_count))
}

/// The DER of each certificate in the `certificates` field and the number of SignerInfos,
/// or `None` if the shape does not fit. Bytes after the ContentInfo are ignored.
fn outline_der(input: &[u8]) -> Option<(Vec<&[u8]>, usize)> {
    const W: &str = "signedData";
    // The structure has passed OpenSSL's CMS decoder, which takes high tag numbers where it
    // is lenient (chunks of a constructed OCTET STRING, values of unknown attributes), so
    // the outline takes them too rather than refuse what OpenSSL verifies. 32 levels of
    // indefinite lengths are far more than a SignedData needs.
    const LIMITS: der::Limits = der::Limits {
        max_depth: 32,
        accept_high_tag_numbers: true,
    };
    let (ci, _) = Tlv::parse_with(input, &LIMITS, W).ok()?;
    let ci_children = ci.children(W).ok()?;
    let explicit = ci_children.get(1)?;
    let sd = explicit.children(W).ok()?.into_iter().next()?;
    let mut certificates = Vec::new();
    let mut signer_count = 0;
    // version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
    for f in sd.children(W).ok()?.iter().skip(3) {
        match f.tag {
            der::CTX0 => {
                for c in f.children(W).ok()? {
                    if c.tag == der::SEQUENCE {
                        certificates.push(c.raw);
                    }
                }
            }
            der::SET => signer_count = f.children(W).ok()?.len(),
            _ => {}
        }
    }
    Some((certificates, signer_count))
}

fn embedded_certificates(p7: &Pkcs7) -> Vec<Certificate> {
    p7.signed()
        .and_then(|s| s.certificates())
        .map(|s| s.iter().map(|c| Certificate::from(c.to_owned())).collect())
        .unwrap_or_default()
}

fn map_verify_error(e: &openssl::error::ErrorStack) -> Error {
    if has_reason(e, "no signers") || has_reason(e, "no signatures on data") {
        Error::NoSigners
    } else if has_reason(e, "signer certificate not found") {
        Error::SignerCertificateMissing
    } else if has_reason(e, "digest failure") || has_reason(e, "content verify error") {
        Error::DigestMismatch
    } else if has_reason(e, "no content") {
        Error::NoContent
    } else if has_reason(e, "type not signed data") {
        Error::WrongContentType {
            expected: "signedData",
            found: "another cms type".to_owned(),
        }
    } else {
        Error::BadSignature(describe(e))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::keys::PrivateKey;

    #[test]
    fn outline_reads_certificates_and_signers() {
        let identity =
            Identity::self_signed("Outline", PrivateKey::generate_p256().unwrap(), 1).unwrap();
        let mut signed = sign(b"content", &Signer::new(identity).unwrap()).unwrap();
        let (certificates, signers) = outline_der(&signed).unwrap();
        assert_eq!((certificates.len(), signers), (1, 1));
        signed.extend([0xff, 0xff]);
        assert!(outline_der(&signed).is_some());
        assert!(outline_der(&[0x30, 0x00]).is_none());
        assert!(outline_der(&[]).is_none());
    }

    /// The full path's answer, without the fast path.
    fn slow(signed: &[u8], detached: Option<&[u8]>) -> Result<Checked, Error> {
        algorithms::check_signed_data(signed)?;
        match decode(signed)? {
            Decoded::Pkcs7(p7) => check_pkcs7(&p7, detached),
            Decoded::Cms(cms) => check_cms(signed, cms, detached),
        }
    }

    /// Wherever the fast path says verified, the full path says the same, with the same
    /// content, signer and certificates.
    fn agree(signed: &[u8], detached: Option<&[u8]>) -> bool {
        let Some((content, signer, certificates)) = fast::verify(signed, detached) else {
            return false;
        };
        let (c, signers, certs) = slow(signed, detached).unwrap();
        assert_eq!(content, c);
        assert_eq!(vec![signer], signers);
        assert_eq!(certificates, certs);
        true
    }

    #[test]
    fn fast_path_takes_the_common_shapes_and_agrees() {
        for key in [
            PrivateKey::generate_p256().unwrap(),
            PrivateKey::generate_rsa(2048).unwrap(),
        ] {
            let identity = Identity::self_signed("Fast", key, 1).unwrap();
            let signer = Signer::new(identity.clone()).unwrap();
            let embedded = sign(b"<plist/>", &signer).unwrap();
            assert!(agree(&embedded, None));
            let detached = Signer::new(identity).unwrap().detached(true);
            let sig = detached.sign(b"body").unwrap();
            assert!(agree(&sig, Some(b"body")));
            // Failures go the full way, which gives the typed error.
            assert!(fast::verify(&sig, Some(b"bodx")).is_none());
            assert!(matches!(
                verify_detached(&sig, b"bodx", &TrustPolicy::signature_only()),
                Err(Error::DigestMismatch)
            ));
            let mut flipped = embedded.clone();
            let last = flipped.len() - 1;
            flipped[last] ^= 1;
            assert!(fast::verify(&flipped, None).is_none());
            assert!(verify(&flipped, &TrustPolicy::signature_only()).is_err());
        }
    }

    #[test]
    fn fast_path_never_accepts_what_the_full_path_refuses() {
        let mut files =
            mdm_testsupport::files_under(&mdm_testsupport::workspace_root().join("fuzz/corpus"));
        if let Some(dir) = mdm_testsupport::corpus_dir("fast_path_never_accepts") {
            files.extend(mdm_testsupport::files_under(&dir.join("cms")));
        }
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            for detached in [None, Some(&b"{}"[..])] {
                if let Some(fast) = fast::verify(&bytes, detached) {
                    let full = slow(&bytes, detached);
                    assert!(
                        full.is_ok(),
                        "{}: fast accepted, full refused {full:?}",
                        f.display()
                    );
                    assert_eq!(full.unwrap().0, fast.0);
                }
            }
        }
    }
}
