//! `rh-storage`: one async [`BlobStore`] trait over local files, S3, Google Cloud Storage and Azure Blob.
//!
//! Every backend streams: uploads go up in bounded parts (S3 multipart, GCS resumable chunks, Azure blocks) and
//! downloads come down as one stream that resumes where a broken connection stopped, so memory stays bounded at any object size. An upload that fails or is
//! dropped leaves no object behind. Backends sit behind the `file` (default), `s3`, `gs` and `azure` features.
//! Credentials are passed in by the caller; this crate never reads the process environment.

mod cleanup;
mod error;
#[cfg(all(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
mod open;
mod path;
mod retry;
mod stream;

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

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt as _;
use futures::stream::BoxStream;
use tokio::io::AsyncRead;

pub use cleanup::finish_cleanups;
pub use error::{BoxError, Error, Result};
#[cfg(all(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
pub use open::{Access, Opened, S3Auth, SYSTEMS, open};
pub use path::BlobPath;
pub use retry::RetryPolicy;

/// A stream of chunks, as uploads take and downloads give.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A half-open byte range `start..end`; `end: None` reads to the end of the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: Option<u64>,
}

impl ByteRange {
    /// `start..end` (end exclusive).
    pub fn new(start: u64, end: u64) -> Self {
        Self {
            start,
            end: Some(end),
        }
    }

    /// `start..` to the end of the object.
    pub fn from(start: u64) -> Self {
        Self { start, end: None }
    }

    /// Clamps the range to an object of `size` bytes; `None` when it starts past the end.
    #[cfg(any(feature = "file", feature = "s3", feature = "gs", feature = "azure"))]
    pub(crate) fn resolve(self, size: u64) -> Option<(u64, u64)> {
        let end = self.end.map_or(size, |e| e.min(size));
        if self.start > size || (self.start == size && size > 0) || end < self.start {
            return None;
        }
        Some((self.start, end))
    }
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.end {
            Some(e) => write!(f, "{}..{e}", self.start),
            None => write!(f, "{}..", self.start),
        }
    }
}

/// What a store knows about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// The key inside the bucket.
    pub path: BlobPath,
    pub size: u64,
    /// The backend's entity tag, when it has one (quotes stripped).
    pub etag: Option<String>,
    pub last_modified: Option<SystemTime>,
}

/// How a put behaves.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    /// Refuse with [`Error::AlreadyExists`] when the object exists. Atomic on `file`; a check before the write on
    /// the remote backends.
    pub if_not_exists: bool,
    /// The MIME type stored with the object (default `application/octet-stream`).
    pub content_type: Option<String>,
}

/// Tuning shared by the remote backends: part size and parts in flight. Memory is about
/// `part_size * (concurrency + 1)` per upload.
#[derive(Debug, Clone, Copy)]
pub struct TransferOptions {
    pub part_size: usize,
    /// Parts uploaded at once.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub read_split: ReadSplit,
}

impl Default for TransferOptions {
    fn default() -> Self {
        Self {
            part_size: 8 * 1024 * 1024,
            concurrency: 4,
            retry: RetryPolicy::default(),
            read_split: ReadSplit::default(),
        }
    }
}

/// When a download to a file ([`BlobStore::get_into_file`]) splits into parallel ranged GETs (S3).
///
/// The read starts as one plain GET. Once it has streamed for `probe` after its first byte, if it delivered
/// less than `fast_enough` bytes per second meanwhile and enough is left, the rest is cut into up to `TransferOptions::concurrency` contiguous
/// segments: the first GET keeps the first one and a ranged GET fetches each other. A fast single stream is
/// kept because some servers (moto) copy the whole object for every ranged GET, so splitting there costs more
/// than it gains; slow single streams (s3s-fs, AWS itself) gain from several connections.
///
/// Where the defaults come from (curl, 1 GiB object, this project's CI machine): moto waits about 1 s before
/// the first byte of every ranged GET, so 2/4/8 parallel ranges read at 312/205/158 MiB/s against 680 MiB/s for
/// one GET; s3s-fs serves one GET at about 170 MiB/s and 2/4/8 ranges at 333/429/448 MiB/s. The rate is measured
/// from the first byte because moto's one GET also waits 1-2 s before streaming.
#[derive(Debug, Clone, Copy)]
pub struct ReadSplit {
    /// The most GETs at once, the first one included.
    pub segments: usize,
    /// Objects smaller than this are always one GET.
    pub min_size: u64,
    /// No segment is smaller than this.
    pub min_segment: u64,
    /// How long the first GET streams alone (from its first byte) before the split is decided.
    pub probe: std::time::Duration,
    /// Bytes per second at which one stream is kept for the whole read.
    pub fast_enough: u64,
}

impl Default for ReadSplit {
    fn default() -> Self {
        Self {
            segments: 6,
            min_size: 64 * 1024 * 1024,
            min_segment: 8 * 1024 * 1024,
            probe: std::time::Duration::from_millis(150),
            fast_enough: 320 * 1024 * 1024,
        }
    }
}

/// What a download to a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRead {
    /// Bytes written.
    pub size: u64,
    /// GETs that carried the bytes (1 for one stream), not counting resumes after a broken connection.
    pub segments: usize,
}

/// Counts bytes as a download writes them (for a progress bar).
pub type ProgressFn = dyn Fn(u64) + Send + Sync;

/// The temporary file [`BlobStore::get_to_file`] writes beside `dest` before renaming it: `<dest>.rh-partial`.
pub fn partial_path(dest: &Path) -> PathBuf {
    let mut tmp = dest.as_os_str().to_owned();
    tmp.push(".rh-partial");
    PathBuf::from(tmp)
}

/// One bucket (or container, or directory) of blobs.
#[async_trait]
pub trait BlobStore: Send + Sync + Debug {
    /// `file`, `s3`, `gs` or `azure`.
    fn backend(&self) -> &'static str;

    /// Where an object lives, for messages: `s3://bucket/key`, `/root/dir/key`.
    fn location(&self, path: Option<&BlobPath>) -> String;

    /// Writes `data` as the object at `path`. Nothing is visible until the whole stream is stored; a stream
    /// error or a dropped future leaves no object (and an existing object unchanged).
    async fn put_stream(
        &self,
        path: &BlobPath,
        data: ByteStream,
        options: &PutOptions,
    ) -> Result<ObjectMeta>;

    /// Reads `range` (or all) of the object as a stream of chunks.
    async fn get_stream(&self, path: &BlobPath, range: Option<ByteRange>) -> Result<ByteStream>;

    /// Size, etag and time of the object.
    async fn head(&self, path: &BlobPath) -> Result<ObjectMeta>;

    /// Deletes the object; [`Error::NotFound`] when there is none.
    async fn delete(&self, path: &BlobPath) -> Result<()>;

    /// Every object whose key starts with `prefix` (a plain string prefix), sorted by key.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>>;

    /// Copies an object inside the store (server-side where the backend can).
    async fn copy(&self, from: &BlobPath, to: &BlobPath) -> Result<()>;

    /// Creates the bucket; `Ok` when it already exists and is ours.
    async fn create_bucket(&self) -> Result<()>;

    /// Deletes the bucket, which must be empty.
    async fn delete_bucket(&self) -> Result<()>;

    /// Writes `data` in one go.
    async fn put(&self, path: &BlobPath, data: Bytes) -> Result<ObjectMeta> {
        self.put_stream(
            path,
            futures::stream::once(async { Ok(data) }).boxed(),
            &PutOptions::default(),
        )
        .await
    }

    /// Streams an `AsyncRead` (a file, stdin) into the object.
    async fn put_reader(
        &self,
        path: &BlobPath,
        reader: Box<dyn AsyncRead + Send + Unpin>,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let loc = self.location(Some(path));
        let s = tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024)
            .map(move |r| r.map_err(|e| Error::io(&loc, e)));
        self.put_stream(path, s.boxed(), options).await
    }

    /// Reads the whole object into memory.
    async fn get(&self, path: &BlobPath) -> Result<Bytes> {
        collect(self.get_stream(path, None).await?).await
    }

    /// Reads a byte range into memory.
    async fn get_range(&self, path: &BlobPath, range: ByteRange) -> Result<Bytes> {
        collect(self.get_stream(path, Some(range)).await?).await
    }

    /// Writes the whole object into `file` from offset 0 with positioned writes, calling `progress` with each
    /// count of bytes written. The default reads one stream ([`Self::get_stream`]); S3 may split a large object
    /// into parallel ranged GETs (see [`ReadSplit`]). On error the file holds a partial object.
    async fn get_into_file(
        &self,
        path: &BlobPath,
        file: Arc<std::fs::File>,
        progress: &ProgressFn,
    ) -> Result<FileRead> {
        let dest = self.location(Some(path));
        let stream = self.get_stream(path, None).await?;
        let size = stream::write_stream_at(stream, file, 0, &dest, progress).await?;
        Ok(FileRead { size, segments: 1 })
    }

    /// Downloads the object to `dest` atomically: written to [`partial_path`]`(dest)` by
    /// [`Self::get_into_file`], synced, then renamed over `dest`. On error the partial file is removed and
    /// `dest` is untouched. (A caller that may drop this future removes the partial file itself.)
    async fn get_to_file(
        &self,
        path: &BlobPath,
        dest: &Path,
        progress: &ProgressFn,
    ) -> Result<FileRead> {
        let tmp = partial_path(dest);
        let shown = tmp.display().to_string();
        let file = tokio::fs::File::create(&tmp)
            .await
            .map_err(|e| Error::io(&shown, e))?;
        let file = Arc::new(file.into_std().await);
        let result = async {
            let read = self.get_into_file(path, file.clone(), progress).await?;
            let f = file.clone();
            tokio::task::spawn_blocking(move || f.sync_all())
                .await
                .map_err(|e| Error::io(&shown, std::io::Error::other(e)))?
                .map_err(|e| Error::io(&shown, e))?;
            tokio::fs::rename(&tmp, dest)
                .await
                .map_err(|e| Error::io(&dest.display().to_string(), e))?;
            Ok(read)
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    /// True when the object exists.
    async fn exists(&self, path: &BlobPath) -> Result<bool> {
        match self.head(path).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Concatenates a stream into one buffer.
pub async fn collect(mut s: ByteStream) -> Result<Bytes> {
    let mut out = Vec::new();
    while let Some(chunk) = s.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::ByteRange;

    #[test]
    fn ranges_clamp_to_the_object() {
        assert_eq!(ByteRange::new(2, 5).resolve(10), Some((2, 5)));
        assert_eq!(ByteRange::new(2, 50).resolve(10), Some((2, 10)));
        assert_eq!(ByteRange::from(9).resolve(10), Some((9, 10)));
        assert_eq!(ByteRange::from(10).resolve(10), None);
        assert_eq!(ByteRange::from(0).resolve(0), Some((0, 0)));
        assert_eq!(ByteRange::new(5, 2).resolve(10), None);
    }
}
