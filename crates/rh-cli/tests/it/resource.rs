//! `rh resource …` and `rh cluster …` on real working dirs and git repositories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rh_test::{CliTest, stderr, stdout};

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

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

/// A test whose work dir is a git repository with an identity.
fn repo_test() -> CliTest {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    git(&t.work_dir(), &["init", "-q"]);
    git(&t.work_dir(), &["config", "user.name", "Ada Tester"]);
    git(&t.work_dir(), &["config", "user.email", "ada@example.com"]);
    t
}

/// A test whose work dir is a plain project (a `pyproject.toml`, no git).
fn plain_test() -> CliTest {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    std::fs::write(t.work_dir().join("pyproject.toml"), "").expect("write");
    t
}

fn fail(t: &CliTest, args: &[&str]) -> String {
    let out = t.run(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1: {}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "no data on failure");
    let err = stderr(&out);
    let last = err.lines().last().expect("an error line").to_owned();
    assert!(last.starts_with("error: "), "{err}");
    last
}

fn config_path(t: &CliTest, name: &str) -> PathBuf {
    t.work_dir().join("rh").join(name).join("config.json")
}

fn run_in(t: &CliTest, cwd: &Path, args: &[&str]) -> Output {
    t.command()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("spawn rh")
}

#[test]
fn tutorial_cluster_create_show_load() {
    let t = plain_test();
    t.ok(["config", "set", "default_autostop", "30"]);
    // The shell expands an unquoted `~/aws_cluster` to `$HOME/aws_cluster`; rh takes it back.
    let expanded = format!("{}/aws_cluster", t.home().display());
    let out = t.run([
        "cluster",
        "create",
        &expanded,
        "--instance-type",
        "V100:1",
        "--provider",
        "aws",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = config_path(&t, "aws_cluster");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), TUTORIAL);
    assert!(
        stderr(&out).contains("INFO | ")
            && stderr(&out).contains(&format!(
                "Saving config for ~/aws_cluster to: {}",
                path.display()
            )),
        "{}",
        stderr(&out)
    );

    let out = t.run(["resource", "show", "~/aws_cluster", "--json"]);
    assert!(out.status.success());
    assert_eq!(stdout(&out), format!("{TUTORIAL}\n"));
    assert!(stderr(&out).contains(&format!(
        "Loading config from local file {}",
        path.display()
    )));

    let shown = t.ok(["resource", "show", "~/aws_cluster"]);
    assert!(
        shown.starts_with("name: ~/aws_cluster\ntype: cluster/OnDemandCluster\nfile: "),
        "{shown}"
    );
    assert!(shown.contains("\ninstance_type: V100:1\n"), "{shown}");
    assert!(shown.contains("\nautostop_mins: 30\n"), "{shown}");

    // A second create without --overwrite leaves the file alone.
    let err = fail(
        &t,
        &[
            "cluster",
            "create",
            "~/aws_cluster",
            "--instance-type",
            "A100:8",
        ],
    );
    assert_eq!(
        err,
        "error: resource ~/aws_cluster already exists (pass overwrite to replace it)"
    );
    assert_eq!(std::fs::read_to_string(&path).expect("read"), TUTORIAL);

    // keep-warm changes only the autostop.
    t.ok([
        "cluster",
        "keep-warm",
        "~/aws_cluster",
        "--autostop-mins",
        "60",
    ]);
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        TUTORIAL.replace("\"autostop_mins\": 30", "\"autostop_mins\": 60")
    );
}

#[test]
fn use_spot_setting_applies() {
    let t = plain_test();
    t.ok(["config", "set", "use_spot", "true"]);
    t.ok(["config", "set", "default_provider", "gcp"]);
    t.ok(["cluster", "create", "~/spot", "--instance-type", "A100:1"]);
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(["resource", "show", "~/spot", "--json"])).expect("json");
    assert_eq!(v["use_spot"], true);
    assert_eq!(v["provider"], "gcp");
    assert_eq!(v["autostop_mins"], -1);
    t.ok([
        "cluster",
        "create",
        "~/nospot",
        "--instance-type",
        "A100:1",
        "--no-spot",
    ]);
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(["resource", "show", "~/nospot", "--json"])).expect("json");
    assert_eq!(v["use_spot"], false);
}

#[test]
fn save_from_json_round_trips_runhouse_files() {
    let t = plain_test();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rh-rns/tests/fixtures");
    for (name, file) in [
        ("~/gpu", "sky_cluster"),
        ("~/byo", "byo_cluster"),
        ("~/data/folder", "data_folder"),
        ("~/my_fn", "function"),
    ] {
        let src = fixtures.join(format!("{file}.json"));
        t.ok([
            "resource",
            "save",
            name,
            "--from-json",
            src.to_str().expect("utf8"),
        ]);
        let saved = config_path(&t, name.trim_start_matches("~/"));
        assert_eq!(
            std::fs::read(&saved).expect("read"),
            std::fs::read(&src).expect("read"),
            "{file}"
        );
    }
    // Without a NAME, the file's own name is used.
    let src = fixtures.join("my_blob.json");
    t.ok([
        "resource",
        "save",
        "--from-json",
        src.to_str().expect("utf8"),
    ]);
    assert_eq!(
        std::fs::read(config_path(&t, "my_blob")).expect("read"),
        std::fs::read(&src).expect("read")
    );
    // Bad input files: one line, nothing written.
    let bad = t.root().join("bad.json");
    std::fs::write(&bad, "[1, 2]").expect("write");
    let err = fail(
        &t,
        &[
            "resource",
            "save",
            "~/bad",
            "--from-json",
            bad.to_str().expect("utf8"),
        ],
    );
    assert!(err.ends_with("bad.json: expected a JSON object"), "{err}");
    std::fs::write(
        &bad,
        r#"{"resource_type": "cluster", "resource_subtype": "Nope"}"#,
    )
    .expect("write");
    let err = fail(
        &t,
        &[
            "resource",
            "save",
            "~/bad",
            "--from-json",
            bad.to_str().expect("utf8"),
        ],
    );
    assert!(err.contains("unknown cluster type `Nope`"), "{err}");
    assert!(!config_path(&t, "bad").exists());
}

#[test]
fn ls_mv_rm_locate() {
    let t = plain_test();
    for n in ["~/a", "~/team/b", "~/team/deep/c"] {
        t.ok(["cluster", "create", n, "--instance-type", "CPU:2"]);
    }
    assert_eq!(t.ok(["resource", "ls"]), "~/a  cluster/OnDemandCluster\n");
    assert_eq!(
        t.ok(["resource", "ls", "--recursive"]),
        "~/a            cluster/OnDemandCluster\n~/team/b       cluster/OnDemandCluster\n~/team/deep/c  cluster/OnDemandCluster\n"
    );
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(["resource", "ls", "~/team", "--json"])).expect("json");
    assert_eq!(
        v,
        serde_json::json!([{"name": "~/team/b", "resource_type": "cluster", "resource_subtype": "OnDemandCluster"}])
    );

    t.ok(["resource", "mv", "~/team/b", "~/moved"]);
    assert!(!config_path(&t, "team/b").exists());
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(["resource", "show", "~/moved", "--json"])).expect("json");
    assert_eq!(v["name"], "~/moved");
    // The nested resource stayed where it was.
    assert!(config_path(&t, "team/deep/c").exists());

    assert_eq!(
        t.ok(["resource", "locate", "~/moved"]),
        format!("{}\n", config_path(&t, "moved").display())
    );
    assert_eq!(
        t.ok(["resource", "locate", "~"]),
        format!("{}\n", t.work_dir().join("rh").display())
    );

    t.ok(["resource", "rm", "~/moved"]);
    assert!(!t.work_dir().join("rh/moved").exists(), "empty dir pruned");
    assert_eq!(
        fail(&t, &["resource", "rm", "~/moved"]),
        "error: resource ~/moved not found"
    );
    assert_eq!(
        fail(&t, &["resource", "show", "~/moved"]),
        "error: resource ~/moved not found"
    );
}

#[test]
fn corrupt_configs() {
    let t = plain_test();
    t.ok(["cluster", "create", "~/good", "--instance-type", "CPU:2"]);
    for (name, text, reason) in [
        ("bad_json", "{oops", "not valid JSON"),
        (
            "array",
            "[]",
            "expected a JSON object, found an empty array",
        ),
        ("empty", "{}", "`resource_type` is missing"),
        (
            "nosub",
            r#"{"resource_type": "cluster"}"#,
            "`resource_subtype` is missing for a cluster",
        ),
    ] {
        let path = config_path(&t, name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        let err = fail(&t, &["resource", "show", &format!("~/{name}")]);
        assert!(
            err.starts_with(&format!(
                "error: invalid resource config {}: {reason}",
                path.display()
            )),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            text,
            "not rewritten"
        );
    }
    let out = t.run(["resource", "ls"]);
    assert!(out.status.success());
    // Listing reads records only: the subtype problem is found when the resource is loaded.
    assert_eq!(
        stdout(&out),
        "~/good   cluster/OnDemandCluster\n~/nosub  cluster\n"
    );
    let err = stderr(&out);
    let warnings: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("WARNING | "))
        .collect();
    assert_eq!(warnings.len(), 3, "{}", stderr(&out));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("rh/bad_json/config.json: not valid JSON"))
    );
}

#[test]
fn bad_names_are_rejected() {
    let t = plain_test();
    for (name, reason) in [
        ("~/a/../b", "`.` and `..` are not allowed inside a name"),
        ("~//a", "it has an empty segment"),
        ("~/a\u{1}", "it contains a control character"),
        ("/tmp/x", "it looks like a filesystem path"),
    ] {
        let err = fail(&t, &["cluster", "create", name, "--instance-type", "CPU:1"]);
        assert!(err.starts_with("error: invalid resource name `"), "{err}");
        assert!(err.contains(reason), "{err}");
    }
    let err = fail(&t, &["resource", "show", "/alice/x"]);
    assert!(err.contains("remote"), "{err}");
    assert!(!t.work_dir().join("rh").exists(), "nothing written");
}

#[test]
fn git_history_diff_restore_commit() {
    let t = repo_test();
    let work = t.work_dir();
    t.ok(["config", "set", "default_autostop", "30"]);
    t.ok([
        "cluster",
        "create",
        "~/aws_cluster",
        "--instance-type",
        "V100:1",
        "--provider",
        "aws",
        "--commit",
    ]);
    t.ok([
        "cluster",
        "keep-warm",
        "~/aws_cluster",
        "--autostop-mins",
        "90",
        "--commit",
        "-m",
        "keep it warm",
    ]);
    assert_eq!(git(&work, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&work, &["log", "--format=%s"]),
        "keep it warm\nrh: save ~/aws_cluster\n"
    );

    let history = t.ok(["resource", "history", "~/aws_cluster"]);
    let lines: Vec<&str> = history.lines().collect();
    assert_eq!(lines.len(), 2, "{history}");
    assert!(
        lines[0].ends_with(
            "Ada Tester <ada@example.com>  changed autostop_mins: 30 -> 90  (keep it warm)"
        ),
        "{history}"
    );
    assert!(
        lines[1].ends_with("created  (rh: save ~/aws_cluster)"),
        "{history}"
    );
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(["resource", "history", "~/aws_cluster", "--json", "-n", "1"]))
            .expect("json");
    assert_eq!(v.as_array().expect("array").len(), 1);
    let first = git(&work, &["rev-list", "--max-parents=0", "HEAD"])
        .trim()
        .to_owned();

    // Uncommitted change shows in diff.
    t.ok([
        "cluster",
        "keep-warm",
        "~/aws_cluster",
        "--autostop-mins",
        "5",
    ]);
    let diff = t.ok(["resource", "diff", "~/aws_cluster"]);
    assert!(
        diff.contains("-    \"autostop_mins\": 90,\n+    \"autostop_mins\": 5,"),
        "{diff}"
    );

    t.ok([
        "resource",
        "restore",
        "~/aws_cluster",
        &first[..7],
        "--commit",
    ]);
    assert_eq!(
        std::fs::read_to_string(config_path(&t, "aws_cluster")).expect("read"),
        TUTORIAL
    );
    assert_eq!(git(&work, &["status", "--porcelain"]), "");
    assert_eq!(t.ok(["resource", "diff", "~/aws_cluster", &first]), "");

    t.ok(["resource", "rm", "~/aws_cluster", "--commit"]);
    assert_eq!(git(&work, &["status", "--porcelain"]), "");
    assert!(
        t.ok(["resource", "history", "~/aws_cluster"])
            .lines()
            .next()
            .expect("line")
            .contains("deleted")
    );
    let err = fail(&t, &["resource", "restore", "~/aws_cluster", "nope"]);
    assert_eq!(
        err,
        "error: revision `nope` does not exist in this repository"
    );
}

#[test]
fn history_outside_git_says_so() {
    let t = plain_test();
    t.ok(["cluster", "create", "~/c", "--instance-type", "CPU:1"]);
    let err = fail(&t, &["resource", "history", "~/c"]);
    assert!(
        err.ends_with("is not inside a git repository, so resource history is not available"),
        "{err}"
    );
    let err = fail(
        &t,
        &[
            "cluster",
            "create",
            "~/d",
            "--instance-type",
            "CPU:1",
            "--commit",
        ],
    );
    assert!(err.contains("not inside a git repository"), "{err}");
}

#[test]
fn working_dir_search_from_nested_dirs() {
    let t = repo_test();
    let deep = t.work_dir().join("src/pkg/deep");
    std::fs::create_dir_all(&deep).expect("mkdir");
    // Neither an rh/ in a subfolder nor one above the repo wins over the repo root (.git comes first).
    std::fs::create_dir_all(t.work_dir().join("src/rh")).expect("mkdir");
    std::fs::create_dir_all(t.root().join("rh")).expect("mkdir");
    let out = run_in(
        &t,
        &deep,
        &["cluster", "create", "~/c", "--instance-type", "CPU:1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(config_path(&t, "c").is_file());
    let out = run_in(&t, &deep, &["resource", "ls"]);
    assert_eq!(stdout(&out), "~/c  cluster/OnDemandCluster\n");
    assert!(!t.root().join("rh/c").exists() && !t.work_dir().join("src/rh/c").exists());

    // RH_WORKDIR overrides the search.
    let mut t2 = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    let elsewhere = t2.root().join("elsewhere");
    t2.env("RH_WORKDIR", &elsewhere);
    t2.ok(["cluster", "create", "~/c", "--instance-type", "CPU:1"]);
    assert!(elsewhere.join("rh/c/config.json").is_file());
}

#[test]
fn repo_inside_home() {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    let proj = t.home().join("code/proj");
    let sub = proj.join("notebooks");
    std::fs::create_dir_all(&sub).expect("mkdir");
    git(&proj, &["init", "-q"]);
    let out = run_in(
        &t,
        &sub,
        &["cluster", "create", "~/c", "--instance-type", "CPU:1"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(proj.join("rh/c/config.json").is_file());
    // Directly in HOME (with no marker below it), the current dir is the working dir.
    let out = run_in(&t, &t.home(), &["resource", "locate", "~"]);
    assert_eq!(stdout(&out), format!("{}\n", t.home().join("rh").display()));
}

#[test]
fn builtins_show_and_are_read_only() {
    let t = plain_test();
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(["resource", "show", "^rh-cpu", "--json"])).expect("json");
    assert_eq!(v["instance_type"], "CPU:1");
    let err = fail(&t, &["resource", "rm", "^rh-cpu"]);
    assert!(err.contains("builtins are read-only"), "{err}");
}

#[test]
fn byo_cluster_stores_a_secret_name() {
    let t = plain_test();
    // As the shell passes an unquoted `~/ssh-byo`.
    let creds = format!("{}/ssh-byo", t.home().display());
    t.ok([
        "cluster",
        "create",
        "~/byo",
        "--ips",
        "10.0.0.1,10.0.0.2",
        "--ssh-creds",
        &creds,
    ]);
    assert_eq!(
        std::fs::read_to_string(config_path(&t, "byo")).expect("read"),
        "{\n    \"name\": \"~/byo\",\n    \"resource_type\": \"cluster\",\n    \"resource_subtype\": \"Cluster\",\n    \"ips\": [\n        \"10.0.0.1\",\n        \"10.0.0.2\"\n    ],\n    \"ssh_creds\": \"~/ssh-byo\"\n}"
    );
    let shown = t.ok(["resource", "show", "~/byo"]);
    assert!(shown.contains("\nssh_creds: ~/ssh-byo\n"), "{shown}");
    let err = fail(&t, &["cluster", "keep-warm", "~/nope"]);
    assert_eq!(err, "error: resource ~/nope not found");
    let out = t.run(["cluster", "keep-warm", "~/byo"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("not an on-demand cluster"),
        "{}",
        stderr(&out)
    );
}
