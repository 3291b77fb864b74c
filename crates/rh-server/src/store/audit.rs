//! The audit log's rows: written inside the change's transaction ([`Audit::write`]), or right after a change
//! that lives outside the database ([`record`]); read by `rh-server audit` ([`recent`]).

use sqlx::{AnyConnection, Row as _};

use super::{Store, now};
use crate::audit::{Audit, AuditAction, AuditEntry};
use crate::{Result, token};

impl Audit {
    /// Inserts the row on `conn`: inside the caller's transaction (whose commit makes it and the change
    /// durable together), or alone.
    pub(crate) async fn write(&self, conn: &mut AnyConnection) -> Result<()> {
        self.write_with(conn, self.detail.as_deref()).await
    }

    /// [`Audit::write`] with another detail (e.g. the grantees a revoke really removed).
    pub(crate) async fn write_with(
        &self,
        conn: &mut AnyConnection,
        detail: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, created_at, actor, action, target, detail, client_ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token::random_id()?)
        .bind(now())
        .bind(&self.actor)
        .bind(self.action.as_str())
        .bind(&self.target)
        .bind(detail)
        .bind(self.ip.map(|ip| ip.to_string()))
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// Records a change that lives outside the database (a secret in Vault) after it succeeded, from the current
/// request's address (if any). Never fails the caller: the change has already happened.
pub async fn record(
    store: &Store,
    actor: &str,
    action: AuditAction,
    target: &str,
    detail: Option<&str>,
) {
    let mut audit = Audit::new(actor, action, target);
    audit.detail = detail.map(str::to_owned);
    let written = async {
        if let Some(w) = store.sqlite_writer() {
            let audit = audit.clone();
            return w
                .write(move |c| super::sqlite_write::record(c, &audit))
                .await;
        }
        // PostgreSQL: one statement, no transaction of its own.
        audit.write(&mut *store.pool().acquire().await?).await?;
        Ok::<_, crate::Error>(())
    };
    if let Err(e) = written.await {
        tracing::error!(
            "cannot write the audit log row for {action} {target} by {actor}: {}",
            crate::error::chain(&e)
        );
    }
}

/// The newest `limit` rows, newest first, optionally only those by `actor`.
pub async fn recent(store: &Store, actor: Option<&str>, limit: i64) -> Result<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT created_at, actor, action, target, detail, client_ip FROM audit_log \
         WHERE ($1 = '' OR actor = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(actor.unwrap_or(""))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(entry).collect()
}

/// A row of `SELECT created_at, actor, action, target, detail, client_ip FROM audit_log`.
pub(super) fn entry(r: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    let action: String = r.try_get(2)?;
    Ok(AuditEntry {
        time: r.try_get(0)?,
        actor: r.try_get(1)?,
        action: action.parse()?,
        target: r.try_get(3)?,
        detail: r.try_get(4)?,
        client_ip: r.try_get(5)?,
    })
}
