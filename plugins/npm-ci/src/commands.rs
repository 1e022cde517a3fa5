//! Install commands in CI: workflow `run:` steps, composite actions and Dockerfile `RUN` lines
//! must install exactly the lockfile (`npm ci`, `--frozen-lockfile`, `--immutable`) and, for
//! npm and yarn, without lifecycle scripts.

use std::ops::Range;
use std::path::{Path, PathBuf};

use chainward_core::dockerfile;
use chainward_core::yaml::{self, Yaml};
use chainward_core::{
    Edit, FileKind, Finding, Fix, Fixability, Project, Rule, Severity, SourceFile,
};
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
- `yarn install` needs `--frozen-lockfile` (yarn 1) or `--immutable` (yarn 2+); `pnpm install`
  needs `--frozen-lockfile` outside CI (pnpm only defaults to it when `CI` is set, which a
  Docker build does not); `bun install` needs `--frozen-lockfile`;
- `npm install -g tool@^1`, `npx --yes tool` or `npx tool@latest` install whatever version the
  registry serves that minute: pin the exact version;
- `curl … | sh` runs a script nobody reviewed.

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
    text: String,
    /// Where the script's text sits in the file, byte for byte (Dockerfiles, and workflow
    /// commands found verbatim); `None` when it does not (then findings point at `fallback`).
    region: Range<usize>,
    source: &'a str,
    fallback: Range<usize>,
    exact: bool,
    /// Runs with `CI` set (GitHub Actions), where pnpm defaults to a frozen lockfile.
    in_ci: bool,
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
        let needle = self.text.get(first.span.start..last.span.end)?;
        let hay = self.source.get(self.region.clone())?;
        let at = hay.find(needle)?;
        let start = self.region.start + at + (word.span.start - first.span.start);
        Some(start..start + (word.span.end - word.span.start))
    }
}

pub(crate) fn check(project: &Project, file: &SourceFile, out: &mut Vec<Finding>) {
    let Ok(text) = file.text() else { return };
    let scripts_off = project
        .file_at(&project.root.join(".npmrc"))
        .and_then(|f| npmrc(&f).and_then(|rc| rc.flag("ignore-scripts")))
        .unwrap_or(false);
    let mut scripts = Vec::new();
    match file.kind {
        FileKind::Workflow | FileKind::Action => {
            let Some(doc) = yaml::parsed(file) else {
                return;
            };
            for run in run_nodes(file.kind, doc) {
                let Some(value) = run.as_str() else { continue };
                scripts.push(Script {
                    text: value.to_string(),
                    region: run.span.clone(),
                    source: text,
                    fallback: run.span.clone(),
                    exact: text.get(run.span.clone()) == Some(value),
                    in_ci: true,
                });
            }
        }
        FileKind::Dockerfile => {
            let Some(df) = dockerfile::parsed(file) else {
                return;
            };
            for ins in df.instructions.iter().filter(|i| i.keyword == "RUN") {
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
                            text: body.to_string(),
                            region: doc.body.clone(),
                            source: text,
                            fallback: doc.body.clone(),
                            exact: true,
                            in_ci: false,
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
                    text: body.to_string(),
                    region: region.clone(),
                    source: text,
                    fallback: region,
                    exact: true,
                    in_ci: false,
                });
            }
        }
        _ => return,
    }
    for script in &scripts {
        let cmds = shell::commands(&script.text);
        for (i, cmd) in cmds.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| &cmds[p]);
            check_command(file, script, cmd, prev, scripts_off, out);
        }
    }
}

/// The script files a command line runs: `./scripts/ci.sh`, `script/build-ui`,
/// `bash scripts/x.sh`, `sh -e ./x`. Paths with variables, absolute paths and URLs are skipped.
fn script_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for cmd in shell::commands(text) {
        let argv = cmd.argv();
        let Some(first) = argv.first() else { continue };
        let candidate = if matches!(first.text.as_str(), "bash" | "sh" | "zsh" | "dash") {
            argv[1..].iter().find(|w| !w.text.starts_with('-'))
        } else if first.text.contains('/') {
            Some(first)
        } else {
            None
        };
        let Some(word) = candidate else { continue };
        let path = word.text.as_str();
        if path.starts_with(['/', '$', '~', '-'])
            || path.contains("://")
            || path.contains("${")
            || path.contains('`')
            || path.split('/').any(|p| p == "..")
        {
            continue;
        }
        out.push(path.trim_start_matches("./").to_string());
    }
    out
}

/// The shell scripts (files in the project) that workflow and composite-action steps run,
/// relative to the project root, where a workflow's steps start.
pub(crate) fn invoked_scripts(project: &Project, file: &SourceFile) -> Vec<PathBuf> {
    let Some(doc) = yaml::parsed(file) else {
        return Vec::new();
    };
    run_nodes(file.kind, doc)
        .into_iter()
        .filter_map(Yaml::as_str)
        .flat_map(script_paths)
        .map(|p| project.root.join(p))
        .filter(|p| project.is_file(p))
        .collect()
}

/// Check a shell script that CI runs, and the scripts it runs in turn (up to `depth` levels).
pub(crate) fn check_script(
    project: &Project,
    path: &Path,
    depth: usize,
    seen: &mut Vec<PathBuf>,
    out: &mut Vec<Finding>,
) {
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
    let scripts_off = project
        .file_at(&project.root.join(".npmrc"))
        .and_then(|f| npmrc(&f).and_then(|rc| rc.flag("ignore-scripts")))
        .unwrap_or(false);
    let script = Script {
        text: text.to_string(),
        region: 0..text.len(),
        source: text,
        fallback: 0..0,
        exact: true,
        in_ci: true,
    };
    let cmds = shell::commands(text);
    for (i, cmd) in cmds.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &cmds[p]);
        check_command(&file, &script, cmd, prev, scripts_off, out);
    }
    if depth > 0 {
        let dir = path.parent().unwrap_or(Path::new("."));
        for next in script_paths(text) {
            // A script's relative paths are relative to where CI runs it (the root), or to
            // the script itself.
            let candidates = [project.root.join(&next), dir.join(&next)];
            if let Some(found) = candidates.iter().find(|p| project.is_file(p)) {
                check_script(project, found, depth - 1, seen, out);
            }
        }
    }
}

fn run_nodes(kind: FileKind, doc: &Yaml) -> Vec<&Yaml> {
    fn steps<'a>(steps: Option<&'a Yaml>, out: &mut Vec<&'a Yaml>) {
        for step in steps.and_then(Yaml::as_seq).unwrap_or_default() {
            if let Some(run) = step.get("run") {
                out.push(run);
            }
        }
    }
    let mut out = Vec::new();
    match kind {
        FileKind::Workflow => {
            for (_, job) in doc.get("jobs").map(Yaml::entries).into_iter().flatten() {
                steps(job.get("steps"), &mut out);
            }
        }
        FileKind::Action => steps(doc.get("runs").and_then(|r| r.get("steps")), &mut out),
        _ => {}
    }
    out
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
    scripts_off: bool,
    out: &mut Vec<Finding>,
) {
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
                        for pkg in packages {
                            if !exact_package(&pkg.text) {
                                let what = if global { "installs the tool" } else { "adds" };
                                out.push(Finding::new(
                                    &INSTALL_COMMAND,
                                    file,
                                    at(pkg),
                                    format!("`npm {}` {what} `{}` at whatever version the registry serves today; pin an exact version (`name@1.2.3`)", sub.text, pkg.text),
                                ));
                            }
                        }
                    }
                }
                "ci" | "clean-install" | "ic" | "install-clean" | "isntall-clean"
                    if !scripts_off && !has(rest, &["--ignore-scripts"]) =>
                {
                    out.push(scripts_finding(file, script, cmd, sub, "npm ci"));
                }
                "exec" | "x" => npx(file, cmd, &argv[i..], &at, out),
                _ => {}
            }
        }
        "npx" => npx(file, cmd, argv, &at, out),
        "yarn" => {
            let sub = subcommand(argv).map(|(_, w)| w.text.as_str());
            if matches!(sub, None | Some("install")) {
                if !has(argv, &["--frozen-lockfile", "--immutable"]) {
                    out.push(Finding::new(
                        &INSTALL_COMMAND,
                        file,
                        whole(cmd),
                        "`yarn install` without `--frozen-lockfile` (yarn 1) or `--immutable` (yarn 2+) may update the lockfile instead of failing",
                    ));
                }
                if !scripts_off && !has(argv, &["--ignore-scripts", "--mode"]) {
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

/// `npx [--yes|-y] [-p pkg] pkg[@spec] …`: flagged when it downloads a version nobody pinned.
fn npx(
    file: &SourceFile,
    cmd: &Command,
    argv: &[Word],
    at: &dyn Fn(&Word) -> Range<usize>,
    out: &mut Vec<Finding>,
) {
    let yes = has(argv, &["--yes", "-y"]);
    let package = argv.iter().skip(1).find(|w| !w.text.starts_with('-'));
    let Some(package) = package else { return };
    let versioned = package.text.trim_start_matches('@').contains('@');
    if (yes || versioned) && !exact_package(&package.text) {
        out.push(Finding::new(
            &INSTALL_COMMAND,
            file,
            at(package),
            format!("`{}` runs `{}` at whatever version the registry serves today; pin an exact version (`name@1.2.3`)", argv.first().map_or("npx", |w| w.text.as_str()), package.text),
        ));
    }
    let _ = cmd;
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
