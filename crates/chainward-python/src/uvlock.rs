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

/// A distribution file of a locked package: its URL or path, hash and upload time, read with
/// the text of the lockfile it came from. A large lock has thousands (a 2.5 MB uv.lock: 7,187,
/// whose strings were 1.85 MB), so a value written verbatim in the lockfile is kept as where it
/// is in that text; only the others (an escaped string, a datetime, a hash pylock.toml gives as
/// a table) are copied, one after another in one allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The values not read from the text.
    owned: Box<str>,
    /// Where each field's value is (URL, path, hash, upload time): bytes of the lockfile's text,
    /// or of `owned` when its bit in `copied` is set; [`ABSENT`] when the field is absent (an
    /// `Option` of each took 48 bytes instead of 32, for thousands of artifacts).
    fields: [(u32, u32); 4],
    copied: u8,
    pub span: Range<usize>,
}

/// An absent field of an [`Artifact`]: no text has a range ending before it starts.
const ABSENT: (u32, u32) = (u32::MAX, 0);

/// A field given to [`Artifact::new`]: its value, and where that value's quoted string is in the
/// lockfile's text when it is a string written there.
pub type FieldValue<'a> = Option<(&'a str, Option<Range<usize>>)>;

/// A field copied into the artifact, not read from the lockfile's text.
pub(crate) fn copied(value: Option<&str>) -> FieldValue<'_> {
    value.map(|v| (v, None))
}

impl Artifact {
    /// An artifact of `text` (the lockfile's whole text) from its URL, path, hash and upload time.
    pub fn new(text: &str, fields: [FieldValue<'_>; 4], span: Range<usize>) -> Artifact {
        let mut owned = String::new();
        let mut at = [ABSENT; 4];
        let mut copied = 0u8;
        let fits = |a: usize, b: usize| Some((u32::try_from(a).ok()?, u32::try_from(b).ok()?));
        for (i, field) in fields.into_iter().enumerate() {
            let Some((value, quoted)) = field else {
                continue;
            };
            // The string as written between its quotes, when that is its value.
            let verbatim = quoted
                .filter(|q| q.end >= q.start + 2)
                .map(|q| q.start + 1..q.end - 1)
                .filter(|inner| text.get(inner.clone()) == Some(value))
                .and_then(|inner| fits(inner.start, inner.end));
            let range = match verbatim {
                Some(range) => Some(range),
                None => {
                    let start = owned.len();
                    owned.push_str(value);
                    copied |= 1 << i;
                    fits(start, owned.len())
                }
            };
            at[i] = range.unwrap_or(ABSENT);
        }
        Artifact {
            owned: owned.into_boxed_str(),
            fields: at,
            copied,
            span,
        }
    }

    fn field<'a>(&'a self, text: &'a str, i: usize) -> Option<&'a str> {
        let (start, end) = *self.fields.get(i).filter(|f| **f != ABSENT)?;
        let from = if self.copied & (1 << i) != 0 {
            &*self.owned
        } else {
            text
        };
        from.get(start as usize..end as usize)
    }

    /// The URL, `text` being the lockfile's text.
    pub fn url<'a>(&'a self, text: &'a str) -> Option<&'a str> {
        self.field(text, 0)
    }

    /// The file's path (a local wheel or sdist), or its file name when that is all the lock
    /// gives.
    pub fn path<'a>(&'a self, text: &'a str) -> Option<&'a str> {
        self.field(text, 1)
    }

    pub fn hash<'a>(&'a self, text: &'a str) -> Option<&'a str> {
        self.field(text, 2)
    }

    /// When the file was uploaded to its index, as written (`2025-01-01T00:00:00Z`).
    pub fn upload_time<'a>(&'a self, text: &'a str) -> Option<&'a str> {
        self.field(text, 3)
    }
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
    /// The lockfile read package by package (see [`split`]); a lockfile that does not split
    /// cleanly is read as one document, which also gives every error.
    pub fn parse(file: &SourceFile, text: &str) -> Result<UvLock, ParseError> {
        match split::parse(file, text) {
            Some(lock) => Ok(lock),
            None => Self::parse_whole(file, text),
        }
    }

    /// The lockfile read as one TOML document.
    fn parse_whole(file: &SourceFile, text: &str) -> Result<UvLock, ParseError> {
        let doc = parse_toml(file, text)?;
        let (mut lock, packages) = Self::head(file, doc.as_table())?;
        if let Some(array) = packages {
            for t in array.iter() {
                lock.packages.push(package(file, text, t, Place::WHOLE)?);
            }
        }
        Ok(lock)
    }

    /// Everything but the packages, from the document's root table, and its `[[package]]`
    /// array if it has one.
    fn head<'t>(
        file: &SourceFile,
        root: &'t toml_edit::Table,
    ) -> Result<(UvLock, Option<&'t toml_edit::ArrayOfTables>), ParseError> {
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
            manifest.requirements = requirements(m.get("requirements"), Place::WHOLE);
            manifest.constraints = requirements(m.get("constraints"), Place::WHOLE);
            manifest.overrides = requirements(m.get("overrides"), Place::WHOLE);
            if let Some(g) = m.get("dependency-groups").and_then(Item::as_table_like) {
                manifest.dependency_groups = g
                    .iter()
                    .map(|(k, i)| (k.to_string(), requirements(Some(i), Place::WHOLE)))
                    .collect();
            }
        }
        let lock = UvLock {
            version,
            revision: int("revision"),
            requires_python: root
                .get("requires-python")
                .and_then(Item::as_str)
                .map(String::from),
            options,
            manifest,
            packages: Vec::new(),
            by_name: std::sync::OnceLock::new(),
        };
        Ok((lock, root.get("package").and_then(Item::as_array_of_tables)))
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

/// A piece of a lockfile parsed as TOML, `None` if it is not TOML on its own.
fn parse_toml_piece(text: &str) -> Option<toml_edit::Document<&str>> {
    toml_edit::Document::parse(text).ok()
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

/// Where a piece of the lockfile that was parsed on its own is in the whole text: it starts at
/// `at`, and `removed` bytes of it were taken out at `cut` (a package's wheel lines, read
/// without toml_edit) before it was parsed.
#[derive(Debug, Clone, Copy)]
struct Place {
    at: usize,
    cut: usize,
    removed: usize,
}

impl Place {
    /// The whole text.
    const WHOLE: Place = Place::at(0);

    /// A piece starting at `at`, nothing taken out.
    const fn at(at: usize) -> Place {
        Place {
            at,
            cut: usize::MAX,
            removed: 0,
        }
    }

    /// A span of the parsed piece, as a span of the whole text: an end at the cut stays before
    /// what was taken out, a start there goes after it.
    fn span(self, r: Range<usize>) -> Range<usize> {
        let moved = |p: usize, past: bool| p + self.at + if past { self.removed } else { 0 };
        let start = moved(r.start, r.start >= self.cut);
        let end = if r.end == r.start {
            start
        } else {
            moved(r.end, r.end > self.cut)
        };
        start..end
    }
}

/// One `[[package]]` table of the lockfile `text`, its spans placed by `at` (where the piece of
/// `text` it was parsed from is).
fn package(
    file: &SourceFile,
    text: &str,
    t: &toml_edit::Table,
    at: Place,
) -> Result<LockPackage, ParseError> {
    let shift = |r: Range<usize>| at.span(r);
    let (name, span) = package_name(file, t, "package")?;
    let span = shift(span);
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
                span: s.span().map_or(span.clone(), shift),
            }
        }
        None => {
            return Err(file.parse_error(span, format!("package `{name}` has no `source`")));
        }
    };
    let artifact = |v: &Value| -> Option<Artifact> {
        let t = v.as_inline_table()?;
        let s = |k: &str| {
            let v = t.get(k)?;
            Some((v.as_str()?, v.span().map(shift)))
        };
        let datetime = t
            .get("upload-time")
            .and_then(Value::as_datetime)
            .map(|d| d.to_string());
        Some(Artifact::new(
            text,
            [
                s("url"),
                s("path").or_else(|| s("filename")),
                s("hash"),
                s("upload-time").or(datetime.as_deref().map(|d| (d, None))),
            ],
            v.span().map_or(0..0, shift),
        ))
    };
    let sdist = t.get("sdist").and_then(Item::as_value).and_then(&artifact);
    let wheels = t
        .get("wheels")
        .and_then(Item::as_array)
        .map(|a| {
            let mut wheels: Vec<Artifact> = a.iter().filter_map(&artifact).collect();
            wheels.shrink_to_fit();
            wheels
        })
        .unwrap_or_default();
    let metadata = t.get("metadata").and_then(Item::as_table_like);
    let requires_dist = metadata
        .and_then(|m| m.get("requires-dist"))
        .map(|i| requirements(Some(i), at));
    let requires_dev = metadata
        .and_then(|m| m.get("requires-dev"))
        .and_then(Item::as_table_like)
        .map(|g| {
            g.iter()
                .map(|(k, i)| (k.to_string(), requirements(Some(i), at)))
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
    dependencies.shrink_to_fit();
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

/// The requirements of an array of inline tables, their spans placed by `at`.
fn requirements(item: Option<&Item>, at: Place) -> Vec<LockRequirement> {
    let Some(a) = item.and_then(Item::as_array) else {
        return Vec::new();
    };
    let shift = |r: Range<usize>| at.span(r);
    a.iter()
        .filter_map(|v| Some((v.as_inline_table()?, v.span().map_or(0..0, shift))))
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
                        r.specifier_span = v.span().map(shift);
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

/// The fast path of [`UvLock::parse`]: the text is cut before every `[[package]]` header line
/// and each piece is parsed as a TOML document of its own, on every core, then dropped once its
/// package is read. A document of the whole lockfile (toml_edit keeps every key, value, span
/// and piece of whitespace) held about twenty times the file's size in memory at once; one
/// package's is small.
///
/// Cutting at a line is safe only where that line is a header, not the inside of a multi-line
/// string or array: such a cut leaves the piece before it unterminated, which TOML rejects. So
/// every piece must parse, the first must hold no `package` and every other only `[[package]]`
/// tables (a `[manifest]` after the packages is not split off, and gives up); otherwise, and
/// on any error in a package, `None`: the caller reads the whole document, which gives exactly
/// the errors it always gave.
mod split {
    use rayon::prelude::*;

    use super::{Place, Range, SourceFile, UvLock, package, parse_toml_piece};

    /// The header line pieces start at.
    const HEADER: &str = "[[package]]";

    pub(super) fn parse(file: &SourceFile, text: &str) -> Option<UvLock> {
        let starts = package_starts(text);
        let first = *starts.first()?;
        let head = parse_toml_piece(&text[..first])?;
        if head.as_table().contains_key("package") {
            return None;
        }
        let (mut lock, none) = UvLock::head(file, head.as_table()).ok()?;
        debug_assert!(none.is_none());
        drop(head);
        let pieces: Vec<Range<usize>> = starts
            .iter()
            .zip(starts.iter().skip(1).chain(std::iter::once(&text.len())))
            .map(|(&a, &b)| a..b)
            .collect();
        let packages: Vec<Vec<super::LockPackage>> = pieces
            .into_par_iter()
            .map(|piece| {
                wheels::read(text, piece.clone())
                    .and_then(|wheels| read_piece(file, text, piece.clone(), Some(wheels)))
                    .or_else(|| read_piece(file, text, piece, None))
            })
            .collect::<Option<_>>()?;
        lock.packages = Vec::with_capacity(packages.iter().map(Vec::len).sum());
        lock.packages.extend(packages.into_iter().flatten());
        Some(lock)
    }

    /// The packages of one piece, `None` if it is not TOML on its own or holds more than
    /// `[[package]]` tables. With `wheels` (read by [`wheels::read`]), the piece is parsed with
    /// those wheel lines taken out and the wheels go to the package whose `wheels` array they
    /// were: `None` too if no package has that array, empty, where they were.
    fn read_piece(
        file: &SourceFile,
        text: &str,
        piece: Range<usize>,
        wheels: Option<wheels::Wheels>,
    ) -> Option<Vec<super::LockPackage>> {
        let cut = wheels.as_ref().map(|w| w.cut(&text[piece.clone()]));
        let (source, place) = match &cut {
            Some((without, place)) => (without.as_str(), *place),
            None => (&text[piece.clone()], Place::at(piece.start)),
        };
        let doc = parse_toml_piece(source)?;
        let root = doc.as_table();
        if root.len() != 1 {
            return None;
        }
        let tables = root.get("package")?.as_array_of_tables()?;
        let mut packages = tables
            .iter()
            .map(|t| package(file, text, t, place).ok())
            .collect::<Option<Vec<_>>>()?;
        if let Some(w) = wheels {
            // The array the wheels were read from: empty once their lines are out, its `[` where
            // it was (before the cut).
            let holder = tables.iter().position(|t| {
                t.get("wheels")
                    .and_then(toml_edit::Item::as_value)
                    .is_some_and(|v| {
                        v.as_array().is_some_and(toml_edit::Array::is_empty)
                            && v.span().map(|s| s.start) == Some(w.open - piece.start)
                    })
            })?;
            packages[holder].wheels = w.wheels;
        }
        Some(packages)
    }

    /// Where every line that is exactly `[[package]]` starts (with `\n` or `\r\n`, or at the
    /// end of the text).
    fn package_starts(text: &str) -> Vec<usize> {
        let b = text.as_bytes();
        let header_line = |at: usize| {
            b[at..].starts_with(HEADER.as_bytes())
                && matches!(
                    &b[at + HEADER.len()..],
                    [] | [b'\n', ..] | [b'\r', b'\n', ..]
                )
        };
        let mut starts: Vec<usize> = memchr::memmem::find_iter(b, "\n[[package]]")
            .map(|at| at + 1)
            .filter(|&at| header_line(at))
            .collect();
        if header_line(0) {
            starts.insert(0, 0);
        }
        starts
    }

    /// A package's wheels as uv writes them, read without toml_edit: a line `wheels = [`, one
    /// line per wheel, `{ url = "…", hash = "…", size = 123, upload-time = "…" },` (its comma
    /// included), and a line `]`. toml_edit made a table of every wheel, the most of a large lockfile's parse (23 of
    /// its 67 MB of allocations for a 2.5 MB uv.lock). Anything else in those lines (another
    /// key or type, an escape or a control character in a string, a comment, a second line
    /// for one wheel) and the piece is read by toml_edit alone.
    pub(super) mod wheels {
        use std::ops::Range;

        use super::super::{Artifact, FieldValue, Place};

        pub(in crate::uvlock) struct Wheels {
            /// Where the piece starts in the text.
            start: usize,
            /// Where the array's `[` is in the text.
            pub(super) open: usize,
            /// The wheel lines, in the piece: the first's start to the last's end (its line
            /// break not included).
            lines: Range<usize>,
            pub(super) wheels: Vec<Artifact>,
        }

        impl Wheels {
            /// The piece without its wheel lines (from the first's start to the last's end,
            /// the line break after the last kept), its `wheels` an empty array; and where that
            /// piece is in the text. Blanked to spaces instead, a piece kept its length, and
            /// toml_edit sizes its list of tokens by the length it is given: 400 KB for a package
            /// of 300 wheels, most of the peak of a large uv.lock's read.
            pub(in crate::uvlock) fn cut(&self, piece: &str) -> (String, Place) {
                let lines = &self.lines;
                let mut out = String::with_capacity(piece.len() - lines.len());
                out.push_str(&piece[..lines.start]);
                out.push_str(&piece[lines.end..]);
                let place = Place {
                    at: self.start,
                    cut: lines.start,
                    removed: lines.len(),
                };
                (out, place)
            }
        }

        /// The wheels of the piece `piece` of `text`, if they are all written as uv writes
        /// them (see the module).
        pub(in crate::uvlock) fn read(text: &str, piece: Range<usize>) -> Option<Wheels> {
            const KEY: &str = "\nwheels = [";
            let src = &text[piece.clone()];
            let key = memchr::memmem::find(src.as_bytes(), KEY.as_bytes())?;
            let open = key + KEY.len() - 1;
            let mut out = Wheels {
                start: piece.start,
                open: piece.start + open,
                lines: 0..0,
                wheels: Vec::new(),
            };
            // The `[` ends its line; then one wheel a line, up to a line `]`.
            let after = &src[open + 1..];
            let mut at = open
                + 1
                + [("\n", 1), ("\r\n", 2)]
                    .iter()
                    .find_map(|(eol, len)| after.starts_with(eol).then_some(len))?;
            loop {
                let len = memchr::memchr(b'\n', &src.as_bytes()[at..])?;
                let line = src[at..at + len]
                    .strip_suffix('\r')
                    .unwrap_or(&src[at..at + len]);
                if line == "]" {
                    break;
                }
                let wheel = wheel(text, line, piece.start + at)?;
                if out.wheels.is_empty() {
                    out.lines.start = at;
                }
                out.wheels.push(wheel);
                out.lines.end = at + line.len();
                at += len + 1;
            }
            out.wheels.shrink_to_fit();
            (!out.wheels.is_empty()).then_some(out)
        }

        /// One wheel line, `line` starting at `at` in `text`.
        fn wheel(text: &str, line: &str, at: usize) -> Option<Artifact> {
            let b = line.as_bytes();
            let ws = |mut i: usize| {
                while matches!(b.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                i
            };
            let mut i = ws(0);
            if b.get(i) != Some(&b'{') {
                return None;
            }
            let open = i;
            // url, path, filename, hash, upload-time; and whether `size` was seen.
            let mut fields: [FieldValue<'_>; 5] = [None, None, None, None, None];
            let mut size = false;
            i += 1;
            loop {
                i = ws(i);
                let key_at = i;
                while b
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
                {
                    i += 1;
                }
                let key = &line[key_at..i];
                i = ws(i);
                if b.get(i) != Some(&b'=') {
                    return None;
                }
                i = ws(i + 1);
                if key == "size" {
                    let digits_at = i;
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    let digits = &line[digits_at..i];
                    // A TOML integer that fits in i64: no leading zero, no sign, no `_`.
                    if size
                        || digits.is_empty()
                        || digits.len() > 18
                        || (digits.len() > 1 && digits.starts_with('0'))
                    {
                        return None;
                    }
                    size = true;
                } else {
                    let slot = ["url", "path", "filename", "hash", "upload-time"]
                        .iter()
                        .position(|k| *k == key)?;
                    if b.get(i) != Some(&b'"') || fields[slot].is_some() {
                        return None;
                    }
                    let start = i + 1;
                    let len = memchr::memchr(b'"', &b[start..])?;
                    let value = &line[start..start + len];
                    // A basic string written as its value: no escape, no control character.
                    if value
                        .bytes()
                        .any(|c| c == b'\\' || (c < 0x20 && c != b'\t') || c == 0x7f)
                    {
                        return None;
                    }
                    i = start + len + 1;
                    fields[slot] = Some((value, Some(at + start - 1..at + i)));
                }
                i = ws(i);
                match b.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => break,
                    _ => return None,
                }
            }
            // Every wheel line ends with a comma, as uv writes them: TOML wants one between
            // two elements, and lines read one at a time cannot tell which one is the last.
            let close = i + 1;
            i = ws(close);
            if b.get(i) != Some(&b',') || ws(i + 1) != b.len() {
                return None;
            }
            let [url, path, filename, hash, uploaded] = fields;
            Some(Artifact::new(
                text,
                [url, path.or(filename), hash, uploaded],
                at + open..at + close,
            ))
        }
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
            anyio.sdist.as_ref().and_then(|s| s.hash(LOCK)),
            Some("sha256:59bb")
        );
        assert_eq!(
            anyio.wheels[0].upload_time(LOCK),
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

    /// The split path reads what the whole document reads, spans included, or leaves the text
    /// to it: on every fixture uv.lock and the lock above, with CRLF line ends, and on damaged
    /// copies (a `[[package]]` line inside a multi-line string or array, tables after the
    /// packages, a `package` key in the head, bytes removed, replaced and inserted where TOML
    /// looks).
    #[test]
    fn split_path_agrees_with_the_whole_document() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let paths = chainward_core::testing::files_named(&root, &["uv.lock"]);
        assert!(paths.len() >= 5, "fixture uv.locks: {}", paths.len());
        let mut texts: Vec<(String, String)> = paths
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("fixture");
                (p.display().to_string(), text)
            })
            .collect();
        texts.push(("LOCK".into(), LOCK.into()));
        for (name, text) in texts.clone() {
            texts.push((format!("{name} (CRLF)"), text.replace('\n', "\r\n")));
        }
        let crafted = [
            // Not headers: inside a multi-line string and a multi-line array.
            LOCK.replace(
                "version = \"0.1.0\"",
                "version = \"\"\"0.1.0\n[[package]]\nname = \"x\"\"\"\"",
            ),
            LOCK.replace(
                "dependencies = [\n    { name = \"idna\" },",
                "dependencies = [\n[[package]]\n    { name = \"idna\" },",
            ),
            // A table after the packages, a `package` key in the head, a second header form.
            format!("{LOCK}\n[manifest]\nmembers = [\"demo\"]\n"),
            LOCK.replace("[options]", "package.x = 1\n[options]"),
            LOCK.replace(
                "[[package]]\nname = \"demo\"",
                "[[ package ]]\nname = \"demo\"",
            ),
            // The same table twice across two packages, and a package without a source.
            format!("{LOCK}\n[package.metadata]\nrequires-dist = []\n"),
            LOCK.replace("source = { editable = \".\" }\n", ""),
            LOCK.replace("[[package]]\nname = \"anyio\"", "[[package]]\nname = 1"),
            LOCK[..LOCK.len() - 10].to_string(),
        ];
        for (i, text) in crafted.into_iter().enumerate() {
            texts.push((format!("crafted {i}"), text));
        }
        let mut damage = chainward_core::testing::Damage::default();
        let (mut split, mut mutants, mut left) = (0, 0, 0);
        for (name, text) in &texts {
            let mut cases = vec![(text.clone(), None)];
            if !name.starts_with("crafted") && text.len() < 100_000 {
                cases.extend(
                    damage
                        .copies(text, b"\"[]{}=,\n", b"\"[]{}=,\n#x", 40)
                        .into_iter()
                        .map(|(damaged, at)| (damaged, Some(at))),
                );
            }
            for (text, at) in cases {
                let f = SourceFile::in_memory("uv.lock", FileKind::UvLock, text.clone());
                let whole = UvLock::parse_whole(&f, &text);
                if at.is_some() {
                    mutants += 1;
                }
                match (split::parse(&f, &text), whole) {
                    (Some(a), Ok(b)) => {
                        assert_eq!(format!("{a:?}"), format!("{b:?}"), "{name} at {at:?}");
                        split += 1;
                    }
                    (Some(_), Err(e)) => {
                        panic!("{name} at {at:?}: split accepted, whole: {e:?}\n{text}")
                    }
                    (None, _) => left += 1,
                }
            }
        }
        assert!(split >= 20, "split path taken {split} times");
        assert!(
            mutants >= 300 && left >= 30,
            "{mutants} damaged, {left} left to the whole"
        );
    }

    /// A wheel line is read without toml_edit only where toml_edit would read it the same: the
    /// lines uv writes, and nothing else (duplicate keys, integers TOML rejects or writes
    /// otherwise, escapes, control characters, literal strings, comments, other keys). Either
    /// way, the split path reads what the whole document reads, or leaves the text to it.
    #[test]
    fn wheel_lines_read_as_toml_reads_them() {
        let uv = r#"{ url = "https://f.example/x-1-py3-none-any.whl", hash = "sha256:ab", size = 9352, upload-time = "2026-09-02T14:19:50.971Z" }"#;
        let lines = [
            (format!("    {uv},"), true),
            (format!("\t{uv} ,\t"), true),
            ("{url=\"u\",size=0},".to_string(), true),
            (
                r#"{ path = "a/b.whl", filename = "b.whl", hash = "h" },"#.into(),
                true,
            ),
            (r#"{ filename = "é.whl", hash = "sha256:é" },"#.into(), true),
            // Two wheels, with and without the comma TOML wants between them.
            (format!("    {uv},\n    {uv},"), true),
            (format!("    {uv},\n    {uv}"), false),
            (format!("    {uv}\n    {uv},"), false),
            // Valid TOML, but not as uv writes it (no comma after the last): left to toml_edit.
            (format!("    {uv}"), false),
            (r#"{ url = "u", hash = "a", hash = "b" },"#.into(), false),
            (r#"{ url = "u", size = 1, size = 2 },"#.into(), false),
            (r#"{ url = "u", size = 01 },"#.into(), false),
            (r#"{ url = "u", size = -1 },"#.into(), false),
            (r#"{ url = "u", size = 1_000 },"#.into(), false),
            (
                r#"{ url = "u", size = 9223372036854775808 },"#.into(),
                false,
            ),
            (r#"{ url = "u", size = "1" },"#.into(), false),
            (r#"{ url = "x\u0063" },"#.into(), false),
            ("{ url = \"a\u{1}b\" },".into(), false),
            (r#"{ url = 'u' },"#.into(), false),
            (r#"{ url = "u" }, # note"#.into(), false),
            (r#"{ url = "u", },"#.into(), false),
            (r#"{ url = "u" }, x"#.into(), false),
            (r#"{ url = "u" yanked = true },"#.into(), false),
            (r#"{ url = "u", yanked = true },"#.into(), false),
            (r#"{ "url" = "u" },"#.into(), false),
            ("{},".into(), false),
            ("".into(), false),
        ];
        for (line, fast) in lines {
            for eol in ["\n", "\r\n"] {
                let line = line.replace('\n', eol);
                let text = format!(
                    "version = 1{eol}{eol}[[package]]{eol}name = \"x\"{eol}version = \"1\"{eol}source = {{ registry = \"r\" }}{eol}wheels = [{eol}{line}{eol}]{eol}"
                );
                let piece = text.find("[[package]]").expect("header")..text.len();
                assert_eq!(
                    split::wheels::read(&text, piece).is_some(),
                    fast,
                    "{line:?}"
                );
                let f = SourceFile::in_memory("uv.lock", FileKind::UvLock, text.clone());
                match (split::parse(&f, &text), UvLock::parse_whole(&f, &text)) {
                    (Some(a), Ok(b)) => {
                        assert_eq!(format!("{a:?}"), format!("{b:?}"), "{line:?}");
                        let wheels = line.split(eol).count();
                        assert!(!fast || b.packages[0].wheels.len() == wheels, "{line:?}");
                    }
                    (Some(_), Err(e)) => panic!("{line:?}: split accepted, whole: {e:?}"),
                    (None, whole) => assert!(!fast && whole.is_err(), "{line:?}"),
                }
            }
        }
    }

    /// A span of a piece whose wheel lines were taken out, placed in the whole text.
    #[test]
    fn spans_after_the_cut_move_past_what_was_taken_out() {
        let p = Place {
            at: 100,
            cut: 10,
            removed: 50,
        };
        assert_eq!(p.span(2..5), 102..105);
        // Ending at the cut: before what was taken out.
        assert_eq!(p.span(2..10), 102..110);
        assert_eq!(p.span(10..12), 160..162);
        // Around it (the `wheels` array itself).
        assert_eq!(p.span(5..15), 105..165);
        assert_eq!(p.span(10..10), 160..160);
        assert_eq!(Place::WHOLE.span(3..4), 3..4);
        assert_eq!(Place::at(7).span(3..4), 10..11);
    }

    /// Every field of an artifact reads back as given, present or absent, read from the text
    /// where it is written there verbatim between quotes and copied where not (an escape, a
    /// value from elsewhere, a span that is not its quoted string), in every combination.
    #[test]
    fn artifact_fields_read_back() {
        let text =
            r#"url = "https://files.example/x.whl", hash = "sha256:ab\u0063", t = "", p = "é""#;
        let quoted = |needle: &str| {
            let at = text.find(needle).expect("in text");
            at..at + needle.len()
        };
        let values: [FieldValue<'_>; 6] = [
            None,
            // Verbatim: read from the text.
            Some((
                "https://files.example/x.whl",
                Some(quoted("\"https://files.example/x.whl\"")),
            )),
            Some(("", Some(quoted("\"\"")))),
            Some(("é", Some(quoted("\"é\"")))),
            // An escape, and a span that is not the value's: copied.
            Some(("sha256:abc", Some(quoted(r#""sha256:ab\u0063""#)))),
            Some(("x", Some(0..3))),
        ];
        let mut read_from_text = 0;
        for a in values.clone() {
            for b in values.clone() {
                for c in values.clone() {
                    for d in values.clone() {
                        let given = [a.clone(), b.clone(), c.clone(), d.clone()];
                        let art = Artifact::new(text, given.clone(), 3..9);
                        assert_eq!(
                            [
                                art.url(text),
                                art.path(text),
                                art.hash(text),
                                art.upload_time(text)
                            ],
                            given.map(|f| f.map(|(v, _)| v)),
                        );
                        assert_eq!(art.span, 3..9);
                        if art.owned.is_empty() && art.fields.iter().any(|f| *f != ABSENT) {
                            read_from_text += 1;
                        }
                    }
                }
            }
        }
        assert!(read_from_text > 0);
        // A large uv.lock has thousands: a field that grows one shows here.
        assert!(std::mem::size_of::<Artifact>() <= 72);
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
