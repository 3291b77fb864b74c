//! Provider secrets: on this machine (status, save, show, delete-local) and in the secret store (put,
//! get, pull, push, update, delete, history, rollback, diff).
//!
//! The store is the session's ([`Session::secret_store`]: rh-server's Vault proxy when logged in, else
//! Vault directly). Plans are computed (and checked) first and returned, so a front end can show them
//! (`--dry-run`) or ask, then applied with check-and-set. Results carry values as [`SecretString`]s;
//! logs and errors never hold one.

use std::path::{Path, PathBuf};

use rh_secrets::audit::Origin;
use rh_secrets::store::SecretStore;
use rh_secrets::sync::{self, PullItem, PushAction, PushItem};
use rh_secrets::vault::VersionInfo;
use rh_secrets::{
    DeletePlan, ProviderSecrets, ProviderStatus, SaveOptions, SaveReport, Secrets, SecretsMap,
    Source, builtin_provider, parse_provider_json,
};

use secrecy::SecretString;

use crate::{Error, Result, Session};

pub use rh_secrets::sync::ProviderDiff;
pub use rh_secrets::{Provider, WriteOptions, builtin_providers, mask};

fn log_requests(store: &dyn SecretStore) {
    if let Some(n) = store.requests() {
        tracing::debug!("made {n} requests to the secret store");
    }
}

/// A provider name checked against the store's grammar, builtin names in their canonical spelling.
pub fn check_name(name: &str) -> Result<String> {
    sync::check_provider_name(name)?;
    Ok(builtin_provider(name).map_or_else(|| name.to_owned(), |p| p.name().to_owned()))
}

/// `key=value` pairs; `key=@FILE` reads the value from FILE. Errors name the key, never the value.
pub fn parse_pairs(pairs: &[String]) -> Result<ProviderSecrets> {
    let mut out = ProviderSecrets::new();
    for (i, pair) in pairs.iter().enumerate() {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(Error::PairNoEquals { index: i + 1 });
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::PairEmptyKey { index: i + 1 });
        }
        if out.contains_key(key) {
            return Err(Error::PairTwice {
                key: key.to_owned(),
            });
        }
        let value = match value.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path).map_err(|source| Error::PairValueFile {
                key: key.to_owned(),
                path: path.to_owned(),
                source,
            })?,
            None => value.to_owned(),
        };
        out.insert(key, value);
    }
    Ok(out)
}

/// `~/…` for paths under the home directory, for messages.
pub fn display_path(session: &Session, p: &Path) -> String {
    match p.strip_prefix(session.paths().home()) {
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => p.display().to_string(),
    }
}

// ---- On this machine.

/// Each builtin provider: configured or not, from where, and why.
pub fn status(session: &Session) -> Vec<ProviderStatus> {
    session.secrets().status()
}

/// The files a builtin provider's secrets live in.
pub fn provider_paths(session: &Session, provider: &str) -> Vec<PathBuf> {
    session
        .secrets()
        .provider_paths(provider)
        .unwrap_or_default()
}

/// How the audit log names where a store's values came from: `vault secret/rh/alice/aws v7`, or
/// `server https://…/user/secret/aws v3` through rh-server.
pub fn store_source(store: &dyn SecretStore, provider: &str, version: u64) -> String {
    let location = store.location(provider);
    let kind = if location.starts_with("http://") || location.starts_with("https://") {
        "server"
    } else {
        "vault"
    };
    format!("{kind} {location} v{version}")
}

/// Writes `input` (`{provider: {key: value}}`) into each provider's local files, recorded in the
/// audit log as coming from `source` (`argv`, `env`, `file PATH`, `stdin`). Returns what was saved.
pub fn save(
    session: &Session,
    input: &SecretsMap,
    opts: WriteOptions,
    source: &str,
) -> Result<SaveReport> {
    let origin = Origin::new("rh secrets save", source);
    Ok(session
        .secrets()
        .with_origin(&origin)
        .save_provider_secrets(
            input,
            SaveOptions {
                force: opts.force,
                set_current_context: opts.set_current_context,
                ..SaveOptions::default()
            },
        )?)
}

/// The env variable of each of a builtin provider's keys in `values` (`aws`: `AWS_ACCESS_KEY_ID`, …);
/// empty for a custom provider or one without env support (lambda, ssh, …).
pub fn env_exports(provider: &str, values: &ProviderSecrets) -> Vec<(&'static str, SecretString)> {
    let Some(p) = builtin_provider(provider) else {
        return Vec::new();
    };
    p.keys()
        .iter()
        .zip(p.env_vars())
        .filter_map(|(key, var)| values.get(key).map(|v| (*var, v.clone())))
        .collect()
}

/// The environment variable a provider's key is passed as: the builtin provider's own variable
/// (`AWS_ACCESS_KEY_ID`, `HF_TOKEN`, …), `<PROVIDER>_<KEY>` upper-cased otherwise (custom providers, and
/// builtin keys without a variable such as lambda's `api_key`). Providers whose values are files (ssh,
/// sky, kubernetes) export none.
pub fn env_var(provider: &str, key: &str) -> Option<String> {
    let builtin = builtin_provider(provider);
    if builtin.is_some_and(|p| !p.exports_env()) {
        return None;
    }
    let builtin = builtin.and_then(|p| {
        p.keys()
            .iter()
            .zip(p.env_vars())
            .find(|(k, _)| **k == key)
            .map(|(_, v)| *v)
    });
    if let Some(var) = builtin {
        return Some(var.to_owned());
    }
    Some(format!("{}_{}", clean_var(provider), clean_var(key)))
}

/// `s` as a variable name part: ASCII letters and digits upper-cased, anything else `_`.
pub fn clean_var(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A builtin provider's values from its env variables.
pub fn read_env(session: &Session, provider: &str) -> Result<ProviderSecrets> {
    Ok(session.secrets().read_env(provider)?)
}

/// A builtin provider's local secrets and where they were found; none → an error with the reason.
pub fn show(session: &Session, provider: &str) -> Result<(String, ProviderSecrets, Source)> {
    let secrets = session.secrets();
    let p = Secrets::provider(provider)?;
    let Some((values, source)) = secrets.load_provider(p.name())? else {
        let reason = secrets
            .status()
            .into_iter()
            .find(|s| s.provider == p.name())
            .map(|s| s.detection.reason)
            .unwrap_or_default();
        return Err(Error::NoLocalSecrets {
            provider: p.name().to_owned(),
            reason,
        });
    };
    Ok((p.name().to_owned(), values, source))
}

/// Plans deleting the local files of `providers` (changes nothing).
pub fn plan_delete_local(session: &Session, providers: &[String]) -> Result<Vec<DeletePlan>> {
    Ok(session.secrets().plan_delete_local(providers)?)
}

/// Applies [`plan_delete_local`]'s plans.
pub fn apply_delete_local(session: &Session, plans: Vec<DeletePlan>) -> Result<()> {
    let origin = Origin::new("rh secrets delete-local", "-");
    session
        .secrets()
        .with_origin(&origin)
        .apply_delete_local(plans)?;
    Ok(())
}

// ---- In the secret store.

/// Where `put` takes the values from.
#[derive(Debug)]
pub enum PutSource<'a> {
    /// The provider's env vars.
    Env,
    /// A file in the provider's format (custom providers: a JSON object).
    File(&'a str),
    /// Values already parsed (`key=value` pairs).
    Values(ProviderSecrets),
    /// The provider's configured local files.
    Local,
}

/// Stores a provider's secrets in the store (check-and-set on the current version); returns the new
/// version.
pub async fn put(session: &Session, provider: &str, source: PutSource<'_>) -> Result<u64> {
    let provider = check_name(provider)?;
    let secrets = session.secrets();
    let builtin = builtin_provider(&provider);
    let values = match (source, builtin) {
        (PutSource::Values(values), _) => values,
        (PutSource::Env, Some(_)) => secrets.read_env(&provider)?,
        (PutSource::File(path), Some(_)) => secrets
            .load_from_path(&provider, path)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::NoSecretsInFile {
                provider: provider.clone(),
                path: path.to_owned(),
            })?,
        (PutSource::File(path), None) => {
            let text = std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
                path: path.to_owned(),
                source,
            })?;
            parse_provider_json(path, &text)?
        }
        (PutSource::Local, Some(_)) => match secrets.load_provider(&provider)? {
            Some((found, _)) => found,
            None => return Err(Error::NoSecretsDict { provider }),
        },
        (PutSource::Env | PutSource::Local, None) => {
            return Err(Error::CustomNeedsValues { provider });
        }
    };
    if let Some(p) = builtin {
        p.validate(&values)?;
    }
    if values.is_empty() {
        return Err(Error::NoValues { provider });
    }
    let store = session.secret_store()?;
    let current = store
        .fingerprints(&provider)
        .await?
        .map_or(0, |f| f.version);
    let version = store.put(&provider, &values, Some(current)).await?;
    tracing::info!(
        "Uploaded {provider} secrets to Vault at {} (version {version})",
        store.location(&provider)
    );
    log_requests(store.as_ref());
    Ok(version)
}

/// A provider's secrets as the store holds them.
#[derive(Debug)]
pub struct Got {
    /// The provider (canonical name).
    pub provider: String,
    /// The values.
    pub values: ProviderSecrets,
    /// The store's version.
    pub version: u64,
    /// Where in the store (a Vault path or URL).
    pub location: String,
}

/// Reads a provider's secrets from the store; with `save`, a builtin provider's are also written to its
/// local files.
pub async fn get(session: &Session, provider: &str, save: bool) -> Result<Got> {
    let provider = check_name(provider)?;
    let store = session.secret_store()?;
    let Some((values, version)) = store.get(&provider).await? else {
        return Err(Error::NotInStore {
            location: store.location(&provider),
            provider,
        });
    };
    log_requests(store.as_ref());
    let got = Got {
        location: store.location(&provider),
        provider,
        values,
        version,
    };
    if save {
        save_got(session, &got)?;
    }
    Ok(got)
}

/// Writes what [`get`] read into a builtin provider's local files (a custom provider's stay in the
/// store: a warning says so).
pub fn save_got(session: &Session, got: &Got) -> Result<()> {
    let provider = &got.provider;
    if builtin_provider(provider).is_some() {
        tracing::info!("Saving secrets for {provider} to local config");
        let mut map = SecretsMap::new();
        map.insert(provider.clone(), got.values.clone());
        let kind = if got.location.starts_with("http") {
            "server"
        } else {
            "vault"
        };
        let origin = Origin::new(
            "rh secrets get --save",
            format!("{kind} {} v{}", got.location, got.version),
        );
        session
            .secrets()
            .with_origin(&origin)
            .save_provider_secrets(&map, SaveOptions::default())?;
    } else {
        tracing::warn!(
            "{provider} is not a builtin provider: its secrets live in Vault only and were not saved locally"
        );
    }
    Ok(())
}

/// A pull, planned: what each provider's files would become. Nothing is written until [`PullPlan::apply`].
pub struct PullPlan {
    /// One item per provider in the store (or asked for).
    pub items: Vec<PullItem>,
    opts: WriteOptions,
    origin: Origin,
}

impl std::fmt::Debug for PullPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PullPlan")
            .field(
                "providers",
                &self.items.iter().map(|i| &i.provider).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Plans downloading `providers` (default: every provider in the store) into the local files; reads
/// each provider once and checks every file that would be written.
pub async fn plan_pull(
    session: &Session,
    providers: &[String],
    opts: WriteOptions,
) -> Result<PullPlan> {
    let names = providers
        .iter()
        .map(|p| check_name(p))
        .collect::<Result<Vec<_>>>()?;
    let store = session.secret_store()?;
    let secrets = session.secrets();
    tracing::info!("Getting secrets from Vault.");
    let items = sync::plan_pull(
        store.as_ref(),
        &secrets,
        (!names.is_empty()).then_some(names.as_slice()),
        opts,
    )
    .await?;
    log_requests(store.as_ref());
    let origin = items
        .iter()
        .fold(Origin::new("rh secrets pull", "-"), |o, i| {
            let source = store_source(store.as_ref(), &i.provider, i.version);
            o.with_provider_source(&i.provider, source)
        });
    Ok(PullPlan {
        items,
        opts,
        origin,
    })
}

impl PullPlan {
    /// Writes the builtin providers that change something; returns the custom providers' values (kept
    /// in the store only, never written locally).
    pub fn apply(self, session: &Session) -> Result<SecretsMap> {
        let empty = self.items.is_empty();
        let wrote = self
            .items
            .iter()
            .any(|i| matches!(i.action, sync::PullAction::Write { .. }));
        let (report, custom) = sync::apply_pull(
            &session.secrets().with_origin(&self.origin),
            self.items,
            self.opts,
        )?;
        if report.saved.iter().any(|(_, a)| !a.written.is_empty()) {
            tracing::info!("Saved secrets from Vault to local config files");
        } else if !wrote && !empty {
            tracing::info!("Local config files already match Vault");
        } else if empty {
            tracing::info!("No secrets found in Vault");
        }
        Ok(custom)
    }
}

/// A push, planned: what each provider's version in the store would become.
pub struct PushPlan {
    /// One item per local provider.
    pub items: Vec<PushItem>,
    store: Box<dyn SecretStore>,
}

impl std::fmt::Debug for PushPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushPlan")
            .field(
                "providers",
                &self.items.iter().map(|i| &i.provider).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Plans uploading the local secrets of `providers` (default: every configured provider).
pub async fn plan_push(session: &Session, providers: &[String]) -> Result<PushPlan> {
    let secrets = session.secrets();
    let names: Option<Vec<String>> = if providers.is_empty() {
        None
    } else {
        Some(
            providers
                .iter()
                .map(|p| Ok(Secrets::provider(p)?.name().to_owned()))
                .collect::<Result<_>>()?,
        )
    };
    let locals = secrets.load(names.as_deref(), false)?;
    if locals.is_empty() {
        return Err(Error::NothingToPush);
    }
    let store = session.secret_store()?;
    let items = sync::plan_push(store.as_ref(), locals).await?;
    Ok(PushPlan { items, store })
}

impl PushPlan {
    /// How many providers would change.
    pub fn changing(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.action != PushAction::Unchanged)
            .count()
    }

    /// Counts the requests made so far (a debug line), for a plan that is not applied.
    pub fn finish_unapplied(&self) {
        log_requests(self.store.as_ref());
    }

    /// Uploads the items that change something (each with check-and-set); returns the providers
    /// uploaded. One failure does not stop the others; failures are reported together.
    pub async fn apply(self) -> Result<Vec<String>> {
        let results = sync::apply_push(self.store.as_ref(), &self.items).await;
        log_requests(self.store.as_ref());
        let mut uploaded = Vec::new();
        let mut failed = Vec::new();
        for (provider, result) in results {
            match result {
                Ok(_) => uploaded.push(provider),
                Err(e) => failed.push(e),
            }
        }
        if uploaded.is_empty() {
            tracing::info!("Nothing uploaded");
        } else {
            tracing::info!("Uploaded secrets to Vault for: [{}]", uploaded.join(", "));
        }
        match failed.len() {
            0 => Ok(uploaded),
            1 => Err(failed.remove(0).into()),
            n => Err(Error::PushFailed {
                count: n,
                detail: failed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            }),
        }
    }
}

/// Sets some keys of a provider in the store (check-and-set); returns the new version.
pub async fn update(session: &Session, provider: &str, new: &ProviderSecrets) -> Result<u64> {
    let provider = check_name(provider)?;
    let store = session.secret_store()?;
    let Some((mut values, version)) = store.get(&provider).await? else {
        return Err(Error::NothingToUpdate {
            location: store.location(&provider),
            provider,
        });
    };
    for (k, v) in new.iter() {
        values.insert_secret(k, v.clone());
    }
    if let Some(p) = builtin_provider(&provider) {
        p.validate(&values)?;
    }
    let written = store.put(&provider, &values, Some(version)).await?;
    tracing::info!("Updated {provider} secrets in Vault (version {version} -> {written})");
    log_requests(store.as_ref());
    Ok(written)
}

/// A delete, planned: the store's paths and the local files it would remove.
pub struct DeletionPlan {
    names: Vec<String>,
    local: Option<Vec<DeletePlan>>,
    store: Option<Box<dyn SecretStore>>,
}

impl std::fmt::Debug for DeletionPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeletionPlan")
            .field("providers", &self.names)
            .finish_non_exhaustive()
    }
}

/// Plans deleting `providers` locally and/or from the store (neither flag: both). Local plans come
/// first: a bad name or file stops everything before the store is touched.
pub fn plan_delete(
    session: &Session,
    providers: &[String],
    local: bool,
    remote: bool,
) -> Result<DeletionPlan> {
    let (local, remote) = if local || remote {
        (local, remote)
    } else {
        (true, true)
    };
    let names = providers
        .iter()
        .map(|p| check_name(p))
        .collect::<Result<Vec<_>>>()?;
    let local_plans = if local {
        let config = session.config()?;
        let local_names: Vec<String> = names
            .iter()
            .filter(|n| {
                builtin_provider(n).is_some()
                    || !remote
                    || config.get_stored(&format!("secrets.{n}")).is_some()
            })
            .cloned()
            .collect();
        Some(session.secrets().plan_delete_local(&local_names)?)
    } else {
        None
    };
    let store = if remote {
        Some(session.secret_store()?)
    } else {
        None
    };
    Ok(DeletionPlan {
        names,
        local: local_plans,
        store,
    })
}

impl DeletionPlan {
    /// What would be deleted: the store's locations, then the local files (`~/…`).
    pub fn targets(&self, session: &Session) -> Vec<String> {
        let mut what = Vec::new();
        if let Some(store) = &self.store {
            what.extend(self.names.iter().map(|n| store.location(n)));
        }
        for p in self.local.iter().flatten() {
            what.extend(p.plan.touched().iter().map(|f| display_path(session, f)));
        }
        what
    }

    /// Deletes from the store, then the local files.
    pub async fn apply(self, session: &Session) -> Result<()> {
        if let Some(store) = &self.store {
            for name in &self.names {
                if store.delete(name).await? {
                    tracing::info!("Deleted {name} secrets from Vault");
                } else {
                    tracing::warn!("No secrets found in Vault for {name}");
                }
            }
            log_requests(store.as_ref());
        }
        if let Some(plans) = self.local {
            let origin = Origin::new("rh secrets delete", "-");
            session
                .secrets()
                .with_origin(&origin)
                .apply_delete_local(plans)?;
        }
        Ok(())
    }
}

/// A provider's versions in the store, oldest first; none → [`Error::NotInStore`].
pub async fn history(session: &Session, provider: &str) -> Result<Vec<VersionInfo>> {
    let provider = check_name(provider)?;
    let store = session.secret_store()?;
    let versions = store.history(&provider).await?;
    log_requests(store.as_ref());
    if versions.is_empty() {
        return Err(Error::NotInStore {
            location: store.location(&provider),
            provider,
        });
    }
    Ok(versions)
}

/// Makes `version` a provider's newest version again; returns the new version number.
pub async fn rollback(session: &Session, provider: &str, version: u64) -> Result<u64> {
    let provider = check_name(provider)?;
    let store = session.secret_store()?;
    let new = store.rollback(&provider, version).await?;
    log_requests(store.as_ref());
    tracing::info!("Rolled {provider} back to version {version}; it is now version {new}");
    Ok(new)
}

/// Compares the local secrets with the store's, key by key (default: the configured providers and
/// every provider in the store).
pub async fn diff(session: &Session, providers: &[String]) -> Result<Vec<ProviderDiff>> {
    let secrets = session.secrets();
    let store = session.secret_store()?;
    let names: Vec<String> = if providers.is_empty() {
        let mut all: Vec<String> = secrets
            .configured_providers()
            .into_iter()
            .map(str::to_owned)
            .collect();
        for p in store.list().await? {
            if !all.contains(&p) {
                all.push(p);
            }
        }
        all
    } else {
        providers
            .iter()
            .map(|p| check_name(p))
            .collect::<Result<_>>()?
    };
    let mut locals = Vec::new();
    for name in names {
        let local = if builtin_provider(&name).is_some() {
            secrets
                .load(Some(std::slice::from_ref(&name)), false)?
                .remove(&name)
        } else {
            None
        };
        locals.push((name, local));
    }
    let diffs = sync::diff_providers(store.as_ref(), &locals).await?;
    let read_values = diffs.iter().any(|d| d.read_values);
    if let Some(n) = store.requests() {
        tracing::debug!(
            "made {n} requests to the secret store ({})",
            if read_values {
                "some fingerprints were stale, values read"
            } else {
                "metadata only"
            }
        );
    }
    Ok(diffs)
}
