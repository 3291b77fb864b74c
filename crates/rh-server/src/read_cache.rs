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

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::store::{StoredResource, User};

/// The longest TTL accepted.
pub const MAX_TTL: Duration = Duration::from_secs(1);
/// Entries kept before the cache is emptied and refilled.
const MAX_ENTRIES: usize = 10_000;

/// What the hot path reads: the caller and the resource with the caller's grant.
pub(crate) type Lookup = (User, StoredResource, Option<String>);

struct Entry {
    at: Instant,
    generation: u64,
    value: Lookup,
}

/// See the module docs.
pub(crate) struct ReadCache {
    ttl: Duration,
    map: Mutex<HashMap<(String, String), Entry>>,
}

impl ReadCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl: ttl.min(MAX_TTL),
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(
        &self,
        generation: &AtomicU64,
        token_hash: &str,
        uri: &str,
    ) -> Option<Lookup> {
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
