//! [`RemoteRns`]: the [`Rns`] of `/user/…` names, kept by rh-server (feature `remote`).
//!
//! Wire protocol (spec §5): `Authorization: Bearer <token>`, JSON bodies, answers `{"data": …}`, errors
//! `{"detail": "…"}`. A resource `/alice/a/b` is `alice:a:b` in URLs. Saving PUTs first (200 updated,
//! 422 unchanged, 404 absent) and POSTs on 404. GET, PUT and DELETE are retried with backoff when the
//! connection fails or the server answers 502/503/504; POST never is. Every request has a timeout.

pub mod wire;

use std::fmt::{self, Write as _};
use std::path::PathBuf;

use async_trait::async_trait;
use rh_wire::{Method, StatusCode};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{
    Error, HistoryEntry, ListEntry, Listing, ResourceName, ResourceRecord, Result, Rns, Scope,
    Skipped,
};
use rh_wire::types::ListItem;
use wire::{
    AccessRequest, AccessResult, Envelope, ErrorBody, HistoryItem, HistoryPage, UserInfo, Users,
};

/// Timeouts and retries of a [`RemoteRns`] (those of every rh-server client).
pub use rh_wire::Options as RemoteOptions;

/// The rh-server client: resources under `/…`, plus the account calls `rh login` and `rh config` need.
#[derive(Clone)]
pub struct RemoteRns {
    client: rh_wire::Client,
}

impl fmt::Debug for RemoteRns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteRns")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl RemoteRns {
    /// A client of the server at `base_url` (`http://127.0.0.1:8000`) with the default options.
    pub fn new(base_url: &str, token: SecretString) -> Result<Self> {
        Self::with_options(base_url, token, RemoteOptions::default())
    }

    /// A client with explicit timeouts and retries.
    pub fn with_options(
        base_url: &str,
        token: SecretString,
        options: RemoteOptions,
    ) -> Result<Self> {
        let client =
            rh_wire::Client::new(base_url, token, options).map_err(|e| Error::Unreachable {
                url: e.url().to_owned(),
                reason: e.reason().to_owned(),
            })?;
        Ok(Self { client })
    }

    /// The server's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// `GET /user`: the account the token belongs to (validates the token).
    pub async fn user(&self) -> Result<UserInfo> {
        let (status, body) = self.send(Method::GET, "/user", None).await?;
        expect_ok(status, &body, "read your account")?;
        data(&body, "/user")
    }

    /// `PUT /user/config`: stores the account defaults (the server drops `token`, `username`, `secrets`).
    pub async fn put_config(&self, config: &Map<String, Value>) -> Result<()> {
        let body = Value::Object(config.clone());
        let (status, bytes) = self.send(Method::PUT, "/user/config", Some(&body)).await?;
        expect_ok(status, &bytes, "store your config")
    }

    /// `DELETE /user/token`: revokes this client's token on the server (it answers 401 from then on).
    pub async fn revoke_token(&self) -> Result<()> {
        let (status, bytes) = self.send(Method::DELETE, "/user/token", None).await?;
        expect_ok(status, &bytes, "revoke your token")
    }

    /// Grants `level` (`read` or `write`) on `name` to usernames or emails; for a secret's owner,
    /// `allow_reshare` also lets (or stops letting) its `write` grantees share it further.
    pub async fn share(
        &self,
        name: &ResourceName,
        users: &[String],
        level: &str,
        notify: bool,
        allow_reshare: Option<bool>,
    ) -> Result<AccessResult> {
        self.access(
            name,
            &AccessRequest {
                users: Some(Users::Many(users.to_vec())),
                access_level: Some(level.to_owned()),
                notify_users: Some(notify),
                allow_reshare,
                ..AccessRequest::default()
            },
        )
        .await
    }

    /// Revokes the access of `users` on `name`, or of everyone when `None`.
    pub async fn revoke(
        &self,
        name: &ResourceName,
        users: Option<&[String]>,
    ) -> Result<AccessResult> {
        self.access(
            name,
            &AccessRequest {
                users: users.map(|u| Users::Many(u.to_vec())),
                access_level: Some("denied".to_owned()),
                notify_users: Some(false),
                ..AccessRequest::default()
            },
        )
        .await
    }

    async fn access(&self, name: &ResourceName, req: &AccessRequest) -> Result<AccessResult> {
        let uri = remote_uri(name, "sharing")?;
        let body = serde_json::to_value(req).expect("an access request always serialises");
        let path = format!("/resource/{uri}/users/access");
        let (status, bytes) = self.send(Method::PUT, &path, Some(&body)).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(not_found(name));
        }
        expect_ok(status, &bytes, &format!("change access to {name}"))?;
        data(&bytes, &path)
    }

    /// One page of the raw history entries of `name`, newest first: at most `limit` (the server's default
    /// page without one), older than version `before` when given; and the `before` of the next page, if the
    /// server says there is one (servers that do not page send all entries and no cursor).
    pub async fn history_page(
        &self,
        name: &ResourceName,
        limit: Option<usize>,
        before: Option<i64>,
    ) -> Result<(Vec<HistoryItem>, Option<i64>)> {
        let uri = remote_uri(name, "history")?;
        let mut path = format!("/resource/history/{uri}");
        let mut sep = '?';
        if let Some(n) = limit {
            let _ = write!(path, "{sep}limit={}", n.clamp(1, HISTORY_PAGE));
            sep = '&';
        }
        if let Some(v) = before {
            let _ = write!(path, "{sep}before={v}");
        }
        let (status, bytes) = self.send(Method::GET, &path, None).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(not_found(name));
        }
        expect_ok(status, &bytes, &format!("read the history of {name}"))?;
        let page: HistoryPage = serde_json::from_slice(&bytes).map_err(|e| Error::Remote {
            what: format!("answer {path}"),
            status: 200,
            detail: format!("unexpected answer ({e})"),
        })?;
        Ok((page.data, page.next))
    }

    /// The raw history entries of `name`, newest first: at most `limit`, or all of them, page by page.
    pub async fn history_items(
        &self,
        name: &ResourceName,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryItem>> {
        let mut items = Vec::new();
        let mut before = None;
        loop {
            let want = limit.map(|n| n.saturating_sub(items.len()));
            let (page, next) = self
                .history_page(name, want.map(|n| n.min(HISTORY_PAGE)), before)
                .await?;
            items.extend(page);
            if let Some(n) = limit {
                items.truncate(n);
            }
            match next {
                Some(v) if limit.is_none_or(|n| items.len() < n) && before != Some(v) => {
                    before = Some(v);
                }
                _ => return Ok(items),
            }
        }
    }

    /// The entry of version `rev` (`3` or `v3`) of `name`, read alone.
    async fn history_version(&self, name: &ResourceName, rev: &str) -> Result<HistoryItem> {
        let wanted = parse_version(rev)?;
        let (items, _) = self
            .history_page(name, Some(1), wanted.checked_add(1))
            .await?;
        // An older server ignores `before`: look through what it sent.
        find_version(&items, rev).cloned()
    }

    async fn post(&self, record: &ResourceRecord, payload: &Value) -> Result<StatusCode> {
        let (status, bytes) = self.send(Method::POST, "/resource", Some(payload)).await?;
        if status == StatusCode::CONFLICT {
            return Ok(status);
        }
        expect_ok(status, &bytes, &format!("create {}", record.name()))?;
        Ok(status)
    }

    /// PUT; `Ok(false)` when the server has no such resource.
    async fn put(&self, record: &ResourceRecord, uri: &str, payload: &Value) -> Result<bool> {
        let path = format!("/resource/{uri}");
        let (status, bytes) = self.send(Method::PUT, &path, Some(payload)).await?;
        match status {
            StatusCode::NOT_FOUND => Ok(false),
            // 422: the config has not changed, nothing to update.
            StatusCode::UNPROCESSABLE_ENTITY => Ok(true),
            _ => {
                expect_ok(status, &bytes, &format!("update {}", record.name()))?;
                Ok(true)
            }
        }
    }

    /// Sends one request through the shared client (which retries idempotent ones); answers the status
    /// and body bytes, a 401 as [`Error::Unauthorized`].
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Vec<u8>)> {
        let answer =
            self.client
                .send(method, path, body)
                .await
                .map_err(|e| Error::Unreachable {
                    url: e.url().to_owned(),
                    reason: e.reason().to_owned(),
                })?;
        if answer.status == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                url: self.client.base_url().to_owned(),
                detail: detail(&answer.body),
            });
        }
        Ok((answer.status, answer.body))
    }
}

#[async_trait]
impl Rns for RemoteRns {
    async fn save(&self, record: &ResourceRecord, overwrite: bool) -> Result<()> {
        let uri = remote_uri(record.name(), "saving")?;
        let payload = Value::Object(wire::to_payload(record.config()));
        if !overwrite {
            // POST creates only: 409 means it exists and nothing was changed.
            return match self.post(record, &payload).await? {
                StatusCode::CONFLICT => Err(Error::AlreadyExists {
                    name: record.name().to_string(),
                }),
                _ => Ok(()),
            };
        }
        if self.put(record, &uri, &payload).await? {
            return Ok(());
        }
        match self.post(record, &payload).await? {
            // Created by someone else between the PUT and the POST: update it.
            StatusCode::CONFLICT => {
                if self.put(record, &uri, &payload).await? {
                    Ok(())
                } else {
                    Err(not_found(record.name()))
                }
            }
            _ => Ok(()),
        }
    }

    async fn load(&self, name: &ResourceName) -> Result<ResourceRecord> {
        let uri = remote_uri(name, "loading")?;
        let path = format!("/resource/{uri}");
        let (status, bytes) = self.send(Method::GET, &path, None).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(not_found(name));
        }
        expect_ok(status, &bytes, &format!("load {name}"))?;
        let origin = self.client.url(&path);
        let payload: Map<String, Value> = data(&bytes, &path)?;
        ResourceRecord::from_config(name.clone(), wire::from_payload(payload), &origin)
    }

    async fn exists(&self, name: &ResourceName) -> Result<bool> {
        let uri = remote_uri(name, "exists")?;
        let (status, bytes) = self
            .send(Method::GET, &format!("/resource/{uri}"), None)
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        expect_ok(status, &bytes, &format!("look up {name}"))?;
        Ok(true)
    }

    async fn delete(&self, name: &ResourceName) -> Result<()> {
        let uri = remote_uri(name, "deleting")?;
        let (status, bytes) = self
            .send(Method::DELETE, &format!("/resource/{uri}"), None)
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(not_found(name));
        }
        expect_ok(status, &bytes, &format!("delete {name}"))
    }

    async fn list(&self, folder: &ResourceName, recursive: bool) -> Result<Listing> {
        if folder.scope() != Scope::Remote {
            return Err(Error::NotSupported {
                name: folder.to_string(),
                what: "remote listing".to_owned(),
            });
        }
        let path = format!(
            "/resource?folder={}&recursive={recursive}",
            encode(&folder.to_string())
        );
        let (status, bytes) = self.send(Method::GET, &path, None).await?;
        expect_ok(status, &bytes, &format!("list {folder}"))?;
        let items: Vec<ListItem> = data(&bytes, &path)?;
        let mut listing = Listing::default();
        for item in items {
            let raw = item.name.as_str();
            match raw.parse::<ResourceName>() {
                Ok(name) if name.scope() == Scope::Remote => listing.entries.push(ListEntry {
                    name,
                    resource_type: item.resource_type.clone().unwrap_or_default(),
                    resource_subtype: item.resource_subtype.as_str().map(str::to_owned),
                }),
                _ => listing.skipped.push(Skipped {
                    location: self.client.url(&path),
                    reason: format!("the server listed an invalid name {raw:?}"),
                }),
            }
        }
        listing.entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(listing)
    }

    async fn locate(&self, _name: &ResourceName) -> Result<Option<PathBuf>> {
        Ok(None)
    }

    /// Copies then deletes (the server has no rename): not atomic, but the source is only deleted once
    /// the copy is saved.
    async fn rename(&self, from: &ResourceName, to: &ResourceName, overwrite: bool) -> Result<()> {
        let record = self.load(from).await?;
        self.save(&record.renamed(to.clone()), overwrite).await?;
        self.delete(from).await
    }

    async fn history(
        &self,
        name: &ResourceName,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryEntry>> {
        // Page by page, keeping one page of configs in memory: each entry's summary needs only the next older
        // config, and the first entry of the next page is that for the last of this one.
        let mut entries = Vec::new();
        let mut before = None;
        let mut pending: Option<(HistoryItem, Option<Map<String, Value>>)> = None;
        loop {
            let want = limit.map(|n| (n + 1).saturating_sub(entries.len()).min(HISTORY_PAGE));
            let (page, next) = self.history_page(name, want, before).await?;
            for item in page {
                let config = item_config(&item);
                if let Some((newer, newer_config)) = pending.take() {
                    entries.push(history_entry(
                        &newer,
                        newer_config.as_ref(),
                        config.as_ref(),
                    ));
                }
                pending = Some((item, config));
            }
            let enough = limit.is_some_and(|n| entries.len() >= n);
            match next {
                Some(v) if !enough && before != Some(v) => before = Some(v),
                _ => break,
            }
        }
        if let Some((item, config)) = pending {
            entries.push(history_entry(&item, config.as_ref(), None));
        }
        if let Some(n) = limit {
            entries.truncate(n);
        }
        Ok(entries)
    }

    async fn diff(&self, name: &ResourceName, rev: Option<&str>) -> Result<String> {
        let current = self.load(name).await.ok();
        let old = match rev {
            // The latest recorded version is the current one; compare with the one before it.
            None => self
                .history_page(name, Some(2), None)
                .await?
                .0
                .into_iter()
                .nth(1),
            Some(r) => Some(self.history_version(name, r).await?),
        };
        let old = old.as_ref();
        let render = |c: Option<&Map<String, Value>>| {
            c.map(|m| crate::to_python_json(&Value::Object(m.clone())))
                .unwrap_or_default()
        };
        let old_config = old.and_then(item_config);
        let new_config = current.map(ResourceRecord::into_config);
        let old_label = match old.and_then(|i| i.version) {
            Some(v) => format!("{name}@{v}"),
            None => format!("{name}@(none)"),
        };
        Ok(unified(
            &render(old_config.as_ref()),
            &render(new_config.as_ref()),
            &old_label,
            &name.to_string(),
        ))
    }

    async fn restore(&self, name: &ResourceName, rev: &str) -> Result<ResourceRecord> {
        let item = self.history_version(name, rev).await?;
        let Some(mut config) = item_config(&item) else {
            return Err(Error::Revision {
                rev: rev.to_owned(),
                reason: format!("holds no config of {name}"),
            });
        };
        // A restore brings back the config, not the visibility it had then: the current one stays.
        if let Ok(current) = self.load(name).await {
            match current.config().get("visibility") {
                Some(v) => {
                    config.insert("visibility".to_owned(), v.clone());
                }
                None => {
                    config.remove("visibility");
                }
            }
        }
        let record = ResourceRecord::from_config(name.clone(), config, &format!("{name}@{rev}"))?;
        self.save(&record, true).await?;
        Ok(record)
    }
}

#[cfg(feature = "local")]
fn unified(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    crate::local::diff::unified(old, new, old_label, new_label)
}

#[cfg(not(feature = "local"))]
fn unified(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    if old == new {
        String::new()
    } else {
        format!("--- {old_label}\n+++ {new_label}\n-{old}\n+{new}\n")
    }
}

/// Most entries one history request asks for (rh-server's page cap).
const HISTORY_PAGE: usize = 1_000;

fn parse_version(rev: &str) -> Result<i64> {
    rev.trim_start_matches('v')
        .parse()
        .map_err(|_| Error::Revision {
            rev: rev.to_owned(),
            reason: "is not a version number (see `rh resource history`)".to_owned(),
        })
}

fn find_version<'a>(items: &'a [HistoryItem], rev: &str) -> Result<&'a HistoryItem> {
    let wanted = parse_version(rev)?;
    items
        .iter()
        .find(|i| i.version == Some(wanted))
        .ok_or_else(|| Error::Revision {
            rev: rev.to_owned(),
            reason: "is not in the history".to_owned(),
        })
}

fn item_config(item: &HistoryItem) -> Option<Map<String, Value>> {
    match &item.data {
        Value::Object(m) if item.action.as_deref() != Some("delete") => {
            Some(wire::from_payload(m.clone()))
        }
        _ => None,
    }
}

fn history_entry(
    item: &HistoryItem,
    config: Option<&Map<String, Value>>,
    older: Option<&Map<String, Value>>,
) -> HistoryEntry {
    let id = item
        .version
        .map_or_else(|| item.timestamp.to_string(), |v| v.to_string());
    let timestamp = match &item.timestamp {
        Value::String(s) => parse_rfc3339(s).unwrap_or(0),
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    };
    let action = item.action.clone().unwrap_or_else(|| "update".to_owned());
    let change = match action.as_str() {
        "create" => "created".to_owned(),
        "delete" => "deleted".to_owned(),
        _ => match (older, config) {
            (Some(o), Some(n)) => change_summary(o, n),
            _ => action.clone(),
        },
    };
    HistoryEntry {
        short_id: id.clone(),
        id,
        timestamp,
        time: format_utc(timestamp),
        author: item
            .author
            .clone()
            .or_else(|| item.owner.clone())
            .unwrap_or_default(),
        message: action,
        change,
    }
}

fn change_summary(old: &Map<String, Value>, new: &Map<String, Value>) -> String {
    let mut parts = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            None => parts.push(format!("+{k}")),
            Some(o) if o != v => parts.push(k.clone()),
            Some(_) => {}
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            parts.push(format!("-{k}"));
        }
    }
    if parts.is_empty() {
        "unchanged".to_owned()
    } else {
        format!("changed {}", parts.join(", "))
    }
}

/// Seconds since the epoch of an RFC 3339 time (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)`); a time without an
/// offset (Python's `isoformat()` of a naive time, as Runhouse's server sends) is UTC.
fn parse_rfc3339(s: &str) -> Option<i64> {
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(time::OffsetDateTime::unix_timestamp)
    };
    parse(s).or_else(|| parse(&format!("{s}Z")))
}

/// `YYYY-MM-DD HH:MM:SS +0000`.
fn format_utc(ts: i64) -> String {
    const FORMAT: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] +0000");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(FORMAT).ok())
        .unwrap_or_else(|| ts.to_string())
}

/// `/alice/a/b` → `alice:a:b`, percent-encoded for a URL path.
fn remote_uri(name: &ResourceName, what: &str) -> Result<String> {
    if name.scope() != Scope::Remote || name.segments().len() < 2 {
        return Err(Error::NotSupported {
            name: name.to_string(),
            what: format!("remote {what}"),
        });
    }
    let encoded: Vec<String> = name.segments().iter().map(|s| encode(s)).collect();
    Ok(rh_wire::name::uri(&encoded))
}

/// Percent-encodes everything but unreserved characters (and `/`, harmless in a query value).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn not_found(name: &ResourceName) -> Error {
    Error::NotFound {
        name: name.to_string(),
    }
}

fn expect_ok(status: StatusCode, body: &[u8], what: &str) -> Result<()> {
    if status.is_success() {
        Ok(())
    } else {
        Err(Error::Remote {
            what: what.to_owned(),
            status: status.as_u16(),
            detail: detail(body),
        })
    }
}

fn data<T: DeserializeOwned>(body: &[u8], path: &str) -> Result<T> {
    serde_json::from_slice::<Envelope<T>>(body)
        .map(|e| e.data)
        .map_err(|e| Error::Remote {
            what: format!("answer {path}"),
            status: 200,
            detail: format!("unexpected answer ({e})"),
        })
}

/// The `detail` of an error body, or its first line of text.
fn detail(body: &[u8]) -> String {
    if let Ok(e) = serde_json::from_slice::<ErrorBody>(body) {
        return e.detail.replace('\n', " ");
    }
    let text = String::from_utf8_lossy(body);
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        "no details".to_owned()
    } else {
        line.chars().take(200).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let ts = parse_rfc3339("2026-11-25T19:31:18.123456Z").expect("parses");
        assert_eq!(ts, 1_795_635_078);
        assert_eq!(format_utc(ts), "2026-11-25 19:31:18 +0000");
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 +0000");
        assert_eq!(parse_rfc3339("2026-11-25T19:31:18.123456"), Some(ts));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn uris_are_encoded() {
        let name: ResourceName = "/alice/my proj/a?b".parse().expect("valid");
        assert_eq!(
            remote_uri(&name, "x").expect("remote"),
            "alice:my%20proj:a%3Fb"
        );
        let local: ResourceName = "~/a".parse().expect("valid");
        assert!(remote_uri(&local, "x").is_err());
    }

    #[test]
    fn debug_hides_the_token() {
        let rns = RemoteRns::new("http://127.0.0.1:1/", SecretString::from("s3cret-token"))
            .expect("client");
        let dbg = format!("{rns:?}");
        assert!(!dbg.contains("s3cret"), "{dbg}");
        assert_eq!(rns.base_url(), "http://127.0.0.1:1");
    }
}
