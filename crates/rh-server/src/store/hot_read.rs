//! The hot read of `GET /resource/{uri}` (token → account → resource → grant, one query), run on a few
//! connections kept outside sqlx's pool.
//!
//! Why: at one client, most of a pooled read is not the query. sqlx's pool spawns a task to take every
//! connection back (`PoolConnection::drop`), which wakes the other runtime thread; its SQLite driver runs each
//! statement on a worker thread and hands the rows back through channels. Measured with `perf` on a 2-core
//! machine, context switches were over half of the server's time per GET. Here:
//! - **SQLite**: read-only `rusqlite` connections on the same `libsqlite3` the pool uses, the statement prepared
//!   once per connection, run inline on the request's thread. A WAL reader does not wait for the writer, and
//!   the connection has no busy timeout, so the rare `SQLITE_BUSY` (a checkpoint resetting the WAL) returns at
//!   once instead of blocking the thread.
//! - **PostgreSQL**: plain `PgConnection`s (sqlx, native driver, its statement cache), checked out and back
//!   under a mutex, with no task spawned.
//!
//! Invariants: this path only reads; it never answers an error. Any failure (busy, connection lost, all
//! connections in use) returns `None` and the caller runs the same query through the pool, which retries,
//! waits and reports errors as every other query does. A connection goes back to the idle list only after a
//! query completed on it; one dropped mid-query (client gone) is closed, and its slot freed.

use std::path::PathBuf;
use std::sync::Mutex;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// Connections this path may hold, per process, in addition to the pool's.
const MAX_CONNECTIONS: usize = 8;

/// The PostgreSQL `application_name` of these connections (visible in `pg_stat_activity`).
pub(crate) const APPLICATION_NAME: &str = "rh-server hot read";

/// The joined row: the account, then the resource and the grant (all `None` when no resource is at that uri).
#[derive(Debug)]
pub(crate) struct HotRow {
    pub(crate) username: String,
    pub(crate) email: Option<String>,
    pub(crate) user_config: String,
    pub(crate) token_hash: String,
    pub(crate) owner: Option<String>,
    pub(crate) visibility: Option<String>,
    pub(crate) config: Option<String>,
    pub(crate) version: Option<i64>,
    pub(crate) access_level: Option<String>,
}

/// `$1` token hash, `$2` uri, `$3` now (RFC 3339 text, as stored). Shared with the pooled path.
pub(crate) const USER_AND_RESOURCE: &str = "SELECT u.username, u.email, u.config, u.token_hash, \
     r.owner, r.visibility, r.config, r.version, g.access_level \
     FROM users u LEFT JOIN resources r ON r.uri = $2 \
     LEFT JOIN grants g ON g.uri = r.uri AND g.username = u.username \
     WHERE u.token_hash = $1 AND (u.token_expires_at IS NULL OR u.token_expires_at > $3)";

/// The connections of one backend.
pub(crate) enum HotRead {
    Sqlite {
        path: PathBuf,
        slots: Slots<rusqlite::Connection>,
    },
    Postgres {
        options: Box<PgConnectOptions>,
        slots: Slots<PgConnection>,
    },
}

impl std::fmt::Debug for HotRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite { .. } => "HotRead::Sqlite",
            Self::Postgres { .. } => "HotRead::Postgres",
        })
    }
}

/// What a lookup found: `Some(row)` / `None` for no account with that token, or `Err(())` for "ask the pool".
pub(crate) type Lookup = Result<Option<HotRow>, ()>;

impl HotRead {
    pub(crate) fn sqlite(path: PathBuf) -> Self {
        Self::Sqlite {
            path,
            slots: Slots::new(),
        }
    }

    pub(crate) fn postgres(options: PgConnectOptions) -> Self {
        Self::Postgres {
            options: Box::new(options.application_name(APPLICATION_NAME)),
            slots: Slots::new(),
        }
    }

    pub(crate) async fn user_and_resource(&self, token_hash: &str, uri: &str, now: &str) -> Lookup {
        match self {
            Self::Sqlite { path, slots } => {
                let lease = sqlite_lease(path, slots)?;
                let conn = lease.conn.as_ref().expect("set above");
                let row = sqlite_lookup(conn, token_hash, uri, now).map_err(|e| debug(&e))?;
                lease.give_back();
                Ok(row)
            }
            Self::Postgres { options, slots } => {
                let mut lease = pg_lease(options, slots).await?;
                let conn = lease.conn.as_mut().expect("set above");
                let row = sqlx::query(USER_AND_RESOURCE)
                    .bind(token_hash)
                    .bind(uri)
                    .bind(now)
                    .fetch_optional(conn)
                    .await
                    .map_err(|e| debug(&e))?;
                let row = row
                    .map(|r| HotRow::from_sqlx(&r))
                    .transpose()
                    .map_err(|e| debug(&e))?;
                lease.give_back();
                Ok(row)
            }
        }
    }
}

fn debug(e: &dyn std::fmt::Display) {
    tracing::debug!("hot read falls back to the pool: {e}");
}

/// A free SQLite slot with its connection, opened on first use; `Err` sends the caller to the pool.
fn sqlite_lease<'a>(
    path: &std::path::Path,
    slots: &'a Slots<rusqlite::Connection>,
) -> Result<Lease<'a, rusqlite::Connection>, ()> {
    let mut lease = slots.lease().ok_or(())?;
    if lease.conn.is_none() {
        lease.conn = Some(open_sqlite(path).map_err(|e| debug(&e))?);
    }
    Ok(lease)
}

/// A free PostgreSQL slot with its connection, opened on first use; `Err` sends the caller to the pool.
async fn pg_lease<'a>(
    options: &PgConnectOptions,
    slots: &'a Slots<PgConnection>,
) -> Result<Lease<'a, PgConnection>, ()> {
    let mut lease = slots.lease().ok_or(())?;
    if lease.conn.is_none() {
        lease.conn = Some(
            PgConnection::connect_with(options)
                .await
                .map_err(|e| debug(&e))?,
        );
    }
    Ok(lease)
}

fn open_sqlite(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // No busy handler: a busy database sends this read to the pool instead of blocking the thread.
    conn.busy_timeout(std::time::Duration::ZERO)?;
    Ok(conn)
}

fn sqlite_lookup(
    conn: &rusqlite::Connection,
    token_hash: &str,
    uri: &str,
    now: &str,
) -> rusqlite::Result<Option<HotRow>> {
    let mut stmt = conn.prepare_cached(USER_AND_RESOURCE)?;
    // SQLite numbers `$N` parameters in order of appearance (`$2` comes first here): bind them by name.
    let mut rows = stmt.query(rusqlite::named_params! {"$1": token_hash, "$2": uri, "$3": now})?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(HotRow {
        username: r.get(0)?,
        email: r.get(1)?,
        user_config: r.get(2)?,
        token_hash: r.get(3)?,
        owner: r.get(4)?,
        visibility: r.get(5)?,
        config: r.get(6)?,
        version: r.get(7)?,
        access_level: r.get(8)?,
    }))
}

impl HotRow {
    /// From a sqlx row of [`USER_AND_RESOURCE`] (PostgreSQL's here, `Any`'s on the pooled path).
    pub(crate) fn from_sqlx<R: sqlx::Row>(r: &R) -> sqlx::Result<Self>
    where
        usize: sqlx::ColumnIndex<R>,
        String: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
        i64: for<'a> sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    {
        Ok(Self {
            username: r.try_get(0)?,
            email: r.try_get(1)?,
            user_config: r.try_get(2)?,
            token_hash: r.try_get(3)?,
            owner: r.try_get(4)?,
            visibility: r.try_get(5)?,
            config: r.try_get(6)?,
            version: r.try_get(7)?,
            access_level: r.try_get(8)?,
        })
    }
}

/// Idle connections and how many exist (idle or leased), at most [`MAX_CONNECTIONS`].
pub(crate) struct Slots<C> {
    inner: Mutex<(Vec<C>, usize)>,
}

impl<C> Slots<C> {
    fn new() -> Self {
        Self {
            inner: Mutex::new((Vec::new(), 0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<C>, usize)> {
        // The lists stay consistent across a panic: every change is one push, pop or counter step.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An idle connection, or an empty slot to open one in; `None` when all are in use.
    fn lease(&self) -> Option<Lease<'_, C>> {
        let mut g = self.lock();
        let (idle, open) = &mut *g;
        let conn = match idle.pop() {
            Some(c) => Some(c),
            None if *open < MAX_CONNECTIONS => {
                *open += 1;
                None
            }
            None => return None,
        };
        Some(Lease { slots: self, conn })
    }
}

/// A connection (or an empty slot) taken from [`Slots`]. Dropped without [`Lease::give_back`] (an error, or
/// the request's future dropped mid-query), it closes the connection and frees the slot.
struct Lease<'a, C> {
    slots: &'a Slots<C>,
    conn: Option<C>,
}

impl<C> Lease<'_, C> {
    fn give_back(mut self) {
        if let Some(c) = self.conn.take() {
            self.slots.lock().0.push(c);
            std::mem::forget(self);
        }
    }
}

impl<C> Drop for Lease<'_, C> {
    fn drop(&mut self) {
        let mut g = self.slots.lock();
        g.1 = g.1.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_leases_and_free_them() {
        let slots: Slots<u32> = Slots::new();
        let mut leases: Vec<_> = (0..MAX_CONNECTIONS)
            .map(|_| slots.lease().expect("a free slot"))
            .collect();
        assert!(
            leases.iter().all(|l| l.conn.is_none()),
            "no idle connection yet"
        );
        assert!(slots.lease().is_none(), "all slots in use: ask the pool");
        // A lease dropped without giving back (an error, a dropped future) frees its slot.
        drop(leases.pop());
        let mut fresh = slots.lease().expect("the freed slot");
        fresh.conn = Some(7);
        fresh.give_back();
        assert_eq!(slots.lock().0, vec![7], "given back: idle");
        assert_eq!(slots.lock().1, MAX_CONNECTIONS);
        drop(leases);
        assert_eq!(slots.lock().1, 1, "only the idle connection remains");
        let again = slots.lease().expect("the idle one");
        assert_eq!(again.conn, Some(7));
    }
}

// ---- Named secrets: the grant check of `/user/secret/{uri}` on the same connections (no cache: a revoke holds
// from the very next request, as the committed row is what a WAL reader or PostgreSQL sees) ----

/// `$1` uri, `$2` username: the resource at that uri and that account's grant on it.
pub(crate) const RESOURCE_AND_GRANT: &str = "SELECT r.owner, r.visibility, r.config, r.version, g.access_level \
     FROM resources r LEFT JOIN grants g ON g.uri = r.uri AND g.username = $2 WHERE r.uri = $1";

/// A row of [`RESOURCE_AND_GRANT`].
#[derive(Debug)]
pub(crate) struct GrantRow {
    pub(crate) owner: String,
    pub(crate) visibility: String,
    pub(crate) config: String,
    pub(crate) version: i64,
    pub(crate) access_level: Option<String>,
}

impl HotRead {
    /// The resource at `uri` with `username`'s grant; `Err(())`: ask the pool (see the module docs).
    pub(crate) async fn resource_and_grant(
        &self,
        uri: &str,
        username: &str,
    ) -> Result<Option<GrantRow>, ()> {
        match self {
            Self::Sqlite { path, slots } => {
                let lease = sqlite_lease(path, slots)?;
                let conn = lease.conn.as_ref().expect("set above");
                let row = sqlite_grant(conn, uri, username).map_err(|e| debug(&e))?;
                lease.give_back();
                Ok(row)
            }
            Self::Postgres { options, slots } => {
                let mut lease = pg_lease(options, slots).await?;
                let conn = lease.conn.as_mut().expect("set above");
                let row = sqlx::query(RESOURCE_AND_GRANT)
                    .bind(uri)
                    .bind(username)
                    .fetch_optional(conn)
                    .await
                    .map_err(|e| debug(&e))?;
                let row = row
                    .map(|r| {
                        use sqlx::Row as _;
                        Ok::<_, sqlx::Error>(GrantRow {
                            owner: r.try_get(0)?,
                            visibility: r.try_get(1)?,
                            config: r.try_get(2)?,
                            version: r.try_get(3)?,
                            access_level: r.try_get(4)?,
                        })
                    })
                    .transpose()
                    .map_err(|e| debug(&e))?;
                lease.give_back();
                Ok(row)
            }
        }
    }
}

fn sqlite_grant(
    conn: &rusqlite::Connection,
    uri: &str,
    username: &str,
) -> rusqlite::Result<Option<GrantRow>> {
    let mut stmt = conn.prepare_cached(RESOURCE_AND_GRANT)?;
    let mut rows = stmt.query(rusqlite::named_params! {"$1": uri, "$2": username})?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(GrantRow {
        owner: r.get(0)?,
        visibility: r.get(1)?,
        config: r.get(2)?,
        version: r.get(3)?,
        access_level: r.get(4)?,
    }))
}
