//! `rh blob …`: write, read, list and delete blobs in a file, S3, GCS or Azure store, with their `Blob`
//! resource config saved through the RNS (the local `rh/` folder, or rh-server for `/user/…` names).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use futures::StreamExt as _;
use rh_config::EnvVars;
use rh_resources::{Blob, System};
use rh_rns::ResourceName;
use rh_storage::azure::{AzureAuth, AzureOptions, AzureStore};
use rh_storage::file::FileStore;
use rh_storage::gcs::{GcsAuth, GcsOptions, GcsStore};
use rh_storage::s3::{S3Credentials, S3Options, S3Store};
use rh_storage::{BlobPath, BlobStore, PutOptions};
use secrecy::SecretString;
use tokio::io::AsyncWriteExt as _;

use crate::context::Context;
use crate::printer;

/// The config key naming the bucket new s3/gs/azure blobs go in when no `--path` is given.
const BUCKET_KEY: &str = "default_blob_bucket";

#[derive(Debug, Subcommand)]
pub(crate) enum BlobCommand {
    /// Upload FILE (or stdin) to a store and save the blob's config under NAME.
    Write {
        /// The name (`~/my_blob`, `/alice/my_blob`, or bare for the default folder).
        name: String,
        /// The file to upload; `-` (the default) reads stdin.
        #[arg(default_value = "-")]
        file: PathBuf,
        /// Where the bytes go.
        #[arg(long, value_parser = ["s3", "gs", "azure", "file"])]
        system: String,
        /// `BUCKET/KEY` (a file path for `file`); default: a new key in `default_blob_bucket`.
        #[arg(long)]
        path: Option<String>,
        /// Create the bucket when it does not exist.
        #[arg(long)]
        create_bucket: bool,
        /// Replace an existing resource of that name.
        #[arg(long)]
        overwrite: bool,
    },
    /// Download a blob's bytes.
    Read {
        /// The name.
        name: String,
        /// Where to write; `-` (the default) is stdout.
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
    },
    /// Delete a blob's bytes and its config.
    Rm {
        /// The name.
        name: String,
        /// Delete only the bytes and keep the config.
        #[arg(long)]
        data_only: bool,
    },
    /// List the objects in a bucket whose keys start with PREFIX.
    Ls {
        /// A key prefix.
        #[arg(default_value = "")]
        prefix: String,
        /// The store.
        #[arg(long, value_parser = ["s3", "gs", "azure", "file"])]
        system: String,
        /// The bucket (default: `default_blob_bucket`; for `file`, a directory).
        #[arg(long)]
        bucket: Option<String>,
    },
    /// Print `true` when the blob's bytes exist (exit 0), else `false` (exit 1).
    Exists {
        /// The name.
        name: String,
    },
}

/// Name resolution and the RNS holding a name: the same as `rh resource`.
type Names = super::resource::Local;

/// A store and the key of one object in it.
struct Target {
    store: Box<dyn BlobStore>,
    key: BlobPath,
}

pub(crate) async fn run(ctx: &Context, cmd: BlobCommand) -> Result<ExitCode> {
    let settings = ctx.settings()?;
    let names = Names::with_settings(ctx, &settings)?;
    match cmd {
        BlobCommand::Write {
            name,
            file,
            system,
            path,
            create_bucket,
            overwrite,
        } => {
            let (name, rns) = names.resolve(&name)?;
            if !overwrite && rns.exists(&name).await? {
                bail!("{name} already exists; pass --overwrite to replace it");
            }
            let path = match path {
                Some(p) if system == "file" => p,
                Some(p) => format!("/{}", p.trim_start_matches('/')),
                None => default_path(ctx, &system, &name)?,
            };
            let target = open(ctx, &names, &system, &path).await?;
            let folder = path.rsplit_once('/').map_or(path.as_str(), |(dir, _)| dir);
            tracing::info!(
                "Creating new {system} folder if it does not already exist in path: {folder}"
            );
            if create_bucket || system == "file" {
                target.store.create_bucket().await?;
            }
            let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = if file.as_os_str() == "-" {
                Box::new(tokio::io::stdin())
            } else {
                Box::new(
                    tokio::fs::File::open(&file)
                        .await
                        .with_context(|| format!("cannot read {}", file.display()))?,
                )
            };
            let meta = match target
                .store
                .put_reader(&target.key, reader, &PutOptions::default())
                .await
            {
                Ok(m) => m,
                Err(rh_storage::Error::NotFound { what: "bucket", .. }) => bail!(
                    "bucket not found: {}; create it or pass --create-bucket",
                    target.store.location(None)
                ),
                Err(e) => return Err(e.into()),
            };
            let blob = Blob::new(name.clone(), path, System::Name(system));
            if let Err(e) = rh_resources::Resource::Blob(blob)
                .save(rns, overwrite)
                .await
            {
                // Keep data and metadata together: no config, no orphaned object.
                let _ = target.store.delete(&target.key).await;
                return Err(e.into());
            }
            tracing::info!(
                "Saved {name} ({} bytes at {})",
                meta.size,
                target.store.location(Some(&target.key))
            );
        }
        BlobCommand::Read { name, output } => {
            let target = target_of(ctx, &names, &name).await?;
            let mut stream = target.store.get_stream(&target.key, None).await?;
            if output.as_os_str() == "-" {
                let mut out = tokio::io::stdout();
                while let Some(chunk) = stream.next().await {
                    out.write_all(&chunk?)
                        .await
                        .context("cannot write stdout")?;
                }
                out.flush().await.context("cannot write stdout")?;
            } else {
                // Write beside the destination, then rename, so a failed read leaves no partial file.
                let mut tmp = output.clone().into_os_string();
                tmp.push(".rh-partial");
                let tmp = PathBuf::from(tmp);
                let result = async {
                    let mut f = tokio::fs::File::create(&tmp).await?;
                    while let Some(chunk) = stream.next().await {
                        f.write_all(&chunk.map_err(std::io::Error::other)?).await?;
                    }
                    f.sync_all().await?;
                    tokio::fs::rename(&tmp, &output).await
                }
                .await;
                if let Err(e) = result {
                    let _ = tokio::fs::remove_file(&tmp).await;
                    bail!("cannot write {}: {e}", output.display());
                }
            }
        }
        BlobCommand::Rm { name, data_only } => {
            let (rname, rns) = names.resolve(&name)?;
            let target = target_of(ctx, &names, &name).await?;
            match target.store.delete(&target.key).await {
                Ok(()) => {}
                Err(rh_storage::Error::NotFound { .. }) => {
                    tracing::warn!("No data at {}", target.store.location(Some(&target.key)));
                }
                Err(e) => return Err(e.into()),
            }
            if !data_only {
                rns.delete(&rname).await?;
            }
            tracing::info!("Deleted {rname}");
        }
        BlobCommand::Ls {
            prefix,
            system,
            bucket,
        } => {
            let bucket = match bucket {
                Some(b) => b,
                None if system == "file" => {
                    ctx.paths.config_dir().join("blobs").display().to_string()
                }
                None => default_bucket(ctx, &system)?,
            };
            let store = store_for(ctx, &system, &bucket, Path::new(&bucket)).await?;
            let mut out = String::new();
            for m in store.list(&prefix).await? {
                let _ = writeln!(out, "{}\t{}", m.size, m.path.as_str());
            }
            printer::bytes(out.as_bytes())?;
        }
        BlobCommand::Exists { name } => {
            let target = target_of(ctx, &names, &name).await?;
            let exists = target.store.exists(&target.key).await?;
            printer::line(if exists { "true" } else { "false" })?;
            if !exists {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads the blob config of `name` and opens its store.
async fn target_of(ctx: &Context, names: &Names, input: &str) -> Result<Target> {
    let (name, rns) = names.resolve(input)?;
    if !rns.exists(&name).await? {
        bail!("no blob named {name}");
    }
    let blob = Blob::from_name(rns, &name).await?;
    let System::Name(system) = &blob.system else {
        bail!("{name} lives on a cluster; rh reads blobs on file, s3, gs or azure only");
    };
    open(ctx, names, system, &blob.path).await
}

/// The store and key for a stored `path` (`/BUCKET/KEY`, or a file path for `file`).
async fn open(ctx: &Context, names: &Names, system: &str, path: &str) -> Result<Target> {
    if system == "file" {
        let full = names.local_paths().resolve(path);
        let (Some(dir), Some(file)) = (full.parent(), full.file_name()) else {
            bail!("blob path {path} names no file");
        };
        let key = BlobPath::new(file.to_string_lossy().into_owned())?;
        return Ok(Target {
            store: Box::new(FileStore::new(dir)),
            key,
        });
    }
    let Some((bucket, key)) = path.trim_start_matches('/').split_once('/') else {
        bail!("blob path {path} has no key: expected /BUCKET/KEY");
    };
    let key = BlobPath::new(key)?;
    let store = store_for(ctx, system, bucket, Path::new(bucket)).await?;
    Ok(Target { store, key })
}

/// One bucket of `system`, with credentials found the way each ecosystem looks for them.
async fn store_for(
    ctx: &Context,
    system: &str,
    bucket: &str,
    dir: &Path,
) -> Result<Box<dyn BlobStore>> {
    let env = ctx.env.as_ref();
    Ok(match system {
        "file" => Box::new(FileStore::new(dir)),
        "s3" => {
            let creds = if let (Some(id), Some(secret)) = (
                env.non_empty(EnvVars::AWS_ACCESS_KEY_ID),
                env.non_empty(EnvVars::AWS_SECRET_ACCESS_KEY),
            ) {
                S3Credentials::new(
                    id,
                    SecretString::from(secret),
                    env.non_empty(EnvVars::AWS_SESSION_TOKEN)
                        .map(SecretString::from),
                    "environment variables",
                )
            } else {
                let (file, shown) =
                    if let Some(f) = env.non_empty(EnvVars::AWS_SHARED_CREDENTIALS_FILE) {
                        (PathBuf::from(&f), f)
                    } else {
                        (
                            ctx.paths.home().join(".aws/credentials"),
                            "~/.aws/credentials".to_owned(),
                        )
                    };
                S3Credentials::from_shared_file(&file, "default", &shown)?
            };
            let region = env
                .non_empty(EnvVars::AWS_REGION)
                .or_else(|| env.non_empty(EnvVars::AWS_DEFAULT_REGION))
                .unwrap_or_else(|| "us-east-1".to_owned());
            let endpoint = env.non_empty(EnvVars::AWS_ENDPOINT_URL);
            Box::new(S3Store::new(S3Options::new(
                bucket, region, endpoint, creds,
            ))?)
        }
        "gs" => {
            let (endpoint, auth) = if let Some(host) = env.non_empty(EnvVars::STORAGE_EMULATOR_HOST)
            {
                (Some(host), GcsAuth::Anonymous)
            } else if let Some(p) = env.non_empty(EnvVars::GOOGLE_APPLICATION_CREDENTIALS) {
                let path = PathBuf::from(&p);
                (None, GcsAuth::CredentialsFile { path, shown_as: p })
            } else {
                let path = ctx
                    .paths
                    .home()
                    .join(".config/gcloud/application_default_credentials.json");
                let shown_as = "~/.config/gcloud/application_default_credentials.json".to_owned();
                (None, GcsAuth::CredentialsFile { path, shown_as })
            };
            Box::new(GcsStore::new(GcsOptions::new(bucket, endpoint, auth)).await?)
        }
        "azure" => {
            let (auth, source) = if let Some(cs) =
                env.non_empty(EnvVars::AZURE_STORAGE_CONNECTION_STRING)
            {
                (
                    AzureAuth::ConnectionString(SecretString::from(cs)),
                    "environment variable AZURE_STORAGE_CONNECTION_STRING",
                )
            } else if let (Some(account), Some(key)) = (
                env.non_empty(EnvVars::AZURE_STORAGE_ACCOUNT),
                env.non_empty(EnvVars::AZURE_STORAGE_KEY),
            ) {
                (
                    AzureAuth::AccountKey {
                        account,
                        key: SecretString::from(key),
                        endpoint: None,
                    },
                    "environment variables AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY",
                )
            } else {
                bail!(
                    "no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY"
                );
            };
            Box::new(AzureStore::new(AzureOptions::new(bucket, auth, source))?)
        }
        other => bail!("unknown system {other}: expected s3, gs, azure or file"),
    })
}

/// `default_blob_bucket` from config.yaml.
fn default_bucket(ctx: &Context, system: &str) -> Result<String> {
    ctx.config()?.get_str(BUCKET_KEY).filter(|b| !b.is_empty()).with_context(|| {
        format!("no bucket for the {system} blob: pass --path BUCKET/KEY or set `{BUCKET_KEY}` (rh config set {BUCKET_KEY} BUCKET)")
    })
}

/// A fresh path for `name`: `/BUCKET/runhouse-blob/<uuid>/<user or local>/<name>`, or under `~/.rh/blobs/`.
fn default_path(ctx: &Context, system: &str, name: &ResourceName) -> Result<String> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let full = name.to_string();
    let owned = match full.strip_prefix("~/") {
        Some(rest) => format!("local/{rest}"),
        None => full.trim_start_matches('/').to_owned(),
    };
    if system == "file" {
        let dir = ctx.paths.config_dir().join("blobs").join(&id).join(&owned);
        return Ok(dir.display().to_string());
    }
    let bucket = default_bucket(ctx, system)?;
    Ok(format!("/{bucket}/runhouse-blob/{id}/{owned}"))
}
