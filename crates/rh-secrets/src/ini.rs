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
    /// Names the file in errors.
    path: std::path::PathBuf,
}

/// Every value of a document by `(section, key)`: what a reader such as botocore sees.
pub(crate) type Values = std::collections::BTreeMap<(String, String), String>;

impl std::fmt::Debug for Ini {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secret: show the structure only.
        f.debug_struct("Ini")
            .field(
                "lines",
                &self.lines.iter().map(|l| &l.kind).collect::<Vec<_>>(),
            )
            .field("eol", &self.eol)
            .field("path", &self.path)
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
        // New lines end the way the file's first line does.
        let eol = match text.find(['\n', '\r']) {
            Some(i) if text[i..].starts_with("\r\n") => "\r\n",
            Some(i) if text[i..].starts_with('\r') => "\r",
            _ => "\n",
        };
        let mut lines = Vec::new();
        let mut sections = std::collections::HashSet::new();
        let mut keys_in_section: Vec<String> = Vec::new();
        let mut in_section = false;
        // Indent of the current key, while continuation lines may follow it.
        let mut key_indent: Option<usize> = None;
        for (idx, raw) in split_lines(text).into_iter().enumerate() {
            let n = idx + 1;
            let (body, line_eol) = raw;
            let stripped = py_trim(body);
            let indent = py_indent(body);
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
                if !sections.insert(name.clone()) {
                    return Err(malformed(n, &format!("section [{name}] appears twice")));
                }
                keys_in_section.clear();
                in_section = true;
                Kind::Section(name)
            } else {
                let delim = body
                    .find(['=', ':'])
                    .ok_or_else(|| malformed(n, "expected `[section]` or `key = value`"))?;
                let key = py_trim(&body[..delim]).to_lowercase();
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
                let value_start =
                    delim + 1 + (after.len() - after.trim_start_matches(is_py_space).len());
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
        Ok(Self {
            lines,
            eol,
            path: path.to_path_buf(),
        })
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

    /// The value of `key` in `[section]` as configparser gives it: continuation lines joined by
    /// newlines, a whitespace-only line inside the value kept as an empty line, comments skipped, and
    /// trailing whitespace stripped.
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<String> {
        let range = self.section_range(section)?;
        let key = key.to_lowercase();
        let i = self.find_key(range.clone(), &key)?;
        Some(self.value_at(i, range.end))
    }

    fn value_at(&self, i: usize, end: usize) -> String {
        let Kind::Key { value_start, .. } = &self.lines[i].kind else {
            unreachable!("value_at is called on key lines")
        };
        let mut value = py_trim(&self.lines[i].text[*value_start..]).to_owned();
        for l in &self.lines[i + 1..end] {
            match l.kind {
                Kind::Continuation => {
                    value.push('\n');
                    value.push_str(py_trim(&l.text));
                }
                Kind::Blank => value.push('\n'),
                Kind::Comment => {}
                _ => break,
            }
        }
        value.trim_end_matches(is_py_space).to_owned()
    }

    /// Every `(section, key)` with its value, as a reader of the file sees them.
    pub(crate) fn values(&self) -> Values {
        let mut out = Values::new();
        let mut section = None;
        for (i, l) in self.lines.iter().enumerate() {
            match &l.kind {
                Kind::Section(s) => section = Some(s.clone()),
                // A value ends at the next key or section line.
                Kind::Key { key, .. } => {
                    if let Some(s) = &section {
                        out.insert((s.clone(), key.clone()), self.value_at(i, self.lines.len()));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Sets `key = value` in `[section]`, touching only that line (or adding one line, or a new
    /// section at the end).
    ///
    /// The edit is checked by parsing the result again: every other key must keep its value. Where
    /// indentation would make configparser read the result differently (an indented line after the
    /// edit turning into a continuation), the key and section lines are first moved to column 0,
    /// which keeps every value. A result that still reads wrong is refused.
    pub(crate) fn set(&mut self, section: &str, key: &str, value: &str) -> Result<()> {
        debug_assert!(!value.contains(['\n', '\r']), "callers validate values");
        let mut expected = self.values();
        expected.insert(
            (section.to_owned(), key.to_lowercase()),
            py_trim(value).to_owned(),
        );
        self.checked_edit(&expected, |ini| ini.set_unchecked(section, key, value))
    }

    /// Removes `key` from `[section]`; a section left without keys or comments is removed too.
    /// Checked like [`Ini::set`].
    pub(crate) fn remove(&mut self, section: &str, key: &str) -> Result<bool> {
        let mut expected = self.values();
        if expected
            .remove(&(section.to_owned(), key.to_lowercase()))
            .is_none()
        {
            return Ok(false);
        }
        self.checked_edit(&expected, |ini| {
            ini.remove_unchecked(section, key);
        })?;
        Ok(true)
    }

    fn checked_edit(&mut self, expected: &Values, edit: impl Fn(&mut Self)) -> Result<()> {
        let original = self.lines.clone();
        edit(self);
        if self.reads_as(expected) {
            return Ok(());
        }
        self.lines.clone_from(&original);
        self.dedent_keys_and_sections();
        edit(self);
        if self.reads_as(expected) {
            return Ok(());
        }
        self.lines = original;
        Err(Error::UnsafeEdit {
            path: self.path.clone(),
        })
    }

    fn reads_as(&self, expected: &Values) -> bool {
        Self::parse(&self.path, &self.render()).is_ok_and(|again| again.values() == *expected)
    }

    /// Moves every key and section line to column 0. Continuation lines keep their indent (at least
    /// one character), so each still continues the same key: the values read the same.
    fn dedent_keys_and_sections(&mut self) {
        for l in &mut self.lines {
            let indent = l.text.len() - l.text.trim_start_matches(is_py_space).len();
            match &mut l.kind {
                Kind::Key { value_start, .. } => {
                    l.text.drain(..indent);
                    *value_start -= indent;
                }
                Kind::Section(_) => {
                    l.text.drain(..indent);
                }
                _ => {}
            }
        }
    }

    fn set_unchecked(&mut self, section: &str, key: &str, value: &str) {
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
                self.drop_continuations(i + 1, range.end);
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

    /// Drops the continuation lines of the value ending before `end` that starts at `from`, keeping
    /// the blank and comment lines between them.
    fn drop_continuations(&mut self, from: usize, end: usize) {
        let mut i = from;
        let mut end = end;
        while i < end {
            match self.lines[i].kind {
                Kind::Continuation => {
                    self.lines.remove(i);
                    end -= 1;
                }
                Kind::Blank | Kind::Comment => i += 1,
                _ => break,
            }
        }
    }

    fn remove_unchecked(&mut self, section: &str, key: &str) {
        let Some(range) = self.section_range(section) else {
            return;
        };
        let lower = key.to_lowercase();
        let Some(i) = self.find_key(range.clone(), &lower) else {
            return;
        };
        self.lines.remove(i);
        self.drop_continuations(i, range.end - 1);
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

/// Whitespace as Python's `str.isspace` and `re`'s `\s` see it: Rust's Unicode whitespace plus the
/// four ASCII separators U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `str.strip()` as Python does it.
fn py_trim(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// The indent of a line in characters, as configparser measures it (the index of the first non-space).
fn py_indent(s: &str) -> usize {
    s.chars().take_while(|&c| is_py_space(c)).count()
}

/// Splits into (line, line ending) pairs the way Python's text files do (universal newlines: `\n`,
/// `\r\n` and a lone `\r` all end a line); the last line may have no ending.
fn split_lines(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(i) = rest.find(['\n', '\r']) {
            let len = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
            out.push((&rest[..i], &rest[i..i + len]));
            rest = &rest[i + len..];
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
        ini.set("default", "aws_access_key_id", "NEW").unwrap();
        ini.set("default", "aws_secret_access_key", "new").unwrap();
        assert_eq!(
            ini.render(),
            "# my creds\n[default]\naws_access_key_id=NEW\naws_secret_access_key = new\n\n[work]\n# keep me\naws_access_key_id = W\n"
        );
        assert_eq!(ini.get("work", "AWS_ACCESS_KEY_ID").as_deref(), Some("W"));
    }

    #[test]
    fn adds_missing_keys_and_sections() {
        let mut ini = p("[work]\nregion = x\n\n# trailing comment\n");
        ini.set("work", "aws_access_key_id", "A").unwrap();
        ini.set("default", "aws_access_key_id", "B").unwrap();
        assert_eq!(
            ini.render(),
            "[work]\nregion = x\naws_access_key_id = A\n\n# trailing comment\n\n[default]\naws_access_key_id = B\n"
        );
        let mut ini = p("[work]\nregion = x");
        ini.set("default", "k", "v").unwrap();
        assert_eq!(ini.render(), "[work]\nregion = x\n\n[default]\nk = v\n");
        let mut ini = p("");
        ini.set("default", "k", "v").unwrap();
        assert_eq!(ini.render(), "[default]\nk = v\n");
    }

    #[test]
    fn keeps_crlf_and_continuations() {
        let mut ini = p("[a]\r\nk = 1\r\n  more\r\nz = 2\r\n");
        assert_eq!(ini.get("a", "k").as_deref(), Some("1\nmore"));
        ini.set("a", "k", "3").unwrap();
        ini.set("a", "y", "4").unwrap();
        assert_eq!(ini.render(), "[a]\r\nk = 3\r\nz = 2\r\ny = 4\r\n");
    }

    #[test]
    fn remove_drops_empty_sections_only() {
        let mut ini = p("[work]\nk = 1\n\n[default]\nk = 2\nj = 3\n");
        assert!(ini.remove("default", "k").unwrap());
        assert_eq!(ini.render(), "[work]\nk = 1\n\n[default]\nj = 3\n");
        assert!(ini.remove("default", "j").unwrap());
        assert_eq!(ini.render(), "[work]\nk = 1\n");
        assert!(!ini.remove("default", "j").unwrap());
        let mut ini = p("[default]\nk = 2\n");
        ini.remove("default", "k").unwrap();
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

    /// Sets a key and checks, through a fresh parse, that only that key changed.
    fn set_and_check(text: &str, section: &str, key: &str, value: &str) -> String {
        let mut ini = p(text);
        let mut expected = ini.values();
        expected.insert((section.to_owned(), key.to_owned()), value.to_owned());
        ini.set(section, key, value).unwrap();
        let out = ini.render();
        assert_eq!(p(&out).values(), expected, "{out:?}");
        out
    }

    // Fuzz finding (ini_edit, fuzz/regressions/ini_edit/crash-dcf32af0…): a lone `\r` ends a line for
    // Python's universal newlines, so `[default]\r k = v` is a section and an indented line, not
    // one line; the editor saw one line and a new key absorbed what followed.
    #[test]
    fn lone_cr_ends_a_line_as_in_python() {
        let ini = p("[default]\rk = 1\r  more\r[work]\rk = 2");
        assert_eq!(ini.get("default", "k").as_deref(), Some("1\nmore"));
        assert_eq!(ini.get("work", "k").as_deref(), Some("2"));
        let out = set_and_check("[default]\rk = 1\r[work]\rk = 2\r", "default", "j", "x");
        assert_eq!(out, "[default]\rk = 1\rj = x\r[work]\rk = 2\r");
        let crash = include_bytes!(
            "../../../fuzz/regressions/ini_edit/crash-dcf32af0ef0c913a747795c85caf95f2b76f0361"
        );
        crate::fuzzing::ini(crash);
    }

    // Fuzz finding (ini_edit): `\x0b`, `\x0c`, `\x1c`..`\x1f` and Unicode spaces are whitespace to
    // configparser (`str.strip`, `\s`), and indent is counted in characters, not bytes.
    #[test]
    fn python_whitespace_and_character_indents() {
        let ini = p("[a]\n\x1ck\x1f = \x0bv\x0c\n\x1d[b]\n");
        assert_eq!(ini.get("a", "k").as_deref(), Some("v"));
        assert!(ini.section_range("b").is_some());
        // An ideographic space is one character of indent (three bytes): `  x` (2) continues it.
        let ini = p("[a]\n\u{3000}k = v\n  x\n");
        assert_eq!(ini.get("a", "k").as_deref(), Some("v\nx"));
        // A whitespace-only line is blank; one inside a value stays an empty line, as in Python.
        let ini = p("[a]\nk = v\n\x0b\n  x\n\x0c\n");
        assert_eq!(ini.get("a", "k").as_deref(), Some("v\n\nx"));
    }

    // Fuzz finding (ini_edit): continuation lines after a blank line belong to the old value and
    // must go with it, or they become part of the new one.
    #[test]
    fn set_drops_continuations_after_blank_lines() {
        let out = set_and_check(
            "[default]\nk = 1\n\n  more\n# c\n  again\nz = 2\n",
            "default",
            "k",
            "N",
        );
        assert_eq!(out, "[default]\nk = N\n\n# c\nz = 2\n");
    }

    // Fuzz finding (ini_edit): a new key at column 0 before an indented section header or key
    // would turn that line into a continuation; key and section lines are moved to column 0 first.
    #[test]
    fn edits_next_to_indented_lines_keep_other_values() {
        let out = set_and_check("[default]\n  [work]\n  k = 1\n", "default", "j", "x");
        assert_eq!(out, "[default]\nj = x\n[work]\nk = 1\n");
        // Removing the last key of [b] drops [b]; the indented [c] would then continue `k`.
        let mut ini = p("[a]\nk = 1\n[b]\n  x = 2\n  [c]\ny = 3\n");
        let mut expected = ini.values();
        expected.remove(&("b".to_owned(), "x".to_owned()));
        assert!(ini.remove("b", "x").unwrap());
        assert_eq!(p(&ini.render()).values(), expected);
        assert_eq!(ini.render(), "[a]\nk = 1\n[c]\ny = 3\n");
    }

    #[test]
    fn debug_shows_no_values() {
        let ini = p("[a]\nk = SENTINEL\n");
        assert!(!format!("{ini:?}").contains("SENTINEL"));
    }
}
