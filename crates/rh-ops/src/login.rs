//! `login` and `logout` (spec §2): the token check, the config download and upload, and the config.yaml
//! writes. Questions stay with the front end: it asks between [`check_token`] and [`finish`] and passes
//! the answers in as [`LoginChoices`] (or [`LogoutChoices`]).

use rh_config::Config;
use rh_rns::remote::RemoteRns;
use rh_rns::remote::wire::UserInfo;
use secrecy::{ExposeSecret as _, SecretString};
use serde_yaml::Value as Yaml;

use crate::text::clean;
use crate::{Error, Result, Session, config, error::chain};

/// A token rh-server accepted, with the account it belongs to and config.yaml as it was read.
pub struct Checked {
    url: String,
    token: SecretString,
    client: RemoteRns,
    user: UserInfo,
    config: Config,
}

impl std::fmt::Debug for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checked")
            .field("url", &self.url)
            .field("username", &self.user.username)
            .finish_non_exhaustive()
    }
}

impl Checked {
    /// The account name, as the server sent it (not escaped: see [`Checked::shown_username`]).
    pub fn username(&self) -> &str {
        &self.user.username
    }

    /// The account name, escaped for a terminal or a log line.
    pub fn shown_username(&self) -> String {
        clean(&self.user.username).into_owned()
    }

    /// The rh-server URL logged into.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether config.yaml exists (there is something to upload).
    pub fn config_exists(&self) -> bool {
        self.config.exists()
    }
}

/// What to do besides storing the token; the front end fills it from flags and answers.
#[derive(Debug, Clone, Copy, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "four independent yes/no choices"
)]
pub struct LoginChoices {
    /// Merge the account's user defaults into config.yaml.
    pub download_config: bool,
    /// Upload config.yaml's user defaults as the account's config.
    pub upload_config: bool,
    /// Download secrets from the secret store into the local files.
    pub download_secrets: bool,
    /// Upload the local secrets to the secret store.
    pub upload_secrets: bool,
    /// A secrets choice was asked for explicitly (a flag): an unusable secret store is then an error,
    /// not a warning.
    pub explicit_secrets: bool,
}

/// What [`finish`] did.
#[derive(Debug)]
pub struct LoggedIn {
    /// The session as logged in (the token and URL beat every other source), over config.yaml as saved:
    /// the secrets transfers the choices asked for run over it.
    pub session: Session,
    /// Whether the secret store answered, so the secrets transfers asked for can run.
    pub secrets_ok: bool,
}

/// Checks `token` against the session's rh-server (`GET /user`), before anything is asked or written.
pub async fn check_token(session: &Session, token: SecretString) -> Result<Checked> {
    let config = session.config()?;
    let url = session.settings()?.api_server_url.clone();
    let client = RemoteRns::new(&url, token.clone())?;
    let user = client.user().await?;
    tracing::info!(
        "Token is valid for {} at {url}",
        clean(&user.username).into_owned()
    );
    Ok(Checked {
        url,
        token,
        client,
        user,
        config,
    })
}

/// Opens the secret store the logged-in session sees (rh-server's Vault proxy) and asks it for its
/// providers, so a server without a Vault is found before anything is written.
async fn check_store(session: &Session) -> Result<()> {
    let store = session.secret_store()?;
    store.list().await?;
    Ok(())
}

/// Uploads and downloads the config as chosen, stores the token, username and default folder in
/// config.yaml, and checks the secret store when secrets are to move.
pub async fn finish(
    session: &Session,
    checked: Checked,
    choices: LoginChoices,
) -> Result<LoggedIn> {
    let Checked {
        url,
        token,
        client,
        user,
        mut config,
    } = checked;
    // Secrets at login go through the server being logged into (its URL and this token), never an
    // older token's server or `VAULT_ADDR`. Checked before anything is written: an explicit request must
    // be possible.
    let secrets_ok = if choices.download_secrets || choices.upload_secrets {
        match check_store(&session.logged_in(&url, &token)).await {
            Ok(()) => true,
            Err(e) if choices.explicit_secrets => return Err(e),
            Err(e) => {
                tracing::warn!("Skipping secrets: {}", chain(&e));
                false
            }
        }
    } else {
        false
    };

    if choices.upload_config {
        client.put_config(&config::upload_view(&config)?).await?;
        tracing::info!("Uploaded {} to rh-server", config.path().display());
    }
    if choices.download_config {
        let n = config::merge_downloaded(&mut config, &user.username, &user.config)?;
        tracing::info!("Downloaded {n} config value(s) from rh-server");
    }
    config.set("token", Yaml::String(token.expose_secret().to_owned()))?;
    config.set("username", Yaml::String(user.username.clone()))?;
    // A folder stored on the account (`/org/team`) wins over `/<username>` when the config was downloaded.
    let account_folder = choices.download_config
        && user
            .config
            .get("default_folder")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|f| !f.is_empty() && f != "~");
    if !account_folder {
        config.set(
            "default_folder",
            Yaml::String(format!("/{}", user.username)),
        )?;
    }
    if let Some(given) = &session.overrides().api_server_url {
        config.set(
            "api_server_url",
            Yaml::String(given.trim_end_matches('/').to_owned()),
        )?;
    }
    config.save()?;
    tracing::info!("Saved your token to {}", config.path().display());
    Ok(LoggedIn {
        session: session.logged_in(&url, &token),
        secrets_ok,
    })
}

/// Revokes the session's token on rh-server, so it stops working everywhere. Changes nothing locally.
pub async fn revoke(session: &Session) -> Result<()> {
    let Some(remote) = session.client()? else {
        return Err(Error::NothingToRevoke);
    };
    remote.revoke_token().await?;
    tracing::info!("Revoked your token on {}", remote.base_url());
    Ok(())
}

/// The providers recorded under config.yaml's `secrets:`, in file order (for logout to ask about).
pub fn recorded_providers(session: &Session) -> Result<Vec<String>> {
    let config = session.config()?;
    Ok(config
        .secrets_map()
        .into_iter()
        .filter_map(|(k, _)| k.as_str().map(str::to_owned))
        .collect())
}

/// True (with a notice) for the providers whose files logout never deletes: `ssh` (keys are removed by
/// hand).
pub fn keeps_files(provider: &str) -> bool {
    if provider == "ssh" {
        tracing::info!("Keeping the SSH keys: rh never deletes them (remove them by hand)");
        return true;
    }
    false
}

/// Deletes the local credentials files of `providers` (never SSH keys).
pub fn delete_secrets_files(session: &Session, providers: &[String]) -> Result<()> {
    let providers: Vec<String> = providers
        .iter()
        .filter(|p| p.as_str() != "ssh")
        .cloned()
        .collect();
    if !providers.is_empty() {
        let origin = rh_secrets::audit::Origin::new("rh logout", "-");
        session
            .secrets()
            .with_origin(&origin)
            .delete_local(&providers)?;
    }
    Ok(())
}

/// Deletes config.yaml.
pub fn delete_config(session: &Session) -> Result<()> {
    let config = session.config()?;
    config.delete_file()?;
    tracing::info!(
        "Deleted rh config file from path: {}",
        config.path().display()
    );
    Ok(())
}

/// Removes the token, username and default folder (and the `secrets:` entries of `forget_secrets`,
/// whose files stay) from config.yaml.
pub fn forget_login(session: &Session, forget_secrets: &[String]) -> Result<()> {
    let mut config = session.config()?;
    for provider in forget_secrets {
        config.remove_secret_path(provider)?;
    }
    let mut changed = !forget_secrets.is_empty();
    for key in ["token", "username", "default_folder"] {
        changed |= config.unset(key)?;
    }
    if changed {
        config.save()?;
    }
    Ok(())
}
