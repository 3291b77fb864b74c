//! The JSON bodies of rh-server's API, one type for each, shared by the server (which builds the answers and
//! parses the requests) and its clients (`rh_rns::remote`, `rh_secrets::server`), so the two cannot disagree.
//!
//! Wire rules (spec §5): an answer is `{"data": …}` ([`Data`]), an error `{"detail": "…"}` ([`ErrorBody`]).
//! Field order is the order on the wire. With the `openapi` feature (rh-server only) each type also derives
//! `utoipa::ToSchema`, the schemas of `GET /openapi.json`.
//!
//! Fields that the original Runhouse server did not send (a history entry's `version`, …) are optional and
//! default when absent, so the clients still read older servers.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Config keys kept at the top level of a resource payload; everything else goes under `data`.
pub const CORE_FIELDS: &[&str] = &["name", "resource_type", "folder", "users", "visibility"];

/// Every successful answer: `{"data": …}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Data<T> {
    /// The payload.
    pub data: T,
}

impl<T> Data<T> {
    /// `{"data": data}`.
    pub fn new(data: T) -> Self {
        Self { data }
    }
}

/// Every error answer: `{"detail": "…"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// One line saying what went wrong (never a secret value).
    pub detail: String,
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok` (the server answers at all).
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// `GET /user`: the account of the token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserInfo {
    /// The account name.
    pub username: String,
    /// The account email, if any.
    #[serde(default)]
    pub email: Option<String>,
    /// The stored defaults (`PUT /user/config`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub config: Map<String, Value>,
}

/// The body of `PUT /user/config`: the account's defaults, `{key: value}` (only the keys of
/// `rh_config::ACCOUNT_KEYS`; `token`, `username` and `secrets` are dropped). The answer holds what was stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = Object))]
#[serde(transparent)]
pub struct UserConfig(pub Map<String, Value>);

/// `DELETE /user/token`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revoked {
    /// Always `true`: the token answers 401 from now on.
    pub revoked: bool,
}

/// A resource as `POST /resource` and `PUT /resource/{uri}` take it and answer it (spec §5.2): the core
/// fields, the rest of the config under `data`. Other top-level keys are kept as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourcePayload {
    /// The address (`/alice/proj/model`); for a PUT it may be left out, or be the URL's address or its last
    /// segment.
    #[serde(default)]
    pub name: Option<String>,
    /// `blob`, `folder`, `cluster`, …
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The folder the client saved it in.
    #[serde(default)]
    pub folder: Option<String>,
    /// Kept as the client sent it (sharing is `PUT …/users/access`).
    #[serde(default)]
    pub users: Option<Vec<Value>>,
    /// `private` (a new resource's default), `unlisted` or `public`; left out, an update keeps the current one.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(private|unlisted|public)$"))]
    pub visibility: Option<String>,
    /// The rest of the config.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<Map<String, Value>>,
}

/// `DELETE /resource/{uri}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deleted {
    /// The address of the deleted resource.
    pub deleted: String,
}

/// One entry of `GET /resource?folder=…`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListItem {
    /// The address (`/alice/proj/model`).
    pub name: String,
    /// The stored `resource_type`.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The stored `resource_subtype` (under `data`, or at the top level), as it was stored.
    #[serde(default)]
    pub resource_subtype: Value,
    /// `private`, `unlisted` or `public`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(private|unlisted|public)$"))]
    pub visibility: String,
}

/// One entry of `GET /resource/history/{uri}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryItem {
    /// The version number (rh-server; absent from older servers).
    #[serde(default)]
    pub version: Option<i64>,
    /// `create`, `update`, `delete`, … (rh-server).
    #[serde(default)]
    pub action: Option<String>,
    /// When, as the server wrote it (RFC 3339 from rh-server; older servers send other forms).
    #[serde(default)]
    pub timestamp: Value,
    /// Who made the change.
    #[serde(default)]
    pub author: Option<String>,
    /// The original server's name for `author`.
    #[serde(default)]
    pub owner: Option<String>,
    /// The stored payload of that version (`null` for a delete).
    #[serde(default)]
    pub data: Value,
}

/// `GET /resource/history/{uri}`: one page of entries, newest first, and the cursor to the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    /// The entries.
    pub data: Vec<HistoryItem>,
    /// The `before` of the next page; `null` on the last (servers that do not page send none).
    #[serde(default)]
    pub next: Option<i64>,
}

/// `DELETE /resource/history/{uri}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Purged {
    /// How many history entries were removed.
    pub purged: u64,
}

/// One or several usernames or emails (the original client sends a list; a single string is taken too).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Users {
    /// One name or email.
    One(String),
    /// Several.
    Many(Vec<String>),
}

/// By hand rather than `untagged`, so that a refusal says what was expected.
impl<'de> Deserialize<'de> for Users {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Users;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a username or email, or a list of them")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Users, E> {
                Ok(Users::One(s.to_owned()))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Users, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(Users::Many(out))
            }
        }
        d.deserialize_any(Visit)
    }
}

impl Users {
    /// The names, in the order given.
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

/// `PUT /resource/{uri}/users/access`: grant `read` or `write`, or with `denied` revoke (every grant when
/// `users` is left out); optionally set the visibility in the same change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessRequest {
    /// Usernames or emails.
    #[serde(default)]
    pub users: Option<Users>,
    /// `read` (the default), `write` or `denied`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(read|write|denied)$"))]
    pub access_level: Option<String>,
    /// The original client's name for `access_level` (both may be given when they agree).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(read|write|denied)$"))]
    pub access_type: Option<String>,
    /// Whether the server mails the users (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_users: Option<bool>,
    /// `private`, `unlisted` or `public`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(private|unlisted|public)$"))]
    pub visibility: Option<String>,
    /// A secret's owner lets (`true`) or stops letting (`false`) its `write` grantees share it further (an rh
    /// addition; owner-only by default). Only with a share, only on a secret, only by its owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_reshare: Option<bool>,
}

/// The answer to an [`AccessRequest`], in the order the users were given.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessResult {
    /// Accounts that got (or lost) access: name → level (`read`, `write` or `denied`).
    #[serde(default)]
    pub added_users: IndexMap<String, String>,
    /// Emails without an account (pending invitations): email → level.
    #[serde(default)]
    pub new_users: IndexMap<String, String>,
}

/// A provider's secrets: key → value (`{"token": "…"}`), as `PUT /user/secret/{provider}` takes them.
pub type SecretValues = BTreeMap<String, String>;

/// `GET /user/secret/{provider}`: `{"data": {provider: {key: value}}, "version": N}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretRead {
    /// The one provider asked for, with its secrets.
    pub data: BTreeMap<String, SecretValues>,
    /// The version read (the `cas` of a later write).
    pub version: u64,
}

/// `GET /user/secret`: every provider's secrets, or with `?list=true` only their names.
///
/// Its schema is written by hand (below) as `anyOf`: an empty list is both a `Names` and a `Named` answer,
/// which the `oneOf` a derive gives an untagged enum would refuse.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SecretListing {
    /// `?list=true`: the provider names.
    Names(Vec<String>),
    /// `?named=true`: the named secrets the caller owns or holds a grant on (no values).
    Named(Vec<NamedSecretListItem>),
    /// Provider → secrets, then the caller's own named secrets (address → values).
    All(IndexMap<String, SecretValues>),
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for SecretListing {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder};
        AnyOfBuilder::new()
            .item(
                ArrayBuilder::new()
                    .items(<String as utoipa::PartialSchema>::schema())
                    .description(Some("`?list=true`: the provider names")),
            )
            .item(
                ArrayBuilder::new()
                    .items(utoipa::openapi::Ref::from_schema_name(
                        <NamedSecretListItem as utoipa::ToSchema>::name(),
                    ))
                    .description(Some(
                        "`?named=true`: the named secrets the caller owns or holds a grant on (no values)",
                    )),
            )
            .item(
                ObjectBuilder::new()
                    .additional_properties(Some(<SecretValues as utoipa::PartialSchema>::schema()))
                    .description(Some(
                        "provider → secrets, then the caller's own named secrets (address → values)",
                    )),
            )
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for SecretListing {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            <NamedSecretListItem as utoipa::ToSchema>::name().into_owned(),
            <NamedSecretListItem as utoipa::PartialSchema>::schema(),
        ));
        <NamedSecretListItem as utoipa::ToSchema>::schemas(schemas);
    }
}

/// A secret's version: the answer of a write or a rollback, and of each provider of a bulk upload.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretVersion {
    /// The version number (1-based).
    pub version: u64,
}

/// `DELETE /user/secret/{provider}`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretDeleted {
    /// Always `true`.
    pub deleted: bool,
}

/// One version of a secret, as `GET /user/secret/{provider}/history` lists it: never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretVersionInfo {
    /// The version number (1-based).
    pub version: u64,
    /// When it was written (RFC 3339).
    #[serde(default)]
    pub created_time: String,
    /// When it was soft-deleted, if it was.
    #[serde(default)]
    pub deletion_time: Option<String>,
    /// Whether its data was destroyed.
    #[serde(default)]
    pub destroyed: bool,
}

/// `GET /user/secret/{provider}/metadata`: the current version and salted fingerprints, never a value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretMetadata {
    /// The current version.
    pub version: u64,
    /// Key → salted fingerprint, when they describe the current version.
    #[serde(default)]
    pub fingerprints: Option<BTreeMap<String, String>>,
    /// The salt of the fingerprints.
    #[serde(default)]
    pub salt: Option<String>,
}

/// `POST /user/secret/{provider}/rollback`: the version whose data becomes the newest.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RollbackRequest {
    /// A version number, from 1 (Vault's versions are 64-bit signed integers).
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64)
    )]
    pub version: u64,
}

/// What happened to one provider of a bulk `PUT /user/secret`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SecretOutcome {
    /// Written.
    Written {
        /// Its new version.
        version: u64,
    },
    /// Not written.
    Failed {
        /// Why, in one line.
        error: String,
        /// The HTTP status this failure alone would have had.
        status: u16,
    },
}

/// A bulk `PUT /user/secret` that wrote only some providers (the first failure's status): what happened to
/// each one; the written ones stay written.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretBulkFailure {
    /// Which were written and which were not.
    pub detail: String,
    /// Provider → outcome, in the order of the request.
    pub data: IndexMap<String, SecretOutcome>,
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

    /// The bytes the server sent before these types existed (built with `json!`), for each answer.
    #[test]
    fn answers_keep_their_bytes() {
        let cases: Vec<(String, &str)> = vec![
            (
                serde_json::to_string(&Data::new(UserInfo {
                    username: "alice".into(),
                    email: None,
                    config: obj(json!({"default_folder": "/alice"})),
                }))
                .unwrap(),
                r#"{"data":{"username":"alice","email":null,"config":{"default_folder":"/alice"}}}"#,
            ),
            (
                serde_json::to_string(&Data::new(Health {
                    status: "ok".into(),
                    version: "0.0.0".into(),
                }))
                .unwrap(),
                r#"{"data":{"status":"ok","version":"0.0.0"}}"#,
            ),
            (
                serde_json::to_string(&Data::new(AccessResult {
                    added_users: [
                        ("zed".to_owned(), "read".to_owned()),
                        ("bob".into(), "read".into()),
                    ]
                    .into_iter()
                    .collect(),
                    new_users: IndexMap::new(),
                }))
                .unwrap(),
                r#"{"data":{"added_users":{"zed":"read","bob":"read"},"new_users":{}}}"#,
            ),
            (
                serde_json::to_string(&HistoryPage {
                    data: vec![HistoryItem {
                        version: Some(2),
                        action: Some("update".into()),
                        timestamp: json!("2026-01-01T00:00:00Z"),
                        author: Some("alice".into()),
                        owner: Some("alice".into()),
                        data: json!({"name": "/alice/b"}),
                    }],
                    next: None,
                })
                .unwrap(),
                r#"{"data":[{"version":2,"action":"update","timestamp":"2026-01-01T00:00:00Z","author":"alice","owner":"alice","data":{"name":"/alice/b"}}],"next":null}"#,
            ),
            (
                serde_json::to_string(&SecretBulkFailure {
                    detail: "d".into(),
                    data: [
                        ("zz".to_owned(), SecretOutcome::Written { version: 3 }),
                        (
                            "aa".to_owned(),
                            SecretOutcome::Failed {
                                error: "e".into(),
                                status: 503,
                            },
                        ),
                    ]
                    .into_iter()
                    .collect(),
                })
                .unwrap(),
                r#"{"detail":"d","data":{"zz":{"version":3},"aa":{"error":"e","status":503}}}"#,
            ),
            (
                serde_json::to_string(&AccessRequest {
                    users: Some(Users::Many(vec!["bob".into()])),
                    access_level: Some("read".into()),
                    notify_users: Some(true),
                    ..AccessRequest::default()
                })
                .unwrap(),
                r#"{"users":["bob"],"access_level":"read","notify_users":true}"#,
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn older_servers_still_parse() {
        let item: HistoryItem =
            serde_json::from_value(json!({"timestamp": 1_700_000_000, "owner": "alice"})).unwrap();
        assert_eq!(item.version, None);
        assert_eq!(item.owner.as_deref(), Some("alice"));
        let user: UserInfo = serde_json::from_value(json!({"username": "alice"})).unwrap();
        assert!(user.config.is_empty());
        let users: AccessRequest = serde_json::from_value(json!({"users": "bob"})).unwrap();
        assert_eq!(
            users.users.map(Users::into_vec),
            Some(vec!["bob".to_owned()])
        );
    }
}

/// The values of a named secret as Runhouse 0.0.14+ nests them: `{"values": {key: value}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedSecretData {
    /// Key → value.
    pub values: SecretValues,
}

/// `PUT /user/secret/{uri}` of a named secret (`uri` as in `/resource/{uri}`: `alice:openai`):
/// `{"name": "/alice/openai", "data": {"values": {…}}}`, as Runhouse's `Secret.save` sends it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedSecretWrite {
    /// The secret's address (`/alice/openai`); when given, it must be the url's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The values.
    pub data: NamedSecretData,
}

/// One named secret's entry in a [`NamedSecretRead`]: `{"data": {"values": {…}}}` (the shape Runhouse's
/// `_load_vault_secret` unwraps).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedSecretEntry {
    /// The values.
    pub data: NamedSecretData,
}

/// `GET /user/secret/{uri}[?shared=true]` of a named secret: `{"data": {address: {"data": {"values": {…}}}},
/// "version": N, "owner": …, "access": …, "provider": …}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedSecretRead {
    /// The one secret asked for, under its address.
    pub data: BTreeMap<String, NamedSecretEntry>,
    /// The version read (the `cas` of a later write).
    pub version: u64,
    /// The owner's username.
    pub owner: String,
    /// What the caller may do: `owner`, `read` or `write`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(owner|read|write)$"))]
    pub access: String,
    /// The provider whose class the secret is (`openai`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// One named secret in `GET /user/secret?named=true`: never a value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedSecretListItem {
    /// The address (`/alice/openai`).
    pub name: String,
    /// The provider, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The owner's username.
    pub owner: String,
    /// What the caller may do: `owner`, `read` or `write`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(owner|read|write)$"))]
    pub access: String,
}

/// `GET /user/secret/{x}`: a provider's secrets ([`SecretRead`]) or, when `x` is a resource uri, a named
/// secret's ([`NamedSecretRead`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SecretOne {
    /// A named secret (`x` = `alice:openai`).
    Named(NamedSecretRead),
    /// A provider (`x` = `aws`).
    Provider(SecretRead),
}

/// The body of `PUT /user/secret/{x}`: a provider's `{key: value}`, or a named secret's
/// [`NamedSecretWrite`] when `x` is a resource uri.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SecretWrite {
    /// A named secret (`x` = `alice:openai`).
    Named(NamedSecretWrite),
    /// A provider (`x` = `aws`).
    Provider(SecretValues),
}
