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
    if args.statistics && !matches!(args.format, OutputFormat::Text | OutputFormat::Json) {
        return Err(Error::Usage(
            "--statistics prints a table (text) or a JSON array (json)".into(),
        ));
    }
    if args.format == OutputFormat::InToto {
        // An attestation states what the tree is; filtered findings would state less.
        if args.base.is_some() || args.baseline.is_some() || args.write_baseline.is_some() {
            return Err(Error::Usage(
                "--format in-toto attests every finding: it does not combine with --base, --baseline or --write-baseline".into(),
            ));
        }
        if args.statistics {
            return Err(Error::Usage(
                "--format in-toto does not combine with --statistics".into(),
            ));
        }
    } else if args.timestamp {
        return Err(Error::Usage("--timestamp is for --format in-toto".into()));
    }
    if let (Some(a), Some(b)) = (&args.sarif, &args.output)
        && a == b
    {
        return Err(Error::Usage(format!(
            "--sarif and --output are the same file ({})",
            a.display()
        )));
    }
    let wants_fix = fix_mode || args.fix || args.diff;
    let (engine, mut project, online) = prepare(args, only, wants_fix)?;
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
    let mut applied = None;
    let mut fix_list = None;
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
            if args.show_fixes {
                let _ = write!(crate::stderr(), "{}", show_fixes(&outcome.fixed, true));
            }
            return Ok(ExitCode::from(u8::from(changed > 0)));
        }
        outcome.write(&project)?;
        applied = Some(format!(
            "Applied {} to {}.",
            count(outcome.fixes_applied, "fix", "fixes"),
            count(changed, "file", "files"),
        ));
        if args.show_fixes {
            fix_list = Some(show_fixes(&outcome.fixed, false));
        }
        outcome
    } else {
        if args.show_fixes {
            // What `chainward fix` would do: the fix loop in memory, nothing written.
            let policy = FixPolicy {
                unsafe_fixes: args.unsafe_fixes,
                ..FixPolicy::default()
            };
            let dry = engine.fix_until_stable(&project, findings.clone(), policy)?;
            fix_list = Some(show_fixes(&dry.fixed, true));
        }
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
    // Asked for by name: printed even with --quiet.
    if let Some(list) = fix_list {
        let _ = write!(crate::stderr(), "{list}");
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
    let failing = !args.exit_zero && findings.iter().any(|f| f.severity >= threshold);
    // The process ends here: freeing the parsed lockfiles (hundreds of thousands of small
    // allocations on a big one) would only delay the exit.
    std::mem::forget(outcome);
    std::mem::forget(project);
    Ok(ExitCode::from(u8::from(failing)))
}

/// The engine configured from the command line and the config, the project discovered with it,
/// and the `--online` registry client.
type Prepared = (
    Engine,
    Project,
    Option<std::sync::Arc<chainward_online::RegistryClient>>,
);

/// `fixing`: the run applies or shows fixes, so fixes that ask the network (an action's commit)
/// are worth asking for; a plain `check --online` asks only the package registry.
fn prepare(
    args: &CheckArgs,
    only: Option<&'static dyn Plugin>,
    fixing: bool,
) -> Result<Prepared, Error> {
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let root = project_root(&paths);
    let ids = registry::plugin_ids();
    let mut config: Config = match &args.config {
        Some(path) => Config::load(path, &ids)?,
        None => Config::find(&root, &ids)?,
    };
    if let Some(level) = args.audit_level {
        config.set_plugin_string("advisories", "audit-level", level.name());
    }
    if args.verbose {
        let said = match (&config.path, &config.base) {
            (Some(path), Some(base)) => format!(
                "note: config: {} (found above the scanned folder; its paths are read from its own folder, which holds {base})",
                path.display()
            ),
            (Some(path), None) => format!("note: config: {}", path.display()),
            (None, _) => format!(
                "note: config: none (no chainward.toml in {} or above it up to the repository root): the defaults apply",
                root.display()
            ),
        };
        let _ = writeln!(
            crate::stderr(),
            "{}",
            chainward_core::escape::safe_text(&said, chainward_core::escape::Mode::Log)
        );
    }
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
    let mut project = engine.discover(&paths, args.include_node_modules)?;
    let choice = chainward_engine::online::Choice {
        registry: args.registry.clone(),
        allow_http: args.allow_http_registry,
        cache_dir: args.cache_dir.clone(),
    };
    let online = if args.online {
        let client = std::sync::Arc::new(chainward_engine::online::client(
            &choice,
            &project,
            engine.config(),
        )?);
        project.set_registry(client.clone());
        project.set_metadata(client.clone());
        if fixing {
            let api = args
                .github_api
                .as_deref()
                .unwrap_or(chainward_online::DEFAULT_GITHUB_API);
            let token = std::env::var("GITHUB_TOKEN").ok();
            let cache = args
                .cache_dir
                .clone()
                .or_else(chainward_online::RegistryClient::default_cache_dir);
            let forge = chainward_online::GitHubClient::new(
                api,
                args.allow_http_registry,
                token,
                cache.as_deref(),
            )
            .map_err(Error::Usage)?;
            project.set_forge(std::sync::Arc::new(forge));
            let images = chainward_online::ImageClient::new(
                &args.image_registry,
                args.allow_http_registry,
                cache.as_deref(),
            )
            .map_err(Error::Usage)?;
            project.set_images(std::sync::Arc::new(images));
        }
        Some(client)
    } else {
        // What an earlier `--online` run cached, read without the network.
        if let Ok(client) = chainward_engine::online::client(&choice, &project, engine.config()) {
            project.set_metadata(std::sync::Arc::new(client.offline()));
        }
        None
    };
    // Read only for a run that checks a lockfile with the plugin on (a hook checking a
    // workflow never opens it).
    if chainward_engine::registry::plugin("advisories")
        .is_some_and(|p| p.rules().iter().any(|r| engine.is_enabled(r.id)))
        && project.files().iter().any(|f| f.kind.is_lockfile())
    {
        let cache = args
            .cache_dir
            .clone()
            .or_else(chainward_online::RegistryClient::default_cache_dir);
        if let Some(db) = chainward_engine::advisories::database(
            args.advisory_db.as_deref(),
            &project,
            engine.config(),
            cache.as_deref(),
        )? {
            if db.damaged_count > 0 {
                let (at, why) = db.damaged.first().cloned().unwrap_or_default();
                let _ = writeln!(
                    crate::stderr(),
                    "warning: {} record{} of the advisory database could not be read and {} left out (first: {}: {})",
                    db.damaged_count,
                    if db.damaged_count == 1 { "" } else { "s" },
                    if db.damaged_count == 1 { "is" } else { "are" },
                    at,
                    why
                );
            }
            project.set_advisories(db.database);
        }
    }
    Ok((engine, project, online))
}

/// `chainward install-scripts --list`: a plugin's command over the project `check` would
/// discover ([`Mount::Project`](chainward_core::command::Mount::Project)).
pub fn project_command(
    args: &CheckArgs,
    plugin: &'static dyn Plugin,
    name: &str,
) -> Result<ExitCode, Error> {
    let (engine, project, _online) = prepare(args, Some(plugin), false)?;
    let section = engine.config().plugin(plugin.id());
    let output = with_context(
        Some((&project, &section)),
        args.format == OutputFormat::Json,
        |c| plugin.run_command(name, &clap::ArgMatches::default(), c),
    )?;
    let code = emit(output)?;
    if args.verbose {
        for note in project.notes() {
            let _ = writeln!(crate::stderr(), "note: {note}");
        }
    }
    Ok(code)
}

/// A plugin command with no project: `chainward sbom`, `chainward provenance verify`.
pub fn command(
    plugin: &'static dyn Plugin,
    name: &str,
    matches: &clap::ArgMatches,
) -> Result<ExitCode, Error> {
    emit(with_context(None, false, |c| {
        plugin.run_command(name, matches, c)
    })?)
}

/// `run` with what the binary lends a plugin's command (see
/// [`Context`](chainward_core::command::Context)).
fn with_context<R>(
    project: Option<(&Project, &chainward_core::config::PluginConfig)>,
    json: bool,
    run: impl FnOnce(&chainward_core::command::Context<'_>) -> R,
) -> R {
    let rules = registry::all_rules();
    run(&chainward_core::command::Context {
        plugin_ids: &registry::plugin_ids(),
        validate_config: &chainward_engine::validate_config,
        project: project.map(|(p, _)| p),
        section: project.map(|(_, s)| s),
        json,
        rules: &rules,
        tool_version: env!("CARGO_PKG_VERSION"),
        files: &chainward_core::command::DISK,
        download: &|allow_http| Box::new(chainward_online::Downloader::new(allow_http)),
        cache_dir: chainward_online::RegistryClient::default_cache_dir().as_deref(),
        advisories: &|path| {
            let cache = chainward_online::RegistryClient::default_cache_dir();
            Ok(chainward_engine::advisories::open(path, cache.as_deref())?.map(|db| db.database))
        },
    })
}

/// What a command produced: its files written (all or nothing), its output printed, its
/// messages said, its exit code.
fn emit(output: chainward_core::command::Output) -> Result<ExitCode, Error> {
    for write in &output.writes {
        let files = std::collections::BTreeMap::from([(write.path.clone(), write.text.clone())]);
        match &write.original {
            Some(original) => chainward_core::fix::write_checked(
                &files,
                &std::collections::BTreeMap::from([(write.path.clone(), original.clone())]),
                write.within.as_deref(),
            )?,
            None => chainward_core::fix::write_atomically(&files)?,
        }
    }
    let io = |e| Error::io(Path::new("<stdout>"), e);
    match output.stdout_mode {
        Some(mode) => crate::stdout_safe(mode)
            .write_all(output.stdout.as_bytes())
            .map_err(io)?,
        None => std::io::stdout()
            .lock()
            .write_all(output.stdout.as_bytes())
            .map_err(io)?,
    }
    let mut err = crate::stderr();
    for message in &output.messages {
        let _ = writeln!(err, "{message}");
    }
    Ok(ExitCode::from(output.exit))
}

/// The folder the config is looked up from: the first path, or the folder of the first file.
fn project_root(paths: &[PathBuf]) -> PathBuf {
    paths.first().map_or_else(
        || PathBuf::from("."),
        |p| chainward_core::project::project_root_of(p),
    )
}

/// Write a report file atomically (temp file + rename), refusing a path that is a symbolic link:
/// the path may lie in the checked-out tree of a stranger's pull request, which could point it
/// at a file of the runner's.
fn write_report(path: &Path, text: String) -> Result<(), Error> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::Usage(format!(
            "{}: is a symbolic link; chainward does not write reports through links",
            path.display()
        )));
    }
    chainward_core::fix::write_atomically(&[(path.to_path_buf(), text)].into_iter().collect())
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
    let checked: Vec<FileKind> = project.files().iter().map(|f| f.kind).collect();
    let mut report = chainward_report::Report {
        findings,
        rules: engine.rules(),
        sources: &sources,
        tool_version: env!("CARGO_PKG_VERSION"),
        color,
        summary: !args.quiet,
        checked: &checked,
        attestation: None,
    };
    // `--sarif FILE`: the SARIF report beside whatever is printed (the attestation's evidence),
    // its digest that of the bytes written.
    let evidence = match &args.sarif {
        Some(path) => {
            let mut buf = Vec::new();
            chainward_report::render(chainward_report::Format::Sarif, &report, &mut buf)
                .map_err(|e| Error::io(path, e))?;
            let text =
                String::from_utf8(buf).map_err(|e| Error::io(path, std::io::Error::other(e)))?;
            let digest = chainward_core::digest::sha256_hex(text.as_bytes());
            write_report(path, text)?;
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            Some((name, digest))
        }
        None => None,
    };
    let attestation;
    if args.format == OutputFormat::InToto {
        let config = args
            .config
            .clone()
            .or_else(|| Some(project.root.join("chainward.toml")))
            .filter(|p| p.is_file());
        attestation = chainward_engine::attest::build(
            engine,
            project,
            config.as_deref(),
            evidence,
            args.timestamp.then(chainward_engine::attest::now),
        )?;
        report.attestation = Some(&attestation);
    }
    let format = match args.format {
        OutputFormat::Text => chainward_report::Format::Text,
        OutputFormat::Concise => chainward_report::Format::Concise,
        OutputFormat::Json => chainward_report::Format::Json,
        OutputFormat::Sarif => chainward_report::Format::Sarif,
        OutputFormat::Github => chainward_report::Format::Github,
        OutputFormat::InToto => chainward_report::Format::InToto,
    };
    let human = matches!(
        format,
        chainward_report::Format::Text | chainward_report::Format::Concise
    );
    if args.quiet && human && findings.is_empty() {
        return Ok(());
    }
    let write = |out: &mut dyn Write| {
        if args.statistics {
            chainward_report::statistics(&report, args.format == OutputFormat::Json, out)
        } else {
            chainward_report::render(format, &report, out)
        }
    };
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            write(&mut buf).map_err(|e| Error::io(path, e))?;
            let text =
                String::from_utf8(buf).map_err(|e| Error::io(path, std::io::Error::other(e)))?;
            write_report(path, text)?;
            // The report went to a file: a person at the terminal still sees how it went.
            if !args.quiet && std::io::stderr().is_terminal() {
                let _ = writeln!(
                    crate::stderr(),
                    "{} Written to {}.",
                    chainward_report::summary_line(&report),
                    path.display()
                );
            }
            Ok(())
        }
        None => {
            // Written in blocks, not a line at a time (a report of thousands of lines).
            let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match write(&mut out).and_then(|()| out.flush()) {
                // `chainward check | head`: the reader has gone; nothing more to say.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| Error::io(Path::new("<stdout>"), e)),
            }
        }
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

/// `n` and the noun that goes with it.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `--show-fixes`: the applied fixes by file and rule, as ruff enumerates them.
fn show_fixes(fixed: &[chainward_engine::Fixed], dry: bool) -> String {
    let mut by_file: std::collections::BTreeMap<&Path, std::collections::BTreeMap<&str, usize>> =
        std::collections::BTreeMap::new();
    for f in fixed {
        *by_file
            .entry(f.path.as_path())
            .or_default()
            .entry(f.rule.as_str())
            .or_default() += 1;
    }
    if fixed.is_empty() {
        return if dry {
            "`chainward fix` would fix nothing.\n".to_string()
        } else {
            String::new()
        };
    }
    let mut out = format!(
        "{} {}:\n",
        if dry {
            "`chainward fix` would fix"
        } else {
            "Fixed"
        },
        count(fixed.len(), "finding", "findings")
    );
    for (path, rules) in by_file {
        out.push_str(&format!(
            "- {}:\n",
            path.display().to_string().replace('\\', "/")
        ));
        for (rule, n) in rules {
            let code = registry::rule(rule).map(|r| r.code).unwrap_or_default();
            out.push_str(&format!("    {n} × {rule} ({code})\n"));
        }
    }
    out
}
