//! The management dashboard: server-rendered HTML (maud, escaped by construction) at `/`, with its CSS and a
//! little JavaScript embedded in the binary.
//!
//! Sign-in: a token (the API's) is exchanged for a session cookie (`rh_session`: HttpOnly, SameSite=Strict,
//! Secure behind TLS); the database keeps only the SHA-256 of the session id. A session is bound to the token it
//! was opened with (its hash) and checked against it on every request: rotating or revoking the token, or the
//! token's expiry, ends it; rotating here needs the current token and keeps only this session, rebound to the new
//! token. Every form carries a CSRF token derived from the session id and every POST is checked against it (403
//! otherwise). Changes and authorization are the API's own ([`crate::ops`]): a resource the caller may not
//! read is a 404, like a missing one.

mod account;
mod auth;
mod diff;
mod layout;
mod mask;
mod resources;
mod secrets;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub use secrets::{NamedSecretVault, NamedView, ProviderVersions, SecretVersion, SecretVersions};

use crate::store::sessions as db;
use crate::store::{Store, User};
use crate::token;

/// The session cookie.
const SESSION_COOKIE: &str = "rh_session";
/// The sign-in form's CSRF cookie (double submit; there is no session yet).
const LOGIN_COOKIE: &str = "rh_login";

/// What the dashboard's handlers reach.
#[derive(Clone)]
pub(crate) struct Dash {
    store: Store,
    secrets: Option<Arc<dyn SecretVersions>>,
    /// The Vault side of named secrets' pages, when Vault is configured.
    named: Option<Arc<dyn NamedSecretVault>>,
    /// The longest lifetime of a token rotated here (`None`: no cap).
    max_token_lifetime: Option<time::Duration>,
}

/// The dashboard routes over `store`; `secrets` feeds the Secrets page when Vault is configured;
/// `max_token_lifetime` caps the lifetime of tokens rotated on the Account page (`None`: no cap).
pub fn router(
    store: Store,
    secrets: Option<Arc<dyn SecretVersions>>,
    named: Option<Arc<dyn NamedSecretVault>>,
    max_token_lifetime: Option<time::Duration>,
) -> Router {
    Router::new()
        .route("/", get(resources::list))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/resources/{uri}", get(resources::show))
        .route("/resources/{uri}/diff", get(resources::diff))
        .route(
            "/resources/{uri}/delete",
            get(resources::confirm_delete).post(resources::delete),
        )
        .route("/resources/{uri}/restore", post(resources::restore))
        .route("/resources/{uri}/share", post(resources::share))
        .route("/resources/{uri}/revoke", post(resources::revoke))
        .route("/resources/{uri}/visibility", post(resources::visibility))
        .route("/resources/{uri}/reveal", post(resources::reveal))
        .route(
            "/resources/{uri}/secret-rollback",
            post(resources::secret_rollback),
        )
        .route(
            "/resources/{uri}/purge-history",
            post(resources::purge_history),
        )
        .route("/secrets", get(account::secrets))
        .route("/account", get(account::account))
        .route("/account/token", post(account::rotate))
        .route("/assets/dashboard.css", get(layout::css))
        .route("/assets/dashboard.js", get(layout::js))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(Dash {
            store,
            secrets,
            named,
            max_token_lifetime,
        })
}

/// Headers every dashboard answer carries: no framing, no sniffing, scripts and styles only from here.
async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::CACHE_CONTROL, "no-store");
    res
}

/// Whether the request reached us over TLS (directly or through a proxy that says so).
fn is_tls(parts: &Parts) -> bool {
    parts.uri.scheme_str() == Some("https")
        || parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value with the dashboard's attributes.
fn cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> HeaderValue {
    let mut c =
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are hex")
}

/// The value of cookie `name` in the request.
fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The CSRF token of a session: derived from its id, so it is stored nowhere.
fn csrf_for(session_id: &str) -> String {
    token::hash(&format!("rh-dashboard-csrf\0{session_id}"))
}

/// A signed-in caller.
pub(crate) struct Session {
    user: User,
    id: String,
    csrf: String,
    secure: bool,
}

/// The session id and its CSRF token are credentials: never shown.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user.username)
            .field("id", &"<redacted>")
            .field("csrf", &"<redacted>")
            .field("secure", &self.secure)
            .finish()
    }
}

impl FromRequestParts<Dash> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &Dash) -> Result<Self, Response> {
        let to_login = || Redirect::to("/login").into_response();
        let Some(id) = read_cookie(&parts.headers, SESSION_COOKIE)
            .filter(|id| id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            return Err(to_login());
        };
        match db::session_user(&state.store, &id).await {
            Ok(Some(user)) => Ok(Self {
                user,
                csrf: csrf_for(&id),
                id,
                secure: is_tls(parts),
            }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(internal(&e)),
        }
    }
}

/// A POSTed form from a signed-in caller whose `csrf` field matches the session; 403 otherwise.
pub(crate) struct CsrfForm {
    session: Session,
    fields: HashMap<String, String>,
}

impl CsrfForm {
    fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or("", |s| s.trim())
    }
}

impl FromRequest<Dash> for CsrfForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Dash) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let req = Request::from_parts(parts, body);
        let Form(fields) = Form::<HashMap<String, String>>::from_request(req, state)
            .await
            .map_err(|_| forbidden(&session.user))?;
        let given = fields.get("csrf").map_or("", String::as_str);
        if !token::constant_time_eq(given.as_bytes(), session.csrf.as_bytes()) {
            return Err(forbidden(&session.user));
        }
        Ok(Self { session, fields })
    }
}

fn forbidden(user: &User) -> Response {
    layout::message(
        StatusCode::FORBIDDEN,
        Some(user),
        "Request refused",
        "The form was missing its security token or it had expired. Go back, reload the page and try again.",
    )
}

/// A 500 page; the cause goes to the log only.
fn internal(e: &dyn std::error::Error) -> Response {
    tracing::error!("dashboard request failed: {}", crate::error::chain(e));
    layout::message(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        "Something went wrong",
        "The server could not complete the request. The details are in the server log.",
    )
}

/// Percent-encodes a path segment (a resource uri).
fn enc(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse_and_encode() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; rh_session=abc"),
        );
        assert_eq!(read_cookie(&h, "rh_session").as_deref(), Some("abc"));
        assert_eq!(read_cookie(&h, "rh_login"), None);
        assert_eq!(enc("alice:my model/<x>"), "alice:my%20model%2F%3Cx%3E");
        let c = cookie("n", "v", "/", 60, true);
        assert_eq!(
            c.to_str().expect("ascii"),
            "n=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        assert_ne!(csrf_for("a"), csrf_for("b"));
        assert_ne!(csrf_for("a"), token::hash("a"));
    }

    #[test]
    fn a_session_debugs_without_its_credentials() {
        let id = "ab".repeat(32);
        let s = Session {
            user: User {
                username: "alice".to_owned(),
                email: None,
                config: serde_json::Value::Null,
            },
            csrf: csrf_for(&id),
            id: id.clone(),
            secure: false,
        };
        let shown = format!("{s:?}");
        assert!(
            shown.contains("alice") && shown.contains("<redacted>"),
            "{shown}"
        );
        assert!(!shown.contains(&id) && !shown.contains(&s.csrf), "{shown}");
    }
}
