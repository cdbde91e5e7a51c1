//! SCEP over HTTP (RFC 8894, section 4) without a transport: the requests a client sends
//! and the responder's answer to one request, as `http` types.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::Error;
use crate::responder::ScepResponder;

/// The request and response types of these functions, so a caller needs no `http`
/// dependency of its own to name them.
pub use ::http::{Request, Response, StatusCode};

/// Content type of a PKIOperation request and response.
pub const PKI_MESSAGE_CONTENT_TYPE: &str = "application/x-pki-message";

/// Largest PKIOperation body the responder reads (1 MiB).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// `GET url?operation=GetCACaps`.
///
/// # Errors
/// [`Error::Invalid`] for a URL `http` cannot carry.
pub fn get_ca_caps(url: &str) -> Result<http::Request<Vec<u8>>, Error> {
    get(url, "operation=GetCACaps")
}

/// `GET url?operation=GetCACert`, with an optional CA identifier message.
///
/// # Errors
/// [`Error::Invalid`] for a URL `http` cannot carry.
pub fn get_ca_cert(url: &str, message: Option<&str>) -> Result<http::Request<Vec<u8>>, Error> {
    match message {
        Some(m) => get(
            url,
            &format!(
                "operation=GetCACert&message={}",
                percent_encode(m.as_bytes())
            ),
        ),
        None => get(url, "operation=GetCACert"),
    }
}

/// `GET url?operation=GetNextCACert`.
///
/// # Errors
/// [`Error::Invalid`] for a URL `http` cannot carry.
pub fn get_next_ca_cert(url: &str) -> Result<http::Request<Vec<u8>>, Error> {
    get(url, "operation=GetNextCACert")
}

/// A PKIOperation: `POST url?operation=PKIOperation` with the DER body when `post`,
/// otherwise `GET url?operation=PKIOperation&message=` with the base64, percent-encoded.
///
/// # Errors
/// [`Error::Invalid`] for a URL `http` cannot carry.
pub fn pki_operation(url: &str, der: &[u8], post: bool) -> Result<http::Request<Vec<u8>>, Error> {
    if post {
        http::Request::post(with_query(url, "operation=PKIOperation"))
            .header(http::header::CONTENT_TYPE, PKI_MESSAGE_CONTENT_TYPE)
            .body(der.to_vec())
            .map_err(invalid)
    } else {
        let b64 = STANDARD.encode(der);
        get(
            url,
            &format!(
                "operation=PKIOperation&message={}",
                percent_encode(b64.as_bytes())
            ),
        )
    }
}

fn get(url: &str, query: &str) -> Result<http::Request<Vec<u8>>, Error> {
    http::Request::get(with_query(url, query))
        .body(Vec::new())
        .map_err(invalid)
}

fn invalid(e: http::Error) -> Error {
    Error::Invalid {
        what: "url",
        message: e.to_string(),
    }
}

fn with_query(url: &str, query: &str) -> String {
    if url.contains('?') {
        format!("{url}&{query}")
    } else {
        format!("{url}?{query}")
    }
}

/// Percent-encodes everything but unreserved characters.
pub(crate) fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` and `+` (a space, in form encoding; base64 `+` arrives as `%2B` from
/// careful clients, raw from some).
fn percent_decode(s: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    out
}

/// The value of a query parameter.
fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

/// Answers one HTTP request addressed to the SCEP path: GetCACaps, GetCACert and
/// PKIOperation (GET or POST). Unknown operations get 400; requests whose message cannot
/// be answered with a CertRep get 400 too.
pub fn respond(responder: &ScepResponder, req: &http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let query = req.uri().query().unwrap_or("");
    let op = query_param(query, "operation").unwrap_or("");
    match op {
        "GetCACaps" => reply(200, "text/plain", responder.ca_caps_body().into_bytes()),
        "GetCACert" => match responder.ca_cert_body() {
            Ok((ct, body)) => reply(200, ct, body),
            Err(e) => reply(500, "text/plain", e.to_string().into_bytes()),
        },
        "PKIOperation" => {
            let der = if req.method() == http::Method::POST {
                if req.body().len() > MAX_REQUEST_BYTES {
                    return reply(413, "text/plain", b"request too large".to_vec());
                }
                req.body().clone()
            } else {
                let raw = query_param(query, "message").unwrap_or("");
                if raw.len() > MAX_REQUEST_BYTES * 2 {
                    return reply(413, "text/plain", b"request too large".to_vec());
                }
                let text = percent_decode(raw, false);
                // Some clients leave '+' raw and others turn it into a space.
                let text: Vec<u8> = text
                    .into_iter()
                    .map(|b| if b == b' ' { b'+' } else { b })
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                match STANDARD.decode(&text) {
                    Ok(d) => d,
                    Err(_) => return reply(400, "text/plain", b"message is not base64".to_vec()),
                }
            };
            match responder.handle(&der) {
                Ok(rep) => reply(200, PKI_MESSAGE_CONTENT_TYPE, rep),
                Err(e) => reply(400, "text/plain", e.to_string().into_bytes()),
            }
        }
        _ => reply(400, "text/plain", b"unknown operation".to_vec()),
    }
}

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> http::Response<Vec<u8>> {
    let mut resp = http::Response::new(body);
    *resp.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_round_trip() {
        let s = "ab+/=c d";
        assert_eq!(
            percent_decode(&percent_encode(s.as_bytes()), false),
            s.as_bytes()
        );
        assert_eq!(query_param("a=1&operation=X&b", "operation"), Some("X"));
        assert_eq!(percent_decode("%zz%4", false), b"%zz%4");
    }
}
