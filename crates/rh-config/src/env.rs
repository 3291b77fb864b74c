//! Environment variables: their names in one place, and reads through a trait so tests can use a map.

use std::collections::HashMap;
use std::ffi::OsString;

/// The environment variables rh reads. Each name is documented here and nowhere else.
pub struct EnvVars;

impl EnvVars {
    /// Relocates `~/.rh` (the directory holding `config.yaml`).
    pub const RH_CONFIG_DIR: &'static str = "RH_CONFIG_DIR";
    /// Overrides the `token` stored in `config.yaml`.
    pub const RH_TOKEN: &'static str = "RH_TOKEN";
    /// Overrides the `username` stored in `config.yaml`.
    pub const RH_USERNAME: &'static str = "RH_USERNAME";
    /// Overrides the `api_server_url` stored in `config.yaml`.
    pub const RH_API_SERVER_URL: &'static str = "RH_API_SERVER_URL";
    /// Overrides the local RNS working directory search (the folder that holds `rh/`).
    pub const RH_WORKDIR: &'static str = "RH_WORKDIR";
    /// The user's home directory.
    pub const HOME: &'static str = "HOME";
    /// Disables coloured output when set to anything.
    pub const NO_COLOR: &'static str = "NO_COLOR";
    /// Log filter in `tracing_subscriber::EnvFilter` syntax.
    pub const RUST_LOG: &'static str = "RUST_LOG";

    /// AWS access key id.
    pub const AWS_ACCESS_KEY_ID: &'static str = "AWS_ACCESS_KEY_ID";
    /// AWS secret access key.
    pub const AWS_SECRET_ACCESS_KEY: &'static str = "AWS_SECRET_ACCESS_KEY";
    /// Moves `~/.aws/credentials`.
    pub const AWS_SHARED_CREDENTIALS_FILE: &'static str = "AWS_SHARED_CREDENTIALS_FILE";
    /// Azure subscription id.
    pub const AZURE_SUBSCRIPTION_ID: &'static str = "AZURE_SUBSCRIPTION_ID";
    /// GCP OAuth client id (Runhouse's name for it).
    pub const CLIENT_ID: &'static str = "CLIENT_ID";
    /// GCP OAuth client secret (Runhouse's name for it).
    pub const CLIENT_SECRET: &'static str = "CLIENT_SECRET";
    /// Moves the GCP application-default credentials file.
    pub const GOOGLE_APPLICATION_CREDENTIALS: &'static str = "GOOGLE_APPLICATION_CREDENTIALS";
    /// Hugging Face token.
    pub const HF_TOKEN: &'static str = "HF_TOKEN";
    /// Moves the Hugging Face cache directory (the token lives in `$HF_HOME/token`).
    pub const HF_HOME: &'static str = "HF_HOME";
    /// Moves the Hugging Face token file itself (wins over `HF_HOME`).
    pub const HF_TOKEN_PATH: &'static str = "HF_TOKEN_PATH";
    /// Moves `~/.cache` (Hugging Face keeps its token under `$XDG_CACHE_HOME/huggingface`).
    pub const XDG_CACHE_HOME: &'static str = "XDG_CACHE_HOME";
    /// GitHub token.
    pub const GH_TOKEN: &'static str = "GH_TOKEN";
    /// Moves `~/.config/gh`.
    pub const GH_CONFIG_DIR: &'static str = "GH_CONFIG_DIR";
    /// Moves `~/.config`.
    pub const XDG_CONFIG_HOME: &'static str = "XDG_CONFIG_HOME";
    /// Moves `~/.kube/config` (a `:`-separated list; the first entry is the file written).
    pub const KUBECONFIG: &'static str = "KUBECONFIG";
    /// Moves `~/.docker` (the directory of `config.json`).
    pub const DOCKER_CONFIG: &'static str = "DOCKER_CONFIG";
    /// Docker registry user name, as SkyPilot and Runhouse read it.
    pub const SKYPILOT_DOCKER_USERNAME: &'static str = "SKYPILOT_DOCKER_USERNAME";
    /// Docker registry password or token, as SkyPilot and Runhouse read it.
    pub const SKYPILOT_DOCKER_PASSWORD: &'static str = "SKYPILOT_DOCKER_PASSWORD";
    /// Docker registry server, as SkyPilot and Runhouse read it.
    pub const SKYPILOT_DOCKER_SERVER: &'static str = "SKYPILOT_DOCKER_SERVER";

    /// AWS session token (temporary credentials).
    pub const AWS_SESSION_TOKEN: &'static str = "AWS_SESSION_TOKEN";
    /// A custom S3 endpoint (an S3-compatible server); path-style addressing when set.
    pub const AWS_ENDPOINT_URL: &'static str = "AWS_ENDPOINT_URL";
    /// AWS region.
    pub const AWS_REGION: &'static str = "AWS_REGION";
    /// AWS region (older name).
    pub const AWS_DEFAULT_REGION: &'static str = "AWS_DEFAULT_REGION";
    /// The GCS emulator address; anonymous access when set.
    pub const STORAGE_EMULATOR_HOST: &'static str = "STORAGE_EMULATOR_HOST";
    /// Azure storage connection string.
    pub const AZURE_STORAGE_CONNECTION_STRING: &'static str = "AZURE_STORAGE_CONNECTION_STRING";
    /// Azure storage account name.
    pub const AZURE_STORAGE_ACCOUNT: &'static str = "AZURE_STORAGE_ACCOUNT";
    /// Azure storage account key.
    pub const AZURE_STORAGE_KEY: &'static str = "AZURE_STORAGE_KEY";
    /// Vault / OpenBao address.
    pub const VAULT_ADDR: &'static str = "VAULT_ADDR";
    /// Vault / OpenBao token.
    pub const VAULT_TOKEN: &'static str = "VAULT_TOKEN";
    /// Vault Enterprise namespace.
    pub const VAULT_NAMESPACE: &'static str = "VAULT_NAMESPACE";
    /// OpenBao's name for the Vault token: `rh run` redacts it from its child's output.
    pub const BAO_TOKEN: &'static str = "BAO_TOKEN";
    /// A PEM bundle of extra trusted roots for rh-server connections (the built-in roots stay trusted).
    pub const SSL_CERT_FILE: &'static str = "SSL_CERT_FILE";
}

/// A source of environment variables.
pub trait Env: Send + Sync {
    /// The value of `key`, if set and valid Unicode.
    fn var(&self, key: &str) -> Option<String>;

    /// The value of `key`, if set and not empty.
    fn non_empty(&self, key: &str) -> Option<String> {
        self.var(key).filter(|v| !v.is_empty())
    }

    /// The names of the variables set (`rh run` removes rh's own from its child's environment).
    fn names(&self) -> Vec<OsString> {
        Vec::new()
    }
}

/// The process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsEnv;

impl Env for OsEnv {
    #[expect(
        clippy::disallowed_methods,
        reason = "this is the one place that reads the process env"
    )]
    fn var(&self, key: &str) -> Option<String> {
        std::env::var_os(key).and_then(|v: OsString| v.into_string().ok())
    }

    fn names(&self) -> Vec<OsString> {
        std::env::vars_os().map(|(k, _)| k).collect()
    }
}

/// A fixed map of variables, for tests and for callers that build an environment by hand.
#[derive(Debug, Default, Clone)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    /// A map environment from pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        )
    }
}

impl Env for MapEnv {
    fn var(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn names(&self) -> Vec<OsString> {
        self.0.keys().map(OsString::from).collect()
    }
}
