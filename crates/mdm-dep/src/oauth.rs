//! A small OAuth 1.0a signer (RFC 5849) for `GET /session`: HMAC-SHA1 only, which is what
//! Apple requires. Timestamp and nonce are arguments, so signing is deterministic.

use std::fmt::Write as _;

use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

use crate::error::Error;
use crate::token::ServerToken;

/// The realm Apple's documented header carries (not part of the signature).
pub const REALM: &str = "ADM";

/// Percent-encodes `s` as RFC 5849 section 3.6 requires: every byte of its UTF-8 form except
/// the unreserved `A-Z a-z 0-9 - . _ ~` becomes `%XX` with upper-case hex.
///
/// ```
/// assert_eq!(mdm_dep::oauth::percent_encode("a b/c~"), "a%20b%2Fc~");
/// assert_eq!(mdm_dep::oauth::percent_encode("é"), "%C3%A9");
/// ```
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` escapes (and leaves everything else as is); `+` is not a space here.
/// Returns `None` on a broken escape or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The base string URI of RFC 5849 section 3.4.1.2: scheme and host in lower case, the port
/// only when it is not the scheme's default, the path (`/` when empty), no query.
///
/// # Errors
/// [`Error::InvalidRequest`] when `url` is not an absolute http or https URL.
pub fn base_string_uri(url: &str) -> Result<String, Error> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| Error::InvalidRequest(format!("bad url {url:?}: {e}")))?;
    let scheme = uri
        .scheme_str()
        .map(str::to_ascii_lowercase)
        .filter(|s| s == "http" || s == "https")
        .ok_or_else(|| Error::InvalidRequest(format!("url {url:?} is not http or https")))?;
    let host = uri
        .host()
        .ok_or_else(|| Error::InvalidRequest(format!("url {url:?} has no host")))?
        .to_ascii_lowercase();
    let port = match (scheme.as_str(), uri.port_u16()) {
        ("http", Some(80)) | ("https", Some(443)) | (_, None) => String::new(),
        (_, Some(p)) => format!(":{p}"),
    };
    let path = match uri.path() {
        "" => "/",
        p => p,
    };
    Ok(format!("{scheme}://{host}{port}{path}"))
}

/// The signature base string (RFC 5849 section 3.4.1): the method in upper case, the base
/// string URI, and the normalized parameters, each percent-encoded and joined by `&`.
///
/// `params` are the `oauth_*` parameters without `oauth_signature` and `realm`; the
/// query parameters of `url` are added here.
///
/// ```
/// let base = mdm_dep::oauth::signature_base_string(
///     "get",
///     "https://mdmenrollment.apple.com/session",
///     &[("oauth_nonce", "n"), ("oauth_consumer_key", "CK")],
/// )?;
/// assert_eq!(
///     base,
///     "GET&https%3A%2F%2Fmdmenrollment.apple.com%2Fsession&oauth_consumer_key%3DCK%26oauth_nonce%3Dn"
/// );
/// # Ok::<(), mdm_dep::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidRequest`] for a URL [`base_string_uri`] refuses or a broken query escape.
pub fn signature_base_string(
    method: &str,
    url: &str,
    params: &[(&str, &str)],
) -> Result<String, Error> {
    let base_uri = base_string_uri(url)?;
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    if let Some((_, query)) = url.split_once('?') {
        let query = query.split('#').next().unwrap_or("");
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            let k = percent_decode(k)
                .ok_or_else(|| Error::InvalidRequest(format!("bad query escape in {url:?}")))?;
            let v = percent_decode(v)
                .ok_or_else(|| Error::InvalidRequest(format!("bad query escape in {url:?}")))?;
            pairs.push((percent_encode(&k), percent_encode(&v)));
        }
    }
    pairs.sort();
    let normalized = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    Ok(format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode(&base_uri),
        percent_encode(&normalized)
    ))
}

/// HMAC-SHA1 of `base_string` under the key `encode(consumer_secret)&encode(token_secret)`,
/// base64 (RFC 5849 section 3.4.2).
///
/// # Errors
/// [`Error::Config`] if OpenSSL cannot compute the HMAC.
pub fn hmac_sha1_signature(
    base_string: &str,
    consumer_secret: &str,
    token_secret: &str,
) -> Result<String, Error> {
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    let failed = |e: openssl::error::ErrorStack| Error::Config(format!("hmac-sha1: {e}"));
    let pkey = PKey::hmac(key.as_bytes()).map_err(failed)?;
    let mut signer = Signer::new(MessageDigest::sha1(), &pkey).map_err(failed)?;
    signer.update(base_string.as_bytes()).map_err(failed)?;
    let mac = signer.sign_to_vec().map_err(failed)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(mac))
}

/// The `Authorization` header value for a request to `url` signed with the token's
/// credentials: `OAuth realm="ADM", oauth_consumer_key="…", oauth_token="…",
/// oauth_signature_method="HMAC-SHA1", oauth_signature="…", oauth_timestamp="…",
/// oauth_nonce="…", oauth_version="1.0"`.
///
/// # Errors
/// As [`signature_base_string`] and [`hmac_sha1_signature`].
pub fn authorization_header(
    token: &ServerToken,
    method: &str,
    url: &str,
    timestamp: u64,
    nonce: &str,
) -> Result<String, Error> {
    let timestamp = timestamp.to_string();
    let params = [
        ("oauth_consumer_key", token.consumer_key.as_str()),
        ("oauth_token", token.access_token.expose_secret()),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp.as_str()),
        ("oauth_nonce", nonce),
        ("oauth_version", "1.0"),
    ];
    let base = signature_base_string(method, url, &params)?;
    let signature = hmac_sha1_signature(
        &base,
        token.consumer_secret.expose_secret(),
        token.access_secret.expose_secret(),
    )?;
    let field = |k: &str, v: &str| format!("{k}=\"{}\"", percent_encode(v));
    Ok(format!(
        "OAuth {}, {}, {}, {}, {}, {}, {}, {}",
        field("realm", REALM),
        field("oauth_consumer_key", &token.consumer_key),
        field("oauth_token", token.access_token.expose_secret()),
        field("oauth_signature_method", "HMAC-SHA1"),
        field("oauth_signature", &signature),
        field("oauth_timestamp", &timestamp),
        field("oauth_nonce", nonce),
        field("oauth_version", "1.0"),
    ))
}

/// Splits an `Authorization: OAuth …` header into its decoded parameters (a server's view;
/// the tests' mock uses it to check signatures).
///
/// # Errors
/// [`Error::InvalidRequest`] when the header is not an OAuth header or a parameter is
/// malformed or repeated.
pub fn parse_authorization_header(value: &str) -> Result<Vec<(String, String)>, Error> {
    let bad = |why: &str| Error::InvalidRequest(format!("oauth header: {why}"));
    let rest = value
        .trim()
        .strip_prefix("OAuth ")
        .ok_or_else(|| bad("does not start with \"OAuth \""))?;
    let mut out: Vec<(String, String)> = Vec::new();
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad("a parameter has no '='"))?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| bad("a value is not quoted"))?;
        let k = percent_decode(k.trim()).ok_or_else(|| bad("bad escape"))?;
        let v = percent_decode(v).ok_or_else(|| bad("bad escape"))?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(bad("a parameter is repeated"));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// Checks an OAuth header as the service would: HMAC-SHA1, the expected consumer key and
/// token, and a signature computed over `method` and `url` with the given secrets.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the first thing that does not match.
pub fn verify_authorization_header(
    value: &str,
    method: &str,
    url: &str,
    token: &ServerToken,
) -> Result<(), Error> {
    let params = parse_authorization_header(value)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| Error::InvalidRequest(format!("oauth header: no {name}")))
    };
    if get("oauth_signature_method")? != "HMAC-SHA1" {
        return Err(Error::InvalidRequest("oauth: not HMAC-SHA1".into()));
    }
    if get("oauth_version")? != "1.0" {
        return Err(Error::InvalidRequest("oauth: version is not 1.0".into()));
    }
    if get("oauth_consumer_key")? != token.consumer_key {
        return Err(Error::InvalidRequest("oauth: wrong consumer key".into()));
    }
    if get("oauth_token")? != token.access_token.expose_secret() {
        return Err(Error::InvalidRequest("oauth: wrong token".into()));
    }
    get("oauth_timestamp")?
        .parse::<u64>()
        .map_err(|_| Error::InvalidRequest("oauth: timestamp is not whole seconds".into()))?;
    get("oauth_nonce")?;
    let signed: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| k != "realm" && k != "oauth_signature")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let base = signature_base_string(method, url, &signed)?;
    let expected = hmac_sha1_signature(
        &base,
        token.consumer_secret.expose_secret(),
        token.access_secret.expose_secret(),
    )?;
    let given = get("oauth_signature")?;
    // memcmp::eq needs equal lengths; the comparison itself takes constant time.
    if expected.len() == given.len() && openssl::memcmp::eq(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(Error::InvalidRequest(
            "oauth: signature does not match".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5849 section 1.2's worked example (the "photos" request), whose signature is
    /// printed in the RFC.
    #[test]
    fn rfc5849_example_signature() {
        let base = signature_base_string(
            "GET",
            "http://photos.example.net/photos?file=vacation.jpg&size=original",
            &[
                ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
                ("oauth_token", "nnch734d00sl2jdk"),
                ("oauth_signature_method", "HMAC-SHA1"),
                ("oauth_timestamp", "137131202"),
                ("oauth_nonce", "chapoH"),
            ],
        )
        .unwrap();
        let sig = hmac_sha1_signature(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00").unwrap();
        assert_eq!(sig, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    }

    #[test]
    fn header_round_trip_and_verify() {
        let t = ServerToken::new("CK_1", "CS_2 &x", "AT_3", "AS_4");
        let url = "https://mdmenrollment.apple.com/session";
        let h = authorization_header(&t, "GET", url, 1_700_000_000, "abc123").unwrap();
        assert!(h.starts_with("OAuth realm=\"ADM\", oauth_consumer_key=\"CK_1\""));
        verify_authorization_header(&h, "GET", url, &t).unwrap();
        let other = ServerToken::new("CK_1", "CS_other", "AT_3", "AS_4");
        assert!(verify_authorization_header(&h, "GET", url, &other).is_err());
        assert!(verify_authorization_header(&h, "POST", url, &t).is_err());
    }

    #[test]
    fn default_ports_dropped() {
        assert_eq!(
            base_string_uri("HTTPS://Example.COM:443/a").unwrap(),
            "https://example.com/a"
        );
        assert_eq!(
            base_string_uri("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert!(base_string_uri("ftp://x/").is_err());
    }
}
