//! The page shell, shared fragments and the embedded assets.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::Session;
use crate::store::User;

const CSS: &str = include_str!("assets/dashboard.css");
const JS: &str = include_str!("assets/dashboard.js");

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

pub(super) async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

pub(super) async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

/// Which top-level section a page belongs to (highlighted in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav {
    Resources,
    Secrets,
    Account,
    None,
}

/// A full page for a signed-in user (navigation and sign-out form) or, without a session, a bare one.
pub(super) fn page(title: &str, session: Option<&Session>, nav: Nav, body: &Markup) -> Markup {
    let user = session.map(|s| &s.user);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light";
                title { (title) " · rh" }
                link rel="stylesheet" href="/assets/dashboard.css";
                script src="/assets/dashboard.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    div.bar {
                        a.brand href="/" { span.logo aria-hidden="true" { "rh" } span { "Resource dashboard" } }
                        @if let Some(s) = session {
                            nav aria-label="Main" {
                                a href="/" aria-current=[(nav == Nav::Resources).then_some("page")] { "Resources" }
                                a href="/secrets" aria-current=[(nav == Nav::Secrets).then_some("page")] { "Secrets" }
                                a href="/account" aria-current=[(nav == Nav::Account).then_some("page")] { "Account" }
                            }
                            div.who {
                                span.user title="Signed in" { (s.user.username) }
                                form method="post" action="/logout" {
                                    input type="hidden" name="csrf" value=(s.csrf);
                                    button.link type="submit" { "Sign out" }
                                }
                            }
                        } @else if let Some(u) = user {
                            div.who { span.user { (u.username) } }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
                footer.foot { "rh-server " (env!("CARGO_PKG_VERSION")) }
            }
        }
    }
}

/// A page with one message (errors, refusals, not found).
pub(super) fn message(
    status: StatusCode,
    user: Option<&User>,
    title: &str,
    text: &str,
) -> Response {
    let body = html! {
        section.card.narrow {
            h1 { (title) }
            p { (text) }
            p { a.button href=(if user.is_some() { "/" } else { "/login" }) { "Back to the dashboard" } }
        }
    };
    (status, page(title, None, Nav::None, &body)).into_response()
}

/// The not-found page, for missing resources and those the caller may not read alike.
pub(super) fn not_found(session: &Session, what: &str) -> Response {
    let body = html! {
        section.card.narrow {
            h1 { "Not found" }
            p { "There is no resource " code { (what) } " that you can open." }
            p { a.button href="/" { "Back to resources" } }
        }
    };
    (
        StatusCode::NOT_FOUND,
        page("Not found", Some(session), Nav::Resources, &body),
    )
        .into_response()
}

/// `2026-11-25T19:28:45.123456Z` as `2026-11-25 19:28 UTC` in a `<time>` element.
pub(super) fn when(ts: &str) -> Markup {
    let short = match (ts.get(..10), ts.get(11..16)) {
        (Some(d), Some(t)) if ts.len() >= 16 => format!("{d} {t} UTC"),
        _ => ts.to_owned(),
    };
    html! { time datetime=(ts) title=(ts) { (short) } }
}

/// A small label.
pub(super) fn badge(text: &str, kind: &str) -> Markup {
    html! { span class={ "badge " (kind) } { (text) } }
}

/// The hidden CSRF field every form carries.
pub(super) fn csrf(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A status banner (after a change, or a refused input).
pub(super) fn notice(ok: bool, text: &str) -> Markup {
    html! {
        div class={ "notice " (if ok { "ok" } else { "err" }) } role=(if ok { "status" } else { "alert" }) { (text) }
    }
}
