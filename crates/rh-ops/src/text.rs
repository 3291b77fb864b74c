//! Foreign text (from a server, a resource file, config.yaml) made safe for a terminal or a log line.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for the characters a terminal acts on instead of showing: C0 controls, DEL and C1 controls.
fn is_control(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}')
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_control(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_control(c) || keep(c) {
            out.push(c);
        } else if c < '\u{80}' {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// Foreign text for one line of human output: every C0 control (newline and tab included), DEL and C1
/// control becomes a visible escape (`\x1b`, `\u{9b}`), so an ESC or OSC 52 sequence in a resource type, a
/// config value or a name cannot retitle the terminal, write the clipboard or fake another line. JSON output
/// never goes through this: it stays exact.
pub fn clean(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// As [`clean`], for multi-line human text (a diff): newlines and tabs are kept.
pub fn clean_lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_text_kept() {
        assert_eq!(clean("plain ünïcode"), "plain ünïcode");
        assert_eq!(
            clean("a\x1b]52;c;SGVsbG8=\x07b\u{9b}c\x7f\n"),
            "a\\x1b]52;c;SGVsbG8=\\x07b\\u{9b}c\\x7f\\x0a"
        );
        assert_eq!(clean_lines("x\x1b[2J\n\ty"), "x\\x1b[2J\n\ty");
    }
}
