//! The conformance suite and backend-specific checks for the Azure Blob backend against Azurite.

use rh_storage::azure::{AzureAuth, AzureOptions, AzureStore};
use rh_storage::{BlobPath, BlobStore, Error, testing};
use rh_test::service_env;
use secrecy::SecretString;

fn connection_string() -> Option<SecretString> {
    if !rh_test::integration() {
        return None;
    }
    Some(SecretString::from(
        service_env("AZURE_STORAGE_CONNECTION_STRING").expect("AZURE_STORAGE_CONNECTION_STRING"),
    ))
}

async fn fresh_store(tag: &str) -> Option<AzureStore> {
    let o = AzureOptions::new(
        testing::unique_bucket(tag),
        AzureAuth::ConnectionString(connection_string()?),
        "environment variable AZURE_STORAGE_CONNECTION_STRING",
    );
    let store = AzureStore::new(o).expect("store");
    store.create_bucket().await.expect("create container");
    Some(store)
}

#[tokio::test]
async fn azure_conformance() {
    let Some(store) = fresh_store("azc").await else {
        return;
    };
    testing::conformance(&store).await;
    store.delete_bucket().await.expect("delete container");
}

#[tokio::test]
async fn azure_large_round_trip() {
    let Some(store) = fresh_store("azl").await else {
        return;
    };
    testing::large_round_trip(&store, super::LARGE).await;
    store.delete_bucket().await.expect("delete container");
}

#[tokio::test]
async fn azure_aborted_block_upload_leaves_nothing() {
    let Some(store) = fresh_store("aza").await else {
        return;
    };
    testing::aborted_upload_leaves_nothing(&store, 20 * 1024 * 1024).await;
    store.delete_bucket().await.expect("delete container");
}

#[tokio::test]
async fn azure_account_key_and_wrong_key() {
    if connection_string().is_none() {
        return;
    }
    let account = service_env("AZURE_STORAGE_ACCOUNT_NAME").expect("account");
    let endpoint = service_env("AZURE_STORAGE_BLOB_ENDPOINT").expect("endpoint");
    let good = AzureOptions::new(
        testing::unique_bucket("azk"),
        AzureAuth::AccountKey {
            account: account.clone(),
            key: SecretString::from(service_env("AZURE_STORAGE_ACCOUNT_KEY").expect("key")),
            endpoint: Some(endpoint.clone()),
        },
        "test",
    );
    let store = AzureStore::new(good).expect("store");
    store
        .create_bucket()
        .await
        .expect("create with account key");
    store.create_bucket().await.expect("create again is fine");
    store.delete_bucket().await.expect("delete");

    // A well-formed key that is not the account's.
    let wrong = AzureOptions::new(
        testing::unique_bucket("azw"),
        AzureAuth::AccountKey {
            account,
            key: SecretString::from(
                "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ==".to_owned(),
            ),
            endpoint: Some(endpoint),
        },
        "test",
    );
    let store = AzureStore::new(wrong).expect("store");
    let e = store.list("").await.expect_err("wrong key");
    assert!(
        matches!(
            e,
            Error::Unauthenticated { .. } | Error::PermissionDenied { .. }
        ),
        "{e:?}"
    );
    assert!(!e.to_string().contains("d3Jvbmc"), "{e}");
}

#[tokio::test]
async fn azure_missing_container_is_a_clear_error() {
    let Some(cs) = connection_string() else {
        return;
    };
    let store = AzureStore::new(AzureOptions::new(
        testing::unique_bucket("missing"),
        AzureAuth::ConnectionString(cs),
        "test",
    ))
    .expect("store");
    let key = BlobPath::new("a/b").expect("key");
    for e in [
        store.list("").await.expect_err("list"),
        store.put(&key, "x".into()).await.expect_err("put"),
        store.head(&key).await.expect_err("head"),
    ] {
        assert!(
            e.to_string()
                .starts_with("bucket not found: azure://devstoreaccount1/rh-missing-"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn azure_malformed_connection_string_does_not_echo_it() {
    let e = AzureStore::new(AzureOptions::new(
        "rh-any",
        AzureAuth::ConnectionString(SecretString::from("AccountKey=c2VjcmV0;garbage".to_owned())),
        "test",
    ))
    .expect_err("malformed");
    assert!(
        e.to_string().starts_with("invalid azure configuration: "),
        "{e}"
    );
    assert!(!e.to_string().contains("c2VjcmV0"), "{e}");
}
