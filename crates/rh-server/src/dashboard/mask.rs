//! Masking of secret-like fields before a config is shown, and its pretty JSON.

use serde_json::{Map, Value};

use rh_secrets::mask::{is_secret_like, mask_json, masked_json};

/// What a masked value shows instead (the one rule's, `rh_secrets::mask`).
#[cfg(test)]
pub(crate) use rh_secrets::mask::MASK;

/// What a changed secret value shows on the old and the new side of a diff, after its masked form.
pub(crate) const OLD_VALUE: &str = " (old value)";
pub(crate) const NEW_VALUE: &str = " (new value)";

/// A copy of `value` with secret-like keys masked by `rh_secrets::mask` (nulls and empty strings stay, so
/// "not set" remains visible).
pub(crate) fn mask(value: &Value) -> Value {
    mask_json(value)
}

/// [`mask`] for one side of a diff: a secret-like value that differs from `other`'s at the same place shows
/// its mask followed by `changed` ([`OLD_VALUE`] or [`NEW_VALUE`]), so a change of a secret is visible
/// without showing either value.
pub(crate) fn mask_against(value: &Value, other: Option<&Value>, changed: &str) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let theirs = other.and_then(|o| o.get(k));
                let shown = if is_secret_like(k) {
                    match masked_json(v) {
                        Value::String(m) if !m.is_empty() && theirs.is_some_and(|t| t != v) => {
                            Value::String(format!("{m}{changed}"))
                        }
                        m => m,
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
    (show(old, new, OLD_VALUE), show(new, old, NEW_VALUE))
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
        assert!(
            l.contains(&format!("{MASK}{OLD_VALUE}")) && r.contains(&format!("{MASK}{NEW_VALUE}")),
            "{l}"
        );
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
