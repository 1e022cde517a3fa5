//! The plugin's commands: `chainward allow-script <package>[@range] --reason "…"` approves a
//! dependency's install script in chainward.toml (with its reason) or, with `--in`, in the
//! package manager's own allowlist (the edit keeps every other byte of the file; `--diff` shows
//! it and writes nothing); `chainward install-scripts --list` prints the inventory.

use std::path::{Path, PathBuf};

use clap::{Args, FromArgMatches, ValueEnum};

use chainward_core::command::{Context, FileWrite, Files, Mount, Output};
use chainward_core::config::{self, Config, PluginConfig};
use chainward_core::escape::Mode;
use chainward_core::project::{DiscoverOptions, join};
use chainward_core::span::LineIndex;
use chainward_core::{Error, Project, fix, json, yaml};
use chainward_npm::lockfile::any_lockfile_for;

use crate::edit::{self, Native};

/// Where `allow-script` writes the approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AllowTarget {
    /// `[[install-scripts.allow]]` in chainward.toml, with the reason
    Chainward,
    /// package.json `allowScripts` (`"name@version": true`; the locked version when none is given)
    Npm,
    /// `onlyBuiltDependencies` in pnpm-workspace.yaml, or package.json's `pnpm` field
    Pnpm,
    /// package.json `dependenciesMeta.<name>.built`
    Yarn,
    /// package.json `trustedDependencies`
    Bun,
}

#[derive(Debug, Clone, Args)]
struct AllowScriptArgs {
    /// The package, optionally limited to a semver range: `esbuild`, `sharp@^0.33`, `@scope/pkg@1.2.3`
    #[arg(value_name = "PACKAGE[@RANGE]")]
    pub package: String,
    /// Why its install script is trusted (required for chainward.toml)
    #[arg(long)]
    pub reason: Option<String>,
    /// Write to this allowlist instead of chainward.toml
    #[arg(long = "in", value_enum, default_value_t = AllowTarget::Chainward, value_name = "LIST")]
    pub target: AllowTarget,
    /// The project root
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
    /// Config file to edit (default: chainward.toml in the project root; created if missing)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the unified diff of the edit and write nothing
    #[arg(long)]
    pub diff: bool,
}

pub(crate) fn commands() -> Vec<(Mount, clap::Command)> {
    vec![
        (
            Mount::Top,
            AllowScriptArgs::augment_args(clap::Command::new("allow-script").about(
                "Approve a dependency's install script: an entry with its reason in chainward.toml, or with `--in` the package manager's own allowlist",
            )),
        ),
        (
            Mount::Project,
            clap::Command::new("list").about(
                "Print the install-script inventory (packages with scripts or unknown status, and what approves each) instead of findings; `--format json`",
            ),
        ),
    ]
}

pub(crate) fn run_command(
    name: &str,
    matches: &clap::ArgMatches,
    context: &Context<'_>,
) -> Result<Output, Error> {
    match (name, context.project) {
        ("list", Some(project)) => Ok(list(
            project,
            context.section.unwrap_or(&PluginConfig::empty()),
            context.json,
        )),
        _ => {
            let args = AllowScriptArgs::from_arg_matches(matches)
                .map_err(|e| Error::Usage(e.to_string()))?;
            allow_script(&args, context)
        }
    }
}

fn allow_script(args: &AllowScriptArgs, context: &Context<'_>) -> Result<Output, Error> {
    let (package, range) = edit::parse_selector(&args.package).map_err(Error::Usage)?;
    let root = args.project.clone();
    let ids = context.plugin_ids;
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| join(&root, config::FILE_NAME));
    // Files of the project are read and written only inside it (a chainward.toml or
    // pnpm-workspace.yaml that links out of the project is refused); a --config the user names
    // is theirs to point anywhere.
    let config_within = args.config.is_none().then_some(root.as_path());
    let config = if context.files.is_file(&config_path) {
        let text = read(context.files, &config_path, config_within)?;
        let config = Config::parse(&text, &config_path, ids)?;
        (context.validate_config)(&config)?;
        config
    } else if args.config.is_some() {
        return Err(Error::Usage(format!(
            "{}: no such config file",
            config_path.display()
        )));
    } else {
        Config::default()
    };
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let native = match args.target {
        AllowTarget::Chainward => None,
        AllowTarget::Npm => Some(Native::Npm),
        AllowTarget::Pnpm => Some(Native::Pnpm),
        AllowTarget::Yarn => Some(Native::Yarn),
        AllowTarget::Bun => Some(Native::Bun),
    };
    if native.is_none() && reason.is_none() {
        return Err(Error::Usage(
            "every approval in chainward.toml carries a reason: pass --reason \"why this install script is trusted\"".into(),
        ));
    }

    let options = DiscoverOptions {
        exclude: config.exclude.clone(),
        include: config.include.clone(),
        ..DiscoverOptions::default()
    };
    let project = Project::discover(std::slice::from_ref(&root), &options)?;
    let mut notes = Vec::new();
    let locked = locked_versions(&project, &join(&root, "package.json"), &package);
    // npm approves exact versions: without a range, the locked one.
    let range = match (native, range) {
        (Some(Native::Npm), None) => match locked.as_slice() {
            [one] => Some(one.clone()),
            [] => {
                return Err(Error::Usage(format!(
                    "npm's allowScripts approves exact versions and `{package}` is not in the lockfile: pass `{package}@<version>`"
                )));
            }
            many => {
                return Err(Error::Usage(format!(
                    "npm's allowScripts approves exact versions and the lockfile has `{package}` at {}: pass `{package}@<version>` once for each",
                    many.join(", ")
                )));
            }
        },
        (_, range) => range,
    };
    if locked.is_empty() {
        notes.push(format!(
            "`{package}` is not in the lockfile; until it is, the approval is reported as stale"
        ));
    }

    let (path, old, new) = match native {
        None => {
            let old = read_or_empty(context.files, &config_path, config_within)?;
            let new = edit::in_config(&old, &package, range.as_deref(), reason.unwrap_or(""))
                .map_err(|m| Error::Fix {
                    path: config_path.clone(),
                    message: m,
                })?;
            if let Some(new) = &new {
                // The result must still be a valid config: never write one chainward rejects.
                (context.validate_config)(&Config::parse(new, &config_path, ids)?)?;
            }
            (config_path.clone(), old, new)
        }
        Some(native) => {
            if reason.is_some() {
                notes.push(format!(
                    "{} has no place for a reason; it is not recorded (chainward.toml keeps one: leave out --in)",
                    native.list_name()
                ));
            }
            let workspace = join(&root, "pnpm-workspace.yaml");
            if native == Native::Pnpm && context.files.is_file(&workspace) {
                let old = read(context.files, &workspace, Some(&root))?;
                check_yaml(&workspace, &old)?;
                let new =
                    edit::in_pnpm_workspace(&old, &package, range.as_deref()).map_err(|m| {
                        Error::Fix {
                            path: workspace.clone(),
                            message: m,
                        }
                    })?;
                (workspace, old, new)
            } else {
                let manifest = join(&root, "package.json");
                let old = read(context.files, &manifest, Some(&root))?;
                check_json(&manifest, &old)?;
                let new = edit::in_package_json(&old, native, &package, range.as_deref()).map_err(
                    |m| Error::Fix {
                        path: manifest.clone(),
                        message: m,
                    },
                )?;
                (manifest, old, new)
            }
        }
    };

    let shown = selector(&package, range.as_deref());
    let mut output = Output {
        messages: notes.iter().map(|n| format!("note: {n}")).collect(),
        ..Output::default()
    };
    let Some(new) = new else {
        output.messages.push(format!(
            "`{shown}` is already approved in {}",
            path.display()
        ));
        return Ok(output);
    };
    if args.diff {
        output.stdout = fix::unified_diff(&path, &old, &new);
        output.stdout_mode = Some(Mode::Log);
        return Ok(output);
    }
    // Through a link only to a file inside the project; and not over an edit made meanwhile.
    let within = if path == config_path {
        config_within
    } else {
        Some(root.as_path())
    };
    output.writes.push(FileWrite {
        path: path.clone(),
        text: new,
        original: Some(old),
        within: within.map(Path::to_path_buf),
    });
    output
        .messages
        .push(format!("Approved `{shown}` in {}", path.display()));
    Ok(output)
}

fn selector(package: &str, range: Option<&str>) -> String {
    match range {
        Some(r) => format!("{package}@{r}"),
        None => package.to_string(),
    }
}

/// The text of `path`; when `within` is given, a link is followed only to a file inside it.
fn read(files: &dyn Files, path: &Path, within: Option<&Path>) -> Result<String, Error> {
    if let Some(root) = within
        && files.is_link(path)
    {
        let boundary =
            chainward_core::links::canonical_root(root).map_err(|e| Error::io(root, e))?;
        if let chainward_core::links::Resolved::Unsafe(link) =
            chainward_core::links::resolve(&boundary, path)
        {
            return Err(Error::Fix {
                path: path.to_path_buf(),
                message: format!("it is {}; nothing was written", link.describe()),
            });
        }
    }
    files.read_text(path)
}

fn read_or_empty(files: &dyn Files, path: &Path, within: Option<&Path>) -> Result<String, Error> {
    match read(files, path, within) {
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(String::new())
        }
        other => other,
    }
}

fn parse_error(path: &Path, text: &str, at: usize, message: String) -> Error {
    let lc = LineIndex::new(text).line_col(text, at);
    Error::Parse {
        path: path.to_path_buf(),
        location: Some((lc.line, lc.column)),
        message,
    }
}

fn check_json(path: &Path, text: &str) -> Result<(), Error> {
    json::parse(text)
        .map(drop)
        .map_err(|e| parse_error(path, text, e.span.start, e.message))
}

fn check_yaml(path: &Path, text: &str) -> Result<(), Error> {
    yaml::parse(text)
        .map(drop)
        .map_err(|e| parse_error(path, text, e.span.start, e.message))
}

/// The distinct versions of `name` in the root's lockfile, in order of appearance.
fn locked_versions(project: &Project, manifest: &Path, name: &str) -> Vec<String> {
    let Some((file, _)) = any_lockfile_for(project, manifest) else {
        return Vec::new();
    };
    let Some(lock) = chainward_npm::any_lockfile(&file) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for (_, p) in lock.iter_packages() {
        if let Some(version) = p.version
            && p.name == name
            && !out.iter().any(|v| v == version)
        {
            out.push(version.to_string());
        }
    }
    out
}

/// `chainward install-scripts --list`: the inventory as a table or JSON.
fn list(project: &Project, section: &PluginConfig, json: bool) -> Output {
    let rows = crate::list(project, section);
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "lockfile": r.lockfile, "name": r.name, "version": r.version,
                    "scripts": r.scripts, "approved_by": r.approved_by,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&list).unwrap_or_default() + "\n";
        return Output::text(text, Mode::Json);
    }
    let width = |f: &dyn Fn(&crate::Row) -> usize, min: usize| {
        rows.iter().map(f).max().unwrap_or(0).max(min)
    };
    let w_pkg = width(&|r| r.name.len() + r.version.len() + 1, 7);
    let w_appr = width(&|r| r.approved_by.as_deref().unwrap_or("-").len(), 11);
    let mut out = format!(
        "{:<w_pkg$}  {:<w_appr$}  SCRIPTS\n",
        "PACKAGE", "APPROVED BY"
    );
    for r in &rows {
        out.push_str(&format!(
            "{:<w_pkg$}  {:<w_appr$}  {}\n",
            format!("{}@{}", r.name, r.version),
            r.approved_by.as_deref().unwrap_or("-"),
            r.scripts
        ));
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
    out.push_str(&format!(
        "\n{scripted} with install scripts ({unapproved} unapproved), {} {unknown}.\n",
        rows.len() - scripted
    ));
    Output::text(out, Mode::Log)
}
