//! One MDM push and the HTTP/2 request that carries it.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{Method, Request};
use uuid::Uuid;

use crate::{DeviceToken, PushMagic, Topic};

const APNS_TOPIC: HeaderName = HeaderName::from_static("apns-topic");
const APNS_PUSH_TYPE: HeaderName = HeaderName::from_static("apns-push-type");
const APNS_PRIORITY: HeaderName = HeaderName::from_static("apns-priority");
const APNS_EXPIRATION: HeaderName = HeaderName::from_static("apns-expiration");
const APNS_ID: HeaderName = HeaderName::from_static("apns-id");

/// `apns-priority`: when APNs should deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Priority {
    /// `10`: deliver at once (the default, and what MDM servers send).
    #[default]
    Immediate,
    /// `5`: deliver when it suits the device's power state.
    PowerConsiderate,
}

impl Priority {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Immediate => "10",
            Priority::PowerConsiderate => "5",
        }
    }
}

/// One MDM wake-up: who to wake (token and push magic) and under which topic.
///
/// The optional fields map to APNs headers; each states its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// The device token from `TokenUpdate`.
    pub token: DeviceToken,
    /// The push magic from `TokenUpdate`.
    pub magic: PushMagic,
    /// The topic of the push certificate (`apns-topic`).
    pub topic: Topic,
    /// `apns-priority`; [`Priority::Immediate`] by default.
    pub priority: Priority,
    /// `apns-expiration`: until when APNs keeps trying an offline device. `None` (the
    /// default) leaves the header out, so APNs stores the push for an offline device under
    /// its own storage policy (the latest push per device and topic), which suits wake-ups.
    /// A date at or before 1970 sends `0`: deliver now or never (see
    /// [`Push::expire_immediately`]).
    pub expiration: Option<DateTime<Utc>>,
    /// `apns-id`, echoed back in the response. `None` (the default) lets APNs pick one.
    pub id: Option<Uuid>,
}

impl Push {
    /// A push with every optional header at its default.
    pub fn new(token: DeviceToken, magic: PushMagic, topic: Topic) -> Self {
        Push {
            token,
            magic,
            topic,
            priority: Priority::default(),
            expiration: None,
            id: None,
        }
    }

    /// Sets `apns-id`.
    #[must_use]
    pub fn with_id(mut self, id: Uuid) -> Self {
        self.id = Some(id);
        self
    }

    /// Sets `apns-expiration`.
    #[must_use]
    pub fn with_expiration(mut self, at: DateTime<Utc>) -> Self {
        self.expiration = Some(at);
        self
    }

    /// Sends `apns-expiration: 0`: APNs tries once and stores nothing.
    #[must_use]
    pub fn expire_immediately(self) -> Self {
        self.with_expiration(DateTime::UNIX_EPOCH)
    }

    /// Sets `apns-priority`.
    #[must_use]
    pub fn with_priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// The request path, `/3/device/<hex token>`.
    pub fn path(&self) -> String {
        const PREFIX: &str = "/3/device/";
        let token = self.token.as_bytes();
        // One allocation of the exact size, not `to_hex` and then a copy.
        let mut path = String::with_capacity(PREFIX.len() + 2 * token.len());
        path.push_str(PREFIX);
        for b in token {
            // A nibble is always below 16, so `from_digit` never falls back.
            path.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            path.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
        }
        path
    }

    /// The JSON body, `{"mdm":"<push magic>"}`.
    pub fn body(&self) -> Bytes {
        const OPEN: &[u8] = br#"{"mdm":""#;
        const CLOSE: &[u8] = br#""}"#;
        let magic = self.magic.as_str();
        // Push magic is nearly always a UUID: nothing to escape, so the body is three copies
        // into a buffer of the exact size. Anything JSON must escape goes through serde_json.
        if magic.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            let mut body = Vec::with_capacity(OPEN.len() + magic.len() + CLOSE.len());
            body.extend_from_slice(OPEN);
            body.extend_from_slice(magic.as_bytes());
            body.extend_from_slice(CLOSE);
            return Bytes::from(body);
        }
        #[derive(serde::Serialize)]
        struct MdmBody<'a> {
            mdm: &'a str,
        }
        // A struct of one string field cannot fail to serialize; the fallback is never used.
        let body = MdmBody { mdm: magic };
        Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
    }
}

/// Builds the APNs request for one push, without touching the network.
///
/// `POST /3/device/<hex token>` with the body `{"mdm":"<push magic>"}` and the headers
/// `content-type: application/json`, `content-length`, `apns-topic`, `apns-push-type: mdm`,
/// `apns-priority` and, when set, `apns-expiration` and `apns-id`. The URI is the path only; a
/// client puts the endpoint's scheme and authority in front (see Apple's
/// [Sending notification requests to APNs](https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns)).
pub fn build_request(push: &Push) -> http::Request<Bytes> {
    let body = push.body();
    request_head(push, body.len(), None, None).map(|()| body)
}

/// The request of [`build_request`] without its body, for a body of `body_len` bytes.
///
/// With `origin`, the URI is absolute (what an HTTP/2 client puts in `:scheme` and
/// `:authority`); without it, the path only. `topic`, when given, is the `apns-topic` value
/// already made for `push.topic` (a client keeps its certificate's), saving a copy per push.
pub(crate) fn request_head(
    push: &Push,
    body_len: usize,
    origin: Option<(&http::uri::Scheme, &http::uri::Authority)>,
    topic: Option<&HeaderValue>,
) -> http::Request<()> {
    let mut req = Request::new(());
    *req.method_mut() = Method::POST;
    *req.version_mut() = http::Version::HTTP_2;
    // The path is `/3/device/` plus hex digits, always a valid URI.
    if let Ok(path) = http::uri::PathAndQuery::from_maybe_shared(Bytes::from(push.path())) {
        let mut parts = http::uri::Parts::default();
        if let Some((scheme, authority)) = origin {
            parts.scheme = Some(scheme.clone());
            parts.authority = Some(authority.clone());
        }
        parts.path_and_query = Some(path);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    let headers = req.headers_mut();
    headers.reserve(8);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body_len));
    match topic {
        Some(value) => {
            headers.insert(APNS_TOPIC, value.clone());
        }
        // A `Topic` holds only printable ASCII without spaces, always a valid header value.
        None => {
            if let Ok(value) = HeaderValue::from_str(push.topic.as_str()) {
                headers.insert(APNS_TOPIC, value);
            }
        }
    }
    headers.insert(APNS_PUSH_TYPE, HeaderValue::from_static("mdm"));
    headers.insert(
        APNS_PRIORITY,
        HeaderValue::from_static(push.priority.as_str()),
    );
    if let Some(at) = push.expiration {
        headers.insert(APNS_EXPIRATION, HeaderValue::from(at.timestamp().max(0)));
    }
    if let Some(id) = push.id {
        let mut buf = Uuid::encode_buffer();
        let text = id.hyphenated().encode_lower(&mut buf);
        if let Ok(value) = HeaderValue::from_str(text) {
            headers.insert(APNS_ID, value);
        }
    }
    req
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use proptest::prelude::*;

    use super::*;

    const TOKEN: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    const TOPIC: &str = "com.apple.mgmt.External.2b6d7a46-0c11-4f4e-8d4a-8b5f6a1c3e21";

    fn push() -> Push {
        Push::new(
            TOKEN.parse().unwrap(),
            "8BBC4D7F-6D3A-4B23-A9C0-4D1F9E2A4E31".parse().unwrap(),
            TOPIC.parse().unwrap(),
        )
    }

    fn header<'a>(req: &'a Request<Bytes>, name: &str) -> Option<&'a str> {
        req.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn method_and_path() {
        let req = build_request(&push());
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri().path(), format!("/3/device/{TOKEN}"));
        assert_eq!(req.uri().query(), None);
        assert_eq!(req.version(), http::Version::HTTP_2);
    }

    #[test]
    fn body_is_mdm_json() {
        let req = build_request(&push());
        assert_eq!(
            req.body().as_ref(),
            br#"{"mdm":"8BBC4D7F-6D3A-4B23-A9C0-4D1F9E2A4E31"}"#
        );
        assert_eq!(header(&req, "content-length"), Some("46"));
        assert_eq!(header(&req, "content-type"), Some("application/json"));
    }

    #[test]
    fn body_escapes_magic() {
        let mut p = push();
        p.magic = PushMagic::new("a\"b\\c").unwrap();
        let req = build_request(&p);
        let v: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
        assert_eq!(v["mdm"], "a\"b\\c");
    }

    #[test]
    fn apns_topic() {
        assert_eq!(header(&build_request(&push()), "apns-topic"), Some(TOPIC));
    }

    #[test]
    fn apns_push_type() {
        assert_eq!(
            header(&build_request(&push()), "apns-push-type"),
            Some("mdm")
        );
    }

    #[test]
    fn apns_priority() {
        assert_eq!(header(&build_request(&push()), "apns-priority"), Some("10"));
        let p = push().with_priority(Priority::PowerConsiderate);
        assert_eq!(header(&build_request(&p), "apns-priority"), Some("5"));
    }

    #[test]
    fn apns_expiration() {
        assert_eq!(header(&build_request(&push()), "apns-expiration"), None);
        assert_eq!(
            header(
                &build_request(&push().expire_immediately()),
                "apns-expiration"
            ),
            Some("0")
        );
        let at = Utc.with_ymd_and_hms(2030, 1, 2, 3, 4, 5).unwrap();
        let p = push().with_expiration(at);
        assert_eq!(
            header(&build_request(&p), "apns-expiration"),
            Some("1893553445")
        );
        let before_epoch = Utc.with_ymd_and_hms(1960, 1, 1, 0, 0, 0).unwrap();
        let p = push().with_expiration(before_epoch);
        assert_eq!(header(&build_request(&p), "apns-expiration"), Some("0"));
    }

    #[test]
    fn apns_id() {
        assert_eq!(header(&build_request(&push()), "apns-id"), None);
        let id = Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        let p = push().with_id(id);
        assert_eq!(
            header(&build_request(&p), "apns-id"),
            Some("12345678-9abc-def0-1234-56789abcdef0")
        );
    }

    #[test]
    fn no_other_headers() {
        let id = Uuid::from_u128(1);
        let req = build_request(&push().with_id(id).expire_immediately());
        let mut names: Vec<_> = req.headers().keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "apns-expiration",
                "apns-id",
                "apns-priority",
                "apns-push-type",
                "apns-topic",
                "content-length",
                "content-type"
            ]
        );
    }

    proptest! {
        #[test]
        fn any_valid_push_builds(
            token in proptest::collection::vec(any::<u8>(), 8..=100),
            magic in "[^\\p{Cc}]{1,64}",
            topic in "[A-Za-z0-9._-]{1,80}",
        ) {
            let p = Push::new(
                DeviceToken::new(token).unwrap(),
                PushMagic::new(magic.clone()).unwrap(),
                Topic::new(topic.clone()).unwrap(),
            );
            let req = build_request(&p);
            prop_assert_eq!(req.uri().path(), p.path());
            let v: serde_json::Value = serde_json::from_slice(req.body()).unwrap();
            prop_assert_eq!(v["mdm"].as_str(), Some(magic.as_str()));
            prop_assert_eq!(req.headers()["apns-topic"].to_str().unwrap(), topic.as_str());
        }
    }
}
