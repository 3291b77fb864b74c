//! `rh-config` owns `~/.rh/config.yaml`, the `RH_*` environment variables and the paths derived from them.
//!
//! The principal type is [`Config`]: the parsed file, with typed get/set that keep unknown keys, and
//! [`Config::resolve`] which applies the precedence *flag > env > file > default* into [`Settings`].
//! [`write_atomic`] is the one way any rh crate writes a file that may hold a secret.
//!
//! This crate is synchronous: it does no network I/O and never starts a runtime.

mod config;
mod env;
mod error;
mod fs;
mod paths;
mod transport;
mod username;
mod value;

pub use config::{
    ACCOUNT_KEYS, Config, DEFAULTS, Overrides, SECRET_KEYS, Settings, is_account_key, is_secret_key,
};
pub use env::{Env, EnvVars, MapEnv, OsEnv};
pub use error::{Error, Result, display_chain};
pub use fs::{AtomicWrite, ensure_private_dir, write_atomic, write_atomic_with};
pub use paths::RhPaths;
pub use transport::{plain_http_warning, sends_token_in_clear};
pub use username::{MAX_USERNAME, is_valid_username};
pub use value::{parse_value, render_value};
