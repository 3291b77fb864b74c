//! `rh config get|set|unset|list|path`.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Subcommand;
use rh_config::{EnvVars, is_secret_key, render_value};
use serde_yaml::Value;

use crate::commands::login;
use crate::context::Context;
use crate::printer;

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print the effective value of KEY (stored, else env override, else default).
    Get {
        /// The key; nested keys use dots (`secrets.aws`).
        key: String,
        /// Print secret values (the token) instead of a mask.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Store VALUE under KEY, typed as YAML (`true`, `30`, `cheapest`, `[a, b]`).
    Set {
        /// The key; nested keys use dots.
        key: String,
        /// The value.
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Remove KEY from the file (its default applies again).
    Unset {
        /// The key; nested keys use dots.
        key: String,
    },
    /// Print every key with its effective value.
    #[command(alias = "ls")]
    List {
        /// Print a JSON object instead of `key: value` lines.
        #[arg(long)]
        json: bool,
        /// Print secret values (the token) instead of a mask.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Print the path of config.yaml.
    Path,
    /// Store config.yaml on rh-server as your account's config (without token, username and secrets).
    Upload,
    /// Merge your account's config from rh-server into config.yaml (server values win, typed).
    Download,
}

pub(crate) async fn run(ctx: &Context, cmd: ConfigCommand) -> Result<ExitCode> {
    match cmd {
        ConfigCommand::Get { key, show_secrets } => {
            let config = ctx.config()?;
            let value = env_override(ctx, &key).or_else(|| config.get(&key));
            let Some(value) = value else {
                bail!(
                    "config key `{key}` is not set in {}",
                    config.path().display()
                );
            };
            printer::line(&printer::clean(&shown(&key, &value, show_secrets)))?;
        }
        ConfigCommand::Set { key, value } => {
            let mut config = ctx.config()?;
            config.set_str(&key, &value)?;
            config.save()?;
            tracing::debug!("saved {key} to {}", config.path().display());
        }
        ConfigCommand::Unset { key } => {
            let mut config = ctx.config()?;
            if config.unset(&key)? {
                config.save()?;
            } else {
                tracing::warn!("{key} was not set in {}", config.path().display());
            }
        }
        ConfigCommand::List { json, show_secrets } => {
            let config = ctx.config()?;
            let entries = config.entries();
            if json {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    let v = if is_secret_key(&k) && !show_secrets {
                        Value::String(mask(&v))
                    } else {
                        v
                    };
                    map.insert(k, serde_json::to_value(&v)?);
                }
                printer::json(&serde_json::Value::Object(map))?;
            } else {
                for (k, v) in entries {
                    printer::line(&printer::clean(&format!(
                        "{k}: {}",
                        shown(&k, &v, show_secrets)
                    )))?;
                }
            }
        }
        ConfigCommand::Path => {
            printer::line(&ctx.paths.config_file().display().to_string())?;
        }
        ConfigCommand::Upload => {
            let client = login::require_client(ctx)?;
            let config = ctx.config()?;
            let view = login::upload_view(&config)?;
            client.put_config(&view).await?;
            tracing::info!(
                "Uploaded {} key(s) from {} to {}",
                view.len(),
                config.path().display(),
                client.base_url()
            );
        }
        ConfigCommand::Download => {
            let client = login::require_client(ctx)?;
            let user = client.user().await?;
            let mut config = ctx.config()?;
            let n = login::merge_downloaded(&mut config, &user.username, &user.config)?;
            config.save()?;
            tracing::info!(
                "Downloaded {n} key(s) from {} into {}",
                client.base_url(),
                config.path().display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Env variables that override a stored key, so `get` prints what rh will actually use.
fn env_override(ctx: &Context, key: &str) -> Option<Value> {
    let (flag, var) = match key {
        "token" => (&ctx.overrides.token, EnvVars::RH_TOKEN),
        "username" => (&ctx.overrides.username, EnvVars::RH_USERNAME),
        "api_server_url" => (&ctx.overrides.api_server_url, EnvVars::RH_API_SERVER_URL),
        _ => return None,
    };
    flag.clone()
        .or_else(|| ctx.env.non_empty(var))
        .map(Value::String)
}

fn shown(key: &str, value: &Value, show_secrets: bool) -> String {
    if is_secret_key(key) && !show_secrets {
        mask(value)
    } else {
        render_value(value)
    }
}

/// A fixed-width mask: the length of a token says nothing useful and could help guess it.
fn mask(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        _ => "********".to_owned(),
    }
}
