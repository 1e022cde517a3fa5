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
