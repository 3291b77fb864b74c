//! Token lifetimes: expiry (`--expires-in 90d`), revocation, and telling an expired token from an unknown one.
//!
//! The expiry lives in `users.token_expires_at` (RFC 3339 UTC text, compared as text); the lookups in
//! [`crate::store`] already refuse expired tokens, so every route enforces it. Revoking replaces the stored
//! hash by an unusable value (`revoked:` and random hex), so the old token matches nothing at all.

use sqlx::Row as _;

use crate::audit::Audit;
use crate::store::now;
use crate::{Error, Result, Store, token};

/// The default of `serve --max-token-lifetime`: the longest lifetime a user may give a token rotated from the
/// dashboard.
pub const DEFAULT_MAX_TOKEN_LIFETIME: time::Duration = time::Duration::days(365);

/// Parses `--max-token-lifetime`: a duration as [`parse_duration`] reads it, or `never` for no cap.
pub fn parse_lifetime_cap(text: &str) -> Result<Option<time::Duration>> {
    if text.trim() == "never" {
        return Ok(None);
    }
    parse_duration(text).map(Some)
}

/// Parses a lifetime such as `30m`, `12h`, `90d` or `2w` (also `45s`); at least one second, at most 100 years.
pub fn parse_duration(text: &str) -> Result<time::Duration> {
    let bad = || {
        Error::Invalid(format!(
            "invalid duration {text:?}: use a number and a unit, e.g. 30m, 12h, 90d (units s, m, h, d, w)"
        ))
    };
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = t.split_at(split);
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let seconds = n.checked_mul(seconds_per).ok_or_else(bad)?;
    if !(1..=100 * 365 * 86_400).contains(&seconds) {
        return Err(bad());
    }
    Ok(time::Duration::seconds(seconds))
}

/// The RFC 3339 time `lifetime` from now, in the format of [`now`].
pub fn expiry_after(lifetime: time::Duration) -> String {
    crate::store::stamp(time::OffsetDateTime::now_utc() + lifetime)
}

/// Stores a new token hash for `username` with its expiry (`None`: never), clearing any revocation, and ends
/// their dashboard sessions (each is bound to the token it was opened with; see [`rotate_in_session`]), with
/// `audit`'s row in the same transaction.
pub async fn set_token(
    store: &Store,
    username: &str,
    token_hash: &str,
    expires_at: Option<&str>,
    audit: &Audit,
) -> Result<()> {
    let mut w = store.begin_write().await?;
    let done = sqlx::query(
        "UPDATE users SET token_hash = $1, token_expires_at = $2, token_revoked_at = NULL \
         WHERE username = $3",
    )
    .bind(token_hash)
    .bind(expires_at)
    .bind(username)
    .execute(&mut *w.tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::UserNotFound(username.to_owned()));
    }
    sqlx::query("DELETE FROM sessions WHERE username = $1")
        .bind(username)
        .execute(&mut *w.tx)
        .await?;
    audit.write(&mut w.tx).await?;
    w.tx.commit().await?;
    Ok(())
}

/// Rotates `username`'s token from their dashboard session `session_id_hash`, in one transaction: only if
/// `current_token` is the account's token now (compared in constant time, then swapped only if unchanged),
/// stores `new_hash` with its expiry (`None`: never), ends every other session of the account and binds this
/// one to the new token, expiring no later than it, with `audit`'s row. Returns when this session now expires, or `None` (and
/// nothing changed) when `current_token` is not the current token.
pub(crate) async fn rotate_in_session(
    store: &Store,
    username: &str,
    current_token: &str,
    new_hash: &str,
    expires_at: Option<&str>,
    session_id_hash: &str,
    audit: &Audit,
) -> Result<Option<String>> {
    let mut w = store.begin_write().await?;
    let row = sqlx::query("SELECT token_hash FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut *w.tx)
        .await?;
    let Some(row) = row else {
        return Err(Error::UserNotFound(username.to_owned()));
    };
    let stored: String = row.try_get(0)?;
    if !token::constant_time_eq(token::hash(current_token).as_bytes(), stored.as_bytes()) {
        return Ok(None);
    }
    let done = sqlx::query(
        "UPDATE users SET token_hash = $1, token_expires_at = $2, token_revoked_at = NULL \
         WHERE username = $3 AND token_hash = $4",
    )
    .bind(new_hash)
    .bind(expires_at)
    .bind(username)
    .bind(&stored)
    .execute(&mut *w.tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query("DELETE FROM sessions WHERE username = $1 AND id_hash <> $2")
        .bind(username)
        .bind(session_id_hash)
        .execute(&mut *w.tx)
        .await?;
    let row = sqlx::query("SELECT expires_at FROM sessions WHERE id_hash = $1 AND username = $2")
        .bind(session_id_hash)
        .bind(username)
        .fetch_optional(&mut *w.tx)
        .await?;
    // Without the row (signed out meanwhile) the session is over: it "expires" now.
    let mut until = now();
    if let Some(row) = row {
        let session_expires: String = row.try_get(0)?;
        until = match expires_at {
            Some(e) if e < session_expires.as_str() => e.to_owned(),
            _ => session_expires,
        };
        sqlx::query("UPDATE sessions SET token_hash = $1, expires_at = $2 WHERE id_hash = $3")
            .bind(new_hash)
            .bind(&until)
            .bind(session_id_hash)
            .execute(&mut *w.tx)
            .await?;
    }
    audit.write(&mut w.tx).await?;
    w.tx.commit().await?;
    Ok(Some(until))
}

/// Whole seconds from now until `stamp` (a time in the format of [`now`]), rounded up, at least 0; `None` if it
/// is not one.
pub(crate) fn seconds_until(stamp: &str) -> Option<i64> {
    let left = crate::store::parse_stamp(stamp)? - time::OffsetDateTime::now_utc();
    let up = i64::from(left.subsec_nanoseconds() > 0);
    Some((left.whole_seconds() + up).max(0))
}

/// Revokes `username`'s token and ends their dashboard sessions, with `audit`'s row; the account and its data
/// stay. A new token can be issued with `rh-server user token`.
pub async fn revoke(store: &Store, username: &str, audit: &Audit) -> Result<()> {
    let unusable = format!("revoked:{}", token::random_id()?);
    let mut w = store.begin_write().await?;
    let done = sqlx::query(
        "UPDATE users SET token_hash = $1, token_expires_at = NULL, token_revoked_at = $2 \
         WHERE username = $3",
    )
    .bind(&unusable)
    .bind(now())
    .bind(username)
    .execute(&mut *w.tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::UserNotFound(username.to_owned()));
    }
    sqlx::query("DELETE FROM sessions WHERE username = $1")
        .bind(username)
        .execute(&mut *w.tx)
        .await?;
    audit.write(&mut w.tx).await?;
    w.tx.commit().await?;
    Ok(())
}

/// Why a token that the lookups refused was refused: `true` when it is a real token past its expiry.
pub async fn is_expired(store: &Store, token_hash: &str) -> Result<bool> {
    let row = sqlx::query("SELECT token_expires_at FROM users WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(store.pool())
        .await?;
    let Some(row) = row else { return Ok(false) };
    let expires: Option<String> = row.try_get(0)?;
    Ok(expires.is_some_and(|e| e <= now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m").expect("ok").whole_seconds(), 1800);
        assert_eq!(parse_duration("12h").expect("ok").whole_seconds(), 43_200);
        assert_eq!(
            parse_duration("90d").expect("ok").whole_seconds(),
            90 * 86_400
        );
        assert_eq!(parse_duration("2w").expect("ok").whole_days(), 14);
        assert_eq!(parse_duration("5s").expect("ok").whole_seconds(), 5);
        for bad in [
            "",
            "d",
            "10",
            "10y",
            "-1d",
            "0m",
            "1.5h",
            "99999999999999999d",
            "h1",
        ] {
            let e = parse_duration(bad).expect_err(bad).to_string();
            assert!(e.contains("invalid duration"), "{e}");
        }
        assert!(expiry_after(time::Duration::days(1)) > now());
        let day = seconds_until(&expiry_after(time::Duration::days(1))).expect("a stamp");
        assert!((86_000..=86_400).contains(&day), "{day}");
        assert_eq!(seconds_until(&now()), Some(0));
        assert_eq!(seconds_until("2000-01-01T00:00:00.000000Z"), Some(0));
        for bad in [
            "",
            "2026-13-01T00:00:00.000000Z",
            "2026-01-01 00:00:00.000000Z",
            "soon",
        ] {
            assert_eq!(seconds_until(bad), None, "{bad}");
        }
    }
}
