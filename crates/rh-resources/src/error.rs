//! The one error type of rh-resources.

use std::path::PathBuf;

/// What went wrong with a typed resource. Messages are one line, lowercase, and name the resource or file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The RNS failed (not found, already exists, corrupt file, …).
    #[error(transparent)]
    Rns(#[from] rh_rns::Error),
    /// A stored config is a valid record but not a valid resource of its type.
    #[error("invalid resource config {location}: {reason}")]
    InvalidConfig {
        /// The file path, or the name when there is no file.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// The resource exists but is another kind (`~/x is a blob, not a cluster`).
    #[error("{name} is a `{found}` resource, not {expected}")]
    WrongType {
        /// The address.
        name: String,
        /// What the caller asked for, with its article (`a cluster`).
        expected: &'static str,
        /// What is stored (`resource_type`/`resource_subtype`).
        found: String,
    },
    /// A value given to a constructor is not acceptable.
    #[error("invalid {field} for {name}: {reason}")]
    InvalidArgument {
        /// The address.
        name: String,
        /// The argument.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The operation needs a file system this resource is not on.
    #[error("{what} is not supported for {name} on system `{system}`")]
    NotSupported {
        /// The address.
        name: String,
        /// The operation.
        what: &'static str,
        /// The resource's system.
        system: String,
    },
    /// `put` without overwrite found existing entries.
    #[error("{path}: {names} already exist(s); pass overwrite to replace")]
    FileExists {
        /// The folder.
        path: PathBuf,
        /// The colliding names, comma-separated.
        names: String,
    },
    /// A file operation failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// `read`, `write`, `list`, …
        action: &'static str,
        /// The file or dir.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with rh-resources's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
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
