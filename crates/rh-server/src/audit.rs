//! The audit log: one `audit_log` row per change — who, what, which resource, when and from which address.
//!
//! A change is also, for named secrets, a read of their values by a grantee (`secret.read`): the owner sees who
//! used the secret.
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

use crate::ratelimit::{Cidr, client_ip};

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

/// What a change did: the `action` column of the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AuditAction {
    /// `resource.create`
    #[serde(rename = "resource.create")]
    ResourceCreate,
    /// `resource.update` (also a restore, with the version in the detail)
    #[serde(rename = "resource.update")]
    ResourceUpdate,
    /// `resource.delete`
    #[serde(rename = "resource.delete")]
    ResourceDelete,
    /// `resource.share`
    #[serde(rename = "resource.share")]
    ResourceShare,
    /// `resource.revoke`
    #[serde(rename = "resource.revoke")]
    ResourceRevoke,
    /// `resource.visibility`
    #[serde(rename = "resource.visibility")]
    ResourceVisibility,
    /// `resource.purge`
    #[serde(rename = "resource.purge")]
    ResourcePurge,
    /// `user.create`
    #[serde(rename = "user.create")]
    UserCreate,
    /// `user.config`
    #[serde(rename = "user.config")]
    UserConfig,
    /// `user.token`
    #[serde(rename = "user.token")]
    UserToken,
    /// `user.revoke`
    #[serde(rename = "user.revoke")]
    UserRevoke,
    /// `secret.put`
    #[serde(rename = "secret.put")]
    SecretPut,
    /// `secret.delete`
    #[serde(rename = "secret.delete")]
    SecretDelete,
    /// `secret.rollback`
    #[serde(rename = "secret.rollback")]
    SecretRollback,
    /// `secret.read`: a named secret's values read by someone other than its owner (never the values).
    #[serde(rename = "secret.read")]
    SecretRead,
}

impl AuditAction {
    /// Every action, in the order of the enum.
    pub const ALL: [Self; 15] = [
        Self::ResourceCreate,
        Self::ResourceUpdate,
        Self::ResourceDelete,
        Self::ResourceShare,
        Self::ResourceRevoke,
        Self::ResourceVisibility,
        Self::ResourcePurge,
        Self::UserCreate,
        Self::UserConfig,
        Self::UserToken,
        Self::UserRevoke,
        Self::SecretPut,
        Self::SecretDelete,
        Self::SecretRollback,
        Self::SecretRead,
    ];

    /// The stored form (`resource.share`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResourceCreate => "resource.create",
            Self::ResourceUpdate => "resource.update",
            Self::ResourceDelete => "resource.delete",
            Self::ResourceShare => "resource.share",
            Self::ResourceRevoke => "resource.revoke",
            Self::ResourceVisibility => "resource.visibility",
            Self::ResourcePurge => "resource.purge",
            Self::UserCreate => "user.create",
            Self::UserConfig => "user.config",
            Self::UserToken => "user.token",
            Self::UserRevoke => "user.revoke",
            Self::SecretPut => "secret.put",
            Self::SecretDelete => "secret.delete",
            Self::SecretRollback => "secret.rollback",
            Self::SecretRead => "secret.read",
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AuditAction {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| crate::Error::UnknownValue {
                what: "audit action",
                value: s.to_owned(),
                expected: Self::ALL.map(Self::as_str).join(", "),
            })
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// RFC 3339 UTC time.
    pub time: String,
    /// The username that made the change, or [`CLI_ACTOR`].
    pub actor: String,
    /// What the change did.
    pub action: AuditAction,
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
    pub(crate) actor: String,
    pub(crate) action: AuditAction,
    pub(crate) target: String,
    pub(crate) detail: Option<String>,
    pub(crate) ip: Option<IpAddr>,
}

impl Audit {
    /// A change made by `actor` from the current request's address (none outside a request).
    pub fn new(actor: &str, action: AuditAction, target: &str) -> Self {
        Self {
            actor: actor.to_owned(),
            action,
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
}

pub use crate::store::audit::{recent, record};

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn actions_round_trip_and_unknown_ones_are_refused() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>().expect("known"), a);
            let json = serde_json::to_string(&a).expect("serializes");
            assert_eq!(json, format!("\"{a}\""));
            assert_eq!(
                serde_json::from_str::<AuditAction>(&json).expect("parses"),
                a
            );
        }
        for bad in [
            "",
            "resource",
            "Resource.Create",
            "resource.create ",
            "user.delete",
        ] {
            let e = bad.parse::<AuditAction>().expect_err(bad).to_string();
            assert!(e.contains("unknown audit action"), "{e}");
        }
    }
}
