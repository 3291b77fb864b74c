//! `rh-server`: the self-hostable RNS service: accounts, resources, their history and sharing, over the HTTP API
//! of Runhouse's hosted server (spec §5, §3.2, §2), so that the original client works against it unchanged.
//!
//! The data lives in SQLite (embedded default, one WAL file under the data dir) or PostgreSQL; the process keeps
//! no state of its own, so several processes can serve one PostgreSQL database.
//!
//! Front doors: [`Store`] (the database), [`router`] (the HTTP API and the [`dashboard`] over a store), [`bind`]
//! and [`serve()`] (with [`serve_state`] and [`serve_state_tls`]); accounts are made and their tokens rotated
//! or revoked by [`create_user`], [`rotate_token`] and [`revoke_token`].

mod accounts;
mod api;
pub mod audit;
pub mod connections;
pub mod credentials;
pub mod dashboard;
mod error;
pub mod mailer;
pub mod model;
pub mod names;
pub(crate) mod ops;
pub mod ratelimit;
mod serve;
pub mod store;
pub mod tls;
pub mod token;
pub mod vault;
pub mod vault_access;

/// `rh-server backup FILE`: SQLite's online copy (the store owns its SQL).
pub use store::backup;

pub(crate) use accounts::{Rotated, rotate_token_from_session};
pub use accounts::{create_user, revoke_token, rotate_token};
pub use api::{AppState, DEFAULT_MAX_BODY_BYTES, Limits, router};
pub use error::{Error, Result};
pub use model::{AccessLevel, Visibility};
pub use serve::{DEFAULT_PORT, bind, serve, serve_state, serve_state_tls};
pub use store::{Backend, DatabaseTarget, Store, read_cache};
