//! `LocalRns` on plain directories: conformance, Runhouse fixtures, corrupt files, builtins, working-dir search.

use std::path::Path;

use rh_rns::local::{LocalRns, WorkdirOptions, find_workdir};
use rh_rns::{Error, ResourceName, ResourceRecord, Rns};

fn name(s: &str) -> ResourceName {
    s.parse().expect("valid name")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[tokio::test]
async fn conformance_without_git() {
    let dir = tmp();
    let rns = LocalRns::new(dir.path());
    rh_rns::testing::conformance(&rns).await;
    // Through dyn, Arc and Box too.
    let boxed: Box<dyn Rns> = Box::new(rns.clone());
    rh_rns::testing::conformance(&boxed).await;
    let arc = std::sync::Arc::new(rns);
    rh_rns::testing::conformance_in(&arc, &name("~/other/place")).await;
}

const FIXTURES: &[(&str, &str)] = &[
    ("~/aws_cluster", "aws_cluster"),
    ("~/my_blob", "my_blob"),
    ("~/byo", "byo_cluster"),
    ("~/data/folder", "data_folder"),
    ("~/gpu", "sky_cluster"),
    ("~/my_fn", "function"),
];

fn fixture(file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{file}.json"));
    std::fs::read(&path).expect("fixture exists")
}

#[tokio::test]
async fn runhouse_files_load_and_resave_byte_identically() {
    let dir = tmp();
    let rns = LocalRns::new(dir.path());
    for (n, file) in FIXTURES {
        let bytes = fixture(file);
        let path = rns.config_path(&name(n)).expect("local");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &bytes).expect("write fixture");
        let record = rns.load(&name(n)).await.expect("load fixture");
        std::fs::remove_file(&path).expect("remove");
        rns.save(&record, false).await.expect("re-save");
        assert_eq!(
            String::from_utf8(std::fs::read(&path).expect("read")).expect("utf8"),
            String::from_utf8(bytes).expect("utf8"),
            "{file} re-saved byte-identically"
        );
        // And from a record built in memory with the same config.
        let again = ResourceRecord::new(name(n), record.config().clone());
        assert_eq!(again.to_json_bytes(), std::fs::read(&path).expect("read"));
    }
}

#[tokio::test]
async fn corrupt_configs_fail_load_and_are_skipped_by_list() {
    let dir = tmp();
    let rns = LocalRns::new(dir.path());
    let good = ResourceRecord::new(
        name("~/good"),
        serde_json::from_str(r#"{"resource_type": "blob", "resource_subtype": "Blob"}"#)
            .expect("json"),
    );
    rns.save(&good, false).await.expect("save");
    for (n, bytes, reason) in [
        ("~/bad_json", &b"{\"resource_type\": "[..], "not valid JSON"),
        (
            "~/array",
            b"[]",
            "expected a JSON object, found an empty array",
        ),
        ("~/empty", b"{}", "`resource_type` is missing"),
    ] {
        let path = rns.config_path(&name(n)).expect("local");
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, bytes).expect("write");
        let err = rns.load(&name(n)).await.expect_err("corrupt").to_string();
        assert!(
            err.starts_with(&format!(
                "invalid resource config {}: {reason}",
                path.display()
            )),
            "{err}"
        );
        assert!(
            err.contains(&path.display().to_string()) && err.contains(reason),
            "{err}"
        );
        assert!(!err.contains('\n'));
        // Nothing rewrote it.
        assert_eq!(std::fs::read(&path).expect("read"), bytes);
    }
    let listing = rns
        .list(&ResourceName::local_root(), false)
        .await
        .expect("list");
    let names: Vec<String> = listing.entries.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(names, ["~/good"]);
    assert_eq!(listing.skipped.len(), 3, "{:?}", listing.skipped);
    assert!(
        listing
            .skipped
            .iter()
            .all(|s| s.location.ends_with("config.json"))
    );
}

#[tokio::test]
async fn collision_leaves_old_bytes() {
    let dir = tmp();
    let rns = LocalRns::new(dir.path());
    let path = rns.config_path(&name("~/aws_cluster")).expect("local");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    // Hand-written, not in our format: a refused save must not even reformat it.
    let old = b"{\"resource_type\":\"cluster\",  \"x\": 1}\n";
    std::fs::write(&path, old).expect("write");
    let new = ResourceRecord::new(
        name("~/aws_cluster"),
        serde_json::from_str(r#"{"resource_type": "cluster"}"#).expect("json"),
    );
    let err = rns.save(&new, false).await.expect_err("collision");
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "resource ~/aws_cluster already exists (pass overwrite to replace it)"
    );
    assert_eq!(std::fs::read(&path).expect("read"), old);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
        .expect("read dir")
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp files left");
}

#[tokio::test]
async fn builtins_are_read_only_data() {
    let dir = tmp();
    let rns = LocalRns::new(dir.path());
    let cpu = rns.load(&name("^rh-cpu")).await.expect("builtin");
    assert_eq!(cpu.config()["name"], "^rh-cpu");
    assert_eq!(cpu.config()["instance_type"], "CPU:1");
    assert_eq!(cpu.resource_subtype(), Some("OnDemandCluster"));
    for b in [
        "^rh-8-cpu",
        "^rh-gpu",
        "^rh-v100",
        "^rh-4-v100",
        "^rh-8-v100",
    ] {
        assert!(rns.exists(&name(b)).await.expect("exists"), "{b}");
    }
    assert!(!rns.exists(&name("^nope")).await.expect("exists"));
    let err = rns.save(&cpu, true).await.expect_err("read-only");
    assert!(err.to_string().contains("builtins are read-only"), "{err}");
    assert!(rns.delete(&name("^rh-cpu")).await.is_err());
    assert!(!dir.path().join("rh").exists(), "nothing written");
}

#[tokio::test]
async fn remote_names_are_not_local() {
    let dir = tmp();
    let rns = LocalRns::new(dir.path());
    let err = rns.load(&name("/alice/x")).await.expect_err("remote");
    assert!(matches!(err, Error::NotSupported { .. }), "{err}");
}

#[test]
fn workdir_search_on_real_trees() {
    let dir = tmp();
    let root = dir.path().canonicalize().expect("canonical");
    let home = root.join("home");
    // A repo inside HOME, cwd deep inside it.
    let repo = home.join("code/proj");
    let deep = repo.join("src/pkg");
    std::fs::create_dir_all(&deep).expect("mkdir");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    assert_eq!(find_workdir(&deep, Some(&home)), repo);
    // An rh/ above a nested .git: .git wins (v0.0.14+ order).
    std::fs::create_dir_all(home.join("code/rh")).expect("mkdir");
    assert_eq!(find_workdir(&deep, Some(&home)), repo);
    // Without .git, pyproject.toml is next, and beats the rh/ above.
    std::fs::remove_dir(repo.join(".git")).expect("rmdir");
    std::fs::write(repo.join("pyproject.toml"), "").expect("write");
    assert_eq!(find_workdir(&deep, Some(&home)), repo);
    std::fs::remove_file(repo.join("pyproject.toml")).expect("rm");
    assert_eq!(find_workdir(&deep, Some(&home)), home.join("code"));
    // Markers in HOME itself are never checked; no marker means the cwd.
    std::fs::remove_dir(home.join("code/rh")).expect("rmdir");
    std::fs::create_dir_all(home.join(".git")).expect("mkdir");
    assert_eq!(find_workdir(&deep, Some(&home)), deep);
    // RH_WORKDIR-style override skips the search.
    let rns = LocalRns::discover(&WorkdirOptions {
        cwd: deep.clone(),
        home: Some(home.clone()),
        workdir_override: Some(root.join("elsewhere")),
    });
    assert_eq!(rns.rh_dir(), root.join("elsewhere/rh"));
}

fn blob(n: &str) -> ResourceRecord {
    ResourceRecord::new(
        name(n),
        serde_json::from_str(r#"{"resource_type": "blob"}"#).expect("json"),
    )
}

#[track_caller]
fn assert_link_error(err: &Error, link: &Path) {
    let text = crate::chain(err);
    assert!(
        text.contains(&link.display().to_string()) && text.contains("symbolic link"),
        "{text}"
    );
}

#[tokio::test]
async fn a_symlinked_rh_dir_is_refused_too() {
    let dir = tmp();
    let outside = tmp();
    // A cloned repo's `rh -> <somewhere else>`: its `x/config.json` must be neither read nor listed nor written.
    std::fs::create_dir_all(outside.path().join("x")).expect("mkdir");
    let secret = outside.path().join("x/config.json");
    std::fs::write(&secret, r#"{"resource_type": "blob", "token": "SECRET"}"#).expect("write");
    let rh = dir.path().join("rh");
    std::os::unix::fs::symlink(outside.path(), &rh).expect("link");
    let rns = LocalRns::new(dir.path());
    assert_link_error(&rns.load(&name("~/x")).await.expect_err("load"), &rh);
    assert_link_error(
        &rns.list(&ResourceName::local_root(), true)
            .await
            .expect_err("ls"),
        &rh,
    );
    assert_link_error(
        &rns.save(&blob("~/new"), false).await.expect_err("save"),
        &rh,
    );
    assert_link_error(&rns.delete(&name("~/x")).await.expect_err("rm"), &rh);
    assert!(
        !outside.path().join("new").exists(),
        "nothing written through the link"
    );
    assert!(secret.exists(), "nothing deleted through the link");
}

#[tokio::test]
async fn symlinks_below_rh_are_refused_on_every_operation() {
    let dir = tmp();
    let outside = tmp();
    let secret = outside.path().join("credentials.json");
    std::fs::write(&secret, r#"{"resource_type": "blob", "token": "SECRET"}"#).expect("write");
    let rns = LocalRns::new(dir.path());
    let rh = dir.path().join("rh");
    // config.json itself, a resource dir, and a nested dir are links.
    std::fs::create_dir_all(rh.join("gcp")).expect("mkdir");
    std::os::unix::fs::symlink(&secret, rh.join("gcp/config.json")).expect("link");
    std::os::unix::fs::symlink(outside.path(), rh.join("linked")).expect("link");
    std::fs::create_dir_all(rh.join("team")).expect("mkdir");
    std::os::unix::fs::symlink(outside.path(), rh.join("team/sub")).expect("link");
    let file_link = rh.join("gcp/config.json");
    assert_link_error(
        &rns.load(&name("~/gcp")).await.expect_err("load"),
        &file_link,
    );
    assert_link_error(
        &rns.exists(&name("~/gcp")).await.expect_err("exists"),
        &file_link,
    );
    assert_link_error(
        &rns.save(&blob("~/gcp"), true).await.expect_err("save"),
        &file_link,
    );
    assert_link_error(
        &rns.delete(&name("~/gcp")).await.expect_err("rm"),
        &file_link,
    );
    assert_link_error(
        &rns.rename(&name("~/gcp"), &name("~/moved"), false)
            .await
            .expect_err("mv"),
        &file_link,
    );
    assert_link_error(
        &rns.save(&blob("~/linked/x"), false)
            .await
            .expect_err("save"),
        &rh.join("linked"),
    );
    assert_link_error(
        &rns.save(&blob("~/team/sub/x"), false)
            .await
            .expect_err("save"),
        &rh.join("team/sub"),
    );
    assert_link_error(
        &rns.list(&name("~/linked"), false).await.expect_err("ls"),
        &rh.join("linked"),
    );
    // Nothing was written through a link, the target is intact, the link is still there.
    assert_eq!(
        std::fs::read_dir(outside.path()).expect("ls").count(),
        1,
        "only the credentials file"
    );
    assert!(
        std::fs::read_to_string(&secret)
            .expect("read")
            .contains("SECRET")
    );
    assert!(!rh.join("moved").exists());
    // A listing skips the links, naming them, and lists the rest.
    rns.save(&blob("~/real"), false).await.expect("save");
    let listing = rns
        .list(&ResourceName::local_root(), true)
        .await
        .expect("list");
    let names: Vec<String> = listing.entries.iter().map(|e| e.name.to_string()).collect();
    assert_eq!(names, ["~/real"]);
    let mut skipped: Vec<&str> = listing
        .skipped
        .iter()
        .map(|s| s.location.as_str())
        .collect();
    skipped.sort_unstable();
    let expected = [
        rh.join("gcp/config.json"),
        rh.join("linked"),
        rh.join("team/sub"),
    ];
    assert_eq!(
        skipped,
        expected
            .iter()
            .map(|p| p.to_str().expect("utf8"))
            .collect::<Vec<_>>()
    );
    assert!(
        listing
            .skipped
            .iter()
            .all(|s| s.reason.contains("symbolic link"))
    );
}

#[tokio::test]
async fn stale_temp_files_of_a_killed_save_are_removed() {
    let dir = tmp();
    let rns = LocalRns::new(dir.path());
    rns.save(&blob("~/a"), false).await.expect("save");
    let res_dir = dir.path().join("rh/a");
    let stale = res_dir.join(".config.json.Xy12ab.tmp");
    let fresh = res_dir.join(".config.json.Zz98cd.tmp");
    let other = res_dir.join("notes.tmp");
    for p in [&stale, &fresh, &other] {
        std::fs::write(p, "{").expect("write");
    }
    let two_minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_mins(2);
    for p in [&stale, &other] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .expect("open")
            .set_modified(two_minutes_ago)
            .expect("mtime");
    }
    rns.save(&blob("~/a"), true).await.expect("save");
    assert!(!stale.exists(), "a killed writer's temp file is cleaned");
    assert!(fresh.exists(), "a running writer's temp file is kept");
    assert!(other.exists(), "files that are not rh's temps are kept");
    // Deleting the resource cleans them too, so its dir can go.
    std::fs::File::options()
        .write(true)
        .open(&fresh)
        .expect("open")
        .set_modified(two_minutes_ago)
        .expect("mtime");
    std::fs::remove_file(&other).expect("rm");
    rns.delete(&name("~/a")).await.expect("delete");
    assert!(!res_dir.exists());
}
