//! Rust errors to Python exceptions: the classes of `rh.exceptions`, chosen by what went wrong.
//!
//! Every exception carries the library error's message and its causes on one line (`a: b: c`, as the CLI
//! prints them; each message describes its own layer): the crates' errors name the file,
//! key or provider and never hold a secret value, so neither does the exception. The classes are defined
//! in Python (they derive from two bases, e.g. `RhError` and `ValueError`) and looked up by name here.

use std::io::ErrorKind;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// Which class of `rh.exceptions` an error becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `RhError`: anything without a better builtin.
    Other,
    /// `RhValueError` (also a `ValueError`): bad input, from an argument or a malformed file.
    Value,
    /// `RhFileNotFoundError` (also a `FileNotFoundError`): a missing file or resource.
    NotFound,
    /// `RhKeyError` (also a `KeyError`): a missing key or secret.
    Key,
    /// `RhPermissionError` (also a `PermissionError`).
    Permission,
    /// `RhConnectionError` (also a `ConnectionError`): a server or Vault that cannot be reached.
    Connection,
}

impl Kind {
    fn class_name(self) -> &'static str {
        match self {
            Self::Other => "RhError",
            Self::Value => "RhValueError",
            Self::NotFound => "RhFileNotFoundError",
            Self::Key => "RhKeyError",
            Self::Permission => "RhPermissionError",
            Self::Connection => "RhConnectionError",
        }
    }

    fn of_io(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => Self::Permission,
            _ => Self::Other,
        }
    }
}

/// Builds the exception `kind` with `message` (made one line).
pub(crate) fn raise(kind: Kind, message: &str) -> PyErr {
    let message = message.lines().collect::<Vec<_>>().join(" ");
    Python::attach(|py| {
        let class = py
            .import("rh.exceptions")
            .and_then(|m| m.getattr(kind.class_name()));
        match class {
            Ok(class) => match class.call1((message.as_str(),)) {
                Ok(exc) => PyErr::from_value(exc),
                Err(e) => e,
            },
            // Only if the package is broken: still a clear error, never a panic.
            Err(_) => PyRuntimeError::new_err(message),
        }
    })
}

/// A `RhValueError` for an argument the binding itself rejects (wrong Python type).
pub(crate) fn bad_input(message: &str) -> PyErr {
    raise(Kind::Value, message)
}

/// An rh-config error on its way to Python (`?` converts it).
pub(crate) struct ConfigErr(pub(crate) rh_config::Error);

pub(crate) fn config_kind(e: &rh_config::Error) -> Kind {
    use rh_config::Error as E;
    match e {
        E::Read { source, .. } | E::Write { source, .. } => Kind::of_io(source.kind()),
        E::NotUtf8 { .. }
        | E::Empty { .. }
        | E::Parse { .. }
        | E::NotAMapping { .. }
        | E::InvalidKey { .. } => Kind::Value,
        E::NotSet { .. } => Kind::Key,
        E::NoHome | E::Exists { .. } => Kind::Other,
    }
}

impl From<ConfigErr> for PyErr {
    fn from(ConfigErr(e): ConfigErr) -> Self {
        raise(config_kind(&e), &rh_config::display_chain(&e))
    }
}

/// An rh-secrets error on its way to Python.
pub(crate) struct SecretsErr(pub(crate) rh_secrets::Error);

pub(crate) fn secrets_kind(e: &rh_secrets::Error) -> Kind {
    use rh_secrets::Error as E;
    match e {
        E::Read { source, .. } | E::Delete { source, .. } => Kind::of_io(source.kind()),
        E::EnvNotSet { .. } => Kind::Key,
        E::Config(c) => config_kind(c),
        E::UnknownProvider { .. }
        | E::InvalidProviderName { .. }
        | E::MissingKey { .. }
        | E::UnknownKey { .. }
        | E::InvalidValue { .. }
        | E::InvalidKeyName { .. }
        | E::EnvNotSupported { .. }
        | E::NotSupported { .. }
        | E::Malformed { .. }
        | E::UnsafeEdit { .. }
        | E::Unwritable { .. }
        | E::Input { .. }
        | E::IsDirectory { .. }
        | E::DanglingSymlink { .. }
        | E::NotUtf8 { .. } => Kind::Value,
    }
}

impl From<SecretsErr> for PyErr {
    fn from(SecretsErr(e): SecretsErr) -> Self {
        raise(secrets_kind(&e), &rh_config::display_chain(&e))
    }
}

fn vault_kind(e: &rh_secrets::vault::Error) -> Kind {
    use rh_secrets::vault::Error as E;
    match e {
        // Also rh-server answering that it cannot reach its own Vault (bad gateway, unavailable, timeout).
        E::Unreachable { .. }
        | E::ServerUnreachable { .. }
        | E::Server {
            status: 502..=504, ..
        } => Kind::Connection,
        E::Server {
            status: 401 | 403, ..
        }
        | E::PermissionDenied { .. }
        | E::Unauthorized { .. } => Kind::Permission,
        E::NotFound { .. } => Kind::Key,
        E::BadAddress { .. } | E::InvalidUsername { .. } | E::Malformed { .. } => Kind::Value,
        _ => Kind::Other,
    }
}

fn rns_kind(e: &rh_rns::Error) -> Kind {
    use rh_rns::Error as E;
    match e {
        E::NotFound { .. } => Kind::NotFound,
        E::InvalidName { .. } | E::Corrupt { .. } | E::Revision { .. } => Kind::Value,
        E::Io { source, .. } => Kind::of_io(source.kind()),
        E::Unreachable { .. } => Kind::Connection,
        E::Unauthorized { .. } => Kind::Permission,
        E::Remote { status, .. } => match *status {
            404 => Kind::NotFound,
            401 | 403 => Kind::Permission,
            400 | 409 | 422 => Kind::Value,
            _ => Kind::Other,
        },
        _ => Kind::Other,
    }
}

fn storage_kind(e: &rh_storage::Error) -> Kind {
    use rh_storage::Error as E;
    match e {
        E::NotFound { .. } => Kind::NotFound,
        E::PermissionDenied { .. } | E::Unauthenticated { .. } => Kind::Permission,
        E::InvalidPath { .. }
        | E::InvalidRange { .. }
        | E::InvalidConfig { .. }
        | E::Credentials { .. }
        | E::UnknownSystem { .. } => Kind::Value,
        E::Backend {
            retryable: true, ..
        } => Kind::Connection,
        _ => Kind::Other,
    }
}

fn resources_kind(e: &rh_resources::Error) -> Kind {
    use rh_resources::Error as E;
    match e {
        E::Rns(r) => rns_kind(r),
        E::InvalidConfig { .. } | E::WrongType { .. } | E::InvalidArgument { .. } => Kind::Value,
        E::Io { source, .. } => Kind::of_io(source.kind()),
        _ => Kind::Other,
    }
}

/// The exception class of an rh-ops error: by the lower crate's error it wraps, else by what it says.
pub(crate) fn ops_kind(e: &rh_ops::Error) -> Kind {
    use rh_ops::Error as E;
    use rh_secrets::named::Error as Named;
    match e {
        E::Config(c) => config_kind(c),
        E::Secrets(s)
        | E::Sync(rh_secrets::sync::SyncError::Local(s))
        | E::Named(Named::Local(s)) => secrets_kind(s),
        E::Vault(v)
        | E::Sync(rh_secrets::sync::SyncError::Remote(v))
        | E::Named(Named::Remote(v)) => vault_kind(v),
        E::Rns(r) | E::DefaultFolder { source: r, .. } => rns_kind(r),
        E::Storage(s) => storage_kind(s),
        E::Resource(r) => resources_kind(r),
        E::NotLoggedIn
        | E::NothingToRevoke
        | E::RemoteNameLoggedOut { .. }
        | E::ShareLoggedOut { .. }
        | E::Named(Named::Forbidden { .. }) => Kind::Permission,
        E::ReadFile { source, .. } | E::PairValueFile { source, .. } | E::CurrentDir(source) => {
            Kind::of_io(source.kind())
        }
        E::NotInStore { .. }
        | E::NothingToUpdate { .. }
        | E::KeyNotSet { .. }
        | E::NoSecretsInFile { .. }
        | E::NoLocalSecrets { .. }
        | E::Named(Named::NotFound { .. }) => Kind::Key,
        E::NoBlob { .. } => Kind::NotFound,
        E::LocalNameNotShareable { .. }
        | E::NotAnObject { .. }
        | E::NotJson { .. }
        | E::NoName { .. }
        | E::LocalBlobShare
        | E::NotACluster { .. }
        | E::PairNoEquals { .. }
        | E::PairEmptyKey { .. }
        | E::PairTwice { .. }
        | E::NoSecretsDict { .. }
        | E::CustomNeedsValues { .. }
        | E::NoValues { .. }
        | E::PathNamesNoFile { .. }
        | E::PathHasNoKey { .. }
        | E::NoBucket { .. }
        | E::BlobExists { .. }
        | E::Named(Named::Exists { .. })
        | E::OneOfValuesPathEnv
        | E::NotDetected { .. }
        | E::NoInMemoryValues
        | E::FromEnvNeedsProvider
        | E::NoProviderFiles { .. }
        | E::PathForBuiltin { .. } => Kind::Value,
        _ => Kind::Other,
    }
}

/// An rh-ops error on its way to Python: its message and causes on one line (`a: b: c`).
pub(crate) struct OpsErr(pub(crate) rh_ops::Error);

impl From<OpsErr> for PyErr {
    fn from(OpsErr(e): OpsErr) -> Self {
        raise(ops_kind(&e), &rh_config::display_chain(&e))
    }
}
