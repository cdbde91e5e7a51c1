//! Our client assertion checked by an independent JOSE implementation: Python's PyJWT with
//! `cryptography` verifies the ES256 signature, the header and every claim.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use std::process::Command;
use std::time::Duration;

use mdm_axm::{ASSERTION_AUDIENCE, Credentials, SigningKey};

const SCRIPT: &str = r#"
import json, sys, time
import jwt
token, pem, kid, client_id, aud = sys.argv[1:6]
header = jwt.get_unverified_header(token)
assert header["alg"] == "ES256", header
assert header["kid"] == kid, header
claims = jwt.decode(token, pem, algorithms=["ES256"], audience=aud,
                    options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]})
assert claims["iss"] == client_id and claims["sub"] == client_id, claims
assert claims["exp"] > time.time(), claims
assert claims["exp"] - claims["iat"] <= 180 * 86400, claims
print(json.dumps(claims))
"#;

fn have_pyjwt() -> bool {
    let python = std::path::Path::new("/usr/bin/python3");
    let ok = python.is_file()
        && Command::new(python)
            .args(["-c", "import jwt, cryptography"])
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("MDM_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!(
                "pyjwt: python3-jwt and python3-cryptography are required (MDM_REQUIRE_PEERS=1)"
            );
        }
        eprintln!("pyjwt: skipped, /usr/bin/python3 with jwt and cryptography not found");
    }
    ok
}

#[test]
fn pyjwt_verifies_our_assertion() {
    if !have_pyjwt() {
        return;
    }
    // Both key encodings, as the portal's file may hold either.
    let key = SigningKey::generate().unwrap();
    for pem in [key.to_sec1_pem().unwrap(), key.to_pkcs8_pem().unwrap()] {
        let key = SigningKey::from_pem(&pem).unwrap();
        let public = String::from_utf8(key.public_key_pem().unwrap()).unwrap();
        let creds = Credentials::new(
            "BUSINESSAPI.9703f56c-10ce-4876-8f59-e78e5e23a152",
            "d136aa66-0c3b-4bd4-9892-c20e8db024ab",
            key,
        )
        .unwrap();
        for lifetime in [60, 180 * 86_400] {
            let jwt = creds
                .assertion(
                    chrono::Utc::now(),
                    Duration::from_secs(lifetime),
                    &mdm_axm::random_jti().unwrap(),
                )
                .unwrap();
            let out = Command::new("/usr/bin/python3")
                .args([
                    "-c",
                    SCRIPT,
                    jwt.expose_secret(),
                    &public,
                    creds.key_id(),
                    creds.client_id(),
                    ASSERTION_AUDIENCE,
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "pyjwt refused the assertion: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(claims["jti"].as_str().map(str::len), Some(32));
        }
    }
}

#[test]
fn pyjwt_refuses_a_tampered_assertion() {
    if !have_pyjwt() {
        return;
    }
    let key = SigningKey::generate().unwrap();
    let public = String::from_utf8(key.public_key_pem().unwrap()).unwrap();
    let creds = Credentials::new("SCHOOLAPI.1", "kid", key).unwrap();
    let jwt = creds
        .assertion(chrono::Utc::now(), Duration::from_secs(60), "j")
        .unwrap();
    let mut parts: Vec<String> = jwt.expose_secret().split('.').map(str::to_owned).collect();
    let other = Credentials::new("SCHOOLAPI.2", "kid", SigningKey::generate().unwrap()).unwrap();
    let forged = other
        .assertion(chrono::Utc::now(), Duration::from_secs(60), "j")
        .unwrap();
    parts[1] = forged.expose_secret().split('.').nth(1).unwrap().to_owned();
    let tampered = parts.join(".");
    let out = Command::new("/usr/bin/python3")
        .args([
            "-c",
            SCRIPT,
            &tampered,
            &public,
            "kid",
            "SCHOOLAPI.2",
            ASSERTION_AUDIENCE,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
