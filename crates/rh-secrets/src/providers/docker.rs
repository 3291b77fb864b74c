//! Docker: a registry login in `~/.docker/config.json` (`DOCKER_CONFIG` is the directory), or
//! `SKYPILOT_DOCKER_USERNAME` / `SKYPILOT_DOCKER_PASSWORD` / `SKYPILOT_DOCKER_SERVER` as Runhouse read them.
//!
//! The values are `username`, `password` and `server`; the file holds them as `docker login` does:
//! `auths.<server>.auth` = base64 of `username:password`. A save merges: the server's entry keeps its
//! other keys, every other entry and top-level key (`credsStore`, `credHelpers`, …) stays. The login rh
//! reads is the first `auths` entry with an `auth`; a save puts its server first (docker itself keeps
//! no order: it writes the entries sorted).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rh_config::EnvVars;
use serde_json::{Map, Value};

use super::gcp::read_object;
use super::yaml_path;
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Error, Provider, ProviderSecrets, Result};

const KEYS: &[&str] = &["username", "password", "server"];

/// A Docker registry login.
#[derive(Debug, Clone, Copy)]
pub struct Docker;

impl Provider for Docker {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn class(&self) -> &'static str {
        "DockerRegistrySecret"
    }

    fn keys(&self) -> &'static [&'static str] {
        KEYS
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &[
            EnvVars::SKYPILOT_DOCKER_USERNAME,
            EnvVars::SKYPILOT_DOCKER_PASSWORD,
            EnvVars::SKYPILOT_DOCKER_SERVER,
        ]
    }

    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        let dir = ctx
            .env_path(EnvVars::DOCKER_CONFIG)
            .unwrap_or_else(|| ctx.home().join(".docker"));
        vec![dir.join("config.json")]
    }

    fn native_key(&self, _key: &str) -> String {
        "an auths entry with an auth".to_owned()
    }

    fn read_path(&self, path: &Path) -> Result<Option<ProviderSecrets>> {
        let Some(doc) = read_object(path)? else {
            return Ok(None);
        };
        let mut out = ProviderSecrets::new();
        if let Some((server, user, password)) = first_login(path, &doc)? {
            out.insert("username", user);
            out.insert("password", password);
            out.insert("server", server);
        }
        Ok(Some(out))
    }

    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        super::require_single_line_keys(self.name(), KEYS, secrets)?;
        if secrets.expose("username").is_some_and(|u| u.contains(':')) {
            return Err(Error::InvalidValue {
                provider: self.name().to_owned(),
                key: "username".to_owned(),
                reason: "it contains `:`, which ends the user name in docker's auth",
            });
        }
        Ok(())
    }

    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        _opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        let expose = |k| secrets.expose(k).expect("validated");
        let path = self.paths(ctx).remove(0);
        let mut doc = read_object(&path)?.unwrap_or_default();
        let auths = doc
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if auths.is_null() {
            *auths = Value::Object(Map::new());
        }
        let Value::Object(auths) = auths else {
            return Err(not_an_object(&path));
        };
        let mut others = std::mem::take(auths);
        let server = expose("server");
        let mut entry = match others.shift_remove(server) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let auth = STANDARD.encode(format!("{}:{}", expose("username"), expose("password")));
        entry.insert("auth".to_owned(), Value::String(auth));
        auths.insert(server.to_owned(), Value::Object(entry));
        auths.extend(others);
        let mut plan = Plan {
            record: Some(yaml_path(&path)),
            ..Plan::default()
        };
        plan.write(path, render(&doc));
        Ok(plan)
    }

    /// Removes the login rh reads (the first `auths` entry with an `auth`); a file left as
    /// `{"auths": {}}` is removed.
    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let path = self.paths(ctx).remove(0);
        let mut plan = Plan::default();
        let Some(mut doc) = read_object(&path)? else {
            return Ok(plan);
        };
        let Some((server, _, _)) = first_login(&path, &doc)? else {
            return Ok(plan);
        };
        if let Some(Value::Object(auths)) = doc.get_mut("auths") {
            auths.shift_remove(&server);
        }
        let empty = doc
            .iter()
            .all(|(k, v)| k == "auths" && v.as_object().is_some_and(Map::is_empty));
        if empty {
            plan.remove(path);
        } else {
            plan.write(path, render(&doc));
        }
        Ok(plan)
    }
}

/// The first `auths` entry whose `auth` decodes to `user:password`: `(server, user, password)`.
fn first_login(path: &Path, doc: &Map<String, Value>) -> Result<Option<(String, String, String)>> {
    let auths = match doc.get("auths") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(not_an_object(path)),
    };
    for (server, entry) in auths {
        let Some(Value::String(auth)) = entry.get("auth") else {
            continue;
        };
        let decoded = STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
            return Err(Error::Malformed {
                path: path.to_path_buf(),
                line: 1,
                message: format!("the auth of `auths.{server}` is not base64 of user:password"),
            });
        };
        return Ok(Some((server.clone(), user.to_owned(), password.to_owned())));
    }
    Ok(None)
}

fn not_an_object(path: &Path) -> Error {
    Error::Malformed {
        path: path.to_path_buf(),
        line: 1,
        message: "`auths` is not a JSON object".to_owned(),
    }
}

/// Pretty JSON indented with tabs, as docker writes it.
fn render(doc: &Map<String, Value>) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(doc, &mut ser).expect("a JSON map always serialises");
    let mut text = String::from_utf8(out).expect("JSON is UTF-8");
    text.push('\n');
    text
}
