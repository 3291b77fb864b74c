//! Kubernetes: `~/.kube/config` (`KUBECONFIG`), the kubeconfig of kubectl and the client libraries.
//!
//! The values are one context with its cluster and user: `context`, `cluster` and `user` each hold the
//! kubeconfig entry as JSON (`{"name": "dev", "context": {"cluster": "c", "user": "u"}}`,
//! `{"name": "c", "cluster": {"server": …}}`, `{"name": "u", "user": {"token": …}}`). Reading takes the
//! current context (or a named one, [`read_context`]). A save merges by name: the three entries replace
//! the entries of the same names or are appended, every other context, cluster, user and top-level key
//! stays; `current-context` is set only when the file has none or with
//! [`WriteOptions::set_current_context`].

use std::path::{Path, PathBuf};

use rh_config::EnvVars;
use secrecy::ExposeSecret;
use serde_yaml::{Mapping, Value};

use super::yaml::{read_mapping, render};
use super::yaml_path;

/// What a kubeconfig must be.
const KUBECONFIG: &str = "expected a kubeconfig (a YAML mapping)";
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Error, Provider, ProviderSecrets, Result};

const KEYS: &[&str] = &["context", "cluster", "user"];
const CURRENT: &str = "current-context";

/// The three lists of a kubeconfig, each with the key of an entry's body and the secrets key.
const LISTS: [(&str, &str, &str); 3] = [
    ("contexts", "context", "context"),
    ("clusters", "cluster", "cluster"),
    ("users", "user", "user"),
];

/// Kubernetes (a kubeconfig context).
#[derive(Debug, Clone, Copy)]
pub struct Kubernetes;

impl Provider for Kubernetes {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn class(&self) -> &'static str {
        "KubeConfigSecret"
    }

    fn keys(&self) -> &'static [&'static str] {
        KEYS
    }

    /// The values are kubeconfig entries, not variables.
    fn exports_env(&self) -> bool {
        false
    }

    /// The first file of `KUBECONFIG` (a `:`-separated list, as kubectl writes new entries there),
    /// else `~/.kube/config`.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        let path = ctx
            .env()
            .non_empty(EnvVars::KUBECONFIG)
            .and_then(|v| v.split(':').find(|p| !p.is_empty()).map(|p| ctx.expand(p)))
            .unwrap_or_else(|| ctx.home().join(".kube/config"));
        vec![path]
    }

    fn native_key(&self, key: &str) -> String {
        match key {
            "context" => "current-context".to_owned(),
            other => format!("the current context's {other}"),
        }
    }

    fn read_path(&self, path: &Path) -> Result<Option<ProviderSecrets>> {
        read_context(path, None)
    }

    /// Each value is a JSON entry of its list, and the context names the cluster and user given.
    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        super::require_keys(self.name(), KEYS, &[], secrets)?;
        entries(secrets).map(|_| ())
    }

    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        opts: WriteOptions,
    ) -> Result<Plan> {
        super::require_keys(self.name(), KEYS, &[], secrets)?;
        let new = entries(secrets)?;
        let path = self.paths(ctx).remove(0);
        let mut doc = if let Some(doc) = read_mapping(&path, KUBECONFIG)? {
            doc
        } else {
            let mut doc = Mapping::new();
            doc.insert("apiVersion".into(), "v1".into());
            doc.insert("kind".into(), "Config".into());
            doc
        };
        for ((list, _, _), entry) in LISTS.iter().zip(new.entries) {
            let seq = doc
                .entry(Value::String((*list).to_owned()))
                .or_insert_with(|| Value::Sequence(Vec::new()));
            if seq.is_null() {
                *seq = Value::Sequence(Vec::new());
            }
            let Value::Sequence(seq) = seq else {
                return Err(malformed(&path, format!("`{list}` is not a list")));
            };
            let name = entry_name(&entry).map(str::to_owned);
            match seq.iter_mut().find(|e| entry_name(e) == name.as_deref()) {
                Some(old) => *old = entry,
                None => seq.push(entry),
            }
        }
        let current = doc
            .get(CURRENT)
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty());
        if opts.set_current_context || current.is_none() {
            doc.insert(CURRENT.into(), Value::String(new.context));
        }
        let mut plan = Plan {
            record: Some(yaml_path(&path)),
            ..Plan::default()
        };
        plan.write(path.clone(), render(&path, &doc)?);
        Ok(plan)
    }

    /// Removes the current context, and its cluster and user unless another context uses them.
    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let path = self.paths(ctx).remove(0);
        let mut plan = Plan::default();
        let Some(mut doc) = read_mapping(&path, KUBECONFIG)? else {
            return Ok(plan);
        };
        let Some(current) = doc
            .get(CURRENT)
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
        else {
            return Ok(plan);
        };
        let Some(context) = find(&path, &doc, "contexts", &current)? else {
            return Ok(plan);
        };
        let refs: Vec<(&str, Option<String>)> = ["cluster", "user"]
            .into_iter()
            .map(|k| (k, body_str(&context, "context", k)))
            .collect();
        remove_named(&mut doc, "contexts", &current);
        for (kind, name) in refs {
            let Some(name) = name else { continue };
            let used = list(&doc, "contexts")
                .iter()
                .any(|c| body_str(c, "context", kind).as_deref() == Some(&name));
            if !used {
                remove_named(&mut doc, &format!("{kind}s"), &name);
            }
        }
        doc.shift_remove(CURRENT);
        let empty = LISTS.iter().all(|(l, _, _)| list(&doc, l).is_empty());
        if empty {
            plan.remove(path);
        } else {
            plan.write(path.clone(), render(&path, &doc)?);
        }
        Ok(plan)
    }
}

/// The context `name` (default: the current context) of the kubeconfig at `path`, with its cluster
/// and user; `None` when there is no file. Missing parts are left out of the map.
pub fn read_context(path: &Path, name: Option<&str>) -> Result<Option<ProviderSecrets>> {
    let Some(doc) = read_mapping(path, KUBECONFIG)? else {
        return Ok(None);
    };
    let mut out = ProviderSecrets::new();
    let wanted = match name {
        Some(n) => Some(n.to_owned()),
        None => doc
            .get(CURRENT)
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
    };
    let Some(wanted) = wanted else {
        return Ok(Some(out));
    };
    let Some(context) = find(path, &doc, "contexts", &wanted)? else {
        return Ok(Some(out));
    };
    for (list, body, key) in &LISTS[1..] {
        if let Some(target) = body_str(&context, "context", body)
            && let Some(entry) = find(path, &doc, list, &target)?
        {
            out.insert(*key, to_json(path, &entry)?);
        }
    }
    out.insert("context", to_json(path, &context)?);
    Ok(Some(out))
}

/// The entries of a save, parsed and checked.
struct Entries {
    /// The context's name.
    context: String,
    /// The context, cluster and user entries, in the order of [`LISTS`].
    entries: Vec<Value>,
}

fn entries(secrets: &ProviderSecrets) -> Result<Entries> {
    let invalid = |key: &str, reason: &'static str| Error::InvalidValue {
        provider: "kubernetes".to_owned(),
        key: key.to_owned(),
        reason,
    };
    let mut entries = Vec::new();
    let mut names = Vec::new();
    for (_, body, key) in LISTS {
        let text = secrets
            .get(key)
            .map(ExposeSecret::expose_secret)
            .ok_or(Error::MissingKey {
                provider: "kubernetes".to_owned(),
                key,
                expected: "context, cluster and user".to_owned(),
            })?;
        let json: serde_json::Value = serde_json::from_str(text).map_err(|_| {
            invalid(
                key,
                "it must be a kubeconfig entry as JSON ({\"name\": …, …})",
            )
        })?;
        let entry: Value = serde_yaml::to_value(&json)
            .map_err(|_| invalid(key, "it must be a kubeconfig entry as JSON"))?;
        let name = entry_name(&entry)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid(key, "it has no `name`"))?
            .to_owned();
        if !entry.get(body).is_some_and(Value::is_mapping) {
            return Err(invalid(
                key,
                match body {
                    "context" => "it has no `context` mapping",
                    "cluster" => "it has no `cluster` mapping",
                    _ => "it has no `user` mapping",
                },
            ));
        }
        names.push(name);
        entries.push(entry);
    }
    for (i, kind) in [(1, "cluster"), (2, "user")] {
        if body_str(&entries[0], "context", kind).as_deref() != Some(names[i].as_str()) {
            return Err(invalid(
                "context",
                if kind == "cluster" {
                    "it does not name the cluster given in `cluster`"
                } else {
                    "it does not name the user given in `user`"
                },
            ));
        }
    }
    Ok(Entries {
        context: names.swap_remove(0),
        entries,
    })
}

fn entry_name(entry: &Value) -> Option<&str> {
    entry.get("name").and_then(Value::as_str)
}

/// `entry[body][key]` as a string (`context.cluster`).
fn body_str(entry: &Value, body: &str, key: &str) -> Option<String> {
    entry
        .get(body)
        .and_then(|b| b.get(key))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn list<'d>(doc: &'d Mapping, key: &str) -> &'d [Value] {
    doc.get(key)
        .and_then(Value::as_sequence)
        .map_or(&[], Vec::as_slice)
}

/// The entry called `name` of list `key`; a list that is not a list is an error naming the file.
fn find(path: &Path, doc: &Mapping, key: &str, name: &str) -> Result<Option<Value>> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Sequence(seq)) => Ok(seq.iter().find(|e| entry_name(e) == Some(name)).cloned()),
        Some(_) => Err(malformed(path, format!("`{key}` is not a list"))),
    }
}

fn remove_named(doc: &mut Mapping, key: &str, name: &str) {
    if let Some(Value::Sequence(seq)) = doc.get_mut(key) {
        seq.retain(|e| entry_name(e) != Some(name));
    }
}

fn to_json(path: &Path, entry: &Value) -> Result<String> {
    serde_json::to_string(entry).map_err(|_| {
        malformed(
            path,
            "an entry holds YAML that has no JSON form (a tag or a non-string key)".to_owned(),
        )
    })
}

fn malformed(path: &Path, message: String) -> Error {
    Error::Malformed {
        path: path.to_path_buf(),
        line: 1,
        message,
    }
}
