//! The fix loop: apply the fixes the findings carry, re-check the result, and go on until
//! nothing changes ([`Engine::fix_until_stable`]); every changed file must still parse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chainward_core::fix::{self, Applicability, Rename};
use chainward_core::{Error, FileKind, Finding, Fix, Project};

use crate::Engine;

/// Rounds of fix → re-check before giving up on convergence.
const MAX_FIX_ROUNDS: usize = 10;

/// Which fixes to apply.
#[derive(Debug, Default, Clone, Copy)]
pub struct FixPolicy {
    /// `--unsafe-fixes`: also those marked unsafe.
    pub unsafe_fixes: bool,
    /// Stop after this many rounds (0: the engine's limit).
    pub max_rounds: usize,
}

/// What the fix loop did. Nothing is written until [`FixOutcome::write`].
#[derive(Default)]
pub struct FixOutcome {
    /// Rounds in which fixes were applied.
    pub rounds: usize,
    /// Fixes applied over all rounds.
    pub fixes_applied: usize,
    /// The new text of every file a fix touched.
    pub changes: BTreeMap<PathBuf, String>,
    /// The findings of the fixed project: what was left.
    pub findings: Vec<Finding>,
    /// The project with the changes, when there are any.
    pub project: Option<Project>,
    /// What each applied fix was for: the rule and the file of its finding, in the order they
    /// were applied (`--show-fixes`).
    pub fixed: Vec<Fixed>,
    /// Files renamed (their new name's text is in `changes`; the old name goes).
    pub renamed: Vec<Rename>,
    /// Files created (their text is in `changes`).
    pub created: Vec<PathBuf>,
}

/// One applied fix: the rule of the finding it fixed and where that finding was.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fixed {
    pub path: PathBuf,
    pub rule: String,
}

impl FixOutcome {
    /// The project the findings are about: the fixed one, else `original`.
    pub fn project<'a>(&'a self, original: &'a Project) -> &'a Project {
        self.project.as_ref().unwrap_or(original)
    }

    /// Files whose text differs from what `original` read (a file fixed and fixed back is not
    /// counted).
    pub fn files_changed(&self, original: &Project) -> usize {
        self.changes
            .iter()
            .filter(|(path, new)| original_text(original, path).as_deref() != Some(new.as_str()))
            .count()
    }

    /// What `path` (a file in `changes`) was in `original`: itself, or the file renamed to it.
    fn before<'a>(&'a self, path: &'a Path) -> &'a Path {
        let mut path = path;
        while let Some(r) = self.renamed.iter().find(|r| r.to == path) {
            path = &r.from;
        }
        path
    }

    /// The unified diff of every change (`--diff`).
    pub fn diff(&self, original: &Project) -> Result<String, Error> {
        let mut out = String::new();
        for (path, new) in &self.changes {
            let from = self.before(path);
            if self.created.contains(path) && original_text(original, from).is_none() {
                out.push_str(&fix::unified_diff_new(path, new));
                continue;
            }
            let old = original_text(original, from).ok_or_else(|| Error::Fix {
                path: from.to_path_buf(),
                message: "cannot read the file a fix changes".into(),
            })?;
            if from == path {
                out.push_str(&fix::unified_diff(path, &old, new));
            } else {
                // As git prints a rename.
                let slash = |p: &Path| p.display().to_string().replace('\\', "/");
                out.push_str(&format!(
                    "diff --git a/{} b/{}\n{}rename from {}\nrename to {}\n",
                    slash(from),
                    slash(path),
                    if old == *new {
                        "similarity index 100%\n"
                    } else {
                        ""
                    },
                    slash(from),
                    slash(path)
                ));
                if old != *new {
                    out.push_str(&fix::unified_diff_between(from, path, &old, new));
                }
            }
        }
        Ok(out)
    }

    /// Write every change atomically; a file that changed on disk since `original` read it is
    /// not overwritten (nothing is written then).
    /// A renamed file's new name is created only where nothing exists (and its old name is
    /// removed only when it still holds what was read, after the new one is written).
    pub fn write(&self, original: &Project) -> Result<(), Error> {
        let originals: BTreeMap<PathBuf, String> = self
            .changes
            .keys()
            .filter_map(|path| Some((path.clone(), original_text(original, path)?)))
            .collect();
        let gone: Vec<&Path> = self
            .renamed
            .iter()
            .map(|r| r.from.as_path())
            .filter(|from| !self.changes.contains_key(*from))
            .collect();
        for rename in &self.renamed {
            if !self.changes.contains_key(&rename.to) {
                continue;
            }
            if std::fs::symlink_metadata(&rename.to).is_ok() && !originals.contains_key(&rename.to)
            {
                return Err(Error::Fix {
                    path: rename.to.clone(),
                    message: "a fix would create this file, and it exists now; nothing was written"
                        .into(),
                });
            }
        }
        for path in &self.created {
            if self.changes.contains_key(path)
                && !originals.contains_key(path)
                && std::fs::symlink_metadata(path).is_ok()
            {
                return Err(Error::Fix {
                    path: path.clone(),
                    message: "a fix would create this file, and it exists now; nothing was written"
                        .into(),
                });
            }
        }
        for from in &gone {
            let read = original_text(original, from);
            let now = std::fs::read(from).ok();
            if read.as_deref().map(str::as_bytes) != now.as_deref() {
                return Err(Error::Fix {
                    path: from.to_path_buf(),
                    message: "the file changed on disk after chainward read it (another editor or process?); nothing was written: run the fix again".into(),
                });
            }
        }
        fix::write_checked(&self.changes, &originals, Some(&original.root))?;
        for from in gone {
            std::fs::remove_file(from).map_err(|e| Error::io(from, e))?;
        }
        Ok(())
    }
}

/// What `project` read at `path`.
fn original_text(project: &Project, path: &Path) -> Option<String> {
    let file = project.source(path).or_else(|| project.file_at(path))?;
    Some(file.text().ok()?.to_string())
}

impl Engine {
    /// Apply the fixes of `findings` (found in `project`) that `policy` allows, re-check, and
    /// repeat until no fix changes anything or the round limit is reached. `Err` when a fixed
    /// file would not parse; nothing is written either way.
    pub fn fix_until_stable(
        &self,
        project: &Project,
        findings: Vec<Finding>,
        policy: FixPolicy,
    ) -> Result<FixOutcome, Error> {
        let max_rounds = if policy.max_rounds == 0 {
            MAX_FIX_ROUNDS
        } else {
            policy.max_rounds
        };
        let mut outcome = FixOutcome {
            findings,
            ..FixOutcome::default()
        };
        while outcome.rounds < max_rounds {
            let current = outcome.project.as_ref().unwrap_or(project);
            let (fixes, of): (Vec<&Fix>, Vec<&Finding>) = outcome
                .findings
                .iter()
                .filter_map(|f| f.fix.as_ref().map(|x| (x, f)))
                .filter(|(x, _)| x.applicability == Applicability::Safe || policy.unsafe_fixes)
                .unzip();
            if fixes.is_empty() {
                break;
            }
            let applied = apply_fixes(current, &fixes)?;
            if applied.files.is_empty() {
                break;
            }
            outcome.rounds += 1;
            outcome.fixes_applied += applied.applied;
            outcome
                .fixed
                .extend(applied.applied_fixes.iter().map(|&i| Fixed {
                    path: of[i].location.path.clone(),
                    rule: of[i].rule.clone(),
                }));
            outcome.changes.extend(applied.files);
            for rename in &applied.renames {
                outcome.changes.remove(&rename.from);
            }
            outcome.renamed.extend(applied.renames);
            outcome.created.extend(applied.created);
            let next = project.with_changes(&outcome.changes, &outcome.renamed);
            outcome.findings = self.check(&next);
            outcome.project = Some(next);
        }
        Ok(outcome)
    }
}

/// `fixes` applied to `project` in one round: overlapping fixes skipped, edits that do not fit
/// refused, and every changed file re-parsed (`Err` if one would not parse: nothing would be
/// written).
pub fn apply_fixes(project: &Project, fixes: &[&Fix]) -> Result<fix::Applied, Error> {
    let applied = fix::apply(fixes, |path| {
        project
            .source(path)
            .or_else(|| project.file_at(path))
            .ok_or_else(|| Error::Fix {
                path: path.to_path_buf(),
                message: "a fix targets a file that was not read; nothing was written".into(),
            })
            .and_then(|f| {
                f.text().map(str::to_string).map_err(|e| Error::Fix {
                    path: path.to_path_buf(),
                    message: format!("cannot read: {}", e.message),
                })
            })
    })?;
    for path in &applied.created {
        may_create(project, path)?;
    }
    for (path, text) in &applied.files {
        reparse(project, path, text)?;
    }
    Ok(applied)
}

/// A fix may create a file only where nothing exists, with a name chainward reads, in a
/// folder of the project that holds a file it read (so never outside the tree, nor through
/// a link: that folder was walked).
fn may_create(project: &Project, path: &Path) -> Result<(), Error> {
    let refuse = |why: &str| {
        Err(Error::Fix {
            path: path.to_path_buf(),
            message: format!("a fix would create this file, and {why}; nothing was written"),
        })
    };
    let name = path.file_name().and_then(|n| n.to_str());
    if name.and_then(FileKind::classify).is_none() {
        return refuse("chainward does not read files of that name");
    }
    if project.file_at(path).is_some() || std::fs::symlink_metadata(path).is_ok() {
        return refuse("it exists");
    }
    let folder = |p: &Path| p.parent().map(chainward_core::project::clean);
    let dir = folder(path);
    if path != chainward_core::project::clean(path)
        || !project.files().iter().any(|f| folder(&f.path) == dir)
    {
        return refuse("its folder holds no file chainward read");
    }
    Ok(())
}

/// A fixed file must still parse as what it is; otherwise nothing is written.
fn reparse(project: &Project, path: &Path, text: &str) -> Result<(), Error> {
    let kind = project
        .source(path)
        .map(|f| f.kind)
        .or_else(|| FileKind::classify(&path.to_string_lossy()));
    let check =
        chainward_core::SourceFile::in_memory(path, kind.unwrap_or(FileKind::PackageJson), text);
    let ok = crate::parses(&check);
    if ok {
        Ok(())
    } else {
        let why = check.error().map(|e| e.message.clone()).unwrap_or_default();
        Err(Error::Fix {
            path: path.to_path_buf(),
            message: format!(
                "internal error: the fixed file would not parse ({why}); nothing was written"
            ),
        })
    }
}
