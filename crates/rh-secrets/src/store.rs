//! [`SecretStore`]: where provider secrets live remotely, as one object-safe async trait.
//!
//! [`crate::vault::VaultStore`] implements it by talking to Vault directly; a proxy through rh-server can
//! implement the same trait and run the same `testing::conformance` suite (feature `testing`).
//! Values cross the boundary as [`ProviderSecrets`], redacted at the leaf.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::ProviderSecrets;
use crate::vault::{Fingerprints, Result, SecretMap, VaultStore, VersionInfo};

/// A boxed future, so the trait can be used as `dyn SecretStore`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A remote store of provider secrets with versions, check-and-set writes and value-free fingerprints.
///
/// Semantics every implementation keeps (the conformance suite checks them):
/// - `put` with `expected = Some(v)` writes only if the current version is `v` (`Some(0)`: only if the
///   provider has no secret yet), else [`crate::vault::Error::Conflict`]; `None` writes unconditionally.
///   It returns the new version and records a salted fingerprint of each key for [`SecretStore::fingerprints`].
/// - `get` of a missing provider is `Ok(None)`; `history` of one is empty; `delete` of one is `Ok(false)`.
/// - `fingerprints` reads metadata only, never a value.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    /// Where a provider's secrets live, for messages (`secret/rh/alice/aws`).
    fn location(&self, provider: &str) -> String;

    /// Writes `secrets` as a new version; see the trait docs for `expected`.
    fn put<'a>(
        &'a self,
        provider: &'a str,
        secrets: &'a ProviderSecrets,
        expected: Option<u64>,
    ) -> BoxFuture<'a, Result<u64>>;

    /// The latest version's secrets and its number; `None` if there is none.
    fn get<'a>(
        &'a self,
        provider: &'a str,
    ) -> BoxFuture<'a, Result<Option<(ProviderSecrets, u64)>>>;

    /// Every version's metadata, oldest first (never values).
    fn history<'a>(&'a self, provider: &'a str) -> BoxFuture<'a, Result<Vec<VersionInfo>>>;

    /// Writes the data of `version` again as the newest version; returns the new version.
    fn rollback<'a>(&'a self, provider: &'a str, version: u64) -> BoxFuture<'a, Result<u64>>;

    /// Deletes every version; returns whether anything was there.
    fn delete<'a>(&'a self, provider: &'a str) -> BoxFuture<'a, Result<bool>>;

    /// The providers that have secrets, sorted.
    fn list(&self) -> BoxFuture<'_, Result<Vec<String>>>;

    /// The current version and per-key fingerprints, from metadata alone; `None` if absent.
    fn fingerprints<'a>(&'a self, provider: &'a str)
    -> BoxFuture<'a, Result<Option<Fingerprints>>>;

    /// How many requests this store has made so far, when it counts them.
    fn requests(&self) -> Option<u64> {
        None
    }
}

/// Runs every future concurrently on the current task and returns their outputs in input order, so
/// one provider's round trip does not wait for another's (no runtime, no spawn).
pub async fn join_all<T>(futures: Vec<BoxFuture<'_, T>>) -> Vec<T> {
    let done = futures.iter().map(|_| None).collect();
    JoinAll {
        pending: futures.into_iter().map(Some).collect(),
        done,
    }
    .await
}

struct JoinAll<'a, T> {
    pending: Vec<Option<BoxFuture<'a, T>>>,
    done: Vec<Option<T>>,
}

// Outputs are moved, never pinned; the futures are boxed.
impl<T> Unpin for JoinAll<'_, T> {}

impl<T> Future for JoinAll<'_, T> {
    type Output = Vec<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        let this = &mut *self;
        let mut all = true;
        for (slot, out) in this.pending.iter_mut().zip(this.done.iter_mut()) {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *out = Some(v);
                        *slot = None;
                    }
                    Poll::Pending => all = false,
                }
            }
        }
        if all {
            Poll::Ready(
                this.done
                    .iter_mut()
                    .map(|o| o.take().expect("every future finished"))
                    .collect(),
            )
        } else {
            Poll::Pending
        }
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

impl SecretStore for VaultStore {
    fn location(&self, provider: &str) -> String {
        self.display_path(provider)
    }

    fn put<'a>(
        &'a self,
        provider: &'a str,
        secrets: &'a ProviderSecrets,
        expected: Option<u64>,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(async move { Self::put(self, provider, &to_map(secrets), expected).await })
    }

    fn get<'a>(
        &'a self,
        provider: &'a str,
    ) -> BoxFuture<'a, Result<Option<(ProviderSecrets, u64)>>> {
        Box::pin(async move {
            Ok(Self::get(self, provider)
                .await?
                .map(|(m, v)| (from_map(m), v)))
        })
    }

    fn history<'a>(&'a self, provider: &'a str) -> BoxFuture<'a, Result<Vec<VersionInfo>>> {
        Box::pin(Self::history(self, provider))
    }

    fn rollback<'a>(&'a self, provider: &'a str, version: u64) -> BoxFuture<'a, Result<u64>> {
        Box::pin(Self::rollback(self, provider, version))
    }

    fn delete<'a>(&'a self, provider: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(Self::delete(self, provider))
    }

    fn list(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(Self::list(self))
    }

    fn fingerprints<'a>(
        &'a self,
        provider: &'a str,
    ) -> BoxFuture<'a, Result<Option<Fingerprints>>> {
        Box::pin(Self::fingerprints(self, provider))
    }

    fn requests(&self) -> Option<u64> {
        Some(self.request_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn join_all_keeps_input_order() {
        let futures: Vec<BoxFuture<'_, usize>> = (0..5_usize)
            .map(|i| -> BoxFuture<'_, usize> {
                Box::pin(async move {
                    // Later futures finish first.
                    for _ in 0..(5 - i) {
                        tokio::task::yield_now().await;
                    }
                    i
                })
            })
            .collect();
        assert_eq!(join_all(futures).await, vec![0, 1, 2, 3, 4]);
        assert!(join_all(Vec::<BoxFuture<'_, ()>>::new()).await.is_empty());
    }

    #[test]
    fn maps_convert_both_ways() {
        let s: ProviderSecrets = [("a", "1"), ("b", "2")].into_iter().collect();
        let back = from_map(to_map(&s));
        assert_eq!(back.keys().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(back.expose("b"), Some("2"));
    }
}
