//! `rh secrets providers|status|save|show|delete-local`: provider credentials on this machine; the Vault
//! subcommands (put, get, pull, push, update, delete, history, rollback, diff) live in `secrets_vault`,
//! the named secrets' (create, show NAME, ls, rm, write) and the audit log's (log) in `secrets_named`.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use rh_ops::Session;
use rh_ops::secrets::{self as ops, Provider, WriteOptions, builtin_providers, mask};
use rh_secrets::{Secrets, SecretsMap, Source, parse_provider_json, parse_secrets_json};
use secrecy::ExposeSecret;

use super::secrets_named as named;
use super::secrets_vault::{self as vault, PutSource};
use crate::context::Context;
use crate::printer;

#[derive(Debug, Subcommand)]
pub(crate) enum SecretsCommand {
    /// List the builtin providers, in Runhouse's order.
    Providers {
        /// Print JSON (name, keys, env vars, files) instead of one name per line.
        #[arg(long)]
        json: bool,
    },
    /// Show which providers are configured on this machine, from where, and why (offline).
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Save secrets into a provider's own credential files (keeping everything else in them).
    ///
    /// Values come from `key=value` arguments (`key=@FILE` reads the value from FILE), from
    /// `--from-json` (a `{key: value}` object for PROVIDER, or `{provider: {key: value}}` without
    /// PROVIDER), or from the provider's env vars with `--from-env`.
    Save {
        /// The provider (`rh secrets providers` lists them).
        provider: Option<String>,
        /// `key=value` pairs, e.g. `access_key=AKIA… secret_key=…`.
        #[arg(value_name = "KEY=VALUE", conflicts_with_all = ["from_json", "from_env"])]
        values: Vec<String>,
        /// Read the secrets from a JSON file, or from stdin with `-`.
        #[arg(long, value_name = "FILE|-", conflicts_with = "from_env")]
        from_json: Option<String>,
        /// Read the secrets from the provider's env vars (AWS_ACCESS_KEY_ID, …).
        #[arg(long)]
        from_env: bool,
        /// Replace an existing SSH or sky key that differs (the old file is kept as NAME.bak).
        #[arg(long)]
        force: bool,
        /// Make the saved kubernetes context kubectl's current-context (without it, only a
        /// kubeconfig that has none gets one).
        #[arg(long)]
        set_current_context: bool,
    },
    /// Print a provider's secrets, or a named secret's (`~/x`, `/alice/x`, --name), masked unless --reveal.
    ///
    /// A builtin provider name (`aws`, `openai`…) shows that provider's local files; an address or
    /// --name NAME shows a named secret (a bare name goes where bare resource names go).
    Show {
        /// The provider, or a named secret's address.
        #[arg(required_unless_present = "name", conflicts_with = "name")]
        provider: Option<String>,
        /// A named secret, even if its name is also a provider's.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Print the values themselves.
        #[arg(long)]
        reveal: bool,
        /// Print JSON instead of YAML.
        #[arg(long)]
        json: bool,
    },
    /// Create a named secret: `~/x` on this machine (~/.rh/secrets/x.json), `/alice/x` on rh-server.
    ///
    /// Values come from `key=value` arguments (`key=@FILE` reads a value from FILE), `@FILE` (a JSON
    /// object of values), `--from-file PATH` (the provider's own format, or a JSON object), or the
    /// provider's env vars (`--from-env`). An existing name is refused unless --overwrite.
    Create {
        /// The secret's name.
        name: String,
        /// Its provider (a builtin one gives it that provider's keys and files).
        #[arg(long, value_name = "P")]
        provider: Option<String>,
        /// `key=value` pairs, or one `@FILE` holding a JSON object.
        #[arg(value_name = "KEY=VALUE", conflicts_with_all = ["from_env", "from_file"])]
        values: Vec<String>,
        /// Read the provider's env vars.
        #[arg(long, requires = "provider", conflicts_with = "from_file")]
        from_env: bool,
        /// Read a file in the provider's format (a JSON object without a builtin provider).
        #[arg(long, value_name = "PATH")]
        from_file: Option<String>,
        /// Replace an existing secret of that name.
        #[arg(long)]
        overwrite: bool,
    },
    /// List named secrets (names, provider, owner, access; never values).
    Ls {
        /// `~` or `~/team` for this machine's, `/alice` for rh-server's (default: both when logged in).
        folder: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Delete a named secret.
    Rm {
        /// The secret's name.
        name: String,
    },
    /// Write a named secret's values into its provider's own files (by the provider's code), to a
    /// JSON file (--path), or to ~/.rh/secrets/NAME.env as `export` lines (--env).
    Write {
        /// The secret's name.
        name: String,
        /// Write a JSON object of the values here (secrets without a builtin provider).
        #[arg(long, value_name = "P", conflicts_with = "env")]
        path: Option<String>,
        /// Write `export VAR='value'` lines to ~/.rh/secrets/NAME.env.
        #[arg(long)]
        env: bool,
    },
    /// Show the local audit trail (~/.rh/audit.log): every credential file rh wrote or deleted here.
    Log {
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Remove what rh manages for PROVIDERs from their local credential files.
    DeleteLocal {
        /// The providers (builtin, or custom ones recorded under `secrets:` in config.yaml).
        #[arg(required = true)]
        providers: Vec<String>,
        /// Delete without asking; without it, rh only lists what it would change.
        #[arg(long, short)]
        yes: bool,
    },
    /// Upload one provider's secrets to Vault (a new version, check-and-set on the current one).
    ///
    /// Values come from `key=value` arguments (`key=@FILE` reads a value from FILE), `--file`, the
    /// provider's env vars (`--from-env`), or, with none of these, its configured local files. Custom
    /// providers (any other name) take `key=value` pairs or a `--file` holding a JSON object.
    Put {
        /// The provider: a builtin one or a custom name.
        provider: String,
        /// `key=value` pairs.
        #[arg(value_name = "KEY=VALUE", conflicts_with_all = ["file", "from_env"])]
        values: Vec<String>,
        /// Read the provider's env vars (AWS_ACCESS_KEY_ID, …).
        #[arg(long, conflicts_with = "file")]
        from_env: bool,
        /// Read a file in the provider's own format (a JSON object for custom providers).
        #[arg(long, value_name = "PATH")]
        file: Option<String>,
    },
    /// Print a provider's secrets from Vault, masked unless --reveal.
    Get {
        /// The provider.
        provider: String,
        /// Also write them into the provider's local files (builtin providers only).
        #[arg(long)]
        save: bool,
        /// Print the values themselves.
        #[arg(long)]
        reveal: bool,
        /// Print JSON instead of YAML.
        #[arg(long)]
        json: bool,
    },
    /// Download secrets from Vault into each builtin provider's local files; custom ones are printed
    /// masked. An existing, different SSH key is kept unless --force.
    Pull {
        /// The providers (default: every provider in Vault).
        providers: Vec<String>,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace an existing, different SSH or sky key (the old file is kept as NAME.bak).
        #[arg(long)]
        force: bool,
        /// Make the pulled kubernetes context kubectl's current-context (without it, only a
        /// kubeconfig that has none gets one).
        #[arg(long)]
        set_current_context: bool,
    },
    /// Upload the configured providers' local secrets to Vault, asking per provider unless --yes.
    Push {
        /// The providers (default: every configured builtin provider).
        providers: Vec<String>,
        /// Upload without asking.
        #[arg(long, short)]
        yes: bool,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Merge `key=value` pairs into a provider's secrets in Vault.
    Update {
        /// The provider.
        provider: String,
        /// `key=value` pairs.
        #[arg(value_name = "KEY=VALUE", required = true)]
        values: Vec<String>,
    },
    /// Delete providers' secrets from Vault and from this machine (both unless --local or --remote).
    Delete {
        /// The providers.
        #[arg(required = true)]
        providers: Vec<String>,
        /// Delete the local files only (with --remote: both).
        #[arg(long)]
        local: bool,
        /// Delete from Vault only (with --local: both).
        #[arg(long)]
        remote: bool,
        /// Delete without asking.
        #[arg(long, short)]
        yes: bool,
    },
    /// List the versions of a provider's secrets in Vault (metadata only, never values).
    History {
        /// The provider.
        provider: String,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Write an old version of a provider's secrets again as the newest one.
    Rollback {
        /// The provider.
        provider: String,
        /// The version to restore.
        #[arg(value_name = "VERSION")]
        to_version: u64,
    },
    /// Compare local secrets with Vault, key by key (same / differs / only local / only in Vault).
    Diff {
        /// The providers (default: the configured ones and every provider in Vault).
        providers: Vec<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn run(ctx: &Context, cmd: SecretsCommand) -> Result<ExitCode> {
    let session = &ctx.ops;
    match cmd {
        SecretsCommand::Providers { json } => providers(session, json)?,
        SecretsCommand::Status { json } => status(session, json)?,
        SecretsCommand::Save {
            provider,
            values,
            from_json,
            from_env,
            force,
            set_current_context,
        } => {
            let input = gather(session, provider, &values, from_json.as_deref(), from_env)?;
            let opts = WriteOptions {
                force,
                set_current_context,
            };
            let source = match (from_json.as_deref(), from_env) {
                (Some("-"), _) => "stdin".to_owned(),
                (Some(f), _) => format!("file {f}"),
                (None, true) => "env".to_owned(),
                (None, false) => "argv".to_owned(),
            };
            ops::save(session, &input, opts, &source)?;
        }
        SecretsCommand::Show {
            provider,
            name,
            reveal,
            json,
        } => match (provider, name) {
            (Some(p), None) if rh_secrets::builtin_provider(&p).is_some() => {
                show(session, &p, reveal, json)?;
            }
            (Some(n), _) | (None, Some(n)) => named::show(session, &n, reveal, json).await?,
            (None, None) => unreachable!("clap requires PROVIDER or --name"),
        },
        SecretsCommand::Create {
            name,
            provider,
            values,
            from_env,
            from_file,
            overwrite,
        } => {
            named::create(
                session,
                &name,
                provider.as_deref(),
                &values,
                from_env,
                from_file.as_deref(),
                overwrite,
            )
            .await?;
        }
        SecretsCommand::Ls { folder, json } => named::ls(session, folder.as_deref(), json).await?,
        SecretsCommand::Rm { name } => named::rm(session, &name).await?,
        SecretsCommand::Write { name, path, env } => {
            named::write(session, &name, path.as_deref(), env).await?;
        }
        SecretsCommand::Log { json } => named::log(session, json)?,
        SecretsCommand::DeleteLocal { providers, yes } => {
            let plans = ops::plan_delete_local(session, &providers)?;
            if !yes {
                let mut any = false;
                for p in &plans {
                    for path in p.plan.touched() {
                        any = true;
                        tracing::warn!("would change {} ({})", path.display(), p.provider);
                    }
                }
                if any {
                    bail!("nothing deleted; pass --yes to delete");
                }
            }
            ops::apply_delete_local(session, plans)?;
        }
        SecretsCommand::Put {
            provider,
            values,
            from_env,
            file,
        } => {
            let source = if from_env {
                PutSource::Env
            } else if let Some(path) = file.as_deref() {
                PutSource::File(path)
            } else if values.is_empty() {
                PutSource::Local
            } else {
                PutSource::Pairs(&values)
            };
            vault::put(&ctx.ops, &provider, source).await?;
        }
        SecretsCommand::Get {
            provider,
            save,
            reveal,
            json,
        } => vault::get(&ctx.ops, &provider, save, reveal, json).await?,
        SecretsCommand::Pull {
            providers,
            dry_run,
            force,
            set_current_context,
        } => {
            let opts = WriteOptions {
                force,
                set_current_context,
            };
            vault::pull(&ctx.ops, &providers, dry_run, opts).await?;
        }
        SecretsCommand::Push {
            providers,
            yes,
            dry_run,
        } => vault::push(&ctx.ops, &providers, yes, dry_run).await?,
        SecretsCommand::Update { provider, values } => {
            vault::update(&ctx.ops, &provider, &values).await?;
        }
        SecretsCommand::Delete {
            providers,
            local,
            remote,
            yes,
        } => vault::delete(&ctx.ops, &providers, local, remote, yes).await?,
        SecretsCommand::History { provider, json } => {
            vault::history(&ctx.ops, &provider, json).await?;
        }
        SecretsCommand::Rollback {
            provider,
            to_version,
        } => {
            vault::rollback(&ctx.ops, &provider, to_version).await?;
        }
        SecretsCommand::Diff { providers, json } => vault::diff(&ctx.ops, &providers, json).await?,
    }
    Ok(ExitCode::SUCCESS)
}

fn providers(session: &Session, json: bool) -> Result<()> {
    if !json {
        for p in builtin_providers() {
            printer::line(p.name())?;
        }
        return Ok(());
    }
    let list: Vec<serde_json::Value> = builtin_providers()
        .iter()
        .map(|p| {
            let paths = ops::provider_paths(session, p.name())
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>();
            serde_json::json!({
                "name": p.name(),
                "keys": p.keys(),
                "env_vars": p.env_vars(),
                "paths": paths,
            })
        })
        .collect();
    printer::json(&serde_json::Value::Array(list))?;
    Ok(())
}

fn status(session: &Session, json: bool) -> Result<()> {
    let all = ops::status(session);
    if json {
        let list: Vec<serde_json::Value> = all
            .iter()
            .map(|s| {
                let d = &s.detection;
                serde_json::json!({
                    "provider": s.provider,
                    "configured": d.configured,
                    "source": d.source.as_ref().map(Source::kind),
                    "locations": d.source.as_ref().map(Source::locations).unwrap_or_default(),
                    "reason": d.reason,
                })
            })
            .collect();
        printer::json(&serde_json::Value::Array(list))?;
        return Ok(());
    }
    printer::line(&format!(
        "{:<12} {:<11} {:<6} REASON",
        "PROVIDER", "CONFIGURED", "SOURCE"
    ))?;
    for s in &all {
        let d = &s.detection;
        printer::line(&format!(
            "{:<12} {:<11} {:<6} {}",
            s.provider,
            if d.configured { "yes" } else { "no" },
            d.source.as_ref().map_or("-", Source::kind),
            d.reason
        ))?;
    }
    Ok(())
}

/// Builds the `{provider: {key: value}}` input of `save` from the arguments.
fn gather(
    session: &Session,
    provider: Option<String>,
    values: &[String],
    from_json: Option<&str>,
    from_env: bool,
) -> Result<SecretsMap> {
    let mut out = SecretsMap::new();
    if let Some(source) = from_json {
        let (what, text) = read_input(source)?;
        match provider {
            Some(p) => {
                let p = Secrets::provider(&p)?;
                out.insert(p.name().to_owned(), parse_provider_json(&what, &text)?);
            }
            None => out = parse_secrets_json(&what, &text)?,
        }
        if out.is_empty() {
            bail!("{what} holds no providers");
        }
        return Ok(out);
    }
    let Some(provider) = provider else {
        bail!("name a provider (or pass --from-json with {{provider: {{key: value}}}})");
    };
    let p: &dyn Provider = Secrets::provider(&provider)?;
    let values = if from_env {
        ops::read_env(session, p.name())?
    } else {
        if values.is_empty() {
            bail!(
                "no values given for {}; pass KEY=VALUE pairs (keys: {}), --from-json or --from-env",
                p.name(),
                if p.keys().is_empty() {
                    "key file names".to_owned()
                } else {
                    p.keys().join(", ")
                }
            );
        }
        ops::parse_pairs(values)?
    };
    out.insert(p.name().to_owned(), values);
    Ok(out)
}

/// The text of `--from-json FILE|-` and how to name it in errors.
fn read_input(source: &str) -> Result<(String, String)> {
    if source == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read secrets from stdin")?;
        return Ok(("stdin".to_owned(), text));
    }
    let text = std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))?;
    Ok((source.to_owned(), text))
}

fn show(session: &Session, provider: &str, reveal: bool, json: bool) -> Result<()> {
    let (name, values, source) = ops::show(session, provider)?;
    let shown = |v: &secrecy::SecretString| {
        if reveal {
            v.expose_secret().to_owned()
        } else {
            mask(v.expose_secret())
        }
    };
    if json {
        let mut map = serde_json::Map::new();
        for (k, v) in values.iter() {
            map.insert(k.to_owned(), serde_json::Value::String(shown(v)));
        }
        printer::json(&serde_json::json!({
            "provider": name,
            "source": source.kind(),
            "locations": source.locations(),
            "values": map,
        }))?;
    } else {
        tracing::debug!(
            "{} secrets from {} {}",
            name,
            source.kind(),
            source.locations().join(", ")
        );
        let mut map = serde_yaml::Mapping::new();
        for (k, v) in values.iter() {
            map.insert(
                serde_yaml::Value::String(k.to_owned()),
                serde_yaml::Value::String(shown(v)),
            );
        }
        let text = serde_yaml::to_string(&map).context("cannot render the secrets")?;
        printer::bytes(text.as_bytes())?;
    }
    Ok(())
}
