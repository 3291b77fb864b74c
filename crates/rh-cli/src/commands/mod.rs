//! One module per command group; each is a thin wrapper over library calls.

use std::process::ExitCode;

use anyhow::Result;

use crate::args::{Cli, Command};
use crate::context::Context;

pub(crate) mod blob;
pub(crate) mod config;
pub(crate) mod login;
pub(crate) mod resource;
pub(crate) mod run;
pub(crate) mod secrets;
pub(crate) mod secrets_named;
pub(crate) mod secrets_vault;

/// Marks an error as rh's own failure rather than bad input or an unreachable service, so `main` exits with 2
/// (README, "Logs and exit codes"). `main` attaches it when the async runtime cannot start; a panic exits 2
/// through the panic hook; a background task that panicked is recognised by [`is_unexpected`].
#[derive(Debug)]
pub(crate) struct Unexpected(pub(crate) &'static str);

impl std::fmt::Display for Unexpected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Unexpected {}

/// True when `err` is a bug of rh's: marked [`Unexpected`], or caused by a task that panicked (a
/// `JoinError` the libraries pass on as a source, e.g. rh-rns's git work on a blocking thread).
pub(crate) fn is_unexpected(err: &anyhow::Error) -> bool {
    // `downcast_ref` finds a marker given as `context` too, which `chain` shows only as its text.
    err.downcast_ref::<Unexpected>().is_some()
        || err.chain().any(|c| {
            c.is::<Unexpected>()
                || c.downcast_ref::<tokio::task::JoinError>()
                    .is_some_and(tokio::task::JoinError::is_panic)
        })
}

pub(crate) async fn run(cli: Cli) -> Result<ExitCode> {
    if let Command::Completions { shell } = cli.command {
        let mut cmd = <Cli as clap::CommandFactory>::command();
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd, "rh", &mut buf);
        crate::printer::bytes(&buf)?;
        return Ok(ExitCode::SUCCESS);
    }
    let ctx = Context::new(&cli.global)?;
    match cli.command {
        Command::Config(cmd) => config::run(&ctx, cmd).await,
        Command::Login(args) => login::login(&ctx, args).await,
        Command::Logout(args) => login::logout(&ctx, &args).await,
        Command::Run(args) => run::run(&ctx, args).await,
        Command::Secrets(cmd) => secrets::run(&ctx, cmd).await,
        Command::Resource(cmd) => resource::run(&ctx, cmd).await,
        Command::Cluster(cmd) => resource::run_cluster(&ctx, cmd).await,
        Command::Blob(cmd) => blob::run(&ctx, cmd).await,
        Command::Completions { .. } => unreachable!("handled above"),
    }
}

#[cfg(test)]
mod tests {
    use super::{Unexpected, is_unexpected};

    /// Exit 2 is for bugs: the marker (also as context), or a library error caused by a task that panicked.
    /// Bad input and unreachable services are not.
    #[test]
    fn only_bugs_are_unexpected() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let join = rt
            .block_on(async {
                tokio::task::spawn_blocking(|| panic!("a bug in a blocking task")).await
            })
            .expect_err("the task panicked");
        let from_library = rh_rns::Error::Backend {
            backend: "local rns",
            source: Box::new(join),
        };
        assert!(is_unexpected(&anyhow::Error::new(from_library)));
        let marked = anyhow::Error::new(std::io::Error::other("no fds"))
            .context(Unexpected("cannot start the async runtime"));
        assert!(is_unexpected(&marked));
        let input = anyhow::Error::new(rh_rns::Error::NotFound {
            name: "~/x".to_owned(),
        });
        assert!(!is_unexpected(&input));
        let unreachable =
            anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
                .context("cannot reach rh-server");
        assert!(!is_unexpected(&unreachable));
    }
}
