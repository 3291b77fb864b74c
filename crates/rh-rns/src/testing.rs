//! The conformance suite every [`Rns`] implementation runs (feature `testing`).
//!
//! Call [`conformance`] (names under `~/rh-conformance`) or [`conformance_in`] with a folder your store
//! holds (`/alice/rh-conformance` for the remote store). It panics with a message on the first failure,
//! and leaves the folder empty when it passes.

use serde_json::{Map, Value, json};

use crate::{Error, ResourceName, ResourceRecord, Rns, Scope};

/// Runs the suite in `~/rh-conformance`.
pub async fn conformance(rns: &dyn Rns) {
    let folder: ResourceName = "~/rh-conformance".parse().expect("a valid name");
    conformance_in(rns, &folder).await;
}

fn config(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("the suite passes objects"),
    }
}

fn record(name: &ResourceName, v: Value) -> ResourceRecord {
    ResourceRecord::new(name.clone(), config(v))
}

/// Runs the suite with every name under `folder`.
pub async fn conformance_in(rns: &dyn Rns, folder: &ResourceName) {
    bad_names();
    let a = folder.join("a").expect("valid");
    let b = folder.join("b").expect("valid");
    let nested = folder.join("sub").and_then(|s| s.join("c")).expect("valid");

    // Start clean, so a failed earlier run does not fail this one.
    for n in [&a, &b, &nested] {
        let _ = rns.delete(n).await;
    }

    // Absent names.
    assert!(
        !rns.exists(&a).await.expect("exists works"),
        "{a} should not exist yet"
    );
    assert!(
        matches!(rns.load(&a).await, Err(Error::NotFound { .. })),
        "loading a missing resource is NotFound"
    );
    assert!(
        matches!(rns.delete(&a).await, Err(Error::NotFound { .. })),
        "deleting a missing resource is NotFound"
    );

    // Save and load keep key order and values (unicode, floats, nesting, nulls).
    let v1 = record(
        &a,
        json!({
            "name": "ignored: the address wins",
            "resource_type": "blob",
            "resource_subtype": "Blob",
            "zeta": 1,
            "alpha": [1.5, 1e-7, "ünï 📁", null, {"y": true, "x": false}],
            "mid": {},
        }),
    );
    rns.save(&v1, false).await.expect("save a new resource");
    assert!(rns.exists(&a).await.expect("exists works"));
    let loaded = rns.load(&a).await.expect("load what was saved");
    assert_eq!(loaded.name(), &a);
    assert_eq!(loaded.config()["name"], json!(a.to_string()));
    let keys: Vec<&str> = loaded.config().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "name",
            "resource_type",
            "resource_subtype",
            "zeta",
            "alpha",
            "mid"
        ],
        "key order survives"
    );
    assert_eq!(loaded, v1, "the record round-trips");

    // A collision without overwrite changes nothing.
    let v2 = record(
        &a,
        json!({"resource_type": "blob", "resource_subtype": "Blob", "zeta": 2}),
    );
    assert!(
        matches!(rns.save(&v2, false).await, Err(Error::AlreadyExists { .. })),
        "saving over an existing resource without overwrite is AlreadyExists"
    );
    assert_eq!(rns.load(&a).await.expect("load"), v1, "old config kept");

    // Overwrite replaces it.
    rns.save(&v2, true).await.expect("overwrite");
    assert_eq!(rns.load(&a).await.expect("load").config()["zeta"], json!(2));

    // Listing: direct children, and nested ones only when recursive.
    let n = record(
        &nested,
        json!({"resource_type": "folder", "resource_subtype": "Folder"}),
    );
    rns.save(&n, false).await.expect("save a nested resource");
    let flat = rns.list(folder, false).await.expect("list");
    let names: Vec<String> = flat.entries.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(names, [a.to_string()], "non-recursive listing");
    assert_eq!(flat.entries[0].resource_type, "blob");
    assert_eq!(flat.entries[0].resource_subtype.as_deref(), Some("Blob"));
    let deep = rns.list(folder, true).await.expect("list recursively");
    let names: Vec<String> = deep.entries.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(
        names,
        [a.to_string(), nested.to_string()],
        "recursive listing"
    );

    // Rename is a move: the old name is gone, the config carries the new name.
    rns.rename(&a, &b, false).await.expect("rename");
    assert!(
        !rns.exists(&a).await.expect("exists"),
        "old name gone after rename"
    );
    let moved = rns.load(&b).await.expect("load renamed");
    assert_eq!(moved.config()["name"], json!(b.to_string()));
    assert_eq!(moved.config()["zeta"], json!(2));
    rns.save(&v1, false).await.expect("save a again");
    assert!(
        matches!(
            rns.rename(&a, &b, false).await,
            Err(Error::AlreadyExists { .. })
        ),
        "rename onto an existing name without overwrite"
    );
    assert!(
        rns.exists(&a).await.expect("exists"),
        "a failed rename keeps the source"
    );

    // History answers, or says there is none for this store's setup.
    match rns.history(&b, Some(10)).await {
        Ok(entries) => {
            for e in entries {
                assert!(!e.id.is_empty() && !e.change.is_empty(), "{e:?}");
            }
        }
        Err(Error::NotARepository { .. } | Error::NotSupported { .. }) => {}
        Err(e) => panic!("history failed: {e}"),
    }

    // Delete.
    for n in [&a, &b, &nested] {
        rns.delete(n).await.expect("delete");
        assert!(!rns.exists(n).await.expect("exists"), "{n} gone");
    }
    let after = rns.list(folder, true).await;
    if let Ok(listing) = after {
        assert!(listing.entries.is_empty(), "folder empty at the end");
    }
    if folder.scope() == Scope::Local {
        assert!(
            rns.locate(&b).await.expect("locate").is_some(),
            "local names have a path"
        );
    }
}

fn bad_names() {
    for bad in ["", "~/", "~/a/../b", "~//a", "~/a\0", "../x", "/"] {
        assert!(
            bad.parse::<ResourceName>().is_err(),
            "{bad:?} should be rejected"
        );
    }
}
