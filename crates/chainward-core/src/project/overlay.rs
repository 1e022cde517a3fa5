//! Other views of the same project: at a git revision (`--base`), with fixed text (the fix
//! loop), with the registry (`--online`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::error::Error;

use super::{Project, SourceFile};

impl Project {
    /// The project as it was at git revision `rev`: every discovered file's text read from
    /// git's objects (files that did not exist then are left out). Nothing is checked out.
    pub fn at_revision(&self, rev: &str) -> Result<Project, Error> {
        let git = self.git().ok_or_else(|| {
            Error::Usage(format!(
                "--base {rev}: {} is not in a git repository",
                self.root.display()
            ))
        })?;
        git.resolve(rev).map_err(Error::Usage)?;
        let mut overlay = BTreeMap::new();
        let mut files = Vec::new();
        let mut links = Vec::new();
        for f in &self.files {
            let text = match git
                .read_at(rev, &f.path, &self.root)
                .map_err(Error::Usage)?
            {
                Some(crate::git::AtRevision::Text(text)) => Some(text),
                Some(crate::git::AtRevision::Unsafe(link)) => {
                    links.push(link);
                    None
                }
                None => None,
            };
            if let Some(text) = text {
                overlay.insert(f.path.clone(), text.clone());
                files.push(Arc::new(SourceFile::new(
                    f.path.clone(),
                    f.rel.clone(),
                    f.kind,
                    self.options.max_file_size,
                    Some(text),
                )));
            }
        }
        let mut project = Project::new(
            self.root.clone(),
            files,
            self.options.clone(),
            Arc::new(overlay),
            Vec::new(),
        );
        project.registry = self.registry.clone();
        project.metadata = self.metadata.clone();
        project.advisories = self.advisories.clone();
        project.forge = self.forge.clone();
        project.images = self.images.clone();
        project.boundary = self.boundary.clone();
        project.unsafe_links = Mutex::new(links);
        Ok(project)
    }

    /// Compare against `base` (the project at the `--base` revision).
    pub fn set_base(&mut self, base: Arc<Project>) {
        self.base = Some(base);
    }

    /// The project at the `--base` revision, if comparing.
    pub fn base(&self) -> Option<&Project> {
        self.base.as_deref()
    }

    /// The same files, with new contents for some of them, and some renamed (the fix loop
    /// re-checks the project as it will be after the fixes, before anything is written): a
    /// renamed file takes its new name, kind and `changes[to]` text where the old one was.
    pub fn with_changes(
        &self,
        changes: &BTreeMap<PathBuf, String>,
        renames: &[crate::fix::Rename],
    ) -> Project {
        let mut overlay = (*self.overlay).clone();
        overlay.extend(changes.iter().map(|(p, t)| (p.clone(), t.clone())));
        let mut removed = (*self.removed).clone();
        for rename in renames {
            overlay.remove(&rename.from);
            if !changes.contains_key(&rename.from) {
                removed.push(super::clean(&rename.from));
            }
        }
        removed.retain(|p| !changes.contains_key(p));
        let mut files: Vec<Arc<SourceFile>> = self
            .files
            .iter()
            .map(|f| {
                let renamed = renames.iter().rev().find(|r| r.from == f.path);
                let path = renamed.map_or(&f.path, |r| &r.to);
                match overlay.get(path) {
                    Some(text) if changes.contains_key(path) => {
                        let (rel, kind) = match renamed {
                            Some(r) => {
                                let name = r.to.file_name().unwrap_or_default().to_string_lossy();
                                let rel = match f.rel.rsplit_once('/') {
                                    Some((dir, _)) => format!("{dir}/{name}"),
                                    None => name.to_string(),
                                };
                                let kind = super::FileKind::classify(&name).unwrap_or(f.kind);
                                (rel, kind)
                            }
                            None => (f.rel.clone(), f.kind),
                        };
                        Arc::new(SourceFile::new(
                            path.clone(),
                            rel,
                            kind,
                            self.options.max_file_size,
                            Some(text.clone()),
                        ))
                    }
                    _ => Arc::clone(f),
                }
            })
            .collect();
        // Files the changes create.
        for (path, text) in changes {
            let known = files.iter().any(|f| &f.path == path);
            let name = path.file_name().and_then(|n| n.to_str());
            if let (false, Some(kind)) = (known, name.and_then(super::FileKind::classify)) {
                files.push(Arc::new(SourceFile::new(
                    path.clone(),
                    super::rel_path(&self.root, path),
                    kind,
                    self.options.max_file_size,
                    Some(text.clone()),
                )));
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut project = Project::new(
            self.root.clone(),
            files,
            self.options.clone(),
            Arc::new(overlay),
            self.walk_errors.clone(),
        );
        project.base = self.base.clone();
        project.registry = self.registry.clone();
        project.metadata = self.metadata.clone();
        project.advisories = self.advisories.clone();
        project.forge = self.forge.clone();
        project.images = self.images.clone();
        project.boundary = self.boundary.clone();
        project.removed = Arc::new(removed);
        project
    }

    /// Let plugins look packages up in the registry (`--online`). Set before `--base`
    /// projects are made, so that both sides see the same registry.
    pub fn set_registry(&mut self, registry: Arc<dyn crate::online::Registry>) {
        self.registry = Some(registry);
    }

    /// Where package metadata is read (see [`Self::metadata`]).
    pub fn set_metadata(&mut self, metadata: Arc<dyn crate::online::Registry>) {
        self.metadata = Some(metadata);
    }

    /// Package metadata (packuments): fetched and cached with `--online`; without it, what an
    /// earlier `--online` run cached, and nothing else (no network).
    pub fn metadata(&self) -> Option<&dyn crate::online::Registry> {
        self.metadata.as_deref()
    }

    pub fn set_advisories(&mut self, advisories: Arc<dyn crate::advisory::Advisories>) {
        self.advisories = Some(advisories);
    }

    /// The advisory database (`--advisory-db`, `[advisories] db`, or the cached one).
    pub fn advisories(&self) -> Option<&dyn crate::advisory::Advisories> {
        self.advisories.as_deref()
    }

    pub fn set_forge(&mut self, forge: Arc<dyn crate::online::Forge>) {
        self.forge = Some(forge);
    }

    /// Where action references are resolved, with `--online` only.
    pub fn forge(&self) -> Option<&dyn crate::online::Forge> {
        self.forge.as_deref()
    }

    pub fn set_images(&mut self, images: Arc<dyn crate::online::Images>) {
        self.images = Some(images);
    }

    /// Where container images' digests are asked, with `fix --online` only.
    pub fn images(&self) -> Option<&dyn crate::online::Images> {
        self.images.as_deref()
    }

    /// The registry client, with `--online` only: plugins that can fill a gap from the
    /// registry ask it; without it they say what they could not determine offline.
    pub fn registry(&self) -> Option<&dyn crate::online::Registry> {
        self.registry.as_deref()
    }

    /// The git repository containing the project, opened on first use; `None` outside one.
    pub fn git(&self) -> Option<&crate::git::Git> {
        self.git
            .get_or_init(|| crate::git::Git::discover(&self.root))
            .as_ref()
    }
}
