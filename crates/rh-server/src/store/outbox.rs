//! The outbox's rows: notifications a share queued ([`super::Store::grant`] inserts them), taken, leased and
//! marked by the mail sender ([`crate::mailer`]).

use sqlx::Row as _;

use super::{Store, sqlite_write as sw};
use crate::Result;

/// A notification due to be sent.
#[derive(Debug, Clone)]
pub(crate) struct Due {
    pub(crate) id: String,
    pub(crate) recipient: String,
    pub(crate) subject: String,
    pub(crate) body: String,
    /// Tries so far.
    pub(crate) attempts: i64,
}

/// At most `limit` rows never sent, tried fewer than `max_attempts` times, whose retry time (if any) is not
/// after `now`; oldest first.
pub(crate) async fn due(
    store: &Store,
    max_attempts: i64,
    now: &str,
    limit: i64,
) -> Result<Vec<Due>> {
    let rows = sqlx::query(
        "SELECT id, recipient, subject, body, attempts FROM outbox \
         WHERE sent_at IS NULL AND attempts < $1 AND (next_attempt_at IS NULL OR next_attempt_at <= $2) \
         ORDER BY created_at LIMIT $3",
    )
    .bind(max_attempts)
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Due {
                id: row.try_get(0)?,
                recipient: row.try_get(1)?,
                subject: row.try_get(2)?,
                body: row.try_get(3)?,
                attempts: row.try_get(4)?,
            })
        })
        .collect()
}

/// Takes the lease of row `id` until `until`, unless it was sent or another sender leased it after `now`;
/// `false` when this sender must skip it.
pub(crate) async fn lease(store: &Store, id: &str, until: &str, now: &str) -> Result<bool> {
    if let Some(w) = store.sqlite_writer() {
        let (id, until, now) = (id.to_owned(), until.to_owned(), now.to_owned());
        return w
            .write(move |c| sw::outbox_lease(c, &id, &until, &now))
            .await;
    }
    let taken = sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL \
         AND (next_attempt_at IS NULL OR next_attempt_at <= $3)",
    )
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(taken.rows_affected() > 0)
}

/// Marks row `id` sent at `at`, after `attempts` tries.
pub(crate) async fn mark_sent(store: &Store, id: &str, at: &str, attempts: i64) -> Result<()> {
    if let Some(w) = store.sqlite_writer() {
        let (id, at) = (id.to_owned(), at.to_owned());
        return w
            .write(move |c| sw::outbox_sent(c, &id, &at, attempts))
            .await;
    }
    sqlx::query(
        "UPDATE outbox SET sent_at = $1, attempts = $2, last_error = NULL, next_attempt_at = NULL \
         WHERE id = $3",
    )
    .bind(at)
    .bind(attempts)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records the failed try number `attempts` of row `id` and when to retry.
pub(crate) async fn mark_failed(
    store: &Store,
    id: &str,
    attempts: i64,
    error: &str,
    retry_at: &str,
) -> Result<()> {
    if let Some(w) = store.sqlite_writer() {
        let (id, error, retry_at) = (id.to_owned(), error.to_owned(), retry_at.to_owned());
        return w
            .write(move |c| sw::outbox_failed(c, &id, attempts, &error, &retry_at))
            .await;
    }
    sqlx::query(
        "UPDATE outbox SET attempts = $1, last_error = $2, next_attempt_at = $3 WHERE id = $4",
    )
    .bind(attempts)
    .bind(error)
    .bind(retry_at)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}
