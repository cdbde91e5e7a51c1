//! Client CPU per enrollment (PKCSReq build + CertRep processing, key generation
//! excluded) and responder throughput, in-process.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use mdm_scep::{
    CaCertificates, CsrBuilder, Decision, Outcome, RequestOptions, ScepResponder, SimpleCa,
    Transaction,
};
use mdm_signing::{Identity, PrivateKey};

fn setup() -> (Identity, ScepResponder, CaCertificates, PrivateKey) {
    let ca =
        Identity::self_signed("Bench CA", PrivateKey::generate_rsa(2048).unwrap(), 30).unwrap();
    let responder = ScepResponder::new(ca.clone(), SimpleCa::new(ca.clone(), 30), |_| {
        Decision::Issue
    });
    let cas = CaCertificates::from_certificates(vec![ca.certificate().clone()], None).unwrap();
    let key = PrivateKey::generate_rsa(2048).unwrap();
    (ca, responder, cas, key)
}

fn client_per_enrollment(c: &mut Criterion) {
    let (_ca, responder, cas, key) = setup();
    c.bench_function(
        "client: csr + PKCSReq + CertRep (rsa-2048, aes-256, sha-256)",
        |b| {
            b.iter_custom(|iters| {
                let mut client = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let csr = CsrBuilder::new("bench")
                        .challenge_password("x")
                        .build(&key)
                        .unwrap();
                    let (mut tx, req) = Transaction::enroll(
                        csr,
                        key.clone(),
                        cas.clone(),
                        RequestOptions::default(),
                    )
                    .unwrap();
                    client += start.elapsed();
                    let reply = responder.handle(&req).unwrap();
                    let start = Instant::now();
                    let out = tx.handle_response(&reply).unwrap();
                    client += start.elapsed();
                    assert!(matches!(out, Outcome::Issued(_)));
                }
                client
            });
        },
    );
}

fn responder_throughput(c: &mut Criterion) {
    let (_ca, responder, cas, key) = setup();
    let csr = CsrBuilder::new("bench")
        .challenge_password("x")
        .build(&key)
        .unwrap();
    let (_, req) = Transaction::enroll(csr, key, cas, RequestOptions::default()).unwrap();
    c.bench_function("responder: PKCSReq -> issued CertRep", |b| {
        b.iter(|| responder.handle(&req).unwrap());
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = client_per_enrollment, responder_throughput
}
criterion_main!(benches);
