//! One way to ask any lockfile what it installs, so that rules do not branch on the format:
//! which version an importer's dependency gets ([`AnyLock::locked`]), the one version of a
//! package the whole lockfile installs ([`AnyLock::single_version`]), and the spec the lockfile
//! recorded for a dependency ([`AnyLock::recorded_spec`]). A format fix lands here once.

use std::ops::Range;
use std::path::{Path, PathBuf};

use chainward_core::project::join;

use crate::lockfile::{AnyLock, CatalogEntry, LockFormat, PackageView, Span, split_name};
use crate::manifest::Section;
use crate::yarn::berry_descriptor;

/// What a lockfile installs for one dependency of one importer.
#[derive(Debug, Clone, PartialEq)]
pub struct Locked<'a> {
    /// The version installed (`2.1.3`: without pnpm's peer suffix or an alias's name).
    pub version: String,
    /// The package installed: the dependency's name, or an alias's target.
    pub name: String,
    /// npm: the install folder (`node_modules/x`); the other formats: the entry's key.
    pub key: &'a str,
    /// What else must change in the lockfile when package.json's spec changes.
    pub record: Record,
}

/// How the lockfile records an importer's spec, which a change of that spec must follow.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// npm: the root's record in `packages[""]` (edited with the spec, see the pin fix).
    Npm,
    /// pnpm compares the recorded spec (here, at this span of the lockfile) with package.json,
    /// and bun records it: both change together.
    Spec(Range<usize>),
    /// yarn keys its entries by descriptor: only yarn itself rewrites them faithfully.
    Descriptor,
}

/// Why a dependency has no locked version.
#[derive(Debug, Clone, PartialEq)]
pub enum NotLocked {
    /// No entry for it: the lockfile is out of sync.
    Missing,
    /// The recorded spec differs from package.json's: the lockfile is out of sync.
    Stale,
    /// An entry without a version (its key).
    NoVersion(String),
}

impl<'a> AnyLock<'a> {
    /// What the lockfile installs for `name`, declared as `spec` by the importer at `importer`
    /// (`""` for the root; `member` is that importer's package name, which bun keys nested
    /// copies by).
    pub fn locked(
        &self,
        importer: &str,
        member: Option<&str>,
        name: &str,
        spec: &str,
    ) -> Result<Locked<'a>, NotLocked> {
        match *self {
            AnyLock::Npm(lf) => {
                let (key, pkg) = lf.resolve(importer, name).ok_or(NotLocked::Missing)?;
                let pkg = lf.follow_link(pkg);
                let version = pkg
                    .version()
                    .ok_or_else(|| NotLocked::NoVersion(key.to_string()))?;
                Ok(Locked {
                    version: version.to_string(),
                    name: pkg.name().unwrap_or(name).to_string(),
                    key,
                    record: Record::Npm,
                })
            }
            AnyLock::Other(lf) => match &lf.format {
                LockFormat::Pnpm(_) => {
                    let dep = lf
                        .importers
                        .get(importer)
                        .and_then(|i| i.dep(name))
                        .ok_or(NotLocked::Missing)?;
                    if dep.specifier.as_deref() != Some(spec) {
                        return Err(NotLocked::Stale);
                    }
                    let recorded = dep.version.as_deref().ok_or(NotLocked::Missing)?;
                    // `2.1.3(peer@1)` → `2.1.3`; an alias records `real@2.1.3`.
                    let bare = recorded.split('(').next().unwrap_or(recorded);
                    let (real, version) = split_name(bare).unwrap_or((name, bare));
                    Ok(Locked {
                        version: version.to_string(),
                        name: real.to_string(),
                        key: &dep.name,
                        record: Record::Spec(dep.span.clone()),
                    })
                }
                LockFormat::Bun(_) => {
                    let dep = lf
                        .importers
                        .get(importer)
                        .and_then(|i| i.dep(name))
                        .ok_or(NotLocked::Missing)?;
                    let pkg = lf
                        .bun_package(member.filter(|_| !importer.is_empty()), name)
                        .ok_or(NotLocked::Missing)?;
                    // bun keeps the locked package for any spec it satisfies, whatever spec
                    // the lockfile recorded (see npm-ci's bun check).
                    let version = lf.version(pkg).unwrap_or_default();
                    let satisfied = crate::spec::spec_allows(spec, version) == Some(true);
                    if dep.specifier.as_deref() != Some(spec) && !satisfied {
                        return Err(NotLocked::Stale);
                    }
                    Ok(Locked {
                        version: version.to_string(),
                        name: lf.name(pkg).to_string(),
                        key: lf.key(pkg),
                        record: Record::Spec(dep.span.clone()),
                    })
                }
                LockFormat::YarnClassic | LockFormat::YarnBerry(_) => {
                    let pkg = self.by_descriptor(name, spec).ok_or(NotLocked::Missing)?;
                    Ok(Locked {
                        version: pkg.version.to_string(),
                        name: pkg.name.to_string(),
                        key: pkg.key,
                        record: Record::Descriptor,
                    })
                }
                LockFormat::Npm(_) => Err(NotLocked::Missing),
            },
        }
    }

    /// A yarn lockfile's entry for the descriptor `name@spec`, as yarn looks it up: yarn 1 by
    /// `name@range`; yarn 2+ by `name@npm:range` (the default protocol added), or as written for
    /// a range a workspace satisfies (transparent workspaces). `None` for other formats.
    pub fn by_descriptor(&self, name: &str, spec: &str) -> Option<LockedEntry<'a>> {
        let AnyLock::Other(lf) = *self else {
            return None;
        };
        self.package_by_descriptor(name, spec).map(|p| LockedEntry {
            name: lf.name(p),
            version: lf.version(p).unwrap_or_default(),
            key: lf.key(p),
        })
    }

    fn package_by_descriptor(&self, name: &str, spec: &str) -> Option<&'a crate::Package> {
        let AnyLock::Other(lf) = *self else {
            return None;
        };
        // The first package in the lockfile's order that any candidate names.
        descriptor_candidates(&lf.format, name, spec)
            .iter()
            .filter_map(|c| lf.package_of_descriptor(c))
            .min()
            .and_then(|i| lf.packages.get(i))
    }

    /// The one version of `name` the lockfile installs anywhere (for overrides and
    /// resolutions): `Ok` with it, or `Err` with every version found (none, or several).
    pub fn single_version(&self, name: &str) -> Result<&'a str, Vec<&'a str>> {
        let mut versions: Vec<&'a str> = match *self {
            AnyLock::Npm(lf) => {
                let suffix = format!("node_modules/{name}");
                lf.packages
                    .iter()
                    .filter(|(key, pkg)| {
                        let folder_matches = key.ends_with(&suffix)
                            && (key.len() == suffix.len()
                                || key.as_bytes()[key.len() - suffix.len() - 1] == b'/');
                        (folder_matches && pkg.name().is_none_or(|n| n == name))
                            || (pkg.name() == Some(name) && key.contains("node_modules/"))
                    })
                    .filter_map(|(_, p)| p.version())
                    .collect()
            }
            AnyLock::Other(_) => self
                .iter_packages()
                .filter(|(_, p)| p.name == name && !p.link)
                .filter_map(|(_, p)| p.version)
                .collect(),
        };
        versions.sort_unstable();
        versions.dedup();
        match versions.as_slice() {
            [one] => Ok(one),
            _ => Err(versions),
        }
    }

    /// The spec the lockfile recorded for the importer's dependency `name` in `section`, where
    /// the format records one (pnpm, bun, npm's root; yarn classic does not).
    pub fn recorded_spec(&self, importer: &str, section: Section, name: &str) -> Option<&'a str> {
        match *self {
            AnyLock::Npm(lf) => lf.importer(importer)?.section(section)?.get(name),
            AnyLock::Other(lf) => lf
                .importers
                .get(importer)?
                .deps
                .iter()
                .find(|d| d.name == name && d.section == section)?
                .specifier
                .as_deref(),
        }
    }
}

impl<'a> AnyLock<'a> {
    /// Whether the lockfile installs the importer's dependency `name` (declared as `spec`) as a
    /// link to a folder of the project (a workspace sibling declared `"*"` or `^1`), not as a
    /// package fetched at some version: npm's `"link": true` entry, pnpm's `link:` version,
    /// yarn berry's and bun's `workspace:` resolution.
    pub fn links_to_project(&self, importer: &str, name: &str, spec: &str) -> bool {
        match *self {
            AnyLock::Npm(lf) => lf.resolve(importer, name).is_some_and(|(_, p)| p.link),
            AnyLock::Other(lf) => match &lf.format {
                LockFormat::Pnpm(_) => lf
                    .importers
                    .get(importer)
                    .and_then(|i| i.dep(name))
                    .and_then(|d| d.version.as_deref())
                    .is_some_and(|v| v.starts_with("link:")),
                LockFormat::YarnBerry(_) | LockFormat::YarnClassic => self
                    .package_by_descriptor(name, spec)
                    .is_some_and(|p| p.link),
                LockFormat::Bun(_) => lf.package_by_key(name).is_some_and(|p| p.link),
                LockFormat::Npm(_) => false,
            },
        }
    }

    /// The spec the package manager installs the dependency by, where it records one that is not
    /// package.json's: pnpm records the spec an override replaced it with (`^1` overridden to
    /// `1.2.3` is recorded as `1.2.3`). `None` for the formats that record package.json's own.
    pub fn installed_by(&self, importer: &str, section: Section, name: &str) -> Option<&'a str> {
        match self {
            AnyLock::Other(lf) if matches!(lf.format, LockFormat::Pnpm(_)) => {
                self.recorded_spec(importer, section, name)
            }
            _ => None,
        }
    }

    /// Whether the lockfile was made with an override that replaces every dependency on `name`
    /// (pnpm's `overrides:` selector `name` or `name@range`; one scoped to a parent, `a>name`,
    /// does not apply to a project's own dependency).
    pub fn overrides_everywhere(&self, name: &str) -> bool {
        match self {
            AnyLock::Other(lf) => lf.overrides.keys().any(|selector| {
                if selector.contains('>') {
                    return false;
                }
                let bare = match selector.rfind('@') {
                    Some(at) if at > 0 => &selector[..at],
                    _ => selector.as_str(),
                };
                bare == name
            }),
            AnyLock::Npm(_) => false,
        }
    }
}

impl<'a> AnyLock<'a> {
    /// How findings name a locked package: npm entries by install path (`node_modules/a/node_modules/b`),
    /// the others by `name@version`.
    pub fn label(&self, pkg: &PackageView<'_>) -> String {
        match (self, pkg.version) {
            (AnyLock::Npm(_), _) => pkg.key.to_string(),
            (AnyLock::Other(_), Some(v)) => format!("{}@{v}", pkg.name),
            (AnyLock::Other(_), None) => pkg.name.to_string(),
        }
    }

    /// Where a field of the locked package `pkg` (the `index`-th of [`AnyLock::iter_packages`])
    /// is written in the lockfile's `text` (`resolved`, `integrity`, `hasInstallScript`…), or
    /// its entry where the field is not written or not located.
    pub fn field_span(
        &self,
        text: &str,
        index: usize,
        pkg: &PackageView<'_>,
        field: &str,
    ) -> Range<usize> {
        match self {
            AnyLock::Npm(npm) => npm
                .field_span(text, pkg.key, &[field])
                .or_else(|| npm.entry_span(pkg.key))
                .unwrap_or(0..0),
            AnyLock::Other(other) => {
                let Some(p) = other.packages.get(index) else {
                    return 0..0;
                };
                match field {
                    "resolved" => p.resolved_span.map(Span::range),
                    "integrity" => p.integrity_span.map(Span::range),
                    _ => None,
                }
                .unwrap_or_else(|| p.span.range())
            }
        }
    }

    /// Where the entry with this key (npm: install path; others: the lockfile's key) is.
    pub fn entry_span(&self, key: &str) -> Option<Range<usize>> {
        match self {
            AnyLock::Npm(npm) => npm.entry_span(key),
            AnyLock::Other(other) => other.package_by_key(key).map(|p| p.span.range()),
        }
    }
}

impl<'a> AnyLock<'a> {
    /// A pnpm catalog entry the lockfile records (`catalogs.<catalog>.<name>`); `None` for the
    /// formats without catalogs in the lockfile.
    pub fn catalog_entry(&self, catalog: &str, name: &str) -> Option<&'a CatalogEntry> {
        match self {
            AnyLock::Other(lf) => lf.catalogs.get(catalog)?.get(name),
            AnyLock::Npm(_) => None,
        }
    }
}

impl AnyLock<'_> {
    /// The folder (relative to the lockfile's) whose entries name the installed copies:
    /// pnpm's virtual store, `node_modules/.pnpm`.
    pub fn store_dir(&self) -> Option<&'static str> {
        matches!(self.format(), LockFormat::Pnpm(_)).then_some("node_modules/.pnpm")
    }

    /// Where an installed copy of the package would be, by layout, most specific first. `store`
    /// lists pnpm's virtual store (`node_modules/.pnpm`), whose folder names carry peer suffixes
    /// (`bcrypt@5.1.1_encoding@0.1.14`).
    pub fn installed_paths(
        &self,
        dir: &Path,
        pkg: &PackageView<'_>,
        store: &[String],
    ) -> Vec<PathBuf> {
        let version = pkg.version.unwrap_or_default();
        match self.format() {
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
}

/// How the dependency edges of a pnpm, yarn or bun lockfile find the entries they install
/// (links left out): pnpm by `name@version` key (peer suffixes dropped, aliases as
/// `real@version`), yarn by descriptor, bun by nested key, nearest scope first.
pub struct EdgeIndex<'a> {
    format: LockFormat,
    by_key: crate::FastMap<&'a str, usize>,
}

/// `2.1.3(peer@1)` → `2.1.3`.
fn strip_peers(key: &str) -> &str {
    key.find('(').map_or(key, |i| &key[..i])
}

/// bun's nested keys: `a/@s/b/c` → `a/@s/b`.
fn bun_parent(key: &str) -> &str {
    let mut segments = Vec::new();
    let mut rest = key;
    while !rest.is_empty() {
        let take = if rest.starts_with('@') {
            rest.match_indices('/')
                .nth(1)
                .map_or(rest.len(), |(i, _)| i)
        } else {
            rest.find('/').unwrap_or(rest.len())
        };
        segments.push(&rest[..take]);
        rest = rest[take..].strip_prefix('/').unwrap_or("");
    }
    segments.pop();
    let len: usize = segments.iter().map(|s| s.len() + 1).sum::<usize>();
    &key[..len.saturating_sub(1)]
}

impl crate::lockfile::Lockfile {
    /// The index its dependency edges are resolved with (see [`EdgeIndex`]).
    pub fn edge_index(&self) -> EdgeIndex<'_> {
        let mut by_key =
            crate::FastMap::with_capacity_and_hasher(self.packages.len() * 2, Default::default());
        for (i, p) in self.packages.iter().enumerate().filter(|(_, p)| !p.link) {
            let key = self.key(p);
            by_key.insert(strip_peers(key.strip_prefix('/').unwrap_or(key)), i);
            for d in self.descriptors(p) {
                by_key.insert(d, i);
            }
        }
        EdgeIndex {
            format: self.format.clone(),
            by_key,
        }
    }
}

impl EdgeIndex<'_> {
    /// The entry (an index of [`crate::lockfile::Lockfile::packages`]) that the dependency
    /// `name@spec` of the entry keyed `from` installs: `from` is the dependent's key, or a
    /// workspace member's package name (`""` for the root); only bun, whose keys nest, needs it.
    pub fn resolve(&self, from: &str, name: &str, spec: &str) -> Option<usize> {
        match self.format {
            LockFormat::Pnpm(_) => {
                let spec = strip_peers(spec);
                // An alias records the real package: `string-width-cjs: string-width@4.2.3`.
                let aliased =
                    split_name(spec).is_some() && !spec.starts_with(|c: char| c.is_ascii_digit());
                let key = if aliased {
                    spec.to_string()
                } else {
                    format!("{name}@{spec}")
                };
                self.by_key.get(key.as_str()).copied()
            }
            LockFormat::YarnClassic | LockFormat::YarnBerry(_) => {
                descriptor_candidates(&self.format, name, spec)
                    .iter()
                    .find_map(|d| self.by_key.get(d.as_str()).copied())
            }
            LockFormat::Bun(_) => {
                // Nested keys (`parent/name`) shadow the hoisted one, as node_modules does.
                let mut scope = from;
                loop {
                    let key = if scope.is_empty() {
                        name.to_string()
                    } else {
                        format!("{scope}/{name}")
                    };
                    if let Some(&i) = self.by_key.get(key.as_str()) {
                        return Some(i);
                    }
                    if scope.is_empty() {
                        return None;
                    }
                    scope = bun_parent(scope);
                }
            }
            LockFormat::Npm(_) => None,
        }
    }
}

/// The descriptors yarn looks `name@spec` up by, in its lockfile's keys: yarn 1 `name@range`;
/// yarn 2+ `name@npm:range` (the default protocol added), or as written for a range a workspace
/// satisfies (transparent workspaces). Empty for the other formats.
pub fn descriptor_candidates(format: &LockFormat, name: &str, spec: &str) -> Vec<String> {
    let written = format!("{name}@{spec}");
    match format {
        LockFormat::YarnClassic => vec![written],
        LockFormat::YarnBerry(_) => {
            let berry = berry_descriptor(name, spec);
            if berry == written {
                vec![written]
            } else {
                vec![berry, written]
            }
        }
        _ => Vec::new(),
    }
}

/// A yarn entry found by descriptor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LockedEntry<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub key: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::{FileKind, SourceFile};

    #[test]
    fn bun_keys_nest_by_name_segments() {
        assert_eq!(bun_parent("a/@s/b/c"), "a/@s/b");
        assert_eq!(bun_parent("@s/b/c"), "@s/b");
        assert_eq!(bun_parent("a"), "");
    }

    /// The same project locked by each package manager (fixtures/npm-ci/formats, each lockfile
    /// by its package manager): one question, one answer shape.
    #[test]
    fn every_format_answers_the_same_questions() {
        let cases = [
            ("pnpm-v9", "pnpm-lock.yaml", FileKind::PnpmLock),
            ("yarn-berry", "yarn.lock", FileKind::YarnLock),
            ("yarn-classic", "yarn.lock", FileKind::YarnLock),
            ("bun", "bun.lock", FileKind::BunLock),
        ];
        for (dir, name, kind) in cases {
            let path = format!(
                "{}/../../fixtures/npm-ci/formats/{dir}/{name}",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).expect("fixture");
            let file = SourceFile::in_memory(name, kind, text);
            let lock = crate::lockfile::any_lockfile(&file).expect("parses");
            let debug = lock
                .locked("", None, "debug", "^4.3.4")
                .unwrap_or_else(|e| panic!("{dir}: {e:?}"));
            assert!(
                crate::spec::satisfies(&debug.version, "^4.3.4") == Some(true),
                "{dir}: {debug:?}"
            );
            assert_eq!(debug.name, "debug", "{dir}");
            let expected_record = match kind {
                FileKind::YarnLock => matches!(debug.record, Record::Descriptor),
                _ => matches!(debug.record, Record::Spec(_)),
            };
            assert!(expected_record, "{dir}: {:?}", debug.record);
            assert_eq!(
                lock.locked("", None, "left-pad", "^1.0.0"),
                Err(NotLocked::Missing),
                "{dir}"
            );
            if kind == FileKind::PnpmLock {
                // A spec that is not the one recorded: pnpm's lockfile is stale.
                assert_eq!(
                    lock.locked("", None, "debug", "^4.0.0"),
                    Err(NotLocked::Stale),
                    "{dir}"
                );
            }
            if kind == FileKind::BunLock {
                // bun keeps the locked version for any spec it satisfies (bun 1.2 to 1.4), and
                // is stale for one it does not.
                assert_eq!(
                    lock.locked("", None, "debug", "^4.0.0").map(|l| l.version),
                    Ok(debug.version.clone()),
                    "{dir}"
                );
                assert_eq!(
                    lock.locked("", None, "debug", "^5.0.0"),
                    Err(NotLocked::Stale),
                    "{dir}"
                );
            }
            assert_eq!(
                lock.single_version("debug"),
                Ok(debug.version.as_str()),
                "{dir}"
            );
        }
    }
}
