//! Install commands in CI: workflow `run:` steps, composite actions and Dockerfile `RUN` lines
//! must install exactly the lockfile (`npm ci`, `--frozen-lockfile`, `--immutable`) and, for
//! npm and yarn, without lifecycle scripts.

use std::ops::Range;
use std::path::{Path, PathBuf};

use chainward_core::dockerfile;
use chainward_core::workflow::{self, MASKED_SPACE, Vars, mask_expressions, shown};
use chainward_core::yaml::{self, Yaml};
use chainward_core::{
    Edit, FileKind, Finding, Fix, Fixability, Project, Rule, Severity, SourceFile,
};
use chainward_npm::bins::LocalCommands;
use chainward_npm::npmrc::npmrc;
use chainward_npm::{Spec, classify};

use chainward_core::shell::{self, Command, Word};

pub(crate) static INSTALL_COMMAND: Rule = Rule {
    id: "npm-ci/install-command",
    code: "NCI011",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::Sometimes,
    summary: "A CI or Docker install step does not install exactly what the lockfile says",
    doc: r#"In CI and in Docker builds the lockfile must be the only source of truth:

- `npm install` / `npm i` re-resolves ranges and may rewrite the lockfile: use `npm ci`
  (unsafe fix: `install` → `ci`);
- `npm ci || npm install` silently falls back to ignoring the lockfile when it is out of sync;
- `yarn install` needs `--frozen-lockfile` (yarn 1) or `--immutable` (yarn 2+, which is
  immutable by default where `CI` is set, as in GitHub Actions; `enableScripts: false` in
  .yarnrc.yml turns its scripts off); `pnpm install`
  needs `--frozen-lockfile` outside CI (pnpm only defaults to it when `CI` is set, which a
  Docker build does not); `bun install` needs `--frozen-lockfile`;
- `npm install -g tool@^1`, `npx --yes tool` or `npx tool@latest` install whatever version the
  registry serves that minute: pin the exact version;
- `curl … | sh` runs a script nobody reviewed.

A package named by a variable or a GitHub expression (`npm i -g ${{ matrix.tool }}`,
`pnpm@${PNPM_VERSION}` in a Dockerfile) is judged by every value the file shows for it: the
workflow's, job's and step's `env:`, the job's `strategy.matrix`, a Dockerfile's `ARG` default or
`ENV`. One whose value the file does not show (`${{ inputs.tool }}`) is reported once per command,
at `info`, as what it is: something chainward cannot tell.

Checked in `.github/workflows/*.yml` (`run:`), composite `action.yml`, Dockerfiles (`RUN`,
with `\` continuations, `&&`/`||`/`;` chains and `RUN <<EOF` heredocs), and the shell scripts
those workflow steps run (`run: ./script/build-ui`, `bash scripts/ci.sh`, two levels deep):
each script is checked once, however many steps run it.
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
silent). pnpm 10 and bun do not run dependency scripts unless allow-listed, so they are not
reported here.
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
}

/// What install commands are judged against, computed once per run: the project's install
/// configuration, and (when a command needs it) the commands its installs provide.
pub(crate) struct Context<'p> {
    project: &'p Project,
    setup: Setup,
    local: std::sync::OnceLock<LocalCommands>,
}

impl<'p> Context<'p> {
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
            [
                "npm" | "pnpm" | "bun",
                "install" | "i" | "add",
                ..,
            ] => has(argv, &["-g", "--global"]),
            _ => false,
        };
        if !global {
            continue;
        }
        for w in words.iter().skip(2).filter(|w| !w.starts_with('-')) {
            let name = chainward_npm::model::split_name(w).map_or(*w, |(n, _)| n);
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
}

impl Setup {
    fn of(project: &Project) -> Setup {
        let npm_scripts_off = project
            .file_at(&project.root.join(".npmrc"))
            .and_then(|f| npmrc(&f).and_then(|rc| rc.flag("ignore-scripts")))
            .unwrap_or(false);
        let yarnrc = project.file_at(&project.root.join(".yarnrc.yml"));
        let declared = project
            .file_at(&project.root.join("package.json"))
            .and_then(|f| chainward_npm::package_json(&f).and_then(|pj| pj.manager_major("yarn")));
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
        let last = cmd.words.last()?;
        let needle = shown(self.text.get(first.span.start..last.span.end)?);
        let hay = self.source.get(self.region.clone())?;
        let at = hay.find(&needle)?;
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
            for (_, step) in wf.steps() {
                let Some(run) = step.run else { continue };
                scripts.push(Script {
                    text: step.script.into(),
                    commands: step.commands.into(),
                    region: run.span.clone(),
                    source: text,
                    fallback: run.span.clone(),
                    exact: text.get(run.span.clone()) == run.as_str(),
                    in_ci: true,
                    vars: step.vars.clone(),
                });
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
            for ins in &df.instructions {
                match ins.keyword.as_str() {
                    "FROM" => {
                        staged = true;
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
                        scripts.push(Script {
                            commands: commands_of(body).into(),
                            text: mask_expressions(body),
                            region: doc.body.clone(),
                            source: text,
                            fallback: doc.body.clone(),
                            exact: true,
                            in_ci: false,
                            vars: vars.clone(),
                        });
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
                scripts.push(Script {
                    commands: commands_of(body).into(),
                    text: mask_expressions(body),
                    region: region.clone(),
                    source: text,
                    fallback: region,
                    exact: true,
                    in_ci: false,
                    vars: vars.clone(),
                });
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
    };
    for script in &scripts {
        let cmds = &script.commands;
        for (i, cmd) in cmds.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| &cmds[p]);
            check_command(file, script, cmd, prev, &judge, out);
        }
    }
}

/// The shell scripts (files in the project) that workflow and composite-action steps run,
/// relative to the project root, where a workflow's steps start.
pub(crate) fn invoked_scripts(project: &Project, file: &SourceFile) -> Vec<PathBuf> {
    let Some(wf) = workflow::parsed(file) else {
        return Vec::new();
    };
    wf.steps()
        .flat_map(|(_, step)| workflow::script_paths(step.commands))
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
    };
    let cmds = &script.commands;
    let mut globals = Vec::new();
    global_installs(cmds, &mut globals);
    let judge = Judge {
        ctx,
        globals: LocalCommands::named(globals),
    };
    for (i, cmd) in cmds.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &cmds[p]);
        check_command(&file, &script, cmd, prev, &judge, out);
    }
    if depth > 0 {
        let dir = path.parent().unwrap_or(Path::new("."));
        for next in workflow::script_paths(cmds) {
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
            if matches!(
                w.text.as_str(),
                "--prefix" | "-C" | "--cwd" | "--dir" | "--filter" | "-w" | "--workspace"
            ) {
                i += 1;
            }
            i += 1;
            continue;
        }
        return Some((i, w));
    }
    None
}

fn check_command(
    file: &SourceFile,
    script: &Script<'_>,
    cmd: &Command,
    prev: Option<&Command>,
    judge: &Judge<'_>,
    out: &mut Vec<Finding>,
) {
    let setup = &judge.ctx.setup;
    let scripts_off = setup.npm_scripts_off;
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
            let packages: Vec<&Word> = rest.iter().filter(|w| !w.text.starts_with('-')).collect();
            match sub.text.as_str() {
                "install" | "i" | "in" | "ins" | "inst" | "insta" | "instal" | "isnt"
                | "isntal" | "isntall" | "add" => {
                    let global = has(rest, &["-g", "--global"]);
                    if packages.is_empty() {
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
            if matches!(sub, None | Some("install")) {
                // yarn 2+ installs immutably by default where `CI` is set (GitHub Actions).
                let immutable_by_default =
                    setup.yarn_berry && script.in_ci && !has(argv, &["--no-immutable"]);
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
            let sub = subcommand(argv).map(|(_, w)| w.text.as_str());
            if matches!(sub, Some("install" | "i")) {
                let unfrozen = has(argv, &["--no-frozen-lockfile"]);
                if unfrozen || (!script.in_ci && !has(argv, &["--frozen-lockfile"])) {
                    out.push(Finding::new(
                        &INSTALL_COMMAND,
                        file,
                        whole(cmd),
                        "`pnpm install` may update pnpm-lock.yaml here: pass `--frozen-lockfile` (pnpm only defaults to it when `CI` is set)",
                    ));
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
            if piped_download
                && (argv.len() == 1 || argv.get(1).is_some_and(|w| w.text.starts_with('-')))
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
        _ => {}
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
    .with_help("add `--ignore-scripts` (and `npm rebuild <pkg>` for the few that need a build), or set `ignore-scripts=true` in .npmrc")
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
            Some(w) if w.text == "--" => argv
                .iter()
                .skip_while(|w| w.text != "--")
                .nth(1),
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
        let text = package.text.strip_prefix("--package=").unwrap_or(&package.text);
        let versioned = text.trim_start_matches('@').contains('@');
        let name = chainward_npm::model::split_name(text).map_or(text, |(n, _)| n);
        let bare = !versioned && chainward_npm::model::is_package_name(name);
        if !bare {
            if yes || versioned {
                judge_packages(file, script, tool, "runs", &[package], at, out);
            }
            continue;
        }
        let (severity, why) = match judge.provides(name) {
            Some(true) => continue,
            Some(false) => (
                Severity::Error,
                "no package this project locks provides it",
            ),
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
