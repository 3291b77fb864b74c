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
    mask_against(value, None, MASK)
}

/// What a masked value shows on the old and the new side of a diff when it changed.
pub(crate) const MASK_OLD: &str = "•••••••• (old value)";
pub(crate) const MASK_NEW: &str = "•••••••• (new value)";

/// [`mask`] for one side of a diff: a secret-like value that differs from `other`'s at the same place shows as
/// `changed` ([`MASK_OLD`] or [`MASK_NEW`]), so a change of a secret is visible without showing either value.
pub(crate) fn mask_against(value: &Value, other: Option<&Value>, changed: &str) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let theirs = other.and_then(|o| o.get(k));
                let shown = if is_secret_key(k) {
                    match v {
                        Value::Null => Value::Null,
                        Value::String(s) if s.is_empty() => Value::String(String::new()),
                        _ if theirs.is_some_and(|t| t != v) => Value::String(changed.to_owned()),
                        _ => Value::String(MASK.to_owned()),
                    }
                } else {
                    mask_against(v, theirs, changed)
                };
                out.insert(k.clone(), shown);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| mask_against(v, other.and_then(|o| o.get(i)), changed))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Pretty masked JSON of two versions, for a diff.
pub(crate) fn pretty_pair(old: &Value, new: &Value) -> (String, String) {
    let show = |v: &Value, o: &Value, changed: &str| {
        serde_json::to_string_pretty(&mask_against(v, Some(o), changed))
            .unwrap_or_else(|_| "null".to_owned())
    };
    (show(old, new, MASK_OLD), show(new, old, MASK_NEW))
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

    #[test]
    fn a_changed_secret_is_marked_in_a_diff_without_its_values() {
        let old = json!({"data": {"password": "one", "token": "same", "host": "a"}});
        let new = json!({"data": {"password": "two", "token": "same", "host": "b"}});
        let (l, r) = pretty_pair(&old, &new);
        assert!(l.contains(MASK_OLD) && r.contains(MASK_NEW), "{l}");
        assert_eq!(
            l.matches("value)").count(),
            1,
            "the unchanged token is a plain mask"
        );
        for text in [&l, &r] {
            assert!(
                !text.contains("one") && !text.contains("two") && !text.contains("same"),
                "{text}"
            );
        }
    }
}
