//! `rh-rns` is the resource naming system: it names resources and stores their configs.
//!
//! The principal type is the [`Rns`] trait (save, load, exists, delete, list, locate, rename, history,
//! diff, restore) over a validated [`ResourceName`] and an opaque [`ResourceRecord`]. [`local::LocalRns`]
//! (feature `local`, on by default) keeps `~/a/b` in `<workdir>/rh/a/b/config.json`, byte-compatible with
//! Runhouse, with history from the git repository around it (through gix, never a `git` process).
//! [`remote::RemoteRns`] (feature `remote`) keeps `/user/…` names in rh-server over HTTP.
//! [`testing::conformance`] (feature `testing`) is the suite every store must pass.
//!
//! This crate knows nothing of clusters, blobs or secrets (that is rh-resources), reads no environment
//! and no `~/.rh/config.yaml` (callers pass the working dir and folders in), and starts no runtime.

mod error;
mod name;
mod pyjson;
mod record;
mod rns;

#[cfg(feature = "local")]
pub mod local;
#[cfg(feature = "remote")]
pub mod remote;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, Result};
pub use name::{NameContext, ResourceName, Scope};
pub use record::ResourceRecord;
pub use rns::{HistoryEntry, ListEntry, Listing, Rns, Skipped};

/// Renders a JSON value as Python's `json.dumps(value, indent=4)` does (Runhouse's `config.json` format).
pub fn to_python_json(value: &serde_json::Value) -> String {
    pyjson::to_string(value)
}
