//! `chainward allow-script <package>[@range] --reason "…"`: approve a dependency's install
//! script in chainward.toml (with its reason) or, with `--in`, in the package manager's own
//! allowlist. The edit keeps every other byte of the file; `--diff` shows it and writes nothing.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use chainward_core::config::{self, Config};
use chainward_core::project::{DiscoverOptions, join};
use chainward_core::span::LineIndex;
use chainward_core::{Error, Project, fix, json, yaml};
use chainward_npm::model::any_lockfile_for;
use install_scripts::edit::{self, Native};

use crate::cli::{AllowScriptArgs, AllowTarget};
use chainward_engine::registry;

pub fn run(args: &AllowScriptArgs) -> Result<ExitCode, Error> {
    let (package, range) = edit::parse_selector(&args.package).map_err(Error::Usage)?;
    let root = args.project.clone();
    let ids = registry::plugin_ids();
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| join(&root, config::FILE_NAME));
    // Files of the project are read and written only inside it (a chainward.toml or
    // pnpm-workspace.yaml that links out of the project is refused); a --config the user names
    // is theirs to point anywhere.
    let config_within = args.config.is_none().then_some(root.as_path());
    let config = if config_path.is_file() {
        let text = read(&config_path, config_within)?;
        let config = Config::parse(&text, &config_path, &ids)?;
        chainward_engine::validate_config(&config)?;
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
            let old = read_or_empty(&config_path, config_within)?;
            let new = edit::in_config(&old, &package, range.as_deref(), reason.unwrap_or(""))
                .map_err(|m| Error::Fix {
                    path: config_path.clone(),
                    message: m,
                })?;
            if let Some(new) = &new {
                // The result must still be a valid config: never write one chainward rejects.
                chainward_engine::validate_config(&Config::parse(new, &config_path, &ids)?)?;
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
            if native == Native::Pnpm && workspace.is_file() {
                let old = read(&workspace, Some(&root))?;
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
                let old = read(&manifest, Some(&root))?;
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
    let mut err = crate::stderr();
    for note in &notes {
        let _ = writeln!(err, "note: {note}");
    }
    let Some(new) = new else {
        let _ = writeln!(err, "`{shown}` is already approved in {}", path.display());
        return Ok(ExitCode::SUCCESS);
    };
    if args.diff {
        let text = fix::unified_diff(&path, &old, &new);
        std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| Error::io(Path::new("<stdout>"), e))?;
        return Ok(ExitCode::SUCCESS);
    }
    // Through a link only to a file inside the project; and not over an edit made meanwhile.
    let within = if path == config_path {
        config_within
    } else {
        Some(root.as_path())
    };
    fix::write_checked(
        &BTreeMap::from([(path.clone(), new)]),
        &BTreeMap::from([(path.clone(), old)]),
        within,
    )?;
    let _ = writeln!(err, "Approved `{shown}` in {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn selector(package: &str, range: Option<&str>) -> String {
    match range {
        Some(r) => format!("{package}@{r}"),
        None => package.to_string(),
    }
}

/// The text of `path`; when `within` is given, a link is followed only to a file inside it.
fn read(path: &Path, within: Option<&Path>) -> Result<String, Error> {
    if let Some(root) = within
        && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink())
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
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

fn read_or_empty(path: &Path, within: Option<&Path>) -> Result<String, Error> {
    match read(path, within) {
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
