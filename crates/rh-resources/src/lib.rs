//! `rh-resources` is the typed layer over the RNS: clusters, blobs and folders as Rust types.
//!
//! The principal type is [`Resource`], which dispatches a stored config on `resource_type` /
//! `resource_subtype` to [`OnDemandCluster`], [`Cluster`], [`Blob`], [`Folder`], or a
//! [`GenericResource`] that round-trips unknown kinds unchanged. Loaded configs keep their key order
//! and unknown keys, so a Runhouse-written `config.json` re-saves byte-identically; new ones get
//! Runhouse's key order. Constructors take their defaults from a [`ResourceSettings`] the caller fills.
//!
//! It stores through a `&dyn rh_rns::Rns` handed in; it has no CLI, prints nothing and reads no
//! environment. Cluster credentials are references (an ssh secret's name or a key path), never keys.

mod cluster;
mod data;
mod error;
mod fields;
mod resource;
mod settings;

pub use cluster::{Cluster, OnDemandCluster, OnDemandSpec, PROVIDERS, SshCreds};
pub use data::{Blob, Folder, LocalPaths, System};
pub use error::{Error, Result};
pub use resource::{GenericResource, Resource};
pub use settings::ResourceSettings;
