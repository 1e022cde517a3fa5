//! `npm ci`'s own verdict, reproduced statically: every dependency of every importer (the root
//! and each workspace) and of every locked package must be in the lockfile, where Node would
//! look for it, at a version that satisfies its spec.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use chainward_core::project::join;
use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile};
use chainward_npm::FastMap;
use chainward_npm::npm::is_importer;
use chainward_npm::npmrc::npmrc;
use chainward_npm::spec::{Matcher, is_full_sha};
use chainward_npm::{
    LockPackage, NpmLockfile, Section, Spec, classify, npm_lockfile, package_json,
};
use rayon::prelude::*;

pub(crate) static LOCKFILE_OUT_OF_SYNC: Rule = Rule {
    id: "npm-ci/lockfile-out-of-sync",
    code: "NCI003",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "The lockfile does not satisfy package.json the way `npm ci` (or pnpm's, yarn's, bun's frozen install) requires",
    doc: r#"`npm ci` refuses to install when package.json and the lockfile disagree: a dependency
missing from the lockfile ("Missing: x@^2 from lock file") or locked at a version outside its
range ("Invalid: lock file's x@1.0.0 does not satisfy x@^2"). chainward reproduces that check
offline, for the root and every workspace, and for the dependencies of every locked package,
resolving each one where Node would find it (`packages/a/node_modules/x` before
`node_modules/x`), with npm aliases, git, tarball-URL, `file:` and workspace specs, overrides,
and `legacy-peer-deps` from the project's `.npmrc` honoured.

A spec that differs from what the lockfile recorded for the root but is still satisfied is
reported as `info`: `npm ci` accepts it, `npm install` would rewrite the record. A dist-tag
(`latest`) cannot be judged offline and is reported as `info` saying so.

The other package managers are held to their own frozen-install checks:

- **pnpm** (`pnpm install --frozen-lockfile`, pnpm-lock.yaml 6.x and 9.0): every importer's
  specifiers must equal package.json's dependencies, devDependencies and optionalDependencies
  exactly, each in the same field (peer dependencies too with `autoInstallPeers`); a `^1.0.1`
  that is still satisfied by the locked version fails all the same. A catalog entry in
  pnpm-workspace.yaml that differs from the lockfile's `catalogs` is `info` (pnpm 9 accepts it).
  `overrides` (package.json's `pnpm.overrides` and `resolutions`, pnpm-workspace.yaml) and
  `patchedDependencies` must be the ones the lockfile was made with
  (`ERR_PNPM_LOCKFILE_CONFIG_MISMATCH`).
- **bun** (`bun install --frozen-lockfile`): the packages it locks must not change. Every
  dependency of every field (peers too) must be locked, at a version its range allows; one
  removed from package.json fails when nothing else in the lockfile needs it. The specs bun.lock
  records need not equal package.json's (bun 1.2 to 1.4 accept `^1.2.0` for a recorded
  `^1.3.0` that locks 1.3.0). A dependency moved to another field, or a dist-tag, bun resolves
  again from the registry: not judged offline.
- **yarn berry** (`yarn install --immutable`): every descriptor (`name@npm:^1.2.0`) of every
  workspace must have a lockfile entry, and the workspace's entry lists the same dependencies.
- **yarn classic** (`yarn install --frozen-lockfile`): every `name@range` must be a key of
  yarn.lock (workspace members are linked, not locked).

- **uv** (`uv lock --check`, `uv sync --locked`): for each workspace member (the root's
  `[tool.uv.workspace]` members), uv.lock's record of what it was locked from
  (`[package.metadata]`) must match pyproject.toml: the project's version, `dependencies` and
  `optional-dependencies` (extras), `provides-extras`, `[dependency-groups]` (includes expanded,
  `tool.uv.dev-dependencies` part of `dev`), the members themselves, `requires-python`, and the
  root's `constraint-dependencies`/`override-dependencies` of locked packages. Requirements are
  compared as uv compares them: names in PEP 503 form, specifiers in any order, versions by
  PEP 440 value, markers by meaning (`python_version` as `python_full_version`, quotes, operand
  order, clauses `requires-python` implies). Where chainward cannot be certain two spellings mean
  the same (markers with parentheses or `platform_system`, a name written twice, which uv merges,
  a requirement with an inherited source, dynamic dependencies), it does not report: a drift is
  missed rather than a lockfile wrongly reported. Run `uv lock` to bring them back in sync.

Bring the two back in sync with `npm install --package-lock-only --ignore-scripts` (or `pnpm
install --lockfile-only`, `yarn install --mode=update-lockfile`, `bun install --lockfile-only`)
and review the lockfile diff.
"#,
};

enum Verdict {
    Ok,
    Missing,
    Invalid(String),
    Undecidable(String),
    Skip,
}

pub(crate) fn check(project: &Project, file: &SourceFile, out: &mut Vec<Finding>) {
    let Some(lock) = npm_lockfile(file) else {
        return;
    };
    if !lock.records_specs() {
        return; // v1: npm-ci/lockfile-v1 says why it cannot be judged offline
    }
    let Ok(lock_text) = file.text() else { return };
    let dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let legacy_peers = project
        .file_at(&join(&dir, ".npmrc"))
        .and_then(|f| npmrc(&f).and_then(|rc| rc.flag("legacy-peer-deps")))
        .unwrap_or(false);
    let root_manifest = project.file_at(&join(&dir, "package.json"));
    // npm overrides: a top-level `"name": "spec"` replaces every spec for `name`; nested and
    // `$reference` overrides are taken on trust (the locked version is not judged).
    let override_specs: Vec<(String, Option<String>)> = root_manifest
        .as_ref()
        .and_then(|f| {
            package_json(f).map(|p| {
                p.deps(Section::Overrides)
                    .iter()
                    .map(|e| {
                        let plain = e.parents.is_empty() && e.key == e.name;
                        let spec = e
                            .spec
                            .filter(|s| plain && !s.starts_with('$'))
                            .map(str::to_string);
                        (e.name.to_string(), spec)
                    })
                    .collect()
            })
        })
        .unwrap_or_default();
    let overrides: HashMap<&str, Option<Parsed<'_>>> = override_specs
        .iter()
        .map(|(name, spec)| (name.as_str(), spec.as_deref().map(Parsed::new)))
        .collect();

    // Entries outside the root (`../a`, a `file:` dependency on a sibling folder) are link
    // targets, not workspaces: npm installs their dependencies in their own folder, and
    // `npm ci` does not need them in this lockfile.
    let mut importers: Vec<&String> = lock
        .packages
        .keys()
        .filter(|k| is_importer(k) && !(k.as_str() == ".." || k.starts_with("../")))
        .collect();
    importers.sort();
    for importer in importers {
        let Some(manifest) = project.file_at(&join(&join(&dir, importer), "package.json")) else {
            continue;
        };
        let Some(pj) = package_json(&manifest) else {
            continue;
        };
        let recorded = lock.importer(importer);
        // A workspace is linked from the root's node_modules under its package name.
        if !importer.is_empty()
            && let Some(name) = pj.name()
        {
            let link = lock.packages.get(&format!("node_modules/{name}"));
            if !link.is_some_and(|l| l.link && lock.resolved(l) == Some(importer.as_str())) {
                let span = pj
                    .json
                    .member("name")
                    .map_or(0..1, |m| m.value.span.clone());
                out.push(
                    Finding::new(&LOCKFILE_OUT_OF_SYNC, &manifest, span, format!("Missing: workspace {name} ({importer}) from lock file"))
                        .with_help("run `npm install --package-lock-only --ignore-scripts` and commit the lockfile"),
                );
            }
        }
        let mut sections = vec![
            Section::Dependencies,
            Section::OptionalDependencies,
            Section::DevDependencies,
        ];
        if !legacy_peers {
            sections.push(Section::PeerDependencies);
        }
        for section in sections {
            for entry in pj.deps(section) {
                let Some(spec) = entry.spec else { continue };
                let peer_optional = section == Section::PeerDependencies
                    && pj
                        .json
                        .pointer(&["peerDependenciesMeta", entry.name, "optional"])
                        .and_then(|v| v.as_bool())
                        == Some(true);
                let own = Parsed::new(spec);
                let verdict = judge_with(
                    lock,
                    lock.resolve(importer, entry.name),
                    entry.name,
                    &own,
                    &overrides,
                );
                let at = entry.spec_span.clone();
                match verdict {
                    Verdict::Missing if peer_optional => {}
                    Verdict::Missing => out.push(
                        Finding::new(&LOCKFILE_OUT_OF_SYNC, &manifest, at, format!("Missing: {}@{spec} from lock file ({})", entry.name, file.path.display()))
                            .with_help("run `npm install --package-lock-only --ignore-scripts` and commit the lockfile"),
                    ),
                    Verdict::Invalid(locked)
                        if stale_nested_accepted(lock, importer, entry.name, &own, &overrides) =>
                    {
                        out.push(
                            Finding::new(&LOCKFILE_OUT_OF_SYNC, &manifest, at, format!("npm ci accepts this lockfile, but installs {locked} in {importer}, which asks for {}@{spec}: the stale copy nested in the workspace hides the one npm would place", entry.name))
                                .with_severity(Severity::Warning)
                                .with_help("run `npm install --package-lock-only --ignore-scripts` and commit the lockfile"),
                        );
                    }
                    Verdict::Invalid(locked) => out.push(
                        Finding::new(&LOCKFILE_OUT_OF_SYNC, &manifest, at, format!("Invalid: lock file's {locked} does not satisfy {}@{spec}", entry.name))
                            .with_help("run `npm install --package-lock-only --ignore-scripts` and commit the lockfile"),
                    ),
                    Verdict::Undecidable(why) => out.push(
                        Finding::new(&LOCKFILE_OUT_OF_SYNC, &manifest, at, format!("cannot be judged offline: {why}")).with_severity(Severity::Info),
                    ),
                    Verdict::Ok => {
                        let rec = recorded.and_then(|r| r.section(section)).and_then(|m| m.get(entry.name));
                        if rec.is_some_and(|r| r != spec) {
                            out.push(
                                Finding::new(&LOCKFILE_OUT_OF_SYNC, &manifest, at, format!(
                                    "package.json says `{spec}` for `{}`, the lockfile recorded `{}`; `npm ci` accepts this (the locked version satisfies it), `npm install` would rewrite the record",
                                    entry.name,
                                    rec.unwrap_or_default()
                                ))
                                .with_severity(Severity::Info),
                            );
                        }
                    }
                    Verdict::Skip => {}
                }
            }
        }
    }

    // Workspaces the root declares that the lockfile does not know.
    if let Some(root) = root_manifest.as_ref()
        && let Some(pj) = package_json(root)
    {
        let workspaces = chainward_npm::workspaces::Workspaces::from_patterns(&pj.workspaces());
        for manifest in project.files_of(chainward_core::FileKind::PackageJson) {
            let Some(folder) = manifest.path.parent() else {
                continue;
            };
            let rel = if dir.as_os_str().is_empty() || dir == Path::new(".") {
                folder.to_path_buf()
            } else {
                match folder.strip_prefix(&dir) {
                    Ok(r) => r.to_path_buf(),
                    Err(_) => continue,
                }
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            if rel.is_empty() || lock.packages.contains_key(&rel) || !workspaces.contains(&rel) {
                continue;
            }
            let name = package_json(manifest)
                .and_then(|p| p.name())
                .unwrap_or(&rel);
            out.push(
                Finding::new(&LOCKFILE_OUT_OF_SYNC, manifest, 0..1, format!("Missing: workspace {name} ({rel}) from lock file"))
                    .with_help("run `npm install --package-lock-only --ignore-scripts` and commit the lockfile"),
            );
        }
    }

    // The dependencies of the locked packages `npm ci` looks at: those the root reaches, not
    // through a link (see [`reached_by_npm_ci`]). Every entry's edges are resolved once, through
    // one name index, on every core: judged there, and kept for the walk from the root; only
    // the findings of reached entries are kept.
    let resolver = lock.resolver();
    let edges = check_edges(lock, &resolver, file, lock_text, legacy_peers, &overrides);
    // A lockfile in sync has no finding to sort out: no walk.
    if edges.findings.is_empty() {
        return;
    }
    let reached = reached_by_npm_ci(lock, &resolver, &edges, legacy_peers);
    out.extend(
        edges
            .findings
            .into_iter()
            .filter(|(entry, _)| reached[*entry as usize])
            .map(|(_, finding)| finding),
    );
}

/// Every locked entry's dependency edges, resolved and judged.
struct Edges {
    /// The `Missing` and `Invalid` findings, each with the number of the entry it is about.
    findings: Vec<(u32, Finding)>,
    /// Entry number → where its edges start in `targets`; one more at the end.
    starts: Vec<u32>,
    /// The entries the edges resolve to (edges that resolve nowhere left out).
    targets: Vec<u32>,
}

/// [`Edges`] of one slice of the entries, each entry's edges counted instead of placed.
struct Slice {
    findings: Vec<(u32, Finding)>,
    counts: Vec<u32>,
    targets: Vec<u32>,
}

impl Edges {
    fn targets(&self, entry: u32) -> &[u32] {
        let i = entry as usize;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.targets[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// The dependency edges of every locked entry (`dependencies`, `optionalDependencies`, and
/// `peerDependencies` without `legacy-peer-deps`), each resolved where Node would find it and
/// judged as `npm ci` does, in slices on every core.
fn check_edges<'a>(
    lock: &'a NpmLockfile,
    resolver: &chainward_npm::Resolver<'a>,
    file: &SourceFile,
    lock_text: &str,
    legacy_peers: bool,
    overrides: &HashMap<&str, Option<Parsed<'_>>>,
) -> Edges {
    // Nearly every spec is `^1.2.3` or the like, read on the spot; the others (a few hundred
    // distinct ones on a big lockfile) are parsed once, when first met.
    let others: RwLock<FastMap<&str, Arc<Parsed<'_>>>> = RwLock::default();
    let parsed_other = |spec: &'a str| -> Arc<Parsed<'a>> {
        if let Some(p) = others.read().unwrap_or_else(|e| e.into_inner()).get(spec) {
            return Arc::clone(p);
        }
        let parsed = Arc::new(Parsed::new(spec));
        others
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(spec, Arc::clone(&parsed));
        parsed
    };
    let entries = resolver.entries();
    const SLICE: usize = 256;
    let slices: Vec<Slice> = entries
        .par_chunks(SLICE)
        .enumerate()
        .map(|(slice, chunk)| {
            let mut found = Vec::new();
            let mut counts = Vec::with_capacity(chunk.len());
            let mut targets = Vec::new();
            for (offset, &(key, pkg)) in chunk.iter().enumerate() {
                let before = targets.len();
                // Importers are judged against their package.json above; a link has no edges of
                // its own (the walk never enters one).
                if pkg.link || is_importer(key) {
                    counts.push(0);
                    continue;
                }
                let entry = u32::try_from(slice * SLICE + offset).unwrap_or(u32::MAX);
                let all = pkg
                    .dependencies()
                    .iter()
                    .map(|(n, s)| (Section::Dependencies, n, s))
                    .chain(pkg.optional_dependencies().iter().map(|(n, s)| (Section::OptionalDependencies, n, s)))
                    .chain(pkg.peer_dependencies().iter().filter(|_| !legacy_peers).map(|(n, s)| (Section::PeerDependencies, n, s)));
                for (section, name, spec) in all {
                    let index = resolver.resolve_from_entry(entry, name);
                    if let Some(index) = index {
                        targets.push(index);
                    }
                    // An extraneous entry is walked through but not judged (npm prunes it).
                    if pkg.extraneous {
                        continue;
                    }
                    let resolved = index.map(|i| resolver.entry(i));
                    let peer = section == Section::PeerDependencies;
                    let other;
                    let simple;
                    let parsed = match Parsed::simple(spec) {
                        Some(p) => {
                            simple = p;
                            &simple
                        }
                        None => {
                            other = parsed_other(spec);
                            &*other
                        }
                    };
                    let message = match judge_with(lock, resolved, name, parsed, overrides) {
                        Verdict::Missing if peer && pkg.peer_dependencies_meta().contains(name) => continue,
                        Verdict::Missing => format!("Missing: {name}@{spec} from lock file (required by {key})"),
                        // npm resolves peer conflicts with a warning, not a failure.
                        Verdict::Invalid(_) if peer => continue,
                        Verdict::Invalid(locked) => format!("Invalid: lock file's {locked} does not satisfy {name}@{spec} (required by {key})"),
                        Verdict::Ok | Verdict::Undecidable(_) | Verdict::Skip => continue,
                    };
                    let span = lock
                        .field_span(lock_text, key, &[section.key(), name])
                        .or_else(|| lock.entry_span(key))
                        .unwrap_or(0..0);
                    let help = if peer {
                        "a peer dependency npm (without `legacy-peer-deps`) installs: if the lockfile was made with `legacy-peer-deps`, say so in the project's .npmrc (`legacy-peer-deps=true`); otherwise regenerate it with `npm install --package-lock-only --ignore-scripts`"
                    } else {
                        "the lockfile is incomplete or was edited by hand: regenerate it with `npm install --package-lock-only --ignore-scripts`"
                    };
                    found.push((entry, Finding::new(&LOCKFILE_OUT_OF_SYNC, file, span, message).with_help(help)));
                }
                counts.push(u32::try_from(targets.len() - before).unwrap_or(u32::MAX));
            }
            Slice {
                findings: found,
                counts,
                targets,
            }
        })
        .collect();
    let mut edges = Edges {
        findings: Vec::new(),
        starts: Vec::with_capacity(entries.len() + 1),
        targets: Vec::with_capacity(slices.iter().map(|s| s.targets.len()).sum()),
    };
    for Slice {
        findings,
        counts,
        targets,
    } in slices
    {
        edges.findings.extend(findings);
        let mut at = u32::try_from(edges.targets.len()).unwrap_or(u32::MAX);
        for count in counts {
            edges.starts.push(at);
            at = at.saturating_add(count);
        }
        edges.targets.extend(targets);
    }
    edges
        .starts
        .push(u32::try_from(edges.targets.len()).unwrap_or(u32::MAX));
    edges
}

/// The locked packages whose dependencies `npm ci` checks: those the root reaches through
/// dependency edges, resolved where Node would find them. A workspace is reached through a
/// link, which has no edges of its own: arborist checks the workspace's direct dependencies
/// (the importer checks above) but nothing below them, so an edge only a workspace's
/// dependencies reach is never compared (seen on google-gemini/gemini-cli, whose lockfile npm
/// accepts with four such edges broken). By entry number, as `edges` resolved them.
fn reached_by_npm_ci(
    lock: &NpmLockfile,
    resolver: &chainward_npm::Resolver<'_>,
    edges: &Edges,
    legacy_peers: bool,
) -> Vec<bool> {
    let mut reached = vec![false; resolver.entries().len()];
    let Some(root) = lock.importer("") else {
        return reached;
    };
    // The root's edges, its devDependencies among them.
    let mut queue: Vec<u32> = root
        .dependencies()
        .keys()
        .chain(root.optional_dependencies().keys())
        .chain(root.peer_dependencies().keys().filter(|_| !legacy_peers))
        .chain(root.dev_dependencies().keys())
        .filter_map(|name| resolver.resolve_index("", name))
        .collect();
    while let Some(entry) = queue.pop() {
        let (key, dep) = resolver.entry(entry);
        if reached[entry as usize] || dep.link || is_importer(key) {
            continue;
        }
        reached[entry as usize] = true;
        queue.extend_from_slice(edges.targets(entry));
    }
    reached
}

/// A workspace's direct dependency locked, out of range, in the workspace's own `node_modules`
/// while the root's copy is absent or in range: `npm ci` accepts it (arborist places the right
/// version at the root, where the nested copy shadows it, then prunes it as unused; traced on
/// google-gemini/gemini-cli). What it installs for the workspace is still the stale copy.
fn stale_nested_accepted(
    lock: &NpmLockfile,
    importer: &str,
    name: &str,
    own: &Parsed<'_>,
    overrides: &HashMap<&str, Option<Parsed<'_>>>,
) -> bool {
    if importer.is_empty() {
        return false;
    }
    let nested = format!("{importer}/node_modules/{name}");
    let Some((key, _)) = lock.resolve(importer, name) else {
        return false;
    };
    if key != nested {
        return false;
    }
    let root = format!("node_modules/{name}");
    match lock.packages.get(&root) {
        None => true,
        Some(pkg) => matches!(
            judge_with(lock, Some((root.as_str(), pkg)), name, own, overrides),
            Verdict::Ok
        ),
    }
}

/// A spec classified, with its semver range parsed once (for versions, ranges and aliases).
struct Parsed<'a> {
    spec: &'a str,
    kind: Spec<'a>,
    range: Option<Matcher<'a>>,
}

impl<'a> Parsed<'a> {
    /// A plain range or version (`^1.2.3`), as [`Parsed::new`] reads it, without classifying.
    fn simple(spec: &'a str) -> Option<Self> {
        Matcher::simple(spec).map(|m| Parsed {
            spec,
            kind: Spec::Range(spec),
            range: Some(m),
        })
    }

    fn new(spec: &'a str) -> Self {
        let kind = classify(spec);
        let range_text = match &kind {
            Spec::Version(_) | Spec::Range(_) => Some(spec),
            Spec::Alias { inner, .. } if matches!(**inner, Spec::Version(_) | Spec::Range(_)) => {
                spec.rsplit_once('@').map(|(_, r)| r)
            }
            _ => None,
        };
        let range = range_text.and_then(Matcher::parse);
        Self { spec, kind, range }
    }
}

/// Judge an edge, with npm overrides applied: an overridden name is judged against the
/// override's spec.
fn judge_with(
    lock: &NpmLockfile,
    found: Option<(&str, &LockPackage)>,
    name: &str,
    parsed: &Parsed<'_>,
    overrides: &HashMap<&str, Option<Parsed<'_>>>,
) -> Verdict {
    match overrides.get(name) {
        None => judge_parsed(lock, found, name, parsed),
        Some(Some(ov)) => judge_parsed(lock, found, name, ov),
        Some(None) if found.is_some() => Verdict::Ok,
        Some(None) => Verdict::Missing,
    }
}

/// Whether the entry Node would load for `name` satisfies the spec.
fn judge_parsed(
    lock: &NpmLockfile,
    found: Option<(&str, &LockPackage)>,
    name: &str,
    parsed: &Parsed<'_>,
) -> Verdict {
    let kind = parsed.kind.clone();
    let spec = parsed.spec;
    let Some((key, pkg)) = found else {
        return match kind {
            Spec::Protocol(_) | Spec::Invalid { .. } => Verdict::Skip,
            _ => Verdict::Missing,
        };
    };
    let target = lock.follow_link(pkg);
    let version = target.version();
    // An entry without a version (hand-edited, or a tool's) is named by its folder.
    let locked = |n: &str| match version {
        Some(v) => format!("{n}@{v}"),
        None => format!("{key} (recorded without a version)"),
    };
    let real_name = target.name().or(pkg.name()).unwrap_or(name);
    match kind {
        Spec::Version(_) | Spec::Range(_) => {
            if real_name != name && !pkg.link {
                return Verdict::Invalid(format!("{key} (an alias of {real_name})"));
            }
            satisfies(version, parsed.range.as_ref(), || locked(name))
        }
        Spec::Alias {
            name: alias, inner, ..
        } => {
            if real_name != alias {
                return Verdict::Invalid(format!("{} (not {alias})", locked(real_name)));
            }
            match *inner {
                Spec::Version(_) | Spec::Range(_) => {
                    satisfies(version, parsed.range.as_ref(), || locked(alias))
                }
                Spec::Tag(tag) => Verdict::Undecidable(format!(
                    "`{tag}` is a dist-tag; only the registry knows which version it names"
                )),
                _ => Verdict::Skip,
            }
        }
        Spec::Tag(tag) => Verdict::Undecidable(format!(
            "`{name}@{tag}`: a dist-tag names whatever the registry says today"
        )),
        Spec::Git { committish } => {
            let resolved = lock
                .resolved(target)
                .or(lock.resolved(pkg))
                .unwrap_or_default();
            if repo_of(resolved) != repo_of(spec) {
                return Verdict::Invalid(format!("{name} from {resolved}"));
            }
            match committish {
                Some(c)
                    if is_full_sha(c) && resolved.rsplit_once('#').map(|(_, s)| s) != Some(c) =>
                {
                    Verdict::Invalid(format!("{name} from {resolved}"))
                }
                _ => Verdict::Ok,
            }
        }
        Spec::Url { .. } => {
            if lock.resolved(pkg) == Some(spec.trim()) {
                Verdict::Ok
            } else {
                Verdict::Invalid(match lock.resolved(pkg) {
                    Some(resolved) => format!("{name} from {resolved}"),
                    None => format!("{key} (recorded without a `resolved` URL)"),
                })
            }
        }
        // A folder (`../lib`, `file:../lib`) is installed as a link to it: an entry that is a
        // plain package there, and was not packed from it (`resolved: file:…`, as
        // `install-links` records it), is not what npm ci accepts (it reports the link missing;
        // seen on elysiajs/elysia's test/cloudflare lockfile). A tarball is a package.
        Spec::File if !pkg.link && !is_tarball(spec) => match lock.resolved(pkg) {
            Some(r) if r.starts_with("file:") => Verdict::Ok,
            _ => Verdict::Missing,
        },
        Spec::File => Verdict::Ok,
        Spec::Protocol(_) | Spec::Invalid { .. } => Verdict::Skip,
    }
}

/// Whether a path spec names a tarball (`file:../x.tgz`) rather than a folder.
fn is_tarball(spec: &str) -> bool {
    let lower = spec.to_ascii_lowercase();
    [".tgz", ".tar.gz", ".tar"]
        .iter()
        .any(|e| lower.ends_with(e))
}

fn satisfies(
    version: Option<&str>,
    range: Option<&Matcher<'_>>,
    locked: impl Fn() -> String,
) -> Verdict {
    let Some(version) = version else {
        return Verdict::Invalid(locked());
    };
    match range.map(|r| r.satisfies(version)) {
        Some(Some(true)) => Verdict::Ok,
        Some(Some(false)) => Verdict::Invalid(locked()),
        // A locked version that is not semver at all: `npm ci` stops ("Invalid Version").
        Some(None) => Verdict::Invalid(locked()),
        None => Verdict::Skip,
    }
}

/// `host/owner/repo` of a git spec or resolved URL, for comparing the two.
fn repo_of(spec: &str) -> String {
    let s = spec.split('#').next().unwrap_or(spec).trim();
    let s = s.strip_prefix("git+").unwrap_or(s);
    let s = if let Some(rest) = s.strip_prefix("github:") {
        format!("github.com/{rest}")
    } else if let Some(rest) = s.strip_prefix("gitlab:") {
        format!("gitlab.com/{rest}")
    } else if let Some(rest) = s.strip_prefix("bitbucket:") {
        format!("bitbucket.org/{rest}")
    } else if let Some((_, rest)) = s.split_once("://") {
        rest.rsplit_once('@')
            .map_or(rest, |(_, r)| r)
            .replacen(':', "/", 1)
    } else if let Some((user_host, path)) = s.split_once(':').filter(|(h, _)| h.contains('@')) {
        format!(
            "{}/{path}",
            user_host.rsplit_once('@').map_or(user_host, |(_, h)| h)
        )
    } else {
        format!("github.com/{s}")
    };
    s.trim_end_matches('/')
        .trim_end_matches(".git")
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_specs_and_resolved_urls_name_the_same_repo() {
        let resolved =
            "git+ssh://git@github.com/Octocat/b.git#2222222222222222222222222222222222222222";
        for spec in [
            "github:octocat/b",
            "octocat/b#main",
            "git+https://github.com/octocat/b.git#main",
            "git@github.com:octocat/b.git",
        ] {
            assert_eq!(repo_of(spec), repo_of(resolved), "{spec}");
        }
        assert_ne!(repo_of("github:octocat/c"), repo_of(resolved));
    }
}
