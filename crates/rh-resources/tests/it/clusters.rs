//! Clusters: the tutorial's config byte for byte, defaults, keep_warm, factory by name, bad configs.

use std::path::Path;

use rh_resources::{
    Cluster, Error, OnDemandCluster, OnDemandSpec, Resource, ResourceSettings, SshCreds,
};
use rh_rns::local::LocalRns;
use rh_rns::{ResourceName, Rns};

fn name(s: &str) -> ResourceName {
    s.parse().expect("valid name")
}

fn fixture(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rh-rns/tests/fixtures")
        .join(format!("{file}.json"));
    std::fs::read_to_string(path).expect("fixture")
}

/// The `config.json` printed in the tutorial.
const TUTORIAL: &str = r#"{
    "name": "~/aws_cluster",
    "resource_type": "cluster",
    "resource_subtype": "OnDemandCluster",
    "instance_type": "V100:1",
    "num_instances": null,
    "provider": "aws",
    "autostop_mins": 30,
    "use_spot": false,
    "image_id": null,
    "region": null,
    "sky_state": null
}"#;

#[tokio::test]
async fn tutorial_cluster_byte_for_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rns = LocalRns::new(dir.path());
    let settings = ResourceSettings {
        default_autostop: 30,
        ..ResourceSettings::default()
    };
    let cluster = OnDemandCluster::new(
        name("~/aws_cluster"),
        OnDemandSpec {
            instance_type: Some("V100:1".to_owned()),
            provider: Some("aws".to_owned()),
            ..OnDemandSpec::default()
        },
        &settings,
    )
    .expect("valid");
    Resource::OnDemandCluster(cluster)
        .save(&rns, false)
        .await
        .expect("save");
    let path = dir.path().join("rh/aws_cluster/config.json");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), TUTORIAL);
    assert_eq!(
        fixture("aws_cluster"),
        TUTORIAL,
        "the fixture is Python's own output"
    );

    // "name only ⇒ load".
    let loaded = OnDemandCluster::from_name(&rns, &name("~/aws_cluster"))
        .await
        .expect("load");
    assert_eq!(loaded.instance_type.as_deref(), Some("V100:1"));
    assert_eq!(loaded.autostop_mins, Some(30));
}

#[tokio::test]
async fn defaults_apply_including_use_spot() {
    let settings = ResourceSettings {
        default_autostop: 45,
        default_provider: "gcp".to_owned(),
        use_spot: true,
    };
    let c = OnDemandCluster::new(name("~/c"), OnDemandSpec::default(), &settings).expect("valid");
    assert_eq!(c.provider.as_deref(), Some("gcp"));
    assert_eq!(c.autostop_mins, Some(45));
    assert!(
        c.use_spot,
        "the use_spot setting applies (Runhouse ignored it)"
    );
    let explicit = OnDemandCluster::new(
        name("~/c"),
        OnDemandSpec {
            use_spot: Some(false),
            autostop_mins: Some(-1),
            ..OnDemandSpec::default()
        },
        &settings,
    )
    .expect("valid");
    assert!(!explicit.use_spot);
    assert_eq!(explicit.autostop_mins, Some(-1));
    let err = OnDemandCluster::new(
        name("~/c"),
        OnDemandSpec {
            provider: Some("k8s".to_owned()),
            ..OnDemandSpec::default()
        },
        &settings,
    )
    .expect_err("bad provider");
    assert_eq!(
        err.to_string(),
        "invalid provider for ~/c: `k8s` is not one of aws, gcp, azure, lambda, cheapest"
    );
}

#[tokio::test]
async fn keep_warm_updates_and_saves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rns = LocalRns::new(dir.path());
    let path = dir.path().join("rh/aws_cluster/config.json");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, TUTORIAL).expect("write");
    let mut c = OnDemandCluster::from_name(&rns, &name("~/aws_cluster"))
        .await
        .expect("load");
    c.keep_warm(&rns, 60).await.expect("keep warm");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        TUTORIAL.replace("\"autostop_mins\": 30", "\"autostop_mins\": 60")
    );
}

#[tokio::test]
async fn runhouse_fixtures_round_trip_through_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rns = LocalRns::new(dir.path());
    for (n, file, kind) in [
        ("~/aws_cluster", "aws_cluster", "cluster/OnDemandCluster"),
        ("~/gpu", "sky_cluster", "cluster/OnDemandCluster"),
        ("~/byo", "byo_cluster", "cluster/Cluster"),
        ("~/my_blob", "my_blob", "blob/Blob"),
        ("~/data/folder", "data_folder", "folder/Folder"),
        ("~/my_fn", "function", "function/Function"),
    ] {
        let bytes = fixture(file);
        let path = rns.config_path(&name(n)).expect("local");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &bytes).expect("write");
        let r = Resource::load(&rns, &name(n)).await.expect("load");
        assert_eq!(r.kind(), kind);
        r.save(&rns, true).await.expect("save");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            bytes,
            "{file}"
        );
    }
    let byo = Cluster::from_name(&rns, &name("~/byo")).await.expect("byo");
    assert_eq!(byo.ips, ["3.89.1.2", "3.89.1.3"]);
    assert_eq!(
        byo.ssh_creds,
        Some(SshCreds::Paths {
            ssh_user: Some("ubuntu".to_owned()),
            ssh_private_key: Some("~/.ssh/id_rsa".to_owned()),
        })
    );
}

#[tokio::test]
async fn factory_errors_are_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rns = LocalRns::new(dir.path());
    let err = OnDemandCluster::from_name(&rns, &name("~/nope"))
        .await
        .expect_err("missing");
    assert_eq!(err.to_string(), "resource ~/nope not found");

    let write = |n: &str, text: &str| {
        let path = rns.config_path(&name(n)).expect("local");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    };
    write(
        "~/blob",
        r#"{"resource_type": "blob", "resource_subtype": "Blob", "path": "p", "system": "file"}"#,
    );
    let err = OnDemandCluster::from_name(&rns, &name("~/blob"))
        .await
        .expect_err("wrong type");
    assert_eq!(
        err.to_string(),
        "~/blob is a `blob/Blob` resource, not an on-demand cluster"
    );

    for (n, text, reason) in [
        (
            "~/sage",
            r#"{"resource_type": "cluster", "resource_subtype": "SageMakerCluster"}"#,
            "unknown cluster type `SageMakerCluster` (expected OnDemandCluster, Cluster)",
        ),
        (
            "~/nosub",
            r#"{"resource_type": "cluster"}"#,
            "`resource_subtype` is missing for a cluster",
        ),
        (
            "~/badval",
            r#"{"resource_type": "cluster", "resource_subtype": "OnDemandCluster", "autostop_mins": "x"}"#,
            "`autostop_mins` must be an integer or null",
        ),
        (
            "~/pw",
            r#"{"resource_type": "cluster", "resource_subtype": "Cluster", "ips": ["1.2.3.4"], "ssh_creds": {"ssh_user": "u", "password": "hunter2"}}"#,
            "`ssh_creds` holds `password`; keep it in an ssh secret and store the secret's name instead",
        ),
    ] {
        let path = write(n, text);
        let before = std::fs::read(&path).expect("read");
        let err = Resource::load(&rns, &name(n))
            .await
            .expect_err("invalid")
            .to_string();
        assert_eq!(
            err,
            format!("invalid resource config {}: {reason}", path.display())
        );
        assert!(!err.contains("hunter2"));
        assert_eq!(
            std::fs::read(&path).expect("read"),
            before,
            "nothing rewritten"
        );
    }
}

#[tokio::test]
async fn builtins_are_on_demand_clusters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rns = LocalRns::new(dir.path());
    let c = OnDemandCluster::from_name(&rns, &name("^rh-v100"))
        .await
        .expect("builtin");
    assert_eq!(c.instance_type.as_deref(), Some("V100:1"));
    assert_eq!(c.name.to_string(), "^rh-v100");
}

#[tokio::test]
async fn byo_cluster_references_a_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rns = LocalRns::new(dir.path());
    let c = Cluster::new(
        name("~/byo"),
        vec!["10.0.0.1".to_owned()],
        Some(SshCreds::Secret("~/ssh-byo".to_owned())),
    )
    .expect("valid");
    Resource::Cluster(c).save(&rns, false).await.expect("save");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("rh/byo/config.json")).expect("read"),
        "{\n    \"name\": \"~/byo\",\n    \"resource_type\": \"cluster\",\n    \"resource_subtype\": \"Cluster\",\n    \"ips\": [\n        \"10.0.0.1\"\n    ],\n    \"ssh_creds\": \"~/ssh-byo\"\n}"
    );
    let err = Cluster::new(name("~/s3"), vec![], None).expect_err("reserved");
    assert!(err.to_string().contains("`s3` is reserved"), "{err}");
    let _ = rns
        .list(&ResourceName::local_root(), true)
        .await
        .expect("list");
    assert!(matches!(
        Cluster::from_name(&rns, &name("~/missing")).await,
        Err(Error::Rns(rh_rns::Error::NotFound { .. }))
    ));
}

#[tokio::test]
async fn reserved_system_names_are_refused_for_every_cluster() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rns = LocalRns::new(dir.path());
    let settings = ResourceSettings {
        default_autostop: -1,
        default_provider: "aws".to_owned(),
        use_spot: false,
    };
    for reserved in Cluster::RESERVED {
        for n in [format!("~/{reserved}"), format!("~/team/{reserved}")] {
            let err = OnDemandCluster::new(name(&n), OnDemandSpec::default(), &settings)
                .expect_err("reserved");
            assert!(
                err.to_string()
                    .contains(&format!("`{reserved}` is reserved")),
                "{err}"
            );
            assert!(Cluster::new(name(&n), vec![], None).is_err(), "{n}");
        }
    }
    // A config saved under a reserved name (`rh resource save`) is refused too; other kinds may use it.
    let config =
        serde_json::json!({"resource_type": "cluster", "resource_subtype": "OnDemandCluster"});
    let record =
        rh_rns::ResourceRecord::new(name("~/s3"), config.as_object().expect("object").clone());
    let cluster = Resource::from_record(&record, "test").expect("typed");
    let err = cluster.save(&rns, false).await.expect_err("reserved");
    assert!(err.to_string().contains("`s3` is reserved"), "{err}");
    assert!(!dir.path().join("rh/s3").exists());
    let notes = rh_rns::ResourceRecord::new(
        name("~/s3"),
        serde_json::json!({"resource_type": "notes"})
            .as_object()
            .expect("object")
            .clone(),
    );
    Resource::from_record(&notes, "test")
        .expect("typed")
        .save(&rns, false)
        .await
        .expect("not a cluster: saved");
}
