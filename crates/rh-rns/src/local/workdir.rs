//! Finding the working dir whose `rh/` folder holds local resources (Runhouse v0.0.14+ rules).

use std::path::{Path, PathBuf};

/// The markers, in the order they are searched for: each is looked for in every ancestor before the next
/// marker is tried, so a `.git` anywhere above wins over a nearer `rh/` (Runhouse thread #197).
pub const MARKERS: &[&str] = &[
    ".git",
    "setup.py",
    "pyproject.toml",
    "rh",
    "requirements.txt",
];

/// The first ancestor of `cwd` (itself included) holding a marker, marker by marker in [`MARKERS`] order.
/// The walk stops, without checking them, at `home` and at `/`. With no match the answer is `cwd`.
pub fn find_workdir(cwd: &Path, home: Option<&Path>) -> PathBuf {
    let home = home.map(canonical);
    let start = canonical(cwd);
    for marker in MARKERS {
        let mut dir = Some(start.as_path());
        while let Some(d) = dir {
            if d.parent().is_none() || home.as_deref() == Some(d) {
                break;
            }
            if d.join(marker).exists() {
                return d.to_path_buf();
            }
            dir = d.parent();
        }
    }
    start
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_in_order_and_home_stops() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().canonicalize().expect("canonical");
        let deep = root.join("proj/sub/deep");
        std::fs::create_dir_all(&deep).expect("mkdir");
        // No marker: the cwd itself.
        assert_eq!(find_workdir(&deep, None), deep);
        // rh/ above, .git nearer: .git wins even though rh/ is listed later only by order.
        std::fs::create_dir_all(root.join("proj/rh")).expect("mkdir");
        assert_eq!(find_workdir(&deep, None), root.join("proj"));
        std::fs::create_dir_all(root.join("proj/sub/.git")).expect("mkdir");
        assert_eq!(find_workdir(&deep, None), root.join("proj/sub"));
        // A .git above an rh/ still wins: markers are searched one at a time.
        std::fs::create_dir_all(root.join("proj/sub/deep/rh")).expect("mkdir");
        assert_eq!(find_workdir(&deep, None), root.join("proj/sub"));
        // HOME stops the walk before it is checked.
        assert_eq!(find_workdir(&deep, Some(&root.join("proj/sub"))), deep);
    }
}
