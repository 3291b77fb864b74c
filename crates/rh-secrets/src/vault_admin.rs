//! Vault's token and policy API, for the server side of least privilege: installing policies and a token
//! role, minting tokens, and asking what a token is. [`crate::vault::VaultStore`] keeps the KV v2 data
//! protocol; this module the rest of what rh says to Vault. Errors are [`crate::vault::Error`]s.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use vaultrs::api::token::requests::{
    CreateOrphanTokenRequestBuilder, CreateRoleTokenRequestBuilder, SetTokenRoleRequestBuilder,
};
use vaultrs::client::VaultClient;
use vaultrs::error::ClientError;

use crate::vault::{Error, Result, VaultOptions, classify, client};

/// What Vault says about a token (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// The token's policies (`root` for a root token).
    pub policies: Vec<String>,
    /// Seconds left; 0 for a token that never expires.
    pub ttl: u64,
    /// Whether the token can be renewed.
    pub renewable: bool,
    /// The token's accessor (not secret: it can look the token up, not use it).
    pub accessor: String,
}

impl TokenInfo {
    /// Whether this is a root token (policy `root`), which can do anything in Vault.
    pub fn is_root(&self) -> bool {
        self.policies.iter().any(|p| p == "root")
    }
}

/// A token Vault minted, with its accessor.
pub struct MintedToken {
    /// The token.
    pub token: SecretString,
    /// Its accessor.
    pub accessor: String,
    /// Its TTL as Vault granted it.
    pub ttl: Duration,
}

impl fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedToken")
            .field("accessor", &self.accessor)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// A client of Vault's `sys/policies`, `auth/token` and `sys/auth` endpoints with one token.
pub struct VaultAdmin {
    client: VaultClient,
    addr: String,
}

impl fmt::Debug for VaultAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // vaultrs's client Debug prints the token: never show it.
        f.debug_struct("VaultAdmin")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl VaultAdmin {
    /// A client with `options`' address, namespace, timeout and token (the mount and prefix are unused).
    pub fn new(options: &VaultOptions) -> Result<Self> {
        Ok(Self {
            client: client(options)?,
            addr: options.addr.clone(),
        })
    }

    /// What Vault says about this client's own token (`auth/token/lookup-self`).
    pub async fn lookup_self(&self) -> Result<TokenInfo> {
        let r = vaultrs::token::lookup_self(&self.client)
            .await
            .map_err(|e| self.error("auth/token/lookup-self", e))?;
        Ok(TokenInfo {
            policies: r.policies,
            ttl: r.ttl,
            renewable: r.renewable,
            accessor: r.accessor,
        })
    }

    /// Renews this client's own token by its period or TTL (`auth/token/renew-self`).
    pub async fn renew_self(&self) -> Result<()> {
        vaultrs::token::renew_self(&self.client, None)
            .await
            .map(drop)
            .map_err(|e| self.error("auth/token/renew-self", e))
    }

    /// Revokes this client's own token (`auth/token/revoke-self`); it cannot be used afterwards.
    pub async fn revoke_self(&self) -> Result<()> {
        vaultrs::token::revoke_self(&self.client)
            .await
            .map_err(|e| self.error("auth/token/revoke-self", e))
    }

    /// The accessor of the token auth method's mount (`token/` in `sys/auth`), which templated policies
    /// name as `identity.entity.aliases.<accessor>.name`.
    pub async fn token_mount_accessor(&self) -> Result<String> {
        let mounts = vaultrs::sys::auth::list(&self.client)
            .await
            .map_err(|e| self.error("sys/auth", e))?;
        mounts
            .get("token/")
            .map(|m| m.accessor.clone())
            .ok_or_else(|| Error::Api {
                code: 0,
                path: "sys/auth".to_owned(),
                message: "Vault lists no token/ auth method".to_owned(),
            })
    }

    /// Creates or replaces the ACL policy `name`.
    pub async fn put_policy(&self, name: &str, hcl: &str) -> Result<()> {
        let path = format!("sys/policies/acl/{name}");
        vaultrs::sys::policy::set(&self.client, name, hcl)
            .await
            .map_err(|e| self.error(&path, e))
    }

    /// Creates or replaces the token role `role`: tokens made through it carry exactly `policy` (and
    /// Vault's `default`), are orphans (they outlive the token that made them, so revoking them is explicit),
    /// not renewable, live at most `max_ttl`, and may name any entity alias.
    pub async fn put_child_role(&self, role: &str, policy: &str, max_ttl: Duration) -> Result<()> {
        let path = format!("auth/token/roles/{role}");
        let mut opts = SetTokenRoleRequestBuilder::default();
        opts.allowed_policies(vec![policy.to_owned()])
            .allowed_entity_aliases(vec!["*".to_owned()])
            .orphan(true)
            .renewable(false)
            .token_explicit_max_ttl(format!("{}s", max_ttl.as_secs()));
        vaultrs::token::role::set(&self.client, role, Some(&mut opts))
            .await
            .map_err(|e| self.error(&path, e))
    }

    /// Whether the token role `role` exists.
    pub async fn role_exists(&self, role: &str) -> Result<bool> {
        let path = format!("auth/token/roles/{role}");
        match vaultrs::token::role::read(&self.client, role).await {
            Ok(_) => Ok(true),
            Err(ClientError::APIError { code: 404, .. }) => Ok(false),
            Err(e) => Err(self.error(&path, e)),
        }
    }

    /// Mints an orphan token with `policies` that renews by `period` (`auth/token/create-orphan`), for a
    /// long-running server that renews its own token.
    pub async fn create_periodic_token(
        &self,
        policies: &[&str],
        period: Duration,
        display_name: &str,
    ) -> Result<MintedToken> {
        let mut opts = CreateOrphanTokenRequestBuilder::default();
        opts.policies(policies.iter().map(|p| (*p).to_owned()).collect::<Vec<_>>())
            .period(format!("{}s", period.as_secs()))
            .renewable(true)
            .no_default_policy(false)
            .display_name(display_name.to_owned());
        let r = vaultrs::token::new_orphan(&self.client, Some(&mut opts))
            .await
            .map_err(|e| self.error("auth/token/create-orphan", e))?;
        Ok(MintedToken {
            token: SecretString::from(r.client_token),
            accessor: r.accessor,
            ttl: Duration::from_secs(r.lease_duration),
        })
    }

    /// Mints a token through the role `role` for the entity alias `alias`, living `ttl`
    /// (`auth/token/create/<role>`).
    pub async fn create_role_token(
        &self,
        role: &str,
        policy: &str,
        alias: &str,
        ttl: Duration,
    ) -> Result<MintedToken> {
        let path = format!("auth/token/create/{role}");
        let mut opts = CreateRoleTokenRequestBuilder::default();
        opts.policies(vec![policy.to_owned()])
            .entity_alias(alias.to_owned())
            .ttl(format!("{}s", ttl.as_secs()))
            .display_name(alias.to_owned());
        let r = vaultrs::token::new_role(&self.client, role, Some(&mut opts))
            .await
            .map_err(|e| self.error(&path, e))?;
        Ok(MintedToken {
            token: SecretString::from(r.client_token),
            accessor: r.accessor,
            ttl: Duration::from_secs(r.lease_duration),
        })
    }

    fn error(&self, path: &str, e: ClientError) -> Error {
        classify(&self.addr, path.to_owned(), e, None)
    }
}
