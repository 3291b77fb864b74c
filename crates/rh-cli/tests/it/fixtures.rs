//! Fixtures shared by the CLI test modules.

/// Every value below contains it; it must never appear in output except with `--reveal`.
pub(crate) const SENTINEL: &str = "SENTINEL";

/// The eight builtin providers, saved by rh itself (so the pulled files are byte-identical).
pub(crate) const ALL_EIGHT: &str = r#"{
  "aws": {"access_key": "AKIASENTINEL00000001", "secret_key": "aws-secret-SENTINEL"},
  "azure": {"subscription_id": "sub-SENTINEL-0001"},
  "gcp": {"client_id": "cid-SENTINEL", "client_secret": "cs-SENTINEL"},
  "huggingface": {"token": "hf_SENTINEL_token"},
  "lambda": {"api_key": "lambda-SENTINEL"},
  "sky": {"ssh_private_key": "-----BEGIN PRIVATE KEY-----\nSENTINELsky\n-----END PRIVATE KEY-----\n", "ssh_public_key": "ssh-ed25519 AAAASENTINELsky sky\n"},
  "ssh": {"id_test": "-----BEGIN PRIVATE KEY-----\nSENTINELssh\n-----END PRIVATE KEY-----\n", "id_test.pub": "ssh-ed25519 AAAASENTINELssh me\n"},
  "github": {"token": "gho_SENTINEL_token"}
}"#;

pub(crate) const EIGHT: [&str; 8] = [
    "aws",
    "azure",
    "gcp",
    "huggingface",
    "lambda",
    "sky",
    "ssh",
    "github",
];
