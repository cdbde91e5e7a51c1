//! Notifications Apple posts to the MDM's `notificationUrl`: the envelope, every
//! documented payload, the bearer-token check and de-duplication.
//!
//! See <https://developer.apple.com/documentation/devicemanagement/subscribing-to-notifications>.

use std::collections::{HashSet, VecDeque};

use serde::Serialize;

use crate::error::{Error, ErrorResponse};
use crate::ids::{AdamId, ClientUserId, EventId};
use crate::response::MAX_BODY_BYTES;
use crate::types::{
    Assignment, EventType, NotificationResult, NotificationType, PricingParam, User,
};

/// Largest notification body accepted, in bytes (1 MiB; Apple caps a notification at 100
/// elements).
pub const MAX_NOTIFICATION_BYTES: usize = 1024 * 1024;

json_object! {
    /// The envelope every notification arrives in.
    #[derive(Debug, Clone, PartialEq)]
    struct Envelope {
        ["notification", default] notification: serde_json::Value,
        ["notificationId"] notification_id: String,
        ["notificationType"] notification_type: NotificationType,
        ["uId", default, skip_serializing_if = "Option::is_none"] uid: Option<String>,
    }
}

/// One notification: the envelope fields and the typed payload.
///
/// ```
/// use mdm_vpp::{Notification, NotificationPayload};
///
/// let body = br#"{"notification":{"adamId":361304891,"countDelta":-2,"pricingParam":"STDQ"},
///   "notificationId":"n-1","notificationType":"ASSET_COUNT","uId":"42"}"#;
/// let n = Notification::decode(body)?;
/// let NotificationPayload::AssetCount(count) = &n.payload else { unreachable!() };
/// assert_eq!(count.adam_id.as_str(), "361304891");
/// assert_eq!(count.count_delta, -2);
/// # Ok::<(), mdm_vpp::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Notification {
    /// The notification's id: de-duplicate on it ([`NotificationDeduper`]); Apple may
    /// deliver one notification up to three times.
    pub notification_id: String,
    /// The type.
    pub notification_type: NotificationType,
    /// The library's unique id.
    pub uid: Option<String>,
    /// The payload, typed by `notificationType`.
    pub payload: NotificationPayload,
    /// Envelope keys this crate does not know.
    pub extra: crate::Extra,
}

/// The `notification` object, by type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum NotificationPayload {
    /// `TEST_NOTIFICATION`: empty; its keys, if any, are kept.
    Test(crate::Extra),
    /// `ASSET_COUNT`.
    AssetCount(AssetCountNotification),
    /// `ASSET_MANAGEMENT`.
    AssetManagement(AssetManagementNotification),
    /// `USER_MANAGEMENT`.
    UserManagement(UserManagementNotification),
    /// `USER_ASSOCIATED`.
    UserAssociated(UserAssociatedNotification),
    /// `SUBSCRIPTION_COUNT`.
    SubscriptionCount(SubscriptionCountNotification),
    /// `SUBSCRIPTION_MANAGEMENT`.
    SubscriptionManagement(SubscriptionManagementNotification),
    /// Any other type (`UNLIMITED_ASSET`, whose payload is not documented, and types
    /// Apple adds later), kept as sent.
    Other(serde_json::Value),
}

json_object! {
    /// `ASSET_COUNT`: a licence count changed.
    #[derive(Debug, Clone, PartialEq)]
    pub struct AssetCountNotification {
        /// The asset (a string or an integer on the wire).
        ["adamId"] adam_id: AdamId,
        /// How many licences were added (positive) or removed (negative).
        ["countDelta", default] count_delta: i64,
        /// The quality.
        ["pricingParam", default, skip_serializing_if = "Option::is_none"] pricing_param: Option<PricingParam>,
    }
}

json_object! {
    /// `ASSET_MANAGEMENT`: the result of (part of) an associate, disassociate or revoke
    /// event, at most 100 assignments per notification.
    #[derive(Debug, Clone, PartialEq)]
    pub struct AssetManagementNotification {
        /// The assignments this notification reports on.
        ["assignments", default] assignments: Vec<Assignment>,
        /// The event.
        ["eventId"] event_id: EventId,
        /// Success or failure.
        ["result"] result: NotificationResult,
        /// Associate, disassociate or revoke.
        ["type", default, skip_serializing_if = "Option::is_none"] event_type: Option<EventType>,
        /// The error, on failure (at most one per notification).
        ["error", default, skip_serializing_if = "Option::is_none"] error: Option<ErrorResponse>,
    }
}

json_object! {
    /// `USER_MANAGEMENT`: the result of (part of) a user create, update or retire event.
    #[derive(Debug, Clone, PartialEq)]
    pub struct UserManagementNotification {
        /// The event.
        ["eventId"] event_id: EventId,
        /// Success or failure.
        ["result"] result: NotificationResult,
        /// Create, update or retire.
        ["type", default, skip_serializing_if = "Option::is_none"] event_type: Option<EventType>,
        /// The users this notification reports on.
        ["users", default] users: Vec<User>,
        /// The error, on failure.
        ["error", default, skip_serializing_if = "Option::is_none"] error: Option<ErrorResponse>,
    }
}

json_object! {
    /// `USER_ASSOCIATED`: users who joined with their Apple Account.
    #[derive(Debug, Clone, PartialEq)]
    pub struct UserAssociatedNotification {
        /// The users (`status` is `Associated`).
        ["associatedUsers", default] associated_users: Vec<User>,
    }
}

json_object! {
    /// Renewing and expiring subscription counts.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct SubscriptionCounts {
        /// Subscriptions that renew.
        ["renewing", default] renewing: i64,
        /// Subscriptions that expire.
        ["expiring", default] expiring: i64,
    }
}

json_object! {
    /// The `counts` of a `SUBSCRIPTION_COUNT` notification.
    #[derive(Debug, Clone, PartialEq, Default)]
    pub struct SubscriptionCountTotals {
        /// Available subscriptions.
        ["available", default, skip_serializing_if = "Option::is_none"] available: Option<SubscriptionCounts>,
        /// All subscriptions.
        ["total", default, skip_serializing_if = "Option::is_none"] total: Option<SubscriptionCounts>,
    }
}

json_object! {
    /// `SUBSCRIPTION_COUNT`: subscription counts changed (ids are integers here).
    #[derive(Debug, Clone, PartialEq)]
    pub struct SubscriptionCountNotification {
        /// The parent product.
        ["parentAdamId", default, skip_serializing_if = "Option::is_none"] parent_adam_id: Option<AdamId>,
        /// The subscription product.
        ["adamId"] adam_id: AdamId,
        /// The counts.
        ["counts", default] counts: SubscriptionCountTotals,
    }
}

json_object! {
    /// One entry of a `SUBSCRIPTION_MANAGEMENT` notification.
    #[derive(Debug, Clone, PartialEq)]
    pub struct SubscriptionAssignment {
        /// The subscription product.
        ["adamId"] adam_id: AdamId,
        /// The user.
        ["clientUserId", default, skip_serializing_if = "Option::is_none"] client_user_id: Option<ClientUserId>,
        /// Whether it renews.
        ["renewing", default, skip_serializing_if = "Option::is_none"] renewing: Option<bool>,
    }
}

json_object! {
    /// `SUBSCRIPTION_MANAGEMENT`: the result of a subscription associate or disassociate.
    #[derive(Debug, Clone, PartialEq)]
    pub struct SubscriptionManagementNotification {
        /// The assignments.
        ["assignments", default] assignments: Vec<SubscriptionAssignment>,
        /// The event.
        ["eventId"] event_id: EventId,
        /// Success or failure.
        ["result"] result: NotificationResult,
        /// What the event did.
        ["type", default, skip_serializing_if = "Option::is_none"] event_type: Option<EventType>,
    }
}

impl Notification {
    /// Decodes a notification body.
    ///
    /// # Errors
    /// [`Error::BodyTooLarge`] over [`MAX_NOTIFICATION_BYTES`], [`Error::Malformed`] when
    /// the envelope or the payload of a known type does not decode.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_NOTIFICATION_BYTES {
            return Err(Error::BodyTooLarge {
                limit: MAX_NOTIFICATION_BYTES,
            });
        }
        let env: Envelope =
            serde_json::from_slice(bytes).map_err(|e| Error::malformed("notification", e))?;
        let payload = payload(&env.notification_type, env.notification)?;
        Ok(Notification {
            notification_id: env.notification_id,
            notification_type: env.notification_type,
            uid: env.uid,
            payload,
            extra: env.extra,
        })
    }

    /// Encodes the notification as Apple sends it.
    ///
    /// # Errors
    /// Never in practice.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let notification = match &self.payload {
            NotificationPayload::Test(m) => serde_json::Value::Object(m.clone()),
            NotificationPayload::AssetCount(p) => to_value(p)?,
            NotificationPayload::AssetManagement(p) => to_value(p)?,
            NotificationPayload::UserManagement(p) => to_value(p)?,
            NotificationPayload::UserAssociated(p) => to_value(p)?,
            NotificationPayload::SubscriptionCount(p) => to_value(p)?,
            NotificationPayload::SubscriptionManagement(p) => to_value(p)?,
            NotificationPayload::Other(v) => v.clone(),
        };
        let env = Envelope {
            notification,
            notification_id: self.notification_id.clone(),
            notification_type: self.notification_type.clone(),
            uid: self.uid.clone(),
            extra: self.extra.clone(),
        };
        serde_json::to_vec(&env).map_err(|e| Error::malformed("encoding", e))
    }

    /// The event this notification reports on, for the management types.
    pub fn event_id(&self) -> Option<&EventId> {
        match &self.payload {
            NotificationPayload::AssetManagement(p) => Some(&p.event_id),
            NotificationPayload::UserManagement(p) => Some(&p.event_id),
            NotificationPayload::SubscriptionManagement(p) => Some(&p.event_id),
            _ => None,
        }
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::malformed("encoding", e))
}

fn payload(kind: &NotificationType, v: serde_json::Value) -> Result<NotificationPayload, Error> {
    fn typed<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, Error> {
        serde_json::from_value(v).map_err(|e| Error::malformed("notification payload", e))
    }
    Ok(match kind {
        NotificationType::TestNotification => match v {
            serde_json::Value::Object(m) => NotificationPayload::Test(m),
            serde_json::Value::Null => NotificationPayload::Test(crate::Extra::new()),
            _ => {
                return Err(Error::malformed(
                    "notification payload",
                    "a test notification's payload is not an object",
                ));
            }
        },
        NotificationType::AssetCount => NotificationPayload::AssetCount(typed(v)?),
        NotificationType::AssetManagement => NotificationPayload::AssetManagement(typed(v)?),
        NotificationType::UserManagement => NotificationPayload::UserManagement(typed(v)?),
        NotificationType::UserAssociated => NotificationPayload::UserAssociated(typed(v)?),
        NotificationType::SubscriptionCount => NotificationPayload::SubscriptionCount(typed(v)?),
        NotificationType::SubscriptionManagement => {
            NotificationPayload::SubscriptionManagement(typed(v)?)
        }
        _ => NotificationPayload::Other(v),
    })
}

/// Checks a notification's `Authorization` header value against the token the MDM set as
/// `notificationAuthToken`, in constant time (for tokens of the same length).
///
/// ```
/// assert!(mdm_vpp::verify_notification_auth(Some("Bearer s3cret"), "s3cret").is_ok());
/// assert!(mdm_vpp::verify_notification_auth(Some("Bearer guess"), "s3cret").is_err());
/// assert!(mdm_vpp::verify_notification_auth(None, "s3cret").is_err());
/// ```
///
/// # Errors
/// [`Error::NotificationUnauthorized`] when the header is missing, is not a bearer token,
/// or carries another token.
pub fn verify_notification_auth(authorization: Option<&str>, expected: &str) -> Result<(), Error> {
    let given = authorization
        .and_then(|h| {
            let (scheme, rest) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or(Error::NotificationUnauthorized)?;
    if expected.is_empty() || !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return Err(Error::NotificationUnauthorized);
    }
    Ok(())
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Remembers the last `capacity` notification ids to drop repeated deliveries (Apple
/// retries up to three times over a few minutes).
///
/// ```
/// let mut seen = mdm_vpp::NotificationDeduper::new(1000);
/// assert!(seen.first_time("n-1"));
/// assert!(!seen.first_time("n-1"));
/// ```
#[derive(Debug, Clone)]
pub struct NotificationDeduper {
    capacity: usize,
    seen: HashSet<String>,
    order: VecDeque<String>,
}

impl NotificationDeduper {
    /// Remembers up to `capacity` ids (at least 1); the oldest is forgotten first.
    pub fn new(capacity: usize) -> Self {
        NotificationDeduper {
            capacity: capacity.max(1),
            seen: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// Whether `notification_id` is new (and remembers it).
    pub fn first_time(&mut self, notification_id: &str) -> bool {
        if self.seen.contains(notification_id) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.seen.remove(&old);
        }
        self.seen.insert(notification_id.to_owned());
        self.order.push_back(notification_id.to_owned());
        true
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

// The notification cap must not exceed the response cap.
const _: () = assert!(MAX_NOTIFICATION_BYTES <= MAX_BODY_BYTES);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_decodes() {
        let cases = [
            (
                r#"{"notification":{},"notificationId":"1","notificationType":"TEST_NOTIFICATION"}"#,
                "Test",
            ),
            (
                r#"{"notification":{"assignments":[{"adamId":"1","clientUserId":"u"}],"eventId":"e","result":"FAILURE","type":"REVOKE","error":{"errorNumber":9709,"errorMessage":"x"}},"notificationId":"2","notificationType":"ASSET_MANAGEMENT"}"#,
                "AssetManagement",
            ),
            (
                r#"{"notification":{"eventId":"e","result":"SUCCESS","type":"CREATE","users":[{"clientUserId":"u","email":"a@b","status":"Registered","inviteCode":"x"}]},"notificationId":"3","notificationType":"USER_MANAGEMENT"}"#,
                "UserManagement",
            ),
            (
                r#"{"notification":{"associatedUsers":[{"clientUserId":"u","email":"a@b","idHash":"h","inviteCode":"i","status":"Associated"}]},"notificationId":"4","notificationType":"USER_ASSOCIATED"}"#,
                "UserAssociated",
            ),
            (
                r#"{"notification":{"parentAdamId":10,"adamId":11,"counts":{"available":{"renewing":1,"expiring":2},"total":{"renewing":3,"expiring":4}}},"notificationId":"5","notificationType":"SUBSCRIPTION_COUNT"}"#,
                "SubscriptionCount",
            ),
            (
                r#"{"notification":{"assignments":[{"adamId":11,"clientUserId":"u","renewing":true}],"eventId":"e","result":"SUCCESS","type":"ASSOCIATE"},"notificationId":"6","notificationType":"SUBSCRIPTION_MANAGEMENT"}"#,
                "SubscriptionManagement",
            ),
            (
                r#"{"notification":{"whatever":1},"notificationId":"7","notificationType":"UNLIMITED_ASSET"}"#,
                "Other",
            ),
        ];
        for (json, kind) in cases {
            let n = Notification::decode(json.as_bytes()).unwrap();
            assert!(
                format!("{:?}", n.payload).starts_with(kind),
                "{kind}: {n:?}"
            );
            let again = Notification::decode(&n.encode().unwrap()).unwrap();
            assert_eq!(again, n);
        }
    }

    #[test]
    fn malformed() {
        for bad in [
            &b"{}"[..],
            b"[]",
            br#"{"notification":{"eventId":"e"},"notificationId":"1","notificationType":"ASSET_MANAGEMENT"}"#,
            br#"{"notification":[],"notificationId":"1","notificationType":"TEST_NOTIFICATION"}"#,
        ] {
            assert!(Notification::decode(bad).is_err());
        }
        let big = vec![b' '; MAX_NOTIFICATION_BYTES + 1];
        assert!(matches!(
            Notification::decode(&big),
            Err(Error::BodyTooLarge { .. })
        ));
    }

    #[test]
    fn bearer_checks() {
        assert!(verify_notification_auth(Some("bearer tok"), "tok").is_ok());
        assert!(verify_notification_auth(Some("Bearer tok2"), "tok").is_err());
        assert!(verify_notification_auth(Some("Basic tok"), "tok").is_err());
        assert!(verify_notification_auth(Some("tok"), "tok").is_err());
        assert!(verify_notification_auth(Some("Bearer "), "").is_err());
    }

    #[test]
    fn dedupe_forgets_oldest() {
        let mut d = NotificationDeduper::new(2);
        assert!(d.first_time("a") && d.first_time("b"));
        assert!(!d.first_time("a"));
        assert!(d.first_time("c"));
        assert!(d.first_time("a"));
        assert_eq!(d.len(), 2);
    }
}
