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
    let mut w = store.begin_write().await?;
    let now = now();
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(&now)
        .execute(&mut *w.tx)
        .await?;
    let row =
        sqlx::query("SELECT token_expires_at FROM users WHERE username = $1 AND token_hash = $2")
            .bind(username)
            .bind(token_hash)
            .fetch_optional(&mut *w.tx)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let token_expires: Option<String> = row.try_get(0)?;
    let mut expires = later(SESSION_DAYS);
    if let Some(t) = token_expires {
        if t <= now {
            return Ok(None);
        }
        expires = expires.min(t);
    }
    sqlx::query(
        "INSERT INTO sessions (id_hash, username, created_at, expires_at, token_hash) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token::hash(id))
    .bind(username)
    .bind(&now)
    .bind(&expires)
    .bind(token_hash)
    .execute(&mut *w.tx)
    .await?;
    w.tx.commit().await?;
    Ok(Some(expires))
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
    let mut w = store.begin_write().await?;
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(token::hash(id))
        .execute(&mut *w.tx)
        .await?;
    w.tx.commit().await?;
    Ok(())
}
