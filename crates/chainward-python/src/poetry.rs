//! `poetry.lock`, read only (for the SBOM and the hashes): each package with its files and
//! their hashes, its source, its dependencies, and the groups that need it, in the lock model's
//! shape. The project itself is not in the file: a `virtual` root package stands for it, with
//! an edge to every package of the `main` group (production) and a development edge to the
//! others, so that scopes come out as Poetry means them.

use chainward_core::{ParseError, SourceFile};
use toml_edit::{Item, Value};

use crate::uvlock::{Artifact, DepKind, LockDep, LockPackage, LockSource, UvLock};

/// A parsed poetry.lock.
#[derive(Debug)]
pub struct PoetryLock {
    /// `[metadata] lock-version`.
    pub lock_version: Option<String>,
    /// The packages, as lock packages; the root (named by `root_name` when given) first.
    pub lock: UvLock,
}

/// The cached model of a poetry.lock.
pub fn poetry_lock(file: &SourceFile) -> Option<&PoetryLock> {
    file.parsed(PoetryLock::parse)
}

/// The name the root package gets (the project's name is in pyproject.toml, not here).
pub const ROOT: &str = "(project)";

impl PoetryLock {
    pub fn parse(file: &SourceFile, text: &str) -> Result<PoetryLock, ParseError> {
        let doc = crate::uvlock::parse_toml(file, text)?;
        let root = doc.as_table();
        let lock_version = root
            .get("metadata")
            .and_then(Item::as_table_like)
            .and_then(|m| m.get("lock-version"))
            .and_then(Item::as_str)
            .map(String::from);
        let mut packages = vec![LockPackage {
            name: ROOT.to_string(),
            version: None,
            source: LockSource {
                kind: "virtual".into(),
                value: ".".into(),
                span: 0..0,
            },
            span: 0..0,
            sdist: None,
            wheels: Vec::new(),
            requires_dist: None,
            requires_dev: Vec::new(),
            provides_extras: None,
            dependencies: Vec::new(),
        }];
        let mut root_edges = Vec::new();
        if let Some(array) = root.get("package").and_then(Item::as_array_of_tables) {
            for t in array.iter() {
                let (name, span) = crate::uvlock::package_name(file, t, "package")?;
                let version = t.get("version").and_then(Item::as_str).map(String::from);
                let source_table = t.get("source").and_then(Item::as_table_like);
                let (kind, value) = match source_table {
                    None => (
                        "registry".to_string(),
                        "https://pypi.org/simple".to_string(),
                    ),
                    Some(s) => {
                        let get = |k: &str| s.get(k).and_then(Item::as_str).unwrap_or_default();
                        let kind = match get("type") {
                            "git" => "git",
                            "url" => "url",
                            "directory" => "directory",
                            "file" => "path",
                            _ => "registry",
                        };
                        let value = match kind {
                            "git" => {
                                let r = match get("resolved_reference") {
                                    "" => get("reference"),
                                    r => r,
                                };
                                format!("{}#{r}", get("url"))
                            }
                            _ => get("url").to_string(),
                        };
                        (kind.to_string(), value)
                    }
                };
                // Files: `{file = "x.whl", hash = "sha256:…"}` (no URL in the lock).
                let files: Vec<Artifact> = t
                    .get("files")
                    .and_then(Item::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| {
                                let f = v.as_inline_table()?;
                                // Copied, not read from the text: a poetry.lock is small.
                                Some(Artifact::new(
                                    "",
                                    [
                                        None,
                                        crate::uvlock::copied(
                                            f.get("file").and_then(Value::as_str),
                                        ),
                                        crate::uvlock::copied(
                                            f.get("hash")
                                                .and_then(Value::as_str)
                                                .filter(|h| !h.is_empty()),
                                        ),
                                        None,
                                    ],
                                    v.span().unwrap_or(0..0),
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let (sdists, wheels): (Vec<Artifact>, Vec<Artifact>) = files
                    .into_iter()
                    .partition(|a| a.path("").is_some_and(|p| !p.ends_with(".whl")));
                let dependencies = t
                    .get("dependencies")
                    .and_then(Item::as_table_like)
                    .map(|d| {
                        d.iter()
                            .map(|(n, _)| LockDep {
                                name: n.to_string(),
                                version: None,
                                kind: DepKind::Main,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                // Poetry 2: `groups = ["main"]`; Poetry 1: `category = "main"|"dev"`.
                let groups: Vec<String> = match t.get("groups").and_then(Item::as_array) {
                    Some(a) => a
                        .iter()
                        .filter_map(|g| g.as_str().map(String::from))
                        .collect(),
                    None => t
                        .get("category")
                        .and_then(Item::as_str)
                        .map(|c| vec![c.to_string()])
                        .unwrap_or_else(|| vec!["main".to_string()]),
                };
                root_edges.push(LockDep {
                    name: name.to_string(),
                    version: version.clone(),
                    kind: if groups.iter().any(|g| g == "main") {
                        DepKind::Main
                    } else {
                        DepKind::Dev(groups.first().cloned().unwrap_or_default())
                    },
                });
                let mut sdists = sdists.into_iter();
                let sdist = sdists.next();
                let mut wheels = wheels;
                wheels.extend(sdists);
                let source = LockSource {
                    kind,
                    value,
                    span: t.get("source").and_then(Item::span).unwrap_or(span.clone()),
                };
                packages.push(LockPackage::foreign(
                    name,
                    version,
                    source,
                    span,
                    (sdist, wheels),
                    dependencies,
                ));
            }
        }
        packages[0].dependencies = root_edges;
        Ok(PoetryLock {
            lock_version,
            lock: UvLock::of_packages(packages, None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::FileKind;

    #[test]
    fn reads_files_hashes_groups_and_sources() {
        let text = r#"[[package]]
name = "anyio"
version = "4.9.0"
groups = ["main"]
files = [
    {file = "anyio-4.9.0-py3-none-any.whl", hash = "sha256:9f76"},
    {file = "anyio-4.9.0.tar.gz", hash = "sha256:673c"},
]

[package.dependencies]
idna = ">=2.8"

[[package]]
name = "pytest"
version = "8.3.5"
groups = ["dev"]
files = [{file = "pytest-8.3.5.tar.gz", hash = ""}]

[[package]]
name = "x"
version = "1.0"
files = []
[package.source]
type = "git"
url = "https://github.com/o/x.git"
reference = "main"
resolved_reference = "abc123"

[metadata]
lock-version = "2.1"
"#;
        let f = SourceFile::in_memory("poetry.lock", FileKind::PoetryLock, text);
        let p = PoetryLock::parse(&f, text).expect("parses");
        assert_eq!(p.lock_version.as_deref(), Some("2.1"));
        let l = &p.lock;
        assert_eq!(l.packages[0].name, ROOT);
        assert_eq!(l.packages[0].dependencies[0].kind, DepKind::Main);
        assert_eq!(
            l.packages[0].dependencies[1].kind,
            DepKind::Dev("dev".into())
        );
        let anyio = &l.packages[1];
        assert_eq!(
            anyio.sdist.as_ref().and_then(|a| a.hash("")),
            Some("sha256:673c")
        );
        assert_eq!(anyio.wheels.len(), 1);
        assert_eq!(anyio.dependencies[0].name, "idna");
        assert_eq!(l.packages[2].sdist.as_ref().and_then(|a| a.hash("")), None);
        assert_eq!(l.packages[3].source.kind, "git");
        assert_eq!(
            l.packages[3].source.value,
            "https://github.com/o/x.git#abc123"
        );
    }
}
