//! Clean-ups that a dropped upload starts (aborting an S3 multipart upload, cancelling a GCS resumable session),
//! kept so a caller that cancels a transfer, e.g. on SIGINT or SIGTERM, can wait for them before the process
//! exits.

use std::sync::Mutex;
use std::time::Duration;

use tokio::task::JoinHandle;

static PENDING: Mutex<Vec<JoinHandle<()>>> = Mutex::new(Vec::new());

/// Runs `fut` on the current runtime (if any) and remembers it for [`finish_cleanups`].
#[cfg(any(feature = "s3", feature = "gs"))]
pub(crate) fn spawn(fut: impl std::future::Future<Output = ()> + Send + 'static) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        let handle = rt.spawn(fut);
        let mut pending = PENDING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.retain(|h| !h.is_finished());
        pending.push(handle);
    }
}

/// Waits up to `timeout` for the clean-ups of dropped uploads; returns how many did not finish in time.
pub async fn finish_cleanups(timeout: Duration) -> usize {
    let handles: Vec<_> = std::mem::take(
        &mut *PENDING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let total = handles.len();
    let finished = tokio::time::timeout(timeout, async {
        let mut n = 0;
        for h in handles {
            let _ = h.await;
            n += 1;
        }
        n
    })
    .await;
    total - finished.unwrap_or(0)
}
