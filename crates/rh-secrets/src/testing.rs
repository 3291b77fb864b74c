//! Test support (feature `testing`): the conformance suite every [`SecretStore`] must pass.

use secrecy::{ExposeSecret, SecretString};

use crate::ProviderSecrets;
use crate::store::SecretStore;
use crate::vault::Error;

fn secrets(pairs: &[(&str, &str)]) -> ProviderSecrets {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

fn same(a: &ProviderSecrets, b: &ProviderSecrets) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|((ka, va), (kb, vb))| ka == kb && va.expose_secret() == vb.expose_secret())
}

/// Runs the behaviour every [`SecretStore`] promises against `store`, which must start empty (give it a
/// fresh user prefix). Panics, naming the step, on the first difference; messages never hold a value.
pub async fn conformance(store: &dyn SecretStore) {
    let p = "conformance-aws";
    let custom = "my-db.prod_1";
    assert!(
        store.list().await.expect("list an empty store").is_empty(),
        "the store must start empty"
    );
    assert!(
        store.get(p).await.expect("get missing").is_none(),
        "get of a missing provider"
    );
    assert!(
        store.history(p).await.expect("history missing").is_empty(),
        "history of a missing provider"
    );
    assert!(
        store
            .fingerprints(p)
            .await
            .expect("fingerprints missing")
            .is_none(),
        "fingerprints of a missing provider"
    );
    assert!(
        !store.delete(p).await.expect("delete missing"),
        "delete of a missing provider"
    );

    let v1 = secrets(&[
        ("access_key", "AKIACONFORMANCE1"),
        ("secret_key", "s1 with spaces"),
    ]);
    let v2 = secrets(&[
        ("access_key", "AKIACONFORMANCE2"),
        ("secret_key", "s2\nmulti-line ünïcode"),
    ]);
    assert_eq!(
        store.put(p, &v1, Some(0)).await.expect("create"),
        1,
        "first version"
    );
    assert!(
        matches!(
            store.put(p, &v2, Some(0)).await,
            Err(Error::Conflict { .. })
        ),
        "create where one exists must conflict"
    );
    assert_eq!(
        store.put(p, &v2, Some(1)).await.expect("update"),
        2,
        "second version"
    );
    let err = store
        .put(p, &v1, Some(1))
        .await
        .expect_err("stale write must fail");
    assert!(
        matches!(err, Error::Conflict { .. }),
        "stale write is a conflict: {err}"
    );
    let (got, version) = store.get(p).await.expect("get").expect("present");
    assert_eq!(version, 2, "get returns the current version");
    assert!(
        same(&got, &v2),
        "get returns the values written, byte for byte"
    );

    let fp = store
        .fingerprints(p)
        .await
        .expect("fingerprints")
        .expect("present");
    assert_eq!(fp.version, 2, "fingerprints describe the current version");
    let keys = fp.keys.clone().expect("fingerprints are fresh after a put");
    assert_eq!(keys.len(), 2, "one fingerprint per key");
    for (k, v) in v2.iter() {
        assert_eq!(
            fp.of(k, v).as_ref(),
            keys.get(k),
            "fingerprint of {k} matches its value"
        );
        assert!(
            !keys[k].contains(v.expose_secret()),
            "a fingerprint never holds the value"
        );
    }
    assert_ne!(
        fp.of("access_key", &SecretString::from("other")).as_ref(),
        keys.get("access_key"),
        "a different value has a different fingerprint"
    );

    let hist = store.history(p).await.expect("history");
    assert_eq!(
        hist.iter().map(|h| h.version).collect::<Vec<_>>(),
        vec![1, 2],
        "history lists both versions, oldest first"
    );
    assert!(
        hist.iter()
            .all(|h| !h.created_time.is_empty() && !h.destroyed),
        "history has times"
    );

    assert_eq!(
        store.rollback(p, 1).await.expect("rollback"),
        3,
        "rollback writes a new version"
    );
    let (got, version) = store
        .get(p)
        .await
        .expect("get after rollback")
        .expect("present");
    assert_eq!(version, 3);
    assert!(same(&got, &v1), "rollback restores the old values");
    assert_eq!(
        store
            .fingerprints(p)
            .await
            .expect("fp")
            .expect("present")
            .version,
        3
    );

    let c = secrets(&[("password", "pw-CONFORMANCE"), ("user", "admin")]);
    assert_eq!(
        store.put(custom, &c, None).await.expect("custom put"),
        1,
        "custom provider"
    );
    assert!(same(
        &store
            .get(custom)
            .await
            .expect("get custom")
            .expect("present")
            .0,
        &c
    ));
    assert_eq!(
        store.list().await.expect("list"),
        vec![p.to_owned(), custom.to_owned()],
        "list is sorted and names every provider"
    );

    assert!(
        store.delete(p).await.expect("delete"),
        "delete reports it removed something"
    );
    assert!(
        store.get(p).await.expect("get deleted").is_none(),
        "deleted is gone"
    );
    assert!(
        store.history(p).await.expect("history deleted").is_empty(),
        "delete removes every version"
    );
    assert!(store.delete(custom).await.expect("delete custom"));
    assert!(
        store.list().await.expect("list after delete").is_empty(),
        "nothing left"
    );
}
