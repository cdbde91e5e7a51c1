//! `mdmctl scep`: talk to a SCEP server, and `mdmctl inspect scep FILE`.
//!
//! ```text
//! mdmctl scep caps URL
//! mdmctl scep enroll --url URL --challenge S --cn NAME [--key K] --out-cert C --out-key K
//!                    [--pin SHA256HEX] [--allow-des] [--get] [--poll SECONDS] [--deadline SECONDS]
//! mdmctl inspect scep FILE [--key K --cert C]
//! ```
//!
//! `enroll` generates an RSA-2048 key unless `--key` names one (PEM), writes the issued
//! certificate and its chain as PEM to `--out-cert` and the key to `--out-key`.
//! `--allow-des` accepts single-DES replies (micromdm's scepserver sends them).
//! `inspect scep` prints a PKIMessage's type, transaction id, status and attributes as
//! JSON; with `--key` and `--cert` of the recipient it also decrypts the envelope.

use std::time::Duration;

use mdm_examples::{Args, CliError, base64_encode, print_json, read_input};
use mdm_scep::client::Client;
use mdm_scep::{AlgorithmPolicy, CsrBuilder, PkiMessage};
use mdm_signing::{Certificate, Identity, PrivateKey};
use serde_json::json;

pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let sub = args
        .positional()
        .ok_or("usage: mdmctl scep caps URL | mdmctl scep enroll --url URL ...")?;
    match sub.as_str() {
        "caps" => caps(args),
        "enroll" => enroll(args),
        other => Err(CliError(format!("unknown scep command {other:?}"))),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::context("tokio runtime", e))
}

fn caps(mut args: Args) -> Result<(), CliError> {
    let url = args.positional().ok_or("usage: mdmctl scep caps URL")?;
    args.finish()?;
    let client = Client::new(&url).map_err(|e| CliError::context("client", e))?;
    let rt = runtime()?;
    let caps = rt
        .block_on(client.caps())
        .map_err(|e| CliError::context("GetCACaps", e))?;
    let policy = AlgorithmPolicy::default();
    print_json(&json!({
        "capabilities": caps.iter().map(|c| c.keyword().to_owned()).collect::<Vec<_>>(),
        "post": caps.post(),
        "cipher": caps.cipher(&policy).map(|c| c.name().to_owned()).map_err(|e| e.to_string()).unwrap_or_else(|e| e),
        "digest": caps.digest(&policy).map(|d| d.name().to_owned()).map_err(|e| e.to_string()).unwrap_or_else(|e| e),
    }))
}

fn enroll(mut args: Args) -> Result<(), CliError> {
    let url = args.required("--url")?;
    let challenge = args.value("--challenge")?;
    let cn = args.required("--cn")?;
    let key_path = args.value("--key")?;
    let out_cert = args.required("--out-cert")?;
    let out_key = args.required("--out-key")?;
    let pin = args.value("--pin")?;
    let allow_des = args.flag("--allow-des");
    let force_get = args.flag("--get");
    let poll = seconds(&mut args, "--poll", 10)?;
    let deadline = seconds(&mut args, "--deadline", 300)?;
    args.finish()?;

    let key = match key_path {
        Some(p) => PrivateKey::from_pem_or_der(&read_input(&p)?)
            .map_err(|e| CliError::context("--key", e))?,
        None => PrivateKey::generate_rsa(2048).map_err(|e| CliError::context("key", e))?,
    };
    let mut b = CsrBuilder::new(&cn);
    if let Some(c) = &challenge {
        b = b.challenge_password(c);
    }
    let csr = b.build(&key).map_err(|e| CliError::context("csr", e))?;
    let mut client = Client::new(&url).map_err(|e| CliError::context("client", e))?;
    let mut policy = AlgorithmPolicy::default();
    policy.allow_des = allow_des;
    client = client
        .policy(policy)
        .force_get(force_get)
        .polling(poll, deadline);
    if let Some(hex) = pin {
        client = client.pin_sha256(decode_hex(&hex).ok_or("--pin must be 64 hex digits")?);
    }
    let rt = runtime()?;
    let issued = rt
        .block_on(client.enroll(csr, key.clone()))
        .map_err(|e| enroll_failed(&e, &cn, allow_des))?;
    let mut pem = issued
        .certificate
        .to_pem()
        .map_err(|e| CliError::context("certificate", e))?;
    for c in &issued.chain {
        pem.extend(c.to_pem().map_err(|e| CliError::context("chain", e))?);
    }
    std::fs::write(&out_cert, pem).map_err(|e| CliError::context(&out_cert, e))?;
    let key_pem = key
        .to_pkcs8_pem()
        .map_err(|e| CliError::context("key", e))?;
    std::fs::write(&out_key, key_pem).map_err(|e| CliError::context(&out_key, e))?;
    print_json(&json!({
        "subject": issued.certificate.subject(),
        "issuer": issued.certificate.issuer(),
        "serial": issued.certificate.serial_hex(),
        "not_after": issued.certificate.not_after().map(|d| d.to_rfc3339()),
        "chain": issued.chain.len(),
    }))
}

/// The error of a failed enrollment, with what to do when the cause is single DES.
fn enroll_failed(e: &mdm_scep::Error, cn: &str, allow_des: bool) -> CliError {
    let err = CliError::context("enroll", e);
    let mdm_scep::Error::AlgorithmRefused(what) = e else {
        return err;
    };
    if allow_des {
        return err;
    }
    if what.contains("des-cbc") {
        // Only a SUCCESS reply carries an envelope: the CA has signed the certificate.
        CliError(format!(
            "{err}\nThe CA answered in single DES, which is refused unless --allow-des is \
             given. It has already issued a certificate for CN {cn:?}: some CAs \
             (micromdm's scepserver among them) refuse a second request for the same \
             subject, so retry with --allow-des and a new --cn, or revoke the first one."
        ))
    } else {
        CliError(format!(
            "{err}\nNothing was sent. Pass --allow-des to accept single DES from this CA."
        ))
    }
}

/// `mdmctl inspect scep FILE [--key K --cert C]`.
pub(crate) fn inspect(mut args: Args) -> Result<(), CliError> {
    let file = args
        .positional()
        .ok_or("usage: mdmctl inspect scep FILE [--key K --cert C]")?;
    let key = args.value("--key")?;
    let cert = args.value("--cert")?;
    args.finish()?;
    let der = read_input(&file)?;
    let msg = PkiMessage::decode(&der).map_err(|e| CliError::context("pkiMessage", e))?;
    let signature = match msg.verify(&[]) {
        Ok(c) => json!({"valid": true, "signer": c.subject()}),
        Err(e) => json!({"valid": false, "error": e.to_string()}),
    };
    let envelope = msg.envelope().map(|e| match mdm_scep::inspect_envelope(e) {
        Ok(info) => json!({
            "cipher": info.cipher_oid,
            "cipher_name": info.cipher.map(|c| c.name()),
            "recipients": info.recipients.len(),
            "bytes": e.len(),
        }),
        Err(err) => json!({"error": err.to_string()}),
    });
    let mut out = json!({
        "message_type": msg.message_type().as_str(),
        "message_type_name": msg.message_type().to_string(),
        "transaction_id": msg.transaction_id().as_str(),
        "sender_nonce": msg.sender_nonce().map(|n| base64_encode(n.as_bytes())),
        "recipient_nonce": msg.recipient_nonce().map(|n| base64_encode(n.as_bytes())),
        "pki_status": msg.pki_status().map(|s| s.to_string()),
        "fail_info": msg.fail_info().map(|f| f.to_string()),
        "fail_info_text": msg.fail_info_text(),
        "digest": msg.digest().name(),
        "certificates": msg.certificates().iter().map(Certificate::subject).collect::<Vec<_>>(),
        "signature": signature,
        "envelope": envelope,
    });
    if let (Some(k), Some(c)) = (key, cert) {
        let key = PrivateKey::from_pem_or_der(&read_input(&k)?)
            .map_err(|e| CliError::context("--key", e))?;
        let cert = Certificate::from_pem_or_der(&read_input(&c)?)
            .map_err(|e| CliError::context("--cert", e))?;
        let id =
            Identity::new(cert, key, Vec::new()).map_err(|e| CliError::context("identity", e))?;
        let content = msg
            .decrypt(&id, true)
            .map_err(|e| CliError::context("decrypt", e))?;
        if let Some(obj) = out.as_object_mut() {
            obj.insert("decrypted".to_owned(), decrypted_json(&content));
        }
    }
    print_json(&out)
}

fn decrypted_json(content: &[u8]) -> serde_json::Value {
    if let Ok(csr) = mdm_scep::Csr::from_der(content) {
        return json!({"csr": {"subject": csr.subject(), "challenge_present": csr.challenge_password().is_some()}});
    }
    if let Ok(certs) = mdm_scep::certificates_from_degenerate(content) {
        return json!({"certificates": certs.iter().map(Certificate::subject).collect::<Vec<_>>()});
    }
    json!({"bytes": content.len(), "base64": base64_encode(content)})
}

fn seconds(args: &mut Args, name: &str, default: u64) -> Result<Duration, CliError> {
    match args.value(name)? {
        None => Ok(Duration::from_secs(default)),
        Some(v) => v
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|e| CliError::context(name, e)),
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s: String = s.chars().filter(|c| *c != ':').collect();
    if s.len() != 64 {
        return None;
    }
    (0..32)
        .map(|i| {
            s.get(i * 2..i * 2 + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}
