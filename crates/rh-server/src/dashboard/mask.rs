//! Masking of secret-like fields before a config is shown, and its pretty JSON.

use serde_json::{Map, Value};

/// What a masked value shows instead.
pub(crate) const MASK: &str = "••••••••";

/// Words that make a key secret-like when they appear in it (lowercased, `_`/`-`/`.` ignored).
const SECRET_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "credential",
    "apikey",
    "accesskey",
    "privatekey",
    "signingkey",
    "sessionkey",
    "authorization",
    "cookie",
];

/// Whether a key names a secret: it contains one of [`SECRET_WORDS`], or is `key`/`pwd` or ends in `_key`.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let squashed: String = lower
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .collect();
    SECRET_WORDS.iter().any(|w| squashed.contains(w))
        || matches!(lower.as_str(), "key" | "pwd" | "pass")
        || lower.ends_with("_key")
        || lower.ends_with("-key")
        || lower.ends_with("_pwd")
}

/// A copy of `value` with the values of secret-like keys replaced by [`MASK`] (nulls and empty strings stay,
/// so "not set" remains visible).
pub(crate) fn mask(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let shown = if is_secret_key(k) {
                    match v {
                        Value::Null => Value::Null,
                        Value::String(s) if s.is_empty() => Value::String(String::new()),
                        _ => Value::String(MASK.to_owned()),
                    }
                } else {
                    mask(v)
                };
                out.insert(k.clone(), shown);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(mask).collect()),
        other => other.clone(),
    }
}

/// The masked value as indented JSON.
pub(crate) fn pretty_masked(value: &Value) -> String {
    serde_json::to_string_pretty(&mask(value)).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secret_like_keys() {
        for k in [
            "token",
            "api_token",
            "AWS_SECRET_ACCESS_KEY",
            "password",
            "db-passwd",
            "key",
            "ssh_key",
            "apiKey",
            "private_key",
            "client_secret",
            "Authorization",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "name",
            "keys",
            "monkey",
            "author",
            "resource_type",
            "path",
            "folder",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn masks_nested_values_but_keeps_structure() {
        let v = json!({
            "name": "/alice/db",
            "data": {"host": "h", "password": "hunter2", "nested": [{"token": 42}], "api_key": ""},
            "secrets": {"aws": {"id": "x"}},
        });
        let m = mask(&v);
        assert_eq!(m["data"]["host"], "h");
        assert_eq!(m["data"]["password"], MASK);
        assert_eq!(m["data"]["nested"][0]["token"], MASK);
        assert_eq!(m["data"]["api_key"], "");
        assert_eq!(m["secrets"], MASK);
        let text = pretty_masked(&v);
        assert!(!text.contains("hunter2") && !text.contains("42"), "{text}");
    }
}
