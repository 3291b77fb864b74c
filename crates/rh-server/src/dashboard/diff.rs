//! Side-by-side line diff of two texts (the pretty JSON of two versions).

use similar::{DiffOp, TextDiff};

/// How a row of the side-by-side view changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowKind {
    Same,
    Removed,
    Added,
    Changed,
}

/// One row: the old line (number, text) on the left, the new one on the right; either may be absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) kind: RowKind,
    pub(crate) left: Option<(usize, String)>,
    pub(crate) right: Option<(usize, String)>,
}

fn line(s: &str) -> String {
    s.trim_end_matches(['\n', '\r']).to_owned()
}

/// Aligns `old` and `new` line by line.
pub(crate) fn side_by_side(old: &str, new: &str) -> Vec<Row> {
    let diff = TextDiff::from_lines(old, new);
    let (olds, news) = (diff.old_slices(), diff.new_slices());
    let mut rows = Vec::new();
    for op in diff.ops() {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for i in 0..len {
                    rows.push(Row {
                        kind: RowKind::Same,
                        left: Some((old_index + i + 1, line(olds[old_index + i]))),
                        right: Some((new_index + i + 1, line(news[new_index + i]))),
                    });
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for (i, text) in olds[old_index..old_index + old_len].iter().enumerate() {
                    rows.push(Row {
                        kind: RowKind::Removed,
                        left: Some((old_index + i + 1, line(text))),
                        right: None,
                    });
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for (i, text) in news[new_index..new_index + new_len].iter().enumerate() {
                    rows.push(Row {
                        kind: RowKind::Added,
                        left: None,
                        right: Some((new_index + i + 1, line(text))),
                    });
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for i in 0..old_len.max(new_len) {
                    let left =
                        (i < old_len).then(|| (old_index + i + 1, line(olds[old_index + i])));
                    let right =
                        (i < new_len).then(|| (new_index + i + 1, line(news[new_index + i])));
                    let kind = match (&left, &right) {
                        (Some(_), Some(_)) => RowKind::Changed,
                        (Some(_), None) => RowKind::Removed,
                        _ => RowKind::Added,
                    };
                    rows.push(Row { kind, left, right });
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_changes_additions_and_removals() {
        let rows = side_by_side("a\nb\nc\n", "a\nB\nc\nd\n");
        let kinds: Vec<RowKind> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                RowKind::Same,
                RowKind::Changed,
                RowKind::Same,
                RowKind::Added
            ]
        );
        assert_eq!(rows[1].left, Some((2, "b".to_owned())));
        assert_eq!(rows[1].right, Some((2, "B".to_owned())));
        assert_eq!(rows[3].left, None);
        assert_eq!(side_by_side("x\ny\n", "x\n")[1].kind, RowKind::Removed);
    }
}
