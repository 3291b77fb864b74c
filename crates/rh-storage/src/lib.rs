//! `rh-storage`: one async [`BlobStore`] trait over local files, S3, Google Cloud Storage and Azure Blob.
//!
//! Every backend streams: uploads go up in bounded parts (S3 multipart, GCS resumable chunks, Azure blocks) and
//! downloads come down as one stream that resumes where a broken connection stopped, so memory stays bounded at any object size. An upload that fails or is
//! dropped leaves no object behind. Backends sit behind the `file` (default), `s3`, `gs` and `azure` features.
//! Credentials are passed in by the caller; this crate never reads the process environment.
//!
//! Modules:
//! - blob_store (private; re-exported): the [`BlobStore`] trait, [`collect`] and [`partial_path`].
//! - types (private; re-exported): the values it takes and gives: [`ByteStream`], [`ByteRange`],
//!   [`ObjectMeta`], [`PutOptions`], [`TransferOptions`], [`ReadSplit`], [`FileRead`], [`ProgressFn`].
//! - path, error, retry, cleanup (private; re-exported): [`BlobPath`], [`Error`], [`RetryPolicy`],
//!   [`finish_cleanups`].
//! - the backends: [`file`] (feature `file`), [`s3`] (feature `s3`), [`gcs`] (feature `gs`), [`azure`]
//!   (feature `azure`); open (private, needs all four; re-exported): [`open`](fn@open) a store from a URL or a
//!   system name with the caller's [`Access`].
//! - [`testing`] (feature `testing`): the conformance suite every backend runs.

mod blob_store;
mod cleanup;
mod error;
#[cfg(all(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
mod open;
mod path;
mod retry;
mod stream;
mod types;

#[cfg(feature = "azure")]
pub mod azure;
#[cfg(feature = "file")]
pub mod file;
#[cfg(feature = "gs")]
pub mod gcs;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "testing")]
pub mod testing;

pub use blob_store::{BlobStore, collect, partial_path};
pub use cleanup::finish_cleanups;
pub use error::{BoxError, Error, Result};
#[cfg(all(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
pub use open::{Access, Opened, S3Auth, SYSTEMS, open};
pub use path::BlobPath;
pub use retry::RetryPolicy;
pub use types::{
    ByteRange, ByteStream, FileRead, ObjectMeta, ProgressFn, PutOptions, ReadSplit, TransferOptions,
};
