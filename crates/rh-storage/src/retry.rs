//! Retries with exponential backoff for the calls a backend SDK does not retry itself.

use std::future::Future;
use std::time::Duration;

use crate::Result;

/// How often and how patiently to retry a transient failure.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: u32,
    /// The wait after the first failure; [`RetryPolicy::run`] doubles it after each retry and jitters each
    /// wait to between half and all of it.
    pub initial_backoff: Duration,
    /// The cap on the doubling wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Runs `op` until it succeeds, fails with a non-retryable error, or runs out of attempts.
    pub async fn run<T, F, Fut>(&self, what: &str, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut backoff = self.initial_backoff;
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if e.is_retryable() && attempt < self.max_attempts => {
                    tracing::debug!(
                        error = &e as &dyn std::error::Error,
                        "{what} failed (attempt {attempt}), retrying in {backoff:?}"
                    );
                    tokio::time::sleep(jitter(backoff)).await;
                    backoff = (backoff * 2).min(self.max_backoff);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// Full jitter between half and all of `d`, from the clock's low bits (no rand dependency).
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let frac = f64::from(nanos % 1000) / 1000.0;
    d.mul_f64(0.5 + frac / 2.0)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::RetryPolicy;
    use crate::Error;

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        }
    }

    #[tokio::test]
    async fn retries_transient_then_succeeds() {
        let n = AtomicU32::new(0);
        let out = fast()
            .run("op", || async {
                if n.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(Error::backend("t", "x", true, "flaky"))
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(out.expect("third try works"), 7);
        assert_eq!(n.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_on_permanent_errors_at_once() {
        let n = AtomicU32::new(0);
        let out: crate::Result<()> = fast()
            .run("op", || async {
                n.fetch_add(1, Ordering::SeqCst);
                Err(Error::not_found("x"))
            })
            .await;
        assert!(out.is_err_and(|e| e.is_not_found()));
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }
}
