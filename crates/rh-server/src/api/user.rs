//! `GET /user` and `PUT /user/config`: the caller's account and stored defaults.

use axum::extract::State;
use axum::response::Response;
use serde_json::{Value, json};

use super::{ApiError, AppState, Caller, JsonBody, ok};

/// Keys a stored config never holds: they are per-machine or secret (spec §3.2).
const NEVER_STORED: &[&str] = &["token", "username", "secrets"];

pub(super) async fn get_user(Caller(user): Caller) -> Response {
    ok(json!({
        "username": user.username,
        "email": user.email,
        "config": user.config,
    }))
}

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
    let config = Value::Object(config);
    let audit = crate::audit::Audit::new(
        &user.username,
        crate::audit::AuditAction::UserConfig,
        &user.username,
    );
    state
        .store
        .set_user_config(&user.username, &config, &audit)
        .await?;
    Ok(ok(config))
}

/// `DELETE /user/token`: the caller revokes their own token (an rh addition; `rh logout --revoke`).
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<Response, ApiError> {
    crate::revoke_token(&state.store, &user.username, &user.username).await?;
    tracing::info!("{} revoked their own token", user.username);
    Ok(ok(json!({ "revoked": true })))
}
