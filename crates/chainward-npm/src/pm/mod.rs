//! Which package manager installs each project, at which version, and where that was read; and
//! the protections it applies ([`cooldown`]), read from its own files as that version reads them.
//! Shared by the pm-config plugin (is the protection on?) and dep-trust (which versions does it
//! refuse?).

pub mod cooldown;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{AnyLock, LockFormat, any_lockfile, package_json};
use chainward_core::{FileKind, Project, SourceFile};

/// A package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pm {
    Npm,
    Pnpm,
    /// yarn 2 and later.
    YarnBerry,
    /// yarn 1.
    YarnClassic,
    Bun,
}

impl Pm {
    pub fn name(self) -> &'static str {
        match self {
            Pm::Npm => "npm",
            Pm::Pnpm => "pnpm",
            Pm::YarnBerry | Pm::YarnClassic => "yarn",
            Pm::Bun => "bun",
        }
    }
}

/// A version `major.minor.patch` (pre-release tags ignored: `11.0.0-rc.1` is 11.0.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ver(pub u64, pub u64, pub u64);

impl Ver {
    /// The first `x[.y[.z]]` in `text` (`^10.2` is 10.2.0, `>=9` is 9.0.0).
    pub fn parse(text: &str) -> Option<Ver> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        let mut parts = text[start..]
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|p| p.parse::<u64>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(Ver(major, minor, patch))
    }

    pub fn at_least(self, major: u64, minor: u64, patch: u64) -> bool {
        self >= Ver(major, minor, patch)
    }
}

impl std::fmt::Display for Ver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Where the version came from.
#[derive(Debug, Clone)]
pub enum VersionOrigin {
    /// `packageManager` (or `devEngines.packageManager`) of this package.json, at this span.
    Declared(Arc<SourceFile>, std::ops::Range<usize>),
    /// The lockfile's format says at least this much.
    Lockfile(String),
    /// Nothing says: the oldest version still in use is assumed.
    Assumed,
}

/// One project that a package manager installs: a folder with a lockfile (or the root's
/// package.json that names its package manager).
#[derive(Debug, Clone)]
pub struct Root {
    pub dir: PathBuf,
    pub manifest: Option<Arc<SourceFile>>,
    pub lockfile: Option<Arc<SourceFile>>,
    pub pm: Pm,
    pub version: Ver,
    pub origin: VersionOrigin,
}

impl Root {
    /// Whether `packageManager` (or `yarnPath`) states the version.
    pub fn declared(&self) -> bool {
        matches!(self.origin, VersionOrigin::Declared(..))
    }

    /// Whether the version in use reads a setting that appeared in `first`: known when the
    /// version is stated; when it is not, a project that writes the setting is taken to use a
    /// version that reads it (nothing says otherwise).
    pub fn reads(&self, first: Ver, written: bool) -> bool {
        self.version >= first || (written && !self.declared())
    }

    /// "pnpm 10.12.1" / "pnpm (assumed 9.0.0: …)".
    pub fn describe(&self) -> String {
        match &self.origin {
            VersionOrigin::Declared(..) => format!("{} {}", self.pm.name(), self.version),
            VersionOrigin::Lockfile(why) => {
                format!("{} {} or later ({why})", self.pm.name(), self.version)
            }
            VersionOrigin::Assumed => format!("{} (version not stated)", self.pm.name()),
        }
    }

    /// The file named `name` in this project's folder, if it was discovered or exists.
    pub fn file(&self, project: &Project, name: &str) -> Option<Arc<SourceFile>> {
        project.file_at(&self.dir.join(name))
    }

    /// `key` in this project's .npmrc: the file, the value's span and the value.
    pub fn npmrc_setting(&self, project: &Project, key: &str) -> Option<Setting<String>> {
        let file = self.file(project, ".npmrc")?;
        let s = crate::npmrc::npmrc(&file)?.get(key)?;
        let (span, value) = (s.value_span.clone(), s.value.clone());
        Some((file, span, value))
    }

    /// The top-level `key` of the YAML file `name` in this project's folder.
    pub fn yaml_setting(
        &self,
        project: &Project,
        name: &str,
        key: &str,
    ) -> Option<Setting<chainward_core::yaml::Yaml>> {
        yaml_key(self.file(project, name)?, key)
    }

    /// `key` in the nearest .yarnrc.yml that sets it, from this project's folder up to the
    /// tree's root (yarn merges the files above a project into its configuration).
    pub fn yarnrc_setting(
        &self,
        project: &Project,
        key: &str,
    ) -> Option<Setting<chainward_core::yaml::Yaml>> {
        yarnrc_setting(project, &self.dir, key)
    }

    /// The file the version came from: where a finding about the package manager points.
    pub fn anchor(&self) -> Option<(Arc<SourceFile>, std::ops::Range<usize>)> {
        match &self.origin {
            VersionOrigin::Declared(file, span) => Some((Arc::clone(file), span.clone())),
            // Not the binary bun.lockb: a finding's place must be text.
            // The package.json before the lockfile (a lockfile chainward does not read must
            // not become one it reports on), and never the binary bun.lockb.
            _ => self
                .manifest
                .clone()
                .or_else(|| {
                    self.lockfile
                        .clone()
                        .filter(|f| f.kind != chainward_core::FileKind::BunLockb)
                })
                .map(|f| (f, 0..0)),
        }
    }
}

/// Every project in the tree with the package manager that installs it.
pub fn roots(project: &Project) -> Vec<Root> {
    let mut dirs: Vec<PathBuf> = project
        .files()
        .iter()
        .filter(|f| f.kind.is_lockfile())
        .filter_map(|f| f.path.parent().map(chainward_core::project::clean))
        .collect();
    let root_manifest = project.root.join("package.json");
    let declares = project
        .file_at(&root_manifest)
        .and_then(|f| package_json(&f).map(|pj| pj.package_manager().is_some()))
        .unwrap_or(false);
    if declares {
        dirs.push(chainward_core::project::clean(&project.root));
    }
    dirs.sort();
    dirs.dedup();
    let all: Vec<Root> = dirs
        .into_iter()
        .filter_map(|dir| root_at(project, &dir))
        .collect();
    // A project inside a workspace of the same package manager is installed with that
    // workspace's settings (pnpm finds its pnpm-workspace.yaml upwards; a lockfile in an npm or
    // yarn workspace member is not the one installs read): the workspace speaks for it.
    let is_workspace = |root: &Root| {
        root.file(project, "pnpm-workspace.yaml").is_some()
            || root
                .manifest
                .as_deref()
                .and_then(package_json)
                .is_some_and(|pj| !pj.workspaces().is_empty())
    };
    all.iter()
        .filter(|r| {
            !all.iter().any(|outer| {
                outer.dir != r.dir
                    && inside(&r.dir, &outer.dir)
                    && outer.pm.name() == r.pm.name()
                    && is_workspace(outer)
            })
        })
        .cloned()
        .collect()
}

/// Whether the folder `inner` is below `outer` (both cleaned; `.` holds every relative path).
fn inside(inner: &Path, outer: &Path) -> bool {
    if outer == Path::new(".") {
        inner.is_relative() && !inner.starts_with("..")
    } else {
        inner.starts_with(outer)
    }
}

fn root_at(project: &Project, dir: &Path) -> Option<Root> {
    let manifest = project.file_at(&dir.join("package.json"));
    let declared = manifest.as_ref().and_then(|m| {
        let pj = package_json(m)?;
        let (name, version) = pj.package_manager()?;
        let span = pj
            .json
            .member("packageManager")
            .map(|m| m.value.span.clone())
            .or_else(|| {
                pj.json
                    .pointer(&["devEngines", "packageManager"])
                    .map(|v| v.span.clone())
            })
            .unwrap_or(0..0);
        Some((name.to_string(), Ver::parse(version), span))
    });
    let lockfiles: Vec<Arc<SourceFile>> = [
        "pnpm-lock.yaml",
        "yarn.lock",
        "bun.lock",
        "bun.lockb",
        "npm-shrinkwrap.json",
        "package-lock.json",
    ]
    .iter()
    .filter_map(|name| project.file_at(&dir.join(name)))
    .collect();
    let pm_of_lock = |f: &SourceFile| -> Option<Pm> {
        Some(match f.kind {
            FileKind::NpmLock | FileKind::NpmShrinkwrap => Pm::Npm,
            FileKind::PnpmLock => Pm::Pnpm,
            FileKind::YarnLock => match any_lockfile(f) {
                Some(AnyLock::Other(l)) if matches!(l.format, LockFormat::YarnClassic) => {
                    Pm::YarnClassic
                }
                _ => Pm::YarnBerry,
            },
            FileKind::BunLock | FileKind::BunLockb => Pm::Bun,
            _ => return None,
        })
    };
    let declared_pm = declared.as_ref().and_then(|(name, version, _)| {
        Some(match name.as_str() {
            "npm" => Pm::Npm,
            "pnpm" => Pm::Pnpm,
            "bun" => Pm::Bun,
            "yarn" if version.is_some_and(|v| v.0 <= 1) => Pm::YarnClassic,
            "yarn" => Pm::YarnBerry,
            _ => return None,
        })
    });
    let lockfile = match declared_pm {
        Some(pm) => lockfiles
            .iter()
            .find(|f| pm_of_lock(f).map(Pm::name) == Some(pm.name()))
            .or(lockfiles.first())
            .cloned(),
        None => lockfiles.first().cloned(),
    };
    let lock_pm = lockfile.as_deref().and_then(pm_of_lock);
    let pm = declared_pm.or(lock_pm)?;
    let (version, origin) = match (&declared, declared_pm) {
        (Some((_, Some(v), span)), Some(_)) => {
            (*v, VersionOrigin::Declared(manifest.clone()?, span.clone()))
        }
        _ => match yarn_path(project, dir).filter(|_| pm == Pm::YarnBerry) {
            Some((v, file, span)) => (v, VersionOrigin::Declared(file, span)),
            None => floor(pm, lockfile.as_deref()),
        },
    };
    Some(Root {
        dir: dir.to_path_buf(),
        manifest,
        lockfile,
        pm,
        version,
        origin,
    })
}

/// The yarn release `yarnPath` names in the nearest .yarnrc.yml that sets it (from `dir` up to
/// the tree's root): `.yarn/releases/yarn-4.12.0.cjs` is yarn 4.12.0 whatever launched it.
fn yarn_path(
    project: &Project,
    dir: &Path,
) -> Option<(Ver, Arc<SourceFile>, std::ops::Range<usize>)> {
    let (file, span, node) = yarnrc_setting(project, dir, "yarnPath")?;
    let name = node.as_str()?.rsplit('/').next()?;
    let version = name.strip_prefix("yarn-")?.strip_suffix(".cjs")?;
    Some((Ver::parse(version)?, file, span))
}

/// `file:line` of a setting's value.
pub fn place(file: &SourceFile, span: &std::ops::Range<usize>) -> String {
    let line = file
        .text()
        .map(|t| file.lines().line_col(t, span.start).line)
        .unwrap_or(1);
    format!("{}:{line}", file.rel)
}

/// A setting as read: the file, the span of the value, the value.
pub type Setting<T> = (Arc<SourceFile>, std::ops::Range<usize>, T);

fn yaml_key(file: Arc<SourceFile>, key: &str) -> Option<Setting<chainward_core::yaml::Yaml>> {
    let node = chainward_core::yaml::parsed(&file)?.get(key)?.clone();
    Some((file, node.span.clone(), node))
}

/// `key` in the nearest .yarnrc.yml that sets it, from `dir` up to the tree's root.
fn yarnrc_setting(
    project: &Project,
    dir: &Path,
    key: &str,
) -> Option<Setting<chainward_core::yaml::Yaml>> {
    yarnrc_files(project, dir).find_map(|f| yaml_key(f, key))
}

/// The .yarnrc.yml files yarn merges for a project in `dir`: from that folder up to the tree's
/// root, nearest first.
pub fn yarnrc_files<'a>(
    project: &'a Project,
    dir: &'a Path,
) -> impl Iterator<Item = Arc<SourceFile>> + 'a {
    let top = |d: &Path| d == project.root.as_path() || d == Path::new(".");
    std::iter::successors(Some(dir), move |d| if top(d) { None } else { d.parent() })
        .filter_map(|d| project.file_at(&d.join(".yarnrc.yml")))
}

/// The oldest version the lockfile's format allows, else the oldest still in use.
fn floor(pm: Pm, lockfile: Option<&SourceFile>) -> (Ver, VersionOrigin) {
    // Only yarn's lockfile tells versions apart (and only it is read here).
    let format =
        lockfile
            .filter(|f| f.kind == FileKind::YarnLock)
            .and_then(|f| match any_lockfile(f)? {
                AnyLock::Npm(l) => Some(LockFormat::Npm(l.lockfile_version)),
                AnyLock::Other(l) => Some(l.format.clone()),
            });
    match (pm, format) {
        (Pm::YarnBerry, Some(LockFormat::YarnBerry(v))) if v >= 8 => {
            let (ver, first) = match v {
                8 => (Ver(4, 0, 0), "4.0"),
                9 => (Ver(4, 14, 0), "4.14"),
                _ => (Ver(4, 15, 0), "4.15"),
            };
            (
                ver,
                VersionOrigin::Lockfile(format!(
                    "yarn.lock `__metadata.version: {v}` is written by yarn {first} and later"
                )),
            )
        }
        (Pm::YarnBerry, _) => (Ver(3, 0, 0), VersionOrigin::Assumed),
        (Pm::YarnClassic, _) => (Ver(1, 22, 0), VersionOrigin::Assumed),
        (Pm::Npm, _) => (Ver(10, 0, 0), VersionOrigin::Assumed),
        (Pm::Pnpm, _) => (Ver(9, 0, 0), VersionOrigin::Assumed),
        (Pm::Bun, _) => (Ver(1, 2, 0), VersionOrigin::Assumed),
    }
}

#[cfg(test)]
mod tests {
    use super::Ver;

    #[test]
    fn versions_parse_from_what_projects_write() {
        assert_eq!(Ver::parse("10.12.1"), Some(Ver(10, 12, 1)));
        assert_eq!(Ver::parse("^10.2"), Some(Ver(10, 2, 0)));
        assert_eq!(Ver::parse(">=9"), Some(Ver(9, 0, 0)));
        assert_eq!(Ver::parse("11.0.0-rc.1"), Some(Ver(11, 0, 0)));
        assert_eq!(Ver::parse("latest"), None);
        assert!(Ver(11, 10, 0).at_least(11, 10, 0));
        assert!(!Ver(11, 9, 9).at_least(11, 10, 0));
    }
}
