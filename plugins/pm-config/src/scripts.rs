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

use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile, yaml};

use crate::detect::{Pm, Root};

pub(crate) static SCRIPTS_ALLOWED: Rule = Rule {
    id: "pm-config/scripts-allowed",
    code: "PMC005",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
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
"#,
};

pub(crate) static EXOTIC_SOURCES_ALLOWED: Rule = Rule {
    id: "pm-config/exotic-sources-allowed",
    code: "PMC006",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
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
"#,
};

pub(crate) fn check(project: &Project, root: &Root, out: &mut Vec<Finding>) {
    let pm = root.describe();
    let v = root.version;
    let mut explicit =
        |rule: &'static Rule, file: &SourceFile, span, message: String, help: &str| {
            out.push(Finding::new(rule, file, span, message).with_help(help.to_string()));
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
                    span,
                    "`dangerously-allow-all-scripts=true`: npm runs every dependency's install scripts, approved or not".into(),
                    "remove it and approve the packages that need their scripts in package.json `allowScripts`",
                );
            } else if ignore.as_deref() != Some("true")
                && !v.at_least(12, 0, 0)
                && strict.as_deref() != Some("true")
            {
                by_default.push((
                    &SCRIPTS_ALLOWED,
                    format!("{pm} runs every dependency's install scripts (until npm 12 blocks unapproved ones)"),
                    "set `ignore-scripts=true` in .npmrc, or with npm 11.16+ approve the packages that need them in package.json `allowScripts` and set `strict-allow-scripts=true`",
                ));
            }
            if let Some((file, span, value)) = root.npmrc_setting(project, "allow-git") {
                if value == "all" {
                    explicit(
                        &EXOTIC_SOURCES_ALLOWED,
                        &file,
                        span,
                        "`allow-git=all`: npm installs git dependencies of dependencies".into(),
                        "set `allow-git=root` (only your own package.json's) or `none`",
                    );
                }
            } else if v.at_least(11, 9, 0) && !v.at_least(12, 0, 0) {
                by_default.push((
                    &EXOTIC_SOURCES_ALLOWED,
                    format!("{pm} installs git dependencies of dependencies (`allow-git` defaults to `all` until npm 12)"),
                    "set `allow-git=root` in .npmrc",
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
                    span,
                    "`dangerouslyAllowAllBuilds: true`: pnpm runs every dependency's build scripts"
                        .into(),
                    "remove it and list the packages that need their builds in `allowBuilds`",
                );
            } else if let Some((file, span, node)) = ws("neverBuiltDependencies")
                && node.as_seq().is_some_and(<[yaml::Yaml]>::is_empty)
                && v.at_least(10, 0, 0)
                && !v.at_least(11, 0, 0)
            {
                explicit(
                    &SCRIPTS_ALLOWED,
                    &file,
                    span,
                    format!(
                        "`neverBuiltDependencies: []`: {pm} runs every dependency's build scripts (an empty deny-list allows all)"
                    ),
                    "remove it and list the packages that need their builds in `onlyBuiltDependencies` (or `allowBuilds`, 10.26+)",
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
                    ));
                }
            }
            if let Some((file, span, node)) = ws("blockExoticSubdeps") {
                if node.as_str() == Some("false") {
                    explicit(
                        &EXOTIC_SOURCES_ALLOWED,
                        &file,
                        span,
                        "`blockExoticSubdeps: false`: pnpm installs git and tarball-URL dependencies of dependencies".into(),
                        "remove it (pnpm 11 blocks them by default) or set it to true",
                    );
                }
            } else if v.at_least(10, 26, 0) && !v.at_least(11, 0, 0) {
                by_default.push((
                    &EXOTIC_SOURCES_ALLOWED,
                    format!("{pm} installs git and tarball-URL dependencies of dependencies (`blockExoticSubdeps` defaults to false until pnpm 11)"),
                    "set `blockExoticSubdeps: true` in pnpm-workspace.yaml",
                ));
            }
        }
        Pm::YarnBerry => {
            if let Some((file, span, node)) = root.yarnrc_setting(project, "enableScripts") {
                if node.as_str() == Some("true") {
                    explicit(
                        &SCRIPTS_ALLOWED,
                        &file,
                        span,
                        "`enableScripts: true`: yarn runs every dependency's install scripts (yarn 4.14+ writes this line itself when it upgrades a project with an older lockfile)".into(),
                        "set `enableScripts: false` and approve the packages that need them with `dependenciesMeta.<name>.built: true` in the root package.json",
                    );
                }
            } else if !v.at_least(4, 14, 0) && root.declared() {
                by_default.push((
                    &SCRIPTS_ALLOWED,
                    format!("{pm} runs every dependency's install scripts (`enableScripts` defaults to true until yarn 4.14)"),
                    "set `enableScripts: false` in .yarnrc.yml",
                ));
            }
            if let Some((file, span, node)) =
                root.yarnrc_setting(project, "approvedGitRepositories")
                && node
                    .as_seq()
                    .is_some_and(|s| s.iter().any(|p| matches!(p.as_str(), Some("**" | "*"))))
            {
                explicit(
                    &EXOTIC_SOURCES_ALLOWED,
                    &file,
                    span,
                    "`approvedGitRepositories` approves every repository: yarn installs any git dependency (yarn 4.14+ writes `[\"**\"]` itself when it upgrades a project with an older lockfile)".into(),
                    "list the repositories you depend on (`https://github.com/owner/repo.git`), or leave it empty",
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
    for (rule, message, help) in by_default {
        out.push(
            Finding::new(rule, &file, span.clone(), message)
                .with_severity(Severity::Info)
                .with_help(help),
        );
    }
}
