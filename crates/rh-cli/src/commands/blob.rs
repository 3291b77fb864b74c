//! `rh blob …`: write, read, list and delete blobs in a file, S3, GCS or Azure store, with their `Blob`
//! resource config saved through the RNS (the local `rh/` folder, or rh-server for `/user/…` names).

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::task::Poll;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rh_config::EnvVars;
use rh_resources::{Blob, System};
use rh_rns::ResourceName;
use rh_storage::azure::{AzureAuth, AzureOptions, AzureStore};
use rh_storage::file::FileStore;
use rh_storage::gcs::{GcsAuth, GcsOptions, GcsStore};
use rh_storage::s3::{S3Credentials, S3Options, S3Store};
use rh_storage::{BlobPath, BlobStore, PutOptions};
use secrecy::SecretString;
use tokio::io::{AsyncRead, AsyncWriteExt as _, ReadBuf};

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
use rh_ops::Names;

/// A store and the key of one object in it.
struct Target {
    store: Box<dyn BlobStore>,
    key: BlobPath,
}

pub(crate) async fn run(ctx: &Context, cmd: BlobCommand) -> Result<ExitCode> {
    let names = ctx.ops.names()?;
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
            let (reader, size): (Box<dyn tokio::io::AsyncRead + Send + Unpin>, _) =
                if file.as_os_str() == "-" {
                    (Box::new(tokio::io::stdin()), None)
                } else {
                    let f = tokio::fs::File::open(&file)
                        .await
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let size = f
                        .metadata()
                        .await
                        .ok()
                        .filter(std::fs::Metadata::is_file)
                        .map(|m| m.len());
                    (Box::new(f), size)
                };
            let location = target.store.location(Some(&target.key));
            let progress = Progress::new(ctx, size, &format!("write {name}"));
            let reader = Box::new(Counted {
                inner: reader,
                progress: progress.clone(),
            });
            let options = PutOptions::default();
            let put = target.store.put_reader(&target.key, reader, &options);
            let result = tokio::select! {
                r = put => r,
                code = interrupted() => {
                    progress.abandon();
                    // The dropped upload aborts its multipart upload (S3) or session (GCS); wait for that.
                    let left = rh_storage::finish_cleanups(CLEANUP_TIMEOUT).await;
                    let what = if left == 0 { "aborted" } else { "not aborted in time" };
                    stop(code, &format!("interrupted: the upload to {location} was {what}; {name} was not saved"));
                }
            };
            let meta = match result {
                Ok(m) => {
                    progress.finish();
                    m
                }
                Err(e) => {
                    progress.abandon();
                    match e {
                        rh_storage::Error::NotFound { what: "bucket", .. } => bail!(
                            "bucket not found: {}; create it or pass --create-bucket",
                            target.store.location(None)
                        ),
                        e => return Err(e.into()),
                    }
                }
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
            let (name, _) = names.resolve(&name)?;
            let size = target.store.head(&target.key).await?.size;
            let location = target.store.location(Some(&target.key));
            let progress = Progress::new(ctx, Some(size), &format!("read {name}"));
            if output.as_os_str() == "-" {
                let mut stream = target.store.get_stream(&target.key, None).await?;
                let copy = async {
                    let mut out = tokio::io::stdout();
                    while let Some(chunk) = stream.next().await {
                        let chunk = chunk?;
                        out.write_all(&chunk).await.context("cannot write stdout")?;
                        progress.inc(chunk.len());
                    }
                    out.flush().await.context("cannot write stdout")
                };
                tokio::select! {
                    r = copy => {
                        if r.is_err() { progress.abandon(); } else { progress.finish(); }
                        r?;
                    }
                    code = interrupted() => {
                        progress.abandon();
                        stop(code, &format!("interrupted: the read of {location} stopped"));
                    }
                }
            } else {
                // Written beside the destination, then renamed, so a failed read leaves no partial file; a large
                // S3 object comes down as a few ranged GETs written at their offsets.
                let bar = progress.clone();
                let count = move |n: u64| bar.inc(usize::try_from(n).unwrap_or(usize::MAX));
                let result = tokio::select! {
                    r = target.store.get_to_file(&target.key, &output, &count) => r,
                    code = interrupted() => {
                        progress.abandon();
                        let _ = tokio::fs::remove_file(rh_storage::partial_path(&output)).await;
                        stop(code, &format!("interrupted: the read of {location} stopped; {} was not written", output.display()));
                    }
                };
                if let Err(e) = result {
                    progress.abandon();
                    bail!("cannot write {}: {e}", output.display());
                }
                progress.finish();
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
                None if system == "file" => ctx
                    .ops
                    .paths()
                    .config_dir()
                    .join("blobs")
                    .display()
                    .to_string(),
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

/// How long an interrupted upload waits for its abort to reach the server.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(15);

/// Transfers larger than this show progress from the start; smaller ones once they have run for
/// [`PROGRESS_AFTER`].
const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// A transfer's bytes, rate and ETA on stderr. Drawn only when stderr is a terminal and no `-q` was given, and
/// only for a transfer that is large or slow; counted from the bytes really read or written.
#[derive(Clone)]
struct Progress {
    bar: ProgressBar,
    enabled: bool,
}

impl Progress {
    fn new(ctx: &Context, total: Option<u64>, what: &str) -> Self {
        let enabled = ctx.quiet == 0 && std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        let template = if total.is_some() {
            "{wide_msg} [{bar:20}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}"
        } else {
            "{wide_msg} {binary_bytes} {binary_bytes_per_sec} {elapsed}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        let progress = Self { bar, enabled };
        if total.is_some_and(|n| n > PROGRESS_MIN_BYTES) {
            progress.show();
        }
        progress
    }

    fn show(&self) {
        if self.enabled && self.bar.is_hidden() {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn inc(&self, n: usize) {
        self.bar.inc(n as u64);
        if self.bar.is_hidden() && self.bar.elapsed() >= PROGRESS_AFTER {
            self.show();
        }
    }

    /// Leaves the final line (total and mean rate) on screen, and ends it so later log lines start fresh.
    fn finish(&self) {
        if !self.bar.is_hidden() {
            self.bar.finish();
            let _ = std::io::Write::write_all(&mut std::io::stderr(), b"\n");
        }
    }

    /// Removes the bar so an error message starts on a clean line.
    fn abandon(&self) {
        if !self.bar.is_hidden() {
            self.bar.finish_and_clear();
        }
    }
}

/// An `AsyncRead` that counts what it hands out into a [`Progress`].
struct Counted {
    inner: Box<dyn AsyncRead + Send + Unpin>,
    progress: Progress,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            self.progress.inc(buf.filled().len() - before);
        }
        r
    }
}

/// Resolves on SIGINT or SIGTERM with the exit status a shell reports for it (130 or 143).
async fn interrupted() -> u8 {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => 130,
        _ = term.recv() => 143,
    }
}

/// Reports an interrupted transfer and exits at once with `code`: returning would wait on a stdin read that
/// tokio cannot cancel.
fn stop(code: u8, message: &str) -> ! {
    printer::error_line(message);
    #[expect(
        clippy::exit,
        reason = "a pending stdin read would keep the runtime from shutting down"
    )]
    std::process::exit(i32::from(code));
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
    let env = ctx.ops.env();
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
                            ctx.ops.paths().home().join(".aws/credentials"),
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
                    .ops
                    .paths()
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
    ctx.ops.config()?.get_str(BUCKET_KEY).filter(|b| !b.is_empty()).with_context(|| {
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
        let dir = ctx
            .ops
            .paths()
            .config_dir()
            .join("blobs")
            .join(&id)
            .join(&owned);
        return Ok(dir.display().to_string());
    }
    let bucket = default_bucket(ctx, system)?;
    Ok(format!("/{bucket}/runhouse-blob/{id}/{owned}"))
}
