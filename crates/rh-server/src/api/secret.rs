//! `/user/secret…`: the caller's provider secrets, kept in Vault under `rh/<username>` (spec §1.4 names).
//!
//! - `GET /user/secret` → `{"data": {provider: {k: v}}}`; with `?list=true` → `{"data": [provider, …]}`.
//! - `PUT /user/secret`, body `{provider: {k: v}}` → `{"data": {provider: {"version": N}}}`. When some providers
//!   cannot be written, the first failure's status with `{"detail": …, "data": {provider: {"version": N} |
//!   {"error": detail, "status": code}}}`: the written ones stay written.
//! - `GET /user/secret/{p}` → `{"data": {p: {k: v}}, "version": N}`; `DELETE` → `{"data": {"deleted": true}}`.
//! - `PUT /user/secret/{p}[?cas=N]`, body `{k: v}` → `{"data": {"version": N}}`; 409 when `cas` is stale.
//! - `GET /user/secret/{p}/history` (metadata only), `GET /user/secret/{p}/metadata` (version, salted
//!   fingerprints, salt), `POST /user/secret/{p}/rollback` with `{"version": N}`.
//!
//! A provider without secrets is a 404 whose detail starts with [`MISSING`]. No Vault configured: 503.
//! Vault down or refusing the server's token: 503 / 502 with a one-line detail that never names Vault's
//! address or paths (those go to the log). Every answer carries `Cache-Control: no-store`. Values are never
//! logged.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use rh_secrets::ProviderSecrets;
use rh_secrets::store::{BoxFuture, SecretStore, from_map, join_all};
use rh_secrets::vault::{Error as VaultError, VaultStore};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use super::{ApiError, AppState, Caller, JsonBody, UriParam, ok};

/// How the detail of a "no secret" 404 starts (clients tell it from an unknown route by it).
pub(crate) const MISSING: &str = "no secrets for";

fn store(state: &AppState, username: &str) -> Result<Arc<VaultStore>, ApiError> {
    let Some(proxy) = &state.vault else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this rh-server has no Vault configured: start it with --vault-addr URL and a token \
             (--vault-token-file PATH or VAULT_TOKEN), or use Vault directly with VAULT_ADDR",
        ));
    };
    if username == super::RESERVED_USERNAME {
        // `rh/local` is where rh writes when it talks to Vault directly without a username.
        return Err(ApiError::forbidden(
            "the account name `local` is reserved for direct Vault use: its secrets cannot go through rh-server",
        ));
    }
    proxy.for_user(username).map_err(vault_error)
}

/// The client's answer for a Vault failure. Vault's address, mount and paths are the server's internals: they go
/// to the server log, never into an answer.
fn vault_error(e: VaultError) -> ApiError {
    const SEE_LOG: &str = "the server admin can find the cause in rh-server's log";
    match e {
        VaultError::NotFound { .. } => ApiError::not_found("no such version of the secret"),
        VaultError::Conflict { expected, .. } => ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "the secret changed in Vault since it was read (expected version {expected}); read it again, then retry"
            ),
        ),
        e @ (VaultError::Unreachable { .. } | VaultError::BadAddress { .. }) => {
            tracing::warn!("vault: {e}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("rh-server cannot reach its Vault; {SEE_LOG}"),
            )
        }
        e @ VaultError::PermissionDenied { .. } => {
            tracing::error!("vault refused the server's token: {e}");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "Vault refused rh-server's token (403); the server admin must fix its Vault token",
            )
        }
        other => {
            tracing::error!("vault: {other}");
            ApiError::new(StatusCode::BAD_GATEWAY, format!("Vault error; {SEE_LOG}"))
        }
    }
}

fn check_provider(name: &str) -> Result<(), ApiError> {
    rh_secrets::sync::check_provider_name(name).map_err(|e| ApiError::bad_request(e.to_string()))
}

fn missing(provider: &str) -> ApiError {
    ApiError::not_found(format!("{MISSING} {provider}"))
}

/// A flat `{k: "v"}` body as secrets; anything else is a 400 that names the key, never a value.
fn flat_secrets(provider: &str, body: &Value) -> Result<ProviderSecrets, ApiError> {
    let Value::Object(obj) = body else {
        return Err(ApiError::bad_request(format!(
            "the {provider} secrets must be a json object of strings"
        )));
    };
    let mut out = ProviderSecrets::new();
    for (k, v) in obj {
        if k.is_empty() || k.len() > 256 || k.chars().any(char::is_control) {
            return Err(ApiError::bad_request(format!(
                "invalid key name in the {provider} secrets"
            )));
        }
        let Value::String(s) = v else {
            return Err(ApiError::bad_request(format!(
                "the value of {provider} key `{k}` must be a string"
            )));
        };
        out.insert_secret(k.clone(), SecretString::from(s.clone()));
    }
    Ok(out)
}

fn secrets_json(secrets: &ProviderSecrets) -> Value {
    Value::Object(
        secrets
            .iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v.expose_secret().to_owned())))
            .collect(),
    )
}

fn query_flag<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

pub(super) async fn get_all(
    State(state): State<AppState>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let store = store(&state, &user.username)?;
    let names = SecretStore::list(store.as_ref())
        .await
        .map_err(vault_error)?;
    if matches!(query_flag(query.as_deref(), "list"), Some("true" | "1")) {
        return Ok(ok(json!(names)));
    }
    let futures: Vec<BoxFuture<'_, _>> = names
        .iter()
        .map(|p| SecretStore::get(store.as_ref(), p))
        .collect();
    let mut data = Map::new();
    for (name, got) in names.iter().zip(join_all(futures).await) {
        // A provider deleted between the list and the read is skipped.
        if let Some((secrets, _)) = got.map_err(vault_error)? {
            data.insert(name.clone(), secrets_json(&secrets));
        }
    }
    Ok(ok(Value::Object(data)))
}

pub(super) async fn put_all(
    State(state): State<AppState>,
    Caller(user): Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let Value::Object(all) = body else {
        return Err(ApiError::bad_request(
            "the body must be a json object: {provider: {key: value}}",
        ));
    };
    let mut parsed = Vec::with_capacity(all.len());
    for (provider, v) in &all {
        check_provider(provider)?;
        parsed.push((provider.clone(), flat_secrets(provider, v)?));
    }
    let store = store(&state, &user.username)?;
    let futures: Vec<BoxFuture<'_, _>> = parsed
        .iter()
        .map(|(p, s)| SecretStore::put(store.as_ref(), p, s, None))
        .collect();
    let mut data = Map::new();
    let (mut written, mut failed) = (Vec::new(), Vec::new());
    let mut first_error: Option<ApiError> = None;
    for ((provider, _), result) in parsed.iter().zip(join_all(futures).await) {
        match result {
            Ok(version) => {
                crate::audit::record(
                    &state.store,
                    &user.username,
                    crate::audit::AuditAction::SecretPut,
                    provider,
                    None,
                )
                .await;
                data.insert(provider.clone(), json!({ "version": version }));
                written.push(provider.as_str());
            }
            Err(e) => {
                let e = vault_error(e);
                data.insert(
                    provider.clone(),
                    json!({ "error": e.detail, "status": e.status.as_u16() }),
                );
                failed.push(provider.as_str());
                first_error.get_or_insert(e);
            }
        }
    }
    tracing::info!(
        "{} wrote secrets for {} provider(s)",
        user.username,
        written.len()
    );
    let Some(e) = first_error else {
        return Ok(ok(Value::Object(data)));
    };
    // The first failure's status, and what happened to each provider: the written ones stay written.
    let detail = format!(
        "not every provider was written: {} (written: {}; not written: {})",
        e.detail,
        if written.is_empty() {
            "none".to_owned()
        } else {
            written.join(", ")
        },
        failed.join(", ")
    );
    Ok(super::json_response(
        e.status,
        &json!({ "detail": detail, "data": Value::Object(data) }),
    ))
}

pub(super) async fn get_one(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
) -> Result<Response, ApiError> {
    check_provider(&provider)?;
    let store = store(&state, &user.username)?;
    let Some((secrets, version)) = store.get(&provider).await.map_err(vault_error)? else {
        return Err(missing(&provider));
    };
    let mut data = Map::new();
    data.insert(provider, secrets_json(&from_map(secrets)));
    let body = json!({ "data": Value::Object(data), "version": version });
    Ok(super::json_response(StatusCode::OK, &body))
}

pub(super) async fn put_one(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check_provider(&provider)?;
    let expected = match query_flag(query.as_deref(), "cas") {
        None => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!("cas must be a version number, not {v:?}"))
        })?),
    };
    let secrets = flat_secrets(&provider, &body)?;
    let store = store(&state, &user.username)?;
    let version = SecretStore::put(store.as_ref(), &provider, &secrets, expected)
        .await
        .map_err(vault_error)?;
    tracing::info!("{} wrote version {version} of {provider}", user.username);
    crate::audit::record(
        &state.store,
        &user.username,
        crate::audit::AuditAction::SecretPut,
        &provider,
        None,
    )
    .await;
    Ok(ok(json!({ "version": version })))
}

pub(super) async fn delete_one(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
) -> Result<Response, ApiError> {
    check_provider(&provider)?;
    let store = store(&state, &user.username)?;
    if !store.delete(&provider).await.map_err(vault_error)? {
        return Err(missing(&provider));
    }
    tracing::info!("{} deleted the secrets of {provider}", user.username);
    crate::audit::record(
        &state.store,
        &user.username,
        crate::audit::AuditAction::SecretDelete,
        &provider,
        None,
    )
    .await;
    Ok(ok(json!({ "deleted": true })))
}

pub(super) async fn history(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
) -> Result<Response, ApiError> {
    check_provider(&provider)?;
    let store = store(&state, &user.username)?;
    let versions = store.history(&provider).await.map_err(vault_error)?;
    Ok(ok(json!(versions)))
}

pub(super) async fn metadata(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
) -> Result<Response, ApiError> {
    check_provider(&provider)?;
    let store = store(&state, &user.username)?;
    let Some(fp) = store.fingerprints(&provider).await.map_err(vault_error)? else {
        return Err(missing(&provider));
    };
    Ok(ok(json!({
        "version": fp.version,
        "fingerprints": fp.keys,
        "salt": fp.salt(),
    })))
}

pub(super) async fn rollback(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check_provider(&provider)?;
    let Some(version) = body
        .get("version")
        .and_then(Value::as_u64)
        .filter(|v| *v > 0)
    else {
        return Err(ApiError::bad_request(
            "the body must be {\"version\": N} with N >= 1",
        ));
    };
    let store = store(&state, &user.username)?;
    if store
        .fingerprints(&provider)
        .await
        .map_err(vault_error)?
        .is_none()
    {
        return Err(missing(&provider));
    }
    let new = store
        .rollback(&provider, version)
        .await
        .map_err(vault_error)?;
    tracing::info!(
        "{} rolled {provider} back to version {version} (now {new})",
        user.username
    );
    let detail = format!("to version {version}");
    crate::audit::record(
        &state.store,
        &user.username,
        crate::audit::AuditAction::SecretRollback,
        &provider,
        Some(&detail),
    )
    .await;
    Ok(ok(json!({ "version": new })))
}
