//! The one error type every backend maps into. Messages name the bucket and key, never a credential.

/// Boxed backend error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a store call fails; each message names the bucket or key (never a credential).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The object (or bucket) does not exist.
    #[error("{what} not found: {location}")]
    NotFound {
        /// What is missing: `object` or `bucket`.
        what: &'static str,
        /// Where it was looked for, as [`BlobStore::location`](crate::BlobStore::location) renders it.
        location: String,
    },
    /// The object (or bucket) exists and the call asked it not to.
    #[error("{what} already exists: {location}")]
    AlreadyExists {
        /// What exists: `object`, `bucket` or (Azure) `container`.
        what: &'static str,
        /// Where, as [`BlobStore::location`](crate::BlobStore::location) renders it.
        location: String,
    },
    /// The credentials are valid but not allowed to do this.
    #[error("permission denied on {location}: {message}")]
    PermissionDenied {
        /// The object or bucket the call was refused on.
        location: String,
        /// The backend's reason (its error code, or the OS error for `file`).
        message: String,
    },
    /// The credentials were refused (unknown key, bad signature, expired token).
    #[error("credentials refused by {location}: {message}")]
    Unauthenticated {
        /// The object or bucket the call was made on.
        location: String,
        /// The backend's error code.
        message: String,
    },
    /// The backend cannot do this.
    #[error("{backend} does not support {operation}")]
    NotSupported {
        /// The backend's name (`file`, `s3`, `gs`, `azure`).
        backend: &'static str,
        /// The operation it was asked for.
        operation: &'static str,
    },
    /// A key that no backend accepts.
    #[error("invalid blob path {path:?}: {reason}")]
    InvalidPath {
        /// The key as given.
        path: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// A range outside the object.
    #[error("range {range} is outside {location} ({size} bytes)")]
    InvalidRange {
        /// The object that was read.
        location: String,
        /// The requested range, rendered `start..end` or `start..`.
        range: String,
        /// The object's size in bytes.
        size: u64,
    },
    /// Options that cannot work (a malformed connection string, a missing credentials file).
    #[error("invalid {backend} configuration: {message}")]
    InvalidConfig {
        /// The backend whose options are wrong (`url` for a URL without a scheme).
        backend: &'static str,
        /// What is wrong with them.
        message: String,
    },
    /// The caller's credentials could not be loaded (a malformed `~/.aws/credentials`, say).
    #[error("cannot load {backend} credentials")]
    Credentials {
        /// The system the credentials are for.
        backend: &'static str,
        /// Why they could not be loaded; it names the file.
        #[source]
        source: BoxError,
    },
    /// No credentials were found for a system; the message says what to set.
    #[error("{message}")]
    MissingCredentials {
        /// What is missing and what to set (for Azure, the caller's `Access::azure_missing`).
        message: String,
    },
    /// A system (or URL scheme) no backend of this build serves.
    #[error("unknown system {system}: expected s3, gs, azure or file")]
    UnknownSystem {
        /// The system name or URL scheme as given.
        system: String,
    },
    /// The object was replaced while it was being read (its ETag changed); the bytes read so far are void.
    #[error("{location} changed while it was being read; read it again")]
    Changed {
        /// The object that changed.
        location: String,
    },
    /// The stored bytes do not match what was sent.
    #[error("integrity check failed for {location}: {detail}")]
    Integrity {
        /// The object whose check failed.
        location: String,
        /// What did not match: the backend's error code or message, or which digests differ.
        detail: String,
    },
    /// Anything else the backend reported; `retryable` marks transient failures.
    #[error("{backend} error on {location}")]
    Backend {
        /// The backend's name, or `io` for a local I/O error.
        backend: &'static str,
        /// The object or bucket the call was made on.
        location: String,
        /// True when the failure is transient and the call may be retried ([`Error::is_retryable`]).
        retryable: bool,
        /// The backend's or the OS's own error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    #[cfg(any(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
    pub(crate) fn not_found(location: impl Into<String>) -> Self {
        Self::NotFound {
            what: "object",
            location: location.into(),
        }
    }

    #[cfg(any(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
    pub(crate) fn bucket_not_found(location: impl Into<String>) -> Self {
        Self::NotFound {
            what: "bucket",
            location: location.into(),
        }
    }

    pub(crate) fn io(location: &str, e: std::io::Error) -> Self {
        let retryable = matches!(
            e.kind(),
            std::io::ErrorKind::Interrupted | std::io::ErrorKind::TimedOut
        );
        Self::Backend {
            backend: "io",
            location: location.to_owned(),
            retryable,
            source: Box::new(e),
        }
    }

    #[cfg(any(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
    pub(crate) fn backend(
        backend: &'static str,
        location: impl Into<String>,
        retryable: bool,
        source: impl Into<BoxError>,
    ) -> Self {
        Self::Backend {
            backend,
            location: location.into(),
            retryable,
            source: source.into(),
        }
    }

    /// True for failures worth retrying (timeouts, 5xx, throttling, dropped connections).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Backend {
                retryable: true,
                ..
            }
        )
    }

    /// True when the object or bucket is missing.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// Message of an HTTP status for the auth variants.
#[cfg(any(feature = "s3", feature = "gs", feature = "azure"))]
pub(crate) fn from_status(
    backend: &'static str,
    status: u16,
    code: &str,
    location: String,
    source: impl Into<BoxError>,
) -> Error {
    match status {
        401 => Error::Unauthenticated {
            location,
            message: code.to_owned(),
        },
        403 => Error::PermissionDenied {
            location,
            message: code.to_owned(),
        },
        404 => Error::not_found(location),
        408 | 429 | 500..=599 => Error::backend(backend, location, true, source),
        _ => Error::backend(backend, location, false, source),
    }
}
