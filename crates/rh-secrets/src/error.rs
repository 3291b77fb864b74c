//! The error type of rh-secrets.

use std::path::PathBuf;

/// What can go wrong with provider secrets.
///
/// Variants name the provider, key or file involved and never carry a secret value: a parse error
/// gives the line, not the text on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unknown provider `{name}`; the builtin providers are {builtin}")]
    UnknownProvider { name: String, builtin: String },
    #[error("invalid provider name `{name}`: {reason}")]
    InvalidProviderName { name: String, reason: &'static str },
    #[error("{provider} secrets lack the key `{key}` (expected {expected})")]
    MissingKey {
        provider: String,
        key: &'static str,
        expected: String,
    },
    #[error("{provider} secrets have an unknown key `{key}` (expected {expected})")]
    UnknownKey {
        provider: String,
        key: String,
        expected: String,
    },
    #[error("invalid value for {provider} key `{key}`: {reason}")]
    InvalidValue {
        provider: String,
        key: String,
        reason: &'static str,
    },
    #[error("invalid {provider} key name `{name}`: {reason}")]
    InvalidKeyName {
        provider: String,
        name: String,
        reason: &'static str,
    },
    #[error("{vars} must be set to read {provider} secrets from the environment")]
    EnvNotSet { provider: String, vars: String },
    #[error("{provider} secrets cannot be read from environment variables")]
    EnvNotSupported { provider: String },
    #[error("{provider}: {what} is not supported")]
    NotSupported { provider: String, what: String },
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("refusing to edit {}: its indentation would change other values", path.display())]
    UnsafeEdit { path: PathBuf },
    #[error("{} holds YAML that cannot be written back (a mapping used as a key); edit it by hand", path.display())]
    Unwritable { path: PathBuf },
    #[error("invalid secrets input: {message}")]
    Input { message: String },
    #[error("{} is a directory, expected a credentials file", path.display())]
    IsDirectory { path: PathBuf },
    #[error("{} is a dangling symlink (its target {} does not exist)", path.display(), target.display())]
    DanglingSymlink { path: PathBuf, target: PathBuf },
    #[error("{} is not valid UTF-8", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot delete {}", path.display())]
    Delete {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] rh_config::Error),
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
