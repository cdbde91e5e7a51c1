//! Cost of building one APNs request and of reading one response.
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mdm_apns::{Push, build_request, parse_response_body};

fn bench(c: &mut Criterion) {
    let push = Push::new(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
            .parse()
            .unwrap(),
        "8BBC4D7F-6D3A-4B23-A9C0-4D1F9E2A4E31".parse().unwrap(),
        "com.apple.mgmt.External.2b6d7a46-0c11-4f4e-8d4a-8b5f6a1c3e21"
            .parse()
            .unwrap(),
    )
    .with_id(uuid::Uuid::from_u128(7));
    c.bench_function("build_request", |b| {
        b.iter(|| build_request(black_box(&push)))
    });
    let body = br#"{"reason":"Unregistered","timestamp":1700000000123}"#;
    c.bench_function("parse_response_body_410", |b| {
        b.iter(|| parse_response_body(410, black_box(body)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
