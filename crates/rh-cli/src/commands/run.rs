//! `rh run [--providers P,…] [--secret NAME…] -- CMD ARGS`: run a command with provider secrets and named
//! secrets in its environment and its output redacted.
//!
//! `--secret NAME` (repeatable) adds a named secret's values (`~/x` local, `/alice/x` rh-server): as its
//! builtin provider's variables, `<PROVIDER>_<KEY>` for a custom provider, or the key itself upper-cased
//! without a provider. With `--secret` and no `--providers`, no provider secrets are read from the store.
//!
//! The child never gets rh's own credentials: of the `RH_*`, `VAULT_*` and `BAO_*` variables it keeps
//! only [`KEPT_OWN_VARS`] (addresses and names, no token), plus what `--pass-env NAME` names. rh's account
//! token and Vault token are always redacted from its output, passed or not. A custom secret whose
//! variable would change how programs load or run (`LD_PRELOAD`, `PATH`, …) is skipped with a warning
//! unless `--allow-env NAME` names it.

use std::ffi::{OsStr, OsString};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use rh_config::EnvVars;
use secrecy::SecretString;

use crate::context::Context;
use crate::runner::{self, RunSpec};

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Providers whose secrets to pass, comma-separated (default: every provider in the store, unless
    /// --secret is given).
    #[arg(long, value_delimiter = ',', value_name = "P,…")]
    providers: Vec<String>,
    /// A named secret whose values to pass (`~/db`, `/alice/openai`); repeatable.
    #[arg(long = "secret", value_name = "NAME")]
    secrets: Vec<String>,
    /// Pass this variable of rh's own (`RH_TOKEN`, `VAULT_TOKEN`, …) to the command; repeatable.
    /// Its value is still redacted from the output.
    #[arg(long = "pass-env", value_name = "NAME")]
    pass_env: Vec<String>,
    /// Export this secret variable even though it changes how programs run (`LD_PRELOAD`, `PATH`, …);
    /// repeatable.
    #[arg(long = "allow-env", value_name = "NAME")]
    allow_env: Vec<String>,
    /// The command and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    command: Vec<OsString>,
}

/// The families of rh's own variables: removed from the child's environment, except [`KEPT_OWN_VARS`]
/// and `--pass-env`.
const OWN_PREFIXES: [&str; 3] = ["RH_", "VAULT_", "BAO_"];

/// What the child keeps of rh's own variables: where things are, never a credential.
const KEPT_OWN_VARS: &[&str] = &[
    EnvVars::RH_CONFIG_DIR,
    EnvVars::RH_WORKDIR,
    EnvVars::RH_USERNAME,
    EnvVars::RH_API_SERVER_URL,
    EnvVars::VAULT_ADDR,
    EnvVars::VAULT_NAMESPACE,
    "BAO_ADDR",
    "BAO_NAMESPACE",
];

pub(crate) async fn run(ctx: &Context, args: RunArgs) -> Result<ExitCode> {
    let mut env = Vec::new();
    let mut redact = own_tokens(ctx)?;
    // Named secrets first: an unknown name stops the run before any store is asked.
    let named = rh_ops::named::for_run(&ctx.ops, &args.secrets).await?;
    let mut providers = Vec::new();
    if !args.providers.is_empty() || args.secrets.is_empty() {
        let store = ctx.ops.secret_store()?;
        providers = if args.providers.is_empty() {
            store.list().await?
        } else {
            args.providers.clone()
        };
        for provider in &providers {
            let Some((secrets, _)) = store.get(provider).await? else {
                anyhow::bail!(
                    "no secrets for `{provider}` in Vault at {}",
                    store.location(provider)
                );
            };
            let vars = secrets.iter().filter_map(|(k, v)| {
                env_var(provider, k).map(|var| (var, k.to_owned(), v.clone()))
            });
            export(vars, provider, &args.allow_env, &mut env, &mut redact);
        }
    }
    for (address, secret) in &named {
        // Every value is redacted, also one whose key exports no variable (a file's).
        redact.extend(secret.values.iter().map(|(_, v)| v.clone()));
        let vars = rh_ops::named::env_of(secret).into_iter();
        export(vars, address, &args.allow_env, &mut env, &mut redact);
        providers.push(address.clone());
    }
    let remove = removed_vars(&ctx.ops.env().names(), &args.pass_env);
    tracing::debug!(
        "running with {} secret variables from {}; {} of rh's own variables removed",
        env.len(),
        providers.join(", "),
        remove.len()
    );
    let mut command = args.command.into_iter();
    let program = command.next().expect("clap requires a command");
    runner::run(&RunSpec {
        program,
        args: command.collect(),
        env,
        remove,
        redact,
    })
}

/// Adds each `(variable, key, value)` of `owner` to `env`, unless the variable is refused (then its value
/// is only redacted, with a warning).
fn export(
    vars: impl Iterator<Item = (String, String, SecretString)>,
    owner: &str,
    allow_env: &[String],
    env: &mut Vec<(String, SecretString)>,
    redact: &mut Vec<SecretString>,
) {
    for (var, key, value) in vars {
        // `--allow-env` lifts the family check, never the name's shape.
        let refused = refusal(&var).filter(|r| *r == BAD_NAME || !allow_env.contains(&var));
        if let Some(reason) = refused {
            let hint = if reason == BAD_NAME {
                String::new()
            } else {
                format!("; pass --allow-env {var} to export it")
            };
            tracing::warn!("not exporting {var} ({owner} key `{key}`): {reason}{hint}");
            redact.push(value);
        } else {
            env.push((var, value));
        }
    }
}

/// rh's own credentials, which must never show in the child's output: the account token (flag, env or
/// config.yaml) and the Vault token (`VAULT_TOKEN`, `BAO_TOKEN`, `~/.vault-token`).
fn own_tokens(ctx: &Context) -> Result<Vec<SecretString>> {
    let config = ctx.ops.config()?;
    let mut out: Vec<SecretString> = ctx.ops.settings()?.token.clone().into_iter().collect();
    if let Some(t) = config.get_str("token").filter(|t| !t.is_empty()) {
        out.push(SecretString::from(t));
    }
    for var in [EnvVars::RH_TOKEN, EnvVars::VAULT_TOKEN, EnvVars::BAO_TOKEN] {
        if let Some(t) = ctx.ops.env().non_empty(var) {
            out.push(SecretString::from(t));
        }
    }
    if let Ok(t) = std::fs::read_to_string(ctx.ops.paths().home().join(".vault-token"))
        && !t.trim().is_empty()
    {
        out.push(SecretString::from(t.trim().to_owned()));
    }
    Ok(out)
}

/// The variables of `names` the child must not get: rh's own families, except [`KEPT_OWN_VARS`] and
/// the ones passed explicitly.
fn removed_vars(names: &[OsString], pass: &[String]) -> Vec<OsString> {
    names
        .iter()
        .filter(|name| {
            let text = name.to_string_lossy();
            OWN_PREFIXES.iter().any(|p| text.starts_with(p))
                && !KEPT_OWN_VARS.contains(&text.as_ref())
                && !pass.iter().any(|p| OsStr::new(p) == name.as_os_str())
        })
        .cloned()
        .collect()
}

/// Variables a custom secret is never exported as (without `--allow-env`): they change how shells and
/// programs start, what they load, where they connect or what they trust.
#[rustfmt::skip]
const REFUSED_VARS: &[&str] = &[
    "PATH", "HOME", "SHELL", "ENV", "BASH_ENV", "IFS", "CDPATH", "PS4", "PROMPT_COMMAND",
    "SHELLOPTS", "BASHOPTS", "GLOBIGNORE", "TMPDIR", "TERMINFO", "EDITOR", "VISUAL", "PAGER",
    "MANPAGER", "BROWSER", "LESSOPEN", "LESSCLOSE", "NODE_OPTIONS", "NODE_PATH",
    "NODE_EXTRA_CA_CERTS", "RUBYOPT", "RUBYLIB", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS", "CLASSPATH", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "SSH_AUTH_SOCK",
    "SUDO_ASKPASS", "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN",
    "KUBECONFIG", "DOCKER_HOST", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "AWS_CA_BUNDLE",
    "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "GOOGLE_APPLICATION_CREDENTIALS", "ZDOTDIR",
    "INPUTRC", "GNUPGHOME", "GOFLAGS", "GOPROXY", "GOPATH", "GOROOT", "GOTOOLCHAIN", "HF_HOME",
    "KRB5_CONFIG", "KRB5CCNAME", "NETRC", "WGETRC", "CURL_HOME", "JAVA_HOME",
];

/// Families of such variables (and rh's own).
#[rustfmt::skip]
const REFUSED_PREFIXES: &[&str] = &[
    "LD_", "DYLD_", "BASH_FUNC_", "PYTHON", "PERL5", "PERL_", "GIT_", "LUA_", "GEM_", "BUNDLE_",
    "NPM_CONFIG_", "MALLOC_", "GLIBC_", "SSL_CERT_", "XDG_", "RH_", "VAULT_", "BAO_",
    "AWS_ENDPOINT_URL", "OPENSSL_", "CLOUDSDK_", "RUSTC_", "RUSTUP_", "CARGO_", "PIP_", "UV_",
    "CONDA_", "DOCKER_", "BOTO_", "SYSTEMD_", "TF_CLI_", "GPG_",
];

/// Endings of variables that say where a client connects or what it trusts (`OPENAI_BASE_URL` would
/// send the OpenAI key elsewhere, `HF_ENDPOINT` the Hugging Face token).
const REFUSED_SUFFIXES: &[&str] = &[
    "_PROXY",
    "_ENDPOINT",
    "_ENDPOINT_URL",
    "_BASE_URL",
    "_API_BASE",
    "_CA_BUNDLE",
    "_CA_CERTS",
];

const BAD_NAME: &str = "not a variable name (A-Z, 0-9 and `_`, starting with a letter)";

/// Why a custom secret's variable is not exported, if it is not: its name must look like
/// `[A-Z][A-Z0-9_]*` and be none of the variables that change how programs load or run, where they
/// connect or whom they trust, nor one of rh's own.
fn refusal(var: &str) -> Option<&'static str> {
    let mut chars = var.chars();
    let shaped = chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !shaped {
        return Some(BAD_NAME);
    }
    let dangerous = REFUSED_VARS.contains(&var)
        || REFUSED_PREFIXES.iter().any(|p| var.starts_with(p))
        || REFUSED_SUFFIXES.iter().any(|x| var.ends_with(x));
    dangerous
        .then_some("it changes how programs load or run, where they connect or what they trust")
}

use rh_ops::secrets::env_var;

#[cfg(test)]
mod tests {
    use super::{env_var, refusal, removed_vars};
    use std::ffi::OsString;

    #[test]
    fn exported_names_are_checked() {
        for ok in [
            "MYDB_PASSWORD",
            "SNOWFLAKE_USER",
            "A1_B2",
            "LDAP_PASSWORD",
            "GITLAB_TOKEN",
            "OPENAI_API_KEY",
            "DATABASE_URL",
        ] {
            assert_eq!(refusal(ok), None, "{ok}");
        }
        for bad in [
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "DYLD_INSERT_LIBRARIES",
            "BASH_ENV",
            "ENV",
            "PATH",
            "HOME",
            "SHELL",
            "IFS",
            "PYTHONPATH",
            "PYTHONSTARTUP",
            "NODE_OPTIONS",
            "PERL5OPT",
            "RUBYOPT",
            "GIT_SSH_COMMAND",
            "GIT_CONFIG_PARAMETERS",
            "SSH_ASKPASS",
            "HTTPS_PROXY",
            "OPENSSL_CONF",
            "CLOUDSDK_PYTHON",
            "RUSTC_WRAPPER",
            "CARGO_HOME",
            "PIP_INDEX_URL",
            "UV_INDEX_URL",
            "CONDA_PREFIX",
            "JAVA_HOME",
            "DOCKER_CONFIG",
            "BOTO_CONFIG",
            "SYSTEMD_PAGER",
            "TF_CLI_ARGS",
            "GNUPGHOME",
            "GOFLAGS",
            "OPENAI_BASE_URL",
            "OPENAI_API_BASE",
            "HF_ENDPOINT",
            "RH_TOKEN",
            "VAULT_TOKEN",
            "BAO_TOKEN",
            "1PASS_KEY",
            "_X",
            "",
        ] {
            assert!(refusal(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn own_variables_are_removed_unless_kept_or_passed() {
        let names: Vec<OsString> = [
            "RH_TOKEN",
            "VAULT_TOKEN",
            "BAO_TOKEN",
            "RH_SOMETHING_SECRET",
            "VAULT_ADDR",
            "RH_CONFIG_DIR",
            "PATH",
            "AWS_REGION",
            "RHX",
        ]
        .into_iter()
        .map(OsString::from)
        .collect();
        let removed = removed_vars(&names, &["VAULT_TOKEN".to_owned()]);
        assert_eq!(removed, ["RH_TOKEN", "BAO_TOKEN", "RH_SOMETHING_SECRET"]);
    }

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
        assert_eq!(env_var("kubernetes", "context"), None);
        assert_eq!(
            env_var("openai", "api_key").as_deref(),
            Some("OPENAI_API_KEY")
        );
        assert_eq!(
            env_var("docker", "server").as_deref(),
            Some("SKYPILOT_DOCKER_SERVER")
        );
    }
}
