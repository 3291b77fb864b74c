//! Resource pages: the list, one resource (config, history, sharing, visibility), the diff of two versions,
//! restore and delete.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::{Value, json};

use super::db::{self, Listed, Share};
use super::diff::{RowKind, side_by_side};
use super::layout::{Nav, badge, csrf, not_found, notice, page, when};
use super::mask::{pretty_masked, pretty_pair};
use super::{CsrfForm, Dash, Session, enc, internal};
use crate::api::resource::{Access, access, notification};
use crate::names::{ResourceName, normalize_email, validate_username};
use crate::store::{Change, Grantee, HistoryEntry, StoredResource};

/// Most history entries a resource page lists.
const PAGE_HISTORY: i64 = 500;
const VISIBILITIES: &[&str] = &["private", "unlisted", "public"];

type Params = Query<HashMap<String, String>>;

fn folder_of(name: &str) -> &str {
    name.rsplit_once('/')
        .map_or("/", |(f, _)| if f.is_empty() { "/" } else { f })
}

fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "restored" => "Version restored: it is now the current configuration.",
        "unchanged" => "That version is already the current configuration.",
        "shared" => "Access granted.",
        "revoked" => "Access revoked.",
        "visibility" => "Visibility updated.",
        "deleted" => "Resource deleted.",
        _ => return None,
    })
}

/// `GET /`: the caller's resources and those shared with them, filtered by folder, type and name.
pub(super) async fn list(
    State(state): State<Dash>,
    session: Session,
    Query(q): Params,
) -> Response {
    let all = match db::list_resources(&state.store, &session.user.username).await {
        Ok(l) => l,
        Err(e) => return internal(&e),
    };
    let search = q.get("q").map_or("", |s| s.trim());
    let folder = q.get("folder").map_or("", String::as_str);
    let rtype = q.get("type").map_or("", String::as_str);
    let folders: BTreeSet<&str> = all.iter().map(|r| folder_of(&r.name)).collect();
    let types: BTreeSet<&str> = all
        .iter()
        .filter_map(|r| r.resource_type.as_deref())
        .collect();
    let needle = search.to_lowercase();
    let shown: Vec<&Listed> = all
        .iter()
        .filter(|r| folder.is_empty() || folder_of(&r.name) == folder)
        .filter(|r| rtype.is_empty() || r.resource_type.as_deref() == Some(rtype))
        .filter(|r| needle.is_empty() || r.name.to_lowercase().contains(&needle))
        .collect();
    let filtered = !(search.is_empty() && folder.is_empty() && rtype.is_empty());
    let body = html! {
        div.head {
            h1 { "Resources" }
            p.muted { "Your resources and those shared with you." }
        }
        @if let Some(t) = q.get("done").and_then(|d| done_text(d)) { (notice(true, t)) }
        form.filters method="get" action="/" role="search" {
            div.field.grow {
                label for="q" { "Search by name" }
                input #q type="search" name="q" value=(search) placeholder="e.g. model";
            }
            div.field {
                label for="folder" { "Folder" }
                select #folder name="folder" data-autosubmit {
                    option value="" { "All folders" }
                    @for f in &folders { option value=(f) selected[*f == folder] { (f) } }
                }
            }
            div.field {
                label for="type" { "Type" }
                select #type name="type" data-autosubmit {
                    option value="" { "All types" }
                    @for t in &types { option value=(t) selected[*t == rtype] { (t) } }
                }
            }
            div.actions {
                button.primary type="submit" { "Apply" }
                @if filtered { a.button.secondary href="/" { "Clear" } }
            }
        }
        section.card.flush {
            @if shown.is_empty() {
                div.empty {
                    @if all.is_empty() {
                        p { "No resources yet." }
                        p.muted { "Save one with " code { "rh save" } " or share one with " code { "rh share" } "." }
                    } @else {
                        p { "No resources match these filters." }
                    }
                }
            } @else {
                table.list #resources {
                    caption.sr-only { "Resources" }
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Type" } th scope="col" { "Owner" }
                        th scope="col" { "Access" } th scope="col" { "Visibility" } th scope="col" { "Last update" }
                    } }
                    tbody {
                        @for r in &shown {
                            tr {
                                td data-label="Name" { a.name href={ "/resources/" (enc(&r.uri)) } { (r.name) } }
                                td data-label="Type" { @if let Some(t) = &r.resource_type { (t) } @else { span.muted { "—" } } }
                                td data-label="Owner" { (r.owner) }
                                td data-label="Access" { (badge(&r.access, &r.access)) }
                                td data-label="Visibility" { (badge(&r.visibility, &r.visibility)) }
                                td data-label="Last update" { (when(&r.updated_at)) }
                            }
                        }
                    }
                }
                p.count.muted { (shown.len()) " of " (all.len()) " resource" @if all.len() != 1 { "s" } }
            }
        }
    };
    page("Resources", Some(&session), Nav::Resources, &body).into_response()
}

/// A resource the caller may read.
struct Loaded {
    name: ResourceName,
    res: StoredResource,
    access: Access,
}

async fn load(state: &Dash, session: &Session, uri: &str) -> Result<Loaded, Response> {
    let Ok(name) = ResourceName::from_uri(uri) else {
        return Err(not_found(session, uri));
    };
    let found = state
        .store
        .resource_for(&name.uri(), &session.user.username)
        .await
        .map_err(|e| internal(&e))?;
    match found {
        Some((res, grant)) => {
            let level = access(&session.user, &res, grant.as_deref());
            if level == Access::None {
                Err(not_found(session, &name.address()))
            } else {
                Ok(Loaded {
                    name,
                    res,
                    access: level,
                })
            }
        }
        None => Err(not_found(session, &name.address())),
    }
}

fn href(name: &ResourceName, tail: &str) -> String {
    format!("/resources/{}{tail}", enc(&name.uri()))
}

fn access_label(a: Access, owner: bool) -> &'static str {
    match a {
        _ if owner => "owner",
        Access::Write => "write",
        Access::Read | Access::None => "read",
    }
}

/// `GET /resources/{uri}`.
pub(super) async fn show(
    State(state): State<Dash>,
    session: Session,
    Path(uri): Path<String>,
    Query(q): Params,
) -> Response {
    let l = match load(&state, &session, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let banner = q
        .get("done")
        .and_then(|d| done_text(d))
        .map(|t| (true, t.to_owned()));
    render_resource(&state, &session, &l, banner, StatusCode::OK).await
}

async fn render_resource(
    state: &Dash,
    session: &Session,
    l: &Loaded,
    banner: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    let uri = l.name.uri();
    let history = match state.store.history(&uri, Some(PAGE_HISTORY)).await {
        Ok(h) => h,
        Err(e) => return internal(&e),
    };
    let times = match db::times(&state.store, &uri).await {
        Ok(t) => t,
        Err(e) => return internal(&e),
    };
    let shares = if l.access == Access::Write {
        match db::shares(&state.store, &uri).await {
            Ok(s) => Some(s),
            Err(e) => return internal(&e),
        }
    } else {
        None
    };
    let body = resource_body(
        session,
        l,
        &history,
        times.as_ref(),
        shares.as_ref(),
        banner.as_ref(),
    );
    (
        status,
        page(&l.name.address(), Some(session), Nav::Resources, &body),
    )
        .into_response()
}

fn resource_type(config: &Value) -> Option<&str> {
    config.get("resource_type").and_then(Value::as_str)
}

fn resource_body(
    session: &Session,
    l: &Loaded,
    history: &[HistoryEntry],
    times: Option<&(String, String)>,
    shares: Option<&(Vec<Share>, Vec<Share>)>,
    banner: Option<&(bool, String)>,
) -> Markup {
    let owner = l.res.owner == session.user.username;
    let writable = l.access == Access::Write;
    let address = l.name.address();
    let current = l.res.version;
    let previous = history
        .iter()
        .find(|e| e.version < current && e.action != "delete")
        .map(|e| e.version);
    html! {
        nav.crumbs aria-label="Breadcrumb" { a href="/" { "Resources" } " / " span { (address) } }
        div.head {
            h1.name #title { (address) }
            div.tags {
                @if let Some(t) = resource_type(&l.res.config) { (badge(t, "type")) }
                (badge(&l.res.visibility, &l.res.visibility))
                (badge(access_label(l.access, owner), access_label(l.access, owner)))
            }
        }
        @if let Some((ok, text)) = banner { (notice(*ok, text)) }
        nav.sections aria-label="Sections" {
            a href="#config" { "Configuration" } a href="#history" { "History" }
            @if writable { a href="#sharing" { "Sharing" } a href="#settings" { "Settings" } }
        }
        div.grid {
            section.card #config aria-labelledby="config-h" {
                h2 #config-h { "Configuration" }
                dl.meta {
                    dt { "Owner" } dd { (l.res.owner) }
                    dt { "Version" } dd { "v" (current) }
                    @if let Some((created, updated)) = times {
                        dt { "Created" } dd { (when(created)) }
                        dt { "Updated" } dd { (when(updated)) }
                    }
                }
                p.muted.small { "Secret-like fields (tokens, passwords, keys…) are masked." }
                pre.json tabindex="0" aria-label="Configuration JSON" { code { (pretty_masked(&l.res.config)) } }
            }
            section.card #history aria-labelledby="history-h" {
                h2 #history-h { "History" }
                form #diff-form method="get" action=(href(&l.name, "/diff")) {}
                div.scroll {
                table.list.history {
                    thead { tr {
                        th scope="col" { "Version" } th scope="col" { "Change" } th scope="col" { "By" }
                        th scope="col" { "When" } th scope="col" { "Compare" }
                        @if writable { th scope="col" { span.sr-only { "Restore" } } }
                    } }
                    tbody {
                        @for e in history {
                            tr {
                                td data-label="Version" {
                                    "v" (e.version)
                                    @if e.version == current { " " (badge("current", "current")) }
                                }
                                td data-label="Change" { (e.action) }
                                td data-label="By" { (e.author) }
                                td data-label="When" { (when(&e.timestamp)) }
                                td data-label="Compare" .compare {
                                    label.radio { input type="radio" name="from" value=(e.version) form="diff-form"
                                        checked[Some(e.version) == previous] aria-label={ "Compare from version " (e.version) }; "A" }
                                    label.radio { input type="radio" name="to" value=(e.version) form="diff-form"
                                        checked[e.version == current] aria-label={ "Compare to version " (e.version) }; "B" }
                                }
                                @if writable {
                                    td.actions {
                                        @if e.version != current && e.action != "delete" {
                                            form method="post" action=(href(&l.name, "/restore")) {
                                                (csrf(session))
                                                input type="hidden" name="version" value=(e.version);
                                                button.secondary.small type="submit" aria-label={ "Restore version " (e.version) } { "Restore this version" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                }
                @if history.len() > 1 {
                    button.primary type="submit" form="diff-form" { "Compare A → B" }
                }
            }
            @if let Some((grants, invitations)) = shares {
                section.card #sharing aria-labelledby="sharing-h" {
                    h2 #sharing-h { "Sharing" }
                    @if grants.is_empty() && invitations.is_empty() {
                        p.muted { "Not shared with anyone." }
                    } @else {
                        table.list.shares {
                            thead { tr { th scope="col" { "Who" } th scope="col" { "Access" } th scope="col" { "Granted by" } th scope="col" { span.sr-only { "Revoke" } } } }
                            tbody {
                                @for g in grants {
                                    tr {
                                        td data-label="Who" { (g.who) }
                                        td data-label="Access" { (badge(&g.level, &g.level)) }
                                        td data-label="Granted by" { span.by { (g.by) (when(&g.at)) } }
                                        td.actions { (revoke_form(session, &l.name, "user", &g.who)) }
                                    }
                                }
                                @for i in invitations {
                                    tr.pending {
                                        td data-label="Who" { (i.who) " " (badge("pending invitation", "pending")) }
                                        td data-label="Access" { (badge(&i.level, &i.level)) }
                                        td data-label="Granted by" { span.by { (i.by) (when(&i.at)) } }
                                        td.actions { (revoke_form(session, &l.name, "email", &i.who)) }
                                    }
                                }
                            }
                        }
                    }
                    form.inline method="post" action=(href(&l.name, "/share")) {
                        (csrf(session))
                        div.field.grow {
                            label for="share-user" { "Username or email" }
                            input #share-user type="text" name="user" required autocomplete="off" spellcheck="false";
                        }
                        div.field {
                            label for="share-level" { "Access" }
                            select #share-level name="level" { option value="read" { "Read" } option value="write" { "Write" } }
                        }
                        div.field.check {
                            input #share-notify type="checkbox" name="notify" value="1" checked;
                            label for="share-notify" { "Notify by email" }
                        }
                        div.actions { button.primary type="submit" { "Share" } }
                    }
                }
                section.card #settings aria-labelledby="settings-h" {
                    h2 #settings-h { "Settings" }
                    form.inline method="post" action=(href(&l.name, "/visibility")) {
                        (csrf(session))
                        div.field {
                            label for="visibility" { "Visibility" }
                            select #visibility name="visibility" {
                                @for v in VISIBILITIES { option value=(v) selected[*v == l.res.visibility] { (v) } }
                            }
                        }
                        div.actions { button.primary type="submit" { "Save visibility" } }
                    }
                    p.muted.small { "private: you and people you share with · unlisted: anyone with the name · public: anyone." }
                    div.danger-zone {
                        h3 { "Delete this resource" }
                        p.muted.small { "Its history is kept; sharing is removed." }
                        a.button.danger href=(href(&l.name, "/delete")) { "Delete…" }
                    }
                }
            }
        }
    }
}

fn revoke_form(session: &Session, name: &ResourceName, field: &str, who: &str) -> Markup {
    html! {
        form method="post" action=(href(name, "/revoke")) {
            (csrf(session))
            input type="hidden" name=(field) value=(who);
            button.secondary.small type="submit" aria-label={ "Revoke access of " (who) } { "Revoke" }
        }
    }
}

/// `GET /resources/{uri}/diff?from=A&to=B`: the masked configs of two versions side by side.
pub(super) async fn diff(
    State(state): State<Dash>,
    session: Session,
    Path(uri): Path<String>,
    Query(query): Params,
) -> Response {
    let l = match load(&state, &session, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let history = match state.store.history(&l.name.uri(), None).await {
        Ok(h) => h,
        Err(e) => return internal(&e),
    };
    let pick = |key: &str, fallback: usize| -> Option<&HistoryEntry> {
        match query.get(key).and_then(|v| v.parse::<i64>().ok()) {
            Some(v) => history.iter().find(|e| e.version == v),
            None => history.get(fallback).or(history.first()),
        }
    };
    let (Some(va), Some(vb)) = (pick("from", 1), pick("to", 0)) else {
        return not_found(&session, &format!("{} (that version)", l.name.address()));
    };
    let (left, right) = pretty_pair(&va.config, &vb.config);
    let rows = side_by_side(&left, &right);
    let changed = rows.iter().filter(|r| r.kind != RowKind::Same).count();
    let address = l.name.address();
    let body = html! {
        nav.crumbs aria-label="Breadcrumb" {
            a href="/" { "Resources" } " / " a href=(href(&l.name, "")) { (address) } " / " span { "Compare" }
        }
        div.head {
            h1 { "v" (va.version) " → v" (vb.version) }
            p.muted { (address) " · " (changed) " changed line" @if changed != 1 { "s" } }
        }
        section.card.flush {
            div.scroll {
                table.diff aria-label={ "Differences between version " (va.version) " and version " (vb.version) } {
                    colgroup { col.lnc; col; col.lnc; col; }
                    thead { tr {
                        th colspan="2" scope="colgroup" { "v" (va.version) " · " (va.action) " by " (va.author) " · " (when(&va.timestamp)) }
                        th colspan="2" scope="colgroup" { "v" (vb.version) " · " (vb.action) " by " (vb.author) " · " (when(&vb.timestamp)) }
                    } }
                    tbody {
                        @for r in &rows {
                            @let class = match r.kind { RowKind::Same => "same", RowKind::Removed => "del", RowKind::Added => "add", RowKind::Changed => "chg" };
                            tr class=(class) {
                                @match &r.left {
                                    Some((n, t)) => { td.ln { (n) } td.old { code { (t) } } }
                                    None => { td.ln {} td.old.blank {} }
                                }
                                @match &r.right {
                                    Some((n, t)) => { td.ln { (n) } td.new { code { (t) } } }
                                    None => { td.ln {} td.new.blank {} }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { a.button.secondary href={ (href(&l.name, "")) "#history" } { "Back to history" } }
    };
    page(
        &format!("Compare {address}"),
        Some(&session),
        Nav::Resources,
        &body,
    )
    .into_response()
}

fn back(name: &ResourceName, done: &str, anchor: &str) -> Response {
    Redirect::to(&href(name, &format!("?done={done}#{anchor}"))).into_response()
}

async fn load_writable(state: &Dash, form: &CsrfForm, uri: &str) -> Result<Loaded, Response> {
    let l = load(state, &form.session, uri).await?;
    if l.access != Access::Write {
        return Err(super::layout::message(
            StatusCode::FORBIDDEN,
            Some(&form.session.user),
            "Read-only",
            "You have read-only access to this resource.",
        ));
    }
    Ok(l)
}

/// `POST /resources/{uri}/restore`: the config of `version` becomes a new version.
pub(super) async fn restore(
    State(state): State<Dash>,
    Path(uri): Path<String>,
    form: CsrfForm,
) -> Response {
    let l = match load_writable(&state, &form, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let Ok(version) = form.get("version").parse::<i64>() else {
        return render_resource(
            &state,
            &form.session,
            &l,
            Some((false, "Choose a version to restore.".to_owned())),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let history = match state.store.history(&l.name.uri(), None).await {
        Ok(h) => h,
        Err(e) => return internal(&e),
    };
    let Some(entry) = history.iter().find(|e| e.version == version) else {
        return render_resource(
            &state,
            &form.session,
            &l,
            Some((false, format!("There is no version {version}."))),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    if entry.config == l.res.config {
        return back(&l.name, "unchanged", "history");
    }
    let config = entry.config.clone();
    let user = &form.session.user;
    let updated = state
        .store
        .update_locked(&l.name.uri(), &user.username, |res, grant| {
            if access(user, res, grant) < Access::Write {
                return Err(crate::Error::Invalid("read-only".to_owned()));
            }
            let visibility = config
                .get("visibility")
                .and_then(Value::as_str)
                .filter(|v| VISIBILITIES.contains(v))
                .map_or_else(|| res.visibility.clone(), str::to_owned);
            Ok(Change {
                resource_type: resource_type(&config).map(str::to_owned),
                visibility,
                config: config.clone(),
            })
        })
        .await;
    match updated {
        Ok(Some(_)) => {
            let detail = format!("restored version {version}");
            let who = &user.username;
            let target = l.name.address();
            crate::audit::record(&state.store, who, "resource.update", &target, Some(&detail))
                .await;
            back(&l.name, "restored", "history")
        }
        Ok(None) => not_found(&form.session, &l.name.address()),
        Err(e) => internal(&e),
    }
}

/// Resolves a username or email to whom a grant goes, and the email to notify.
async fn grantee(state: &Dash, raw: &str) -> Result<(Grantee, Option<String>), String> {
    if raw.contains('@') {
        let email = normalize_email(raw).map_err(|e| e.to_string())?;
        match state.store.user_by_email(&email).await {
            Ok(Some(u)) => Ok((Grantee::User(u.username), Some(email))),
            Ok(None) => Ok((Grantee::Email(email.clone()), Some(email))),
            Err(e) => Err(e.to_string()),
        }
    } else {
        validate_username(raw).map_err(|e| e.to_string())?;
        match state.store.user_by_name(raw).await {
            Ok(Some(u)) => Ok((Grantee::User(u.username), u.email)),
            Ok(None) => Err(format!("There is no user named {raw}.")),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// `POST /resources/{uri}/share`: grant read or write to a user, or invite an email.
pub(super) async fn share(
    State(state): State<Dash>,
    Path(uri): Path<String>,
    form: CsrfForm,
) -> Response {
    let l = match load_writable(&state, &form, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let fail = |text: String| (false, text);
    let level = form.get("level");
    if !matches!(level, "read" | "write") {
        let b = fail("Choose read or write access.".to_owned());
        return render_resource(&state, &form.session, &l, Some(b), StatusCode::BAD_REQUEST).await;
    }
    let (g, email) = match grantee(&state, form.get("user")).await {
        Ok(x) => x,
        Err(e) => {
            return render_resource(
                &state,
                &form.session,
                &l,
                Some(fail(e)),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    if g == Grantee::User(l.res.owner.clone()) {
        let b = fail(format!("{} owns this resource already.", l.res.owner));
        return render_resource(&state, &form.session, &l, Some(b), StatusCode::BAD_REQUEST).await;
    }
    let by = &form.session.user.username;
    let notes: Vec<_> = match (&email, form.get("notify").is_empty()) {
        (Some(e), false) => vec![notification(by, &l.name, level, e, &g)],
        _ => Vec::new(),
    };
    let detail = match &g {
        Grantee::User(u) => format!("{u}:{level}"),
        Grantee::Email(e) => format!("{e}:{level}"),
    };
    match state
        .store
        .grant(&l.name.uri(), &[g], level, by, &notes)
        .await
    {
        Ok(()) => {
            let target = l.name.address();
            crate::audit::record(&state.store, by, "resource.share", &target, Some(&detail)).await;
            back(&l.name, "shared", "sharing")
        }
        Err(e) => internal(&e),
    }
}

/// `POST /resources/{uri}/revoke`: remove a user's grant (`user`) or an invitation (`email`).
pub(super) async fn revoke(
    State(state): State<Dash>,
    Path(uri): Path<String>,
    form: CsrfForm,
) -> Response {
    let l = match load_writable(&state, &form, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let g = match (form.get("user"), form.get("email")) {
        (u, _) if !u.is_empty() => Grantee::User(u.to_owned()),
        (_, e) if !e.is_empty() => Grantee::Email(e.to_owned()),
        _ => {
            let b = (false, "Nobody to revoke.".to_owned());
            return render_resource(&state, &form.session, &l, Some(b), StatusCode::BAD_REQUEST)
                .await;
        }
    };
    match state.store.revoke(&l.name.uri(), Some(&[g])).await {
        Ok(removed) => {
            for g in removed {
                let (Grantee::User(who) | Grantee::Email(who)) = g;
                let (by, target) = (&form.session.user.username, l.name.address());
                crate::audit::record(&state.store, by, "resource.revoke", &target, Some(&who))
                    .await;
            }
            back(&l.name, "revoked", "sharing")
        }
        Err(e) => internal(&e),
    }
}

/// `POST /resources/{uri}/visibility`.
pub(super) async fn visibility(
    State(state): State<Dash>,
    Path(uri): Path<String>,
    form: CsrfForm,
) -> Response {
    let l = match load_writable(&state, &form, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let v = form.get("visibility").to_owned();
    if !VISIBILITIES.contains(&v.as_str()) {
        let b = (false, "Choose private, unlisted or public.".to_owned());
        return render_resource(&state, &form.session, &l, Some(b), StatusCode::BAD_REQUEST).await;
    }
    if v == l.res.visibility {
        return back(&l.name, "visibility", "settings");
    }
    let user = &form.session.user;
    let updated = state
        .store
        .update_locked(&l.name.uri(), &user.username, |res, grant| {
            if access(user, res, grant) < Access::Write {
                return Err(crate::Error::Invalid("read-only".to_owned()));
            }
            let mut config = res.config.clone();
            if let Value::Object(map) = &mut config {
                map.insert("visibility".to_owned(), json!(v));
            }
            Ok(Change {
                resource_type: resource_type(&config).map(str::to_owned),
                visibility: v.clone(),
                config,
            })
        })
        .await;
    match updated {
        Ok(Some(_)) => {
            let target = l.name.address();
            crate::audit::record(
                &state.store,
                &user.username,
                "resource.visibility",
                &target,
                Some(&v),
            )
            .await;
            back(&l.name, "visibility", "settings")
        }
        Ok(None) => not_found(&form.session, &l.name.address()),
        Err(e) => internal(&e),
    }
}

/// `GET /resources/{uri}/delete`: the confirmation page.
pub(super) async fn confirm_delete(
    State(state): State<Dash>,
    session: Session,
    Path(uri): Path<String>,
) -> Response {
    let l = match load(&state, &session, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let address = l.name.address();
    let body = html! {
        nav.crumbs aria-label="Breadcrumb" {
            a href="/" { "Resources" } " / " a href=(href(&l.name, "")) { (address) } " / " span { "Delete" }
        }
        section.card.narrow {
            h1 { "Delete " span.name { (address) } "?" }
            @if l.access == Access::Write {
                p { "The resource and its sharing are removed. Its history is kept, and the name can be used again." }
                form.inline method="post" action=(href(&l.name, "/delete")) {
                    (csrf(&session))
                    div.actions {
                        button.danger type="submit" { "Delete permanently" }
                        a.button.secondary href=(href(&l.name, "")) { "Cancel" }
                    }
                }
            } @else {
                (notice(false, "You have read-only access to this resource."))
            }
        }
    };
    page(
        &format!("Delete {address}"),
        Some(&session),
        Nav::Resources,
        &body,
    )
    .into_response()
}

/// `POST /resources/{uri}/delete`.
pub(super) async fn delete(
    State(state): State<Dash>,
    Path(uri): Path<String>,
    form: CsrfForm,
) -> Response {
    let l = match load_writable(&state, &form, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    match state
        .store
        .delete_resource(&l.name.uri(), &form.session.user.username)
        .await
    {
        Ok(true) => {
            let (by, target) = (&form.session.user.username, l.name.address());
            crate::audit::record(&state.store, by, "resource.delete", &target, None).await;
            Redirect::to("/?done=deleted").into_response()
        }
        Ok(false) => not_found(&form.session, &l.name.address()),
        Err(e) => internal(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_address_parents() {
        assert_eq!(folder_of("/alice/x"), "/alice");
        assert_eq!(folder_of("/alice/proj/model"), "/alice/proj");
        assert!(done_text("restored").is_some());
        assert_eq!(done_text("<script>"), None);
    }
}
