//! `BlobPath`: a key every backend accepts.

use crate::{Error, Result};

/// A validated object key: `/`-separated, relative, at most 1024 bytes, no empty, `.` or `..` segments, no
/// control characters or backslashes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlobPath(String);

/// Directory the `file` backend stages uploads in; no key may live under it.
pub(crate) const STAGING_DIR: &str = ".rh-staging";

impl BlobPath {
    /// Validates `key`.
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let key = key.into();
        let bad = |reason| {
            Err(Error::InvalidPath {
                path: key.clone(),
                reason,
            })
        };
        if key.is_empty() {
            return bad("empty");
        }
        if key.len() > 1024 {
            return bad("longer than 1024 bytes");
        }
        if key.starts_with('/') {
            return bad("starts with '/'");
        }
        if key.chars().any(|c| c.is_control() || c == '\\') {
            return bad("contains a control character or backslash");
        }
        for seg in key.split('/') {
            match seg {
                "" => return bad("has an empty segment"),
                "." | ".." => return bad("has a '.' or '..' segment"),
                _ => {}
            }
        }
        if key.split('/').next() == Some(STAGING_DIR) {
            return bad("uses the reserved .rh-staging directory");
        }
        Ok(Self(key))
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Joins `self/child`.
    pub fn join(&self, child: &str) -> Result<Self> {
        Self::new(format!("{}/{child}", self.0))
    }
}

impl std::fmt::Display for BlobPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for BlobPath {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

impl AsRef<str> for BlobPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::BlobPath;

    #[test]
    fn accepts_plain_keys() {
        for k in [
            "a",
            "dir/file.bin",
            "runhouse-blob/1234/user/my_blob",
            "a b/ünï",
        ] {
            assert_eq!(BlobPath::new(k).expect(k).as_str(), k);
        }
    }

    #[test]
    fn refuses_bad_keys() {
        for k in [
            "",
            "/abs",
            "a//b",
            "a/",
            "../x",
            "a/./b",
            "a\\b",
            "a\nb",
            ".rh-staging/x",
        ] {
            assert!(BlobPath::new(k).is_err(), "{k:?} accepted");
        }
        assert!(BlobPath::new("x".repeat(1025)).is_err());
        let msg = BlobPath::new("a//b").expect_err("bad").to_string();
        assert_eq!(msg, "invalid blob path \"a//b\": has an empty segment");
    }
}
