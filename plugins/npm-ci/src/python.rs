//! uv.lock, held to what `uv sync --locked` and a careful reviewer require: in sync with the
//! workspace's pyproject.toml files (see [`chainward_python::sync`]), a hash for every
//! distribution fetched from an index, and every index an allowed one, over https.

use std::path::Path;

use chainward_core::{FileKind, Finding, Project, SourceFile};
use chainward_python::sync::{self, Member};
use chainward_python::{pyproject, uv_lock};

use crate::Options;
use crate::entries::{DISALLOWED_HOST, GIT_DEPENDENCY, INSECURE_PROTOCOL, MISSING_INTEGRITY};
use crate::sync::LOCKFILE_OUT_OF_SYNC;

/// The default allowed index: PyPI's.
pub const DEFAULT_INDEXES: &[&str] = &["https://pypi.org/simple"];

/// An index URL in the form compared: no trailing slash, scheme and host lowercase.
fn normalize_index(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            let mut out = format!(
                "{}://{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase()
            );
            if !path.is_empty() {
                out.push('/');
                out.push_str(path);
            }
            out
        }
        None => url.to_string(),
    }
}

fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A poetry.lock (read only): hashes, protocols, git sources. Its sources' URLs are checked for
/// https but not against the allowed indexes (Poetry's own `[[tool.poetry.source]]` names them).
pub(crate) fn check_poetry(file: &SourceFile, opts: &Options, out: &mut Vec<Finding>) {
    let Some(lock) = chainward_python::poetry_lock(file) else {
        return;
    };
    let any = Options {
        allowed_indexes: Vec::new(),
        ..opts.clone()
    };
    entries(file, &lock.lock, None, &any, out);
}

/// A pylock.toml (PEP 751): hashes, indexes, protocols, git sources.
pub(crate) fn check_pylock(
    project: &Project,
    file: &SourceFile,
    opts: &Options,
    out: &mut Vec<Finding>,
) {
    let Some(lock) = chainward_python::pylock(file) else {
        return;
    };
    let dir = dir_of(&file.rel);
    let root_file = project.file_at(&project.root.join(dir).join("pyproject.toml"));
    let root = root_file.as_deref().and_then(pyproject);
    entries(file, &lock.lock, root, opts, out);
}

pub(crate) fn check(project: &Project, file: &SourceFile, opts: &Options, out: &mut Vec<Finding>) {
    let Some(lock) = uv_lock(file) else { return };
    let dir = dir_of(&file.rel);
    let root_path = project.root.join(dir).join("pyproject.toml");
    let root_file = project.file_at(&root_path);
    let root = root_file.as_deref().and_then(pyproject);
    let uv_toml = project
        .read_text(&project.root.join(dir).join("uv.toml"))
        .and_then(|t| chainward_python::pyproject::uv_toml(&t));
    let mut opts = opts.clone();
    if let Some(u) = &uv_toml {
        opts.allowed_indexes
            .extend(u.indexes.iter().map(|i| i.url.clone()));
        opts.allowed_indexes
            .extend(u.index_urls.iter().map(|(u, _)| u.clone()));
    }
    entries(file, lock, root, &opts, out);
    sync_check(project, file, lock, root, uv_toml.as_ref(), out);
}

/// Every locked package: a hash for each distribution file, an allowed index over https, git
/// sources called out.
fn entries(
    file: &SourceFile,
    lock: &chainward_python::UvLock,
    root: Option<&chainward_python::PyProject>,
    opts: &Options,
    out: &mut Vec<Finding>,
) {
    // Entries: hashes, indexes, protocols.
    let mut allowed: Vec<String> = opts
        .allowed_indexes
        .iter()
        .map(|u| normalize_index(u))
        .collect();
    if let Some(root) = root {
        allowed.extend(root.uv.indexes.iter().map(|i| normalize_index(&i.url)));
        allowed.extend(root.uv.index_urls.iter().map(|(u, _)| normalize_index(u)));
    }
    let text = file.text().unwrap_or_default();
    for pkg in &lock.packages {
        let source = &pkg.source;
        let shown_name = &pkg.name;
        match source.kind.as_str() {
            "registry" => {
                let index = normalize_index(&source.value);
                if index.starts_with("http://") {
                    out.push(
                        Finding::new(
                            &INSECURE_PROTOCOL,
                            file,
                            source.span.clone(),
                            format!(
                                "`{shown_name}` is locked from an index over plain http: ({})",
                                &source.value
                            ),
                        )
                        .with_help("use the index's https:// URL and run `uv lock` again"),
                    );
                } else if index.contains("://") && !allowed.is_empty() && !allowed.contains(&index)
                {
                    out.push(
                        Finding::new(&DISALLOWED_HOST, file, source.span.clone(), format!(
                            "`{shown_name}` is locked from {}, which is not an allowed index",
                            &source.value
                        ))
                        .with_help("declare the index in pyproject.toml (`[[tool.uv.index]]`) or allow it in chainward.toml (`[npm-ci] allowed-indexes`)"),
                    );
                }
                let artifacts = pkg.sdist.iter().chain(&pkg.wheels);
                let mut unhashed = None;
                for a in artifacts {
                    if a.hash(text).is_none_or(str::is_empty) && unhashed.is_none() {
                        unhashed = Some(a.span.clone());
                    }
                    if let Some(url) = a.url(text)
                        && url.starts_with("http://")
                    {
                        out.push(Finding::new(
                            &INSECURE_PROTOCOL,
                            file,
                            a.span.clone(),
                            format!(
                                "a distribution of `{shown_name}` is fetched over plain http: ({})",
                                url
                            ),
                        ));
                    }
                }
                if let Some(span) = unhashed {
                    out.push(
                        Finding::new(&MISSING_INTEGRITY, file, span, format!(
                            "a distribution of `{shown_name}` has no hash: uv installs whatever bytes the index serves"
                        ))
                        .with_help("run `uv lock --refresh-package <name>` against an index that publishes hashes"),
                    );
                }
            }
            "git" => {
                if source.value.starts_with("git://") || source.value.starts_with("http://") {
                    out.push(Finding::new(&INSECURE_PROTOCOL, file, source.span.clone(), format!(
                        "`{shown_name}` is fetched from git over an unauthenticated protocol ({})",
                        &source.value
                    )));
                } else {
                    out.push(Finding::new(
                        &GIT_DEPENDENCY,
                        file,
                        source.span.clone(),
                        format!(
                            "`{shown_name}` is locked from git ({}): no hash, no registry",
                            &source.value
                        ),
                    ));
                }
            }
            "url" if source.value.starts_with("http://") => {
                out.push(Finding::new(
                    &INSECURE_PROTOCOL,
                    file,
                    source.span.clone(),
                    format!(
                        "`{shown_name}` is fetched over plain http: ({})",
                        &source.value
                    ),
                ));
            }
            _ => {}
        }
    }
}

/// In sync with the workspace's pyproject.toml files.
fn sync_check(
    project: &Project,
    file: &SourceFile,
    lock: &chainward_python::UvLock,
    root: Option<&chainward_python::PyProject>,
    uv_toml: Option<&chainward_python::pyproject::UvSettings>,
    out: &mut Vec<Finding>,
) {
    let dir = dir_of(&file.rel);
    let Some(root) = root else { return };
    if root.uv.managed == Some(false) {
        return;
    }
    let mut members = vec![Member {
        pyproject: root,
        dir: String::new(),
    }];
    if let Some(ws) = &root.uv.workspace {
        let set = |globs: &[String]| chainward_python::pyproject::member_globs(globs);
        let (Some(include), Some(exclude)) = (set(&ws.members), set(&ws.exclude)) else {
            return;
        };
        let mut found: Vec<(String, &SourceFile)> = Vec::new();
        for f in project.files_of(FileKind::PyProject) {
            let fdir = dir_of(&f.rel);
            let Some(rel) = (if dir.is_empty() {
                Some(fdir)
            } else {
                fdir.strip_prefix(dir).and_then(|r| r.strip_prefix('/'))
            }) else {
                continue;
            };
            if rel.is_empty()
                || !include.is_match(Path::new(rel))
                || exclude.is_match(Path::new(rel))
            {
                continue;
            }
            found.push((rel.to_string(), f));
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        for (rel, f) in found {
            match pyproject(f) {
                Some(p) => members.push(Member {
                    pyproject: p,
                    dir: rel,
                }),
                // A member that does not parse: uv cannot judge either (the error is reported).
                None => return,
            }
        }
    }
    for drift in sync::check(lock, &members, uv_toml) {
        let span = drift
            .member
            .as_deref()
            .and_then(|m| lock.named(m).find(|p| p.source.is_local()))
            .map_or(0..0, |p| p.span.clone());
        out.push(
            Finding::new(
                &LOCKFILE_OUT_OF_SYNC,
                file,
                span,
                format!(
                    "uv.lock is out of date with pyproject.toml ({}): `uv sync --locked` fails",
                    &drift.message
                ),
            )
            .with_help("run `uv lock` and review the lockfile diff"),
        );
    }
}

/// A requirements file with `--hash` on some lines and not on others: pip turns on
/// hash-checking for the whole install and refuses it ("Hashes are required in
/// --require-hashes mode, but they are missing from some requirements").
pub(crate) fn check_requirements(file: &SourceFile, out: &mut Vec<Finding>) {
    let Some(model) = chainward_python::requirements_file(file) else {
        return;
    };
    if !(model.any_hashed() || model.require_hashes) || model.fully_hashed() {
        return;
    }
    for entry in model.entries.iter().filter(|e| e.hashes.is_empty()) {
        // `uv export` writes the project as `-e .` beside hashed lines: pip refuses that, uv
        // (`uv pip install`) does not. A warning; an unhashed package is an error.
        let (why, severity) = if entry.editable {
            (
                "an editable install cannot be hash-checked by pip",
                chainward_core::Severity::Warning,
            )
        } else {
            ("it has no `--hash`", chainward_core::Severity::Error)
        };
        out.push(
            Finding::new(
                &MISSING_INTEGRITY,
                file,
                entry.span.clone(),
                format!(
                    "`{}`: {why}, while the file is in hash-checking mode (other lines have `--hash`{}): `pip install -r` refuses the whole file",
                    entry.text,
                    if model.require_hashes { ", or `--require-hashes`" } else { "" }
                ),
            )
            .with_severity(severity)
            .with_help("regenerate the file with hashes for every line (`uv export --format requirements-txt --no-emit-project`, `pip-compile --generate-hashes`)"),
        );
    }
}
