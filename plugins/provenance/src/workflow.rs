//! The parts of a GitHub Actions workflow the provenance rules read: triggers, permissions
//! (workflow and job level, as GitHub applies them), env at each level, and each job's steps with
//! their `uses`, `with`, `env` and the simple commands of their `run`.

use chainward_core::shell::{self, Command};
use chainward_core::yaml::{Yaml, YamlValue};

/// One step.
pub struct Step<'a> {
    pub node: &'a Yaml,
    /// `actions/checkout@v4` → `actions/checkout`, lowercased.
    pub action: Option<String>,
    pub with: Option<&'a Yaml>,
    pub env: Option<&'a Yaml>,
    pub run: Option<&'a Yaml>,
    pub commands: Vec<Command>,
}

impl Step<'_> {
    pub fn with_str(&self, key: &str) -> Option<&str> {
        self.with?.get(key)?.as_str()
    }
}

/// One job.
pub struct Job<'a> {
    pub id: &'a str,
    pub node: &'a Yaml,
    pub permissions: Option<&'a Yaml>,
    pub env: Option<&'a Yaml>,
    /// A reusable workflow the job calls (`uses:` at job level), lowercased, without `@ref`.
    pub calls: Option<String>,
    pub steps: Vec<Step<'a>>,
}

/// A workflow.
pub struct Workflow<'a> {
    pub doc: &'a Yaml,
    pub triggers: Vec<(String, &'a Yaml)>,
    pub permissions: Option<&'a Yaml>,
    pub env: Option<&'a Yaml>,
    pub jobs: Vec<Job<'a>>,
}

fn action_name(uses: &str) -> String {
    uses.split('@')
        .next()
        .unwrap_or(uses)
        .trim()
        .to_ascii_lowercase()
}

impl<'a> Workflow<'a> {
    pub fn read(doc: &'a Yaml) -> Workflow<'a> {
        let on = doc.get("on").or_else(|| doc.get("true"));
        let triggers = match on.map(|o| &o.value) {
            Some(YamlValue::Scalar(s)) => vec![(s.clone(), on.unwrap_or(doc))],
            Some(YamlValue::Seq(items)) => items
                .iter()
                .filter_map(|i| Some((i.as_str()?.to_string(), i)))
                .collect(),
            Some(YamlValue::Map(_)) => on
                .map(|o| o.entries().map(|(k, v)| (k.to_string(), v)).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let jobs = doc
            .get("jobs")
            .map(|j| {
                j.entries()
                    .map(|(id, node)| Job {
                        id,
                        node,
                        permissions: node.get("permissions"),
                        env: node.get("env"),
                        calls: node.get("uses").and_then(Yaml::as_str).map(action_name),
                        steps: node
                            .get("steps")
                            .and_then(Yaml::as_seq)
                            .unwrap_or_default()
                            .iter()
                            .map(|s| {
                                let run = s.get("run").filter(|r| r.as_str().is_some());
                                Step {
                                    node: s,
                                    action: s.get("uses").and_then(Yaml::as_str).map(action_name),
                                    with: s.get("with"),
                                    env: s.get("env"),
                                    run,
                                    commands: run
                                        .and_then(Yaml::as_str)
                                        .map(shell::commands)
                                        .unwrap_or_default(),
                                }
                            })
                            .collect(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Workflow {
            doc,
            triggers,
            permissions: doc.get("permissions"),
            env: doc.get("env"),
            jobs,
        }
    }

    pub fn triggered_by(&self, event: &str) -> Option<&'a Yaml> {
        self.triggers
            .iter()
            .find(|(e, _)| e == event)
            .map(|(_, n)| *n)
    }

    /// A release workflow: a tag push or a published/created release.
    pub fn is_release(&self) -> bool {
        self.triggered_by("release").is_some()
            || self
                .triggered_by("push")
                .is_some_and(|p| p.get("tags").is_some())
    }

    /// The permissions a job runs with: its own block replaces the workflow's entirely.
    pub fn permissions_of(&self, job: &Job<'a>) -> Option<&'a Yaml> {
        job.permissions.or(self.permissions)
    }

    /// Whether the job may request an OIDC token.
    pub fn id_token_write(&self, job: &Job<'a>) -> bool {
        match self.permissions_of(job) {
            Some(p) => match &p.value {
                YamlValue::Scalar(s) => s == "write-all",
                _ => p.get("id-token").and_then(Yaml::as_str) == Some("write"),
            },
            None => false,
        }
    }

    /// The value of an env variable for a step: step, then job, then workflow.
    pub fn env(&self, job: &Job<'a>, step: &Step<'a>, key: &str) -> Option<&'a Yaml> {
        [step.env, job.env, self.env]
            .into_iter()
            .flatten()
            .find_map(|e| e.get(key))
    }
}

/// `npm publish`, `pnpm publish` (`pnpm -r publish`), `yarn npm publish`, without `--dry-run`.
pub fn is_publish(cmd: &Command) -> bool {
    let argv: Vec<&str> = cmd.argv().iter().map(|w| w.text.as_str()).collect();
    let Some((tool, rest)) = argv.split_first() else {
        return false;
    };
    let positional: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    let publishes = match *tool {
        "npm" | "pnpm" => positional.first() == Some(&"publish"),
        "yarn" => positional.starts_with(&["npm", "publish"]),
        _ => false,
    };
    publishes && !rest.contains(&"--dry-run")
}

/// Whether a command publishes to npm: `npm|pnpm publish`, `yarn npm publish`, and the release
/// tools that run them (`changeset publish`, `semantic-release`, `release-it`, `lerna publish`,
/// `np`), also through `npx`, `bunx`, `npm exec`, `pnpm exec|dlx` and `yarn exec|dlx`; and the
/// package.json scripts it runs (`pnpm release`, `npm run release`, `yarn release`) whose commands
/// publish, up to `depth` levels down.
pub fn publishes(
    cmd: &Command,
    scripts: &std::collections::BTreeMap<String, String>,
    depth: usize,
) -> bool {
    if is_publish(cmd) {
        return true;
    }
    let argv: Vec<&str> = cmd.argv().iter().map(|w| w.text.as_str()).collect();
    let positional = |from: usize| -> Vec<&str> {
        argv.iter()
            .skip(from)
            .copied()
            .filter(|w| !w.starts_with('-'))
            .collect()
    };
    // The tool a runner runs: `npx x`, `pnpm exec x`, `yarn dlx x` → `x …`.
    let (tool, rest): (&str, Vec<&str>) = match argv.first().copied() {
        Some("npx" | "bunx" | "pnpx") => match positional(1).split_first() {
            Some((t, r)) => (t, r.to_vec()),
            None => return false,
        },
        Some(pm @ ("npm" | "pnpm" | "yarn" | "bun")) => {
            let pos = positional(1);
            match pos.first().copied() {
                Some("exec" | "dlx" | "x") => match pos[1..].split_first() {
                    Some((t, r)) => (t, r.to_vec()),
                    None => return false,
                },
                // A package.json script: `npm run x`, `pnpm run x`, `pnpm x`, `yarn x`.
                Some("run" | "run-script") => {
                    return pos
                        .get(1)
                        .is_some_and(|s| script_publishes(s, scripts, depth));
                }
                Some(name) if pm != "npm" && scripts.contains_key(name) => {
                    return script_publishes(name, scripts, depth);
                }
                // `pnpm changeset publish`, `yarn lerna publish`: a dependency's binary.
                Some(name) if pm != "npm" => (name, pos[1..].to_vec()),
                _ => return false,
            }
        }
        Some(t) => (t, positional(1)),
        None => return false,
    };
    // `semantic-release@24.2.3`, `@changesets/cli@2`: the package, without its version.
    let tool = match tool.char_indices().skip(1).find(|&(_, c)| c == '@') {
        Some((at, _)) => &tool[..at],
        None => tool,
    };
    let tool = match tool {
        "@changesets/cli" => "changeset",
        other => other.rsplit('/').next().unwrap_or(other),
    };
    let dry = argv
        .iter()
        .any(|w| *w == "--dry-run" || (*w == "-d" && tool == "semantic-release"));
    let publishes = match tool {
        "changeset" | "changesets" => rest.first() == Some(&"publish"),
        "lerna" => rest.first() == Some(&"publish"),
        "semantic-release" | "release-it" | "np" => true,
        _ => false,
    };
    publishes && !dry
}

/// Whether the package.json script `name` publishes (its commands, parsed as a shell).
fn script_publishes(
    name: &str,
    scripts: &std::collections::BTreeMap<String, String>,
    depth: usize,
) -> bool {
    let Some(body) = scripts.get(name) else {
        return false;
    };
    depth > 0
        && chainward_core::shell::commands(body)
            .iter()
            .any(|c| publishes(c, scripts, depth - 1))
}

/// `--provenance` (or `--provenance=true`) on the command line.
pub fn has_provenance_flag(cmd: &Command) -> bool {
    cmd.argv()
        .iter()
        .any(|w| w.text == "--provenance" || w.text == "--provenance=true")
}

/// `cosign sign` / `cosign attest` (also `sign-blob`, `attest-blob`).
pub fn is_cosign_sign(cmd: &Command) -> bool {
    let argv = cmd.argv();
    argv.first().is_some_and(|w| w.text == "cosign")
        && argv.get(1).is_some_and(|w| {
            matches!(
                w.text.as_str(),
                "sign" | "sign-blob" | "attest" | "attest-blob"
            )
        })
}

/// A truthy env value (`true`, `"true"`, `1`).
pub fn truthy(v: &Yaml) -> bool {
    matches!(v.as_str(), Some("true" | "1" | "True" | "TRUE"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_tools_publish_through_runners_and_scripts() {
        let scripts: std::collections::BTreeMap<String, String> = [
            ("release", "pnpm build && changeset publish"),
            ("ship", "npm run release"),
            ("build", "tsc"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let publishes_line = |line: &str| {
            chainward_core::shell::commands(line)
                .iter()
                .any(|c| publishes(c, &scripts, 2))
        };
        for yes in [
            "npm publish --access public",
            "pnpm -r publish",
            "yarn npm publish",
            "npx changeset publish",
            "pnpm changeset publish",
            "yarn changeset publish",
            "pnpm exec changeset publish",
            "npx @changesets/cli@2.27.1 publish",
            "npx semantic-release@24.2.3",
            "pnpm dlx semantic-release",
            "npx release-it --ci",
            "npx lerna@8.2.2 publish from-package --yes",
            "npx np --no-tests",
            "pnpm release",
            "npm run ship",
            "yarn release",
        ] {
            assert!(publishes_line(yes), "{yes}");
        }
        for no in [
            "npm publish --dry-run",
            "npx semantic-release --dry-run",
            "npx changeset version",
            "pnpm build",
            "npm run build",
            "lerna run test",
            "pnpm install",
        ] {
            assert!(!publishes_line(no), "{no}");
        }
    }
}
