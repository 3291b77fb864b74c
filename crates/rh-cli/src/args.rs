//! Command-line arguments (clap types only; logic lives in `commands`).

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

use crate::commands::blob::BlobCommand;
use crate::commands::config::ConfigCommand;
use crate::commands::login::{LoginArgs, LogoutArgs};
use crate::commands::resource::{ClusterCommand, ResourceCommand};
use crate::commands::run::RunArgs;
use crate::commands::secrets::SecretsCommand;

/// rh: keep, sync and share cloud credentials, settings and named resources.
#[derive(Debug, Parser)]
#[command(
    name = "rh",
    version,
    about,
    propagate_version = true,
    max_term_width = 100
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// More log output on stderr (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Less log output on stderr (-q warnings only, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub(crate) quiet: u8,
    /// Account token, overriding RH_TOKEN and config.yaml.
    #[arg(long, global = true, hide_env_values = true, value_name = "TOKEN", value_parser = secret)]
    pub(crate) token: Option<SecretString>,
    /// Account name, overriding RH_USERNAME and config.yaml.
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) username: Option<String>,
    /// rh-server URL, overriding RH_API_SERVER_URL and config.yaml.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) api_server_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Read and change ~/.rh/config.yaml, and upload or download it to rh-server.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Log in to rh-server: check the token, store it with your username and default folder.
    Login(LoginArgs),
    /// Log out: forget the token, username and default folder (optionally the config and secrets files).
    Logout(LogoutArgs),
    /// Run a command with provider secrets in its environment, its output redacted.
    Run(RunArgs),
    /// Provider credentials: on this machine (status, save, show) and in Vault (put, get, pull, push, diff).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Save, show, list, move and version named resources (`~/name` lives in the working dir's rh/).
    #[command(subcommand)]
    Resource(ResourceCommand),
    /// Create cluster resources and change their autostop.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Write, read, list and delete blobs in file, S3, GCS or Azure stores (their configs go in the RNS).
    #[command(subcommand)]
    Blob(BlobCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Parses a token argument straight into a [`SecretString`], so no `Debug` of the parsed arguments (clap's
/// error output, a log line, a test failure) can print it.
#[expect(
    clippy::unnecessary_wraps,
    reason = "the shape clap's value_parser takes"
)]
pub(crate) fn secret(text: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::{Cli, Command};

    /// A token given as `--token` or as `rh login TOKEN` is held as a secret: the parsed arguments' `Debug`
    /// (clap's, a log line's, a failed assertion's) does not show it.
    #[test]
    fn debug_of_parsed_args_hides_the_tokens() {
        let cli = Cli::try_parse_from([
            "rh",
            "--token",
            "sk-FLAG-SENTINEL",
            "login",
            "sk-ARG-SENTINEL",
        ])
        .expect("parse");
        let shown = format!("{cli:?}");
        assert!(!shown.contains("SENTINEL"), "{shown}");
        assert!(matches!(cli.command, Command::Login(_)), "{shown}");
        assert!(cli.global.token.is_some(), "{shown}");
    }
}
