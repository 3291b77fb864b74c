//! `rh.login` and `rh.logout`: rh-ops' login flows, in the two steps the CLI runs them in.
//!
//! [`login_check`] checks the token against rh-server before anything is asked or written and returns a
//! [`LoginCheck`]; the Python layer asks its questions (only on a terminal), then [`login_finish`] stores
//! the token and moves config and secrets as chosen (`rh login`). Logout is the same split: the providers
//! recorded in config.yaml, then [`logout_finish`] with the answers (`rh logout`).

use std::sync::{Mutex, PoisonError};

use pyo3::prelude::*;
use rh_config::Overrides;
use rh_ops::login::{self as ops, LoginChoices};
use rh_ops::secrets as secrets_ops;
use secrecy::SecretString;

use crate::errors::{OpsErr, bad_input};
use crate::runtime::{block_on, blocking};

/// A token rh-server accepted (`rh.login`'s first step); used once by [`login_finish`].
#[pyclass(module = "rh._rh", frozen)]
pub(crate) struct LoginCheck {
    username: String,
    url: String,
    config_exists: bool,
    state: Mutex<Option<(rh_ops::Session, ops::Checked)>>,
}

#[pymethods]
impl LoginCheck {
    /// The account's name, escaped for a terminal.
    #[getter]
    fn username(&self) -> &str {
        &self.username
    }

    /// The rh-server URL being logged into.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// Whether config.yaml exists (there is something to upload).
    #[getter]
    fn config_exists(&self) -> bool {
        self.config_exists
    }

    fn __repr__(&self) -> String {
        format!("<rh login check for {} at {}>", self.username, self.url)
    }
}

/// Checks `token` against rh-server (at `api_server_url`, else the configured one), changing nothing.
#[pyfunction]
#[pyo3(signature = (token, api_server_url=None))]
pub(crate) fn login_check(
    py: Python<'_>,
    token: &str,
    api_server_url: Option<String>,
) -> PyResult<LoginCheck> {
    let token = token.trim();
    if token.is_empty() {
        return Err(bad_input("the token is empty"));
    }
    let session = rh_ops::Session::from_os(Overrides {
        api_server_url,
        ..Overrides::default()
    })
    .map_err(OpsErr)?;
    let secret = SecretString::from(token.to_owned());
    let checked = block_on(py, ops::check_token(&session, secret))?;
    Ok(LoginCheck {
        username: checked.shown_username(),
        url: checked.url().to_owned(),
        config_exists: checked.config_exists(),
        state: Mutex::new(Some((session, checked))),
    })
}

/// Stores the token, username and default folder in config.yaml and moves config and secrets as chosen
/// (`rh login`): secrets are downloaded as `rh secrets pull` and uploaded as `rh secrets push --yes`,
/// through the server being logged into. Returns the account name.
#[pyfunction]
#[pyo3(signature = (check, download_config, upload_config, download_secrets, upload_secrets, explicit_secrets))]
#[expect(
    clippy::fn_params_excessive_bools,
    reason = "the four choices of rh.login"
)]
pub(crate) fn login_finish(
    py: Python<'_>,
    check: &LoginCheck,
    download_config: bool,
    upload_config: bool,
    download_secrets: bool,
    upload_secrets: bool,
    explicit_secrets: bool,
) -> PyResult<String> {
    let Some((session, checked)) = check
        .state
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return Err(bad_input(
            "this login check was already used; call rh.login again",
        ));
    };
    let choices = LoginChoices {
        download_config,
        upload_config,
        download_secrets,
        upload_secrets,
        explicit_secrets,
    };
    block_on(py, async {
        let done = ops::finish(&session, checked, choices).await?;
        if done.secrets_ok && choices.download_secrets {
            secrets_ops::plan_pull(&done.session, &[], secrets_ops::WriteOptions::default())
                .await?
                .apply(&done.session)?;
        }
        if done.secrets_ok && choices.upload_secrets {
            match secrets_ops::plan_push(&done.session, &[]).await {
                Ok(plan) if plan.changing() > 0 => {
                    plan.apply().await?;
                }
                Ok(plan) => plan.finish_unapplied(),
                // Nothing configured locally: nothing to upload, not a failed login.
                Err(rh_ops::Error::NothingToPush) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })?;
    Ok(check.username.clone())
}

/// The providers recorded under config.yaml's `secrets:` whose files logout may delete (not `ssh`).
#[pyfunction]
pub(crate) fn logout_providers(py: Python<'_>) -> PyResult<Vec<String>> {
    blocking(py, || {
        let session = crate::runtime::session()?;
        Ok(ops::recorded_providers(&session)?
            .into_iter()
            .filter(|p| !ops::keeps_files(p))
            .collect())
    })
}

/// Whether config.yaml exists.
#[pyfunction]
pub(crate) fn config_file_exists(py: Python<'_>) -> PyResult<bool> {
    blocking(py, || Ok(crate::runtime::session()?.config()?.exists()))
}

/// Logs out (`rh logout`): deletes the credentials files of `delete` (never SSH keys), then deletes
/// config.yaml (`delete_config`) or removes the token, username, default folder and the `secrets:` entries
/// of `forget` from it.
#[pyfunction]
#[expect(
    clippy::needless_pass_by_value,
    reason = "pyo3 extracts arguments as owned values"
)]
pub(crate) fn logout_finish(
    py: Python<'_>,
    delete: Vec<String>,
    forget: Vec<String>,
    delete_config: bool,
) -> PyResult<()> {
    blocking(py, || {
        let _guard = crate::config::lock();
        let session = crate::runtime::session()?;
        ops::delete_secrets_files(&session, &delete)?;
        if delete_config {
            ops::delete_config(&session)?;
        } else {
            ops::forget_login(&session, &forget)?;
        }
        Ok(())
    })
}

/// Adds this module's functions to `rh._rh`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<LoginCheck>()?;
    m.add_function(wrap_pyfunction!(login_check, m)?)?;
    m.add_function(wrap_pyfunction!(login_finish, m)?)?;
    m.add_function(wrap_pyfunction!(logout_providers, m)?)?;
    m.add_function(wrap_pyfunction!(config_file_exists, m)?)?;
    m.add_function(wrap_pyfunction!(logout_finish, m)?)?;
    Ok(())
}
