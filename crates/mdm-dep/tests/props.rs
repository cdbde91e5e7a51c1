//! Property tests: the OAuth encoding and base string (RFC 5849), signatures that verify
//! whatever the secrets, and decoders that never panic and round-trip what they read.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use mdm_dep::oauth::{
    authorization_header, percent_decode, percent_encode, signature_base_string,
    verify_authorization_header,
};
use mdm_dep::{ApiError, Device, DevicePage, Error, ServerToken};
use proptest::prelude::*;

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

proptest! {
    #[test]
    fn percent_encoding_round_trips_and_is_canonical(s in any::<String>()) {
        let e = percent_encode(&s);
        prop_assert_eq!(percent_decode(&e), Some(s.clone()));
        // Only unreserved bytes and %XX with upper-case hex.
        let b = e.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                prop_assert!(b[i + 1..i + 3].iter().all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c)));
                let byte = u8::from_str_radix(&e[i + 1..i + 3], 16).unwrap();
                prop_assert!(!unreserved(byte), "{} should not be escaped", byte);
                i += 3;
            } else {
                prop_assert!(unreserved(b[i]));
                i += 1;
            }
        }
        // Unreserved input is left alone.
        let plain: String = s.chars().filter(|c| c.is_ascii() && unreserved(*c as u8)).collect();
        prop_assert_eq!(percent_encode(&plain), plain);
    }

    #[test]
    fn base_string_ignores_parameter_order(
        mut params in proptest::collection::vec(("[a-z_]{1,12}", any::<String>()), 0..8),
        seed in any::<u64>(),
    ) {
        let url = "https://mdmenrollment.apple.com/session";
        fn as_refs(p: &[(String, String)]) -> Vec<(&str, &str)> {
            p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
        }
        let a = signature_base_string("GET", url, &as_refs(&params)).unwrap();
        // A deterministic shuffle.
        let n = params.len();
        for i in (1..n).rev() {
            let j = usize::try_from(seed.wrapping_mul(i as u64 + 7) % (i as u64 + 1)).unwrap();
            params.swap(i, j);
        }
        let b = signature_base_string("get", url, &as_refs(&params)).unwrap();
        prop_assert_eq!(&a, &b);
        // Three parts, the last two fully encoded (no raw '&' or '=' inside them).
        let parts: Vec<&str> = a.splitn(3, '&').collect();
        prop_assert_eq!(parts[0], "GET");
        prop_assert_eq!(parts[1], "https%3A%2F%2Fmdmenrollment.apple.com%2Fsession");
        prop_assert!(!parts[2].contains('&') && !parts[2].contains('='));
    }

    #[test]
    fn signatures_verify_for_any_secrets(
        ck in "[ -~]{1,40}", cs in any::<String>(), at in "[ -~]{1,40}", asec in any::<String>(),
        nonce in "[A-Za-z0-9]{1,32}", ts in 0u64..4_000_000_000,
    ) {
        let token = ServerToken::new(ck, cs, at, asec);
        let url = "http://127.0.0.1:8080/session";
        let h = authorization_header(&token, "GET", url, ts, &nonce).unwrap();
        prop_assert!(h.starts_with("OAuth realm=\"ADM\", "));
        prop_assert!(verify_authorization_header(&h, "GET", url, &token).is_ok());
        let other = ServerToken::new(token.consumer_key.clone(), format!("{}x", token.consumer_secret.expose_secret()), token.access_token.expose_secret(), token.access_secret.expose_secret());
        prop_assert!(verify_authorization_header(&h, "GET", url, &other).is_err());
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = DevicePage::decode(&bytes);
        let _ = Device::decode(&bytes);
        let _ = mdm_dep::AccountDetail::decode(&bytes);
        let _ = mdm_dep::Profile::decode(&bytes);
        let _ = ServerToken::from_decrypted(&bytes);
        let _ = ServerToken::decrypt(&bytes, &bytes);
        let api = ApiError::from_parts(400, &http::HeaderMap::new(), &bytes, chrono::Utc::now());
        let e = Error::from_api(api);
        let _ = (e.is_retryable(), e.to_string());
        let _ = mdm_dep::parse_date(&String::from_utf8_lossy(&bytes));
        let _ = mdm_dep::parse_retry_after(&String::from_utf8_lossy(&bytes), chrono::Utc::now());
        let _ = mdm_dep::oauth::parse_authorization_header(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn error_bodies_keep_their_code(code in "[A-Z][A-Z_]{2,30}", quoted in any::<bool>(), json in any::<bool>()) {
        let body = if json { format!("{{\"code\": \"{code}\"}}") } else if quoted { format!("\"{code}\"") } else { code.clone() };
        let api = ApiError::from_parts(400, &http::HeaderMap::new(), body.as_bytes(), chrono::Utc::now());
        prop_assert_eq!(api.code.map(|c| c.to_string()), Some(code));
    }

    #[test]
    fn devices_round_trip(
        serial in "[A-Z0-9]{8,14}", model in proptest::option::of("[ -~]{0,30}"),
        os in proptest::option::of(prop_oneof![Just("iOS".to_owned()), Just("OSX".to_owned()), "[a-zA-Z]{1,10}"]),
        secs in proptest::option::of(0i64..4_000_000_000), extra in proptest::option::of("[a-z]{1,10}"),
    ) {
        let mut v = serde_json::json!({"serial_number": serial, "model": model, "os": os});
        if let Some(s) = secs {
            v["op_date"] = chrono::DateTime::from_timestamp(s, 0).unwrap().format("%Y-%m-%dT%H:%M:%S%z").to_string().into();
        }
        if let Some(k) = extra {
            v[format!("x_{k}")] = serde_json::json!([1, {"a": null}]);
        }
        let d = Device::decode(&serde_json::to_vec(&v).unwrap()).unwrap();
        prop_assert_eq!(d.op_date.map(|t| t.timestamp()), secs);
        let again = Device::decode(&d.encode().unwrap()).unwrap();
        prop_assert_eq!(again, d);
    }
}
