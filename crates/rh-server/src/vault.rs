//! The Vault behind `/user/secret…`: where it is, the server's token, and one [`VaultStore`] per user.
//!
//! Every user's secrets live at `<mount>/rh/<username>/<provider>` (the same place `rh` writes when it
//! talks to Vault directly as that user); the prefix comes from the authenticated caller, never from the
//! request, so one user cannot name another's path.
//!
//! A named secret (a resource with `resource_type: "secret"`, `/alice/proj/openai`) keeps its values in one
//! KV v2 secret under its OWNER's prefix: `<mount>/rh/<owner>/named/<segments after the owner…>`
//! (`secret/rh/alice/named/proj/openai`), versioned and written with check-and-set like a provider's. A
//! grantee's read or write goes to that path after [`crate::api`] checked the grant; the `named/` folder is
//! not a provider (provider names hold no `/`, and the provider listing skips folders). Values pass through memory only: never the database,
//! never a log line. Vault's address and paths appear in the server log only, never in an answer.

use std::fmt;
use std::sync::Arc;

use rh_secrets::vault::VaultOptions;
use secrecy::SecretString;

use crate::vault_access::{ChildTokens, UserVault};

/// How rh-server reaches Vault.
#[derive(Clone)]
pub struct VaultConfig {
    /// `http://127.0.0.1:8200`.
    pub addr: String,
    /// The server's Vault token.
    pub token: SecretString,
    /// The KV v2 mount (`secret`).
    pub mount: String,
    /// `VAULT_NAMESPACE`, if any.
    pub namespace: Option<String>,
}

impl fmt::Debug for VaultConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultConfig")
            .field("addr", &self.addr)
            .field("mount", &self.mount)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

/// Per-user stores over one Vault, each running with its user's short-lived child token
/// ([`crate::vault_access::ChildTokens`]).
pub struct VaultProxy {
    config: VaultConfig,
    children: Arc<ChildTokens>,
}

impl fmt::Debug for VaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultProxy")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl VaultProxy {
    /// A proxy over `config`; checks the address parses (no request is made). With `allow_root` a root
    /// server token is accepted (`--allow-root-vault-token`).
    pub fn new(config: VaultConfig, allow_root: bool) -> rh_secrets::vault::Result<Self> {
        let children = Arc::new(ChildTokens::new(
            Self::options(&config, "server"),
            allow_root,
        )?);
        Ok(Self { config, children })
    }

    /// The Vault address, for the startup log.
    pub fn addr(&self) -> &str {
        &self.config.addr
    }

    /// The per-user child tokens (start-up check, renewal, revocation, cache counts).
    pub fn children(&self) -> &Arc<ChildTokens> {
        &self.children
    }

    fn options(config: &VaultConfig, username: &str) -> VaultOptions {
        let mut o = VaultOptions::new(config.addr.clone(), config.token.clone(), Some(username));
        o.mount.clone_from(&config.mount);
        o.namespace.clone_from(&config.namespace);
        o
    }

    /// The store under `rh/<username>`, with that user's child token; `username` is an authenticated,
    /// validated account name.
    pub(crate) async fn for_user(&self, username: &str) -> rh_secrets::vault::Result<UserVault> {
        UserVault::open(&self.children, username).await
    }

    /// The store of `owner`'s named secrets, under `rh/<owner>/named`, with the owner's child token: its
    /// "provider" argument is a secret's segments after the owner, joined by `/` ([`named_key`]). `owner` is
    /// the first segment of a validated resource name; the caller has checked the grant.
    pub(crate) async fn for_named(&self, owner: &str) -> rh_secrets::vault::Result<UserVault> {
        UserVault::open_named(&self.children, owner).await
    }
}

/// The key of a named secret in its owner's [`VaultProxy::for_named`] store: the segments after the owner
/// (`proj/openai` for `/alice/proj/openai`).
pub(crate) fn named_key(name: &crate::names::ResourceName) -> String {
    name.segments()[1..].join("/")
}

#[async_trait::async_trait]
impl crate::dashboard::SecretVersions for VaultProxy {
    async fn versions(
        &self,
        username: &str,
    ) -> Result<Vec<crate::dashboard::ProviderVersions>, String> {
        let store = self.for_user(username).await.map_err(|e| shown(&e))?;
        let mut out = Vec::new();
        for provider in store.list().await.map_err(|e| shown(&e))? {
            let mut versions: Vec<crate::dashboard::SecretVersion> = store
                .history(&provider)
                .await
                .map_err(|e| shown(&e))?
                .into_iter()
                .map(|v| crate::dashboard::SecretVersion {
                    version: v.version,
                    created_time: v.created_time,
                    deletion_time: v.deletion_time,
                    destroyed: v.destroyed,
                })
                .collect();
            versions.reverse();
            out.push(crate::dashboard::ProviderVersions { provider, versions });
        }
        Ok(out)
    }

    async fn forget(&self, username: &str) {
        self.children.forget(username).await;
    }
}

#[async_trait::async_trait]
impl crate::dashboard::NamedSecretVault for VaultProxy {
    async fn named(
        &self,
        owner: &str,
        key: &str,
        reveal: bool,
    ) -> Result<Option<crate::dashboard::NamedView>, String> {
        use secrecy::ExposeSecret as _;
        let store = self.for_named(owner).await.map_err(|e| shown(&e))?;
        let Some((values, version)) = store.get(key).await.map_err(|e| shown(&e))? else {
            return Ok(None);
        };
        let mut versions: Vec<crate::dashboard::SecretVersion> = store
            .history(key)
            .await
            .map_err(|e| shown(&e))?
            .into_iter()
            .map(|v| crate::dashboard::SecretVersion {
                version: v.version,
                created_time: v.created_time,
                deletion_time: v.deletion_time,
                destroyed: v.destroyed,
            })
            .collect();
        versions.reverse();
        Ok(Some(crate::dashboard::NamedView {
            version,
            versions,
            keys: values.keys().cloned().collect(),
            values: reveal.then(|| {
                values
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
                    .collect()
            }),
        }))
    }

    async fn delete_values(&self, owner: &str, key: &str) -> Result<(), String> {
        let store = self.for_named(owner).await.map_err(|e| shown(&e))?;
        store.delete(key).await.map_err(|e| shown(&e))?;
        Ok(())
    }

    async fn rollback(&self, owner: &str, key: &str, version: u64) -> Result<u64, String> {
        let store = self.for_named(owner).await.map_err(|e| shown(&e))?;
        store.rollback(key, version).await.map_err(|e| shown(&e))
    }
}

/// What a page may say about a Vault failure: never Vault's address or paths (those go to the log).
fn shown(e: &rh_secrets::vault::Error) -> String {
    use rh_secrets::vault::Error;
    tracing::warn!("vault: {e}");
    let what = match e {
        Error::Unreachable { .. } | Error::BadAddress { .. } => "rh-server cannot reach its Vault",
        Error::PermissionDenied { .. } => "Vault refused rh-server's token",
        _ => "Vault error",
    };
    format!("{what}; the server admin can find the cause in rh-server's log")
}
