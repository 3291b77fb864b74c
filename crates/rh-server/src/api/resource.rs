//! `/resource…`: create, read, update, delete, history and sharing, with the authorization rules of issue 5.
//!
//! Who may do what: the owner (first address segment) and `write` grantees may update, share and delete;
//! `read` grantees and everyone (for `public`/`unlisted` resources) may read. A caller who may not read a
//! resource gets the same 404 as for a missing one; a caller who may read but not change it gets 403.
//!
//! History belongs to one incarnation of a resource (a delete and re-create starts a new one) and shows each
//! reader only the versions they could read: the owner all of them; anyone else the versions from the one
//! current when they got access on: their grant, or the resource becoming unlisted or public (the newest of
//! those transitions, so a private spell in between is never shown). Only the owner may purge it.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{ApiError, AppState, Caller, JsonBody, UriParam, bearer_hash, ok, rejected_token};
use crate::audit::Audit;
use crate::names::{ResourceName, normalize_email, validate_username};
use crate::store::{
    Change, Granted, Grantee, HistoryScope, HistoryView, Notification, StoredResource, User,
};

/// Accepted `visibility` values; the first is the default.
const VISIBILITIES: &[&str] = &["private", "unlisted", "public"];
/// History entries a request without `limit` returns.
pub(crate) const DEFAULT_HISTORY: i64 = 100;
/// Most history entries one request returns (a larger `limit` is cut to it; `next` reads on).
pub(crate) const MAX_HISTORY: i64 = 1_000;
/// Most users and emails one share request names.
pub(crate) const MAX_SHARE_RECIPIENTS: usize = 100;

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

/// The history `caller` may see of the resource in `view`: its incarnation, from the first version they could
/// read on; `None` if they may not read it.
pub(crate) fn history_scope(caller: &User, view: &HistoryView) -> Option<HistoryScope> {
    let res = &view.resource;
    let from_version = match access(caller, res, view.grant.as_deref()) {
        Access::None => return None,
        _ if caller.username == res.owner => 0,
        _ => {
            // Missing markers (never written since migration 5) count as "from the current version".
            let granted = matches!(view.grant.as_deref(), Some("read" | "write"))
                .then(|| view.grant_since.unwrap_or(res.version));
            let open =
                (res.visibility != "private").then(|| view.open_since.unwrap_or(res.version));
            granted.into_iter().chain(open).min().unwrap_or(res.version)
        }
    };
    Some(HistoryScope {
        resource_id: view.resource_id.clone(),
        from_version,
    })
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
            &audit(&caller, "resource.create", &p.name),
        )
        .await?;
    if !created {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("resource {} already exists", p.name),
        ));
    }
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
        .update_locked(
            &name.uri(),
            &caller.username,
            &audit(&caller, "resource.update", &name),
            |res, grant| {
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
            },
        )
        .await?;
    match updated {
        Some(_) => Ok(ok(p.config)),
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
            let audit = audit(&caller, "resource.delete", &name);
            if state
                .store
                .delete_resource(&name.uri(), &caller.username, &audit)
                .await?
            {
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

/// The history `caller` may see at `name`: the current resource's, or for its owner the last incarnation of
/// a deleted one. `None` (answered 404) otherwise.
async fn scope_for(
    state: &AppState,
    caller: &User,
    name: &ResourceName,
) -> Result<Option<HistoryScope>, ApiError> {
    let uri = name.uri();
    Ok(
        match state.store.history_view(&uri, &caller.username).await? {
            Some(view) => history_scope(caller, &view),
            None if name.owner() == caller.username => state
                .store
                .last_incarnation(&uri)
                .await?
                .map(|resource_id| HistoryScope {
                    resource_id,
                    from_version: 0,
                }),
            None => None,
        },
    )
}

/// `GET /resource/history/{uri}?num_entries=N` (or `?limit=N`, default 100, at most 1,000; and
/// `&before=VERSION`): newest first, one page. `data` is the list of entries, as the original client reads it;
/// `next` (top level, `null` on the last page) is the `before` of the next page.
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
    let Some(scope) = scope_for(&state, &caller, &name).await? else {
        return Err(not_found(&name));
    };
    let page = state
        .store
        .history_page(&scope, before, limit, true)
        .await?;
    if page.entries.is_empty() && before.is_none() {
        return Err(not_found(&name));
    }
    let list: Vec<Value> = page
        .entries
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
    Ok(super::json_response(
        StatusCode::OK,
        &json!({ "data": list, "next": page.next }),
    ))
}

/// `DELETE /resource/history/{uri}`: the owner removes the history at that address, of every incarnation, but
/// the entry of the current version. An rh addition.
pub(super) async fn purge_history(
    State(state): State<AppState>,
    Caller(caller): Caller,
    UriParam(uri): UriParam,
) -> Result<Response, ApiError> {
    let name = parse_uri(&uri)?;
    if name.owner() != caller.username {
        // Anyone else: the same answers as for a change they may not make.
        return match state
            .store
            .resource_for(&name.uri(), &caller.username)
            .await?
        {
            Some((res, grant)) if access(&caller, &res, grant.as_deref()) >= Access::Read => {
                Err(ApiError::forbidden(format!(
                    "only {} can purge the history of {name}",
                    name.owner()
                )))
            }
            _ => Err(not_found(&name)),
        };
    }
    let removed = state
        .store
        .purge_history(&name.uri(), &audit(&caller, "resource.purge", &name))
        .await?;
    Ok(ok(json!({ "purged": removed })))
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
        Some(Value::Array(items)) if items.len() > MAX_SHARE_RECIPIENTS => {
            return Err(ApiError::bad_request(format!(
                "too many users: a share request names at most {MAX_SHARE_RECIPIENTS} users or emails, not {}",
                items.len()
            )));
        }
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
    if req.level != "denied"
        && let Some(r) = &resolved
    {
        // Checked before the visibility changes too, so a refused share changes nothing.
        let others = || {
            r.iter()
                .filter(|r| r.grantee != Grantee::User(name.owner().to_owned()))
        };
        let mails = if req.notify {
            others().filter(|r| r.email.is_some()).count()
        } else {
            0
        };
        let invites = others()
            .filter(|r| matches!(r.grantee, Grantee::Email(_)))
            .count();
        if state
            .store
            .over_hourly_cap(&caller.username, mails, invites)
            .await?
        {
            return Err(hourly_cap());
        }
    }
    if let Some(visibility) = req.visibility.as_deref().filter(|v| *v != res.visibility) {
        set_visibility(&state, &caller, &name, visibility).await?;
    }
    let mut added = Map::new();
    let mut new = Map::new();
    if req.level == "denied" {
        let list: Option<Vec<Grantee>> = resolved
            .as_ref()
            .map(|r| r.iter().map(|r| r.grantee.clone()).collect());
        let audit = audit(&caller, "resource.revoke", &name);
        for g in state
            .store
            .revoke(&name.uri(), list.as_deref(), &audit)
            .await?
        {
            match g {
                Grantee::User(u) => added.insert(u, json!("denied")),
                Grantee::Email(e) => new.insert(e, json!("denied")),
            };
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
            let who = added.keys().chain(new.keys()).cloned().collect::<Vec<_>>();
            let detail = format!("{}:{}", who.join(","), req.level);
            let audit = audit(&caller, "resource.share", &name).detail(detail);
            let granted = state
                .store
                .grant(
                    &name.uri(),
                    &grantees,
                    &req.level,
                    &caller.username,
                    &notes,
                    &audit,
                )
                .await?;
            if granted == Granted::HourlyCapReached {
                return Err(hourly_cap());
            }
        }
    }
    Ok(ok(json!({ "added_users": added, "new_users": new })))
}

/// Why a share over [`crate::store::INVITES_PER_HOUR`] was refused.
pub(crate) fn hourly_cap_text() -> String {
    let n = crate::store::INVITES_PER_HOUR;
    format!(
        "too many invitations: a user queues at most {n} notification mails and {n} invitations of new emails \
         an hour; nothing was shared, try again later"
    )
}

/// The 429 of a share over [`crate::store::INVITES_PER_HOUR`].
fn hourly_cap() -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, hourly_cap_text())
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
    let audit = audit(caller, "resource.visibility", name).detail(visibility);
    let updated = state
        .store
        .update_locked(&name.uri(), &caller.username, &audit, |res, grant| {
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
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(not_found(name)),
        Err(e) => Err(e),
    }
}

/// The audit row of a change `caller` makes to `name`, written in the change's transaction.
fn audit(caller: &User, action: &str, name: &ResourceName) -> Audit {
    Audit::new(&caller.username, action, &name.address())
}
