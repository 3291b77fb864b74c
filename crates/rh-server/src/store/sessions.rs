//! Dashboard sessions: opened with a token, bound to it, checked on every request.

use sqlx::Row as _;

use super::{Store, User, now, sqlite_write as sw};
use crate::{Result, token};

/// How long a sign-in lasts.
pub(crate) const SESSION_DAYS: i64 = 7;

fn later(days: i64) -> String {
    super::stamp(time::OffsetDateTime::now_utc() + time::Duration::days(days))
}

/// Stores a new session for `username`, bound to the token that hashes to `token_hash`; `id` is the cookie
/// value, only its hash is kept. It expires after [`SESSION_DAYS`] or with the token, whichever comes first;
/// returns that time, or `None` (nothing stored) when `token_hash` is no longer the account's valid token.
pub(crate) async fn create_session(
    store: &Store,
    id: &str,
    username: &str,
    token_hash: &str,
) -> Result<Option<String>> {
    if let Some(w) = store.sqlite_writer() {
        let (id_hash, username, hash) =
            (token::hash(id), username.to_owned(), token_hash.to_owned());
        let expires = later(SESSION_DAYS);
        return w
            .write(move |c| sw::create_session(c, &id_hash, &username, &hash, expires))
            .await;
    }
    // PostgreSQL, one statement: expired sessions go, and the new one is stored if the token is still the
    // account's valid one, expiring with it at the latest (stamps compare as text, byte by byte).
    let row = sqlx::query(
        "WITH gone AS (DELETE FROM sessions WHERE expires_at < $3), \
         u AS (SELECT CASE WHEN token_expires_at IS NOT NULL AND token_expires_at COLLATE \"C\" < $4 \
         THEN token_expires_at ELSE $4 END AS expires FROM users WHERE username = $1 AND token_hash = $2 \
         AND (token_expires_at IS NULL OR token_expires_at COLLATE \"C\" > $3)), \
         ins AS (INSERT INTO sessions (id_hash, username, created_at, expires_at, token_hash) \
         SELECT $5, $1, $3, u.expires, $2 FROM u RETURNING expires_at) \
         SELECT expires_at FROM ins",
    )
    .bind(username)
    .bind(token_hash)
    .bind(now())
    .bind(later(SESSION_DAYS))
    .bind(token::hash(id))
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

/// The account signed in with session `id`, checked on every request: the session exists and has not expired,
/// and the token it was opened with is still the account's token (not rotated or revoked) and has not expired.
pub(crate) async fn session_user(store: &Store, id: &str) -> Result<Option<User>> {
    let row = sqlx::query(
        "SELECT u.username, u.email, u.config FROM sessions s \
         JOIN users u ON u.username = s.username AND u.token_hash = s.token_hash \
         WHERE s.id_hash = $1 AND s.expires_at > $2 \
         AND (u.token_expires_at IS NULL OR u.token_expires_at > $2)",
    )
    .bind(token::hash(id))
    .bind(now())
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let config: String = row.try_get(2)?;
    Ok(Some(User {
        username: row.try_get(0)?,
        email: row.try_get(1)?,
        config: serde_json::from_str(&config).unwrap_or(serde_json::Value::Null),
    }))
}

/// Ends session `id`.
pub(crate) async fn delete_session(store: &Store, id: &str) -> Result<()> {
    if let Some(w) = store.sqlite_writer() {
        let id_hash = token::hash(id);
        return w.write(move |c| sw::delete_session(c, &id_hash)).await;
    }
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(token::hash(id))
        .execute(store.pool())
        .await?;
    Ok(())
}
