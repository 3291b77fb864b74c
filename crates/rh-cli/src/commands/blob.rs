//! `rh blob …`: write, read, list and delete blobs in a file, S3, GCS or Azure store, with their `Blob`
//! resource config saved through the RNS (the local `rh/` folder, or rh-server for `/user/…` names).

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::task::Poll;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rh_ops::blob as ops;
use rh_storage::PutOptions;
use tokio::io::{AsyncRead, AsyncWriteExt as _, ReadBuf};

use crate::context::Context;
use crate::printer;

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
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(ops::SYSTEMS))]
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
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(ops::SYSTEMS))]
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
            let write = ops::prepare_write(
                &ctx.ops,
                &names,
                &name,
                &system,
                path,
                create_bucket,
                overwrite,
            )
            .await?;
            let name = write.name.clone();
            let target = &write.target;
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
                    return Err(write.upload_error(e).into());
                }
            };
            // Keep data and metadata together: no config, no orphaned object.
            write.save(&meta).await?;
        }
        BlobCommand::Read { name, output } => {
            let target = ops::target_of(&ctx.ops, &names, &name).await?;
            let name = names.name(&name)?;
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
            ops::rm(&ctx.ops, &names, &name, data_only).await?;
        }
        BlobCommand::Ls {
            prefix,
            system,
            bucket,
        } => {
            let mut out = String::new();
            for m in ops::ls(&ctx.ops, &system, bucket, &prefix).await? {
                let _ = writeln!(out, "{}\t{}", m.size, m.path.as_str());
            }
            printer::bytes(out.as_bytes())?;
        }
        BlobCommand::Exists { name } => {
            let exists = ops::exists(&ctx.ops, &names, &name).await?;
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
