//! The cooldown and the exemptions in effect for one lockfile: pnpm's own settings in the
//! `pnpm-workspace.yaml` beside a `pnpm-lock.yaml` (`minimumReleaseAge`,
//! `minimumReleaseAgeExclude`, `trustPolicyExclude`, `trustPolicyIgnoreAfter`, read as pnpm 11
//! reads them), else chainward's `[dep-trust]` settings.

use chainward_core::project::join;
use chainward_core::{FileKind, Project, SourceFile};

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
            trust_exclude: rules,
            trust_ignore_after_ms: None,
            trust_enforced: false,
        }
    }

    /// The policy for `lockfile`: pnpm's settings where it is a pnpm lockfile with a
    /// `pnpm-workspace.yaml` beside it; chainward's own exemptions apply as well.
    pub(crate) fn for_lockfile(project: &Project, lockfile: &SourceFile, own: &Policy) -> Policy {
        let mut policy = own.clone();
        if lockfile.kind != FileKind::PnpmLock {
            return policy;
        }
        let dir = lockfile.path.parent().unwrap_or(std::path::Path::new("."));
        let Some(file) = project.file_at(&join(dir, "pnpm-workspace.yaml")) else {
            return policy;
        };
        let Some(doc) = chainward_core::yaml::parsed(&file) else {
            return policy;
        };
        // Minutes, at most a century (a larger number is no different, and must not overflow).
        let minutes = |key: &str| -> Option<i64> {
            let v = doc.get(key)?;
            let m = v.as_str()?.trim().parse::<i64>().ok().filter(|m| *m >= 0)?;
            Some(m.min(100 * 365 * 24 * 60))
        };
        let list = |key: &str| -> Vec<Exclusion> {
            match doc.get(key) {
                Some(v) => match v.as_seq() {
                    Some(items) => items
                        .iter()
                        .filter_map(|i| i.as_str().and_then(Exclusion::parse))
                        .collect(),
                    // One string: one entry (pnpm 11.23 and later read it so).
                    None => v.as_str().and_then(Exclusion::parse).into_iter().collect(),
                },
                None => Vec::new(),
            }
        };
        if let Some(m) = minutes("minimumReleaseAge") {
            policy.window_ms = m * MINUTE_MS;
            policy.window_said = format!("pnpm's `minimumReleaseAge` ({m} minutes)");
            policy.enforced = m > 0;
        }
        policy.age_exclude.extend(list("minimumReleaseAgeExclude"));
        policy.trust_exclude.extend(list("trustPolicyExclude"));
        policy.trust_enforced = doc
            .get("trustPolicy")
            .and_then(|v| v.as_str())
            .is_some_and(|v| v.trim() == "no-downgrade");
        if let Some(m) = minutes("trustPolicyIgnoreAfter").filter(|m| *m > 0) {
            policy.trust_ignore_after_ms = Some(m * MINUTE_MS);
        }
        policy
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
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxc"));
    }
}
