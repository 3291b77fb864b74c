//! The conformance suite and backend-specific checks for the S3 backend against the S3 server (moto).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use rh_storage::s3::{S3Credentials, S3Options, S3Store};
use rh_storage::{BlobPath, BlobStore, Error, PutOptions, ReadSplit, partial_path, testing};
use rh_test::service_env;
use secrecy::SecretString;

/// Options for a fresh bucket on the test server, or `None` without integration services.
fn options(bucket: &str) -> Option<S3Options> {
    if !rh_test::integration() {
        return None;
    }
    let creds = S3Credentials::new(
        service_env("AWS_ACCESS_KEY_ID").expect("AWS_ACCESS_KEY_ID"),
        SecretString::from(service_env("AWS_SECRET_ACCESS_KEY").expect("AWS_SECRET_ACCESS_KEY")),
        None,
        "environment variables",
    );
    Some(S3Options::new(
        bucket,
        service_env("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
        Some(service_env("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL")),
        creds,
    ))
}

async fn fresh_store(tag: &str) -> Option<S3Store> {
    let store = S3Store::new(options(&testing::unique_bucket(tag))?).expect("store");
    store.create_bucket().await.expect("create bucket");
    Some(store)
}

/// A store that splits any download to a file of 1 MiB or more into segments of at least 4 MiB at once.
async fn splitting_store(tag: &str) -> Option<S3Store> {
    let mut options = options(&testing::unique_bucket(tag))?;
    options.transfer.read_split = ReadSplit {
        segments: 4,
        min_size: 1024 * 1024,
        min_segment: 4 * 1024 * 1024,
        probe: Duration::ZERO,
        fast_enough: u64::MAX,
    };
    let store = S3Store::new(options).expect("store");
    store.create_bucket().await.expect("create bucket");
    Some(store)
}

const SPLIT_SIZE: u64 = 20 * 1024 * 1024;

async fn sha256_file(path: &Path) -> String {
    let bytes = Bytes::from(std::fs::read(path).expect("downloaded file"));
    let s = futures::stream::once(async { Ok(bytes) }).boxed();
    testing::hash_stream(s).await.expect("hash").0
}

#[tokio::test]
async fn s3_split_download_writes_every_segment_at_its_offset() {
    let Some(store) = splitting_store("s3sp").await else {
        return;
    };
    let key = BlobPath::new("split/obj").expect("key");
    store
        .put_stream(
            &key,
            testing::pattern_stream(SPLIT_SIZE, 100_003, 7),
            &PutOptions::default(),
        )
        .await
        .expect("put");
    let want = testing::hash_stream(testing::pattern_stream(SPLIT_SIZE, 100_003, 7))
        .await
        .expect("hash")
        .0;
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("obj");
    let counted = Arc::new(AtomicU64::new(0));
    let c = counted.clone();
    let read = store
        .get_to_file(&key, &dest, &move |n| {
            c.fetch_add(n, Ordering::Relaxed);
        })
        .await
        .expect("download");
    assert_eq!(read.size, SPLIT_SIZE);
    assert!(
        (3..=4).contains(&read.segments),
        "20 MiB in segments of at least 4 MiB, at most 4: {read:?}"
    );
    assert_eq!(
        counted.load(Ordering::Relaxed),
        SPLIT_SIZE,
        "progress counts every byte once"
    );
    assert_eq!(
        sha256_file(&dest).await,
        want,
        "the file has the object's bytes"
    );
    assert!(!partial_path(&dest).exists());
    store.delete(&key).await.expect("delete");
    store.delete_bucket().await.expect("delete bucket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_object_replaced_mid_download_fails_and_writes_nothing() {
    let Some(store) = splitting_store("s3ch").await else {
        return;
    };
    let key = BlobPath::new("changing/obj").expect("key");
    store
        .put_stream(
            &key,
            testing::pattern_stream(SPLIT_SIZE, 100_003, 1),
            &PutOptions::default(),
        )
        .await
        .expect("put");
    // The first bytes written hold the download until the object is replaced; the ranged GETs of the other
    // segments open after that, pinned to the old ETag.
    let (go, went) = tokio::sync::oneshot::channel::<()>();
    let (replaced, wait_replaced) = std::sync::mpsc::channel::<()>();
    let writer = store.clone();
    let k = key.clone();
    let replace = tokio::spawn(async move {
        went.await.expect("first bytes");
        writer
            .put_stream(
                &k,
                testing::pattern_stream(SPLIT_SIZE, 100_003, 2),
                &PutOptions::default(),
            )
            .await
            .expect("replace");
        replaced.send(()).expect("signal");
    });
    let go = Mutex::new(Some((go, wait_replaced)));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("obj");
    let read = store
        .get_to_file(&key, &dest, &move |_| {
            let first = go.lock().expect("lock").take();
            if let Some((go, wait_replaced)) = first {
                go.send(()).expect("signal");
                wait_replaced
                    .recv_timeout(Duration::from_mins(1))
                    .expect("replaced in time");
            }
        })
        .await;
    replace.await.expect("replace task");
    let err = read.expect_err("the object changed under the read");
    assert!(matches!(err, Error::Changed { .. }), "{err:?}");
    assert!(
        err.to_string().contains("changed while it was being read"),
        "{err}"
    );
    assert!(!dest.exists(), "no file");
    assert!(!partial_path(&dest).exists(), "no partial file");
    store.delete(&key).await.expect("delete");
    store.delete_bucket().await.expect("delete bucket");
}

#[tokio::test]
async fn s3_conformance() {
    let Some(store) = fresh_store("s3c").await else {
        return;
    };
    testing::conformance(&store).await;
    store.delete_bucket().await.expect("delete bucket");
}

#[tokio::test]
async fn s3_large_round_trip() {
    let Some(store) = fresh_store("s3l").await else {
        return;
    };
    testing::large_round_trip(&store, super::LARGE).await;
    store.delete_bucket().await.expect("delete bucket");
}

#[tokio::test]
async fn s3_aborted_multipart_upload_leaves_nothing() {
    let Some(store) = fresh_store("s3a").await else {
        return;
    };
    // 20 MiB before the error: two parts are already up when the stream breaks.
    testing::aborted_upload_leaves_nothing(&store, 20 * 1024 * 1024).await;
    store.delete_bucket().await.expect("delete bucket");
}

#[tokio::test]
async fn s3_wrong_secret_is_unauthenticated() {
    let Some(good) = options("rh-never-created") else {
        return;
    };
    let creds = S3Credentials::new(
        service_env("AWS_ACCESS_KEY_ID").expect("key id"),
        SecretString::from("definitely-wrong-secret".to_owned()),
        None,
        "test",
    );
    let store = S3Store::new(S3Options {
        credentials: creds,
        ..good
    })
    .expect("store");
    let e = store.list("").await.expect_err("wrong secret");
    assert!(matches!(e, Error::Unauthenticated { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("s3://rh-never-created"), "{msg}");
    assert!(!msg.contains("definitely-wrong-secret"), "{msg}");

    let unknown = S3Credentials::new(
        "AKIAUNKNOWNKEY000000",
        SecretString::from("x".to_owned()),
        None,
        "test",
    );
    let store = S3Store::new(S3Options {
        credentials: unknown,
        ..options("rh-never-created").expect("options")
    })
    .expect("store");
    let e = store.list("").await.expect_err("unknown key");
    assert!(matches!(e, Error::Unauthenticated { .. }), "{e:?}");
}

#[tokio::test]
async fn s3_missing_bucket_is_a_clear_error() {
    let Some(o) = options(&testing::unique_bucket("missing")) else {
        return;
    };
    let store = S3Store::new(o).expect("store");
    let key = BlobPath::new("a/b").expect("key");
    for e in [
        store.list("").await.expect_err("list"),
        store.put(&key, "x".into()).await.expect_err("put"),
        store.head(&key).await.expect_err("head"),
        store.get(&key).await.expect_err("get"),
    ] {
        assert!(
            e.to_string()
                .starts_with("bucket not found: s3://rh-missing-"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn s3_bucket_names_are_checked() {
    let Some(o) = options("b1") else { return };
    let e = S3Store::new(o).expect_err("too short");
    assert_eq!(
        e.to_string(),
        "invalid s3 configuration: bucket name \"b1\" must be 3 to 63 characters"
    );
}

/// Deferred keys are loaded when, and only when, an S3 store is opened: a caller's credentials file
/// (read by the caller) cannot break a store of another system, and its error reaches the caller whole.
#[tokio::test]
async fn deferred_s3_keys_load_only_when_an_s3_store_opens() {
    let Some(o) = options(&testing::unique_bucket("s3d")) else {
        return;
    };
    let loads = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&loads);
    let creds = o.credentials.clone();
    let auth = rh_storage::S3Auth::Deferred {
        from: "~/.aws/credentials".into(),
        load: Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(creds.clone())
        }),
    };
    let mut access = rh_storage::Access::new(auth, rh_storage::gcs::GcsAuth::Anonymous);
    access.s3_endpoint = o.endpoint.clone();
    access.s3_region = o.region.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = format!("file://{}/k", dir.path().display());
    rh_storage::open(&file, "", &access)
        .await
        .expect("file store");
    assert_eq!(
        loads.load(Ordering::SeqCst),
        0,
        "a file store loads no S3 keys"
    );

    let url = format!("s3://{}/k", o.bucket);
    let opened = rh_storage::open(&url, "", &access).await.expect("s3 store");
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    let store = opened.store;
    let k = opened.key.expect("key");
    store
        .create_bucket()
        .await
        .expect("create with deferred keys");
    store.put(&k, "v".into()).await.expect("put");
    assert_eq!(&store.get(&k).await.expect("get")[..], b"v");
    store.delete(&k).await.expect("delete");
    store.delete_bucket().await.expect("delete bucket");

    let failing = rh_storage::S3Auth::Deferred {
        from: "~/.aws/credentials".into(),
        load: Arc::new(|| {
            Err(Error::Credentials {
                backend: "s3",
                source: "~/.aws/credentials:3: bad line".into(),
            })
        }),
    };
    let access = rh_storage::Access::new(failing, rh_storage::gcs::GcsAuth::Anonymous);
    let e = rh_storage::open(&url, "", &access)
        .await
        .expect_err("load fails");
    assert!(
        matches!(e, Error::Credentials { backend: "s3", .. }),
        "{e:?}"
    );
    assert_eq!(
        std::error::Error::source(&e)
            .map(ToString::to_string)
            .as_deref(),
        Some("~/.aws/credentials:3: bad line")
    );
}

/// A writer the test subscriber logs into.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn s3_logs_where_credentials_were_found_never_the_secret() {
    let creds = S3Credentials::new(
        "AKIDEXAMPLE",
        SecretString::from("very-secret-value".to_owned()),
        None,
        "shared credentials file: ~/.aws/credentials",
    );
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let store = tracing::subscriber::with_default(subscriber, || {
        S3Store::new(S3Options::new("rh-bucket", "us-east-1", None, creds)).expect("store")
    });
    let text = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("utf-8");
    assert!(
        text.contains("Found credentials in shared credentials file: ~/.aws/credentials"),
        "{text}"
    );
    let debug = format!("{store:?}");
    for shown in [&text, &debug] {
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }
}
