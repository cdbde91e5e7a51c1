//! Properties: every message type survives encode then decode unchanged (unknown keys
//! included), and decode never panics on mutated golden vectors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;

use proptest::collection::{btree_map, vec};
use proptest::option::of;
use proptest::prelude::*;

use mdm_checkin::{
    Authenticate, CheckOut, CheckinMessage, DeclarativeEndpoint, DeclarativeManagement,
    DeviceToken, EnrollmentId, GetBootstrapToken, GetToken, Message, PushMagic, SetBootstrapToken,
    TokenParameters, TokenServiceType, TokenUpdate, Topic, Udid, UserAuthenticate,
};
use mdm_plist::{Data, Dictionary, Value};

/// Free text, with the characters XML must escape and some non-ASCII.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 .,@_'\"<>&é漢-]{0,24}"
}

fn udid() -> impl Strategy<Value = Udid> {
    prop_oneof![
        "[0-9a-f]{40}",
        "[0-9A-F]{8}-[0-9A-F]{16}",
        "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}",
    ]
    .prop_map(|s| Udid::new(s).unwrap())
}

fn enrollment_id() -> impl Strategy<Value = EnrollmentId> {
    "[0-9a-f]{8,40}".prop_map(|s| EnrollmentId::new(s).unwrap())
}

fn topic() -> impl Strategy<Value = Topic> {
    "com\\.apple\\.mgmt\\.[A-Za-z0-9.-]{1,40}".prop_map(|s| Topic::new(s).unwrap())
}

fn push_magic() -> impl Strategy<Value = PushMagic> {
    "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}".prop_map(|s| PushMagic::new(s).unwrap())
}

fn token() -> impl Strategy<Value = DeviceToken> {
    vec(any::<u8>(), 1..64).prop_map(|b| DeviceToken::new(b).unwrap())
}

fn data() -> impl Strategy<Value = Data> {
    vec(any::<u8>(), 0..120).prop_map(Data::new)
}

/// Unknown keys (never a modelled key name: those all start with a capital letter other
/// than `X`) with simple values.
fn extra() -> impl Strategy<Value = Dictionary> {
    let value = prop_oneof![
        text().prop_map(Value::String),
        any::<i64>().prop_map(|i| Value::Integer(i.into())),
        any::<bool>().prop_map(Value::Boolean),
        data().prop_map(|d| Value::Data(d.into())),
        vec(text().prop_map(Value::String), 0..3).prop_map(Value::Array),
    ];
    btree_map("X[a-zA-Z]{1,8}", value, 0..4).prop_map(|m| m.into_iter().collect())
}

fn user_fields() -> impl Strategy<Value = (Option<String>, Option<String>, Option<String>)> {
    (of(text()), of(text()), of(text()))
}

fn authenticate() -> impl Strategy<Value = Message> {
    (
        (
            of(text()),
            of(text()),
            of(enrollment_id()),
            of(text()),
            of(text()),
        ),
        (of(text()), of(text()), of(text()), of(text()), of(text())),
        (topic(), of(udid()), extra()),
    )
        .prop_map(
            |((bv, dn, eid, imei, meid), (model, mn, osv, pn, sn), (t, u, x))| {
                let mut m = Authenticate::new(t);
                m.build_version = bv;
                m.device_name = dn;
                m.enrollment_id = eid;
                m.imei = imei;
                m.meid = meid;
                m.model = model;
                m.model_name = mn;
                m.os_version = osv;
                m.product_name = pn;
                m.serial_number = sn;
                m.udid = u;
                m.extra = x;
                m.into()
            },
        )
}

fn token_update() -> impl Strategy<Value = Message> {
    (
        (topic(), token(), push_magic()),
        (
            of(any::<bool>()),
            of(enrollment_id()),
            of(enrollment_id()),
            of(any::<bool>()),
        ),
        (of(udid()), of(data()), user_fields(), extra()),
    )
        .prop_map(
            |((t, tok, pm), (ac, eid, euid, noc), (u, ut, (uid, uln, usn), x))| {
                let mut m = TokenUpdate::new(t, tok, pm);
                m.awaiting_configuration = ac;
                m.enrollment_id = eid;
                m.enrollment_user_id = euid;
                m.not_on_console = noc;
                m.udid = u;
                m.unlock_token = ut;
                m.user_id = uid;
                m.user_long_name = uln;
                m.user_short_name = usn;
                m.extra = x;
                m.into()
            },
        )
}

fn check_out() -> impl Strategy<Value = Message> {
    (topic(), of(enrollment_id()), of(udid()), extra()).prop_map(|(t, eid, u, x)| {
        let mut m = CheckOut::new(t);
        m.enrollment_id = eid;
        m.udid = u;
        m.extra = x;
        m.into()
    })
}

fn user_authenticate() -> impl Strategy<Value = Message> {
    (udid(), text(), of(text()), extra()).prop_map(|(u, uid, dr, x)| {
        let mut m = UserAuthenticate::new(u, uid);
        m.digest_response = dr;
        m.extra = x;
        m.into()
    })
}

fn get_bootstrap_token() -> impl Strategy<Value = Message> {
    (of(any::<bool>()), of(udid()), extra()).prop_map(|(ac, u, x)| {
        let mut m = GetBootstrapToken::new();
        m.awaiting_configuration = ac;
        m.udid = u;
        m.extra = x;
        m.into()
    })
}

fn set_bootstrap_token() -> impl Strategy<Value = Message> {
    (of(any::<bool>()), of(data()), of(udid()), extra()).prop_map(|(ac, bt, u, x)| {
        let mut m = SetBootstrapToken::new();
        m.awaiting_configuration = ac;
        m.bootstrap_token = bt;
        m.udid = u;
        m.extra = x;
        m.into()
    })
}

fn endpoint() -> impl Strategy<Value = DeclarativeEndpoint> {
    prop_oneof![
        Just(DeclarativeEndpoint::Tokens),
        Just(DeclarativeEndpoint::DeclarationItems),
        Just(DeclarativeEndpoint::Status),
        "declaration/[a-z]{1,12}/[a-z.]{1,20}".prop_map(DeclarativeEndpoint::from),
    ]
}

fn declarative_management() -> impl Strategy<Value = Message> {
    (
        (
            endpoint(),
            of(data()),
            of(enrollment_id()),
            of(enrollment_id()),
        ),
        (of(udid()), user_fields(), extra()),
    )
        .prop_map(|((e, d, eid, euid), (u, (uid, uln, usn), x))| {
            let mut m = DeclarativeManagement::new(e);
            m.data = d;
            m.enrollment_id = eid;
            m.enrollment_user_id = euid;
            m.udid = u;
            m.user_id = uid;
            m.user_long_name = uln;
            m.user_short_name = usn;
            m.extra = x;
            m.into()
        })
}

fn get_token() -> impl Strategy<Value = Message> {
    let service = prop_oneof![
        Just(TokenServiceType::ManagedAppleAccount),
        Just(TokenServiceType::WatchPairing),
        "com\\.example\\.[a-z]{1,8}".prop_map(TokenServiceType::from),
    ];
    let params =
        (of(udid()), of(text()), of(udid()), extra()).prop_map(|(p, s, w, x)| TokenParameters {
            phone_udid: p,
            security_token: s,
            watch_udid: w,
            extra: x,
        });
    (
        (
            service,
            of(params),
            of(enrollment_id()),
            of(enrollment_id()),
        ),
        (of(udid()), user_fields(), extra()),
    )
        .prop_map(|((s, p, eid, euid), (u, (uid, uln, usn), x))| {
            let mut m = GetToken::new(s);
            m.token_parameters = p;
            m.enrollment_id = eid;
            m.enrollment_user_id = euid;
            m.udid = u;
            m.user_id = uid;
            m.user_long_name = uln;
            m.user_short_name = usn;
            m.extra = x;
            m.into()
        })
}

fn unknown() -> impl Strategy<Value = Message> {
    ("Future[A-Za-z]{1,10}", extra()).prop_map(|(t, x)| {
        let mut body = Dictionary::new();
        body.insert("MessageType".into(), Value::String(t.clone()));
        for (k, v) in x {
            body.insert(k, v);
        }
        Message::Unknown {
            message_type: t,
            body,
        }
    })
}

fn round_trip(msg: &Message) {
    let xml = msg.encode().unwrap();
    let back = CheckinMessage::decode(&xml)
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&xml)));
    assert_eq!(back.message(), msg);
    assert_eq!(back.raw(), &xml[..]);
    assert_eq!(back.encode().unwrap(), xml, "encoding is stable");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn authenticate_round_trips(m in authenticate()) { round_trip(&m) }

    #[test]
    fn token_update_round_trips(m in token_update()) { round_trip(&m) }

    #[test]
    fn check_out_round_trips(m in check_out()) { round_trip(&m) }

    #[test]
    fn user_authenticate_round_trips(m in user_authenticate()) { round_trip(&m) }

    #[test]
    fn get_bootstrap_token_round_trips(m in get_bootstrap_token()) { round_trip(&m) }

    #[test]
    fn set_bootstrap_token_round_trips(m in set_bootstrap_token()) { round_trip(&m) }

    #[test]
    fn declarative_management_round_trips(m in declarative_management()) { round_trip(&m) }

    #[test]
    fn get_token_round_trips(m in get_token()) { round_trip(&m) }

    #[test]
    fn unknown_round_trips(m in unknown()) { round_trip(&m) }
}

fn goldens() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("plist"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.sort();
    out
}

/// One edit of a golden file.
#[derive(Debug, Clone)]
enum Edit {
    Set(usize, u8),
    Truncate(usize),
    Remove(usize, usize),
    Insert(usize, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let snippet = prop_oneof![
        Just("<dict>"),
        Just("</dict>"),
        Just("<array>"),
        Just("<key>MessageType</key><string>CheckOut</string>"),
        Just("<key>UDID</key>"),
        Just("<integer>99999999999999999999</integer>"),
        Just("&amp;"),
        Just("&#0;"),
        Just("<![CDATA[x]]>"),
        Just("\u{0}"),
        Just("\u{feff}"),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Edit::Remove(i, n)),
        (any::<usize>(), snippet).prop_map(|(i, s)| Edit::Insert(i, s)),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match *e {
            Edit::Set(i, b) => {
                if let Some(x) = bytes.get_mut(i % len) {
                    *x = b;
                }
            }
            Edit::Truncate(i) => bytes.truncate(i % len),
            Edit::Remove(i, n) => {
                let start = (i % len).min(bytes.len());
                let end = (start + n).min(bytes.len());
                bytes.drain(start..end);
            }
            Edit::Insert(i, s) => {
                let at = (i % len).min(bytes.len());
                bytes.splice(at..at, s.bytes());
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_never_panics_on_mutated_goldens(
        which in any::<usize>(),
        edits in vec(edit(), 1..6),
    ) {
        let all = goldens();
        let bytes = apply(all[which % all.len()].clone(), &edits);
        if let Ok(msg) = CheckinMessage::decode(&bytes) {
            // Whatever decodes must also encode and decode again to the same message.
            let xml = msg.encode().unwrap();
            let again = CheckinMessage::decode(&xml).unwrap();
            prop_assert_eq!(again.message(), msg.message());
            let _ = msg.enrollment_id();
        }
    }
}
