//! package.json specifiers: ranges, dist-tags, git and url specs, invalid specs, each with the
//! pin fix of [`crate::pin`] where the lockfile says what to pin to.

use crate::role::Role;
use std::sync::Arc;

use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile};
use chainward_npm::lockfile::any_lockfile_for;
use chainward_npm::spec::is_full_sha;
use chainward_npm::{
    AnyLock, DepEntry, NpmLockfile, Section, Spec, any_lockfile, classify, npm_lockfile,
    package_json,
};

use crate::Options;
use crate::pin::{pin_fix, with_git_pin};

pub(crate) static RANGE_SPECIFIER: Rule = Rule {
    id: "pin-check/range-specifier",
    code: "PIN001",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A dependency is declared with a version range instead of an exact version",
    doc: r#"A range (`^1.2.3`, `~1.2`, `>=1`, `1.x`, `*`, `""`, `1 - 2`, `a || b`) lets `npm install`
pick any matching version, including one published minutes ago by whoever controls the package.
That is how compromised releases (event-stream, ua-parser-js, the Shai-Hulud worm) reach projects
that never asked for them. An exact version changes only when you change it.

Checked in `dependencies`, `devDependencies`, `optionalDependencies`, npm `overrides`, yarn
`resolutions`, `pnpm.overrides` and the `overrides:` and catalogs of pnpm-workspace.yaml, and
inside `npm:` aliases (`npm:pkg@^1`). `peerDependencies`
are ranges by design and are only checked with `peer-dependencies = true` under `[pin-check]`.
`workspace:`, `file:`, `link:`, `portal:` and `catalog:` specs are resolved from the project
itself and are not flagged; nor is a range the lockfile installs as a link to a workspace
sibling (npm and yarn link a sibling declared `"*"` or `^1`). pnpm 9 links only `workspace:`
specs: there `"*"` installs whatever the registry has under that name, and is reported.

```json
{ "dependencies": { "ms": "^2.1.0" } }
```

**Fix** (safe): `chainward fix` replaces the range with the exact version the lockfile already
installs for that dependency, resolved as Node resolves it (for a workspace `packages/a`,
`packages/a/node_modules/ms` before `node_modules/ms`), in package.json *and* in the lockfile's
record of the spec, so that `npm ci` and `npm install --package-lock-only` agree afterwards.
With pnpm-lock.yaml (6.x, 9.0) or bun.lock the fix edits the importer's recorded specifier
too, since `pnpm install --frozen-lockfile` and `bun install --frozen-lockfile` demand that it
equals package.json; ranges in pnpm catalogs (`catalog:`/`catalogs:` in pnpm-workspace.yaml) are
reported there and pinned in pnpm-workspace.yaml and the lockfile's `catalogs`. With yarn.lock the
finding names the version to pin to (yarn keys its entries by descriptor, which only yarn
rewrites faithfully); yarn's catalogs in `.yarnrc.yml` are reported the same way.

When the locked version does not satisfy the range, there is no fix: update the lockfile first.

A range that a pnpm override replaces with an exact version (the lockfile records the override's
spec for the dependency) is not what gets installed, and is not reported.

**By package role.** Exact versions protect what runs. An application runs from its lockfile: its
ranges are errors. A published executable (`bin`, `mcpName`, a server.json beside it: an MCP
server started with `npx`) runs on its users' machines from whatever its ranges resolve to, since
npm ignores a published package's package-lock.json: its ranges are errors, and the help names the
alternative, an npm-shrinkwrap.json, which npm honours there. A library (published: `name`,
`version` and `main`/`exports`/`module`/`types`/`files`/`publishConfig`, not `private`, no `bin`)
is resolved by its consumers' lockfiles: ranges in its `dependencies` and `optionalDependencies`
are the ecosystem's practice (exact pins duplicate packages in every consumer) and are not
reported; its `devDependencies` still are. `[pin-check.roles]` sets a package's role by folder or
name where the manifest does not say it: `"packages/cli" = "executable"`.

**Python (pyproject.toml).** The same holds for PEP 621 `dependencies`,
`optional-dependencies`, PEP 735 `[dependency-groups]` and `tool.uv.dev-dependencies`: a
requirement without an exact `==` version is reported. A project published to PyPI (a
`[build-system]`, and a workflow that uploads — `pypa/gh-action-pypi-publish`, `uv publish`,
`twine upload`, `poetry publish`, … — or `classifiers`/`[project.urls]` written for the project
page) is a library: its dependencies and extras keep their ranges by design (its users' resolver
picks them) and only its dependency groups are reported; `[pin-check.roles]` says otherwise.
Requirements with a `[tool.uv.sources]` entry (workspace members, paths, git) and direct URLs
are not reported. **Fix** (safe): with a uv.lock that holds one version of the package, `chainward
fix` writes `==<that version>` into the requirement (extras and markers kept) and the same
specifier into uv.lock's record of it (`[package.metadata] requires-dist` / `requires-dev`), so
that `uv sync --locked` still accepts the lock (checked against the real uv in the test suite).
"#,
};

pub(crate) static DIST_TAG: Rule = Rule {
    id: "pin-check/dist-tag",
    code: "PIN002",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A dependency follows a dist-tag such as `latest` or `next`",
    doc: r#"A dist-tag is a mutable pointer the package's publisher moves with every release: `"latest"`
means "whatever was published last", with no review in between.

```json
{ "dependencies": { "left-pad": "latest" } }
```

**Fix** (safe): pin to the version the lockfile installs for that dependency.
"#,
};

pub(crate) static UNPINNED_GIT: Rule = Rule {
    id: "pin-check/unpinned-git",
    code: "PIN003",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A git dependency is not pinned to a full commit SHA",
    doc: r#"`github:user/repo`, `user/repo#v1`, `git+https://host/repo.git#main`: branches and tags
in a git repository can be moved or force-pushed by anyone with push access, and git
dependencies carry no integrity hash in the lockfile. Only a full 40-hex commit SHA names one
tree. Git dependencies also run their `prepare` script at install time.

**Fix** (unsafe, `--unsafe-fixes`): replace the ref with the commit the lockfile resolved it
to, in package.json and in the lockfile. It is unsafe because the dependency no longer follows
the branch.
"#,
};

pub(crate) static URL_SPEC: Rule = Rule {
    id: "pin-check/url-spec",
    code: "PIN004",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A dependency is a tarball URL",
    doc: r#"An http(s) tarball bypasses the registry: no version, no provenance, and the server can
serve different bytes tomorrow. The lockfile's `integrity` hash is the only thing that catches
a changed tarball, so the finding says whether the lockfile carries one (an error when it does
not, or when the URL is plain `http:`).

Prefer a registry version; if you must keep the URL, commit the lockfile with its integrity.
"#,
};

pub(crate) static INVALID_SPECIFIER: Rule = Rule {
    id: "pin-check/invalid-specifier",
    code: "PIN005",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A dependency specifier that npm cannot parse strictly",
    doc: r#"A specifier such as `^1.12.00` (a leading zero), `foo bar` (not a valid tag) or a
non-string value. npm reads some of these in "loose" mode when installing but compares them
strictly elsewhere, so what gets installed and what `npm ci` accepts can disagree. The finding
points at the offending part of the specifier.
"#,
};

/// Check one package.json.
pub(crate) fn check(
    project: &Project,
    file: &Arc<SourceFile>,
    opts: &Options,
    out: &mut Vec<Finding>,
) {
    let Some(pj) = package_json(file) else { return };
    let lock = Lock::find(project, file);
    let role = crate::role::role(project, file, pj, &opts.roles);
    if role == Role::Executable {
        crate::shrinkwrap::check(file, pj, lock.as_ref(), out);
    }
    if role == Role::Library {
        project.note(format!(
            "pin-check: {} is {} (published, no `bin`): ranges in its dependencies and optionalDependencies are its consumers' to resolve and are not reported ([pin-check.roles] says otherwise)",
            file.rel,
            role.as_str()
        ));
    }
    let mut sections = vec![
        Section::Dependencies,
        Section::DevDependencies,
        Section::OptionalDependencies,
    ];
    if opts.peer_dependencies {
        sections.push(Section::PeerDependencies);
    }
    sections.extend([
        Section::Overrides,
        Section::Resolutions,
        Section::PnpmOverrides,
    ]);

    let resolved_away = lock
        .as_ref()
        .map(|l| yarn_resolved_names(project, l))
        .unwrap_or_default();
    let runtime: Vec<(&str, Option<&str>)> = [Section::Dependencies, Section::OptionalDependencies]
        .into_iter()
        .flat_map(|s| pj.deps(s))
        .map(|e| (e.key, e.spec))
        .collect();
    let dev: Vec<(&str, Option<&str>)> = pj
        .deps(Section::DevDependencies)
        .into_iter()
        .map(|e| (e.key, e.spec))
        .collect();

    for section in sections {
        for entry in pj.deps(section) {
            let before = out.len();
            check_entry(file, &entry, lock.as_ref(), out);
            let own_dependency = matches!(
                section,
                Section::Dependencies
                    | Section::DevDependencies
                    | Section::OptionalDependencies
                    | Section::PeerDependencies
            );
            // yarn's `resolutions` replace this range everywhere: what yarn installs is the
            // resolution's, reported where it is declared.
            if own_dependency && resolved_away.iter().any(|n| n == entry.key) {
                let found = out.split_off(before);
                out.extend(
                    found
                        .into_iter()
                        .filter(|f| f.rule != RANGE_SPECIFIER.id && f.rule != DIST_TAG.id),
                );
            }
            // The same package in `dependencies` and `devDependencies`: the package managers
            // disagree on which entry they install (npm, yarn and bun the `devDependencies`
            // one, pnpm the other), so the lockfile may record the other: say so rather than
            // call the lockfile out of sync.
            let twin = match section {
                Section::DevDependencies => runtime
                    .iter()
                    .find(|(k, _)| *k == entry.key)
                    .map(|(_, spec)| ("dependencies", *spec)),
                Section::Dependencies | Section::OptionalDependencies => dev
                    .iter()
                    .find(|(k, _)| *k == entry.key)
                    .map(|(_, spec)| ("devDependencies", *spec)),
                _ => None,
            };
            if let Some((other_section, other)) = twin {
                let twin = format!(
                    "`{}` is also in `{other_section}`{}: npm, yarn and bun install the `devDependencies` entry, pnpm the `dependencies` one; keep one, pinned",
                    entry.key,
                    other.map(|o| format!(" (`{o}`)")).unwrap_or_default()
                );
                for finding in &mut out[before..] {
                    if finding.rule != RANGE_SPECIFIER.id && finding.rule != DIST_TAG.id {
                        continue;
                    }
                    finding.help = Some(match finding.help.take() {
                        // The lockfile records the twin's spec, not this one's: it is not out
                        // of sync.
                        Some(help)
                            if finding.fix.is_none() && help.contains("has no entry for") =>
                        {
                            twin.clone()
                        }
                        Some(help) => format!("{help}; {twin}"),
                        None => twin.clone(),
                    });
                }
            }
            // A library's runtime ranges are its consumers' to resolve.
            if role == Role::Library
                && matches!(
                    section,
                    Section::Dependencies | Section::OptionalDependencies
                )
            {
                let found = out.split_off(before);
                out.extend(found.into_iter().filter(|f| f.rule != RANGE_SPECIFIER.id));
            }
            // A published executable runs from its package.json ranges on its users' machines:
            // the alternative to exact versions is a shrinkwrap, which npm honours there.
            if role == Role::Executable {
                for finding in &mut out[before..] {
                    if finding.rule == RANGE_SPECIFIER.id
                        && matches!(
                            section,
                            Section::Dependencies | Section::OptionalDependencies
                        )
                    {
                        let help = finding.help.take().unwrap_or_default();
                        finding.help = Some(format!(
                            "{help}{}published and run by its users (`bin`, an MCP server), who install what these ranges resolve to: pin them, or publish an npm-shrinkwrap.json (`npm shrinkwrap`), which npm honours in a published package (unlike package-lock.json)",
                            if help.is_empty() { "" } else { "; " }
                        ));
                    }
                }
            }
            // `--base` matches these by dependency, wherever its line moved.
            for finding in &mut out[before..] {
                finding
                    .subject
                    .get_or_insert_with(|| format!("{}:{}", section.key(), entry.key));
            }
        }
    }
}

/// yarn: the names the `resolutions` of the package.json beside the lockfile replace
/// everywhere (`name`, `name@range`, `**/name`; not `parent/name`, which applies below one
/// parent only).
fn yarn_resolved_names(project: &Project, lock: &Lock) -> Vec<String> {
    let is_yarn = matches!(lock.file.kind, chainward_core::FileKind::YarnLock);
    if !is_yarn {
        return Vec::new();
    }
    let Some(root) = project.file_at(&lock.file.path.with_file_name("package.json")) else {
        return Vec::new();
    };
    let Some(resolutions) = package_json(&root)
        .and_then(|pj| pj.json.get("resolutions"))
        .and_then(chainward_core::json::Json::as_object)
    else {
        return Vec::new();
    };
    resolutions
        .iter()
        .filter_map(|m| {
            let selector = m.key.strip_prefix("**/").unwrap_or(&m.key);
            let bare = match selector.rfind('@') {
                Some(at) if at > 0 => &selector[..at],
                _ => selector,
            };
            let slashes = bare.matches('/').count();
            let nested = if bare.starts_with('@') {
                slashes > 1
            } else {
                slashes > 0
            };
            (!nested && !bare.is_empty()).then(|| bare.to_string())
        })
        .collect()
}

/// The lockfile covering a package.json, with the importer key of that package.json.
pub(crate) struct Lock {
    pub(crate) file: Arc<SourceFile>,
    pub(crate) importer: String,
    /// The lockfile as seen from the package.json's folder (`package-lock.json`,
    /// `../../package-lock.json`), for messages.
    shown: String,
}

impl Lock {
    pub(crate) fn find(project: &Project, manifest: &SourceFile) -> Option<Lock> {
        let (file, importer) = any_lockfile_for(project, &manifest.path)?;
        let name = file
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let depth = if importer.is_empty() {
            0
        } else {
            importer.split('/').count()
        };
        let shown = format!("{}{name}", "../".repeat(depth));
        Some(Lock {
            file,
            importer,
            shown,
        })
    }

    /// The npm lockfile (`None` for the other formats).
    pub(crate) fn parsed(&self) -> Option<&NpmLockfile> {
        if self.file.kind.is_npm_lockfile() {
            npm_lockfile(&self.file)
        } else {
            None
        }
    }

    /// The lockfile, whatever its format.
    pub(crate) fn any(&self) -> Option<AnyLock<'_>> {
        any_lockfile(&self.file)
    }

    pub(crate) fn name(&self) -> &str {
        &self.shown
    }
}

fn check_entry(
    file: &SourceFile,
    entry: &DepEntry<'_>,
    lock: Option<&Lock>,
    out: &mut Vec<Finding>,
) {
    let section = entry.section.key();
    let Some(spec) = entry.spec else {
        out.push(Finding::new(
            &INVALID_SPECIFIER,
            file,
            entry.spec_span.clone(),
            format!("`{}` in `{section}` must be a string", entry.key),
        ));
        return;
    };
    // npm and pnpm overrides may reference the root's own spec: `"foo": "$foo"` (seen in
    // facebook/lexical's `pnpm.overrides`, which pnpm 10 locks as the root's range).
    if matches!(entry.section, Section::Overrides | Section::PnpmOverrides) && spec.starts_with('$')
    {
        return;
    }
    let (spec_kind, alias_name, inner_offset) = match classify(spec) {
        Spec::Alias {
            name,
            inner,
            inner_offset,
        } => (*inner, Some(name), inner_offset),
        other => (other, None, 0),
    };
    let shown = match alias_name {
        Some(real) => format!("`{}` (an alias of `{real}`)", entry.name),
        None => format!("`{}`", entry.name),
    };
    // pnpm records the spec it installs by: where an override replaced this dependency's range
    // (with an exact version, or with another range, which is then reported where the override
    // or the catalog it names declares it), the range in package.json is not what gets
    // installed.
    let replaced_by_override = matches!(spec_kind, Spec::Range(_) | Spec::Tag(_))
        && lock.is_some_and(|l| {
            l.any().is_some_and(|any| {
                any.installed_by(&l.importer, entry.section, entry.key)
                    .is_some_and(|installed| {
                        installed != spec
                            && (matches!(classify(installed), Spec::Version(_))
                                || any.overrides_everywhere(entry.key))
                    })
            })
        });
    if replaced_by_override {
        return;
    }
    match spec_kind {
        Spec::Version(_) | Spec::File | Spec::Protocol(_) => {}
        Spec::Range(range) => {
            // A workspace sibling declared `"*"` (or `^1`) that the lockfile links: the
            // project's own folder is installed, not a version from the registry.
            let linked = alias_name.is_none()
                && matches!(
                    entry.section,
                    Section::Dependencies
                        | Section::DevDependencies
                        | Section::OptionalDependencies
                        | Section::PeerDependencies
                )
                && lock.is_some_and(|l| {
                    l.any()
                        .is_some_and(|a| a.links_to_project(&l.importer, entry.name, spec))
                });
            if linked {
                return;
            }
            let what = if range.is_empty() {
                "the empty range `\"\"`, which npm reads as `*` (any version)".to_string()
            } else if range == "*" || range == "x" {
                "the range `*` (any version)".to_string()
            } else {
                format!("the range `{range}`")
            };
            let message = format!("{shown} in `{section}` is declared with {what}");
            let finding = Finding::new(&RANGE_SPECIFIER, file, entry.spec_span.clone(), message);
            out.push(with_pin(
                finding,
                file,
                entry,
                lock,
                alias_name,
                Some(range),
            ));
        }
        Spec::Tag(tag) => {
            let message = format!(
                "{shown} in `{section}` follows the dist-tag `{tag}`, which its publisher can move at any time"
            );
            let finding = Finding::new(&DIST_TAG, file, entry.spec_span.clone(), message);
            out.push(with_pin(finding, file, entry, lock, alias_name, None));
        }
        Spec::Git { committish } => {
            if committish.is_some_and(is_full_sha) {
                return;
            }
            let what = match committish {
                None => "the default branch".to_string(),
                Some(c) if c.starts_with("semver:") => format!("the tag range `{}`", &c[7..]),
                Some(c) => format!("the ref `{c}`"),
            };
            let message = format!(
                "{shown} in `{section}` is a git dependency that follows {what}, not a commit"
            );
            let finding = Finding::new(&UNPINNED_GIT, file, entry.spec_span.clone(), message);
            out.push(with_git_pin(finding, file, entry, lock, spec));
        }
        Spec::Url { insecure } => {
            let locked = lock.and_then(|l| {
                let lf = l.parsed()?;
                lf.resolve(&l.importer, entry.name)
                    .map(|(_, p)| (l, lf.integrity(p)))
            });
            let (severity, detail) = match (&locked, insecure) {
                (_, true) => (
                    Severity::Error,
                    "over plain http, so anyone on the network path can swap it".to_string(),
                ),
                (Some((l, Some(integrity))), false) => (
                    Severity::Warning,
                    format!(
                        "{} pins its content ({})",
                        l.name(),
                        short_integrity(integrity)
                    ),
                ),
                (Some((l, None)), false) => (
                    Severity::Error,
                    format!(
                        "{} has no integrity hash for it, so a changed tarball goes unnoticed",
                        l.name()
                    ),
                ),
                (None, false) => (
                    Severity::Error,
                    "no lockfile records an integrity hash for it".to_string(),
                ),
            };
            out.push(
                Finding::new(
                    &URL_SPEC,
                    file,
                    entry.spec_span.clone(),
                    format!("{shown} in `{section}` is a tarball URL; {detail}"),
                )
                .with_severity(severity)
                .with_help("depend on a registry version instead, or keep the lockfile's integrity hash committed"),
            );
        }
        Spec::Invalid { reason, span } => {
            let _ = inner_offset;
            let precise = inner_span(file, &entry.spec_span, spec, &span);
            out.push(Finding::new(
                &INVALID_SPECIFIER,
                file,
                precise,
                format!("{shown} in `{section}`: {reason}"),
            ));
        }
        Spec::Alias { .. } => {}
    }
}

/// The span of `sub` (a range within the spec string) in the file, when the JSON string has no
/// escapes; the whole value otherwise.
fn inner_span(
    file: &SourceFile,
    value_span: &std::ops::Range<usize>,
    spec: &str,
    sub: &std::ops::Range<usize>,
) -> std::ops::Range<usize> {
    let raw = file
        .text()
        .ok()
        .and_then(|t| t.get(value_span.start + 1..value_span.end.saturating_sub(1)));
    match raw {
        Some(raw) if raw == spec && sub.end <= spec.len() && sub.start < sub.end => {
            value_span.start + 1 + sub.start..value_span.start + 1 + sub.end
        }
        _ => value_span.clone(),
    }
}

fn short_integrity(integrity: &str) -> String {
    match integrity.split_once('-') {
        Some((algo, hash)) if hash.len() > 12 => format!("{algo}-{}…", &hash[..12]),
        _ => integrity.to_string(),
    }
}

/// Attach the pin fix, or a note saying why there is none.
fn with_pin(
    finding: Finding,
    file: &SourceFile,
    entry: &DepEntry<'_>,
    lock: Option<&Lock>,
    alias_name: Option<&str>,
    range: Option<&str>,
) -> Finding {
    match pin_fix(file, entry, lock, alias_name, range) {
        Ok(fix) => finding.with_fix(fix),
        Err(why) => finding.with_help(why),
    }
}
