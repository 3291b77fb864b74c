//! One entry point that opens a store from a URL (`s3://bucket/key`) or a system name and a bucket,
//! with the endpoints and credentials the caller found ([`Access`]; this crate reads no environment).
//! Needs every backend (features `file`, `s3`, `gs`, `azure`).

use std::path::Path;
use std::sync::Arc;

use crate::azure::{AzureAuth, AzureOptions, AzureStore};
use crate::file::FileStore;
use crate::gcs::{GcsAuth, GcsOptions, GcsStore};
use crate::s3::{S3Credentials, S3Options, S3Store};
use crate::{BlobPath, BlobStore, Error, Result};

/// The systems [`open`] knows, in the order help texts list them.
pub const SYSTEMS: &[&str] = &["s3", "gs", "azure", "file"];

/// Where S3 credentials come from.
#[derive(Clone)]
pub enum S3Auth {
    /// A key pair given directly (environment variables).
    Keys(S3Credentials),
    /// Keys the caller loads only when an S3 store is opened (e.g. from `~/.aws/credentials`, which the
    /// caller reads), so that opening another system never reads, or fails on, that file.
    Deferred {
        /// Where the keys will come from, for messages (`~/.aws/credentials`).
        from: String,
        /// Loads the keys.
        load: Arc<dyn Fn() -> Result<S3Credentials> + Send + Sync>,
    },
}

/// Endpoints and credentials for each system, found by the caller. Nothing is read until a store of that
/// system is opened.
#[derive(Clone)]
#[non_exhaustive]
pub struct Access {
    /// S3 region.
    pub s3_region: String,
    /// S3 endpoint (an S3-compatible server), else AWS.
    pub s3_endpoint: Option<String>,
    /// S3 credentials.
    pub s3_auth: S3Auth,
    /// GCS endpoint (an emulator), else Google.
    pub gcs_endpoint: Option<String>,
    /// GCS credentials.
    pub gcs_auth: GcsAuth,
    /// Azure credentials and where they came from; `None` when none were found.
    pub azure: Option<(AzureAuth, String)>,
    /// The message for a missing Azure credential (what to set).
    pub azure_missing: String,
}

impl Access {
    /// Access with these credentials, region `us-east-1`, the services' own endpoints and no Azure
    /// credentials.
    pub fn new(s3_auth: S3Auth, gcs_auth: GcsAuth) -> Self {
        Self {
            s3_region: "us-east-1".to_owned(),
            s3_endpoint: None,
            s3_auth,
            gcs_endpoint: None,
            gcs_auth,
            azure: None,
            azure_missing: "no Azure credentials".to_owned(),
        }
    }
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").finish_non_exhaustive()
    }
}

/// A store, and the key when a URL named one.
#[derive(Debug)]
pub struct Opened {
    /// The store for the bucket (for `file`, the directory) the URL or `bucket` argument named.
    pub store: Box<dyn BlobStore>,
    /// The key after the bucket in the URL; `None` for a system name, a URL with no key, or a `file://` name
    /// that is not a valid key.
    pub key: Option<BlobPath>,
}

/// Splits `scheme://bucket/key` (`file:///dir/key`: the directory and the file name).
fn parse_url(url: &str) -> Result<(String, String, Option<BlobPath>)> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(Error::InvalidConfig {
            backend: "url",
            message: format!("{url} has no scheme (s3://, gs://, azure:// or file://)"),
        });
    };
    if scheme == "file" {
        let Some((dir, key)) = rest.rsplit_once('/') else {
            return Err(Error::InvalidConfig {
                backend: "file",
                message: format!("{url} names no file: expected file:///dir/key"),
            });
        };
        return Ok((scheme.to_owned(), dir.to_owned(), BlobPath::new(key).ok()));
    }
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let key = if key.is_empty() {
        None
    } else {
        Some(BlobPath::new(key)?)
    };
    Ok((scheme.to_owned(), bucket.to_owned(), key))
}

/// Opens a store. `url_or_system` is a URL (`s3://bucket/key`, `gs://…`, `azure://container/key`,
/// `file:///dir/key`: `bucket` is then ignored) or a system name from [`SYSTEMS`] with `bucket` (for
/// `file`, the directory).
pub async fn open(url_or_system: &str, bucket: &str, access: &Access) -> Result<Opened> {
    let (system, bucket, key) = if url_or_system.contains("://") {
        parse_url(url_or_system)?
    } else {
        (url_or_system.to_owned(), bucket.to_owned(), None)
    };
    let store = open_bucket(&system, &bucket, Path::new(&bucket), access).await?;
    Ok(Opened { store, key })
}

async fn open_bucket(
    system: &str,
    bucket: &str,
    dir: &Path,
    access: &Access,
) -> Result<Box<dyn BlobStore>> {
    Ok(match system {
        "file" => Box::new(FileStore::new(dir)),
        "s3" => {
            let creds = match &access.s3_auth {
                S3Auth::Keys(c) => c.clone(),
                S3Auth::Deferred { load, .. } => load()?,
            };
            Box::new(S3Store::new(S3Options::new(
                bucket,
                access.s3_region.clone(),
                access.s3_endpoint.clone(),
                creds,
            ))?)
        }
        "gs" => Box::new(
            GcsStore::new(GcsOptions::new(
                bucket,
                access.gcs_endpoint.clone(),
                access.gcs_auth.clone(),
            ))
            .await?,
        ),
        "azure" => {
            let Some((auth, source)) = &access.azure else {
                return Err(Error::MissingCredentials {
                    message: access.azure_missing.clone(),
                });
            };
            Box::new(AzureStore::new(AzureOptions::new(
                bucket,
                auth.clone(),
                source.clone(),
            ))?)
        }
        other => {
            return Err(Error::UnknownSystem {
                system: other.to_owned(),
            });
        }
    })
}
