//! `rh.Secrets`: provider secrets on this machine and in the secret store, through rh-ops' `secrets`.
//!
//! Each function builds one [`Session`](rh_ops::Session) (settings resolved once, as one `rh secrets …`
//! run) and calls the operation the CLI calls: the store is the session's (rh-server's Vault proxy when
//! logged in, else Vault directly). Secret values cross from Python into `SecretString`s; they come back
//! only where the API returns them (`get`, `load_provider_secrets`, `download_into_env`), never in an
//! exception or a log line. Every rewrite of config.yaml holds [`crate::config::lock`], taken with the
//! GIL released.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rh_ops::secrets::{self as ops, PutSource};
use rh_secrets::{ProviderSecrets, SecretsMap};
use secrecy::ExposeSecret as _;

use crate::errors::{OpsErr, bad_input};
use crate::logging;
use crate::runtime::{block_on, blocking, session};

/// The builtin provider names in the registry's order (Runhouse's eight first: aws, azure, gcp, huggingface,
/// lambda, sky, ssh, github).
#[pyfunction]
pub(crate) fn builtin_provider_names() -> Vec<&'static str> {
    ops::builtin_providers().iter().map(|p| p.name()).collect()
}

/// `{key: value}` from Python; errors name the provider and key, never the value.
fn provider_values(name: &str, values: &Bound<'_, PyAny>) -> PyResult<ProviderSecrets> {
    let values = values.cast::<PyDict>().map_err(|_| {
        bad_input(&format!(
            "secrets[{name:?}] must be a dict of key names to strings"
        ))
    })?;
    let mut provider = ProviderSecrets::new();
    for (key, value) in values.iter() {
        let key: String = key
            .extract()
            .map_err(|_| bad_input(&format!("secrets[{name:?}]: key names must be strings")))?;
        let value: String = value
            .extract()
            .map_err(|_| bad_input(&format!("secrets[{name:?}][{key:?}] must be a string")))?;
        provider.insert(key, value);
    }
    Ok(provider)
}

/// `{provider: {key: value}}` from Python, keeping only `providers` when given.
fn secrets_map(secrets: &Bound<'_, PyDict>, providers: Option<&[String]>) -> PyResult<SecretsMap> {
    let mut map = SecretsMap::new();
    for (name, values) in secrets.iter() {
        let name: String = name
            .extract()
            .map_err(|_| bad_input("secrets: provider names must be strings"))?;
        if providers.is_some_and(|keep| !keep.iter().any(|p| p.eq_ignore_ascii_case(&name))) {
            continue;
        }
        map.insert(name.clone(), provider_values(&name, &values)?);
    }
    Ok(map)
}

fn values_to_py<'py>(py: Python<'py>, values: &ProviderSecrets) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in values.iter() {
        d.set_item(k, PyString::new(py, v.expose_secret()))?;
    }
    Ok(d)
}

fn map_to_py<'py>(py: Python<'py>, map: &SecretsMap) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (provider, values) in map {
        d.set_item(provider, values_to_py(py, values)?)?;
    }
    Ok(d)
}

fn names(providers: Option<Vec<String>>) -> Vec<String> {
    providers.unwrap_or_default()
}

/// Writes `{provider: {key: value}}` into each builtin provider's files and records them in config.yaml
/// (`rh secrets save`); `None` downloads them from the secret store first (`rh secrets pull`).
///
/// `providers` keeps only those providers; an unknown provider is an error before anything is written.
/// `check_enabled=False` drops the warning about providers still not detected as configured. Returns the
/// names of the providers saved, in Runhouse's order (a download: those whose files changed).
#[pyfunction]
#[pyo3(signature = (secrets, providers=None, check_enabled=true))]
pub(crate) fn save_provider_secrets(
    py: Python<'_>,
    secrets: Option<&Bound<'_, PyDict>>,
    providers: Option<Vec<String>>,
    check_enabled: bool,
) -> PyResult<Vec<String>> {
    let s = session().map_err(OpsErr)?;
    let Some(secrets) = secrets else {
        let plan = block_on(
            py,
            ops::plan_pull(&s, &names(providers), ops::WriteOptions::default()),
        )?;
        let changing: Vec<String> = plan
            .items
            .iter()
            .filter(|i| matches!(i.action, rh_secrets::sync::PullAction::Write { .. }))
            .map(|i| i.provider.clone())
            .collect();
        blocking(py, || {
            let _guard = crate::config::lock();
            logging::without_undetected_warning(!check_enabled, || plan.apply(&s))
        })?;
        return Ok(changing);
    };
    let map = secrets_map(secrets, providers.as_deref())?;
    let report = blocking(py, || {
        let _guard = crate::config::lock();
        logging::without_undetected_warning(!check_enabled, || {
            ops::save(&s, &map, ops::WriteOptions::default(), "python")
        })
    })?;
    Ok(report.saved.into_iter().map(|(name, _)| name).collect())
}

/// Stores a provider's secrets in the secret store (`rh secrets put`): `secret` given, else the env vars
/// (`from_env`), else `file_path` in the provider's format, else its configured local files. Returns the
/// store's new version.
#[pyfunction]
#[pyo3(signature = (provider, from_env=false, file_path=None, secret=None))]
pub(crate) fn secrets_put(
    py: Python<'_>,
    provider: &str,
    from_env: bool,
    file_path: Option<&str>,
    secret: Option<&Bound<'_, PyAny>>,
) -> PyResult<u64> {
    let source = match (secret, from_env, file_path) {
        (Some(values), _, _) => PutSource::Values(provider_values(provider, values)?),
        (None, true, _) => PutSource::Env,
        (None, false, Some(path)) => PutSource::File(path),
        (None, false, None) => PutSource::Local,
    };
    let s = session().map_err(OpsErr)?;
    block_on(py, ops::put(&s, provider, source))
}

/// A provider's secrets from the secret store (`rh secrets get`); with `save`, a builtin provider's are
/// also written into its local files (`rh secrets get --save`).
#[pyfunction]
#[pyo3(signature = (provider, save=false))]
pub(crate) fn secrets_get<'py>(
    py: Python<'py>,
    provider: &str,
    save: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let s = session().map_err(OpsErr)?;
    let got = block_on(py, ops::get(&s, provider, false))?;
    if save {
        blocking(py, || {
            let _guard = crate::config::lock();
            ops::save_got(&s, &got)
        })?;
    }
    values_to_py(py, &got.values)
}

/// Downloads `providers` (default: every provider in the store) from the secret store. With
/// `save_locally`, writes the builtin ones into their files (`rh secrets pull`). Returns
/// `(secrets, env)`: every provider's values, and the env variables of those that have them.
#[pyfunction]
#[pyo3(signature = (providers=None, save_locally=true, check_enabled=true))]
pub(crate) fn secrets_download(
    py: Python<'_>,
    providers: Option<Vec<String>>,
    save_locally: bool,
    check_enabled: bool,
) -> PyResult<(Bound<'_, PyDict>, Bound<'_, PyDict>)> {
    let s = session().map_err(OpsErr)?;
    let plan = block_on(
        py,
        ops::plan_pull(&s, &names(providers), ops::WriteOptions::default()),
    )?;
    let all = PyDict::new(py);
    let env = PyDict::new(py);
    for item in &plan.items {
        all.set_item(&item.provider, values_to_py(py, &item.secrets)?)?;
        for (var, value) in ops::env_exports(&item.provider, &item.secrets) {
            env.set_item(var, PyString::new(py, value.expose_secret()))?;
        }
    }
    if save_locally {
        blocking(py, || {
            let _guard = crate::config::lock();
            logging::without_undetected_warning(!check_enabled, || plan.apply(&s))
        })?;
    }
    Ok((all, env))
}

/// Uploads the local secrets of `providers` (default: every configured provider) to the secret store
/// (`rh secrets push --yes`); returns the providers uploaded (unchanged ones are not).
#[pyfunction]
#[pyo3(signature = (providers=None))]
pub(crate) fn secrets_upload(
    py: Python<'_>,
    providers: Option<Vec<String>>,
) -> PyResult<Vec<String>> {
    let s = session().map_err(OpsErr)?;
    block_on(py, async {
        let plan = ops::plan_push(&s, &names(providers)).await?;
        if plan.changing() == 0 {
            plan.finish_unapplied();
            return Ok(Vec::new());
        }
        plan.apply().await
    })
}

/// Deletes `providers` (default: every configured provider) from the secret store only
/// (`rh secrets delete --remote --yes`); local files stay.
#[pyfunction]
#[pyo3(signature = (providers=None))]
pub(crate) fn secrets_delete_remote(
    py: Python<'_>,
    providers: Option<Vec<String>>,
) -> PyResult<Vec<String>> {
    let s = session().map_err(OpsErr)?;
    let names = providers.unwrap_or_else(|| {
        s.secrets()
            .configured_providers()
            .into_iter()
            .map(str::to_owned)
            .collect()
    });
    let plan = ops::plan_delete(&s, &names, false, true).map_err(OpsErr)?;
    block_on(py, plan.apply(&s))?;
    Ok(names)
}

/// The builtin providers detected as configured on this machine, offline (`rh secrets status`).
#[pyfunction]
pub(crate) fn enabled_provider_names(py: Python<'_>) -> PyResult<Vec<&'static str>> {
    blocking(py, || {
        let s = session()?;
        Ok(ops::status(&s)
            .into_iter()
            .filter(|st| st.detection.configured)
            .map(|st| st.provider)
            .collect())
    })
}

/// `{provider: {key: value}}` read on this machine for `providers` (default: the configured ones), from
/// their files or, with `from_env`, their env variables; providers without secrets are left out.
#[pyfunction]
#[pyo3(signature = (from_env=false, providers=None))]
#[expect(
    clippy::needless_pass_by_value,
    reason = "pyo3 extracts arguments as owned values"
)]
pub(crate) fn load_provider_secrets(
    py: Python<'_>,
    from_env: bool,
    providers: Option<Vec<String>>,
) -> PyResult<Bound<'_, PyDict>> {
    let map = blocking(py, || {
        let s = session()?;
        Ok(s.secrets().load(providers.as_deref(), from_env)?)
    })?;
    map_to_py(py, &map)
}

/// Adds this module's functions to `rh._rh`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(builtin_provider_names, m)?)?;
    m.add_function(wrap_pyfunction!(save_provider_secrets, m)?)?;
    m.add_function(wrap_pyfunction!(secrets_put, m)?)?;
    m.add_function(wrap_pyfunction!(secrets_get, m)?)?;
    m.add_function(wrap_pyfunction!(secrets_download, m)?)?;
    m.add_function(wrap_pyfunction!(secrets_upload, m)?)?;
    m.add_function(wrap_pyfunction!(secrets_delete_remote, m)?)?;
    m.add_function(wrap_pyfunction!(enabled_provider_names, m)?)?;
    m.add_function(wrap_pyfunction!(load_provider_secrets, m)?)?;
    Ok(())
}
