//! `rh run [--providers P,…] -- CMD ARGS`: run a command with provider secrets in its environment and
//! its output redacted.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::context::Context;
use crate::runner::{self, RunSpec};

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Providers whose secrets to pass, comma-separated (default: every provider in the store).
    #[arg(long, value_delimiter = ',', value_name = "P,…")]
    providers: Vec<String>,
    /// The command and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    command: Vec<OsString>,
}

pub(crate) async fn run(ctx: &Context, args: RunArgs) -> Result<ExitCode> {
    let store = crate::store::open(ctx)?;
    let providers = if args.providers.is_empty() {
        store.list().await?
    } else {
        args.providers.clone()
    };
    let mut env = Vec::new();
    for provider in &providers {
        let Some((secrets, _)) = store.get(provider).await? else {
            anyhow::bail!(
                "no secrets for `{provider}` in Vault at {}",
                store.location(provider)
            );
        };
        for (key, value) in secrets.iter() {
            if let Some(var) = env_var(provider, key) {
                env.push((var, value.clone()));
            }
        }
    }
    tracing::debug!(
        "running with {} secret variables from {}",
        env.len(),
        providers.join(", ")
    );
    let mut command = args.command.into_iter();
    let program = command.next().expect("clap requires a command");
    runner::run(&RunSpec {
        program,
        args: command.collect(),
        env,
    })
}

/// The environment variable a provider's key is passed as: the builtin provider's own variable
/// (`AWS_ACCESS_KEY_ID`, `HF_TOKEN`, …), `<PROVIDER>_<KEY>` upper-cased otherwise (custom providers, and
/// builtin keys without a variable such as lambda's `api_key`). SSH and sky keys are files, not variables.
fn env_var(provider: &str, key: &str) -> Option<String> {
    if matches!(provider, "ssh" | "sky") {
        return None;
    }
    let builtin = rh_secrets::builtin_provider(provider).and_then(|p| {
        p.keys()
            .iter()
            .zip(p.env_vars())
            .find(|(k, _)| **k == key)
            .map(|(_, v)| *v)
    });
    if let Some(var) = builtin {
        return Some(var.to_owned());
    }
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    Some(format!("{}_{}", clean(provider), clean(key)))
}

#[cfg(test)]
mod tests {
    use super::env_var;

    #[test]
    fn variable_names() {
        assert_eq!(
            env_var("aws", "access_key").as_deref(),
            Some("AWS_ACCESS_KEY_ID")
        );
        assert_eq!(env_var("huggingface", "token").as_deref(), Some("HF_TOKEN"));
        assert_eq!(env_var("github", "token").as_deref(), Some("GH_TOKEN"));
        assert_eq!(
            env_var("azure", "subscription_id").as_deref(),
            Some("AZURE_SUBSCRIPTION_ID")
        );
        assert_eq!(
            env_var("lambda", "api_key").as_deref(),
            Some("LAMBDA_API_KEY")
        );
        assert_eq!(
            env_var("my-db", "pass.word").as_deref(),
            Some("MY_DB_PASS_WORD")
        );
        assert_eq!(env_var("ssh", "id_rsa"), None);
    }
}
