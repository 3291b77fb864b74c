//! [`SecretStore`]: where provider secrets live remotely, as one object-safe async trait.
//!
//! [`crate::vault::VaultStore`] implements it by talking to Vault directly; a proxy through rh-server can
//! implement the same trait and run the same `testing::conformance` suite (feature `testing`).
//! Values cross the boundary as [`ProviderSecrets`], redacted at the leaf.

use crate::ProviderSecrets;
use crate::vault::{Fingerprints, Result, SecretMap, VaultStore, VersionInfo};

/// A remote store of provider secrets with versions, check-and-set writes and value-free fingerprints.
///
/// Semantics every implementation keeps (the conformance suite checks them):
/// - `put` with `expected = Some(v)` writes only if the current version is `v` (`Some(0)`: only if the
///   provider has no secret yet), else [`crate::vault::Error::Conflict`]; `None` writes unconditionally.
///   It returns the new version and records a salted fingerprint of each key for [`SecretStore::fingerprints`].
/// - `get` of a missing provider is `Ok(None)`; `history` of one is empty; `delete` of one is `Ok(false)`.
/// - `fingerprints` reads metadata only, never a value.
#[async_trait::async_trait]
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    /// Where a provider's secrets live, for messages (`secret/rh/alice/aws`).
    fn location(&self, provider: &str) -> String;

    /// Writes `secrets` as a new version; see the trait docs for `expected`.
    async fn put(
        &self,
        provider: &str,
        secrets: &ProviderSecrets,
        expected: Option<u64>,
    ) -> Result<u64>;

    /// The latest version's secrets and its number; `None` if there is none.
    async fn get(&self, provider: &str) -> Result<Option<(ProviderSecrets, u64)>>;

    /// Every version's metadata, oldest first (never values).
    async fn history(&self, provider: &str) -> Result<Vec<VersionInfo>>;

    /// Writes the data of `version` again as the newest version; returns the new version.
    async fn rollback(&self, provider: &str, version: u64) -> Result<u64>;

    /// Deletes every version; returns whether anything was there.
    async fn delete(&self, provider: &str) -> Result<bool>;

    /// The providers that have secrets, sorted.
    async fn list(&self) -> Result<Vec<String>>;

    /// The current version and per-key fingerprints, from metadata alone; `None` if absent.
    async fn fingerprints(&self, provider: &str) -> Result<Option<Fingerprints>>;

    /// How many requests this store has made so far, when it counts them.
    fn requests(&self) -> Option<u64> {
        None
    }
}

/// [`ProviderSecrets`] as the map [`VaultStore`] takes.
pub fn to_map(secrets: &ProviderSecrets) -> SecretMap {
    secrets
        .iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect()
}

/// A [`VaultStore`] map as [`ProviderSecrets`].
pub fn from_map(map: SecretMap) -> ProviderSecrets {
    let mut out = ProviderSecrets::new();
    for (k, v) in map {
        out.insert_secret(k, v);
    }
    out
}

#[async_trait::async_trait]
impl SecretStore for VaultStore {
    fn location(&self, provider: &str) -> String {
        self.display_path(provider)
    }

    async fn put(
        &self,
        provider: &str,
        secrets: &ProviderSecrets,
        expected: Option<u64>,
    ) -> Result<u64> {
        Self::put(self, provider, &to_map(secrets), expected).await
    }

    async fn get(&self, provider: &str) -> Result<Option<(ProviderSecrets, u64)>> {
        Ok(Self::get(self, provider)
            .await?
            .map(|(m, v)| (from_map(m), v)))
    }

    async fn history(&self, provider: &str) -> Result<Vec<VersionInfo>> {
        Self::history(self, provider).await
    }

    async fn rollback(&self, provider: &str, version: u64) -> Result<u64> {
        Self::rollback(self, provider, version).await
    }

    async fn delete(&self, provider: &str) -> Result<bool> {
        Self::delete(self, provider).await
    }

    async fn list(&self) -> Result<Vec<String>> {
        Self::list(self).await
    }

    async fn fingerprints(&self, provider: &str) -> Result<Option<Fingerprints>> {
        Self::fingerprints(self, provider).await
    }

    fn requests(&self) -> Option<u64> {
        Some(self.request_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_convert_both_ways() {
        let s: ProviderSecrets = [("a", "1"), ("b", "2")].into_iter().collect();
        let back = from_map(to_map(&s));
        assert_eq!(back.keys().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(back.expose("b"), Some("2"));
    }
}
