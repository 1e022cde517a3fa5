//! Install commands in CI: workflow `run:` steps, composite actions and Dockerfile `RUN` lines
//! must install exactly the lockfile (`npm ci`, `--frozen-lockfile`, `--immutable`) and, for
//! npm and yarn, without lifecycle scripts.

use std::ops::Range;
use std::path::{Path, PathBuf};

use chainward_core::dockerfile;
use chainward_core::workflow::{
    self, MASKED_SPACE, Vars, change_dir, join_dir, mask_expressions, relative_dir, shown,
};
use chainward_core::yaml::{self, Yaml};
use chainward_core::{
    Edit, FileKind, Finding, Fix, Fixability, Project, Rule, Severity, SourceFile,
};
use chainward_npm::bins::LocalCommands;
use chainward_npm::npmrc::npmrc;
use chainward_npm::{Spec, classify};

use chainward_core::shell::{self, Command, Word};

mod python;

pub(crate) static INSTALL_COMMAND: Rule = Rule {
    id: "npm-ci/install-command",
    code: "NCI011",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A CI or Docker install step does not install exactly what the lockfile says",
    doc: r#"In CI and in Docker builds the lockfile must be the only source of truth:

- `npm install` / `npm i` re-resolves ranges and may rewrite the lockfile: use `npm ci`
  (unsafe fix: `install` → `ci`); where the folder it installs (the nearest package.json up, or
  its workspace root) has no package-lock.json, the install is unlocked altogether: commit one
  (no fix: `npm ci` fails there). `npm install --package-lock-only` installs nothing and is not
  reported;
- `npm ci || npm install` silently falls back to ignoring the lockfile when it is out of sync;
- `yarn install` needs `--frozen-lockfile` (yarn 1) or `--immutable` (yarn 2+, which is
  immutable by default where `CI` is set, as in GitHub Actions; `enableScripts: false` in
  .yarnrc.yml turns its scripts off); `pnpm install`
  needs `--frozen-lockfile` outside CI (pnpm only defaults to it when `CI` is set, which a
  Docker build does not); `bun install` needs `--frozen-lockfile`;
- `npm install -g tool@^1`, `pnpm add tool`, `pnpm add -g tool` or `pnpm install -g tool`
  (which is `pnpm add -g`) or `npx tool@latest` install whatever version the registry serves
  that minute: pin the exact version;
- ad-hoc packages: `npx tool`, `bunx tool`, `npm exec tool` run the project's own copy when its
  installs provide the command, and otherwise download `tool` at whatever version is current.
  Reported when no package of the project provides it: an error when its lockfiles say so for
  certain (npm lockfiles record every package's commands), a warning when they cannot tell
  (pnpm, yarn and bun lockfiles record package names only; a command named like a locked
  package, like its scope-less name, like it without `-cli`, or a well-known one such as `tsc`
  of typescript, counts as provided). A global install in the same workflow (`npm i -g x@1.2.3`)
  provides its commands too. `pnpm dlx`, `pnpx`, `yarn dlx` and `deno run npm:` always download:
  they need an exact version. `pnpm exec`, `yarn exec` and `npx --no-install` never download;
- `curl … | sh`, `bash <(curl …)` and `curl -o x.sh … && sh x.sh` run a script nobody reviewed;
- a download that is unpacked or run (`curl … | tar x`, `wget -O tool URL && chmod +x tool`)
  with no checksum, signature or attestation check in the same step (`sha256sum -c`, `gpg
  --verify`, `cosign verify-blob`, `gh attestation verify`): an error from a
  `releases/latest/download/` URL (no version pinned at all), a warning otherwise.

Python installs are held to the same standard:

- `pip install PKG` / `uv pip install PKG` of a package without an exact `==` pin (unless a
  constraint file, `--require-hashes` or `PIP_CONSTRAINT` pins it); `pip`, `setuptools` and
  `wheel` upgrading themselves are a warning;
- `pip install -r FILE` of a requirements file in the project that is not hashed throughout
  (pip's `--require-hashes` mode): an error when the file has ranges, a warning when it pins
  every version but has no `--hash` (a replaced file would install unnoticed);
- `uv sync` without `--locked` or `--frozen` (or `UV_LOCKED`/`UV_FROZEN` in the job's env): uv
  re-locks when uv.lock is out of date and installs that. `uv sync --upgrade` and `--resolution`
  re-resolve on purpose (test legs against newer or lowest versions) and are not reported;
  `uv run` does the same sync first: a warning when nothing earlier in the job (or Docker
  stage) ran `uv sync`/`uv lock`, and not for `uv run --locked`/`--frozen`/`--no-sync`. A
  script with inline metadata (PEP 723) runs outside the project, in an environment uv makes
  from its `# /// script` block: a warning when that block's dependencies are not pinned (and
  there is no `x.py.lock` from `uv lock --script`, nor `[tool.uv] exclude-newer` in the block);
- `uv add PKG` in CI: an unpinned package written into the lock and installed;
- `uvx tool`, `uv tool run`/`install`, `pipx run`/`install` of a tool without a pinned version
  (`tool@1.2.3`, `tool==1.2.3`, `--from 'tool==1.2.3'`);
- a build in an isolated environment (`uv build`, `python -m build`, `pip wheel`) of a project
  whose `[build-system] requires` is not pinned (`hatchling` rather than `hatchling==1.27.0`):
  the build backend that writes what you ship is whatever the index serves that minute. A
  warning; not reported with `--no-build-isolation`/`--no-isolation`, a build constraint
  (`--build-constraint`, `UV_BUILD_CONSTRAINT`, `PIP_CONSTRAINT`) or, for `uv build`,
  `tool.uv.build-constraint-dependencies`.

A package named by a variable or a GitHub expression (`npm i -g ${{ matrix.tool }}`,
`pnpm@${PNPM_VERSION}` in a Dockerfile) is judged by every value the file shows for it: the
workflow's, job's and step's `env:`, the job's `strategy.matrix`, a Dockerfile's `ARG` default or
`ENV`. One whose value the file does not show (`${{ inputs.tool }}`) is reported once per command,
at `info`, as what it is: something chainward cannot tell.

Checked in `.github/workflows/*.yml` (`run:`, and the inputs well-known actions run as shell
commands: `changesets/action` `publish`/`version`, `pguyot/arm-runner-action` `commands`,
`uraimo/run-on-arch-action` `run`, `nick-fields/retry` `command`, `cypress-io/github-action`
`install-command`/`build`/`start`, …), composite `action.yml`, Dockerfiles (`RUN`,
with `\` continuations, `&&`/`||`/`;` chains and `RUN <<EOF` heredocs), and the shell scripts
those workflow steps run (`run: ./script/build-ui`, `bash scripts/ci.sh`, `cd app && ./build.sh`,
`source x.sh`, from the step's `working-directory`; two levels deep): each script is checked
once, however many steps run it. Only the root's `.github/workflows` are workflows: GitHub runs
no other (scan a nested project's folder to check its own).
"#,
};

pub(crate) static SCRIPTS_ENABLED: Rule = Rule {
    id: "npm-ci/scripts-enabled",
    code: "NCI012",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "An npm or yarn install in CI or Docker runs dependencies' lifecycle scripts",
    doc: r#"`preinstall`/`install`/`postinstall` scripts of every dependency run during `npm ci`, with
the CI job's tokens in reach: the way the Shai-Hulud worm spread. Install with
`--ignore-scripts` (unsafe fix: the flag is added) and run the few builds you need explicitly
(`npm rebuild <pkg>`), or set `ignore-scripts=true` in the project's `.npmrc` (then this rule is
silent). npm reads the `.npmrc` of the project it installs: the nearest folder up from where the
install runs (the step's `working-directory`, a `cd dir` before it, `--prefix dir`) that has a
package.json, or the workspace root that folder is a member of; never another project's. An
`npm_config_ignore_scripts: true` in the step's environment turns scripts off too. pnpm 10 and bun do not run dependency scripts unless allow-listed, so they are not
reported here; pnpm 9 and earlier run them all (unless `onlyBuiltDependencies` or
`neverBuiltDependencies` is set), so `pnpm install` is reported when the job's
`pnpm/action-setup` `version:` or the root's `packageManager` names pnpm before 10. yarn 2+
honours `enableScripts: false` in `.yarnrc.yml`.
"#,
};

/// A script and how its offsets map back to the file.
struct Script<'a> {
    /// The script, GitHub expressions masked (see [`workflow::MASKED_SPACE`]).
    text: std::borrow::Cow<'a, str>,
    /// Its simple commands (a workflow step's come with the cached workflow model).
    commands: std::borrow::Cow<'a, [Command]>,
    /// Where the script's text sits in the file, byte for byte (Dockerfiles, and workflow
    /// commands found verbatim); `None` when it does not (then findings point at `fallback`).
    region: Range<usize>,
    source: &'a str,
    fallback: Range<usize>,
    exact: bool,
    /// Runs with `CI` set (GitHub Actions), where pnpm defaults to a frozen lockfile.
    in_ci: bool,
    /// What the variables it may use hold, where the file says (see [`Vars`]).
    vars: Vars,
    /// The pnpm major version the job sets up (`pnpm/action-setup`'s `version:`), if it says.
    pnpm_major: Option<u64>,
    /// The folder it starts in, relative to the project root (a step's `working-directory`).
    dir: String,
    /// An earlier step of the job (or `RUN` of the Docker stage) ran `uv sync` or `uv lock`:
    /// a later `uv run` finds the environment synced (and was judged there).
    uv_synced: bool,
}

/// What install commands are judged against, computed once per run: the project's install
/// configuration, and (when a command needs it) the commands its installs provide.
pub(crate) struct Context<'p> {
    project: &'p Project,
    setup: Setup,
    local: std::sync::OnceLock<LocalCommands>,
}

impl<'p> Context<'p> {
    /// Whether npm runs dependencies' scripts for an install started in `dir` (relative to the
    /// root; `None` when a `cd` made it unknown, then the root's): `ignore-scripts=true` in the
    /// `.npmrc` of npm's project folder, the nearest folder up with a package.json (or the
    /// workspace root it belongs to); npm reads no other project's .npmrc.
    fn npm_scripts_off(&self, dir: Option<&str>) -> bool {
        let Some(dir) = dir.filter(|d| !d.is_empty()) else {
            return self.setup.npm_scripts_off;
        };
        let project = self.project;
        let prefix = self.npm_prefix(dir);
        project
            .file_at(&project.root.join(&prefix).join(".npmrc"))
            .and_then(|f| npmrc(&f).and_then(|rc| rc.flag("ignore-scripts")))
            .unwrap_or(false)
    }

    /// Whether the project npm installs from `dir` (see [`Self::npm_prefix`]) has no lockfile
    /// of npm's: a package.json there, and neither package-lock.json nor npm-shrinkwrap.json.
    fn npm_unlocked(&self, dir: &str) -> bool {
        let project = self.project;
        let prefix = self.npm_prefix(dir);
        let base = project.root.join(&prefix);
        project.file_at(&base.join("package.json")).is_some()
            && ["package-lock.json", "npm-shrinkwrap.json"]
                .iter()
                .all(|l| project.file_at(&base.join(l)).is_none())
    }

    /// The folder npm installs from `dir`: the nearest one up with a package.json, or the
    /// workspace root that folder is a member of (`dir` itself when none has one).
    fn npm_prefix(&self, dir: &str) -> String {
        let project = self.project;
        let mut prefix: Option<String> = None;
        let mut folder = Some(dir.to_string());
        while let Some(f) = folder {
            let base = project.root.join(&f);
            if prefix.is_none() && project.file_at(&base.join("package.json")).is_some() {
                prefix = Some(f.clone());
            }
            // A workspace member installs from its workspace root.
            if let Some(member) = &prefix
                && f != *member
                && project.file_at(&base.join("package.json")).is_some()
            {
                let rel = member
                    .strip_prefix(&format!("{f}/"))
                    .unwrap_or(member)
                    .to_string();
                let rel = if f.is_empty() { member.clone() } else { rel };
                if chainward_npm::workspaces::Workspaces::of_root(project, &base, "npm")
                    .contains(&rel)
                {
                    prefix = Some(f.clone());
                    break;
                }
            }
            folder = match f.rsplit_once('/') {
                Some((up, _)) => Some(up.to_string()),
                None if f.is_empty() => None,
                None => Some(String::new()),
            };
        }
        prefix.unwrap_or_else(|| dir.to_string())
    }

    pub(crate) fn new(project: &'p Project) -> Self {
        Context {
            project,
            setup: Setup::of(project),
            local: std::sync::OnceLock::new(),
        }
    }

    fn local(&self) -> &LocalCommands {
        self.local.get_or_init(|| LocalCommands::of(self.project))
    }
}

/// What a command is judged with: the run's [`Context`], and the packages the file installs
/// globally (`npm i -g x`), whose commands later steps run without a download.
struct Judge<'a> {
    ctx: &'a Context<'a>,
    globals: LocalCommands,
    /// `uv sync`/`uv lock` ran before this command in its job, stage or script.
    uv_synced: std::cell::Cell<bool>,
}

impl Judge<'_> {
    /// Whether `command` runs without a download (see [`LocalCommands::provides`]): npx runs a
    /// global install's command too.
    fn provides(&self, command: &str) -> Option<bool> {
        if self.globals.provides(command) == Some(true) {
            return Some(true);
        }
        self.ctx.local().provides(command)
    }
}

/// The package names (without version) a script's commands install globally.
fn global_installs(cmds: &[Command], out: &mut Vec<String>) {
    for cmd in cmds {
        let argv = cmd.argv();
        let words: Vec<&str> = argv.iter().map(|w| w.text.as_str()).collect();
        let global = match words.as_slice() {
            ["yarn", "global", "add", ..] => true,
            ["npm" | "pnpm" | "bun", "install" | "i" | "add", ..] => has(argv, &["-g", "--global"]),
            _ => false,
        };
        if !global {
            continue;
        }
        for w in words.iter().skip(2).filter(|w| !w.starts_with('-')) {
            let name = chainward_npm::lockfile::split_name(w).map_or(*w, |(n, _)| n);
            if *w != "add" {
                out.push(name.to_string());
            }
        }
    }
}

/// What the project's own configuration says about installs, for judging install commands.
struct Setup {
    /// `.npmrc` `ignore-scripts=true` (npm and yarn 1 read it).
    npm_scripts_off: bool,
    /// yarn 2+ (`packageManager: yarn@2…`, a `.yarnrc.yml`, or a berry yarn.lock at the root).
    yarn_berry: bool,
    /// `.yarnrc.yml` `enableScripts: false`.
    yarn_scripts_off: bool,
    /// The pnpm major version `packageManager` names.
    pnpm_major: Option<u64>,
    /// pnpm's allowlist (`onlyBuiltDependencies`) or denylist (`neverBuiltDependencies`) is
    /// set, in package.json's `pnpm` field or pnpm-workspace.yaml: then pnpm 9 runs only the
    /// builds it allows.
    pnpm_builds_listed: bool,
}

impl Setup {
    fn of(project: &Project) -> Setup {
        let npm_scripts_off = project
            .file_at(&project.root.join(".npmrc"))
            .and_then(|f| npmrc(&f).and_then(|rc| rc.flag("ignore-scripts")))
            .unwrap_or(false);
        let yarnrc = project.file_at(&project.root.join(".yarnrc.yml"));
        let root_pj = project.file_at(&project.root.join("package.json"));
        let root_pj = root_pj.as_deref().and_then(chainward_npm::package_json);
        let declared = root_pj.and_then(|pj| pj.manager_major("yarn"));
        let pnpm_major = root_pj.and_then(|pj| pj.manager_major("pnpm"));
        const LISTS: [&str; 2] = ["onlyBuiltDependencies", "neverBuiltDependencies"];
        let pnpm_builds_listed = root_pj.is_some_and(|pj| {
            LISTS
                .iter()
                .any(|k| pj.json.pointer(&["pnpm", k]).is_some())
        }) || project
            .file_at(&project.root.join("pnpm-workspace.yaml"))
            .as_deref()
            .and_then(yaml::parsed)
            .is_some_and(|doc| LISTS.iter().any(|k| doc.get(k).is_some()));
        let berry_lock = project
            .file_at(&project.root.join("yarn.lock"))
            .and_then(|f| f.text().ok().map(|t| t.contains("__metadata:")))
            .unwrap_or(false);
        let yarn_berry = match declared {
            Some(major) => major >= 2,
            None => yarnrc.is_some() || berry_lock,
        };
        let yarn_scripts_off = yarnrc
            .as_ref()
            .and_then(|f| yaml::parsed(f))
            .and_then(|doc| {
                doc.get("enableScripts")
                    .and_then(Yaml::as_str)
                    .map(|v| v == "false")
            })
            .unwrap_or(false);
        Setup {
            npm_scripts_off,
            yarn_berry,
            yarn_scripts_off,
            pnpm_major,
            pnpm_builds_listed,
        }
    }
}

/// What a word expands to: every value it can take (at most 64), or the first reference whose
/// value the file does not show.
enum Expanded {
    Values(Vec<String>),
    Unknown(String),
}

/// A piece of a word: literal text, or a reference (as written, the variable's key, its
/// `:-default`).
enum Part {
    Text(String),
    Ref(String, String, Option<String>),
}

fn expand(word: &str, vars: &Vars) -> Expanded {
    // Split into literal text and references.
    let mut parts: Vec<Part> = Vec::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        parts.push(Part::Text(rest[..at].to_string()));
        let tail = &rest[at..];
        let (reference, key, default, len) = if let Some(body) = tail.strip_prefix("${{") {
            let end = body.find("}}").unwrap_or(body.len());
            let expr = body[..end].replace(MASKED_SPACE, " ");
            let len = 3 + end + if end < body.len() { 2 } else { 0 };
            (shown(&tail[..len]), expr.trim().to_string(), None, len)
        } else if let Some(body) = tail.strip_prefix("${") {
            let end = body.find('}').unwrap_or(body.len());
            let inner = &body[..end];
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let op = &inner[name_len..];
            let default = op
                .strip_prefix(":-")
                .or_else(|| op.strip_prefix('-'))
                .map(str::to_string);
            let len = 2 + end + usize::from(end < body.len());
            (
                tail[..len].to_string(),
                inner[..name_len].to_string(),
                default,
                len,
            )
        } else {
            let name_len = tail[1..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len() - 1);
            if name_len == 0 {
                parts.push(Part::Text("$".to_string()));
                rest = &tail[1..];
                continue;
            }
            (
                tail[..1 + name_len].to_string(),
                tail[1..1 + name_len].to_string(),
                None,
                1 + name_len,
            )
        };
        parts.push(Part::Ref(reference, key, default));
        rest = &tail[len..];
    }
    parts.push(Part::Text(rest.to_string()));
    let mut values = vec![String::new()];
    for part in parts {
        match part {
            Part::Text(text) => values.iter_mut().for_each(|v| v.push_str(&text)),
            Part::Ref(reference, key, default) => {
                let options: Vec<String> = match (vars.get(&key), default) {
                    (Some(v), _) if !v.is_empty() => v.clone(),
                    (_, Some(d)) => vec![d],
                    _ => return Expanded::Unknown(reference),
                };
                if values.len() * options.len() > 64 {
                    return Expanded::Unknown(reference);
                }
                values = values
                    .iter()
                    .flat_map(|v| options.iter().map(move |o| format!("{v}{o}")))
                    .collect();
            }
        }
    }
    Expanded::Values(values)
}

/// A Dockerfile `ARG A=1 B` / `ENV A=1 B=2` / `ENV A 1`: the values it sets (an `ARG` without
/// one takes the global default of that name, else is unknown).
fn docker_vars(ins: &dockerfile::Instruction, global: &Vars, vars: &mut Vars) {
    let unquote = |v: &str| v.trim_matches(|c| c == '"' || c == '\'').to_string();
    let args: Vec<&str> = ins.args.iter().map(|a| a.text.as_str()).collect();
    if ins.keyword == "ENV" && args.len() >= 2 && !args[0].contains('=') {
        vars.insert(args[0].to_string(), vec![unquote(&args[1..].join(" "))]);
        return;
    }
    for arg in args {
        match arg.split_once('=') {
            Some((name, value)) if !value.contains('$') => {
                vars.insert(name.to_string(), vec![unquote(value)]);
            }
            Some((name, _)) => {
                vars.remove(name);
            }
            None => match global.get(arg) {
                Some(v) => {
                    vars.insert(arg.to_string(), v.clone());
                }
                None => {
                    vars.remove(arg);
                }
            },
        }
    }
}

/// A `working-directory:` as a folder relative to the root (`./app/` → `app`).
fn clean_dir(dir: &str) -> String {
    if !relative_dir(dir) {
        return String::new();
    }
    join_dir("", dir)
}

/// The major version of a version or range as a setup action takes it (`9`, `9.15.0`, `v8`).
fn major_of(version: &str) -> Option<u64> {
    let v = version.trim().trim_start_matches(['v', '^', '~', '=']);
    let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The simple commands of a Dockerfile's script, GitHub-expression spaces masked.
fn commands_of(body: &str) -> Vec<Command> {
    shell::commands(&mask_expressions(body))
}

impl Script<'_> {
    /// File span of a word of `cmd`, if it can be located exactly.
    fn locate(&self, cmd: &Command, word: &Word) -> Option<Range<usize>> {
        if self.exact {
            return Some(self.region.start + word.span.start..self.region.start + word.span.end);
        }
        // Find the command's text verbatim in the scalar's source (block scalars keep each
        // line as written, minus indentation).
        let first = cmd.words.first()?;
        let text_of = |c: &Command| {
            let (a, b) = (c.words.first()?, c.words.last()?);
            self.text.get(a.span.start..b.span.end)
        };
        let written = text_of(cmd)?;
        let needle = shown(written);
        let hay = self.source.get(self.region.clone())?;
        // The same command written twice in one script: the n-th one is the n-th occurrence.
        let nth = self
            .commands
            .iter()
            .take_while(|c| {
                c.words
                    .first()
                    .is_some_and(|w| w.span.start < first.span.start)
            })
            .filter(|c| text_of(c) == Some(written))
            .count();
        let (at, _) = hay.match_indices(needle.as_str()).nth(nth)?;
        let start = self.region.start + at + (word.span.start - first.span.start);
        Some(start..start + (word.span.end - word.span.start))
    }
}

pub(crate) fn check(ctx: &Context<'_>, file: &SourceFile, out: &mut Vec<Finding>) {
    let Ok(text) = file.text() else { return };
    let mut scripts = Vec::new();
    match file.kind {
        FileKind::Workflow | FileKind::Action => {
            let Some(wf) = workflow::parsed(file) else {
                return;
            };
            let mut synced_jobs: Vec<String> = Vec::new();
            for (job, step) in wf.steps() {
                let uv_synced = synced_jobs.iter().any(|j| j == job.id);
                if step.all_commands().any(python::syncs) {
                    synced_jobs.push(job.id.to_string());
                }
                let pnpm_major = job
                    .steps()
                    .find(|s| s.action == Some("pnpm/action-setup"))
                    .and_then(|s| s.with_str("version"))
                    .and_then(major_of);
                let dir = job
                    .working_directory(&step)
                    .map(clean_dir)
                    .unwrap_or_default();
                // The `run:`, and the inputs its action runs as shell commands.
                let run = step.run.map(|r| (r, step.script, step.commands));
                let inputs = step.shell_inputs().map(|i| (i.node, i.script, i.commands));
                for (node, script, commands) in run.into_iter().chain(inputs) {
                    scripts.push(Script {
                        text: script.into(),
                        commands: commands.into(),
                        region: node.span.clone(),
                        source: text,
                        fallback: node.span.clone(),
                        exact: text.get(node.span.clone()) == node.as_str(),
                        in_ci: true,
                        vars: step.vars.clone(),
                        pnpm_major,
                        dir: dir.clone(),
                        uv_synced,
                    });
                }
            }
        }
        FileKind::Dockerfile => {
            let Some(df) = dockerfile::parsed(file) else {
                return;
            };
            // `ARG`/`ENV` values seen so far in this stage (ARGs before the first FROM are
            // global defaults, which an `ARG NAME` in a stage takes up).
            let mut global: Vars = Vars::new();
            let mut vars: Vars = Vars::new();
            let mut staged = false;
            let mut uv_synced = false;
            for ins in &df.instructions {
                match ins.keyword.as_str() {
                    "FROM" => {
                        staged = true;
                        uv_synced = false;
                        vars.clear();
                        continue;
                    }
                    "ARG" | "ENV" => {
                        if staged {
                            docker_vars(ins, &global, &mut vars);
                        } else {
                            let before = global.clone();
                            docker_vars(ins, &before, &mut global);
                        }
                        continue;
                    }
                    "RUN" => {}
                    _ => continue,
                }
                let Some(first) = ins.args.iter().find(|a| !a.text.starts_with("--")) else {
                    continue;
                };
                if first.text.starts_with("<<") {
                    // `RUN <<EOF`: the body is the shell script (unless a shebang names
                    // another interpreter).
                    for doc in &ins.heredocs {
                        let Some(body) = text.get(doc.body.clone()) else {
                            continue;
                        };
                        let shebang = body.lines().next().filter(|l| l.starts_with("#!"));
                        if shebang.is_some_and(|l| !(l.ends_with("sh") || l.ends_with("bash"))) {
                            continue;
                        }
                        let commands = commands_of(body);
                        let synced_here = commands.iter().any(python::syncs);
                        scripts.push(Script {
                            commands: commands.into(),
                            text: mask_expressions(body),
                            region: doc.body.clone(),
                            source: text,
                            fallback: doc.body.clone(),
                            exact: true,
                            in_ci: false,
                            vars: vars.clone(),
                            pnpm_major: None,
                            dir: String::new(),
                            uv_synced,
                        });
                        uv_synced |= synced_here;
                    }
                    continue;
                }
                if first.text.starts_with('[') {
                    continue; // exec form: not a shell command line
                }
                // The command line only: heredoc bodies fed to a command are its input.
                let line_end = ins.args.last().map_or(ins.span.end, |a| a.span.end);
                let region = first.span.start..line_end;
                let Some(body) = text.get(region.clone()) else {
                    continue;
                };
                let commands = commands_of(body);
                let synced_here = commands.iter().any(python::syncs);
                scripts.push(Script {
                    commands: commands.into(),
                    text: mask_expressions(body),
                    region: region.clone(),
                    source: text,
                    fallback: region,
                    exact: true,
                    in_ci: false,
                    vars: vars.clone(),
                    pnpm_major: None,
                    dir: String::new(),
                    uv_synced,
                });
                uv_synced |= synced_here;
            }
        }
        _ => return,
    }
    let mut globals = Vec::new();
    for script in &scripts {
        global_installs(&script.commands, &mut globals);
    }
    let judge = Judge {
        ctx,
        globals: LocalCommands::named(globals),
        uv_synced: std::cell::Cell::new(false),
    };
    for script in &scripts {
        let cmds = &script.commands;
        let mut cwd = Some(script.dir.clone());
        let mut synced = script.uv_synced;
        for (i, cmd) in cmds.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| &cmds[p]);
            judge.uv_synced.set(synced);
            check_command(file, script, cmd, prev, cwd.as_deref(), &judge, out);
            synced = synced || python::syncs(cmd);
            change_dir(cmd, &mut cwd);
        }
        check_downloads(file, script, out);
    }
}

/// The shell scripts (files in the project) that workflow and composite-action steps run,
/// relative to the project root, where a workflow's steps start.
pub(crate) fn invoked_scripts(project: &Project, file: &SourceFile) -> Vec<PathBuf> {
    let Some(wf) = workflow::parsed(file) else {
        return Vec::new();
    };
    wf.steps()
        .flat_map(|(job, step)| {
            let start = job
                .working_directory(&step)
                .map(clean_dir)
                .unwrap_or_default();
            workflow::script_paths(step.commands, &start)
        })
        .map(|p| project.root.join(p))
        .filter(|p| project.is_file(p))
        .collect()
}

/// Check a shell script that CI runs, and the scripts it runs in turn (up to `depth` levels).
pub(crate) fn check_script(
    ctx: &Context<'_>,
    path: &Path,
    depth: usize,
    seen: &mut Vec<PathBuf>,
    out: &mut Vec<Finding>,
) {
    let project = ctx.project;
    if seen.iter().any(|p| p == path) {
        return;
    }
    seen.push(path.to_path_buf());
    let Some(file) = project.file_as(path, FileKind::ShellScript) else {
        return;
    };
    let Ok(text) = file.text() else { return };
    if text.starts_with("#!") && !text.lines().next().is_some_and(|l| l.ends_with("sh")) {
        return; // a node or python script
    }
    let script = Script {
        text: text.into(),
        commands: shell::commands(text).into(),
        region: 0..text.len(),
        source: text,
        fallback: 0..0,
        exact: true,
        in_ci: true,
        vars: Vars::new(),
        pnpm_major: None,
        dir: String::new(),
        // A script run by a step: what the job ran before it is not known here.
        uv_synced: true,
    };
    let cmds = &script.commands;
    let mut globals = Vec::new();
    global_installs(cmds, &mut globals);
    let judge = Judge {
        ctx,
        globals: LocalCommands::named(globals),
        uv_synced: std::cell::Cell::new(false),
    };
    let mut cwd = Some(String::new());
    judge.uv_synced.set(true);
    for (i, cmd) in cmds.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &cmds[p]);
        check_command(&file, &script, cmd, prev, cwd.as_deref(), &judge, out);
        change_dir(cmd, &mut cwd);
    }
    check_downloads(&file, &script, out);
    if depth > 0 {
        let dir = path.parent().unwrap_or(Path::new("."));
        for next in workflow::script_paths(cmds, "") {
            // A script's relative paths are relative to where CI runs it (the root), or to
            // the script itself.
            let candidates = [project.root.join(&next), dir.join(&next)];
            if let Some(found) = candidates.iter().find(|p| project.is_file(p)) {
                check_script(ctx, found, depth - 1, seen, out);
            }
        }
    }
}

fn has(argv: &[Word], flags: &[&str]) -> bool {
    argv.iter().any(|w| {
        flags
            .iter()
            .any(|f| w.text == *f || w.text.starts_with(&format!("{f}=")))
    })
}

/// The first word after `tool` that is not an option (skipping the values of options that
/// take one).
fn subcommand(argv: &[Word]) -> Option<(usize, &Word)> {
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        if w.text.starts_with('-') {
            if takes_value(&w.text) {
                i += 1;
            }
            i += 1;
            continue;
        }
        return Some((i, w));
    }
    None
}

/// Options of npm, pnpm, yarn and bun that take the next word as their value (`--loglevel
/// verbose`), so that word is not a package or a subcommand.
fn takes_value(option: &str) -> bool {
    matches!(
        option,
        "--prefix"
            | "-C"
            | "--cwd"
            | "--dir"
            | "--filter"
            | "-F"
            | "-w"
            | "--workspace"
            | "--loglevel"
            | "--registry"
            | "--tag"
            | "--cache"
            | "--userconfig"
            | "--globalconfig"
            | "--omit"
            | "--include"
            | "--install-strategy"
            | "--before"
            | "--cpu"
            | "--os"
            | "--libc"
            | "--access"
            | "--otp"
            | "--save-prefix"
            | "--fetch-retries"
            | "--network-concurrency"
            | "--mode"
            | "--reporter"
    ) || (option.starts_with("--config.") && !option.contains('='))
}

/// The operands after a subcommand: words that are neither options nor an option's value.
fn operands(rest: &[Word]) -> Vec<&Word> {
    let mut out = Vec::new();
    let mut skip = false;
    for w in rest {
        if skip {
            skip = false;
        } else if w.text.starts_with('-') {
            skip = takes_value(&w.text);
        } else {
            out.push(w);
        }
    }
    out
}

fn check_command(
    file: &SourceFile,
    script: &Script<'_>,
    cmd: &Command,
    prev: Option<&Command>,
    cwd: Option<&str>,
    judge: &Judge<'_>,
    out: &mut Vec<Finding>,
) {
    let setup = &judge.ctx.setup;
    // `npm --prefix dir …` installs in `dir`.
    let prefixed = cmd
        .argv()
        .windows(2)
        .find(|w| w[0].text == "--prefix" || w[0].text == "-C")
        .map(|w| w[1].text.as_str());
    let install_dir = match (cwd, prefixed) {
        (Some(cwd), Some(p)) if relative_dir(p) => Some(join_dir(cwd, p)),
        (_, Some(_)) => None,
        (cwd, None) => cwd.map(str::to_string),
    };
    let env_off = ["npm_config_ignore_scripts", "NPM_CONFIG_IGNORE_SCRIPTS"]
        .iter()
        .any(|k| {
            script
                .vars
                .get(*k)
                .is_some_and(|v| v.iter().all(|v| v == "true" || v == "1"))
        });
    let scripts_off = env_off || judge.ctx.npm_scripts_off(install_dir.as_deref());
    let argv = cmd.argv();
    let Some(tool) = argv.first() else { return };
    let span_of = |w: &Word| script.locate(cmd, w);
    let at = |w: &Word| span_of(w).unwrap_or_else(|| script.fallback.clone());
    let whole = |cmd: &Command| match (cmd.argv().first(), cmd.argv().last()) {
        (Some(a), Some(b)) => match (script.locate(cmd, a), script.locate(cmd, b)) {
            (Some(x), Some(y)) => x.start..y.end,
            _ => script.fallback.clone(),
        },
        _ => script.fallback.clone(),
    };
    match tool.text.as_str() {
        "npm" => {
            let Some((i, sub)) = subcommand(argv) else {
                return;
            };
            let rest = &argv[i + 1..];
            let packages: Vec<&Word> = operands(rest);
            match sub.text.as_str() {
                "install" | "i" | "in" | "ins" | "inst" | "insta" | "instal" | "isnt"
                | "isntal" | "isntall" | "add" => {
                    let global = has(rest, &["-g", "--global"]);
                    // `--package-lock-only` writes the lockfile and installs nothing (a release
                    // job's `npm version` then `npm install --package-lock-only`).
                    if packages.is_empty() && has(rest, &["--package-lock-only"]) {
                        return;
                    }
                    // Where the folder is known: a workflow's (a Docker build's context is not
                    // this repository's layout for certain, and a `cd "$VAR"` is not followed).
                    let unlocked = install_dir
                        .as_deref()
                        .filter(|_| script.in_ci)
                        .filter(|dir| judge.ctx.npm_unlocked(dir));
                    if let Some(dir) = unlocked.filter(|_| packages.is_empty()) {
                        let folder = if dir.is_empty() { "." } else { dir };
                        out.push(
                            Finding::new(&INSTALL_COMMAND, file, whole(cmd), format!(
                                "`npm {}` installs without a lockfile ({folder} has no package-lock.json): each run gets whatever versions the registry serves",
                                sub.text
                            ))
                            .with_help(format!("commit a lockfile for {folder} (`npm install --package-lock-only --ignore-scripts`) and install with `npm ci`")),
                        );
                        if !scripts_off && !has(rest, &["--ignore-scripts"]) {
                            out.push(scripts_finding(file, script, cmd, sub, "npm install"));
                        }
                    } else if packages.is_empty() {
                        let bypass = cmd.after == "||"
                            && prev.is_some_and(|p| {
                                p.argv()
                                    .iter()
                                    .any(|w| w.text == "ci" || w.text == "clean-install")
                            });
                        let message = if bypass {
                            "`npm ci || npm install` falls back to ignoring the lockfile whenever `npm ci` fails: the lockfile is no longer enforced".to_string()
                        } else {
                            format!(
                                "`npm {}` re-resolves ranges and may rewrite the lockfile; CI and Docker builds should run `npm ci`",
                                sub.text
                            )
                        };
                        let fix = (!bypass).then(|| span_of(sub)).flatten().map(|s| {
                            Fix::unsafe_(
                                "replace `npm install` with `npm ci`",
                                vec![Edit::replace(&file.path, s, "ci")],
                            )
                        });
                        out.push(
                            Finding::new(&INSTALL_COMMAND, file, whole(cmd), message)
                                .with_fix_opt(fix),
                        );
                        if !scripts_off && !has(rest, &["--ignore-scripts"]) {
                            out.push(scripts_finding(file, script, cmd, sub, "npm install"));
                        }
                    } else {
                        let what = if global { "installs the tool" } else { "adds" };
                        let shown_cmd = format!("npm {}", sub.text);
                        judge_packages(file, script, &shown_cmd, what, &packages, &at, out);
                    }
                }
                "ci" | "clean-install" | "ic" | "install-clean" | "isntall-clean"
                    if !scripts_off && !has(rest, &["--ignore-scripts"]) =>
                {
                    out.push(scripts_finding(file, script, cmd, sub, "npm ci"));
                }
                "exec" | "x" => npx(file, script, "npm exec", &argv[i..], judge, &at, out),
                _ => {}
            }
        }
        "npx" | "bunx" => npx(file, script, &tool.text, argv, judge, &at, out),
        "pnpx" => dlx(file, script, "pnpx", argv, &at, out),
        "deno" if matches!(argv.get(1).map(|w| w.text.as_str()), Some("install" | "i")) => {
            if has(argv, &["--no-lock"]) {
                out.push(Finding::new(
                    &INSTALL_COMMAND,
                    file,
                    whole(cmd),
                    "`deno install --no-lock` ignores deno.lock: whatever the registry serves is installed",
                ).with_help("drop `--no-lock` and pass `--frozen`, so that an out-of-date deno.lock fails the install"));
            }
            // `--allow-scripts` alone allows every package's; `--allow-scripts=npm:x` only those.
            if let Some(flag) = argv.iter().find(|w| w.text == "--allow-scripts") {
                out.push(
                    Finding::new(
                        &SCRIPTS_ENABLED,
                        file,
                        at(flag),
                        "`deno install --allow-scripts` runs every dependency's lifecycle scripts",
                    )
                    .with_help(
                        "allow only the packages that need a build: `--allow-scripts=npm:pkg`",
                    ),
                );
            }
        }
        "deno" => {
            // `deno run npm:pkg`, `deno x npm:pkg`: fetched from the registry, never locked here.
            let runs = matches!(argv.get(1).map(|w| w.text.as_str()), Some("run" | "x"));
            let package = argv[1..].iter().find(|w| w.text.starts_with("npm:"));
            if let (true, Some(word)) = (runs, package) {
                let spec = &word.text["npm:".len()..];
                if !exact_package(spec) {
                    out.push(Finding::new(
                        &INSTALL_COMMAND,
                        file,
                        at(word),
                        format!("`deno` runs `{}` at whatever version the registry serves today; pin an exact version (`npm:name@1.2.3`)", shown(&word.text)),
                    ));
                }
            }
        }
        "pnpm" | "yarn" if subcommand(argv).is_some_and(|(_, w)| w.text == "dlx") => {
            let (i, _) = subcommand(argv).unwrap_or((0, tool));
            let shown_tool = format!("{} dlx", tool.text);
            dlx(file, script, &shown_tool, &argv[i..], &at, out);
        }
        "yarn" => {
            let sub = subcommand(argv).map(|(_, w)| w.text.as_str());
            // `yarn -v`, `yarn --version`, `yarn --help`: no install.
            let informational = has(argv, &["-v", "--version", "-h", "--help"]);
            if matches!(sub, None | Some("install")) && !informational {
                // yarn 2+ installs immutably by default where `CI` is set (GitHub Actions).
                // `YARN_ENABLE_IMMUTABLE_INSTALLS=false` in the step's env turns that off.
                let env_off = ["YARN_ENABLE_IMMUTABLE_INSTALLS"].iter().any(|k| {
                    script
                        .vars
                        .get(*k)
                        .is_some_and(|v| v.iter().any(|v| matches!(v.as_str(), "false" | "0")))
                }) || cmd.words.iter().any(|w| {
                    matches!(
                        w.text.as_str(),
                        "YARN_ENABLE_IMMUTABLE_INSTALLS=false" | "YARN_ENABLE_IMMUTABLE_INSTALLS=0"
                    )
                });
                let immutable_by_default =
                    setup.yarn_berry && script.in_ci && !env_off && !has(argv, &["--no-immutable"]);
                if !has(argv, &["--frozen-lockfile", "--immutable"]) && !immutable_by_default {
                    out.push(Finding::new(
                        &INSTALL_COMMAND,
                        file,
                        whole(cmd),
                        "`yarn install` without `--frozen-lockfile` (yarn 1) or `--immutable` (yarn 2+) may update the lockfile instead of failing",
                    ));
                }
                let yarn_scripts_off = if setup.yarn_berry {
                    setup.yarn_scripts_off
                } else {
                    scripts_off
                };
                if !yarn_scripts_off && !has(argv, &["--ignore-scripts", "--mode"]) {
                    out.push(
                        Finding::new(
                            &SCRIPTS_ENABLED,
                            file,
                            whole(cmd),
                            "`yarn install` runs dependencies' lifecycle scripts",
                        )
                        .with_help(
                            "add `--ignore-scripts` (yarn 1) or `--mode=skip-build` (yarn 2+)",
                        ),
                    );
                }
            }
        }
        "bun" if subcommand(argv).is_some_and(|(_, w)| w.text == "x") => {
            let (i, _) = subcommand(argv).unwrap_or((0, tool));
            npx(file, script, "bun x", &argv[i..], judge, &at, out);
        }
        "pnpm" => {
            let sub_at = subcommand(argv);
            let sub = sub_at.map(|(_, w)| w.text.as_str());
            // `pnpm add <pkg>`, and `pnpm install -g <pkg>` (which is `pnpm add -g`): a package
            // (with `-g`, a tool) at whatever version the registry serves, judged as npm's
            // installs of packages are. A plain `pnpm install` with words after it keeps the
            // frozen-lockfile check below: an option of pnpm's that takes a value
            // chainward does not know would be taken for a package.
            let global = has(argv, &["-g", "--global"]);
            let packages: Vec<&Word> = sub_at
                .map(|(i, _)| operands(&argv[i + 1..]))
                .unwrap_or_default()
                .into_iter()
                .filter(|w| !w.text.starts_with('$'))
                .collect();
            let adds =
                matches!(sub, Some("add")) || (global && matches!(sub, Some("install" | "i")));
            if adds && !packages.is_empty() {
                let what = if global { "installs the tool" } else { "adds" };
                let shown_cmd = format!("pnpm {}", sub.unwrap_or("add"));
                judge_packages(file, script, &shown_cmd, what, &packages, &at, out);
            } else if matches!(sub, Some("install" | "i")) {
                let unfrozen = argv.iter().any(|w| {
                    w.text == "--no-frozen-lockfile" || w.text == "--frozen-lockfile=false"
                });
                if unfrozen || (!script.in_ci && !has(argv, &["--frozen-lockfile"])) {
                    out.push(Finding::new(
                        &INSTALL_COMMAND,
                        file,
                        whole(cmd),
                        "`pnpm install` may update pnpm-lock.yaml here: pass `--frozen-lockfile` (pnpm only defaults to it when `CI` is set)",
                    ));
                }
                // pnpm 10 runs no dependency's build scripts unless allow-listed; pnpm 9 and
                // earlier run them all (`ignore-scripts=true` in .npmrc turns them off).
                let major = script.pnpm_major.or(setup.pnpm_major);
                if let Some(major) = major.filter(|m| *m < 10)
                    && !scripts_off
                    && !setup.pnpm_builds_listed
                    && !has(argv, &["--ignore-scripts"])
                {
                    out.push(
                        Finding::new(
                            &SCRIPTS_ENABLED,
                            file,
                            whole(cmd),
                            format!("`pnpm install` (pnpm {major}) runs every dependency's install scripts"),
                        )
                        .with_help("add `--ignore-scripts` (and `pnpm rebuild <pkg>` for the few that need a build), or move to pnpm 10, which runs only the builds `onlyBuiltDependencies` allows"),
                    );
                }
            }
        }
        "bun" => {
            let sub = subcommand(argv).map(|(_, w)| w.text.as_str());
            if matches!(sub, Some("install" | "i")) && !has(argv, &["--frozen-lockfile"]) {
                out.push(Finding::new(&INSTALL_COMMAND, file, whole(cmd), "`bun install` without `--frozen-lockfile` may update the lockfile instead of failing"));
            }
        }
        "sh" | "bash" | "zsh" | "dash" => {
            let piped_download = cmd.after == "|"
                && prev.is_some_and(|p| {
                    p.argv()
                        .first()
                        .is_some_and(|w| w.text == "curl" || w.text == "wget")
                });
            // `bash <(curl …)`, `sh -c "$(curl …)"`: the same, by process substitution.
            let substituted = argv.iter().skip(1).any(|w| {
                ["<(curl", "<(wget", "$(curl", "$(wget"]
                    .iter()
                    .any(|p| w.text.contains(p))
            });
            if substituted
                || (piped_download
                    && (argv.len() == 1 || argv.get(1).is_some_and(|w| w.text.starts_with('-'))))
            {
                let span = prev.map_or_else(
                    || whole(cmd),
                    |p| {
                        let a = whole(p);
                        let b = whole(cmd);
                        a.start.min(b.start)..a.end.max(b.end)
                    },
                );
                out.push(Finding::new(&INSTALL_COMMAND, file, span, "a download is piped straight into a shell: nobody reviewed what runs, and it can change at any time"));
            }
        }
        _ if python::is_python_tool(argv) => {
            python::check(file, script, argv, cwd, judge, &at, whole(cmd), out)
        }
        _ => {}
    }
}

/// A command that checks what a download delivered: a checksum, a signature or an attestation.
fn verifies(cmd: &Command) -> bool {
    // A digest computed anywhere in the command (`actual=$(sha256sum f | cut -d' ' -f1)`, then
    // compared) counts as a check.
    const DIGESTS: &[&str] = &[
        "sha256sum",
        "sha512sum",
        "sha384sum",
        "sha1sum",
        "shasum",
        "b2sum",
    ];
    if cmd
        .words
        .iter()
        .any(|w| DIGESTS.iter().any(|d| w.text.contains(d)))
    {
        return true;
    }
    let argv = cmd.argv();
    let words: Vec<&str> = argv.iter().map(|w| w.text.as_str()).collect();
    match words.as_slice() {
        [tool, ..] if tool.starts_with("sha") && (tool.ends_with("sum") || *tool == "shasum") => {
            true
        }
        [
            "gpg" | "gpgv" | "minisign" | "signify" | "slsa-verifier" | "cosign",
            ..,
        ] => true,
        ["gh", "attestation", "verify", ..] => true,
        ["openssl", "dgst", ..] => true,
        _ => false,
    }
}

/// A `curl`/`wget` option that takes the next word as its value (`-o FILE`, `-H HEADER`,
/// `-fsSLo FILE`, wget's `-O FILE`), so that word is not the URL.
fn takes_download_value(curl: bool, option: &str) -> bool {
    if let Some(long) = option.strip_prefix("--") {
        return matches!(
            long,
            "output"
                | "output-document"
                | "header"
                | "data"
                | "data-raw"
                | "data-binary"
                | "user"
                | "request"
                | "user-agent"
                | "referer"
                | "cookie"
                | "max-time"
                | "write-out"
                | "proxy"
                | "retry"
                | "connect-timeout"
                | "directory-prefix"
        );
    }
    option.strip_prefix('-').is_some_and(|short| {
        short.chars().last().is_some_and(|c| {
            if curl {
                "oHduXAebcTFmwxrKE".contains(c)
            } else {
                "oOPeaU".contains(c)
            }
        })
    })
}

/// The file a `curl`/`wget` command saves to (`-o F`, `--output F`, `-O` the URL's name, wget's
/// default), if it saves one.
fn saved_as(argv: &[Word], url: &str) -> Option<String> {
    let curl = argv.first().is_some_and(|w| w.text == "curl");
    let remote_name = || {
        let path = url.split(['?', '#']).next().unwrap_or(url);
        path.rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    };
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        let t = w.text.as_str();
        let short = t.starts_with('-') && !t.starts_with("--");
        if curl {
            if t == "--output" || (short && t.ends_with('o')) {
                return argv.get(i + 1).map(|f| f.text.clone());
            }
            if let Some(f) = t.strip_prefix("--output=") {
                return Some(f.to_string());
            }
            if t == "--remote-name" || (short && t.contains('O')) {
                return remote_name();
            }
        } else {
            if t == "--output-document" || (short && t.ends_with('O')) {
                return argv.get(i + 1).map(|f| f.text.clone());
            }
            if let Some(f) = t.strip_prefix("--output-document=") {
                return Some(f.to_string());
            }
        }
        i += 1;
    }
    // wget saves under the URL's name; curl writes to stdout.
    (!curl).then(remote_name).flatten()
}

/// Downloads the script unpacks or runs without checking what arrived: `curl … | tar x`,
/// `wget -O tool URL && chmod +x tool`, `curl -LO …/x.tar.gz && tar xf x.tar.gz`. A
/// checksum, signature or attestation check anywhere in the same script clears them. From a
/// `releases/latest/download/` URL it is an error (no version is pinned at all), otherwise a
/// warning (a release's assets can be replaced).
fn check_downloads(file: &SourceFile, script: &Script<'_>, out: &mut Vec<Finding>) {
    let cmds = &script.commands;
    if !cmds.iter().any(|c| {
        c.argv()
            .first()
            .is_some_and(|w| w.text == "curl" || w.text == "wget")
    }) || cmds.iter().any(verifies)
    {
        return;
    }
    const UNPACK: &[&str] = &[
        "tar", "unzip", "bsdtar", "7z", "gunzip", "xz", "zstd", "dpkg", "rpm", "install", "sh",
        "bash", "source", ".", "chmod", "python", "python3", "node", "perl", "apt", "apt-get",
    ];
    for (i, cmd) in cmds.iter().enumerate() {
        let argv = cmd.argv();
        if !argv
            .first()
            .is_some_and(|w| w.text == "curl" || w.text == "wget")
        {
            continue;
        }
        // The URL, written out or held in a variable (`curl -sSL "$nodeUrl" | tar xz`): judged
        // by the values the file shows for it, else as written.
        let Some(url) = argv
            .iter()
            .skip(1)
            .find(|w| w.text.contains("://"))
            .or_else(|| {
                // Not an option's value (`-o "$OUT"`, `-H "$AUTH"`).
                argv.windows(2)
                    .find(|w| {
                        w[1].text.starts_with('$')
                            && !takes_download_value(argv[0].text == "curl", &w[0].text)
                    })
                    .map(|w| &w[1])
            })
        else {
            continue;
        };
        let url_text = match expand(&url.text, &script.vars) {
            Expanded::Values(values) if values.len() == 1 => values[0].clone(),
            _ => shown(&url.text),
        };
        let next = cmds.get(i + 1).filter(|n| n.after == "|");
        const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "source", "."];
        // What consumes the download: `Some(true)` a shell, `Some(false)` an unpacker or the
        // file itself run, `None` nothing (it is only read).
        let consumer = match next {
            // Piped into a shell: reported with the shell.
            Some(n) => n.argv().first().and_then(|w| {
                (!SHELLS.contains(&w.text.as_str()) && UNPACK.contains(&w.text.as_str()))
                    .then_some(false)
            }),
            None => saved_as(argv, &url_text).and_then(|saved| {
                // Compared as written (expressions' masked spaces shown on both sides).
                let saved = shown(&saved);
                let matches = |t: &str| {
                    let t = shown(t);
                    t == saved
                        || t.trim_start_matches("./") == saved
                        || t.ends_with(&format!("/{saved}"))
                };
                cmds[i + 1..].iter().find_map(|later| {
                    let words = later.argv();
                    let tool = words.first()?;
                    if matches(&tool.text) {
                        return Some(false);
                    }
                    (UNPACK.contains(&tool.text.as_str())
                        && words[1..].iter().any(|w| matches(&w.text)))
                    .then(|| SHELLS.contains(&tool.text.as_str()))
                })
            }),
        };
        let Some(shell) = consumer else {
            continue;
        };
        // A published npm tarball at an exact version cannot be replaced: as safe as
        // `npm i -g pkg@1.2.3`.
        let registry_tarball = [
            "https://registry.npmjs.org/",
            "https://registry.yarnpkg.com/",
        ]
        .iter()
        .any(|r| url_text.starts_with(r))
            && url_text.contains("/-/")
            && url_text.ends_with(".tgz");
        if registry_tarball {
            continue;
        }
        let latest = url_text.contains("/releases/latest/download/")
            || url_text.contains("/releases/download/latest/");
        let span = match (script.locate(cmd, &argv[0]), script.locate(cmd, url)) {
            (Some(a), Some(b)) => a.start..b.end,
            _ => script.fallback.clone(),
        };
        let tool = &argv[0].text;
        let finding = if shell {
            Finding::new(
                &INSTALL_COMMAND,
                file,
                span,
                format!(
                    "`{tool}` downloads `{url_text}` and a shell runs it: nobody reviewed what runs, and it can change at any time"
                ),
            )
        } else if latest {
            Finding::new(
                &INSTALL_COMMAND,
                file,
                span,
                format!(
                    "`{tool}` downloads the latest release (`{url_text}`), whatever it is that day, and the script unpacks or runs it unchecked"
                ),
            )
        } else {
            Finding::new(
                &INSTALL_COMMAND,
                file,
                span,
                format!("`{tool}` downloads `{url_text}` and the script unpacks or runs it without a checksum, signature or attestation check: whoever can replace that file decides what runs here"),
            )
            .with_severity(Severity::Warning)
        };
        out.push(finding.with_help("download a fixed version and check it before use (`echo \"<sha256>  file\" | sha256sum -c -`, `gh attestation verify`, `cosign verify-blob`)"));
    }
}

fn scripts_finding(
    file: &SourceFile,
    script: &Script<'_>,
    cmd: &Command,
    sub: &Word,
    shown: &str,
) -> Finding {
    let span = script.locate(cmd, sub);
    let fix = span.clone().map(|s| {
        Fix::unsafe_(
            "add `--ignore-scripts`",
            vec![Edit::replace(&file.path, s.end..s.end, " --ignore-scripts")],
        )
    });
    Finding::new(
        &SCRIPTS_ENABLED,
        file,
        span.unwrap_or_else(|| script.fallback.clone()),
        format!("`{shown}` runs every dependency's install scripts"),
    )
    // One help line: the fix says what it adds; the help what else there is.
    .with_help(if fix.is_some() {
        "for the few packages that need a build, `npm rebuild <pkg>` after the install; or set `ignore-scripts=true` in .npmrc instead"
    } else {
        "add `--ignore-scripts` (and `npm rebuild <pkg>` for the few that need a build), or set `ignore-scripts=true` in .npmrc"
    })
    .with_fix_opt(fix)
}

/// The packages a runner runs: the values of `-p`/`--package` if any, else its first operand
/// (after `--`, if the options end there).
fn runner_packages(argv: &[Word]) -> Vec<&Word> {
    let mut packages = Vec::new();
    let mut i = 1;
    while let Some(w) = argv.get(i) {
        match w.text.as_str() {
            "-p" | "--package" => {
                packages.extend(argv.get(i + 1));
                i += 1;
            }
            t if t.starts_with("--package=") => packages.push(w),
            _ => {}
        }
        i += 1;
    }
    if packages.is_empty() {
        let operand = argv
            .iter()
            .skip(1)
            .find(|w| !w.text.starts_with('-') || w.text == "--");
        let operand = match operand {
            Some(w) if w.text == "--" => argv.iter().skip_while(|w| w.text != "--").nth(1),
            other => other,
        };
        packages.extend(operand);
    }
    packages
}

/// `npx [--yes|-y] [-p pkg] pkg[@spec] …`, `npm exec`, `bunx`, `bun x`: these run the project's
/// own copy of a command when its installs provide one, and otherwise download the package. A
/// version that is not exact is always flagged (the registry picks it); a bare name is flagged
/// when no package of the project provides that command (an error when the lockfiles say so
/// for certain, a warning when they cannot tell, see [`LocalCommands`]).
fn npx(
    file: &SourceFile,
    script: &Script<'_>,
    tool: &str,
    argv: &[Word],
    judge: &Judge<'_>,
    at: &dyn Fn(&Word) -> Range<usize>,
    out: &mut Vec<Finding>,
) {
    // `npx --no` / `--no-install` never downloads.
    if has(argv, &["--no", "--no-install", "--offline"]) {
        return;
    }
    let yes = has(argv, &["--yes", "-y"]);
    for package in runner_packages(argv) {
        let text = package
            .text
            .strip_prefix("--package=")
            .unwrap_or(&package.text);
        let versioned = text.trim_start_matches('@').contains('@');
        let name = chainward_npm::lockfile::split_name(text).map_or(text, |(n, _)| n);
        let bare = !versioned && chainward_npm::lockfile::is_package_name(name);
        if !bare {
            if yes || versioned {
                judge_packages(file, script, tool, "runs", &[package], at, out);
            }
            continue;
        }
        let (severity, why) = match judge.provides(name) {
            Some(true) => continue,
            Some(false) => (Severity::Error, "no package this project locks provides it"),
            None => (
                Severity::Warning,
                "chainward found no package of this project that provides it (pnpm, yarn and bun lockfiles do not record the commands packages provide)",
            ),
        };
        out.push(
            Finding::new(
                &INSTALL_COMMAND,
                file,
                at(package),
                format!("`{tool}` downloads and runs `{name}` at whatever version the registry serves today: {why}"),
            )
            .with_severity(severity)
            .with_help(format!("pin an exact version (`{name}@1.2.3`), or add it to devDependencies so the lockfile pins it")),
        );
    }
}

/// `pnpm dlx pkg`, `pnpx pkg`, `yarn dlx [-p pkg] pkg`: always a download from the registry,
/// whatever the project locks, so each package must name an exact version.
fn dlx(
    file: &SourceFile,
    script: &Script<'_>,
    tool: &str,
    argv: &[Word],
    at: &dyn Fn(&Word) -> Range<usize>,
    out: &mut Vec<Finding>,
) {
    let packages = runner_packages(argv);
    judge_packages(file, script, tool, "runs", &packages, at, out);
}

/// Package words of an install (`npm install -g a b`, `npx a`): each must name an exact
/// version. A word with a variable or a GitHub expression is judged by every value the file
/// shows for it (`env:`, the job's matrix, a Dockerfile `ARG` default); one whose value the file
/// does not show is said once per command, as what it is: something chainward cannot tell.
fn judge_packages(
    file: &SourceFile,
    script: &Script<'_>,
    tool: &str,
    what: &str,
    packages: &[&Word],
    at: &dyn Fn(&Word) -> Range<usize>,
    out: &mut Vec<Finding>,
) {
    let mut unknown: Vec<(String, &Word)> = Vec::new();
    for pkg in packages {
        if is_path(&pkg.text) {
            continue;
        }
        let word = shown(&pkg.text);
        match expand(&pkg.text, &script.vars) {
            Expanded::Unknown(reference) => unknown.push((reference, pkg)),
            Expanded::Values(values) => {
                let loose: Vec<&String> = values.iter().filter(|v| !exact_package(v)).collect();
                if loose.is_empty() {
                    continue;
                }
                let named = if values.len() == 1 && values[0] == word {
                    format!("`{word}`")
                } else {
                    let shown: Vec<String> = loose.iter().map(|v| format!("`{v}`")).collect();
                    format!("`{word}` ({})", shown.join(", "))
                };
                out.push(Finding::new(
                    &INSTALL_COMMAND,
                    file,
                    at(pkg),
                    format!("`{tool}` {what} {named} at whatever version the registry serves today; pin an exact version (`name@1.2.3`)"),
                ));
            }
        }
    }
    if let Some((reference, first)) = unknown.first() {
        let refs: Vec<String> = unknown.iter().map(|(r, _)| format!("`{r}`")).collect();
        out.push(
            Finding::new(
                &INSTALL_COMMAND,
                file,
                at(first),
                format!(
                    "`{tool}` {what} {}, whose value this file does not show: chainward cannot tell whether it pins an exact version",
                    refs.join(", ")
                ),
            )
            .with_severity(Severity::Info)
            .with_help(format!("wherever `{reference}` is set, make it `name@1.2.3`")),
        );
    }
}

/// A folder or tarball on disk rather than a package name: `./cli`, `/opt/x`, `~/x`,
/// `$GITHUB_WORKSPACE/packages/cli`, `${{ github.workspace }}/cli`.
fn is_path(word: &str) -> bool {
    if word.starts_with(['.', '/', '~']) {
        return true;
    }
    let Some(rest) = word.strip_prefix('$') else {
        return false;
    };
    let after = if rest.starts_with("{{") {
        rest.find("}}").map(|i| &rest[i + 2..])
    } else if rest.starts_with('{') {
        rest.find('}').map(|i| &rest[i + 1..])
    } else {
        Some(rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_'))
    };
    after.is_some_and(|a| a.starts_with('/'))
}

/// `name@1.2.3` (an exact version); a bare name or a range is not.
fn exact_package(spec: &str) -> bool {
    let from = usize::from(spec.starts_with('@'));
    match spec[from..].find('@') {
        Some(i) => matches!(
            classify(&spec[from + i + 1..]),
            Spec::Version(_) | Spec::Git { .. } | Spec::File
        ),
        None => spec.starts_with('.') || spec.starts_with('/') || spec.ends_with(".tgz"),
    }
}
