//! `blobcp`: copies one file to or from a blob store, the way `rh blob` will. The storage bench runs it under
//! `/usr/bin/time` to measure throughput and peak RSS.
//!
//! ```text
//! blobcp up   URL FILE      # FILE to URL (FILE `-` is stdin)
//! blobcp down URL FILE      # URL to FILE (FILE `-` is stdout)
//! blobcp mb   URL           # create the bucket
//! blobcp rb   URL           # delete every object, then the bucket
//! ```
//! URL is `file:///dir/key`, `s3://bucket/key`, `gs://bucket/key` or `azure://container/key`. Endpoints and
//! credentials come from the usual variables (`AWS_*`, `STORAGE_EMULATOR_HOST`, `AZURE_STORAGE_CONNECTION_STRING`).
//! Like the rh CLI it runs on a current-thread tokio runtime.

use std::io::Write as _;

use futures::StreamExt as _;
use rh_storage::azure::{AzureAuth, AzureOptions, AzureStore};
use rh_storage::file::FileStore;
use rh_storage::gcs::{GcsAuth, GcsOptions, GcsStore};
use rh_storage::s3::{S3Credentials, S3Options, S3Store};
use rh_storage::{BlobPath, BlobStore, PutOptions};
use secrecy::SecretString;
use tokio::io::AsyncWriteExt as _;

#[expect(
    clippy::disallowed_methods,
    reason = "an example binary reads its own environment"
)]
fn var(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

fn fail(msg: impl std::fmt::Display) -> ! {
    #[expect(clippy::print_stderr, reason = "an example binary reports its error")]
    {
        eprintln!("blobcp: {msg}");
    }
    #[expect(clippy::exit, reason = "an example binary")]
    std::process::exit(1)
}

async fn open(url: &str) -> (Box<dyn BlobStore>, Option<BlobPath>) {
    let (scheme, rest) = url
        .split_once("://")
        .unwrap_or_else(|| fail("URL needs a scheme"));
    if scheme == "file" {
        let (dir, key) = rest
            .rsplit_once('/')
            .unwrap_or_else(|| fail("file URL needs /dir/key"));
        let key = BlobPath::new(key).ok();
        return (Box::new(FileStore::new(dir)), key);
    }
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let key = (!key.is_empty()).then(|| BlobPath::new(key).unwrap_or_else(|e| fail(e)));
    let store: Box<dyn BlobStore> = match scheme {
        "s3" => {
            let creds = S3Credentials::new(
                var("AWS_ACCESS_KEY_ID").unwrap_or_else(|| fail("AWS_ACCESS_KEY_ID is not set")),
                SecretString::from(var("AWS_SECRET_ACCESS_KEY").unwrap_or_default()),
                var("AWS_SESSION_TOKEN").map(SecretString::from),
                "environment variables",
            );
            let o = S3Options::new(
                bucket,
                var("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
                var("AWS_ENDPOINT_URL"),
                creds,
            );
            Box::new(S3Store::new(o).unwrap_or_else(|e| fail(e)))
        }
        "gs" => {
            let o = GcsOptions::new(bucket, var("STORAGE_EMULATOR_HOST"), GcsAuth::Anonymous);
            Box::new(GcsStore::new(o).await.unwrap_or_else(|e| fail(e)))
        }
        "azure" => {
            let cs = var("AZURE_STORAGE_CONNECTION_STRING")
                .unwrap_or_else(|| fail("AZURE_STORAGE_CONNECTION_STRING is not set"));
            let o = AzureOptions::new(
                bucket,
                AzureAuth::ConnectionString(SecretString::from(cs)),
                "environment variable AZURE_STORAGE_CONNECTION_STRING",
            );
            Box::new(AzureStore::new(o).unwrap_or_else(|e| fail(e)))
        }
        other => fail(format!("unknown scheme {other}")),
    };
    (store, key)
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(var("RUST_LOG").unwrap_or_else(|| "warn".into()))
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["up", url, file] => {
                let (store, key) = open(url).await;
                let key = key.unwrap_or_else(|| fail("URL has no key"));
                let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = if file == "-" {
                    Box::new(tokio::io::stdin())
                } else {
                    Box::new(
                        tokio::fs::File::open(file)
                            .await
                            .unwrap_or_else(|e| fail(e)),
                    )
                };
                store
                    .put_reader(&key, reader, &PutOptions::default())
                    .await
                    .unwrap_or_else(|e| fail(e));
            }
            ["down", url, file] => {
                let (store, key) = open(url).await;
                let key = key.unwrap_or_else(|| fail("URL has no key"));
                if file == "-" {
                    let mut s = store
                        .get_stream(&key, None)
                        .await
                        .unwrap_or_else(|e| fail(e));
                    let mut out = tokio::io::stdout();
                    while let Some(chunk) = s.next().await {
                        out.write_all(&chunk.unwrap_or_else(|e| fail(e)))
                            .await
                            .unwrap_or_else(|e| fail(e));
                    }
                    out.flush().await.unwrap_or_else(|e| fail(e));
                } else {
                    // As `rh blob read -o FILE`, minus its temporary name, rename and fsync.
                    let out = tokio::fs::File::create(file)
                        .await
                        .unwrap_or_else(|e| fail(e));
                    let out = std::sync::Arc::new(out.into_std().await);
                    store
                        .get_into_file(&key, out, &|_| {})
                        .await
                        .unwrap_or_else(|e| fail(e));
                }
            }
            ["mb", url] => {
                let (store, _) = open(url).await;
                store.create_bucket().await.unwrap_or_else(|e| fail(e));
            }
            ["rb", url] => {
                let (store, _) = open(url).await;
                for m in store.list("").await.unwrap_or_else(|e| fail(e)) {
                    store.delete(&m.path).await.unwrap_or_else(|e| fail(e));
                }
                store.delete_bucket().await.unwrap_or_else(|e| fail(e));
            }
            _ => fail("usage: blobcp up|down URL FILE, or blobcp mb|rb URL"),
        }
    });
    let _ = std::io::stdout().flush();
}
