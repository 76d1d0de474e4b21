//! Per-IP limit on failures (wrong passwords, unknown join codes, unknown invitations):
//! a sliding window of the last failures of each address. Only failures are counted, so
//! a whole hall joining through one Wi-Fi address is never slowed down by its successes.
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

pub struct FailureLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Default for FailureLimiter {
    /// 10 failures per minute.
    fn default() -> Self {
        Self::new(10, Duration::from_secs(60))
    }
}

impl FailureLimiter {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self { max_failures, window, failures: Mutex::new(HashMap::new()) }
    }

    /// Refuses with 429 when `ip` already has the maximum number of failures in the window.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let Some(ip) = ip else { return Ok(()) };
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(q) = map.get_mut(&ip) else { return Ok(()) };
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() < self.max_failures {
            return Ok(());
        }
        let oldest = q.front().copied().unwrap_or(now);
        let wait = self.window.saturating_sub(now.duration_since(oldest));
        Err(ApiError::RateLimited { retry_after_s: wait.as_secs().max(1) })
    }

    /// Records one failure of `ip`.
    pub fn fail(&self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Forget addresses whose failures all lie outside the window, so the map stays small.
        if map.len() > 10_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < self.window));
        }
        let q = map.entry(ip).or_default();
        q.push_back(now);
        while q.len() > self.max_failures {
            q.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_after_the_maximum_and_forgets_after_the_window() {
        let l = FailureLimiter::new(3, Duration::from_millis(200));
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        let other = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..3 {
            assert!(l.check(ip).is_ok());
            l.fail(ip);
        }
        let e = l.check(ip).unwrap_err();
        assert_eq!(e.code(), "rate_limited");
        assert!(l.check(other).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(l.check(ip).is_ok());
    }
}
