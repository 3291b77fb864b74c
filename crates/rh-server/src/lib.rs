//! `rh-server`: the self-hostable RNS service: accounts, resources, their history and sharing, over the HTTP API
//! of Runhouse's hosted server (spec §5, §3.2, §2), so that the original client works against it unchanged.
//!
//! The data lives in SQLite (embedded default, one WAL file under the data dir) or PostgreSQL; the process keeps
//! no state of its own, so several processes can serve one PostgreSQL database.
//!
//! Front doors: [`Store`] (the database), [`router`] (the HTTP API and the [`dashboard`] over a store), [`serve`]
//! and [`bind`].

mod api;
pub mod audit;
pub mod connections;
pub mod credentials;
pub mod dashboard;
mod error;
pub mod mailer;
pub mod model;
pub mod names;
pub(crate) mod ops;
pub mod ratelimit;
pub mod store;
pub mod tls;
pub mod token;
pub mod vault;
pub mod vault_access;

/// `rh-server backup FILE`: SQLite's online copy (the store owns its SQL).
pub use store::backup;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

use crate::audit::AuditAction;

pub use api::{AppState, DEFAULT_MAX_BODY_BYTES, Limits, router};
pub use error::{Error, Result};
pub use model::{AccessLevel, Visibility};
pub use store::{Backend, DatabaseTarget, Store, read_cache};

/// The port `serve` tries first when no `--bind` is given.
pub const DEFAULT_PORT: u16 = 8000;
/// How many ports after [`DEFAULT_PORT`] are tried.
const PORT_TRIES: u16 = 100;

/// Binds `addr`, or without one the first free port from 8000 up on 127.0.0.1.
pub async fn bind(addr: Option<SocketAddr>) -> Result<TcpListener> {
    if let Some(addr) = addr {
        return TcpListener::bind(addr).await.map_err(|source| Error::Io {
            context: format!("cannot listen on {addr}"),
            source,
        });
    }
    let mut last = None;
    for port in DEFAULT_PORT..DEFAULT_PORT + PORT_TRIES {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(Error::Io {
        context: format!(
            "no free port on 127.0.0.1 from {DEFAULT_PORT} to {}",
            DEFAULT_PORT + PORT_TRIES - 1
        ),
        source: last.unwrap_or_else(|| std::io::Error::other("no port tried")),
    })
}

/// Creates an account; returns its new token (shown once; only its hash is stored) and the grants that pending
/// invitations for its email turned into. With `expires_in`, the token stops working after that long.
pub async fn create_user(
    store: &Store,
    username: &str,
    email: Option<&str>,
    expires_in: Option<time::Duration>,
) -> Result<(String, Vec<(String, AccessLevel)>)> {
    names::validate_username(username)?;
    if username == api::RESERVED_USERNAME {
        return Err(Error::ReservedUsername {
            name: username.to_owned(),
        });
    }
    let email = email.map(names::normalize_email).transpose()?;
    let token = token::generate()?;
    let hash = token::hash(&token);
    let expires = expires_in.map(credentials::expiry_after);
    let audit = audit::Audit::new(audit::CLI_ACTOR, AuditAction::UserCreate, username);
    let granted = store
        .create_user(
            username,
            email.as_deref(),
            &hash,
            expires.as_deref(),
            &audit,
        )
        .await?;
    Ok((token, granted))
}

/// Gives an account a new token, invalidating the old one (and lifting a revocation) and ending the account's
/// dashboard sessions. `actor` is who asked (for the audit log); with `expires_in`, the new token stops working
/// after that long. Not capped by `serve --max-token-lifetime`: that caps what users choose in the dashboard.
pub async fn rotate_token(
    store: &Store,
    username: &str,
    expires_in: Option<time::Duration>,
    actor: &str,
) -> Result<String> {
    let token = token::generate()?;
    let expires = expires_in.map(credentials::expiry_after);
    let audit = audit::Audit::new(actor, AuditAction::UserToken, username);
    store::credentials::set_token(
        store,
        username,
        &token::hash(&token),
        expires.as_deref(),
        &audit,
    )
    .await?;
    Ok(token)
}

/// Rotates an account's token from its own dashboard session `session_id` (the cookie value), only if
/// `current_token` is the account's token now: the account's other sessions end, this one continues bound to the
/// new token. Returns the new token and the expiries, or `None` with nothing changed when `current_token` is not
/// the current token.
pub(crate) async fn rotate_token_from_session(
    store: &Store,
    username: &str,
    current_token: &str,
    expires_in: Option<time::Duration>,
    session_id: &str,
) -> Result<Option<Rotated>> {
    let token = token::generate()?;
    let expires = expires_in.map(credentials::expiry_after);
    let session_expires = store::credentials::rotate_in_session(
        store,
        username,
        current_token,
        &token::hash(&token),
        expires.as_deref(),
        &token::hash(session_id),
        &audit::Audit::new(username, AuditAction::UserToken, username),
    )
    .await?;
    let Some(session_expires) = session_expires else {
        return Ok(None);
    };
    Ok(Some(Rotated {
        token,
        expires,
        session_expires,
    }))
}

/// A token rotated from a dashboard session.
pub(crate) struct Rotated {
    /// The new token, shown once.
    pub(crate) token: String,
    /// When it expires (`None`: never).
    pub(crate) expires: Option<String>,
    /// When the rotating session now expires (no later than the token).
    pub(crate) session_expires: String,
}

/// Revokes an account's token (it answers 401 from now on) and ends its dashboard sessions.
pub async fn revoke_token(store: &Store, username: &str, actor: &str) -> Result<()> {
    store::credentials::revoke(
        store,
        username,
        &audit::Audit::new(actor, AuditAction::UserRevoke, username),
    )
    .await?;
    Ok(())
}

/// Serves the API on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_state(listener, AppState::new(store), limits, shutdown).await
}

/// [`serve`] over a prepared [`AppState`] (e.g. one [`AppState::with_vault`]), with the connection limits and
/// timeouts of `limits.conn` ([`connections`]).
pub async fn serve_state(
    listener: TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let conn = limits.conn;
    connections::serve(listener, None, router(state, limits), conn, shutdown).await;
    Ok(())
}

/// [`serve_state`] over TLS: every connection on `listener` must speak TLS with `tls`'s certificate, and every
/// response carries `Strict-Transport-Security`.
pub async fn serve_state_tls(
    listener: TcpListener,
    tls: &tls::TlsConfig,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let conn = limits.conn;
    let app = router(state, limits);
    connections::serve(listener, Some(tls.acceptor()), app, conn, shutdown).await;
    Ok(())
}
