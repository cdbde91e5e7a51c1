//! Interop with the real `openssl` CLI: sign here and verify there, sign there and verify
//! here, encrypt here and decrypt there, for RSA and P-256.
#![allow(
    clippy::print_stderr,
    clippy::cast_possible_wrap,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Alg, PROFILE, pki};
use mdm_signing::{
    Identity, Signer, TrustPolicy, decrypt_payloads, encrypt_payloads, sign, verify,
    verify_detached,
};

fn openssl(test: &str) -> Option<PathBuf> {
    mdm_testsupport::peer(test, "openssl")
}

fn run(bin: &Path, args: &[&str]) -> (bool, Vec<u8>, String) {
    let out = Command::new(bin).args(args).output().unwrap();
    (
        out.status.success(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_owned()
}

fn files(dir: &Path, id: &Identity, ca: &mdm_signing::Certificate) -> (String, String, String) {
    (
        write(dir, "signer.pem", &id.certificate().to_pem().unwrap()),
        write(dir, "signer.key", &id.key().to_pkcs8_pem().unwrap()),
        write(dir, "ca.pem", &ca.to_pem().unwrap()),
    )
}

/// Signs PROFILE with `openssl <tool> -sign` and the extra arguments; returns the output.
fn sign_with_openssl(
    bin: &Path,
    dir: &Path,
    p: &common::Pki,
    tool: &str,
    extra: &[&str],
) -> Vec<u8> {
    let (cert, key, ca) = files(dir, &p.leaf, &p.ca);
    let content = write(dir, "profile.mobileconfig", PROFILE);
    let out = dir.join("signed.der");
    let mut args = vec![
        tool,
        "-sign",
        "-binary",
        "-in",
        &content,
        "-signer",
        &cert,
        "-inkey",
        &key,
        "-certfile",
        &ca,
        "-out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (ok, _, err) = run(bin, &args);
    assert!(ok, "openssl {tool} -sign {extra:?}: {err}");
    std::fs::read(&out).unwrap()
}

#[test]
fn signed_here_verifies_with_openssl_cms_and_smime() {
    let Some(bin) = openssl("signed_here_verifies_with_openssl_cms_and_smime") else {
        return;
    };
    for alg in [Alg::Rsa, Alg::P256] {
        let dir = tempfile::tempdir().unwrap();
        let p = pki(alg);
        let (_, _, ca) = files(dir.path(), &p.leaf, &p.ca);
        let signed = sign(PROFILE, &Signer::new(p.leaf.clone()).unwrap()).unwrap();
        let input = write(dir.path(), "signed.der", &signed);

        let (ok, out, err) = run(
            &bin,
            &[
                "cms", "-verify", "-inform", "DER", "-in", &input, "-CAfile", &ca,
            ],
        );
        assert!(ok, "{alg:?} openssl cms -verify: {err}");
        assert_eq!(out, PROFILE);

        let (ok, out, err) = run(
            &bin,
            &[
                "smime", "-verify", "-inform", "DER", "-in", &input, "-CAfile", &ca,
            ],
        );
        assert!(ok, "{alg:?} openssl smime -verify: {err}");
        assert_eq!(out, PROFILE);

        // A detached signature verifies with -content.
        let mut signer = Signer::new(p.leaf.clone()).unwrap();
        signer = signer.detached(true);
        let sig = write(dir.path(), "sig.der", &sign(PROFILE, &signer).unwrap());
        let content = write(dir.path(), "content", PROFILE);
        let (ok, _, err) = run(
            &bin,
            &[
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                &sig,
                "-content",
                &content,
                "-CAfile",
                &ca,
                "-out",
                "/dev/null",
            ],
        );
        assert!(ok, "{alg:?} detached: {err}");
    }
}

#[test]
fn signed_by_openssl_verifies_here() {
    let Some(bin) = openssl("signed_by_openssl_verifies_here") else {
        return;
    };
    for alg in [Alg::Rsa, Alg::P256] {
        let dir = tempfile::tempdir().unwrap();
        let p = pki(alg);
        let policy = TrustPolicy::with_anchors([p.ca.clone()]);

        for (tool, extra) in [
            ("cms", &["-nodetach", "-outform", "DER"][..]),
            ("cms", &["-nodetach", "-outform", "DER", "-stream"][..]), // BER, indefinite length
            ("smime", &["-nodetach", "-outform", "DER"][..]),
            // CMS v3: the signer named by subject key identifier, as Apple signs profiles.
            ("cms", &["-nodetach", "-outform", "DER", "-keyid"][..]),
        ] {
            let signed = sign_with_openssl(&bin, dir.path(), &p, tool, extra);
            let v = verify(&signed, &policy).unwrap_or_else(|e| panic!("{alg:?} {extra:?}: {e}"));
            assert_eq!(v.content(), PROFILE);
            assert_eq!(v.signer(), p.leaf.certificate());
        }

        // Detached, by openssl (without -nodetach).
        let sig = sign_with_openssl(&bin, dir.path(), &p, "cms", &["-outform", "DER"]);
        assert_eq!(
            verify_detached(&sig, PROFILE, &policy).unwrap().content(),
            PROFILE
        );
    }
}

/// OpenSSL's CMS decoder takes a content chunk whose identifier is in the high-tag form
/// (`df 04`, not `04`); what OpenSSL verifies, `verify` verifies too (the crate's own DER
/// walk over such a key-id SignedData must not be stricter).
#[test]
fn keyid_ber_with_a_high_tag_chunk_verifies_as_with_openssl() {
    let test = "keyid_ber_with_a_high_tag_chunk_verifies_as_with_openssl";
    let Some(bin) = openssl(test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = pki(Alg::P256);
    let extra = ["-nodetach", "-outform", "DER", "-stream", "-keyid"];
    let mut signed = sign_with_openssl(&bin, dir.path(), &p, "cms", &extra);
    let ca = write(dir.path(), "ca.pem", &p.ca.to_pem().unwrap());
    // The first content chunk: `04 <length> <content...>`, the length in one to three
    // octets (short form, `81 xx` or `82 xx xx`).
    let at = signed
        .windows(16)
        .position(|w| w == &PROFILE[..16])
        .unwrap();
    let headers: [&[u8]; 3] = [&[0x04], &[0x04, 0x81], &[0x04, 0x82]];
    let tag_at = headers
        .iter()
        .enumerate()
        .map(|(extra, h)| (at - 2 - extra, *h))
        .find(|&(i, h)| signed[i..].starts_with(h))
        .unwrap()
        .0;
    signed.insert(tag_at, 0xdf);
    let input = write(dir.path(), "high-tag.der", &signed);
    let (ok, out, err) = run(
        &bin,
        &[
            "cms", "-verify", "-binary", "-inform", "DER", "-in", &input, "-CAfile", &ca,
        ],
    );
    if !ok {
        eprintln!("{test}: this openssl refuses the high-tag chunk ({err}); nothing to compare");
        return;
    }
    assert_eq!(out, PROFILE);
    let v = verify(&signed, &TrustPolicy::with_anchors([p.ca.clone()])).unwrap();
    assert_eq!(v.content(), PROFILE);
    assert_eq!(
        mdm_signing::certificates_unverified(&signed).unwrap().len(),
        2
    );
}

#[test]
fn encrypted_here_decrypts_with_openssl_and_back() {
    let Some(bin) = openssl("encrypted_here_decrypts_with_openssl_and_back") else {
        return;
    };
    for alg in [Alg::Rsa, Alg::P256] {
        let dir = tempfile::tempdir().unwrap();
        let p = pki(alg);
        let (cert, key, _) = files(dir.path(), &p.leaf, &p.ca);
        let enveloped = mdm_signing::encrypt(
            PROFILE,
            p.leaf.certificate(),
            mdm_signing::ContentCipher::default(),
        )
        .unwrap();
        let input = write(dir.path(), "enveloped.der", &enveloped);
        let (ok, out, err) = run(
            &bin,
            &[
                "cms", "-decrypt", "-inform", "DER", "-in", &input, "-recip", &cert, "-inkey", &key,
            ],
        );
        assert!(ok, "{alg:?} openssl cms -decrypt: {err}");
        assert_eq!(out, PROFILE);

        // And the reverse: openssl encrypts, we decrypt.
        let content = write(dir.path(), "content", PROFILE);
        let out = dir.path().join("enc.der");
        let (ok, _, err) = run(
            &bin,
            &[
                "cms",
                "-encrypt",
                "-binary",
                "-aes256",
                "-in",
                &content,
                "-outform",
                "DER",
                "-out",
                out.to_str().unwrap(),
                &cert,
            ],
        );
        assert!(ok, "{err}");
        let plain = mdm_signing::decrypt(&std::fs::read(&out).unwrap(), &p.leaf).unwrap();
        assert_eq!(plain, PROFILE);

        // Whole-profile round trip stays decryptable by openssl too.
        let enc_profile = encrypt_payloads(PROFILE, p.leaf.certificate()).unwrap();
        assert!(decrypt_payloads(&enc_profile, &p.leaf).is_ok());
    }
}
