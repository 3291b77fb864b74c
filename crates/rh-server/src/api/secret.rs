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
//! A `{p}` holding a `:` is a named secret's resource uri (`alice:openai`), served by
//! [`super::named_secret`]; `GET /user/secret?named=true` lists the named secrets.
//!
//! A provider without secrets is a 404 whose detail starts with [`MISSING`]. No Vault configured: 503.
//! Vault down or refusing the server's token: 503 / 502 with a one-line detail that never names Vault's
//! address or paths (those go to the log). Every answer carries `Cache-Control: no-store`. Values are never
//! logged.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use futures::future::{BoxFuture, join_all};
use indexmap::IndexMap;
use rh_secrets::ProviderSecrets;
use rh_secrets::store::{SecretStore, from_map};
use rh_secrets::vault::Error as VaultError;

use crate::vault_access::UserVault;
use rh_wire::types::{
    Data, ErrorBody, RollbackRequest, SecretBulkFailure, SecretDeleted, SecretListing,
    SecretMetadata, SecretOne, SecretOutcome, SecretRead, SecretValues, SecretVersion,
    SecretVersionInfo, SecretWrite,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::collections::BTreeMap;

use super::{ApiError, AppState, Caller, JsonBody, UriParam, from_json, ok_data};

/// The largest version Vault can hold (its versions are 64-bit signed integers).
const MAX_VERSION: u64 = i64::MAX.unsigned_abs();

/// How the detail of a "no secret" 404 starts (clients tell it from an unknown route by it).
pub(crate) const MISSING: &str = "no secrets for";

async fn store(state: &AppState, username: &str) -> Result<UserVault, ApiError> {
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
    proxy.for_user(username).await.map_err(vault_error)
}

/// The client's answer for a Vault failure. Vault's address, mount and paths are the server's internals: they go
/// to the server log, never into an answer.
pub(super) fn vault_error(e: VaultError) -> ApiError {
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
pub(super) fn flat_secrets(provider: &str, body: &Value) -> Result<ProviderSecrets, ApiError> {
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

pub(super) fn secret_values(secrets: &ProviderSecrets) -> SecretValues {
    secrets
        .iter()
        .map(|(k, v)| (k.to_owned(), v.expose_secret().to_owned()))
        .collect()
}

fn query_flag<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// `GET /user/secret[?list=true]`.
#[utoipa::path(get, path = "/user/secret", tag = "secret", security(("bearer" = [])),
    params(("list" = Option<bool>, Query, description = "only the provider names"), ("named" = Option<bool>, Query, description = "the caller's named secrets and those shared with them: name, provider, owner, access (never a value)")),
    responses(
        (status = 200, description = "provider → secrets, then the caller's own named secrets by address → values; with `list=true` the provider names; with `named=true` the named secrets (no values)", body = Data<SecretListing>),
        (status = 403, description = "the account `local` is reserved for direct Vault use", body = ErrorBody),
        (status = 502, description = "Vault refused rh-server's token, or failed", body = ErrorBody),
        (status = 503, description = "no Vault configured, or Vault unreachable", body = ErrorBody),
    ))]
pub(super) async fn get_all(
    State(state): State<AppState>,
    Caller(user): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    if matches!(query_flag(query.as_deref(), "named"), Some("true" | "1")) {
        return Ok(ok_data(super::named_secret::list(&state, &user).await?));
    }
    let store = store(&state, &user.username).await?;
    let names = SecretStore::list(&store).await.map_err(vault_error)?;
    if matches!(query_flag(query.as_deref(), "list"), Some("true" | "1")) {
        return Ok(ok_data(SecretListing::Names(names)));
    }
    let futures: Vec<BoxFuture<'_, _>> =
        names.iter().map(|p| SecretStore::get(&store, p)).collect();
    let mut data = IndexMap::new();
    for (name, got) in names.iter().zip(join_all(futures).await) {
        // A provider deleted between the list and the read is skipped.
        if let Some((secrets, _)) = got.map_err(vault_error)? {
            data.insert(name.clone(), secret_values(&secrets));
        }
    }
    // The caller's named secrets, by address, after the providers (Runhouse reads the keys as names).
    data.extend(super::named_secret::owned_values(&state, &user).await?);
    Ok(ok_data(SecretListing::All(data)))
}

/// `PUT /user/secret`: a bulk upload, `{provider: {key: value}}`. When some providers cannot be written, the
/// first failure's status (502, 503) with a [`SecretBulkFailure`] body: an [`ErrorBody`] plus what happened to
/// each provider.
#[utoipa::path(put, path = "/user/secret", tag = "secret", security(("bearer" = [])),
    request_body = BTreeMap<String, SecretValues>,
    responses(
        (status = 200, description = "every provider written: provider → its new version", body = Data<BTreeMap<String, SecretVersion>>),
        (status = 400, description = "not `{provider: {key: string}}`, or a bad provider name", body = ErrorBody),
        (status = 403, description = "the account `local` is reserved for direct Vault use", body = ErrorBody),
        (status = 502, description = "Vault refused rh-server's token, or failed", body = ErrorBody),
        (status = 503, description = "no Vault configured, or Vault unreachable", body = ErrorBody),
    ))]
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
    let store = store(&state, &user.username).await?;
    let futures: Vec<BoxFuture<'_, _>> = parsed
        .iter()
        .map(|(p, s)| SecretStore::put(&store, p, s, None))
        .collect();
    let mut data = IndexMap::new();
    let mut versions = IndexMap::new();
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
                data.insert(provider.clone(), SecretOutcome::Written { version });
                versions.insert(provider.clone(), SecretVersion { version });
                written.push(provider.as_str());
            }
            Err(e) => {
                let e = vault_error(e);
                data.insert(
                    provider.clone(),
                    SecretOutcome::Failed {
                        error: e.detail.clone(),
                        status: e.status.as_u16(),
                    },
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
        return Ok(ok_data(versions));
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
    Ok(super::json_body(
        e.status,
        &SecretBulkFailure { detail, data },
    ))
}

/// `GET /user/secret/{provider}`.
#[utoipa::path(get, path = "/user/secret/{provider}", tag = "secret", security(("bearer" = [])),
    params(("provider" = String, Path, description = "a provider name (`aws`, `my-db.prod_1`), or a named secret's resource uri (`alice:openai` for `/alice/openai`; a `:` tells them apart)"), ("shared" = Option<bool>, Query, description = "accepted (Runhouse sends `shared=true`); grantees read with or without it")),
    responses(
        (status = 200, description = "the provider's secrets and their version; for a named secret (owner or grantee) its values under its address, version, owner, the caller's access and provider; a grantee's read is an audit row", body = SecretOne),
        (status = 400, description = "a bad provider name or uri", body = ErrorBody),
        (status = 404, description = "`no secrets for …`; `no secret named …` (or one the caller holds no grant on); `no values stored for the secret …`", body = ErrorBody),
        (status = 409, description = "the uri names a resource that is not a secret", body = ErrorBody),
        (status = 403, description = "the account `local` is reserved for direct Vault use", body = ErrorBody),
        (status = 502, description = "Vault refused rh-server's token, or failed", body = ErrorBody),
        (status = 503, description = "no Vault configured, or Vault unreachable", body = ErrorBody),
    ))]
pub(super) async fn get_one(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
) -> Result<Response, ApiError> {
    if super::named_secret::is_uri(&provider) {
        return super::named_secret::get(&state, &user, &provider).await;
    }
    check_provider(&provider)?;
    let store = store(&state, &user.username).await?;
    let Some((secrets, version)) = store.get(&provider).await.map_err(vault_error)? else {
        return Err(missing(&provider));
    };
    let mut data = BTreeMap::new();
    data.insert(provider, secret_values(&from_map(secrets)));
    Ok(super::json_body(
        StatusCode::OK,
        &SecretRead { data, version },
    ))
}

/// `PUT /user/secret/{provider}[?cas=N]`, body `{key: value}`.
#[utoipa::path(put, path = "/user/secret/{provider}", tag = "secret", security(("bearer" = [])),
    params(("provider" = String, Path, description = "a provider name (`aws`, `my-db.prod_1`), or a named secret's resource uri (`alice:openai` for `/alice/openai`; a `:` tells them apart)"), ("cas" = Option<u64>, Query, description = "the version read (0: must not exist yet)")),
    request_body = SecretWrite,
    responses(
        (status = 200, description = "written: the new version", body = Data<SecretVersion>),
        (status = 400, description = "not `{key: string}` (a provider) or `{\"name\": address, \"data\": {\"values\": {key: string}}}` (a named secret), a bad provider name, uri or `cas`", body = ErrorBody),
        (status = 404, description = "a named secret that does not exist or the caller holds no grant on", body = ErrorBody),
        (status = 409, description = "`cas` is stale: the secret changed since it was read; or the uri names a resource that is not a secret", body = ErrorBody),
        (status = 403, description = "the account `local` is reserved for direct Vault use; a `read` grantee's write of a named secret", body = ErrorBody),
        (status = 502, description = "Vault refused rh-server's token, or failed", body = ErrorBody),
        (status = 503, description = "no Vault configured, or Vault unreachable", body = ErrorBody),
    ))]
pub(super) async fn put_one(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
    RawQuery(query): RawQuery,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let named = super::named_secret::is_uri(&provider);
    if !named {
        check_provider(&provider)?;
    }
    let expected = match query_flag(query.as_deref(), "cas") {
        None => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            ApiError::bad_request(format!("cas must be a version number, not {v:?}"))
        })?),
    };
    if named {
        return super::named_secret::put(&state, &user, &provider, expected, &body).await;
    }
    let secrets = flat_secrets(&provider, &body)?;
    let store = store(&state, &user.username).await?;
    let version = SecretStore::put(&store, &provider, &secrets, expected)
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
    Ok(ok_data(SecretVersion { version }))
}

/// `DELETE /user/secret/{provider}`.
#[utoipa::path(delete, path = "/user/secret/{provider}", tag = "secret", security(("bearer" = [])),
    params(("provider" = String, Path, description = "a provider name (`aws`, `my-db.prod_1`), or a named secret's resource uri (`alice:openai` for `/alice/openai`; a `:` tells them apart)")),
    responses(
        (status = 200, description = "deleted (a named secret's values; its resource goes with `DELETE /resource/{uri}`)", body = Data<SecretDeleted>),
        (status = 400, description = "a bad provider name or uri", body = ErrorBody),
        (status = 404, description = "`no secrets for …`; `no secret named …`; `no values stored for the secret …`", body = ErrorBody),
        (status = 409, description = "the uri names a resource that is not a secret", body = ErrorBody),
        (status = 403, description = "the account `local` is reserved for direct Vault use; a grantee's delete of a named secret (the owner only)", body = ErrorBody),
        (status = 502, description = "Vault refused rh-server's token, or failed", body = ErrorBody),
        (status = 503, description = "no Vault configured, or Vault unreachable", body = ErrorBody),
    ))]
pub(super) async fn delete_one(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
) -> Result<Response, ApiError> {
    if super::named_secret::is_uri(&provider) {
        return super::named_secret::delete(&state, &user, &provider).await;
    }
    check_provider(&provider)?;
    let store = store(&state, &user.username).await?;
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
    Ok(ok_data(SecretDeleted { deleted: true }))
}

/// `GET /user/secret/{provider}/history`: versions and times, never a value.
#[utoipa::path(get, path = "/user/secret/{provider}/history", tag = "secret", security(("bearer" = [])),
    params(("provider" = String, Path, description = "a provider name (`aws`, `my-db.prod_1`), or a named secret's resource uri (`alice:openai`; owner and grantees, rollback: owner and `write` grantees)")),
    responses(
        (status = 200, description = "the versions, oldest first (empty when there is none)", body = Data<Vec<SecretVersionInfo>>),
        (status = 400, description = "a bad provider name", body = ErrorBody),
        (status = 403, description = "the account `local` is reserved for direct Vault use", body = ErrorBody),
        (status = 502, description = "Vault refused rh-server's token, or failed", body = ErrorBody),
        (status = 503, description = "no Vault configured, or Vault unreachable", body = ErrorBody),
    ))]
pub(super) async fn history(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
) -> Result<Response, ApiError> {
    if super::named_secret::is_uri(&provider) {
        return Ok(ok_data(
            super::named_secret::history(&state, &user, &provider).await?,
        ));
    }
    check_provider(&provider)?;
    let store = store(&state, &user.username).await?;
    let versions = store.history(&provider).await.map_err(vault_error)?;
    Ok(ok_data(
        versions
            .into_iter()
            .map(|v| SecretVersionInfo {
                version: v.version,
                created_time: v.created_time,
                deletion_time: v.deletion_time,
                destroyed: v.destroyed,
            })
            .collect::<Vec<_>>(),
    ))
}

/// `GET /user/secret/{provider}/metadata`: the current version and salted fingerprints, never a value.
#[utoipa::path(get, path = "/user/secret/{provider}/metadata", tag = "secret", security(("bearer" = [])),
    params(("provider" = String, Path, description = "a provider name (`aws`, `my-db.prod_1`), or a named secret's resource uri (`alice:openai`; owner and grantees, rollback: owner and `write` grantees)")),
    responses(
        (status = 200, description = "the current version and fingerprints", body = Data<SecretMetadata>),
        (status = 400, description = "a bad provider name", body = ErrorBody),
        (status = 404, description = "`no secrets for …`", body = ErrorBody),
        (status = 403, description = "the account `local` is reserved for direct Vault use", body = ErrorBody),
        (status = 502, description = "Vault refused rh-server's token, or failed", body = ErrorBody),
        (status = 503, description = "no Vault configured, or Vault unreachable", body = ErrorBody),
    ))]
pub(super) async fn metadata(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
) -> Result<Response, ApiError> {
    let fp = if super::named_secret::is_uri(&provider) {
        super::named_secret::metadata(&state, &user, &provider).await?
    } else {
        check_provider(&provider)?;
        let store = store(&state, &user.username).await?;
        store.fingerprints(&provider).await.map_err(vault_error)?
    };
    let Some(fp) = fp else {
        return Err(missing(&provider));
    };
    Ok(ok_data(SecretMetadata {
        version: fp.version,
        salt: fp.salt().map(str::to_owned),
        fingerprints: fp.keys,
    }))
}

/// `POST /user/secret/{provider}/rollback`: that version's data becomes the newest.
#[utoipa::path(post, path = "/user/secret/{provider}/rollback", tag = "secret", security(("bearer" = [])),
    params(("provider" = String, Path, description = "a provider name (`aws`, `my-db.prod_1`), or a named secret's resource uri (`alice:openai`; owner and grantees, rollback: owner and `write` grantees)")),
    request_body = RollbackRequest,
    responses(
        (status = 200, description = "rolled back: the new version", body = Data<SecretVersion>),
        (status = 400, description = "not `{\"version\": N}` with 1 <= N <= 2^63-1, or a bad provider name", body = ErrorBody),
        (status = 404, description = "`no secrets for …`, or no such version; a named secret that does not exist or the caller holds no grant on", body = ErrorBody),
        (status = 409, description = "the secret changed in Vault meanwhile", body = ErrorBody),
        (status = 403, description = "the account `local` is reserved for direct Vault use", body = ErrorBody),
        (status = 502, description = "Vault refused rh-server's token, or failed", body = ErrorBody),
        (status = 503, description = "no Vault configured, or Vault unreachable", body = ErrorBody),
    ))]
pub(super) async fn rollback(
    State(state): State<AppState>,
    Caller(user): Caller,
    UriParam(provider): UriParam,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let named = super::named_secret::is_uri(&provider);
    if !named {
        check_provider(&provider)?;
    }
    let version = from_json::<RollbackRequest>(&body, "rollback request")
        .ok()
        .map(|r| r.version)
        // Vault's versions are i64: a larger one is not a version Vault could parse (it answered 400, which
        // reached the client as a 502).
        .filter(|v| (1..=MAX_VERSION).contains(v))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "the body must be {{\"version\": N}} with 1 <= N <= {MAX_VERSION}"
            ))
        })?;
    if named {
        return super::named_secret::rollback(&state, &user, &provider, version).await;
    }
    let store = store(&state, &user.username).await?;
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
    Ok(ok_data(SecretVersion { version: new }))
}
