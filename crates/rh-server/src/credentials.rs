//! Token lifetimes: expiry (`--expires-in 90d`), revocation, and telling an expired token from an unknown one.
//!
//! The expiry lives in `users.token_expires_at` (RFC 3339 UTC text, compared as text); the lookups in
//! [`crate::store`] already refuse expired tokens, so every route enforces it. The queries (set, rotate, revoke,
//! expired?) are in [`crate::store::credentials`].

#[cfg(test)]
use crate::store::now;
use crate::{Error, Result};

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
    let bad = || Error::InvalidDuration {
        text: text.to_owned(),
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

/// The RFC 3339 time `lifetime` from now, in the store's format.
pub fn expiry_after(lifetime: time::Duration) -> String {
    crate::store::stamp(time::OffsetDateTime::now_utc() + lifetime)
}

/// Whole seconds from now until `stamp` (a time in the store's format), rounded up, at least 0; `None` if it
/// is not one.
pub(crate) fn seconds_until(stamp: &str) -> Option<i64> {
    let left = crate::store::parse_stamp(stamp)? - time::OffsetDateTime::now_utc();
    let up = i64::from(left.subsec_nanoseconds() > 0);
    Some((left.whole_seconds() + up).max(0))
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
