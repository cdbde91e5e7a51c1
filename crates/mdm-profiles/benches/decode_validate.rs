//! Decode and validate the largest real profile in the corpus (about 160 certificate
//! payloads, 512 KiB), read at bench time; skipped when the corpus is absent.
//! Compare with `python3 benches/plistlib_ratio.py` (see the closing notes).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const FILE: &str = "profiles/lgp1985-CertificadosAC-ICP-Brasil/ac-icp-brasil-full.mobileconfig";

fn bench(c: &mut Criterion) {
    let Some(path) = mdm_testsupport::corpus_path("decode_validate bench", FILE) else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let mut group = c.benchmark_group("profile");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| mdm_profiles::Decoded::decode(std::hint::black_box(&bytes)).unwrap());
    });
    group.bench_function("decode+validate", |b| {
        b.iter(|| {
            let d = mdm_profiles::Decoded::decode(std::hint::black_box(&bytes)).unwrap();
            d.problems()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
