//! Blobs: bytes in a file, S3, GCS or Azure store, with a `Blob` resource config saved through the RNS.
//!
//! This module opens the stores (the systems rh knows, each with credentials found the way its ecosystem
//! looks for them), picks default paths, and does the write-then-save bookkeeping (no config without its
//! object, no orphaned object without its config). Moving the bytes (progress, interruption) is the front
//! end's: it gets a [`Target`] and calls the store.

use std::path::{Path, PathBuf};

use rh_config::EnvVars;
use rh_resources::{Blob, Resource, System};
use rh_rns::{ResourceName, Rns};
use rh_storage::azure::AzureAuth;
use rh_storage::file::FileStore;
use rh_storage::gcs::GcsAuth;
use rh_storage::s3::S3Credentials;
use rh_storage::{Access, BlobPath, BlobStore, ObjectMeta, S3Auth};
use secrecy::SecretString;

use crate::{Error, Names, Result, Session};

/// The config key naming the bucket new s3/gs/azure blobs go in when no path is given.
pub const BUCKET_KEY: &str = "default_blob_bucket";

/// The systems blobs can live in (in the order the CLI's help lists them).
pub use rh_storage::SYSTEMS;

/// A store and the key of one object in it.
#[derive(Debug)]
pub struct Target {
    /// The opened store: one bucket of s3/gs/azure, or the object's directory for `file`.
    pub store: Box<dyn BlobStore>,
    /// The object's key inside `store` (for `file`, the file name).
    pub key: BlobPath,
}

impl Target {
    /// The object's location, for messages (`s3://bucket/key`, a file path).
    pub fn location(&self) -> String {
        self.store.location(Some(&self.key))
    }
}

/// The key pair of `profile` in an AWS shared credentials file, read by rh-secrets' AWS provider (the one
/// INI reader); `shown_as` names the file in messages.
fn s3_keys_from_file(
    path: &Path,
    profile: &str,
    shown_as: &str,
) -> rh_storage::Result<S3Credentials> {
    let keys = rh_secrets::Aws::read_profile(path, profile).map_err(|e| {
        rh_storage::Error::Credentials {
            backend: "s3",
            source: Box::new(e),
        }
    })?;
    let Some(keys) = keys else {
        return Err(rh_storage::Error::MissingCredentials {
            message: format!(
                "no S3 credentials: set {} and {}, or save them in {shown_as} (rh secrets save aws)",
                EnvVars::AWS_ACCESS_KEY_ID,
                EnvVars::AWS_SECRET_ACCESS_KEY
            ),
        });
    };
    let (Some(id), Some(secret)) = (keys.expose("access_key"), keys.get("secret_key")) else {
        return Err(rh_storage::Error::InvalidConfig {
            backend: "s3",
            message: format!("profile {profile:?} in {shown_as} has no access key pair"),
        });
    };
    Ok(S3Credentials::new(
        id,
        secret.clone(),
        keys.get("session_token").cloned(),
        format!("shared credentials file: {shown_as}"),
    ))
}

/// The endpoints and credentials of each system, the way each ecosystem looks for them: environment
/// variables first, else the provider's credentials file where rh-secrets says it lives
/// (`AWS_SHARED_CREDENTIALS_FILE` / `~/.aws/credentials`, `GOOGLE_APPLICATION_CREDENTIALS` /
/// `~/.config/gcloud/application_default_credentials.json`). Files are read only when a store of their
/// system is opened.
pub fn access(session: &Session) -> Access {
    let env = session.env();
    let secrets = session.secrets();
    // The file a provider's credentials live in, and how messages show it (the variable's value as
    // given, else the default `~/…` path).
    let credentials_file = |provider: &str, var: &str, default: &str| -> (PathBuf, String) {
        let path = secrets
            .provider_paths(provider)
            .ok()
            .and_then(|p| p.into_iter().next())
            .unwrap_or_else(|| {
                session
                    .paths()
                    .home()
                    .join(default.trim_start_matches("~/"))
            });
        let shown = env.non_empty(var).unwrap_or_else(|| default.to_owned());
        (path, shown)
    };
    let s3_auth = if let (Some(id), Some(secret)) = (
        env.non_empty(EnvVars::AWS_ACCESS_KEY_ID),
        env.non_empty(EnvVars::AWS_SECRET_ACCESS_KEY),
    ) {
        S3Auth::Keys(S3Credentials::new(
            id,
            SecretString::from(secret),
            env.non_empty(EnvVars::AWS_SESSION_TOKEN)
                .map(SecretString::from),
            "environment variables",
        ))
    } else {
        let (path, shown_as) = credentials_file(
            "aws",
            EnvVars::AWS_SHARED_CREDENTIALS_FILE,
            "~/.aws/credentials",
        );
        S3Auth::Deferred {
            from: shown_as.clone(),
            load: std::sync::Arc::new(move || s3_keys_from_file(&path, "default", &shown_as)),
        }
    };
    let (gcs_endpoint, gcs_auth) = if let Some(host) = env.non_empty(EnvVars::STORAGE_EMULATOR_HOST)
    {
        (Some(host), GcsAuth::Anonymous)
    } else {
        let (path, shown_as) = credentials_file(
            "gcp",
            EnvVars::GOOGLE_APPLICATION_CREDENTIALS,
            "~/.config/gcloud/application_default_credentials.json",
        );
        (None, GcsAuth::CredentialsFile { path, shown_as })
    };
    let azure = if let Some(cs) = env.non_empty(EnvVars::AZURE_STORAGE_CONNECTION_STRING) {
        Some((
            AzureAuth::ConnectionString(SecretString::from(cs)),
            "environment variable AZURE_STORAGE_CONNECTION_STRING".to_owned(),
        ))
    } else if let (Some(account), Some(key)) = (
        env.non_empty(EnvVars::AZURE_STORAGE_ACCOUNT),
        env.non_empty(EnvVars::AZURE_STORAGE_KEY),
    ) {
        Some((
            AzureAuth::AccountKey {
                account,
                key: SecretString::from(key),
                endpoint: None,
            },
            "environment variables AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY".to_owned(),
        ))
    } else {
        None
    };
    let mut access = Access::new(s3_auth, gcs_auth);
    access.s3_region = env
        .non_empty(EnvVars::AWS_REGION)
        .or_else(|| env.non_empty(EnvVars::AWS_DEFAULT_REGION))
        .unwrap_or_else(|| "us-east-1".to_owned());
    access.s3_endpoint = env.non_empty(EnvVars::AWS_ENDPOINT_URL);
    access.gcs_endpoint = gcs_endpoint;
    access.azure = azure;
    "no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and \
     AZURE_STORAGE_KEY"
        .clone_into(&mut access.azure_missing);
    access
}

/// One bucket of `system` (`dir` for `file`), with the session's [`access`].
pub async fn open_store(
    session: &Session,
    system: &str,
    bucket: &str,
    dir: &Path,
) -> Result<Box<dyn BlobStore>> {
    if system == "file" {
        return Ok(Box::new(FileStore::new(dir)));
    }
    Ok(rh_storage::open(system, bucket, &access(session))
        .await?
        .store)
}

/// The store and key for a stored `path` (`/BUCKET/KEY`, or a file path for `file`).
pub async fn open(session: &Session, names: &Names, system: &str, path: &str) -> Result<Target> {
    if system == "file" {
        let full = names.local_paths().resolve(path);
        let (Some(dir), Some(file)) = (full.parent(), full.file_name()) else {
            return Err(Error::PathNamesNoFile {
                path: path.to_owned(),
            });
        };
        let key = BlobPath::new(file.to_string_lossy().into_owned())?;
        return Ok(Target {
            store: Box::new(FileStore::new(dir)),
            key,
        });
    }
    let Some((bucket, key)) = path.trim_start_matches('/').split_once('/') else {
        return Err(Error::PathHasNoKey {
            path: path.to_owned(),
        });
    };
    let key = BlobPath::new(key)?;
    let store = open_store(session, system, bucket, Path::new(bucket)).await?;
    Ok(Target { store, key })
}

/// Loads the blob config of `input` and opens its store.
pub async fn target_of(session: &Session, names: &Names, input: &str) -> Result<Target> {
    let (name, rns) = names.resolve(input)?;
    if !rns.exists(&name).await? {
        return Err(Error::NoBlob {
            name: name.to_string(),
        });
    }
    let blob = Blob::from_name(rns, &name).await?;
    target_of_blob(session, names, &blob).await
}

/// Opens the store of a blob held in memory (saved or not).
pub async fn target_of_blob(session: &Session, names: &Names, blob: &Blob) -> Result<Target> {
    let System::Name(system) = &blob.system else {
        return Err(Error::BlobOnCluster {
            name: blob.name.to_string(),
        });
    };
    open(session, names, system, &blob.path).await
}

/// `default_blob_bucket` from config.yaml.
pub fn default_bucket(session: &Session, system: &str) -> Result<String> {
    session
        .config()?
        .get_str(BUCKET_KEY)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| Error::NoBucket {
            system: system.to_owned(),
        })
}

/// A fresh path for `name`: `/BUCKET/runhouse-blob/<uuid>/<user or local>/<name>`, or under `~/.rh/blobs/`.
pub fn default_path(session: &Session, system: &str, name: &ResourceName) -> Result<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let full = name.to_string();
    let owned = match full.strip_prefix("~/") {
        Some(rest) => format!("local/{rest}"),
        None => full.trim_start_matches('/').to_owned(),
    };
    if system == "file" {
        let dir = session
            .paths()
            .config_dir()
            .join("blobs")
            .join(&id)
            .join(&owned);
        return Ok(dir.display().to_string());
    }
    let bucket = default_bucket(session, system)?;
    Ok(format!("/{bucket}/runhouse-blob/{id}/{owned}"))
}

/// Where a blob named `name` on `system` keeps its bytes: `path` as stored (`/BUCKET/KEY` for object
/// stores), else a fresh [`default_path`].
pub fn blob_path(
    session: &Session,
    system: &str,
    name: &ResourceName,
    path: Option<String>,
) -> Result<String> {
    if !SYSTEMS.contains(&system) {
        return Err(rh_storage::Error::UnknownSystem {
            system: system.to_owned(),
        }
        .into());
    }
    Ok(match path {
        Some(p) if system == "file" => p,
        Some(p) => format!("/{}", p.trim_start_matches('/')),
        None => default_path(session, system, name)?,
    })
}

/// A new, unsaved blob named `input` on `system` at `path` (default: a fresh one), as `write` stores it.
pub fn new_blob(
    session: &Session,
    names: &Names,
    input: &str,
    system: &str,
    path: Option<String>,
) -> Result<Blob> {
    let name = names.name(input)?;
    let path = blob_path(session, system, &name, path)?;
    Ok(Blob::new(name, path, System::Name(system.to_owned())))
}

/// A blob write, prepared: the name, its store in the RNS, and the object to upload to.
pub struct Write<'a> {
    /// The resolved name.
    pub name: ResourceName,
    /// Where the bytes go.
    pub target: Target,
    rns: &'a dyn Rns,
    system: String,
    path: String,
    overwrite: bool,
}

impl std::fmt::Debug for Write<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Write")
            .field("name", &self.name)
            .field("system", &self.system)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Prepares writing a blob named `input` to `system` at `path` (default: a fresh one): refuses an
/// existing name without `overwrite`, opens the store, and creates the bucket when asked (always for
/// `file`).
pub async fn prepare_write<'a>(
    session: &Session,
    names: &'a Names,
    input: &str,
    system: &str,
    path: Option<String>,
    create_bucket: bool,
    overwrite: bool,
) -> Result<Write<'a>> {
    let (name, rns) = names.resolve(input)?;
    if !overwrite && rns.exists(&name).await? {
        return Err(Error::BlobExists {
            name: name.to_string(),
        });
    }
    let path = blob_path(session, system, &name, path)?;
    let target = open(session, names, system, &path).await?;
    let folder = path.rsplit_once('/').map_or(path.as_str(), |(dir, _)| dir);
    tracing::info!("Creating new {system} folder if it does not already exist in path: {folder}");
    if create_bucket || system == "file" {
        target.store.create_bucket().await?;
    }
    Ok(Write {
        name,
        target,
        rns,
        system: system.to_owned(),
        path,
        overwrite,
    })
}

impl Write<'_> {
    /// The error for a failed upload: a missing bucket says how to create it.
    pub fn upload_error(&self, e: rh_storage::Error) -> Error {
        match e {
            rh_storage::Error::NotFound { what: "bucket", .. } => Error::BucketNotFound {
                location: self.target.store.location(None),
            },
            e => e.into(),
        }
    }

    /// Saves the blob's config after its bytes were uploaded (`meta`); if that fails, the object is
    /// deleted again (no orphan).
    pub async fn save(self, meta: &ObjectMeta) -> Result<ResourceName> {
        let blob = Blob::new(self.name.clone(), self.path, System::Name(self.system));
        if let Err(e) = Resource::Blob(blob).save(self.rns, self.overwrite).await {
            let _ = self.target.store.delete(&self.target.key).await;
            return Err(e.into());
        }
        tracing::info!(
            "Saved {} ({} bytes at {})",
            self.name,
            meta.size,
            self.target.location()
        );
        Ok(self.name)
    }
}

/// Deletes a blob's bytes and (unless `data_only`) its config; missing bytes only warn.
pub async fn rm(
    session: &Session,
    names: &Names,
    input: &str,
    data_only: bool,
) -> Result<ResourceName> {
    let (name, rns) = names.resolve(input)?;
    let target = target_of(session, names, input).await?;
    match target.store.delete(&target.key).await {
        Ok(()) => {}
        Err(rh_storage::Error::NotFound { .. }) => {
            tracing::warn!("No data at {}", target.location());
        }
        Err(e) => return Err(e.into()),
    }
    if !data_only {
        rns.delete(&name).await?;
    }
    tracing::info!("Deleted {name}");
    Ok(name)
}

/// Whether a blob's bytes exist.
pub async fn exists(session: &Session, names: &Names, input: &str) -> Result<bool> {
    let target = target_of(session, names, input).await?;
    Ok(target.store.exists(&target.key).await?)
}

/// The objects under `prefix` in `bucket` of `system` (default bucket: `~/.rh/blobs` for `file`, else
/// `default_blob_bucket`).
pub async fn ls(
    session: &Session,
    system: &str,
    bucket: Option<String>,
    prefix: &str,
) -> Result<Vec<ObjectMeta>> {
    let bucket = match bucket {
        Some(b) => b,
        None if system == "file" => session
            .paths()
            .config_dir()
            .join("blobs")
            .display()
            .to_string(),
        None => default_bucket(session, system)?,
    };
    let store = open_store(session, system, &bucket, Path::new(&bucket)).await?;
    Ok(store.list(prefix).await?)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use rh_config::{MapEnv, Overrides, RhPaths};

    use super::*;

    fn session(home: &Path, vars: &[(&str, &str)]) -> Session {
        let env = MapEnv(
            vars.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        );
        Session::with_paths(
            Arc::new(env),
            RhPaths::new(home, home.join(".rh")),
            Overrides::default(),
        )
    }

    /// The credentials files come from rh-secrets, which expands `~/` in the variables the same way for
    /// `rh secrets` and for blobs.
    #[test]
    fn credentials_files_are_where_rh_secrets_says() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path();
        std::fs::create_dir_all(home.join("creds")).expect("mkdir");
        std::fs::write(
            home.join("creds/aws"),
            "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s\n",
        )
        .expect("write");
        let s = session(
            home,
            &[
                ("AWS_SHARED_CREDENTIALS_FILE", "~/creds/aws"),
                ("GOOGLE_APPLICATION_CREDENTIALS", "~/creds/gcp.json"),
            ],
        );
        let a = access(&s);
        let S3Auth::Deferred { from, load } = &a.s3_auth else {
            panic!("expected the shared credentials file");
        };
        assert_eq!(from, "~/creds/aws");
        assert_eq!(
            load().expect("keys").source(),
            "shared credentials file: ~/creds/aws"
        );
        let GcsAuth::CredentialsFile { path, shown_as } = &a.gcs_auth else {
            panic!("expected a credentials file");
        };
        assert_eq!(path, &home.join("creds/gcp.json"));
        assert_eq!(shown_as, "~/creds/gcp.json");

        let a = access(&session(home, &[]));
        let S3Auth::Deferred { from, load } = &a.s3_auth else {
            panic!("expected the shared credentials file");
        };
        assert_eq!(from, "~/.aws/credentials");
        assert_eq!(
            load().expect_err("no file").to_string(),
            "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or save them in \
             ~/.aws/credentials (rh secrets save aws)"
        );
        assert!(a.azure.is_none());
        assert_eq!(a.s3_region, "us-east-1");
    }

    /// The shared credentials file is read by rh-secrets' INI reader: one profile, keys lower-cased as
    /// botocore does, the session token kept, a malformed file named with its line.
    #[test]
    fn s3_keys_come_from_one_profile_of_the_shared_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "[default]\nAWS_ACCESS_KEY_ID = AKIDEXAMPLE\naws_secret_access_key = never-shown\n\
             aws_session_token = tok\n[other]\naws_access_key_id = O\n",
        )
        .expect("write");
        let keys = s3_keys_from_file(&file, "default", "~/.aws/credentials").expect("keys");
        assert_eq!(keys.source(), "shared credentials file: ~/.aws/credentials");
        assert!(!format!("{keys:?}").contains("never-shown"));
        assert_eq!(
            s3_keys_from_file(&file, "other", "~/.aws/credentials")
                .expect_err("no secret key")
                .to_string(),
            "invalid s3 configuration: profile \"other\" in ~/.aws/credentials has no access key pair"
        );
        std::fs::write(&file, "aws_access_key_id = X\n").expect("write");
        let e = s3_keys_from_file(&file, "default", "~/.aws/credentials").expect_err("malformed");
        assert_eq!(
            rh_config::display_chain(&e),
            format!(
                "cannot load s3 credentials: {}:1: a key comes before any `[section]` header",
                file.display()
            )
        );
    }

    #[test]
    fn env_keys_beat_the_file_and_name_their_source() {
        let s = session(
            Path::new("/home/u"),
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "never-shown"),
                ("AWS_DEFAULT_REGION", "eu-west-3"),
                ("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443"),
            ],
        );
        let a = access(&s);
        assert!(matches!(a.s3_auth, S3Auth::Keys(_)));
        assert_eq!(a.s3_region, "eu-west-3");
        assert!(matches!(a.gcs_auth, GcsAuth::Anonymous));
        assert_eq!(a.gcs_endpoint.as_deref(), Some("http://127.0.0.1:4443"));
        assert!(!format!("{a:?}").contains("never-shown"));
    }
}
