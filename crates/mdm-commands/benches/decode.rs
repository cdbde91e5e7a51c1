//! Decode speed of a 1 MiB `InstalledApplicationList` response (about 2,000 apps) into its
//! typed body, next to `plist::Value` and Python's `plistlib` on the same bytes; and encode
//! speed of a typical `InstallProfile` command.
//!
//! Before criterion runs, a short summary is printed with MB/s for each path and the ratios
//! (Python is timed in the same run by `python3 -c`, when it is installed).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::cast_precision_loss
)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mdm_commands::{
    Command, CommandResponse, CommandUuid, InstallProfile, InstalledApplicationList,
};

/// A response listing apps until it reaches 1 MiB.
fn installed_apps_response() -> (Vec<u8>, usize) {
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n<dict>\n\t<key>CommandUUID</key>\n\t<string>6A1C7D2E-0000-4000-8000-000000000001</string>\n\t<key>InstalledApplicationList</key>\n\t<array>\n",
    );
    let tail = "\t</array>\n\t<key>Status</key>\n\t<string>Acknowledged</string>\n\t<key>UDID</key>\n\t<string>00008030-001A2B3C4D5E6F70</string>\n</dict>\n</plist>\n";
    let mut n = 0;
    while body.len() + tail.len() < 1024 * 1024 - 600 {
        body.push_str(&format!(
            "\t\t<dict>\n\t\t\t<key>AppStoreVendable</key>\n\t\t\t<true/>\n\t\t\t<key>BundleSize</key>\n\t\t\t<integer>{}</integer>\n\t\t\t<key>DynamicSize</key>\n\t\t\t<integer>{}</integer>\n\t\t\t<key>ExternalVersionIdentifier</key>\n\t\t\t<integer>{}</integer>\n\t\t\t<key>Identifier</key>\n\t\t\t<string>com.example.app{n:05}</string>\n\t\t\t<key>Installing</key>\n\t\t\t<false/>\n\t\t\t<key>IsValidated</key>\n\t\t\t<true/>\n\t\t\t<key>Name</key>\n\t\t\t<string>Example App {n}</string>\n\t\t\t<key>ShortVersion</key>\n\t\t\t<string>2.{}.1</string>\n\t\t\t<key>Version</key>\n\t\t\t<string>{}</string>\n\t\t</dict>\n",
            48_000_000 + n * 1013,
            12_288 + n * 7,
            850_000_000 + n,
            n % 40,
            1000 + n,
        ));
        n += 1;
    }
    body.push_str(tail);
    (body.into_bytes(), n)
}

fn typed(bytes: &[u8]) -> usize {
    let (_, body) = CommandResponse::decode_typed::<InstalledApplicationList>(bytes).unwrap();
    body.installed_application_list.map_or(0, |l| l.len())
}

fn typed_two_step(bytes: &[u8]) -> usize {
    let r = CommandResponse::decode(bytes).unwrap();
    let body = r.into_body::<InstalledApplicationList>().unwrap();
    body.installed_application_list.map_or(0, |l| l.len())
}

fn value_bounded(bytes: &[u8]) -> usize {
    match mdm_plist::value_from_xml_bytes(bytes, &mdm_plist::Limits::default()).unwrap() {
        mdm_plist::Value::Dictionary(d) => d.len(),
        _ => 0,
    }
}

fn value_plain(bytes: &[u8]) -> usize {
    match mdm_plist::Value::from_reader_xml(bytes).unwrap() {
        mdm_plist::Value::Dictionary(d) => d.len(),
        _ => 0,
    }
}

fn mb_per_s(len: usize, f: &dyn Fn(&[u8]) -> usize, bytes: &[u8]) -> f64 {
    let _ = f(bytes);
    let iters = 15;
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f(black_box(bytes)));
    }
    let secs = start.elapsed().as_secs_f64() / f64::from(iters);
    len as f64 / secs / 1e6
}

fn python_mb_per_s(bytes: &[u8]) -> Option<f64> {
    let dir = std::env::temp_dir().join(format!("mdm-commands-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("apps.plist");
    std::fs::write(&path, bytes).ok()?;
    let script = "import plistlib,sys,time\nb=open(sys.argv[1],'rb').read()\nplistlib.loads(b)\nn=10\nt=time.perf_counter()\nfor _ in range(n): plistlib.loads(b)\nprint(len(b)/((time.perf_counter()-t)/n)/1e6)\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

fn summary(bytes: &[u8], apps: usize) {
    let len = bytes.len();
    let t = mb_per_s(len, &typed, bytes);
    let t2 = mb_per_s(len, &typed_two_step, bytes);
    let vb = mb_per_s(len, &value_bounded, bytes);
    let vp = mb_per_s(len, &value_plain, bytes);
    eprintln!("InstalledApplicationList response: {len} bytes, {apps} apps");
    eprintln!("  typed, one pass (decode_typed):              {t:.1} MB/s");
    eprintln!("  typed, two steps (decode + into_body):       {t2:.1} MB/s");
    eprintln!("  plist::Value via mdm_plist (bounded):        {vb:.1} MB/s");
    eprintln!("  plist::Value::from_reader_xml (unbounded):   {vp:.1} MB/s");
    eprintln!(
        "  ratio typed / plist::Value (unbounded):      {:.2}",
        t / vp
    );
    match python_mb_per_s(bytes) {
        Some(py) => {
            eprintln!("  python3 plistlib.loads:                      {py:.1} MB/s");
            eprintln!(
                "  ratio typed / plistlib:                      {:.2}",
                t / py
            );
        }
        None => eprintln!("  python3 plistlib.loads: skipped (python3 not found)"),
    }
}

fn benches(c: &mut Criterion) {
    let (bytes, apps) = installed_apps_response();
    assert_eq!(typed(&bytes), apps);
    assert_eq!(typed_two_step(&bytes), apps);
    summary(&bytes, apps);

    let mut g = c.benchmark_group("installed_application_list_1mib");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("typed", |b| b.iter(|| typed(black_box(&bytes))));
    g.bench_function("typed_two_step", |b| {
        b.iter(|| typed_two_step(black_box(&bytes)))
    });
    g.bench_function("envelope_only", |b| {
        b.iter(|| CommandResponse::decode(black_box(&bytes)).unwrap())
    });
    g.bench_function("plist_value_bounded", |b| {
        b.iter(|| value_bounded(black_box(&bytes)))
    });
    g.bench_function("plist_value_unbounded", |b| {
        b.iter(|| value_plain(black_box(&bytes)))
    });
    g.finish();

    // A typical InstallProfile: a 6 KiB signed profile as data.
    let profile: Vec<u8> = (0..6 * 1024u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    let cmd = Command::with_uuid(
        CommandUuid::new("6A1C7D2E-0000-4000-8000-000000000002").unwrap(),
        InstallProfile {
            payload: mdm_plist::Data::new(profile),
            extra: mdm_plist::Dictionary::new(),
        },
    );
    let mut g = c.benchmark_group("install_profile");
    g.bench_function("encode", |b| b.iter(|| black_box(&cmd).encode().unwrap()));
    g.finish();
}

criterion_group!(decode, benches);
criterion_main!(decode);
