//! The one masking rule: which keys are secret-like ([`is_secret_like`]) and what a masked value shows
//! ([`mask`], [`masked_json`], [`mask_json`]). `rh secrets show`, `rh config` and the dashboard call it.

use serde_json::{Map, Value};

/// What a masked value shows when none of it is shown (a short value, a value that is not text).
pub const MASK: &str = "************";

/// Words that make a key secret-like when they appear in it (lowercased, `_`/`-`/`.`/` ` ignored).
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

/// Masks a secret for display: the first four characters of a value of 16 or more, then [`MASK`]
/// (`AKIA************`); a shorter value is [`MASK`] alone. The width is fixed: the length says nothing.
pub fn mask(value: &str) -> String {
    if value.chars().count() >= 16 {
        let head: String = value.chars().take(4).collect();
        format!("{head}{MASK}")
    } else {
        MASK.to_owned()
    }
}

/// Whether a key names a secret: it contains one of [`SECRET_WORDS`], or is `key`/`pwd`/`pass`, or ends in
/// `_key`/`-key`/`_pwd`. For documents whose schema rh does not know (resource configs); config.yaml's
/// secret keys are declared by `rh_config::SECRET_KEYS`.
pub fn is_secret_like(key: &str) -> bool {
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

/// What a secret value shows: null and `""` as they are (so "not set" stays visible), text by [`mask`],
/// anything else (a number, a map, a list) as [`MASK`].
pub fn masked_json(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::String(s) if s.is_empty() => Value::String(String::new()),
        Value::String(s) => Value::String(mask(s)),
        _ => Value::String(MASK.to_owned()),
    }
}

/// A copy of `value` with the value of every secret-like key, at any depth, shown by [`masked_json`].
pub fn mask_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shown = if is_secret_like(k) {
                        masked_json(v)
                    } else {
                        mask_json(v)
                    };
                    (k.clone(), shown)
                })
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_json).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn masks_like_aws_console() {
        assert_eq!(mask("AKIAIOSFODNN7EXAMPLE"), "AKIA************");
        assert_eq!(mask("short"), MASK);
        assert_eq!(mask(""), MASK);
        assert_eq!(mask("ü".repeat(16).as_str()), format!("üüüü{MASK}"));
    }

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
            "pwd",
        ] {
            assert!(is_secret_like(k), "{k}");
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
            assert!(!is_secret_like(k), "{k}");
        }
    }

    #[test]
    fn json_masks_nested_secret_values_and_keeps_not_set() {
        let v = json!({
            "name": "/alice/db",
            "data": {"host": "h", "password": "hunter2", "nested": [{"token": 42}], "api_key": "", "pwd": null},
            "secrets": {"aws": {"id": "x"}},
            "url_token": "sk-live-0123456789abcdef",
        });
        let m = mask_json(&v);
        assert_eq!(
            m,
            json!({
                "name": "/alice/db",
                "data": {"host": "h", "password": MASK, "nested": [{"token": MASK}], "api_key": "", "pwd": null},
                "secrets": MASK,
                "url_token": format!("sk-l{MASK}"),
            })
        );
    }
}
