//! Rust errors to Python exceptions: the classes of `rh.exceptions`, chosen by what went wrong.
//!
//! Every exception carries the library error's message on one line: the crates' errors name the file,
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
    #[expect(dead_code, reason = "no network operation is bound yet")]
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
        E::NoHome => Kind::Other,
    }
}

impl From<ConfigErr> for PyErr {
    fn from(ConfigErr(e): ConfigErr) -> Self {
        raise(config_kind(&e), &e.to_string())
    }
}

/// An rh-secrets error on its way to Python.
pub(crate) struct SecretsErr(pub(crate) rh_secrets::Error);

fn secrets_kind(e: &rh_secrets::Error) -> Kind {
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
        raise(secrets_kind(&e), &e.to_string())
    }
}
