//! What named secrets need of the database beyond resources and grants: an audit row that must be written
//! before a grantee sees values ([`Store::audit_strict`]), the audit rows about one target, for
//! `rh-server audit --target NAME` ([`Store::audit_for_target`]), and whether the owner lets `write` grantees
//! share a secret further ([`Store::reshare_allowed`], [`Store::set_reshare`]).

use super::{AccessLevel, Store, StoredResource};
use crate::Result;
use crate::audit::{Audit, AuditEntry};

impl Store {
    /// Writes `audit`'s row now, in its own transaction, and reports a failure (unlike
    /// [`crate::audit::record`]): a read of a secret's values by a grantee happens only once it is audited.
    /// On SQLite it is a relaxed write ([`super::writer::Writer::write_relaxed`]): committed before the values
    /// are returned, fsynced with the next durable batch.
    pub(crate) async fn audit_strict(&self, audit: &Audit) -> Result<()> {
        if let Some(w) = self.sqlite_writer() {
            let audit = audit.clone();
            return w
                .write_relaxed(move |c| super::sqlite_write::record(c, &audit))
                .await;
        }
        let mut w = self.begin_write().await?;
        audit.write(&mut w.tx).await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// Whether the owner of the secret at `uri` lets its `write` grantees share it further (and revoke). Read
    /// from the database on every call: no cache serves a grant.
    pub(crate) async fn reshare_allowed(&self, uri: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM reshare WHERE uri = $1")
            .bind(uri)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Sets [`Self::reshare_allowed`] of `uri` on behalf of `by`, with `audit`'s row in the same transaction.
    pub(crate) async fn set_reshare(
        &self,
        uri: &str,
        allowed: bool,
        by: &str,
        audit: &Audit,
    ) -> Result<()> {
        let now = super::now();
        if let Some(w) = self.sqlite_writer() {
            let (uri, by, audit) = (uri.to_owned(), by.to_owned(), audit.clone());
            return w
                .write(move |c| {
                    if allowed {
                        c.prepare_cached(
                            "INSERT INTO reshare (uri, allowed_by, created_at) VALUES (?1, ?2, ?3) \
                             ON CONFLICT (uri) DO NOTHING",
                        )?
                        .execute([&uri, &by, &now])?;
                    } else {
                        c.prepare_cached("DELETE FROM reshare WHERE uri = ?1")?
                            .execute([&uri])?;
                    }
                    super::sqlite_write::record(c, &audit)
                })
                .await;
        }
        let mut w = self.begin_write().await?;
        if allowed {
            sqlx::query(
                "INSERT INTO reshare (uri, allowed_by, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (uri) DO NOTHING",
            )
            .bind(uri)
            .bind(by)
            .bind(&now)
            .execute(&mut *w.tx)
            .await?;
        } else {
            sqlx::query("DELETE FROM reshare WHERE uri = $1")
                .bind(uri)
                .execute(&mut *w.tx)
                .await?;
        }
        audit.write(&mut w.tx).await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// The newest `limit` rows about `target` (a resource address, provider or username), newest first,
    /// optionally only those by `actor`.
    pub async fn audit_for_target(
        &self,
        target: &str,
        actor: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT created_at, actor, action, target, detail, client_ip FROM audit_log \
             WHERE target = $1 AND ($2 = '' OR actor = $2) ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(target)
        .bind(actor.unwrap_or(""))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(super::audit::entry).collect()
    }

    /// The resource at `uri` with `username`'s grant, as [`Store::resource_for`] reads it, on the hot-read
    /// connections when they answer (the grant check of every `/user/secret/{uri}` request; never cached).
    pub(crate) async fn secret_resource_for(
        &self,
        uri: &str,
        username: &str,
    ) -> Result<Option<(StoredResource, Option<AccessLevel>)>> {
        if let Some(hot) = &self.hot
            && let Ok(row) = hot.resource_and_grant(uri, username).await
        {
            return row
                .map(|r| {
                    Ok((
                        StoredResource {
                            owner: r.owner,
                            visibility: super::parse_column(r.visibility)?,
                            config: super::parse_json(&r.config),
                            version: r.version,
                        },
                        r.access_level.map(super::parse_column).transpose()?,
                    ))
                })
                .transpose();
        }
        self.resource_for(uri, username).await
    }
}
