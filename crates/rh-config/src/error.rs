//! The error type of rh-config.

use std::path::PathBuf;

/// What can go wrong while reading or writing rh's own files.
///
/// Every variant names the file; none carries a value read from it, because the file holds a token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} already exists", path.display())]
    Exists { path: PathBuf },
    #[error("{} is not valid UTF-8 (byte {offset})", path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error("{} is empty; expected a YAML mapping of settings (delete the file to start afresh)", path.display())]
    Empty { path: PathBuf },
    #[error("{} is not valid YAML: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{} must hold a YAML mapping of settings, found {found}", path.display())]
    NotAMapping { path: PathBuf, found: &'static str },
    #[error("invalid config key `{key}`: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    #[error("config key `{key}` is not set")]
    NotSet { key: String },
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
