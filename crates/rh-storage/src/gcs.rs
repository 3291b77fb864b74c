//! Google Cloud Storage through the JSON API (`google-cloud-storage` 0.24, see ARCHITECTURE.md for why this line).
//!
//! Objects above one part go up as a resumable upload in `part_size` chunks (a multiple of 256 KiB), reading the
//! next chunk while one is in flight; a failed or dropped upload cancels the session, so no object appears.
//! Downloads are one streamed read pinned to the object's generation, resumed if the connection breaks; full
//! reads are checked against the stored MD5.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use base64::Engine as _;
use bytes::Bytes;
use futures::{FutureExt as _, StreamExt as _};
use google_cloud_storage::client::{Client, ClientConfig};
use google_cloud_storage::http::Error as GcsError;
use google_cloud_storage::http::buckets::delete::DeleteBucketRequest;
use google_cloud_storage::http::buckets::get::GetBucketRequest;
use google_cloud_storage::http::buckets::insert::{InsertBucketParam, InsertBucketRequest};
use google_cloud_storage::http::objects::Object;
use google_cloud_storage::http::objects::delete::DeleteObjectRequest;
use google_cloud_storage::http::objects::download::Range;
use google_cloud_storage::http::objects::get::GetObjectRequest;
use google_cloud_storage::http::objects::list::ListObjectsRequest;
use google_cloud_storage::http::objects::rewrite::RewriteObjectRequest;
use google_cloud_storage::http::objects::upload::{Media, UploadObjectRequest, UploadType};
use google_cloud_storage::http::resumable_upload_client::{
    ChunkSize, ResumableUploadClient, UploadStatus,
};
use md5::Digest as _;

use crate::stream::{OpenRange, Parts, open_put, resuming_stream, verify_md5};
use crate::{
    BlobPath, BlobStore, ByteRange, ByteStream, Error, ObjectMeta, PutOptions, Result,
    TransferOptions,
};

const BACKEND: &str = "gs";
const CHUNK_ALIGN: usize = 256 * 1024;

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum GcsAuth {
    /// No credentials (the emulator, public buckets).
    Anonymous,
    /// A service-account or application-default credentials JSON file; `shown_as` is the path for logs.
    CredentialsFile {
        /// The file to read.
        path: PathBuf,
        /// How logs and errors name the file (e.g. with `~` for the home directory).
        shown_as: String,
    },
}

/// Where and how to reach one bucket.
#[derive(Debug, Clone)]
pub struct GcsOptions {
    /// The bucket name.
    pub bucket: String,
    /// `STORAGE_EMULATOR_HOST` or another endpoint; `None` for Google.
    pub endpoint: Option<String>,
    /// How the client authenticates.
    pub auth: GcsAuth,
    /// The project new buckets go in (default: the credentials file's project, else `rh`, as the emulator does
    /// not care).
    pub project: Option<String>,
    /// Chunk size (rounded down to a multiple of 256 KiB), parallelism and retries.
    pub transfer: TransferOptions,
}

impl GcsOptions {
    /// Options for `bucket` at `endpoint` (`None` for Google) with `auth`, no project and the default
    /// [`TransferOptions`].
    pub fn new(bucket: impl Into<String>, endpoint: Option<String>, auth: GcsAuth) -> Self {
        Self {
            bucket: bucket.into(),
            endpoint,
            auth,
            project: None,
            transfer: TransferOptions::default(),
        }
    }
}

/// One GCS bucket.
#[derive(Clone)]
pub struct GcsStore {
    client: Client,
    bucket: String,
    project: String,
    transfer: TransferOptions,
}

impl std::fmt::Debug for GcsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsStore")
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl GcsStore {
    /// Builds the client, reading the credentials file if `auth` names one ([`Error::InvalidConfig`] when it
    /// cannot be read or used) and rounding `part_size` down to a multiple of 256 KiB (at least 256 KiB).
    pub async fn new(options: GcsOptions) -> Result<Self> {
        let mut config = ClientConfig::default();
        if let Some(ep) = &options.endpoint {
            config.storage_endpoint = ep.trim_end_matches('/').to_owned();
        }
        let mut project = options.project.clone();
        let config = match &options.auth {
            GcsAuth::Anonymous => {
                tracing::info!("Using anonymous access to Google Cloud Storage");
                config.anonymous()
            }
            GcsAuth::CredentialsFile { path, shown_as } => {
                let file = google_cloud_storage::client::google_cloud_auth::credentials::CredentialsFile::new_from_file(
                    path.display().to_string(),
                )
                .await
                .map_err(|e| Error::InvalidConfig {
                    backend: BACKEND,
                    message: format!("cannot read credentials file {shown_as}: {e}"),
                })?;
                tracing::info!("Found credentials in credentials file: {shown_as}");
                let c = config
                    .with_credentials(file)
                    .await
                    .map_err(|e| Error::InvalidConfig {
                        backend: BACKEND,
                        message: format!("cannot use credentials file {shown_as}: {e}"),
                    })?;
                if project.is_none() {
                    project.clone_from(&c.project_id);
                }
                c
            }
        };
        let mut transfer = options.transfer;
        transfer.part_size = (transfer.part_size / CHUNK_ALIGN).max(1) * CHUNK_ALIGN;
        Ok(Self {
            client: Client::new(config),
            bucket: options.bucket,
            project: project.unwrap_or_else(|| "rh".to_owned()),
            transfer,
        })
    }

    fn map_err(&self, e: GcsError, path: Option<&BlobPath>) -> Error {
        let loc = self.location(path);
        match e {
            GcsError::Response(r) => {
                let reason = r
                    .errors
                    .first()
                    .map_or_else(|| r.message.clone(), |i| i.reason.clone());
                if r.code == 404 && path.is_none() {
                    return Error::bucket_not_found(loc);
                }
                if r.code == 409 {
                    return Error::AlreadyExists {
                        what: if path.is_some() { "object" } else { "bucket" },
                        location: loc,
                    };
                }
                if r.code == 412 {
                    return Error::AlreadyExists {
                        what: "object",
                        location: loc,
                    };
                }
                crate::error::from_status(BACKEND, r.code, &reason, loc, r)
            }
            GcsError::HttpClient(r) => match r.status() {
                Some(s) => crate::error::from_status(BACKEND, s.as_u16(), s.as_str(), loc, r),
                None => Error::backend(BACKEND, loc, true, r),
            },
            GcsError::RawResponse(r, detail) => match r.status() {
                Some(s) => crate::error::from_status(BACKEND, s.as_u16(), s.as_str(), loc, detail),
                None => Error::backend(BACKEND, loc, true, detail),
            },
            other => Error::backend(BACKEND, loc, false, other),
        }
    }

    fn meta(path: &BlobPath, o: &Object) -> ObjectMeta {
        ObjectMeta {
            path: path.clone(),
            size: u64::try_from(o.size).unwrap_or(0),
            etag: Some(o.etag.clone()),
            last_modified: o.updated.map(SystemTime::from),
        }
    }

    async fn get_object(&self, path: &BlobPath) -> Result<Object> {
        let req = GetObjectRequest {
            bucket: self.bucket.clone(),
            object: path.as_str().to_owned(),
            ..Default::default()
        };
        let r = self
            .transfer
            .retry
            .run("gs get object", || async {
                self.client
                    .get_object(&req)
                    .await
                    .map_err(|e| self.map_err(e, Some(path)))
            })
            .await;
        match r {
            Err(Error::NotFound { .. }) if !self.bucket_exists().await? => {
                Err(Error::bucket_not_found(self.location(None)))
            }
            other => other,
        }
    }

    async fn bucket_exists(&self) -> Result<bool> {
        let req = GetBucketRequest {
            bucket: self.bucket.clone(),
            ..Default::default()
        };
        match self.client.get_bucket(&req).await {
            Ok(_) => Ok(true),
            Err(e) => match self.map_err(e, None) {
                Error::NotFound { .. } => Ok(false),
                other => Err(other),
            },
        }
    }

    async fn upload_resumable(
        &self,
        path: &BlobPath,
        first: Bytes,
        second: Bytes,
        parts: &mut Parts,
        media: Media,
        md5: &mut md5::Md5,
    ) -> Result<Object> {
        let req = UploadObjectRequest {
            bucket: self.bucket.clone(),
            ..Default::default()
        };
        let session = self
            .transfer
            .retry
            .run("gs start upload", || async {
                self.client
                    .prepare_resumable_upload(&req, &UploadType::Simple(media.clone()))
                    .await
                    .map_err(|e| self.map_err(e, Some(path)))
            })
            .await?;
        let mut guard = CancelGuard(Some(session.clone()));
        let result = self
            .send_chunks(path, &session, first, second, parts, md5)
            .await;
        let session = guard.0.take().expect("guard holds the session");
        match result {
            Ok(o) => Ok(o),
            Err(e) => {
                if let Err(c) = session.cancel().await {
                    tracing::warn!(
                        "cannot cancel the upload of {}: {c}",
                        self.location(Some(path))
                    );
                }
                Err(e)
            }
        }
    }

    async fn send_chunks(
        &self,
        path: &BlobPath,
        session: &ResumableUploadClient,
        first: Bytes,
        second: Bytes,
        parts: &mut Parts,
        md5: &mut md5::Md5,
    ) -> Result<Object> {
        let mut offset = 0u64;
        let mut cur = first;
        let mut next = Some(second);
        loop {
            md5.update(&cur);
            let len = cur.len() as u64;
            let last = next.is_none();
            let chunk = ChunkSize::new(offset, offset + len - 1, last.then_some(offset + len));
            let send = self.transfer.retry.run("gs upload chunk", || {
                let body = cur.clone();
                let chunk = chunk.clone();
                async move {
                    session
                        .upload_multiple_chunk(body, &chunk)
                        .await
                        .map_err(|e| self.map_err(e, Some(path)))
                }
            });
            if last {
                return match send.await? {
                    UploadStatus::Ok(o) => Ok(o),
                    other => Err(Error::backend(
                        BACKEND,
                        self.location(Some(path)),
                        false,
                        format!("upload did not complete: {other:?}"),
                    )),
                };
            }
            let (status, after) = tokio::join!(send, parts.next_part(false));
            status?;
            let after = after?;
            offset += len;
            cur = next.take().expect("not the last chunk");
            next = after;
        }
    }
}

/// Cancels a resumable upload session if the upload future is dropped.
struct CancelGuard(Option<ResumableUploadClient>);

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            crate::cleanup::spawn(async move {
                let _ = s.cancel().await;
            });
        }
    }
}

#[async_trait]
impl BlobStore for GcsStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn location(&self, path: Option<&BlobPath>) -> String {
        match path {
            Some(p) => format!("gs://{}/{p}", self.bucket),
            None => format!("gs://{}", self.bucket),
        }
    }

    async fn put_stream(
        &self,
        path: &BlobPath,
        data: ByteStream,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let mut media = Media::new(path.as_str().to_owned());
        media.content_type = options
            .content_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".to_owned())
            .into();
        let (mut parts, first, second) =
            open_put(self, path, data, options, self.transfer.part_size).await?;
        let mut md5 = md5::Md5::new();
        let object = match second {
            None => {
                md5.update(&first);
                media.content_length = Some(first.len() as u64);
                let req = UploadObjectRequest {
                    bucket: self.bucket.clone(),
                    if_generation_match: options.if_not_exists.then_some(0),
                    ..Default::default()
                };
                self.transfer
                    .retry
                    .run("gs upload", || async {
                        self.client
                            .upload_object(&req, first.clone(), &UploadType::Simple(media.clone()))
                            .await
                            .map_err(|e| self.map_err(e, Some(path)))
                    })
                    .await?
            }
            Some(second) => {
                self.upload_resumable(path, first, second, &mut parts, media, &mut md5)
                    .await?
            }
        };
        let sent = md5.finalize();
        if let Some(stored) = object.md5_hash.as_deref()
            && base64::engine::general_purpose::STANDARD
                .decode(stored)
                .ok()
                .as_deref()
                != Some(sent.as_slice())
        {
            let _ = self.delete(path).await;
            return Err(Error::Integrity {
                location: self.location(Some(path)),
                detail: "the stored MD5 differs from the bytes sent; the object was removed".into(),
            });
        }
        Ok(Self::meta(path, &object))
    }

    async fn get_stream(&self, path: &BlobPath, range: Option<ByteRange>) -> Result<ByteStream> {
        let object = self.get_object(path).await?;
        let size = u64::try_from(object.size).unwrap_or(0);
        let store = Arc::new(self.clone());
        let key = path.clone();
        let generation = object.generation;
        let open: OpenRange = Arc::new(move |s, e, whole| {
            let store = store.clone();
            let key = key.clone();
            async move {
                let req = GetObjectRequest {
                    bucket: store.bucket.clone(),
                    object: key.as_str().to_owned(),
                    generation: Some(generation),
                    ..Default::default()
                };
                let range = if whole {
                    Range::default()
                } else {
                    Range(Some(s), Some(e - 1))
                };
                let body = store
                    .client
                    .download_streamed_object(&req, &range)
                    .await
                    .map_err(|err| store.map_err(err, Some(&key)))?;
                let loc = store.location(Some(&key));
                let s: ByteStream = body
                    .map(move |r| r.map_err(|err| Error::backend(BACKEND, loc.clone(), true, err)))
                    .boxed();
                Ok(s)
            }
            .boxed()
        });
        let loc = self.location(Some(path));
        let s = resuming_stream(loc.clone(), size, range, self.transfer.retry, open)?;
        let expected = object
            .md5_hash
            .as_deref()
            .and_then(|m| base64::engine::general_purpose::STANDARD.decode(m).ok());
        Ok(match (range, expected) {
            (None, Some(md5)) => verify_md5(s, md5, loc),
            _ => s,
        })
    }

    async fn head(&self, path: &BlobPath) -> Result<ObjectMeta> {
        Ok(Self::meta(path, &self.get_object(path).await?))
    }

    async fn delete(&self, path: &BlobPath) -> Result<()> {
        self.get_object(path).await?;
        let req = DeleteObjectRequest {
            bucket: self.bucket.clone(),
            object: path.as_str().to_owned(),
            ..Default::default()
        };
        self.transfer
            .retry
            .run("gs delete", || async {
                self.client
                    .delete_object(&req)
                    .await
                    .map_err(|e| self.map_err(e, Some(path)))
            })
            .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut out = Vec::new();
        let mut req = ListObjectsRequest {
            bucket: self.bucket.clone(),
            prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
            ..Default::default()
        };
        loop {
            let page = self
                .transfer
                .retry
                .run("gs list", || async {
                    self.client
                        .list_objects(&req)
                        .await
                        .map_err(|e| self.map_err(e, None))
                })
                .await?;
            for o in page.items.unwrap_or_default() {
                if let Ok(p) = BlobPath::new(o.name.clone()) {
                    out.push(Self::meta(&p, &o));
                }
            }
            match page.next_page_token {
                Some(t) if !t.is_empty() => req.page_token = Some(t),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    async fn copy(&self, from: &BlobPath, to: &BlobPath) -> Result<()> {
        self.get_object(from).await?;
        let mut req = RewriteObjectRequest {
            destination_bucket: self.bucket.clone(),
            destination_object: to.as_str().to_owned(),
            source_bucket: self.bucket.clone(),
            source_object: from.as_str().to_owned(),
            ..Default::default()
        };
        loop {
            let r = self
                .transfer
                .retry
                .run("gs rewrite", || async {
                    self.client
                        .rewrite_object(&req)
                        .await
                        .map_err(|e| self.map_err(e, Some(from)))
                })
                .await?;
            if r.done {
                return Ok(());
            }
            req.rewrite_token = r.rewrite_token;
        }
    }

    async fn create_bucket(&self) -> Result<()> {
        let req = InsertBucketRequest {
            name: self.bucket.clone(),
            param: InsertBucketParam {
                project: self.project.clone(),
                ..Default::default()
            },
            ..Default::default()
        };
        match self.client.insert_bucket(&req).await {
            Ok(_) => Ok(()),
            Err(e) => match self.map_err(e, None) {
                Error::AlreadyExists { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn delete_bucket(&self) -> Result<()> {
        let req = DeleteBucketRequest {
            bucket: self.bucket.clone(),
            ..Default::default()
        };
        self.client
            .delete_bucket(&req)
            .await
            .map_err(|e| self.map_err(e, None))
    }
}
