//! package.json specifiers: ranges, dist-tags, git and url specs, invalid specs; and the fix
//! that pins a range to the version the lockfile already installs, in package.json and in the
//! lockfile's importer entry alike.

use std::sync::Arc;

use chainward_core::json::quote;
use chainward_core::{Edit, Finding, Fix, Fixability, Project, Rule, Severity, SourceFile};
use chainward_npm::model::any_lockfile_for;
use chainward_npm::query::{NotLocked, Record};
use chainward_npm::spec::is_full_sha;
use chainward_npm::{
    AnyLock, DepEntry, NpmLockfile, Section, Spec, any_lockfile, classify, npm_lockfile,
    package_json,
};

use crate::Options;

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
itself and are not flagged.

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

    for section in sections {
        for entry in pj.deps(section) {
            let before = out.len();
            check_entry(file, &entry, lock.as_ref(), out);
            // `--base` matches these by dependency, wherever its line moved.
            for finding in &mut out[before..] {
                finding
                    .subject
                    .get_or_insert_with(|| format!("{}:{}", section.key(), entry.key));
            }
        }
    }
}

/// The lockfile covering a package.json, with the importer key of that package.json.
struct Lock {
    file: Arc<SourceFile>,
    importer: String,
    /// The lockfile as seen from the package.json's folder (`package-lock.json`,
    /// `../../package-lock.json`), for messages.
    shown: String,
}

impl Lock {
    fn find(project: &Project, manifest: &SourceFile) -> Option<Lock> {
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
    fn parsed(&self) -> Option<&NpmLockfile> {
        if self.file.kind.is_npm_lockfile() {
            npm_lockfile(&self.file)
        } else {
            None
        }
    }

    /// The lockfile, whatever its format.
    fn any(&self) -> Option<AnyLock<'_>> {
        any_lockfile(&self.file)
    }

    fn name(&self) -> &str {
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
    // npm overrides may reference the root's own spec: `"foo": "$foo"`.
    if entry.section == Section::Overrides && spec.starts_with('$') {
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
    // with an exact version, the range in package.json is not what gets installed.
    let pinned_by_override = matches!(spec_kind, Spec::Range(_) | Spec::Tag(_))
        && lock
            .and_then(|l| l.any()?.installed_by(&l.importer, entry.section, entry.key))
            .is_some_and(|installed| {
                installed != spec && matches!(classify(installed), Spec::Version(_))
            });
    if pinned_by_override {
        return;
    }
    match spec_kind {
        Spec::Version(_) | Spec::File | Spec::Protocol(_) => {}
        Spec::Range(range) => {
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
                    .map(|(_, p)| (l, p.integrity.clone()))
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

fn pin_fix(
    file: &SourceFile,
    entry: &DepEntry<'_>,
    lock: Option<&Lock>,
    alias_name: Option<&str>,
    range: Option<&str>,
) -> Result<Fix, String> {
    let lock = lock.ok_or_else(|| {
        "pin it to an exact version (no lockfile records which version is installed; run `npm install --package-lock-only` to create one)".to_string()
    })?;
    let any = lock.any().ok_or_else(|| {
        format!(
            "{} does not parse, so there is no version to pin to",
            lock.name()
        )
    })?;
    let npm = lock.parsed();
    let real_name = alias_name.unwrap_or(entry.name);
    let (install_first, sync_then_pin) = if npm.is_some() {
        (
            "run `npm install` first",
            "run `npm install` to bring the lockfile in sync, then pin",
        )
    } else {
        ("install first", "bring the lockfile in sync, then pin")
    };
    let out_of_sync = || {
        format!(
            "{} has no entry for `{}`: the lockfile is out of sync; {install_first}",
            lock.name(),
            entry.name
        )
    };
    let (version, record) = match entry.section {
        Section::Overrides | Section::Resolutions | Section::PnpmOverrides => {
            if npm.is_none() {
                return Err(format!(
                    "pin it to the one version {} installs (chainward pins overrides only against npm lockfiles)",
                    lock.name()
                ));
            }
            let version = any.single_version(real_name).map_err(|found| match found.as_slice() {
                [] => format!(
                    "{} installs no `{real_name}`, so there is no version to pin the override to",
                    lock.name()
                ),
                many => format!(
                    "{} installs several versions of `{real_name}` ({}), so there is no single version to pin the override to",
                    lock.name(),
                    many.join(", ")
                ),
            })?;
            (version.to_string(), Record::Npm)
        }
        Section::PeerDependencies if npm.is_none() => {
            return Err(format!(
                "pin it to the one version {} installs (chainward pins overrides only against npm lockfiles)",
                lock.name()
            ));
        }
        _ => {
            let member = package_json(file).and_then(|p| p.name());
            let spec = entry.spec.unwrap_or_default();
            let locked = any
                .locked(&lock.importer, member, entry.name, spec)
                .map_err(|why| match why {
                    NotLocked::Missing | NotLocked::Stale => out_of_sync(),
                    NotLocked::NoVersion(key) => {
                        format!("{} records no version for {key}", lock.name())
                    }
                })?;
            if let Some(alias) = alias_name
                && npm.is_some()
                && locked.name != alias
            {
                return Err(format!(
                    "{} installs `{}` at {}, not the alias target `{alias}`: the lockfile is out of sync",
                    lock.name(),
                    locked.name,
                    locked.key
                ));
            }
            (locked.version, locked.record)
        }
    };
    if record == Record::Descriptor {
        return Err(format!(
            "pin it to {version}, the version {} installs, then run `yarn install` so that yarn.lock records the new descriptor (chainward does not rewrite yarn.lock)",
            lock.name()
        ));
    }
    if let Some(range) = range
        && !satisfies(&version, range)
    {
        return Err(format!(
            "no fix: {} installs {real_name}@{version}, which does not satisfy `{range}`; {sync_then_pin}",
            lock.name()
        ));
    }
    let new_spec = match alias_name {
        Some(real) => format!("npm:{real}@{version}"),
        None => version.clone(),
    };
    let edits = match (&record, npm) {
        (Record::Spec(span), _) => {
            let spec = entry.spec.unwrap_or_default();
            let written = lock
                .file
                .text()
                .ok()
                .and_then(|t| t.get(span.clone()))
                .unwrap_or_default();
            let replacement = yaml_replacement(written, spec, &new_spec).ok_or_else(|| {
                format!(
                    "{} records the spec in a form chainward cannot edit safely",
                    lock.name()
                )
            })?;
            vec![
                Edit::replace(&file.path, entry.spec_span.clone(), quote(&new_spec)),
                Edit::replace(&lock.file.path, span.clone(), replacement),
            ]
        }
        (_, Some(lf)) => spec_edits(file, entry, lock, lf, &new_spec),
        (_, None) => vec![Edit::replace(
            &file.path,
            entry.spec_span.clone(),
            quote(&new_spec),
        )],
    };
    Ok(Fix::safe(
        format!(
            "pin `{}` to {new_spec}, the version {} installs",
            entry.key,
            lock.name()
        ),
        edits,
    ))
}

/// A YAML scalar's replacement in the style it was written in (plain, `'…'` or `"…"`), or
/// `None` when its text is not the value verbatim.
fn yaml_replacement(written: &str, old: &str, new: &str) -> Option<String> {
    match written.chars().next() {
        Some('"') => Some(quote(new)),
        Some('\'') => Some(format!("'{new}'")),
        _ if written == old => Some(new.to_string()),
        _ => None,
    }
}

/// The catalogs of pnpm-workspace.yaml or .yarnrc.yml: `catalog:` as `default`, then each of
/// `catalogs:`.
fn catalog_sections(doc: &chainward_core::yaml::Yaml) -> Vec<(&str, &chainward_core::yaml::Yaml)> {
    let mut catalogs = Vec::new();
    if let Some(default) = doc.get("catalog") {
        catalogs.push(("default", default));
    }
    if let Some(named) = doc.get("catalogs") {
        catalogs.extend(named.entries());
    }
    catalogs
}

/// pnpm catalogs (`catalog:` and `catalogs.<name>:` in pnpm-workspace.yaml): the ranges that
/// every `"dep": "catalog:"` of the workspace resolves through. The fix pins the catalog entry in
/// pnpm-workspace.yaml and the lockfile's `catalogs` record together.
pub(crate) fn check_pnpm_workspace(project: &Project, file: &SourceFile, out: &mut Vec<Finding>) {
    let Some(doc) = chainward_core::yaml::parsed(file) else {
        return;
    };
    let Ok(text) = file.text() else { return };
    let dir = file.path.parent().unwrap_or(std::path::Path::new(""));
    let lock_file = project.file_at(&dir.join("pnpm-lock.yaml"));
    let lock = lock_file.as_ref().and_then(|f| Some((f, any_lockfile(f)?)));
    for (catalog, entries) in catalog_sections(doc) {
        for (name, value) in entries.entries() {
            let Some(spec) = value.as_str() else { continue };
            let where_ = if catalog == "default" {
                "the pnpm catalog".to_string()
            } else {
                format!("the pnpm catalog `{catalog}`")
            };
            let Some((rule, what, range, alias)) = loose_spec(spec) else {
                continue;
            };
            let finding = Finding::new(
                rule,
                file,
                value.span.clone(),
                format!(
                    "`{name}` in {where_} is declared with {what}: every `catalog:` dependency on it follows that range"
                ),
            );
            let fix = match alias {
                Some(real) => Err(format!(
                    "pin the alias to an exact version of `{real}` (`npm:{real}@1.2.3`), then run `pnpm install`"
                )),
                None => catalog_fix(file, text, lock, catalog, name, spec, range, value, &where_),
            };
            out.push(match fix {
                Ok(fix) => finding.with_fix(fix),
                Err(why) => finding.with_help(why),
            });
        }
    }
    // `overrides:` (pnpm 10+ reads them here): what every dependent of the package installs.
    for (key, value) in doc
        .get("overrides")
        .map(|o| o.entries())
        .into_iter()
        .flatten()
    {
        let Some(spec) = value.as_str() else { continue };
        let Some((rule, what, _, alias)) = loose_spec(spec) else {
            continue;
        };
        let help = match alias {
            Some(real) => format!("pin it to an exact version: `npm:{real}@1.2.3`"),
            None => "pin it to an exact version: an override decides what every dependent installs"
                .to_string(),
        };
        out.push(
            Finding::new(
                rule,
                file,
                value.span.clone(),
                format!(
                    "`{key}` in the `overrides` of pnpm-workspace.yaml is declared with {what}"
                ),
            )
            .with_help(help),
        );
    }
}

/// A range or dist-tag, also inside an `npm:` alias: the rule, how to say it, the range, and the
/// alias's target. `None` for exact versions and specs resolved from the project
/// (`workspace:`, `catalog:`, `link:`, `$name` references, `-` removals).
fn loose_spec(spec: &str) -> Option<(&'static Rule, String, Option<&str>, Option<&str>)> {
    if spec.starts_with('$') || spec.trim() == "-" {
        return None;
    }
    let (kind, alias) = match classify(spec) {
        Spec::Alias { name, inner, .. } => (*inner, Some(name)),
        other => (other, None),
    };
    let shown = |what: String| match alias {
        Some(real) => format!("{what} (an alias of `{real}`)"),
        None => what,
    };
    match kind {
        Spec::Range(r) => Some((
            &RANGE_SPECIFIER,
            shown(format!("the range `{r}`")),
            Some(r),
            alias,
        )),
        Spec::Tag(t) => Some((&DIST_TAG, shown(format!("the dist-tag `{t}`")), None, alias)),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn catalog_fix(
    file: &SourceFile,
    text: &str,
    lock: Option<(&Arc<SourceFile>, AnyLock<'_>)>,
    catalog: &str,
    name: &str,
    spec: &str,
    range: Option<&str>,
    value: &chainward_core::yaml::Yaml,
    where_: &str,
) -> Result<Fix, String> {
    let (lock_file, lf) = lock.ok_or("no pnpm-lock.yaml records which version is installed; run `pnpm install --lockfile-only` first")?;
    let entry = lf
        .catalog_entry(catalog, name)
        .filter(|e| e.specifier == spec)
        .ok_or("pnpm-lock.yaml does not record this catalog entry as written: install first")?;
    let version = entry
        .version
        .as_deref()
        .ok_or("pnpm-lock.yaml records no version for it")?;
    let version = version.split('(').next().unwrap_or(version);
    if let Some(range) = range
        && !satisfies(version, range)
    {
        return Err(format!(
            "no fix: pnpm-lock.yaml installs {name}@{version}, which does not satisfy `{range}`"
        ));
    }
    let ws_written = text.get(value.span.clone()).unwrap_or_default();
    let lock_text = lock_file
        .text()
        .map_err(|_| "pnpm-lock.yaml cannot be read".to_string())?;
    let lock_written = lock_text.get(entry.span.clone()).unwrap_or_default();
    let (Some(ws_new), Some(lock_new)) = (
        yaml_replacement(ws_written, spec, version),
        yaml_replacement(lock_written, spec, version),
    ) else {
        return Err("the catalog entry is written in a form chainward cannot edit safely".into());
    };
    Ok(Fix::safe(
        format!("pin `{name}` in {where_} to {version}, the version pnpm-lock.yaml installs"),
        vec![
            Edit::replace(&file.path, value.span.clone(), ws_new),
            Edit::replace(&lock_file.path, entry.span.clone(), lock_new),
        ],
    ))
}

/// yarn catalogs (`catalog:` and `catalogs.<name>:` in .yarnrc.yml, yarn ≥ 4.10): the ranges
/// every `"dep": "catalog:"` resolves through. No fix: yarn.lock keys its entries by descriptor,
/// which only yarn rewrites faithfully; the finding names the version yarn.lock installs.
pub(crate) fn check_yarn_catalogs(project: &Project, file: &SourceFile, out: &mut Vec<Finding>) {
    let Some(doc) = chainward_core::yaml::parsed(file) else {
        return;
    };
    let dir = file.path.parent().unwrap_or(std::path::Path::new(""));
    let lock_file = project.file_at(&dir.join("yarn.lock"));
    let lock = lock_file.as_deref().and_then(any_lockfile);
    for (catalog, entries) in catalog_sections(doc) {
        for (name, value) in entries.entries() {
            let Some(spec) = value.as_str() else { continue };
            let where_ = if catalog == "default" {
                "the yarn catalog".to_string()
            } else {
                format!("the yarn catalog `{catalog}`")
            };
            let (rule, what) = match classify(spec) {
                Spec::Range(r) => (&RANGE_SPECIFIER, format!("the range `{r}`")),
                Spec::Tag(t) => (&DIST_TAG, format!("the dist-tag `{t}`")),
                _ => continue,
            };
            let help = match lock.and_then(|l| l.by_descriptor(name, spec)) {
                Some(pkg) => format!(
                    "pin it to {}, the version yarn.lock installs, then run `yarn install` so that yarn.lock records the new descriptor",
                    pkg.version
                ),
                None => "pin it to an exact version, then run `yarn install`".to_string(),
            };
            out.push(
                Finding::new(
                    rule,
                    file,
                    value.span.clone(),
                    format!("`{name}` in {where_} is declared with {what}: every `catalog:` dependency on it follows that range"),
                )
                .with_help(help),
            );
        }
    }
}

/// Whether `version` satisfies `range` (an empty range is `*`).
fn satisfies(version: &str, range: &str) -> bool {
    chainward_npm::spec::satisfies(version, range).unwrap_or(false)
}

/// Git specs: an unsafe fix to the commit the lockfile resolved.
fn with_git_pin(
    finding: Finding,
    file: &SourceFile,
    entry: &DepEntry<'_>,
    lock: Option<&Lock>,
    spec: &str,
) -> Finding {
    let resolved = lock.and_then(|l| {
        let lf = l.parsed()?;
        let (_, pkg) = lf.resolve(&l.importer, entry.name)?;
        let sha = pkg.resolved.as_deref()?.rsplit_once('#')?.1;
        is_full_sha(sha).then(|| (l, lf, sha.to_string()))
    });
    let Some((lock, lf, sha)) = resolved else {
        return finding.with_help("pin it to a full 40-character commit SHA: `user/repo#<sha>`");
    };
    let base = spec.split('#').next().unwrap_or(spec).trim();
    let new_spec = format!("{base}#{sha}");
    let edits = spec_edits(file, entry, lock, lf, &new_spec);
    finding.with_fix(Fix::unsafe_(
        format!(
            "pin `{}` to `{new_spec}`, the commit {} resolved",
            entry.key,
            lock.name()
        ),
        edits,
    ))
}

/// The edits that change a spec to `new_spec`: in package.json, and in the lockfile's record of
/// that spec for the importer (v2/v3 lockfiles; v1 records no specs), so that the two agree.
fn spec_edits(
    file: &SourceFile,
    entry: &DepEntry<'_>,
    lock: &Lock,
    lf: &NpmLockfile,
    new_spec: &str,
) -> Vec<Edit> {
    let replacement = quote(new_spec);
    let mut edits = vec![Edit::replace(
        &file.path,
        entry.spec_span.clone(),
        replacement.clone(),
    )];
    if lf.records_specs()
        && let Ok(text) = lock.file.text()
        && let Some(span) = lf.importer_spec_span(text, &lock.importer, entry.section, entry.key)
    {
        edits.push(Edit::replace(&lock.file.path, span, replacement));
    }
    edits
}
