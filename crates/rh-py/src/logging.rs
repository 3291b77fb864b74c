//! `tracing` events of the library crates, sent to Python's `logging` logger `rh`.
//!
//! The crates log with `tracing` (`Saved aws secrets to …`); in a Python process a global subscriber
//! installed at import forwards each event of level INFO and above, with its message only, to
//! `logging.getLogger("rh")`, so users silence or redirect it the usual way. The format
//! (`INFO | 2023-06-21 22:15:57,611 | …`) is the Python package's handler's (`rh/_logging.py`).

use std::cell::Cell;

use pyo3::prelude::*;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

thread_local! {
    /// Set while a save runs with `check_enabled=False`: drop the "not detected as configured" warning.
    static QUIET_UNDETECTED: Cell<bool> = const { Cell::new(false) };
}

/// Installs the forwarding subscriber once per process (a second import, or a host that already set
/// one, keeps the existing one).
pub(crate) fn install() {
    let subscriber = tracing_subscriber::registry().with(PyLogging);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// Runs `f` with the undetected-provider warning of rh-secrets suppressed when `quiet` is true.
pub(crate) fn without_undetected_warning<T>(quiet: bool, f: impl FnOnce() -> T) -> T {
    let before = QUIET_UNDETECTED.with(|q| q.replace(quiet));
    let out = f();
    QUIET_UNDETECTED.with(|q| q.set(before));
    out
}

struct PyLogging;

#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.0);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// Python's `logging` level numbers.
fn py_level(level: Level) -> Option<i32> {
    match level {
        Level::ERROR => Some(40),
        Level::WARN => Some(30),
        Level::INFO => Some(20),
        // DEBUG and TRACE stay in Rust: they are for rh's developers, not the package's users.
        _ => None,
    }
}

impl<S: Subscriber> Layer<S> for PyLogging {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let Some(level) = py_level(*meta.level()) else {
            return;
        };
        if !meta.target().starts_with("rh_") {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        if QUIET_UNDETECTED.with(Cell::get)
            && meta.target() == "rh_secrets::secrets"
            && message.0.contains("did not auto-detect as configured")
        {
            return;
        }
        Python::attach(|py| {
            let logged = py
                .import("logging")
                .and_then(|l| l.call_method1("getLogger", ("rh",)))
                .and_then(|logger| logger.call_method1("log", (level, message.0.as_str())));
            if let Err(e) = logged {
                // A broken handler must not turn a successful save into an error.
                e.write_unraisable(py, None);
            }
        });
    }
}
