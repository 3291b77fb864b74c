//! The local backend: one directory is the bucket, keys are relative paths under it.
//!
//! Writes go to `ROOT/.rh-staging/<uuid>` (same filesystem), are fsynced, then renamed into place, so readers
//! see the old object or the whole new one, never a part. A failed or dropped write removes its staging file.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use futures::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, AsyncWriteExt as _};

use crate::path::STAGING_DIR;
use crate::{BlobPath, BlobStore, ByteRange, ByteStream, Error, ObjectMeta, PutOptions, Result};

const READ_CHUNK: usize = 256 * 1024;

/// Blobs in a local directory.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

impl FileStore {
    /// A store rooted at `root`; the directory is created by [`BlobStore::create_bucket`] or the first put.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn file(&self, path: &BlobPath) -> PathBuf {
        self.root.join(path.as_str())
    }

    fn io(&self, path: &BlobPath, e: std::io::Error) -> Error {
        let loc = self.location(Some(path));
        match e.kind() {
            std::io::ErrorKind::NotFound => Error::not_found(loc),
            std::io::ErrorKind::PermissionDenied => Error::PermissionDenied {
                location: loc,
                message: e.to_string(),
            },
            _ => Error::io(&loc, e),
        }
    }

    fn meta(&self, path: &BlobPath, md: &std::fs::Metadata) -> Result<ObjectMeta> {
        if !md.is_file() {
            return Err(Error::not_found(self.location(Some(path))));
        }
        let modified = md.modified().ok();
        let etag = modified
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| format!("{:x}-{:x}", d.as_nanos(), md.len()));
        Ok(ObjectMeta {
            path: path.clone(),
            size: md.len(),
            etag,
            last_modified: modified,
        })
    }
}

/// Removes the staging file unless the write was committed.
struct Staged {
    path: PathBuf,
    committed: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[async_trait]
impl BlobStore for FileStore {
    fn backend(&self) -> &'static str {
        "file"
    }

    fn location(&self, path: Option<&BlobPath>) -> String {
        match path {
            Some(p) => self.file(p).display().to_string(),
            None => self.root.display().to_string(),
        }
    }

    async fn put_stream(
        &self,
        path: &BlobPath,
        mut data: ByteStream,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let dest = self.file(path);
        let staging = self.root.join(STAGING_DIR);
        tokio::fs::create_dir_all(&staging)
            .await
            .map_err(|e| self.io(path, e))?;
        let mut staged = Staged {
            path: staging.join(uuid::Uuid::new_v4().simple().to_string()),
            committed: false,
        };
        let mut f = tokio::fs::File::create(&staged.path)
            .await
            .map_err(|e| self.io(path, e))?;
        while let Some(chunk) = data.next().await {
            f.write_all(&chunk?).await.map_err(|e| self.io(path, e))?;
        }
        f.flush().await.map_err(|e| self.io(path, e))?;
        f.sync_all().await.map_err(|e| self.io(path, e))?;
        drop(f);
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| self.io(path, e))?;
        }
        if options.if_not_exists {
            // A hard link fails when the target exists: an atomic create-if-absent.
            match tokio::fs::hard_link(&staged.path, &dest).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Error::AlreadyExists {
                        what: "object",
                        location: self.location(Some(path)),
                    });
                }
                Err(e) => return Err(self.io(path, e)),
            }
        } else {
            tokio::fs::rename(&staged.path, &dest)
                .await
                .map_err(|e| self.io(path, e))?;
            staged.committed = true;
        }
        drop(staged);
        self.head(path).await
    }

    async fn get_stream(&self, path: &BlobPath, range: Option<ByteRange>) -> Result<ByteStream> {
        let file = self.file(path);
        let mut f = tokio::fs::File::open(&file)
            .await
            .map_err(|e| self.io(path, e))?;
        let md = f.metadata().await.map_err(|e| self.io(path, e))?;
        let meta = self.meta(path, &md)?;
        let range = range.unwrap_or(ByteRange::from(0));
        let (start, end) = range
            .resolve(meta.size)
            .ok_or_else(|| Error::InvalidRange {
                location: self.location(Some(path)),
                range: range.to_string(),
                size: meta.size,
            })?;
        f.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| self.io(path, e))?;
        let loc = self.location(Some(path));
        let reader = f.take(end - start);
        Ok(
            tokio_util::io::ReaderStream::with_capacity(reader, READ_CHUNK)
                .map(move |r| r.map_err(|e| Error::io(&loc, e)))
                .boxed(),
        )
    }

    async fn head(&self, path: &BlobPath) -> Result<ObjectMeta> {
        let md = tokio::fs::metadata(self.file(path))
            .await
            .map_err(|e| self.io(path, e))?;
        self.meta(path, &md)
    }

    async fn delete(&self, path: &BlobPath) -> Result<()> {
        self.head(path).await?;
        tokio::fs::remove_file(self.file(path))
            .await
            .map_err(|e| self.io(path, e))?;
        // Prune directories the delete emptied, up to the root.
        let mut dir = self.file(path).parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == self.root || std::fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.list_blocking(&root, &prefix))
            .await
            .map_err(|e| Error::backend("file", self.location(None), false, e))?
    }

    async fn copy(&self, from: &BlobPath, to: &BlobPath) -> Result<()> {
        let src = self.get_stream(from, None).await?;
        self.put_stream(to, src, &PutOptions::default()).await?;
        Ok(())
    }

    async fn create_bucket(&self) -> Result<()> {
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(|e| Error::io(&self.location(None), e))
    }

    async fn delete_bucket(&self) -> Result<()> {
        let _ = tokio::fs::remove_dir_all(self.root.join(STAGING_DIR)).await;
        match tokio::fs::remove_dir(&self.root).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::bucket_not_found(self.location(None)))
            }
            Err(e) => Err(Error::io(&self.location(None), e)),
        }
    }
}

impl FileStore {
    fn list_blocking(&self, root: &Path, prefix: &str) -> Result<Vec<ObjectMeta>> {
        if !root.is_dir() {
            return Err(Error::bucket_not_found(self.location(None)));
        }
        // Start at the deepest directory the prefix names, then filter by the full string prefix.
        let dir_part = prefix.rfind('/').map_or("", |i| &prefix[..i]);
        let mut out = Vec::new();
        let mut stack = vec![root.join(dir_part)];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&dir.display().to_string(), e))?;
                let p = entry.path();
                let Ok(rel) = p.strip_prefix(root) else {
                    continue;
                };
                let Some(rel) = rel.to_str() else { continue };
                if rel == STAGING_DIR {
                    continue;
                }
                let ft = entry
                    .file_type()
                    .map_err(|e| Error::io(&p.display().to_string(), e))?;
                if ft.is_dir() {
                    stack.push(p);
                } else if ft.is_file() && rel.starts_with(prefix) {
                    let Ok(key) = BlobPath::new(rel) else {
                        continue;
                    };
                    let md = entry
                        .metadata()
                        .map_err(|e| Error::io(&p.display().to_string(), e))?;
                    out.push(self.meta(&key, &md)?);
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}
