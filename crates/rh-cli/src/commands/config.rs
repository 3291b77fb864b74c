//! `rh config get|set|unset|list|path`.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use rh_config::{is_secret_key, render_value};
use rh_ops::config as ops;
use rh_secrets::mask::{MASK, mask, masked_json};
use serde_yaml::Value;

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
    let session = &ctx.ops;
    match cmd {
        ConfigCommand::Get { key, show_secrets } => {
            let value = ops::get(session, &key)?;
            printer::line(&printer::clean(&shown(&key, &value, show_secrets)))?;
        }
        ConfigCommand::Set { key, value } => ops::set(session, &key, &value)?,
        ConfigCommand::Unset { key } => {
            ops::unset(session, &key)?;
        }
        ConfigCommand::List { json, show_secrets } => {
            let entries = ops::list(session)?;
            if json {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    let v = serde_json::to_value(&v)?;
                    let v = if is_secret_key(&k) && !show_secrets {
                        masked_json(&v)
                    } else {
                        v
                    };
                    map.insert(k, v);
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
            printer::line(&session.paths().config_file().display().to_string())?;
        }
        ConfigCommand::Upload => {
            ops::upload(session).await?;
        }
        ConfigCommand::Download => {
            ops::download(session).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn shown(key: &str, value: &Value, show_secrets: bool) -> String {
    if !is_secret_key(key) || show_secrets {
        return render_value(value);
    }
    match value {
        Value::Null => "null".to_owned(),
        Value::String(s) => mask(s),
        _ => MASK.to_owned(),
    }
}
