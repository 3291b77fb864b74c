//! `rh.ondemand_cluster`, `rh.cluster`, `rh.load`, `rh.exists` and the methods every resource has: the
//! rh-ops resource operations, the ones `rh resource …` and `rh cluster …` call.
//!
//! A resource crosses into Python as its config (a `dict`, keys in stored order) and its kind (the class
//! name the Python layer builds: `OnDemandCluster`, `Cluster`, `Blob`, `Folder`, `Resource`). Every config
//! coming back from Python is typed again by rh-resources before anything is stored, exactly as a
//! `config.json` read from disk is, so a dict edited by hand is checked like a file edited by hand.

use std::str::FromStr as _;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use rh_ops::resource::{self as ops, ClusterSpec};
use rh_ops::{Names, Session};
use rh_resources::{OnDemandSpec, Resource};
use rh_rns::ResourceName;
use serde_json::{Map, Value};

use crate::convert::{json_to_py, to_json};
use crate::errors::bad_input;
use crate::runtime::{block_on, blocking, session};

/// The session and name resolution of one call (settings resolved afresh, as one CLI run).
pub(crate) fn names() -> rh_ops::Result<(Session, Names)> {
    let session = session()?;
    let names = session.names()?;
    Ok((session, names))
}

/// The Python class a resource becomes.
pub(crate) fn kind(resource: &Resource) -> &'static str {
    match resource {
        Resource::OnDemandCluster(_) => "OnDemandCluster",
        Resource::Cluster(_) => "Cluster",
        Resource::Blob(_) => "Blob",
        Resource::Folder(_) => "Folder",
        Resource::Generic(_) => "Resource",
    }
}

/// `(kind, config)` of a resource, for the Python layer.
pub(crate) fn typed(py: Python<'_>, resource: &Resource) -> PyResult<(&'static str, Py<PyAny>)> {
    Ok((
        kind(resource),
        json_to_py(py, &Value::Object(resource.to_config()))?,
    ))
}

/// Converts a Python config (`dict` of JSON-like values) into a JSON object.
pub(crate) fn config_of(obj: &Bound<'_, PyAny>) -> PyResult<Map<String, Value>> {
    match to_json(obj)? {
        Value::Object(m) => Ok(m),
        _ => Err(bad_input("a resource config must be a dict")),
    }
}

/// Types a config held by a Python object (its `name` is the name).
pub(crate) fn resource_of(names: &Names, config: Map<String, Value>) -> rh_ops::Result<Resource> {
    let origin = config
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("the resource")
        .to_owned();
    ops::from_config(names, None, config, &origin)
}

/// A new, unsaved on-demand cluster's `(kind, config)`; absent fields take the config.yaml defaults.
#[pyfunction]
#[pyo3(signature = (name, instance_type=None, num_instances=None, provider=None, autostop_mins=None, use_spot=None, image_id=None, region=None))]
#[expect(clippy::too_many_arguments, reason = "Runhouse's factory signature")]
pub(crate) fn ondemand_cluster_new(
    py: Python<'_>,
    name: Option<&str>,
    instance_type: Option<String>,
    num_instances: Option<i64>,
    provider: Option<String>,
    autostop_mins: Option<i64>,
    use_spot: Option<bool>,
    image_id: Option<String>,
    region: Option<String>,
) -> PyResult<(&'static str, Py<PyAny>)> {
    let spec = ClusterSpec::OnDemand(OnDemandSpec {
        instance_type,
        num_instances,
        provider,
        autostop_mins,
        use_spot,
        image_id,
        region,
    });
    let name =
        name.ok_or_else(|| bad_input("rh.ondemand_cluster needs a name (`~/my_cluster`)"))?;
    let resource = blocking(py, || {
        let (session, names) = names()?;
        ops::new_cluster(&session, &names, name, spec)
    })?;
    typed(py, &resource)
}

/// A new, unsaved bring-your-own cluster's `(kind, config)`; `ssh_creds` names an ssh secret.
#[pyfunction]
#[pyo3(signature = (name, ips, ssh_creds=None))]
pub(crate) fn cluster_new(
    py: Python<'_>,
    name: &str,
    ips: Vec<String>,
    ssh_creds: Option<String>,
) -> PyResult<(&'static str, Py<PyAny>)> {
    let resource = blocking(py, || {
        let (session, names) = names()?;
        ops::new_cluster(
            &session,
            &names,
            name,
            ClusterSpec::Static { ips, ssh_creds },
        )
    })?;
    typed(py, &resource)
}

/// Loads `name`: `(kind, config)`. `expect` (`OnDemandCluster`, `cluster`, `Blob`) refuses another kind,
/// as a factory given only a name does.
#[pyfunction]
#[pyo3(signature = (name, expect=None))]
pub(crate) fn resource_load(
    py: Python<'_>,
    name: &str,
    expect: Option<&str>,
) -> PyResult<(&'static str, Py<PyAny>)> {
    let (_, resource) = block_on(py, async {
        let (_session, names) = names()?;
        ops::load(&names, name).await
    })?;
    let wanted = match expect {
        None => None,
        Some("OnDemandCluster") => Some((
            matches!(resource, Resource::OnDemandCluster(_)),
            "an on-demand cluster",
        )),
        Some("cluster") => Some((
            matches!(
                resource,
                Resource::OnDemandCluster(_) | Resource::Cluster(_)
            ),
            "a cluster",
        )),
        Some("Blob") => Some((matches!(resource, Resource::Blob(_)), "a blob")),
        Some(other) => return Err(bad_input(&format!("unknown resource kind `{other}`"))),
    };
    if let Some((false, expected)) = wanted {
        let e = rh_resources::Error::WrongType {
            name: resource.name().to_string(),
            expected,
            found: resource.kind(),
        };
        return Err(crate::errors::OpsErr(e.into()).into());
    }
    typed(py, &resource)
}

/// Whether a resource of that name exists.
#[pyfunction]
pub(crate) fn resource_exists(py: Python<'_>, name: &str) -> PyResult<bool> {
    block_on(py, async {
        let (_session, names) = names()?;
        ops::exists(&names, name).await
    })
}

/// Saves `config` under `name` (else its own); returns the saved `(kind, config)`.
#[pyfunction]
#[pyo3(signature = (config, name=None, overwrite=true))]
pub(crate) fn resource_save(
    py: Python<'_>,
    config: &Bound<'_, PyAny>,
    name: Option<&str>,
    overwrite: bool,
) -> PyResult<(&'static str, Py<PyAny>)> {
    let config = config_of(config)?;
    let resource = block_on(py, async {
        let (_session, names) = names()?;
        let origin = name
            .or_else(|| config.get("name").and_then(Value::as_str))
            .unwrap_or("the resource")
            .to_owned();
        ops::save_resource(&names, name, config, &origin, overwrite).await
    })?;
    typed(py, &resource)
}

/// Deletes the config saved under `name` (`resource.delete_configs()`, `rh resource rm`).
#[pyfunction]
pub(crate) fn resource_delete(py: Python<'_>, name: &str) -> PyResult<()> {
    block_on(py, async {
        let (_session, names) = names()?;
        ops::rm(&names, name).await.map(drop)
    })
}

/// The changes of `name`, newest first: dicts of id, short_id, timestamp, time, author, message, change.
#[pyfunction]
#[pyo3(signature = (name, limit=None))]
pub(crate) fn resource_history(
    py: Python<'_>,
    name: &str,
    limit: Option<usize>,
) -> PyResult<Vec<Py<PyAny>>> {
    let (_, entries) = block_on(py, async {
        let (_session, names) = names()?;
        ops::history(&names, name, limit).await
    })?;
    entries
        .iter()
        .map(|h| {
            let d = PyDict::new(py);
            d.set_item("id", &h.id)?;
            d.set_item("short_id", &h.short_id)?;
            d.set_item("timestamp", h.timestamp)?;
            d.set_item("time", &h.time)?;
            d.set_item("author", &h.author)?;
            d.set_item("message", &h.message)?;
            d.set_item("change", &h.change)?;
            Ok(d.into_any().unbind())
        })
        .collect()
}

/// Gives `users` `access_type` to the remote resource `name`: `(added_users, new_users)`. `allow_reshare`
/// (a secret's owner only): let or stop letting its `write` grantees share it further.
#[pyfunction]
#[pyo3(signature = (name, users, access_type, notify_users, allow_reshare = None))]
#[expect(
    clippy::needless_pass_by_value,
    reason = "pyo3 extracts arguments as owned values"
)]
pub(crate) fn resource_share(
    py: Python<'_>,
    name: &str,
    users: Vec<String>,
    access_type: &str,
    notify_users: bool,
    allow_reshare: Option<bool>,
) -> PyResult<(
    std::collections::BTreeMap<String, String>,
    std::collections::BTreeMap<String, String>,
)> {
    let got = block_on(py, async {
        let (_session, names) = names()?;
        ops::share(
            &names,
            name,
            &users,
            access_type,
            notify_users,
            allow_reshare,
        )
        .await
    })?;
    // Python's dicts keep order; the BTreeMap sorts as the package always did.
    Ok((
        got.added_users.into_iter().collect(),
        got.new_users.into_iter().collect(),
    ))
}

/// Sets a cluster's autostop (saving it again when it is saved); returns the new config.
#[pyfunction]
pub(crate) fn cluster_keep_warm(
    py: Python<'_>,
    config: &Bound<'_, PyAny>,
    autostop_mins: i64,
) -> PyResult<Py<PyAny>> {
    let config = config_of(config)?;
    let resource = block_on(py, async {
        let (_session, names) = names()?;
        let mut resource = resource_of(&names, config)?;
        ops::keep_warm_resource(&names, &mut resource, autostop_mins).await?;
        Ok(resource)
    })?;
    json_to_py(py, &Value::Object(resource.to_config()))
}

/// `(kind, config)` of a config dict, checked as a stored one is (for `copy`, `pickle` and hand edits).
#[pyfunction]
pub(crate) fn resource_check(
    py: Python<'_>,
    config: &Bound<'_, PyAny>,
) -> PyResult<(&'static str, Py<PyAny>)> {
    let config = config_of(config)?;
    let resource = blocking(py, || {
        let (_session, names) = names()?;
        resource_of(&names, config)
    })?;
    typed(py, &resource)
}

/// The config as `config.json` holds it (Runhouse's `json.dumps(config, indent=4)`).
#[pyfunction]
pub(crate) fn config_json(config: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(rh_rns::to_python_json(&Value::Object(config_of(config)?)))
}

/// The last segment of an address (`~/a/b` → `b`), Runhouse's `resource.name`.
#[pyfunction]
pub(crate) fn name_basename(address: &str) -> PyResult<String> {
    let name = ResourceName::from_str(address)
        .map_err(|e| crate::errors::raise(crate::errors::Kind::Value, &e.to_string()))?;
    Ok(name.basename().to_owned())
}

/// Adds this module's functions to `rh._rh`.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ondemand_cluster_new, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_new, m)?)?;
    m.add_function(wrap_pyfunction!(resource_load, m)?)?;
    m.add_function(wrap_pyfunction!(resource_exists, m)?)?;
    m.add_function(wrap_pyfunction!(resource_save, m)?)?;
    m.add_function(wrap_pyfunction!(resource_delete, m)?)?;
    m.add_function(wrap_pyfunction!(resource_history, m)?)?;
    m.add_function(wrap_pyfunction!(resource_share, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_keep_warm, m)?)?;
    m.add_function(wrap_pyfunction!(resource_check, m)?)?;
    m.add_function(wrap_pyfunction!(config_json, m)?)?;
    m.add_function(wrap_pyfunction!(name_basename, m)?)?;
    Ok(())
}
