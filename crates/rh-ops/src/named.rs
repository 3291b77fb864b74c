//! Named secrets (`rh secrets create|show|ls|rm|write`, `rh run --secret`, `rh.secret(…)`): secrets that
//! are resources of their own, held on this machine (`~/name`, [`LocalNamedSecrets`]) or by rh-server
//! (`/alice/name`, through [`remote_named_store`]).
//!
//! [`resolve`] is the one place a name picks its store: `~/x` (or the shell's `$HOME/x`) is local, `/…`
//! is rh-server, and a bare name goes where bare resource names go (`default_folder`: `/<user>` when
//! logged in, else `~`). Every file written or deleted here is recorded in `~/.rh/audit.log` with the
//! command and where the values came from (never the values).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rh_secrets::audit::{Entry, Origin};
use rh_secrets::named::{self, NamedSecret, NamedSecretInfo, NamedSecretStore};
use rh_secrets::named_local::{self, LocalNamedSecrets};
use rh_secrets::{ProviderSecrets, SaveOptions, SecretsMap, builtin_provider, parse_provider_json};
use secrecy::{ExposeSecret as _, SecretString};

use crate::secrets::check_name;
use crate::{Error, Result, Session};

/// Where a named secret lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// On this machine: the name without `~/`.
    Local(String),
    /// On rh-server: `/alice/openai`.
    Remote(String),
}

impl Address {
    /// `~/openai` or `/alice/openai`, as messages and listings print it.
    pub fn display(&self) -> String {
        match self {
            Self::Local(n) => format!("~/{n}"),
            Self::Remote(n) => n.clone(),
        }
    }

    /// The name as its store knows it.
    pub fn store_name(&self) -> &str {
        match self {
            Self::Local(n) | Self::Remote(n) => n,
        }
    }
}

/// The address of `input`: `~/x` local; `/owner/x` remote; a bare name in `default_folder`.
pub fn address(session: &Session, input: &str) -> Result<Address> {
    let home = session.paths().home().to_string_lossy().into_owned();
    let input = match input.strip_prefix(&home).and_then(|r| r.strip_prefix('/')) {
        Some(rest) if !home.is_empty() => format!("~/{rest}"),
        _ => input.to_owned(),
    };
    if input.starts_with('/') {
        return Ok(Address::Remote(input.trim_end_matches('/').to_owned()));
    }
    if input.starts_with("~/") || input == "~" {
        return Ok(Address::Local(named_local::local_name(&input)?));
    }
    let folder = session.settings()?.default_folder.clone();
    if folder.starts_with('/') {
        return Ok(Address::Remote(format!(
            "{}/{input}",
            folder.trim_end_matches('/')
        )));
    }
    Ok(Address::Local(named_local::local_name(&input)?))
}

/// The local store, recording its writes as `origin`.
pub fn local_store(session: &Session, origin: Origin) -> Result<LocalNamedSecrets> {
    let owner = session.settings()?.username.clone();
    Ok(LocalNamedSecrets::new(session.paths(), owner.as_deref()).with_origin(origin))
}

/// rh-server's store of named secrets for the logged-in account (`name` is for messages only).
///
/// The one construction point of the remote store: every remote address reaches rh-server through here.
pub fn remote_named_store(session: &Session, name: &str) -> Result<Box<dyn NamedSecretStore>> {
    tracing::debug!("{name}: a named secret on rh-server");
    Ok(Box::new(session.named_secret_store()?))
}

/// The store holding `address`.
pub fn store_for(
    session: &Session,
    address: &Address,
    origin: Origin,
) -> Result<Box<dyn NamedSecretStore>> {
    match address {
        Address::Local(_) => Ok(Box::new(local_store(session, origin)?)),
        Address::Remote(n) => remote_named_store(session, n),
    }
}

/// Where `create` takes the values from.
#[derive(Debug)]
pub enum Values<'a> {
    /// `key=value` pairs (already parsed; `key=@FILE` read).
    Pairs(ProviderSecrets),
    /// Values a library caller passed (the Python package).
    Given(ProviderSecrets),
    /// The provider's env variables (`--from-env`; needs a builtin provider).
    Env,
    /// A file in the provider's format; a JSON object of values without a builtin provider (`--from-file`).
    File(&'a str),
    /// A JSON object of values (`@FILE`).
    Json(&'a str),
}

impl Values<'_> {
    /// How the audit log names this source.
    fn describe(&self) -> String {
        match self {
            Self::Pairs(_) => "argv".to_owned(),
            Self::Given(_) => "api".to_owned(),
            Self::Env => "env".to_owned(),
            Self::File(p) | Self::Json(p) => format!("file {p}"),
        }
    }
}

/// The values of `source` for a secret of `provider`.
fn read_values(
    session: &Session,
    provider: Option<&str>,
    source: Values<'_>,
) -> Result<ProviderSecrets> {
    let builtin = provider.and_then(builtin_provider);
    let read_json = |path: &str| -> Result<ProviderSecrets> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        Ok(parse_provider_json(path, &text)?)
    };
    let values = match (source, builtin) {
        (Values::Pairs(v) | Values::Given(v), _) => v,
        (Values::Env, Some(p)) => session.secrets().read_env(p.name())?,
        (Values::Env, None) => return Err(Error::FromEnvNeedsProvider),
        (Values::File(path), Some(p)) => session
            .secrets()
            .load_from_path(p.name(), path)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::NoSecretsInFile {
                provider: p.name().to_owned(),
                path: path.to_owned(),
            })?,
        (Values::File(path) | Values::Json(path), _) => read_json(path)?,
    };
    Ok(values)
}

/// What `create` did.
#[derive(Debug)]
pub struct Created {
    /// `~/openai` or `/alice/openai`.
    pub address: String,
    /// Where it is kept.
    pub location: String,
    /// The store's version.
    pub version: u64,
}

/// Creates the named secret `name` (`--overwrite`: or replaces it) with the values of `source`.
/// An existing name without `overwrite` is [`named::Error::Exists`], its file untouched.
pub async fn create(
    session: &Session,
    name: &str,
    provider: Option<&str>,
    source: Values<'_>,
    overwrite: bool,
) -> Result<Created> {
    let provider = provider.map(check_name).transpose()?;
    let address = address(session, name)?;
    let origin = Origin::new("rh secrets create", source.describe());
    let values = read_values(session, provider.as_deref(), source)?;
    if values.is_empty() {
        return Err(Error::NoValues {
            provider: address.display(),
        });
    }
    let store = store_for(session, &address, origin)?;
    let secret = NamedSecret {
        name: address.store_name().to_owned(),
        provider,
        values,
    };
    let version = match store
        .put(&secret, if overwrite { None } else { Some(0) })
        .await
    {
        Err(named::Error::Exists { .. }) => {
            return Err(named::Error::Exists {
                name: address.display(),
            }
            .into());
        }
        other => other?,
    };
    tracing::info!(
        "Saved the secret {} to {}",
        address.display(),
        store.location(address.store_name())
    );
    Ok(Created {
        location: store.location(address.store_name()),
        address: address.display(),
        version,
    })
}

/// A named secret read from its store.
#[derive(Debug)]
pub struct Shown {
    /// `~/openai` or `/alice/openai`.
    pub address: String,
    /// The provider, if any.
    pub provider: Option<String>,
    /// The values.
    pub values: ProviderSecrets,
    /// The store's version.
    pub version: u64,
    /// Where it is kept.
    pub location: String,
}

/// Reads the named secret `name`; unknown → [`named::Error::NotFound`] naming it.
pub async fn show(session: &Session, name: &str) -> Result<Shown> {
    let address = address(session, name)?;
    let store = store_for(session, &address, Origin::default())?;
    let Some((secret, version)) = store.get(address.store_name()).await? else {
        return Err(named::Error::NotFound {
            name: address.display(),
        }
        .into());
    };
    Ok(Shown {
        location: store.location(address.store_name()),
        address: address.display(),
        provider: secret.provider,
        values: secret.values,
        version,
    })
}

/// The named secrets under `folder` (`~…`: local, `/…`: rh-server); without one, the local ones and,
/// when logged in, rh-server's. Never values.
pub async fn list(session: &Session, folder: Option<&str>) -> Result<Vec<NamedSecretInfo>> {
    let local = |f: Option<&str>| -> Result<Vec<NamedSecretInfo>> {
        let mut infos = local_store(session, Origin::default())?.infos(f)?;
        for i in &mut infos {
            i.name = format!("~/{}", i.name);
        }
        Ok(infos)
    };
    match folder {
        Some(f) if f.starts_with('/') => {
            let store = remote_named_store(session, f)?;
            Ok(store.list(Some(f)).await?)
        }
        Some(f) => local(Some(f)),
        None => {
            let mut all = local(None)?;
            if session.settings()?.token.is_some() {
                let store = remote_named_store(session, "/")?;
                all.extend(store.list(None).await?);
            }
            Ok(all)
        }
    }
}

/// Deletes the named secret `name`; unknown → [`named::Error::NotFound`] naming it.
pub async fn remove(session: &Session, name: &str) -> Result<String> {
    let address = address(session, name)?;
    let store = store_for(session, &address, Origin::new("rh secrets rm", "-"))?;
    if !store.delete(address.store_name()).await? {
        return Err(named::Error::NotFound {
            name: address.display(),
        }
        .into());
    }
    tracing::info!("Deleted the secret {}", address.display());
    Ok(address.display())
}

/// Where `write` puts a named secret's values.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// Its builtin provider's own files (`~/.aws/credentials`, …), by the provider's code.
    ProviderFiles,
    /// A JSON object of its values at this path (a secret without a builtin provider).
    Path(&'a str),
    /// `~/.rh/secrets/<name>.env`: `export VAR='value'` lines to `source`.
    EnvFile,
}

/// The files `write` wrote.
#[derive(Debug)]
pub struct Written {
    /// `~/openai` or `/alice/openai`.
    pub address: String,
    /// The files written.
    pub files: Vec<std::path::PathBuf>,
}

/// Writes the named secret `name`'s values to `target`.
pub async fn write(session: &Session, name: &str, target: Target<'_>) -> Result<Written> {
    let address = address(session, name)?;
    let store = store_for(session, &address, Origin::default())?;
    let Some((secret, version)) = store.get(address.store_name()).await? else {
        return Err(named::Error::NotFound {
            name: address.display(),
        }
        .into());
    };
    let source = match &address {
        Address::Local(_) => format!("local {}", address.display()),
        Address::Remote(n) => format!("server {n} v{version}"),
    };
    let origin = Origin::new("rh secrets write", source);
    let builtin = secret.provider.as_deref().and_then(builtin_provider);
    let files = match (target, builtin) {
        (Target::ProviderFiles, Some(p)) => {
            let mut map = SecretsMap::new();
            map.insert(p.name().to_owned(), secret.values.clone());
            let report = session
                .secrets()
                .with_origin(&origin)
                .save_provider_secrets(&map, SaveOptions::default())?;
            report
                .saved
                .into_iter()
                .flat_map(|(_, a)| a.written)
                .collect()
        }
        (Target::ProviderFiles, None) => {
            return Err(Error::NoProviderFiles {
                name: address.display(),
            });
        }
        (Target::Path(_), Some(p)) => {
            return Err(Error::PathForBuiltin {
                name: address.display(),
                provider: p.name().to_owned(),
            });
        }
        (Target::Path(path), None) => {
            let path = session.paths().expand_tilde(path);
            let mut doc = serde_json::Map::new();
            for (k, v) in secret.values.iter() {
                doc.insert(
                    k.to_owned(),
                    serde_json::Value::String(v.expose_secret().to_owned()),
                );
            }
            let mut text = serde_json::to_string_pretty(&doc).expect("a JSON map serialises");
            text.push('\n');
            local_store(session, origin)?.write_file(
                &path,
                text.as_bytes(),
                &secret,
                &address.display(),
            )?;
            vec![path]
        }
        (Target::EnvFile, _) => {
            let mut text = String::new();
            for (var, _, value) in env_of(&secret) {
                let _ = writeln!(text, "export {var}={}", shell_quote(value.expose_secret()));
            }
            let store = local_store(session, origin)?;
            let path = store.env_file(address.store_name().trim_start_matches('/'))?;
            store.write_file(&path, text.as_bytes(), &secret, &address.display())?;
            vec![path]
        }
    };
    Ok(Written {
        address: address.display(),
        files,
    })
}

/// `'value'` for a POSIX shell (a `'` inside becomes `'\''`).
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The environment variables of a named secret: its builtin provider's own (`OPENAI_API_KEY`), else
/// `<PROVIDER>_<KEY>` for a custom provider, else the key itself, upper-cased (`DATABASE_URL`).
/// Returns `(variable, key, value)` triples; keys whose values are files (ssh, kubernetes) have none.
pub fn env_of(secret: &NamedSecret) -> Vec<(String, String, SecretString)> {
    secret
        .values
        .iter()
        .filter_map(|(k, v)| {
            let var = match secret.provider.as_deref() {
                Some(p) => crate::secrets::env_var(p, k)?,
                None => crate::secrets::clean_var(k),
            };
            Some((var, k.to_owned(), v.clone()))
        })
        .collect()
}

/// The named secrets of `names`, read for `rh run --secret` (each unknown name is an error naming it).
pub async fn for_run(session: &Session, names: &[String]) -> Result<Vec<(String, NamedSecret)>> {
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let address = address(session, name)?;
        let store = store_for(session, &address, Origin::default())?;
        let Some((secret, _)) = store.get(address.store_name()).await? else {
            return Err(named::Error::NotFound {
                name: address.display(),
            }
            .into());
        };
        out.push((address.display(), secret));
    }
    Ok(out)
}

/// The local audit trail, oldest first.
pub fn log(session: &Session) -> Result<Vec<Entry>> {
    Ok(session.secrets().audit_log().read()?)
}

/// The values of Runhouse 0.0.14's `provider_secret(provider, name, values, path, env_vars)`: at most one of
/// `values`, `path` and `env_vars`; none given for a builtin provider → its default file, then its env
/// variables; `Ok(None)` for another provider with none given (the caller loads it by name).
pub fn provider_secret_values(
    session: &Session,
    provider: Option<&str>,
    values: Option<ProviderSecrets>,
    path: Option<&str>,
    env_vars: Option<&BTreeMap<String, String>>,
) -> Result<Option<ProviderSecrets>> {
    let given = usize::from(values.is_some())
        + usize::from(path.is_some())
        + usize::from(env_vars.is_some());
    if given > 1 {
        return Err(Error::OneOfValuesPathEnv);
    }
    if let Some(v) = values {
        return Ok(Some(v));
    }
    let builtin = provider.and_then(builtin_provider);
    if let Some(path) = path {
        return match builtin {
            Some(p) => Ok(session.secrets().load_from_path(p.name(), path)?),
            None => read_values(session, None, Values::Json(path)).map(Some),
        };
    }
    if let Some(vars) = env_vars {
        let mut out = ProviderSecrets::new();
        for (key, var) in vars {
            if let Some(v) = session.env().non_empty(var) {
                out.insert(key.clone(), v);
            }
        }
        return Ok(Some(out));
    }
    let Some(p) = builtin else {
        return Ok(None);
    };
    if let Some((found, _)) = session.secrets().load_provider(p.name())? {
        return Ok(Some(found));
    }
    let paths = session.secrets().provider_paths(p.name())?;
    Err(Error::NotDetected {
        path: paths
            .first()
            .map(|p| crate::secrets::display_path(session, p))
            .unwrap_or_default(),
        vars: format!(
            "{{{}}}",
            p.keys()
                .iter()
                .zip(p.env_vars())
                .map(|(k, v)| format!("'{k}': '{v}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// A secret as the Python factories return it: its name (if any), provider and values.
#[derive(Debug)]
pub struct Made {
    /// `~/x`, `/alice/x`, or `None` for an in-memory secret without one.
    pub name: Option<String>,
    /// The provider, if any.
    pub provider: Option<String>,
    /// The values.
    pub values: ProviderSecrets,
}

/// Runhouse 0.0.14's `secret(…)` and `provider_secret(…)` (with `provider_call`): values given → an
/// in-memory secret; with a provider, [`provider_secret_values`] (one of values / path / env_vars, else
/// detection for a builtin provider); otherwise the name is loaded, and a builtin provider's name that
/// holds no secret is detected. Nothing given → [`Error::NoInMemoryValues`].
pub async fn make(
    session: &Session,
    name: Option<&str>,
    provider: Option<&str>,
    values: Option<ProviderSecrets>,
    path: Option<&str>,
    env_vars: Option<&BTreeMap<String, String>>,
    provider_call: bool,
) -> Result<Made> {
    let provider = provider.map(check_name).transpose()?;
    let named = |n: &str| address(session, n).map(|a| a.display());
    if provider.is_some() || provider_call {
        if let Some(values) =
            provider_secret_values(session, provider.as_deref(), values, path, env_vars)?
        {
            return Ok(Made {
                name: name.map(named).transpose()?,
                provider,
                values,
            });
        }
    } else if let Some(values) = values {
        return Ok(Made {
            name: name.map(named).transpose()?,
            provider: None,
            values,
        });
    }
    let Some(load) = name.or(provider.as_deref()) else {
        return Err(Error::NoInMemoryValues);
    };
    match show(session, load).await {
        Ok(shown) => Ok(Made {
            name: Some(shown.address),
            provider: shown.provider.or(provider),
            values: shown.values,
        }),
        Err(Error::Named(named::Error::NotFound { .. })) if builtin_provider(load).is_some() => {
            let values = provider_secret_values(session, Some(load), None, None, None)?
                .expect("a builtin provider is detected or an error");
            Ok(Made {
                name: None,
                provider: Some(check_name(load)?),
                values,
            })
        }
        Err(e) => Err(e),
    }
}

/// Saves an in-memory secret as `name` (Runhouse's `save`: an existing one is replaced).
pub async fn save(
    session: &Session,
    name: &str,
    provider: Option<&str>,
    values: ProviderSecrets,
) -> Result<Created> {
    create(session, name, provider, Values::Given(values), true).await
}
