//! One run of `check` / `fix`: the engine configured from the command line and the config, the
//! project discovered, checked (and fixed), then rendered; the exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chainward_core::config::Config;
use chainward_core::{Error, FileKind, Finding, Plugin, Project, Severity};
use chainward_engine::{Engine, External, FixPolicy, Selection, baseline, registry};

use crate::cli::{CheckArgs, ColorChoice, OutputFormat, Threshold};

pub fn check(
    args: &CheckArgs,
    only: Option<&'static dyn Plugin>,
    fix_mode: bool,
) -> Result<ExitCode, Error> {
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let root = project_root(&paths);
    let ids = registry::plugin_ids();
    let config: Config = match &args.config {
        Some(path) => Config::load(path, &ids)?,
        None => Config::find(&root, &ids)?,
    };
    let external = if args.allow_external_plugins || chainward_engine::external::allowed_by_env() {
        External::Run
    } else {
        External::NotAllowed
    };
    let selection = Selection {
        select: &args.select,
        ignore: &args.ignore,
        only,
    };
    let engine = Engine::new(config, selection, external)?;
    let mut project =
        Project::discover(&paths, &engine.discover_options(args.include_node_modules))?;
    let online = if args.online {
        let choice = chainward_engine::online::Choice {
            registry: args.registry.clone(),
            allow_http: args.allow_http_registry,
            cache_dir: args.cache_dir.clone(),
        };
        let client = std::sync::Arc::new(chainward_engine::online::client(
            &choice,
            &project,
            engine.config(),
        )?);
        project.set_registry(client.clone());
        Some(client)
    } else {
        None
    };
    if args.list {
        if only.map(|p| p.id()) != Some("install-scripts") {
            return Err(Error::Usage(
                "--list prints the install-script inventory: run `chainward install-scripts --list`"
                    .into(),
            ));
        }
        return print_inventory(&project, engine.config(), args);
    }
    // A malformed baseline is exit 2 before anything runs.
    let baseline = match &args.baseline {
        Some(path) => Some(baseline::Baseline::load(path)?),
        None => None,
    };
    let base = match &args.base {
        Some(rev) => {
            let base = std::sync::Arc::new(project.at_revision(rev)?);
            project.set_base(std::sync::Arc::clone(&base));
            Some(base)
        }
        None => None,
    };

    let findings = engine.check(&project);
    // `--base`: keep what the base revision did not already have.
    let base_findings = base.as_deref().map(|b| (engine.check(b), b));
    let wants_fix = fix_mode || args.fix || args.diff;
    let mut applied = None;
    let outcome = if wants_fix {
        let policy = FixPolicy {
            unsafe_fixes: args.unsafe_fixes,
            ..FixPolicy::default()
        };
        let outcome = engine.fix_until_stable(&project, findings, policy)?;
        let changed = outcome.files_changed(&project);
        if args.diff {
            write!(
                crate::stdout_safe(chainward_core::escape::Mode::Log),
                "{}",
                outcome.diff(&project)?
            )
            .map_err(|e| Error::io(Path::new("<stdout>"), e))?;
            let _ = writeln!(
                crate::stderr(),
                "{} would be applied to {}; nothing was written (--diff).",
                count(outcome.fixes_applied, "fix", "fixes"),
                count(changed, "file", "files")
            );
            return Ok(ExitCode::from(u8::from(changed > 0)));
        }
        outcome.write(&project)?;
        applied = Some(format!(
            "Applied {} to {}.",
            count(outcome.fixes_applied, "fix", "fixes"),
            count(changed, "file", "files")
        ));
        outcome
    } else {
        chainward_engine::FixOutcome {
            findings,
            ..Default::default()
        }
    };
    let shown = outcome.project(&project);
    let mut findings = outcome.findings.clone();
    if let Some((before, base_project)) = &base_findings {
        findings = chainward_engine::introduced(findings, shown, before, base_project);
    }
    if let Some(path) = &args.write_baseline {
        let n = baseline::write(path, &findings, shown)?;
        if !args.quiet {
            let _ = writeln!(
                crate::stderr(),
                "Recorded {} in {}; `chainward check --baseline {}` shows only new ones.",
                count(n, "finding", "findings"),
                path.display(),
                path.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(baseline) = &baseline {
        findings = baseline.apply(findings, shown, |rule| engine.is_enabled(rule));
        findings.retain(|f| engine.is_enabled(&f.rule));
    }
    render(args, &engine, shown, &findings)?;
    if args.verbose {
        notes(&project, shown, online.as_deref());
    }
    if let Some(applied) = applied.filter(|_| !args.quiet) {
        let _ = writeln!(crate::stderr(), "{applied}");
    }
    let threshold = match args.severity_threshold {
        Some(Threshold::Info) => Severity::Info,
        Some(Threshold::Warning) => Severity::Warning,
        Some(Threshold::Error) => Severity::Error,
        None => engine
            .config()
            .severity_threshold
            .unwrap_or(Severity::Warning),
    };
    let failing = findings.iter().any(|f| f.severity >= threshold);
    // The process ends here: freeing the parsed lockfiles (hundreds of thousands of small
    // allocations on a big one) would only delay the exit.
    std::mem::forget(outcome);
    std::mem::forget(project);
    Ok(ExitCode::from(u8::from(failing)))
}

/// The folder the config is looked up from: the first path, or the folder of the first file.
fn project_root(paths: &[PathBuf]) -> PathBuf {
    let root = match paths.first() {
        Some(p) if p.is_dir() => p.clone(),
        Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => PathBuf::new(),
    };
    if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    }
}

/// The findings in the format asked for, to stdout or `--output`.
fn render(
    args: &CheckArgs,
    engine: &Engine,
    project: &Project,
    findings: &[Finding],
) -> Result<(), Error> {
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let sources = |path: &Path| -> Option<std::sync::Arc<chainward_core::SourceFile>> {
        project.source(path).or_else(|| {
            // A file no plugin read (chainward.toml): read it for the snippet, never through
            // a link out of the project.
            let text = project.read_text(path)?;
            Some(std::sync::Arc::new(chainward_core::SourceFile::in_memory(
                path,
                FileKind::PackageJson,
                text,
            )))
        })
    };
    let report = chainward_report::Report {
        findings,
        rules: engine.rules(),
        sources: &sources,
        tool_version: env!("CARGO_PKG_VERSION"),
        color,
        summary: !args.quiet,
    };
    let format = match args.format {
        OutputFormat::Text => chainward_report::Format::Text,
        OutputFormat::Json => chainward_report::Format::Json,
        OutputFormat::Sarif => chainward_report::Format::Sarif,
        OutputFormat::Github => chainward_report::Format::Github,
    };
    if args.quiet && format == chainward_report::Format::Text && findings.is_empty() {
        return Ok(());
    }
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            chainward_report::render(format, &report, &mut buf).map_err(|e| Error::io(path, e))?;
            std::fs::write(path, buf).map_err(|e| Error::io(path, e))
        }
        None => chainward_report::render(format, &report, &mut std::io::stdout().lock())
            .map_err(|e| Error::io(Path::new("<stdout>"), e)),
    }
}

/// `--verbose`: test-data folders skipped, what the plugins noted, registry traffic.
fn notes(project: &Project, shown: &Project, online: Option<&chainward_online::RegistryClient>) {
    let mut err = crate::stderr();
    let skipped = &project.skipped_test_data;
    if !skipped.is_empty() {
        let listed: Vec<&str> = skipped.iter().take(5).map(String::as_str).collect();
        let more = if skipped.len() > listed.len() {
            ", …"
        } else {
            ""
        };
        let _ = writeln!(
            err,
            "note: {} not checked ({}{more}): `[files] include` checks them",
            count(skipped.len(), "test-data folder", "test-data folders"),
            listed.join(", "),
        );
    }
    for note in shown.notes() {
        let _ = writeln!(err, "note: {note}");
    }
    if let Some(client) = online {
        let stats = client.stats();
        let _ = writeln!(
            err,
            "note: --online: {} registry document(s) fetched, {} read from the cache",
            stats.fetched, stats.from_cache
        );
    }
}

/// `chainward install-scripts --list`: the inventory as a table or JSON.
fn print_inventory(
    project: &Project,
    config: &Config,
    args: &CheckArgs,
) -> Result<ExitCode, Error> {
    let rows = install_scripts::list(project, &config.plugin("install-scripts"));
    let io = |e| Error::io(Path::new("<stdout>"), e);
    let mut out = crate::stdout_safe(match args.format {
        OutputFormat::Json => chainward_core::escape::Mode::Json,
        _ => chainward_core::escape::Mode::Log,
    });
    if args.format == OutputFormat::Json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "lockfile": r.lockfile, "name": r.name, "version": r.version,
                    "scripts": r.scripts, "approved_by": r.approved_by,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&list).unwrap_or_default();
        writeln!(out, "{text}").map_err(io)?;
        return Ok(ExitCode::SUCCESS);
    }
    let width = |f: &dyn Fn(&install_scripts::Row) -> usize, min: usize| {
        rows.iter().map(f).max().unwrap_or(0).max(min)
    };
    let w_pkg = width(&|r| r.name.len() + r.version.len() + 1, 7);
    let w_appr = width(&|r| r.approved_by.as_deref().unwrap_or("-").len(), 11);
    writeln!(
        out,
        "{:<w_pkg$}  {:<w_appr$}  SCRIPTS",
        "PACKAGE", "APPROVED BY"
    )
    .map_err(io)?;
    for r in &rows {
        writeln!(
            out,
            "{:<w_pkg$}  {:<w_appr$}  {}",
            format!("{}@{}", r.name, r.version),
            r.approved_by.as_deref().unwrap_or("-"),
            r.scripts
        )
        .map_err(io)?;
    }
    let scripted = rows.iter().filter(|r| r.scripts.starts_with("yes")).count();
    let unapproved = rows
        .iter()
        .filter(|r| r.scripts.starts_with("yes") && r.approved_by.is_none())
        .count();
    let unknown = if project.registry().is_some() {
        "unknown (not in the lockfile, not installed, not answered by the registry)"
    } else {
        "unknown offline (`--online` asks the registry)"
    };
    writeln!(
        out,
        "\n{scripted} with install scripts ({unapproved} unapproved), {} {unknown}.",
        rows.len() - scripted
    )
    .map_err(io)?;
    if args.verbose {
        for note in project.notes() {
            let _ = writeln!(crate::stderr(), "note: {note}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `n` and the noun that goes with it.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
