//! Rate limiting of failed authentications, per client.
//!
//! A request "tries to authenticate" when it carries an `Authorization` header or is the dashboard's
//! `POST /login`. Such a request is always handled first, so its token is checked and a correct one is served
//! (and never counted), whatever others did from the same address. When the answer is 401, the failure is
//! counted for the client. Once a client has [`AuthLimit::max_failures`] failures within the last
//! [`AuthLimit::window`], each further failing attempt is held for [`FAILURE_DELAY`] and answered `429` with
//! `Retry-After` (the time until the oldest of those failures leaves the window) instead of 401.
//!
//! The client is the peer address; when the peer is one of [`AuthLimit::trusted_proxies`], it is the
//! right-most address of `X-Forwarded-For` that is not a trusted proxy (from any other peer the header is
//! ignored). IPv6 clients are grouped by their /64 (one host usually holds a whole /64).
//!
//! The counters live in this process's memory: each rh-server process limits on its own, and a restart
//! clears them. A background task drops stale entries every window (at most [`MAX_TRACKED`] are kept).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::api::ApiError;

/// How long a failing attempt past the limit is held before its 429.
pub const FAILURE_DELAY: Duration = Duration::from_secs(1);
/// How many clients are tracked at most; failures of further ones are not counted until a sweep.
pub const MAX_TRACKED: usize = 100_000;

/// An address block, `10.0.0.0/8` or `fd00::/8`; a bare address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    len: u8,
}

impl Cidr {
    /// Whether `ip` is in this block (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid address block {text:?}: expected ADDR or ADDR/PREFIX (10.0.0.0/8, fd00::/8)"
            )
        };
        let (addr, len) = match text.trim().split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (text.trim(), None),
        };
        let net = IpAddr::from_str(addr).map_err(|_| bad())?.to_canonical();
        let max = if net.is_ipv4() { 32 } else { 128 };
        let len = match len {
            None => max,
            Some(l) if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) => {
                l.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(bad)?
            }
            Some(_) => return Err(bad()),
        };
        Ok(Self { net, len })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.len)
    }
}

/// The policy: at most `max_failures` failed authentications per client within `window`.
#[derive(Debug, Clone)]
pub struct AuthLimit {
    /// Failures allowed within the window; further failures get 429.
    pub max_failures: usize,
    /// The sliding window.
    pub window: Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<Cidr>,
}

impl Default for AuthLimit {
    fn default() -> Self {
        Self {
            max_failures: 10,
            window: Duration::from_mins(1),
            trusted_proxies: Vec::new(),
        }
    }
}

/// The client a request counts for: the peer, or behind a trusted proxy the right-most untrusted address of
/// `X-Forwarded-For` (all of them, in order). When every listed address is trusted, the left-most one; when
/// an entry does not parse, the trusted hop that sent it.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(client) {
        return client;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    for hop in hops.into_iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            return client;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// `1.2.3.4`, `2001:db8::1`, or with a port (`1.2.3.4:5678`, `[2001:db8::1]:5678`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The counter key of a client: an IPv4 address itself, an IPv6 address its /64.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The failure counters of one process.
#[derive(Debug)]
pub(crate) struct AuthLimiter {
    limit: AuthLimit,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl AuthLimiter {
    /// A limiter; inside a tokio runtime, with a task that sweeps it every window while it lives.
    pub(crate) fn new(limit: AuthLimit) -> Arc<Self> {
        let limiter = Arc::new(Self {
            limit,
            failures: Mutex::new(HashMap::new()),
        });
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&limiter);
            let every = limiter.limit.window.max(Duration::from_secs(1));
            rt.spawn(sweep_every(weak, every));
        }
        limiter
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, VecDeque<Instant>>> {
        self.failures
            .lock()
            .expect("the limiter lock is never poisoned")
    }

    /// Counts a failure of `key` at `now`; `Some(seconds to wait)` when it is past the limit.
    fn fail(&self, key: IpAddr, now: Instant) -> Option<u64> {
        let window = self.limit.window;
        let keep = self.limit.max_failures.max(1);
        let mut map = self.lock();
        if map.len() >= MAX_TRACKED && !map.contains_key(&key) {
            return None;
        }
        let times = map.entry(key).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        let over = times.len() >= self.limit.max_failures;
        times.push_back(now);
        // Only the newest `max_failures` matter for the decision.
        while times.len() > keep {
            times.pop_front();
        }
        if !over {
            return None;
        }
        let oldest = *times.front().expect("not empty");
        let left = window.saturating_sub(now.duration_since(oldest));
        Some((left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1))
    }

    /// Drops the clients whose newest failure left the window.
    fn sweep(&self, now: Instant) {
        let window = self.limit.window;
        self.lock()
            .retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < window));
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().len()
    }
}

async fn sweep_every(limiter: Weak<AuthLimiter>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(l) = limiter.upgrade() else {
            return;
        };
        l.sweep(Instant::now());
    }
}

fn attempts_auth(req: &Request) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || (req.method() == Method::POST && req.uri().path() == "/login")
}

/// Middleware: counts 401 answers to authentication attempts; past the limit, holds them and answers 429.
pub(crate) async fn limit_failed_auth(
    State(limiter): State<Arc<AuthLimiter>>,
    req: Request,
    next: Next,
) -> Response {
    let peer = crate::audit::peer_ip(&req);
    let (Some(peer), true) = (peer, attempts_auth(&req)) else {
        return next.run(req).await;
    };
    let client = client_ip(peer, req.headers(), &limiter.limit.trusted_proxies);
    let res = next.run(req).await;
    if res.status() != StatusCode::UNAUTHORIZED {
        return res;
    }
    let Some(wait) = limiter.fail(client_key(client), Instant::now()) else {
        return res;
    };
    tracing::warn!("refused an authentication attempt from {client}: too many failures");
    tokio::time::sleep(FAILURE_DELAY.min(limiter.limit.window)).await;
    let mut res = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many failed authentications; retry in {wait} s"),
    )
    .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max_failures: usize) -> Arc<AuthLimiter> {
        AuthLimiter::new(AuthLimit {
            max_failures,
            window: Duration::from_mins(1),
            trusted_proxies: Vec::new(),
        })
    }

    #[test]
    fn failures_past_the_limit_wait_until_the_oldest_leaves_the_window() {
        let l = limiter(3);
        let ip: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(l.fail(ip, t0 + Duration::from_secs(i)), None, "failure {i}");
        }
        // Failures past the limit count too: (t0+1, t0+2, t0+10) keep it over the limit until t0+61,
        // then (t0+2, t0+10, t0+60) until t0+62.
        assert_eq!(l.fail(ip, t0 + Duration::from_secs(10)), Some(51));
        assert_eq!(l.fail(other, t0 + Duration::from_secs(10)), None);
        assert_eq!(l.fail(ip, t0 + Duration::from_mins(1)), Some(2));
        // Once the window holds fewer than three, a failure is a plain 401 again.
        assert_eq!(l.fail(ip, t0 + Duration::from_secs(125)), None);
        l.sweep(t0 + Duration::from_secs(200));
        assert_eq!(l.tracked(), 0);
    }

    #[test]
    fn the_sweep_keeps_clients_with_recent_failures() {
        let l = limiter(3);
        let t0 = Instant::now();
        l.fail([10, 0, 0, 1].into(), t0);
        l.fail([10, 0, 0, 2].into(), t0 + Duration::from_secs(50));
        l.sweep(t0 + Duration::from_secs(70));
        assert_eq!(l.tracked(), 1);
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(
            client_key(a),
            "2001:db8:1:2::".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let v4: IpAddr = [192, 0, 2, 7].into();
        assert_eq!(client_key(v4), v4);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(client_key(mapped), v4);
        // One /64 shares one counter.
        let l = limiter(2);
        let t0 = Instant::now();
        assert_eq!(l.fail(client_key(a), t0), None);
        assert_eq!(l.fail(client_key(b), t0), None);
        assert!(l.fail(client_key(a), t0).is_some());
        assert_eq!(l.fail(client_key(c), t0), None);
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let trusted: Vec<Cidr> = ["10.0.0.0/8", "fd00::/8"]
            .iter()
            .map(|c| c.parse().expect("cidr"))
            .collect();
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.9".parse().expect("value"),
        );
        h.append("x-forwarded-for", "10.1.1.1".parse().expect("value"));
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let stranger: IpAddr = [198, 51, 100, 1].into();
        // The right-most untrusted hop, not the spoofable left-most one.
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            IpAddr::from([203, 0, 113, 9])
        );
        assert_eq!(client_ip(stranger, &h, &trusted), stranger);
        assert_eq!(client_ip(proxy, &h, &[]), proxy);
        let mut only_proxies = HeaderMap::new();
        only_proxies.insert(
            "x-forwarded-for",
            "10.9.9.9, 10.1.1.1".parse().expect("value"),
        );
        assert_eq!(
            client_ip(proxy, &only_proxies, &trusted),
            IpAddr::from([10, 9, 9, 9])
        );
        let mut garbage = HeaderMap::new();
        garbage.insert("x-forwarded-for", "1.2.3.4, junk".parse().expect("value"));
        assert_eq!(client_ip(proxy, &garbage, &trusted), proxy);
        let mut ported = HeaderMap::new();
        ported.insert(
            "x-forwarded-for",
            "[2001:db8::5]:4711".parse().expect("value"),
        );
        assert_eq!(
            client_ip("fd00::1".parse().expect("ip"), &ported, &trusted),
            "2001:db8::5".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
    }

    #[test]
    fn address_blocks_parse_and_match() {
        let c: Cidr = "10.0.0.0/8".parse().expect("cidr");
        assert!(c.contains([10, 255, 0, 1].into()));
        assert!(!c.contains([11, 0, 0, 1].into()));
        assert!(c.contains("::ffff:10.1.2.3".parse().expect("ip")));
        let one: Cidr = "192.0.2.1".parse().expect("cidr");
        assert_eq!(one.to_string(), "192.0.2.1/32");
        assert!(!one.contains([192, 0, 2, 2].into()));
        let all: Cidr = "0.0.0.0/0".parse().expect("cidr");
        assert!(all.contains([8, 8, 8, 8].into()));
        assert!(!all.contains("2001:db8::1".parse().expect("ip")));
        let v6: Cidr = "2001:db8::/32".parse().expect("cidr");
        assert!(v6.contains("2001:db8:ffff::1".parse().expect("ip")));
        for bad in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "nope",
            "fd00::/129",
            "10.0.0.0/+8",
            "",
        ] {
            let err = bad.parse::<Cidr>().expect_err(bad);
            assert!(err.contains("invalid address block"), "{err}");
        }
    }
}
