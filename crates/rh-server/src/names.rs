//! Validated names: usernames, emails, resource addresses and their URI form.

use std::fmt;

use rh_config::MAX_USERNAME;

use crate::{Error, Result};

/// Longest resource address, in bytes.
const MAX_ADDRESS: usize = 1024;
/// Longest single address segment, in bytes.
const MAX_SEGMENT: usize = 255;

/// Checks a username with the grammar the CLI shares ([`rh_config::is_valid_username`]).
pub fn validate_username(name: &str) -> Result<()> {
    if rh_config::is_valid_username(name) {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "invalid username {name:?}: use 1-{MAX_USERNAME} letters, digits, '_', '-' or '.', starting with a letter or digit"
        )))
    }
}

/// Checks an email address loosely (one `@`, no spaces or control characters) and returns it lowercased.
pub fn normalize_email(email: &str) -> Result<String> {
    let ok = email.len() <= 254
        && email.matches('@').count() == 1
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email.to_lowercase())
    } else {
        Err(Error::Invalid(format!("invalid email address {email:?}")))
    }
}

/// A remote resource address such as `/alice/proj/model`: at least two segments, the first being the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceName {
    segments: Vec<String>,
}

impl ResourceName {
    /// Parses an address (`/alice/x`).
    pub fn from_address(address: &str) -> Result<Self> {
        let Some(rest) = address.strip_prefix('/') else {
            return Err(Error::Invalid(format!(
                "invalid resource name {address:?}: it must start with '/<owner>/'"
            )));
        };
        Self::from_segments(address, rest.split('/'))
    }

    /// Parses a URI (`alice:x`): the address without its leading `/`, with `/` replaced by `:`.
    pub fn from_uri(uri: &str) -> Result<Self> {
        Self::from_segments(uri, uri.split(':'))
    }

    fn from_segments<'a>(raw: &str, parts: impl Iterator<Item = &'a str>) -> Result<Self> {
        let bad = |why: &str| Error::Invalid(format!("invalid resource name {raw:?}: {why}"));
        if raw.len() > MAX_ADDRESS {
            return Err(bad("it is too long"));
        }
        let segments: Vec<String> = parts.map(str::to_owned).collect();
        if segments.len() < 2 {
            return Err(bad("it needs an owner and a name, as in /<owner>/<name>"));
        }
        for s in &segments {
            if s.is_empty() {
                return Err(bad("it has an empty segment"));
            }
            if s == "." || s == ".." {
                return Err(bad("'.' and '..' are not allowed"));
            }
            if s.len() > MAX_SEGMENT {
                return Err(bad("a segment is too long"));
            }
            if s.chars().any(char::is_control) {
                return Err(bad("control characters are not allowed"));
            }
            if s.contains([':', '/', '\\']) {
                return Err(bad("':', '/' and '\\' are not allowed inside a segment"));
            }
            if s.trim() != s {
                return Err(bad("a segment starts or ends with whitespace"));
            }
        }
        validate_username(&segments[0])
            .map_err(|_| bad("the first segment is not a valid username"))?;
        Ok(Self { segments })
    }

    /// The owner: the first segment.
    pub fn owner(&self) -> &str {
        &self.segments[0]
    }

    /// `/alice/x`.
    pub fn address(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }

    /// `alice:x`.
    pub fn uri(&self) -> String {
        self.segments.join(":")
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_and_uri_round_trip() {
        let n = ResourceName::from_address("/alice/proj/m").expect("valid");
        assert_eq!(n.uri(), "alice:proj:m");
        assert_eq!(n.owner(), "alice");
        assert_eq!(ResourceName::from_uri("alice:proj:m").expect("valid"), n);
    }

    #[test]
    fn bad_names_are_rejected() {
        for bad in [
            "alice/x",
            "/alice",
            "/alice/",
            "/alice//x",
            "/alice/../x",
            "/alice/./x",
            "/alice/a\u{0}b",
            "/alice/a\nb",
            "/al ice/x",
            "/alice/a:b",
            "/-alice/x",
            "/alice/ x",
        ] {
            assert!(ResourceName::from_address(bad).is_err(), "{bad:?} accepted");
        }
        for bad in ["alice", "alice:..", "alice::x", "alice:x\u{7f}"] {
            assert!(ResourceName::from_uri(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn usernames_and_emails() {
        assert!(validate_username("bob_1.x-y").is_ok());
        for bad in ["", ".bob", "bo b", "bob@x", "b/ob", &"a".repeat(65)] {
            assert!(validate_username(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            normalize_email("Bob@Example.com").expect("valid"),
            "bob@example.com"
        );
        for bad in ["bob", "@x", "x@", "a@b@c", "a b@c", "a\n@c"] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
    }
}
