//! Secret values: [`ProviderSecrets`], the flat `key -> value` map of one provider, redacted at the leaf.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};

use crate::{Error, Result};

/// One provider's secrets: a flat map of key to [`SecretString`].
///
/// `Debug` lists the keys only; there is no `Display`. Call [`ProviderSecrets::expose`] at the boundary
/// that really needs a value (writing the provider's file, `--reveal`).
#[derive(Clone, Default)]
pub struct ProviderSecrets(BTreeMap<String, SecretString>);

impl std::fmt::Debug for ProviderSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, Redacted)))
            .finish()
    }
}

struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[REDACTED]")
    }
}

impl ProviderSecrets {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), SecretString::from(value.into()));
    }

    /// Sets `key` to an already wrapped value.
    pub fn insert_secret(&mut self, key: impl Into<String>, value: SecretString) {
        self.0.insert(key.into(), value);
    }

    /// The value of `key`, still wrapped.
    pub fn get(&self, key: &str) -> Option<&SecretString> {
        self.0.get(key)
    }

    /// The plain value of `key`. Every call is a place where a secret leaves its wrapper.
    pub fn expose(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(ExposeSecret::expose_secret)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<SecretString> {
        self.0.remove(key)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Keys with their wrapped values, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SecretString)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A map from a JSON object of strings; `what` names the input in errors.
    pub fn from_json_object(
        what: &str,
        object: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self> {
        let mut out = Self::new();
        for (k, v) in object {
            match v {
                serde_json::Value::String(s) => out.insert(k.clone(), s.clone()),
                other => {
                    return Err(Error::Input {
                        message: format!(
                            "{what}: the value of `{k}` must be a string, found {}",
                            json_kind(other)
                        ),
                    });
                }
            }
        }
        Ok(out)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ProviderSecrets {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut out = Self::new();
        for (k, v) in iter {
            out.insert(k, v);
        }
        out
    }
}

/// Secrets of several providers, keyed by provider name.
pub type SecretsMap = BTreeMap<String, ProviderSecrets>;

/// Parses `{provider: {key: value}}` JSON; errors give the position or the provider and key, never a value.
pub fn parse_secrets_json(what: &str, text: &str) -> Result<SecretsMap> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Input {
        message: format!(
            "{what} is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ),
    })?;
    let serde_json::Value::Object(top) = value else {
        return Err(Error::Input {
            message: format!(
                "{what} must hold a JSON object of {{provider: {{key: value}}}}, found {}",
                json_kind(&value)
            ),
        });
    };
    let mut out = SecretsMap::new();
    for (provider, inner) in &top {
        let serde_json::Value::Object(inner) = inner else {
            return Err(Error::Input {
                message: format!(
                    "{what}: `{provider}` must map to an object of key: value, found {}",
                    json_kind(inner)
                ),
            });
        };
        out.insert(
            provider.clone(),
            ProviderSecrets::from_json_object(&format!("{what}: {provider}"), inner)?,
        );
    }
    Ok(out)
}

/// Parses a flat `{key: value}` JSON object for one provider.
pub fn parse_provider_json(what: &str, text: &str) -> Result<ProviderSecrets> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Input {
        message: format!(
            "{what} is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ),
    })?;
    match &value {
        serde_json::Value::Object(o) => ProviderSecrets::from_json_object(what, o),
        other => Err(Error::Input {
            message: format!(
                "{what} must hold a JSON object of {{key: value}}, found {}",
                json_kind(other)
            ),
        }),
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_lists_keys_only() {
        let s: ProviderSecrets = [("access_key", "AKIASENTINEL"), ("secret_key", "SENTINEL")]
            .into_iter()
            .collect();
        assert_eq!(
            format!("{s:?}"),
            r#"{"access_key": [REDACTED], "secret_key": [REDACTED]}"#
        );
        let mut map = SecretsMap::new();
        map.insert("aws".into(), s);
        assert!(!format!("{map:?}").contains("SENTINEL"));
        assert!(!format!("{map:#?}").contains("SENTINEL"));
    }

    #[test]
    fn json_errors_do_not_quote_values() {
        let err = parse_secrets_json("stdin", r#"{"aws": {"access_key": 12345678}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid secrets input: stdin: aws: the value of `access_key` must be a string, found a number"
        );
        let err = parse_secrets_json("f.json", "{\"aws\": SENTINEL}").unwrap_err();
        assert!(!err.to_string().contains("SENTINEL"), "{err}");
        assert!(err.to_string().contains("line 1"), "{err}");
        let ok =
            parse_secrets_json("f", r#"{"aws": {"access_key": "a", "secret_key": "b"}}"#).unwrap();
        assert_eq!(ok["aws"].expose("secret_key"), Some("b"));
    }
}
