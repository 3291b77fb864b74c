//! [`ServerNamedSecrets`]: named secrets on rh-server (`/user/secret/{uri}`, values in Vault under the owner's
//! prefix, shared by the resource grants), through the one rh-server HTTP client, [`rh_wire::Client`].
//!
//! Names are addresses (`/alice/openai`); on the wire they are uris (`alice:openai`), as for `/resource/{uri}`.
//! - `put`: `POST /resource` with the metadata (`resource_type: "secret"`, the provider; never a value; an
//!   existing resource or one under another owner's address is left to the next call), then
//!   `PUT /user/secret/{uri}[?cas=N]` with `{"name": address, "data": {"values": {…}}}`.
//! - `get`: `GET /user/secret/{uri}?shared=true` (owner and grantees).
//! - `list`: `GET /user/secret?named=true` (names, provider, owner, access; never values).
//! - `delete`: `DELETE /user/secret/{uri}` (the values; owner only), then `DELETE /resource/{uri}`.
//!
//! 403 is [`Error::Forbidden`], 404 "not found" ([`Error::NotFound`] or `None`); other failures are
//! [`Error::Remote`] with the server's one-line detail (never a value).

use std::fmt;

use rh_wire::types::{
    Data, ErrorBody, NamedSecretData, NamedSecretListItem, NamedSecretRead, NamedSecretWrite,
    SecretValues, SecretVersion,
};
use rh_wire::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::ProviderSecrets;
use crate::named::{Access, Error, NamedSecret, NamedSecretInfo, NamedSecretStore, Result};
use crate::vault::Error as VaultError;

/// A [`NamedSecretStore`] over rh-server.
pub struct ServerNamedSecrets {
    client: rh_wire::Client,
}

impl fmt::Debug for ServerNamedSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerNamedSecrets")
            .field("url", &self.client.base_url())
            .finish_non_exhaustive()
    }
}

struct Answer {
    status: StatusCode,
    body: Vec<u8>,
}

impl Answer {
    fn detail(&self) -> String {
        serde_json::from_slice::<ErrorBody>(&self.body)
            .map_or_else(|_| "no detail".to_owned(), |e| e.detail.replace('\n', " "))
    }
}

/// `/alice/openai` → `alice:openai`; a name that is not an address is bad input naming it.
fn uri_of(name: &str) -> Result<String> {
    rh_wire::name::Address::from_address(name)
        .map(|a| a.uri())
        .map_err(|e| {
            Error::Local(crate::Error::Input {
                message: format!("`{name}` is not a secret address on rh-server: {e}"),
            })
        })
}

impl ServerNamedSecrets {
    /// A client of the rh-server at `url` with the account `token`.
    pub fn new(url: &str, token: SecretString) -> crate::vault::Result<Self> {
        Ok(Self {
            client: crate::server::wire_client(url, token)?,
        })
    }

    /// On an existing client (the one the provider-secret store uses, say).
    pub fn with_client(client: rh_wire::Client) -> Self {
        Self { client }
    }

    /// How many HTTP requests this store has sent so far (retries included).
    pub fn request_count(&self) -> u64 {
        self.client.request_count()
    }

    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Answer> {
        let a = self.client.send(method, path, body).await.map_err(|e| {
            VaultError::ServerUnreachable {
                url: e.url().to_owned(),
                reason: e.reason().to_owned(),
            }
        })?;
        Ok(Answer {
            status: a.status,
            body: a.body,
        })
    }

    fn remote(&self, what: &str, a: &Answer) -> Error {
        if a.status == StatusCode::UNAUTHORIZED {
            return Error::Remote(VaultError::Unauthorized {
                url: self.client.base_url().to_owned(),
            });
        }
        Error::Remote(VaultError::Server {
            url: self.client.base_url().to_owned(),
            status: a.status.as_u16(),
            what: what.to_owned(),
            detail: a.detail(),
        })
    }

    fn malformed(&self, name: &str) -> Error {
        Error::Remote(VaultError::Malformed {
            path: self.location(name),
        })
    }

    fn secret_path(uri: &str) -> String {
        rh_wire::path(&["user", "secret", uri])
    }
}

fn values_of(values: SecretValues) -> ProviderSecrets {
    let mut out = ProviderSecrets::new();
    for (k, v) in values {
        out.insert_secret(k, SecretString::from(v));
    }
    out
}

fn access_of(s: &str) -> Access {
    match s {
        "owner" => Access::Owner,
        "write" => Access::Write,
        _ => Access::Read,
    }
}

#[async_trait::async_trait]
impl NamedSecretStore for ServerNamedSecrets {
    fn location(&self, name: &str) -> String {
        format!("rh-server {name}")
    }

    async fn put(&self, secret: &NamedSecret, expected: Option<u64>) -> Result<u64> {
        let name = secret.name.as_str();
        let uri = uri_of(name)?;
        // The metadata first, as Runhouse's `Secret.save` sends it (values never in it).
        let mut data = json!({"resource_subtype": "Secret"});
        if let Some(p) = &secret.provider {
            data["provider"] = Value::String(p.clone());
        }
        let meta = json!({"name": name, "resource_type": "secret", "data": data});
        let a = self.send(Method::POST, "/resource", Some(&meta)).await?;
        // 409: it exists (the values decide below); 403: another owner's address (a `write` grantee).
        if !(a.status.is_success()
            || matches!(
                a.status,
                StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::FORBIDDEN
            ))
        {
            return Err(self.remote(name, &a));
        }
        let body = NamedSecretWrite {
            name: Some(name.to_owned()),
            data: NamedSecretData {
                values: secret
                    .values
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.expose_secret().to_owned()))
                    .collect(),
            },
        };
        let body = serde_json::to_value(&body).expect("wire types always serialise");
        let mut path = Self::secret_path(&uri);
        if let Some(v) = expected {
            path = format!("{path}?cas={v}");
        }
        let a = self.send(Method::PUT, &path, Some(&body)).await?;
        match a.status {
            s if s.is_success() => {
                let Data {
                    data: SecretVersion { version },
                } = serde_json::from_slice(&a.body).map_err(|_| self.malformed(name))?;
                Ok(version)
            }
            StatusCode::CONFLICT if a.detail().contains("not a secret") => {
                Err(self.remote(name, &a))
            }
            StatusCode::CONFLICT if expected == Some(0) => Err(Error::Exists {
                name: name.to_owned(),
            }),
            StatusCode::CONFLICT => Err(Error::Remote(VaultError::Conflict {
                path: self.location(name),
                expected: expected.unwrap_or_default(),
            })),
            StatusCode::FORBIDDEN => Err(Error::Forbidden {
                name: name.to_owned(),
                action: "write",
            }),
            StatusCode::NOT_FOUND => Err(Error::NotFound {
                name: name.to_owned(),
            }),
            _ => Err(self.remote(name, &a)),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<(NamedSecret, u64)>> {
        let uri = uri_of(name)?;
        let path = format!("{}?shared=true", Self::secret_path(&uri));
        let a = self.send(Method::GET, &path, None).await?;
        match a.status {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND => return Ok(None),
            StatusCode::FORBIDDEN => {
                return Err(Error::Forbidden {
                    name: name.to_owned(),
                    action: "read",
                });
            }
            _ => return Err(self.remote(name, &a)),
        }
        let NamedSecretRead {
            mut data,
            version,
            provider,
            ..
        } = serde_json::from_slice(&a.body).map_err(|_| self.malformed(name))?;
        let entry = data.remove(name).ok_or_else(|| self.malformed(name))?;
        Ok(Some((
            NamedSecret {
                name: name.to_owned(),
                provider,
                values: values_of(entry.data.values),
            },
            version,
        )))
    }

    async fn list(&self, folder: Option<&str>) -> Result<Vec<NamedSecretInfo>> {
        let a = self
            .send(Method::GET, "/user/secret?named=true", None)
            .await?;
        if !a.status.is_success() {
            return Err(self.remote("the list of named secrets", &a));
        }
        let Data { data: items } =
            serde_json::from_slice::<Data<Vec<NamedSecretListItem>>>(&a.body)
                .map_err(|_| self.malformed("the list of named secrets"))?;
        let prefix = folder.map(|f| format!("{}/", f.trim_end_matches('/')));
        let mut out: Vec<NamedSecretInfo> = items
            .into_iter()
            .filter(|i| prefix.as_deref().is_none_or(|p| i.name.starts_with(p)))
            .map(|i| NamedSecretInfo {
                access: access_of(&i.access),
                name: i.name,
                provider: i.provider,
                owner: i.owner,
                version: None,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn delete(&self, name: &str) -> Result<bool> {
        let uri = uri_of(name)?;
        let a = self
            .send(Method::DELETE, &Self::secret_path(&uri), None)
            .await?;
        let values = match a.status {
            s if s.is_success() => true,
            StatusCode::NOT_FOUND => false,
            StatusCode::FORBIDDEN => {
                return Err(Error::Forbidden {
                    name: name.to_owned(),
                    action: "delete",
                });
            }
            _ => return Err(self.remote(name, &a)),
        };
        let a = self
            .send(
                Method::DELETE,
                &rh_wire::path(&["resource", uri.as_str()]),
                None,
            )
            .await?;
        match a.status {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(values),
            StatusCode::FORBIDDEN => Err(Error::Forbidden {
                name: name.to_owned(),
                action: "delete",
            }),
            _ => Err(self.remote(name, &a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_uris_and_debug_hides_the_token() {
        assert_eq!(uri_of("/alice/proj/openai").unwrap(), "alice:proj:openai");
        let e = uri_of("openai").unwrap_err().to_string();
        assert!(e.contains("`openai`"), "{e}");
        let s =
            ServerNamedSecrets::new("http://127.0.0.1:1", SecretString::from("SENTINEL")).unwrap();
        assert!(!format!("{s:?}").contains("SENTINEL"));
        assert_eq!(
            ServerNamedSecrets::secret_path("alice:openai"),
            rh_wire::path(&["user", "secret", "alice:openai"])
        );
    }
}
