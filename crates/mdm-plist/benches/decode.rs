//! A 1 MiB XML plist decoded through `mdm_plist` (the one-pass deserializer, and the legacy
//! path it replaced) versus plain `plist::from_bytes`, into an untyped `Value` and into a
//! typed struct.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mdm_plist::{Limits, Value};
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct App {
    #[serde(rename = "Identifier")]
    identifier: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Version")]
    version: String,
    #[serde(rename = "BundleSize")]
    bundle_size: u64,
    #[serde(rename = "IsValidated")]
    is_validated: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Apps {
    #[serde(rename = "InstalledApplicationList")]
    list: Vec<App>,
}

/// About 1 MiB: an InstalledApplicationList-like document.
fn sample() -> Vec<u8> {
    let mut list = Vec::new();
    let mut i = 0u64;
    loop {
        let mut d = mdm_plist::Dictionary::new();
        d.insert(
            "Identifier".into(),
            Value::String(format!("com.example.app{i}")),
        );
        d.insert("Name".into(), Value::String(format!("Example App {i}")));
        d.insert(
            "Version".into(),
            Value::String(format!("{}.{}.{}", i % 9, i % 7, i % 5)),
        );
        d.insert("BundleSize".into(), Value::Integer((i * 4096).into()));
        d.insert("IsValidated".into(), Value::Boolean(i.is_multiple_of(2)));
        list.push(Value::Dictionary(d));
        i += 1;
        if i.is_multiple_of(256) {
            let mut top = mdm_plist::Dictionary::new();
            top.insert(
                "InstalledApplicationList".into(),
                Value::Array(list.clone()),
            );
            let bytes = mdm_plist::to_xml_bytes(&Value::Dictionary(top)).unwrap();
            if bytes.len() >= 1 << 20 {
                return bytes;
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let bytes = sample();
    let mut g = c.benchmark_group("decode_1mib");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("value/plist_from_bytes", |b| {
        b.iter(|| plist::from_bytes::<Value>(&bytes).unwrap())
    });
    g.bench_function("value/mdm_plist_guarded", |b| {
        b.iter(|| mdm_plist::value_from_xml_bytes(&bytes, &Limits::default()).unwrap())
    });
    g.bench_function("typed/plist_from_bytes", |b| {
        b.iter(|| plist::from_bytes::<Apps>(&bytes).unwrap())
    });
    g.bench_function("typed/mdm_plist_guarded", |b| {
        b.iter(|| mdm_plist::from_xml_bytes::<Apps>(&bytes).unwrap())
    });
    g.bench_function("typed/mdm_plist_legacy", |b| {
        b.iter(|| {
            mdm_plist::__private::legacy_from_xml_bytes_with_options::<Apps>(
                &bytes,
                &Default::default(),
            )
            .unwrap()
        })
    });
    g.bench_function("value/mdm_plist_legacy", |b| {
        b.iter(|| {
            mdm_plist::__private::legacy_from_xml_bytes_with_options::<Value>(
                &bytes,
                &Default::default(),
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
