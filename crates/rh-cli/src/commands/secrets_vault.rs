//! `rh secrets put|get|pull|push|update|delete|history|rollback|diff`: provider secrets in Vault.
//!
//! Every command is a thin layer over [`rh_secrets::store::SecretStore`] and [`rh_secrets::sync`]:
//! plans are computed (and checked) first, printed with `--dry-run`, applied with check-and-set.
//! Values are masked on stdout unless `--reveal`; logs and errors never hold one.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context as _, Result, bail};
use rh_secrets::store::SecretStore;
use rh_secrets::sync::{self, KeyState, PullAction, PushAction, PushItem};
use rh_secrets::{
    ProviderSecrets, SaveOptions, Secrets, SecretsMap, builtin_provider, mask, parse_provider_json,
};
use secrecy::{ExposeSecret, SecretString};

use crate::printer;
use rh_ops::Session;

/// Where `put` takes the values from.
pub(crate) enum PutSource<'a> {
    /// The provider's env vars.
    Env,
    /// A file in the provider's format (custom providers: a JSON object).
    File(&'a str),
    /// `key=value` pairs.
    Pairs(&'a [String]),
    /// The provider's configured local files.
    Local,
}

fn open(ctx: &Session) -> Result<Box<dyn SecretStore>> {
    Ok(ctx.secret_store()?)
}

fn log_requests(store: &dyn SecretStore) {
    if let Some(n) = store.requests() {
        tracing::debug!("made {n} requests to the secret store");
    }
}

fn check_name(name: &str) -> Result<String> {
    sync::check_provider_name(name)?;
    Ok(builtin_provider(name).map_or_else(|| name.to_owned(), |p| p.name().to_owned()))
}

pub(crate) async fn put(ctx: &Session, provider: &str, source: PutSource<'_>) -> Result<()> {
    let provider = check_name(provider)?;
    let secrets = ctx.secrets();
    let builtin = builtin_provider(&provider);
    let values = match (source, builtin) {
        (PutSource::Pairs(pairs), _) => super::secrets::parse_pairs(pairs)?,
        (PutSource::Env, Some(_)) => secrets.read_env(&provider)?,
        (PutSource::File(path), Some(_)) => secrets
            .load_from_path(&provider, path)?
            .filter(|s| !s.is_empty())
            .with_context(|| format!("no {provider} secrets in {path}"))?,
        (PutSource::File(path), None) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
            parse_provider_json(path, &text)?
        }
        (PutSource::Local, Some(_)) => match secrets.load_provider(&provider)? {
            Some((found, _)) => found,
            None => bail!(
                "No secrets dict found or provided for {provider}. Please make sure the credentials \
                 file exists in its default location, or give KEY=VALUE pairs"
            ),
        },
        (PutSource::Env | PutSource::Local, None) => bail!(
            "{provider} is a custom provider: give its values as KEY=VALUE pairs or --file JSON"
        ),
    };
    if let Some(p) = builtin {
        p.validate(&values)?;
    }
    if values.is_empty() {
        bail!("no values given for {provider}");
    }
    let store = open(ctx)?;
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
    Ok(())
}

fn shown(v: &SecretString, reveal: bool) -> String {
    if reveal {
        v.expose_secret().to_owned()
    } else {
        mask(v.expose_secret())
    }
}

fn print_values(values: &ProviderSecrets, reveal: bool) -> Result<()> {
    let mut map = serde_yaml::Mapping::new();
    for (k, v) in values.iter() {
        map.insert(
            serde_yaml::Value::String(k.to_owned()),
            serde_yaml::Value::String(shown(v, reveal)),
        );
    }
    let text = serde_yaml::to_string(&map).context("cannot render the secrets")?;
    printer::bytes(text.as_bytes())?;
    Ok(())
}

fn json_values(values: &ProviderSecrets, reveal: bool) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (k, v) in values.iter() {
        map.insert(k.to_owned(), serde_json::Value::String(shown(v, reveal)));
    }
    serde_json::Value::Object(map)
}

pub(crate) async fn get(
    ctx: &Session,
    provider: &str,
    save: bool,
    reveal: bool,
    json: bool,
) -> Result<()> {
    let provider = check_name(provider)?;
    let store = open(ctx)?;
    let Some((values, version)) = store.get(&provider).await? else {
        bail!(
            "No secrets found in Vault for {provider} (at {})",
            store.location(&provider)
        );
    };
    log_requests(store.as_ref());
    if save {
        if builtin_provider(&provider).is_some() {
            tracing::info!("Saving secrets for {provider} to local config");
            let mut map = SecretsMap::new();
            map.insert(provider.clone(), values.clone());
            ctx.secrets()
                .save_provider_secrets(&map, SaveOptions::default())?;
        } else {
            tracing::warn!(
                "{provider} is not a builtin provider: its secrets live in Vault only and were not saved locally"
            );
        }
    }
    if json {
        printer::json(&serde_json::json!({
            "provider": provider,
            "version": version,
            "location": store.location(&provider),
            "values": json_values(&values, reveal),
        }))?;
    } else {
        print_values(&values, reveal)?;
    }
    Ok(())
}

fn display_path(ctx: &Session, p: &std::path::Path) -> String {
    match p.strip_prefix(ctx.paths().home()) {
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => p.display().to_string(),
    }
}

pub(crate) async fn pull(
    ctx: &Session,
    providers: &[String],
    dry_run: bool,
    force: bool,
) -> Result<()> {
    let names = providers
        .iter()
        .map(|p| check_name(p))
        .collect::<Result<Vec<_>>>()?;
    let store = open(ctx)?;
    let secrets = ctx.secrets();
    tracing::info!("Getting secrets from Vault.");
    let plan = sync::plan_pull(
        store.as_ref(),
        &secrets,
        (!names.is_empty()).then_some(names.as_slice()),
        force,
    )
    .await?;
    log_requests(store.as_ref());
    if dry_run {
        if plan.is_empty() {
            printer::line("no secrets in Vault; nothing to pull")?;
        }
        for item in &plan {
            let head = format!("{} (Vault version {})", item.provider, item.version);
            match &item.action {
                PullAction::Unchanged => printer::line(&format!("{head}: unchanged"))?,
                PullAction::Custom => printer::line(&format!(
                    "{head}: custom provider, kept in Vault only (keys: {})",
                    item.secrets.keys().collect::<Vec<_>>().join(", ")
                ))?,
                PullAction::Write { files, skipped } => {
                    for f in files {
                        printer::line(&format!("{head}: write {}", display_path(ctx, f)))?;
                    }
                    for f in skipped {
                        printer::line(&format!("{head}: keep {}", display_path(ctx, f)))?;
                    }
                }
            }
            for w in &item.warnings {
                printer::line(&format!("{}: {w}", item.provider))?;
            }
        }
        printer::line("dry run: nothing changed")?;
        return Ok(());
    }
    let empty = plan.is_empty();
    let wrote = plan
        .iter()
        .any(|i| matches!(i.action, PullAction::Write { .. }));
    let (report, custom) = sync::apply_pull(&secrets, plan, force)?;
    if report.saved.iter().any(|(_, a)| !a.written.is_empty()) {
        tracing::info!("Saved secrets from Vault to local config files");
    } else if !wrote && !empty {
        tracing::info!("Local config files already match Vault");
    } else if empty {
        tracing::info!("No secrets found in Vault");
    }
    if !custom.is_empty() {
        let mut top = serde_yaml::Mapping::new();
        for (provider, values) in &custom {
            let mut map = serde_yaml::Mapping::new();
            for (k, v) in values.iter() {
                map.insert(
                    serde_yaml::Value::String(k.to_owned()),
                    serde_yaml::Value::String(mask(v.expose_secret())),
                );
            }
            top.insert(
                serde_yaml::Value::String(provider.clone()),
                serde_yaml::Value::Mapping(map),
            );
        }
        let text = serde_yaml::to_string(&top).context("cannot render the secrets")?;
        printer::bytes(text.as_bytes())?;
    }
    Ok(())
}

fn describe_push(item: &PushItem) -> String {
    let changes = |skip_same: bool| {
        item.diff
            .keys
            .iter()
            .filter(|(_, s)| !(skip_same && *s == KeyState::Same))
            .map(|(k, s)| {
                let what = match s {
                    KeyState::Same => "same",
                    KeyState::Differs => "changes",
                    KeyState::OnlyLocal => "added",
                    KeyState::OnlyRemote => "removed from Vault",
                };
                format!("{k} {what}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match item.action {
        PushAction::Create => format!(
            "{}: create version 1 ({})",
            item.provider,
            item.secrets.keys().collect::<Vec<_>>().join(", ")
        ),
        PushAction::Update => format!(
            "{}: update version {} -> {} ({})",
            item.provider,
            item.expected,
            item.expected + 1,
            changes(true)
        ),
        PushAction::Unchanged => {
            format!("{}: unchanged (version {})", item.provider, item.expected)
        }
    }
}

/// Asks a y/N question on the terminal; `None` when stdin is not a terminal.
fn confirm(question: &str) -> Result<Option<bool>> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let mut err = std::io::stderr();
    write!(err, "{question} [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(Some(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    )))
}

pub(crate) async fn push(
    ctx: &Session,
    providers: &[String],
    yes: bool,
    dry_run: bool,
) -> Result<()> {
    let secrets = ctx.secrets();
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
        bail!(
            "no provider secrets found on this machine; run `rh secrets status` to see what each provider is missing"
        );
    }
    let store = open(ctx)?;
    let mut plan = sync::plan_push(store.as_ref(), locals).await?;
    for item in &plan {
        if dry_run {
            printer::line(&describe_push(item))?;
        } else {
            tracing::debug!("{}", describe_push(item));
        }
    }
    if dry_run {
        printer::line("dry run: nothing changed")?;
        log_requests(store.as_ref());
        return Ok(());
    }
    let changing = plan
        .iter()
        .filter(|i| i.action != PushAction::Unchanged)
        .count();
    if changing == 0 {
        tracing::info!("Vault already holds these secrets; nothing to upload");
        log_requests(store.as_ref());
        return Ok(());
    }
    if !yes {
        let mut keep = Vec::new();
        for item in plan {
            if item.action == PushAction::Unchanged {
                continue;
            }
            match confirm(&format!("Upload secrets for {}?", item.provider))? {
                None => bail!(
                    "stdin is not a terminal: pass --yes to upload {changing} provider(s), or --dry-run to see the plan"
                ),
                Some(true) => keep.push(item),
                Some(false) => {}
            }
        }
        plan = keep;
    }
    let results = sync::apply_push(store.as_ref(), &plan).await;
    log_requests(store.as_ref());
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
        0 => Ok(()),
        1 => Err(failed.remove(0).into()),
        n => bail!(
            "{n} providers were not uploaded: {}",
            failed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

pub(crate) async fn update(ctx: &Session, provider: &str, pairs: &[String]) -> Result<()> {
    let provider = check_name(provider)?;
    let new = super::secrets::parse_pairs(pairs)?;
    let store = open(ctx)?;
    let Some((mut values, version)) = store.get(&provider).await? else {
        bail!(
            "No secrets found in Vault for {provider} (at {}); use `rh secrets put` first",
            store.location(&provider)
        );
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
    Ok(())
}

pub(crate) async fn delete(
    ctx: &Session,
    providers: &[String],
    local: bool,
    remote: bool,
    yes: bool,
) -> Result<()> {
    let (local, remote) = if local || remote {
        (local, remote)
    } else {
        (true, true)
    };
    let names = providers
        .iter()
        .map(|p| check_name(p))
        .collect::<Result<Vec<_>>>()?;
    let secrets = ctx.secrets();
    // Local plans first: a bad name or file stops everything before Vault is touched.
    let local_plans = if local {
        let config = ctx.config()?;
        let local_names: Vec<String> = names
            .iter()
            .filter(|n| {
                builtin_provider(n).is_some()
                    || !remote
                    || config.get_stored(&format!("secrets.{n}")).is_some()
            })
            .cloned()
            .collect();
        secrets.plan_delete_local(&local_names)?
    } else {
        Vec::new()
    };
    let store = if remote { Some(open(ctx)?) } else { None };
    if !yes {
        let mut what = Vec::new();
        if let Some(store) = &store {
            what.extend(names.iter().map(|n| store.location(n)));
        }
        for p in &local_plans {
            what.extend(p.plan.touched().iter().map(|f| display_path(ctx, f)));
        }
        match confirm(&format!("Delete {}?", what.join(", ")))? {
            None => bail!("nothing deleted; pass --yes to delete {}", what.join(", ")),
            Some(false) => bail!("nothing deleted"),
            Some(true) => {}
        }
    }
    if let Some(store) = &store {
        for name in &names {
            if store.delete(name).await? {
                tracing::info!("Deleted {name} secrets from Vault");
            } else {
                tracing::warn!("No secrets found in Vault for {name}");
            }
        }
        log_requests(store.as_ref());
    }
    if local {
        secrets.apply_delete_local(local_plans)?;
    }
    Ok(())
}

pub(crate) async fn history(ctx: &Session, provider: &str, json: bool) -> Result<()> {
    let provider = check_name(provider)?;
    let store = open(ctx)?;
    let versions = store.history(&provider).await?;
    log_requests(store.as_ref());
    if versions.is_empty() {
        bail!(
            "No secrets found in Vault for {provider} (at {})",
            store.location(&provider)
        );
    }
    if json {
        printer::json(&serde_json::to_value(&versions).context("cannot render the history")?)?;
        return Ok(());
    }
    printer::line(&format!(
        "{:<8} {:<32} {:<32} DESTROYED",
        "VERSION", "CREATED", "DELETED"
    ))?;
    for v in &versions {
        printer::line(&format!(
            "{:<8} {:<32} {:<32} {}",
            v.version,
            v.created_time,
            v.deletion_time.as_deref().unwrap_or("-"),
            if v.destroyed { "yes" } else { "no" }
        ))?;
    }
    Ok(())
}

pub(crate) async fn rollback(ctx: &Session, provider: &str, version: u64) -> Result<()> {
    let provider = check_name(provider)?;
    let store = open(ctx)?;
    let new = store.rollback(&provider, version).await?;
    log_requests(store.as_ref());
    tracing::info!("Rolled {provider} back to version {version}; it is now version {new}");
    Ok(())
}

pub(crate) async fn diff(ctx: &Session, providers: &[String], json: bool) -> Result<()> {
    let secrets = ctx.secrets();
    let store = open(ctx)?;
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
    if json {
        let list: Vec<serde_json::Value> = diffs
            .iter()
            .map(|d| {
                serde_json::json!({
                    "provider": d.provider,
                    "version": d.version,
                    "in_sync": d.in_sync(),
                    "keys": d.keys.iter().map(|(k, s)| serde_json::json!({"key": k, "state": s})).collect::<Vec<_>>(),
                })
            })
            .collect();
        printer::json(&serde_json::Value::Array(list))?;
        return Ok(());
    }
    printer::line(&format!("{:<14} {:<24} STATE", "PROVIDER", "KEY"))?;
    for d in &diffs {
        if d.keys.is_empty() {
            printer::line(&format!("{:<14} {:<24} no secrets", d.provider, "-"))?;
        }
        for (k, s) in &d.keys {
            printer::line(&format!("{:<14} {:<24} {}", d.provider, k, s.label()))?;
        }
    }
    Ok(())
}
