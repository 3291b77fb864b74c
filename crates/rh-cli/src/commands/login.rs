//! `rh login` and `rh logout` (spec §2): flags, questions and the token prompt; the flows are
//! [`rh_ops::login`]'s.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use rh_ops::login::{self as ops, LoginChoices};
use secrecy::{ExposeSecret as _, SecretString};

use crate::context::Context;

#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "clap flags: each choice has a --x and a --no-x"
)]
pub(crate) struct LoginArgs {
    /// The account token (`rh-server user create` prints it). Read from the terminal without echo, or from
    /// stdin when piped, if not given.
    #[arg(value_name = "TOKEN", value_parser = crate::args::secret)]
    token_arg: Option<SecretString>,
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
    let settings = ctx.ops.settings()?;
    let token = match args
        .token_arg
        .clone()
        .or_else(|| ctx.ops.overrides().token.clone())
    {
        Some(t) if !t.expose_secret().trim().is_empty() => {
            SecretString::from(t.expose_secret().trim().to_owned())
        }
        Some(_) => bail!("the token is empty"),
        None => read_token(interactive, &settings.dashboard_url)?,
    };
    let mut download_config = choice(args.download_config, args.no_download_config);
    let mut download_secrets = choice(args.download_secrets, args.no_download_secrets);
    let mut upload_config = choice(args.upload_config, args.no_upload_config);
    let mut upload_secrets = choice(args.upload_secrets, args.no_upload_secrets);
    let explicit_secrets = download_secrets == Some(true) || upload_secrets == Some(true);
    // Validate the token before asking anything else.
    let checked = ops::check_token(&ctx.ops, token).await?;
    // The username comes from the server: escaped before it reaches the terminal.
    let shown_user = checked.shown_username();
    let url = checked.url().to_owned();
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
        if upload_config.is_none() && checked.config_exists() {
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
    let choices = LoginChoices {
        download_config: download_config.unwrap_or(args.yes),
        upload_config: upload_config.unwrap_or(false),
        download_secrets: download_secrets.unwrap_or(false),
        upload_secrets: upload_secrets.unwrap_or(false),
        explicit_secrets,
    };
    let done = ops::finish(&ctx.ops, checked, choices).await?;
    if done.secrets_ok && choices.download_secrets {
        crate::commands::secrets_vault::pull(
            &done.session,
            &[],
            false,
            rh_ops::secrets::WriteOptions::default(),
        )
        .await?;
    }
    if done.secrets_ok && choices.upload_secrets {
        crate::commands::secrets_vault::push(&done.session, &[], args.yes || !interactive, false)
            .await?;
    }
    tracing::info!("Logged in to {url} as {shown_user}.");
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn logout(ctx: &Context, args: &LogoutArgs) -> Result<ExitCode> {
    if args.revoke {
        // Before any local change: if the server refuses, nothing here is touched.
        ops::revoke(&ctx.ops).await?;
    }
    let interactive = !args.yes && std::io::stdin().is_terminal();
    // Local credentials files: only with the flag or a "yes"; SSH keys are never deleted.
    let mut delete = Vec::new();
    let mut forget = Vec::new();
    for provider in ops::recorded_providers(&ctx.ops)? {
        if ops::keeps_files(&provider) {
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
    ops::delete_secrets_files(&ctx.ops, &delete)?;
    let delete_config = args.delete_config
        || (interactive && ctx.ops.config()?.exists() && ask("Delete your local rh config file?")?);
    if delete_config {
        ops::delete_config(&ctx.ops)?;
    } else {
        ops::forget_login(&ctx.ops, &forget)?;
    }
    tracing::info!("Successfully logged out.");
    Ok(ExitCode::SUCCESS)
}
