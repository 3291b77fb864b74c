//! A small unified line diff for config files (a few dozen lines), and a one-line summary of a JSON change.

use serde_json::{Map, Value};

/// `diff -u`-style text from `old` to `new` with 3 lines of context (`similar`'s unified diff); empty when equal.
pub(crate) fn unified(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    if old == new {
        return String::new();
    }
    // Compared as lines, as `diff` does; a missing final newline is not a change worth a hint line.
    let (old, new) = (with_final_newline(old), with_final_newline(new));
    similar::TextDiff::from_lines(old.as_str(), new.as_str())
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(false)
        .header(old_label, new_label)
        .to_string()
}

fn with_final_newline(text: &str) -> String {
    let mut text = text.to_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// One line saying how a config changed between two stored versions.
pub(crate) fn summary(old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).ok();
    match (old, new) {
        (None, None) => "unchanged".to_owned(),
        (None, Some(_)) => "created".to_owned(),
        (Some(_), None) => "deleted".to_owned(),
        (Some(o), Some(n)) => match (parse(o), parse(n)) {
            (_, None) => "changed (now not valid JSON)".to_owned(),
            (None, Some(_)) => "changed (was not valid JSON)".to_owned(),
            (Some(Value::Object(o)), Some(Value::Object(n))) => object_summary(&o, &n),
            (Some(o), Some(n)) if o == n => "reformatted".to_owned(),
            _ => "changed".to_owned(),
        },
    }
}

fn object_summary(old: &Map<String, Value>, new: &Map<String, Value>) -> String {
    let mut parts = Vec::new();
    for (k, v) in new {
        match old.get(k) {
            None => parts.push(format!("+{k}")),
            Some(o) if o != v => parts.push(match (o, v) {
                (a, b) if is_scalar(a) && is_scalar(b) => format!("{k}: {a} -> {b}"),
                _ => k.clone(),
            }),
            _ => {}
        }
    }
    for k in old.keys() {
        if !new.contains_key(k) {
            parts.push(format!("-{k}"));
        }
    }
    if parts.is_empty() {
        return "reformatted".to_owned();
    }
    format!("changed {}", parts.join(", "))
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unified_diff_of_one_changed_line() {
        let old = "{\n    \"a\": 1,\n    \"b\": 2\n}";
        let new = "{\n    \"a\": 1,\n    \"b\": 3\n}";
        assert_eq!(
            unified(old, new, "a/x", "b/x"),
            "--- a/x\n+++ b/x\n@@ -1,4 +1,4 @@\n {\n     \"a\": 1,\n-    \"b\": 2\n+    \"b\": 3\n }\n"
        );
        assert_eq!(unified(old, old, "a", "b"), "");
        assert_eq!(
            unified("", "x", "a", "b"),
            "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"
        );
    }

    #[test]
    fn summaries() {
        assert_eq!(summary(None, Some(b"{}")), "created");
        assert_eq!(summary(Some(b"{}"), None), "deleted");
        assert_eq!(
            summary(
                Some(br#"{"a": 30, "b": 1}"#),
                Some(br#"{"a": 60, "c": [1]}"#)
            ),
            "changed a: 30 -> 60, +c, -b"
        );
        assert_eq!(
            summary(Some(br#"{"a":1}"#), Some(br#"{"a": 1}"#)),
            "reformatted"
        );
    }
}
