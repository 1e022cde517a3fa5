//! The pin fixes: a range rewritten to the version the lockfile installs, in package.json and
//! in the lockfile's record of the spec, for each lockfile format (npm, pnpm, yarn, bun).

use chainward_core::json::quote;
use chainward_core::{Edit, Finding, Fix, SourceFile};
use chainward_npm::query::{NotLocked, Record};
use chainward_npm::spec::is_full_sha;
use chainward_npm::{DepEntry, NpmLockfile, Section, package_json};

use crate::manifest::Lock;

pub(crate) fn pin_fix(
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
pub(crate) fn yaml_replacement(written: &str, old: &str, new: &str) -> Option<String> {
    match written.chars().next() {
        Some('"') => Some(quote(new)),
        Some('\'') => Some(format!("'{new}'")),
        _ if written == old => Some(new.to_string()),
        _ => None,
    }
}

/// Whether `version` satisfies `range` (an empty range is `*`).
pub(crate) fn satisfies(version: &str, range: &str) -> bool {
    chainward_npm::spec::satisfies(version, range).unwrap_or(false)
}

/// Git specs: an unsafe fix to the commit the lockfile resolved.
pub(crate) fn with_git_pin(
    finding: Finding,
    file: &SourceFile,
    entry: &DepEntry<'_>,
    lock: Option<&Lock>,
    spec: &str,
) -> Finding {
    let resolved = lock.and_then(|l| {
        let lf = l.parsed()?;
        let (_, pkg) = lf.resolve(&l.importer, entry.name)?;
        let sha = lf.resolved(pkg)?.rsplit_once('#')?.1;
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
