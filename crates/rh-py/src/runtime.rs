//! The one tokio runtime of the process, and running rh-ops' futures on it from Python.
//!
//! The runtime is created on first use and re-created in a child after `fork()` (a forked child has none
//! of the parent's worker threads; the parent's runtime is leaked there, never dropped, since dropping it
//! would wait for threads that do not exist). [`block_on`] releases the GIL while the future runs, so
//! other Python threads go on, and every 100 ms takes it back briefly to check for signals: Ctrl-C drops
//! the future (rh-ops' writes are to temporary files renamed at the end, so nothing partial is left) and
//! raises `KeyboardInterrupt`.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::{Builder, Runtime};

use crate::errors::OpsErr;

/// The runtime and the pid of the process that created it.
static RUNTIME: Mutex<Option<(u32, Arc<Runtime>)>> = Mutex::new(None);

/// How often a running operation checks for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The process's runtime, created on first use and afresh in a forked child.
fn runtime() -> PyResult<Arc<Runtime>> {
    let pid = std::process::id();
    let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((owner, rt)) = slot.as_ref()
        && *owner == pid
    {
        return Ok(Arc::clone(rt));
    }
    if let Some((_, inherited)) = slot.take() {
        // The parent's runtime: its threads are gone in this child; dropping it would wait for them.
        std::mem::forget(inherited);
    }
    let rt = Arc::new(
        Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rh-runtime")
            .enable_all()
            .build()
            .map_err(|e| {
                crate::errors::raise(
                    crate::errors::Kind::Other,
                    &format!("cannot start rh's async runtime: {e}"),
                )
            })?,
    );
    *slot = Some((pid, Arc::clone(&rt)));
    Ok(rt)
}

/// Why a [`block_on`] stopped without a value.
enum Stop {
    Failed(rh_ops::Error),
    Signal(PyErr),
}

/// Runs `fut` to completion on the runtime with the GIL released; a pending signal (Ctrl-C) cancels it.
pub(crate) fn block_on<T, F>(py: Python<'_>, fut: F) -> PyResult<T>
where
    T: Send,
    F: Future<Output = rh_ops::Result<T>> + Send,
{
    let rt = runtime()?;
    let outcome = py.detach(|| {
        rt.block_on(async {
            let mut fut = std::pin::pin!(fut);
            let mut tick = tokio::time::interval(SIGNAL_CHECK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    done = &mut fut => return done.map_err(Stop::Failed),
                    _ = tick.tick() => {
                        #[expect(clippy::redundant_closure_for_method_calls, reason = "the method is generic over the GIL lifetime")]
                        if let Err(e) = Python::attach(|py| py.check_signals()) {
                            return Err(Stop::Signal(e));
                        }
                    }
                }
            }
        })
    });
    match outcome {
        Ok(value) => Ok(value),
        Err(Stop::Failed(e)) => Err(OpsErr(e).into()),
        Err(Stop::Signal(e)) => Err(e),
    }
}

/// Runs a blocking (disk) operation with the GIL released.
pub(crate) fn blocking<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> rh_ops::Result<T> + Send,
{
    py.detach(f).map_err(|e| OpsErr(e).into())
}

/// A session over the process environment as it is now (settings resolved once per call, as one CLI run).
pub(crate) fn session() -> rh_ops::Result<rh_ops::Session> {
    rh_ops::Session::from_os(rh_config::Overrides::default())
}
