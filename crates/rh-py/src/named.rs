//! `rh.secret(…)`, `rh.provider_secret(…)` and `rh.Secret`: named secrets through rh-ops' `named`.
//!
//! Each function builds one session and calls the operation `rh secrets create|show|rm|write` calls; the
//! factories' rules and error texts (Runhouse 0.0.14, spec §1.11) are rh-ops' `named::make`. Values come
//! back only where the API returns them (a secret's `values`), never in an exception or a log line.

use std::collections::BTreeMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rh_ops::named::{self as ops, Target};
use rh_secrets::ProviderSecrets;
use secrecy::ExposeSecret as _;

use crate::errors::{OpsErr, bad_input};
use crate::runtime::{block_on, session};

fn values_from(values: &Bound<'_, PyAny>) -> PyResult<ProviderSecrets> {
    let d = values
        .cast::<PyDict>()
        .map_err(|_| bad_input("values must be a dict of key names to strings"))?;
    let mut out = ProviderSecrets::new();
    for (k, v) in d.iter() {
        let k: String = k
            .extract()
            .map_err(|_| bad_input("values: key names must be strings"))?;
        let v: String = v
            .extract()
            .map_err(|_| bad_input(&format!("values[{k:?}] must be a string")))?;
        out.insert(k, v);
    }
    Ok(out)
}

fn values_to<'py>(py: Python<'py>, values: &ProviderSecrets) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in values.iter() {
        d.set_item(k, PyString::new(py, v.expose_secret()))?;
    }
    Ok(d)
}

type MadeTuple<'py> = (Option<String>, Option<String>, Bound<'py, PyDict>);

/// `secret(name, values, provider)` (`provider_call=False`) and `provider_secret(provider, name, values,
/// path, env_vars)` (`provider_call=True`): `(name, provider, values)`.
#[pyfunction]
#[pyo3(signature = (name=None, values=None, provider=None, path=None, env_vars=None, provider_call=false))]
#[expect(
    clippy::needless_pass_by_value,
    reason = "pyo3 extracts arguments as owned values"
)]
pub(crate) fn make_secret<'py>(
    py: Python<'py>,
    name: Option<&str>,
    values: Option<&Bound<'py, PyAny>>,
    provider: Option<&str>,
    path: Option<&str>,
    env_vars: Option<BTreeMap<String, String>>,
    provider_call: bool,
) -> PyResult<MadeTuple<'py>> {
    let env_vars = env_vars.as_ref();
    let values = values.map(values_from).transpose()?;
    let s = session().map_err(OpsErr)?;
    let made = block_on(
        py,
        ops::make(&s, name, provider, values, path, env_vars, provider_call),
    )?;
    Ok((made.name, made.provider, values_to(py, &made.values)?))
}

/// Saves a secret as `name` (replacing one of that name); returns its address (`~/x`, `/alice/x`).
#[pyfunction]
#[pyo3(signature = (name, values, provider=None))]
pub(crate) fn save_secret(
    py: Python<'_>,
    name: &str,
    values: &Bound<'_, PyAny>,
    provider: Option<&str>,
) -> PyResult<String> {
    let values = values_from(values)?;
    let s = session().map_err(OpsErr)?;
    let created = block_on(py, ops::save(&s, name, provider, values))?;
    Ok(created.address)
}

/// Deletes the secret `name`; `rh.RhKeyError` when there is none.
#[pyfunction]
pub(crate) fn delete_secret(py: Python<'_>, name: &str) -> PyResult<String> {
    let s = session().map_err(OpsErr)?;
    block_on(py, ops::remove(&s, name))
}

/// Writes the secret `name` into its provider's files, a JSON file (`path`) or its env file (`env`);
/// returns the files written.
#[pyfunction]
#[pyo3(signature = (name, path=None, env=false))]
pub(crate) fn write_secret(
    py: Python<'_>,
    name: &str,
    path: Option<&str>,
    env: bool,
) -> PyResult<Vec<String>> {
    let target = match (path, env) {
        (Some(_), true) => return Err(bad_input("Cannot set both file and env to True.")),
        (Some(p), false) => Target::Path(p),
        (None, true) => Target::EnvFile,
        (None, false) => Target::ProviderFiles,
    };
    let s = session().map_err(OpsErr)?;
    let written = block_on(py, ops::write(&s, name, target))?;
    Ok(written
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect())
}

/// Adds this module's functions to `rh._rh`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(make_secret, m)?)?;
    m.add_function(wrap_pyfunction!(save_secret, m)?)?;
    m.add_function(wrap_pyfunction!(delete_secret, m)?)?;
    m.add_function(wrap_pyfunction!(write_secret, m)?)?;
    Ok(())
}
