//! The one place that writes to stdout (data) and prints the final error line on stderr, and the one place
//! that makes foreign text (from a server, a resource file, config.yaml) safe for a terminal.

use std::io::Write;

pub(crate) use rh_ops::text::{clean, clean_lines};

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

/// Prints one `  caused by: …` line on stderr under the error line (`-v`), escaped as [`error_line`].
pub(crate) fn caused_by_line(message: &str) {
    let one_line = message.replace('\n', " ");
    let _ = writeln!(std::io::stderr(), "  caused by: {}", clean(&one_line));
}
