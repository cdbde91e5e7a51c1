//! Sign and verify a 4 KiB profile with RSA-2048 and P-256.
#![allow(
    clippy::print_stderr,
    clippy::cast_possible_wrap,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mdm_signing::openssl;
use mdm_signing::openssl::hash::MessageDigest;
use mdm_signing::{Identity, PrivateKey, Signer, TrustPolicy, sign, verify};

fn profile_4k() -> Vec<u8> {
    let mut p =
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n".to_vec();
    let mut i = 0;
    while p.len() < 4096 - 40 {
        p.extend_from_slice(
            format!("\t<key>Key{i:04}</key>\n\t<string>value</string>\n").as_bytes(),
        );
        i += 1;
    }
    p.extend_from_slice(b"</dict>\n</plist>\n");
    p.resize(4096, b'\n');
    p
}

fn bench(c: &mut Criterion) {
    let profile = profile_4k();
    for (name, generated) in [
        ("rsa2048", PrivateKey::generate_rsa(2048).unwrap()),
        ("p256", PrivateKey::generate_p256().unwrap()),
    ] {
        // As a server loads it: from a PKCS#8 PEM file.
        let key = PrivateKey::from_pem(&generated.to_pkcs8_pem().unwrap()).unwrap();
        let identity = Identity::self_signed("bench signer", key, 30).unwrap();
        let anchor = identity.certificate().clone();
        let signer = Signer::new(identity).unwrap();
        let signed = sign(&profile, &signer).unwrap();
        let policy = TrustPolicy::with_anchors([anchor]);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(1));
        g.bench_function("sign_4k", |b| {
            b.iter(|| sign(black_box(&profile), &signer).unwrap())
        });
        g.bench_function("verify_4k", |b| {
            b.iter(|| verify(black_box(&signed), &policy).unwrap())
        });
        g.bench_function("verify_4k_signature_only", |b| {
            b.iter(|| verify(black_box(&signed), &TrustPolicy::signature_only()).unwrap())
        });
        // In-process baselines: the bare key operation over the same 4 KiB (SHA-256 + sign or
        // verify through openssl::sign), and the decoding steps verify does.
        let pkey = signer.identity().key().as_openssl().clone();
        let raw_sig = {
            let mut s = openssl::sign::Signer::new(MessageDigest::sha256(), &pkey).unwrap();
            s.sign_oneshot_to_vec(&profile).unwrap()
        };
        g.bench_function("raw_sign_4k", |b| {
            b.iter(|| {
                let mut s = openssl::sign::Signer::new(MessageDigest::sha256(), &pkey).unwrap();
                s.sign_oneshot_to_vec(black_box(&profile)).unwrap()
            })
        });
        // What `openssl speed` measures: one context set up once, then only the private-key
        // operation on a 32-byte digest.
        let digest = openssl::hash::hash(MessageDigest::sha256(), &profile).unwrap();
        let mut ctx = openssl::pkey_ctx::PkeyCtx::new(&pkey).unwrap();
        ctx.sign_init().unwrap();
        ctx.set_signature_md(openssl::md::Md::sha256()).unwrap();
        g.bench_function("raw_sign_digest_reused_ctx", |b| {
            b.iter(|| {
                let mut out = Vec::new();
                ctx.sign_to_vec(black_box(&digest), &mut out).unwrap();
                out
            })
        });
        g.bench_function("raw_verify_4k", |b| {
            b.iter(|| {
                let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &pkey).unwrap();
                assert!(v.verify_oneshot(&raw_sig, black_box(&profile)).unwrap())
            })
        });
        let cert_der = signer.identity().certificate().to_der().unwrap();
        g.bench_function("decode_certificate", |b| {
            b.iter(|| openssl::x509::X509::from_der(black_box(&cert_der)).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
