//! Named resources over the local RNS (the working dir's `rh/`) and rh-server (`/…` names): save, load,
//! ls, mv, rm, locate, history, diff, restore, share, revoke, and the cluster resources.
//!
//! Every operation takes the [`Names`] of the session (name resolution and the store holding a name) and
//! a name as the user typed it.

use std::path::PathBuf;

use rh_resources::{Cluster, OnDemandCluster, OnDemandSpec, Resource, ResourceSettings, SshCreds};
use rh_rns::remote::wire::AccessResult;
use rh_rns::{HistoryEntry, Listing, ResourceName, ResourceRecord, Scope};
use serde_json::{Map, Value};

use crate::text::clean;
use crate::{Error, Names, Result, Session};

/// Parses a resource config (a JSON object) read from `origin` (a file name, `-` for stdin).
pub fn parse_config(origin: &str, text: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Error::NotAnObject {
            origin: origin.to_owned(),
        }),
        Err(e) => Err(Error::NotJson {
            origin: origin.to_owned(),
            message: e.to_string(),
        }),
    }
}

/// Types `config` as the resource named `name` (else the config's own `name`), checked as a stored one
/// would be; `origin` (a file name, or the name) goes into errors.
pub fn from_config(
    names: &Names,
    name: Option<&str>,
    config: Map<String, Value>,
    origin: &str,
) -> Result<Resource> {
    let name = match (name, config.get("name").and_then(Value::as_str)) {
        (Some(n), _) | (None, Some(n)) => n.to_owned(),
        (None, None) => {
            return Err(Error::NoName {
                origin: origin.to_owned(),
            });
        }
    };
    let name = names.name(&name)?;
    let record = ResourceRecord::from_config(name, config, origin)?;
    Ok(Resource::from_record(&record, origin)?)
}

/// Saves `config` under `name` (else the config's own `name`); returns the resolved name.
pub async fn save(
    names: &Names,
    name: Option<&str>,
    config: Map<String, Value>,
    origin: &str,
    overwrite: bool,
) -> Result<ResourceName> {
    Ok(save_resource(names, name, config, origin, overwrite)
        .await?
        .name()
        .clone())
}

/// [`save`], returning the resource as saved (its config is what the store holds).
pub async fn save_resource(
    names: &Names,
    name: Option<&str>,
    config: Map<String, Value>,
    origin: &str,
    overwrite: bool,
) -> Result<Resource> {
    let resource = from_config(names, name, config, origin)?;
    resource
        .save(names.store(resource.name())?, overwrite)
        .await?;
    Ok(resource)
}

/// Loads the resource `input` names.
pub async fn load(names: &Names, input: &str) -> Result<(ResourceName, Resource)> {
    let (name, rns) = names.resolve(input)?;
    let resource = Resource::load(rns, &name).await?;
    Ok((name, resource))
}

/// Whether a resource of that name exists.
pub async fn exists(names: &Names, input: &str) -> Result<bool> {
    let (name, rns) = names.resolve(input)?;
    Ok(rns.exists(&name).await?)
}

/// The file holding `name`'s config, if its store keeps one on disk.
pub async fn file_of(names: &Names, name: &ResourceName) -> Result<Option<PathBuf>> {
    Ok(names.store(name)?.locate(name).await?)
}

/// The resources in `folder` (default: the current folder); unreadable ones are skipped with a warning.
pub async fn list(names: &Names, folder: Option<&str>, recursive: bool) -> Result<Listing> {
    let folder = match folder {
        Some(f) => names.name(f)?,
        None => names.current_folder().clone(),
    };
    let rns = names.store(&folder)?;
    let listing = rns.list(&folder, recursive).await?;
    for s in &listing.skipped {
        tracing::warn!("Skipping {}: {}", clean(&s.location), clean(&s.reason));
    }
    Ok(listing)
}

/// Deletes a resource's config (nested resources stay); returns its name.
pub async fn rm(names: &Names, input: &str) -> Result<ResourceName> {
    let (name, rns) = names.resolve(input)?;
    rns.delete(&name).await?;
    tracing::info!("Deleted {name}");
    Ok(name)
}

/// Renames a resource, also between the local store and rh-server (copy, then delete the source).
pub async fn mv(
    names: &Names,
    from: &str,
    to: &str,
    overwrite: bool,
) -> Result<(ResourceName, ResourceName)> {
    let (from, src) = names.resolve(from)?;
    let (to, dst) = names.resolve(to)?;
    if (from.scope() == Scope::Remote) == (to.scope() == Scope::Remote) {
        src.rename(&from, &to, overwrite).await?;
    } else {
        let record = src.load(&from).await?;
        dst.save(&record.renamed(to.clone()), overwrite).await?;
        src.delete(&from).await?;
    }
    tracing::info!("Moved {from} to {to}");
    Ok((from, to))
}

/// Where a local resource's config.json is (`~` is the rh/ folder).
pub async fn locate(names: &Names, input: &str) -> Result<PathBuf> {
    let (name, rns) = names.resolve(input)?;
    if name.scope() == Scope::Remote {
        return Err(Error::RemoteHasNoFile {
            name: name.to_string(),
        });
    }
    if name.is_root() {
        return Ok(names.local().rh_dir().to_path_buf());
    }
    rns.locate(&name)
        .await?
        .ok_or_else(|| Error::BuiltinHasNoFile {
            name: name.to_string(),
        })
}

/// The changes of a resource, newest first, at most `limit`.
pub async fn history(
    names: &Names,
    input: &str,
    limit: Option<usize>,
) -> Result<(ResourceName, Vec<HistoryEntry>)> {
    let (name, rns) = names.resolve(input)?;
    let entries = rns.history(&name, limit).await?;
    Ok((name, entries))
}

/// How a resource changed since `rev` (default: the last commit), as a unified diff.
pub async fn diff(names: &Names, input: &str, rev: Option<&str>) -> Result<String> {
    let (name, rns) = names.resolve(input)?;
    Ok(rns.diff(&name, rev).await?)
}

/// Puts back the config a resource had at `rev`; returns its name.
pub async fn restore(names: &Names, input: &str, rev: &str) -> Result<ResourceName> {
    let (name, rns) = names.resolve(input)?;
    rns.restore(&name, rev).await?;
    tracing::info!("Restored {name} to its config at {rev}");
    Ok(name)
}

/// Gives `users` (names or emails) `access` to a remote resource. A blob on the local file system cannot
/// be shared. `allow_reshare` (a secret's owner only) lets or stops letting its `write` grantees share it
/// further.
pub async fn share(
    names: &Names,
    input: &str,
    users: &[String],
    access: &str,
    notify: bool,
    allow_reshare: Option<bool>,
) -> Result<AccessResult> {
    let name = names.name(input)?;
    let remote = names.remote(&name)?;
    if let Ok(Resource::Blob(b)) = Resource::load(remote, &name).await
        && b.system == rh_resources::System::file()
    {
        return Err(Error::LocalBlobShare);
    }
    Ok(remote
        .share(&name, users, access, notify, allow_reshare)
        .await?)
}

/// Takes away `users`' access to a remote resource (`None`: everyone's).
pub async fn revoke(names: &Names, input: &str, users: Option<&[String]>) -> Result<AccessResult> {
    let name = names.name(input)?;
    Ok(names.remote(&name)?.revoke(&name, users).await?)
}

/// The defaults new clusters take (`default_autostop`, `default_provider`, `use_spot`).
pub fn resource_settings(session: &Session) -> Result<ResourceSettings> {
    let s = session.settings()?;
    Ok(ResourceSettings {
        default_autostop: s.default_autostop,
        default_provider: s.default_provider.clone(),
        use_spot: s.use_spot,
    })
}

/// What kind of cluster to create.
#[derive(Debug)]
pub enum ClusterSpec {
    /// On-demand: absent fields take the session's defaults.
    OnDemand(OnDemandSpec),
    /// Hosts you run yourself, with the name of the SSH credentials secret (a resource name).
    Static {
        /// The hosts' addresses; the first is the head node.
        ips: Vec<String>,
        /// The SSH credentials secret's name as typed (`~/ssh-key`), resolved like a resource name;
        /// `None` saves the cluster without credentials.
        ssh_creds: Option<String>,
    },
}

/// Creates and saves a cluster resource; returns its name.
pub async fn create_cluster(
    session: &Session,
    names: &Names,
    input: &str,
    spec: ClusterSpec,
    overwrite: bool,
) -> Result<ResourceName> {
    let (_, rns) = names.resolve(input)?;
    let resource = new_cluster(session, names, input, spec)?;
    resource.save(rns, overwrite).await?;
    Ok(resource.name().clone())
}

/// A new, unsaved cluster resource named `input` (absent on-demand fields take the session's defaults).
pub fn new_cluster(
    session: &Session,
    names: &Names,
    input: &str,
    spec: ClusterSpec,
) -> Result<Resource> {
    let name = names.name(input)?;
    Ok(match spec {
        ClusterSpec::OnDemand(spec) => Resource::OnDemandCluster(OnDemandCluster::new(
            name,
            spec,
            &resource_settings(session)?,
        )?),
        ClusterSpec::Static { ips, ssh_creds } => {
            // The secret is named like a resource (and the shell may have expanded its `~` too).
            let creds = ssh_creds
                .map(|s| names.name(&s).map(|n| SshCreds::Secret(n.to_string())))
                .transpose()?;
            Resource::Cluster(Cluster::new(name, ips, creds)?)
        }
    })
}

/// Sets an on-demand cluster's autostop and saves it (a cluster you run yourself only says it has none).
pub async fn keep_warm(names: &Names, input: &str, autostop_mins: i64) -> Result<ResourceName> {
    let (name, rns) = names.resolve(input)?;
    match Resource::load(rns, &name).await? {
        Resource::OnDemandCluster(mut c) => c.keep_warm(rns, autostop_mins).await?,
        Resource::Cluster(c) => c.keep_warm(),
        other => {
            return Err(Error::NotACluster {
                name: name.to_string(),
                kind: other.kind(),
            });
        }
    }
    Ok(name)
}

/// Sets the autostop of a cluster held in memory (a front end's object); an on-demand cluster that is
/// already saved under its name is saved again, as `keep_warm` does for a stored one.
pub async fn keep_warm_resource(
    names: &Names,
    resource: &mut Resource,
    autostop_mins: i64,
) -> Result<()> {
    match resource {
        Resource::OnDemandCluster(c) => {
            let rns = names.store(&c.name)?;
            if rns.exists(&c.name).await? {
                c.keep_warm(rns, autostop_mins).await?;
            } else {
                c.set_autostop(autostop_mins)?;
            }
        }
        Resource::Cluster(c) => c.keep_warm(),
        other => {
            return Err(Error::NotACluster {
                name: other.name().to_string(),
                kind: other.kind(),
            });
        }
    }
    Ok(())
}
