//! The dashboard's queries: sessions, the resource list and a resource's grants and invitations.
//! Portable SQL, as in [`crate::store`].

use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::store::{Store, User, now};
use crate::{Result, token};

/// How long a sign-in lasts.
pub(crate) const SESSION_DAYS: i64 = 7;

/// One row of the resource list.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub(crate) uri: String,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) resource_type: Option<String>,
    pub(crate) visibility: String,
    pub(crate) updated_at: String,
    /// `owner`, `write` or `read`.
    pub(crate) access: String,
}

/// A grant or a pending invitation on a resource.
#[derive(Debug, Clone)]
pub(crate) struct Share {
    /// Username (grant) or email (invitation).
    pub(crate) who: String,
    pub(crate) level: String,
    pub(crate) by: String,
    pub(crate) at: String,
}

fn later(days: i64) -> String {
    crate::store::stamp(time::OffsetDateTime::now_utc() + time::Duration::days(days))
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
    let mut w = store.begin_write().await?;
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(token::hash(id))
        .execute(&mut *w.tx)
        .await?;
    w.tx.commit().await?;
    Ok(())
}

/// The caller's own resources and those shared with them, most recently updated first.
pub(crate) async fn list_resources(store: &Store, username: &str) -> Result<Vec<Listed>> {
    let rows = sqlx::query(
        "SELECT r.uri, r.name, r.owner, r.resource_type, r.visibility, r.updated_at, g.access_level \
         FROM resources r LEFT JOIN grants g ON g.uri = r.uri AND g.username = $1 \
         WHERE r.owner = $1 OR g.username IS NOT NULL ORDER BY r.updated_at DESC, r.uri",
    )
    .bind(username)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let owner: String = row.try_get(2)?;
            let grant: Option<String> = row.try_get(6)?;
            let access = if owner == username {
                "owner".to_owned()
            } else {
                grant.unwrap_or_else(|| "read".to_owned())
            };
            Ok(Listed {
                uri: row.try_get(0)?,
                name: row.try_get(1)?,
                owner,
                resource_type: row.try_get(3)?,
                visibility: row.try_get(4)?,
                updated_at: row.try_get(5)?,
                access,
            })
        })
        .collect()
}

fn share_from_row(row: &AnyRow) -> Result<Share> {
    Ok(Share {
        who: row.try_get(0)?,
        level: row.try_get(1)?,
        by: row.try_get(2)?,
        at: row.try_get(3)?,
    })
}

/// Grants on `uri`, and pending invitations to emails without an account.
pub(crate) async fn shares(store: &Store, uri: &str) -> Result<(Vec<Share>, Vec<Share>)> {
    let grants = sqlx::query(
        "SELECT username, access_level, granted_by, created_at FROM grants WHERE uri = $1 ORDER BY username",
    )
    .bind(uri)
    .fetch_all(store.pool())
    .await?;
    let invitations = sqlx::query(
        "SELECT email, access_level, invited_by, created_at FROM invitations WHERE uri = $1 ORDER BY email",
    )
    .bind(uri)
    .fetch_all(store.pool())
    .await?;
    Ok((
        grants.iter().map(share_from_row).collect::<Result<_>>()?,
        invitations
            .iter()
            .map(share_from_row)
            .collect::<Result<_>>()?,
    ))
}

/// When `uri` was created and last changed (the resource row's timestamps).
pub(crate) async fn times(store: &Store, uri: &str) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT created_at, updated_at FROM resources WHERE uri = $1")
        .bind(uri)
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}
