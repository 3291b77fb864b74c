//! Accepting and serving HTTP/1.1 connections, plain or TLS, with limits (`rh-server serve` flags):
//!
//! - at most [`ConnLimits::max_connections`] connections at once (TLS handshakes included); while that many
//!   are open, no new one is accepted (it waits in the kernel's queue) until one closes;
//! - a client must send a whole request header within [`ConnLimits::header_timeout`], counted from the
//!   connection (or from the first byte of a later request on it);
//! - between requests a keep-alive connection is closed after [`ConnLimits::idle_timeout`] without traffic;
//! - a request whose response is not ready within [`ConnLimits::request_timeout`] (body upload included) gets
//!   `408 {"detail": "request timed out"}` and its connection is closed.
//!
//! Under TLS every response carries `Strict-Transport-Security`. The peer address reaches handlers as axum's
//! `ConnectInfo<SocketAddr>`. On shutdown, no connection is accepted; open ones finish their request and close.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::api::ApiError;

/// The `Strict-Transport-Security` value under TLS: one year, this host only.
pub const HSTS: &str = "max-age=31536000";

/// Connection limits and timeouts.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time to send a whole request header (`--header-timeout-secs`).
    pub header_timeout: Duration,
    /// Time a keep-alive connection may sit without a request (`--idle-timeout-secs`).
    pub idle_timeout: Duration,
    /// Time from a request's header to its response (`--request-timeout-secs`).
    pub request_timeout: Duration,
    /// Connections open at once (`--max-connections`).
    pub max_connections: u32,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_mins(1),
            request_timeout: Duration::from_mins(1),
            max_connections: 512,
        }
    }
}

/// The startup warning for serving plain HTTP on `addr`: `None` on a loopback address or under TLS.
pub fn plain_http_warning(addr: SocketAddr, tls: bool) -> Option<String> {
    (!tls && !addr.ip().to_canonical().is_loopback()).then(|| {
        format!(
            "serving plain HTTP on {addr}, which is not a loopback address: tokens and secrets cross the network \
             unencrypted; give --tls-cert and --tls-key, or bind 127.0.0.1 behind a TLS-terminating proxy"
        )
    })
}

/// Serves `app` on `listener` (over TLS with `tls`) until `shutdown` resolves and every connection is done.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let max = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max as usize));
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            got = listener.accept() => match got {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, as axum::serve does.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let conn = Connection {
            app: app.clone(),
            peer,
            limits,
            stop: stop_rx.clone(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            conn.run(tcp, tls).await;
            drop(permit);
        });
    }
    drop(listener);
    drop(stop_rx);
    let _ = stop_tx.send(());
    // Every open connection holds a permit until it is done.
    let _ = permits.acquire_many(max).await;
}

struct Connection {
    app: Router,
    peer: SocketAddr,
    limits: ConnLimits,
    stop: watch::Receiver<()>,
}

impl Connection {
    async fn run(mut self, tcp: TcpStream, tls: Option<TlsAcceptor>) {
        let Some(acceptor) = tls else {
            return self.http(tcp, false).await;
        };
        let handshake = tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
        let stream = tokio::select! {
            got = handshake => match got {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => return tracing::debug!("TLS handshake with {} failed: {e}", self.peer),
                Err(_) => return tracing::debug!("TLS handshake with {} timed out", self.peer),
            },
            _ = self.stop.changed() => return,
        };
        self.http(stream, true).await;
    }

    async fn http<T>(mut self, io: T, tls: bool)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let clock = Arc::new(Clock::new());
        let io = TokioIo::new(Watched {
            inner: io,
            clock: Arc::clone(&clock),
        });
        let service = Service {
            app: self.app,
            peer: self.peer,
            hsts: tls,
            request_timeout: self.limits.request_timeout,
            clock: Arc::clone(&clock),
        };
        let mut http = hyper::server::conn::http1::Builder::new();
        // The timeouts are the clock's: hyper's own header timeout would also cut idle keep-alive connections.
        http.keep_alive(true).header_read_timeout(None);
        let mut conn = pin!(http.serve_connection(io, service));
        let mut expired = pin!(clock.expired(self.limits));
        let mut stopping = false;
        loop {
            tokio::select! {
                done = conn.as_mut() => {
                    if let Err(e) = done {
                        tracing::debug!("connection from {} ended: {e}", self.peer);
                    }
                    return;
                }
                () = &mut expired => {
                    tracing::debug!("closed a slow or idle connection from {}", self.peer);
                    return;
                }
                _ = self.stop.changed(), if !stopping => {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// What a connection is doing, for its timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for (the rest of) a request header, since `since`.
    Header,
    /// Between requests, with no traffic since `since`.
    Idle,
}

struct ClockState {
    phase: Phase,
    since: Instant,
    busy: usize,
}

/// One connection's activity: updated by its reads, writes and requests; [`Clock::expired`] watches it.
struct Clock {
    state: Mutex<ClockState>,
    changed: Notify,
}

impl Clock {
    fn new() -> Self {
        Self {
            state: Mutex::new(ClockState {
                phase: Phase::Header,
                since: Instant::now(),
                busy: 0,
            }),
            changed: Notify::new(),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut ClockState) -> R) -> R {
        f(&mut self.state.lock().expect("no panic while holding the clock"))
    }

    /// Bytes arrived: between requests, a new request header has started.
    fn read(&self) {
        let started = self.with(|s| {
            let start = s.busy == 0 && s.phase == Phase::Idle;
            if start {
                s.phase = Phase::Header;
                s.since = Instant::now();
            }
            start
        });
        if started {
            self.changed.notify_one();
        }
    }

    /// Bytes left: a response is still being written, the connection is not idle.
    fn wrote(&self) {
        self.with(|s| {
            if s.busy == 0 && s.phase == Phase::Idle {
                s.since = Instant::now();
            }
        });
    }

    fn request_started(&self) {
        self.with(|s| s.busy += 1);
        self.changed.notify_one();
    }

    fn request_done(&self) {
        self.with(|s| {
            s.busy = s.busy.saturating_sub(1);
            s.phase = Phase::Idle;
            s.since = Instant::now();
        });
        self.changed.notify_one();
    }

    fn deadline(&self, limits: ConnLimits) -> Option<Instant> {
        self.with(|s| {
            (s.busy == 0).then(|| {
                s.since
                    + match s.phase {
                        Phase::Header => limits.header_timeout,
                        Phase::Idle => limits.idle_timeout,
                    }
            })
        })
    }

    /// Resolves when the connection has been slow to send a header, or idle, for too long.
    async fn expired(&self, limits: ConnLimits) {
        loop {
            let mut changed = pin!(self.changed.notified());
            changed.as_mut().enable();
            match self.deadline(limits) {
                Some(at) if at <= Instant::now() => return,
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// A connection's stream, reporting its traffic to the [`Clock`].
struct Watched<T> {
    inner: T,
    clock: Arc<Clock>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let got = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(got, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.read();
        }
        got
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let got = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(got, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.wrote();
        }
        got
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let got = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(got, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.wrote();
        }
        got
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The router for one connection: its peer address, the request timeout, HSTS under TLS.
struct Service {
    app: Router,
    peer: SocketAddr,
    hsts: bool,
    request_timeout: Duration,
    clock: Arc<Clock>,
}

/// Ends a request on the clock even when its future is dropped (the client went away).
struct Busy(Arc<Clock>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.request_done();
    }
}

impl hyper::service::Service<Request<Incoming>> for Service {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        self.clock.request_started();
        let busy = Busy(Arc::clone(&self.clock));
        req.extensions_mut().insert(ConnectInfo(self.peer));
        // The router is always ready (axum's `Router::poll_ready` never waits).
        let handled = tower_service::Service::call(&mut self.app.clone(), req.map(Body::new));
        let (limit, hsts, peer) = (self.request_timeout, self.hsts, self.peer);
        Box::pin(async move {
            let mut res = match tokio::time::timeout(limit, handled).await {
                Ok(Ok(res)) => res,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    tracing::warn!(
                        "a request from {peer} took longer than {} s: answered 408",
                        limit.as_secs()
                    );
                    let mut res = ApiError::new(StatusCode::REQUEST_TIMEOUT, "request timed out")
                        .into_response();
                    res.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    res
                }
            };
            if hsts {
                res.headers_mut().insert(
                    header::STRICT_TRANSPORT_SECURITY,
                    HeaderValue::from_static(HSTS),
                );
            }
            drop(busy);
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_off_loopback_is_warned_about() {
        let warn = |a: &str, tls| plain_http_warning(a.parse().expect("addr"), tls);
        let w = warn("0.0.0.0:8000", false).expect("a warning");
        assert!(w.contains("serving plain HTTP on 0.0.0.0:8000"), "{w}");
        assert!(w.contains("--tls-cert"), "{w}");
        assert!(warn("192.0.2.10:80", false).is_some());
        assert!(warn("[::]:8000", false).is_some());
        assert!(warn("[::ffff:10.0.0.1]:8000", false).is_some());
        for quiet in [
            "127.0.0.1:8000",
            "127.0.0.2:80",
            "[::1]:8000",
            "[::ffff:127.0.0.1]:1",
        ] {
            assert_eq!(warn(quiet, false), None, "{quiet}");
        }
        assert_eq!(warn("0.0.0.0:8443", true), None);
    }
}
