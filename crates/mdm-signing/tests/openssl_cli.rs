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
        signer.detached(true);
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
        let (cert, key, ca) = files(dir.path(), &p.leaf, &p.ca);
        let content = write(dir.path(), "profile.mobileconfig", PROFILE);
        let policy = TrustPolicy::with_anchors([p.ca.clone()]);

        for (tool, extra) in [
            ("cms", &["-nodetach", "-outform", "DER"][..]),
            ("cms", &["-nodetach", "-outform", "DER", "-stream"][..]), // BER, indefinite length
            ("smime", &["-nodetach", "-outform", "DER"][..]),
            // CMS v3: the signer named by subject key identifier, as Apple signs profiles.
            ("cms", &["-nodetach", "-outform", "DER", "-keyid"][..]),
        ] {
            let out = dir.path().join("signed.der");
            let out_s = out.to_str().unwrap();
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
                out_s,
            ];
            args.extend_from_slice(extra);
            let (ok, _, err) = run(&bin, &args);
            assert!(ok, "{alg:?} openssl {tool} -sign: {err}");
            let signed = std::fs::read(&out).unwrap();
            let v = verify(&signed, &policy).unwrap_or_else(|e| panic!("{alg:?} {extra:?}: {e}"));
            assert_eq!(v.content(), PROFILE);
            assert_eq!(v.signer(), p.leaf.certificate());
        }

        // Detached, by openssl.
        let out = dir.path().join("detached.der");
        let (ok, _, err) = run(
            &bin,
            &[
                "cms",
                "-sign",
                "-binary",
                "-in",
                &content,
                "-signer",
                &cert,
                "-inkey",
                &key,
                "-outform",
                "DER",
                "-out",
                out.to_str().unwrap(),
            ],
        );
        assert!(ok, "{err}");
        let sig = std::fs::read(&out).unwrap();
        assert_eq!(
            verify_detached(&sig, PROFILE, &policy).unwrap().content(),
            PROFILE
        );
    }
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
