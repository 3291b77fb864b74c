//! How rh talks to rh-server: the resource-name grammar both sides apply, and (feature `client`) one HTTP
//! [`Client`] under both of rh's rh-server clients, the resource client (`rh_rns::remote`) and the secrets
//! client (`rh_secrets::server`), so that both trust the same roots, wait the same time and retry the same
//! requests.
//!
//! - [`name`]: which segments a resource name may hold, how long it may be, and the remote [`name::Address`]
//!   `/alice/a/b` ↔ uri `alice:a:b`. rh-rns's `ResourceName` and rh-server's `names` check by it.
//! - [`Client`]: a base URL (`http://` or `https://`, a plain-http warning for non-loopback hosts), the
//!   account token as `Authorization: Bearer`, extra trusted roots from `SSL_CERT_FILE` (as curl and the
//!   AWS CLI read it), connect and request timeouts, and retries with backoff for idempotent requests
//!   (GET, PUT, DELETE) when the connection fails, closes before the answer is complete, or the server
//!   answers 502/503/504. POST is never retried.
//! - [`path`]: a URL path from segments, each percent-encoded (`a/b` stays one segment).
//! - [`Error`]: an unusable URL or an unreachable server; HTTP statuses are answers, not errors, and the
//!   callers decide what each means.
//! - [`types`]: the JSON bodies of every route, shared with rh-server (with `utoipa` schemas behind the
//!   `openapi` feature, which only rh-server enables).
//!
//! The client never logs or shows the token: `Debug` names the URL only.

pub mod name;
pub mod types;

#[cfg(feature = "client")]
mod client;

#[cfg(feature = "client")]
pub use client::{Answer, Client, Error, Method, Options, Result, StatusCode, path, root_cause};
