//! Waking devices: APNs through `mdm-apns` when a push certificate is configured,
//! nothing otherwise (devices then reach the server only when they poll).

use mdm_apns::{Client, Push, PushIdentity};
use serde::Serialize;
use tracing::{info, warn};

use super::config::DataDir;
use super::store::PushInfo;

/// How pushes are sent.
#[derive(Debug)]
pub enum Pusher {
    /// No push certificate: pushes are off.
    Off,
    /// Through APNs.
    Apns {
        /// The HTTP/2 client.
        client: Client,
        /// The topic of the push certificate.
        topic: String,
    },
}

/// The outcome of one push, as the API reports it.
#[derive(Debug, Clone, Serialize)]
pub struct PushResult {
    /// The enrollment pushed to.
    pub enrollment_id: String,
    /// `apns-id` when APNs accepted it.
    pub apns_id: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// It failed before anything was sent: the stored token, push magic or topic is not
    /// usable.
    #[serde(skip)]
    pub invalid: bool,
}

impl Pusher {
    /// Builds the pusher the configuration asks for.
    ///
    /// # Errors
    /// When a configured certificate or key cannot be read or used.
    pub fn from_config(data: &DataDir) -> Result<Self, String> {
        let Some(push) = &data.config.push else {
            return Ok(Pusher::Off);
        };
        let cert = data.read(&push.certificate)?;
        let key = data.read(&push.key)?;
        let identity =
            PushIdentity::from_pem(&cert, &key).map_err(|e| format!("push certificate: {e}"))?;
        let topic = identity.topic().as_str().to_owned();
        let mut builder = Client::builder(identity);
        if let Some(url) = &push.url {
            builder = builder.endpoint(mdm_apns::Endpoint::Custom(url.clone()));
        }
        if let Some(roots) = &push.roots {
            builder = builder.root_certificates_pem(&data.read(roots)?);
        }
        let client = builder.build().map_err(|e| format!("APNs client: {e}"))?;
        Ok(Pusher::Apns { client, topic })
    }

    /// The topic of the push certificate, when there is one.
    pub fn topic(&self) -> Option<&str> {
        match self {
            Pusher::Off => None,
            Pusher::Apns { topic, .. } => Some(topic),
        }
    }

    /// Whether pushes are sent.
    pub fn is_on(&self) -> bool {
        matches!(self, Pusher::Apns { .. })
    }

    /// Pushes to each target; an empty list when pushes are off.
    pub async fn push(&self, targets: Vec<(String, PushInfo)>) -> Vec<PushResult> {
        let Pusher::Apns { client, .. } = self else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(targets.len());
        let mut pushes = Vec::with_capacity(targets.len());
        let mut ids = Vec::with_capacity(targets.len());
        for (id, info) in targets {
            match make_push(&info) {
                Ok(p) => {
                    pushes.push(p);
                    ids.push(id);
                }
                Err(e) => out.push(PushResult {
                    enrollment_id: id,
                    apns_id: None,
                    error: Some(e),
                    invalid: true,
                }),
            }
        }
        let outcomes = client.push_many(pushes).await;
        for (id, outcome) in ids.into_iter().zip(outcomes) {
            let result = match outcome.result {
                Ok(delivery) => {
                    info!(enrollment = %id, "push sent");
                    PushResult {
                        enrollment_id: id,
                        apns_id: delivery.apns_id.map(|u| u.to_string()),
                        error: None,
                        invalid: false,
                    }
                }
                Err(e) => {
                    warn!(enrollment = %id, error = %e, "push failed");
                    PushResult {
                        enrollment_id: id,
                        apns_id: None,
                        error: Some(e.to_string()),
                        invalid: false,
                    }
                }
            };
            out.push(result);
        }
        out
    }
}

fn make_push(info: &PushInfo) -> Result<Push, String> {
    let token = mdm_apns::DeviceToken::new(info.token.clone()).map_err(|e| e.to_string())?;
    let magic = info
        .push_magic
        .parse::<mdm_apns::PushMagic>()
        .map_err(|e| e.to_string())?;
    let topic = info
        .topic
        .parse::<mdm_apns::Topic>()
        .map_err(|e| e.to_string())?;
    Ok(Push::new(token, magic, topic))
}
