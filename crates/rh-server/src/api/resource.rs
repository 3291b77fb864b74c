//! `/resource…`: create, read, update, delete, history and sharing, with the authorization rules of issue 5.
//!
//! Who may do what: the owner (first address segment) and `write` grantees may update, share and delete;
//! `read` grantees and everyone (for `public`/`unlisted` resources) may read. A caller who may not read a
//! resource gets the same 404 as for a missing one; a caller who may read but not change it gets 403.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{ApiError, AppState, Caller, JsonBody, UriParam, bearer_hash, ok, rejected_token};
use crate::names::{ResourceName, normalize_email, validate_username};
use crate::store::{Change, Grantee, Notification, StoredResource, User};

/// Accepted `visibility` values; the first is the default.
const VISIBILITIES: &[&str] = &["private", "unlisted", "public"];
/// Most history entries one request returns.
const MAX_HISTORY: i64 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    None,
    Read,
    Write,
}

pub(crate) fn access(caller: &User, res: &StoredResource, grant: Option<&str>) -> Access {
    if caller.username == res.owner {
        return Access::Write;
    }
    match grant {
        Some("write") => Access::Write,
        Some("read") => Access::Read,
        _ if res.visibility == "public" || res.visibility == "unlisted" => Access::Read,
        _ => Access::None,
    }
}

fn not_found(name: &ResourceName) -> ApiError {
    ApiError::not_found(format!("resource {name} not found"))
}

fn read_only(name: &ResourceName) -> ApiError {
    ApiError::forbidden(format!("you have read-only access to {name}"))
}

fn parse_uri(uri: &str) -> Result<ResourceName, ApiError> {
    ResourceName::from_uri(uri).map_err(ApiError::from)
}

/// A validated resource payload: core fields at the top level plus `data` (spec §5.2).
struct Payload {
    name: ResourceName,
    resource_type: Option<String>,
    visibility: Option<String>,
    config: Value,
}

fn parse_visibility(v: Option<&Value>) -> Result<Option<String>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if VISIBILITIES.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::bad_request(format!(
            "invalid visibility {other}: use private, unlisted or public"
        ))),
    }
}

fn parse_payload(body: Value, from_url: Option<&ResourceName>) -> Result<Payload, ApiError> {
    let Value::Object(mut map) = body else {
        return Err(ApiError::bad_request(
            "the resource payload must be a json object",
        ));
    };
    let name = match (map.get("name"), from_url) {
        (Some(Value::String(given)), Some(url_name)) => {
            let last = url_name
                .address()
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_owned();
            if *given != url_name.address() && *given != last {
                return Err(ApiError::bad_request(format!(
                    "payload name {given:?} does not match the resource {url_name} in the url"
                )));
            }
            url_name.clone()
        }
        (Some(Value::String(given)), None) => ResourceName::from_address(given)?,
        (None | Some(Value::Null), Some(url_name)) => url_name.clone(),
        (None | Some(Value::Null), None) => {
            return Err(ApiError::bad_request("the resource payload needs a name"));
        }
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "name must be a string, not {other}"
            )));
        }
    };
    let resource_type = match map.get("resource_type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "resource_type must be a string, not {other}"
            )));
        }
    };
    // Without a `visibility`, a create is private and an update keeps the current one. The default is not
    // written into the config: older clients pass every stored key back to their constructors.
    let visibility = parse_visibility(map.get("visibility"))?;
    match map.get("folder") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "folder must be a string, not {other}"
            )));
        }
    }
    match map.get("users") {
        None | Some(Value::Null | Value::Array(_)) => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "users must be a list, not {other}"
            )));
        }
    }
    match map.get("data") {
        None | Some(Value::Null | Value::Object(_)) => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "data must be a json object, not {other}"
            )));
        }
    }
    map.insert("name".to_owned(), Value::String(name.address()));
    Ok(Payload {
        name,
        resource_type,
        visibility,
        config: Value::Object(map),
    })
}

/// `GET /resource/{uri}`: token and resource are looked up in one query, as this is the hot path.
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
    match state.store.user_and_resource(&hash, &name.uri()).await? {
        None => Err(rejected_token(&state.store, &hash).await),
        Some((caller, Some((res, grant))))
            if access(&caller, &res, grant.as_deref()) >= Access::Read =>
        {
            Ok(ok(res.config))
        }
        Some(_) => Err(not_found(&name)),
    }
}

/// `POST /resource`: create. Only the owner may create under `/<owner>/`.
pub(super) async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let p = parse_payload(body, None)?;
    if p.name.owner() != caller.username {
        return Err(ApiError::forbidden(format!(
            "cannot create {}: only {} can create resources under /{}",
            p.name,
            p.name.owner(),
            p.name.owner()
        )));
    }
    let created = state
        .store
        .create_resource(
            &p.name.uri(),
            &p.name.address(),
            p.name.owner(),
            p.resource_type.as_deref(),
            p.visibility.as_deref().unwrap_or(VISIBILITIES[0]),
            &p.config,
            &caller.username,
        )
        .await?;
    if !created {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("resource {} already exists", p.name),
        ));
    }
    audit(&state, &caller, "resource.create", &p.name, None).await;
    // 200, not 201: the original client treats anything else as a failure.
    Ok(ok(p.config))
}

/// `PUT /resource/{uri}`: 200 updated, 404 absent (the client then creates), 422 unchanged.
pub(super) async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    let p = parse_payload(body, Some(&name))?;
    let updated = state
        .store
        .update_locked(&name.uri(), &caller.username, |res, grant| {
            match access(&caller, res, grant) {
                Access::None => return Err(not_found(&name)),
                Access::Read => return Err(read_only(&name)),
                Access::Write => {}
            }
            if res.config == p.config {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("config for {name} has not changed, nothing to update"),
                ));
            }
            Ok(Change {
                resource_type: p.resource_type.clone(),
                visibility: p
                    .visibility
                    .clone()
                    .unwrap_or_else(|| res.visibility.clone()),
                config: p.config.clone(),
            })
        })
        .await?;
    match updated {
        Some(_) => {
            audit(&state, &caller, "resource.update", &name, None).await;
            Ok(ok(p.config))
        }
        None => Err(not_found(&name)),
    }
}

/// `DELETE /resource/{uri}` (`?delete_creds=…` is accepted and ignored).
pub(super) async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    let Some((res, grant)) = state
        .store
        .resource_for(&name.uri(), &caller.username)
        .await?
    else {
        return Err(not_found(&name));
    };
    match access(&caller, &res, grant.as_deref()) {
        Access::None => Err(not_found(&name)),
        Access::Read => Err(read_only(&name)),
        Access::Write => {
            if state
                .store
                .delete_resource(&name.uri(), &caller.username)
                .await?
            {
                audit(&state, &caller, "resource.delete", &name, None).await;
                Ok(ok(json!({ "deleted": name.address() })))
            } else {
                Err(not_found(&name))
            }
        }
    }
}

/// `GET /resource?folder=/alice/proj[&recursive=true]`: the resources in a folder that the caller may read
/// (owned, granted or public), sorted by address. An rh addition: the original client had no remote listing.
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
    for (address, visibility, config) in state
        .store
        .list_resources(&prefix, &caller.username)
        .await?
    {
        let rest = &address[prefix.len() + 1..];
        if !recursive && rest.contains('/') {
            continue;
        }
        let field = |k: &str| config.get(k).cloned().unwrap_or(Value::Null);
        let subtype = config
            .get("data")
            .and_then(|d| d.get("resource_subtype"))
            .cloned()
            .unwrap_or_else(|| field("resource_subtype"));
        items.push(json!({
            "name": address,
            "resource_type": field("resource_type"),
            "resource_subtype": subtype,
            "visibility": visibility,
        }));
    }
    Ok(ok(Value::Array(items)))
}

fn parse_limit(query: &HashMap<String, String>) -> Result<Option<i64>, ApiError> {
    let raw = query.get("limit").or_else(|| query.get("num_entries"));
    let Some(raw) = raw.filter(|s| !s.is_empty() && *s != "None" && *s != "null") else {
        return Ok(None);
    };
    match raw.parse::<i64>() {
        Ok(n) if (1..=MAX_HISTORY).contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::bad_request(format!(
            "invalid history limit {raw:?}: use a whole number from 1 to {MAX_HISTORY}"
        ))),
    }
}

/// `GET /resource/history/{uri}?num_entries=N` (or `?limit=N`): newest first.
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
    let visible = match state
        .store
        .resource_for(&name.uri(), &caller.username)
        .await?
    {
        Some((res, grant)) => access(&caller, &res, grant.as_deref()) >= Access::Read,
        // The owner still sees the history of a deleted resource.
        None => name.owner() == caller.username,
    };
    if !visible {
        return Err(not_found(&name));
    }
    let entries = state.store.history(&name.uri(), limit).await?;
    if entries.is_empty() {
        return Err(not_found(&name));
    }
    let list: Vec<Value> = entries
        .into_iter()
        .map(|e| {
            json!({
                "version": e.version,
                "action": e.action,
                "timestamp": e.timestamp,
                "author": e.author,
                // The original client reads `owner` for who made the change.
                "owner": e.author,
                "data": e.config,
            })
        })
        .collect();
    Ok(ok(Value::Array(list)))
}

/// The parsed body of `PUT /resource/{uri}/users/access`.
struct ShareRequest {
    users: Option<Vec<String>>,
    level: String,
    notify: bool,
    visibility: Option<String>,
}

fn parse_share(body: Value) -> Result<ShareRequest, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::bad_request(
            "the access request must be a json object",
        ));
    };
    let users = match map.get("users") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(ApiError::bad_request(format!(
                        "users must be usernames or emails, not {other}"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "users must be a list of usernames or emails, not {other}"
            )));
        }
    };
    let level_of = |key: &str| match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::bad_request(format!(
            "{key} must be a string, not {other}"
        ))),
    };
    let level = match (level_of("access_level")?, level_of("access_type")?) {
        (Some(a), Some(b)) if a != b => {
            return Err(ApiError::bad_request(format!(
                "access_level {a:?} and access_type {b:?} disagree"
            )));
        }
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => "read".to_owned(),
    };
    if !matches!(level.as_str(), "read" | "write" | "denied") {
        return Err(ApiError::bad_request(format!(
            "unknown access level {level:?}: use read, write or denied"
        )));
    }
    let notify = match map.get("notify_users") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "notify_users must be true or false, not {other}"
            )));
        }
    };
    let visibility = parse_visibility(map.get("visibility"))?;
    if users.is_none() && level != "denied" && visibility.is_none() {
        return Err(ApiError::bad_request("no users given to share with"));
    }
    Ok(ShareRequest {
        users,
        level,
        notify,
        visibility,
    })
}

/// A user named in a share request, resolved against the accounts.
struct Resolved {
    grantee: Grantee,
    email: Option<String>,
}

async fn resolve_users(state: &AppState, users: &[String]) -> Result<Vec<Resolved>, ApiError> {
    let mut out: Vec<Resolved> = Vec::new();
    for raw in users {
        let raw = raw.trim();
        let resolved = if raw.contains('@') {
            let email = normalize_email(raw)?;
            match state.store.user_by_email(&email).await? {
                Some(u) => Resolved {
                    grantee: Grantee::User(u.username),
                    email: Some(email),
                },
                None => Resolved {
                    grantee: Grantee::Email(email.clone()),
                    email: Some(email),
                },
            }
        } else {
            validate_username(raw)?;
            match state.store.user_by_name(raw).await? {
                Some(u) => Resolved {
                    grantee: Grantee::User(u.username),
                    email: u.email,
                },
                None => return Err(ApiError::bad_request(format!("unknown user {raw:?}"))),
            }
        };
        if !out.iter().any(|r| r.grantee == resolved.grantee) {
            out.push(resolved);
        }
    }
    Ok(out)
}

/// `PUT /resource/{uri}/users/access`: grant `read`/`write`, or revoke with `denied`.
pub(super) async fn share(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    let req = parse_share(body)?;
    let Some((res, grant)) = state
        .store
        .resource_for(&name.uri(), &caller.username)
        .await?
    else {
        return Err(not_found(&name));
    };
    match access(&caller, &res, grant.as_deref()) {
        Access::None => return Err(not_found(&name)),
        Access::Read => return Err(read_only(&name)),
        Access::Write => {}
    }
    let resolved = match &req.users {
        Some(users) => Some(resolve_users(&state, users).await?),
        None => None,
    };
    if let Some(visibility) = req.visibility.as_deref().filter(|v| *v != res.visibility) {
        set_visibility(&state, &caller, &name, visibility).await?;
    }
    let mut added = Map::new();
    let mut new = Map::new();
    if req.level == "denied" {
        let list: Option<Vec<Grantee>> = resolved
            .as_ref()
            .map(|r| r.iter().map(|r| r.grantee.clone()).collect());
        for g in state.store.revoke(&name.uri(), list.as_deref()).await? {
            match g {
                Grantee::User(u) => added.insert(u, json!("denied")),
                Grantee::Email(e) => new.insert(e, json!("denied")),
            };
        }
        if !added.is_empty() || !new.is_empty() {
            let who = added.keys().chain(new.keys()).cloned().collect::<Vec<_>>();
            audit(
                &state,
                &caller,
                "resource.revoke",
                &name,
                Some(&who.join(",")),
            )
            .await;
        }
    } else {
        let owner = name.owner().to_owned();
        let targets: Vec<Resolved> = resolved
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.grantee != Grantee::User(owner.clone()))
            .collect();
        let mut notes = Vec::new();
        for r in &targets {
            match &r.grantee {
                Grantee::User(u) => added.insert(u.clone(), json!(req.level)),
                Grantee::Email(e) => new.insert(e.clone(), json!(req.level)),
            };
            if req.notify
                && let Some(email) = &r.email
            {
                notes.push(notification(
                    &caller.username,
                    &name,
                    &req.level,
                    email,
                    &r.grantee,
                ));
            }
        }
        let grantees: Vec<Grantee> = targets.into_iter().map(|r| r.grantee).collect();
        if !grantees.is_empty() {
            state
                .store
                .grant(&name.uri(), &grantees, &req.level, &caller.username, &notes)
                .await?;
            let who = added.keys().chain(new.keys()).cloned().collect::<Vec<_>>();
            let detail = format!("{}:{}", who.join(","), req.level);
            audit(&state, &caller, "resource.share", &name, Some(&detail)).await;
        }
    }
    Ok(ok(json!({ "added_users": added, "new_users": new })))
}

pub(crate) fn notification(
    by: &str,
    name: &ResourceName,
    level: &str,
    email: &str,
    g: &Grantee,
) -> Notification {
    let mut body = format!("{by} gave you {level} access to {name}.\n");
    if matches!(g, Grantee::Email(_)) {
        body.push_str("Create an rh account with this email address to use it.\n");
    }
    Notification {
        recipient: email.to_owned(),
        subject: format!("{by} shared {name} with you"),
        body,
    }
}

async fn set_visibility(
    state: &AppState,
    caller: &User,
    name: &ResourceName,
    visibility: &str,
) -> Result<(), ApiError> {
    let updated = state
        .store
        .update_locked(&name.uri(), &caller.username, |res, grant| {
            if access(caller, res, grant) < Access::Write {
                return Err(read_only(name));
            }
            let mut config = res.config.clone();
            if let Value::Object(map) = &mut config {
                map.insert("visibility".to_owned(), json!(visibility));
            }
            Ok(Change {
                resource_type: config
                    .get("resource_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                visibility: visibility.to_owned(),
                config,
            })
        })
        .await;
    match updated {
        Ok(Some(_)) => {
            audit(state, caller, "resource.visibility", name, Some(visibility)).await;
            Ok(())
        }
        Ok(None) => Err(not_found(name)),
        Err(e) => Err(e),
    }
}

/// Writes the audit row of a change `caller` made to `name`.
async fn audit(
    state: &AppState,
    caller: &User,
    action: &str,
    name: &ResourceName,
    detail: Option<&str>,
) {
    crate::audit::record(
        &state.store,
        &caller.username,
        action,
        &name.address(),
        detail,
    )
    .await;
}
