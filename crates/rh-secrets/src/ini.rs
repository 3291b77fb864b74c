//! A small INI editor for `~/.aws/credentials` and `~/.azure/clouds.config`.
//!
//! It reads files the way Python's `configparser.RawConfigParser` (used by botocore and the Azure CLI)
//! does, and edits them in place: setting a key rewrites only the value on that key's line (or adds one
//! line), so every other section, comment, blank line, line ending and byte stays as it was.

use std::path::Path;

use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Section(String),
    /// A `key = value` line; `key` is lower-cased as configparser does, `value_start` is the byte
    /// offset of the value in the line.
    Key {
        key: String,
        value_start: usize,
    },
    /// An indented line continuing the previous key's value.
    Continuation,
}

#[derive(Clone)]
struct Line {
    text: String,
    eol: String,
    kind: Kind,
}

/// An INI document that remembers every byte it was parsed from.
#[derive(Clone)]
pub(crate) struct Ini {
    lines: Vec<Line>,
    eol: &'static str,
}

impl std::fmt::Debug for Ini {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secret: show the structure only.
        f.debug_struct("Ini")
            .field(
                "lines",
                &self.lines.iter().map(|l| &l.kind).collect::<Vec<_>>(),
            )
            .field("eol", &self.eol)
            .finish()
    }
}

impl Ini {
    /// Parses `text`; `path` only names the file in errors. Errors give the line number, never its text.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self> {
        let malformed = |line: usize, message: &str| Error::Malformed {
            path: path.to_path_buf(),
            line,
            message: message.to_owned(),
        };
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let mut lines = Vec::new();
        let mut sections: Vec<String> = Vec::new();
        let mut keys_in_section: Vec<String> = Vec::new();
        let mut in_section = false;
        // Indent of the current key, while continuation lines may follow it.
        let mut key_indent: Option<usize> = None;
        for (idx, raw) in split_lines(text).into_iter().enumerate() {
            let n = idx + 1;
            let (body, line_eol) = raw;
            let stripped = body.trim();
            let indent = body.len() - body.trim_start().len();
            let kind = if stripped.is_empty() {
                Kind::Blank
            } else if stripped.starts_with('#') || stripped.starts_with(';') {
                Kind::Comment
            } else if key_indent.is_some_and(|k| indent > k) {
                Kind::Continuation
            } else if stripped.starts_with('[') {
                let close = stripped
                    .rfind(']')
                    .filter(|&c| c > 1)
                    .ok_or_else(|| malformed(n, "section header is missing its closing `]`"))?;
                let name = stripped[1..close].to_owned();
                if sections.contains(&name) {
                    return Err(malformed(n, &format!("section [{name}] appears twice")));
                }
                sections.push(name.clone());
                keys_in_section.clear();
                in_section = true;
                Kind::Section(name)
            } else {
                let delim = body
                    .find(['=', ':'])
                    .ok_or_else(|| malformed(n, "expected `[section]` or `key = value`"))?;
                let key = body[..delim].trim().to_lowercase();
                if key.is_empty() {
                    return Err(malformed(n, "a `key = value` line has no key"));
                }
                if !in_section {
                    return Err(malformed(n, "a key comes before any `[section]` header"));
                }
                if keys_in_section.contains(&key) {
                    return Err(malformed(
                        n,
                        &format!("key `{key}` appears twice in the same section"),
                    ));
                }
                keys_in_section.push(key.clone());
                let after = &body[delim + 1..];
                let value_start = delim + 1 + (after.len() - after.trim_start().len());
                key_indent = Some(indent);
                lines.push(Line {
                    text: body.to_owned(),
                    eol: line_eol.to_owned(),
                    kind: Kind::Key { key, value_start },
                });
                continue;
            };
            if !matches!(kind, Kind::Continuation | Kind::Comment | Kind::Blank) {
                key_indent = None;
            }
            if matches!(kind, Kind::Section(_)) {
                key_indent = None;
            }
            lines.push(Line {
                text: body.to_owned(),
                eol: line_eol.to_owned(),
                kind,
            });
        }
        Ok(Self { lines, eol })
    }

    /// The bytes of the document.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(&l.text);
            out.push_str(&l.eol);
        }
        out
    }

    /// The value of `key` in `[section]`, with continuation lines joined by newlines.
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<String> {
        let range = self.section_range(section)?;
        let key = key.to_lowercase();
        let i = self.find_key(range.clone(), &key)?;
        let Kind::Key { value_start, .. } = &self.lines[i].kind else {
            unreachable!("find_key returns key lines")
        };
        let mut value = self.lines[i].text[*value_start..].trim().to_owned();
        for l in &self.lines[i + 1..range.end] {
            match l.kind {
                Kind::Continuation => {
                    value.push('\n');
                    value.push_str(l.text.trim());
                }
                Kind::Blank | Kind::Comment => {}
                _ => break,
            }
        }
        Some(value)
    }

    /// Sets `key = value` in `[section]`, touching only that line (or adding one line, or a new section at the end).
    pub(crate) fn set(&mut self, section: &str, key: &str, value: &str) {
        debug_assert!(!value.contains(['\n', '\r']), "callers validate values");
        let lower = key.to_lowercase();
        if let Some(range) = self.section_range(section) {
            if let Some(i) = self.find_key(range.clone(), &lower) {
                let Kind::Key { value_start, .. } = self.lines[i].kind.clone() else {
                    unreachable!("find_key returns key lines")
                };
                let line = &mut self.lines[i];
                line.text.truncate(value_start);
                // `key =` with an empty value: keep the file's `key = value` spacing.
                if line.text.ends_with(['=', ':'])
                    && line.text[..line.text.len() - 1].ends_with(' ')
                {
                    line.text.push(' ');
                }
                line.text.push_str(value);
                line.kind = Kind::Key {
                    key: lower,
                    value_start,
                };
                // Drop the old value's continuation lines.
                while i + 1 < self.lines.len() && self.lines[i + 1].kind == Kind::Continuation {
                    self.lines.remove(i + 1);
                }
                return;
            }
            // Insert after the section's last key (or its header), before trailing blanks and comments.
            let mut at = range.start + 1;
            for i in range.start + 1..range.end {
                if matches!(self.lines[i].kind, Kind::Key { .. } | Kind::Continuation) {
                    at = i + 1;
                }
            }
            self.insert_line(at, key_line(key, value, &lower));
            return;
        }
        if let Some(last) = self.lines.last()
            && last.kind != Kind::Blank
        {
            let at = self.lines.len();
            self.insert_line(at, (String::new(), Kind::Blank));
        }
        let at = self.lines.len();
        self.insert_line(
            at,
            (format!("[{section}]"), Kind::Section(section.to_owned())),
        );
        let at = self.lines.len();
        self.insert_line(at, key_line(key, value, &lower));
    }

    /// Removes `key` from `[section]`; a section left without keys or comments is removed too.
    pub(crate) fn remove(&mut self, section: &str, key: &str) -> bool {
        let Some(range) = self.section_range(section) else {
            return false;
        };
        let lower = key.to_lowercase();
        let Some(i) = self.find_key(range, &lower) else {
            return false;
        };
        self.lines.remove(i);
        while i < self.lines.len() && self.lines[i].kind == Kind::Continuation {
            self.lines.remove(i);
        }
        if let Some(range) = self.section_range(section) {
            let empty = self.lines[range.start + 1..range.end]
                .iter()
                .all(|l| l.kind == Kind::Blank);
            if empty {
                self.lines.drain(range.clone());
                // Drop the blank line that separated it from the previous section.
                if range.start > 0
                    && range.start == self.lines.len()
                    && self.lines[range.start - 1].kind == Kind::Blank
                {
                    self.lines.pop();
                }
            }
        }
        true
    }

    /// True when the document holds nothing but blank lines.
    pub(crate) fn is_blank(&self) -> bool {
        self.lines.iter().all(|l| l.kind == Kind::Blank)
    }

    fn insert_line(&mut self, at: usize, (text, kind): (String, Kind)) {
        // The line before the new one must end with a newline.
        if at > 0 && self.lines[at - 1].eol.is_empty() {
            self.eol.clone_into(&mut self.lines[at - 1].eol);
        }
        self.lines.insert(
            at,
            Line {
                text,
                eol: self.eol.to_owned(),
                kind,
            },
        );
    }

    fn section_range(&self, section: &str) -> Option<std::ops::Range<usize>> {
        let start = self
            .lines
            .iter()
            .position(|l| matches!(&l.kind, Kind::Section(s) if s == section))?;
        let end = self.lines[start + 1..]
            .iter()
            .position(|l| matches!(l.kind, Kind::Section(_)))
            .map_or(self.lines.len(), |p| start + 1 + p);
        Some(start..end)
    }

    fn find_key(&self, range: std::ops::Range<usize>, key: &str) -> Option<usize> {
        range
            .into_iter()
            .find(|&i| matches!(&self.lines[i].kind, Kind::Key { key: k, .. } if k == key))
    }
}

fn key_line(key: &str, value: &str, lower: &str) -> (String, Kind) {
    (
        format!("{key} = {value}"),
        Kind::Key {
            key: lower.to_owned(),
            value_start: key.len() + 3,
        },
    )
}

/// Splits into (line, line ending) pairs; the last line may have no ending.
fn split_lines(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(i) = rest.find('\n') {
            let (line, eol) = if i > 0 && rest.as_bytes()[i - 1] == b'\r' {
                (&rest[..i - 1], &rest[i - 1..=i])
            } else {
                (&rest[..i], &rest[i..=i])
            };
            out.push((line, eol));
            rest = &rest[i + 1..];
        } else {
            out.push((rest, ""));
            rest = "";
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Ini {
        Ini::parse(Path::new("creds"), text).unwrap()
    }

    #[test]
    fn set_existing_key_changes_only_its_value() {
        let text = "# my creds\n[default]\naws_access_key_id=OLD\naws_secret_access_key = old ; not a comment\n\n[work]\n# keep me\naws_access_key_id = W\n";
        let mut ini = p(text);
        ini.set("default", "aws_access_key_id", "NEW");
        ini.set("default", "aws_secret_access_key", "new");
        assert_eq!(
            ini.render(),
            "# my creds\n[default]\naws_access_key_id=NEW\naws_secret_access_key = new\n\n[work]\n# keep me\naws_access_key_id = W\n"
        );
        assert_eq!(ini.get("work", "AWS_ACCESS_KEY_ID").as_deref(), Some("W"));
    }

    #[test]
    fn adds_missing_keys_and_sections() {
        let mut ini = p("[work]\nregion = x\n\n# trailing comment\n");
        ini.set("work", "aws_access_key_id", "A");
        ini.set("default", "aws_access_key_id", "B");
        assert_eq!(
            ini.render(),
            "[work]\nregion = x\naws_access_key_id = A\n\n# trailing comment\n\n[default]\naws_access_key_id = B\n"
        );
        let mut ini = p("[work]\nregion = x");
        ini.set("default", "k", "v");
        assert_eq!(ini.render(), "[work]\nregion = x\n\n[default]\nk = v\n");
        let mut ini = p("");
        ini.set("default", "k", "v");
        assert_eq!(ini.render(), "[default]\nk = v\n");
    }

    #[test]
    fn keeps_crlf_and_continuations() {
        let mut ini = p("[a]\r\nk = 1\r\n  more\r\nz = 2\r\n");
        assert_eq!(ini.get("a", "k").as_deref(), Some("1\nmore"));
        ini.set("a", "k", "3");
        ini.set("a", "y", "4");
        assert_eq!(ini.render(), "[a]\r\nk = 3\r\nz = 2\r\ny = 4\r\n");
    }

    #[test]
    fn remove_drops_empty_sections_only() {
        let mut ini = p("[work]\nk = 1\n\n[default]\nk = 2\nj = 3\n");
        assert!(ini.remove("default", "k"));
        assert_eq!(ini.render(), "[work]\nk = 1\n\n[default]\nj = 3\n");
        assert!(ini.remove("default", "j"));
        assert_eq!(ini.render(), "[work]\nk = 1\n");
        assert!(!ini.remove("default", "j"));
        let mut ini = p("[default]\nk = 2\n");
        ini.remove("default", "k");
        assert!(ini.is_blank());
    }

    #[test]
    fn malformed_files_name_the_line_not_its_text() {
        for (text, line, msg) in [
            (
                "[a]\nk = 1\nSENTINELSECRET\n",
                3,
                "expected `[section]` or `key = value`",
            ),
            (
                "k = SENTINELSECRET\n",
                1,
                "a key comes before any `[section]` header",
            ),
            ("[a]\n[a]\n", 2, "section [a] appears twice"),
            (
                "[a]\nk=1\nK=2\n",
                3,
                "key `k` appears twice in the same section",
            ),
            ("[a\n", 1, "section header is missing its closing `]`"),
        ] {
            let err = Ini::parse(Path::new("/h/.aws/credentials"), text).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("/h/.aws/credentials:{line}: {msg}")
            );
        }
    }

    #[test]
    fn debug_shows_no_values() {
        let ini = p("[a]\nk = SENTINEL\n");
        assert!(!format!("{ini:?}").contains("SENTINEL"));
    }
}
