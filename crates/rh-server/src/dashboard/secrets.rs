//! What the Secrets page needs from Vault: per provider, its versions and their times. Never a value.
//!
//! The server wires an implementation when it has Vault configured (the `/user/secret…` proxy); without one
//! the page says so.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// A boxed future, so the trait can be used as `dyn SecretVersions`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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
pub trait SecretVersions: Send + Sync + fmt::Debug {
    /// Every provider `username` has a secret for, with its versions; metadata only. The error is one line
    /// for the page (no value, no token).
    fn versions<'a>(
        &'a self,
        username: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ProviderVersions>, String>>;

    /// Drops what is cached for `username`'s Vault access (their rh token rotated here).
    fn forget<'a>(&'a self, username: &'a str) -> BoxFuture<'a, ()>;
}
