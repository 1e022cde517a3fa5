//! `uv.lock`: uv's lockfile (TOML), read with spans: each package's source, its artifacts
//! (sdist and wheels, with `hash` and `upload-time`), its dependencies and, for the workspace's
//! own packages, the requirements they were locked from (`[package.metadata]`).

use std::ops::Range;

use chainward_core::{ParseError, SourceFile};
use toml_edit::{Item, Value};

/// A parsed uv.lock.
#[derive(Debug)]
pub struct UvLock {
    pub version: Option<i64>,
    pub revision: Option<i64>,
    pub requires_python: Option<String>,
    /// `[options]`, each key and its value as written (`exclude-newer`, `resolution-mode`, …).
    pub options: Vec<(String, String)>,
    pub manifest: Manifest,
    pub packages: Vec<LockPackage>,
    /// Package indexes by normalized name, built on first use.
    pub(crate) by_name: std::sync::OnceLock<std::collections::HashMap<String, Vec<usize>>>,
}

/// `[manifest]`: what the lock was made from beyond the members' own metadata.
#[derive(Debug, Default)]
pub struct Manifest {
    /// Workspace members (normalized names); empty for a single project.
    pub members: Vec<String>,
    pub requirements: Vec<LockRequirement>,
    pub constraints: Vec<LockRequirement>,
    pub overrides: Vec<LockRequirement>,
    /// Dependency groups of a workspace root that is not a project (`[dependency-groups]`
    /// without `[project]`).
    pub dependency_groups: Vec<(String, Vec<LockRequirement>)>,
}

/// One `[[package]]`.
#[derive(Debug)]
pub struct LockPackage {
    pub name: String,
    pub version: Option<String>,
    pub source: LockSource,
    /// The span of the `name` value (where findings about the package point).
    pub span: Range<usize>,
    pub sdist: Option<Artifact>,
    pub wheels: Vec<Artifact>,
    /// `[package.metadata] requires-dist`: present on the workspace's own packages.
    pub requires_dist: Option<Vec<LockRequirement>>,
    /// `[package.metadata.requires-dev]`, by group.
    pub requires_dev: Vec<(String, Vec<LockRequirement>)>,
    /// `[package.metadata] provides-extras`.
    pub provides_extras: Option<Vec<String>>,
    /// The packages this one depends on: `dependencies`, `optional-dependencies` (by extra)
    /// and `dev-dependencies` (by group).
    pub dependencies: Vec<LockDep>,
}

impl LockPackage {
    /// A package read from another lockfile format: no `[package.metadata]` records.
    pub(crate) fn foreign(
        name: &str,
        version: Option<String>,
        source: LockSource,
        span: Range<usize>,
        files: (Option<Artifact>, Vec<Artifact>),
        dependencies: Vec<LockDep>,
    ) -> LockPackage {
        LockPackage {
            name: name.to_string(),
            version,
            source,
            span,
            sdist: files.0,
            wheels: files.1,
            requires_dist: None,
            requires_dev: Vec::new(),
            provides_extras: None,
            dependencies,
        }
    }
}

/// One dependency edge of a locked package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockDep {
    pub name: String,
    /// Written when the lock holds more than one version of the package.
    pub version: Option<String>,
    pub kind: DepKind,
}

/// Where an edge is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepKind {
    Main,
    /// `[package.optional-dependencies]`, by extra.
    Extra(String),
    /// `[package.dev-dependencies]`, by group.
    Dev(String),
}

/// Where a locked package comes from: `source = { registry = "https://pypi.org/simple" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockSource {
    /// `registry`, `git`, `url`, `path`, `directory`, `editable` or `virtual`.
    pub kind: String,
    pub value: String,
    pub span: Range<usize>,
}

impl LockSource {
    /// The package is one of the workspace's own (or a local directory): built from the tree,
    /// not fetched.
    pub fn is_local(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "editable" | "virtual" | "directory" | "path"
        )
    }
}

/// A distribution file of a locked package.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub url: Option<String>,
    pub path: Option<String>,
    pub hash: Option<String>,
    pub upload_time: Option<String>,
    pub span: Range<usize>,
}

/// One requirement as uv records it in `[package.metadata]` and `[manifest]`: the PEP 508
/// parts as separate fields, plus the source uv folded in from `[tool.uv.sources]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRequirement {
    pub name: String,
    pub extras: Vec<String>,
    pub specifier: Option<String>,
    pub marker: Option<String>,
    /// Every other key (`editable`, `path`, `git`, `url`, `index`, `directory`, `virtual`,
    /// `subdirectory`, …) and its value as written.
    pub source: Vec<(String, String)>,
    /// The span of the inline table.
    pub span: Range<usize>,
    /// The span of the `specifier` string (with its quotes), when there is one.
    pub specifier_span: Option<Range<usize>>,
}

/// The cached uv.lock model of `file`; `None` if it does not parse (the error is on the file).
pub fn uv_lock(file: &SourceFile) -> Option<&UvLock> {
    file.parsed(UvLock::parse)
}

impl UvLock {
    pub fn parse(file: &SourceFile, text: &str) -> Result<UvLock, ParseError> {
        let doc = parse_toml(file, text)?;
        let root = doc.as_table();
        let int = |k: &str| root.get(k).and_then(Item::as_integer);
        let version = int("version");
        if version.is_none() {
            return Err(file.parse_error(0..0, "not a uv lockfile: no `version`"));
        }
        let options = root
            .get("options")
            .and_then(Item::as_table_like)
            .map(|t| {
                t.iter()
                    .filter_map(|(k, i)| i.as_value().map(|v| (k.to_string(), value_text(v))))
                    .collect()
            })
            .unwrap_or_default();
        let mut manifest = Manifest::default();
        if let Some(m) = root.get("manifest").and_then(Item::as_table_like) {
            manifest.members = strings(m.get("members"));
            manifest.requirements = requirements(m.get("requirements"));
            manifest.constraints = requirements(m.get("constraints"));
            manifest.overrides = requirements(m.get("overrides"));
            if let Some(g) = m.get("dependency-groups").and_then(Item::as_table_like) {
                manifest.dependency_groups = g
                    .iter()
                    .map(|(k, i)| (k.to_string(), requirements(Some(i))))
                    .collect();
            }
        }
        let mut packages = Vec::new();
        if let Some(array) = root.get("package").and_then(Item::as_array_of_tables) {
            for t in array.iter() {
                packages.push(package(file, t)?);
            }
        }
        Ok(UvLock {
            version,
            revision: int("revision"),
            requires_python: root
                .get("requires-python")
                .and_then(Item::as_str)
                .map(String::from),
            options,
            manifest,
            packages,
            by_name: std::sync::OnceLock::new(),
        })
    }

    /// A lock of `packages` alone, as the other lockfile formats are read into this model.
    pub(crate) fn of_packages(
        packages: Vec<LockPackage>,
        requires_python: Option<String>,
    ) -> UvLock {
        UvLock {
            version: Some(1),
            revision: None,
            requires_python,
            options: Vec::new(),
            manifest: Manifest::default(),
            packages,
            by_name: std::sync::OnceLock::new(),
        }
    }

    /// The lock's packages of `name` (in PEP 503 normal form), in file order.
    pub fn named(&self, name: &str) -> impl Iterator<Item = &LockPackage> {
        let index = self.by_name.get_or_init(|| {
            let mut m: std::collections::HashMap<String, Vec<usize>> =
                std::collections::HashMap::new();
            for (i, p) in self.packages.iter().enumerate() {
                m.entry(crate::normalize_name(&p.name)).or_default().push(i);
            }
            m
        });
        index
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.packages[i])
    }

    /// The option `key` of `[options]`, as written.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A lockfile's TOML, its syntax errors as parse errors of `file`.
pub(crate) fn parse_toml(
    file: &SourceFile,
    text: &str,
) -> Result<toml_edit::Document<String>, ParseError> {
    toml_edit::Document::parse(text.to_string())
        .map_err(|e| file.parse_error(e.span().unwrap_or(0..0), e.message().trim().to_string()))
}

/// A package table's `name` and the span of its value (where findings about it point).
pub(crate) fn package_name<'t>(
    file: &SourceFile,
    t: &'t toml_edit::Table,
    table: &str,
) -> Result<(&'t str, Range<usize>), ParseError> {
    let at = t.span().unwrap_or(0..0);
    let name_item = t
        .get("name")
        .ok_or_else(|| file.parse_error(at.clone(), format!("a `[[{table}]]` without `name`")))?;
    let name = name_item
        .as_str()
        .ok_or_else(|| file.parse_error(at.clone(), "`name` must be a string"))?;
    let span = name_item.as_value().and_then(Value::span).unwrap_or(at);
    Ok((name, span))
}

fn package(file: &SourceFile, t: &toml_edit::Table) -> Result<LockPackage, ParseError> {
    let (name, span) = package_name(file, t, "package")?;
    let source = match t.get("source").and_then(Item::as_inline_table) {
        Some(s) => {
            let (kind, value) = s
                .iter()
                .next()
                .map(|(k, v)| (k.to_string(), value_text(v)))
                .unwrap_or_default();
            LockSource {
                kind,
                value,
                span: s.span().unwrap_or(span.clone()),
            }
        }
        None => {
            return Err(file.parse_error(span, format!("package `{name}` has no `source`")));
        }
    };
    let artifact = |v: &Value| -> Option<Artifact> {
        let t = v.as_inline_table()?;
        let s = |k: &str| t.get(k).and_then(Value::as_str).map(String::from);
        Some(Artifact {
            url: s("url"),
            path: s("path").or_else(|| s("filename")),
            hash: s("hash"),
            upload_time: s("upload-time").or_else(|| {
                t.get("upload-time")
                    .and_then(Value::as_datetime)
                    .map(|d| d.to_string())
            }),
            span: v.span().unwrap_or(0..0),
        })
    };
    let sdist = t.get("sdist").and_then(Item::as_value).and_then(&artifact);
    let wheels = t
        .get("wheels")
        .and_then(Item::as_array)
        .map(|a| a.iter().filter_map(&artifact).collect())
        .unwrap_or_default();
    let metadata = t.get("metadata").and_then(Item::as_table_like);
    let requires_dist = metadata
        .and_then(|m| m.get("requires-dist"))
        .map(|i| requirements(Some(i)));
    let requires_dev = metadata
        .and_then(|m| m.get("requires-dev"))
        .and_then(Item::as_table_like)
        .map(|g| {
            g.iter()
                .map(|(k, i)| (k.to_string(), requirements(Some(i))))
                .collect()
        })
        .unwrap_or_default();
    let provides_extras = metadata
        .and_then(|m| m.get("provides-extras"))
        .map(|i| strings(Some(i)));
    let mut dependencies = Vec::new();
    let mut edges = |i: Option<&Item>, kind: DepKind| {
        if let Some(a) = i.and_then(Item::as_array) {
            for v in a.iter() {
                let Some(t) = v.as_inline_table() else {
                    continue;
                };
                if let Some(n) = t.get("name").and_then(Value::as_str) {
                    dependencies.push(LockDep {
                        name: n.to_string(),
                        version: t.get("version").and_then(Value::as_str).map(String::from),
                        kind: kind.clone(),
                    });
                }
            }
        }
    };
    edges(t.get("dependencies"), DepKind::Main);
    for (key, dev) in [("optional-dependencies", false), ("dev-dependencies", true)] {
        if let Some(groups) = t.get(key).and_then(Item::as_table_like) {
            for (g, i) in groups.iter() {
                let kind = if dev {
                    DepKind::Dev(g.to_string())
                } else {
                    DepKind::Extra(g.to_string())
                };
                edges(Some(i), kind);
            }
        }
    }
    Ok(LockPackage {
        name: name.to_string(),
        version: t.get("version").and_then(Item::as_str).map(String::from),
        source,
        span,
        sdist,
        wheels,
        requires_dist,
        requires_dev,
        provides_extras,
        dependencies,
    })
}

fn strings(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn requirements(item: Option<&Item>) -> Vec<LockRequirement> {
    let Some(a) = item.and_then(Item::as_array) else {
        return Vec::new();
    };
    a.iter()
        .filter_map(|v| Some((v.as_inline_table()?, v.span().unwrap_or(0..0))))
        .filter_map(|(t, span)| {
            let mut r = LockRequirement {
                name: t.get("name")?.as_str()?.to_string(),
                extras: Vec::new(),
                specifier: None,
                marker: None,
                source: Vec::new(),
                span,
                specifier_span: None,
            };
            for (k, v) in t.iter() {
                match k {
                    "name" => {}
                    "extras" => {
                        r.extras = v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|e| e.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default()
                    }
                    "specifier" => {
                        r.specifier = v.as_str().map(String::from);
                        r.specifier_span = v.span();
                    }
                    "marker" => r.marker = v.as_str().map(String::from),
                    _ => r.source.push((k.to_string(), value_text(v))),
                }
            }
            Some(r)
        })
        .collect()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.value().clone(),
        Value::Boolean(b) => b.value().to_string(),
        other => other.to_string().trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::FileKind;

    const LOCK: &str = r#"version = 1
revision = 3
requires-python = ">=3.10"

[options]
exclude-newer = "2025-01-01T00:00:00Z"

[[package]]
name = "anyio"
version = "4.16.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "idna" },
]
sdist = { url = "https://files.pythonhosted.org/packages/a1/anyio-4.16.0.tar.gz", hash = "sha256:59bb", size = 310971, upload-time = "2026-11-01T11:20:07Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/a9/anyio-4.16.0-py3-none-any.whl", hash = "sha256:c66a", size = 134521, upload-time = "2026-11-01T11:20:05Z" },
]

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "anyio" },
]

[package.metadata]
requires-dist = [{ name = "anyio", extras = ["trio"], marker = "python_full_version >= '3.11'", specifier = ">=4" }]

[package.metadata.requires-dev]
dev = [{ name = "pytest", specifier = ">=8" }]
"#;

    #[test]
    fn reads_sources_artifacts_and_the_members_metadata() {
        let f = SourceFile::in_memory("uv.lock", FileKind::UvLock, LOCK);
        let lock = UvLock::parse(&f, LOCK).expect("parses");
        assert_eq!((lock.version, lock.revision), (Some(1), Some(3)));
        assert_eq!(lock.option("exclude-newer"), Some("2025-01-01T00:00:00Z"));
        let anyio = &lock.packages[0];
        assert_eq!(anyio.source.kind, "registry");
        assert_eq!(&LOCK[anyio.span.clone()], "\"anyio\"");
        assert_eq!(
            anyio.sdist.as_ref().and_then(|s| s.hash.as_deref()),
            Some("sha256:59bb")
        );
        assert_eq!(
            anyio.wheels[0].upload_time.as_deref(),
            Some("2026-11-01T11:20:05Z")
        );
        assert_eq!(
            anyio.dependencies,
            [LockDep {
                name: "idna".into(),
                version: None,
                kind: DepKind::Main
            }]
        );
        let demo = &lock.packages[1];
        assert!(demo.source.is_local());
        let rd = demo.requires_dist.as_ref().expect("metadata");
        assert_eq!(rd[0].extras, ["trio"]);
        assert_eq!(rd[0].specifier.as_deref(), Some(">=4"));
        assert_eq!(demo.requires_dev[0].0, "dev");
    }

    #[test]
    fn malformed_locks_are_errors() {
        for text in [
            "[[package]]\nname = 1\n",
            "version = 1\n[[package]]\nname = \"x\"\n",
            "version = ",
        ] {
            let f = SourceFile::in_memory("uv.lock", FileKind::UvLock, text);
            assert!(UvLock::parse(&f, text).is_err(), "{text}");
        }
    }
}
