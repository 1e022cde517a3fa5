//! One model of a GitHub Actions workflow or a composite action (`action.yml`), built once per
//! file and cached with it: its triggers, permissions and `env:` at each level, its jobs
//! (`uses:` of a reusable workflow, matrix) and their steps (`uses`, `with`, `env`, and `run`
//! with the simple commands it runs and what its variables hold), plus what the rules ask of a
//! command: does it publish, which local scripts does it run. Every rule that reads workflows
//! reads this model, so a new syntax, install form or publishing tool is taught here once.

use std::collections::BTreeMap;

use crate::project::{FileKind, SourceFile};
use crate::shell::{self, Command};
use crate::yaml::{self, Yaml, YamlValue};

/// The values a script's variables can hold where the file shows them: `NAME` (a shell or
/// environment variable, from `env:` or a Dockerfile's `ARG`/`ENV`), `env.NAME` and
/// `matrix.NAME` (GitHub expressions). A variable that is not here cannot be told.
pub type Vars = BTreeMap<String, Vec<String>>;

/// The byte a space inside `${{ … }}` becomes before a script is split into words, so that an
/// expression stays one word; same length, so spans still point into the script.
pub const MASKED_SPACE: char = '\u{1f}';

/// A parsed workflow or composite action.
pub struct Workflow {
    pub doc: Yaml,
    pub kind: FileKind,
    jobs: Vec<JobData>,
}

struct JobData {
    /// Index in the `jobs:` mapping (`None`: a composite action's `runs:`).
    slot: Option<usize>,
    steps: Vec<StepData>,
}

struct StepData {
    slot: usize,
    action: Option<String>,
    /// The `run:` text with expressions masked (see [`MASKED_SPACE`]), and its commands.
    script: Option<String>,
    commands: Vec<Command>,
    vars: Vars,
    inputs: Vec<InputData>,
}

/// An action input that is a shell script (see [`SHELL_INPUTS`]).
pub struct InputData {
    key: &'static str,
    script: String,
    commands: Vec<Command>,
}

/// Inputs of well-known actions that the action runs as shell commands: what they run is
/// checked like a `run:`.
pub const SHELL_INPUTS: &[(&str, &str)] = &[
    ("changesets/action", "publish"),
    ("changesets/action", "version"),
    ("pguyot/arm-runner-action", "commands"),
    ("uraimo/run-on-arch-action", "run"),
    ("addnab/docker-run-action", "run"),
    ("nick-fields/retry", "command"),
    ("nick-invision/retry", "command"),
    ("wandalen/wretry.action", "command"),
    ("coactions/setup-xvfb", "run"),
    ("gabrielbb/xvfb-action", "run"),
    ("cypress-io/github-action", "install-command"),
    ("cypress-io/github-action", "build"),
    ("cypress-io/github-action", "start"),
];

/// A shell-script input of a step's action.
#[derive(Clone, Copy)]
pub struct ShellInput<'a> {
    /// The `with:` value.
    pub node: &'a Yaml,
    /// Its text, expressions masked, and its commands.
    pub script: &'a str,
    pub commands: &'a [Command],
}

/// One job (a composite action's `runs:` is one job with an empty id).
#[derive(Clone, Copy)]
pub struct Job<'a> {
    pub id: &'a str,
    pub node: &'a Yaml,
    wf: &'a Workflow,
    data: &'a JobData,
}

/// One step of a job.
#[derive(Clone, Copy)]
pub struct Step<'a> {
    pub node: &'a Yaml,
    /// The `uses:` value as written.
    pub uses: Option<&'a Yaml>,
    /// `actions/checkout@v4` → `actions/checkout`, lowercased.
    pub action: Option<&'a str>,
    pub with: Option<&'a Yaml>,
    pub env: Option<&'a Yaml>,
    /// The `run:` scalar.
    pub run: Option<&'a Yaml>,
    /// The `run:` text, expressions masked (spans of `commands` index into it).
    pub script: &'a str,
    pub commands: &'a [Command],
    /// What its variables hold: workflow, job and step `env:`, and the job's matrix.
    pub vars: &'a Vars,
    inputs: &'a [InputData],
}

impl<'a> Step<'a> {
    pub fn with_str(&self, key: &str) -> Option<&'a str> {
        self.with?.get(key)?.as_str()
    }

    /// The inputs its action runs as shell commands (see [`SHELL_INPUTS`]).
    pub fn shell_inputs(&self) -> impl Iterator<Item = ShellInput<'a>> + use<'a> {
        let with = self.with;
        self.inputs.iter().filter_map(move |i| {
            Some(ShellInput {
                node: with?.get(i.key)?,
                script: &i.script,
                commands: &i.commands,
            })
        })
    }

    /// Every command the step runs: its `run:`, then its action's shell inputs.
    pub fn all_commands(&self) -> impl Iterator<Item = &'a Command> + use<'a> {
        self.commands
            .iter()
            .chain(self.shell_inputs().flat_map(|i| i.commands.iter()))
    }
}

/// The cached model of a workflow or action file; `None` if it does not parse (the error is on
/// the file) or is of another kind.
pub fn parsed(file: &SourceFile) -> Option<&Workflow> {
    if !matches!(file.kind, FileKind::Workflow | FileKind::Action) {
        return None;
    }
    file.parsed(|f, text| {
        yaml::parse(text)
            .map(|doc| Workflow::new(doc, f.kind))
            .map_err(|e| f.parse_error(e.span, e.message))
    })
}

fn action_name(uses: &str) -> String {
    uses.split('@')
        .next()
        .unwrap_or(uses)
        .trim()
        .to_ascii_lowercase()
}

impl Workflow {
    /// The model of `doc`, a workflow (`kind` [`FileKind::Workflow`]) or an action.
    pub fn new(doc: Yaml, kind: FileKind) -> Workflow {
        let mut top = Vars::new();
        env_vars(doc.get("env"), &mut top);
        let step_data = |steps: Option<&Yaml>, vars: &Vars| -> Vec<StepData> {
            steps
                .and_then(Yaml::as_seq)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(slot, s)| {
                    let mut vars = vars.clone();
                    env_vars(s.get("env"), &mut vars);
                    let script = s
                        .get("run")
                        .and_then(Yaml::as_str)
                        .map(|r| mask_expressions(r).into_owned());
                    let action = s.get("uses").and_then(Yaml::as_str).map(action_name);
                    let inputs = SHELL_INPUTS
                        .iter()
                        .filter(|(a, _)| action.as_deref() == Some(*a))
                        .filter_map(|(_, key)| {
                            let text = s.get("with")?.get(key)?.as_str()?;
                            let script = mask_expressions(text).into_owned();
                            Some(InputData {
                                key,
                                commands: shell::commands(&script),
                                script,
                            })
                        })
                        .collect();
                    StepData {
                        slot,
                        inputs,
                        action,
                        commands: script.as_deref().map(shell::commands).unwrap_or_default(),
                        script,
                        vars,
                    }
                })
                .collect()
        };
        let jobs = match kind {
            FileKind::Workflow => doc
                .get("jobs")
                .and_then(Yaml::as_map)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter(|(_, (k, _))| k.as_str().is_some())
                .map(|(slot, (_, job))| {
                    let mut vars = top.clone();
                    matrix_vars(job, &mut vars);
                    env_vars(job.get("env"), &mut vars);
                    JobData {
                        slot: Some(slot),
                        steps: step_data(job.get("steps"), &vars),
                    }
                })
                .collect(),
            FileKind::Action => vec![JobData {
                slot: None,
                steps: step_data(doc.get("runs").and_then(|r| r.get("steps")), &top),
            }],
            _ => Vec::new(),
        };
        Workflow { doc, kind, jobs }
    }

    pub fn jobs(&self) -> impl Iterator<Item = Job<'_>> {
        self.jobs.iter().map(move |data| {
            let (id, node) = match data.slot {
                Some(slot) => {
                    let (k, v) = &self
                        .doc
                        .get("jobs")
                        .and_then(Yaml::as_map)
                        .unwrap_or_default()[slot];
                    (k.as_str().unwrap_or_default(), v)
                }
                None => ("", self.doc.get("runs").unwrap_or(&self.doc)),
            };
            Job {
                id,
                node,
                wf: self,
                data,
            }
        })
    }

    /// Every step of every job, with its job.
    pub fn steps(&self) -> impl Iterator<Item = (Job<'_>, Step<'_>)> {
        self.jobs()
            .flat_map(|job| job.steps().map(move |s| (job, s)))
    }

    /// The events that trigger the workflow, with the node that configures each.
    pub fn triggers(&self) -> Vec<(&str, &Yaml)> {
        let on = self.doc.get("on").or_else(|| self.doc.get("true"));
        match on.map(|o| (o, &o.value)) {
            Some((o, YamlValue::Scalar(s))) => vec![(s.as_str(), o)],
            Some((_, YamlValue::Seq(items))) => items
                .iter()
                .filter_map(|i| Some((i.as_str()?, i)))
                .collect(),
            Some((o, YamlValue::Map(_))) => o.entries().collect(),
            _ => Vec::new(),
        }
    }

    pub fn triggered_by(&self, event: &str) -> Option<&Yaml> {
        self.triggers()
            .into_iter()
            .find(|(e, _)| *e == event)
            .map(|(_, n)| n)
    }

    /// A release workflow: a tag push or a published/created release.
    pub fn is_release(&self) -> bool {
        self.triggered_by("release").is_some()
            || self
                .triggered_by("push")
                .is_some_and(|p| p.get("tags").is_some())
    }
}

impl<'a> Job<'a> {
    pub fn steps(&self) -> impl Iterator<Item = Step<'a>> + use<'a> {
        let node = self.node;
        let steps = node.get("steps").and_then(Yaml::as_seq).unwrap_or_default();
        self.data.steps.iter().map(move |d| {
            let s = &steps[d.slot];
            Step {
                node: s,
                uses: s.get("uses"),
                action: d.action.as_deref(),
                with: s.get("with"),
                env: s.get("env"),
                run: s.get("run").filter(|r| r.as_str().is_some()),
                script: d.script.as_deref().unwrap_or_default(),
                commands: &d.commands,
                vars: &d.vars,
                inputs: &d.inputs,
            }
        })
    }

    /// The `uses:` of a job that calls a reusable workflow.
    pub fn uses(&self) -> Option<&'a Yaml> {
        self.data.slot.and(self.node.get("uses"))
    }

    /// The reusable workflow the job calls, lowercased, without `@ref`.
    pub fn calls(&self) -> Option<String> {
        self.uses().and_then(Yaml::as_str).map(action_name)
    }

    /// The permissions the job runs with: its own block replaces the workflow's entirely.
    pub fn permissions(&self) -> Option<&'a Yaml> {
        self.data
            .slot
            .and(self.node.get("permissions"))
            .or_else(|| self.wf.doc.get("permissions"))
    }

    /// Whether the job may request an OIDC token.
    pub fn id_token_write(&self) -> bool {
        match self.permissions() {
            Some(p) => match &p.value {
                YamlValue::Scalar(s) => s == "write-all",
                _ => p.get("id-token").and_then(Yaml::as_str) == Some("write"),
            },
            None => false,
        }
    }

    /// The folder a step's `run:` starts in: its `working-directory`, else the job's, else the
    /// workflow's `defaults.run.working-directory`.
    pub fn working_directory(&self, step: &Step<'a>) -> Option<&'a str> {
        let default = |node: &'a Yaml| {
            node.get("defaults")
                .and_then(|d| d.get("run"))
                .and_then(|r| r.get("working-directory"))
                .and_then(Yaml::as_str)
        };
        step.node
            .get("working-directory")
            .and_then(Yaml::as_str)
            .or_else(|| self.data.slot.and_then(|_| default(self.node)))
            .or_else(|| default(&self.wf.doc))
    }

    /// The node of an `env:` variable for a step: step, then job, then workflow.
    pub fn env(&self, step: &Step<'a>, key: &str) -> Option<&'a Yaml> {
        [
            step.env,
            self.data.slot.and(self.node.get("env")),
            self.wf.doc.get("env"),
        ]
        .into_iter()
        .flatten()
        .find_map(|e| e.get(key))
    }
}

/// `script` with the spaces inside each GitHub expression `${{ … }}` masked (borrowed when it
/// has none: a run line may be tens of megabytes).
pub fn mask_expressions(script: &str) -> std::borrow::Cow<'_, str> {
    if !script.contains("${{") {
        return std::borrow::Cow::Borrowed(script);
    }
    let mut out = String::with_capacity(script.len());
    let mut rest = script;
    while let Some(at) = rest.find("${{") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find("}}").map_or(tail.len(), |e| e + 2);
        out.extend(
            tail[..end]
                .chars()
                .map(|c| if c == ' ' { MASKED_SPACE } else { c }),
        );
        rest = &tail[end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// A word as the file shows it (masked spaces back).
pub fn shown(word: &str) -> String {
    word.replace(MASKED_SPACE, " ")
}

/// The values of an `env:` mapping, as `NAME` and `env.NAME`: literal scalars, and a value that
/// is one expression whose values are known (`${{ matrix.pnpm }}`, `${{ env.X }}`).
fn env_vars(env: Option<&Yaml>, vars: &mut Vars) {
    for (name, value) in env.map(Yaml::entries).into_iter().flatten() {
        let values = value.as_str().and_then(|v| {
            if !v.contains("${{") {
                return Some(vec![v.to_string()]);
            }
            let inner = v.trim().strip_prefix("${{")?.strip_suffix("}}")?.trim();
            vars.get(inner).filter(|_| !inner.contains("${{")).cloned()
        });
        match values {
            Some(v) => {
                vars.insert(name.to_string(), v.clone());
                vars.insert(format!("env.{name}"), v);
            }
            None => {
                vars.remove(name);
                vars.remove(&format!("env.{name}"));
            }
        }
    }
}

/// A job's `strategy.matrix` values, as `matrix.NAME` (lists of scalars, plus `include`).
fn matrix_vars(job: &Yaml, vars: &mut Vars) {
    let Some(matrix) = job.get("strategy").and_then(|s| s.get("matrix")) else {
        return;
    };
    let mut found: Vars = Vars::new();
    let mut add = |key: &str, value: &str| {
        found
            .entry(format!("matrix.{key}"))
            .or_default()
            .push(value.to_string());
    };
    for (key, value) in matrix.entries() {
        match key {
            "include" => {
                for item in value.as_seq().unwrap_or_default() {
                    for (k, v) in item.entries() {
                        if let Some(v) = v.as_str().filter(|v| !v.contains("${{")) {
                            add(k, v);
                        }
                    }
                }
            }
            "exclude" => {}
            _ => {
                let items = value.as_seq().unwrap_or_default();
                let scalars: Option<Vec<&str>> = items
                    .iter()
                    .map(|i| i.as_str().filter(|v| !v.contains("${{")))
                    .collect();
                for v in scalars.unwrap_or_default() {
                    add(key, v);
                }
            }
        }
    }
    for (k, mut v) in found {
        v.sort();
        v.dedup();
        vars.insert(k, v);
    }
}

/// The script files a command line runs, relative to the root: `./scripts/ci.sh`,
/// `script/build-ui`, `bash scripts/x.sh`, `sh -e ./x`, and after `cd dir` relative to `dir`;
/// `start` is the folder the commands start in (a step's `working-directory`). Paths with
/// variables, absolute paths and URLs are skipped.
pub fn script_paths(commands: &[Command], start: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cwd = Some(start.to_string());
    for cmd in commands {
        let argv = cmd.argv();
        let Some(first) = argv.first() else { continue };
        let candidate = if matches!(
            first.text.as_str(),
            "bash" | "sh" | "zsh" | "dash" | "source" | "."
        ) {
            argv[1..].iter().find(|w| !w.text.starts_with('-'))
        } else if first.text.contains('/') {
            Some(first)
        } else {
            None
        };
        if let (Some(word), Some(dir)) = (candidate, cwd.as_deref()) {
            let path = word.text.as_str();
            if !(path.starts_with(['/', '$', '~', '-'])
                || path.contains("://")
                || path.contains("${")
                || path.contains('`')
                || path.contains(MASKED_SPACE)
                || path.split('/').any(|p| p == ".."))
            {
                out.push(join_dir(dir, path));
            }
        }
        change_dir(cmd, &mut cwd);
    }
    out
}

/// A folder path without variables, `~` or a leading `/`.
pub fn relative_dir(dir: &str) -> bool {
    !dir.starts_with(['/', '~', '$']) && !dir.contains('$') && !dir.contains(MASKED_SPACE)
}

/// `base` and `rel` joined and normalized (`a` + `../b` → `b`), `/`-separated.
pub fn join_dir(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Follow `cd dir` (relative, without variables) in `cwd`; any other `cd`, `pushd` or `popd`
/// makes the folder unknown (`None`).
pub fn change_dir(cmd: &Command, cwd: &mut Option<String>) {
    let argv = cmd.argv();
    match argv.first().map(|w| w.text.as_str()) {
        Some("cd" | "pushd") => {
            let target = argv.get(1).map(|w| w.text.as_str());
            *cwd = match (cwd.as_deref(), target) {
                (Some(c), Some(t)) if relative_dir(t) && t != "-" => Some(join_dir(c, t)),
                _ => None,
            };
        }
        Some("popd") => *cwd = None,
        _ => {}
    }
}

/// `npm publish`, `pnpm publish` (`pnpm -r publish`), `yarn npm publish` (also `--staged`), and
/// npm's staged publishing `npm stage publish` / `pnpm stage publish` (the version goes live
/// when a maintainer approves it, with the provenance it was staged with), without `--dry-run`.
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
        "npm" | "pnpm" => {
            positional.first() == Some(&"publish") || positional.starts_with(&["stage", "publish"])
        }
        "yarn" => positional.starts_with(&["npm", "publish"]),
        _ => false,
    };
    publishes && !rest.contains(&"--dry-run")
}

/// The action that uploads distributions to PyPI (trusted publishing, PEP 740 attestations).
pub const PYPI_PUBLISH_ACTION: &str = "pypa/gh-action-pypi-publish";

/// A command that uploads Python distributions to an index: `uv publish`, `twine upload`,
/// `poetry publish`, `hatch publish`, `flit publish`, `pdm publish` (also as `python -m twine`,
/// `uvx twine`, `pipx run twine`), without `--dry-run`.
pub fn is_pypi_publish(cmd: &Command) -> bool {
    let argv: Vec<&str> = cmd.argv().iter().map(|w| w.text.as_str()).collect();
    let mut i = 0;
    // Runners: `python -m x`, `uvx x`, `uv tool run x`, `uv run x`, `pipx run x`, `poetry run x`.
    loop {
        match argv.get(i).copied() {
            Some(t) if t.starts_with("python") && argv.get(i + 1) == Some(&"-m") => i += 2,
            Some("uvx") => i += 1,
            Some("uv" | "pipx" | "poetry" | "pdm" | "hatch") if argv.get(i + 1) == Some(&"run") => {
                i += 2
            }
            Some("uv") if argv.get(i + 1..i + 3) == Some(&["tool", "run"][..]) => i += 3,
            _ => break,
        }
        while argv.get(i).is_some_and(|w| w.starts_with('-')) {
            i += 1;
        }
    }
    let rest: Vec<&str> = argv
        .get(i + 1..)
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|w| !w.starts_with('-'))
        .collect();
    let publishes = match argv.get(i).copied() {
        Some("uv" | "poetry" | "hatch" | "flit" | "pdm") => rest.first() == Some(&"publish"),
        Some("twine") => rest.first() == Some(&"upload"),
        _ => false,
    };
    publishes && !argv.contains(&"--dry-run")
}

/// Whether a command publishes to npm: `npm|pnpm publish`, `yarn npm publish`, and the release
/// tools that run them (`changeset publish`, `semantic-release`, `release-it`, `lerna publish`,
/// `np`), also through `npx`, `bunx`, `npm exec`, `pnpm exec|dlx` and `yarn exec|dlx`; and the
/// package.json scripts it runs (`pnpm release`, `npm run release`, `yarn release`) whose commands
/// publish, up to `depth` levels down.
pub fn publishes(cmd: &Command, scripts: &BTreeMap<String, String>, depth: usize) -> bool {
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
fn script_publishes(name: &str, scripts: &BTreeMap<String, String>, depth: usize) -> bool {
    let Some(body) = scripts.get(name) else {
        return false;
    };
    depth > 0
        && shell::commands(body)
            .iter()
            .any(|c| publishes(c, scripts, depth - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Workflow {
        Workflow::new(yaml::parse(text).expect("valid"), FileKind::Workflow)
    }

    #[test]
    fn pypi_uploads_are_recognized_through_their_runners() {
        for (line, publishes) in [
            ("uv publish", true),
            ("uv publish --trusted-publishing always dist/*", true),
            ("python -m twine upload dist/*", true),
            ("python3 -m twine upload --repository testpypi dist/*", true),
            ("uvx twine upload dist/*", true),
            ("pipx run twine upload dist/*", true),
            ("poetry publish --build", true),
            ("hatch publish", true),
            ("uv publish --dry-run", false),
            ("twine check dist/*", false),
            ("uv build", false),
            ("npm publish", false),
        ] {
            let cmds = shell::commands(line);
            assert_eq!(is_pypi_publish(&cmds[0]), publishes, "{line}");
        }
    }

    #[test]
    fn steps_carry_their_vars_commands_and_job() {
        let wf = model(
            "on: push\nenv: {A: '1'}\njobs:\n  t:\n    strategy: {matrix: {node: [20, 22]}}\n    env: {B: '2', NODE: '${{ matrix.node }}'}\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm ci && npx x@${{ matrix.node }}\n        env: {A: '3'}\n  call:\n    uses: ./.github/workflows/r.yml\n",
        );
        let steps: Vec<_> = wf.steps().collect();
        assert_eq!(steps.len(), 2);
        let (job, first) = steps[0];
        assert_eq!(job.id, "t");
        assert_eq!(first.action, Some("actions/checkout"));
        let (_, second) = steps[1];
        assert_eq!(second.commands.len(), 2);
        assert_eq!(second.vars["A"], ["3"]);
        assert_eq!(second.vars["B"], ["2"]);
        assert_eq!(second.vars["matrix.node"], ["20", "22"]);
        assert_eq!(second.vars["NODE"], ["20", "22"]);
        // The expression stays one word.
        assert_eq!(second.commands[1].words.len(), 2);
        let call = wf.jobs().nth(1).expect("second job");
        assert_eq!(call.calls().as_deref(), Some("./.github/workflows/r.yml"));
        assert!(wf.triggered_by("push").is_some());
        let cmds = shell::commands("./a.sh && cd app && bash ./build.sh && cd .. && sh b/c.sh");
        assert_eq!(
            script_paths(&cmds, "tools"),
            ["tools/a.sh", "tools/app/build.sh", "tools/b/c.sh"]
        );
    }

    #[test]
    fn an_action_is_one_job_of_its_composite_steps() {
        let doc = yaml::parse(
            "runs:\n  using: composite\n  steps:\n    - run: npm i\n      shell: bash\n",
        )
        .expect("valid");
        let wf = Workflow::new(doc, FileKind::Action);
        let steps: Vec<_> = wf.steps().collect();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].1.commands[0].words[1].text, "i");
        assert!(steps[0].0.uses().is_none());
    }

    #[test]
    fn release_tools_publish_through_runners_and_scripts() {
        let scripts: BTreeMap<String, String> = [
            ("release", "pnpm build && changeset publish"),
            ("ship", "npm run release"),
            ("build", "tsc"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let publishes_line = |line: &str| {
            shell::commands(line)
                .iter()
                .any(|c| publishes(c, &scripts, 2))
        };
        for yes in [
            "npm publish --access public",
            "npm stage publish",
            "pnpm stage publish -r",
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
            "npm stage list",
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
