//! [`Resource`]: any stored resource, typed when rh knows its kind, and the dispatch on
//! `resource_type` / `resource_subtype`.

use rh_rns::{ResourceName, ResourceRecord, Rns};
use serde_json::{Map, Value};

use crate::{Blob, Cluster, Error, Folder, OnDemandCluster, Result};

/// A resource of a kind rh does not model (`function`, `env`, `table`, …): its config is kept as stored
/// and saved back unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct GenericResource {
    /// The address.
    pub name: ResourceName,
    /// The whole config.
    pub config: Map<String, Value>,
}

/// Any resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    /// `cluster` / `OnDemandCluster`.
    OnDemandCluster(OnDemandCluster),
    /// `cluster` / `Cluster`.
    Cluster(Cluster),
    /// `blob` / `Blob` or `File`.
    Blob(Blob),
    /// `folder` / `Folder`, `S3Folder`, `GCSFolder`, `AzureFolder`.
    Folder(Folder),
    /// Anything else, carried unchanged.
    Generic(GenericResource),
}

const FOLDER_SUBTYPES: &[&str] = &["Folder", "S3Folder", "GCSFolder", "AzureFolder"];
const BLOB_SUBTYPES: &[&str] = &["Blob", "File"];

impl Resource {
    /// Builds the typed resource from a record. `location` (the file path, or the name) goes into errors.
    /// Known types with a missing or unknown subtype are errors; unknown types become [`Resource::Generic`].
    pub fn from_record(record: &ResourceRecord, location: &str) -> Result<Self> {
        let name = record.name().clone();
        let config = record.config();
        let subtype = record.resource_subtype();
        let bad = |reason: String| Error::InvalidConfig {
            location: location.to_owned(),
            reason,
        };
        let need_subtype = |kind: &str, allowed: &[&str]| -> Result<String> {
            match subtype {
                None => Err(bad(format!("`resource_subtype` is missing for a {kind}"))),
                Some(s) if allowed.contains(&s) => Ok(s.to_owned()),
                Some(s) => Err(bad(format!(
                    "unknown {kind} type `{s}` (expected {})",
                    allowed.join(", ")
                ))),
            }
        };
        Ok(match record.resource_type() {
            "cluster" => {
                match need_subtype("cluster", &[OnDemandCluster::SUBTYPE, Cluster::SUBTYPE])?
                    .as_str()
                {
                    OnDemandCluster::SUBTYPE => {
                        Self::OnDemandCluster(OnDemandCluster::from_config(name, config, location)?)
                    }
                    _ => Self::Cluster(Cluster::from_config(name, config, location)?),
                }
            }
            "blob" => {
                let s = need_subtype("blob", BLOB_SUBTYPES)?;
                Self::Blob(Blob::from_config(name, &s, config, location)?)
            }
            "folder" => {
                let s = need_subtype("folder", FOLDER_SUBTYPES)?;
                Self::Folder(Folder::from_config(name, &s, config, location)?)
            }
            _ => Self::Generic(GenericResource {
                name,
                config: config.clone(),
            }),
        })
    }

    /// The record to store.
    pub fn to_record(&self) -> ResourceRecord {
        ResourceRecord::new(self.name().clone(), self.to_config())
    }

    /// The config, keys in stored order (canonical order for new resources).
    pub fn to_config(&self) -> Map<String, Value> {
        match self {
            Self::OnDemandCluster(c) => c.to_config(),
            Self::Cluster(c) => c.to_config(),
            Self::Blob(b) => b.to_config(),
            Self::Folder(f) => f.to_config(),
            Self::Generic(g) => g.config.clone(),
        }
    }

    /// The address.
    pub fn name(&self) -> &ResourceName {
        match self {
            Self::OnDemandCluster(c) => &c.name,
            Self::Cluster(c) => &c.name,
            Self::Blob(b) => &b.name,
            Self::Folder(f) => &f.name,
            Self::Generic(g) => &g.name,
        }
    }

    /// `resource_type/resource_subtype` as stored, for messages and listings.
    pub fn kind(&self) -> String {
        let config = self.to_config();
        let t = config
            .get("resource_type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match config.get("resource_subtype").and_then(Value::as_str) {
            Some(s) => format!("{t}/{s}"),
            None => t.to_owned(),
        }
    }

    /// Loads and types a resource ("name only ⇒ load"). A missing one is `resource … not found`; a
    /// config that is not a valid resource names its file.
    pub async fn load(rns: &dyn Rns, name: &ResourceName) -> Result<Self> {
        let record = rns.load(name).await?;
        let location = match rns.locate(name).await {
            Ok(Some(path)) => path.display().to_string(),
            _ => name.to_string(),
        };
        Self::from_record(&record, &location)
    }

    /// Saves the resource; without `overwrite` an existing one is left untouched (`already exists`).
    pub async fn save(&self, rns: &dyn Rns, overwrite: bool) -> Result<()> {
        if matches!(self, Self::OnDemandCluster(_) | Self::Cluster(_)) {
            crate::cluster::check_cluster_name(self.name())?;
        }
        rns.save(&self.to_record(), overwrite).await?;
        Ok(())
    }

    pub(crate) fn wrong_type(&self, expected: &'static str) -> Error {
        Error::WrongType {
            name: self.name().to_string(),
            expected,
            found: self.kind(),
        }
    }
}
