//! The audit log: one `audit_log` row per change — who, what, which resource, when and from which address.
//!
//! Rows never hold values, configs or tokens: the target is a resource address, a secret provider or a
//! username, and the detail at most names grantees, an access level, a visibility or a version number.
//! A row is written in the transaction of its change ([`Audit`], passed to the [`Store`] call that writes the
//! change): both commit or neither does, so a change that cannot be audited does not happen. The one exception
//! is a secret change, which lives in Vault: its row ([`record`]) is written right after the Vault write
//! succeeds, and if that row fails the change stands and the failure is logged.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use sqlx::{Any, Row as _, Transaction};

use crate::ratelimit::{Cidr, client_ip};
use crate::store::now;
use crate::{Result, Store, token};

/// The actor of changes made with the `rh-server` command line (never a valid username).
pub const CLI_ACTOR: &str = "@cli";

tokio::task_local! {
    static CLIENT_IP: Option<IpAddr>;
}

/// The peer address of a request, when the server was started with connect info (as `serve` does).
pub(crate) fn peer_ip(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Middleware: makes the request's client address visible to [`Audit::new`] and [`record`] for the rest of the
/// request: the peer, or behind a `trusted` proxy the client it forwards for (the rule the failed-auth limiter
/// uses, [`crate::ratelimit::client_ip`]).
pub(crate) async fn with_client_ip(
    State(trusted): State<Arc<[Cidr]>>,
    req: Request,
    next: Next,
) -> Response {
    let ip = peer_ip(&req).map(|peer| client_ip(peer, req.headers(), &trusted));
    CLIENT_IP.scope(ip, next.run(req)).await
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// RFC 3339 UTC time.
    pub time: String,
    /// The username that made the change, or [`CLI_ACTOR`].
    pub actor: String,
    /// `resource.create`, `resource.update`, `resource.delete`, `resource.share`, `resource.revoke`,
    /// `resource.visibility`, `resource.purge`, `user.config`, `secret.put`, `secret.delete`, `secret.rollback`, `user.create`,
    /// `user.token`, `user.revoke`.
    pub action: String,
    /// The resource address, secret provider or username changed.
    pub target: String,
    /// Grantees and level, visibility, or version; never a value.
    pub detail: Option<String>,
    /// The client's address (none for the command line).
    pub client_ip: Option<String>,
}

/// The audit row of one change, written by the [`Store`] call that makes the change, in its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    actor: String,
    action: String,
    target: String,
    detail: Option<String>,
    ip: Option<IpAddr>,
}

impl Audit {
    /// A change made by `actor` from the current request's address (none outside a request).
    pub fn new(actor: &str, action: &str, target: &str) -> Self {
        Self {
            actor: actor.to_owned(),
            action: action.to_owned(),
            target: target.to_owned(),
            detail: None,
            ip: CLIENT_IP.try_with(|ip| *ip).ok().flatten(),
        }
    }

    /// With a detail (grantees and level, visibility, version; never a value).
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub(crate) fn has_detail(&self) -> bool {
        self.detail.is_some()
    }

    /// Inserts the row inside `tx`; the caller's commit makes it and the change durable together.
    pub(crate) async fn write(&self, tx: &mut Transaction<'static, Any>) -> Result<()> {
        self.write_with(tx, self.detail.as_deref()).await
    }

    /// [`Audit::write`] with another detail (e.g. the grantees a revoke really removed).
    pub(crate) async fn write_with(
        &self,
        tx: &mut Transaction<'static, Any>,
        detail: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, created_at, actor, action, target, detail, client_ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token::random_id()?)
        .bind(now())
        .bind(&self.actor)
        .bind(&self.action)
        .bind(&self.target)
        .bind(detail)
        .bind(self.ip.map(|ip| ip.to_string()))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Records a change that lives outside the database (a secret in Vault) after it succeeded, from the current
/// request's address (if any). Never fails the caller: the change has already happened.
pub async fn record(store: &Store, actor: &str, action: &str, target: &str, detail: Option<&str>) {
    let mut audit = Audit::new(actor, action, target);
    audit.detail = detail.map(str::to_owned);
    let written = async {
        let mut w = store.begin_write().await?;
        audit.write(&mut w.tx).await?;
        w.tx.commit().await?;
        Ok::<_, crate::Error>(())
    };
    if let Err(e) = written.await {
        tracing::error!("cannot write the audit log row for {action} {target} by {actor}: {e}");
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
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                time: r.try_get(0)?,
                actor: r.try_get(1)?,
                action: r.try_get(2)?,
                target: r.try_get(3)?,
                detail: r.try_get(4)?,
                client_ip: r.try_get(5)?,
            })
        })
        .collect()
}
