#![no_main]
//! The DER/BER reader of `mdm_signing::der` on its own: every element is walked as deep as
//! it goes, OCTET STRINGs joined, OIDs printed, and what the writer makes of an element's
//! contents must read back as the same tag and contents.
use mdm_signing::der::{self, Limits, Tlv};

/// Deepest nesting the walk follows (the reader itself recurses only on indefinite lengths).
const WALK_DEPTH: usize = 64;

fn walk(t: Tlv<'_>, depth: usize) {
    assert!(
        t.raw.len() >= t.value.len() + 2,
        "element shorter than its contents"
    );
    let _ = t.octets("fuzz");
    if t.tag == der::OID {
        let _ = der::oid_text(t.value);
    }
    // The writer's encoding of what was read reads back the same (low tag numbers only:
    // high ones are refused by default).
    if t.tag & 0x1f != 0x1f {
        let encoded = der::tlv(t.tag, t.value);
        let back = Tlv::parse_all(&encoded, "fuzz").expect("writer output reads back");
        assert_eq!((back.tag, back.value), (t.tag, t.value));
    }
    if depth >= WALK_DEPTH || t.tag & 0x20 == 0 {
        return;
    }
    if let Ok(children) = t.children("fuzz") {
        for c in children {
            walk(c, depth + 1);
        }
    }
    let mut r = t.reader();
    let _ = r.optional(der::CTX0, "fuzz");
    let _ = r.next(der::SEQUENCE, "fuzz");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        max_depth: usize::from(mode & 0x3f),
        accept_high_tag_numbers: mode & 0x40 != 0,
    };
    let limits = if mode & 0x80 != 0 {
        Limits::DEFAULT
    } else {
        limits
    };
    let mut rest = input;
    // Every top-level element in turn, as a SET OF or a certificate bag would be read.
    for _ in 0..1024 {
        match Tlv::parse_with(rest, &limits, "fuzz") {
            Ok((t, after)) => {
                assert!(after.len() < rest.len(), "parse made no progress");
                walk(t, 0);
                rest = after;
            }
            Err(_) => break,
        }
    }
    let _ = Tlv::parse_all(input, "fuzz").map(|t| t.children("fuzz"));
});
