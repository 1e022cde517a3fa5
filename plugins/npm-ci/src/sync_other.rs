//! The frozen-install check of pnpm, yarn and bun, reproduced statically.
//!
//! - pnpm (`pnpm install --frozen-lockfile`): each importer's specifiers must equal the
//!   package.json's dependencies, devDependencies and optionalDependencies exactly (peer
//!   dependencies too with `autoInstallPeers`), each in the same field.
//! - bun (`bun install --frozen-lockfile`): the packages it locks must not change: each
//!   dependency locked at a version its range allows, and none removed that nothing else
//!   needs (the specs bun.lock records need not equal package.json's).
//! - yarn berry (`yarn install --immutable`): every descriptor of every workspace must have a
//!   lockfile entry, and the workspace's entry must list the same dependencies.
//! - yarn classic (`yarn install --frozen-lockfile`): every `name@range` must be a key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use chainward_core::project::join;
use chainward_core::yaml::{self, Yaml};
use chainward_core::{FileKind, Finding, Project, Severity, SourceFile};
use chainward_npm::lockfile::{ImporterDep, LockFormat, Lockfile};
use chainward_npm::query::descriptor_candidates;
use chainward_npm::yarn::berry_descriptor;
use chainward_npm::{PackageJson, Section, Spec, classify, package_json};

use crate::sync::LOCKFILE_OUT_OF_SYNC;

/// The workspace members covered by the lockfile in `dir`: `(relative folder, package.json)`,
/// the root first.
fn members(project: &Project, dir: &Path, format: &LockFormat) -> Vec<(String, Arc<SourceFile>)> {
    let Some(root) = project.file_at(&join(dir, "package.json")) else {
        return Vec::new();
    };
    let manager = if matches!(format, LockFormat::Pnpm(_)) {
        "pnpm"
    } else {
        "other"
    };
    let workspaces = chainward_npm::workspaces::Workspaces::of_root(project, dir, manager);
    let mut out = vec![(String::new(), root)];
    for manifest in project.files_of(FileKind::PackageJson) {
        let Some(folder) = manifest.path.parent() else {
            continue;
        };
        let rel = if dir.as_os_str().is_empty() || dir == Path::new(".") {
            folder.to_path_buf()
        } else {
            match folder.strip_prefix(dir) {
                Ok(r) => r.to_path_buf(),
                Err(_) => continue,
            }
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if !workspaces.contains(&rel) {
            continue;
        }
        out.push((rel, manifest.clone()));
    }
    out
}

/// The manifest's specs in one field, in file order.
fn field(pj: &PackageJson, section: Section) -> Vec<(String, String, std::ops::Range<usize>)> {
    pj.deps(section)
        .into_iter()
        .filter_map(|e| Some((e.name.to_string(), e.spec?.to_string(), e.spec_span)))
        .collect()
}

/// A workspace member that declares dependencies and that the lockfile has no importer for.
fn no_importer(
    lock: &Lockfile,
    lock_name: &str,
    rel: &str,
    manifest: &SourceFile,
    pj: &PackageJson,
) -> Finding {
    let span = pj
        .json
        .member("name")
        .map_or(0..1, |m| m.value.span.clone());
    Finding::new(
        &LOCKFILE_OUT_OF_SYNC,
        manifest,
        span,
        format!(
            "{lock_name} has no importer for {}: a frozen install fails",
            importer_label(rel)
        ),
    )
    .with_help(fix_help(lock))
}

/// A dependency the lockfile records for the importer at `rel` that its package.json no longer
/// declares; `why` ends the message.
fn no_longer_declared(
    lock: &Lockfile,
    lock_name: &str,
    rel: &str,
    manifest: &SourceFile,
    pj: &PackageJson,
    dep: &ImporterDep,
    why: &str,
) -> Finding {
    let span = pj
        .json
        .member(dep.section.key())
        .map_or(0..1, |m| m.key_span.clone());
    Finding::new(
        &LOCKFILE_OUT_OF_SYNC,
        manifest,
        span,
        format!(
            "{lock_name} records `{}@{}` for {}, which package.json no longer declares{why}",
            dep.name,
            dep.specifier.as_deref().unwrap_or("?"),
            importer_label(rel)
        ),
    )
    .with_help(fix_help(lock))
}

/// `the root package` or `` `packages/a` ``.
fn importer_label(rel: &str) -> String {
    if rel.is_empty() {
        "the root package".into()
    } else {
        format!("`{rel}`")
    }
}

/// The one command of the lockfile's own package manager that brings it back in sync.
fn fix_help(lock: &Lockfile) -> &'static str {
    match &lock.format {
        LockFormat::Pnpm(_) => {
            "run `pnpm install --lockfile-only --ignore-scripts` and commit pnpm-lock.yaml"
        }
        LockFormat::YarnBerry(_) => {
            "run `yarn install --mode=update-lockfile` and commit yarn.lock"
        }
        LockFormat::YarnClassic => "run `yarn install --ignore-scripts` and commit yarn.lock",
        LockFormat::Bun(_) => "run `bun install --lockfile-only` and commit bun.lock",
        LockFormat::Npm(_) => {
            "run `npm install --package-lock-only --ignore-scripts` and commit the lockfile"
        }
    }
}

pub(crate) fn check(project: &Project, file: &SourceFile, lock: &Lockfile, out: &mut Vec<Finding>) {
    let dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let lock_name = file.path.file_name().map_or_else(
        || "the lockfile".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let members = members(project, &dir, &lock.format);
    let member_names: BTreeSet<&str> = members
        .iter()
        .filter_map(|(_, m)| package_json(m).and_then(PackageJson::name))
        .collect();
    // pnpm rewrites a direct dependency's spec with the override that names it.
    let overrides = match (&lock.format, members.first()) {
        (LockFormat::Pnpm(_), Some((_, root))) => package_json(root)
            .map(|pj| {
                let ws_file = project.file_at(&join(&dir, "pnpm-workspace.yaml"));
                pnpm_overrides(pj, ws_file.as_ref().and_then(|f| yaml::parsed(f)))
            })
            .unwrap_or_default(),
        _ => BTreeMap::new(),
    };
    for (rel, manifest) in &members {
        let Some(pj) = package_json(manifest) else {
            continue;
        };
        match &lock.format {
            LockFormat::YarnClassic => {
                yarn_classic(lock, &lock_name, manifest, pj, &member_names, out)
            }
            LockFormat::YarnBerry(_) => {
                yarn_berry(project, &dir, lock, &lock_name, rel, manifest, pj, out)
            }
            LockFormat::Pnpm(_) => exact(lock, &lock_name, rel, manifest, pj, &overrides, out),
            LockFormat::Bun(_) => {
                let root = members.first().and_then(|(_, m)| package_json(m));
                bun(lock, file, &lock_name, rel, manifest, pj, root, out)
            }
            LockFormat::Npm(_) => {}
        }
    }
    if matches!(lock.format, LockFormat::Pnpm(_)) {
        catalogs(project, &dir, file, lock, out);
        if let Some((_, root)) = members.first() {
            pnpm_config(project, &dir, root, file, lock, out);
        }
    }
}

/// pnpm refuses a frozen install when the `overrides` or `patchedDependencies` it is configured
/// with (package.json's `pnpm` field, its `resolutions`, pnpm-workspace.yaml) differ from what
/// the lockfile records (`ERR_PNPM_LOCKFILE_CONFIG_MISMATCH`).
fn pnpm_config(
    project: &Project,
    dir: &Path,
    root: &SourceFile,
    file: &SourceFile,
    lock: &Lockfile,
    out: &mut Vec<Finding>,
) {
    let Some(pj) = package_json(root) else { return };
    let ws_file = project.file_at(&join(dir, "pnpm-workspace.yaml"));
    let ws = ws_file.as_ref().and_then(|f| yaml::parsed(f));
    let overrides = pnpm_overrides(pj, ws);
    let (from_manifest, from_workspace) = pnpm_sources(pj);
    let mut patched: Vec<String> = Vec::new();
    if from_manifest {
        patched.extend(
            pj.json
                .pointer(&["pnpm", "patchedDependencies"])
                .and_then(|p| p.as_object())
                .map(|m| m.iter().map(|m| m.key.clone()).collect::<Vec<_>>())
                .unwrap_or_default(),
        );
    }
    if from_workspace && let Some(map) = ws.and_then(|d| d.get("patchedDependencies")) {
        patched.extend(map.entries().map(|(k, _)| k.to_string()));
    }
    patched.sort();
    patched.dedup();
    let mut recorded = lock.patched.clone();
    recorded.sort();
    let show = |m: &BTreeMap<String, String>| {
        if m.is_empty() {
            "none".to_string()
        } else {
            let items: Vec<String> = m.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            format!("{{{}}}", items.join(", "))
        }
    };
    if overrides != lock.overrides {
        out.push(
            Finding::new(&LOCKFILE_OUT_OF_SYNC, file, 0..0, format!(
                "pnpm is configured with the overrides {} but pnpm-lock.yaml was made with {}: a frozen install fails (ERR_PNPM_LOCKFILE_CONFIG_MISMATCH)",
                show(&overrides),
                show(&lock.overrides)
            ))
            .with_help(fix_help(lock)),
        );
    }
    if patched != recorded {
        out.push(
            Finding::new(&LOCKFILE_OUT_OF_SYNC, file, 0..0, format!(
                "pnpm is configured to patch [{}] but pnpm-lock.yaml records patches for [{}]: a frozen install fails (ERR_PNPM_LOCKFILE_CONFIG_MISMATCH)",
                patched.join(", "),
                recorded.join(", ")
            ))
            .with_help(fix_help(lock)),
        );
    }
}

/// Where the pnpm the project declares reads `overrides` and `patchedDependencies` from:
/// `(package.json, pnpm-workspace.yaml)`. pnpm 9 reads only package.json (`pnpm` field and
/// `resolutions`), pnpm 10 both, pnpm 11 only pnpm-workspace.yaml. Unknown: both.
fn pnpm_sources(pj: &PackageJson) -> (bool, bool) {
    match pj.manager_major("pnpm") {
        Some(major) if major <= 9 => (true, false),
        Some(10) | None => (true, true),
        Some(_) => (false, true),
    }
}

/// The `overrides` pnpm is configured with (selector → spec), from the sources its version reads,
/// `catalog:` values resolved to the catalog's spec as pnpm records them.
fn pnpm_overrides(pj: &PackageJson, ws: Option<&Yaml>) -> BTreeMap<String, String> {
    let (from_manifest, from_workspace) = pnpm_sources(pj);
    let mut overrides: BTreeMap<String, String> = BTreeMap::new();
    for section in [Section::Resolutions, Section::PnpmOverrides]
        .into_iter()
        .filter(|_| from_manifest)
    {
        for e in pj.deps(section) {
            if let Some(spec) = e.spec {
                overrides.insert(e.key.to_string(), spec.to_string());
            }
        }
    }
    if from_workspace && let Some(map) = ws.and_then(|d| d.get("overrides")) {
        for (k, v) in map.entries() {
            if let Some(spec) = v.as_str() {
                overrides.insert(k.to_string(), spec.to_string());
            }
        }
    }
    // `$name` stands for the root's own spec of `name` (pnpm resolves it before recording).
    let root_spec = |name: &str| {
        [
            Section::Dependencies,
            Section::DevDependencies,
            Section::OptionalDependencies,
        ]
        .into_iter()
        .flat_map(|section| field(pj, section))
        .find(|(n, _, _)| n == name)
        .map(|(_, spec, _)| spec)
    };
    for spec in overrides.values_mut() {
        if let Some(reference) = spec.strip_prefix('$')
            && let Some(resolved) = root_spec(reference)
        {
            *spec = resolved;
        }
    }
    // An override of `catalog:` (or `catalog:<name>`) is recorded as the catalog's spec for the
    // package it overrides (the last name of `a>b@range`).
    for (selector, spec) in overrides.iter_mut() {
        let Some(catalog) = spec.strip_prefix("catalog:") else {
            continue;
        };
        let target = selector.rsplit('>').next().unwrap_or(selector);
        // `@scope/name@range`: the `@` of the range, not of the scope.
        let name = match target.char_indices().skip(1).find(|&(_, c)| c == '@') {
            Some((at, _)) => &target[..at],
            None => target,
        };
        let entries = match catalog {
            "" | "default" => ws.and_then(|d| {
                d.get("catalog")
                    .or_else(|| d.get("catalogs").and_then(|c| c.get("default")))
            }),
            other => ws.and_then(|d| d.get("catalogs").and_then(|c| c.get(other))),
        };
        if let Some(resolved) = entries.and_then(|e| e.get(name)).and_then(Yaml::as_str) {
            *spec = resolved.to_string();
        }
    }
    overrides
}

/// bun: a frozen install fails when the packages it would lock change, not when the specs the
/// lockfile records do (bun 1.2.23, 1.3.5 and 1.4.5, 2026-12-07): a spec the locked version
/// still satisfies (`^1.3.0` recorded, `^1.2.0`, `~1.3.0`, `1.3.0`, `*` declared), or one
/// removed that another package still depends on, is accepted; a dependency added that nothing
/// locks, a range the locked version does not satisfy, or one removed that nothing else needs
/// fail. A dependency moved to another field, or a dist-tag, bun resolves again from the
/// registry (accepted while the registry still answers the locked version): not reported.
/// Every field counts, peers too (bun installs them).
#[allow(clippy::too_many_arguments)]
fn bun(
    lock: &Lockfile,
    file: &SourceFile,
    lock_name: &str,
    rel: &str,
    manifest: &SourceFile,
    pj: &PackageJson,
    root: Option<&PackageJson>,
    out: &mut Vec<Finding>,
) {
    let sections = [
        Section::Dependencies,
        Section::DevDependencies,
        Section::OptionalDependencies,
        Section::PeerDependencies,
    ];
    let declared: Vec<_> = sections
        .into_iter()
        .flat_map(|section| field(pj, section).into_iter().map(move |d| (section, d)))
        .collect();
    let Some(importer) = lock.importers.get(rel) else {
        if !declared.is_empty() {
            out.push(no_importer(lock, lock_name, rel, manifest, pj));
        }
        return;
    };
    let member = pj.name().filter(|_| !rel.is_empty());
    // Names an override or resolution of the root replaces: their locked version follows it.
    let replaced: BTreeSet<&str> = root
        .into_iter()
        .flat_map(|r| {
            r.deps(Section::Overrides)
                .into_iter()
                .chain(r.deps(Section::Resolutions))
        })
        .map(|e| e.name)
        .collect();
    for (section, (name, spec, span)) in &declared {
        let optional_peer = *section == Section::PeerDependencies
            && pj
                .json
                .pointer(&["peerDependenciesMeta", name, "optional"])
                .and_then(|v| v.as_bool())
                == Some(true);
        match lock.bun_package(member, name) {
            None if optional_peer => {}
            None => out.push(
                Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span.clone(), format!(
                    "`{name}@{spec}` is not in {lock_name}: `bun install --frozen-lockfile` fails"
                ))
                .with_help(fix_help(lock)),
            ),
            Some(pkg) => {
                // Only a plain version or range is judged; bun keeps the locked package for a
                // tag, an alias of it, or any spec it satisfies.
                let Some(version) = lock.version(pkg) else {
                    continue;
                };
                if !replaced.contains(name.as_str())
                    && chainward_npm::spec::spec_allows(spec, version) == Some(false)
                {
                    out.push(
                        Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span.clone(), format!(
                            "{lock_name} locks `{name}` at {version}, which `{spec}` does not allow: bun resolves it again, so `bun install --frozen-lockfile` fails"
                        ))
                        .with_help(fix_help(lock)),
                    );
                }
            }
        }
    }
    let text = file.text().unwrap_or_default();
    for dep in &importer.deps {
        let name = dep.name.as_str();
        if declared.iter().any(|(_, (n, _, _))| n == name)
            || still_needed(lock, text, rel, member, name)
        {
            continue;
        }
        out.push(no_longer_declared(
            lock,
            lock_name,
            rel,
            manifest,
            pj,
            dep,
            ", and nothing else in the lockfile needs it: `bun install --frozen-lockfile` fails",
        ));
    }
}

/// Whether bun keeps `name`'s locked package without the workspace at `rel` (a member named
/// `member`) declaring it: another workspace, or a locked package, still depends on that very
/// copy (its `peerDependencies` too, which the model does not keep: looked for in the text).
/// An edge with a nested copy of its own (`<key>/<name>`), or a range the copy does not
/// satisfy, does not keep it: bun would lock another version where it was (seen with bun 1.4.5:
/// `is-odd` depending on `is-number@^3` beside a root's `is-number@7`).
fn still_needed(lock: &Lockfile, text: &str, rel: &str, member: Option<&str>, name: &str) -> bool {
    if member.is_some_and(|m| lock.package_by_key(&format!("{m}/{name}")).is_some()) {
        return false; // the member's own copy goes
    }
    let Some(copy) = lock.package_by_key(name) else {
        return false;
    };
    let version = lock.version(copy);
    let fits = |spec: &str| {
        version.is_none_or(|v| chainward_npm::spec::spec_allows(spec, v) != Some(false))
    };
    let reaches = |pkg: &chainward_npm::lockfile::Package| {
        lock.package_by_key(&format!("{}/{name}", lock.key(pkg)))
            .is_none()
    };
    if lock.importers.iter().any(|(other, imp)| {
        other != rel
            && imp
                .dep(name)
                .is_some_and(|d| d.specifier.as_deref().is_none_or(fits))
    }) {
        return true;
    }
    if lock
        .packages
        .iter()
        .any(|pkg| reaches(pkg) && lock.edges(pkg).any(|(dep, spec)| dep == name && fits(spec)))
    {
        return true;
    }
    // bun writes each package on one line: its key, then its tuple.
    let quoted = format!("\"{name}\": \"");
    lock.packages.iter().filter(|pkg| reaches(pkg)).any(|pkg| {
        let line = text.get(pkg.span.range().end..).unwrap_or_default();
        let line = line.split('\n').next().unwrap_or_default();
        line.split("\"peerDependencies\"").skip(1).any(|rest| {
            let object = rest.split('}').next().unwrap_or_default();
            object
                .split(&quoted)
                .skip(1)
                .any(|spec| fits(spec.split('"').next().unwrap_or_default()))
        })
    })
}

/// pnpm: the recorded specs must equal package.json's.
fn exact(
    lock: &Lockfile,
    lock_name: &str,
    rel: &str,
    manifest: &SourceFile,
    pj: &PackageJson,
    overrides: &BTreeMap<String, String>,
    out: &mut Vec<Finding>,
) {
    // pnpm installs peer dependencies (autoInstallPeers) and records them among the
    // importer's specifiers.
    let peers = lock
        .settings
        .get("autoInstallPeers")
        .is_none_or(|v| v == "true");
    // name → (spec, span, field): one spec per name, later fields winning as in pnpm's object
    // spread.
    type Declared = BTreeMap<String, (String, std::ops::Range<usize>, Section)>;
    let mut declared: Declared = BTreeMap::new();
    if peers {
        for (name, spec, span) in field(pj, Section::PeerDependencies) {
            declared.insert(name, (spec, span, Section::Dependencies));
        }
    }
    for section in [
        Section::DevDependencies,
        Section::Dependencies,
        Section::OptionalDependencies,
    ] {
        for (name, spec, span) in field(pj, section) {
            declared.insert(name, (spec, span, section));
        }
    }
    // pnpm (10.14+) installs the runtime `devEngines.runtime` names with `onFail: "download"` as
    // a dev dependency `node: runtime:<version>`.
    for (name, spec, span) in runtime_dependencies(pj) {
        declared.insert(name, (spec, span, Section::DevDependencies));
    }
    let Some(importer) = lock.importers.get(rel) else {
        // pnpm accepts a member without dependencies that has no importer yet.
        if !declared.is_empty() {
            out.push(no_importer(lock, lock_name, rel, manifest, pj));
        }
        return;
    };
    // The overrides that name a dependency directly (`name`, `name@range`; not `parent>name`):
    // pnpm records the override's spec instead of package.json's. A ranged selector applies
    // only when the declared range is within it, which is not evaluated here: either spec is
    // accepted. `-` removes the dependency.
    let overridden = |name: &str| -> Vec<&str> {
        overrides
            .iter()
            .filter(|(selector, _)| {
                !selector.contains('>')
                    && (selector.as_str() == name
                        || selector
                            .strip_prefix(name)
                            .is_some_and(|rest| rest.starts_with('@')))
            })
            .map(|(_, spec)| spec.as_str())
            .collect()
    };
    for (name, (spec, span, section)) in &declared {
        let replaced = overridden(name);
        match importer.dep(name) {
            None if replaced.contains(&"-") => {}
            Some(dep)
                if dep
                    .specifier
                    .as_deref()
                    .is_some_and(|locked| replaced.contains(&locked)) => {}
            None => out.push(
                Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span.clone(), format!(
                    "`{name}@{spec}` is not in {lock_name}: `pnpm install --frozen-lockfile` fails"
                ))
                .with_help(fix_help(lock)),
            ),
            Some(dep) if dep.specifier.as_deref() != Some(spec.as_str()) => out.push(
                Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span.clone(), format!(
                    "`{name}` is `{spec}` in package.json but `{}` in {lock_name}: pnpm requires the exact spec, so a frozen install fails",
                    dep.specifier.as_deref().unwrap_or("?")
                ))
                .with_help(fix_help(lock)),
            ),
            Some(dep) if dep.section != *section => out.push(
                Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span.clone(), format!(
                    "`{name}` is in `{}` in package.json but in `{}` in {lock_name}: a frozen install fails",
                    section.key(),
                    dep.section.key()
                ))
                .with_help(fix_help(lock)),
            ),
            Some(_) => {}
        }
    }
    for dep in &importer.deps {
        if declared.contains_key(dep.name.as_str()) {
            continue;
        }
        out.push(no_longer_declared(
            lock,
            lock_name,
            rel,
            manifest,
            pj,
            dep,
            ": a frozen install fails",
        ));
    }
}

/// `devEngines.runtime` entries (one object or an array) that pnpm downloads and records as a
/// dev dependency: `(name, "runtime:<version>", span)`.
fn runtime_dependencies(pj: &PackageJson) -> Vec<(String, String, std::ops::Range<usize>)> {
    let Some(runtime) = pj.json.pointer(&["devEngines", "runtime"]) else {
        return Vec::new();
    };
    let entries: Vec<&chainward_core::json::Json> = match runtime.as_array() {
        Some(items) => items.iter().collect(),
        None => vec![runtime],
    };
    entries
        .into_iter()
        .filter(|e| e.get("onFail").and_then(|v| v.as_str()) == Some("download"))
        .filter_map(|e| {
            let name = e.get("name")?.as_str()?;
            let version = e.get("version")?.as_str()?;
            Some((
                name.to_string(),
                format!("runtime:{version}"),
                e.span.clone(),
            ))
        })
        .collect()
}

/// The range a yarn `catalog:` / `catalog:<name>` spec stands for, from .yarnrc.yml.
fn yarn_catalog(project: &Project, dir: &Path, spec: &str, name: &str) -> Option<String> {
    let catalog = spec.strip_prefix("catalog:")?;
    let rc = project.file_at(&join(dir, ".yarnrc.yml"))?;
    let doc = yaml::parsed(&rc)?;
    let entries = if catalog.is_empty() || catalog == "default" {
        doc.get("catalog")
    } else {
        doc.get("catalogs").and_then(|c| c.get(catalog))
    }?;
    entries.get(name)?.as_str().map(str::to_string)
}

/// yarn berry: every descriptor has an entry, and the workspace entry lists the same specs.
#[allow(clippy::too_many_arguments)]
fn yarn_berry(
    project: &Project,
    dir: &Path,
    lock: &Lockfile,
    lock_name: &str,
    rel: &str,
    manifest: &SourceFile,
    pj: &PackageJson,
    out: &mut Vec<Finding>,
) {
    // The root's `resolutions` replace a dependency's range before yarn looks it up: `name`
    // for every descriptor of it, `name@range` for that one. (`parent/child` selectors apply
    // to transitive dependencies only.)
    let root_manifest = project.file_at(&join(dir, "package.json"));
    let resolutions: Vec<(String, String)> = root_manifest
        .as_deref()
        .and_then(package_json)
        .map(|root| {
            root.deps(Section::Resolutions)
                .into_iter()
                .filter_map(|e| Some((e.key.to_string(), e.spec?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let resolved = |name: &str, range: &str| -> Vec<String> {
        resolutions
            .iter()
            .filter(|(selector, _)| {
                let selector = selector.as_str();
                selector == name
                    || selector == format!("{name}@{range}")
                    || selector == berry_descriptor(name, range)
            })
            .map(|(_, spec)| berry_descriptor(name, spec))
            .collect()
    };
    let importer = lock.importers.get(rel);
    let mut declared = BTreeSet::new();
    // A name in both `dependencies` and `devDependencies` is locked by the latter's range.
    let dev_names: BTreeSet<String> = field(pj, Section::DevDependencies)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect();
    for section in [
        Section::Dependencies,
        Section::DevDependencies,
        Section::OptionalDependencies,
    ] {
        for (name, spec, span) in field(pj, section) {
            declared.insert(name.clone());
            if section == Section::Dependencies && dev_names.contains(&name) {
                continue;
            }
            if matches!(classify(&spec), Spec::Git { .. } | Spec::Url { .. }) && !spec.contains(':')
            {
                out.push(
                    Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span, format!(
                        "cannot be judged offline: yarn rewrites the spec `{spec}` of `{name}` before looking it up"
                    ))
                    .with_severity(Severity::Info),
                );
                continue;
            }
            // `catalog:` specs are looked up in .yarnrc.yml's catalogs, as yarn does.
            let range = if spec.starts_with("catalog:") {
                match yarn_catalog(project, dir, &spec, &name) {
                    Some(range) => range,
                    None => {
                        out.push(
                            Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span, format!(
                                "`{name}@{spec}` names no entry of a catalog in .yarnrc.yml: `yarn install` fails"
                            )),
                        );
                        continue;
                    }
                }
            } else {
                spec.clone()
            };
            let descriptor = berry_descriptor(&name, &range);
            let candidates = descriptor_candidates(&lock.format, &name, &range);
            // Keys of local sources (`portal:`, `link:`, `file:`) carry the workspace that
            // declared them (`foo@portal:./lib::locator=root%40workspace%3A.`): looked up
            // without it too.
            let known = |d: &String| lock.has_descriptor(d, true);
            if !candidates.iter().any(known) && !resolved(&name, &range).iter().any(known) {
                out.push(
                    Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span, format!(
                        "`{descriptor}` has no entry in {lock_name}: `yarn install --immutable` fails"
                    ))
                    .with_help(fix_help(lock)),
                );
            }
        }
    }
    if let Some(importer) = importer {
        for dep in &importer.deps {
            if !declared.contains(dep.name.as_str()) {
                let span = pj
                    .json
                    .member("name")
                    .map_or(0..1, |m| m.value.span.clone());
                out.push(
                    Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span, format!(
                        "{lock_name} lists `{}` as a dependency of this workspace, which package.json no longer declares: `yarn install --immutable` fails",
                        dep.name
                    ))
                    .with_help(fix_help(lock)),
                );
            }
        }
    } else if !rel.is_empty() {
        let span = pj
            .json
            .member("name")
            .map_or(0..1, |m| m.value.span.clone());
        out.push(
            Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span, format!("workspace `{rel}` has no entry in {lock_name}: `yarn install --immutable` fails"))
                .with_help(fix_help(lock)),
        );
    }
}

/// yarn classic: every `name@range` of the manifest is a key of yarn.lock (workspace members
/// are linked, not locked).
fn yarn_classic(
    lock: &Lockfile,
    lock_name: &str,
    manifest: &SourceFile,
    pj: &PackageJson,
    members: &BTreeSet<&str>,
    out: &mut Vec<Finding>,
) {
    for section in [
        Section::Dependencies,
        Section::DevDependencies,
        Section::OptionalDependencies,
    ] {
        for (name, spec, span) in field(pj, section) {
            if members.contains(name.as_str()) {
                continue;
            }
            let descriptor = format!("{name}@{spec}");
            if !lock.has_descriptor(&descriptor, false) {
                out.push(
                    Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, span, format!(
                        "`{descriptor}` has no entry in {lock_name}: `yarn install --frozen-lockfile` fails"
                    ))
                    .with_help(fix_help(lock)),
                );
            }
        }
    }
}

/// pnpm catalogs: the lockfile's `catalogs` against pnpm-workspace.yaml. pnpm 9's frozen
/// install accepts a changed catalog spec (it re-resolves nothing), so a mismatch is `info`.
fn catalogs(
    project: &Project,
    dir: &Path,
    file: &SourceFile,
    lock: &Lockfile,
    out: &mut Vec<Finding>,
) {
    if lock.catalogs.is_empty() {
        return;
    }
    let Some(ws) = project.file_at(&join(dir, "pnpm-workspace.yaml")) else {
        return;
    };
    let Some(doc) = yaml::parsed(&ws) else { return };
    for (catalog, entries) in &lock.catalogs {
        let node = if catalog == "default" {
            doc.get("catalog")
                .or_else(|| doc.get("catalogs").and_then(|c| c.get("default")))
        } else {
            doc.get("catalogs").and_then(|c| c.get(catalog))
        };
        for (name, entry) in entries {
            let declared = node.and_then(|n| n.get(name)).and_then(Yaml::as_str);
            if declared != Some(entry.specifier.as_str()) {
                out.push(
                    Finding::new(&LOCKFILE_OUT_OF_SYNC, file, entry.span.clone(), format!(
                        "catalog `{catalog}` entry `{name}` is `{}` in pnpm-workspace.yaml but `{}` in the lockfile; pnpm 9's frozen install accepts this, `pnpm install` would rewrite it",
                        declared.unwrap_or("(missing)"),
                        entry.specifier
                    ))
                    .with_severity(Severity::Info),
                );
            }
        }
    }
}
