//! The Secrets page (versions from Vault, never values) and the Account page (rotate the token).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::layout::{Nav, csrf, notice, page, when};
use super::secrets::ProviderVersions;
use super::{CsrfForm, Dash, Session, db, internal};

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

/// The lifetimes offered for a new token (`value` is a `--expires-in` duration; empty: never).
const LIFETIMES: [(&str, &str); 4] = [
    ("", "Never"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "1 year"),
];

/// A freshly rotated token and its expiry (`None`: never).
struct NewToken<'a> {
    token: &'a str,
    expires: Option<&'a str>,
}

fn account_body(
    session: &Session,
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
            form method="post" action="/account/token" {
                (csrf(session))
                label for="expires_in" { "New token expires after" }
                select #expires_in name="expires_in" {
                    @for (value, text) in LIFETIMES {
                        option value=(value) { (text) }
                    }
                }
                button.danger type="submit" { "Rotate token" }
            }
        }
    }
}

/// `GET /account`.
pub(super) async fn account(session: Session) -> Response {
    page(
        "Account",
        Some(&session),
        Nav::Account,
        &account_body(&session, None, None),
    )
    .into_response()
}

/// `POST /account/token`: a new token, shown once; the caller's other sessions end.
pub(super) async fn rotate(State(state): State<Dash>, form: CsrfForm) -> Response {
    let s = &form.session;
    let lifetime = match form.get("expires_in") {
        "" => None,
        text => match crate::credentials::parse_duration(text) {
            Ok(d) => Some(d),
            Err(e) => {
                let body = account_body(s, None, Some(&e.to_string()));
                return (
                    StatusCode::BAD_REQUEST,
                    page("Account", Some(s), Nav::Account, &body),
                )
                    .into_response();
            }
        },
    };
    let token =
        match crate::rotate_token(&state.store, &s.user.username, lifetime, &s.user.username).await
        {
            Ok(t) => t,
            Err(e) => return internal(&e),
        };
    let expires = lifetime.map(crate::credentials::expiry_after);
    if let Err(e) = db::delete_other_sessions(&state.store, &s.user.username, &s.id).await {
        return internal(&e);
    }
    tracing::info!("{} rotated their token from the dashboard", s.user.username);
    (
        StatusCode::OK,
        page(
            "Account",
            Some(s),
            Nav::Account,
            &account_body(
                s,
                Some(&NewToken {
                    token: &token,
                    expires: expires.as_deref(),
                }),
                None,
            ),
        ),
    )
        .into_response()
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
}
