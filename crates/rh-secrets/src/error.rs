//! The error type of rh-secrets.

use std::path::PathBuf;

/// What can go wrong with provider secrets.
///
/// Variants name the provider, key or file involved and never carry a secret value: a parse error
/// gives the line, not the text on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A provider name that is neither builtin nor a custom provider recorded in config.yaml.
    #[error("unknown provider `{name}`; the builtin providers are {builtin}")]
    UnknownProvider {
        /// The name as given.
        name: String,
        /// The builtin providers' names, comma-separated, possibly with a note on custom providers.
        builtin: String,
    },
    /// A custom provider name outside the grammar: 1-64 letters, digits, `_`, `-`, `.`, starting with a
    /// letter or digit.
    #[error("invalid provider name `{name}`: {reason}")]
    InvalidProviderName {
        /// The name as given.
        name: String,
        /// Which rule of the grammar it breaks.
        reason: &'static str,
    },
    /// A save lacks one of the provider's required keys.
    #[error("{provider} secrets lack the key `{key}` (expected {expected})")]
    MissingKey {
        /// The provider's name.
        provider: String,
        /// The first required key that is absent.
        key: &'static str,
        /// The required keys, as an English list (`a, b and c`).
        expected: String,
    },
    /// A save holds a key the provider neither requires nor allows.
    #[error("{provider} secrets have an unknown key `{key}` (expected {expected})")]
    UnknownKey {
        /// The provider's name.
        provider: String,
        /// The key that is not known.
        key: String,
        /// The keys that are expected, as an English list.
        expected: String,
    },
    /// A value the provider rejects: empty, on several lines, with surrounding whitespace, or invalid in its format.
    #[error("invalid value for {provider} key `{key}`: {reason}")]
    InvalidValue {
        /// The provider's name.
        provider: String,
        /// The key whose value is rejected (never the value itself).
        key: String,
        /// Why the value is rejected.
        reason: &'static str,
    },
    /// A key that names a file (an `ssh` key name) and is not a file name rh may write in `~/.ssh`.
    #[error("invalid {provider} key name `{name}`: {reason}")]
    InvalidKeyName {
        /// The provider's name.
        provider: String,
        /// The rejected key name.
        name: String,
        /// Why the name is rejected.
        reason: &'static str,
    },
    /// Reading from the environment needs every one of the provider's env vars, and some are unset or empty.
    #[error("{vars} must be set to read {provider} secrets from the environment")]
    EnvNotSet {
        /// The provider's name.
        provider: String,
        /// All of the provider's env vars, as an English list.
        vars: String,
    },
    /// The provider has no env vars to read its secrets from (`ssh`, for one).
    #[error("{provider} secrets cannot be read from environment variables")]
    EnvNotSupported {
        /// The provider's name.
        provider: String,
    },
    /// An operation the provider does not support on the data at hand.
    #[error("{provider}: {what} is not supported")]
    NotSupported {
        /// The provider's name.
        provider: String,
        /// The unsupported operation, as a phrase naming the file involved.
        what: String,
    },
    /// A credential file that does not parse in its format (INI, JSON, YAML).
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the fault; 1 when the whole document is at fault.
        line: usize,
        /// What is wrong, without the text of the line.
        message: String,
    },
    /// An INI edit that would change how other keys read, even after dedenting, so the file is left as it was.
    #[error("refusing to edit {}: its indentation would change other values", path.display())]
    UnsafeEdit {
        /// The INI file.
        path: PathBuf,
    },
    /// A YAML file that cannot be serialized again after an edit (it uses a mapping as a key).
    #[error("{} holds YAML that cannot be written back (a mapping used as a key); edit it by hand", path.display())]
    Unwritable {
        /// The YAML file.
        path: PathBuf,
    },
    /// Secrets input that is invalid as a whole: no values, an empty key, a bad secret name, and the like.
    #[error("invalid secrets input: {message}")]
    Input {
        /// What is wrong with the input; never holds a value.
        message: String,
    },
    /// A directory where a credential file is expected.
    #[error("{} is a directory, expected a credentials file", path.display())]
    IsDirectory {
        /// The path that is a directory.
        path: PathBuf,
    },
    /// A symlink where a credential file is expected whose target does not exist.
    #[error("{} is a dangling symlink (its target {} does not exist)", path.display(), target.display())]
    DanglingSymlink {
        /// The symlink.
        path: PathBuf,
        /// Where the symlink points (empty when the link itself cannot be read).
        target: PathBuf,
    },
    /// A credential file whose bytes are not UTF-8.
    #[error("{} is not valid UTF-8", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
    },
    /// An I/O error other than "not found" while inspecting, resolving or reading a credential file or directory.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An I/O error other than "not found" while removing a credential file.
    #[error("cannot delete {}", path.display())]
    Delete {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An error from rh-config: loading `~/.rh/config.yaml`, or an atomic write or private directory.
    #[error(transparent)]
    Config(#[from] rh_config::Error),
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
