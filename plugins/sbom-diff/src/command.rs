//! `chainward sbom`: the project's SBOM from its lockfile, offline; `chainward sbom diff`: what
//! changed between two SBOMs or two git revisions, as a table, JSON, a Markdown PR comment, or
//! findings (GitHub annotations, SARIF).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, FromArgMatches, Subcommand, ValueEnum};

use chainward_core::command::{Context, FileWrite, Files, Mount, Output};
use chainward_core::escape::{Mode, safe_owned};
use chainward_core::finding::Location;
use chainward_core::project::{DiscoverOptions, join};
use chainward_core::{Error, FileKind, Finding, Project, Severity, SourceFile};

use crate::cyclonedx::SpecVersion;
use crate::diff::Change;
use crate::{Format, Omit, Sbom};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SbomFormat {
    CyclonedxJson,
    SpdxJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SbomOmit {
    Dev,
    Optional,
}

#[derive(Debug, Clone, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct SbomArgs {
    #[command(subcommand)]
    pub command: Option<SbomCommand>,
    #[command(flatten)]
    pub generate: SbomGenerateArgs,
}

#[derive(Debug, Clone, Subcommand)]
enum SbomCommand {
    /// Compare two SBOMs (CycloneDX or SPDX JSON), or the SBOM at a git revision with the
    /// working tree's: added, removed, upgraded and downgraded packages, hashes changed at the
    /// same version, install scripts gained, source and licence changes, new dependency edges
    Diff(SbomDiffArgs),
    /// Check a CycloneDX (1.2–1.7) or SPDX (2.2/2.3) JSON document: errors name the value by
    /// JSON pointer, line and column; `--schema` also validates against a JSON schema file
    Validate {
        /// The SBOM file
        file: PathBuf,
        /// A JSON schema to validate against as well (e.g. the official bom-1.6.schema.json;
        /// schemas it refers to are looked up beside it by file name)
        #[arg(long, value_name = "SCHEMA")]
        schema: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
    Github,
    Sarif,
}

#[derive(Debug, Clone, Args)]
struct SbomDiffArgs {
    /// OLD and NEW SBOM files (or, with --base, the project folder, like every other command)
    #[arg(value_name = "FILE", num_args = 0..=2)]
    pub files: Vec<PathBuf>,
    /// Compare the SBOM made from the lockfile at this git revision (read from git's objects)
    /// with the working tree's
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// The project folder, with --base
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// Output: a table, JSON, a Markdown PR comment, or findings as GitHub annotations / SARIF
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Write to FILE instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest finding severity that makes the exit code 1 [default: warning]
    #[arg(long, value_enum)]
    pub severity_threshold: Option<Threshold>,
}

#[derive(Debug, Clone, Args)]
struct SbomGenerateArgs {
    /// The project folder (its package.json and the lockfile that covers it)
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Document format
    #[arg(long, value_enum, default_value_t = SbomFormat::CyclonedxJson)]
    pub format: SbomFormat,
    /// CycloneDX spec version
    #[arg(long, value_name = "VERSION", default_value = "1.6", value_parser = ["1.5", "1.6"])]
    pub spec_version: String,
    /// Write to FILE (atomically) instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No timestamp, and a serial number derived from the content (SPDX's required `created`
    /// is `$SOURCE_DATE_EPOCH`, or 1970-01-01): the same lockfile gives the same bytes
    #[arg(long)]
    pub reproducible: bool,
    /// Leave out dev or optional packages (repeatable)
    #[arg(long, value_enum, value_delimiter = ',')]
    pub omit: Vec<SbomOmit>,
    /// Add the components' known vulnerabilities (CycloneDX `vulnerabilities`) from this OSV
    /// database (a folder or a zip) [default: the cached one, when there is one]
    #[arg(long, value_name = "PATH")]
    pub advisory_db: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Threshold {
    Info,
    Warning,
    Error,
}

/// `chainward sbom` (with `diff` and `validate`).
pub(crate) fn commands() -> Vec<(Mount, clap::Command)> {
    vec![(
        Mount::Top,
        SbomArgs::augment_args(clap::Command::new("sbom").about(
            "Write the project's SBOM (CycloneDX 1.6 or SPDX 2.3 JSON) from its lockfile, offline",
        )),
    )]
}

pub(crate) fn run_command(
    matches: &clap::ArgMatches,
    context: &Context<'_>,
) -> Result<Output, Error> {
    let args = SbomArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    match &args.command {
        Some(SbomCommand::Diff(diff)) => run_diff(diff, context),
        Some(SbomCommand::Validate { file, schema }) => {
            validate(file, schema.as_deref(), context.files)
        }
        None => generate(&args.generate, context),
    }
}

fn generate(args: &SbomGenerateArgs, context: &Context<'_>) -> Result<Output, Error> {
    let files = context.files;
    // Only the files an SBOM needs are read (package.json, then the lockfile and workspace
    // manifests on demand): no walk of the tree.
    let manifest = join(&args.path, "package.json");
    let uv_lock = join(&args.path, "uv.lock");
    let omit = Omit {
        dev: args.omit.contains(&SbomOmit::Dev),
        optional: args.omit.contains(&SbomOmit::Optional),
    };
    let mut sbom = if files.is_file(&manifest) {
        let project = Project::discover(&[manifest], &DiscoverOptions::default())?;
        crate::from_project(&project, omit)?
    } else if files.is_file(&uv_lock) {
        // A Python project locked by uv.
        let project = Project::discover(&[uv_lock], &DiscoverOptions::default())?;
        crate::from_uv_lock(&project, omit)?
    } else if files.is_file(&join(&args.path, "poetry.lock")) {
        let path = join(&args.path, "poetry.lock");
        let project = Project::discover(std::slice::from_ref(&path), &DiscoverOptions::default())?;
        crate::uv_lock_sbom(&project, &path, omit)?
    } else if files.is_file(&join(&args.path, "pylock.toml")) {
        // A Python project locked as PEP 751 says.
        let path = join(&args.path, "pylock.toml");
        let project = Project::discover(std::slice::from_ref(&path), &DiscoverOptions::default())?;
        crate::uv_lock_sbom(&project, &path, omit)?
    } else {
        return Err(Error::Usage(format!(
            "{}: no package.json, uv.lock, poetry.lock or pylock.toml here (give the project folder)",
            args.path.display()
        )));
    };
    if let SbomFormat::CyclonedxJson = args.format
        && let Some(db) = (context.advisories)(args.advisory_db.as_deref())?
    {
        crate::vulnerabilities(&mut sbom, db.as_ref());
    }
    let format = match args.format {
        SbomFormat::CyclonedxJson => {
            Format::CycloneDx(SpecVersion::parse(&args.spec_version).unwrap_or(SpecVersion::V1_6))
        }
        SbomFormat::SpdxJson => Format::Spdx,
    };
    Ok(emit(
        args.output.as_deref(),
        safe_owned(crate::render(&sbom, format, args.reproducible), Mode::Json),
    ))
}

/// `text` (escaped already) to `--output FILE`, written atomically, or to stdout.
fn emit(output: Option<&Path>, text: String) -> Output {
    match output {
        Some(path) => Output {
            writes: vec![FileWrite {
                path: path.to_path_buf(),
                text,
                original: None,
                within: None,
            }],
            ..Output::default()
        },
        None => Output {
            stdout: text,
            ..Output::default()
        },
    }
}

/// One side of a diff: the SBOM, and how to locate a package in what it was read from.
struct Side {
    label: String,
    sbom: Sbom,
}

/// An SBOM file, or a lockfile (whose SBOM is generated: `sbom diff old/package-lock.json
/// package-lock.json` works without writing SBOMs first).
fn read_sbom(path: &Path, files: &dyn Files) -> Result<(Side, Arc<SourceFile>), Error> {
    let kind = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(FileKind::classify);
    if let Some(kind) = kind.filter(|k| k.is_lockfile()) {
        let project = Project::discover(&[path.to_path_buf()], &DiscoverOptions::default())?;
        let file = project
            .file_as(path, kind)
            .ok_or_else(|| Error::Usage(format!("{}: no such file", path.display())))?;
        let lock = crate::parsed(&file)?;
        let sbom = crate::generate::generate(&project, &file, &lock, Omit::default());
        return Ok((
            Side {
                label: format!("{} ({})", path.display(), lock.format()),
                sbom,
            },
            file,
        ));
    }
    if matches!(
        kind,
        Some(FileKind::UvLock | FileKind::PyLock | FileKind::PoetryLock)
    ) {
        let project = Project::discover(&[path.to_path_buf()], &DiscoverOptions::default())?;
        let sbom = crate::uv_lock_sbom(&project, path, Omit::default())?;
        let file = project
            .file_as(path, kind.unwrap_or(FileKind::UvLock))
            .ok_or_else(|| Error::Usage(format!("{}: no such file", path.display())))?;
        return Ok((
            Side {
                label: format!(
                    "{} ({})",
                    path.display(),
                    kind.map_or("uv.lock", |k| if k == FileKind::PyLock {
                        "pylock.toml"
                    } else {
                        "uv.lock"
                    })
                ),
                sbom,
            },
            file,
        ));
    }
    let text = files.read_text(path)?;
    let (format, sbom) = crate::read::read(&text).map_err(|message| Error::Parse {
        path: path.to_path_buf(),
        location: None,
        message,
    })?;
    let file = Arc::new(SourceFile::in_memory(path, FileKind::PackageJson, text));
    Ok((
        Side {
            label: format!("{} ({format})", path.display()),
            sbom,
        },
        file,
    ))
}

fn run_diff(args: &SbomDiffArgs, context: &Context<'_>) -> Result<Output, Error> {
    type Compared = (Side, Side, Vec<Change>, Vec<Finding>, Vec<Arc<SourceFile>>);
    let (old, new, changes, findings, sources): Compared = match (&args.base, args.files.as_slice())
    {
        // `--base REF [PATH]`: the project folder as a path, like every other command, or
        // `--project DIR`.
        (Some(rev), [] | [_]) => {
            let folder = args.files.first().unwrap_or(&args.project);
            let project =
                Project::discover(std::slice::from_ref(folder), &DiscoverOptions::default())?;
            let base = project.at_revision(rev)?;
            let old = crate::from_project(&base, Omit::default())?;
            let file = crate::project_lockfile(&project)?;
            let lock = crate::parsed(&file)?;
            let new = crate::generate::generate(&project, &file, &lock, Omit::default());
            let changes = crate::diff::diff(&old, &new);
            let locate =
                |name: &str, version: &str| crate::locate(&file, &lock, &new, name, version);
            let findings = crate::rules::findings(&changes, &locate);
            (
                Side {
                    label: format!("{} at {rev}", file.rel),
                    sbom: old,
                },
                Side {
                    label: format!("{} (working tree)", file.rel),
                    sbom: new,
                },
                changes,
                findings,
                vec![Arc::clone(&file)],
            )
        }
        (None, [a, b]) => {
            let (old, _) = read_sbom(a, context.files)?;
            let (new, new_file) = read_sbom(b, context.files)?;
            let changes = crate::diff::diff(&old.sbom, &new.sbom);
            let text = new_file.text().unwrap_or_default();
            let lock = new_file
                .kind
                .is_lockfile()
                .then(|| crate::parsed(&new_file).ok())
                .flatten();
            let locate = |name: &str, version: &str| {
                if let Some(lock) = &lock {
                    return crate::locate(&new_file, lock, &new.sbom, name, version);
                }
                let purl = new
                    .sbom
                    .components
                    .iter()
                    .find(|c| c.name == name && c.version == version)
                    .map(|c| c.purl.as_str())
                    .unwrap_or(name);
                Location::new(&new_file, crate::rules::find_span(text, purl))
            };
            let findings = crate::rules::findings(&changes, &locate);
            (old, new, changes, findings, vec![Arc::clone(&new_file)])
        }
        _ => {
            return Err(Error::Usage(
                    "`chainward sbom diff OLD NEW` compares two SBOM files; `chainward sbom diff --base REF [PATH]` compares the lockfile at a git revision with the working tree".into(),
                ));
        }
    };
    let mut findings = findings;
    findings.sort_by(|a, b| {
        (&a.location.path, a.location.span.start, &a.rule).cmp(&(
            &b.location.path,
            b.location.span.start,
            &b.rule,
        ))
    });
    // Names and versions come from the SBOMs: escaped for where they go. GitHub annotations are
    // escaped by their renderer (their lines are commands on purpose).
    let text = match args.format {
        DiffFormat::Text => safe_owned(table(&old, &new, &changes), Mode::Log),
        DiffFormat::Json => safe_owned(json(&old, &new, &changes), Mode::Json),
        DiffFormat::Markdown => safe_owned(markdown(&changes), Mode::Log),
        DiffFormat::Github | DiffFormat::Sarif => {
            let lookup = |path: &Path| sources.iter().find(|s| s.path == path).cloned();
            let report = chainward_report::Report {
                findings: &findings,
                rules: context.rules,
                sources: &lookup,
                tool_version: context.tool_version,
                color: false,
                summary: false,
                checked: &[],
                attestation: None,
            };
            let format = if args.format == DiffFormat::Github {
                chainward_report::Format::Github
            } else {
                chainward_report::Format::Sarif
            };
            let mut buf = Vec::new();
            chainward_report::render(format, &report, &mut buf)
                .map_err(|e| Error::io(Path::new("<stdout>"), e))?;
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    let threshold = match args.severity_threshold {
        Some(Threshold::Info) => Severity::Info,
        Some(Threshold::Error) => Severity::Error,
        _ => Severity::Warning,
    };
    let failing = findings.iter().any(|f| f.severity >= threshold);
    Ok(emit(args.output.as_deref(), text).with_exit(u8::from(failing)))
}

/// `(kind, package, from, to)` for display.
fn row(c: &Change) -> (&'static str, String, String, String) {
    let short = |h: &str| format!("{}…", crate::rules::short(h));
    match c {
        Change::Added { name, version, .. } => {
            ("added", name.clone(), String::new(), version.clone())
        }
        Change::Removed { name, version, .. } => {
            ("removed", name.clone(), version.clone(), String::new())
        }
        Change::Upgraded { name, from, to } | Change::Downgraded { name, from, to } => {
            (c.kind(), name.clone(), from.clone(), to.clone())
        }
        Change::HashChanged {
            name,
            version,
            algorithm,
            from,
            to,
        } => (
            "hash-changed",
            format!("{name}@{version}"),
            format!("{algorithm} {}", short(from)),
            format!("{algorithm} {}", short(to)),
        ),
        Change::LicenseChanged {
            name,
            version,
            from,
            to,
        } => (
            "license-changed",
            format!("{name}@{version}"),
            from.clone().unwrap_or_default(),
            to.clone().unwrap_or_default(),
        ),
        Change::SourceChanged {
            name,
            version,
            from,
            to,
        } => (
            "source-changed",
            format!("{name}@{version}"),
            from.clone(),
            to.clone(),
        ),
        Change::InstallScriptAdded { name, version }
        | Change::InstallScriptRemoved { name, version }
        | Change::DevToProd { name, version }
        | Change::ProdToDev { name, version } => (
            c.kind(),
            format!("{name}@{version}"),
            String::new(),
            String::new(),
        ),
        Change::EdgeAdded { from, to } | Change::EdgeRemoved { from, to } => (
            c.kind(),
            format!("{from} → {to}"),
            String::new(),
            String::new(),
        ),
        Change::RequiredBy { name, by } => (
            c.kind(),
            format!("{by} → {name}"),
            String::new(),
            String::new(),
        ),
    }
}

/// Counts by kind, in a fixed order, for summaries.
fn summary(changes: &[Change]) -> Vec<(&'static str, usize)> {
    let order = [
        "hash-changed",
        "added",
        "removed",
        "upgraded",
        "downgraded",
        "install-script-added",
        "install-script-removed",
        "source-changed",
        "license-changed",
        "dev-to-prod",
        "prod-to-dev",
        "edge-added",
        "edge-removed",
    ];
    order
        .iter()
        .map(|k| (*k, changes.iter().filter(|c| c.kind() == *k).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn summary_line(changes: &[Change]) -> String {
    let parts: Vec<String> = summary(changes)
        .iter()
        .map(|(k, n)| format!("{n} {}", k.replace('-', " ")))
        .collect();
    if parts.is_empty() {
        "no changes".into()
    } else {
        parts.join(", ")
    }
}

/// What the table and the Markdown show (who requires an added package is in JSON and in the
/// findings).
fn shown(changes: &[Change]) -> impl Iterator<Item = &Change> {
    changes
        .iter()
        .filter(|c| !matches!(c, Change::RequiredBy { .. }))
}

fn table(old: &Side, new: &Side, changes: &[Change]) -> String {
    let rows: Vec<_> = shown(changes).map(row).collect();
    let w_kind = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(4);
    let w_pkg = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(7);
    let w_from = rows.iter().map(|r| r.2.len()).max().unwrap_or(0).max(4);
    let mut out = format!("--- {}\n+++ {}\n", old.label, new.label);
    if !rows.is_empty() {
        out.push_str(&format!(
            "{:<w_kind$}  {:<w_pkg$}  {:<w_from$}  TO\n",
            "KIND", "PACKAGE", "FROM"
        ));
        for (kind, pkg, from, to) in &rows {
            let line = format!("{kind:<w_kind$}  {pkg:<w_pkg$}  {from:<w_from$}  {to}");
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out.push_str(&format!(
        "\n{} → {} components: {}.\n",
        old.sbom.components.len(),
        new.sbom.components.len(),
        summary_line(changes)
    ));
    out
}

fn json(old: &Side, new: &Side, changes: &[Change]) -> String {
    let counts: serde_json::Map<String, serde_json::Value> = summary(changes)
        .into_iter()
        .map(|(k, n)| (k.to_string(), n.into()))
        .collect();
    let doc = serde_json::json!({
        "version": 1,
        "old": { "source": old.label, "components": old.sbom.components.len() },
        "new": { "source": new.label, "components": new.sbom.components.len() },
        "summary": counts,
        "changes": changes,
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

fn markdown(changes: &[Change]) -> String {
    let mut out = format!("### SBOM diff: {}\n\n", summary_line(changes));
    let tampered: Vec<String> = changes
        .iter()
        .filter_map(|c| match c {
            Change::HashChanged { name, version, .. } => Some(format!("`{name}@{version}`")),
            _ => None,
        })
        .collect();
    if !tampered.is_empty() {
        out.push_str(&format!(
            "> [!CAUTION]\n> Same version, different hash (possible tampering): {}\n\n",
            tampered.join(", ")
        ));
    }
    let sections: [(&str, &[&str]); 6] = [
        ("Added", &["added"]),
        ("Removed", &["removed"]),
        ("Upgraded and downgraded", &["upgraded", "downgraded"]),
        (
            "Install scripts, sources, licences",
            &[
                "hash-changed",
                "install-script-added",
                "install-script-removed",
                "source-changed",
                "license-changed",
            ],
        ),
        (
            "Moved between dev and prod",
            &["dev-to-prod", "prod-to-dev"],
        ),
        ("Dependency edges", &["edge-added", "edge-removed"]),
    ];
    for (title, kinds) in sections {
        let rows: Vec<_> = shown(changes)
            .filter(|c| kinds.contains(&c.kind()))
            .map(row)
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "<details><summary>{title} ({})</summary>\n\n| change | package | from | to |\n|---|---|---|---|\n",
            rows.len()
        ));
        for (kind, pkg, from, to) in rows {
            out.push_str(&format!("| {kind} | `{pkg}` | {from} | {to} |\n"));
        }
        out.push_str("\n</details>\n\n");
    }
    out
}

fn validate(path: &Path, schema: Option<&Path>, files: &dyn Files) -> Result<Output, Error> {
    let text = files.read_text(path)?;
    let file = SourceFile::in_memory(path, FileKind::PackageJson, text.clone());
    let at = |span: std::ops::Range<usize>| Location::new(&file, span).start;
    let (kind, mut problems) = crate::validate::validate(&text).map_err(|p| {
        let lc = at(p.span.clone());
        Error::Parse {
            path: path.to_path_buf(),
            location: Some((lc.line, lc.column)),
            message: p.message,
        }
    })?;
    let mut lines: Vec<String> = Vec::new();
    problems.sort_by_key(|p| p.span.start);
    for p in &problems {
        let lc = at(p.span.clone());
        lines.push(format!(
            "{}:{}:{}: {}: {}",
            path.display(),
            lc.line,
            lc.column,
            p.pointer,
            p.message
        ));
    }
    if let Some(schema) = schema {
        for error in schema_errors(&text, schema, files)? {
            lines.push(format!("{}: schema: {error}", path.display()));
        }
    }
    let label = match &kind {
        crate::validate::Kind::CycloneDx(v) => format!("CycloneDX {v}"),
        crate::validate::Kind::Spdx(v) => v.clone(),
    };
    let mut out: String = lines.iter().map(|line| format!("{line}\n")).collect();
    if lines.is_empty() {
        out.push_str(&format!("{}: valid {label}\n", path.display()));
    } else {
        out.push_str(&format!(
            "{}: {} problem(s) in this {label} document\n",
            path.display(),
            lines.len()
        ));
    }
    Ok(Output::text(out, Mode::Log).with_exit(u8::from(!lines.is_empty())))
}

/// Validate against a JSON schema file with boon; schemas it refers to (`spdx.schema.json`,
/// `jsf-0.82.schema.json`) are loaded from the same folder, by file name.
fn schema_errors(text: &str, schema: &Path, files: &dyn Files) -> Result<Vec<String>, Error> {
    let load = |p: &Path| -> Result<serde_json::Value, Error> {
        let t = files.read_text(p)?;
        serde_json::from_str(&t).map_err(|e| Error::Parse {
            path: p.to_path_buf(),
            location: Some((e.line(), e.column())),
            message: e.to_string(),
        })
    };
    let root = load(schema)?;
    let id = root["$id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("file:///{}", schema.display()));
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let base = id.rsplit_once('/').map(|(b, _)| b.to_string());
    if let Some(dir) = schema.parent() {
        for p in files.list(dir) {
            if p == schema || p.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let Ok(value) = load(&p) else { continue };
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(base) = &base {
                let _ = compiler.add_resource(&format!("{base}/{name}"), value.clone());
            }
            if let Some(own) = value["$id"].as_str().map(str::to_string) {
                let _ = compiler.add_resource(&own, value);
            }
        }
    }
    compiler
        .add_resource(&id, root)
        .map_err(|e| Error::Usage(format!("{}: {e}", schema.display())))?;
    let mut schemas = boon::Schemas::new();
    let index = compiler.compile(&id, &mut schemas).map_err(|e| {
        Error::Usage(format!(
            "{}: not a usable JSON schema: {e}",
            schema.display()
        ))
    })?;
    let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    Ok(match schemas.validate(&doc, index) {
        Ok(()) => Vec::new(),
        Err(e) => {
            let mut out = Vec::new();
            collect(&e.detailed_output(), &mut out);
            if out.is_empty() {
                out.push(e.to_string());
            }
            out
        }
    })
}

fn collect(unit: &boon::OutputUnit<'_, '_, '_>, out: &mut Vec<String>) {
    match &unit.error {
        boon::OutputError::Leaf(kind) => {
            let at = unit.instance_location.to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            out.push(format!("{at}: {kind}"));
        }
        boon::OutputError::Branch(children) => {
            for child in children {
                collect(child, out);
            }
        }
    }
}
