//! The username grammar shared by the CLI (direct Vault paths `rh/<username>/…`) and rh-server (accounts).

/// Longest username, in bytes.
pub const MAX_USERNAME: usize = 64;

/// A username is 1–[`MAX_USERNAME`] ASCII letters, digits, `_`, `-` and `.`, starting with a letter or digit,
/// so it is always one path segment (never `..`, never a `/`) wherever it is used.
pub fn is_valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_USERNAME
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::is_valid_username;

    #[test]
    fn the_grammar() {
        for ok in ["alice", "bob_1.x-y", "0day", &"a".repeat(64)] {
            assert!(is_valid_username(ok), "{ok}");
        }
        for bad in [
            "",
            "..",
            ".x",
            "-x",
            "_x",
            "a/b",
            "a b",
            "ä",
            &"a".repeat(65),
            "a\u{1b}",
        ] {
            assert!(!is_valid_username(bad), "{bad}");
        }
    }
}
