//! Local files ⇄ a [`SecretStore`]: per-key drift, and push / pull as a plan that is printed or applied.
//!
//! A diff never needs a value from the store when the store's fingerprints describe its current version:
//! local values are fingerprinted with the stored salt and compared. Push plans record the version they
//! saw, and apply writes with check-and-set on it, so a concurrent writer makes the apply fail with
//! [`crate::vault::Error::Conflict`] instead of being overwritten.

use std::collections::BTreeSet;
use std::path::PathBuf;

use secrecy::ExposeSecret;

use futures::future::{BoxFuture, join_all};

use crate::store::SecretStore;
use crate::vault::{self, Fingerprints};
use crate::{
    CustomProviders, ProviderSecrets, SaveOptions, SaveReport, Secrets, SecretsMap, WriteOptions,
    builtin_provider,
};

/// What can go wrong syncing: a local file problem or a store problem.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Reading, validating or writing this machine's credential files failed.
    #[error(transparent)]
    Local(#[from] crate::Error),
    /// The store (Vault directly, or through rh-server) failed or refused a read or write.
    #[error(transparent)]
    Remote(#[from] vault::Error),
}

/// How one key compares between this machine and the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Same value in both.
    Same,
    /// Different values.
    Differs,
    /// Only on this machine.
    OnlyLocal,
    /// Only in the store.
    OnlyRemote,
}

impl KeyState {
    /// `same`, `differs`, `only local`, `only in Vault`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Same => "same",
            Self::Differs => "differs",
            Self::OnlyLocal => "only local",
            Self::OnlyRemote => "only in Vault",
        }
    }
}

/// How one provider's secrets compare, key by key. Holds no value.
#[derive(Debug, Clone)]
pub struct ProviderDiff {
    /// The provider.
    pub provider: String,
    /// The store's current version, `None` if the store has none.
    pub version: Option<u64>,
    /// Every key of either side with its state, sorted by key.
    pub keys: Vec<(String, KeyState)>,
    /// True when the store's fingerprints were stale (written by another tool) and values were read.
    pub read_values: bool,
}

impl ProviderDiff {
    /// True when every key is the same on both sides.
    pub fn in_sync(&self) -> bool {
        self.keys.iter().all(|(_, s)| *s == KeyState::Same)
    }
}

/// Compares `local` (none: nothing on this machine) with the store, from metadata alone when it can.
pub async fn diff_provider(
    store: &dyn SecretStore,
    provider: &str,
    local: Option<&ProviderSecrets>,
) -> vault::Result<ProviderDiff> {
    let fp = store.fingerprints(provider).await?;
    diff_with(store, provider, local, fp).await
}

/// [`diff_provider`] for several providers, their metadata read concurrently.
pub async fn diff_providers(
    store: &dyn SecretStore,
    locals: &[(String, Option<ProviderSecrets>)],
) -> vault::Result<Vec<ProviderDiff>> {
    let reads: Vec<BoxFuture<'_, _>> = locals
        .iter()
        .map(|(p, _)| -> BoxFuture<'_, _> { store.fingerprints(p) })
        .collect();
    let fps = join_all(reads).await;
    let mut out = Vec::with_capacity(locals.len());
    for ((provider, local), fp) in locals.iter().zip(fps) {
        out.push(diff_with(store, provider, local.as_ref(), fp?).await?);
    }
    Ok(out)
}

async fn diff_with(
    store: &dyn SecretStore,
    provider: &str,
    local: Option<&ProviderSecrets>,
    fp: Option<Fingerprints>,
) -> vault::Result<ProviderDiff> {
    let empty = ProviderSecrets::new();
    let local = local.unwrap_or(&empty);
    let Some(fp) = fp else {
        return Ok(ProviderDiff {
            provider: provider.to_owned(),
            version: None,
            keys: local
                .keys()
                .map(|k| (k.to_owned(), KeyState::OnlyLocal))
                .collect(),
            read_values: false,
        });
    };
    let mut out = ProviderDiff {
        provider: provider.to_owned(),
        version: Some(fp.version),
        keys: Vec::new(),
        read_values: false,
    };
    if let Some(remote) = &fp.keys {
        let all: BTreeSet<&str> = local
            .keys()
            .chain(remote.keys().map(String::as_str))
            .collect();
        for key in all {
            let state = match (local.get(key), remote.get(key)) {
                (Some(v), Some(stored)) => {
                    if fp.of(key, v).as_ref() == Some(stored) {
                        KeyState::Same
                    } else {
                        KeyState::Differs
                    }
                }
                (Some(_), None) => KeyState::OnlyLocal,
                (None, _) => KeyState::OnlyRemote,
            };
            out.keys.push((key.to_owned(), state));
        }
        return Ok(out);
    }
    // Fingerprints missing or stale: compare the values here, without printing them.
    out.read_values = true;
    let remote = store
        .get(provider)
        .await?
        .map(|(s, v)| {
            out.version = Some(v);
            s
        })
        .unwrap_or_default();
    out.keys = compare_values(local, &remote);
    Ok(out)
}

/// Key states of two value maps.
pub fn compare_values(
    local: &ProviderSecrets,
    remote: &ProviderSecrets,
) -> Vec<(String, KeyState)> {
    let all: BTreeSet<&str> = local.keys().chain(remote.keys()).collect();
    all.into_iter()
        .map(|key| {
            let state = match (local.get(key), remote.get(key)) {
                (Some(a), Some(b)) if a.expose_secret() == b.expose_secret() => KeyState::Same,
                (Some(_), Some(_)) => KeyState::Differs,
                (Some(_), None) => KeyState::OnlyLocal,
                (None, _) => KeyState::OnlyRemote,
            };
            (key.to_owned(), state)
        })
        .collect()
}

/// What a push does for one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PushAction {
    /// The store has no secret for it: create version 1.
    Create,
    /// The store's version differs: write a new version over `expected`.
    Update,
    /// The store already holds exactly these values.
    Unchanged,
}

/// One provider of a push plan.
#[derive(Debug, Clone)]
pub struct PushItem {
    /// The provider.
    pub provider: String,
    /// What apply will do.
    pub action: PushAction,
    /// The store version seen at plan time (0: none); apply writes with check-and-set on it.
    pub expected: u64,
    /// Key by key, before the push.
    pub diff: ProviderDiff,
    /// The values to upload.
    pub secrets: ProviderSecrets,
}

/// Plans uploading `locals`: one metadata read per provider, no value read from the store.
pub async fn plan_push(
    store: &dyn SecretStore,
    locals: SecretsMap,
) -> vault::Result<Vec<PushItem>> {
    let reads: Vec<BoxFuture<'_, _>> = locals
        .keys()
        .map(|p| -> BoxFuture<'_, _> { store.fingerprints(p) })
        .collect();
    let fps = join_all(reads).await;
    let mut out = Vec::new();
    for ((provider, secrets), fp) in locals.iter().zip(fps) {
        let diff = diff_with(store, provider, Some(secrets), fp?).await?;
        let action = match diff.version {
            None => PushAction::Create,
            Some(_) if diff.in_sync() => PushAction::Unchanged,
            Some(_) => PushAction::Update,
        };
        out.push(PushItem {
            expected: diff.version.unwrap_or(0),
            provider: provider.clone(),
            action,
            diff,
            secrets: secrets.clone(),
        });
    }
    out.sort_by_key(|i| order(&i.provider));
    Ok(out)
}

/// Uploads the items that change something, concurrently, each with check-and-set on the version seen
/// at plan time. Returns each attempted provider with its new version or its error (a conflict names the
/// path); one provider's failure does not stop the others.
pub async fn apply_push(
    store: &dyn SecretStore,
    items: &[PushItem],
) -> Vec<(String, vault::Result<u64>)> {
    let changing: Vec<&PushItem> = items
        .iter()
        .filter(|i| i.action != PushAction::Unchanged)
        .collect();
    let writes: Vec<BoxFuture<'_, _>> = changing
        .iter()
        .map(|i| -> BoxFuture<'_, _> { store.put(&i.provider, &i.secrets, Some(i.expected)) })
        .collect();
    let results = join_all(writes).await;
    changing
        .iter()
        .map(|i| i.provider.clone())
        .zip(results)
        .collect()
}

/// What a pull does for one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullAction {
    /// The local files already hold these values.
    Unchanged,
    /// Write these files (and leave `skipped` alone).
    Write {
        /// Files to write.
        files: Vec<PathBuf>,
        /// Files left alone (an existing, different SSH key without `force`).
        skipped: Vec<PathBuf>,
    },
    /// A custom provider: values only, returned and never written here.
    Custom,
}

/// One provider of a pull plan.
#[derive(Debug, Clone)]
pub struct PullItem {
    /// The provider.
    pub provider: String,
    /// The store version read.
    pub version: u64,
    /// What apply will do.
    pub action: PullAction,
    /// Key by key, local against the store.
    pub keys: Vec<(String, KeyState)>,
    /// Warnings apply will log (`Key id_rsa already exists, skipping.`).
    pub warnings: Vec<String>,
    /// The values read from the store.
    pub secrets: ProviderSecrets,
}

/// Plans downloading `providers` (default: every provider in the store) into local files. Reads each
/// provider's values once and checks every file that would be written; changes nothing.
pub async fn plan_pull(
    store: &dyn SecretStore,
    local: &Secrets<'_>,
    providers: Option<&[String]>,
    opts: WriteOptions,
) -> Result<Vec<PullItem>, SyncError> {
    let names = match providers {
        Some(p) => p.to_vec(),
        None => store.list().await?,
    };
    let ctx = local.ctx();
    let reads: Vec<BoxFuture<'_, _>> = names
        .iter()
        .map(|p| -> BoxFuture<'_, _> { store.get(p) })
        .collect();
    let got = join_all(reads).await;
    let mut out = Vec::new();
    for (name, got) in names.iter().cloned().zip(got) {
        let Some((secrets, version)) = got? else {
            return Err(vault::Error::NotFound {
                path: store.location(&name),
            }
            .into());
        };
        let Some(provider) = builtin_provider(&name) else {
            out.push(PullItem {
                keys: compare_values(&ProviderSecrets::new(), &secrets),
                provider: name,
                version,
                action: PullAction::Custom,
                warnings: Vec::new(),
                secrets,
            });
            continue;
        };
        let current = provider.read_file(&ctx)?.unwrap_or_default();
        let keys = compare_values(&current, &secrets);
        let unchanged = keys
            .iter()
            .all(|(_, s)| matches!(s, KeyState::Same | KeyState::OnlyLocal));
        let (action, warnings) = if unchanged {
            (PullAction::Unchanged, Vec::new())
        } else {
            let plan = provider.plan_write(&ctx, &secrets, opts)?;
            let files = plan.touched().iter().map(|p| p.to_path_buf()).collect();
            (
                PullAction::Write {
                    files,
                    skipped: plan.skipped.clone(),
                },
                plan.warnings.clone(),
            )
        };
        out.push(PullItem {
            provider: provider.name().to_owned(),
            version,
            action,
            keys,
            warnings,
            secrets,
        });
    }
    out.sort_by_key(|i| order(&i.provider));
    Ok(out)
}

/// Writes the builtin providers of a pull plan that change something; returns the save report and the
/// custom providers' values (never written locally).
pub fn apply_pull(
    local: &Secrets<'_>,
    items: Vec<PullItem>,
    opts: WriteOptions,
) -> crate::Result<(SaveReport, SecretsMap)> {
    let mut builtin = SecretsMap::new();
    let mut custom = SecretsMap::new();
    for item in items {
        match item.action {
            PullAction::Unchanged => {}
            PullAction::Write { .. } => {
                builtin.insert(item.provider, item.secrets);
            }
            PullAction::Custom => {
                custom.insert(item.provider, item.secrets);
            }
        }
    }
    let report = if builtin.is_empty() {
        SaveReport::default()
    } else {
        local.save_provider_secrets(
            &builtin,
            SaveOptions {
                force: opts.force,
                set_current_context: opts.set_current_context,
                custom: CustomProviders::Skip,
            },
        )?
    };
    Ok((report, custom))
}

/// Runhouse's order for builtin providers, then custom ones by name.
fn order(name: &str) -> (usize, String) {
    let pos = crate::builtin_providers()
        .iter()
        .position(|p| p.name() == name)
        .unwrap_or(usize::MAX);
    (pos, name.to_owned())
}

/// Checks a provider name: a builtin one, or a custom one of letters, digits, `_`, `-` and `.`
/// (it becomes one segment of a Vault path).
pub fn check_provider_name(name: &str) -> crate::Result<()> {
    if builtin_provider(name).is_some() {
        return Ok(());
    }
    crate::secrets::validate_custom_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_values_key_by_key() {
        let local: ProviderSecrets = [("a", "1"), ("b", "2"), ("c", "3")].into_iter().collect();
        let remote: ProviderSecrets = [("a", "1"), ("b", "x"), ("d", "4")].into_iter().collect();
        let got = compare_values(&local, &remote);
        assert_eq!(
            got,
            vec![
                ("a".to_owned(), KeyState::Same),
                ("b".to_owned(), KeyState::Differs),
                ("c".to_owned(), KeyState::OnlyLocal),
                ("d".to_owned(), KeyState::OnlyRemote),
            ]
        );
        assert_eq!(KeyState::OnlyRemote.label(), "only in Vault");
    }

    #[test]
    fn provider_names_become_one_path_segment() {
        assert!(check_provider_name("aws").is_ok());
        assert!(check_provider_name("my-db.prod_1").is_ok());
        for bad in ["", "../x", "a/b", "-x", "a b"] {
            assert!(check_provider_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn builtin_providers_sort_first_in_runhouse_order() {
        let mut names = vec!["zeta", "github", "aws", "alpha", "ssh"];
        names.sort_by_key(|n| order(n));
        assert_eq!(names, vec!["aws", "ssh", "github", "alpha", "zeta"]);
    }
}
