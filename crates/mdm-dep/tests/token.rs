//! Server tokens: the corpus `.p7m` decrypts with its published test key, and tokens made by
//! `openssl smime -encrypt` (AES-128, AES-256, 3DES) to a certificate from our key pair
//! decrypt with our key.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

use mdm_dep::{Error, ServerToken, TokenKeypair};
use mdm_testsupport::{corpus_path, peer};

const PETAROV: &str = "dep/petarov-apple-mdm-clients/device-assignment-client/src/test/resources";

#[test]
fn corpus_p7m_decrypts_with_its_key() {
    let Some(p7m) = corpus_path(
        "corpus_p7m",
        &format!("{PETAROV}/apple-mdm-client-tests-1-server-token.p7m"),
    ) else {
        return;
    };
    let Some(key) = corpus_path(
        "corpus_p7m",
        &format!("{PETAROV}/apple-mdm-client-tests-1.pem"),
    ) else {
        return;
    };
    let p7m = std::fs::read(p7m).unwrap();
    let token = ServerToken::decrypt(&p7m, &std::fs::read(&key).unwrap()).unwrap();
    assert!(token.consumer_key.starts_with("CK_"));
    assert!(token.consumer_secret.expose_secret().starts_with("CS_"));
    assert!(token.access_token.expose_secret().starts_with("AT_"));
    assert!(token.access_secret.expose_secret().starts_with("AS_"));
    let expiry = token.access_token_expiry.unwrap();
    assert_eq!(expiry.to_rfc3339(), "2026-01-17T11:02:21+00:00");
    // The sample expired in January 2026.
    assert!(matches!(
        token.check_not_expired(mdm_dep::parse_date("2026-06-01T00:00:00Z").unwrap()),
        Err(Error::TokenExpired { .. })
    ));

    // The DER key works too, and so does the certificate + key pair path.
    let der = corpus_path(
        "corpus_p7m",
        &format!("{PETAROV}/apple-mdm-client-tests-1.der"),
    )
    .unwrap();
    assert_eq!(
        ServerToken::decrypt(&p7m, &std::fs::read(der).unwrap()).unwrap(),
        token
    );
    let crt = corpus_path(
        "corpus_p7m",
        &format!("{PETAROV}/apple-mdm-client-tests-1.crt"),
    )
    .unwrap();
    let pair = TokenKeypair::from_pem(&std::fs::read(crt).unwrap(), &std::fs::read(&key).unwrap())
        .unwrap();
    assert_eq!(pair.decrypt(&p7m).unwrap(), token);

    // A different key is refused with a token error.
    let other = TokenKeypair::generate("other", 1).unwrap();
    let err = ServerToken::decrypt(&p7m, &other.key_pem().unwrap()).unwrap_err();
    assert!(matches!(err, Error::Token(_)), "{err}");
}

const INNER: &str = "Content-Type: text/plain;charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n-----BEGIN MESSAGE-----\r\n{\"consumer_key\":\"CK_made_here\",\"consumer_secret\":\"CS_x\",\"access_token\":\"AT_y\",\"access_secret\":\"AS_z\",\"access_token_expiry\":\"2099-01-01T00:00:00Z\"}\r\n-----END MESSAGE-----\r\n";

#[test]
fn openssl_smime_tokens_decrypt() {
    let Some(openssl) = peer("openssl_smime_tokens", "openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pair = TokenKeypair::generate("depserver", 2).unwrap();
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, pair.certificate_pem().unwrap()).unwrap();
    let key = pair.key_pem().unwrap();
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, INNER).unwrap();
    for cipher in ["-aes128", "-aes256", "-des3"] {
        let out = dir.path().join(format!("token{cipher}.p7m"));
        let status = Command::new(&openssl)
            .args(["smime", "-encrypt", "-binary", cipher, "-in"])
            .arg(&plain)
            .arg("-out")
            .arg(&out)
            .arg(&cert)
            .status()
            .unwrap();
        assert!(status.success(), "openssl smime {cipher} failed");
        let p7m = std::fs::read(&out).unwrap();
        assert!(p7m.starts_with(b"MIME-Version") || p7m.starts_with(b"Content-"));
        let token = ServerToken::decrypt(&p7m, &key).unwrap();
        assert_eq!(token.consumer_key, "CK_made_here", "{cipher}");
        assert_eq!(pair.decrypt(&p7m).unwrap(), token);
        assert!(!token.expires_within_days(30, chrono::Utc::now()));
    }
}

#[test]
fn garbage_is_a_token_error() {
    let pair = TokenKeypair::generate("x", 1).unwrap();
    let key = pair.key_pem().unwrap();
    for bad in [
        &b""[..],
        b"Content-Type: x\r\n\r\n!!!",
        b"\x30\x03\x02\x01\x00",
        b"not mime at all",
    ] {
        let err = ServerToken::decrypt(bad, &key).unwrap_err();
        assert!(matches!(err, Error::Token(_)), "{err}");
    }
    assert!(matches!(
        ServerToken::decrypt(b"x", b"not a key"),
        Err(Error::Key(_))
    ));
    assert!(ServerToken::decrypt(&vec![b'A'; 100_000], &key).is_err());
}
