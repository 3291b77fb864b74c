//! `LocalRns` inside real git repositories built with the `git` CLI: history, diff, restore, commit.

use std::path::Path;
use std::process::Command;

use rh_rns::local::LocalRns;
use rh_rns::{Error, ResourceName, ResourceRecord, Rns};

fn name(s: &str) -> ResourceName {
    s.parse().expect("valid name")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05+00:00")
        .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05+00:00")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

/// A fresh repo with an identity and one unrelated commit.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["config", "user.name", "Ada Tester"]);
    git(dir.path(), &["config", "user.email", "ada@example.com"]);
    std::fs::write(dir.path().join("README"), "hello\n").expect("write");
    git(dir.path(), &["add", "README"]);
    git(dir.path(), &["commit", "-q", "-m", "initial"]);
    dir
}

fn cluster(n: &str, autostop: i64) -> ResourceRecord {
    let config = serde_json::json!({
        "resource_type": "cluster",
        "resource_subtype": "OnDemandCluster",
        "instance_type": "V100:1",
        "autostop_mins": autostop,
    });
    let serde_json::Value::Object(map) = config else {
        unreachable!()
    };
    ResourceRecord::new(name(n), map)
}

#[tokio::test]
async fn conformance_inside_a_repo() {
    let dir = repo();
    let rns = LocalRns::new(dir.path());
    rh_rns::testing::conformance(&rns).await;
}

#[tokio::test]
async fn commits_history_diff_restore() {
    let dir = repo();
    let root = dir.path();
    let rns = LocalRns::new(root);
    let n = name("~/team/aws_cluster");

    rns.save(&cluster("~/team/aws_cluster", 30), false)
        .await
        .expect("save");
    let first = rns
        .commit(std::slice::from_ref(&n), "add aws cluster")
        .await
        .expect("commit")
        .expect("something to commit");
    assert_eq!(first.paths, ["rh/team/aws_cluster/config.json"]);
    // git itself sees the commit and a clean tree (the index was updated too).
    assert_eq!(
        git(root, &["log", "--format=%s", "-1"]),
        "add aws cluster\n"
    );
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    assert_eq!(git(root, &["rev-parse", "HEAD"]).trim(), first.id);
    assert_eq!(
        git(root, &["show", "HEAD:rh/team/aws_cluster/config.json"]).as_bytes(),
        std::fs::read(rns.config_path(&n).expect("path")).expect("read")
    );
    // Nothing changed: no empty commit.
    assert!(
        rns.commit(std::slice::from_ref(&n), "again")
            .await
            .expect("commit")
            .is_none()
    );

    rns.save(&cluster("~/team/aws_cluster", 60), true)
        .await
        .expect("save");
    let diff = rns.diff(&n, None).await.expect("diff");
    assert!(
        diff.contains("-    \"autostop_mins\": 30\n+    \"autostop_mins\": 60"),
        "{diff}"
    );
    assert!(
        diff.starts_with("--- a/rh/team/aws_cluster/config.json (HEAD)\n"),
        "{diff}"
    );
    rns.commit(std::slice::from_ref(&n), "longer autostop")
        .await
        .expect("commit");
    assert_eq!(rns.diff(&n, None).await.expect("diff"), "");

    // A commit by git itself that does not touch the resource is not in its history, and keeps the
    // resource's latest version (the index holds no stale cached tree).
    std::fs::write(root.join("README"), "changed\n").expect("write");
    git(root, &["commit", "-qam", "docs"]);
    let committed = git(root, &["show", "HEAD:rh/team/aws_cluster/config.json"]);
    assert!(committed.contains("\"autostop_mins\": 60"), "{committed}");

    let history = rns.history(&n, None).await.expect("history");
    let lines: Vec<(String, String)> = history
        .iter()
        .map(|h| (h.message.clone(), h.change.clone()))
        .collect();
    assert_eq!(
        lines,
        [
            (
                "longer autostop".to_owned(),
                "changed autostop_mins: 30 -> 60".to_owned()
            ),
            ("add aws cluster".to_owned(), "created".to_owned()),
        ]
    );
    assert_eq!(history[1].id, first.id);
    assert_eq!(history[1].short_id, first.id[..7]);
    assert_eq!(history[0].author, "Ada Tester <ada@example.com>");
    assert_eq!(rns.history(&n, Some(1)).await.expect("history").len(), 1);

    // Restore the first version: bytes as committed then.
    let restored = rns.restore(&n, &first.short_id).await.expect("restore");
    assert_eq!(restored.config()["autostop_mins"], 30);
    assert_eq!(
        git(
            root,
            &[
                "show",
                &format!("{}:rh/team/aws_cluster/config.json", first.id)
            ]
        )
        .as_bytes(),
        std::fs::read(rns.config_path(&n).expect("path")).expect("read")
    );
    let diff = rns
        .diff(&n, Some("HEAD~2"))
        .await
        .expect("diff against HEAD~2");
    assert_eq!(diff, "", "restored equals the first version");

    // git wrote a cache-tree with its commit; an rh commit after it must not leave that stale.
    rns.save(&cluster("~/team/aws_cluster", 45), true)
        .await
        .expect("save");
    rns.commit(std::slice::from_ref(&n), "45")
        .await
        .expect("commit");
    std::fs::write(root.join("README"), "again\n").expect("write");
    git(root, &["commit", "-qam", "docs 2"]);
    let committed = git(root, &["show", "HEAD:rh/team/aws_cluster/config.json"]);
    assert!(committed.contains("\"autostop_mins\": 45"), "{committed}");
    assert_eq!(git(root, &["status", "--porcelain"]), "");

    // Deleting and committing records a deletion.
    rns.delete(&n).await.expect("delete");
    rns.commit(std::slice::from_ref(&n), "remove it")
        .await
        .expect("commit");
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    let history = rns.history(&n, None).await.expect("history");
    assert_eq!(history[0].change, "deleted");

    // Bad revisions and missing files are clear errors.
    let err = rns
        .restore(&n, "no-such-rev")
        .await
        .expect_err("bad rev")
        .to_string();
    assert_eq!(
        err,
        "revision `no-such-rev` does not exist in this repository"
    );
    let err = rns
        .restore(&n, "HEAD")
        .await
        .expect_err("not in HEAD")
        .to_string();
    assert!(err.contains("does not hold ~/team/aws_cluster"), "{err}");
}

#[tokio::test]
async fn rh_dir_in_a_subfolder_of_the_repo() {
    // The working dir (with pyproject.toml) sits inside a repo whose root is higher up.
    let dir = repo();
    let sub = dir.path().join("packages/app");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let rns = LocalRns::new(&sub);
    let n = name("~/c");
    rns.save(&cluster("~/c", 5), false).await.expect("save");
    let info = rns
        .commit(std::slice::from_ref(&n), "c")
        .await
        .expect("commit")
        .expect("made");
    assert_eq!(info.paths, ["packages/app/rh/c/config.json"]);
    assert_eq!(rns.history(&n, None).await.expect("history").len(), 1);
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");
}

#[tokio::test]
async fn first_commit_in_an_empty_repo() {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["config", "user.name", "Ada"]);
    git(dir.path(), &["config", "user.email", "ada@example.com"]);
    let rns = LocalRns::new(dir.path());
    let n = name("~/c");
    assert!(rns.history(&n, None).await.expect("unborn HEAD").is_empty());
    rns.save(&cluster("~/c", 5), false).await.expect("save");
    rns.commit(std::slice::from_ref(&n), "first")
        .await
        .expect("commit");
    assert_eq!(git(dir.path(), &["log", "--format=%s"]), "first\n");
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");
}

#[tokio::test]
async fn outside_a_repo_history_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rns = LocalRns::new(dir.path());
    let n = name("~/c");
    rns.save(&cluster("~/c", 5), false).await.expect("save");
    let err = rns.history(&n, None).await.expect_err("no repo");
    assert!(matches!(err, Error::NotARepository { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("is not inside a git repository, so resource history is not available")
    );
    assert!(rns.commit(&[n], "x").await.is_err());
}

#[tokio::test]
async fn commit_touches_only_the_resource() {
    let dir = repo();
    let root = dir.path();
    // The user has something staged and something modified; neither goes into rh's commit.
    std::fs::write(root.join("staged.txt"), "s\n").expect("write");
    git(root, &["add", "staged.txt"]);
    std::fs::write(root.join("README"), "edited\n").expect("write");
    let rns = LocalRns::new(root);
    let n = name("~/c");
    rns.save(&cluster("~/c", 5), false).await.expect("save");
    rns.commit(std::slice::from_ref(&n), "c")
        .await
        .expect("commit");
    assert_eq!(
        git(root, &["show", "--name-only", "--format=", "HEAD"]),
        "rh/c/config.json\n"
    );
    assert_eq!(
        git(root, &["status", "--porcelain"]),
        " M README\nA  staged.txt\n"
    );
}

#[tokio::test]
async fn history_diff_restore_and_commit_refuse_a_symlinked_config() {
    let dir = repo();
    let rns = LocalRns::new(dir.path());
    rns.save(&cluster("~/c", 30), false).await.expect("save");
    rns.commit(&[name("~/c")], "save c").await.expect("commit");
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside.path().join("token.json");
    std::fs::write(&secret, r#"{"resource_type": "blob", "token": "SECRET"}"#).expect("write");
    let link = dir.path().join("rh/c/config.json");
    std::fs::remove_file(&link).expect("rm");
    std::os::unix::fs::symlink(&secret, &link).expect("link");
    let errors = [
        rns.history(&name("~/c"), None).await.expect_err("history"),
        rns.diff(&name("~/c"), None).await.expect_err("diff"),
        rns.restore(&name("~/c"), "HEAD")
            .await
            .expect_err("restore"),
        rns.commit(&[name("~/c")], "leak")
            .await
            .expect_err("commit"),
    ];
    for err in errors {
        let text = crate::chain(&err);
        assert!(
            text.contains(&link.display().to_string()) && text.contains("symbolic link"),
            "{text}"
        );
        assert!(!text.contains("SECRET"));
    }
    assert!(
        std::fs::read_to_string(&secret)
            .expect("read")
            .contains("SECRET")
    );
    assert!(!git(dir.path(), &["log", "--format=%s"]).contains("leak"));
}
