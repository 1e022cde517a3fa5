//! `chainward pm-config --show`: the protections in effect for each project, and where each
//! value came from.

use chainward_core::command::{Context, Mount, Output};
use chainward_core::config::PluginConfig;
use chainward_core::escape::Mode;
use chainward_core::{Error, Project};

use crate::cooldown::policy_minutes;
use crate::{Options, scripts, trust};
use chainward_npm::pm::cooldown::{effective, human};
use chainward_npm::pm::{Pm, VersionOrigin, roots};

pub(crate) fn commands() -> Vec<(Mount, clap::Command)> {
    vec![(
        Mount::Project,
        clap::Command::new("show").about(
            "Print the protections in effect for each project (package manager and version, cooldown, trust policy, install scripts, non-registry sources) and where each value came from, instead of findings; `--format json`",
        ),
    )]
}

pub(crate) fn run_command(
    name: &str,
    _args: &clap::ArgMatches,
    context: &Context<'_>,
) -> Result<Output, Error> {
    match (name, context.project) {
        ("show", Some(project)) => {
            let options = Options::from_config(context.section.unwrap_or(&PluginConfig::empty()))?;
            Ok(show(project, &options, context.json))
        }
        _ => Err(Error::Usage(format!("pm-config has no command `{name}`"))),
    }
}

struct Row {
    project: String,
    package_manager: String,
    version_from: String,
    cooldown: Option<f64>,
    cooldown_from: String,
    trust_policy: String,
    scripts: String,
    sources: String,
}

/// uv projects (a uv.lock and its pyproject.toml): the cooldown is `exclude-newer`.
fn uv_rows(project: &Project) -> Vec<Row> {
    let mut out = Vec::new();
    for lock in project.files_of(chainward_core::FileKind::UvLock) {
        let dir = lock.rel.rsplit_once('/').map_or("", |(d, _)| d);
        let Some(file) = project.file_at(&project.root.join(dir).join("pyproject.toml")) else {
            continue;
        };
        let Some(p) = chainward_python::pyproject(&file) else {
            continue;
        };
        let setting = p.uv.exclude_newer.as_ref();
        let days = setting.and_then(|(v, _)| chainward_python::pyproject::relative_days(v));
        let text = file.text().unwrap_or_default();
        let line = |span: &std::ops::Range<usize>| file.lines().line_col(text, span.start).line;
        out.push(Row {
            project: if dir.is_empty() {
                ".".into()
            } else {
                dir.to_string()
            },
            package_manager: "uv".into(),
            version_from: lock.rel.clone(),
            cooldown: days.map(|d| d * 1440.0).filter(|m| *m > 0.0),
            cooldown_from: match setting {
                Some((v, span)) if days.is_none() => {
                    format!(
                        "{}:{} exclude-newer (a fixed date: {v})",
                        file.rel,
                        line(span)
                    )
                }
                Some((_, span)) => format!("{}:{} exclude-newer", file.rel, line(span)),
                None => "not set".into(),
            },
            trust_policy: "-".into(),
            scripts: "-".into(),
            sources: "-".into(),
        });
    }
    out
}

fn rows(project: &Project) -> Vec<Row> {
    let mut rows = npm_rows(project);
    rows.extend(uv_rows(project));
    rows
}

fn npm_rows(project: &Project) -> Vec<Row> {
    roots(project)
        .into_iter()
        .map(|root| {
            let (eff, _) = effective(project, &root);
            let rel = chainward_core::project::rel_path(&project.root, &root.dir);
            let version_from = match &root.origin {
                VersionOrigin::Declared(file, span) => format!(
                    "{} {}",
                    chainward_npm::pm::place(file, span),
                    if file.kind == chainward_core::FileKind::PackageJson {
                        "packageManager"
                    } else {
                        "yarnPath"
                    }
                ),
                VersionOrigin::Lockfile(why) => why.clone(),
                VersionOrigin::Assumed => "not stated (the oldest in use assumed)".into(),
            };
            let trust_policy = if root.pm != Pm::Pnpm {
                "-".to_string()
            } else if !trust::supported(&root) {
                "not supported".to_string()
            } else {
                trust::policy(project, &root).unwrap_or_else(|| "off (default)".into())
            };
            let (scripts, sources) = scripts::describe(project, &root);
            Row {
                scripts,
                sources,
                project: if rel.is_empty() || rel == "." {
                    ".".into()
                } else {
                    rel
                },
                package_manager: if root.declared() {
                    format!("{} {}", root.pm.name(), root.version)
                } else {
                    format!("{} ≥ {}", root.pm.name(), root.version)
                },
                version_from,
                cooldown: eff.minutes.filter(|m| *m > 0.0),
                cooldown_from: match eff.unsupported {
                    Some(first) if root.declared() => format!("not supported ({first}+)"),
                    Some(first) => format!("not set (from {first})"),
                    None => match &eff.setting {
                        Some((file, span, _)) => chainward_npm::pm::place(file, span),
                        None => eff.from,
                    },
                },
                trust_policy,
            }
        })
        .collect()
}

fn show(project: &Project, options: &Options, json: bool) -> Output {
    let rows = rows(project);
    let policy = policy_minutes(options.min_release_age_days);
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "project": r.project,
                    "package_manager": r.package_manager,
                    "version_from": r.version_from,
                    "cooldown_minutes": r.cooldown,
                    "cooldown_from": r.cooldown_from,
                    "meets_policy": r.cooldown.is_some_and(|m| m >= policy),
                    "trust_policy": r.trust_policy,
                    "install_scripts": r.scripts,
                    "non_registry_sources": r.sources,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&list).unwrap_or_default() + "\n";
        return Output::text(text, Mode::Json);
    }
    let header = [
        "PROJECT",
        "PACKAGE MANAGER",
        "COOLDOWN",
        "FROM",
        "TRUST POLICY",
        "INSTALL SCRIPTS",
        "NON-REGISTRY SOURCES",
        "VERSION FROM",
    ];
    let table: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.project.clone(),
                r.package_manager.clone(),
                r.cooldown.map_or_else(|| "none".into(), human),
                r.cooldown_from.clone(),
                r.trust_policy.clone(),
                r.scripts.clone(),
                r.sources.clone(),
                r.version_from.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(&header);
    for row in &table {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        out.push_str(&line(&cells));
    }
    if rows.is_empty() {
        out = "No project with a lockfile or a `packageManager` was found here.\n".into();
    } else {
        let short = rows
            .iter()
            .filter(|r| r.cooldown.is_none_or(|m| m < policy))
            .count();
        out.push_str(&format!(
            "\n{} of {} without a cooldown of at least {} days (`[pm-config] min-release-age-days`).\n",
            short,
            rows.len(),
            options.min_release_age_days
        ));
    }
    Output::text(out, Mode::Log)
}
