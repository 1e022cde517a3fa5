//! One run of `check` / `fix`: config, discovery, plugins in parallel, filters, the fix loop,
//! and the report.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chainward_core::config::Config;
use chainward_core::filter::{self, RuleLevels};
use chainward_core::fix::{self, Applicability};
use chainward_core::project::DiscoverOptions;
use chainward_core::rule::{core_rules, did_you_mean};
use chainward_core::{Error, FileKind, Finding, Location, Plugin, Project, Severity};
use rayon::prelude::*;

use crate::cli::{CheckArgs, ColorChoice, OutputFormat, Threshold};
use crate::registry;

/// Rounds of fix → re-check before giving up on convergence.
const MAX_FIX_ROUNDS: usize = 10;

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
    let root = match paths.first() {
        Some(p) if p.is_dir() => p.clone(),
        Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => PathBuf::from("."),
    };
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    };

    let ids = registry::plugin_ids();
    let config: Config = match &args.config {
        Some(path) => Config::load(path, &ids)?,
        None => Config::find(&root, &ids)?,
    };
    let rules = registry::all_rules();
    validate_config(&config, &rules)?;
    for selector in args.select.iter().chain(&args.ignore) {
        if !rules.iter().any(|r| r.matches(selector)) {
            let hint = did_you_mean(selector, rules.iter().map(|r| r.id))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "unknown rule `{selector}`{hint} (see `chainward rules`)"
            )));
        }
    }

    let mut select = args.select.clone();
    if let Some(plugin) = only {
        // `chainward pin-check` = only that plugin's rules (and the engine's own).
        if select.is_empty() {
            select.push(plugin.id().to_string());
        } else {
            select.retain(|s| plugin.rules().iter().any(|r| r.matches(s)));
            if select.is_empty() {
                return Err(Error::Usage(format!(
                    "none of the selected rules belongs to {}",
                    plugin.id()
                )));
            }
        }
        select.extend(core_rules::ALL.iter().map(|r| r.id.to_string()));
    }
    let levels = RuleLevels::resolve(&rules, &config, &select, &args.ignore);

    let options = DiscoverOptions {
        include_node_modules: args.include_node_modules || config.include_node_modules,
        exclude: config.exclude.clone(),
        include: config.include.clone(),
        max_file_size: config
            .max_file_size
            .unwrap_or(chainward_core::project::DEFAULT_MAX_FILE_SIZE),
        max_files: config
            .max_files
            .unwrap_or(chainward_core::project::DEFAULT_MAX_FILES),
    };
    let mut project = Project::discover(&paths, &options)?;
    let online = if args.online {
        let client = std::sync::Arc::new(registry_client(args, &project, &config)?);
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
        return print_inventory(&project, &config, args);
    }
    // A malformed baseline is exit 2 before anything runs.
    let baseline = match &args.baseline {
        Some(path) => Some(crate::baseline::Baseline::load(path)?),
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
    let plugins: Vec<&'static dyn Plugin> = registry::PLUGINS
        .iter()
        .copied()
        .filter(|p| levels.plugin_enabled(*p))
        .collect();

    let external = match only {
        Some(_) => External::No,
        None if args.allow_external_plugins || external_allowed_by_env() => External::Run,
        None => External::NotAllowed,
    };
    let run = |project: &Project| -> Vec<Finding> {
        run_plugins(project, &config, &plugins, external, &levels, &rules)
    };

    let mut findings = run(&project);
    // `--base`: keep what the base revision did not already have.
    let base_findings = base.as_deref().map(|b| (run(b), b));
    let threshold = match args.severity_threshold {
        Some(Threshold::Info) => Severity::Info,
        Some(Threshold::Warning) => Severity::Warning,
        Some(Threshold::Error) => Severity::Error,
        None => config.severity_threshold.unwrap_or(Severity::Warning),
    };

    let wants_fix = fix_mode || args.fix || args.diff;
    let mut fixed = 0usize;
    let mut changed_files = 0usize;
    let mut final_project = None;
    if wants_fix {
        let allowed = |f: &&Finding| {
            f.fix
                .as_ref()
                .is_some_and(|x| x.applicability == Applicability::Safe || args.unsafe_fixes)
        };
        let mut changes: BTreeMap<PathBuf, String> = BTreeMap::new();
        let mut current = None::<Project>;
        for _ in 0..MAX_FIX_ROUNDS {
            let proj = current.as_ref().unwrap_or(&project);
            let fixes: Vec<&chainward_core::Fix> = findings
                .iter()
                .filter(allowed)
                .filter_map(|f| f.fix.as_ref())
                .collect();
            if fixes.is_empty() {
                break;
            }
            let applied = apply_fixes(proj, &fixes)?;
            if applied.files.is_empty() {
                break;
            }
            fixed += applied.applied;
            changes.extend(applied.files);
            let next = project.with_changes(&changes);
            findings = run(&next);
            current = Some(next);
        }
        changed_files = changes
            .iter()
            .filter(|(p, new)| std::fs::read_to_string(p).ok().as_deref() != Some(new.as_str()))
            .count();
        if args.diff {
            let mut out = crate::stdout_safe(chainward_core::escape::Mode::Log);
            for (path, new) in &changes {
                let old = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                write!(out, "{}", fix::unified_diff(path, &old, new))
                    .map_err(|e| Error::io(Path::new("<stdout>"), e))?;
            }
            let mut err = crate::stderr();
            let _ = writeln!(
                err,
                "{} {} would be applied to {} {}; nothing was written (--diff).",
                fixed,
                plural(fixed, "fix", "fixes"),
                changed_files,
                plural(changed_files, "file", "files")
            );
            return Ok(if changed_files > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            });
        }
        // What each file held when it was read: a file changed since is not overwritten.
        let originals: BTreeMap<PathBuf, String> = changes
            .keys()
            .filter_map(|path| {
                let file = project.source(path).or_else(|| project.file_at(path))?;
                Some((path.clone(), file.text().ok()?.to_string()))
            })
            .collect();
        fix::write_checked(&changes, &originals, Some(&project.root))?;
        final_project = current;
    }

    let shown_project = final_project.as_ref().unwrap_or(&project);
    if let Some((before, base_project)) = &base_findings {
        findings = introduced(findings, shown_project, before, base_project);
    }
    if let Some(path) = &args.write_baseline {
        let n = crate::baseline::write(path, &findings, shown_project)?;
        if !args.quiet {
            let _ = writeln!(
                crate::stderr(),
                "Recorded {n} {} in {}; `chainward check --baseline {}` shows only new ones.",
                plural(n, "finding", "findings"),
                path.display(),
                path.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(baseline) = &baseline {
        findings = baseline.apply(findings, shown_project, |rule| levels.is_enabled(rule));
        findings.retain(|f| levels.is_enabled(&f.rule));
    }
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
        shown_project.source(path).or_else(|| {
            // A file no plugin read (chainward.toml): read it for the snippet, never through
            // a link out of the project.
            let text = shown_project.read_text(path)?;
            Some(std::sync::Arc::new(chainward_core::SourceFile::in_memory(
                path,
                FileKind::PackageJson,
                text,
            )))
        })
    };
    let report = chainward_report::Report {
        findings: &findings,
        rules: &rules,
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
    let quiet_text = args.quiet && format == chainward_report::Format::Text && findings.is_empty();
    if !quiet_text {
        match &args.output {
            Some(path) => {
                let mut buf = Vec::new();
                chainward_report::render(format, &report, &mut buf)
                    .map_err(|e| Error::io(path, e))?;
                std::fs::write(path, buf).map_err(|e| Error::io(path, e))?;
            }
            None => {
                let mut out = std::io::stdout().lock();
                chainward_report::render(format, &report, &mut out)
                    .map_err(|e| Error::io(Path::new("<stdout>"), e))?;
            }
        }
    }
    if args.verbose {
        let mut err = crate::stderr();
        let skipped = &project.skipped_test_data;
        if !skipped.is_empty() {
            let shown: Vec<&str> = skipped.iter().take(5).map(String::as_str).collect();
            let _ = writeln!(
                err,
                "note: {} test-data {} not checked ({}{}): `[files] include` checks them",
                skipped.len(),
                plural(skipped.len(), "folder", "folders"),
                shown.join(", "),
                if skipped.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            );
        }
        for note in shown_project.notes() {
            let _ = writeln!(err, "note: {note}");
        }
        if let Some(client) = &online {
            let stats = client.stats();
            let _ = writeln!(
                err,
                "note: --online: {} registry document(s) fetched, {} read from the cache",
                stats.fetched, stats.from_cache
            );
        }
    }
    if wants_fix && !args.quiet {
        let _ = writeln!(
            crate::stderr(),
            "Applied {} {} to {} {}.",
            fixed,
            plural(fixed, "fix", "fixes"),
            changed_files,
            plural(changed_files, "file", "files")
        );
    }
    let failing = findings.iter().any(|f| f.severity >= threshold);
    // The process ends here: freeing the parsed lockfiles (hundreds of thousands of small
    // allocations on a big one) would only delay the exit.
    std::mem::forget(final_project);
    std::mem::forget(project);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// What to do with the external plugins the config names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum External {
    /// One plugin's subcommand: external plugins are not part of it.
    No,
    /// The user allowed them (`--allow-external-plugins`, CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1).
    Run,
    /// Named by the project's config only: each is reported as not run.
    NotAllowed,
}

/// `CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1` (or `true`) in the environment of the person running
/// chainward, which a scanned tree cannot set.
fn external_allowed_by_env() -> bool {
    std::env::var("CHAINWARD_ALLOW_EXTERNAL_PLUGINS")
        .is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// One run of `plugins` (and the config's external plugins, as `external` says) over a
/// project: findings, parse errors, then levels and suppressions.
fn run_plugins(
    project: &Project,
    config: &Config,
    plugins: &[&'static dyn Plugin],
    external: External,
    levels: &RuleLevels,
    rules: &[&'static chainward_core::Rule],
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = plugins
        .par_iter()
        .flat_map_iter(|p| p.check(project, &config.plugin(p.id())))
        .collect();
    match external {
        External::Run => findings.extend(
            config
                .external_plugins
                .par_iter()
                .flat_map_iter(|(name, span)| {
                    crate::external::check_with(name, project, config, span.clone())
                })
                .collect::<Vec<_>>(),
        ),
        External::NotAllowed => {
            findings.extend(config.external_plugins.iter().map(|(name, span)| {
                crate::external::not_allowed(name, project, config, span.clone())
            }))
        }
        External::No => {}
    }
    findings.extend(parse_error_findings(project));
    findings.extend(unsafe_path_findings(project, config));
    filter::apply(findings, project, config, levels, rules)
}

/// Every built-in plugin over `project` with `config` and default levels, no external plugins:
/// what `chainward check` reports, for the fuzz targets and property tests.
pub fn check_project(project: &Project, config: &Config) -> Vec<Finding> {
    let rules = registry::all_rules();
    let levels = RuleLevels::resolve(&rules, config, &[], &[]);
    let plugins: Vec<&'static dyn Plugin> = registry::PLUGINS.to_vec();
    run_plugins(project, config, &plugins, External::No, &levels, &rules)
}

/// The files `fixes` (the safe ones) would change, applied to `project` in one round; `Err`
/// when they overlap or a result does not parse (nothing would be written).
pub fn apply_safe_fixes(
    project: &Project,
    findings: &[Finding],
) -> Result<BTreeMap<PathBuf, String>, Error> {
    let fixes: Vec<&chainward_core::Fix> = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .filter(|x| x.applicability == Applicability::Safe)
        .collect();
    apply_fixes(project, &fixes).map(|applied| applied.files)
}

/// `fixes` applied to `project` in one round, as `fix` does before writing: overlapping fixes
/// skipped, edits that do not fit refused, and every changed file re-parsed (`Err` if one would
/// not parse: nothing would be written).
pub fn apply_fixes(
    project: &Project,
    fixes: &[&chainward_core::Fix],
) -> Result<fix::Applied, Error> {
    let applied = fix::apply(fixes, |path| {
        project
            .source(path)
            .or_else(|| project.file_at(path))
            .ok_or_else(|| Error::Fix {
                path: path.to_path_buf(),
                message: "a fix targets a file that was not read; nothing was written".into(),
            })
            .and_then(|f| {
                f.text().map(str::to_string).map_err(|e| Error::Fix {
                    path: path.to_path_buf(),
                    message: format!("cannot read: {}", e.message),
                })
            })
    })?;
    for (path, text) in &applied.files {
        reparse(project, path, text)?;
    }
    Ok(applied)
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

/// The findings of the working tree that the base revision did not have (as many of each
/// fingerprint as are new).
fn introduced(
    now: Vec<Finding>,
    project: &Project,
    before: &[Finding],
    base: &Project,
) -> Vec<Finding> {
    let mut counts: std::collections::HashMap<(String, PathBuf, String), usize> =
        std::collections::HashMap::new();
    for f in before {
        *counts
            .entry(crate::baseline::fingerprint(f, base))
            .or_default() += 1;
    }
    now.into_iter()
        .filter(|f| {
            let key = crate::baseline::fingerprint(f, project);
            match counts.get_mut(&key) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        })
        .collect()
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A fixed file must still parse as what it is; otherwise nothing is written.
fn reparse(project: &Project, path: &Path, text: &str) -> Result<(), Error> {
    let kind = project
        .source(path)
        .map(|f| f.kind)
        .or_else(|| FileKind::classify(&path.to_string_lossy()));
    let check =
        chainward_core::SourceFile::in_memory(path, kind.unwrap_or(FileKind::PackageJson), text);
    let ok = match check.kind {
        FileKind::PackageJson => chainward_npm::package_json(&check).is_some(),
        k if k.is_lockfile() => chainward_npm::any_lockfile(&check).is_some(),
        k if k.is_yaml() => chainward_core::yaml::parsed(&check).is_some(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let why = check.error().map(|e| e.message.clone()).unwrap_or_default();
        Err(Error::Fix {
            path: path.to_path_buf(),
            message: format!(
                "internal error: the fixed file would not parse ({why}); nothing was written"
            ),
        })
    }
}

/// The host of a registry URL (`https://npm.acme.dev:8443/path` → `npm.acme.dev`).
fn registry_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// `[npm-ci] allowed-hosts`, the list the lockfile host rule uses (npm's and yarn's registries
/// by default).
fn allowed_registry_hosts(config: &Config) -> Vec<String> {
    config
        .plugin("npm-ci")
        .get_string_list("allowed-hosts")
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            npm_ci::DEFAULT_HOSTS
                .iter()
                .map(|h| h.to_string())
                .collect()
        })
}

fn parse_error_findings(project: &Project) -> Vec<Finding> {
    let mut out: Vec<Finding> = project
        .parse_errors()
        .into_iter()
        .map(|err| {
            let location = match project.source(&err.path) {
                Some(file) => Location::new(&file, err.span.clone()),
                None => Location::at(
                    err.path.clone(),
                    0..0,
                    chainward_core::span::LineCol { line: 1, column: 1 },
                    chainward_core::span::LineCol { line: 1, column: 1 },
                ),
            };
            let finding = Finding::at(&core_rules::PARSE_ERROR, location, err.message);
            if err.unsupported {
                finding.with_severity(Severity::Warning)
            } else {
                finding
            }
        })
        .collect();
    out.extend(project.walk_errors.iter().map(|err| {
        let lc = chainward_core::span::LineCol { line: 1, column: 1 };
        Finding::at(
            &core_rules::PARSE_ERROR,
            Location::at(err.path.clone(), 0..0, lc, lc),
            err.message.clone(),
        )
        .with_severity(Severity::Warning)
    }));
    out
}

/// `chainward/unsafe-path`: every link that was not followed (the config's, discovery's, and
/// those met by plugins reading files on demand), at the link, naming where it points.
fn unsafe_path_findings(project: &Project, config: &Config) -> Vec<Finding> {
    let lc = chainward_core::span::LineCol { line: 1, column: 1 };
    config
        .unsafe_link
        .iter()
        .cloned()
        .chain(project.unsafe_links())
        .map(|link| {
            let shown = chainward_core::project::rel_path(&project.root, &link.path);
            Finding::at(
                &core_rules::UNSAFE_PATH,
                Location::at(link.path.clone(), 0..0, lc, lc),
                format!("`{shown}` is {}", link.describe()),
            )
            .with_help(
                "replace the link with the file itself, or point it at a file inside the project",
            )
        })
        .collect()
}

/// Rules named in `[rules]` and `[[ignore]]` must exist; plugin sections must validate.
/// Everything a config can get wrong beyond its syntax: unknown rules, each plugin's section.
pub fn validate_config(
    config: &Config,
    rules: &[&'static chainward_core::Rule],
) -> Result<(), Error> {
    let unknown = |name: &str| !rules.iter().any(|r| r.matches(name));
    let hint = |name: &str| {
        did_you_mean(name, rules.iter().map(|r| r.id))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default()
    };
    for (name, _, span) in &config.rules {
        if unknown(name) {
            return Err(
                config.error_at(span.clone(), format!("unknown rule `{name}`{}", hint(name)))
            );
        }
    }
    for entry in &config.ignores {
        if unknown(&entry.rule) {
            return Err(config.error_at(
                Some(entry.rule_span.clone()),
                format!("unknown rule `{}`{}", entry.rule, hint(&entry.rule)),
            ));
        }
    }
    for plugin in registry::PLUGINS {
        plugin.validate_config(&config.plugin(plugin.id()))?;
    }
    Ok(())
}

/// `--online`: the one registry client, for the registry the user chose: `--registry`, else
/// the project's .npmrc `registry` when it is https on a host of `[npm-ci] allowed-hosts` (a
/// stranger's pull request must not make chainward send the project's package names
/// elsewhere), else npm's. Plain http only with `--allow-http-registry`.
fn registry_client(
    args: &CheckArgs,
    project: &Project,
    config: &Config,
) -> Result<chainward_online::RegistryClient, Error> {
    let from_npmrc = || -> Option<(String, PathBuf)> {
        let path = chainward_core::project::join(&project.root, ".npmrc");
        let file = project.file_at(&path)?;
        let url = chainward_npm::npmrc::npmrc(&file)?
            .get("registry")?
            .value
            .trim()
            .to_string();
        // `${NPM_REGISTRY}`-style values need the environment npm would expand them in.
        (!url.contains("${")).then_some((url, path))
    };
    let registry = match (&args.registry, from_npmrc()) {
        (Some(url), _) => url.clone(),
        (None, Some((url, npmrc))) => {
            let host = registry_host(&url);
            let allowed = allowed_registry_hosts(config);
            let is_default = url.trim_end_matches('/')
                == chainward_online::DEFAULT_REGISTRY.trim_end_matches('/');
            if !is_default
                && !host
                    .as_deref()
                    .is_some_and(|h| allowed.iter().any(|a| a == h))
            {
                return Err(Error::Usage(format!(
                    "--online: {} names the registry `{url}`, whose host is not in `[npm-ci] allowed-hosts` ({}); chainward asks only registries you chose: add the host there, or pass --registry",
                    npmrc.display(),
                    allowed.join(", ")
                )));
            }
            url
        }
        (None, None) => chainward_online::DEFAULT_REGISTRY.to_string(),
    };
    if registry.starts_with("http://") && !args.allow_http_registry {
        return Err(Error::Usage(format!(
            "--online: the registry `{registry}` is plain http, which anyone on the way can answer for; use https, or pass --allow-http-registry for a local mirror"
        )));
    }
    let cache = args
        .cache_dir
        .clone()
        .or_else(chainward_online::RegistryClient::default_cache_dir);
    chainward_online::RegistryClient::new(&registry, cache.as_deref())
        .map_err(|e| Error::Usage(format!("--online: {e}")))
}
