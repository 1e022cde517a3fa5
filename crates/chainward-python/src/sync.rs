//! Is a uv.lock in sync with its pyproject.toml files, as `uv lock --check` judges it?
//!
//! uv records, for each workspace member, the requirements it was locked from
//! (`[package.metadata] requires-dist`, `requires-dev`, `provides-extras`), and for the
//! workspace its members, constraints and overrides (`[manifest]`) and its resolver options
//! (`[options]`). `uv lock --check` and `uv sync --locked` fail when those differ from what the
//! pyproject.toml files declare now, compared as parsed requirements (names in PEP 503 form,
//! specifiers in any order, markers by meaning). This module makes the same comparison without
//! resolving. Where it cannot tell two markers apart with certainty (parentheses, two bounds on
//! the Python version in one clause), it takes them as equal: a drift is missed rather than a
//! lockfile wrongly reported.

use crate::pep508::{self, Marker, VersionReq, normalize_name, normalized_specifiers};
use crate::pyproject::{Dep, GroupItem, PyProject, UvSettings};
use crate::uvlock::{LockRequirement, UvLock};

/// A difference between the lock and a pyproject.toml, as uv would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The member it concerns (normalized name), if one.
    pub member: Option<String>,
    pub message: String,
}

/// One requirement in the form compared.
#[derive(Debug, Clone)]
struct Key {
    name: String,
    extras: Vec<String>,
    /// Specifiers in normal form (`None`: ignored, when the requirement has a source).
    specifiers: Option<Vec<(pep508::Op, String)>>,
    /// `None`: a marker this module cannot put in normal form (matches any); `Some(None)`:
    /// no marker.
    marker: Option<Option<Marker>>,
    /// The requirement names a source (`[tool.uv.sources]`, or a URL); `None` when that is not
    /// known (a member's requirement named in the root's sources: uv records it either way).
    sourced: Option<bool>,
    /// As written, for messages.
    shown: String,
}

impl Key {
    fn matches(&self, other: &Key) -> bool {
        let sourced = self.sourced == Some(true) || other.sourced == Some(true);
        self.name == other.name
            && self.extras == other.extras
            && (self.sourced.is_none() || other.sourced.is_none() || self.sourced == other.sourced)
            && (sourced
                || self.specifiers.is_none()
                || other.specifiers.is_none()
                || self.specifiers == other.specifiers)
            && match (&self.marker, &other.marker) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// The marker in normal form, `Some(None)` for none, `None` when it cannot be put in normal
/// form. An alternative with more than one bound on the Python version is not (uv merges
/// bounds: `python_version >= '3.11' and python_version < '3.12'` is `== '3.11.*'`).
fn marker_key(marker: Option<&str>) -> Option<Option<Marker>> {
    let Some(m) = marker else {
        return Some(None);
    };
    let m = Marker::parse(m).ok()??;
    let ambiguous = m.alternatives.iter().any(|alt| {
        alt.iter()
            .filter(|c| c.variable == "python_full_version")
            .count()
            > 1
    });
    (!ambiguous).then_some(Some(m))
}

/// The names with a source: the project's own (certain) and the root's (inherited, how uv
/// records them is not certain).
struct Sources<'a> {
    own: Vec<&'a str>,
    inherited: Vec<&'a str>,
}

fn manifest_key(dep: &Dep, extra: Option<&str>, sources: &Sources<'_>) -> Key {
    let r = &dep.req;
    let name = normalize_name(&r.name);
    let mut extras: Vec<String> = r.extras.iter().map(|e| normalize_name(e)).collect();
    extras.sort();
    extras.dedup();
    let sourced = if sources.own.contains(&name.as_str()) || matches!(r.version, VersionReq::Url(_))
    {
        Some(true)
    } else if sources.inherited.contains(&name.as_str()) {
        None
    } else {
        Some(false)
    };
    let base = marker_key(r.marker.as_deref());
    let marker = match (base, extra) {
        (None, _) => None,
        (Some(m), None) => Some(m),
        (Some(m), Some(e)) => Some(Some(Marker::with_extra(m.as_ref(), e))),
    };
    Key {
        name,
        extras,
        specifiers: match &r.version {
            VersionReq::Specifiers(s) => Some(normalized_specifiers(s)),
            VersionReq::Any => Some(Vec::new()),
            VersionReq::Url(_) => None,
        },
        marker,
        sourced,
        shown: {
            let spec = match &r.version {
                VersionReq::Specifiers(s) => s
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
                VersionReq::Url(u) => format!(" @ {u}"),
                VersionReq::Any => String::new(),
            };
            let text = display(&r.name, &r.extras, &spec, r.marker.as_deref());
            match extra {
                Some(e) => format!("{text} (extra {e})"),
                None => text,
            }
        },
    }
}

fn lock_key(r: &LockRequirement) -> Key {
    let mut extras: Vec<String> = r.extras.iter().map(|e| normalize_name(e)).collect();
    extras.sort();
    extras.dedup();
    let specifiers = match &r.specifier {
        None => Some(Vec::new()),
        Some(s) => pep508::parse_specifiers(s)
            .ok()
            .map(|s| normalized_specifiers(&s)),
    };
    Key {
        name: normalize_name(&r.name),
        extras,
        specifiers,
        marker: marker_key(r.marker.as_deref()),
        sourced: Some(!r.source.is_empty()),
        shown: display(
            &r.name,
            &r.extras,
            r.specifier.as_deref().unwrap_or_default(),
            r.marker.as_deref(),
        ),
    }
}

/// The numbers of a plain release version (`3.10` → `[3, 10]`), trailing zeros dropped.
fn release(v: &str) -> Option<Vec<u64>> {
    let mut out = v
        .split('.')
        .map(|n| n.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    while out.len() > 1 && out.last() == Some(&0) {
        out.pop();
    }
    Some(out)
}

/// The lower bound of a `requires-python` (`>=3.10`, `>=3.10,<4`, `~=3.10`, `==3.12.*`): the
/// highest of its lower bounds; `None` without one.
fn python_floor(requires_python: Option<&str>) -> Option<Vec<u64>> {
    pep508::parse_specifiers(requires_python?)
        .ok()?
        .iter()
        .filter_map(|s| match s.op {
            pep508::Op::GreaterEqual | pep508::Op::Greater | pep508::Op::Compatible => {
                release(&s.version)
            }
            pep508::Op::Equal => s.version.strip_suffix(".*").and_then(release),
            _ => None,
        })
        .max()
}

/// The upper bound of a `requires-python` (`<4` in `>=3.10,<4`): the lowest `<` bound.
fn python_ceiling(requires_python: Option<&str>) -> Option<Vec<u64>> {
    pep508::parse_specifiers(requires_python?)
        .ok()?
        .iter()
        .filter(|s| s.op == pep508::Op::Less)
        .filter_map(|s| release(&s.version))
        .min()
}

/// `key` with the marker clauses `requires-python` already implies removed
/// (`python_full_version >= '3.8'` under `>=3.10`), as uv compares them.
fn implied_away(key: &Key, bounds: Bounds<'_>) -> Key {
    let mut key = key.clone();
    let Some(Some(m)) = &mut key.marker else {
        return key;
    };
    let (floor, ceiling) = bounds;
    for alt in &mut m.alternatives {
        alt.retain(|c| {
            let v = || release(&c.value);
            let implied_low = c.variable == "python_full_version"
                && c.op == ">="
                && floor.is_some_and(|f| v().is_some_and(|v| v.as_slice() <= f));
            let implied_high = c.variable == "python_full_version"
                && c.op == "<"
                && ceiling.is_some_and(|u| v().is_some_and(|v| v.as_slice() >= u));
            !(implied_low || implied_high)
        });
    }
    if m.alternatives.iter().any(Vec::is_empty) {
        key.marker = Some(None);
    } else {
        m.alternatives.sort();
        m.alternatives.dedup();
    }
    key
}

/// What `declared` has that `locked` lacks, and the reverse.
fn differences(declared: &[String], locked: &[String]) -> (Vec<String>, Vec<String>) {
    let missing = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    };
    (missing(declared, locked), missing(locked, declared))
}

/// A requirement as PEP 508 writes it: `name[extras]spec; marker`.
fn display(name: &str, extras: &[String], spec: &str, marker: Option<&str>) -> String {
    let mut out = name.to_string();
    if !extras.is_empty() {
        out.push('[');
        out.push_str(&extras.join(","));
        out.push(']');
    }
    out.push_str(spec);
    if let Some(m) = marker {
        out.push_str("; ");
        out.push_str(m);
    }
    out
}

/// `requires-python`'s lower and upper bounds.
type Bounds<'a> = (Option<&'a [u64]>, Option<&'a [u64]>);

/// Compare two requirement lists as uv does (as sets of parsed requirements): what the
/// manifest declares that the lock does not record, and the reverse. Linear: requirements are
/// paired by name.
fn compare(declared: &[Key], locked: &[Key], bounds: Bounds<'_>) -> (Vec<String>, Vec<String>) {
    use std::collections::HashMap;
    let by_name = |keys: &[Key]| -> HashMap<String, Vec<Key>> {
        let mut m: HashMap<String, Vec<Key>> = HashMap::new();
        for k in keys {
            m.entry(k.name.clone())
                .or_default()
                .push(implied_away(k, bounds));
        }
        m
    };
    let (declared, locked) = (by_name(declared), by_name(locked));
    // A name written more than once (`httpx>=0.27` and `httpx<1`, `anyio>=4` and
    // `anyio[trio]`) uv merges into one requirement by its version range: not compared here.
    let single =
        |m: &HashMap<String, Vec<Key>>, name: &str| m.get(name).is_none_or(|v| v.len() == 1);
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut names: Vec<&String> = declared.keys().chain(locked.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        if !single(&declared, name) || !single(&locked, name) {
            continue;
        }
        let d = declared.get(name).and_then(|v| v.first());
        let l = locked.get(name).and_then(|v| v.first());
        match (d, l) {
            (Some(d), Some(l)) if d.matches(l) => {}
            (Some(d), Some(l)) => {
                added.push(d.shown.clone());
                removed.push(l.shown.clone());
            }
            (Some(d), None) => added.push(d.shown.clone()),
            (None, Some(l)) => removed.push(l.shown.clone()),
            (None, None) => {}
        }
    }
    (added, removed)
}

fn describe(what: &str, added: &[String], removed: &[String]) -> Option<String> {
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (added.is_empty(), removed.is_empty()) {
        (true, true) => None,
        (false, true) => Some(format!(
            "{what}: {} declared but not in uv.lock",
            list(added)
        )),
        (true, false) => Some(format!(
            "{what}: {} in uv.lock but no longer declared",
            list(removed)
        )),
        (false, false) => Some(format!(
            "{what}: {} declared but not locked as written; uv.lock has {}",
            list(added),
            list(removed)
        )),
    }
}

/// A workspace member: its pyproject.toml and where it sits relative to the lock's folder.
pub struct Member<'a> {
    pub pyproject: &'a PyProject,
    /// The folder relative to the lock's (`""` for the root).
    pub dir: String,
}

/// The drifts between `lock` and the workspace `members` (the root first), with the settings of
/// a `uv.toml` beside the root when there is one.
pub fn check(lock: &UvLock, members: &[Member<'_>], uv_toml: Option<&UvSettings>) -> Vec<Drift> {
    let mut out = Vec::new();
    let Some(root) = members.first() else {
        return out;
    };
    let floor = python_floor(lock.requires_python.as_deref());
    let floor = floor.as_deref();
    let ceiling = python_ceiling(lock.requires_python.as_deref());
    let bounds: Bounds<'_> = (floor, ceiling.as_deref());
    let root_sources: Vec<&str> = root
        .pyproject
        .uv
        .sources
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    // The members uv locked.
    let projects: Vec<&Member<'_>> = members
        .iter()
        .filter(|m| m.pyproject.has_project && m.pyproject.name.is_some())
        .collect();
    if !lock.manifest.members.is_empty() || projects.len() > 1 {
        let mut declared: Vec<String> = projects
            .iter()
            .filter_map(|m| m.pyproject.normalized_name())
            .collect();
        declared.sort();
        declared.dedup();
        let mut locked: Vec<String> = lock
            .manifest
            .members
            .iter()
            .map(|m| normalize_name(m))
            .collect();
        locked.sort();
        locked.dedup();
        // A single project's lock lists no members.
        if locked.is_empty() && declared.len() == 1 {
            locked = declared.clone();
        }
        let (added, removed) = differences(&declared, &locked);
        if let Some(m) = describe("the workspace's members", &added, &removed) {
            out.push(Drift {
                member: None,
                message: m,
            });
        }
    }
    // `requires-python`: the workspace's is the intersection of its members'. Compared when
    // every one is a plain lower bound (`>=3.10`), by value (`>=3.10.0` is `>=3.10`).
    let floors: Option<Vec<Vec<u64>>> = projects
        .iter()
        .filter_map(|m| m.pyproject.requires_python.as_deref())
        .map(|r| python_floor(Some(r)))
        .collect();
    if let (Some(floors), Some(locked)) = (floors, floor)
        && let Some(declared) = floors.iter().max()
        && declared.as_slice() != locked
    {
        let v = |n: &[u64]| n.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
        out.push(Drift {
            member: None,
            message: format!(
                "`requires-python` is `>={}`, but uv.lock was resolved for `>={}`",
                v(declared),
                v(locked)
            ),
        });
    }
    for member in &projects {
        let p = member.pyproject;
        let Some(name) = p.normalized_name() else {
            continue;
        };
        // Dynamic dependencies are only known by building the project.
        if p.dynamic
            .iter()
            .any(|d| d == "dependencies" || d == "optional-dependencies")
        {
            continue;
        }
        let Some(pkg) = lock.named(&name).find(|pkg| pkg.source.is_local()) else {
            continue; // reported as a missing member above, when it is one
        };
        // The project's own version (uv records it; a static one must match).
        if let (Some(declared), Some(locked)) = (&p.version, &pkg.version)
            && !p.dynamic.iter().any(|d| d == "version")
            && pep508::normalize_version(declared) != pep508::normalize_version(locked)
        {
            out.push(Drift {
                member: Some(name.clone()),
                message: format!(
                    "`{}` is version {declared} in pyproject.toml, {locked} in uv.lock",
                    p.name.as_deref().unwrap_or(&name)
                ),
            });
        }
        let own: Vec<&str> = p.uv.sources.iter().map(|(n, _)| n.as_str()).collect();
        let is_root = std::ptr::eq(*member, root);
        let sources = Sources {
            inherited: if is_root {
                Vec::new()
            } else {
                root_sources.clone()
            },
            own: if is_root { root_sources.clone() } else { own },
        };
        if let Some(locked) = &pkg.requires_dist {
            let mut declared: Vec<Key> = p
                .dependencies
                .iter()
                .map(|d| manifest_key(d, None, &sources))
                .collect();
            for (extra, deps) in &p.optional {
                declared.extend(deps.iter().map(|d| manifest_key(d, Some(extra), &sources)));
            }
            let locked: Vec<Key> = locked.iter().map(lock_key).collect();
            let (added, removed) = compare(&declared, &locked, bounds);
            if let Some(m) = describe(
                &format!("`{}`'s dependencies", p.name.as_deref().unwrap_or(&name)),
                &added,
                &removed,
            ) {
                out.push(Drift {
                    member: Some(name.clone()),
                    message: m,
                });
            }
        }
        if let Some(extras) = &pkg.provides_extras {
            let mut declared: Vec<String> =
                p.optional.iter().map(|(e, _)| normalize_name(e)).collect();
            let mut locked: Vec<String> = extras.iter().map(|e| normalize_name(e)).collect();
            declared.sort();
            locked.sort();
            if declared != locked {
                let (added, removed) = differences(&declared, &locked);
                if let Some(m) = describe(
                    &format!("`{}`'s extras", p.name.as_deref().unwrap_or(&name)),
                    &added,
                    &removed,
                ) {
                    out.push(Drift {
                        member: Some(name.clone()),
                        message: m,
                    });
                }
            }
        }
        // Dependency groups (with `tool.uv.dev-dependencies` as part of `dev`), includes
        // expanded, as uv records them.
        let declared_groups = groups(p, &sources);
        let locked_groups: Vec<(String, Vec<Key>)> = pkg
            .requires_dev
            .iter()
            .map(|(g, rs)| (normalize_name(g), rs.iter().map(lock_key).collect()))
            .collect();
        if pkg.requires_dist.is_some() {
            let mut names: Vec<&String> = declared_groups
                .iter()
                .map(|(g, _)| g)
                .chain(locked_groups.iter().map(|(g, _)| g))
                .collect();
            names.sort();
            names.dedup();
            for g in names {
                let empty = Vec::new();
                let d = declared_groups
                    .iter()
                    .find(|(n, _)| n == g)
                    .map_or(&empty, |(_, k)| k);
                let l = locked_groups
                    .iter()
                    .find(|(n, _)| n == g)
                    .map_or(&empty, |(_, k)| k);
                let (added, removed) = compare(d, l, bounds);
                if let Some(m) = describe(
                    &format!(
                        "`{}`'s dependency group `{g}`",
                        p.name.as_deref().unwrap_or(&name)
                    ),
                    &added,
                    &removed,
                ) {
                    out.push(Drift {
                        member: Some(name.clone()),
                        message: m,
                    });
                }
            }
        }
    }
    // The workspace's constraints and overrides (the root's `[tool.uv]`).
    // Settings: uv.toml's where there is one beside the root (uv then ignores `[tool.uv]`'s).
    let uv = uv_toml.unwrap_or(&root.pyproject.uv);
    for (what, declared, locked) in [
        (
            "`tool.uv.constraint-dependencies`",
            &uv.constraint_dependencies,
            &lock.manifest.constraints,
        ),
        (
            "`tool.uv.override-dependencies`",
            &uv.override_dependencies,
            &lock.manifest.overrides,
        ),
    ] {
        // uv ignores constraints and overrides of packages the lock does not hold.
        let in_lock = |k: &Key| lock.named(&k.name).next().is_some();
        let d: Vec<Key> = declared
            .iter()
            .map(|d| {
                manifest_key(
                    d,
                    None,
                    &Sources {
                        own: root_sources.clone(),
                        inherited: Vec::new(),
                    },
                )
            })
            .collect();
        let l: Vec<Key> = locked.iter().map(lock_key).collect();
        let d: Vec<Key> = d.into_iter().filter(in_lock).collect();
        let l: Vec<Key> = l.into_iter().filter(in_lock).collect();
        let (added, removed) = compare(&d, &l, bounds);
        if let Some(m) = describe(what, &added, &removed) {
            out.push(Drift {
                member: None,
                message: m,
            });
        }
    }
    // `exclude-newer`: set, removed or changed (when both are written the same way).
    let declared = uv.exclude_newer.as_ref().map(|(v, _)| v.as_str());
    let locked = lock.option("exclude-newer");
    match (declared, locked) {
        (Some(d), None) => out.push(Drift {
            member: None,
            message: format!("`tool.uv.exclude-newer = \"{d}\"` is set, but uv.lock was resolved without it"),
        }),
        (None, Some(l)) if lock.option("exclude-newer-span").is_none() => out.push(Drift {
            member: None,
            message: format!("uv.lock was resolved with `exclude-newer = \"{l}\"`, which pyproject.toml no longer sets"),
        }),
        // Moving the cutoff later keeps every locked file eligible: uv accepts the lock. Moving
        // it earlier does not.
        (Some(d), Some(l)) if is_timestamp(d) && is_timestamp(l) && d < l => out.push(Drift {
            member: None,
            message: format!("`tool.uv.exclude-newer` is \"{d}\", earlier than the \"{l}\" uv.lock was resolved with"),
        }),
        _ => {}
    }
    out
}

/// An RFC 3339 timestamp in UTC as uv writes it (`2025-01-01T00:00:00Z`).
fn is_timestamp(s: &str) -> bool {
    s.len() == 20 && s.ends_with('Z') && s.as_bytes().get(10) == Some(&b'T')
}

/// Each dependency group of `p` (normalized name), `include-group`s expanded and
/// `tool.uv.dev-dependencies` part of `dev`.
fn groups(p: &PyProject, sources: &Sources<'_>) -> Vec<(String, Vec<Key>)> {
    /// `group`'s requirements, its includes expanded; a group already being expanded (a cycle,
    /// which PEP 735 makes an error) or already included is not expanded again.
    fn expand<'a>(p: &'a PyProject, group: &str, seen: &mut Vec<String>, out: &mut Vec<&'a Dep>) {
        let name = normalize_name(group);
        if seen.contains(&name) {
            return;
        }
        seen.push(name.clone());
        let Some((_, items)) = p.groups.iter().find(|(g, _)| normalize_name(g) == name) else {
            return;
        };
        for item in items {
            match item {
                GroupItem::Dep(d) => out.push(d),
                GroupItem::Include(g) => expand(p, g, seen, out),
            }
        }
    }
    let mut out: Vec<(String, Vec<Key>)> = Vec::new();
    for (g, _) in &p.groups {
        let mut deps = Vec::new();
        expand(p, g, &mut Vec::new(), &mut deps);
        out.push((
            normalize_name(g),
            deps.iter()
                .map(|d| manifest_key(d, None, sources))
                .collect(),
        ));
    }
    if !p.uv.dev_dependencies.is_empty() {
        let keys: Vec<Key> =
            p.uv.dev_dependencies
                .iter()
                .map(|d| manifest_key(d, None, sources))
                .collect();
        match out.iter_mut().find(|(g, _)| g == "dev") {
            Some((_, k)) => k.extend(keys),
            None => out.push(("dev".to_string(), keys)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::{FileKind, SourceFile};

    #[test]
    fn include_group_cycles_expand_once() {
        let text = "[project]\nname = \"x\"\n[dependency-groups]\na = [\"ruff\", {include-group = \"a\"}, {include-group = \"b\"}, {include-group = \"b\"}]\nb = [{include-group = \"a\"}, \"pytest\", {include-group = \"b\"}]\n";
        let f = SourceFile::in_memory("pyproject.toml", FileKind::PyProject, text);
        let p = PyProject::parse(&f, text).expect("parses");
        let sources = Sources {
            own: Vec::new(),
            inherited: Vec::new(),
        };
        let g = groups(&p, &sources);
        let names = |i: usize| g[i].1.iter().map(|k| k.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(0), ["ruff", "pytest"]);
        assert_eq!(names(1), ["ruff", "pytest"]);
    }

    #[test]
    fn requires_python_bounds_drop_the_clauses_they_imply() {
        assert_eq!(python_floor(Some(">=3.10,<4")), Some(vec![3, 10]));
        assert_eq!(python_floor(Some("~=3.11")), Some(vec![3, 11]));
        assert_eq!(python_floor(Some("<4")), None);
        assert_eq!(python_ceiling(Some(">=3.10, <4")), Some(vec![4]));
        let key = |m: &str| Key {
            name: "tomli".into(),
            extras: Vec::new(),
            specifiers: Some(Vec::new()),
            marker: marker_key(Some(m)),
            sourced: Some(false),
            shown: "tomli".into(),
        };
        let floor = [3, 10];
        let ceiling = [4];
        for implied in ["python_version >= '3.8'", "python_full_version < '4'"] {
            let k = implied_away(&key(implied), (Some(&floor), Some(&ceiling)));
            assert_eq!(k.marker, Some(None), "{implied}");
        }
        // Two bounds in one clause: not put in normal form (uv merges them), so matches any.
        assert_eq!(
            key("python_version >= '3.8' and python_version < '4'").marker,
            None
        );
        let k = implied_away(
            &key("python_version < '3.11'"),
            (Some(&floor), Some(&ceiling)),
        );
        assert!(matches!(k.marker, Some(Some(_))));
    }
}
