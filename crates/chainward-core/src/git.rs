//! What git knows about the project's files: tracked (committed or staged), untracked, or
//! ignored. Opened once, lazily, from the project root; outside a repository there is none.

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
    /// git's index is missing or unreadable while the repository has commits: whether the file
    /// is committed cannot be told (and saying "untracked" of every file would be wrong).
    Unknown,
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
    /// Sorted, each once.
    tracked: crate::git_index::Paths,
    /// Whether git's index could be read (see [`GitStatus::Unknown`]).
    index_readable: bool,
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
        // A repository with commits always has an index file; without one (deleted, or a
        // checkout made without it) libgit2 reads an empty index, which would make every file
        // look untracked.
        let has_commits = repo.head().ok().and_then(|h| h.target()).is_some();
        // The index is read directly (see [`crate::git_index`]), not through libgit2, which
        // would also keep it cached in the repository to the end of the run.
        let index_file = repo.path().join("index");
        let index = if std::fs::symlink_metadata(&index_file).is_ok_and(|m| m.is_file()) {
            let hash_len = match repo
                .config()
                .ok()
                .and_then(|c| c.get_string("extensions.objectformat").ok())
            {
                Some(format) if format.eq_ignore_ascii_case("sha256") => 32,
                _ => 20,
            };
            std::fs::File::open(&index_file)
                .ok()
                .filter(|f| {
                    f.metadata()
                        .is_ok_and(|m| m.len() <= crate::git_index::MAX_INDEX)
                })
                .and_then(|mut f| {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut f, &mut bytes).ok()?;
                    crate::git_index::paths(&bytes, hash_len)
                })
        } else if has_commits {
            None
        } else {
            Some(crate::git_index::Paths::default())
        };
        let index_readable = index.is_some();
        let tracked = index.unwrap_or_default().into_sorted();
        Some(Git {
            workdir,
            tracked,
            index_readable,
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

    /// Whether git's index could be read (else nothing is known to be tracked or not).
    pub fn index_readable(&self) -> bool {
        self.index_readable
    }

    /// Tracked files below `dir` (a folder as the user sees it), relative to it, `/`-separated,
    /// in the order of their bytes.
    pub fn tracked_below(&self, dir: &Path) -> Vec<&str> {
        let Ok(real) = crate::links::canonical_root(dir) else {
            return Vec::new();
        };
        let Some(prefix) = real.strip_prefix(&self.workdir).ok().and_then(index_path) else {
            return Vec::new();
        };
        self.tracked.below(&prefix).collect()
    }

    /// The URL of a remote (`origin`), as configured.
    pub fn remote_url(&self, name: &str) -> Option<String> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let remote = repo.find_remote(name).ok()?;
        remote.url().ok().map(str::to_string)
    }

    /// The URLs of every remote (`origin`, `upstream`, …), sorted by remote name.
    pub fn remote_urls(&self) -> Vec<(String, String)> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(names) = repo.remotes() else {
            return Vec::new();
        };
        let mut out: Vec<(String, String)> = (0..names.len())
            .filter_map(|i| {
                let n = names.get(i).ok()??;
                let url = repo.find_remote(n).ok()?.url().ok()?.to_string();
                Some((n.to_string(), url))
            })
            .collect();
        out.sort();
        out
    }

    /// The commit `HEAD` names (hex), when there is one.
    pub fn head_commit(&self) -> Option<String> {
        let repo = self.repo.lock().unwrap_or_else(|e| e.into_inner());
        let commit = repo.revparse_single("HEAD").ok()?.peel_to_commit().ok()?;
        Some(commit.id().to_string())
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
        // A link is tracked as itself, as git records it.
        let Some(rel) = self.rel(path) else {
            return GitStatus::Outside;
        };
        let rel = rel.as_path();
        if !self.index_readable {
            return GitStatus::Unknown;
        }
        if index_path(rel).is_some_and(|p| self.tracked.contains(&p)) {
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

/// A path relative to the working tree as git's index writes it: `/`-separated UTF-8 (the
/// index paths that are not UTF-8 are not read).
fn index_path(rel: &Path) -> Option<std::borrow::Cow<'_, str>> {
    let text = rel.to_str()?;
    Some(if std::path::MAIN_SEPARATOR == '/' {
        text.into()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/").into()
    })
}

/// `(owner, repo)` of a GitHub URL in any of git's and npm's forms: `https://github.com/o/r.git`,
/// `git+https://…`, `git@github.com:o/r.git`, `ssh://git@github.com/o/r`, `github:o/r`, `o/r`.
pub fn github_repo(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let path = if let Some(rest) = url.strip_prefix("github:") {
        rest
    } else if let Some(rest) = url.strip_prefix("git@github.com:") {
        rest
    } else if let Some((_, rest)) = url.split_once("://") {
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let (host, path) = rest.split_once('/')?;
        if !host.eq_ignore_ascii_case("github.com") && !host.eq_ignore_ascii_case("www.github.com")
        {
            return None;
        }
        path
    } else if !url.contains(':') && url.matches('/').count() == 1 {
        url
    } else {
        return None;
    };
    let path = path.split(['#', '?']).next().unwrap_or(path);
    let mut parts = path.trim_matches('/').split('/');
    let owner = parts.next().filter(|o| !o.is_empty())?;
    let repo = parts.next().filter(|r| !r.is_empty())?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    Some((owner.to_string(), repo.to_string()))
}
