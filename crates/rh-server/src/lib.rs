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
pub mod credentials;
pub mod dashboard;
mod error;
mod hot_read;
pub mod mailer;
pub mod names;
pub mod ratelimit;
pub mod read_cache;
pub mod store;
pub mod tls;
pub mod token;
pub mod vault;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

pub use api::{AppState, DEFAULT_MAX_BODY_BYTES, Limits, router};
pub use error::{Error, Result};
pub use store::{Backend, DatabaseTarget, Store};

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
) -> Result<(String, Vec<(String, String)>)> {
    names::validate_username(username)?;
    let email = email.map(names::normalize_email).transpose()?;
    let token = token::generate()?;
    let hash = token::hash(&token);
    let expires = expires_in.map(credentials::expiry_after);
    let audit = audit::Audit::new(audit::CLI_ACTOR, "user.create", username);
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

/// Gives an account a new token, invalidating the old one (and lifting a revocation). `actor` is who asked
/// (for the audit log); with `expires_in`, the new token stops working after that long.
pub async fn rotate_token(
    store: &Store,
    username: &str,
    expires_in: Option<time::Duration>,
    actor: &str,
) -> Result<String> {
    let token = token::generate()?;
    let expires = expires_in.map(credentials::expiry_after);
    let audit = audit::Audit::new(actor, "user.token", username);
    credentials::set_token(
        store,
        username,
        &token::hash(&token),
        expires.as_deref(),
        &audit,
    )
    .await?;
    Ok(token)
}

/// Revokes an account's token (it answers 401 from now on) and ends its dashboard sessions.
pub async fn revoke_token(store: &Store, username: &str, actor: &str) -> Result<()> {
    credentials::revoke(
        store,
        username,
        &audit::Audit::new(actor, "user.revoke", username),
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

/// [`serve`] over a prepared [`AppState`] (e.g. one [`AppState::with_vault`]).
pub async fn serve_state(
    listener: TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let app = router(state, limits).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(server_failed)
}

/// [`serve_state`] over TLS: every connection on `listener` must speak TLS with `tls`'s certificate.
pub async fn serve_state_tls(
    listener: TcpListener,
    tls: &tls::TlsConfig,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    use axum::serve::ListenerExt as _;
    // `tap_io` lends the listener axum's `SocketAddr` connect info.
    let listener = tls::TlsListener::new(listener, tls)?.tap_io(|_| {});
    let app = router(state, limits).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(server_failed)
}

fn server_failed(source: std::io::Error) -> Error {
    Error::Io {
        context: "server failed".to_owned(),
        source,
    }
}
