//! Which locked packages run code at install time: from the lockfile where it records it (npm
//! v2/v3 `hasInstallScript`, pnpm 6 `requiresBuild`), from the installed package.json under
//! node_modules otherwise (read, never executed), and git dependencies always (npm runs their
//! `prepare`). What cannot be known offline is `Unknown`, never "no scripts".

use std::ops::Range;
use std::path::Path;

use chainward_core::online::Registry;
use chainward_core::project::join;
use chainward_core::{Project, SourceFile};
use chainward_npm::{AnyLock, PackageView, package_json};
use rayon::prelude::*;

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

fn is_git(resolved: &str) -> bool {
    resolved.starts_with("git")
        || resolved.starts_with("github:")
        || resolved.starts_with("https://codeload.github.com/")
}

/// What one lockfile installs that runs code at install time, or may.
#[derive(Debug, Clone, Default)]
pub struct Inventory<'a> {
    /// The packages that run install scripts, in the lockfile's order (those known to run
    /// none are only counted).
    pub entries: Vec<Entry<'a>>,
    /// The packages whose status is unknown, name and version, in the lockfile's order. On a
    /// lockfile that does not record scripts, offline, that is every package: as entries they
    /// took more than twice the room.
    pub unknown: Vec<(&'a str, &'a str)>,
    /// How many packages the lockfile installs (links and bundled copies left out).
    pub packages: usize,
}

/// Whether the lockfile installs a package named `name` (links and bundled copies left out, as
/// in the [`Inventory`]).
pub fn installs(lock: &AnyLock<'_>, name: &str) -> bool {
    lock.iter_packages()
        .any(|(_, pkg)| !pkg.link && !pkg.bundled && pkg.name == name)
}

/// The versions of `name` the lockfile installs (links and bundled copies left out), sorted.
pub fn versions<'a>(lock: &AnyLock<'a>, name: &str) -> Vec<&'a str> {
    let mut versions: Vec<&str> = lock
        .iter_packages()
        .filter(|(_, pkg)| !pkg.link && !pkg.bundled && pkg.name == name)
        .map(|(_, pkg)| pkg.version.unwrap_or_default())
        .collect();
    versions.sort_unstable();
    versions
}

/// The inventory of one lockfile.
pub fn inventory<'a>(project: &Project, file: &SourceFile, lock: &AnyLock<'a>) -> Inventory<'a> {
    let dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let text = file.text().unwrap_or_default();
    // Installed copies are read from node_modules: without one (a fresh checkout, CI before
    // its install) there is none to look up, package by package.
    let node_modules = project.has_folder(&join(&dir, "node_modules"));
    let store: Vec<String> = lock
        .store_dir()
        .filter(|_| node_modules)
        .map(|store| project.list_dir(&join(&dir, store)))
        .unwrap_or_default();
    // Only what runs scripts, or may, is kept: on a large lockfile nearly every package runs
    // none, and a list of them all was megabytes of memory no one read.
    let entry = |index: usize, pkg: &PackageView<'a>, scripts: Scripts| {
        // Spans are only wanted for findings: an npm entry's is found by parsing that entry.
        let span = match scripts {
            Scripts::No | Scripts::Unknown => 0..0,
            _ => lock.field_span(text, index, pkg, "hasInstallScript"),
        };
        Entry {
            name: pkg.name,
            version: pkg.version.unwrap_or_default(),
            scripts,
            span,
        }
    };
    // With a registry to ask, the packages' views are kept for it; offline each is made an
    // entry at once (a view is half again its size: on a lockfile that records no scripts,
    // every package is kept).
    let registry = project.registry();
    let mut found = Vec::new();
    let mut out: Vec<Entry<'a>> = Vec::new();
    let mut unknown: Vec<(&'a str, &'a str)> = Vec::new();
    // Sized once for every package of a lockfile that does not record install scripts (pnpm
    // 9, yarn and bun: offline each one is unknown, and kept): a list grown by doubling left
    // the copies it outgrew behind.
    if !matches!(lock, AnyLock::Npm(npm) if npm.lockfile_version >= 2) {
        let room = lock.iter_packages().size_hint().1.unwrap_or_default();
        if registry.is_some() {
            found.reserve(room);
        } else {
            unknown.reserve(room);
        }
    }
    // What runs scripts becomes an entry, what is unknown a name and a version.
    let sort_out = |out: &mut Vec<Entry<'a>>,
                    unknown: &mut Vec<(&'a str, &'a str)>,
                    (index, pkg, scripts): (usize, PackageView<'a>, Scripts)| {
        match scripts {
            Scripts::No => {}
            Scripts::Unknown => unknown.push((pkg.name, pkg.version.unwrap_or_default())),
            Scripts::Yes(_) => out.push(entry(index, &pkg, scripts)),
        }
    };
    let mut keep = |index: usize, pkg: PackageView<'a>, scripts: Scripts| {
        if registry.is_some() {
            found.push((index, pkg, scripts));
        } else {
            sort_out(&mut out, &mut unknown, (index, pkg, scripts));
        }
    };
    let mut packages = 0;
    match lock {
        // npm 7+ records `hasInstallScript` on every entry: the few that run scripts (or come
        // from git) are told from two fields, without a view of each of thousands of entries.
        AnyLock::Npm(npm) if npm.lockfile_version >= 2 => {
            for (key, p) in &npm.packages {
                if p.link || p.in_bundle || chainward_npm::npm::is_importer(key) {
                    continue;
                }
                packages += 1;
                if p.has_install_script || npm.resolved(p).is_some_and(is_git) {
                    let pkg = npm.view(key, p);
                    let scripts = local_status(project, &dir, node_modules, lock, &pkg, &store);
                    keep(0, pkg, scripts);
                }
            }
        }
        _ => {
            for (index, pkg) in lock.iter_packages() {
                if pkg.link || pkg.bundled {
                    continue;
                }
                packages += 1;
                let scripts = local_status(project, &dir, node_modules, lock, &pkg, &store);
                if scripts != Scripts::No {
                    keep(index, pkg, scripts);
                }
            }
        }
    }
    if let Some(registry) = registry {
        ask_registry(project, registry, &mut found);
        // Filed as offline, once the registry has answered (what it says runs none is
        // dropped).
        for found in found {
            sort_out(&mut out, &mut unknown, found);
        }
    }
    out.shrink_to_fit();
    unknown.shrink_to_fit();
    Inventory {
        entries: out,
        unknown,
        packages,
    }
}

/// What the lockfile, or an installed copy of the package (looked up when `dir` has a
/// `node_modules`), says about its install scripts.
fn local_status(
    project: &Project,
    dir: &Path,
    node_modules: bool,
    lock: &AnyLock<'_>,
    pkg: &PackageView<'_>,
    store: &[String],
) -> Scripts {
    if pkg.resolved.is_some_and(is_git) {
        return Scripts::Yes("a git dependency (npm runs its `prepare`)".into());
    }
    match pkg.has_install_script {
        Some(true) => Scripts::Yes(
            format!("`{}` in the lockfile", lock.format().install_script_field()).into(),
        ),
        Some(false) => Scripts::No,
        None if !node_modules => Scripts::Unknown,
        None => lock
            .installed_paths(dir, pkg, store)
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
                        format!("`{}` in the installed {}", found.join("`, `"), manifest.rel)
                            .into(),
                    )
                })
            })
            .unwrap_or(Scripts::Unknown),
    }
}

/// A package the registry can tell about: published there (no `resolved`, or a registry
/// tarball URL), not a git, file or link dependency.
fn from_a_registry(pkg: &PackageView<'_>) -> bool {
    match pkg.resolved {
        None => pkg.version.is_some(),
        Some(url) => {
            // yarn classic appends `#<sha1>` to the tarball URL.
            let url = url.split('#').next().unwrap_or(url);
            (url.starts_with("https://") || url.starts_with("http://"))
                && url.contains("/-/")
                && url.ends_with(".tgz")
        }
    }
}

/// `--online`: the registry's version document settles what is still unknown: its `scripts`
/// (`preinstall`, `install`, `postinstall`) and `gypfile` (an implicit `node-gyp rebuild`).
/// Looked up in parallel through the one cached client; what cannot be fetched stays unknown.
fn ask_registry(
    project: &Project,
    registry: &dyn Registry,
    found: &mut [(usize, PackageView<'_>, Scripts)],
) {
    let failures: Vec<String> = found
        .par_iter_mut()
        .filter(|(_, pkg, scripts)| *scripts == Scripts::Unknown && from_a_registry(pkg))
        .filter_map(|(_, pkg, scripts)| {
            let version = pkg.version.unwrap_or_default();
            match registry.version(pkg.name, version) {
                Ok(Some(doc)) => {
                    *scripts = registry_status(&doc);
                    None
                }
                Ok(None) => Some(format!("{}@{version}: not in the registry", pkg.name)),
                Err(e) => Some(e),
            }
        })
        .collect();
    if let Some(first) = failures.first() {
        project.note(format!(
            "install-scripts: {} package(s) could not be looked up in the registry (first: {first}); their install scripts stay unknown",
            failures.len()
        ));
    }
}

/// The install-script status a registry version document gives.
pub fn registry_status(doc: &serde_json::Value) -> Scripts {
    let mut found: Vec<&str> = DEPENDENCY_SCRIPTS
        .iter()
        .copied()
        .filter(|s| {
            doc.pointer(&format!("/scripts/{s}"))
                .and_then(serde_json::Value::as_str)
                .is_some_and(|v| !v.trim().is_empty())
        })
        .collect();
    if found.is_empty() && doc.get("gypfile").and_then(serde_json::Value::as_bool) == Some(true) {
        found.push("install (implicit `node-gyp rebuild`: gypfile)");
    }
    if found.is_empty() {
        Scripts::No
    } else {
        Scripts::Yes(
            format!(
                "`{}` in the registry's version document",
                found.join("`, `")
            )
            .into(),
        )
    }
}
