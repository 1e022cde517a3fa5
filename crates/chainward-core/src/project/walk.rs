//! How discovery walks the tree: options, excluded and test-data folders, ignore files.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::Error;

use super::{DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_FILES, clean, rel_path};

/// Folders of test data, left out below the scanned root unless `[files] include` names them:
/// projects keep deliberately broken lockfiles and manifests there (npm/cli has hundreds under
/// `test/fixtures`), which no install reads.
pub const TEST_DATA_DIRS: &[&str] = &[
    "fixtures",
    "__fixtures__",
    "test-fixtures",
    "testdata",
    "test-data",
];

/// The test-data rule of discovery: which folders are left out, and which files in them the
/// config's `include` brings back.
pub(super) struct TestData {
    root: PathBuf,
    include: Option<ignore::gitignore::Gitignore>,
    /// The literal start of each include glob (up to its first wildcard), to tell whether a
    /// folder may hold included files.
    prefixes: Vec<String>,
    pub(super) skipped: Mutex<Vec<String>>,
}

impl TestData {
    pub(super) fn new(root: &Path, include: &[String]) -> Result<TestData, Error> {
        let matcher = if include.is_empty() {
            None
        } else {
            let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
            for glob in include {
                builder
                    .add_line(None, glob)
                    .map_err(|e| Error::Usage(format!("invalid include glob `{glob}`: {e}")))?;
            }
            Some(
                builder
                    .build()
                    .map_err(|e| Error::Usage(format!("invalid include globs: {e}")))?,
            )
        };
        let prefixes = include
            .iter()
            .map(|g| {
                let g = g.trim_start_matches('/');
                let end = g.find(['*', '?', '[', '{']).unwrap_or(g.len());
                g[..end].to_string()
            })
            .collect();
        Ok(TestData {
            root: root.to_path_buf(),
            include: matcher,
            prefixes,
            skipped: Mutex::new(Vec::new()),
        })
    }

    /// Whether `rel` (a path below the root) is inside a test-data folder.
    fn inside(rel: &str) -> bool {
        let mut parts: Vec<&str> = rel.split('/').collect();
        parts.pop();
        parts.iter().any(|p| TEST_DATA_DIRS.contains(p))
    }

    /// Whether the folder `dir` (below the root) is left out: a test-data folder no include
    /// glob reaches into. Recorded for the summary.
    pub(super) fn skips_dir(&self, dir: &Path) -> bool {
        let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        if !TEST_DATA_DIRS.contains(&name) {
            return false;
        }
        let rel = rel_path(&self.root, dir);
        let reached = self.prefixes.iter().any(|p| {
            p.is_empty()
                || p.starts_with(&format!("{rel}/"))
                || format!("{rel}/").starts_with(p.as_str())
        });
        if !reached {
            self.skipped
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(rel);
        }
        !reached
    }

    /// Whether a file at `rel` is kept: outside test data, or named by an include glob.
    pub(super) fn keeps_file(&self, path: &Path, rel: &str) -> bool {
        !Self::inside(rel)
            || self
                .include
                .as_ref()
                .is_some_and(|m| m.matched_path_or_any_parents(path, false).is_ignore())
    }
}

/// The largest `.gitignore` or `.ignore` discovery honours (the largest real ones are tens of
/// kilobytes; a 5 MB one costs the glob matcher gigabytes).
pub const MAX_IGNORE_FILE: u64 = 1024 * 1024;

/// The config's `exclude` globs as a gitignore-style matcher rooted at `root` (`None` when
/// there are none), for files added outside the walk.
pub(super) fn exclude_matcher(
    root: &Path,
    globs: &[String],
) -> Result<Option<ignore::gitignore::Gitignore>, Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
    for glob in globs {
        builder
            .add_line(None, glob)
            .map_err(|e| Error::Usage(format!("invalid exclude glob `{glob}`: {e}")))?;
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| Error::Usage(format!("invalid exclude globs: {e}")))
}

/// `dir`'s `.gitignore` or `.ignore` when it is larger than [`MAX_IGNORE_FILE`], with its size.
pub(super) fn oversized_ignore_file(dir: &Path) -> Option<(PathBuf, u64)> {
    [".gitignore", ".ignore"].iter().find_map(|name| {
        let file = clean(&dir.join(name));
        let size = std::fs::metadata(&file).ok()?.len();
        (size > MAX_IGNORE_FILE).then_some((file, size))
    })
}

/// How discovery walks the tree.
#[derive(Debug, Clone)]
pub struct DiscoverOptions {
    /// Also walk `node_modules` folders.
    pub include_node_modules: bool,
    /// Gitignore-style globs (relative to the root) of paths to leave out.
    pub exclude: Vec<String>,
    /// Gitignore-style globs of paths inside test-data folders ([`TEST_DATA_DIRS`]) to check
    /// all the same (`[files] include`).
    pub include: Vec<String>,
    pub max_file_size: u64,
    pub max_files: usize,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        Self {
            include_node_modules: false,
            exclude: Vec::new(),
            include: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_files: DEFAULT_MAX_FILES,
        }
    }
}
