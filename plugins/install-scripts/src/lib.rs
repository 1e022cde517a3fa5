//! install-scripts: who runs code at install time, and who approved it. Every install-time
//! script of the project and its dependency tree, checked against the allowlists users already
//! keep (npm, pnpm, yarn, bun, LavaMoat) and chainward's own, where every entry has a reason.

mod allow;
mod command;
mod edit;
mod inventory;

use std::path::Path;

use chainward_core::config::PluginConfig;
use chainward_core::finding::Location;
use chainward_core::span::LineCol;
use chainward_core::{
    Check, Error, FileKind, Finding, Fixability, Plugin, Project, Rule, Severity,
};
use chainward_npm::{any_lockfile, package_json};
use rayon::prelude::*;

use allow::{Approval, Place};
use inventory::{Entry, Inventory, Scripts};

/// The install-scripts plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct InstallScripts;

pub(crate) static UNAPPROVED: Rule = Rule {
    id: "install-scripts/unapproved-install-script",
    code: "ISC001",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A dependency runs an install script that no allowlist approves",
    doc: r#"`preinstall`, `install` and `postinstall` scripts of every dependency run during `npm
install` and `npm ci`, with the developer's or the CI job's credentials in reach: the way worms
such as Shai-Hulud spread. Each dependency that runs one must be approved on purpose.

Approvals are read from every allowlist in use: npm's `allowScripts`, pnpm's
`onlyBuiltDependencies` / `neverBuiltDependencies` / `allowBuilds` (package.json `pnpm` field and
pnpm-workspace.yaml), yarn's `dependenciesMeta.<pkg>.built`, bun's `trustedDependencies`,
LavaMoat's `lavamoat.allowScripts`, and chainward.toml, where every entry must say why:

```toml
[[install-scripts.allow]]
package = "esbuild"
version = "^0.21"        # optional: only these versions
reason = "downloads its platform binary; checked against the published checksums"
```

A denial (`neverBuiltDependencies`, `"pkg": false`) also settles the question: the script does
not run. Whether a dependency has a script comes from the lockfile (npm v2/v3
`hasInstallScript`, pnpm 6 `requiresBuild`), from its installed package.json under
node_modules (read, never executed; an implicit `node-gyp rebuild` for a `binding.gyp` counts),
and git dependencies always count (npm runs their `prepare`).

pnpm 10 and later (`packageManager: pnpm@10…`, or `devEngines.packageManager`) run no
dependency's build script unless it is approved: there an unapproved script does not run, and is
reported at `info` (pnpm warns about it at every install), unless `dangerouslyAllowAllBuilds`
turns the protection off.
"#,
};

pub(crate) static PROJECT_SCRIPT: Rule = Rule {
    id: "install-scripts/project-install-script",
    code: "ISC002",
    default_severity: Severity::Info,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "The project's own lifecycle scripts run on every install",
    doc: r#"`preinstall`, `install`, `postinstall`, `prepare` (which also runs when the package is
installed from git) and `prepublish` of the project itself run on every `npm install`. Reported
as `info` so that they are seen; as a `warning` when the script fetches or runs remote code at
that moment (`npx only-allow pnpm` downloads the latest `only-allow` on every install; `curl`,
`wget`, `pnpm dlx`, `yarn dlx`, `bunx`, `| sh`).
"#,
};

pub(crate) static STALE_APPROVAL: Rule = Rule {
    id: "install-scripts/stale-approval",
    code: "ISC003",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "An allowlist entry approves a package that is no longer in the tree or has no script",
    doc: r#"An approval outlives its reason: when the package leaves the dependency tree, or its
current version no longer has an install script, the entry would silently approve whatever a
future version brings. Remove it, and approve again when a script really appears. Packages whose
script status cannot be determined offline keep their approvals.
"#,
};

pub(crate) static NEW_SCRIPT: Rule = Rule {
    id: "install-scripts/new-install-script",
    code: "ISC004",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "With `--base`: a package runs an install script that it did not run at the base revision",
    doc: r#"The change under review brings code that runs at install time: a new dependency with an
install script, or a new version of an existing dependency that gained one (how compromised
releases spread). Reported with `chainward check --base <ref>` (the base lockfile is read from
git's objects, nothing is checked out), whether or not an allowlist already approves it, so
that a reviewer sees it.
"#,
};

pub(crate) static INVENTORY_INCOMPLETE: Rule = Rule {
    id: "install-scripts/inventory-incomplete",
    code: "ISC005",
    default_severity: Severity::Info,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "Some packages' install-script status cannot be determined offline",
    doc: r#"npm v1, pnpm 9, yarn and bun lockfiles do not record which packages have install
scripts. chainward then reads the installed package.json under node_modules (pnpm's
`.pnpm` store layout included); packages that are not installed cannot be judged offline and
are counted here rather than reported as having no scripts. Install the dependencies with
`--ignore-scripts` before checking to complete the inventory, or pass `--online`: the registry's
version document of each unknown package (its `scripts` and `gypfile`) then settles it, through
one HTTP client whose response cache makes the next run offline again.
"#,
};

pub static RULES: &[&Rule] = &[
    &UNAPPROVED,
    &PROJECT_SCRIPT,
    &STALE_APPROVAL,
    &NEW_SCRIPT,
    &INVENTORY_INCOMPLETE,
];

/// Lifecycle scripts of the project itself that run on install.
const PROJECT_SCRIPTS: [&str; 5] = [
    "preinstall",
    "install",
    "postinstall",
    "prepare",
    "prepublish",
];

/// Commands that fetch or run remote code when the script runs.
const REMOTE: [&str; 9] = [
    "npx ", "pnpm dlx", "pnpx ", "yarn dlx", "bunx ", "curl ", "wget ", "| sh", "| bash",
];

impl Plugin for InstallScripts {
    fn id(&self) -> &'static str {
        "install-scripts"
    }

    fn summary(&self) -> &'static str {
        "Install-time scripts of the project and its dependencies, and who approved them"
    }

    fn rules(&self) -> &'static [&'static Rule] {
        RULES
    }

    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, Error> {
        config.deny_unknown_keys("install-scripts", &["allow"])?;
        Ok(Box::new(Settings {
            allow: allow::from_config(config)?,
            section: config.clone(),
        }))
    }

    fn reads(&self, kind: FileKind) -> bool {
        kind.is_npm_model()
    }

    fn commands(&self) -> Vec<(chainward_core::command::Mount, clap::Command)> {
        command::commands()
    }

    fn run_command(
        &self,
        name: &str,
        args: &clap::ArgMatches,
        context: &chainward_core::command::Context<'_>,
    ) -> Result<chainward_core::command::Output, Error> {
        command::run_command(name, args, context)
    }
}

/// `[install-scripts]`: the approvals of `allow`.
pub(crate) struct Settings {
    allow: Vec<Approval>,
    /// Where the approvals are, for findings that point at one.
    section: PluginConfig,
}

impl Check for Settings {
    fn check(&self, project: &Project) -> Vec<Finding> {
        let configured = &self.allow;
        let lockfiles: Vec<_> = project
            .files()
            .iter()
            .filter(|f| f.kind.is_lockfile())
            .filter(|f| {
                // A member's lockfile that the workspace root's shadows installs nothing.
                let dir = f.path.parent().unwrap_or(Path::new("."));
                let name = f
                    .path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                f.kind.is_npm_lockfile()
                    || chainward_npm::workspaces::shadowing_root(project, dir, name).is_none()
            })
            .collect();
        // Each lockfile's inventory, on every core.
        let inventories: Vec<(usize, Inventory)> = lockfiles
            .par_iter()
            .enumerate()
            .filter_map(|(i, file)| {
                let lock = any_lockfile(file)?;
                Some((i, inventory::inventory(project, file, &lock)))
            })
            .collect();
        let mut out = Vec::new();
        let mut config_used = vec![false; configured.len()];
        let mut config_unknown = vec![false; configured.len()];
        for (i, inventory) in &inventories {
            let entries = &inventory.entries;
            let file = lockfiles[*i];
            let dir = file.path.parent().unwrap_or(Path::new(""));
            let native = allow::from_project(project, dir);
            // pnpm 10 and later run no dependency's build script unless it is approved
            // (`onlyBuiltDependencies`/`allowBuilds`); it warns and skips the others.
            let blocked_by = matches!(file.kind, FileKind::PnpmLock)
                .then(|| pnpm_blocks_builds(project, dir))
                .flatten();
            let mut native_used = vec![false; native.len()];
            let mut native_unknown = vec![false; native.len()];
            let matching = |list: &[Approval], name: &str, version: &str| -> Vec<usize> {
                list.iter()
                    .enumerate()
                    .filter(|(_, a)| a.matches(name, version))
                    .map(|(i, _)| i)
                    .collect()
            };
            for entry in entries {
                let in_config = matching(configured, entry.name, entry.version);
                let in_native = matching(&native, entry.name, entry.version);
                match &entry.scripts {
                    Scripts::Yes(why) => {
                        for &i in &in_config {
                            config_used[i] = true;
                        }
                        for &i in &in_native {
                            native_used[i] = true;
                        }
                        if in_config.is_empty() && in_native.is_empty() {
                            // Under pnpm 10+ the script is blocked, not run: said, not an error.
                            let (message, help, severity) = match &blocked_by {
                                Some(version) => (
                                    format!(
                                        "`{}@{}` has an install script ({why}) that pnpm {version} does not run: no allowlist approves it",
                                        entry.name, entry.version
                                    ),
                                    format!(
                                        "if the package needs its build, approve it in pnpm-workspace.yaml (`allowBuilds` / `onlyBuiltDependencies`) or chainward.toml; otherwise deny it to silence pnpm's warning (`{}: false`)",
                                        entry.name
                                    ),
                                    Severity::Info,
                                ),
                                None => (
                                    format!(
                                        "`{}@{}` runs an install script ({why}) and no allowlist approves it",
                                        entry.name, entry.version
                                    ),
                                    format!(
                                        "approve it with a reason in chainward.toml (`[[install-scripts.allow]]` package = \"{}\", reason = \"…\") or in your package manager's allowlist, or deny it there",
                                        entry.name
                                    ),
                                    UNAPPROVED.default_severity,
                                ),
                            };
                            out.push(
                                Finding::new(&UNAPPROVED, file, entry.span.clone(), message)
                                    .with_severity(severity)
                                    .with_help(help)
                                    .with_subject(entry.name),
                            );
                        }
                    }
                    Scripts::No | Scripts::Unknown => {}
                }
            }
            let unknown = inventory.unknown.len();
            for &(name, version) in &inventory.unknown {
                for i in matching(configured, name, version) {
                    config_unknown[i] = true;
                }
                for i in matching(&native, name, version) {
                    native_unknown[i] = true;
                }
            }
            // Under pnpm 10+ an unknown script runs only if approved, and approvals are checked
            // by name: the unknown ones cannot run.
            if unknown > 0 && blocked_by.is_none() {
                let lc = LineCol { line: 1, column: 1 };
                let (why, help) = if project.registry().is_some() {
                    (
                        " (the lockfile does not record it, they are not installed under node_modules, and the registry could not be asked about them)",
                        "see `--verbose` for the registry errors; install with `--ignore-scripts` and check again to complete the inventory",
                    )
                } else {
                    (
                        " offline (the lockfile does not record it and they are not installed under node_modules)",
                        "install with `--ignore-scripts`, or check with `--online` to ask the registry, to complete the inventory",
                    )
                };
                out.push(
                    Finding::at(
                        &INVENTORY_INCOMPLETE,
                        Location::at(file.path.clone(), 0..0, lc, lc),
                        format!(
                            "{unknown} of {} packages in {}: whether they run install scripts cannot be determined{why}",
                            inventory.packages,
                            file.rel
                        ),
                    )
                    .with_help(help)
                    .with_subject("inventory"),
                );
            }
            for (i, approval) in native.iter().enumerate() {
                if approval.allow && !native_used[i] && !native_unknown[i] {
                    let present = any_lockfile(file)
                        .is_some_and(|lock| inventory::installs(&lock, &approval.package));
                    out.push(stale(approval, present, None));
                }
            }
        }
        if !inventories.is_empty() {
            let present = |name: &str| {
                inventories.iter().any(|(i, _)| {
                    any_lockfile(lockfiles[*i]).is_some_and(|lock| inventory::installs(&lock, name))
                })
            };
            for (i, approval) in configured.iter().enumerate() {
                if !config_used[i] && !config_unknown[i] {
                    out.push(stale(
                        approval,
                        present(&approval.package),
                        Some(&self.section),
                    ));
                }
            }
        }
        if let Some(base) = project.base() {
            for (i, inventory) in &inventories {
                new_scripts(base, lockfiles[*i], &inventory.entries, &mut out);
            }
        }
        out.extend(project_scripts(project));
        out
    }
}

/// The pnpm version (`packageManager: pnpm@X`, or `devEngines.packageManager`) of the project in
/// `dir`, when it is 10 or later and does not `dangerouslyAllowAllBuilds`: then a dependency's
/// build script runs only if approved. `None` when pnpm 9 or earlier, or unknown.
fn pnpm_blocks_builds(project: &Project, dir: &Path) -> Option<String> {
    let manifest = project.file_at(&chainward_core::project::join(dir, "package.json"))?;
    let pj = package_json(&manifest)?;
    let major = pj.manager_major("pnpm")?;
    if major < 10 {
        return None;
    }
    let declared = pj.package_manager()?.1.to_string();
    let allow_all_in_ws = project
        .file_at(&chainward_core::project::join(dir, "pnpm-workspace.yaml"))
        .and_then(|f| {
            chainward_core::yaml::parsed(&f)
                .and_then(|d| d.get("dangerouslyAllowAllBuilds"))
                .and_then(|v| v.as_str().map(|s| s == "true"))
        })
        .unwrap_or(false);
    let allow_all_in_pj = pj
        .json
        .pointer(&["pnpm", "dangerouslyAllowAllBuilds"])
        .is_some_and(|v| v.as_bool() == Some(true));
    (!allow_all_in_ws && !allow_all_in_pj).then_some(declared)
}

/// `--base`: packages that run an install script now and did not at the base revision.
fn new_scripts(
    base: &Project,
    file: &chainward_core::SourceFile,
    entries: &[Entry],
    out: &mut Vec<Finding>,
) {
    let Some(base_file) = base.source(&file.path) else {
        // The lockfile is new: every scripted package in it is new.
        for entry in entries {
            if let Scripts::Yes(why) = &entry.scripts {
                out.push(new_script(file, entry, why, None));
            }
        }
        return;
    };
    let Some(lock) = any_lockfile(&base_file) else {
        return;
    };
    let before = inventory::inventory(base, &base_file, &lock);
    for entry in entries {
        let Scripts::Yes(why) = &entry.scripts else {
            continue;
        };
        // The base's inventory holds only what runs scripts or may: it had one (or may have).
        if before.entries.iter().any(|b| b.name == entry.name)
            || before.unknown.iter().any(|&(name, _)| name == entry.name)
        {
            continue;
        }
        let was = inventory::versions(&lock, entry.name);
        out.push(new_script(file, entry, why, was.first().copied()));
    }
}

fn new_script(
    file: &chainward_core::SourceFile,
    entry: &Entry,
    why: &str,
    before: Option<&str>,
) -> Finding {
    let message = match before {
        Some(old) => format!(
            "`{}@{}` runs an install script ({why}); at the base revision, {}@{old} did not",
            entry.name, entry.version, entry.name
        ),
        None => format!(
            "`{}@{}` is a new dependency that runs an install script ({why})",
            entry.name, entry.version
        ),
    };
    Finding::new(&NEW_SCRIPT, file, entry.span.clone(), message)
        .with_subject(format!("{}@{}", entry.name, entry.version))
        .with_help(
            "review what the script does before merging; approve it with a reason if it is needed",
        )
}

fn stale(approval: &Approval, present: bool, config: Option<&PluginConfig>) -> Finding {
    let what = match &approval.range {
        Some(r) => format!("`{}@{r}`", approval.package),
        None => format!("`{}`", approval.package),
    };
    let message = if present {
        format!(
            "{} approves {what}, which no longer runs an install script in this tree",
            approval.source
        )
    } else {
        format!(
            "{} approves {what}, which is no longer in the dependency tree",
            approval.source
        )
    };
    let location = match &approval.place {
        Place::File(file, span) => {
            let text = file.text().unwrap_or_default();
            let lines = file.lines();
            Location::at(
                file.path.clone(),
                span.clone(),
                lines.line_col(text, span.start),
                lines.line_col(text, span.end),
            )
        }
        Place::Config(span) => config
            .and_then(|c| c.location(span.clone()))
            .unwrap_or_else(|| {
                let lc = LineCol { line: 1, column: 1 };
                Location::at("chainward.toml".into(), 0..0, lc, lc)
            }),
    };
    Finding::at(&STALE_APPROVAL, location, message)
        .with_subject(format!("{}:{}", approval.source, approval.package))
        .with_help("remove the entry; approve again, with a reason, when a script really appears")
}

/// The project's own lifecycle scripts (every package.json outside node_modules).
fn project_scripts(project: &Project) -> Vec<Finding> {
    let mut out = Vec::new();
    for file in project.files_of(FileKind::PackageJson) {
        let Some(pj) = package_json(file) else {
            continue;
        };
        let Some(scripts) = pj.json.get("scripts") else {
            continue;
        };
        for name in PROJECT_SCRIPTS {
            let Some(member) = scripts.member(name) else {
                continue;
            };
            let Some(command) = member.value.as_str() else {
                continue;
            };
            let remote = REMOTE.iter().find(|r| command.contains(*r));
            let finding = Finding::new(
                &PROJECT_SCRIPT,
                file,
                member.value.span.clone(),
                match remote {
                    Some(r) => format!(
                        "the `{name}` script runs on every install and fetches or runs remote code (`{}`): whatever is published at that moment runs",
                        r.trim()
                    ),
                    None => format!("the `{name}` script runs on every install: `{command}`"),
                },
            );
            let finding = finding.with_subject(name);
            out.push(match remote {
                Some(_) => finding
                    .with_severity(Severity::Warning)
                    .with_help("pin what it runs (`npx only-allow@1.2.1 pnpm`), vendor it, or use `packageManager` with corepack instead"),
                None => finding,
            });
        }
    }
    out
}

/// One row of `chainward install-scripts --list`: a package that runs, or may run, an install
/// script, and what approves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub lockfile: String,
    pub name: String,
    pub version: String,
    /// `yes (why)` or `unknown`.
    pub scripts: String,
    /// The allowlist that settles it (`chainward.toml`, `pnpm.onlyBuiltDependencies`, …), with
    /// `denied by` for a denial; `None` when nothing does.
    pub approved_by: Option<String>,
}

/// The inventory of every lockfile in the project: packages with install scripts and those
/// whose status is unknown offline, sorted by lockfile and name.
pub(crate) fn list(project: &Project, config: &PluginConfig) -> Vec<Row> {
    let configured = allow::from_config(config).unwrap_or_default();
    let mut rows = Vec::new();
    for file in project.files() {
        if !file.kind.is_lockfile() {
            continue;
        }
        let Some(lock) = any_lockfile(file) else {
            continue;
        };
        let dir = file.path.parent().unwrap_or(Path::new(""));
        let native = allow::from_project(project, dir);
        let inventory = inventory::inventory(project, file, &lock);
        let listed = inventory
            .entries
            .iter()
            .filter_map(|entry| match &entry.scripts {
                Scripts::Yes(why) => Some((entry.name, entry.version, format!("yes ({why})"))),
                Scripts::No | Scripts::Unknown => None,
            });
        let unknown = inventory
            .unknown
            .iter()
            .map(|&(name, version)| (name, version, "unknown".to_string()));
        for (name, version, scripts) in listed.chain(unknown) {
            let approved_by = configured
                .iter()
                .chain(&native)
                .find(|a| a.matches(name, version))
                .map(|a| {
                    if a.allow {
                        a.source.clone()
                    } else {
                        format!("denied by {}", a.source)
                    }
                });
            rows.push(Row {
                lockfile: file.rel.clone(),
                name: name.to_string(),
                version: version.to_string(),
                scripts,
                approved_by,
            });
        }
    }
    rows.sort_by(|a, b| {
        (&a.lockfile, &a.name, &a.version).cmp(&(&b.lockfile, &b.name, &b.version))
    });
    rows
}
