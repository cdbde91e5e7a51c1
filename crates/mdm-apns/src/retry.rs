//! When to try a push again: exponential backoff with jitter, as a pure calculation.

use std::time::Duration;

/// How a client retries retryable failures (429, 5xx, timeouts, lost connections); never
/// used for permanent ones.
///
/// The delay before retry `n` (counting from 0) is `min(max_delay, base_delay * 2^n)`,
/// scaled by a jitter factor between one half and one, and never shorter than a
/// `retry-after` APNs sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 3 by default (0 disables retrying).
    pub max_retries: u32,
    /// Delay before the first retry, before jitter; 100 ms by default.
    pub base_delay: Duration,
    /// Upper bound of any delay, before jitter; 10 s by default.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn never() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The delay before retry number `retry` (0 for the first retry), given a random
    /// `jitter` in `[0, 1)` (clamped into that range) and the `retry-after` APNs sent, if any.
    pub fn delay(&self, retry: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let factor = 2u32.checked_pow(retry.min(31)).unwrap_or(u32::MAX);
        let exp = self
            .base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let delay = exp.mul_f64(0.5 + jitter / 2.0);
        retry_after.map_or(delay, |ra| delay.max(ra))
    }
}

/// A small xorshift generator for jitter; the client seeds it from the process's hash keys.
#[cfg(feature = "client")]
#[derive(Debug)]
pub(crate) struct Jitter(u64);

#[cfg(feature = "client")]
impl Jitter {
    pub(crate) fn new(seed: u64) -> Self {
        Jitter(seed | 1)
    }

    /// A number in `[0, 1)`.
    pub(crate) fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        // The top 53 bits fit an f64 mantissa exactly.
        #[allow(clippy::cast_precision_loss)]
        let v = (x >> 11) as f64 / (1u64 << 53) as f64;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(0, 1.0, None), Duration::from_millis(100));
        assert_eq!(p.delay(0, 0.0, None), Duration::from_millis(50));
        assert_eq!(p.delay(3, 1.0, None), Duration::from_millis(800));
        assert_eq!(p.delay(30, 1.0, None), Duration::from_secs(10));
        assert_eq!(p.delay(u32::MAX, 1.0, None), Duration::from_secs(10));
        assert_eq!(p.delay(0, f64::NAN, None), Duration::from_millis(50));
    }

    #[test]
    fn honours_retry_after() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay(0, 0.5, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[cfg(feature = "client")]
    #[test]
    fn jitter_in_range() {
        let mut j = Jitter::new(42);
        for _ in 0..10_000 {
            let v = j.next();
            assert!((0.0..1.0).contains(&v));
        }
    }
}
