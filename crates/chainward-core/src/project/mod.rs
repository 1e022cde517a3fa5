//! The project model: the files of a tree, discovered in one parallel walk, each read and parsed
//! at most once, lazily, and shared read-only by every plugin.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, ParseError};

/// Default limit on the size of one file (a lockfile of 256 MiB is far beyond any real one).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;
/// Default limit on the number of files discovery keeps.
pub const DEFAULT_MAX_FILES: usize = 200_000;

mod kind;
mod overlay;
mod paths;
pub(crate) mod source;
mod walk;

pub use kind::FileKind;
use kind::is_any_workflow;
pub use paths::{clean, join, project_root_of, rel_path};
pub use source::{SharedText, SourceFile, prefetch};
pub use walk::{DiscoverOptions, MAX_IGNORE_FILE, TEST_DATA_DIRS};
use walk::{TestData, exclude_matcher, oversized_ignore_file};

/// Every file of interest under the scanned paths.
pub struct Project {
    /// The scanned root as the user gave it (the first path, or its folder if it is a file).
    pub root: PathBuf,
    files: Vec<Arc<SourceFile>>,
    by_path: HashMap<PathBuf, usize>,
    /// Files loaded on demand (a lockfile above a scanned workspace member).
    extra: Mutex<HashMap<PathBuf, Option<Arc<SourceFile>>>>,
    /// What plugins could not check and why, for `--verbose` (never findings).
    notes: Mutex<Vec<String>>,
    options: DiscoverOptions,
    overlay: Arc<BTreeMap<PathBuf, String>>,
    /// Problems met while walking (unreadable folders, too many files).
    pub walk_errors: Vec<ParseError>,
    git: OnceLock<Option<crate::git::Git>>,
    /// The project at the `--base` revision, when comparing.
    base: Option<Arc<Project>>,
    /// The package registry, with `--online` only.
    registry: Option<Arc<dyn crate::online::Registry>>,
    /// Package metadata: the registry client with `--online`, else one that reads its cache.
    metadata: Option<Arc<dyn crate::online::Registry>>,
    /// The advisory database, when one is configured or cached.
    advisories: Option<Arc<dyn crate::advisory::Advisories>>,
    /// Where action references are resolved, with `--online` only.
    forge: Option<Arc<dyn crate::online::Forge>>,
    /// Where container images' digests are asked, with `fix --online` only.
    images: Option<Arc<dyn crate::online::Images>>,
    /// Files a fix renamed away: still on disk while the fix loop runs, gone for its checks.
    removed: Arc<Vec<PathBuf>>,
    /// The real (canonical) project root: links are followed only to targets below it. `None`
    /// for a project in memory, which reads nothing from disk.
    boundary: Option<PathBuf>,
    /// Links met while walking or reading that were not followed (outside, dangling, looping).
    unsafe_links: Mutex<Vec<crate::links::UnsafeLink>>,
    /// Test-data folders left out of discovery (relative to the root), for the summary.
    pub skipped_test_data: Vec<String>,
}

impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("root", &self.root)
            .field("files", &self.files.len())
            .finish_non_exhaustive()
    }
}

/// Folders a walk visits on the calling thread before it starts again on every core.
const SMALL_WALK: usize = 64;

/// Work started on the pool that the thread that needs its result does itself if no worker
/// has taken it up by then. A thread of its own for git's index was a third thread on two
/// cores: it waited for one while the walk and a lockfile's read held both.
struct Claimed<T> {
    state: Arc<(Mutex<Claim<T>>, std::sync::Condvar)>,
}

enum Claim<T> {
    Waiting(Box<dyn FnOnce() -> T + Send>),
    Running,
    Done(T),
}

impl<T: Default + Send + 'static> Claimed<T> {
    fn spawn(work: impl FnOnce() -> T + Send + 'static) -> Self {
        let state = Arc::new((
            Mutex::new(Claim::Waiting(Box::new(work))),
            std::sync::Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        rayon::spawn(move || {
            let (claim, done) = &*shared;
            let lock = || claim.lock().unwrap_or_else(|e| e.into_inner());
            let taken = std::mem::replace(&mut *lock(), Claim::Running);
            match taken {
                Claim::Waiting(work) => {
                    // A panic gives the default (no repository), as a thread's join did; it
                    // must not leave the other side waiting, nor abort the pool.
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                        .unwrap_or_default();
                    *lock() = Claim::Done(result);
                    done.notify_all();
                }
                other => *lock() = other,
            }
        });
        Claimed { state }
    }

    /// The result: worked out here if the pool has not started on it, else waited for.
    fn take(self) -> T {
        let (claim, done) = &*self.state;
        let mut state = claim.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match std::mem::replace(&mut *state, Claim::Running) {
                Claim::Waiting(work) => {
                    drop(state);
                    return work();
                }
                Claim::Done(result) => return result,
                Claim::Running => {
                    state = done.wait(state).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
    }
}

/// The files read from the start of a walk, at the top of each folder walked: the lockfiles,
/// which can run to megabytes.
const ROOT_LOCKFILES: [&str; 8] = [
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "bun.lock",
    "uv.lock",
    "poetry.lock",
    "pylock.toml",
];

/// What one entry of a walk adds to the project.
enum Visited {
    /// A file chainward reads, and its kind.
    File(PathBuf, FileKind),
    /// A link that is not followed.
    Link(crate::links::UnsafeLink),
    Error(ParseError),
    Nothing,
}

/// One entry of the walk below `walk_root`: a file of a kind chainward reads (a link is read as
/// the file it stands for when that is a file inside the project; otherwise it is reported,
/// never read), or the walk's error.
fn visit(
    root: &Path,
    boundary: &Path,
    test_data: &TestData,
    walk_root: &Path,
    entry: Result<ignore::DirEntry, ignore::Error>,
) -> Visited {
    let entry = match entry {
        Ok(entry) => entry,
        Err(err) => {
            return Visited::Error(ParseError::new(
                walk_root,
                0..0,
                format!("while walking: {err}"),
            ));
        }
    };
    let file_type = entry.file_type();
    let is_file = file_type.is_some_and(|t| t.is_file());
    let is_link = file_type.is_some_and(|t| t.is_symlink());
    if !is_file && !is_link {
        return Visited::Nothing;
    }
    let rel = rel_path(root, entry.path());
    let Some(kind) = FileKind::classify(&rel).filter(|_| test_data.keeps_file(entry.path(), &rel))
    else {
        return Visited::Nothing;
    };
    if !is_link {
        return Visited::File(clean(entry.path()), kind);
    }
    match crate::links::resolve(boundary, entry.path()) {
        crate::links::Resolved::Inside(real) if real.is_file() => {
            Visited::File(clean(entry.path()), kind)
        }
        crate::links::Resolved::Unsafe(mut link) => {
            link.path = clean(entry.path());
            Visited::Link(link)
        }
        crate::links::Resolved::Inside(_) | crate::links::Resolved::Missing => Visited::Nothing,
    }
}

impl Project {
    /// Walk `paths` (folders are walked, files taken as they are), honouring `.gitignore` and
    /// skipping `node_modules` unless asked: on this thread, or on every core past
    /// [`SMALL_WALK`] folders.
    pub fn discover(paths: &[PathBuf], options: &DiscoverOptions) -> Result<Project, Error> {
        Self::discover_with(paths, options, &|_| {})
    }

    /// [`Self::discover`], handing each file to `on_found` as soon as the walk reaches it (on the
    /// walking thread, in no set order, each path once, at most `max_files` of them), so that
    /// reading and parsing it can overlap the rest of the walk. The project keeps the same
    /// `SourceFile`, with whatever `on_found` read into it.
    pub fn discover_with(
        paths: &[PathBuf],
        options: &DiscoverOptions,
        on_found: &(dyn Fn(&Arc<SourceFile>) + Sync),
    ) -> Result<Project, Error> {
        let paths: Vec<PathBuf> = if paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            paths.iter().map(|p| clean(p)).collect()
        };
        for p in &paths {
            std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        }
        let root = clean(&project_root_of(&paths[0]));
        // Opening the repository and reading its index overlaps the walk, on the pool if a
        // core is free; else this thread does it once the walk is done (see [`Claimed`]).
        let git_claim = Claimed::spawn({
            let root = root.clone();
            move || crate::git::Git::discover(&root)
        });
        let found: Mutex<Vec<(PathBuf, FileKind)>> = Mutex::new(Vec::new());
        let errors: Mutex<Vec<ParseError>> = Mutex::new(Vec::new());
        let links: Mutex<Vec<crate::links::UnsafeLink>> = Mutex::new(Vec::new());
        let boundary = crate::links::canonical_root(&root).map_err(|e| Error::io(&root, e))?;
        let test_data = Arc::new(TestData::new(&root, &options.include)?);
        let source = |path: PathBuf, kind: FileKind| {
            let rel = rel_path(&root, &path);
            Arc::new(SourceFile::new(
                path,
                rel,
                kind,
                options.max_file_size,
                None,
            ))
        };
        // Files handed to `on_found` as the walk met them, by path: the project keeps them.
        let early: Mutex<HashMap<PathBuf, Arc<SourceFile>>> = Mutex::new(HashMap::new());
        let hand_over = |path: &Path, kind: FileKind| {
            let file = {
                let mut early = early.lock().unwrap_or_else(|e| e.into_inner());
                if early.len() >= options.max_files || early.contains_key(path) {
                    return;
                }
                let file = source(path.to_path_buf(), kind);
                early.insert(path.to_path_buf(), Arc::clone(&file));
                file
            };
            on_found(&file);
        };
        let excluded = exclude_matcher(&root, &options.exclude)?;
        // A lockfile at the top of the folder walked is read and parsed from the start, beside
        // the walk, which comes to it later (a 3 MB lockfile takes about a millisecond to read).
        // Only a regular file the config does not exclude: a link is the walk's to judge.
        // Should the walk leave it out all the same (ignored by git), the early read is wasted,
        // never used.
        if paths[0].is_dir() {
            for name in ROOT_LOCKFILES {
                // As the walk names it.
                let path = clean(&root.join(name));
                let left_out = excluded
                    .as_ref()
                    .is_some_and(|m| m.matched_path_or_any_parents(&path, false).is_ignore());
                if !left_out
                    && std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
                    && let Some(kind) = FileKind::classify(name)
                {
                    hand_over(&path, kind);
                }
            }
        }

        for path in &paths {
            if path.is_file() {
                let rel = rel_path(&root, path);
                // A file named on the command line is checked as what it is, wherever it sits;
                // a YAML file that is nothing else chainward reads is taken for the workflow the
                // user says it is.
                let yaml = rel.ends_with(".yml") || rel.ends_with(".yaml");
                let kind = FileKind::classify(&rel)
                    .or_else(|| is_any_workflow(&rel).then_some(FileKind::Workflow))
                    .or_else(|| yaml.then_some(FileKind::Workflow));
                match kind {
                    Some(kind) => {
                        hand_over(path, kind);
                        found
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((path.clone(), kind))
                    }
                    None => {
                        return Err(Error::Usage(format!(
                            "{}: chainward does not know how to check this file (it reads package.json, lockfiles, .npmrc, workflows, action.yml and Dockerfiles)",
                            path.display()
                        )));
                    }
                }
                continue;
            }
            // Walks still to do: (folder, whether its ignore files are honoured).
            let mut walks = vec![(path.clone(), true)];
            let mut walked: Vec<Visited> = Vec::new();
            let deferred: Arc<Mutex<Vec<PathBuf>>> = Arc::new(Mutex::new(Vec::new()));
            while let Some((dir, mut honour)) = walks.pop() {
                if honour && let Some((file, size)) = oversized_ignore_file(&dir) {
                    honour = false;
                    errors.lock().unwrap_or_else(|e| e.into_inner()).push(ParseError::new(
                        &file,
                        0..0,
                        format!(
                            "{size} bytes, over the {MAX_IGNORE_FILE} bytes chainward reads of an ignore file: not honoured, every file below it is checked"
                        ),
                    ));
                }
                let mut builder = ignore::WalkBuilder::new(&dir);
                builder
                    .hidden(false)
                    .git_ignore(honour)
                    .git_exclude(honour)
                    .git_global(false)
                    .require_git(false)
                    .ignore(honour)
                    .parents(honour)
                    .follow_links(false)
                    .threads(2);
                if !options.exclude.is_empty() {
                    let mut ob = ignore::overrides::OverrideBuilder::new(path);
                    for glob in &options.exclude {
                        ob.add(&format!("!{glob}")).map_err(|e| {
                            Error::Usage(format!("invalid exclude glob `{glob}`: {e}"))
                        })?;
                    }
                    let ov = ob
                        .build()
                        .map_err(|e| Error::Usage(format!("invalid exclude globs: {e}")))?;
                    builder.overrides(ov);
                }
                let include_nm = options.include_node_modules;
                let deferred_here = Arc::clone(&deferred);
                let test_data_here = Arc::clone(&test_data);
                builder.filter_entry(move |entry| {
                    let name = entry.file_name();
                    if name == ".git" || (!include_nm && name == "node_modules") {
                        return false;
                    }
                    if entry.depth() > 0
                        && entry.file_type().is_some_and(|t| t.is_dir())
                        && test_data_here.skips_dir(entry.path())
                    {
                        return false;
                    }
                    // A folder whose ignore file is too large to honour is walked later without
                    // ignore files (more files checked, never fewer), and said so.
                    if honour
                        && entry.depth() > 0
                        && entry.file_type().is_some_and(|t| t.is_dir())
                        && oversized_ignore_file(entry.path()).is_some()
                    {
                        deferred_here
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(entry.path().to_path_buf());
                        return false;
                    }
                    true
                });
                let walk_root = path.clone();
                let visit = |entry: Result<ignore::DirEntry, ignore::Error>| {
                    let visited = visit(&root, &boundary, &test_data, &walk_root, entry);
                    if let Visited::File(path, kind) = &visited {
                        hand_over(path, *kind);
                    }
                    visited
                };
                // A small tree is walked on this thread: the parallel walker's idle worker sleeps
                // in 1 ms steps and the walk waits for it, which was most of the time a small
                // project's walk took. Past `SMALL_WALK` folders it starts again on every core.
                let deferred_before = deferred.lock().unwrap_or_else(|e| e.into_inner()).len();
                let mut seen = Vec::new();
                let mut folders = 0;
                let mut small = true;
                for entry in builder.build() {
                    if let Ok(e) = &entry
                        && e.file_type().is_some_and(|t| t.is_dir())
                    {
                        folders += 1;
                        if folders > SMALL_WALK {
                            small = false;
                            break;
                        }
                    }
                    let visited = visit(entry);
                    if !matches!(visited, Visited::Nothing) {
                        seen.push(visited);
                    }
                }
                if !small {
                    seen.clear();
                    deferred
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .truncate(deferred_before);
                    let seen = Mutex::new(Vec::new());
                    builder.build_parallel().run(|| {
                        let seen = &seen;
                        let visit = &visit;
                        Box::new(move |entry| {
                            let visited = visit(entry);
                            if !matches!(visited, Visited::Nothing) {
                                seen.lock().unwrap_or_else(|e| e.into_inner()).push(visited);
                            }
                            ignore::WalkState::Continue
                        })
                    });
                    walked.extend(seen.into_inner().unwrap_or_else(|e| e.into_inner()));
                } else {
                    walked.extend(seen);
                }
                walks.extend(
                    std::mem::take(&mut *deferred.lock().unwrap_or_else(|e| e.into_inner()))
                        .into_iter()
                        .map(|d| (d, true)),
                );
            }
            for visited in walked {
                match visited {
                    Visited::File(path, kind) => found
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((path, kind)),
                    Visited::Link(link) => {
                        links.lock().unwrap_or_else(|e| e.into_inner()).push(link)
                    }
                    Visited::Error(error) => {
                        errors.lock().unwrap_or_else(|e| e.into_inner()).push(error)
                    }
                    Visited::Nothing => {}
                }
            }
        }

        let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
        let mut walk_errors = errors.into_inner().unwrap_or_else(|e| e.into_inner());
        // Files git tracks are what CI checks out and installs from, even when .gitignore
        // matches them (a force-added lockfile): the walk skipped those, so add them back.
        let git = git_claim.take();
        if let Some(git) = &git {
            let mut links = links.lock().unwrap_or_else(|e| e.into_inner());
            let walked = paths.iter().filter(|p| p.is_dir());
            let tracked = walked.flat_map(|dir| {
                git.tracked_below(dir)
                    .into_iter()
                    .map(move |rel| clean(&join(dir, rel)))
            });
            for path in tracked {
                let rel_str = rel_path(&root, &path);
                let Some(kind) = FileKind::classify(&rel_str) else {
                    continue;
                };
                let skipped_folder = Path::new(&rel_str).components().any(|c| {
                    let c = c.as_os_str();
                    c == ".git" || (!options.include_node_modules && c == "node_modules")
                }) || !test_data.keeps_file(&path, &rel_str);
                if skipped_folder
                    || excluded
                        .as_ref()
                        .is_some_and(|m| m.matched_path_or_any_parents(&path, false).is_ignore())
                {
                    continue;
                }
                match crate::links::resolve(&boundary, &path) {
                    crate::links::Resolved::Inside(real) if real.is_file() => {
                        found.push((path, kind));
                    }
                    crate::links::Resolved::Unsafe(mut link) => {
                        link.path = path;
                        if !links.contains(&link) {
                            links.push(link);
                        }
                    }
                    _ => {}
                }
            }
        }
        found.sort();
        found.dedup();
        if found.len() > options.max_files {
            walk_errors.push(ParseError::new(
                &root,
                0..0,
                format!(
                    "found {} files to check, over the limit of {}; only the first {} were kept (raise `max-files` or exclude folders)",
                    found.len(),
                    options.max_files,
                    options.max_files
                ),
            ));
            found.truncate(options.max_files);
        }
        let mut early = early.into_inner().unwrap_or_else(|e| e.into_inner());
        let files: Vec<Arc<SourceFile>> = found
            .into_iter()
            .map(|(path, kind)| match early.remove(&path) {
                Some(file) if file.kind == kind => file,
                _ => source(path, kind),
            })
            .collect();
        let mut project = Project::new(
            root,
            files,
            options.clone(),
            Arc::new(BTreeMap::new()),
            walk_errors,
        );
        project.boundary = Some(boundary);
        let mut skipped =
            std::mem::take(&mut *test_data.skipped.lock().unwrap_or_else(|e| e.into_inner()));
        skipped.sort();
        skipped.dedup();
        project.skipped_test_data = skipped;
        // Kept for the plugins (lockfile-not-committed): read now, before any lockfile is,
        // so that reading git's index never adds to the peak of a run.
        if let Some(git) = git {
            let _ = project.git.set(Some(git));
        }
        let mut links = links.into_inner().unwrap_or_else(|e| e.into_inner());
        links.sort();
        project.unsafe_links = Mutex::new(links);
        Ok(project)
    }

    /// Where reading `path` from disk would lead: inside the project (the real path), nothing,
    /// or a link that is not followed (recorded for [`Self::unsafe_links`]). A path above the
    /// root (a workspace's lockfile when a member is scanned) may not be a link out of its own
    /// folder.
    fn resolve(&self, path: &Path) -> Option<PathBuf> {
        let boundary = self.boundary.as_ref()?;
        let lexical = clean(path);
        if self.removed.contains(&lexical) {
            return None;
        }
        let root = clean(&self.root);
        let below_root = if root == Path::new(".") {
            lexical.is_relative() && !lexical.starts_with("..")
        } else {
            lexical.starts_with(&root)
        };
        let outer;
        let boundary = if below_root {
            boundary
        } else {
            outer = crate::links::canonical_root(lexical.parent()?).ok()?;
            &outer
        };
        match crate::links::resolve(boundary, &lexical) {
            crate::links::Resolved::Inside(real) => Some(real),
            crate::links::Resolved::Missing => None,
            crate::links::Resolved::Unsafe(link) => {
                let mut links = self.unsafe_links.lock().unwrap_or_else(|e| e.into_inner());
                if !links.contains(&link) {
                    links.push(link);
                }
                None
            }
        }
    }

    /// Links that were not followed (outside the project, dangling, looping), for the
    /// `chainward/unsafe-path` findings: sorted, without duplicates.
    pub fn unsafe_links(&self) -> Vec<crate::links::UnsafeLink> {
        let mut links = self
            .unsafe_links
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        links.sort();
        links.dedup();
        links
    }

    /// A project of files held in memory (`(path relative to root, kind, text)`), nothing read
    /// from disk: for the fuzz targets and property tests. A `root` that does not exist keeps
    /// git and artifact lookups empty.
    pub fn in_memory(root: impl Into<PathBuf>, files: Vec<(String, FileKind, String)>) -> Project {
        let root = root.into();
        let options = DiscoverOptions::default();
        let mut overlay = BTreeMap::new();
        let files = files
            .into_iter()
            .map(|(rel, kind, text)| {
                let path = root.join(&rel);
                overlay.insert(path.clone(), text.clone());
                Arc::new(SourceFile::new(
                    path,
                    rel,
                    kind,
                    options.max_file_size,
                    Some(text),
                ))
            })
            .collect();
        Project::new(root, files, options, Arc::new(overlay), Vec::new())
    }

    fn new(
        root: PathBuf,
        files: Vec<Arc<SourceFile>>,
        options: DiscoverOptions,
        overlay: Arc<BTreeMap<PathBuf, String>>,
        walk_errors: Vec<ParseError>,
    ) -> Project {
        let by_path = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), i))
            .collect();
        Project {
            root,
            files,
            by_path,
            extra: Mutex::new(HashMap::new()),
            notes: Mutex::new(Vec::new()),
            options,
            overlay,
            walk_errors,
            git: OnceLock::new(),
            base: None,
            registry: None,
            metadata: None,
            advisories: None,
            forge: None,
            images: None,
            removed: Arc::default(),
            boundary: None,
            unsafe_links: Mutex::new(Vec::new()),
            skipped_test_data: Vec::new(),
        }
    }

    /// The bytes of a file that is not a discovered text file (an artifact a provenance bundle
    /// signs), within the size limit; `None` when it is missing, unreadable or too large.
    pub fn read_bytes(&self, path: &Path) -> Option<Vec<u8>> {
        let real = self.resolve(path)?;
        let meta = std::fs::metadata(&real).ok()?;
        if !meta.is_file() || meta.len() > self.options.max_file_size {
            return None;
        }
        source::read_bounded(&real, meta.len(), self.options.max_file_size).ok()
    }

    /// The text of a file no plugin read (chainward.toml, for a snippet), inside the project
    /// and within the size limit only.
    pub fn read_text(&self, path: &Path) -> Option<String> {
        String::from_utf8(self.read_bytes(path)?).ok()
    }

    /// Every discovered file, sorted by path.
    pub fn files(&self) -> &[Arc<SourceFile>] {
        &self.files
    }

    pub fn files_of(&self, kind: FileKind) -> impl Iterator<Item = &Arc<SourceFile>> {
        self.files.iter().filter(move |f| f.kind == kind)
    }

    /// The file at `path` (as the user sees paths), discovered or loaded now if it exists on
    /// disk and is of a known kind. Used to find a lockfile above a scanned workspace member.
    pub fn file_at(&self, path: &Path) -> Option<Arc<SourceFile>> {
        let kind = FileKind::classify(path.file_name()?.to_str()?)?;
        self.file_as(path, kind)
    }

    /// Like [`Self::file_at`], for a file whose kind its name does not tell (a shell script a
    /// workflow runs). A discovered file keeps the kind discovery gave it.
    pub fn file_as(&self, path: &Path, kind: FileKind) -> Option<Arc<SourceFile>> {
        let path = clean(path);
        if let Some(&i) = self.by_path.get(&path) {
            return Some(Arc::clone(&self.files[i]));
        }
        let mut extra = self.extra.lock().unwrap_or_else(|e| e.into_inner());
        extra
            .entry(path.clone())
            .or_insert_with(|| {
                let overlay = self.overlay.get(&path).cloned();
                if overlay.is_none() && !self.resolve(&path).is_some_and(|real| real.is_file()) {
                    return None;
                }
                let rel = rel_path(&self.root, &path);
                Some(Arc::new(SourceFile::new(
                    path.clone(),
                    rel,
                    kind,
                    self.options.max_file_size,
                    overlay,
                )))
            })
            .clone()
    }

    /// Whether a regular file exists at `path` (in the overlay of a fix in progress or on
    /// disk): for files whose presence matters but that are never read (`binding.gyp`, a script
    /// a workflow runs).
    pub fn is_file(&self, path: &Path) -> bool {
        self.overlay.contains_key(&clean(path))
            || self.resolve(path).is_some_and(|real| real.is_file())
    }

    /// Whether a file may be below the folder `dir`: it is a folder on disk inside the project,
    /// or a discovered file or one of a fix in progress is below it. One check in place of a
    /// lookup per file under a `node_modules` that is not there.
    pub fn has_folder(&self, dir: &Path) -> bool {
        let dir = clean(dir);
        self.overlay
            .range(dir.clone()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&dir))
            || self.files.iter().any(|f| f.path.starts_with(&dir))
            || self.resolve(&dir).is_some_and(|real| real.is_dir())
    }

    /// The entry names of a folder (pnpm's `node_modules/.pnpm` store), sorted; empty when it
    /// cannot be read.
    pub fn list_dir(&self, path: &Path) -> Vec<String> {
        let Some(real) = self.resolve(path) else {
            return Vec::new();
        };
        let mut names: Vec<String> = std::fs::read_dir(real)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Record why something was not checked (`--verbose` prints these; they are not findings).
    pub fn note(&self, note: impl Into<String>) {
        self.notes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(note.into());
    }

    /// The notes recorded so far, sorted, without duplicates.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner()).clone();
        notes.sort();
        notes.dedup();
        notes
    }

    /// Every file that was read or parsed and failed, discovered or loaded on demand.
    pub fn parse_errors(&self) -> Vec<ParseError> {
        let extra = self.extra.lock().unwrap_or_else(|e| e.into_inner());
        let mut errors: Vec<ParseError> = self
            .files
            .iter()
            .chain(extra.values().flatten())
            .filter_map(|f| f.reported_error().cloned())
            .collect();
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        errors.dedup();
        errors
    }

    /// A discovered or loaded file by its path, for renderers that show source snippets.
    pub fn source(&self, path: &Path) -> Option<Arc<SourceFile>> {
        if let Some(&i) = self.by_path.get(path) {
            return Some(Arc::clone(&self.files[i]));
        }
        self.extra
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned()
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Claimed work gives its result once, whoever does it: the pool, the caller (when no
    /// worker has started it), or nobody after a panic (the default, and no one left waiting).
    #[test]
    fn claimed_work_is_done_once_by_whoever_comes_first() {
        let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = |value: u32| {
            let runs = Arc::clone(&runs);
            move || {
                runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                value
            }
        };
        // Taken at once: most often by the caller, before a worker gets to it.
        assert_eq!(Claimed::spawn(count(1)).take(), 1);
        // Taken late: by then the pool has done it.
        let late = Claimed::spawn(count(2));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(late.take(), 2);
        // Every worker busy: the caller does it.
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let blocked = Arc::new(Mutex::new(blocked));
        for _ in 0..rayon::current_num_threads() {
            let blocked = Arc::clone(&blocked);
            rayon::spawn(move || {
                let _ = blocked
                    .lock()
                    .map(|b| b.recv_timeout(std::time::Duration::from_secs(5)));
            });
        }
        assert_eq!(Claimed::spawn(count(3)).take(), 3);
        for _ in 0..rayon::current_num_threads() {
            let _ = release.send(());
        }
        // Each ran once, however it was taken.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 3);
        // A panic in the pool: the default, once the pool has come to it.
        let panics = Claimed::spawn(|| -> Option<u32> { panic!("in the pool") });
        let done = || matches!(*panics.state.0.lock().expect("lock"), Claim::Done(_));
        let start = std::time::Instant::now();
        while !done() && start.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(done());
        assert_eq!(panics.take(), None);
    }

    #[test]
    fn wire_names_are_kebab_case_and_distinct() {
        let names: std::collections::BTreeSet<&str> =
            FileKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), FileKind::ALL.len());
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        );
        assert_eq!(FileKind::PackageJson.name(), "package-json");
    }

    #[test]
    fn classify_by_name_and_place() {
        assert_eq!(
            FileKind::classify("a/package.json"),
            Some(FileKind::PackageJson)
        );
        assert_eq!(
            FileKind::classify(".github/workflows/ci.yml"),
            Some(FileKind::Workflow)
        );
        // GitHub runs only the root's workflows; a nested one is read when named.
        assert_eq!(FileKind::classify("x/.github/workflows/ci.yaml"), None);
        assert!(is_any_workflow("x/.github/workflows/ci.yaml"));
        assert_eq!(FileKind::classify(".github/ci.yml"), None);
        assert_eq!(
            FileKind::classify("docker/prod.Dockerfile"),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(
            FileKind::classify(".github/actions/x/action.yml"),
            Some(FileKind::Action)
        );
        assert_eq!(FileKind::classify("README.md"), None);
    }

    /// A tree of `n` folders, each with a package.json, one ignored by .gitignore, one under
    /// node_modules and one link out of the tree: what discovery finds.
    fn walk_of(n: usize) -> (Vec<String>, usize) {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for i in 0..n {
            let folder = root.join(format!("packages/p{i}"));
            std::fs::create_dir_all(&folder).expect("folder");
            std::fs::write(folder.join("package.json"), "{}").expect("write");
        }
        std::fs::write(root.join(".gitignore"), "packages/p1/\n").expect("write");
        std::fs::create_dir_all(root.join("node_modules/x")).expect("folder");
        std::fs::write(root.join("node_modules/x/package.json"), "{}").expect("write");
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("package.json"), "{}").expect("write");
        std::fs::create_dir_all(root.join("linked")).expect("folder");
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            outside.path().join("package.json"),
            root.join("linked/package.json"),
        )
        .expect("link");
        let handed: Mutex<Vec<Arc<SourceFile>>> = Mutex::default();
        let project = Project::discover_with(
            &[root.to_path_buf()],
            &DiscoverOptions::default(),
            &|file| handed.lock().expect("lock").push(Arc::clone(file)),
        )
        .expect("discover");
        // Every file was handed over as the walk met it, once, and the project keeps that
        // very file (what was read into it is not read again).
        let mut handed = handed.into_inner().expect("lock");
        handed.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(handed.len(), project.files().len(), "{n} folders");
        for (h, f) in handed.iter().zip(project.files()) {
            assert!(Arc::ptr_eq(h, f), "{}", f.rel);
        }
        // With a limit on files, no more than that many are handed over.
        let count = std::sync::atomic::AtomicUsize::new(0);
        let limited = DiscoverOptions {
            max_files: 3,
            ..DiscoverOptions::default()
        };
        Project::discover_with(&[root.to_path_buf()], &limited, &|_| {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .expect("discover");
        assert_eq!(count.into_inner(), 3.min(n - 1), "{n} folders");
        let files = project.files().iter().map(|f| f.rel.clone()).collect();
        (files, project.unsafe_links().len())
    }

    /// The lockfiles at the top of the folder walked are handed over before the walk: each
    /// once, the very file the project keeps. One the config excludes, or a link, is not; one
    /// .gitignore hides is read early but left out, as the walk leaves it out.
    #[test]
    fn root_lockfiles_are_handed_over_first_and_kept_as_the_walk_decides() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("yarn.lock"), "# yarn lockfile v1\n").expect("write");
        for (name, text) in [
            ("package.json", "{}"),
            ("package-lock.json", "{}"),
            ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
            ("bun.lock", "{}"),
            (".gitignore", "bun.lock\n"),
        ] {
            std::fs::write(root.join(name), text).expect("write");
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.path().join("yarn.lock"), root.join("yarn.lock"))
            .expect("link");
        let options = DiscoverOptions {
            exclude: vec!["pnpm-lock.yaml".to_string()],
            ..DiscoverOptions::default()
        };
        let handed: Mutex<Vec<Arc<SourceFile>>> = Mutex::default();
        let project = Project::discover_with(&[root.to_path_buf()], &options, &|file| {
            handed.lock().expect("lock").push(Arc::clone(file))
        })
        .expect("discover");
        let handed = handed.into_inner().expect("lock");
        let names = |files: &[Arc<SourceFile>]| {
            let mut v: Vec<String> = files.iter().map(|f| f.rel.clone()).collect();
            v.sort();
            v
        };
        // The lockfile went first, before anything the walk met.
        assert_eq!(
            handed.first().map(|f| f.rel.as_str()),
            Some("package-lock.json")
        );
        assert_eq!(
            names(&handed),
            ["bun.lock", "package-lock.json", "package.json"]
        );
        assert_eq!(
            names(project.files()),
            ["package-lock.json", "package.json"]
        );
        for f in project.files() {
            assert!(handed.iter().any(|h| Arc::ptr_eq(h, f)), "{}", f.rel);
        }
    }

    #[test]
    fn small_and_large_walks_find_the_same_way() {
        // Under `SMALL_WALK` folders the walk stays on one thread; over it, it starts again on
        // every core. Both honour .gitignore, skip node_modules and do not follow a link out.
        for n in [4, SMALL_WALK * 2] {
            let (files, links) = walk_of(n);
            let expected: Vec<String> = {
                let mut e: Vec<String> = (0..n)
                    .filter(|&i| i != 1)
                    .map(|i| format!("packages/p{i}/package.json"))
                    .collect();
                e.sort();
                e
            };
            assert_eq!(files, expected, "{n} folders");
            assert_eq!(links, usize::from(cfg!(unix)), "{n} folders");
        }
    }

    /// A folder counts when it is on disk, or when a file of the project or of a fix in
    /// progress is below it; a folder whose name only starts the same does not.
    #[test]
    fn has_folder_sees_disk_discovered_and_overlay_files() {
        let memory = Project::in_memory(
            "/nowhere",
            vec![(
                "a/node_modules/x/package.json".into(),
                FileKind::PackageJson,
                "{}".into(),
            )],
        );
        assert!(memory.has_folder(Path::new("/nowhere/a/node_modules")));
        assert!(memory.has_folder(Path::new("/nowhere/a/./node_modules/x")));
        assert!(!memory.has_folder(Path::new("/nowhere/node_modules")));
        assert!(!memory.has_folder(Path::new("/nowhere/a/node_modules/y")));
        assert!(!memory.has_folder(Path::new("/nowhere/a/node_module")));
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("node_modules/.pnpm")).expect("folder");
        std::fs::write(dir.path().join("package.json"), "{}").expect("write");
        let disk = Project::discover(&[dir.path().to_path_buf()], &DiscoverOptions::default())
            .expect("discover");
        assert!(disk.has_folder(&dir.path().join("node_modules")));
        assert!(!disk.has_folder(&dir.path().join("packages")));
    }

    #[test]
    fn clean_paths() {
        assert_eq!(clean(Path::new("./a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(clean(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(clean(Path::new(".")), PathBuf::from("."));
        assert_eq!(
            rel_path(Path::new("."), Path::new("./a/package.json")),
            "a/package.json"
        );
        assert_eq!(
            rel_path(Path::new("fx"), Path::new("fx/a/b.json")),
            "a/b.json"
        );
    }

    #[test]
    fn parse_errors_are_recorded_once() {
        let f = SourceFile::in_memory("p.json", FileKind::PackageJson, "{");
        let parsed: Option<&u8> = f.parsed(|f, _| Err(f.parse_error(0..1, "broken")));
        assert!(parsed.is_none());
        assert_eq!(f.error().map(|e| e.message.as_str()), Some("broken"));
    }

    #[test]
    fn a_file_only_prefetched_is_not_reported_until_a_plugin_reads_it() {
        let project = Project::in_memory(
            "/nonexistent",
            vec![("package-lock.json".into(), FileKind::NpmLock, "{".into())],
        );
        let file = &project.files()[0];
        let broken = |f: &SourceFile, _: &str| -> Result<u8, ParseError> {
            Err(f.parse_error(0..1, "broken"))
        };
        prefetch(|| file.parsed(broken));
        assert!(file.error().is_some(), "the parse ran");
        assert!(project.parse_errors().is_empty(), "no plugin asked for it");
        // A plugin reads it: the cached error is now a finding.
        assert!(file.parsed(broken).is_none());
        assert_eq!(project.parse_errors().len(), 1);
    }
}
