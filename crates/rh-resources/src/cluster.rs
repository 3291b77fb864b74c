//! Clusters: [`OnDemandCluster`] (launched on a cloud) and [`Cluster`] (bring your own hosts).

use rh_rns::{ResourceName, ResourceRecord, Rns};
use serde_json::{Map, Value};

use crate::fields::{Fields, opt_string, overlay};
use crate::{Error, Resource, ResourceSettings, Result};

/// A cluster launched on demand on a cloud (Runhouse's `OnDemandCluster`, SkyPilot-backed).
#[derive(Debug, Clone, PartialEq)]
pub struct OnDemandCluster {
    /// The address.
    pub name: ResourceName,
    /// `A100:4` (accelerator:count), `CPU:2+`, or a cloud instance type (`m5.xlarge`).
    pub instance_type: Option<String>,
    /// Number of nodes; only meaningful when `instance_type` has no `:`.
    pub num_instances: Option<i64>,
    /// `aws`, `gcp`, `azure`, `lambda` or `cheapest`.
    pub provider: Option<String>,
    /// Minutes of idleness before autostop; -1 never.
    pub autostop_mins: Option<i64>,
    /// Spot instances.
    pub use_spot: bool,
    /// Machine image.
    pub image_id: Option<String>,
    /// Cloud region.
    pub region: Option<String>,
    /// The launcher's record of the running cluster, kept as stored.
    pub sky_state: Option<Value>,
    base: Map<String, Value>,
}

/// Arguments for a new [`OnDemandCluster`]; `None` means "use the configured default" where one exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnDemandSpec {
    /// See [`OnDemandCluster::instance_type`].
    pub instance_type: Option<String>,
    /// See [`OnDemandCluster::num_instances`].
    pub num_instances: Option<i64>,
    /// Default: `default_provider`.
    pub provider: Option<String>,
    /// Default: `default_autostop`.
    pub autostop_mins: Option<i64>,
    /// Default: `use_spot`.
    pub use_spot: Option<bool>,
    /// See [`OnDemandCluster::image_id`].
    pub image_id: Option<String>,
    /// See [`OnDemandCluster::region`].
    pub region: Option<String>,
}

/// Refuses a cluster name whose last segment is one of Runhouse's system names ([`Cluster::RESERVED`]):
/// `system: "s3"` must always mean the storage system, never a cluster called `s3` (spec §6.3).
pub(crate) fn check_cluster_name(name: &ResourceName) -> Result<()> {
    if Cluster::RESERVED.contains(&name.basename()) {
        return Err(Error::InvalidArgument {
            name: name.to_string(),
            field: "name",
            reason: format!(
                "`{}` is reserved for a system; a cluster may not be named {}",
                name.basename(),
                Cluster::RESERVED.join(", ")
            ),
        });
    }
    Ok(())
}

/// Providers the launcher accepts.
pub const PROVIDERS: &[&str] = &["aws", "gcp", "azure", "lambda", "cheapest"];

impl OnDemandCluster {
    /// `resource_subtype`.
    pub const SUBTYPE: &'static str = "OnDemandCluster";

    /// A new, unsaved cluster; absent arguments take the defaults in `settings`.
    pub fn new(
        name: ResourceName,
        spec: OnDemandSpec,
        settings: &ResourceSettings,
    ) -> Result<Self> {
        check_cluster_name(&name)?;
        let provider = spec
            .provider
            .unwrap_or_else(|| settings.default_provider.clone());
        if !PROVIDERS.contains(&provider.as_str()) {
            return Err(Error::InvalidArgument {
                name: name.to_string(),
                field: "provider",
                reason: format!("`{provider}` is not one of {}", PROVIDERS.join(", ")),
            });
        }
        if let Some(n) = spec.num_instances
            && n < 1
        {
            return Err(Error::InvalidArgument {
                name: name.to_string(),
                field: "num_instances",
                reason: format!("{n} is not a positive count"),
            });
        }
        Ok(Self {
            name,
            instance_type: spec.instance_type,
            num_instances: spec.num_instances,
            provider: Some(provider),
            autostop_mins: Some(spec.autostop_mins.unwrap_or(settings.default_autostop)),
            use_spot: spec.use_spot.unwrap_or(settings.use_spot),
            image_id: spec.image_id,
            region: spec.region,
            sky_state: None,
            base: Map::new(),
        })
    }

    pub(crate) fn from_config(
        name: ResourceName,
        config: &Map<String, Value>,
        location: &str,
    ) -> Result<Self> {
        let f = Fields {
            map: config,
            name: location,
        };
        Ok(Self {
            instance_type: f.opt_str("instance_type")?,
            num_instances: f.opt_i64("num_instances")?,
            provider: f.opt_str("provider")?,
            autostop_mins: f.opt_i64("autostop_mins")?,
            use_spot: f.opt_bool("use_spot")?.unwrap_or(false),
            image_id: f.opt_str("image_id")?,
            region: f.opt_str("region")?,
            sky_state: config.get("sky_state").filter(|v| !v.is_null()).cloned(),
            base: config.clone(),
            name,
        })
    }

    /// The config, with `name`, `resource_type` and `resource_subtype` first for a new cluster, and every
    /// key in its stored position for a loaded one.
    pub fn to_config(&self) -> Map<String, Value> {
        overlay(
            &self.base,
            vec![
                ("name", Some(Value::String(self.name.to_string()))),
                ("resource_type", Some("cluster".into())),
                ("resource_subtype", Some(Self::SUBTYPE.into())),
                (
                    "instance_type",
                    Some(opt_string(self.instance_type.as_ref())),
                ),
                (
                    "num_instances",
                    Some(self.num_instances.map_or(Value::Null, Value::from)),
                ),
                ("provider", Some(opt_string(self.provider.as_ref()))),
                (
                    "autostop_mins",
                    Some(self.autostop_mins.map_or(Value::Null, Value::from)),
                ),
                ("use_spot", Some(Value::Bool(self.use_spot))),
                ("image_id", Some(opt_string(self.image_id.as_ref()))),
                ("region", Some(opt_string(self.region.as_ref()))),
                (
                    "sky_state",
                    Some(self.sky_state.clone().unwrap_or(Value::Null)),
                ),
            ],
        )
    }

    /// Loads `name`, which must be an on-demand cluster ("name only ⇒ load").
    pub async fn from_name(rns: &dyn Rns, name: &ResourceName) -> Result<Self> {
        match Resource::load(rns, name).await? {
            Resource::OnDemandCluster(c) => Ok(c),
            other => Err(other.wrong_type("an on-demand cluster")),
        }
    }

    /// Sets the autostop time without saving (-1 = never stop; below that is an error).
    pub fn set_autostop(&mut self, autostop_mins: i64) -> Result<()> {
        if autostop_mins < -1 {
            return Err(Error::InvalidArgument {
                name: self.name.to_string(),
                field: "autostop_mins",
                reason: format!("{autostop_mins} is below -1 (never)"),
            });
        }
        self.autostop_mins = Some(autostop_mins);
        Ok(())
    }

    /// Sets the autostop time and saves the cluster (the tutorial's `keep_warm`; -1 = never stop).
    pub async fn keep_warm(&mut self, rns: &dyn Rns, autostop_mins: i64) -> Result<()> {
        self.set_autostop(autostop_mins)?;
        let record = ResourceRecord::new(self.name.clone(), self.to_config());
        rns.save(&record, true).await?;
        Ok(())
    }
}

/// How a [`Cluster`] reaches its hosts: the name of an ssh secret, or (as Runhouse stored it) a user
/// and a private key *path*. Key material and passwords are never held here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshCreds {
    /// The name of an ssh secret (`~/ssh-my-key`), resolved by rh-secrets.
    Secret(String),
    /// Runhouse's inline form, paths only.
    Paths {
        /// `ssh_user`.
        ssh_user: Option<String>,
        /// `ssh_private_key`: a file path, never the key itself.
        ssh_private_key: Option<String>,
    },
}

/// A cluster of hosts you already run (Runhouse's bring-your-own `Cluster`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The address.
    pub name: ResourceName,
    /// Host addresses; the first is the head.
    pub ips: Vec<String>,
    /// How to log in; stored only when `ips` is set.
    pub ssh_creds: Option<SshCreds>,
    base: Map<String, Value>,
}

impl Cluster {
    /// `resource_subtype`.
    pub const SUBTYPE: &'static str = "Cluster";

    /// Reserved names a cluster may not take (Runhouse's system names).
    pub const RESERVED: &'static [&'static str] =
        &["file", "s3", "gs", "azure", "here", "ssh", "sftp"];

    /// A new, unsaved cluster.
    pub fn new(name: ResourceName, ips: Vec<String>, ssh_creds: Option<SshCreds>) -> Result<Self> {
        check_cluster_name(&name)?;
        Ok(Self {
            name,
            ips,
            ssh_creds,
            base: Map::new(),
        })
    }

    pub(crate) fn from_config(
        name: ResourceName,
        config: &Map<String, Value>,
        location: &str,
    ) -> Result<Self> {
        let f = Fields {
            map: config,
            name: location,
        };
        let ips = f.opt_str_list("ips")?.unwrap_or_default();
        let ssh_creds = match config.get("ssh_creds") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(SshCreds::Secret(s.clone())),
            Some(Value::Object(creds)) => {
                if let Some(key) = ["password", "ssh_private_key_value", "private_key"]
                    .iter()
                    .find(|k| creds.contains_key(**k))
                {
                    return Err(Error::InvalidConfig {
                        location: location.to_owned(),
                        reason: format!(
                            "`ssh_creds` holds `{key}`; keep it in an ssh secret and store the secret's name instead"
                        ),
                    });
                }
                let c = Fields {
                    map: creds,
                    name: location,
                };
                let ssh_private_key = c.opt_str("ssh_private_key")?;
                if ssh_private_key
                    .as_deref()
                    .is_some_and(|k| k.contains("PRIVATE KEY"))
                {
                    return Err(Error::InvalidConfig {
                        location: location.to_owned(),
                        reason: "`ssh_creds.ssh_private_key` holds key material; store a path or an ssh secret's name".to_owned(),
                    });
                }
                Some(SshCreds::Paths {
                    ssh_user: c.opt_str("ssh_user")?,
                    ssh_private_key,
                })
            }
            Some(_) => {
                return Err(Error::InvalidConfig {
                    location: location.to_owned(),
                    reason: "`ssh_creds` must be a secret name or an object".to_owned(),
                });
            }
        };
        Ok(Self {
            name,
            ips,
            ssh_creds,
            base: config.clone(),
        })
    }

    /// The config; `ips` and `ssh_creds` only when hosts are set (as Runhouse wrote it).
    pub fn to_config(&self) -> Map<String, Value> {
        let has_ips = !self.ips.is_empty();
        let creds = self
            .ssh_creds
            .as_ref()
            .filter(|_| has_ips)
            .map(|c| match c {
                SshCreds::Secret(s) => Value::String(s.clone()),
                SshCreds::Paths {
                    ssh_user,
                    ssh_private_key,
                } => {
                    let existing = self
                        .base
                        .get("ssh_creds")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    let mut fields = Vec::new();
                    if ssh_user.is_some() || existing.contains_key("ssh_user") {
                        fields.push(("ssh_user", Some(opt_string(ssh_user.as_ref()))));
                    }
                    if ssh_private_key.is_some() || existing.contains_key("ssh_private_key") {
                        fields.push((
                            "ssh_private_key",
                            Some(opt_string(ssh_private_key.as_ref())),
                        ));
                    }
                    Value::Object(overlay(&existing, fields))
                }
            });
        overlay(
            &self.base,
            vec![
                ("name", Some(Value::String(self.name.to_string()))),
                ("resource_type", Some("cluster".into())),
                ("resource_subtype", Some(Self::SUBTYPE.into())),
                (
                    "ips",
                    has_ips.then(|| {
                        Value::Array(self.ips.iter().cloned().map(Value::String).collect())
                    }),
                ),
                ("ssh_creds", creds),
            ],
        )
    }

    /// Loads `name`, which must be a bring-your-own cluster.
    pub async fn from_name(rns: &dyn Rns, name: &ResourceName) -> Result<Self> {
        match Resource::load(rns, name).await? {
            Resource::Cluster(c) => Ok(c),
            other => Err(other.wrong_type("a bring-your-own cluster")),
        }
    }

    /// Bring-your-own clusters have no autostop; like Runhouse this only logs.
    pub fn keep_warm(&self) {
        tracing::info!(
            "{} is not an on-demand cluster, so keep_warm does nothing",
            self.name
        );
    }
}
