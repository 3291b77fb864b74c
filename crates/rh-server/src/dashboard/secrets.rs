//! What the Secrets page needs from Vault: per provider, its versions and their times. Never a value.
//!
//! The server wires an implementation when it has Vault configured (the `/user/secret…` proxy); without one
//! the page says so.

use std::fmt;

/// One version of a provider's secret (metadata only, as Vault's KV v2 metadata gives it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVersion {
    /// The version number (1-based).
    pub version: u64,
    /// When it was written (RFC 3339).
    pub created_time: String,
    /// When it was soft-deleted, if it was.
    pub deletion_time: Option<String>,
    /// Whether its data was destroyed.
    pub destroyed: bool,
}

/// A provider's secret and its versions, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderVersions {
    /// The provider name (`aws`, `gcp`, …).
    pub provider: String,
    /// Its versions, newest first.
    pub versions: Vec<SecretVersion>,
}

/// The metadata source behind the Secrets page.
#[async_trait::async_trait]
pub trait SecretVersions: Send + Sync + fmt::Debug {
    /// Every provider `username` has a secret for, with its versions; metadata only. The error is one line
    /// for the page (no value, no token).
    async fn versions(&self, username: &str) -> Result<Vec<ProviderVersions>, String>;

    /// Drops what is cached for `username`'s Vault access (their rh token rotated here).
    async fn forget(&self, username: &str);
}

/// What a named secret's page shows of its Vault side: its versions, its keys and, when revealed, its values.
#[derive(Clone, PartialEq, Eq)]
pub struct NamedView {
    /// The current version.
    pub version: u64,
    /// Its versions, newest first.
    pub versions: Vec<SecretVersion>,
    /// The keys of the current version, sorted.
    pub keys: Vec<String>,
    /// The current values (key, value), only when the caller asked to reveal them.
    pub values: Option<Vec<(String, String)>>,
}

/// Keys and versions only: a revealed value never reaches a log line.
impl fmt::Debug for NamedView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedView")
            .field("version", &self.version)
            .field("keys", &self.keys)
            .field("revealed", &self.values.is_some())
            .finish_non_exhaustive()
    }
}

/// The Vault side of a named secret's page.
#[async_trait::async_trait]
pub trait NamedSecretVault: Send + Sync + fmt::Debug {
    /// The named secret `key` of `owner` (see [`crate::vault::named_key`]); `None` when no values are stored.
    /// Values only with `reveal`. The error is one line for the page (no value, no token).
    async fn named(
        &self,
        owner: &str,
        key: &str,
        reveal: bool,
    ) -> Result<Option<NamedView>, String>;

    /// Deletes every version of the named secret `key` of `owner` from Vault; `Ok` also when none are
    /// stored. The error is one line, as for [`Self::named`].
    async fn delete_values(&self, owner: &str, key: &str) -> Result<(), String>;

    /// Makes `version` of the named secret `key` of `owner` current again, as a new Vault version; returns
    /// that new version. The error is one line, as for [`Self::named`].
    async fn rollback(&self, owner: &str, key: &str, version: u64) -> Result<u64, String>;
}
