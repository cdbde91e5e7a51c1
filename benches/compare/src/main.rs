//! `mdm-compare gen DIR` writes the three comparison inputs; `mdm-compare time DIR` prints
//! one line per measurement, `name<TAB>nanoseconds per operation`, median of 7 samples;
//! `mdm-compare repeat DIR apps|token|profile N` runs one of our decodes N times, for a
//! profiler.
#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct App {
    #[serde(rename = "Identifier")]
    identifier: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "ShortVersion")]
    short_version: String,
    #[serde(rename = "Version")]
    version: String,
    #[serde(rename = "BundleSize")]
    bundle_size: u64,
    #[serde(rename = "DynamicSize")]
    dynamic_size: u64,
    #[serde(rename = "IsValidated")]
    is_validated: bool,
    #[serde(rename = "Installing")]
    installing: bool,
    #[serde(rename = "ExternalVersionIdentifier")]
    external_version_identifier: u64,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct AppList {
    #[serde(rename = "CommandUUID")]
    command_uuid: String,
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "UDID")]
    udid: String,
    #[serde(rename = "InstalledApplicationList")]
    list: Vec<App>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct TokenUpdate {
    #[serde(rename = "MessageType")]
    message_type: String,
    #[serde(rename = "Topic")]
    topic: String,
    #[serde(rename = "UDID")]
    udid: String,
    #[serde(rename = "PushMagic")]
    push_magic: String,
    #[serde(rename = "Token")]
    token: plist::Data,
    #[serde(rename = "UnlockToken")]
    unlock_token: Option<plist::Data>,
    #[serde(rename = "AwaitingConfiguration")]
    awaiting_configuration: Option<bool>,
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n";

fn b64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in 52-character lines indented like Apple's writer.
fn data_block(bytes: &[u8], indent: &str) -> String {
    let text = b64(bytes);
    let mut out = String::new();
    for line in text.as_bytes().chunks(52) {
        let _ = writeln!(out, "{indent}{}", std::str::from_utf8(line).unwrap());
    }
    out
}

fn apps() -> String {
    let mut s = String::from(HEAD);
    s.push_str("<dict>\n\t<key>CommandUUID</key>\n\t<string>9F0C6D52-6B1E-4C2B-8E55-1D7C1E8A3B10</string>\n\t<key>InstalledApplicationList</key>\n\t<array>\n");
    for i in 0..2000u64 {
        let _ = write!(
            s,
            "\t\t<dict>\n\t\t\t<key>BundleSize</key>\n\t\t\t<integer>{}</integer>\n\t\t\t<key>DynamicSize</key>\n\t\t\t<integer>{}</integer>\n\t\t\t<key>ExternalVersionIdentifier</key>\n\t\t\t<integer>{}</integer>\n\t\t\t<key>Identifier</key>\n\t\t\t<string>com.example.enterprise.application{i:05}</string>\n\t\t\t<key>Installing</key>\n\t\t\t<false/>\n\t\t\t<key>IsValidated</key>\n\t\t\t<{}/>\n\t\t\t<key>Name</key>\n\t\t\t<string>Example Enterprise Application Number {i}</string>\n\t\t\t<key>ShortVersion</key>\n\t\t\t<string>{}.{}.{}</string>\n\t\t\t<key>Version</key>\n\t\t\t<string>{}</string>\n\t\t</dict>\n",
            1_000_000 + i * 4096,
            i * 512,
            800_000_000 + i,
            if i % 2 == 0 { "true" } else { "false" },
            i % 9,
            i % 7,
            i % 5,
            10_000 + i
        );
    }
    s.push_str("\t</array>\n\t<key>Status</key>\n\t<string>Acknowledged</string>\n\t<key>UDID</key>\n\t<string>00008030-001A2B3C4D5E6F70</string>\n</dict>\n</plist>\n");
    s
}

fn token_update() -> String {
    let token: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37)).collect();
    let unlock: Vec<u8> = (0..1100u32).map(|i| (i * 131 % 251) as u8).collect();
    format!(
        "{HEAD}<dict>\n\t<key>AwaitingConfiguration</key>\n\t<false/>\n\t<key>MessageType</key>\n\t<string>TokenUpdate</string>\n\t<key>PushMagic</key>\n\t<string>5B1E7F0A-7E4D-4C9B-9F2A-3C8D1E6B4A20</string>\n\t<key>Token</key>\n\t<data>\n{}\t</data>\n\t<key>Topic</key>\n\t<string>com.apple.mgmt.External.3f0a9c1e-8b7d-4e2a-9c5f-1a2b3c4d5e6f</string>\n\t<key>UDID</key>\n\t<string>00008030-001A2B3C4D5E6F70</string>\n\t<key>UnlockToken</key>\n\t<data>\n{}\t</data>\n</dict>\n</plist>\n",
        data_block(&token, "\t"),
        data_block(&unlock, "\t")
    )
}

fn profile() -> String {
    let mut s = String::from(HEAD);
    s.push_str(concat!(
        "<dict>\n\t<key>PayloadContent</key>\n\t<array>\n",
        "\t\t<dict>\n\t\t\t<key>AutoJoin</key>\n\t\t\t<true/>\n",
        "\t\t\t<key>EAPClientConfiguration</key>\n\t\t\t<dict>\n",
        "\t\t\t\t<key>AcceptEAPTypes</key>\n\t\t\t\t<array>\n\t\t\t\t\t<integer>25</integer>\n\t\t\t\t\t<integer>21</integer>\n\t\t\t\t</array>\n",
        "\t\t\t\t<key>OuterIdentity</key>\n\t\t\t\t<string>anonymous@example.com</string>\n",
        "\t\t\t\t<key>TLSTrustedServerNames</key>\n\t\t\t\t<array>\n\t\t\t\t\t<string>radius1.example.com</string>\n\t\t\t\t\t<string>radius2.example.com</string>\n\t\t\t\t</array>\n",
        "\t\t\t\t<key>TTLSInnerAuthentication</key>\n\t\t\t\t<string>MSCHAPv2</string>\n",
        "\t\t\t\t<key>UserName</key>\n\t\t\t\t<string>jappleseed</string>\n",
        "\t\t\t</dict>\n",
        "\t\t\t<key>EncryptionType</key>\n\t\t\t<string>WPA2</string>\n",
        "\t\t\t<key>HIDDEN_NETWORK</key>\n\t\t\t<false/>\n",
        "\t\t\t<key>PayloadCertificateAnchorUUID</key>\n\t\t\t<array>\n\t\t\t\t<string>1C9E4B2A-3D5F-4A6B-8C7D-9E0F1A2B3C4D</string>\n\t\t\t</array>\n",
        "\t\t\t<key>PayloadDescription</key>\n\t\t\t<string>Configures the corporate Wi-Fi network with EAP-TTLS and PEAP, trusting the two RADIUS servers of the company and their issuing certificate authority only.</string>\n",
        "\t\t\t<key>PayloadDisplayName</key>\n\t\t\t<string>Wi-Fi (Corporate)</string>\n",
        "\t\t\t<key>PayloadIdentifier</key>\n\t\t\t<string>com.example.profile.wifi.corporate</string>\n",
        "\t\t\t<key>PayloadType</key>\n\t\t\t<string>com.apple.wifi.managed</string>\n",
        "\t\t\t<key>PayloadUUID</key>\n\t\t\t<string>6A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9</string>\n",
        "\t\t\t<key>PayloadVersion</key>\n\t\t\t<integer>1</integer>\n",
        "\t\t\t<key>ProxyType</key>\n\t\t\t<string>None</string>\n",
        "\t\t\t<key>SSID_STR</key>\n\t\t\t<string>Example-Corp</string>\n",
        "\t\t</dict>\n",
        "\t\t<dict>\n\t\t\t<key>allowSimple</key>\n\t\t\t<false/>\n",
        "\t\t\t<key>forcePIN</key>\n\t\t\t<true/>\n",
        "\t\t\t<key>maxFailedAttempts</key>\n\t\t\t<integer>10</integer>\n",
        "\t\t\t<key>maxGracePeriod</key>\n\t\t\t<integer>5</integer>\n",
        "\t\t\t<key>maxInactivity</key>\n\t\t\t<integer>5</integer>\n",
        "\t\t\t<key>maxPINAgeInDays</key>\n\t\t\t<integer>90</integer>\n",
        "\t\t\t<key>minComplexChars</key>\n\t\t\t<integer>1</integer>\n",
        "\t\t\t<key>minLength</key>\n\t\t\t<integer>8</integer>\n",
        "\t\t\t<key>pinHistory</key>\n\t\t\t<integer>5</integer>\n",
        "\t\t\t<key>requireAlphanumeric</key>\n\t\t\t<true/>\n",
        "\t\t\t<key>PayloadDescription</key>\n\t\t\t<string>Requires an alphanumeric passcode of at least eight characters, changed every ninety days.</string>\n",
        "\t\t\t<key>PayloadDisplayName</key>\n\t\t\t<string>Passcode</string>\n",
        "\t\t\t<key>PayloadIdentifier</key>\n\t\t\t<string>com.example.profile.passcode</string>\n",
        "\t\t\t<key>PayloadType</key>\n\t\t\t<string>com.apple.mobiledevice.passwordpolicy</string>\n",
        "\t\t\t<key>PayloadUUID</key>\n\t\t\t<string>7B2C3D4E-5F60-4172-8384-95A6B7C8D9EA</string>\n",
        "\t\t\t<key>PayloadVersion</key>\n\t\t\t<integer>1</integer>\n",
        "\t\t</dict>\n\t</array>\n",
        "\t<key>PayloadDescription</key>\n\t<string>Corporate network access and device passcode policy for managed devices of Example Corporation. Installed by the device management service; remove it only through that service.</string>\n",
        "\t<key>PayloadDisplayName</key>\n\t<string>Example Corporate Settings</string>\n",
        "\t<key>PayloadIdentifier</key>\n\t<string>com.example.profile</string>\n",
        "\t<key>PayloadOrganization</key>\n\t<string>Example Corporation</string>\n",
        "\t<key>PayloadRemovalDisallowed</key>\n\t<true/>\n",
        "\t<key>PayloadScope</key>\n\t<string>System</string>\n",
        "\t<key>PayloadType</key>\n\t<string>Configuration</string>\n",
        "\t<key>PayloadUUID</key>\n\t<string>8C3D4E5F-6071-4283-9495-A6B7C8D9EAFB</string>\n",
        "\t<key>PayloadVersion</key>\n\t<integer>1</integer>\n",
    ));
    // Pad to 4 KiB with a consent text, as real profiles carry.
    let closing = "</dict>\n</plist>\n";
    let open = "\t<key>ConsentText</key>\n\t<dict>\n\t\t<key>default</key>\n\t\t<string>";
    let close = "</string>\n\t</dict>\n";
    let room = 4096usize.saturating_sub(s.len() + closing.len() + open.len() + close.len());
    s.push_str(open);
    let words = "This profile is managed by the Example Corporation IT department. ";
    while s.len() < 4096 - closing.len() - close.len() {
        s.push_str(words);
    }
    s.truncate(4096 - closing.len() - close.len());
    let _ = room;
    s.push_str(close);
    s.push_str(closing);
    s
}

/// Median nanoseconds per call over 7 samples of about 0.3 s each.
fn time<R>(mut f: impl FnMut() -> R) -> f64 {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        if t.elapsed() > Duration::from_millis(50) {
            break;
        }
        n *= 2;
    }
    let per_sample = (n * 6).max(1);
    let mut samples: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_sample {
                black_box(f());
            }
            t.elapsed().as_nanos() as f64 / per_sample as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[3]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(2).map(String::as_str).unwrap_or("."));
    match args.get(1).map(String::as_str) {
        Some("gen") => {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("apps.plist"), apps()).unwrap();
            std::fs::write(dir.join("token_update.plist"), token_update()).unwrap();
            std::fs::write(dir.join("profile.plist"), profile()).unwrap();
            // A signed copy of the profile for the verify rows, with a fresh RSA-2048 signer.
            let key = mdm_signing::PrivateKey::generate_rsa(2048).unwrap();
            let id = mdm_signing::Identity::self_signed("compare signer", key, 30).unwrap();
            let signer = mdm_signing::Signer::new(id.clone()).unwrap();
            let signed = mdm_signing::sign(profile().as_bytes(), &signer).unwrap();
            std::fs::write(dir.join("profile-rsa2048.p7m"), signed).unwrap();
            std::fs::write(
                dir.join("signer-rsa2048.der"),
                id.certificate().to_der().unwrap(),
            )
            .unwrap();
            let key = mdm_signing::PrivateKey::generate_p256().unwrap();
            let id = mdm_signing::Identity::self_signed("compare signer", key, 30).unwrap();
            let signer = mdm_signing::Signer::new(id.clone()).unwrap();
            let signed = mdm_signing::sign(profile().as_bytes(), &signer).unwrap();
            std::fs::write(dir.join("profile-p256.p7m"), signed).unwrap();
            std::fs::write(
                dir.join("signer-p256.der"),
                id.certificate().to_der().unwrap(),
            )
            .unwrap();
        }
        Some("time") => {
            let apps = std::fs::read(dir.join("apps.plist")).unwrap();
            let token = std::fs::read(dir.join("token_update.plist")).unwrap();
            let profile = std::fs::read(dir.join("profile.plist")).unwrap();
            let row = |name: &str, ns: f64| println!("{name}\t{ns:.0}");
            row(
                "apps.ours_typed",
                time(|| mdm_plist::from_xml_bytes::<AppList>(&apps).unwrap()),
            );
            row(
                "apps.plist_typed",
                time(|| plist::from_bytes::<AppList>(&apps).unwrap()),
            );
            row(
                "apps.ours_value",
                time(|| mdm_plist::from_xml_bytes::<mdm_plist::Value>(&apps).unwrap()),
            );
            row(
                "apps.plist_value",
                time(|| plist::from_bytes::<plist::Value>(&apps).unwrap()),
            );
            row(
                "token.ours_typed",
                time(|| mdm_plist::from_xml_bytes::<TokenUpdate>(&token).unwrap()),
            );
            row(
                "token.ours_checkin",
                time(|| mdm_checkin::CheckinMessage::decode(&token).unwrap()),
            );
            row(
                "token.plist_typed",
                time(|| plist::from_bytes::<TokenUpdate>(&token).unwrap()),
            );
            row(
                "profile.ours_value",
                time(|| mdm_plist::from_xml_bytes::<mdm_plist::Value>(&profile).unwrap()),
            );
            row(
                "profile.ours_profiles",
                time(|| mdm_profiles::Decoded::decode(&profile).unwrap()),
            );
            row(
                "profile.plist_value",
                time(|| plist::from_bytes::<plist::Value>(&profile).unwrap()),
            );
            for alg in ["rsa2048", "p256"] {
                let signed = std::fs::read(dir.join(format!("profile-{alg}.p7m"))).unwrap();
                let anchor = mdm_signing::Certificate::from_der(
                    &std::fs::read(dir.join(format!("signer-{alg}.der"))).unwrap(),
                )
                .unwrap();
                let only = mdm_signing::TrustPolicy::signature_only();
                row(
                    &format!("verify_{alg}.ours_signature_only"),
                    time(|| mdm_signing::verify(&signed, &only).unwrap()),
                );
                let chain = mdm_signing::TrustPolicy::with_anchors([anchor]).check_purpose(false);
                row(
                    &format!("verify_{alg}.ours_chain"),
                    time(|| mdm_signing::verify(&signed, &chain).unwrap()),
                );
            }
        }
        Some("repeat") => {
            // One of our decode rows N times, for a profiler (`valgrind --tool=callgrind`).
            let which = args.get(3).map(String::as_str).unwrap_or("token");
            let n: u64 = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(1000);
            let bytes = std::fs::read(dir.join(match which {
                "apps" => "apps.plist",
                "profile" => "profile.plist",
                _ => "token_update.plist",
            }))
            .unwrap();
            for _ in 0..n {
                match which {
                    "apps" => drop(black_box(
                        mdm_plist::from_xml_bytes::<AppList>(&bytes).unwrap(),
                    )),
                    "profile" => drop(black_box(mdm_profiles::Decoded::decode(&bytes).unwrap())),
                    _ => drop(black_box(
                        mdm_plist::from_xml_bytes::<TokenUpdate>(&bytes).unwrap(),
                    )),
                }
            }
        }
        _ => eprintln!("usage: mdm-compare gen DIR | time DIR | repeat DIR apps|token|profile N"),
    }
}
