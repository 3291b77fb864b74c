//! Blobs and folders on the `file` system.

use rh_resources::{Blob, Folder, LocalPaths, Resource, System};
use rh_rns::ResourceName;
use rh_rns::local::LocalRns;

fn name(s: &str) -> ResourceName {
    s.parse().expect("valid name")
}

fn paths(dir: &std::path::Path) -> LocalPaths {
    LocalPaths {
        workdir: dir.join("work"),
        home: dir.join("home"),
    }
}

#[tokio::test]
async fn blob_on_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = paths(dir.path());
    let blob = Blob::new(name("~/b"), "blobs/b.bin", System::file());
    assert!(!blob.exists_in_system(&p).await.expect("exists"));
    blob.write(&p, b"\x00\x01bytes").await.expect("write");
    assert_eq!(
        std::fs::read(dir.path().join("work/blobs/b.bin")).expect("read"),
        b"\x00\x01bytes"
    );
    assert_eq!(blob.fetch(&p).await.expect("fetch"), b"\x00\x01bytes");
    blob.rm(&p).await.expect("rm");
    assert!(!blob.exists_in_system(&p).await.expect("exists"));

    let home_blob = Blob::new(name("~/h"), "~/x/h.bin", System::file());
    home_blob.write(&p, b"h").await.expect("write");
    assert!(dir.path().join("home/x/h.bin").is_file());

    let s3 = Blob::new(name("~/s3b"), "/bucket/key", System::Name("s3".to_owned()));
    let err = s3.fetch(&p).await.expect_err("not file");
    assert_eq!(
        err.to_string(),
        "fetch is not supported for ~/s3b on system `s3`"
    );

    let rns = LocalRns::new(dir.path().join("work"));
    Resource::Blob(blob.clone())
        .save(&rns, false)
        .await
        .expect("save");
    let loaded = Blob::from_name(&rns, &name("~/b")).await.expect("load");
    assert_eq!((loaded.path, loaded.system), (blob.path, blob.system));
}

#[tokio::test]
async fn folder_on_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = paths(dir.path());
    let folder = Folder::new(name("~/f"), "data", System::file());
    folder
        .put(
            &p,
            &[
                ("a.txt".to_owned(), b"A".to_vec()),
                ("b.txt".to_owned(), b"B".to_vec()),
            ],
            false,
        )
        .await
        .expect("put");
    let names = folder.ls(&p, false).await.expect("ls");
    assert_eq!(names, [std::path::PathBuf::from("a.txt"), "b.txt".into()]);
    assert_eq!(
        folder.ls(&p, true).await.expect("ls")[0],
        dir.path().join("work/data/a.txt")
    );
    assert_eq!(folder.get(&p, "b.txt").await.expect("get"), b"B");

    // No clobbering without overwrite; nothing at all is written then.
    let err = folder
        .put(
            &p,
            &[
                ("c.txt".to_owned(), b"C".to_vec()),
                ("a.txt".to_owned(), b"new".to_vec()),
            ],
            false,
        )
        .await
        .expect_err("collision");
    assert!(
        err.to_string()
            .ends_with("a.txt already exist(s); pass overwrite to replace"),
        "{err}"
    );
    assert_eq!(folder.get(&p, "a.txt").await.expect("get"), b"A");
    assert!(!dir.path().join("work/data/c.txt").exists());
    folder
        .put(&p, &[("a.txt".to_owned(), b"new".to_vec())], true)
        .await
        .expect("overwrite");
    assert_eq!(folder.get(&p, "a.txt").await.expect("get"), b"new");

    assert!(folder.get(&p, "../escape").await.is_err());
    assert!(
        folder
            .put(&p, &[("/abs".to_owned(), vec![])], true)
            .await
            .is_err()
    );

    folder
        .rm(&p, Some(&["a.txt".to_owned(), "missing".to_owned()]))
        .await
        .expect("rm some");
    assert_eq!(
        folder.ls(&p, false).await.expect("ls"),
        [std::path::PathBuf::from("b.txt")]
    );
    folder.rm(&p, None).await.expect("rm all");
    assert!(!dir.path().join("work/data").exists());
}
