//! The Secrets page (versions from Vault, never values) and the Account page (rotate the token).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::layout::{Nav, csrf, notice, page, when};
use super::secrets::ProviderVersions;
use super::{CsrfForm, Dash, SESSION_COOKIE, Session, cookie, db, internal};

/// `GET /secrets`.
pub(super) async fn secrets(State(state): State<Dash>, session: Session) -> Response {
    let listing = match &state.secrets {
        None => None,
        Some(source) => Some(source.versions(&session.user.username).await),
    };
    let body = secrets_body(listing.as_ref());
    page("Secrets", Some(&session), Nav::Secrets, &body).into_response()
}

fn secrets_body(listing: Option<&Result<Vec<ProviderVersions>, String>>) -> Markup {
    html! {
        div.head {
            h1 { "Secrets" }
            p.muted { "Provider credentials kept in Vault. Only versions and times are shown here, never a value." }
        }
        @match listing {
            None => section.card {
                div.notice.info role="status" { "Vault is not configured on this server." }
                p.muted { "Start rh-server with Vault settings to see your providers' secret versions here. "
                    "Secrets saved with " code { "rh secrets" } " directly in Vault are unaffected." }
            },
            Some(Err(e)) => section.card { (notice(false, &format!("Cannot read secret versions from Vault: {e}"))) },
            Some(Ok(list)) if list.is_empty() => section.card.empty {
                p { "No secrets stored yet." }
                p.muted { "Save one with " code { "rh secrets put PROVIDER" } "." }
            },
            Some(Ok(list)) => section.card {
                table.list {
                    thead { tr { th scope="col" { "Provider" } th scope="col" { "Current version" } th scope="col" { "Last update" } th scope="col" { "History" } } }
                    tbody {
                        @for p in list {
                            @let current = p.versions.first();
                            tr {
                                td data-label="Provider" { strong { (p.provider) } }
                                td data-label="Current version" { @if let Some(v) = current { "v" (v.version) } }
                                td data-label="Last update" { @if let Some(v) = current { (when(&v.created_time)) } }
                                td data-label="History" {
                                    details {
                                        summary { (p.versions.len()) " version" @if p.versions.len() != 1 { "s" } }
                                        ul.versions {
                                            @for v in &p.versions {
                                                li {
                                                    "v" (v.version) " · " (when(&v.created_time))
                                                    @if v.destroyed { " · destroyed" }
                                                    @else if let Some(d) = &v.deletion_time { " · deleted " (when(d)) }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            },
        }
    }
}

/// The lifetimes offered for a new token, as `--expires-in` durations, when the server's cap allows them.
const LIFETIMES: [(&str, i64); 3] = [("30d", 30), ("90d", 90), ("365d", 365)];

/// A lifetime in words: `90 days`, `12 hours`.
fn human(d: time::Duration) -> String {
    let s = d.whole_seconds();
    let (n, unit) = if s % 86_400 == 0 {
        (s / 86_400, "day")
    } else if s % 3600 == 0 {
        (s / 3600, "hour")
    } else if s % 60 == 0 {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A lifetime as `--expires-in` reads it: `90d`, `12h`.
fn duration_text(d: time::Duration) -> String {
    let s = d.whole_seconds();
    if s % 86_400 == 0 {
        format!("{}d", s / 86_400)
    } else if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// The `(value, text)` options of the lifetime select under `cap` (`None`: no cap, "Never" offered first).
fn lifetime_options(cap: Option<time::Duration>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if cap.is_none() {
        out.push((String::new(), "Never".to_owned()));
    }
    for (value, days) in LIFETIMES {
        let d = time::Duration::days(days);
        if cap.is_none_or(|c| d <= c) {
            out.push((
                value.to_owned(),
                if days == 365 {
                    "1 year".to_owned()
                } else {
                    human(d)
                },
            ));
        }
    }
    if let Some(c) = cap
        && !LIFETIMES
            .iter()
            .any(|&(_, days)| time::Duration::days(days) == c)
    {
        out.push((
            duration_text(c),
            format!("{} (the longest allowed)", human(c)),
        ));
    }
    out
}

/// Refuses a lifetime over the server's cap (`None` lifetime: never expires; `None` cap: no cap).
fn check_lifetime(
    lifetime: Option<time::Duration>,
    cap: Option<time::Duration>,
) -> Result<(), String> {
    match (lifetime, cap) {
        (_, None) => Ok(()),
        (Some(l), Some(c)) if l <= c => Ok(()),
        (_, Some(c)) => Err(format!(
            "This server issues tokens for at most {} from the dashboard: choose a shorter lifetime. \
             Nothing was changed.",
            human(c)
        )),
    }
}

/// A freshly rotated token and its expiry (`None`: never).
struct NewToken<'a> {
    token: &'a str,
    expires: Option<&'a str>,
}

fn account_body(
    session: &Session,
    cap: Option<time::Duration>,
    new_token: Option<&NewToken<'_>>,
    error: Option<&str>,
) -> Markup {
    let u = &session.user;
    html! {
        div.head { h1 { "Account" } }
        @if let Some(e) = error {
            (notice(false, e))
        }
        @if let Some(NewToken { token: t, expires }) = new_token {
            section.card.highlight aria-labelledby="new-token" {
                h2 #new-token { "Your new token" }
                (notice(true, "Token rotated. Copy it now: it is shown only once and the old token no longer works."))
                p #token-expiry {
                    @if let Some(at) = expires { "Expires " (when(at)) "." } @else { "Never expires." }
                }
                div.token-row {
                    input #token-value.mono type="text" readonly value=(t) aria-label="New token" spellcheck="false";
                    button.secondary type="button" data-copy="token-value" { "Copy" }
                }
                p.muted { "Update your CLI with " code { "rh login --token …" } " on each machine that used the old token." }
            }
        }
        section.card {
            h2 { "Profile" }
            dl.meta {
                dt { "Username" } dd { (u.username) }
                dt { "Email" } dd { @if let Some(e) = &u.email { (e) } @else { span.muted { "none" } } }
            }
        }
        section.card {
            h2 { "API token" }
            p { "The token signs in here and authenticates the " code { "rh" } " CLI. Rotating it replaces it at once; "
                "other dashboard sessions are signed out." }
            @if let Some(c) = cap {
                p.muted { "This server issues tokens for at most " (human(c)) " from here." }
            }
            form method="post" action="/account/token" {
                (csrf(session))
                label for="current_token" { "Current token" }
                input #current_token type="password" name="current_token" autocomplete="current-password" required spellcheck="false";
                label for="expires_in" { "New token expires after" }
                select #expires_in name="expires_in" {
                    @for (value, text) in lifetime_options(cap) {
                        option value=(value) { (text) }
                    }
                }
                button.danger type="submit" { "Rotate token" }
            }
        }
    }
}

/// `GET /account`.
pub(super) async fn account(State(state): State<Dash>, session: Session) -> Response {
    page(
        "Account",
        Some(&session),
        Nav::Account,
        &account_body(&session, state.max_token_lifetime, None, None),
    )
    .into_response()
}

/// `POST /account/token`: needs the current token (`current_token`) and a lifetime (`expires_in`, empty: never)
/// within `--max-token-lifetime`. Shows the new token once; the caller's other sessions end, this one continues.
pub(super) async fn rotate(State(state): State<Dash>, form: CsrfForm) -> Response {
    let s = &form.session;
    let cap = state.max_token_lifetime;
    let refuse = |status: StatusCode, why: &str| {
        let body = account_body(s, cap, None, Some(why));
        (status, page("Account", Some(s), Nav::Account, &body)).into_response()
    };
    let current = form.get("current_token");
    if current.is_empty() || current.len() > 512 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Enter your current token to rotate it. Nothing was changed.",
        );
    }
    let lifetime = match form.get("expires_in") {
        "" => None,
        text => match crate::credentials::parse_duration(text) {
            Ok(d) => Some(d),
            Err(e) => return refuse(StatusCode::BAD_REQUEST, &e.to_string()),
        },
    };
    if let Err(why) = check_lifetime(lifetime, cap) {
        return refuse(StatusCode::BAD_REQUEST, &why);
    }
    let rotated =
        crate::rotate_token_from_session(&state.store, &s.user.username, current, lifetime, &s.id)
            .await;
    let crate::Rotated {
        token,
        expires,
        session_expires,
    } = match rotated {
        Ok(Some(r)) => {
            if let Some(secrets) = &state.secrets {
                secrets.forget(&s.user.username).await;
            }
            r
        }
        Ok(None) => {
            tracing::warn!(
                "{} gave a wrong current token to rotate it from the dashboard",
                s.user.username
            );
            return refuse(
                StatusCode::FORBIDDEN,
                "That is not your current token. Nothing was changed.",
            );
        }
        Err(e) => return internal(&e),
    };
    tracing::info!("{} rotated their token from the dashboard", s.user.username);
    let body = account_body(
        s,
        cap,
        Some(&NewToken {
            token: &token,
            expires: expires.as_deref(),
        }),
        None,
    );
    let mut res = (
        StatusCode::OK,
        page("Account", Some(s), Nav::Account, &body),
    )
        .into_response();
    // The cookie, too, lasts no longer than the new token.
    let full = db::SESSION_DAYS * 86_400;
    let max_age = crate::credentials::seconds_until(&session_expires).map_or(full, |v| v.min(full));
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, &s.id, "/", max_age, s.secure),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::super::secrets::SecretVersion;
    use super::*;

    #[test]
    fn secrets_page_states() {
        let none = secrets_body(None).into_string();
        assert!(none.contains("Vault is not configured on this server."));
        let list = Ok(vec![ProviderVersions {
            provider: "aws<b>".to_owned(),
            versions: vec![
                SecretVersion {
                    version: 2,
                    created_time: "2026-11-25T10:00:00.000000Z".to_owned(),
                    deletion_time: None,
                    destroyed: false,
                },
                SecretVersion {
                    version: 1,
                    created_time: "2026-11-24T10:00:00.000000Z".to_owned(),
                    deletion_time: None,
                    destroyed: true,
                },
            ],
        }]);
        let html = secrets_body(Some(&list)).into_string();
        assert!(html.contains("aws&lt;b&gt;") && html.contains("v2") && html.contains("destroyed"));
        let err = secrets_body(Some(&Err("sealed".to_owned()))).into_string();
        assert!(err.contains("sealed"));
    }

    #[test]
    fn lifetimes_stay_under_the_cap() {
        let values = |cap| {
            lifetime_options(cap)
                .into_iter()
                .map(|(v, _)| v)
                .collect::<Vec<_>>()
        };
        assert_eq!(values(None), ["", "30d", "90d", "365d"]);
        assert_eq!(
            values(Some(time::Duration::days(365))),
            ["30d", "90d", "365d"]
        );
        assert_eq!(values(Some(time::Duration::days(90))), ["30d", "90d"]);
        assert_eq!(values(Some(time::Duration::hours(12))), ["12h"]);
        assert_eq!(
            values(Some(time::Duration::days(100))),
            ["30d", "90d", "100d"]
        );
        let cap = Some(time::Duration::days(90));
        assert!(check_lifetime(Some(time::Duration::days(90)), cap).is_ok());
        assert!(check_lifetime(None, None).is_ok());
        let over = check_lifetime(Some(time::Duration::days(91)), cap).expect_err("over");
        assert!(over.contains("at most 90 days"), "{over}");
        assert!(check_lifetime(None, cap).is_err(), "never under a cap");
        assert_eq!(human(time::Duration::seconds(61)), "61 seconds");
        assert_eq!(human(time::Duration::minutes(1)), "1 minute");
    }
}
