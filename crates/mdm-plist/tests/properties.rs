//! Property tests: any value survives encode then bounded decode, and decode never panics
//! on arbitrary or mutated bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use mdm_plist::{Dictionary, Limits, Value};
use proptest::prelude::*;

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(|i| Value::Integer(i.into())),
        any::<u64>().prop_map(|i| Value::Integer(i.into())),
        (-1.0e12f64..1.0e12).prop_map(Value::Real),
        "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}\r]{0,24}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..32).prop_map(Value::Data),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::btree_map("[A-Za-z][A-Za-z0-9]{0,12}", inner, 0..8).prop_map(
                |m| {
                    let mut d = Dictionary::new();
                    for (k, v) in m {
                        d.insert(k, v);
                    }
                    Value::Dictionary(d)
                }
            ),
        ]
    })
}

proptest! {
    #[test]
    fn xml_round_trip(v in arb_value()) {
        let xml = mdm_plist::to_xml_bytes(&v).unwrap();
        let back = mdm_plist::value_from_xml_bytes(&xml, &Limits::default()).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn binary_round_trip(v in arb_value()) {
        let bin = mdm_plist::to_binary_bytes(&v).unwrap();
        let back: Value = mdm_plist::from_binary_bytes(&bin, &Default::default()).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn decode_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = mdm_plist::value_from_xml_bytes(&bytes, &Limits::default());
        let _ = mdm_plist::from_binary_bytes::<Value>(&bytes, &Default::default());
    }

    #[test]
    fn decode_never_panics_on_mutations(
        v in arb_value(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        for mut bytes in [mdm_plist::to_xml_bytes(&v).unwrap(), mdm_plist::to_binary_bytes(&v).unwrap()] {
            for (i, b) in &edits {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            let _ = mdm_plist::value_from_xml_bytes(&bytes, &Limits::default());
            let _ = mdm_plist::from_binary_bytes::<Value>(&bytes, &Default::default());
            bytes.truncate(cut.index(bytes.len() + 1));
            let _ = mdm_plist::value_from_xml_bytes(&bytes, &Limits::default());
            let _ = mdm_plist::from_binary_bytes::<Value>(&bytes, &Default::default());
        }
    }

    #[test]
    fn both_decoders_agree_on_mutations(
        v in arb_value(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
    ) {
        let mut bytes = mdm_plist::to_xml_bytes(&v).unwrap();
        prop_assert_eq!(mdm_plist::value_from_xml_bytes(&bytes, &Limits::default()).unwrap(), v);
        // Printable replacements keep most mutations inside the XML grammar's reach.
        const PICK: &[u8] = b"<>/&;=#x \n\tadkyst0";
        for (i, b) in &edits {
            let at = i.index(bytes.len());
            bytes[at] = PICK[usize::from(*b) % PICK.len()];
        }
        if let Err(disagreement) = mdm_plist::__private::differential(&bytes) {
            prop_assert!(false, "{}", disagreement);
        }
    }
}
