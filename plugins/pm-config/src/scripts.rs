//! Dependency install scripts and non-registry sub-dependencies, as the package manager in use
//! allows them: an explicit permissive setting is a warning wherever it is; a version whose
//! default is permissive is said (info) only where the version is stated.
//!
//! Sources: npm `ignore-scripts` (default false), `allowScripts`/`strict-allow-scripts`/
//! `dangerously-allow-all-scripts` (11.16+; unreviewed scripts run with a warning until 11.21 and
//! are blocked from 12), `allow-git` (11.9+, default `all` until 12, `none` from 12); pnpm build
//! scripts run by default in 9 and are blocked from 10.0 (`dangerouslyAllowAllBuilds`,
//! `neverBuiltDependencies: []` in 10 allow all), `blockExoticSubdeps` (10.26+, default false in
//! 10, true from 11); yarn `enableScripts` (default true until 4.13, false from 4.14),
//! `approvedGitRepositories` (4.14+, default `[]`; projects migrated from older lockfiles get
//! `enableScripts: true` and `approvedGitRepositories: ["**"]` written for them).

use std::ops::Range;

use chainward_core::fix::{Edit, Fix};
use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile, yaml};

use crate::cooldown::SETTING_IGNORED;
use crate::edit;
use chainward_npm::pm::{Pm, Root};

pub(crate) static SCRIPTS_ALLOWED: Rule = Rule {
    id: "pm-config/scripts-allowed",
    code: "PMC005",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "The package manager runs every dependency's install scripts",
    doc: r#"The Shai-Hulud worm spread through `postinstall` scripts added in patch releases. Every
package manager can now refuse dependency install scripts except the ones you approve:

| package manager | scripts of dependencies | approve some with |
|---|---|---|
| npm | run, unless `ignore-scripts=true`; from npm 12 blocked unless approved | package.json `allowScripts` (11.16+) |
| pnpm | run in pnpm 9; blocked from pnpm 10 | `allowBuilds` (10.26+) / `onlyBuiltDependencies` |
| yarn | run until 4.13; blocked from 4.14 (`enableScripts: false`) | `dependenciesMeta.<name>.built: true` |
| bun | blocked except a built-in list | `trustedDependencies` |

A setting that turns them all back on is a warning wherever it is written: npm
`dangerously-allow-all-scripts=true`, pnpm `dangerouslyAllowAllBuilds: true` (or pnpm 10's
`neverBuiltDependencies: []`), yarn `enableScripts: true` — which yarn 4.14+ writes into
.yarnrc.yml by itself when it upgrades a project with an older lockfile. A version whose default
runs them (npm before 12 without `ignore-scripts=true`, pnpm 9, yarn before 4.14) is said as
information, where `packageManager` states the version.

**Fix.** `chainward fix --unsafe-fixes` turns them off and keeps the approvals you have: the
permissive value becomes `false` (pnpm's `neverBuiltDependencies: []` line goes); npm 11.16+ gets
`strict-allow-scripts=true` (scripts of packages `allowScripts` does not approve are refused),
earlier npm `ignore-scripts=true`; yarn before 4.14 gets `enableScripts: false`
(`dependenciesMeta.<name>.built: true` still builds those). The settings file is created when the
project has none. Unsafe: a dependency that needs its install script and is not approved stops
being built.
"#,
};

pub(crate) static EXOTIC_SOURCES_ALLOWED: Rule = Rule {
    id: "pm-config/exotic-sources-allowed",
    code: "PMC006",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "Dependencies of dependencies may come from git or tarball URLs",
    doc: r#"A dependency's own dependency can point at a git commit or a tarball URL instead of a
registry version: nothing the registry checks, no integrity the registry vouches for, and the
path the May 2026 TanStack compromise used (an `optionalDependencies` entry pointing at an orphan
`github:` commit). Package managers can refuse them:

- npm `allow-git` (11.9+): `none` or `root`; the default is `all` until npm 12 (`none` from 12);
- pnpm `blockExoticSubdeps: true` (10.26+; the default from pnpm 11);
- yarn `approvedGitRepositories` (4.14+; the default `[]` approves none).

A setting that allows all is a warning: `allow-git=all`, `blockExoticSubdeps: false`,
`approvedGitRepositories: ["**"]` (which yarn 4.14+ writes by itself when it upgrades a project
with an older lockfile). A stated version whose default allows them is said as information.

**Fix.** `chainward fix --unsafe-fixes` writes `allow-git=root` (git dependencies only from your
own package.json), `blockExoticSubdeps: true`, or `approvedGitRepositories: []` — the last only
when yarn.lock resolves nothing from git, since yarn's list gates the project's own git
dependencies too. Unsafe: an install that needs such a sub-dependency then fails.
"#,
};

/// `span` of `file` (a setting's value) replaced by `value`.
fn set(file: &SourceFile, span: Range<usize>, key: &str, value: &str) -> Option<Fix> {
    Some(Fix::unsafe_(
        format!("set `{key}` to `{value}`"),
        vec![Edit::replace(&file.path, span, value)],
    ))
}

/// The whole line holding `span` removed.
fn remove_line(file: &SourceFile, span: &Range<usize>) -> Option<Fix> {
    let text = file.text().ok()?;
    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i + 1);
    Some(Fix::unsafe_(
        format!("remove `{}`", text[start..end].trim()),
        vec![Edit::replace(&file.path, start..end, "")],
    ))
}

pub(crate) fn check(project: &Project, root: &Root, out: &mut Vec<Finding>) {
    let pm = root.describe();
    let v = root.version;
    if root.pm == Pm::Pnpm && v.at_least(11, 0, 0) && root.declared() {
        removed_in_pnpm_11(project, root, out);
    }
    let add = |line: &str| {
        edit::append_lines(
            project,
            root,
            format!(
                "add `{line}` to {}",
                edit::settings_file(root.pm).unwrap_or_default()
            ),
            &[line.to_string()],
        )
    };
    let mut explicit = |rule: &'static Rule,
                        file: &SourceFile,
                        span,
                        message: String,
                        help: &str,
                        fix: Option<Fix>| {
        out.push(
            Finding::new(rule, file, span, message)
                .with_help(help.to_string())
                .with_fix_opt(fix),
        );
    };
    let mut by_default = Vec::new();
    match root.pm {
        Pm::Npm => {
            let ignore = root
                .npmrc_setting(project, "ignore-scripts")
                .map(|(_, _, v)| v);
            let strict = root
                .npmrc_setting(project, "strict-allow-scripts")
                .map(|(_, _, v)| v);
            if let Some((file, span, value)) =
                root.npmrc_setting(project, "dangerously-allow-all-scripts")
                && value == "true"
            {
                explicit(
                    &SCRIPTS_ALLOWED,
                    &file,
                    span.clone(),
                    "`dangerously-allow-all-scripts=true`: npm runs every dependency's install scripts, approved or not".into(),
                    "remove it and approve the packages that need their scripts in package.json `allowScripts`",
                    set(&file, span, "dangerously-allow-all-scripts", "false"),
                );
            } else if ignore.as_deref() != Some("true")
                && !v.at_least(12, 0, 0)
                && strict.as_deref() != Some("true")
            {
                // 11.16+ keeps the approvals in `allowScripts` and refuses the rest;
                // before, the only switch is all scripts off.
                let fix = if v.at_least(11, 16, 0) {
                    add("strict-allow-scripts=true")
                } else {
                    add("ignore-scripts=true")
                };
                by_default.push((
                    &SCRIPTS_ALLOWED,
                    format!("{pm} runs every dependency's install scripts (until npm 12 blocks unapproved ones)"),
                    "set `ignore-scripts=true` in .npmrc, or with npm 11.16+ approve the packages that need them in package.json `allowScripts` and set `strict-allow-scripts=true`",
                    fix,
                ));
            }
            if let Some((file, span, value)) = root.npmrc_setting(project, "allow-git") {
                if value == "all" {
                    explicit(
                        &EXOTIC_SOURCES_ALLOWED,
                        &file,
                        span.clone(),
                        "`allow-git=all`: npm installs git dependencies of dependencies".into(),
                        "set `allow-git=root` (only your own package.json's) or `none`",
                        set(&file, span, "allow-git", "root"),
                    );
                }
            } else if v.at_least(11, 9, 0) && !v.at_least(12, 0, 0) {
                by_default.push((
                    &EXOTIC_SOURCES_ALLOWED,
                    format!("{pm} installs git dependencies of dependencies (`allow-git` defaults to `all` until npm 12)"),
                    "set `allow-git=root` in .npmrc",
                    add("allow-git=root"),
                ));
            }
        }
        Pm::Pnpm => {
            let ws = |key| root.yaml_setting(project, "pnpm-workspace.yaml", key);
            if let Some((file, span, node)) = ws("dangerouslyAllowAllBuilds")
                && node.as_str() == Some("true")
            {
                explicit(
                    &SCRIPTS_ALLOWED,
                    &file,
                    span.clone(),
                    "`dangerouslyAllowAllBuilds: true`: pnpm runs every dependency's build scripts"
                        .into(),
                    "remove it and list the packages that need their builds in `allowBuilds`",
                    set(&file, span, "dangerouslyAllowAllBuilds", "false"),
                );
            } else if let Some((file, span, node)) = ws("neverBuiltDependencies")
                && node.as_seq().is_some_and(<[yaml::Yaml]>::is_empty)
                && v.at_least(10, 0, 0)
                && !v.at_least(11, 0, 0)
            {
                let fix = remove_line(&file, &span);
                explicit(
                    &SCRIPTS_ALLOWED,
                    &file,
                    span,
                    format!(
                        "`neverBuiltDependencies: []`: {pm} runs every dependency's build scripts (an empty deny-list allows all)"
                    ),
                    "remove it and list the packages that need their builds in `onlyBuiltDependencies` (or `allowBuilds`, 10.26+)",
                    fix,
                );
            } else if !v.at_least(10, 0, 0) && root.declared() {
                let restricted = ws("onlyBuiltDependencies").is_some()
                    || root
                        .manifest
                        .as_deref()
                        .and_then(chainward_npm::package_json)
                        .and_then(|pj| pj.json.pointer(&["pnpm", "onlyBuiltDependencies"]).cloned())
                        .is_some();
                if !restricted {
                    by_default.push((
                        &SCRIPTS_ALLOWED,
                        format!("{pm} runs every dependency's build scripts (pnpm 10 and later block them)"),
                        "list the packages that need their builds in `onlyBuiltDependencies`, or upgrade to pnpm 10",
                        None,
                    ));
                }
            }
            if let Some((file, span, node)) = ws("blockExoticSubdeps") {
                if node.as_str() == Some("false") {
                    explicit(
                        &EXOTIC_SOURCES_ALLOWED,
                        &file,
                        span.clone(),
                        "`blockExoticSubdeps: false`: pnpm installs git and tarball-URL dependencies of dependencies".into(),
                        "remove it (pnpm 11 blocks them by default) or set it to true",
                        set(&file, span, "blockExoticSubdeps", "true"),
                    );
                }
            } else if v.at_least(10, 26, 0) && !v.at_least(11, 0, 0) {
                by_default.push((
                    &EXOTIC_SOURCES_ALLOWED,
                    format!("{pm} installs git and tarball-URL dependencies of dependencies (`blockExoticSubdeps` defaults to false until pnpm 11)"),
                    "set `blockExoticSubdeps: true` in pnpm-workspace.yaml",
                    add("blockExoticSubdeps: true"),
                ));
            }
        }
        Pm::YarnBerry => {
            if let Some((file, span, node)) = root.yarnrc_setting(project, "enableScripts") {
                if node.as_str() == Some("true") {
                    explicit(
                        &SCRIPTS_ALLOWED,
                        &file,
                        span.clone(),
                        "`enableScripts: true`: yarn runs every dependency's install scripts (yarn 4.14+ writes this line itself when it upgrades a project with an older lockfile)".into(),
                        "set `enableScripts: false` and approve the packages that need them with `dependenciesMeta.<name>.built: true` in the root package.json",
                        set(&file, span, "enableScripts", "false"),
                    );
                }
            } else if !v.at_least(4, 14, 0) && root.declared() {
                by_default.push((
                    &SCRIPTS_ALLOWED,
                    format!("{pm} runs every dependency's install scripts (`enableScripts` defaults to true until yarn 4.14)"),
                    "set `enableScripts: false` in .yarnrc.yml",
                    add("enableScripts: false"),
                ));
            }
            if let Some((file, span, node)) =
                root.yarnrc_setting(project, "approvedGitRepositories")
                && node
                    .as_seq()
                    .is_some_and(|s| s.iter().any(|p| matches!(p.as_str(), Some("**" | "*"))))
            {
                // `[]` blocks every git dependency, the project's own too: offered only where
                // the lockfile resolves none from git.
                let fix = root
                    .lockfile
                    .as_deref()
                    .filter(|l| l.kind == chainward_core::FileKind::YarnLock)
                    .and_then(|l| l.text().ok())
                    .filter(|t| !t.contains("#commit=") && !t.contains(".git#"))
                    .and_then(|_| set(&file, span.clone(), "approvedGitRepositories", "[]"));
                explicit(
                    &EXOTIC_SOURCES_ALLOWED,
                    &file,
                    span,
                    "`approvedGitRepositories` approves every repository: yarn installs any git dependency (yarn 4.14+ writes `[\"**\"]` itself when it upgrades a project with an older lockfile)".into(),
                    "list the repositories you depend on (`https://github.com/owner/repo.git`), or leave it empty",
                    fix,
                );
            }
        }
        Pm::YarnClassic | Pm::Bun => {}
    }
    if by_default.is_empty() || !root.declared() {
        return;
    }
    let Some((file, span)) = root.anchor() else {
        return;
    };
    for (rule, message, help, fix) in by_default {
        out.push(
            Finding::new(rule, &file, span.clone(), message)
                .with_severity(Severity::Info)
                .with_help(help)
                .with_fix_opt(fix),
        );
    }
}

/// pnpm 11 removed the build lists of pnpm 10 and ignores them without a word, and reads no
/// setting from the package.json `pnpm` field: approvals written there approve nothing.
fn removed_in_pnpm_11(project: &Project, root: &Root, out: &mut Vec<Finding>) {
    let pm = root.describe();
    for key in [
        "onlyBuiltDependencies",
        "onlyBuiltDependenciesFile",
        "neverBuiltDependencies",
        "ignoredBuiltDependencies",
        "ignoreDepScripts",
    ] {
        if let Some((file, span, _)) = root.yaml_setting(project, "pnpm-workspace.yaml", key) {
            out.push(
                Finding::new(
                    &SETTING_IGNORED,
                    &file,
                    span,
                    format!(
                        "{pm} removed `{key}` (pnpm 11.0) and ignores it without a warning: the builds it lists are neither approved nor denied"
                    ),
                )
                .with_severity(Severity::Warning)
                .with_help("move the decisions to `allowBuilds` (`name: true` or `false`); `pnpm approve-builds` writes it"),
            );
        }
    }
    let pj = root
        .manifest
        .as_deref()
        .and_then(chainward_npm::package_json);
    for key in [
        "allowBuilds",
        "onlyBuiltDependencies",
        "neverBuiltDependencies",
        "dangerouslyAllowAllBuilds",
        "trustPolicy",
    ] {
        if let (Some(manifest), Some(node)) = (
            root.manifest.as_deref(),
            pj.and_then(|pj| pj.json.pointer(&["pnpm", key])),
        ) {
            out.push(
                Finding::new(
                    &SETTING_IGNORED,
                    manifest,
                    node.span.clone(),
                    format!(
                        "{pm} does not read the package.json `pnpm` field: `pnpm.{key}` has no effect"
                    ),
                )
                .with_severity(Severity::Warning)
                .with_help(format!("move `{key}` to pnpm-workspace.yaml")),
            );
        }
    }
}

/// What the package manager in use does with dependency install scripts and with
/// non-registry sub-dependencies, and where that comes from (`pm-config --show`).
pub(crate) fn describe(project: &Project, root: &Root) -> (String, String) {
    let v = root.version;
    let at = |file: &SourceFile, span: &Range<usize>| chainward_npm::pm::place(file, span);
    match root.pm {
        Pm::Npm => {
            let rc = |key| root.npmrc_setting(project, key);
            let approved = root
                .manifest
                .as_deref()
                .and_then(chainward_npm::package_json)
                .and_then(|pj| pj.json.member("allowScripts").map(|m| m.value.clone()))
                .and_then(|v| v.as_object().map(<[_]>::len));
            let scripts = if let Some((f, sp, val)) = rc("ignore-scripts").filter(|s| s.2 == "true")
            {
                format!("none: ignore-scripts={val} ({})", at(&f, &sp))
            } else if let Some((f, sp, _)) =
                rc("dangerously-allow-all-scripts").filter(|s| s.2 == "true")
            {
                format!("all: dangerously-allow-all-scripts ({})", at(&f, &sp))
            } else if v.at_least(12, 0, 0)
                || rc("strict-allow-scripts").is_some_and(|s| s.2 == "true")
            {
                format!("approved only ({} in allowScripts)", approved.unwrap_or(0))
            } else {
                "all (default)".into()
            };
            let sources = match rc("allow-git") {
                Some((f, sp, val)) => format!("git: {val} ({})", at(&f, &sp)),
                None if v.at_least(12, 0, 0) => "git: none (default)".into(),
                None if v.at_least(11, 9, 0) => "git: all (default)".into(),
                None => "allowed (no setting before npm 11.9)".into(),
            };
            (scripts, sources)
        }
        Pm::Pnpm => {
            let ws = |key| root.yaml_setting(project, "pnpm-workspace.yaml", key);
            let scripts = if let Some((f, sp, _)) =
                ws("dangerouslyAllowAllBuilds").filter(|s| s.2.as_str() == Some("true"))
            {
                format!("all: dangerouslyAllowAllBuilds ({})", at(&f, &sp))
            } else if v.at_least(10, 0, 0) {
                let listed = ws("allowBuilds")
                    .and_then(|s| s.2.as_map().map(<[_]>::len))
                    .or_else(|| {
                        // pnpm 11 no longer reads the pnpm 10 lists, nor the package.json
                        // `pnpm` field.
                        if v.at_least(11, 0, 0) {
                            return None;
                        }
                        let field = |key| {
                            let pj = root
                                .manifest
                                .as_deref()
                                .and_then(chainward_npm::package_json)?;
                            let node = pj.json.pointer(&["pnpm", key])?;
                            node.as_object()
                                .map(<[_]>::len)
                                .or_else(|| node.as_array().map(<[_]>::len))
                        };
                        ws("onlyBuiltDependencies")
                            .and_then(|s| s.2.as_seq().map(<[_]>::len))
                            .or_else(|| field("allowBuilds"))
                            .or_else(|| field("onlyBuiltDependencies"))
                    });
                format!("approved only ({} listed)", listed.unwrap_or(0))
            } else {
                "all (pnpm 9's default)".into()
            };
            let sources = match ws("blockExoticSubdeps") {
                Some((f, sp, node)) if node.as_str() == Some("true") => {
                    format!("blocked ({})", at(&f, &sp))
                }
                Some((f, sp, _)) => format!("allowed ({})", at(&f, &sp)),
                None if v.at_least(11, 0, 0) => "blocked (pnpm 11's default)".into(),
                None if v.at_least(10, 26, 0) => "allowed (default)".into(),
                None => "allowed (no setting before pnpm 10.26)".into(),
            };
            (scripts, sources)
        }
        Pm::YarnBerry => {
            let scripts = match root.yarnrc_setting(project, "enableScripts") {
                Some((f, sp, node)) if node.as_str() == Some("true") => {
                    format!("all ({})", at(&f, &sp))
                }
                Some((f, sp, _)) => format!("approved only ({})", at(&f, &sp)),
                None if v.at_least(4, 14, 0) => "approved only (default)".into(),
                None => "all (default)".into(),
            };
            let sources = match root.yarnrc_setting(project, "approvedGitRepositories") {
                Some((f, sp, node)) => format!(
                    "git: {} approved ({})",
                    node.as_seq().map_or(0, <[_]>::len),
                    at(&f, &sp)
                ),
                None if v.at_least(4, 14, 0) => "git: none approved (default)".into(),
                None => "allowed (no setting before yarn 4.14)".into(),
            };
            (scripts, sources)
        }
        Pm::Bun => {
            let trusted = root
                .manifest
                .as_deref()
                .and_then(chainward_npm::package_json)
                .and_then(|pj| {
                    pj.json
                        .member("trustedDependencies")
                        .map(|m| m.value.clone())
                })
                .and_then(|v| v.as_array().map(<[_]>::len));
            let scripts = match trusted {
                Some(n) => format!("approved only ({n} in trustedDependencies)"),
                None => "built-in trusted list (default)".into(),
            };
            (scripts, "allowed (bun has no setting)".into())
        }
        Pm::YarnClassic => ("all (yarn 1)".into(), "allowed (yarn 1)".into()),
    }
}
