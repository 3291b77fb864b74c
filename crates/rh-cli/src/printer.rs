//! The one place that writes to stdout (data) and prints the final error line on stderr, and the one place
//! that makes foreign text (from a server, a resource file, config.yaml) safe for a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

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
pub(crate) fn clean(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// As [`clean`], for multi-line human text (a diff): newlines and tabs are kept.
pub(crate) fn clean_lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

/// Writes one line of human output to stdout, with terminal controls other than newline and tab escaped
/// ([`clean_lines`]): whatever a caller forgot to [`clean`], an ESC or OSC sequence in a name from Vault or a
/// server never reaches the terminal raw. A closed pipe surfaces as an `io::Error` the caller propagates.
pub(crate) fn line(text: &str) -> std::io::Result<()> {
    raw_line(&clean_lines(text))
}

fn raw_line(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Writes raw bytes to stdout.
#[allow(dead_code, reason = "used by the commands of later areas")]
pub(crate) fn bytes(data: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(data)?;
    out.flush()
}

/// Writes a JSON value, pretty-printed, to stdout.
pub(crate) fn json(value: &serde_json::Value) -> std::io::Result<()> {
    raw_line(&serde_json::to_string_pretty(value).expect("a JSON value always serialises"))
}

/// Prints the final `error: …` line on stderr (controls escaped: an error may quote a server's answer).
pub(crate) fn error_line(message: &str) {
    let one_line = message.replace('\n', " ");
    let _ = writeln!(std::io::stderr(), "error: {}", clean(&one_line));
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
