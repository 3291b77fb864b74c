//! `rh._rh`: the native half of the Python package `rh` (crates/rh-py/python/rh is the other half).
//!
//! A thin binding: every function here converts its Python arguments, calls one function of a library
//! crate (rh-config, rh-secrets), and converts the result or the error back. Nothing is decided here that
//! the CLI decides elsewhere: file formats, key grammar, validation and messages stay in those crates.
//! Errors become the exception classes of `rh.exceptions` ([`errors`]); disk I/O runs with the GIL
//! released; `tracing` events of the library crates go to Python's `logging` logger `rh` ([`logging`]).
//!
//! Built by maturin (`crates/rh-py/pyproject.toml`) as one abi3 wheel for CPython >= 3.9; maturin sets
//! `PYO3_BUILD_EXTENSION_MODULE`, so a plain `cargo build` of the workspace links libpython instead.

use pyo3::prelude::*;

mod blob;
mod config;
mod convert;
mod errors;
mod logging;
mod login;
mod named;
mod resource;
mod runtime;
mod secrets;

/// The module `rh._rh`: functions only; the classes users see are defined in Python over them.
#[pymodule]
fn _rh(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logging::install();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    config::register(m)?;
    secrets::register(m)?;
    named::register(m)?;
    login::register(m)?;
    resource::register(m)?;
    blob::register(m)?;
    Ok(())
}
