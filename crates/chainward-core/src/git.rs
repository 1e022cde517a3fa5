//! What git knows about the project's files: tracked (committed or staged), untracked, or
//! ignored. Opened once, lazily, from the project root; outside a repository there is none.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A file's standing in git.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitStatus {
    /// In the index: committed, or staged for the next commit.
    Tracked,
    Untracked,
    /// Matched by .gitignore (or .git/info/exclude): it can never be committed by accident.
    Ignored,
    /// Outside the repository's working tree.
    Outside,
}

/// A file read from git's objects at a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtRevision {
    Text(String),
    /// A link that leaves the project, dangles or loops at that revision: not read.
    Unsafe(crate::links::UnsafeLink),
}

/// The repository containing the project root.
pub struct Git {
    workdir: PathBuf,
    tracked: HashSet<PathBuf>,
    repo: Mutex<git2::Repository>,
}

impl std::fmt::Debug for Git {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Git")
            .field("workdir", &self.workdir)
            .finish_non_exhaustive()
    }
}

impl Git {
    /// The repository containing `root`, if any (bare repositories have no files to check).
    pub fn discover(root: &Path) -> Option<Git> {
        let repo = git2::Repository::discover(root).ok()?;
        let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
        let index = repo.index().ok()?;
        let tracked = index
            .iter()
            .filter_map(|e| std::str::from_utf8(&e.path).ok().map(PathBuf::from))
            .collect();
        Some(Git {
            workdir,
            tracked,
            repo: Mutex::new(repo),
        })
    }

    /// `path` (as the user sees it) relative to the repository's working tree. A link is
    /// itself (its folder is resolved, not the link), as git records it.
    pub fn rel(&self, path: &Path) -> Option<PathBuf> {
        let link = |path: &Path| {
            let name = path.file_name()?;
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(dir).ok()?.join(name))
        };
        let real = link(path).or_else(|| std::fs::canonicalize(path).ok())?;
        real.strip_prefix(&self.workdir).ok().map(Path::to_path_buf)
    }

    /// The URL of a remote (`origin`), as configured.
    pub fn remote_url(&self, name: &str) -> Option<String> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let remote = repo.find_remote(name).ok()?;
        remote.url().ok().map(str::to_string)
    }

    /// Check that `rev` names a commit.
    pub fn resolve(&self, rev: &str) -> Result<(), String> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        repo.revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|_| ())
            .map_err(|e| format!("`{rev}` does not name a commit: {}", e.message()))
    }

    /// The text of `path` (as the user sees it) at revision `rev`, read from git's objects
    /// (nothing is checked out); `None` when the file did not exist then or is not UTF-8. A
    /// link (a git symlink object) is followed inside the tree at that revision while it stays
    /// below `within` (the project root); one that leaves it, dangles or loops is not read.
    pub fn read_at(
        &self,
        rev: &str,
        path: &Path,
        within: &Path,
    ) -> Result<Option<AtRevision>, String> {
        let Some(mut rel) = self.rel(path) else {
            return Ok(None);
        };
        let within = self.rel(within).unwrap_or_default();
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let tree = repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_tree())
            .map_err(|e| format!("`{rev}` does not name a commit: {}", e.message()))?;
        let unsafe_link = |target: String, problem| {
            Ok(Some(AtRevision::Unsafe(crate::links::UnsafeLink {
                path: path.to_path_buf(),
                target,
                problem,
            })))
        };
        let mut first_target = None;
        for _ in 0..40 {
            let Ok(entry) = tree.get_path(&rel) else {
                return match first_target {
                    Some(target) => unsafe_link(target, crate::links::LinkProblem::Dangling),
                    None => Ok(None),
                };
            };
            let Ok(blob) = entry.to_object(&repo).and_then(|o| o.peel_to_blob()) else {
                return Ok(None);
            };
            if entry.filemode() != 0o120000 {
                return Ok(String::from_utf8(blob.content().to_vec())
                    .ok()
                    .map(AtRevision::Text));
            }
            let target = String::from_utf8_lossy(blob.content()).into_owned();
            let first = first_target.get_or_insert_with(|| target.clone()).clone();
            let next = crate::project::clean(&rel.parent().unwrap_or(Path::new("")).join(&target));
            if Path::new(&target).is_absolute()
                || next.starts_with("..")
                || !next.starts_with(&within)
            {
                return unsafe_link(first, crate::links::LinkProblem::Outside);
            }
            rel = next;
        }
        unsafe_link(
            first_target.unwrap_or_default(),
            crate::links::LinkProblem::Loop,
        )
    }

    /// The standing of the file at `path` (as the user sees it).
    pub fn status(&self, path: &Path) -> GitStatus {
        let Some(real) = std::fs::canonicalize(path).ok().or_else(|| {
            Some(
                std::fs::canonicalize(path.parent()?)
                    .ok()?
                    .join(path.file_name()?),
            )
        }) else {
            return GitStatus::Outside;
        };
        let Ok(rel) = real.strip_prefix(&self.workdir) else {
            return GitStatus::Outside;
        };
        if self.tracked.contains(rel) {
            return GitStatus::Tracked;
        }
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        if repo.status_should_ignore(rel).unwrap_or(false) {
            GitStatus::Ignored
        } else {
            GitStatus::Untracked
        }
    }
}
