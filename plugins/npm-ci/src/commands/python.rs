//! Python installs in CI and Docker builds: pip (`pip install`, `python -m pip install`,
//! `uv pip install`), uv (`uv sync`, `uv run`, `uvx`, `uv tool`) and pipx.

use std::ops::Range;
use std::path::Path;

use chainward_core::shell::Word;
use chainward_core::workflow::{join_dir, relative_dir, shown};
use chainward_core::{FileKind, Finding, Severity, SourceFile};
use chainward_python::pep508::{self, VersionReq};
use chainward_python::requirements_file;

use super::{INSTALL_COMMAND, Judge, Script};

/// pip's options that take the next word as their value.
fn pip_takes_value(option: &str) -> bool {
    matches!(
        option,
        "-r" | "--requirement"
            | "-c"
            | "--constraint"
            | "-e"
            | "--editable"
            | "-i"
            | "--index-url"
            | "--extra-index-url"
            | "-f"
            | "--find-links"
            | "-t"
            | "--target"
            | "--prefix"
            | "--root"
            | "--platform"
            | "--python-version"
            | "--implementation"
            | "--abi"
            | "--upgrade-strategy"
            | "--trusted-host"
            | "--progress-bar"
            | "--cache-dir"
            | "--src"
            | "--python"
            | "-p"
            | "--config-settings"
            | "-C"
            | "--only-binary"
            | "--no-binary"
            | "--report"
            | "--log"
            | "--timeout"
            | "--retries"
            | "--proxy"
            | "--cert"
            | "--client-cert"
            | "--exists-action"
            | "--global-option"
            | "--build-constraint"
            | "--group"
            | "--extra"
            | "--index"
            | "--default-index"
            | "--index-strategy"
            | "--keyring-provider"
            | "--resolution"
            | "--prerelease"
            | "--exclude-newer"
            | "--link-mode"
            | "--compile-bytecode"
            | "--with"
            | "--from"
            | "--package"
            | "--directory"
            | "--project"
            | "--env-file"
            | "--python-platform"
            | "--refresh-package"
            | "--reinstall-package"
            | "--upgrade-package"
            | "-P"
            | "--no-install-package"
            | "--only-group"
            | "--no-group"
            | "--with-requirements"
            | "--with-editable"
            | "--spec"
            | "--pip-args"
            | "--suffix"
            | "--config-file"
            | "--cache"
            // uv's own spellings (uv-cli `PipInstallArgs`) and pip's other valued options.
            | "--requirements"
            | "--constraints"
            | "--overrides"
            | "--excludes"
            | "--build-constraints"
            | "--torch-backend"
            | "--no-build-isolation-package"
            | "--config-setting"
            | "--root-user-action"
            | "--use-feature"
            | "--use-deprecated"
            // `uv add`'s.
            | "--optional"
            | "--tag"
            | "--branch"
            | "--rev"
            | "-m"
            | "--marker"
            | "--script"
    )
}

/// A cluster of short options (`-qr FILE`, `-Ur`, `-qqe .`), as pip's option parser reads it:
/// each letter a flag until the first that takes a value, which gets the rest of the word or
/// the next word. `(flags, the valued option and its value)`; `None` for a word that is not one.
#[allow(clippy::type_complexity)]
fn cluster(word: &str) -> Option<(Vec<String>, Option<(String, Option<String>)>)> {
    let letters = word.strip_prefix('-')?;
    if letters.starts_with('-')
        || letters.len() < 2
        || !letters.starts_with(|c: char| c.is_ascii_alphabetic())
    {
        return None;
    }
    let mut flags = Vec::new();
    for (i, c) in letters.char_indices() {
        if !c.is_ascii_alphabetic() {
            return None;
        }
        let option = format!("-{c}");
        if pip_takes_value(&option) {
            let rest = &letters[i + 1..];
            return Some((
                flags,
                Some((option, (!rest.is_empty()).then(|| rest.to_string()))),
            ));
        }
        flags.push(option);
    }
    Some((flags, None))
}

/// `(option, value)` pairs and operands of `args` (words after the subcommand).
fn split_args(args: &[Word]) -> (Vec<(&Word, Option<&Word>)>, Vec<&Word>) {
    let mut options = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    while let Some(w) = args.get(i) {
        if w.text == "--" {
            operands.extend(args[i + 1..].iter());
            break;
        }
        if w.text.starts_with('-') && w.text.len() > 1 {
            // `-qr FILE`: the cluster's valued option takes the next word.
            let clustered_value = !pip_takes_value(&w.text)
                && cluster(&w.text).is_some_and(|(_, v)| matches!(v, Some((_, None))));
            let takes = clustered_value || (!w.text.contains('=') && pip_takes_value(&w.text));
            options.push((w, if takes { args.get(i + 1) } else { None }));
            i += if takes { 2 } else { 1 };
        } else {
            operands.push(w);
            i += 1;
        }
    }
    (options, operands)
}

/// The value of option `names` (`-r x`, `-rx`, `--requirement=x`), each time it is given.
fn values<'a>(options: &[(&'a Word, Option<&'a Word>)], names: &[&str]) -> Vec<(&'a Word, String)> {
    let mut out = Vec::new();
    for (w, v) in options {
        for name in names {
            if w.text == *name {
                if let Some(v) = v {
                    out.push((*v, v.text.clone()));
                }
            } else if let Some(rest) = w.text.strip_prefix(&format!("{name}=")) {
                out.push((*w, rest.to_string()));
            } else if name.len() == 2
                && !name.starts_with("--")
                && w.text.len() > 2
                && !w.text.starts_with("--")
                && let Some((_, Some((option, value)))) = cluster(&w.text)
                && option == *name
            {
                // `-rfile`, `-qrfile`, or `-qr file`.
                match (value, v) {
                    (Some(value), _) => out.push((*w, value)),
                    (None, Some(v)) => out.push((*v, v.text.clone())),
                    (None, None) => {}
                }
            }
        }
    }
    out
}

fn flag(options: &[(&Word, Option<&Word>)], names: &[&str]) -> bool {
    options.iter().any(|(w, _)| {
        names
            .iter()
            .any(|n| w.text == *n || w.text.starts_with(&format!("{n}=")))
    })
}

/// A word that is a local path or a URL, not a requirement (`.`, `./pkg`, `.[dev]`,
/// `dist/*.whl`, `https://…`, `git+https://…`).
fn is_local_or_url(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    word.starts_with(['.', '/', '~', '$'])
        || [".txt", ".in", ".toml", ".cfg", ".py", ".lock"]
            .iter()
            .any(|e| lower.ends_with(e))
        || word.contains("://")
        || word.ends_with(".whl")
        || word.ends_with(".tar.gz")
        || word.ends_with(".zip")
        || (word.contains('/') && !word.contains(" @ "))
}

/// How a Python command names the tool it runs: `pip`, `uv`, `uvx`, `pipx`, with the index of
/// the first argument after the tool (after `-m pip` for `python -m pip`).
fn tool_of(argv: &[Word]) -> Option<(&'static str, usize)> {
    let first = argv.first()?.text.as_str();
    let base = first.rsplit('/').next().unwrap_or(first);
    let is_python = |b: &str| {
        b == "py"
            || b.strip_prefix("python")
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    if is_python(base) {
        // `python -m pip …`, `python3 -I -m pip …`.
        let m = argv.iter().position(|w| w.text == "-m")?;
        if argv[1..m].iter().all(|w| w.text.starts_with('-')) {
            return match argv.get(m + 1).map(|w| w.text.as_str()) {
                Some("pip") => Some(("pip", m + 2)),
                Some("uv") => Some(("uv", m + 2)),
                Some("pipx") => Some(("pipx", m + 2)),
                _ => None,
            };
        }
        return None;
    }
    if base == "pip"
        || base
            .strip_prefix("pip")
            .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
    {
        return Some(("pip", 1));
    }
    match base {
        "uv" => Some(("uv", 1)),
        "uvx" => Some(("uvx", 1)),
        "pipx" => Some(("pipx", 1)),
        _ => None,
    }
}

/// Whether the command is a Python tool this module judges.
pub(super) fn is_python_tool(argv: &[Word]) -> bool {
    tool_of(argv).is_some()
}

/// The first operand of `args` (skipping options and their values) and its index.
fn first_operand(args: &[Word]) -> Option<(usize, &Word)> {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        if w.text.starts_with('-') {
            i += if !w.text.contains('=') && pip_takes_value(&w.text) {
                2
            } else {
                1
            };
            continue;
        }
        return Some((i, w));
    }
    None
}

#[allow(clippy::too_many_arguments)]
pub(super) fn check(
    file: &SourceFile,
    script: &Script<'_>,
    argv: &[Word],
    cwd: Option<&str>,
    judge: &Judge<'_>,
    at: &dyn Fn(&Word) -> Range<usize>,
    whole: Range<usize>,
    out: &mut Vec<Finding>,
) {
    let Some((tool, start)) = tool_of(argv) else {
        return;
    };
    let args = &argv[start..];
    let env_set = |k: &str| {
        script.vars.get(k).is_some_and(|v| {
            !v.is_empty() && v.iter().all(|v| !matches!(v.as_str(), "" | "0" | "false"))
        })
    };
    // `python -m build`, `pyproject-build`.
    if let Some(build_args) = python_build_args(argv) {
        let (options, operands) = split_args(build_args);
        if !flag(
            &options,
            &["--no-isolation", "-n", "--help", "-h", "--version"],
        ) {
            let build = Build {
                shown_cmd: "python -m build",
                operands: &operands,
                options: &options,
            };
            build_backend(file, script, &build, cwd, judge, whole.clone(), out);
        }
        return;
    }
    match tool {
        "pip" => {
            if let Some((i, sub)) = first_operand(args)
                && sub.text == "install"
            {
                pip_install(
                    file,
                    script,
                    "pip install",
                    &args[i + 1..],
                    cwd,
                    judge,
                    at,
                    out,
                );
            }
            if let Some((i, sub)) = first_operand(args)
                && sub.text == "wheel"
            {
                let (options, operands) = split_args(&args[i + 1..]);
                if !flag(&options, &["--no-build-isolation", "--help", "-h"]) {
                    let build = Build {
                        shown_cmd: "pip wheel",
                        operands: &operands,
                        options: &options,
                    };
                    build_backend(file, script, &build, cwd, judge, whole.clone(), out);
                }
            }
        }
        "uv" => {
            let Some((i, sub)) = first_operand(args) else {
                return;
            };
            let rest = &args[i + 1..];
            match sub.text.as_str() {
                "pip" => {
                    if let Some((j, w)) = first_operand(rest)
                        && w.text == "install"
                    {
                        pip_install(
                            file,
                            script,
                            "uv pip install",
                            &rest[j + 1..],
                            cwd,
                            judge,
                            at,
                            out,
                        );
                    }
                }
                "sync" => {
                    let (options, _) = split_args(rest);
                    // Flags a GitHub expression supplies cannot be judged; `--upgrade` and
                    // `--resolution` re-resolve on purpose (testing against newer or lowest
                    // versions), which is not the locked install this rule is about.
                    let unknown = rest
                        .iter()
                        .any(|w| w.text.contains("${{") || w.text.starts_with('$'));
                    // Without a committed uv.lock there is nothing to hold the install to (and
                    // `--locked` would fail).
                    let has_lock = find_project_file(judge, file, cwd, "uv.lock").is_some();
                    if !unknown
                        && has_lock
                        && !flag(
                            &options,
                            &[
                                "--locked",
                                "--frozen",
                                "--dry-run",
                                "--upgrade",
                                "-U",
                                "--upgrade-package",
                                "-P",
                                "--resolution",
                            ],
                        )
                        && !env_set("UV_LOCKED")
                        && !env_set("UV_FROZEN")
                    {
                        out.push(
                            Finding::new(&INSTALL_COMMAND, file, whole, "`uv sync` without `--locked` updates uv.lock when it is out of date and installs the new resolution instead of failing")
                                .with_help("pass `--locked` (fail when uv.lock is out of date) or `--frozen` (install uv.lock as it is), or set `UV_LOCKED=1` in the job's env"),
                        );
                    }
                }
                // `uv run` syncs the environment first, re-locking an out-of-date uv.lock,
                // unless the job synced (or checked the lock) before it.
                "run" => {
                    let (options, operands) = split_args(rest);
                    // `uv run script.py` of a script with inline metadata (PEP 723) runs it in
                    // its own environment, not the project's.
                    if let Some(target) = operands.first().map(|w| w.text.as_str())
                        && target.ends_with(".py")
                    {
                        let script_file = find_project_file(judge, file, cwd, target)
                            .map(|f| f.path.clone())
                            .or_else(|| {
                                relative_dir(target).then(|| {
                                    judge
                                        .ctx
                                        .project
                                        .root
                                        .join(join_dir(cwd.unwrap_or_default(), target))
                                })
                            });
                        let text = script_file.and_then(|p| judge.ctx.project.read_text(&p));
                        match text {
                            // Not in the project: what it declares is unknown.
                            None => return,
                            Some(t) if t.contains("# /// script") => {
                                // `uv lock --script` writes `x.py.lock`, which `uv run` installs.
                                let locked =
                                    find_project_file(judge, file, cwd, &format!("{target}.lock"))
                                        .is_some()
                                        || judge.ctx.project.is_file(&judge.ctx.project.root.join(
                                            join_dir(
                                                cwd.unwrap_or_default(),
                                                &format!("{target}.lock"),
                                            ),
                                        ));
                                if !locked {
                                    inline_dependencies(file, target, &t, whole.clone(), out);
                                }
                                return;
                            }
                            Some(_) => {}
                        }
                    }
                    if judge.uv_synced.get() {
                        return;
                    }
                    let unknown = rest
                        .iter()
                        .any(|w| w.text.contains("${{") || w.text.starts_with('$'));
                    let has_lock = find_project_file(judge, file, cwd, "uv.lock").is_some();
                    if has_lock
                        && !unknown
                        && !flag(
                            &options,
                            &[
                                "--locked",
                                "--frozen",
                                "--no-sync",
                                "--script",
                                "--isolated",
                                "--no-project",
                                "--help",
                                "-h",
                            ],
                        )
                        && !env_set("UV_LOCKED")
                        && !env_set("UV_FROZEN")
                        && !env_set("UV_NO_SYNC")
                    {
                        out.push(
                            Finding::new(&INSTALL_COMMAND, file, whole.clone(), "`uv run` syncs the environment first and, when uv.lock is out of date, locks again and installs that instead of failing")
                                .with_severity(Severity::Warning)
                                .with_help("pass `--locked` (or `--frozen`), set `UV_LOCKED=1` in the job's env, or run `uv sync --locked` in an earlier step"),
                        );
                    }
                }
                // `uv add PKG` in CI: whatever version the index serves, written into the lock.
                "add" => {
                    let (options, operands) = split_args(rest);
                    if flag(&options, &["--help", "-h", "--frozen"]) {
                        return;
                    }
                    for word in operands {
                        let text = word.text.as_str();
                        if is_local_or_url(text)
                            || text.contains(chainward_core::workflow::MASKED_SPACE)
                        {
                            continue;
                        }
                        let Ok(req) = pep508::parse(text) else {
                            continue;
                        };
                        if req.pinned_version().is_some()
                            || matches!(req.version, VersionReq::Url(_))
                        {
                            continue;
                        }
                        out.push(
                            Finding::new(
                                &INSTALL_COMMAND,
                                file,
                                at(word),
                                format!("`uv add {}` in CI installs whatever version the index serves today, and changes uv.lock", shown(text)),
                            )
                            .with_help(format!("declare `{}` in pyproject.toml (a dependency group for tools) and lock it, then `uv sync --locked`", shown(&req.name))),
                        );
                    }
                }
                "build" => {
                    let (options, operands) = split_args(rest);
                    if !flag(
                        &options,
                        &[
                            "--no-build-isolation",
                            "--help",
                            "-h",
                            "--build-constraint",
                            "-b",
                        ],
                    ) && !env_set("UV_BUILD_CONSTRAINT")
                        && !env_set("UV_NO_BUILD_ISOLATION")
                    {
                        let build = Build {
                            shown_cmd: "uv build",
                            operands: &operands,
                            options: &options,
                        };
                        build_backend(file, script, &build, cwd, judge, whole.clone(), out);
                    }
                }
                "tool" => {
                    if let Some((j, w)) = first_operand(rest)
                        && matches!(w.text.as_str(), "run" | "install")
                    {
                        let shown_cmd = format!("uv tool {}", w.text);
                        tool_run(file, &shown_cmd, &rest[j + 1..], at, out);
                    }
                }
                _ => {}
            }
        }
        "uvx" => tool_run(file, "uvx", args, at, out),
        "pipx" => {
            if let Some((i, sub)) = first_operand(args)
                && matches!(sub.text.as_str(), "run" | "install")
            {
                let shown_cmd = format!("pipx {}", sub.text);
                tool_run(file, &shown_cmd, &args[i + 1..], at, out);
            }
        }
        _ => {}
    }
}

/// A command after which the project's environment is synced from uv.lock or the lock was
/// judged: `uv sync` (any flags: one without `--locked` is reported itself), `uv lock`, `uv
/// add`/`uv remove` (which lock and sync).
pub(super) fn syncs(cmd: &chainward_core::shell::Command) -> bool {
    let argv = cmd.argv();
    matches!(tool_of(argv), Some(("uv", start)) if first_operand(&argv[start..])
        .is_some_and(|(_, w)| matches!(w.text.as_str(), "sync" | "lock" | "add" | "remove")))
}

/// The names (in backticks) of the requirements that pin no exact version and name no URL.
fn unpinned_names<'a>(reqs: impl Iterator<Item = &'a pep508::Requirement>) -> Vec<String> {
    reqs.filter(|r| r.pinned_version().is_none() && !matches!(r.version, VersionReq::Url(_)))
        .map(|r| format!("`{}`", r.name))
        .collect()
}

/// The PEP 723 metadata block of a script (`# /// script` … `# ///`) as TOML text.
fn script_metadata(text: &str) -> Option<String> {
    let mut lines = text.lines();
    lines.find(|l| l.trim_end() == "# /// script")?;
    let mut out = String::new();
    for line in lines {
        if line.trim_end() == "# ///" {
            return Some(out);
        }
        let content = line.strip_prefix("# ").or_else(|| line.strip_prefix('#'))?;
        out.push_str(content);
        out.push('\n');
    }
    None
}

/// `uv run script.py` of a script with inline metadata (PEP 723): uv installs its
/// `dependencies` into a fresh environment at whatever versions the index serves, unless they
/// are pinned or the block sets `[tool.uv] exclude-newer`. A warning.
fn inline_dependencies(
    file: &SourceFile,
    target: &str,
    text: &str,
    whole: Range<usize>,
    out: &mut Vec<Finding>,
) {
    let Some(doc) = script_metadata(text).and_then(|t| chainward_core::toml::parse(&t)) else {
        return;
    };
    if chainward_core::toml::get(&doc, &["tool", "uv", "exclude-newer"]).is_some() {
        return;
    }
    let Some(deps) = chainward_core::toml::get(&doc, &["dependencies"]).and_then(|i| i.as_array())
    else {
        return;
    };
    let reqs: Vec<pep508::Requirement> = deps
        .iter()
        .filter_map(|v| v.as_str())
        .filter_map(|d| pep508::parse(d).ok())
        .collect();
    let unpinned = unpinned_names(reqs.iter());
    if unpinned.is_empty() {
        return;
    }
    out.push(unpinned_install(
        file,
        whole,
        &format!("uv run {}", shown(target)),
        &format!("the script's inline dependencies ({})", unpinned.join(", ")),
        "pin them in the script's `# /// script` block (`httpx==0.28.1`), or lock it (`uv lock --script`) or set `[tool.uv] exclude-newer` there",
    ));
}

/// The warning that `command` installs `what` (requirements not pinned) at whatever version
/// the index serves today.
fn unpinned_install(
    file: &SourceFile,
    whole: Range<usize>,
    command: &str,
    what: &str,
    help: &str,
) -> Finding {
    Finding::new(
        &INSTALL_COMMAND,
        file,
        whole,
        format!("`{command}` installs {what} at whatever version the index serves today"),
    )
    .with_severity(Severity::Warning)
    .with_help(help)
}

/// `python -m build ARGS` / `pyproject-build ARGS`: the arguments.
fn python_build_args(argv: &[Word]) -> Option<&[Word]> {
    let first = argv.first()?.text.as_str();
    let base = first.rsplit('/').next().unwrap_or(first);
    if base == "pyproject-build" {
        return Some(&argv[1..]);
    }
    let is_python = base == "py"
        || base
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if !is_python {
        return None;
    }
    let m = argv.iter().position(|w| w.text == "-m")?;
    (argv.get(m + 1).map(|w| w.text.as_str()) == Some("build")).then(|| &argv[m + 2..])
}

/// A build command and its arguments.
struct Build<'a> {
    shown_cmd: &'static str,
    operands: &'a [&'a Word],
    options: &'a [(&'a Word, Option<&'a Word>)],
}

/// A build in an isolated environment (`python -m build`, `uv build`, `pip wheel`) installs
/// the project's `[build-system] requires` from the index: unpinned, whatever version is
/// current. A warning: the build backend runs with the job's credentials and writes what is
/// shipped. `tool.uv.build-constraint-dependencies` pins them for `uv build`.
fn build_backend(
    file: &SourceFile,
    script: &Script<'_>,
    build: &Build<'_>,
    cwd: Option<&str>,
    judge: &Judge<'_>,
    whole: Range<usize>,
    out: &mut Vec<Finding>,
) {
    if script.vars.contains_key("PIP_CONSTRAINT")
        || script.vars.contains_key("PIP_BUILD_CONSTRAINT")
    {
        return;
    }
    if !values(build.options, &["-c", "--constraint", "--build-constraint"]).is_empty() {
        return;
    }
    // The project folder: the operand (`python -m build pkg/`), else where the command runs.
    let dir = match build.operands.first() {
        Some(w) if relative_dir(&w.text) => w.text.trim_end_matches('/').to_string(),
        Some(_) => return,
        None => ".".to_string(),
    };
    let Some(pyproject_file) =
        find_project_file(judge, file, cwd, &format!("{dir}/pyproject.toml"))
    else {
        return;
    };
    let Some(p) = chainward_python::pyproject(&pyproject_file) else {
        return;
    };
    if build.shown_cmd == "uv build" && !p.uv.build_constraint_dependencies.is_empty() {
        return;
    }
    let unpinned = unpinned_names(p.build_requires.iter().map(|d| &d.req));
    if unpinned.is_empty() {
        return;
    }
    out.push(unpinned_install(
        file,
        whole,
        build.shown_cmd,
        &format!(
            "the build backend ({}) from {}'s `[build-system] requires`",
            unpinned.join(", "),
            pyproject_file.rel
        ),
        "pin `[build-system] requires` to exact versions (`hatchling==1.27.0`), or pin them for the build (`tool.uv.build-constraint-dependencies`, `uv build --build-constraint`, `PIP_CONSTRAINT`)",
    ));
}

/// `uvx tool`, `uv tool run tool`, `pipx run tool`: the tool is downloaded at whatever version
/// the index serves unless the command pins one (`tool==1.2.3`, `tool@1.2.3`, `--from
/// 'tool==1.2.3'`, `--spec`).
fn tool_run(
    file: &SourceFile,
    shown_cmd: &str,
    args: &[Word],
    at: &dyn Fn(&Word) -> Range<usize>,
    out: &mut Vec<Finding>,
) {
    let (options, operands) = split_args(args);
    let from = values(&options, &["--from", "--spec"]);
    let (word, spec) = match (from.first(), operands.first()) {
        (Some((w, v)), _) => (*w, v.clone()),
        (None, Some(w)) => (*w, w.text.clone()),
        (None, None) => return,
    };
    if is_local_or_url(&spec)
        || spec.contains('$')
        || spec.contains(chainward_core::workflow::MASKED_SPACE)
    {
        return;
    }
    // `tool@1.2.3` (uv), `tool@latest`.
    let (name, pinned) = match spec.split_once('@') {
        Some((n, v)) if !v.trim().is_empty() && !n.contains(['=', '<', '>']) => {
            (n.to_string(), v != "latest")
        }
        _ => match pep508::parse(&spec) {
            Ok(r) => (
                r.name.clone(),
                r.pinned_version().is_some() || matches!(r.version, VersionReq::Url(_)),
            ),
            Err(_) => return,
        },
    };
    if pinned {
        return;
    }
    out.push(
        Finding::new(
            &INSTALL_COMMAND,
            file,
            at(word),
            format!(
                "`{shown_cmd}` {} `{}` at whatever version the index serves today",
                if shown_cmd.ends_with("install") {
                    "installs"
                } else {
                    "runs"
                },
                shown(&spec)
            ),
        )
        .with_help(format!(
            "pin an exact version: `{}==1.2.3` (or `{}@1.2.3`)",
            shown(&name),
            shown(&name)
        )),
    );
}

/// `pip install …` / `uv pip install …`.
#[allow(clippy::too_many_arguments)]
fn pip_install(
    file: &SourceFile,
    script: &Script<'_>,
    shown_cmd: &str,
    args: &[Word],
    cwd: Option<&str>,
    judge: &Judge<'_>,
    at: &dyn Fn(&Word) -> Range<usize>,
    out: &mut Vec<Finding>,
) {
    let (options, operands) = split_args(args);
    let require_hashes = flag(&options, &["--require-hashes"]);
    let constrained = !values(
        &options,
        &[
            "-c",
            "--constraint",
            "--constraints",
            "--build-constraint",
            "--build-constraints",
            "--overrides",
        ],
    )
    .is_empty()
        || script.vars.contains_key("PIP_CONSTRAINT")
        || script.vars.contains_key("UV_CONSTRAINT");
    let dry = flag(&options, &["--dry-run", "--help", "-h", "--download"]);
    if dry {
        return;
    }
    // Packages named on the command line.
    for word in &operands {
        let text = word.text.as_str();
        if is_local_or_url(text) || text.contains(chainward_core::workflow::MASKED_SPACE) {
            continue;
        }
        let Ok(req) = pep508::parse(text) else {
            continue;
        };
        if req.pinned_version().is_some()
            || matches!(req.version, VersionReq::Url(_))
            || constrained
            || require_hashes
        {
            continue;
        }
        // pip, setuptools and wheel upgrading themselves: a warning (the installer, not the
        // project's dependencies).
        let bootstrap = matches!(
            req.normalized_name().as_str(),
            "pip" | "setuptools" | "wheel"
        );
        let mut f = Finding::new(
            &INSTALL_COMMAND,
            file,
            at(word),
            format!(
                "`{shown_cmd} {}` installs whatever version the index serves today",
                shown(text)
            ),
        )
        .with_help(format!("pin an exact version (`{}==1.2.3`), or install from a hashed requirements file (`-r requirements.txt --require-hashes`)", shown(&req.name)));
        if bootstrap {
            f = f.with_severity(Severity::Warning);
        }
        out.push(f);
    }
    // Requirements files.
    for (word, path) in values(&options, &["-r", "--requirement", "--requirements"]) {
        let Some(req_file) = find_file(judge, file, cwd, &path) else {
            continue;
        };
        let Some(model) = requirements_file(&req_file) else {
            continue;
        };
        if model.fully_hashed() || require_hashes || model.require_hashes {
            continue;
        }
        let named: Vec<_> = model.entries.iter().filter(|e| !e.is_direct()).collect();
        if named.is_empty() {
            continue;
        }
        let ranged: Vec<&str> = named
            .iter()
            .filter(|e| {
                e.req.as_ref().is_some_and(|r| {
                    r.pinned_version().is_none() && !matches!(r.version, VersionReq::Url(_))
                })
            })
            .map(|e| e.text.as_str())
            .collect();
        // `-c constraints.txt` inside the file constrains the install too.
        let constrained = constrained || model.includes.iter().any(|i| i.constraint);
        let rel = &req_file.rel;
        let (message, severity) = if !ranged.is_empty() && !constrained {
            (
                format!(
                    "`{shown_cmd} -r {}` resolves ranges (`{}`{}): what gets installed changes with every release",
                    shown(&path),
                    shown(ranged[0]),
                    if ranged.len() > 1 {
                        format!(" and {} more", ranged.len() - 1)
                    } else {
                        String::new()
                    }
                ),
                Severity::Error,
            )
        } else {
            (
                format!(
                    "`{shown_cmd} -r {}` installs without hashes: {} pins versions, but pip cannot tell a replaced file from the one that was reviewed",
                    shown(&path),
                    shown(rel)
                ),
                Severity::Warning,
            )
        };
        out.push(
            Finding::new(&INSTALL_COMMAND, file, at(word), message)
                .with_severity(severity)
                .with_help("install from a lock with hashes: `uv export --format requirements-txt --generate-hashes -o requirements.txt` (or `pip-compile --generate-hashes`), then `pip install --require-hashes -r requirements.txt`; or `uv sync --locked`"),
        );
    }
}

/// The file `path` names (any kind chainward discovers), from the command's folder, or the
/// Dockerfile's.
fn find_project_file(
    judge: &Judge<'_>,
    file: &SourceFile,
    cwd: Option<&str>,
    path: &str,
) -> Option<std::sync::Arc<SourceFile>> {
    let project = judge.ctx.project;
    let mut bases: Vec<String> = vec![cwd.unwrap_or_default().to_string()];
    if file.kind == FileKind::Dockerfile {
        bases.push(
            Path::new(&file.rel)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    bases
        .into_iter()
        .find_map(|base| project.file_at(&project.root.join(join_dir(&base, path))))
}

/// The project file `path` names, from the command's folder (`cwd`); for a Dockerfile, from the
/// build context (the Dockerfile's folder) too.
fn find_file(
    judge: &Judge<'_>,
    file: &SourceFile,
    cwd: Option<&str>,
    path: &str,
) -> Option<std::sync::Arc<SourceFile>> {
    if !relative_dir(path) {
        return None;
    }
    let project = judge.ctx.project;
    let mut bases: Vec<String> = vec![cwd.unwrap_or_default().to_string()];
    if file.kind == FileKind::Dockerfile {
        let dir = Path::new(&file.rel)
            .parent()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        bases.push(dir);
    }
    // Only a requirements file (`-r pyproject.toml` is not one: its own parser reads it).
    bases
        .into_iter()
        .find_map(|base| {
            let rel = join_dir(&base, path);
            project.file_as(&project.root.join(rel), FileKind::Requirements)
        })
        .filter(|f| f.kind == FileKind::Requirements)
}
