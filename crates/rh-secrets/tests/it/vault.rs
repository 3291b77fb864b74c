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

#[tokio::test]
async fn vault_store_passes_the_conformance_suite() {
    let Some(s) = store("conformance") else {
        return;
    };
    rh_secrets::testing::conformance(&s).await;
}

mod sync {
    use rh_secrets::store::SecretStore;
    use rh_secrets::sync::{self, KeyState, PullAction, PushAction};
    use rh_secrets::vault::Error;
    use rh_secrets::{SecretsMap, WriteOptions};

    use super::store;
    use crate::{Home, secrets_of};

    fn states(d: &sync::ProviderDiff) -> Vec<(&str, KeyState)> {
        d.keys.iter().map(|(k, s)| (k.as_str(), *s)).collect()
    }

    #[tokio::test]
    async fn diff_reads_metadata_only_and_names_every_state() {
        let Some(s) = store("diff") else { return };
        let remote = secrets_of(&[("a", "same"), ("b", "old"), ("c", "remote-only")]);
        SecretStore::put(&s, "custom", &remote, Some(0))
            .await
            .unwrap();
        let local = secrets_of(&[("a", "same"), ("b", "new"), ("d", "local-only")]);
        let before = s.request_count();
        let d = sync::diff_provider(&s, "custom", Some(&local))
            .await
            .unwrap();
        assert_eq!(s.request_count() - before, 1, "one metadata read");
        assert!(!d.read_values);
        assert_eq!(d.version, Some(1));
        assert_eq!(
            states(&d),
            vec![
                ("a", KeyState::Same),
                ("b", KeyState::Differs),
                ("c", KeyState::OnlyRemote),
                ("d", KeyState::OnlyLocal)
            ]
        );
        assert!(!d.in_sync());
        // Nothing in Vault: every local key is only local.
        let d = sync::diff_provider(&s, "absent", Some(&local))
            .await
            .unwrap();
        assert_eq!(d.version, None);
        assert!(d.keys.iter().all(|(_, s)| *s == KeyState::OnlyLocal));
        let d = sync::diff_provider(&s, "custom", Some(&remote))
            .await
            .unwrap();
        assert!(d.in_sync());
    }

    #[tokio::test]
    async fn concurrent_pushes_conflict_instead_of_overwriting() {
        let Some(a) = store("cas-push") else { return };
        // A second client of the same user path.
        let b = rh_secrets::vault::VaultStore::new(&rh_secrets::vault::VaultOptions {
            prefix: a.path_of("x").trim_end_matches("/x").to_owned(),
            ..rh_secrets::vault::VaultOptions::new(
                rh_test::service_env("VAULT_ADDR").unwrap(),
                secrecy::SecretString::from(rh_test::service_env("VAULT_TOKEN").unwrap()),
                None,
            )
        })
        .unwrap();
        SecretStore::put(&a, "lambda", &secrets_of(&[("api_key", "v1")]), Some(0))
            .await
            .unwrap();
        let mut mine = SecretsMap::new();
        mine.insert("lambda".into(), secrets_of(&[("api_key", "from-a")]));
        let mut theirs = SecretsMap::new();
        theirs.insert("lambda".into(), secrets_of(&[("api_key", "from-b")]));
        let plan_a = sync::plan_push(&a, mine).await.unwrap();
        let plan_b = sync::plan_push(&b, theirs).await.unwrap();
        assert_eq!(plan_a[0].action, PushAction::Update);
        assert_eq!(plan_a[0].expected, 1);
        let won = sync::apply_push(&b, &plan_b).await;
        assert_eq!(won.len(), 1);
        assert_eq!(won[0].1.as_ref().unwrap(), &2);
        let mut lost = sync::apply_push(&a, &plan_a).await;
        let err = lost.remove(0).1.unwrap_err();
        assert!(matches!(err, Error::Conflict { expected: 1, .. }), "{err}");
        let (got, v) = SecretStore::get(&a, "lambda").await.unwrap().unwrap();
        assert_eq!((got.expose("api_key"), v), (Some("from-b"), 2));
    }

    #[tokio::test]
    async fn pull_plans_then_writes_builtin_files_and_returns_custom() {
        let Some(s) = store("pull") else { return };
        let home = Home::new();
        let hf = secrets_of(&[("token", "hf_PULLSENTINEL")]);
        SecretStore::put(&s, "huggingface", &hf, None)
            .await
            .unwrap();
        SecretStore::put(&s, "mydb", &secrets_of(&[("password", "pw")]), None)
            .await
            .unwrap();
        let secrets = home.secrets();
        let plan = sync::plan_pull(&s, &secrets, None, WriteOptions::default())
            .await
            .unwrap();
        assert_eq!(plan.len(), 2);
        let token = home.path(".cache/huggingface/token");
        assert_eq!(
            plan[0].action,
            PullAction::Write {
                files: vec![token.clone()],
                skipped: vec![]
            }
        );
        assert_eq!(plan[1].action, PullAction::Custom);
        assert!(!token.exists(), "planning writes nothing");
        let (report, custom) = sync::apply_pull(&secrets, plan, WriteOptions::default()).unwrap();
        assert_eq!(report.saved.len(), 1);
        assert_eq!(home.read(".cache/huggingface/token"), "hf_PULLSENTINEL");
        assert_eq!(crate::mode(&token), 0o600);
        assert_eq!(custom["mydb"].expose("password"), Some("pw"));
        let again = sync::plan_pull(
            &s,
            &secrets,
            Some(&["huggingface".to_owned()]),
            WriteOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(again[0].action, PullAction::Unchanged);
    }
}
