//! `pylock.toml` (PEP 751): a lock any installer can read. Read into the uv.lock model's shape
//! (packages with their source and distribution files), so that the same checks and the same
//! SBOM apply; PEP 751 records no requirements, so there is nothing to compare with
//! pyproject.toml.

use chainward_core::{ParseError, SourceFile};
use toml_edit::{Item, Value};

use crate::uvlock::{Artifact, DepKind, LockDep, LockPackage, LockSource, UvLock};

/// The cached model of a pylock.toml, in the uv.lock model's shape.
pub fn pylock(file: &SourceFile) -> Option<&PyLock> {
    file.parsed(PyLock::parse)
}

/// A parsed pylock.toml.
#[derive(Debug)]
pub struct PyLock {
    pub lock_version: String,
    pub created_by: Option<String>,
    /// The packages, as uv.lock packages (`source` kinds: `registry` for `index`, `git` for a
    /// `vcs`, `url` for an `archive` with a URL, `directory`/`path` for local ones).
    pub lock: UvLock,
}

fn hashes_of(t: &dyn toml_edit::TableLike) -> Option<String> {
    let h = t.get("hashes")?.as_table_like()?;
    // The strongest the file gives, as `alg:hex`.
    ["sha512", "sha384", "sha256"]
        .iter()
        .find_map(|alg| Some(format!("{alg}:{}", h.get(alg)?.as_str()?)))
        .or_else(|| {
            h.iter()
                .next()
                .and_then(|(k, v)| Some(format!("{k}:{}", v.as_str()?)))
        })
}

fn artifact(v: &Value) -> Option<Artifact> {
    let t = v.as_inline_table()?;
    let s = |k: &str| t.get(k).and_then(Value::as_str);
    let upload_time = t.get("upload-time").and_then(|u| match u {
        Value::Datetime(d) => Some(d.value().to_string()),
        Value::String(s) => Some(s.value().clone()),
        _ => None,
    });
    // Copied, not read from the text: pylock.toml files are small.
    let hash = hashes_of(t);
    Some(Artifact::new(
        "",
        [
            crate::uvlock::copied(s("url")),
            crate::uvlock::copied(s("path").or_else(|| s("name"))),
            crate::uvlock::copied(hash.as_deref()),
            crate::uvlock::copied(upload_time.as_deref()),
        ],
        v.span().unwrap_or(0..0),
    ))
}

fn table_artifact(t: &toml_edit::Table) -> Artifact {
    let s = |k: &str| t.get(k).and_then(Item::as_str);
    let hash = hashes_of(t);
    Artifact::new(
        "",
        [
            crate::uvlock::copied(s("url")),
            crate::uvlock::copied(s("path")),
            crate::uvlock::copied(hash.as_deref()),
            None,
        ],
        t.span().unwrap_or(0..0),
    )
}

impl PyLock {
    pub fn parse(file: &SourceFile, text: &str) -> Result<PyLock, ParseError> {
        let doc = crate::uvlock::parse_toml(file, text)?;
        let root = doc.as_table();
        let Some(version) = root.get("lock-version").and_then(Item::as_str) else {
            return Err(file.parse_error(0..0, "not a PEP 751 lock: no `lock-version`"));
        };
        // PEP 751: installers must refuse a major version they do not know.
        if !version.starts_with("1.") && version != "1" {
            let mut e = file.parse_error(
                0..0,
                format!("pylock.toml `lock-version = \"{version}\"`: chainward reads version 1"),
            );
            e.unsupported = true;
            return Err(e);
        }
        let mut packages = Vec::new();
        if let Some(array) = root.get("packages").and_then(Item::as_array_of_tables) {
            for t in array.iter() {
                let (name, span) = crate::uvlock::package_name(file, t, "packages")?;
                let str_of = |k: &str| t.get(k).and_then(Item::as_str).map(String::from);
                let sub = |k: &str| t.get(k).and_then(Item::as_table_like);
                let (kind, value, source_span) = if let Some(index) = t.get("index") {
                    (
                        "registry",
                        index.as_str().unwrap_or_default().to_string(),
                        index
                            .as_value()
                            .and_then(Value::span)
                            .unwrap_or(span.clone()),
                    )
                } else if let Some(vcs) = sub("vcs") {
                    let url = vcs.get("url").and_then(Item::as_str).unwrap_or_default();
                    let commit = vcs
                        .get("commit-id")
                        .and_then(Item::as_str)
                        .unwrap_or_default();
                    (
                        "git",
                        format!("{url}#{commit}"),
                        t.get("vcs").and_then(Item::span).unwrap_or(span.clone()),
                    )
                } else if let Some(dir) = sub("directory") {
                    (
                        "directory",
                        dir.get("path")
                            .and_then(Item::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        span.clone(),
                    )
                } else if let Some(archive) = sub("archive") {
                    match archive.get("url").and_then(Item::as_str) {
                        Some(url) => ("url", url.to_string(), span.clone()),
                        None => (
                            "path",
                            archive
                                .get("path")
                                .and_then(Item::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            span.clone(),
                        ),
                    }
                } else {
                    // Files without an index (`sdist`/`wheels` with URLs only).
                    ("registry", String::new(), span.clone())
                };
                let sdist = t.get("sdist").and_then(|i| match i {
                    Item::Value(v) => artifact(v),
                    Item::Table(t) => Some(table_artifact(t)),
                    _ => None,
                });
                let mut wheels: Vec<Artifact> = match t.get("wheels") {
                    Some(Item::Value(Value::Array(a))) => a.iter().filter_map(artifact).collect(),
                    Some(Item::ArrayOfTables(a)) => a.iter().map(table_artifact).collect(),
                    _ => Vec::new(),
                };
                // An archive is the one distribution file.
                if let Some(Item::Table(a)) = t.get("archive") {
                    wheels.push(table_artifact(a));
                } else if let Some(Item::Value(v)) = t.get("archive")
                    && let Some(a) = artifact(v)
                {
                    wheels.push(a);
                }
                let dependencies = t
                    .get("dependencies")
                    .and_then(Item::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_inline_table)
                            .filter_map(|d| {
                                Some(LockDep {
                                    name: d.get("name")?.as_str()?.to_string(),
                                    version: d
                                        .get("version")
                                        .and_then(Value::as_str)
                                        .map(String::from),
                                    kind: DepKind::Main,
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let source = LockSource {
                    kind: kind.to_string(),
                    value,
                    span: source_span,
                };
                packages.push(LockPackage::foreign(
                    name,
                    str_of("version"),
                    source,
                    span,
                    (sdist, wheels),
                    dependencies,
                ));
            }
        }
        Ok(PyLock {
            lock_version: version.to_string(),
            created_by: root
                .get("created-by")
                .and_then(Item::as_str)
                .map(String::from),
            lock: UvLock::of_packages(
                packages,
                root.get("requires-python")
                    .and_then(Item::as_str)
                    .map(String::from),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::FileKind;

    #[test]
    fn reads_indexes_files_hashes_and_local_packages() {
        let text = r#"lock-version = "1.0"
created-by = "uv"
[[packages]]
name = "anyio"
version = "4.16.0"
index = "https://pypi.org/simple"
sdist = { url = "https://files.pythonhosted.org/a/anyio-4.16.0.tar.gz", upload-time = 2026-11-01T11:20:07Z, size = 1, hashes = { sha256 = "59bb" } }
wheels = [{ url = "https://files.pythonhosted.org/a/anyio-4.16.0-py3-none-any.whl", hashes = { sha256 = "c66a" } }]
[[packages]]
name = "demo"
directory = { path = ".", editable = true }
[[packages]]
name = "x"
version = "1"
[packages.vcs]
type = "git"
url = "https://github.com/o/x"
commit-id = "abc"
"#;
        let f = SourceFile::in_memory("pylock.toml", FileKind::PyLock, text);
        let p = PyLock::parse(&f, text).expect("parses");
        let l = &p.lock;
        assert_eq!(l.packages[0].source.kind, "registry");
        assert_eq!(
            l.packages[0].sdist.as_ref().and_then(|s| s.hash("")),
            Some("sha256:59bb")
        );
        assert_eq!(
            l.packages[0].sdist.as_ref().and_then(|s| s.upload_time("")),
            Some("2026-11-01T11:20:07Z")
        );
        assert_eq!(l.packages[0].wheels.len(), 1);
        assert!(l.packages[1].source.is_local());
        assert_eq!(l.packages[2].source.kind, "git");
        let v2 = "lock-version = \"2.0\"\n";
        let f = SourceFile::in_memory("pylock.toml", FileKind::PyLock, v2);
        assert!(PyLock::parse(&f, v2).expect_err("v2").unsupported);
    }
}
