//! [`ServerSecretStore`]: provider secrets through rh-server's Vault proxy (`/user/secret…`), for a
//! logged-in user. The server talks to Vault under `rh/<username>` for the token's user; this client never
//! speaks the Vault protocol and never sees the server's Vault token.
//!
//! Endpoints (all with `Authorization: Bearer <token>`; answers `{"data": …}`, errors `{"detail": …}`):
//! - `GET /user/secret/{p}` → `{"data": {p: {k: v}}, "version": N}`; 404 when there is none.
//! - `PUT /user/secret/{p}[?cas=N]`, body `{k: v}` → `{"data": {"version": N}}`; 409 on a stale `cas`.
//! - `DELETE /user/secret/{p}` → `{"data": {"deleted": true}}`; 404 when there is none.
//! - `GET /user/secret/{p}/history` → `{"data": [{version, created_time, deletion_time, destroyed}]}`.
//! - `GET /user/secret/{p}/metadata` → `{"data": {"version", "fingerprints", "salt"}}` (never a value).
//! - `POST /user/secret/{p}/rollback`, body `{"version": N}` → `{"data": {"version": M}}`.
//! - `GET /user/secret?list=true` → `{"data": [p, …]}`; `GET /user/secret` → `{"data": {p: {k: v}}}`.
//!
//! Every body is a type of [`rh_wire::types`], the ones rh-server builds its answers from.

use std::collections::BTreeMap;
use std::fmt;

use rh_wire::types::{
    Data, ErrorBody, RollbackRequest, SecretDeleted, SecretListing, SecretMetadata, SecretRead,
    SecretValues, SecretVersion, SecretVersionInfo,
};
use rh_wire::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;

use crate::ProviderSecrets;
use crate::store::SecretStore;
use crate::vault::{Error, Fingerprints, Result, VersionInfo};

/// The `detail` prefix rh-server uses when a provider has no secret (as opposed to an unknown route).
pub const MISSING_DETAIL: &str = "no secrets for";

/// A [`SecretStore`] that goes through rh-server, on the same client (trusted roots, timeouts, retries of
/// idempotent requests) as the resource client.
pub struct ServerSecretStore {
    client: rh_wire::Client,
}

impl fmt::Debug for ServerSecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSecretStore")
            .field("url", &self.client.base_url())
            .finish_non_exhaustive()
    }
}

/// The rh-server client at `url` with the account `token`, for both secret stores.
pub(crate) fn wire_client(url: &str, token: SecretString) -> Result<rh_wire::Client> {
    let trimmed = url.trim();
    if !(trimmed.starts_with("http://") || trimmed.starts_with("https://")) {
        return Err(Error::BadAddress {
            addr: url.to_owned(),
        });
    }
    // Past the scheme, what can fail is the host part or `SSL_CERT_FILE`: the wire error says which.
    rh_wire::Client::new(url, token, rh_wire::Options::default()).map_err(|e| {
        Error::ServerUnreachable {
            url: e.url().to_owned(),
            reason: e.reason().to_owned(),
        }
    })
}

/// An answer: status and body bytes.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

impl Answer {
    fn detail(&self) -> String {
        serde_json::from_slice::<ErrorBody>(&self.body)
            .map_or_else(|_| "no detail".to_owned(), |e| e.detail.replace('\n', " "))
    }

    fn missing(&self) -> bool {
        self.status == StatusCode::NOT_FOUND && self.detail().starts_with(MISSING_DETAIL)
    }
}

impl ServerSecretStore {
    /// A client for the rh-server at `url` (e.g. `http://127.0.0.1:8000`) with the account `token`.
    pub fn new(url: &str, token: SecretString) -> Result<Self> {
        Ok(Self {
            client: wire_client(url, token)?,
        })
    }

    /// How many HTTP requests this store has sent so far (retries included).
    pub fn request_count(&self) -> u64 {
        self.client.request_count()
    }

    /// The path of `/user/secret/<segments…>`, each segment encoded.
    fn path(segments: &[&str]) -> String {
        let mut all = vec!["user", "secret"];
        all.extend_from_slice(segments);
        rh_wire::path(&all)
    }

    fn server_err(&self, what: &str, a: &Answer) -> Error {
        if a.status == StatusCode::UNAUTHORIZED {
            return Error::Unauthorized {
                url: self.client.base_url().to_owned(),
            };
        }
        Error::Server {
            url: self.client.base_url().to_owned(),
            status: a.status.as_u16(),
            what: what.to_owned(),
            detail: a.detail(),
        }
    }

    async fn send<B: serde::Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Answer> {
        let body = body.map(|b| serde_json::to_value(b).expect("wire types always serialise"));
        let answer = self
            .client
            .send(method, path, body.as_ref())
            .await
            .map_err(|e| Error::ServerUnreachable {
                url: e.url().to_owned(),
                reason: e.reason().to_owned(),
            })?;
        Ok(Answer {
            status: answer.status,
            body: answer.body,
        })
    }

    fn malformed(&self, provider: &str) -> Error {
        Error::Malformed {
            path: self.location(provider),
        }
    }

    /// A 2xx body as its wire type; a body of another shape is [`Error::Malformed`] (naming no value).
    fn parse<T: DeserializeOwned>(&self, provider: &str, a: &Answer) -> Result<T> {
        serde_json::from_slice(&a.body).map_err(|_| self.malformed(provider))
    }

    /// Every provider's secrets in one request (`GET /user/secret`).
    pub async fn get_all(&self) -> Result<BTreeMap<String, ProviderSecrets>> {
        let a = self.send::<()>(Method::GET, &Self::path(&[]), None).await?;
        if !a.status.is_success() {
            return Err(self.server_err("secrets", &a));
        }
        let Data {
            data: SecretListing::All(all),
        } = self.parse("", &a)?
        else {
            return Err(self.malformed(""));
        };
        Ok(all.into_iter().map(|(p, v)| (p, secrets_of(v))).collect())
    }
}

fn secrets_of(values: SecretValues) -> ProviderSecrets {
    let mut out = ProviderSecrets::new();
    for (k, v) in values {
        out.insert_secret(k, SecretString::from(v));
    }
    out
}

#[async_trait::async_trait]
impl SecretStore for ServerSecretStore {
    fn location(&self, provider: &str) -> String {
        self.client.url(&Self::path(&[provider]))
    }

    async fn put(
        &self,
        provider: &str,
        secrets: &ProviderSecrets,
        expected: Option<u64>,
    ) -> Result<u64> {
        let path = Self::path(&[provider]);
        let url = match expected {
            Some(v) => format!("{path}?cas={v}"),
            None => path,
        };
        let body: SecretValues = secrets
            .iter()
            .map(|(k, v)| (k.to_owned(), v.expose_secret().to_owned()))
            .collect();
        let a = self.send(Method::PUT, &url, Some(&body)).await?;
        if a.status == StatusCode::CONFLICT {
            return Err(Error::Conflict {
                path: self.location(provider),
                expected: expected.unwrap_or_default(),
            });
        }
        if !a.status.is_success() {
            return Err(self.server_err(provider, &a));
        }
        let Data {
            data: SecretVersion { version },
        } = self.parse(provider, &a)?;
        Ok(version)
    }

    async fn get(&self, provider: &str) -> Result<Option<(ProviderSecrets, u64)>> {
        let a = self
            .send::<()>(Method::GET, &Self::path(&[provider]), None)
            .await?;
        if a.missing() {
            return Ok(None);
        }
        if !a.status.is_success() {
            return Err(self.server_err(provider, &a));
        }
        let SecretRead { mut data, version } = self.parse(provider, &a)?;
        let values = data
            .remove(provider)
            .ok_or_else(|| self.malformed(provider))?;
        Ok(Some((secrets_of(values), version)))
    }

    async fn history(&self, provider: &str) -> Result<Vec<VersionInfo>> {
        let a = self
            .send::<()>(Method::GET, &Self::path(&[provider, "history"]), None)
            .await?;
        if !a.status.is_success() {
            return Err(self.server_err(provider, &a));
        }
        let Data { data: rows } = self.parse::<Data<Vec<SecretVersionInfo>>>(provider, &a)?;
        Ok(rows
            .into_iter()
            .map(|r| VersionInfo {
                version: r.version,
                created_time: r.created_time,
                deletion_time: r.deletion_time,
                destroyed: r.destroyed,
            })
            .collect())
    }

    async fn rollback(&self, provider: &str, version: u64) -> Result<u64> {
        let a = self
            .send(
                Method::POST,
                &Self::path(&[provider, "rollback"]),
                Some(&RollbackRequest { version }),
            )
            .await?;
        match a.status {
            s if s.is_success() => {
                let Data {
                    data: SecretVersion { version },
                } = self.parse(provider, &a)?;
                Ok(version)
            }
            StatusCode::NOT_FOUND => Err(Error::NotFound {
                path: format!("{} (version {version})", self.location(provider)),
            }),
            StatusCode::CONFLICT => Err(Error::Conflict {
                path: self.location(provider),
                expected: 0,
            }),
            _ => Err(self.server_err(provider, &a)),
        }
    }

    async fn delete(&self, provider: &str) -> Result<bool> {
        let a = self
            .send::<()>(Method::DELETE, &Self::path(&[provider]), None)
            .await?;
        if a.missing() {
            return Ok(false);
        }
        if !a.status.is_success() {
            return Err(self.server_err(provider, &a));
        }
        Ok(self
            .parse::<Data<SecretDeleted>>(provider, &a)
            .map_or(true, |d| d.data.deleted))
    }

    async fn list(&self) -> Result<Vec<String>> {
        let url = format!("{}?list=true", Self::path(&[]));
        let a = self.send::<()>(Method::GET, &url, None).await?;
        if !a.status.is_success() {
            return Err(self.server_err("the list of providers", &a));
        }
        let Data {
            data: SecretListing::Names(mut out),
        } = self.parse("", &a)?
        else {
            return Err(self.malformed(""));
        };
        out.sort();
        Ok(out)
    }

    async fn fingerprints(&self, provider: &str) -> Result<Option<Fingerprints>> {
        let a = self
            .send::<()>(Method::GET, &Self::path(&[provider, "metadata"]), None)
            .await?;
        if a.missing() {
            return Ok(None);
        }
        if !a.status.is_success() {
            return Err(self.server_err(provider, &a));
        }
        let Data {
            data:
                SecretMetadata {
                    version,
                    fingerprints,
                    salt,
                },
        } = self.parse(provider, &a)?;
        Ok(Some(Fingerprints::new(version, fingerprints, salt)))
    }

    fn requests(&self) -> Option<u64> {
        Some(self.request_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token_and_urls_are_encoded() {
        let store =
            ServerSecretStore::new("http://127.0.0.1:1/", SecretString::from("SENTINEL-TOKEN"))
                .unwrap();
        let dbg = format!("{store:?}");
        assert!(!dbg.contains("SENTINEL"), "{dbg}");
        assert_eq!(
            store.location("my-db.prod_1"),
            "http://127.0.0.1:1/user/secret/my-db.prod_1"
        );
        assert_eq!(
            ServerSecretStore::path(&["a/b", "history"]),
            "/user/secret/a%2Fb/history"
        );
        let sub = ServerSecretStore::new("http://h:8/api", SecretString::from("t")).unwrap();
        assert_eq!(sub.location("aws"), "http://h:8/api/user/secret/aws");
    }

    #[test]
    fn bad_urls_are_refused() {
        for bad in ["not a url", "ftp://h/", "mailto:x@y"] {
            assert!(
                matches!(
                    ServerSecretStore::new(bad, SecretString::from("t")),
                    Err(Error::BadAddress { .. })
                ),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn unreachable_server_is_one_clean_error() {
        let store = ServerSecretStore::new("http://127.0.0.1:1", SecretString::from("t")).unwrap();
        let err = store.list().await.unwrap_err();
        assert!(matches!(err, Error::ServerUnreachable { .. }), "{err}");
        assert!(
            err.to_string()
                .starts_with("cannot reach rh-server at http://127.0.0.1:1")
        );
    }
}
