//! Profile assignment at scale (sans-IO): serial lists split into requests of at most 1000
//! (or the account's limit), per-device results merged, `THROTTLED` devices sent again
//! after `retry_after_seconds` (or a backoff), a bounded number of times.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use mdm_types::SerialNumber;

use crate::api::AssignProfile;
use crate::error::Error;
use crate::types::{AssignProfileResponse, DeviceStatus, MAX_DEVICES_PER_REQUEST};

/// How an [`AssignPlan`] splits and retries; every field names its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssignPolicy {
    /// Serials per request (default [`MAX_DEVICES_PER_REQUEST`], 1000; at least 1).
    pub chunk_size: usize,
    /// Rounds a device is sent in before `THROTTLED` is final (default 5, at least 1).
    pub max_attempts: u32,
    /// First wait when the answer has no `retry_after_seconds` (default 10 s); doubled
    /// each round.
    pub backoff: Duration,
    /// Longest wait between rounds (default 10 minutes); a longer `retry_after_seconds`
    /// is cut to it.
    pub max_wait: Duration,
}

impl Default for AssignPolicy {
    fn default() -> Self {
        AssignPolicy {
            chunk_size: MAX_DEVICES_PER_REQUEST,
            max_attempts: 5,
            backoff: Duration::from_secs(10),
            max_wait: Duration::from_secs(600),
        }
    }
}

impl AssignPolicy {
    /// Sets [`AssignPolicy::chunk_size`].
    pub fn with_chunk_size(mut self, n: usize) -> Self {
        self.chunk_size = n.clamp(1, MAX_DEVICES_PER_REQUEST);
        self
    }

    /// Sets [`AssignPolicy::max_attempts`].
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets [`AssignPolicy::backoff`].
    pub fn with_backoff(mut self, d: Duration) -> Self {
        self.backoff = d;
        self
    }

    /// Sets [`AssignPolicy::max_wait`].
    pub fn with_max_wait(mut self, d: Duration) -> Self {
        self.max_wait = d;
        self
    }
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AssignStep {
    /// Send this request, then hand its answer to [`AssignPlan::on_response`].
    Send(AssignProfile),
    /// Wait this long (throttled devices), then ask again.
    Wait(Duration),
    /// Every serial has its final status: [`AssignPlan::outcome`].
    Done,
}

/// The final result: every serial's last status and how many times it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssignOutcome {
    /// The profile.
    pub profile_uuid: String,
    /// Each serial's final status. `THROTTLED` here means the attempts ran out; a serial
    /// the server left out of its answer is `Other("NOT_REPORTED")`.
    pub statuses: BTreeMap<SerialNumber, DeviceStatus>,
    /// Requests sent.
    pub requests: u32,
    /// Rounds (1 plus the throttle retries).
    pub rounds: u32,
}

impl AssignOutcome {
    /// The serials whose final status is `status`.
    pub fn with_status<'a>(
        &'a self,
        status: &'a DeviceStatus,
    ) -> impl Iterator<Item = &'a SerialNumber> + 'a {
        self.statuses
            .iter()
            .filter(move |(_, s)| *s == status)
            .map(|(k, _)| k)
    }

    /// Whether every serial ended `SUCCESS`.
    pub fn all_succeeded(&self) -> bool {
        self.statuses.values().all(|s| *s == DeviceStatus::Success)
    }
}

/// Assigns one profile to any number of devices.
///
/// ```
/// use mdm_dep::{AssignPlan, AssignPolicy, AssignProfileResponse, AssignStep, SerialNumber};
///
/// let serials: Vec<SerialNumber> = ["A1", "B2", "C3"].iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
/// let mut plan = AssignPlan::new("PROFILE", serials, AssignPolicy::default().with_chunk_size(2));
/// let AssignStep::Send(first) = plan.next_step() else { unreachable!() };
/// assert_eq!(first.devices.len(), 2);
/// plan.on_response(AssignProfileResponse::decode(
///     br#"{"devices":{"A1":"SUCCESS","B2":"THROTTLED"},"retry_after_seconds":3}"#,
/// )?)?;
/// let AssignStep::Send(second) = plan.next_step() else { unreachable!() };
/// assert_eq!(second.devices.len(), 1);
/// plan.on_response(AssignProfileResponse::decode(br#"{"devices":{"C3":"SUCCESS"}}"#)?)?;
/// assert_eq!(plan.next_step(), AssignStep::Wait(std::time::Duration::from_secs(3)));
/// # Ok::<(), mdm_dep::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct AssignPlan {
    profile_uuid: String,
    policy: AssignPolicy,
    queue: VecDeque<SerialNumber>,
    throttled: Vec<SerialNumber>,
    in_flight: Option<Vec<SerialNumber>>,
    statuses: BTreeMap<SerialNumber, DeviceStatus>,
    wait_hint: Option<Duration>,
    waited: bool,
    round: u32,
    requests: u32,
}

impl AssignPlan {
    /// A plan for `serials` (repeats dropped) under `policy`.
    pub fn new(
        profile_uuid: impl Into<String>,
        serials: impl IntoIterator<Item = SerialNumber>,
        policy: AssignPolicy,
    ) -> Self {
        let mut seen = std::collections::BTreeSet::new();
        let queue = serials
            .into_iter()
            .filter(|s| seen.insert(s.clone()))
            .collect();
        let policy = AssignPolicy {
            chunk_size: policy.chunk_size.clamp(1, MAX_DEVICES_PER_REQUEST),
            max_attempts: policy.max_attempts.max(1),
            ..policy
        };
        AssignPlan {
            profile_uuid: profile_uuid.into(),
            policy,
            queue,
            throttled: Vec::new(),
            in_flight: None,
            statuses: BTreeMap::new(),
            wait_hint: None,
            waited: false,
            round: 1,
            requests: 0,
        }
    }

    /// What to do next. After [`AssignStep::Wait`] the caller is trusted to have waited:
    /// the next call starts the retry round.
    pub fn next_step(&mut self) -> AssignStep {
        if let Some(devices) = &self.in_flight {
            // The answer to the last request has not arrived: send it again.
            return AssignStep::Send(AssignProfile {
                profile_uuid: self.profile_uuid.clone(),
                devices: devices.clone(),
            });
        }
        if self.queue.is_empty() && !self.throttled.is_empty() {
            if self.round >= self.policy.max_attempts {
                self.throttled.clear();
                return AssignStep::Done;
            }
            if !self.waited {
                self.waited = true;
                return AssignStep::Wait(self.wait());
            }
            self.waited = false;
            self.wait_hint = None;
            self.round += 1;
            self.queue.extend(self.throttled.drain(..));
        }
        if self.queue.is_empty() {
            return AssignStep::Done;
        }
        let n = self.policy.chunk_size.min(self.queue.len());
        let devices: Vec<SerialNumber> = self.queue.drain(..n).collect();
        self.in_flight = Some(devices.clone());
        self.requests += 1;
        AssignStep::Send(AssignProfile {
            profile_uuid: self.profile_uuid.clone(),
            devices,
        })
    }

    fn wait(&self) -> Duration {
        let backoff = || {
            let shift = self.round.saturating_sub(1).min(16);
            self.policy.backoff.saturating_mul(1u32 << shift)
        };
        self.wait_hint
            .unwrap_or_else(backoff)
            .min(self.policy.max_wait)
    }

    /// Takes the answer to the last [`AssignStep::Send`].
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when no request is in flight.
    pub fn on_response(&mut self, response: AssignProfileResponse) -> Result<(), Error> {
        let sent = self
            .in_flight
            .take()
            .ok_or_else(|| Error::InvalidRequest("no assign request in flight".into()))?;
        let mut throttled_here = false;
        for serial in sent {
            let status = response
                .devices
                .get(serial.as_str())
                .cloned()
                .unwrap_or_else(|| DeviceStatus::Other("NOT_REPORTED".into()));
            if status == DeviceStatus::Throttled {
                throttled_here = true;
                self.throttled.push(serial.clone());
            }
            self.statuses.insert(serial, status);
        }
        if throttled_here && let Some(secs) = response.retry_after_seconds {
            let d = Duration::from_secs(secs);
            self.wait_hint = Some(self.wait_hint.map_or(d, |w| w.max(d)));
        }
        Ok(())
    }

    /// Takes a failed request: a retryable error puts its serials with the throttled ones
    /// (retried after the error's `Retry-After` or the backoff), counting as a round;
    /// anything else ends the plan with the error.
    ///
    /// # Errors
    /// The error itself when it is not retryable.
    pub fn on_error(&mut self, error: Error) -> Result<(), Error> {
        let sent = self.in_flight.take().unwrap_or_default();
        if !error.is_retryable() {
            return Err(error);
        }
        if let Some(d) = error.retry_after() {
            self.wait_hint = Some(self.wait_hint.map_or(d, |w| w.max(d)));
        }
        for serial in sent {
            self.statuses
                .insert(serial.clone(), DeviceStatus::Throttled);
            self.throttled.push(serial);
        }
        Ok(())
    }

    /// The result so far (final once [`AssignPlan::next_step`] says [`AssignStep::Done`]).
    pub fn outcome(&self) -> AssignOutcome {
        AssignOutcome {
            profile_uuid: self.profile_uuid.clone(),
            statuses: self.statuses.clone(),
            requests: self.requests,
            rounds: self.round,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serials(n: usize) -> Vec<SerialNumber> {
        (0..n)
            .map(|i| SerialNumber::new(format!("S{i:05}")).unwrap())
            .collect()
    }

    fn answer(
        devices: &[SerialNumber],
        status: impl Fn(usize) -> &'static str,
        retry: Option<u64>,
    ) -> AssignProfileResponse {
        let map: serde_json::Map<String, serde_json::Value> = devices
            .iter()
            .enumerate()
            .map(|(i, s)| (s.to_string(), status(i).into()))
            .collect();
        let mut v = serde_json::json!({"profile_uuid": "P", "devices": map});
        if let Some(r) = retry {
            v["retry_after_seconds"] = r.into();
        }
        AssignProfileResponse::decode(&serde_json::to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn chunks_merge_and_throttle_retry() {
        let mut plan = AssignPlan::new("P", serials(2500), AssignPolicy::default());
        let mut sizes = Vec::new();
        let mut waits = Vec::new();
        loop {
            match plan.next_step() {
                AssignStep::Send(req) => {
                    sizes.push(req.devices.len());
                    let first_round = sizes.len() <= 3;
                    let a = answer(
                        &req.devices,
                        |i| {
                            if first_round && i % 10 == 0 {
                                "THROTTLED"
                            } else {
                                "SUCCESS"
                            }
                        },
                        Some(2),
                    );
                    plan.on_response(a).unwrap();
                }
                AssignStep::Wait(d) => waits.push(d),
                AssignStep::Done => break,
            }
        }
        assert_eq!(sizes, vec![1000, 1000, 500, 250]);
        assert_eq!(waits, vec![Duration::from_secs(2)]);
        let out = plan.outcome();
        assert_eq!(out.statuses.len(), 2500);
        assert!(out.all_succeeded());
        assert_eq!(out.rounds, 2);
    }

    #[test]
    fn attempts_bounded_and_backoff_without_hint() {
        let policy = AssignPolicy::default()
            .with_max_attempts(3)
            .with_backoff(Duration::from_secs(1));
        let mut plan = AssignPlan::new("P", serials(3), policy);
        let mut waits = Vec::new();
        loop {
            match plan.next_step() {
                AssignStep::Send(req) => plan
                    .on_response(answer(&req.devices, |_| "THROTTLED", None))
                    .unwrap(),
                AssignStep::Wait(d) => waits.push(d),
                AssignStep::Done => break,
            }
        }
        assert_eq!(waits, vec![Duration::from_secs(1), Duration::from_secs(2)]);
        let out = plan.outcome();
        assert_eq!(out.with_status(&DeviceStatus::Throttled).count(), 3);
        assert_eq!(out.requests, 3);
    }

    #[test]
    fn missing_serial_and_errors() {
        let mut plan = AssignPlan::new("P", serials(2), AssignPolicy::default());
        let AssignStep::Send(req) = plan.next_step() else {
            panic!()
        };
        plan.on_response(answer(&req.devices[..1], |_| "SUCCESS", None))
            .unwrap();
        assert_eq!(plan.next_step(), AssignStep::Done);
        assert_eq!(
            plan.outcome().statuses[&req.devices[1]],
            DeviceStatus::Other("NOT_REPORTED".into())
        );
        let mut plan = AssignPlan::new("P", serials(1), AssignPolicy::default());
        plan.next_step();
        assert!(plan.on_error(Error::InvalidRequest("x".into())).is_err());
        assert!(plan.on_response(answer(&[], |_| "SUCCESS", None)).is_err());
    }
}
