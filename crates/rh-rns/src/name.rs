//! [`ResourceName`]: a parsed, validated resource address.

use std::fmt;
use std::str::FromStr;

use rh_wire::name;

use crate::{Error, Result};

/// Where a name lives, from its first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `~/…`: the `rh/` folder of the working dir.
    Local,
    /// `^…`: read-only resources shipped with rh.
    Builtin,
    /// `/user/…`: the remote RNS (rh-server).
    Remote,
}

/// A resolved resource address: `~/a/b`, `^rh-cpu` or `/alice/a/b`.
///
/// Parsing resolves the relative forms (`@/x`, `./x`, bare `x`) with a [`NameContext`] and validates
/// every segment by the grammar rh-server applies too ([`rh_wire::name`]: no segment is empty, `.` or `..`,
/// holds `/`, `:`, `\`, a control character or NUL, starts or ends with whitespace or is longer than 255
/// bytes; a remote name's first segment is a username; at most 1024 bytes in all), so a remote name the
/// client accepts is one rh-server accepts, and a `ResourceName` can be turned into a path without further
/// checks. A local or builtin segment is never `config.json` either (the file a resource is stored in).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceName {
    scope: Scope,
    segments: Vec<String>,
}

/// What relative names resolve against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameContext {
    /// `@`: `~` when logged out, `/<username>` when logged in.
    pub default_folder: ResourceName,
    /// `.` and bare names: starts as the default folder.
    pub current_folder: ResourceName,
}

impl Default for NameContext {
    /// Logged out: both folders are `~`.
    fn default() -> Self {
        Self {
            default_folder: ResourceName::local_root(),
            current_folder: ResourceName::local_root(),
        }
    }
}

impl NameContext {
    /// Both folders set to `folder` (the usual start: the current folder is the default folder).
    pub fn with_default_folder(folder: ResourceName) -> Self {
        Self {
            current_folder: folder.clone(),
            default_folder: folder,
        }
    }
}

/// First path segments that mark an absolute filesystem path rather than a `/user/…` address.
const FILESYSTEM_ROOTS: &[&str] = &[
    "home", "Users", "tmp", "var", "etc", "usr", "opt", "private", "mnt", "root", "proc", "dev",
    "srv", "Volumes",
];

impl ResourceName {
    /// `~`: the root of the local store (a folder, not a resource).
    pub fn local_root() -> Self {
        Self {
            scope: Scope::Local,
            segments: Vec::new(),
        }
    }

    /// Parses `input`, resolving `@`, `.` and bare names against `ctx`.
    pub fn parse_with(input: &str, ctx: &NameContext) -> Result<Self> {
        if input.is_empty() {
            return Err(Error::invalid_name(input, "it is empty"));
        }
        if input.chars().any(char::is_control) {
            return Err(Error::invalid_name(
                input,
                "it contains a control character",
            ));
        }
        let (base, rest) = if input == "~" {
            (Self::local_root(), "")
        } else if let Some(rest) = input.strip_prefix("~/") {
            (Self::local_root(), rest)
        } else if let Some(rest) = input.strip_prefix('^') {
            return Self::builtin(input, rest);
        } else if let Some(rest) = input.strip_prefix("/builtins/") {
            return Self::builtin(input, rest);
        } else if input == "@" {
            (ctx.default_folder.clone(), "")
        } else if let Some(rest) = input.strip_prefix("@/") {
            (ctx.default_folder.clone(), rest)
        } else if input == "." {
            (ctx.current_folder.clone(), "")
        } else if let Some(rest) = input.strip_prefix("./") {
            (ctx.current_folder.clone(), rest)
        } else if let Some(rest) = input.strip_prefix('/') {
            if rest.is_empty() {
                return Err(Error::invalid_name(
                    input,
                    "`/` is not a resource; use `/<user>/<name>`",
                ));
            }
            if input.starts_with("//") {
                return Err(Error::invalid_name(input, "it has an empty segment"));
            }
            let first = rest.split('/').next().unwrap_or_default();
            if FILESYSTEM_ROOTS.contains(&first) {
                return Err(Error::invalid_name(
                    input,
                    "it looks like a filesystem path; name local resources `~/<name>` (quote `~` so the shell keeps it)",
                ));
            }
            (
                Self {
                    scope: Scope::Remote,
                    segments: Vec::new(),
                },
                rest,
            )
        } else if input.starts_with('~') {
            return Err(Error::invalid_name(input, "`~` must be followed by `/`"));
        } else {
            (ctx.current_folder.clone(), input)
        };
        let mut name = base;
        // `~/`, `@/` and `./` promise a segment, so an empty rest is an empty segment.
        let promised = input.ends_with('/');
        if !rest.is_empty() || promised {
            for segment in rest.split('/') {
                check_segment(input, name.scope, segment)?;
                name.segments.push(segment.to_owned());
            }
        }
        if name.scope == Scope::Remote && name.segments.is_empty() {
            return Err(Error::invalid_name(
                input,
                "a remote name needs a user: `/<user>/<name>`",
            ));
        }
        name.check_whole(input)?;
        Ok(name)
    }

    /// The rules of the whole name: its length, and a remote name's owner (rh-wire's grammar).
    fn check_whole(&self, input: &str) -> Result<()> {
        let refused = |r: name::Refusal| Error::invalid_name(input, r.to_string());
        if self.scope == Scope::Remote
            && let Some(owner) = self.segments.first()
        {
            name::check_owner(owner).map_err(refused)?;
        }
        name::check_length(&self.segments).map_err(refused)
    }

    fn builtin(input: &str, rest: &str) -> Result<Self> {
        if rest.contains('/') {
            return Err(Error::invalid_name(
                input,
                "builtin names have one segment, like `^rh-cpu`",
            ));
        }
        check_segment(input, Scope::Builtin, rest)?;
        Ok(Self {
            scope: Scope::Builtin,
            segments: vec![rest.to_owned()],
        })
    }

    /// Which store the name lives in.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The validated segments after the scope marker (for `/alice/a`, `["alice", "a"]`).
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// True for the bare scope roots `~` (and a remote user's folder has one segment, so is not a root).
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The last segment, or `~` for the local root.
    pub fn basename(&self) -> &str {
        self.segments.last().map_or("~", String::as_str)
    }

    /// The folder holding this name, if any.
    pub fn parent(&self) -> Option<Self> {
        let min = usize::from(self.scope == Scope::Remote);
        (self.segments.len() > min).then(|| Self {
            scope: self.scope,
            segments: self.segments[..self.segments.len() - 1].to_vec(),
        })
    }

    /// This name with one more segment.
    pub fn join(&self, segment: &str) -> Result<Self> {
        if self.scope == Scope::Builtin {
            return Err(Error::invalid_name(segment, "builtins have no children"));
        }
        check_segment(segment, self.scope, segment)?;
        let mut segments = self.segments.clone();
        segments.push(segment.to_owned());
        let joined = Self {
            scope: self.scope,
            segments,
        };
        joined.check_whole(&joined.to_string())?;
        Ok(joined)
    }

    /// True if `self` is `other` or inside it.
    pub fn starts_with(&self, other: &Self) -> bool {
        self.scope == other.scope && self.segments.starts_with(&other.segments)
    }
}

/// A segment by the grammar rh-server shares ([`rh_wire::name::check_segment`]); outside the remote scope,
/// `config.json` is refused too, since it is the file a local or builtin resource is stored in.
fn check_segment(input: &str, scope: Scope, segment: &str) -> Result<()> {
    name::check_segment(segment).map_err(|r| Error::invalid_name(input, r.to_string()))?;
    if scope != Scope::Remote && segment == "config.json" {
        return Err(Error::invalid_name(
            input,
            "`config.json` is the file a resource is stored in, not a name",
        ));
    }
    Ok(())
}

impl FromStr for ResourceName {
    type Err = Error;

    /// Parses with the logged-out context: `@`, `.` and bare names resolve into `~`.
    fn from_str(s: &str) -> Result<Self> {
        Self::parse_with(s, &NameContext::default())
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            Scope::Local => {
                f.write_str("~")?;
                for s in &self.segments {
                    write!(f, "/{s}")?;
                }
                Ok(())
            }
            Scope::Builtin => write!(f, "^{}", self.segments.join("/")),
            Scope::Remote => {
                for s in &self.segments {
                    write!(f, "/{s}")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, expect: &str) {
        let name: ResourceName = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(name.to_string(), expect, "for {input}");
    }

    fn bad(input: &str, reason: &str) {
        let err = input.parse::<ResourceName>().expect_err(input).to_string();
        assert!(err.contains(reason), "{input}: {err}");
    }

    #[test]
    fn grammar() {
        ok("~/x", "~/x");
        ok("~/a/b/c", "~/a/b/c");
        ok("~", "~");
        ok("x", "~/x");
        ok("a/b", "~/a/b");
        ok("./x", "~/x");
        ok("@/x", "~/x");
        ok("^rh-cpu", "^rh-cpu");
        ok("/builtins/rh-cpu", "^rh-cpu");
        ok("/alice/x", "/alice/x");
        ok("/alice", "/alice");
        ok("~/café", "~/café");
    }

    #[test]
    fn logged_in_context() {
        let ctx = NameContext::with_default_folder("/alice".parse().expect("valid"));
        let n = |s| {
            ResourceName::parse_with(s, &ctx)
                .expect("valid")
                .to_string()
        };
        assert_eq!(n("x"), "/alice/x");
        assert_eq!(n("@/p/x"), "/alice/p/x");
        assert_eq!(n("./x"), "/alice/x");
        assert_eq!(n("~/x"), "~/x");
    }

    #[test]
    fn rejects() {
        bad("", "empty");
        bad("~/", "empty segment");
        bad("~//x", "empty segment");
        bad("~/a/../b", "`..`");
        bad("../x", "`..`");
        bad("~/a\0b", "control character");
        bad("~/a\nb", "control character");
        bad("~x", "`~` must be followed");
        bad("/", "not a resource");
        bad("/home/me/rh/x", "filesystem path");
        bad("/tmp/x", "filesystem path");
        bad("^a/b", "one segment");
        bad("^", "empty segment");
        bad("~/x/config.json", "config.json");
        bad("~/a\\b", "backslash");
        // rh-server's grammar (rh_wire::name), in every scope.
        bad("/alice/a:b", "contains `:`");
        bad("~/a:b", "contains `:`");
        bad("~/ x", "whitespace");
        bad("/alice/x ", "whitespace");
        bad("/al ice/x", "not a valid username");
        bad("/-alice", "not a valid username");
        bad(&format!("~/{}", "s".repeat(256)), "longer than 255 bytes");
        bad(
            &format!("~/{}", vec!["s".repeat(250); 5].join("/")),
            "longer than 1024 bytes",
        );
    }

    #[test]
    fn config_json_is_reserved_only_where_it_is_a_file() {
        ok("/alice/p/config.json", "/alice/p/config.json");
        bad("~/config.json", "config.json");
        bad("^config.json", "config.json");
        let remote: ResourceName = "/alice/p".parse().expect("valid");
        assert!(remote.join("config.json").is_ok());
        assert!(ResourceName::local_root().join("config.json").is_err());
        assert!(remote.join("a:b").is_err());
    }

    #[test]
    fn parent_and_join() {
        let n: ResourceName = "~/a/b".parse().expect("valid");
        assert_eq!(n.parent().expect("has parent").to_string(), "~/a");
        assert_eq!(n.basename(), "b");
        assert!(ResourceName::local_root().parent().is_none());
        assert!(n.join("..").is_err());
        assert_eq!(n.join("c").expect("valid").to_string(), "~/a/b/c");
        assert!(n.starts_with(&"~/a".parse().expect("valid")));
        let user: ResourceName = "/alice".parse().expect("valid");
        assert!(user.parent().is_none());
    }
}
