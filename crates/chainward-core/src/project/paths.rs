//! Paths as the project spells them.

use std::path::{Component, Path, PathBuf};

/// `dir` joined with a `/`-separated relative path, keeping `.` out of the result
/// (`.` + `a/package.json` → `a/package.json`), so that paths match discovered ones.
pub fn join(dir: &Path, rel: &str) -> PathBuf {
    let mut p = if dir == Path::new(".") || dir.as_os_str().is_empty() {
        PathBuf::new()
    } else {
        dir.to_path_buf()
    };
    for part in rel.split('/').filter(|s| !s.is_empty()) {
        p.push(part);
    }
    p
}

/// `./a/../b` → `b`, without touching the file system (symlinks are not resolved).
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// `path` relative to `root`, `/`-separated; `path` itself if it is not below `root`.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let root = clean(root);
    let path = clean(path);
    let rel = if root == Path::new(".") {
        path.as_path()
    } else {
        path.strip_prefix(&root).unwrap_or(&path)
    };
    rel.to_string_lossy().replace('\\', "/")
}

/// The project a path on the command line belongs to: a folder is its own project; a file's
/// project is the folder above its `.github` when it sits in one (a workflow or a composite
/// action is checked with the project whose CI it is), else its folder. `.` for a bare name.
pub fn project_root_of(path: &Path) -> PathBuf {
    if path.is_dir() {
        return path.to_path_buf();
    }
    let parent = path.parent().unwrap_or(Path::new(""));
    let mut above_github = None;
    for ancestor in parent.ancestors() {
        if ancestor.file_name().is_some_and(|n| n == ".github") {
            above_github = ancestor.parent();
        }
    }
    let root = above_github.unwrap_or(parent);
    if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root.to_path_buf()
    }
}
