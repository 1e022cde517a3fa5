//! Catalogs: the ranges of pnpm-workspace.yaml's `catalog:`/`catalogs:` (pinned, with the
//! lockfile's `catalogs` record) and of .yarnrc.yml's (reported).

use std::sync::Arc;

use chainward_core::{Edit, Finding, Fix, Project, Rule, SourceFile};
use chainward_npm::{AnyLock, Spec, any_lockfile, classify};

use crate::manifest::{DIST_TAG, RANGE_SPECIFIER};
use crate::pin::{satisfies, yaml_replacement};

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
