//! Which folders a workspace root includes: npm's and yarn's `workspaces` globs in package.json,
//! pnpm's `packages` in pnpm-workspace.yaml; `!pattern` excludes.

use std::path::Path;

use chainward_core::Project;
use chainward_core::project::join;
use chainward_core::yaml::{self, Yaml};

use crate::package_json;

/// A workspace root's member patterns.
pub struct Workspaces {
    include: Vec<globset::GlobMatcher>,
    exclude: Vec<globset::GlobMatcher>,
}

impl Workspaces {
    /// From patterns as written (`packages/*`, `./apps/**`, `!**/test/**`).
    pub fn from_patterns<S: AsRef<str>>(patterns: &[S]) -> Workspaces {
        let glob = |p: &str| {
            let p = p
                .trim_start_matches('!')
                .trim_start_matches("./")
                .trim_end_matches('/');
            globset::GlobBuilder::new(p)
                .literal_separator(true)
                .build()
                .ok()
                .map(|g| g.compile_matcher())
        };
        let (exclude, include): (Vec<&str>, Vec<&str>) = patterns
            .iter()
            .map(AsRef::as_ref)
            .partition(|p| p.starts_with('!'));
        Workspaces {
            include: include.into_iter().filter_map(glob).collect(),
            exclude: exclude.into_iter().filter_map(glob).collect(),
        }
    }

    /// The members the root in `dir` declares for `manager` (`pnpm`: pnpm-workspace.yaml's
    /// `packages`; otherwise package.json's `workspaces`, as an array or `{ packages }`).
    pub fn of_root(project: &Project, dir: &Path, manager: &str) -> Workspaces {
        let patterns: Vec<String> = if manager == "pnpm" {
            project
                .file_at(&join(dir, "pnpm-workspace.yaml"))
                .and_then(|f| {
                    yaml::parsed(&f).map(|doc| {
                        doc.get("packages")
                            .and_then(Yaml::as_seq)
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect()
                    })
                })
                .unwrap_or_default()
        } else {
            project
                .file_at(&join(dir, "package.json"))
                .and_then(|f| {
                    package_json(&f).map(|p| p.workspaces().iter().map(|s| s.to_string()).collect())
                })
                .unwrap_or_default()
        };
        Workspaces::from_patterns(&patterns)
    }

    /// Whether the folder `rel` (relative to the root, `/`-separated) is a member. The root
    /// itself and anything in `node_modules` are not.
    pub fn contains(&self, rel: &str) -> bool {
        !rel.is_empty()
            && !rel.split('/').any(|s| s == "node_modules")
            && self.include.iter().any(|g| g.is_match(rel))
            && !self.exclude.iter().any(|g| g.is_match(rel))
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_empty()
    }
}

/// The workspace root above `dir` whose own `lock_name` (pnpm-lock.yaml, yarn.lock, bun.lock,
/// package-lock.json) covers `dir` as a member: a lockfile of that name in `dir` is then not
/// read by any install (the package managers use the root's), however stale or old it is.
pub fn shadowing_root(
    project: &Project,
    dir: &Path,
    lock_name: &str,
) -> Option<std::path::PathBuf> {
    let manager = match lock_name {
        "pnpm-lock.yaml" => "pnpm",
        "yarn.lock" => "yarn",
        "bun.lock" | "bun.lockb" => "bun",
        _ => "npm",
    };
    crate::npm::ancestors(dir)
        .into_iter()
        .skip(1)
        .find(|(up, rel)| {
            project.file_at(&join(up, lock_name)).is_some()
                && Workspaces::of_root(project, up, manager).contains(rel)
        })
        .map(|(up, _)| up)
}

/// A workspace member's own pnpm, yarn or bun lockfile, which no install reads (the workspace
/// root's is used): plugins that judge what is installed skip it.
pub fn is_shadowed(project: &Project, file: &chainward_core::SourceFile) -> bool {
    use chainward_core::FileKind;
    matches!(
        file.kind,
        FileKind::PnpmLock | FileKind::YarnLock | FileKind::BunLock
    ) && lockfile_shadowing_root(project, file).is_some()
}

/// The workspace root whose lockfile shadows `file` (see [`shadowing_root`]).
pub fn lockfile_shadowing_root(
    project: &Project,
    file: &chainward_core::SourceFile,
) -> Option<std::path::PathBuf> {
    let dir = file.path.parent().unwrap_or(Path::new("."));
    let name = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    shadowing_root(project, dir, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_as_npm_and_pnpm_read_them() {
        let ws = Workspaces::from_patterns(&["packages/*", "./apps/**", "!apps/legacy/**"]);
        assert!(ws.contains("packages/a"));
        assert!(!ws.contains("packages/a/b"));
        assert!(ws.contains("apps/web"));
        assert!(ws.contains("apps/web/inner"));
        assert!(!ws.contains("apps/legacy/old"));
        assert!(!ws.contains("examples/demo"));
        assert!(!ws.contains(""));
        assert!(!ws.contains("packages/node_modules"));
    }
}
