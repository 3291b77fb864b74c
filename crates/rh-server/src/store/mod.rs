//! The database: connection (SQLite or PostgreSQL through sqlx's `Any` driver), migrations and every query.
//!
//! The reads here are portable between the two backends: `$N` parameters (sqlx's SQLite driver reads them by
//! number), TEXT and BIGINT columns only. The writes have one path per engine: on SQLite every write is a
//! closure run by the one writer thread ([`writer`], bodies in [`sqlite_write`]; an in-memory database gets a
//! scratch file so it has one too); on PostgreSQL, [`pg_write`] (one statement where it can be) or a
//! [`Store::begin_write`] transaction. Every multi-row write is atomic, so a failed request leaves nothing
//! behind.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Row, Transaction};

pub mod audit;
pub mod backup;
pub mod credentials;
mod hot_read;
pub(crate) mod listing;
pub(crate) mod named_secrets;
pub(crate) mod outbox;
mod pg_write;
pub mod read_cache;
pub(crate) mod sessions;
mod sqlite_write;
mod writer;

use self::hot_read::{HotRead, HotRow, USER_AND_RESOURCE};
use self::read_cache::ReadCache;
use self::sqlite_write as sw;
pub use self::writer::Synchronous;
/// The error of a statement on SQLite's writer connection (rusqlite stays inside `store/`).
pub type SqliteError = rusqlite::Error;
use self::writer::Writer;
pub(crate) use self::writer::is_busy;
use crate::audit::Audit;
pub use crate::model::{AccessLevel, Visibility};
use crate::{Error, Result, token};

/// The SQLite file inside a data directory.
pub const SQLITE_FILE: &str = "rh-server.db";

/// Where the data lives.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// An embedded SQLite file in this directory (created 0700 if missing).
    DataDir(PathBuf),
    /// A database URL: `postgres://…` or `sqlite://…`.
    Url(String),
}

impl fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DataDir(d) => f.debug_tuple("DataDir").field(d).finish(),
            Self::Url(u) => f.debug_tuple("Url").field(&redact_url(u)).finish(),
        }
    }
}

impl fmt::Display for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DataDir(d) => write!(f, "sqlite {}", d.join(SQLITE_FILE).display()),
            Self::Url(u) => f.write_str(&redact_url(u)),
        }
    }
}

/// A URL with any password replaced by `****`, for logs and errors.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:****@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

/// Which SQL engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (WAL mode).
    Sqlite,
    /// PostgreSQL; several rh-server processes may share one database.
    Postgres,
}

/// An account.
#[derive(Debug, Clone)]
pub struct User {
    /// The unique username (also the owner segment of the user's resources).
    pub username: String,
    /// The account email, lowercased.
    pub email: Option<String>,
    /// The user's stored defaults (never holds a token, username or secrets).
    pub config: Value,
}

/// A stored resource, as the authorization code needs it.
#[derive(Debug, Clone)]
pub struct StoredResource {
    /// The owner username.
    pub owner: String,
    /// Who besides the owner and grantees may read it.
    pub visibility: Visibility,
    /// The stored payload: core fields plus `data`.
    pub config: Value,
    /// Version number of the current config (1 for a fresh resource).
    pub version: i64,
}

/// One entry of a resource's history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    /// Version number; versions only grow, across deletes and re-creates too (unless the history was purged).
    pub version: i64,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// Username of who made the change.
    pub author: String,
    /// The full config of that version (for a delete, the last config); `Null` in a listing without configs.
    pub config: Value,
    /// RFC 3339 UTC time of the change.
    pub timestamp: String,
}

/// What deciding who sees which versions of a resource needs: the resource with the reader's grant, its
/// incarnation and the versions from which the grant and its visibility let the reader read.
#[derive(Debug, Clone)]
pub struct HistoryView {
    /// The resource.
    pub resource: StoredResource,
    /// The reader's grant on it, if any.
    pub grant: Option<AccessLevel>,
    /// The incarnation: history is kept per incarnation, not per address.
    pub resource_id: String,
    /// The version from which everyone may read it (unlisted or public since then); `None` while private.
    pub open_since: Option<i64>,
    /// The version current when the reader's grant was made.
    pub grant_since: Option<i64>,
}

/// Which history entries a reader sees: one incarnation, from one version on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryScope {
    /// The incarnation.
    pub resource_id: String,
    /// The oldest version shown (0: all).
    pub from_version: i64,
}

/// One page of history, newest first.
#[derive(Debug, Clone)]
pub struct HistoryPage {
    /// The entries.
    pub entries: Vec<HistoryEntry>,
    /// When older entries exist: the `before` that reads the next page (the oldest version of this one).
    pub next: Option<i64>,
}

/// Most bytes of configs one history page holds (at least one entry is always returned): the page size cap
/// in memory, whatever `limit` asked for.
pub const HISTORY_PAGE_BYTES: i64 = 32 * 1024 * 1024;

/// Most notification mails, and separately most invitations of emails without an account, one user may queue
/// per hour; a share beyond it is refused (429) and queues nothing.
pub const INVITES_PER_HOUR: i64 = 200;

/// How a [`Store::grant`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    /// Grants, invitations and notifications are stored.
    Done,
    /// The sharer reached [`INVITES_PER_HOUR`]; nothing was stored.
    HourlyCapReached,
}

/// The new state of a resource, as an update decided it.
#[derive(Debug, Clone)]
pub struct Change {
    /// The `resource_type` column.
    pub resource_type: Option<String>,
    /// The new visibility.
    pub visibility: Visibility,
    /// The full payload to store.
    pub config: Value,
    /// On what the decision rests; it stands while that is unchanged.
    pub rests_on: RestsOn,
}

/// What an update's decision read of the current resource: while that is unchanged, the same [`Change`] is
/// decided, so PostgreSQL may check it under the row lock in SQL instead of deciding again (see [`pg_write`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestsOn {
    /// The whole row as read (its version).
    TheVersionRead,
    /// The owner, the visibility and the caller's grant as read, and that the stored config is not the new one
    /// (e.g. "write access, and not unchanged").
    AccessAndAnotherConfig,
}

/// A notification row for the outbox.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Email address.
    pub recipient: String,
    /// One-line subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// One change to sharing: who, and which level (`read`/`write`), or a removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// An existing account.
    User(String),
    /// An email with no account: a pending invitation.
    Email(String),
}

/// The database handle. Cheap to clone; all clones share one pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    // Bumped when a write transaction of this process begins and ends; see `read_cache`.
    generation: Arc<AtomicU64>,
    read_cache: Option<Arc<ReadCache>>,
    // The `GET /resource/{uri}` lookup on connections outside the pool; `None` for in-memory SQLite.
    hot: Option<Arc<HotRead>>,
    // The PostgreSQL URL, for the change listener of the read cache.
    url: Option<String>,
    outbox_ready: Arc<tokio::sync::Notify>,
    // SQLite: the one writer, which runs every write (`writer`); `None` on PostgreSQL.
    writer: Option<Writer>,
    // In-memory SQLite: the directory of its file, removed when the last clone goes.
    #[cfg_attr(not(test), expect(dead_code, reason = "held for its Drop"))]
    scratch: Option<Arc<ScratchDir>>,
}

/// A private (0700) directory under the system's temp dir holding an in-memory database's file; removed on
/// drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn create() -> Result<Self> {
        use std::os::unix::fs::DirBuilderExt as _;
        let dir = std::env::temp_dir().join(format!("rh-server-memory-{}", token::random_id()?));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|source| Error::Io {
                context: format!("cannot create {} for the in-memory database", dir.display()),
                source,
            })?;
        Ok(Self(dir))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// A PostgreSQL write transaction; the write generation is bumped when it begins and ends.
pub(crate) struct WriteTx {
    pub(crate) tx: Transaction<'static, Any>,
    _bump: Bump,
}

/// Bumps the write generation when a [`WriteTx`] ends (after its commit or rollback).
struct Bump(Arc<AtomicU64>);

impl Drop for Bump {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// The one format of every time the store keeps (`2026-12-02T15:31:39.123456Z`): RFC 3339 UTC with
/// microseconds, so stamps compare as strings.
const STAMP: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

/// `t` in the store's format ([`STAMP`]).
pub(crate) fn stamp(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(STAMP)
        .expect("a UTC time always formats")
}

/// A time in the store's format, or `None` if `text` is not one.
pub(crate) fn parse_stamp(text: &str) -> Option<time::OffsetDateTime> {
    time::PrimitiveDateTime::parse(text, STAMP)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

pub(crate) fn now() -> String {
    stamp(time::OffsetDateTime::now_utc())
}

fn parse_json(text: &str) -> Value {
    // Rows are only ever written by this crate from a serde_json::Value, so they always parse.
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A stored enum value ([`Visibility`], [`AccessLevel`]); rows are only written by this crate, so an unknown
/// one is a damaged database, reported as such.
#[expect(
    clippy::needless_pass_by_value,
    reason = "takes the decoded column, also through Option::map"
)]
pub(super) fn parse_column<T: std::str::FromStr<Err = Error>>(text: String) -> Result<T> {
    text.parse().map_err(|e| Error::Corrupt(Box::new(e)))
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn migrator() -> Migrator {
    Migrator {
        migrations: Cow::Owned(vec![
            Migration::new(
                1,
                Cow::Borrowed("init"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../../migrations/0001_init.sql")),
                false,
            ),
            Migration::new(
                2,
                Cow::Borrowed("dashboard sessions"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../../migrations/0002_sessions.sql")),
                false,
            ),
            Migration::new(
                3,
                Cow::Borrowed("token expiry and revocation, audit log"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../../migrations/0003_security.sql")),
                false,
            ),
            Migration::new(
                4,
                Cow::Borrowed("outbox delivery"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../../migrations/0004_outbox_delivery.sql")),
                false,
            ),
            Migration::new(
                5,
                Cow::Borrowed("history per incarnation, readers' first versions, outbox sender"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../../migrations/0005_incarnations.sql")),
                false,
            ),
            Migration::new(
                6,
                Cow::Borrowed("dashboard sessions bound to their token"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../../migrations/0006_session_binding.sql")),
                false,
            ),
            Migration::new(
                7,
                Cow::Borrowed("secrets their write grantees may share further"),
                MigrationType::Simple,
                Cow::Borrowed(include_str!("../../migrations/0007_reshare.sql")),
                false,
            ),
        ]),
        ..Migrator::DEFAULT
    }
}

impl Store {
    /// Connects (creating the SQLite file and its directory if needed). Does not migrate: call [`Store::migrate`].
    pub async fn open(target: &DatabaseTarget) -> Result<Self> {
        Self::open_with(target, Synchronous::default()).await
    }

    /// [`Store::open`] with SQLite's durability setting (`PRAGMA synchronous`; ignored on PostgreSQL).
    pub async fn open_with(target: &DatabaseTarget, synchronous: Synchronous) -> Result<Self> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let mut scratch = None;
        let (url, backend) = match target {
            DatabaseTarget::DataDir(dir) => {
                rh_config::ensure_private_dir(dir)?;
                warn_if_shared_dir(dir);
                let file = dir.join(SQLITE_FILE);
                private_sqlite_file(&file)?;
                (sqlite_url(&file), Backend::Sqlite)
            }
            DatabaseTarget::Url(url) => {
                if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                    (url.clone(), Backend::Postgres)
                } else if url.starts_with("sqlite:") && sqlite_file_of(url).is_none() {
                    // In memory: a file of its own in a private scratch directory, removed with the store, so
                    // it is written by the one writer and read by the hot read as every SQLite database is.
                    let dir = ScratchDir::create()?;
                    let file = dir.0.join(SQLITE_FILE);
                    private_sqlite_file(&file)?;
                    let url = sqlite_url(&file);
                    scratch = Some(Arc::new(dir));
                    (url, Backend::Sqlite)
                } else if url.starts_with("sqlite:") {
                    // Create the file if it is missing, as the data-dir form does; with a query of its own, only
                    // when that query lets SQLite create it (`mode=rwc`), else an existing file is narrowed.
                    let url = if let Some((_, query)) = url.split_once('?') {
                        if let Some(file) = sqlite_file_of(url) {
                            if query.split('&').any(|p| p == "mode=rwc") {
                                private_sqlite_file(&file)?;
                            } else {
                                narrow_to_owner(&file);
                            }
                        }
                        url.clone()
                    } else {
                        if let Some(file) = sqlite_file_of(url) {
                            private_sqlite_file(&file)?;
                        }
                        format!("{url}?mode=rwc")
                    };
                    (url, Backend::Sqlite)
                } else {
                    return Err(Error::UnsupportedDatabaseUrl(redact_url(url)));
                }
            }
        };
        // No ping before each checkout: it doubles the round trips, and a dead connection fails the query anyway.
        let options = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false);
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(8)
                    .after_connect(move |conn, _meta| {
                        Box::pin(async move {
                            // The pool writes only migrations; the writer thread sets the same.
                            sqlx::query(&format!("PRAGMA synchronous = {}", synchronous.as_str()))
                                .execute(&mut *conn)
                                .await?;
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?
            }
            Backend::Postgres => options.max_connections(16).connect(&url).await?,
        };
        if backend == Backend::Sqlite {
            // The journal mode is stored in the file, so setting it once is enough.
            sqlx::query("PRAGMA journal_mode = WAL")
                .fetch_optional(&pool)
                .await?;
            // SQLite gives -wal and -shm the database file's mode; files made by an older rh-server are narrowed.
            if let Some(file) = sqlite_file_of(&url) {
                for suffix in ["-wal", "-shm"] {
                    let mut side = file.clone().into_os_string();
                    side.push(suffix);
                    narrow_to_owner(Path::new(&side));
                }
            }
        }
        let generation = Arc::new(AtomicU64::new(0));
        let writer = match (backend, sqlite_file_of(&url)) {
            (Backend::Sqlite, Some(file)) => {
                // Nothing of a scratch database outlives the process, so no write waits for the disk.
                let synchronous = if scratch.is_some() {
                    Synchronous::Normal
                } else {
                    synchronous
                };
                Some(Writer::start(&file, synchronous, Arc::clone(&generation))?)
            }
            (Backend::Sqlite, None) => unreachable!("an in-memory database has a scratch file"),
            (Backend::Postgres, _) => None,
        };
        Ok(Self {
            pool,
            backend,
            generation,
            writer,
            read_cache: None,
            hot: hot_read(&url, backend).map(Arc::new),
            url: (backend == Backend::Postgres).then_some(url),
            outbox_ready: Arc::new(tokio::sync::Notify::new()),
            scratch,
        })
    }

    /// Caches `GET /resource/{uri}` lookups for `ttl` (at most [`self::read_cache::MAX_TTL`]); see
    /// [`read_cache`] for what may be stale and for how long.
    #[must_use]
    pub fn with_read_cache(mut self, ttl: Duration) -> Self {
        let notified = self.backend == Backend::Postgres;
        self.read_cache = (!ttl.is_zero()).then(|| Arc::new(ReadCache::new(ttl, notified)));
        self
    }

    /// On PostgreSQL with the read cache on: spawns the task that listens for other processes' changes (see
    /// [`read_cache`]); until it is listening, the cache is not used. `None` otherwise.
    pub fn spawn_change_listener(&self) -> Option<tokio::task::JoinHandle<()>> {
        let cache = self.read_cache.clone()?;
        let url = self
            .url
            .clone()
            .filter(|_| self.backend == Backend::Postgres)?;
        Some(tokio::spawn(self::read_cache::listen_for_changes(
            url,
            self.generation.clone(),
            cache,
        )))
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; returns how many were applied.
    pub async fn migrate(&self) -> Result<usize> {
        let migrator = migrator();
        let before = self.applied_migrations().await;
        migrator.run(&self.pool).await?;
        if self.backend == Backend::Postgres {
            // Not a numbered migration: the same migration files serve SQLite, which has no NOTIFY. Idempotent.
            sqlx::raw_sql(PG_CHANGE_TRIGGERS)
                .execute(&self.pool)
                .await?;
        }
        let after = self.applied_migrations().await;
        Ok(after.saturating_sub(before))
    }

    async fn applied_migrations(&self) -> usize {
        // The table does not exist before the first run; that counts as zero.
        sqlx::query("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_all(&self.pool)
            .await
            .map_or(0, |rows| rows.len())
    }

    /// Closes the pool, waiting for connections to be returned, and stops SQLite's writer after the writes
    /// queued so far.
    pub async fn close(&self) {
        if let Some(w) = &self.writer {
            w.stop().await;
        }
        self.pool.close().await;
    }

    /// SQLite's writer, when this store has one (a SQLite file): every SQLite write goes through it.
    pub(crate) fn sqlite_writer(&self) -> Option<&Writer> {
        self.writer.as_ref()
    }

    /// The connection pool, for the queries of the submodules.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A PostgreSQL transaction for the writes that are not one statement yet (SQLite's all go through its
    /// writer).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        debug_assert_eq!(
            self.backend,
            Backend::Postgres,
            "SQLite writes through its writer"
        );
        self.generation.fetch_add(1, Ordering::AcqRel);
        let bump = Bump(Arc::clone(&self.generation));
        Ok(WriteTx {
            tx: self.pool.begin().await?,
            _bump: bump,
        })
    }

    // ---- users ----

    /// Creates an account (its token expiring at `expires_at`, if given) and turns pending invitations for its
    /// email into grants, with `audit`'s row, in one transaction. Returns the addresses and levels granted
    /// that way.
    pub async fn create_user(
        &self,
        username: &str,
        email: Option<&str>,
        token_hash: &str,
        expires_at: Option<&str>,
        audit: &Audit,
    ) -> Result<Vec<(String, AccessLevel)>> {
        if let Some(w) = self.sqlite_writer() {
            let u = sw::NewUser {
                username: username.to_owned(),
                email: email.map(str::to_owned),
                token_hash: token_hash.to_owned(),
                expires_at: expires_at.map(str::to_owned),
            };
            let audit = audit.clone();
            return w.write(move |c| sw::create_user(c, &u, &audit)).await;
        }
        self.pg_create_user(username, email, token_hash, expires_at, audit)
            .await
    }

    /// The account whose token hashes to `token_hash`, unless that token has expired. Every authenticated
    /// request starts here, so it runs on the hot read's connections (the pool only as their fallback).
    pub async fn user_by_token_hash(&self, token_hash: &str) -> Result<Option<User>> {
        let now = now();
        if let Some(hot) = &self.hot
            // No resource has an empty address: the row is the account's alone.
            && let Ok(row) = hot.user_and_resource(token_hash, "", &now).await
        {
            return Ok(row
                .filter(|r| token::constant_time_eq(r.token_hash.as_bytes(), token_hash.as_bytes()))
                .map(|r| User {
                    username: r.username,
                    email: r.email,
                    config: parse_json(&r.user_config),
                }));
        }
        let row = sqlx::query(
            "SELECT username, email, config, token_hash FROM users WHERE token_hash = $1 \
             AND (token_expires_at IS NULL OR token_expires_at > $2)",
        )
        .bind(token_hash)
        .bind(&now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let stored: String = row.try_get(3)?;
        if !token::constant_time_eq(stored.as_bytes(), token_hash.as_bytes()) {
            return Ok(None);
        }
        Ok(Some(user_from_row(&row)?))
    }

    /// The account with this username.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT username, email, config FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// The account with this (lowercased) email.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT username, email, config FROM users WHERE email = $1")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Replaces the user's stored defaults, with `audit`'s row.
    pub async fn set_user_config(
        &self,
        username: &str,
        config: &Value,
        audit: &Audit,
    ) -> Result<()> {
        if let Some(w) = self.sqlite_writer() {
            let (username, config, audit) =
                (username.to_owned(), config.to_string(), audit.clone());
            return w
                .write(move |c| sw::set_user_config(c, &username, &config, &audit))
                .await;
        }
        self.pg_set_user_config(username, config, audit).await
    }

    // ---- resources ----

    /// The resource at `uri` and the grant `username` holds on it, if any.
    pub async fn resource_for(
        &self,
        uri: &str,
        username: &str,
    ) -> Result<Option<(StoredResource, Option<AccessLevel>)>> {
        let row = sqlx::query(RESOURCE_FOR)
            .bind(uri)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| resource_from_row(r, 0)).transpose()
    }

    /// In one round trip: the account whose token hashes to `token_hash`, and the resource at `uri` with that
    /// account's grant on it (`None` for an unknown or expired token). The hot path of `GET /resource/{uri}`.
    pub async fn user_and_resource(
        &self,
        token_hash: &str,
        uri: &str,
    ) -> Result<Option<(User, Option<(StoredResource, Option<AccessLevel>)>)>> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(cache) = &self.read_cache
            && let Some((user, res, grant)) = cache.get(&self.generation, token_hash, uri)
        {
            return Ok(Some((user, Some((res, grant)))));
        }
        let now = now();
        let looked_up = match &self.hot {
            Some(hot) => hot.user_and_resource(token_hash, uri, &now).await,
            None => Err(()),
        };
        let row = match looked_up {
            Ok(row) => row,
            Err(()) => sqlx::query(USER_AND_RESOURCE)
                .bind(token_hash)
                .bind(uri)
                .bind(&now)
                .fetch_optional(&self.pool)
                .await?
                .as_ref()
                .map(HotRow::from_sqlx)
                .transpose()?,
        };
        let Some(row) = row else { return Ok(None) };
        if !token::constant_time_eq(row.token_hash.as_bytes(), token_hash.as_bytes()) {
            return Ok(None);
        }
        let user = User {
            username: row.username,
            email: row.email,
            config: parse_json(&row.user_config),
        };
        let resource = match (row.owner, row.visibility, row.config, row.version) {
            (Some(owner), Some(visibility), Some(config), Some(version)) => Some((
                StoredResource {
                    owner,
                    visibility: parse_column(visibility)?,
                    config: parse_json(&config),
                    version,
                },
                row.access_level.map(parse_column).transpose()?,
            )),
            _ => None,
        };
        if let (Some(cache), Some((res, grant))) = (&self.read_cache, &resource) {
            cache.put(
                generation,
                token_hash,
                uri,
                (user.clone(), res.clone(), *grant),
            );
        }
        Ok(Some((user, resource)))
    }

    /// Creates a resource (a new incarnation, with a new `resource_id`) with `audit`'s row; `false` if one
    /// already exists at that address.
    #[expect(
        clippy::too_many_arguments,
        reason = "one column each; a struct would only rename them"
    )]
    pub async fn create_resource(
        &self,
        uri: &str,
        name: &str,
        owner: &str,
        resource_type: Option<&str>,
        visibility: Visibility,
        config: &Value,
        author: &str,
        audit: &Audit,
    ) -> Result<bool> {
        if let Some(w) = self.sqlite_writer() {
            let r = sw::NewResource {
                id: token::random_id()?,
                uri: uri.to_owned(),
                name: name.to_owned(),
                owner: owner.to_owned(),
                resource_type: resource_type.map(str::to_owned),
                visibility,
                config: config.to_string(),
                author: author.to_owned(),
            };
            let audit = audit.clone();
            return w.write(move |c| sw::create_resource(c, &r, &audit)).await;
        }
        self.pg_create_resource(
            uri,
            name,
            owner,
            resource_type,
            visibility,
            config,
            author,
            audit,
        )
        .await
    }

    /// Updates a resource under a row lock: reads it with `username`'s grant, lets `decide` check access and
    /// build the new config (an `Err` from `decide` rolls back), then writes it with a history entry and
    /// `audit`'s row. Returns the new version, or `None` if there is no such resource. Concurrent updates of
    /// one resource queue instead of failing. A change from private to unlisted or public makes the new
    /// version the first one everyone may see in the history; a change to private ends that. On PostgreSQL
    /// the read is a plain one and the write checks under the row lock what the change [`RestsOn`];
    /// `decide` runs again on the locked row when that changed (see [`pg_write`]).
    pub async fn update_locked<E: From<Error> + Send + 'static>(
        &self,
        uri: &str,
        username: &str,
        audit: &Audit,
        decide: impl Fn(&StoredResource, Option<AccessLevel>) -> Result<Change, E> + Send + 'static,
    ) -> Result<Option<i64>, E> {
        if let Some(w) = self.sqlite_writer() {
            let (uri, username, audit) = (uri.to_owned(), username.to_owned(), audit.clone());
            return w
                .write(move |c| sw::update(c, &uri, &username, &audit, decide))
                .await;
        }
        self.pg_update(uri, username, audit, decide).await
    }

    /// Deletes a resource with its grants and invitations, recording the deletion in its history, with
    /// `audit`'s row. `false` if it did not exist.
    pub async fn delete_resource(&self, uri: &str, author: &str, audit: &Audit) -> Result<bool> {
        if let Some(w) = self.sqlite_writer() {
            let (uri, author, audit) = (uri.to_owned(), author.to_owned(), audit.clone());
            return w
                .write(move |c| sw::delete_resource(c, &uri, &author, &audit))
                .await;
        }
        self.pg_delete_resource(uri, author, audit).await
    }

    /// The resources whose uri starts with `prefix` (`alice:proj:`) that `username` may read: owned, granted
    /// or public. Returns `(address, visibility, config)` sorted by uri.
    pub async fn list_resources(
        &self,
        prefix: &str,
        username: &str,
    ) -> Result<Vec<(String, Visibility, Value)>> {
        let mut pattern = String::with_capacity(prefix.len() + 1);
        for c in prefix.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        let rows = sqlx::query(
            "SELECT r.uri, r.name, r.config, r.visibility FROM resources r \
             LEFT JOIN grants g ON g.uri = r.uri AND g.username = $2 \
             WHERE r.uri LIKE $1 ESCAPE '\\' \
             AND (r.owner = $2 OR g.access_level IN ('read', 'write') OR r.visibility = 'public') \
             ORDER BY r.uri",
        )
        .bind(&pattern)
        .bind(username)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let uri: String = row.try_get(0)?;
            // SQLite's LIKE ignores ASCII case; the prefix must match exactly.
            if uri.starts_with(prefix) {
                let config: String = row.try_get(2)?;
                out.push((
                    row.try_get(1)?,
                    parse_column(row.try_get(3)?)?,
                    parse_json(&config),
                ));
            }
        }
        Ok(out)
    }

    /// The resource at `uri` with what deciding which versions `username` may see needs.
    pub async fn history_view(&self, uri: &str, username: &str) -> Result<Option<HistoryView>> {
        let row = sqlx::query(
            "SELECT r.owner, r.visibility, r.config, r.version, g.access_level, r.resource_id, r.open_since, \
             g.since_version FROM resources r LEFT JOIN grants g ON g.uri = r.uri AND g.username = $2 \
             WHERE r.uri = $1",
        )
        .bind(uri)
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (resource, grant) = resource_from_row(&row, 0)?;
        Ok(Some(HistoryView {
            resource,
            grant,
            resource_id: row.try_get(5)?,
            open_since: row.try_get(6)?,
            grant_since: row.try_get(7)?,
        }))
    }

    /// The incarnation of the newest history entry at `uri` (for a deleted resource: its last incarnation).
    pub async fn last_incarnation(&self, uri: &str) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT resource_id FROM resource_history WHERE uri = $1 AND resource_id IS NOT NULL \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(uri)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get(0)).transpose().map_err(Error::from)
    }

    /// One page of `scope`'s history, newest first: at most `limit` entries older than `before` (when given),
    /// and no more than [`HISTORY_PAGE_BYTES`] of configs (at least one entry). Without `configs` the entries'
    /// configs are `Null` and are not read.
    pub async fn history_page(
        &self,
        scope: &HistoryScope,
        before: Option<i64>,
        limit: i64,
        configs: bool,
    ) -> Result<HistoryPage> {
        // First the versions and sizes only, so a page never reads more configs than it returns.
        let rows = sqlx::query(
            "SELECT version, LENGTH(config), action, author, created_at FROM resource_history \
             WHERE resource_id = $1 AND version >= $2 AND version < $3 ORDER BY version DESC LIMIT $4",
        )
        .bind(&scope.resource_id)
        .bind(scope.from_version)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit.saturating_add(1))
        .fetch_all(&self.pool)
        .await?;
        let mut entries = Vec::new();
        let mut bytes = 0i64;
        for row in &rows {
            let size: Option<i64> = row.try_get(1)?;
            bytes = bytes.saturating_add(size.unwrap_or(0));
            let full = i64::try_from(entries.len()).unwrap_or(i64::MAX) >= limit
                || (configs && bytes > HISTORY_PAGE_BYTES);
            if full && !entries.is_empty() {
                break;
            }
            entries.push(HistoryEntry {
                version: row.try_get(0)?,
                action: row.try_get(2)?,
                author: row.try_get(3)?,
                config: Value::Null,
                timestamp: row.try_get(4)?,
            });
        }
        let next = (entries.len() < rows.len())
            .then(|| entries.last().map(|e| e.version))
            .flatten();
        if configs && let (Some(newest), Some(oldest)) = (entries.first(), entries.last()) {
            let rows = sqlx::query(
                "SELECT version, config FROM resource_history WHERE resource_id = $1 \
                 AND version >= $2 AND version <= $3",
            )
            .bind(&scope.resource_id)
            .bind(oldest.version)
            .bind(newest.version)
            .fetch_all(&self.pool)
            .await?;
            let mut by_version: std::collections::HashMap<i64, String> = rows
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_>>()?;
            for e in &mut entries {
                if let Some(text) = by_version.remove(&e.version) {
                    e.config = parse_json(&text);
                }
            }
        }
        Ok(HistoryPage { entries, next })
    }

    /// The entry of `version` in `scope` (with its config), if the scope shows it.
    pub async fn history_version(
        &self,
        scope: &HistoryScope,
        version: i64,
    ) -> Result<Option<HistoryEntry>> {
        if version < scope.from_version {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT version, action, author, config, created_at FROM resource_history \
             WHERE resource_id = $1 AND version = $2",
        )
        .bind(&scope.resource_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let config: String = row.try_get(3)?;
            Ok(HistoryEntry {
                version: row.try_get(0)?,
                action: row.try_get(1)?,
                author: row.try_get(2)?,
                config: parse_json(&config),
                timestamp: row.try_get(4)?,
            })
        })
        .transpose()
    }

    /// Removes the history at `uri`, of every incarnation, except the entry of the current version of the
    /// resource there (if it exists), with `audit`'s row. Returns how many entries were removed.
    pub async fn purge_history(&self, uri: &str, audit: &Audit) -> Result<u64> {
        if let Some(w) = self.sqlite_writer() {
            let (uri, audit) = (uri.to_owned(), audit.clone());
            return w.write(move |c| sw::purge_history(c, &uri, &audit)).await;
        }
        self.pg_purge_history(uri, audit).await
    }

    /// Grants `level` to each grantee (accounts get grants, emails get invitations) and queues notifications,
    /// with `audit`'s row, all in one transaction; unless that would take `by` over [`INVITES_PER_HOUR`]
    /// mails or invitations in the last hour, when nothing is stored.
    pub async fn grant(
        &self,
        uri: &str,
        grantees: &[Grantee],
        level: AccessLevel,
        by: &str,
        notifications: &[Notification],
        audit: &Audit,
    ) -> Result<Granted> {
        if let Some(w) = self.sqlite_writer() {
            let g = sw::NewGrants {
                uri: uri.to_owned(),
                grantees: grantees.to_vec(),
                level,
                by: by.to_owned(),
                notifications: notifications.to_vec(),
            };
            let audit = audit.clone();
            let granted = w.write(move |c| sw::grant(c, &g, &audit)).await?;
            if granted == Granted::Done && !notifications.is_empty() {
                // Wakes this process's mail sender (if any) now rather than at its next poll.
                self.outbox_ready.notify_one();
            }
            return Ok(granted);
        }
        self.pg_grant(uri, grantees, level, by, notifications, audit)
            .await
    }

    /// Whether queueing `mails` notifications and `invites` invitations would take `by` over
    /// [`INVITES_PER_HOUR`] (a check before a change that precedes [`Store::grant`]; the grant checks again).
    pub async fn over_hourly_cap(&self, by: &str, mails: usize, invites: usize) -> Result<bool> {
        let mut conn = self.pool.acquire().await?;
        over_hourly_cap(&mut conn, by, mails, invites).await
    }

    /// Signalled when this process queues notifications; the mail sender waits on it between polls.
    pub(crate) fn outbox_ready(&self) -> &tokio::sync::Notify {
        &self.outbox_ready
    }

    /// Removes the grants and invitations of `grantees` (all of them when `None`). Returns what was removed.
    /// When something was, `audit`'s row is written in the same transaction (its detail, if it has none: the
    /// removed usernames and emails).
    pub async fn revoke(
        &self,
        uri: &str,
        grantees: Option<&[Grantee]>,
        audit: &Audit,
    ) -> Result<Vec<Grantee>> {
        if let Some(w) = self.sqlite_writer() {
            let (uri, grantees, audit) =
                (uri.to_owned(), grantees.map(<[_]>::to_vec), audit.clone());
            return w
                .write(move |c| sw::revoke(c, &uri, grantees.as_deref(), &audit))
                .await;
        }
        self.pg_revoke(uri, grantees, audit).await
    }
}

/// The hot-read connections for this database, when it is a file or a PostgreSQL server.
fn hot_read(url: &str, backend: Backend) -> Option<HotRead> {
    match backend {
        Backend::Postgres => url.parse().ok().map(HotRead::postgres),
        Backend::Sqlite => sqlite_file_of(url).map(HotRead::sqlite),
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// The file of a `sqlite:` URL; `None` for an in-memory database.
fn sqlite_file_of(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || query.contains("mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

/// Creates the SQLite file with mode 0600 when it is missing (so sqlx never creates it with the umask's mode),
/// and narrows an existing one that group or others may read.
fn private_sqlite_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            narrow_to_owner(path);
            Ok(())
        }
        Err(source) => Err(Error::Io {
            context: format!("cannot create the database file {}", path.display()),
            source,
        }),
    }
}

/// Sets a regular file that group or others may access to 0600 (a warning when that is not allowed).
fn narrow_to_owner(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    let shared = mode & 0o077;
    if !meta.is_file() || shared == 0 {
        return;
    }
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        Ok(()) => tracing::info!("narrowed {} from mode {mode:o} to 600", path.display()),
        Err(e) => tracing::warn!(
            "{} has mode {mode:o} (group or others may read it) and cannot be narrowed to 600: {e}",
            path.display()
        ),
    }
}

/// Warns when the data dir lets group or others in (the database holds token hashes, configs and history).
fn warn_if_shared_dir(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(dir) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                "the data dir {} has mode {mode:o}: group or others may read it; `chmod 700 {}` keeps the \
                 database (token hashes, configs, history) private",
                dir.display(),
                dir.display()
            );
        }
    }
}

/// PostgreSQL only: every statement that changes what `GET /resource/{uri}` reads notifies `rh_changes` at commit
/// (see [`read_cache`]). One implicit transaction, serialized by an advisory lock so that processes
/// starting together do not race on the DDL. Only what is missing is created: `CREATE TRIGGER` locks its table
/// against writes, and re-creating the triggers on every start deadlocked with the writes of the instances
/// already serving (the cluster test's restart of a killed instance).
const PG_CHANGE_TRIGGERS: &str = "\
SELECT pg_advisory_xact_lock(727368);
DO $$
DECLARE t text;
BEGIN
  IF to_regprocedure('rh_notify_change()') IS NULL THEN
    CREATE FUNCTION rh_notify_change() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN PERFORM pg_notify('rh_changes', ''); RETURN NULL; END $f$;
  END IF;
  FOREACH t IN ARRAY ARRAY['users', 'resources', 'grants'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'rh_changes' AND tgrelid = t::regclass) THEN
      EXECUTE format('CREATE TRIGGER rh_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
        'FOR EACH STATEMENT EXECUTE FUNCTION rh_notify_change()', t);
    END IF;
  END LOOP;
END $$;
";

/// A resource row with the caller's grant; `$1` is the uri, `$2` the username.
/// Then its `resource_id` and `open_since`.
const RESOURCE_FOR: &str = "SELECT r.owner, r.visibility, r.config, r.version, g.access_level, r.resource_id, \
     r.open_since FROM resources r LEFT JOIN grants g ON g.uri = r.uri AND g.username = $2 WHERE r.uri = $1";

/// Reads owner, visibility, config, version and grant from five columns starting at `at`.
fn resource_from_row(row: &AnyRow, at: usize) -> Result<(StoredResource, Option<AccessLevel>)> {
    let config: String = row.try_get(at + 2)?;
    Ok((
        StoredResource {
            owner: row.try_get(at)?,
            visibility: parse_column(row.try_get(at + 1)?)?,
            config: parse_json(&config),
            version: row.try_get(at + 3)?,
        },
        row.try_get::<Option<String>, _>(at + 4)?
            .map(parse_column)
            .transpose()?,
    ))
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    let config: String = row.try_get(2)?;
    Ok(User {
        username: row.try_get(0)?,
        email: row.try_get(1)?,
        config: parse_json(&config),
    })
}

async fn over_hourly_cap(
    conn: &mut sqlx::AnyConnection,
    by: &str,
    mails: usize,
    invites: usize,
) -> Result<bool> {
    let hour_ago = crate::credentials::expiry_after(time::Duration::hours(-1));
    let mut count = async |sql: &'static str| -> Result<i64> {
        let row = sqlx::query(sql)
            .bind(by)
            .bind(&hour_ago)
            .fetch_one(&mut *conn)
            .await?;
        Ok(row.try_get(0)?)
    };
    let over = |before: i64, n: usize| {
        n > 0 && before.saturating_add(i64::try_from(n).unwrap_or(i64::MAX)) > INVITES_PER_HOUR
    };
    let mails_before =
        count("SELECT COUNT(*) FROM outbox WHERE queued_by = $1 AND created_at > $2").await?;
    if over(mails_before, mails) {
        return Ok(true);
    }
    let invites_before =
        count("SELECT COUNT(*) FROM invitations WHERE invited_by = $1 AND created_at > $2").await?;
    Ok(over(invites_before, invites))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://postgres:hunter2@127.0.0.1:5433/db"),
            "postgres://postgres:****@127.0.0.1:5433/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        let t = DatabaseTarget::Url("postgres://a:secret@h/d".into());
        assert!(!format!("{t:?} {t}").contains("secret"));
    }

    #[test]
    fn hot_reads_only_for_databases_other_connections_can_open() {
        let kind = |url: &str, b| hot_read(url, b).map(|h| format!("{h:?}"));
        assert_eq!(
            kind("sqlite:///tmp/x/rh-server.db?mode=rwc", Backend::Sqlite).as_deref(),
            Some("HotRead::Sqlite")
        );
        assert_eq!(
            kind("sqlite:rel.db", Backend::Sqlite).as_deref(),
            Some("HotRead::Sqlite")
        );
        assert_eq!(kind("sqlite::memory:", Backend::Sqlite), None);
        assert_eq!(kind("sqlite://x.db?mode=memory", Backend::Sqlite), None);
        assert_eq!(
            kind("postgres://u:p@127.0.0.1:5433/db", Backend::Postgres).as_deref(),
            Some("HotRead::Postgres")
        );
    }

    /// Rows as migrations 1–4 left them: `alice:db` deleted once and re-created (versions 1–3, then 4–5, public,
    /// read by bob since 5), `alice:gone` deleted.
    const OLD_ROWS: &[&str] = &[
        "INSERT INTO users (username, token_hash, config, created_at) VALUES ('alice', 'a', '{}', 't')",
        "INSERT INTO users (username, token_hash, config, created_at) VALUES ('bob', 'b', '{}', 't')",
        "INSERT INTO resources (uri, name, owner, visibility, config, version, created_at, updated_at) \
         VALUES ('alice:db', '/alice/db', 'alice', 'public', '{}', 5, 't', 't')",
        "INSERT INTO grants (uri, username, access_level, granted_by, created_at) \
         VALUES ('alice:db', 'bob', 'read', 'alice', 't')",
        "INSERT INTO resource_history (uri, version, action, author, config, created_at) VALUES \
         ('alice:db', 1, 'create', 'alice', '{\"pw\": \"old\"}', 't'), \
         ('alice:db', 2, 'update', 'alice', '{\"pw\": \"old2\"}', 't'), \
         ('alice:db', 3, 'delete', 'alice', '{\"pw\": \"old2\"}', 't'), \
         ('alice:db', 4, 'create', 'alice', '{}', 't'), ('alice:db', 5, 'update', 'alice', '{}', 't'), \
         ('alice:gone', 1, 'create', 'alice', '{}', 't'), ('alice:gone', 2, 'delete', 'alice', '{}', 't')",
    ];

    async fn migrate_old_rows(store: &Store) {
        let mut old = migrator();
        old.migrations = Cow::Owned(old.migrations.iter().take(4).cloned().collect());
        old.run(&store.pool).await.expect("migrations 1-4");
        for sql in OLD_ROWS {
            sqlx::query(sql).execute(&store.pool).await.expect(sql);
        }
        // Migration 5 and every later one.
        assert_eq!(
            store.migrate().await.expect("migration 5"),
            migrator().migrations.len() - 4
        );
        let versions = |scope: HistoryScope| async move {
            let page = store
                .history_page(&scope, None, 100, true)
                .await
                .expect("page");
            page.entries.iter().map(|e| e.version).collect::<Vec<_>>()
        };
        let view = store
            .history_view("alice:db", "bob")
            .await
            .expect("view")
            .expect("the resource");
        assert_eq!((view.open_since, view.grant_since), (Some(5), Some(5)));
        let all = HistoryScope {
            resource_id: view.resource_id.clone(),
            from_version: 0,
        };
        assert_eq!(versions(all).await, [5, 4], "the current incarnation only");
        let gone = store
            .last_incarnation("alice:gone")
            .await
            .expect("query")
            .expect("an incarnation");
        let gone = HistoryScope {
            resource_id: gone,
            from_version: 0,
        };
        assert_eq!(
            versions(gone).await,
            [2, 1],
            "a deleted resource's last one"
        );
        // The first incarnation of alice:db is no current resource's nor the newest at its address.
        assert_eq!(
            store.last_incarnation("alice:db").await.expect("query"),
            Some(view.resource_id)
        );
    }

    #[tokio::test]
    async fn migration_5_keeps_each_current_resources_own_history() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = DatabaseTarget::DataDir(dir.path().join("data"));
        let store = Store::open(&target).await.expect("open");
        migrate_old_rows(&store).await;
        store.close().await;
        let Some(admin) = rh_test::service_env("DATABASE_URL").filter(|_| rh_test::integration())
        else {
            return;
        };
        let name = format!("rh_test_{}", token::random_id().expect("random"));
        let admin_store = Store::open(&DatabaseTarget::Url(admin.clone()))
            .await
            .expect("pg");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin_store.pool)
            .await
            .expect("create database");
        let base = admin.rsplit_once('/').expect("a database path").0;
        let store = Store::open(&DatabaseTarget::Url(format!("{base}/{name}")))
            .await
            .expect("open pg");
        migrate_old_rows(&store).await;
        store.close().await;
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin_store.pool)
            .await;
        admin_store.close().await;
    }

    /// In-memory SQLite writes through the one writer as a file does (a scratch file, private, removed with
    /// the store): concurrent updates of one resource all land, one version each; two such stores are apart.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn in_memory_sqlite_writes_through_the_writer() {
        use crate::audit::AuditAction;
        let target = DatabaseTarget::Url("sqlite::memory:".to_owned());
        let store = Store::open(&target).await.expect("open");
        assert!(store.sqlite_writer().is_some(), "the writer runs it");
        let dir = store.scratch.as_ref().expect("a scratch dir").0.clone();
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&dir.join(SQLITE_FILE)), 0o600);
        }
        store.migrate().await.expect("migrate");
        let audit = |a| Audit::new("alice", a, "alice:x");
        store
            .create_user("alice", None, "h", None, &audit(AuditAction::UserCreate))
            .await
            .expect("user");
        let created = store
            .create_resource(
                "alice:x",
                "/alice/x",
                "alice",
                None,
                Visibility::Private,
                &serde_json::json!({"n": 0}),
                "alice",
                &audit(AuditAction::ResourceCreate),
            )
            .await
            .expect("create");
        assert!(created);
        let updates = (1..=16).map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .update_locked(
                        "alice:x",
                        "alice",
                        &audit(AuditAction::ResourceUpdate),
                        move |_, _| -> Result<Change> {
                            Ok(Change {
                                resource_type: None,
                                visibility: Visibility::Private,
                                config: serde_json::json!({ "n": n }),
                                rests_on: RestsOn::TheVersionRead,
                            })
                        },
                    )
                    .await
                    .expect("update")
                    .expect("a resource")
            })
        });
        let mut versions = Vec::new();
        for u in updates.collect::<Vec<_>>() {
            versions.push(u.await.expect("task"));
        }
        versions.sort_unstable();
        assert_eq!(versions, (2..=17).collect::<Vec<_>>());
        let (res, _) = store
            .resource_for("alice:x", "alice")
            .await
            .expect("read")
            .expect("the resource");
        assert_eq!(res.version, 17);
        let other = Store::open(&target).await.expect("open another");
        other.migrate().await.expect("migrate");
        assert!(other.user_by_name("alice").await.expect("query").is_none());
        other.close().await;
        store.close().await;
        drop(store);
        assert!(!dir.exists(), "the scratch dir goes with the store");
    }

    #[test]
    fn timestamps_sort_as_text() {
        let a = now();
        assert_eq!(a.len(), "2026-01-01T00:00:00.000000Z".len());
        assert!(a.ends_with('Z'));
    }
}
