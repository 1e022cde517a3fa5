//! Which rules run at which severity, and which findings survive suppression: `[rules]` levels,
//! `--select`/`--ignore`, `[[ignore]]` entries (each with a reason; unused ones reported), and
//! inline `# chainward: ignore[rule] reason` comments in YAML and Dockerfiles.

use std::collections::HashMap;

use crate::config::Config;
use crate::finding::{Finding, Location};
use crate::project::{Project, rel_path};
use crate::rule::{Rule, core_rules};
use crate::severity::{Level, Severity};

/// The level of every known rule for this run.
#[derive(Debug, Clone)]
pub struct RuleLevels {
    levels: HashMap<&'static str, Level>,
    /// Rules whose level was set in config (their findings take that severity).
    configured: HashMap<&'static str, Severity>,
    /// The external plugins the config names: their rules (`<name>/…`) are not registered, and
    /// run at the severity the plugin gives them.
    external: Vec<String>,
}

impl RuleLevels {
    /// Resolve levels: defaults, then `[rules]` from least to most specific selector (`all`,
    /// plugin, rule), then `--select` (only those rules run), then `--ignore`.
    pub fn resolve(
        rules: &[&'static Rule],
        config: &Config,
        select: &[String],
        ignore: &[String],
    ) -> Self {
        let mut levels = HashMap::new();
        let mut configured = HashMap::new();
        let mut entries: Vec<&(String, Level, _)> = config.rules.iter().collect();
        entries.sort_by_key(|(sel, _, _)| specificity(sel));
        for rule in rules {
            let mut level = if rule.default_enabled {
                Level::On(rule.default_severity)
            } else {
                Level::Off
            };
            for (sel, l, _) in &entries {
                if rule.matches(sel) {
                    level = *l;
                    if let Level::On(s) = l {
                        configured.insert(rule.id, *s);
                    } else {
                        configured.remove(rule.id);
                    }
                }
            }
            if !select.is_empty() {
                // A rule that is off by default runs when selected by name (or turned on in
                // `[rules]`), not as part of its plugin or `all`.
                level = if select.iter().any(|s| rule.named_by(s))
                    || (select.iter().any(|s| rule.matches(s))
                        && (rule.default_enabled || level != Level::Off))
                {
                    match level {
                        Level::Off => Level::On(rule.default_severity),
                        on => on,
                    }
                } else {
                    Level::Off
                };
            }
            if ignore.iter().any(|s| rule.matches(s)) {
                level = Level::Off;
            }
            levels.insert(rule.id, level);
        }
        // The engine's own rules stay on unless turned off explicitly.
        for rule in core_rules::ALL {
            if !rules.iter().any(|r| r.id == rule.id) {
                levels.insert(rule.id, Level::On(rule.default_severity));
            }
        }
        let external = config
            .external_plugins
            .iter()
            .map(|(name, _)| name.clone())
            .collect();
        Self {
            levels,
            configured,
            external,
        }
    }

    /// Whether findings of `rule_id` are reported: a registered rule at its level; a rule no
    /// plugin registered only when it is an external plugin's (`<name>/…`).
    pub fn is_enabled(&self, rule_id: &str) -> bool {
        match self.levels.get(rule_id) {
            Some(level) => matches!(level, Level::On(_)),
            // Not registered: only an external plugin's own rules.
            None => rule_id
                .split_once('/')
                .is_some_and(|(plugin, _)| self.external.iter().any(|e| e == plugin)),
        }
    }

    /// Whether any rule of `plugin` runs.
    pub fn plugin_enabled(&self, plugin: &dyn crate::rule::Plugin) -> bool {
        plugin.rules().iter().any(|r| self.is_enabled(r.id))
    }
}

fn specificity(selector: &str) -> u8 {
    if selector == "all" {
        0
    } else if !selector.contains('/') || selector.ends_with("/*") {
        1
    } else {
        2
    }
}

/// Apply levels and suppressions; report unused `[[ignore]]` entries and malformed inline
/// suppressions; sort. `known` lists every rule so that suppressions naming none are caught.
pub fn apply(
    mut findings: Vec<Finding>,
    project: &Project,
    config: &Config,
    levels: &RuleLevels,
    known: &[&'static Rule],
) -> Vec<Finding> {
    findings.retain(|f| levels.is_enabled(&f.rule));
    for f in &mut findings {
        if let Some(sev) = levels.configured.get(f.rule.as_str()) {
            f.severity = *sev;
        }
    }

    // Inline suppressions, read from the files that have findings or comments.
    let mut extra = Vec::new();
    let mut inline: HashMap<std::path::PathBuf, Vec<Suppression>> = HashMap::new();
    for file in project
        .files()
        .iter()
        .filter(|f| f.kind.has_hash_comments())
    {
        let Ok(text) = file.text() else { continue };
        // The vectorized search: a large lockfile is read whole here, and nearly always has none.
        if memchr::memmem::find(text.as_bytes(), b"chainward:").is_none() {
            continue;
        }
        let lines = file.lines();
        for s in scan_suppressions(text) {
            let line = lines.line_col(text, s.span.start).line;
            let problem = if s.reason.is_empty() {
                Some("this suppression gives no reason: write why after the bracket".to_string())
            } else {
                s.rules
                    .iter()
                    .find(|r| !known.iter().any(|k| k.matches(r)))
                    .map(|r| format!("`{r}` is not a chainward rule"))
            };
            match problem {
                Some(message) => extra.push(
                    Finding::new(
                        &core_rules::INVALID_SUPPRESSION,
                        file,
                        s.span.clone(),
                        message,
                    )
                    .with_help("write `# chainward: ignore[plugin/rule] reason`"),
                ),
                None => inline
                    .entry(file.path.clone())
                    .or_default()
                    .push(Suppression { line, ..s }),
            }
        }
    }
    findings.retain(|f| {
        let Some(sups) = inline.get(&f.location.path) else {
            return true;
        };
        let line = f.location.start.line;
        // A trailing comment covers its own line; a comment on a line of its own, the next.
        !sups.iter().any(|s| {
            let covers = if s.own_line {
                s.line + 1 == line
            } else {
                s.line == line
            };
            covers && s.rules.iter().any(|r| rule_matches(&f.rule, r, known))
        })
    });

    // [[ignore]] entries.
    let globs: Vec<Option<globset::GlobMatcher>> = config
        .ignores
        .iter()
        .map(|e| {
            e.path.as_ref().and_then(|p| {
                globset::GlobBuilder::new(p)
                    .literal_separator(false)
                    .build()
                    .ok()
                    .map(|g| g.compile_matcher())
            })
        })
        .collect();
    let mut used = vec![false; config.ignores.len()];
    findings.retain(|f| {
        let rel = rel_path(&project.root, &f.location.path);
        let mut keep = true;
        for (i, entry) in config.ignores.iter().enumerate() {
            let path_ok = match (&entry.path, &globs[i]) {
                (None, _) => true,
                (Some(_), Some(g)) => g.is_match(&rel),
                (Some(_), None) => false,
            };
            if path_ok && !entry.elsewhere && rule_matches(&f.rule, &entry.rule, known) {
                used[i] = true;
                keep = false;
            }
        }
        keep
    });
    if let Some(config_path) = &config.path {
        for (entry, used) in config.ignores.iter().zip(used) {
            let rule_ran = known
                .iter()
                .any(|r| r.matches(&entry.rule) && levels.is_enabled(r.id));
            if used || !rule_ran || entry.elsewhere {
                continue;
            }
            let Some((start, end)) = config.line_col(&entry.span) else {
                continue;
            };
            extra.push(
                Finding::at(
                    &core_rules::UNUSED_IGNORE,
                    Location::at(config_path.clone(), entry.span.clone(), start, end),
                    format!(
                        "this [[ignore]] entry for `{}`{} matched no finding",
                        entry.rule,
                        entry
                            .path
                            .as_ref()
                            .map(|p| format!(" in `{p}`"))
                            .unwrap_or_default()
                    ),
                )
                .with_help("remove it, or correct its `rule` or `path`"),
            );
        }
    }

    extra.retain(|f| levels.is_enabled(&f.rule));
    findings.extend(extra);
    crate::finding::sort(&mut findings);
    findings
}

fn rule_matches(finding_rule: &str, selector: &str, known: &[&'static Rule]) -> bool {
    match known.iter().find(|r| r.id == finding_rule) {
        Some(rule) => rule.matches(selector),
        None => finding_rule == selector || selector == "all",
    }
}

#[derive(Debug, Clone)]
struct Suppression {
    span: std::ops::Range<usize>,
    line: usize,
    /// The comment is alone on its line (it then covers the next line).
    own_line: bool,
    rules: Vec<String>,
    reason: String,
}

/// Every `chainward: ignore[...] reason` comment in a `#`-comment file.
fn scan_suppressions(text: &str) -> Vec<Suppression> {
    const MARK: &str = "chainward: ignore[";
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(hash) = line.find('#') {
            let comment = &line[hash..];
            if let Some(at) = comment.find(MARK) {
                let inner = &comment[at + MARK.len()..];
                if let Some(close) = inner.find(']') {
                    let rules = inner[..close]
                        .split(',')
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty())
                        .collect();
                    let reason = inner[close + 1..].trim().to_string();
                    let start = offset + hash;
                    let end = offset + line.trim_end().len();
                    out.push(Suppression {
                        span: start..end.max(start),
                        line: 0,
                        own_line: line[..hash].trim().is_empty(),
                        rules,
                        reason,
                    });
                }
            }
        }
        offset += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_off_by_default_runs_when_named() {
        use crate::{Fixability, Severity};
        static ON: Rule = Rule {
            id: "demo/on",
            code: "DMO001",
            default_severity: Severity::Warning,
            default_enabled: true,
            fixable: Fixability::None,
            summary: "",
            doc: "",
        };
        static OFF: Rule = Rule {
            id: "demo/off",
            code: "DMO002",
            default_enabled: false,
            ..ON
        };
        let rules: &[&'static Rule] = &[&ON, &OFF];
        let on = |config: &Config, select: &[&str]| {
            let select: Vec<String> = select.iter().map(|s| s.to_string()).collect();
            let levels = RuleLevels::resolve(rules, config, &select, &[]);
            (levels.is_enabled("demo/on"), levels.is_enabled("demo/off"))
        };
        let none = Config::default();
        assert_eq!(on(&none, &[]), (true, false));
        assert_eq!(on(&none, &["demo"]), (true, false));
        assert_eq!(on(&none, &["all"]), (true, false));
        assert_eq!(on(&none, &["demo/off"]), (false, true));
        assert_eq!(on(&none, &["dmo002", "demo"]), (true, true));
        let mut configured = Config::default();
        configured.rules = vec![("demo/off".into(), Level::On(Severity::Info), None)];
        assert_eq!(on(&configured, &[]), (true, true));
        assert_eq!(on(&configured, &["demo"]), (true, true));
    }

    #[test]
    fn scans_rules_and_reason() {
        let text = "a: 1\n- uses: x@v1 # chainward: ignore[pin-check/unpinned-action, PIN006] reviewed\n# chainward: ignore[x]\n";
        let s = scan_suppressions(text);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].rules, ["pin-check/unpinned-action", "PIN006"]);
        assert_eq!(s[0].reason, "reviewed");
        assert_eq!(s[1].reason, "");
        assert!(!s[0].own_line);
        assert!(s[1].own_line);
    }
}
