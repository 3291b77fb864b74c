//! `rh.configs`: `~/.rh/config.yaml` through rh-config, the same `Config` the CLI's `rh config` uses.
//!
//! Each call loads the file, changes it and saves it (atomically, 0600), so a value set here is what
//! `rh config get` prints next, and the other way round. The paths come from the process environment
//! (`HOME`, `RH_CONFIG_DIR`) on every call, as the CLI resolves them on every run.
//!
//! A load-change-save holds [`CONFIG_LOCK`], so Python threads of one process never lose each other's
//! updates (between processes, the CLI included, the last save wins, as with two `rh config set`).

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use pyo3::prelude::*;
use rh_config::{Config, OsEnv, RhPaths};

use crate::convert::{to_py, to_yaml};
use crate::errors::ConfigErr;

/// Serialises every read-modify-write of config.yaml in this process (rh-secrets' saves included).
static CONFIG_LOCK: Mutex<()> = Mutex::new(());

/// Holds [`CONFIG_LOCK`]; a panic in another holder leaves no half-state (saves are atomic), so poison is ignored.
pub(crate) fn lock() -> MutexGuard<'static, ()> {
    CONFIG_LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

fn load() -> Result<Config, rh_config::Error> {
    Config::load(&RhPaths::from_env(&OsEnv)?)
}

/// The stored value of `key` (dotted keys reach into maps), else its built-in default, else `None`.
#[pyfunction]
pub(crate) fn config_get(py: Python<'_>, key: &str) -> PyResult<Option<Py<PyAny>>> {
    let value = py
        .detach(|| load().map(|c| c.get(key)))
        .map_err(ConfigErr)?;
    value.map(|v| to_py(py, &v)).transpose()
}

/// Stores `value` under `key` and saves the file.
#[pyfunction]
pub(crate) fn config_set(py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    let value = to_yaml(value)?;
    py.detach(|| {
        let _guard = lock();
        let mut config = load()?;
        config.set(key, value)?;
        config.save()
    })
    .map_err(ConfigErr)?;
    Ok(())
}

/// Removes `key` and saves the file; returns whether it was stored (a missing key writes nothing).
#[pyfunction]
pub(crate) fn config_delete(py: Python<'_>, key: &str) -> PyResult<bool> {
    let removed = py
        .detach(|| {
            let _guard = lock();
            let mut config = load()?;
            let removed = config.unset(key)?;
            if removed {
                config.save()?;
            }
            Ok::<_, rh_config::Error>(removed)
        })
        .map_err(ConfigErr)?;
    Ok(removed)
}

/// The path of `config.yaml` (`rh config path`).
#[pyfunction]
pub(crate) fn config_path() -> PyResult<PathBuf> {
    Ok(RhPaths::from_env(&OsEnv).map_err(ConfigErr)?.config_file())
}

/// Adds this module's functions to `rh._rh`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(config_get, m)?)?;
    m.add_function(wrap_pyfunction!(config_set, m)?)?;
    m.add_function(wrap_pyfunction!(config_delete, m)?)?;
    m.add_function(wrap_pyfunction!(config_path, m)?)?;
    Ok(())
}
