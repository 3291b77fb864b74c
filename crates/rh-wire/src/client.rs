//! The HTTP [`Client`] of one rh-server (feature `client`).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

/// What can go wrong before an answer arrives.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL is not an `http(s)://` URL, or no client can be built for it (a bad `SSL_CERT_FILE`).
    #[error("cannot use rh-server at {url}: {reason}")]
    BadUrl {
        /// The server URL as given, trimmed and without a trailing `/`.
        url: String,
        /// Why it cannot be used, in one line.
        reason: String,
    },
    /// No answer: refused, reset, timed out, or TLS failed.
    #[error("cannot reach rh-server at {url}: {reason}")]
    Unreachable {
        /// The server's base URL.
        url: String,
        /// The innermost cause ([`root_cause`]), or how long the client waited when it timed out.
        reason: String,
    },
}

impl Error {
    /// The server URL the error is about.
    pub fn url(&self) -> &str {
        match self {
            Self::BadUrl { url, .. } | Self::Unreachable { url, .. } => url,
        }
    }

    /// What went wrong, without the URL.
    pub fn reason(&self) -> &str {
        match self {
            Self::BadUrl { reason, .. } | Self::Unreachable { reason, .. } => reason,
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Timeouts and retries of a [`Client`].
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Connecting to the server.
    pub connect_timeout: Duration,
    /// A whole request, answer included.
    pub timeout: Duration,
    /// Extra attempts for idempotent requests (GET, PUT, DELETE).
    pub retries: u32,
    /// Wait before the first retry; doubled for each next one.
    pub backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
            retries: 2,
            backoff: Duration::from_millis(100),
        }
    }
}

/// An answer: the status and the body's bytes.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status of the last attempt (a 502/503/504 when the retries ran out on one).
    pub status: StatusCode,
    /// The whole body as received, not parsed (a proxy in front of rh-server may answer non-JSON).
    pub body: Vec<u8>,
}

/// The HTTP client of one rh-server and one account token.
pub struct Client {
    base_url: String,
    token: SecretString,
    options: Options,
    http: reqwest::Client,
    attempts: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Clone for Client {
    fn clone(&self) -> Self {
        Self {
            base_url: self.base_url.clone(),
            token: self.token.clone(),
            options: self.options,
            http: self.http.clone(),
            attempts: AtomicU64::new(0),
        }
    }
}

impl Client {
    /// A client of the server at `base_url` (`https://rh.example.com`, a trailing `/` is dropped).
    pub fn new(base_url: &str, token: SecretString, options: Options) -> Result<Self> {
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        let bad = |reason: String| Error::BadUrl {
            url: base_url.clone(),
            reason,
        };
        let parsed = reqwest::Url::parse(&base_url)
            .map_err(|_| bad("the server url must start with http:// or https://".to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
            return Err(bad(
                "the server url must start with http:// or https://".to_owned()
            ));
        }
        if let Some(warning) = rh_config::plain_http_warning(&base_url) {
            tracing::warn!("{warning}");
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .user_agent(concat!("rh/", env!("CARGO_PKG_VERSION")));
        for cert in extra_roots().map_err(bad)? {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| bad(format!("cannot build an http client ({})", root_cause(&e))))?;
        Ok(Self {
            base_url,
            token,
            options,
            http,
            attempts: AtomicU64::new(0),
        })
    }

    /// The server's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url` followed by `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// How many HTTP requests this client has sent, retries included.
    pub fn request_count(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// Sends `method path` (path and query, already encoded) with an optional JSON body; retries GET, PUT
    /// and DELETE on a failed connection, a connection closed before the whole answer arrived, or
    /// 502/503/504 (the last answer is returned as it is).
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Answer> {
        let url = self.url(path);
        let attempts = if method == Method::POST {
            1
        } else {
            1 + self.options.retries
        };
        let body = body.map(Value::to_string);
        let mut wait = self.options.backoff;
        for attempt in 1..=attempts {
            let last = attempt == attempts;
            self.attempts.fetch_add(1, Ordering::Relaxed);
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(self.token.expose_secret());
            if let Some(b) = &body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(b.clone());
            }
            let res = match req.send().await {
                Ok(res) => res,
                Err(e) if !last && retryable(&e) => {
                    tracing::debug!("{method} {path}: {}; retrying", root_cause(&e));
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    continue;
                }
                Err(e) => return Err(self.unreachable(&e)),
            };
            let status = res.status();
            if !last
                && matches!(
                    status,
                    StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                )
            {
                tracing::debug!("{method} {path}: {status}; retrying");
                tokio::time::sleep(wait).await;
                wait *= 2;
                continue;
            }
            let bytes = match res.bytes().await {
                Ok(bytes) => bytes,
                // The connection closed (or timed out) before the body was complete, as when a load
                // balancer closes a keep-alive connection: the same class as a failed send. reqwest calls
                // any failed body read a decode error, and with no content decoding turned on that is the
                // transport's failure.
                Err(e) if !last && (retryable(&e) || e.is_decode()) => {
                    tracing::debug!("{method} {path}: {}; retrying", root_cause(&e));
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    continue;
                }
                Err(e) => return Err(self.unreachable(&e)),
            };
            tracing::debug!("{method} {path} -> {}", status.as_u16());
            return Ok(Answer {
                status,
                body: bytes.to_vec(),
            });
        }
        unreachable!("the last attempt always returns")
    }

    fn unreachable(&self, e: &reqwest::Error) -> Error {
        let reason = if e.is_timeout() {
            format!("no answer within {} s", self.options.timeout.as_secs_f64())
        } else {
            root_cause(e)
        };
        Error::Unreachable {
            url: self.base_url.clone(),
            reason,
        }
    }
}

/// A failure that leaves no answer: the connection failed, timed out, or closed before the answer's head
/// was complete (hyper's `IncompleteMessage`). Only idempotent requests are resent.
fn retryable(e: &reqwest::Error) -> bool {
    e.is_connect() || e.is_timeout() || e.is_request() || e.is_body()
}

/// A URL path of `segments`, each percent-encoded as one segment: `["user", "a/b"]` → `/user/a%2Fb`.
pub fn path(segments: &[&str]) -> String {
    let mut u = reqwest::Url::parse("http://h/").expect("a constant, valid URL");
    u.path_segments_mut()
        .expect("an http URL can be a base")
        .pop_if_empty()
        .extend(segments);
    u.path().to_owned()
}

/// Extra trusted roots from `SSL_CERT_FILE` (a PEM bundle); the built-in roots stay trusted.
fn extra_roots() -> std::result::Result<Vec<reqwest::Certificate>, String> {
    use rh_config::Env as _;
    let Some(path) = rh_config::OsEnv.non_empty(rh_config::EnvVars::SSL_CERT_FILE) else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(&path).map_err(|e| format!("cannot read SSL_CERT_FILE {path}: {e}"))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("invalid SSL_CERT_FILE {path}: {}", root_cause(&e)))?;
    if certs.is_empty() {
        return Err(format!("SSL_CERT_FILE {path} holds no PEM certificate"));
    }
    Ok(certs)
}

/// The innermost cause of an error (`Connection refused (os error 111)`), on one line.
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string().replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token_and_bad_urls_are_refused() {
        let c = Client::new(
            "http://127.0.0.1:1/",
            SecretString::from("s3cret-token"),
            Options::default(),
        )
        .expect("client");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("s3cret"), "{dbg}");
        assert_eq!(c.base_url(), "http://127.0.0.1:1");
        for bad in ["not a url", "ftp://h/", "mailto:x@y"] {
            let err = Client::new(bad, SecretString::from("t"), Options::default()).unwrap_err();
            assert!(matches!(err, Error::BadUrl { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn paths_encode_each_segment() {
        assert_eq!(
            path(&["user", "secret", "a/b", "history"]),
            "/user/secret/a%2Fb/history"
        );
        assert_eq!(path(&["resource", "my proj"]), "/resource/my%20proj");
    }

    /// A loopback server that answers 503 `fails` times, then 200; counts what it received.
    async fn flaky(fails: usize) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let n = count.fetch_add(1, Ordering::SeqCst);
                let reply: &[u8] = if n < fails {
                    b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                } else {
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                };
                let _ = sock.write_all(reply).await;
            }
        });
        (url, seen)
    }

    #[tokio::test]
    async fn idempotent_requests_are_retried_and_post_is_not() {
        let options = Options {
            backoff: Duration::from_millis(1),
            ..Options::default()
        };
        let (url, seen) = flaky(2).await;
        let c = Client::new(&url, SecretString::from("t"), options).expect("client");
        let a = c.send(Method::GET, "/x", None).await.expect("answer");
        assert_eq!(
            (a.status, a.body.as_slice()),
            (StatusCode::OK, b"ok".as_slice())
        );
        assert_eq!(seen.load(Ordering::SeqCst), 3);
        assert_eq!(c.request_count(), 3);

        let (url, seen) = flaky(1).await;
        let c = Client::new(&url, SecretString::from("t"), options).expect("client");
        let a = c
            .send(Method::POST, "/x", Some(&Value::Null))
            .await
            .expect("answer");
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }

    /// A loopback server whose first `drops` connections read a request and close after sending `partial`
    /// (nothing, or a head promising more body than it sends), as a load balancer closing a keep-alive
    /// connection does; later ones answer 200. Counts connections.
    async fn closes_first(
        drops: usize,
        partial: &'static [u8],
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = std::sync::Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                if count.fetch_add(1, Ordering::SeqCst) < drops {
                    let _ = sock.write_all(partial).await;
                    drop(sock);
                    continue;
                }
                let _ = sock
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
            }
        });
        (url, seen)
    }

    #[tokio::test]
    async fn a_connection_closed_before_the_answer_is_retried_for_idempotent_requests() {
        let options = Options {
            backoff: Duration::from_millis(1),
            ..Options::default()
        };
        let cut_head: &[u8] = b"";
        let cut_body: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\nok";
        for (method, partial) in [
            (Method::GET, cut_head),
            (Method::GET, cut_body),
            (Method::PUT, cut_head),
            (Method::PUT, cut_body),
            (Method::DELETE, cut_body),
        ] {
            let partial_text = String::from_utf8_lossy(partial);
            let (url, seen) = closes_first(1, partial).await;
            let c = Client::new(&url, SecretString::from("t"), options).expect("client");
            let a = c
                .send(method.clone(), "/x", None)
                .await
                .unwrap_or_else(|e| panic!("{method} after {partial_text:?}: {e}"));
            assert_eq!(
                (a.status, a.body.as_slice()),
                (StatusCode::OK, b"ok".as_slice()),
                "{method}"
            );
            assert_eq!(seen.load(Ordering::SeqCst), 2, "{method} {partial_text:?}");
        }
        // POST may have been acted on: never resent, the closed connection is the error.
        for partial in [cut_head, cut_body] {
            let (url, seen) = closes_first(1, partial).await;
            let c = Client::new(&url, SecretString::from("t"), options).expect("client");
            let err = c
                .send(Method::POST, "/x", Some(&Value::Null))
                .await
                .unwrap_err();
            assert!(matches!(err, Error::Unreachable { .. }), "{err}");
            assert_eq!(seen.load(Ordering::SeqCst), 1);
        }
    }

    #[tokio::test]
    async fn an_unreachable_server_is_one_clean_error() {
        let options = Options {
            backoff: Duration::from_millis(1),
            ..Options::default()
        };
        let c =
            Client::new("http://127.0.0.1:1", SecretString::from("t"), options).expect("client");
        let err = c.send(Method::GET, "/user", None).await.unwrap_err();
        assert!(matches!(err, Error::Unreachable { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("cannot reach rh-server at http://127.0.0.1:1: "),
            "{err}"
        );
    }
}
