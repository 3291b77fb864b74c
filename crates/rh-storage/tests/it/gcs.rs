//! The conformance suite and backend-specific checks for the GCS backend against fake-gcs-server.

use rh_storage::gcs::{GcsAuth, GcsOptions, GcsStore};
use rh_storage::{BlobPath, BlobStore, testing};
use rh_test::service_env;

fn options(bucket: &str) -> Option<GcsOptions> {
    if !rh_test::integration() {
        return None;
    }
    Some(GcsOptions::new(
        bucket,
        Some(service_env("STORAGE_EMULATOR_HOST").expect("STORAGE_EMULATOR_HOST")),
        GcsAuth::Anonymous,
    ))
}

async fn fresh_store(tag: &str) -> Option<GcsStore> {
    let store = GcsStore::new(options(&testing::unique_bucket(tag))?)
        .await
        .expect("store");
    store.create_bucket().await.expect("create bucket");
    Some(store)
}

#[tokio::test]
async fn gcs_conformance() {
    let Some(store) = fresh_store("gsc").await else {
        return;
    };
    testing::conformance(&store).await;
    store.delete_bucket().await.expect("delete bucket");
}

#[tokio::test]
async fn gcs_large_round_trip() {
    let Some(store) = fresh_store("gsl").await else {
        return;
    };
    testing::large_round_trip(&store, super::LARGE).await;
    store.delete_bucket().await.expect("delete bucket");
}

#[tokio::test]
async fn gcs_aborted_resumable_upload_leaves_nothing() {
    let Some(store) = fresh_store("gsa").await else {
        return;
    };
    testing::aborted_upload_leaves_nothing(&store, 20 * 1024 * 1024).await;
    store.delete_bucket().await.expect("delete bucket");
}

#[tokio::test]
async fn gcs_missing_bucket_is_a_clear_error() {
    let Some(o) = options(&testing::unique_bucket("missing")) else {
        return;
    };
    let store = GcsStore::new(o).await.expect("store");
    let key = BlobPath::new("a/b").expect("key");
    for e in [
        store.list("").await.expect_err("list"),
        store.head(&key).await.expect_err("head"),
        store.get(&key).await.expect_err("get"),
    ] {
        assert!(
            e.to_string()
                .starts_with("bucket not found: gs://rh-missing-"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn gcs_bad_credentials_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("adc.json");
    std::fs::write(&file, "{not json").expect("write");
    let o = GcsOptions::new(
        "rh-any",
        None,
        GcsAuth::CredentialsFile {
            path: file,
            shown_as: "~/.config/gcloud/application_default_credentials.json".into(),
        },
    );
    let e = GcsStore::new(o).await.expect_err("bad file");
    assert!(
        e.to_string()
            .starts_with("invalid gs configuration: cannot read credentials file ~/.config/gcloud/application_default_credentials.json"),
        "{e}"
    );
}
