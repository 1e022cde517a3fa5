//! pm-config: the package managers' own protections — a release-age cooldown, pnpm's trust
//! policy, dependency install scripts off, no git or tarball sub-dependencies — are on and in effect for the package manager and version each project uses, read
//! from their own files (.npmrc, pnpm-workspace.yaml, .yarnrc.yml, bunfig.toml) offline.

mod allowlist;
mod cooldown;
mod edit;
mod exclusions;
mod scripts;
mod show;
mod trust;
mod uv;

use chainward_core::config::PluginConfig;
use chainward_core::{Check, Error, FileKind, Finding, Plugin, Project, Rule};

/// The pm-config plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct PmConfig;

/// Every rule of this plugin, in code order.
pub static RULES: &[&Rule] = &[
    &cooldown::NO_COOLDOWN,
    &cooldown::COOLDOWN_TOO_SHORT,
    &cooldown::SETTING_IGNORED,
    &trust::NO_TRUST_POLICY,
    &scripts::SCRIPTS_ALLOWED,
    &scripts::EXOTIC_SOURCES_ALLOWED,
    &exclusions::BROAD_EXCLUSION,
];

/// The cooldown policy when chainward.toml sets none: three days, past the hours to about a day
/// that the 2025 compromised releases stayed on the registry (Dependabot, by its documentation,
/// has no default cooldown; pnpm 11 and yarn 4.15 default to one day).
pub const DEFAULT_MIN_RELEASE_AGE_DAYS: u64 = 3;

/// Options read from `[pm-config]`.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub min_release_age_days: u64,
}

impl Options {
    pub(crate) fn from_config(config: &PluginConfig) -> Result<Self, Error> {
        config.deny_unknown_keys("pm-config", &["min-release-age-days"])?;
        Ok(Self {
            min_release_age_days: config
                .get_integer("min-release-age-days", 0..=365)?
                .map_or(DEFAULT_MIN_RELEASE_AGE_DAYS, |d| d as u64),
        })
    }
}

impl Plugin for PmConfig {
    fn id(&self) -> &'static str {
        "pm-config"
    }

    fn summary(&self) -> &'static str {
        "The package managers' own protections (release-age cooldown, trust policy, install scripts, exotic sub-dependencies) on and in effect for the version in use"
    }

    fn rules(&self) -> &'static [&'static Rule] {
        RULES
    }

    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, Error> {
        Ok(Box::new(Options::from_config(config)?))
    }

    fn reads(&self, kind: FileKind) -> bool {
        // Lockfiles: yarn's format tells yarn versions apart; any lockfile gives the versions
        // a broad exclusion is narrowed to (read only when there is one).
        kind.is_lockfile()
            || matches!(
                kind,
                FileKind::PackageJson
                    | FileKind::Npmrc
                    | FileKind::PnpmWorkspace
                    | FileKind::YarnRc
                    | FileKind::Bunfig
                    | FileKind::UvLock
                    | FileKind::PyProject
            )
    }

    fn commands(&self) -> Vec<(chainward_core::command::Mount, clap::Command)> {
        show::commands()
    }

    fn run_command(
        &self,
        name: &str,
        args: &clap::ArgMatches,
        context: &chainward_core::command::Context<'_>,
    ) -> Result<chainward_core::command::Output, Error> {
        show::run_command(name, args, context)
    }
}

impl Check for Options {
    fn check(&self, project: &Project) -> Vec<Finding> {
        let mut out = Vec::new();
        for root in chainward_npm::pm::roots(project) {
            cooldown::check(project, &root, self.min_release_age_days, &mut out);
            trust::check(project, &root, &mut out);
            scripts::check(project, &root, &mut out);
            allowlist::check(project, &root, &mut out);
            exclusions::check(project, &root, &mut out);
        }
        uv::check(project, self.min_release_age_days, &mut out);
        // Projects that share a file (nested yarn projects under one .yarnrc.yml) share its
        // findings: each once.
        let mut seen = std::collections::HashSet::new();
        out.retain(|f| {
            seen.insert((
                f.location.path.clone(),
                f.location.span.start,
                f.rule.clone(),
                f.message.clone(),
            ))
        });
        out
    }
}
