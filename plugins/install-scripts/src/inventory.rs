//! Which locked packages run code at install time: from the lockfile where it records it (npm
//! v2/v3 `hasInstallScript`, pnpm 6 `requiresBuild`), from the installed package.json under
//! node_modules otherwise (read, never executed), and git dependencies always (npm runs their
//! `prepare`). What cannot be known offline is `Unknown`, never "no scripts".

use std::ops::Range;
use std::path::{Path, PathBuf};

use chainward_core::project::join;
use chainward_core::{Project, SourceFile};
use chainward_npm::{AnyLock, LockFormat, PackageView, package_json};

/// The lifecycle scripts npm runs when a dependency is installed.
pub const DEPENDENCY_SCRIPTS: [&str; 3] = ["preinstall", "install", "postinstall"];

/// What is known about one package's install scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scripts {
    /// It runs code at install time; what says so.
    Yes(Box<str>),
    No,
    /// Neither the lockfile nor an installed copy tells.
    Unknown,
}

/// One locked package and its install-script status, borrowed from the parsed lockfile.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub scripts: Scripts,
    /// Span of the entry in the lockfile.
    pub span: Range<usize>,
}

/// The scripts an installed package.json declares that npm runs at install, including the
/// implicit `node-gyp rebuild` of a package with a binding.gyp and no install script.
pub fn declared_scripts(project: &Project, manifest: &SourceFile) -> Option<Vec<String>> {
    let pj = package_json(manifest)?;
    let scripts = pj.json.get("scripts");
    let mut found: Vec<String> = DEPENDENCY_SCRIPTS
        .iter()
        .filter(|s| {
            scripts
                .and_then(|m| m.get(s))
                .and_then(|v| v.as_str())
                .is_some_and(|v| !v.trim().is_empty())
        })
        .map(|s| (*s).to_string())
        .collect();
    let has_install = found.iter().any(|s| s == "install" || s == "preinstall");
    let gyp_off = pj.json.get("gypfile").and_then(|v| v.as_bool()) == Some(false);
    if !has_install && !gyp_off {
        let dir = manifest.path.parent().unwrap_or(Path::new("."));
        if project.is_file(&dir.join("binding.gyp")) {
            found.push("install (implicit `node-gyp rebuild`: binding.gyp)".into());
        }
    }
    Some(found)
}

/// Where an installed copy of the package would be, by layout, most specific first. `store`
/// lists pnpm's virtual store (`node_modules/.pnpm`), whose folder names carry peer suffixes
/// (`bcrypt@5.1.1_encoding@0.1.14`).
fn installed_candidates(
    dir: &Path,
    lock: &AnyLock<'_>,
    pkg: &PackageView<'_>,
    store: &[String],
) -> Vec<PathBuf> {
    let version = pkg.version.unwrap_or_default();
    match lock.format() {
        // npm: the lockfile key is the install path.
        LockFormat::Npm(_) => vec![join(dir, &format!("{}/package.json", pkg.key))],
        // pnpm: the virtual store, then a hoisted copy.
        LockFormat::Pnpm(_) => {
            let prefix = format!("{}@{version}", pkg.name.replace('/', "+"));
            let from = store.partition_point(|e| e.as_str() < prefix.as_str());
            store[from..]
                .iter()
                .take_while(|e| e.starts_with(&prefix))
                .filter(|e| e.len() == prefix.len() || e[prefix.len()..].starts_with('_'))
                .map(|e| {
                    join(
                        dir,
                        &format!(
                            "node_modules/.pnpm/{e}/node_modules/{}/package.json",
                            pkg.name
                        ),
                    )
                })
                .chain([join(
                    dir,
                    &format!("node_modules/{}/package.json", pkg.name),
                )])
                .collect()
        }
        _ => vec![join(
            dir,
            &format!("node_modules/{}/package.json", pkg.name),
        )],
    }
}

fn is_git(resolved: &str) -> bool {
    resolved.starts_with("git")
        || resolved.starts_with("github:")
        || resolved.starts_with("https://codeload.github.com/")
}

/// The inventory of one lockfile.
pub fn inventory<'a>(project: &Project, file: &SourceFile, lock: &AnyLock<'a>) -> Vec<Entry<'a>> {
    let dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let text = file.text().unwrap_or_default();
    let store: Vec<String> = match lock.format() {
        LockFormat::Pnpm(_) => project.list_dir(&join(&dir, "node_modules/.pnpm")),
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(lock.iter_packages().size_hint().1.unwrap_or(0));
    for (index, pkg) in lock.iter_packages() {
        let pkg = &pkg;
        if pkg.link || pkg.bundled {
            continue;
        }
        let scripts = if pkg.resolved.is_some_and(is_git) {
            Scripts::Yes("a git dependency (npm runs its `prepare`)".into())
        } else {
            match pkg.has_install_script {
                Some(true) => Scripts::Yes(match lock.format() {
                    LockFormat::Pnpm(_) => "`requiresBuild` in the lockfile".into(),
                    _ => "`hasInstallScript` in the lockfile".into(),
                }),
                Some(false) => Scripts::No,
                None => installed_candidates(&dir, lock, pkg, &store)
                    .iter()
                    .find_map(|candidate| {
                        let manifest = project.file_at(candidate)?;
                        let pj = package_json(&manifest)?;
                        if pj.version() != pkg.version {
                            return None;
                        }
                        let found = declared_scripts(project, &manifest)?;
                        Some(if found.is_empty() {
                            Scripts::No
                        } else {
                            Scripts::Yes(
                                format!(
                                    "`{}` in the installed {}",
                                    found.join("`, `"),
                                    manifest.rel
                                )
                                .into(),
                            )
                        })
                    })
                    .unwrap_or(Scripts::Unknown),
            }
        };
        // Spans are only wanted for findings: an npm entry's is found by parsing that entry.
        let span = match (lock, &scripts) {
            (_, Scripts::No | Scripts::Unknown) => 0..0,
            (AnyLock::Npm(npm), _) => npm
                .field_span(text, pkg.key, &["hasInstallScript"])
                .or_else(|| npm.entry_span(pkg.key))
                .unwrap_or(0..0),
            (AnyLock::Other(other), _) => other.packages[index].span.clone(),
        };
        out.push(Entry {
            name: pkg.name,
            version: pkg.version.unwrap_or_default(),
            scripts,
            span,
        });
    }
    out
}
