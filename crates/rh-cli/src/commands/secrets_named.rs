//! `rh secrets create|show NAME|ls|rm|write|log`: named secrets (`~/x` on this machine, `/alice/x` on
//! rh-server) and the local audit trail, over [`rh_ops::named`]. Values are masked unless `--reveal`.

use anyhow::{Context as _, Result, bail};
use rh_ops::Session;
use rh_ops::named::{self as ops, Target, Values};
use rh_ops::secrets::mask;
use secrecy::ExposeSecret as _;

use crate::printer;

/// `rh secrets create NAME [--provider P] (KEY=VALUE… | @FILE | --from-env | --from-file PATH) [--overwrite]`.
pub(crate) async fn create(
    session: &Session,
    name: &str,
    provider: Option<&str>,
    values: &[String],
    from_env: bool,
    from_file: Option<&str>,
    overwrite: bool,
) -> Result<()> {
    let source = match (values, from_env, from_file) {
        (_, true, _) => Values::Env,
        (_, _, Some(path)) => Values::File(path),
        ([one], false, None) if one.starts_with('@') && !one.contains('=') => {
            Values::Json(&one[1..])
        }
        ([], false, None) => bail!(
            "no values given for {name}; pass KEY=VALUE pairs, @FILE (a JSON object), --from-file PATH or --from-env"
        ),
        (pairs, false, None) => Values::Pairs(rh_ops::secrets::parse_pairs(pairs)?),
    };
    let created = ops::create(session, name, provider, source, overwrite).await?;
    tracing::debug!("{} is version {}", created.address, created.version);
    Ok(())
}

/// `rh secrets show NAME [--reveal] [--json]` for a named secret.
pub(crate) async fn show(session: &Session, name: &str, reveal: bool, json: bool) -> Result<()> {
    let shown = ops::show(session, name).await?;
    let value = |v: &secrecy::SecretString| {
        if reveal {
            v.expose_secret().to_owned()
        } else {
            mask(v.expose_secret())
        }
    };
    if json {
        let mut map = serde_json::Map::new();
        for (k, v) in shown.values.iter() {
            map.insert(k.to_owned(), serde_json::Value::String(value(v)));
        }
        printer::json(&serde_json::json!({
            "name": shown.address,
            "provider": shown.provider,
            "version": shown.version,
            "location": shown.location,
            "values": map,
        }))?;
        return Ok(());
    }
    tracing::debug!("{} from {}", shown.address, shown.location);
    let mut map = serde_yaml::Mapping::new();
    for (k, v) in shown.values.iter() {
        map.insert(
            serde_yaml::Value::String(k.to_owned()),
            serde_yaml::Value::String(value(v)),
        );
    }
    let text = serde_yaml::to_string(&map).context("cannot render the secret")?;
    printer::bytes(printer::clean_lines(&text).as_bytes())?;
    Ok(())
}

/// `rh secrets ls [FOLDER] [--json]`: names, provider, owner, access; never values.
pub(crate) async fn ls(session: &Session, folder: Option<&str>, json: bool) -> Result<()> {
    let infos = ops::list(session, folder).await?;
    if json {
        let list: Vec<serde_json::Value> = infos
            .iter()
            .map(|i| {
                serde_json::json!({
                    "name": i.name,
                    "provider": i.provider,
                    "owner": i.owner,
                    "access": i.access.as_str(),
                    "version": i.version,
                })
            })
            .collect();
        printer::json(&serde_json::Value::Array(list))?;
        return Ok(());
    }
    printer::line(&format!(
        "{:<32} {:<12} {:<16} ACCESS",
        "NAME", "PROVIDER", "OWNER"
    ))?;
    for i in &infos {
        printer::line(&format!(
            "{:<32} {:<12} {:<16} {}",
            printer::clean(&i.name),
            printer::clean(i.provider.as_deref().unwrap_or("-")),
            printer::clean(&i.owner),
            i.access.as_str()
        ))?;
    }
    Ok(())
}

/// `rh secrets rm NAME`.
pub(crate) async fn rm(session: &Session, name: &str) -> Result<()> {
    ops::remove(session, name).await?;
    Ok(())
}

/// `rh secrets write NAME [--path P | --env]`.
pub(crate) async fn write(
    session: &Session,
    name: &str,
    path: Option<&str>,
    env: bool,
) -> Result<()> {
    let target = match (path, env) {
        (Some(p), _) => Target::Path(p),
        (None, true) => Target::EnvFile,
        (None, false) => Target::ProviderFiles,
    };
    let written = ops::write(session, name, target).await?;
    for f in &written.files {
        tracing::info!("Wrote {} to {}", written.address, f.display());
    }
    if env && let Some(f) = written.files.first() {
        tracing::info!("Run `source {}` to set its variables", f.display());
    }
    Ok(())
}

/// `rh secrets log [--json]`: the local audit trail.
pub(crate) fn log(session: &Session, json: bool) -> Result<()> {
    let entries = ops::log(session)?;
    if json {
        printer::json(&serde_json::to_value(&entries).context("cannot render the audit log")?)?;
        return Ok(());
    }
    for e in &entries {
        let what = e
            .secret
            .as_deref()
            .map_or_else(|| e.provider.clone(), |s| format!("{s} ({})", e.provider));
        printer::line(&format!(
            "{}  {:<24} {:<6} {:<24} {}  from {}",
            e.time, e.command, e.action, what, e.file, e.source
        ))?;
    }
    Ok(())
}
