//! Is there exactly one lockfile covering each package.json, of the package manager the project
//! declares?

use std::path::{Path, PathBuf};

use chainward_core::finding::Location;
use chainward_core::git::GitStatus;
use chainward_core::project::join;
use chainward_core::span::LineCol;
use chainward_core::{Finding, Fixability, Project, Rule, Severity, SourceFile};
use chainward_npm::json_helpers::first_key_span;
use chainward_npm::lockfile::ancestors;
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

`packageManager` without a `+sha512.…` hash is reported as `info`: corepack then downloads the
package manager without verifying it.
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
        let covered = ancestors(&dir).into_iter().skip(1).any(|(up, _)| {
            !lockfiles_in(project, &up).is_empty() && is_workspace_root(project, &up)
        });
        if !covered {
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
        project.note(format!(
            "npm-ci/lockfile-not-committed: {} is not in a git repository, so whether its lockfile is committed was not checked",
            dir.display()
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
                Finding::new(&MULTIPLE_LOCKFILES, file, span, format!("`packageManager` pins `{value}` without a hash, so corepack does not verify what it downloads"))
                    .with_severity(Severity::Info)
                    .with_help("add the hash: `corepack use <manager>@<version>` writes `<manager>@<version>+sha512.<hex>`"),
            );
        }
    }
}
