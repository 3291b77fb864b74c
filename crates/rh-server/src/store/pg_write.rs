//! PostgreSQL's writes: each change is one statement where it can be (data-modifying CTEs: the change, its
//! history entry and its audit row commit together or not at all), with no process-wide lock: concurrent
//! writers only meet on the rows they change.
//!
//! An update needs Rust between its read and its write (the caller's `decide`: the access rule and the new
//! config), so it is a plain read, the decision, then one statement, which checks under the row lock what the
//! decision rests on ([`RestsOn`]):
//! - `AccessAndAnotherConfig` (`PUT /resource`): [`UPDATE_NEXT`] takes the row lock, checks on the locked row
//!   that the owner, visibility and caller's grant are the ones read and that the stored config is not the new
//!   one, and writes the next version (`version + 1` of the locked row). Concurrent updates of one resource
//!   queue on the lock, one statement each, with no lost race to retry.
//! - `TheVersionRead` (visibility, restore): [`UPDATE`] is a compare-and-set on the version read.
//!
//! When the check fails, the locked path decides again on the current row: `SELECT … FOR UPDATE`, decide, the
//! same compare-and-set, in one transaction. So `decide` always judges the row that is written over.
//!
//! The SQL here is PostgreSQL's only; the generic code in [`super`] keeps serving SQLite.

use std::sync::LazyLock;
use std::sync::atomic::Ordering;

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row as _};

use super::{
    AccessLevel, Bump, Change, Granted, Grantee, Notification, RESOURCE_FOR, RestsOn, Store,
    StoredResource, Visibility, now, resource_from_row,
};
use crate::audit::Audit;
use crate::{Error, Result, token};

type Q<'q> = Query<'q, Any, AnyArguments<'q>>;

/// `a AS (INSERT INTO audit_log …)`: the audit row of a change, its seven values from `$first` on (see
/// [`bind_audit`]), one row for each row of `source` (or exactly one without a source).
fn audit_cte(first: usize, source: Option<&str>) -> String {
    let p: Vec<String> = (first..first + 7).map(|i| format!("${i}")).collect();
    let values = p.join(", ");
    match source {
        Some(src) => format!(
            "a AS (INSERT INTO audit_log (id, created_at, actor, action, target, detail, client_ip) \
             SELECT {values} FROM {src})"
        ),
        None => format!(
            "a AS (INSERT INTO audit_log (id, created_at, actor, action, target, detail, client_ip) \
             VALUES ({values}))"
        ),
    }
}

/// Binds the seven values of [`audit_cte`]: a new id, `at`, the actor, action, target, `detail` and address.
fn bind_audit<'q>(q: Q<'q>, audit: &'q Audit, at: &str, detail: Option<&'q str>) -> Result<Q<'q>> {
    Ok(q.bind(token::random_id()?)
        .bind(at.to_owned())
        .bind(audit.actor.as_str())
        .bind(audit.action.as_str())
        .bind(audit.target.as_str())
        .bind(detail)
        .bind(audit.ip.map(|ip| ip.to_string())))
}

/// The new version of a resource, its history entry and its audit row, if the row is still the incarnation
/// and version `decide` saw and the caller's grant is still the one it saw. Returns how many rows changed
/// (0: a lost race).
static UPDATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH upd AS (UPDATE resources SET config = $1, visibility = $2, resource_type = $3, version = $4, \
         updated_at = $5, open_since = $6 WHERE uri = $7 AND resource_id = $8 AND version = $9 \
         AND (SELECT g.access_level FROM grants g WHERE g.uri = $7 AND g.username = $10) \
         IS NOT DISTINCT FROM $11 RETURNING uri, resource_id, version, config, updated_at), \
         h AS (INSERT INTO resource_history (uri, resource_id, version, action, author, config, created_at) \
         SELECT uri, resource_id, version, 'update', $10, config, updated_at FROM upd), {} \
         SELECT COUNT(*) FROM upd",
        audit_cte(12, Some("upd"))
    )
});

/// The next version of a resource, its history entry and its audit row, if the incarnation, owner, visibility
/// and the caller's grant are still the ones read and the stored config is not the new one (compared as
/// `jsonb`: equal there whenever equal in Rust). The `UPDATE` takes the row lock and checks this on the locked
/// row, so concurrent updates of one resource queue on the lock, each one statement. Returns the new version,
/// or no row.
static UPDATE_NEXT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH upd AS (UPDATE resources r SET config = $1, visibility = $2, resource_type = $3, \
         version = r.version + 1, updated_at = $4, open_since = CASE WHEN $2 = 'private' THEN NULL \
         WHEN r.visibility = 'private' THEN r.version + 1 ELSE COALESCE(r.open_since, r.version + 1) END \
         WHERE r.uri = $5 AND r.resource_id = $6 AND r.owner = $7 AND r.visibility = $8 \
         AND (SELECT g.access_level FROM grants g WHERE g.uri = $5 AND g.username = $9) \
         IS NOT DISTINCT FROM $10 AND r.config::jsonb IS DISTINCT FROM $1::jsonb \
         RETURNING uri, resource_id, version, config, updated_at), \
         h AS (INSERT INTO resource_history (uri, resource_id, version, action, author, config, created_at) \
         SELECT uri, resource_id, version, 'update', $9, config, updated_at FROM upd), {} \
         SELECT version FROM upd",
        audit_cte(11, Some("upd"))
    )
});

/// A new account (`$1` username, `$2` email, `$3` token hash, `$4` now, `$5` token expiry) unless the username
/// or the email is taken; its email's invitations become grants (each from the resource's current version on)
/// and go, and the audit row. Returns one row per grant made (`name`, level; NULLs when none), each with
/// whether the username was taken, the email was, and how many accounts were created (0 on a race).
static CREATE_USER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH chk AS (SELECT EXISTS (SELECT 1 FROM users WHERE username = $1) AS user_taken, \
         ($2::text IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE email = $2)) AS email_taken), \
         ins AS (INSERT INTO users (username, email, token_hash, config, created_at, token_expires_at) \
         SELECT $1, $2, $3, '{{}}', $4, $5 FROM chk WHERE NOT chk.user_taken AND NOT chk.email_taken \
         ON CONFLICT DO NOTHING RETURNING username), \
         inv AS (DELETE FROM invitations i WHERE i.email = $2 AND EXISTS (SELECT 1 FROM ins) \
         RETURNING i.uri, i.access_level, i.invited_by), \
         g AS (INSERT INTO grants (uri, username, access_level, granted_by, created_at, since_version) \
         SELECT inv.uri, $1, inv.access_level, inv.invited_by, $4, r.version FROM inv \
         JOIN resources r ON r.uri = inv.uri ON CONFLICT (uri, username) DO UPDATE SET \
         access_level = excluded.access_level, granted_by = excluded.granted_by RETURNING uri, access_level), {} \
         SELECT c.user_taken, c.email_taken, (SELECT COUNT(*) FROM ins), r.name, g.access_level \
         FROM chk c LEFT JOIN (g JOIN resources r ON r.uri = g.uri) ON TRUE ORDER BY g.uri",
        audit_cte(6, Some("ins"))
    )
});

/// A new incarnation at an address that has no resource: its first version follows the newest history entry
/// at the address. Returns how many rows were created (0: a resource exists there).
static CREATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH ins AS (INSERT INTO resources (uri, name, owner, resource_type, visibility, config, version, \
         created_at, updated_at, resource_id, open_since) \
         SELECT $1, $2, $3, $4, $5, $6, v.n, $7, $7, $8, CASE WHEN $9 THEN v.n END \
         FROM (SELECT COALESCE(MAX(version), 0) + 1 AS n FROM resource_history WHERE uri = $1) v \
         ON CONFLICT (uri) DO NOTHING RETURNING uri, resource_id, version, config, created_at), \
         h AS (INSERT INTO resource_history (uri, resource_id, version, action, author, config, created_at) \
         SELECT uri, resource_id, version, 'create', $10, config, created_at FROM ins), {} \
         SELECT COUNT(*) FROM ins",
        audit_cte(11, Some("ins"))
    )
});

/// The resource goes (its grants and invitations with it, by their foreign keys); the deletion is its
/// incarnation's last history entry.
static DELETE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH del AS (DELETE FROM resources WHERE uri = $1 RETURNING uri, resource_id, version, config), \
         h AS (INSERT INTO resource_history (uri, resource_id, version, action, author, config, created_at) \
         SELECT uri, resource_id, version + 1, 'delete', $2, config, $3 FROM del), {} \
         SELECT COUNT(*) FROM del",
        audit_cte(4, Some("del"))
    )
});

/// The user's defaults, and the audit row whether or not the user exists (as the generic path writes it).
static USER_CONFIG: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH u AS (UPDATE users SET config = $1 WHERE username = $2), {} SELECT 1",
        audit_cte(3, None)
    )
});

/// Every history entry at the address but the current resource's current one; the audit row's detail counts
/// them.
static PURGE: LazyLock<String> = LazyLock::new(|| {
    "WITH cur AS (SELECT version, resource_id FROM resources WHERE uri = $1), \
     del AS (DELETE FROM resource_history h WHERE h.uri = $1 AND (NOT EXISTS (SELECT 1 FROM cur) \
     OR NOT (h.version = (SELECT version FROM cur) AND h.resource_id = (SELECT resource_id FROM cur))) \
     RETURNING 1), n AS (SELECT COUNT(*) AS n FROM del), \
     a AS (INSERT INTO audit_log (id, created_at, actor, action, target, detail, client_ip) \
     SELECT $2, $3, $4, $5, $6, n.n || ' entries', $7 FROM n) \
     SELECT n FROM n"
        .to_owned()
});

/// Grants and invitations (`$5`: the JSON `[users, emails, notifications]`, each notification
/// `[id, recipient, subject, body]`), the notifications and the audit row; nothing when `$7` mails or `$8`
/// invitations would take `$2` over `$9` in the hour since `$6`. Returns whether it was over, and whether the
/// resource exists.
static GRANT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH over AS (SELECT ($7 > 0 AND (SELECT COUNT(*) FROM outbox WHERE queued_by = $2 AND created_at > $6) \
         + $7 > $9) OR ($8 > 0 AND (SELECT COUNT(*) FROM invitations WHERE invited_by = $2 AND created_at > $6) \
         + $8 > $9) AS o), \
         res AS (SELECT r.version FROM resources r, over WHERE r.uri = $1 AND NOT over.o), \
         g AS (INSERT INTO grants (uri, username, access_level, granted_by, created_at, since_version) \
         SELECT DISTINCT $1, u.value, $3, $2, $4, res.version FROM res, json_array_elements_text($5::json -> 0) u \
         ON CONFLICT (uri, username) DO UPDATE SET access_level = excluded.access_level, \
         granted_by = excluded.granted_by), \
         i AS (INSERT INTO invitations (uri, email, access_level, invited_by, created_at) \
         SELECT DISTINCT $1, e.value, $3, $2, $4 FROM res, json_array_elements_text($5::json -> 1) e \
         ON CONFLICT (uri, email) DO UPDATE SET access_level = excluded.access_level, \
         invited_by = excluded.invited_by), \
         n AS (INSERT INTO outbox (id, recipient, subject, body, created_at, queued_by) \
         SELECT x ->> 0, x ->> 1, x ->> 2, x ->> 3, $4, $2 FROM res, json_array_elements($5::json -> 2) x), {} \
         SELECT (SELECT o FROM over), (SELECT COUNT(*) FROM res)",
        audit_cte(10, Some("res"))
    )
});

/// The audit row of a revoke that removed someone (the CTE `w`: `kind`, `who`, `o`), its detail `$7` or else the
/// removed names in order; then the removed, in order.
const REVOKE_TAIL: &str = "a AS (INSERT INTO audit_log (id, created_at, actor, action, target, detail, client_ip) \
     SELECT $2, $3, $4, $5, $6, COALESCE($7, (SELECT string_agg(who, ',' ORDER BY o) FROM w)), $8 \
     WHERE EXISTS (SELECT 1 FROM w)) SELECT kind, who FROM w ORDER BY o";

/// Every grant and invitation of `$1`.
static REVOKE_ALL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH g AS (DELETE FROM grants WHERE uri = $1 RETURNING username), \
         i AS (DELETE FROM invitations WHERE uri = $1 RETURNING email), \
         w AS (SELECT 'u' AS kind, username AS who, ROW_NUMBER() OVER (ORDER BY username) AS o FROM g \
         UNION ALL SELECT 'e', email, 1000000 + ROW_NUMBER() OVER (ORDER BY email) FROM i), {REVOKE_TAIL}"
    )
});

/// The grants and invitations of the JSON list `$9` (`[kind, who]`, kind `u` or `e`), in its order.
static REVOKE_LISTED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH l AS (SELECT x ->> 0 AS kind, x ->> 1 AS who, t.o FROM json_array_elements($9::json) \
         WITH ORDINALITY AS t(x, o)), \
         g AS (DELETE FROM grants WHERE uri = $1 AND username IN (SELECT who FROM l WHERE kind = 'u') \
         RETURNING username), \
         i AS (DELETE FROM invitations WHERE uri = $1 AND email IN (SELECT who FROM l WHERE kind = 'e') \
         RETURNING email), \
         w AS (SELECT kind, who, MIN(o) AS o FROM l WHERE (kind = 'u' AND who IN (SELECT username FROM g)) \
         OR (kind = 'e' AND who IN (SELECT email FROM i)) GROUP BY kind, who), {REVOKE_TAIL}"
    )
});

impl Store {
    /// Bumps the write generation now and again when the returned guard drops (after the write), as
    /// `begin_write` does for a transaction; see [`super::read_cache`].
    fn pg_write_scope(&self) -> Bump {
        self.generation.fetch_add(1, Ordering::AcqRel);
        Bump(std::sync::Arc::clone(&self.generation))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the arguments of Store::create_resource"
    )]
    pub(super) async fn pg_create_resource(
        &self,
        uri: &str,
        name: &str,
        owner: &str,
        resource_type: Option<&str>,
        visibility: Visibility,
        config: &serde_json::Value,
        author: &str,
        audit: &Audit,
    ) -> Result<bool> {
        let _bump = self.pg_write_scope();
        let id = token::random_id()?;
        let text = config.to_string();
        // A unique violation is a race with another create or a delete at the address (whose history entry
        // took the version this one read as next): once more, now that it has committed, decides.
        for last_try in [false, true] {
            let now = now();
            let q = sqlx::query(&CREATE)
                .bind(uri)
                .bind(name)
                .bind(owner)
                .bind(resource_type)
                .bind(visibility.as_str())
                .bind(&text)
                .bind(&now)
                .bind(&id)
                .bind(visibility.is_open())
                .bind(author);
            let q = bind_audit(q, audit, &now, audit.detail.as_deref())?;
            match q.fetch_one(&self.pool).await {
                Ok(row) => return Ok(row.try_get::<i64, _>(0)? == 1),
                Err(e) if super::is_unique_violation(&e) && !last_try => {}
                Err(e) if super::is_unique_violation(&e) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the last try returns")
    }

    pub(super) async fn pg_create_user(
        &self,
        username: &str,
        email: Option<&str>,
        token_hash: &str,
        expires_at: Option<&str>,
        audit: &Audit,
    ) -> Result<Vec<(String, AccessLevel)>> {
        let _bump = self.pg_write_scope();
        let now = now();
        let q = sqlx::query(&CREATE_USER)
            .bind(username)
            .bind(email)
            .bind(token_hash)
            .bind(&now)
            .bind(expires_at);
        let rows = match bind_audit(q, audit, &now, audit.detail.as_deref())?
            .fetch_all(&self.pool)
            .await
        {
            Ok(rows) => rows,
            Err(e) if super::is_unique_violation(&e) => {
                return Err(Error::UserExists(username.to_owned()));
            }
            Err(e) => return Err(e.into()),
        };
        let first = rows.first().ok_or(sqlx::Error::RowNotFound)?;
        if first.try_get::<bool, _>(0)? {
            return Err(Error::UserExists(username.to_owned()));
        }
        if first.try_get::<bool, _>(1)? {
            return Err(Error::EmailTaken(email.unwrap_or_default().to_owned()));
        }
        if first.try_get::<i64, _>(2)? == 0 {
            // Another process created the account, or took the email, between the check and the insert.
            return Err(Error::UserExists(username.to_owned()));
        }
        let mut granted = Vec::new();
        for row in &rows {
            if let Some(name) = row.try_get::<Option<String>, _>(3)? {
                let level: String = row.try_get(4)?;
                granted.push((name, super::parse_column(level)?));
            }
        }
        Ok(granted)
    }

    pub(super) async fn pg_update<E: From<Error>>(
        &self,
        uri: &str,
        username: &str,
        audit: &Audit,
        decide: impl Fn(&StoredResource, Option<AccessLevel>) -> Result<Change, E>,
    ) -> Result<Option<i64>, E> {
        let _bump = self.pg_write_scope();
        // A plain read, the decision, then one statement that takes the row lock and checks what the decision
        // rests on.
        let row = sqlx::query(RESOURCE_FOR)
            .bind(uri)
            .bind(username)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| E::from(e.into()))?;
        let Some(row) = row else { return Ok(None) };
        let read = Read::of(&row)?;
        let change = decide(&read.current, read.grant)?;
        let written = match change.rests_on {
            RestsOn::AccessAndAnotherConfig => {
                self.pg_write_next(uri, username, audit, &read, &change)
                    .await
            }
            RestsOn::TheVersionRead => {
                self.pg_write_update(&self.pool, uri, username, audit, &read, &change)
                    .await
            }
        };
        if let Some(version) = written? {
            return Ok(Some(version));
        }
        // What the decision rests on changed: queue on the row lock and decide again. A grant changed between
        // the locked read and the write (the lock is on the resource row only) is one more round.
        loop {
            let mut tx = self.pool.begin().await.map_err(|e| E::from(e.into()))?;
            let row = sqlx::query(&format!("{RESOURCE_FOR} FOR UPDATE OF r"))
                .bind(uri)
                .bind(username)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| E::from(e.into()))?;
            let Some(row) = row else { return Ok(None) };
            let read = Read::of(&row)?;
            let change = decide(&read.current, read.grant)?;
            let written = self
                .pg_write_update(&mut *tx, uri, username, audit, &read, &change)
                .await?;
            tx.commit().await.map_err(|e| E::from(e.into()))?;
            if let Some(version) = written {
                return Ok(Some(version));
            }
        }
    }

    /// [`UPDATE_NEXT`] for a change that rests on [`RestsOn::AccessAndAnotherConfig`]; `None` when that no
    /// longer holds (or the config cannot be compared in SQL), for the locked path to decide.
    async fn pg_write_next<E: From<Error>>(
        &self,
        uri: &str,
        username: &str,
        audit: &Audit,
        read: &Read,
        change: &Change,
    ) -> Result<Option<i64>, E> {
        let now = now();
        let q = sqlx::query(&UPDATE_NEXT)
            .bind(change.config.to_string())
            .bind(change.visibility.as_str())
            .bind(change.resource_type.as_deref())
            .bind(&now)
            .bind(uri)
            .bind(read.id.as_str())
            .bind(read.current.owner.as_str())
            .bind(read.current.visibility.as_str())
            .bind(username)
            .bind(read.grant.map(AccessLevel::as_str));
        let q = bind_audit(q, audit, &now, audit.detail.as_deref())?;
        match q.fetch_optional(&self.pool).await {
            Ok(Some(row)) => Ok(Some(row.try_get(0).map_err(|e| E::from(e.into()))?)),
            Ok(None) => Ok(None),
            // A value `jsonb` refuses (a NUL in a string): the locked path compares in Rust.
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("22P05") => Ok(None),
            Err(e) => Err(E::from(e.into())),
        }
    }

    /// The compare-and-set statement of [`Store::pg_update`]; `None` when the row or grant is no longer what
    /// `read` holds.
    async fn pg_write_update<'c, E: From<Error>>(
        &self,
        conn: impl sqlx::Executor<'c, Database = Any>,
        uri: &str,
        username: &str,
        audit: &Audit,
        read: &Read,
        change: &Change,
    ) -> Result<Option<i64>, E> {
        let now = now();
        let version = read.current.version + 1;
        let open_since = match (read.current.visibility, change.visibility) {
            (_, Visibility::Private) => None,
            (Visibility::Private, _) => Some(version),
            _ => read.open_since.or(Some(version)),
        };
        let q = sqlx::query(&UPDATE)
            .bind(change.config.to_string())
            .bind(change.visibility.as_str())
            .bind(change.resource_type.as_deref())
            .bind(version)
            .bind(&now)
            .bind(open_since)
            .bind(uri)
            .bind(read.id.as_str())
            .bind(read.current.version)
            .bind(username)
            .bind(read.grant.map(AccessLevel::as_str));
        let q = bind_audit(q, audit, &now, audit.detail.as_deref())?;
        let n: i64 = q
            .fetch_one(conn)
            .await
            .and_then(|row| row.try_get(0))
            .map_err(|e| E::from(e.into()))?;
        Ok((n == 1).then_some(version))
    }

    pub(super) async fn pg_delete_resource(
        &self,
        uri: &str,
        author: &str,
        audit: &Audit,
    ) -> Result<bool> {
        let _bump = self.pg_write_scope();
        let now = now();
        let q = sqlx::query(&DELETE).bind(uri).bind(author).bind(&now);
        let q = bind_audit(q, audit, &now, audit.detail.as_deref())?;
        let n: i64 = q.fetch_one(&self.pool).await?.try_get(0)?;
        Ok(n == 1)
    }

    pub(super) async fn pg_set_user_config(
        &self,
        username: &str,
        config: &serde_json::Value,
        audit: &Audit,
    ) -> Result<()> {
        let _bump = self.pg_write_scope();
        let now = now();
        let q = sqlx::query(&USER_CONFIG)
            .bind(config.to_string())
            .bind(username);
        bind_audit(q, audit, &now, audit.detail.as_deref())?
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn pg_purge_history(&self, uri: &str, audit: &Audit) -> Result<u64> {
        let _bump = self.pg_write_scope();
        let row = sqlx::query(&PURGE)
            .bind(uri)
            .bind(token::random_id()?)
            .bind(now())
            .bind(audit.actor.as_str())
            .bind(audit.action.as_str())
            .bind(audit.target.as_str())
            .bind(audit.ip.map(|ip| ip.to_string()))
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0))
    }
}

impl Store {
    pub(super) async fn pg_grant(
        &self,
        uri: &str,
        grantees: &[Grantee],
        level: AccessLevel,
        by: &str,
        notifications: &[Notification],
        audit: &Audit,
    ) -> Result<Granted> {
        let _bump = self.pg_write_scope();
        let (mut users, mut emails) = (Vec::new(), Vec::new());
        for g in grantees {
            match g {
                Grantee::User(u) => users.push(u.as_str()),
                Grantee::Email(e) => emails.push(e.as_str()),
            }
        }
        let mut notes = Vec::with_capacity(notifications.len());
        for n in notifications {
            notes.push(serde_json::json!([
                token::random_id()?,
                n.recipient,
                n.subject,
                n.body
            ]));
        }
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let now = now();
        let q = sqlx::query(&GRANT)
            .bind(uri)
            .bind(by)
            .bind(level.as_str())
            .bind(&now)
            .bind(serde_json::json!([users, emails, notes]).to_string())
            .bind(crate::credentials::expiry_after(time::Duration::hours(-1)))
            .bind(count(notifications.len()))
            .bind(count(emails.len()))
            .bind(super::INVITES_PER_HOUR);
        let row = bind_audit(q, audit, &now, audit.detail.as_deref())?
            .fetch_one(&self.pool)
            .await?;
        if row.try_get::<bool, _>(0)? {
            return Ok(Granted::HourlyCapReached);
        }
        if row.try_get::<i64, _>(1)? == 0 {
            return Err(sqlx::Error::RowNotFound.into());
        }
        if !notifications.is_empty() {
            self.outbox_ready.notify_one();
        }
        Ok(Granted::Done)
    }

    pub(super) async fn pg_revoke(
        &self,
        uri: &str,
        grantees: Option<&[Grantee]>,
        audit: &Audit,
    ) -> Result<Vec<Grantee>> {
        let _bump = self.pg_write_scope();
        let sql: &str = if grantees.is_some() {
            &REVOKE_LISTED
        } else {
            &REVOKE_ALL
        };
        let mut q = sqlx::query(sql)
            .bind(uri)
            .bind(token::random_id()?)
            .bind(now())
            .bind(audit.actor.as_str())
            .bind(audit.action.as_str())
            .bind(audit.target.as_str())
            .bind(audit.detail.as_deref())
            .bind(audit.ip.map(|ip| ip.to_string()));
        if let Some(list) = grantees {
            let listed: Vec<[&str; 2]> = list
                .iter()
                .map(|g| match g {
                    Grantee::User(u) => ["u", u.as_str()],
                    Grantee::Email(e) => ["e", e.as_str()],
                })
                .collect();
            q = q.bind(serde_json::json!(listed).to_string());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(0)?;
                let who: String = r.try_get(1)?;
                Ok(if kind == "u" {
                    Grantee::User(who)
                } else {
                    Grantee::Email(who)
                })
            })
            .collect()
    }
}

/// What the read before an update saw.
struct Read {
    current: StoredResource,
    grant: Option<AccessLevel>,
    id: String,
    open_since: Option<i64>,
}

impl Read {
    fn of<E: From<Error>>(row: &sqlx::any::AnyRow) -> Result<Self, E> {
        let (current, grant) = resource_from_row(row, 0).map_err(E::from)?;
        Ok(Self {
            current,
            grant,
            id: row.try_get(5).map_err(|e| E::from(e.into()))?,
            open_since: row.try_get(6).map_err(|e| E::from(e.into()))?,
        })
    }
}
