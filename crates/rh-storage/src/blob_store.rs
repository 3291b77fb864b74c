//! The [`BlobStore`] trait every backend implements, with its provided methods and the free helpers they use.

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt as _;
use tokio::io::AsyncRead;

use crate::stream;
use crate::{
    BlobPath, ByteRange, ByteStream, Error, FileRead, ObjectMeta, ProgressFn, PutOptions, Result,
};

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
    /// into parallel ranged GETs (see [`ReadSplit`](crate::ReadSplit)). On error the file holds a partial object.
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
