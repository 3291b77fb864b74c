//! The crate's error type.

/// Everything that can go wrong in rh-server outside a single HTTP request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A database call failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A statement of SQLite's writer failed.
    #[error("database error: {0}")]
    Sqlite(#[from] crate::store::SqliteError),
    /// The database cannot take the call now (e.g. SQLite's writer has stopped).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The schema migrations could not be applied.
    #[error("cannot apply database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The data directory could not be prepared.
    #[error(transparent)]
    Config(#[from] rh_config::Error),
    /// A `--database-url` with a scheme rh-server does not speak.
    #[error("unsupported database url {0} (use postgres://… or sqlite://…)")]
    UnsupportedDatabaseUrl(String),
    /// No account has that username.
    #[error("no user named {0}")]
    UserNotFound(String),
    /// The username is taken.
    #[error("user {0} already exists")]
    UserExists(String),
    /// The email belongs to another account.
    #[error("email {0} is already used by another account")]
    EmailTaken(String),
    /// A username, email or resource name that breaks the naming rules.
    #[error("{0}")]
    Invalid(String),
    /// The operating system's random source failed.
    #[error("cannot read random bytes: {0}")]
    Random(String),
    /// Binding or serving the socket failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
