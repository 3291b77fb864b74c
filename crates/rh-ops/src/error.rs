//! The error type of rh-ops.

use std::path::PathBuf;

/// What can go wrong in an operation.
///
/// The lower crates' errors pass through unchanged (`transparent`: same message, same causes), so every
/// front end shows the same one line. Own variants name the file, key or resource, never a secret value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// config.yaml or rh's paths failed in rh-config: unreadable, unwritable or malformed file, an
    /// invalid key, no home directory.
    #[error(transparent)]
    Config(#[from] rh_config::Error),
    /// A provider's local secrets failed in rh-secrets: an unknown or invalid provider name, a missing
    /// key, an unreadable or unwritable credentials file.
    #[error(transparent)]
    Secrets(#[from] rh_secrets::Error),
    /// The secret store failed (Vault reached directly, or rh-server's Vault proxy): unreachable,
    /// refused, a check-and-set conflict.
    #[error(transparent)]
    Vault(#[from] rh_secrets::vault::Error),
    /// Planning or applying a push, pull or diff between local files and the secret store failed.
    #[error(transparent)]
    Sync(#[from] rh_secrets::sync::SyncError),
    /// A named secret (local `~/…` or rh-server's `/…`) failed: not found, already exists, forbidden,
    /// a local file or the remote store failing.
    #[error(transparent)]
    Named(#[from] rh_secrets::named::Error),
    /// Returned by [`crate::named::create`] when values are to come from env variables (`--from-env`)
    /// but no builtin provider was given.
    #[error("--from-env needs --provider (a builtin provider's env variables)")]
    FromEnvNeedsProvider,
    /// Returned by [`crate::named::write`] when the provider's own files are asked for but the secret
    /// has no builtin provider.
    #[error(
        "the secret {name} has no builtin provider, so it has no provider files; use --path P or --env"
    )]
    NoProviderFiles {
        /// The secret's address (`~/x` or `/alice/x`).
        name: String,
    },
    /// Returned by [`crate::named::write`] when a `--path` is given for a secret of a builtin provider
    /// (whose values go to that provider's own files).
    #[error(
        "the secret {name} is a {provider} secret: `rh secrets write {name}` writes {provider}'s own files (--path is for secrets without a builtin provider)"
    )]
    PathForBuiltin {
        /// The secret's address (`~/x` or `/alice/x`).
        name: String,
        /// The secret's builtin provider (canonical name).
        provider: String,
    },
    /// Returned by [`crate::named::provider_secret_values`] when more than one of `values`, `path` and
    /// `env_vars` is given.
    #[error("Only one of values, path, and env_vars should be set.")]
    OneOfValuesPathEnv,
    /// Returned by [`crate::named::provider_secret_values`] when nothing was given for a builtin
    /// provider and neither its default file nor its env variables hold its secrets.
    #[error(
        "Secrets values not provided and could not be extracted from default file ({path}) or env vars ({vars}) locations."
    )]
    NotDetected {
        /// The provider's default file (`~/…` under the home directory), empty if it has none.
        path: String,
        /// The provider's keys and env variables, as a Python-style dict (`{'key': 'VAR', …}`).
        vars: String,
    },
    /// Returned by [`crate::named::make`] when neither values, a name nor a provider is given.
    #[error("values must be provided for an in-memory secret.")]
    NoInMemoryValues,
    /// A resource name or store failed in rh-rns: an invalid name, a missing or existing resource, git
    /// history, the local `rh/` folder, or rh-server (unreachable, token rejected, a failed request).
    #[error(transparent)]
    Rns(#[from] rh_rns::Error),
    /// A blob store (file, S3, GCS, Azure) failed: an unknown system, missing credentials, a bad key, a
    /// missing object or bucket, a failed request.
    #[error(transparent)]
    Storage(#[from] rh_storage::Error),
    /// A resource failed in rh-resources: an invalid config or field, the wrong resource type, an
    /// unsupported operation, an existing name, a file it could not read or write.
    #[error(transparent)]
    Resource(#[from] rh_resources::Error),
    /// Returned when an operation needs rh-server (its client, its named secrets, a config upload or
    /// download) and the session has no token.
    #[error("not logged in: run `rh login` (or set RH_TOKEN) first")]
    NotLoggedIn,
    /// Returned by [`crate::login::revoke`] when the session has no token.
    #[error("not logged in: there is no token to revoke")]
    NothingToRevoke,
    /// Returned by [`crate::Session::vault`] (and so by [`crate::Session::secret_store`] when logged
    /// out) when neither `VAULT_ADDR` nor config `vault_addr` is set.
    #[error(
        "no secret store configured: set VAULT_ADDR (and VAULT_TOKEN) to use Vault directly, \
         or `rh config set vault_addr URL`, or log in to an rh-server (`rh login`, or RH_TOKEN \
         and RH_API_SERVER_URL) to keep secrets in its Vault"
    )]
    NoSecretStore,
    /// Returned by [`crate::Session::vault`] when `VAULT_TOKEN` is unset and the token file is
    /// missing, unreadable or blank.
    #[error("no Vault token: set VAULT_TOKEN or write it to {}", path.display())]
    NoVaultToken {
        /// The token file that was tried (`~/.vault-token`).
        path: PathBuf,
    },
    /// Returned by [`crate::Session::names`] when the current directory cannot be read.
    #[error("cannot read the current directory")]
    CurrentDir(#[source] std::io::Error),
    /// Returned by [`crate::Session::names`] when the resolved `default_folder` is not a valid
    /// resource name.
    #[error("default_folder `{folder}` in config.yaml")]
    DefaultFolder {
        /// The `default_folder` setting as resolved.
        folder: String,
        /// Why it does not parse as a resource name.
        #[source]
        source: rh_rns::Error,
    },
    /// The rh-server client could not be built (a bad `api_server_url`); the message is the client's.
    #[error("{0}")]
    Remote(String),
    /// Returned by [`crate::Names::store`] for a remote (`/…`) name when the session has no token.
    #[error(
        "{name} is a remote name; log in with `rh login` first (or use a `~/` name for the local store)"
    )]
    RemoteNameLoggedOut {
        /// The name, as parsed.
        name: String,
    },
    /// Returned by [`crate::Names::remote`] (sharing) for a remote name when the session has no token.
    #[error("{name} is a remote name; log in with `rh login` first")]
    ShareLoggedOut {
        /// The name, as parsed.
        name: String,
    },
    /// Returned by [`crate::Names::remote`] (sharing) for a local name.
    #[error(
        "{name} is a local name; only remote (`/<user>/…`) resources can be shared: save it under /<user>/… first"
    )]
    LocalNameNotShareable {
        /// The name, as parsed.
        name: String,
    },
    /// Returned by [`crate::resource::parse_config`] when the text is JSON but not an object.
    #[error("{origin}: expected a JSON object")]
    NotAnObject {
        /// Where the text came from (a file name, `-` for stdin).
        origin: String,
    },
    /// Returned by [`crate::resource::parse_config`] when the text is not valid JSON.
    #[error("{origin}: not valid JSON ({message})")]
    NotJson {
        /// Where the text came from (a file name, `-` for stdin).
        origin: String,
        /// serde_json's parse error (with its line and column).
        message: String,
    },
    /// Returned by [`crate::resource::from_config`] (and so `save`) when no name is given and the
    /// config has no string `name`.
    #[error("give a NAME: {origin} has no `name`")]
    NoName {
        /// Where the config came from (a file name, or the name).
        origin: String,
    },
    /// Returned by [`crate::resource::locate`] for a remote name.
    #[error("{name} has no file on disk: rh-server keeps it")]
    RemoteHasNoFile {
        /// The name, as parsed.
        name: String,
    },
    /// Returned by [`crate::resource::locate`] when the local store keeps no file for the name (a
    /// builtin resource).
    #[error("{name} has no file on disk (builtins are shipped inside rh)")]
    BuiltinHasNoFile {
        /// The name, as parsed.
        name: String,
    },
    /// Returned by [`crate::resource::share`] when the resource is a blob on the `file` system.
    #[error(
        "Unable to share a local blob. Please make sure the blob is located on a cluster or a remote system."
    )]
    LocalBlobShare,
    /// Returned by [`crate::resource::keep_warm`] and [`crate::resource::keep_warm_resource`] for a
    /// resource that is neither an on-demand nor a static cluster.
    #[error("{name} is a `{kind}` resource, not a cluster")]
    NotACluster {
        /// The resource's name.
        name: String,
        /// The resource's type (its `resource_type`).
        kind: String,
    },
    /// Returned by [`crate::secrets::parse_pairs`] for an argument without `=`.
    #[error("argument {index} is not KEY=VALUE (it has no `=`)")]
    PairNoEquals {
        /// The argument's position, counting from 1.
        index: usize,
    },
    /// Returned by [`crate::secrets::parse_pairs`] for an argument whose key is empty or blank.
    #[error("argument {index} has an empty key")]
    PairEmptyKey {
        /// The argument's position, counting from 1.
        index: usize,
    },
    /// Returned by [`crate::secrets::parse_pairs`] when a key appears in two arguments.
    #[error("key `{key}` is given twice")]
    PairTwice {
        /// The repeated key (trimmed).
        key: String,
    },
    /// Returned by [`crate::secrets::parse_pairs`] when the file of a `key=@FILE` argument cannot be
    /// read.
    #[error("cannot read the value of `{key}` from {path}")]
    PairValueFile {
        /// The key whose value was to be read.
        key: String,
        /// The file named after `@`.
        path: String,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// Returned by [`crate::named::create`], [`crate::named::provider_secret_values`] and
    /// [`crate::secrets::put`] when a JSON values file (no builtin provider) cannot be read.
    #[error("cannot read {path}")]
    ReadFile {
        /// The file, as given.
        path: String,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// Returned by [`crate::named::create`] and [`crate::secrets::put`] when a builtin provider's file
    /// holds none of its secrets.
    #[error("no {provider} secrets in {path}")]
    NoSecretsInFile {
        /// The builtin provider (canonical name).
        provider: String,
        /// The file, as given.
        path: String,
    },
    /// Returned by [`crate::secrets::put`] from the local files (no source given) when the builtin
    /// provider has no local secrets.
    #[error(
        "No secrets dict found or provided for {provider}. Please make sure the credentials \
         file exists in its default location, or give KEY=VALUE pairs"
    )]
    NoSecretsDict {
        /// The builtin provider (canonical name).
        provider: String,
    },
    /// Returned by [`crate::secrets::put`] when env variables or local files are asked for a custom
    /// provider, which has neither.
    #[error("{provider} is a custom provider: give its values as KEY=VALUE pairs or --file JSON")]
    CustomNeedsValues {
        /// The custom provider's name.
        provider: String,
    },
    /// Returned by [`crate::named::create`] and [`crate::secrets::put`] when the values read are empty.
    #[error("no values given for {provider}")]
    NoValues {
        /// The provider (for `put`) or the named secret's address (for `create`).
        provider: String,
    },
    /// Returned by [`crate::secrets::get`] and [`crate::secrets::history`] when the store holds no
    /// secrets for the provider.
    #[error("No secrets found in Vault for {provider} (at {location})")]
    NotInStore {
        /// The provider (canonical name).
        provider: String,
        /// Where the store would keep them (a Vault path or rh-server URL).
        location: String,
    },
    /// Returned by [`crate::secrets::update`] when the store holds no secrets for the provider yet.
    #[error("No secrets found in Vault for {provider} (at {location}); use `rh secrets put` first")]
    NothingToUpdate {
        /// The provider (canonical name).
        provider: String,
        /// Where the store would keep them (a Vault path or rh-server URL).
        location: String,
    },
    /// Returned by [`crate::secrets::plan_push`] when no provider asked for has secrets on this machine.
    #[error(
        "no provider secrets found on this machine; run `rh secrets status` to see what each provider is missing"
    )]
    NothingToPush,
    /// Returned by [`crate::secrets::PushPlan::apply`] when two or more providers fail to upload (one
    /// failure is returned as its own error).
    #[error("{count} providers were not uploaded: {detail}")]
    PushFailed {
        /// How many providers failed.
        count: usize,
        /// Each failure's message, joined by `; `.
        detail: String,
    },
    /// Returned by [`crate::secrets::show`] when a builtin provider has no secrets on this machine.
    #[error("no {provider} secrets found: {reason}")]
    NoLocalSecrets {
        /// The builtin provider (canonical name).
        provider: String,
        /// Why detection found nothing (from the provider's status; may be empty).
        reason: String,
    },
    /// Returned by [`crate::blob::prepare_write`] when the name is taken and `overwrite` is not set.
    #[error("{name} already exists; pass --overwrite to replace it")]
    BlobExists {
        /// The resolved blob name.
        name: String,
    },
    /// Returned by [`crate::blob::Write::upload_error`] when an upload failed because the bucket does
    /// not exist.
    #[error("bucket not found: {location}; create it or pass --create-bucket")]
    BucketNotFound {
        /// The bucket's location (`s3://bucket`, …).
        location: String,
    },
    /// Returned by [`crate::blob::target_of`] (and so `rm`, `exists`) when no resource has the name.
    #[error("no blob named {name}")]
    NoBlob {
        /// The resolved blob name.
        name: String,
    },
    /// Returned by [`crate::blob::target_of_blob`] for a blob whose system is a cluster, not a store.
    #[error("{name} lives on a cluster; rh reads blobs on file, s3, gs or azure only")]
    BlobOnCluster {
        /// The blob's name.
        name: String,
    },
    /// Returned by [`crate::blob::open`] for a `file` path with no parent directory or file name.
    #[error("blob path {path} names no file")]
    PathNamesNoFile {
        /// The path, as stored.
        path: String,
    },
    /// Returned by [`crate::blob::open`] for an object-store path without a `/` after the bucket.
    #[error("blob path {path} has no key: expected /BUCKET/KEY")]
    PathHasNoKey {
        /// The path, as stored.
        path: String,
    },
    /// Returned by [`crate::blob::default_bucket`] (a default path, `ls` without a bucket) when
    /// `default_blob_bucket` is unset or empty.
    #[error(
        "no bucket for the {system} blob: pass --path BUCKET/KEY or set `default_blob_bucket` (rh config set default_blob_bucket BUCKET)"
    )]
    NoBucket {
        /// The blob's system (`s3`, `gs`, `azure`).
        system: String,
    },
    /// Returned by [`crate::config::get`] when no flag, env variable, stored value or default gives the
    /// key a value.
    #[error("config key `{key}` is not set in {}", path.display())]
    KeyNotSet {
        /// The key asked for.
        key: String,
        /// The config.yaml that was read.
        path: PathBuf,
    },
    /// Returned by [`crate::config::upload_view`] (uploads, `login --upload-config`) when config.yaml's
    /// user defaults cannot be turned into JSON.
    #[error("{} cannot be sent as JSON", path.display())]
    ConfigNotJson {
        /// The config.yaml being uploaded.
        path: PathBuf,
        /// serde_json's error.
        #[source]
        source: serde_json::Error,
    },
    /// Returned by [`crate::config::merge_downloaded`] (download, `login --download-config`) when a
    /// non-string value from rh-server cannot be turned into YAML.
    #[error("cannot convert a downloaded config value")]
    ConfigValue(#[source] serde_yaml::Error),
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use rh_config::display_chain as chain;
