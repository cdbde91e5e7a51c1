//! `mdmctl profile sign|verify|encrypt|decrypt`: CMS operations on configuration profiles.
//!
//! ```text
//! mdmctl profile sign (--cert C --key K [--chain F] | --p12 F --password P) [--detached] IN OUT
//! mdmctl profile verify [--ca FILE]... [--system-roots] [--at RFC3339-TIME] [--any-purpose]
//!                       [--signature-only] IN [--out F]
//! mdmctl profile encrypt --recipient C IN OUT
//! mdmctl profile decrypt (--cert C --key K | --p12 F --password P) IN OUT
//! ```
//!
//! `IN` may be `-` for stdin and `OUT` `-` for stdout. `verify` prints the signer and chain
//! as JSON and writes the content to `--out`; when a check fails it exits 1 naming it.

use std::io::Write as _;

use mdm_examples::{Args, CliError, print_json, read_input};
use mdm_signing::{Certificate, Identity, PrivateKey, Signer, TrustPolicy};

const USAGE: &str = "usage: mdmctl profile sign|verify|encrypt|decrypt ... (see mdmctl help)";

pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let action = args.positional().ok_or(USAGE)?;
    match action.as_str() {
        "sign" => sign(args),
        "verify" => verify(args),
        "encrypt" => encrypt(args),
        "decrypt" => decrypt(args),
        other => Err(CliError(format!(
            "unknown profile action {other:?}; {USAGE}"
        ))),
    }
}

fn sign(mut args: Args) -> Result<(), CliError> {
    let detached = args.flag("--detached");
    let identity = identity(&mut args)?;
    let (input, output) = in_out(&mut args)?;
    args.finish()?;
    let mut signer = Signer::new(identity).map_err(|e| CliError::context("signer", e))?;
    signer = signer.detached(detached);
    let signed = signer
        .sign(&read_input(&input)?)
        .map_err(|e| CliError::context("sign", e))?;
    write_output(&output, &signed)
}

fn verify(mut args: Args) -> Result<(), CliError> {
    let cas = args.values("--ca")?;
    let system_roots = args.flag("--system-roots");
    let any_purpose = args.flag("--any-purpose");
    let signature_only = args.flag("--signature-only");
    let at = args.value("--at")?;
    let out = args.value("--out")?;
    let input = args.positional().ok_or(USAGE)?;
    args.finish()?;

    let mut policy = if signature_only {
        TrustPolicy::signature_only()
    } else {
        TrustPolicy::new()
    };
    for ca in &cas {
        for cert in Certificate::chain_from_pem(&read_input(ca)?)
            .or_else(|_| read_input(ca).and_then(|b| der_cert(&b).map(|c| vec![c])))
            .map_err(|e| CliError::context(ca, e))?
        {
            policy = policy.add_anchor(cert);
        }
    }
    policy = policy.use_system_roots(system_roots);
    policy = policy.check_purpose(!any_purpose);
    if let Some(at) = at {
        let t = chrono::DateTime::parse_from_rfc3339(&at)
            .map_err(|e| CliError::context("--at (RFC 3339 time)", e))?;
        policy = policy.at_time(t.with_timezone(&chrono::Utc));
    }
    let signed = read_input(&input)?;
    let verified = mdm_signing::verify(&signed, &policy).map_err(|e| {
        CliError(format!(
            "verify failed ({}): {e}",
            e.failed_check().unwrap_or("other")
        ))
    })?;
    let chain: Vec<serde_json::Value> = verified.chain().iter().map(cert_json).collect();
    print_json(&serde_json::json!({
        "verified": true,
        "chain_checked": policy.checks_chain(),
        "signer": cert_json(verified.signer()),
        "chain": chain,
        "content_bytes": verified.content().len(),
    }))?;
    if let Some(out) = out {
        write_output(&out, verified.content())?;
    }
    Ok(())
}

fn encrypt(mut args: Args) -> Result<(), CliError> {
    let recipient = args.required("--recipient")?;
    let (input, output) = in_out(&mut args)?;
    args.finish()?;
    let cert = Certificate::from_pem_or_der(&read_input(&recipient)?)
        .map_err(|e| CliError::context(&recipient, e))?;
    let encrypted = mdm_signing::encrypt_payloads(&read_input(&input)?, &cert)
        .map_err(|e| CliError::context("encrypt", e))?;
    write_output(&output, &encrypted)
}

fn decrypt(mut args: Args) -> Result<(), CliError> {
    let identity = identity(&mut args)?;
    let (input, output) = in_out(&mut args)?;
    args.finish()?;
    let plain = mdm_signing::decrypt_payloads(&read_input(&input)?, &identity)
        .map_err(|e| CliError::context("decrypt", e))?;
    write_output(&output, &plain)
}

/// `--cert C --key K [--chain F]` or `--p12 F --password P`.
fn identity(args: &mut Args) -> Result<Identity, CliError> {
    if let Some(p12) = args.value("--p12")? {
        let password = args.value("--password")?.unwrap_or_default();
        return Identity::from_pkcs12(&read_input(&p12)?, &password)
            .map_err(|e| CliError::context(&p12, e));
    }
    let cert_path = args.required("--cert")?;
    let key_path = args.required("--key")?;
    let chain_path = args.value("--chain")?;
    let cert_bytes = read_input(&cert_path)?;
    let mut certs = Certificate::chain_from_pem(&cert_bytes)
        .or_else(|_| der_cert(&cert_bytes).map(|c| vec![c]))
        .map_err(|e| CliError::context(&cert_path, e))?
        .into_iter();
    let leaf = certs
        .next()
        .ok_or_else(|| CliError(format!("{cert_path}: no certificate")))?;
    let mut chain: Vec<Certificate> = certs.collect();
    if let Some(path) = chain_path {
        chain.extend(
            Certificate::chain_from_pem(&read_input(&path)?)
                .map_err(|e| CliError::context(&path, e))?,
        );
    }
    let key = PrivateKey::from_pem_or_der(&read_input(&key_path)?)
        .map_err(|e| CliError::context(&key_path, e))?;
    Identity::new(leaf, key, chain).map_err(|e| CliError::context("identity", e))
}

fn der_cert(bytes: &[u8]) -> Result<Certificate, CliError> {
    Certificate::from_der(bytes).map_err(|e| CliError(e.to_string()))
}

fn in_out(args: &mut Args) -> Result<(String, String), CliError> {
    let input = args.positional().ok_or(USAGE)?;
    let output = args.positional().ok_or(USAGE)?;
    Ok((input, output))
}

fn write_output(path: &str, bytes: &[u8]) -> Result<(), CliError> {
    if path == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| CliError::context("stdout", e))
    } else {
        std::fs::write(path, bytes).map_err(|e| CliError(format!("cannot write {path}: {e}")))
    }
}

fn cert_json(c: &Certificate) -> serde_json::Value {
    serde_json::json!({
        "subject": c.subject(),
        "issuer": c.issuer(),
        "serial": c.serial_hex(),
        "not_before": c.not_before().map(|t| t.to_rfc3339()),
        "not_after": c.not_after().map(|t| t.to_rfc3339()),
        "sha256": c.sha256_fingerprint().ok(),
    })
}
