//! The chainward run, shared by the CLI, the fuzz targets, the property tests and xtask: the
//! plugin registry, configuration read once ([`Engine::new`]), every enabled plugin over a
//! project in parallel with parse-error and unsafe-path findings, levels and suppressions
//! ([`Engine::check`]), the fix loop ([`Engine::fix_until_stable`]), a baseline
//! ([`baseline`]) and `--base` ([`introduced`]).
//!
//! Nothing here prints: the binary renders what the engine returns and picks the exit code.

pub mod advisories;
pub mod attest;
pub mod baseline;
pub mod external;
mod findings;
mod fixes;
pub mod online;
pub mod registry;

use std::collections::HashMap;
use std::path::PathBuf;

use chainward_core::config::Config;
use chainward_core::filter::{self, RuleLevels};
use chainward_core::project::DiscoverOptions;
use chainward_core::rule::core_rules;
use chainward_core::{Check, Error, FileKind, Finding, Plugin, Project, Rule};
use rayon::prelude::*;

pub use fixes::{FixOutcome, FixPolicy, Fixed, apply_fixes};

/// What to do with the external plugins the config names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum External {
    /// Not part of this run (one plugin's subcommand, the fuzz targets, the tests).
    No,
    /// The user allowed them (`--allow-external-plugins`, CHAINWARD_ALLOW_EXTERNAL_PLUGINS=1).
    Run,
    /// Named by the project's config only: each is reported as not run.
    NotAllowed,
}

/// Which rules run: `--select`/`--ignore` selectors, and one plugin's subcommand.
#[derive(Default, Clone, Copy)]
pub struct Selection<'a> {
    pub select: &'a [String],
    pub ignore: &'a [String],
    /// `chainward pin-check`: that plugin's rules only (and the engine's own).
    pub only: Option<&'static dyn Plugin>,
}

/// A configured run: the config read and validated, every plugin configured once, levels
/// resolved. Check any number of projects (the working tree, the `--base` revision, each fix
/// round) with it.
pub struct Engine {
    config: Config,
    rules: Vec<&'static Rule>,
    levels: RuleLevels,
    /// The enabled plugins, configured.
    checks: Vec<Box<dyn Check>>,
    /// The kinds of file the enabled plugins parse.
    reads: Vec<FileKind>,
    /// The ids of the enabled plugins, in registry order.
    enabled: Vec<&'static str>,
    external: External,
}

impl Engine {
    /// Validate `config` and the selection and configure every built-in plugin: an unknown rule
    /// or a plugin setting that is wrong is an error (naming the file, line and column) before
    /// anything runs.
    pub fn new(
        config: Config,
        selection: Selection<'_>,
        external: External,
    ) -> Result<Self, Error> {
        let rules = registry::all_rules();
        validate_rule_names(&config, &rules)?;
        for selector in selection.select.iter().chain(selection.ignore) {
            if !rules.iter().any(|r| r.matches(selector)) {
                return Err(Error::Usage(format!(
                    "unknown rule `{selector}`{} (see `chainward rules`)",
                    hint(selector)
                )));
            }
        }
        let mut select = selection.select.to_vec();
        if let Some(plugin) = selection.only {
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
        let levels = RuleLevels::resolve(&rules, &config, &select, selection.ignore);
        // Every plugin's section is read, whether or not the plugin runs: a wrong setting is
        // wrong on every run.
        let mut checks = Vec::new();
        let mut reads = Vec::new();
        let mut enabled = Vec::new();
        for plugin in registry::PLUGINS {
            let check = plugin.configure(&config.plugin(plugin.id()))?;
            if levels.plugin_enabled(*plugin) {
                checks.push(check);
                enabled.push(plugin.id());
                reads.extend(FileKind::ALL.into_iter().filter(|k| plugin.reads(*k)));
            }
        }
        reads.sort_unstable();
        reads.dedup();
        let external = if selection.only.is_some() {
            External::No
        } else {
            external
        };
        Ok(Self {
            config,
            rules,
            levels,
            checks,
            reads,
            enabled,
            external,
        })
    }

    /// Every built-in plugin with `config` and default levels, no external plugins: what
    /// `chainward check` reports (the fuzz targets and property tests).
    pub fn with_defaults(config: Config) -> Result<Self, Error> {
        Self::new(config, Selection::default(), External::No)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn rules(&self) -> &[&'static Rule] {
        &self.rules
    }

    /// The ids of the plugins this engine runs, in registry order.
    pub fn enabled_plugins(&self) -> &[&'static str] {
        &self.enabled
    }

    /// The external plugins [`Engine::check`] runs, by name.
    pub fn external_ran(&self) -> Vec<String> {
        match self.external {
            External::Run => self
                .config
                .external_plugins
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
            External::No | External::NotAllowed => Vec::new(),
        }
    }

    /// What each enabled plugin could judge of `project` (see [`chainward_core::Plugin::coverage`]).
    pub fn coverage(&self, project: &Project) -> Vec<(&'static str, chainward_core::Coverage)> {
        self.enabled
            .iter()
            .filter_map(|id| registry::plugin(id).map(|p| (*id, p.coverage(project))))
            .collect()
    }

    /// How to walk the tree, from the config (`include_node_modules` also from the CLI).
    pub fn discover_options(&self, include_node_modules: bool) -> DiscoverOptions {
        let config = &self.config;
        DiscoverOptions {
            include_node_modules: include_node_modules || config.include_node_modules,
            exclude: config.exclude.clone(),
            include: config.include.clone(),
            max_file_size: config
                .max_file_size
                .unwrap_or(chainward_core::project::DEFAULT_MAX_FILE_SIZE),
            max_files: config
                .max_files
                .unwrap_or(chainward_core::project::DEFAULT_MAX_FILES),
        }
    }

    /// The project at `paths`, each file the enabled plugins read parsed on the pool as soon as
    /// the walk finds it (the walk, git's index and a large lockfile's read and parse overlap);
    /// returns once every one is parsed.
    pub fn discover(
        &self,
        paths: &[std::path::PathBuf],
        include_node_modules: bool,
    ) -> Result<Project, chainward_core::Error> {
        let options = self.discover_options(include_node_modules);
        let reads = &self.reads;
        // In place: the walk stays on this thread while the pool parses.
        rayon::in_place_scope(|scope| {
            Project::discover_with(paths, &options, &|file| {
                if reads.contains(&file.kind) {
                    let file = std::sync::Arc::clone(file);
                    scope.spawn(move |_| {
                        chainward_core::project::prefetch(|| parses(&file));
                    });
                }
            })
        })
    }

    /// One run over `project`: every enabled plugin in parallel (and the config's external
    /// plugins, as [`External`] says), parse errors and links not followed, then levels and
    /// suppressions, sorted.
    pub fn check(&self, project: &Project) -> Vec<Finding> {
        let config = &self.config;
        parse_all(project, &self.reads);
        // Each plugin is a task of its own, taken in registry order by whichever core is free:
        // npm-ci, the longest on a large lockfile and second in the registry, starts at once
        // beside pin-check (split in halves, it waited for pin-check on the same core while
        // the other core went through the second half).
        let found: Vec<std::sync::OnceLock<Vec<Finding>>> = self
            .checks
            .iter()
            .map(|_| std::sync::OnceLock::new())
            .collect();
        rayon::scope_fifo(|scope| {
            for (check, slot) in self.checks.iter().zip(&found) {
                scope.spawn_fifo(move |_| {
                    let _ = slot.set(check.check(project));
                });
            }
        });
        let mut findings: Vec<Finding> = found
            .into_iter()
            .flat_map(|slot| slot.into_inner().unwrap_or_default())
            .collect();
        // A built-in plugin reports only rules it registered (the filter drops any other id, so
        // the debug builds the tests run catch the mistake instead).
        debug_assert!(
            findings
                .iter()
                .all(|f| self.rules.iter().any(|r| r.id == f.rule)),
            "a plugin reported a rule it did not register: {:?}",
            findings
                .iter()
                .find(|f| !self.rules.iter().any(|r| r.id == f.rule))
                .map(|f| &f.rule)
        );
        match self.external {
            External::Run => findings.extend(
                config
                    .external_plugins
                    .par_iter()
                    .flat_map_iter(|(name, span)| {
                        external::check_with(name, project, config, span.clone())
                    })
                    .collect::<Vec<_>>(),
            ),
            External::NotAllowed => findings.extend(
                config
                    .external_plugins
                    .iter()
                    .map(|(name, span)| external::not_allowed(name, project, config, span.clone())),
            ),
            External::No => {}
        }
        findings.extend(findings::parse_errors(project));
        findings.extend(findings::unsafe_paths(project, config));
        filter::apply(findings, project, config, &self.levels, &self.rules)
    }

    /// Whether findings of `rule` are reported on this run.
    pub fn is_enabled(&self, rule: &str) -> bool {
        self.levels.is_enabled(rule)
    }
}

/// Parse every file of the kinds the enabled plugins read, once, on every core, lockfiles
/// first, before any plugin runs. A plugin that asks for a file another is still parsing waits
/// on it outside rayon's pool, leaving the lockfile's own parallel parse to one core; parsed up
/// front, both cores parse the big lockfile, then both run the plugins.
fn parse_all(project: &Project, kinds: &[FileKind]) {
    let mut files: Vec<&std::sync::Arc<chainward_core::SourceFile>> = project
        .files()
        .iter()
        .filter(|f| kinds.contains(&f.kind))
        .collect();
    // Rayon splits the list in halves: the core that takes the lockfile shares its entries
    // with the other.
    files.sort_by_key(|f| !f.kind.is_lockfile());
    files.par_iter().for_each(|file| {
        chainward_core::project::prefetch(|| parses(file));
    });
}

/// Whether `file` parses, by the one parser of its kind (the parse is cached in the file and
/// shared); kinds chainward reads without a parser of their own pass.
pub(crate) fn parses(file: &chainward_core::SourceFile) -> bool {
    match file.kind {
        FileKind::PackageJson => chainward_npm::package_json(file).is_some(),
        kind if kind.is_lockfile() => chainward_npm::any_lockfile(file).is_some(),
        kind if kind.is_yaml() => chainward_core::yaml::parsed(file).is_some(),
        FileKind::Bunfig => chainward_core::toml::parsed(file).is_some(),
        FileKind::PyProject => chainward_python::pyproject(file).is_some(),
        FileKind::UvLock => chainward_python::uv_lock(file).is_some(),
        FileKind::PyLock => chainward_python::pylock(file).is_some(),
        FileKind::PoetryLock => chainward_python::poetry_lock(file).is_some(),
        _ => true,
    }
}

/// Everything a config can get wrong beyond its syntax: rules named in `[rules]` and
/// `[[ignore]]` must exist, and every plugin must accept its section.
pub fn validate_config(config: &Config) -> Result<(), Error> {
    validate_rule_names(config, &registry::all_rules())?;
    for plugin in registry::PLUGINS {
        plugin.configure(&config.plugin(plugin.id()))?;
    }
    Ok(())
}

fn hint(name: &str) -> String {
    registry::did_you_mean(name)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

fn validate_rule_names(config: &Config, rules: &[&'static Rule]) -> Result<(), Error> {
    let unknown = |name: &str| !rules.iter().any(|r| r.matches(name));
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
    Ok(())
}

/// `--base`: the findings of the working tree that the base revision did not have (as many of
/// each fingerprint as are new).
pub fn introduced(
    now: Vec<Finding>,
    project: &Project,
    before: &[Finding],
    base: &Project,
) -> Vec<Finding> {
    let mut counts: HashMap<(String, PathBuf, String), usize> = HashMap::new();
    for f in before {
        *counts.entry(baseline::fingerprint(f, base)).or_default() += 1;
    }
    now.into_iter()
        .filter(|f| {
            let key = baseline::fingerprint(f, project);
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
