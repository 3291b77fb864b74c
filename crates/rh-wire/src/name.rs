//! The resource-name grammar rh and rh-server share: what a segment may hold, how long a name may be, and the
//! address `/alice/a/b` ↔ uri `alice:a:b` mapping.
//!
//! - A segment ([`check_segment`]) is 1 to [`MAX_SEGMENT`] bytes, not `.` or `..`, and holds no `/`, `:` or `\`,
//!   no control character (NUL included) and no whitespace at either end.
//! - A name's segments joined as `/a/b` are at most [`MAX_ADDRESS`] bytes ([`check_length`]).
//! - A remote [`Address`] is `/<owner>/<name>…`: the owner a username ([`rh_config::is_valid_username`]), then
//!   at least one more segment. Its uri is the address without the leading `/`, each `/` replaced by `:`.
//!
//! `:` is refused, not escaped: the uri joins segments with `:`, as Runhouse's client does
//! (`/alice/proj/m` → `alice:proj:m`), so `/alice/a:b` would share the uri `alice:a:b` with `/alice/a/b`.
//! rh-server never accepted a `:` in a segment, so nothing stored holds one, and the mapping stays the one
//! every Runhouse client uses. No segment is reserved here; the local store reserves `config.json` (its file).

use std::fmt;

/// Longest segment, in bytes (also the longest file name of common filesystems).
pub const MAX_SEGMENT: usize = 255;
/// Longest name, in bytes, written as an address `/a/b` (the uri is one byte shorter).
pub const MAX_ADDRESS: usize = 1024;

/// Why a name is refused: one rule of the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// An empty segment (`/alice//x`, a trailing `/`, or an empty name).
    #[error("it has an empty segment")]
    EmptySegment,
    /// A segment that is `.` or `..`.
    #[error("`.` and `..` are not allowed inside a name")]
    Dots,
    /// A segment holding a control character (NUL, newline, escape…).
    #[error("it contains a control character")]
    Control,
    /// A segment holding `:`, which the uri uses to join segments.
    #[error("it contains `:`, which separates the segments of a uri (`alice:a:b` is `/alice/a/b`)")]
    Colon,
    /// A segment holding a backslash (`\`).
    #[error("it contains a backslash")]
    Backslash,
    /// A segment holding `/` (possible only in segments given already split).
    #[error("a segment contains `/`")]
    Slash,
    /// A segment with whitespace at its start or end.
    #[error("a segment starts or ends with whitespace")]
    EdgeWhitespace,
    /// A segment longer than [`MAX_SEGMENT`] bytes.
    #[error("a segment is longer than {} bytes", MAX_SEGMENT)]
    LongSegment,
    /// A name longer than [`MAX_ADDRESS`] bytes, counted as the address `/a/b`.
    #[error("it is longer than {} bytes", MAX_ADDRESS)]
    LongName,
    /// A remote name with no segments or only an owner.
    #[error("it needs an owner and a name, as in `/<owner>/<name>`")]
    NoName,
    /// A remote address that does not start with `/`.
    #[error("it must start with `/<owner>/`")]
    NoLeadingSlash,
    /// A remote name whose first segment is not a valid username ([`rh_config::is_valid_username`]).
    #[error(
        "the owner is not a valid username (1-{} letters, digits, '_', '-' or '.', starting with a letter or digit)",
        rh_config::MAX_USERNAME
    )]
    Owner,
}

/// A refused name: `invalid resource name `/alice/a:b`: it contains `:`, …` (one line; the name escaped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid resource name `{name}`: {refusal}")]
pub struct NameError {
    /// The name as given, with control characters escaped.
    pub name: String,
    /// The rule it breaks.
    pub refusal: Refusal,
}

impl NameError {
    /// `raw` refused for `refusal`.
    pub fn new(raw: &str, refusal: Refusal) -> Self {
        Self {
            name: raw.escape_debug().to_string(),
            refusal,
        }
    }
}

/// Checks one segment of any name (local, builtin or remote).
pub fn check_segment(segment: &str) -> Result<(), Refusal> {
    let refusal = match segment {
        "" => Refusal::EmptySegment,
        "." | ".." => Refusal::Dots,
        s if s.chars().any(char::is_control) => Refusal::Control,
        s if s.contains(':') => Refusal::Colon,
        s if s.contains('\\') => Refusal::Backslash,
        s if s.contains('/') => Refusal::Slash,
        s if s.trim() != s => Refusal::EdgeWhitespace,
        s if s.len() > MAX_SEGMENT => Refusal::LongSegment,
        _ => return Ok(()),
    };
    Err(refusal)
}

/// Checks the first segment of a remote name: a segment and a username.
pub fn check_owner(owner: &str) -> Result<(), Refusal> {
    check_segment(owner)?;
    if rh_config::is_valid_username(owner) {
        Ok(())
    } else {
        Err(Refusal::Owner)
    }
}

/// Checks the length of a name of `segments`, counted as the address `/a/b`.
pub fn check_length<S: AsRef<str>>(segments: &[S]) -> Result<(), Refusal> {
    let len: usize = segments.iter().map(|s| 1 + s.as_ref().len()).sum();
    if len > MAX_ADDRESS {
        Err(Refusal::LongName)
    } else {
        Ok(())
    }
}

/// `["alice", "a", "b"]` → `alice:a:b` (not percent-encoded).
pub fn uri<S: AsRef<str>>(segments: &[S]) -> String {
    let parts: Vec<&str> = segments.iter().map(AsRef::as_ref).collect();
    parts.join(":")
}

/// A remote resource address such as `/alice/proj/model`: an owner and at least one more segment, all valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    segments: Vec<String>,
}

impl Address {
    /// Parses an address (`/alice/x`).
    pub fn from_address(address: &str) -> Result<Self, NameError> {
        let Some(rest) = address.strip_prefix('/') else {
            return Err(NameError::new(address, Refusal::NoLeadingSlash));
        };
        Self::from_parts(address, rest.split('/'))
    }

    /// Parses a uri (`alice:x`).
    pub fn from_uri(uri: &str) -> Result<Self, NameError> {
        Self::from_parts(uri, uri.split(':'))
    }

    /// Checks already split segments (`["alice", "x"]`); `raw` is what errors name.
    pub fn from_segments(raw: &str, segments: Vec<String>) -> Result<Self, NameError> {
        let bad = |refusal| NameError::new(raw, refusal);
        let Some((owner, rest)) = segments.split_first() else {
            return Err(bad(Refusal::NoName));
        };
        check_owner(owner).map_err(bad)?;
        for s in rest {
            check_segment(s).map_err(bad)?;
        }
        if rest.is_empty() {
            return Err(bad(Refusal::NoName));
        }
        check_length(&segments).map_err(bad)?;
        Ok(Self { segments })
    }

    fn from_parts<'a>(raw: &str, parts: impl Iterator<Item = &'a str>) -> Result<Self, NameError> {
        // Refuse a huge input before splitting it.
        if raw.len() > MAX_ADDRESS {
            return Err(NameError::new(raw, Refusal::LongName));
        }
        Self::from_segments(raw, parts.map(str::to_owned).collect())
    }

    /// The owner: the first segment.
    pub fn owner(&self) -> &str {
        &self.segments[0]
    }

    /// Every segment, the owner first.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// `/alice/x`.
    pub fn address(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }

    /// `alice:x`.
    pub fn uri(&self) -> String {
        uri(&self.segments)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        for ok in [
            "x",
            "my proj",
            "café",
            "x.y-z_1@2+3",
            "config.json",
            "...",
            "a b",
            &"s".repeat(MAX_SEGMENT),
        ] {
            assert_eq!(check_segment(ok), Ok(()), "{ok:?}");
        }
        for (bad, refusal) in [
            ("", Refusal::EmptySegment),
            (".", Refusal::Dots),
            ("..", Refusal::Dots),
            ("a\0b", Refusal::Control),
            ("a\nb", Refusal::Control),
            ("a\u{7f}", Refusal::Control),
            ("a\u{85}", Refusal::Control),
            ("a:b", Refusal::Colon),
            (":", Refusal::Colon),
            ("a\\b", Refusal::Backslash),
            ("a/b", Refusal::Slash),
            (" x", Refusal::EdgeWhitespace),
            ("x ", Refusal::EdgeWhitespace),
            ("x\u{a0}", Refusal::EdgeWhitespace),
            (&"s".repeat(MAX_SEGMENT + 1), Refusal::LongSegment),
            // Bytes, not characters: 128 two-byte characters.
            (&"é".repeat(128), Refusal::LongSegment),
        ] {
            assert_eq!(check_segment(bad), Err(refusal), "{bad:?}");
        }
    }

    #[test]
    fn addresses() {
        let longest = format!(
            "/alice/{}/{}",
            vec!["s".repeat(250); 4].join("/"),
            "s".repeat(MAX_ADDRESS - 7 - 4 * 251)
        );
        assert_eq!(longest.len(), MAX_ADDRESS);
        for ok in [
            "/alice/x",
            "/alice/proj/m",
            "/0day/my proj/café",
            "/bob_1.x-y/p/config.json",
            &longest,
        ] {
            let a = Address::from_address(ok).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(a.address(), ok);
            assert_eq!(a.to_string(), ok);
            assert_eq!(a.owner(), &ok[1..=ok[1..].find('/').expect("two segments")]);
        }
        let too_long = format!("{longest}s");
        for (bad, refusal) in [
            ("alice/x", Refusal::NoLeadingSlash),
            ("", Refusal::NoLeadingSlash),
            ("/alice", Refusal::NoName),
            ("/", Refusal::EmptySegment),
            ("/alice/", Refusal::EmptySegment),
            ("/alice//x", Refusal::EmptySegment),
            ("/alice/../x", Refusal::Dots),
            ("/alice/./x", Refusal::Dots),
            ("/../x", Refusal::Dots),
            ("/alice/a\u{0}b", Refusal::Control),
            ("/alice/a:b", Refusal::Colon),
            ("/alice/a\\b", Refusal::Backslash),
            ("/alice/ x", Refusal::EdgeWhitespace),
            ("/al ice/x", Refusal::Owner),
            ("/-alice/x", Refusal::Owner),
            ("/café/x", Refusal::Owner),
            (&format!("/{}/x", "a".repeat(65)), Refusal::Owner),
            (&format!("/alice/{}", "s".repeat(256)), Refusal::LongSegment),
            (&too_long, Refusal::LongName),
        ] {
            let err = Address::from_address(bad).expect_err(bad);
            assert_eq!(err.refusal, refusal, "{bad:?}: {err}");
        }
    }

    #[test]
    fn address_and_uri_round_trip() {
        for (address, uri) in [
            ("/alice/x", "alice:x"),
            ("/alice/proj/m", "alice:proj:m"),
            ("/alice/my proj/a?b", "alice:my proj:a?b"),
        ] {
            let a = Address::from_address(address).expect("valid");
            assert_eq!(a.uri(), uri);
            let b = Address::from_uri(uri).expect("valid");
            assert_eq!(b, a);
            assert_eq!(b.address(), address);
        }
        for (bad, refusal) in [
            ("alice", Refusal::NoName),
            ("alice:", Refusal::EmptySegment),
            ("alice::x", Refusal::EmptySegment),
            ("alice:..", Refusal::Dots),
            ("alice:x\u{7f}", Refusal::Control),
            ("alice:a/b", Refusal::Slash),
            ("/alice:x", Refusal::Slash),
        ] {
            let err = Address::from_uri(bad).expect_err(bad);
            assert_eq!(err.refusal, refusal, "{bad:?}: {err}");
        }
    }

    #[test]
    fn errors_are_one_line_and_name_the_name() {
        let err = Address::from_address("/alice/a\nb:c").expect_err("control");
        assert_eq!(
            err.to_string(),
            "invalid resource name `/alice/a\\nb:c`: it contains a control character"
        );
        assert_eq!(
            Address::from_uri("alice:a b ")
                .expect_err("edge")
                .to_string(),
            "invalid resource name `alice:a b `: a segment starts or ends with whitespace"
        );
        assert_eq!(
            Refusal::LongSegment.to_string(),
            "a segment is longer than 255 bytes"
        );
        assert_eq!(
            Refusal::LongName.to_string(),
            "it is longer than 1024 bytes"
        );
    }
}
