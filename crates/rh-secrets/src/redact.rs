//! Streaming redaction: replaces every occurrence of any secret value in a byte stream with `****`,
//! also when a value is split across reads.
//!
//! Each value is looked for in the forms a program commonly prints it in (see [`forms`]): as is, with
//! its newlines turned into `\r\n` (what a terminal's line discipline writes), base64 (standard and
//! URL-safe, with and without padding), percent-encoded, and JSON-escaped. Only the encodings of the
//! whole value are caught: base64 of a longer text that contains the value depends on the value's
//! alignment in it and is not; nor are hex, other encodings or transformations of the value.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

/// What a redacted value is replaced with.
pub const MASK: &[u8] = b"****";

/// Values shorter than this are not redacted: masking every `1` or `ab` in the output would destroy it
/// and tell an observer the value anyway.
pub const MIN_REDACTED_LEN: usize = 4;

/// A redactor for one output stream. Feed it chunks with [`Redactor::push`] and call
/// [`Redactor::finish`] at the end of the stream; [`Redactor::release`] hands out a held-back tail
/// early (when the stream has gone quiet, so a prompt is not stalled).
pub struct Redactor {
    needles: Vec<Vec<u8>>,
    /// `first[b]`: some needle starts with byte `b`.
    first: [bool; 256],
    pending: Vec<u8>,
    /// How many leading bytes of `pending` were already written out by [`Redactor::release`]: they are
    /// kept only so that a value they begin is still masked (from where the release stopped) when the
    /// rest of it arrives.
    released: usize,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("patterns", &self.needles.len())
            .finish_non_exhaustive()
    }
}

impl Redactor {
    /// A redactor for these values and their encoded [`forms`] (short and duplicate values are dropped).
    pub fn new<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut needles: Vec<Vec<u8>> = values
            .into_iter()
            .filter(|v| v.len() >= MIN_REDACTED_LEN)
            .flat_map(forms)
            .collect();
        // Longest first, so a value that contains another is masked whole.
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        let mut first = [false; 256];
        for n in &needles {
            first[usize::from(n[0])] = true;
        }
        Self {
            needles,
            first,
            pending: Vec::new(),
            released: 0,
        }
    }

    /// Redacts `chunk` and returns what can be written now; a tail that may be the start of a value
    /// is held back until the next chunk, [`Redactor::release`] or [`Redactor::finish`].
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        self.drain(false)
    }

    /// True when a tail is held back (it may be the start of a value).
    pub fn has_pending(&self) -> bool {
        self.pending.len() > self.released
    }

    /// Returns the held-back tail now (redacting what it holds whole), for a stream that has gone
    /// quiet: an interactive prompt must reach the user even if it could be the start of a value.
    /// If a value the tail began arrives later, the rest of it is still masked.
    pub fn release(&mut self) -> Vec<u8> {
        let start = self.released;
        let tail = self.pending[start..].to_vec();
        let out = Self::scan(&self.needles, &self.first, &tail, 0, true).0;
        self.released = self.pending.len();
        out
    }

    /// Returns the rest of the stream, redacted.
    pub fn finish(&mut self) -> Vec<u8> {
        self.drain(true)
    }

    fn drain(&mut self, at_end: bool) -> Vec<u8> {
        let buf = std::mem::take(&mut self.pending);
        let (out, held_from) = Self::scan(&self.needles, &self.first, &buf, self.released, at_end);
        match held_from {
            Some(i) => {
                self.released = self.released.saturating_sub(i);
                self.pending = buf[i..].to_vec();
            }
            None => self.released = 0,
        }
        out
    }

    /// Redacts `buf`, whose first `released` bytes were already written out (they produce no output,
    /// except a mask for a value that starts among them and ends after them). Returns the output and,
    /// unless `at_end`, where a possible start of a value begins that must wait for more bytes.
    fn scan(
        needles: &[Vec<u8>],
        first: &[bool; 256],
        buf: &[u8],
        released: usize,
        at_end: bool,
    ) -> (Vec<u8>, Option<usize>) {
        let mut out = Vec::with_capacity(buf.len());
        let mut i = 0;
        'scan: while i < buf.len() {
            let rest = &buf[i..];
            if first[usize::from(rest[0])] {
                for n in needles {
                    if rest.starts_with(n) {
                        if i + n.len() > released {
                            out.extend_from_slice(MASK);
                        }
                        i += n.len();
                        continue 'scan;
                    }
                }
                if !at_end
                    && needles
                        .iter()
                        .any(|n| n.len() > rest.len() && n.starts_with(rest))
                {
                    // `rest` may be the first part of a value: wait for more bytes.
                    return (out, Some(i));
                }
            }
            if i >= released {
                out.push(buf[i]);
            }
            i += 1;
        }
        (out, None)
    }
}

/// The forms of `value` the redactor looks for: the value itself; with each `\n` as `\r\n`; base64
/// (standard and URL-safe alphabets, padded and not); percent-encoded (every byte but `A-Z a-z 0-9 - . _ ~`
/// as `%XX`, upper- and lower-case hex, also with space as `+` and with `/` kept); and, for UTF-8
/// values, JSON-escaped (as serde_json writes it, and with non-ASCII as `\uXXXX` as Python's `json.dumps`
/// does). Duplicates are not removed here.
pub fn forms(value: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![value.to_vec()];
    if value.contains(&b'\n') {
        let mut crlf = Vec::with_capacity(value.len() + 8);
        for &b in value {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        out.push(crlf);
    }
    for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
        out.push(engine.encode(value).into_bytes());
    }
    for (upper, plus, slash) in [
        (true, false, false),
        (false, false, false),
        (true, true, false),
        (true, false, true),
    ] {
        out.push(percent_encode(value, upper, plus, slash));
    }
    if let Ok(text) = std::str::from_utf8(value) {
        let json = serde_json::to_string(text).expect("a string always serialises");
        out.push(json.as_bytes()[1..json.len() - 1].to_vec());
        out.push(json_ascii(text).into_bytes());
    }
    out
}

fn percent_encode(value: &[u8], upper: bool, plus: bool, slash: bool) -> Vec<u8> {
    const UPPER: &[u8; 16] = b"0123456789ABCDEF";
    const LOWER: &[u8; 16] = b"0123456789abcdef";
    let hex = if upper { UPPER } else { LOWER };
    let mut out = Vec::with_capacity(value.len() * 3);
    for &b in value {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (slash && b == b'/')
        {
            out.push(b);
        } else if plus && b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 15)]]);
        }
    }
    out
}

/// JSON string contents with every non-ASCII character as `\uXXXX` (UTF-16, lower-case hex), as
/// Python's `json.dumps` writes them by default.
fn json_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(values: &[&str], chunks: &[&str]) -> String {
        let mut r = Redactor::new(values.iter().map(|v| v.as_bytes()));
        let mut out = Vec::new();
        for c in chunks {
            out.extend(r.push(c.as_bytes()));
        }
        out.extend(r.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_whole_values() {
        assert_eq!(run(&["SECRETVALUE"], &["key=SECRETVALUE\n"]), "key=****\n");
        assert_eq!(run(&["abcd", "wxyz"], &["abcd wxyz abc"]), "**** **** abc");
    }

    #[test]
    fn masks_values_split_across_chunks() {
        assert_eq!(
            run(&["SECRETVALUE"], &["key=SEC", "RETVAL", "UE tail"]),
            "key=**** tail"
        );
        let one_byte_chunks: Vec<String> = "a SECRETVALUE b".chars().map(String::from).collect();
        let refs: Vec<&str> = one_byte_chunks.iter().map(String::as_str).collect();
        assert_eq!(run(&["SECRETVALUE"], &refs), "a **** b");
    }

    #[test]
    fn a_false_start_is_released() {
        assert_eq!(run(&["SECRETVALUE"], &["SECRET", "ARY"]), "SECRETARY");
        assert_eq!(run(&["SECRETVALUE"], &["SECRE"]), "SECRE");
    }

    #[test]
    fn longest_value_wins_and_short_values_are_ignored() {
        assert_eq!(run(&["abcd", "abcdefgh"], &["abcdefgh abcd"]), "**** ****");
        assert_eq!(run(&["ab"], &["ab ab"]), "ab ab");
    }

    #[test]
    fn a_multi_line_value_is_masked_with_crlf_line_ends() {
        let key = "-----BEGIN KEY-----\nSECRETline1\nSECRETline2\n-----END KEY-----\n";
        let on_a_tty = key.replace('\n', "\r\n");
        assert_eq!(
            run(&[key], &[&format!("key:\r\n{on_a_tty}done")]),
            "key:\r\n****done"
        );
        assert_eq!(run(&[key], &[&format!("<{key}>")]), "<****>");
        // Split across reads in the middle of a `\r\n`.
        let (a, b) = on_a_tty.split_at(20);
        assert!(a.ends_with('\r'), "{a:?}");
        assert_eq!(run(&[key], &[a, b]), "****");
    }

    #[test]
    fn base64_forms_are_masked() {
        // Chosen so its encodings hold `+`, `/` and padding, and differ between the two alphabets.
        let value = "s3cr3t>>>???~~";
        let std_padded = "czNjcjN0Pj4+Pz8/fn4=";
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(value),
            std_padded
        );
        for encoded in [
            std_padded,
            "czNjcjN0Pj4+Pz8/fn4",
            "czNjcjN0Pj4-Pz8_fn4=",
            "czNjcjN0Pj4-Pz8_fn4",
        ] {
            assert_eq!(
                run(&[value], &[&format!("b64={encoded}\n")]),
                "b64=****\n",
                "{encoded}"
            );
        }
        // Split across reads too.
        assert_eq!(run(&[value], &["x czNjcjN0P", "j4+Pz8/fn4= y"]), "x **** y");
    }

    #[test]
    fn percent_encoded_forms_are_masked() {
        let value = "p@ss w/rd&x=1";
        for encoded in [
            "p%40ss%20w%2Frd%26x%3D1",
            "p%40ss%20w%2frd%26x%3d1",
            "p%40ss+w%2Frd%26x%3D1",
            "p%40ss%20w/rd%26x%3D1",
        ] {
            assert_eq!(
                run(&[value], &[&format!("https://h/?pw={encoded}&a=b")]),
                "https://h/?pw=****&a=b",
                "{encoded}"
            );
        }
    }

    #[test]
    fn json_escaped_forms_are_masked() {
        let value = "a\"b\\c\nd\tä€😀";
        assert_eq!(
            run(&[value], &[r#"{"pw": "a\"b\\c\nd\tä€😀"}"#]),
            r#"{"pw": "****"}"#
        );
        assert_eq!(
            run(
                &[value],
                &[r#"{"pw": "a\"b\\c\nd\t\u00e4\u20ac\ud83d\ude00"}"#]
            ),
            r#"{"pw": "****"}"#
        );
    }

    #[test]
    fn release_hands_out_a_held_tail_and_still_masks_the_rest_of_a_value() {
        let mut r = Redactor::new([b"Pa55word-SECRET".as_slice()]);
        assert_eq!(r.push(b"Password: Pa55"), b"Password: ");
        assert!(r.has_pending());
        // The stream went quiet: the held bytes go out now.
        assert_eq!(r.release(), b"Pa55");
        assert!(!r.has_pending());
        // The rest of the value arrives later: it is masked, not printed.
        let mut out = r.push(b"word-SECRET and more");
        out.extend(r.finish());
        assert_eq!(out, b"**** and more");

        // A false start after a release prints normally, once.
        let mut r = Redactor::new([b"Pa55word-SECRET".as_slice()]);
        assert_eq!(r.push(b"Pa5"), b"");
        assert_eq!(r.release(), b"Pa5");
        let mut out = r.push(b"x Pa55word-SECRET");
        out.extend(r.finish());
        assert_eq!(out, b"x ****");
        // Nothing held: release is empty.
        assert_eq!(r.release(), b"");
    }
}
