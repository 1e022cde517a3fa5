//! Exclusions from the cooldown or the trust policy written as a bare name or a name pattern:
//! every future version of those packages is exempt, including the compromised one.
//!
//! Sources: pnpm `minimumReleaseAgeExclude` (10.16+; `name@x.y.z || a.b.c` from 10.19) and
//! `trustPolicyExclude` (10.22+, same grammar); yarn `npmPreapprovedPackages` (4.10+; `name`,
//! a glob, or either with `@<semver range>`); bun `[install] minimumReleaseAgeExcludes` (1.3+;
//! `name@x.y.z` from 1.4.4). npm's `min-release-age-exclude` takes names and globs only, so a
//! name there is the only way to write it and is not reported.

use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile, toml, yaml};

use chainward_core::fix::{Edit, Fix};

use chainward_npm::pm::{Pm, Root, Ver};

pub(crate) static BROAD_EXCLUSION: Rule = Rule {
    id: "pm-config/broad-exclusion",
    code: "PMC007",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A cooldown or trust-policy exclusion names a package, not a version: every future release is exempt",
    doc: r#"Package managers let you exempt packages from the release-age cooldown and from pnpm's
trust policy — to take a security fix today, or a release the trust check flags by mistake. An
entry that names only the package (`vue`, `@vue/*`) exempts every version still to come,
including a compromised one published tomorrow. Exempt the version you need instead, where the
package manager can:

| package manager | list | version-scoped entry |
|---|---|---|
| pnpm 10.19+ | `minimumReleaseAgeExclude` | `vue@3.5.22`, `semver@5.7.2 \|\| 6.3.1` |
| pnpm 10.22+ | `trustPolicyExclude` | the same |
| yarn 4.10+ | `npmPreapprovedPackages` | `vue@3.5.22` (a semver range is accepted too) |
| bun 1.4.4+ | `[install] minimumReleaseAgeExcludes` | `vue@3.5.22` |

npm's `min-release-age-exclude` takes names only, so it is not reported. An entry that matches
one of the project's own packages (a workspace's name) is said as information: exempting your
own releases is a choice, not an oversight.

**Fix.** `chainward fix --unsafe-fixes` narrows a name to the versions the lockfile holds
(`vue` → `vue@3.5.22`): what is installed today stays exempt; the next release waits like any
other. Unsafe: a later upgrade of that package waits for the cooldown (or the trust check) again.
"#,
};

/// Where each package manager keeps its lists, and from which version an entry can carry a
/// version.
pub(crate) fn check(project: &Project, root: &Root, out: &mut Vec<Finding>) {
    if root.pm == Pm::Pnpm {
        string_exclusion(project, root, out);
    }
    let own = own_names(project, root);
    let v = root.version;
    let mut report = |file: &SourceFile, entry: &Entry, list: &str, what: &str, example: &str| {
        let mine = own.iter().any(|n| matches(&entry.name, n));
        let hazard = if what == "cooldown" {
            "a compromised version would install the minute it is published"
        } else {
            "a release published with a stolen token would not be refused"
        };
        let message = format!(
            "`{}` in `{list}` exempts every future release of {} from the {what}: {hazard}{}",
            entry.text,
            if entry.name.contains('*') {
                "the packages it matches"
            } else {
                "that package"
            },
            if mine {
                " (it matches one of this project's own packages)"
            } else {
                ""
            }
        );
        // pnpm and bun take versions only after an exact name.
        let example = if entry.name.contains('*') && !example.contains("range") {
            "name each package with its versions (`<name>@<version>`); a pattern cannot carry one"
                .to_string()
        } else {
            example.to_string()
        };
        let mut finding = Finding::new(&BROAD_EXCLUSION, file, entry.span.clone(), message)
            .with_help(format!(
                "exempt the versions you need, not the name: {example}"
            ))
            .with_fix_opt(scope_fix(root, file, entry));
        if mine {
            finding = finding.with_severity(Severity::Info);
        }
        out.push(finding);
    };
    match root.pm {
        Pm::Pnpm => {
            for (key, first, what) in [
                ("minimumReleaseAgeExclude", (10, 19), "cooldown"),
                ("trustPolicyExclude", (10, 22), "trust policy"),
            ] {
                if !v.at_least(first.0, first.1, 0) && root.declared() {
                    continue;
                }
                let Some((file, _, node)) = root.yaml_setting(project, "pnpm-workspace.yaml", key)
                else {
                    continue;
                };
                for entry in yaml_entries(&node) {
                    if entry.bare {
                        let example = "`<name>@<version> || <version>`";
                        report(&file, &entry, key, what, example);
                    }
                }
            }
        }
        Pm::YarnBerry => {
            if let Some((file, _, node)) = root.yarnrc_setting(project, "npmPreapprovedPackages") {
                for entry in yaml_entries(&node) {
                    if entry.bare {
                        let example = "`<name>@<version>` (or a semver range)";
                        report(&file, &entry, "npmPreapprovedPackages", "cooldown", example);
                    }
                }
            }
        }
        Pm::Bun if v.at_least(1, 4, 4) || !root.declared() => {
            let Some(file) = root.file(project, "bunfig.toml") else {
                return;
            };
            let Some(item) = toml::parsed(&file)
                .and_then(|doc| toml::get(doc, &["install", "minimumReleaseAgeExcludes"]))
            else {
                return;
            };
            for entry in toml_entries(item) {
                if entry.bare {
                    let example = "`<name>@<version>`";
                    report(
                        &file,
                        &entry,
                        "minimumReleaseAgeExcludes",
                        "cooldown",
                        example,
                    );
                }
            }
        }
        _ => {}
    }
}

/// `minimumReleaseAgeExclude` written as one string, not a list: pnpm before 11.23 read it one
/// character at a time, so a `*` in it exempted every package and switched the cooldown off
/// without a word (pnpm 11.23.0 changelog); from 11.23 it is a one-entry list.
fn string_exclusion(project: &Project, root: &Root, out: &mut Vec<Finding>) {
    let key = "minimumReleaseAgeExclude";
    let Some((file, span, node)) = root.yaml_setting(project, "pnpm-workspace.yaml", key) else {
        return;
    };
    let Some(text) = node.as_str().filter(|_| node.as_seq().is_none()) else {
        return;
    };
    let v = root.version;
    if v.at_least(11, 23, 0) {
        return;
    }
    let pm = root.describe();
    let (severity, effect) = match (text.contains('*'), root.declared()) {
        (true, true) => (
            Severity::Error,
            "its `*` exempts every package: no cooldown applies",
        ),
        (true, false) => (
            Severity::Warning,
            "before pnpm 11.23 its `*` exempts every package, and no cooldown applies",
        ),
        (false, _) => (
            Severity::Warning,
            "single characters match no package: it exempts nothing you meant",
        ),
    };
    let raw = file
        .text()
        .map(|t| t[span.clone()].to_string())
        .unwrap_or_default();
    out.push(
        Finding::new(
            &crate::cooldown::SETTING_IGNORED,
            &file,
            span.clone(),
            format!(
                "`{key}` is a string, not a list: {pm} reads it one character at a time (fixed in pnpm 11.23); {effect}"
            ),
        )
        .with_severity(severity)
        .with_help(format!("make it a list: `{key}: [{raw}]`"))
        .with_fix(Fix::unsafe_(
            "make it a one-entry list",
            vec![Edit::replace(&file.path, span, format!("[{raw}]"))],
        )),
    );
}

/// The entry narrowed to the versions the lockfile has of that package (`vue` →
/// `'vue@3.5.22'`): what is installed today stays exempt, a release still to come does not.
/// None for a name pattern, or a package the lockfile does not hold.
fn scope_fix(root: &Root, file: &SourceFile, entry: &Entry) -> Option<Fix> {
    if entry.name.contains('*') {
        return None;
    }
    let versions = locked_versions(root, &entry.name);
    if versions.is_empty() {
        return None;
    }
    let scoped = format!("{}@{}", entry.name, versions.join(" || "));
    let replacement = match file.kind {
        chainward_core::FileKind::Bunfig => format!("\"{scoped}\""),
        _ => format!("'{scoped}'"),
    };
    Some(Fix::unsafe_(
        format!("exempt only the locked versions: `{scoped}`"),
        vec![Edit::replace(&file.path, entry.span.clone(), replacement)],
    ))
}

/// The registry versions of `name` in the project's lockfile, newest first (not `file:`, git
/// or alias resolutions, nor links).
pub(crate) fn locked_versions(root: &Root, name: &str) -> Vec<String> {
    let Some(lock) = root
        .lockfile
        .as_deref()
        .and_then(chainward_npm::any_lockfile)
    else {
        return Vec::new();
    };
    let mut versions: Vec<(Ver, String)> = lock
        .iter_packages()
        .filter(|(_, p)| p.name == name && !p.link)
        .filter_map(|(_, p)| {
            let exact = p.version?.split('(').next()?.trim();
            Ver::parse(exact)
                .filter(|_| exact.starts_with(|c: char| c.is_ascii_digit()))
                .map(|parsed| (parsed, exact.to_string()))
        })
        .collect();
    versions.sort();
    versions.dedup_by(|a, b| a.1 == b.1);
    versions.into_iter().rev().map(|(_, v)| v).collect()
}

/// The names of the project's own packages: every package.json at or below its folder.
fn own_names(project: &Project, root: &Root) -> Vec<String> {
    project
        .files()
        .iter()
        .filter(|f| f.kind == chainward_core::FileKind::PackageJson)
        .filter(|f| f.path.starts_with(&root.dir) || root.dir == std::path::Path::new("."))
        .filter_map(|f| {
            chainward_npm::package_json(f)
                .and_then(|pj| pj.name())
                .map(str::to_string)
        })
        .collect()
}

/// Whether the name pattern `pattern` (`*` matches any run of characters) matches `name`.
fn matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

/// One entry of an exclusion list.
pub(crate) struct Entry {
    /// As written.
    pub text: String,
    /// The package name or name pattern.
    pub name: String,
    /// No version part.
    pub bare: bool,
    pub span: std::ops::Range<usize>,
}

pub(crate) fn entry(text: &str, span: std::ops::Range<usize>) -> Entry {
    let t = text.trim();
    // The version follows the first `@` after the name (`@scope/name@1.0.0`).
    let at = if let Some(scoped) = t.strip_prefix('@') {
        scoped.find('@').map(|i| i + 1)
    } else {
        t.find('@')
    };
    let (name, bare) = match at {
        Some(i) => (&t[..i], t[i + 1..].trim().is_empty()),
        None => (t, true),
    };
    Entry {
        text: t.to_string(),
        name: name.to_string(),
        bare,
        span,
    }
}

pub(crate) fn yaml_entries(node: &yaml::Yaml) -> Vec<Entry> {
    node.as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|item| Some(entry(item.as_str()?, item.span.clone())))
        .collect()
}

pub(crate) fn toml_entries(item: &toml_edit::Item) -> Vec<Entry> {
    item.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| Some(entry(v.as_str()?, v.span()?)))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_patterns() {
        assert!(matches("@nuxt/*", "@nuxt/kit"));
        assert!(matches("vue", "vue"));
        assert!(!matches("vue", "vue-router"));
        assert!(matches(
            "@rolldown/binding-*",
            "@rolldown/binding-linux-x64-gnu"
        ));
        assert!(matches("*", "anything"));
        assert!(!matches("@vue/*", "vue"));
    }

    #[test]
    fn entries_tell_names_from_versions() {
        for (text, name, bare) in [
            ("vue", "vue", true),
            ("@vue/*", "@vue/*", true),
            ("vue@3.5.22", "vue", false),
            ("@scope/pkg@1.0.0 || 1.0.1", "@scope/pkg", false),
            ("semver@", "semver", true),
        ] {
            let e = yaml_entries(&yaml::parse(&format!("- '{text}'")).expect("yaml"));
            assert_eq!((e[0].name.as_str(), e[0].bare), (name, bare), "{text}");
        }
    }
}
