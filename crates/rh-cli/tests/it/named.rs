//! Named secrets on this machine (`rh secrets create|show|ls|rm|write`, `rh run --secret`) and the local
//! audit trail (`~/.rh/audit.log`, `rh secrets log`): real files, real modes, the real binary.

use rh_test::{mode, stderr, stdout};

use crate::fixtures::rh;

const DB_URL: &str = "postgres://u:db-SENTINEL-pw@127.0.0.1/db";
const OPENAI: &str = "sk-SENTINEL-openai-0123456789";

#[test]
fn create_writes_a_private_runhouse_config_and_show_masks_it() {
    let t = rh();
    t.ok([
        "secrets",
        "create",
        "~/db",
        &format!("DATABASE_URL={DB_URL}"),
    ]);
    let file = t.config_dir().join("secrets/db.json");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&t.config_dir().join("secrets")), 0o700);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["name"], "db");
    assert_eq!(doc["resource_type"], "secret");
    assert_eq!(doc["resource_subtype"], "Secret");
    assert_eq!(doc["values"]["DATABASE_URL"], DB_URL);
    assert!(doc.get("provider").is_none(), "{doc}");

    let shown = t.ok(["secrets", "show", "~/db"]);
    assert_eq!(shown, "DATABASE_URL: post************\n");
    let json: serde_json::Value =
        serde_json::from_str(&t.ok(["secrets", "show", "--name", "db", "--json", "--reveal"]))
            .unwrap();
    assert_eq!(json["name"], "~/db");
    assert_eq!(json["values"]["DATABASE_URL"], DB_URL);

    // A provider secret's class is its subtype; the shell's `$HOME/x` is `~/x`.
    let home_form = format!("{}/oa", t.home().display());
    t.ok([
        "secrets",
        "create",
        &home_form,
        "--provider",
        "openai",
        &format!("api_key={OPENAI}"),
    ]);
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(t.config_dir().join("secrets/oa.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(doc["resource_subtype"], "OpenAISecret");
    assert_eq!(doc["provider"], "openai");
}

#[test]
fn create_refuses_an_existing_name_without_overwrite_and_leaves_the_file() {
    let t = rh();
    t.ok([
        "secrets",
        "create",
        "~/db",
        &format!("DATABASE_URL={DB_URL}"),
    ]);
    let file = t.config_dir().join("secrets/db.json");
    let before = std::fs::read(&file).unwrap();
    let out = t.run(["secrets", "create", "~/db", "DATABASE_URL=other"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim_end(),
        "error: a secret named `~/db` already exists; pass --overwrite to replace it"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);
    t.ok([
        "secrets",
        "create",
        "~/db",
        "DATABASE_URL=other",
        "--overwrite",
    ]);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("\"other\"")
    );
}

#[test]
fn values_from_a_json_file_env_and_provider_file() {
    let t = rh();
    let json = t.work_dir().join("v.json");
    std::fs::write(&json, r#"{"TOKEN": "tok-SENTINEL"}"#).unwrap();
    t.ok(["secrets", "create", "~/a", &format!("@{}", json.display())]);
    let creds = t.work_dir().join("creds");
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = AKIASENTINEL00000009\naws_secret_access_key = s-SENTINEL\n",
    )
    .unwrap();
    t.ok([
        "secrets",
        "create",
        "~/aws-ci",
        "--provider",
        "aws",
        "--from-file",
        creds.to_str().unwrap(),
    ]);
    let mut t2 = rh();
    t2.env("OPENAI_API_KEY", OPENAI);
    t2.ok([
        "secrets",
        "create",
        "~/o",
        "--provider",
        "openai",
        "--from-env",
    ]);
    let shown = t2.ok(["secrets", "show", "~/o", "--reveal"]);
    assert_eq!(shown, format!("api_key: {OPENAI}\n"));
    let shown = t.ok(["secrets", "show", "~/aws-ci", "--reveal", "--json"]);
    assert!(shown.contains("AKIASENTINEL00000009"), "{shown}");
    let out = t.run(["secrets", "create", "~/b", "--from-env"]);
    assert!(!out.status.success());
}

#[test]
fn unknown_name_is_one_line_naming_it_and_fails() {
    let t = rh();
    for args in [
        vec!["secrets", "show", "~/nope"],
        vec!["secrets", "rm", "~/nope"],
        vec!["secrets", "write", "~/nope"],
        vec!["run", "--secret", "~/nope", "--", "true"],
    ] {
        let out = t.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr(&out),
            "error: no secret named `~/nope`\n",
            "{args:?}"
        );
    }
    assert!(!t.config_dir().join("audit.log").exists());
}

#[test]
fn a_provider_name_keeps_its_meaning_and_ls_never_shows_values() {
    let t = rh();
    t.ok(["secrets", "save", "openai", &format!("api_key={OPENAI}")]);
    // `show openai` is the provider's (its source, its masking); the same file is the named `~/openai`.
    assert_eq!(
        t.ok(["secrets", "show", "openai"]),
        "api_key: sk-S************\n"
    );
    assert_eq!(
        t.ok(["secrets", "show", "~/openai"]),
        "api_key: sk-S************\n"
    );
    t.ok([
        "secrets",
        "create",
        "~/team/db",
        &format!("DATABASE_URL={DB_URL}"),
    ]);
    let table = t.ok(["secrets", "ls"]);
    assert!(
        table.contains("~/openai") && table.contains("~/team/db"),
        "{table}"
    );
    assert!(!table.contains("SENTINEL"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&t.ok(["secrets", "ls", "~/team", "--json"])).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"name": "~/team/db", "provider": null, "owner": "local", "access": "owner", "version": null}])
    );
    t.ok(["secrets", "rm", "~/team/db"]);
    assert!(!t.config_dir().join("secrets/team/db.json").exists());
}

#[test]
fn run_secret_sets_the_env_and_masks_the_output() {
    let t = rh();
    t.ok([
        "secrets",
        "create",
        "~/db",
        &format!("DATABASE_URL={DB_URL}"),
    ]);
    t.ok([
        "secrets",
        "create",
        "~/o",
        "--provider",
        "openai",
        &format!("api_key={OPENAI}"),
    ]);
    let out = t.run([
        "run",
        "--secret",
        "~/db",
        "--secret",
        "~/o",
        "--",
        "sh",
        "-c",
        r#"echo "url=$DATABASE_URL"; echo "key=$OPENAI_API_KEY" >&2; test "$OPENAI_API_KEY" = sk-SENTINEL-openai-0123456789 && echo match; exit 3"#,
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stdout(&out), "url=****\nmatch\n");
    assert!(stderr(&out).contains("key=****"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("SENTINEL") && !stderr(&out).contains("SENTINEL"));
}

#[test]
fn write_puts_values_into_the_providers_files_and_an_env_file() {
    let t = rh();
    t.ok([
        "secrets",
        "create",
        "~/aws-ci",
        "--provider",
        "aws",
        "access_key=AKIASENTINEL00000007",
        "secret_key=s-SENTINEL-7",
    ]);
    t.ok(["secrets", "write", "~/aws-ci"]);
    let creds = t.home().join(".aws/credentials");
    assert_eq!(mode(&creds), 0o600);
    let text = std::fs::read_to_string(&creds).unwrap();
    assert!(
        text.contains("aws_access_key_id = AKIASENTINEL00000007"),
        "{text}"
    );
    t.ok(["secrets", "write", "~/aws-ci", "--env"]);
    let env = t.config_dir().join("secrets/aws-ci.env");
    assert_eq!(mode(&env), 0o600);
    assert_eq!(
        std::fs::read_to_string(&env).unwrap(),
        "export AWS_ACCESS_KEY_ID='AKIASENTINEL00000007'\nexport AWS_SECRET_ACCESS_KEY='s-SENTINEL-7'\n"
    );
    // A plain secret has no provider files; --path writes its values as JSON.
    t.ok([
        "secrets",
        "create",
        "~/db",
        &format!("DATABASE_URL={DB_URL}"),
    ]);
    assert!(!t.run(["secrets", "write", "~/db"]).status.success());
    let out = t.work_dir().join("db.json");
    t.ok(["secrets", "write", "~/db", "--path", out.to_str().unwrap()]);
    assert_eq!(mode(&out), 0o600);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc, serde_json::json!({"DATABASE_URL": DB_URL}));
}

#[test]
fn every_credential_write_and_delete_is_an_audit_line_without_values() {
    let t = rh();
    t.ok([
        "secrets",
        "save",
        "aws",
        "access_key=AKIASENTINEL00000005",
        "secret_key=s-SENTINEL-5",
    ]);
    t.ok([
        "secrets",
        "create",
        "~/db",
        &format!("DATABASE_URL={DB_URL}"),
    ]);
    t.ok([
        "secrets",
        "create",
        "~/o",
        "--provider",
        "openai",
        &format!("api_key={OPENAI}"),
    ]);
    t.ok(["secrets", "write", "~/o"]);
    t.ok(["secrets", "rm", "~/db"]);
    t.ok(["secrets", "delete-local", "aws", "--yes"]);
    let log = t.config_dir().join("audit.log");
    assert_eq!(mode(&log), 0o600);
    let bytes = std::fs::read(&log).unwrap();
    for value in [
        "AKIASENTINEL00000005",
        "s-SENTINEL-5",
        DB_URL,
        OPENAI,
        "SENTINEL",
    ] {
        assert!(
            !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
            "{value} in audit.log"
        );
    }
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&t.ok(["secrets", "log", "--json"])).unwrap();
    let summary: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["command"].as_str().unwrap().to_owned(),
                e["action"].as_str().unwrap().to_owned(),
                e["provider"].as_str().unwrap().to_owned(),
                e["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let s = |a: &str, b: &str, c: &str, d: &str| {
        (a.to_owned(), b.to_owned(), c.to_owned(), d.to_owned())
    };
    assert_eq!(
        summary,
        [
            s("rh secrets save", "write", "aws", "argv"),
            s("rh secrets create", "write", "-", "argv"),
            s("rh secrets create", "write", "openai", "argv"),
            s("rh secrets write", "write", "openai", "local ~/o"),
            s("rh secrets rm", "delete", "-", "-"),
            s("rh secrets delete-local", "delete", "aws", "-"),
        ]
    );
    assert!(
        entries[0]["file"]
            .as_str()
            .unwrap()
            .ends_with(".aws/credentials"),
        "{:?}",
        entries[0]
    );
    assert_eq!(entries[1]["secret"], "~/db");
    let text = t.ok(["secrets", "log"]);
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(!text.contains("SENTINEL"), "{text}");
}

#[test]
fn remote_addresses_need_the_remote_store() {
    let t = rh();
    let out = t.run(["secrets", "show", "/alice/openai"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: not logged in: run `rh login` (or set RH_TOKEN) first\n"
    );
}

/// A pull from a real OpenBao names the Vault path and version it wrote from; a `get --save` too.
#[test]
fn a_pull_records_the_vault_path_and_version() {
    let Some(mut t) = crate::fixtures::with_services(&["VAULT_ADDR", "VAULT_TOKEN"]) else {
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let user = format!("named-{}-{nanos}", std::process::id());
    t.env("RH_USERNAME", &user);
    t.ok(["secrets", "put", "lambda", "api_key=lambda-SENTINEL-1"]);
    t.ok(["secrets", "put", "lambda", "api_key=lambda-SENTINEL-2"]);
    t.ok(["secrets", "pull", "lambda"]);
    t.ok(["secrets", "delete-local", "lambda", "--yes"]);
    t.ok(["secrets", "get", "lambda", "--save"]);
    let entries: Vec<serde_json::Value> =
        serde_json::from_str(&t.ok(["secrets", "log", "--json"])).unwrap();
    let lines: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["command"].as_str().unwrap().to_owned(),
                e["source"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let source = format!("vault secret/rh/{user}/lambda v2");
    assert_eq!(
        lines,
        [
            ("rh secrets pull".to_owned(), source.clone()),
            ("rh secrets delete-local".to_owned(), "-".to_owned()),
            ("rh secrets get --save".to_owned(), source),
        ]
    );
    let log = std::fs::read(t.config_dir().join("audit.log")).unwrap();
    assert!(!log.windows(8).any(|w| w == b"SENTINEL"));
}

/// README's team walk-through against a real rh-server and OpenBao: alice creates `/alice/openai`, shares it
/// read-only with bob, bob runs a command with it (values in the env, masked in the output), bob cannot
/// change it, alice sees bob's read in the audit log, revokes, and bob's next run fails naming the secret.
#[test]
fn a_team_secret_is_shared_read_audited_and_revoked() {
    if !rh_test::integration() {
        return;
    }
    let server = rh_test::server::TestServer::start();
    let tag = std::process::id();
    let (alice_name, bob_name) = (format!("alice{tag}"), format!("bob{tag}"));
    let alice_token = server.create_user(&alice_name, None);
    let bob_token = server.create_user(&bob_name, None);
    let logged_in = |token: &str| {
        let mut t = rh();
        t.env("RH_TOKEN", token)
            .env("RH_API_SERVER_URL", server.url())
            .env("VAULT_ADDR", "http://127.0.0.1:1");
        t
    };
    let (alice, bob) = (logged_in(&alice_token), logged_in(&bob_token));
    let address = format!("/{alice_name}/openai");

    alice.ok([
        "secrets",
        "create",
        &address,
        "--provider",
        "openai",
        &format!("api_key={OPENAI}"),
    ]);
    let listed = alice.ok(["secrets", "ls", "--json"]);
    assert!(
        listed.contains(&address) && !listed.contains("SENTINEL"),
        "{listed}"
    );
    alice.ok([
        "resource", "share", &address, "--user", &bob_name, "--access", "read",
    ]);

    let script = r#"test "$OPENAI_API_KEY" = sk-SENTINEL-openai-0123456789 && echo match; echo "key=$OPENAI_API_KEY""#;
    let out = bob.run(["run", "--secret", &address, "--", "sh", "-c", script]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "match\nkey=****\n");
    // A read grantee cannot change it.
    let out = bob.run([
        "secrets",
        "create",
        &address,
        "--provider",
        "openai",
        "api_key=sk-bob-was-here",
        "--overwrite",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains(&address), "{}", stderr(&out));
    let shown = alice.ok(["secrets", "show", &address, "--reveal"]);
    assert!(shown.contains(OPENAI), "{shown}");

    // Alice (the server's admin here) sees bob's read; never the value.
    let audit = std::process::Command::new(rh_test::server::server_bin())
        .args(["audit", "--target", &address, "--data-dir"])
        .arg(server.data_dir())
        .env("HOME", server.data_dir())
        .output()
        .expect("run rh-server audit");
    let rows = String::from_utf8_lossy(&audit.stdout).into_owned();
    assert!(audit.status.success(), "{}", stderr(&audit));
    assert!(
        rows.contains("secret.read") && rows.contains(&bob_name),
        "{rows}"
    );
    assert!(!rows.contains("SENTINEL"), "{rows}");

    alice.ok(["resource", "revoke", &address, "--user", &bob_name]);
    let out = bob.run(["run", "--secret", &address, "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&address) && err.lines().count() == 1, "{err}");
    assert!(!err.contains("SENTINEL"));
}

#[test]
fn resource_share_allow_reshare_lets_a_write_grantee_share_a_secret_until_owner_only() {
    if !rh_test::integration() {
        return;
    }
    let server = rh_test::server::TestServer::start();
    let tag = std::process::id();
    let (alice_name, bob_name, carol_name) = (
        format!("ralice{tag}"),
        format!("rbob{tag}"),
        format!("rcarol{tag}"),
    );
    let alice_token = server.create_user(&alice_name, None);
    let bob_token = server.create_user(&bob_name, None);
    server.create_user(&carol_name, None);
    let logged_in = |token: &str| {
        let mut t = rh();
        t.env("RH_TOKEN", token)
            .env("RH_API_SERVER_URL", server.url())
            .env("VAULT_ADDR", "http://127.0.0.1:1");
        t
    };
    let (alice, bob) = (logged_in(&alice_token), logged_in(&bob_token));
    let address = format!("/{alice_name}/openai");
    alice.ok([
        "secrets",
        "create",
        &address,
        "--provider",
        "openai",
        &format!("api_key={OPENAI}"),
    ]);
    let share_carol = ["resource", "share", &address, "--user", &carol_name];
    alice.ok([
        "resource",
        "share",
        &address,
        "--user",
        &bob_name,
        "--access",
        "write",
        "--no-notify",
    ]);
    let out = bob.run(share_carol);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!("only {alice_name} can share")),
        "{}",
        stderr(&out)
    );
    alice.ok([
        "resource",
        "share",
        &address,
        "--user",
        &bob_name,
        "--access",
        "write",
        "--allow-reshare",
        "--no-notify",
    ]);
    let shared = bob.ok([
        "resource",
        "share",
        &address,
        "--user",
        &carol_name,
        "--json",
    ]);
    assert!(shared.contains(&carol_name), "{shared}");
    alice.ok([
        "resource",
        "share",
        &address,
        "--user",
        &bob_name,
        "--access",
        "write",
        "--owner-only",
    ]);
    let out = bob.run(share_carol);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    // The two flags contradict each other: bad input (exit 1), before any request.
    let out = alice.run([
        "resource",
        "share",
        &address,
        "--user",
        &bob_name,
        "--allow-reshare",
        "--owner-only",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}
