//! [`Secrets`]: the front door that saves, loads, detects and deletes provider secrets on this machine,
//! and keeps the `secrets:` bookkeeping map in `~/.rh/config.yaml`.

use std::path::PathBuf;

use rh_config::{Config, Env, RhPaths};
use serde_yaml::Value;

use crate::audit::{AuditLog, Origin};
use crate::provider::{Applied, Ctx, Detection, Plan, Source, WriteOptions};
use crate::providers::{builtin_list, builtin_provider, builtin_providers};
use crate::{Error, Provider, ProviderSecrets, Result, SecretsMap, fsio};

/// What a save does with providers that are not builtin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CustomProviders {
    /// Fail with an error listing the builtin providers (the CLI's `save`).
    #[default]
    Reject,
    /// Skip them: custom secrets live in Vault only and are never written locally (a Vault download).
    Skip,
}

/// Options of [`Secrets::save_provider_secrets`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SaveOptions {
    /// Replace a different existing SSH or sky key (after a backup).
    pub force: bool,
    /// Make a saved kubeconfig context the `current-context`.
    pub set_current_context: bool,
    /// What to do with custom providers.
    pub custom: CustomProviders,
}

impl SaveOptions {
    /// What a provider's write may change.
    pub fn write(&self) -> WriteOptions {
        WriteOptions {
            force: self.force,
            set_current_context: self.set_current_context,
        }
    }
}

/// What a save did.
#[derive(Debug, Default)]
pub struct SaveReport {
    /// Each builtin provider saved, with the files written, backed up and skipped.
    pub saved: Vec<(String, Applied)>,
    /// Warnings, also logged (`Key id_rsa already exists, skipping.`).
    pub warnings: Vec<String>,
    /// Custom providers left alone.
    pub skipped_custom: Vec<String>,
    /// Builtin providers saved but still not detected as configured (really incomplete).
    pub undetected: Vec<String>,
}

/// One provider's state on this machine.
#[derive(Debug, Clone)]
pub struct ProviderStatus {
    /// The provider name.
    pub provider: &'static str,
    /// Whether it is configured, where, and why.
    pub detection: Detection,
}

/// What [`Secrets::plan_delete_local`] would do for one provider.
#[derive(Debug)]
pub struct DeletePlan {
    /// The provider name.
    pub provider: String,
    /// The file changes.
    pub plan: Plan,
}

/// What deleting one provider's local secrets did.
#[derive(Debug)]
pub struct DeleteReport {
    /// The provider name.
    pub provider: String,
    /// Files removed or rewritten.
    pub applied: Applied,
    /// Warnings, also logged.
    pub warnings: Vec<String>,
    /// True when the `secrets.<provider>` entry was dropped from `config.yaml`.
    pub forgot: bool,
}

/// Provider secrets on this machine: the providers' own files and env vars, and rh's bookkeeping.
#[derive(Clone, Copy)]
pub struct Secrets<'a> {
    paths: &'a RhPaths,
    env: &'a dyn Env,
    origin: Option<&'a Origin>,
}

/// The origin of writes whose front end named none.
static UNNAMED: std::sync::LazyLock<Origin> = std::sync::LazyLock::new(Origin::default);

impl std::fmt::Debug for Secrets<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("paths", self.paths)
            .finish_non_exhaustive()
    }
}

impl<'a> Secrets<'a> {
    /// Secrets under `paths.home()`, with path overrides and env secrets read from `env`.
    pub fn new(paths: &'a RhPaths, env: &'a dyn Env) -> Self {
        Self {
            paths,
            env,
            origin: None,
        }
    }

    /// The same secrets, recording each file written or deleted in `audit.log` as done by `origin`.
    #[must_use]
    pub fn with_origin(self, origin: &'a Origin) -> Self {
        Self {
            origin: Some(origin),
            ..self
        }
    }

    /// The audit log every write and delete here is recorded in (`~/.rh/audit.log`).
    pub fn audit_log(&self) -> AuditLog {
        AuditLog::new(self.paths)
    }

    fn origin(&self) -> &Origin {
        self.origin.unwrap_or(&UNNAMED)
    }

    /// The builtin providers in Runhouse's order.
    pub fn builtin_providers() -> &'static [&'static dyn Provider] {
        builtin_providers()
    }

    /// Where providers look: the home directory and the environment.
    pub fn ctx(&self) -> Ctx<'a> {
        Ctx::with_paths(self.paths, self.env)
    }

    /// The builtin provider called `name`, or an error listing them.
    pub fn provider(name: &str) -> Result<&'static dyn Provider> {
        builtin_provider(name).ok_or_else(|| unknown(name))
    }

    /// Whether each builtin provider is configured, offline.
    pub fn status(&self) -> Vec<ProviderStatus> {
        let ctx = self.ctx();
        builtin_providers()
            .iter()
            .map(|p| ProviderStatus {
                provider: p.name(),
                detection: p.detect(&ctx),
            })
            .collect()
    }

    /// The builtin providers that are configured (Runhouse's `enabled_providers`).
    pub fn configured_providers(&self) -> Vec<&'static str> {
        self.status()
            .into_iter()
            .filter(|s| s.detection.configured)
            .map(|s| s.provider)
            .collect()
    }

    /// One provider's secrets: from its file when that has any, else from its env vars when all are set.
    pub fn load_provider(&self, name: &str) -> Result<Option<(ProviderSecrets, Source)>> {
        let provider = Self::provider(name)?;
        let ctx = self.ctx();
        if let Some(found) = provider.read_file(&ctx)?
            && !found.is_empty()
        {
            return Ok(Some((found, Source::File(provider.paths(&ctx)))));
        }
        if !provider.env_vars().is_empty()
            && let Ok(found) = provider.read_env(&ctx)
        {
            return Ok(Some((found, Source::Env(provider.env_vars().to_vec()))));
        }
        Ok(None)
    }

    /// One provider's secrets from a file at an explicit path (`~/` expands to the home directory).
    pub fn load_from_path(&self, name: &str, path: &str) -> Result<Option<ProviderSecrets>> {
        Self::provider(name)?.read_path(&self.paths.expand_tilde(path))
    }

    /// One provider's secrets from its env vars (all must be set).
    pub fn read_env(&self, name: &str) -> Result<ProviderSecrets> {
        Self::provider(name)?.read_env(&self.ctx())
    }

    /// Secrets of `providers` (default: the configured ones), from files or, with `from_env`, from env
    /// vars. Providers without secrets are left out. Nothing is sent anywhere.
    pub fn load(&self, providers: Option<&[String]>, from_env: bool) -> Result<SecretsMap> {
        let names: Vec<String> = match providers {
            Some(p) => p.to_vec(),
            None => self
                .configured_providers()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        };
        let ctx = self.ctx();
        let mut out = SecretsMap::new();
        for name in names {
            let provider = Self::provider(&name)?;
            let found = if from_env {
                Some(provider.read_env(&ctx)?)
            } else {
                provider.read_file(&ctx)?
            };
            if let Some(found) = found.filter(|f| !f.is_empty()) {
                out.insert(provider.name().to_owned(), found);
            }
        }
        Ok(out)
    }

    /// Writes each builtin provider's secrets into its own files, then records the paths under
    /// `secrets:` in `config.yaml`.
    ///
    /// Every provider is validated and every existing file parsed before the first write, so unknown
    /// providers, missing keys and malformed files stop the save with nothing written. Afterwards a
    /// provider that still is not detected as configured is warned about, as Runhouse did.
    pub fn save_provider_secrets(
        &self,
        secrets: &SecretsMap,
        options: SaveOptions,
    ) -> Result<SaveReport> {
        let ctx = self.ctx();
        let mut report = SaveReport::default();
        let mut chosen: Vec<(&'static dyn Provider, &ProviderSecrets)> = Vec::new();
        for (name, values) in secrets {
            if let Some(p) = builtin_provider(name) {
                chosen.push((p, values));
            } else {
                validate_custom_name(name)?;
                match options.custom {
                    CustomProviders::Reject => return Err(unknown(name)),
                    CustomProviders::Skip => report.skipped_custom.push(name.clone()),
                }
            }
        }
        chosen.sort_by_key(|(p, _)| order(p.name()));
        let mut plans = Vec::with_capacity(chosen.len());
        for (provider, values) in &chosen {
            plans.push((
                *provider,
                provider.plan_write(&ctx, values, options.write())?,
            ));
        }
        let mut config = Config::load(self.paths)?;
        let mut config_changed = false;
        let audit = self.audit_log();
        for (provider, mut plan) in plans {
            for w in std::mem::take(&mut plan.warnings) {
                tracing::warn!("{w}");
                report.warnings.push(w);
            }
            let record = plan.record.take();
            let applied = plan.apply(&audit, self.origin(), provider.name())?;
            if !applied.written.is_empty() {
                tracing::info!(
                    "Saved {} secrets to {}",
                    provider.name(),
                    applied
                        .written
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if let Some(record) = record {
                let record = merge_record(
                    provider.name(),
                    config.get_stored(&format!("secrets.{}", provider.name())),
                    record,
                );
                config.set_secret_path(provider.name(), record)?;
                config_changed = true;
            }
            report.saved.push((provider.name().to_owned(), applied));
        }
        if config_changed {
            config.save()?;
        }
        for (provider, _) in &chosen {
            if !provider.detect(&ctx).configured {
                report.undetected.push(provider.name().to_owned());
            }
        }
        if !report.undetected.is_empty() {
            tracing::warn!(
                "Received secrets [{}] which rh did not auto-detect as configured. Run `rh secrets status` to see what each provider is missing.",
                report.undetected.join(", ")
            );
        }
        Ok(report)
    }

    /// What deleting the local secrets of `providers` would change, checked before anything is done.
    ///
    /// A custom provider is accepted when `config.yaml` records it under `secrets:`; its recorded file
    /// is removed if it exists.
    pub fn plan_delete_local(&self, providers: &[String]) -> Result<Vec<DeletePlan>> {
        let ctx = self.ctx();
        let config = Config::load(self.paths)?;
        let mut out = Vec::new();
        for name in providers {
            let plan = if let Some(p) = builtin_provider(name) {
                let mut plan = p.plan_delete(&ctx)?;
                if let Some(Source::Env(vars)) = p.detect(&ctx).source {
                    plan.warn(format!(
                        "{} secrets also come from {}; unset them in your shell to remove them",
                        p.name(),
                        vars.join(", ")
                    ));
                }
                DeletePlan {
                    provider: p.name().to_owned(),
                    plan,
                }
            } else {
                validate_custom_name(name)?;
                let Some(recorded) = config.get_stored(&format!("secrets.{name}")) else {
                    return Err(Error::UnknownProvider {
                        name: name.clone(),
                        builtin: format!(
                            "{} (and `{name}` is not recorded under secrets in {})",
                            builtin_list(),
                            config.path().display()
                        ),
                    });
                };
                let mut plan = Plan::default();
                let path = recorded
                    .as_str()
                    .map(|p| self.paths.expand_tilde(p))
                    .filter(|p| fsio::check_file(p).unwrap_or(false));
                match path {
                    Some(p) => plan.remove(p),
                    None => plan.warn(format!(
                        "Unable to delete credentials file for {name}. Please delete the file manually."
                    )),
                }
                DeletePlan {
                    provider: name.clone(),
                    plan,
                }
            };
            out.push(plan);
        }
        Ok(out)
    }

    /// Carries out delete plans and drops each provider's `secrets.<provider>` entry.
    pub fn apply_delete_local(&self, plans: Vec<DeletePlan>) -> Result<Vec<DeleteReport>> {
        let mut config = Config::load(self.paths)?;
        let mut reports = Vec::new();
        let audit = self.audit_log();
        for DeletePlan { provider, mut plan } in plans {
            let warnings = std::mem::take(&mut plan.warnings);
            for w in &warnings {
                tracing::warn!("{w}");
            }
            let applied = plan.apply(&audit, self.origin(), &provider)?;
            for p in &applied.removed {
                tracing::info!(
                    "Deleted {provider} credentials file from path: {}",
                    p.display()
                );
            }
            for p in &applied.written {
                tracing::info!("Removed {provider} secrets from {}", p.display());
            }
            let forgot = config.remove_secret_path(&provider)?;
            reports.push(DeleteReport {
                provider,
                applied,
                warnings,
                forgot,
            });
        }
        if reports.iter().any(|r| r.forgot) {
            config.save()?;
        }
        Ok(reports)
    }

    /// Deletes the local secrets of `providers` (plan, then apply).
    pub fn delete_local(&self, providers: &[String]) -> Result<Vec<DeleteReport>> {
        let plans = self.plan_delete_local(providers)?;
        self.apply_delete_local(plans)
    }

    /// The files a provider uses, after env overrides.
    pub fn provider_paths(&self, name: &str) -> Result<Vec<PathBuf>> {
        Ok(Self::provider(name)?.paths(&self.ctx()))
    }
}

fn unknown(name: &str) -> Error {
    Error::UnknownProvider {
        name: name.to_owned(),
        builtin: builtin_list(),
    }
}

fn order(name: &str) -> usize {
    builtin_providers()
        .iter()
        .position(|p| p.name() == name)
        .unwrap_or(usize::MAX)
}

/// A custom provider name: letters, digits, `_`, `-`, `.`, starting with a letter or digit.
pub(crate) fn validate_custom_name(name: &str) -> Result<()> {
    let bad = |reason| Error::InvalidProviderName {
        name: name.to_owned(),
        reason,
    };
    let mut chars = name.chars();
    match chars.next() {
        None => return Err(bad("it is empty")),
        Some(c) if !c.is_ascii_alphanumeric() => {
            return Err(bad("it must start with a letter or digit"));
        }
        _ => {}
    }
    if name.len() > 64 {
        return Err(bad("it is longer than 64 characters"));
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(bad("only letters, digits, `_`, `-` and `.` are allowed"));
    }
    Ok(())
}

/// The new `secrets.<provider>` value: SSH key-name lists accumulate, anything else is replaced.
fn merge_record(provider: &str, old: Option<&Value>, new: Value) -> Value {
    match (provider, old, new) {
        ("ssh", Some(Value::Sequence(old)), Value::Sequence(new)) => {
            let mut merged = old.clone();
            for v in new {
                if !merged.contains(&v) {
                    merged.push(v);
                }
            }
            Value::Sequence(merged)
        }
        (_, _, new) => new,
    }
}
