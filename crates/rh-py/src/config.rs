//! `rh.configs`: `~/.rh/config.yaml` through rh-ops' `config`, the operations the CLI's `rh config` runs.
//!
//! Each call builds one session (paths and settings from the process environment as it is now, as one
//! CLI run), loads the file, changes it and saves it (atomically, 0600), so a value set here is what
//! `rh config get` prints next, and the other way round.
//!
//! A load-change-save holds [`CONFIG_LOCK`], so Python threads of one process never lose each other's
//! updates (between processes, the CLI included, the last save wins, as with two `rh config set`). The
//! lock is only ever taken with the GIL released.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rh_ops::config as ops;

use crate::convert::{to_py, to_yaml};
use crate::errors::{OpsErr, bad_input};
use crate::runtime::{block_on, blocking, session};

/// Serialises every read-modify-write of config.yaml in this process (rh-secrets' saves included).
static CONFIG_LOCK: Mutex<()> = Mutex::new(());

/// Holds [`CONFIG_LOCK`]; a panic in another holder leaves no half-state (saves are atomic), so poison is ignored.
pub(crate) fn lock() -> MutexGuard<'static, ()> {
    CONFIG_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The effective value of `key` (dotted keys reach into maps; `RH_TOKEN`-style env overrides count), else
/// its built-in default, else `None`.
#[pyfunction]
pub(crate) fn config_get(py: Python<'_>, key: &str) -> PyResult<Option<Py<PyAny>>> {
    let value = blocking(py, || match ops::get(&session()?, key) {
        Ok(v) => Ok(Some(v)),
        Err(rh_ops::Error::KeyNotSet { .. }) => Ok(None),
        Err(e) => Err(e),
    })?;
    value.map(|v| to_py(py, &v)).transpose()
}

/// Stores `value` under `key` and saves the file.
#[pyfunction]
pub(crate) fn config_set(py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let value = to_yaml(value)?;
    blocking(py, || {
        let _guard = lock();
        ops::set_value(&session()?, key, value)
    })
}

/// Removes `key` and saves the file; returns whether it was stored (a missing key writes nothing).
#[pyfunction]
pub(crate) fn config_delete(py: Python<'_>, key: &str) -> PyResult<bool> {
    blocking(py, || {
        let _guard = lock();
        ops::unset(&session()?, key)
    })
}

/// The path of `config.yaml` (`rh config path`).
#[pyfunction]
pub(crate) fn config_path() -> PyResult<PathBuf> {
    Ok(session().map_err(OpsErr)?.paths().config_file())
}

/// Uploads the user defaults of config.yaml, or of `defaults` when given (config.yaml then unread), as the
/// logged-in account's config (`rh config upload`); returns how many keys were sent.
#[pyfunction]
#[pyo3(signature = (defaults=None))]
pub(crate) fn config_upload(
    py: Python<'_>,
    defaults: Option<&Bound<'_, PyDict>>,
) -> PyResult<usize> {
    let defaults = match defaults {
        Some(d) => match to_yaml(d.as_any())? {
            serde_yaml::Value::Mapping(m) => Some(m),
            _ => return Err(bad_input("defaults must be a dict")),
        },
        None => None,
    };
    let s = session().map_err(OpsErr)?;
    block_on(py, async {
        match &defaults {
            Some(m) => ops::upload_values(&s, m).await,
            None => ops::upload(&s).await,
        }
    })
}

/// Merges the account's config from rh-server into config.yaml, server values winning
/// (`rh config download`); returns how many keys came from the server.
#[pyfunction]
pub(crate) fn config_download(py: Python<'_>) -> PyResult<usize> {
    let s = session().map_err(OpsErr)?;
    block_on(py, ops::download(&s))
}

/// Adds this module's functions to `rh._rh`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(config_get, m)?)?;
    m.add_function(wrap_pyfunction!(config_set, m)?)?;
    m.add_function(wrap_pyfunction!(config_delete, m)?)?;
    m.add_function(wrap_pyfunction!(config_path, m)?)?;
    m.add_function(wrap_pyfunction!(config_upload, m)?)?;
    m.add_function(wrap_pyfunction!(config_download, m)?)?;
    Ok(())
}
