//! Token lifetimes: expiry (`--expires-in 90d`), revocation, and telling an expired token from an unknown one.
//!
//! The expiry lives in `users.token_expires_at` (RFC 3339 UTC text, compared as text); the lookups in
//! [`crate::store`] already refuse expired tokens, so every route enforces it. Revoking replaces the stored
//! hash by an unusable value (`revoked:` and random hex), so the old token matches nothing at all.

use sqlx::Row as _;

use crate::audit::Audit;
use crate::store::now;
use crate::{Error, Result, Store, token};

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
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    (time::OffsetDateTime::now_utc() + lifetime)
        .format(&format)
        .expect("a UTC time always formats")
}

/// Stores a new token hash for `username` with its expiry (`None`: never), clearing any revocation, with
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
    audit.write(&mut w.tx).await?;
    w.tx.commit().await?;
    Ok(())
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
    }
}
