//! Rules and the plugin trait: what a plugin declares and the one function it implements.

use crate::config::PluginConfig;
use crate::finding::Finding;
use crate::project::Project;
use crate::severity::Severity;

/// Whether a rule can emit fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Fixability {
    /// Never emits a fix.
    None,
    /// Emits fixes for some findings (e.g. only when the lockfile says what to pin to).
    Sometimes,
    /// Emits a fix for every finding.
    Always,
}

/// Static metadata of one rule. Declared next to the code that emits it.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, `plugin/rule-name`, named after the hazard.
    pub id: &'static str,
    /// Short stable code (e.g. `PIN001`), accepted wherever an id is.
    pub code: &'static str,
    pub default_severity: Severity,
    /// Whether the rule runs without being enabled in config.
    pub default_enabled: bool,
    pub fixable: Fixability,
    /// One line, no trailing period.
    pub summary: &'static str,
    /// Markdown: why it matters, an example, how to fix it.
    pub doc: &'static str,
}

impl Rule {
    /// The plugin part of the id (`pin-check` for `pin-check/range-specifier`).
    pub fn plugin(&self) -> &'static str {
        self.id.split_once('/').map_or(self.id, |(p, _)| p)
    }

    /// The name part of the id (`range-specifier`).
    pub fn name(&self) -> &'static str {
        self.id.split_once('/').map_or(self.id, |(_, n)| n)
    }

    /// Whether `selector` names this rule: its id, its code, its plugin, or `all`.
    pub fn matches(&self, selector: &str) -> bool {
        selector == "all"
            || selector == self.id
            || selector.eq_ignore_ascii_case(self.code)
            || selector == self.plugin()
            || selector
                .strip_suffix("/*")
                .is_some_and(|p| p == self.plugin())
    }

    /// Whether `selector` names this rule itself (its id or code), not a group it is in: what
    /// turns on a rule that is off by default.
    pub fn named_by(&self, selector: &str) -> bool {
        selector == self.id || selector.eq_ignore_ascii_case(self.code)
    }
}

/// Whether a plugin judged a project (see [`Plugin::coverage`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    Checked,
    /// Nothing of the kind it checks is in the project.
    NotApplicable,
    /// It could not judge the project, and why.
    Skipped(String),
}

/// A plugin: a pure function from the shared project model to findings.
///
/// Plugins never print, exit, touch the network or write files: they read the [`Project`] and
/// return findings, whose fixes the one fix engine applies.
pub trait Plugin: Sync + Send {
    /// The plugin id: crate folder, config section, subcommand, rule prefix.
    fn id(&self) -> &'static str;
    /// One line for `chainward --help`.
    fn summary(&self) -> &'static str;
    /// Every rule the plugin can emit.
    fn rules(&self) -> &'static [&'static Rule];
    /// Read this plugin's section of chainward.toml, once, before any plugin runs (as zizmor's
    /// `Audit::new` and cargo-deny's `ValidConfig` do): a key the plugin does not take or a value
    /// it cannot use is an error naming the file, line and column. What it returns checks
    /// projects with those settings.
    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, crate::Error>;
    /// Whether the plugin parses files of `kind` on every run. The engine parses those files
    /// once, up front, on every core (lockfiles first), before any plugin runs, so that no
    /// plugin waits on a parse another has started.
    fn reads(&self, kind: crate::project::FileKind) -> bool {
        let _ = kind;
        false
    }
    /// What this plugin could say about `project`, for an attestation, where "no findings" must
    /// not be mistaken for "checked": [`Coverage::Skipped`] when it could not judge (no advisory
    /// database, no registry metadata), [`Coverage::NotApplicable`] when there is nothing of its
    /// kind (by default: no file of a kind it [`reads`](Plugin::reads)).
    fn coverage(&self, project: &Project) -> Coverage {
        let kinds: Vec<_> = crate::project::FileKind::ALL
            .into_iter()
            .filter(|k| self.reads(*k))
            .collect();
        if kinds.is_empty() || project.files().iter().any(|f| kinds.contains(&f.kind)) {
            Coverage::Checked
        } else {
            Coverage::NotApplicable
        }
    }
    /// The plugin's own commands and where each is mounted (`chainward sbom`: [`Mount::Top`];
    /// `chainward provenance verify`: [`Mount::Plugin`]).
    ///
    /// [`Mount::Top`]: crate::command::Mount::Top
    /// [`Mount::Plugin`]: crate::command::Mount::Plugin
    fn commands(&self) -> Vec<(crate::command::Mount, clap::Command)> {
        Vec::new()
    }
    /// Run the command named `name` (one of [`Plugin::commands`]) with its parsed arguments.
    fn run_command(
        &self,
        name: &str,
        args: &clap::ArgMatches,
        context: &crate::command::Context<'_>,
    ) -> Result<crate::command::Output, crate::Error> {
        let _ = (args, context);
        Err(crate::Error::Usage(format!(
            "{} has no command `{name}`",
            self.id()
        )))
    }
}

/// A configured plugin: checks a project with the settings [`Plugin::configure`] read.
pub trait Check: Sync + Send {
    fn check(&self, project: &Project) -> Vec<Finding>;
}

/// Rules that belong to the engine itself rather than to a plugin.
pub mod core_rules {
    use super::{Fixability, Rule};
    use crate::severity::Severity;

    pub static PARSE_ERROR: Rule = Rule {
        id: "chainward/parse-error",
        code: "CW001",
        default_severity: Severity::Error,
        default_enabled: true,
        fixable: Fixability::None,
        summary: "A file chainward has to read is malformed",
        doc: "A package.json, lockfile, workflow or Dockerfile that cannot be parsed cannot be \
checked, and the package manager or CI would reject it too. The finding points at the line and \
column where parsing stopped.\n\nFix the syntax error; chainward never guesses at the content of \
a broken file. A well-formed file in a format chainward does not read (a pnpm lockfile v5, which \
pnpm 7 still installs from) is reported at `warning`, as not checked.",
    };

    pub static UNUSED_IGNORE: Rule = Rule {
        id: "chainward/unused-ignore",
        code: "CW002",
        default_severity: Severity::Warning,
        default_enabled: true,
        fixable: Fixability::None,
        summary: "An `[[ignore]]` entry in chainward.toml matched no finding",
        doc: "Suppressions rot: once the dependency or workflow they were written for is gone, \
they silently hide the next, unrelated finding on the same path. Remove entries that no longer \
match anything (as cargo-deny reports unused allows).\n\n```toml\n[[ignore]]\nrule = \
\"pin-check/range-specifier\"\npath = \"packages/legacy/package.json\"\nreason = \"frozen \
package, removed in 2.0\"\n```",
    };

    pub static INVALID_SUPPRESSION: Rule = Rule {
        id: "chainward/invalid-suppression",
        code: "CW003",
        default_severity: Severity::Warning,
        default_enabled: true,
        fixable: Fixability::None,
        summary: "An inline `chainward: ignore[...]` comment names no reason or an unknown rule",
        doc: "Every suppression needs a reason, so that a reviewer can tell a considered \
exception from a silenced warning. Write the reason after the bracket:\n\n```yaml\n- uses: \
acme/deploy@v3 # chainward: ignore[pin-check/unpinned-action] internal action, tags are \
protected\n```\n\nA comment without a reason, or naming a rule that does not exist, suppresses \
nothing.",
    };

    pub static PLUGIN_FAILED: Rule = Rule {
        id: "chainward/plugin-failed",
        code: "CW004",
        default_severity: Severity::Error,
        default_enabled: true,
        fixable: Fixability::None,
        summary: "An external plugin crashed or printed something that is not findings JSON",
        doc: "External plugins (`chainward-<name>` executables) answer with findings JSON on \
stdout. When one exits abnormally or prints garbage, chainward reports it as one finding and \
goes on with the other plugins.",
    };

    pub static STALE_BASELINE: Rule = Rule {
        id: "chainward/stale-baseline",
        code: "CW005",
        default_severity: Severity::Warning,
        default_enabled: true,
        fixable: Fixability::None,
        summary: "A `--baseline` entry matched no finding: it was fixed, so drop it",
        doc: "A baseline (`chainward check --write-baseline chainward-baseline.json`) lets a \
project adopt chainward without fixing everything on day one: `--baseline` hides the findings \
recorded in it, matched by rule, file and subject (the package or action), so a moved line does \
not bring one back. An entry that no longer matches anything was fixed; left in place, it would \
hide the same problem if it came back. Rewrite the baseline with `--write-baseline` (it only \
shrinks) or delete the entry.",
    };

    pub static EXTERNAL_PLUGIN_NOT_ALLOWED: Rule = Rule {
        id: "chainward/external-plugin-not-allowed",
        code: "CW006",
        default_severity: Severity::Warning,
        default_enabled: true,
        fixable: Fixability::None,
        summary: "chainward.toml names an external plugin, and the user did not allow external plugins",
        doc: "`external-plugins = [\"foo\"]` in chainward.toml asks `check` to run the program \
`chainward-foo`. A chainward.toml comes with the scanned tree, and so may come from a stranger's \
pull request: chainward never runs a program because the tree asks it to. External plugins run \
only when the person running chainward also allows them, with `--allow-external-plugins` or \
`CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1`, and even then `chainward-foo` is looked up only in absolute \
PATH entries outside the scanned tree (never `.`, an empty entry or `node_modules/.bin` of the \
project).\n\nThis finding says the plugin was not run, so its checks are missing from the \
report. Allow external plugins where you trust the plugin (your CI), or remove the entry.",
    };

    pub static UNSAFE_PATH: Rule = Rule {
        id: "chainward/unsafe-path",
        code: "CW007",
        default_severity: Severity::Error,
        default_enabled: true,
        fixable: Fixability::None,
        summary: "A file chainward has to read is a symbolic link that leaves the project, dangles or loops",
        doc: "npm, pnpm, yarn and git follow symbolic links, so a `package-lock.json` that is a \
link to another file in the project is read as that file, and the finding names the link. A link \
whose target is outside the project root (`/proc/self/environ`, `../../secret`), or that points \
nowhere or to itself, is never read: its content could be anyone's, and a report that printed \
or compared it would leak it. chainward reports the link and where it points instead, and the \
file is not checked.\n\nReplace the link with the file itself, or point it inside the \
project.",
    };

    pub static ALL: &[&Rule] = &[
        &PARSE_ERROR,
        &UNUSED_IGNORE,
        &INVALID_SUPPRESSION,
        &PLUGIN_FAILED,
        &STALE_BASELINE,
        &EXTERNAL_PLUGIN_NOT_ALLOWED,
        &UNSAFE_PATH,
    ];
}

/// The closest of `candidates` to `input`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(input, c), c))
        .filter(|&(d, c)| d <= (c.len().max(input.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
