//! Amazon S3 and S3-compatible servers through `aws-sdk-s3`.
//!
//! The client is built by hand (no `aws-config`): the caller passes region, endpoint and credentials, so this crate
//! reads no environment. Uploads above one part are multipart with CRC32 part checksums and
//! `TransferOptions::concurrency` parts in flight; a failed or dropped upload is aborted. The body's SHA-256 is
//! signed over plain HTTP only, as awscli does (see `signs_payload`). Downloads are one streamed GET pinned to the
//! object's ETag, resumed from the last byte if the connection breaks; a large download to a file may split into
//! a few parallel ranged GETs, all pinned to that ETag (see [`crate::ReadSplit`]).

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, ResponseChecksumValidation, retry::RetryConfig,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream as AwsBody;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use futures::{FutureExt as _, StreamExt as _};
use secrecy::{ExposeSecret as _, SecretString};

use crate::stream::{OpenRange, Parts, open_put, read_into_file, resuming_stream, upload_bounded};
use crate::{
    BlobPath, BlobStore, ByteRange, ByteStream, Error, FileRead, ObjectMeta, ProgressFn,
    PutOptions, Result, TransferOptions,
};

const BACKEND: &str = "s3";

/// An access key pair and where it came from (the source is logged, the secret never).
#[derive(Clone)]
pub struct S3Credentials {
    access_key_id: String,
    secret_access_key: SecretString,
    session_token: Option<SecretString>,
    source: String,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl S3Credentials {
    /// Explicit keys; `source` says where they were found, e.g. `environment variables`.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: SecretString,
        session_token: Option<SecretString>,
        source: impl Into<String>,
    ) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key,
            session_token,
            source: source.into(),
        }
    }

    /// Where the keys came from.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// Where and how to reach one bucket.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// The bucket name (3 to 63 characters).
    pub bucket: String,
    /// The region requests are signed for and, on AWS, sent to (e.g. `us-east-1`).
    pub region: String,
    /// A custom endpoint (`AWS_ENDPOINT_URL`, an S3-compatible server); `None` for AWS.
    pub endpoint: Option<String>,
    /// Path-style URLs (`endpoint/bucket/key`), as S3-compatible servers want.
    pub force_path_style: bool,
    /// The key pair requests are signed with.
    pub credentials: S3Credentials,
    /// Part size, parts in flight, retries (also the SDK's) and the split of large downloads.
    pub transfer: TransferOptions,
}

impl S3Options {
    /// Defaults: path-style when an endpoint is given.
    pub fn new(
        bucket: impl Into<String>,
        region: impl Into<String>,
        endpoint: Option<String>,
        credentials: S3Credentials,
    ) -> Self {
        Self {
            bucket: bucket.into(),
            region: region.into(),
            force_path_style: endpoint.is_some(),
            endpoint,
            credentials,
            transfer: TransferOptions::default(),
        }
    }
}

/// One S3 bucket.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    region: String,
    transfer: TransferOptions,
    /// See `signs_payload`.
    sign_payload: bool,
}

/// Whether uploads to `endpoint` (`None`: AWS, over HTTPS) put the SHA-256 of their body into the SigV4
/// signature. awscli's rule (botocore's `S3SigV4Auth`): not over HTTPS, where TLS protects the bytes in transit
/// and the signed `x-amz-checksum-crc32` header lets the server check them (`UNSIGNED-PAYLOAD`); always over plain
/// HTTP. Hashing costs about 0.6 s of CPU per GiB on the one runtime thread.
fn signs_payload(endpoint: Option<&str>) -> bool {
    endpoint.is_some_and(|e| {
        !e.get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    })
}

impl S3Store {
    /// Builds the client without a request ([`Error::InvalidConfig`] for a bucket name outside 3 to 63
    /// characters); over plain HTTP, uploads sign their body's SHA-256.
    pub fn new(options: S3Options) -> Result<Self> {
        if !(3..=63).contains(&options.bucket.len()) {
            return Err(Error::InvalidConfig {
                backend: BACKEND,
                message: format!(
                    "bucket name {:?} must be 3 to 63 characters",
                    options.bucket
                ),
            });
        }
        tracing::info!("Found credentials in {}", options.credentials.source);
        let c = &options.credentials;
        let creds = Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.expose_secret().to_owned(),
            c.session_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            None,
            "rh",
        );
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut b = aws_sdk_s3::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(options.region.clone()))
            .credentials_provider(creds)
            .http_client(http)
            .force_path_style(options.force_path_style)
            // Validate only where `open_range` asks for it: the SDK's default also tries multipart objects, whose
            // part-level checksums it cannot check, and prints a warning for each such read.
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(options.transfer.retry.max_attempts)
                    .with_initial_backoff(options.transfer.retry.initial_backoff)
                    .with_max_backoff(options.transfer.retry.max_backoff),
            );
        if let Some(ep) = &options.endpoint {
            b = b.endpoint_url(ep.clone());
        }
        Ok(Self {
            client: Client::from_conf(b.build()),
            bucket: options.bucket,
            region: options.region,
            transfer: options.transfer,
            sign_payload: signs_payload(options.endpoint.as_deref()),
        })
    }

    fn map_err<E>(
        &self,
        e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
        path: Option<&BlobPath>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let loc = self.location(path);
        let code = e.code().unwrap_or_default().to_owned();
        let status = e.raw_response().map(|r| r.status().as_u16());
        let text = DisplayErrorContext(e).to_string();
        match code.as_str() {
            "NoSuchKey" => return Error::not_found(loc),
            "NoSuchBucket" => return Error::bucket_not_found(self.location(None)),
            "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "InvalidToken"
            | "InvalidClientTokenId" => {
                return Error::Unauthenticated {
                    location: loc,
                    message: code,
                };
            }
            "AccessDenied" => {
                return Error::PermissionDenied {
                    location: loc,
                    message: code,
                };
            }
            "PreconditionFailed" | "ConditionalRequestConflict" => {
                return Error::AlreadyExists {
                    what: "object",
                    location: loc,
                };
            }
            "BucketAlreadyExists" => {
                return Error::AlreadyExists {
                    what: "bucket",
                    location: loc,
                };
            }
            "InvalidBucketName" => {
                return Error::InvalidConfig {
                    backend: BACKEND,
                    message: format!("invalid bucket name {:?}", self.bucket),
                };
            }
            _ => {}
        }
        match status {
            Some(s) => crate::error::from_status(BACKEND, s, &code, loc, text),
            // No response: timeout or connection failure, worth another try.
            None => Error::backend(
                BACKEND,
                loc,
                !matches!(e, SdkError::ConstructionFailure(_)),
                text,
            ),
        }
    }

    async fn put_single(&self, path: &BlobPath, body: Bytes, options: &PutOptions) -> Result<()> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(path.as_str())
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .content_type(content_type(options))
            .body(AwsBody::from(body));
        if options.if_not_exists {
            req = req.if_none_match("*");
        }
        let sent = if self.sign_payload {
            req.send().await
        } else {
            req.customize().disable_payload_signing().send().await
        };
        sent.map_err(|e| self.map_err(&e, Some(path)))?;
        Ok(())
    }

    async fn put_multipart(
        &self,
        path: &BlobPath,
        head: Vec<Bytes>,
        parts: &mut Parts,
        options: &PutOptions,
    ) -> Result<()> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(path.as_str())
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .content_type(content_type(options))
            .send()
            .await
            .map_err(|e| self.map_err(&e, Some(path)))?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        let mut guard = AbortGuard {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: path.as_str().to_owned(),
            upload_id: upload_id.clone(),
            armed: true,
        };
        let result = self.upload_parts(path, &upload_id, head, parts).await;
        let completed = match result {
            Ok(c) => c,
            Err(e) => {
                guard.armed = false;
                guard.abort().await;
                return Err(e);
            }
        };
        let done = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(path.as_str())
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await;
        guard.armed = false;
        if let Err(e) = done {
            guard.abort().await;
            return Err(self.map_err(&e, Some(path)));
        }
        Ok(())
    }

    async fn upload_parts(
        &self,
        path: &BlobPath,
        upload_id: &str,
        head: Vec<Bytes>,
        parts: &mut Parts,
    ) -> Result<Vec<CompletedPart>> {
        let mut completed = upload_bounded(head, parts, self.transfer.concurrency, |i, body| {
            let number = i32::try_from(i + 1).unwrap_or(i32::MAX);
            self.upload_part(path, upload_id, number, body)
        })
        .await?;
        completed.sort_by_key(|p: &CompletedPart| p.part_number());
        Ok(completed)
    }

    async fn upload_part(
        &self,
        path: &BlobPath,
        upload_id: &str,
        number: i32,
        body: Bytes,
    ) -> Result<CompletedPart> {
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(path.as_str())
            .upload_id(upload_id)
            .part_number(number)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(AwsBody::from(body));
        let out = if self.sign_payload {
            out.send().await
        } else {
            out.customize().disable_payload_signing().send().await
        };
        let out = out.map_err(|e| self.map_err(&e, Some(path)))?;
        Ok(CompletedPart::builder()
            .part_number(number)
            .set_e_tag(out.e_tag().map(str::to_owned))
            .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
            .build())
    }

    /// Multipart uploads under `prefix` that were started and neither completed nor aborted (a process killed
    /// mid-upload leaves one; its parts cost storage until aborted, or until a bucket lifecycle rule with
    /// `AbortIncompleteMultipartUpload` removes them). Returns `(key, upload id)` pairs.
    pub async fn incomplete_uploads(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        let (mut key_marker, mut id_marker) = (None::<String>, None::<String>);
        loop {
            let page = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_key_marker(key_marker.take())
                .set_upload_id_marker(id_marker.take())
                .send()
                .await
                .map_err(|e| self.map_err(&e, None))?;
            for u in page.uploads() {
                if let (Some(k), Some(id)) = (u.key(), u.upload_id()) {
                    out.push((k.to_owned(), id.to_owned()));
                }
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            id_marker = page.next_upload_id_marker().map(str::to_owned);
            if key_marker.is_none() && id_marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    /// Aborts every incomplete multipart upload under `prefix`; returns how many.
    pub async fn abort_incomplete_uploads(&self, prefix: &str) -> Result<usize> {
        let uploads = self.incomplete_uploads(prefix).await?;
        for (key, upload_id) in &uploads {
            self.client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .send()
                .await
                .map_err(|e| self.map_err(&e, None))?;
        }
        Ok(uploads.len())
    }

    async fn bucket_exists(&self) -> Result<bool> {
        match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) => match self.map_err(&e, None) {
                Error::NotFound { .. } => Ok(false),
                other => Err(other),
            },
        }
    }
}

fn content_type(options: &PutOptions) -> String {
    options
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_owned())
}

/// Aborts a multipart upload if the future that owns it is dropped before completing.
struct AbortGuard {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
    armed: bool,
}

impl AbortGuard {
    async fn abort(&self) {
        let r = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
        if let Err(e) = r {
            tracing::warn!(
                "cannot abort the multipart upload of s3://{}/{}: {}",
                self.bucket,
                self.key,
                DisplayErrorContext(&e)
            );
        }
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let g = Self {
            client: self.client.clone(),
            bucket: std::mem::take(&mut self.bucket),
            key: std::mem::take(&mut self.key),
            upload_id: std::mem::take(&mut self.upload_id),
            armed: false,
        };
        crate::cleanup::spawn(async move { g.abort().await });
    }
}

fn to_system_time(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<SystemTime> {
    t.and_then(|t| SystemTime::try_from(*t).ok())
}

fn strip_quotes(s: Option<&str>) -> Option<String> {
    s.map(|e| e.trim_matches('"').to_owned())
}

#[async_trait]
impl BlobStore for S3Store {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn location(&self, path: Option<&BlobPath>) -> String {
        match path {
            Some(p) => format!("s3://{}/{p}", self.bucket),
            None => format!("s3://{}", self.bucket),
        }
    }

    async fn put_stream(
        &self,
        path: &BlobPath,
        data: ByteStream,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let (mut parts, first, second) =
            open_put(self, path, data, options, self.transfer.part_size).await?;
        match second {
            None => self.put_single(path, first, options).await?,
            Some(second) => {
                self.put_multipart(path, vec![first, second], &mut parts, options)
                    .await?;
            }
        }
        self.head(path).await
    }

    async fn get_stream(&self, path: &BlobPath, range: Option<ByteRange>) -> Result<ByteStream> {
        let meta = self.head(path).await?;
        resuming_stream(
            self.location(Some(path)),
            meta.size,
            range,
            self.transfer.retry,
            self.opener(path, meta.etag),
        )
    }

    async fn get_into_file(
        &self,
        path: &BlobPath,
        file: Arc<std::fs::File>,
        progress: &ProgressFn,
    ) -> Result<FileRead> {
        let meta = self.head(path).await?;
        read_into_file(
            self.location(Some(path)),
            meta.size,
            self.transfer.retry,
            self.opener(path, meta.etag),
            file,
            progress,
            self.transfer.read_split,
        )
        .await
    }

    async fn head(&self, path: &BlobPath) -> Result<ObjectMeta> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(path.as_str())
            .send()
            .await;
        match out {
            Ok(o) => Ok(ObjectMeta {
                path: path.clone(),
                size: o
                    .content_length()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0),
                etag: strip_quotes(o.e_tag()),
                last_modified: to_system_time(o.last_modified()),
            }),
            Err(e) => match self.map_err(&e, Some(path)) {
                // A HEAD 404 has no body: ask whether the bucket is the missing part.
                Error::NotFound { .. } if !self.bucket_exists().await? => {
                    Err(Error::bucket_not_found(self.location(None)))
                }
                other => Err(other),
            },
        }
    }

    async fn delete(&self, path: &BlobPath) -> Result<()> {
        self.head(path).await?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(path.as_str())
            .send()
            .await
            .map_err(|e| self.map_err(&e, Some(path)))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| self.map_err(&e, None))?;
            for o in page.contents() {
                let Some(Ok(path)) = o.key().map(BlobPath::new) else {
                    continue;
                };
                out.push(ObjectMeta {
                    path,
                    size: o.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                    etag: strip_quotes(o.e_tag()),
                    last_modified: to_system_time(o.last_modified()),
                });
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    async fn copy(&self, from: &BlobPath, to: &BlobPath) -> Result<()> {
        self.head(from).await?;
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .key(to.as_str())
            .copy_source(format!("{}/{}", self.bucket, encode_key(from.as_str())))
            .send()
            .await
            .map_err(|e| self.map_err(&e, Some(from)))?;
        Ok(())
    }

    async fn create_bucket(&self) -> Result<()> {
        let mut req = self.client.create_bucket().bucket(&self.bucket);
        if self.region != "us-east-1" {
            req = req.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(self.region.as_str().into())
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => Ok(()),
            Err(e) => Err(self.map_err(&e, None)),
        }
    }

    async fn delete_bucket(&self) -> Result<()> {
        self.client
            .delete_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(|e| self.map_err(&e, None))?;
        Ok(())
    }
}

impl S3Store {
    /// Opens reads of `path`, every one pinned to `etag`.
    fn opener(&self, path: &BlobPath, etag: Option<String>) -> OpenRange {
        let store = Arc::new(self.clone());
        let key = path.clone();
        Arc::new(move |s, e, whole| {
            let store = store.clone();
            let key = key.clone();
            let etag = etag.clone();
            async move { store.open_range(&key, s, e, whole, etag.as_deref()).await }.boxed()
        })
    }

    /// One GET of `start..end`, streamed. A whole-object read sends no Range and has the SDK validate the
    /// object's checksum; every read is pinned to the ETag seen by `head`.
    async fn open_range(
        &self,
        path: &BlobPath,
        start: u64,
        end: u64,
        whole: bool,
        etag: Option<&str>,
    ) -> Result<ByteStream> {
        let mut req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(path.as_str());
        // A multipart object (ETag `…-N`) carries only part-level checksums, which a whole GET cannot check.
        let multipart = etag.is_some_and(|e| e.contains('-'));
        req = if whole && !multipart {
            req.checksum_mode(ChecksumMode::Enabled)
        } else if whole {
            req
        } else {
            req.range(format!("bytes={start}-{}", end - 1))
        };
        if let Some(etag) = etag {
            req = req.if_match(format!("\"{etag}\""));
        }
        let loc = self.location(Some(path));
        let out = req.send().await.map_err(|e| {
            // 412: the If-Match failed, the object was replaced since `head`.
            if e.raw_response().map(|r| r.status().as_u16()) == Some(412) {
                Error::Changed {
                    location: loc.clone(),
                }
            } else {
                self.map_err(&e, Some(path))
            }
        })?;
        // Some servers (s3s-fs) ignore If-Match: check the ETag the answer carries as well.
        if let (Some(want), Some(got)) = (etag, out.e_tag())
            && got.trim_matches('"') != want
        {
            return Err(Error::Changed { location: loc });
        }
        Ok(futures::stream::unfold(out.body, move |mut body| {
            let loc = loc.clone();
            async move {
                let item = body.next().await?;
                Some((
                    item.map_err(|e| {
                        let text = DisplayErrorContext(&e).to_string();
                        if text.to_ascii_lowercase().contains("checksum") {
                            Error::Integrity {
                                location: loc,
                                detail: text,
                            }
                        } else {
                            Error::backend(BACKEND, loc, true, text)
                        }
                    }),
                    body,
                ))
            }
        })
        .boxed())
    }
}

/// Percent-encodes a key for `x-amz-copy-source`, keeping `/`.
fn encode_key(key: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{encode_key, signs_payload};

    #[test]
    fn payloads_are_signed_over_plain_http_only() {
        assert!(signs_payload(Some("http://127.0.0.1:9000")));
        assert!(!signs_payload(Some("https://s3.example.com")));
        assert!(!signs_payload(Some("HTTPS://s3.example.com")));
        assert!(!signs_payload(None), "AWS itself is reached over HTTPS");
    }

    #[test]
    fn encodes_copy_source() {
        assert_eq!(encode_key("a b/ü+x"), "a%20b/%C3%BC%2Bx");
    }
}
