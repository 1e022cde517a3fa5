//! Fixes are inert edits with an applicability; this module is the one engine that applies them:
//! sorted, overlaps rejected, every fix all-or-nothing, written atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Whether `--fix` applies a fix on its own, or only with `--unsafe-fixes`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps the meaning of the project (e.g. a range pinned to the version already installed).
    Safe,
    /// Changes what gets installed or may need review (e.g. a branch replaced by a commit).
    Unsafe,
}

/// Replace `range` (bytes) of the file at `path` by `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Edit {
    pub path: PathBuf,
    pub range: std::ops::Range<usize>,
    pub replacement: String,
}

impl Edit {
    pub fn replace(
        path: &Path,
        range: std::ops::Range<usize>,
        replacement: impl Into<String>,
    ) -> Self {
        Self {
            path: path.to_path_buf(),
            range,
            replacement: replacement.into(),
        }
    }
}

/// A file given a new name in the same folder, its bytes unchanged (`npm shrinkwrap` renames
/// package-lock.json to npm-shrinkwrap.json). The new name must not exist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rename {
    pub from: PathBuf,
    pub to: PathBuf,
}

/// A set of edits (and renames) applied together or not at all.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fix {
    pub applicability: Applicability,
    /// What the fix does, imperative: "pin `ms` to 2.1.3".
    pub description: String,
    pub edits: Vec<Edit>,
    /// Files renamed, after the edits of the round (a renamed file is edited by no other fix of
    /// that round).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub renames: Vec<Rename>,
    /// Files the fix creates (beside a file the project read; nothing may exist there): its
    /// edits on them start from an empty text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub creates: Vec<PathBuf>,
}

impl Fix {
    pub fn safe(description: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self {
            applicability: Applicability::Safe,
            description: description.into(),
            edits,
            renames: Vec::new(),
            creates: Vec::new(),
        }
    }

    pub fn unsafe_(description: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self {
            applicability: Applicability::Unsafe,
            description: description.into(),
            edits,
            renames: Vec::new(),
            creates: Vec::new(),
        }
    }

    /// The same fix, creating `path` first (its edits on `path` then start from empty text).
    pub fn creating(mut self, path: &Path) -> Self {
        self.creates.push(path.to_path_buf());
        self
    }

    /// The same fix, also renaming `from` to `to` (same folder).
    pub fn with_rename(mut self, from: &Path, to: &Path) -> Self {
        self.renames.push(Rename {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
        });
        self
    }
}

/// The outcome of applying a batch of fixes in memory.
#[derive(Debug, Default)]
pub struct Applied {
    /// New contents of every file that changed.
    pub files: BTreeMap<PathBuf, String>,
    /// Fixes applied.
    pub applied: usize,
    /// Which of the fixes given to [`apply`] were applied (their indices, ascending).
    pub applied_fixes: Vec<usize>,
    /// Files renamed: `files` has the new name's content (the old name's text); the old name
    /// is gone.
    pub renames: Vec<Rename>,
    /// Files created (`files` has their text).
    pub created: Vec<PathBuf>,
    /// Fixes skipped because an edit overlapped an edit of a fix applied before (they are
    /// retried on the next round, against the updated text).
    pub skipped: usize,
}

/// Apply `fixes` to the texts that `text_of` returns. Fixes are taken in order of their first
/// edit; a fix any of whose edits overlaps an already accepted edit is skipped whole. An edit
/// identical to an accepted one (two findings asking for the same change) is not a conflict.
pub fn apply(
    fixes: &[&Fix],
    mut text_of: impl FnMut(&Path) -> Result<String, Error>,
) -> Result<Applied, Error> {
    let mut order: Vec<(usize, &Fix)> = fixes
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, f)| !f.edits.is_empty() || !f.renames.is_empty())
        // A created file is written by its edits.
        .filter(|(_, f)| {
            f.creates
                .iter()
                .all(|c| f.edits.iter().any(|e| &e.path == c))
        })
        .collect();
    order.sort_by(|(_, a), (_, b)| {
        let ka = a.edits.iter().map(|e| (&e.path, e.range.start)).min();
        let kb = b.edits.iter().map(|e| (&e.path, e.range.start)).min();
        ka.cmp(&kb)
    });

    let mut accepted: BTreeMap<&Path, Vec<&Edit>> = BTreeMap::new();
    // Paths an accepted rename moves from or to: no other edit or rename may touch them.
    let mut moved: Vec<&Path> = Vec::new();
    let mut renames: Vec<&Rename> = Vec::new();
    let mut created: Vec<&Path> = Vec::new();
    let mut out = Applied::default();
    'fixes: for (index, fix) in order {
        let touched = |p: &Path| moved.contains(&p);
        let rename_clash = fix.renames.iter().any(|r| {
            renames.contains(&r)
                || touched(&r.from)
                || touched(&r.to)
                || accepted.contains_key(r.from.as_path())
                || accepted.contains_key(r.to.as_path())
                || fix.edits.iter().any(|e| e.path == r.from || e.path == r.to)
        });
        // Two fixes that create the same file: the second waits for the next round, where the
        // file exists.
        let create_clash = fix
            .creates
            .iter()
            .any(|c| created.contains(&c.as_path()) || accepted.contains_key(c.as_path()));
        if rename_clash || create_clash || fix.edits.iter().any(|e| touched(&e.path)) {
            out.skipped += 1;
            continue 'fixes;
        }
        let mut new_edits = Vec::new();
        for edit in &fix.edits {
            let taken = accepted
                .get(edit.path.as_path())
                .map_or(&[][..], Vec::as_slice);
            if taken.contains(&edit) || new_edits.contains(&edit) {
                continue;
            }
            let clash = taken
                .iter()
                .chain(new_edits.iter().filter(|t| t.path == edit.path))
                .any(|t| overlaps(&t.range, &edit.range));
            if clash {
                out.skipped += 1;
                continue 'fixes;
            }
            new_edits.push(edit);
        }
        for edit in new_edits {
            accepted.entry(edit.path.as_path()).or_default().push(edit);
        }
        for rename in &fix.renames {
            moved.extend([rename.from.as_path(), rename.to.as_path()]);
            renames.push(rename);
        }
        created.extend(fix.creates.iter().map(PathBuf::as_path));
        out.applied += 1;
        out.applied_fixes.push(index);
    }
    out.applied_fixes.sort_unstable();

    for (path, mut edits) in accepted {
        let old = if created.contains(&path) {
            String::new()
        } else {
            text_of(path)?
        };
        let old = old.as_str();
        edits.sort_by_key(|e| e.range.start);
        let mut new = String::with_capacity(old.len() + 64);
        let mut pos = 0;
        for edit in edits {
            let range = edit.range.clone();
            if range.end > old.len()
                || range.start < pos
                || !old.is_char_boundary(range.start)
                || !old.is_char_boundary(range.end)
            {
                return Err(Error::Fix {
                    path: path.to_path_buf(),
                    message: format!(
                        "internal error: edit {}..{} does not fit the file; nothing was written",
                        range.start, range.end
                    ),
                });
            }
            new.push_str(&old[pos..range.start]);
            new.push_str(&edit.replacement);
            pos = range.end;
        }
        new.push_str(&old[pos..]);
        if new != old || created.contains(&path) {
            out.files.insert(path.to_path_buf(), new);
        }
    }
    out.created = created.into_iter().map(Path::to_path_buf).collect();
    for rename in renames {
        if rename.from.parent() != rename.to.parent() || rename.from == rename.to {
            return Err(Error::Fix {
                path: rename.from.clone(),
                message: format!(
                    "internal error: a rename to `{}` leaves the folder; nothing was written",
                    rename.to.display()
                ),
            });
        }
        out.files.insert(rename.to.clone(), text_of(&rename.from)?);
        out.renames.push(rename.clone());
    }
    Ok(out)
}

/// Two ranges overlap when they share a byte, or are both insertions at the same point.
fn overlaps(a: &std::ops::Range<usize>, b: &std::ops::Range<usize>) -> bool {
    (a.start < b.end && b.start < a.end) || (a.start == b.start && (a.is_empty() || b.is_empty()))
}

/// The unified diff of one file, with `a/` and `b/` headers as git prints them.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    unified_diff_between(path, path, old, new)
}

/// The unified diff of a file a fix creates, as git prints a new file.
pub fn unified_diff_new(path: &Path, new: &str) -> String {
    let shown = path.display().to_string().replace('\\', "/");
    let body = similar::TextDiff::from_lines("", new)
        .unified_diff()
        .context_radius(3)
        .header("/dev/null", &format!("b/{shown}"))
        .to_string();
    format!("diff --git a/{shown} b/{shown}\nnew file mode 100644\n{body}")
}

/// The unified diff of a file that was `from` and is `to` now.
pub fn unified_diff_between(from: &Path, to: &Path, old: &str, new: &str) -> String {
    let shown = |p: &Path| p.display().to_string().replace('\\', "/");
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{}", shown(from)), &format!("b/{}", shown(to)))
        .to_string()
}

/// Write every file in `files` atomically, all or nothing as far as the file system allows:
/// every new content goes to a temporary file in the target's directory (same permissions,
/// fsynced) first; only when all of them are written are they renamed over the targets.
/// A read-only target, or any failure while staging, writes nothing. For files the user named
/// (`-o`, a baseline); fixes of the project go through [`write_checked`].
pub fn write_atomically(files: &BTreeMap<PathBuf, String>) -> Result<(), Error> {
    write_checked(files, &BTreeMap::new(), None)
}

/// [`write_atomically`] for files of the scanned project:
/// - a file that is a symbolic link is written through to its target (the link stays a link),
///   and only when the target is inside `within` (the project root);
/// - a file whose bytes on disk are no longer `originals[path]` (the text chainward read and
///   edited) was changed by someone else meanwhile: nothing is written, and the error names it;
/// - lockfiles are renamed before manifests, so a crash between two renames leaves the pinned
///   lockfile beside the old package.json: a state `npm ci` installs exactly as before (the
///   lockfile's root specs are only its record of package.json), and that the next
///   `chainward fix` completes, since the package.json ranges are still reported and fixed;
/// - temporary files that an earlier, killed run left behind (`.NAME.chainward-PID-N.tmp` of a
///   PID that no longer runs) are removed from the folders written to.
pub fn write_checked(
    files: &BTreeMap<PathBuf, String>,
    originals: &BTreeMap<PathBuf, String>,
    within: Option<&Path>,
) -> Result<(), Error> {
    let mut staged: Vec<(PathBuf, PathBuf, &PathBuf)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf, &PathBuf)]| {
        for (tmp, _, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    // Lockfiles first, manifests last.
    let mut order: Vec<(&PathBuf, &String)> = files.iter().collect();
    order.sort_by_key(|(p, _)| !is_lockfile(p));
    for (path, content) in order {
        let staged_one = write_target(path, within).and_then(|target| {
            remove_stale_temporaries(&target);
            stage(&target, content).map(|tmp| (tmp, target))
        });
        match staged_one {
            Ok((tmp, target)) => staged.push((tmp, target, path)),
            Err(err) => {
                cleanup(&staged);
                return Err(err);
            }
        }
    }
    // Right before the renames: has anyone changed a file since it was read?
    for (_, target, path) in &staged {
        if let Some(original) = originals.get(*path) {
            let now = std::fs::read(target).unwrap_or_default();
            if now != original.as_bytes() {
                cleanup(&staged);
                return Err(Error::Fix {
                    path: (*path).clone(),
                    message: "the file changed on disk after chainward read it (another editor or process?); nothing was written: run the fix again".into(),
                });
            }
        }
    }
    for (i, (tmp, target, _)) in staged.iter().enumerate() {
        if let Err(source) = std::fs::rename(tmp, target) {
            cleanup(&staged[i..]);
            return Err(Error::io(target, source));
        }
    }
    // Make the renames durable too.
    for (_, target, _) in &staged {
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(handle) = std::fs::File::open(dir)
        {
            let _ = handle.sync_all();
        }
    }
    Ok(())
}

fn is_lockfile(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(crate::project::FileKind::classify)
        .is_some_and(crate::project::FileKind::is_lockfile)
}

/// The file to write for `path`: itself, or the target of the link it is (which must be inside
/// `within` when given).
fn write_target(path: &Path, within: Option<&Path>) -> Result<PathBuf, Error> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
    if !is_link {
        return Ok(path.to_path_buf());
    }
    let refuse = |why: String| Error::Fix {
        path: path.to_path_buf(),
        message: format!("{why}; nothing was written"),
    };
    let boundary = match within {
        Some(root) => crate::links::canonical_root(root).map_err(|e| Error::io(root, e))?,
        None => PathBuf::from("/"),
    };
    match crate::links::resolve(&boundary, path) {
        crate::links::Resolved::Inside(real) => Ok(real),
        crate::links::Resolved::Unsafe(link) => Err(refuse(format!("it is {}", link.describe()))),
        crate::links::Resolved::Missing => Err(refuse("it is a link to nothing".into())),
    }
}

/// Remove `.NAME.chainward-PID-N.tmp` files in `target`'s folder whose PID no longer runs: what
/// a run killed between staging and renaming left behind. Only where running PIDs can be told
/// (Linux `/proc`).
fn remove_stale_temporaries(target: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        let Some(pid) = stale_pid(name) else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The PID in `.NAME.chainward-PID-N.tmp`, the name [`stage`] gives its temporary files.
fn stale_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tail) = rest.rsplit_once(".chainward-")?;
    let (pid, attempt) = tail.split_once('-')?;
    attempt.parse::<u32>().ok()?;
    pid.parse().ok()
}

fn stage(path: &Path, content: &str) -> Result<PathBuf, Error> {
    // A new file (chainward.toml written by `allow-script`) gets the default permissions.
    let meta = match std::fs::metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(path, e)),
    };
    if meta.as_ref().is_some_and(|m| m.permissions().readonly()) {
        return Err(Error::Fix {
            path: path.to_path_buf(),
            message: "the file is read-only; nothing was written".into(),
        });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut attempt = 0u32;
    loop {
        let tmp = dir.join(format!(
            ".{name}.chainward-{}-{attempt}.tmp",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(mut file) => {
                let written = file
                    .write_all(content.as_bytes())
                    .and_then(|()| match &meta {
                        Some(meta) => file.set_permissions(meta.permissions()),
                        None => Ok(()),
                    })
                    .and_then(|()| file.sync_all());
                return match written {
                    Ok(()) => Ok(tmp),
                    Err(source) => {
                        let _ = std::fs::remove_file(&tmp);
                        Err(Error::io(path, source))
                    }
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(source) => return Err(Error::io(&dir, source)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(path: &str, range: std::ops::Range<usize>, s: &str) -> Edit {
        Edit::replace(Path::new(path), range, s)
    }

    #[test]
    fn overlapping_fix_is_skipped_whole_and_identical_edits_merge() {
        let a = Fix::safe("a", vec![edit("f", 0..3, "AAA"), edit("g", 0..1, "x")]);
        let b = Fix::safe("b", vec![edit("f", 2..5, "BBB")]);
        let c = Fix::safe("c", vec![edit("g", 0..1, "x"), edit("f", 6..7, "C")]);
        let text = "0123456789";
        let out = apply(&[&b, &a, &c], |_| Ok(text.to_string())).expect("applies");
        assert_eq!(out.applied, 2);
        assert_eq!(out.skipped, 1);
        assert_eq!(out.files[Path::new("f")], "AAA345C789");
        assert_eq!(out.files[Path::new("g")], "x123456789");
    }

    /// A created file starts empty and is never read; a second fix creating the same file
    /// waits for the next round (when the file exists and it appends instead).
    #[test]
    fn a_created_file_starts_empty_and_is_created_once() {
        let a = Fix::unsafe_("a", vec![edit(".npmrc", 0..0, "min-release-age=3\n")])
            .creating(Path::new(".npmrc"));
        let b = Fix::unsafe_("b", vec![edit(".npmrc", 0..0, "allow-git=root\n")])
            .creating(Path::new(".npmrc"));
        let out = apply(&[&a, &b], |p| {
            panic!("{} does not exist and must not be read", p.display())
        })
        .expect("applies");
        assert_eq!(out.applied, 1);
        assert_eq!(out.skipped, 1);
        assert_eq!(out.files[Path::new(".npmrc")], "min-release-age=3\n");
        assert_eq!(out.created, vec![PathBuf::from(".npmrc")]);
        // A fix that claims to create a file it does not write is not applied.
        let empty = Fix::unsafe_("c", vec![edit("other", 0..0, "x")]).creating(Path::new("x"));
        let out = apply(&[&empty], |_| Ok(String::new())).expect("applies");
        assert_eq!(out.applied, 0);
    }

    #[test]
    fn edit_past_the_end_is_an_error_not_a_panic() {
        let a = Fix::safe("a", vec![edit("f", 5..50, "x")]);
        assert!(apply(&[&a], |_| Ok("short".to_string())).is_err());
    }

    /// A file edited by someone else between chainward's read and its rename is not
    /// overwritten, and neither is any other file of the same fix.
    #[test]
    fn a_concurrent_edit_is_never_lost() {
        let tmp = tempfile::tempdir().expect("tmp");
        let manifest = tmp.path().join("package.json");
        let lock = tmp.path().join("package-lock.json");
        std::fs::write(&manifest, "{\"v\": \"^1\"}").expect("write");
        std::fs::write(&lock, "{\"edited\": \"by someone else\"}").expect("write");
        let files = BTreeMap::from([
            (manifest.clone(), "{\"v\": \"1.0.0\"}".to_string()),
            (lock.clone(), "{\"fixed\": true}".to_string()),
        ]);
        let originals = BTreeMap::from([
            (manifest.clone(), "{\"v\": \"^1\"}".to_string()),
            (lock.clone(), "{\"as read\": true}".to_string()),
        ]);
        let err = write_checked(&files, &originals, Some(tmp.path())).expect_err("refused");
        assert!(err.to_string().contains("changed on disk"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&manifest).expect("read"),
            "{\"v\": \"^1\"}"
        );
        assert_eq!(
            std::fs::read_to_string(&lock).expect("read"),
            "{\"edited\": \"by someone else\"}"
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .expect("dir")
            .flatten()
            .collect();
        assert_eq!(left.len(), 2, "temporaries left behind");
        // As read: written.
        let originals = BTreeMap::from([(
            lock.clone(),
            "{\"edited\": \"by someone else\"}".to_string(),
        )]);
        write_checked(&files, &originals, Some(tmp.path())).expect("written");
        assert_eq!(
            std::fs::read_to_string(&lock).expect("read"),
            "{\"fixed\": true}"
        );
    }

    #[test]
    fn temporary_names_are_recognised() {
        assert_eq!(stale_pid(".package.json.chainward-4242-0.tmp"), Some(4242));
        assert_eq!(stale_pid(".a.chainward-1.json.chainward-7-12.tmp"), Some(7));
        assert_eq!(stale_pid("package.json"), None);
        assert_eq!(stale_pid(".x.chainward-abc-0.tmp"), None);
    }

    #[test]
    fn insertions_at_the_same_point_conflict() {
        assert!(overlaps(&(3..3), &(3..3)));
        assert!(!overlaps(&(0..3), &(3..5)));
        assert!(overlaps(&(0..4), &(3..5)));
    }
}
