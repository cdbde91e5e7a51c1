//! Error paths against an in-process hyper + rustls HTTP/2 server that answers as APNs
//! documents: 410 with a timestamp, 429 then success, 503, permanent 400s, malformed and
//! oversized bodies, silence, stream resets, dropped connections and GOAWAY.
//!
//! The first byte of the device token picks the server's behaviour (see [`Scenario`]).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use mdm_apns::{Client, DeviceToken, Endpoint, Error, Push, PushMagic, Reason, RetryPolicy, Topic};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::sync::Notify;
use uuid::Uuid;

use common::{Pki, PkiExt, TOPIC};

#[derive(Clone, Copy, Debug)]
#[repr(u8)]
enum Scenario {
    Ok = 1,
    Unregistered = 2,
    TooManyThenOk = 3,
    Unavailable = 4,
    BadDeviceToken = 5,
    Malformed = 6,
    UnknownReason = 7,
    HugeStreamed = 8,
    Silent = 9,
    ResetThenOk = 10,
    DropConnectionThenOk = 11,
    HugeWithLength = 12,
}

const UNREGISTERED_AT_MS: i64 = 1_700_000_000_123;

#[derive(Default)]
struct State {
    attempts: Mutex<HashMap<String, usize>>,
    connections: AtomicUsize,
    requests: AtomicUsize,
}

impl State {
    fn attempts(&self, push: &Push) -> usize {
        let key = format!("/3/device/{}", push.token.to_hex());
        self.attempts
            .lock()
            .unwrap()
            .get(&key)
            .copied()
            .unwrap_or(0)
    }
}

struct Server {
    addr: SocketAddr,
    state: Arc<State>,
}

/// A body of `left` bytes sent in 64 KiB frames, with no length announced.
struct Spaces {
    left: usize,
}

impl hyper::body::Body for Spaces {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(64 * 1024);
        self.left -= n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b' '; n])))))
    }
}

type Body = BoxBody<Bytes, Infallible>;

fn json(status: u16, body: &str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(Bytes::from(body.to_owned())).boxed())
        .unwrap()
}

async fn handle(
    state: Arc<State>,
    kill: Arc<Notify>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::io::Error> {
    let path = req.uri().path().to_owned();
    let apns_id = req.headers().get("apns-id").cloned();
    assert_eq!(req.headers()["apns-push-type"], "mdm");
    assert_eq!(req.headers()["apns-topic"], TOPIC);
    let body = req.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(br#"{"mdm":"#));
    state.requests.fetch_add(1, Ordering::SeqCst);
    let attempt = {
        let mut map = state.attempts.lock().unwrap();
        let n = map.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let hex = path.trim_start_matches("/3/device/");
    let scenario = u8::from_str_radix(&hex[..2], 16).unwrap();
    let ok = || {
        let mut r = Response::builder().status(200);
        if let Some(id) = &apns_id {
            r = r.header("apns-id", id);
        }
        r.body(http_body_util::Empty::new().boxed()).unwrap()
    };
    let resp = match scenario {
        x if x == Scenario::Ok as u8 => ok(),
        x if x == Scenario::Unregistered as u8 => json(
            410,
            &format!(r#"{{"reason":"Unregistered","timestamp":{UNREGISTERED_AT_MS}}}"#),
        ),
        x if x == Scenario::TooManyThenOk as u8 => {
            if attempt <= 2 {
                json(429, r#"{"reason":"TooManyRequests"}"#)
            } else {
                ok()
            }
        }
        x if x == Scenario::Unavailable as u8 => json(503, r#"{"reason":"ServiceUnavailable"}"#),
        x if x == Scenario::BadDeviceToken as u8 => json(400, r#"{"reason":"BadDeviceToken"}"#),
        x if x == Scenario::Malformed as u8 => json(400, r#"{"reason": "BadDev"#),
        x if x == Scenario::UnknownReason as u8 => json(400, r#"{"reason":"BrandNewReason"}"#),
        x if x == Scenario::HugeStreamed as u8 => Response::builder()
            .status(400)
            .body(Spaces { left: 10 << 20 }.boxed())
            .unwrap(),
        x if x == Scenario::HugeWithLength as u8 => Response::builder()
            .status(400)
            .body(http_body_util::Full::new(Bytes::from(vec![b' '; 10 << 20])).boxed())
            .unwrap(),
        x if x == Scenario::Silent as u8 => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            ok()
        }
        x if x == Scenario::ResetThenOk as u8 => {
            if attempt == 1 {
                // hyper answers a service error with RST_STREAM.
                return Err(std::io::Error::other("reset this stream"));
            }
            ok()
        }
        x if x == Scenario::DropConnectionThenOk as u8 => {
            if attempt == 1 {
                kill.notify_one();
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            ok()
        }
        other => panic!("unknown scenario {other}"),
    };
    Ok(resp)
}

/// Starts the server on 127.0.0.1; with `goaway_after`, each connection is shut down
/// gracefully (GOAWAY) once it has received that many requests.
async fn start(pki: &Pki, goaway_after: Option<usize>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    serve(pki, goaway_after, listener)
}

/// Serves on `listener` as [`start`] describes.
fn serve(pki: &Pki, goaway_after: Option<usize>, listener: tokio::net::TcpListener) -> Server {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(pki.ca.to_der().unwrap()))
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(pki.server.to_der().unwrap())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                pki.server_key.private_key_to_pkcs8().unwrap(),
            )),
        )
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let addr = listener.local_addr().unwrap();
    let state = Arc::new(State::default());
    let st = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let state = st.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                state.connections.fetch_add(1, Ordering::SeqCst);
                let kill = Arc::new(Notify::new());
                let shutdown = Arc::new(Notify::new());
                let served = Arc::new(AtomicUsize::new(0));
                let (k, s) = (kill.clone(), shutdown.clone());
                let service = hyper::service::service_fn(move |req| {
                    let n = served.fetch_add(1, Ordering::SeqCst) + 1;
                    if goaway_after.is_some_and(|limit| n >= limit) {
                        s.notify_one();
                    }
                    handle(state.clone(), k.clone(), req)
                });
                let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = kill.notified() => {} // dropping the connection closes the socket
                    _ = shutdown.notified() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
    });
    Server { addr, state }
}

fn client(pki: &Pki, server: &Server, retry: RetryPolicy, timeout: Duration) -> Client {
    Client::builder(pki.identity())
        .endpoint(Endpoint::Custom(format!(
            "https://localhost:{}",
            server.addr.port()
        )))
        .root_certificates_pem(&pki.ca_pem())
        .timeout(timeout)
        .retry(retry)
        .build()
        .unwrap()
}

fn fast_retries(n: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries: n,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
    }
}

fn push(scenario: Scenario, n: u64) -> Push {
    let mut token = [0u8; 32];
    token[0] = scenario as u8;
    token[8..16].copy_from_slice(&n.to_be_bytes());
    Push::new(
        DeviceToken::new(token).unwrap(),
        PushMagic::new(format!("magic-{n}")).unwrap(),
        Topic::new(TOPIC).unwrap(),
    )
    .with_id(Uuid::new_v4())
}

#[tokio::test]
async fn unregistered_410_with_timestamp_is_not_retried() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(3), Duration::from_secs(10));
    let p = push(Scenario::Unregistered, 1);
    let err = c.push(&p).await.unwrap_err();
    let Error::Rejected(r) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(r.status, 410);
    assert_eq!(r.reason, Reason::Unregistered);
    assert_eq!(r.timestamp.unwrap().timestamp_millis(), UNREGISTERED_AT_MS);
    assert!(err.is_permanent() && err.is_device_gone());
    assert_eq!(server.state.attempts(&p), 1);
}

#[tokio::test]
async fn too_many_requests_is_retried_until_ok() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(3), Duration::from_secs(10));
    let p = push(Scenario::TooManyThenOk, 1);
    let d = c.push(&p).await.unwrap();
    assert_eq!(d.apns_id, p.id);
    assert_eq!(server.state.attempts(&p), 3);
}

#[tokio::test]
async fn unavailable_503_gives_up_after_the_retry_budget() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(2), Duration::from_secs(10));
    let p = push(Scenario::Unavailable, 1);
    let err = c.push(&p).await.unwrap_err();
    assert!(
        matches!(&err, Error::Rejected(r) if r.reason == Reason::ServiceUnavailable),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(server.state.attempts(&p), 3);
}

#[tokio::test]
async fn permanent_errors_are_never_retried() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(5), Duration::from_secs(10));
    let bad = push(Scenario::BadDeviceToken, 1);
    let err = c.push(&bad).await.unwrap_err();
    assert!(err.is_permanent() && err.is_device_gone(), "{err:?}");
    assert_eq!(server.state.attempts(&bad), 1);

    let unknown = push(Scenario::UnknownReason, 2);
    let err = c.push(&unknown).await.unwrap_err();
    assert!(
        matches!(&err, Error::Rejected(r) if r.reason == Reason::Other("BrandNewReason".into())),
        "{err:?}"
    );
    assert_eq!(server.state.attempts(&unknown), 1);

    let malformed = push(Scenario::Malformed, 3);
    let err = c.push(&malformed).await.unwrap_err();
    assert!(
        matches!(err, Error::MalformedResponse { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(server.state.attempts(&malformed), 1);
}

#[tokio::test]
async fn ten_megabyte_bodies_are_cut_off() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(0), Duration::from_secs(10));
    for scenario in [Scenario::HugeStreamed, Scenario::HugeWithLength] {
        let err = c.push(&push(scenario, 1)).await.unwrap_err();
        assert_eq!(
            err,
            Error::ResponseTooLarge {
                limit: mdm_apns::MAX_RESPONSE_BODY
            },
            "{scenario:?}"
        );
    }
    // The connection is still usable afterwards.
    c.push(&push(Scenario::Ok, 2)).await.unwrap();
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(1), Duration::from_millis(300));
    let p = push(Scenario::Silent, 1);
    let err = c.push(&p).await.unwrap_err();
    assert_eq!(err, Error::Timeout);
    assert!(err.is_retryable());
    assert_eq!(server.state.attempts(&p), 2);
}

#[tokio::test]
async fn a_reset_stream_is_retried() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(3), Duration::from_secs(10));
    let p = push(Scenario::ResetThenOk, 1);
    c.push(&p).await.unwrap();
    assert_eq!(server.state.attempts(&p), 2);
}

#[tokio::test]
async fn a_lost_connection_is_reopened_without_losing_the_push() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(3), Duration::from_secs(10));
    let p = push(Scenario::DropConnectionThenOk, 1);
    c.push(&p).await.unwrap();
    assert_eq!(server.state.attempts(&p), 2);
    assert_eq!(server.state.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn goaway_moves_pushes_to_a_new_connection() {
    let pki = Pki::shared();
    let server = start(pki, Some(5)).await;
    // Few streams at a time, so most pushes start after a GOAWAY.
    let c = Client::builder(pki.identity())
        .endpoint(Endpoint::Custom(format!(
            "https://localhost:{}",
            server.addr.port()
        )))
        .root_certificates_pem(&pki.ca_pem())
        .retry(fast_retries(5))
        .concurrency(4)
        .build()
        .unwrap();
    let sent: Vec<Push> = (0..40).map(|n| push(Scenario::Ok, n)).collect();
    let outcomes = c.push_many(sent.clone()).await;
    for (o, p) in outcomes.iter().zip(&sent) {
        assert_eq!(&o.push, p);
        assert_eq!(o.result.as_ref().unwrap().apns_id, p.id);
    }
    let connections = server.state.connections.load(Ordering::SeqCst);
    assert!(connections >= 4, "{connections} connections");
    for p in &sent {
        assert!(server.state.attempts(p) >= 1);
    }
}

#[tokio::test]
async fn mixed_batch_keeps_order_and_classifies() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let c = client(pki, &server, fast_retries(3), Duration::from_secs(10));
    let sent = vec![
        push(Scenario::Ok, 1),
        push(Scenario::Unregistered, 2),
        push(Scenario::TooManyThenOk, 3),
        push(Scenario::BadDeviceToken, 4),
        push(Scenario::Ok, 5),
    ];
    let outcomes = c.push_many(sent.clone()).await;
    let ok: Vec<bool> = outcomes.iter().map(|o| o.result.is_ok()).collect();
    assert_eq!(ok, [true, false, true, false, true]);
    for (o, p) in outcomes.iter().zip(&sent) {
        assert_eq!(&o.push, p);
    }
}

#[test]
fn endpoints_and_bad_configuration() {
    assert_eq!(
        Endpoint::Production.base_url(false),
        "https://api.push.apple.com"
    );
    assert_eq!(
        Endpoint::Development.base_url(true),
        "https://api.sandbox.push.apple.com:2197"
    );
    assert_eq!(
        Endpoint::Custom("https://127.0.0.1:8443/".into()).base_url(true),
        "https://127.0.0.1:8443"
    );
    let pki = Pki::shared();
    let built = Client::builder(pki.identity())
        .endpoint(Endpoint::Development)
        .alternate_port(true)
        .build()
        .unwrap();
    assert_eq!(built.base_url(), "https://api.sandbox.push.apple.com:2197");
    for bad in [
        "http://127.0.0.1:1",
        "https://127.0.0.1:1/prefix",
        "not a url",
    ] {
        let err = Client::builder(pki.identity())
            .endpoint(Endpoint::Custom(bad.into()))
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{bad}: {err:?}");
        assert!(err.is_permanent());
    }
    let err = Client::builder(pki.identity())
        .root_certificates_pem(b"no pem here")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn an_untrusted_server_is_a_permanent_error() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    let other = Pki::new();
    // Trusts another CA, so the server's certificate does not verify.
    let c = Client::builder(pki.identity())
        .endpoint(Endpoint::Custom(format!(
            "https://localhost:{}",
            server.addr.port()
        )))
        .root_certificates_pem(&other.ca_pem())
        .retry(fast_retries(3))
        .build()
        .unwrap();
    let err = c.push(&push(Scenario::Ok, 1)).await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.is_permanent());
    assert_eq!(server.state.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn nobody_listening_is_a_retryable_connection_error() {
    let pki = Pki::shared();
    let port = mdm_testsupport::free_port();
    let c = Client::builder(pki.identity())
        .endpoint(Endpoint::Custom(format!("https://127.0.0.1:{port}")))
        .root_certificates_pem(&pki.ca_pem())
        .retry(fast_retries(1))
        .build()
        .unwrap();
    let err = c.push(&push(Scenario::Ok, 1)).await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_refused_client_certificate_is_a_permanent_error() {
    let pki = Pki::shared();
    let server = start(pki, None).await;
    // A certificate from another CA of the same name, so its signature does not verify
    // (the server answers DecryptError). With TLS 1.3 the refusal comes after the client's
    // half of the handshake, as an alert on the first read.
    let other = Pki::new();
    let key = common::rsa_key();
    let cert = common::client_cert(&other.ca, &other.ca_key, &key, Some(TOPIC));
    let identity = mdm_apns::PushIdentity::from_pem(
        &cert.to_pem().unwrap(),
        &key.private_key_to_pem_pkcs8().unwrap(),
    )
    .unwrap();
    let c = Client::builder(identity)
        .endpoint(Endpoint::Custom(format!(
            "https://localhost:{}",
            server.addr.port()
        )))
        .root_certificates_pem(&pki.ca_pem())
        .retry(fast_retries(3))
        .build()
        .unwrap();
    let err = c.push(&push(Scenario::Ok, 1)).await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.is_permanent());
    assert_eq!(server.state.requests.load(Ordering::SeqCst), 0);
    assert_eq!(server.state.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_ipv6_literal_host_is_reached() {
    let pki = Pki::shared();
    let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await else {
        eprintln!("skipped: no IPv6 loopback");
        return;
    };
    let server = serve(pki, None, listener);
    let base = format!("https://[::1]:{}", server.addr.port());
    let c = Client::builder(pki.identity())
        .endpoint(Endpoint::Custom(base.clone()))
        .root_certificates_pem(&pki.ca_pem())
        .retry(fast_retries(0))
        .build()
        .unwrap();
    assert_eq!(c.base_url(), base);
    let p = push(Scenario::Ok, 1);
    assert_eq!(c.push(&p).await.unwrap().apns_id, p.id);
    assert_eq!(server.state.attempts(&p), 1);
}
