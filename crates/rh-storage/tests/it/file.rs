//! The conformance suite and backend-specific checks for the local-file backend.

use rh_storage::file::FileStore;
use rh_storage::{BlobPath, BlobStore, testing};

#[tokio::test]
async fn file_conformance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FileStore::new(dir.path().join("bucket"));
    store.create_bucket().await.expect("create");
    testing::conformance(&store).await;
}

#[tokio::test]
async fn file_large_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FileStore::new(dir.path());
    testing::large_round_trip(&store, super::LARGE).await;
}

#[tokio::test]
async fn file_aborted_upload_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FileStore::new(dir.path().join("b"));
    testing::aborted_upload_leaves_nothing(&store, 3 * 1024 * 1024).await;
    // No staging file survives either.
    let staging: Vec<_> = std::fs::read_dir(dir.path().join("b/.rh-staging"))
        .expect("staging dir")
        .collect();
    assert!(staging.is_empty(), "staging files left: {staging:?}");
}

#[tokio::test]
async fn file_missing_root_is_a_missing_bucket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FileStore::new(dir.path().join("nope"));
    let e = store.list("").await.expect_err("no root");
    assert!(e.to_string().starts_with("bucket not found: "), "{e}");
    let e = store
        .get(&BlobPath::new("x").expect("key"))
        .await
        .expect_err("no object");
    assert!(e.is_not_found());
}

#[cfg(unix)]
#[tokio::test]
async fn file_unwritable_dir_is_permission_denied() {
    use std::os::unix::fs::PermissionsExt as _;
    if nix_is_root() {
        return; // root ignores modes
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).expect("chmod");
    let store = FileStore::new(dir.path());
    let e = store
        .put(&BlobPath::new("x").expect("key"), "x".into())
        .await
        .expect_err("read-only");
    assert!(
        matches!(e, rh_storage::Error::PermissionDenied { .. }),
        "{e:?}"
    );
}

#[cfg(unix)]
fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}
