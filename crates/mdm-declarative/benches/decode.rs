//! `cargo bench -p mdm-declarative --bench decode`: status-report decoding (a full report
//! of about 50 items) and the declaration-items answer of a 500-declaration set.
#![allow(missing_docs, clippy::unwrap_used, clippy::indexing_slicing)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mdm_declarative::{
    Declaration, DeclarationSet, PasscodeSettings, StatusItem, StatusReport, samples,
};
use serde_json::json;

/// A full report: every status item of the schema (45) plus 5 declarations in
/// `management.declarations`.
fn full_report() -> Vec<u8> {
    let mut report = StatusReport::default();
    report.full_report = Some(true);
    for (name, value) in samples::STATUS_ITEMS {
        report.status_items.set(StatusItem::from_value(
            name,
            serde_json::from_str(value).unwrap(),
        ));
    }
    let decl = |i: usize| json!({"identifier": format!("d{i}"), "server-token": format!("t{i}"), "active": true, "valid": "valid"});
    report.status_items.set(StatusItem::from_value(
        "management.declarations",
        json!({"activations": [decl(0)], "configurations": [decl(1), decl(2), decl(3)], "assets": [decl(4)], "management": []}),
    ));
    report.errors = Some(Vec::new());
    report.encode().unwrap()
}

fn set_of(n: usize) -> DeclarationSet {
    let mut set = DeclarationSet::new();
    for i in 0..n {
        let p = PasscodeSettings {
            minimum_length: Some(i64::try_from(i % 16).unwrap()),
            ..Default::default()
        };
        set.insert(Declaration::new(format!("com.example.passcode.{i}"), p))
            .unwrap();
    }
    set
}

fn bench(c: &mut Criterion) {
    let body = full_report();
    let items = StatusReport::decode(&body)
        .unwrap()
        .status_items
        .items
        .len();
    let mut g = c.benchmark_group("status_report");
    g.throughput(Throughput::Elements(1));
    g.bench_function(
        format!("decode_full_{items}_items_{}_bytes", body.len()),
        |b| {
            b.iter(|| StatusReport::decode(std::hint::black_box(&body)).unwrap());
        },
    );
    g.finish();

    let set = set_of(500);
    let mut g = c.benchmark_group("declaration_items");
    g.bench_function("manifest_500_encode", |b| {
        b.iter(|| set.manifest().encode().unwrap());
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
