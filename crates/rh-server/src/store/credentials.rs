//! Token lifetimes in the database: a new token (with its expiry), rotation from a dashboard session,
//! revocation (the stored hash replaced by an unusable value, `revoked:` and random hex, so the old token
//! matches nothing at all), and telling an expired token from an unknown one.

use sqlx::Row as _;

use super::{Store, now, sqlite_write as sw};
use crate::audit::Audit;
use crate::{Error, Result, token};

/// Stores a new token hash for `username` with its expiry (`None`: never), clearing any revocation, and ends
/// their dashboard sessions (each is bound to the token it was opened with; see [`rotate_in_session`]), with
/// `audit`'s row in the same transaction.
pub async fn set_token(
    store: &Store,
    username: &str,
    token_hash: &str,
    expires_at: Option<&str>,
    audit: &Audit,
) -> Result<()> {
    if let Some(w) = store.sqlite_writer() {
        let (username, hash) = (username.to_owned(), token_hash.to_owned());
        let (expires_at, audit) = (expires_at.map(str::to_owned), audit.clone());
        return w
            .write(move |c| {
                sw::replace_token(c, &username, &hash, expires_at.as_deref(), None, &audit)
            })
            .await;
    }
    let mut w = store.begin_write().await?;
    let done = sqlx::query(
        "UPDATE users SET token_hash = $1, token_expires_at = $2, token_revoked_at = NULL \
         WHERE username = $3",
    )
    .bind(token_hash)
    .bind(expires_at)
    .bind(username)
    .execute(&mut *w.tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::UserNotFound(username.to_owned()));
    }
    sqlx::query("DELETE FROM sessions WHERE username = $1")
        .bind(username)
        .execute(&mut *w.tx)
        .await?;
    audit.write(&mut w.tx).await?;
    w.tx.commit().await?;
    Ok(())
}

/// Rotates `username`'s token from their dashboard session `session_id_hash`, in one transaction: only if
/// `current_token` is the account's token now (compared in constant time, then swapped only if unchanged),
/// stores `new_hash` with its expiry (`None`: never), ends every other session of the account and binds this
/// one to the new token, expiring no later than it, with `audit`'s row. Returns when this session now expires, or `None` (and
/// nothing changed) when `current_token` is not the current token.
pub(crate) async fn rotate_in_session(
    store: &Store,
    username: &str,
    current_token: &str,
    new_hash: &str,
    expires_at: Option<&str>,
    session_id_hash: &str,
    audit: &Audit,
) -> Result<Option<String>> {
    if let Some(w) = store.sqlite_writer() {
        let r = sw::Rotation {
            username: username.to_owned(),
            current_hash: token::hash(current_token),
            new_hash: new_hash.to_owned(),
            expires_at: expires_at.map(str::to_owned),
            session_id_hash: session_id_hash.to_owned(),
        };
        let audit = audit.clone();
        return w.write(move |c| sw::rotate_in_session(c, &r, &audit)).await;
    }
    let mut w = store.begin_write().await?;
    let row = sqlx::query("SELECT token_hash FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *w.tx)
        .await?;
    let Some(row) = row else {
        return Err(Error::UserNotFound(username.to_owned()));
    };
    let stored: String = row.try_get(0)?;
    if !token::constant_time_eq(token::hash(current_token).as_bytes(), stored.as_bytes()) {
        return Ok(None);
    }
    let done = sqlx::query(
        "UPDATE users SET token_hash = $1, token_expires_at = $2, token_revoked_at = NULL \
         WHERE username = $3 AND token_hash = $4",
    )
    .bind(new_hash)
    .bind(expires_at)
    .bind(username)
    .bind(&stored)
    .execute(&mut *w.tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query("DELETE FROM sessions WHERE username = $1 AND id_hash <> $2")
        .bind(username)
        .bind(session_id_hash)
        .execute(&mut *w.tx)
        .await?;
    let row = sqlx::query("SELECT expires_at FROM sessions WHERE id_hash = $1 AND username = $2")
        .bind(session_id_hash)
        .bind(username)
        .fetch_optional(&mut *w.tx)
        .await?;
    // Without the row (signed out meanwhile) the session is over: it "expires" now.
    let mut until = now();
    if let Some(row) = row {
        let session_expires: String = row.try_get(0)?;
        until = match expires_at {
            Some(e) if e < session_expires.as_str() => e.to_owned(),
            _ => session_expires,
        };
        sqlx::query("UPDATE sessions SET token_hash = $1, expires_at = $2 WHERE id_hash = $3")
            .bind(new_hash)
            .bind(&until)
            .bind(session_id_hash)
            .execute(&mut *w.tx)
            .await?;
    }
    audit.write(&mut w.tx).await?;
    w.tx.commit().await?;
    Ok(Some(until))
}

/// Revokes `username`'s token and ends their dashboard sessions, with `audit`'s row; the account and its data
/// stay. A new token can be issued with `rh-server user token`.
pub async fn revoke(store: &Store, username: &str, audit: &Audit) -> Result<()> {
    let unusable = format!("revoked:{}", token::random_id()?);
    if let Some(w) = store.sqlite_writer() {
        let (username, audit) = (username.to_owned(), audit.clone());
        return w
            .write(move |c| sw::replace_token(c, &username, &unusable, None, Some(&now()), &audit))
            .await;
    }
    let mut w = store.begin_write().await?;
    let done = sqlx::query(
        "UPDATE users SET token_hash = $1, token_expires_at = NULL, token_revoked_at = $2 \
         WHERE username = $3",
    )
    .bind(&unusable)
    .bind(now())
    .bind(username)
    .execute(&mut *w.tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::UserNotFound(username.to_owned()));
    }
    sqlx::query("DELETE FROM sessions WHERE username = $1")
        .bind(username)
        .execute(&mut *w.tx)
        .await?;
    audit.write(&mut w.tx).await?;
    w.tx.commit().await?;
    Ok(())
}

/// Why a token that the lookups refused was refused: `true` when it is a real token past its expiry.
pub async fn is_expired(store: &Store, token_hash: &str) -> Result<bool> {
    let row = sqlx::query("SELECT token_expires_at FROM users WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(store.pool())
        .await?;
    let Some(row) = row else { return Ok(false) };
    let expires: Option<String> = row.try_get(0)?;
    Ok(expires.is_some_and(|e| e <= now()))
}
