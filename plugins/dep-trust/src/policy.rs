//! The cooldown and the exemptions in effect for one lockfile: those of the package manager that
//! installs it, where its own file sets them (npm `min-release-age` and `min-release-age-exclude`,
//! pnpm `minimumReleaseAge` and its lists, yarn `npmMinimalAgeGate` and `npmPreapprovedPackages`,
//! bun `minimumReleaseAge` and `minimumReleaseAgeExcludes`, read as that version reads them),
//! else chainward's `[dep-trust]` settings.

use chainward_core::{Project, SourceFile};
use chainward_npm::pm::cooldown::{effective, human};
use chainward_npm::pm::{Pm, Root};

const MINUTE_MS: i64 = 60_000;

/// What judges the versions of one lockfile.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// Versions younger than this are too new.
    pub window_ms: i64,
    /// Where the window comes from, for the message: `the 3-day cooldown`.
    pub window_said: String,
    /// Whether the package manager itself enforces the window (its setting is explicit): then
    /// an install from this lockfile fails, and the finding is an error.
    pub enforced: bool,
    pub age_exclude: Vec<Exclusion>,
    /// yarn's and npm's exemptions from their cooldown (any entry that matches).
    pub pm_age_exclude: Vec<PmExclusion>,
    pub trust_exclude: Vec<Exclusion>,
    /// `trustPolicyIgnoreAfter`: a version published longer ago than this is not compared.
    pub trust_ignore_after_ms: Option<i64>,
    /// pnpm's `trustPolicy: no-downgrade` is on: pnpm's comparison (every earlier release), and
    /// a refusal pnpm makes too.
    pub trust_enforced: bool,
}

/// One exemption: a name (with `*` wildcards, `!` negating) and, optionally, exact versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exclusion {
    negate: bool,
    pattern: String,
    versions: Option<Vec<String>>,
}

impl Exclusion {
    /// pnpm's grammar: `name`, `name-glob*`, `name@1.2.3 || 1.2.4` (the first `@` after a
    /// leading scope `@` starts the versions). `None` for an entry pnpm rejects (a range, or a
    /// pattern with versions).
    pub(crate) fn parse(entry: &str) -> Option<Exclusion> {
        let entry = entry.trim();
        let (negate, entry) = match entry.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, entry),
        };
        let at = entry
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '@')
            .map(|(i, _)| i);
        let (name, versions) = match at {
            Some(i) => (&entry[..i], Some(&entry[i + 1..])),
            None => (entry, None),
        };
        if name.is_empty() {
            return None;
        }
        let versions = match versions {
            None => None,
            Some(list) => {
                if name.contains('*') {
                    return None;
                }
                // `semver.valid` reads `v1.2.3` and `=1.2.3` as 1.2.3.
                let vs: Option<Vec<String>> = list
                    .split("||")
                    .map(|v| {
                        let v = v.trim();
                        let v = v.strip_prefix('=').unwrap_or(v).trim_start();
                        let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
                        node_version(v).map(|()| v.to_string())
                    })
                    .collect();
                Some(vs?)
            }
        };
        Some(Exclusion {
            negate,
            pattern: name.to_string(),
            versions,
        })
    }

    fn name_matches(&self, name: &str) -> bool {
        glob(&self.pattern, name) != self.negate
    }
}

/// `x.y.z` with an optional prerelease or build: what `semver.valid()` accepts, roughly (the
/// versions pnpm lists in an exclusion are exact).
fn node_version(v: &str) -> Option<()> {
    let core = v.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    (parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
    .then_some(())
}

/// `*` matches any run of characters; the rest is literal; the whole name must match.
fn glob(pattern: &str, name: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Whether `name@version` is exempt, as pnpm 11 evaluates its list: rules in order; a matching
/// rule with versions adds them; the first matching rule without versions exempts every version
/// unless an earlier rule named versions (then only those); otherwise only the versions named.
pub(crate) fn exempt(rules: &[Exclusion], name: &str, version: &str) -> bool {
    let mut named: Option<Vec<&str>> = None;
    for rule in rules.iter().filter(|r| r.name_matches(name)) {
        match &rule.versions {
            Some(vs) => named
                .get_or_insert_with(Vec::new)
                .extend(vs.iter().map(String::as_str)),
            None => return named.is_none_or(|vs| vs.contains(&version)),
        }
    }
    named.is_some_and(|vs| vs.contains(&version))
}

impl Policy {
    /// chainward's own: `[dep-trust] cooldown-days` and `exclude` (both rules).
    pub(crate) fn own(cooldown_days: u64, exclude: &[String]) -> Policy {
        let rules: Vec<Exclusion> = exclude.iter().filter_map(|e| Exclusion::parse(e)).collect();
        Policy {
            window_ms: i64::try_from(cooldown_days).unwrap_or(0) * 24 * 60 * MINUTE_MS,
            window_said: format!("the {cooldown_days}-day cooldown"),
            enforced: false,
            age_exclude: rules.clone(),
            pm_age_exclude: Vec::new(),
            trust_exclude: rules,
            trust_ignore_after_ms: None,
            trust_enforced: false,
        }
    }

    /// The policy for `lockfile`: the cooldown of the package manager that installs it, where
    /// its own file sets one (read as pm-config reads it: `chainward_npm::pm::cooldown`), with
    /// that package manager's exemptions; pnpm's trust policy; chainward's own exemptions apply
    /// as well.
    pub(crate) fn for_lockfile(
        project: &Project,
        lockfile: &SourceFile,
        roots: &[Root],
        own: &Policy,
    ) -> Policy {
        let mut policy = own.clone();
        let Some(root) = roots
            .iter()
            .find(|r| r.lockfile.as_ref().is_some_and(|l| l.path == lockfile.path))
        else {
            return policy;
        };
        let (eff, _) = effective(project, root);
        if let (Some(minutes), Some((file, _, value))) = (eff.minutes, &eff.setting) {
            let minutes = minutes.clamp(0.0, CENTURY_MINUTES);
            let key = match root.pm {
                Pm::Npm => "min-release-age",
                Pm::Pnpm => "minimumReleaseAge",
                Pm::YarnBerry | Pm::YarnClassic => "npmMinimalAgeGate",
                Pm::Bun => "minimumReleaseAge",
            };
            policy.window_ms = (minutes * MINUTE_MS as f64) as i64;
            policy.window_said = format!(
                "{}'s `{key}` ({}: {} in {})",
                root.pm.name(),
                human(minutes),
                value.trim(),
                file.rel
            );
            // pnpm refuses such a lockfile (`pnpm install --frozen-lockfile` re-checks it);
            // npm ci, yarn and bun apply their cooldown only when they resolve.
            policy.enforced = root.pm == Pm::Pnpm && minutes > 0.0;
        }
        match root.pm {
            Pm::Pnpm => pnpm_lists(project, root, &mut policy),
            Pm::YarnBerry => {
                // Names, globs, either with `@<semver range>`: any entry that matches exempts.
                if let Some((_, _, node)) = root.yarnrc_setting(project, "npmPreapprovedPackages") {
                    policy.pm_age_exclude.extend(
                        strings(&node)
                            .iter()
                            .filter_map(|e| PmExclusion::with_range(e)),
                    );
                }
            }
            Pm::Bun => {
                let entries = root
                    .file(project, "bunfig.toml")
                    .and_then(|file| {
                        let doc = chainward_core::toml::parsed(&file)?;
                        let item = chainward_core::toml::get(
                            doc,
                            &["install", "minimumReleaseAgeExcludes"],
                        )?;
                        Some(
                            item.as_array()?
                                .iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect::<Vec<String>>(),
                        )
                    })
                    .unwrap_or_default();
                // Exact names; `name@x.y.z || …` from 1.4.4 (pnpm's grammar).
                policy
                    .age_exclude
                    .extend(entries.iter().filter_map(|e| Exclusion::parse(e)));
            }
            Pm::Npm => {
                // `min-release-age-exclude[]=` lines (npm 11.17): names and globs, a value with
                // commas split.
                if let Some(rc) = root
                    .file(project, ".npmrc")
                    .and_then(|f| chainward_npm::npmrc::npmrc(&f).cloned())
                {
                    for s in rc.settings.iter().filter(|s| {
                        s.key == "min-release-age-exclude[]" || s.key == "min-release-age-exclude"
                    }) {
                        policy.pm_age_exclude.extend(
                            s.value
                                .split(',')
                                .map(str::trim)
                                .filter(|e| !e.is_empty())
                                .map(|e| PmExclusion {
                                    pattern: e.to_string(),
                                    range: None,
                                }),
                        );
                    }
                }
            }
            Pm::YarnClassic => {}
        }
        policy
    }

    /// Whether the cooldown exempts `name@version`.
    pub(crate) fn age_exempt(&self, name: &str, version: &str) -> bool {
        exempt(&self.age_exclude, name, version)
            || self.pm_age_exclude.iter().any(|e| e.matches(name, version))
    }
}

const CENTURY_MINUTES: f64 = 100.0 * 365.0 * 24.0 * 60.0;

/// pnpm's own lists in the pnpm-workspace.yaml beside the lockfile, read as pnpm 11 reads them.
fn pnpm_lists(project: &Project, root: &Root, policy: &mut Policy) {
    let Some(file) = root.file(project, "pnpm-workspace.yaml") else {
        return;
    };
    let Some(doc) = chainward_core::yaml::parsed(&file) else {
        return;
    };
    let list = |key: &str| -> Vec<Exclusion> {
        doc.get(key)
            .map(|v| {
                strings(v)
                    .iter()
                    .filter_map(|e| Exclusion::parse(e))
                    .collect()
            })
            .unwrap_or_default()
    };
    policy.age_exclude.extend(list("minimumReleaseAgeExclude"));
    policy.trust_exclude.extend(list("trustPolicyExclude"));
    policy.trust_enforced = doc
        .get("trustPolicy")
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.trim() == "no-downgrade");
    // Minutes, at most a century (a larger number is no different, and must not overflow).
    let minutes = doc
        .get("trustPolicyIgnoreAfter")
        .and_then(|v| v.as_str()?.trim().parse::<i64>().ok())
        .filter(|m| *m > 0);
    if let Some(m) = minutes {
        policy.trust_ignore_after_ms = Some(m.min(100 * 365 * 24 * 60) * MINUTE_MS);
    }
}

/// A YAML list of strings; one string is a one-entry list (pnpm 11.23 and later read it so).
fn strings(node: &chainward_core::yaml::Yaml) -> Vec<String> {
    match node.as_seq() {
        Some(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        None => node.as_str().map(str::to_string).into_iter().collect(),
    }
}

/// An exemption in yarn's or npm's grammar: a name or glob, and for yarn a semver range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PmExclusion {
    pattern: String,
    range: Option<String>,
}

impl PmExclusion {
    /// yarn: `name`, `glob`, `name@range`, `glob@range` (the first `@` after a leading scope
    /// `@` starts the range). A range that is not semver never matches: `None`.
    fn with_range(entry: &str) -> Option<PmExclusion> {
        let entry = entry.trim();
        let at = entry
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '@')
            .map(|(i, _)| i);
        let (pattern, range) = match at {
            Some(i) => (&entry[..i], Some(entry[i + 1..].to_string())),
            None => (entry, None),
        };
        if pattern.is_empty() {
            return None;
        }
        if let Some(r) = &range
            && chainward_npm::spec::parse_range(r).is_none()
        {
            return None;
        }
        Some(PmExclusion {
            pattern: pattern.to_string(),
            range,
        })
    }

    fn matches(&self, name: &str, version: &str) -> bool {
        glob(&self.pattern, name)
            && self
                .range
                .as_deref()
                .is_none_or(|r| chainward_npm::spec::satisfies(version, r) == Some(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_read_as_pnpm_reads_them() {
        let rules: Vec<Exclusion> = [
            "vue",
            "@babel/*",
            "!left-pad",
            "chokidar@4.0.3",
            "webpack@4.47.0 || 5.102.1",
        ]
        .iter()
        .filter_map(|e| Exclusion::parse(e))
        .collect();
        assert_eq!(rules.len(), 5);
        assert!(exempt(&rules[..1], "vue", "3.5.0"));
        assert!(exempt(&rules[1..2], "@babel/core", "7.0.0"));
        assert!(!exempt(&rules[1..2], "@babelx/core", "7.0.0"));
        // A lone negated rule matches every other name.
        assert!(exempt(&rules[2..3], "react", "1.0.0"));
        assert!(!exempt(&rules[2..3], "left-pad", "1.0.0"));
        assert!(exempt(&rules[3..4], "chokidar", "4.0.3"));
        assert!(!exempt(&rules[3..4], "chokidar", "4.0.4"));
        assert!(exempt(&rules[4..5], "webpack", "5.102.1"));
        // pnpm rejects ranges and patterns with versions.
        assert_eq!(Exclusion::parse("vue@^3"), None);
        assert_eq!(Exclusion::parse("@babel/*@7.0.0"), None);
        // pnpm 11: a bare rule after a rule with versions for the same name exempts only those.
        let ordered: Vec<Exclusion> = ["foo@1.0.0", "foo*"]
            .iter()
            .filter_map(|e| Exclusion::parse(e))
            .collect();
        assert!(exempt(&ordered, "foo", "1.0.0"));
        assert!(!exempt(&ordered, "foo", "2.0.0"));
        assert!(exempt(&ordered, "foobar", "2.0.0"));
        assert_eq!(
            Exclusion::parse("a@v1.2.3 || =1.2.4").and_then(|e| e.versions),
            Some(vec!["1.2.3".to_string(), "1.2.4".to_string()])
        );
        // yarn: names or patterns, with an optional semver range; a protocol or a tag never
        // matches, so the entry is dropped.
        let yarn = |e: &str, name: &str, version: &str| {
            PmExclusion::with_range(e).is_some_and(|x| x.matches(name, version))
        };
        assert!(yarn("fresh", "fresh", "9.0.0"));
        assert!(yarn("@types/*", "@types/node", "22.0.0"));
        assert!(yarn("@types/*@^22", "@types/node", "22.1.0"));
        assert!(!yarn("@types/*@^22", "@types/node", "23.0.0"));
        assert!(yarn("react@18.2.0", "react", "18.2.0"));
        assert!(!yarn("react@npm:^18", "react", "18.2.0"));
        assert!(!yarn("react@latest", "react", "18.2.0"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxc"));
    }
}
