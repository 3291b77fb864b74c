//! Account and token operations: creating an account, rotating its token (from the CLI or from its own
//! dashboard session) and revoking it, each recorded in the audit log.

use crate::audit::{self, AuditAction};
use crate::store::{self, Store};
use crate::{AccessLevel, Error, Result, api, credentials, names, token};

/// Creates an account; returns its new token (shown once; only its hash is stored) and the grants that pending
/// invitations for its email turned into. With `expires_in`, the token stops working after that long.
pub async fn create_user(
    store: &Store,
    username: &str,
    email: Option<&str>,
    expires_in: Option<time::Duration>,
) -> Result<(String, Vec<(String, AccessLevel)>)> {
    names::validate_username(username)?;
    if username == api::RESERVED_USERNAME {
        return Err(Error::ReservedUsername {
            name: username.to_owned(),
        });
    }
    let email = email.map(names::normalize_email).transpose()?;
    let token = token::generate()?;
    let hash = token::hash(&token);
    let expires = expires_in.map(credentials::expiry_after);
    let audit = audit::Audit::new(audit::CLI_ACTOR, AuditAction::UserCreate, username);
    let granted = store
        .create_user(
            username,
            email.as_deref(),
            &hash,
            expires.as_deref(),
            &audit,
        )
        .await?;
    Ok((token, granted))
}

/// Gives an account a new token, invalidating the old one (and lifting a revocation) and ending the account's
/// dashboard sessions. `actor` is who asked (for the audit log); with `expires_in`, the new token stops working
/// after that long. Not capped by `serve --max-token-lifetime`: that caps what users choose in the dashboard.
pub async fn rotate_token(
    store: &Store,
    username: &str,
    expires_in: Option<time::Duration>,
    actor: &str,
) -> Result<String> {
    let token = token::generate()?;
    let expires = expires_in.map(credentials::expiry_after);
    let audit = audit::Audit::new(actor, AuditAction::UserToken, username);
    store::credentials::set_token(
        store,
        username,
        &token::hash(&token),
        expires.as_deref(),
        &audit,
    )
    .await?;
    Ok(token)
}

/// Rotates an account's token from its own dashboard session `session_id` (the cookie value), only if
/// `current_token` is the account's token now: the account's other sessions end, this one continues bound to the
/// new token. Returns the new token and the expiries, or `None` with nothing changed when `current_token` is not
/// the current token.
pub(crate) async fn rotate_token_from_session(
    store: &Store,
    username: &str,
    current_token: &str,
    expires_in: Option<time::Duration>,
    session_id: &str,
) -> Result<Option<Rotated>> {
    let token = token::generate()?;
    let expires = expires_in.map(credentials::expiry_after);
    let session_expires = store::credentials::rotate_in_session(
        store,
        username,
        current_token,
        &token::hash(&token),
        expires.as_deref(),
        &token::hash(session_id),
        &audit::Audit::new(username, AuditAction::UserToken, username),
    )
    .await?;
    let Some(session_expires) = session_expires else {
        return Ok(None);
    };
    Ok(Some(Rotated {
        token,
        expires,
        session_expires,
    }))
}

/// A token rotated from a dashboard session.
pub(crate) struct Rotated {
    /// The new token, shown once.
    pub(crate) token: String,
    /// When it expires (`None`: never).
    pub(crate) expires: Option<String>,
    /// When the rotating session now expires (no later than the token).
    pub(crate) session_expires: String,
}

/// Revokes an account's token (it answers 401 from now on) and ends its dashboard sessions.
pub async fn revoke_token(store: &Store, username: &str, actor: &str) -> Result<()> {
    store::credentials::revoke(
        store,
        username,
        &audit::Audit::new(actor, AuditAction::UserRevoke, username),
    )
    .await?;
    Ok(())
}
