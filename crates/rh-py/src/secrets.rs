//! `rh.Secrets`: provider credentials on this machine through rh-secrets' `Secrets`.
//!
//! Only local, offline operations so far: the builtin provider names in Runhouse's order, and saving
//! provider secrets into each provider's own files (validated and checked before the first write, as
//! `rh secrets save` does). Secret values cross from Python into `SecretString`s and are never returned.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rh_config::{OsEnv, RhPaths};
use rh_secrets::{CustomProviders, ProviderSecrets, SaveOptions, Secrets, SecretsMap};

use crate::errors::{SecretsErr, bad_input};
use crate::logging;

/// The builtin provider names in Runhouse's order (aws, azure, gcp, huggingface, lambda, sky, ssh, github).
#[pyfunction]
pub(crate) fn builtin_provider_names() -> Vec<&'static str> {
    Secrets::builtin_providers()
        .iter()
        .map(|p| p.name())
        .collect()
}

/// Writes `{provider: {key: value}}` into each builtin provider's files and records them in config.yaml.
///
/// `providers` keeps only those providers of `secrets`; an unknown provider is an error before anything is
/// written. `check_enabled=False` drops the warning about providers that still are not detected as
/// configured. Returns the names of the providers saved, in Runhouse's order.
#[pyfunction]
#[pyo3(signature = (secrets, providers=None, check_enabled=true))]
#[expect(
    clippy::needless_pass_by_value,
    reason = "pyo3 extracts arguments as owned values"
)]
pub(crate) fn save_provider_secrets(
    py: Python<'_>,
    secrets: &Bound<'_, PyDict>,
    providers: Option<Vec<String>>,
    check_enabled: bool,
) -> PyResult<Vec<String>> {
    let mut map = SecretsMap::new();
    for (name, values) in secrets.iter() {
        let name: String = name
            .extract()
            .map_err(|_| bad_input("secrets: provider names must be strings"))?;
        if providers
            .as_ref()
            .is_some_and(|keep| !keep.iter().any(|p| p.eq_ignore_ascii_case(&name)))
        {
            continue;
        }
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
            // The value itself never appears in a message.
            let value: String = value
                .extract()
                .map_err(|_| bad_input(&format!("secrets[{name:?}][{key:?}] must be a string")))?;
            provider.insert(key, value);
        }
        map.insert(name, provider);
    }
    let report = py
        .detach(|| {
            // The save rewrites config.yaml's `secrets:` map.
            let _guard = crate::config::lock();
            let paths = RhPaths::from_env(&OsEnv)?;
            let secrets = Secrets::new(&paths, &OsEnv);
            let options = SaveOptions {
                force: false,
                custom: CustomProviders::Reject,
            };
            logging::without_undetected_warning(!check_enabled, || {
                secrets.save_provider_secrets(&map, options)
            })
        })
        .map_err(SecretsErr)?;
    Ok(report.saved.into_iter().map(|(name, _)| name).collect())
}

/// Adds this module's functions to `rh._rh`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(builtin_provider_names, m)?)?;
    m.add_function(wrap_pyfunction!(save_provider_secrets, m)?)?;
    Ok(())
}
