//! The error type of rh-ops.

use std::path::PathBuf;

/// What can go wrong in an operation.
///
/// The lower crates' errors pass through unchanged (`transparent`: same message, same causes), so every
/// front end shows the same one line. Own variants name the file, key or resource, never a secret value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] rh_config::Error),
    #[error(transparent)]
    Secrets(#[from] rh_secrets::Error),
    #[error(transparent)]
    Vault(#[from] rh_secrets::vault::Error),
    #[error(transparent)]
    Sync(#[from] rh_secrets::sync::SyncError),
    #[error(transparent)]
    Named(#[from] rh_secrets::named::Error),
    #[error("--from-env needs --provider (a builtin provider's env variables)")]
    FromEnvNeedsProvider,
    #[error(
        "the secret {name} has no builtin provider, so it has no provider files; use --path P or --env"
    )]
    NoProviderFiles { name: String },
    #[error(
        "the secret {name} is a {provider} secret: `rh secrets write {name}` writes {provider}'s own files (--path is for secrets without a builtin provider)"
    )]
    PathForBuiltin { name: String, provider: String },
    #[error("Only one of values, path, and env_vars should be set.")]
    OneOfValuesPathEnv,
    #[error(
        "Secrets values not provided and could not be extracted from default file ({path}) or env vars ({vars}) locations."
    )]
    NotDetected { path: String, vars: String },
    #[error("values must be provided for an in-memory secret.")]
    NoInMemoryValues,
    #[error(transparent)]
    Rns(#[from] rh_rns::Error),
    #[error(transparent)]
    Storage(#[from] rh_storage::Error),
    #[error(transparent)]
    Resource(#[from] rh_resources::Error),
    #[error("not logged in: run `rh login` (or set RH_TOKEN) first")]
    NotLoggedIn,
    #[error("not logged in: there is no token to revoke")]
    NothingToRevoke,
    #[error(
        "no secret store configured: set VAULT_ADDR (and VAULT_TOKEN) to use Vault directly, \
         or `rh config set vault_addr URL`, or log in to an rh-server (`rh login`, or RH_TOKEN \
         and RH_API_SERVER_URL) to keep secrets in its Vault"
    )]
    NoSecretStore,
    #[error("no Vault token: set VAULT_TOKEN or write it to {}", path.display())]
    NoVaultToken { path: PathBuf },
    #[error("cannot read the current directory")]
    CurrentDir(#[source] std::io::Error),
    #[error("default_folder `{folder}` in config.yaml")]
    DefaultFolder {
        folder: String,
        #[source]
        source: rh_rns::Error,
    },
    /// The rh-server client could not be built (a bad `api_server_url`); the message is the client's.
    #[error("{0}")]
    Remote(String),
    #[error(
        "{name} is a remote name; log in with `rh login` first (or use a `~/` name for the local store)"
    )]
    RemoteNameLoggedOut { name: String },
    #[error("{name} is a remote name; log in with `rh login` first")]
    ShareLoggedOut { name: String },
    #[error(
        "{name} is a local name; only remote (`/<user>/…`) resources can be shared: save it under /<user>/… first"
    )]
    LocalNameNotShareable { name: String },
    #[error("{origin}: expected a JSON object")]
    NotAnObject { origin: String },
    #[error("{origin}: not valid JSON ({message})")]
    NotJson { origin: String, message: String },
    #[error("give a NAME: {origin} has no `name`")]
    NoName { origin: String },
    #[error("{name} has no file on disk: rh-server keeps it")]
    RemoteHasNoFile { name: String },
    #[error("{name} has no file on disk (builtins are shipped inside rh)")]
    BuiltinHasNoFile { name: String },
    #[error(
        "Unable to share a local blob. Please make sure the blob is located on a cluster or a remote system."
    )]
    LocalBlobShare,
    #[error("{name} is a `{kind}` resource, not a cluster")]
    NotACluster { name: String, kind: String },
    #[error("argument {index} is not KEY=VALUE (it has no `=`)")]
    PairNoEquals { index: usize },
    #[error("argument {index} has an empty key")]
    PairEmptyKey { index: usize },
    #[error("key `{key}` is given twice")]
    PairTwice { key: String },
    #[error("cannot read the value of `{key}` from {path}")]
    PairValueFile {
        key: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}")]
    ReadFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no {provider} secrets in {path}")]
    NoSecretsInFile { provider: String, path: String },
    #[error(
        "No secrets dict found or provided for {provider}. Please make sure the credentials \
         file exists in its default location, or give KEY=VALUE pairs"
    )]
    NoSecretsDict { provider: String },
    #[error("{provider} is a custom provider: give its values as KEY=VALUE pairs or --file JSON")]
    CustomNeedsValues { provider: String },
    #[error("no values given for {provider}")]
    NoValues { provider: String },
    #[error("No secrets found in Vault for {provider} (at {location})")]
    NotInStore { provider: String, location: String },
    #[error("No secrets found in Vault for {provider} (at {location}); use `rh secrets put` first")]
    NothingToUpdate { provider: String, location: String },
    #[error(
        "no provider secrets found on this machine; run `rh secrets status` to see what each provider is missing"
    )]
    NothingToPush,
    #[error("{count} providers were not uploaded: {detail}")]
    PushFailed { count: usize, detail: String },
    #[error("no {provider} secrets found: {reason}")]
    NoLocalSecrets { provider: String, reason: String },
    #[error("{name} already exists; pass --overwrite to replace it")]
    BlobExists { name: String },
    #[error("bucket not found: {location}; create it or pass --create-bucket")]
    BucketNotFound { location: String },
    #[error("no blob named {name}")]
    NoBlob { name: String },
    #[error("{name} lives on a cluster; rh reads blobs on file, s3, gs or azure only")]
    BlobOnCluster { name: String },
    #[error("blob path {path} names no file")]
    PathNamesNoFile { path: String },
    #[error("blob path {path} has no key: expected /BUCKET/KEY")]
    PathHasNoKey { path: String },
    #[error(
        "no bucket for the {system} blob: pass --path BUCKET/KEY or set `default_blob_bucket` (rh config set default_blob_bucket BUCKET)"
    )]
    NoBucket { system: String },
    #[error("config key `{key}` is not set in {}", path.display())]
    KeyNotSet { key: String, path: PathBuf },
    #[error("{} cannot be sent as JSON", path.display())]
    ConfigNotJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot convert a downloaded config value")]
    ConfigValue(#[source] serde_yaml::Error),
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use rh_config::display_chain as chain;
