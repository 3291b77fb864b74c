//! Leaks: a representative run of `rh` commands, each with `-vv` (trace logs on stderr), while a
//! sentinel token sits in config.yaml, in `RH_TOKEN` and in `--token`, and sentinel provider secrets
//! sit in the credential files. No byte of stdout or stderr may hold a sentinel, except the output
//! of the commands given `--reveal` or `--show-secrets`, which must hold it.

use rh_test::{CliTest, stderr, stdout};

const CONFIG_TOKEN: &str = "SENTINELcfgtoken7Q4x";
const ENV_TOKEN: &str = "SENTINELenvtoken8R5y";
const FLAG_TOKEN: &str = "SENTINELflagtoken9S6z";
const AWS_KEY: &str = "AKIASENTINELKEY0001";
const AWS_SECRET: &str = "SENTINELawssecret/K7MDENG";
const HF_TOKEN: &str = "hf_SENTINELhuggingface01";
const GH_TOKEN: &str = "gho_SENTINELgithub0002";
const LAMBDA_KEY: &str = "SENTINELlambdakey03";
const SENTINELS: &[&str] = &[
    CONFIG_TOKEN,
    ENV_TOKEN,
    FLAG_TOKEN,
    AWS_KEY,
    AWS_SECRET,
    HF_TOKEN,
    GH_TOKEN,
    LAMBDA_KEY,
];

fn leaked(out: &std::process::Output) -> Vec<&'static str> {
    let (o, e) = (stdout(out), stderr(out));
    SENTINELS
        .iter()
        .copied()
        .filter(|s| o.contains(s) || e.contains(s))
        .collect()
}

#[test]
fn no_command_prints_a_secret_unless_asked() {
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    std::fs::write(t.work_dir().join("pyproject.toml"), "").unwrap();
    let json = t.root().join("x.json");
    std::fs::write(
        &json,
        r#"{"name": "~/x", "resource_type": "blob", "resource_subtype": "Blob", "path": "/d"}"#,
    )
    .unwrap();
    let json = json.to_str().unwrap().to_owned();
    // A malformed credentials file whose bad line is a secret: errors give its line, not its text.
    let gcp = t.home().join(".config/gcloud");
    std::fs::create_dir_all(&gcp).unwrap();
    std::fs::write(
        gcp.join("application_default_credentials.json"),
        format!("{{\"client_secret\": \"{AWS_SECRET}\" oops"),
    )
    .unwrap();
    t.env("RH_TOKEN", ENV_TOKEN);
    let aws_key = format!("access_key={AWS_KEY}");
    let aws_secret = format!("secret_key={AWS_SECRET}");
    let hf = format!("token={HF_TOKEN}");
    let gh = format!("token={GH_TOKEN}");
    let lambda = format!("api_key={LAMBDA_KEY}");
    let quiet: Vec<Vec<&str>> = vec![
        vec!["config", "set", "token", CONFIG_TOKEN],
        vec!["config", "set", "default_autostop", "30"],
        vec!["config", "get", "token"],
        vec!["config", "list"],
        vec!["config", "list", "--json"],
        vec!["config", "path"],
        vec!["secrets", "save", "aws", &aws_key, &aws_secret],
        vec!["secrets", "save", "huggingface", &hf],
        vec!["secrets", "save", "github", &gh],
        vec!["secrets", "save", "lambda", &lambda],
        // Refused: an unknown key holding a secret; an unknown provider.
        vec![
            "secrets",
            "save",
            "aws",
            &aws_key,
            "nope=SENTINELlambdakey03",
        ],
        vec!["secrets", "save", "no-such", &hf],
        vec!["secrets", "show", "aws"],
        vec!["secrets", "show", "aws", "--json"],
        vec!["secrets", "show", "huggingface"],
        vec!["secrets", "show", "gcp"],
        vec!["secrets", "status"],
        vec!["secrets", "status", "--json"],
        vec!["secrets", "providers", "--json"],
        vec!["resource", "save", "~/x", "--from-json", &json],
        vec!["resource", "ls"],
        vec!["resource", "show", "~/x", "--json"],
        vec!["cluster", "create", "~/c", "--instance-type", "CPU:2"],
        vec!["--token", FLAG_TOKEN, "config", "get", "token"],
        vec!["--token", FLAG_TOKEN, "resource", "ls"],
        vec![
            "run",
            "--providers",
            "aws,huggingface",
            "--",
            "sh",
            "-c",
            "echo $AWS_SECRET_ACCESS_KEY; echo $HF_TOKEN >&2",
        ],
        vec!["run", "--", "env"],
    ];
    let mut failures = Vec::new();
    for args in &quiet {
        let out = t.command().arg("-vv").args(args).output().unwrap();
        let found = leaked(&out);
        if !found.is_empty() {
            failures.push(format!("rh -vv {}: {found:?}", args.join(" ")));
        }
    }
    assert!(failures.is_empty(), "leaks:\n{}", failures.join("\n"));

    // Asked to reveal: the values are there (so the check above would have seen them).
    for (args, want) in [
        (vec!["config", "get", "token", "--show-secrets"], ENV_TOKEN),
        (vec!["secrets", "show", "aws", "--reveal"], AWS_SECRET),
        (vec!["secrets", "show", "huggingface", "--reveal"], HF_TOKEN),
    ] {
        let out = t.command().arg("-vv").args(&args).output().unwrap();
        assert!(
            stdout(&out).contains(want),
            "rh {}: {}",
            args.join(" "),
            stdout(&out)
        );
    }
    // The token in config.yaml is the one `config set` stored.
    assert!(
        std::fs::read_to_string(t.config_file())
            .unwrap()
            .contains(CONFIG_TOKEN)
    );
}

/// Issue 15.1: `rh run -- env` shows the child's whole environment. rh's own credentials are not in it
/// (direct Vault: `VAULT_TOKEN`, `BAO_TOKEN`, any other `RH_*`/`VAULT_*` variable; through rh-server:
/// `RH_TOKEN`), a token passed on purpose with `--pass-env` is there but redacted, and rh's tokens
/// from `--token`, config.yaml and `~/.vault-token` are redacted wherever the child prints them.
#[test]
fn rh_run_gives_the_child_none_of_rhs_own_tokens() {
    if !rh_test::integration() {
        return;
    }
    let vault_token = rh_test::service_env("VAULT_TOKEN").unwrap();
    let user = format!(
        "leak-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t.env("VAULT_ADDR", rh_test::service_env("VAULT_ADDR").unwrap())
        .env("VAULT_TOKEN", &vault_token)
        .env("RH_USERNAME", &user)
        .env("BAO_TOKEN", "SENTINELbaotoken4T1x")
        .env("RH_EXTRA_SECRET", "SENTINELrhextra5U2y")
        .env("VAULT_ROLE_SECRET", "SENTINELvaultrole6V3z");
    let sentinels = [
        vault_token.as_str(),
        "SENTINELbaotoken4T1x",
        "SENTINELrhextra5U2y",
        "SENTINELvaultrole6V3z",
    ];
    let out = t.run(["run", "--", "env"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let env = stdout(&out);
    for s in sentinels {
        assert!(!env.contains(s), "{s} reached the child's output:\n{env}");
    }
    for gone in [
        "VAULT_TOKEN=",
        "BAO_TOKEN=",
        "RH_EXTRA_SECRET=",
        "VAULT_ROLE_SECRET=",
    ] {
        assert!(
            !env.lines().any(|l| l.starts_with(gone)),
            "{gone} in:\n{env}"
        );
    }
    // Addresses and names stay: they are not credentials.
    assert!(env.lines().any(|l| l.starts_with("VAULT_ADDR=")), "{env}");
    assert!(env.contains(&format!("RH_USERNAME={user}\n")), "{env}");

    // Passed on purpose: the child has it, the output still masks it.
    let out = t.run([
        "run",
        "--pass-env",
        "VAULT_TOKEN",
        "--",
        "sh",
        "-c",
        &format!(r#"test "$VAULT_TOKEN" = '{vault_token}' && echo passed; echo "t=$VAULT_TOKEN b=$BAO_TOKEN""#),
    ]);
    assert_eq!(stdout(&out), "passed\nt=**** b=\n", "{}", stderr(&out));

    // The Vault token from ~/.vault-token, read by the child itself, is masked too.
    let mut t2 = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t2.env("VAULT_ADDR", rh_test::service_env("VAULT_ADDR").unwrap())
        .env("RH_USERNAME", &user);
    std::fs::write(t2.home().join(".vault-token"), format!("{vault_token}\n")).unwrap();
    let out = t2.run(["run", "--", "sh", "-c", "cat \"$HOME/.vault-token\""]);
    assert_eq!(stdout(&out), "****\n", "{}", stderr(&out));

    // Through rh-server: the account token (env, flag or config.yaml) never reaches the child.
    let server = rh_test::server::TestServer::start();
    let token = server.create_user(&user, None);
    let mut t3 = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t3.env("RH_TOKEN", &token)
        .env("RH_API_SERVER_URL", server.url());
    let out = t3.run(["run", "--", "env"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains(&token), "{}", stdout(&out));
    assert!(!stdout(&out).contains("RH_TOKEN="), "{}", stdout(&out));
    let echo = format!("echo {token}");
    let out = t3.run(["run", "--", "sh", "-c", &echo]);
    assert_eq!(stdout(&out), "****\n", "{}", stderr(&out));
    let mut t4 = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t4.env("RH_API_SERVER_URL", server.url());
    let out = t4.run(["--token", &token, "run", "--", "sh", "-c", &echo]);
    assert_eq!(stdout(&out), "****\n", "{}", stderr(&out));
    t4.ok(["config", "set", "token", &token]);
    let out = t4.run(["run", "--", "sh", "-c", &echo]);
    assert_eq!(stdout(&out), "****\n", "{}", stderr(&out));
}
