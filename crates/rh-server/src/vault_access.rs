//! Least privilege in Vault: the policies rh-server ships (`crates/rh-server/vault/*.hcl`), what
//! `rh-server vault setup` installs, the start-up check of the server's own token, and [`ChildTokens`], the
//! short-lived per-user tokens that every Vault call made for a user runs with.
//!
//! The server's token (policy `rh-server`) can only mint child tokens through the token role `rh-user`. A
//! child token carries the templated policy `rh-user`, which reaches `<mount>/…/rh/<its entity alias>/*`, and
//! its entity alias is the user's rh username. So each user's requests run with a token that Vault itself
//! keeps inside that user's prefix: a path-building bug gets "permission denied", not another user's data.
//! rh-server never writes a policy at run time (a token that may write policies can grant itself anything).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use rh_secrets::ProviderSecrets;
use rh_secrets::store::SecretStore;
use rh_secrets::vault::{
    Error as VaultError, Fingerprints, SecretMap, VaultOptions, VaultStore, VersionInfo,
};
use rh_secrets::vault_admin::{MintedToken, TokenInfo, VaultAdmin};
use secrecy::SecretString;

/// The policy of rh-server's own token.
pub const SERVER_POLICY: &str = "rh-server";
/// The templated policy of each user's child token.
pub const USER_POLICY: &str = "rh-user";
/// The token role that mints child tokens.
pub const USER_ROLE: &str = "rh-user";
/// How long a child token lives (Vault enforces it: the role's explicit max TTL).
pub const CHILD_TTL: Duration = Duration::from_mins(5);
/// A cached child token is replaced once less than this is left, so no request starts with one about to expire.
const CHILD_MARGIN: Duration = Duration::from_mins(1);
/// The renewal period of the server token `vault setup` mints; `serve` renews it at half this.
pub const SERVER_TOKEN_PERIOD: Duration = Duration::from_hours(24);

const SERVER_POLICY_HCL: &str = include_str!("../vault/rh-server.hcl");
const USER_POLICY_HCL: &str = include_str!("../vault/rh-user.hcl");

/// The `rh-server` policy for the KV v2 mount `mount`.
pub fn server_policy(mount: &str) -> String {
    SERVER_POLICY_HCL.replace("@MOUNT@", mount)
}

/// The `rh-user` policy for `mount`, templated on the token auth method whose accessor is `accessor`.
pub fn user_policy(mount: &str, accessor: &str) -> String {
    USER_POLICY_HCL
        .replace("@MOUNT@", mount)
        .replace("@TOKEN_ACCESSOR@", accessor)
}

/// Installs (or updates) both policies and the `rh-user` role with `admin`, a token allowed to
/// (a root or admin token); idempotent.
pub async fn install(admin: &VaultAdmin, mount: &str) -> Result<(), VaultError> {
    let accessor = admin.token_mount_accessor().await?;
    admin
        .put_policy(SERVER_POLICY, &server_policy(mount))
        .await?;
    admin
        .put_policy(USER_POLICY, &user_policy(mount, &accessor))
        .await?;
    admin
        .put_child_role(USER_ROLE, USER_POLICY, CHILD_TTL)
        .await
}

/// `rh-server vault setup`: [`install`], then mint the server's own token (policy `rh-server` only, an orphan
/// renewed every [`SERVER_TOKEN_PERIOD`]).
pub async fn setup(admin: &VaultAdmin, mount: &str) -> Result<MintedToken, VaultError> {
    install(admin, mount).await?;
    admin
        .create_periodic_token(&[SERVER_POLICY], SERVER_TOKEN_PERIOD, "rh-server")
        .await
}

/// Why `serve` will not use its Vault token.
#[derive(Debug, thiserror::Error)]
pub enum TokenRefused {
    /// The token is a root token and `--allow-root-vault-token` was not given.
    #[error(
        "the Vault token is a root token: run `rh-server vault setup --admin-token-file F` and serve with the \
         token it writes, or pass --allow-root-vault-token"
    )]
    Root,
    /// The role child tokens come from is missing.
    #[error(
        "Vault has no token role `{USER_ROLE}`, or this token may not use it: run `rh-server vault setup \
         --admin-token-file F` and serve with the token it writes"
    )]
    NotSetUp,
    /// Vault answered with an error.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// Per-user child tokens, minted on first use and kept until [`CHILD_MARGIN`] before they expire, each with
/// the [`VaultStore`] that uses it.
pub struct ChildTokens {
    options: VaultOptions,
    allow_root: bool,
    ready: AtomicBool,
    cache: Mutex<HashMap<String, Child>>,
    minting: tokio::sync::Mutex<()>,
    hits: AtomicU64,
    misses: AtomicU64,
}

struct Child {
    store: Arc<VaultStore>,
    /// The same token's store under `rh/<username>/named` (the user's named secrets).
    named: Arc<VaultStore>,
    token: SecretString,
    fresh_until: Instant,
}

impl fmt::Debug for ChildTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildTokens")
            .field("addr", &self.options.addr)
            .field("hits", &self.hits.load(Ordering::Relaxed))
            .field("misses", &self.misses.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl ChildTokens {
    /// Child tokens minted with the server token in `options` (whose prefix is ignored). With `allow_root` a
    /// root token is accepted, and installs the policies and role itself when they are missing.
    pub fn new(options: VaultOptions, allow_root: bool) -> Result<Self, VaultError> {
        VaultAdmin::new(&options)?;
        Ok(Self {
            options,
            allow_root,
            ready: AtomicBool::new(false),
            cache: Mutex::new(HashMap::new()),
            minting: tokio::sync::Mutex::new(()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        })
    }

    fn admin(&self) -> Result<VaultAdmin, VaultError> {
        VaultAdmin::new(&self.options)
    }

    /// Checks the server token once (root refused unless allowed; the role must exist) and remembers
    /// success. An unreachable Vault is not remembered: the next call checks again.
    pub async fn prepare(&self) -> Result<(), TokenRefused> {
        if self.ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let admin = self.admin()?;
        let info: TokenInfo = admin.lookup_self().await?;
        if info.is_root() {
            if !self.allow_root {
                return Err(TokenRefused::Root);
            }
            tracing::warn!(
                "vault: rh-server holds a root token (--allow-root-vault-token); \
                 `rh-server vault setup` gives it one limited to rh's paths"
            );
            install(&admin, &self.options.mount).await?;
        } else {
            match admin.role_exists(USER_ROLE).await {
                Ok(true) => {}
                Ok(false) | Err(VaultError::PermissionDenied { .. }) => {
                    return Err(TokenRefused::NotSetUp);
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// The store under `rh/<username>` that runs with `username`'s child token, minting one if none is
    /// fresh. `username` is an authenticated, validated account name.
    pub async fn store_for(&self, username: &str) -> Result<Arc<VaultStore>, VaultError> {
        self.stores_for(username).await.map(|(user, _)| user)
    }

    /// The store under `rh/<owner>/named` (the owner's named secrets) with the OWNER's child token: a
    /// grantee's read of a shared secret runs with it after the grant check, so that a grantee's own token
    /// never needs a path outside their prefix (which would take rh-server writing policies).
    pub async fn named_for(&self, owner: &str) -> Result<Arc<VaultStore>, VaultError> {
        self.stores_for(owner).await.map(|(_, named)| named)
    }

    async fn stores_for(
        &self,
        username: &str,
    ) -> Result<(Arc<VaultStore>, Arc<VaultStore>), VaultError> {
        if let Some(stores) = self.cached(username) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(stores);
        }
        let _one_at_a_time = self.minting.lock().await;
        if let Some(stores) = self.cached(username) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(stores);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        self.prepare().await.map_err(|e| match e {
            TokenRefused::Vault(v) => v,
            refused => {
                tracing::error!("vault: {refused}");
                VaultError::PermissionDenied {
                    addr: self.options.addr.clone(),
                    path: format!("auth/token/create/{USER_ROLE}"),
                }
            }
        })?;
        let minted = self
            .admin()?
            .create_role_token(USER_ROLE, USER_POLICY, username, CHILD_TTL)
            .await?;
        let mut options = self.options.clone();
        options.token = minted.token.clone();
        options.prefix = format!("rh/{username}");
        let store = Arc::new(VaultStore::new(&options)?);
        options.prefix = format!("rh/{username}/named");
        let named = Arc::new(VaultStore::new(&options)?);
        let life = minted.ttl.min(CHILD_TTL);
        let old = self
            .cache
            .lock()
            .expect("no panic while holding the lock")
            .insert(
                username.to_owned(),
                Child {
                    store: Arc::clone(&store),
                    named: Arc::clone(&named),
                    token: minted.token,
                    fresh_until: Instant::now() + life.saturating_sub(CHILD_MARGIN),
                },
            );
        if let Some(old) = old {
            self.revoke(old.token).await;
        }
        Ok((store, named))
    }

    fn cached(&self, username: &str) -> Option<(Arc<VaultStore>, Arc<VaultStore>)> {
        let cache = self.cache.lock().expect("no panic while holding the lock");
        cache
            .get(username)
            .filter(|c| Instant::now() < c.fresh_until)
            .map(|c| (Arc::clone(&c.store), Arc::clone(&c.named)))
    }

    /// Revokes `username`'s child token now (their rh token rotated or was revoked); the next request
    /// mints a new one.
    pub async fn forget(&self, username: &str) {
        let old = self
            .cache
            .lock()
            .expect("no panic while holding the lock")
            .remove(username);
        if let Some(old) = old {
            self.revoke(old.token).await;
        }
    }

    async fn revoke(&self, token: SecretString) {
        let mut options = self.options.clone();
        options.token = token;
        let revoked = match VaultAdmin::new(&options) {
            Ok(admin) => admin.revoke_self().await,
            Err(e) => Err(e),
        };
        if let Err(e) = revoked {
            // It expires by itself within CHILD_TTL.
            tracing::warn!("vault: cannot revoke a child token: {e}");
        }
    }

    /// Drops `username`'s cached child token after Vault refused it (Vault lost it, or an admin revoked it)
    /// and checks the server token again before the next one is minted. The token is not revoked: calls
    /// still in flight with it (a bulk upload's other providers) keep it, and it expires within [`CHILD_TTL`].
    fn refused(&self, username: &str) {
        self.ready.store(false, Ordering::Release);
        self.cache
            .lock()
            .expect("no panic while holding the lock")
            .remove(username);
    }

    /// Cache hits and misses so far (a miss mints a token).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Renews the server's own token every half of its TTL while it is renewable and expires; runs forever.
    pub async fn keep_server_token_alive(self: Arc<Self>) {
        loop {
            let wait = match self.admin() {
                Ok(admin) => match admin.lookup_self().await {
                    Ok(info) if info.renewable && info.ttl > 0 => {
                        if let Err(e) = admin.renew_self().await {
                            tracing::warn!("vault: cannot renew rh-server's token: {e}");
                        }
                        Duration::from_secs((info.ttl / 2).max(30))
                    }
                    Ok(_) => return,
                    Err(e) => {
                        tracing::warn!("vault: cannot look up rh-server's token: {e}");
                        Duration::from_mins(1)
                    }
                },
                Err(_) => return,
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// One user's Vault: the [`VaultStore`] under `rh/<username>` with that user's child token. A read that Vault
/// refuses with 403 (the child token is gone: Vault restarted without storage, or an admin revoked it) is
/// made once more with a freshly minted token; a refused write is not repeated, and the next call mints a new
/// token. The methods are [`VaultStore`]'s.
#[derive(Debug)]
pub struct UserVault {
    children: Arc<ChildTokens>,
    username: String,
    /// Under `rh/<username>/named` rather than `rh/<username>`.
    named: bool,
    store: Arc<VaultStore>,
}

impl UserVault {
    /// `username`'s Vault, minting a child token if no fresh one is cached.
    pub async fn open(children: &Arc<ChildTokens>, username: &str) -> Result<Self, VaultError> {
        let store = children.store_for(username).await?;
        Ok(Self {
            children: Arc::clone(children),
            username: username.to_owned(),
            named: false,
            store,
        })
    }

    /// `owner`'s named secrets (`rh/<owner>/named`), with the owner's child token; the caller has checked
    /// the grant.
    pub async fn open_named(children: &Arc<ChildTokens>, owner: &str) -> Result<Self, VaultError> {
        let store = children.named_for(owner).await?;
        Ok(Self {
            children: Arc::clone(children),
            username: owner.to_owned(),
            named: true,
            store,
        })
    }

    /// Runs a read once more with a fresh child token when Vault refuses the cached one.
    async fn retry<'a, T>(
        &'a self,
        op: impl Fn(Arc<VaultStore>) -> BoxFuture<'a, Result<T, VaultError>> + Send + 'a,
    ) -> Result<T, VaultError> {
        match op(Arc::clone(&self.store)).await {
            Err(VaultError::PermissionDenied { .. }) => {
                self.children.refused(&self.username);
                let fresh = if self.named {
                    self.children.named_for(&self.username).await?
                } else {
                    self.children.store_for(&self.username).await?
                };
                op(fresh).await
            }
            other => other,
        }
    }

    /// A write is made once: it may be several requests (the data, then its metadata), so a retry after a
    /// refusal could write the data twice. A refusal only drops the cached token for the next call.
    fn once<T>(&self, result: Result<T, VaultError>) -> Result<T, VaultError> {
        if matches!(result, Err(VaultError::PermissionDenied { .. })) {
            self.children.refused(&self.username);
        }
        result
    }

    /// See [`VaultStore::put`].
    pub async fn put(
        &self,
        provider: &str,
        secrets: &SecretMap,
        expected: Option<u64>,
    ) -> Result<u64, VaultError> {
        self.once(self.store.put(provider, secrets, expected).await)
    }

    /// See [`VaultStore::get`].
    pub async fn get(&self, provider: &str) -> Result<Option<(SecretMap, u64)>, VaultError> {
        self.retry(|s| Box::pin(async move { s.get(provider).await }))
            .await
    }

    /// See [`VaultStore::history`].
    pub async fn history(&self, provider: &str) -> Result<Vec<VersionInfo>, VaultError> {
        self.retry(|s| Box::pin(async move { s.history(provider).await }))
            .await
    }

    /// See [`VaultStore::fingerprints`].
    pub async fn fingerprints(&self, provider: &str) -> Result<Option<Fingerprints>, VaultError> {
        self.retry(|s| Box::pin(async move { s.fingerprints(provider).await }))
            .await
    }

    /// See [`VaultStore::rollback`].
    pub async fn rollback(&self, provider: &str, version: u64) -> Result<u64, VaultError> {
        self.once(self.store.rollback(provider, version).await)
    }

    /// See [`VaultStore::delete`].
    pub async fn delete(&self, provider: &str) -> Result<bool, VaultError> {
        self.once(self.store.delete(provider).await)
    }

    /// See [`VaultStore::list`].
    pub async fn list(&self) -> Result<Vec<String>, VaultError> {
        self.retry(|s| Box::pin(async move { s.list().await }))
            .await
    }
}

#[async_trait::async_trait]
impl SecretStore for UserVault {
    fn location(&self, provider: &str) -> String {
        SecretStore::location(self.store.as_ref(), provider)
    }

    async fn put(
        &self,
        provider: &str,
        secrets: &ProviderSecrets,
        expected: Option<u64>,
    ) -> Result<u64, VaultError> {
        self.once(SecretStore::put(self.store.as_ref(), provider, secrets, expected).await)
    }

    async fn get(&self, provider: &str) -> Result<Option<(ProviderSecrets, u64)>, VaultError> {
        self.retry(move |s| Box::pin(async move { SecretStore::get(s.as_ref(), provider).await }))
            .await
    }

    async fn history(&self, provider: &str) -> Result<Vec<VersionInfo>, VaultError> {
        Self::history(self, provider).await
    }

    async fn rollback(&self, provider: &str, version: u64) -> Result<u64, VaultError> {
        Self::rollback(self, provider, version).await
    }

    async fn delete(&self, provider: &str) -> Result<bool, VaultError> {
        Self::delete(self, provider).await
    }

    async fn list(&self) -> Result<Vec<String>, VaultError> {
        Self::list(self).await
    }

    async fn fingerprints(&self, provider: &str) -> Result<Option<Fingerprints>, VaultError> {
        Self::fingerprints(self, provider).await
    }
}
