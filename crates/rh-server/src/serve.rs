//! Listening and serving: the port `rh-server serve` binds, and the API served on it over plain HTTP or TLS.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;

use crate::api::{AppState, Limits, router};
use crate::{Error, Result, Store, connections, tls};

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
