//! The bodies of SQLite's writes, run by the writer thread ([`super::writer`]) inside a write's savepoint of
//! the batch's transaction: the same statements and rules as the portable sqlx path of each [`super::Store`]
//! method (which serves PostgreSQL), on the writer's `rusqlite` connection with cached statements. An `Err`
//! rolls back the write's savepoint: everything it did, its audit row included.

use rusqlite::{Connection, OptionalExtension as _, params};

use super::writer::is_unique_violation;
use super::{
    AccessLevel, Change, Granted, Grantee, INVITES_PER_HOUR, Notification, StoredResource,
    Visibility, now, parse_column, parse_json,
};
use crate::audit::Audit;
use crate::{Error, Result, token};

/// The audit row of `audit` (with `detail` instead of its own when given), in the write's savepoint.
pub(crate) fn audit_row(conn: &Connection, audit: &Audit, detail: Option<&str>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (id, created_at, actor, action, target, detail, client_ip) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        token::random_id()?,
        now(),
        audit.actor,
        audit.action.as_str(),
        audit.target,
        detail.or(audit.detail.as_deref()),
        audit.ip.map(|ip| ip.to_string()),
    ])?;
    Ok(())
}

fn exists(conn: &Connection, sql: &str, key: &str) -> Result<bool> {
    Ok(conn.prepare_cached(sql)?.exists([key])?)
}

fn upsert_grant(
    conn: &Connection,
    uri: &str,
    username: &str,
    level: AccessLevel,
    by: &str,
    now: &str,
    since: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO grants (uri, username, access_level, granted_by, created_at, since_version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (uri, username) DO UPDATE SET \
         access_level = excluded.access_level, granted_by = excluded.granted_by",
    )?
    .execute(params![uri, username, level.as_str(), by, now, since])?;
    Ok(())
}

#[expect(
    clippy::too_many_arguments,
    reason = "one column each; a struct would only rename them"
)]
fn insert_history(
    conn: &Connection,
    uri: &str,
    resource_id: &str,
    version: i64,
    action: &str,
    author: &str,
    config: &str,
    now: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO resource_history (uri, resource_id, version, action, author, config, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![uri, resource_id, version, action, author, config, now])?;
    Ok(())
}

/// The data of [`super::Store::create_user`].
pub(crate) struct NewUser {
    pub(crate) username: String,
    pub(crate) email: Option<String>,
    pub(crate) token_hash: String,
    pub(crate) expires_at: Option<String>,
}

/// [`super::Store::create_user`].
pub(crate) fn create_user(
    conn: &Connection,
    u: &NewUser,
    audit: &Audit,
) -> Result<Vec<(String, AccessLevel)>> {
    if exists(conn, "SELECT 1 FROM users WHERE username = ?1", &u.username)? {
        return Err(Error::UserExists(u.username.clone()));
    }
    if let Some(email) = &u.email
        && exists(conn, "SELECT 1 FROM users WHERE email = ?1", email)?
    {
        return Err(Error::EmailTaken(email.clone()));
    }
    let now = now();
    let inserted = conn
        .prepare_cached(
            "INSERT INTO users (username, email, token_hash, config, created_at, token_expires_at) \
             VALUES (?1, ?2, ?3, '{}', ?4, ?5)",
        )?
        .execute(params![
            u.username,
            u.email,
            u.token_hash,
            now,
            u.expires_at
        ]);
    match inserted {
        Err(e) if is_unique_violation(&e) => return Err(Error::UserExists(u.username.clone())),
        other => {
            other?;
        }
    }
    let mut granted = Vec::new();
    if let Some(email) = &u.email {
        let invited: Vec<(String, String, String, String, i64)> = conn
            .prepare_cached(
                "SELECT i.uri, i.access_level, i.invited_by, r.name, r.version FROM invitations i \
                 JOIN resources r ON r.uri = i.uri WHERE i.email = ?1 ORDER BY i.uri",
            )?
            .query_map([email], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (uri, level, by, name, since) in invited {
            let level: AccessLevel = parse_column(level)?;
            upsert_grant(conn, &uri, &u.username, level, &by, &now, since)?;
            granted.push((name, level));
        }
        conn.prepare_cached("DELETE FROM invitations WHERE email = ?1")?
            .execute([email])?;
    }
    audit_row(conn, audit, None)?;
    Ok(granted)
}

/// [`super::Store::set_user_config`].
pub(crate) fn set_user_config(
    conn: &Connection,
    username: &str,
    config: &str,
    audit: &Audit,
) -> Result<()> {
    conn.prepare_cached("UPDATE users SET config = ?1 WHERE username = ?2")?
        .execute([config, username])?;
    audit_row(conn, audit, None)
}

/// The data of [`super::Store::create_resource`].
pub(crate) struct NewResource {
    pub(crate) id: String,
    pub(crate) uri: String,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) resource_type: Option<String>,
    pub(crate) visibility: Visibility,
    pub(crate) config: String,
    pub(crate) author: String,
}

/// [`super::Store::create_resource`]: `false` when one exists at that address.
pub(crate) fn create_resource(conn: &Connection, r: &NewResource, audit: &Audit) -> Result<bool> {
    if exists(conn, "SELECT 1 FROM resources WHERE uri = ?1", &r.uri)? {
        return Ok(false);
    }
    let last: i64 = conn
        .prepare_cached("SELECT COALESCE(MAX(version), 0) FROM resource_history WHERE uri = ?1")?
        .query_row([&r.uri], |row| row.get(0))?;
    let version = last + 1;
    let now = now();
    let inserted = conn
        .prepare_cached(
            "INSERT INTO resources (uri, name, owner, resource_type, visibility, config, version, created_at, \
             updated_at, resource_id, open_since) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)",
        )?
        .execute(params![
            r.uri,
            r.name,
            r.owner,
            r.resource_type,
            r.visibility.as_str(),
            r.config,
            version,
            now,
            r.id,
            r.visibility.is_open().then_some(version),
        ]);
    match inserted {
        Err(e) if is_unique_violation(&e) => return Ok(false),
        other => {
            other?;
        }
    }
    insert_history(
        conn, &r.uri, &r.id, version, "create", &r.author, &r.config, &now,
    )?;
    audit_row(conn, audit, None)?;
    Ok(true)
}

/// [`super::Store::update_locked`]: the writer is the only writer, so the row cannot change between the read
/// and the write.
pub(crate) fn update<E: From<Error>>(
    conn: &Connection,
    uri: &str,
    username: &str,
    audit: &Audit,
    decide: impl FnOnce(&StoredResource, Option<AccessLevel>) -> Result<Change, E>,
) -> Result<Option<i64>, E> {
    let row = conn
        .prepare_cached(
            "SELECT r.owner, r.visibility, r.config, r.version, g.access_level, r.resource_id, r.open_since \
             FROM resources r LEFT JOIN grants g ON g.uri = r.uri AND g.username = ?2 WHERE r.uri = ?1",
        )
        .and_then(|mut s| {
            s.query_row([uri, username], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            })
            .optional()
        })
        .map_err(|e| E::from(e.into()))?;
    let Some((owner, visibility, config, version, grant, id, open_since)) = row else {
        return Ok(None);
    };
    let current = StoredResource {
        owner,
        visibility: parse_column(visibility)?,
        config: parse_json(&config),
        version,
    };
    let grant = grant.map(parse_column).transpose()?;
    let change = decide(&current, grant)?;
    let now = now();
    let text = change.config.to_string();
    let version = current.version + 1;
    let open_since = match (current.visibility, change.visibility) {
        (_, Visibility::Private) => None,
        (Visibility::Private, _) => Some(version),
        _ => open_since.or(Some(version)),
    };
    let written = (|| -> Result<()> {
        conn.prepare_cached(
            "UPDATE resources SET config = ?1, visibility = ?2, resource_type = ?3, version = ?4, \
             updated_at = ?5, open_since = ?6 WHERE uri = ?7",
        )?
        .execute(params![
            text,
            change.visibility.as_str(),
            change.resource_type,
            version,
            now,
            open_since,
            uri
        ])?;
        insert_history(conn, uri, &id, version, "update", username, &text, &now)?;
        audit_row(conn, audit, None)
    })();
    written.map_err(E::from)?;
    Ok(Some(version))
}

/// [`super::Store::delete_resource`]: `false` if it did not exist.
pub(crate) fn delete_resource(
    conn: &Connection,
    uri: &str,
    author: &str,
    audit: &Audit,
) -> Result<bool> {
    let row: Option<(i64, String, String)> = conn
        .prepare_cached(
            "DELETE FROM resources WHERE uri = ?1 RETURNING version, config, resource_id",
        )?
        .query_row([uri], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((version, config, id)) = row else {
        return Ok(false);
    };
    insert_history(
        conn,
        uri,
        &id,
        version + 1,
        "delete",
        author,
        &config,
        &now(),
    )?;
    audit_row(conn, audit, None)?;
    Ok(true)
}

/// [`super::Store::purge_history`]: how many entries were removed.
pub(crate) fn purge_history(conn: &Connection, uri: &str, audit: &Audit) -> Result<u64> {
    let current: Option<(i64, String)> = conn
        .prepare_cached("SELECT version, resource_id FROM resources WHERE uri = ?1")?
        .query_row([uri], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let removed = match &current {
        Some((version, id)) => conn
            .prepare_cached(
                "DELETE FROM resource_history WHERE uri = ?1 AND NOT (version = ?2 AND resource_id = ?3)",
            )?
            .execute(params![uri, version, id])?,
        None => conn
            .prepare_cached("DELETE FROM resource_history WHERE uri = ?1")?
            .execute([uri])?,
    };
    audit_row(conn, audit, Some(&format!("{removed} entries")))?;
    Ok(u64::try_from(removed).unwrap_or(u64::MAX))
}

/// [`super::Store::over_hourly_cap`]'s rule, inside the write.
fn over_hourly_cap(conn: &Connection, by: &str, mails: usize, invites: usize) -> Result<bool> {
    let hour_ago = crate::credentials::expiry_after(time::Duration::hours(-1));
    let count = |sql: &str| -> Result<i64> {
        Ok(conn
            .prepare_cached(sql)?
            .query_row([by, hour_ago.as_str()], |r| r.get(0))?)
    };
    let over = |before: i64, n: usize| {
        n > 0 && before.saturating_add(i64::try_from(n).unwrap_or(i64::MAX)) > INVITES_PER_HOUR
    };
    if over(
        count("SELECT COUNT(*) FROM outbox WHERE queued_by = ?1 AND created_at > ?2")?,
        mails,
    ) {
        return Ok(true);
    }
    Ok(over(
        count("SELECT COUNT(*) FROM invitations WHERE invited_by = ?1 AND created_at > ?2")?,
        invites,
    ))
}

/// The data of [`super::Store::grant`].
pub(crate) struct NewGrants {
    pub(crate) uri: String,
    pub(crate) grantees: Vec<Grantee>,
    pub(crate) level: AccessLevel,
    pub(crate) by: String,
    pub(crate) notifications: Vec<Notification>,
}

/// [`super::Store::grant`].
pub(crate) fn grant(conn: &Connection, g: &NewGrants, audit: &Audit) -> Result<Granted> {
    let now = now();
    let invites = g
        .grantees
        .iter()
        .filter(|g| matches!(g, Grantee::Email(_)))
        .count();
    if over_hourly_cap(conn, &g.by, g.notifications.len(), invites)? {
        return Ok(Granted::HourlyCapReached);
    }
    let since: i64 = conn
        .prepare_cached("SELECT version FROM resources WHERE uri = ?1")?
        .query_row([&g.uri], |r| r.get(0))?;
    for who in &g.grantees {
        match who {
            Grantee::User(username) => {
                upsert_grant(conn, &g.uri, username, g.level, &g.by, &now, since)?;
            }
            Grantee::Email(email) => {
                conn.prepare_cached(
                    "INSERT INTO invitations (uri, email, access_level, invited_by, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (uri, email) DO UPDATE SET \
                     access_level = excluded.access_level, invited_by = excluded.invited_by",
                )?
                .execute(params![g.uri, email, g.level.as_str(), g.by, now])?;
            }
        }
    }
    for n in &g.notifications {
        conn.prepare_cached(
            "INSERT INTO outbox (id, recipient, subject, body, created_at, queued_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            token::random_id()?,
            n.recipient,
            n.subject,
            n.body,
            now,
            g.by
        ])?;
    }
    audit_row(conn, audit, None)?;
    Ok(Granted::Done)
}

/// [`super::Store::revoke`].
pub(crate) fn revoke(
    conn: &Connection,
    uri: &str,
    grantees: Option<&[Grantee]>,
    audit: &Audit,
) -> Result<Vec<Grantee>> {
    let mut removed = Vec::new();
    match grantees {
        None => {
            let users: Vec<String> = conn
                .prepare_cached("DELETE FROM grants WHERE uri = ?1 RETURNING username")?
                .query_map([uri], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            removed.extend(users.into_iter().map(Grantee::User));
            let emails: Vec<String> = conn
                .prepare_cached("DELETE FROM invitations WHERE uri = ?1 RETURNING email")?
                .query_map([uri], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            removed.extend(emails.into_iter().map(Grantee::Email));
        }
        Some(list) => {
            for g in list {
                let (sql, key) = match g {
                    Grantee::User(u) => ("DELETE FROM grants WHERE uri = ?1 AND username = ?2", u),
                    Grantee::Email(e) => {
                        ("DELETE FROM invitations WHERE uri = ?1 AND email = ?2", e)
                    }
                };
                if conn.prepare_cached(sql)?.execute([uri, key.as_str()])? > 0 {
                    removed.push(g.clone());
                }
            }
        }
    }
    if !removed.is_empty() {
        if audit.has_detail() {
            audit_row(conn, audit, None)?;
        } else {
            let who: Vec<&str> = removed
                .iter()
                .map(|(Grantee::User(w) | Grantee::Email(w))| w.as_str())
                .collect();
            audit_row(conn, audit, Some(&who.join(",")))?;
        }
    }
    Ok(removed)
}

/// [`super::credentials::set_token`] and [`super::credentials::revoke`]: the token columns, then the
/// account's sessions end.
pub(crate) fn replace_token(
    conn: &Connection,
    username: &str,
    token_hash: &str,
    expires_at: Option<&str>,
    revoked_at: Option<&str>,
    audit: &Audit,
) -> Result<()> {
    let done = conn
        .prepare_cached(
            "UPDATE users SET token_hash = ?1, token_expires_at = ?2, token_revoked_at = ?3 \
             WHERE username = ?4",
        )?
        .execute(params![token_hash, expires_at, revoked_at, username])?;
    if done == 0 {
        return Err(Error::UserNotFound(username.to_owned()));
    }
    conn.prepare_cached("DELETE FROM sessions WHERE username = ?1")?
        .execute([username])?;
    audit_row(conn, audit, None)
}

/// The data of [`super::credentials::rotate_in_session`].
pub(crate) struct Rotation {
    pub(crate) username: String,
    pub(crate) current_hash: String,
    pub(crate) new_hash: String,
    pub(crate) expires_at: Option<String>,
    pub(crate) session_id_hash: String,
}

/// [`super::credentials::rotate_in_session`].
pub(crate) fn rotate_in_session(
    conn: &Connection,
    r: &Rotation,
    audit: &Audit,
) -> Result<Option<String>> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT token_hash FROM users WHERE username = ?1")?
        .query_row([&r.username], |row| row.get(0))
        .optional()?;
    let Some(stored) = stored else {
        return Err(Error::UserNotFound(r.username.clone()));
    };
    if !token::constant_time_eq(r.current_hash.as_bytes(), stored.as_bytes()) {
        return Ok(None);
    }
    let done = conn
        .prepare_cached(
            "UPDATE users SET token_hash = ?1, token_expires_at = ?2, token_revoked_at = NULL \
             WHERE username = ?3 AND token_hash = ?4",
        )?
        .execute(params![r.new_hash, r.expires_at, r.username, stored])?;
    if done == 0 {
        return Ok(None);
    }
    conn.prepare_cached("DELETE FROM sessions WHERE username = ?1 AND id_hash <> ?2")?
        .execute([&r.username, &r.session_id_hash])?;
    let session_expires: Option<String> = conn
        .prepare_cached("SELECT expires_at FROM sessions WHERE id_hash = ?1 AND username = ?2")?
        .query_row([&r.session_id_hash, &r.username], |row| row.get(0))
        .optional()?;
    // Without the row (signed out meanwhile) the session is over: it "expires" now.
    let mut until = now();
    if let Some(session_expires) = session_expires {
        until = match &r.expires_at {
            Some(e) if e.as_str() < session_expires.as_str() => e.clone(),
            _ => session_expires,
        };
        conn.prepare_cached(
            "UPDATE sessions SET token_hash = ?1, expires_at = ?2 WHERE id_hash = ?3",
        )?
        .execute([&r.new_hash, &until, &r.session_id_hash])?;
    }
    audit_row(conn, audit, None)?;
    Ok(Some(until))
}

/// [`super::sessions::create_session`]: the session's expiry, or `None` when the token is no longer valid.
pub(crate) fn create_session(
    conn: &Connection,
    id_hash: &str,
    username: &str,
    token_hash: &str,
    expires: String,
) -> Result<Option<String>> {
    let now = now();
    conn.prepare_cached("DELETE FROM sessions WHERE expires_at < ?1")?
        .execute([&now])?;
    let token_expires: Option<Option<String>> = conn
        .prepare_cached(
            "SELECT token_expires_at FROM users WHERE username = ?1 AND token_hash = ?2",
        )?
        .query_row([username, token_hash], |r| r.get(0))
        .optional()?;
    let Some(token_expires) = token_expires else {
        return Ok(None);
    };
    let mut expires = expires;
    if let Some(t) = token_expires {
        if t <= now {
            return Ok(None);
        }
        expires = expires.min(t);
    }
    conn.prepare_cached(
        "INSERT INTO sessions (id_hash, username, created_at, expires_at, token_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute([id_hash, username, &now, &expires, token_hash])?;
    Ok(Some(expires))
}

/// [`super::sessions::delete_session`].
pub(crate) fn delete_session(conn: &Connection, id_hash: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
        .execute([id_hash])?;
    Ok(())
}

/// [`super::audit::record`]: an audit row alone.
pub(crate) fn record(conn: &Connection, audit: &Audit) -> Result<()> {
    audit_row(conn, audit, None)
}

/// [`super::outbox::lease`]: `false` when this sender must skip the row.
pub(crate) fn outbox_lease(conn: &Connection, id: &str, until: &str, now: &str) -> Result<bool> {
    let taken = conn
        .prepare_cached(
            "UPDATE outbox SET next_attempt_at = ?1 WHERE id = ?2 AND sent_at IS NULL \
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?3)",
        )?
        .execute([until, id, now])?;
    Ok(taken > 0)
}

/// [`super::outbox::mark_sent`].
pub(crate) fn outbox_sent(conn: &Connection, id: &str, at: &str, attempts: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET sent_at = ?1, attempts = ?2, last_error = NULL, next_attempt_at = NULL \
         WHERE id = ?3",
    )?
    .execute(params![at, attempts, id])?;
    Ok(())
}

/// [`super::outbox::mark_failed`].
pub(crate) fn outbox_failed(
    conn: &Connection,
    id: &str,
    attempts: i64,
    error: &str,
    retry_at: &str,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET attempts = ?1, last_error = ?2, next_attempt_at = ?3 WHERE id = ?4",
    )?
    .execute(params![attempts, error, retry_at, id])?;
    Ok(())
}
