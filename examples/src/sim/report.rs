//! What a run did: counters, latencies and rates, as text or JSON.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Summary statistics of one kind of operation's durations.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencyStats {
    /// How many were measured.
    pub count: usize,
    /// Mean, in milliseconds.
    pub mean_ms: f64,
    /// Median, in milliseconds.
    pub p50_ms: f64,
    /// 95th percentile, in milliseconds.
    pub p95_ms: f64,
    /// Maximum, in milliseconds.
    pub max_ms: f64,
}

impl LatencyStats {
    /// Statistics of `samples` (all zero when empty).
    pub fn of(samples: &[Duration]) -> Self {
        if samples.is_empty() {
            return LatencyStats::default();
        }
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        // Nearest-rank percentile.
        let at = |percent: usize| {
            let rank = (ms.len() * percent).div_ceil(100).max(1);
            ms.get(rank - 1).copied().unwrap_or(0.0)
        };
        LatencyStats {
            count: ms.len(),
            mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
            p50_ms: at(50),
            p95_ms: at(95),
            max_ms: ms.last().copied().unwrap_or(0.0),
        }
    }

    fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "count": self.count,
            "mean_ms": round3(self.mean_ms),
            "p50_ms": round3(self.p50_ms),
            "p95_ms": round3(self.p95_ms),
            "max_ms": round3(self.max_ms),
        })
    }
}

/// The outcome of [`crate::sim::run`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunReport {
    /// Devices the run started.
    pub devices: usize,
    /// Devices that finished enrollment (profile, SCEP, `Authenticate`, `TokenUpdate`).
    pub enrolled: usize,
    /// Check-in requests the server accepted.
    pub checkins: usize,
    /// Poll sessions that ended with an empty answer.
    pub polls: usize,
    /// Requests to the server URL (each `Idle` and each command answer).
    pub round_trips: usize,
    /// Commands answered, by `RequestType` then by `Status`.
    pub commands: BTreeMap<String, BTreeMap<String, usize>>,
    /// Failures (a failed enrollment or a failed poll counts once).
    pub errors: usize,
    /// Failures by step (`profile`, `scep`, `check-in`, `connect`, ...).
    pub errors_by_step: BTreeMap<String, usize>,
    /// The first few failures, with the device index.
    pub first_errors: Vec<String>,
    /// Wall time of generating the device keys before enrollment (zero when keys are made
    /// during enrollment).
    pub keygen_wall: Duration,
    /// Wall time of the enrollment phase.
    pub enroll_wall: Duration,
    /// Wall time of the polling phase.
    pub poll_wall: Duration,
    /// Wall time of the whole run.
    pub wall: Duration,
    /// Durations by operation: `enroll` (whole), `profile`, `keygen`, `scep`, `checkin`,
    /// `round_trip`.
    pub latency: BTreeMap<String, LatencyStats>,
}

impl RunReport {
    /// Commands answered, all types and statuses.
    pub fn commands_answered(&self) -> usize {
        self.commands.values().flat_map(|m| m.values()).sum()
    }

    /// Commands answered with `status`.
    pub fn commands_with_status(&self, status: &str) -> usize {
        self.commands.values().filter_map(|m| m.get(status)).sum()
    }

    /// Enrollments per second over the enrollment phase.
    pub fn enrollments_per_sec(&self) -> f64 {
        rate(self.enrolled, self.enroll_wall)
    }

    /// Check-ins per second over the enrollment phase (where every check-in happens).
    pub fn checkins_per_sec(&self) -> f64 {
        rate(self.checkins, self.enroll_wall)
    }

    /// Round trips to the server URL per second over the polling phase.
    pub fn round_trips_per_sec(&self) -> f64 {
        rate(self.round_trips, self.poll_wall)
    }

    /// Commands answered per second over the polling phase.
    pub fn commands_per_sec(&self) -> f64 {
        rate(self.commands_answered(), self.poll_wall)
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let latency: serde_json::Map<String, serde_json::Value> = self
            .latency
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        serde_json::json!({
            "devices": self.devices,
            "enrolled": self.enrolled,
            "checkins": self.checkins,
            "polls": self.polls,
            "round_trips": self.round_trips,
            "commands_answered": self.commands_answered(),
            "commands": self.commands,
            "errors": self.errors,
            "errors_by_step": self.errors_by_step,
            "first_errors": self.first_errors,
            "wall_s": round3(self.wall.as_secs_f64()),
            "keygen_wall_s": round3(self.keygen_wall.as_secs_f64()),
            "enroll_wall_s": round3(self.enroll_wall.as_secs_f64()),
            "poll_wall_s": round3(self.poll_wall.as_secs_f64()),
            "enrollments_per_s": round3(self.enrollments_per_sec()),
            "checkins_per_s": round3(self.checkins_per_sec()),
            "round_trips_per_s": round3(self.round_trips_per_sec()),
            "commands_per_s": round3(self.commands_per_sec()),
            "latency": latency,
        })
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "devices {}  enrolled {}  errors {}  wall {:.2} s",
            self.devices,
            self.enrolled,
            self.errors,
            self.wall.as_secs_f64()
        )?;
        if !self.keygen_wall.is_zero() {
            writeln!(
                f,
                "device keys made or read from the key cache beforehand in {:.2} s (not part of the enrollment time)",
                self.keygen_wall.as_secs_f64()
            )?;
        }
        writeln!(
            f,
            "enrollment: {:.2} s, {:.1} enrollments/s, {} check-ins, {:.1} check-ins/s",
            self.enroll_wall.as_secs_f64(),
            self.enrollments_per_sec(),
            self.checkins,
            self.checkins_per_sec()
        )?;
        writeln!(
            f,
            "polling: {:.2} s, {} polls, {} round trips, {:.1} round trips/s, {} commands ({:.1}/s)",
            self.poll_wall.as_secs_f64(),
            self.polls,
            self.round_trips,
            self.round_trips_per_sec(),
            self.commands_answered(),
            self.commands_per_sec()
        )?;
        if !self.commands.is_empty() {
            writeln!(f, "commands answered:")?;
            for (rt, statuses) in &self.commands {
                let s: Vec<String> = statuses.iter().map(|(k, v)| format!("{k} {v}")).collect();
                writeln!(f, "  {rt}: {}", s.join(", "))?;
            }
        }
        if !self.latency.is_empty() {
            writeln!(
                f,
                "latency (ms)        count     mean      p50      p95      max"
            )?;
            for (k, s) in &self.latency {
                writeln!(
                    f,
                    "  {k:<16} {:>7} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
                    s.count, s.mean_ms, s.p50_ms, s.p95_ms, s.max_ms
                )?;
            }
        }
        if self.errors > 0 {
            let by: Vec<String> = self
                .errors_by_step
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            writeln!(f, "errors by step: {}", by.join(", "))?;
            for e in &self.first_errors {
                writeln!(f, "  {e}")?;
            }
        }
        Ok(())
    }
}

fn rate(count: usize, wall: Duration) -> f64 {
    let s = wall.as_secs_f64();
    if s > 0.0 { count as f64 / s } else { 0.0 }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = LatencyStats::of(&samples);
        assert_eq!(s.count, 100);
        assert!((s.p50_ms - 50.0).abs() < 1e-6);
        assert!((s.p95_ms - 95.0).abs() < 1e-6);
        assert!((s.max_ms - 100.0).abs() < 1e-6);
        assert!((s.mean_ms - 50.5).abs() < 1e-6);
        assert_eq!(LatencyStats::of(&[]), LatencyStats::default());
    }

    #[test]
    fn rates_and_json() {
        let mut r = RunReport {
            enrolled: 10,
            checkins: 20,
            round_trips: 30,
            enroll_wall: Duration::from_secs(2),
            poll_wall: Duration::from_secs(3),
            ..Default::default()
        };
        r.commands
            .entry("DeviceInformation".into())
            .or_default()
            .insert("Acknowledged".into(), 6);
        assert!((r.enrollments_per_sec() - 5.0).abs() < 1e-9);
        assert!((r.checkins_per_sec() - 10.0).abs() < 1e-9);
        assert!((r.round_trips_per_sec() - 10.0).abs() < 1e-9);
        assert_eq!(r.commands_with_status("Acknowledged"), 6);
        let j = r.to_json();
        assert_eq!(j["commands"]["DeviceInformation"]["Acknowledged"], 6);
        assert!(r.to_string().contains("DeviceInformation: Acknowledged 6"));
    }
}
