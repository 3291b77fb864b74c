//! Streaming redaction: replaces every occurrence of any secret value in a byte stream with `****`,
//! also when a value is split across reads.

/// What a redacted value is replaced with.
pub const MASK: &[u8] = b"****";

/// Values shorter than this are not redacted: masking every `1` or `ab` in the output would destroy it
/// and tell an observer the value anyway.
pub const MIN_REDACTED_LEN: usize = 4;

/// A redactor for one output stream. Feed it chunks with [`Redactor::push`] and call
/// [`Redactor::finish`] at the end of the stream.
pub struct Redactor {
    needles: Vec<Vec<u8>>,
    pending: Vec<u8>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("values", &self.needles.len())
            .finish_non_exhaustive()
    }
}

impl Redactor {
    /// A redactor for these values (short and duplicate values are dropped).
    pub fn new<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut needles: Vec<Vec<u8>> = values
            .into_iter()
            .filter(|v| v.len() >= MIN_REDACTED_LEN)
            .map(<[u8]>::to_vec)
            .collect();
        // Longest first, so a value that contains another is masked whole.
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        Self {
            needles,
            pending: Vec::new(),
        }
    }

    /// Redacts `chunk` and returns what can be written now; a tail that may be the start of a value
    /// is held back until the next chunk or [`Redactor::finish`].
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(chunk);
        self.drain(false)
    }

    /// Returns the rest of the stream, redacted.
    pub fn finish(&mut self) -> Vec<u8> {
        self.drain(true)
    }

    fn drain(&mut self, at_end: bool) -> Vec<u8> {
        let buf = std::mem::take(&mut self.pending);
        let mut out = Vec::with_capacity(buf.len());
        let mut i = 0;
        'scan: while i < buf.len() {
            let rest = &buf[i..];
            for n in &self.needles {
                if rest.starts_with(n) {
                    out.extend_from_slice(MASK);
                    i += n.len();
                    continue 'scan;
                }
            }
            if !at_end
                && self
                    .needles
                    .iter()
                    .any(|n| n.len() > rest.len() && n.starts_with(rest))
            {
                // `rest` may be the first part of a value: wait for more bytes.
                self.pending.extend_from_slice(rest);
                return out;
            }
            out.push(buf[i]);
            i += 1;
        }
        out
    }
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
}
