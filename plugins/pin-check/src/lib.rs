//! pin-check: every dependency, action and image pinned to exactly one version, and a fix that
//! pins ranges to what the lockfile already installs.

mod actions;
mod catalogs;
mod images;
mod manifest;
mod pin;
mod python;
mod role;
mod shrinkwrap;

use chainward_core::config::PluginConfig;
use chainward_core::{Check, Error, FileKind, Finding, Plugin, Project, Rule};
use rayon::prelude::*;

pub use actions::Policy;

/// The pin-check plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct PinCheck;

/// Every rule of this plugin, in code order.
pub static RULES: &[&Rule] = &[
    &manifest::RANGE_SPECIFIER,
    &manifest::DIST_TAG,
    &manifest::UNPINNED_GIT,
    &manifest::URL_SPEC,
    &manifest::INVALID_SPECIFIER,
    &actions::UNPINNED_ACTION,
    &images::UNPINNED_IMAGE,
    &shrinkwrap::EXECUTABLE_WITHOUT_SHRINKWRAP,
];

/// Options read from `[pin-check]`.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub peer_dependencies: bool,
    pub policies: actions::Policies,
    pub roles: role::Roles,
}

impl Options {
    fn from_config(config: &PluginConfig) -> Result<Self, Error> {
        config.deny_unknown_keys("pin-check", &["peer-dependencies", "actions", "roles"])?;
        Ok(Self {
            peer_dependencies: config.get_bool("peer-dependencies")?.unwrap_or(false),
            policies: actions::Policies::from_config(config)?,
            roles: role::Roles::from_config(config)?,
        })
    }
}

impl Plugin for PinCheck {
    fn id(&self) -> &'static str {
        "pin-check"
    }

    fn summary(&self) -> &'static str {
        "Version ranges, dist-tags, git/url specs, unpinned actions and images; pins ranges to the lockfile"
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
            || matches!(kind, FileKind::PyProject | FileKind::UvLock)
    }
}

impl Check for Options {
    fn check(&self, project: &Project) -> Vec<Finding> {
        let opts = self;
        project
            .files()
            .par_iter()
            .flat_map_iter(|file| {
                let mut out = Vec::new();
                match file.kind {
                    FileKind::PackageJson => manifest::check(project, file, opts, &mut out),
                    FileKind::PyProject => python::check(project, file, opts, &mut out),
                    FileKind::Workflow | FileKind::Action => {
                        actions::check(
                            file,
                            &opts.policies,
                            project.forge(),
                            project.images(),
                            &mut out,
                        );
                        images::check_workflow(file, project.images(), &mut out);
                    }
                    FileKind::Dockerfile => {
                        images::check_dockerfile(file, project.images(), &mut out)
                    }
                    FileKind::PnpmWorkspace => {
                        catalogs::check_pnpm_workspace(project, file, &mut out)
                    }
                    FileKind::YarnRc => catalogs::check_yarn_catalogs(project, file, &mut out),
                    _ => {}
                }
                out
            })
            .collect()
    }
}
