//! Decode speed of typical check-in bodies, and what the `MessageType` peek costs.
//!
//! `decode/*` is `CheckinMessage::decode` on the golden TokenUpdate and Authenticate.
//! `peek/*` compares ways to find the type first on the TokenUpdate: the byte search the
//! crate uses, a serde pass into a one-field struct then the typed decode (two parses), and
//! one parse into a `Value` then a conversion; `typed-only` is the floor (the type known in
//! advance).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mdm_checkin::{Authenticate, CheckinMessage, TokenUpdate};
use mdm_plist::Limits;

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

#[derive(serde::Deserialize)]
struct Peek {
    #[serde(rename = "MessageType")]
    #[allow(dead_code)]
    message_type: Option<String>,
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for (name, file) in [
        ("TokenUpdate", "tokenupdate.plist"),
        ("Authenticate", "authenticate.plist"),
    ] {
        let bytes = golden(file);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| CheckinMessage::decode(black_box(&bytes)).unwrap())
        });
    }
    g.finish();

    let bytes = golden("tokenupdate.plist");
    let mut g = c.benchmark_group("peek");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("byte-search+typed (used)", |b| {
        b.iter(|| CheckinMessage::decode(black_box(&bytes)).unwrap())
    });
    g.bench_function("serde-peek+typed", |b| {
        b.iter(|| {
            let _: Peek = mdm_plist::from_xml_bytes(black_box(&bytes)).unwrap();
            let t: TokenUpdate = mdm_plist::from_xml_bytes(black_box(&bytes)).unwrap();
            t
        })
    });
    g.bench_function("value+from_value", |b| {
        b.iter(|| {
            let v = mdm_plist::value_from_xml_bytes(black_box(&bytes), &Limits::DEFAULT).unwrap();
            let t: TokenUpdate = mdm_plist::from_value(&v).unwrap();
            t
        })
    });
    g.bench_function("typed-only", |b| {
        b.iter(|| {
            let t: TokenUpdate = mdm_plist::from_xml_bytes(black_box(&bytes)).unwrap();
            t
        })
    });
    g.finish();

    let auth = golden("authenticate.plist");
    c.bench_function("typed-only/Authenticate", |b| {
        b.iter(|| {
            let a: Authenticate = mdm_plist::from_xml_bytes(black_box(&auth)).unwrap();
            a
        })
    });
}

criterion_group!(benches, decode);
criterion_main!(benches);
