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
