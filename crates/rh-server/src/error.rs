//! The crate's error type.

/// Everything that can go wrong in rh-server outside a single HTTP request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A database call failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A statement of SQLite's writer failed.
    #[error("database error")]
    Sqlite(#[from] crate::store::SqliteError),
    /// The database cannot take the call now (e.g. SQLite's writer has stopped).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The schema migrations could not be applied.
    #[error("cannot apply database migrations")]
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
    /// A username that breaks the grammar the CLI shares ([`rh_config::is_valid_username`]).
    #[error(
        "invalid username {name:?}: use 1-{max} letters, digits, '_', '-' or '.', starting with a letter or digit",
        max = rh_config::MAX_USERNAME
    )]
    InvalidUsername {
        /// The username as given.
        name: String,
    },
    /// A username rh keeps for itself (`rh/<name>` in Vault).
    #[error(
        "the account name `{name}` is reserved: rh uses rh/{name} in Vault when it talks to Vault \
         directly without a username; choose another name"
    )]
    ReservedUsername {
        /// The username asked for (`local`, the Vault folder rh uses without a username).
        name: String,
    },
    /// An email address that is not one.
    #[error("invalid email address {email:?}")]
    InvalidEmail {
        /// The address as given (not lowercased).
        email: String,
    },
    /// A resource address or URI that breaks rh-wire's name grammar.
    #[error(transparent)]
    InvalidName(#[from] rh_wire::name::NameError),
    /// A visibility other than private, unlisted or public (an HTTP 400 body clients see).
    #[error("invalid visibility {value:?}: use private, unlisted or public")]
    InvalidVisibility {
        /// The visibility as given.
        value: String,
    },
    /// A value outside a fixed set: an access level, an audit action, a SQLite mode.
    #[error("unknown {what} {value:?}: use {expected}")]
    UnknownValue {
        /// What the value is for (`visibility`).
        what: &'static str,
        /// The value as given.
        value: String,
        /// The accepted values, in words.
        expected: String,
    },
    /// A lifetime that is not `<number><unit>` within range.
    #[error(
        "invalid duration {text:?}: use a number and a unit, e.g. 30m, 12h, 90d (units s, m, h, d, w)"
    )]
    InvalidDuration {
        /// The lifetime as given (`30x`, `0m`).
        text: String,
    },
    /// A TLS certificate or key file that cannot be read.
    #[error("cannot read TLS file {}", path.display())]
    TlsFile {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A startup option that cannot work: TLS files that do not hold PEM or do not fit, an SMTP url or sender.
    #[error("{0}")]
    Setup(String),
    /// A stored value this build does not know (a database written by another version, or edited by hand).
    #[error("unexpected value in the database")]
    Corrupt(#[source] Box<Self>),
    /// A SQLite write ended without a result (its body panicked); the cause is in the server log.
    #[error("the write failed unexpectedly (see the server log)")]
    WriteAborted,
    /// The operating system's random source failed.
    #[error("cannot read random bytes: {0}")]
    Random(String),
    /// Binding or serving the socket failed.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// True when the request itself is at fault (a bad name, email or value): an HTTP 400 whose body is
    /// the message, or a dashboard banner. Everything else is the server's problem and stays in its log.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Self::InvalidUsername { .. }
                | Self::ReservedUsername { .. }
                | Self::InvalidEmail { .. }
                | Self::InvalidName(_)
                | Self::InvalidVisibility { .. }
                | Self::UnknownValue { .. }
                | Self::InvalidDuration { .. }
        )
    }
}

/// An error and its causes on one line, for a log line (messages describe their own layer only).
pub(crate) use rh_config::display_chain as chain;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
