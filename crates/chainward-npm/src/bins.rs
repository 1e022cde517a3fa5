//! The commands a project's own installs put in `node_modules/.bin`: what `npx x`, `bunx x` and
//! `npm exec x` run from the project instead of downloading `x` from the registry.
//!
//! npm lockfiles v2/v3 record every package's `bin` names, so for a project locked only by them
//! the answer is exact. pnpm, yarn and bun lockfiles record names, not commands: there a command
//! is local when a locked package is named like it (`eslint`), its scope-less name is
//! (`@biomejs/biome` → `biome`), it drops `-cli` (`netlify-cli` → `netlify`), or it is one of the
//! well-known commands whose package has another name (`tsc` of `typescript`); otherwise
//! chainward cannot tell.

use std::collections::HashSet;

use chainward_core::{FileKind, Project};

use crate::lockfile::{AnyLock, any_lockfile};
use crate::manifest::{Section, package_json};

/// Commands whose package is named otherwise: (command, package).
const KNOWN: &[(&str, &str)] = &[
    ("tsc", "typescript"),
    ("tsserver", "typescript"),
    ("changeset", "@changesets/cli"),
    ("ng", "@angular/cli"),
    ("nest", "@nestjs/cli"),
    ("vue", "@vue/cli"),
    ("sb", "storybook"),
    ("svelte-kit", "@sveltejs/kit"),
    ("firebase", "firebase-tools"),
    ("cdk", "aws-cdk"),
    ("ntl", "netlify-cli"),
    ("_mocha", "mocha"),
    ("nx-cloud", "nx"),
    ("nuxi", "nuxt"),
    ("nuxt", "nuxi"),
    ("eas", "eas-cli"),
    ("wdio", "@wdio/cli"),
    ("playwright", "@playwright/test"),
    ("attw", "@arethetypeswrong/cli"),
];

/// What a project's installs provide.
#[derive(Debug, Default)]
pub struct LocalCommands {
    /// Package names locked or declared anywhere in the project, and the commands npm lockfiles
    /// record.
    names: HashSet<String>,
    /// Whether every install's commands are known (only npm v2/v3 lockfiles, and every declared
    /// dependency in them).
    exact: bool,
}

impl LocalCommands {
    pub fn of(project: &Project) -> LocalCommands {
        let mut names = HashSet::new();
        let mut exact = true;
        for file in project.files().iter().filter(|f| f.kind.is_lockfile()) {
            match any_lockfile(file) {
                Some(AnyLock::Npm(lock)) => {
                    exact &= lock.lockfile_version >= 2;
                    for (key, pkg) in lock.packages.iter() {
                        let name = pkg
                            .name()
                            .unwrap_or_else(|| crate::npm::installed_name(key));
                        names.insert(name.to_string());
                        names.extend(pkg.bin().map(|b| b.to_string()));
                    }
                }
                Some(lock @ AnyLock::Other(_)) => {
                    exact = false;
                    names.extend(lock.iter_packages().map(|(_, p)| p.name.to_string()));
                }
                None => exact = false,
            }
        }
        let locked = names.clone();
        for file in project.files_of(FileKind::PackageJson) {
            let Some(pj) = package_json(file) else {
                continue;
            };
            for section in [
                Section::Dependencies,
                Section::DevDependencies,
                Section::OptionalDependencies,
                Section::PeerDependencies,
            ] {
                for dep in pj.deps(section) {
                    exact &= locked.contains(dep.name);
                    names.insert(dep.name.to_string());
                }
            }
            if let Some(name) = pj.name() {
                names.insert(name.to_string());
            }
        }
        LocalCommands { names, exact }
    }

    /// Packages installed otherwise (`npm i -g x`): their commands, as far as names tell.
    pub fn named(names: impl IntoIterator<Item = String>) -> LocalCommands {
        LocalCommands {
            names: names.into_iter().collect(),
            exact: false,
        }
    }

    /// Whether `command` runs from the project's own `node_modules/.bin`: `Some(true)` yes,
    /// `Some(false)` certainly not (then `npx` downloads it), `None` cannot tell.
    pub fn provides(&self, command: &str) -> Option<bool> {
        let named = |n: &str| self.names.contains(n);
        if named(command)
            || KNOWN.iter().any(|(c, p)| *c == command && named(p))
            || named(&format!("{command}-cli"))
            || self.names.iter().any(|n| {
                n.strip_prefix('@')
                    .and_then(|s| s.split_once('/'))
                    .is_some_and(|(_, tail)| tail == command)
            })
        {
            return Some(true);
        }
        self.exact.then_some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(names: &[&str], exact: bool) -> LocalCommands {
        LocalCommands {
            names: names.iter().map(|n| n.to_string()).collect(),
            exact,
        }
    }

    #[test]
    fn commands_named_otherwise_are_found_through_their_packages() {
        let c = commands(
            &["typescript", "@biomejs/biome", "netlify-cli", "eslint"],
            false,
        );
        for local in ["tsc", "biome", "netlify", "eslint"] {
            assert_eq!(c.provides(local), Some(true), "{local}");
        }
        assert_eq!(c.provides("vercel"), None);
        assert_eq!(commands(&["eslint"], true).provides("vercel"), Some(false));
    }
}
