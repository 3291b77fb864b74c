//! `config.yaml`: read and change keys, and upload it to or download it from rh-server.

use rh_config::{Config, EnvVars, parse_value};
use serde_yaml::{Mapping, Value as Yaml};

use crate::text::clean;
use crate::{Error, Result, Session};

/// The effective value of `key`: the flag or env variable that overrides a stored key (so `get` says
/// what rh will actually use), else the stored value, else the default. Not set → [`Error::KeyNotSet`].
pub fn get(session: &Session, key: &str) -> Result<Yaml> {
    let config = session.config()?;
    env_override(session, key)
        .or_else(|| config.get(key))
        .ok_or_else(|| Error::KeyNotSet {
            key: key.to_owned(),
            path: config.path().to_path_buf(),
        })
}

/// Flags and env variables that override a stored key.
fn env_override(session: &Session, key: &str) -> Option<Yaml> {
    let overrides = session.overrides();
    // The token leaves its secret type here only because `get` returns the value (front ends mask it).
    let (flag, var) = match key {
        "token" => (
            overrides
                .token
                .as_ref()
                .map(|t| secrecy::ExposeSecret::expose_secret(t).to_owned()),
            EnvVars::RH_TOKEN,
        ),
        "username" => (overrides.username.clone(), EnvVars::RH_USERNAME),
        "api_server_url" => (overrides.api_server_url.clone(), EnvVars::RH_API_SERVER_URL),
        _ => return None,
    };
    flag.or_else(|| session.env().non_empty(var))
        .map(Yaml::String)
}

/// Stores `value` under `key`, typed as YAML (`true`, `30`, `[a, b]`), and saves config.yaml.
pub fn set(session: &Session, key: &str, value: &str) -> Result<()> {
    let mut config = session.config()?;
    config.set_str(key, value)?;
    config.save()?;
    tracing::debug!("saved {key} to {}", config.path().display());
    Ok(())
}

/// Stores an already typed `value` under `key` (a front end with typed values: Python's `rh.configs.set`)
/// and saves config.yaml.
pub fn set_value(session: &Session, key: &str, value: Yaml) -> Result<()> {
    let mut config = session.config()?;
    config.set(key, value)?;
    config.save()?;
    tracing::debug!("saved {key} to {}", config.path().display());
    Ok(())
}

/// Removes `key` from config.yaml; false (and a warning) when it was not set.
pub fn unset(session: &Session, key: &str) -> Result<bool> {
    let mut config = session.config()?;
    if config.unset(key)? {
        config.save()?;
        Ok(true)
    } else {
        tracing::warn!("{key} was not set in {}", config.path().display());
        Ok(false)
    }
}

/// Every key with its effective value (secrets unmasked: the front end masks what it shows).
pub fn list(session: &Session) -> Result<Vec<(String, Yaml)>> {
    Ok(session.config()?.entries())
}

/// Stores config.yaml's user defaults on rh-server as the account's config; returns how many keys.
pub async fn upload(session: &Session) -> Result<usize> {
    upload_from(session, &session.config()?).await
}

/// Stores `defaults` (a map of config keys, not config.yaml) on rh-server as the account's config, with
/// the same filter as [`upload`] (only user defaults); config.yaml is not read or changed. Returns how
/// many keys were sent.
pub async fn upload_values(session: &Session, defaults: &Mapping) -> Result<usize> {
    let mut config = Config::empty(session.paths().config_file());
    config.set_many(defaults);
    upload_from(session, &config).await
}

async fn upload_from(session: &Session, config: &Config) -> Result<usize> {
    let client = session.require_client()?;
    let view = upload_view(config)?;
    client.put_config(&view).await?;
    tracing::info!(
        "Uploaded {} key(s) from {} to {}",
        view.len(),
        config.path().display(),
        client.base_url()
    );
    Ok(view.len())
}

/// Merges the account's config from rh-server into config.yaml (server values win, typed); returns how
/// many keys came from the server.
pub async fn download(session: &Session) -> Result<usize> {
    let client = session.require_client()?;
    let user = client.user().await?;
    let mut config = session.config()?;
    let n = merge_downloaded(&mut config, &user.username, &user.config)?;
    config.save()?;
    tracing::info!(
        "Downloaded {n} key(s) from {} into {}",
        client.base_url(),
        config.path().display()
    );
    Ok(n)
}

/// A downloaded config value, typed: strings like `True`, `-1` or `30` become bools and numbers, as the
/// original client's literal parser did.
fn typed(value: &serde_json::Value) -> Result<Yaml> {
    Ok(match value {
        serde_json::Value::String(s) => match s.as_str() {
            "True" => Yaml::Bool(true),
            "False" => Yaml::Bool(false),
            "None" => Yaml::Null,
            _ => parse_value(s),
        },
        other => serde_yaml::to_value(other).map_err(Error::ConfigValue)?,
    })
}

/// Merges the account's stored config into `config` (server values win), with `username` and
/// `default_folder`. Only user defaults ([`rh_config::ACCOUNT_KEYS`]) are taken: any other key (an endpoint
/// such as `api_server_url` or `vault_addr`, a credential, an unknown key) is skipped with a warning naming
/// it, so an account's config cannot repoint this machine. Returns how many keys came from the server.
pub fn merge_downloaded(
    config: &mut Config,
    username: &str,
    downloaded: &serde_json::Map<String, serde_json::Value>,
) -> Result<usize> {
    let mut values = Mapping::new();
    let mut skipped = Vec::new();
    for (k, v) in downloaded {
        if !rh_config::is_account_key(k) {
            skipped.push(clean(k).into_owned());
            continue;
        }
        values.insert(Yaml::String(k.clone()), typed(v)?);
    }
    if !skipped.is_empty() {
        tracing::warn!(
            "Skipped {} downloaded config key(s) that only this machine sets: {} (an account's config holds \
             only user defaults: {})",
            skipped.len(),
            skipped.join(", "),
            rh_config::ACCOUNT_KEYS.join(", ")
        );
    }
    let n = values.len();
    config.set_many(&values);
    config.set("username", Yaml::String(username.to_owned()))?;
    let folder = config.get_str("default_folder");
    if folder.as_deref().is_none_or(|f| f.is_empty() || f == "~") {
        config.set("default_folder", Yaml::String(format!("/{username}")))?;
    }
    Ok(n)
}

/// The config `rh config upload` and `rh login --upload-config` send: only the user defaults
/// ([`Config::upload_view`]).
pub fn upload_view(config: &Config) -> Result<serde_json::Map<String, serde_json::Value>> {
    let kept = config.kept_local();
    if !kept.is_empty() {
        tracing::debug!(
            "not uploaded (they stay on this machine): {}",
            clean(&kept.join(", "))
        );
    }
    match serde_json::to_value(config.upload_view()).map_err(|source| Error::ConfigNotJson {
        path: config.path().to_path_buf(),
        source,
    })? {
        serde_json::Value::Object(m) => Ok(m),
        _ => unreachable!("a mapping serialises to an object"),
    }
}
