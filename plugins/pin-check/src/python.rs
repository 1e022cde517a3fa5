//! Ranges in pyproject.toml: an application's requirements (a project that is not published to
//! PyPI) pinned to the exact versions its uv.lock installs, in pyproject.toml and in uv.lock's
//! record of them, so that `uv sync --locked` still accepts the lock.

use std::ops::Range;
use std::path::Path;

use chainward_core::workflow::{self, PYPI_PUBLISH_ACTION};
use chainward_core::{Edit, Finding, Fix, Project, SourceFile};
use chainward_python::pep508::{
    VersionReq, normalize_name, normalized_specifiers, parse_specifiers,
};
use chainward_python::pyproject::{Dep, DepOrigin};
use chainward_python::uvlock::{LockRequirement, UvLock};
use chainward_python::{pyproject, uv_lock};

use crate::Options;
use crate::manifest::RANGE_SPECIFIER;
use crate::role::Role;

/// Whether a workflow of the project uploads to PyPI (`pypa/gh-action-pypi-publish`, `uv
/// publish`, `twine upload`, `poetry publish`, …).
pub(crate) fn publishes_to_pypi(project: &Project) -> bool {
    project
        .files()
        .iter()
        .filter(|f| f.kind.is_workflow_model())
        .filter_map(|f| workflow::parsed(f))
        .any(|wf| {
            wf.steps().any(|(_, step)| {
                step.action == Some(PYPI_PUBLISH_ACTION)
                    || step.all_commands().any(workflow::is_pypi_publish)
            })
        })
}

fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The uv.lock that locks the project in `file`: in its folder, or in the nearest folder up
/// whose pyproject.toml names it a workspace member.
fn lock_of(project: &Project, file: &SourceFile) -> Option<std::sync::Arc<SourceFile>> {
    let mut dir = dir_of(&file.rel).to_string();
    let own = dir.clone();
    loop {
        let lock = project.file_at(&project.root.join(&dir).join("uv.lock"));
        if let Some(lock) = lock {
            if dir == own {
                return Some(lock);
            }
            let root = project.file_at(&project.root.join(&dir).join("pyproject.toml"))?;
            let ws = pyproject(&root)?.uv.workspace.as_ref()?;
            let rel = own
                .strip_prefix(&dir)
                .unwrap_or(&own)
                .trim_start_matches('/');
            let matches = |globs: &[String]| {
                chainward_python::pyproject::member_globs(globs)
                    .is_some_and(|set| set.is_match(Path::new(rel)))
            };
            return (matches(&ws.members) && !matches(&ws.exclude)).then_some(lock);
        }
        match dir.rsplit_once('/') {
            Some((up, _)) => dir = up.to_string(),
            None if !dir.is_empty() => dir = String::new(),
            None => return None,
        }
    }
}

pub(crate) fn check(project: &Project, file: &SourceFile, opts: &Options, out: &mut Vec<Finding>) {
    let Some(p) = pyproject(file) else { return };
    if !p.has_project {
        return;
    }
    let role = opts
        .roles
        .configured_for(file, p.name.as_deref())
        .unwrap_or_else(|| {
            if p.has_build_system && (p.has_index_metadata || publishes_to_pypi(project)) {
                Role::Library
            } else {
                Role::Application
            }
        });
    if role != Role::Application {
        project.note(format!(
            "pin-check: {} is published to PyPI ([build-system], and a workflow that uploads or classifiers/urls for the project page): ranges in its dependencies and extras are its users' to resolve and are not reported ([pin-check.roles] says otherwise)",
            file.rel
        ));
    }
    let lock_file = lock_of(project, file);
    let lock = lock_file.as_deref().and_then(uv_lock);
    let pylock_file = project.file_at(&project.root.join(dir_of(&file.rel)).join("pylock.toml"));
    let pylock = pylock_file.as_deref().and_then(chainward_python::pylock);
    let Ok(text) = file.text() else { return };
    let name = p.normalized_name();
    // How many times each name is declared (a name declared twice gets no fix).
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (_, d) in p.all_deps() {
        *counts.entry(normalize_name(&d.req.name)).or_default() += 1;
    }
    let declared = |n: &str| counts.get(n).copied().unwrap_or(0);
    // Sources: the project's own, the workspace root's (members inherit them), and the packages
    // the lock builds from the tree (workspace members).
    let root_sources: Vec<String> = lock_file
        .as_deref()
        .and_then(|l| {
            let dir = dir_of(&l.rel);
            project.file_at(&project.root.join(dir).join("pyproject.toml"))
        })
        .as_deref()
        .and_then(pyproject)
        .map(|r| r.uv.sources.iter().map(|(n, _)| n.clone()).collect())
        .unwrap_or_default();
    let sourced = |n: &str| {
        p.uv.sources.iter().any(|(s, _)| s == n)
            || root_sources.iter().any(|s| s == n)
            || lock.is_some_and(|l| l.named(n).any(|pkg| pkg.source.is_local()))
            // The project itself, with extras (`demo[cli,web]` in an `all` extra).
            || name.as_deref() == Some(n)
    };
    let records = std::sync::OnceLock::new();
    for (origin, dep) in p.all_deps() {
        if role != Role::Application && !matches!(origin, DepOrigin::Group(_)) {
            continue;
        }
        let req = &dep.req;
        let dep_name = normalize_name(&req.name);
        if sourced(&dep_name) || req.pinned_version().is_some() {
            continue;
        }
        if matches!(req.version, VersionReq::Url(_)) {
            continue;
        }
        let what = match origin {
            DepOrigin::Main => "dependencies".to_string(),
            DepOrigin::Extra(e) => format!("optional-dependencies.{e}"),
            DepOrigin::Group(g) => format!("dependency group `{g}`"),
        };
        let fix = match (lock, &lock_file, name.as_deref()) {
            (Some(lock), Some(lock_file), Some(member)) if declared(&dep_name) == 1 => pin_fix(
                file,
                text,
                dep,
                lock,
                lock_file,
                records.get_or_init(|| records_of(lock, member)),
                &dep_name,
            ),
            // A pylock.toml beside it (no requirements recorded there: pyproject.toml only).
            (None, _, _) if declared(&dep_name) == 1 => {
                pylock.and_then(|l| pylock_fix(file, text, dep, &l.lock, &dep_name))
            }
            _ => None,
        };
        let range = match &req.version {
            VersionReq::Specifiers(_) => text
                .get(dep.span.clone())
                .map(|_| format!("`{}`", &req_text(text, dep)))
                .unwrap_or_default(),
            _ => format!("`{}` (no version)", req_text(text, dep)),
        };
        let mut finding = Finding::new(
            &RANGE_SPECIFIER,
            file,
            dep.span.clone(),
            format!("{range} in {what} is a range: pip and uv install whatever matches"),
        );
        finding = match (&fix, lock.is_some() || pylock.is_some()) {
            (Some((_, v)), _) => finding.with_help(format!("pin it to the version the lockfile installs: `=={v}`")),
            (None, true) => finding.with_help("pin an exact version (`==1.2.3`); the lockfile does not name one version for it that chainward can write back"),
            (None, false) => finding.with_help("pin an exact version (`==1.2.3`), or lock the project (`uv lock`) and let `chainward fix` pin it"),
        };
        out.push(finding.with_fix_opt(fix.map(|(f, _)| f)));
    }
}

/// The requirement's text as written in the file (its string, unquoted).
fn req_text(text: &str, dep: &Dep) -> String {
    text.get(dep.span.clone())
        .and_then(|s| s.get(1..s.len().saturating_sub(1)))
        .unwrap_or(&dep.req.name)
        .to_string()
}

/// The one version a lock holds of `name` (not the project's own packages).
fn one_version<'a>(lock: &'a UvLock, name: &str) -> Option<&'a str> {
    let mut versions = lock.named(name).filter(|pkg| !pkg.source.is_local());
    let locked = versions.next()?;
    if versions.next().is_some() {
        return None;
    }
    locked.version.as_deref()
}

/// `==X` written into the requirement's string in pyproject.toml (`None` when the string has
/// escapes, so that offsets in the value are not offsets in the file).
fn pyproject_edit(file: &SourceFile, text: &str, dep: &Dep, version: &str) -> Option<Edit> {
    let literal = text.get(dep.span.clone())?;
    let quote = literal.chars().next()?;
    if !matches!(quote, '"' | '\'') || literal.starts_with("\"\"\"") || literal.starts_with("'''") {
        return None;
    }
    let inner = &literal[1..literal.len() - 1];
    if quote == '"' && inner.contains('\\') {
        return None;
    }
    let start = dep.span.start + 1;
    let vs: Range<usize> = start + dep.req.version_span.start..start + dep.req.version_span.end;
    Some(Edit::replace(&file.path, vs, format!("=={version}")))
}

/// With a pylock.toml: the requirement pinned to the one version it holds (PEP 751 records no
/// requirements, so pyproject.toml is the only file edited).
fn pylock_fix(
    file: &SourceFile,
    text: &str,
    dep: &Dep,
    lock: &UvLock,
    dep_name: &str,
) -> Option<(Fix, String)> {
    let version = one_version(lock, dep_name)?.to_string();
    let edit = pyproject_edit(file, text, dep, &version)?;
    Some((
        Fix::safe(
            format!("pin `{}` to {version} (pylock.toml)", dep.req.name),
            vec![edit],
        ),
        version,
    ))
}

/// The fix pinning `dep` to the one version uv.lock holds of it: `==X` in pyproject.toml, and the
/// same specifier in every record uv.lock keeps of the requirement (`requires-dist`,
/// `requires-dev`), so that the lock still satisfies the project.
/// A member's records in uv.lock (`requires-dist`, `requires-dev`), by normalized name.
type Records<'a> = std::collections::HashMap<String, Vec<&'a LockRequirement>>;

fn records_of<'a>(lock: &'a UvLock, member: &str) -> Records<'a> {
    let mut out: Records<'a> = std::collections::HashMap::new();
    if let Some(pkg) = lock.named(member).find(|pkg| pkg.source.is_local()) {
        for r in pkg
            .requires_dist
            .iter()
            .flatten()
            .chain(pkg.requires_dev.iter().flat_map(|(_, rs)| rs.iter()))
        {
            out.entry(normalize_name(&r.name)).or_default().push(r);
        }
    }
    out
}

fn pin_fix(
    file: &SourceFile,
    text: &str,
    dep: &Dep,
    lock: &UvLock,
    lock_file: &SourceFile,
    records: &Records<'_>,
    dep_name: &str,
) -> Option<(Fix, String)> {
    let version = one_version(lock, dep_name)?.to_string();
    // The member's records of this requirement, each equal to what pyproject.toml says now
    // (so the locked version satisfies it).
    let records = records.get(dep_name)?;
    let declared = match &dep.req.version {
        VersionReq::Specifiers(s) => normalized_specifiers(s),
        VersionReq::Any => Vec::new(),
        VersionReq::Url(_) => return None,
    };
    for r in records {
        if !r.source.is_empty() {
            return None;
        }
        let recorded = match &r.specifier {
            Some(s) => normalized_specifiers(&parse_specifiers(s).ok()?),
            None => Vec::new(),
        };
        if recorded != declared {
            return None;
        }
    }
    let pin = format!("=={version}");
    let mut edits = vec![pyproject_edit(file, text, dep, &version)?];
    let lock_text = lock_file.text().ok()?;
    for r in records {
        match &r.specifier_span {
            Some(span) => edits.push(Edit::replace(
                &lock_file.path,
                span.clone(),
                format!("\"{pin}\""),
            )),
            None => {
                // `{ name = "x" }` → `{ name = "x", specifier = "==1.0" }`.
                let table = lock_text.get(r.span.clone())?;
                let close = table.rfind('}')?;
                let at = r.span.start + table[..close].trim_end().len();
                edits.push(Edit::replace(
                    &lock_file.path,
                    at..at,
                    format!(", specifier = \"{pin}\""),
                ));
            }
        }
    }
    Some((
        Fix::safe(
            format!("pin `{}` to {version} (uv.lock)", dep.req.name),
            edits,
        ),
        version,
    ))
}
