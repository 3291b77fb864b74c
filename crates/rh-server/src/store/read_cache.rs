//! An optional in-process cache of `GET /resource/{uri}`'s lookup (`serve --read-cache-ms N`, at most 1000).
//!
//! Key: the caller's token hash and the resource uri; value: the account and the resource with that account's
//! grant. Only hits are cached (a bad token or a missing resource always asks the database).
//!
//! Freshness: every write transaction of this process bumps a generation counter when it begins and again when
//! it ends ([`crate::store::Store`]'s `begin_write`), and an entry is used only while the generation is the one read
//! before its query, so this process always reads its own writes. Changes made by another process on the same
//! database (or by `rh-server user token`) are seen after at most the TTL: a revoked token or a revoked grant keeps
//! working for up to that long on a process that has just served it.
//!
//! On PostgreSQL the cache also listens ([`listen_for_changes`]): triggers on `users`, `resources` and `grants`
//! (installed by [`crate::store::Store::migrate`]) send a `NOTIFY rh_changes` with every committed change, from any
//! process or any SQL client, and each notification bumps the generation, so another process's change is seen as
//! soon as PostgreSQL delivers the notification (about a millisecond on loopback), not after the TTL. While the
//! listening connection is down the cache is not used at all; the TTL stays as a bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{AccessLevel, StoredResource, User};

/// The longest TTL accepted.
pub const MAX_TTL: Duration = Duration::from_secs(1);
/// Entries kept before the cache is emptied and refilled.
const MAX_ENTRIES: usize = 10_000;

/// What the hot path reads: the caller and the resource with the caller's grant.
pub(crate) type Lookup = (User, StoredResource, Option<AccessLevel>);

struct Entry {
    at: Instant,
    generation: u64,
    value: Lookup,
}

/// See the module docs.
pub(crate) struct ReadCache {
    ttl: Duration,
    map: Mutex<HashMap<(String, String), Entry>>,
    // `false` while a cache that needs change notifications has no listening connection.
    usable: AtomicBool,
}

/// The channel the PostgreSQL triggers notify.
pub(crate) const CHANNEL: &str = "rh_changes";

impl ReadCache {
    /// `notified`: the cache is used only while [`listen_for_changes`] holds a listening connection.
    pub(crate) fn new(ttl: Duration, notified: bool) -> Self {
        Self {
            ttl: ttl.min(MAX_TTL),
            map: Mutex::new(HashMap::new()),
            usable: AtomicBool::new(!notified),
        }
    }

    pub(crate) fn get(
        &self,
        generation: &AtomicU64,
        token_hash: &str,
        uri: &str,
    ) -> Option<Lookup> {
        if !self.usable.load(Ordering::Acquire) {
            return None;
        }
        let now = generation.load(Ordering::Acquire);
        let map = self.map.lock().ok()?;
        let e = map.get(&(token_hash.to_owned(), uri.to_owned()))?;
        (e.generation == now && e.at.elapsed() < self.ttl).then(|| e.value.clone())
    }

    /// Stores `value`, read from the database after `generation` was loaded.
    pub(crate) fn put(&self, generation: u64, token_hash: &str, uri: &str, value: Lookup) {
        let Ok(mut map) = self.map.lock() else { return };
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            (token_hash.to_owned(), uri.to_owned()),
            Entry {
                at: Instant::now(),
                generation,
                value,
            },
        );
    }
}

/// Keeps a `LISTEN rh_changes` connection to `url` open for as long as the task runs, reconnecting with a backoff;
/// every notification, and every (re)connection, bumps `generation`. Spawned by `serve` on PostgreSQL when the
/// cache is on.
pub(crate) async fn listen_for_changes(
    url: String,
    generation: Arc<AtomicU64>,
    cache: Arc<ReadCache>,
) {
    let shown = crate::store::redact_url(&url);
    let mut backoff = Duration::from_millis(100);
    loop {
        match listener(&url).await {
            Ok(mut l) => {
                // Changes made while nobody listened are unknown: start a new generation, then use the cache.
                generation.fetch_add(1, Ordering::AcqRel);
                cache.usable.store(true, Ordering::Release);
                backoff = Duration::from_millis(100);
                tracing::debug!("read cache: listening for changes on {shown}");
                // `Ok(None)`: the connection was lost.
                while let Ok(Some(_)) = l.try_recv().await {
                    generation.fetch_add(1, Ordering::AcqRel);
                }
                cache.usable.store(false, Ordering::Release);
                generation.fetch_add(1, Ordering::AcqRel);
                tracing::warn!(
                    "read cache: lost the change notifications of {shown}; cache off until reconnected"
                );
            }
            Err(e) => tracing::warn!("read cache: cannot listen for changes on {shown}: {e}"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn listener(url: &str) -> sqlx::Result<sqlx::postgres::PgListener> {
    let mut l = sqlx::postgres::PgListener::connect(url).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}
