//! Symbolic links in a scanned tree. npm, pnpm, yarn and git follow them, so chainward does
//! too, but only to a target inside the project root: a link that leaves the project, dangles or
//! loops is never read, and is reported instead (`chainward/unsafe-path`).

use std::path::{Path, PathBuf};

/// Why a link is not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LinkProblem {
    /// The target is outside the project root.
    Outside,
    /// The target does not exist.
    Dangling,
    /// The link leads back to itself.
    Loop,
}

/// A path chainward will not read, and where it points (as the link says, never the content).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnsafeLink {
    /// The path as the user sees it.
    pub path: PathBuf,
    /// Where it points: the link's own text, or the resolved path when a folder on the way is
    /// the link.
    pub target: String,
    pub problem: LinkProblem,
}

impl UnsafeLink {
    /// One line for the finding.
    pub fn describe(&self) -> String {
        let what = match self.problem {
            LinkProblem::Outside => "outside the project",
            LinkProblem::Dangling => "which does not exist",
            LinkProblem::Loop => "which leads back to itself",
        };
        format!(
            "a symbolic link to `{}`, {what}: it was not read",
            self.target
        )
    }
}

/// What reading `path` would reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A path inside the boundary (the real path, every link resolved).
    Inside(PathBuf),
    /// Nothing there (and no link on the way).
    Missing,
    /// A link that leaves the boundary, dangles or loops.
    Unsafe(UnsafeLink),
}

/// The real path of a project root (`""`, as a file's parent may be, is the current folder).
pub fn canonical_root(root: &Path) -> std::io::Result<PathBuf> {
    if root.as_os_str().is_empty() {
        std::fs::canonicalize(".")
    } else {
        std::fs::canonicalize(root)
    }
}

/// Resolve `path`, following links only while they stay inside `boundary` (a canonical path:
/// the project root).
pub fn resolve(boundary: &Path, path: &Path) -> Resolved {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return match dangling_parent(path) {
            Some(link) => Resolved::Unsafe(link),
            None => Resolved::Missing,
        };
    };
    match std::fs::canonicalize(path) {
        Ok(real) if real.starts_with(boundary) => Resolved::Inside(real),
        Ok(real) => Resolved::Unsafe(UnsafeLink {
            path: path.to_path_buf(),
            target: if meta.is_symlink() {
                link_text(path)
            } else {
                real.display().to_string()
            },
            problem: LinkProblem::Outside,
        }),
        Err(_) if meta.is_symlink() => Resolved::Unsafe(UnsafeLink {
            path: path.to_path_buf(),
            target: link_text(path),
            problem: broken_chain(path),
        }),
        Err(_) => Resolved::Missing,
    }
}

/// A link's own text, as `ls -l` shows it.
fn link_text(path: &Path) -> String {
    std::fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_default()
}

/// Whether a link chain starting at `path` dangles or loops (it cannot be resolved).
fn broken_chain(path: &Path) -> LinkProblem {
    let mut seen = std::collections::HashSet::new();
    let mut current = path.to_path_buf();
    for _ in 0..64 {
        let Ok(target) = std::fs::read_link(&current) else {
            return LinkProblem::Dangling;
        };
        let next = match current.parent() {
            Some(dir) if target.is_relative() => crate::project::clean(&dir.join(&target)),
            _ => crate::project::clean(&target),
        };
        if !seen.insert(next.clone()) {
            return LinkProblem::Loop;
        }
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.is_symlink() => current = next,
            // A folder on the way loops or is missing: the chain cannot be followed.
            _ => return LinkProblem::Dangling,
        }
    }
    LinkProblem::Loop
}

/// `path` does not exist: is a folder on its way a link that dangles? (Only links in folders
/// that exist are looked at; a plain missing file is not a problem.)
fn dangling_parent(path: &Path) -> Option<UnsafeLink> {
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(meta) = std::fs::symlink_metadata(d) {
            if meta.is_symlink() && std::fs::canonicalize(d).is_err() {
                return Some(UnsafeLink {
                    path: d.to_path_buf(),
                    target: link_text(d),
                    problem: broken_chain(d),
                });
            }
            return None;
        }
        dir = d.parent();
    }
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_resolve_inside_and_are_refused_outside() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = std::fs::canonicalize(tmp.path()).expect("canonical");
        let project = root.join("p");
        std::fs::create_dir_all(project.join("real")).expect("mkdir");
        std::fs::write(project.join("real/file"), "x").expect("write");
        std::fs::write(root.join("secret"), "s").expect("write");
        symlink("real/file", project.join("inside")).expect("link");
        symlink("../secret", project.join("outside")).expect("link");
        symlink("nowhere", project.join("dangling")).expect("link");
        symlink("loop-b", project.join("loop-a")).expect("link");
        symlink("loop-a", project.join("loop-b")).expect("link");
        symlink("/", project.join("rootdir")).expect("link");

        assert_eq!(
            resolve(&project, &project.join("inside")),
            Resolved::Inside(project.join("real/file"))
        );
        let problem = |p: &str| match resolve(&project, &project.join(p)) {
            Resolved::Unsafe(u) => Some((u.problem, u.target)),
            _ => None,
        };
        assert_eq!(
            problem("outside"),
            Some((LinkProblem::Outside, "../secret".into()))
        );
        assert_eq!(
            problem("dangling"),
            Some((LinkProblem::Dangling, "nowhere".into()))
        );
        assert_eq!(problem("loop-a").map(|p| p.0), Some(LinkProblem::Loop));
        // A folder on the way is the link: the resolved path is named.
        assert_eq!(
            problem("rootdir/etc/passwd").map(|p| p.0),
            Some(LinkProblem::Outside)
        );
        assert_eq!(
            resolve(&project, &project.join("missing")),
            Resolved::Missing
        );
    }
}
