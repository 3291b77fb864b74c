//! History, diff, restore and commits of local resources, read from and written to git with gix.

use std::path::{Path, PathBuf};

use gix::bstr::{BStr, ByteSlice};

use super::store::{WriteError, resource_file, write_config};
use super::{LocalRns, diff, require_local};
use crate::{Error, HistoryEntry, ResourceName, ResourceRecord, Result};

/// The commit [`LocalRns::commit`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The full commit id.
    pub id: String,
    /// The abbreviated id.
    pub short_id: String,
    /// The repository-relative paths it changed.
    pub paths: Vec<String>,
}

struct Repo {
    repo: gix::Repository,
    root: PathBuf,
}

fn git_err<'a, E>(action: &'static str, root: &'a Path) -> impl Fn(E) -> Error + 'a
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| Error::Git {
        action,
        repo: root.to_path_buf(),
        source: Box::new(e),
    }
}

fn open(rns: &LocalRns) -> Result<Repo> {
    let not_repo = || Error::NotARepository {
        workdir: rns.workdir.clone(),
    };
    let repo = gix::discover(&rns.workdir).map_err(|_| not_repo())?;
    let root = repo.workdir().ok_or_else(not_repo)?;
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    Ok(Repo { repo, root })
}

impl Repo {
    /// The repository-relative, `/`-separated path of a resource's config.
    fn rela_path(&self, rns: &LocalRns, name: &ResourceName) -> Result<String> {
        let workdir = rns
            .workdir
            .canonicalize()
            .unwrap_or_else(|_| rns.workdir.clone());
        let mut path = workdir.join("rh");
        path.extend(name.segments());
        path.push("config.json");
        let rel = path
            .strip_prefix(&self.root)
            .map_err(|_| Error::NotARepository {
                workdir: rns.workdir.clone(),
            })?;
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        let parts = parts.ok_or_else(|| Error::NotSupported {
            name: name.to_string(),
            what: format!("git history under a non-UTF-8 path ({})", rel.display()),
        })?;
        Ok(parts.join("/"))
    }

    fn blob_at(&self, commit: &gix::Commit<'_>, rela: &str) -> Result<Option<gix::ObjectId>> {
        let tree = commit.tree().map_err(git_err("read a tree", &self.root))?;
        let entry = tree
            .lookup_entry_by_path(rela)
            .map_err(git_err("look up a path", &self.root))?;
        Ok(entry.filter(|e| e.mode().is_blob()).map(|e| e.object_id()))
    }

    fn blob_bytes(&self, id: gix::ObjectId) -> Result<Vec<u8>> {
        let blob = self
            .repo
            .find_blob(id)
            .map_err(git_err("read a blob", &self.root))?;
        Ok(blob.data.clone())
    }

    fn head_commit(&self) -> Result<Option<gix::Commit<'_>>> {
        let head = self.repo.head().map_err(git_err("read HEAD", &self.root))?;
        if head.is_unborn() {
            return Ok(None);
        }
        self.repo
            .head_commit()
            .map(Some)
            .map_err(git_err("read HEAD", &self.root))
    }

    fn commit_at(&self, rev: &str) -> Result<gix::Commit<'_>> {
        let bad = |reason: &str| Error::Revision {
            rev: rev.to_owned(),
            reason: reason.to_owned(),
        };
        let id = self
            .repo
            .rev_parse_single(rev)
            .map_err(|_| bad("does not exist in this repository"))?;
        let object = id.object().map_err(git_err("read an object", &self.root))?;
        object.peel_to_commit().map_err(|_| bad("is not a commit"))
    }
}

pub(crate) fn history(
    rns: &LocalRns,
    name: &ResourceName,
    limit: Option<usize>,
) -> Result<Vec<HistoryEntry>> {
    require_local(name, "history")?;
    resource_file(rns, name, "read the history of")?;
    let repo = open(rns)?;
    let rela = repo.rela_path(rns, name)?;
    let Some(head) = repo.head_commit()? else {
        return Ok(Vec::new());
    };
    let walk = repo
        .repo
        .rev_walk([head.id])
        .all()
        .map_err(git_err("walk history", &repo.root))?;
    let mut out = Vec::new();
    for info in walk {
        if limit.is_some_and(|l| out.len() >= l) {
            break;
        }
        let info = info.map_err(|e| Error::Git {
            action: "walk history",
            repo: repo.root.clone(),
            source: Box::new(e),
        })?;
        let commit = info
            .object()
            .map_err(git_err("read a commit", &repo.root))?;
        let now = repo.blob_at(&commit, &rela)?;
        let parent = match info.parent_ids().next() {
            Some(p) => {
                let parent = repo
                    .repo
                    .find_commit(p)
                    .map_err(git_err("read a commit", &repo.root))?;
                repo.blob_at(&parent, &rela)?
            }
            None => None,
        };
        if now == parent {
            continue;
        }
        let old = parent.map(|id| repo.blob_bytes(id)).transpose()?;
        let new = now.map(|id| repo.blob_bytes(id)).transpose()?;
        out.push(entry(
            &repo,
            &commit,
            diff::summary(old.as_deref(), new.as_deref()),
        )?);
    }
    Ok(out)
}

fn entry(repo: &Repo, commit: &gix::Commit<'_>, change: String) -> Result<HistoryEntry> {
    let author = commit
        .author()
        .map_err(git_err("read a commit", &repo.root))?;
    let time = author.time().map_err(|e| Error::Git {
        action: "read a commit time",
        repo: repo.root.clone(),
        source: Box::new(e),
    })?;
    let message = commit
        .message()
        .map_err(git_err("read a commit", &repo.root))?;
    let id = commit.id;
    Ok(HistoryEntry {
        id: id.to_string(),
        short_id: id.to_hex_with_len(7).to_string(),
        timestamp: time.seconds,
        time: time.format_or_unix(gix::date::time::format::ISO8601),
        author: format!("{} <{}>", author.name, author.email),
        message: message.summary().to_str_lossy().into_owned(),
        change,
    })
}

pub(crate) fn diff(rns: &LocalRns, name: &ResourceName, rev: Option<&str>) -> Result<String> {
    require_local(name, "diff")?;
    let repo = open(rns)?;
    let rela = repo.rela_path(rns, name)?;
    let (label, old) = match rev {
        Some(rev) => {
            let commit = repo.commit_at(rev)?;
            let old = repo.blob_at(&commit, &rela)?;
            (rev.to_owned(), old)
        }
        None => match repo.head_commit()? {
            Some(head) => ("HEAD".to_owned(), repo.blob_at(&head, &rela)?),
            None => ("HEAD".to_owned(), None),
        },
    };
    let old = old.map(|id| repo.blob_bytes(id)).transpose()?;
    let path = resource_file(rns, name, "read")?;
    let new = match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("read", path, e)),
    };
    if old.is_none() && new.is_none() {
        return Err(Error::NotFound {
            name: name.to_string(),
        });
    }
    let text = |b: &Option<Vec<u8>>| {
        b.as_deref()
            .map(|b| b.to_str_lossy().into_owned())
            .unwrap_or_default()
    };
    Ok(diff::unified(
        &text(&old),
        &text(&new),
        &format!("a/{rela} ({label})"),
        &format!("b/{rela} (working tree)"),
    ))
}

pub(crate) fn restore(rns: &LocalRns, name: &ResourceName, rev: &str) -> Result<ResourceRecord> {
    require_local(name, "restore")?;
    let repo = open(rns)?;
    let rela = repo.rela_path(rns, name)?;
    let commit = repo.commit_at(rev)?;
    let id = repo
        .blob_at(&commit, &rela)?
        .ok_or_else(|| Error::Revision {
            rev: rev.to_owned(),
            reason: format!("does not hold {name} ({rela})"),
        })?;
    let bytes = repo.blob_bytes(id)?;
    // Check before writing, so a corrupt old version never replaces a good current one.
    let record = ResourceRecord::from_json(name.clone(), &bytes, &format!("{rela} at {rev}"))?;
    let path = resource_file(rns, name, "write")?;
    write_config(&path, &bytes, true).map_err(|e| match e {
        WriteError::Io(action, p, source) => Error::io(action, p, source),
        WriteError::Exists => unreachable!("overwrite is on"),
    })?;
    Ok(record)
}

pub(crate) fn commit(
    rns: &LocalRns,
    names: &[ResourceName],
    message: &str,
) -> Result<Option<CommitInfo>> {
    for name in names {
        require_local(name, "commit")?;
    }
    let repo = open(rns)?;
    if repo.repo.author().is_none() || repo.repo.committer().is_none() {
        return Err(Error::Git {
            action: "commit",
            repo: repo.root.clone(),
            source: "no author identity: set `git config user.name` and `git config user.email`"
                .into(),
        });
    }
    let head = repo.head_commit()?;
    let base_tree = match &head {
        Some(c) => c
            .tree_id()
            .map_err(git_err("read HEAD's tree", &repo.root))?
            .detach(),
        None => repo.repo.empty_tree().id,
    };
    let mut editor = repo
        .repo
        .edit_tree(base_tree)
        .map_err(git_err("edit a tree", &repo.root))?;
    let mut changes = Vec::new();
    for name in names {
        let rela = repo.rela_path(rns, name)?;
        let path = resource_file(rns, name, "commit")?;
        match std::fs::read(&path) {
            Ok(bytes) => {
                let id = repo
                    .repo
                    .write_blob(&bytes)
                    .map_err(git_err("write a blob", &repo.root))?
                    .detach();
                editor
                    .upsert(rela.as_str(), gix::object::tree::EntryKind::Blob, id)
                    .map_err(git_err("edit a tree", &repo.root))?;
                changes.push((rela, Some((id, path))));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                editor
                    .remove(rela.as_str())
                    .map_err(git_err("edit a tree", &repo.root))?;
                changes.push((rela, None));
            }
            Err(e) => return Err(Error::io("read", path, e)),
        }
    }
    let tree = editor
        .write()
        .map_err(git_err("write a tree", &repo.root))?
        .detach();
    if tree == base_tree {
        return Ok(None);
    }
    let parents: Vec<gix::ObjectId> = head.iter().map(|c| c.id).collect();
    let id = repo
        .repo
        .commit("HEAD", message, tree, parents)
        .map_err(git_err("commit", &repo.root))?
        .detach();
    update_index(&repo, &tree, &changes)?;
    Ok(Some(CommitInfo {
        id: id.to_string(),
        short_id: id.to_hex_with_len(7).to_string(),
        paths: changes.into_iter().map(|(p, _)| p).collect(),
    }))
}

type Change = (String, Option<(gix::ObjectId, PathBuf)>);

/// Makes the index agree with the commit for the committed paths, so `git status` shows them clean.
fn update_index(repo: &Repo, tree: &gix::oid, changes: &[Change]) -> Result<()> {
    // An unreadable index is an error: rewriting it from scratch would lose what the user staged. A
    // missing one (a repo without a checkout index) is built from the new commit's tree.
    let mut index = if repo.repo.index_path().exists() {
        repo.repo
            .open_index()
            .map_err(git_err("read the index", &repo.root))?
    } else {
        repo.repo
            .index_from_tree(tree)
            .map_err(git_err("build the index", &repo.root))?
    };
    let removed: Vec<&str> = changes.iter().map(|(p, _)| p.as_str()).collect();
    index.remove_entries(|_, path, _| removed.iter().any(|r| <&BStr>::from(*r) == path));
    for (rela, added) in changes {
        if let Some((id, path)) = added {
            let meta = gix::index::fs::Metadata::from_path_no_follow(path)
                .map_err(|e| Error::io("stat", path.clone(), e))?;
            let stat = gix::index::entry::Stat::from_fs(&meta).unwrap_or_default();
            index.dangerously_push_entry(
                stat,
                *id,
                gix::index::entry::Flags::empty(),
                gix::index::entry::Mode::FILE,
                rela.as_str().into(),
            );
        }
    }
    index.sort_entries();
    // The cached trees of the changed dirs are stale now; without them git recomputes trees from entries.
    // Keeping them would make git's next commit write the old subtree back.
    index.remove_tree();
    index
        .write(gix::index::write::Options::default())
        .map_err(|e| Error::Git {
            action: "write the index",
            repo: repo.root.clone(),
            source: Box::new(e),
        })?;
    Ok(())
}
