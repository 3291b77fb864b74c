//! The JSON rh-server (and Runhouse's "Den") speaks: envelopes, user info, sharing and history entries,
//! and the resource payload format (spec §5.2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Config keys kept at the top level of a payload; everything else goes under `data`.
pub const CORE_FIELDS: &[&str] = &["name", "resource_type", "folder", "users", "visibility"];

/// Every successful answer: `{"data": …}`.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    /// The payload.
    pub data: T,
}

/// Every error answer: `{"detail": "…"}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    /// One line saying what went wrong.
    pub detail: String,
}

/// `GET /user`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserInfo {
    /// The account name.
    pub username: String,
    /// The account email, if any.
    #[serde(default)]
    pub email: Option<String>,
    /// The stored defaults (`PUT /user/config`).
    #[serde(default)]
    pub config: Map<String, Value>,
}

/// `PUT /resource/{uri}/users/access`.
#[derive(Debug, Clone, Serialize)]
pub struct AccessRequest {
    /// Usernames or emails; `None` with `denied` revokes everyone.
    pub users: Option<Vec<String>>,
    /// `read`, `write` or `denied`.
    pub access_level: String,
    /// Whether the server notifies the users.
    pub notify_users: bool,
}

/// The answer to an [`AccessRequest`].
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct AccessResult {
    /// Accounts that got (or lost) access: name → level.
    #[serde(default)]
    pub added_users: BTreeMap<String, String>,
    /// Emails without an account (pending invitations): email → level.
    #[serde(default)]
    pub new_users: BTreeMap<String, String>,
}

/// One entry of `GET /resource/history/{uri}`.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryItem {
    /// The version number (rh-server; absent from older servers).
    #[serde(default)]
    pub version: Option<i64>,
    /// `create`, `update`, `delete`, … (rh-server).
    #[serde(default)]
    pub action: Option<String>,
    /// When, as the server wrote it (RFC 3339 from rh-server).
    #[serde(default)]
    pub timestamp: Value,
    /// Who made the change.
    #[serde(default)]
    pub author: Option<String>,
    /// The original server's name for `author`.
    #[serde(default)]
    pub owner: Option<String>,
    /// The stored payload of that version.
    #[serde(default)]
    pub data: Value,
}

/// A resource config as a payload: core fields at the top, the rest under `data` (in config order; the
/// `data` key takes the place of the first non-core key).
pub fn to_payload(config: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let mut data = Map::new();
    for (k, v) in config {
        if CORE_FIELDS.contains(&k.as_str()) {
            out.insert(k.clone(), v.clone());
        } else {
            if data.is_empty() && !out.contains_key("data") {
                out.insert("data".to_owned(), Value::Null);
            }
            data.insert(k.clone(), v.clone());
        }
    }
    out.insert("data".to_owned(), Value::Object(data));
    out
}

/// A stored payload back as a config: `data`'s members merged into the top level where `data` stood, as
/// the original client did. A non-object `data` is kept as a plain key.
pub fn from_payload(payload: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in payload {
        match (k.as_str(), v) {
            ("data", Value::Object(data)) => {
                for (dk, dv) in data {
                    out.insert(dk, dv);
                }
            }
            (_, v) => {
                out.insert(k, v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn payload_round_trip_keeps_order() {
        let config = obj(json!({
            "name": "/alice/b", "resource_type": "blob", "resource_subtype": "Blob",
            "visibility": "private", "path": "p", "data": {"nested": 1}
        }));
        let payload = to_payload(&config);
        assert_eq!(
            Value::Object(payload.clone()),
            json!({"name": "/alice/b", "resource_type": "blob",
                   "data": {"resource_subtype": "Blob", "path": "p", "data": {"nested": 1}},
                   "visibility": "private"})
        );
        let keys: Vec<_> = payload.keys().cloned().collect();
        assert_eq!(keys, ["name", "resource_type", "data", "visibility"]);
        let back = from_payload(payload);
        let keys: Vec<_> = back.keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "name",
                "resource_type",
                "resource_subtype",
                "path",
                "data",
                "visibility"
            ]
        );
        assert_eq!(back["data"], json!({"nested": 1}));
    }

    #[test]
    fn the_tutorial_payload() {
        let config = obj(
            json!({"name": "/carolineechen/my_blob", "resource_type": "blob",
            "resource_subtype": "Blob", "path": "/runhouse-blob/x", "system": "s3"}),
        );
        assert_eq!(
            Value::Object(to_payload(&config)).to_string(),
            r#"{"name":"/carolineechen/my_blob","resource_type":"blob","data":{"resource_subtype":"Blob","path":"/runhouse-blob/x","system":"s3"}}"#
        );
    }
}
