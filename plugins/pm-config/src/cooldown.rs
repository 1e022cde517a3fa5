//! The release-age cooldown each package manager applies: read from its own file, in its own
//! unit, as the version in use reads it (or does not).
//!
//! Sources (checked against each package manager's published code and changelog):
//! - npm `min-release-age` (days) in the project .npmrc, since 11.10.0; no default. npm 10 and
//!   11.0–11.1 ignore an unknown key silently, 11.2+ warn (`@npmcli/config` `checkUnknown`).
//! - pnpm `minimumReleaseAge` (minutes), since 10.16.0: pnpm-workspace.yaml (10: also .npmrc
//!   `minimum-release-age`); default off in 10, 1440 in 11. pnpm 11 reads only auth, registry and
//!   network keys from .npmrc and no longer reads the package.json `pnpm` field.
//! - yarn `npmMinimalAgeGate` in .yarnrc.yml, since 4.10.0: a number of minutes in 4.10 (where
//!   `"1d"` is read as 1 minute), a duration (`3d`; a bare number is minutes) from 4.11; default
//!   0 until 4.14, `1d` from 4.15. Before 4.10 the key is unknown and yarn stops every command
//!   ("Unrecognized or legacy configuration settings found").
//! - bun `[install] minimumReleaseAge` (seconds) in bunfig.toml, since 1.3.0 (durations such as
//!   `"3d"` from 1.4.4); no default.

use std::ops::Range;
use std::sync::Arc;

use chainward_core::fix::{Edit, Fix};
use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile, yaml};

use crate::edit;
use chainward_npm::pm::cooldown::{Effective, effective, human};
use chainward_npm::pm::{Pm, Root};

pub(crate) static NO_COOLDOWN: Rule = Rule {
    id: "pm-config/no-cooldown",
    code: "PMC001",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "The package manager installs versions published minutes ago: no release-age cooldown",
    doc: r#"The 2025 npm compromises (the chalk/debug phishing, the Shai-Hulud worm) were published
as ordinary patch releases and taken down within hours; projects that waited a few days before
installing a new version never ran them. Every package manager can now wait:

| package manager | setting | unit | default |
|---|---|---|---|
| npm 11.10+ | `min-release-age=3` in .npmrc | days | none |
| pnpm 10.16+ | `minimumReleaseAge: 4320` in pnpm-workspace.yaml | minutes | none in 10, 1 day in 11 |
| yarn 4.10+ | `npmMinimalAgeGate: 3d` in .yarnrc.yml | a duration (4.11+) | 0 until 4.14, 1 day from 4.15 |
| bun 1.3+ | `[install] minimumReleaseAge = 259200` in bunfig.toml | seconds | none |
| uv 0.9.17+ | `exclude-newer = "3 days"` under `[tool.uv]` in pyproject.toml (or in uv.toml) | a duration (`"3 days"`, `"P3D"`) | none |

The package manager and its version come from `packageManager` (or `devEngines.packageManager`,
or yarn's `yarnPath`), else from the lockfile. Where the version in use has no cooldown at all
(npm before 11.10, pnpm before 10.16, yarn 1 to 4.9, bun before 1.3), or where nothing states
the version, the finding is informational and names the version that has one.

**Fix.** `chainward fix --unsafe-fixes` writes the policy (`[pm-config] min-release-age-days`, default 3:
past the hours to about a day the 2025 compromised releases stayed up; pnpm 11 and yarn 4.15
default to one day, Dependabot to none) into the package manager's own file, in its unit
(.npmrc, pnpm-workspace.yaml, .yarnrc.yml, or under `[install]` in bunfig.toml), and creates that
file when the project has none. Unsafe: installs then refuse versions younger than that.
For uv there is no fix: uv.lock records the cutoff it was resolved with, so adding one means
running `uv lock` again (the help says so). A uv project is one with a uv.lock; an absolute
`exclude-newer` timestamp freezes resolution at that instant and counts as a cooldown.
"#,
};

pub(crate) static COOLDOWN_TOO_SHORT: Rule = Rule {
    id: "pm-config/cooldown-too-short",
    code: "PMC002",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "The release-age cooldown is shorter than the policy",
    doc: r#"A cooldown shorter than `[pm-config] min-release-age-days` (default 3). The
compromised releases of 2025 stayed on the registry for hours to about a day; a one-day window
catches some of them, three days most.

A value that is almost certainly in the wrong unit says so: `minimumReleaseAge: 7` in
pnpm-workspace.yaml is 7 *minutes* (pnpm counts minutes), not 7 days.

yarn 4.17.0 to 4.18.1 give a scope in `npmScopes` without its own `npmMinimalAgeGate` one day, not
the top-level gate (yarnpkg/berry#7192): such a scope is reported when the top-level gate is longer.

**Fix.** `chainward fix --unsafe-fixes` raises the value to the policy, in the file's unit; for a
scope, it copies the top-level gate into the scope.
"#,
};

pub(crate) static SETTING_IGNORED: Rule = Rule {
    id: "pm-config/setting-ignored",
    code: "PMC003",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A protection is configured where the package manager in use does not read it",
    doc: r#"A cooldown that looks configured but is not in effect: a key the pinned version does
not know (`min-release-age` with npm 10, which ignores it silently), a file that version no longer
reads (pnpm 11 reads neither the package.json `pnpm` field nor pnpm settings in .npmrc), a value
the package manager reads differently (`npmMinimalAgeGate: 1d` with yarn 4.10, which reads it as
1 minute; `minimumReleaseAge: 7d` with pnpm, which wants a number of minutes), or a cooldown set
for a package manager the project does not use. yarn before 4.10 does not ignore an unknown key:
it stops every command, which the finding says.

The same for the other protections: pnpm 11 removed `onlyBuiltDependencies`,
`neverBuiltDependencies`, `ignoredBuiltDependencies` and `onlyBuiltDependenciesFile` and ignores
them silently, and reads no setting from the package.json `pnpm` field (a warning: the approvals
written there approve nothing). npm 11.10 to 11.14 refuse `min-release-age` together with `before`
(every command fails); from 11.15 `before` wins (a warning: a fixed date, not a rolling cooldown).
pnpm before 11.23 reads a `minimumReleaseAgeExclude` written as one string (not a list) one
character at a time: a `*` in it exempts every package, so no cooldown applies (an error where the
version is stated).

**Fix.** `chainward fix --unsafe-fixes` makes such a string a one-entry list; the other cases are
left to you (the finding says where the setting belongs).
"#,
};

/// What one project's configuration says about the cooldown, and the findings it gives.
pub(crate) fn check(project: &Project, root: &Root, policy_days: u64, out: &mut Vec<Finding>) {
    let (eff, ignored) = effective(project, root);
    out.extend(ignored.into_iter().map(|i| {
        let mut f = Finding::new(&SETTING_IGNORED, &i.file, i.span, i.message);
        if let Some(severity) = i.severity {
            f = f.with_severity(severity);
        }
        if let Some(help) = i.help {
            f = f.with_help(help);
        }
        f
    }));
    if root.pm == Pm::YarnBerry {
        yarn_scopes(project, root, &eff, out);
    }
    let policy_minutes = (policy_days * 1440) as f64;
    let pm = root.describe();
    match eff.minutes {
        None | Some(0.0) => {
            // At the setting that turns it off, else where the package manager is named.
            let place = match &eff.setting {
                Some((file, span, _)) => Some((Arc::clone(file), span.clone())),
                None => root.anchor(),
            };
            let Some((file, span)) = place else {
                return;
            };
            let (severity, message, help) = match eff.unsupported {
                Some(first) if root.declared() => (
                    Severity::Info,
                    format!(
                        "{pm} has no release-age cooldown: it installs versions published minutes ago"
                    ),
                    format!("{first} and later can wait before installing a new version"),
                ),
                Some(first) => (
                    Severity::Info,
                    format!(
                        "no release-age cooldown is set for {} (the version in use is not stated): installs take versions published minutes ago",
                        root.pm.name()
                    ),
                    format!(
                        "state the version (`packageManager`) and, with {first} or later, set {}",
                        recommended(root, policy_days)
                    ),
                ),
                None => (
                    Severity::Warning,
                    format!(
                        "{pm} installs versions published minutes ago: no release-age cooldown is set{}",
                        if eff.minutes == Some(0.0) {
                            format!(" ({} turns it off)", eff.from)
                        } else {
                            String::new()
                        }
                    ),
                    format!(
                        "set {} (a cooldown of {policy_days} days)",
                        recommended(root, policy_days)
                    ),
                ),
            };
            let fix = if eff.unsupported.is_none() {
                match &eff.setting {
                    Some((file, span, _)) => replace_fix(root, file, span.clone(), policy_days),
                    None => append_fix(project, root, policy_days),
                }
            } else {
                None
            };
            out.push(
                Finding::new(&NO_COOLDOWN, &file, span, message)
                    .with_severity(severity)
                    .with_help(help)
                    .with_fix_opt(fix),
            );
        }
        Some(minutes) if minutes < policy_minutes => {
            let (file, span) = match &eff.setting {
                Some((file, span, _)) => (Arc::clone(file), span.clone()),
                None => match root.anchor() {
                    Some(anchor) => anchor,
                    None => return,
                },
            };
            let unit_slip =
                root.pm == Pm::Pnpm && eff.setting.is_some() && (1.0..=30.0).contains(&minutes);
            let message = format!(
                "{pm} waits {} before installing a new version ({}), less than the policy's {policy_days} days{}",
                human(minutes),
                eff.from,
                if unit_slip {
                    format!(
                        "; pnpm counts minutes, so {0} days would be {1}",
                        minutes as u64,
                        minutes as u64 * 1440
                    )
                } else {
                    String::new()
                }
            );
            // Days written where pnpm counts minutes: the fix writes the days that were meant,
            // when they reach the policy.
            let meant_days = minutes as u64;
            let days = if unit_slip && meant_days >= policy_days {
                meant_days
            } else {
                policy_days
            };
            let fix = match &eff.setting {
                Some((file, span, _)) => replace_fix(root, file, span.clone(), days),
                None => append_fix(project, root, days),
            };
            out.push(
                Finding::new(&COOLDOWN_TOO_SHORT, &file, span, message)
                    .with_help(format!("set {}", recommended(root, policy_days)))
                    .with_fix_opt(fix),
            );
        }
        Some(_) => {}
    }
}

/// yarn 4.17.0 to 4.18.1 give an `npmScopes` entry without its own `npmMinimalAgeGate` the
/// shape's default of one day, not the top-level value (yarnpkg/berry#7192): a longer global
/// gate does not reach that scope's packages.
fn yarn_scopes(project: &Project, root: &Root, eff: &Effective, out: &mut Vec<Finding>) {
    let v = root.version;
    let affected = root.declared() && v.at_least(4, 17, 0) && !v.at_least(4, 18, 2);
    let Some(global) = eff.minutes.filter(|m| *m > 1440.0 && eff.setting.is_some()) else {
        return;
    };
    if !affected {
        return;
    }
    let Some((file, _, node)) = root.yarnrc_setting(project, "npmScopes") else {
        return;
    };
    let gate = eff
        .setting
        .as_ref()
        .map(|s| s.2.clone())
        .unwrap_or_default();
    for (scope, settings) in node.as_map().unwrap_or_default() {
        if settings.get("npmMinimalAgeGate").is_some() {
            continue;
        }
        let name = scope.as_str().unwrap_or_default();
        out.push(
            Finding::new(
                &COOLDOWN_TOO_SHORT,
                &file,
                scope.span.clone(),
                format!(
                    "{} waits only 1 day for `@{name}` packages, not the {} of the top-level `npmMinimalAgeGate`: yarn 4.17.0 to 4.18.1 give a scope without its own gate the default of 1 day (yarnpkg/berry#7192)",
                    root.describe(),
                    human(global)
                ),
            )
            .with_help(format!(
                "add `npmMinimalAgeGate: {gate}` under `npmScopes.{name}`"
            ))
            .with_fix_opt(scope_gate_fix(&file, settings, &gate)),
        );
    }
}

/// `npmMinimalAgeGate: <gate>` added as the first key of a scope's block mapping, at its
/// indentation (no fix for a flow mapping `{…}` or an empty one).
fn scope_gate_fix(file: &SourceFile, settings: &yaml::Yaml, gate: &str) -> Option<Fix> {
    let text = file.text().ok()?;
    let first = &settings.as_map()?.first()?.0;
    let line_start = text[..first.span.start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..first.span.start];
    if indent.is_empty() || !indent.chars().all(|c| c == ' ') {
        return None;
    }
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    Some(Fix::unsafe_(
        format!("add `npmMinimalAgeGate: {gate}` to the scope"),
        vec![Edit::replace(
            &file.path,
            line_start..line_start,
            format!("{indent}npmMinimalAgeGate: {gate}{newline}"),
        )],
    ))
}

/// The setting, in the package manager's own file and unit, for `days`.
pub(crate) fn recommended(root: &Root, days: u64) -> String {
    match root.pm {
        Pm::Npm => format!("`min-release-age={days}` in .npmrc"),
        Pm::Pnpm => format!(
            "`minimumReleaseAge: {}` in pnpm-workspace.yaml (minutes)",
            days * 1440
        ),
        Pm::YarnBerry if root.version.at_least(4, 11, 0) => {
            format!("`npmMinimalAgeGate: {days}d` in .yarnrc.yml")
        }
        Pm::YarnBerry => format!(
            "`npmMinimalAgeGate: {}` in .yarnrc.yml (minutes)",
            days * 1440
        ),
        Pm::YarnClassic => "a cooldown (yarn 1 has none; yarn 4.10+ does)".to_string(),
        Pm::Bun => format!(
            "`minimumReleaseAge = {}` under `[install]` in bunfig.toml (seconds)",
            days * 86_400
        ),
    }
}

/// The value to write for `days`, in the unit of `root`'s file.
fn value_for(root: &Root, days: u64) -> Option<String> {
    Some(match root.pm {
        Pm::Npm => days.to_string(),
        Pm::Pnpm => (days * 1440).to_string(),
        Pm::YarnBerry if root.version.at_least(4, 11, 0) => format!("{days}d"),
        Pm::YarnBerry => (days * 1440).to_string(),
        Pm::Bun => (days * 86_400).to_string(),
        Pm::YarnClassic => return None,
    })
}

fn replace_fix(root: &Root, file: &SourceFile, span: Range<usize>, days: u64) -> Option<Fix> {
    let value = value_for(root, days)?;
    Some(Fix::unsafe_(
        format!("set the cooldown to {days} days ({value})"),
        vec![Edit::replace(&file.path, span, value)],
    ))
}

/// The setting added to the package manager's file (created when the project has none).
fn append_fix(project: &Project, root: &Root, days: u64) -> Option<Fix> {
    let value = value_for(root, days)?;
    let description = |what: &str| format!("{what} (a cooldown of {days} days)");
    let line = match root.pm {
        Pm::Npm => format!("min-release-age={value}"),
        Pm::Pnpm => format!("minimumReleaseAge: {value}"),
        Pm::YarnBerry => format!("npmMinimalAgeGate: {value}"),
        Pm::Bun => {
            return edit::bunfig_set(
                project,
                root,
                "minimumReleaseAge",
                &value,
                description(&format!(
                    "set `[install] minimumReleaseAge = {value}` in bunfig.toml"
                )),
            );
        }
        Pm::YarnClassic => return None,
    };
    let name = edit::settings_file(root.pm)?;
    edit::append_lines(
        project,
        root,
        description(&format!("add `{line}` to {name}")),
        &[line],
    )
}

/// The policy in minutes, for a table.
pub(crate) fn policy_minutes(days: u64) -> f64 {
    (days * 1440) as f64
}
