//! Benchmarks of the secrets area: `rh secrets providers` and `rh secrets status` as whole processes,
//! on an empty home and on one where all eight providers are configured, next to `aws configure get`
//! (what a user would run instead to check one provider) when awscli is installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::Bench;

const RUNS: usize = 30;

pub(crate) fn run(bench: &mut Bench) -> Result<()> {
    let empty = super::tempfile_dir("secrets-empty")?;
    let full = super::tempfile_dir("secrets-full")?;
    configure_all(&full)?;
    let rh = bench.bin("rh");
    for (home, label) in [(&empty, "empty home"), (&full, "all eight configured")] {
        for args in [&["secrets", "providers"][..], &["secrets", "status"]] {
            let stats = bench.measure(RUNS, || rh_in(&rh, home, args))?;
            bench.row(
                "secrets",
                format!("`rh {}` ({label})", args.join(" ")),
                stats.summary(),
                format!("{RUNS} runs, whole process"),
            );
        }
    }
    if let Some(aws) = on_path("aws") {
        let stats = bench.measure(5, || {
            let mut c = Command::new(&aws);
            c.args(["configure", "get", "aws_access_key_id"])
                .env("HOME", &full)
                .env_remove("AWS_SHARED_CREDENTIALS_FILE")
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_PROFILE");
            c
        })?;
        bench.row(
            "secrets",
            "`aws configure get aws_access_key_id` (awscli, for comparison)",
            stats.summary(),
            "5 runs; checks one provider",
        );
    }
    let _ = std::fs::remove_dir_all(&empty);
    let _ = std::fs::remove_dir_all(&full);
    Ok(())
}

fn rh_in(rh: &Path, home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(rh);
    c.args(args)
        .env("HOME", home)
        .env("RH_CONFIG_DIR", home.join(".rh"));
    // The bench must see the files, not whatever the caller has in its environment.
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AZURE_SUBSCRIPTION_ID",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "HF_TOKEN",
        "HF_HOME",
        "HF_TOKEN_PATH",
        "GH_TOKEN",
        "GH_CONFIG_DIR",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
    ] {
        c.env_remove(var);
    }
    c
}

/// Writes credential files for all eight providers, as their own tools would.
fn configure_all(home: &Path) -> Result<()> {
    let files: &[(&str, &str)] = &[
        (
            ".aws/credentials",
            "[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = w\n\n[default]\naws_access_key_id = AKIABENCH\naws_secret_access_key = s\n",
        ),
        (".azure/clouds.config", "[AzureCloud]\nsubscription = sub\n"),
        (
            ".config/gcloud/application_default_credentials.json",
            "{\"client_id\": \"c\", \"client_secret\": \"s\", \"refresh_token\": \"r\", \"type\": \"authorized_user\"}\n",
        ),
        (".cache/huggingface/token", "hf_bench"),
        (".lambda_cloud/lambda_keys", "api_key = bench\n"),
        (".ssh/sky-key", "PRIVATE\n"),
        (".ssh/sky-key.pub", "ssh-ed25519 AAAA sky\n"),
        (".ssh/id_rsa", "PRIVATE\n"),
        (".ssh/id_rsa.pub", "ssh-rsa AAAA me\n"),
        (
            ".config/gh/hosts.yml",
            "github.com:\n  oauth_token: gho_bench\n",
        ),
    ];
    for (rel, text) in files {
        let p = home.join(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(p, text)?;
    }
    Ok(())
}

#[expect(
    clippy::disallowed_methods,
    reason = "xtask reads PATH to find a peer tool"
)]
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").ok()?;
    path.split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}
