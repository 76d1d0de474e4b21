//! Limits on guessing, shaped for a hall where hundreds of phones share one Wi-Fi address.
//!
//! Two independent limiters, so that mistyped join codes never slow an organiser's sign-in:
//! - [`SignInLimiter`]: failed sign-ins per (client address, username), each failure past a
//!   few making that pair wait a growing delay (1, 2, 4 … 60 s). Failures of one username
//!   from many addresses slow that username the same way, but only for addresses that have
//!   failed on it themselves: a correct password from a clean address always gets through,
//!   and no delay is ever longer than the cap, so nobody is locked out for good.
//! - [`GuessLimiter`]: wrong join codes and unknown invitation tokens per address, a token
//!   bucket big enough for a hall of mistyping phones; once it is empty every guess from that
//!   address (right or wrong) waits for it to refill, so a guesser who ignores the 429s still
//!   cannot find a code.
//!
//! The client address is the TCP peer, or the `X-Forwarded-For` address it names when the
//! peer is a trusted proxy ([`client_ip`]).
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

use crate::error::ApiError;

/// The numbers of both limiters. Not flags: the defaults are the documented product
/// behaviour; tests shorten the delays.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Failures of a (address, username) pair before it has to wait.
    pub pair_free_failures: u32,
    /// Failures of a username, from all addresses together, before its failing addresses wait.
    pub user_free_failures: u32,
    /// The first wait; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// A pair or username whose last failure is this old starts afresh.
    pub forget_after: Duration,
    /// Wrong join codes and invitation tokens one address may send at once.
    pub guess_burst: u32,
    /// One more guess is allowed each time this passes.
    pub guess_refill: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            pair_free_failures: 3,
            user_free_failures: 10,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            forget_after: Duration::from_secs(15 * 60),
            guess_burst: 300,
            guess_refill: Duration::from_secs(6),
        }
    }
}

/// Entries kept before old ones are swept out.
const SWEEP_ABOVE: usize = 50_000;
/// Usernames longer than this are keyed by their first characters.
const MAX_KEY_CHARS: usize = 64;

#[derive(Clone, Copy)]
struct Strikes {
    failures: u32,
    last: Instant,
}

impl Strikes {
    /// When the next attempt may come, given `free` failures without a wait.
    fn wait_until(&self, free: u32, limits: &Limits) -> Instant {
        if self.failures < free.max(1) {
            return self.last;
        }
        let doublings = (self.failures - free.max(1)).min(30);
        let delay = limits.first_delay.saturating_mul(1 << doublings).min(limits.max_delay);
        self.last + delay
    }
}

fn rate_limited(wait: Duration) -> ApiError {
    // Whole seconds, rounded up, as Retry-After wants them.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::RateLimited { retry_after_s: secs.max(1) }
}

fn key_name(username: &str) -> String {
    username.trim().chars().take(MAX_KEY_CHARS).collect()
}

/// Failed sign-ins per (address, username) and per username.
pub struct SignInLimiter {
    limits: Limits,
    state: Mutex<SignInState>,
}

#[derive(Default)]
struct SignInState {
    pairs: HashMap<(IpAddr, String), Strikes>,
    users: HashMap<String, Strikes>,
}

impl SignInLimiter {
    pub fn new(limits: Limits) -> Self {
        Self { limits, state: Mutex::default() }
    }

    /// Refuses with 429 while this address must wait before trying `username` again.
    /// An address with no recent failure on `username` is never refused.
    pub fn check(&self, ip: IpAddr, username: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let name = key_name(username);
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(pair) = st.pairs.get(&(ip, name.clone())).filter(|s| self.fresh(s, now)) else {
            return Ok(());
        };
        let mut until = pair.wait_until(self.limits.pair_free_failures, &self.limits);
        if let Some(user) = st.users.get(&name).filter(|s| self.fresh(s, now)) {
            until = until.max(user.wait_until(self.limits.user_free_failures, &self.limits));
        }
        match until.checked_duration_since(now) {
            Some(wait) if !wait.is_zero() => Err(rate_limited(wait)),
            _ => Ok(()),
        }
    }

    /// Records a wrong password (or unknown username) from `ip`.
    pub fn fail(&self, ip: IpAddr, username: &str) {
        let now = Instant::now();
        let name = key_name(username);
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.pairs.len() > SWEEP_ABOVE || st.users.len() > SWEEP_ABOVE {
            st.pairs.retain(|_, s| now.duration_since(s.last) < self.limits.forget_after);
            st.users.retain(|_, s| now.duration_since(s.last) < self.limits.forget_after);
        }
        let forget = self.limits.forget_after;
        bump(st.pairs.entry((ip, name.clone())).or_insert(Strikes { failures: 0, last: now }), now, forget);
        bump(st.users.entry(name).or_insert(Strikes { failures: 0, last: now }), now, forget);
    }

    /// A correct sign-in clears that address's failures on the username.
    pub fn succeed(&self, ip: IpAddr, username: &str) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.pairs.remove(&(ip, key_name(username)));
    }

    fn fresh(&self, s: &Strikes, now: Instant) -> bool {
        now.duration_since(s.last) < self.limits.forget_after
    }
}

fn bump(s: &mut Strikes, now: Instant, forget: Duration) {
    if now.duration_since(s.last) >= forget {
        s.failures = 0;
    }
    s.failures = s.failures.saturating_add(1);
    s.last = now;
}

/// Wrong join codes and unknown invitation tokens per address: a token bucket of
/// `guess_burst` guesses refilled by one every `guess_refill`.
pub struct GuessLimiter {
    limits: Limits,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    /// Guesses left, as of `at`.
    left: f64,
    at: Instant,
}

impl GuessLimiter {
    pub fn new(limits: Limits) -> Self {
        Self { limits, buckets: Mutex::default() }
    }

    fn refilled(&self, b: Bucket, now: Instant) -> Bucket {
        let per = self.limits.guess_refill.as_secs_f64().max(1e-9);
        let left = (b.left + now.duration_since(b.at).as_secs_f64() / per).min(f64::from(self.limits.guess_burst));
        Bucket { left, at: now }
    }

    /// Refuses with 429 while `ip` has no guess left: then even a right code waits, or a
    /// guesser could ignore the refusals and still find one.
    pub fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        let now = Instant::now();
        let map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let Some(b) = map.get(&ip).map(|b| self.refilled(*b, now)) else { return Ok(()) };
        if b.left >= 1.0 {
            return Ok(());
        }
        Err(rate_limited(self.limits.guess_refill.mul_f64(1.0 - b.left)))
    }

    /// Spends one guess of `ip`.
    pub fn fail(&self, ip: IpAddr) {
        let now = Instant::now();
        let burst = f64::from(self.limits.guess_burst);
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > SWEEP_ABOVE {
            // A bucket that would be full again is the same as no bucket.
            let full = self.limits.guess_refill.mul_f64(burst);
            map.retain(|_, b| now.duration_since(b.at) < full);
        }
        let b = map.get(&ip).map_or(Bucket { left: burst, at: now }, |b| self.refilled(*b, now));
        map.insert(ip, Bucket { left: (b.left - 1.0).max(0.0), at: now });
    }
}

/// The client's address: the TCP peer, unless the peer is one of the `trusted` proxies,
/// in which case the right-most address of `X-Forwarded-For` that is not itself a trusted
/// proxy. A header from anyone else is ignored, so it cannot be forged.
pub fn client_ip(req: &HttpRequest, trusted: &[IpAddr]) -> IpAddr {
    let peer = req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            // Garbage in the header: stop at the last address we could trust.
            None => break,
        }
    }
    client
}

/// `1.2.3.4`, `1.2.3.4:5678`, `::1` or `[::1]:5678`.
fn parse_hop(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    s.parse::<std::net::SocketAddr>().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn quick() -> Limits {
        Limits {
            first_delay: Duration::from_millis(40),
            max_delay: Duration::from_millis(160),
            guess_burst: 3,
            guess_refill: Duration::from_millis(100),
            ..Limits::default()
        }
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_pair_waits_a_growing_delay_up_to_the_cap() {
        let l = SignInLimiter::new(quick());
        for _ in 0..2 {
            l.fail(A, "admin");
            assert!(l.check(A, "admin").is_ok());
        }
        l.fail(A, "admin");
        let e = l.check(A, "admin").unwrap_err();
        assert_eq!(e.code(), "rate_limited");
        // Other usernames from the same address, and the same username elsewhere, are free.
        assert!(l.check(A, "judge").is_ok());
        assert!(l.check(B, "admin").is_ok());
        std::thread::sleep(Duration::from_millis(50));
        assert!(l.check(A, "admin").is_ok());
        // 4th failure: 80 ms; many more: capped at 160 ms.
        for _ in 0..20 {
            l.fail(A, "admin");
        }
        assert!(l.check(A, "admin").is_err());
        std::thread::sleep(Duration::from_millis(170));
        assert!(l.check(A, "admin").is_ok());
        l.fail(A, "admin");
        assert!(l.check(A, "admin").is_err());
        l.succeed(A, "admin");
        assert!(l.check(A, "admin").is_ok(), "a success clears the pair");
    }

    #[test]
    fn many_addresses_slow_the_username_only_for_failing_addresses() {
        let l = SignInLimiter::new(quick());
        for i in 0..12u8 {
            l.fail(IpAddr::V4(Ipv4Addr::new(10, 1, 0, i)), "admin");
        }
        // Each of those addresses failed once only, but the username as a whole failed 12 times.
        assert!(l.check(IpAddr::V4(Ipv4Addr::new(10, 1, 0, 0)), "admin").is_err());
        assert!(l.check(IpAddr::V4(Ipv4Addr::new(10, 2, 0, 0)), "admin").is_ok(), "a clean address is never refused");
        std::thread::sleep(Duration::from_millis(170));
        assert!(l.check(IpAddr::V4(Ipv4Addr::new(10, 1, 0, 0)), "admin").is_ok(), "never locked out for good");
    }

    #[test]
    fn guesses_come_from_a_bucket_per_address() {
        let l = GuessLimiter::new(quick());
        for _ in 0..3 {
            assert!(l.check(A).is_ok());
            l.fail(A);
        }
        assert!(l.check(A).is_err());
        assert!(l.check(B).is_ok());
        std::thread::sleep(Duration::from_millis(110));
        assert!(l.check(A).is_ok());
        l.fail(A);
        assert!(l.check(A).is_err());
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr("127.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "6.6.6.6, 10.0.0.7"))
            .to_http_request();
        assert_eq!(client_ip(&req, &[]), proxy);
        assert_eq!(client_ip(&req, &[proxy]), "10.0.0.7".parse::<IpAddr>().unwrap());
        // A chain of trusted proxies is walked from the right.
        let inner: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(client_ip(&req, &[proxy, inner]), "6.6.6.6".parse::<IpAddr>().unwrap());
        let garbage = TestRequest::default()
            .peer_addr("127.0.0.1:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "not-an-address"))
            .to_http_request();
        assert_eq!(client_ip(&garbage, &[proxy]), proxy);
    }
}
