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

/// Marks an error as a bug rather than bad input, so `main` exits with 2.
#[derive(Debug)]
#[allow(
    dead_code,
    reason = "constructed by commands that detect impossible states"
)]
pub(crate) struct Unexpected(pub(crate) String);

impl std::fmt::Display for Unexpected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unexpected: {}", self.0)
    }
}

impl std::error::Error for Unexpected {}

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
