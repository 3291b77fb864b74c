//! Sign in with a token, sign out.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{FromRequestParts as _, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::layout::{Nav, notice, page};
use super::{CsrfForm, Dash, LOGIN_COOKIE, SESSION_COOKIE, Session, cookie, db, internal, is_tls};
use crate::token;

/// How long the sign-in form stays valid, in seconds.
const LOGIN_FORM_SECONDS: i64 = 3600;

fn login_form(
    status: StatusCode,
    secure: bool,
    error: Option<&str>,
    info: Option<&str>,
) -> Response {
    let csrf = match token::random_id() {
        Ok(a) => a,
        Err(e) => return internal(&e),
    };
    let body = html! {
        section.card.login {
            h1 { "Sign in" }
            p.muted { "Paste the API token of your rh account, as printed by " code { "rh-server user create" } "." }
            @if let Some(e) = error { (notice(false, e)) }
            @if let Some(i) = info { (notice(true, i)) }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="current-password" required autofocus spellcheck="false";
                button.primary type="submit" { "Sign in" }
            }
        }
    };
    let mut res = (status, page("Sign in", None, Nav::None, &body)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(LOGIN_COOKIE, &csrf, "/login", LOGIN_FORM_SECONDS, secure),
    );
    res
}

/// `GET /login`: the form, or the dashboard when already signed in.
pub(super) async fn login_page(State(state): State<Dash>, mut parts: Parts) -> Response {
    if Session::from_request_parts(&mut parts, &state)
        .await
        .is_ok()
    {
        return Redirect::to("/").into_response();
    }
    let signed_out = parts.uri.query().is_some_and(|q| q.contains("signed_out"));
    login_form(
        StatusCode::OK,
        is_tls(&parts),
        None,
        signed_out.then_some("You have signed out."),
    )
}

/// `POST /login`: checks the form's CSRF cookie and the token, then starts a session.
pub(super) async fn login(
    State(state): State<Dash>,
    parts: Parts,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let secure = is_tls(&parts);
    let given = form.get("csrf").map_or("", String::as_str);
    let expected = super::read_cookie(&parts.headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !token::constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return login_form(
            StatusCode::FORBIDDEN,
            secure,
            Some("The sign-in form expired. Please try again."),
            None,
        );
    }
    let tok = form.get("token").map_or("", |t| t.trim());
    if tok.is_empty() || tok.len() > 512 {
        return login_form(
            StatusCode::UNAUTHORIZED,
            secure,
            Some("That token is not valid."),
            None,
        );
    }
    let hash = token::hash(tok);
    let user = match state.store.user_by_token_hash(&hash).await {
        Ok(Some(u)) => u,
        Ok(None) => {
            let expired = crate::store::credentials::is_expired(&state.store, &hash)
                .await
                .unwrap_or(false);
            let why = if expired {
                "That token has expired. Ask your administrator for a new one."
            } else {
                "That token is not valid."
            };
            return login_form(StatusCode::UNAUTHORIZED, secure, Some(why), None);
        }
        Err(e) => return internal(&e),
    };
    let id = match (token::random_id(), token::random_id()) {
        (Ok(a), Ok(b)) => format!("{a}{b}"),
        (Err(e), _) | (_, Err(e)) => return internal(&e),
    };
    let full = db::SESSION_DAYS * 86_400;
    let max_age = match db::create_session(&state.store, &id, &user.username, &hash).await {
        // The cookie lasts no longer than the session, which lasts no longer than the token.
        Ok(Some(expires)) => {
            crate::credentials::seconds_until(&expires).map_or(full, |s| s.min(full))
        }
        // The token was rotated or revoked since the lookup above.
        Ok(None) => {
            return login_form(
                StatusCode::UNAUTHORIZED,
                secure,
                Some("That token is not valid."),
                None,
            );
        }
        Err(e) => return internal(&e),
    };
    tracing::info!("dashboard sign-in by {}", user.username);
    let mut res = Redirect::to("/").into_response();
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, &id, "/", max_age, secure),
    );
    h.append(
        header::SET_COOKIE,
        cookie(LOGIN_COOKIE, "", "/login", 0, secure),
    );
    res
}

/// `POST /logout`: ends the session and clears the cookie.
pub(super) async fn logout(State(state): State<Dash>, form: CsrfForm) -> Response {
    if let Err(e) = db::delete_session(&state.store, &form.session.id).await {
        return internal(&e);
    }
    let mut res = Redirect::to("/login?signed_out=1").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, "", "/", 0, form.session.secure),
    );
    res
}
