//! `rh secrets put|get|pull|push|update|delete|history|rollback|diff`: provider secrets in Vault.
//!
//! Every command is a thin layer over [`rh_ops::secrets`]: plans are computed (and checked) first,
//! printed with `--dry-run` or confirmed here, applied with check-and-set.
//! Values are masked on stdout unless `--reveal`; logs and errors never hold one.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context as _, Result, bail};
use rh_ops::Session;
use rh_ops::secrets::{self as ops, mask};
use rh_secrets::ProviderSecrets;
use rh_secrets::sync::{KeyState, PullAction, PushAction, PushItem};
use secrecy::{ExposeSecret, SecretString};

use crate::printer;

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

pub(crate) async fn put(ctx: &Session, provider: &str, source: PutSource<'_>) -> Result<()> {
    let source = match source {
        PutSource::Env => ops::PutSource::Env,
        PutSource::File(path) => ops::PutSource::File(path),
        PutSource::Pairs(pairs) => ops::PutSource::Values(ops::parse_pairs(pairs)?),
        PutSource::Local => ops::PutSource::Local,
    };
    ops::put(ctx, provider, source).await?;
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
    let got = ops::get(ctx, provider, save).await?;
    if json {
        printer::json(&serde_json::json!({
            "provider": got.provider,
            "version": got.version,
            "location": got.location,
            "values": json_values(&got.values, reveal),
        }))?;
    } else {
        print_values(&got.values, reveal)?;
    }
    Ok(())
}

pub(crate) async fn pull(
    ctx: &Session,
    providers: &[String],
    dry_run: bool,
    opts: ops::WriteOptions,
) -> Result<()> {
    let plan = ops::plan_pull(ctx, providers, opts).await?;
    if dry_run {
        if plan.items.is_empty() {
            printer::line("no secrets in Vault; nothing to pull")?;
        }
        for item in &plan.items {
            let head = format!("{} (Vault version {})", item.provider, item.version);
            match &item.action {
                PullAction::Unchanged => printer::line(&format!("{head}: unchanged"))?,
                PullAction::Custom => printer::line(&format!(
                    "{head}: custom provider, kept in Vault only (keys: {})",
                    item.secrets.keys().collect::<Vec<_>>().join(", ")
                ))?,
                PullAction::Write { files, skipped } => {
                    for f in files {
                        printer::line(&format!("{head}: write {}", ops::display_path(ctx, f)))?;
                    }
                    for f in skipped {
                        printer::line(&format!("{head}: keep {}", ops::display_path(ctx, f)))?;
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
    let custom = plan.apply(ctx)?;
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
    let mut plan = ops::plan_push(ctx, providers).await?;
    for item in &plan.items {
        if dry_run {
            printer::line(&describe_push(item))?;
        } else {
            tracing::debug!("{}", describe_push(item));
        }
    }
    if dry_run {
        printer::line("dry run: nothing changed")?;
        plan.finish_unapplied();
        return Ok(());
    }
    let changing = plan.changing();
    if changing == 0 {
        tracing::info!("Vault already holds these secrets; nothing to upload");
        plan.finish_unapplied();
        return Ok(());
    }
    if !yes {
        let mut keep = Vec::new();
        for item in std::mem::take(&mut plan.items) {
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
        plan.items = keep;
    }
    plan.apply().await?;
    Ok(())
}

pub(crate) async fn update(ctx: &Session, provider: &str, pairs: &[String]) -> Result<()> {
    let new = ops::parse_pairs(pairs)?;
    ops::update(ctx, provider, &new).await?;
    Ok(())
}

pub(crate) async fn delete(
    ctx: &Session,
    providers: &[String],
    local: bool,
    remote: bool,
    yes: bool,
) -> Result<()> {
    let plan = ops::plan_delete(ctx, providers, local, remote)?;
    if !yes {
        let what = plan.targets(ctx);
        match confirm(&format!("Delete {}?", what.join(", ")))? {
            None => bail!("nothing deleted; pass --yes to delete {}", what.join(", ")),
            Some(false) => bail!("nothing deleted"),
            Some(true) => {}
        }
    }
    plan.apply(ctx).await?;
    Ok(())
}

pub(crate) async fn history(ctx: &Session, provider: &str, json: bool) -> Result<()> {
    let versions = ops::history(ctx, provider).await?;
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
    ops::rollback(ctx, provider, version).await?;
    Ok(())
}

pub(crate) async fn diff(ctx: &Session, providers: &[String], json: bool) -> Result<()> {
    let diffs = ops::diff(ctx, providers).await?;
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
