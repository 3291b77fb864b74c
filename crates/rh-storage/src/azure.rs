//! Azure Blob Storage through `azure_storage_blobs` 0.21.
//!
//! Objects above one part are block blobs built from `put_block` calls (`TransferOptions::concurrency` in flight,
//! each with its MD5) and committed with one `put_block_list` carrying the whole object's MD5. Until the commit no
//! blob exists, so a failed or dropped upload leaves only uncommitted blocks, which Azure discards. Downloads are
//! streamed ranged GETs pinned to the ETag, resumed if the connection breaks; full reads are checked against the
//! stored MD5.

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use azure_core::request_options::IfMatchCondition;
use azure_storage::{CloudLocation, ConnectionString, StorageCredentials};
use azure_storage_blobs::blob::{BlobBlockType, BlockList};
use azure_storage_blobs::prelude::{
    BlobClient, BlobContentMD5, BlobContentType, BlockId, ClientBuilder, ContainerClient, Hash,
};
use bytes::Bytes;
use futures::{FutureExt as _, StreamExt as _};
use md5::Digest as _;
use secrecy::{ExposeSecret as _, SecretString};

use crate::stream::{OpenRange, Parts, open_put, resuming_stream, upload_bounded, verify_md5};
use crate::{
    BlobPath, BlobStore, ByteRange, ByteStream, Error, ObjectMeta, PutOptions, Result,
    TransferOptions,
};

const BACKEND: &str = "azure";

/// How to reach the account.
#[derive(Clone)]
pub enum AzureAuth {
    /// `AZURE_STORAGE_CONNECTION_STRING`: account, key and (for Azurite) `BlobEndpoint`.
    ConnectionString(SecretString),
    /// Account name and shared key; `endpoint` is the blob service URL (`http://127.0.0.1:10000/devstoreaccount1`)
    /// or `None` for Azure's public cloud.
    AccountKey {
        /// The storage account name.
        account: String,
        /// The account's shared access key.
        key: SecretString,
        /// The blob service URL (a trailing `/` is ignored); `None` for Azure's public cloud.
        endpoint: Option<String>,
    },
}

impl std::fmt::Debug for AzureAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ConnectionString(_) => f.write_str("ConnectionString(..)"),
            Self::AccountKey {
                account, endpoint, ..
            } => f
                .debug_struct("AccountKey")
                .field("account", account)
                .field("endpoint", endpoint)
                .finish_non_exhaustive(),
        }
    }
}

/// Where and how to reach one container.
#[derive(Debug, Clone)]
pub struct AzureOptions {
    /// The container name (3 to 63 characters).
    pub container: String,
    /// The account and its credentials.
    pub auth: AzureAuth,
    /// Where the credentials were found, for the log line (e.g. `environment variable AZURE_STORAGE_CONNECTION_STRING`).
    pub source: String,
    /// Block size, blocks in flight and retries.
    pub transfer: TransferOptions,
}

impl AzureOptions {
    /// Options for `container` with `auth` (found at `source`) and the default [`TransferOptions`].
    pub fn new(container: impl Into<String>, auth: AzureAuth, source: impl Into<String>) -> Self {
        Self {
            container: container.into(),
            auth,
            source: source.into(),
            transfer: TransferOptions::default(),
        }
    }
}

/// One Azure container.
#[derive(Clone)]
pub struct AzureStore {
    container: ContainerClient,
    account: String,
    name: String,
    transfer: TransferOptions,
}

impl std::fmt::Debug for AzureStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureStore")
            .field("account", &self.account)
            .field("container", &self.name)
            .finish_non_exhaustive()
    }
}

fn config_err(message: impl Into<String>) -> Error {
    Error::InvalidConfig {
        backend: BACKEND,
        message: message.into(),
    }
}

impl AzureStore {
    /// Builds the container's client without a request; [`Error::InvalidConfig`] for a container name outside
    /// 3 to 63 characters or a connection string without a usable account and key.
    pub fn new(options: AzureOptions) -> Result<Self> {
        if !(3..=63).contains(&options.container.len()) {
            return Err(config_err(format!(
                "container name {:?} must be 3 to 63 characters",
                options.container
            )));
        }
        let (account, creds, location) = match &options.auth {
            AzureAuth::ConnectionString(cs) => {
                // Parse errors of azure_storage quote the string: keep only our own message.
                let parsed = ConnectionString::new(cs.expose_secret())
                    .map_err(|_| config_err("malformed connection string"))?;
                let creds = parsed
                    .storage_credentials()
                    .map_err(|_| config_err("connection string has no usable credentials"))?;
                let account = parsed
                    .account_name
                    .ok_or_else(|| config_err("connection string has no AccountName"))?
                    .to_owned();
                let location = match parsed.blob_endpoint {
                    Some(uri) => CloudLocation::Custom {
                        account: account.clone(),
                        uri: uri.trim_end_matches('/').to_owned(),
                    },
                    None => CloudLocation::Public {
                        account: account.clone(),
                    },
                };
                (account, creds, location)
            }
            AzureAuth::AccountKey {
                account,
                key,
                endpoint,
            } => {
                let creds =
                    StorageCredentials::access_key(account.clone(), key.expose_secret().to_owned());
                let location = match endpoint {
                    Some(uri) => CloudLocation::Custom {
                        account: account.clone(),
                        uri: uri.trim_end_matches('/').to_owned(),
                    },
                    None => CloudLocation::Public {
                        account: account.clone(),
                    },
                };
                (account.clone(), creds, location)
            }
        };
        tracing::info!("Found credentials in {}", options.source);
        let container = ClientBuilder::with_location(location, creds)
            .container_client(options.container.clone());
        Ok(Self {
            container,
            account,
            name: options.container,
            transfer: options.transfer,
        })
    }

    fn blob(&self, path: &BlobPath) -> BlobClient {
        self.container.blob_client(path.as_str())
    }

    fn map_err(&self, e: &azure_core::Error, path: Option<&BlobPath>) -> Error {
        let loc = self.location(path);
        if let azure_core::error::ErrorKind::HttpResponse { status, error_code } = e.kind() {
            let code = error_code.clone().unwrap_or_default();
            let status = *status as u16;
            return match code.as_str() {
                "ContainerNotFound" => Error::bucket_not_found(self.location(None)),
                "BlobNotFound" => Error::not_found(loc),
                "ContainerAlreadyExists" => Error::AlreadyExists {
                    what: "container",
                    location: loc,
                },
                "BlobAlreadyExists" | "ConditionNotMet" => Error::AlreadyExists {
                    what: "object",
                    location: loc,
                },
                "AuthenticationFailed"
                | "InvalidAuthenticationInfo"
                | "NoAuthenticationInformation" => Error::Unauthenticated {
                    location: loc,
                    message: code,
                },
                "Md5Mismatch" | "InvalidMd5" => Error::Integrity {
                    location: loc,
                    detail: code,
                },
                _ => crate::error::from_status(
                    BACKEND,
                    status,
                    &code,
                    loc,
                    format!("{status} {code}"),
                ),
            };
        }
        let retryable = matches!(e.kind(), azure_core::error::ErrorKind::Io);
        Error::backend(BACKEND, loc, retryable, e.to_string())
    }

    async fn props(&self, path: &BlobPath) -> Result<azure_storage_blobs::blob::BlobProperties> {
        let r = self
            .transfer
            .retry
            .run("azure get properties", || async {
                self.blob(path)
                    .get_properties()
                    .await
                    .map_err(|e| self.map_err(&e, Some(path)))
            })
            .await;
        match r {
            Ok(p) => Ok(p.blob.properties),
            // A HEAD 404 carries no error code: find out whether the container is what is missing.
            Err(Error::NotFound { .. }) if !self.container_exists().await? => {
                Err(Error::bucket_not_found(self.location(None)))
            }
            Err(e) => Err(e),
        }
    }

    async fn container_exists(&self) -> Result<bool> {
        match self.container.get_properties().await {
            Ok(_) => Ok(true),
            Err(e) => match self.map_err(&e, None) {
                Error::NotFound { .. } => Ok(false),
                other => Err(other),
            },
        }
    }

    fn meta(path: &BlobPath, p: &azure_storage_blobs::blob::BlobProperties) -> ObjectMeta {
        ObjectMeta {
            path: path.clone(),
            size: p.content_length,
            etag: Some(p.etag.to_string().trim_matches('"').to_owned()),
            last_modified: Some(SystemTime::from(p.last_modified)),
        }
    }

    async fn put_blocks(
        &self,
        path: &BlobPath,
        head: Vec<Bytes>,
        parts: &mut Parts,
        options: &PutOptions,
    ) -> Result<()> {
        let blob = self.blob(path);
        let upload = uuid::Uuid::new_v4().simple().to_string();
        let mut whole = md5::Md5::new();
        // Block ids must all have the same length within a blob.
        let block_id = |i: usize| BlockId::new(Bytes::from(format!("{upload}-{i:08}")));
        let sent = upload_bounded(head, parts, self.transfer.concurrency, |i, body| {
            whole.update(&body);
            let digest: [u8; 16] = md5::Md5::digest(&body).into();
            let id = block_id(i);
            let blob = blob.clone();
            async move {
                self.transfer
                    .retry
                    .run("azure put block", || async {
                        blob.put_block(id.clone(), body.clone())
                            .hash(Hash::MD5(digest))
                            .await
                            .map_err(|e| self.map_err(&e, Some(path)))
                    })
                    .await
            }
        })
        .await?;
        let ids: Vec<BlockId> = (0..sent.len()).map(block_id).collect();
        let list = BlockList {
            blocks: ids.into_iter().map(BlobBlockType::Uncommitted).collect(),
        };
        let digest: [u8; 16] = whole.finalize().into();
        let mut req = blob
            .put_block_list(list)
            .content_md5(BlobContentMD5::from(digest))
            .content_type(BlobContentType::from(content_type(options)));
        if options.if_not_exists {
            req = req.if_match(IfMatchCondition::NotMatch("*".to_owned()));
        }
        req.await.map_err(|e| self.map_err(&e, Some(path)))?;
        Ok(())
    }
}

fn content_type(options: &PutOptions) -> String {
    options
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_owned())
}

#[async_trait]
impl BlobStore for AzureStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn location(&self, path: Option<&BlobPath>) -> String {
        match path {
            Some(p) => format!("azure://{}/{}/{p}", self.account, self.name),
            None => format!("azure://{}/{}", self.account, self.name),
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
            None => {
                let digest: [u8; 16] = md5::Md5::digest(&first).into();
                let mut req = self
                    .blob(path)
                    .put_block_blob(first)
                    .hash(Hash::MD5(digest))
                    .content_type(BlobContentType::from(content_type(options)));
                if options.if_not_exists {
                    req = req.if_match(IfMatchCondition::NotMatch("*".to_owned()));
                }
                req.await.map_err(|e| self.map_err(&e, Some(path)))?;
            }
            Some(second) => {
                self.put_blocks(path, vec![first, second], &mut parts, options)
                    .await?;
            }
        }
        self.head(path).await
    }

    async fn get_stream(&self, path: &BlobPath, range: Option<ByteRange>) -> Result<ByteStream> {
        let props = self.props(path).await?;
        let store = Arc::new(self.clone());
        let key = path.clone();
        let etag = props.etag.to_string();
        let open: OpenRange = Arc::new(move |s, e, _whole| {
            let store = store.clone();
            let key = key.clone();
            let etag = etag.clone();
            async move {
                // Pages of `part_size` bytes, requested one after the other as the caller reads; each page's body
                // is streamed, never collected.
                let pages = store
                    .blob(&key)
                    .get()
                    .range(azure_core::request_options::Range::new(s, e))
                    .if_match(IfMatchCondition::Match(etag))
                    .chunk_size(store.transfer.part_size as u64)
                    .into_stream();
                let state = (pages, None::<azure_core::ResponseBody>, store, key);
                let s: ByteStream = futures::stream::unfold(
                    state,
                    |(mut pages, mut body, store, key)| async move {
                        loop {
                            if let Some(b) = body.as_mut() {
                                match b.next().await {
                                    Some(Ok(chunk)) => {
                                        return Some((Ok(chunk), (pages, body, store, key)));
                                    }
                                    Some(Err(err)) => {
                                        let loc = store.location(Some(&key));
                                        let e = Error::backend(BACKEND, loc, true, err.to_string());
                                        return Some((Err(e), (pages, None, store, key)));
                                    }
                                    None => {}
                                }
                            }
                            match pages.next().await? {
                                Ok(page) => body = Some(page.data),
                                Err(err) => {
                                    let e = store.map_err(&err, Some(&key));
                                    return Some((Err(e), (pages, None, store, key)));
                                }
                            }
                        }
                    },
                )
                .boxed();
                Ok(s)
            }
            .boxed()
        });
        let loc = self.location(Some(path));
        let s = resuming_stream(
            loc.clone(),
            props.content_length,
            range,
            self.transfer.retry,
            open,
        )?;
        Ok(match (range, props.content_md5) {
            (None, Some(md5)) => verify_md5(s, md5.bytes().to_vec(), loc),
            _ => s,
        })
    }

    async fn head(&self, path: &BlobPath) -> Result<ObjectMeta> {
        Ok(Self::meta(path, &self.props(path).await?))
    }

    async fn delete(&self, path: &BlobPath) -> Result<()> {
        self.props(path).await?;
        self.blob(path)
            .delete()
            .await
            .map_err(|e| self.map_err(&e, Some(path)))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut req = self.container.list_blobs();
        if !prefix.is_empty() {
            req = req.prefix(prefix.to_owned());
        }
        let mut pages = req.into_stream();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.map_err(&e, None))?;
            for b in page.blobs.blobs() {
                if let Ok(p) = BlobPath::new(b.name.clone()) {
                    out.push(Self::meta(&p, &b.properties));
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    async fn copy(&self, from: &BlobPath, to: &BlobPath) -> Result<()> {
        self.props(from).await?;
        let src = self
            .blob(from)
            .url()
            .map_err(|e| self.map_err(&e, Some(from)))?;
        let r = self
            .blob(to)
            .copy(src)
            .await
            .map_err(|e| self.map_err(&e, Some(to)))?;
        // Same-account copies finish at once; wait for the rare pending one.
        if !matches!(
            r.copy_status,
            azure_storage_blobs::blob::CopyStatus::Success
        ) {
            for _ in 0..600 {
                let p = self.props(to).await?;
                match p.copy_status {
                    Some(azure_storage_blobs::blob::CopyStatus::Pending) => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    Some(azure_storage_blobs::blob::CopyStatus::Success) | None => return Ok(()),
                    Some(other) => {
                        return Err(Error::backend(
                            BACKEND,
                            self.location(Some(to)),
                            false,
                            format!("copy ended as {other:?}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    async fn create_bucket(&self) -> Result<()> {
        match self.container.create().await {
            Ok(()) => Ok(()),
            Err(e) => match self.map_err(&e, None) {
                Error::AlreadyExists { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn delete_bucket(&self) -> Result<()> {
        self.container
            .delete()
            .await
            .map_err(|e| self.map_err(&e, None))?;
        Ok(())
    }
}
