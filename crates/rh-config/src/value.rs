//! Typing of values given on the command line, and their rendering for `rh config get`.

use serde_yaml::Value;

/// Types a command-line value the way YAML would: `true` is a bool, `30` and `-1` are integers,
/// `1.5` is a float, `[a, b]` a list, `{a: 1}` a map, `null` nothing; anything else, `~` included,
/// including text that is not valid YAML, is a string.
pub fn parse_value(raw: &str) -> Value {
    let trimmed = raw.trim();
    // `~` is rh's name for the local folder, not YAML's null.
    if trimmed.is_empty() || trimmed == "~" {
        return Value::String(raw.to_owned());
    }
    match serde_yaml::from_str::<Value>(trimmed) {
        // A tagged value (`!foo`) or a multi-document string is kept as the literal text.
        Ok(Value::Tagged(_)) | Err(_) => Value::String(raw.to_owned()),
        Ok(v) => v,
    }
}

/// Renders a value for one line of output: scalars plainly, lists and maps as flow YAML.
pub fn render_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => serde_json_like(value),
    }
}

fn serde_json_like(value: &Value) -> String {
    match value {
        Value::Sequence(items) => {
            let inner: Vec<String> = items.iter().map(serde_json_like).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Mapping(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", serde_json_like(k), serde_json_like(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Tagged(t) => serde_json_like(&t.value),
        other => render_value(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_values() {
        assert_eq!(parse_value("true"), Value::Bool(true));
        assert_eq!(parse_value("30"), Value::Number(30.into()));
        assert_eq!(parse_value("-1"), Value::Number((-1).into()));
        assert_eq!(parse_value("0"), Value::Number(0.into()));
        assert_eq!(parse_value("cheapest"), Value::String("cheapest".into()));
        assert_eq!(parse_value(""), Value::String(String::new()));
        assert_eq!(parse_value("~"), Value::String("~".into()));
        assert_eq!(parse_value("a: b: c"), Value::String("a: b: c".into()));
        assert!(matches!(parse_value("[a, b]"), Value::Sequence(_)));
        assert!(matches!(parse_value("{a: 1}"), Value::Mapping(_)));
        assert_eq!(render_value(&parse_value("[a, 1]")), "[a, 1]");
        assert_eq!(render_value(&parse_value("{a: 1}")), "{a: 1}");
    }
}
