//! Validated names: usernames, emails, and resource addresses and their URI form (by rh-wire's grammar).

use std::fmt;

use rh_wire::name::Address;

use crate::{Error, Result};

/// Checks a username with the grammar the CLI shares ([`rh_config::is_valid_username`]).
pub fn validate_username(name: &str) -> Result<()> {
    if rh_config::is_valid_username(name) {
        Ok(())
    } else {
        Err(Error::InvalidUsername {
            name: name.to_owned(),
        })
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
        Err(Error::InvalidEmail {
            email: email.to_owned(),
        })
    }
}

/// A remote resource address such as `/alice/proj/model`: at least two segments, the first being the owner.
///
/// The grammar is the one the client applies ([`rh_wire::name`]); this type turns its refusals into
/// [`Error::InvalidName`] (400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceName(Address);

impl ResourceName {
    /// Parses an address (`/alice/x`).
    pub fn from_address(address: &str) -> Result<Self> {
        Ok(Self(Address::from_address(address)?))
    }

    /// Parses a URI (`alice:x`): the address without its leading `/`, with `/` replaced by `:`.
    pub fn from_uri(uri: &str) -> Result<Self> {
        Ok(Self(Address::from_uri(uri)?))
    }

    /// The owner: the first segment.
    pub fn owner(&self) -> &str {
        self.0.owner()
    }

    /// `/alice/x`.
    pub fn address(&self) -> String {
        self.0.address()
    }

    /// `alice:x`.
    pub fn uri(&self) -> String {
        self.0.uri()
    }

    /// The segments, the owner first (`["alice", "x"]`).
    pub fn segments(&self) -> &[String] {
        self.0.segments()
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
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
        let err = ResourceName::from_address("/alice/a:b").expect_err("colon");
        assert!(
            err.to_string()
                .starts_with("invalid resource name `/alice/a:b`: it contains `:`"),
            "{err}"
        );
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
