//! `/resource…`: create, read, update, delete, history and sharing. Each handler parses the request, calls one
//! [`crate::ops`] operation (which owns authorization, the audit row and the cache) and renders its result.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rh_wire::types::{
    AccessRequest, AccessResult, Data, Deleted, ErrorBody, HistoryItem, HistoryPage, ListItem,
    Purged, ResourcePayload, Users,
};
use serde_json::Value;

use super::{
    ApiError, AppState, Caller, JsonBody, UriParam, bearer_hash, from_json, ok_data, rejected_token,
};
use crate::model::{AccessLevel, Visibility};
use crate::names::{ResourceName, validate_username};
use crate::ops::{self, MAX_SHARE_RECIPIENTS, OpError, Payload, ShareRequest};

/// History entries a request without `limit` returns.
pub(crate) const DEFAULT_HISTORY: i64 = 100;
/// Most history entries one request returns (a larger `limit` is cut to it; `next` reads on).
pub(crate) const MAX_HISTORY: i64 = 1_000;

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        let e = match e {
            OpError::Store(e) => return Self::from(e),
            other => other,
        };
        let status = match &e {
            OpError::NotFound(_) => StatusCode::NOT_FOUND,
            OpError::ReadOnly(_)
            | OpError::NotOwner(_)
            | OpError::OwnerOnly(_)
            | OpError::SecretOwnerOnly(_) => StatusCode::FORBIDDEN,
            OpError::SecretValues { .. } => StatusCode::SERVICE_UNAVAILABLE,
            OpError::Exists(_) => StatusCode::CONFLICT,
            // 422 means "unchanged" to clients; bad input is 400.
            OpError::Unchanged(_) => StatusCode::UNPROCESSABLE_ENTITY,
            OpError::UnknownUser(_) | OpError::NoSuchVersion(_) | OpError::ReshareNotSecret(_) => {
                StatusCode::BAD_REQUEST
            }
            OpError::HourlyCap => StatusCode::TOO_MANY_REQUESTS,
            OpError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, e.to_string())
    }
}

fn parse_uri(uri: &str) -> Result<ResourceName, ApiError> {
    ResourceName::from_uri(uri).map_err(ApiError::from)
}

/// A `visibility` field: absent or null, or one of [`Visibility`]'s values (else 400).
fn parse_visibility(v: Option<&str>) -> Result<Option<Visibility>, ApiError> {
    v.map(str::parse).transpose().map_err(ApiError::from)
}

/// A body's `visibility` that is there but not a string is refused as a visibility (not as a type error).
fn visibility_is_text(body: &Value) -> Result<(), ApiError> {
    match body.get("visibility") {
        None | Some(Value::Null | Value::String(_)) => Ok(()),
        Some(other) => Err(ApiError::bad_request(format!(
            "invalid visibility {other}: use private, unlisted or public"
        ))),
    }
}

fn parse_payload(body: Value, from_url: Option<&ResourceName>) -> Result<Payload, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the resource payload must be a json object",
        ));
    }
    visibility_is_text(&body)?;
    let typed: ResourcePayload = from_json(&body, "resource payload")?;
    let name = match (typed.name, from_url) {
        (Some(given), Some(url_name)) => {
            let last = url_name
                .address()
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned();
            if given != url_name.address() && given != last {
                return Err(ApiError::bad_request(format!(
                    "payload name {given:?} does not match the resource {url_name} in the url"
                )));
            }
            url_name.clone()
        }
        (Some(given), None) => ResourceName::from_address(&given)?,
        (None, Some(url_name)) => url_name.clone(),
        (None, None) => {
            return Err(ApiError::bad_request("the resource payload needs a name"));
        }
    };
    // Without a `visibility`, a create is private and an update keeps the current one. The default is not
    // written into the config: older clients pass every stored key back to their constructors.
    let visibility = parse_visibility(typed.visibility.as_deref())?;
    // The config is stored as it came (key order and keys beyond the payload's fields included).
    let Value::Object(mut map) = body else {
        unreachable!("checked above")
    };
    map.insert("name".to_owned(), Value::String(name.address()));
    Ok(Payload {
        name,
        resource_type: typed.resource_type,
        visibility,
        config: Value::Object(map),
    })
}

/// `GET /resource/{uri}`: token and resource are looked up in one query, as this is the hot path.
#[utoipa::path(get, path = "/resource/{uri}", tag = "resource", security(("bearer" = [])),
    params(("uri" = String, Path, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}){1,3}$", description = "the address without its leading `/`, each `/` as `:` (`alice:proj:model`)")),
    responses(
        (status = 200, description = "the stored payload", body = Data<ResourcePayload>),
        (status = 400, description = "not a resource address", body = ErrorBody),
        (status = 404, description = "no such resource, or one the caller may not read", body = ErrorBody),
    ))]
pub(super) async fn read(
    State(state): State<AppState>,
    headers: HeaderMap,
    UriParam(uri): UriParam,
) -> Result<Response, ApiError> {
    let hash = bearer_hash(&headers)?;
    let name = match parse_uri(&uri) {
        Ok(name) => name,
        // A bad token is a 401 even when the uri is bad too.
        Err(e) => match state.store.user_by_token_hash(&hash).await? {
            Some(_) => return Err(e),
            None => return Err(rejected_token(&state.store, &hash).await),
        },
    };
    match ops::read(&state.store, &hash, &name).await? {
        ops::Read::Found(config) => Ok(super::ok(config)),
        ops::Read::BadToken => Err(rejected_token(&state.store, &hash).await),
    }
}

/// `POST /resource` (also `/resource/`): create. Only the owner may create under `/<owner>/`.
#[utoipa::path(post, path = "/resource", tag = "resource", security(("bearer" = [])),
    request_body = ResourcePayload,
    responses(
        (status = 200, description = "created (200, not 201: the original client takes anything else as a failure)", body = Data<ResourcePayload>),
        (status = 400, description = "a bad payload or name", body = ErrorBody),
        (status = 403, description = "under another user's address", body = ErrorBody),
        (status = 409, description = "it exists already (a secret's metadata is updated instead)", body = ErrorBody),
        (status = 422, description = "a secret whose metadata is unchanged (Runhouse re-saves secrets)", body = ErrorBody),
    ))]
pub(super) async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let p = parse_payload(body, None)?;
    match ops::create(&state.store, &caller, &p).await {
        // Runhouse's `Secret.save` POSTs a secret's metadata every time and tolerates only 200 and 422: an
        // existing secret is updated (200) or unchanged (422), by the update's rules.
        Err(OpError::Exists(name)) if p.resource_type.as_deref() == Some("secret") => {
            // Only over a secret: another type at that address stays as it is (409).
            let existing = state
                .store
                .resource_for(&name.uri(), &caller.username)
                .await?;
            let is_secret = existing.is_some_and(|(res, _)| {
                res.config.get("resource_type").and_then(Value::as_str) == Some("secret")
            });
            if !is_secret {
                return Err(OpError::Exists(name).into());
            }
            ops::update(&state.store, &caller, &p).await?;
        }
        other => other?,
    }
    // 200, not 201: the original client treats anything else as a failure.
    Ok(super::ok(p.config))
}

/// `PUT /resource/{uri}`: 200 updated, 404 absent (the client then creates), 422 unchanged.
#[utoipa::path(put, path = "/resource/{uri}", tag = "resource", security(("bearer" = [])),
    params(("uri" = String, Path, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}){1,3}$", description = "the address without its leading `/`, each `/` as `:` (`alice:proj:model`)")),
    request_body = ResourcePayload,
    responses(
        (status = 200, description = "updated", body = Data<ResourcePayload>),
        (status = 400, description = "a bad payload, or a name that is not the url's", body = ErrorBody),
        (status = 403, description = "read-only access", body = ErrorBody),
        (status = 404, description = "no such resource (the client then creates it)", body = ErrorBody),
        (status = 422, description = "unchanged: nothing to update", body = ErrorBody),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    let p = parse_payload(body, Some(&name))?;
    ops::update(&state.store, &caller, &p).await?;
    Ok(super::ok(p.config))
}

/// `DELETE /resource/{uri}` (`?delete_creds=…` is accepted and ignored).
#[utoipa::path(delete, path = "/resource/{uri}", tag = "resource", security(("bearer" = [])),
    params(("uri" = String, Path, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}){1,3}$", description = "the address without its leading `/`, each `/` as `:` (`alice:proj:model`)"), ("delete_creds" = Option<String>, Query, description = "accepted and ignored (the original client sends it)")),
    responses(
        (status = 200, description = "deleted", body = Data<Deleted>),
        (status = 400, description = "not a resource address", body = ErrorBody),
        (status = 403, description = "read-only access", body = ErrorBody),
        (status = 404, description = "no such resource", body = ErrorBody),
        (status = 503, description = "a secret's values could not be deleted from Vault; the resource is kept", body = ErrorBody),
    ))]
pub(super) async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    let vault = state
        .vault
        .as_deref()
        .map(|v| v as &dyn crate::dashboard::NamedSecretVault);
    ops::delete(&state.store, vault, &caller, &name).await?;
    Ok(ok_data(Deleted {
        deleted: name.address(),
    }))
}

/// `GET /resource?folder=/alice/proj[&recursive=true]`: the resources in a folder that the caller may read
/// (owned, granted or public), sorted by address. An rh addition: the original client had no remote listing.
#[utoipa::path(get, path = "/resource", tag = "resource", security(("bearer" = [])),
    params(
        ("folder" = String, Query, pattern = r"^/[A-Za-z0-9][A-Za-z0-9_.-]{0,30}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}){0,3}$", description = "`/<user>` or `/<user>/<folder>`"),
        ("recursive" = Option<bool>, Query, description = "also the resources of sub-folders (`true`/`false`, `1`/`0`)"),
    ),
    responses(
        (status = 200, description = "the resources the caller may read, sorted by address", body = Data<Vec<ListItem>>),
        (status = 400, description = "no folder, or a bad one", body = ErrorBody),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("invalid query: {}", e.body_text())))?;
    let Some(folder) = query.get("folder") else {
        return Err(ApiError::bad_request(
            "give the folder to list: ?folder=/<user>[/<folder>]",
        ));
    };
    let recursive = match query.get("recursive").map(String::as_str) {
        None | Some("" | "false" | "0") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "invalid recursive {other:?}: use true or false"
            )));
        }
    };
    let trimmed = folder.trim_end_matches('/');
    let prefix = match trimmed.strip_prefix('/') {
        Some(user) if !user.contains('/') => {
            validate_username(user)?;
            format!("{user}:")
        }
        _ => format!("{}:", ResourceName::from_address(trimmed)?.uri()),
    };
    let mut items = Vec::new();
    for (address, visibility, config) in ops::list(&state.store, &caller, &prefix).await? {
        let rest = &address[prefix.len() + 1..];
        if !recursive && rest.contains('/') {
            continue;
        }
        let subtype = config
            .get("data")
            .and_then(|d| d.get("resource_subtype"))
            .or_else(|| config.get("resource_subtype"))
            .cloned()
            .unwrap_or(Value::Null);
        items.push(ListItem {
            resource_type: config
                .get("resource_type")
                .and_then(Value::as_str)
                .map(str::to_owned),
            name: address,
            resource_subtype: subtype,
            visibility: visibility.as_str().to_owned(),
        });
    }
    Ok(ok_data(items))
}

fn parse_limit(query: &HashMap<String, String>) -> Result<i64, ApiError> {
    let raw = query.get("limit").or_else(|| query.get("num_entries"));
    let Some(raw) = raw.filter(|s| !s.is_empty() && *s != "None" && *s != "null") else {
        return Ok(DEFAULT_HISTORY);
    };
    match raw.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n.min(MAX_HISTORY)),
        // Larger than any i64: a page of the most there is.
        Err(_) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => Ok(MAX_HISTORY),
        _ => Err(ApiError::bad_request(format!(
            "invalid history limit {raw:?}: use a whole number from 1 (at most {MAX_HISTORY} a page)"
        ))),
    }
}

fn parse_before(query: &HashMap<String, String>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = query
        .get("before")
        .filter(|s| !s.is_empty() && *s != "None" && *s != "null")
    else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(ApiError::bad_request(format!(
            "invalid history cursor before={raw:?}: use the version number of a `next` answer"
        ))),
    }
}

/// `GET /resource/history/{uri}?num_entries=N` (or `?limit=N`, default 100, at most 1,000; and
/// `&before=VERSION`): newest first, one page. `data` is the list of entries, as the original client reads it;
/// `next` (top level, `null` on the last page) is the `before` of the next page.
#[utoipa::path(get, path = "/resource/history/{uri}", tag = "resource", security(("bearer" = [])),
    params(("uri" = String, Path, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}){1,3}$", description = "the address without its leading `/`, each `/` as `:` (`alice:proj:model`)"),
        ("limit" = Option<i64>, Query, minimum = 1, description = "entries on a page (default 100, at most 1,000)"),
        ("num_entries" = Option<i64>, Query, minimum = 1, description = "the original client's name for `limit`"),
        ("before" = Option<i64>, Query, minimum = 1, description = "only versions older than this one (a `next`)"),
    ),
    responses(
        (status = 200, description = "one page, newest first", body = HistoryPage),
        (status = 400, description = "a bad address, limit or cursor", body = ErrorBody),
        (status = 404, description = "no such resource, or one the caller may not read", body = ErrorBody),
    ))]
pub(super) async fn history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("invalid query: {}", e.body_text())))?;
    let limit = parse_limit(&query)?;
    let before = parse_before(&query)?;
    let page = ops::history(&state.store, &caller, &name, before, limit).await?;
    let data = page
        .entries
        .into_iter()
        .map(|e| HistoryItem {
            version: Some(e.version),
            action: Some(e.action),
            timestamp: Value::String(e.timestamp),
            // The original client reads `owner` for who made the change.
            owner: Some(e.author.clone()),
            author: Some(e.author),
            data: e.config,
        })
        .collect();
    Ok(super::json_body(
        StatusCode::OK,
        &HistoryPage {
            data,
            next: page.next,
        },
    ))
}

/// `DELETE /resource/history/{uri}`: the owner removes the history at that address, of every incarnation, but
/// the entry of the current version. An rh addition.
#[utoipa::path(delete, path = "/resource/history/{uri}", tag = "resource", security(("bearer" = [])),
    params(("uri" = String, Path, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}){1,3}$", description = "the address without its leading `/`, each `/` as `:` (`alice:proj:model`)")),
    responses(
        (status = 200, description = "how many entries were removed", body = Data<Purged>),
        (status = 400, description = "not a resource address", body = ErrorBody),
        (status = 403, description = "not the owner", body = ErrorBody),
        (status = 404, description = "no such resource, or one the caller may not read", body = ErrorBody),
    ))]
pub(super) async fn purge_history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    let removed = ops::purge_history(&state.store, &caller, &name).await?;
    Ok(ok_data(Purged { purged: removed }))
}

/// The parsed body of `PUT /resource/{uri}/users/access`: a share, or with `denied` a revoke.
enum AccessChange {
    Share(ShareRequest),
    Revoke {
        users: Option<Vec<String>>,
        visibility: Option<Visibility>,
    },
}

fn parse_share(body: &Value) -> Result<AccessChange, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the access request must be a json object",
        ));
    }
    visibility_is_text(body)?;
    let req: AccessRequest = from_json(body, "access request")?;
    let users = req.users.map(Users::into_vec);
    if let Some(users) = &users
        && users.len() > MAX_SHARE_RECIPIENTS
    {
        return Err(ApiError::bad_request(format!(
            "too many users: a share request names at most {MAX_SHARE_RECIPIENTS} users or emails, not {}",
            users.len()
        )));
    }
    let level = match (req.access_level, req.access_type) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::bad_request(format!(
                "access_level {a:?} and access_type {b:?} disagree"
            )));
        }
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => "read".to_owned(),
    };
    let level = match level.as_str() {
        "denied" => None,
        other => Some(other.parse::<AccessLevel>().map_err(|_| {
            ApiError::bad_request(format!(
                "unknown access level {level:?}: use read, write or denied"
            ))
        })?),
    };
    let notify = req.notify_users.unwrap_or(true);
    let visibility = parse_visibility(req.visibility.as_deref())?;
    if users.is_none() && level.is_some() && visibility.is_none() {
        return Err(ApiError::bad_request("no users given to share with"));
    }
    Ok(match level {
        Some(level) => AccessChange::Share(ShareRequest {
            users: users.unwrap_or_default(),
            level,
            notify,
            visibility,
            allow_reshare: req.allow_reshare,
        }),
        None if req.allow_reshare.is_some() => {
            return Err(ApiError::bad_request(
                "allow_reshare goes with a share (read or write), not with denied",
            ));
        }
        None => AccessChange::Revoke { users, visibility },
    })
}

/// `PUT /resource/{uri}/users/access`: grant `read`/`write`, or revoke with `denied`.
#[utoipa::path(put, path = "/resource/{uri}/users/access", tag = "resource", security(("bearer" = [])),
    params(("uri" = String, Path, pattern = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}){1,3}$", description = "the address without its leading `/`, each `/` as `:` (`alice:proj:model`)")),
    request_body = AccessRequest,
    responses(
        (status = 200, description = "who got (or lost) access, in the order given", body = Data<AccessResult>),
        (status = 400, description = "a bad request, an unknown user or too many users", body = ErrorBody),
        (status = 403, description = "read-only access; a secret's grantee (the owner alone shares a secret, unless it allowed its write grantees to: allow_reshare)", body = ErrorBody),
        (status = 404, description = "no such resource, or one the caller may not read", body = ErrorBody),
        (status = 429, description = "too many invitations or notifications this hour", body = ErrorBody),
    ))]
pub(super) async fn share(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    let shared = match parse_share(&body)? {
        AccessChange::Share(req) => ops::share(&state.store, &caller, &name, &req).await?,
        AccessChange::Revoke { users, visibility } => {
            ops::revoke(&state.store, &caller, &name, users.as_deref(), visibility).await?
        }
    };
    let levels = |m: serde_json::Map<String, Value>| {
        m.into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()
    };
    Ok(ok_data(AccessResult {
        added_users: levels(shared.added),
        new_users: levels(shared.new),
    }))
}
