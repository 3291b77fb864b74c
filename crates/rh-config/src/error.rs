//! The error type of rh-config.

use std::path::PathBuf;

/// What can go wrong while reading or writing rh's own files.
///
/// Every variant names the file; none carries a value read from it, because the file holds a token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read for a reason other than its absence (a missing config file is an empty one).
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be created, written, renamed into place or deleted.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A write that must not overwrite found the file already there ([`crate::AtomicWrite::overwrite`] off).
    #[error("{} already exists", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// A config file whose bytes are not UTF-8.
    #[error("{} is not valid UTF-8 (byte {offset})", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// The length of the valid UTF-8 prefix: the byte offset of the first invalid byte.
        offset: usize,
    },
    /// A config file that is empty, blank or a YAML `null`.
    #[error("{} is empty; expected a YAML mapping of settings (delete the file to start afresh)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A config file that is not YAML, uses YAML rh cannot write back (tags, non-scalar keys), or a config
    /// that cannot be serialized.
    #[error("{} is not valid YAML: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the position but never the offending text (it could be a token).
        message: String,
    },
    /// A config file whose top level is YAML but not a mapping.
    #[error("{} must hold a YAML mapping of settings, found {found}", path.display())]
    NotAMapping {
        /// The file.
        path: PathBuf,
        /// What the top level is instead, in words (`a list`, `a string`).
        found: &'static str,
    },
    /// A config key that breaks the key grammar (letters, digits, `_` and `-`, `.` between nested keys).
    #[error("invalid config key `{key}`: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A config key asked for that has no value.
    #[error("config key `{key}` is not set")]
    NotSet {
        /// The key.
        key: String,
    },
    /// `HOME` is unset or empty ([`crate::RhPaths::from_env`] needs it even when `RH_CONFIG_DIR` is set).
    #[error("cannot find the home directory: set HOME or RH_CONFIG_DIR")]
    NoHome,
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes joined by `: ` (as `anyhow`'s `{:#}` prints them): the one rendering of an
/// error chain for a front end's one line or a log line.
///
/// Every rh error message describes its own layer only and leaves the cause to `source()`, so this is how
/// the cause (the I/O error, the SQL error) reaches the reader. It lives in the bottom crate so that every
/// crate above renders chains the same way.
pub fn display_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
