//! Fixtures shared by the CLI test modules.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rh_test::{CliTest, mode};

/// Every value below contains it; it must never appear in output except with `--reveal`.
pub(crate) const SENTINEL: &str = "SENTINEL";

/// Every builtin provider, saved by rh itself (so the pulled files are byte-identical).
/// [`all_providers`] checks it covers the registry.
pub(crate) const ALL: &str = r#"{
  "aws": {"access_key": "AKIASENTINEL00000001", "secret_key": "aws-secret-SENTINEL"},
  "azure": {"subscription_id": "sub-SENTINEL-0001"},
  "gcp": {"client_id": "cid-SENTINEL", "client_secret": "cs-SENTINEL"},
  "huggingface": {"token": "hf_SENTINEL_token"},
  "lambda": {"api_key": "lambda-SENTINEL"},
  "sky": {"ssh_private_key": "-----BEGIN PRIVATE KEY-----\nSENTINELsky\n-----END PRIVATE KEY-----\n", "ssh_public_key": "ssh-ed25519 AAAASENTINELsky sky\n"},
  "ssh": {"id_test": "-----BEGIN PRIVATE KEY-----\nSENTINELssh\n-----END PRIVATE KEY-----\n", "id_test.pub": "ssh-ed25519 AAAASENTINELssh me\n"},
  "github": {"token": "gho_SENTINEL_token"},
  "anthropic": {"api_key": "sk-ant-SENTINEL"},
  "cohere": {"api_key": "co-SENTINEL"},
  "langchain": {"api_key": "ls-SENTINEL"},
  "openai": {"api_key": "sk-SENTINEL-openai"},
  "pinecone": {"api_key": "pc-SENTINEL"},
  "wandb": {"api_key": "wandb-SENTINEL"},
  "kubernetes": {
    "context": "{\"name\":\"dev\",\"context\":{\"cluster\":\"dev-c\",\"user\":\"dev-u\",\"namespace\":\"ns-SENTINEL\"}}",
    "cluster": "{\"name\":\"dev-c\",\"cluster\":{\"server\":\"https://127.0.0.1:6443/SENTINEL\"}}",
    "user": "{\"name\":\"dev-u\",\"user\":{\"token\":\"kube-SENTINEL-token\"}}"
  },
  "docker": {"username": "user-SENTINEL", "password": "docker-SENTINEL-pw", "server": "ghcr.io/SENTINEL"}
}"#;

/// The builtin providers in the registry's order (`rh secrets providers`); fails unless [`ALL`] has
/// values for each, so a provider added to the registry is added here.
pub(crate) fn all_providers() -> Vec<String> {
    let names: Vec<String> = rh()
        .ok(["secrets", "providers"])
        .lines()
        .map(str::to_owned)
        .collect();
    let all: serde_json::Map<String, serde_json::Value> = serde_json::from_str(ALL).unwrap();
    let mut fixture: Vec<&String> = all.keys().collect();
    fixture.sort();
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    assert_eq!(
        fixture, sorted,
        "fixtures::ALL must hold every builtin provider"
    );
    names
}

/// `rh` in a throwaway HOME.
pub(crate) fn rh() -> CliTest {
    CliTest::new(env!("CARGO_BIN_EXE_rh"))
}

/// `rh` with the given service variables passed through, or `None` outside integration runs.
pub(crate) fn with_services(vars: &[&str]) -> Option<CliTest> {
    if !rh_test::integration() {
        return None;
    }
    let mut t = rh();
    for var in vars {
        if let Some(v) = rh_test::service_env(var) {
            t.env(var, v);
        }
    }
    Some(t)
}

/// A bucket name no other test uses (3–63 chars): `<prefix>-<tag>-<pid>-<nanos>-<n>`.
pub(crate) fn unique_bucket(prefix: &str, tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    format!(
        "{prefix}-{tag}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Every file under `dir` except rh's own config, with its bytes and mode.
pub(crate) fn home_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.file_name().is_some_and(|n| n == ".rh") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p.clone(), bytes, mode(&p)));
            }
        }
    }
    out.sort();
    out
}
