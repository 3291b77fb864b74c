//! Resource pages: the list, one resource (config, history, sharing, visibility), the diff of two versions,
//! restore and delete. Each form handler parses the form, calls one [`crate::ops`] operation (the API's), and
//! renders a page or a redirect.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde_json::Value;

use super::diff::{RowKind, side_by_side};
use super::layout::{Nav, badge, csrf, not_found, notice, page, when};
use super::mask::{pretty_masked, pretty_pair};
use super::{CsrfForm, Dash, Session, enc, internal};
use crate::model::{AccessLevel, Visibility};
use crate::names::ResourceName;
use crate::ops::{self, Access, OpError, Opened, Restored, ShareRequest, hourly_cap_text};
use crate::store::HistoryEntry;
use crate::store::HistoryPage;
use crate::store::listing::{Listed, Share};

/// History entries a resource page lists (older ones are on the next page, `?before=`).
const PAGE_HISTORY: i64 = 100;
/// Shown on the visibility form of a private resource, before a change.
const VISIBILITY_NOTE: &str = "Before you make it unlisted or public: everyone will be able to read the \
     current configuration and every version of its history from that change on. Earlier versions stay \
     visible only to you and to the people you share with (from their grant on). If the current configuration \
     holds anything only they may see, change it first: purging the history keeps the current version.";

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
        "purged" => "History purged: only the current version is left.",
        "rolledback" => {
            "Secret rolled back: that version's values are current again, as a new version."
        }
        _ => return None,
    })
}

/// `GET /`: the caller's resources and those shared with them, filtered by folder, type and name.
pub(super) async fn list(
    State(state): State<Dash>,
    session: Session,
    Query(q): Params,
) -> Response {
    let all = match ops::list_mine(&state.store, &session.user).await {
        Ok(l) => l,
        Err(e) => return failed(&session, e),
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
                                td data-label="Visibility" { (badge(r.visibility.as_str(), r.visibility.as_str())) }
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

/// The page of an operation that did not happen for a reason no form field explains.
fn failed(session: &Session, e: OpError) -> Response {
    match e {
        OpError::NotFound(name) => not_found(session, &name.address()),
        OpError::ReadOnly(_) => read_only(&session.user),
        OpError::OwnerOnly(_) => super::layout::message(
            StatusCode::FORBIDDEN,
            Some(&session.user),
            "Owner only",
            "Only the owner can purge the history of this resource.",
        ),
        OpError::SecretOwnerOnly(_) => super::layout::message(
            StatusCode::FORBIDDEN,
            Some(&session.user),
            "Owner only",
            "Only the owner can share, revoke or delete this secret.",
        ),
        OpError::SecretValues { reason, .. } => super::layout::message(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(&session.user),
            "Vault unavailable",
            &format!(
                "The secret was not deleted: its values could not be deleted from Vault ({reason})."
            ),
        ),
        OpError::Store(e) => internal(&e),
        other => internal(&other),
    }
}

fn read_only(user: &crate::store::User) -> Response {
    super::layout::message(
        StatusCode::FORBIDDEN,
        Some(user),
        "Read-only",
        "You have read-only access to this resource.",
    )
}

async fn load(state: &Dash, session: &Session, uri: &str) -> Result<Opened, Response> {
    let Ok(name) = ResourceName::from_uri(uri) else {
        return Err(not_found(session, uri));
    };
    ops::open(&state.store, &session.user, &name)
        .await
        .map_err(|e| failed(session, e))
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
    let before = q.get("before").and_then(|b| b.parse::<i64>().ok());
    render_page(&state, &session, &l, banner, StatusCode::OK, before, false).await
}

/// `POST /resources/{uri}/reveal`: the secret's page with its current values shown (owner and grantees only;
/// a grantee's reveal is a `secret.read` audit row, as through the API).
pub(super) async fn reveal(
    State(state): State<Dash>,
    Path(uri): Path<String>,
    form: CsrfForm,
) -> Response {
    let l = match load(&state, &form.session, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    render_page(&state, &form.session, &l, None, StatusCode::OK, None, true).await
}

/// `POST /resources/{uri}/secret-rollback` (`version=N`): the owner or a `write` grantee makes an earlier
/// version of a named secret's values current again, as a new Vault version (what `rh secrets rollback` does
/// through the API); a `secret.rollback` audit row.
pub(super) async fn secret_rollback(
    State(state): State<Dash>,
    Path(uri): Path<String>,
    form: CsrfForm,
) -> Response {
    let l = match load_writable(&state, &form, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    if resource_type(&l.res.config) != Some("secret") {
        let text = "Only a secret's values can be rolled back.".to_owned();
        return refused(&state, &form, &l, text, StatusCode::BAD_REQUEST).await;
    }
    let Some(vault) = &state.named else {
        let text = "This rh-server has no Vault configured.".to_owned();
        return refused(&state, &form, &l, text, StatusCode::SERVICE_UNAVAILABLE).await;
    };
    let key = crate::vault::named_key(&l.name);
    let view = match vault.named(&l.res.owner, &key, false).await {
        Ok(view) => view,
        Err(line) => {
            return refused(&state, &form, &l, line, StatusCode::SERVICE_UNAVAILABLE).await;
        }
    };
    let version = form.get("version").parse::<u64>().ok();
    let Some(version) = version.filter(|v| {
        view.as_ref().is_some_and(|view| {
            *v != view.version
                && view
                    .versions
                    .iter()
                    .any(|x| x.version == *v && !x.destroyed && x.deletion_time.is_none())
        })
    }) else {
        let text = "Choose an earlier version that still holds values.".to_owned();
        return refused(&state, &form, &l, text, StatusCode::BAD_REQUEST).await;
    };
    match vault.rollback(&l.res.owner, &key, version).await {
        Ok(new) => {
            tracing::info!(
                "{} rolled {} back to version {version} (now {new}) on the dashboard",
                form.session.user.username,
                l.name.address()
            );
            crate::audit::record(
                &state.store,
                &form.session.user.username,
                crate::audit::AuditAction::SecretRollback,
                &l.name.address(),
                Some(&format!("to version {version} (dashboard)")),
            )
            .await;
            back(&l.name, "rolledback", "values")
        }
        Err(line) => refused(&state, &form, &l, line, StatusCode::SERVICE_UNAVAILABLE).await,
    }
}

/// A named secret's Vault side on its page.
enum SecretCard {
    /// Only the owner and grantees see anything of the values (a public secret's readers do not).
    NotForYou,
    /// No Vault configured, or no values stored.
    Nothing(&'static str),
    /// Vault failed: a line for the page.
    Failed(String),
    /// The Vault side, for the owner the latest reads by others (the `secret.read` audit rows), and whether
    /// the caller may write it (the owner or a `write` grantee: the rollback buttons).
    Shown(super::NamedView, Vec<crate::audit::AuditEntry>, bool),
}

/// Reads by others the owner sees on the page.
const PAGE_READS: i64 = 20;

async fn secret_card(state: &Dash, session: &Session, l: &Opened, reveal: bool) -> SecretCard {
    let owner = l.res.owner == session.user.username;
    let grant = match state
        .store
        .resource_for(&l.name.uri(), &session.user.username)
        .await
    {
        Ok(found) => found.and_then(|(_, grant)| grant),
        Err(e) => return SecretCard::Failed(format!("cannot read the grants: {e}")),
    };
    if !owner && grant.is_none() {
        return SecretCard::NotForYou;
    }
    let Some(vault) = &state.named else {
        return SecretCard::Nothing("This rh-server has no Vault configured.");
    };
    let key = crate::vault::named_key(&l.name);
    match vault.named(&l.res.owner, &key, reveal).await {
        Ok(None) => SecretCard::Nothing("No values are stored for this secret yet."),
        Ok(Some(view)) => {
            if reveal && !owner {
                let audit = crate::audit::Audit::new(
                    &session.user.username,
                    crate::audit::AuditAction::SecretRead,
                    &l.name.address(),
                )
                .detail(format!("version {} (dashboard)", view.version));
                if let Err(e) = state.store.audit_strict(&audit).await {
                    tracing::error!("cannot audit a secret read: {e}");
                    return SecretCard::Failed(
                        "The values cannot be shown: the read could not be audited.".to_owned(),
                    );
                }
            }
            let reads = if owner {
                match state
                    .store
                    .audit_for_target(&l.name.address(), None, PAGE_READS * 5)
                    .await
                {
                    Ok(rows) => rows
                        .into_iter()
                        .filter(|r| r.action == crate::audit::AuditAction::SecretRead)
                        .take(usize::try_from(PAGE_READS).unwrap_or(20))
                        .collect(),
                    Err(e) => return SecretCard::Failed(format!("cannot read the audit log: {e}")),
                }
            } else {
                Vec::new()
            };
            SecretCard::Shown(view, reads, owner || grant == Some(AccessLevel::Write))
        }
        Err(line) => SecretCard::Failed(line),
    }
}

fn secret_section(session: &Session, l: &Opened, card: &SecretCard) -> Markup {
    html! {
        section.card #values aria-labelledby="values-h" {
            h2 #values-h { "Values" }
            @match card {
                SecretCard::NotForYou => p.muted { "Only the owner and the people it is shared with see a secret's values." }
                SecretCard::Nothing(line) => p.muted { (line) }
                SecretCard::Failed(line) => (notice(false, line))
                SecretCard::Shown(view, reads, writer) => {
                    table.list.values {
                        thead { tr { th scope="col" { "Key" } th scope="col" { "Value" } } }
                        tbody {
                            @match &view.values {
                                Some(values) => {
                                    @for (k, v) in values {
                                        tr { td data-label="Key" { code { (k) } } td data-label="Value" { code.revealed { (v) } } }
                                    }
                                }
                                None => {
                                    @for k in &view.keys {
                                        tr { td data-label="Key" { code { (k) } } td data-label="Value" { span.masked { (rh_secrets::mask::MASK) } } }
                                    }
                                }
                            }
                        }
                    }
                    @if view.values.is_none() {
                        form method="post" action=(href(&l.name, "/reveal")) {
                            (csrf(session))
                            button.secondary.small #reveal type="submit" { "Reveal values" }
                        }
                        @if l.res.owner != session.user.username {
                            p.muted.small { "Revealing is recorded in the owner's audit log." }
                        }
                    }
                    h3 { "Versions" }
                    table.list.versions {
                        thead { tr { th scope="col" { "Version" } th scope="col" { "Written" } @if *writer { th scope="col" { span.sr-only { "Action" } } } } }
                        tbody {
                            @for v in &view.versions {
                                tr {
                                    td data-label="Version" {
                                        "v" (v.version)
                                        @if v.version == view.version { " " (badge("current", "current")) }
                                        @if v.destroyed { " " (badge("destroyed", "pending")) }
                                    }
                                    td data-label="Written" { (when(&v.created_time)) }
                                    @if *writer {
                                        td data-label="Action" {
                                            @if v.version != view.version && !v.destroyed && v.deletion_time.is_none() {
                                                form method="post" action=(href(&l.name, "/secret-rollback")) {
                                                    (csrf(session))
                                                    input type="hidden" name="version" value=(v.version);
                                                    button.secondary.small.rollback type="submit" { "Roll back to v" (v.version) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if l.res.owner == session.user.username {
                        h3 { "Read by others" }
                        @if reads.is_empty() {
                            p.muted #reads { "Nobody else has read the values." }
                        } @else {
                            table.list.reads #reads {
                                thead { tr { th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "When" } th scope="col" { "From" } } }
                                tbody {
                                    @for r in reads {
                                        tr {
                                            td data-label="Who" { (r.actor) }
                                            td data-label="What" { (r.detail.as_deref().unwrap_or("")) }
                                            td data-label="When" { (when(&r.time)) }
                                            td data-label="From" { (r.client_ip.as_deref().unwrap_or("")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

async fn render_resource(
    state: &Dash,
    session: &Session,
    l: &Opened,
    banner: Option<(bool, String)>,
    status: StatusCode,
) -> Response {
    render_page(state, session, l, banner, status, None, false).await
}

async fn render_page(
    state: &Dash,
    session: &Session,
    l: &Opened,
    banner: Option<(bool, String)>,
    status: StatusCode,
    before: Option<i64>,
    reveal: bool,
) -> Response {
    // The listing needs no configs: a page reads only versions, authors and times.
    let history = match ops::history_page(&state.store, l, before, PAGE_HISTORY, false).await {
        Ok(h) => h,
        Err(e) => return failed(session, e),
    };
    let (times, shares) = match ops::details(&state.store, l).await {
        Ok(d) => d,
        Err(e) => return failed(session, e),
    };
    let secret = if resource_type(&l.res.config) == Some("secret") {
        Some(secret_card(state, session, l, reveal).await)
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
    let body = html! {
        (body)
        @if let Some(card) = &secret { div.grid { (secret_section(session, l, card)) } }
    };
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
    l: &Opened,
    page: &HistoryPage,
    times: Option<&(String, String)>,
    shares: Option<&(Vec<Share>, Vec<Share>)>,
    banner: Option<&(bool, String)>,
) -> Markup {
    let history: &[HistoryEntry] = &page.entries;
    let owner = l.res.owner == session.user.username;
    let writable = l.access == Access::Write;
    let address = l.name.address();
    let current = l.res.version;
    let previous = history
        .iter()
        .find(|e| e.version < current && e.action != "delete")
        .map(|e| e.version);
    let private = l.res.visibility == Visibility::Private;
    html! {
        nav.crumbs aria-label="Breadcrumb" { a href="/" { "Resources" } " / " span { (address) } }
        div.head {
            h1.name #title { (address) }
            div.tags {
                @if let Some(t) = resource_type(&l.res.config) { (badge(t, "type")) }
                (badge(l.res.visibility.as_str(), l.res.visibility.as_str()))
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
                @if let Some(next) = page.next {
                    p { a.button.secondary #older href={ (href(&l.name, "")) "?before=" (next) "#history" } { "Older versions" } }
                }
                @if !owner {
                    p.muted.small { "You see the versions from the one current when you got access on." }
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
                                        td data-label="Access" { (badge(g.level.as_str(), g.level.as_str())) }
                                        td data-label="Granted by" { span.by { (g.by) (when(&g.at)) } }
                                        td.actions { (revoke_form(session, &l.name, "user", &g.who)) }
                                    }
                                }
                                @for i in invitations {
                                    tr.pending {
                                        td data-label="Who" { (i.who) " " (badge("pending invitation", "pending")) }
                                        td data-label="Access" { (badge(i.level.as_str(), i.level.as_str())) }
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
                    p.muted.small { "They see the current version and later ones; not the history before." }
                }
                section.card #settings aria-labelledby="settings-h" {
                    h2 #settings-h { "Settings" }
                    form.inline #visibility-form method="post" action=(href(&l.name, "/visibility")) {
                        (csrf(session))
                        div.field {
                            label for="visibility" { "Visibility" }
                            select #visibility name="visibility" {
                                @for v in Visibility::ALL { option value=(v.as_str()) selected[v == l.res.visibility] { (v.as_str()) } }
                            }
                        }
                        div.actions { button.primary type="submit" { "Save visibility" } }
                    }
                    p.muted.small { "private: you and people you share with · unlisted: anyone with the name · public: anyone." }
                    @if private {
                        p.small #visibility-warning { (VISIBILITY_NOTE) }
                    }
                    @if owner {
                        div.danger-zone {
                            h3 { "Purge the history" }
                            p.muted.small { "Removes every earlier version, also of resources deleted at this name; the current version stays." }
                            form.inline method="post" action=(href(&l.name, "/purge-history"))
                                data-confirm="Remove every earlier version of this resource for good?" {
                                (csrf(session))
                                button.danger #purge type="submit" { "Purge history" }
                            }
                        }
                    }
                    div.danger-zone {
                        h3 { "Delete this resource" }
                        p.muted.small { "Sharing is removed. Its history stays visible to you until you purge it; a new resource at this name starts a new history." }
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
    let given = |key: &str| query.get(key).and_then(|v| v.parse::<i64>().ok());
    // Only the two versions compared are read: B (default: the current one), A (default: the one before B).
    let to = given("to").unwrap_or(l.res.version);
    let from = match given("from") {
        Some(v) => Some(v),
        None => match ops::history_page(&state.store, &l, Some(to), 1, false).await {
            Ok(p) => Some(p.entries.first().map_or(to, |e| e.version)),
            Err(e) => return failed(&session, e),
        },
    };
    let mut pair = Vec::with_capacity(2);
    for v in [from.unwrap_or(to), to] {
        match ops::history_version(&state.store, &l, v).await {
            Ok(e) => pair.push(e),
            Err(e) => return failed(&session, e),
        }
    }
    let (Some(va), Some(vb)) = (pair[0].as_ref(), pair[1].as_ref()) else {
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

async fn load_writable(state: &Dash, form: &CsrfForm, uri: &str) -> Result<Opened, Response> {
    let l = load(state, &form.session, uri).await?;
    if l.access != Access::Write {
        return Err(read_only(&form.session.user));
    }
    Ok(l)
}

/// The page again with a red banner and `status`.
async fn refused(
    state: &Dash,
    form: &CsrfForm,
    l: &Opened,
    text: String,
    status: StatusCode,
) -> Response {
    render_resource(state, &form.session, l, Some((false, text)), status).await
}

/// The banner text of a share or revoke naming someone who cannot be resolved; other failures as pages.
async fn refused_name(state: &Dash, form: &CsrfForm, l: &Opened, e: OpError) -> Response {
    let text = match e {
        OpError::UnknownUser(raw) => format!("There is no user named {raw}."),
        OpError::Store(e) if e.is_bad_input() => e.to_string(),
        OpError::HourlyCap => {
            return refused(
                state,
                form,
                l,
                hourly_cap_text(),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
        }
        other => return failed(&form.session, other),
    };
    refused(state, form, l, text, StatusCode::BAD_REQUEST).await
}

/// `POST /resources/{uri}/restore`: the config of `version` becomes a new version. The visibility stays the
/// current one unless the form names one (`visibility`).
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
    let asked = match form.get("visibility") {
        "" => None,
        v => {
            let Ok(v) = v.parse::<Visibility>() else {
                let text = "Choose private, unlisted or public.".to_owned();
                return refused(&state, &form, &l, text, StatusCode::BAD_REQUEST).await;
            };
            Some(v)
        }
    };
    match ops::restore(&state.store, &form.session.user, &l.name, version, asked).await {
        Ok(Restored::Done) => back(&l.name, "restored", "history"),
        Ok(Restored::Unchanged) => back(&l.name, "unchanged", "history"),
        Err(OpError::NoSuchVersion(v)) => {
            let text = format!("There is no version {v}.");
            refused(&state, &form, &l, text, StatusCode::BAD_REQUEST).await
        }
        Err(e) => failed(&form.session, e),
    }
}

/// `POST /resources/{uri}/purge-history`: the owner removes every version but the current one.
pub(super) async fn purge_history(
    State(state): State<Dash>,
    Path(uri): Path<String>,
    form: CsrfForm,
) -> Response {
    let l = match load_writable(&state, &form, &uri).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    match ops::purge_history(&state.store, &form.session.user, &l.name).await {
        Ok(_) => back(&l.name, "purged", "history"),
        Err(e) => failed(&form.session, e),
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
    let Ok(level) = form.get("level").parse::<AccessLevel>() else {
        let text = "Choose read or write access.".to_owned();
        return refused(&state, &form, &l, text, StatusCode::BAD_REQUEST).await;
    };
    let req = ShareRequest {
        users: vec![form.get("user").to_owned()],
        level,
        notify: !form.get("notify").is_empty(),
        visibility: None,
        allow_reshare: None,
    };
    match ops::share(&state.store, &form.session.user, &l.name, &req).await {
        Ok(shared) if shared.owner_skipped && shared.added.is_empty() && shared.new.is_empty() => {
            let text = format!("{} owns this resource already.", l.res.owner);
            refused(&state, &form, &l, text, StatusCode::BAD_REQUEST).await
        }
        Ok(_) => back(&l.name, "shared", "sharing"),
        Err(e) => refused_name(&state, &form, &l, e).await,
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
    let who = match (form.get("user"), form.get("email")) {
        (u, _) if !u.is_empty() => u.to_owned(),
        (_, e) if !e.is_empty() => e.to_owned(),
        _ => {
            let text = "Nobody to revoke.".to_owned();
            return refused(&state, &form, &l, text, StatusCode::BAD_REQUEST).await;
        }
    };
    let user = &form.session.user;
    match ops::revoke(&state.store, user, &l.name, Some(&[who]), None).await {
        Ok(_) => back(&l.name, "revoked", "sharing"),
        Err(e) => refused_name(&state, &form, &l, e).await,
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
    let Ok(v) = form.get("visibility").parse::<Visibility>() else {
        let text = "Choose private, unlisted or public.".to_owned();
        return refused(&state, &form, &l, text, StatusCode::BAD_REQUEST).await;
    };
    match ops::set_visibility(&state.store, &form.session.user, &l.name, v).await {
        Ok(_) => back(&l.name, "visibility", "settings"),
        Err(e) => failed(&form.session, e),
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
                p { "The resource and its sharing are removed. Its history stays visible to you until you purge it; the name can be used again, and a new resource there starts a new history." }
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
    match ops::delete(
        &state.store,
        state.named.as_deref(),
        &form.session.user,
        &l.name,
    )
    .await
    {
        Ok(()) => Redirect::to("/?done=deleted").into_response(),
        Err(e) => failed(&form.session, e),
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
