//! `uses:` in workflows and action.yml: pinned to a full commit SHA, or as the configured
//! policy for that action allows.

use chainward_core::config::PluginConfig;
use chainward_core::fix::{Edit, Fix};
use chainward_core::online::Forge;
use chainward_core::workflow;
use chainward_core::yaml::Yaml;
use chainward_core::{Error, Finding, Fixability, Rule, Severity, SourceFile};

pub(crate) static UNPINNED_ACTION: Rule = Rule {
    id: "pin-check/unpinned-action",
    code: "PIN006",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A GitHub Action or reusable workflow is not pinned to a full commit SHA",
    doc: r#"`uses: actions/checkout@v4` runs whatever commit the tag `v4` points to today. Tags and
branches can be moved by anyone with push access to the action's repository, which is how the
tj-actions/changed-files compromise reached thousands of workflows. A 40-hex commit SHA cannot
be moved; keep the version in a comment for humans and tools such as Dependabot:

```yaml
- uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
```

**Fix** (unsafe, `chainward fix --online --unsafe-fixes`): the tag or branch is replaced by the
commit it points to now, asked of the GitHub API (`--github-api`, default
`https://api.github.com`; `GITHUB_TOKEN` is sent when set), and the tag is kept in a comment,
the form zizmor, pinact and ratchet write: `actions/checkout@<sha> # v4`. A line that already
has a comment keeps it and gets none added. Unsafe because it changes what runs, to the commit
the tag names today: review it. Tags move, so answers are kept for 10 minutes only. Without
`--online` there is no fix.

Local actions (`./...`), this repository at the running commit (`$/path`, GitHub's
self-repository syntax) and `docker://image@sha256:...` are fine. Checked in
`.github/workflows/*.yml` (step and reusable-workflow `uses:`) and in `action.yml`
(composite steps).

**Policy per action**, as zizmor does, under `[pin-check.actions]`: `hash-pin` (the default:
a full SHA), `ref-pin` (any tag or branch), `any` (no check). The most specific pattern wins:
`owner/repo/path`, `owner/repo`, `owner/repo/*`, `owner/*`, `*`.

```toml
[pin-check.actions]
"my-org/*" = "ref-pin"
```

`slsa-framework/slsa-github-generator` is `ref-pin` by default: its reusable workflows must be
referenced by tag, because the generator verifies its own version from the ref in the
workflow identity and fails when called by SHA.
"#,
};

/// How strictly an action must be pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    HashPin,
    RefPin,
    Any,
}

impl std::str::FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hash-pin" => Ok(Policy::HashPin),
            "ref-pin" => Ok(Policy::RefPin),
            "any" => Ok(Policy::Any),
            other => Err(format!(
                "unknown policy `{other}` (expected hash-pin, ref-pin or any)"
            )),
        }
    }
}

/// Policies by pattern; user entries first, then the built-in defaults.
#[derive(Debug, Clone)]
pub(crate) struct Policies {
    entries: Vec<(String, Policy)>,
}

impl Default for Policies {
    fn default() -> Self {
        Self {
            entries: vec![
                (
                    "slsa-framework/slsa-github-generator/*".into(),
                    Policy::RefPin,
                ),
                (
                    "slsa-framework/slsa-github-generator".into(),
                    Policy::RefPin,
                ),
            ],
        }
    }
}

impl Policies {
    pub(crate) fn from_config(config: &PluginConfig) -> Result<Self, Error> {
        let mut policies = Policies::default();
        let mut user = Vec::new();
        for (pattern, value, span) in config.get_string_table("actions")? {
            let policy = value
                .parse()
                .map_err(|m: String| config.error(span.clone(), m))?;
            if pattern != "*" && !pattern.contains('/') {
                return Err(config.error(
                    span,
                    format!("`{pattern}` is not an action pattern (expected owner/repo, owner/*, owner/repo/path or *)"),
                ));
            }
            user.push((pattern, policy));
        }
        user.extend(policies.entries);
        policies.entries = user;
        Ok(policies)
    }

    /// The policy for `owner/repo[/path]`: the most specific matching pattern wins.
    pub(crate) fn for_action(&self, target: &str) -> Policy {
        let mut parts = target.splitn(3, '/');
        let owner = parts.next().unwrap_or_default();
        let repo = parts.next().unwrap_or_default();
        let owner_repo = format!("{owner}/{repo}");
        let candidates = [
            target.to_string(),
            owner_repo.clone(),
            format!("{owner_repo}/*"),
            format!("{owner}/*"),
            "*".to_string(),
        ];
        for candidate in &candidates {
            if candidate == &format!("{owner_repo}/*") && target == owner_repo {
                continue;
            }
            if let Some((_, p)) = self
                .entries
                .iter()
                .find(|(pat, _)| pat.eq_ignore_ascii_case(candidate))
            {
                return *p;
            }
        }
        Policy::HashPin
    }
}

/// Check every `uses:` of a workflow or action.yml.
pub(crate) fn check(
    file: &SourceFile,
    policies: &Policies,
    forge: Option<&dyn Forge>,
    images: Option<&dyn chainward_core::online::Images>,
    out: &mut Vec<Finding>,
) {
    let Some(wf) = workflow::parsed(file) else {
        return;
    };
    // Job-level (a reusable workflow) and step-level `uses:` values.
    let uses_nodes = wf.jobs().flat_map(|job| {
        job.uses()
            .into_iter()
            .chain(job.steps().filter_map(|s| s.uses))
    });
    for uses in uses_nodes {
        if let Some(message) = verdict(uses, policies) {
            let help = if uses
                .as_str()
                .is_some_and(|u| u.trim().starts_with("docker://"))
            {
                "pin the image by digest: `docker://image@sha256:<digest>`"
            } else {
                "pin it to a full 40-character commit SHA and keep the version in a comment: `owner/repo@<sha> # v1.2.3`"
            };
            let fix = match uses.as_str().map(str::trim) {
                Some(value) if value.starts_with("docker://") => images.and_then(|images| {
                    crate::images::digest_fix(
                        file,
                        uses.span.clone(),
                        value.trim_start_matches("docker://"),
                        images,
                    )
                }),
                _ => forge.and_then(|forge| pin_fix(file, uses, policies, forge)),
            };
            out.push(
                Finding::new(&UNPINNED_ACTION, file, uses.span.clone(), message)
                    .with_help(help)
                    .with_fix_opt(fix),
            );
        }
    }
}

/// Why a `uses:` value is not pinned enough, if it is not.
fn verdict(uses: &Yaml, policies: &Policies) -> Option<String> {
    let value = uses.as_str()?.trim();
    // `./path` is the checked-out workspace; `$/path` is this repository at the commit that is
    // running (GitHub's self-repository syntax: the runner resolves it to `github.repository`
    // at `github.sha`, or inside an action to that action's own repository and ref), so it
    // cannot be moved either.
    if value.starts_with("./")
        || value.starts_with("../")
        || value.starts_with("$/")
        || value.contains("${{")
    {
        return None;
    }
    if let Some(image) = value.strip_prefix("docker://") {
        return (!image.contains("@sha256:")).then(|| {
            format!("`{value}` runs a container image by tag, which its publisher can re-point; pin it by digest (`docker://image@sha256:...`)")
        });
    }
    let Some((target, git_ref)) = value.rsplit_once('@') else {
        return Some(format!(
            "`{value}` names no ref at all; GitHub requires `owner/repo@ref`, and it should be a full commit SHA"
        ));
    };
    match policies.for_action(target) {
        Policy::Any => None,
        Policy::RefPin => git_ref
            .is_empty()
            .then(|| format!("`{value}` has an empty ref")),
        Policy::HashPin => {
            if chainward_npm::spec::is_full_sha(git_ref) {
                return None;
            }
            let what = if git_ref.len() >= 7 && git_ref.bytes().all(|b| b.is_ascii_hexdigit()) {
                "an abbreviated commit SHA, which can become ambiguous (and GitHub no longer accepts)"
            } else if looks_like_version(git_ref) {
                "a tag, which its owner can move to another commit"
            } else {
                "a branch or tag, which its owner can move to another commit"
            };
            Some(format!("`{target}` is pinned to `{git_ref}`, {what}"))
        }
    }
}

/// `owner/repo@ref` pinned to the commit `ref` names now, the ref kept in a comment (unless
/// the line has one already).
fn pin_fix(file: &SourceFile, uses: &Yaml, policies: &Policies, forge: &dyn Forge) -> Option<Fix> {
    let value = uses.as_str()?.trim();
    if value.starts_with("docker://") {
        return None;
    }
    let (target, git_ref) = value.rsplit_once('@')?;
    if git_ref.is_empty() || policies.for_action(target) != Policy::HashPin {
        return None;
    }
    let mut parts = target.split('/');
    let (owner, repo) = (parts.next()?, parts.next()?);
    let sha = forge.commit(&format!("{owner}/{repo}"), git_ref).ok()??;
    if !chainward_npm::spec::is_full_sha(&sha) {
        return None;
    }
    let text = file.text().ok()?;
    let span = uses.span.clone();
    let at = span.start + text.get(span.clone())?.rfind(&format!("@{git_ref}"))? + 1;
    let mut edits = vec![Edit::replace(
        &file.path,
        at..at + git_ref.len(),
        sha.clone(),
    )];
    let line_end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i);
    let rest = &text[span.end..line_end];
    if !rest.contains('#') {
        let end = span.end + rest.trim_end_matches(['\r', ' ', '\t']).len();
        edits.push(Edit::replace(&file.path, end..end, format!(" # {git_ref}")));
    }
    Some(Fix::unsafe_(
        format!("pin `{owner}/{repo}` to {sha}, the commit `{git_ref}` names now"),
        edits,
    ))
}

fn looks_like_version(r: &str) -> bool {
    let r = r.strip_prefix('v').unwrap_or(r);
    r.chars().next().is_some_and(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_policy_wins() {
        let cfg = PluginConfig::from_toml("[section.actions]\n\"actions/*\" = \"ref-pin\"\n\"actions/cache\" = \"hash-pin\"\n\"*\" = \"any\"\n")
            .expect("valid");
        let p = Policies::from_config(&cfg).expect("valid policies");
        assert_eq!(p.for_action("actions/checkout"), Policy::RefPin);
        assert_eq!(p.for_action("actions/cache"), Policy::HashPin);
        assert_eq!(p.for_action("acme/x"), Policy::Any);
        let d = Policies::default();
        assert_eq!(
            d.for_action(
                "slsa-framework/slsa-github-generator/.github/workflows/generator_nodejs_slsa3.yml"
            ),
            Policy::RefPin
        );
        assert_eq!(d.for_action("actions/checkout"), Policy::HashPin);
    }
}
