//! The one error type of rh-rns, shared by every store.

use std::path::PathBuf;

/// What went wrong in an RNS operation. Messages are one line, lowercase, and name the resource or file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not a resource name.
    #[error("invalid resource name `{name}`: {reason}")]
    InvalidName {
        /// The text as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No resource has this name.
    #[error("resource {name} not found")]
    NotFound {
        /// The resolved address.
        name: String,
    },
    /// Saving would replace an existing resource and overwriting was not asked for.
    #[error("resource {name} already exists (pass overwrite to replace it)")]
    AlreadyExists {
        /// The resolved address.
        name: String,
    },
    /// A stored config is unreadable or not a resource config.
    #[error("invalid resource config {path}: {reason}")]
    Corrupt {
        /// The file (or URL) it came from.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The store cannot do this for this name (builtins are read-only, local names have no remote history, …).
    #[error("{what} is not supported for {name}")]
    NotSupported {
        /// The resolved address.
        name: String,
        /// The operation, in words.
        what: String,
    },
    /// The working dir is not inside a git repository, so there is no history.
    #[error("{workdir} is not inside a git repository, so resource history is not available")]
    NotARepository {
        /// The working dir.
        workdir: PathBuf,
    },
    /// A revision does not exist or does not hold the resource.
    #[error("revision `{rev}` {reason}")]
    Revision {
        /// The revision as given.
        rev: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// `read`, `write`, `remove`, …
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A git operation failed.
    #[error("git {action} in {}", repo.display())]
    Git {
        /// What rh was doing.
        action: &'static str,
        /// The repository work tree.
        repo: PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// rh-server did not answer (connection refused, timeout, bad URL).
    #[error("cannot reach rh-server at {url}: {reason}")]
    Unreachable {
        /// The server's base URL.
        url: String,
        /// Why, one line.
        reason: String,
    },
    /// rh-server rejected the token.
    #[error("rh-server at {url} rejected the token ({detail}); run `rh login` with a valid token")]
    Unauthorized {
        /// The server's base URL.
        url: String,
        /// The server's explanation.
        detail: String,
    },
    /// rh-server refused a request.
    #[error("rh-server could not {what}: {detail} (HTTP {status})")]
    Remote {
        /// What was asked, in words (`update /alice/x`).
        what: String,
        /// The HTTP status.
        status: u16,
        /// The server's `detail`.
        detail: String,
    },
    /// Another store's failure (the remote client, a background task).
    #[error("{backend} failed")]
    Backend {
        /// Which store.
        backend: &'static str,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// `Result` with rh-rns's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid_name(name: &str, reason: impl Into<String>) -> Self {
        Self::InvalidName {
            name: name.escape_debug().to_string(),
            reason: reason.into(),
        }
    }

    #[cfg_attr(
        not(feature = "local"),
        expect(dead_code, reason = "used by the local store")
    )]
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
