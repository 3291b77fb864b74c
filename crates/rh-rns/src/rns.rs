//! The [`Rns`] trait every store implements, and the plain types its methods return.

use std::fmt::Debug;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{ResourceName, ResourceRecord, Result};

/// One child resource found by [`Rns::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// The resource's address.
    pub name: ResourceName,
    /// Its `resource_type`.
    pub resource_type: String,
    /// Its `resource_subtype`, when stored.
    pub resource_subtype: Option<String>,
}

/// An entry [`Rns::list`] could not read; listing goes on without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Where it is (a file path or address).
    pub location: String,
    /// Why it was skipped, one line.
    pub reason: String,
}

/// What [`Rns::list`] found, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// The readable resources.
    pub entries: Vec<ListEntry>,
    /// The unreadable ones, for a warning each.
    pub skipped: Vec<Skipped>,
}

/// One version of a resource in its history, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Full revision id (a git commit hash for the local store).
    pub id: String,
    /// Abbreviated id, as `git log --oneline` prints it.
    pub short_id: String,
    /// Seconds since the Unix epoch.
    pub timestamp: i64,
    /// `YYYY-MM-DD HH:MM:SS +hhmm` in the author's offset.
    pub time: String,
    /// `Name <email>`.
    pub author: String,
    /// First line of the commit message.
    pub message: String,
    /// One line saying what changed in the config (`created`, `changed autostop_mins`, `deleted`, …).
    pub change: String,
}

/// A store of named resources: the local `rh/` folder, or the remote RNS.
///
/// Every method takes a resolved [`ResourceName`]; a store answers [`crate::Error::NotSupported`] for
/// scopes it does not hold. `NotFound` and `NotSupported` mean "ask another store"; other errors are final.
#[async_trait]
pub trait Rns: Debug + Send + Sync + 'static {
    /// Stores `record`. With `overwrite` false an existing resource is left byte-identical and the
    /// result is `AlreadyExists`. The write is atomic: readers see the old config or the new one.
    async fn save(&self, record: &ResourceRecord, overwrite: bool) -> Result<()>;

    /// Reads a resource; `NotFound` when it does not exist, `Corrupt` naming the file when unreadable.
    async fn load(&self, name: &ResourceName) -> Result<ResourceRecord>;

    /// True when a resource config exists under `name` (readable or not).
    async fn exists(&self, name: &ResourceName) -> Result<bool>;

    /// Removes the resource (its config, not the resources nested under it); `NotFound` if absent.
    async fn delete(&self, name: &ResourceName) -> Result<()>;

    /// The resources directly in `folder`, or everything under it when `recursive`.
    async fn list(&self, folder: &ResourceName, recursive: bool) -> Result<Listing>;

    /// Where the resource's config lives on disk, when it is a file.
    async fn locate(&self, name: &ResourceName) -> Result<Option<PathBuf>>;

    /// Moves a resource to a new name (and its `name` field with it); the old name no longer exists.
    async fn rename(&self, from: &ResourceName, to: &ResourceName, overwrite: bool) -> Result<()>;

    /// The versions of a resource, newest first, at most `limit` when given.
    async fn history(&self, name: &ResourceName, limit: Option<usize>)
    -> Result<Vec<HistoryEntry>>;

    /// A unified diff from the config at `rev` (default: the latest recorded version) to the current one.
    /// Empty when they are the same.
    async fn diff(&self, name: &ResourceName, rev: Option<&str>) -> Result<String>;

    /// Puts the config stored at `rev` back as the current one and returns it.
    async fn restore(&self, name: &ResourceName, rev: &str) -> Result<ResourceRecord>;
}

macro_rules! forward_rns {
    ($ty:ty) => {
        #[async_trait]
        impl<T: Rns + ?Sized> Rns for $ty {
            async fn save(&self, record: &ResourceRecord, overwrite: bool) -> Result<()> {
                (**self).save(record, overwrite).await
            }
            async fn load(&self, name: &ResourceName) -> Result<ResourceRecord> {
                (**self).load(name).await
            }
            async fn exists(&self, name: &ResourceName) -> Result<bool> {
                (**self).exists(name).await
            }
            async fn delete(&self, name: &ResourceName) -> Result<()> {
                (**self).delete(name).await
            }
            async fn list(&self, folder: &ResourceName, recursive: bool) -> Result<Listing> {
                (**self).list(folder, recursive).await
            }
            async fn locate(&self, name: &ResourceName) -> Result<Option<PathBuf>> {
                (**self).locate(name).await
            }
            async fn rename(
                &self,
                from: &ResourceName,
                to: &ResourceName,
                overwrite: bool,
            ) -> Result<()> {
                (**self).rename(from, to, overwrite).await
            }
            async fn history(
                &self,
                name: &ResourceName,
                limit: Option<usize>,
            ) -> Result<Vec<HistoryEntry>> {
                (**self).history(name, limit).await
            }
            async fn diff(&self, name: &ResourceName, rev: Option<&str>) -> Result<String> {
                (**self).diff(name, rev).await
            }
            async fn restore(&self, name: &ResourceName, rev: &str) -> Result<ResourceRecord> {
                (**self).restore(name, rev).await
            }
        }
    };
}

forward_rns!(Arc<T>);
forward_rns!(Box<T>);
