//! A small unified line diff for config files (a few dozen lines), and a one-line summary of a JSON change.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// `diff -u`-style text from `old` to `new` with 3 lines of context; empty when equal.
pub(crate) fn unified(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = lcs_ops(&a, &b);
    let mut out = format!("--- {old_label}\n+++ {new_label}\n");
    // Group the edit script into hunks with 3 lines of context.
    let context = 3;
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(context);
        let mut end = changed[i];
        while i < changed.len() && changed[i] <= end + 2 * context {
            end = changed[i];
            i += 1;
        }
        let end = (end + context + 1).min(ops.len());
        let (mut a_start, mut b_start) = (0, 0);
        for op in &ops[..start] {
            match op {
                Op::Same(..) => {
                    a_start += 1;
                    b_start += 1;
                }
                Op::Del(_) => a_start += 1,
                Op::Add(_) => b_start += 1,
            }
        }
        let a_len = ops[start..end]
            .iter()
            .filter(|o| !matches!(o, Op::Add(_)))
            .count();
        let b_len = ops[start..end]
            .iter()
            .filter(|o| !matches!(o, Op::Del(_)))
            .count();
        let _ = writeln!(
            out,
            "@@ -{} +{} @@",
            range(a_start, a_len),
            range(b_start, b_len)
        );
        for op in &ops[start..end] {
            let _ = match op {
                Op::Same(l) => writeln!(out, " {l}"),
                Op::Del(l) => writeln!(out, "-{l}"),
                Op::Add(l) => writeln!(out, "+{l}"),
            };
        }
    }
    out
}

fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

enum Op<'a> {
    Same(&'a str),
    Del(&'a str),
    Add(&'a str),
}

/// An edit script from a longest-common-subsequence table; configs are small, so O(n·m) is fine.
#[expect(clippy::many_single_char_names, reason = "the textbook LCS names")]
fn lcs_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<Op<'a>> {
    let (n, m) = (a.len(), b.len());
    let mut t = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n + m);
    while i < n && j < m {
        if a[i] == b[j] {
            ops.push(Op::Same(a[i]));
            i += 1;
            j += 1;
        } else if t[i + 1][j] >= t[i][j + 1] {
            ops.push(Op::Del(a[i]));
            i += 1;
        } else {
            ops.push(Op::Add(b[j]));
            j += 1;
        }
    }
    ops.extend(a[i..].iter().map(|l| Op::Del(l)));
    ops.extend(b[j..].iter().map(|l| Op::Add(l)));
    ops
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
