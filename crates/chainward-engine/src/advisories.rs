//! The advisory database a run reads: `--advisory-db PATH` (the user's own choice, anywhere),
//! else `[advisories] db` (a path inside the project: a project's config never makes chainward
//! read outside the tree), else the cache's `advisories/npm` folder or `advisories/npm.zip`.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use chainward_core::advisory::Advisories;
use chainward_core::config::Config;
use chainward_core::{Error, Project};

/// The database, and what of it could not be read (for a warning on stderr).
pub struct Database {
    pub database: Arc<dyn Advisories>,
    pub damaged: Vec<(String, String)>,
    pub damaged_count: usize,
}

/// Load the database the run names; `Ok(None)` when none is named and none is cached.
pub fn database(
    flag: Option<&Path>,
    project: &Project,
    config: &Config,
    cache_dir: Option<&Path>,
) -> Result<Option<Database>, Error> {
    let path: Option<PathBuf> = match flag {
        Some(p) => Some(p.to_path_buf()),
        None => match config.plugin("advisories").get_string("db")? {
            Some((db, span)) => Some(inside_project(project, config, &db, span)?),
            None => None,
        },
    };
    open(path.as_deref(), cache_dir)
}

/// The database at `path`, else the cached one (`Ok(None)`: none), through its index.
pub fn open(path: Option<&Path>, cache_dir: Option<&Path>) -> Result<Option<Database>, Error> {
    let Some(path) = path
        .map(Path::to_path_buf)
        .or_else(|| cache_dir.and_then(chainward_online::advisories::default_path))
    else {
        return Ok(None);
    };
    let loaded = chainward_online::advisories::load_indexed(&path, cache_dir)
        .map_err(|e| Error::Usage(format!("advisory database: {e}")))?;
    Ok(Some(Database {
        database: loaded.database,
        damaged: loaded.damaged,
        damaged_count: loaded.damaged_count,
    }))
}

/// `[advisories] db`, resolved below the project root: relative, no `..`, and not through a
/// link that leaves the tree.
fn inside_project(
    project: &Project,
    config: &Config,
    db: &str,
    span: chainward_core::config::Span,
) -> Result<PathBuf, Error> {
    let rel = Path::new(db);
    let outside = || {
        config.error_at(
            span.clone(),
            format!(
                "`db` must be a path inside the project (`{}`); a database elsewhere is given with --advisory-db",
                chainward_core::escape::visible(db)
            ),
        )
    };
    if db.is_empty()
        || rel.is_absolute()
        || rel.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::Prefix(_) | Component::RootDir
            )
        })
    {
        return Err(outside());
    }
    let full = project.root.join(rel);
    let (Ok(real), Ok(root)) = (
        std::fs::canonicalize(&full),
        std::fs::canonicalize(&project.root),
    ) else {
        return Err(config.error_at(
            span,
            format!(
                "`db`: no such file or folder: {}",
                chainward_core::escape::visible(&full.display().to_string())
            ),
        ));
    };
    if !real.starts_with(&root) {
        return Err(outside());
    }
    Ok(real)
}
