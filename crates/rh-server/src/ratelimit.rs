//! Rate limiting of failed authentications, per client address.
//!
//! A request "tries to authenticate" when it carries an `Authorization` header or is the dashboard's
//! `POST /login`. When such a request is answered 401, the failure is counted for the peer address. Once an
//! address has [`AuthLimit::max_failures`] failures within the last [`AuthLimit::window`], every further
//! authentication attempt from it — a correct token too — is answered `429` with `Retry-After` until the
//! oldest of those failures leaves the window. Successful requests never count.
//!
//! The counters live in this process's memory: each rh-server process limits on its own, and a restart
//! clears them. Behind a reverse proxy every client shares the proxy's address (the limit then applies to all
//! of them together).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::api::ApiError;

/// How many addresses are tracked before stale ones are swept.
const SWEEP_AT: usize = 4096;

/// The policy: at most `max_failures` failed authentications per address within `window`.
#[derive(Debug, Clone, Copy)]
pub struct AuthLimit {
    /// Failures allowed within the window; the next attempt is refused.
    pub max_failures: usize,
    /// The sliding window.
    pub window: Duration,
}

impl Default for AuthLimit {
    fn default() -> Self {
        Self {
            max_failures: 10,
            window: Duration::from_mins(1),
        }
    }
}

/// The failure counters of one process.
#[derive(Debug)]
pub(crate) struct AuthLimiter {
    limit: AuthLimit,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl AuthLimiter {
    pub(crate) fn new(limit: AuthLimit) -> Arc<Self> {
        Arc::new(Self {
            limit,
            failures: Mutex::new(HashMap::new()),
        })
    }

    /// `Some(seconds to wait)` when `ip` is locked out now.
    fn blocked(&self, ip: IpAddr, now: Instant) -> Option<u64> {
        let mut map = self
            .failures
            .lock()
            .expect("the limiter lock is never poisoned");
        let times = map.get_mut(&ip)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.limit.window)
        {
            times.pop_front();
        }
        if times.is_empty() {
            map.remove(&ip);
            return None;
        }
        if times.len() < self.limit.max_failures {
            return None;
        }
        let oldest = *times.front().expect("not empty");
        let left = self.limit.window.saturating_sub(now.duration_since(oldest));
        Some(left.as_secs() + u64::from(left.subsec_nanos() > 0))
    }

    fn fail(&self, ip: IpAddr, now: Instant) {
        let mut map = self
            .failures
            .lock()
            .expect("the limiter lock is never poisoned");
        if map.len() >= SWEEP_AT {
            let window = self.limit.window;
            map.retain(|_, t| t.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let times = map.entry(ip).or_default();
        times.push_back(now);
        // Only the newest `max_failures` matter for the decision.
        while times.len() > self.limit.max_failures.max(1) {
            times.pop_front();
        }
    }
}

fn attempts_auth(req: &Request) -> bool {
    req.headers().contains_key(header::AUTHORIZATION)
        || (req.method() == Method::POST && req.uri().path() == "/login")
}

/// Middleware: refuses locked-out addresses and counts 401 answers to authentication attempts.
pub(crate) async fn limit_failed_auth(
    State(limiter): State<Arc<AuthLimiter>>,
    req: Request,
    next: Next,
) -> Response {
    let ip = crate::audit::peer_ip(&req);
    let (Some(ip), true) = (ip, attempts_auth(&req)) else {
        return next.run(req).await;
    };
    if let Some(wait) = limiter.blocked(ip, Instant::now()) {
        tracing::warn!("refused an authentication attempt from {ip}: too many failures");
        let mut res = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed authentications; retry in {wait} s"),
        )
        .into_response();
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return res;
    }
    let res = next.run(req).await;
    if res.status() == StatusCode::UNAUTHORIZED {
        limiter.fail(ip, Instant::now());
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_out_after_the_limit_and_unlocks_after_the_window() {
        let l = AuthLimiter::new(AuthLimit {
            max_failures: 3,
            window: Duration::from_mins(1),
        });
        let ip: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(l.blocked(ip, t0), None, "attempt {i}");
            l.fail(ip, t0 + Duration::from_secs(i));
        }
        assert_eq!(l.blocked(ip, t0 + Duration::from_secs(10)), Some(50));
        assert_eq!(l.blocked(other, t0 + Duration::from_secs(10)), None);
        // The oldest failure leaves the window: one more attempt is allowed.
        assert_eq!(l.blocked(ip, t0 + Duration::from_mins(1)), None);
        assert_eq!(l.blocked(ip, t0 + Duration::from_secs(200)), None);
        assert!(l.failures.lock().expect("lock").is_empty());
    }
}
