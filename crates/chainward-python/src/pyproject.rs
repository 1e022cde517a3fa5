//! `pyproject.toml`: PEP 621 `[project]`, PEP 735 `[dependency-groups]`, PEP 518
//! `[build-system]` and the parts of `[tool.uv]` that decide what gets installed, parsed once
//! with toml_edit so that every requirement keeps its span.

use std::ops::Range;

use chainward_core::{ParseError, SourceFile};
use toml_edit::{Item, Value};

use crate::pep508::{self, Requirement};

/// A parsed pyproject.toml.
#[derive(Debug)]
pub struct PyProject {
    /// The document, spans kept (fixes edit it byte for byte).
    pub doc: chainward_core::toml::Document,
    /// `[project]` is present (PEP 621 metadata).
    pub has_project: bool,
    pub name: Option<String>,
    pub version: Option<String>,
    /// `project.dynamic`.
    pub dynamic: Vec<String>,
    pub requires_python: Option<String>,
    /// `project.dependencies`.
    pub dependencies: Vec<Dep>,
    /// `project.optional-dependencies`, by extra (as written), in file order.
    pub optional: Vec<(String, Vec<Dep>)>,
    /// `[dependency-groups]` (PEP 735), by group (as written), in file order.
    pub groups: Vec<(String, Vec<GroupItem>)>,
    /// `[build-system] requires`.
    pub build_requires: Vec<Dep>,
    pub build_backend: Option<String>,
    /// `[build-system]` is present.
    pub has_build_system: bool,
    /// `project.classifiers` or `[project.urls]`: metadata written for an index's project page.
    pub has_index_metadata: bool,
    pub uv: UvSettings,
}

/// One requirement string of the file, parsed, with the span of its TOML string.
#[derive(Debug, Clone)]
pub struct Dep {
    pub req: Requirement,
    /// The span of the TOML string (with its quotes).
    pub span: Range<usize>,
}

/// One entry of a dependency group: a requirement or `{include-group = "…"}`.
#[derive(Debug, Clone)]
pub enum GroupItem {
    Dep(Dep),
    Include(String),
}

/// `[tool.uv]`, the settings that change what uv locks and installs.
#[derive(Debug, Default, Clone)]
pub struct UvSettings {
    /// `[tool.uv]` is present.
    pub present: bool,
    /// `tool.uv.dev-dependencies` (the legacy spelling of the `dev` group).
    pub dev_dependencies: Vec<Dep>,
    pub constraint_dependencies: Vec<Dep>,
    pub override_dependencies: Vec<Dep>,
    /// `tool.uv.build-constraint-dependencies`: pins for build backends.
    pub build_constraint_dependencies: Vec<Dep>,
    /// `[tool.uv.sources]`: normalized name → the source table(s), as written.
    pub sources: Vec<(String, Vec<Source>)>,
    /// `[[tool.uv.index]]`.
    pub indexes: Vec<Index>,
    /// `tool.uv.index-url` / `extra-index-url` (the pip-style spellings).
    pub index_urls: Vec<(String, Range<usize>)>,
    /// `tool.uv.exclude-newer` and its span.
    pub exclude_newer: Option<(String, Range<usize>)>,
    /// `[tool.uv.workspace]` members (globs) and exclude.
    pub workspace: Option<Workspace>,
    /// `tool.uv.package` (`false`: a virtual project, never built).
    pub package: Option<bool>,
    /// `tool.uv.managed` (`false`: uv does not lock this project).
    pub managed: Option<bool>,
}

/// One `[tool.uv.sources]` entry: its keys and string values (`git`, `rev`, `tag`, `path`,
/// `editable`, `index`, `url`, `workspace`, `marker`, …), as written.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub fields: Vec<(String, String)>,
    pub span: Range<usize>,
}

impl Source {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One `[[tool.uv.index]]`.
#[derive(Debug, Clone)]
pub struct Index {
    pub name: Option<String>,
    pub url: String,
    pub url_span: Range<usize>,
    pub default: bool,
    pub explicit: bool,
}

/// `[tool.uv.workspace]`.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    pub members: Vec<String>,
    pub exclude: Vec<String>,
}

/// The cached pyproject.toml model of `file`; `None` if it does not parse (the error is on the
/// file).
pub fn pyproject(file: &SourceFile) -> Option<&PyProject> {
    file.parsed(PyProject::parse)
}

impl PyProject {
    pub fn parse(file: &SourceFile, text: &str) -> Result<PyProject, ParseError> {
        let doc = crate::uvlock::parse_toml(file, text)?;
        let root = doc.as_table();
        let project = root.get("project").and_then(Item::as_table_like);
        let str_at = |t: Option<&dyn toml_edit::TableLike>, k: &str| {
            t.and_then(|t| t.get(k))
                .and_then(Item::as_str)
                .map(str::to_string)
        };
        let deps = |item: Option<&Item>, what: &str| -> Result<Vec<Dep>, ParseError> {
            item.map_or(Ok(Vec::new()), |i| dep_array(file, i, what))
        };
        let mut optional = Vec::new();
        if let Some(opt) = project
            .and_then(|p| p.get("optional-dependencies"))
            .and_then(Item::as_table_like)
        {
            for (extra, item) in opt.iter() {
                optional.push((
                    extra.to_string(),
                    dep_array(
                        file,
                        item,
                        &format!("`project.optional-dependencies.{extra}`"),
                    )?,
                ));
            }
        }
        let mut groups = Vec::new();
        if let Some(g) = root.get("dependency-groups").and_then(Item::as_table_like) {
            for (name, item) in g.iter() {
                groups.push((name.to_string(), group_array(file, item, name)?));
            }
        }
        let build = root.get("build-system").and_then(Item::as_table_like);
        let uv_table = root
            .get("tool")
            .and_then(Item::as_table_like)
            .and_then(|t| t.get("uv"))
            .and_then(Item::as_table_like);
        let uv = match uv_table {
            None => UvSettings::default(),
            Some(uv) => uv_settings(file, uv)?,
        };
        Ok(PyProject {
            has_project: project.is_some(),
            name: str_at(project, "name"),
            version: str_at(project, "version"),
            dynamic: project
                .and_then(|p| p.get("dynamic"))
                .and_then(Item::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            requires_python: str_at(project, "requires-python"),
            dependencies: deps(
                project.and_then(|p| p.get("dependencies")),
                "`project.dependencies`",
            )?,
            optional,
            groups,
            build_requires: deps(
                build.and_then(|b| b.get("requires")),
                "`build-system.requires`",
            )?,
            build_backend: str_at(build, "build-backend"),
            has_build_system: build.is_some(),
            has_index_metadata: project
                .is_some_and(|p| p.contains_key("classifiers") || p.contains_key("urls")),
            uv,
            doc,
        })
    }

    /// The project's name in PEP 503 normal form.
    pub fn normalized_name(&self) -> Option<String> {
        self.name.as_deref().map(pep508::normalize_name)
    }

    /// Every requirement the project declares for installs, with where it comes from:
    /// `project.dependencies`, each extra, each group, `tool.uv.dev-dependencies`.
    pub fn all_deps(&self) -> impl Iterator<Item = (DepOrigin<'_>, &Dep)> {
        self.dependencies
            .iter()
            .map(|d| (DepOrigin::Main, d))
            .chain(
                self.optional
                    .iter()
                    .flat_map(|(e, ds)| ds.iter().map(move |d| (DepOrigin::Extra(e), d))),
            )
            .chain(self.groups.iter().flat_map(|(g, items)| {
                items.iter().filter_map(move |i| match i {
                    GroupItem::Dep(d) => Some((DepOrigin::Group(g), d)),
                    GroupItem::Include(_) => None,
                })
            }))
            .chain(
                self.uv
                    .dev_dependencies
                    .iter()
                    .map(|d| (DepOrigin::Group("dev"), d)),
            )
    }
}

/// Where a requirement of a pyproject.toml is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepOrigin<'a> {
    Main,
    Extra(&'a str),
    Group(&'a str),
}

fn not_array(file: &SourceFile, item: &Item, what: &str) -> ParseError {
    file.parse_error(
        item.span().unwrap_or(0..0),
        format!("{what} must be an array of strings"),
    )
}

fn dep_array(file: &SourceFile, item: &Item, what: &str) -> Result<Vec<Dep>, ParseError> {
    let array = item.as_array().ok_or_else(|| not_array(file, item, what))?;
    array.iter().map(|v| dep(file, v, what)).collect()
}

fn dep(file: &SourceFile, v: &Value, what: &str) -> Result<Dep, ParseError> {
    let span = v.span().unwrap_or(0..0);
    let Some(s) = v.as_str() else {
        return Err(file.parse_error(span, format!("{what} must be an array of strings")));
    };
    let req = pep508::parse(s).map_err(|e| {
        // The error's offset is in the decoded string; the literal's quote comes first (exact
        // for strings without escapes, the common case).
        let at = (span.start + 1 + e.offset).min(span.end.saturating_sub(1).max(span.start));
        file.parse_error(
            at..at,
            format!("{what}: `{s}` is not a PEP 508 requirement: {}", e.message),
        )
    })?;
    Ok(Dep { req, span })
}

fn group_array(file: &SourceFile, item: &Item, group: &str) -> Result<Vec<GroupItem>, ParseError> {
    let what = format!("`dependency-groups.{group}`");
    let array = item
        .as_array()
        .ok_or_else(|| not_array(file, item, &what))?;
    array
        .iter()
        .map(|v| match v {
            Value::InlineTable(t) => match t.get("include-group").and_then(Value::as_str) {
                Some(g) => Ok(GroupItem::Include(g.to_string())),
                None => Err(file.parse_error(
                    v.span().unwrap_or(0..0),
                    format!(
                        "{what}: a table in a dependency group must be `{{include-group = \"…\"}}`"
                    ),
                )),
            },
            _ => dep(file, v, &what).map(GroupItem::Dep),
        })
        .collect()
}

fn uv_settings(file: &SourceFile, uv: &dyn toml_edit::TableLike) -> Result<UvSettings, ParseError> {
    let mut out = UvSettings {
        present: true,
        ..UvSettings::default()
    };
    let deps = |key: &str| -> Result<Vec<Dep>, ParseError> {
        uv.get(key).map_or(Ok(Vec::new()), |i| {
            dep_array(file, i, &format!("`tool.uv.{key}`"))
        })
    };
    out.dev_dependencies = deps("dev-dependencies")?;
    out.constraint_dependencies = deps("constraint-dependencies")?;
    out.override_dependencies = deps("override-dependencies")?;
    out.build_constraint_dependencies = deps("build-constraint-dependencies")?;
    if let Some(sources) = uv.get("sources").and_then(Item::as_table_like) {
        for (name, item) in sources.iter() {
            let tables: Vec<Source> = match item {
                Item::Value(Value::Array(a)) => a.iter().filter_map(source_of_value).collect(),
                Item::ArrayOfTables(a) => a.iter().map(|t| source_of_table(t, item)).collect(),
                Item::Table(t) => vec![source_of_table(t, item)],
                Item::Value(v) => source_of_value(v).into_iter().collect(),
                Item::None => Vec::new(),
            };
            out.sources.push((pep508::normalize_name(name), tables));
        }
    }
    if let Some(indexes) = uv.get("index") {
        let tables: Vec<&dyn toml_edit::TableLike> = match indexes {
            Item::ArrayOfTables(a) => a.iter().map(|t| t as &dyn toml_edit::TableLike).collect(),
            Item::Value(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_inline_table().map(|t| t as &dyn toml_edit::TableLike))
                .collect(),
            _ => Vec::new(),
        };
        for t in tables {
            let Some(url_item) = t.get("url") else {
                continue;
            };
            let Some(url) = url_item.as_str() else {
                continue;
            };
            out.indexes.push(Index {
                name: t.get("name").and_then(Item::as_str).map(String::from),
                url: url.to_string(),
                url_span: item_span(url_item),
                default: t.get("default").and_then(Item::as_bool).unwrap_or(false),
                explicit: t.get("explicit").and_then(Item::as_bool).unwrap_or(false),
            });
        }
    }
    for key in ["index-url", "extra-index-url"] {
        match uv.get(key) {
            Some(i) if i.is_str() => out
                .index_urls
                .push((i.as_str().unwrap_or_default().to_string(), item_span(i))),
            Some(i) => {
                if let Some(a) = i.as_array() {
                    for v in a.iter() {
                        if let Some(s) = v.as_str() {
                            out.index_urls
                                .push((s.to_string(), v.span().unwrap_or(0..0)));
                        }
                    }
                }
            }
            None => {}
        }
    }
    if let Some(i) = uv.get("exclude-newer")
        && let Some(s) = i.as_str()
    {
        out.exclude_newer = Some((s.to_string(), item_span(i)));
    }
    if let Some(w) = uv.get("workspace").and_then(Item::as_table_like) {
        let list = |k: &str| -> Vec<String> {
            w.get(k)
                .and_then(Item::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        out.workspace = Some(Workspace {
            members: list("members"),
            exclude: list("exclude"),
        });
    }
    out.package = uv.get("package").and_then(Item::as_bool);
    out.managed = uv.get("managed").and_then(Item::as_bool);
    Ok(out)
}

fn item_span(item: &Item) -> Range<usize> {
    match item {
        Item::Value(v) => v.span(),
        _ => item.span(),
    }
    .unwrap_or(0..0)
}

fn source_of_value(v: &Value) -> Option<Source> {
    let t = v.as_inline_table()?;
    Some(Source {
        fields: t
            .iter()
            .map(|(k, v)| (k.to_string(), value_text(v)))
            .collect(),
        span: v.span().unwrap_or(0..0),
    })
}

fn source_of_table(t: &toml_edit::Table, item: &Item) -> Source {
    Source {
        fields: t
            .iter()
            .filter_map(|(k, i)| i.as_value().map(|v| (k.to_string(), value_text(v))))
            .collect(),
        span: t.span().or_else(|| item.span()).unwrap_or(0..0),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.value().clone(),
        Value::Boolean(b) => b.value().to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// Days in a relative `exclude-newer` (uv 0.9.17+): `"3 days"`, `"1 week"`, `"72 hours"`, `"P3D"`, `"P1W"`,
/// `"PT72H"`. `None` for an absolute timestamp or a value this reader does not know.
pub fn relative_days(value: &str) -> Option<f64> {
    let v = value.trim().to_ascii_lowercase();
    if let Some(iso) = v.strip_prefix('p') {
        // ISO 8601: PnW, PnD, PTnH (and combinations of D and T parts).
        let (date, time) = iso.split_once('t').unwrap_or((iso, ""));
        let mut days = 0.0;
        let mut num = String::new();
        for c in date.chars() {
            match c {
                '0'..='9' | '.' => num.push(c),
                'w' => days += num.parse::<f64>().ok()? * 7.0,
                'd' => days += num.parse::<f64>().ok()?,
                _ => return None,
            }
            if !c.is_ascii_digit() && c != '.' {
                num.clear();
            }
        }
        for c in time.chars() {
            match c {
                '0'..='9' | '.' => num.push(c),
                'h' => days += num.parse::<f64>().ok()? / 24.0,
                'm' => days += num.parse::<f64>().ok()? / 1440.0,
                's' => days += num.parse::<f64>().ok()? / 86_400.0,
                _ => return None,
            }
            if !c.is_ascii_digit() && c != '.' {
                num.clear();
            }
        }
        return (days.is_finite() && days >= 0.0).then_some(days);
    }
    // Friendly spans: `3 days`, `1 week 2 days`, `72 hours`.
    let words: Vec<&str> = v.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return None;
    }
    let mut days = 0.0;
    for pair in words.chunks(2) {
        let n: f64 = pair[0].parse().ok()?;
        let unit = pair[1].trim_end_matches('s');
        days += n * match unit {
            "week" | "w" => 7.0,
            "day" | "d" => 1.0,
            "hour" | "h" | "hr" => 1.0 / 24.0,
            "minute" | "min" | "m" => 1.0 / 1440.0,
            _ => return None,
        };
    }
    (days.is_finite() && days >= 0.0).then_some(days)
}

/// A `uv.toml`: the settings `[tool.uv]` holds, at its top level. Where one sits beside a
/// pyproject.toml, uv reads its settings from it and ignores `[tool.uv]`'s. `None` when it does
/// not parse.
pub fn uv_toml(text: &str) -> Option<UvSettings> {
    let file = SourceFile::in_memory("uv.toml", chainward_core::FileKind::PyProject, text);
    let doc = toml_edit::Document::parse(text.to_string()).ok()?;
    uv_settings(&file, doc.as_table()).ok()
}

/// `[tool.uv.workspace]` `members`/`exclude` globs as uv matches them: one path component per
/// `*` (it expands them over the file system), a leading `./` ignored. `None` when a glob does
/// not compile.
pub fn member_globs(globs: &[String]) -> Option<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        let g = g.trim_start_matches("./").trim_end_matches('/');
        b.add(
            globset::GlobBuilder::new(g)
                .literal_separator(true)
                .build()
                .ok()?,
        );
    }
    b.build().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chainward_core::FileKind;

    fn parse(text: &str) -> Result<PyProject, ParseError> {
        let f = SourceFile::in_memory("pyproject.toml", FileKind::PyProject, text);
        PyProject::parse(&f, text)
    }

    #[test]
    fn reads_every_place_a_requirement_is_declared() {
        let text = r#"[project]
name = "Demo_Server"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["httpx>=0.27", 'anyio[trio]>=4; python_version >= "3.11"']
[project.optional-dependencies]
cli = ["click==8.1.7"]
[dependency-groups]
dev = ["pytest>=8", {include-group = "lint"}]
lint = ["ruff"]
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
[tool.uv]
dev-dependencies = ["mypy"]
exclude-newer = "2025-01-01T00:00:00Z"
[tool.uv.sources]
foo = { path = "../foo", editable = true }
[[tool.uv.index]]
name = "torch"
url = "https://download.pytorch.org/whl/cpu"
explicit = true
[tool.uv.workspace]
members = ["packages/*"]
"#;
        let p = parse(text).expect("parses");
        assert_eq!(p.normalized_name().as_deref(), Some("demo-server"));
        assert_eq!(p.dependencies.len(), 2);
        assert_eq!(&text[p.dependencies[0].span.clone()], "\"httpx>=0.27\"");
        let all: Vec<_> = p
            .all_deps()
            .map(|(o, d)| (o, d.req.name.as_str()))
            .collect();
        assert_eq!(
            all,
            [
                (DepOrigin::Main, "httpx"),
                (DepOrigin::Main, "anyio"),
                (DepOrigin::Extra("cli"), "click"),
                (DepOrigin::Group("dev"), "pytest"),
                (DepOrigin::Group("lint"), "ruff"),
                (DepOrigin::Group("dev"), "mypy"),
            ]
        );
        assert!(matches!(&p.groups[0].1[1], GroupItem::Include(g) if g == "lint"));
        assert_eq!(p.build_requires[0].req.name, "hatchling");
        assert_eq!(p.uv.sources[0].1[0].get("path"), Some("../foo"));
        assert_eq!(p.uv.sources[0].1[0].get("editable"), Some("true"));
        assert_eq!(
            &text[p.uv.indexes[0].url_span.clone()],
            "\"https://download.pytorch.org/whl/cpu\""
        );
        assert!(p.uv.indexes[0].explicit);
        assert_eq!(
            p.uv.workspace.as_ref().map(|w| w.members.clone()),
            Some(vec!["packages/*".to_string()])
        );
        assert_eq!(
            p.uv.exclude_newer.as_ref().map(|e| e.0.as_str()),
            Some("2025-01-01T00:00:00Z")
        );
    }

    #[test]
    fn member_globs_match_one_component_per_star() {
        let set = member_globs(&["./packages/*".to_string()]).expect("compiles");
        assert!(set.is_match("packages/a"));
        assert!(!set.is_match("packages/a/tests/fixture"));
    }

    #[test]
    fn exclude_newer_durations_read_as_uv_writes_them() {
        for (v, days) in [
            ("3 days", Some(3.0)),
            ("1 week", Some(7.0)),
            ("72 hours", Some(3.0)),
            ("P3D", Some(3.0)),
            ("P1W", Some(7.0)),
            ("PT36H", Some(1.5)),
            ("2025-01-01T00:00:00Z", None),
            ("2025-01-01", None),
            ("-inf days", None),
            ("1e309 days", None),
            ("-3 days", None),
        ] {
            assert_eq!(relative_days(v), days, "{v}");
        }
    }

    #[test]
    fn a_bad_requirement_is_an_error_at_its_string() {
        let text = "[project]\nname = \"x\"\ndependencies = [\"ok\", \"bad>=\"]\n";
        let e = parse(text).expect_err("bad requirement");
        assert!(e.message.contains("`bad>=`"), "{}", e.message);
        let text = "[project]\ndependencies = \"x\"\n";
        assert!(parse(text).is_err());
        assert!(parse("[project\n").is_err());
    }
}
