//! npm-ci: the lockfile enforcer. Will this project install exactly what its lockfile says, from
//! where we expect? Answered offline, with the verdict `npm ci` itself would give.

mod commands;
mod coverage;
mod entries;
mod npmrc_rule;
mod python;
mod sync;
mod sync_other;

use chainward_core::config::PluginConfig;
use chainward_core::{Check, Error, FileKind, Finding, Plugin, Project, Rule};
use chainward_npm::{AnyLock, any_lockfile};
use rayon::prelude::*;

/// The npm-ci plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct NpmCi;

pub static RULES: &[&Rule] = &[
    &coverage::MISSING_LOCKFILE,
    &coverage::MULTIPLE_LOCKFILES,
    &coverage::PACKAGE_MANAGER_UNVERIFIED,
    &coverage::LOCKFILE_NOT_COMMITTED,
    &coverage::UNREADABLE_LOCKFILE,
    &sync::LOCKFILE_OUT_OF_SYNC,
    &entries::MISSING_INTEGRITY,
    &entries::WEAK_INTEGRITY,
    &entries::DISALLOWED_HOST,
    &entries::INSECURE_PROTOCOL,
    &entries::NAME_MISMATCH,
    &entries::GIT_DEPENDENCY,
    &entries::LOCKFILE_V1,
    &commands::INSTALL_COMMAND,
    &commands::SCRIPTS_ENABLED,
    &npmrc_rule::NPMRC,
];

/// The registries allowed by default: npm's and yarn's public ones.
pub const DEFAULT_HOSTS: &[&str] = &["registry.npmjs.org", "registry.yarnpkg.com"];

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub allowed_hosts: Vec<String>,
    /// Python package indexes a uv.lock may resolve from (besides those its pyproject.toml
    /// declares).
    pub allowed_indexes: Vec<String>,
}

impl Options {
    fn from_config(config: &PluginConfig) -> Result<Self, Error> {
        config.deny_unknown_keys("npm-ci", &["allowed-hosts", "allowed-indexes"])?;
        let hosts = config.get_string_list("allowed-hosts")?;
        let indexes = config.get_string_list("allowed-indexes")?;
        Ok(Self {
            allowed_hosts: hosts
                .unwrap_or_else(|| DEFAULT_HOSTS.iter().map(|h| h.to_string()).collect()),
            allowed_indexes: indexes.unwrap_or_else(|| {
                python::DEFAULT_INDEXES
                    .iter()
                    .map(|h| h.to_string())
                    .collect()
            }),
        })
    }
}

impl Plugin for NpmCi {
    fn id(&self) -> &'static str {
        "npm-ci"
    }

    fn summary(&self) -> &'static str {
        "The lockfile enforcer: present, in sync as `npm ci` judges it, integrity, allowed hosts"
    }

    fn rules(&self) -> &'static [&'static Rule] {
        RULES
    }

    fn configure(&self, config: &PluginConfig) -> Result<Box<dyn Check>, Error> {
        Ok(Box::new(Options::from_config(config)?))
    }

    fn reads(&self, kind: FileKind) -> bool {
        kind.is_npm_model()
            || kind.is_workflow_model()
            || matches!(
                kind,
                FileKind::UvLock | FileKind::PyLock | FileKind::PoetryLock | FileKind::Requirements
            )
    }
}

impl Check for Options {
    fn check(&self, project: &Project) -> Vec<Finding> {
        let opts = self;
        let ctx = commands::Context::new(project);
        let mut findings: Vec<Finding> = project
            .files()
            .par_iter()
            .flat_map_iter(|file| {
                let mut out = Vec::new();
                match file.kind {
                    FileKind::PackageJson => coverage::check(project, file, &mut out),
                    FileKind::NpmLock | FileKind::NpmShrinkwrap => {
                        // Both read the parsed lockfile: side by side on a big one. The
                        // edge check starts first: it has a serial stretch (the name index,
                        // the walk from the root) that the entries' slices can fill beside.
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        rayon::join(
                            || sync::check(project, file, &mut b),
                            || entries::check(file, opts, &mut a),
                        );
                        out.append(&mut a);
                        out.append(&mut b);
                    }
                    FileKind::PnpmLock | FileKind::YarnLock | FileKind::BunLock
                        if coverage::shadowed(project, file, &mut out) => {}
                    FileKind::PnpmLock | FileKind::YarnLock | FileKind::BunLock => {
                        entries::check(file, opts, &mut out);
                        if let Some(AnyLock::Other(lock)) = any_lockfile(file) {
                            sync_other::check(project, file, lock, &mut out);
                        }
                    }
                    FileKind::Workflow | FileKind::Action | FileKind::Dockerfile => {
                        commands::check(&ctx, file, &mut out)
                    }
                    FileKind::Npmrc => npmrc_rule::check(file, &mut out),
                    FileKind::UvLock => python::check(project, file, opts, &mut out),
                    FileKind::Requirements => python::check_requirements(file, &mut out),
                    FileKind::PyLock => python::check_pylock(project, file, opts, &mut out),
                    FileKind::PoetryLock => python::check_poetry(file, opts, &mut out),
                    _ => {}
                }
                out
            })
            .collect::<Vec<Finding>>()
            .into_iter()
            .chain(invoked_scripts(&ctx, project))
            .collect();
        coverage::summarize_not_installed(&mut findings);
        findings
    }
}

/// Findings in the shell scripts that workflows and composite actions run, each script once
/// however many steps run it.
fn invoked_scripts(ctx: &commands::Context<'_>, project: &Project) -> Vec<Finding> {
    let mut paths: Vec<std::path::PathBuf> = project
        .files()
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Workflow | FileKind::Action))
        .flat_map(|f| commands::invoked_scripts(project, f))
        .collect();
    paths.sort();
    paths.dedup();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for path in paths {
        commands::check_script(ctx, &path, 2, &mut seen, &mut out);
    }
    out
}
