//! JSON text exactly as Python's `json.dump(obj, f, indent=4)` writes it, which is how Runhouse wrote
//! every `config.json`: 4-space indent, `", "`-free separators (`","` at line ends, `": "` after keys),
//! `ensure_ascii` escapes (`\u00e9`, surrogate pairs above the BMP), floats as Python's `repr`, empty
//! containers as `{}` / `[]`, and no trailing newline.

use std::fmt::Write as _;

use serde_json::Value;

/// Renders `value` as Python's `json.dumps(value, indent=4)` would.
pub(crate) fn to_string(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value, 0);
    out
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_str(out, k);
                out.push_str(": ");
                write_value(out, v, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
    }
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("    ");
    }
}

/// Python's `ensure_ascii` escaping: everything outside `' '..='~'` is escaped.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    if n.is_f64() {
        let f = n.as_f64().expect("an f64 number");
        out.push_str(&python_float_repr(f));
    } else {
        out.push_str(&n.to_string());
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when the decimal
/// exponent is in `-4..16`, else `d.ddde+XX` with at least two exponent digits.
fn python_float_repr(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // Rust's `{:e}` prints the shortest round-trip digits, like Python's repr: `1.5e-7`, `1e20`.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let n = i32::try_from(digits.len()).expect("few digits");
        let mut s = String::from(sign);
        if exp < 0 {
            s.push_str("0.");
            for _ in 0..(-exp - 1) {
                s.push('0');
            }
            s.push_str(&digits);
        } else if exp + 1 >= n {
            s.push_str(&digits);
            for _ in 0..(exp + 1 - n) {
                s.push('0');
            }
            s.push_str(".0");
        } else {
            let point = usize::try_from(exp + 1).expect("positive");
            s.push_str(&digits[..point]);
            s.push('.');
            s.push_str(&digits[point..]);
        }
        s
    } else {
        let mut s = String::from(sign);
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        let _ = write!(s, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(json: &str, expect: &str) {
        let v: Value = serde_json::from_str(json).expect("test JSON parses");
        assert_eq!(to_string(&v), expect, "for {json}");
    }

    #[test]
    fn python_layout() {
        check(
            r#"{"a": null, "b": [1, "x"], "c": {}, "d": [], "e": {"f": false}}"#,
            "{\n    \"a\": null,\n    \"b\": [\n        1,\n        \"x\"\n    ],\n    \"c\": {},\n    \"d\": [],\n    \"e\": {\n        \"f\": false\n    }\n}",
        );
    }

    #[test]
    fn ensure_ascii_escapes() {
        check(r#""caf\u00e9 \ud83d\ude00""#, r#""caf\u00e9 \ud83d\ude00""#);
        check("\"é\"", r#""\u00e9""#);
        check(r#""tab\t nl\n q\" bs\\ /""#, r#""tab\t nl\n q\" bs\\ /""#);
        check(r#""\u0001\u007f""#, r#""\u0001\u007f""#);
    }

    #[test]
    fn floats_like_python_repr() {
        for (input, py) in [
            ("1.0", "1.0"),
            ("0.5", "0.5"),
            ("-2.25", "-2.25"),
            ("1e16", "1e+16"),
            ("1e15", "1000000000000000.0"),
            ("123456.789", "123456.789"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("1.5e-7", "1.5e-07"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("0.1", "0.1"),
            ("-0.0", "-0.0"),
            ("30", "30"),
            ("-1", "-1"),
        ] {
            check(input, py);
        }
    }
}
