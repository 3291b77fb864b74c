//! `GET /user` and `PUT /user/config`: the caller's account and stored defaults.

use axum::extract::State;
use axum::response::Response;
use rh_wire::types::{Data, ErrorBody, Revoked, UserConfig, UserInfo};
use serde_json::{Map, Value};

use super::{ApiError, AppState, Caller, JsonBody, ok_data};

/// Keys a stored config never holds: they are per-machine or secret (spec §3.2).
const NEVER_STORED: &[&str] = &["token", "username", "secrets"];

/// `GET /user` (also `/user/`, the original client's spelling).
#[utoipa::path(get, path = "/user", tag = "user", security(("bearer" = [])),
    responses((status = 200, description = "the account of the token", body = Data<UserInfo>)))]
pub(super) async fn get_user(Caller(user): Caller) -> Response {
    let config = match user.config {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    ok_data(UserInfo {
        username: user.username,
        email: user.email,
        config,
    })
}

/// `PUT /user/config` (also `/user//config`): stores the account's defaults; answers what was stored.
#[utoipa::path(put, path = "/user/config", tag = "user", security(("bearer" = [])),
    request_body = UserConfig,
    responses(
        (status = 200, description = "stored (without `token`, `username`, `secrets`)", body = Data<UserConfig>),
        (status = 400, description = "not an object, or a key that is not a user default", body = ErrorBody),
    ))]
pub(super) async fn put_config(
    State(state): State<AppState>,
    Caller(user): Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let Value::Object(mut config) = body else {
        return Err(ApiError::bad_request("the config must be a json object"));
    };
    for key in NEVER_STORED {
        config.remove(*key);
    }
    // Only user defaults: a stored endpoint (`api_server_url`, `vault_addr`, …) would repoint every
    // machine that downloads this config.
    let refused: Vec<&str> = config
        .keys()
        .map(String::as_str)
        .filter(|k| !rh_config::is_account_key(k))
        .collect();
    if !refused.is_empty() {
        return Err(ApiError::bad_request(format!(
            "config keys not accepted: {} (an account config holds only user defaults: {})",
            refused.join(", "),
            rh_config::ACCOUNT_KEYS.join(", ")
        )));
    }
    let stored = Value::Object(config);
    let audit = crate::audit::Audit::new(
        &user.username,
        crate::audit::AuditAction::UserConfig,
        &user.username,
    );
    state
        .store
        .set_user_config(&user.username, &stored, &audit)
        .await?;
    let Value::Object(config) = stored else {
        unreachable!("built as an object above")
    };
    Ok(ok_data(UserConfig(config)))
}

/// `DELETE /user/token`: the caller revokes their own token (an rh addition; `rh logout --revoke`).
#[utoipa::path(delete, path = "/user/token", tag = "user", security(("bearer" = [])),
    responses((status = 200, description = "revoked: the token answers 401 from now on", body = Data<Revoked>)))]
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<Response, ApiError> {
    crate::revoke_token(&state.store, &user.username, &user.username).await?;
    state.forget_vault_token(&user.username).await;
    tracing::info!("{} revoked their own token", user.username);
    Ok(ok_data(Revoked { revoked: true }))
}
