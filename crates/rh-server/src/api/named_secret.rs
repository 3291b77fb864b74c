//! Named secrets on the wire (Runhouse 0.0.14+, spec §1.11): a resource with `resource_type: "secret"` whose
//! values live in Vault under the owner's prefix ([`crate::vault`]), shared by the resource grants.
//!
//! `/user/secret/{x}` serves both kinds: `x` with a `:` is a resource uri (`alice:openai` ↔ `/alice/openai`,
//! as in `/resource/{uri}`), handled here; without one it is a provider name (provider names never hold a
//! `:`), handled by [`super::secret`].
//!
//! - `PUT /user/secret/{uri}[?cas=N]`, body `{"name": "/alice/openai", "data": {"values": {k: v}}}` →
//!   `{"data": {"version": N}}`. The owner and `write` grantees write (a new Vault version, check-and-set
//!   with `cas`); a `read` grantee gets 403 and Vault is not touched. The owner's first write creates the
//!   resource if the client did not `POST /resource` it.
//! - `GET /user/secret/{uri}[?shared=true]` → [`NamedSecretRead`]: to the owner and to `read`/`write`
//!   grantees (a public or unlisted secret's values are still for grantees only). Every read by anyone but
//!   the owner is first an audit row (`secret.read`, reader, address, client address, the version; never a
//!   value): a read that cannot be audited is refused.
//! - `DELETE /user/secret/{uri}` → `{"data": {"deleted": true}}`: the owner only (grantees 403). The resource
//!   itself goes with `DELETE /resource/{uri}`, as Runhouse's `Secret.delete` sends both.
//! - `GET /user/secret?named=true` → [`NamedSecretListItem`]s: the caller's named secrets and those shared
//!   with them, never a value.
//!
//! Grants are read from the database on every request (no read cache; on the hot-read connections,
//! [`crate::store::Store::secret_resource_for`]): a revoke holds from the very next request. A caller who may not read a secret gets the 404 of a missing one.

use crate::vault_access::UserVault;
use axum::http::StatusCode;
use axum::response::Response;
use rh_secrets::named::Access;
use rh_wire::types::{
    NamedSecretData, NamedSecretEntry, NamedSecretListItem, NamedSecretRead, SecretDeleted,
    SecretValues, SecretVersion,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::secret::{flat_secrets, secret_values, vault_error};
use super::{ApiError, AppState, ok_data};
use crate::audit::{Audit, AuditAction};
use crate::model::AccessLevel;
use crate::names::ResourceName;
use crate::store::User;

/// Whether a `/user/secret/{x}` segment names a resource (`alice:openai`) rather than a provider.
pub(super) fn is_uri(segment: &str) -> bool {
    segment.contains(':')
}

fn parse(uri: &str) -> Result<ResourceName, ApiError> {
    ResourceName::from_uri(uri).map_err(ApiError::from)
}

fn not_found(name: &ResourceName) -> ApiError {
    ApiError::not_found(format!("no secret named {}", name.address()))
}

async fn vault(state: &AppState, owner: &str) -> Result<UserVault, ApiError> {
    let Some(proxy) = &state.vault else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "this rh-server has no Vault configured: start it with --vault-addr URL and a token \
             (--vault-token-file PATH or VAULT_TOKEN)",
        ));
    };
    proxy.for_named(owner).await.map_err(vault_error)
}

fn is_secret(config: &Value) -> bool {
    config.get("resource_type").and_then(Value::as_str) == Some("secret")
}

/// The provider a stored secret config names (`provider`, at the top level or under `data`).
fn provider_of(config: &Value) -> Option<String> {
    config
        .get("provider")
        .or_else(|| config.get("data").and_then(|d| d.get("provider")))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The secret at `name` as `caller` may use it: its provider and the caller's access; 404 when it does not
/// exist, is not a secret, or the caller holds no grant on it. The owner's access does not need the
/// resource row (`row_needed = false`): the values are under their own prefix.
async fn resolve(
    state: &AppState,
    caller: &User,
    name: &ResourceName,
    row_needed: bool,
) -> Result<(Access, Option<String>, bool), ApiError> {
    let found = state
        .store
        .secret_resource_for(&name.uri(), &caller.username)
        .await?;
    let owner = name.owner() == caller.username;
    match found {
        None if owner && !row_needed => Ok((Access::Owner, None, false)),
        None => Err(not_found(name)),
        Some((res, _)) if !is_secret(&res.config) => {
            if owner {
                Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!(
                        "{} is a resource of another type, not a secret",
                        name.address()
                    ),
                ))
            } else {
                Err(not_found(name))
            }
        }
        Some((res, grant)) => {
            let access = if owner {
                Access::Owner
            } else {
                match grant {
                    Some(AccessLevel::Write) => Access::Write,
                    Some(AccessLevel::Read) => Access::Read,
                    None => return Err(not_found(name)),
                }
            };
            Ok((access, provider_of(&res.config), true))
        }
    }
}

/// `GET /user/secret/{uri}`.
pub(super) async fn get(state: &AppState, caller: &User, uri: &str) -> Result<Response, ApiError> {
    let name = parse(uri)?;
    let (access, provider, _) = resolve(state, caller, &name, false).await?;
    let store = vault(state, name.owner()).await?;
    let key = crate::vault::named_key(&name);
    let Some((values, version)) = store.get(&key).await.map_err(vault_error)? else {
        return Err(ApiError::not_found(format!(
            "no values stored for the secret {}",
            name.address()
        )));
    };
    if access != Access::Owner {
        let audit = Audit::new(&caller.username, AuditAction::SecretRead, &name.address())
            .detail(format!("version {version}"));
        // A read that cannot be audited does not happen.
        state.store.audit_strict(&audit).await?;
        tracing::info!(
            "{} read version {version} of {} (shared by {})",
            caller.username,
            name.address(),
            name.owner()
        );
    }
    let values = secret_values(&rh_secrets::store::from_map(values));
    let mut data = BTreeMap::new();
    data.insert(
        name.address(),
        NamedSecretEntry {
            data: NamedSecretData { values },
        },
    );
    Ok(super::json_body(
        StatusCode::OK,
        &NamedSecretRead {
            data,
            version,
            owner: name.owner().to_owned(),
            access: access.as_str().to_owned(),
            provider,
        },
    ))
}

/// The values of a `{"name": …, "data": {"values": {…}}}` body; 400s name the secret and the shape, never a
/// value.
fn values_of(name: &ResourceName, body: &Value) -> Result<rh_secrets::ProviderSecrets, ApiError> {
    let address = name.address();
    let shape = || {
        ApiError::bad_request(format!(
            "the body for the secret {address} must be {{\"name\": \"{address}\", \"data\": {{\"values\": {{key: value}}}}}}"
        ))
    };
    let Value::Object(obj) = body else {
        return Err(shape());
    };
    match obj.get("name") {
        None | Some(Value::Null) => {}
        Some(Value::String(given)) if *given == address || given == name.uri().as_str() => {}
        Some(Value::String(given)) => {
            return Err(ApiError::bad_request(format!(
                "body name {given:?} does not match the secret {address} in the url"
            )));
        }
        Some(_) => return Err(shape()),
    }
    let values = obj
        .get("data")
        .and_then(|d| d.get("values"))
        .ok_or_else(shape)?;
    flat_secrets(&address, values)
}

/// `PUT /user/secret/{uri}[?cas=N]`.
pub(super) async fn put(
    state: &AppState,
    caller: &User,
    uri: &str,
    expected: Option<u64>,
    body: &Value,
) -> Result<Response, ApiError> {
    let name = parse(uri)?;
    let values = values_of(&name, body)?;
    let (access, _, has_row) = resolve(state, caller, &name, false).await?;
    if access == Access::Read {
        return Err(ApiError::forbidden(format!(
            "you have read-only access to the secret {}",
            name.address()
        )));
    }
    let store = vault(state, name.owner()).await?;
    let key = crate::vault::named_key(&name);
    let version = rh_secrets::store::SecretStore::put(&store, &key, &values, expected)
        .await
        .map_err(vault_error)?;
    tracing::info!(
        "{} wrote version {version} of {}",
        caller.username,
        name.address()
    );
    if !has_row {
        // Values without a resource (a client that skipped `POST /resource`): the metadata follows them, so
        // the secret is listed and can be shared.
        let payload = crate::ops::Payload {
            name: name.clone(),
            resource_type: Some("secret".to_owned()),
            visibility: None,
            config: json!({"name": name.address(), "resource_type": "secret", "data": {"resource_subtype": "Secret"}}),
        };
        match crate::ops::create(&state.store, caller, &payload).await {
            Ok(()) | Err(crate::ops::OpError::Exists(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    crate::audit::record(
        &state.store,
        &caller.username,
        AuditAction::SecretPut,
        &name.address(),
        Some(&format!("version {version}")),
    )
    .await;
    Ok(ok_data(SecretVersion { version }))
}

/// `DELETE /user/secret/{uri}`.
pub(super) async fn delete(
    state: &AppState,
    caller: &User,
    uri: &str,
) -> Result<Response, ApiError> {
    let name = parse(uri)?;
    let (access, _, _) = resolve(state, caller, &name, false).await?;
    if access != Access::Owner {
        return Err(ApiError::forbidden(format!(
            "only {} can delete the secret {}",
            name.owner(),
            name.address()
        )));
    }
    let store = vault(state, name.owner()).await?;
    if !store
        .delete(&crate::vault::named_key(&name))
        .await
        .map_err(vault_error)?
    {
        return Err(ApiError::not_found(format!(
            "no values stored for the secret {}",
            name.address()
        )));
    }
    tracing::info!("{} deleted {}", caller.username, name.address());
    crate::audit::record(
        &state.store,
        &caller.username,
        AuditAction::SecretDelete,
        &name.address(),
        None,
    )
    .await;
    Ok(ok_data(SecretDeleted { deleted: true }))
}

/// The caller's named secrets and those shared with them, by address (`GET /user/secret?named=true`).
pub(super) async fn list(
    state: &AppState,
    caller: &User,
) -> Result<Vec<NamedSecretListItem>, ApiError> {
    let mut out = Vec::new();
    for l in crate::ops::list_mine(&state.store, caller).await? {
        if l.resource_type.as_deref() != Some("secret") {
            continue;
        }
        let provider = match state.store.resource_for(&l.uri, &caller.username).await? {
            Some((res, _)) => provider_of(&res.config),
            None => continue,
        };
        out.push(NamedSecretListItem {
            name: l.name,
            provider,
            owner: l.owner,
            access: l.access,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The values of the caller's own named secrets, by address, for `GET /user/secret` (Runhouse's
/// `Secret.vault_secrets()` takes the keys of that answer as the names of the caller's secrets).
pub(super) async fn owned_values(
    state: &AppState,
    caller: &User,
) -> Result<Vec<(String, SecretValues)>, ApiError> {
    let mut out = Vec::new();
    for item in list(state, caller).await? {
        if item.owner != caller.username {
            continue;
        }
        let name = ResourceName::from_address(&item.name)?;
        let store = vault(state, name.owner()).await?;
        if let Some((values, _)) = store
            .get(&crate::vault::named_key(&name))
            .await
            .map_err(vault_error)?
        {
            out.push((
                item.name,
                secret_values(&rh_secrets::store::from_map(values)),
            ));
        }
    }
    Ok(out)
}

/// The named secret's store and key once the caller holds some access: for history and metadata (no values).
async fn opened(
    state: &AppState,
    caller: &User,
    uri: &str,
) -> Result<(ResourceName, Access, UserVault, String), ApiError> {
    let name = parse(uri)?;
    let (access, _, _) = resolve(state, caller, &name, false).await?;
    let store = vault(state, name.owner()).await?;
    let key = crate::vault::named_key(&name);
    Ok((name, access, store, key))
}

/// `GET /user/secret/{uri}/history`: versions and times, never a value (owner and grantees).
pub(super) async fn history(
    state: &AppState,
    caller: &User,
    uri: &str,
) -> Result<Vec<rh_wire::types::SecretVersionInfo>, ApiError> {
    let (_, _, store, key) = opened(state, caller, uri).await?;
    Ok(store
        .history(&key)
        .await
        .map_err(vault_error)?
        .into_iter()
        .map(|v| rh_wire::types::SecretVersionInfo {
            version: v.version,
            created_time: v.created_time,
            deletion_time: v.deletion_time,
            destroyed: v.destroyed,
        })
        .collect())
}

/// `GET /user/secret/{uri}/metadata`: the current version and salted fingerprints (owner and grantees).
pub(super) async fn metadata(
    state: &AppState,
    caller: &User,
    uri: &str,
) -> Result<Option<rh_secrets::vault::Fingerprints>, ApiError> {
    let (_, _, store, key) = opened(state, caller, uri).await?;
    store.fingerprints(&key).await.map_err(vault_error)
}

/// `POST /user/secret/{uri}/rollback`: the owner and `write` grantees (a new version holding `version`'s data).
pub(super) async fn rollback(
    state: &AppState,
    caller: &User,
    uri: &str,
    version: u64,
) -> Result<Response, ApiError> {
    let (name, access, store, key) = opened(state, caller, uri).await?;
    if access == Access::Read {
        return Err(ApiError::forbidden(format!(
            "you have read-only access to the secret {}",
            name.address()
        )));
    }
    if store
        .fingerprints(&key)
        .await
        .map_err(vault_error)?
        .is_none()
    {
        return Err(ApiError::not_found(format!(
            "no values stored for the secret {}",
            name.address()
        )));
    }
    let new = store.rollback(&key, version).await.map_err(vault_error)?;
    tracing::info!(
        "{} rolled {} back to version {version} (now {new})",
        caller.username,
        name.address()
    );
    crate::audit::record(
        &state.store,
        &caller.username,
        AuditAction::SecretRollback,
        &name.address(),
        Some(&format!("to version {version}")),
    )
    .await;
    Ok(ok_data(SecretVersion { version: new }))
}
