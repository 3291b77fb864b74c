//! What named secrets need of the database beyond resources and grants: an audit row that must be written
//! before a grantee sees values ([`Store::audit_strict`]), and the audit rows about one target, for
//! `rh-server audit --target NAME` ([`Store::audit_for_target`]).

use super::{AccessLevel, Store, StoredResource};
use crate::Result;
use crate::audit::{Audit, AuditEntry};

impl Store {
    /// Writes `audit`'s row now, in its own transaction, and reports a failure (unlike
    /// [`crate::audit::record`]): a read of a secret's values by a grantee happens only once it is audited.
    pub(crate) async fn audit_strict(&self, audit: &Audit) -> Result<()> {
        if let Some(w) = self.sqlite_writer() {
            let audit = audit.clone();
            return w
                .write(move |c| super::sqlite_write::record(c, &audit))
                .await;
        }
        let mut w = self.begin_write().await?;
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
