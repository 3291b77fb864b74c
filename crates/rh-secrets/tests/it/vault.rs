//! `VaultStore` against the OpenBao dev server that `cargo xtask test` starts.

use rh_secrets::vault::{Error, SecretMap, VaultOptions, VaultStore};
use secrecy::{ExposeSecret, SecretString};

fn store(user: &str) -> Option<VaultStore> {
    if !rh_test::integration() {
        return None;
    }
    let addr = rh_test::service_env("VAULT_ADDR").expect("VAULT_ADDR is set by cargo xtask test");
    let token =
        rh_test::service_env("VAULT_TOKEN").expect("VAULT_TOKEN is set by cargo xtask test");
    // A unique prefix per test run keeps parallel tests apart.
    let user = format!("{user}-{}-{}", std::process::id(), unique());
    Some(
        VaultStore::new(&VaultOptions::new(
            addr,
            SecretString::from(token),
            Some(&user),
        ))
        .unwrap(),
    )
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn map(pairs: &[(&str, &str)]) -> SecretMap {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), SecretString::from((*v).to_owned())))
        .collect()
}

fn plain(m: &SecretMap) -> Vec<(String, String)> {
    m.iter()
        .map(|(k, v)| (k.clone(), v.expose_secret().to_owned()))
        .collect()
}

#[tokio::test]
async fn put_get_history_rollback_delete() {
    let Some(s) = store("roundtrip") else { return };
    assert!(s.get("aws").await.unwrap().is_none());
    assert!(s.history("aws").await.unwrap().is_empty());
    let v1 = s
        .put(
            "aws",
            &map(&[("access_key", "AKIA1"), ("secret_key", "s1")]),
            Some(0),
        )
        .await
        .unwrap();
    assert_eq!(v1, 1);
    let v2 = s
        .put(
            "aws",
            &map(&[("access_key", "AKIA2"), ("secret_key", "s2")]),
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(v2, 2);
    let (got, version) = s.get("aws").await.unwrap().unwrap();
    assert_eq!(version, 2);
    assert_eq!(
        plain(&got),
        vec![
            ("access_key".into(), "AKIA2".into()),
            ("secret_key".into(), "s2".into())
        ]
    );
    let hist = s.history("aws").await.unwrap();
    assert_eq!(
        hist.iter().map(|h| h.version).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(
        hist.iter()
            .all(|h| !h.destroyed && h.deletion_time.is_none() && !h.created_time.is_empty())
    );
    let v3 = s.rollback("aws", 1).await.unwrap();
    assert_eq!(v3, 3);
    assert_eq!(plain(&s.get("aws").await.unwrap().unwrap().0)[0].1, "AKIA1");
    assert_eq!(s.list().await.unwrap(), vec!["aws".to_owned()]);
    assert!(s.delete("aws").await.unwrap());
    assert!(s.get("aws").await.unwrap().is_none());
    assert!(!s.delete("aws").await.unwrap());
}

#[tokio::test]
async fn fingerprints_come_from_metadata_and_track_versions() {
    let Some(s) = store("fp") else { return };
    let secrets = map(&[("token", "hf_abc")]);
    s.put("huggingface", &secrets, None).await.unwrap();
    let fp = s.fingerprints("huggingface").await.unwrap().unwrap();
    assert_eq!(fp.version, 1);
    let keys = fp.keys.clone().unwrap();
    assert_eq!(
        keys.get("token"),
        fp.of("token", &SecretString::from("hf_abc")).as_ref()
    );
    assert_ne!(
        keys.get("token"),
        fp.of("token", &SecretString::from("hf_other")).as_ref()
    );
    // Metadata never holds the value itself.
    assert!(!keys.values().any(|v| v.contains("hf_abc")));
}

#[tokio::test]
async fn check_and_set_conflict_is_reported() {
    let Some(s) = store("cas") else { return };
    s.put("lambda", &map(&[("api_key", "one")]), Some(0))
        .await
        .unwrap();
    // Two writers both read version 1; the second write loses.
    s.put("lambda", &map(&[("api_key", "two")]), Some(1))
        .await
        .unwrap();
    let err = s
        .put("lambda", &map(&[("api_key", "three")]), Some(1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("changed in Vault"), "{err}");
    assert_eq!(
        plain(&s.get("lambda").await.unwrap().unwrap().0)[0].1,
        "two"
    );
    // Creating where one exists is a conflict too.
    assert!(matches!(
        s.put("lambda", &map(&[("api_key", "x")]), Some(0)).await,
        Err(Error::Conflict { .. })
    ));
}

#[tokio::test]
async fn wrong_token_and_unreachable_server_are_clear() {
    if !rh_test::integration() {
        return;
    }
    let addr = rh_test::service_env("VAULT_ADDR").unwrap();
    let s = VaultStore::new(&VaultOptions::new(
        &addr,
        SecretString::from("wrong-SENTINEL"),
        Some("x"),
    ))
    .unwrap();
    let err = s.get("aws").await.unwrap_err();
    assert!(matches!(err, Error::PermissionDenied { .. }), "{err}");
    assert!(!err.to_string().contains("SENTINEL"));
    let s = VaultStore::new(&VaultOptions::new(
        "http://127.0.0.1:9",
        SecretString::from("t"),
        None,
    ))
    .unwrap();
    let err = s.get("aws").await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("cannot reach Vault at http://127.0.0.1:9"),
        "{err}"
    );
}
