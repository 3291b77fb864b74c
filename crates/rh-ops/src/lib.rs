//! rh's user-level operations, shared by every front end (the `rh` CLI today, the Python package next).
//!
//! A front end parses its arguments, asks its questions and prints; everything between — which settings
//! apply (one precedence table, *flag > env > file > default*, resolved once per [`Session`]), which secret
//! store and rh-server client to use, and the flows themselves — lives here, returning typed results and
//! a typed [`Error`]. Nothing here reads a terminal or writes stdout; progress and notices go to `tracing`.
//!
//! Modules:
//! - [`session`]: the resolved inputs of one invocation (env, paths, flags, config.yaml and the settings),
//!   and the stores built from them (secret store, rh-server client, local and remote RNS).
//! - [`blob`]: blob stores (systems, credentials), default paths, write-then-save, read, ls, rm.
//! - [`config`]: `config.yaml` get/set/unset/list, and its upload to and download from rh-server.
//! - [`login`]: the token check, the config transfers and config.yaml writes of login and logout.
//! - [`resource`]: save, load, ls, mv, rm, history, diff, restore, share, revoke; clusters.
//! - [`named`]: named secrets (`~/x` on this machine, `/alice/x` on rh-server) and the local audit log.
//! - [`secrets`]: provider secrets on this machine and in the secret store (Vault or rh-server).
//! - [`text`]: making foreign text safe for a terminal or a log line.

pub mod blob;
pub mod config;
pub mod error;
pub mod login;
pub mod named;
pub mod resource;
pub mod secrets;
pub mod session;
pub mod text;

pub use error::{Error, Result};
pub use session::{Names, Session};
