//! The HTTP API: routes, the shared state, error bodies and the extractors every handler uses.
//!
//! Wire rules (spec §5): responses are `{"data": …}`, errors `{"detail": "…"}`; request bodies are JSON
//! whatever their Content-Type says (the original client sends none). Bad input is a 400, never a 422:
//! a 422 from `PUT /resource/{uri}` means "unchanged" to clients.

mod named_secret;
pub(crate) mod openapi;
pub(crate) mod resource;
mod secret;
mod user;

use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use rh_wire::types::{Data, ErrorBody, Health};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Store, User};
use crate::token;

/// Default request body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The Vault folder rh uses without a username (`rh/local`): no account may have this name
/// (`user create` refuses it) or reach that folder through the server.
pub(crate) const RESERVED_USERNAME: &str = "local";

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    store: Store,
    vault: Option<std::sync::Arc<crate::vault::VaultProxy>>,
    /// The longest token lifetime a user may choose when rotating from the dashboard (`None`: no cap).
    max_token_lifetime: Option<time::Duration>,
}

impl AppState {
    /// State over an opened, migrated store.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            vault: None,
            max_token_lifetime: Some(crate::credentials::DEFAULT_MAX_TOKEN_LIFETIME),
        }
    }

    /// Caps the lifetime of tokens rotated from the dashboard (`None`: "never expires" is allowed too).
    #[must_use]
    pub fn with_max_token_lifetime(mut self, cap: Option<time::Duration>) -> Self {
        self.max_token_lifetime = cap;
        self
    }

    /// Serves `/user/secret…` from this Vault (without one those routes answer 503).
    #[must_use]
    pub fn with_vault(mut self, vault: crate::vault::VaultProxy) -> Self {
        self.vault = Some(std::sync::Arc::new(vault));
        self
    }

    /// Revokes `username`'s Vault child token after their rh token rotated or was revoked.
    pub(crate) async fn forget_vault_token(&self, username: &str) {
        if let Some(v) = &self.vault {
            v.children().forget(username).await;
        }
    }
}

/// Server knobs that are not about the database.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Failed authentications allowed per client ([`crate::ratelimit`]).
    pub auth: crate::ratelimit::AuthLimit,
    /// Connection cap and timeouts ([`crate::connections`]).
    pub conn: crate::connections::ConnLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            auth: crate::ratelimit::AuthLimit::default(),
            conn: crate::connections::ConnLimits::default(),
        }
    }
}

/// The whole API.
///
/// Room is left for later issues: the Vault proxy nests under `/user/secret…` next to the user routes. The
/// dashboard ([`crate::dashboard`]) serves HTML at `/`, `/login`, `/resources/…`, `/secrets`, `/account`, `/assets/…`.
pub fn router(state: AppState, limits: Limits) -> Router {
    // `/user/` and `/user//config` are the original client's spellings (spec §3.2); both forms are served.
    let user = Router::new()
        .route("/user", get(user::get_user))
        .route("/user/", get(user::get_user))
        .route("/user/config", put(user::put_config))
        .route("/user//config", put(user::put_config))
        .route("/user/token", axum::routing::delete(user::revoke_token));
    let resource = Router::new()
        .route("/resource", post(resource::create).get(resource::list))
        .route("/resource/", post(resource::create))
        .route(
            "/resource/history/{uri}",
            get(resource::history).delete(resource::purge_history),
        )
        .route(
            "/resource/{uri}",
            get(resource::read)
                .put(resource::update)
                .delete(resource::delete),
        )
        .route("/resource/{uri}/users/access", put(resource::share));
    let secret = Router::new()
        .route("/user/secret", get(secret::get_all).put(secret::put_all))
        .route(
            "/user/secret/{provider}",
            get(secret::get_one)
                .put(secret::put_one)
                .delete(secret::delete_one),
        )
        .route("/user/secret/{provider}/history", get(secret::history))
        .route("/user/secret/{provider}/metadata", get(secret::metadata))
        .route("/user/secret/{provider}/rollback", post(secret::rollback))
        .layer(middleware::map_response(no_store));
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi::serve))
        .merge(user)
        .merge(resource)
        .merge(secret)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone())
        .merge(crate::dashboard::router(
            state.store,
            state
                .vault
                .clone()
                .map(|v| v as std::sync::Arc<dyn crate::dashboard::SecretVersions>),
            state
                .vault
                .clone()
                .map(|v| v as std::sync::Arc<dyn crate::dashboard::NamedSecretVault>),
            state.max_token_lifetime,
        ))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            limits.auth.trusted_proxies.clone().into(),
            crate::audit::with_client_ip,
        ))
        .layer(middleware::from_fn_with_state(
            crate::ratelimit::AuthLimiter::new(limits.auth),
            crate::ratelimit::limit_failed_auth,
        ))
        .layer(middleware::from_fn(log_request))
}

/// Secret answers (errors too) are never kept by a browser or a proxy cache.
async fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `GET /health`: the server answers (no token, no database).
#[utoipa::path(get, path = "/health", tag = "server",
    responses((status = 200, description = "the server is up", body = Data<Health>)))]
async fn health() -> Response {
    ok_data(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    tracing::debug!(
        "{method} {path} {} {:.1} ms",
        res.status().as_u16(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    res
}

/// `200 {"data": value}`.
pub(crate) fn ok(value: Value) -> Response {
    let mut body = serde_json::Map::new();
    body.insert("data".to_owned(), value);
    json_response(StatusCode::OK, &Value::Object(body))
}

/// `200 {"data": value}` of a wire type.
pub(crate) fn ok_data<T: Serialize>(value: T) -> Response {
    json_body(StatusCode::OK, &Data::new(value))
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    json_body(status, body)
}

/// `status` with a JSON body (a wire type of [`rh_wire::types`]).
pub(crate) fn json_body<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    let text = serde_json::to_string(body).expect("wire types always serialise");
    let mut res = Response::new(Body::from(text));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// An error answer: a status and a one-line `detail`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    detail: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub(crate) fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub(crate) fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }
}

impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> Self {
        match e {
            e if e.is_bad_input() => Self::bad_request(e.to_string()),
            crate::Error::Database(e) if database_unavailable(&e) => {
                tracing::warn!("database unavailable: {e}");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable; try again shortly",
                )
            }
            e @ crate::Error::Unavailable(_) => {
                tracing::warn!("{e}");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable; try again shortly",
                )
            }
            crate::Error::Sqlite(e) if crate::store::is_busy(&e) => {
                tracing::warn!("database busy: {e}");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable; try again shortly",
                )
            }
            other => {
                // Internal details (SQL, paths) stay in the server log.
                tracing::error!("request failed: {}", crate::error::chain(&other));
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
            }
        }
    }
}

/// The database is down or restarting (not a bad query): no connection, a cut one, or PostgreSQL shutting down
/// (SQLSTATE class 57 "operator intervention", class 08 "connection exception").
fn database_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| c.starts_with("57P") || c.starts_with("08")),
        _ => false,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = json_body(
            self.status,
            &ErrorBody {
                detail: self.detail,
            },
        );
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The authenticated caller (from `Authorization: Bearer <token>`).
#[derive(Debug)]
pub(crate) struct Caller(pub(crate) User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let hash = bearer_hash(&parts.headers)?;
        match state.store.user_by_token_hash(&hash).await? {
            Some(user) => Ok(Self(user)),
            None => Err(rejected_token(&state.store, &hash).await),
        }
    }
}

/// The 401 for a token the lookups refused: `token expired` for a real token past its expiry, else
/// `invalid token`.
pub(crate) async fn rejected_token(store: &Store, hash: &str) -> ApiError {
    match crate::store::credentials::is_expired(store, hash).await {
        Ok(true) => ApiError::new(StatusCode::UNAUTHORIZED, "token expired"),
        Ok(false) => invalid_token(),
        Err(e) => e.into(),
    }
}

pub(crate) fn invalid_token() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid token")
}

/// The SHA-256 of the request's bearer token; 401 when there is none.
pub(crate) fn bearer_hash(headers: &HeaderMap) -> Result<String, ApiError> {
    let unauthorized = |d: &str| ApiError::new(StatusCode::UNAUTHORIZED, d);
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized("missing bearer token"));
    };
    let value = value.to_str().map_err(|_| invalid_token())?;
    let token = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => {
            return Err(unauthorized(
                "the authorization header must be 'Bearer <token>'",
            ));
        }
    };
    if token.is_empty() || token.len() > 512 {
        return Err(invalid_token());
    }
    Ok(token::hash(token))
}

/// A JSON request body, whatever the Content-Type; rejections are JSON errors too.
#[derive(Debug)]
pub(crate) struct JsonBody(pub(crate) Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            let status = rej.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(status, "request body is too large")
            } else {
                ApiError::new(
                    status,
                    format!("cannot read request body: {}", rej.body_text()),
                )
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                "request body is empty; expected json",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| ApiError::bad_request(format!("malformed json in request body: {e}")))
    }
}

/// A request body as its wire type, `what` naming it in the 400 (`invalid access request: users: …`).
/// Not for bodies that hold secret values: serde's message may quote the value it refused.
pub(crate) fn from_json<'a, T: Deserialize<'a>>(
    value: &'a Value,
    what: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::bad_request(format!("invalid {what}: {inner}"))
        } else {
            ApiError::bad_request(format!("invalid {what}: {path}: {inner}"))
        }
    })
}

/// The `{uri}` path segment, percent-decoded.
#[derive(Debug)]
pub(crate) struct UriParam(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for UriParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e| ApiError::bad_request(format!("invalid resource uri: {}", e.body_text())))
    }
}
