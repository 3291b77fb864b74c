//! SQLite's one writer: group commit on a dedicated thread.
//!
//! Every SQLite write of the process (accounts, tokens, sessions, resources, history, grants, invitations,
//! outbox, audit rows, purges) is a closure sent here ([`Writer::write`]); the bodies are in
//! [`super::sqlite_write`]. The writer owns the only read-write `rusqlite` connection, its statements prepared
//! once and cached, and runs every write queued since the last batch in ONE transaction:
//!
//! ```text
//! generation += 1; BEGIN IMMEDIATE
//!   SAVEPOINT w; write 1; RELEASE w          (a failed write: ROLLBACK TO w; RELEASE w — only itself undone)
//!   SAVEPOINT w; write 2; RELEASE w
//!   …
//! COMMIT; generation += 1; then every write's result is sent back
//! ```
//!
//! A batch of ONE write (the only kind at one client) needs no savepoint: `BEGIN IMMEDIATE; write; COMMIT`,
//! or `ROLLBACK` when it failed ([`lone`]): two statements fewer per write.
//!
//! **Inline when idle** (`--sqlite-synchronous normal` only): a write that starts while no other write is
//! under way (queued, running or being answered) and finds the connection free (`try_lock`) runs as a batch
//! of one on the caller's own thread instead of hopping to the writer thread and back (two thread wake-ups,
//! most of a lone write's latency on a 2-core machine; issue 17, figures in BENCHMARKS.md). With concurrent
//! writes nothing runs inline: they queue and batch as before; and once a write has started while another
//! was under way, nothing runs inline until [`QUIET_WRITES`] writes in a row have started alone. (Looser
//! tests cost 64 clients PUT/s in A/B runs: "nothing queued" ran each burst's first write inline on a
//! runtime thread and fragmented the batches, a quarter to a third fewer; "the thread's last batch was of
//! one" still about 15% fewer.) Not under `full`: its commit waits for an fsync, which must not block a runtime
//! thread (a relaxed write, below, commits under `NORMAL` and so may run inline under `full` too). (Under `normal` a commit may still run SQLite's automatic checkpoint, two fsyncs every ~1,000 WAL
//! pages: inline, that wait is on a runtime thread while no other write is under way.) An inline write never
//! waits for another process's lock either: its `BEGIN` runs with no busy timeout and, refused, the write
//! goes to the queue (whose batch waits as usual).
//!
//! Tried and not kept: `PRAGMA wal_autocheckpoint = 4000` (SQLite's default is 1,000 pages). A PUT with
//! history and audit row writes about 7 WAL pages, so every ~70th lone write also checkpoints (copies the WAL
//! into the database and fsyncs both) on its own path; 4,000 cut the 1-client p99 (about 6 → 4 ms) but the
//! bigger checkpoints pushed the 64-client (one resource) p99 to 42 and 52 ms in two runs (30 and 34 ms for
//! the server before these changes, alternated with them) against a 50 ms target.
//!
//! Invariants:
//! - **One writer.** Nothing else in the process writes to SQLite (reads use the pool and the hot read; the
//!   migrations run through the pool before anything is served). The connection is behind a mutex: the
//!   thread's batch and an inline write never overlap.
//! - **Ack after commit.** A write's result, success or error, is sent only after its batch's `COMMIT`
//!   returned: an error seen by a write may come from a neighbour's uncommitted row, so it too waits. If
//!   `BEGIN` or `COMMIT` fails, every write of the batch gets that error and nothing of the batch is stored.
//! - **A savepoint per write** of a batch of several, so a write's failure (an error, a unique violation, an
//!   access check refusing) rolls back only its own statements; its audit row is inside the same savepoint (or
//!   the lone write's transaction), so it commits with the change or not at all.
//! - **Read-cache freshness**: the generation counter of [`super::read_cache`] is bumped before `BEGIN` and
//!   again after `COMMIT`, before any result is sent, so no lookup read during the batch is served from the
//!   cache once a write of the batch is acknowledged.
//!
//! Durability is `PRAGMA synchronous` of the writer's connection ([`Synchronous`]): in WAL mode `FULL`
//! fsyncs the WAL at every commit, i.e. once per batch; `NORMAL` only at checkpoints. A batch made only of
//! relaxed writes ([`Writer::write_relaxed`]: the audit rows of secret reads, which change nothing else) commits
//! under `NORMAL` even when `FULL` is configured, and so may run inline: committed and acknowledged as any
//! other (they survive a crash of rh-server), and fsynced with the next durable batch or checkpoint (a power cut
//! may lose the last ones, as it may OpenBao's own file audit device). Every other write keeps the configured
//! durability.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, mpsc};
use std::time::Duration;

use rusqlite::Connection;

use crate::{Error, Result};

/// Most writes in one transaction; more wait for the next batch.
const MAX_BATCH: usize = 512;

/// Writes that must start one at a time, none while another is under way, before an idle writer runs
/// writes inline again.
const QUIET_WRITES: u64 = 1000;

/// [`Shared::last_concurrent`] before any write started while another was under way.
const NEVER: u64 = u64::MAX;

/// How long a batch waits for the database lock another process (`rh-server user token`) holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// `PRAGMA synchronous` of the SQLite connections (`serve --sqlite-synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// fsync the WAL at every commit: a committed (acknowledged) write survives a power cut.
    #[default]
    Full,
    /// fsync only at checkpoints: a committed write survives a crash of the process, not of the machine.
    Normal,
}

impl Synchronous {
    /// The pragma's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "FULL",
            Self::Normal => "NORMAL",
        }
    }
}

impl std::str::FromStr for Synchronous {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Self::Full),
            "normal" => Ok(Self::Normal),
            _ => Err(Error::UnknownValue {
                what: "SQLite synchronous mode",
                value: s.to_owned(),
                expected: "full or normal".to_owned(),
            }),
        }
    }
}

/// One queued write: run inside its savepoint, then told how its batch ended.
trait Work: Send {
    /// Runs the write; `true` to keep its statements, `false` to roll them back.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Sends the result: the write's own after a commit, or `failed` (the batch's error) instead.
    fn reply(self: Box<Self>, failed: Option<&rusqlite::Error>);
    /// Whether its batch must commit with the configured durability (see the module docs).
    fn durable(&self) -> bool;
}

struct Pending<F, T, E> {
    body: Option<F>,
    out: Option<Result<T, E>>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
    durable: bool,
}

impl<F, T, E> Work for Pending<F, T, E>
where
    F: FnOnce(&Connection) -> Result<T, E> + Send,
    T: Send,
    E: From<Error> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(body) = self.body.take() else {
            return false;
        };
        // A panic in a write (e.g. in an update's decision) fails that write only, not the writer.
        match std::panic::catch_unwind(AssertUnwindSafe(|| body(conn))) {
            Ok(out) => {
                let keep = out.is_ok();
                self.out = Some(out);
                keep
            }
            Err(_) => false,
        }
    }

    fn reply(self: Box<Self>, failed: Option<&rusqlite::Error>) {
        let out = match (failed, self.out) {
            (Some(e), _) => Err(E::from(Error::Sqlite(copy_error(e)))),
            (None, Some(out)) => out,
            (None, None) => Err(E::from(Error::WriteAborted)),
        };
        // The caller may have gone (client disconnected): the write stands, as any in-flight one.
        let _ = self.reply.send(out);
    }

    fn durable(&self) -> bool {
        self.durable
    }
}

enum Msg {
    Work(Box<dyn Work>),
    /// Finish what is queued, close the connection, then answer.
    Stop(tokio::sync::oneshot::Sender<()>),
}

/// What the handles and the thread share.
struct Shared {
    /// The read-write connection; `None` once the writer has stopped.
    conn: Mutex<Option<Connection>>,
    /// Writes between the start of [`Writer::write`] and its end (queued, running or being answered).
    active: AtomicUsize,
    /// The read cache's generation counter.
    generation: Arc<AtomicU64>,
    /// Whether an idle writer runs a durable write on its caller's thread (`NORMAL` only: no fsync at
    /// commit). A relaxed write commits under `NORMAL` whatever is configured, so it may always.
    inline: bool,
    /// `serve --sqlite-synchronous`: the durability of every batch with a durable write in it.
    configured: Synchronous,
    /// Whether the connection is at `configured` now (else at `NORMAL`); changed only under `conn`'s lock.
    at_configured: AtomicBool,
    /// Writes started so far: a sequence number.
    started: AtomicU64,
    /// The sequence number of the last write that started while another was under way ([`NEVER`] if none).
    last_concurrent: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Option<Connection>> {
        // A panic while holding it is a write's, caught in `Work::run`; the connection stays usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `conn` (held under the lock) at the durability the next batch needs: the configured one when
    /// `durable`, else `NORMAL`. Outside a transaction, so it applies to the next commit; a failure keeps the
    /// level it was at (logged).
    fn set_level(&self, conn: &Connection, durable: bool) {
        let wanted = durable || self.configured == Synchronous::Normal;
        if wanted == self.at_configured.load(Ordering::Relaxed) {
            return;
        }
        let level = if wanted {
            self.configured
        } else {
            Synchronous::Normal
        };
        match conn.execute_batch(&format!("PRAGMA synchronous = {}", level.as_str())) {
            Ok(()) => self.at_configured.store(wanted, Ordering::Relaxed),
            Err(e) => tracing::error!("cannot set PRAGMA synchronous: {e}"),
        }
    }
}

/// The handle of the writer thread; cheap to clone.
#[derive(Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Msg>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

impl Writer {
    /// Opens the read-write connection to `path` and starts the thread. `generation` is the read cache's.
    pub(crate) fn start(
        path: &Path,
        synchronous: Synchronous,
        generation: Arc<AtomicU64>,
    ) -> Result<Self> {
        let conn = open(path, synchronous)?;
        let shared = Arc::new(Shared {
            conn: Mutex::new(Some(conn)),
            active: AtomicUsize::new(0),
            generation,
            inline: synchronous == Synchronous::Normal,
            configured: synchronous,
            at_configured: AtomicBool::new(true),
            started: AtomicU64::new(0),
            last_concurrent: AtomicU64::new(NEVER),
        });
        let (queue, rx) = mpsc::channel();
        let thread = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("rh-sqlite-writer".to_owned())
            .spawn(move || run(&thread, &rx))
            .map_err(|source| Error::Io {
                context: "cannot start the SQLite writer thread".to_owned(),
                source,
            })?;
        Ok(Self { queue, shared })
    }

    /// Queues `body` and waits for its result, sent once its batch has committed.
    pub(crate) async fn write<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        self.queue_write(body, true).await
    }

    /// [`Self::write`] for a write whose batch may commit under `NORMAL` when no durable write shares it
    /// (the module docs say when that is right).
    pub(crate) async fn write_relaxed<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        self.queue_write(body, false).await
    }

    async fn queue_write<T, E, F>(&self, body: F, durable: bool) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let work: Box<dyn Work> = Box::new(Pending {
            body: Some(body),
            out: None,
            reply,
            durable,
        });
        let active = Active::enter(&self.shared.active);
        let n = self.shared.started.fetch_add(1, Ordering::Relaxed);
        if !active.alone {
            self.shared.last_concurrent.store(n, Ordering::Relaxed);
        }
        // Inline, the reply is sent before this returns `None`: `answer` is ready.
        if let Some(work) = self.try_inline(work, active.alone, n)
            && self.queue.send(Msg::Work(work)).is_err()
        {
            return Err(E::from(stopped()));
        }
        answer.await.unwrap_or_else(|_| Err(E::from(stopped())))
    }

    /// Runs `work` (the `n`th write) on this thread as a batch of one when inline writes are on and the
    /// writer is idle: no other write is under way (`alone`), none of the last [`QUIET_WRITES`] started
    /// while another was (writes come one at a time, not in bursts of concurrent ones), and the connection is
    /// free; else gives it back, to be queued.
    fn try_inline(&self, work: Box<dyn Work>, alone: bool, n: u64) -> Option<Box<dyn Work>> {
        let s = &self.shared;
        let last = s.last_concurrent.load(Ordering::Relaxed);
        let quiet = last == NEVER || n.saturating_sub(last) > QUIET_WRITES;
        let may = s.inline || !work.durable();
        if !may || !alone || !quiet {
            return Some(work);
        }
        let guard = match s.conn.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::WouldBlock | TryLockError::Poisoned(_)) => return Some(work),
        };
        // Stopped: the queue answers (it has gone too).
        let Some(conn) = guard.as_ref() else {
            return Some(work);
        };
        s.set_level(conn, work.durable());
        lone(conn, work, &s.generation, false)
    }

    /// Lets the queued writes finish, then closes the connection (later writes fail).
    pub(crate) async fn stop(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.queue.send(Msg::Stop(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

/// Counts a write as under way until dropped (also when its caller gives up waiting).
struct Active<'a> {
    count: &'a AtomicUsize,
    /// No other write was under way when this one started.
    alone: bool,
}

impl<'a> Active<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        let before = count.fetch_add(1, Ordering::AcqRel);
        Self {
            count,
            alone: before == 0,
        }
    }
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

fn stopped() -> Error {
    Error::Unavailable("the SQLite writer has stopped".to_owned())
}

fn open(path: &Path, synchronous: Synchronous) -> Result<Connection> {
    use rusqlite::OpenFlags;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Stored in the file; the pool sets it too. Then this connection's durability.
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {}; PRAGMA foreign_keys = ON;",
        synchronous.as_str()
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// The thread: batches until every handle is gone or [`Msg::Stop`] arrives.
fn run(shared: &Shared, rx: &mpsc::Receiver<Msg>) {
    let mut carried: VecDeque<Box<dyn Work>> = VecDeque::new();
    let mut stop = None;
    let take = |msg: Msg, carried: &mut VecDeque<Box<dyn Work>>, stop: &mut Option<_>| match msg {
        Msg::Work(w) => carried.push_back(w),
        Msg::Stop(s) => *stop = Some(s),
    };
    loop {
        if carried.is_empty() && stop.is_none() {
            match rx.recv() {
                Ok(msg) => take(msg, &mut carried, &mut stop),
                Err(_) => return,
            }
        }
        let mut conn = shared.lock();
        while stop.is_none() && carried.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(msg) => take(msg, &mut carried, &mut stop),
                Err(_) => break,
            }
        }
        if let Some(c) = conn.as_ref() {
            shared.set_level(c, carried.iter().any(|w| w.durable()));
        }
        match conn.as_ref() {
            Some(c) if carried.len() == 1 => {
                if let Some(w) = carried.pop_front() {
                    // Refused by another process's lock past the busy timeout: it has its error already.
                    let _ = lone(c, w, &shared.generation, true);
                }
            }
            Some(c) if !carried.is_empty() => batch(c, &mut carried, &shared.generation),
            Some(_) => {}
            None => return,
        }
        if carried.is_empty()
            && let Some(s) = stop.take()
        {
            // Closes the connection; inline writes find `None` from now on.
            *conn = None;
            drop(conn);
            let _ = s.send(());
            return;
        }
    }
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn rolled_back_by_sqlite() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
        Some("the write transaction was rolled back by SQLite".to_owned()),
    )
}

/// A batch of one write, without a savepoint: `BEGIN IMMEDIATE; write; COMMIT` (`ROLLBACK` when the write
/// failed), then its reply. On the writer thread (`on_thread`) `BEGIN` waits for another process's lock up to
/// the busy timeout and any error is replied; inline it does not wait, and a write that could not begin is
/// given back untouched, to be queued.
fn lone(
    conn: &Connection,
    mut w: Box<dyn Work>,
    generation: &AtomicU64,
    on_thread: bool,
) -> Option<Box<dyn Work>> {
    generation.fetch_add(1, Ordering::AcqRel);
    let begun = if on_thread {
        exec(conn, "BEGIN IMMEDIATE")
    } else {
        let begun = conn
            .busy_timeout(Duration::ZERO)
            .and_then(|()| exec(conn, "BEGIN IMMEDIATE"));
        let restored = conn.busy_timeout(BUSY_TIMEOUT);
        begun.and(restored)
    };
    if let Err(e) = begun {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        generation.fetch_add(1, Ordering::AcqRel);
        if !on_thread {
            return Some(w);
        }
        tracing::error!("SQLite write failed to begin: {e}");
        w.reply(Some(&e));
        return None;
    }
    let keep = w.run(conn);
    let ended = if conn.is_autocommit() {
        // SQLite rolled the transaction back (disk full, I/O error).
        Err(rolled_back_by_sqlite())
    } else if keep {
        exec(conn, "COMMIT")
    } else {
        exec(conn, "ROLLBACK")
    };
    if let Err(e) = &ended {
        tracing::error!("SQLite write failed: {e}");
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    generation.fetch_add(1, Ordering::AcqRel);
    w.reply(ended.as_ref().err());
    None
}

/// Runs the writes of `queue` in one transaction and replies to each; writes left in `queue` (when SQLite
/// ended the transaction under one of them) go into the next batch.
fn batch(conn: &Connection, queue: &mut VecDeque<Box<dyn Work>>, generation: &AtomicU64) {
    generation.fetch_add(1, Ordering::AcqRel);
    let mut ran: Vec<Box<dyn Work>> = Vec::with_capacity(queue.len());
    let failure = (|| -> rusqlite::Result<()> {
        exec(conn, "BEGIN IMMEDIATE")?;
        while let Some(mut w) = queue.pop_front() {
            exec(conn, "SAVEPOINT w")?;
            let keep = w.run(conn);
            ran.push(w);
            if conn.is_autocommit() {
                // SQLite rolled the whole transaction back (disk full, I/O error): the batch so far is lost.
                return Err(rolled_back_by_sqlite());
            }
            if !keep {
                exec(conn, "ROLLBACK TO w")?;
            }
            exec(conn, "RELEASE w")?;
        }
        exec(conn, "COMMIT")
    })();
    if let Err(e) = &failure {
        tracing::error!("SQLite write batch of {} failed: {e}", ran.len());
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    generation.fetch_add(1, Ordering::AcqRel);
    let failed = failure.as_ref().err();
    // `BEGIN` itself failed (another process held the lock past the busy timeout): nothing ran, and the
    // queued writes would fail alike; they get the error rather than a retry loop.
    let rest = if failed.is_some() && ran.is_empty() {
        queue.drain(..).collect()
    } else {
        Vec::new()
    };
    for w in ran.into_iter().chain(rest) {
        w.reply(failed);
    }
}

/// The same error again, for each write of a failed batch (rusqlite's error is not `Clone`).
fn copy_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            rusqlite::Error::SqliteFailure(*code, msg.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

/// Whether a rusqlite error is a UNIQUE or PRIMARY KEY violation.
pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Whether the database is busy or locked (another process holds it past the busy timeout).
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The writer connection's `PRAGMA synchronous` as a write of the batch sees it (1 NORMAL, 2 FULL).
    fn level(c: &Connection) -> Result<i64> {
        Ok(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?)
    }

    #[tokio::test]
    async fn a_batch_of_relaxed_writes_alone_commits_under_normal_and_any_durable_one_under_full() {
        let dir = tempfile::tempdir().unwrap();
        let generation = Arc::new(AtomicU64::new(0));
        let full = Writer::start(
            &dir.path().join("full.db"),
            Synchronous::Full,
            Arc::clone(&generation),
        )
        .unwrap();
        assert_eq!(full.write(level).await.unwrap(), 2);
        assert_eq!(full.write_relaxed(level).await.unwrap(), 1);
        assert_eq!(full.write(level).await.unwrap(), 2, "durable again");
        full.stop().await;
        let normal = Writer::start(
            &dir.path().join("normal.db"),
            Synchronous::Normal,
            generation,
        )
        .unwrap();
        assert_eq!(normal.write(level).await.unwrap(), 1);
        assert_eq!(normal.write_relaxed(level).await.unwrap(), 1);
        normal.stop().await;
    }
}
