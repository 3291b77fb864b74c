//! Which secret store rh talks to: rh-server's Vault proxy when logged in (a token), else Vault directly
//! (`VAULT_ADDR`), else an error saying how to configure either.

use anyhow::{Result, bail};
use rh_config::EnvVars;
use rh_secrets::server::ServerSecretStore;
use rh_secrets::store::SecretStore;
use rh_secrets::vault::{VaultOptions, VaultStore};
use secrecy::SecretString;

use crate::context::Context;

/// Opens the direct Vault store from `VAULT_ADDR` / config `vault_addr`, `VAULT_TOKEN` / `~/.vault-token`,
/// `VAULT_NAMESPACE` and config `vault_mount`, under `rh/<username or "local">`.
pub(crate) fn vault(ctx: &Context) -> Result<VaultStore> {
    let config = ctx.config()?;
    let settings = config.resolve(ctx.env.as_ref(), &ctx.overrides);
    let Some(addr) = ctx
        .env
        .non_empty(EnvVars::VAULT_ADDR)
        .or_else(|| config.get_str("vault_addr"))
    else {
        bail!(
            "no secret store configured: set VAULT_ADDR (and VAULT_TOKEN) to use Vault directly, \
             or `rh config set vault_addr URL`, or log in to an rh-server (`rh login`, or RH_TOKEN \
             and RH_API_SERVER_URL) to keep secrets in its Vault"
        );
    };
    let token = if let Some(t) = ctx.env.non_empty(EnvVars::VAULT_TOKEN) {
        t
    } else {
        let path = ctx.paths.home().join(".vault-token");
        match std::fs::read_to_string(&path) {
            Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
            _ => bail!(
                "no Vault token: set VAULT_TOKEN or write it to {}",
                path.display()
            ),
        }
    };
    // The username is a path segment under `rh/`: the server's grammar keeps it one (no `../bob`). Which
    // user's path a token may reach is Vault's policy to decide (README, Secrets in Vault).
    if let Some(user) = settings.username.as_deref() {
        rh_secrets::vault::validate_username(user)?;
    }
    let mut options = VaultOptions::new(
        addr,
        SecretString::from(token),
        settings.username.as_deref(),
    );
    options.namespace = ctx.env.non_empty(EnvVars::VAULT_NAMESPACE);
    if let Some(mount) = config.get_str("vault_mount").filter(|m| !m.is_empty()) {
        options.mount = mount;
    }
    Ok(VaultStore::new(&options)?)
}

/// The secret store the Vault subcommands use: logged in (a token, from `--token`, `RH_TOKEN` or
/// config.yaml) → rh-server at `api_server_url`; else Vault directly.
pub(crate) fn open(ctx: &Context) -> Result<Box<dyn SecretStore>> {
    let config = ctx.config()?;
    let settings = config.resolve(ctx.env.as_ref(), &ctx.overrides);
    if let Some(token) = settings.token {
        let store = ServerSecretStore::new(&settings.api_server_url, token)?;
        tracing::debug!(
            "secrets go through rh-server at {}",
            settings.api_server_url
        );
        return Ok(Box::new(store));
    }
    Ok(Box::new(vault(ctx)?))
}
