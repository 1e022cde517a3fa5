//! Is there exactly one lockfile covering each package.json, of the package manager the project
//! declares?

use std::path::{Path, PathBuf};

use chainward_core::finding::Location;
use chainward_core::git::GitStatus;
use chainward_core::project::{clean, join};
use chainward_core::span::LineCol;
use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile};
use chainward_npm::json_helpers::first_key_span;
use chainward_npm::npm::ancestors;
use chainward_npm::{Section, package_json};

pub(crate) static MISSING_LOCKFILE: Rule = Rule {
    id: "npm-ci/missing-lockfile",
    code: "NCI001",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "A package.json with dependencies has no lockfile covering it",
    doc: r#"Without a lockfile every install resolves every range again, against whatever the
registry serves that minute: two CI runs of the same commit can install different code, and
`npm ci` refuses to run at all. A workspace member is covered by its workspace root's lockfile
(package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, bun.lock or bun.lockb).

Create one with `npm install --package-lock-only --ignore-scripts` (or your package manager's
equivalent) and commit it.

A workspace member is one the root's own globs include (`workspaces` in package.json,
`packages` in pnpm-workspace.yaml, `!` excludes): a folder below the root that they leave out is
not covered, and `npm ci` there fails. package.json files that no install reads (not the root,
not a member, no lockfile of their own: templates, examples) are reported once, as one finding
naming them all (at `info`), rather than as an error each.
"#,
};

pub(crate) static UNREADABLE_LOCKFILE: Rule = Rule {
    id: "npm-ci/unreadable-lockfile",
    code: "NCI015",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "The only lockfile is bun's binary `bun.lockb`, which chainward cannot read",
    doc: r#"`bun.lockb` is a binary format that only bun reads, and that bun itself replaced with the
text lockfile `bun.lock` in bun 1.2. chainward cannot see what it locks, so nothing is checked
for it: not sync with package.json, integrity, registries, nor install scripts. Reviewers cannot
read its diffs either.

Convert it once with `bun install --save-text-lockfile --frozen-lockfile --lockfile-only`, commit
`bun.lock` and delete `bun.lockb`: bun uses `bun.lock` when both exist.
"#,
};

pub(crate) static MULTIPLE_LOCKFILES: Rule = Rule {
    id: "npm-ci/multiple-lockfiles",
    code: "NCI002",
    default_severity: Severity::Warning,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "Lockfiles of several package managers side by side, or one the `packageManager` field disagrees with",
    doc: r#"With package-lock.json and yarn.lock in one folder, which one is the truth depends on who
runs the install: the two drift apart and review only ever sees one of them. The same holds when
`packageManager` (corepack) names pnpm but the lockfile is npm's. npm-shrinkwrap.json next to
package-lock.json makes npm ignore package-lock.json.
"#,
};

pub(crate) static PACKAGE_MANAGER_UNVERIFIED: Rule = Rule {
    id: "npm-ci/package-manager-unverified",
    code: "NCI016",
    default_severity: Severity::Info,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "`packageManager` names a version without its hash, so corepack does not verify the download",
    doc: r#"Corepack installs the package manager `packageManager` names (`pnpm@9.15.9`) before any
install runs. With a hash (`pnpm@9.15.9+sha512.<hex>`) it checks what it downloaded; without one
it runs whatever the registry served under that version. `corepack use pnpm@9.15.9` writes the
field with its hash. (It was part of `npm-ci/multiple-lockfiles` before, so silencing either
hid the other.)
"#,
};

pub(crate) static LOCKFILE_NOT_COMMITTED: Rule = Rule {
    id: "npm-ci/lockfile-not-committed",
    code: "NCI014",
    default_severity: Severity::Error,
    default_enabled: true,
    fixable: Fixability::None,
    summary: "The lockfile is untracked or git-ignored",
    doc: r#"A lockfile that is not in git protects only the machine it sits on: CI, Docker builds
and every other developer resolve their own versions. A lockfile listed in `.gitignore` is the
worse case, because it can never be committed by accident. Staged files count as committed, so
the pre-commit hook accepts a lockfile added in the same commit.

Outside a git repository this rule is silent.
"#,
};

/// The subject of the per-file findings for package.json files no install reads, which the
/// plugin folds into one summary.
pub(crate) const NOT_INSTALLED: &str = "not-installed";

/// One finding for every package.json no install reads: at the first, naming the others.
pub(crate) fn summarize_not_installed(findings: &mut Vec<Finding>) {
    let (mut stray, rest): (Vec<Finding>, Vec<Finding>) =
        std::mem::take(findings).into_iter().partition(|f| {
            f.rule == MISSING_LOCKFILE.id && f.subject.as_deref() == Some(NOT_INSTALLED)
        });
    *findings = rest;
    if stray.is_empty() {
        return;
    }
    stray.sort_by(|a, b| a.location.path.cmp(&b.location.path));
    let mut first = stray.remove(0);
    if !stray.is_empty() {
        let shown: Vec<String> = stray
            .iter()
            .take(10)
            .map(|f| format!("`{}`", f.location.path.display()))
            .collect();
        let more = stray.len().saturating_sub(10);
        first.message = format!(
            "no install reads this package.json nor {} other{}: {}{}. None is the root, a member of a workspace, or a project with its own lockfile",
            stray.len(),
            if stray.len() == 1 { "" } else { "s" },
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    first.help = Some("if one of them is installed on its own (a docs site, a service), commit its lockfile; if they are templates or examples, exclude them in chainward.toml (`[files] exclude`)".into());
    findings.push(first);
}

/// A pnpm, yarn or bun lockfile in a workspace member whose root's lockfile shadows it: no
/// install reads it, so it is not checked (a 2021 pnpm 5 lockfile is not a parse error), and one
/// info finding says so. Returns whether it was shadowed.
pub(crate) fn shadowed(project: &Project, file: &SourceFile, out: &mut Vec<Finding>) -> bool {
    let Some(root) = chainward_npm::workspaces::lockfile_shadowing_root(project, file) else {
        return false;
    };
    let name = file
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    out.push(
        Finding::at(
            &MULTIPLE_LOCKFILES,
            file_start(file.path.clone()),
            format!(
                "{name} is not read by any install: this folder is a member of the workspace at `{}`, whose own {name} is used",
                root.display()
            ),
        )
        .with_severity(Severity::Info)
        .with_help("delete it: it only misleads readers and tools"),
    );
    true
}

/// Lockfile names by package manager.
const LOCKFILES: &[(&str, &str)] = &[
    ("npm-shrinkwrap.json", "npm"),
    ("package-lock.json", "npm"),
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
];

/// The lockfiles present in `dir`, with their package manager.
fn lockfiles_in(project: &Project, dir: &Path) -> Vec<(PathBuf, &'static str, &'static str)> {
    LOCKFILES
        .iter()
        .filter_map(|(name, pm)| {
            let path = join(dir, name);
            project.file_at(&path).map(|_| (path, *name, *pm))
        })
        .collect()
}

/// Whether the folder is a workspace root (`workspaces` in its package.json, or pnpm's file).
fn is_workspace_root(project: &Project, dir: &Path) -> bool {
    if project.file_at(&join(dir, "pnpm-workspace.yaml")).is_some() {
        return true;
    }
    project
        .file_at(&join(dir, "package.json"))
        .is_some_and(|f| package_json(&f).is_some_and(|p| !p.workspaces().is_empty()))
}

fn file_start(path: PathBuf) -> Location {
    let lc = LineCol { line: 1, column: 1 };
    Location::at(path, 0..0, lc, lc)
}

pub(crate) fn check(project: &Project, file: &SourceFile, out: &mut Vec<Finding>) {
    let Some(pj) = package_json(file) else { return };
    let dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let here = lockfiles_in(project, &dir);

    let has_deps = Section::DEPENDENCY_SECTIONS.iter().any(|s| {
        pj.json
            .get(s.key())
            .and_then(|v| v.as_object())
            .is_some_and(|o| !o.is_empty())
    });
    if here.is_empty() && has_deps {
        // Covered: a member (by the root's own globs) of a workspace root above that has a
        // lockfile. A folder below such a root that its globs leave out is not: `npm ci` there
        // fails.
        let covered = ancestors(&dir).into_iter().skip(1).any(|(up, rel)| {
            let locks = lockfiles_in(project, &up);
            let Some((_, _, manager)) = locks.first() else {
                return false;
            };
            is_workspace_root(project, &up)
                && chainward_npm::workspaces::Workspaces::of_root(project, &up, manager)
                    .contains(&rel)
        });
        let is_root = clean(&dir) == clean(&project.root);
        if !covered && !is_root {
            // Neither the root, nor a workspace member, nor a project with its own lockfile: no
            // install reads it (a template, an example). Said once for all of them.
            out.push(
                Finding::new(
                    &MISSING_LOCKFILE,
                    file,
                    0..0,
                    "no install reads this package.json: it is not the root, not a member of a workspace, and has no lockfile of its own",
                )
                .with_severity(Severity::Info)
                .with_subject(NOT_INSTALLED),
            );
        } else if !covered {
            let span = first_key_span(
                &pj.json,
                &[
                    "dependencies",
                    "devDependencies",
                    "optionalDependencies",
                    "peerDependencies",
                ],
            );
            out.push(
                Finding::new(&MISSING_LOCKFILE, file, span, "this package.json declares dependencies but no lockfile covers it")
                    .with_help("run `npm install --package-lock-only --ignore-scripts` (or your package manager's equivalent) and commit the lockfile"),
            );
        }
    }

    // Lockfiles git does not have.
    if project.git().is_none() && !here.is_empty() {
        // The folder as the user sees it: `.` for the current one, never an empty name.
        let shown = if dir.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            dir.as_path()
        };
        project.note(format!(
            "npm-ci/lockfile-not-committed: {} is not in a git repository, so whether its lockfile is committed was not checked",
            shown.display()
        ));
    }
    if let Some(git) = project.git() {
        for (path, name, _) in &here {
            let why = match git.status(path) {
                GitStatus::Untracked => {
                    "is not committed (untracked): CI and other machines resolve their own versions"
                }
                GitStatus::Ignored => {
                    "is git-ignored: it can never be committed, so CI and other machines resolve their own versions"
                }
                GitStatus::Tracked | GitStatus::Outside => continue,
                GitStatus::Unknown => {
                    project.note(
                        "npm-ci/lockfile-not-committed: git's index (.git/index) is missing or unreadable, so whether lockfiles are committed was not checked (`git status` would say the same; `git reset` rebuilds the index)",
                    );
                    continue;
                }
            };
            out.push(
                Finding::at(
                    &LOCKFILE_NOT_COMMITTED,
                    file_start(path.clone()),
                    format!("{name} {why}"),
                )
                .with_help(format!(
                    "remove it from .gitignore if listed there, then `git add {}`",
                    path.display()
                )),
            );
        }
    }

    // bun's binary lockfile, with no text lockfile beside it: nothing of it can be checked.
    if here.iter().any(|(_, name, _)| *name == "bun.lockb")
        && !here.iter().any(|(_, name, _)| *name == "bun.lock")
        && let Some((path, _, _)) = here.iter().find(|(_, name, _)| *name == "bun.lockb")
    {
        out.push(
            Finding::at(
                &UNREADABLE_LOCKFILE,
                file_start(path.clone()),
                "bun.lockb is bun's binary lockfile, which chainward cannot read: its sync with package.json, integrity hashes, registries and install scripts were not checked",
            )
            .with_help("convert it: `bun install --save-text-lockfile --frozen-lockfile --lockfile-only`, commit bun.lock and delete bun.lockb"),
        );
    }

    // Several package managers' lockfiles side by side.
    let mut managers: Vec<&str> = here.iter().map(|(_, _, pm)| *pm).collect();
    managers.dedup();
    if managers.len() > 1 {
        let names: Vec<&str> = here.iter().map(|(_, n, _)| *n).collect();
        for (path, name, _) in here.iter().skip(1) {
            out.push(Finding::at(
                &MULTIPLE_LOCKFILES,
                file_start(path.clone()),
                format!("{name} sits next to {}: lockfiles of {} package managers in one folder drift apart", names[0], managers.len()),
            ).with_help("keep the lockfile of the package manager the project uses and delete the others"));
        }
    }
    if here.iter().any(|(_, n, _)| *n == "npm-shrinkwrap.json")
        && here.iter().any(|(_, n, _)| *n == "package-lock.json")
    {
        out.push(
            Finding::at(
                &MULTIPLE_LOCKFILES,
                file_start(join(&dir, "package-lock.json")),
                "npm-shrinkwrap.json takes precedence: npm ignores this package-lock.json",
            )
            .with_help("delete one of the two"),
        );
    }

    // `packageManager` (corepack).
    if let Some(member) = pj.json.member("packageManager")
        && let Some(value) = member.value.as_str()
    {
        let manager = value.split('@').next().unwrap_or_default();
        let span = member.value.span.clone();
        if !here.is_empty() && !here.iter().any(|(_, _, pm)| *pm == manager) {
            let present: Vec<&str> = here.iter().map(|(_, n, _)| *n).collect();
            out.push(Finding::new(
                &MULTIPLE_LOCKFILES,
                file,
                span.clone(),
                format!(
                    "`packageManager` says {manager}, but the lockfile here is {}",
                    present.join(" and ")
                ),
            ));
        }
        if !value.contains("+sha") {
            out.push(
                Finding::new(&PACKAGE_MANAGER_UNVERIFIED, file, span, format!("`packageManager` pins `{value}` without a hash, so corepack does not verify what it downloads"))
                    .with_help("add the hash: `corepack use <manager>@<version>` writes `<manager>@<version>+sha512.<hex>`"),
            );
        }
    }
}
