//! The closed sets of values rh-server stores: a resource's [`Visibility`] and a grant's [`AccessLevel`]
//! (the audit log's is [`crate::audit::AuditAction`]). Each is parsed once, at the edge (the JSON API, the
//! dashboard's forms, a database row); everything in between holds the enum, and `as_str` is the stored and
//! the wire form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Who may read a resource besides its owner and grantees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Only the owner and grantees (the default of a new resource).
    #[default]
    Private,
    /// Anyone who knows the name; not listed to others.
    Unlisted,
    /// Anyone; listed to everyone.
    Public,
}

impl Visibility {
    /// Every value, the default first.
    pub const ALL: [Self; 3] = [Self::Private, Self::Unlisted, Self::Public];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Unlisted => "unlisted",
            Self::Public => "public",
        }
    }

    /// Whether everyone may read (unlisted or public).
    pub fn is_open(self) -> bool {
        self != Self::Private
    }
}

impl FromStr for Visibility {
    type Err = Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::InvalidVisibility {
                value: s.to_owned(),
            })
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The level of a grant (or of an invitation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccessLevel {
    /// May read the resource and the history from the grant on.
    Read,
    /// May also update, share, change the visibility of, restore and delete it.
    Write,
}

impl AccessLevel {
    /// Every value.
    pub const ALL: [Self; 2] = [Self::Read, Self::Write];

    /// The stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

impl FromStr for AccessLevel {
    type Err = Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::UnknownValue {
                what: "access level",
                value: s.to_owned(),
                expected: "read or write".to_owned(),
            })
    }
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_text_and_json() {
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>().expect("known"), v);
            let json = serde_json::to_value(v).expect("serializes");
            assert_eq!(json, serde_json::json!(v.as_str()));
            assert_eq!(
                serde_json::from_value::<Visibility>(json).expect("parses"),
                v
            );
        }
        for l in AccessLevel::ALL {
            assert_eq!(l.as_str().parse::<AccessLevel>().expect("known"), l);
            assert_eq!(
                serde_json::to_value(l).expect("serializes"),
                serde_json::json!(l.as_str())
            );
        }
        assert_eq!(Visibility::default(), Visibility::Private);
        assert!(AccessLevel::Write > AccessLevel::Read);
    }

    #[test]
    fn unknown_values_are_refused() {
        for bad in ["", "Private", "PUBLIC", " public", "hidden", "denied"] {
            let e = bad.parse::<Visibility>().expect_err(bad).to_string();
            assert!(e.contains("invalid visibility"), "{e}");
            assert!(serde_json::from_value::<Visibility>(serde_json::json!(bad)).is_err());
        }
        for bad in ["", "Read", "admin", "denied", "owner"] {
            let e = bad.parse::<AccessLevel>().expect_err(bad).to_string();
            assert!(e.contains("unknown access level"), "{e}");
            assert!(serde_json::from_value::<AccessLevel>(serde_json::json!(bad)).is_err());
        }
    }
}
