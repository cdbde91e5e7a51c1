//! Replays every file under `fuzz/corpus/<target>/` through the same entry point its
//! cargo-fuzz target calls, on the stable toolchain, so a seed that once crashed stays fixed.
//! The table below mirrors `fuzz/fuzz_targets/`; a corpus folder without a row fails the test.
// A disagreement of the two plist decoders fails the replay the way the fuzz target does
// (clippy::panic); the replays below unwrap what cannot fail on their own fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::sync::OnceLock;

use mdm_signing::{Identity, PrivateKey, TrustPolicy};

type Entry = fn(&[u8]);

/// Keys the replays of the targets that sign or encrypt use (made once, as in the targets).
struct Keys {
    rsa: Identity,
    ec: Identity,
    scep: mdm_scep::ScepResponder,
    structured: mdm_testsupport::cms::Keys,
    anchored: TrustPolicy,
    signer: mdm_signing::Signer,
}

fn keys() -> &'static Keys {
    static K: OnceLock<Keys> = OnceLock::new();
    K.get_or_init(|| {
        let rsa = Identity::self_signed("replay rsa", PrivateKey::generate_rsa(1024).unwrap(), 30)
            .unwrap();
        let ec =
            Identity::self_signed("replay ec", PrivateKey::generate_p256().unwrap(), 30).unwrap();
        let scep = mdm_scep::ScepResponder::new(
            rsa.clone(),
            mdm_scep::SimpleCa::new(rsa.clone(), 1),
            |req| match req.challenge {
                Some("issue") => mdm_scep::Decision::Issue,
                Some("pending") => mdm_scep::Decision::Pending,
                _ => mdm_scep::Decision::Reject(mdm_scep::FailInfo::BadRequest),
            },
        )
        .allow_des(true);
        let structured = mdm_testsupport::cms::Keys::generate().unwrap();
        let anchors = [structured.rsa_certificate(), structured.ec_certificate()]
            .map(|c| mdm_signing::Certificate::from_der(&c.to_der().unwrap()).unwrap());
        Keys {
            anchored: TrustPolicy::with_anchors(
                anchors.into_iter().chain([ec.certificate().clone()]),
            ),
            signer: mdm_signing::Signer::new(ec.clone()).unwrap(),
            rsa,
            ec,
            scep,
            structured,
        }
    })
}

/// The DER reader on every element, as `der_decode` walks it.
fn der_walk(t: mdm_signing::der::Tlv<'_>, depth: usize) {
    let _ = t.octets("replay");
    if t.tag & 0x1f != 0x1f {
        let encoded = mdm_signing::der::tlv(t.tag, t.value);
        let back = mdm_signing::der::Tlv::parse_all(&encoded, "replay").unwrap();
        assert_eq!((back.tag, back.value), (t.tag, t.value));
    }
    if depth < 64 && t.tag & 0x20 != 0 {
        for c in t.children("replay").unwrap_or_default() {
            der_walk(c, depth + 1);
        }
    }
}

const CIPHERS: [mdm_signing::ContentCipher; 4] = [
    mdm_signing::ContentCipher::Aes256Cbc,
    mdm_signing::ContentCipher::Aes128Cbc,
    mdm_signing::ContentCipher::DesEde3Cbc,
    mdm_signing::ContentCipher::DesCbc,
];

const TARGETS: &[(&str, Entry)] = &[
    ("scep_pkimessage_parse", |d| {
        let _ = mdm_scep::PkiMessage::decode(d).map(|m| m.verify(&[]));
    }),
    ("scep_certrep_parse", |d| {
        let _ = mdm_scep::PkiMessage::decode_cert_rep(d, &[]);
    }),
    ("command_decode", |d| {
        let _ = mdm_commands::AnyCommand::decode(d);
    }),
    ("response_decode", |d| {
        let _ = mdm_commands::CommandResponse::decode_typed::<mdm_commands::DeviceInformation>(d);
    }),
    ("apns_response_parse", |d| {
        let _ = mdm_apns::parse_response_body(400, d);
    }),
    ("checkin_decode", |d| {
        let _ = mdm_checkin::CheckinMessage::decode(d);
    }),
    ("profile_decode", |d| {
        let _ = mdm_profiles::Decoded::decode(d).map(|d| d.problems());
        if let Err(disagreement) = mdm_profiles::__private::differential(d) {
            panic!("profile decode paths disagree: {disagreement}");
        }
    }),
    ("plist_differential", |d| {
        if let Err(disagreement) = mdm_plist::__private::differential(d) {
            panic!("decoders disagree: {disagreement}");
        }
    }),
    ("plist_decode", |d| {
        let _ = mdm_plist::value_from_xml_bytes(d, &mdm_plist::Limits::default());
    }),
    ("signed_profile_verify", |d| {
        let _ = mdm_signing::verify(d, &mdm_signing::TrustPolicy::signature_only());
    }),
    ("mdm_signature_verify", |d| {
        let _ = mdm_signing::verify_mdm_signature_der(
            d,
            b"{}",
            &mdm_signing::TrustPolicy::signature_only(),
        );
    }),
    ("dep_response_decode", |d| {
        let _ = mdm_dep::DevicePage::decode(d);
        let _ = mdm_dep::AccountDetail::decode(d);
        let _ = mdm_dep::Profile::decode(d);
        let _ = mdm_dep::DeviceDetails::decode(d);
        let _ = mdm_dep::AssignProfileResponse::decode(d);
        let _ = mdm_dep::ServerToken::from_decrypted(d);
        let api = mdm_dep::ApiError::from_parts(400, &Default::default(), d, mdm_dep::Utc::now());
        let _ = mdm_dep::Error::from_api(api).is_retryable();
    }),
    ("vpp_response_decode", |d| {
        let _ = mdm_vpp::ServiceConfig::decode(d);
        let _ = mdm_vpp::ClientConfigResponse::decode(d);
        let _ = mdm_vpp::GetAssetsResponse::decode(d);
        let _ = mdm_vpp::GetAssignmentsResponse::decode(d);
        let _ = mdm_vpp::GetUsersResponse::decode(d);
        let _ = mdm_vpp::EventResponse::decode(d);
        let _ = mdm_vpp::StatusResponse::decode(d).map(|s| s.encode());
        let _ = mdm_vpp::Notification::decode(d).map(|n| n.encode());
        let _ = mdm_vpp::ContentToken::decode(d);
    }),
    ("axm_response_decode", |d| {
        let _ = mdm_axm::OrgDevicesResponse::decode(d).map(|p| (p.next_cursor(), p.encode()));
        let _ = mdm_axm::OrgDeviceResponse::decode(d).map(|p| p.encode());
        let _ = mdm_axm::MdmServersResponse::decode(d).map(|p| p.encode());
        let _ = mdm_axm::MdmServerResponse::decode(d);
        let _ = mdm_axm::LinkageResponse::decode(d);
        let _ = mdm_axm::LinkagesResponse::decode(d).map(|p| p.next_cursor());
        let _ = mdm_axm::AppleCareCoverageResponse::decode(d);
        let _ = mdm_axm::OrgDeviceActivityResponse::decode(d).map(|p| p.encode());
        let _ = mdm_axm::ErrorResponse::decode(d).map(|e| e.encode());
        let _ = mdm_axm::OAuthError::decode(d).map(|e| e.to_string());
        let _ = mdm_axm::TokenResponse::decode(d);
        let _ = mdm_axm::ActivityRequest::decode(d).map(|r| r.encode());
        let _ = mdm_axm::ActivityLog::decode(d);
        let api = mdm_axm::ApiError::from_parts(409, &Default::default(), d, mdm_axm::Utc::now());
        let _ = mdm_axm::Error::from_api(api).to_string();
        if let Ok(text) = std::str::from_utf8(d) {
            let _ = mdm_axm::DecodedAssertion::decode(text);
            let _ = mdm_axm::form_decode(text);
            let _ = mdm_axm::parse_date(text);
        }
    }),
    ("declaration_decode", |d| {
        if let Ok(decl) = mdm_declarative::Declaration::decode(d) {
            let _ = decl.encode();
            let _ = decl.content_token();
            let mut set = mdm_declarative::DeclarationSet::new();
            let _ = set.insert(decl);
            let _ = set.validate_for(
                mdm_declarative::Platform::IOS,
                mdm_declarative::Version::new(17, 0, 0),
            );
            let _ = set.manifest().encode();
        }
        let _ = mdm_declarative::TokensResponse::decode(d);
        let _ = mdm_declarative::DeclarationItemsResponse::decode(d);
    }),
    ("status_report_decode", |d| {
        if let Ok(r) = mdm_declarative::StatusReport::decode(d) {
            let _ = r.encode();
        }
    }),
    ("binary_plist_decode", |d| {
        let limits = mdm_plist::BinaryLimits {
            max_expanded_bytes: 4 * 1024 * 1024,
            ..mdm_plist::BinaryLimits::default()
        };
        if let Ok(v) = mdm_plist::from_binary_bytes::<mdm_plist::Value>(d, &limits) {
            let _ = mdm_plist::to_xml_bytes(&v);
            let again = mdm_plist::to_binary_bytes(&v).unwrap();
            let _ = mdm_plist::from_binary_bytes::<mdm_plist::Value>(&again, &limits);
        }
    }),
    ("der_decode", |d| {
        let Some((&mode, input)) = d.split_first() else {
            return;
        };
        let limits = if mode & 0x80 != 0 {
            mdm_signing::der::Limits::DEFAULT
        } else {
            mdm_signing::der::Limits {
                max_depth: usize::from(mode & 0x3f),
                accept_high_tag_numbers: mode & 0x40 != 0,
            }
        };
        let mut rest = input;
        while let Ok((t, after)) = mdm_signing::der::Tlv::parse_with(rest, &limits, "replay") {
            der_walk(t, 0);
            rest = after;
        }
    }),
    ("scep_responder", |d| {
        use mdm_scep::{ContentCipher, Digest, MessageType, PkiMessageBuilder, TransactionId};
        let k = keys();
        let Some((&mode, rest)) = d.split_first() else {
            return;
        };
        match mode % 8 {
            0 => {
                let _ = mdm_scep::Csr::from_der(rest).map(|c| c.subject());
            }
            1 => {
                let _ = k.scep.handle(rest);
            }
            m => {
                let message_type = match m {
                    2 | 3 => MessageType::PkcsReq,
                    4 => MessageType::RenewalReq,
                    5 => MessageType::GetCert,
                    6 => MessageType::GetCrl,
                    _ => MessageType::CertPoll,
                };
                let digest =
                    [Digest::Sha1, Digest::Sha256, Digest::Sha512][usize::from(mode >> 3) % 3];
                let cipher = [
                    ContentCipher::Aes256Cbc,
                    ContentCipher::Aes128Cbc,
                    ContentCipher::DesEde3Cbc,
                    ContentCipher::DesCbc,
                ][usize::from(mode >> 5) % 4];
                let Ok(request) =
                    PkiMessageBuilder::new(message_type, TransactionId::new("replay").unwrap())
                        .unwrap()
                        .digest(digest)
                        .cipher(cipher)
                        .message_data(rest.to_vec(), k.rsa.certificate().clone())
                        .build(&k.ec)
                else {
                    return;
                };
                // What the responder answers, the client can read.
                if let Ok(reply) = k.scep.handle(&request) {
                    mdm_scep::PkiMessage::decode_cert_rep(&reply, &[k.rsa.certificate().clone()])
                        .unwrap();
                }
            }
        }
    }),
    ("encrypted_profile_decrypt", |d| {
        let k = keys();
        let Some((&mode, rest)) = d.split_first() else {
            return;
        };
        let identity = if mode & 0x80 == 0 { &k.rsa } else { &k.ec };
        let cipher = CIPHERS[usize::from(mode >> 4) % 4];
        match mode % 4 {
            0 => {
                let _ = mdm_signing::decrypt(rest, identity);
            }
            1 => {
                let _ = mdm_signing::decrypt_payloads(rest, identity);
            }
            2 => {
                let Ok(env) = mdm_signing::encrypt(rest, identity.certificate(), cipher) else {
                    return;
                };
                let mut dict = mdm_plist::Dictionary::new();
                dict.insert(
                    "EncryptedPayloadContent".into(),
                    mdm_plist::Value::Data(env),
                );
                let xml = mdm_plist::to_xml_bytes(&mdm_plist::Value::Dictionary(dict)).unwrap();
                let _ = mdm_signing::decrypt_payloads(&xml, identity);
            }
            _ => {
                let [a, b, x, content @ ..] = rest else {
                    return;
                };
                let Ok(mut env) = mdm_signing::encrypt(content, identity.certificate(), cipher)
                else {
                    return;
                };
                let len = env.len();
                env[(usize::from(*a) << 8 | usize::from(*b)) % len] ^= x | 1;
                let _ = mdm_signing::decrypt(&env, identity);
            }
        }
    }),
    ("enrollment_profile", |d| {
        use mdm_examples::sim::{EnrollmentProfile, read_installable};
        let k = keys();
        let Some((&mode, rest)) = d.split_first() else {
            return;
        };
        match mode % 4 {
            0 => {
                let _ = EnrollmentProfile::read(rest, &TrustPolicy::signature_only(), true);
            }
            1 => {
                let _ = read_installable(rest, Some(&k.rsa));
            }
            2 => {
                let signed = k.signer.sign(rest).unwrap();
                let _ = EnrollmentProfile::read(&signed, &k.anchored, false);
                let _ = read_installable(&signed, Some(&k.rsa));
            }
            _ => {
                let text = String::from_utf8_lossy(rest);
                let mut parts = text.split('\u{0}');
                let mut next = || parts.next().unwrap_or("x").to_owned();
                let (base_url, topic, challenge, identifier, organization) =
                    (next(), next(), next(), next(), next());
                let settings = mdm_examples::server::enroll::EnrollmentSettings {
                    base_url: &base_url,
                    topic: &topic,
                    challenge: &challenge,
                    identifier: &identifier,
                    organization: &organization,
                };
                if let Ok(xml) = mdm_examples::server::enroll::profile_xml(&settings)
                    && !text.chars().any(|c| c.is_control() && c != '\u{0}')
                {
                    EnrollmentProfile::read(&xml, &k.anchored, true).unwrap();
                }
            }
        }
    }),
    ("server_api_json", |d| {
        use mdm_examples::server::api::{
            EnqueueRequest, PushRequest, build_command, json_to_plist,
        };
        if let Ok(req) = serde_json::from_slice::<EnqueueRequest>(d)
            && let Ok(command) = build_command(&req)
        {
            let _ = command.encode();
        }
        let _ = serde_json::from_slice::<PushRequest>(d);
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(d) {
            let _ = json_to_plist(&v);
        }
        let _ = serde_json::from_slice::<mdm_examples::server::config::Config>(d);
    }),
    ("signed_profile_structured", |d| {
        let k = keys();
        let Some(plan) = mdm_testsupport::cms::plan(d) else {
            return;
        };
        let der = mdm_testsupport::cms::build_plan(&plan, &k.structured);
        let _ = mdm_signing::verify(&der, &TrustPolicy::signature_only());
        let _ = mdm_signing::verify(&der, &k.anchored);
        let _ = mdm_signing::verify_detached(&der, &plan.content, &TrustPolicy::signature_only());
    }),
];

#[test]
fn replay_fuzz_corpus() {
    let root = mdm_testsupport::workspace_root().join("fuzz/corpus");
    let mut replayed = 0usize;
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        if !dir.path().is_dir() {
            continue;
        }
        let name = dir.file_name().to_string_lossy().into_owned();
        let entry = TARGETS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("fuzz/corpus/{name} has no row in TARGETS"))
            .1;
        for file in mdm_testsupport::files_under(Path::new(&dir.path())) {
            entry(&std::fs::read(&file).unwrap());
            replayed += 1;
        }
    }
    for (name, _) in TARGETS {
        assert!(
            root.join(name).is_dir(),
            "fuzz target {name} has no seed corpus"
        );
    }
    println!("replayed {replayed} fuzz corpus files");
}
