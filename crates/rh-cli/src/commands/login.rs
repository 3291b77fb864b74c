//! `rh login` and `rh logout` (spec §2), and the rh-server client every remote command builds.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use rh_config::{Config, parse_value};
use rh_rns::remote::RemoteRns;
use rh_secrets::Secrets;
use secrecy::{ExposeSecret as _, SecretString};
use serde_yaml::{Mapping, Value as Yaml};

use crate::context::Context;
use crate::printer;

#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "clap flags: each choice has a --x and a --no-x"
)]
pub(crate) struct LoginArgs {
    /// The account token (`rh-server user create` prints it). Read from the terminal without echo, or from
    /// stdin when piped, if not given.
    #[arg(value_name = "TOKEN")]
    token_arg: Option<String>,
    /// Do not prompt: every choice not given by a flag takes its safe default. Download config: yes (only
    /// user defaults are merged). Upload config, download secrets, upload secrets: no (each needs its flag:
    /// `--upload-secrets` is the only way a non-interactive login sends SSH keys or credentials anywhere).
    #[arg(short, long)]
    yes: bool,
    /// Merge the account's config from rh-server into config.yaml (server values win).
    #[arg(long, overrides_with = "no_download_config")]
    download_config: bool,
    /// Do not download the account's config.
    #[arg(long)]
    no_download_config: bool,
    /// Upload config.yaml (without token, username and secrets) as the account's config.
    #[arg(long, overrides_with = "no_upload_config")]
    upload_config: bool,
    /// Do not upload config.yaml.
    #[arg(long)]
    no_upload_config: bool,
    /// Download secrets from the secret store into each provider's local files (`rh secrets pull`).
    #[arg(long, overrides_with = "no_download_secrets")]
    download_secrets: bool,
    /// Do not download secrets.
    #[arg(long)]
    no_download_secrets: bool,
    /// Upload the configured providers' local secrets to the secret store (`rh secrets push`).
    #[arg(long, overrides_with = "no_upload_secrets")]
    upload_secrets: bool,
    /// Do not upload secrets.
    #[arg(long)]
    no_upload_secrets: bool,
}

#[derive(Debug, Args)]
#[expect(clippy::struct_excessive_bools, reason = "clap flags, one per choice")]
pub(crate) struct LogoutArgs {
    /// Also delete ~/.rh/config.yaml.
    #[arg(long)]
    delete_config: bool,
    /// Also delete the local credentials files of the providers recorded under `secrets:` (never SSH keys).
    #[arg(long)]
    delete_secrets_files: bool,
    /// Do not prompt; only what the flags say is deleted.
    #[arg(short, long)]
    yes: bool,
    /// First revoke the token on rh-server, so it stops working everywhere (needs the server).
    #[arg(long)]
    revoke: bool,
}

fn choice(yes: bool, no: bool) -> Option<bool> {
    match (yes, no) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// The rh-server client for the logged-in account; `None` when there is no token.
pub(crate) fn client(ctx: &Context) -> Result<Option<RemoteRns>> {
    let settings = ctx.settings()?;
    match settings.token {
        Some(token) => Ok(Some(RemoteRns::new(&settings.api_server_url, token)?)),
        None => Ok(None),
    }
}

/// The rh-server client, or an error saying how to log in.
pub(crate) fn require_client(ctx: &Context) -> Result<RemoteRns> {
    match client(ctx)? {
        Some(c) => Ok(c),
        None => bail!("not logged in: run `rh login` (or set RH_TOKEN) first"),
    }
}

/// A downloaded config value, typed: strings like `True`, `-1` or `30` become bools and numbers, as the
/// original client's literal parser did.
fn typed(value: &serde_json::Value) -> Result<Yaml> {
    Ok(match value {
        serde_json::Value::String(s) => match s.as_str() {
            "True" => Yaml::Bool(true),
            "False" => Yaml::Bool(false),
            "None" => Yaml::Null,
            _ => parse_value(s),
        },
        other => serde_yaml::to_value(other).context("cannot convert a downloaded config value")?,
    })
}

/// Merges the account's stored config into `config` (server values win), with `username` and
/// `default_folder`. Only user defaults ([`rh_config::ACCOUNT_KEYS`]) are taken: any other key (an endpoint
/// such as `api_server_url` or `vault_addr`, a credential, an unknown key) is skipped with a warning naming
/// it, so an account's config cannot repoint this machine. Returns how many keys came from the server.
pub(crate) fn merge_downloaded(
    config: &mut Config,
    username: &str,
    downloaded: &serde_json::Map<String, serde_json::Value>,
) -> Result<usize> {
    let mut values = Mapping::new();
    let mut skipped = Vec::new();
    for (k, v) in downloaded {
        if !rh_config::is_account_key(k) {
            skipped.push(printer::clean(k).into_owned());
            continue;
        }
        values.insert(Yaml::String(k.clone()), typed(v)?);
    }
    if !skipped.is_empty() {
        tracing::warn!(
            "Skipped {} downloaded config key(s) that only this machine sets: {} (an account's config holds \
             only user defaults: {})",
            skipped.len(),
            skipped.join(", "),
            rh_config::ACCOUNT_KEYS.join(", ")
        );
    }
    let n = values.len();
    config.set_many(&values);
    config.set("username", Yaml::String(username.to_owned()))?;
    let folder = config.get_str("default_folder");
    if folder.as_deref().is_none_or(|f| f.is_empty() || f == "~") {
        config.set("default_folder", Yaml::String(format!("/{username}")))?;
    }
    Ok(n)
}

/// The config `rh config upload` and `rh login --upload-config` send: only the user defaults
/// ([`Config::upload_view`]).
pub(crate) fn upload_view(config: &Config) -> Result<serde_json::Map<String, serde_json::Value>> {
    let kept = config.kept_local();
    if !kept.is_empty() {
        tracing::debug!(
            "not uploaded (they stay on this machine): {}",
            printer::clean(&kept.join(", "))
        );
    }
    match serde_json::to_value(config.upload_view())
        .with_context(|| format!("{} cannot be sent as JSON", config.path().display()))?
    {
        serde_json::Value::Object(m) => Ok(m),
        _ => unreachable!("a mapping serialises to an object"),
    }
}

/// Asks a y/N question on stderr and reads the answer from the terminal.
fn ask(question: &str) -> Result<bool> {
    let mut err = std::io::stderr();
    write!(err, "{question} [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Reads the token: from the terminal without echo, or the first line of piped stdin.
fn read_token(interactive: bool, dashboard: &str) -> Result<SecretString> {
    let stdin = std::io::stdin();
    let mut line = String::new();
    if interactive {
        let mut err = std::io::stderr();
        writeln!(
            err,
            "Paste your rh-server token (`rh-server user create` prints it; see {dashboard})."
        )?;
        write!(err, "Token: ")?;
        err.flush()?;
        let saved = rustix::termios::tcgetattr(&stdin).ok();
        if let Some(t) = &saved {
            let mut quiet = t.clone();
            quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
            let _ =
                rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &quiet);
        }
        let read = stdin.lock().read_line(&mut line);
        if let Some(t) = &saved {
            let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, t);
        }
        writeln!(err)?;
        read.context("cannot read the token")?;
    } else {
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the token from stdin")?;
    }
    let token = line.trim().to_owned();
    if token.is_empty() {
        bail!("no token given: pass it as an argument, pipe it on stdin, or type it when asked");
    }
    Ok(SecretString::from(token))
}

pub(crate) async fn login(ctx: &Context, args: LoginArgs) -> Result<ExitCode> {
    let interactive = !args.yes && std::io::stdin().is_terminal();
    let config = ctx.config()?;
    let settings = config.resolve(ctx.env.as_ref(), &ctx.overrides);
    let url = settings.api_server_url.clone();
    let token = match args
        .token_arg
        .clone()
        .or_else(|| ctx.overrides.token.clone())
    {
        Some(t) if !t.trim().is_empty() => SecretString::from(t.trim().to_owned()),
        Some(_) => bail!("the token is empty"),
        None => read_token(interactive, &settings.dashboard_url)?,
    };
    let mut download_config = choice(args.download_config, args.no_download_config);
    let mut download_secrets = choice(args.download_secrets, args.no_download_secrets);
    let mut upload_config = choice(args.upload_config, args.no_upload_config);
    let mut upload_secrets = choice(args.upload_secrets, args.no_upload_secrets);
    let explicit_secrets = download_secrets == Some(true) || upload_secrets == Some(true);
    // Validate the token before asking anything else.
    let client = RemoteRns::new(&url, token.clone())?;
    let user = client.user().await?;
    // The username comes from the server: escaped before it reaches the terminal.
    let shown_user = printer::clean(&user.username).into_owned();
    tracing::info!("Token is valid for {shown_user} at {url}");
    if interactive {
        if download_config.is_none() {
            download_config = Some(ask(
                "Download your config from rh-server to ~/.rh/config.yaml?",
            )?);
        }
        if download_secrets.is_none() {
            download_secrets = Some(ask(
                "Download secrets from your secret store to this machine?",
            )?);
        }
        if upload_config.is_none() && config.exists() {
            upload_config = Some(ask("Upload your local config to rh-server?")?);
        }
        if upload_secrets.is_none() {
            upload_secrets = Some(ask(
                "Upload your local provider secrets to your secret store?",
            )?);
        }
    }
    // Unanswered choices take their safe defaults: `--yes` downloads the account's user defaults and
    // changes nothing else; without `--yes` (piped stdin) nothing happens that no flag asked for.
    let download_config = download_config.unwrap_or(args.yes);
    let upload_config = upload_config.unwrap_or(false);
    let download_secrets = download_secrets.unwrap_or(false);
    let upload_secrets = upload_secrets.unwrap_or(false);

    // Secrets at login go through the server being logged into (its URL and this token), never an
    // older token's server or `VAULT_ADDR`. Checked before anything is written: an explicit request must
    // be possible.
    let login_ctx = ctx.logged_in(&url, &token);
    let store_ok = if download_secrets || upload_secrets {
        match check_store(&login_ctx).await {
            Ok(()) => true,
            Err(e) if explicit_secrets => return Err(e),
            Err(e) => {
                tracing::warn!("Skipping secrets: {e:#}");
                false
            }
        }
    } else {
        false
    };

    if upload_config {
        client.put_config(&upload_view(&config)?).await?;
        tracing::info!("Uploaded {} to rh-server", config.path().display());
    }
    let mut config = config;
    if download_config {
        let n = merge_downloaded(&mut config, &user.username, &user.config)?;
        tracing::info!("Downloaded {n} config value(s) from rh-server");
    }
    config.set("token", Yaml::String(token.expose_secret().to_owned()))?;
    config.set("username", Yaml::String(user.username.clone()))?;
    // A folder stored on the account (`/org/team`) wins over `/<username>` when the config was downloaded.
    let account_folder = download_config
        && user
            .config
            .get("default_folder")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|f| !f.is_empty() && f != "~");
    if !account_folder {
        config.set(
            "default_folder",
            Yaml::String(format!("/{}", user.username)),
        )?;
    }
    if let Some(given) = &ctx.overrides.api_server_url {
        config.set(
            "api_server_url",
            Yaml::String(given.trim_end_matches('/').to_owned()),
        )?;
    }
    config.save()?;
    tracing::info!("Saved your token to {}", config.path().display());

    if store_ok && download_secrets {
        crate::commands::secrets_vault::pull(&login_ctx, &[], false, false).await?;
    }
    if store_ok && upload_secrets {
        crate::commands::secrets_vault::push(&login_ctx, &[], args.yes || !interactive, false)
            .await?;
    }
    tracing::info!("Logged in to {url} as {shown_user}.");
    Ok(ExitCode::SUCCESS)
}

/// Opens the secret store the login's context sees (rh-server's Vault proxy) and asks it for its
/// providers, so a server without a Vault is found before anything is written.
async fn check_store(ctx: &Context) -> Result<()> {
    let store = crate::store::open(ctx)?;
    store.list().await?;
    Ok(())
}

pub(crate) async fn logout(ctx: &Context, args: &LogoutArgs) -> Result<ExitCode> {
    if args.revoke {
        // Before any local change: if the server refuses, nothing here is touched.
        let Some(remote) = client(ctx)? else {
            bail!("not logged in: there is no token to revoke");
        };
        remote.revoke_token().await?;
        tracing::info!("Revoked your token on {}", remote.base_url());
    }
    let interactive = !args.yes && std::io::stdin().is_terminal();
    let config = ctx.config()?;
    // Local credentials files: only with the flag or a "yes"; SSH keys are never deleted.
    let secrets = Secrets::new(&ctx.paths, ctx.env.as_ref());
    let mut delete = Vec::new();
    let mut forget = Vec::new();
    for (k, _) in config.secrets_map() {
        let Some(provider) = k.as_str().map(str::to_owned) else {
            continue;
        };
        if provider == "ssh" {
            tracing::info!("Keeping the SSH keys: rh never deletes them (remove them by hand)");
            continue;
        }
        let yes = args.delete_secrets_files
            || (interactive && ask(&format!("Delete credentials file for {provider}?"))?);
        if yes {
            delete.push(provider);
        } else {
            forget.push(provider);
        }
    }
    if !delete.is_empty() {
        secrets.delete_local(&delete)?;
    }
    let mut config = ctx.config()?;
    for provider in &forget {
        config.remove_secret_path(provider)?;
    }
    let delete_config = args.delete_config
        || (interactive && config.exists() && ask("Delete your local rh config file?")?);
    if delete_config {
        config.delete_file()?;
        tracing::info!(
            "Deleted rh config file from path: {}",
            config.path().display()
        );
    } else {
        let mut changed = !forget.is_empty();
        for key in ["token", "username", "default_folder"] {
            changed |= config.unset(key)?;
        }
        if changed {
            config.save()?;
        }
    }
    tracing::info!("Successfully logged out.");
    Ok(ExitCode::SUCCESS)
}
