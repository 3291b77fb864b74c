//! `rh secrets …`: the real binary on real files in a temp HOME, and the providers' own tools reading
//! what rh wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rh_test::{CliTest, mode, stderr, stdout};

fn t() -> CliTest {
    CliTest::new(env!("CARGO_BIN_EXE_rh"))
}

fn fails(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    stderr(out)
}

#[test]
fn providers_start_with_runhouses_eight_and_agree_with_status() {
    let t = t();
    let names: Vec<String> = t
        .ok(["secrets", "providers"])
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        names[..8],
        [
            "aws",
            "azure",
            "gcp",
            "huggingface",
            "lambda",
            "sky",
            "ssh",
            "github"
        ]
    );
    for added in ["openai", "wandb", "kubernetes", "docker"] {
        assert!(names.iter().any(|n| n == added), "{added}: {names:?}");
    }
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(["secrets", "providers", "--json"])).unwrap();
    let status: serde_json::Value =
        serde_json::from_str(&t.ok(["secrets", "status", "--json"])).unwrap();
    let json_names = |v: &serde_json::Value, key: &str| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p[key].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(json_names(&v, "name"), names);
    assert_eq!(json_names(&status, "provider"), names);
    for p in v.as_array().unwrap() {
        assert!(!p["paths"].as_array().unwrap().is_empty(), "{p}");
    }
    let openai = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "openai")
        .unwrap();
    assert_eq!(openai["env_vars"], serde_json::json!(["OPENAI_API_KEY"]));
    assert_eq!(
        openai["paths"][0],
        t.home()
            .join(".rh/secrets/openai.json")
            .display()
            .to_string()
    );
    assert_eq!(v[0]["name"], "aws");
    assert_eq!(
        v[0]["keys"],
        serde_json::json!(["access_key", "secret_key"])
    );
    assert_eq!(
        v[0]["env_vars"],
        serde_json::json!(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
    );
    assert_eq!(
        v[0]["paths"][0],
        t.home().join(".aws/credentials").display().to_string()
    );
}

#[test]
fn save_show_status_delete_round_trip() {
    let t = t();
    let out = t.run([
        "secrets",
        "save",
        "aws",
        "access_key=AKIAIOSFODNN7EXAMPLE",
        "secret_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("WARNING"), "{}", stderr(&out));
    assert_eq!(mode(&t.home().join(".aws/credentials")), 0o600);
    assert_eq!(
        t.ok(["secrets", "show", "aws"]),
        "access_key: AKIA************\nsecret_key: wJal************\n"
    );
    assert_eq!(
        t.ok(["secrets", "show", "aws", "--reveal"]),
        "access_key: AKIAIOSFODNN7EXAMPLE\nsecret_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    );
    let v: serde_json::Value =
        serde_json::from_str(&t.ok(["secrets", "show", "aws", "--json"])).unwrap();
    assert_eq!(v["source"], "file");
    assert_eq!(v["values"]["access_key"], "AKIA************");

    let status: serde_json::Value =
        serde_json::from_str(&t.ok(["secrets", "status", "--json"])).unwrap();
    assert_eq!(status[0]["provider"], "aws");
    assert_eq!(status[0]["configured"], true);
    assert_eq!(status[0]["source"], "file");
    assert_eq!(status[1]["configured"], false);
    let table = t.ok(["secrets", "status"]);
    assert!(
        table.starts_with(
            "PROVIDER     CONFIGURED  SOURCE REASON\naws          yes         file   "
        ),
        "{table}"
    );

    // Without --yes nothing is deleted.
    let err = fails(&t.run(["secrets", "delete-local", "aws"]));
    assert!(
        err.contains("nothing deleted; pass --yes to delete"),
        "{err}"
    );
    assert!(t.home().join(".aws/credentials").exists());
    t.ok(["secrets", "delete-local", "aws", "--yes"]);
    assert!(!t.home().join(".aws/credentials").exists());
    let err = fails(&t.run(["secrets", "show", "aws"]));
    assert!(err.contains("error: no aws secrets found: no "), "{err}");
}

#[test]
fn save_from_json_stdin_env_and_files() {
    let t = t();
    let out = t.run_stdin(
        ["secrets", "save", "--from-json", "-"],
        r#"{"lambda": {"api_key": "lambda-key"}, "huggingface": {"token": "hf_token"}}"#,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(t.home().join(".lambda_cloud/lambda_keys")).unwrap(),
        "api_key = lambda-key\n"
    );
    assert_eq!(
        std::fs::read_to_string(t.home().join(".cache/huggingface/token")).unwrap(),
        "hf_token"
    );
    let json = t.work_dir().join("gcp.json");
    std::fs::write(&json, r#"{"client_id": "cid", "client_secret": "cs"}"#).unwrap();
    t.ok([
        "secrets",
        "save",
        "gcp",
        "--from-json",
        json.to_str().unwrap(),
    ]);
    assert!(
        t.home()
            .join(".config/gcloud/application_default_credentials.json")
            .is_file()
    );

    let mut t2 = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t2.env("GH_TOKEN", "gho_from_env");
    t2.ok(["secrets", "save", "github", "--from-env"]);
    assert_eq!(
        std::fs::read_to_string(t2.home().join(".config/gh/hosts.yml")).unwrap(),
        "github.com:\n  oauth_token: gho_from_env\n"
    );
    let err = fails(&t.run(["secrets", "save", "aws", "--from-env"]));
    assert!(
        err.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set"),
        "{err}"
    );
    let err = fails(&t.run(["secrets", "save", "lambda", "--from-env"]));
    assert!(
        err.contains("lambda secrets cannot be read from environment variables"),
        "{err}"
    );

    // key=@FILE reads a value from a file.
    let key = t.work_dir().join("k");
    std::fs::write(&key, "PRIVATE KEY\n").unwrap();
    let pubk = t.work_dir().join("k.pub");
    std::fs::write(&pubk, "ssh-ed25519 AAAA test\n").unwrap();
    t.ok([
        "secrets",
        "save",
        "sky",
        &format!("ssh_private_key=@{}", key.display()),
        &format!("ssh_public_key=@{}", pubk.display()),
    ]);
    assert_eq!(
        std::fs::read_to_string(t.home().join(".ssh/sky-key")).unwrap(),
        "PRIVATE KEY\n"
    );
}

#[test]
fn bad_input_is_one_clear_line_and_writes_nothing() {
    let t = t();
    let err = fails(&t.run(["secrets", "save", "snowflake", "password=x"]));
    let builtin: Vec<String> = t
        .ok(["secrets", "providers"])
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        err,
        format!(
            "error: unknown provider `snowflake`; the builtin providers are {}\n",
            builtin.join(", ")
        )
    );
    let err = fails(&t.run(["secrets", "save", "aws", "access_key=A"]));
    assert_eq!(
        err,
        "error: aws secrets lack the key `secret_key` (expected access_key and secret_key)\n"
    );
    let err = fails(&t.run(["secrets", "save", "aws", "access_key"]));
    assert_eq!(err, "error: argument 1 is not KEY=VALUE (it has no `=`)\n");
    let err = fails(&t.run_stdin(["secrets", "save", "--from-json", "-"], "{nope"));
    assert!(
        err.starts_with("error: invalid secrets input: stdin is not valid JSON (line 1"),
        "{err}"
    );
    // A bare name that is no provider's is a named secret's (issue 18).
    let err = fails(&t.run(["secrets", "show", "nope"]));
    assert_eq!(err, "error: no secret named `~/nope`\n");
    let names: Vec<_> = std::fs::read_dir(t.home()).unwrap().collect();
    assert!(names.is_empty(), "nothing written: {names:?}");

    let creds = t.home().join(".aws/credentials");
    std::fs::create_dir_all(creds.parent().unwrap()).unwrap();
    std::fs::write(&creds, "[default]\nnot an ini line\n").unwrap();
    let err = fails(&t.run(["secrets", "save", "aws", "access_key=A", "secret_key=B"]));
    assert_eq!(
        err,
        format!(
            "error: {}:2: expected `[section]` or `key = value`\n",
            creds.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&creds).unwrap(),
        "[default]\nnot an ini line\n"
    );
}

#[test]
fn warning_only_for_really_incomplete_providers() {
    let t = t();
    let out = t.run(["secrets", "save", "lambda", "api_key=k"]);
    assert!(!stderr(&out).contains("WARNING"), "{}", stderr(&out));
    let out = t.run(["secrets", "save", "ssh", "id_deploy=PRIVATE"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("Received secrets [ssh] which rh did not auto-detect as configured."),
        "{}",
        stderr(&out)
    );
    let out = t.run([
        "secrets",
        "save",
        "ssh",
        "id_deploy=OTHER",
        "id_deploy.pub=ssh-ed25519 X",
    ]);
    assert!(stderr(&out).contains("WARNING | "), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Key id_deploy already exists, skipping."),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(t.home().join(".ssh/id_deploy")).unwrap(),
        "PRIVATE\n"
    );
    t.ok([
        "secrets",
        "save",
        "ssh",
        "id_deploy=OTHER",
        "id_deploy.pub=ssh-ed25519 X",
        "--force",
    ]);
    assert_eq!(
        std::fs::read_to_string(t.home().join(".ssh/id_deploy")).unwrap(),
        "OTHER\n"
    );
    assert_eq!(
        std::fs::read_to_string(t.home().join(".ssh/id_deploy.bak")).unwrap(),
        "PRIVATE\n"
    );
}

const SENTINEL: &str = "rhSENTINELq7w3zz";

/// Every secrets command, with sentinel values everywhere, prints no sentinel (except `--reveal`).
#[test]
fn no_command_leaks_a_sentinel() {
    let mut t = t();
    let s = SENTINEL;
    let pairs: &[(&str, Vec<String>)] = &[
        (
            "aws",
            vec![format!("access_key=AKIA{s}"), format!("secret_key={s}")],
        ),
        ("azure", vec![format!("subscription_id={s}")]),
        (
            "gcp",
            vec![format!("client_id={s}"), format!("client_secret={s}")],
        ),
        ("huggingface", vec![format!("token=hf_{s}")]),
        ("lambda", vec![format!("api_key={s}")]),
        (
            "sky",
            vec![
                format!("ssh_private_key={s}"),
                format!("ssh_public_key=ssh-ed25519 {s}"),
            ],
        ),
        (
            "ssh",
            vec![
                format!("id_test={s}"),
                format!("id_test.pub=ssh-ed25519 {s}"),
            ],
        ),
        ("github", vec![format!("token=gho_{s}")]),
    ];
    let mut outputs: Vec<(String, Output)> = Vec::new();
    let mut record = |t: &CliTest, args: Vec<String>| {
        let out = t.run(&args);
        outputs.push((args.join(" "), out));
    };
    for (provider, values) in pairs {
        let mut args = vec![
            "-v".to_owned(),
            "secrets".to_owned(),
            "save".to_owned(),
            (*provider).to_owned(),
        ];
        args.extend(values.iter().cloned());
        record(&t, args);
        // Saving again hits the "already exists" and merge paths.
        let mut again = vec![
            "-vv".to_owned(),
            "secrets".to_owned(),
            "save".to_owned(),
            (*provider).to_owned(),
        ];
        again.extend(values.iter().map(|v| v.replace(s, &format!("{s}2"))));
        record(&t, again);
        for show in [vec!["show"], vec!["show", "--json"]] {
            let mut args: Vec<String> = vec!["-vv".into(), "secrets".into()];
            args.extend(show.iter().map(|a| (*a).to_owned()));
            args.insert(3, (*provider).to_owned());
            record(&t, args);
        }
        // Errors: a missing key, an unknown key, bad JSON holding the sentinel.
        record(
            &t,
            vec![
                "secrets".into(),
                "save".into(),
                (*provider).into(),
                format!("nokey{s}"),
            ],
        );
        record(
            &t,
            vec![
                "secrets".into(),
                "save".into(),
                (*provider).into(),
                format!("zz={s}"),
            ],
        );
    }
    record(
        &t,
        vec![
            "secrets".into(),
            "save".into(),
            "snowflake".into(),
            format!("password={s}"),
        ],
    );
    for args in [
        vec!["secrets", "providers"],
        vec!["secrets", "providers", "--json"],
        vec!["secrets", "status"],
        vec!["-vv", "secrets", "status", "--json"],
        vec!["-vv", "config", "list"],
        vec![
            "-vv",
            "secrets",
            "delete-local",
            "aws",
            "azure",
            "gcp",
            "huggingface",
            "lambda",
            "sky",
            "ssh",
            "github",
        ],
    ] {
        record(&t, args.into_iter().map(str::to_owned).collect());
    }
    // Malformed files that hold the sentinel.
    std::fs::write(
        t.home().join(".aws/credentials"),
        format!("[default]\n{s}\n"),
    )
    .unwrap();
    std::fs::create_dir_all(t.home().join(".config/gh")).unwrap();
    std::fs::write(
        t.home().join(".config/gh/hosts.yml"),
        format!("github.com: [{s}\n"),
    )
    .unwrap();
    t.env("AWS_ACCESS_KEY_ID", format!("AKIA{s}"));
    t.env("AWS_SECRET_ACCESS_KEY", s);
    for args in [
        vec!["-vv", "secrets", "status"],
        vec!["secrets", "show", "aws"],
        vec!["secrets", "show", "github"],
        vec!["secrets", "save", "aws", "--from-env"],
        vec!["secrets", "save", "github", "token=x"],
        vec!["secrets", "delete-local", "aws", "github", "--yes"],
    ] {
        record(&t, args.into_iter().map(str::to_owned).collect());
    }
    let json_in = t.work_dir().join("in.json");
    std::fs::write(&json_in, format!("{{\"aws\": {{\"access_key\": 1{s}}}}}")).unwrap();
    record(
        &t,
        vec![
            "secrets".into(),
            "save".into(),
            "--from-json".into(),
            json_in.display().to_string(),
        ],
    );

    assert!(outputs.len() > 50);
    let shows_ok = outputs
        .iter()
        .filter(|(cmd, out)| cmd.contains(" show ") && out.status.success())
        .count();
    assert_eq!(
        shows_ok, 16,
        "every provider was saved and shown, masked and as JSON"
    );
    for (cmd, out) in &outputs {
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains(s),
                "`rh {cmd}` leaked the sentinel on {stream}: {text}"
            );
        }
    }
    // --reveal is the one place it shows.
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t.env("HF_TOKEN", format!("hf_{s}"));
    assert!(
        t.ok(["secrets", "show", "huggingface", "--reveal"])
            .contains(s)
    );
}

// ---------- the providers' own tools read what rh wrote ----------

/// The tool from `var` (set by `start_tools` in `.ci/services.sh`), else `name` on PATH. A missing
/// `required` tool is a failure when the integration services are up (CI), a skip otherwise; `gh` is
/// optional because it comes from apt, which may not be reachable.
fn tool(var: &str, name: &str, required: bool) -> Option<PathBuf> {
    if let Some(p) = rh_test::service_env(var) {
        return Some(PathBuf::from(p));
    }
    let found = rh_test::service_env("PATH").and_then(|path| {
        path.split(':')
            .map(|d| Path::new(d).join(name))
            .find(|p| p.is_file())
    });
    assert!(
        found.is_some() || !required || !rh_test::integration(),
        "{var} is not set and {name} is not on PATH; `cargo xtask test` installs it (start_tools)"
    );
    found
}

fn run_tool(program: &Path, t: &CliTest, args: &[&str], envs: &[(&str, &Path)]) -> String {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", rh_test::service_env("PATH").unwrap_or_default())
        .env("HOME", t.home())
        .args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the tool");
    assert!(
        out.status.success(),
        "{} {args:?} failed: {}",
        program.display(),
        stderr(&out)
    );
    stdout(&out)
}

#[test]
fn aws_cli_reads_our_key_and_keeps_the_other_profile() {
    let Some(aws) = tool("RH_TEST_AWS", "aws", true) else {
        return;
    };
    let t = t();
    let creds = t.home().join(".aws/credentials");
    std::fs::create_dir_all(creds.parent().unwrap()).unwrap();
    std::fs::write(&creds, "# team profile\n[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = worksecret\n").unwrap();
    t.ok([
        "secrets",
        "save",
        "aws",
        "access_key=AKIAOURS",
        "secret_key=oursecret",
    ]);
    let env = [("AWS_SHARED_CREDENTIALS_FILE", creds.as_path())];
    assert_eq!(
        run_tool(&aws, &t, &["configure", "get", "aws_access_key_id"], &env),
        "AKIAOURS\n"
    );
    assert_eq!(
        run_tool(
            &aws,
            &t,
            &["configure", "get", "aws_secret_access_key"],
            &env
        ),
        "oursecret\n"
    );
    assert_eq!(
        run_tool(
            &aws,
            &t,
            &["configure", "get", "aws_access_key_id", "--profile", "work"],
            &env
        ),
        "AKIAWORK\n"
    );
    // And with only HOME pointing at the temp home.
    assert_eq!(
        run_tool(&aws, &t, &["configure", "get", "aws_access_key_id"], &[]),
        "AKIAOURS\n"
    );
}

#[test]
fn huggingface_hub_reads_our_token() {
    let Some(python) = tool("RH_TEST_PYTHON", "python3", true) else {
        return;
    };
    let t = t();
    // Only meaningful where huggingface_hub is installed: the tools venv always has it.
    let probe = Command::new(&python)
        .args(["-c", "import huggingface_hub"])
        .output()
        .expect("run python");
    if !probe.status.success() {
        assert!(
            !rh_test::integration(),
            "{} cannot import huggingface_hub",
            python.display()
        );
        return;
    }
    t.ok(["secrets", "save", "huggingface", "token=hf_ours123"]);
    assert_eq!(
        run_tool(
            &python,
            &t,
            &[
                "-c",
                "import huggingface_hub; print(huggingface_hub.get_token())"
            ],
            &[]
        ),
        "hf_ours123\n"
    );
}

#[test]
fn ssh_keygen_accepts_a_pair_saved_through_rh() {
    let Some(keygen) = tool("RH_TEST_SSH_KEYGEN", "ssh-keygen", true) else {
        return;
    };
    let t = t();
    let key = t.work_dir().join("gen");
    let out = Command::new(&keygen)
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rh-test", "-f"])
        .arg(&key)
        .output()
        .expect("run ssh-keygen");
    assert!(out.status.success(), "{}", stderr(&out));
    let private = format!("id_mykey=@{}", key.display());
    let public = format!("id_mykey.pub=@{}.pub", key.display());
    t.ok(["secrets", "save", "ssh", &private, &public]);
    let saved = t.home().join(".ssh/id_mykey");
    assert_eq!(mode(&saved), 0o600);
    let derived = run_tool(&keygen, &t, &["-y", "-f", saved.to_str().unwrap()], &[]);
    let expected = std::fs::read_to_string(t.home().join(".ssh/id_mykey.pub")).unwrap();
    let fields = |s: &str| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(fields(&derived), fields(&expected));
    // The same pair as the sky key.
    let private = format!("ssh_private_key=@{}", key.display());
    let public = format!("ssh_public_key=@{}.pub", key.display());
    t.ok(["secrets", "save", "sky", &private, &public]);
    let derived = run_tool(
        &keygen,
        &t,
        &["-y", "-f", t.home().join(".ssh/sky-key").to_str().unwrap()],
        &[],
    );
    assert_eq!(fields(&derived), fields(&expected));
}

#[test]
fn gh_reads_our_token() {
    let Some(gh) = tool("RH_TEST_GH", "gh", false) else {
        return;
    };
    let t = t();
    let dir = t.home().join("ghconf");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hosts.yml"),
        "ghe.corp.com:\n    oauth_token: corp\n    user: me\n",
    )
    .unwrap();
    let mut t = t;
    t.env("GH_CONFIG_DIR", &dir);
    t.ok(["secrets", "save", "github", "token=gho_ours"]);
    let env = [("GH_CONFIG_DIR", dir.as_path())];
    assert_eq!(run_tool(&gh, &t, &["auth", "token"], &env), "gho_ours\n");
    assert_eq!(
        run_tool(
            &gh,
            &t,
            &["auth", "token", "--hostname", "ghe.corp.com"],
            &env
        ),
        "corp\n"
    );
}

/// The python of the clients venv (`kubernetes`, `docker`, `openai`; `start_tools`), else python3 on PATH
/// when it imports `module`. Under integration runs a missing one is a failure.
fn client_python(module: &str) -> Option<PathBuf> {
    let python = match rh_test::service_env("RH_TEST_CLIENTS_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => tool("RH_TEST_PYTHON", "python3", true)?,
    };
    let probe = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .expect("run python");
    if !probe.status.success() {
        assert!(
            !rh_test::integration(),
            "{} cannot import {module}; `cargo xtask test` installs it (start_tools, RH_TEST_CLIENTS_PYTHON)",
            python.display()
        );
        return None;
    }
    Some(python)
}

const KUBE_TEAM: &str = "apiVersion: v1
kind: Config
clusters:
- name: team
  cluster:
    server: https://team.example:6443
    insecure-skip-tls-verify: true
contexts:
- name: team
  context:
    cluster: team
    user: team-admin
    namespace: payments
users:
- name: team-admin
  user:
    token: team-token
current-context: team
";

fn kube_pairs(server: &str, token: &str) -> [String; 3] {
    [
        r#"context={"name":"dev","context":{"cluster":"dev-cluster","user":"dev-user","namespace":"ml"}}"#.to_owned(),
        format!(r#"cluster={{"name":"dev-cluster","cluster":{{"server":"{server}"}}}}"#),
        format!(r#"user={{"name":"dev-user","user":{{"token":"{token}"}}}}"#),
    ]
}

#[test]
fn kubectl_and_the_kubernetes_client_read_our_context_and_keep_the_others() {
    let Some(kubectl) = tool("RH_TEST_KUBECTL", "kubectl", true) else {
        return;
    };
    let Some(python) = client_python("kubernetes") else {
        return;
    };
    let mut t = t();
    let config = t.home().join("kube/config");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, KUBE_TEAM).unwrap();
    t.env("KUBECONFIG", &config);
    let save = |t: &CliTest, extra: &[&str], server: &str, token: &str| {
        let pairs = kube_pairs(server, token);
        let mut args = vec!["secrets", "save", "kubernetes"];
        args.extend(pairs.iter().map(String::as_str));
        args.extend(extra);
        t.ok(args);
    };
    save(&t, &[], "https://127.0.0.1:6443", "dev-token");
    assert_eq!(mode(&config), 0o600);
    let env = [("KUBECONFIG", config.as_path())];
    let view = |t: &CliTest| -> serde_json::Value {
        serde_json::from_str(&run_tool(
            &kubectl,
            t,
            &["config", "view", "--raw", "-o", "json"],
            &env,
        ))
        .unwrap()
    };
    let v = view(&t);
    assert_eq!(v["current-context"], "team", "changed without the flag");
    let by_name = |v: &serde_json::Value, list: &str, name: &str| -> serde_json::Value {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {list}: {v}"))
    };
    // The team entries are intact, ours are there.
    assert_eq!(
        by_name(&v, "contexts", "team")["context"],
        serde_json::json!({"cluster": "team", "user": "team-admin", "namespace": "payments"})
    );
    assert_eq!(
        by_name(&v, "users", "team-admin")["user"]["token"],
        "team-token"
    );
    assert_eq!(
        by_name(&v, "clusters", "team")["cluster"]["server"],
        "https://team.example:6443"
    );
    assert_eq!(
        by_name(&v, "clusters", "dev-cluster")["cluster"]["server"],
        "https://127.0.0.1:6443"
    );
    assert_eq!(
        run_tool(
            &kubectl,
            &t,
            &["config", "get-contexts", "-o", "name"],
            &env
        ),
        "dev\nteam\n"
    );
    let load = r#"
import sys
from kubernetes import client, config
config.load_kube_config(context=sys.argv[1] if len(sys.argv) > 1 else None)
c = client.Configuration.get_default_copy()
print(c.host, c.api_key.get("BearerToken") or c.api_key.get("authorization"))
"#;
    assert_eq!(
        run_tool(&python, &t, &["-c", load, "dev"], &env),
        "https://127.0.0.1:6443 Bearer dev-token\n"
    );
    assert_eq!(
        run_tool(&python, &t, &["-c", load], &env),
        "https://team.example:6443 Bearer team-token\n"
    );

    // Saving again replaces our entries by name; --set-current-context makes dev kubectl's context.
    save(
        &t,
        &["--set-current-context"],
        "https://127.0.0.1:7443",
        "dev-token-2",
    );
    let v = view(&t);
    assert_eq!(v["current-context"], "dev");
    assert_eq!(v["contexts"].as_array().unwrap().len(), 2);
    assert_eq!(v["users"].as_array().unwrap().len(), 2);
    assert_eq!(
        run_tool(&kubectl, &t, &["config", "current-context"], &env),
        "dev\n"
    );
    assert_eq!(
        run_tool(&python, &t, &["-c", load], &env),
        "https://127.0.0.1:7443 Bearer dev-token-2\n"
    );
    assert_eq!(
        by_name(&v, "users", "team-admin")["user"]["token"],
        "team-token"
    );
}

#[test]
fn the_docker_sdk_reads_our_login_and_the_rest_of_the_config() {
    let Some(python) = client_python("docker") else {
        return;
    };
    let mut t = t();
    let dir = t.home().join("dockercfg");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {\n\t\t\t\"auth\": \"aHViOmh1YnB3\"\n\t\t}\n\t},\n\t\"credHelpers\": {\"gcr.io\": \"gcloud\"},\n\t\"psFormat\": \"table {{.ID}}\"\n}\n",
    )
    .unwrap();
    t.env("DOCKER_CONFIG", &dir);
    t.ok([
        "secrets",
        "save",
        "docker",
        "username=me",
        "password=s3cr:et",
        "server=ghcr.io",
    ]);
    assert_eq!(mode(&dir.join("config.json")), 0o600);
    let read = r#"
import docker.auth
cfg = docker.auth.load_config()
for server in sorted(cfg.auths):
    a = cfg.auths[server]
    print(server, a["username"], a["password"])
print(cfg.cred_helpers)
print(docker.auth.resolve_authconfig(cfg, "ghcr.io")["password"])
"#;
    assert_eq!(
        run_tool(
            &python,
            &t,
            &["-c", read],
            &[("DOCKER_CONFIG", dir.as_path())]
        ),
        "ghcr.io me s3cr:et\nhttps://index.docker.io/v1/ hub hubpw\n{'gcr.io': 'gcloud'}\ns3cr:et\n"
    );
    let text = std::fs::read_to_string(dir.join("config.json")).unwrap();
    assert!(text.contains("\"psFormat\": \"table {{.ID}}\""), "{text}");
}
