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
use rh_storage::azure::AzureAuth;
use rh_storage::gcs::GcsAuth;
use rh_storage::s3::S3Credentials;
use rh_storage::{Access, BlobPath, BlobStore, PutOptions, S3Auth};
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

/// The endpoints and credentials from the usual variables (this example's own, minimal lookup; the rh
/// CLI's is `rh_ops::blob::access`).
fn access() -> Access {
    let s3_auth = match var("AWS_ACCESS_KEY_ID") {
        Some(id) => S3Auth::Keys(S3Credentials::new(
            id,
            SecretString::from(var("AWS_SECRET_ACCESS_KEY").unwrap_or_default()),
            var("AWS_SESSION_TOKEN").map(SecretString::from),
            "environment variables",
        )),
        None => S3Auth::Deferred {
            from: "AWS_ACCESS_KEY_ID".into(),
            load: std::sync::Arc::new(|| {
                Err(rh_storage::Error::MissingCredentials {
                    message:
                        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (this example reads no \
                              credentials file)"
                            .into(),
                })
            }),
        },
    };
    let mut access = Access::new(s3_auth, GcsAuth::Anonymous);
    access.s3_region = var("AWS_REGION").unwrap_or_else(|| "us-east-1".into());
    access.s3_endpoint = var("AWS_ENDPOINT_URL");
    access.gcs_endpoint = var("STORAGE_EMULATOR_HOST");
    access.azure = var("AZURE_STORAGE_CONNECTION_STRING").map(|cs| {
        (
            AzureAuth::ConnectionString(SecretString::from(cs)),
            "environment variable AZURE_STORAGE_CONNECTION_STRING".to_owned(),
        )
    });
    access.azure_missing = "AZURE_STORAGE_CONNECTION_STRING is not set".into();
    access
}

async fn open(url: &str) -> (Box<dyn BlobStore>, Option<BlobPath>) {
    let opened = rh_storage::open(url, "", &access())
        .await
        .unwrap_or_else(|e| fail(e));
    (opened.store, opened.key)
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
